//! What `/api/webhooks` answers and reads: a webhook without its secret,
//! the creation answer with it, a delivery with its event and tries.

use serde::Serialize;
use utoipa::ToSchema;
use watcher_core::api_doc::vocabulary;

use super::attempts::{Attempt, DeliveryStatus};
use crate::domain::event;
use crate::domain::page::Pagination;
use crate::domain::severity::{EventKindFilter, Severity};
use crate::store::webhooks::{DeliveryRow, WebhookRow};

pub use watcher_core::webhooks::channels::WebhookFormat;

#[derive(Serialize, ToSchema)]
struct LastDelivery {
    #[schema(value_type = DeliveryStatus, inline)]
    status: String,
    #[schema(value_type = vocabulary::schemas::Timestamp)]
    at: String,
}

#[derive(Serialize, ToSchema)]
#[schema(
    as = Webhook,
    description = "Where alerts are delivered. Never contains the signing secret."
)]
pub struct WebhookView {
    #[schema(minimum = 1, maximum = 9007199254740991_i64)]
    id: i64,
    #[schema(value_type = vocabulary::schemas::Name)]
    name: String,
    #[schema(min_length = 8, max_length = 2048)]
    url: String,
    #[schema(value_type = WebhookFormat, inline)]
    format: String,
    is_active: bool,
    /// The kinds (`budget.threshold_reached`) and families (`budget`: every `budget.*`) it receives; null: every kind.
    #[schema(value_type = Option<Vec<EventKindFilter>>, required = true, max_items = 20)]
    event_kinds: Option<Vec<String>>,
    /// The least severity it receives (a test is always sent).
    #[schema(value_type = Severity, inline)]
    min_severity: String,
    /// Whether a PagerDuty routing key is stored (sealed; it is never shown).
    has_routing_key: bool,
    #[schema(value_type = vocabulary::schemas::Timestamp)]
    created_at: String,
    #[schema(value_type = vocabulary::schemas::Timestamp)]
    updated_at: String,
    #[schema(inline, required = true)]
    last_delivery: Option<LastDelivery>,
}

impl From<WebhookRow> for WebhookView {
    fn from(row: WebhookRow) -> Self {
        let last_delivery = row
            .last_status
            .zip(row.last_at)
            .map(|(status, at)| LastDelivery { status, at });
        Self {
            id: row.id,
            name: row.name,
            url: row.url,
            format: row.format,
            is_active: row.is_active,
            event_kinds: row
                .event_kinds
                .as_deref()
                .and_then(|kinds| serde_json::from_str(kinds).ok()),
            min_severity: row.min_severity,
            has_routing_key: row.has_routing_key,
            created_at: row.created_at,
            updated_at: row.updated_at,
            last_delivery,
        }
    }
}

/// The creation answer: the only one that carries the signing secret.
#[derive(Serialize, ToSchema)]
#[schema(description = "The new webhook and its signing secret, shown this once.")]
pub struct CreatedWebhook {
    #[serde(flatten)]
    pub webhook: WebhookView,
    #[schema(pattern = "^whsec_[A-Za-z0-9_-]{43}$")]
    pub secret: String,
}

#[derive(Serialize, ToSchema)]
pub struct WebhookList {
    #[schema(max_items = 10)]
    pub webhooks: Vec<WebhookView>,
}

#[derive(Serialize, ToSchema)]
#[schema(as = Delivery)]
pub struct DeliveryView {
    #[schema(minimum = 1, maximum = 9007199254740991_i64)]
    id: i64,
    #[schema(value_type = vocabulary::schemas::AlertEvent)]
    event: serde_json::Value,
    /// `sending`: a run holds it now.
    #[schema(value_type = DeliveryStatus, inline)]
    status: String,
    #[schema(max_items = 9)]
    attempts: Vec<Attempt>,
    #[schema(value_type = vocabulary::schemas::Timestamp)]
    created_at: String,
    #[schema(value_type = vocabulary::schemas::NullableTimestamp)]
    delivered_at: Option<String>,
}

impl From<DeliveryRow> for DeliveryView {
    fn from(row: DeliveryRow) -> Self {
        Self {
            id: row.id,
            event: event::render(row.event_id, &row.event_created_at, &row.event_payload),
            status: row.status,
            attempts: serde_json::from_str(&row.attempts).unwrap_or_default(),
            created_at: row.created_at,
            delivered_at: row.delivered_at,
        }
    }
}

#[derive(Serialize, ToSchema)]
pub struct DeliveryPage {
    pub items: Vec<DeliveryView>,
    pub pagination: Pagination,
}
