//! How an hourly run is cut into queue batches, and what a consumer does
//! with a message. Pure, tested natively.
//!
//! Fairness: keys are dealt round-robin across accounts (each account's
//! oldest-synced key first) before they are cut into batches, so one
//! account's 5,000 keys cannot fill the first batches while another
//! account's 3 wait behind them.

#![deny(clippy::arithmetic_side_effects)]

use std::collections::HashMap;

use serde::{Deserialize, Serialize};

/// What a queue message carries: which batch of which run. The keys are in
/// D1 (`sync_batches`), where a retry finds only those still to sync.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct BatchMessage {
    pub run_id: i64,
    pub batch: i64,
}

/// `(user_id, key_id)` in sync order (oldest synced first) to batches of at
/// most `size` key ids, accounts interleaved.
pub fn batches(targets: &[(i64, i64)], size: usize) -> Vec<Vec<i64>> {
    let size = size.max(1);
    let mut order: Vec<i64> = Vec::new();
    let mut by_user: HashMap<i64, Vec<i64>> = HashMap::new();
    for &(user, key) in targets {
        let keys = by_user.entry(user).or_default();
        if keys.is_empty() {
            order.push(user);
        }
        keys.push(key);
    }
    let mut dealt = Vec::with_capacity(targets.len());
    let mut round = 0;
    while dealt.len() < targets.len() {
        for user in &order {
            if let Some(key) = by_user.get(user).and_then(|keys| keys.get(round)) {
                dealt.push(*key);
            }
        }
        // Each round deals at least one key until all are dealt, so
        // `round` stays below the largest account's key count.
        round = round.saturating_add(1);
    }
    dealt.chunks(size).map(<[i64]>::to_vec).collect()
}

/// How long a retry waits after OpenRouter's 429: its `Retry-After`, at
/// least 1 s and at most 15 minutes (past that the next hourly run is as
/// good); 30 s when it gave none.
pub fn retry_delay_secs(retry_after: Option<u64>) -> u32 {
    retry_after.unwrap_or(30).clamp(1, 900) as u32
}

#[cfg(test)]
#[allow(clippy::arithmetic_side_effects)]
mod tests {
    use super::*;

    #[test]
    fn accounts_are_interleaved_before_batches_are_cut() {
        // Account 1 has five keys, account 2 two, account 3 one.
        let targets = [
            (1, 10),
            (1, 11),
            (2, 20),
            (1, 12),
            (3, 30),
            (1, 13),
            (2, 21),
            (1, 14),
        ];
        assert_eq!(
            batches(&targets, 3),
            [vec![10, 20, 30], vec![11, 21, 12], vec![13, 14]]
        );
        assert!(batches(&[], 50).is_empty());
        assert_eq!(batches(&[(1, 1), (1, 2)], 0), [vec![1], vec![2]]);
    }

    #[test]
    fn one_big_account_does_not_hold_back_a_small_one() {
        let mut targets: Vec<(i64, i64)> = (0..5_000).map(|k| (1, k)).collect();
        targets.extend([(2, 90_001), (2, 90_002), (2, 90_003)]);
        let cut = batches(&targets, 50);
        assert_eq!(cut.len(), 101);
        // All three are dealt in the first rounds: the first batch.
        assert!([90_001, 90_002, 90_003].iter().all(|k| cut[0].contains(k)));
        assert_eq!(cut.iter().map(Vec::len).sum::<usize>(), 5_003);
    }

    #[test]
    fn retries_honour_retry_after_within_bounds() {
        assert_eq!(retry_delay_secs(Some(7)), 7);
        assert_eq!(retry_delay_secs(Some(0)), 1);
        assert_eq!(retry_delay_secs(Some(86_400)), 900);
        assert_eq!(retry_delay_secs(None), 30);
    }

    #[test]
    fn messages_name_a_batch_only() {
        let text = serde_json::to_string(&BatchMessage {
            run_id: 3,
            batch: 7,
        })
        .unwrap();
        assert_eq!(text, r#"{"run_id":3,"batch":7}"#);
    }

    mod properties {
        use super::*;
        use proptest::prelude::*;

        proptest! {
            #[test]
            fn every_key_is_dealt_once_into_bounded_batches(
                targets in proptest::collection::vec((0_i64..6, any::<i64>()), 0..200),
                size in 0_usize..80,
                retry_after in proptest::option::of(any::<u64>()),
            ) {
                let cut = batches(&targets, size);
                prop_assert!(cut.iter().all(|b| !b.is_empty() && b.len() <= size.max(1)));
                let mut dealt: Vec<i64> = cut.concat();
                let mut keys: Vec<i64> = targets.iter().map(|(_, k)| *k).collect();
                dealt.sort_unstable();
                keys.sort_unstable();
                prop_assert_eq!(dealt, keys);
                prop_assert!((1..=900).contains(&retry_delay_secs(retry_after)));
            }
        }
    }
}
