//! Which webhook URLs are accepted. A URL is user input that the Worker
//! will call: it must not become a way to reach what is not public.
//!
//! Production: `https://` only, no credentials in the URL, and no IP literal
//! of a loopback, private, link-local, shared, documentation or otherwise
//! non-public range (names are resolved by Cloudflare's edge, whose fetch
//! does not reach private networks). Under `wrangler dev` loopback hosts
//! are allowed too, over `http://` or `https://`, for a local receiver.

use std::net::{IpAddr, Ipv4Addr, Ipv6Addr};

use crate::domain::network::UrlTarget;
use crate::domain::Invalid;

pub const MAX_URL_CHARS: usize = 2_048;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Policy {
    Production,
    /// `WEBHOOK_LOOPBACK=1`, set by the local tooling only.
    AllowLoopback,
}

/// The URL to store (trimmed), or why not.
pub fn check(policy: Policy, text: &str) -> Result<String, Invalid> {
    let bad = |reason: &str| Invalid::new("url", reason);
    let text = text.trim();
    if text.is_empty() || text.chars().count() > MAX_URL_CHARS {
        return Err(bad("must be a URL of at most 2048 characters"));
    }
    if text.chars().any(|c| c.is_whitespace() || c.is_control()) {
        return Err(bad("must not contain spaces or control characters"));
    }
    let target = UrlTarget::parse(text).ok_or_else(|| bad("must be an absolute https:// URL"))?;
    if target.has_credentials {
        return Err(bad("must not contain a user name or password"));
    }
    let loopback = target.is_loopback();
    let allowed_scheme = match target.scheme.as_str() {
        "https" => true,
        "http" => loopback && policy == Policy::AllowLoopback,
        _ => false,
    };
    if !allowed_scheme {
        return Err(bad(
            "must use https:// (http:// only to this machine under wrangler dev)",
        ));
    }
    if loopback {
        return match policy {
            Policy::AllowLoopback => Ok(text.to_owned()),
            Policy::Production => Err(bad("must not point at this machine (a loopback address)")),
        };
    }
    if let Some(ip) = target.ip() {
        if !is_public(ip) {
            return Err(bad(
                "must not point at a private, loopback or link-local address",
            ));
        }
    }
    Ok(text.to_owned())
}

fn is_public(ip: IpAddr) -> bool {
    match ip {
        IpAddr::V4(v4) => is_public_v4(v4),
        IpAddr::V6(v6) => match v6.to_ipv4_mapped() {
            Some(v4) => is_public_v4(v4),
            None => is_public_v6(v6),
        },
    }
}

fn is_public_v4(ip: Ipv4Addr) -> bool {
    let [a, b, c, _] = ip.octets();
    !(ip.is_unspecified()
        || ip.is_loopback()
        || ip.is_private()
        || ip.is_link_local()
        || ip.is_broadcast()
        || ip.is_documentation()
        || ip.is_multicast()
        || a == 0
        || (a == 100 && (64..128).contains(&b)) // shared address space (CGNAT)
        || (a == 192 && b == 0 && c == 0) // IETF protocol assignments
        || (a == 198 && (18..20).contains(&b)) // benchmarking
        || a >= 240)
}

fn is_public_v6(ip: Ipv6Addr) -> bool {
    let first = ip.segments()[0];
    !(ip.is_unspecified()
        || ip.is_loopback()
        || ip.is_multicast()
        || (first & 0xfe00) == 0xfc00 // unique local
        || (first & 0xffc0) == 0xfe80 // link-local
        || first == 0x2001 && ip.segments()[1] == 0x0db8 // documentation
        || first == 0x0064 && ip.segments()[1] == 0xff9b) // NAT64
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn production_takes_public_https_urls_only() {
        let ok = |u: &str| check(Policy::Production, u);
        assert_eq!(
            ok(" https://hooks.slack.com/services/T0/B0/x ").as_deref(),
            Ok("https://hooks.slack.com/services/T0/B0/x")
        );
        assert!(ok("https://93.184.216.34:8443/hook").is_ok());
        assert!(ok("https://[2606:4700::1111]/hook").is_ok());
        for bad in [
            "http://example.com/hook",
            "ftp://example.com",
            "example.com/hook",
            "https://",
            "https://user:pass@example.com/",
            "https://localhost/hook",
            "https://127.0.0.1/hook",
            "https://10.1.2.3/hook",
            "https://172.16.0.1/hook",
            "https://192.168.1.1/hook",
            "https://169.254.169.254/latest/meta-data",
            "https://100.64.0.1/",
            "https://0.0.0.0/",
            "https://[::1]/hook",
            "https://[fe80::1]/hook",
            "https://[fd00::1]/hook",
            "https://[::ffff:10.0.0.1]/hook",
            "https://exa mple.com/",
        ] {
            assert!(ok(bad).is_err(), "{bad}");
        }
        let long = format!("https://example.com/{}", "a".repeat(MAX_URL_CHARS));
        assert!(ok(&long).is_err());
    }

    #[test]
    fn under_wrangler_dev_loopback_is_allowed_and_nothing_else_more() {
        let dev = |u: &str| check(Policy::AllowLoopback, u);
        assert!(dev("http://127.0.0.1:8787/hook").is_ok());
        assert!(dev("http://localhost:9000/").is_ok());
        assert!(dev("http://[::1]:9000/").is_ok());
        assert!(dev("https://127.0.0.1/").is_ok());
        assert!(dev("http://example.com/hook").is_err());
        assert!(dev("http://10.0.0.1/hook").is_err());
        assert!(dev("https://192.168.0.10/hook").is_err());
    }
}
