//! The request log (`/_sim/requests`): every request to OpenRouter's API, oldest first,
//! with the hash of its bearer (never the key itself).

use std::collections::VecDeque;

use super::clock::rfc3339;
use super::faults::{normalize_api_path, normalize_prefix};
use super::Sim;
use crate::control::RequestLogEntry;

/// Entries kept; the oldest are dropped beyond this, so the log's memory stays bounded
/// however long the simulator runs.
const MAX_LOG: usize = 200_000;

/// Log entries with their sequence numbers, so a request can be completed after the
/// log has moved on.
pub(super) struct RequestLog {
    entries: VecDeque<(u64, RequestLogEntry)>,
    next_seq: u64,
}

impl Default for RequestLog {
    fn default() -> Self {
        RequestLog {
            entries: VecDeque::new(),
            next_seq: 1,
        }
    }
}

impl Sim {
    /// Starts a log entry; returns its sequence number for [`Sim::finish_log`].
    pub(crate) fn start_log(&self, mut entry: RequestLogEntry) -> u64 {
        let mut st = self.lock();
        entry.at = rfc3339(st.now());
        entry.elapsed_ms = u64::try_from(self.started.elapsed().as_millis()).unwrap_or(u64::MAX);
        let log = &mut st.log;
        let seq = log.next_seq;
        log.next_seq += 1;
        log.entries.push_back((seq, entry));
        if log.entries.len() > MAX_LOG {
            log.entries.pop_front();
        }
        seq
    }

    pub(crate) fn finish_log(&self, seq: u64, status: Option<u16>) {
        let mut st = self.lock();
        if let Some((_, e)) = st.log.entries.iter_mut().rev().find(|(s, _)| *s == seq) {
            e.status = status;
        }
    }

    /// The request log, oldest first, optionally only for one key hash, path (a
    /// trailing `*` matches every path it begins, as in faults) and/or method.
    pub fn requests(
        &self,
        key_hash: Option<&str>,
        path: Option<&str>,
        method: Option<&str>,
    ) -> Vec<RequestLogEntry> {
        let st = self.lock();
        let key_hash = key_hash.map(|h| h.trim().to_ascii_lowercase());
        let path = path.map(|p| match p.trim().strip_suffix('*') {
            Some(prefix) => (normalize_prefix(prefix), true),
            None => (normalize_api_path(p), false),
        });
        st.log
            .entries
            .iter()
            .filter(|(_, e)| match &key_hash {
                Some(h) => e.key_hash.as_deref() == Some(h.as_str()),
                None => true,
            })
            .filter(|(_, e)| match &path {
                Some((p, true)) => e.path.starts_with(p.as_str()),
                Some((p, false)) => e.path == *p,
                None => true,
            })
            .filter(|(_, e)| method.is_none_or(|m| e.method.eq_ignore_ascii_case(m)))
            .map(|(_, e)| e.clone())
            .collect()
    }

    pub fn clear_requests(&self) {
        self.lock().log.entries.clear();
    }
}
