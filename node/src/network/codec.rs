//! The raw-bytes codec for the sync request-response protocol.
//!
//! A sync exchange is one request and one response, each an opaque byte string. The
//! request-response handler closes the writing half of the stream after each message, so a
//! message is simply "everything until end of stream": no length prefix is needed. What *is*
//! needed is a hard limit, because the bytes come from a remote peer: the reader takes at most
//! `limit + 1` bytes and fails with [`FrameTooLarge`] if it got more than `limit`, so a hostile
//! peer can never make us buffer more than the configured maximum.

use std::{fmt, io};

use futures::{AsyncRead, AsyncReadExt, AsyncWrite, AsyncWriteExt};
use libp2p::{StreamProtocol, request_response};

/// The error carried inside an [`io::Error`] when a sync message exceeds its size limit.
///
/// It travels inside `io::Error` because that is what the request-response codec trait
/// returns; [`FrameTooLarge::find`] gets it back out so the caller can report a typed error.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct FrameTooLarge {
    /// Which kind of message was too large.
    pub kind: FrameKind,
    /// The configured maximum, in bytes.
    pub limit: usize,
}

/// Whether an oversized sync message was a request or a response.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum FrameKind {
    /// A sync request.
    Request,
    /// A sync response.
    Response,
}

impl fmt::Display for FrameTooLarge {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let kind = match self.kind {
            FrameKind::Request => "sync request",
            FrameKind::Response => "sync response",
        };
        write!(f, "{kind} is larger than the limit of {} bytes", self.limit)
    }
}

impl std::error::Error for FrameTooLarge {}

impl FrameTooLarge {
    fn into_io(self) -> io::Error {
        io::Error::new(io::ErrorKind::InvalidData, self)
    }

    /// Finds a [`FrameTooLarge`] wrapped in an I/O error, if there is one.
    pub fn find(error: &io::Error) -> Option<FrameTooLarge> {
        error
            .get_ref()
            .and_then(|inner| inner.downcast_ref::<FrameTooLarge>())
            .copied()
    }
}

/// Reads and writes sync messages as raw bytes, enforcing size limits in both directions.
#[derive(Debug, Clone)]
pub struct SyncCodec {
    max_request_bytes: usize,
    max_response_bytes: usize,
}

impl SyncCodec {
    /// Creates a codec that refuses requests above `max_request_bytes` and responses above
    /// `max_response_bytes`, whether reading or writing them.
    pub fn new(max_request_bytes: usize, max_response_bytes: usize) -> Self {
        Self {
            max_request_bytes,
            max_response_bytes,
        }
    }
}

async fn read_limited<T>(io: &mut T, limit: usize, kind: FrameKind) -> io::Result<Vec<u8>>
where
    T: AsyncRead + Unpin + Send,
{
    let mut buffer = Vec::new();
    // Reading one byte more than allowed is how we tell "exactly at the limit" from "over it".
    let cap = u64::try_from(limit).unwrap_or(u64::MAX).saturating_add(1);
    io.take(cap).read_to_end(&mut buffer).await?;
    if buffer.len() > limit {
        return Err(FrameTooLarge { kind, limit }.into_io());
    }
    Ok(buffer)
}

async fn write_limited<T>(io: &mut T, data: &[u8], limit: usize, kind: FrameKind) -> io::Result<()>
where
    T: AsyncWrite + Unpin + Send,
{
    if data.len() > limit {
        return Err(FrameTooLarge { kind, limit }.into_io());
    }
    io.write_all(data).await?;
    io.flush().await
}

impl request_response::Codec for SyncCodec {
    type Protocol = StreamProtocol;
    type Request = Vec<u8>;
    type Response = Vec<u8>;

    async fn read_request<T>(&mut self, _: &StreamProtocol, io: &mut T) -> io::Result<Vec<u8>>
    where
        T: AsyncRead + Unpin + Send,
    {
        read_limited(io, self.max_request_bytes, FrameKind::Request).await
    }

    async fn read_response<T>(&mut self, _: &StreamProtocol, io: &mut T) -> io::Result<Vec<u8>>
    where
        T: AsyncRead + Unpin + Send,
    {
        read_limited(io, self.max_response_bytes, FrameKind::Response).await
    }

    async fn write_request<T>(
        &mut self,
        _: &StreamProtocol,
        io: &mut T,
        request: Vec<u8>,
    ) -> io::Result<()>
    where
        T: AsyncWrite + Unpin + Send,
    {
        write_limited(io, &request, self.max_request_bytes, FrameKind::Request).await
    }

    async fn write_response<T>(
        &mut self,
        _: &StreamProtocol,
        io: &mut T,
        response: Vec<u8>,
    ) -> io::Result<()>
    where
        T: AsyncWrite + Unpin + Send,
    {
        write_limited(io, &response, self.max_response_bytes, FrameKind::Response).await
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn reads_a_message_exactly_at_the_limit() {
        let data = vec![7u8; 100];
        let mut reader = futures::io::Cursor::new(data.clone());
        let read = read_limited(&mut reader, 100, FrameKind::Request).await;
        assert_eq!(read.expect("at the limit is allowed"), data);
    }

    #[tokio::test]
    async fn refuses_a_message_one_byte_over_the_limit() {
        let mut reader = futures::io::Cursor::new(vec![7u8; 101]);
        let error = read_limited(&mut reader, 100, FrameKind::Response)
            .await
            .expect_err("over the limit must fail");
        assert_eq!(
            FrameTooLarge::find(&error),
            Some(FrameTooLarge {
                kind: FrameKind::Response,
                limit: 100
            })
        );
    }

    #[tokio::test]
    async fn refuses_to_write_a_message_over_the_limit() {
        let mut sink = futures::io::Cursor::new(Vec::new());
        let error = write_limited(&mut sink, &[1u8; 11], 10, FrameKind::Request)
            .await
            .expect_err("over the limit must fail");
        assert!(FrameTooLarge::find(&error).is_some());
        assert!(sink.get_ref().is_empty(), "nothing may be written");
    }
}
