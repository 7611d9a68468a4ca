//! When to retry an OpenRouter call, and after how long.
//!
//! 429 and 5xx are retried, as are dropped connections; 4xx other than 429
//! never are (they will not change). Backoff doubles from 1 s; a
//! `Retry-After` from OpenRouter is honoured as given. A wait longer than
//! [`MAX_WAIT_SECS`] is not slept through: the call gives up and the key is
//! picked up again by the next hourly run.

pub const MAX_ATTEMPTS: u32 = 3;
pub const MAX_WAIT_SECS: u64 = 20;

/// The wait before attempt `attempt + 1` (attempts count from 1), or `None`
/// to give up.
pub fn next_wait_ms(attempt: u32, retryable: bool, retry_after_secs: Option<u64>) -> Option<u64> {
    if !retryable || attempt >= MAX_ATTEMPTS {
        return None;
    }
    let wait_secs = retry_after_secs.unwrap_or(1 << (attempt - 1));
    (wait_secs <= MAX_WAIT_SECS).then_some(wait_secs * 1000)
}

pub fn is_retryable_status(status: u16) -> bool {
    status == 429 || (500..=599).contains(&status)
}

/// `Retry-After` as delta-seconds (the form OpenRouter sends); HTTP dates
/// are not used by it and fall back to the default backoff.
pub fn parse_retry_after(value: Option<&str>) -> Option<u64> {
    value?.trim().parse::<u64>().ok()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn backs_off_exponentially_then_gives_up() {
        assert_eq!(next_wait_ms(1, true, None), Some(1000));
        assert_eq!(next_wait_ms(2, true, None), Some(2000));
        assert_eq!(next_wait_ms(3, true, None), None);
    }

    #[test]
    fn honours_retry_after_within_the_cap() {
        assert_eq!(next_wait_ms(1, true, Some(1)), Some(1000));
        assert_eq!(next_wait_ms(1, true, Some(0)), Some(0));
        assert_eq!(next_wait_ms(1, true, Some(3600)), None);
    }

    #[test]
    fn never_retries_what_will_not_change() {
        assert_eq!(next_wait_ms(1, false, None), None);
        assert!(is_retryable_status(429));
        assert!(is_retryable_status(503));
        assert!(!is_retryable_status(401));
        assert!(!is_retryable_status(400));
    }

    #[test]
    fn parses_delta_seconds_only() {
        assert_eq!(parse_retry_after(Some(" 7 ")), Some(7));
        assert_eq!(
            parse_retry_after(Some("Wed, 21 Oct 2015 07:28:00 GMT")),
            None
        );
        assert_eq!(parse_retry_after(None), None);
    }
}
