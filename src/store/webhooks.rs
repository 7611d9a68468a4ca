//! `webhooks` and `webhook_deliveries`. The signing secret exists here only
//! sealed (AES-256-GCM, bound to its row).

use serde::Deserialize;
use worker::D1Database;

use super::int_bool;
use crate::args;
use crate::error::AppResult;

#[derive(Debug, Clone, Deserialize)]
pub struct WebhookRow {
    pub id: i64,
    pub name: String,
    pub url: String,
    pub format: String,
    #[serde(deserialize_with = "int_bool")]
    pub is_active: bool,
    pub created_at: String,
    pub updated_at: String,
    pub last_status: Option<String>,
    pub last_at: Option<String>,
    /// NULL: every kind; else a JSON array of kinds and families.
    pub event_kinds: Option<String>,
    pub min_severity: String,
    #[serde(deserialize_with = "int_bool")]
    pub has_routing_key: bool,
}

const VIEW: &str = "SELECT w.id, w.name, w.url, w.format, w.is_active, w.created_at, w.updated_at,
        w.event_kinds, w.min_severity, w.routing_key_ciphertext IS NOT NULL AS has_routing_key,
        d.status AS last_status, d.updated_at AS last_at
     FROM webhooks w
     LEFT JOIN webhook_deliveries d ON d.id =
         (SELECT id FROM webhook_deliveries WHERE webhook_id = w.id ORDER BY id DESC LIMIT 1)";

pub async fn list(db: &D1Database, org_id: i64) -> AppResult<Vec<WebhookRow>> {
    super::all(
        db,
        &format!("{VIEW} WHERE w.org_id = ?1 ORDER BY w.id"),
        args![org_id],
    )
    .await
}

pub async fn get(db: &D1Database, org_id: i64, id: i64) -> AppResult<Option<WebhookRow>> {
    super::first(
        db,
        &format!("{VIEW} WHERE w.id = ?1 AND w.org_id = ?2"),
        args![id, org_id],
    )
    .await
}

/// The new row's id, without its secret (the seal needs the id; [`seal`]
/// completes it); `None` when the account already has `max` webhooks.
pub struct NewWebhook<'a> {
    pub org_id: i64,
    /// The creating session's JWT id.
    pub session: &'a str,
    pub name: &'a str,
    pub url: &'a str,
    pub format: &'a str,
    /// JSON array, or `None` for every kind.
    pub event_kinds: Option<&'a str>,
    pub min_severity: &'a str,
}

pub async fn insert_unsealed(
    db: &D1Database,
    new: &NewWebhook<'_>,
    max: i64,
    now: &str,
) -> AppResult<Option<i64>> {
    super::first_id(
        db,
        "INSERT INTO webhooks (org_id, name, url, format, created_at, updated_at, created_by_session,
             event_kinds, min_severity)
         SELECT ?1, ?2, ?3, ?4, ?5, ?5, ?7, ?8, ?9
         WHERE (SELECT COUNT(*) FROM webhooks WHERE org_id = ?1) < ?6
         RETURNING id",
        args![
            new.org_id,
            new.name,
            new.url,
            new.format,
            now,
            max,
            new.session,
            new.event_kinds,
            new.min_severity
        ],
    )
    .await
}

/// Pauses the user's active webhooks created by any session but `session`
/// (or before sessions were recorded); how many.
pub async fn pause_others(
    db: &D1Database,
    org_id: i64,
    session: &str,
    now: &str,
) -> AppResult<usize> {
    super::run(
        db,
        "UPDATE webhooks SET is_active = 0, updated_at = ?3
         WHERE org_id = ?1 AND is_active = 1
           AND (created_by_session IS NULL OR created_by_session <> ?2)",
        args![org_id, session, now],
    )
    .await
}

/// Stores the signing secret and a PagerDuty routing key, each sealed
/// (ciphertext, nonce), at once.
pub async fn seal(
    db: &D1Database,
    id: i64,
    secret: (&str, &str),
    routing_key: Option<(&str, &str)>,
) -> AppResult<usize> {
    super::run(
        db,
        "UPDATE webhooks SET secret_ciphertext = ?2, secret_nonce = ?3,
             routing_key_ciphertext = ?4, routing_key_nonce = ?5
         WHERE id = ?1",
        args![
            id,
            secret.0,
            secret.1,
            routing_key.map(|k| k.0),
            routing_key.map(|k| k.1)
        ],
    )
    .await
}

/// Removes a row whose secret could not be sealed.
pub async fn remove_unsealed(db: &D1Database, id: i64) -> AppResult<usize> {
    super::run(
        db,
        "DELETE FROM webhooks WHERE id = ?1 AND secret_ciphertext IS NULL",
        args![id],
    )
    .await
}

pub struct Changes<'a> {
    pub name: Option<&'a str>,
    pub url: Option<&'a str>,
    pub format: Option<&'a str>,
    pub is_active: Option<bool>,
    /// `Some(None)`: every kind again.
    pub event_kinds: Option<Option<&'a str>>,
    pub min_severity: Option<&'a str>,
    /// A new routing key, sealed (ciphertext, nonce). Without one, the
    /// stored key stays while the format is `pagerduty` and goes otherwise.
    pub routing_key: Option<(&'a str, &'a str)>,
}

pub async fn update(
    db: &D1Database,
    org_id: i64,
    id: i64,
    c: &Changes<'_>,
    now: &str,
) -> AppResult<bool> {
    Ok(super::run(
        db,
        "UPDATE webhooks SET name = COALESCE(?3, name), url = COALESCE(?4, url),
             format = COALESCE(?5, format), is_active = COALESCE(?6, is_active), updated_at = ?7,
             event_kinds = CASE WHEN ?8 THEN ?9 ELSE event_kinds END,
             min_severity = COALESCE(?10, min_severity),
             routing_key_ciphertext = CASE WHEN COALESCE(?5, format) = 'pagerduty'
                 THEN COALESCE(?11, routing_key_ciphertext) END,
             routing_key_nonce = CASE WHEN COALESCE(?5, format) = 'pagerduty'
                 THEN COALESCE(?12, routing_key_nonce) END
         WHERE id = ?1 AND org_id = ?2",
        args![
            id,
            org_id,
            c.name,
            c.url,
            c.format,
            c.is_active,
            now,
            c.event_kinds.is_some(),
            c.event_kinds.flatten(),
            c.min_severity,
            c.routing_key.map(|k| k.0),
            c.routing_key.map(|k| k.1)
        ],
    )
    .await?
        > 0)
}

/// Deletes a webhook (its deliveries go with it); its name, `None` when
/// the user has no such webhook.
pub async fn delete(db: &D1Database, org_id: i64, id: i64) -> AppResult<Option<String>> {
    let deleted: Option<super::Named> = super::first(
        db,
        "DELETE FROM webhooks WHERE id = ?1 AND org_id = ?2 RETURNING name",
        args![id, org_id],
    )
    .await?;
    Ok(deleted.map(|row| row.name))
}

/// A delivery with its event, as the log shows it.
#[derive(Debug, Clone, Deserialize)]
pub struct DeliveryRow {
    pub id: i64,
    pub status: String,
    pub attempts: String,
    pub created_at: String,
    pub delivered_at: Option<String>,
    pub event_id: i64,
    pub event_payload: String,
    pub event_created_at: String,
    #[serde(default)]
    pub total: Option<i64>,
}

const DELIVERY: &str = "SELECT d.id, d.status, d.attempts, d.created_at, d.delivered_at,
        e.id AS event_id, e.payload AS event_payload, e.created_at AS event_created_at";

pub async fn deliveries(
    db: &D1Database,
    webhook_id: i64,
    limit: i64,
    offset: i64,
) -> AppResult<Vec<DeliveryRow>> {
    super::all(
        db,
        &format!(
            "{DELIVERY}, COUNT(*) OVER () AS total
             FROM webhook_deliveries d JOIN alert_events e ON e.id = d.event_id
             WHERE d.webhook_id = ?1 ORDER BY d.id DESC LIMIT ?2 OFFSET ?3"
        ),
        args![webhook_id, limit, offset],
    )
    .await
}

pub async fn delivery(db: &D1Database, id: i64) -> AppResult<Option<DeliveryRow>> {
    super::first(
        db,
        &format!(
            "{DELIVERY} FROM webhook_deliveries d JOIN alert_events e ON e.id = d.event_id WHERE d.id = ?1"
        ),
        args![id],
    )
    .await
}

/// A delivery to attempt: where, how, and what.
#[derive(Debug, Clone, Deserialize)]
pub struct DueRow {
    pub id: i64,
    pub attempt_count: i64,
    pub attempts: String,
    pub created_at: String,
    pub webhook_id: i64,
    pub org_id: i64,
    pub url: String,
    pub format: String,
    pub secret_ciphertext: Option<String>,
    pub secret_nonce: Option<String>,
    pub routing_key_ciphertext: Option<String>,
    pub routing_key_nonce: Option<String>,
    pub event_id: i64,
    pub event_type: String,
    pub event_payload: String,
    pub event_created_at: String,
}

const DUE: &str = "SELECT d.id, d.attempt_count, d.attempts, d.created_at,
        w.id AS webhook_id, w.org_id, w.url, w.format, w.secret_ciphertext, w.secret_nonce,
        w.routing_key_ciphertext, w.routing_key_nonce,
        e.id AS event_id, e.type AS event_type, e.payload AS event_payload, e.created_at AS event_created_at
     FROM webhook_deliveries d
     JOIN webhooks w ON w.id = d.webhook_id
     JOIN alert_events e ON e.id = d.event_id";

/// Deliveries waiting for a try (a claim that ran out, of a run that died,
/// counts as waiting; a retry only once its wait is over), at most `limit`,
/// taken round-robin across accounts, fresh ones before retries, at most
/// `per_account` of one account. Test deliveries are never taken: they are
/// tried in their request only, and one whose request died is closed as
/// failed here.
pub async fn due(
    db: &D1Database,
    now: &str,
    limit: i64,
    per_account: i64,
) -> AppResult<Vec<DueRow>> {
    super::run(
        db,
        "UPDATE webhook_deliveries SET status = 'failed', claimed_until = NULL, updated_at = ?1
         WHERE status = 'sending' AND claimed_until < ?1
           AND event_id IN (SELECT id FROM alert_events WHERE type = 'test')",
        args![now],
    )
    .await?;
    super::all(
        db,
        &format!(
            "WITH waiting AS (
                 SELECT d.id, ROW_NUMBER() OVER (
                          PARTITION BY w.org_id ORDER BY d.attempt_count > 0, d.id) AS turn
                 FROM webhook_deliveries d
                 JOIN webhooks w ON w.id = d.webhook_id
                 JOIN alert_events e ON e.id = d.event_id
                 WHERE (d.status IN ('pending', 'retrying') OR (d.status = 'sending' AND d.claimed_until < ?1))
                   AND (d.next_attempt_at IS NULL OR d.next_attempt_at <= ?1)
                   AND w.is_active = 1 AND e.type <> 'test')
             {DUE} JOIN waiting ON waiting.id = d.id
             WHERE waiting.turn <= ?3
             ORDER BY waiting.turn, d.attempt_count > 0, d.id LIMIT ?2"
        ),
        args![now, limit, per_account],
    )
    .await
}

/// Claims a delivery for this run until `until`; `false` when another run
/// holds it (or it is done), so it is not sent twice.
pub async fn claim(db: &D1Database, id: i64, now: &str, until: &str) -> AppResult<bool> {
    Ok(super::run(
        db,
        "UPDATE webhook_deliveries SET status = 'sending', claimed_until = ?3
         WHERE id = ?1 AND (status IN ('pending', 'retrying') OR (status = 'sending' AND claimed_until < ?2))",
        args![id, now, until],
    )
    .await?
        == 1)
}

pub async fn due_one(db: &D1Database, id: i64) -> AppResult<Option<DueRow>> {
    super::first(db, &format!("{DUE} WHERE d.id = ?1"), args![id]).await
}

/// What a run's tries came to.
pub struct Outcome<'a> {
    pub status: &'a str,
    pub attempts_json: &'a str,
    pub attempt_count: i64,
    /// When a `retrying` delivery may be tried again.
    pub next_attempt_at: Option<&'a str>,
}

/// Stores the outcome of a run's tries.
pub async fn record_attempts(
    db: &D1Database,
    id: i64,
    outcome: &Outcome<'_>,
    now: &str,
) -> AppResult<usize> {
    super::run(
        db,
        "UPDATE webhook_deliveries SET status = ?2, attempts = ?3, attempt_count = ?4, updated_at = ?5,
             claimed_until = NULL, next_attempt_at = ?6,
             delivered_at = CASE WHEN ?2 = 'delivered' THEN ?5 ELSE delivered_at END
         WHERE id = ?1",
        args![
            id,
            outcome.status,
            outcome.attempts_json,
            outcome.attempt_count,
            now,
            outcome.next_attempt_at
        ],
    )
    .await
}

pub async fn count_deliveries(db: &D1Database, webhook_id: i64) -> AppResult<i64> {
    super::count(
        db,
        "SELECT COUNT(*) AS n FROM webhook_deliveries WHERE webhook_id = ?1",
        args![webhook_id],
    )
    .await
}
