//! ABC (Pareto) classification of customers by value, Lorenz curve and Gini coefficient.
//!
//! Customers are ordered by value, descending, ties by key. Customers with zero or negative
//! value are always class C, and shares of value are shares of the total *positive* value
//! (net refunds cannot make a share exceed 1).

use rust_decimal::Decimal;
use rust_decimal::prelude::ToPrimitive;
use serde::{Deserialize, Serialize};
use std::fmt;

use crate::error::SegmentationError;

/// An ABC class; `A` is the most valuable.
///
/// ```
/// use crm_segmentation::AbcClass;
/// assert!(AbcClass::A < AbcClass::C);
/// assert_eq!(AbcClass::B.to_string(), "B");
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
pub enum AbcClass {
    /// The most valuable customers.
    A,
    /// The middle.
    B,
    /// The rest, and every customer with zero or negative value.
    C,
}

impl fmt::Display for AbcClass {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            AbcClass::A => "A",
            AbcClass::B => "B",
            AbcClass::C => "C",
        })
    }
}

/// How classes are cut.
///
/// ```
/// use crm_segmentation::AbcMethod;
/// use rust_decimal::Decimal;
/// assert_eq!(
///     AbcMethod::default(),
///     AbcMethod::CumulativeShare { a: Decimal::new(80, 2), b: Decimal::new(95, 2) }
/// );
/// assert!(AbcMethod::CumulativeShare { a: Decimal::ONE, b: Decimal::new(5, 1) }.validate().is_err());
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum AbcMethod {
    /// A while the cumulative value share of the customers *before* this one is `< a`,
    /// B while it is `< b`, C after.
    CumulativeShare {
        /// Upper bound of the value share before an A customer (default 0.80).
        a: Decimal,
        /// Upper bound of the value share before a B customer (default 0.95).
        b: Decimal,
    },
    /// A while the share of customers before this one is `< a` (the top `a`), B while it
    /// is `< a + b` (the next `b`), C after.
    RankShare {
        /// Share of customers in A (default 0.05).
        a: Decimal,
        /// Share of customers in B (default 0.15).
        b: Decimal,
    },
}

impl Default for AbcMethod {
    fn default() -> Self {
        AbcMethod::CumulativeShare {
            a: Decimal::new(80, 2),
            b: Decimal::new(95, 2),
        }
    }
}

impl AbcMethod {
    /// The "top 5% / next 15%" rank rule.
    ///
    /// ```
    /// use crm_segmentation::{AbcClass, AbcMethod, classify};
    /// use rust_decimal::Decimal;
    /// let values = (1..=20u32).map(|k| (k, Decimal::from(k)));
    /// let result = classify(values, &AbcMethod::rank_share_default())?;
    /// let count = |class| result.entries.iter().filter(|e| e.class == class).count();
    /// assert_eq!((count(AbcClass::A), count(AbcClass::B), count(AbcClass::C)), (1, 3, 16));
    /// # Ok::<(), crm_segmentation::SegmentationError>(())
    /// ```
    pub fn rank_share_default() -> Self {
        AbcMethod::RankShare {
            a: Decimal::new(5, 2),
            b: Decimal::new(15, 2),
        }
    }

    /// Checks that the thresholds lie in (0, 1] and increase.
    ///
    /// ```
    /// use crm_segmentation::{AbcMethod, SegmentationError};
    /// use rust_decimal::Decimal;
    /// let share = |a, b| AbcMethod::CumulativeShare { a: Decimal::new(a, 2), b: Decimal::new(b, 2) };
    /// assert!(share(70, 90).validate().is_ok());
    /// assert!(matches!(share(90, 70).validate(), Err(SegmentationError::InvalidThreshold { field: "b", .. })));
    /// assert!(matches!(share(0, 70).validate(), Err(SegmentationError::InvalidThreshold { field: "a", .. })));
    /// ```
    pub fn validate(&self) -> Result<(), SegmentationError> {
        let (a, b_end) = match *self {
            AbcMethod::CumulativeShare { a, b } => (a, b),
            AbcMethod::RankShare { a, b } => {
                if b <= Decimal::ZERO {
                    return Err(SegmentationError::InvalidThreshold {
                        field: "b",
                        reason: format!("share {b} must be positive"),
                    });
                }
                (a, a + b)
            }
        };
        if a <= Decimal::ZERO || a > Decimal::ONE {
            return Err(SegmentationError::InvalidThreshold {
                field: "a",
                reason: format!("{a} is outside (0, 1]"),
            });
        }
        if b_end <= a || b_end > Decimal::ONE {
            return Err(SegmentationError::InvalidThreshold {
                field: "b",
                reason: format!("end of B {b_end} must lie in ({a}, 1]"),
            });
        }
        Ok(())
    }
}

/// One customer's value and class.
///
/// ```
/// use crm_segmentation::{AbcClass, AbcEntry, AbcMethod, classify};
/// use rust_decimal::Decimal;
/// let result = classify([("refunded", Decimal::from(-5)), ("buyer", Decimal::from(5))], &AbcMethod::default())?;
/// assert_eq!(
///     result.entries,
///     [
///         AbcEntry { customer: "buyer", value: Decimal::from(5), class: AbcClass::A },
///         AbcEntry { customer: "refunded", value: Decimal::from(-5), class: AbcClass::C },
///     ]
/// );
/// # Ok::<(), crm_segmentation::SegmentationError>(())
/// ```
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct AbcEntry<K> {
    /// The customer.
    pub customer: K,
    /// The value classified (for example net revenue).
    pub value: Decimal,
    /// The class.
    pub class: AbcClass,
}

/// Totals of one class.
///
/// ```
/// use crm_segmentation::{AbcClass, AbcMethod, classify};
/// use rust_decimal::Decimal;
/// let values = [("a", 80), ("b", 15), ("c", 5)].map(|(k, v)| (k, Decimal::from(v)));
/// let result = classify(values, &AbcMethod::default())?;
/// let a = &result.summary[0];
/// assert_eq!((a.class, a.customers, a.value), (AbcClass::A, 1, Decimal::from(80)));
/// assert!((a.value_share.unwrap() - 0.8).abs() < 1e-12);
/// assert!((a.customer_share - 1.0 / 3.0).abs() < 1e-12);
/// # Ok::<(), crm_segmentation::SegmentationError>(())
/// ```
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct AbcClassSummary {
    /// The class.
    pub class: AbcClass,
    /// Customers in the class.
    pub customers: u64,
    /// Fraction of all customers.
    pub customer_share: f64,
    /// Net value of the class.
    pub value: Decimal,
    /// Fraction of the total net value (`None` if it is zero).
    pub value_share: Option<f64>,
}

/// The result of [`classify`]: the entries by value and one summary per class.
///
/// ```
/// use crm_segmentation::{AbcClass, AbcMethod, classify};
/// use rust_decimal::Decimal;
/// let result = classify([(1_u8, Decimal::TEN), (2, Decimal::ONE)], &AbcMethod::default())?;
/// assert_eq!(result.entries[0].customer, 1);
/// let classes: Vec<AbcClass> = result.summary.iter().map(|s| s.class).collect();
/// assert_eq!(classes, [AbcClass::A, AbcClass::B, AbcClass::C]);
/// # Ok::<(), crm_segmentation::SegmentationError>(())
/// ```
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct AbcResult<K> {
    /// Customers by value, descending, ties by key.
    pub entries: Vec<AbcEntry<K>>,
    /// One summary per class, A, B, C.
    pub summary: Vec<AbcClassSummary>,
}

/// Classes of `values` in input order (the order used is value descending, ties by key).
pub(crate) fn classes<K: Ord + fmt::Display>(
    keys: &[K],
    values: &[Decimal],
    method: &AbcMethod,
) -> Result<Vec<AbcClass>, SegmentationError> {
    method.validate()?;
    let mut order: Vec<usize> = (0..values.len()).collect();
    order.sort_unstable_by(|&i, &j| {
        values[j]
            .cmp(&values[i])
            .then_with(|| keys[i].cmp(&keys[j]))
    });
    let mut next = Classifier::new(keys.iter().zip(values), *method)?;
    let mut out = vec![AbcClass::C; values.len()];
    for &i in &order {
        out[i] = next.class(values[i]);
    }
    Ok(out)
}

/// Gives classes to values met in order, value descending.
struct Classifier {
    method: AbcMethod,
    /// Total of the positive values.
    positive: Decimal,
    /// Number of values, as a decimal.
    n: Decimal,
    /// Total of the positive values met so far.
    before: Decimal,
    /// Values met so far.
    position: u64,
}

impl Classifier {
    /// A classifier of `(key, value)` pairs.
    ///
    /// # Errors
    /// [`SegmentationError::SumOverflow`] naming the customer whose positive value makes
    /// the total overflow.
    fn new<'a, K: fmt::Display + 'a>(
        values: impl ExactSizeIterator<Item = (&'a K, &'a Decimal)>,
        method: AbcMethod,
    ) -> Result<Self, SegmentationError> {
        let n = Decimal::from(values.len() as u64);
        let mut positive = Decimal::ZERO;
        for (key, v) in values.filter(|(_, v)| **v > Decimal::ZERO) {
            positive = checked_sum(positive, *v, "the total of positive values", key)?;
        }
        Ok(Self {
            method,
            positive,
            n,
            before: Decimal::ZERO,
            position: 0,
        })
    }

    /// The class of the next value; zero and negative values are C.
    fn class(&mut self, v: Decimal) -> AbcClass {
        let position = self.position;
        self.position += 1;
        if v <= Decimal::ZERO {
            return AbcClass::C;
        }
        let class = match self.method {
            AbcMethod::CumulativeShare { a, b } => {
                // before / positive < a  <=>  before < a * positive (exact). Shares are at
                // most 1, so a * positive and b * positive never exceed the (checked) total.
                if self.before < a.saturating_mul(self.positive) {
                    AbcClass::A
                } else if self.before < b.saturating_mul(self.positive) {
                    AbcClass::B
                } else {
                    AbcClass::C
                }
            }
            AbcMethod::RankShare { a, b } => {
                let p = Decimal::from(position);
                if p < a.saturating_mul(self.n) {
                    AbcClass::A
                } else if p < (a + b).saturating_mul(self.n) {
                    AbcClass::B
                } else {
                    AbcClass::C
                }
            }
        };
        // A partial sum of the positive values, bounded by their checked total.
        self.before = self.before.saturating_add(v);
        class
    }
}

/// Classifies customers by value.
///
/// ```
/// use crm_segmentation::{classify, AbcMethod};
/// use crm_segmentation::AbcClass;
/// use rust_decimal::Decimal;
/// // Total 100. Before "a": 0% -> A; before "b": 70% -> A; before "c": 85% -> B; "d" -> C.
/// let values = vec![("a", Decimal::from(70)), ("b", Decimal::from(15)),
///                   ("c", Decimal::from(10)), ("d", Decimal::from(5))];
/// let result = classify(values, &AbcMethod::default())?;
/// let classes: Vec<AbcClass> = result.entries.iter().map(|e| e.class).collect();
/// assert_eq!(classes, [AbcClass::A, AbcClass::A, AbcClass::B, AbcClass::C]);
/// # Ok::<(), crm_segmentation::SegmentationError>(())
/// ```
pub fn classify<K, I>(values: I, method: &AbcMethod) -> Result<AbcResult<K>, SegmentationError>
where
    K: Ord + fmt::Display,
    I: IntoIterator<Item = (K, Decimal)>,
{
    method.validate()?;
    let mut entries: Vec<AbcEntry<K>> = values
        .into_iter()
        .map(|(customer, value)| AbcEntry {
            customer,
            value,
            class: AbcClass::C,
        })
        .collect();
    // Entries equal in value and key are interchangeable, so an unstable sort is enough.
    entries.sort_unstable_by(|x, y| {
        y.value
            .cmp(&x.value)
            .then_with(|| x.customer.cmp(&y.customer))
    });
    let mut next = Classifier::new(entries.iter().map(|e| (&e.customer, &e.value)), *method)?;
    for e in &mut entries {
        e.class = next.class(e.value);
    }
    let n = entries.len();
    let mut total = Decimal::ZERO;
    for e in &entries {
        total = checked_sum(total, e.value, "the total value", &e.customer)?;
    }
    let summary = [AbcClass::A, AbcClass::B, AbcClass::C]
        .into_iter()
        .map(|class| {
            let members = entries.iter().filter(|e| e.class == class);
            let customers = members.clone().count() as u64;
            let mut value = Decimal::ZERO;
            for e in members {
                value = checked_sum(value, e.value, "a class's total value", &e.customer)?;
            }
            Ok(AbcClassSummary {
                class,
                customers,
                customer_share: if n == 0 {
                    0.0
                } else {
                    customers as f64 / n as f64
                },
                value,
                value_share: if total.is_zero() {
                    None
                } else {
                    value.checked_div(total).and_then(|x| x.to_f64())
                },
            })
        })
        .collect::<Result<_, SegmentationError>>()?;
    Ok(AbcResult { entries, summary })
}

/// `sum + value`, or [`SegmentationError::SumOverflow`] naming `what` and the customer.
pub(crate) fn checked_sum<K: fmt::Display + ?Sized>(
    sum: Decimal,
    value: Decimal,
    what: &'static str,
    customer: &K,
) -> Result<Decimal, SegmentationError> {
    sum.checked_add(value)
        .ok_or_else(|| SegmentationError::SumOverflow {
            what,
            customer: Some(customer.to_string()),
        })
}

/// One point of a Lorenz curve: the poorest `customer_share` of the customers hold
/// `value_share` of the value.
///
/// ```
/// use crm_segmentation::{LorenzPoint, lorenz};
/// use rust_decimal::Decimal;
/// let curve = lorenz(&[1, 3].map(Decimal::from), 10).unwrap();
/// assert_eq!(curve.points[1], LorenzPoint { customer_share: 0.5, value_share: 0.25 });
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub struct LorenzPoint {
    /// Share of customers (poorest first).
    pub customer_share: f64,
    /// Share of value they hold.
    pub value_share: f64,
}

/// A Lorenz curve and the Gini coefficient of customer value.
///
/// ```
/// use crm_segmentation::lorenz;
/// use rust_decimal::Decimal;
/// // Equal values: the curve is the diagonal and the Gini coefficient 0.
/// let equal = lorenz(&[Decimal::TEN; 4], 10).unwrap();
/// assert_eq!(equal.gini, Some(0.0));
/// assert!(equal.points.iter().all(|p| p.customer_share == p.value_share));
/// // Only refunds: no positive value, no Gini coefficient.
/// assert_eq!(lorenz(&[Decimal::NEGATIVE_ONE], 10).unwrap().gini, None);
/// ```
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct LorenzCurve {
    /// Points from (0, 0) to (1, 1), at most `max_points` of them.
    pub points: Vec<LorenzPoint>,
    /// Gini coefficient in [0, 1); `None` when there is no positive value.
    pub gini: Option<f64>,
}

/// The Lorenz curve and Gini coefficient of `values` (negative values count as zero).
///
/// # Errors
/// [`SegmentationError::SumOverflow`] when the total of the values does not fit a decimal
/// (the shares would be wrong).
///
/// `gini = 2 * sum(i * x_i) / (n * sum(x)) - (n + 1) / n` with values sorted ascending and
/// `i` counted from 1. The Pareto curve is the same curve read from the richest end.
///
/// ```
/// use crm_segmentation::lorenz;
/// use rust_decimal::Decimal;
/// let v = [0, 0, 0, 1].map(Decimal::from);
/// let curve = lorenz(&v, 100)?;
/// assert!((curve.gini.unwrap() - 0.75).abs() < 1e-12);
/// assert_eq!(curve.points.len(), 5);
/// assert_eq!(curve.points[3].value_share, 0.0);
/// // Two values of 5e28 add up to more than a decimal holds.
/// let huge = Decimal::from_i128_with_scale(5 * 10_i128.pow(28), 0);
/// assert!(lorenz(&[huge, huge], 10).is_err());
/// # Ok::<(), crm_segmentation::SegmentationError>(())
/// ```
pub fn lorenz(values: &[Decimal], max_points: usize) -> Result<LorenzCurve, SegmentationError> {
    let mut v: Vec<Decimal> = values.iter().map(|x| (*x).max(Decimal::ZERO)).collect();
    v.sort_unstable();
    let n = v.len();
    let mut total = Decimal::ZERO;
    for x in &v {
        total = total
            .checked_add(*x)
            .ok_or(SegmentationError::SumOverflow {
                what: "the Lorenz curve's total value",
                customer: None,
            })?;
    }
    let totalf = total.to_f64().unwrap_or(0.0);
    let mut cum = Vec::with_capacity(n + 1);
    cum.push(0.0f64);
    let mut run = Decimal::ZERO;
    let mut weighted = 0f64;
    for (i, x) in v.iter().enumerate() {
        // A partial sum of non-negative values, bounded by their checked total.
        run = run.saturating_add(*x);
        cum.push(run.to_f64().unwrap_or(0.0));
        weighted += (i as f64 + 1.0) * x.to_f64().unwrap_or(0.0);
    }
    let gini = (n > 0 && total > Decimal::ZERO)
        .then(|| 2.0 * weighted / (n as f64 * totalf) - (n as f64 + 1.0) / n as f64);
    let max_points = max_points.max(2);
    let idx: Vec<usize> = if n < max_points {
        (0..=n).collect()
    } else {
        let mut idx: Vec<usize> = (0..max_points).map(|j| j * n / (max_points - 1)).collect();
        idx.dedup();
        idx
    };
    let points = idx
        .into_iter()
        .map(|i| LorenzPoint {
            customer_share: if n == 0 { 0.0 } else { i as f64 / n as f64 },
            value_share: if totalf > 0.0 { cum[i] / totalf } else { 0.0 },
        })
        .collect();
    Ok(LorenzCurve { points, gini })
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    fn d(x: i64) -> Decimal {
        Decimal::from(x)
    }

    #[test]
    fn cumulative_share_hand_table_with_ties_and_refunds() {
        // Positive total = 40 + 30 + 20 + 10 = 100 (the -5 refund customer is C).
        // Order: b 40 (before 0 -> A), a 30 (40 -> A), c 20 (70 -> A), d 10 (90 -> B),
        // e 0 -> C, f -5 -> C.
        let keys = ["a", "b", "c", "d", "e", "f"];
        let values = [d(30), d(40), d(20), d(10), d(0), d(-5)];
        let c = classes(&keys, &values, &AbcMethod::default()).unwrap();
        use AbcClass::*;
        assert_eq!(c, vec![A, A, A, B, C, C]);
        // Ties broken by key: the share before "y" is 50% with a = 0.5 -> "y" is B.
        let c = classes(
            &["x", "y"],
            &[d(5), d(5)],
            &AbcMethod::CumulativeShare {
                a: Decimal::new(5, 1),
                b: Decimal::ONE,
            },
        )
        .unwrap();
        assert_eq!(c, vec![A, B]);
    }

    #[test]
    fn rank_share_hand_table() {
        // 20 customers valued 20..1: top 5% = 1 customer (position 0 < 1), next 15% =
        // positions 1..=3 (< 4), the rest C.
        let keys: Vec<u32> = (0..20).collect();
        let values: Vec<Decimal> = (0..20).map(|i| d(20 - i)).collect();
        let c = classes(&keys, &values, &AbcMethod::rank_share_default()).unwrap();
        assert_eq!(c.iter().filter(|x| **x == AbcClass::A).count(), 1);
        assert_eq!(c.iter().filter(|x| **x == AbcClass::B).count(), 3);
        assert_eq!(c[0], AbcClass::A);
        assert_eq!(&c[1..4], &[AbcClass::B; 3]);
        // Zero value is C even in the top share.
        let c = classes(&[1, 2], &[d(0), d(-1)], &AbcMethod::rank_share_default()).unwrap();
        assert_eq!(c, vec![AbcClass::C, AbcClass::C]);
    }

    #[test]
    fn empty_and_single() {
        let r = classify(Vec::<(u8, Decimal)>::new(), &AbcMethod::default()).unwrap();
        assert!(r.entries.is_empty());
        let r = classify(vec![(1u8, d(3))], &AbcMethod::default()).unwrap();
        assert_eq!(r.entries[0].class, AbcClass::A);
        assert_eq!(lorenz(&[], 10).unwrap().gini, None);
        assert_eq!(lorenz(&[d(4), d(4)], 10).unwrap().gini, Some(0.0));
    }

    #[test]
    fn invalid_thresholds() {
        let m = AbcMethod::RankShare {
            a: Decimal::new(9, 1),
            b: Decimal::new(2, 1),
        };
        assert!(matches!(
            m.validate(),
            Err(SegmentationError::InvalidThreshold { field: "b", .. })
        ));
        let m = AbcMethod::CumulativeShare {
            a: Decimal::ZERO,
            b: Decimal::ONE,
        };
        assert!(classes(&[1], &[d(1)], &m).is_err());
    }

    #[test]
    fn gini_hand_values() {
        // 1, 2, 3, 4: 2 * (1 + 4 + 9 + 16) / (4 * 10) - 5/4 = 1.5 - 1.25 = 0.25.
        let g = lorenz(&[d(3), d(1), d(4), d(2)], 3).unwrap();
        assert!((g.gini.unwrap() - 0.25).abs() < 1e-12);
        assert_eq!(g.points.first().unwrap().customer_share, 0.0);
        assert_eq!(g.points.last().unwrap().value_share, 1.0);
        assert!(g.points.len() <= 3);
    }

    proptest! {
        #[test]
        fn classes_monotone_in_value_and_shares_sum_to_one(
            values in proptest::collection::vec(-100i64..1000, 0..80),
            rank in any::<bool>(),
        ) {
            let method = if rank { AbcMethod::rank_share_default() } else { AbcMethod::default() };
            let vals: Vec<Decimal> = values.iter().map(|v| d(*v)).collect();
            let keys: Vec<usize> = (0..vals.len()).collect();
            let c = classes(&keys, &vals, &method).unwrap();
            for i in 0..vals.len() {
                for j in 0..vals.len() {
                    if vals[i] > vals[j] { prop_assert!(c[i] <= c[j]); }
                }
                if vals[i] <= Decimal::ZERO { prop_assert_eq!(c[i], AbcClass::C); }
            }
            let r = classify(keys.iter().copied().zip(vals.iter().copied()), &method).unwrap();
            // Both give every customer the same class, and the entries are in value order.
            for e in &r.entries {
                prop_assert_eq!(e.class, c[e.customer]);
            }
            for w in r.entries.windows(2) {
                prop_assert!((w[0].value, std::cmp::Reverse(w[0].customer)) >= (w[1].value, std::cmp::Reverse(w[1].customer)));
            }
            if !vals.is_empty() {
                let s: f64 = r.summary.iter().map(|x| x.customer_share).sum();
                prop_assert!((s - 1.0).abs() < 1e-9);
            }
            if r.summary.iter().all(|x| x.value_share.is_some()) {
                let s: f64 = r.summary.iter().filter_map(|x| x.value_share).sum();
                prop_assert!((s - 1.0).abs() < 1e-9);
            }
            let g = lorenz(&vals, 50).unwrap();
            if let Some(g) = g.gini { prop_assert!((-1e-9..1.0).contains(&g)); }
        }

        #[test]
        fn classes_independent_of_order(values in proptest::collection::vec(-10i64..50, 0..40)) {
            let vals: Vec<Decimal> = values.iter().map(|v| d(*v)).collect();
            let keys: Vec<usize> = (0..vals.len()).collect();
            let fwd = classify(keys.iter().copied().zip(vals.iter().copied()), &AbcMethod::default()).unwrap();
            let rev = classify(keys.iter().copied().zip(vals.iter().copied()).rev(), &AbcMethod::default()).unwrap();
            prop_assert_eq!(fwd, rev);
        }
    }
}
