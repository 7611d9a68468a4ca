//! What a stranger trying to break the service meets: bursts, rotating
//! addresses, expensive loops and half-finished revocations all end in a
//! clean 4xx or 429, cost the operator nothing unbounded, and lose no one's
//! data. One test per finding of the hardening review.

use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::Duration;

use futures::future::join_all;
use serde_json::{json, Value};

use crate::helpers::*;

/// A fresh IPv6 /64 per call, as `2001:db8:<a>:<b>::`.
fn unique_v6_prefix() -> String {
    let ip = unique_ip();
    let parts: Vec<u16> = ip.split('.').filter_map(|p| p.parse().ok()).collect();
    format!("2001:db8:{:x}:{:x}", parts[1] * 256 + parts[2], parts[3])
}

// 2. The login throttle reserves its slot before argon2 runs.
#[tokio::test]
async fn a_parallel_burst_of_wrong_logins_gets_at_most_ten_verified() {
    let user = new_user().await;
    let ip = unique_ip();
    let attempts = (0..30).map(|_| {
        post("/api/auth/login")
            .ip(&ip)
            .json(&json!({ "email": user.email, "password": "not the password!" }))
            .send()
    });
    let results = join_all(attempts).await;
    let verified = results.iter().filter(|r| r.status == 401).count();
    let refused = results.iter().filter(|r| r.status == 429).count();
    assert_eq!(verified + refused, 30, "only 401 or 429");
    assert!(verified <= 10, "{verified} wrong passwords reached argon2");
    // The right password is refused too while the email's budget is spent.
    let res = login(&user.email, PASSWORD).await;
    res.assert_error(429, "rate_limited");
    assert!(res.retry_after() > 0);
}

#[tokio::test]
async fn a_right_password_gives_its_reserved_slot_back() {
    let user = new_user().await;
    let ip = unique_ip();
    for _ in 0..12 {
        let res = post("/api/auth/login")
            .ip(&ip)
            .json(&json!({ "email": user.email, "password": PASSWORD }))
            .send()
            .await;
        assert_eq!(
            res.status, 200,
            "successful logins are not throttled: {}",
            res.text
        );
    }
}

// 3. IPv6 clients count by their /64.
#[tokio::test]
async fn ipv6_clients_are_limited_by_their_64() {
    let prefix = unique_v6_prefix();
    for i in 0..30 {
        let res = get("/api/v1/stats")
            .ip(&format!("{prefix}:{i:x}::1"))
            .send()
            .await;
        res.assert_error(401, "unauthorized");
    }
    let rotated = get("/api/v1/stats")
        .ip(&format!("{prefix}:ffff:ffff:ffff:ffff"))
        .send()
        .await;
    rotated.assert_error(429, "rate_limited");
    let neighbour = get("/api/v1/stats")
        .ip(&format!("{}::1", unique_v6_prefix()))
        .send()
        .await;
    neighbour.assert_error(401, "unauthorized");
}

// 4. Sign-ups are throttled per network.
#[tokio::test]
async fn sign_ups_are_limited_per_network() {
    let prefix = unique_v6_prefix();
    for i in 0..5 {
        let res = post("/api/auth/register")
            .ip(&format!("{prefix}::{i:x}"))
            .json(&json!({
                "email": format!("{}@example.com", unique("signup")),
                "password": PASSWORD,
            }))
            .send()
            .await;
        assert_eq!(res.status, 201, "{}", res.text);
    }
    let sixth = post("/api/auth/register")
        .ip(&format!("{prefix}::99"))
        .json(&json!({
            "email": format!("{}@example.com", unique("signup")),
            "password": PASSWORD,
        }))
        .send()
        .await;
    sixth.assert_error(429, "rate_limited");
    assert!(sixth.retry_after() > 0);
    // Nothing was stored for the refused sign-up, and others still sign up.
    let elsewhere = register(&format!("{}@example.com", unique("signup")), PASSWORD).await;
    assert_eq!(elsewhere.status, 201, "{}", elsewhere.text);
}

#[tokio::test]
async fn sign_ups_from_this_machine_are_not_throttled() {
    for _ in 0..7 {
        let res = post("/api/auth/register")
            .ip("127.0.0.1")
            .json(&json!({
                "email": format!("{}@example.com", unique("local")),
                "password": PASSWORD,
            }))
            .send()
            .await;
        assert_eq!(res.status, 201, "{}", res.text);
    }
}

fn unknown_key(n: usize) -> String {
    format!(
        "sk-or-v1-{:064x}",
        0xdead_0000_u64 + n as u64 + rand_suffix()
    )
}

fn rand_suffix() -> u64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0, |d| u64::from(d.subsec_nanos()))
        << 20
}

// 5. Keys per account are capped, and additions are rate limited.
#[tokio::test]
async fn an_account_holds_at_most_fifty_keys() {
    let user = new_user().await;
    let values: Vec<String> = (0..50)
        .map(|i| {
            format!(
                "({}, 'k{i}', 'inference', 'sk-or-v1-…abcd', '{:064x}', '2026-01-01T00:00:00Z', '2026-01-01T00:00:00Z')",
                user.org, i
            )
        })
        .collect();
    app().d1(&format!(
        "INSERT INTO api_keys (org_id, name, kind, key_preview, key_hash, created_at, updated_at) VALUES {}",
        values.join(", ")
    ));
    let res = user
        .add_key("one too many", &unknown_key(0), "inference")
        .await;
    res.assert_error(409, "conflict");
    assert!(res.json["error"]["message"]
        .as_str()
        .unwrap()
        .contains("50"));
    let count = app().d1(&format!(
        "SELECT COUNT(*) AS n FROM api_keys WHERE org_id = {}",
        user.org
    ));
    assert_eq!(count[0]["n"], 50, "nothing stored beyond the cap");
}

#[tokio::test]
async fn adding_keys_is_rate_limited_per_account() {
    let user = new_user().await;
    for i in 0..20 {
        let res = user
            .add_key(&format!("k{i}"), &unknown_key(i), "inference")
            .await;
        assert_eq!(res.status, 201, "{}", res.text);
    }
    let res = user.add_key("k20", &unknown_key(20), "inference").await;
    res.assert_error(429, "rate_limited");
    assert!(res.retry_after() > 0);
    // Another account is not affected.
    let other = new_user().await;
    let res = other.add_key("mine", &unknown_key(99), "inference").await;
    assert_eq!(res.status, 201, "{}", res.text);
}

fn d1_statements(res: &Res) -> u32 {
    res.header("x-debug-d1-statements")
        .and_then(|v| v.parse().ok())
        .unwrap_or_else(|| panic!("no D1 counter on {}: {}", res.status, res.text))
}

// 6. A refused public request makes no D1 statement.
#[tokio::test]
async fn a_token_over_its_limit_never_reaches_d1() {
    let (user, _, token) = user_with_keys().await;
    // A new question is one statement; asked again at once, none (the
    // answer is kept 2 s, and cleared by any sync of the user's keys, which
    // other tests' cron runs do at any moment: so up to five tries, each a
    // question of its own, for one pair that shows the cache).
    let mut asked = 0;
    let cached = loop {
        asked += 1;
        let question = format!(
            "/api/v1/stats?start_date={}&end_date={}",
            day(-10 - asked),
            day(0)
        );
        let first = get(&question).bearer(&token).send().await;
        assert_eq!(first.status, 200, "{}", first.text);
        assert_eq!(d1_statements(&first), 1, "a new question is one statement");
        let repeated = get(&question).bearer(&token).send().await;
        if d1_statements(&repeated) == 0 || asked == 5 {
            break d1_statements(&repeated) == 0;
        }
    };
    assert!(cached, "a repeated question is answered from memory");
    // Spend the rest of the hour's budget.
    for chunk in (2 * asked..100).collect::<Vec<_>>().chunks(20) {
        let calls = chunk
            .iter()
            .map(|_| get("/api/v1/keys").bearer(&token).send());
        for res in join_all(calls).await {
            assert_eq!(res.status, 200, "{}", res.text);
        }
    }
    // New questions, and invalid ones: refused before any D1 statement.
    for (i, query) in [
        format!("/api/v1/stats?start_date={}&end_date={}", day(-3), day(0)),
        format!(
            "/api/v1/usage?start_date={}&end_date={}&limit=7",
            day(-9),
            day(0)
        ),
        "/api/v1/usage?start_date=nope".to_owned(),
        "/api/v1/stats?start_date=2026-02-30".to_owned(),
    ]
    .iter()
    .enumerate()
    {
        let res = get(query).bearer(&token).send().await;
        res.assert_error(429, "rate_limited");
        assert_eq!(d1_statements(&res), 0, "request {i} ({query}) reached D1");
    }
    let _ = user;
}

// 7. Bodies are read as a stream and cut at the limit (unit-tested in
//    `bounded`); here, the limit holds end to end for a body without a
//    declared length.
#[tokio::test]
async fn an_oversized_body_is_refused_whatever_its_framing() {
    let user = new_user().await;
    let big = format!(r#"{{"name":"{}"}}"#, "x".repeat(70 * 1024));
    let res = post("/api/tokens")
        .bearer(&user.jwt)
        .raw("application/json", big.into_bytes())
        .send()
        .await;
    res.assert_error(413, "payload_too_large");
}

// 9 and 15. Deleting an account: everything goes, its sessions and tokens
// stop at once, and its id is never given to anyone else.
#[tokio::test]
async fn a_deleted_account_is_gone_with_everything_it_owned() {
    let (user, keys, token) = user_with_keys().await;
    seed(&user, &keys, &[(0, -1, "m/a", 1, 1, 1, 10)]);
    assert_eq!(get("/api/v1/stats").bearer(&token).send().await.status, 200);

    let wrong = call("DELETE", "/api/auth/me")
        .bearer(&user.jwt)
        .json(&json!({ "password": "not the password!" }))
        .send()
        .await;
    wrong.assert_error(422, "validation_error");
    assert_eq!(wrong.error_field(), "password");

    let res = call("DELETE", "/api/auth/me")
        .bearer(&user.jwt)
        .json(&json!({ "password": PASSWORD }))
        .send()
        .await;
    assert_eq!(res.status, 204, "{}", res.text);
    get("/api/auth/me")
        .bearer(&user.jwt)
        .send()
        .await
        .assert_error(401, "unauthorized");
    get("/api/v1/stats")
        .bearer(&token)
        .send()
        .await
        .assert_error(401, "unauthorized");
    let left = app().d1(&format!(
        "SELECT (SELECT COUNT(*) FROM users WHERE id = {id}) AS users,
                (SELECT COUNT(*) FROM organisations WHERE id = {org}) AS organisations,
                (SELECT COUNT(*) FROM memberships WHERE user_id = {id} OR org_id = {org}) AS memberships,
                (SELECT COUNT(*) FROM api_keys WHERE org_id = {org}) AS keys,
                (SELECT COUNT(*) FROM api_tokens WHERE org_id = {org}) AS tokens,
                (SELECT COUNT(*) FROM usage_stats WHERE org_id = {org}) AS usage,
                (SELECT COUNT(*) FROM usage_org_day WHERE org_id = {org}) AS rollup,
                (SELECT COUNT(*) FROM key_snapshots s LEFT JOIN api_keys k ON k.id = s.api_key_id
                  WHERE s.api_key_id IN ({k0}, {k1}) AND (k.id IS NULL OR k.org_id = {org})) AS snapshots,
                (SELECT id FROM user_id_high_water) AS high_water",
        id = user.id,
        org = user.org,
        k0 = keys[0],
        k1 = keys[1],
    ));
    // Snapshots of the deleted keys: none orphaned (a key id may already
    // belong to another test's new key: SQLite hands out the highest id + 1).
    let row = &left[0];
    let tables = [
        "users",
        "organisations",
        "memberships",
        "keys",
        "tokens",
        "usage",
        "rollup",
        "snapshots",
    ];
    for table in tables {
        assert_eq!(row[table], 0, "{table} left behind: {row}");
    }
    assert!(row["high_water"].as_i64().unwrap() >= user.id);

    // The next account gets a new id, and the old session stays dead.
    let next = new_user().await;
    assert!(next.id > user.id, "id {} reused", user.id);
    assert!(next.org > user.org, "organisation id {} reused", user.org);
    get("/api/auth/me")
        .bearer(&user.jwt)
        .send()
        .await
        .assert_error(401, "unauthorized");
}

#[tokio::test]
async fn the_schema_refuses_an_insert_that_would_reuse_an_id() {
    let user = new_user().await;
    let refused = d1_try(
        &app().persist_dir,
        "INSERT INTO users (email, password_hash, created_at, updated_at)
         VALUES ('no-id@example.com', '$argon2id$x', 'x', 'x')",
    );
    let why = refused.expect_err("an insert without an allocated id must be refused");
    assert!(why.contains("reuse"), "refused for another reason: {why}");
    let _ = user;
}

// 15. Changing the password ends every other session.
#[tokio::test]
async fn changing_the_password_ends_every_session_and_issues_a_new_one() {
    let user = new_user().await;
    let second = login(&user.email, PASSWORD).await.json["access_token"]
        .as_str()
        .unwrap()
        .to_owned();
    remember_secret(&second);
    let new_password = "a brand new passphrase 42";
    remember_secret(new_password);

    let wrong = post("/api/auth/password")
        .bearer(&user.jwt)
        .json(&json!({ "current_password": "not the password!", "new_password": new_password }))
        .send()
        .await;
    wrong.assert_error(422, "validation_error");
    assert_eq!(wrong.error_field(), "current_password");
    let short = post("/api/auth/password")
        .bearer(&user.jwt)
        .json(&json!({ "current_password": PASSWORD, "new_password": "short" }))
        .send()
        .await;
    short.assert_error(422, "validation_error");
    assert_eq!(short.error_field(), "new_password");

    let res = post("/api/auth/password")
        .bearer(&user.jwt)
        .json(&json!({ "current_password": PASSWORD, "new_password": new_password }))
        .send()
        .await;
    assert_eq!(res.status, 200, "{}", res.text);
    let fresh = res.json["access_token"].as_str().unwrap().to_owned();
    remember_secret(&fresh);
    for old in [&user.jwt, &second] {
        get("/api/auth/me")
            .bearer(old)
            .send()
            .await
            .assert_error(401, "unauthorized");
    }
    assert_eq!(get("/api/auth/me").bearer(&fresh).send().await.status, 200);
    login(&user.email, PASSWORD)
        .await
        .assert_error(401, "unauthorized");
    assert_eq!(login(&user.email, new_password).await.status, 200);
}

// 10. CORS preflights cost no Durable Object call (and so carry no
//     rate-limit state).
#[tokio::test]
async fn preflights_are_answered_without_the_rate_limiter() {
    let res = call("OPTIONS", "/api/v1/stats")
        .header("Origin", "https://grafana.example")
        .header("Access-Control-Request-Method", "GET")
        .send()
        .await;
    assert_eq!(res.status, 204);
    assert!(res.header("x-ratelimit-remaining").is_none());
}

// 11. CSV cells cannot become spreadsheet formulas.
#[tokio::test]
async fn csv_text_cells_never_start_a_formula() {
    let (user, keys, _) = user_with_keys().await;
    seed(
        &user,
        &keys,
        &[
            (
                0,
                -1,
                "=HYPERLINK(\"http://evil.example\",\"x\")",
                1,
                1,
                1,
                10,
            ),
            (0, -2, "@SUM(A1)", 1, 1, 1, 10),
            (1, -1, "openai/gpt-4o", 1, 1, 1, 10),
        ],
    );
    let csv = get(&format!(
        "/api/usage.csv?start_date={}&end_date={}",
        day(-5),
        day(0)
    ))
    .bearer(&user.jwt)
    .send()
    .await;
    assert_eq!(csv.status, 200, "{}", csv.text);
    let cells: Vec<&str> = csv
        .text
        .split("\r\n")
        .skip(1)
        .filter_map(|l| l.split(',').nth(1))
        .collect();
    for cell in &cells {
        let cell = cell.trim_start_matches('"');
        assert!(
            !cell.starts_with(['=', '+', '-', '@']),
            "formula cell {cell} in {}",
            csv.text
        );
    }
    assert!(csv.text.contains("\"'=HYPERLINK("), "{}", csv.text);
    assert!(csv.text.contains(",'@SUM(A1),"), "{}", csv.text);
    assert!(csv.text.contains(",openai/gpt-4o,"), "{}", csv.text);
}

// 13. A revocation wins over answers being computed or cached.
#[tokio::test]
async fn a_revoked_token_is_refused_at_once_even_mid_flight() {
    let (user, _, _) = user_with_keys().await;
    for round in 0..5 {
        let (id, token) = user.new_token(&format!("race {round}")).await;
        // Distinct questions in flight (cache misses awaiting D1) while the
        // revocation lands.
        let inflight = join_all((0..6).map(|i| {
            get(&format!(
                "/api/v1/stats?start_date={}&end_date={}",
                day(-(i + 1)),
                day(0)
            ))
            .bearer(&token)
            .send()
        }));
        let revoke = async {
            tokio::time::sleep(Duration::from_millis(5)).await;
            call("DELETE", &format!("/api/tokens/{id}"))
                .bearer(&user.jwt)
                .send()
                .await
        };
        let (_, revoked) = tokio::join!(inflight, revoke);
        assert_eq!(revoked.status, 204);
        for i in 0..6 {
            let res = get(&format!(
                "/api/v1/stats?start_date={}&end_date={}",
                day(-(i + 1)),
                day(0)
            ))
            .bearer(&token)
            .send()
            .await;
            res.assert_error(401, "unauthorized");
        }
    }
}

// 14. Security headers everywhere, and one log line per security event.
#[tokio::test]
async fn every_response_carries_the_security_headers() {
    for path in ["/health", "/", "/api/nope"] {
        let res = get(path).send_unchecked().await;
        for (name, expected) in [
            ("strict-transport-security", "max-age="),
            ("permissions-policy", "camera=()"),
            ("cross-origin-opener-policy", "same-origin"),
            ("x-content-type-options", "nosniff"),
        ] {
            assert!(
                res.header(name).is_some_and(|v| v.contains(expected)),
                "{path}: {name} is {:?}",
                res.header(name)
            );
        }
    }
}

#[tokio::test]
async fn security_events_are_logged_one_line_each_without_secrets() {
    let user = new_user().await;
    login(&user.email, "a wrong password!").await;
    let (id, token) = user.new_token("audit").await;
    call("DELETE", &format!("/api/tokens/{id}"))
        .bearer(&user.jwt)
        .send()
        .await;
    let sim = sim_key(json!({})).await;
    let key = user.add_key("audited", &sim.key, "inference").await;
    let key_id = key.json["id"].as_i64().unwrap();
    call("DELETE", &format!("/api/keys/{key_id}"))
        .bearer(&user.jwt)
        .send()
        .await;
    post("/api/auth/logout").bearer(&user.jwt).send().await;

    let expected = [
        "register",
        "login_ok",
        "login_failed",
        "token_created",
        "token_revoked",
        "key_added",
        "key_deleted",
        "logout",
    ];
    // The lines reach the log through wrangler: wait for them, with a deadline.
    let deadline = std::time::Instant::now() + Duration::from_secs(30);
    let events = loop {
        let log = app().log();
        let events: Vec<Value> = log
            .lines()
            .filter_map(|l| l.find("{\"security_event\"").map(|i| &l[i..]))
            .filter_map(|l| serde_json::from_str(l).ok())
            .filter(|e: &Value| e["user_id"] == user.id || e["security_event"] == "login_failed")
            .collect();
        let missing: Vec<&str> = expected
            .iter()
            .copied()
            .filter(|x| !events.iter().any(|e| e["security_event"] == *x))
            .collect();
        if missing.is_empty() {
            break events;
        }
        assert!(
            std::time::Instant::now() < deadline,
            "no {missing:?} event for user {}",
            user.id
        );
        tokio::time::sleep(Duration::from_millis(200)).await;
    };
    for secret in [&token, &user.jwt, &sim.key, &user.email] {
        assert!(
            !events
                .iter()
                .any(|e| e.to_string().contains(secret.as_str())),
            "an event holds a secret"
        );
    }
}

/// A chunked upload of `bytes` to `path` over a raw connection (no
/// `Content-Length`, so the Worker can only find the size by reading):
/// the status and body it got, or why none. The connection asks for no
/// `Connection: close` and is closed by this side once the answer is read:
/// when `wrangler dev`'s local proxy closes a connection itself, it drops
/// other clients' idle pooled connections too (measured with a plain
/// `GET /health`), which is the proxy's matter, not this path's.
async fn chunked_upload(base: &str, path: &str, bytes: usize) -> Result<(u16, String), String> {
    use tokio::io::{AsyncReadExt, AsyncWriteExt};
    let host = base.trim_start_matches("http://");
    let mut stream = tokio::net::TcpStream::connect(host)
        .await
        .map_err(|e| e.to_string())?;
    let head = format!(
        "POST {path} HTTP/1.1\r\nHost: {host}\r\nContent-Type: application/json\r\n\
         Transfer-Encoding: chunked\r\nCF-Connecting-IP: {}\r\n\r\n",
        unique_ip()
    );
    stream
        .write_all(head.as_bytes())
        .await
        .map_err(|e| e.to_string())?;
    let chunk = vec![b' '; 64 * 1024];
    for _ in 0..bytes / chunk.len() {
        let framed = [format!("{:x}\r\n", chunk.len()).as_bytes(), &chunk, b"\r\n"].concat();
        // The Worker may answer before all of it is sent.
        if stream.write_all(&framed).await.is_err() {
            break;
        }
    }
    let _ = stream.write_all(b"0\r\n\r\n").await;
    let read = async {
        let mut answer = Vec::new();
        let mut buffer = [0u8; 8192];
        loop {
            let n = stream
                .read(&mut buffer)
                .await
                .map_err(|e| format!("reset: {e}"))?;
            if n == 0 {
                return Err(format!("closed after {} bytes", answer.len()));
            }
            answer.extend_from_slice(&buffer[..n]);
            let text = String::from_utf8_lossy(&answer).into_owned();
            if let Some((head, body)) = text.split_once("\r\n\r\n") {
                let length = head
                    .lines()
                    .find_map(|l| {
                        l.to_ascii_lowercase()
                            .strip_prefix("content-length:")
                            .map(|v| v.trim().to_owned())
                    })
                    .and_then(|v| v.parse::<usize>().ok())
                    .unwrap_or(0);
                if body.len() >= length {
                    let status = head
                        .split_whitespace()
                        .nth(1)
                        .and_then(|s| s.parse().ok())
                        .ok_or_else(|| format!("no status line: {head:?}"))?;
                    return Ok((status, body.to_owned()));
                }
            }
        }
    };
    tokio::time::timeout(std::time::Duration::from_secs(30), read)
        .await
        .map_err(|_| "no answer in 30 s".to_owned())?
}

// 7b. A chunked 2 MiB body gets its 413, and every other client's request
//     at the same time gets its own answer: nothing restarts mid-request.
#[tokio::test]
async fn a_refused_chunked_upload_affects_no_other_request() {
    // On a Worker of its own: once, on a busy machine, `wrangler dev`
    // itself died during this stress (an empty error, then the prompt to
    // report it) and took every later test of the shared Worker with it.
    let worker = own_worker(
        run_dir().join("chunked-state"),
        run_dir().join("chunked-wrangler.log"),
        &[],
    )
    .await;
    let base = worker.base_url.clone();
    // Under load, `wrangler dev`'s local proxy now and then answers any
    // request with a 503 "restarted mid-request" (seen on a `DELETE
    // /api/tokens/{id}` with no upload anywhere near): every test resends
    // such a request once (`Call::send`), and so does this one, counting.
    // The bug does not get past that: before the drain, most uploads got
    // the 503, and a resent one mostly got it again. Each request goes on
    // a connection of its own, as the harness sends them (the proxy drops
    // other clients' idle keep-alive connections whenever it closes one,
    // any request with `Connection: close` does it: the proxy's matter).
    let resent = AtomicUsize::new(0);
    for round in 0..ROUNDS {
        let upload = resent_once(
            || chunked_upload(&base, "/api/auth/register", 2 * 1024 * 1024),
            &resent,
        );
        let other = |n: u64| {
            let url = format!("{base}/api/auth/register");
            let send = move || {
                let url = url.clone();
                async move {
                    let res = client()
                        .post(url)
                        .header("CF-Connecting-IP", unique_ip())
                        .json(&json!({}))
                        .send()
                        .await
                        .map_err(|e| format!("closed: {e:?}"))?;
                    Ok((res.status().as_u16(), res.text().await.unwrap_or_default()))
                }
            };
            let resent = &resent;
            async move {
                tokio::time::sleep(Duration::from_millis(2 * n)).await;
                resent_once(send, resent).await
            }
        };
        let (refused, a, b, c) = tokio::join!(upload, other(0), other(1), other(3));
        let (status, body) = refused.unwrap_or_else(|why| panic!("round {round}: {why}"));
        assert_eq!(status, 413, "round {round}: {body}");
        assert!(body.contains("payload_too_large"), "round {round}: {body}");
        for (status, body) in
            [a, b, c].map(|r| r.unwrap_or_else(|why| panic!("round {round}: {why}")))
        {
            assert_eq!(status, 422, "round {round}, another client: {body}");
        }
    }
    eprintln!(
        "chunked uploads: {} request(s) of {} resent after the local proxy's restart",
        resent.load(Ordering::SeqCst),
        ROUNDS * 4
    );
    worker.kill();
}

/// Before the drain, round 1 already failed; each round is 2 MiB through
/// the local proxy.
const ROUNDS: usize = 12;

/// Sends once more when the answer is the local proxy's "restarted
/// mid-request" (a 503, or the connection dropped before any answer).
async fn resent_once<F, Fut>(send: F, resent: &AtomicUsize) -> Result<(u16, String), String>
where
    F: Fn() -> Fut,
    Fut: std::future::Future<Output = Result<(u16, String), String>>,
{
    let first = send().await;
    let restarted = match &first {
        Ok((503, body)) => body.starts_with(RESTARTED),
        Err(why) => why.starts_with("reset") || why.starts_with("closed"),
        Ok(_) => false,
    };
    if !restarted {
        return first;
    }
    resent.fetch_add(1, Ordering::SeqCst);
    send().await
}

// 16. One account cannot fill the shared D1 with snapshots: manual syncs
//     are capped per account, and a key keeps one snapshot per hour (the
//     first, which the hourly curve reads) besides its newest.
#[tokio::test]
async fn snapshots_stay_bounded_whatever_an_account_clicks() {
    let user = new_user().await;
    let sim = sim_key(json!({ "generate": false })).await;
    let res = user.add_key("clicked", &sim.key, "inference").await;
    assert_eq!(res.status, 201, "{}", res.text);
    let key = res.json["id"].as_i64().unwrap();
    let hour = chrono::Utc::now().format("%Y-%m-%dT%H").to_string();
    let seeds: Vec<(i64, String, i64)> = (1..=5)
        .map(|s| (key, format!("{hour}:00:0{s}Z"), 0))
        .collect();
    seed_snapshots(&app().persist_dir, &seeds);
    let sync = post(&format!("/api/keys/{key}/sync"))
        .bearer(&user.jwt)
        .send()
        .await;
    assert_eq!(sync.status, 200, "{}", sync.text);
    let per_hour = app().d1(&format!(
        "SELECT substr(COALESCE(served_at, taken_at), 1, 13) AS hour, COUNT(*) AS n,
                MIN(COALESCE(served_at, taken_at)) AS first,
                MAX(id) = (SELECT MAX(id) FROM key_snapshots WHERE api_key_id = {key}) AS newest
         FROM key_snapshots WHERE api_key_id = {key} GROUP BY hour"
    ));
    for h in &per_hour {
        let allowed = if h["newest"] == 1 { 2 } else { 1 };
        assert!(h["n"].as_i64().unwrap() <= allowed, "{per_hour:?}");
    }
    let seeded = per_hour.iter().find(|h| h["hour"] == hour.as_str());
    if let Some(h) = seeded {
        assert_eq!(
            h["first"],
            format!("{hour}:00:01Z"),
            "the hour's first stays"
        );
    }

    // Thirty manual syncs an hour per account, across its keys.
    let (ciphertext, nonce) = {
        let row = &app().d1(&format!(
            "SELECT key_ciphertext, key_nonce FROM api_keys WHERE id = {key}"
        ))[0];
        (
            row["key_ciphertext"].as_str().unwrap().to_owned(),
            row["key_nonce"].as_str().unwrap().to_owned(),
        )
    };
    let now = chrono::Utc::now().format("%Y-%m-%dT%H:%M:%SZ").to_string();
    let copies: Vec<String> = (0..30)
        .map(|i| {
            format!(
                "({}, 'copy {i}', 'inference', '{ciphertext}', '{nonce}', 'sk-or-…{i:04}', '{:064x}', '{now}', '{now}')",
                user.org, 0xc0ffee_u64 + i
            )
        })
        .collect();
    app().d1(&format!(
        "INSERT INTO api_keys (org_id, name, kind, key_ciphertext, key_nonce, key_preview, key_hash, created_at, updated_at)
         VALUES {}",
        copies.join(", ")
    ));
    let ids: Vec<i64> = app()
        .d1(&format!(
            "SELECT id FROM api_keys WHERE org_id = {} AND name LIKE 'copy %' ORDER BY id",
            user.org
        ))
        .iter()
        .map(|r| r["id"].as_i64().unwrap())
        .collect();
    // One sync is spent above; 29 more pass (each copy's sealed key is bound
    // to another row, so the sync fails, and still counts).
    for id in &ids[..29] {
        let res = post(&format!("/api/keys/{id}/sync"))
            .bearer(&user.jwt)
            .send()
            .await;
        assert_eq!(res.status, 200, "{}", res.text);
    }
    let capped = post(&format!("/api/keys/{}/sync", ids[29]))
        .bearer(&user.jwt)
        .send()
        .await;
    capped.assert_error(429, "rate_limited");
    assert!(
        capped.retry_after() > 60,
        "the account's hour, not the key's minute"
    );
}
