//! `cargo xtask bench [--duration 15s] [--warmup 2s] [--skip-sync]
//! [--skip-reference] [--keep-state]`: SPEC §11's benchmark, end to end.
//!
//! Starts the built Worker under `wrangler dev` on a fresh local D1 with the
//! simulator, loads one user with 5 keys × 40 models × 365 days = 73,000
//! `usage_stats` rows straight into D1, checks the public API's totals to
//! the last of 10 decimals, prints the query plans, measures each public
//! request with `oha -c 8` beside `/health` and beside the original Python
//! stack re-measured in the same run, then checks that the hourly sync
//! copes with 1,000 keys. Writes `bench/results.md`. See `bench/README.md`.

mod dataset;
mod load;
mod reference;
pub mod stack;

use std::collections::BTreeMap;
use std::fmt::Write as _;
use std::fs;
use std::path::{Path, PathBuf};
use std::process::Command;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Mutex;
use std::time::{Duration, Instant};

use serde_json::{json, Value};

use self::dataset::{format_units, Dataset, Totals};
use self::load::Measure;
use self::stack::Stack;
use crate::http::{Client, Response};
use crate::tools::{self, step, Result};

const PASSWORD: &str = "bench-password-0123";
const SYNC_KEYS: usize = 1_000;
const SYNC_RUNS: usize = 5;
const HTTP_THREADS: usize = 8;
const SYNC_CRON: &str = "0+*+*+*+*";

struct Options {
    duration: Duration,
    warmup: Duration,
    skip_sync: bool,
    skip_reference: bool,
    keep_state: bool,
}

impl Options {
    fn parse(args: &[String]) -> Result<Options> {
        let mut opts = Options {
            duration: Duration::from_secs(15),
            warmup: Duration::from_secs(2),
            skip_sync: false,
            skip_reference: false,
            keep_state: false,
        };
        let mut args = args.iter();
        while let Some(arg) = args.next() {
            let (flag, inline) = match arg.split_once('=') {
                Some((f, v)) => (f, Some(v.to_owned())),
                None => (arg.as_str(), None),
            };
            let mut value = || {
                inline
                    .clone()
                    .or_else(|| args.next().cloned())
                    .ok_or_else(|| format!("{flag} needs a value"))
            };
            match flag {
                "--duration" => opts.duration = parse_duration(&value()?)?,
                "--warmup" => opts.warmup = parse_duration(&value()?)?,
                "--skip-sync" => opts.skip_sync = true,
                "--skip-reference" => opts.skip_reference = true,
                "--keep-state" => opts.keep_state = true,
                other => {
                    return Err(format!(
                        "unknown argument {other:?}; usage: cargo xtask bench [--duration 15s] \
                         [--warmup 2s] [--skip-sync] [--skip-reference] [--keep-state]"
                    ))
                }
            }
        }
        Ok(opts)
    }
}

/// `15s`, `500ms`, `1m`, or plain seconds.
fn parse_duration(text: &str) -> Result<Duration> {
    let bad = || format!("bad duration {text:?} (e.g. 15s, 500ms, 1m)");
    let (number, unit) = text
        .find(|c: char| !c.is_ascii_digit() && c != '.')
        .map_or((text, "s"), |i| text.split_at(i));
    let n: f64 = number.parse().map_err(|_| bad())?;
    let secs = match unit {
        "ms" => n / 1000.0,
        "s" => n,
        "m" => n * 60.0,
        _ => return Err(bad()),
    };
    if secs <= 0.0 {
        return Err(bad());
    }
    Ok(Duration::from_secs_f64(secs))
}

pub fn run(args: &[String]) -> Result {
    let opts = Options::parse(args)?;
    let started = Instant::now();
    tools::setup()?;
    tools::build_worker()?;
    let oha = load::ensure_oha()?;
    let root = tools::root();
    let mut stack = Stack::start(&root)?;
    let result = bench(&root, &mut stack, &oha, &opts, started);
    if let Err(e) = &result {
        eprintln!("bench failed: {e}");
        eprintln!(
            "--- wrangler dev (last lines) ---\n{}",
            stack.worker.log_tail(25)
        );
    }
    stack.finish(result.is_err() || opts.keep_state);
    if result.is_ok() {
        eprintln!("bench done in {:.0}s", started.elapsed().as_secs_f64());
    }
    result
}

/// Everything `bench/results.md` reports.
#[derive(Default)]
struct Report {
    settings: String,
    load: String,
    checks: Vec<(String, bool)>,
    rows: Vec<Row>,
    floors: Vec<Floor>,
    reference_note: String,
    reference_versions: String,
    sync: Vec<String>,
    plans: Vec<(String, String)>,
}

/// One public request, measured twice (SPEC §11, "Cold and warm").
struct Row {
    label: String,
    target: Option<f64>,
    repeated: Run,
    cold: Option<Run>,
}

struct Run {
    /// What was asked, for the report.
    questions: String,
    ours: Measure,
    reference: Option<Measure>,
}

/// A floor of the cold phase: what the least work for the same answer costs.
struct Floor {
    label: String,
    request: String,
    measure: Measure,
}

/// A public request of SPEC §11: the one question of its repeated row, the
/// distinct questions of its cold row.
struct PublicRequest {
    label: &'static str,
    repeated: String,
    cold: Vec<String>,
    cold_note: String,
    target: Option<f64>,
}

/// Windows of the cold 365-day rows: 365-day ranges ending today, yesterday…
/// (the dataset covers the last 365 days, so a window ending `k` days ago
/// reads `365 - k` days of data: at least 336 of 365).
const COLD_SHIFTS: i64 = 30;
/// The answer-cache setting of the cold phase: no cache at all.
const CACHE_OFF: &str = "PUBLIC_ANSWER_CACHE_MS:0";

fn public_requests(today: i64) -> [PublicRequest; 4] {
    let day = dataset::format_day;
    let first = today - (dataset::DAYS - 1);
    let range = |start: i64, end: i64| format!("start_date={}&end_date={}", day(start), day(end));
    let windows_365: Vec<String> = (0..COLD_SHIFTS)
        .map(|k| range(first - k, today - k))
        .collect();
    let windows_30: Vec<String> = (first..=today - 29)
        .map(|start| range(start, start + 29))
        .collect();
    let n30 = windows_30.len();
    [
        PublicRequest {
            label: "`GET /api/v1/stats` (30 days)",
            repeated: "/api/v1/stats".into(),
            cold: windows_30
                .iter()
                .map(|r| format!("/api/v1/stats?{r}"))
                .collect(),
            cold_note: format!("every 30-day window inside the dataset ({n30})"),
            target: Some(1.3),
        },
        PublicRequest {
            label: "`GET /api/v1/stats` (365 days)",
            repeated: format!("/api/v1/stats?{}", range(first, today)),
            cold: windows_365
                .iter()
                .map(|r| format!("/api/v1/stats?{r}"))
                .collect(),
            cold_note: format!(
                "365-day windows ending today or up to {} days earlier ({COLD_SHIFTS})",
                COLD_SHIFTS - 1
            ),
            target: Some(6.0),
        },
        PublicRequest {
            label: "`GET /api/v1/usage` (365 days, limit=1000)",
            repeated: format!("/api/v1/usage?{}&limit=1000", range(first, today)),
            cold: windows_365
                .iter()
                .map(|r| format!("/api/v1/usage?{r}&limit=1000"))
                .collect(),
            cold_note: format!(
                "page 1 of 1000 rows of 365-day windows ending today or up to {} days earlier ({COLD_SHIFTS})",
                COLD_SHIFTS - 1
            ),
            target: Some(10.0),
        },
        PublicRequest {
            label: "`GET /api/v1/keys`",
            repeated: "/api/v1/keys".into(),
            cold: vec!["/api/v1/keys".into()],
            cold_note: "the one question there is (1)".into(),
            target: Some(6.0),
        },
    ]
}

fn bench(
    root: &Path,
    stack: &mut Stack,
    oha: &PathBuf,
    opts: &Options,
    started: Instant,
) -> Result {
    let mut report = Report {
        settings: format!(
            "`oha -c {} -z {}s` after a {}s warm-up, per request, one after the other",
            load::CONCURRENCY,
            opts.duration.as_secs_f64(),
            opts.warmup.as_secs_f64()
        ),
        ..Report::default()
    };
    let api = stack.worker.client();

    // ---- dataset --------------------------------------------------------------
    step("bench user, API token");
    let (user_id, jwt) = register_and_login(&api, "bench")?;
    let token = api
        .post(
            "/api/tokens",
            Some(&jwt),
            &json!({"name": "bench"}).to_string(),
        )
        .and_then(|r| expect(r, 201, "POST /api/tokens"))?
        .json()?["token"]
        .as_str()
        .ok_or("POST /api/tokens: no token in the answer")?
        .to_owned();

    step("dataset: 5 keys × 40 models × 365 days straight into local D1");
    let today = dataset::today();
    let now = dataset::timestamp(dataset::now_secs());
    let (sql, tsv) = (stack.dir.join("dataset.sql"), stack.dir.join("dataset.tsv"));
    let data = dataset::generate(user_id, 1, today, &now, &sql, &tsv)?;
    let t = Instant::now();
    stack.execute_file(root, &sql)?;
    report.load = format!(
        "{} `usage_stats` rows ({} statements of {} rows, {:.1} MB of SQL) loaded with `wrangler d1 execute --local --file` in {:.1}s; the rollups are filled by the triggers.",
        data.rows,
        data.rows.div_ceil(dataset::ROWS_PER_INSERT),
        dataset::ROWS_PER_INSERT,
        data.sql_bytes as f64 / 1e6,
        t.elapsed().as_secs_f64()
    );
    eprintln!("{}", report.load);

    // Calls made from here on are measured: they must be the same requests.
    let range = format!("start_date={}&end_date={}", data.start, data.today);
    let stats_365 = format!("/api/v1/stats?{range}");
    let usage_365 = format!("/api/v1/usage?{range}&limit=1000");

    step("exactness: the API's totals against the generator's");
    check_exact(&api, &token, &data, &stats_365, &usage_365, &mut report)?;
    for (line, ok) in &report.checks {
        eprintln!("{} {line}", if *ok { "OK      " } else { "MISMATCH" });
    }

    step("query plans of the public queries");
    report.plans = query_plans(root, stack, &data);
    for (name, plan) in &report.plans {
        eprintln!("{name}:\n{plan}");
    }

    // ---- reference ------------------------------------------------------------
    let reference = if opts.skip_reference {
        report.reference_note = "skipped (--skip-reference)".into();
        None
    } else {
        match reference::start(root, &stack.dir, &tsv) {
            Ok(r) => {
                report.reference_versions = r.versions.clone();
                let got = r
                    .server
                    .client()
                    .get(&stats_365, Some(&r.token))
                    .and_then(|resp| expect(resp, 200, "reference stats"))
                    .and_then(|resp| resp.json())
                    .map(|j| j["summary"]["total_cost"].to_string())
                    .unwrap_or_else(|e| e);
                let expected = format_units(data.last_365.cost);
                report.reference_note = format!(
                    "365-day `total_cost` from the reference: {got} (exact: \"{expected}\"): {}",
                    if got.trim_matches('"') == expected {
                        "exact"
                    } else {
                        "NOT exact (float sum)"
                    }
                );
                eprintln!("{}", report.reference_note);
                Some(r)
            }
            Err(e) => {
                report.reference_note = format!("not measured: {e}");
                eprintln!("reference unavailable, going on without it: {e}");
                None
            }
        }
    };

    // ---- load: repeated -------------------------------------------------------
    let requests = public_requests(today);
    let dir = stack.dir.clone();
    let file = |name: &str| dir.join(name);
    for request in &requests {
        step(&format!("load, repeated: {}", request.label));
        let paths = std::slice::from_ref(&request.repeated);
        let ours = measure(oha, &api, paths, Some(&token), opts, &file("repeated"))?;
        eprintln!("  ours:      {}", summary(&ours));
        let reference = measure_reference(oha, reference.as_ref(), paths, opts, &file("ref"));
        report.rows.push(Row {
            label: request.label.to_owned(),
            target: request.target,
            repeated: Run {
                questions: format!(
                    "repeated: `{}` (answer cache on: the default `PUBLIC_ANSWER_CACHE_MS`)",
                    request.repeated
                ),
                ours,
                reference,
            },
            cold: None,
        });
    }

    // ---- load: cold -----------------------------------------------------------
    stack.restart_worker(root, "cold", &[CACHE_OFF])?;
    let api = stack.worker.client();
    step("exactness again, answer cache off");
    let before = report.checks.len();
    check_exact(&api, &token, &data, &stats_365, &usage_365, &mut report)?;
    for (line, ok) in &mut report.checks[before..] {
        *line = format!("cache off: {line}");
        eprintln!("{} {line}", if *ok { "OK      " } else { "MISMATCH" });
    }
    let floor = stack.start_floor(root, user_id)?;
    for (request, row) in requests.iter().zip(&mut report.rows) {
        step(&format!("load, cold: {}", request.label));
        let slug = format!("cold-{}", row_slug(&request.repeated));
        let ours = measure(oha, &api, &request.cold, Some(&token), opts, &file(&slug))?;
        eprintln!("  ours:      {}", summary(&ours));
        let reference = measure_reference(
            oha,
            reference.as_ref(),
            &request.cold,
            opts,
            &file(&format!("{slug}-ref")),
        );
        row.cold = Some(Run {
            questions: format!("cold: {} (answer cache off)", request.cold_note),
            ours,
            reference,
        });
        if request.repeated.starts_with("/api/v1/usage") {
            // The floors of this row, right after it.
            for (label, prefix) in [
                (
                    "bare Worker: the same page in one D1 statement (no token, no Durable Object; `bench/floor/worker.js`)",
                    "/usage",
                ),
                (
                    "bare Worker: the same statement run by one Durable Object (the product's two round trips, none of its work)",
                    "/hop/usage",
                ),
            ] {
                step(&format!("load, floor: {prefix}"));
                let paths: Vec<String> = request
                    .cold
                    .iter()
                    .map(|p| p.replacen("/api/v1/usage", prefix, 1))
                    .collect();
                let slug = format!("floor{}", prefix.replace('/', "-"));
                let measure = measure(oha, &floor.client(), &paths, None, opts, &file(&slug))?;
                eprintln!("  floor:     {}", summary(&measure));
                report.floors.push(Floor {
                    label: label.to_owned(),
                    request: format!("{prefix}?…: the cold row's questions"),
                    measure,
                });
            }
        }
    }
    drop(floor);
    step("load: `GET /health`");
    let health = measure(
        oha,
        &api,
        &["/health".to_owned()],
        None,
        opts,
        &file("health"),
    )?;
    eprintln!("  ours:      {}", summary(&health));
    report.floors.insert(
        0,
        Floor {
            label: "`GET /health` (one D1 statement: the floor of one round trip)".into(),
            request: "/health".into(),
            measure: health,
        },
    );
    drop(reference);

    // ---- sync scale -----------------------------------------------------------
    if opts.skip_sync {
        report.sync.push("skipped (--skip-sync)".into());
    } else {
        step(&format!("sync scale: {SYNC_KEYS} keys, hourly job"));
        report.sync = sync_check(root, stack)?;
    }

    let text = render(&report, root, opts, started);
    println!("{text}");
    let out = root.join("bench/results.md");
    fs::write(&out, &text).map_err(|e| format!("{}: {e}", out.display()))?;
    eprintln!("wrote {}", out.display());
    if report.checks.iter().any(|(_, ok)| !ok) {
        return Err("the API's totals are not exact (see MISMATCH above)".into());
    }
    Ok(())
}

fn expect(resp: Response, status: u16, what: &str) -> Result<Response> {
    if resp.status == status {
        Ok(resp)
    } else {
        Err(format!(
            "{what}: expected {status}, got {}: {}",
            resp.status,
            resp.body.chars().take(400).collect::<String>()
        ))
    }
}

/// Registers `<who>-<pid>@bench.example` and logs in: (user id, JWT).
fn register_and_login(api: &Client, who: &str) -> Result<(i64, String)> {
    let body = json!({
        "email": format!("{who}-{}@bench.example", std::process::id()),
        "password": PASSWORD,
    })
    .to_string();
    let user = expect(
        api.post("/api/auth/register", None, &body)?,
        201,
        "POST /api/auth/register",
    )?
    .json()?;
    let id = user["id"].as_i64().ok_or("register: no id in the answer")?;
    let login = expect(
        api.post("/api/auth/login", None, &body)?,
        200,
        "POST /api/auth/login",
    )?
    .json()?;
    let jwt = login["access_token"]
        .as_str()
        .ok_or("login: no access_token")?
        .to_owned();
    Ok((id, jwt))
}

fn check_exact(
    api: &Client,
    token: &str,
    data: &Dataset,
    stats_365: &str,
    usage_365: &str,
    report: &mut Report,
) -> Result {
    let get = |path: &str| -> Result<Value> {
        expect(api.get(path, Some(token))?, 200, &format!("GET {path}"))?.json()
    };
    let mut check = |name: String, expected: String, got: String| {
        let ok = expected == got;
        let line = if ok {
            format!("{name} = {got}")
        } else {
            format!("{name}: expected {expected}, got {got}")
        };
        report.checks.push((line, ok));
    };
    let summary = |name: &str,
                   totals: &Totals,
                   json: &Value,
                   check: &mut dyn FnMut(String, String, String)| {
        let s = &json["summary"];
        check(
            format!("{name} total_cost"),
            format!("{:?}", format_units(totals.cost)),
            s["total_cost"].to_string(),
        );
        check(
            format!("{name} total_requests"),
            totals.requests.to_string(),
            s["total_requests"].to_string(),
        );
        check(
            format!("{name} total_tokens_input"),
            totals.tokens_input.to_string(),
            s["total_tokens_input"].to_string(),
        );
        check(
            format!("{name} total_tokens_output"),
            totals.tokens_output.to_string(),
            s["total_tokens_output"].to_string(),
        );
    };
    summary(
        "stats (30 days)",
        &data.last_30,
        &get("/api/v1/stats")?,
        &mut check,
    );
    summary(
        "stats (365 days)",
        &data.last_365,
        &get(stats_365)?,
        &mut check,
    );
    let keys = get("/api/v1/keys")?;
    for key in &data.keys {
        let item = keys["items"]
            .as_array()
            .and_then(|items| items.iter().find(|i| i["id"].as_i64() == Some(key.id)));
        let (cost, requests) = item.map_or(("missing".to_owned(), "missing".to_owned()), |i| {
            (
                i["stats"]["total_cost"].to_string(),
                i["stats"]["total_requests"].to_string(),
            )
        });
        check(
            format!("keys: {} total_cost", key.name),
            format!("{:?}", format_units(key.totals.cost)),
            cost,
        );
        check(
            format!("keys: {} total_requests", key.name),
            key.totals.requests.to_string(),
            requests,
        );
    }
    let usage = get(usage_365)?;
    check(
        "usage (365 days) pagination.total".into(),
        data.usage_rows.to_string(),
        usage["pagination"]["total"].to_string(),
    );
    check(
        "usage (365 days, limit=1000) items on page 1".into(),
        "1000".into(),
        usage["items"].as_array().map_or(0, Vec::len).to_string(),
    );
    Ok(())
}

/// Verifies a 200 first (on the first and last question), then warm-up and
/// measurement. More than one path: oha draws one at random per request
/// from `<stem>.urls`.
fn measure(
    oha: &PathBuf,
    client: &Client,
    paths: &[String],
    token: Option<&str>,
    opts: &Options,
    stem: &Path,
) -> Result<Measure> {
    let (Some(first), Some(last)) = (paths.first(), paths.last()) else {
        return Err("no question to measure".into());
    };
    for path in [first, last] {
        expect(
            client.get(path, token)?,
            200,
            &format!("GET {}{path}", client.base()),
        )?;
    }
    let urls: Vec<String> = paths
        .iter()
        .map(|p| format!("{}{p}", client.base()))
        .collect();
    let list = stem.with_extension("urls");
    let target = if let [url] = urls.as_slice() {
        load::Target::Url(url)
    } else {
        fs::write(&list, urls.join("\n") + "\n").map_err(|e| format!("{}: {e}", list.display()))?;
        load::Target::UrlFile(&list)
    };
    load::measure(oha, &target, token, opts.warmup)?;
    load::measure(oha, &target, token, opts.duration)
}

/// The reference on the same questions; a failure is reported, not fatal.
fn measure_reference(
    oha: &PathBuf,
    reference: Option<&reference::Reference>,
    paths: &[String],
    opts: &Options,
    stem: &Path,
) -> Option<Measure> {
    let r = reference?;
    match measure(oha, &r.server.client(), paths, Some(&r.token), opts, stem) {
        Ok(m) => {
            eprintln!("  reference: {}", summary(&m));
            Some(m)
        }
        Err(e) => {
            eprintln!("  reference failed: {e}");
            None
        }
    }
}

/// `stats-365`-like file names for a request's URL lists.
fn row_slug(path: &str) -> String {
    let name = path.trim_start_matches("/api/v1/");
    let name = name.split('?').next().unwrap_or(name);
    let days = if path.contains("start_date") {
        "-365"
    } else {
        ""
    };
    format!("{name}{days}")
}

fn summary(m: &Measure) -> String {
    format!(
        "{:.1} req/s, p50 {:.1} ms, p99 {:.1} ms, non-2xx {}, errors {} [{}]",
        m.ok_per_sec, m.p50_ms, m.p99_ms, m.non_2xx, m.errors, m.statuses
    )
}

// ---- query plans ----------------------------------------------------------------

/// The three public queries, read from `src/store/usage.rs` (so the plans
/// follow the code), with literal parameters.
fn query_plans(root: &Path, stack: &Stack, data: &Dataset) -> Vec<(String, String)> {
    let source = fs::read_to_string(root.join("src/store/usage.rs")).unwrap_or_default();
    let hash = format!("'{}'", "0".repeat(64));
    let (start, end) = (format!("'{}'", data.start), format!("'{}'", data.today));
    let queries: [(&str, Vec<&str>); 3] = [
        ("public_stats", vec![&hash, &start, &end]),
        ("public_usage", vec![&hash, &start, &end, "1000", "0"]),
        ("public_keys", vec![&hash]),
    ];
    queries
        .into_iter()
        .map(|(name, params)| {
            let plan = match extract_sql(&source, name) {
                Some(sql) => {
                    let sql = bind(&sql, &params);
                    match stack.query(root, &format!("EXPLAIN QUERY PLAN {sql}")) {
                        Ok(rows) => render_plan(&rows),
                        Err(e) => format!("(EXPLAIN failed: {e})"),
                    }
                }
                None => "(SQL not found in src/store/usage.rs)".to_owned(),
            };
            (name.to_owned(), plan)
        })
        .collect()
}

/// The first string literal after `fn <name>(`.
fn extract_sql(source: &str, name: &str) -> Option<String> {
    let at = source.find(&format!("fn {name}("))?;
    let rest = &source[at..];
    let open = rest.find('"')? + 1;
    let close = open + rest[open..].find('"')?;
    Some(rest[open..close].to_owned())
}

/// Replaces `?N` with `params[N-1]`, highest N first (`?1` is a prefix of `?10`).
fn bind(sql: &str, params: &[&str]) -> String {
    let mut sql = sql.to_owned();
    for (i, value) in params.iter().enumerate().rev() {
        sql = sql.replace(&format!("?{}", i + 1), value);
    }
    sql.split_whitespace().collect::<Vec<_>>().join(" ")
}

fn render_plan(rows: &[Value]) -> String {
    let mut depth: BTreeMap<i64, usize> = BTreeMap::new();
    let mut out = String::new();
    for row in rows {
        let id = row["id"].as_i64().unwrap_or(0);
        let parent = row["parent"].as_i64().unwrap_or(0);
        let d = depth.get(&parent).map_or(0, |d| d + 1);
        depth.insert(id, d);
        let _ = writeln!(
            out,
            "{}{}",
            "  ".repeat(d),
            row["detail"].as_str().unwrap_or("?")
        );
    }
    out.trim_end().to_owned()
}

// ---- sync scale -----------------------------------------------------------------

fn sync_check(root: &Path, stack: &Stack) -> Result<Vec<String>> {
    let mut lines = Vec::new();
    let api = stack.worker.client();
    let sim = stack.sim.client();
    let t = Instant::now();
    let keys = expect(
        sim.post(
            "/_sim/keys/bulk",
            None,
            &json!({ "count": SYNC_KEYS }).to_string(),
        )?,
        201,
        "POST /_sim/keys/bulk",
    )?
    .json()?;
    let keys: Vec<(String, String)> = keys["keys"]
        .as_array()
        .ok_or("bulk: no keys")?
        .iter()
        .filter_map(|k| {
            Some((
                k["label"].as_str()?.to_owned(),
                k["key"].as_str()?.to_owned(),
            ))
        })
        .collect();
    if keys.len() != SYNC_KEYS {
        return Err(format!(
            "the simulator made {} keys, not {SYNC_KEYS}",
            keys.len()
        ));
    }
    lines.push(format!(
        "{SYNC_KEYS} inference keys registered in the simulator in {:.1}s (`POST /_sim/keys/bulk`).",
        t.elapsed().as_secs_f64()
    ));

    let (user_id, jwt) = register_and_login(&api, "sync")?;
    let t = Instant::now();
    let next = AtomicUsize::new(0);
    let statuses: Mutex<BTreeMap<String, usize>> = Mutex::new(BTreeMap::new());
    std::thread::scope(|scope| {
        for _ in 0..HTTP_THREADS {
            scope.spawn(|| loop {
                let i = next.fetch_add(1, Ordering::Relaxed);
                let Some((name, key)) = keys.get(i) else {
                    break;
                };
                let body = json!({ "name": name, "key": key }).to_string();
                let outcome = match api.post("/api/keys", Some(&jwt), &body) {
                    Ok(resp) => resp.status.to_string(),
                    Err(e) => format!("error ({e})"),
                };
                *statuses.lock().unwrap().entry(outcome).or_default() += 1;
            });
        }
    });
    let statuses = statuses.into_inner().unwrap_or_default();
    let took = t.elapsed().as_secs_f64();
    lines.push(format!(
        "{SYNC_KEYS} keys stored through `POST /api/keys` ({HTTP_THREADS} at a time, each validated against the simulator) in {took:.1}s ({:.0}/s): {}.",
        SYNC_KEYS as f64 / took,
        statuses
            .iter()
            .map(|(s, n)| format!("{s} × {n}"))
            .collect::<Vec<_>>()
            .join(", ")
    ));
    if statuses.get("201").copied().unwrap_or(0) != SYNC_KEYS {
        lines.push("WARNING: not every key was stored (see the statuses above).".into());
    }
    lines.push(String::new());
    lines.push(
        "| run | `/__scheduled` wall time | status | keys_ok | keys_failed | keys_deferred | rows_written | subrequests | duration_ms | keys synced so far |"
            .into(),
    );
    lines.push("| ---: | ---: | --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: |".into());
    let scheduler = api.with_timeout(Duration::from_secs(600));
    let mut last_id = 0;
    for run in 1..=SYNC_RUNS {
        let t = Instant::now();
        expect(
            scheduler.get(&format!("/__scheduled?cron={SYNC_CRON}"), None)?,
            200,
            "GET /__scheduled",
        )?;
        let wall = t.elapsed().as_secs_f64();
        let row = latest_sync_run(root, stack, last_id)?;
        last_id = row["id"].as_i64().unwrap_or(last_id);
        let synced = stack
            .query(
                root,
                &format!(
                    "SELECT COUNT(*) AS n FROM api_keys WHERE user_id = {user_id} AND last_synced_at IS NOT NULL"
                ),
            )?
            .first()
            .and_then(|r| r["n"].as_i64())
            .unwrap_or(-1);
        let field = |name: &str| match &row[name] {
            Value::Null => "-".to_owned(),
            Value::String(s) => s.clone(),
            other => other.to_string(),
        };
        let line = format!(
            "| {run} | {wall:.1} s | {} | {} | {} | {} | {} | {} | {} | {synced} / {SYNC_KEYS} |",
            field("status"),
            field("keys_ok"),
            field("keys_failed"),
            field("keys_deferred"),
            field("rows_written"),
            field("subrequests"),
            field("duration_ms"),
        );
        eprintln!("{line}");
        lines.push(line);
        if field("error") != "-" {
            lines.push(format!(
                "|  | error: {} |",
                field("error").replace('|', "/")
            ));
        }
        // Each run serves the least recently synced keys first, so with
        // more keys than budget some are always deferred: stop once every
        // key has been synced at least once.
        if synced >= SYNC_KEYS as i64 {
            break;
        }
    }
    Ok(lines)
}

/// The newest `usage_sync` row after `after_id`, once it has finished.
fn latest_sync_run(root: &Path, stack: &Stack, after_id: i64) -> Result<Value> {
    let sql = format!(
        "SELECT id, status, keys_ok, keys_failed, keys_deferred, rows_written, subrequests, duration_ms, error \
         FROM job_runs WHERE job = 'usage_sync' AND id > {after_id} ORDER BY id DESC LIMIT 1"
    );
    let deadline = Instant::now() + Duration::from_secs(300);
    loop {
        if let Some(row) = stack.query(root, &sql)?.into_iter().next() {
            if row["status"].as_str() != Some("running") {
                return Ok(row);
            }
        }
        if Instant::now() > deadline {
            return Err("the sync run did not finish within 5 minutes".into());
        }
        std::thread::sleep(Duration::from_secs(2));
    }
}

// ---- report ---------------------------------------------------------------------

fn render(report: &Report, root: &Path, opts: &Options, started: Instant) -> String {
    let mut out = String::new();
    let w = &mut out;
    let _ = writeln!(w, "# Benchmark results (`cargo xtask bench`)\n");
    let _ = writeln!(
        w,
        "Taken {} on {}.\n",
        dataset::timestamp(dataset::now_secs()),
        machine()
    );
    let _ = writeln!(w, "- Versions: {}", versions(root));
    if !report.reference_versions.is_empty() {
        let _ = writeln!(w, "- Reference: {}", report.reference_versions);
    }
    let _ = writeln!(w, "- Load: {}", report.settings);
    let _ = writeln!(w, "- Data: {}", report.load);
    let _ = writeln!(
        w,
        "- Whole run (setup, build check, load, measurements, sync): {:.0}s{}\n",
        started.elapsed().as_secs_f64(),
        if opts.duration < Duration::from_secs(15) {
            " — a SHORT run: use the default 15s for figures to compare"
        } else {
            ""
        }
    );

    let _ = writeln!(w, "## Throughput and latency\n");
    let _ = writeln!(
        w,
        "Each request twice (SPEC §11, \"Cold and warm\"): **repeated**, one question over and over, \
         with the product's answer cache on (as a dashboard that repeats itself sees it); **cold**, \
         the Worker restarted on the same data with `{CACHE_OFF}` (no answer cache) and a question drawn \
         at random per request from distinct ones (oha `--urls-from-file`). The reference has no cache: \
         it is measured on the same questions. req/s counts 2xx answers only; ratio = ours / reference \
         req/s; SPEC §11's targets are judged on the cold rows.\n"
    );
    let _ = writeln!(
        w,
        "| request | questions | req/s | p50 ms | p99 ms | non-2xx | reference req/s | ref p50 ms | ref p99 ms | ref non-2xx | ratio | target |"
    );
    let _ = writeln!(
        w,
        "| --- | --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | --- |"
    );
    for row in &report.rows {
        let runs = [(&row.repeated, false)]
            .into_iter()
            .chain(row.cold.iter().map(|run| (run, true)));
        for (run, cold) in runs {
            let m = &run.ours;
            let (rr, rp50, rp99, rbad, ratio) = match &run.reference {
                Some(r) => (
                    format!("{:.1}", r.ok_per_sec),
                    format!("{:.1}", r.p50_ms),
                    format!("{:.1}", r.p99_ms),
                    (r.non_2xx + r.errors).to_string(),
                    (r.ok_per_sec > 0.0).then(|| m.ok_per_sec / r.ok_per_sec),
                ),
                None => ("-".into(), "-".into(), "-".into(), "-".into(), None),
            };
            let target = match (row.target, ratio, cold) {
                (Some(t), Some(r), true) => {
                    format!("≥ {t}×: **{}**", if r >= t { "met" } else { "NOT met" })
                }
                (Some(t), None, true) => format!("≥ {t}×"),
                (Some(_), _, false) => "(judged cold)".into(),
                (None, _, _) => "-".into(),
            };
            let _ = writeln!(
                w,
                "| {} | {} | {:.1} | {:.1} | {:.1} | {} | {rr} | {rp50} | {rp99} | {rbad} | {} | {target} |",
                row.label,
                if cold { "cold" } else { "repeated" },
                m.ok_per_sec,
                m.p50_ms,
                m.p99_ms,
                m.non_2xx + m.errors,
                ratio.map_or("-".into(), |r| format!("{r:.1}×")),
            );
        }
    }
    let _ = writeln!(w, "\nQuestions:\n");
    for row in &report.rows {
        let _ = writeln!(w, "- {}:", row.label);
        for run in std::iter::once(&row.repeated).chain(&row.cold) {
            let _ = writeln!(w, "  - {}", run.questions);
        }
    }

    if !report.floors.is_empty() {
        let _ = writeln!(w, "\n## Floors (cold phase, same run)\n");
        let _ = writeln!(
            w,
            "What the least work for the same answer costs under `wrangler dev` on this machine, \
             with the same oha settings and the same questions.\n"
        );
        let _ = writeln!(w, "| floor | request | req/s | p50 ms | p99 ms | non-2xx |");
        let _ = writeln!(w, "| --- | --- | ---: | ---: | ---: | ---: |");
        for floor in &report.floors {
            let m = &floor.measure;
            let _ = writeln!(
                w,
                "| {} | `{}` | {:.1} | {:.1} | {:.1} | {} |",
                floor.label,
                floor.request,
                m.ok_per_sec,
                m.p50_ms,
                m.p99_ms,
                m.non_2xx + m.errors
            );
        }
        let _ = writeln!(w);
        for line in verdicts(report) {
            let _ = writeln!(w, "- {line}");
        }
    }
    let _ = writeln!(w, "\nReference: {}\n", report.reference_note);

    let _ = writeln!(
        w,
        "## Exactness (expected totals computed while generating the rows)\n"
    );
    for (line, ok) in &report.checks {
        let _ = writeln!(w, "- {}: {line}", if *ok { "OK" } else { "MISMATCH" });
    }

    let _ = writeln!(
        w,
        "\n## Sync at scale (hourly job, `GET /__scheduled?cron=0+*+*+*+*`)\n"
    );
    let _ = writeln!(
        w,
        "A second user stores {SYNC_KEYS} simulator keys; each run may make at most `SYNC_SUBREQUEST_BUDGET` ({}) calls to OpenRouter and defers the rest.\n",
        sync_budget(root)
    );
    for line in &report.sync {
        let _ = writeln!(w, "{line}");
    }

    let _ = writeln!(
        w,
        "\n## Query plans (`EXPLAIN QUERY PLAN`, SQL from `src/store/usage.rs`)\n"
    );
    for (name, plan) in &report.plans {
        let _ = writeln!(w, "`{name}`:\n\n```\n{plan}\n```\n");
    }
    out
}

/// Each cold row against its floor (SPEC §11: where the cold row sits on
/// the floor of its round trips, the design's limit is reached).
fn verdicts(report: &Report) -> Vec<String> {
    let floor = |prefix: &str| {
        report
            .floors
            .iter()
            .find(|f| f.request.starts_with(prefix))
            .map(|f| f.measure.ok_per_sec)
            .filter(|r| *r > 0.0)
    };
    let mut lines = Vec::new();
    for row in &report.rows {
        let Some(cold) = &row.cold else { continue };
        let ours = cold.ours.ok_per_sec;
        let share = |floor: f64| format!("{:.0} %", 100.0 * ours / floor);
        let mut line = format!("cold {}: {ours:.1} req/s", row.label);
        if let Some(health) = floor("/health") {
            line.push_str(&format!(
                ", {} of `/health` (one statement, {health:.1})",
                share(health)
            ));
        }
        if row.label.contains("/api/v1/usage") {
            if let Some(page) = floor("/usage") {
                line.push_str(&format!(
                    ", {} of the bare Worker's page ({page:.1})",
                    share(page)
                ));
            }
            if let Some(hop) = floor("/hop/usage") {
                line.push_str(&format!(
                    ", {} of the same through one Durable Object ({hop:.1})",
                    share(hop)
                ));
            }
        }
        lines.push(line + ".");
    }
    lines
}

fn machine() -> String {
    let cores = std::thread::available_parallelism().map_or(0, |n| n.get());
    let cpuinfo = fs::read_to_string("/proc/cpuinfo").unwrap_or_default();
    let cpu = cpuinfo
        .lines()
        .find(|l| l.starts_with("model name"))
        .and_then(|l| l.split(':').nth(1))
        .map_or("unknown CPU".to_owned(), |s| s.trim().to_owned());
    let mem = fs::read_to_string("/proc/meminfo")
        .unwrap_or_default()
        .lines()
        .find(|l| l.starts_with("MemTotal"))
        .and_then(|l| l.split_whitespace().nth(1)?.parse::<f64>().ok())
        .map_or(String::new(), |kb| {
            format!(", {:.0} GiB RAM", kb / 1048576.0)
        });
    format!("{cores} cores (nproc), {cpu}{mem}")
}

fn command_output(cmd: &mut Command) -> String {
    cmd.output()
        .ok()
        .filter(|o| o.status.success())
        .map(|o| String::from_utf8_lossy(&o.stdout).trim().to_owned())
        .unwrap_or_else(|| "?".into())
}

fn package_version(path: PathBuf) -> String {
    fs::read_to_string(path)
        .ok()
        .and_then(|t| serde_json::from_str::<Value>(&t).ok())
        .and_then(|j| j["version"].as_str().map(str::to_owned))
        .unwrap_or_else(|| "?".into())
}

fn versions(root: &Path) -> String {
    let commit = command_output(
        Command::new("git")
            .args(["rev-parse", "--short", "HEAD"])
            .current_dir(root),
    );
    let dirty = !command_output(
        Command::new("git")
            .args([
                "status",
                "--porcelain",
                "--",
                "src",
                "migrations",
                "Cargo.toml",
            ])
            .current_dir(root),
    )
    .is_empty();
    format!(
        "commit {commit}{}, {}, wrangler {}, workerd {}, oha {}",
        if dirty { " + uncommitted changes" } else { "" },
        command_output(Command::new("rustc").arg("--version")),
        package_version(root.join("node_modules/wrangler/package.json")),
        package_version(root.join("node_modules/@cloudflare/workerd-linux-64/package.json")),
        load::OHA_VERSION
    )
}

fn sync_budget(root: &Path) -> String {
    fs::read_to_string(root.join("wrangler.toml"))
        .unwrap_or_default()
        .lines()
        .find(|l| l.trim_start().starts_with("SYNC_SUBREQUEST_BUDGET"))
        .and_then(|l| l.split('=').nth(1))
        .map_or("?".into(), |v| v.trim().trim_matches('"').to_owned())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn durations_and_flags_parse() {
        assert_eq!(parse_duration("15s").unwrap(), Duration::from_secs(15));
        assert_eq!(parse_duration("500ms").unwrap(), Duration::from_millis(500));
        assert_eq!(parse_duration("1m").unwrap(), Duration::from_secs(60));
        assert_eq!(parse_duration("3").unwrap(), Duration::from_secs(3));
        assert!(parse_duration("fast").is_err());
        let args = ["--duration=3s", "--skip-sync"].map(String::from);
        let opts = Options::parse(&args).unwrap();
        assert_eq!(opts.duration, Duration::from_secs(3));
        assert!(opts.skip_sync && !opts.skip_reference);
        assert!(Options::parse(&["--nope".to_owned()]).is_err());
    }

    #[test]
    fn sql_is_extracted_and_bound() {
        let source = "pub async fn public_keys(db: &D1Database) {\n    all(db, \"SELECT ?1, ?10\n  FROM t\", args![])\n}";
        let sql = extract_sql(source, "public_keys").unwrap();
        let params: Vec<String> = (1..=10).map(|i| format!("v{i}")).collect();
        let params: Vec<&str> = params.iter().map(String::as_str).collect();
        assert_eq!(bind(&sql, &params), "SELECT v1, v10 FROM t");
        assert!(extract_sql(source, "public_stats").is_none());
    }
}
