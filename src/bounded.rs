//! Reading a body without trusting its sender: chunks are collected only up
//! to a limit. Used for request bodies, which may come without a
//! `Content-Length` (chunked), and for OpenRouter's answers.
//!
//! Past the limit, what happens to the rest depends on who is sending.
//! OpenRouter's answer is simply dropped. A client's request body is
//! drained (read and thrown away, up to [`Drain::UpTo`]) before the 413 is
//! sent: a request answered while its body is still arriving leaves the
//! connection half-read, and under `wrangler dev` the local proxy then
//! answers that request, or the next one on its pooled connection, with a
//! 503 "Your worker restarted mid-request" (measured: 32 of 50 fast 2 MiB
//! chunked uploads; none in 400 rounds once drained). On Cloudflare it
//! makes the client see the 413 instead of a reset.

use futures_util::{Stream, StreamExt};

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ReadError {
    /// More than the limit was sent.
    TooLarge,
    /// The stream failed.
    Broken,
}

/// What to do with the rest of a body that passed the limit.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Drain {
    /// Stop reading (the stream is cancelled when dropped).
    No,
    /// Read and discard up to this many bytes in all, then stop.
    UpTo(usize),
}

/// A client's oversized body is drained up to this (8 MiB) before its 413.
pub const REQUEST_DRAIN_BYTES: usize = 8 * 1024 * 1024;

/// Collects `stream` whole if it holds at most `limit` bytes.
pub async fn read_bounded<S, E>(stream: S, limit: usize, drain: Drain) -> Result<Vec<u8>, ReadError>
where
    S: Stream<Item = Result<Vec<u8>, E>>,
{
    let mut stream = std::pin::pin!(stream);
    let mut body = Vec::new();
    while let Some(chunk) = stream.next().await {
        let chunk = chunk.map_err(|_| ReadError::Broken)?;
        let read = body.len().saturating_add(chunk.len());
        if read > limit {
            drop(body);
            if let Drain::UpTo(cap) = drain {
                discard(&mut stream, read, cap).await;
            }
            return Err(ReadError::TooLarge);
        }
        body.extend_from_slice(&chunk);
    }
    Ok(body)
}

/// Reads and throws away the rest of the stream until it ends, fails, or
/// `cap` bytes were read in all.
async fn discard<S, E>(stream: &mut std::pin::Pin<&mut S>, mut read: usize, cap: usize)
where
    S: Stream<Item = Result<Vec<u8>, E>>,
{
    while read <= cap {
        match stream.next().await {
            Some(Ok(chunk)) => read = read.saturating_add(chunk.len()),
            Some(Err(_)) | None => return,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use futures_util::stream;
    use std::cell::Cell;

    fn block_on<F: std::future::Future>(future: F) -> F::Output {
        futures_util::FutureExt::now_or_never(future).expect("ready stream")
    }

    #[test]
    fn reads_up_to_the_limit_exactly() {
        let chunks = vec![Ok::<_, ()>(vec![1u8; 40]), Ok(vec![2u8; 24])];
        assert_eq!(
            block_on(read_bounded(stream::iter(chunks), 64, Drain::No))
                .unwrap()
                .len(),
            64
        );
    }

    #[test]
    fn an_answer_past_the_limit_is_not_read_on() {
        let pulled = Cell::new(0);
        // 2 MiB in 64 KiB chunks.
        let chunks = stream::iter((0..32).map(|_| Ok::<_, ()>(vec![0u8; 64 * 1024])))
            .inspect(|_| pulled.set(pulled.get() + 1));
        let limit = 64 * 1024;
        assert_eq!(
            block_on(read_bounded(chunks, limit, Drain::No)),
            Err(ReadError::TooLarge)
        );
        assert_eq!(pulled.get(), 2, "the rest of the body was never pulled");
    }

    #[test]
    fn a_request_past_the_limit_is_drained_up_to_the_cap_then_refused() {
        let pulled = Cell::new(0);
        // A 2 MiB chunked upload: read to its end, kept nowhere.
        let chunks = stream::iter((0..32).map(|_| Ok::<_, ()>(vec![0u8; 64 * 1024])))
            .inspect(|_| pulled.set(pulled.get() + 1));
        let limit = 64 * 1024;
        assert_eq!(
            block_on(read_bounded(
                chunks,
                limit,
                Drain::UpTo(REQUEST_DRAIN_BYTES)
            )),
            Err(ReadError::TooLarge)
        );
        assert_eq!(pulled.get(), 32, "the whole body was read");
        // An endless one stops at the cap.
        let pulled = Cell::new(0);
        let endless = stream::iter(std::iter::repeat_with(|| Ok::<_, ()>(vec![0u8; 1024])))
            .inspect(|_| pulled.set(pulled.get() + 1));
        assert_eq!(
            block_on(read_bounded(endless, 10 * 1024, Drain::UpTo(100 * 1024))),
            Err(ReadError::TooLarge)
        );
        assert_eq!(pulled.get(), 101);
    }

    #[test]
    fn one_byte_over_is_too_large() {
        let chunks = vec![Ok::<_, ()>(vec![0u8; 65]), Ok(vec![])];
        assert_eq!(
            block_on(read_bounded(stream::iter(chunks), 64, Drain::No)),
            Err(ReadError::TooLarge)
        );
    }

    #[test]
    fn a_broken_stream_is_an_error() {
        let chunks = vec![Ok(vec![0u8; 3]), Err("reset")];
        assert_eq!(
            block_on(read_bounded(stream::iter(chunks), 64, Drain::No)),
            Err(ReadError::Broken)
        );
    }
}
