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

/// What the Worker needs to know of an absolute URL before calling it, as
/// the runtime will read it: parsed by the `url` crate, which implements
/// the WHATWG URL standard workerd's `fetch` follows. So `https://127.1/`,
/// `https://0x7f000001/` or `%2e` dots are the loopback address they are,
/// not a name; a host that is not ASCII is refused (no Unicode mapping).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct UrlTarget {
    /// Lower-cased.
    pub scheme: String,
    /// A user name or password in the URL.
    pub has_credentials: bool,
    pub host: Host,
    /// The URL serialised by the parser: what is checked is what is called.
    pub normalized: String,
}

/// A URL's host as the parser reads it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Host {
    /// A name: lower-cased, punycode for IDNs, without a trailing dot.
    Domain(String),
    Ip(IpAddr),
}

impl UrlTarget {
    /// `None` when the text is not an absolute URL with a host.
    pub fn parse(text: &str) -> Option<UrlTarget> {
        let url = url::Url::parse(text).ok()?;
        let host = match url.host()? {
            url::Host::Domain(name) => {
                let name = name.trim_end_matches('.').to_ascii_lowercase();
                if name.is_empty() {
                    return None;
                }
                Host::Domain(name)
            }
            url::Host::Ipv4(v4) => Host::Ip(IpAddr::V4(v4)),
            url::Host::Ipv6(v6) => Host::Ip(IpAddr::V6(v6)),
        };
        Some(UrlTarget {
            scheme: url.scheme().to_owned(),
            has_credentials: !url.username().is_empty() || url.password().is_some(),
            host,
            normalized: url.to_string(),
        })
    }

    /// `localhost` (and its subdomains), `127.0.0.0/8` or `::1` (also as an
    /// IPv4-mapped address).
    pub fn is_loopback(&self) -> bool {
        match &self.host {
            Host::Domain(name) => name == "localhost" || name.ends_with(".localhost"),
            Host::Ip(IpAddr::V6(v6)) => {
                v6.is_loopback() || v6.to_ipv4_mapped().is_some_and(|v4| v4.is_loopback())
            }
            Host::Ip(ip) => ip.is_loopback(),
        }
    }

    /// The host when it is an IP address.
    pub fn ip(&self) -> Option<IpAddr> {
        match self.host {
            Host::Ip(ip) => Some(ip),
            Host::Domain(_) => None,
        }
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
    fn a_url_target_is_its_scheme_credentials_and_host_as_the_runtime_reads_them() {
        let t = UrlTarget::parse("HTTPS://User:pw@Hooks.Example.COM.:8443/a?b#c").unwrap();
        assert_eq!(t.scheme, "https");
        assert!(t.has_credentials);
        assert_eq!(t.host, Host::Domain("hooks.example.com".into()));
        assert!(!t.is_loopback());
        let v6 = UrlTarget::parse("http://[::1]:9000/x").unwrap();
        assert_eq!(v6.ip(), Some("::1".parse().unwrap()));
        assert!(v6.is_loopback() && !v6.has_credentials);
        // The host is what follows the last '@': the one actually called.
        let sneaky = UrlTarget::parse("http://127.0.0.1@example.com/").unwrap();
        assert_eq!(sneaky.host, Host::Domain("example.com".into()));
        assert!(!sneaky.is_loopback());
        for loopback in [
            "http://localhost",
            "http://api.localhost:1/",
            "http://127.9.0.3/",
            "https://2130706433/",
            "https://0x7f000001/",
            "https://0177.0.0.1/",
            "https://127.1/",
            "https://127%2e0%2e0%2e1/",
            "https://[::ffff:127.0.0.1]/",
            "https://example.com\\@127.0.0.1/",
        ] {
            let target = UrlTarget::parse(loopback);
            // A backslash ends the authority: that last one calls example.com.
            if loopback.contains('\\') {
                assert_eq!(
                    target.map(|t| t.host),
                    Some(Host::Domain("example.com".into()))
                );
                continue;
            }
            assert!(target.is_some_and(|t| t.is_loopback()), "{loopback}");
        }
        assert_eq!(
            UrlTarget::parse("https://example.com").map(|t| t.normalized),
            Some("https://example.com/".to_owned())
        );
        for none in [
            "example.com/x",
            "https://",
            "://x",
            "http://[::1/",
            "https://exa mple.com/",
            // Host names are mapped in ASCII only (core's manifest): full-
            // width digits are refused, not read as 127.0.0.1.
            "https://\u{ff11}\u{ff12}\u{ff17}.0.0.1/",
            "https://b\u{fc}cher.example/",
        ] {
            assert_eq!(UrlTarget::parse(none), None, "{none}");
        }
    }
}
