//! `crm churn fit|score --model bgbb`: the BG/BB model on discrete opportunities, from a
//! summary file or from transactions counted by calendar period.

use serde::Serialize;
use serde_json::json;

use crm_churn::{BgBbHistories, BgBbParams, FitOptions, WeightedBgBbHistory};

use crate::cli::{ChurnFitArgs, OpportunityArg};
use crate::commands::churn::fit_json;
use crate::error::{CliError, CliResult};
use crate::input::opportunities::{self, Opportunity, OpportunityRow};
use crate::input::parse_cli_bound;
use crate::input::transactions::{self, TransactionRow};
use crate::output::{finite, outln, print_json, write_table};

/// The model's parameter names, in the order of its fit.
const NAMES: [&str; 4] = ["alpha", "beta", "gamma", "delta"];

/// Columns of `crm churn score --model bgbb --output`.
const SCORE_COLUMNS: [&str; 7] = [
    "customer_id",
    "frequency",
    "recency",
    "periods",
    "weight",
    "p_alive",
    "expected_purchases",
];

/// Columns of `crm churn fit --model bgbb --output` (the summaries fitted).
const SUMMARY_COLUMNS: [&str; 5] = ["customer_id", "frequency", "recency", "periods", "weight"];

/// One scored row: a customer, or a weighted row of a summary file.
#[derive(Debug, Clone, Serialize)]
struct ScoreRow {
    customer_id: String,
    frequency: u32,
    recency: u32,
    periods: u32,
    weight: f64,
    p_alive: Option<f64>,
    expected_purchases: Option<f64>,
}

/// One fitted summary row.
#[derive(Debug, Clone, Serialize)]
struct SummaryRow {
    customer_id: String,
    frequency: u32,
    recency: u32,
    periods: u32,
    weight: f64,
}

fn bgbb_err(e: crm_churn::BgBbError) -> CliError {
    CliError::analysis("BG/BB", e)
}

/// The summaries to fit: the file given, or the transactions counted by `--period`.
fn load(args: &ChurnFitArgs) -> CliResult<Vec<OpportunityRow>> {
    let source = &args.fit.source;
    let options = &args.fit.summary;
    if options.holdout_end.is_some() {
        return Err(CliError::Usage(
            "--holdout-end is not available with --model bgbb".into(),
        ));
    }
    if let Some(path) = &source.summary {
        if args.period.is_some() || options.calibration_end.is_some() {
            return Err(CliError::Usage(
                "--period and --calibration-end build a summary from transactions; a --summary \
                 file has its own periods"
                    .into(),
            ));
        }
        return opportunities::read(path);
    }
    let Some(period) = args.period else {
        return Err(CliError::Usage(
            "--model bgbb on transactions needs --period year|quarter|month (one opportunity \
             to buy per period)"
                .into(),
        ));
    };
    let rows: Vec<TransactionRow> = match (&source.transactions, &source.db) {
        (Some(path), _) => {
            transactions::read(path, options.options.format, &options.options.currency)?
        }
        (None, Some(db)) => crate::commands::database::load_transactions(db)?,
        (None, None) => {
            return Err(CliError::Usage(
                "give --summary FILE, --transactions FILE or --db PATH".into(),
            ));
        }
    };
    let end = match parse_cli_bound("calibration-end", &options.calibration_end, true)? {
        Some(end) => end,
        None => rows
            .iter()
            .map(|r| r.timestamp)
            .max()
            .ok_or_else(|| CliError::Usage("no transactions to summarise".into()))?,
    };
    let period = match period {
        OpportunityArg::Year => Opportunity::Year,
        OpportunityArg::Quarter => Opportunity::Quarter,
        OpportunityArg::Month => Opportunity::Month,
    };
    let out = opportunities::from_transactions(&rows, period, end)?;
    if out.is_empty() {
        return Err(CliError::Usage(
            "no purchase up to the calibration end: nothing to fit".into(),
        ));
    }
    Ok(out)
}

/// `crm churn fit --model bgbb` (`horizon` `None`) and `crm churn score --model bgbb`.
pub fn run(args: &ChurnFitArgs, horizon: Option<f64>) -> CliResult<()> {
    let horizon = match horizon {
        Some(h) if h.fract() != 0.0 || h > f64::from(crm_churn::BGBB_MAX_OPPORTUNITIES) => {
            return Err(CliError::Usage(format!(
                "--horizon with --model bgbb is a whole number of periods up to {}, found {h}",
                crm_churn::BGBB_MAX_OPPORTUNITIES
            )));
        }
        Some(h) => Some(h as u32),
        None => None,
    };
    let rows = load(args)?;
    let data = BgBbHistories::from_weighted(rows.iter().map(|r| WeightedBgBbHistory {
        history: r.history,
        weight: r.weight,
    }))
    .map_err(bgbb_err)?;
    let fit = BgBbParams::fit(&data, &FitOptions::default()).map_err(bgbb_err)?;
    crate::commands::churn::check_warnings("BG/BB", &fit.mle, args.fit.strict, args.fit.out.json)?;
    let customers = data.total_weight();
    let mut summary = fit_json("bgbb", &NAMES, &fit.mle, customers.round() as u64);
    let out = &args.fit.out;
    if let Some(h) = horizon {
        let mut scored = Vec::with_capacity(rows.len());
        let (mut alive, mut weight) = (0.0, 0.0);
        for r in &rows {
            let p = fit.params.p_alive(&r.history).map_err(bgbb_err)?;
            let e = fit
                .params
                .expected_purchases(&r.history, h)
                .map_err(bgbb_err)?;
            alive += p * r.weight;
            weight += r.weight;
            scored.push(ScoreRow {
                customer_id: r.id.clone(),
                frequency: r.history.x,
                recency: r.history.t_x,
                periods: r.history.n,
                weight: r.weight,
                p_alive: finite(p),
                expected_purchases: finite(e),
            });
        }
        if let Some(path) = &out.output {
            write_table(path, &scored, &SCORE_COLUMNS)?;
        }
        if let Some(m) = summary.as_object_mut() {
            m.insert("horizon".into(), json!(h));
            m.insert("mean_p_alive".into(), json!(finite(alive / weight)));
        }
    } else if let Some(path) = &out.output {
        let fitted: Vec<SummaryRow> = rows
            .iter()
            .map(|r| SummaryRow {
                customer_id: r.id.clone(),
                frequency: r.history.x,
                recency: r.history.t_x,
                periods: r.history.n,
                weight: r.weight,
            })
            .collect();
        write_table(path, &fitted, &SUMMARY_COLUMNS)?;
    }
    if out.json {
        return print_json(&summary);
    }
    let params = NAMES
        .iter()
        .zip(&fit.mle.params)
        .map(|(n, v)| format!("{n} = {v:.4}"))
        .collect::<Vec<_>>()
        .join(", ");
    outln!(
        "BG/BB: {params}; log-likelihood {:.1}; {} customers{}",
        fit.mle.report.log_likelihood,
        thousands::Separable::separate_with_commas(&(customers.round() as u64)),
        if fit.mle.report.converged {
            ""
        } else {
            " (not converged)"
        }
    )?;
    if let Some(p) = summary.get("mean_p_alive").and_then(|v| v.as_f64()) {
        outln!(
            "mean P(alive) {p:.4}; expected purchases over {} periods in --output",
            summary["horizon"]
        )?;
    }
    Ok(())
}
