//! Customer summaries and the purchase models of `crm_churn`, behind one small
//! enum so commands and the demo can pick a model at run time.

use std::path::Path;

use chrono::{DateTime, Utc};
use crm_churn::ExpectedPurchases;
use crm_churn::{BgNbdFit, BgNbdParams};
use crm_churn::{
    CustomerHistory, ModelError, SummaryInputs, SummaryOptions, TimeUnit, WeightedHistories,
    summarize, summarize_aggregates,
};
use crm_churn::{
    DiagnosticsError, HoldoutBin, PeriodTransactions, calibration_holdout, period_transactions,
};
use crm_churn::{FitOptions, MleFit};
use crm_churn::{MbgNbdFit, MbgNbdParams};
use crm_churn::{ParetoNbdFit, ParetoNbdParams};
use crm_core::PurchaseSummary;
use crm_storage_traits::TimeRange;
use rust_decimal::prelude::ToPrimitive;

use crate::cli::{ChurnModelKind, SummaryOptions as SummaryArgs, SummarySource, TimeUnitArg};
use crate::commands::database::{load_purchase_summaries, ranges_cut_at};
use crate::commands::source::load_transactions;
use crate::error::{CliError, CliResult, InputError};
use crate::input::parse_cli_date_opt;
use crate::input::summary;
use crate::input::transactions::TransactionRow;

/// One customer's sufficient statistics, with its id and spend.
#[derive(Debug, Clone, PartialEq)]
pub struct CustomerRow {
    /// Customer id (the file's id column, or the row number).
    pub id: String,
    /// `(x, t_x, T)`.
    pub history: CustomerHistory,
    /// Mean value of the repeat purchases, when known.
    pub monetary: Option<f64>,
    /// Purchases counted in the holdout period, when one was given.
    pub holdout_frequency: Option<u32>,
}

/// Customer summaries and how they were made.
#[derive(Debug, Clone, PartialEq)]
pub struct CustomerTable {
    /// One row per customer.
    pub rows: Vec<CustomerRow>,
    /// Customers whose first purchase is after the calibration end (left out).
    pub excluded_after_calibration: usize,
    /// Calibration end, for summaries built from transactions.
    pub calibration_end: Option<DateTime<Utc>>,
    /// Length of the holdout period in time units.
    pub holdout_duration: Option<f64>,
}

fn unit(u: TimeUnitArg) -> TimeUnit {
    match u {
        TimeUnitArg::Day => TimeUnit::Day,
        TimeUnitArg::Week => TimeUnit::Week,
    }
}

/// Summarises transactions with the library (purchases on one day merged, as in `lifetimes`).
pub fn summaries_from_transactions(
    rows: &[TransactionRow],
    calibration_end: Option<DateTime<Utc>>,
    holdout_end: Option<DateTime<Utc>>,
    time_unit: TimeUnitArg,
) -> CliResult<CustomerTable> {
    let end = match calibration_end {
        Some(e) => e,
        None => rows
            .iter()
            .map(|r| r.timestamp)
            .max()
            .ok_or_else(|| CliError::analysis("customer summary", "no transactions"))?,
    };
    let mut options = SummaryOptions::new(end).with_unit(unit(time_unit));
    if let Some(h) = holdout_end {
        options = options.with_holdout(h);
    }
    let s = summarize(
        rows.iter()
            .map(|r| (r.customer_id.clone(), r.timestamp, r.amount)),
        &options,
    )
    .map_err(|e| CliError::analysis("customer summary", e))?;
    Ok(CustomerTable {
        rows: s
            .customers
            .into_iter()
            .map(|c| CustomerRow {
                id: c.customer,
                monetary: c.monetary.to_f64(),
                history: c.history,
                holdout_frequency: c.holdout_frequency,
            })
            .collect(),
        excluded_after_calibration: s.excluded_after_calibration,
        calibration_end: Some(end),
        holdout_duration: s.holdout_duration,
    })
}

/// Summarises a database's transactions from the per-customer purchase summaries the
/// database computes (one query per period: calibration, holdout, after), the same as
/// [`summaries_from_transactions`] on every transaction.
pub fn summaries_from_db(
    db: &Path,
    calibration_end: Option<DateTime<Utc>>,
    holdout_end: Option<DateTime<Utc>>,
    time_unit: TimeUnitArg,
) -> CliResult<CustomerTable> {
    let (parts, end) = match calibration_end {
        Some(end) => {
            let mut cuts = vec![end];
            cuts.extend(holdout_end);
            let parts = load_purchase_summaries(db, &ranges_cut_at(&cuts)?)?;
            (parts, end)
        }
        None => {
            // The calibration ends at the last transaction: every purchase is in it.
            let parts = load_purchase_summaries(db, &[TimeRange::all()])?;
            let end = parts
                .iter()
                .flatten()
                .map(|s| s.last_purchase)
                .max()
                .ok_or_else(|| CliError::analysis("customer summary", "no transactions"))?;
            (parts, end)
        }
    };
    let empty: &[PurchaseSummary] = &[];
    let part = |i: usize| parts.get(i).map_or(empty, Vec::as_slice);
    let inputs = match (calibration_end, holdout_end) {
        (Some(_), Some(_)) => SummaryInputs {
            calibration: part(0),
            holdout: part(1),
            later: part(2),
        },
        _ => SummaryInputs {
            calibration: part(0),
            holdout: empty,
            later: part(1),
        },
    };
    let mut options = SummaryOptions::new(end).with_unit(unit(time_unit));
    if let Some(h) = holdout_end {
        options = options.with_holdout(h);
    }
    let s = summarize_aggregates(&inputs, &options)
        .map_err(|e| CliError::analysis("customer summary", e))?;
    Ok(CustomerTable {
        rows: s
            .customers
            .into_iter()
            .map(|c| CustomerRow {
                id: c.customer.to_string(),
                monetary: c.monetary.to_f64(),
                history: c.history,
                holdout_frequency: c.holdout_frequency,
            })
            .collect(),
        excluded_after_calibration: s.excluded_after_calibration,
        calibration_end: Some(end),
        holdout_duration: s.holdout_duration,
    })
}

/// Reads a summary file; a row the models cannot use names its line.
pub fn summaries_from_file(path: &Path) -> CliResult<CustomerTable> {
    let rows = summary::read(path)?;
    let mut out = Vec::with_capacity(rows.len());
    for r in rows {
        let history = CustomerHistory::new(r.frequency as u32, r.recency, r.t).map_err(|e| {
            InputError::line(
                path,
                r.line,
                format!("a customer history the models accept ({e})"),
            )
        })?;
        out.push(CustomerRow {
            id: r.id,
            history,
            monetary: r.monetary_value,
            holdout_frequency: None,
        });
    }
    Ok(CustomerTable {
        rows: out,
        excluded_after_calibration: 0,
        calibration_end: None,
        holdout_duration: None,
    })
}

/// Customer summaries from `--summary`, `--transactions` or `--db`.
pub fn load_summaries(source: &SummarySource, args: &SummaryArgs) -> CliResult<CustomerTable> {
    // Rates convert transactions as they are read; a summary file or the database's
    // per-customer summaries have no amounts left to convert.
    if args.options.currency_rates.is_some() && source.transactions.is_none() {
        return Err(CliError::Usage(
            "--currency-rates converts a transaction file (--transactions); the summaries \
             of --summary or --db are not converted"
                .into(),
        ));
    }
    if let Some(path) = &source.summary {
        return summaries_from_file(path);
    }
    let cal = parse_cli_date_opt("calibration-end", &args.calibration_end)?;
    let hold = parse_cli_date_opt("holdout-end", &args.holdout_end)?;
    if let (None, Some(db)) = (&source.transactions, &source.db) {
        return summaries_from_db(db, cal, hold, args.time_unit);
    }
    let tx = load_transactions(
        &crate::cli::TransactionSource {
            transactions: source.transactions.clone(),
            db: source.db.clone(),
        },
        &args.options,
    )?;
    summaries_from_transactions(&tx, cal, hold, args.time_unit)
}

/// A fitted purchase model.
#[derive(Debug, Clone, PartialEq)]
pub enum PurchaseModel {
    /// BG/NBD.
    Bg(BgNbdFit),
    /// MBG/NBD.
    Mbg(MbgNbdFit),
    /// Pareto/NBD.
    Pareto(ParetoNbdFit),
}

fn model_err(e: ModelError) -> CliError {
    CliError::analysis("churn model", e)
}

impl PurchaseModel {
    /// Fits a model to the customer table with the library.
    pub fn fit(kind: ChurnModelKind, table: &CustomerTable) -> CliResult<Self> {
        let data = WeightedHistories::from_histories(table.rows.iter().map(|r| r.history))
            .map_err(|e| CliError::analysis("churn model", e))?;
        let options = FitOptions::default();
        Ok(match kind {
            ChurnModelKind::Bgnbd => {
                Self::Bg(BgNbdParams::fit(&data, &options).map_err(model_err)?)
            }
            ChurnModelKind::Mbgnbd => {
                Self::Mbg(MbgNbdParams::fit(&data, &options).map_err(model_err)?)
            }
            ChurnModelKind::ParetoNbd => {
                Self::Pareto(ParetoNbdParams::fit(&data, &options).map_err(model_err)?)
            }
            ChurnModelKind::Bgbb => {
                return Err(CliError::Usage(
                    "--model bgbb counts opportunities, not time: it is fitted and scored by \
                     `crm churn fit|score --model bgbb`, not combined with a spend model"
                        .into(),
                ));
            }
        })
    }

    /// The model's name in JSON output.
    pub fn name(&self) -> &'static str {
        match self {
            Self::Bg(_) => "bgnbd",
            Self::Mbg(_) => "mbgnbd",
            Self::Pareto(_) => "pareto-nbd",
        }
    }

    /// Parameter names, in the order of [`MleFit::params`].
    pub fn param_names(&self) -> [&'static str; 4] {
        match self {
            Self::Bg(_) | Self::Mbg(_) => ["r", "alpha", "a", "b"],
            Self::Pareto(_) => ["r", "alpha", "s", "beta"],
        }
    }

    /// The maximum-likelihood fit.
    pub fn mle(&self) -> &MleFit {
        match self {
            Self::Bg(f) => &f.mle,
            Self::Mbg(f) => &f.mle,
            Self::Pareto(f) => &f.mle,
        }
    }

    /// P(alive) of a customer.
    pub fn p_alive(&self, h: &CustomerHistory) -> CliResult<f64> {
        match self {
            Self::Bg(f) => Ok(f.params.p_alive(h)),
            Self::Mbg(f) => Ok(f.params.p_alive(h)),
            Self::Pareto(f) => f.params.p_alive(h).map_err(model_err),
        }
    }

    /// Expected purchases of a customer in the next `t` time units.
    pub fn expected(&self, h: &CustomerHistory, t: f64) -> Result<f64, ModelError> {
        match self {
            Self::Bg(f) => f.params.expected_purchases(h, t),
            Self::Mbg(f) => f.params.expected_purchases(h, t),
            Self::Pareto(f) => f.params.expected_purchases(h, t),
        }
    }
}

impl PurchaseModel {
    /// Customers by repeat purchases in their calibration periods, actual and expected by
    /// the model (bins `0..k` and `k or more`), as `lifetimes`' `plot_period_transactions`.
    pub fn period_transactions(
        &self,
        histories: &[CustomerHistory],
        k: u32,
    ) -> Result<PeriodTransactions, DiagnosticsError> {
        match self {
            Self::Bg(f) => period_transactions(&f.params, histories, k),
            Self::Mbg(f) => period_transactions(&f.params, histories, k),
            Self::Pareto(f) => period_transactions(&f.params, histories, k),
        }
    }

    /// Mean actual and predicted purchases in a holdout of `holdout` time units, by
    /// calibration frequency (bins `0..k` and `k or more`).
    pub fn calibration_holdout(
        &self,
        rows: &[(CustomerHistory, u32)],
        holdout: f64,
        k: u32,
    ) -> Result<Vec<HoldoutBin>, DiagnosticsError> {
        match self {
            Self::Bg(f) => calibration_holdout(&f.params, rows, holdout, k),
            Self::Mbg(f) => calibration_holdout(&f.params, rows, holdout, k),
            Self::Pareto(f) => calibration_holdout(&f.params, rows, holdout, k),
        }
    }
}

impl ExpectedPurchases for PurchaseModel {
    type Error = ModelError;
    fn expected_purchases(&self, t: f64, x: u32, t_x: f64, age: f64) -> Result<f64, ModelError> {
        let h = CustomerHistory::new(x, t_x, age).map_err(ModelError::from)?;
        self.expected(&h, t)
    }
}
