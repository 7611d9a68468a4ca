//! One `GET` over a plain socket, every step bounded: the launcher runs
//! outside any async runtime and needs no HTTP stack.

use std::io::{Read, Write};
use std::net::{SocketAddr, TcpStream};
use std::time::Duration;

/// How long connecting, sending and reading the answer may each take.
const TIMEOUT: Duration = Duration::from_secs(5);

/// The status and body of `GET path` on `127.0.0.1:port`, or `None` when
/// nothing answers.
pub fn get(port: u16, path: &str) -> Option<(u16, String)> {
    let addr = SocketAddr::from(([127, 0, 0, 1], port));
    let mut stream = TcpStream::connect_timeout(&addr, TIMEOUT).ok()?;
    stream.set_read_timeout(Some(TIMEOUT)).ok()?;
    stream.set_write_timeout(Some(TIMEOUT)).ok()?;
    write!(
        stream,
        "GET {path} HTTP/1.1\r\nHost: 127.0.0.1:{port}\r\nConnection: close\r\n\r\n"
    )
    .ok()?;
    // Until the body is complete, not until EOF: wrangler's proxy may keep
    // the connection open for seconds after `Connection: close`. A read
    // that fails leaves what came before it.
    let mut bytes = Vec::new();
    let mut buf = [0u8; 8192];
    while let Ok(n @ 1..) = stream.read(&mut buf) {
        bytes.extend_from_slice(buf.get(..n)?);
        if complete(&String::from_utf8_lossy(&bytes)) {
            break;
        }
    }
    parse(&String::from_utf8_lossy(&bytes))
}

/// Whether `response` holds its whole body by its `Content-Length`.
fn complete(response: &str) -> bool {
    let Some((head, body)) = response.split_once("\r\n\r\n") else {
        return false;
    };
    head.lines()
        .filter_map(|line| line.split_once(':'))
        .find(|(name, _)| name.trim().eq_ignore_ascii_case("content-length"))
        .and_then(|(_, value)| value.trim().parse::<usize>().ok())
        .is_some_and(|length| body.len() >= length)
}

fn parse(response: &str) -> Option<(u16, String)> {
    let status = response.split_whitespace().nth(1)?.parse().ok()?;
    let body = response
        .split_once("\r\n\r\n")
        .map(|(_, body)| body.to_owned())
        .unwrap_or_default();
    Some((status, body))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn an_answer_is_its_status_and_body() {
        assert_eq!(
            parse("HTTP/1.1 503 Service Unavailable\r\nA: b\r\n\r\n{\"x\":1}"),
            Some((503, "{\"x\":1}".to_owned()))
        );
        assert_eq!(parse("HTTP/1.1 200 OK\r\n"), Some((200, String::new())));
        assert_eq!(parse("garbage"), None);
        assert!(complete("HTTP/1.1 200 OK\r\ncontent-length: 2\r\n\r\n{}"));
        assert!(!complete("HTTP/1.1 200 OK\r\nContent-Length: 3\r\n\r\n{}"));
        assert!(!complete("HTTP/1.1 200 OK\r\n\r\n{}"));
    }
}
