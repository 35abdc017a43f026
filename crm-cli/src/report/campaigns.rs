//! The report's campaign and sales sections: each campaign's results against its holdout
//! (as `crm campaign results` computes them), and the sales funnel per owner with quota
//! attainment (as `crm sales --by owner` computes them).

use chrono::{DateTime, Utc};
use crm_engagement::CampaignConfig;
use crm_lifecycle::Quota;
use serde_json::json;
use thousands::Separable;

use crate::cli::SalesPeriodArg;
use crate::commands::campaign::{campaign_reports, result_rows};
use crate::commands::sales::{compute, sales_rows};
use crate::error::CliResult;
use crate::report::charts;
use crate::report::collector::Collector;
use crate::report::dataset::Dataset;
use crate::report::html::{Chart, Section, Table};

fn percent(x: Option<f64>) -> String {
    x.map_or_else(|| "–".into(), |x| format!("{:.1} %", 100.0 * x))
}

/// The campaigns section: per campaign, the rates of both groups with Wilson intervals,
/// the conversion and response uplift with its interval and p-value, revenue per customer
/// over 30 days after contact, incremental revenue and ROI.
pub fn section(data: &Dataset, c: &mut Collector) -> CliResult<()> {
    let config = CampaignConfig::default();
    let reports = campaign_reports(data, None, &config, &[])?;
    let rows = result_rows(&reports);
    let mut points = Vec::new();
    for (campaign, report) in &reports {
        let r = &report.overall;
        if let Some(u) = r.response_uplift {
            points.push((
                format!("{} response", campaign.id),
                100.0 * u.difference,
                100.0 * u.interval.lower,
                100.0 * u.interval.upper,
            ));
        }
        if let Some(u) = r.conversion_uplift {
            points.push((
                format!("{} conversion", campaign.id),
                100.0 * u.difference,
                100.0 * u.interval.lower,
                100.0 * u.interval.upper,
            ));
        }
    }
    let (lo, hi) = points
        .iter()
        .fold((0.0_f64, 0.0_f64), |(lo, hi), p| (lo.min(p.2), hi.max(p.3)));
    let pad = ((hi - lo) * 0.1).max(1.0);
    let mut charts_v = Vec::new();
    if !points.is_empty() {
        charts_v.push(Chart {
            caption: "Uplift (treatment minus holdout) of the response and conversion rates, in \
                      percentage points, with its 95 % interval; the line marks no effect"
                .into(),
            svg: charts::intervals(
                "Campaign uplift with 95 % intervals",
                &points,
                (lo - pad, hi + pad),
                0.0,
                "uplift (percentage points)",
            )?,
        });
    }
    let mut headlines = Vec::new();
    for r in &rows {
        headlines.push((
            format!("{} response uplift", r.campaign_id),
            format!(
                "{} (p = {})",
                percent(r.response_uplift),
                r.response_p_value
                    .map_or_else(|| "–".into(), |p| format!("{p:.3}"))
            ),
        ));
    }
    let table = Table {
        caption: "Results per campaign: treatment and holdout rates, uplift with its 95 % \
                  interval and two-sided p-value, revenue per customer in 30 days after contact"
            .into(),
        columns: [
            "campaign",
            "treatment",
            "holdout",
            "response T / H",
            "conversion T / H",
            "conversion uplift [95 % CI]",
            "p",
            "revenue per customer T / H",
            "incremental revenue",
            "ROI",
        ]
        .iter()
        .map(|s| s.to_string())
        .collect(),
        rows: rows
            .iter()
            .map(|r| {
                vec![
                    r.campaign_id.clone(),
                    r.treatment.separate_with_commas(),
                    r.holdout.separate_with_commas(),
                    format!(
                        "{} / {}",
                        percent(r.treatment_response),
                        percent(r.holdout_response)
                    ),
                    format!(
                        "{} / {}",
                        percent(r.treatment_conversion),
                        percent(r.holdout_conversion)
                    ),
                    format!(
                        "{} [{}, {}]",
                        percent(r.conversion_uplift),
                        percent(r.conversion_uplift_low),
                        percent(r.conversion_uplift_high)
                    ),
                    r.conversion_p_value
                        .map_or_else(|| "–".into(), |p| format!("{p:.3}")),
                    format!(
                        "{} / {} {}",
                        r.treatment_revenue_per_customer.as_deref().unwrap_or("–"),
                        r.holdout_revenue_per_customer.as_deref().unwrap_or("–"),
                        r.currency
                    ),
                    format!(
                        "{} {}",
                        r.incremental_revenue.as_deref().unwrap_or("–"),
                        r.currency
                    ),
                    r.roi.clone().unwrap_or_else(|| "–".into()),
                ]
            })
            .collect(),
    };
    let section = Section {
        title: "Campaigns".into(),
        text: "Each campaign's treatment group against its randomly held-out group: reach, \
               response and conversion rates with Wilson intervals, the uplift with a \
               two-proportion z-test, revenue per customer from the purchases in the 30 days \
               after contact with Welch's t-test, the incremental revenue and the return on the \
               campaign's cost. The same figures as `crm campaign results`."
            .into(),
        headlines,
        charts: charts_v,
        tables: vec![table],
        ..Section::default()
    };
    c.section(section, "campaigns", json!({ "campaigns": rows }));
    Ok(())
}

/// The sales section: per owner and quarter, the deals opened, won and lost, win rate,
/// average deal, cycle and velocity, and the activity; with `quotas`, their attainment.
pub fn sales(
    data: &Dataset,
    quotas: &[Quota],
    as_of: DateTime<Utc>,
    c: &mut Collector,
) -> CliResult<()> {
    let sales = compute(
        &data.deals,
        &data.interactions,
        quotas,
        true,
        SalesPeriodArg::Quarter,
        Some(as_of),
    )?;
    let rows = sales_rows(&sales, true);
    // The owners' totals over every quarter, for the chart.
    let mut owners: Vec<String> = rows.iter().map(|r| r.owner.clone()).collect();
    owners.sort();
    owners.dedup();
    let total = |owner: &str, f: fn(&crate::commands::sales::SalesRow) -> usize| -> f64 {
        rows.iter()
            .filter(|r| r.owner == owner)
            .map(f)
            .sum::<usize>() as f64
    };
    let opened: Vec<f64> = owners.iter().map(|o| total(o, |r| r.opened)).collect();
    let won: Vec<f64> = owners.iter().map(|o| total(o, |r| r.won)).collect();
    let lost: Vec<f64> = owners.iter().map(|o| total(o, |r| r.lost)).collect();
    let mut charts_v = vec![Chart {
        caption: "Deals opened, won and lost per owner over every quarter".into(),
        svg: charts::bars(
            "Deals per owner",
            &owners,
            &[("opened", &opened), ("won", &won), ("lost", &lost)],
            "deals",
        )?,
    }];
    let mut tables = vec![Table {
        caption: "Per owner and quarter (quarters with deals or activity)".into(),
        columns: [
            "owner",
            "quarter",
            "opened",
            "won",
            "lost",
            "win rate",
            "average deal",
            "cycle (days)",
            "velocity per day",
            "calls / meetings / e-mails",
        ]
        .iter()
        .map(|s| s.to_string())
        .collect(),
        rows: rows
            .iter()
            .filter(|r| r.opened + r.won + r.lost + r.calls + r.meetings + r.emails > 0)
            .map(|r| {
                vec![
                    r.owner.clone(),
                    format!("{} to {}", r.period_start, r.period_end),
                    r.opened.separate_with_commas(),
                    r.won.separate_with_commas(),
                    r.lost.separate_with_commas(),
                    percent(r.win_rate),
                    r.average_deal_size.clone().unwrap_or_else(|| "–".into()),
                    r.average_cycle_days.clone().unwrap_or_else(|| "–".into()),
                    r.velocity_per_day.clone().unwrap_or_else(|| "–".into()),
                    format!("{} / {} / {}", r.calls, r.meetings, r.emails),
                ]
            })
            .collect(),
    }];
    if !sales.quotas.is_empty() {
        let labels: Vec<String> = sales
            .quotas
            .iter()
            .map(|q| format!("{} {}", q.owner, q.period.start))
            .collect();
        let pct = |x: Option<rust_decimal::Decimal>| {
            x.and_then(|d| rust_decimal::prelude::ToPrimitive::to_f64(&d))
                .map_or(0.0, |v| 100.0 * v)
        };
        let attained: Vec<f64> = sales.quotas.iter().map(|q| pct(q.attainment)).collect();
        let forecast: Vec<f64> = sales
            .quotas
            .iter()
            .map(|q| pct(q.forecast_attainment))
            .collect();
        charts_v.push(Chart {
            caption: "Quota attainment to date and forecast (won plus weighted pipeline), in \
                      percent of the target"
                .into(),
            svg: charts::bars(
                "Quota attainment",
                &labels,
                &[("won to date", &attained), ("forecast", &forecast)],
                "% of target",
            )?,
        });
        tables.push(Table {
            caption: "Quotas".into(),
            columns: [
                "owner",
                "period",
                "target",
                "won to date",
                "attainment",
                "weighted pipeline",
                "coverage",
                "forecast",
            ]
            .iter()
            .map(|s| s.to_string())
            .collect(),
            rows: sales
                .quotas
                .iter()
                .map(|q| {
                    let ratio = |x: Option<rust_decimal::Decimal>| {
                        x.map_or_else(|| "–".into(), |d| format!("{:.1} %", pct(Some(d))))
                    };
                    vec![
                        q.owner.to_string(),
                        format!("{} to {}", q.period.start, q.period.end),
                        q.target.to_string(),
                        q.won_to_date.to_string(),
                        ratio(q.attainment),
                        q.weighted_pipeline.to_string(),
                        ratio(q.coverage),
                        q.forecast.to_string(),
                    ]
                })
                .collect(),
        });
    }
    let won_total: usize = rows.iter().map(|r| r.won).sum();
    let closed: usize = rows.iter().map(|r| r.won + r.lost).sum();
    let section = Section {
        title: "Sales".into(),
        text: "The deal funnel per owner and quarter: deals opened, won and lost, the win rate, \
               the average won deal, the sales cycle and the pipeline velocity, beside each \
               owner's calls, meetings and e-mails; with targets, the attainment to date, the \
               weighted pipeline's coverage of the rest and the forecast. The same figures as \
               `crm sales --by owner --period quarter`."
            .into(),
        headlines: vec![
            ("owners".into(), owners.len().separate_with_commas()),
            (
                "win rate".into(),
                percent((closed > 0).then(|| won_total as f64 / closed as f64)),
            ),
        ],
        charts: charts_v,
        tables,
        ..Section::default()
    };
    c.section(
        section,
        "sales",
        json!({ "rows": rows, "quotas": sales.quotas }),
    );
    Ok(())
}
