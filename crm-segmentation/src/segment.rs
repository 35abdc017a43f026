//! Named segments: a table of score ranges mapped to names.
//!
//! Each customer gets the first rule whose R, F and M ranges all contain its scores, else
//! [`OTHER`]. A table can be loaded with serde (TOML, JSON) and checked with
//! [`SegmentTable::validate`], which reports rules that overlap, rules that can never match,
//! and score cells that no rule covers.

use crate::error::SegmentationError;
use crate::score::{MAX_BINS, validate_bins};
use serde::{Deserialize, Serialize};

/// The name given to customers no rule matches.
///
/// ```
/// use crm_segmentation::{OTHER, SegmentRule, SegmentTable};
/// let t = SegmentTable { rules: vec![SegmentRule::rf("Best", (5, 5), (5, 5))] };
/// assert_eq!(t.classify(1, 1, 1), OTHER);
/// ```
pub const OTHER: &str = "Other";

/// An inclusive range of scores; the default `1..=10` matches any score.
///
/// ```
/// use crm_segmentation::ScoreRange;
/// let r = ScoreRange::new(2, 4);
/// assert!(r.contains(3) && !r.contains(5));
/// assert!(ScoreRange::default().contains(1));
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(default)]
pub struct ScoreRange {
    /// Smallest score in the range.
    pub min: u8,
    /// Largest score in the range.
    pub max: u8,
}

impl Default for ScoreRange {
    fn default() -> Self {
        Self {
            min: 1,
            max: MAX_BINS,
        }
    }
}

impl ScoreRange {
    /// The range `min..=max` (checked when its table is validated, not here).
    ///
    /// ```
    /// use crm_segmentation::ScoreRange;
    /// const TOP_TWO: ScoreRange = ScoreRange::new(4, 5);
    /// assert!(TOP_TWO.contains(4) && !TOP_TWO.contains(3));
    /// ```
    pub const fn new(min: u8, max: u8) -> Self {
        Self { min, max }
    }

    /// True if `score` lies in the range (both ends included; see [`ScoreRange::new`]).
    #[inline]
    pub fn contains(&self, score: u8) -> bool {
        self.min <= score && score <= self.max
    }

    /// Checks that the range is not empty and starts at 1 or above (`what` names the score
    /// in the error).
    pub(crate) fn validate(
        &self,
        index: usize,
        name: &str,
        what: &str,
    ) -> Result<(), SegmentationError> {
        if self.min == 0 || self.min > self.max {
            return Err(SegmentationError::InvalidRule {
                index,
                name: name.to_string(),
                reason: format!(
                    "{what} range {}..={} is empty or starts below 1",
                    self.min, self.max
                ),
            });
        }
        Ok(())
    }
}

/// One row of a segment table.
///
/// ```
/// use crm_segmentation::{ScoreRange, SegmentRule};
/// let rule: SegmentRule = serde_json::from_str(
///     r#"{"name": "Champions", "r": {"min": 5, "max": 5}, "f": {"min": 4, "max": 5}}"#,
/// )?;
/// assert!(rule.matches(5, 4, 1));
/// assert_eq!(rule.m, ScoreRange::default());
/// # Ok::<(), serde_json::Error>(())
/// ```
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct SegmentRule {
    /// The segment's name.
    pub name: String,
    /// Recency score range (any if omitted).
    #[serde(default)]
    pub r: ScoreRange,
    /// Frequency score range (any if omitted).
    #[serde(default)]
    pub f: ScoreRange,
    /// Monetary score range (any if omitted).
    #[serde(default)]
    pub m: ScoreRange,
}

impl SegmentRule {
    /// A rule on the R and F scores (any M), each an inclusive `(min, max)`.
    ///
    /// ```
    /// use crm_segmentation::{ScoreRange, SegmentRule};
    /// let champions = SegmentRule::rf("Champions", (5, 5), (4, 5));
    /// assert_eq!(champions.f, ScoreRange::new(4, 5));
    /// assert!(champions.matches(5, 4, 1) && champions.matches(5, 5, 5));
    /// assert!(!champions.matches(4, 5, 5));
    /// ```
    pub fn rf(name: &str, r: (u8, u8), f: (u8, u8)) -> Self {
        Self {
            name: name.to_string(),
            r: ScoreRange::new(r.0, r.1),
            f: ScoreRange::new(f.0, f.1),
            m: ScoreRange::default(),
        }
    }

    /// True if the scores fall in all three ranges (see [`SegmentRule::rf`]).
    #[inline]
    pub fn matches(&self, r: u8, f: u8, m: u8) -> bool {
        self.r.contains(r) && self.f.contains(f) && self.m.contains(m)
    }
}

/// An ordered list of segment rules; the first match wins.
///
/// The default is the widely used R x F grid for five score bins, with eleven segments
/// that tile the 5 x 5 grid without gaps or overlaps (M is not used):
///
/// | segment | R | F |
/// |---|---|---|
/// | Champions | 5 | 4-5 |
/// | Loyal Customers | 3-4 | 4-5 |
/// | Potential Loyalist | 4-5 | 2-3 |
/// | New Customers | 5 | 1 |
/// | Promising | 4 | 1 |
/// | Need Attention | 3 | 3 |
/// | About To Sleep | 3 | 1-2 |
/// | At Risk | 1-2 | 3-4 |
/// | Can't Lose Them | 1-2 | 5 |
/// | Hibernating | 2 | 1-2 |
/// | Lost | 1 | 1-2 |
///
/// ```
/// use crm_segmentation::SegmentTable;
/// let t = SegmentTable::default();
/// assert_eq!(t.classify(5, 5, 1), "Champions");
/// assert_eq!(t.classify(1, 1, 5), "Lost");
/// let report = t.validate(5)?;
/// assert!(report.is_partition());
///
/// let custom: SegmentTable = toml::from_str(r#"
///     [[rules]]
///     name = "Best"
///     r = { min = 4 }
///     f = { min = 4 }
/// "#)?;
/// assert_eq!(custom.classify(4, 5, 1), "Best");
/// assert_eq!(custom.classify(1, 5, 1), "Other");
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct SegmentTable {
    /// The rules, tried in order.
    pub rules: Vec<SegmentRule>,
}

impl Default for SegmentTable {
    fn default() -> Self {
        Self {
            rules: vec![
                SegmentRule::rf("Champions", (5, 5), (4, 5)),
                SegmentRule::rf("Loyal Customers", (3, 4), (4, 5)),
                SegmentRule::rf("Potential Loyalist", (4, 5), (2, 3)),
                SegmentRule::rf("New Customers", (5, 5), (1, 1)),
                SegmentRule::rf("Promising", (4, 4), (1, 1)),
                SegmentRule::rf("Need Attention", (3, 3), (3, 3)),
                SegmentRule::rf("About To Sleep", (3, 3), (1, 2)),
                SegmentRule::rf("At Risk", (1, 2), (3, 4)),
                SegmentRule::rf("Can't Lose Them", (1, 2), (5, 5)),
                SegmentRule::rf("Hibernating", (2, 2), (1, 2)),
                SegmentRule::rf("Lost", (1, 1), (1, 2)),
            ],
        }
    }
}

/// Two rules that match some of the same score cells.
///
/// ```
/// use crm_segmentation::{Overlap, SegmentRule, SegmentTable};
/// let t = SegmentTable {
///     rules: vec![SegmentRule::rf("A", (1, 3), (1, 3)), SegmentRule::rf("B", (3, 3), (3, 3))],
/// };
/// let report = t.validate(3)?;
/// // B's cells (3, 3, m) for m = 1..=3 are all A's: A wins them, B never does.
/// assert_eq!(report.overlaps, [Overlap { first: 0, second: 1, cells: 3 }]);
/// assert_eq!(report.unreachable, [1]);
/// # Ok::<(), crm_segmentation::SegmentationError>(())
/// ```
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Overlap {
    /// The earlier rule (it wins on the shared cells).
    pub first: usize,
    /// The later rule.
    pub second: usize,
    /// How many (R, F, M) cells both match.
    pub cells: u32,
}

/// What [`SegmentTable::validate`] found.
///
/// ```
/// use crm_segmentation::{SegmentRule, SegmentTable};
/// let t = SegmentTable { rules: vec![SegmentRule::rf("Recent", (2, 2), (1, 2))] };
/// let report = t.validate(2)?;
/// // R = 1 is not covered: 2 x 2 cells (f, m) become "Other".
/// assert_eq!(report.gaps, [(1, 1, 1), (1, 1, 2), (1, 2, 1), (1, 2, 2)]);
/// assert!(!report.is_partition());
/// # Ok::<(), crm_segmentation::SegmentationError>(())
/// ```
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize, Deserialize)]
pub struct TableReport {
    /// Pairs of rules that share cells.
    pub overlaps: Vec<Overlap>,
    /// Rules that never win because earlier rules cover all their cells.
    pub unreachable: Vec<usize>,
    /// Score cells `(r, f, m)` that no rule covers (these customers become "Other").
    pub gaps: Vec<(u8, u8, u8)>,
}

impl TableReport {
    /// True if every cell is covered by exactly one rule (the default table's report is; see
    /// [`SegmentTable`]).
    pub fn is_partition(&self) -> bool {
        self.overlaps.is_empty() && self.gaps.is_empty() && self.unreachable.is_empty()
    }
}

impl SegmentTable {
    /// The name of the first rule matching the scores, else [`OTHER`].
    ///
    /// ```
    /// use crm_segmentation::{SegmentRule, SegmentTable};
    /// let t = SegmentTable {
    ///     rules: vec![SegmentRule::rf("First", (3, 5), (1, 5)), SegmentRule::rf("Second", (5, 5), (1, 5))],
    /// };
    /// assert_eq!(t.classify(5, 1, 1), "First"); // the first match wins
    /// ```
    pub fn classify(&self, r: u8, f: u8, m: u8) -> &str {
        self.rules
            .iter()
            .find(|rule| rule.matches(r, f, m))
            .map_or(OTHER, |rule| rule.name.as_str())
    }

    /// Checks every rule (an error for an empty name or an empty range) and reports overlaps,
    /// unreachable rules and uncovered cells for scores `1..=bins`.
    ///
    /// ```
    /// use crm_segmentation::{ScoreRange, SegmentRule, SegmentTable, SegmentationError};
    /// let mut rule = SegmentRule::rf("Broken", (1, 5), (1, 5));
    /// rule.m = ScoreRange::new(4, 2);
    /// let err = SegmentTable { rules: vec![rule] }.validate(5).unwrap_err();
    /// assert_eq!(err.to_string(), "rule 0 (\"Broken\"): M range 4..=2 is empty or starts below 1");
    /// assert!(matches!(SegmentTable::default().validate(11), Err(SegmentationError::InvalidBinCount { bins: 11 })));
    /// ```
    pub fn validate(&self, bins: u8) -> Result<TableReport, SegmentationError> {
        validate_bins(bins)?;
        for (i, rule) in self.rules.iter().enumerate() {
            validate_rule(i, &rule.name, "empty name", [&rule.r, &rule.f, &rule.m])?;
        }
        let n = self.rules.len();
        let mut shared = vec![0u32; n * n];
        let mut wins = vec![0u32; n];
        let mut report = TableReport::default();
        for r in 1..=bins {
            for f in 1..=bins {
                for m in 1..=bins {
                    let hits: Vec<usize> =
                        (0..n).filter(|&i| self.rules[i].matches(r, f, m)).collect();
                    match hits.first() {
                        None => report.gaps.push((r, f, m)),
                        Some(&w) => wins[w] += 1,
                    }
                    for (a, &i) in hits.iter().enumerate() {
                        for &j in &hits[a + 1..] {
                            shared[i * n + j] += 1;
                        }
                    }
                }
            }
        }
        for i in 0..n {
            for j in i + 1..n {
                if shared[i * n + j] > 0 {
                    report.overlaps.push(Overlap {
                        first: i,
                        second: j,
                        cells: shared[i * n + j],
                    });
                }
            }
        }
        report.unreachable = (0..n).filter(|&i| wins[i] == 0).collect();
        Ok(report)
    }

    /// The segment names in rule order, deduplicated, followed by [`OTHER`]: the
    /// [`segment_names`](crate::RfmTable::segment_names) of the tables it names.
    ///
    /// ```
    /// use crm_segmentation::{SegmentRule, SegmentTable};
    /// let t = SegmentTable {
    ///     rules: vec![
    ///         SegmentRule::rf("Best", (4, 5), (4, 5)),
    ///         SegmentRule::rf("Best", (5, 5), (3, 3)),
    ///         SegmentRule::rf("Rest", (1, 3), (1, 5)),
    ///     ],
    /// };
    /// assert_eq!(t.names(), ["Best", "Rest", "Other"]);
    /// ```
    pub fn names(&self) -> Vec<String> {
        distinct_names(
            self.rules
                .iter()
                .map(|rule| rule.name.as_str())
                .chain([OTHER]),
        )
    }

    /// A `bins * bins * bins` lookup from scores to an index into [`SegmentTable::names`].
    pub(crate) fn lookup(&self, bins: u8) -> Vec<u16> {
        let names = self.names();
        let index_of = |name: &str| name_index(&names, name);
        let ku = usize::from(bins);
        let mut table = vec![0u16; ku * ku * ku];
        for r in 1..=bins {
            for f in 1..=bins {
                for m in 1..=bins {
                    table[cell(bins, r, f, m)] = index_of(self.classify(r, f, m));
                }
            }
        }
        table
    }
}

/// Checks a rule of a segment or tier table: its name (`empty_name` is the reason given
/// when it is blank) and its R, F and M ranges.
pub(crate) fn validate_rule(
    index: usize,
    name: &str,
    empty_name: &str,
    [r, f, m]: [&ScoreRange; 3],
) -> Result<(), SegmentationError> {
    if name.trim().is_empty() {
        return Err(SegmentationError::InvalidRule {
            index,
            name: name.to_string(),
            reason: empty_name.to_string(),
        });
    }
    r.validate(index, name, "R")?;
    f.validate(index, name, "F")?;
    m.validate(index, name, "M")
}

/// The names in order of first appearance, each once.
pub(crate) fn distinct_names<'a>(names: impl Iterator<Item = &'a str>) -> Vec<String> {
    let mut out: Vec<String> = Vec::new();
    for name in names {
        if !out.iter().any(|n| n == name) {
            out.push(name.to_string());
        }
    }
    out
}

/// The position of `name` in `names` (0 if it is not there).
pub(crate) fn name_index(names: &[String], name: &str) -> u16 {
    names.iter().position(|n| n == name).unwrap_or(0) as u16
}

#[inline]
pub(crate) fn cell(bins: u8, r: u8, f: u8, m: u8) -> usize {
    let bins = usize::from(bins);
    (usize::from(r) - 1) * bins * bins + (usize::from(f) - 1) * bins + (usize::from(m) - 1)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn default_table_is_a_partition_of_the_5x5_grid() {
        let t = SegmentTable::default();
        let report = t.validate(5).unwrap();
        assert_eq!(report, TableReport::default());
        assert_eq!(t.names().len(), 12);
        // Hand table of the R x F grid (rows R = 5..1, columns F = 1..5).
        let expected = [
            [
                "New Customers",
                "Potential Loyalist",
                "Potential Loyalist",
                "Champions",
                "Champions",
            ],
            [
                "Promising",
                "Potential Loyalist",
                "Potential Loyalist",
                "Loyal Customers",
                "Loyal Customers",
            ],
            [
                "About To Sleep",
                "About To Sleep",
                "Need Attention",
                "Loyal Customers",
                "Loyal Customers",
            ],
            [
                "Hibernating",
                "Hibernating",
                "At Risk",
                "At Risk",
                "Can't Lose Them",
            ],
            ["Lost", "Lost", "At Risk", "At Risk", "Can't Lose Them"],
        ];
        for (row, r) in expected.iter().zip((1..=5u8).rev()) {
            for (name, f) in row.iter().zip(1..=5u8) {
                for m in 1..=5 {
                    assert_eq!(t.classify(r, f, m), *name, "r={r} f={f} m={m}");
                }
            }
        }
    }

    #[test]
    fn overlaps_gaps_and_unreachable_rules_are_reported() {
        let t = SegmentTable {
            rules: vec![
                SegmentRule::rf("A", (1, 2), (1, 2)),
                SegmentRule::rf("B", (2, 2), (2, 2)),
                SegmentRule::rf("C", (2, 3), (1, 1)),
            ],
        };
        let report = t.validate(3).unwrap();
        // A and B share (2,2,*): 3 cells; A and C share (2,1,*): 3 cells.
        assert_eq!(
            report.overlaps,
            vec![
                Overlap {
                    first: 0,
                    second: 1,
                    cells: 3
                },
                Overlap {
                    first: 0,
                    second: 2,
                    cells: 3
                }
            ]
        );
        assert_eq!(report.unreachable, vec![1]);
        // Uncovered (r, f): (1,3), (2,3), (3,2), (3,3) -> 4 x 3 cells.
        assert_eq!(report.gaps.len(), 12);
        assert!(report.gaps.contains(&(3, 3, 1)));
        assert!(!report.is_partition());
        assert_eq!(t.classify(3, 3, 3), OTHER);
    }

    #[test]
    fn invalid_rules_are_errors() {
        let t = SegmentTable {
            rules: vec![SegmentRule::rf("Bad", (3, 2), (1, 1))],
        };
        assert!(matches!(
            t.validate(5),
            Err(SegmentationError::InvalidRule { index: 0, .. })
        ));
        let t = SegmentTable {
            rules: vec![SegmentRule::rf(" ", (1, 2), (1, 1))],
        };
        assert!(t.validate(5).is_err());
    }

    #[test]
    fn loads_from_json() {
        let t: SegmentTable =
            serde_json::from_str(r#"{"rules":[{"name":"X","r":{"min":2}}]}"#).unwrap();
        assert_eq!(t.rules[0].r, ScoreRange::new(2, 10));
        assert_eq!(t.classify(1, 1, 1), OTHER);
        assert_eq!(t.classify(2, 1, 1), "X");
    }
}
