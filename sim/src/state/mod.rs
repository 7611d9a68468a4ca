//! The simulator's state: accounts, keys and their records, the clock, faults and the
//! request log. All of it sits behind one mutex that is never held across an await.
//!
//! [`Sim`]'s methods are spread over one module per concern, each adding an
//! `impl Sim` block:
//! - [`clock`]: the frozen or real clock, and the calendar arithmetic built on it;
//! - [`keys`]: registering, revoking and listing keys, and authenticating bearers;
//! - [`accounts`]: accounts, their ids and credits;
//! - [`usage`]: usage records of keys and what `/key`, `/activity` and `/_sim/.../truth`
//!   report from them;
//! - [`management`]: the management API's view of an account's keys (list, get, patch,
//!   delete, create);
//! - [`charge`]: what a chat completion costs a key;
//! - [`faults`]: injected faults and which request they apply to;
//! - [`log`]: the request log.

mod accounts;
mod charge;
mod clock;
mod faults;
mod keys;
mod log;
mod management;
mod money;
mod usage;

use std::collections::{BTreeMap, HashMap};
use std::sync::{Mutex, MutexGuard};
use std::time::Instant;

use chrono::{DateTime, Utc};

use accounts::Account;
use faults::Faults;
use keys::KeyEntry;
use log::RequestLog;

pub use clock::ACTIVITY_WINDOW_DAYS;
pub(crate) use clock::{activity_window, parse_ymd};
pub(crate) use keys::Auth;
pub use keys::DEFAULT_HISTORY_DAYS;
pub use management::KEYS_PAGE_SIZE;
pub(crate) use management::{KeyPatch, ManagedKey, NewKey};
pub(crate) use money::{money_text, parse_money};
pub(crate) use usage::{limit_remaining, ActivityRow, KeyView};

/// An error of the simulator, answered as OpenRouter's error shape with this status.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SimError {
    pub status: u16,
    pub message: String,
}

impl SimError {
    pub(crate) fn new(status: u16, message: impl Into<String>) -> Self {
        SimError {
            status,
            message: message.into(),
        }
    }
    pub(crate) fn unprocessable(message: impl Into<String>) -> Self {
        Self::new(422, message)
    }
    pub(crate) fn not_found(message: impl Into<String>) -> Self {
        Self::new(404, message)
    }
}

impl std::fmt::Display for SimError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{} {}", self.status, self.message)
    }
}

impl std::error::Error for SimError {}

struct State {
    seed: u64,
    /// Frozen time, or `None` for real UTC time.
    clock: Option<DateTime<Utc>>,
    keys: HashMap<String, KeyEntry>,
    accounts: BTreeMap<String, Account>,
    next_account: u64,
    next_label: u64,
    faults: Faults,
    log: RequestLog,
}

/// The simulator. Cheap to share behind an `Arc`; every method locks briefly.
pub struct Sim {
    state: Mutex<State>,
    started: Instant,
}

impl Sim {
    pub fn new(seed: u64) -> Self {
        Sim {
            state: Mutex::new(State {
                seed,
                clock: None,
                keys: HashMap::new(),
                accounts: BTreeMap::new(),
                next_account: 1,
                next_label: 1,
                faults: Faults::default(),
                log: RequestLog::default(),
            }),
            started: Instant::now(),
        }
    }

    fn lock(&self) -> MutexGuard<'_, State> {
        self.state.lock().unwrap_or_else(|e| e.into_inner())
    }
}
