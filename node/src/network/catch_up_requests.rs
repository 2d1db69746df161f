//! Request-response plumbing for catch-up: outbound requests waiting for their answers, and
//! inbound requests rate-limited per peer, handed to the node, and answered once the node
//! replies (or refused when it does not reply in time).
//!
//! The bytes are opaque here: the node's catch-up shell encodes and decodes them.

use std::time::Instant;

use futures::FutureExt;
use libp2p::{
    PeerId,
    request_response::{self, OutboundFailure, ResponseChannel},
};
use tokio::sync::oneshot;
use tracing::{debug, warn};

use super::{
    MAX_PENDING_INBOUND_SYNC, NetworkError, NetworkEvent,
    codec::{FrameKind, FrameTooLarge},
    limits::TokenBucket,
    swarm_task::SwarmTask,
};

/// An outbound sync request waiting for its response.
#[derive(Debug)]
pub(super) struct PendingSync {
    peer: PeerId,
    reply: oneshot::Sender<Result<Vec<u8>, NetworkError>>,
}

/// The node's answer to an inbound sync request, once it arrives (or `None` if the node
/// dropped the reply or took too long).
pub(super) type InboundReply = (PeerId, ResponseChannel<Vec<u8>>, Option<Vec<u8>>);

impl SwarmTask {
    /// Sends a catch-up request unless it is over our own limit or the peer is blocked; the
    /// answer comes back through [`on_sync_event`](Self::on_sync_event).
    pub(super) fn send_sync_request(
        &mut self,
        peer: PeerId,
        request: Vec<u8>,
        reply: oneshot::Sender<Result<Vec<u8>, NetworkError>>,
    ) {
        if request.len() > self.config.sync_max_request_bytes {
            let _ = reply.send(Err(NetworkError::SyncRequestTooLarge {
                size: request.len(),
                limit: self.config.sync_max_request_bytes,
            }));
            return;
        }
        if self.blocked_until.contains_key(&peer) {
            let _ = reply.send(Err(NetworkError::PeerBlocked { peer }));
            return;
        }
        let request_id = self.swarm.behaviour_mut().sync.send_request(&peer, request);
        self.pending_sync
            .insert(request_id, PendingSync { peer, reply });
    }

    /// Routes request-response events: inbound requests to the node, responses and failures
    /// to the handle that is waiting.
    pub(super) fn on_sync_event(&mut self, event: request_response::Event<Vec<u8>, Vec<u8>>) {
        match event {
            request_response::Event::Message {
                peer,
                message:
                    request_response::Message::Request {
                        request, channel, ..
                    },
                ..
            } => self.on_inbound_sync_request(peer, request, channel),
            request_response::Event::Message {
                message:
                    request_response::Message::Response {
                        request_id,
                        response,
                    },
                ..
            } => {
                if let Some(pending) = self.pending_sync.remove(&request_id) {
                    let result = if response.is_empty() {
                        Err(NetworkError::SyncRefused { peer: pending.peer })
                    } else {
                        Ok(response)
                    };
                    let _ = pending.reply.send(result);
                }
            }
            request_response::Event::OutboundFailure {
                peer,
                request_id,
                error,
                ..
            } => {
                debug!(%peer, %error, "sync request failed");
                if let Some(pending) = self.pending_sync.remove(&request_id) {
                    let _ = pending.reply.send(Err(self.outbound_error(peer, error)));
                }
            }
            request_response::Event::InboundFailure { peer, error, .. } => {
                debug!(%peer, %error, "inbound sync request failed");
            }
            request_response::Event::ResponseSent { .. } => {}
        }
    }

    fn outbound_error(&self, peer: PeerId, error: OutboundFailure) -> NetworkError {
        match error {
            OutboundFailure::DialFailure => NetworkError::SyncPeerUnreachable { peer },
            OutboundFailure::Timeout => NetworkError::SyncTimeout {
                peer,
                after: self.config.sync_request_timeout,
            },
            OutboundFailure::ConnectionClosed => NetworkError::SyncConnectionClosed { peer },
            OutboundFailure::UnsupportedProtocols => NetworkError::SyncUnsupported { peer },
            OutboundFailure::Io(error) => match FrameTooLarge::find(&error) {
                Some(FrameTooLarge {
                    kind: FrameKind::Response,
                    limit,
                }) => NetworkError::SyncResponseTooLarge { peer, limit },
                Some(FrameTooLarge {
                    kind: FrameKind::Request,
                    limit,
                }) => NetworkError::SyncRequestTooLarge {
                    size: limit + 1,
                    limit,
                },
                None => NetworkError::SyncIo {
                    peer,
                    reason: error.to_string(),
                },
            },
        }
    }

    fn on_inbound_sync_request(
        &mut self,
        peer: PeerId,
        request: Vec<u8>,
        channel: ResponseChannel<Vec<u8>>,
    ) {
        let now = Instant::now();
        let (burst, rate) = (
            self.config.sync_request_burst,
            self.config.sync_requests_per_second,
        );
        let allowed = self
            .sync_buckets
            .entry(peer)
            .or_insert_with(|| TokenBucket::new(burst, rate, now))
            .try_take(now);
        if !allowed {
            warn!(%peer, "peer exceeds its sync request rate; refusing request");
            self.metrics.sync_requests_rate_limited.inc();
            return; // Dropping the channel refuses the request.
        }
        if self.inbound_replies.len() >= MAX_PENDING_INBOUND_SYNC {
            warn!(%peer, "too many sync requests waiting for the node; refusing request");
            self.metrics.events_dropped.inc();
            return;
        }
        let (reply, answer) = oneshot::channel();
        let timeout = self.config.sync_request_timeout;
        self.inbound_replies.push(
            async move {
                let response = tokio::time::timeout(timeout, answer)
                    .await
                    .ok()
                    .and_then(Result::ok);
                (peer, channel, response)
            }
            .boxed(),
        );
        let event = NetworkEvent::SyncRequest {
            peer,
            request,
            reply,
        };
        if self.emit(event).is_some() {
            warn!(%peer, "node is not keeping up; refusing sync request");
            self.metrics.events_dropped.inc();
        }
    }

    /// Sends the node's answer to an inbound request, unless it breaks the response rules.
    pub(super) fn on_inbound_reply(&mut self, (peer, channel, response): InboundReply) {
        let Some(response) = response else {
            debug!(%peer, "node did not answer the sync request; refusing it");
            return;
        };
        if response.is_empty() || response.len() > self.config.sync_max_response_bytes {
            warn!(
                %peer,
                len = response.len(),
                limit = self.config.sync_max_response_bytes,
                "sync response is empty or over the limit; refusing the request instead"
            );
            return;
        }
        if self
            .swarm
            .behaviour_mut()
            .sync
            .send_response(channel, response)
            .is_err()
        {
            debug!(%peer, "sync requester went away before the response was sent");
        }
    }
}
