//! Segment migration between two RFM results: who moved from which segment to which.

use serde::{Deserialize, Serialize};

use crate::rfm::RfmTable;

/// The label of "not in this table" (a new or a gone customer).
pub const ABSENT: &str = "(absent)";

/// One customer's move; indices point into [`SegmentMigration::from`] and
/// [`SegmentMigration::to`].
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
    /// The number of customers who moved from segment `from` to segment `to` (by name).
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
    pub fn changed(&self) -> impl Iterator<Item = &SegmentMove<K>> {
        self.moves
            .iter()
            .filter(|m| self.from[m.from] != self.to[m.to])
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
