//! E-mail's `[vars]`: where links point, who sends, how much per day.

use crate::domain::account::Email;
use crate::error::AppError;

/// Messages one account may be sent per UTC day by default.
pub const DEFAULT_DAILY_CAP: i64 = 20;

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct EmailSettings {
    /// `PUBLIC_URL`: the Worker's origin as users reach it, for links.
    pub public_url: String,
    /// `EMAIL_FROM`: the sender (an address of the onboarded domain).
    pub from: String,
    /// `EMAIL_DAILY_CAP` (20): messages per account and UTC day.
    pub daily_cap: i64,
}

impl EmailSettings {
    pub fn from_lookup(lookup: impl Fn(&str) -> Option<String>) -> Result<Self, AppError> {
        let missing = |name: &str| AppError::Misconfigured(format!("{name} is missing or invalid"));
        let public_url = lookup("PUBLIC_URL")
            .map(|v| v.trim().trim_end_matches('/').to_owned())
            .filter(|v| {
                (v.starts_with("https://") || v.starts_with("http://"))
                    && v.chars().all(|c| c.is_ascii_graphic())
            })
            .ok_or_else(|| missing("PUBLIC_URL"))?;
        let from = lookup("EMAIL_FROM")
            .and_then(|v| Email::parse(&v).ok())
            .ok_or_else(|| missing("EMAIL_FROM"))?;
        let daily_cap = match lookup("EMAIL_DAILY_CAP") {
            None => DEFAULT_DAILY_CAP,
            Some(v) => v
                .trim()
                .parse::<i64>()
                .ok()
                .filter(|n| (1..=1_000).contains(n))
                .ok_or_else(|| missing("EMAIL_DAILY_CAP"))?,
        };
        Ok(Self {
            public_url,
            from: from.as_str().to_owned(),
            daily_cap,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn lookup(pairs: &'static [(&'static str, &'static str)]) -> impl Fn(&str) -> Option<String> {
        move |name| {
            pairs
                .iter()
                .find(|(k, _)| *k == name)
                .map(|(_, v)| (*v).to_owned())
        }
    }

    #[test]
    fn parses_and_bounds() {
        let s = EmailSettings::from_lookup(lookup(&[
            ("PUBLIC_URL", "https://w.example/"),
            ("EMAIL_FROM", "Watcher@Example.com"),
        ]))
        .unwrap();
        assert_eq!(s.public_url, "https://w.example");
        assert_eq!(s.from, "watcher@example.com");
        assert_eq!(s.daily_cap, DEFAULT_DAILY_CAP);
        for bad in [
            &[("PUBLIC_URL", "w.example"), ("EMAIL_FROM", "a@b.co")][..],
            &[("PUBLIC_URL", "https://w.example"), ("EMAIL_FROM", "nope")][..],
            &[
                ("PUBLIC_URL", "https://w.example"),
                ("EMAIL_FROM", "a@b.co"),
                ("EMAIL_DAILY_CAP", "0"),
            ][..],
        ] {
            let pairs: &'static [(&str, &str)] = Box::leak(bad.to_vec().into_boxed_slice());
            assert!(EmailSettings::from_lookup(lookup(pairs)).is_err());
        }
    }
}
