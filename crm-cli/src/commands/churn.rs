//! `crm retention fit` (sBG), `crm clv fit|score` (Gamma-Gamma) and `crm churn fit|score`
//! (BG/NBD, MBG/NBD, Pareto/NBD): models fitted and evaluated by `crm_churn`.

use std::collections::BTreeMap;
use std::path::Path;

use crm_churn::CustomerHistory;
use crm_churn::GammaGammaParams;
use crm_churn::MleFit;
use crm_churn::goodness_of_fit;
use crm_churn::{
    ClvConfig, ClvCustomer, ClvError, CustomerValue, customer_lifetime_value,
    discounted_expected_purchases,
};
use crm_churn::{CohortSurvival, fit_sbg};
use crm_churn::{HealthConfig, HealthInputs, RiskBand, health_score};
use crm_churn::{SpendObservation, fit_gamma_gamma};
use serde::Serialize;
use serde_json::{Value, json};

use crate::cli::{ChurnCommand, ClvCommand, RetentionFitArgs};
use crate::commands::models::{CustomerRow, CustomerTable, PurchaseModel, load_summaries};
use crate::error::{CliError, CliResult};
use crate::output::{finite, outln, print_json, write_table};

fn churn_err(what: &'static str, e: impl std::fmt::Display) -> CliError {
    CliError::analysis(what, e)
}

/// The common JSON of a fitted model: `{"model", "params", "log_likelihood", "n_customers",
/// "converged", ...}`.
pub fn fit_json(model: &str, names: &[&str], mle: &MleFit, n_customers: u64) -> Value {
    let params: serde_json::Map<String, Value> = names
        .iter()
        .zip(&mle.params)
        .map(|(n, v)| ((*n).to_string(), json!(finite(*v))))
        .collect();
    let std_errors: Option<serde_json::Map<String, Value>> = mle.std_errors.as_ref().map(|se| {
        names
            .iter()
            .zip(se)
            .map(|(n, v)| ((*n).to_string(), json!(finite(*v))))
            .collect()
    });
    json!({
        "model": model,
        "params": params,
        "std_errors": std_errors,
        "log_likelihood": finite(mle.report.log_likelihood),
        "n_customers": n_customers,
        "converged": mle.report.converged,
        "iterations": mle.report.iterations,
        "gradient_norm": finite(mle.report.gradient_norm),
        "warnings": warnings_json(&mle.warnings),
    })
}

/// A model's money estimate for people: two decimals with thousands separators.
fn money_text(x: f64) -> String {
    if !x.is_finite() {
        return "-".into();
    }
    let cents = format!("{:.2}", x.abs());
    let (whole, frac) = cents.split_once('.').unwrap_or((&cents, "00"));
    let whole: u64 = whole.parse().unwrap_or(0);
    format!(
        "{}{}.{frac}",
        if x < 0.0 { "-" } else { "" },
        thousands::Separable::separate_with_commas(&whole)
    )
}

/// A fit's warnings as JSON: each warning's fields with its `message`.
fn warnings_json(warnings: &[crm_churn::FitWarning]) -> Value {
    Value::Array(
        warnings
            .iter()
            .map(|w| {
                let mut v = serde_json::to_value(w).unwrap_or_else(|_| json!({}));
                if let Some(m) = v.as_object_mut() {
                    m.insert("message".into(), json!(w.to_string()));
                }
                v
            })
            .collect(),
    )
}

/// A fit's warnings: an error under `--strict`, else, in text output, one line each on
/// standard error (JSON output carries them in `warnings`).
pub fn check_warnings(
    what: &'static str,
    mle: &MleFit,
    strict: bool,
    json_output: bool,
) -> CliResult<()> {
    if mle.warnings.is_empty() {
        return Ok(());
    }
    let text: Vec<String> = mle.warnings.iter().map(ToString::to_string).collect();
    if strict {
        return Err(CliError::analysis(
            what,
            format!("refused under --strict: {}", text.join("; ")),
        ));
    }
    if !json_output {
        use std::io::Write;
        let mut err = std::io::stderr().lock();
        for t in &text {
            let _ = writeln!(err, "crm: warning: {what}: {t}");
        }
    }
    Ok(())
}

/// One period of an sBG projection.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct RetentionRow {
    /// Period (0 = start).
    pub period: u32,
    /// Observed survivors, where given.
    pub observed: Option<u64>,
    /// Expected survivors of the cohort.
    pub expected: f64,
    /// Survival probability S(t).
    pub survival: f64,
    /// Retention rate r(t) = S(t) / S(t-1) (empty for period 0).
    pub retention_rate: Option<f64>,
}

/// `crm retention fit`.
/// From survivor counts typed in (records of subscriptions are read by the `retention`
/// command module).
pub fn retention_fit(args: &RetentionFitArgs) -> CliResult<()> {
    // Options of subscription records make no sense with survivor counts typed in.
    if args.by_cohort || args.as_of.is_some() {
        return Err(CliError::Usage(
            "--by-cohort and --as-of need --subscriptions FILE".into(),
        ));
    }
    let cohort = CohortSurvival::new(args.survivors.clone())
        .map_err(|e| CliError::Usage(format!("--survivors: {e}")))?;
    let fit = fit_sbg(&cohort).map_err(|e| churn_err("sBG fit", e))?;
    check_warnings("sBG fit", &fit.mle, args.strict, args.out.json)?;
    let size = args.survivors[0];
    let periods = args.periods.max(args.survivors.len() as u32 - 1);
    let expected = fit.params.expected_survivors(size, periods);
    let survival = fit.params.survival_curve(periods);
    let rows: Vec<RetentionRow> = (0..=periods)
        .map(|t| RetentionRow {
            period: t,
            observed: args.survivors.get(t as usize).copied(),
            expected: expected[t as usize],
            survival: survival[t as usize],
            retention_rate: (t > 0).then(|| fit.params.retention_rate(t)),
        })
        .collect();
    if let Some(path) = &args.out.output {
        write_table(path, &rows, &[])?;
    }
    // Without discounting the lifetime has no bound when alpha <= 1: reported as such
    // (`null` in JSON) beside the fit, not as a failure of the whole command.
    let derl = match fit
        .params
        .discounted_expected_residual_lifetime(args.discount_rate, 0)
    {
        Ok(v) => Some(v),
        Err(crm_churn::SbgError::UnboundedLifetime { .. }) => None,
        Err(e) => return Err(churn_err("sBG lifetime", e)),
    };
    if args.out.json {
        let mut v = fit_json("sbg", &["alpha", "beta"], &fit.mle, size);
        if let Some(m) = v.as_object_mut() {
            m.insert("discount_rate".into(), json!(args.discount_rate));
            m.insert(
                "discounted_expected_residual_lifetime".into(),
                json!(derl.and_then(finite)),
            );
            m.insert(
                "projection".into(),
                serde_json::to_value(&rows).unwrap_or_default(),
            );
        }
        print_json(&v)
    } else {
        outln!(
            "sBG: alpha = {:.4}, beta = {:.4}, log-likelihood {:.4}{}",
            fit.params.alpha,
            fit.params.beta,
            fit.mle.report.log_likelihood,
            if fit.mle.report.converged {
                ""
            } else {
                " (not converged)"
            }
        )?;
        outln!(
            "{:>6} {:>10} {:>12} {:>10} {:>10}",
            "period",
            "observed",
            "expected",
            "survival",
            "retention"
        )?;
        for r in &rows {
            outln!(
                "{:>6} {:>10} {:>12.1} {:>10.4} {:>10}",
                r.period,
                r.observed.map(|o| o.to_string()).unwrap_or_default(),
                r.expected,
                r.survival,
                r.retention_rate
                    .map(|x| format!("{x:.4}"))
                    .unwrap_or_default()
            )?;
        }
        match derl {
            Some(derl) => outln!(
                "discounted expected residual lifetime at {}: {derl:.4} periods",
                args.discount_rate
            )?,
            None => outln!(
                "expected residual lifetime without discounting: unbounded (alpha = {:.4} is at most 1)",
                fit.params.alpha
            )?,
        }
        Ok(())
    }
}

/// Fits Gamma-Gamma to repeat buyers' (frequency, mean spend); returns the fit and the
/// number of customers used.
pub fn gamma_gamma(
    observations: impl IntoIterator<Item = (u32, f64)>,
) -> CliResult<(crm_churn::GammaGammaFit, u64)> {
    let obs: Vec<SpendObservation> = observations
        .into_iter()
        .filter(|(x, m)| *x > 0 && *m > 0.0)
        .map(|(frequency, mean_spend)| SpendObservation {
            frequency,
            mean_spend,
        })
        .collect();
    let n = obs.len() as u64;
    let fit = fit_gamma_gamma(&obs).map_err(|e| churn_err("Gamma-Gamma fit", e))?;
    Ok((fit, n))
}

/// Gamma-Gamma fitted to the repeat buyers of customer summaries (a customer without spend
/// counts as spending nothing).
pub fn table_gamma_gamma(table: &CustomerTable) -> CliResult<(crm_churn::GammaGammaFit, u64)> {
    gamma_gamma(
        table
            .rows
            .iter()
            .map(|r| (r.history.x, r.monetary.unwrap_or(0.0))),
    )
}

/// A customer summary as the lifetime-value model reads it (no spend counts as zero).
pub fn clv_customer(r: &CustomerRow) -> ClvCustomer {
    ClvCustomer {
        frequency: r.history.x,
        recency: r.history.t_x,
        age: r.history.t,
        mean_spend: r.monetary.unwrap_or(0.0),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn money_estimates_are_shown_with_cents_and_separators() {
        assert_eq!(money_text(72_072.772_199), "72,072.77");
        assert_eq!(money_text(-1_234_567.005), "-1,234,567.00");
        assert_eq!(money_text(0.999), "1.00");
        assert_eq!(money_text(f64::NAN), "-");
    }

    #[test]
    fn refunded_repeat_spend_is_valued_at_the_population_mean() {
        let path = std::path::Path::new(concat!(
            env!("CARGO_MANIFEST_DIR"),
            "/../testdata/cdnow_customers_summary.csv"
        ));
        let table = crate::commands::models::summaries_from_file(path).expect("fixture");
        let model =
            PurchaseModel::fit(crate::cli::ChurnModelKind::Bgnbd, &table).expect("BG/NBD fit");
        let spend = GammaGammaParams {
            p: 6.25,
            q: 3.74,
            gamma: 15.44,
        };
        let config = ClvConfig {
            horizon_periods: 52,
            period_length: 1.0,
            discount_rate: 0.0,
        };
        let refunded = ClvCustomer {
            frequency: 2,
            recency: 30.0,
            age: 38.0,
            mean_spend: -5.0,
        };
        let v = clv_of(&model, &spend, &refunded, &config).expect("valued");
        // Closed form of the population mean: p gamma / (q - 1).
        let mean = 6.25 * 15.44 / (3.74 - 1.0);
        assert!((v.expected_average_spend - mean).abs() < 1e-9, "{v:?}");
        // The purchase model still sees the real history (x = 2, t_x = 30, T = 38).
        let expected =
            discounted_expected_purchases(&model, 2, 30.0, 38.0, &config).expect("purchases");
        assert_eq!(v.discounted_expected_purchases, expected);
        assert!(expected > 0.0);
        assert!((v.value - mean * expected).abs() < 1e-9);
        // A customer with positive spend goes through the library unchanged.
        let paying = ClvCustomer {
            mean_spend: 20.0,
            ..refunded
        };
        assert_eq!(
            clv_of(&model, &spend, &paying, &config).expect("valued"),
            customer_lifetime_value(&model, &spend, &paying, &config).expect("valued")
        );
    }

    #[test]
    fn gamma_gamma_without_repeat_buyers_is_an_error_not_a_panic() {
        let rows = [(0u32, 0.0), (0, 12.0), (3, 0.0)];
        let e = gamma_gamma(rows).expect_err("nothing to fit");
        assert!(e.to_string().starts_with("Gamma-Gamma fit: "), "{e}");
    }
}

/// Columns of `crm churn score`.
pub const SCORE_COLUMNS: [&str; 5] = [
    "customer_id",
    "p_alive",
    "expected_purchases",
    "health_score",
    "risk_band",
];

/// One row of `crm churn score`.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct ScoreRow {
    /// The customer.
    pub customer_id: String,
    /// Probability that the customer is still active.
    pub p_alive: Option<f64>,
    /// Expected purchases over the horizon.
    pub expected_purchases: Option<f64>,
    /// Churn-risk points, 0 (no sign of risk) to 100.
    pub health_score: Option<f64>,
    /// `low`, `medium` or `high`.
    pub risk_band: String,
}

/// Health inputs the customer summary provides: relative recency and P(alive).
pub fn health_inputs(h: &CustomerHistory, p_alive: f64) -> HealthInputs {
    HealthInputs {
        periods_since_last_purchase: Some(h.t - h.t_x),
        typical_purchase_gap: (h.x > 0).then(|| h.t_x / f64::from(h.x)),
        p_alive: Some(p_alive),
        ..HealthInputs::default()
    }
}

/// Scores every customer: P(alive), expected purchases over `horizon`, health and band.
pub fn score_rows(
    model: &PurchaseModel,
    table: &CustomerTable,
    horizon: f64,
) -> CliResult<Vec<ScoreRow>> {
    let config = HealthConfig::default();
    table
        .rows
        .iter()
        .map(|r| {
            let p = model.p_alive(&r.history)?;
            let expected = model
                .expected(&r.history, horizon)
                .map_err(|e| churn_err("expected purchases", e))?;
            let health = health_score(&health_inputs(&r.history, p), &config)
                .map_err(|e| churn_err("health score", e))?;
            Ok(ScoreRow {
                customer_id: r.id.clone(),
                p_alive: finite(p),
                expected_purchases: finite(expected),
                health_score: finite(health.score),
                risk_band: band_name(health.band).to_string(),
            })
        })
        .collect()
}

/// The name of a risk band.
pub fn band_name(band: RiskBand) -> &'static str {
    match band {
        RiskBand::Low => "low",
        RiskBand::Medium => "medium",
        RiskBand::High => "high",
    }
}

fn fit_summary(model: &PurchaseModel, table: &CustomerTable) -> Value {
    let mut v = fit_json(
        model.name(),
        &model.param_names(),
        model.mle(),
        table.rows.len() as u64,
    );
    if let Some(m) = v.as_object_mut() {
        m.insert(
            "excluded_after_calibration".into(),
            json!(table.excluded_after_calibration),
        );
        if let Some(end) = table.calibration_end {
            m.insert("calibration_end".into(), json!(end));
        }
    }
    v
}

fn print_fit(v: &Value, names: &[&str]) -> CliResult<()> {
    let params = names
        .iter()
        .map(|k| format!("{k} = {:.4}", v["params"][*k].as_f64().unwrap_or(f64::NAN)))
        .collect::<Vec<_>>()
        .join(", ");
    outln!(
        "{}: {params}; log-likelihood {:.4}; {} customers{}",
        v["model"].as_str().unwrap_or("model"),
        v["log_likelihood"].as_f64().unwrap_or(f64::NAN),
        v["n_customers"],
        if v["converged"] == json!(true) {
            ""
        } else {
            " (not converged)"
        }
    )?;
    Ok(())
}

/// `crm churn fit` and `crm churn score`.
pub fn churn(command: &ChurnCommand) -> CliResult<()> {
    let (args, horizon, bins) = match command {
        ChurnCommand::Fit(a) => (a, None, 7),
        ChurnCommand::Score(s) => (&s.fit, Some(s.horizon), s.diagnostic_bins),
    };
    if args.period.is_some() {
        return Err(CliError::Usage(
            "--period is for --model bgbb (the time models use --time-unit)".into(),
        ));
    }
    let (kind, args) = (args.model, &args.fit);
    let table = load_summaries(&args.source, &args.summary)?;
    let model = PurchaseModel::fit(kind, &table)?;
    check_warnings("churn model", model.mle(), args.strict, args.out.json)?;
    let mut summary = fit_summary(&model, &table);
    if let Some(h) = horizon {
        let rows = score_rows(&model, &table, h)?;
        if let Some(path) = &args.out.output {
            write_table(path, &rows, &SCORE_COLUMNS)?;
        }
        let mut bands: BTreeMap<&str, u64> = BTreeMap::new();
        for r in &rows {
            *bands.entry(r.risk_band.as_str()).or_default() += 1;
        }
        let mean_p = rows.iter().filter_map(|r| r.p_alive).sum::<f64>() / rows.len().max(1) as f64;
        if let Some(m) = summary.as_object_mut() {
            m.insert("horizon".into(), json!(h));
            m.insert("mean_p_alive".into(), json!(finite(mean_p)));
            m.insert("risk_bands".into(), json!(bands));
        }
        if let Some(holdout) = table.holdout_duration {
            let d = diagnostics(&model, &table, holdout, bins)?;
            if let Some(m) = summary.as_object_mut() {
                m.insert("diagnostics".into(), d);
            }
        }
    } else if let Some(path) = &args.out.output {
        // `churn fit --output` writes the per-customer summaries the model was fitted to.
        write_summaries(path, &table)?;
    }
    if args.out.json {
        print_json(&summary)
    } else {
        print_fit(&summary, &model.param_names())?;
        if let Some(b) = summary.get("risk_bands").and_then(|b| b.as_object()) {
            let total: u64 = b.values().filter_map(|v| v.as_u64()).sum();
            // Bands from the lowest risk up, then any other name.
            let mut names: Vec<&String> = b.keys().collect();
            let rank = |n: &str| ["low", "medium", "high"].iter().position(|k| *k == n);
            names.sort_by_key(|n| (rank(n).unwrap_or(usize::MAX), n.to_string()));
            let bands: Vec<String> = names
                .iter()
                .map(|n| {
                    let count = b[n.as_str()].as_u64().unwrap_or(0);
                    format!(
                        "{n} {} ({:.1}%)",
                        thousands::Separable::separate_with_commas(&count),
                        100.0 * count as f64 / total.max(1) as f64
                    )
                })
                .collect();
            outln!(
                "mean P(alive) {:.4}; risk bands: {}",
                summary["mean_p_alive"].as_f64().unwrap_or(f64::NAN),
                bands.join(", ")
            )?;
        }
        if let Some(d) = summary.get("diagnostics") {
            print_diagnostics(d)?;
        }
        Ok(())
    }
}

/// The fit diagnostics of a holdout: calibration against holdout by frequency bin, the
/// period-transactions table and its chi-square test.
fn diagnostics(
    model: &PurchaseModel,
    table: &CustomerTable,
    holdout: f64,
    k: u32,
) -> CliResult<Value> {
    let run = || -> Result<Value, crm_churn::DiagnosticsError> {
        let histories: Vec<CustomerHistory> = table.rows.iter().map(|r| r.history).collect();
        let rows: Vec<(CustomerHistory, u32)> = table
            .rows
            .iter()
            .map(|r| (r.history, r.holdout_frequency.unwrap_or(0)))
            .collect();
        let bins = model.calibration_holdout(&rows, holdout, k)?;
        let period = model.period_transactions(&histories, k)?;
        let test = match goodness_of_fit(&period, model.mle().params.len()) {
            Ok(t) => json!({
                "statistic": finite(t.statistic),
                "bins": t.bins,
                "df": t.df,
                "p_value": finite(t.p_value),
            }),
            Err(e) => json!({ "error": e.to_string() }),
        };
        Ok(json!({
            "holdout_duration": holdout,
            "calibration_holdout": bins.iter().map(|b| json!({
                "frequency": b.frequency,
                "open_ended": b.open_ended,
                "n": b.n,
                "mean_actual": finite(b.mean_actual),
                "mean_predicted": finite(b.mean_predicted),
            })).collect::<Vec<_>>(),
            "period_transactions": period.bins.iter().map(|b| json!({
                "repeat_purchases": b.repeat_purchases,
                "open_ended": b.open_ended,
                "actual": b.actual,
                "expected": finite(b.expected),
            })).collect::<Vec<_>>(),
            "chi_square": test,
        }))
    };
    let result = run();
    result.map_err(|e| churn_err("fit diagnostics", e))
}

fn print_diagnostics(d: &Value) -> CliResult<()> {
    let num = |v: &Value| v.as_f64().unwrap_or(f64::NAN);
    let label = |b: &Value, key: &str| {
        format!(
            "{}{}",
            b[key],
            if b["open_ended"] == json!(true) {
                "+"
            } else {
                ""
            }
        )
    };
    outln!(
        "calibration against holdout ({} time units): frequency, customers, mean actual, mean predicted",
        d["holdout_duration"]
    )?;
    for b in d["calibration_holdout"].as_array().into_iter().flatten() {
        outln!(
            "{:>6} {:>10} {:>10.4} {:>10.4}",
            label(b, "frequency"),
            b["n"],
            num(&b["mean_actual"]),
            num(&b["mean_predicted"])
        )?;
    }
    outln!("repeat purchases in calibration: customers actual, expected")?;
    for b in d["period_transactions"].as_array().into_iter().flatten() {
        outln!(
            "{:>6} {:>10} {:>12.1}",
            label(b, "repeat_purchases"),
            b["actual"],
            num(&b["expected"])
        )?;
    }
    let c = &d["chi_square"];
    if let Some(e) = c.get("error") {
        outln!(
            "chi-square goodness of fit: not computed ({})",
            e.as_str().unwrap_or("")
        )?;
    } else {
        outln!(
            "chi-square goodness of fit: {:.4} on {} bins, df {}, p = {:.4}",
            num(&c["statistic"]),
            c["bins"],
            c["df"],
            num(&c["p_value"])
        )?;
    }
    Ok(())
}

/// A customer summary row as written by `churn fit --output`.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct SummaryRowOut {
    /// The customer.
    pub customer_id: String,
    /// Repeat purchase periods.
    pub frequency: u32,
    /// Time from first to last purchase.
    pub recency: f64,
    /// Time from first purchase to the calibration end.
    #[serde(rename = "T")]
    pub t: f64,
    /// Mean value of the repeat purchases.
    pub monetary_value: Option<f64>,
    /// Purchases in the holdout period.
    pub holdout_frequency: Option<u32>,
}

impl From<&CustomerRow> for SummaryRowOut {
    fn from(r: &CustomerRow) -> Self {
        Self {
            customer_id: r.id.clone(),
            frequency: r.history.x,
            recency: r.history.t_x,
            t: r.history.t,
            monetary_value: r.monetary,
            holdout_frequency: r.holdout_frequency,
        }
    }
}

/// Writes the per-customer summaries a model was fitted to.
fn write_summaries(path: &Path, table: &CustomerTable) -> CliResult<()> {
    let rows: Vec<SummaryRowOut> = table.rows.iter().map(SummaryRowOut::from).collect();
    write_table(path, &rows, &[])
}

/// A customer's lifetime value with the library. A customer whose repeat purchases net to no
/// positive spend (refunds) is valued at the population's expected spend, as a customer
/// without repeat purchases is; the purchase model still sees the real history.
pub fn clv_of(
    model: &PurchaseModel,
    spend: &GammaGammaParams,
    customer: &ClvCustomer,
    config: &ClvConfig,
) -> CliResult<CustomerValue> {
    let err = |e: ClvError| churn_err("customer lifetime value", e);
    if customer.frequency == 0 || (customer.mean_spend.is_finite() && customer.mean_spend > 0.0) {
        return customer_lifetime_value(model, spend, customer, config).map_err(err);
    }
    let expected_average_spend = spend
        .population_mean_spend()
        .map_err(|e| churn_err("customer lifetime value", e))?;
    let discounted = discounted_expected_purchases(
        model,
        customer.frequency,
        customer.recency,
        customer.age,
        config,
    )
    .map_err(err)?;
    Ok(CustomerValue {
        expected_average_spend,
        discounted_expected_purchases: discounted,
        value: expected_average_spend * discounted,
    })
}

/// One row of `crm clv score`.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct ClvRow {
    /// The customer.
    pub customer_id: String,
    /// Repeat purchase periods.
    pub frequency: u32,
    /// Mean value of the repeat purchases.
    pub monetary_value: Option<f64>,
    /// Probability that the customer is still active.
    pub p_alive: Option<f64>,
    /// Discounted expected purchases over the horizon.
    pub expected_purchases: Option<f64>,
    /// Expected average spend per purchase (Gamma-Gamma).
    pub expected_average_spend: Option<f64>,
    /// Customer lifetime value over the horizon.
    pub clv: Option<f64>,
}

fn spend_fit(table: &CustomerTable) -> CliResult<(crm_churn::GammaGammaFit, u64)> {
    if table.rows.iter().all(|r| r.monetary.is_none()) {
        return Err(CliError::Usage(
            "the Gamma-Gamma model needs spend: give transactions, or a summary with a monetary_value column".into(),
        ));
    }
    table_gamma_gamma(table)
}

fn gg_json(fit: &crm_churn::GammaGammaFit, n: u64) -> Value {
    fit_json("gamma-gamma", &["p", "q", "v"], &fit.mle, n)
}

/// `crm clv fit` and `crm clv score`.
pub fn clv(command: &ClvCommand) -> CliResult<()> {
    let args = match command {
        ClvCommand::Fit(a) => a,
        ClvCommand::Score(s) => &s.fit,
    };
    let table = load_summaries(&args.source, &args.summary)?;
    let (spend, n) = spend_fit(&table)?;
    check_warnings("Gamma-Gamma fit", &spend.mle, args.strict, args.out.json)?;
    let mut summary = gg_json(&spend, n);
    if let ClvCommand::Score(s) = command {
        let model = PurchaseModel::fit(s.model, &table)?;
        check_warnings("churn model", model.mle(), args.strict, args.out.json)?;
        let config = ClvConfig {
            horizon_periods: s.horizon.ceil() as u32,
            period_length: 1.0,
            discount_rate: s.discount_rate,
        };
        let mut rows = Vec::with_capacity(table.rows.len());
        for r in &table.rows {
            let value = clv_of(&model, &spend.params, &clv_customer(r), &config)?;
            rows.push(ClvRow {
                customer_id: r.id.clone(),
                frequency: r.history.x,
                monetary_value: r.monetary,
                p_alive: finite(model.p_alive(&r.history)?),
                expected_purchases: finite(value.discounted_expected_purchases),
                expected_average_spend: finite(value.expected_average_spend),
                clv: finite(value.value),
            });
        }
        if let Some(path) = &args.out.output {
            write_table(path, &rows, &[])?;
        }
        let total: f64 = rows.iter().filter_map(|r| r.clv).sum();
        if let Some(m) = summary.as_object_mut() {
            m.insert("purchase_model".into(), fit_summary(&model, &table));
            m.insert("horizon".into(), json!(config.horizon_periods));
            m.insert("discount_rate".into(), json!(s.discount_rate));
            m.insert("total_clv".into(), json!(finite(total)));
            m.insert(
                "mean_clv".into(),
                json!(finite(total / rows.len().max(1) as f64)),
            );
        }
    } else if let Some(path) = &args.out.output {
        write_summaries(path, &table)?;
    }
    if args.out.json {
        print_json(&summary)
    } else {
        print_fit(&summary, &["p", "q", "v"])?;
        if let Some(total) = summary.get("total_clv").and_then(|t| t.as_f64()) {
            let mean = summary["mean_clv"].as_f64().unwrap_or(f64::NAN);
            outln!(
                "total CLV {} over {} periods (mean {} per customer; full precision in --json)",
                money_text(total),
                summary["horizon"],
                money_text(mean)
            )?;
        }
        Ok(())
    }
}
