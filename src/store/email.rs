//! `email_addresses` and `email_sends`: the organisation's address and every
//! message asked for (the daily cap counts the sent ones).

use serde::Deserialize;
use worker::D1Database;

use crate::args;
use crate::error::AppResult;

#[derive(Debug, Clone, Deserialize)]
pub struct AddressRow {
    pub org_id: i64,
    pub address: String,
    pub status: String,
    pub nonce: String,
    pub confirmed_at: Option<String>,
    pub updated_at: String,
    /// The person who set the address (`None` once they are deleted): a
    /// link's click is recorded as theirs.
    pub set_by: Option<i64>,
}

pub async fn get(db: &D1Database, org_id: i64) -> AppResult<Option<AddressRow>> {
    super::first(
        db,
        "SELECT org_id, address, status, nonce, confirmed_at, updated_at, set_by
         FROM email_addresses WHERE org_id = ?1",
        args![org_id],
    )
    .await
}

/// Sets a new, unconfirmed address with a new nonce (older links die).
pub async fn set_unconfirmed(
    db: &D1Database,
    (org_id, set_by): (i64, i64),
    address: &str,
    nonce: &str,
    now: &str,
) -> AppResult<usize> {
    super::run(
        db,
        "INSERT INTO email_addresses (org_id, address, status, nonce, confirmed_at, updated_at, set_by)
         VALUES (?1, ?2, 'unconfirmed', ?3, NULL, ?4, ?5)
         ON CONFLICT (org_id) DO UPDATE SET address = excluded.address, status = 'unconfirmed',
             nonce = excluded.nonce, confirmed_at = NULL, updated_at = excluded.updated_at,
             set_by = excluded.set_by",
        args![org_id, address, nonce, now, set_by],
    )
    .await
}

/// Moves the address whose nonce the link carried to `status` (from
/// `from`); 0 when it changed since.
pub async fn set_status(
    db: &D1Database,
    org_id: i64,
    nonce: &str,
    from: [&str; 2],
    status: &str,
    now: &str,
) -> AppResult<usize> {
    let [from_a, from_b] = from;
    super::run(
        db,
        "UPDATE email_addresses
         SET status = ?4, updated_at = ?5,
             confirmed_at = CASE WHEN ?4 = 'confirmed' THEN ?5 ELSE confirmed_at END
         WHERE org_id = ?1 AND nonce = ?2
           AND status IN (?3, ?6)",
        args![org_id, nonce, from_a, status, now, from_b],
    )
    .await
}

/// Takes one of the day's `cap` messages for the account: a `sent` row
/// when under the cap (its id), else a `capped` row and `None`. One
/// statement each, so two senders at once cannot both take the last one.
pub async fn take_send(
    db: &D1Database,
    org_id: i64,
    day: &str,
    purpose: &str,
    cap: i64,
    now: &str,
) -> AppResult<Option<i64>> {
    let taken = super::first_id(
        db,
        "INSERT INTO email_sends (org_id, day, purpose, status, created_at)
         SELECT ?1, ?2, ?3, 'sent', ?5
         WHERE (SELECT COUNT(*) FROM email_sends
                WHERE org_id = ?1 AND day = ?2 AND status = 'sent') < ?4
         RETURNING id",
        args![org_id, day, purpose, cap, now],
    )
    .await?;
    if taken.is_none() {
        super::run(
            db,
            "INSERT INTO email_sends (org_id, day, purpose, status, created_at)
             VALUES (?1, ?2, ?3, 'capped', ?4)",
            args![org_id, day, purpose, now],
        )
        .await?;
    }
    Ok(taken)
}

/// The binding refused a message: it does not count against the cap.
pub async fn mark_failed(db: &D1Database, id: i64) -> AppResult<usize> {
    super::run(
        db,
        "UPDATE email_sends SET status = 'failed' WHERE id = ?1",
        args![id],
    )
    .await
}

#[derive(Debug, Clone, Default, Deserialize)]
pub struct DayCounts {
    pub sent: i64,
    pub capped: i64,
}

/// The account's messages of `day`, sent and refused by the cap.
pub async fn day_counts(db: &D1Database, org_id: i64, day: &str) -> AppResult<DayCounts> {
    Ok(super::first(
        db,
        "SELECT COALESCE(SUM(status = 'sent'), 0) AS sent,
                COALESCE(SUM(status = 'capped'), 0) AS capped
         FROM email_sends WHERE org_id = ?1 AND day = ?2",
        args![org_id, day],
    )
    .await?
    .unwrap_or_default())
}

/// Where an account's alerts go by e-mail: its confirmed address and the
/// least severity it asked for; `None` when it asked for none or has no
/// confirmed address.
#[derive(Debug, Clone, Deserialize)]
pub struct AlertTarget {
    pub severity: String,
    pub address: String,
    pub nonce: String,
}

pub async fn alert_target(db: &D1Database, org_id: i64) -> AppResult<Option<AlertTarget>> {
    super::first(
        db,
        "SELECT o.alert_email_severity AS severity, a.address, a.nonce
         FROM organisations o JOIN email_addresses a ON a.org_id = o.id
         WHERE o.id = ?1 AND o.alert_email_severity IS NOT NULL AND a.status = 'confirmed'",
        args![org_id],
    )
    .await
}

/// An event not mailed yet.
#[derive(Debug, Clone, Deserialize)]
pub struct UnmailedEvent {
    pub id: i64,
    #[serde(rename = "type")]
    pub kind: String,
}

/// The account's events raised since `since` and not mailed, oldest first
/// (at most `limit`).
pub async fn unmailed_events(
    db: &D1Database,
    org_id: i64,
    since: &str,
    limit: i64,
) -> AppResult<Vec<UnmailedEvent>> {
    super::all(
        db,
        "SELECT id, type FROM alert_events
         WHERE org_id = ?1 AND emailed_at IS NULL AND created_at >= ?2
         ORDER BY id LIMIT ?3",
        args![org_id, since, limit],
    )
    .await
}

/// A mailed event's payload.
#[derive(Debug, Clone, Deserialize)]
pub struct ClaimedEvent {
    pub id: i64,
    pub payload: String,
}

/// Marks events `ids` (a JSON array) mailed and returns those this caller
/// marked: another run that claimed one first gets it, this one does not.
pub async fn claim_events(
    db: &D1Database,
    org_id: i64,
    ids: &str,
    now: &str,
) -> AppResult<Vec<ClaimedEvent>> {
    super::all(
        db,
        "UPDATE alert_events SET emailed_at = ?3
         WHERE org_id = ?1 AND emailed_at IS NULL AND id IN (SELECT value FROM json_each(?2))
         RETURNING id, payload",
        args![org_id, ids, now],
    )
    .await
}
