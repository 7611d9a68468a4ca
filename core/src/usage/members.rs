//! Spend per member (`/api/v1/stats?group_by=member`): each person's
//! figures over the keys they added, ordered most expensive first, and
//! their exact sum, which is the range's summary.

use serde::Serialize;
use utoipa::ToSchema;

use super::shapes::Summary;

#[derive(Debug, Clone, PartialEq, Eq, Serialize, ToSchema)]
pub struct MemberSpend {
    /// The person who added the keys; null for keys whose person's account is gone.
    #[schema(minimum = 1, maximum = 9007199254740991_i64)]
    pub user_id: Option<i64>,
    #[schema(max_length = 254)]
    pub email: Option<String>,
    /// Over the keys this person added.
    #[serde(flatten)]
    pub totals: Summary,
}

/// The members most expensive first (then by person, the gone last) and
/// their sum; `None` when a sum leaves the range of its type.
pub fn ranked_with_total(mut members: Vec<MemberSpend>) -> Option<(Summary, Vec<MemberSpend>)> {
    let mut sum = Summary::default();
    for m in &members {
        let t = &m.totals;
        sum.total_requests = sum.total_requests.checked_add(t.total_requests)?;
        sum.total_cost = sum.total_cost.checked_add(t.total_cost)?;
        sum.total_tokens_input = sum.total_tokens_input.checked_add(t.total_tokens_input)?;
        sum.total_tokens_output = sum.total_tokens_output.checked_add(t.total_tokens_output)?;
    }
    members.sort_by(|a, b| {
        b.totals
            .total_cost
            .cmp(&a.totals.total_cost)
            .then_with(|| a.user_id.is_none().cmp(&b.user_id.is_none()))
            .then_with(|| a.user_id.cmp(&b.user_id))
    });
    Some((sum, members))
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
            ranked_with_total(Vec::new()).map(|(s, m)| (s.total_cost, m.len())),
            Some((Money::ZERO, 0))
        );
    }

    proptest! {
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
