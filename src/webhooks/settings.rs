//! A webhook's channel settings as requests give them: its filters
//! (`event_kinds`, `min_severity`) and PagerDuty's routing key, checked
//! (422 naming the field) before anything is stored.

use super::views::WebhookFormat;
use crate::domain::severity::{self, Severity};
use crate::error::{AppError, AppResult};

/// `event_kinds` as stored: a JSON array, or `None` for every kind.
pub fn kinds(given: Option<&[String]>) -> AppResult<Option<String>> {
    given
        .map(|list| {
            let kinds = severity::parse_kinds(list)?;
            serde_json::to_string(&kinds).map_err(AppError::internal)
        })
        .transpose()
}

pub fn min_severity(given: Option<&str>) -> AppResult<Option<Severity>> {
    Ok(given.map(Severity::parse).transpose()?)
}

/// A PagerDuty integration key: 32 letters and digits.
pub fn routing_key(given: &str) -> AppResult<String> {
    let valid = given.len() == 32 && given.bytes().all(|b| b.is_ascii_alphanumeric());
    if !valid {
        return Err(AppError::invalid(
            "routing_key",
            "must be a PagerDuty Events API v2 integration key (32 letters and digits)",
        ));
    }
    Ok(given.to_owned())
}

/// A routing key belongs to a PagerDuty webhook, and a PagerDuty webhook
/// needs one: given now, or `stored` already (and kept).
pub fn check_routing_key(
    format: WebhookFormat,
    given: Option<&str>,
    stored: bool,
) -> AppResult<Option<String>> {
    match (format, given) {
        (WebhookFormat::Pagerduty, Some(key)) => routing_key(key).map(Some),
        (WebhookFormat::Pagerduty, None) if stored => Ok(None),
        (WebhookFormat::Pagerduty, None) => Err(AppError::invalid(
            "routing_key",
            "is required for a pagerduty webhook (its integration key)",
        )),
        (_, Some(_)) => Err(AppError::invalid(
            "routing_key",
            "is only for a pagerduty webhook",
        )),
        (_, None) => Ok(None),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const KEY: &str = "R0123456789abcdef0123456789abcde";

    fn field(err: AppError) -> String {
        err.to_string()
    }

    #[test]
    fn filters_are_stored_as_json_and_bad_ones_name_their_field() {
        assert_eq!(kinds(None).unwrap(), None);
        let list = ["key".to_owned(), "budget.recovered".to_owned()];
        assert_eq!(
            kinds(Some(&list)).unwrap().as_deref(),
            Some(r#"["key","budget.recovered"]"#)
        );
        assert!(field(kinds(Some(&["nope".to_owned()])).unwrap_err()).contains("event_kinds"));
        assert_eq!(
            min_severity(Some("critical")).unwrap(),
            Some(Severity::Critical)
        );
        assert!(field(min_severity(Some("high")).unwrap_err()).contains("min_severity"));
    }

    #[test]
    fn a_routing_key_goes_with_pagerduty_only() {
        let pd = WebhookFormat::Pagerduty;
        assert_eq!(
            check_routing_key(pd, Some(KEY), false).unwrap().as_deref(),
            Some(KEY)
        );
        assert_eq!(check_routing_key(pd, None, true).unwrap(), None);
        for bad in [
            check_routing_key(pd, None, false),
            check_routing_key(pd, Some("short"), false),
            check_routing_key(pd, Some(&format!("{}!", &KEY[..31])), false),
            check_routing_key(WebhookFormat::Discord, Some(KEY), false),
        ] {
            assert!(field(bad.unwrap_err()).contains("routing_key"));
        }
        assert_eq!(
            check_routing_key(WebhookFormat::Json, None, true).unwrap(),
            None
        );
    }
}
