//! Ports for servers that bind them later.

use std::net::TcpListener;
use std::sync::atomic::{AtomicU32, Ordering};

/// Lowest port handed out.
const LOW: u32 = 10_000;

/// A port free now on 127.0.0.1 and out of reach of every other server of
/// the run: those (the simulators, the webhook receivers, workerd's inner
/// sockets) bind port 0 and so get ports of the kernel's ephemeral range,
/// and this picks below it. A server binds it seconds after this check; a
/// port picked by binding 0 and letting go could be taken by one of them in
/// between (seen in CI with a receiver's port). Successive calls walk the
/// range from an offset of this process's own, so two processes picking at
/// once rarely meet (and a start that meets one anyway is tried again).
pub fn free_port() -> Result<u16, String> {
    static NEXT: AtomicU32 = AtomicU32::new(0);
    let high = ephemeral_start().min(65_536);
    if high > LOW + 1_000 {
        let span = high - LOW;
        let start = (std::process::id() % 997) * 37;
        for _ in 0..span {
            let n = NEXT.fetch_add(1, Ordering::SeqCst);
            let Ok(port) = u16::try_from(LOW + (start + n) % span) else {
                continue;
            };
            if TcpListener::bind(("127.0.0.1", port)).is_ok() {
                return Ok(port);
            }
        }
    }
    TcpListener::bind("127.0.0.1:0")
        .and_then(|l| l.local_addr())
        .map(|a| a.port())
        .map_err(|e| format!("no free port on 127.0.0.1: {e}"))
}

/// The first port of the kernel's ephemeral range.
fn ephemeral_start() -> u32 {
    std::fs::read_to_string("/proc/sys/net/ipv4/ip_local_port_range")
        .ok()
        .and_then(|range| range.split_whitespace().next()?.parse().ok())
        .unwrap_or(32_768)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ports_are_free_distinct_and_below_the_ephemeral_range() {
        let (a, b) = (free_port().unwrap(), free_port().unwrap());
        assert_ne!(a, b);
        for port in [a, b] {
            assert!(u32::from(port) >= LOW && u32::from(port) < ephemeral_start());
            if let Err(e) = TcpListener::bind(("127.0.0.1", port)) {
                // Who holds it, so that a rare failure names the other party.
                let holders = std::process::Command::new("ss")
                    .args(["-tanp", &format!("sport = :{port}")])
                    .output()
                    .map(|o| String::from_utf8_lossy(&o.stdout).into_owned())
                    .unwrap_or_default();
                panic!("port {port} was free a moment ago and now is not ({e}):\n{holders}");
            }
        }
    }
}
