//! The import of untracked keys (`POST /api/keys/import`): each becomes a
//! row without a secret, watched through the management key whose listing
//! shows it (`keys::untracked`), with a first snapshot from that listing.

use serde::{Deserialize, Serialize};
use utoipa::ToSchema;
use watcher_core::api_doc::vocabulary;
use worker::D1Database;

use super::handlers::conflict_for;
use super::untracked::{is_hash, read_accounts, AccountKeys};
use crate::auth::session::AuthUser;
use crate::clock;
use crate::domain::account::NAME_MAX_CHARS;
use crate::domain::audit::{Entry, Fields, Kind};
use crate::error::{AppError, AppResult};
use crate::http::ctx::Ctx;
use crate::http::reply::Reply;
use crate::http::route::Changed;
use crate::jobs::listing::Listed;
use crate::keys::views::KeyView;
use crate::security_log::{self, Event, Subject};
use crate::store::{self, api_keys::WatchedKey};

/// Hashes one import may name.
const MAX_IMPORT: usize = 100;

#[derive(Serialize, ToSchema)]
#[schema(
    description = "The keys now tracked, each watched through a management key (no secret stored)."
)]
pub struct ImportedKeys {
    pub items: Vec<KeyView>,
}

#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
#[schema(as = ImportKeysRequest, description = "Unknown fields are refused (422).")]
struct ImportBody {
    /// Hashes of keys `GET /api/keys/untracked` lists (1 to 100, 64 hex characters each).
    #[schema(min_items = 1, max_items = 100, value_type = Vec<vocabulary::schemas::KeyHash>)]
    hashes: Vec<String>,
}

/// Track keys of your OpenRouter accounts without their secret
///
/// Starts tracking keys that `GET /api/keys/untracked` lists, by hash, without their secret: each is watched through the management key that lists it (`watched_via`), synced from that key's listing every hour (never by `GET /key`: no secret is stored, and it cannot be validated or synced on its own), with a first snapshot right away. Its name is its OpenRouter name (made unique in the account), its preview OpenRouter's masked label. A hash already tracked, or more keys than the account may hold: 409. A hash no listing shows: 422. Reads the listings like `GET /api/keys/untracked` (same hourly allowance).
#[utoipa::path(
    post,
    path = "/api/keys/import",
    operation_id = "importKeys",
    tag = "keys",
    request_body = ImportBody,
    responses(
        (status = 201, description = "The imported keys.", body = ImportedKeys),
        (status = 409, description = "A key is already tracked, or the account would hold more keys than it may.", body = vocabulary::schemas::ConflictError),
        (status = 429, description = "Too many listings read in the last hour.", body = vocabulary::schemas::RateLimitedError, headers(("Retry-After" = String))),
    )
)]
pub async fn import_keys(cx: &Ctx<'_>, user: &AuthUser) -> AppResult<Changed> {
    let body: ImportBody = cx.req.json()?;
    let hashes = requested(&body.hashes)?;
    let db = cx.app.db()?;
    let imported = run(cx, &db, user, &hashes).await?;
    cx.changes.org(user.org_id);
    let names: Vec<String> = imported.iter().map(|k| k.name().to_string()).collect();
    let entry = Entry::by_user(
        user.org_id,
        user.user_id,
        Kind::KeyCreated,
        &format!("{} imported from OpenRouter", names.join(", ")),
    )
    .created(
        Fields::new()
            .with("imported", names.clone())
            .with("secret", "none: watched through the management key"),
    );
    Ok(Changed::new(
        Reply::created(&ImportedKeys { items: imported })?,
        entry,
    ))
}

/// The requested hashes, lowercase and once each; 422 unless 1 to 100 of
/// OpenRouter's 64 hex characters.
pub(super) fn requested(hashes: &[String]) -> AppResult<Vec<String>> {
    if hashes.is_empty() || hashes.len() > MAX_IMPORT {
        return Err(AppError::invalid(
            "hashes",
            format!("must hold 1 to {MAX_IMPORT} hashes"),
        ));
    }
    let mut out: Vec<String> = Vec::with_capacity(hashes.len());
    for hash in hashes {
        let hash = hash.trim().to_ascii_lowercase();
        if !is_hash(&hash) {
            return Err(AppError::invalid(
                "hashes",
                "must be OpenRouter key hashes (64 hexadecimal characters)",
            ));
        }
        if !out.contains(&hash) {
            out.push(hash);
        }
    }
    Ok(out)
}

/// Stores the keys `hashes` names, as the user's management keys list
/// them; all are checked before the first is stored.
async fn run(
    cx: &Ctx<'_>,
    db: &D1Database,
    user: &AuthUser,
    hashes: &[String],
) -> AppResult<Vec<KeyView>> {
    let accounts = checked(cx, db, user.org_id, hashes).await?;
    let mut names: Vec<String> = store::api_keys::all_of_user(db, user.org_id)
        .await?
        .into_iter()
        .map(|row| row.name)
        .collect();
    let mut imported = Vec::with_capacity(hashes.len());
    for hash in hashes {
        let Some((via, listed)) = accounts.find(hash) else {
            continue;
        };
        let name = unique_name(listed.key.name.as_deref().unwrap_or_default(), hash, &names);
        names.push(name.clone());
        let id = store_one(cx, db, user, (hash, &name, *via), listed).await?;
        if let Some(row) = store::api_keys::get(db, user.org_id, id).await? {
            imported.push(KeyView::from(row));
        }
    }
    Ok(imported)
}

/// The listings, once no hash is tracked already, the account has room for
/// them all, and a management key lists each (409, 409, 422 otherwise).
async fn checked(
    cx: &Ctx<'_>,
    db: &D1Database,
    org_id: i64,
    hashes: &[String],
) -> AppResult<AccountKeys> {
    let stored = store::api_keys::hashes_of_user(db, org_id).await?;
    if hashes.iter().any(|h| stored.contains(h)) {
        return Err(AppError::Conflict(
            "A key you asked for is already tracked in your account.".to_owned(),
        ));
    }
    let max = cx.app.config.max_keys_per_user;
    let held = i64::try_from(stored.len()).unwrap_or(i64::MAX);
    let asked = i64::try_from(hashes.len()).unwrap_or(i64::MAX);
    if held.saturating_add(asked) > max {
        return Err(AppError::Conflict(format!(
            "You may hold {max} keys; you have {held}."
        )));
    }
    let accounts = read_accounts(cx.app, db, org_id).await?;
    let missing: Vec<&String> = hashes
        .iter()
        .filter(|h| accounts.find(h).is_none())
        .collect();
    if let Some(first) = missing.first() {
        let mut why = format!(
            "{} of them ({}…) no management key of yours lists",
            missing.len(),
            first.get(..12).unwrap_or(first)
        );
        for i in &accounts.incomplete {
            why.push_str(&format!(
                "; management key {}: {}",
                i.management_key_id, i.reason
            ));
        }
        return Err(AppError::invalid("hashes", why));
    }
    Ok(accounts)
}

/// One watched key `(hash, name, via)` and its first snapshot: its row id.
async fn store_one(
    cx: &Ctx<'_>,
    db: &D1Database,
    user: &AuthUser,
    (hash, name, via): (&str, &str, i64),
    listed: &Listed,
) -> AppResult<i64> {
    let max = cx.app.config.max_keys_per_user;
    let preview = watched_preview(listed.key.label.as_deref().unwrap_or_default());
    let now = clock::now();
    let stamp = clock::timestamp(now);
    let watched = WatchedKey {
        org_id: user.org_id,
        added_by: user.user_id,
        name,
        preview: &preview,
        key_hash: hash,
        via,
    };
    let id = store::api_keys::insert_watched(db, &watched, &stamp, max)
        .await
        .map_err(conflict_for)?
        .ok_or_else(|| {
            AppError::Conflict(format!("You already have {max} keys; delete one first."))
        })?;
    let counters = listed.key.counters(listed.served_at.clone());
    store::snapshots::insert(db, id, &counters, &stamp, now.date_naive()).await?;
    let subject = Subject {
        user_id: Some(user.user_id),
        id: Some(id),
        ..Subject::default()
    };
    security_log::record(Event::KeyAdded, &cx.req.client_network(), &subject);
    Ok(id)
}

/// The key's OpenRouter name as a name of this account: control characters
/// dropped, at most [`NAME_MAX_CHARS`], `imported <hash…>` when empty, and
/// the hash's first 8 characters added when the account already has it.
pub fn unique_name(name: &str, hash: &str, taken: &[String]) -> String {
    let clean: String = name.chars().filter(|c| !c.is_control()).collect();
    let short = hash.get(..8).unwrap_or(hash);
    let base = match clean.trim() {
        "" => format!("imported {short}"),
        some => some.chars().take(NAME_MAX_CHARS).collect(),
    };
    if !taken.contains(&base) {
        return base;
    }
    let suffix = format!(" ({short})");
    let room = NAME_MAX_CHARS.saturating_sub(suffix.chars().count());
    let head: String = base.chars().take(room).collect();
    format!("{}{suffix}", head.trim_end())
}

/// OpenRouter's masked label as this product's preview of a watched key:
/// kept when it is `sk-or-[v1-]<up to 8>...<up to 8>` of key characters,
/// else `sk-or-v1-...` (nothing of it is known).
pub fn watched_preview(label: &str) -> String {
    let key_chars = |s: &str| {
        s.len() <= 8
            && s.bytes()
                .all(|b| b.is_ascii_alphanumeric() || b == b'_' || b == b'-')
    };
    let rest = label
        .strip_prefix("sk-or-v1-")
        .or_else(|| label.strip_prefix("sk-or-"));
    match rest.and_then(|r| r.split_once("...")) {
        Some((head, tail)) if key_chars(head) && key_chars(tail) => label.to_owned(),
        _ => "sk-or-v1-...".to_owned(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn imported_names_are_valid_and_unique() {
        let hash = "ab12cd34".repeat(8);
        let taken = ["prod".to_owned()];
        assert_eq!(unique_name("staging", &hash, &taken), "staging");
        assert_eq!(unique_name(" prod ", &hash, &taken), "prod (ab12cd34)");
        assert_eq!(unique_name("\u{7}", &hash, &taken), "imported ab12cd34");
        let long = "x".repeat(150);
        assert_eq!(unique_name(&long, &hash, &taken).chars().count(), 100);
        let taken: Vec<String> = vec![long.chars().take(100).collect()];
        let renamed = unique_name(&long, &hash, &taken);
        assert!(renamed.ends_with(" (ab12cd34)") && renamed.chars().count() == 100);
    }

    #[test]
    fn previews_keep_only_a_masked_label() {
        assert_eq!(watched_preview("sk-or-v1-0e6...c96"), "sk-or-v1-0e6...c96");
        assert_eq!(watched_preview("sk-or-abc...xyz"), "sk-or-abc...xyz");
        assert_eq!(watched_preview("Production API Key"), "sk-or-v1-...");
        assert_eq!(watched_preview("sk-or-v1-<script>...x"), "sk-or-v1-...");
        assert_eq!(watched_preview(""), "sk-or-v1-...");
    }

    #[test]
    fn requested_hashes_are_checked_and_deduplicated() {
        let h = "A".repeat(64);
        assert_eq!(
            requested(&[h.clone(), h.to_lowercase()]).unwrap(),
            ["a".repeat(64)]
        );
        assert!(requested(&[]).is_err());
        assert!(requested(&["xyz".to_owned()]).is_err());
        assert!(requested(&vec!["a".repeat(64); 101]).is_err());
    }
}
