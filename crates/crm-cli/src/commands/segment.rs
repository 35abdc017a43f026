//! `crm rfm` and `crm abc`: RFM scores and segments, ABC classes, computed by
//! `crm-segmentation`.

use chrono::{DateTime, Utc};
use crm_core::Money;
use crm_segmentation::abc::{AbcResult, LorenzCurve, classify, lorenz};
use crm_segmentation::{AbcMethod, GroupSummary, RfmConfig, RfmTable, rfm};
use rust_decimal::Decimal;
use rust_decimal::prelude::ToPrimitive;
use serde::Serialize;

use crate::cli::{AbcArgs, AbcMode, RfmArgs};
use crate::commands::source::load_transactions;
use crate::error::{CliError, CliResult};
use crate::input::parse_cli_date;
use crate::input::transactions::TransactionRow;
use crate::output::{print_json, write_table};

/// Columns of the RFM table.
pub const RFM_COLUMNS: [&str; 8] = [
    "customer_id",
    "recency_days",
    "frequency",
    "monetary",
    "r_score",
    "f_score",
    "m_score",
    "segment",
];

/// One row of the RFM table.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct RfmRow {
    /// The customer.
    pub customer_id: String,
    /// Whole days from the last purchase to the as-of date.
    pub recency_days: u32,
    /// Number of transactions.
    pub frequency: u64,
    /// Net total of amounts, refunds included.
    pub monetary: Decimal,
    /// Recency score (1..=k, higher = more recent).
    pub r_score: u8,
    /// Frequency score.
    pub f_score: u8,
    /// Monetary score.
    pub m_score: u8,
    /// Named segment.
    pub segment: String,
}

fn seg(e: crm_segmentation::SegmentationError) -> CliError {
    CliError::analysis("segmentation", e)
}

/// Computes the RFM table of transactions with the library.
pub fn rfm_table(
    rows: &[TransactionRow],
    as_of: Option<DateTime<Utc>>,
    bins: u8,
) -> CliResult<RfmTable<String>> {
    let config = RfmConfig {
        as_of,
        k: bins,
        ..RfmConfig::default()
    };
    // Keys borrowed from the rows: one owned key per customer afterwards instead of one
    // per transaction.
    rfm(
        rows.iter().map(|r| {
            (
                r.customer_id.as_str(),
                r.timestamp,
                Money::new(r.amount, r.currency),
            )
        }),
        &config,
    )
    .map(|table| table.map_keys(str::to_owned))
    .map_err(seg)
}

/// The per-customer rows of an RFM table.
pub fn rfm_rows(table: &RfmTable<String>) -> Vec<RfmRow> {
    table
        .customers
        .iter()
        .map(|c| RfmRow {
            customer_id: c.customer.clone(),
            recency_days: c.recency_days,
            frequency: c.frequency,
            monetary: c.monetary,
            r_score: c.r,
            f_score: c.f,
            m_score: c.m,
            segment: table.segment_name(c).to_string(),
        })
        .collect()
}

/// `crm rfm`.
pub fn run_rfm(args: &RfmArgs) -> CliResult<()> {
    let as_of = args
        .as_of
        .as_deref()
        .map(|d| parse_cli_date("as-of", d))
        .transpose()?;
    let rows = load_transactions(&args.source, &args.options)?;
    let table = rfm_table(&rows, as_of, args.bins)?;
    if let Some(path) = &args.out.output {
        write_table(path, &rfm_rows(&table), &RFM_COLUMNS)?;
    }
    let segments = table.segment_summary();
    if args.out.json {
        print_json(&serde_json::json!({
            "as_of": table.as_of,
            "bins": table.k,
            "customers": table.customers.len(),
            "transactions": table.report.used,
            "excluded_after_as_of": table.report.excluded_after_as_of,
            "segments": segments,
        }))
    } else {
        println!(
            "RFM as of {}: {} customers, {} transactions ({} after the as-of date excluded)",
            table
                .as_of
                .map(|t| t.format("%Y-%m-%d").to_string())
                .unwrap_or_else(|| "-".into()),
            table.customers.len(),
            table.report.used,
            table.report.excluded_after_as_of
        );
        print_segments(&segments);
        Ok(())
    }
}

/// Prints a segment summary table.
pub fn print_segments(segments: &[GroupSummary]) {
    println!(
        "{:<20} {:>9} {:>8} {:>14} {:>8}",
        "segment", "customers", "share", "revenue", "share"
    );
    for s in segments.iter().filter(|s| s.customers > 0) {
        println!(
            "{:<20} {:>9} {:>7.1}% {:>14} {:>7}",
            s.name,
            s.customers,
            100.0 * s.customer_share,
            s.revenue.round_dp(2),
            s.revenue_share
                .map(|x| format!("{:.1}%", 100.0 * x))
                .unwrap_or_else(|| "-".into())
        );
    }
}

/// Columns of the ABC table.
pub const ABC_COLUMNS: [&str; 4] = ["customer_id", "value", "cumulative_share", "class"];

/// One row of the ABC table.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct AbcRow {
    /// The customer.
    pub customer_id: String,
    /// Net revenue.
    pub value: Decimal,
    /// Share of total value held by this customer and every customer ranked above.
    pub cumulative_share: Option<f64>,
    /// A, B or C.
    pub class: String,
}

/// ABC classes (and the Lorenz curve) of customers' net revenue, with the library.
pub fn abc_of(
    table: &RfmTable<String>,
    mode: AbcMode,
) -> CliResult<(AbcResult<String>, LorenzCurve)> {
    let method = match mode {
        AbcMode::Share => AbcMethod::default(),
        AbcMode::Rank => AbcMethod::rank_share_default(),
    };
    let values: Vec<(String, Decimal)> = table
        .customers
        .iter()
        .map(|c| (c.customer.clone(), c.revenue))
        .collect();
    let curve = lorenz(&values.iter().map(|v| v.1).collect::<Vec<_>>(), 200);
    let result = classify(values, &method).map_err(seg)?;
    Ok((result, curve))
}

/// The per-customer rows of an ABC result (richest first).
pub fn abc_rows(result: &AbcResult<String>) -> Vec<AbcRow> {
    let total = result
        .entries
        .iter()
        .fold(Decimal::ZERO, |s, e| s.saturating_add(e.value));
    let mut running = Decimal::ZERO;
    result
        .entries
        .iter()
        .map(|e| {
            running = running.saturating_add(e.value);
            AbcRow {
                customer_id: e.customer.clone(),
                value: e.value,
                cumulative_share: if total.is_zero() {
                    None
                } else {
                    running.checked_div(total).and_then(|x| x.to_f64())
                },
                class: e.class.to_string(),
            }
        })
        .collect()
}

/// `crm abc`.
pub fn run_abc(args: &AbcArgs) -> CliResult<()> {
    let rows = load_transactions(&args.source, &args.options)?;
    let table = rfm_table(&rows, None, 5)?;
    let (result, curve) = abc_of(&table, args.mode)?;
    if let Some(path) = &args.out.output {
        write_table(path, &abc_rows(&result), &ABC_COLUMNS)?;
    }
    if args.out.json {
        print_json(&serde_json::json!({
            "mode": match args.mode { AbcMode::Share => "share", AbcMode::Rank => "rank" },
            "customers": result.entries.len(),
            "gini": curve.gini,
            "classes": result.summary,
        }))
    } else {
        println!(
            "ABC ({} mode): {} customers, Gini {}",
            match args.mode {
                AbcMode::Share => "share",
                AbcMode::Rank => "rank",
            },
            result.entries.len(),
            curve
                .gini
                .map(|g| format!("{g:.3}"))
                .unwrap_or_else(|| "-".into())
        );
        for s in &result.summary {
            println!(
                "  {}: {:>7} customers ({:>5.1}%), value {} ({})",
                s.class,
                s.customers,
                100.0 * s.customer_share,
                s.value.round_dp(2),
                s.value_share
                    .map(|x| format!("{:.1}%", 100.0 * x))
                    .unwrap_or_else(|| "-".into())
            );
        }
        Ok(())
    }
}
