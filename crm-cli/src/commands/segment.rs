//! `crm rfm` and `crm abc`: RFM scores and segments, ABC classes, computed by
//! `crm-segmentation`.

use std::hash::Hash;
use std::io::Write;

use chrono::{DateTime, Utc};
use crm_segmentation::{
    AbcMethod, CustomerRfm, GroupSummary, RfmConfig, RfmTable, rfm, rfm_from_totals, rfm_parallel,
};
use crm_segmentation::{AbcResult, LorenzCurve, TierAssignment, TierTable, assign_tiers};
use crm_segmentation::{SegmentMigration, classify, lorenz, migration};
use rust_decimal::Decimal;
use rust_decimal::prelude::ToPrimitive;
use serde::Serialize;

use std::path::Path;

use crate::cli::{
    AbcArgs, AbcMode, MigrationArgs, RfmArgs, TiersArgs, TransactionFormat, TransactionOptions,
    TransactionSource,
};
use crate::commands::database::{load_purchase_totals, ranges_cut_at};
use crate::commands::source::load_transactions;
use crate::commands::source::rates_of;
use crate::error::{CliError, CliResult};
use crate::input::purchases::{Purchases, Row, read_purchases, unpack};
use crate::input::rates::Rates;
use crate::input::transactions::{TransactionRow, default_currency_option};
use crate::input::{parse_cli_date, parse_cli_date_opt};
use crate::output::{OutputFormat, format_of, outln, print_json, write_atomic, write_table};

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

/// The RFM configuration of the command line's options.
fn rfm_config(as_of: Option<DateTime<Utc>>, bins: u8) -> RfmConfig {
    RfmConfig {
        as_of,
        bins,
        ..RfmConfig::default()
    }
}

/// Computes the RFM table of transactions with the library.
pub fn rfm_table(
    rows: &[TransactionRow],
    as_of: Option<DateTime<Utc>>,
    bins: u8,
) -> CliResult<RfmTable<String>> {
    let config = rfm_config(as_of, bins);
    // Keys borrowed from the rows: one owned key per customer afterwards instead of one
    // per transaction.
    rfm(rows.iter().map(TransactionRow::purchase), &config)
        .map(|table| table.map_keys(str::to_owned))
        .map_err(seg)
}

/// The RFM table of `--transactions FILE` (every row read) or `--db` (per-customer
/// summaries computed by the database).
fn input_rfm_table(
    source: &TransactionSource,
    options: &TransactionOptions,
    as_of: Option<DateTime<Utc>>,
    bins: u8,
) -> CliResult<RfmTable<String>> {
    match (&source.transactions, &source.db) {
        (None, Some(db)) => rfm_table_of_db(db, as_of, bins, rates_of(options)?.as_ref()),
        _ => rfm_table(&load_transactions(source, options)?, as_of, bins),
    }
}

/// The RFM table of a database, from its per-customer purchase totals: those up to the
/// as-of time, and those after it (counted as excluded).
pub fn rfm_table_of_db(
    db: &Path,
    as_of: Option<DateTime<Utc>>,
    bins: u8,
    rates: Option<&Rates>,
) -> CliResult<RfmTable<String>> {
    let ranges = ranges_cut_at(as_of.as_slice())?;
    let parts = load_purchase_totals(db, &ranges)?;
    let config = RfmConfig {
        conversion: rates.map(Rates::conversion),
        ..rfm_config(as_of, bins)
    };
    let table = rfm_from_totals(parts.iter().flatten(), &config).map_err(|e| {
        // The database's totals are per customer and currency: name the customer.
        if let crm_segmentation::SegmentationError::MixedCurrency {
            row,
            expected,
            found,
        } = &e
            && let Some(t) = parts.iter().flatten().nth(*row as usize)
        {
            return CliError::storage(
                db,
                format!(
                    "customer {} has amounts in {}, other customers in {}: an analysis sums \
                     amounts in one currency",
                    t.customer,
                    found.code(),
                    expected.code()
                ),
            );
        }
        seg(e)
    })?;
    let mut table = table.map_keys(|k| k.to_string());
    // Ids as text sort as the file path's tables do.
    table.customers.sort_by(|a, b| a.customer.cmp(&b.customer));
    Ok(table)
}

/// The per-customer rows of an RFM table.
pub fn rfm_rows(table: &RfmTable<String>) -> Vec<RfmRow> {
    rfm_rows_with(table, |c| c.clone())
}

/// The per-customer rows of an RFM table, with `id` giving each key's customer id.
fn rfm_rows_with<K: Ord>(table: &RfmTable<K>, mut id: impl FnMut(&K) -> String) -> Vec<RfmRow> {
    table
        .customers
        .iter()
        .map(|c| RfmRow {
            customer_id: id(&c.customer),
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

/// An RFM table as CSV, with `id` appending each key's customer id: the bytes
/// [`to_csv`](crate::output::to_csv) makes of [`rfm_rows`], written row by row (no row
/// structs, no string per row), a share of the rows on each core.
fn rfm_csv<K: Ord + Sync>(
    table: &RfmTable<K>,
    id: impl Fn(&K, &mut Vec<u8>) + Sync,
) -> CliResult<Vec<u8>> {
    let mut header = csv::WriterBuilder::new()
        .has_headers(false)
        .from_writer(Vec::new());
    header.write_record(RFM_COLUMNS).map_err(csv_output)?;
    let mut out = header
        .into_inner()
        .map_err(|e| csv_output(e.into_error().into()))?;
    let threads = std::thread::available_parallelism().map_or(1, |n| n.get());
    let share = table.customers.len().div_ceil(threads).max(1 << 14);
    let parts: Vec<CliResult<Vec<u8>>> = std::thread::scope(|s| {
        let id = &id;
        // Rows whose thread cannot be started are written on this one.
        let handles: Vec<_> = table
            .customers
            .chunks(share)
            .map(|customers| {
                let thread = std::thread::Builder::new()
                    .spawn_scoped(s, move || rfm_csv_rows(table, customers, id));
                (customers, thread)
            })
            .collect();
        handles
            .into_iter()
            .map(|(customers, thread)| match thread {
                Ok(h) => h.join().unwrap_or_else(|_| {
                    Err(CliError::analysis("csv output", "a writing thread failed"))
                }),
                Err(_) => rfm_csv_rows(table, customers, id),
            })
            .collect()
    });
    for part in parts {
        out.extend_from_slice(&part?);
    }
    Ok(out)
}

fn csv_output(e: csv::Error) -> CliError {
    CliError::analysis("csv output", e)
}

/// The CSV lines of some rows of an RFM table (no header).
fn rfm_csv_rows<K: Ord>(
    table: &RfmTable<K>,
    customers: &[CustomerRfm<K>],
    id: &impl Fn(&K, &mut Vec<u8>),
) -> CliResult<Vec<u8>> {
    let mut writer = csv::WriterBuilder::new()
        .has_headers(false)
        .from_writer(Vec::with_capacity(48 * customers.len()));
    let mut field = Vec::with_capacity(48);
    for c in customers {
        field.clear();
        id(&c.customer, &mut field);
        writer.write_field(&field).map_err(csv_output)?;
        for n in [u64::from(c.recency_days), c.frequency] {
            field.clear();
            push_digits(&mut field, n);
            writer.write_field(&field).map_err(csv_output)?;
        }
        field.clear();
        write!(field, "{}", c.monetary).map_err(|e| CliError::analysis("csv output", e))?;
        writer.write_field(&field).map_err(csv_output)?;
        for score in [c.r, c.f, c.m] {
            field.clear();
            push_digits(&mut field, u64::from(score));
            writer.write_field(&field).map_err(csv_output)?;
        }
        writer
            .write_field(table.segment_name(c))
            .map_err(csv_output)?;
        writer.write_record(None::<&[u8]>).map_err(csv_output)?;
    }
    writer
        .into_inner()
        .map_err(|e| csv_output(e.into_error().into()))
}

/// Appends the decimal digits of `n` (as `Display` writes them, without the formatting
/// machinery).
fn push_digits(buffer: &mut Vec<u8>, mut n: u64) {
    let mut digits = [0u8; 20];
    let mut i = digits.len();
    loop {
        i -= 1;
        digits[i] = b'0' + (n % 10) as u8;
        n /= 10;
        if n == 0 {
            break;
        }
    }
    buffer.extend_from_slice(&digits[i..]);
}

/// `crm rfm`.
pub fn run_rfm(args: &RfmArgs) -> CliResult<()> {
    let as_of = parse_cli_date_opt("as-of", &args.as_of)?;
    match (&args.input.source.transactions, args.input.options.format) {
        // Rates convert rows as the general reader reads them.
        (Some(path), TransactionFormat::Csv) if args.input.options.currency_rates.is_none() => {
            let currency = default_currency_option(&args.input.options.currency)?;
            let config = rfm_config(as_of, args.bins);
            match read_purchases(path, currency, 0)? {
                Purchases::Short(rows) => rfm_job(&rows, &config, args, short_id),
                Purchases::Medium(rows) => rfm_job(&rows, &config, args, medium_id),
                Purchases::Interned { customers, rows } => {
                    rfm_job(&rows, &config, args, |&k, out| {
                        out.extend_from_slice(customers.get(k).unwrap_or_default().as_bytes());
                    })
                }
            }
        }
        _ => {
            let table = input_rfm_table(&args.input.source, &args.input.options, as_of, args.bins)?;
            if let Some(path) = &args.out.output {
                write_table(path, &rfm_rows(&table), &RFM_COLUMNS)?;
            }
            let segments = table.segment_summary().map_err(seg)?;
            report_rfm(&table, &segments, args.out.json)
        }
    }
}

/// Appends the id of a [`Purchases::Short`] key.
fn short_id(key: &u64, out: &mut Vec<u8>) {
    unpack(&key.to_be_bytes(), out);
}

/// Appends the id of a [`Purchases::Medium`] key.
fn medium_id(key: &u128, out: &mut Vec<u8>) {
    unpack(&key.to_be_bytes(), out);
}

/// The RFM table of purchases keyed by integers that sort as the customer ids do, written
/// to `--output` (CSV or JSON by extension) with `id` appending each key's customer id,
/// and its summary printed.
fn rfm_job<K>(
    rows: &[Row<K>],
    config: &RfmConfig,
    args: &RfmArgs,
    id: impl Fn(&K, &mut Vec<u8>) + Sync,
) -> CliResult<()>
where
    K: Copy + Hash + Ord + Send + Sync + std::fmt::Display,
{
    let table = rfm_parallel(rows, config, 0).map_err(seg)?;
    let segments = match table.segment_summary() {
        Ok(segments) => segments,
        // A sum that overflows names its customer by the key's text: name them by their id.
        Err(crm_segmentation::SegmentationError::SumOverflow {
            what,
            customer: Some(key),
        }) => {
            let customer = table
                .customers
                .iter()
                .find(|c| c.customer.to_string() == key)
                .map(|c| {
                    let mut buffer = Vec::new();
                    id(&c.customer, &mut buffer);
                    String::from_utf8_lossy(&buffer).into_owned()
                });
            return Err(seg(crm_segmentation::SegmentationError::SumOverflow {
                what,
                customer,
            }));
        }
        Err(e) => return Err(seg(e)),
    };
    if let Some(path) = &args.out.output {
        match format_of(path)? {
            OutputFormat::Csv => write_atomic(path, &rfm_csv(&table, id)?)?,
            OutputFormat::Json => {
                let mut buffer = Vec::new();
                let rows = rfm_rows_with(&table, |k| {
                    buffer.clear();
                    id(k, &mut buffer);
                    String::from_utf8_lossy(&buffer).into_owned()
                });
                write_table(path, &rows, &RFM_COLUMNS)?;
            }
        }
    }
    report_rfm(&table, &segments, args.out.json)
}

/// Prints the summary of an RFM table (JSON or a text table).
fn report_rfm<K: Ord + std::fmt::Display>(
    table: &RfmTable<K>,
    segments: &[GroupSummary],
    json: bool,
) -> CliResult<()> {
    if json {
        print_json(&serde_json::json!({
            "as_of": table.as_of,
            "bins": table.bins,
            "customers": table.customers.len(),
            "transactions": table.report.used,
            "excluded_after_as_of": table.report.excluded_after_as_of,
            "segments": segments,
        }))
    } else {
        outln!(
            "RFM as of {}: {} customers, {} transactions ({} after the as-of date excluded)",
            table
                .as_of
                .map(|t| t.format("%Y-%m-%d").to_string())
                .unwrap_or_else(|| "-".into()),
            table.customers.len(),
            table.report.used,
            table.report.excluded_after_as_of
        )?;
        print_segments(segments)
    }
}

/// A share as a percentage with one decimal, or `-`.
fn percent(share: Option<f64>) -> String {
    share
        .map(|x| format!("{:.1}%", 100.0 * x))
        .unwrap_or_else(|| "-".into())
}

/// Prints a segment summary table.
pub fn print_segments(segments: &[GroupSummary]) -> CliResult<()> {
    outln!(
        "{:<20} {:>9} {:>8} {:>14} {:>8}",
        "segment",
        "customers",
        "share",
        "revenue",
        "share"
    )?;
    for s in segments.iter().filter(|s| s.customers > 0) {
        outln!(
            "{:<20} {:>9} {:>7.1}% {:>14} {:>7}",
            s.name,
            s.customers,
            100.0 * s.customer_share,
            s.revenue.round_dp(2),
            percent(s.revenue_share)
        )?;
    }
    Ok(())
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
    let curve = lorenz(&values.iter().map(|v| v.1).collect::<Vec<_>>(), 200).map_err(seg)?;
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

/// The name of an ABC mode, as `--mode` takes it.
fn mode_name(mode: AbcMode) -> &'static str {
    match mode {
        AbcMode::Share => "share",
        AbcMode::Rank => "rank",
    }
}

/// `crm abc`.
pub fn run_abc(args: &AbcArgs) -> CliResult<()> {
    let table = input_rfm_table(&args.input.source, &args.input.options, None, 5)?;
    let (result, curve) = abc_of(&table, args.mode)?;
    if let Some(path) = &args.out.output {
        write_table(path, &abc_rows(&result), &ABC_COLUMNS)?;
    }
    if args.out.json {
        print_json(&serde_json::json!({
            "mode": mode_name(args.mode),
            "customers": result.entries.len(),
            "gini": curve.gini,
            "classes": result.summary,
        }))
    } else {
        outln!(
            "ABC ({} mode): {} customers, Gini {}",
            mode_name(args.mode),
            result.entries.len(),
            curve
                .gini
                .map(|g| format!("{g:.3}"))
                .unwrap_or_else(|| "-".into())
        )?;
        for s in &result.summary {
            outln!(
                "  {}: {:>7} customers ({:>5.1}%), value {} ({})",
                s.class,
                s.customers,
                100.0 * s.customer_share,
                s.value.round_dp(2),
                percent(s.value_share)
            )?;
        }
        Ok(())
    }
}

/// Columns of the value tier table.
pub const TIER_COLUMNS: [&str; 4] = ["customer_id", "tier", "abc_class", "tenure_days"];

/// One row of the value tier table.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct TierRow {
    /// The customer.
    pub customer_id: String,
    /// The tier's name.
    pub tier: String,
    /// The customer's ABC class (A, B or C).
    pub abc_class: String,
    /// Days from the first purchase to the as-of date.
    pub tenure_days: u32,
}

/// The per-customer rows of a tier assignment.
pub fn tier_rows(tiers: &TierAssignment<String>) -> Vec<TierRow> {
    tiers
        .customers
        .iter()
        .map(|c| TierRow {
            customer_id: c.customer.clone(),
            tier: tiers.tier_name(c).to_string(),
            abc_class: c.abc.to_string(),
            tenure_days: c.tenure_days,
        })
        .collect()
}

/// `crm tiers`: the default tier table over the RFM table of the input.
pub fn run_tiers(args: &TiersArgs) -> CliResult<()> {
    let as_of = parse_cli_date_opt("as-of", &args.as_of)?;
    let table = input_rfm_table(&args.input.source, &args.input.options, as_of, 5)?;
    let tiers = assign_tiers(&table, &TierTable::default()).map_err(seg)?;
    if let Some(path) = &args.out.output {
        write_table(path, &tier_rows(&tiers), &TIER_COLUMNS)?;
    }
    if args.out.json {
        return print_json(&serde_json::json!({
            "customers": tiers.customers.len(),
            "tiers": tiers.summary,
        }));
    }
    outln!("value tiers: {} customers", tiers.customers.len())?;
    for g in &tiers.summary {
        outln!(
            "  {:<12} {:>7} customers ({:>5.1}%), revenue {} ({})",
            g.name,
            g.customers,
            100.0 * g.customer_share,
            g.revenue.round_dp(2),
            percent(g.revenue_share)
        )?;
    }
    Ok(())
}

/// Columns of the segment migration table.
pub const MIGRATION_COLUMNS: [&str; 3] = ["customer_id", "from_segment", "to_segment"];

/// One customer's segments at the two dates of a migration.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct MigrationRow {
    /// The customer.
    pub customer_id: String,
    /// The segment at the earlier date (`absent` before the first purchase).
    pub from_segment: String,
    /// The segment at the later date.
    pub to_segment: String,
}

/// `crm migration`: the RFM tables as of `--from` and `--to` (the input read once) and who
/// moved between which segments.
pub fn run_migration(args: &MigrationArgs) -> CliResult<()> {
    let from = parse_cli_date("from", &args.from)?;
    let to = parse_cli_date("to", &args.to)?;
    if from >= to {
        return Err(CliError::Usage(format!(
            "--from ({}) must be before --to ({})",
            args.from, args.to
        )));
    }
    let (before, after) = match (&args.input.source.transactions, &args.input.source.db) {
        (None, Some(db)) => {
            let rates = rates_of(&args.input.options)?;
            (
                rfm_table_of_db(db, Some(from), 5, rates.as_ref())?,
                rfm_table_of_db(db, Some(to), 5, rates.as_ref())?,
            )
        }
        _ => {
            let rows = load_transactions(&args.input.source, &args.input.options)?;
            (
                rfm_table(&rows, Some(from), 5)?,
                rfm_table(&rows, Some(to), 5)?,
            )
        }
    };
    let m: SegmentMigration<String> = migration(&before, &after);
    if let Some(path) = &args.out.output {
        let rows: Vec<MigrationRow> = m
            .moves
            .iter()
            .map(|r| MigrationRow {
                customer_id: r.customer.clone(),
                from_segment: m.from_name(r).to_string(),
                to_segment: m.to_name(r).to_string(),
            })
            .collect();
        write_table(path, &rows, &MIGRATION_COLUMNS)?;
    }
    // The non-empty cells of the matrix, largest first.
    let mut cells: Vec<(&str, &str, u64)> = Vec::new();
    for (i, row) in m.counts.iter().enumerate() {
        for (j, &n) in row.iter().enumerate() {
            if n > 0 {
                cells.push((m.from[i].as_str(), m.to[j].as_str(), n));
            }
        }
    }
    cells.sort_by(|a, b| b.2.cmp(&a.2).then(a.0.cmp(b.0)).then(a.1.cmp(b.1)));
    let changed = m.changed().count();
    if args.out.json {
        return print_json(&serde_json::json!({
            "from": from,
            "to": to,
            "customers": m.moves.len(),
            "changed": changed,
            "cells": cells
                .iter()
                .map(|(f, t, n)| serde_json::json!({"from": f, "to": t, "customers": n}))
                .collect::<Vec<_>>(),
        }));
    }
    outln!(
        "segment migration from {} to {}: {} customers, {} changed segment",
        args.from,
        args.to,
        m.moves.len(),
        changed
    )?;
    for (f, t, n) in cells.iter().filter(|(f, t, _)| f != t) {
        outln!("  {f} -> {t}: {n}")?;
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use crm_core::Currency;
    use proptest::prelude::*;

    use super::*;
    use crate::input::temp_file;
    use crate::input::transactions::read_csv;
    use crate::output::to_csv;

    /// `crm rfm --output OUT.csv` as written before integer keys: rows read by `read_csv`,
    /// keys borrowed from them, rows serialized by `to_csv`.
    fn old_csv(path: &Path, config: &RfmConfig) -> CliResult<Vec<u8>> {
        let rows = read_csv(path, Currency::USD)?;
        let table = rfm_table(&rows, config.as_of, config.bins)?;
        to_csv(&rfm_rows(&table), &RFM_COLUMNS)
    }

    /// The same with integer keys, as `run_rfm` computes it.
    fn new_csv(path: &Path, config: &RfmConfig) -> CliResult<Vec<u8>> {
        match read_purchases(path, Currency::USD, 2)? {
            Purchases::Short(rows) => {
                rfm_csv(&rfm_parallel(&rows, config, 2).map_err(seg)?, short_id)
            }
            Purchases::Medium(rows) => {
                rfm_csv(&rfm_parallel(&rows, config, 2).map_err(seg)?, medium_id)
            }
            Purchases::Interned { customers, rows } => {
                rfm_csv(&rfm_parallel(&rows, config, 2).map_err(seg)?, |&k, out| {
                    out.extend_from_slice(customers.get(k).unwrap_or_default().as_bytes());
                })
            }
        }
    }

    fn same_output(content: &str, config: &RfmConfig) -> Result<(), TestCaseError> {
        let f = temp_file(content.as_bytes());
        match (old_csv(f.path(), config), new_csv(f.path(), config)) {
            (Ok(a), Ok(b)) => prop_assert_eq!(
                String::from_utf8(a).expect("utf-8"),
                String::from_utf8(b).expect("utf-8")
            ),
            (Err(a), Err(b)) => prop_assert_eq!(a.to_string(), b.to_string()),
            (a, b) => prop_assert!(false, "{:?} vs {:?}", a.map(|_| ()), b.map(|_| ())),
        }
        Ok(())
    }

    fn id() -> impl Strategy<Value = String> {
        prop_oneof![
            6 => "[0-9]{1,3}",
            2 => "c[0-9]{7,9}",
            1 => "customer-[0-9]{6,8}",
            1 => Just("\"a,b\"".to_string()),
            1 => Just("x\u{a0}y".to_string()),
        ]
    }

    fn day(d: u32) -> chrono::NaiveDate {
        chrono::NaiveDate::from_ymd_opt(2024, 1, 1).expect("date") + chrono::Days::new(u64::from(d))
    }

    proptest! {
        #![proptest_config(ProptestConfig::with_cases(128))]

        /// The CSV of the RFM table is byte for byte the one the rows-and-strings path
        /// writes (or the error is the same), whatever the ids, amounts, dates, currencies,
        /// as-of date and number of bins.
        #[test]
        fn rfm_csv_is_unchanged(
            rows in proptest::collection::vec(
                (id(), 1u32..60, -50_000i64..200_000, 0u32..4, prop_oneof![9 => Just("USD"), 1 => Just("EUR")]),
                1..80,
            ),
            as_of in proptest::option::of(1u32..70),
            k in 2u8..=10,
        ) {
            let mut text = String::from("customer_id,timestamp,amount,currency\n");
            for (id, d, cents, scale, currency) in &rows {
                text.push_str(&format!("{id},{},{},{currency}\n", day(*d), Decimal::new(*cents, *scale)));
            }
            let as_of = as_of.map(|d| day(d).and_hms_opt(0, 0, 0).expect("time").and_utc());
            same_output(&text, &rfm_config(as_of, k))?;
        }
    }

    #[test]
    fn mixed_currencies_are_still_refused() {
        let text =
            "customer_id,timestamp,amount,currency\nc1,2024-01-01,10,USD\nc2,2024-01-02,5,EUR\n";
        let f = temp_file(text.as_bytes());
        let e = new_csv(f.path(), &RfmConfig::default())
            .expect_err("mixed currencies")
            .to_string();
        assert!(
            e.ends_with(
                ", line 3, column 4 (currency): expected USD as on line 2 (an analysis sums \
                 amounts in one currency: convert the file, or analyse each currency apart), \
                 found \"EUR\""
            ),
            "{e}"
        );
        let old = old_csv(f.path(), &RfmConfig::default()).expect_err("mixed currencies");
        assert_eq!(e, old.to_string());
    }

    #[test]
    fn digits_as_display_writes_them() {
        for n in [0, 1, 9, 10, 99, 100, 12_345, u64::from(u32::MAX), u64::MAX] {
            let mut out = Vec::new();
            push_digits(&mut out, n);
            assert_eq!(out, n.to_string().as_bytes());
        }
    }
}
