//! Reading a body without trusting its sender: chunks are collected only up
//! to a limit, and reading stops at the first byte past it (the rest is
//! never pulled). Used for request bodies, which may come without a
//! `Content-Length` (chunked), and for OpenRouter's answers.

use futures_util::{Stream, StreamExt};

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ReadError {
    /// More than the limit was sent.
    TooLarge,
    /// The stream failed.
    Broken,
}

/// Collects `stream` whole if it holds at most `limit` bytes.
pub async fn read_bounded<S, E>(stream: S, limit: usize) -> Result<Vec<u8>, ReadError>
where
    S: Stream<Item = Result<Vec<u8>, E>>,
{
    let mut stream = std::pin::pin!(stream);
    let mut body = Vec::new();
    while let Some(chunk) = stream.next().await {
        let chunk = chunk.map_err(|_| ReadError::Broken)?;
        if body.len() + chunk.len() > limit {
            return Err(ReadError::TooLarge);
        }
        body.extend_from_slice(&chunk);
    }
    Ok(body)
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
            block_on(read_bounded(stream::iter(chunks), 64))
                .unwrap()
                .len(),
            64
        );
    }

    #[test]
    fn stops_at_the_first_byte_past_the_limit_without_reading_on() {
        let pulled = Cell::new(0);
        // 2 MiB in 64 KiB chunks, as a chunked upload would arrive.
        let chunks = stream::iter((0..32).map(|_| Ok::<_, ()>(vec![0u8; 64 * 1024])))
            .inspect(|_| pulled.set(pulled.get() + 1));
        let limit = 64 * 1024;
        assert_eq!(
            block_on(read_bounded(chunks, limit)),
            Err(ReadError::TooLarge)
        );
        assert_eq!(pulled.get(), 2, "the rest of the body was never pulled");
    }

    #[test]
    fn one_byte_over_is_too_large() {
        let chunks = vec![Ok::<_, ()>(vec![0u8; 65]), Ok(vec![])];
        assert_eq!(
            block_on(read_bounded(stream::iter(chunks), 64)),
            Err(ReadError::TooLarge)
        );
    }

    #[test]
    fn a_broken_stream_is_an_error() {
        let chunks = vec![Ok(vec![0u8; 3]), Err("reset")];
        assert_eq!(
            block_on(read_bounded(stream::iter(chunks), 64)),
            Err(ReadError::Broken)
        );
    }
}
