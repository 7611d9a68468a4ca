//! The team's signing keys, fetched from `<team>/cdn-cgi/access/certs` and
//! kept per isolate (`watcher_core::access::keys` decides when to fetch).
//!
//! The copy is a plain value, read and replaced with no await in between:
//! two requests that both miss may both fetch, but a request never awaits
//! a promise another request created (workerd cancels such a wait when the
//! request that created it ends, or fails it as cross-request I/O).

use std::cell::RefCell;
use std::time::Duration;

use futures_util::future::{select, Either};
use watcher_core::access::keys::{self, Cached, Jwk, Lookup};
use watcher_core::access::{Refusal, TeamOrigin};
use worker::{AbortController, Delay, Fetch};

use crate::bounded::{read_bounded, Drain};
use crate::clock;

/// A key-set fetch that takes longer fails (the sign-in answers 503).
const TIMEOUT: Duration = Duration::from_secs(5);

thread_local! {
    static COPY: RefCell<Option<Cached>> = const { RefCell::new(None) };
}

/// Why no key could be had.
#[derive(Debug)]
pub enum KeyError {
    /// The set holds no key of that `kid` (after fetching it afresh when
    /// allowed).
    Refused(Refusal),
    /// The set could not be fetched or read: no sign-in can be checked.
    Unavailable(String),
}

/// The key `kid` names in the team's set.
pub async fn signing_key(team: &TeamOrigin, kid: &str) -> Result<Jwk, KeyError> {
    let url = team.certs_url();
    let now = clock::now().timestamp();
    let copy = COPY.with(|c| c.try_borrow().ok().and_then(|c| c.clone()));
    match keys::lookup(copy.as_ref(), &url, kid, now) {
        Lookup::Use(key) => return Ok(key),
        Lookup::Unknown => return Err(KeyError::Refused(Refusal::UnknownKey)),
        Lookup::Fetch => {}
    }
    let fetched = fetch(&url).await.map_err(KeyError::Unavailable)?;
    let found = keys::find(&fetched, kid);
    let copy = Cached {
        url,
        fetched_at: clock::now().timestamp(),
        keys: fetched,
    };
    COPY.with(|c| {
        if let Ok(mut c) = c.try_borrow_mut() {
            *c = Some(copy);
        }
    });
    found.ok_or(KeyError::Refused(Refusal::UnknownKey))
}

/// The RS256 keys the set at `url` publishes.
async fn fetch(url: &str) -> Result<Vec<Jwk>, String> {
    let url = worker::Url::parse(url).map_err(|e| e.to_string())?;
    let controller = AbortController::default();
    let signal = controller.signal();
    let call = async move {
        let mut response = Fetch::Url(url)
            .send_with_signal(&signal)
            .await
            .map_err(|e| format!("cannot reach it ({e})"))?;
        if response.status_code() != 200 {
            return Err(format!("it answered {}", response.status_code()));
        }
        let stream = response.stream().map_err(|e| e.to_string())?;
        let body = read_bounded(stream, keys::MAX_KEY_SET_BYTES, Drain::No)
            .await
            .map_err(|_| "its answer is too large or broke off".to_owned())?;
        keys::parse_key_set(&body).ok_or_else(|| "its answer is not a key set".to_owned())
    };
    match select(Box::pin(call), Box::pin(Delay::from(TIMEOUT))).await {
        Either::Left((result, _)) => result,
        Either::Right(((), _)) => {
            controller.abort();
            Err(format!("no answer within {} s", TIMEOUT.as_secs()))
        }
    }
}
