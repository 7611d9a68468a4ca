//! Addresses on the network: the client a per-address rate limit counts
//! against, and the host a configured or user-given URL points at.
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

/// What the Worker needs to know of an absolute URL before calling it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct UrlTarget {
    /// Lower-cased.
    pub scheme: String,
    /// A `user[:password]@` in the authority.
    pub has_credentials: bool,
    /// Lower-cased, without brackets, port or a trailing dot.
    pub host: String,
}

impl UrlTarget {
    /// `scheme://authority/...`, or `None` when there is no scheme or host.
    pub fn parse(url: &str) -> Option<UrlTarget> {
        let (scheme, rest) = url.split_once("://")?;
        let authority = rest.split(['/', '?', '#']).next().unwrap_or_default();
        let (credentials, host_port) = match authority.rsplit_once('@') {
            Some((_, host_port)) => (true, host_port),
            None => (false, authority),
        };
        let host = match host_port.strip_prefix('[') {
            Some(v6) => v6.split_once(']')?.0,
            None => host_port.rsplit_once(':').map_or(host_port, |(h, _)| h),
        };
        let host = host.trim_end_matches('.').to_ascii_lowercase();
        (!scheme.is_empty() && !host.is_empty()).then(|| UrlTarget {
            scheme: scheme.to_ascii_lowercase(),
            has_credentials: credentials,
            host,
        })
    }

    /// `localhost` (and its subdomains), `127.0.0.0/8` or `::1`.
    pub fn is_loopback(&self) -> bool {
        self.host == "localhost"
            || self.host.ends_with(".localhost")
            || self.ip().is_some_and(|ip| ip.is_loopback())
    }

    /// The host when it is an IP literal.
    pub fn ip(&self) -> Option<IpAddr> {
        self.host.parse().ok()
    }
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

    #[test]
    fn a_url_target_is_its_scheme_credentials_and_bare_host() {
        let t = UrlTarget::parse("HTTPS://User:pw@Hooks.Example.COM.:8443/a?b#c").unwrap();
        assert_eq!(t.scheme, "https");
        assert!(t.has_credentials);
        assert_eq!(t.host, "hooks.example.com");
        assert!(!t.is_loopback());
        let v6 = UrlTarget::parse("http://[::1]:9000/x").unwrap();
        assert_eq!(v6.host, "::1");
        assert!(v6.is_loopback() && !v6.has_credentials);
        // The host is what follows the last '@': the one actually called.
        let sneaky = UrlTarget::parse("http://127.0.0.1@example.com/").unwrap();
        assert_eq!(sneaky.host, "example.com");
        assert!(!sneaky.is_loopback());
        for loopback in [
            "http://localhost",
            "http://api.localhost:1/",
            "http://127.9.0.3/",
        ] {
            assert!(
                UrlTarget::parse(loopback).unwrap().is_loopback(),
                "{loopback}"
            );
        }
        for none in [
            "example.com/x",
            "https://",
            "https:///x",
            "://x",
            "http://[::1/",
        ] {
            assert_eq!(UrlTarget::parse(none), None, "{none}");
        }
    }
}
