//! The compute-only side of the comparison: loads its input into memory first (not timed),
//! then times the computation alone, `--runs` times, and prints one JSON object with every
//! run's seconds, their median, the peak resident memory of the process and a fingerprint
//! of the result (so the peers' results can be compared with it).
//!
//! ```text
//! bench-compute rfm tx.csv --runs 5
//! bench-compute abc tx.csv --runs 5
//! bench-compute nps scores.u8 --runs 9
//! bench-compute scale-rfm --rows 10000000 --customers 1000000 --runs 3
//! bench-compute churn bgnbd cohort.csv --runs 5
//! bench-compute scale-bgnbd --rows 1000000 --runs 3
//! bench-compute bgbb bgbb.csv --runs 9
//! bench-compute bgbb bgbb.csv --runs 5 --per-customer
//! ```

use std::fs::File;
use std::path::{Path, PathBuf};

use clap::{Parser, Subcommand};
use crm_benches::bgbb;
use crm_benches::cohort::{self, CohortSpec, CustomerSummary};
use crm_benches::measure::{median, peak_rss_kib, time_runs};
use crm_benches::transactions::{self, PurchaseRow, TransactionSpec};
use crm_churn::BgNbdParams;
use crm_churn::FitOptions;
use crm_churn::ParetoNbdParams;
use crm_churn::{BgBbHistories, BgBbParams};
use crm_churn::{CustomerHistory, ModelError, WeightedHistories};
use crm_churn::{SpendObservation, fit_gamma_gamma_with};
use crm_satisfaction::Nps;
use crm_segmentation::{AbcClass, CustomerRfm, RfmConfig, RfmTable, rfm_parallel};
use crm_segmentation::{AbcMethod, classify};
use rust_decimal::Decimal;
use serde_json::{Value, json};

#[derive(Parser)]
#[command(about = "Compute-only timings on in-memory data")]
struct Cli {
    #[command(subcommand)]
    what: What,
}

#[derive(Subcommand)]
enum What {
    /// RFM table with quantile scores and default segments.
    Rfm {
        csv: PathBuf,
        #[arg(long, default_value_t = 5)]
        runs: usize,
        /// Threads (0 = all cores).
        #[arg(long, default_value_t = 0)]
        threads: usize,
        /// Also write the table as CSV.
        #[arg(long)]
        dump: Option<PathBuf>,
    },
    /// ABC classes (cumulative share 80 % / 95 %) of net revenue per customer.
    Abc {
        csv: PathBuf,
        #[arg(long, default_value_t = 5)]
        runs: usize,
        /// Also write the classes as CSV.
        #[arg(long)]
        dump: Option<PathBuf>,
    },
    /// NPS of a column of scores (raw bytes).
    Nps {
        scores: PathBuf,
        #[arg(long, default_value_t = 9)]
        runs: usize,
        /// Threads.
        #[arg(long, default_value_t = 2)]
        threads: usize,
    },
    /// A churn model fit (and P(alive) for every customer) on a summary CSV
    /// `frequency,recency,T,monetary_value`.
    Churn {
        #[arg(value_enum)]
        model: Model,
        summary: PathBuf,
        #[arg(long, default_value_t = 5)]
        runs: usize,
    },
    /// BG/BB fit on a summary CSV `frequency,recency,periods,weights` (the compressed rows
    /// as read, or with `--per-customer` the per-customer histories behind them, their
    /// compression timed with the fit).
    Bgbb {
        summary: PathBuf,
        #[arg(long, default_value_t = 9)]
        runs: usize,
        /// Fit the per-customer histories (compression included) instead of the rows.
        #[arg(long)]
        per_customer: bool,
    },
    /// BG/NBD fit on simulated customers with about `rows` transactions in all.
    ScaleBgnbd {
        #[arg(long)]
        rows: u64,
        #[arg(long, default_value_t = 3)]
        runs: usize,
    },
    /// RFM on generated in-memory transactions, with the memory the computation adds.
    ScaleRfm {
        #[arg(long)]
        rows: u64,
        #[arg(long)]
        customers: u64,
        #[arg(long, default_value_t = 3)]
        runs: usize,
    },
}

/// The churn models compared with `lifetimes`.
#[derive(Clone, Copy, clap::ValueEnum)]
enum Model {
    /// BG/NBD (`BetaGeoFitter`).
    Bgnbd,
    /// Pareto/NBD (`ParetoNBDFitter`).
    Pareto,
    /// Gamma-Gamma spend (`GammaGammaFitter`), repeat buyers only.
    Gamma,
}

fn histories(
    summaries: &[CustomerSummary],
) -> Result<Vec<CustomerHistory>, Box<dyn std::error::Error>> {
    summaries
        .iter()
        .enumerate()
        .map(|(row, s)| {
            let h = CustomerHistory {
                x: s.frequency,
                t_x: s.recency,
                t: s.t,
            };
            h.validate(row)?;
            Ok(h)
        })
        .collect()
}

fn params_json(names: &[&str], values: &[f64]) -> Value {
    Value::Object(
        names
            .iter()
            .zip(values)
            .map(|(n, v)| ((*n).to_string(), json!(v)))
            .collect(),
    )
}

fn churn(model: Model, path: &Path, runs: usize) -> Result<(), Box<dyn std::error::Error>> {
    let summaries = cohort::read_csv(File::open(path)?)?;
    let hist = histories(&summaries)?;
    let options = FitOptions::default();
    let customers = hist.len();
    match model {
        Model::Bgnbd => {
            // The fit includes compressing the histories into weighted rows.
            let (times, fit) = time_runs(runs, || {
                WeightedHistories::from_histories(hist.iter().copied())
                    .map_err(ModelError::from)
                    .and_then(|w| BgNbdParams::fit(&w, &options))
            });
            let fit = fit?;
            let p = fit.params;
            let mut alive = vec![0.0; customers];
            let (ptimes, ()) = time_runs(runs.max(5), || p.p_alive_batch(&hist, &mut alive));
            report(
                "churn-bgnbd",
                &times,
                json!({
                    "customers": customers,
                    "params": params_json(&["r", "alpha", "a", "b"], &[p.r, p.alpha, p.a, p.b]),
                    "fit_report": fit.mle.report,
                    "palive_median_s": median(&ptimes),
                    "palive_runs_s": ptimes,
                    "palive_sum": alive.iter().sum::<f64>(),
                }),
            );
        }
        Model::Pareto => {
            let (times, fit) = time_runs(runs, || {
                WeightedHistories::from_histories(hist.iter().copied())
                    .map_err(ModelError::from)
                    .and_then(|w| ParetoNbdParams::fit(&w, &options))
            });
            let fit = fit?;
            let p = fit.params;
            let mut alive = vec![0.0; customers];
            let (ptimes, scored) = time_runs(runs.max(5), || p.p_alive_batch(&hist, &mut alive));
            scored?;
            report(
                "churn-pareto",
                &times,
                json!({
                    "customers": customers,
                    "params": params_json(&["r", "alpha", "s", "beta"], &[p.r, p.alpha, p.s, p.beta]),
                    "fit_report": fit.mle.report,
                    "palive_median_s": median(&ptimes),
                    "palive_runs_s": ptimes,
                    "palive_sum": alive.iter().sum::<f64>(),
                }),
            );
        }
        Model::Gamma => {
            let observations: Vec<SpendObservation> = summaries
                .iter()
                .filter(|s| s.frequency > 0)
                .map(|s| SpendObservation {
                    frequency: s.frequency,
                    mean_spend: s.monetary_value,
                })
                .collect();
            let (times, fit) = time_runs(runs, || fit_gamma_gamma_with(&observations, &options));
            let fit = fit?;
            let p = fit.params;
            report(
                "churn-gamma",
                &times,
                json!({
                    "customers": observations.len(),
                    "params": params_json(&["p", "q", "v"], &[p.p, p.q, p.gamma]),
                    "fit_report": fit.mle.report,
                }),
            );
        }
    }
    Ok(())
}

/// BG/BB fit on the compressed rows of `path`, timed from the rows to the fitted model (the
/// rows checked and merged into `BgBbHistories`, then maximum likelihood with standard
/// errors); with `per_customer`, from the per-customer histories behind the rows, in a
/// shuffled order (their compression timed with the fit).
fn bgbb_fit(
    path: &Path,
    runs: usize,
    per_customer: bool,
) -> Result<(), Box<dyn std::error::Error>> {
    let rows = bgbb::read_csv(File::open(path)?)?;
    let data = BgBbHistories::from_weighted(rows.iter().copied())?;
    let options = FitOptions::default();
    let (task, times, fit) = if per_customer {
        let customers = bgbb::expand(data.rows(), 1)?;
        let (times, fit) = time_runs(runs, || {
            BgBbHistories::from_histories(customers.iter().copied())
                .and_then(|data| BgBbParams::fit(&data, &options))
        });
        ("bgbb-per-customer", times, fit?)
    } else {
        let (times, fit) = time_runs(runs, || {
            BgBbHistories::from_weighted(rows.iter().copied())
                .and_then(|data| BgBbParams::fit(&data, &options))
        });
        ("bgbb", times, fit?)
    };
    let p = fit.params;
    let names = ["alpha", "beta", "gamma", "delta"];
    report(
        task,
        &times,
        json!({
            "customers": data.total_weight(),
            "rows": data.rows().len(),
            "opportunities": data.max_n(),
            "params": params_json(&names, &[p.alpha, p.beta, p.gamma, p.delta]),
            "std_errors": fit.mle.std_errors.as_ref().map(|se| params_json(&names, se)),
            "log_likelihood": fit.mle.report.log_likelihood,
            "fit_report": fit.mle.report,
        }),
    );
    Ok(())
}

/// BG/NBD fit on simulated CDNOW-like customers with about `rows` transactions (first
/// purchases included), with the memory the fit adds to the loaded histories.
fn scale_bgnbd(rows: u64, runs: usize) -> Result<(), Box<dyn std::error::Error>> {
    // Transactions per customer of the simulated population, from a pilot of 20,000.
    let pilot = cohort::simulate(&CohortSpec::cdnow_like(20_000, 1));
    let per_customer = pilot
        .iter()
        .map(|c| f64::from(c.frequency) + 1.0)
        .sum::<f64>()
        / pilot.len() as f64;
    let customers = ((rows as f64 / per_customer).round() as usize).max(1);
    let summaries = cohort::simulate(&CohortSpec::cdnow_like(customers, 20_241_124));
    let transactions: u64 = summaries.iter().map(|c| u64::from(c.frequency) + 1).sum();
    let hist = histories(&summaries)?;
    drop(summaries);
    let before = rss_kib();
    let options = FitOptions::default();
    let (times, fit) = time_runs(runs, || {
        WeightedHistories::from_histories(hist.iter().copied())
            .map_err(ModelError::from)
            .and_then(|w| BgNbdParams::fit(&w, &options))
    });
    let fit = fit?;
    let added = match (before, peak_rss_kib()) {
        (Some(b), Some(p)) => Some(p.saturating_sub(b)),
        _ => None,
    };
    report(
        "scale-bgnbd",
        &times,
        json!({
            "rows": transactions,
            "customers": customers,
            "converged": fit.mle.report.converged,
            "input_rss_kib": before,
            "compute_added_kib": added,
        }),
    );
    Ok(())
}

fn rss_kib() -> Option<u64> {
    let status = std::fs::read_to_string("/proc/self/status").ok()?;
    status
        .lines()
        .find_map(|l| l.strip_prefix("VmRSS:"))
        .and_then(|v| v.trim().trim_end_matches("kB").trim().parse().ok())
}

fn report(task: &str, times: &[f64], extra: Value) {
    let mut out = json!({
        "task": task,
        "median_s": median(times),
        "runs_s": times,
        "peak_rss_kib": peak_rss_kib(),
    });
    if let (Value::Object(o), Value::Object(e)) = (&mut out, extra) {
        o.extend(e);
    }
    println!("{out}");
}

fn load(path: &Path) -> Result<Vec<PurchaseRow>, Box<dyn std::error::Error>> {
    transactions::read_csv(File::open(path)?)
}

fn rfm_fingerprint(t: &RfmTable<u64>) -> Value {
    let sum = |f: fn(&CustomerRfm<u64>) -> u64| -> u64 { t.customers.iter().map(f).sum() };
    let champions = t
        .customers
        .iter()
        .filter(|c| t.segment_name(c) == "Champions")
        .count();
    let monetary: Decimal = t.customers.iter().map(|c| c.monetary).sum();
    json!([
        t.customers.len(),
        sum(|c| u64::from(c.r)),
        sum(|c| u64::from(c.f)),
        sum(|c| u64::from(c.m)),
        monetary.to_string(),
        champions
    ])
}

fn abc_of(
    rows: &[PurchaseRow],
) -> Result<crm_segmentation::AbcResult<u64>, crm_segmentation::SegmentationError> {
    let table = rfm_parallel(rows, &RfmConfig::default(), 0)?;
    classify(
        table.customers.into_iter().map(|c| (c.customer, c.revenue)),
        &AbcMethod::default(),
    )
}

fn main() -> Result<(), Box<dyn std::error::Error>> {
    match Cli::parse().what {
        What::Rfm {
            csv,
            runs,
            threads,
            dump,
        } => {
            let rows = load(&csv)?;
            let config = RfmConfig::default();
            let (times, table) = time_runs(runs, || rfm_parallel(&rows, &config, threads));
            let table = table?;
            if let Some(path) = dump {
                let mut w = std::io::BufWriter::new(File::create(path)?);
                use std::io::Write;
                writeln!(
                    w,
                    "customer_id,recency_days,frequency,monetary,r,f,m,segment"
                )?;
                for c in &table.customers {
                    writeln!(
                        w,
                        "{},{},{},{},{},{},{},{}",
                        c.customer,
                        c.recency_days,
                        c.frequency,
                        c.monetary,
                        c.r,
                        c.f,
                        c.m,
                        table.segment_name(c)
                    )?;
                }
            }
            report(
                "rfm",
                &times,
                json!({"rows": rows.len(), "fingerprint": rfm_fingerprint(&table)}),
            );
        }
        What::Abc { csv, runs, dump } => {
            let rows = load(&csv)?;
            let (times, result) = time_runs(runs, || abc_of(&rows));
            let result = result?;
            let count = |k: AbcClass| result.entries.iter().filter(|e| e.class == k).count();
            if let Some(path) = dump {
                let mut w = std::io::BufWriter::new(File::create(path)?);
                use std::io::Write;
                writeln!(w, "customer_id,value,class")?;
                for e in &result.entries {
                    writeln!(w, "{},{},{}", e.customer, e.value, e.class)?;
                }
            }
            report(
                "abc",
                &times,
                json!({
                    "rows": rows.len(),
                    "fingerprint": [result.entries.len(), count(AbcClass::A), count(AbcClass::B), count(AbcClass::C)]
                }),
            );
        }
        What::Nps {
            scores,
            runs,
            threads,
        } => {
            let column = std::fs::read(scores)?;
            let (times, nps) = time_runs(runs, || Nps::from_scores_parallel(&column, threads));
            let nps = nps?;
            report(
                "nps",
                &times,
                json!({
                    "rows": column.len(),
                    "threads": threads,
                    "nps": nps.score(),
                    "fingerprint": [nps.detractors, nps.passives, nps.promoters]
                }),
            );
        }
        What::Churn {
            model,
            summary,
            runs,
        } => churn(model, &summary, runs)?,
        What::ScaleBgnbd { rows, runs } => scale_bgnbd(rows, runs)?,
        What::Bgbb {
            summary,
            runs,
            per_customer,
        } => bgbb_fit(&summary, runs, per_customer)?,
        What::ScaleRfm {
            rows,
            customers,
            runs,
        } => {
            let spec = TransactionSpec::new(rows, customers, 20_241_124);
            let data: Vec<_> = spec.rows().map(|t| t.purchase()).collect();
            let before = rss_kib();
            let config = RfmConfig::default();
            let (times, table) = time_runs(runs, || rfm_parallel(&data, &config, 0));
            let table = table?;
            let added = match (before, peak_rss_kib()) {
                (Some(b), Some(p)) => Some(p.saturating_sub(b)),
                _ => None,
            };
            report(
                "scale-rfm",
                &times,
                json!({
                    "rows": rows,
                    "customers": table.customers.len(),
                    "input_rss_kib": before,
                    "compute_added_kib": added,
                }),
            );
        }
    }
    Ok(())
}
