//! `crm cohorts`: the cohort retention table of a transaction file or a database.

use crate::input::transactions::TransactionRow;
use crm_segmentation::{CohortConfig, CohortPeriod, CohortRow, CohortTable, cohorts};
use thousands::Separable;

use crate::cli::{CohortPeriodArg, CohortsArgs};
use crate::commands::source::load_transactions;
use crate::error::{CliError, CliResult};
use crate::input::parse_cli_bound;
use crate::output::{outln, print_json, write_table};

/// The library's period for the command line's.
fn period(arg: CohortPeriodArg) -> CohortPeriod {
    match arg {
        CohortPeriodArg::Week => CohortPeriod::Week,
        CohortPeriodArg::Month => CohortPeriod::Month,
        CohortPeriodArg::Quarter => CohortPeriod::Quarter,
    }
}

/// `crm cohorts`.
pub fn run(args: &CohortsArgs) -> CliResult<()> {
    let config = CohortConfig {
        period: period(args.period),
        start: parse_cli_bound("from", &args.from, false)?,
        as_of: parse_cli_bound("as-of", &args.as_of, true)?,
    };
    config
        .validate()
        .map_err(|e| CliError::Usage(format!("--from/--as-of: {e}")))?;
    let rows = load_transactions(&args.input.source, &args.input.options)?;
    let table = cohorts(rows.iter().map(TransactionRow::purchase), &config)
        .map_err(|e| CliError::analysis("cohorts", e))?;
    if let Some(path) = &args.out.output {
        let flat: Vec<CohortRow<'_>> = table.rows().collect();
        write_table(path, &flat, &CohortRow::HEADER)?;
    }
    if args.out.json {
        return print_json(&table);
    }
    print_text(&table, args.periods as usize)
}

/// The retention matrix for people: one line per cohort, its size and the share of it
/// active in each period since acquisition, up to `periods` columns.
fn print_text(table: &CohortTable, periods: usize) -> CliResult<()> {
    let customers: u64 = table.cohorts.iter().map(|c| c.size).sum();
    outln!(
        "Cohort retention by {}{}: {} customers in {} cohorts",
        table.period.name(),
        table
            .as_of
            .map(|t| format!(" as of {}", t.format("%Y-%m-%d")))
            .unwrap_or_default(),
        customers.separate_with_commas(),
        table.cohorts.len().separate_with_commas()
    )?;
    if table.cohorts.is_empty() {
        return outln!("no purchases: no cohorts");
    }
    let observed = table
        .cohorts
        .iter()
        .map(|c| c.cells.len())
        .max()
        .unwrap_or(0);
    let shown = observed.min(periods);
    let mut header = format!("{:<10} {:>10}", "cohort", "customers");
    for p in 0..shown {
        header.push_str(&format!(" {p:>6}"));
    }
    outln!("{header}")?;
    for c in &table.cohorts {
        let mut line = format!("{:<10} {:>10}", c.label, c.size.separate_with_commas());
        for cell in c.cells.iter().take(shown) {
            line.push_str(&format!(" {:>5.1}%", cell.retention * 100.0));
        }
        outln!("{}", line.trim_end())?;
    }
    let hidden = observed - shown;
    if hidden > 0 {
        outln!(
            "({hidden} later periods not shown: --periods N, or every cell with --output FILE or --json)"
        )?;
    }
    Ok(())
}
