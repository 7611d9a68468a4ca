//! Usage records of keys, and what is reported from them: the totals of `/key`, the
//! aggregated rows of `/activity`, and the truth of `/_sim/keys/{key_hash}/truth`.

use std::borrow::Cow;
use std::collections::BTreeMap;

use chrono::NaiveDate;
use rust_decimal::Decimal;

use super::accounts::credits_locked;
use super::clock::{activity_window, month_start, parse_date, rfc3339, week_start};
use super::keys::KeyEntry;
use super::money::{money_text, parse_money};
use super::{Sim, SimError};
use crate::control::{KeyKind, LimitReset, TruthDay, TruthResponse, UsageRecordRequest};
use crate::data::{self, Record};

/// Sums of a key's records over the periods `/key` reports.
#[derive(Debug, Default, Clone, Copy)]
pub(crate) struct Totals {
    pub(crate) usage: Decimal,
    pub(crate) daily: Decimal,
    pub(crate) weekly: Decimal,
    pub(crate) monthly: Decimal,
    pub(crate) byok: Decimal,
    pub(crate) byok_daily: Decimal,
    pub(crate) byok_weekly: Decimal,
    pub(crate) byok_monthly: Decimal,
}

pub(crate) fn totals(records: &[Record], today: NaiveDate) -> Totals {
    let week = week_start(today);
    let month = month_start(today);
    let mut t = Totals::default();
    for r in records {
        t.usage += r.usage;
        t.byok += r.byok_usage_inference;
        if r.date > today {
            continue;
        }
        if r.date == today {
            t.daily += r.usage;
            t.byok_daily += r.byok_usage_inference;
        }
        if r.date >= week {
            t.weekly += r.usage;
            t.byok_weekly += r.byok_usage_inference;
        }
        if r.date >= month {
            t.monthly += r.usage;
            t.byok_monthly += r.byok_usage_inference;
        }
    }
    t
}

/// What is left of a key's limit in its current reset period (never negative), `None`
/// without a limit: the limit minus the usage of the `limit_reset` period (all-time when
/// there is none), BYOK usage included when `include_byok_in_limit`.
pub(crate) fn limit_remaining(
    limit: Option<Decimal>,
    limit_reset: Option<LimitReset>,
    include_byok_in_limit: bool,
    t: &Totals,
) -> Option<Decimal> {
    limit.map(|limit| {
        let (spent, byok) = match limit_reset {
            None => (t.usage, t.byok),
            Some(LimitReset::Daily) => (t.daily, t.byok_daily),
            Some(LimitReset::Weekly) => (t.weekly, t.byok_weekly),
            Some(LimitReset::Monthly) => (t.monthly, t.byok_monthly),
        };
        let spent = if include_byok_in_limit {
            spent + byok
        } else {
            spent
        };
        (limit - spent).max(Decimal::ZERO)
    })
}

/// A row of `/activity`, already aggregated.
pub(crate) struct ActivityRow {
    pub(crate) date: NaiveDate,
    pub(crate) model: String,
    pub(crate) permaslug: String,
    pub(crate) endpoint_id: String,
    pub(crate) provider: String,
    pub(crate) usage: Decimal,
    pub(crate) byok_usage_inference: Decimal,
    pub(crate) requests: u64,
    pub(crate) prompt_tokens: u64,
    pub(crate) completion_tokens: u64,
    pub(crate) reasoning_tokens: u64,
    pub(crate) workspace_id: Option<String>,
}

impl ActivityRow {
    /// A row of `r`'s date and endpoint with nothing summed yet.
    fn empty(r: &Record, workspace_id: Option<String>) -> Self {
        ActivityRow {
            date: r.date,
            model: r.model.to_string(),
            permaslug: r.permaslug.to_string(),
            endpoint_id: r.endpoint_id.to_string(),
            provider: r.provider.to_string(),
            usage: Decimal::ZERO,
            byok_usage_inference: Decimal::ZERO,
            requests: 0,
            prompt_tokens: 0,
            completion_tokens: 0,
            reasoning_tokens: 0,
            workspace_id,
        }
    }

    fn add(&mut self, r: &Record) {
        self.usage += r.usage;
        self.byok_usage_inference += r.byok_usage_inference;
        self.requests += r.requests;
        self.prompt_tokens += r.prompt_tokens;
        self.completion_tokens += r.completion_tokens;
        self.reasoning_tokens += r.reasoning_tokens;
    }
}

/// What `/key` needs about one key, computed under the lock.
pub(crate) struct KeyView {
    pub(crate) masked: String,
    pub(crate) kind: KeyKind,
    pub(crate) limit: Option<Decimal>,
    pub(crate) limit_reset: Option<LimitReset>,
    pub(crate) include_byok_in_limit: bool,
    pub(crate) is_free_tier: bool,
    pub(crate) totals: Totals,
    pub(crate) user_id: String,
    pub(crate) workspace_id: String,
    pub(crate) free_limit: u64,
    pub(crate) free_used: u64,
}

impl Sim {
    /// Appends one record to a key (`POST /_sim/keys/{key_hash}/usage`).
    pub fn add_usage(&self, key_hash: &str, req: UsageRecordRequest) -> Result<(), SimError> {
        let record = record_from_request(req)?;
        let mut st = self.lock();
        let key = st
            .keys
            .get_mut(&key_hash.to_ascii_lowercase())
            .ok_or_else(|| SimError::not_found("unknown key_hash"))?;
        let at = key.records.partition_point(|r| r.date <= record.date);
        key.records.insert(at, record);
        Ok(())
    }

    /// What the simulator knows about a key (`GET /_sim/keys/{key_hash}/truth`).
    pub fn truth(&self, key_hash: &str) -> Result<TruthResponse, SimError> {
        let st = self.lock();
        let today = st.today();
        let key = st
            .keys
            .get(&key_hash.to_ascii_lowercase())
            .ok_or_else(|| SimError::not_found("unknown key_hash"))?;
        Ok(truth_of(key, today))
    }

    pub(crate) fn key_view(&self, key_hash: &str) -> Option<KeyView> {
        let st = self.lock();
        let today = st.today();
        let key = st.keys.get(key_hash)?;
        let acct = st.accounts.get(&key.account)?;
        let (credits, _) = credits_locked(&st, acct, today);
        let free_used: u64 = acct
            .keys
            .iter()
            .filter_map(|h| st.keys.get(h))
            .flat_map(|k| k.records.iter())
            .filter(|r| r.date == today && r.model.ends_with(":free"))
            .map(|r| r.requests)
            .sum();
        Some(KeyView {
            masked: key.masked.clone(),
            kind: key.kind,
            limit: key.limit,
            limit_reset: key.limit_reset,
            include_byok_in_limit: key.include_byok_in_limit,
            is_free_tier: key.is_free_tier,
            totals: totals(&key.records, today),
            user_id: key.creator_user_id.clone(),
            workspace_id: acct.workspace_id.clone(),
            free_limit: if credits >= Decimal::TEN { 1000 } else { 50 },
            free_used,
        })
    }

    /// Aggregated `/activity` rows of an account: one per (date, model, endpoint),
    /// summed across the account's keys (only `key_hash`'s, only those `creator_user_id`
    /// created, when given), newest day first.
    pub(crate) fn activity(
        &self,
        account: &str,
        key_hash: Option<&str>,
        creator_user_id: Option<&str>,
        date: Option<NaiveDate>,
        by_workspace: bool,
    ) -> Vec<ActivityRow> {
        let st = self.lock();
        let (first, last) = activity_window(st.today());
        let Some(acct) = st.accounts.get(account) else {
            return Vec::new();
        };
        type Group<'a> = (NaiveDate, &'a str, &'a str, &'a str, &'a str);
        let mut groups: BTreeMap<Group<'_>, ActivityRow> = BTreeMap::new();
        for h in &acct.keys {
            if key_hash.is_some_and(|f| f != h) {
                continue;
            }
            let Some(key) = st.keys.get(h) else { continue };
            if creator_user_id.is_some_and(|u| u != key.creator_user_id) {
                continue;
            }
            for r in &key.records {
                if r.date < first || r.date > last || date.is_some_and(|d| d != r.date) {
                    continue;
                }
                groups
                    .entry((r.date, &r.model, &r.provider, &r.endpoint_id, &r.permaslug))
                    .or_insert_with(|| {
                        ActivityRow::empty(r, by_workspace.then(|| acct.workspace_id.clone()))
                    })
                    .add(r);
            }
        }
        let mut rows: Vec<ActivityRow> = groups.into_values().collect();
        rows.sort_by(|a, b| {
            b.date
                .cmp(&a.date)
                .then_with(|| a.model.cmp(&b.model))
                .then_with(|| a.provider.cmp(&b.provider))
        });
        rows
    }
}

/// Validates a `POST /_sim/keys/{key_hash}/usage` body; the provider, permaslug and
/// endpoint default to the catalogue's when the model is known.
fn record_from_request(req: UsageRecordRequest) -> Result<Record, SimError> {
    let date = parse_date("date", &req.date)?;
    let usage = parse_money("usage", &req.usage)?;
    let byok = match &req.byok_usage_inference {
        Some(t) => parse_money("byok_usage_inference", t)?,
        None => Decimal::ZERO,
    };
    if req.model.trim().is_empty() {
        return Err(SimError::unprocessable("model must not be empty"));
    }
    let known = data::find_model(&req.model);
    let provider: String = match (&req.provider, known) {
        (Some(p), _) if !p.trim().is_empty() => p.clone(),
        (_, Some(m)) => m
            .providers
            .first()
            .map(|p| p.name)
            .unwrap_or("OpenAI")
            .to_string(),
        _ => "OpenAI".to_string(),
    };
    let permaslug: String = match (&req.model_permaslug, known) {
        (Some(p), _) if !p.trim().is_empty() => p.clone(),
        (_, Some(m)) => m.permaslug.to_string(),
        _ => req.model.clone(),
    };
    let endpoint_id = match &req.endpoint_id {
        Some(e) if !e.trim().is_empty() => e.clone(),
        _ => data::endpoint_id_for(&permaslug, &provider),
    };
    Ok(Record {
        date,
        model: Cow::Owned(req.model),
        permaslug: Cow::Owned(permaslug),
        provider: Cow::Owned(provider),
        endpoint_id: Cow::Owned(endpoint_id),
        requests: req.requests,
        prompt_tokens: req.prompt_tokens,
        completion_tokens: req.completion_tokens,
        reasoning_tokens: req.reasoning_tokens,
        usage,
        byok_usage_inference: byok,
    })
}

fn truth_of(key: &KeyEntry, today: NaiveDate) -> TruthResponse {
    let t = totals(&key.records, today);
    let (first, last) = activity_window(today);
    let in_window: Decimal = key
        .records
        .iter()
        .filter(|r| r.date >= first && r.date <= last)
        .map(|r| r.usage)
        .sum();
    TruthResponse {
        key_hash: key.hash.clone(),
        label: key.label.clone(),
        account: key.account.clone(),
        kind: key.kind,
        revoked: key.revoked,
        disabled: key.disabled,
        deleted: key.deleted,
        limit: key.limit.map(money_text),
        limit_reset: key.limit_reset,
        include_byok_in_limit: key.include_byok_in_limit,
        limit_remaining: limit_remaining(key.limit, key.limit_reset, key.include_byok_in_limit, &t)
            .map(money_text),
        created_at: rfc3339(key.created_at),
        updated_at: key.updated_at.map(rfc3339),
        expires_at: key.expires_at.map(rfc3339),
        today: today.to_string(),
        usage: money_text(t.usage),
        usage_daily: money_text(t.daily),
        usage_weekly: money_text(t.weekly),
        usage_monthly: money_text(t.monthly),
        byok_usage: money_text(t.byok),
        byok_usage_daily: money_text(t.byok_daily),
        byok_usage_weekly: money_text(t.byok_weekly),
        byok_usage_monthly: money_text(t.byok_monthly),
        activity_window_start: first.to_string(),
        activity_window_end: last.to_string(),
        usage_in_activity_window: money_text(in_window),
        days: truth_days(&key.records),
    }
}

/// Per (date, model) totals over all `records`, oldest first.
fn truth_days(records: &[Record]) -> Vec<TruthDay> {
    let mut days: BTreeMap<(NaiveDate, &str), (TruthDay, Decimal, Decimal)> = BTreeMap::new();
    for r in records {
        let (day, usage, byok) = days.entry((r.date, &r.model)).or_insert_with(|| {
            let day = TruthDay {
                date: r.date.to_string(),
                model: r.model.to_string(),
                requests: 0,
                prompt_tokens: 0,
                completion_tokens: 0,
                reasoning_tokens: 0,
                usage: String::new(),
                byok_usage_inference: String::new(),
                endpoints: 0,
            };
            (day, Decimal::ZERO, Decimal::ZERO)
        });
        day.requests += r.requests;
        day.prompt_tokens += r.prompt_tokens;
        day.completion_tokens += r.completion_tokens;
        day.reasoning_tokens += r.reasoning_tokens;
        day.endpoints += 1;
        *usage += r.usage;
        *byok += r.byok_usage_inference;
    }
    days.into_values()
        .map(|(mut d, usage, byok)| {
            d.usage = money_text(usage);
            d.byok_usage_inference = money_text(byok);
            d
        })
        .collect()
}
