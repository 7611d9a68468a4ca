//! A tiny HTTP/1.1 client for loopback servers (plain HTTP, one connection
//! per request, every step bounded), enough to wait for a server, seed the
//! demo and drive the Worker, the simulator and the reference app from
//! xtask, without an HTTP stack or an async runtime.

use std::io::{Read, Write};
use std::net::{SocketAddr, TcpStream};
use std::time::Duration;

type Result<T> = std::result::Result<T, String>;

pub struct Response {
    pub status: u16,
    pub body: String,
}

impl Response {
    pub fn json(&self) -> Result<serde_json::Value> {
        serde_json::from_str(&self.body).map_err(|e| {
            format!(
                "answer is not JSON ({e}): {}",
                self.body.chars().take(300).collect::<String>()
            )
        })
    }
}

#[derive(Clone, Copy)]
pub struct Client {
    pub port: u16,
    pub timeout: Duration,
}

impl Client {
    pub fn new(port: u16) -> Self {
        Client {
            port,
            timeout: Duration::from_secs(60),
        }
    }

    pub fn with_timeout(self, timeout: Duration) -> Self {
        Client { timeout, ..self }
    }

    pub fn base(&self) -> String {
        format!("http://127.0.0.1:{}", self.port)
    }

    pub fn get(&self, path: &str, bearer: Option<&str>) -> Result<Response> {
        self.send("GET", path, bearer, None)
    }

    pub fn post(&self, path: &str, bearer: Option<&str>, json: &str) -> Result<Response> {
        self.send("POST", path, bearer, Some(json))
    }

    pub fn send(
        &self,
        method: &str,
        path: &str,
        bearer: Option<&str>,
        body: Option<&str>,
    ) -> Result<Response> {
        let what = format!("{method} {}{path}", self.base());
        let addr = SocketAddr::from(([127, 0, 0, 1], self.port));
        let mut stream = TcpStream::connect_timeout(&addr, Duration::from_secs(5))
            .map_err(|e| format!("{what}: {e}"))?;
        stream
            .set_read_timeout(Some(self.timeout))
            .and_then(|()| stream.set_write_timeout(Some(self.timeout)))
            .map_err(|e| format!("{what}: {e}"))?;
        let mut head = format!(
            "{method} {path} HTTP/1.1\r\nHost: 127.0.0.1:{}\r\nConnection: close\r\nAccept: */*\r\n",
            self.port
        );
        if let Some(token) = bearer {
            head.push_str(&format!("Authorization: Bearer {token}\r\n"));
        }
        let body = body.unwrap_or("");
        if method != "GET" {
            head.push_str(&format!(
                "Content-Type: application/json\r\nContent-Length: {}\r\n",
                body.len()
            ));
        }
        head.push_str("\r\n");
        stream
            .write_all(head.as_bytes())
            .and_then(|()| stream.write_all(body.as_bytes()))
            .map_err(|e| format!("{what}: {e}"))?;
        // Read until the body is complete, not until EOF: wrangler's proxy
        // may keep the connection open for seconds after `Connection: close`.
        let mut raw = Vec::new();
        let mut buf = [0u8; 16 * 1024];
        loop {
            let n = stream.read(&mut buf).map_err(|e| format!("{what}: {e}"))?;
            if n == 0 {
                break;
            }
            raw.extend_from_slice(&buf[..n]);
            if is_complete(&raw) {
                break;
            }
        }
        parse_response(&raw).map_err(|e| format!("{what}: {e}"))
    }
}

/// A client of a server the stack's launcher started (or of its
/// simulator).
pub trait Reach {
    fn client(&self) -> Client;
}

impl Reach for crate::Server {
    fn client(&self) -> Client {
        Client::new(self.port)
    }
}

impl Reach for crate::SimHandle {
    fn client(&self) -> Client {
        Client::new(self.addr().port())
    }
}

enum Framing {
    Length(usize),
    Chunked,
    UntilClose,
}

/// The status and how the body is delimited, from the response head.
fn head_info(head: &str) -> (Option<u16>, Framing) {
    let mut lines = head.lines();
    let status = lines
        .next()
        .and_then(|l| l.split_whitespace().nth(1))
        .and_then(|s| s.parse::<u16>().ok());
    let mut framing = match status {
        Some(204 | 304) => Framing::Length(0),
        _ => Framing::UntilClose,
    };
    for line in lines {
        let Some((name, value)) = line.split_once(':') else {
            continue;
        };
        let (name, value) = (name.trim().to_ascii_lowercase(), value.trim());
        if name == "transfer-encoding" && value.to_ascii_lowercase().contains("chunked") {
            framing = Framing::Chunked;
            break;
        }
        if name == "content-length" {
            if let Ok(n) = value.parse() {
                framing = Framing::Length(n);
            }
        }
    }
    (status, framing)
}

fn header_end(raw: &[u8]) -> Option<usize> {
    raw.windows(4).position(|w| w == b"\r\n\r\n")
}

fn is_complete(raw: &[u8]) -> bool {
    let Some(split) = header_end(raw) else {
        return false;
    };
    let payload = &raw[split + 4..];
    match head_info(&String::from_utf8_lossy(&raw[..split])).1 {
        Framing::Length(n) => payload.len() >= n,
        Framing::Chunked => payload.ends_with(b"0\r\n\r\n") && dechunk(payload).is_ok(),
        Framing::UntilClose => false,
    }
}

fn parse_response(raw: &[u8]) -> Result<Response> {
    let split = header_end(raw).ok_or("truncated response (no header end)")?;
    let head = String::from_utf8_lossy(&raw[..split]);
    let payload = &raw[split + 4..];
    let (status, framing) = head_info(&head);
    let status = status.ok_or_else(|| format!("bad status line in {head:?}"))?;
    let body = match framing {
        Framing::Chunked => dechunk(payload)?,
        Framing::Length(n) => payload.get(..n).ok_or("truncated body")?.to_vec(),
        Framing::UntilClose => payload.to_vec(),
    };
    Ok(Response {
        status,
        body: String::from_utf8_lossy(&body).into_owned(),
    })
}

fn dechunk(mut data: &[u8]) -> Result<Vec<u8>> {
    let mut out = Vec::new();
    loop {
        let line_end = data
            .windows(2)
            .position(|w| w == b"\r\n")
            .ok_or("bad chunked body")?;
        let size_text = String::from_utf8_lossy(&data[..line_end]);
        let size_text = size_text.split(';').next().unwrap_or("").trim();
        let size = usize::from_str_radix(size_text, 16)
            .map_err(|_| format!("bad chunk size {size_text:?}"))?;
        data = &data[line_end + 2..];
        if size == 0 {
            return Ok(out);
        }
        if data.len() < size {
            return Err("truncated chunk".into());
        }
        out.extend_from_slice(&data[..size]);
        data = data.get(size + 2..).unwrap_or(&[]);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_plain_and_chunked_answers() {
        let plain = parse_response(b"HTTP/1.1 201 Created\r\nContent-Length: 2\r\n\r\n{}").unwrap();
        assert_eq!((plain.status, plain.body.as_str()), (201, "{}"));
        let chunked = parse_response(
            b"HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n3\r\nabc\r\n2;x=y\r\nde\r\n0\r\n\r\n",
        )
        .unwrap();
        assert_eq!((chunked.status, chunked.body.as_str()), (200, "abcde"));
        assert!(!is_complete(
            b"HTTP/1.1 200 OK\r\nContent-Length: 3\r\n\r\nab"
        ));
        assert!(is_complete(
            b"HTTP/1.1 200 OK\r\ncontent-length: 3\r\n\r\nabc"
        ));
        assert!(is_complete(b"HTTP/1.1 204 No Content\r\n\r\n"));
        assert!(!is_complete(
            b"HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n3\r\nabc\r\n"
        ));
        assert!(!is_complete(b"HTTP/1.1 200 OK\r\n\r\nabc"));
    }
}
