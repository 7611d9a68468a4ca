//! The simulator's state: accounts, keys and their records, the clock, faults and the
//! request log. All of it sits behind one mutex that is never held across an await.

use std::borrow::Cow;
use std::collections::{BTreeMap, HashMap, VecDeque};
use std::str::FromStr;
use std::sync::{Mutex, MutexGuard};
use std::time::Instant;

use chrono::{DateTime, Datelike, Days, NaiveDate, SecondsFormat, Utc};
use rust_decimal::Decimal;

use crate::control::{
    AccountInfo, BulkRegisterRequest, BulkRegisterResponse, ClockResponse, FaultInfo, FaultRequest,
    KeyKind, LimitReset, RegisterKeyRequest, RegisteredKey, RequestLogEntry, TruthDay,
    TruthResponse, UsageRecordRequest,
};
use crate::data::{self, Record, MONEY_DP};

/// Days of generated history when not told otherwise (more than the 30-day window).
pub const DEFAULT_HISTORY_DAYS: u32 = 40;
/// Days served by `/activity`: the last 30 completed UTC days.
pub const ACTIVITY_WINDOW_DAYS: u64 = 30;
const MAX_HISTORY_DAYS: u32 = 3660;
const MAX_BULK: u32 = 100_000;
const MAX_LOG: usize = 200_000;

/// An error of the simulator, answered as OpenRouter's error shape with this status.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SimError {
    pub status: u16,
    pub message: String,
}

impl SimError {
    pub(crate) fn new(status: u16, message: impl Into<String>) -> Self {
        SimError {
            status,
            message: message.into(),
        }
    }
    pub(crate) fn unprocessable(message: impl Into<String>) -> Self {
        Self::new(422, message)
    }
    pub(crate) fn not_found(message: impl Into<String>) -> Self {
        Self::new(404, message)
    }
}

impl std::fmt::Display for SimError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{} {}", self.status, self.message)
    }
}

impl std::error::Error for SimError {}

pub(crate) struct KeyEntry {
    pub(crate) hash: String,
    pub(crate) label: String,
    /// `sk-or-v1-abc...xyz`, what OpenRouter returns as `label` from `/key`.
    pub(crate) masked: String,
    pub(crate) account: String,
    pub(crate) kind: KeyKind,
    pub(crate) limit: Option<Decimal>,
    pub(crate) limit_reset: Option<LimitReset>,
    pub(crate) include_byok_in_limit: bool,
    pub(crate) is_free_tier: bool,
    pub(crate) revoked: bool,
    /// Kept sorted by date.
    pub(crate) records: Vec<Record>,
}

pub(crate) struct Account {
    pub(crate) id: String,
    pub(crate) keys: Vec<String>,
    pub(crate) total_credits: Option<Decimal>,
    pub(crate) user_id: String,
    pub(crate) workspace_id: String,
}

struct Fault {
    id: u64,
    spec: FaultRequest,
    remaining: Option<u32>,
}

struct State {
    seed: u64,
    clock: Option<DateTime<Utc>>,
    keys: HashMap<String, KeyEntry>,
    accounts: BTreeMap<String, Account>,
    next_account: u64,
    next_label: u64,
    faults: Vec<Fault>,
    next_fault: u64,
    log: VecDeque<(u64, RequestLogEntry)>,
    next_log: u64,
}

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

pub(crate) fn week_start(today: NaiveDate) -> NaiveDate {
    today
        .checked_sub_days(Days::new(u64::from(today.weekday().num_days_from_monday())))
        .unwrap_or(today)
}

pub(crate) fn month_start(today: NaiveDate) -> NaiveDate {
    today.with_day(1).unwrap_or(today)
}

/// `(first, last)` day served by `/activity`: today-30 ..= today-1.
pub(crate) fn activity_window(today: NaiveDate) -> (NaiveDate, NaiveDate) {
    let first = today
        .checked_sub_days(Days::new(ACTIVITY_WINDOW_DAYS))
        .unwrap_or(today);
    let last = today.checked_sub_days(Days::new(1)).unwrap_or(today);
    (first, last)
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

/// Exact decimal text for JSON and the control API (`0.0012345678`, `12`, `0`).
pub(crate) fn money_text(d: Decimal) -> String {
    d.normalize().to_string()
}

/// Parses a non-negative amount with at most 10 fractional digits.
pub(crate) fn parse_money(field: &str, text: &str) -> Result<Decimal, SimError> {
    let t = text.trim();
    let parsed = if t.contains(['e', 'E']) {
        Decimal::from_scientific(t)
    } else {
        Decimal::from_str(t)
    };
    let d = parsed
        .map_err(|e| SimError::unprocessable(format!("{field}: not a decimal ({t}): {e}")))?
        .normalize();
    if d.is_sign_negative() && !d.is_zero() {
        return Err(SimError::unprocessable(format!(
            "{field}: must not be negative"
        )));
    }
    if d.scale() > MONEY_DP {
        return Err(SimError::unprocessable(format!(
            "{field}: at most {MONEY_DP} fractional digits"
        )));
    }
    Ok(d.abs())
}

/// Strict `YYYY-MM-DD` (zero-padded, exactly 10 characters).
pub(crate) fn parse_ymd(text: &str) -> Option<NaiveDate> {
    let b = text.as_bytes();
    let shape_ok = b.len() == 10
        && b.iter().enumerate().all(|(i, c)| match i {
            4 | 7 => *c == b'-',
            _ => c.is_ascii_digit(),
        });
    if !shape_ok {
        return None;
    }
    NaiveDate::parse_from_str(text, "%Y-%m-%d").ok()
}

pub(crate) fn parse_date(field: &str, text: &str) -> Result<NaiveDate, SimError> {
    parse_ymd(text.trim())
        .ok_or_else(|| SimError::unprocessable(format!("{field}: expected YYYY-MM-DD, got {text}")))
}

pub(crate) fn rfc3339(t: DateTime<Utc>) -> String {
    t.to_rfc3339_opts(SecondsFormat::Millis, true)
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

/// The result of authenticating a bearer token.
pub(crate) enum Auth {
    Missing,
    Unknown,
    Revoked,
    Ok { kind: KeyKind, account: String },
}

/// The simulator. Cheap to share behind an `Arc`; every method locks briefly.
pub struct Sim {
    state: Mutex<State>,
    started: Instant,
}

impl Sim {
    pub fn new(seed: u64) -> Self {
        Sim {
            state: Mutex::new(State {
                seed,
                clock: None,
                keys: HashMap::new(),
                accounts: BTreeMap::new(),
                next_account: 1,
                next_label: 1,
                faults: Vec::new(),
                next_fault: 1,
                log: VecDeque::new(),
                next_log: 1,
            }),
            started: Instant::now(),
        }
    }

    fn lock(&self) -> MutexGuard<'_, State> {
        self.state.lock().unwrap_or_else(|e| e.into_inner())
    }

    /// The simulator's clock: frozen when set, real UTC time otherwise.
    pub fn now(&self) -> DateTime<Utc> {
        self.lock().clock.unwrap_or_else(Utc::now)
    }

    pub fn today(&self) -> NaiveDate {
        self.now().date_naive()
    }

    /// Freezes the clock at `now`, or returns to real time with `None`.
    pub fn set_clock(&self, now: Option<DateTime<Utc>>) -> ClockResponse {
        let mut st = self.lock();
        st.clock = now;
        let t = st.clock.unwrap_or_else(Utc::now);
        ClockResponse {
            now: rfc3339(t),
            today: t.date_naive().to_string(),
            frozen: st.clock.is_some(),
        }
    }

    pub fn clock(&self) -> ClockResponse {
        let st = self.lock();
        let t = st.clock.unwrap_or_else(Utc::now);
        ClockResponse {
            now: rfc3339(t),
            today: t.date_naive().to_string(),
            frozen: st.clock.is_some(),
        }
    }

    /// Registers one key (`POST /_sim/keys`).
    pub fn register_key(&self, req: RegisterKeyRequest) -> Result<RegisteredKey, SimError> {
        let mut st = self.lock();
        let today = st.clock.unwrap_or_else(Utc::now).date_naive();
        register_locked(&mut st, req, today)
    }

    /// Registers many keys at once (`POST /_sim/keys/bulk`), all in one account.
    pub fn register_bulk(
        &self,
        req: BulkRegisterRequest,
    ) -> Result<BulkRegisterResponse, SimError> {
        if req.count == 0 || req.count > MAX_BULK {
            return Err(SimError::unprocessable(format!(
                "count must be between 1 and {MAX_BULK}"
            )));
        }
        let mut st = self.lock();
        let today = st.clock.unwrap_or_else(Utc::now).date_naive();
        let account = match req.account.clone() {
            Some(a) => a,
            None => new_account_id(&mut st),
        };
        let prefix = req.prefix.clone().unwrap_or_else(|| "bulk-".to_string());
        let mut keys = Vec::with_capacity(req.count as usize);
        for i in 0..req.count {
            let one = RegisterKeyRequest {
                label: Some(format!("{prefix}{i:04}")),
                account: Some(account.clone()),
                kind: req.kind,
                generate: req.generate,
                history_days: req.history_days,
                seed: req.seed,
                ..RegisterKeyRequest::default()
            };
            keys.push(register_locked(&mut st, one, today)?);
        }
        Ok(BulkRegisterResponse { keys })
    }

    /// Appends one record to a key (`POST /_sim/keys/{key_hash}/usage`).
    pub fn add_usage(&self, key_hash: &str, req: UsageRecordRequest) -> Result<(), SimError> {
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
        let record = Record {
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
        };
        let mut st = self.lock();
        let key = st
            .keys
            .get_mut(&key_hash.to_ascii_lowercase())
            .ok_or_else(|| SimError::not_found("unknown key_hash"))?;
        let at = key.records.partition_point(|r| r.date <= date);
        key.records.insert(at, record);
        Ok(())
    }

    /// Revokes a key (401 everywhere) or makes it valid again.
    pub fn set_revoked(&self, key_hash: &str, revoked: bool) -> Result<(), SimError> {
        let mut st = self.lock();
        let key = st
            .keys
            .get_mut(&key_hash.to_ascii_lowercase())
            .ok_or_else(|| SimError::not_found("unknown key_hash"))?;
        key.revoked = revoked;
        Ok(())
    }

    /// What the simulator knows about a key (`GET /_sim/keys/{key_hash}/truth`).
    pub fn truth(&self, key_hash: &str) -> Result<TruthResponse, SimError> {
        let st = self.lock();
        let today = st.clock.unwrap_or_else(Utc::now).date_naive();
        let key = st
            .keys
            .get(&key_hash.to_ascii_lowercase())
            .ok_or_else(|| SimError::not_found("unknown key_hash"))?;
        let t = totals(&key.records, today);
        let (first, last) = activity_window(today);
        let mut in_window = Decimal::ZERO;
        let mut days: BTreeMap<(NaiveDate, &str), (TruthDay, Decimal, Decimal)> = BTreeMap::new();
        for r in &key.records {
            if r.date >= first && r.date <= last {
                in_window += r.usage;
            }
            let entry = days.entry((r.date, &r.model)).or_insert_with(|| {
                (
                    TruthDay {
                        date: r.date.to_string(),
                        model: r.model.to_string(),
                        requests: 0,
                        prompt_tokens: 0,
                        completion_tokens: 0,
                        reasoning_tokens: 0,
                        usage: String::new(),
                        byok_usage_inference: String::new(),
                        endpoints: 0,
                    },
                    Decimal::ZERO,
                    Decimal::ZERO,
                )
            });
            entry.0.requests += r.requests;
            entry.0.prompt_tokens += r.prompt_tokens;
            entry.0.completion_tokens += r.completion_tokens;
            entry.0.reasoning_tokens += r.reasoning_tokens;
            entry.0.endpoints += 1;
            entry.1 += r.usage;
            entry.2 += r.byok_usage_inference;
        }
        let days = days
            .into_values()
            .map(|(mut d, usage, byok)| {
                d.usage = money_text(usage);
                d.byok_usage_inference = money_text(byok);
                d
            })
            .collect();
        Ok(TruthResponse {
            key_hash: key.hash.clone(),
            label: key.label.clone(),
            account: key.account.clone(),
            kind: key.kind,
            revoked: key.revoked,
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
            days,
        })
    }

    /// Lists registered keys (hash, label, account, kind; never the full key).
    pub fn list_keys(&self) -> Vec<serde_json::Value> {
        let st = self.lock();
        let mut out: Vec<_> = st
            .keys
            .values()
            .map(|k| {
                serde_json::json!({
                    "key_hash": k.hash,
                    "label": k.label,
                    "account": k.account,
                    "kind": k.kind,
                    "revoked": k.revoked,
                    "records": k.records.len(),
                })
            })
            .collect();
        out.sort_by(|a, b| a["label"].as_str().cmp(&b["label"].as_str()));
        out
    }

    pub fn account(&self, id: &str) -> Result<AccountInfo, SimError> {
        let st = self.lock();
        let today = st.clock.unwrap_or_else(Utc::now).date_naive();
        let acct = st
            .accounts
            .get(id)
            .ok_or_else(|| SimError::not_found("unknown account"))?;
        let (credits, usage) = credits_locked(&st, acct, today);
        Ok(AccountInfo {
            account: acct.id.clone(),
            total_credits: money_text(credits),
            total_usage: money_text(usage),
            key_hashes: acct.keys.clone(),
        })
    }

    /// Sets an account's total credits (`None` returns to the default).
    pub fn set_credits(&self, id: &str, credits: Option<&str>) -> Result<AccountInfo, SimError> {
        let value = match credits {
            Some(t) => Some(parse_money("total_credits", t)?),
            None => None,
        };
        {
            let mut st = self.lock();
            let acct = st
                .accounts
                .get_mut(id)
                .ok_or_else(|| SimError::not_found("unknown account"))?;
            acct.total_credits = value;
        }
        self.account(id)
    }

    pub fn add_fault(&self, mut spec: FaultRequest) -> Result<u64, SimError> {
        if let Some(s) = spec.status {
            if !(100..=599).contains(&s) {
                return Err(SimError::unprocessable("status must be 100..=599"));
            }
        }
        if spec.times == Some(0) {
            return Err(SimError::unprocessable("times must be at least 1"));
        }
        if let Some(h) = &spec.key_hash {
            spec.key_hash = Some(h.trim().to_ascii_lowercase());
        }
        if let Some(p) = &spec.path {
            spec.path = Some(normalize_api_path(p));
        }
        let mut st = self.lock();
        let id = st.next_fault;
        st.next_fault += 1;
        let remaining = spec.times;
        st.faults.push(Fault {
            id,
            spec,
            remaining,
        });
        Ok(id)
    }

    pub fn faults(&self) -> Vec<FaultInfo> {
        self.lock()
            .faults
            .iter()
            .map(|f| FaultInfo {
                id: f.id,
                spec: f.spec.clone(),
                remaining: f.remaining,
            })
            .collect()
    }

    pub fn remove_fault(&self, id: u64) -> bool {
        let mut st = self.lock();
        let before = st.faults.len();
        st.faults.retain(|f| f.id != id);
        st.faults.len() != before
    }

    pub fn clear_faults(&self) {
        self.lock().faults.clear();
    }

    /// Takes the first fault matching this request, counting one application.
    pub(crate) fn take_fault(&self, key_hash: Option<&str>, path: &str) -> Option<FaultRequest> {
        let mut st = self.lock();
        let path = normalize_api_path(path);
        let idx = st.faults.iter().position(|f| {
            let hash_ok = match &f.spec.key_hash {
                Some(h) => key_hash == Some(h.as_str()),
                None => true,
            };
            let path_ok = match &f.spec.path {
                Some(p) => *p == path,
                None => true,
            };
            hash_ok && path_ok
        })?;
        let fault = &mut st.faults[idx];
        let spec = fault.spec.clone();
        if let Some(r) = fault.remaining.as_mut() {
            *r = r.saturating_sub(1);
            if *r == 0 {
                st.faults.remove(idx);
            }
        }
        Some(spec)
    }

    /// Starts a log entry; returns its sequence number for [`Sim::finish_log`].
    pub(crate) fn start_log(&self, mut entry: RequestLogEntry) -> u64 {
        let mut st = self.lock();
        entry.at = rfc3339(st.clock.unwrap_or_else(Utc::now));
        entry.elapsed_ms = u64::try_from(self.started.elapsed().as_millis()).unwrap_or(u64::MAX);
        let seq = st.next_log;
        st.next_log += 1;
        st.log.push_back((seq, entry));
        if st.log.len() > MAX_LOG {
            st.log.pop_front();
        }
        seq
    }

    pub(crate) fn finish_log(&self, seq: u64, status: Option<u16>) {
        let mut st = self.lock();
        if let Some((_, e)) = st.log.iter_mut().rev().find(|(s, _)| *s == seq) {
            e.status = status;
        }
    }

    /// The request log, oldest first, optionally only for one key hash and/or path.
    pub fn requests(&self, key_hash: Option<&str>, path: Option<&str>) -> Vec<RequestLogEntry> {
        let st = self.lock();
        let key_hash = key_hash.map(|h| h.trim().to_ascii_lowercase());
        let path = path.map(normalize_api_path);
        st.log
            .iter()
            .filter(|(_, e)| match &key_hash {
                Some(h) => e.key_hash.as_deref() == Some(h.as_str()),
                None => true,
            })
            .filter(|(_, e)| match &path {
                Some(p) => e.path == *p,
                None => true,
            })
            .map(|(_, e)| e.clone())
            .collect()
    }

    pub fn clear_requests(&self) {
        self.lock().log.clear();
    }

    pub(crate) fn authenticate(&self, key_hash: Option<&str>) -> Auth {
        let Some(h) = key_hash else {
            return Auth::Missing;
        };
        let st = self.lock();
        match st.keys.get(h) {
            None => Auth::Unknown,
            Some(k) if k.revoked => Auth::Revoked,
            Some(k) => Auth::Ok {
                kind: k.kind,
                account: k.account.clone(),
            },
        }
    }

    pub(crate) fn key_view(&self, key_hash: &str) -> Option<KeyView> {
        let st = self.lock();
        let today = st.clock.unwrap_or_else(Utc::now).date_naive();
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
            user_id: acct.user_id.clone(),
            workspace_id: acct.workspace_id.clone(),
            free_limit: if credits >= Decimal::TEN { 1000 } else { 50 },
            free_used,
        })
    }

    /// `(total_credits, total_usage)` of an account.
    pub(crate) fn credits(&self, account: &str) -> Option<(Decimal, Decimal)> {
        let st = self.lock();
        let today = st.clock.unwrap_or_else(Utc::now).date_naive();
        let acct = st.accounts.get(account)?;
        Some(credits_locked(&st, acct, today))
    }

    /// Aggregated `/activity` rows of an account: one per (date, model, endpoint),
    /// summed across the account's keys (or only `key_hash`'s), newest day first.
    pub(crate) fn activity(
        &self,
        account: &str,
        key_hash: Option<&str>,
        date: Option<NaiveDate>,
        by_workspace: bool,
    ) -> Vec<ActivityRow> {
        let st = self.lock();
        let today = st.clock.unwrap_or_else(Utc::now).date_naive();
        let (first, last) = activity_window(today);
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
            for r in &key.records {
                if r.date < first || r.date > last || date.is_some_and(|d| d != r.date) {
                    continue;
                }
                let g = groups
                    .entry((r.date, &r.model, &r.provider, &r.endpoint_id, &r.permaslug))
                    .or_insert_with(|| ActivityRow {
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
                        workspace_id: by_workspace.then(|| acct.workspace_id.clone()),
                    });
                g.usage += r.usage;
                g.byok_usage_inference += r.byok_usage_inference;
                g.requests += r.requests;
                g.prompt_tokens += r.prompt_tokens;
                g.completion_tokens += r.completion_tokens;
                g.reasoning_tokens += r.reasoning_tokens;
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

    /// The account's default workspace and creator user ids.
    pub(crate) fn account_ids(&self, account: &str) -> Option<(String, String)> {
        let st = self.lock();
        st.accounts
            .get(account)
            .map(|a| (a.workspace_id.clone(), a.user_id.clone()))
    }
}

/// `/key` and `/api/v1/key` mean the same fault path.
pub(crate) fn normalize_api_path(p: &str) -> String {
    let p = p.trim();
    let p = if p.len() > 1 {
        p.trim_end_matches('/')
    } else {
        p
    };
    if p.starts_with("/api/") {
        p.to_string()
    } else if p.starts_with('/') {
        format!("/api/v1{p}")
    } else {
        format!("/api/v1/{p}")
    }
}

fn new_account_id(st: &mut State) -> String {
    loop {
        let id = format!("acct-{:04}", st.next_account);
        st.next_account += 1;
        if !st.accounts.contains_key(&id) {
            return id;
        }
    }
}

fn ensure_account<'a>(st: &'a mut State, id: &str) -> &'a mut Account {
    let seed = st.seed;
    st.accounts.entry(id.to_string()).or_insert_with(|| {
        let digest = data::sha256_hex(&format!("openrouter-sim user:{seed}:{id}"));
        Account {
            id: id.to_string(),
            keys: Vec::new(),
            total_credits: None,
            user_id: format!("user_{}", &digest[..27]),
            workspace_id: data::uuid_from(&format!("openrouter-sim workspace:{seed}:{id}")),
        }
    })
}

fn credits_locked(st: &State, acct: &Account, today: NaiveDate) -> (Decimal, Decimal) {
    let usage: Decimal = acct
        .keys
        .iter()
        .filter_map(|h| st.keys.get(h))
        .map(|k| totals(&k.records, today).usage)
        .sum();
    let credits = match acct.total_credits {
        Some(c) => c,
        None => {
            // Deterministic default: usage rounded up to 10 USD, plus 10..=105 USD.
            let bonus =
                data::seed_from(&format!("openrouter-sim credits:{}:{}", st.seed, acct.id)) % 20;
            let tens = (usage / Decimal::TEN).ceil() * Decimal::TEN;
            tens + Decimal::TEN + Decimal::from(bonus * 5)
        }
    };
    (credits, usage)
}

fn register_locked(
    st: &mut State,
    req: RegisterKeyRequest,
    today: NaiveDate,
) -> Result<RegisteredKey, SimError> {
    let kind = req.kind.unwrap_or_default();
    let seed = req.seed.unwrap_or(st.seed);
    let label = match req.label {
        Some(l) if !l.trim().is_empty() => l,
        Some(_) => return Err(SimError::unprocessable("label must not be empty")),
        None => {
            let l = format!("key-{:04}", st.next_label);
            st.next_label += 1;
            l
        }
    };
    let limit = match &req.limit {
        Some(t) => Some(parse_money("limit", t)?),
        None => None,
    };
    let history_days = req.history_days.unwrap_or(DEFAULT_HISTORY_DAYS);
    if history_days > MAX_HISTORY_DAYS {
        return Err(SimError::unprocessable(format!(
            "history_days must be at most {MAX_HISTORY_DAYS}"
        )));
    }
    let key = match req.key {
        Some(k) => {
            let k = k.trim().to_string();
            if k.is_empty() || k.chars().any(char::is_whitespace) {
                return Err(SimError::unprocessable(
                    "key must be non-empty without whitespace",
                ));
            }
            if st.keys.contains_key(&data::sha256_hex(&k)) {
                return Err(SimError::new(409, "key already registered"));
            }
            k
        }
        None => {
            let mut n = 0u32;
            loop {
                let k = data::derive_key(seed, &label, n);
                if !st.keys.contains_key(&data::sha256_hex(&k)) {
                    break k;
                }
                n += 1;
            }
        }
    };
    let hash = data::sha256_hex(&key);
    let account = match req.account {
        Some(a) if !a.trim().is_empty() => a,
        Some(_) => return Err(SimError::unprocessable("account must not be empty")),
        None => new_account_id(st),
    };
    let generate = req.generate.unwrap_or(kind == KeyKind::Inference);
    let records = if generate && history_days > 0 {
        let rng_seed = data::seed_from(&format!("openrouter-sim history:{seed}:{key}"));
        data::generate_history(rng_seed, today, history_days)
    } else {
        Vec::new()
    };
    ensure_account(st, &account).keys.push(hash.clone());
    st.keys.insert(
        hash.clone(),
        KeyEntry {
            hash: hash.clone(),
            label: label.clone(),
            masked: data::masked_key(&key),
            account: account.clone(),
            kind,
            limit,
            limit_reset: req.limit_reset,
            include_byok_in_limit: req.include_byok_in_limit.unwrap_or(false),
            is_free_tier: req.is_free_tier.unwrap_or(false),
            revoked: false,
            records,
        },
    );
    Ok(RegisteredKey {
        key,
        key_hash: hash,
        label,
        account,
        kind,
    })
}
