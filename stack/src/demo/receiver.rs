//! A webhook receiver on this machine for the demo: it answers every
//! `POST` with 200 and appends what it got (time, path, body) as one JSON
//! line to a log, so a newcomer sees an alert actually delivered without an
//! account anywhere. Plain HTTP/1.1 on loopback, one request per
//! connection, as the Worker's `fetch` sends them.

use std::fs::OpenOptions;
use std::io::{BufRead, BufReader, Read, Write};
use std::net::{TcpListener, TcpStream};
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Arc;
use std::time::Duration;

type Result<T> = std::result::Result<T, String>;

/// Bodies larger than this are cut (the product's are a few KB).
const MAX_BODY: usize = 256 * 1024;

pub struct Receiver {
    pub port: u16,
    pub log: PathBuf,
    received: Arc<AtomicUsize>,
}

impl Receiver {
    /// Listens on `127.0.0.1:port` on a thread of its own for the life of
    /// the process.
    pub fn start(port: u16, log: &Path) -> Result<Receiver> {
        let listener = TcpListener::bind(("127.0.0.1", port))
            .map_err(|e| format!("the demo's webhook receiver on 127.0.0.1:{port}: {e}"))?;
        let received = Arc::new(AtomicUsize::new(0));
        let (count, path) = (received.clone(), log.to_path_buf());
        std::thread::spawn(move || {
            for stream in listener.incoming().flatten() {
                if let Ok(line) = answer(stream) {
                    let appended = OpenOptions::new()
                        .create(true)
                        .append(true)
                        .open(&path)
                        .and_then(|mut f| writeln!(f, "{line}"));
                    if appended.is_ok() {
                        count.fetch_add(1, Ordering::SeqCst);
                    }
                }
            }
        });
        Ok(Receiver {
            port,
            log: log.to_path_buf(),
            received,
        })
    }

    pub fn url(&self) -> String {
        format!("http://127.0.0.1:{}/demo-hook", self.port)
    }

    /// Deliveries received since the receiver started.
    pub fn received(&self) -> usize {
        self.received.load(Ordering::SeqCst)
    }
}

/// Reads one request, answers 200, and returns its log line.
fn answer(mut stream: TcpStream) -> std::io::Result<String> {
    stream.set_read_timeout(Some(Duration::from_secs(10)))?;
    let mut reader = BufReader::new(stream.try_clone()?);
    let mut request_line = String::new();
    reader.read_line(&mut request_line)?;
    let mut length = 0_usize;
    loop {
        let mut header = String::new();
        if reader.read_line(&mut header)? == 0 || header.trim().is_empty() {
            break;
        }
        if let Some((name, value)) = header.split_once(':') {
            if name.trim().eq_ignore_ascii_case("content-length") {
                length = value.trim().parse().unwrap_or(0).min(MAX_BODY);
            }
        }
    }
    let mut body = vec![0_u8; length];
    reader.read_exact(&mut body)?;
    stream.write_all(b"HTTP/1.1 200 OK\r\ncontent-length: 2\r\nconnection: close\r\n\r\nok")?;
    let path = request_line
        .split_whitespace()
        .nth(1)
        .unwrap_or("")
        .to_owned();
    let body = String::from_utf8_lossy(&body);
    let body: serde_json::Value =
        serde_json::from_str(&body).unwrap_or_else(|_| serde_json::Value::from(body.as_ref()));
    Ok(serde_json::json!({ "path": path, "body": body }).to_string())
}
