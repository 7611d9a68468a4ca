//! Spend by member: each person's figures over the keys they added
//! (`MemberSpend`), and each OpenRouter member's over the keys they created
//! (`CreatorSpend`), ordered most expensive first, and their exact sum,
//! which is the range's summary. `/api/v1/stats?group_by=member` reads the
//! groups from one statement; the dashboard's overview sums its keys' totals
//! into them ([`group_keys`]).

use std::cmp::Ordering;

use serde::Serialize;
use utoipa::ToSchema;

use super::overview::Counts;
use super::shapes::Summary;

#[derive(Debug, Clone, PartialEq, Eq, Serialize, ToSchema)]
pub struct MemberSpend {
    /// The person who added the keys; null for keys whose person's account is gone.
    #[schema(required = true, minimum = 1, maximum = 9007199254740991_i64)]
    pub user_id: Option<i64>,
    #[schema(required = true, max_length = 254)]
    pub email: Option<String>,
    /// Over the keys this person added.
    #[serde(flatten)]
    pub totals: Summary,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, ToSchema)]
#[schema(as = OpenRouterMemberSpend)]
pub struct CreatorSpend {
    /// The OpenRouter member who created the keys (`creator_user_id`, as OpenRouter says); null for keys no sync has read it of yet.
    #[schema(required = true, max_length = 64)] // openrouter::types::MEMBER_ID_MAX
    pub creator_user_id: Option<String>,
    /// Over the keys this OpenRouter member created.
    #[serde(flatten)]
    pub totals: Summary,
}

/// A share of a range's spend, attributed to someone.
pub trait Attributed {
    fn totals(&self) -> &Summary;
    /// Between equal costs: the known before the unknown, then by who.
    fn tie_break(&self, other: &Self) -> Ordering;
}

impl Attributed for MemberSpend {
    fn totals(&self) -> &Summary {
        &self.totals
    }
    fn tie_break(&self, other: &Self) -> Ordering {
        known_first(&self.user_id, &other.user_id)
    }
}

impl Attributed for CreatorSpend {
    fn totals(&self) -> &Summary {
        &self.totals
    }
    fn tie_break(&self, other: &Self) -> Ordering {
        known_first(&self.creator_user_id, &other.creator_user_id)
    }
}

fn known_first<T: Ord>(a: &Option<T>, b: &Option<T>) -> Ordering {
    a.is_none().cmp(&b.is_none()).then_with(|| a.cmp(b))
}

/// The shares most expensive first and their sum; `None` when a sum leaves
/// the range of its type.
pub fn ranked_with_total<T: Attributed>(mut shares: Vec<T>) -> Option<(Summary, Vec<T>)> {
    let mut sum = Summary::default();
    for share in &shares {
        sum = sum.checked_add(share.totals())?;
    }
    shares.sort_by(|a, b| {
        b.totals()
            .total_cost
            .cmp(&a.totals().total_cost)
            .then_with(|| a.tie_break(b))
    });
    Some((sum, shares))
}

/// Keys' figures summed per whoever `who` names, in the order each first
/// appears; `None` when a sum leaves the range of its type. A plain list:
/// an organisation's members are few.
pub fn group_keys<G: PartialEq>(
    keys: impl IntoIterator<Item = (G, Counts)>,
) -> Option<Vec<(G, Summary)>> {
    let mut groups: Vec<(G, Summary)> = Vec::new();
    for (who, counts) in keys {
        let more = counts.summary();
        match groups.iter_mut().find(|(g, _)| *g == who) {
            Some((_, sum)) => *sum = sum.checked_add(&more)?,
            None => groups.push((who, more)),
        }
    }
    Some(groups)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::domain::money::Money;
    use proptest::prelude::*;

    fn member(user_id: Option<i64>, requests: i64, cost: i64) -> MemberSpend {
        MemberSpend {
            user_id,
            email: user_id.map(|id| format!("p{id}@example.com")),
            totals: Summary {
                total_requests: requests,
                total_cost: Money::from_units(cost),
                total_tokens_input: requests.saturating_mul(10),
                total_tokens_output: requests.saturating_mul(3),
            },
        }
    }

    #[test]
    fn members_are_most_expensive_first_and_sum_to_the_summary_exactly() {
        let (sum, members) = ranked_with_total(vec![
            member(Some(7), 1, 5),
            member(None, 2, 30_000_000_000),
            member(Some(3), 4, 30_000_000_000),
            member(Some(9), 0, 0),
        ])
        .unwrap();
        let order: Vec<Option<i64>> = members.iter().map(|m| m.user_id).collect();
        assert_eq!(order, [Some(3), None, Some(7), Some(9)]);
        assert_eq!(sum.total_cost, Money::from_units(60_000_000_005));
        assert_eq!(
            (
                sum.total_requests,
                sum.total_tokens_input,
                sum.total_tokens_output
            ),
            (7, 70, 21)
        );
    }

    #[test]
    fn a_sum_past_the_range_is_none_not_a_panic() {
        assert!(
            ranked_with_total(vec![member(Some(1), 1, i64::MAX), member(Some(2), 1, 1)]).is_none()
        );
        assert!(
            ranked_with_total(vec![member(Some(1), i64::MAX, 1), member(Some(2), 1, 1)]).is_none()
        );
        assert_eq!(
            ranked_with_total(Vec::<MemberSpend>::new()).map(|(s, m)| (s.total_cost, m.len())),
            Some((Money::ZERO, 0))
        );
    }

    #[test]
    fn openrouter_members_rank_like_people_with_the_unknown_last_among_equals() {
        let creator = |id: Option<&str>, cost: i64| CreatorSpend {
            creator_user_id: id.map(str::to_owned),
            totals: Summary {
                total_cost: Money::from_units(cost),
                ..Summary::default()
            },
        };
        let (sum, ranked) = ranked_with_total(vec![
            creator(None, 5),
            creator(Some("user_b"), 5),
            creator(Some("user_a"), 5),
            creator(Some("user_c"), 9),
        ])
        .unwrap();
        let order: Vec<Option<&str>> = ranked
            .iter()
            .map(|c| c.creator_user_id.as_deref())
            .collect();
        assert_eq!(
            order,
            [Some("user_c"), Some("user_a"), Some("user_b"), None]
        );
        assert_eq!(sum.total_cost, Money::from_units(24));
    }

    fn counts(requests: i64, cost: i64) -> Counts {
        Counts {
            requests_count: requests,
            tokens_input: requests.saturating_mul(10),
            tokens_output: requests.saturating_mul(3),
            cost: Money::from_units(cost),
        }
    }

    #[test]
    fn keys_group_by_whoever_they_belong_to() {
        let groups = group_keys(vec![
            (Some(2), counts(1, 10)),
            (None, counts(4, 1)),
            (Some(2), counts(2, 20)),
            (Some(1), counts(0, 0)),
        ])
        .unwrap();
        let sums: Vec<(Option<i64>, i64, i64, i64)> = groups
            .iter()
            .map(|(who, s)| {
                (
                    *who,
                    s.total_requests,
                    s.total_cost.units(),
                    s.total_tokens_output,
                )
            })
            .collect();
        assert_eq!(
            sums,
            [(Some(2), 3, 30, 9), (None, 4, 1, 12), (Some(1), 0, 0, 0)]
        );
        assert!(group_keys(vec![(1, counts(1, i64::MAX)), (1, counts(1, 1))]).is_none());
        assert!(group_keys(vec![(1, counts(1, i64::MAX)), (2, counts(1, 1))]).is_some());
    }

    proptest! {
        #[test]
        fn grouped_keys_keep_every_unit_or_refuse(rows in prop::collection::vec((0u8..4, any::<i64>(), any::<i64>()), 0..20)) {
            let keys = rows.iter().map(|(who, req, cost)| (*who, Counts { requests_count: *req, cost: Money::from_units(*cost), ..Counts::default() }));
            if let Some(groups) = group_keys(keys) {
                let total: i128 = groups.iter().map(|(_, s)| i128::from(s.total_cost.units())).sum();
                prop_assert_eq!(total, rows.iter().map(|r| i128::from(r.2)).sum::<i128>());
                let mut whos: Vec<u8> = groups.iter().map(|(w, _)| *w).collect();
                whos.sort_unstable();
                whos.dedup();
                prop_assert_eq!(whos.len(), groups.len(), "one group each");
            } else {
                // Some group's running sum left i64.
                let mut fits = true;
                for who in 0u8..4 {
                    let of = |f: fn(&(u8, i64, i64)) -> i64| rows.iter().filter(|r| r.0 == who).map(f).try_fold(0i64, |a, v| a.checked_add(v)).is_some();
                    fits &= of(|r| r.1) && of(|r| r.2);
                }
                prop_assert!(!fits);
            }
        }


        #[test]
        fn any_members_sum_exactly_or_refuse(rows in prop::collection::vec((any::<Option<i64>>(), any::<i64>(), any::<i64>()), 0..20)) {
            let members: Vec<_> = rows.iter().map(|(id, req, cost)| MemberSpend {
                user_id: *id, email: None,
                totals: Summary { total_requests: *req, total_cost: Money::from_units(*cost), ..Summary::default() },
            }).collect();
            // The running sums in i128 never overflow: a refusal is right
            // exactly when one leaves i64 on the way.
            let fits = |values: Vec<i64>| values.iter().try_fold(0i64, |acc, v| acc.checked_add(*v)).is_some();
            let representable = fits(rows.iter().map(|r| r.1).collect()) && fits(rows.iter().map(|r| r.2).collect());
            match ranked_with_total(members) {
                Some((sum, ranked)) => {
                    prop_assert!(representable);
                    prop_assert_eq!(i128::from(sum.total_cost.units()), rows.iter().map(|r| i128::from(r.2)).sum::<i128>());
                    prop_assert_eq!(ranked.len(), rows.len());
                    prop_assert!(ranked.windows(2).all(|w| w[0].totals.total_cost >= w[1].totals.total_cost));
                }
                None => prop_assert!(!representable),
            }
        }
    }
}
