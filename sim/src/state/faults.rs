//! Injected faults (`/_sim/faults`): which OpenRouter requests they apply to, and how
//! many more times.

use super::{Sim, SimError};
use crate::control::{FaultInfo, FaultRequest};

struct Fault {
    id: u64,
    spec: FaultRequest,
    /// Applications left; `None` = forever.
    remaining: Option<u32>,
}

/// The active faults, in the order they were added (the first match applies).
pub(super) struct Faults {
    active: Vec<Fault>,
    next_id: u64,
}

impl Default for Faults {
    fn default() -> Self {
        Faults {
            active: Vec::new(),
            next_id: 1,
        }
    }
}

impl Faults {
    fn add(&mut self, spec: FaultRequest) -> u64 {
        let id = self.next_id;
        self.next_id += 1;
        let remaining = spec.times;
        self.active.push(Fault {
            id,
            spec,
            remaining,
        });
        id
    }

    /// Takes the first fault matching `(key_hash, method, path)` (`path` already
    /// normalized), counting one application and expiring it after its last one.
    fn take(&mut self, key_hash: Option<&str>, method: &str, path: &str) -> Option<FaultRequest> {
        let idx = self
            .active
            .iter()
            .position(|f| f.matches(key_hash, method, path))?;
        let fault = &mut self.active[idx];
        let spec = fault.spec.clone();
        if let Some(r) = fault.remaining.as_mut() {
            *r = r.saturating_sub(1);
            if *r == 0 {
                self.active.remove(idx);
            }
        }
        Some(spec)
    }
}

impl Fault {
    fn matches(&self, key_hash: Option<&str>, method: &str, path: &str) -> bool {
        let hash_ok = match &self.spec.key_hash {
            Some(h) => key_hash == Some(h.as_str()),
            None => true,
        };
        let method_ok = match &self.spec.method {
            Some(m) => m.eq_ignore_ascii_case(method),
            None => true,
        };
        let path_ok = match &self.spec.path {
            Some(p) => match p.strip_suffix('*') {
                Some(prefix) => path.starts_with(prefix),
                None => *p == path,
            },
            None => true,
        };
        hash_ok && method_ok && path_ok
    }
}

impl Sim {
    pub fn add_fault(&self, mut spec: FaultRequest) -> Result<u64, SimError> {
        if let Some(s) = spec.status {
            if !(100..=599).contains(&s) {
                return Err(SimError::unprocessable("status must be 100..=599"));
            }
        }
        if spec.times == Some(0) {
            return Err(SimError::unprocessable("times must be at least 1"));
        }
        if let Some(h) = &spec.key_hash {
            spec.key_hash = Some(h.trim().to_ascii_lowercase());
        }
        if let Some(p) = &spec.path {
            spec.path = Some(match p.trim().strip_suffix('*') {
                Some(prefix) => format!("{}*", normalize_prefix(prefix)),
                None => normalize_api_path(p),
            });
        }
        if let Some(m) = &spec.method {
            spec.method = Some(m.trim().to_ascii_uppercase());
        }
        Ok(self.lock().faults.add(spec))
    }

    pub fn faults(&self) -> Vec<FaultInfo> {
        self.lock()
            .faults
            .active
            .iter()
            .map(|f| FaultInfo {
                id: f.id,
                spec: f.spec.clone(),
                remaining: f.remaining,
            })
            .collect()
    }

    pub fn remove_fault(&self, id: u64) -> bool {
        let mut st = self.lock();
        let before = st.faults.active.len();
        st.faults.active.retain(|f| f.id != id);
        st.faults.active.len() != before
    }

    pub fn clear_faults(&self) {
        self.lock().faults.active.clear();
    }

    /// Takes the first fault matching this request, counting one application.
    pub(crate) fn take_fault(
        &self,
        key_hash: Option<&str>,
        method: &str,
        path: &str,
    ) -> Option<FaultRequest> {
        let path = normalize_api_path(path);
        self.lock().faults.take(key_hash, method, &path)
    }
}

/// The beginning of a path (`/keys/`, kept with its trailing slash), as
/// [`normalize_api_path`] reads a whole one.
pub(crate) fn normalize_prefix(p: &str) -> String {
    let p = p.trim();
    if p.starts_with("/api/") {
        p.to_string()
    } else if p.starts_with('/') {
        format!("/api/v1{p}")
    } else {
        format!("/api/v1/{p}")
    }
}

/// `/key` and `/api/v1/key` mean the same fault path.
pub(crate) fn normalize_api_path(p: &str) -> String {
    let p = p.trim();
    let p = if p.len() > 1 {
        p.trim_end_matches('/')
    } else {
        p
    };
    if p.starts_with("/api/") {
        p.to_string()
    } else if p.starts_with('/') {
        format!("/api/v1{p}")
    } else {
        format!("/api/v1/{p}")
    }
}
