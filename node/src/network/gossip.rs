//! Gossip on the records topic: publishing framed records, holding received messages until
//! the node has judged them, and passing its [`GossipValidation`] on to gossipsub.

use libp2p::{
    PeerId,
    gossipsub::{self, MessageAcceptance, MessageId, PublishError},
};
use tracing::{debug, info, warn};

use super::{
    GossipValidation, NetworkError, NetworkEvent, PublishOutcome, RECORD_ID_LEN,
    swarm_task::SwarmTask,
};

impl SwarmTask {
    /// Frames a record under its id and gossips it; see the module documentation of `network`
    /// for the frame.
    pub(super) fn publish(
        &mut self,
        record_id: [u8; RECORD_ID_LEN],
        record: Vec<u8>,
    ) -> Result<PublishOutcome, NetworkError> {
        let limit = self.config.max_record_bytes();
        if record.len() > limit {
            return Err(NetworkError::GossipMessageTooLarge {
                size: record.len(),
                limit,
            });
        }
        let mut frame = Vec::with_capacity(RECORD_ID_LEN + record.len());
        frame.extend_from_slice(&record_id);
        frame.extend_from_slice(&record);
        let record_hex = hex::encode(record_id);
        match self
            .swarm
            .behaviour_mut()
            .gossipsub
            .publish(self.names.topic.clone(), frame)
        {
            Ok(_) => {
                debug!(record_id = %record_hex, "record published");
                Ok(PublishOutcome::Published)
            }
            Err(PublishError::NoPeersSubscribedToTopic) => {
                info!(record_id = %record_hex, "no peers to gossip to; the record will spread by catch-up");
                Ok(PublishOutcome::NoPeers)
            }
            Err(PublishError::Duplicate) => Ok(PublishOutcome::Duplicate),
            Err(PublishError::MessageTooLarge) => Err(NetworkError::GossipMessageTooLarge {
                size: record.len(),
                limit,
            }),
            Err(PublishError::AllQueuesFull(peers)) => {
                warn!(record_id = %record_hex, peers, "gossip queues full; publish dropped");
                Err(NetworkError::PublishQueuesFull { peers })
            }
            Err(other) => Err(NetworkError::Publish(other.to_string())),
        }
    }

    /// Passes the node's judgement on a held message to gossipsub, which forwards it only if
    /// accepted.
    pub(super) fn report_validation(
        &mut self,
        record_id: [u8; RECORD_ID_LEN],
        propagation_source: PeerId,
        verdict: GossipValidation,
    ) {
        let acceptance = match verdict {
            GossipValidation::Accept => MessageAcceptance::Accept,
            GossipValidation::Reject => MessageAcceptance::Reject,
            GossipValidation::Ignore => MessageAcceptance::Ignore,
        };
        let known = self
            .swarm
            .behaviour_mut()
            .gossipsub
            .report_message_validation_result(
                &MessageId::from(record_id.to_vec()),
                &propagation_source,
                acceptance,
            );
        if !known {
            debug!(
                record_id = %hex::encode(record_id),
                peer = %propagation_source,
                ?verdict,
                "validation reported after the message left the gossip cache"
            );
        }
    }

    /// Holds a received message for the node's validation, or rejects it here if it is too
    /// short to carry a record id.
    pub(super) fn on_gossip_event(&mut self, event: gossipsub::Event) {
        match event {
            gossipsub::Event::Message {
                propagation_source,
                message_id,
                message,
            } => {
                let Ok(record_id) = <[u8; RECORD_ID_LEN]>::try_from(message_id.0.as_slice()) else {
                    warn!(peer = %propagation_source, len = message.data.len(), "gossip payload too short to carry a record id; rejecting");
                    self.swarm
                        .behaviour_mut()
                        .gossipsub
                        .report_message_validation_result(
                            &message_id,
                            &propagation_source,
                            MessageAcceptance::Reject,
                        );
                    return;
                };
                let mut record = message.data;
                record.drain(..RECORD_ID_LEN);
                let event = NetworkEvent::GossipReceived {
                    record_id,
                    propagation_source,
                    record,
                };
                if let Some(event) = self.emit(event) {
                    warn!(record_id = %hex::encode(record_id), peer = %propagation_source, "node is not keeping up; ignoring gossip message (catch-up will fetch it)");
                    self.metrics.events_dropped.inc();
                    self.discard_event(event);
                }
            }
            gossipsub::Event::Subscribed { peer_id, topic } => {
                debug!(peer = %peer_id, %topic, "peer subscribed");
            }
            gossipsub::Event::Unsubscribed { peer_id, topic } => {
                debug!(peer = %peer_id, %topic, "peer unsubscribed");
            }
            gossipsub::Event::GossipsubNotSupported { peer_id } => {
                debug!(peer = %peer_id, "peer does not support gossipsub");
            }
            gossipsub::Event::SlowPeer {
                peer_id,
                failed_messages,
            } => {
                warn!(peer = %peer_id, ?failed_messages, "peer is too slow to receive gossip");
            }
        }
    }
}
