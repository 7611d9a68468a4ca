//! The client network a per-address rate limit counts against.
//!
//! An IPv4 address is one client. An IPv6 client typically holds a whole
//! /64 (and picks a fresh address in it at will), so IPv6 addresses count
//! by their /64 prefix; otherwise one client could rotate through 2^64
//! buckets.

use std::net::{IpAddr, Ipv6Addr};

/// The bucket key of a client address as Cloudflare reports it
/// (`CF-Connecting-IP`): the IPv4 address, or the IPv6 /64 prefix. Anything
/// else (absent, malformed) shares one `unknown` bucket.
pub fn client_network(reported: Option<&str>) -> String {
    match reported
        .map(str::trim)
        .and_then(|ip| ip.parse::<IpAddr>().ok())
    {
        Some(IpAddr::V4(v4)) => v4.to_string(),
        Some(IpAddr::V6(v6)) => match v6.to_ipv4_mapped() {
            Some(v4) => v4.to_string(),
            None => {
                let s = v6.segments();
                let prefix = Ipv6Addr::new(s[0], s[1], s[2], s[3], 0, 0, 0, 0);
                format!("{prefix}/64")
            }
        },
        None => "unknown".to_owned(),
    }
}

/// Whether the reported client address is this machine (`127.0.0.0/8`,
/// `::1`): local development, never a client on Cloudflare.
pub fn is_loopback(reported: Option<&str>) -> bool {
    reported
        .map(str::trim)
        .and_then(|ip| ip.parse::<IpAddr>().ok())
        .is_some_and(|ip| ip.is_loopback())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ipv4_addresses_are_their_own_bucket() {
        assert_eq!(client_network(Some("203.0.113.7")), "203.0.113.7");
        assert_eq!(client_network(Some(" 203.0.113.7 ")), "203.0.113.7");
    }

    #[test]
    fn ipv6_addresses_share_their_64() {
        let a = client_network(Some("2001:db8:1:2:aaaa::1"));
        let b = client_network(Some("2001:db8:1:2:ffff:ffff:ffff:ffff"));
        let other = client_network(Some("2001:db8:1:3::1"));
        assert_eq!(a, "2001:db8:1:2::/64");
        assert_eq!(a, b);
        assert_ne!(a, other);
    }

    #[test]
    fn mapped_ipv4_is_the_ipv4_address() {
        assert_eq!(client_network(Some("::ffff:198.51.100.9")), "198.51.100.9");
    }

    #[test]
    fn only_this_machine_is_loopback() {
        for local in ["127.0.0.1", "127.9.0.3", "::1"] {
            assert!(is_loopback(Some(local)), "{local}");
        }
        for other in [None, Some("unknown"), Some("10.0.0.1"), Some("2001:db8::1")] {
            assert!(!is_loopback(other), "{other:?}");
        }
    }

    #[test]
    fn anything_else_shares_the_unknown_bucket() {
        for reported in [None, Some(""), Some("not an ip"), Some("1.2.3.4:80")] {
            assert_eq!(client_network(reported), "unknown", "{reported:?}");
        }
    }
}
