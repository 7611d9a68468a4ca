//! What an API token may do: its scopes (one per `/api/v1` operation) and
//! its expiry. Scopes are stored as a bit set (`api_tokens.scopes`), so the
//! public path reads them with the token in the same statement and checks
//! them without parsing text.

#![deny(clippy::arithmetic_side_effects)]

use super::Invalid;
use chrono::{DateTime, Duration, Utc};

/// The furthest ahead a token's expiry may be set.
pub const MAX_LIFETIME_DAYS: i64 = 365;
/// How long an expired token's row stays (listed as expired) before the
/// weekly cleanup deletes it.
pub const EXPIRED_RETENTION_DAYS: i64 = 30;

/// One read permission of the public API: each /api/v1 operation needs one (its security requirement).
// No serde: it travels by `Scope::name` and is stored as bits, which keeps
// the Worker's wasm small; the attributes only name the schema's values.
#[derive(Debug, Clone, Copy, PartialEq, Eq, utoipa::ToSchema)]
#[schema(as = TokenScope)]
pub enum Scope {
    #[schema(rename = "stats:read")]
    StatsRead,
    #[schema(rename = "usage:read")]
    UsageRead,
    #[schema(rename = "keys:read")]
    KeysRead,
    #[schema(rename = "metrics:read")]
    MetricsRead,
}

impl Scope {
    pub const ALL: [Scope; 4] = [
        Scope::StatsRead,
        Scope::UsageRead,
        Scope::KeysRead,
        Scope::MetricsRead,
    ];

    pub const fn name(self) -> &'static str {
        match self {
            Scope::StatsRead => "stats:read",
            Scope::UsageRead => "usage:read",
            Scope::KeysRead => "keys:read",
            Scope::MetricsRead => "metrics:read",
        }
    }

    const fn bit(self) -> u8 {
        match self {
            Scope::StatsRead => 1,
            Scope::UsageRead => 2,
            Scope::KeysRead => 4,
            Scope::MetricsRead => 8,
        }
    }

    pub fn parse(text: &str) -> Option<Scope> {
        Scope::ALL.into_iter().find(|s| s.name() == text)
    }
}

/// A non-empty set of scopes.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Scopes(u8);

impl Scopes {
    /// Today's full read access: what a token gets when none are named.
    pub const ALL: Scopes = Scopes(15);

    /// The set a stored bit set holds (unknown bits ignored, so a row
    /// written by a later version grants no more than this one knows).
    pub fn from_bits(bits: i64) -> Scopes {
        Scopes(u8::try_from(bits & i64::from(Self::ALL.0)).unwrap_or(0))
    }

    pub fn bits(self) -> i64 {
        i64::from(self.0)
    }

    pub fn allows(self, scope: Scope) -> bool {
        self.0 & scope.bit() != 0
    }

    /// The scopes' names, in the order of [`Scope::ALL`].
    pub fn names(self) -> Vec<&'static str> {
        Scope::ALL
            .into_iter()
            .filter(|s| self.allows(*s))
            .map(Scope::name)
            .collect()
    }

    /// A request's `scopes`: `None` is every scope; otherwise non-empty,
    /// unique and known.
    pub fn parse(names: Option<&[String]>) -> Result<Scopes, Invalid> {
        let Some(names) = names else {
            return Ok(Scopes::ALL);
        };
        if names.is_empty() {
            return Err(Invalid::new("scopes", "must name at least one scope"));
        }
        let mut bits = 0u8;
        for name in names {
            let scope = Scope::parse(name).ok_or_else(|| {
                Invalid::new(
                    "scopes",
                    "has an unknown scope (known: stats:read, usage:read, keys:read, metrics:read)",
                )
            })?;
            if bits & scope.bit() != 0 {
                return Err(Invalid::new("scopes", "must not repeat a scope"));
            }
            bits |= scope.bit();
        }
        Ok(Scopes(bits))
    }
}

/// What a token's row grants, read with every public answer and checked
/// before anything is served, a cached answer included.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Grant {
    pub token_id: i64,
    pub last_used_at: Option<String>,
    pub scopes: Scopes,
    pub expires_at: Option<DateTime<Utc>>,
}

impl Grant {
    /// From the row's columns; a stored expiry that does not parse counts
    /// as long past (refusing is the safe reading).
    pub fn of(
        token_id: i64,
        last_used_at: Option<String>,
        scopes: i64,
        expires_at: Option<&str>,
    ) -> Grant {
        let expires_at = expires_at.map(|text| {
            DateTime::parse_from_rfc3339(text)
                .map_or(DateTime::<Utc>::MIN_UTC, |t| t.with_timezone(&Utc))
        });
        Grant {
            token_id,
            last_used_at,
            scopes: Scopes::from_bits(scopes),
            expires_at,
        }
    }

    pub fn is_expired(&self, now: DateTime<Utc>) -> bool {
        is_expired(self.expires_at, now)
    }
}

/// A request's `expires_at`: `None` (never), or an RFC 3339 UTC instant
/// after `now` and at most [`MAX_LIFETIME_DAYS`] ahead.
pub fn parse_expiry(
    text: Option<&str>,
    now: DateTime<Utc>,
) -> Result<Option<DateTime<Utc>>, Invalid> {
    let Some(text) = text else {
        return Ok(None);
    };
    let invalid = |reason: &str| Invalid::new("expires_at", reason);
    let at = (text.ends_with('Z'))
        .then(|| DateTime::parse_from_rfc3339(text).ok())
        .flatten()
        .map(|t| t.with_timezone(&Utc))
        .ok_or_else(|| invalid("must be an RFC 3339 UTC timestamp ending in Z"))?;
    if at <= now {
        return Err(invalid("must be in the future"));
    }
    let latest = Duration::try_days(MAX_LIFETIME_DAYS).and_then(|d| now.checked_add_signed(d));
    if latest.is_none_or(|latest| at > latest) {
        return Err(invalid("must be at most 365 days ahead"));
    }
    Ok(Some(at))
}

/// Whether a token with this expiry is expired at `now` (the instant itself
/// included: an expiry is the first moment the token no longer works).
pub fn is_expired(expires_at: Option<DateTime<Utc>>, now: DateTime<Utc>) -> bool {
    expires_at.is_some_and(|at| at <= now)
}

/// Tokens that expired before this instant are deleted by the cleanup;
/// `None` if the calendar cannot go back that far.
pub fn purge_before(now: DateTime<Utc>) -> Option<DateTime<Utc>> {
    Duration::try_days(EXPIRED_RETENTION_DAYS).and_then(|d| now.checked_sub_signed(d))
}

#[cfg(test)]
mod tests {
    #![allow(clippy::arithmetic_side_effects)]
    use super::*;
    use proptest::prelude::*;

    fn names(list: &[&str]) -> Vec<String> {
        list.iter().map(|s| (*s).to_owned()).collect()
    }

    #[test]
    fn scopes_parse_strictly() {
        assert_eq!(Scopes::parse(None), Ok(Scopes::ALL));
        let one = Scopes::parse(Some(&names(&["metrics:read"]))).unwrap();
        assert!(one.allows(Scope::MetricsRead) && !one.allows(Scope::UsageRead));
        assert_eq!(one.names(), ["metrics:read"]);
        for bad in [
            &[][..],
            &["usage:write"],
            &["keys:read", "keys:read"],
            &["KEYS:READ"],
        ] {
            let err = Scopes::parse(Some(&names(bad))).unwrap_err();
            assert_eq!(err.field, "scopes", "{bad:?}");
        }
        let all = Scopes::parse(Some(&names(&Scopes::ALL.names()))).unwrap();
        assert_eq!(all, Scopes::ALL);
        assert_eq!(Scopes::from_bits(all.bits()), all);
        assert_eq!(Scopes::from_bits(0xff), Scopes::ALL);
        assert_eq!(Scopes::from_bits(-1), Scopes::ALL);
    }

    #[test]
    fn scopes_are_read_back_from_their_names() {
        for scope in Scope::ALL {
            assert_eq!(Scope::parse(scope.name()), Some(scope));
        }
        assert_eq!(Scope::parse("usage"), None);
    }

    fn at(text: &str) -> DateTime<Utc> {
        DateTime::parse_from_rfc3339(text)
            .unwrap()
            .with_timezone(&Utc)
    }

    #[test]
    fn expiries_are_future_utc_and_within_a_year() {
        let now = at("2026-12-05T08:00:00Z");
        assert_eq!(parse_expiry(None, now), Ok(None));
        assert_eq!(
            parse_expiry(Some("2027-03-04T00:00:00Z"), now),
            Ok(Some(at("2027-03-04T00:00:00Z")))
        );
        assert!(parse_expiry(Some("2027-12-05T08:00:00Z"), now).is_ok());
        for bad in [
            "2026-12-05T08:00:00Z",
            "2025-01-01T00:00:00Z",
            "2027-12-05T08:00:01Z",
            "2027-01-01T00:00:00+01:00",
            "tomorrow",
        ] {
            assert_eq!(
                parse_expiry(Some(bad), now).unwrap_err().field,
                "expires_at",
                "{bad}"
            );
        }
        assert!(!is_expired(None, now));
        assert!(is_expired(Some(now), now));
        assert_eq!(purge_before(now), Some(at("2026-11-05T08:00:00Z")));
    }

    #[test]
    fn a_grant_reads_its_row_and_refuses_a_malformed_expiry() {
        let now = at("2026-12-05T08:00:00Z");
        let grant = Grant::of(3, None, 8, Some("2026-12-06T00:00:00Z"));
        assert!(grant.scopes.allows(Scope::MetricsRead) && !grant.scopes.allows(Scope::StatsRead));
        assert!(!grant.is_expired(now));
        assert!(grant.is_expired(at("2026-12-06T00:00:00Z")));
        assert!(Grant::of(3, None, 15, Some("garbage")).is_expired(now));
        assert!(!Grant::of(3, None, 15, None).is_expired(now));
    }

    proptest! {
        #[test]
        fn an_accepted_expiry_is_not_yet_expired_and_expires_within_a_year(
            now_s in 0i64..4_000_000_000, ahead_s in -100_000_000i64..100_000_000,
        ) {
            let now = DateTime::from_timestamp(now_s, 0).unwrap();
            let then = now + Duration::seconds(ahead_s);
            let text = then.to_rfc3339_opts(chrono::SecondsFormat::Secs, true);
            let parsed = parse_expiry(Some(&text), now);
            let within = ahead_s > 0 && ahead_s <= MAX_LIFETIME_DAYS * 86_400;
            prop_assert_eq!(parsed.is_ok(), within);
            if let Ok(Some(expiry)) = parsed {
                prop_assert!(!is_expired(Some(expiry), now));
                prop_assert!(is_expired(Some(expiry), then));
                prop_assert!(purge_before(then).is_some_and(|cut| cut < expiry));
            }
        }

        #[test]
        fn the_extremes_of_the_calendar_never_panic(secs in i64::MIN..i64::MAX) {
            if let Some(now) = DateTime::from_timestamp(secs / 1000, 0) {
                let _ = purge_before(now);
                let _ = parse_expiry(Some("9999-12-31T23:59:59Z"), now);
            }
        }
    }
}
