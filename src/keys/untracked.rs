//! Keys of the user's OpenRouter accounts that are not tracked yet: what
//! their management keys list (`GET /keys`) that no stored key matches by
//! hash, and their import without a secret, watched through the management
//! key that lists them (synced from its listing, never by `GET /key`).

use std::time::Duration;

use serde::Serialize;
use utoipa::ToSchema;
use watcher_core::api_doc::vocabulary;
use watcher_core::api_doc::vocabulary::schemas::NullableMoney;
use worker::D1Database;

use crate::app::App;
use crate::auth::session::AuthUser;
use crate::domain::money::Money;
use crate::error::AppResult;
use crate::http::ctx::Ctx;
use crate::http::reply::Reply;
use crate::jobs::listing::{read_all, Listed};
use crate::jobs::sync::sealed;
use crate::keys::vault::Vault;
use crate::openrouter::{Budget, Client};
use crate::rate_limit::{self, Bucket};
use crate::store;

/// Pages read per management key: its first 2,000 keys.
const MAX_LISTING_PAGES: usize = 20;
const LISTING_TIMEOUT: Duration = Duration::from_secs(8);
/// Reads of the accounts' listings (listing or importing) per user and hour.
const LISTINGS_PER_HOUR: u32 = 60;

#[derive(Serialize, ToSchema)]
#[schema(as = UntrackedKey, description = "A key of an OpenRouter account that one of your management keys lists and that you do not track yet. Never contains the key value.")]
pub struct UntrackedView {
    /// OpenRouter's identifier of the key (the SHA-256 hex of the key): import it by this.
    #[schema(pattern = "^[0-9a-f]{64}$")]
    hash: String,
    /// Its name on OpenRouter.
    name: String,
    /// OpenRouter's masked form of the key, e.g. `sk-or-v1-abc...xyz`.
    label: String,
    /// Disabled on OpenRouter.
    disabled: bool,
    #[schema(value_type = NullableMoney, required = true)]
    limit: Option<Money>,
    /// OpenRouter's reset period of the limit (e.g. `monthly`), or null.
    #[schema(required = true)]
    limit_reset: Option<String>,
    /// All-time spend.
    usage: Money,
    /// Spend of the current UTC month.
    usage_monthly: Money,
    /// The management key whose listing shows it.
    #[schema(minimum = 1, maximum = 9007199254740991_i64)]
    management_key_id: i64,
}

#[derive(Serialize, ToSchema)]
#[schema(as = IncompleteListing)]
pub struct Incomplete {
    #[schema(minimum = 1, maximum = 9007199254740991_i64)]
    pub(super) management_key_id: i64,
    /// Why its account's keys are missing or partial (never contains a key).
    pub(super) reason: String,
}

#[derive(Serialize, ToSchema)]
#[schema(as = UntrackedKeyList, description = "The keys your management keys list that you do not track, newest first per management key.")]
struct UntrackedList {
    items: Vec<UntrackedView>,
    /// The management keys whose listing could not be read in full.
    incomplete: Vec<Incomplete>,
}

/// What the user's management keys list, in their order, each key once
/// with the management key that lists it first; and the listings not read
/// in full.
pub(super) struct AccountKeys {
    pub(super) found: Vec<(i64, Listed)>,
    pub(super) incomplete: Vec<Incomplete>,
}

/// Reads the listings of the user's usable management keys (at most
/// [`MAX_LISTING_PAGES`] pages each), [`LISTINGS_PER_HOUR`] times an hour.
pub(super) async fn read_accounts(
    app: &App,
    db: &D1Database,
    org_id: i64,
) -> AppResult<AccountKeys> {
    let bucket = format!("key-listing:{org_id}");
    rate_limit::enforce(
        app,
        &Bucket {
            name: &bucket,
            limit: LISTINGS_PER_HOUR,
            window_secs: 3600,
        },
    )
    .await?;
    let vault = Vault::new(&app.encryption_key()?);
    let managers = store::api_keys::management_keys(db, org_id).await?;
    // Every page, and a few retries each.
    let calls = MAX_LISTING_PAGES
        .saturating_mul(2)
        .saturating_mul(managers.len());
    let budget = Budget::new(u32::try_from(calls).unwrap_or(u32::MAX));
    let client = Client::new(&app.config.openrouter_base_url, &budget, LISTING_TIMEOUT);
    let mut keys = AccountKeys {
        found: Vec::new(),
        incomplete: Vec::new(),
    };
    for manager in managers {
        let reason = match sealed(&manager).map(|s| vault.open(&s, org_id, manager.id)) {
            Some(Ok(secret)) => match read_all(&client, &secret, MAX_LISTING_PAGES).await {
                Ok((listed, complete)) => {
                    keys.add(manager.id, listed);
                    (!complete).then(|| {
                        format!("only its first {} keys are shown", MAX_LISTING_PAGES * 100)
                    })
                }
                Err(e) => Some(format!("its listing could not be read: {}", e.describe())),
            },
            _ => Some("the stored management key cannot be decrypted".to_owned()),
        };
        if let Some(reason) = reason {
            keys.incomplete.push(Incomplete {
                management_key_id: manager.id,
                reason,
            });
        }
    }
    Ok(keys)
}

impl AccountKeys {
    fn add(&mut self, management_key_id: i64, listed: Vec<Listed>) {
        for l in listed {
            if is_hash(&l.hash()) && self.find(&l.hash()).is_none() {
                self.found.push((management_key_id, l));
            }
        }
    }

    /// The key `hash` (lowercase) and the management key listing it.
    pub(super) fn find(&self, hash: &str) -> Option<&(i64, Listed)> {
        self.found
            .iter()
            .find(|(_, l)| l.key.hash.eq_ignore_ascii_case(hash))
    }
}

/// OpenRouter's hash: 64 lowercase hex characters (what `key_hash` holds).
pub(super) fn is_hash(text: &str) -> bool {
    text.len() == 64 && text.bytes().all(|b| matches!(b, b'0'..=b'9' | b'a'..=b'f'))
}

/// Keys in your OpenRouter accounts, not tracked yet
///
/// What the listings of your management keys (OpenRouter's `GET /api/v1/keys`, disabled keys included, at most 2,000 keys per management key) show that none of your stored keys matches by hash: name, OpenRouter's masked label, whether it is disabled, limit, spend. Import them with `POST /api/keys/import`. A listing that cannot be read is named in `incomplete`. Reading the listings calls OpenRouter: 60 listings or imports an hour per account (429 beyond).
#[utoipa::path(
    get,
    path = "/api/keys/untracked",
    operation_id = "listUntrackedKeys",
    tag = "keys",
    responses(
        (status = 200, description = "The keys not tracked yet.", body = UntrackedList),
        (status = 429, description = "Too many listings read in the last hour.", body = vocabulary::schemas::RateLimitedError, headers(("Retry-After" = String))),
    )
)]
pub async fn untracked(cx: &Ctx<'_>, user: &AuthUser) -> AppResult<Reply> {
    let db = cx.app.db()?;
    let accounts = read_accounts(cx.app, &db, user.org_id).await?;
    let stored = store::api_keys::hashes_of_user(&db, user.org_id).await?;
    let items = accounts
        .found
        .into_iter()
        .filter(|(_, l)| !stored.contains(&l.hash()))
        .map(|(management_key_id, l)| UntrackedView {
            hash: l.hash(),
            name: l.key.name.unwrap_or_default(),
            label: l.key.label.unwrap_or_default(),
            disabled: l.key.disabled,
            limit: l.key.limit,
            limit_reset: l.key.limit_reset,
            usage: l.key.usage,
            usage_monthly: l.key.usage_monthly.unwrap_or(Money::ZERO),
            management_key_id,
        })
        .collect();
    Reply::ok(&UntrackedList {
        items,
        incomplete: accounts.incomplete,
    })
}
