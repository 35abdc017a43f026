//! Report section: RFM segments, the recency × frequency heat map, ABC classes with the Pareto
//! curve, and value tiers (all computed by `crm-segmentation`).

use std::collections::BTreeMap;

use chrono::{DateTime, Datelike, Utc};
use crm_segmentation::{AbcResult, GroupSummary, LorenzCurve, RfmTable, migration};
use crm_segmentation::{CohortConfig, CohortPeriod, CohortTable, TierTable, assign_tiers, cohorts};
use rust_decimal::Decimal;
use rust_decimal::prelude::ToPrimitive;
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
            "customers",
            &|v| v.separate_with_commas(),
        )?,
    })
}

/// Mean monetary value (mean net amount per purchase) per recency score and frequency
/// score, as R's `rfm` package draws it; cells without customers are blank.
fn monetary_heatmap_chart(table: &RfmTable<String>, currency: &str) -> CliResult<Chart> {
    let mut sums = vec![vec![0.0; 5]; 5];
    let mut counts = vec![vec![0u64; 5]; 5];
    for row in &table.customers {
        let (r, f) = (
            usize::from(row.r.clamp(1, 5)) - 1,
            usize::from(row.f.clamp(1, 5)) - 1,
        );
        sums[f][r] += row.monetary.to_f64().unwrap_or(0.0);
        counts[f][r] += 1;
    }
    let grid: Vec<Vec<f64>> = sums
        .iter()
        .zip(&counts)
        .map(|(s, n)| {
            s.iter()
                .zip(n)
                .map(|(s, n)| if *n == 0 { f64::NAN } else { s / *n as f64 })
                .collect()
        })
        .collect();
    let scores: Vec<String> = (1..=5).map(|s| s.to_string()).collect();
    Ok(Chart {
        caption: format!(
            "Mean monetary value ({currency} per purchase) per recency score (x) and frequency \
             score (y); blank cells hold no customer"
        ),
        svg: charts::heatmap(
            "Mean monetary value by R and F",
            &scores,
            &scores,
            &grid,
            "R score",
            "F score",
            &format!("mean monetary ({currency})"),
            &|v| (v.round() as i64).separate_with_commas(),
        )?,
    })
}

/// The value below which `share` of the sorted `values` lie (nearest rank).
fn quantile(sorted: &[f64], share: f64) -> f64 {
    if sorted.is_empty() {
        return 0.0;
    }
    let rank = (share * sorted.len() as f64).ceil() as usize;
    sorted[rank.clamp(1, sorted.len()) - 1]
}

/// Histograms of recency (days), frequency (purchases) and monetary value over customers,
/// each up to its 99th percentile (the customers beyond it count in the last bar).
fn distribution_charts(table: &RfmTable<String>, currency: &str) -> CliResult<Vec<Chart>> {
    let sorted = |values: Vec<f64>| {
        let mut v = values;
        v.sort_by(f64::total_cmp);
        v
    };
    let recency = sorted(
        table
            .customers
            .iter()
            .map(|c| f64::from(c.recency_days))
            .collect(),
    );
    let frequency = sorted(table.customers.iter().map(|c| c.frequency as f64).collect());
    let monetary = sorted(
        table
            .customers
            .iter()
            .map(|c| c.monetary.to_f64().unwrap_or(0.0))
            .collect(),
    );
    let beyond = |values: &[f64], top: f64| values.iter().filter(|v| **v > top).count();
    let r_top = quantile(&recency, 0.99).max(1.0);
    // One bar per purchase count while they are few, else 30 bars.
    let f_top = quantile(&frequency, 0.99).max(1.0);
    let f_bins = (f_top as usize).clamp(1, 30);
    let m_low = quantile(&monetary, 0.0).min(0.0);
    let m_top = quantile(&monetary, 0.99).max(m_low + 1.0);
    let note = |values: &[f64], top: f64, unit: &str| {
        let n = beyond(values, top);
        if n == 0 {
            String::new()
        } else {
            format!(
                "; the {} customers above {} {unit} (the 99th percentile) count in the last bar",
                n.separate_with_commas(),
                (top.round() as i64).separate_with_commas()
            )
        }
    };
    Ok(vec![
        Chart {
            caption: format!(
                "Customers by recency: days from the last purchase to the reference date{}",
                note(&recency, r_top, "days")
            ),
            svg: charts::histogram(
                "Recency",
                &recency,
                (0.0, r_top),
                30,
                "days since the last purchase",
                "customers",
            )?,
        },
        Chart {
            caption: format!(
                "Customers by frequency: purchases (days with a purchase){}",
                note(&frequency, f_top, "purchases")
            ),
            svg: charts::histogram(
                "Frequency",
                &frequency,
                (0.5, f_top + 0.5),
                f_bins,
                "purchases",
                "customers",
            )?,
        },
        Chart {
            caption: format!(
                "Customers by monetary value: mean net amount per purchase ({currency}){}",
                note(&monetary, m_top, currency)
            ),
            svg: charts::histogram(
                "Monetary value",
                &monetary,
                (m_low, m_top),
                30,
                &format!("mean amount per purchase ({currency})"),
                "customers",
            )?,
        },
    ])
}

/// Net revenue per calendar month, from the month of the first transaction to that of
/// `as_of` (months without transactions hold zero); transactions after `as_of` are left
/// out.
fn monthly_revenue(rows: &[TransactionRow], as_of: DateTime<Utc>) -> Vec<(String, Decimal)> {
    let month = |t: DateTime<Utc>| t.year() * 12 + t.month0() as i32;
    let mut totals: BTreeMap<i32, Decimal> = BTreeMap::new();
    for r in rows.iter().filter(|r| r.timestamp <= as_of) {
        *totals.entry(month(r.timestamp)).or_default() += r.amount;
    }
    let Some(first) = totals.keys().next().copied() else {
        return Vec::new();
    };
    (first..=month(as_of))
        .map(|m| {
            (
                format!("{}-{:02}", m.div_euclid(12), m.rem_euclid(12) + 1),
                totals.get(&m).copied().unwrap_or_default(),
            )
        })
        .collect()
}

/// Months of revenue drawn, and listed with their change.
const REVENUE_MONTHS_DRAWN: usize = 24;
const REVENUE_MONTHS_LISTED: usize = 12;

/// The change from `before` to `now` in percent, when `before` is positive.
fn change(now: Decimal, before: Option<Decimal>) -> Option<f64> {
    let before = before?;
    (before > Decimal::ZERO).then(|| ((now - before) / before).to_f64().unwrap_or(0.0) * 100.0)
}

fn signed_pct(x: Option<f64>) -> String {
    x.map_or("-".into(), |v| format!("{v:+.1}%"))
}

/// Revenue over time: a bar per month and a table of the latest months with their change
/// from the month before and from the same month a year before.
fn revenue_over_time(months: &[(String, Decimal)], currency: &str) -> CliResult<(Chart, Table)> {
    let drawn = &months[months.len().saturating_sub(REVENUE_MONTHS_DRAWN)..];
    let points: Vec<(String, f64)> = drawn
        .iter()
        .map(|(m, v)| (m.clone(), v.to_f64().unwrap_or(0.0)))
        .collect();
    let chart = Chart {
        caption: format!(
            "Net revenue per month ({currency}), the latest {} months; the last month may be partial \
             (it ends at the reference date)",
            drawn.len()
        ),
        svg: charts::period_bars(
            "Revenue over time",
            &points,
            &format!("net revenue ({currency})"),
        )?,
    };
    let start = months.len().saturating_sub(REVENUE_MONTHS_LISTED);
    let rows = (start..months.len())
        .rev()
        .map(|i| {
            let (label, value) = &months[i];
            let previous = i.checked_sub(1).map(|j| months[j].1);
            let year_before = i.checked_sub(12).map(|j| months[j].1);
            vec![
                label.clone(),
                value.round_dp(2).separate_with_commas(),
                signed_pct(change(*value, previous)),
                signed_pct(change(*value, year_before)),
            ]
        })
        .collect();
    let table = Table {
        caption: "Net revenue of the latest months, with the change from the month before and \
                  from the same month a year before"
            .into(),
        columns: [
            "month",
            &format!("net revenue ({currency})"),
            "vs previous month",
            "vs a year before",
        ]
        .iter()
        .map(|s| s.to_string())
        .collect(),
        rows,
    };
    Ok((chart, table))
}

/// How far before the reference date the segment migration starts by default.
pub const MIGRATION_DAYS: i64 = 90;

/// Segment migration between `from` and the table's reference date: a heat map of
/// customers per segment before (rows) and after (columns), new and gone customers as
/// "(absent)"; `None` when no customer had bought by `from`.
fn migration_chart(
    rows: &[TransactionRow],
    from: DateTime<Utc>,
    after: &RfmTable<String>,
) -> CliResult<Option<(Chart, serde_json::Value)>> {
    if !rows.iter().any(|r| r.timestamp <= from) {
        return Ok(None);
    }
    let before = rfm_table(rows, Some(from), 5)?;
    let m = migration(&before, after);
    // Only the segments someone was in.
    let used_rows: Vec<usize> = (0..m.from.len())
        .filter(|i| m.counts[*i].iter().any(|c| *c > 0))
        .collect();
    let used_cols: Vec<usize> = (0..m.to.len())
        .filter(|j| m.counts.iter().any(|r| r[*j] > 0))
        .collect();
    let grid: Vec<Vec<f64>> = used_rows
        .iter()
        .map(|i| used_cols.iter().map(|j| m.counts[*i][*j] as f64).collect())
        .collect();
    let y: Vec<String> = used_rows.iter().map(|i| m.from[*i].clone()).collect();
    let x: Vec<String> = used_cols.iter().map(|j| m.to[*j].clone()).collect();
    let moved = m.changed().count();
    let chart = Chart {
        caption: format!(
            "Segment migration: customers by RFM segment on {} (rows) and on {} (columns); \
             {} of {} customers changed segment; (absent) = no purchase yet, or not in the table",
            from.format("%Y-%m-%d"),
            after
                .as_of
                .map_or_else(|| "-".to_string(), |t| t.format("%Y-%m-%d").to_string()),
            moved.separate_with_commas(),
            m.moves.len().separate_with_commas(),
        ),
        svg: charts::heatmap(
            "Segment migration",
            &x,
            &y,
            &grid,
            "segment after",
            "",
            "customers",
            &|v| (v as i64).separate_with_commas(),
        )?,
    };
    let summary = json!({
        "from": from,
        "to": after.as_of,
        "segments_before": m.from,
        "segments_after": m.to,
        "counts": m.counts,
        "customers": m.moves.len(),
        "changed": moved,
    });
    Ok(Some((chart, summary)))
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
            "% of the cohort buying",
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

/// Runs RFM, ABC and tiers on the transactions and adds the section (with the segment
/// migration from `migration_from`, by default [`MIGRATION_DAYS`] before `as_of`);
/// returns the RFM table.
pub fn section(
    rows: &[TransactionRow],
    as_of: DateTime<Utc>,
    migration_from: Option<DateTime<Utc>>,
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
    let currency = table
        .currency
        .or_else(|| rows.first().map(|r| r.currency))
        .map_or_else(|| "-".to_string(), |c| c.code().to_string());
    let from = migration_from.unwrap_or(as_of - chrono::TimeDelta::days(MIGRATION_DAYS));
    let moves = if from < as_of {
        migration_chart(rows, from, &table)?
    } else {
        None
    };
    let months = monthly_revenue(rows, as_of);
    let (revenue_chart, revenue_table) = revenue_over_time(&months, &currency)?;
    let mut charts_v = vec![
        shares_chart(
            "RFM segments",
            "Share of customers and of net revenue per RFM segment",
            segments.iter().filter(|s| s.customers > 0),
        )?,
        heatmap_chart(&table)?,
        monetary_heatmap_chart(&table, &currency)?,
    ];
    charts_v.extend(distribution_charts(&table, &currency)?);
    let (migration_summary, migration_chart) = match moves {
        Some((chart, summary)) => (summary, Some(chart)),
        None => (serde_json::Value::Null, None),
    };
    charts_v.extend(migration_chart);
    charts_v.extend([
        revenue_chart,
        pareto_chart(&curve)?,
        shares_chart(
            "Value tiers",
            "Value tiers: share of customers and of revenue",
            tiers.summary.iter(),
        )?,
    ]);
    charts_v.extend(cohort);
    let section = Section {
        title: "Segments".into(),
        text: format!(
            "RFM as of {} with 5 quantile bins per dimension and the standard segment table, and the \
             migration between segments since {}; net revenue per month; ABC classes by \
             cumulative value share; value tiers combining RFM scores, ABC class and tenure; \
             retention of monthly acquisition cohorts.",
            as_of.format("%Y-%m-%d"),
            from.format("%Y-%m-%d")
        ),
        headlines: headlines(&table, &segments, &abc, &curve),
        charts: charts_v,
        tables: vec![
            group_table("RFM segments", &segments),
            revenue_table,
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
        "migration": migration_summary,
        "revenue_by_month": months
            .iter()
            .map(|(m, v)| json!({"month": m, "net_revenue": v}))
            .collect::<Vec<_>>(),
    });
    c.section(section, "segmentation", summary);
    Ok(table)
}
