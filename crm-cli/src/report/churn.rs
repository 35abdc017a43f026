//! Report section: the BG/NBD model fitted to the customer base, P(alive), the
//! frequency/recency matrix, Gamma-Gamma spend, CLV and the explainable health score (all
//! from `crm_churn`).

use std::collections::{BTreeMap, HashMap};
use thousands::Separable;

use chrono::{DateTime, Utc};
use crm_churn::{ClvConfig, CustomerHistory, GammaGammaParams};
use crm_churn::{HealthConfig, health_score};
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
            &|v| format!("{:.0}", 100.0 * v),
        )?,
    })
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

/// Fits the models and adds the section.
pub fn section(
    rows: &[TransactionRow],
    end: DateTime<Utc>,
    service: &HashMap<String, ServiceFacts>,
    c: &mut Collector,
) -> CliResult<ChurnProbabilities> {
    let table = summaries_from_transactions(rows, Some(end), None, TimeUnitArg::Week)?;
    let model = PurchaseModel::fit(ChurnModelKind::Bgnbd, &table)?;
    let (spend, repeat_buyers) = table_gamma_gamma(&table)?;
    let s = score_customers(&table, &model, &spend.params, service)?;
    let matrix_chart = alive_matrix_chart(&table, &model)?;
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
        ],
        charts: vec![
            Chart {
                caption: "Distribution of P(alive) over customers (BG/NBD)".into(),
                svg: charts::histogram("P(alive)", &s.p_alive, 0.0, 1.0, 20, "P(alive)")?,
            },
            matrix_chart,
            band_chart(&s.bands)?,
        ],
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
        }),
    );
    Ok(s.probabilities)
}
