//! Value tiers: rules combining RFM scores, ABC class and tenure.
//!
//! The first matching rule gives the tier; several rules may name the same tier (an "or").
//! Customers no rule matches get the fallback tier. ABC classes are computed on each
//! customer's net revenue with the table's [`AbcMethod`].

use serde::{Deserialize, Serialize};

use crate::abc::{AbcClass, AbcMethod, classes};
use crate::error::SegmentationError;
use crate::rfm::RfmTable;
use crate::segment::{ScoreRange, distinct_names, name_index, validate_rule};
use crate::summary::{GroupSummary, summarize};

/// One tier rule; every omitted condition matches anything.
///
/// ```
/// use crm_segmentation::{AbcClass, TierRule};
/// let rule: TierRule = serde_json::from_str(
///     r#"{"tier": "vip", "abc": ["A"], "r": {"min": 3}, "min_tenure_days": 365}"#,
/// )?;
/// assert!(rule.matches(3, 1, 1, AbcClass::A, 400));
/// assert!(!rule.matches(3, 1, 1, AbcClass::B, 400));
/// assert!(!rule.matches(3, 1, 1, AbcClass::A, 100));
/// # Ok::<(), serde_json::Error>(())
/// ```
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct TierRule {
    /// The tier this rule assigns.
    pub tier: String,
    /// Recency score range.
    #[serde(default)]
    pub r: ScoreRange,
    /// Frequency score range.
    #[serde(default)]
    pub f: ScoreRange,
    /// Monetary score range.
    #[serde(default)]
    pub m: ScoreRange,
    /// Allowed ABC classes (empty = any).
    #[serde(default)]
    pub abc: Vec<AbcClass>,
    /// Smallest tenure in days (days from the first purchase to the as-of date).
    #[serde(default)]
    pub min_tenure_days: Option<u32>,
    /// Largest tenure in days.
    #[serde(default)]
    pub max_tenure_days: Option<u32>,
}

impl TierRule {
    fn named(tier: &str) -> Self {
        Self {
            tier: tier.to_string(),
            r: ScoreRange::default(),
            f: ScoreRange::default(),
            m: ScoreRange::default(),
            abc: Vec::new(),
            min_tenure_days: None,
            max_tenure_days: None,
        }
    }

    /// True if the customer meets every condition (see the example on [`TierRule`]).
    pub fn matches(&self, r: u8, f: u8, m: u8, abc: AbcClass, tenure_days: u32) -> bool {
        self.r.contains(r)
            && self.f.contains(f)
            && self.m.contains(m)
            && (self.abc.is_empty() || self.abc.contains(&abc))
            && self.min_tenure_days.is_none_or(|t| tenure_days >= t)
            && self.max_tenure_days.is_none_or(|t| tenure_days <= t)
    }
}

/// An ordered tier table with a fallback tier and the ABC method it uses.
///
/// Default (for bins = 5):
/// - `high-value`: ABC class A and R >= 3 (valuable and still active), or R, F and M all >= 4;
/// - `potential`: ABC class B and R >= 3, or R >= 4 with tenure <= 90 days (new and active);
/// - `regular`: everyone else.
///
/// ```
/// use crm_segmentation::TierTable;
/// let t = TierTable::default();
/// assert_eq!(t.tier_names(), vec!["high-value", "potential", "regular"]);
/// ```
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct TierTable {
    /// Rules, tried in order.
    pub rules: Vec<TierRule>,
    /// The tier of customers no rule matches.
    pub fallback: String,
    /// How ABC classes are computed.
    #[serde(default)]
    pub abc: AbcMethod,
}

impl Default for TierTable {
    fn default() -> Self {
        let at_least = |x| ScoreRange::new(x, 10);
        Self {
            rules: vec![
                TierRule {
                    abc: vec![AbcClass::A],
                    r: at_least(3),
                    ..TierRule::named("high-value")
                },
                TierRule {
                    r: at_least(4),
                    f: at_least(4),
                    m: at_least(4),
                    ..TierRule::named("high-value")
                },
                TierRule {
                    abc: vec![AbcClass::B],
                    r: at_least(3),
                    ..TierRule::named("potential")
                },
                TierRule {
                    r: at_least(4),
                    max_tenure_days: Some(90),
                    ..TierRule::named("potential")
                },
            ],
            fallback: "regular".to_string(),
            abc: AbcMethod::default(),
        }
    }
}

impl TierTable {
    /// Tier names in rule order, deduplicated, the fallback last.
    ///
    /// ```
    /// use crm_segmentation::{TierRule, TierTable};
    /// let mut t = TierTable::default();
    /// t.fallback = "high-value".into(); // a fallback that is also a rule's tier stays where it is
    /// assert_eq!(t.tier_names(), ["high-value", "potential"]);
    /// ```
    pub fn tier_names(&self) -> Vec<String> {
        distinct_names(
            self.rules
                .iter()
                .map(|r| r.tier.as_str())
                .chain([self.fallback.as_str()]),
        )
    }

    /// Checks names, ranges and the ABC method.
    ///
    /// ```
    /// use crm_segmentation::{SegmentationError, TierTable};
    /// let mut t = TierTable::default();
    /// t.rules[3].min_tenure_days = Some(365); // above its max_tenure_days of 90
    /// let err = t.validate().unwrap_err();
    /// assert_eq!(err.to_string(), "rule 3 (\"potential\"): tenure range 365..=90 is empty");
    /// t.rules[3].min_tenure_days = None;
    /// t.fallback = " ".into();
    /// assert!(matches!(t.validate(), Err(SegmentationError::InvalidRule { index: 4, .. })));
    /// ```
    pub fn validate(&self) -> Result<(), SegmentationError> {
        self.abc.validate()?;
        for (i, rule) in self.rules.iter().enumerate() {
            validate_rule(
                i,
                &rule.tier,
                "empty tier name",
                [&rule.r, &rule.f, &rule.m],
            )?;
            if let (Some(lo), Some(hi)) = (rule.min_tenure_days, rule.max_tenure_days)
                && lo > hi
            {
                return Err(SegmentationError::InvalidRule {
                    index: i,
                    name: rule.tier.clone(),
                    reason: format!("tenure range {lo}..={hi} is empty"),
                });
            }
        }
        if self.fallback.trim().is_empty() {
            return Err(SegmentationError::InvalidRule {
                index: self.rules.len(),
                name: self.fallback.clone(),
                reason: "empty fallback tier name".to_string(),
            });
        }
        Ok(())
    }
}

/// One customer's tier: an index into [`TierAssignment::tier_names`], whose name
/// [`TierAssignment::tier_name`] gives.
///
/// ```
/// use chrono::{TimeZone, Utc};
/// use crm_segmentation::{AbcClass, CustomerTier, RfmConfig, TierTable, assign_tiers, rfm};
/// use rust_decimal::Decimal;
/// let t = |m| Utc.with_ymd_and_hms(2024, m, 1, 0, 0, 0).unwrap();
/// let table = rfm(vec![(1_u8, t(1), Decimal::TEN), (1, t(5), Decimal::TEN)], &RfmConfig::default())?;
/// let tiers = assign_tiers(&table, &TierTable::default())?;
/// // A single customer holds all the value (A) but scores R = 1: regular.
/// assert_eq!(tiers.customers[0], CustomerTier { customer: 1, tier: 2, abc: AbcClass::A, tenure_days: 121 });
/// assert_eq!(tiers.tier_name(&tiers.customers[0]), "regular");
/// # Ok::<(), crm_segmentation::SegmentationError>(())
/// ```
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct CustomerTier<K> {
    /// The customer.
    pub customer: K,
    /// Index into [`TierAssignment::tier_names`].
    pub tier: u16,
    /// The customer's ABC class.
    pub abc: AbcClass,
    /// Days from the first purchase to the as-of date.
    pub tenure_days: u32,
}

/// Tiers of every customer of an RFM table, in the table's order, with a summary per tier.
///
/// ```
/// use chrono::{TimeZone, Utc};
/// use crm_segmentation::{RfmConfig, TierTable, assign_tiers, rfm};
/// use rust_decimal::Decimal;
/// let t = Utc.with_ymd_and_hms(2024, 1, 1, 0, 0, 0).unwrap();
/// let table = rfm(vec![(1_u8, t, Decimal::TEN)], &RfmConfig::default())?;
/// let tiers = assign_tiers(&table, &TierTable::default())?;
/// let counts: Vec<(&str, u64)> = tiers.summary.iter().map(|g| (g.name.as_str(), g.customers)).collect();
/// assert_eq!(counts, [("high-value", 0), ("potential", 0), ("regular", 1)]);
/// # Ok::<(), crm_segmentation::SegmentationError>(())
/// ```
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct TierAssignment<K> {
    /// Tier names; the fallback is last.
    pub tier_names: Vec<String>,
    /// One entry per customer, in the RFM table's order.
    pub customers: Vec<CustomerTier<K>>,
    /// One summary per tier.
    pub summary: Vec<GroupSummary>,
}

impl<K> TierAssignment<K> {
    /// The tier name of a row: its [`CustomerTier::tier`] looked up in
    /// [`tier_names`](Self::tier_names) (the last name, the fallback's, for an index out of
    /// range).
    ///
    /// ```
    /// use chrono::{TimeZone, Utc};
    /// use crm_segmentation::{RfmConfig, TierTable, assign_tiers, rfm};
    /// use rust_decimal::Decimal;
    /// let t = |d| Utc.with_ymd_and_hms(2024, 1, d, 0, 0, 0).unwrap();
    /// let rows = vec![(1_u32, t(30), Decimal::from(900)), (2, t(2), Decimal::from(100))];
    /// let tiers = assign_tiers(&rfm(rows, &RfmConfig::default())?, &TierTable::default())?;
    /// let names: Vec<&str> = tiers.customers.iter().map(|c| tiers.tier_name(c)).collect();
    /// assert_eq!(names, ["high-value", "regular"]);
    /// # Ok::<(), crm_segmentation::SegmentationError>(())
    /// ```
    pub fn tier_name(&self, row: &CustomerTier<K>) -> &str {
        self.tier_names
            .get(usize::from(row.tier))
            .or(self.tier_names.last())
            .map_or("", String::as_str)
    }
}

/// Assigns value tiers to the customers of an RFM table.
///
/// ```
/// use chrono::{TimeZone, Utc};
/// use crm_segmentation::{rfm, RfmConfig, TierTable};
/// use crm_segmentation::assign_tiers;
/// use rust_decimal::Decimal;
/// let t = |d| Utc.with_ymd_and_hms(2024, 1, d, 0, 0, 0).unwrap();
/// let rows = vec![(1_u32, t(30), Decimal::from(900)), (2, t(2), Decimal::from(100))];
/// let table = rfm(rows, &RfmConfig::default())?;
/// let tiers = assign_tiers(&table, &TierTable::default())?;
/// // Customer 1 holds 90% of value (A) and R = 3 -> high-value; customer 2 is regular.
/// assert_eq!(tiers.tier_name(&tiers.customers[0]), "high-value");
/// assert_eq!(tiers.tier_name(&tiers.customers[1]), "regular");
/// # Ok::<(), crm_segmentation::SegmentationError>(())
/// ```
pub fn assign_tiers<K: Ord + Clone + std::fmt::Display>(
    table: &RfmTable<K>,
    tiers: &TierTable,
) -> Result<TierAssignment<K>, SegmentationError> {
    tiers.validate()?;
    let names = tiers.tier_names();
    let index_of = |n: &str| name_index(&names, n);
    let rule_tier: Vec<u16> = tiers.rules.iter().map(|r| index_of(&r.tier)).collect();
    let fallback = index_of(&tiers.fallback);
    let keys: Vec<&K> = table.customers.iter().map(|c| &c.customer).collect();
    let revenue: Vec<_> = table.customers.iter().map(|c| c.revenue).collect();
    let abc = classes(&keys, &revenue, &tiers.abc)?;
    let customers: Vec<CustomerTier<K>> = table
        .customers
        .iter()
        .zip(abc)
        .map(|(c, class)| {
            let tenure = table.tenure_days(c);
            let tier = tiers
                .rules
                .iter()
                .position(|rule| rule.matches(c.r, c.f, c.m, class, tenure))
                .map_or(fallback, |i| rule_tier[i]);
            CustomerTier {
                customer: c.customer.clone(),
                tier,
                abc: class,
                tenure_days: tenure,
            }
        })
        .collect();
    let summary = summarize(table, &names, |i| usize::from(customers[i].tier))?;
    Ok(TierAssignment {
        tier_names: names,
        customers,
        summary,
    })
}
