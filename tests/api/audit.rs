//! The audit log records every change: this walks the API document's
//! mutating operations of the web API, performs each one successfully and
//! checks it leaves exactly one entry of its kind, holding no secret. A new
//! mutating operation fails this test until it has a recipe here (and an
//! entry in the code: `route::change`) or a reasoned exemption.

use serde_json::{json, Value};

use crate::contract;
use crate::helpers::*;

/// Each recorded operation (by `operationId`) and the kind it records.
const RECIPES: [(&str, &str); 30] = [
    ("register", "account.created"),
    ("createKey", "key.created"),
    ("updateKey", "key.updated"),
    ("syncKey", "key.sync_requested"),
    ("deleteKey", "key.deleted"),
    ("createToken", "token.created"),
    ("revokeToken", "token.revoked"),
    ("updateSettings", "settings.updated"),
    ("createBudget", "budget.created"),
    ("updateBudget", "budget.updated"),
    ("deleteBudget", "budget.deleted"),
    ("createWebhook", "webhook.created"),
    ("updateWebhook", "webhook.updated"),
    ("testWebhook", "webhook.tested"),
    ("deleteWebhook", "webhook.deleted"),
    ("setKeyLimit", "key.limit_changed"),
    ("importKeys", "key.created"),
    ("undoKeyAction", "policy.undone"),
    ("setEmail", "email.address_set"),
    ("confirmEmail", "email.confirmed"),
    ("setDigestSettings", "settings.updated"),
    ("previewDigest", "digest.previewed"),
    ("unsubscribeEmail", "email.unsubscribed"),
    ("inviteMember", "member.invited"),
    ("revokeInvitation", "member.invitation_revoked"),
    // Recorded in the organisation made, and in the one joined.
    ("createOrganisation", "organisation.created"),
    ("acceptInvitation", "member.joined"),
    // In the organisation joined, as its admin: on a guest there.
    ("changeMember", "member.role_changed"),
    ("removeMember", "member.removed"),
    // Last: it ends the session the others use (a new one is handed out).
    ("changePassword", "password.changed"),
];

/// Mutating operations that record nothing, and why (declared with
/// `route::unaudited` and the same reason in the code).
const EXEMPT: [(&str, &str); 5] = [
    ("login", "a sign-in changes nothing in the account"),
    (
        "accessSignIn",
        "a sign-in changes nothing in the account; the account it creates on first sight and the organisations it joins through invitations are recorded (account.created, member.joined: access.rs checks them)",
    ),
    ("logout", "a sign-out changes nothing in the account"),
    (
        "deleteAccount",
        "the account's audit log is deleted with it (audit_reads: none remain)",
    ),
    (
        "deleteOrganisation",
        "the organisation's audit log is deleted with it (organisations.rs: none remains)",
    ),
];

/// Every POST, PUT, PATCH and DELETE of the web API in openapi.json (not
/// `/api/v1`, not preflights), by operationId.
fn mutating_operations() -> Vec<String> {
    let mut ids = Vec::new();
    for (path, item) in contract::document()["paths"].as_object().expect("paths") {
        if !path.starts_with("/api/") || path.starts_with("/api/v1") {
            continue;
        }
        for method in ["post", "put", "patch", "delete"] {
            if let Some(op) = item.get(method) {
                ids.push(op["operationId"].as_str().expect("operationId").to_owned());
            }
        }
    }
    ids
}

#[test]
fn every_mutating_operation_has_a_recipe_or_a_reasoned_exemption() {
    let ops = mutating_operations();
    let known =
        |id: &str| RECIPES.iter().any(|(r, _)| *r == id) || EXEMPT.iter().any(|(e, _)| *e == id);
    let missing: Vec<&String> = ops.iter().filter(|id| !known(id)).collect();
    assert!(
        missing.is_empty(),
        "mutating operations without an audit recipe (tests/api/audit.rs): {missing:?}"
    );
    let stale: Vec<&str> = RECIPES
        .iter()
        .map(|(id, _)| *id)
        .chain(EXEMPT.iter().map(|(id, _)| *id))
        .filter(|id| !ops.iter().any(|op| op == id))
        .collect();
    assert!(stale.is_empty(), "recipes of no operation: {stale:?}");
    assert!(EXEMPT.iter().all(|(_, why)| !why.is_empty()));
}

/// The newest entry and the count of a session's audit log (in `org`, or
/// the person's own organisation).
async fn newest(jwt: &str) -> (i64, Value) {
    newest_in(jwt, None).await
}

async fn newest_in(jwt: &str, org: Option<i64>) -> (i64, Value) {
    let mut call = get("/api/audit?limit=1").bearer(jwt);
    if let Some(org) = org {
        call = call.header("X-Organisation", &org.to_string());
    }
    let res = call.send().await;
    assert_eq!(res.status, 200, "{}", res.text);
    let total = res.json["pagination"]["total"].as_i64().expect("total");
    (total, res.json["items"][0].clone())
}

fn assert_no_secret(what: &str, text: &str) {
    for secret in remembered_secrets().iter().filter(|s| s.len() >= 8) {
        assert!(
            !text.contains(secret.as_str()),
            "{what}: a secret ({}…) is in the audit log: {text}",
            &secret[..6]
        );
    }
}

/// One account, with what the operations act on.
struct World {
    user: User,
    password: String,
    receiver: Receiver,
    key: i64,
    spare_key: i64,
    token: i64,
    budget: i64,
    webhook: i64,
    /// A key of the account whose management key is stored, with no limit.
    unlimited: i64,
    /// A policy's action in force (a key disabled by it).
    action: i64,
    /// A key of that OpenRouter account nobody tracks yet.
    untracked: String,
    /// The e-mail address `setEmail` set.
    address: String,
    /// Another person's organisation, and their invitation of `user` to it
    /// (as an admin); a viewer already there.
    host: User,
    host_org: i64,
    invitation: String,
    guest: User,
    /// The invitation `inviteMember` made, which `revokeInvitation` revokes.
    invited: i64,
}

impl World {
    async fn new() -> World {
        let user = new_user().await;
        let mut world = World {
            user,
            password: PASSWORD.to_owned(),
            receiver: Receiver::start().await,
            key: 0,
            spare_key: 0,
            token: 0,
            budget: 0,
            webhook: 0,
            unlimited: 0,
            action: 0,
            untracked: String::new(),
            invited: 0,
            address: format!("{}@example.org", unique("walked")),
            host: new_user().await,
            host_org: 0,
            invitation: String::new(),
            guest: new_user().await,
        };
        (world.host_org, world.invitation) = world.invited().await;
        world.key = world.add_key("walked").await;
        world.spare_key = world.add_key("spare").await;
        world.token = world.user.new_token("walked").await.0;
        (world.unlimited, world.action, world.untracked) = world.policy_in_force().await;
        world
    }

    /// A management key, a key without a limit, and a key a policy disabled
    /// (its budget crossed, then an hourly sync): what `setKeyLimit` and
    /// `undoKeyAction` act on.
    async fn policy_in_force(&self) -> (i64, i64, String) {
        let acted = sim_key(json!({"generate": false})).await;
        let admin =
            sim_key(json!({"generate": false, "kind": "management", "account": acted.account}))
                .await;
        let unlimited = sim_key(json!({"generate": false, "account": acted.account})).await;
        let untracked = sim_key(json!({"generate": false, "account": acted.account})).await;
        assert_eq!(
            self.user
                .add_key("admin", &admin.key, "management")
                .await
                .status,
            201
        );
        let unlimited = self
            .user
            .add_key("unlimited", &unlimited.key, "inference")
            .await
            .json["id"]
            .as_i64()
            .expect("id");
        let acted_id = self
            .user
            .add_key("acted", &acted.key, "inference")
            .await
            .json["id"]
            .as_i64()
            .expect("id");
        let budget = self
            .call("POST", "/api/budgets")
            .json(&json!({"api_key_id": acted_id, "amount": "1", "period": "daily", "action": "disable", "action_at": 10}))
            .send()
            .await;
        assert_eq!(budget.status, 201, "{}", budget.text);
        spend_today(&acted, "0.5").await;
        fire_cron("0 * * * *").await;
        let actions = self.call("GET", "/api/actions?state=applied").send().await;
        let action = actions.json["items"][0]["id"].as_i64();
        (
            unlimited,
            action.unwrap_or_else(|| panic!("no action in force: {}", actions.text)),
            untracked.hash,
        )
    }

    /// `host`'s team organisation with `guest` in it, and the host's
    /// invitation of `user` to it as an admin.
    async fn invited(&self) -> (i64, String) {
        let made = post("/api/organisations")
            .bearer(&self.host.jwt)
            .json(&json!({"name": "Host team"}))
            .send()
            .await;
        assert_eq!(made.status, 201, "{}", made.text);
        let org = made.json["id"].as_i64().expect("id");
        let (_, guest) = invite(&self.host, org, &self.guest.email, "viewer").await;
        let joined = accept_invitation(&self.guest, &guest).await;
        assert_eq!(joined.status, 200, "{}", joined.text);
        let (_, token) = invite(&self.host, org, &self.user.email, "admin").await;
        (org, token)
    }

    /// Whose audit log an operation writes to: (session, organisation).
    fn log_of(&self, op: &str) -> (String, Option<i64>) {
        match op {
            "acceptInvitation" | "changeMember" | "removeMember" => {
                (self.host.jwt.clone(), Some(self.host_org))
            }
            _ => (self.user.jwt.clone(), None),
        }
    }

    async fn add_key(&self, name: &str) -> i64 {
        let sim = sim_key(json!({})).await;
        remember_secret(&sim.key);
        let res = self.user.add_key(name, &sim.key, "inference").await;
        assert_eq!(res.status, 201, "{}", res.text);
        res.json["id"].as_i64().expect("id")
    }

    fn call(&self, method: &str, path: &str) -> Call {
        call(method, path).bearer(&self.user.jwt)
    }

    /// Performs `op` successfully (what it needs first is there: `new`,
    /// and the recipes before it).
    async fn perform(&mut self, op: &str) -> Res {
        let (key, budget, webhook) = (self.key, self.budget, self.webhook);
        match op {
            "createKey" => {
                let sim = sim_key(json!({})).await;
                remember_secret(&sim.key);
                self.user.add_key("created", &sim.key, "inference").await
            }
            "updateKey" => {
                self.call("PATCH", &format!("/api/keys/{}", self.spare_key))
                    .json(&json!({"name": "renamed", "is_active": false}))
                    .send()
                    .await
            }
            "syncKey" => {
                self.call("POST", &format!("/api/keys/{key}/sync"))
                    .send()
                    .await
            }
            "deleteKey" => {
                self.call("DELETE", &format!("/api/keys/{}", self.spare_key))
                    .send()
                    .await
            }
            "createToken" => {
                let res = self
                    .call("POST", "/api/tokens")
                    .json(&json!({"name": "another"}))
                    .send()
                    .await;
                remember_secret(res.json["token"].as_str().unwrap_or_default());
                res
            }
            "revokeToken" => {
                self.call("DELETE", &format!("/api/tokens/{}", self.token))
                    .send()
                    .await
            }
            "updateSettings" => {
                self.call("PATCH", "/api/settings")
                    .json(&json!({"tz": "Europe/Rome"}))
                    .send()
                    .await
            }
            "createBudget" => {
                let res = self
                    .call("POST", "/api/budgets")
                    .json(&json!({"api_key_id": key, "amount": "12.5", "period": "monthly"}))
                    .send()
                    .await;
                self.budget = res.json["id"].as_i64().unwrap_or_default();
                res
            }
            "updateBudget" => {
                self.call("PATCH", &format!("/api/budgets/{budget}"))
                    .json(&json!({"amount": "20", "thresholds": [50, 90]}))
                    .send()
                    .await
            }
            "deleteBudget" => {
                self.call("DELETE", &format!("/api/budgets/{budget}"))
                    .send()
                    .await
            }
            "createWebhook" => {
                let url = format!(
                    "{}/hooks/secret-path-{}",
                    self.receiver.base_url,
                    unique("p")
                );
                let res = self
                    .call("POST", "/api/webhooks")
                    .json(&json!({"name": "receiver", "url": url}))
                    .send()
                    .await;
                remember_secret(res.json["secret"].as_str().unwrap_or_default());
                self.webhook = res.json["id"].as_i64().unwrap_or_default();
                res
            }
            "updateWebhook" => {
                self.call("PATCH", &format!("/api/webhooks/{webhook}"))
                    .json(&json!({"name": "renamed receiver", "format": "slack"}))
                    .send()
                    .await
            }
            "testWebhook" => {
                self.call("POST", &format!("/api/webhooks/{webhook}/test"))
                    .send()
                    .await
            }
            "deleteWebhook" => {
                self.call("DELETE", &format!("/api/webhooks/{webhook}"))
                    .send()
                    .await
            }
            "changePassword" => {
                let new_password = format!("walked {} password", unique("pw"));
                remember_secret(&new_password);
                let body = json!({"current_password": self.password, "new_password": new_password});
                let res = self
                    .call("POST", "/api/auth/password")
                    .json(&body)
                    .send()
                    .await;
                if let Some(jwt) = res.json["access_token"].as_str() {
                    remember_secret(jwt);
                    self.user.jwt = jwt.to_owned();
                    self.password = new_password;
                }
                res
            }
            "setKeyLimit" => {
                self.call("POST", &format!("/api/keys/{}/limit", self.unlimited))
                    .json(&json!({"limit": "20", "limit_reset": "monthly"}))
                    .send()
                    .await
            }
            "importKeys" => {
                self.call("POST", "/api/keys/import")
                    .json(&json!({"hashes": [self.untracked]}))
                    .send()
                    .await
            }
            "undoKeyAction" => {
                self.call("POST", &format!("/api/actions/{}/undo", self.action))
                    .send()
                    .await
            }
            "setEmail" | "confirmEmail" | "setDigestSettings" | "previewDigest"
            | "unsubscribeEmail" => self.perform_email(op).await,
            "inviteMember" => {
                let res = self
                    .call("POST", "/api/organisations/invitations")
                    .json(&json!({"email": format!("{}@example.com", unique("invited")), "role": "member"}))
                    .send()
                    .await;
                self.invited = res.json["id"].as_i64().unwrap_or_default();
                res
            }
            "revokeInvitation" => {
                self.call(
                    "DELETE",
                    &format!("/api/organisations/invitations/{}", self.invited),
                )
                .send()
                .await
            }
            "createOrganisation" => {
                self.call("POST", "/api/organisations")
                    .json(&json!({"name": "Walked team"}))
                    .send()
                    .await
            }
            "changeMember" => {
                self.call(
                    "PATCH",
                    &format!("/api/organisations/members/{}", self.guest.id),
                )
                .header("X-Organisation", &self.host_org.to_string())
                .json(&json!({"role": "member"}))
                .send()
                .await
            }
            "removeMember" => {
                self.call(
                    "DELETE",
                    &format!("/api/organisations/members/{}", self.guest.id),
                )
                .header("X-Organisation", &self.host_org.to_string())
                .send()
                .await
            }
            "acceptInvitation" => {
                self.call("POST", "/api/invitations/accept")
                    .json(&json!({"token": self.invitation}))
                    .send()
                    .await
            }
            other => panic!("no recipe performs {other}"),
        }
    }
}

impl World {
    /// The e-mail and digest operations, in the order of the recipes.
    async fn perform_email(&mut self, op: &str) -> Res {
        match op {
            "setEmail" => {
                self.call("PUT", "/api/settings/email")
                    .json(&json!({"address": self.address}))
                    .send()
                    .await
            }
            "confirmEmail" => {
                let mail = wait_for_mail(&self.address, 1).await;
                let token = mail[0].token_after("/api/email/confirm").expect("a link");
                post(&format!("/api/email/confirm?token={token}"))
                    .send()
                    .await
            }
            "setDigestSettings" => {
                self.call("PUT", "/api/settings/digest")
                    .json(&json!({"schedule": "weekly", "channel": "email", "webhook_id": null}))
                    .send()
                    .await
            }
            "previewDigest" => self.call("POST", "/api/digest/preview").send().await,
            _ => {
                let mail = wait_for_mail(&self.address, 2).await;
                let header = mail[1].header("List-Unsubscribe").expect("the header");
                let token = header.split("token=").nth(1).expect("a token");
                post(&format!(
                    "/api/email/unsubscribe?token={}",
                    token.trim_end_matches('>')
                ))
                .send()
                .await
            }
        }
    }
}

#[tokio::test]
async fn every_mutating_operation_leaves_exactly_one_entry_of_its_kind_and_no_secret() {
    let mut world = World::new().await;
    for (op, kind) in RECIPES {
        if op == "register" {
            continue;
        }
        let (reader, org) = world.log_of(op);
        let (before, _) = newest_in(&reader, org).await;
        let res = world.perform(op).await;
        assert!(
            (200..300).contains(&res.status),
            "{op}: {} {}",
            res.status,
            res.text
        );
        // Read again: a password change hands out a new session.
        let (reader, org) = world.log_of(op);
        let (before, (after, entry)) = if op == "createOrganisation" {
            // A new organisation: its own log, holding this one entry.
            (0, newest_in(&reader, res.json["id"].as_i64()).await)
        } else {
            (before, newest_in(&reader, org).await)
        };
        assert_eq!(after, before + 1, "{op} left {} entries", after - before);
        assert_eq!(entry["kind"], kind, "{op}: {entry}");
        assert_eq!(entry["actor"], "user", "{op}: {entry}");
        assert_eq!(entry["actor_user_id"], world.user.id, "{op}: {entry}");
        assert_no_secret(op, &entry.to_string());
    }
    // A sign-up is recorded in the new account's log.
    let email = format!("{}@example.com", unique("walked"));
    let created = register(&email, PASSWORD).await;
    assert_eq!(created.status, 201, "{}", created.text);
    let jwt = login(&email, PASSWORD).await.json["access_token"]
        .as_str()
        .expect("a session")
        .to_owned();
    remember_secret(&jwt);
    let (total, entry) = newest(&jwt).await;
    assert_eq!(
        (total, &entry["kind"]),
        (1, &json!("account.created")),
        "{entry}"
    );
    assert_eq!(entry["after"], json!({"email": email}));
}

#[tokio::test]
async fn signing_in_and_out_records_nothing() {
    let user = new_user().await;
    let (before, _) = newest(&user.jwt).await;
    let second = login(&user.email, PASSWORD).await;
    let second = second.json["access_token"]
        .as_str()
        .expect("a session")
        .to_owned();
    remember_secret(&second);
    let out = post("/api/auth/logout").bearer(&second).send().await;
    assert_eq!(out.status, 204, "{}", out.text);
    assert_eq!(
        newest(&user.jwt).await.0,
        before,
        "login and logout are not changes"
    );
}

#[tokio::test]
async fn what_each_change_records_before_and_after() {
    let mut world = World::new().await;
    let jwt = world.user.jwt.clone();
    world.perform("updateKey").await;
    let (_, renamed) = newest(&jwt).await;
    assert_eq!(renamed["subject"], "renamed");
    assert_eq!(renamed["api_key_id"], world.spare_key);
    assert_eq!(
        renamed["before"],
        json!({"name": "spare", "is_active": true})
    );
    assert_eq!(
        renamed["after"],
        json!({"name": "renamed", "is_active": false})
    );

    world.perform("createWebhook").await;
    let (_, hook) = newest(&jwt).await;
    assert_eq!(hook["after"]["secret"], "created", "{hook}");
    let url = hook["after"]["url"].as_str().expect("a url");
    assert!(
        url.starts_with("http://127.0.0.1:") && !url.contains("secret-path"),
        "{url}"
    );
    assert_eq!(hook["reference"], json!({"webhook_id": world.webhook}));

    world.perform("createBudget").await;
    world.perform("updateBudget").await;
    let (_, budget) = newest(&jwt).await;
    assert_eq!(budget["subject"], "monthly budget");
    assert_eq!(
        budget["before"],
        json!({"amount": "12.5", "thresholds": "50,80,100"})
    );
    assert_eq!(
        budget["after"],
        json!({"amount": "20", "thresholds": "50,90"})
    );

    world.perform("changePassword").await;
    let (_, changed) = newest(&world.user.jwt).await;
    assert_eq!(changed["after"]["password"], "changed", "{changed}");
    assert_eq!(changed["before"], Value::Null);
}
