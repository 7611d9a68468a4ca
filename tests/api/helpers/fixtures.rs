//! Fixtures: users, keys, the simulator's control API, cron, dates.

use std::time::Duration;

use reqwest::StatusCode;
use serde_json::{json, Value};

use super::harness::{
    app, remember_mailed_secret, remember_secret, start_worker, unique, Worker, PASSWORD,
};
use super::http::{call_at, client, post, Res};

/// A registered, logged-in user.
pub struct User {
    pub email: String,
    pub jwt: String,
    /// The person.
    pub id: i64,
    /// Their personal organisation, where their keys and figures live.
    pub org: i64,
}

pub async fn register(email: &str, password: &str) -> Res {
    post("/api/auth/register")
        .json(&json!({ "email": email, "password": password }))
        .send()
        .await
}

pub async fn login(email: &str, password: &str) -> Res {
    post("/api/auth/login")
        .json(&json!({ "email": email, "password": password }))
        .send()
        .await
}

pub async fn new_user() -> User {
    user_at(&app().base_url).await
}

/// A Worker of the test's own on `dir` (its D1, log in `log`), reaching the
/// shared simulator, with extra `--var NAME:VALUE`s; started off the async
/// runtime (it takes seconds).
pub async fn own_worker(
    dir: std::path::PathBuf,
    log: std::path::PathBuf,
    vars: &'static [&'static str],
) -> Worker {
    let sim = app().sim.base_url();
    tokio::task::spawn_blocking(move || start_worker(&sim, &dir, &log, vars))
        .await
        .expect("joins")
        .unwrap_or_else(|why| panic!("{why}"))
}

/// A registered, logged-in user of the Worker at `base_url` (the shared
/// one, or one a test starts for itself).
pub async fn user_at(base_url: &str) -> User {
    let email = format!("{}@example.com", unique("user"));
    let body = json!({ "email": email, "password": PASSWORD });
    let created = super::http::call_at(base_url, "POST", "/api/auth/register")
        .json(&body)
        .send()
        .await;
    assert_eq!(created.status, 201, "register: {}", created.text);
    let logged_in = super::http::call_at(base_url, "POST", "/api/auth/login")
        .json(&body)
        .send()
        .await;
    assert_eq!(logged_in.status, 200, "login: {}", logged_in.text);
    let jwt = logged_in.json["access_token"]
        .as_str()
        .expect("access_token")
        .to_owned();
    remember_secret(&jwt);
    let organisations = super::http::call_at(base_url, "GET", "/api/organisations")
        .bearer(&jwt)
        .send()
        .await;
    assert_eq!(
        organisations.status, 200,
        "organisations: {}",
        organisations.text
    );
    let personal = &organisations.json["items"][0];
    assert_eq!(personal["role"], "owner", "{personal}");
    User {
        email,
        jwt,
        id: created.json["id"].as_i64().expect("id"),
        org: personal["id"].as_i64().expect("organisation id"),
    }
}

impl User {
    pub async fn new_token(&self, name: &str) -> (i64, String) {
        let res = post("/api/tokens")
            .bearer(&self.jwt)
            .json(&json!({ "name": name }))
            .send()
            .await;
        assert_eq!(res.status, 201, "create token: {}", res.text);
        let token = res.json["token"].as_str().expect("token").to_owned();
        remember_secret(&token);
        (res.json["id"].as_i64().expect("id"), token)
    }

    pub async fn add_key(&self, name: &str, key: &str, kind: &str) -> Res {
        post("/api/keys")
            .bearer(&self.jwt)
            .json(&json!({ "name": name, "key": key, "kind": kind }))
            .send()
            .await
    }
}

// ---- simulator control --------------------------------------------------------

pub struct SimKey {
    pub key: String,
    pub hash: String,
    pub account: String,
    /// The OpenRouter member who created it (`creator` of the request, or
    /// the account's own user).
    pub creator_user_id: String,
}

/// `by` invites `email` into `org` with `role`: the invitation's id and
/// its single-use token (remembered as a secret mailed to `email`).
pub async fn invite(by: &User, org: i64, email: &str, role: &str) -> (i64, String) {
    let invited = post("/api/organisations/invitations")
        .bearer(&by.jwt)
        .header("X-Organisation", &org.to_string())
        .json(&json!({ "email": email, "role": role }))
        .send()
        .await;
    assert_eq!(invited.status, 201, "invite: {}", invited.text);
    let token = invited.json["token"].as_str().expect("token").to_owned();
    remember_mailed_secret(&token, email);
    (invited.json["id"].as_i64().expect("id"), token)
}

/// `person` accepts an invitation's token.
pub async fn accept_invitation(person: &User, token: &str) -> Res {
    post("/api/invitations/accept")
        .bearer(&person.jwt)
        .json(&json!({ "token": token }))
        .send()
        .await
}

pub async fn sim_post(path: &str, body: &Value) -> Value {
    let res = client()
        .post(app().sim_url(path))
        .json(body)
        .send()
        .await
        .expect("simulator answers");
    let status = res.status();
    let text = res.text().await.unwrap_or_default();
    assert!(status.is_success(), "sim {path}: {status} {text}");
    serde_json::from_str(&text).unwrap_or(Value::Null)
}

pub async fn sim_get(path: &str) -> Value {
    let res = client()
        .get(app().sim_url(path))
        .send()
        .await
        .expect("simulator answers");
    assert_eq!(res.status(), StatusCode::OK, "sim GET {path}");
    res.json().await.expect("sim JSON")
}

/// Registers a key in the simulator (`extra` merges into the request).
pub async fn sim_key(extra: Value) -> SimKey {
    let mut body = json!({ "label": unique("k") });
    if let (Some(body), Some(extra)) = (body.as_object_mut(), extra.as_object()) {
        for (k, v) in extra {
            body.insert(k.clone(), v.clone());
        }
    }
    let res = sim_post("/_sim/keys", &body).await;
    let key = res["key"].as_str().expect("key").to_owned();
    remember_secret(&key);
    SimKey {
        key,
        hash: res["key_hash"].as_str().expect("key_hash").to_owned(),
        account: res["account"].as_str().expect("account").to_owned(),
        creator_user_id: res["creator_user_id"]
            .as_str()
            .expect("creator_user_id")
            .to_owned(),
    }
}

/// Records `usage` USD of spend today (one request of `openai/gpt-4o`) on a
/// key of the shared simulator.
pub async fn spend_today(sim: &SimKey, usage: &str) {
    sim_post(
        &format!("/_sim/keys/{}/usage", sim.hash),
        &json!({ "date": day(0), "model": "openai/gpt-4o", "requests": 1,
                 "prompt_tokens": 10, "completion_tokens": 5, "usage": usage }),
    )
    .await;
}

/// Snapshots written straight into the local D1 of `persist_dir`, as the
/// sync writes them: `(key id, when (RFC 3339, on both clocks), all-time
/// usage in 1e-10 USD)`.
pub fn seed_snapshots(persist_dir: &std::path::Path, rows: &[(i64, String, i64)]) {
    let values: Vec<String> = rows
        .iter()
        .map(|(key, at, usage)| {
            format!(
                "({key}, '{at}', '{}', 'seed', {usage}, 0, 0, 0, 0, '{at}')",
                &at[..10]
            )
        })
        .collect();
    super::d1::d1_query(
        persist_dir,
        &format!(
            "INSERT INTO key_snapshots (api_key_id, taken_at, taken_on, label, usage, usage_daily,
                 usage_weekly, usage_monthly, is_free_tier, served_at) VALUES {}",
            values.join(", ")
        ),
    );
}

/// Installs a fault in the simulator; returns its id for [`lift_fault`].
pub async fn add_fault(fault: &Value) -> String {
    let id = sim_post("/_sim/faults", fault).await["id"].clone();
    id.as_str()
        .map(str::to_owned)
        .unwrap_or_else(|| id.to_string())
}

/// Removes a fault (already expired `times`-limited faults are fine), so
/// other tests' cron runs do not wait on this test's keys.
pub async fn lift_fault(id: &str) {
    let _ = client()
        .delete(app().sim_url(&format!("/_sim/faults/{id}")))
        .send()
        .await;
}

/// Makes the simulator reject (401) or accept a key again.
pub async fn set_revoked(sim: &SimKey, revoked: bool) {
    sim_post(
        &format!("/_sim/keys/{}/status", sim.hash),
        &json!({ "revoked": revoked }),
    )
    .await;
}

/// Fires a cron and waits until the run it started has finished: the
/// hourly sync's batches are consumed from the queue after the cron
/// returns, so its run is final only when its last batch reports.
pub async fn fire_cron(expr: &str) {
    let before = max_job_run_id();
    trigger_cron(&app().worker, expr).await;
    wait_for_runs(&app().persist_dir, before).await;
}

/// How long a cron may take to be answered (it answers in under a second).
const CRON_ANSWER: Duration = Duration::from_secs(30);

/// Fires cron `expr` on `worker` and returns once `wrangler dev` has answered it.
///
/// `wrangler dev` now and then holds a `/__scheduled` request until its
/// client gives up, and only then runs it: a held cron's run recorded its
/// start exactly at the client's 90 s timeout, while the same Worker
/// answered every other request at once (and the hang this made without a
/// timeout ended a CI run). So the cron gets [`CRON_ANSWER`] and, if held,
/// is fired once more. Both runs are real; a sync is idempotent, and the
/// callers wait for every run that started after theirs.
pub async fn trigger_cron(worker: &Worker, expr: &str) {
    let url = format!(
        "{}/__scheduled?cron={}",
        worker.base_url,
        expr.replace(' ', "+")
    );
    let log_tail = || worker.log_tail(30);
    for attempt in 1..=2 {
        match client().get(&url).timeout(CRON_ANSWER).send().await {
            Ok(res) => {
                assert_eq!(res.status(), 200, "cron {expr}\n{}", log_tail());
                return;
            }
            Err(e) if e.is_timeout() && attempt == 1 => {
                eprintln!("cron {expr}: held by wrangler dev for {CRON_ANSWER:?}; fired again");
            }
            Err(e) => panic!("cron {expr} is not answered: {e}\n{}", log_tail()),
        }
    }
}

/// Waits (up to 5 minutes) until the job runs started after `after_id` by
/// the time this is called in the D1 of `persist_dir` are final (neither
/// running nor enqueued). Runs other tests start later are not waited for:
/// on a busy machine their queue would keep this waiting for theirs.
pub async fn wait_for_runs(persist_dir: &std::path::Path, after_id: i64) {
    let dir = persist_dir.to_path_buf();
    tokio::task::spawn_blocking(move || {
        watcher_stack::d1::wait_for_runs(
            &dir,
            after_id,
            Duration::from_millis(100),
            Duration::from_secs(300),
        )
    })
    .await
    .expect("joins")
    .unwrap_or_else(|why| panic!("{why}"));
}

/// The newest job run's id, 0 when none has run.
pub fn max_job_run_id() -> i64 {
    app().d1("SELECT COALESCE(MAX(id), 0) AS id FROM job_runs")[0]["id"]
        .as_i64()
        .unwrap_or(0)
}

/// Waits until every job run that had started by now has finished.
///
/// Tests run in parallel and each fires the hourly sync, which syncs every
/// user's keys; a test that changes the simulator's answers (faults) and then
/// counts what the next run stores must not count what a run already in
/// flight stores with the old answers.
pub async fn settle_job_runs() {
    let started = max_job_run_id();
    let deadline = std::time::Instant::now() + Duration::from_secs(90);
    loop {
        let running = app().d1(&format!(
            "SELECT COUNT(*) AS n FROM job_runs WHERE id <= {started} AND status IN ('running', 'enqueued')"
        ))[0]["n"]
            .as_i64()
            .unwrap_or(0);
        if running == 0 {
            return;
        }
        if std::time::Instant::now() > deadline {
            // A run the runtime killed stays `running` forever; the caller's
            // own assertions then say what went wrong.
            eprintln!("{running} job runs still running after 90 s");
            return;
        }
        tokio::time::sleep(Duration::from_millis(250)).await;
    }
}

/// Today's UTC date as `YYYY-MM-DD`.
pub fn today() -> chrono::NaiveDate {
    chrono::Utc::now().date_naive()
}

pub fn day(offset_days: i64) -> String {
    (today() + chrono::Duration::days(offset_days))
        .format("%Y-%m-%d")
        .to_string()
}

/// Seeds usage rows for a user's keys straight into D1:
/// (key index, date offset, model, requests, in, out, cost units).
pub fn seed(user: &User, key_ids: &[i64], rows: &[(usize, i64, &str, i64, i64, i64, i64)]) {
    let values: Vec<String> = rows
        .iter()
        .map(|(k, offset, model, req, tin, tout, cost)| {
            format!(
                "({}, {}, '{}', '{}', {req}, {tin}, {tout}, {cost}, 'activity', 'seed')",
                key_ids[*k],
                user.org,
                day(*offset),
                model.replace('\'', "''")
            )
        })
        .collect();
    app().d1(&format!(
        "INSERT INTO usage_stats (api_key_id, org_id, date, model, requests_count, tokens_input, tokens_output, cost, source, updated_at)
         VALUES {}",
        values.join(", ")
    ));
}

/// A user with two stored keys (validated against the simulator) and a token.
pub async fn user_with_keys() -> (User, Vec<i64>, String) {
    let user = new_user().await;
    let mut ids = Vec::new();
    for name in ["alpha", "beta"] {
        let sim = sim_key(json!({ "generate": false })).await;
        let res = user.add_key(name, &sim.key, "inference").await;
        assert_eq!(res.status, 201, "{}", res.text);
        ids.push(res.json["id"].as_i64().unwrap());
    }
    let (_, token) = user.new_token("integration").await;
    (user, ids, token)
}

/// The events of `kind` of the account signed in as `jwt` on the Worker at
/// `base` (the newest 100), as `/api/alerts` lists them.
pub async fn events_of(base: &str, jwt: &str, kind: &str) -> Vec<Value> {
    let res = call_at(base, "GET", "/api/alerts?limit=100")
        .bearer(jwt)
        .send()
        .await;
    assert_eq!(res.status, 200, "{}", res.text);
    res.json["items"]
        .as_array()
        .expect("items")
        .iter()
        .filter(|e| e["type"] == kind)
        .cloned()
        .collect()
}
