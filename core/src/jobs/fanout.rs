//! How an hourly run is cut into queue batches, and what a consumer does
//! with a message. Pure, tested natively.
//!
//! Fairness: keys are dealt round-robin across accounts (each account's
//! oldest-synced key first) before they are cut into batches, so one
//! account's 5,000 keys cannot fill the first batches while another
//! account's 3 wait behind them.
//!
//! Listings: the keys read through one management key's listing (one
//! subrequest per 100 keys of its OpenRouter account, `jobs::listing`) are
//! dealt as one unit, cut at the batch size: a batch reads each listing it
//! needs once, and an account of up to `SYNC_BATCH_SIZE` keys (the default
//! `MAX_KEYS_PER_USER` is the default batch size, 50) is read in one batch,
//! so its listing once per run. A larger account reads it once per batch of
//! its keys, each time only as far as that batch's keys. Accounts are still
//! interleaved, unit by unit; keys without a listing are units of one, dealt
//! exactly as before.

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

/// `(org_id, key_id, listing)` in sync order (oldest synced first) to
/// batches of at most `size` key ids, accounts interleaved; the keys of one
/// `listing` (the management key they are read through) stay together, in
/// units of at most `size`.
pub fn batches(targets: &[(i64, i64, Option<i64>)], size: usize) -> Vec<Vec<i64>> {
    let size = size.max(1);
    let units = units_by_user(targets, size);
    let mut dealt: Vec<&Vec<i64>> = Vec::with_capacity(targets.len());
    let mut round = 0;
    let total: usize = units.iter().map(Vec::len).sum();
    while dealt.len() < total {
        for user_units in &units {
            if let Some(unit) = user_units.get(round) {
                dealt.push(unit);
            }
        }
        // Each round deals at least one unit until all are dealt, so
        // `round` stays below the largest account's unit count.
        round = round.saturating_add(1);
    }
    let mut cut: Vec<Vec<i64>> = Vec::new();
    for unit in dealt {
        match cut.last_mut() {
            Some(batch) if batch.len().saturating_add(unit.len()) <= size => {
                batch.extend_from_slice(unit)
            }
            _ => cut.push(unit.clone()),
        }
    }
    cut
}

/// Each user's units in order of their first key: a key without a listing
/// alone, the keys of one listing together (cut at `size`).
fn units_by_user(targets: &[(i64, i64, Option<i64>)], size: usize) -> Vec<Vec<Vec<i64>>> {
    // Each user's targets (their positions), users in order of appearance.
    let mut order: Vec<i64> = Vec::new();
    let mut by_user: HashMap<i64, Vec<i64>> = HashMap::new();
    for (at, &(user, _, _)) in targets.iter().enumerate() {
        let positions = by_user.entry(user).or_default();
        if positions.is_empty() {
            order.push(user);
        }
        positions.push(at as i64);
    }
    let units_of = |positions: &[i64]| {
        let mut units: Vec<(Option<i64>, Vec<i64>)> = Vec::new();
        for &at in positions {
            let Some(&(_, key, listing)) = targets.get(at as usize) else {
                continue;
            };
            // Only a listing's last unit can have room.
            let open = listing.and_then(|l| {
                units
                    .iter()
                    .rposition(|(of, keys)| *of == Some(l) && keys.len() < size)
            });
            match open.and_then(|i| units.get_mut(i)) {
                Some((_, keys)) => keys.push(key),
                None => units.push((listing, vec![key])),
            }
        }
        units.into_iter().map(|(_, keys)| keys).collect::<Vec<_>>()
    };
    order
        .iter()
        .map(|user| units_of(by_user.get(user).map_or(&[][..], Vec::as_slice)))
        .collect()
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
            (1, 10, None),
            (1, 11, None),
            (2, 20, None),
            (1, 12, None),
            (3, 30, None),
            (1, 13, None),
            (2, 21, None),
            (1, 14, None),
        ];
        assert_eq!(
            batches(&targets, 3),
            [vec![10, 20, 30], vec![11, 21, 12], vec![13, 14]]
        );
        assert!(batches(&[], 50).is_empty());
        assert_eq!(
            batches(&[(1, 1, None), (1, 2, None)], 0),
            [vec![1], vec![2]]
        );
    }

    #[test]
    fn one_big_account_does_not_hold_back_a_small_one() {
        let mut targets: Vec<(i64, i64, Option<i64>)> = (0..5_000).map(|k| (1, k, None)).collect();
        targets.extend([(2, 90_001, None), (2, 90_002, None), (2, 90_003, None)]);
        let cut = batches(&targets, 50);
        assert_eq!(cut.len(), 101);
        // All three are dealt in the first rounds: the first batch.
        assert!([90_001, 90_002, 90_003].iter().all(|k| cut[0].contains(k)));
        assert_eq!(cut.iter().map(Vec::len).sum::<usize>(), 5_003);
    }

    #[test]
    fn the_keys_of_one_listing_stay_together() {
        // Account 1 reads its 5 keys through management key 100, account 2
        // has no listing, account 3 reads 2 keys through 300.
        let targets = [
            (1, 10, Some(100)),
            (2, 20, None),
            (1, 11, Some(100)),
            (3, 30, Some(300)),
            (1, 12, Some(100)),
            (2, 21, None),
            (3, 31, Some(300)),
            (1, 13, Some(100)),
            (1, 14, Some(100)),
        ];
        // Units: [10..14] (cut at 4: [10,11,12,13], [14]), [20], [21], [30,31].
        assert_eq!(
            batches(&targets, 4),
            [vec![10, 11, 12, 13], vec![20, 30, 31, 14], vec![21]]
        );
        // With room for everything: one batch, each listing read once.
        let one = batches(&targets, 50);
        assert_eq!(one.len(), 1);
        // 50 keys of one account and 3 of another, both listed: two batches,
        // the big account's keys all in the first.
        let mut big: Vec<(i64, i64, Option<i64>)> = (0..50).map(|k| (1, k, Some(7))).collect();
        big.extend([(2, 900, Some(8)), (2, 901, Some(8)), (2, 902, Some(8))]);
        let cut = batches(&big, 50);
        assert_eq!(cut.len(), 2);
        assert_eq!(cut[0], (0..50).collect::<Vec<i64>>());
        assert_eq!(cut[1], [900, 901, 902]);
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
                targets in proptest::collection::vec(
                    (0_i64..6, any::<i64>(), proptest::option::of(0_i64..4)),
                    0..200,
                ),
                size in 0_usize..80,
                retry_after in proptest::option::of(any::<u64>()),
            ) {
                let cut = batches(&targets, size);
                prop_assert!(cut.iter().all(|b| !b.is_empty() && b.len() <= size.max(1)));
                let mut dealt: Vec<i64> = cut.concat();
                let mut keys: Vec<i64> = targets.iter().map(|(_, k, _)| *k).collect();
                dealt.sort_unstable();
                keys.sort_unstable();
                prop_assert_eq!(dealt, keys);
                prop_assert!((1..=900).contains(&retry_delay_secs(retry_after)));
            }
        }
    }
}
