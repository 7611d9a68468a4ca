//! The demo: an account with the simulator's demo keys, a week of hourly
//! history recorded through the real sync (`history`), a webhook to a
//! receiver on this machine (`receiver`), an API token for the public API,
//! and two budgets near their alerts (one with a dry-run policy), whose
//! alerts and action the last sync delivers and records. `cargo xtask dev` shows it to a newcomer;
//! the browser test walks it.

pub mod history;
pub mod receiver;

use std::path::Path;
use std::time::{Duration, Instant};

use chrono::{DateTime, Utc};
use openrouter_sim::control::{KeyKind, RegisteredKey};
use openrouter_sim::Sim;
use serde_json::{json, Value};

use crate::client::Client;
use receiver::Receiver;

type Result<T = ()> = std::result::Result<T, String>;

/// The secrets a fresh demo made: the user's session and the API token
/// (shown once, as the API shows it).
pub struct Created {
    pub jwt: String,
    pub api_token: String,
}

/// What the demo is made of and where it lives.
pub struct Demo<'a> {
    pub worker: &'a Client,
    pub sim: &'a Sim,
    /// The simulator's demo scenario keys.
    pub keys: &'a [RegisteredKey],
    pub receiver: &'a Receiver,
    /// The Worker's local state (its D1 tells when a sync's run is final).
    pub persist_dir: &'a Path,
    pub email: &'a str,
    pub password: &'a str,
}

impl Demo<'_> {
    /// A fresh local state: the account, its keys and webhook, the history
    /// from `start` to the current hour through the real sync, then budgets
    /// near their alerts, whose alerts the last sync delivers to the receiver,
    /// and a digest preview sent to it.
    /// Leaves OpenRouter's clock at the real time.
    pub fn create(&self, start: DateTime<Utc>) -> Result<Created> {
        let jwt = self.sign_in()?;
        self.add_keys(&jwt)?;
        self.add_webhook(&jwt)?;
        let api_token = self.add_token(&jwt)?;
        history::record(self.sim, self.keys, self.worker, self.persist_dir, start)?;
        // Back to the real time: the last reading was at the current hour,
        // whose spend so far the last sync reads (so a period that began
        // this hour has spend too).
        self.sim.set_clock(None);
        history::spend_now(self.sim, self.keys, start)?;
        self.add_budgets(&jwt)?;
        self.sync_and_wait()?;
        self.wait_for_delivery()?;
        self.preview_digest(&jwt)?;
        Ok(Created { jwt, api_token })
    }

    /// The state of an earlier run: its history replayed into the fresh
    /// simulator (the readings are stored), one sync at the real time.
    pub fn resume(&self, start: DateTime<Utc>) -> Result<String> {
        history::replay(self.sim, self.keys, start)?;
        self.sim.set_clock(None);
        let jwt = self.sign_in()?;
        self.sync_and_wait()?;
        Ok(jwt)
    }

    /// Registers (once: a second run's answer is 409) and signs in.
    fn sign_in(&self) -> Result<String> {
        let credentials = json!({ "email": self.email, "password": self.password }).to_string();
        let registered = self.worker.post("/api/auth/register", None, &credentials)?;
        if registered.status != 201 && registered.status != 409 {
            return Err(format!(
                "register: {} {}",
                registered.status, registered.body
            ));
        }
        self.answer("/api/auth/login", None, &credentials, 200, "access_token")
            .map_err(|e| format!("{e}; delete .wrangler/state to start afresh"))
    }

    /// The simulator's keys, the management key first (the first sync then
    /// reads the account's listing).
    fn add_keys(&self, jwt: &str) -> Result {
        let mut keys = self.keys.to_vec();
        if keys.is_empty() {
            return Err("the simulator has no demo keys".into());
        }
        keys.sort_by_key(|k| k.kind != KeyKind::Management);
        for key in keys {
            let body = json!({ "name": key.label, "key": key.key, "kind": key.kind });
            self.post(jwt, "/api/keys", &body)?;
        }
        Ok(())
    }

    fn add_webhook(&self, jwt: &str) -> Result {
        let body = json!({
            "name": "This machine (demo receiver)",
            "url": self.receiver.url(),
            "password": self.password,
        });
        self.post(jwt, "/api/webhooks", &body)
    }

    fn add_token(&self, jwt: &str) -> Result<String> {
        let body = json!({ "name": "Demo integration", "password": self.password });
        self.answer("/api/tokens", Some(jwt), &body.to_string(), 201, "token")
    }

    /// The text field `field` of `POST path`'s answer, which must be `status`.
    fn answer(
        &self,
        path: &str,
        jwt: Option<&str>,
        body: &str,
        status: u16,
        field: &str,
    ) -> Result<String> {
        let answer = self.worker.post(path, jwt, body)?;
        if answer.status != status {
            return Err(format!("POST {path}: {} {}", answer.status, answer.body));
        }
        answer.json()?[field]
            .as_str()
            .map(str::to_owned)
            .ok_or_else(|| format!("POST {path} answered without `{field}`"))
    }

    /// Two budgets near their alerts, each at 90 % of what its key spent in
    /// the period: a monthly one on the busiest key that only notifies (its
    /// 50 % and 80 % alerts go out with the next sync), and a weekly one on
    /// the other key whose policy would disable it at 80 %, in a dry run (the
    /// next sync records what it would have done, and changes nothing).
    fn add_budgets(&self, jwt: &str) -> Result {
        let keys = self.worker.get("/api/keys", Some(jwt))?.json()?;
        let budget = |name: &str, period: &str| -> Result<Value> {
            let key = keys["items"]
                .as_array()
                .and_then(|items| items.iter().find(|k| k["name"] == name))
                .ok_or_else(|| format!("{name} is not among the demo user's keys"))?;
            let spent = key["snapshot"][format!("usage_{period}")]
                .as_str()
                .ok_or_else(|| format!("{name} has no snapshot"))?;
            Ok(json!({
                "api_key_id": key["id"],
                "amount": near_threshold(spent)?,
                "period": period,
            }))
        };
        self.post(
            jwt,
            "/api/budgets",
            &budget(history::BUSIEST_KEY, "monthly")?,
        )?;
        let mut guarded = budget(history::GUARDED_KEY, "weekly")?;
        guarded["action"] = json!("disable");
        guarded["action_at"] = json!(80);
        guarded["dry_run"] = json!(true);
        self.post(jwt, "/api/budgets", &guarded)
    }

    fn sync_and_wait(&self) -> Result {
        let before = crate::d1::newest_run(self.persist_dir)?;
        let synced = self.worker.get("/__scheduled?cron=0+*+*+*+*", None)?;
        if synced.status != 200 {
            return Err(format!("sync: {} {}", synced.status, synced.body));
        }
        crate::d1::wait_for_runs(
            self.persist_dir,
            before,
            Duration::from_millis(50),
            Duration::from_secs(60),
        )
    }

    /// The alerts are sent by the run's end; the receiver has them within
    /// seconds of it.
    fn wait_for_delivery(&self) -> Result {
        let deadline = Instant::now() + Duration::from_secs(30);
        while self.receiver.received() == 0 {
            if Instant::now() >= deadline {
                return Err(format!(
                    "no alert reached the demo's webhook receiver ({})",
                    self.receiver.log.display()
                ));
            }
            std::thread::sleep(Duration::from_millis(100));
        }
        Ok(())
    }

    /// Weekly digests to the receiver's webhook, and this week's so far
    /// sent to it now ("Send me a preview now"), so the receiver's log
    /// shows one beside the alerts.
    fn preview_digest(&self, jwt: &str) -> Result {
        let hooks = self.worker.get("/api/webhooks", Some(jwt))?.json()?;
        let receiver = hooks["webhooks"]
            .as_array()
            .and_then(|items| items.iter().find(|h| h["url"] == self.receiver.url()))
            .ok_or("the demo's webhook is not among the user's webhooks")?;
        let settings = json!({
            "schedule": "weekly",
            "channel": "webhook",
            "webhook_id": receiver["id"],
        });
        let set = self.worker.send(
            "PUT",
            "/api/settings/digest",
            Some(jwt),
            Some(&settings.to_string()),
        )?;
        if set.status != 200 {
            return Err(format!(
                "PUT /api/settings/digest: {} {}",
                set.status, set.body
            ));
        }
        let sent = self.answer("/api/digest/preview", Some(jwt), "", 200, "status")?;
        if sent != "sent" {
            return Err(format!("the digest preview was not sent: {sent}"));
        }
        Ok(())
    }

    /// A `201`, or a `409`: made by an earlier run on this state.
    fn post(&self, jwt: &str, path: &str, body: &Value) -> Result {
        let answer = self.worker.post(path, Some(jwt), &body.to_string())?;
        if answer.status != 201 && answer.status != 409 {
            return Err(format!("POST {path}: {} {}", answer.status, answer.body));
        }
        Ok(())
    }
}

/// A budget amount that `spent` (exact USD) is 90 % of, rounded up: to the
/// cent from a dollar, to the micro-USD below (early in a period).
fn near_threshold(spent: &str) -> Result<String> {
    let (whole, fraction) = spent.split_once('.').unwrap_or((spent, ""));
    let micros: u64 = format!("{whole}{:0<6}", fraction.get(..6).unwrap_or(fraction))
        .parse()
        .map_err(|e| format!("spent {spent:?}: {e}"))?;
    if micros == 0 {
        return Err("nothing spent in the period: no budget can be near its alert".into());
    }
    let amount = (micros * 10).div_ceil(9);
    if amount >= 1_000_000 {
        let cents = amount.div_ceil(10_000);
        return Ok(format!("{}.{:02}", cents / 100, cents % 100));
    }
    Ok(format!("0.{amount:06}"))
}

#[cfg(test)]
mod tests {
    use super::near_threshold;

    #[test]
    fn the_demo_budget_is_spent_to_ninety_percent() {
        assert_eq!(near_threshold("9").unwrap(), "10.00");
        assert_eq!(near_threshold("12.3456789").unwrap(), "13.72");
        assert_eq!(near_threshold("0.00288").unwrap(), "0.003200");
        assert!(near_threshold("0").is_err());
        assert!(near_threshold("abc").is_err());
    }
}
