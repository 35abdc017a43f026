//! Report section: the BG/NBD model fitted to the customer base, P(alive), the
//! frequency/recency matrix, Gamma-Gamma spend, CLV and the explainable health score (all
//! from `crm_churn`).

use std::collections::{BTreeMap, HashMap};
use thousands::Separable;

use chrono::{DateTime, Utc};
use crm_churn::{ClvConfig, CustomerHistory, GammaGammaParams};
use crm_churn::{HealthConfig, health_score, roc_auc, top_decile_lift};
use serde_json::json;

use crate::cli::{ChurnModelKind, TimeUnitArg};
use crate::commands::churn::{
    band_name, clv_customer, clv_of, fit_json, health_inputs, table_gamma_gamma,
};
use crate::commands::models::{CustomerTable, PurchaseModel, summaries_from_transactions};
use crate::error::{CliError, CliResult};
use crate::input::transactions::TransactionRow;
use crate::report::charts;
use crate::report::collector::{Collector, f1};
use crate::report::html::{Chart, Section, Table};

/// Service facts per customer that feed the health score.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct ServiceFacts {
    /// Tickets not solved at the end of the window.
    pub open_tickets: u32,
    /// Tickets whose SLA was breached.
    pub breached_tickets: u32,
    /// The latest NPS answer was a detractor.
    pub detractor: bool,
    /// The latest CSAT answer was dissatisfied.
    pub low_csat: bool,
}

/// What the churn section hands on: each customer's churn probability (1 - P(alive)).
pub type ChurnProbabilities = HashMap<String, f64>;

/// What the models say of each customer, and the totals over the customer base.
struct Scores {
    /// P(alive) of each customer, in table order.
    p_alive: Vec<f64>,
    /// Each customer's churn probability.
    probabilities: ChurnProbabilities,
    /// Customers per risk band.
    bands: BTreeMap<&'static str, u64>,
    /// Each customer's CLV, in table order.
    clvs: Vec<f64>,
    /// The sum of the CLVs.
    clv_total: f64,
    /// Customers at medium or high risk per main reason.
    reasons: BTreeMap<&'static str, u64>,
}

/// P(alive), health score (with the customer's service facts), risk band and CLV over 52
/// weeks of every customer.
fn score_customers(
    table: &CustomerTable,
    model: &PurchaseModel,
    spend: &GammaGammaParams,
    service: &HashMap<String, ServiceFacts>,
) -> CliResult<Scores> {
    let clv_config = ClvConfig {
        horizon_periods: 52,
        period_length: 1.0,
        discount_rate: 0.0019, // about 10% a year, per week
    };
    let health_config = HealthConfig::default();
    let mut p_alive = Vec::with_capacity(table.rows.len());
    let mut probabilities = ChurnProbabilities::new();
    let mut bands: BTreeMap<&'static str, u64> = BTreeMap::new();
    let mut clv_total = 0.0;
    let mut clvs = Vec::with_capacity(table.rows.len());
    let mut reasons: BTreeMap<&'static str, u64> = BTreeMap::new();
    for r in &table.rows {
        let p = model.p_alive(&r.history)?;
        p_alive.push(p);
        probabilities.insert(r.id.clone(), 1.0 - p);
        let mut inputs = health_inputs(&r.history, p);
        if let Some(s) = service.get(&r.id) {
            inputs.open_tickets = s.open_tickets;
            inputs.sla_breached_tickets = s.breached_tickets;
            inputs.recent_detractor = s.detractor;
            inputs.recent_low_csat = s.low_csat;
        }
        let health = health_score(&inputs, &health_config)
            .map_err(|e| CliError::analysis("health score", e))?;
        *bands.entry(band_name(health.band)).or_default() += 1;
        if let Some(top) = health.reasons().first()
            && health.band != crm_churn::RiskBand::Low
        {
            *reasons.entry(top.factor.name()).or_default() += 1;
        }
        let value = clv_of(model, spend, &clv_customer(r), &clv_config)?;
        clv_total += value.value;
        clvs.push(value.value);
    }
    Ok(Scores {
        p_alive,
        probabilities,
        bands,
        clvs,
        clv_total,
        reasons,
    })
}

/// Frequency/recency matrix: P(alive) of a customer observed for the longest T, by repeat
/// purchases (rows) and recency (columns).
fn alive_matrix_chart(table: &CustomerTable, model: &PurchaseModel) -> CliResult<Chart> {
    let t_max = table.rows.iter().map(|r| r.history.t).fold(0.0, f64::max);
    let x_max = 12u32;
    let bins = 12usize;
    let mut matrix = vec![vec![f64::NAN; bins]; x_max as usize + 1];
    for x in 0..=x_max {
        for (j, cell) in matrix[x as usize].iter_mut().enumerate() {
            let t_x = if x == 0 {
                0.0
            } else {
                t_max * (j as f64 + 0.5) / bins as f64
            };
            if x == 0 && j > 0 {
                continue;
            }
            if let Ok(h) = CustomerHistory::new(x, t_x, t_max) {
                *cell = model.p_alive(&h)?;
            }
        }
    }
    let x_labels: Vec<String> = (0..bins)
        .map(|j| format!("{:.0}", t_max * (j as f64 + 0.5) / bins as f64))
        .collect();
    let y_labels: Vec<String> = (0..=x_max).map(|x| x.to_string()).collect();
    Ok(Chart {
        caption: format!(
            "P(alive) by repeat purchases and recency (weeks) for a customer observed {t_max:.0} weeks"
        ),
        svg: charts::heatmap(
            "Frequency / recency matrix",
            &x_labels,
            &y_labels,
            &matrix,
            "recency (weeks)",
            "repeat purchases",
            "P(alive) (%)",
            &|v| format!("{:.0}", 100.0 * v),
        )?,
    })
}

/// The horizon of the expected-purchases matrix, in weeks.
const EXPECTED_WEEKS: f64 = 52.0;

/// Frequency/recency matrix of the purchases a customer observed for the longest T is
/// expected to make in the next [`EXPECTED_WEEKS`] weeks (as `lifetimes`'
/// `plot_frequency_recency_matrix`); combinations that cannot occur (no repeat purchase
/// but a recency) are blank.
fn expected_matrix_chart(table: &CustomerTable, model: &PurchaseModel) -> CliResult<Chart> {
    let t_max = table.rows.iter().map(|r| r.history.t).fold(0.0, f64::max);
    let x_max = 12u32;
    let bins = 12usize;
    let mut matrix = vec![vec![f64::NAN; bins]; x_max as usize + 1];
    for x in 0..=x_max {
        for (j, cell) in matrix[x as usize].iter_mut().enumerate() {
            if x == 0 && j > 0 {
                continue;
            }
            let t_x = if x == 0 {
                0.0
            } else {
                t_max * (j as f64 + 0.5) / bins as f64
            };
            if let Ok(h) = CustomerHistory::new(x, t_x, t_max) {
                *cell = model
                    .expected(&h, EXPECTED_WEEKS)
                    .map_err(|e| CliError::analysis("expected purchases", e))?;
            }
        }
    }
    let x_labels: Vec<String> = (0..bins)
        .map(|j| format!("{:.0}", t_max * (j as f64 + 0.5) / bins as f64))
        .collect();
    let y_labels: Vec<String> = (0..=x_max).map(|x| x.to_string()).collect();
    Ok(Chart {
        caption: format!(
            "Expected purchases in the next {EXPECTED_WEEKS:.0} weeks by repeat purchases and \
             recency (weeks) for a customer observed {t_max:.0} weeks; blank: cannot occur"
        ),
        svg: charts::heatmap(
            "Expected purchases, next 52 weeks",
            &x_labels,
            &y_labels,
            &matrix,
            "recency (weeks)",
            "repeat purchases",
            "expected purchases",
            &|v| format!("{v:.1}"),
        )?,
    })
}

/// The bins of the diagnostics: 0 to 6 repeat purchases and 7 or more, as `lifetimes`
/// draws them.
const DIAGNOSTIC_BINS: u32 = 7;

fn bin_labels(k: u32) -> Vec<String> {
    (0..k)
        .map(|x| x.to_string())
        .chain(std::iter::once(format!("{k}+")))
        .collect()
}

/// Customers by repeat purchases in the calibration period, actual against the model (as
/// `lifetimes`' `plot_period_transactions`), with the chi-square test in the caption.
fn period_transactions_chart(
    table: &CustomerTable,
    model: &PurchaseModel,
) -> CliResult<(Chart, serde_json::Value)> {
    let histories: Vec<CustomerHistory> = table.rows.iter().map(|r| r.history).collect();
    let period = model
        .period_transactions(&histories, DIAGNOSTIC_BINS)
        .map_err(|e| CliError::analysis("period transactions", e))?;
    let actual: Vec<f64> = period.bins.iter().map(|b| b.actual as f64).collect();
    let expected: Vec<f64> = period.bins.iter().map(|b| b.expected).collect();
    let test = crm_churn::goodness_of_fit(&period, model.mle().params.len()).ok();
    let fit_text = test.as_ref().map_or_else(String::new, |t| {
        format!(
            "; chi-square {:.1} on {} degrees of freedom, p = {:.3}",
            t.statistic, t.df, t.p_value
        )
    });
    let chart = Chart {
        caption: format!(
            "Customers by repeat purchases in their observation period: actual and expected by \
             the model{fit_text}"
        ),
        svg: charts::bars(
            "Repeat purchases: actual vs model",
            &bin_labels(DIAGNOSTIC_BINS),
            &[("actual", &actual), ("model", &expected)],
            "customers",
        )?,
    };
    let summary = json!({
        "bins": period.bins.iter().map(|b| json!({
            "repeat_purchases": b.repeat_purchases,
            "open_ended": b.open_ended,
            "actual": b.actual,
            "expected": b.expected,
        })).collect::<Vec<_>>(),
        "chi_square": test.map(|t| json!({
            "statistic": t.statistic, "df": t.df, "p_value": t.p_value,
        })),
    });
    Ok((chart, summary))
}

/// The calibration-against-holdout chart, its headline figures and its summary.
struct HoldoutCheck {
    chart: Chart,
    headlines: Vec<(String, String)>,
    summary: serde_json::Value,
}

/// Calibration against holdout: the model fitted on the transactions before `holdout_from`
/// predicts each customer's purchases up to `end`; mean actual and predicted purchases by
/// calibration frequency, and how well the expected purchases rank the customers who buy
/// in the holdout above those who do not (ROC AUC, and the lift of the top decile: its
/// share of buyers over the share of all customers who buy).
fn holdout_chart(
    rows: &[TransactionRow],
    holdout_from: DateTime<Utc>,
    end: DateTime<Utc>,
) -> CliResult<HoldoutCheck> {
    let table =
        summaries_from_transactions(rows, Some(holdout_from), Some(end), TimeUnitArg::Week)?;
    let model = PurchaseModel::fit(ChurnModelKind::Bgnbd, &table)?;
    let holdout = table.holdout_duration.unwrap_or(0.0);
    let pairs: Vec<(CustomerHistory, u32)> = table
        .rows
        .iter()
        .map(|r| (r.history, r.holdout_frequency.unwrap_or(0)))
        .collect();
    let bins = model
        .calibration_holdout(&pairs, holdout, DIAGNOSTIC_BINS)
        .map_err(|e| CliError::analysis("calibration against holdout", e))?;
    let expected: Vec<f64> = table
        .rows
        .iter()
        .map(|r| model.expected(&r.history, holdout))
        .collect::<Result<_, _>>()
        .map_err(|e| CliError::analysis("expected purchases", e))?;
    let bought: Vec<bool> = pairs.iter().map(|(_, n)| *n > 0).collect();
    let auc = roc_auc(&expected, &bought).ok();
    let lift = top_decile_lift(&expected, &bought).ok();
    let points = |f: fn(&crm_churn::HoldoutBin) -> f64| -> Vec<(f64, f64)> {
        bins.iter()
            .filter(|b| b.n > 0 && f(b).is_finite())
            .map(|b| (f64::from(b.frequency), f(b)))
            .collect()
    };
    let chart = Chart {
        caption: format!(
            "Calibration against holdout: BG/NBD fitted on the transactions to {}, mean purchases \
             from then to {} ({holdout:.1} weeks) by calibration repeat purchases ({} or more in \
             the last point), actual and predicted",
            holdout_from.format("%Y-%m-%d"),
            end.format("%Y-%m-%d"),
            DIAGNOSTIC_BINS
        ),
        svg: charts::lines(
            "Calibration vs holdout purchases",
            &[
                ("actual", points(|b| b.mean_actual)),
                ("predicted", points(|b| b.mean_predicted)),
            ],
            "repeat purchases in calibration",
            "mean purchases in holdout",
            false,
        )?,
    };
    let headlines = vec![
        (
            "ROC AUC of buying in the holdout".into(),
            auc.map_or("-".into(), |a| format!("{a:.3}")),
        ),
        (
            "top-decile lift (holdout buyers)".into(),
            lift.as_ref()
                .map_or("-".into(), |l| format!("{:.2}", l.lift)),
        ),
    ];
    let summary = json!({
        "calibration_end": holdout_from,
        "holdout_end": end,
        "holdout_weeks": holdout,
        "customers": table.rows.len(),
        "bins": bins.iter().map(|b| json!({
            "frequency": b.frequency,
            "open_ended": b.open_ended,
            "n": b.n,
            "mean_actual": b.mean_actual,
            "mean_predicted": b.mean_predicted,
        })).collect::<Vec<_>>(),
        "roc_auc": auc,
        "top_decile_lift": lift,
    });
    Ok(HoldoutCheck {
        chart,
        headlines,
        summary,
    })
}

/// One customer's P(alive) at the end of each week from their first purchase to `end`,
/// under the model fitted to every customer (as `lifetimes`' `plot_history_alive`); `None`
/// when the customer has no transaction by `end`.
fn alive_history_chart(
    rows: &[TransactionRow],
    customer: &str,
    end: DateTime<Utc>,
    model: &PurchaseModel,
) -> CliResult<Option<(Chart, serde_json::Value)>> {
    let own: Vec<TransactionRow> = rows
        .iter()
        .filter(|r| r.customer_id == customer && r.timestamp <= end)
        .cloned()
        .collect();
    let Some(first) = own.iter().map(|r| r.timestamp).min() else {
        return Ok(None);
    };
    let week = chrono::TimeDelta::weeks(1);
    let mut points = Vec::new();
    let mut t = first + week;
    loop {
        let at = t.min(end);
        let table = summaries_from_transactions(&own, Some(at), None, TimeUnitArg::Week)?;
        if let Some(row) = table.rows.first() {
            points.push((
                (at - first).num_days() as f64 / 7.0,
                model.p_alive(&row.history)?,
            ));
        }
        if t >= end {
            break;
        }
        t += week;
    }
    let purchases = own.len();
    let chart = Chart {
        caption: format!(
            "P(alive) of customer {customer} at the end of each week since the first purchase \
             ({}), {} transactions to {}",
            first.format("%Y-%m-%d"),
            purchases.separate_with_commas(),
            end.format("%Y-%m-%d")
        ),
        svg: charts::lines(
            &format!("P(alive) history of {customer}"),
            &[("P(alive)", points.clone())],
            "weeks since the first purchase",
            "P(alive)",
            false,
        )?,
    };
    let summary = json!({
        "customer": customer,
        "first_purchase": first,
        "weeks": points.iter().map(|(w, p)| json!({"week": w, "p_alive": p})).collect::<Vec<_>>(),
    });
    Ok(Some((chart, summary)))
}

/// Customers per health-score risk band.
fn band_chart(bands: &BTreeMap<&'static str, u64>) -> CliResult<Chart> {
    let band_labels: Vec<String> = ["low", "medium", "high"]
        .iter()
        .map(|s| s.to_string())
        .collect();
    let band_values: Vec<f64> = ["low", "medium", "high"]
        .iter()
        .map(|b| bands.get(b).copied().unwrap_or(0) as f64)
        .collect();
    Ok(Chart {
        caption: "Customers per health-score risk band".into(),
        svg: charts::bars(
            "Risk bands",
            &band_labels,
            &[("customers", &band_values)],
            "customers",
        )?,
    })
}

/// What the churn section draws beyond its defaults.
#[derive(Debug, Clone, Default)]
pub struct ChurnOptions {
    /// Start of a holdout period (to the reference date): the calibration-against-holdout
    /// chart with ROC AUC and top-decile lift.
    pub holdout_from: Option<DateTime<Utc>>,
    /// A customer whose P(alive) history is drawn.
    pub customer: Option<String>,
}

/// Fits the models and adds the section.
pub fn section(
    rows: &[TransactionRow],
    end: DateTime<Utc>,
    service: &HashMap<String, ServiceFacts>,
    options: &ChurnOptions,
    c: &mut Collector,
) -> CliResult<ChurnProbabilities> {
    let table = summaries_from_transactions(rows, Some(end), None, TimeUnitArg::Week)?;
    let model = PurchaseModel::fit(ChurnModelKind::Bgnbd, &table)?;
    let (spend, repeat_buyers) = table_gamma_gamma(&table)?;
    let s = score_customers(&table, &model, &spend.params, service)?;
    let matrix_chart = alive_matrix_chart(&table, &model)?;
    let expected_chart = expected_matrix_chart(&table, &model)?;
    let (period_chart, period_summary) = period_transactions_chart(&table, &model)?;
    let mut extra_charts = Vec::new();
    let mut extra_headlines = Vec::new();
    let mut holdout_summary = serde_json::Value::Null;
    if let Some(from) = options.holdout_from {
        if from >= end {
            return Err(CliError::Usage(format!(
                "the holdout must start before the reference date {} (it starts {})",
                end.format("%Y-%m-%d"),
                from.format("%Y-%m-%d")
            )));
        }
        let check = holdout_chart(rows, from, end)?;
        extra_charts.push(check.chart);
        extra_headlines = check.headlines;
        holdout_summary = check.summary;
    }
    let mut history_summary = serde_json::Value::Null;
    if let Some(customer) = &options.customer {
        match alive_history_chart(rows, customer, end, &model)? {
            Some((chart, summary)) => {
                extra_charts.push(chart);
                history_summary = summary;
            }
            None => {
                return Err(CliError::Usage(format!(
                    "--customer {customer}: the customer has no transaction by {}",
                    end.format("%Y-%m-%d")
                )));
            }
        }
    }
    let clv_total = s.clv_total;
    let mean_p = s.p_alive.iter().sum::<f64>() / s.p_alive.len().max(1) as f64;
    let mut sorted = s.clvs.clone();
    sorted.sort_by(|a, b| b.total_cmp(a));
    let decile = sorted.iter().take(sorted.len().div_ceil(10)).sum::<f64>();
    let names = model.param_names();
    let params: Vec<String> = names
        .iter()
        .zip(&model.mle().params)
        .map(|(n, v)| format!("{n} = {v:.3}"))
        .collect();
    let section = Section {
        title: "Churn and value".into(),
        text: format!(
            "BG/NBD fitted by maximum likelihood on weekly customer summaries ({}; log-likelihood {:.1}); \
             Gamma-Gamma spend model on {} repeat buyers (p = {:.2}, q = {:.2}, v = {:.2}); CLV over 52 weeks \
             at about 10% a year; health score from relative recency, P(alive), open and SLA-breached tickets \
             and the latest NPS and CSAT answers.",
            params.join(", "),
            model.mle().report.log_likelihood,
            repeat_buyers,
            spend.params.p,
            spend.params.q,
            spend.params.gamma
        ),
        headlines: vec![
            (
                "customers modelled".into(),
                table.rows.len().separate_with_commas(),
            ),
            ("mean P(alive)".into(), format!("{mean_p:.3}")),
            (
                "expected CLV, 52 weeks".into(),
                format!("{} USD", (clv_total.round() as i64).separate_with_commas()),
            ),
            (
                "top 10% share of CLV".into(),
                f1(Some(100.0 * decile / clv_total.max(f64::MIN_POSITIVE))) + "%",
            ),
            (
                "high-risk customers".into(),
                s.bands
                    .get("high")
                    .copied()
                    .unwrap_or(0)
                    .separate_with_commas(),
            ),
        ]
        .into_iter()
        .chain(extra_headlines)
        .collect(),
        charts: vec![
            Chart {
                caption: "Distribution of P(alive) over customers (BG/NBD)".into(),
                svg: charts::histogram(
                    "P(alive)",
                    &s.p_alive,
                    (0.0, 1.0),
                    20,
                    "P(alive)",
                    "customers",
                )?,
            },
            matrix_chart,
            expected_chart,
            period_chart,
            band_chart(&s.bands)?,
        ]
        .into_iter()
        .chain(extra_charts)
        .collect(),
        tables: vec![Table {
            caption: "Main reason of customers at medium or high risk".into(),
            columns: vec!["factor".into(), "customers".into()],
            rows: s
                .reasons
                .iter()
                .map(|(k, v)| vec![k.to_string(), v.separate_with_commas()])
                .collect(),
        }],
        ..Section::default()
    };
    let mut fit = fit_json(model.name(), &names, model.mle(), table.rows.len() as u64);
    if let Some(m) = fit.as_object_mut() {
        m.insert("mean_p_alive".into(), json!(mean_p));
    }
    c.section(
        section,
        "churn",
        json!({
            "purchase_model": fit,
            "spend_model": fit_json("gamma-gamma", &["p", "q", "v"], &spend.mle, repeat_buyers),
            "clv_total_52_weeks": clv_total,
            "clv_top_decile_share": decile / clv_total.max(f64::MIN_POSITIVE),
            "risk_bands": s.bands,
            "main_risk_reasons": s.reasons,
            "period_transactions": period_summary,
            "holdout": holdout_summary,
            "p_alive_history": history_summary,
        }),
    );
    Ok(s.probabilities)
}
