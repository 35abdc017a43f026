//! `crm retention fit --subscriptions FILE`: survivor tables of start cohorts built from
//! subscription records (censored at `--as-of`), the sBG model fitted to all cohorts
//! jointly, and with `--by-cohort` each cohort alone and the likelihood-ratio test of
//! "same parameters".
//!
//! The subscriptions file is `customer_id,start[,end]`: a subscription per row, dates as
//! `YYYY-MM-DD` or RFC 3339, an empty `end` for one still active.

use std::path::Path;

use chrono::{DateTime, Utc};
use serde::Serialize;
use serde_json::json;

use crm_churn::{
    CohortSurvival, FitOptions, RetentionPeriod, Subscription, SubscriptionCohorts, fit_sbg_joint,
    same_parameters_test,
};

use crate::cli::{RetentionFitArgs, RetentionPeriodArg};
use crate::commands::churn::{check_warnings, fit_json};
use crate::error::{CliError, CliResult, InputError};
use crate::input::{
    CsvInput, TIMESTAMP_EXPECTED, header_is, parse_cli_date, parse_timestamp, require_customer_id,
    require_rows, wrong_header,
};
use crate::output::{finite, outln, print_json, write_table};

/// The header of a subscriptions file.
pub const HEADER: &str = "customer_id,start[,end]";

/// Columns of `crm retention fit --subscriptions --output`.
const COLUMNS: [&str; 5] = ["cohort", "period", "survivors", "expected", "fitted_alone"];

/// Reads a subscriptions file; every value is checked with its line and column. Returns
/// the subscriptions and the latest date in the file.
pub fn read(path: &Path) -> CliResult<(Vec<Subscription>, DateTime<Utc>)> {
    let mut input = CsvInput::open(path, HEADER)?;
    let header = input.header()?;
    let ok = (2..=3).contains(&header.len())
        && header_is(&header[0], &["customer_id", "customer"])
        && header_is(&header[1], &["start"])
        && (header.len() == 2 || header_is(&header[2], &["end"]));
    if !ok {
        return Err(wrong_header(path, &header, HEADER));
    }
    let mut rows = Vec::new();
    let mut latest: Option<DateTime<Utc>> = None;
    let mut record = csv::StringRecord::new();
    while let Some(line) = input.next(&mut record)? {
        require_customer_id(path, line, 1, &record[0])?;
        let date = |col: usize| -> CliResult<DateTime<Utc>> {
            parse_timestamp(&record[col]).ok_or_else(|| {
                InputError::field(
                    path,
                    line,
                    col + 1,
                    &header[col],
                    TIMESTAMP_EXPECTED,
                    &record[col],
                )
                .into()
            })
        };
        let start = date(1)?;
        let end = match record.get(2) {
            Some(text) if !text.trim().is_empty() => Some(date(2)?),
            _ => None,
        };
        let subscription = Subscription::new(start, end).map_err(|e| {
            InputError::field(
                path,
                line,
                3,
                &header[2],
                format!("an end on or after the start ({e})"),
                &record[2],
            )
        })?;
        latest = latest.max(Some(end.unwrap_or(start).max(start)));
        rows.push(subscription);
    }
    require_rows(path, &rows, HEADER)?;
    let latest = latest.ok_or_else(|| CliError::Usage("no subscriptions".into()))?;
    Ok((rows, latest))
}

fn period_of(arg: RetentionPeriodArg) -> RetentionPeriod {
    match arg {
        RetentionPeriodArg::Week => RetentionPeriod::Week,
        RetentionPeriodArg::Month => RetentionPeriod::Month,
        RetentionPeriodArg::Quarter => RetentionPeriod::Quarter,
        RetentionPeriodArg::Year => RetentionPeriod::Year,
    }
}

/// One period of one cohort in `--output`.
#[derive(Debug, Clone, Serialize)]
struct CohortRow {
    /// First day of the cohort's start period.
    cohort: String,
    /// Periods since the cohort's start period.
    period: usize,
    /// Subscriptions active at the start of the period.
    survivors: u64,
    /// Expected under the joint fit.
    expected: Option<f64>,
    /// Expected under the cohort's own fit (with `--by-cohort`).
    fitted_alone: Option<f64>,
}

/// The projection of the joint fit with the pooled observed survival.
#[derive(Debug, Clone, Serialize)]
struct ProjectionRow {
    period: u32,
    /// Product of the pooled retention rates of the cohorts that observed each period.
    observed_survival: Option<f64>,
    survival: f64,
    retention_rate: Option<f64>,
}

/// `crm retention fit --subscriptions FILE`.
pub fn fit(args: &RetentionFitArgs, path: &Path) -> CliResult<()> {
    let (subscriptions, latest) = read(path)?;
    let as_of = match &args.as_of {
        Some(text) => parse_cli_date("as-of", text)?,
        None => latest,
    };
    let mut builder = SubscriptionCohorts::new(period_of(args.period), as_of);
    for s in &subscriptions {
        builder
            .add(s)
            .map_err(|e| CliError::analysis("subscription cohorts", e))?;
    }
    // Cohorts without an observed renewal (started in the period of as_of) carry no
    // information about churn yet.
    let tables: Vec<_> = builder
        .tables()
        .into_iter()
        .filter(|t| t.survivors.len() > 1)
        .collect();
    let pending: u64 = builder
        .tables()
        .iter()
        .filter(|t| t.survivors.len() == 1)
        .map(|t| t.survivors[0])
        .sum();
    if tables.is_empty() {
        return Err(CliError::analysis(
            "sBG fit",
            format!(
                "no cohort of {} has a renewal {} observed by {}",
                path.display(),
                args.period_name(),
                as_of.format("%Y-%m-%d")
            ),
        ));
    }
    let cohorts: Vec<CohortSurvival> = tables
        .iter()
        .map(|t| t.survival())
        .collect::<Result<_, _>>()
        .map_err(|e| CliError::analysis("subscription cohorts", e))?;
    let options = FitOptions::default();
    let (joint, test) = if args.by_cohort {
        let test = same_parameters_test(&cohorts, &options)
            .map_err(|e| CliError::analysis("sBG fit by cohort", e))?;
        (test.joint.clone(), Some(test))
    } else {
        let joint =
            fit_sbg_joint(&cohorts, &options).map_err(|e| CliError::analysis("sBG fit", e))?;
        (joint, None)
    };
    check_warnings("sBG fit", &joint.mle, args.strict, args.out.json)?;
    let size: u64 = cohorts.iter().map(|c| c.survivors()[0]).sum();
    let longest = cohorts
        .iter()
        .map(CohortSurvival::periods)
        .max()
        .unwrap_or(0);
    let periods = args.periods.max(u32::try_from(longest).unwrap_or(u32::MAX));
    let survival = joint.params.survival_curve(periods);
    let pooled = pooled_survival(&cohorts);
    let projection: Vec<ProjectionRow> = (0..=periods)
        .map(|t| ProjectionRow {
            period: t,
            observed_survival: pooled.get(t as usize).copied(),
            survival: survival[t as usize],
            retention_rate: (t > 0).then(|| joint.params.retention_rate(t)),
        })
        .collect();
    let alone = |i: usize| test.as_ref().map(|t| &t.separate[i]);
    if let Some(out) = &args.out.output {
        let mut rows = Vec::new();
        for (i, (table, cohort)) in tables.iter().zip(&cohorts).enumerate() {
            let n = cohort.survivors()[0];
            let expected = joint.params.expected_survivors(n, cohort.periods() as u32);
            let own = alone(i).map(|f| f.params.expected_survivors(n, cohort.periods() as u32));
            for (t, &s) in cohort.survivors().iter().enumerate() {
                rows.push(CohortRow {
                    cohort: table.start.to_string(),
                    period: t,
                    survivors: s,
                    expected: finite(expected[t]),
                    fitted_alone: own.as_ref().and_then(|o| finite(o[t])),
                });
            }
        }
        write_table(out, &rows, &COLUMNS)?;
    }
    let cohort_json: Vec<_> = tables
        .iter()
        .enumerate()
        .map(|(i, t)| {
            let mut v = json!({ "start": t.start.to_string(), "survivors": t.survivors });
            if let (Some(fit), Some(m)) = (alone(i), v.as_object_mut()) {
                m.insert(
                    "fit".into(),
                    fit_json("sbg", &["alpha", "beta"], &fit.mle, t.survivors[0]),
                );
            }
            v
        })
        .collect();
    if args.out.json {
        let mut v = fit_json("sbg", &["alpha", "beta"], &joint.mle, size);
        if let Some(m) = v.as_object_mut() {
            m.insert("period".into(), json!(args.period_name()));
            m.insert("as_of".into(), json!(as_of));
            m.insert("subscriptions".into(), json!(subscriptions.len()));
            m.insert("not_started".into(), json!(builder.not_started()));
            m.insert("without_renewal_observed".into(), json!(pending));
            m.insert("cohorts".into(), json!(cohort_json));
            m.insert("projection".into(), json!(projection));
            if let Some(t) = &test {
                m.insert("same_parameters".into(), test_json(t));
            }
        }
        return print_json(&v);
    }
    outln!(
        "sBG on {} cohorts by {} as of {} ({} subscriptions): alpha = {:.4}, beta = {:.4}, log-likelihood {:.4}{}",
        cohorts.len(),
        args.period_name(),
        as_of.format("%Y-%m-%d"),
        size,
        joint.params.alpha,
        joint.params.beta,
        joint.mle.report.log_likelihood,
        if joint.mle.report.converged {
            ""
        } else {
            " (not converged)"
        }
    )?;
    if let Some(t) = &test {
        outln!(
            "{:>10} {:>8} {:>8} {:>10} {:>10}",
            "cohort",
            "size",
            "periods",
            "alpha",
            "beta"
        )?;
        for (table, fit) in tables.iter().zip(&t.separate) {
            outln!(
                "{:>10} {:>8} {:>8} {:>10.4} {:>10.4}",
                table.start.to_string(),
                table.survivors[0],
                table.survivors.len() - 1,
                fit.params.alpha,
                fit.params.beta
            )?;
        }
        outln!(
            "same alpha and beta in every cohort: likelihood ratio {:.4}, df {}, p = {:.4}",
            t.statistic,
            t.df,
            t.p_value
        )?;
    }
    outln!(
        "{:>6} {:>10} {:>10} {:>10}",
        "period",
        "observed",
        "survival",
        "retention"
    )?;
    for r in &projection {
        outln!(
            "{:>6} {:>10} {:>10.4} {:>10}",
            r.period,
            r.observed_survival
                .map(|o| format!("{o:.4}"))
                .unwrap_or_default(),
            r.survival,
            r.retention_rate
                .map(|x| format!("{x:.4}"))
                .unwrap_or_default()
        )?;
    }
    Ok(())
}

fn test_json(t: &crm_churn::SameParametersTest) -> serde_json::Value {
    json!({
        "statistic": finite(t.statistic),
        "df": t.df,
        "p_value": finite(t.p_value),
    })
}

/// The pooled survival of several censored cohorts: the product over periods of the
/// survivors of all cohorts that observed the period over their survivors a period
/// before (the cohorts' actuarial estimate).
fn pooled_survival(cohorts: &[CohortSurvival]) -> Vec<f64> {
    let longest = cohorts
        .iter()
        .map(CohortSurvival::periods)
        .max()
        .unwrap_or(0);
    let mut out = vec![1.0];
    let mut s = 1.0;
    for t in 1..=longest {
        let (mut now, mut before) = (0u64, 0u64);
        for c in cohorts.iter().filter(|c| c.periods() >= t) {
            now += c.survivors()[t];
            before += c.survivors()[t - 1];
        }
        if before == 0 {
            break;
        }
        s *= now as f64 / before as f64;
        out.push(s);
    }
    out
}

impl RetentionFitArgs {
    /// The period's name in output.
    fn period_name(&self) -> &'static str {
        match self.period {
            RetentionPeriodArg::Week => "week",
            RetentionPeriodArg::Month => "month",
            RetentionPeriodArg::Quarter => "quarter",
            RetentionPeriodArg::Year => "year",
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn pooled_survival_uses_the_cohorts_that_observed_each_period() {
        let a = CohortSurvival::new(vec![10, 5, 4]).unwrap();
        let b = CohortSurvival::new(vec![10, 8]).unwrap();
        let s = pooled_survival(&[a, b]);
        assert_eq!(s.len(), 3);
        assert!((s[1] - 13.0 / 20.0).abs() < 1e-12);
        assert!((s[2] - 13.0 / 20.0 * 4.0 / 5.0).abs() < 1e-12);
    }
}
