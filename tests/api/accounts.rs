//! Registration, login, sessions.

use jwt_compact::alg::{Hs256, Hs256Key};
use jwt_compact::{AlgorithmExt, Claims, Header, TimeOptions};
use serde_json::{json, Value};

use crate::helpers::*;

#[tokio::test]
async fn registration_returns_the_user_and_no_secret() {
    let email = format!("{}@Example.COM", unique("Reg"));
    let res = register(&email, PASSWORD).await;
    assert_eq!(res.status, 201, "{}", res.text);
    assert_eq!(res.json["email"], email.to_lowercase());
    assert!(res.json["id"].is_i64());
    assert!(res.json["created_at"]
        .as_str()
        .is_some_and(|t| t.ends_with('Z')));
    assert!(
        !res.text.contains(PASSWORD) && !res.text.contains("argon2"),
        "{}",
        res.text
    );
    assert!(res.json.get("password_hash").is_none());
}

#[tokio::test]
async fn duplicate_email_in_another_case_is_409() {
    let email = format!("{}@example.com", unique("dup"));
    assert_eq!(register(&email, PASSWORD).await.status, 201);
    register(&email.to_uppercase(), PASSWORD)
        .await
        .assert_error(409, "conflict");
}

#[tokio::test]
async fn invalid_registrations_are_422_naming_the_field() {
    let ok_email = format!("{}@example.com", unique("v"));
    let cases = [
        (
            json!({ "email": "not-an-email", "password": PASSWORD }),
            "email",
        ),
        (
            json!({ "email": ok_email, "password": "short" }),
            "password",
        ),
        (
            json!({ "email": ok_email, "password": "p".repeat(129) }),
            "password",
        ),
        (json!({ "password": PASSWORD }), "email"),
        (json!({ "email": ok_email }), "password"),
        (
            json!({ "email": ok_email, "password": PASSWORD, "admin": true }),
            "admin",
        ),
        (json!({ "email": 42, "password": PASSWORD }), "email"),
    ];
    for (body, field) in cases {
        let res = post("/api/auth/register").json(&body).send().await;
        res.assert_error(422, "validation_error");
        assert_eq!(res.error_field(), field, "{body} -> {}", res.text);
    }
    // Nothing was created by the failed attempts.
    assert_eq!(register(&ok_email, PASSWORD).await.status, 201);
}

#[tokio::test]
async fn login_gives_a_jwt_that_me_accepts() {
    let user = new_user().await;
    let res = login(&user.email, PASSWORD).await;
    assert_eq!(res.json["token_type"], "bearer");
    assert_eq!(res.json["expires_in"], 86400);
    let me = get("/api/auth/me").bearer(&user.jwt).send().await;
    assert_eq!(me.status, 200, "{}", me.text);
    assert_eq!(me.json["email"], user.email);
    assert_eq!(me.json["id"], user.id);
}

#[tokio::test]
async fn wrong_password_and_unknown_email_look_the_same() {
    let user = new_user().await;
    let wrong = login(&user.email, "wrong password here").await;
    let unknown = login(&format!("{}@example.com", unique("ghost")), PASSWORD).await;
    wrong.assert_error(401, "unauthorized");
    unknown.assert_error(401, "unauthorized");
    assert_eq!(wrong.text, unknown.text);
}

/// A session token signed with `secret`, issued `issued_ago` ago for an
/// hour.
fn craft(secret: &[u8], claims: Value, issued_ago: chrono::Duration) -> String {
    let at = chrono::Utc::now() - issued_ago;
    let claims = Claims::new(claims).set_duration_and_issuance(
        &TimeOptions::new(chrono::Duration::zero(), move || at),
        chrono::Duration::hours(1),
    );
    Hs256
        .token(
            &Header::empty().with_token_type("JWT"),
            &claims,
            &Hs256Key::new(secret),
        )
        .expect("token")
}

#[tokio::test]
async fn bad_session_tokens_are_401_with_www_authenticate() {
    use base64::Engine;
    let b64 = base64::engine::general_purpose::URL_SAFE_NO_PAD;
    let user = new_user().await;
    let secret = app().jwt_secret.as_bytes();
    let claims = json!({ "sub": user.id.to_string(), "jti": "crafted-by-test" });

    let valid = craft(secret, claims.clone(), chrono::Duration::zero());
    assert_eq!(
        get("/api/auth/me").bearer(&valid).send().await.status,
        200,
        "a crafted valid token works"
    );

    let expired = craft(secret, claims.clone(), chrono::Duration::hours(2));
    let mut parts: Vec<&str> = user.jwt.split('.').collect();
    let forged_claims = b64.encode(
        json!({ "sub": (user.id + 1).to_string(), "jti": "x", "exp": 9999999999u64 }).to_string(),
    );
    parts[1] = &forged_claims;
    let tampered = parts.join(".");
    let alg_none = format!(
        "{}.{}.",
        b64.encode(r#"{"alg":"none","typ":"JWT"}"#),
        b64.encode(
            json!({ "sub": user.id.to_string(), "jti": "n", "exp": 9999999999u64 }).to_string()
        )
    );
    let other_secret = craft(
        b"another-secret-that-is-32-bytes!!",
        claims,
        chrono::Duration::zero(),
    );
    let (_, api_token) = user.new_token("not-for-web").await;

    let logged_out = login(&user.email, PASSWORD).await.json["access_token"]
        .as_str()
        .unwrap()
        .to_owned();
    let res = post("/api/auth/logout").bearer(&logged_out).send().await;
    assert_eq!(res.status, 204, "{}", res.text);

    for (what, token) in [
        ("expired", expired.as_str()),
        ("tampered", tampered.as_str()),
        ("alg none", alg_none.as_str()),
        ("other secret", other_secret.as_str()),
        ("api token", api_token.as_str()),
        ("logged out", logged_out.as_str()),
        ("garbage", "abc.def.ghi"),
    ] {
        let res = get("/api/auth/me").bearer(token).send().await;
        assert_eq!(res.status, 401, "{what}: {}", res.text);
        res.assert_error(401, "unauthorized");
        assert_eq!(res.header("www-authenticate"), Some("Bearer"), "{what}");
    }
    get("/api/auth/me")
        .send()
        .await
        .assert_error(401, "unauthorized");
    // The other session of the same user is unaffected by the logout.
    assert_eq!(
        get("/api/auth/me").bearer(&user.jwt).send().await.status,
        200
    );
}

#[tokio::test]
async fn the_eleventh_failed_login_is_429() {
    let user = new_user().await;
    let ip = unique_ip();
    for attempt in 1..=10 {
        let res = post("/api/auth/login")
            .ip(&ip)
            .json(&json!({ "email": user.email, "password": "not the password" }))
            .send()
            .await;
        assert_eq!(res.status, 401, "attempt {attempt}: {}", res.text);
    }
    let res = post("/api/auth/login")
        .ip(&ip)
        .json(&json!({ "email": user.email, "password": "not the password" }))
        .send()
        .await;
    res.assert_error(429, "rate_limited");
    let retry = res.retry_after();
    assert!((1..=900).contains(&retry), "{retry}");
    // The email is throttled from any address, even with the right password.
    let res = post("/api/auth/login")
        .ip(&unique_ip())
        .json(&json!({ "email": user.email, "password": PASSWORD }))
        .send()
        .await;
    assert_eq!(res.status, 429, "{}", res.text);
}

#[tokio::test]
async fn passwords_are_stored_as_argon2id_only() {
    let user = new_user().await;
    let rows = app().d1(&format!(
        "SELECT email, password_hash FROM users WHERE id = {}",
        user.id
    ));
    let hash = rows[0]["password_hash"].as_str().unwrap();
    assert!(
        hash.starts_with("$argon2id$v=19$m=19456,t=2,p=1$"),
        "{hash}"
    );
    assert!(!hash.contains(PASSWORD));
}

/// A session from a login now.
async fn signed_in(email: &str, password: &str) -> String {
    let session = login(email, password).await.json["access_token"]
        .as_str()
        .expect("a session")
        .to_owned();
    remember_secret(&session);
    session
}

/// A new API token of the session's account (its plaintext).
async fn token_of(session: &str, name: &str) -> String {
    let created = post("/api/tokens")
        .bearer(session)
        .json(&json!({ "name": name }))
        .send()
        .await;
    assert_eq!(created.status, 201, "{}", created.text);
    let token = created.json["token"].as_str().expect("a token").to_owned();
    remember_secret(&token);
    token
}

/// Changes the password with `body`: the new session, and the counts of
/// (revoked tokens, paused webhooks).
async fn change_password(session: &str, body: Value) -> (String, (i64, i64)) {
    let res = post("/api/auth/password")
        .bearer(session)
        .json(&body)
        .send()
        .await;
    assert_eq!(res.status, 200, "{}", res.text);
    let fresh = res.json["access_token"]
        .as_str()
        .expect("a session")
        .to_owned();
    remember_secret(&fresh);
    let count = |field: &str| res.json[field].as_i64().expect("a count");
    (fresh, (count("revoked_tokens"), count("paused_webhooks")))
}

/// A session of `user` that signed in `minutes` minutes ago.
fn session_from(user: &User, minutes: i64) -> String {
    let claims = json!({ "sub": user.id.to_string(), "jti": unique("aged-session") });
    let token = craft(
        app().jwt_secret.as_bytes(),
        claims,
        chrono::Duration::minutes(minutes),
    );
    remember_secret(&token);
    token
}

#[tokio::test]
async fn an_old_session_needs_the_password_to_create_lasting_access() {
    let user = new_user().await;
    let old = session_from(&user, 11);
    let token_body = |password: Option<&str>| match password {
        Some(p) => json!({ "name": "ci", "password": p }),
        None => json!({ "name": "ci" }),
    };
    let hook_body = |password: Option<&str>| {
        let mut body = json!({ "name": "ops", "url": "https://hooks.example.com/x" });
        if let Some(p) = password {
            body["password"] = json!(p);
        }
        body
    };
    for path in ["/api/tokens", "/api/webhooks"] {
        let body = if path == "/api/tokens" {
            token_body
        } else {
            hook_body
        };
        post(path)
            .bearer(&old)
            .json(&body(None))
            .send()
            .await
            .assert_error(403, "reauthentication_required");
        let wrong = post(path)
            .bearer(&old)
            .json(&body(Some("not the password!")))
            .send()
            .await;
        wrong.assert_error(422, "validation_error");
        assert_eq!(wrong.error_field(), "password");
        let res = post(path)
            .bearer(&old)
            .json(&body(Some(PASSWORD)))
            .send()
            .await;
        assert_eq!(res.status, 201, "{path}: {}", res.text);
        remember_created_secret(&res);
        // A session that signed in minutes ago needs nothing more.
        let fresh = session_from(&user, 2);
        let res = post(path).bearer(&fresh).json(&body(None)).send().await;
        assert_eq!(res.status, 201, "{path}: {}", res.text);
        remember_created_secret(&res);
    }
}

#[tokio::test]
async fn a_password_change_revokes_what_other_sessions_created() {
    let owner = new_user().await;
    let (_, mine) = owner.new_token("mine").await;
    let my_hook = post("/api/webhooks")
        .bearer(&owner.jwt)
        .json(&json!({ "name": "mine", "url": "https://hooks.example.com/mine" }))
        .send()
        .await;
    assert_eq!(my_hook.status, 201, "{}", my_hook.text);
    remember_secret(my_hook.json["secret"].as_str().unwrap_or_default());
    // A thief with the old password signs in and plants access.
    let thief = signed_in(&owner.email, PASSWORD).await;
    let planted_token = token_of(&thief, "backdoor").await;
    let planted_hook = post("/api/webhooks")
        .bearer(&thief)
        .json(&json!({ "name": "exfil", "url": "https://exfil.example.net/h" }))
        .send()
        .await;
    remember_secret(planted_hook.json["secret"].as_str().unwrap_or_default());
    let new_password = "the owner's new passphrase";
    remember_secret(new_password);

    let body = json!({ "current_password": PASSWORD, "new_password": new_password });
    let (fresh, revoked) = change_password(&owner.jwt, body).await;
    assert_eq!(revoked, (1, 1), "the planted token and webhook");
    get("/api/v1/stats")
        .bearer(&planted_token)
        .send()
        .await
        .assert_error(401, "unauthorized");
    assert_eq!(get("/api/v1/stats").bearer(&mine).send().await.status, 200);
    let hooks = get("/api/webhooks").bearer(&fresh).send().await;
    let active: Vec<(&str, bool)> = hooks.json["webhooks"]
        .as_array()
        .unwrap()
        .iter()
        .map(|h| {
            (
                h["name"].as_str().unwrap(),
                h["is_active"].as_bool().unwrap(),
            )
        })
        .collect();
    assert_eq!(active, [("mine", true), ("exfil", false)]);

    // Asked not to, it leaves another session's token alone.
    let other = signed_in(&owner.email, new_password).await;
    let from_other = token_of(&other, "other session").await;
    let body = json!({ "current_password": new_password, "new_password": PASSWORD,
                       "revoke_other_access": false });
    assert_eq!(change_password(&fresh, body).await.1, (0, 0));
    assert_eq!(
        get("/api/v1/stats").bearer(&from_other).send().await.status,
        200
    );
}

/// Keeps the secret a created token or webhook answers with out of every
/// response and log (the secret scan).
fn remember_created_secret(res: &Res) {
    remember_secret(
        res.json["token"]
            .as_str()
            .or(res.json["secret"].as_str())
            .unwrap_or_default(),
    );
}
