//! Sign-in through Cloudflare Access: the shared Worker trusts a fake team
//! on this machine (`helpers::access`), whose key set holds two keys. A
//! valid assertion signs in (an account is made on first sight, reused
//! after); every refusal is a 401 naming its check, creates nothing, and
//! never echoes the token.

use serde_json::{json, Value};

use crate::helpers::*;

const HEADER: &str = "Cf-Access-Jwt-Assertion";

async fn sign_in(assertion: &str) -> Res {
    post("/api/auth/access")
        .header(HEADER, assertion)
        .send()
        .await
}

fn fresh_email() -> String {
    format!("{}@example.com", unique("access"))
}

fn users_named(email: &str) -> Vec<Value> {
    app().d1(&format!(
        "SELECT id, password_hash, has_password FROM users WHERE email = '{email}'"
    ))
}

/// The session a sign-in handed out, checked on `/api/auth/me`: its user.
async fn me(session: &Res) -> Value {
    assert_eq!(session.status, 200, "{}", session.text);
    assert_eq!(session.json["token_type"], "bearer");
    assert!(session.json["expires_in"].as_i64().is_some_and(|s| s > 0));
    let jwt = session.json["access_token"].as_str().expect("a session");
    remember_secret(jwt);
    let me = get("/api/auth/me").bearer(jwt).send().await;
    assert_eq!(me.status, 200, "{}", me.text);
    me.json
}

#[tokio::test]
async fn the_deployment_says_access_is_on_without_any_credential() {
    let status = call("GET", "/api/auth/access").send().await;
    assert_eq!(status.status, 200, "{}", status.text);
    assert_eq!(status.json, json!({ "enabled": true }));
}

#[tokio::test]
async fn a_valid_assertion_signs_in_making_the_account_once() {
    let team = fake_team();
    let email = fresh_email();
    let assertion = team.assertion(&email.to_uppercase());
    remember_secret(&assertion);
    let first = me(&sign_in(&assertion).await).await;
    assert_eq!(first["email"], email, "normalised");

    let rows = users_named(&email);
    assert_eq!(rows.len(), 1, "{rows:?}");
    assert_eq!(rows[0]["has_password"], 0);
    assert_eq!(rows[0]["password_hash"], "$argon2id$none");
    let id = rows[0]["id"].as_i64().unwrap();
    assert_eq!(first["id"], id);
    let created = app().d1(&format!(
        "SELECT kind FROM audit_log WHERE org_id = {id} AND kind = 'account.created'"
    ));
    assert_eq!(created.len(), 1, "the new account is in its audit log");

    // The same person again, by the other key of the set (a rotation).
    let again = team.sign(&team.claims(&email), Key::Next);
    remember_secret(&again);
    let second = me(&sign_in(&again).await).await;
    assert_eq!(second["id"], id, "the same account");
    assert_eq!(users_named(&email).len(), 1);
}

#[tokio::test]
async fn no_password_signs_in_an_account_made_by_access() {
    let email = fresh_email();
    me(&sign_in(&fake_team().assertion(&email)).await).await;
    for password in ["$argon2id$none", "", PASSWORD] {
        login(&email, password)
            .await
            .assert_error(401, "unauthorized");
    }
}

#[tokio::test]
async fn a_password_account_signs_in_by_its_email_and_keeps_its_password() {
    let user = new_user().await;
    let signed = me(&sign_in(&fake_team().assertion(&user.email)).await).await;
    assert_eq!(signed["id"], user.id);
    assert_eq!(users_named(&user.email).len(), 1);
    assert_eq!(users_named(&user.email)[0]["has_password"], 1);
    assert_eq!(login(&user.email, PASSWORD).await.status, 200);
}

#[tokio::test]
async fn the_assertion_is_no_session_anywhere_else() {
    let assertion = fake_team().assertion(&fresh_email());
    remember_secret(&assertion);
    let res = get("/api/auth/me").header(HEADER, &assertion).send().await;
    res.assert_error(401, "unauthorized");
    let res = get("/api/auth/me").bearer(&assertion).send().await;
    res.assert_error(401, "unauthorized");
}

/// A token signed with `alg: none`: the header says so and nothing signs it.
fn unsigned(claims: &Value) -> String {
    let header = json!({ "alg": "none", "kid": "test-current", "typ": "JWT" });
    format!("{}.{}.", encode(&header), encode(claims))
}

#[tokio::test]
async fn refused_assertions_are_401_naming_the_check_and_create_nothing() {
    let team = fake_team();
    let now = chrono::Utc::now().timestamp();
    let email = fresh_email();
    let claims = team.claims(&email);
    let with = |field: &str, value: Value| {
        let mut claims = claims.clone();
        claims[field] = value;
        claims
    };
    let mut no_email = claims.clone();
    no_email.as_object_mut().unwrap().remove("email");
    let valid = team.assertion(&email);
    let (head, _) = valid.rsplit_once('.').unwrap();
    let (_, signature) = valid.rsplit_once('.').unwrap();
    let other = team.assertion(&fresh_email());
    let (other_head, _) = other.rsplit_once('.').unwrap();
    let cases: Vec<(&str, String, &str)> = vec![
        (
            "wrong aud",
            team.sign(&with("aud", json!(["another-application"])), Key::Current),
            "not for this application (aud)",
        ),
        (
            "expired",
            team.sign(&with("exp", json!(now - 3600)), Key::Current),
            "has expired (exp)",
        ),
        (
            "key not in the set",
            team.sign(&claims, Key::Stranger),
            "signed by a key not in the team's key set",
        ),
        ("alg none", unsigned(&claims), "algorithm is not RS256"),
        (
            "wrong iss",
            team.sign(
                &with("iss", json!("https://another.cloudflareaccess.com")),
                Key::Current,
            ),
            "not issued by this team (iss)",
        ),
        (
            "not yet valid",
            team.sign(&with("nbf", json!(now + 3600)), Key::Current),
            "not valid yet",
        ),
        (
            "missing email",
            team.sign(&no_email, Key::Current),
            "carries no e-mail address",
        ),
        (
            "another token's signature",
            format!("{other_head}.{signature}"),
            "signature does not verify",
        ),
        ("malformed", "not.a-jwt".to_owned(), "not a well-formed JWT"),
        (
            "malformed",
            format!("{head}.{signature}.x"),
            "not a well-formed JWT",
        ),
        ("empty", String::new(), "no Cf-Access-Jwt-Assertion header"),
    ];
    for (what, assertion, says) in &cases {
        remember_secret(assertion);
        let res = sign_in(assertion).await;
        res.assert_error(401, "unauthorized");
        let message = res.json["error"]["message"].as_str().unwrap();
        assert!(message.contains(says), "{what}: {message}");
        assert!(
            message.starts_with("Cloudflare Access: "),
            "{what}: {message}"
        );
        assert!(
            assertion.len() < 8 || !res.text.contains(assertion.as_str()),
            "{what}: the token is echoed"
        );
        assert_eq!(res.header("www-authenticate"), Some("Bearer"), "{what}");
    }
    let missing = post("/api/auth/access").send().await;
    missing.assert_error(401, "unauthorized");
    assert!(missing.text.contains("no Cf-Access-Jwt-Assertion header"));
    assert!(users_named(&email).is_empty(), "no account on a refusal");
    // The same claims, rightly signed, do sign in.
    assert_eq!(sign_in(&valid).await.status, 200);
}

#[tokio::test]
async fn the_key_set_is_kept_not_fetched_per_sign_in() {
    let team = fake_team();
    let warm = me(&sign_in(&team.assertion(&fresh_email())).await).await;
    assert!(warm["id"].is_i64());
    let before = team.fetches();
    for _ in 0..4 {
        me(&sign_in(&team.assertion(&fresh_email())).await).await;
    }
    // Another test's unknown key may have asked once more meanwhile.
    assert!(
        team.fetches() <= before + 1,
        "{} fetches",
        team.fetches() - before
    );
}

#[tokio::test]
async fn sign_ins_and_refusals_are_security_events_without_the_token() {
    let team = fake_team();
    let assertion = team.assertion(&fresh_email());
    remember_secret(&assertion);
    let user = me(&sign_in(&assertion).await).await;
    let refused = team.sign(&team.claims(&fresh_email()), Key::Stranger);
    remember_secret(&refused);
    sign_in(&refused).await.assert_error(401, "unauthorized");
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(30);
    loop {
        let log = app().log();
        let events: Vec<Value> = log
            .lines()
            .filter_map(|l| l.find("{\"security_event\"").map(|i| &l[i..]))
            .filter_map(|l| serde_json::from_str(l).ok())
            .collect();
        let signed_in = events
            .iter()
            .any(|e| e["security_event"] == "access_login_ok" && e["user_id"] == user["id"]);
        let refusal = events
            .iter()
            .any(|e| e["security_event"] == "access_refused" && e["reason"] == "unknown_key");
        if signed_in && refusal {
            assert!(!log.contains(&assertion) && !log.contains(&refused));
            break;
        }
        assert!(
            std::time::Instant::now() < deadline,
            "no access events logged"
        );
        tokio::time::sleep(std::time::Duration::from_millis(200)).await;
    }
}

#[tokio::test]
async fn without_the_settings_the_route_is_404_and_the_header_means_nothing() {
    let (dir, log) = (
        run_dir().join("no-access-state"),
        run_dir().join("no-access-wrangler.log"),
    );
    // The variables of wrangler.toml, as deployed: no Access.
    let worker = own_worker(dir, log, &[]).await;
    let status = call_at(&worker.base_url, "GET", "/api/auth/access")
        .send()
        .await;
    assert_eq!(status.status, 200, "{}", status.text);
    assert_eq!(status.json, json!({ "enabled": false }));
    let user = user_at(&worker.base_url).await;
    let assertion = fake_team().assertion(&user.email);
    remember_secret(&assertion);
    let res = call_at(&worker.base_url, "POST", "/api/auth/access")
        .header(HEADER, &assertion)
        .send()
        .await;
    res.assert_error(404, "not_found");
    assert!(res.text.contains("not enabled"), "{}", res.text);
    let me = call_at(&worker.base_url, "GET", "/api/auth/me")
        .header(HEADER, &assertion)
        .send()
        .await;
    me.assert_error(401, "unauthorized");
    let login = call_at(&worker.base_url, "POST", "/api/auth/login")
        .json(&json!({ "email": user.email, "password": PASSWORD }))
        .send()
        .await;
    assert_eq!(login.status, 200, "passwords work as before");
}

#[tokio::test]
async fn an_account_without_a_password_deletes_itself_from_a_fresh_session() {
    let email = fresh_email();
    let session = sign_in(&fake_team().assertion(&email)).await;
    let jwt = session.json["access_token"].as_str().unwrap().to_owned();
    remember_secret(&jwt);
    let res = call("DELETE", "/api/auth/me")
        .bearer(&jwt)
        .json(&json!({ "password": PASSWORD }))
        .send()
        .await;
    res.assert_error(422, "validation_error");
    assert!(res.text.contains("no password"), "{}", res.text);
    assert_eq!(users_named(&email).len(), 1);
    let res = call("DELETE", "/api/auth/me")
        .bearer(&jwt)
        .json(&json!({}))
        .send()
        .await;
    assert_eq!(res.status, 204, "{}", res.text);
    assert!(users_named(&email).is_empty());

    // A password account still needs its password.
    let user = new_user().await;
    let res = call("DELETE", "/api/auth/me")
        .bearer(&user.jwt)
        .json(&json!({}))
        .send()
        .await;
    res.assert_error(422, "validation_error");
    assert_eq!(res.error_field(), "password");
    assert_eq!(users_named(&user.email).len(), 1);
}

#[tokio::test]
async fn signing_in_joins_the_organisations_that_invited_the_address() {
    let email = fresh_email();
    let (host, other) = (new_user().await, new_user().await);
    let mut teams = Vec::new();
    for (owner, role) in [(&host, "viewer"), (&other, "member")] {
        let made = post("/api/organisations")
            .bearer(&owner.jwt)
            .json(&json!({"name": "Behind Access"}))
            .send()
            .await;
        assert_eq!(made.status, 201, "{}", made.text);
        let org = made.json["id"].as_i64().expect("id");
        let (invitation, _) = invite(owner, org, &email, role).await;
        teams.push((org, owner, invitation));
    }
    // The second team thinks better of it before the person arrives.
    let (revoked_org, revoker, revoked) = &teams[1];
    let gone = call(
        "DELETE",
        &format!("/api/organisations/invitations/{revoked}"),
    )
    .bearer(&revoker.jwt)
    .header("X-Organisation", &revoked_org.to_string())
    .send()
    .await;
    assert_eq!(gone.status, 204, "{}", gone.text);

    let assertion = fake_team().assertion(&email);
    remember_secret(&assertion);
    let person = me(&sign_in(&assertion).await).await;
    let id = person["id"].as_i64().expect("id");
    let session = sign_in(&assertion).await;
    let jwt = session.json["access_token"].as_str().expect("a session");
    remember_secret(jwt);
    let theirs = get("/api/organisations").bearer(jwt).send().await;
    let roles: Vec<(i64, String)> = theirs.json["items"]
        .as_array()
        .expect("items")
        .iter()
        .map(|o| {
            (
                o["id"].as_i64().unwrap(),
                o["role"].as_str().unwrap().to_owned(),
            )
        })
        .collect();
    let (joined, _, invitation) = teams[0];
    assert!(roles.contains(&(joined, "viewer".to_owned())), "{roles:?}");
    assert!(roles.iter().all(|(org, _)| org != revoked_org), "{roles:?}");
    assert_eq!(roles.len(), 2, "personal and the one joined: {roles:?}");

    // Joined once, in the organisation's audit log, by the person.
    let entries = app().d1(&format!(
        "SELECT actor_user_id, after, reference FROM audit_log
         WHERE org_id = {joined} AND kind = 'member.joined'"
    ));
    assert_eq!(
        entries.len(),
        1,
        "the second sign-in joined nothing: {entries:?}"
    );
    assert_eq!(entries[0]["actor_user_id"], id);
    let after: Value = serde_json::from_str(entries[0]["after"].as_str().unwrap()).unwrap();
    assert_eq!(after["sign_in"], "cloudflare_access");
    assert_eq!(after["role"], "viewer");
    let reference: Value = serde_json::from_str(entries[0]["reference"].as_str().unwrap()).unwrap();
    assert_eq!(reference["invitation_id"], invitation);
}
