//! BG/NBD, MBG/NBD and Pareto/NBD on the CDNOW 1/10th sample (2,357 customers, weeks),
//! against the published estimates and, where nothing is published, against the Python
//! `lifetimes` 0.11.3 library on the same file.

use chrono::{NaiveDate, TimeZone, Utc};
use crm_churn::BgNbdParams;
use crm_churn::FitOptions;
use crm_churn::MbgNbdParams;
use crm_churn::ParetoNbdParams;
use crm_churn::{CustomerHistory, SummaryOptions, TimeUnit, WeightedHistories, summarize};
use rust_decimal::Decimal;

const FIXTURES: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/../testdata");

fn cdnow_rows() -> Vec<(u32, CustomerHistory)> {
    let mut rdr =
        csv::Reader::from_path(format!("{FIXTURES}/cdnow_customers_summary.csv")).unwrap();
    rdr.records()
        .map(|r| {
            let r = r.unwrap();
            let h = CustomerHistory::new(
                r[1].parse().unwrap(),
                r[2].parse().unwrap(),
                r[3].parse().unwrap(),
            )
            .unwrap();
            (r[0].parse().unwrap(), h)
        })
        .collect()
}

fn cdnow() -> WeightedHistories {
    WeightedHistories::from_histories(cdnow_rows().into_iter().map(|(_, h)| h)).unwrap()
}

fn round(v: f64, digits: i32) -> f64 {
    let f = 10f64.powi(digits);
    (v * f).round() / f
}

/// Fader, Hardie & Lee (2005): r = 0.243, α = 4.414, a = 0.793, b = 2.426, LL = −9582.4.
#[test]
fn bgnbd_reproduces_published_cdnow_estimates() {
    let data = cdnow();
    assert_eq!(data.total_weight(), 2357.0);
    let fit = BgNbdParams::fit(&data, &FitOptions::default()).unwrap();
    let p = fit.params;
    assert_eq!(round(p.r, 3), 0.243);
    assert_eq!(round(p.alpha, 3), 4.414);
    assert_eq!(round(p.a, 3), 0.793);
    assert_eq!(round(p.b, 3), 2.426);
    assert_eq!(round(fit.mle.report.log_likelihood, 1), -9582.4);
    assert!(fit.mle.report.converged);
    assert!((p.log_likelihood(&data) - fit.mle.report.log_likelihood).abs() < 1e-9);
    // Standard errors exist and are small relative to the estimates.
    let se = fit.mle.std_errors.unwrap();
    for (v, s) in [p.r, p.alpha, p.a, p.b].iter().zip(&se) {
        assert!(*s > 0.0 && s < v, "{v} ± {s}");
    }
    // Predictions for customer 1 (x = 2, t_x = 30.43, T = 38.86) as given by lifetimes 0.11.3
    // at its own estimates (which agree with ours to 1e-4).
    let h = CustomerHistory::new(2, 30.43, 38.86).unwrap();
    assert!((p.p_alive(&h) - 0.726_609).abs() < 2e-4);
    assert!((p.expected_purchases(&h, 39.0).unwrap() - 1.225_910).abs() < 5e-4);
    assert!((p.expected_purchases_new_customer(39.0).unwrap() - 1.195_016).abs() < 5e-4);
}

/// Pareto/NBD on CDNOW, published by Fader & Hardie (and reproduced by `lifetimes`):
/// r = 0.553, α = 10.578, s = 0.606, β = 11.669 (lifetimes: 11.666).
#[test]
fn pareto_nbd_reproduces_cdnow_estimates() {
    let data = cdnow();
    let fit = ParetoNbdParams::fit(&data, &FitOptions::default()).unwrap();
    let p = fit.params;
    assert_eq!(round(p.r, 2), 0.55);
    assert_eq!(round(p.alpha, 2), 10.58);
    assert_eq!(round(p.s, 2), 0.61);
    assert_eq!(round(p.beta, 1), 11.7);
    assert_eq!(round(fit.mle.report.log_likelihood, 1), -9595.0);
    let h = CustomerHistory::new(2, 30.43, 38.86).unwrap();
    assert!((p.p_alive(&h).unwrap() - 0.869_121).abs() < 1e-3);
    assert!((p.expected_purchases(&h, 39.0).unwrap() - 1.455_127).abs() < 2e-3);
    assert!((p.expected_purchases_new_customer(39.0).unwrap() - 1.213_397).abs() < 2e-3);
}

/// MBG/NBD on CDNOW against `lifetimes` 0.11.3 (`ModifiedBetaGeoFitter`):
/// r = 0.5248, α = 6.1830, a = 0.8914, b = 1.6140.
#[test]
fn mbgnbd_agrees_with_lifetimes_on_cdnow() {
    let data = cdnow();
    let fit = MbgNbdParams::fit(&data, &FitOptions::default()).unwrap();
    let p = fit.params;
    assert!((p.r - 0.5248).abs() < 2e-3, "{p:?}");
    assert!((p.alpha - 6.1830).abs() < 2e-2, "{p:?}");
    assert!((p.a - 0.8914).abs() < 2e-3, "{p:?}");
    assert!((p.b - 1.6140).abs() < 5e-3, "{p:?}");
    let h = CustomerHistory::new(2, 30.43, 38.86).unwrap();
    assert!((p.p_alive(&h) - 0.706_126).abs() < 1e-3);
    assert!((p.expected_purchases(&h, 39.0).unwrap() - 1.262_671).abs() < 2e-3);
    assert!((p.expected_purchases_new_customer(39.0).unwrap() - 1.182_284).abs() < 2e-3);
}

/// The summary built from the raw CDNOW sample transactions (same-day purchases merged,
/// calibration to 1997-09-30, times in weeks) equals the published summary file.
#[test]
fn summary_from_transactions_matches_published_summary() {
    let text = std::fs::read_to_string(format!("{FIXTURES}/CDNOW_sample.txt")).unwrap();
    let tx: Vec<(u32, chrono::DateTime<Utc>, Decimal)> = text
        .lines()
        .map(|l| {
            let f: Vec<&str> = l.split_whitespace().collect();
            let day = NaiveDate::parse_from_str(f[2], "%Y%m%d").unwrap();
            let time = Utc.from_utc_datetime(&day.and_hms_opt(12, 0, 0).unwrap());
            (f[1].parse().unwrap(), time, f[4].parse().unwrap())
        })
        .collect();
    let end = Utc.with_ymd_and_hms(1997, 9, 30, 23, 59, 59).unwrap();
    let s = summarize(tx, &SummaryOptions::new(end).with_unit(TimeUnit::Week)).unwrap();
    assert_eq!(s.excluded_after_calibration, 0);
    let expected = cdnow_rows();
    assert_eq!(s.customers.len(), expected.len());
    let mut ours: Vec<_> = s
        .customers
        .iter()
        .map(|c| (c.customer, c.history))
        .collect();
    ours.sort_by_key(|(k, _)| *k);
    for ((id, h), (eid, e)) in ours.iter().zip(&expected) {
        assert_eq!(id, eid);
        assert_eq!(h.x, e.x, "customer {id}");
        assert!(
            (h.t_x - e.t_x).abs() < 0.006,
            "customer {id}: {} vs {}",
            h.t_x,
            e.t_x
        );
        assert!(
            (h.t - e.t).abs() < 0.006,
            "customer {id}: {} vs {}",
            h.t,
            e.t
        );
    }
    // Holdout to 1998-06-30: the holdout counts add up to the distinct (customer, day)
    // pairs after the calibration end, counted directly from the file.
    let obs = Utc.with_ymd_and_hms(1998, 6, 30, 23, 59, 59).unwrap();
    let tx2 = text.lines().map(|l| {
        let f: Vec<&str> = l.split_whitespace().collect();
        let day = NaiveDate::parse_from_str(f[2], "%Y%m%d").unwrap();
        let time = Utc.from_utc_datetime(&day.and_hms_opt(12, 0, 0).unwrap());
        (f[1].to_string(), time, Decimal::ONE)
    });
    let s = summarize(
        tx2,
        &SummaryOptions::new(end)
            .with_unit(TimeUnit::Week)
            .with_holdout(obs),
    )
    .unwrap();
    let direct: std::collections::HashSet<(&str, &str)> = text
        .lines()
        .map(|l| {
            let f: Vec<&str> = l.split_whitespace().collect();
            (f[1], f[2])
        })
        .filter(|(_, d)| *d > "19970930")
        .collect();
    let total: u32 = s
        .customers
        .iter()
        .map(|c| c.holdout_frequency.unwrap())
        .sum();
    assert_eq!(total as usize, direct.len());
    assert_eq!(s.holdout_duration, Some(273.0 / 7.0));
}
