//! Organisations: migration 0019 on a populated database, and what a
//! session's request acts in.

use rusqlite::types::ValueRef;
use rusqlite::Connection;
use serde_json::{json, Value};

use crate::contract;
use crate::helpers::*;

type Rows = Vec<Vec<String>>;

fn dump(db: &Connection, sql: &str) -> Rows {
    let mut statement = db.prepare(sql).unwrap();
    let columns = statement.column_count();
    statement
        .query_map([], |row| {
            Ok((0..columns)
                .map(|i| match row.get_ref(i).unwrap() {
                    ValueRef::Null => "NULL".to_owned(),
                    ValueRef::Integer(n) => n.to_string(),
                    ValueRef::Real(x) => x.to_string(),
                    ValueRef::Text(t) => String::from_utf8_lossy(t).into(),
                    ValueRef::Blob(b) => format!("{b:?}"),
                })
                .collect())
        })
        .unwrap()
        .map(Result::unwrap)
        .collect()
}

fn sorted(mut rows: Rows) -> Rows {
    rows.sort();
    rows
}

/// The migrations in order, split at `name` (those before, and the rest).
fn migrations_around(name: &str) -> (Vec<std::path::PathBuf>, Vec<std::path::PathBuf>) {
    let mut files: Vec<_> = std::fs::read_dir(root().join("migrations"))
        .unwrap()
        .map(|e| e.unwrap().path())
        .filter(|p| p.extension().is_some_and(|x| x == "sql"))
        .collect();
    files.sort();
    files
        .into_iter()
        .partition(|p| p.file_name().unwrap().to_string_lossy().as_ref() < name)
}

/// Three accounts as 0018 stored them, each with keys, snapshots, usage on
/// many days and models (the rollups built by the triggers), a token, a
/// budget, events, a webhook, audit entries, an address and digests; one
/// account deleted before (the high-water mark above it).
fn populate(db: &Connection) {
    let mut sql = String::new();
    for user in 1..=4_i64 {
        let hash = if user == 3 {
            "$argon2id$none"
        } else {
            "$argon2id$v=19$x"
        };
        let has_password = i64::from(user != 3);
        sql += &format!(
            "INSERT INTO users (id, email, password_hash, has_password, session_epoch, tz,
                                spike_sensitivity, alert_email_severity, created_at, updated_at)
             VALUES ({user}, 'p{user}@example.com', '{hash}', {has_password}, {epoch}, '{tz}',
                     'high', {severity}, '2026-0{user}-01T00:00:00Z', '2026-0{user}-02T00:00:00Z');",
            epoch = user % 2,
            tz = ["UTC", "Europe/Rome", "America/Vancouver", "Asia/Tokyo"][(user - 1) as usize],
            severity = if user == 2 { "'warning'" } else { "NULL" },
        );
    }
    sql += "DELETE FROM users WHERE id = 4;";
    for user in 1..=3_i64 {
        for k in 0..3_i64 {
            let key = user * 10 + k;
            sql += &format!(
                "INSERT INTO api_keys (id, user_id, name, kind, key_ciphertext, key_nonce, key_preview,
                                       key_hash, created_at, updated_at, watched_via)
                 VALUES ({key}, {user}, 'key {k}', '{kind}', 'c{key}', 'n{key}', 'sk-or-v1-…{key}',
                         '{hash:0>64}', 't', 't', NULL);
                 INSERT INTO key_snapshots (api_key_id, taken_at, taken_on, credit_limit, usage,
                                            usage_daily, usage_weekly, usage_monthly, is_free_tier)
                 VALUES ({key}, '2026-11-30T10:00:00Z', '2026-11-30', {limit}, {usage}, 1, 2, 3, 0);",
                kind = if k == 0 { "management" } else { "inference" },
                hash = key,
                limit = if k == 2 { "NULL".to_owned() } else { (key * 1_000).to_string() },
                usage = key * 777,
            );
            for day in 1..=20_i64 {
                for model in ["openai/gpt-4o", "anthropic/claude", "z/free"] {
                    let cost = (key * 31 + day * 7) * 1_000_003 + model.len() as i64;
                    sql += &format!(
                        "INSERT INTO usage_stats (api_key_id, user_id, date, model, requests_count,
                                                  tokens_input, tokens_output, cost, source, updated_at)
                         VALUES ({key}, {user}, '2026-11-{day:02}', '{model}', {r}, {ti}, {to}, {cost},
                                 'activity', 't');",
                        r = day + key,
                        ti = day * 100 + key,
                        to = day * 10 + key,
                    );
                }
            }
        }
        sql += &format!(
            "UPDATE usage_stats SET cost = cost + 5, requests_count = requests_count + 1
              WHERE user_id = {user} AND date = '2026-11-03';
             DELETE FROM usage_stats WHERE user_id = {user} AND date = '2026-11-04' AND model = 'z/free';
             INSERT INTO api_tokens (id, user_id, name, token_hash, token_prefix, created_at)
             VALUES ({user}, {user}, 'grafana', '{th:0>64}', 'or_api_{user}', 't');
             INSERT INTO budgets (id, user_id, api_key_id, amount, period, thresholds, created_at, updated_at)
             VALUES ({user}, {user}, {key}, 500000000000, 'monthly', '[50,80,100]', 't', 't');
             INSERT INTO alert_events (id, user_id, dedup_key, type, api_key_id, payload, created_at)
             VALUES ({user}, {user}, 'd{user}', 'budget.threshold_reached', {key}, '{{}}', 't');
             INSERT INTO webhooks (id, user_id, name, url, format, created_at, updated_at)
             VALUES ({user}, {user}, 'ops', 'https://hooks.example/{user}', 'slack', 't', 't');
             INSERT INTO audit_log (user_id, at, actor, actor_user_id, kind, subject, after)
             VALUES ({user}, 't', 'user', {user}, 'key.created', 'key 1', '{{\"name\": \"key 1\"}}'),
                    ({user}, 't', 'product', NULL, 'key.updated', 'key 1', NULL);
             INSERT INTO email_addresses (user_id, address, status, nonce, updated_at)
             VALUES ({user}, 'alerts{user}@example.com', 'confirmed', 'n{user}', 't');
             INSERT INTO digest_settings (user_id, schedule, channel, updated_at)
             VALUES ({user}, 'weekly', 'email', 't');",
            th = user,
            key = user * 10 + 1,
        );
    }
    db.execute_batch(&sql).unwrap();
}

/// Every table that 0019 keeps, under its name before and after (the
/// rollups are renamed; `users` splits, checked on its own).
const KEPT: [(&str, &str); 20] = [
    ("api_keys", "api_keys"),
    ("key_snapshots", "key_snapshots"),
    ("usage_stats", "usage_stats"),
    ("usage_user_day", "usage_org_day"),
    ("usage_user_day_model", "usage_org_day_model"),
    ("usage_key_total", "usage_key_total"),
    ("api_tokens", "api_tokens"),
    ("api_token_keys", "api_token_keys"),
    ("budgets", "budgets"),
    ("alert_marks", "alert_marks"),
    ("alert_events", "alert_events"),
    ("webhooks", "webhooks"),
    ("webhook_deliveries", "webhook_deliveries"),
    ("audit_log", "audit_log"),
    ("key_actions", "key_actions"),
    ("spike_marks", "spike_marks"),
    ("email_addresses", "email_addresses"),
    ("email_sends", "email_sends"),
    ("digest_settings", "digest_settings"),
    ("digest_runs", "digest_runs"),
];

/// What the rollups must hold: recomputed from `usage_stats` itself.
fn rollups_from_rows(db: &Connection) -> (Rows, Rows) {
    let by_day = dump(
        db,
        "SELECT org_id, date, SUM(requests_count), SUM(tokens_input), SUM(tokens_output), SUM(cost)
         FROM usage_stats GROUP BY org_id, date ORDER BY org_id, date",
    );
    let by_key = dump(
        db,
        "SELECT api_key_id, SUM(requests_count), SUM(cost) FROM usage_stats
         GROUP BY api_key_id ORDER BY api_key_id",
    );
    (by_day, by_key)
}

#[test]
fn migration_0019_keeps_every_row_and_figure_and_makes_each_account_an_organisation() {
    let db = Connection::open_in_memory().unwrap();
    db.execute_batch("PRAGMA foreign_keys = ON;").unwrap();
    let (before, this) = migrations_around("0019");
    for file in &before {
        db.execute_batch(&std::fs::read_to_string(file).unwrap())
            .unwrap();
    }
    populate(&db);
    let kept_before: Vec<Rows> = KEPT
        .iter()
        .map(|(old, _)| sorted(dump(&db, &format!("SELECT * FROM {old}"))))
        .collect();
    let people_before = dump(
        &db,
        "SELECT id, email, password_hash, has_password, session_epoch, created_at, updated_at
         FROM users ORDER BY id",
    );
    let settings_before = dump(
        &db,
        "SELECT id, tz, spike_sensitivity, alert_email_severity, created_at, updated_at
         FROM users ORDER BY id",
    );
    assert_eq!(people_before.len(), 3);

    db.execute_batch(&std::fs::read_to_string(&this[0]).unwrap())
        .unwrap();

    for ((old, new), rows) in KEPT.iter().zip(&kept_before) {
        let after = dump(&db, &format!("SELECT * FROM {new}"));
        // New columns come last: the old ones hold the same values.
        let cut = sorted(
            after
                .iter()
                .map(|row| row[..rows.first().map_or(0, Vec::len)].to_vec())
                .collect(),
        );
        assert_eq!(&cut, rows, "{old} -> {new}, row for row");
    }
    assert_eq!(
        dump(
            &db,
            "SELECT id, email, password_hash, has_password, session_epoch, created_at, updated_at
             FROM users ORDER BY id"
        ),
        people_before,
        "every person, with their password and session epoch"
    );
    assert_eq!(
        dump(
            &db,
            "SELECT id, tz, spike_sensitivity, alert_email_severity, created_at, updated_at
             FROM organisations ORDER BY id"
        ),
        settings_before,
        "every account's settings, now its organisation's"
    );
    assert_eq!(
        dump(
            &db,
            "SELECT org_id, user_id, role FROM memberships ORDER BY org_id"
        ),
        (1..=3)
            .map(|id| vec![id.to_string(), id.to_string(), "owner".to_owned()])
            .collect::<Rows>(),
        "each person owns the organisation holding their data"
    );
    assert_eq!(
        dump(&db, "SELECT DISTINCT added_by = org_id FROM api_keys"),
        [["1".to_owned()]],
        "each key was added by its organisation's one person"
    );
    assert_eq!(
        dump(&db, "SELECT DISTINCT set_by = org_id FROM email_addresses"),
        [["1".to_owned()]]
    );
    assert!(dump(&db, "PRAGMA foreign_key_check").is_empty());
    assert_eq!(dump(&db, "PRAGMA integrity_check"), [["ok".to_owned()]]);

    // The rollups still follow every write exactly (SQLite's rename once
    // turned the upserts' `excluded.` into the table's own name: doubling).
    db.execute_batch(
        "INSERT INTO usage_stats (api_key_id, org_id, date, model, requests_count, tokens_input,
                                  tokens_output, cost, source, updated_at)
         VALUES (11, 1, '2026-11-21', 'new/model', 3, 4, 5, 6, 'activity', 't'),
                (11, 1, '2026-11-01', 'new/model', 7, 8, 9, 10, 'activity', 't')
         ON CONFLICT (api_key_id, date, model) DO UPDATE SET cost = excluded.cost;
         UPDATE usage_stats SET cost = cost * 2 WHERE api_key_id = 12 AND date = '2026-11-05';
         DELETE FROM usage_stats WHERE api_key_id = 21 AND date = '2026-11-06';",
    )
    .unwrap();
    let (by_day, by_key) = rollups_from_rows(&db);
    assert_eq!(
        dump(
            &db,
            "SELECT org_id, date, requests_count, tokens_input, tokens_output, cost
             FROM usage_org_day ORDER BY org_id, date"
        ),
        by_day
    );
    assert_eq!(
        dump(
            &db,
            "SELECT api_key_id, requests_count, cost FROM usage_key_total ORDER BY api_key_id"
        ),
        by_key
    );

    // Ids stay never reused: people and organisations, each on its own.
    let refused = db.execute_batch(
        "INSERT INTO organisations (id, name, created_at, updated_at) VALUES (4, 'x', 't', 't')",
    );
    assert!(refused.unwrap_err().to_string().contains("reuse"));
    let refused = db.execute_batch(
        "INSERT INTO users (id, email, password_hash, created_at, updated_at)
         VALUES (4, 'again@example.com', '$argon2id$x', 't', 't')",
    );
    assert!(refused.unwrap_err().to_string().contains("reuse"));

    // Deleting an organisation still takes everything of it, and only it.
    db.execute_batch("DELETE FROM organisations WHERE id = 2;")
        .unwrap();
    for table in ["key_snapshots", "usage_key_total"] {
        assert_eq!(
            dump(
                &db,
                &format!("SELECT COUNT(*) FROM {table} WHERE api_key_id BETWEEN 20 AND 22")
            ),
            [["0".to_owned()]],
            "{table} of organisation 2's keys"
        );
    }
    for table in [
        "api_keys",
        "usage_stats",
        "usage_org_day",
        "budgets",
        "webhooks",
        "audit_log",
    ] {
        assert_eq!(
            dump(
                &db,
                &format!("SELECT COUNT(*) FROM {table} WHERE org_id = 2")
            ),
            [["0".to_owned()]],
            "{table} of organisation 2"
        );
    }
    assert_eq!(
        dump(&db, "SELECT COUNT(*) FROM users WHERE id = 2"),
        [["1".to_owned()]],
        "the person stays (only their membership goes)"
    );
    assert_eq!(
        dump(&db, "SELECT COUNT(*) FROM api_keys WHERE org_id = 1"),
        [["3".to_owned()]]
    );
}

#[tokio::test]
async fn a_session_acts_in_its_personal_organisation_or_the_one_it_names() {
    let user = new_user().await;
    let listed = get("/api/organisations").bearer(&user.jwt).send().await;
    assert_eq!(listed.status, 200, "{}", listed.text);
    assert_eq!(
        listed.json["items"],
        json!([{
            "id": user.org,
            "name": "Personal",
            "role": "owner",
            "members": 1,
            "joined_at": listed.json["items"][0]["joined_at"],
        }])
    );
    // Naming it changes nothing; naming another's is a 404 like any id
    // that is not the person's; naming no id is a 422 naming the header.
    let other = new_user().await;
    let own = get("/api/keys")
        .bearer(&user.jwt)
        .header("X-Organisation", &user.org.to_string())
        .send()
        .await;
    assert_eq!(own.status, 200, "{}", own.text);
    get("/api/keys")
        .bearer(&user.jwt)
        .header("X-Organisation", &other.org.to_string())
        .send()
        .await
        .assert_error(404, "not_found");
    for malformed in ["0", "-1", "x", "", "9007199254740992"] {
        let refused = get("/api/keys")
            .bearer(&user.jwt)
            .header("X-Organisation", malformed)
            .send()
            .await;
        refused.assert_error(422, "validation_error");
        assert_eq!(refused.error_field(), "X-Organisation", "{malformed:?}");
    }
    // The session is checked first: a bad one is a 401 whatever the header.
    get("/api/keys")
        .bearer("not-a-jwt")
        .header("X-Organisation", "x")
        .send()
        .await
        .assert_error(401, "unauthorized");
}

/// Roles, least first, as the document names them.
const ROLES: [&str; 4] = ["viewer", "member", "admin", "owner"];

fn rank(role: &str) -> usize {
    ROLES
        .iter()
        .position(|r| *r == role)
        .unwrap_or_else(|| panic!("no role {role:?}"))
}

/// A team organisation: its owner, and one person of each other role, each
/// invited and joined.
struct Team {
    org: i64,
    owner: User,
    people: Vec<(&'static str, User)>,
}

impl Team {
    async fn new() -> Team {
        let owner = new_user().await;
        let made = post("/api/organisations")
            .bearer(&owner.jwt)
            .json(&json!({"name": "  The team  "}))
            .send()
            .await;
        assert_eq!(made.status, 201, "{}", made.text);
        assert_eq!(
            (
                &made.json["name"],
                &made.json["role"],
                &made.json["members"]
            ),
            (&json!("The team"), &json!("owner"), &json!(1))
        );
        let org = made.json["id"].as_i64().expect("id");
        let mut people = Vec::new();
        for role in ["admin", "member", "viewer"] {
            let person = new_user().await;
            let (_, token) = invite(&owner, org, &person.email, role).await;
            let joined = accept_invitation(&person, &token).await;
            assert_eq!(joined.status, 200, "{}", joined.text);
            assert_eq!(
                joined.json,
                json!({"id": org, "name": "The team", "role": role})
            );
            people.push((role, person));
        }
        Team { org, owner, people }
    }

    fn as_(&self, person: &User, method: &str, path: &str) -> Call {
        call(method, path)
            .bearer(&person.jwt)
            .header("X-Organisation", &self.org.to_string())
    }

    fn everyone(&self) -> Vec<(&'static str, &User)> {
        let mut all: Vec<(&'static str, &User)> = self
            .people
            .iter()
            .map(|(role, user)| (*role, user))
            .collect();
        all.push(("owner", &self.owner));
        all
    }

    fn person(&self, role: &str) -> &User {
        self.everyone()
            .into_iter()
            .find(|(r, _)| *r == role)
            .map(|(_, user)| user)
            .expect("a person of that role")
    }
}

/// For every operation of the document that a session calls, and every
/// role: the documented answer. Below the operation's `x-required-role`
/// (or a member on a key they did not add, `x-own-key`) it is 403
/// `forbidden` naming the role needed and the role held, whatever the
/// request holds; at or above it never is. The request is one a handler
/// refuses or finds nothing for (`{}`, an id nobody has), so no operation
/// changes anything here.
#[tokio::test]
async fn every_operation_answers_each_role_as_the_document_says() {
    let team = Team::new().await;
    let mut checked = 0;
    for (path, item) in contract::document()["paths"].as_object().expect("paths") {
        for (method, op) in item.as_object().expect("a path item") {
            let Some(required) = op.get("x-required-role").and_then(Value::as_str) else {
                continue;
            };
            // Ends the session the rest of the walk uses; a viewer's, like
            // any role's (accounts.rs signs out).
            if op["operationId"] == "logout" {
                assert_eq!(required, "viewer");
                continue;
            }
            let own_key = op.get("x-own-key") == Some(&json!(true));
            let url = path.replace("{id}", "9007199254740000");
            for (role, person) in team.everyone() {
                let mut request = team.as_(person, &method.to_ascii_uppercase(), &url);
                if op.get("requestBody").is_some() {
                    request = request.json(&json!({}));
                }
                let res = request.send().await;
                let allowed = rank(role) >= rank(required);
                let what = format!("{} {path} as {role}: {} {}", method, res.status, res.text);
                if allowed {
                    assert!(
                        res.status != 403 || res.json["error"]["code"] != "forbidden",
                        "{what}"
                    );
                    assert!(res.status < 500, "{what}");
                } else {
                    res.assert_error(403, "forbidden");
                    let message = res.json["error"]["message"].as_str().unwrap_or_default();
                    assert!(
                        message.contains(&format!("the {required} role"))
                            && message.contains(&format!("yours is {role}")),
                        "{what}"
                    );
                    assert!(!own_key || rank(role) < rank("admin"), "{what}");
                }
                checked += 1;
            }
        }
    }
    assert!(checked >= 4 * 45, "only {checked} answers checked");
}

#[tokio::test]
async fn a_team_invites_and_each_role_does_what_it_may() {
    let team = Team::new().await;
    let (admin, member, viewer) = (
        team.person("admin"),
        team.person("member"),
        team.person("viewer"),
    );
    // Everyone sees the members, owners first.
    let members = team
        .as_(viewer, "GET", "/api/organisations/members")
        .send()
        .await;
    assert_eq!(members.status, 200, "{}", members.text);
    let roles: Vec<&str> = members.json["items"]
        .as_array()
        .expect("items")
        .iter()
        .map(|m| m["role"].as_str().expect("role"))
        .collect();
    assert_eq!(roles, ["owner", "admin", "member", "viewer"]);
    // Each person keeps their own organisation first, and lists both.
    let listed = get("/api/organisations").bearer(&viewer.jwt).send().await;
    assert_eq!(listed.json["items"][0]["id"], viewer.org);
    assert_eq!(listed.json["items"][1]["id"], team.org);
    assert_eq!(listed.json["items"][1]["role"], "viewer");
    assert_eq!(listed.json["items"][1]["members"], 4);

    // An invitation: once, for its address only, not past its week.
    let stranger = new_user().await;
    let (_, token) = invite(&team.owner, team.org, "someone-else@example.com", "member").await;
    let refused = accept_invitation(&stranger, &token).await;
    refused.assert_error(422, "validation_error");
    assert!(
        refused.text.contains("another e-mail address"),
        "{}",
        refused.text
    );
    for token in ["or_inv_nope".to_owned(), "x".repeat(40)] {
        accept_invitation(&stranger, &token)
            .await
            .assert_error(422, "validation_error");
    }
    let (_, again) = invite(&team.owner, team.org, &member.email, "viewer").await;
    accept_invitation(member, &again)
        .await
        .assert_error(409, "conflict");
    // Only an owner invites an admin; nobody invites an owner.
    let by_admin = team
        .as_(admin, "POST", "/api/organisations/invitations")
        .json(&json!({"email": "next@example.com", "role": "admin"}))
        .send()
        .await;
    by_admin.assert_error(403, "forbidden");
    assert!(
        by_admin.text.contains("the owner role"),
        "{}",
        by_admin.text
    );
    let owner_role = team
        .as_(&team.owner, "POST", "/api/organisations/invitations")
        .json(&json!({"email": "next@example.com", "role": "owner"}))
        .send()
        .await;
    owner_role.assert_error(422, "validation_error");
    assert_eq!(owner_role.error_field(), "role");

    // A member adds keys and manages those; not the others'.
    let owners_key = team.owner_key().await;
    let sim = sim_key(json!({})).await;
    remember_secret(&sim.key);
    let added = team
        .as_(member, "POST", "/api/keys")
        .json(&json!({"name": "member's", "key": sim.key, "kind": "inference"}))
        .send()
        .await;
    assert_eq!(added.status, 201, "{}", added.text);
    let own = added.json["id"].as_i64().expect("id");
    let renamed = team
        .as_(member, "PATCH", &format!("/api/keys/{own}"))
        .json(&json!({"name": "renamed by its adder"}))
        .send()
        .await;
    assert_eq!(renamed.status, 200, "{}", renamed.text);
    team.as_(member, "PATCH", &format!("/api/keys/{owners_key}"))
        .json(&json!({"name": "not theirs"}))
        .send()
        .await
        .assert_error(403, "forbidden");
    let by_admin = team
        .as_(admin, "PATCH", &format!("/api/keys/{own}"))
        .json(&json!({"name": "an admin's rename"}))
        .send()
        .await;
    assert_eq!(by_admin.status, 200, "{}", by_admin.text);

    // A viewer reads every key, without any part of one.
    let seen = team.as_(viewer, "GET", "/api/keys").send().await;
    assert_eq!(seen.status, 200, "{}", seen.text);
    assert_eq!(seen.json["items"].as_array().map(Vec::len), Some(2));
    assert!(seen.json["items"]
        .as_array()
        .expect("items")
        .iter()
        .all(|k| k["key_preview"].is_null()));
    let by_member = team.as_(member, "GET", "/api/keys").send().await;
    assert!(by_member.json["items"][0]["key_preview"].is_string());
    team.as_(viewer, "DELETE", &format!("/api/keys/{own}"))
        .send()
        .await
        .assert_error(403, "forbidden");

    // What each did is in the team's log, by name.
    let log = team
        .as_(viewer, "GET", "/api/audit?kind=member")
        .send()
        .await;
    assert_eq!(log.status, 200, "{}", log.text);
    let joined: Vec<&Value> = log.json["items"]
        .as_array()
        .expect("items")
        .iter()
        .filter(|e| e["kind"] == "member.joined")
        .collect();
    assert_eq!(joined.len(), 3);
    assert!(joined.iter().any(|e| e["actor_user_id"] == viewer.id));
    // The person's own organisation saw none of it.
    let own_log = get("/api/audit?kind=member")
        .bearer(&viewer.jwt)
        .send()
        .await;
    assert_eq!(own_log.json["pagination"]["total"], 0);
}

impl Team {
    /// A key the owner added to the team.
    async fn owner_key(&self) -> i64 {
        let sim = sim_key(json!({})).await;
        remember_secret(&sim.key);
        let added = self
            .as_(&self.owner, "POST", "/api/keys")
            .json(&json!({"name": "owner's", "key": sim.key, "kind": "inference"}))
            .send()
            .await;
        assert_eq!(added.status, 201, "{}", added.text);
        added.json["id"].as_i64().expect("id")
    }
}

/// No organisation sees or touches another's rows: every operation of the
/// document that names a row (`{id}`) answers another organisation's row as
/// it answers none (404; a change may refuse its body first, 422), leaving
/// the row as it was; and no read without an id shows any of it.
#[tokio::test]
async fn no_organisation_reaches_another_s_rows_through_any_operation() {
    let team = Team::new().await;
    let owner = &team.owner;
    let marker = unique("foreign-marker");
    let sim = sim_key(json!({})).await;
    remember_secret(&sim.key);
    let key = team
        .as_(owner, "POST", "/api/keys")
        .json(&json!({"name": marker, "key": sim.key, "kind": "inference"}))
        .send()
        .await;
    assert_eq!(key.status, 201, "{}", key.text);
    let key = key.json["id"].as_i64().expect("id");
    let budget = team
        .as_(owner, "POST", "/api/budgets")
        .json(&json!({"api_key_id": key, "amount": "10", "period": "monthly"}))
        .send()
        .await;
    assert_eq!(budget.status, 201, "{}", budget.text);
    let webhook = team
        .as_(owner, "POST", "/api/webhooks")
        .json(&json!({"name": marker, "url": "https://hooks.example.com/foreign"}))
        .send()
        .await;
    assert_eq!(webhook.status, 201, "{}", webhook.text);
    remember_secret(webhook.json["secret"].as_str().unwrap_or_default());
    let token = team
        .as_(owner, "POST", "/api/tokens")
        .json(&json!({"name": marker, "password": PASSWORD}))
        .send()
        .await;
    assert_eq!(token.status, 201, "{}", token.text);
    remember_secret(token.json["token"].as_str().unwrap_or_default());
    let invited_address = format!("{marker}@example.com");
    let invited = team
        .as_(owner, "POST", "/api/organisations/invitations")
        .json(&json!({"email": invited_address, "role": "viewer"}))
        .send()
        .await;
    assert_eq!(invited.status, 201, "{}", invited.text);
    remember_mailed_secret(
        invited.json["token"].as_str().unwrap_or_default(),
        &invited_address,
    );
    let ids = [
        (
            "/api/organisations/invitations/",
            invited.json["id"].as_i64().expect("id"),
        ),
        ("/api/keys/", key),
        ("/api/budgets/", budget.json["id"].as_i64().expect("id")),
        ("/api/webhooks/", webhook.json["id"].as_i64().expect("id")),
        ("/api/tokens/", token.json["id"].as_i64().expect("id")),
        ("/api/organisations/members/", team.person("viewer").id),
    ];
    let before = team
        .as_(owner, "GET", &format!("/api/keys/{key}"))
        .send()
        .await;

    // A stranger: the owner of their own organisation, in none of the team's.
    let stranger = new_user().await;
    let mut walked = 0;
    for (path, item) in contract::document()["paths"].as_object().expect("paths") {
        for (method, op) in item.as_object().expect("a path item") {
            if op.get("x-required-role").is_none() {
                continue;
            }
            let method = method.to_ascii_uppercase();
            if !path.contains("{id}") {
                if method == "GET" {
                    let res = call(&method, path).bearer(&stranger.jwt).send().await;
                    assert!(
                        !res.text.contains(&marker),
                        "{method} {path} shows another organisation's row: {}",
                        res.text
                    );
                }
                continue;
            }
            let Some((_, id)) = ids.iter().find(|(prefix, _)| path.starts_with(prefix)) else {
                // `/api/actions/{id}/undo`: policies.rs checks another's action.
                assert!(
                    path.starts_with("/api/actions/"),
                    "no row to try {path} with"
                );
                continue;
            };
            let mut request =
                call(&method, &path.replace("{id}", &id.to_string())).bearer(&stranger.jwt);
            if op.get("requestBody").is_some() {
                request = request.json(&json!({"name": "taken over"}));
            }
            let res = request.send().await;
            let allowed: &[u16] = if method == "GET" { &[404] } else { &[404, 422] };
            assert!(
                allowed.contains(&res.status),
                "{method} {path} with another organisation's id: {} {}",
                res.status,
                res.text
            );
            walked += 1;
        }
    }
    assert!(walked >= 12, "only {walked} operations walked");
    let after = team
        .as_(owner, "GET", &format!("/api/keys/{key}"))
        .send()
        .await;
    // What a person sets; the figures move with any test's hourly sync.
    let set_by_people = |key: &Value| {
        let budgets: Vec<Value> = key["budgets"]
            .as_array()
            .expect("budgets")
            .iter()
            .map(|b| {
                json!([
                    b["id"],
                    b["amount"],
                    b["period"],
                    b["thresholds"],
                    b["action"]
                ])
            })
            .collect();
        json!([
            key["name"],
            key["kind"],
            key["is_active"],
            key["updated_at"],
            budgets
        ])
    };
    assert_eq!(
        set_by_people(&after.json),
        set_by_people(&before.json),
        "the team's key is as it was"
    );
    let hooks = team.as_(owner, "GET", "/api/webhooks").send().await;
    assert!(hooks.text.contains(&marker), "{}", hooks.text);
    let pending = team
        .as_(owner, "GET", "/api/organisations/invitations")
        .send()
        .await;
    assert!(
        pending.text.contains(&marker),
        "still pending: {}",
        pending.text
    );
    let members = team
        .as_(owner, "GET", "/api/organisations/members")
        .send()
        .await;
    assert_eq!(members.json["items"].as_array().map(Vec::len), Some(4));
}

#[tokio::test]
async fn roles_change_within_their_rules_and_an_organisation_always_keeps_an_owner() {
    let team = Team::new().await;
    let (admin, member, viewer) = (
        team.person("admin"),
        team.person("member"),
        team.person("viewer"),
    );
    let change = |by: &User, whom: &User, role: &str| {
        team.as_(
            by,
            "PATCH",
            &format!("/api/organisations/members/{}", whom.id),
        )
        .json(&json!({ "role": role }))
        .send()
    };
    let role_of = |whom: i64| {
        let team = &team;
        async move {
            let members = team
                .as_(&team.owner, "GET", "/api/organisations/members")
                .send()
                .await;
            members.json["items"]
                .as_array()
                .expect("items")
                .iter()
                .find(|m| m["user_id"] == whom)
                .map(|m| m["role"].as_str().expect("role").to_owned())
        }
    };
    // An admin manages those below them, with the roles below theirs.
    assert_eq!(change(admin, viewer, "member").await.status, 204);
    assert_eq!(role_of(viewer.id).await.as_deref(), Some("member"));
    let refused = change(admin, member, "admin").await;
    refused.assert_error(403, "forbidden");
    assert!(refused.text.contains("the owner role"), "{}", refused.text);
    change(admin, &team.owner, "viewer")
        .await
        .assert_error(403, "forbidden");
    change(member, viewer, "viewer")
        .await
        .assert_error(403, "forbidden");
    change(admin, member, "boss")
        .await
        .assert_error(422, "validation_error");
    let stranger = new_user().await;
    change(admin, &stranger, "viewer")
        .await
        .assert_error(404, "not_found");
    // The last owner cannot step down; with a second owner, they can.
    change(&team.owner, &team.owner, "admin")
        .await
        .assert_error(409, "conflict");
    assert_eq!(change(&team.owner, admin, "owner").await.status, 204);
    assert_eq!(change(&team.owner, &team.owner, "admin").await.status, 204);
    assert_eq!(role_of(team.owner.id).await.as_deref(), Some("admin"));
    // Now `admin` is the one owner: they cannot leave; the others can.
    let leave = |who: &User, whom: &User| {
        team.as_(
            who,
            "DELETE",
            &format!("/api/organisations/members/{}", whom.id),
        )
        .send()
    };
    leave(admin, admin).await.assert_error(409, "conflict");
    assert_eq!(leave(viewer, viewer).await.status, 204);
    team.as_(viewer, "GET", "/api/keys")
        .send()
        .await
        .assert_error(404, "not_found");
    // The old owner, now an admin, removes the member; the member's key
    // stays with the organisation.
    let sim = sim_key(json!({})).await;
    remember_secret(&sim.key);
    let key = team
        .as_(member, "POST", "/api/keys")
        .json(&json!({"name": "stays", "key": sim.key, "kind": "inference"}))
        .send()
        .await;
    assert_eq!(key.status, 201, "{}", key.text);
    assert_eq!(leave(&team.owner, member).await.status, 204);
    assert_eq!(role_of(member.id).await, None);
    let keys = team.as_(admin, "GET", "/api/keys").send().await;
    assert!(keys.text.contains("\"stays\""), "{}", keys.text);
    // A personal organisation is left only with the account.
    let own = call(
        "DELETE",
        &format!("/api/organisations/members/{}", admin.id),
    )
    .bearer(&admin.jwt)
    .send()
    .await;
    own.assert_error(409, "conflict");
    // Each change is in the team's log.
    let log = team
        .as_(admin, "GET", "/api/audit?kind=member")
        .send()
        .await;
    let kinds: Vec<&str> = log.json["items"]
        .as_array()
        .expect("items")
        .iter()
        .map(|e| e["kind"].as_str().expect("kind"))
        .collect();
    for kind in ["member.role_changed", "member.left", "member.removed"] {
        assert!(kinds.contains(&kind), "{kind} not in {kinds:?}");
    }
}

/// An owner deletes a team with everything in it: its name and the
/// password confirm it; its members keep their accounts; its token stops
/// answering; a personal organisation goes only with its account.
#[tokio::test]
async fn an_owner_deletes_a_team_and_everything_in_it() {
    let team = Team::new().await;
    let owner = &team.owner;
    team.owner_key().await;
    let (_, token) = owner_token_in(&team).await;
    let delete = |body: Value| {
        team.as_(owner, "DELETE", "/api/organisations")
            .json(&body)
            .send()
    };
    let wrong_name = delete(json!({"name": "The tea", "password": PASSWORD})).await;
    wrong_name.assert_error(422, "validation_error");
    assert_eq!(wrong_name.error_field(), "name");
    let wrong_password = delete(json!({"name": "The team", "password": "not it at all"})).await;
    wrong_password.assert_error(422, "validation_error");
    assert_eq!(wrong_password.error_field(), "password");
    let admin = team.person("admin");
    team.as_(admin, "DELETE", "/api/organisations")
        .json(&json!({"name": "The team", "password": PASSWORD}))
        .send()
        .await
        .assert_error(403, "forbidden");
    let personal = delete_in(
        owner,
        owner.org,
        json!({"name": "Personal", "password": PASSWORD}),
    )
    .await;
    personal.assert_error(409, "conflict");
    assert_eq!(
        get("/api/v1/stats").bearer(&token).send().await.status,
        200,
        "nothing went before it was confirmed"
    );

    let deleted = delete(json!({"name": "The team", "password": PASSWORD})).await;
    assert_eq!(deleted.status, 204, "{}", deleted.text);
    assert_eq!(get("/api/v1/stats").bearer(&token).send().await.status, 401);
    for (_, person) in team.everyone() {
        let listed = get("/api/organisations").bearer(&person.jwt).send().await;
        assert_eq!(listed.status, 200, "{}", listed.text);
        let ids: Vec<&Value> = listed.json["items"]
            .as_array()
            .expect("items")
            .iter()
            .map(|o| &o["id"])
            .collect();
        assert_eq!(ids, [&json!(person.org)], "their own organisation stays");
        team.as_(person, "GET", "/api/keys")
            .send()
            .await
            .assert_error(404, "not_found");
    }
    let left = d1_query(
        &app().persist_dir,
        &format!(
            // By organisation: a deleted key's id may be taken by another test's new key.
            "SELECT (SELECT COUNT(*) FROM api_keys WHERE org_id = {org}) AS keys,
                    (SELECT COUNT(*) FROM memberships WHERE org_id = {org}) AS memberships,
                    (SELECT COUNT(*) FROM invitations WHERE org_id = {org}) AS invitations,
                    (SELECT COUNT(*) FROM api_tokens WHERE org_id = {org}) AS tokens,
                    (SELECT COUNT(*) FROM audit_log WHERE org_id = {org}) AS audit,
                    (SELECT COUNT(*) FROM organisations WHERE id = {org}) AS organisation",
            org = team.org
        ),
    );
    assert_eq!(
        left[0],
        json!({"keys": 0, "memberships": 0, "invitations": 0, "tokens": 0, "audit": 0, "organisation": 0}),
        "everything in it went"
    );
    let again = post("/api/organisations")
        .bearer(&owner.jwt)
        .json(&json!({"name": "Next"}))
        .send()
        .await;
    assert!(
        again.json["id"].as_i64().expect("id") > team.org,
        "its id is never given again: {}",
        again.text
    );
}

async fn owner_token_in(team: &Team) -> (i64, String) {
    let made = team
        .as_(&team.owner, "POST", "/api/tokens")
        .json(&json!({"name": "team reader"}))
        .send()
        .await;
    assert_eq!(made.status, 201, "{}", made.text);
    let token = made.json["token"].as_str().expect("token").to_owned();
    remember_secret(&token);
    (made.json["id"].as_i64().expect("id"), token)
}

async fn delete_in(person: &User, org: i64, body: Value) -> Res {
    call("DELETE", "/api/organisations")
        .bearer(&person.jwt)
        .header("X-Organisation", &org.to_string())
        .json(&body)
        .send()
        .await
}
