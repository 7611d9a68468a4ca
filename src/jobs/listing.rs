//! An account's keys read in one call: a management key's listing
//! (`GET /keys`, 100 keys a page) carries each API key's counters, the ones
//! its own `GET /key` would give, so a key seen there needs no call of its
//! own. Keys are matched by OpenRouter's `hash`, the SHA-256 hex of the key
//! that every stored row holds as `key_hash`.
//!
//! A sync (a queue batch, or a manual sync) reads, for each management key
//! its keys are read through, pages from offset 0 until every one of them
//! has been seen, a short page ends the listing, or the pages read reach
//! the number of keys sought that hold a secret (past that, one `/key` each
//! costs less). A key not seen falls back to `/key`; a watched key (no
//! secret) has no fallback. A listing that fails (401/403, 5xx after
//! retries, a malformed page) is said on the run and on the management key,
//! and its keys fall back to `/key`; a 429 hands the batch to its retry.

use std::collections::HashMap;
use std::future::Future;
use std::pin::Pin;

use crate::openrouter::types::{ManagedKey, KEYS_PAGE_SIZE};
use crate::openrouter::{CallError, Client};
use crate::store::api_keys::SyncTarget;

/// A key as a listing showed it, with OpenRouter's clock of that page.
#[derive(Debug, Clone)]
pub struct Listed {
    pub key: ManagedKey,
    pub served_at: Option<String>,
}

impl Listed {
    /// Its hash as stored (`key_hash`: lowercase hex).
    pub fn hash(&self) -> String {
        self.key.hash.to_ascii_lowercase()
    }
}

/// What one sync learnt from the listings it read (a batch's few keys:
/// plain lists, searched in order).
#[derive(Debug, Default)]
pub struct Listings {
    keys: Vec<Listed>,
    /// Management keys whose listing failed, and how.
    failed: Vec<(i64, CallError)>,
}

impl Listings {
    pub fn get(&self, key_hash: &str) -> Option<&Listed> {
        self.keys
            .iter()
            .find(|l| l.key.hash.eq_ignore_ascii_case(key_hash))
    }

    /// How the listing of management key `id` failed, if it did.
    pub fn failure(&self, id: i64) -> Option<&CallError> {
        self.failed.iter().find(|(m, _)| *m == id).map(|(_, e)| e)
    }

    /// What the run says of the listings that failed (not of a 429 or a
    /// spent budget: those keys wait, they do not fall back).
    pub fn notes(&self) -> Vec<String> {
        self.failed
            .iter()
            .filter(|(_, e)| !waits(e))
            .map(|(id, e)| {
                format!(
                    "management key {id} could not list its account's keys ({}); its keys were read one by one",
                    e.describe()
                )
            })
            .collect()
    }
}

/// Whether a failed listing leaves its keys for later rather than for `/key`.
pub fn waits(error: &CallError) -> bool {
    matches!(
        error,
        CallError::RateLimited { .. } | CallError::BudgetExhausted
    )
}

/// The pages of one management key's listing a sync reads for `sought`.
struct Search<'a> {
    id: i64,
    key: &'a str,
    /// Hashes still unseen (lowercase hex).
    sought: Vec<String>,
    /// Most pages worth reading; `None` when a watched key is sought.
    cap: Option<usize>,
}

/// The listings' reading, as one future type whatever calls it (a batch,
/// a manual sync): its code is in the Worker once.
pub type Reading<'a> = Pin<Box<dyn Future<Output = Listings> + 'a>>;

/// Reads what `targets` need of the listings of their management keys
/// (`management_keys`: decrypted, by row id).
pub fn read<'a>(
    client: &'a Client<'a>,
    management_keys: &'a HashMap<i64, String>,
    targets: &'a [SyncTarget],
) -> Reading<'a> {
    Box::pin(async move {
        let mut searches: Vec<Search<'_>> = Vec::new();
        for target in targets {
            let Some((id, key)) = target
                .management_key_id
                .and_then(|id| management_keys.get(&id).map(|k| (id, k.as_str())))
            else {
                continue;
            };
            let at = match searches.iter().position(|s| s.id == id) {
                Some(at) => at,
                None => {
                    searches.push(Search {
                        id,
                        key,
                        sought: Vec::new(),
                        cap: Some(0),
                    });
                    searches.len().saturating_sub(1)
                }
            };
            if let Some(search) = searches.get_mut(at) {
                search.sought.push(target.key_hash.to_ascii_lowercase());
                search.cap = match search.cap {
                    Some(pages) if target.has_secret() => Some(pages.saturating_add(1)),
                    _ => None,
                };
            }
        }
        // One after the other: a batch's keys are mostly one account's.
        let mut listings = Listings::default();
        for search in searches {
            let id = search.id;
            match search_listing(client, search).await {
                Ok(keys) => listings.keys.extend(keys),
                Err(e) => listings.failed.push((id, e)),
            }
        }
        listings
    })
}

/// Pages of one listing until every sought key is seen, a short page, or
/// the cap: the sought keys seen, or the failure.
async fn search_listing(
    client: &Client<'_>,
    mut search: Search<'_>,
) -> Result<Vec<Listed>, CallError> {
    let mut seen = Vec::new();
    let mut pages = 0usize;
    let mut offset = 0usize;
    while !search.sought.is_empty() && search.cap.is_none_or(|cap| pages < cap) {
        pages = pages.saturating_add(1);
        let (page, served_at) = client.list_keys(search.key, offset).await?;
        let full = page.len() >= KEYS_PAGE_SIZE;
        offset = offset.saturating_add(page.len());
        for key in page {
            let listed = Listed {
                key,
                served_at: served_at.clone(),
            };
            let hash = listed.hash();
            if let Some(at) = search.sought.iter().position(|h| *h == hash) {
                search.sought.swap_remove(at);
                seen.push(listed);
            }
        }
        if !full {
            break;
        }
    }
    Ok(seen)
}

/// A whole listing from its start, at most `max_pages` pages: its keys, and
/// whether it ended within them (a short page). What the import reads.
pub async fn read_all(
    client: &Client<'_>,
    key: &str,
    max_pages: usize,
) -> Result<(Vec<Listed>, bool), CallError> {
    let mut keys = Vec::new();
    for _ in 0..max_pages {
        let (page, served_at) = client.list_keys(key, keys.len()).await?;
        let full = page.len() >= KEYS_PAGE_SIZE;
        keys.extend(page.into_iter().map(|key| Listed {
            key,
            served_at: served_at.clone(),
        }));
        if !full {
            return Ok((keys, true));
        }
    }
    Ok((keys, false))
}
