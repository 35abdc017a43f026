//! The cohort table built from the customers' periods, and its flat rows.

use std::collections::BTreeMap;

use chrono::{DateTime, NaiveDate, Utc};
use crm_core::Currency;
use rust_decimal::Decimal;
use rust_decimal::prelude::ToPrimitive;
use serde::{Deserialize, Serialize};

use super::{CohortConfig, CohortPeriod, CustomerPeriods, exact_add};
use crate::error::SegmentationError;

/// What happened to the input rows and customers.
///
/// Every row is in exactly one of `used` and the four `excluded_*` counts, so they add up
/// to `rows`.
///
/// ```
/// use chrono::{TimeZone, Utc};
/// use crm_segmentation::{CohortConfig, CohortReport, cohorts};
/// use rust_decimal::Decimal;
/// let t = |m| Utc.with_ymd_and_hms(2024, m, 10, 0, 0, 0).unwrap();
/// let rows = vec![
///     (1_u8, t(1), Decimal::TEN),  // before the start: customer 1 was acquired earlier
///     (1, t(3), Decimal::TEN),     // so this row is left out
///     (2, t(2), Decimal::from(-5)), // a refund before customer 2's first purchase
///     (2, t(3), Decimal::TEN),
///     (3, t(3), Decimal::from(-5)), // customer 3 never bought
///     (2, t(9), Decimal::ONE),      // after the as-of time
/// ];
/// let config = CohortConfig {
///     start: Some(t(2) - chrono::Days::new(9)),
///     as_of: Some(t(6)),
///     ..CohortConfig::default()
/// };
/// let report = cohorts(rows, &config)?.report;
/// assert_eq!(report, CohortReport {
///     rows: 6,
///     used: 1,
///     excluded_before_start: 1,
///     excluded_after_as_of: 1,
///     excluded_acquired_before_start: 1,
///     excluded_before_acquisition: 2,
///     customers: 1,
///     customers_acquired_before_start: 1,
///     customers_without_purchase: 1,
/// });
/// # Ok::<(), crm_segmentation::SegmentationError>(())
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize)]
pub struct CohortReport {
    /// Rows read.
    pub rows: u64,
    /// Rows in the table: in the range, of a cohort's customer, from its cohort's period on.
    pub used: u64,
    /// Rows before the start, left out.
    pub excluded_before_start: u64,
    /// Rows after the as-of time, left out.
    pub excluded_after_as_of: u64,
    /// Rows in the range of customers who made a purchase before the start, left out.
    pub excluded_acquired_before_start: u64,
    /// Rows in the range in a period before their customer's first purchase (refunds or
    /// zero amounts), and every row of a customer who made no purchase, left out.
    pub excluded_before_acquisition: u64,
    /// Customers in the cohorts (the sum of the cohorts' sizes).
    pub customers: u64,
    /// Customers with rows in the range who made a purchase before the start.
    pub customers_acquired_before_start: u64,
    /// Customers with rows in the range but no purchase (only refunds or zero amounts).
    pub customers_without_purchase: u64,
}

/// One cohort in one period since its acquisition.
///
/// ```
/// use chrono::{TimeZone, Utc};
/// use crm_segmentation::{CohortConfig, cohorts};
/// use rust_decimal::Decimal;
/// let t = |m| Utc.with_ymd_and_hms(2024, m, 1, 0, 0, 0).unwrap();
/// let rows = vec![(1_u8, t(1), Decimal::from(80)), (2, t(1), Decimal::from(20)), (1, t(2), Decimal::from(50))];
/// let table = cohorts(rows, &CohortConfig::default())?;
/// let february = &table.cohorts[0].cells[1];
/// assert_eq!((february.period, february.active, february.retention), (1, 1, 0.5));
/// assert_eq!(february.revenue, Decimal::from(50));
/// assert_eq!(february.revenue_retention, Some(0.5));
/// assert_eq!(february.cumulative_revenue, Decimal::from(150));
/// assert_eq!(february.cumulative_revenue_per_customer, Decimal::from(75));
/// # Ok::<(), crm_segmentation::SegmentationError>(())
/// ```
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct CohortCell {
    /// Periods since acquisition: 0 is the cohort's own period.
    pub period: u32,
    /// Customers of the cohort with at least one purchase (positive amount) in the period.
    pub active: u64,
    /// `active / size`.
    pub retention: f64,
    /// Net revenue of the cohort's customers in the period, refunds included.
    pub revenue: Decimal,
    /// `revenue / revenue of period 0`; `None` when the revenue of period 0 is not
    /// positive (refunds as large as the purchases).
    pub revenue_retention: Option<f64>,
    /// Net revenue of the cohort from period 0 to this one, both included.
    pub cumulative_revenue: Decimal,
    /// `cumulative_revenue / size` (a decimal quotient, to 28 significant digits).
    pub cumulative_revenue_per_customer: Decimal,
}

/// The customers acquired in one period, and their activity in every period since.
///
/// `cells[i]` is period `i` since acquisition: every period from 0 to the table's last
/// period is there, those in which nobody bought included.
///
/// ```
/// use chrono::{TimeZone, Utc};
/// use chrono::NaiveDate;
/// use crm_segmentation::{CohortConfig, CohortPeriod, cohorts};
/// use rust_decimal::Decimal;
/// let t = |m, d| Utc.with_ymd_and_hms(2024, m, d, 0, 0, 0).unwrap();
/// let rows = vec![(1_u8, t(2, 29), Decimal::ONE), (2, t(8, 1), Decimal::ONE)];
/// let quarters = CohortConfig { period: CohortPeriod::Quarter, ..CohortConfig::default() };
/// let table = cohorts(rows, &quarters)?;
/// let q1 = &table.cohorts[0];
/// assert_eq!((q1.label.as_str(), q1.start, q1.size), ("2024-Q1", NaiveDate::from_ymd_opt(2024, 1, 1).unwrap(), 1));
/// let active: Vec<u64> = q1.cells.iter().map(|c| c.active).collect();
/// assert_eq!(active, [1, 0, 0]); // Q1, Q2, Q3
/// assert_eq!(table.cohorts[1].cells.len(), 1); // Q3 only
/// # Ok::<(), crm_segmentation::SegmentationError>(())
/// ```
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Cohort {
    /// The acquisition period's label: `2024-W05`, `2024-01` or `2024-Q1`.
    pub label: String,
    /// The first day of the acquisition period.
    pub start: NaiveDate,
    /// The number of customers acquired in the period.
    pub size: u64,
    /// One cell per period since acquisition, from 0.
    pub cells: Vec<CohortCell>,
}

/// A cohort retention table: one [`Cohort`] per acquisition period that acquired anyone,
/// in period order.
///
/// ```
/// use chrono::{TimeZone, Utc};
/// use crm_segmentation::{CohortConfig, CohortPeriod, cohorts};
/// use rust_decimal::Decimal;
/// let t = |m| Utc.with_ymd_and_hms(2024, m, 1, 0, 0, 0).unwrap();
/// let rows = vec![(1_u8, t(1), Decimal::ONE), (2, t(3), Decimal::ONE)];
/// let table = cohorts(rows, &CohortConfig::default())?;
/// assert_eq!(table.period, CohortPeriod::Month);
/// assert_eq!(table.last_period.as_deref(), Some("2024-03"));
/// let labels: Vec<&str> = table.cohorts.iter().map(|c| c.label.as_str()).collect();
/// assert_eq!(labels, ["2024-01", "2024-03"]);
/// assert_eq!(table.cohort("2024-03").map(|c| c.size), Some(1));
/// assert_eq!(table.rows().count(), 3 + 1);
/// # Ok::<(), crm_segmentation::SegmentationError>(())
/// ```
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct CohortTable {
    /// The period length.
    pub period: CohortPeriod,
    /// The start of the range read, if bounded.
    pub start: Option<DateTime<Utc>>,
    /// The as-of time, if given.
    pub as_of: Option<DateTime<Utc>>,
    /// The currency of the amounts, if they carried one.
    pub currency: Option<Currency>,
    /// The label of the last period any row in the range fell in (where every cohort's
    /// cells end); `None` when no row was in the range.
    pub last_period: Option<String>,
    /// The cohorts, in period order.
    pub cohorts: Vec<Cohort>,
    /// What happened to the input rows and customers.
    pub report: CohortReport,
}

impl CohortTable {
    /// The cohort labelled `label` (`2024-01`, `2024-W05`, `2024-Q1`), if any; see the
    /// example on [`CohortTable`].
    pub fn cohort(&self, label: &str) -> Option<&Cohort> {
        self.cohorts.iter().find(|c| c.label == label)
    }

    /// Every cell as a flat row, cohort by cohort in period order: what a CSV file or a
    /// terminal table prints (see [`CohortRow`]).
    ///
    /// ```
    /// use chrono::{TimeZone, Utc};
    /// use crm_segmentation::{CohortConfig, CohortRow, cohorts};
    /// use rust_decimal::Decimal;
    /// let t = |m| Utc.with_ymd_and_hms(2024, m, 1, 0, 0, 0).unwrap();
    /// let rows = vec![(1_u8, t(1), Decimal::new(1000, 2)), (1, t(2), Decimal::new(500, 2)), (2, t(2), Decimal::ONE)];
    /// let table = cohorts(rows, &CohortConfig::default())?;
    /// let lines: Vec<String> = table.rows().map(|r| r.fields().join(",")).collect();
    /// assert_eq!(CohortRow::HEADER.join(","), "cohort,cohort_size,period,active,retention,revenue,revenue_retention,cumulative_revenue_per_customer");
    /// assert_eq!(lines, [
    ///     "2024-01,1,0,1,1,10.00,1,10.00",
    ///     "2024-01,1,1,1,1,5.00,0.5,15.00",
    ///     "2024-02,1,0,1,1,1,1,1",
    /// ]);
    /// # Ok::<(), crm_segmentation::SegmentationError>(())
    /// ```
    pub fn rows(&self) -> impl Iterator<Item = CohortRow<'_>> {
        self.cohorts.iter().flat_map(|cohort| {
            cohort.cells.iter().map(move |cell| CohortRow {
                cohort: &cohort.label,
                cohort_size: cohort.size,
                period: cell.period,
                active: cell.active,
                retention: cell.retention,
                revenue: cell.revenue,
                revenue_retention: cell.revenue_retention,
                cumulative_revenue_per_customer: cell.cumulative_revenue_per_customer,
            })
        })
    }
}

/// One cell of a [`CohortTable`] as a flat row, ready for a CSV writer: serialized with
/// serde (field names as in [`HEADER`](Self::HEADER), decimals as strings, a missing
/// revenue retention as an empty field) or as text by [`fields`](Self::fields).
///
/// ```
/// use chrono::{TimeZone, Utc};
/// use crm_segmentation::{CohortConfig, cohorts};
/// use rust_decimal::Decimal;
/// let t = Utc.with_ymd_and_hms(2024, 1, 1, 0, 0, 0).unwrap();
/// let table = cohorts(vec![(1_u8, t, Decimal::new(1999, 2))], &CohortConfig::default())?;
/// let row = table.rows().next().unwrap();
/// assert_eq!((row.cohort, row.period, row.active), ("2024-01", 0, 1));
/// assert_eq!(
///     serde_json::to_string(&row).unwrap(),
///     r#"{"cohort":"2024-01","cohort_size":1,"period":0,"active":1,"retention":1.0,"revenue":"19.99","revenue_retention":1.0,"cumulative_revenue_per_customer":"19.99"}"#
/// );
/// # Ok::<(), crm_segmentation::SegmentationError>(())
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Serialize)]
pub struct CohortRow<'a> {
    /// The cohort's label: `2024-W05`, `2024-01` or `2024-Q1`.
    pub cohort: &'a str,
    /// The number of customers in the cohort.
    pub cohort_size: u64,
    /// Periods since acquisition.
    pub period: u32,
    /// Customers of the cohort with a purchase in the period.
    pub active: u64,
    /// `active / cohort_size`.
    pub retention: f64,
    /// Net revenue in the period.
    pub revenue: Decimal,
    /// Revenue relative to period 0 (`None` when period 0's revenue is not positive).
    pub revenue_retention: Option<f64>,
    /// Cumulative net revenue up to and including the period, per customer of the cohort.
    pub cumulative_revenue_per_customer: Decimal,
}

impl CohortRow<'_> {
    /// The column names, in the order of [`fields`](Self::fields) and of the serialized
    /// fields; see the example on [`CohortTable::rows`].
    pub const HEADER: [&'static str; 8] = [
        "cohort",
        "cohort_size",
        "period",
        "active",
        "retention",
        "revenue",
        "revenue_retention",
        "cumulative_revenue_per_customer",
    ];

    /// The row as text, in [`HEADER`](Self::HEADER) order: rates in Rust's shortest
    /// round-trip notation (`0.5`, `1`), decimals as they are, a missing revenue
    /// retention as an empty string (see the example on [`CohortTable::rows`]).
    pub fn fields(&self) -> [String; 8] {
        [
            self.cohort.to_string(),
            self.cohort_size.to_string(),
            self.period.to_string(),
            self.active.to_string(),
            self.retention.to_string(),
            self.revenue.to_string(),
            self.revenue_retention
                .map_or_else(String::new, |r| r.to_string()),
            self.cumulative_revenue_per_customer.to_string(),
        ]
    }
}

/// What the accumulator counted besides the customers' periods.
pub(super) struct Totals {
    pub(super) currency: Option<Currency>,
    pub(super) rows: u64,
    pub(super) excluded_before_start: u64,
    pub(super) excluded_after_as_of: u64,
}

/// One cohort while the customers are assigned: its size and, per period since
/// acquisition, the active customers and the revenue.
struct Building {
    size: u64,
    active: Vec<u64>,
    revenue: Vec<Decimal>,
}

/// The table of the customers' periods.
pub(super) fn build<'a>(
    config: &CohortConfig,
    totals: Totals,
    customers: impl Iterator<Item = &'a CustomerPeriods> + Clone,
) -> Result<CohortTable, SegmentationError> {
    let kind = config.period;
    let mut report = CohortReport {
        rows: totals.rows,
        excluded_before_start: totals.excluded_before_start,
        excluded_after_as_of: totals.excluded_after_as_of,
        ..CohortReport::default()
    };
    // The last period observed: of any row in the range, whoever its customer.
    let last = customers
        .clone()
        .filter_map(|c| c.cells.last().map(|cell| cell.period))
        .max();
    let mut cohorts: BTreeMap<i32, Building> = BTreeMap::new();
    if let Some(last) = last {
        for customer in customers {
            let rows = || {
                customer
                    .cells
                    .iter()
                    .fold(0u64, |n, c| n.saturating_add(c.transactions))
            };
            if customer.cells.is_empty() {
                continue; // only rows before the start
            }
            if customer.acquired_before_start {
                report.customers_acquired_before_start += 1;
                report.excluded_acquired_before_start =
                    report.excluded_acquired_before_start.saturating_add(rows());
                continue;
            }
            let Some(first) = customer.cells.iter().find(|c| c.purchases > 0) else {
                report.customers_without_purchase += 1;
                report.excluded_before_acquisition =
                    report.excluded_before_acquisition.saturating_add(rows());
                continue;
            };
            let acquired = first.period;
            let span = usize::try_from(i64::from(last) - i64::from(acquired) + 1).unwrap_or(0);
            let cohort = cohorts.entry(acquired).or_insert_with(|| Building {
                size: 0,
                active: vec![0; span],
                revenue: vec![Decimal::ZERO; span],
            });
            cohort.size += 1;
            report.customers += 1;
            for cell in &customer.cells {
                let since = usize::try_from(i64::from(cell.period) - i64::from(acquired)).ok();
                let slot = since
                    .and_then(|i| Some((cohort.active.get_mut(i)?, cohort.revenue.get_mut(i)?)));
                let Some((active, revenue)) = slot else {
                    report.excluded_before_acquisition = report
                        .excluded_before_acquisition
                        .saturating_add(cell.transactions);
                    continue;
                };
                *active += u64::from(cell.purchases > 0);
                *revenue =
                    exact_add(*revenue, cell.revenue).ok_or(SegmentationError::SumOverflow {
                        what: "a cohort's revenue in a period",
                        customer: None,
                    })?;
                report.used = report.used.saturating_add(cell.transactions);
            }
        }
    }
    let cohorts = cohorts
        .into_iter()
        .map(|(period, building)| finish_cohort(kind, period, building))
        .collect::<Result<Vec<_>, _>>()?;
    Ok(CohortTable {
        period: kind,
        start: config.start,
        as_of: config.as_of,
        currency: totals.currency,
        last_period: last.map(|p| kind.label_of(p)),
        cohorts,
        report,
    })
}

/// The cells of one cohort from its per-period counts and revenue.
fn finish_cohort(
    kind: CohortPeriod,
    period: i32,
    building: Building,
) -> Result<Cohort, SegmentationError> {
    let size = building.size;
    let base = building.revenue.first().copied().unwrap_or(Decimal::ZERO);
    let mut cumulative = Decimal::ZERO;
    let mut cells = Vec::with_capacity(building.revenue.len());
    for (i, (active, revenue)) in building
        .active
        .into_iter()
        .zip(building.revenue)
        .enumerate()
    {
        cumulative = exact_add(cumulative, revenue).ok_or(SegmentationError::SumOverflow {
            what: "a cohort's cumulative revenue",
            customer: None,
        })?;
        cells.push(CohortCell {
            period: u32::try_from(i).unwrap_or(u32::MAX),
            active,
            retention: active as f64 / size as f64,
            revenue,
            revenue_retention: if base > Decimal::ZERO {
                revenue.to_f64().zip(base.to_f64()).map(|(r, b)| r / b)
            } else {
                None
            },
            cumulative_revenue: cumulative,
            cumulative_revenue_per_customer: cumulative.checked_div(Decimal::from(size)).ok_or(
                SegmentationError::SumOverflow {
                    what: "a cohort's cumulative revenue per customer",
                    customer: None,
                },
            )?,
        });
    }
    Ok(Cohort {
        label: kind.label_of(period),
        // Periods come from dates: every one has a first day.
        start: kind.first_day(period).unwrap_or(NaiveDate::MIN),
        size,
        cells,
    })
}
