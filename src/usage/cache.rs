//! A small time-bounded cache of public-API answers, kept in the memory of
//! each token's Durable Object.
//!
//! Every product path that changes what `/api/v1` shows (sync, key changes,
//! token revocation) clears the caches of the affected tokens at once; the
//! time bound only covers writes made outside the product (an operator's SQL),
//! which become visible within the cache's time bound
//! (`PUBLIC_ANSWER_CACHE_MS`, by default
//! [`ANSWER_TTL_MS`](crate::config::ANSWER_TTL_MS); 0 turns the cache
//! off).

use std::collections::HashMap;

/// Distinct questions kept per token; a dashboard asks a handful.
const MAX_ENTRIES: usize = 64;

#[derive(Debug)]
pub struct TimedCache<V> {
    entries: HashMap<String, (i64, V)>,
    ttl_ms: i64,
}

impl<V: Clone> TimedCache<V> {
    pub fn new(ttl_ms: i64) -> Self {
        Self {
            entries: HashMap::new(),
            ttl_ms,
        }
    }

    pub fn get(&self, key: &str, now_ms: i64) -> Option<V> {
        self.entries
            .get(key)
            .filter(|(stored_ms, _)| now_ms - stored_ms < self.ttl_ms && now_ms >= *stored_ms)
            .map(|(_, value)| value.clone())
    }

    /// How long entries live (ms); 0: nothing is kept.
    pub fn ttl_ms(&self) -> i64 {
        self.ttl_ms
    }

    pub fn put(&mut self, key: String, value: V, now_ms: i64) {
        if self.ttl_ms <= 0 {
            return;
        }
        if self.entries.len() >= MAX_ENTRIES && !self.entries.contains_key(&key) {
            let ttl = self.ttl_ms;
            self.entries
                .retain(|_, (stored_ms, _)| now_ms - *stored_ms < ttl);
            if self.entries.len() >= MAX_ENTRIES {
                self.entries.clear();
            }
        }
        self.entries.insert(key, (now_ms, value));
    }

    pub fn clear(&mut self) {
        self.entries.clear();
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn answers_expire_after_the_ttl() {
        let mut cache = TimedCache::new(2_000);
        cache.put("a".into(), 1, 10_000);
        assert_eq!(cache.get("a", 10_000), Some(1));
        assert_eq!(cache.get("a", 11_999), Some(1));
        assert_eq!(cache.get("a", 12_000), None);
        assert_eq!(cache.get("b", 10_000), None);
        // A clock that went backwards does not serve stale entries.
        assert_eq!(cache.get("a", 9_000), None);
    }

    #[test]
    fn a_zero_ttl_keeps_nothing() {
        let mut cache = TimedCache::new(0);
        cache.put("a".into(), 1, 10_000);
        assert_eq!(cache.get("a", 10_000), None);
        assert!(cache.entries.is_empty());
    }

    #[test]
    fn clearing_forgets_everything() {
        let mut cache = TimedCache::new(2_000);
        cache.put("a".into(), 1, 0);
        cache.clear();
        assert_eq!(cache.get("a", 1), None);
    }

    #[test]
    fn stays_bounded() {
        let mut cache = TimedCache::new(2_000);
        for i in 0..1_000 {
            cache.put(format!("k{i}"), i, i64::from(i));
        }
        assert!(cache.entries.len() <= MAX_ENTRIES);
        assert_eq!(cache.get("k999", 999), Some(999));
    }
}
