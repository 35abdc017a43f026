//! Win-back: which lapsed or at-risk customers are worth the most to win back.

use std::collections::HashSet;

use crm_core::{CustomerId, Money};
use rust_decimal::Decimal;
use serde::{Deserialize, Serialize};

use super::CampaignError;

/// A customer who may be won back, with the two numbers that value them, both computed
/// elsewhere (e.g. by a BG/NBD model): the probability that the customer is still active
/// and the expected value of their future purchases.
///
/// ```
/// use crm_engagement::WinBackCandidate;
/// let c = WinBackCandidate { customer: 7.into(), p_alive: 0.4, expected_clv: "250 EUR".parse()? };
/// assert_eq!(c.p_alive, 0.4);
/// # Ok::<(), crm_core::MoneyError>(())
/// ```
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct WinBackCandidate {
    /// The customer.
    pub customer: CustomerId,
    /// Probability the customer is still active, in `[0, 1]`.
    pub p_alive: f64,
    /// Expected customer lifetime value if active.
    pub expected_clv: Money,
}

/// A ranked win-back target.
///
/// ```
/// use crm_engagement::{WinBackCandidate, rank_win_back};
/// let ranked = rank_win_back(&[WinBackCandidate { customer: 1.into(), p_alive: 0.5, expected_clv: "80 EUR".parse()? }], None)?;
/// assert_eq!((ranked[0].rank, ranked[0].expected_value.to_string().as_str()), (1, "40.00 EUR"));
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct WinBackTarget {
    /// 1 for the most valuable.
    pub rank: usize,
    /// The customer.
    pub customer: CustomerId,
    /// Probability the customer is still active.
    pub p_alive: f64,
    /// Expected lifetime value if active.
    pub expected_clv: Money,
    /// `p_alive × expected_clv`.
    pub expected_value: Money,
}

/// Ranks win-back candidates by expected value `P(alive) × expected CLV`, highest first
/// (ties by customer id), keeping the first `limit` when given.
///
/// The probability is converted to `Decimal` and the product is exact. Every CLV must be
/// in one currency; a customer may appear once. `O(n log n)`.
///
/// ```
/// use crm_engagement::{WinBackCandidate, rank_win_back};
/// let c = |id: i64, p, clv: &str| WinBackCandidate { customer: id.into(), p_alive: p, expected_clv: clv.parse().unwrap() };
/// let ranked = rank_win_back(&[c(1, 0.9, "100 EUR"), c(2, 0.2, "1000 EUR"), c(3, 0.5, "150 EUR")], Some(2))?;
/// let order: Vec<String> = ranked.iter().map(|t| t.customer.to_string()).collect();
/// assert_eq!(order, ["2", "1"]); // 200 and 90; customer 3 (75) is cut by the limit
/// # Ok::<(), crm_engagement::CampaignError>(())
/// ```
pub fn rank_win_back(
    candidates: &[WinBackCandidate],
    limit: Option<usize>,
) -> Result<Vec<WinBackTarget>, CampaignError> {
    let mut seen = HashSet::with_capacity(candidates.len());
    let currency = candidates.first().map(|c| c.expected_clv.currency());
    let mut targets = Vec::with_capacity(candidates.len());
    for c in candidates {
        let customer = || c.customer.to_string();
        if !seen.insert(&c.customer) {
            return Err(CampaignError::DuplicateCustomer {
                customer: customer(),
            });
        }
        if !(0.0..=1.0).contains(&c.p_alive) {
            return Err(CampaignError::InvalidProbability {
                customer: customer(),
                value: c.p_alive,
            });
        }
        if let Some(expected) = currency
            && c.expected_clv.currency() != expected
        {
            return Err(CampaignError::CurrencyMismatch {
                context: format!("win-back list, customer {}", c.customer),
                what: "expected CLV".into(),
                expected: expected.code(),
                found: c.expected_clv.currency().code(),
            });
        }
        let overflow = || CampaignError::Overflow {
            campaign: format!("win-back of customer {}", c.customer),
            figure: "expected value",
        };
        let p = Decimal::try_from(c.p_alive).map_err(|_| overflow())?;
        let value = c.expected_clv.checked_mul(p).map_err(|_| overflow())?;
        targets.push(WinBackTarget {
            rank: 0,
            customer: c.customer.clone(),
            p_alive: c.p_alive,
            expected_clv: c.expected_clv,
            expected_value: value,
        });
    }
    targets.sort_by(|a, b| {
        b.expected_value
            .amount()
            .cmp(&a.expected_value.amount())
            .then_with(|| a.customer.cmp(&b.customer))
    });
    targets.truncate(limit.unwrap_or(usize::MAX));
    for (i, t) in targets.iter_mut().enumerate() {
        t.rank = i + 1;
    }
    Ok(targets)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn c(id: i64, p: f64, clv: &str) -> WinBackCandidate {
        WinBackCandidate {
            customer: id.into(),
            p_alive: p,
            expected_clv: clv.parse().unwrap(),
        }
    }

    #[test]
    fn ranks_ties_and_errors() {
        let ranked = rank_win_back(
            &[
                c(3, 0.5, "100 EUR"),
                c(1, 0.25, "200 EUR"),
                c(2, 1.0, "10 EUR"),
            ],
            None,
        )
        .unwrap();
        let rows: Vec<(usize, String, String)> = ranked
            .iter()
            .map(|t| (t.rank, t.customer.to_string(), t.expected_value.to_string()))
            .collect();
        assert_eq!(
            rows,
            [
                (1, "1".into(), "50.00 EUR".into()),
                (2, "3".into(), "50.00 EUR".into()),
                (3, "2".into(), "10.00 EUR".into())
            ]
        );
        assert_eq!(
            rank_win_back(&[c(1, 1.2, "1 EUR")], None)
                .unwrap_err()
                .to_string(),
            "customer 1: probability alive 1.2 is outside [0, 1]"
        );
        assert!(rank_win_back(&[c(1, f64::NAN, "1 EUR")], None).is_err());
        assert_eq!(
            rank_win_back(&[c(1, 0.1, "1 EUR"), c(2, 0.1, "1 USD")], None)
                .unwrap_err()
                .to_string(),
            "win-back list, customer 2: expected CLV in USD, expected EUR"
        );
        assert!(matches!(
            rank_win_back(&[c(1, 0.1, "1 EUR"), c(1, 0.2, "1 EUR")], None),
            Err(CampaignError::DuplicateCustomer { .. })
        ));
        assert!(rank_win_back(&[], Some(3)).unwrap().is_empty());
    }
}
