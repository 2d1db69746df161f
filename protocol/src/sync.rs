//! Sync wire messages, for catch-up between two nodes.
//!
//! Catch-up has two steps: range-based set reconciliation of record ids (negentropy frames, opaque
//! to this module), then fetching the records found missing, in batches. The messages are a small
//! binary format rather than JSON because the frames and records are already bytes, and the cost
//! of catch-up on the wire is something the federation measures.
//!
//! Every message starts with a format byte (currently 2) and a tag byte. Lengths are big-endian.
//!
//! | message | tag | payload |
//! |---|---|---|
//! | request `Reconcile` | 0x01 | u32 length, frame bytes |
//! | request `Fetch` | 0x02 | u16 count, count × 32-byte record ids |
//! | response `Reconcile` | 0x81 | u32 length, frame bytes |
//! | response `Records` | 0x82 | u32 batch length, u32 compressed length, one zstd frame |
//! | response `Refused` | 0x83 | u16 length, UTF-8 reason |
//!
//! The batch inside a `Records` response is u16 count, count × (u32 length, record wire bytes),
//! compressed as one zstd frame: records in one batch share their field names, vocabulary and
//! often their authors, and the bytes a returning node pays are what catch-up is judged on.
//! (Format 1 sent the batch uncompressed.)
//!
//! Decoding checks every length against the limits below before reading, and refuses trailing
//! bytes, so a hostile peer cannot make a node allocate more than the limits. A compressed batch
//! is inflated into a buffer of its announced length, which is bounded first; a frame that would
//! inflate to more, or to less, is refused.

use crate::keys::RecordId;
use crate::validate::Limits;

/// The sync message format this node speaks.
pub const SYNC_FORMAT: u8 = 2;
/// Largest reconciliation frame.
pub const MAX_FRAME_BYTES: usize = 256 * 1024;
/// Most ids in one fetch request.
pub const MAX_FETCH_IDS: usize = 1024;
/// Largest records response: the fetch batch is cut so that its records fit.
pub const MAX_RECORDS_RESPONSE_BYTES: usize = 4 * 1024 * 1024;
/// Longest refusal reason.
pub const MAX_REASON_BYTES: usize = 1024;

/// Largest request on the wire.
pub const MAX_REQUEST_BYTES: usize = 2 + 4 + MAX_FRAME_BYTES;
/// Largest record batch inside a `Records` response, before compression.
pub const MAX_RECORDS_BATCH_BYTES: usize = 2 + MAX_RECORDS_RESPONSE_BYTES + 4 * MAX_FETCH_IDS;
/// Largest compressed batch: zstd never grows its input by more than a small margin (its
/// documented bound is under 1/128 of the input plus a few hundred bytes).
pub const MAX_COMPRESSED_BATCH_BYTES: usize =
    MAX_RECORDS_BATCH_BYTES + MAX_RECORDS_BATCH_BYTES / 128 + 1024;
/// Largest response on the wire.
pub const MAX_RESPONSE_BYTES: usize = 2 + 4 + 4 + MAX_COMPRESSED_BATCH_BYTES;
/// zstd level for record batches: 3, zstd's own default, made a batch of real case studies
/// about five times smaller (docs/benchmarks.md, "Catch-up").
const COMPRESSION_LEVEL: i32 = 3;

/// A request from the node that is catching up.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum SyncRequest {
    /// A negentropy reconciliation frame.
    Reconcile {
        /// The frame.
        frame: Vec<u8>,
    },
    /// Send me these records.
    Fetch {
        /// Their ids.
        ids: Vec<RecordId>,
    },
}

/// The answer.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum SyncResponse {
    /// The next negentropy frame (empty when reconciliation is complete on this side).
    Reconcile {
        /// The frame.
        frame: Vec<u8>,
    },
    /// The records asked for that this node holds, in their wire form.
    Records {
        /// Wire bytes of each record.
        records: Vec<Vec<u8>>,
    },
    /// The request was refused (rate limit, malformed request); the reason is for logs.
    Refused {
        /// Why.
        reason: String,
    },
}

/// Why sync bytes could not be decoded.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum SyncDecodeError {
    /// The message ended early.
    #[error("the sync message ends early")]
    Truncated,
    /// A newer or unknown format byte.
    #[error("sync format {0} is not supported (this node speaks {SYNC_FORMAT})")]
    Format(u8),
    /// An unknown tag.
    #[error("unknown sync message tag 0x{0:02x}")]
    Tag(u8),
    /// A length over its limit.
    #[error("{what} is {size}, at most {limit}")]
    TooLarge {
        /// Which length.
        what: &'static str,
        /// Its value.
        size: usize,
        /// The limit.
        limit: usize,
    },
    /// Bytes after the end of the message.
    #[error("{0} unexpected bytes after the sync message")]
    Trailing(usize),
    /// A refusal reason that is not UTF-8.
    #[error("the refusal reason is not UTF-8")]
    Utf8,
    /// A compressed record batch that is not a zstd frame of its announced length.
    #[error("the compressed record batch is invalid: {0}")]
    Compression(String),
}

struct Reader<'a> {
    bytes: &'a [u8],
}

impl<'a> Reader<'a> {
    fn take(&mut self, n: usize) -> Result<&'a [u8], SyncDecodeError> {
        if self.bytes.len() < n {
            return Err(SyncDecodeError::Truncated);
        }
        let (head, rest) = self.bytes.split_at(n);
        self.bytes = rest;
        Ok(head)
    }
    fn u8(&mut self) -> Result<u8, SyncDecodeError> {
        Ok(self.take(1)?[0])
    }
    fn u16(&mut self) -> Result<usize, SyncDecodeError> {
        let b = self.take(2)?;
        Ok(u16::from_be_bytes([b[0], b[1]]) as usize)
    }
    fn u32(&mut self) -> Result<usize, SyncDecodeError> {
        let b = self.take(4)?;
        Ok(u32::from_be_bytes([b[0], b[1], b[2], b[3]]) as usize)
    }
    fn bounded(
        &mut self,
        len: usize,
        what: &'static str,
        limit: usize,
    ) -> Result<&'a [u8], SyncDecodeError> {
        if len > limit {
            return Err(SyncDecodeError::TooLarge {
                what,
                size: len,
                limit,
            });
        }
        self.take(len)
    }
    fn finish(self) -> Result<(), SyncDecodeError> {
        match self.bytes.len() {
            0 => Ok(()),
            n => Err(SyncDecodeError::Trailing(n)),
        }
    }
}

fn header(bytes: &[u8]) -> Result<(u8, Reader<'_>), SyncDecodeError> {
    let mut reader = Reader { bytes };
    let format = reader.u8()?;
    if format != SYNC_FORMAT {
        return Err(SyncDecodeError::Format(format));
    }
    let tag = reader.u8()?;
    Ok((tag, reader))
}

fn put_u16(out: &mut Vec<u8>, n: usize) {
    // Callers bound n by MAX_FETCH_IDS / MAX_REASON_BYTES, both far below u16::MAX.
    out.extend_from_slice(&(n.min(u16::MAX as usize) as u16).to_be_bytes());
}

fn put_u32(out: &mut Vec<u8>, n: usize) {
    out.extend_from_slice(&(n.min(u32::MAX as usize) as u32).to_be_bytes());
}

impl SyncRequest {
    /// Encodes the request. Callers keep within the limits; `decode` enforces them.
    pub fn encode(&self) -> Vec<u8> {
        let mut out = vec![SYNC_FORMAT];
        match self {
            SyncRequest::Reconcile { frame } => {
                out.push(0x01);
                put_u32(&mut out, frame.len());
                out.extend_from_slice(frame);
            }
            SyncRequest::Fetch { ids } => {
                out.push(0x02);
                put_u16(&mut out, ids.len());
                for id in ids {
                    out.extend_from_slice(id.as_bytes());
                }
            }
        }
        out
    }

    /// Decodes a request, enforcing every limit.
    pub fn decode(bytes: &[u8]) -> Result<Self, SyncDecodeError> {
        let (tag, mut r) = header(bytes)?;
        let request = match tag {
            0x01 => {
                let len = r.u32()?;
                let frame = r
                    .bounded(len, "reconciliation frame", MAX_FRAME_BYTES)?
                    .to_vec();
                SyncRequest::Reconcile { frame }
            }
            0x02 => {
                let count = r.u16()?;
                if count > MAX_FETCH_IDS {
                    return Err(SyncDecodeError::TooLarge {
                        what: "fetch id count",
                        size: count,
                        limit: MAX_FETCH_IDS,
                    });
                }
                let mut ids = Vec::with_capacity(count);
                for _ in 0..count {
                    let mut id = [0u8; 32];
                    id.copy_from_slice(r.take(32)?);
                    ids.push(RecordId(id));
                }
                SyncRequest::Fetch { ids }
            }
            other => return Err(SyncDecodeError::Tag(other)),
        };
        r.finish()?;
        Ok(request)
    }
}

impl SyncResponse {
    /// Encodes the response. Callers keep within the limits; `decode` enforces them.
    pub fn encode(&self) -> Vec<u8> {
        let mut out = vec![SYNC_FORMAT];
        match self {
            SyncResponse::Reconcile { frame } => {
                out.push(0x81);
                put_u32(&mut out, frame.len());
                out.extend_from_slice(frame);
            }
            SyncResponse::Records { records } => {
                out.push(0x82);
                let mut batch =
                    Vec::with_capacity(2 + records.iter().map(|r| 4 + r.len()).sum::<usize>());
                put_u16(&mut batch, records.len());
                for record in records {
                    put_u32(&mut batch, record.len());
                    batch.extend_from_slice(record);
                }
                match zstd::bulk::compress(&batch, COMPRESSION_LEVEL) {
                    Ok(compressed) => {
                        put_u32(&mut out, batch.len());
                        put_u32(&mut out, compressed.len());
                        out.extend_from_slice(&compressed);
                    }
                    // Compressing in memory fails only when memory runs out; the requester is
                    // told so and tries again in its next round.
                    Err(e) => {
                        return SyncResponse::Refused {
                            reason: format!("cannot compress the records: {e}"),
                        }
                        .encode();
                    }
                }
            }
            SyncResponse::Refused { reason } => {
                out.push(0x83);
                let mut end = reason.len().min(MAX_REASON_BYTES);
                while !reason.is_char_boundary(end) {
                    end -= 1;
                }
                put_u16(&mut out, end);
                out.extend_from_slice(&reason.as_bytes()[..end]);
            }
        }
        out
    }

    /// Decodes a response, enforcing every limit.
    pub fn decode(bytes: &[u8]) -> Result<Self, SyncDecodeError> {
        let (tag, mut r) = header(bytes)?;
        let response = match tag {
            0x81 => {
                let len = r.u32()?;
                let frame = r
                    .bounded(len, "reconciliation frame", MAX_FRAME_BYTES)?
                    .to_vec();
                SyncResponse::Reconcile { frame }
            }
            0x82 => {
                let batch_len = r.u32()?;
                if batch_len > MAX_RECORDS_BATCH_BYTES {
                    return Err(SyncDecodeError::TooLarge {
                        what: "record batch",
                        size: batch_len,
                        limit: MAX_RECORDS_BATCH_BYTES,
                    });
                }
                let compressed_len = r.u32()?;
                let compressed = r.bounded(
                    compressed_len,
                    "compressed record batch",
                    MAX_COMPRESSED_BATCH_BYTES,
                )?;
                r.finish()?;
                let batch = zstd::bulk::decompress(compressed, batch_len)
                    .map_err(|e| SyncDecodeError::Compression(e.to_string()))?;
                if batch.len() != batch_len {
                    return Err(SyncDecodeError::Compression(format!(
                        "it inflates to {} bytes, {batch_len} were announced",
                        batch.len()
                    )));
                }
                return decode_batch(&batch);
            }
            0x83 => {
                let len = r.u16()?;
                let reason = r.bounded(len, "refusal reason", MAX_REASON_BYTES)?;
                let reason = std::str::from_utf8(reason).map_err(|_| SyncDecodeError::Utf8)?;
                SyncResponse::Refused {
                    reason: reason.to_owned(),
                }
            }
            other => return Err(SyncDecodeError::Tag(other)),
        };
        r.finish()?;
        Ok(response)
    }
}

/// Reads the inflated batch of a `Records` response.
fn decode_batch(batch: &[u8]) -> Result<SyncResponse, SyncDecodeError> {
    let mut r = Reader { bytes: batch };
    let count = r.u16()?;
    if count > MAX_FETCH_IDS {
        return Err(SyncDecodeError::TooLarge {
            what: "record count",
            size: count,
            limit: MAX_FETCH_IDS,
        });
    }
    let mut records = Vec::with_capacity(count);
    let mut total = 0usize;
    for _ in 0..count {
        let len = r.u32()?;
        let record = r.bounded(len, "record", Limits::MAX_WIRE_BYTES)?;
        total += len;
        if total > MAX_RECORDS_RESPONSE_BYTES {
            return Err(SyncDecodeError::TooLarge {
                what: "records response",
                size: total,
                limit: MAX_RECORDS_RESPONSE_BYTES,
            });
        }
        records.push(record.to_vec());
    }
    r.finish()?;
    Ok(SyncResponse::Records { records })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn round_trips() {
        let requests = [
            SyncRequest::Reconcile {
                frame: vec![1, 2, 3],
            },
            SyncRequest::Fetch {
                ids: vec![RecordId([7; 32]), RecordId([9; 32])],
            },
        ];
        for request in requests {
            assert_eq!(SyncRequest::decode(&request.encode()), Ok(request));
        }
        let responses = [
            SyncResponse::Reconcile { frame: vec![] },
            SyncResponse::Records {
                records: vec![b"{}".to_vec(), vec![0; 10]],
            },
            SyncResponse::Refused {
                reason: "rate limited".into(),
            },
        ];
        for response in responses {
            assert_eq!(SyncResponse::decode(&response.encode()), Ok(response));
        }
    }

    #[test]
    fn hostile_lengths_are_refused_before_allocation() {
        let huge_frame = [SYNC_FORMAT, 0x01, 0xff, 0xff, 0xff, 0xff];
        assert!(matches!(
            SyncRequest::decode(&huge_frame),
            Err(SyncDecodeError::TooLarge { .. })
        ));
        let many_ids = [SYNC_FORMAT, 0x02, 0xff, 0xff];
        assert!(matches!(
            SyncRequest::decode(&many_ids),
            Err(SyncDecodeError::TooLarge { .. })
        ));
        assert_eq!(
            SyncRequest::decode(&[1, 1]),
            Err(SyncDecodeError::Format(1)),
            "format 1 (uncompressed record batches) is no longer spoken"
        );
        assert_eq!(
            SyncRequest::decode(&[SYNC_FORMAT, 0x01, 0, 0, 0, 0, 9]),
            Err(SyncDecodeError::Trailing(1))
        );
        assert_eq!(
            SyncRequest::decode(&[SYNC_FORMAT, 0x02, 0, 1, 1]),
            Err(SyncDecodeError::Truncated)
        );
        assert_eq!(
            SyncResponse::decode(&[SYNC_FORMAT, 0x42]),
            Err(SyncDecodeError::Tag(0x42))
        );
    }

    /// A `Records` response around `compressed`, announcing `batch_len` inflated bytes.
    fn records_message(batch_len: usize, compressed: &[u8]) -> Vec<u8> {
        let mut out = vec![SYNC_FORMAT, 0x82];
        put_u32(&mut out, batch_len);
        put_u32(&mut out, compressed.len());
        out.extend_from_slice(compressed);
        out
    }

    #[test]
    fn record_batches_travel_compressed() {
        let record = br#"{"record":{"kind":"case_study","title":{"it":"Assistente virtuale"}}}"#;
        let response = SyncResponse::Records {
            records: vec![record.to_vec(); 100],
        };
        let bytes = response.encode();
        assert!(
            bytes.len() < record.len() * 10,
            "100 similar records took {} bytes",
            bytes.len()
        );
        assert_eq!(SyncResponse::decode(&bytes), Ok(response));
    }

    #[test]
    fn hostile_compressed_batches_are_refused_without_inflating_past_the_limit() {
        // Announced larger than any batch may be.
        let too_large = records_message(MAX_RECORDS_BATCH_BYTES + 1, &[]);
        assert!(matches!(
            SyncResponse::decode(&too_large),
            Err(SyncDecodeError::TooLarge {
                what: "record batch",
                ..
            })
        ));
        // A small frame that would inflate to 64 MiB: decoding stops at the announced length.
        let bomb = zstd::bulk::compress(&vec![0u8; 64 << 20], 3).expect("compress");
        assert!(bomb.len() < 64 * 1024);
        assert!(matches!(
            SyncResponse::decode(&records_message(1024, &bomb)),
            Err(SyncDecodeError::Compression(_))
        ));
        // Inflates to less than announced.
        let mut batch = vec![0, 1];
        put_u32(&mut batch, 2);
        batch.extend_from_slice(b"{}");
        let frame = zstd::bulk::compress(&batch, 3).expect("compress");
        assert!(matches!(
            SyncResponse::decode(&records_message(batch.len() + 1, &frame)),
            Err(SyncDecodeError::Compression(reason)) if reason.contains("announced")
        ));
        assert!(matches!(
            SyncResponse::decode(&records_message(batch.len(), &frame)),
            Ok(SyncResponse::Records { records }) if records == vec![b"{}".to_vec()]
        ));
        // Not zstd at all.
        assert!(matches!(
            SyncResponse::decode(&records_message(8, b"not zstd")),
            Err(SyncDecodeError::Compression(_))
        ));
        // Bytes after the last record, inside the batch.
        batch.push(7);
        let frame = zstd::bulk::compress(&batch, 3).expect("compress");
        assert_eq!(
            SyncResponse::decode(&records_message(batch.len(), &frame)),
            Err(SyncDecodeError::Trailing(1))
        );
        // A batch claiming more records than a fetch may ask for.
        let many = zstd::bulk::compress(&[0xff, 0xff], 3).expect("compress");
        assert!(matches!(
            SyncResponse::decode(&records_message(2, &many)),
            Err(SyncDecodeError::TooLarge {
                what: "record count",
                ..
            })
        ));
        // Bytes after the compressed frame.
        let mut trailing = records_message(batch.len(), &frame);
        trailing.push(0);
        assert_eq!(
            SyncResponse::decode(&trailing),
            Err(SyncDecodeError::Trailing(1))
        );
    }
}
