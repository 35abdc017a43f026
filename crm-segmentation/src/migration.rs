//! Segment migration between two RFM results: who moved from which segment to which.

use serde::{Deserialize, Serialize};

use crate::rfm::RfmTable;

/// The label of "not in this table" (a new or a gone customer).
///
/// ```
/// use chrono::{TimeZone, Utc};
/// use crm_segmentation::{ABSENT, RfmConfig, migration, rfm};
/// use rust_decimal::Decimal;
/// let t = Utc.with_ymd_and_hms(2024, 1, 1, 0, 0, 0).unwrap();
/// let before = rfm(Vec::<(u8, chrono::DateTime<Utc>, Decimal)>::new(), &RfmConfig::default())?;
/// let after = rfm(vec![(1_u8, t, Decimal::ONE)], &RfmConfig::default())?;
/// let m = migration(&before, &after);
/// assert_eq!(m.from_name(&m.moves[0]), ABSENT); // a new customer
/// # Ok::<(), crm_segmentation::SegmentationError>(())
/// ```
pub const ABSENT: &str = "(absent)";

/// One customer's move; indices point into [`SegmentMigration::from`] and
/// [`SegmentMigration::to`], and [`SegmentMigration::from_name`] and
/// [`SegmentMigration::to_name`] give their names.
///
/// ```
/// use chrono::{TimeZone, Utc};
/// use crm_segmentation::{RfmConfig, SegmentMove, migration, rfm};
/// use rust_decimal::Decimal;
/// let t = Utc.with_ymd_and_hms(2024, 1, 1, 0, 0, 0).unwrap();
/// let table = rfm(vec![(1_u8, t, Decimal::ONE)], &RfmConfig::default())?;
/// let m = migration(&table, &table);
/// let lost = table.segment_index("Lost").map(usize::from);
/// assert_eq!(m.moves, [SegmentMove { customer: 1, from: lost.unwrap(), to: lost.unwrap() }]);
/// # Ok::<(), crm_segmentation::SegmentationError>(())
/// ```
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct SegmentMove<K> {
    /// The customer.
    pub customer: K,
    /// Segment before (the last label, [`ABSENT`], if the customer was not there).
    pub from: usize,
    /// Segment after (the last label, [`ABSENT`], if the customer is gone).
    pub to: usize,
}

/// A migration matrix with the moves behind it.
///
/// ```
/// use chrono::{TimeZone, Utc};
/// use crm_segmentation::{ABSENT, RfmConfig, migration, rfm};
/// use rust_decimal::Decimal;
/// let t = |d| Utc.with_ymd_and_hms(2024, 1, d, 0, 0, 0).unwrap();
/// let q1 = rfm(vec![(1_u8, t(1), Decimal::ONE)], &RfmConfig::default())?;
/// let q2 = rfm(vec![(2_u8, t(9), Decimal::ONE)], &RfmConfig::default())?;
/// let m = migration(&q1, &q2);
/// // Rows are the earlier segments, columns the later ones, each with ABSENT last.
/// assert_eq!(m.counts.len(), m.from.len());
/// assert_eq!(m.from.last().map(String::as_str), Some(ABSENT));
/// let total: u64 = m.counts.iter().flatten().sum();
/// assert_eq!(total, 2); // customer 1 left, customer 2 arrived
/// # Ok::<(), crm_segmentation::SegmentationError>(())
/// ```
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct SegmentMigration<K> {
    /// Row labels: the earlier table's segments, then [`ABSENT`].
    pub from: Vec<String>,
    /// Column labels: the later table's segments, then [`ABSENT`].
    pub to: Vec<String>,
    /// `counts[i][j]`: customers from `from[i]` to `to[j]`.
    pub counts: Vec<Vec<u64>>,
    /// Every customer of either table, by key.
    pub moves: Vec<SegmentMove<K>>,
}

impl<K> SegmentMigration<K> {
    /// The number of customers who moved from segment `from` to segment `to` (by name); 0
    /// for a name not in the matrix (see the example on [`migration`]).
    pub fn count(&self, from: &str, to: &str) -> u64 {
        match (
            self.from.iter().position(|x| x == from),
            self.to.iter().position(|x| x == to),
        ) {
            (Some(i), Some(j)) => self.counts[i][j],
            _ => 0,
        }
    }

    /// The customers whose segment name changed (including new and gone customers).
    ///
    /// ```
    /// use chrono::{TimeZone, Utc};
    /// use crm_segmentation::{RfmConfig, migration, rfm};
    /// use rust_decimal::Decimal;
    /// let t = |d| Utc.with_ymd_and_hms(2024, 1, d, 0, 0, 0).unwrap();
    /// let before = rfm(vec![(1_u8, t(1), Decimal::ONE), (2, t(1), Decimal::ONE)], &RfmConfig::default())?;
    /// let after = rfm(vec![(1_u8, t(1), Decimal::ONE), (2, t(1), Decimal::ONE), (3, t(2), Decimal::ONE)], &RfmConfig::default())?;
    /// let m = migration(&before, &after);
    /// let changed: Vec<(u8, &str, &str)> =
    ///     m.changed().map(|mv| (mv.customer, m.from_name(mv), m.to_name(mv))).collect();
    /// assert_eq!(changed, [(3, "(absent)", "Promising")]);
    /// # Ok::<(), crm_segmentation::SegmentationError>(())
    /// ```
    pub fn changed(&self) -> impl Iterator<Item = &SegmentMove<K>> {
        self.moves
            .iter()
            .filter(|m| self.from[m.from] != self.to[m.to])
    }

    /// The name of the segment a customer moved from ([`ABSENT`] for a new customer).
    ///
    /// ```
    /// use chrono::{TimeZone, Utc};
    /// use crm_segmentation::{RfmConfig, migration, rfm};
    /// use rust_decimal::Decimal;
    /// let t = |d| Utc.with_ymd_and_hms(2024, 1, d, 0, 0, 0).unwrap();
    /// let before = rfm(vec![(1_u8, t(1), Decimal::ONE), (2, t(20), Decimal::ONE)], &RfmConfig::default())?;
    /// let after = rfm(vec![(1_u8, t(1), Decimal::ONE)], &RfmConfig::default())?;
    /// let m = migration(&before, &after);
    /// let names: Vec<(&str, &str)> = m.moves.iter().map(|mv| (m.from_name(mv), m.to_name(mv))).collect();
    /// assert_eq!(names, [("Lost", "Lost"), ("About To Sleep", "(absent)")]);
    /// # Ok::<(), crm_segmentation::SegmentationError>(())
    /// ```
    pub fn from_name(&self, row: &SegmentMove<K>) -> &str {
        self.from.get(row.from).map_or(ABSENT, String::as_str)
    }

    /// The name of the segment a customer moved to ([`ABSENT`] for a gone customer); see
    /// [`from_name`](Self::from_name).
    pub fn to_name(&self, row: &SegmentMove<K>) -> &str {
        self.to.get(row.to).map_or(ABSENT, String::as_str)
    }
}

/// Compares two RFM tables (for example last quarter and this quarter).
///
/// ```
/// use chrono::{TimeZone, Utc};
/// use crm_segmentation::{rfm, RfmConfig};
/// use crm_segmentation::{migration, ABSENT};
/// use rust_decimal::Decimal;
/// let t = |m| Utc.with_ymd_and_hms(2024, m, 1, 0, 0, 0).unwrap();
/// let before = rfm(vec![(1_u8, t(1), Decimal::ONE), (2, t(3), Decimal::ONE)], &RfmConfig::default())?;
/// let after = rfm(vec![(2_u8, t(3), Decimal::ONE), (3, t(6), Decimal::ONE)], &RfmConfig::default())?;
/// let m = migration(&before, &after);
/// // Before: 1 is Lost (R 1, F 1), 2 About To Sleep (R 3, F 1); after: 2 is Lost, 3 About To Sleep.
/// assert_eq!(m.count("Lost", ABSENT), 1); // customer 1 is gone
/// assert_eq!(m.count("About To Sleep", "Lost"), 1); // customer 2 slipped
/// assert_eq!(m.count(ABSENT, "About To Sleep"), 1); // customer 3 is new
/// assert_eq!(m.moves.len(), 3);
/// # Ok::<(), crm_segmentation::SegmentationError>(())
/// ```
pub fn migration<K: Ord + Clone>(before: &RfmTable<K>, after: &RfmTable<K>) -> SegmentMigration<K> {
    let mut from = before.segment_names.clone();
    from.push(ABSENT.to_string());
    let mut to = after.segment_names.clone();
    to.push(ABSENT.to_string());
    let (fa, ta) = (from.len() - 1, to.len() - 1);
    let mut counts = vec![vec![0u64; to.len()]; from.len()];
    let mut moves = Vec::with_capacity(before.customers.len().max(after.customers.len()));
    let (mut i, mut j) = (0, 0);
    let (b, a) = (&before.customers, &after.customers);
    while i < b.len() || j < a.len() {
        let ord = match (b.get(i), a.get(j)) {
            (Some(x), Some(y)) => x.customer.cmp(&y.customer),
            (Some(_), None) => std::cmp::Ordering::Less,
            _ => std::cmp::Ordering::Greater,
        };
        let m = match ord {
            std::cmp::Ordering::Less => {
                i += 1;
                SegmentMove {
                    customer: b[i - 1].customer.clone(),
                    from: usize::from(b[i - 1].segment).min(fa),
                    to: ta,
                }
            }
            std::cmp::Ordering::Greater => {
                j += 1;
                SegmentMove {
                    customer: a[j - 1].customer.clone(),
                    from: fa,
                    to: usize::from(a[j - 1].segment).min(ta),
                }
            }
            std::cmp::Ordering::Equal => {
                i += 1;
                j += 1;
                SegmentMove {
                    customer: b[i - 1].customer.clone(),
                    from: usize::from(b[i - 1].segment).min(fa),
                    to: usize::from(a[j - 1].segment).min(ta),
                }
            }
        };
        counts[m.from][m.to] += 1;
        moves.push(m);
    }
    SegmentMigration {
        from,
        to,
        counts,
        moves,
    }
}
