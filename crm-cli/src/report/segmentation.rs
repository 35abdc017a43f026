//! Report section: RFM segments, the recency × frequency heat map, ABC classes with the Pareto
//! curve, and value tiers (all computed by `crm-segmentation`).

use chrono::{DateTime, Utc};
use crm_segmentation::{AbcResult, GroupSummary, LorenzCurve, RfmTable};
use crm_segmentation::{CohortConfig, CohortPeriod, CohortTable, TierTable, assign_tiers, cohorts};
use serde_json::json;
use thousands::Separable;

use crate::cli::AbcMode;
use crate::commands::segment::{abc_of, rfm_table};
use crate::error::CliResult;
use crate::input::transactions::TransactionRow;
use crate::report::charts;
use crate::report::collector::Collector;
use crate::report::html::{Chart, Section, Table};

fn pct(x: f64) -> String {
    format!("{:.1}%", 100.0 * x)
}

fn group_table(caption: &str, groups: &[GroupSummary]) -> Table {
    Table {
        caption: caption.into(),
        columns: [
            "name",
            "customers",
            "share",
            "revenue",
            "revenue share",
            "mean recency (days)",
            "mean frequency",
        ]
        .iter()
        .map(|s| s.to_string())
        .collect(),
        rows: groups
            .iter()
            .filter(|g| g.customers > 0)
            .map(|g| {
                vec![
                    g.name.clone(),
                    g.customers.separate_with_commas(),
                    pct(g.customer_share),
                    g.revenue.round_dp(2).separate_with_commas(),
                    g.revenue_share.map(pct).unwrap_or("-".into()),
                    format!("{:.0}", g.mean_recency_days),
                    format!("{:.2}", g.mean_frequency),
                ]
            })
            .collect(),
    }
}

/// Bars of the share of customers and of revenue per group.
fn shares_chart<'a>(
    title: &str,
    caption: &str,
    groups: impl Iterator<Item = &'a GroupSummary>,
) -> CliResult<Chart> {
    let shown: Vec<&GroupSummary> = groups.collect();
    let labels: Vec<String> = shown.iter().map(|s| s.name.clone()).collect();
    let cust: Vec<f64> = shown.iter().map(|s| 100.0 * s.customer_share).collect();
    let rev: Vec<f64> = shown
        .iter()
        .map(|s| 100.0 * s.revenue_share.unwrap_or(0.0))
        .collect();
    Ok(Chart {
        caption: caption.into(),
        svg: charts::bars(
            title,
            &labels,
            &[("% of customers", &cust), ("% of revenue", &rev)],
            "%",
        )?,
    })
}

/// Customers per recency score and frequency score.
fn heatmap_chart(table: &RfmTable<String>) -> CliResult<Chart> {
    let mut grid = vec![vec![0.0; 5]; 5];
    for row in &table.customers {
        let (r, f) = (
            usize::from(row.r.clamp(1, 5)) - 1,
            usize::from(row.f.clamp(1, 5)) - 1,
        );
        grid[f][r] += 1.0;
    }
    let scores: Vec<String> = (1..=5).map(|s| s.to_string()).collect();
    Ok(Chart {
        caption: "Customers per recency score (x) and frequency score (y)".into(),
        svg: charts::heatmap(
            "Recency x frequency",
            &scores,
            &scores,
            &grid,
            "R score",
            "F score",
            &|v| format!("{v:.0}"),
        )?,
    })
}

/// Most recent acquisition cohorts, and months after acquisition, drawn in the retention map
/// (12 × 12 cells, each annotated with its value).
const COHORT_ROWS: usize = 12;

/// The monthly cohort retention table up to `as_of`, and its heat map: acquisition month
/// (y, the latest [`COHORT_ROWS`]) by months since (x, from 1: month 0 is 100% by
/// definition), each cell the share of the cohort buying in that month; months a cohort
/// has not reached yet are left blank.
fn cohort_chart(
    rows: &[TransactionRow],
    as_of: DateTime<Utc>,
) -> CliResult<(CohortTable, Option<Chart>)> {
    let config = CohortConfig {
        period: CohortPeriod::Month,
        start: None,
        as_of: Some(as_of),
    };
    let table = cohorts(rows.iter().map(TransactionRow::purchase), &config)
        .map_err(|e| crate::error::CliError::analysis("cohorts", e))?;
    let shown = &table.cohorts[table.cohorts.len().saturating_sub(COHORT_ROWS)..];
    if shown.is_empty() {
        return Ok((table, None));
    }
    let months = shown
        .iter()
        .map(|c| c.cells.len().saturating_sub(1))
        .max()
        .unwrap_or(0)
        .min(COHORT_ROWS);
    if months == 0 {
        return Ok((table, None));
    }
    let grid: Vec<Vec<f64>> = shown
        .iter()
        .map(|c| {
            (1..=months)
                .map(|m| {
                    c.cells
                        .get(m)
                        .map_or(f64::NAN, |cell| cell.retention * 100.0)
                })
                .collect()
        })
        .collect();
    let x: Vec<String> = (1..=months).map(|m| m.to_string()).collect();
    let y: Vec<String> = shown.iter().map(|c| c.label.clone()).collect();
    let chart = Chart {
        caption: format!(
            "Cohort retention: the share of each acquisition month's customers (rows) who bought \
             again in each month after it (%); cohort sizes {}",
            shown
                .iter()
                .map(|c| format!("{} {}", c.label, c.size))
                .collect::<Vec<_>>()
                .join(", ")
        ),
        svg: charts::heatmap(
            "Cohort retention (%)",
            &x,
            &y,
            &grid,
            "months after the first purchase",
            // The labels say it (a description would overlap their text).
            "",
            &|v| format!("{v:.0}"),
        )?,
    };
    Ok((table, Some(chart)))
}

/// The Pareto curve: the share of revenue from the top customers.
fn pareto_chart(curve: &LorenzCurve) -> CliResult<Chart> {
    // The Pareto curve is the Lorenz curve read from the richest end.
    let mut pareto: Vec<(f64, f64)> = curve
        .points
        .iter()
        .map(|p| (1.0 - p.customer_share, 1.0 - p.value_share))
        .collect();
    pareto.sort_by(|a, b| a.0.total_cmp(&b.0));
    Ok(Chart {
        caption: format!(
            "Pareto curve: share of net revenue from the top customers (Gini {})",
            gini(curve)
        ),
        svg: charts::lines(
            "ABC Pareto curve",
            &[("cumulative revenue share", pareto)],
            "share of customers (by value, descending)",
            "share of revenue",
            true,
        )?,
    })
}

fn abc_table(abc: &AbcResult<String>) -> Table {
    Table {
        caption:
            "ABC classes (A while the value share before the customer is below 80%, B below 95%)"
                .into(),
        columns: ["class", "customers", "share", "value", "value share"]
            .iter()
            .map(|s| s.to_string())
            .collect(),
        rows: abc
            .summary
            .iter()
            .map(|s| {
                vec![
                    s.class.to_string(),
                    s.customers.separate_with_commas(),
                    pct(s.customer_share),
                    s.value.round_dp(2).separate_with_commas(),
                    s.value_share.map(pct).unwrap_or("-".into()),
                ]
            })
            .collect(),
    }
}

/// The Gini coefficient of customer value, for display.
fn gini(curve: &LorenzCurve) -> String {
    curve.gini.map(|g| format!("{g:.3}")).unwrap_or("-".into())
}

/// The section's headline figures: customers scored, the largest segment, the share of
/// class A and the Gini coefficient.
fn headlines(
    table: &RfmTable<String>,
    segments: &[GroupSummary],
    abc: &AbcResult<String>,
    curve: &LorenzCurve,
) -> Vec<(String, String)> {
    let top = segments
        .iter()
        .filter(|s| s.customers > 0)
        .max_by_key(|s| s.customers);
    let class_a = abc.summary.first();
    vec![
        (
            "customers scored".into(),
            table.customers.len().separate_with_commas(),
        ),
        (
            "largest segment".into(),
            top.map(|s| format!("{} ({})", s.name, pct(s.customer_share)))
                .unwrap_or("-".into()),
        ),
        (
            "class A customers / revenue".into(),
            class_a
                .map(|a| {
                    format!(
                        "{} / {}",
                        pct(a.customer_share),
                        a.value_share.map(pct).unwrap_or("-".into())
                    )
                })
                .unwrap_or("-".into()),
        ),
        ("Gini of customer value".into(), gini(curve)),
    ]
}

/// Runs RFM, ABC and tiers on the transactions and adds the section; returns the RFM table.
pub fn section(
    rows: &[TransactionRow],
    as_of: DateTime<Utc>,
    c: &mut Collector,
) -> CliResult<RfmTable<String>> {
    let table = rfm_table(rows, Some(as_of), 5)?;
    let segments = table
        .segment_summary()
        .map_err(|e| crate::error::CliError::analysis("RFM segments", e))?;
    let (abc, curve) = abc_of(&table, AbcMode::Share)?;
    let tiers = assign_tiers(&table, &TierTable::default())
        .map_err(|e| crate::error::CliError::analysis("value tiers", e))?;
    let (cohort_table, cohort) = cohort_chart(rows, as_of)?;
    let mut charts_v = vec![
        shares_chart(
            "RFM segments",
            "Share of customers and of net revenue per RFM segment",
            segments.iter().filter(|s| s.customers > 0),
        )?,
        heatmap_chart(&table)?,
        pareto_chart(&curve)?,
        shares_chart(
            "Value tiers",
            "Value tiers: share of customers and of revenue",
            tiers.summary.iter(),
        )?,
    ];
    charts_v.extend(cohort);
    let section = Section {
        title: "Segments".into(),
        text: format!(
            "RFM as of {} with 5 quantile bins per dimension and the standard segment table; ABC classes by \
             cumulative value share; value tiers combining RFM scores, ABC class and tenure; \
             retention of monthly acquisition cohorts.",
            as_of.format("%Y-%m-%d")
        ),
        headlines: headlines(&table, &segments, &abc, &curve),
        charts: charts_v,
        tables: vec![
            group_table("RFM segments", &segments),
            abc_table(&abc),
            group_table("Value tiers", &tiers.summary),
        ],
        code: Vec::new(),
    };
    let summary = json!({
        "as_of": table.as_of,
        "customers": table.customers.len(),
        "transactions": table.report.used,
        "segments": segments,
        "abc": abc.summary,
        "gini": curve.gini,
        "tiers": tiers.summary,
        "cohorts": cohort_table,
    });
    c.section(section, "segmentation", summary);
    Ok(table)
}
