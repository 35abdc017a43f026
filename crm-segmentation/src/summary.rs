//! Per-group summaries (segments, tiers): customers, revenue, their shares and mean R/F/M.

use std::fmt;

use rust_decimal::Decimal;
use rust_decimal::prelude::ToPrimitive;
use serde::{Deserialize, Serialize};

use crate::abc::checked_sum;
use crate::error::SegmentationError;
use crate::rfm::RfmTable;

/// Summary of one group of customers.
///
/// Shares are fractions of all customers in the table (they sum to 1 over all groups);
/// `revenue_share` is `None` when the table's total revenue is zero.
///
/// ```
/// use chrono::{TimeZone, Utc};
/// use crm_segmentation::{RfmConfig, rfm};
/// use rust_decimal::Decimal;
/// let t = |d| Utc.with_ymd_and_hms(2024, 1, d, 0, 0, 0).unwrap();
/// let rows = vec![(1_u8, t(1), Decimal::from(30)), (2, t(1), Decimal::from(10)), (3, t(20), Decimal::from(60))];
/// let table = rfm(rows, &RfmConfig::default())?;
/// let lost = table.segment_summary()?.into_iter().find(|g| g.name == "Lost").unwrap();
/// assert_eq!((lost.customers, lost.revenue), (2, Decimal::from(40)));
/// assert_eq!(lost.mean_monetary, Some(Decimal::from(20)));
/// assert!((lost.revenue_share.unwrap() - 0.4).abs() < 1e-12);
/// assert_eq!(lost.mean_recency_days, 19.0);
/// # Ok::<(), crm_segmentation::SegmentationError>(())
/// ```
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct GroupSummary {
    /// The group's name.
    pub name: String,
    /// Customers in the group.
    pub customers: u64,
    /// Fraction of all customers.
    pub customer_share: f64,
    /// Net revenue of the group.
    pub revenue: Decimal,
    /// Fraction of the total net revenue (`None` if the total is zero).
    pub revenue_share: Option<f64>,
    /// Mean recency in days (0 for an empty group).
    pub mean_recency_days: f64,
    /// Mean frequency (0 for an empty group).
    pub mean_frequency: f64,
    /// Mean monetary value (`None` for an empty group).
    pub mean_monetary: Option<Decimal>,
    /// Mean R score (0 for an empty group).
    pub mean_r: f64,
    /// Mean F score.
    pub mean_f: f64,
    /// Mean M score.
    pub mean_m: f64,
}

/// Summaries of the groups `names`, where `group(i)` is the group index of customer row `i`.
pub(crate) fn summarize<K: fmt::Display>(
    table: &RfmTable<K>,
    names: &[String],
    group: impl Fn(usize) -> usize,
) -> Result<Vec<GroupSummary>, SegmentationError> {
    let g = names.len();
    let mut count = vec![0u64; g];
    let mut revenue = vec![Decimal::ZERO; g];
    let mut monetary = vec![Decimal::ZERO; g];
    let mut sums = vec![[0f64; 5]; g];
    let mut total = Decimal::ZERO;
    for (i, c) in table.customers.iter().enumerate() {
        let j = group(i).min(g.saturating_sub(1));
        count[j] += 1;
        let key = &c.customer;
        revenue[j] = checked_sum(revenue[j], c.revenue, "a group's revenue", key)?;
        monetary[j] = checked_sum(monetary[j], c.monetary, "a group's monetary total", key)?;
        total = checked_sum(total, c.revenue, "the total revenue", key)?;
        let s = &mut sums[j];
        s[0] += f64::from(c.recency_days);
        s[1] += c.frequency as f64;
        s[2] += f64::from(c.r);
        s[3] += f64::from(c.f);
        s[4] += f64::from(c.m);
    }
    let n = table.customers.len();
    Ok((0..g)
        .map(|j| {
            let c = count[j];
            let mean = |x: f64| if c == 0 { 0.0 } else { x / c as f64 };
            GroupSummary {
                name: names[j].clone(),
                customers: c,
                customer_share: if n == 0 { 0.0 } else { c as f64 / n as f64 },
                revenue: revenue[j],
                revenue_share: if total.is_zero() {
                    None
                } else {
                    revenue[j].checked_div(total).and_then(|x| x.to_f64())
                },
                mean_recency_days: mean(sums[j][0]),
                mean_frequency: mean(sums[j][1]),
                mean_monetary: (c > 0)
                    .then(|| monetary[j].checked_div(Decimal::from(c)))
                    .flatten(),
                mean_r: mean(sums[j][2]),
                mean_f: mean(sums[j][3]),
                mean_m: mean(sums[j][4]),
            }
        })
        .collect())
}

impl<K: fmt::Display> RfmTable<K> {
    /// One summary per segment name (in [`RfmTable::segment_names`] order, empty segments
    /// included).
    ///
    /// # Errors
    /// [`SegmentationError::SumOverflow`] naming the customer whose revenue makes a group's
    /// or the table's total overflow a decimal.
    ///
    /// ```
    /// use chrono::{TimeZone, Utc};
    /// use crm_segmentation::{rfm, RfmConfig};
    /// use rust_decimal::Decimal;
    /// let t = Utc.with_ymd_and_hms(2024, 1, 1, 0, 0, 0).unwrap();
    /// let table = rfm(vec![(1_u8, t, Decimal::TEN), (2, t, Decimal::ONE)], &RfmConfig::default())?;
    /// let s = table.segment_summary()?;
    /// assert_eq!(s.len(), table.segment_names.len());
    /// let total: f64 = s.iter().filter_map(|g| g.revenue_share).sum();
    /// assert!((total - 1.0).abs() < 1e-12);
    /// # Ok::<(), crm_segmentation::SegmentationError>(())
    /// ```
    pub fn segment_summary(&self) -> Result<Vec<GroupSummary>, SegmentationError> {
        summarize(self, &self.segment_names, |i| {
            usize::from(self.customers[i].segment)
        })
    }
}
