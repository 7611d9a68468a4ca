//! Invitations while they are pending: listed for admins (never a token),
//! revoked before use (an admin's only by an owner), and a revoked one can
//! never be accepted. Joining by signing in through Cloudflare Access is in
//! `access.rs`.

use serde_json::{json, Value};

use crate::helpers::*;

async fn team_of(owner: &User) -> i64 {
    let made = post("/api/organisations")
        .bearer(&owner.jwt)
        .json(&json!({"name": "Invitations"}))
        .send()
        .await;
    assert_eq!(made.status, 201, "{}", made.text);
    made.json["id"].as_i64().expect("id")
}

fn as_(person: &User, org: i64, method: &str, path: &str) -> Call {
    call(method, path)
        .bearer(&person.jwt)
        .header("X-Organisation", &org.to_string())
}

async fn pending(by: &User, org: i64) -> Vec<Value> {
    let res = as_(by, org, "GET", "/api/organisations/invitations")
        .send()
        .await;
    assert_eq!(res.status, 200, "{}", res.text);
    res.json["items"].as_array().expect("items").clone()
}

#[tokio::test]
async fn pending_invitations_are_listed_revoked_and_never_accepted_after() {
    let owner = new_user().await;
    let org = team_of(&owner).await;
    let admin = new_user().await;
    let (_, token) = invite(&owner, org, &admin.email, "admin").await;
    assert_eq!(accept_invitation(&admin, &token).await.status, 200);
    let viewer = new_user().await;
    let (_, token) = invite(&owner, org, &viewer.email, "viewer").await;
    assert_eq!(accept_invitation(&viewer, &token).await.status, 200);

    let (guest, other_admin) = (new_user().await, new_user().await);
    let (guest_id, guest_token) = invite(&admin, org, &guest.email, "member").await;
    let (admin_id, _) = invite(&owner, org, &other_admin.email, "admin").await;

    // Newest first, who invited, never a token; the accepted ones are gone.
    let listed = pending(&admin, org).await;
    let emails: Vec<&Value> = listed.iter().map(|i| &i["email"]).collect();
    assert_eq!(emails, [&json!(other_admin.email), &json!(guest.email)]);
    assert_eq!(listed[1]["id"], guest_id);
    assert_eq!(listed[1]["role"], "member");
    assert_eq!(listed[1]["invited_by"], admin.email.as_str());
    assert_eq!(listed[0]["invited_by"], owner.email.as_str());
    assert!(listed.iter().all(|i| i.get("token").is_none()));
    as_(&viewer, org, "GET", "/api/organisations/invitations")
        .send()
        .await
        .assert_error(403, "forbidden");

    // An admin's invitation is an owner's to revoke, as it was to make.
    let path = |id: i64| format!("/api/organisations/invitations/{id}");
    as_(&admin, org, "DELETE", &path(admin_id))
        .send()
        .await
        .assert_error(403, "forbidden");
    let revoked = as_(&admin, org, "DELETE", &path(guest_id)).send().await;
    assert_eq!(revoked.status, 204, "{}", revoked.text);
    as_(&admin, org, "DELETE", &path(guest_id))
        .send()
        .await
        .assert_error(409, "conflict");
    let left: Vec<i64> = pending(&owner, org)
        .await
        .iter()
        .filter_map(|i| i["id"].as_i64())
        .collect();
    assert_eq!(left, [admin_id]);

    // Its link is dead, and the guest joined nothing.
    accept_invitation(&guest, &guest_token)
        .await
        .assert_error(422, "validation_error");
    let theirs = get("/api/organisations").bearer(&guest.jwt).send().await;
    assert_eq!(theirs.json["items"].as_array().map(Vec::len), Some(1));

    // Another organisation's invitation is not found from here; an accepted
    // one is no longer pending.
    let stranger = new_user().await;
    let (foreign, _) = invite(&stranger, stranger.org, &guest.email, "viewer").await;
    as_(&owner, org, "DELETE", &path(foreign))
        .send()
        .await
        .assert_error(404, "not_found");
    let accepted = app().d1(&format!(
        "SELECT id FROM invitations WHERE org_id = {org} AND email = '{}'",
        viewer.email
    ));
    let accepted = accepted[0]["id"].as_i64().expect("id");
    as_(&owner, org, "DELETE", &path(accepted))
        .send()
        .await
        .assert_error(409, "conflict");

    // Recorded: who revoked which invitation, never its token.
    let entries = app().d1(&format!(
        "SELECT actor_user_id, subject, before, reference FROM audit_log
         WHERE org_id = {org} AND kind = 'member.invitation_revoked'"
    ));
    assert_eq!(entries.len(), 1, "{entries:?}");
    assert_eq!(entries[0]["actor_user_id"], admin.id);
    assert_eq!(entries[0]["subject"], guest.email.as_str());
    let before: Value = serde_json::from_str(entries[0]["before"].as_str().unwrap()).unwrap();
    assert_eq!(before["role"], "member");
    assert!(!entries[0].to_string().contains(&guest_token));
}

#[tokio::test]
async fn an_invitation_is_mailed_to_its_address_and_its_link_joins() {
    let owner = new_user().await;
    let org = team_of(&owner).await;
    let newcomer = format!("{}@example.org", unique("newcomer"));
    let invited = as_(&owner, org, "POST", "/api/organisations/invitations")
        .json(&json!({"email": newcomer, "role": "viewer"}))
        .send()
        .await;
    assert_eq!(invited.status, 201, "{}", invited.text);
    let token = invited.json["token"].as_str().expect("token").to_owned();
    remember_mailed_secret(&token, &newcomer);
    assert_eq!(invited.json["mail"], "sent", "{}", invited.text);

    let mail = wait_for_mail(&newcomer, 1).await;
    let letter = &mail[0];
    assert_eq!(letter.subject(), "Join “Invitations” on OpenRouter Watcher");
    let text = letter.text();
    assert!(
        text.starts_with(&format!(
            "{} invited you to join the organisation “Invitations” on OpenRouter Watcher as a viewer",
            owner.email
        )),
        "{text}"
    );
    assert!(text.contains(&format!("({newcomer})")), "{text}");
    // The link opens the dashboard's Join page, the token in its fragment.
    assert!(text.contains("/#/join?token=or_inv_"), "{text}");
    assert_eq!(letter.token_after("http").as_deref(), Some(token.as_str()));
    assert!(
        letter.header("List-Unsubscribe").is_none(),
        "a one-off message has nothing to unsubscribe from"
    );

    // The person who registers with that address joins through the mailed link.
    let person = register(&newcomer, "a long enough password 1").await;
    assert_eq!(person.status, 201, "{}", person.text);
    let person = login(&newcomer, "a long enough password 1").await;
    let jwt = person.json["access_token"]
        .as_str()
        .expect("jwt")
        .to_owned();
    remember_secret(&jwt);
    let joined = post("/api/invitations/accept")
        .bearer(&jwt)
        .json(&json!({ "token": letter.token_after("http").expect("token") }))
        .send()
        .await;
    assert_eq!(joined.status, 200, "{}", joined.text);
    assert_eq!(joined.json["role"], "viewer");

    // Not mailed when asked not to: the link is in the answer only.
    let quiet = format!("{}@example.org", unique("quiet"));
    let unmailed = as_(&owner, org, "POST", "/api/organisations/invitations")
        .json(&json!({"email": quiet, "role": "member", "send_email": false}))
        .send()
        .await;
    assert_eq!(unmailed.status, 201, "{}", unmailed.text);
    remember_secret(unmailed.json["token"].as_str().unwrap_or_default());
    assert_eq!(unmailed.json["mail"], "off");
    let audit = as_(&owner, org, "GET", "/api/audit?kind=member.invited")
        .send()
        .await;
    assert_eq!(audit.status, 200, "{}", audit.text);
    let mails: Vec<&Value> = audit.json["items"]
        .as_array()
        .expect("items")
        .iter()
        .map(|e| &e["after"]["mail"])
        .collect();
    assert_eq!(mails, [&json!("off"), &json!("sent")], "{}", audit.text);
    // Mail is read after the fact: the first message was waited for above,
    // and none was written for this one.
    assert!(mail_to(&quiet).is_empty());
}
