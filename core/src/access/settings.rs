//! `ACCESS_TEAM_DOMAIN` and `ACCESS_AUD`: whether this deployment signs
//! people in through Cloudflare Access, and for which application.
//!
//! Read when an Access sign-in is asked for (like the e-mail settings), so
//! a mistake in them stops that route only, with a 500 naming the
//! variable, never the rest of the product.

use super::TeamOrigin;
use crate::error::AppError;

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AccessSettings {
    pub team: TeamOrigin,
    /// The application's audience tag (`aud`), as Access shows it.
    pub audience: String,
}

impl AccessSettings {
    /// `None` when neither variable is set (or both are empty): Access is
    /// off, and the assertion header means nothing. One without the other,
    /// or a team domain that is not a host or origin, is a misconfiguration.
    pub fn from_lookup(lookup: impl Fn(&str) -> Option<String>) -> Result<Option<Self>, AppError> {
        let read = |name: &str| {
            lookup(name)
                .map(|v| v.trim().to_owned())
                .filter(|v| !v.is_empty())
        };
        match (read("ACCESS_TEAM_DOMAIN"), read("ACCESS_AUD")) {
            (None, None) => Ok(None),
            (Some(domain), Some(audience)) => {
                let team = TeamOrigin::parse(&domain).ok_or_else(|| {
                    AppError::Misconfigured(
                        "ACCESS_TEAM_DOMAIN must be a host (myteam.cloudflareaccess.com) or an https origin"
                            .to_owned(),
                    )
                })?;
                Ok(Some(Self { team, audience }))
            }
            _ => Err(AppError::Misconfigured(
                "ACCESS_TEAM_DOMAIN and ACCESS_AUD are set together or not at all".to_owned(),
            )),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn settings(pairs: &[(&str, &str)]) -> Result<Option<AccessSettings>, AppError> {
        let pairs: Vec<(String, String)> = pairs
            .iter()
            .map(|(k, v)| ((*k).to_owned(), (*v).to_owned()))
            .collect();
        AccessSettings::from_lookup(|name| {
            pairs
                .iter()
                .find(|(k, _)| k == name)
                .map(|(_, v)| v.clone())
        })
    }

    #[test]
    fn off_unless_both_are_set() {
        assert_eq!(settings(&[]), Ok(None));
        assert_eq!(
            settings(&[("ACCESS_TEAM_DOMAIN", " "), ("ACCESS_AUD", "")]),
            Ok(None)
        );
        let on = settings(&[
            ("ACCESS_TEAM_DOMAIN", "myteam.cloudflareaccess.com"),
            ("ACCESS_AUD", " tag "),
        ])
        .unwrap()
        .unwrap();
        assert_eq!(on.team.issuer(), "https://myteam.cloudflareaccess.com");
        assert_eq!(on.audience, "tag");
    }

    #[test]
    fn half_or_malformed_settings_name_the_variable() {
        for pairs in [
            &[("ACCESS_TEAM_DOMAIN", "myteam.cloudflareaccess.com")][..],
            &[("ACCESS_AUD", "tag")][..],
            &[
                ("ACCESS_TEAM_DOMAIN", "http://example.com"),
                ("ACCESS_AUD", "tag"),
            ][..],
        ] {
            let Err(AppError::Misconfigured(what)) = settings(pairs) else {
                panic!("{pairs:?}");
            };
            assert!(what.contains("ACCESS_"), "{what}");
        }
    }
}
