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
    let start = (std::process::id() % 997) * 37;
    if let Some(port) = walk(start, ephemeral_start(), |port| {
        TcpListener::bind(("127.0.0.1", port)).is_ok()
    }) {
        return Ok(port);
    }
    TcpListener::bind("127.0.0.1:0")
        .and_then(|l| l.local_addr())
        .map(|a| a.port())
        .map_err(|e| format!("no free port on 127.0.0.1: {e}"))
}

/// The next port from `LOW` up to below `ephemeral` (walked from `start`,
/// successive calls going on where the last stopped) that `is_free` says is
/// free; `None` when the range is too small or none is.
fn walk(start: u32, ephemeral: u32, is_free: impl Fn(u16) -> bool) -> Option<u16> {
    static NEXT: AtomicU32 = AtomicU32::new(0);
    let high = ephemeral.min(65_536);
    if high <= LOW + 1_000 {
        return None;
    }
    let span = high - LOW;
    for _ in 0..span {
        let n = NEXT.fetch_add(1, Ordering::SeqCst);
        let Ok(port) = u16::try_from(LOW + (start.wrapping_add(n)) % span) else {
            continue;
        };
        if is_free(port) {
            return Some(port);
        }
    }
    None
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
    fn ports_are_distinct_and_below_the_ephemeral_range() {
        let (a, b) = (free_port().unwrap(), free_port().unwrap());
        assert_ne!(a, b);
        for port in [a, b] {
            assert!(u32::from(port) >= LOW && u32::from(port) < ephemeral_start());
        }
        // Whether each is still free is not asked here: any process on the
        // machine may bind it by now (seen twice in CI). What is ours to
        // test is that the walk skips what is taken, below.
    }

    #[test]
    fn the_walk_skips_taken_ports_and_stays_in_its_range() {
        use std::collections::HashSet;
        let taken: HashSet<u16> = (10_000..10_050).chain(12_000..12_010).collect();
        let mut seen = HashSet::new();
        for _ in 0..200 {
            let port = walk(0, 32_768, |p| !taken.contains(&p)).unwrap();
            assert!(!taken.contains(&port), "{port} is taken");
            assert!((10_000..32_768).contains(&port), "{port}");
            assert!(seen.insert(port), "{port} handed out twice");
        }
        // Nothing free, or no room below the ephemeral range: no port.
        assert_eq!(walk(0, 32_768, |_| false), None);
        assert_eq!(walk(0, 10_500, |_| true), None);
        // An offset at the top of u32 wraps instead of overflowing.
        assert!(walk(u32::MAX, 32_768, |_| true).is_some());
    }
}
