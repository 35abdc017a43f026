//! `crm retention fit`, `crm clv` and `crm churn` against published results.

mod common;

use std::process::Output;

use common::{close, crm, fails, fixture_arg, json, json_of, stderr, with_output};
use serde_json::Value;

/// The CDNOW sample's summaries (weeks, 39-week calibration period).
const SUMMARY: &str = "cdnow_customers_summary.csv";

/// The same with the mean repeat spend.
const SUMMARY_WITH_SPEND: &str = "cdnow_customers_summary_with_transactions.csv";

/// `crm churn fit --model MODEL --summary` on the CDNOW summaries, as JSON.
fn fit_summary(model: &str) -> Value {
    json(&[
        "churn",
        "fit",
        "--model",
        model,
        "--summary",
        &fixture_arg(SUMMARY),
        "--json",
    ])
}

/// `crm churn fit` on the CDNOW sample's transactions, calibration period to 1997-09-30,
/// with further arguments.
fn fit_cdnow(more: &[&str]) -> Output {
    let f = fixture_arg("CDNOW_sample.txt");
    let mut args = vec![
        "churn",
        "fit",
        "--transactions",
        &f,
        "--format",
        "cdnow",
        "--calibration-end",
        "1997-09-30",
    ];
    args.extend_from_slice(more);
    crm(&args)
}

/// A parameter of a fit.
fn param(v: &Value, name: &str) -> f64 {
    v["params"][name].as_f64().unwrap()
}

#[test]
fn sbg_reproduces_fader_hardie_2007() {
    // "How to project customer retention" (2007), the "regular" cohort: alpha = 0.704,
    // beta = 1.182, log-likelihood -1680.27.
    let v = json(&[
        "retention",
        "fit",
        "--survivors",
        "1000,631,468,382,326,289,262,241",
        "--json",
    ]);
    assert_eq!(v["model"], "sbg");
    assert!(close(param(&v, "alpha"), 0.704, 5e-4), "{v}");
    assert!(close(param(&v, "beta"), 1.182, 5e-4), "{v}");
    assert!(
        close(v["log_likelihood"].as_f64().unwrap(), -1680.27, 5e-3),
        "{v}"
    );
    assert_eq!(v["n_customers"], 1000);
    assert_eq!(v["converged"], true);
    let projection = v["projection"].as_array().unwrap();
    assert_eq!(projection.len(), 13, "periods 0..=12 by default");
    assert_eq!(projection[0]["survival"], 1.0);
    // r(t) = (beta + t - 1) / (alpha + beta + t - 1) rises with t.
    let r1 = projection[1]["retention_rate"].as_f64().unwrap();
    let r2 = projection[2]["retention_rate"].as_f64().unwrap();
    assert!(r2 > r1);
}

#[test]
fn retention_table_and_bad_survivors() {
    let (stdout, text) = with_output(
        &[
            "retention",
            "fit",
            "--survivors",
            "1000,631,468,382",
            "--periods",
            "5",
        ],
        "sbg.csv",
    );
    assert!(stdout.starts_with("sBG: alpha = "));
    assert_eq!(
        text.lines().next().unwrap(),
        "period,observed,expected,survival,retention_rate"
    );
    assert_eq!(text.lines().count(), 7);
    // Increasing survivors are a usage error.
    fails(
        &["retention", "fit", "--survivors", "1000,1200"],
        2,
        "--survivors: survivors increase",
    );
}

#[test]
fn bgnbd_reproduces_fader_hardie_lee_2005() {
    // Published on the CDNOW sample (weeks): r = 0.243, alpha = 4.414, a = 0.793,
    // b = 2.426, log-likelihood -9582.4.
    let v = fit_summary("bgnbd");
    assert_eq!(v["model"], "bgnbd");
    assert_eq!(v["n_customers"], 2357);
    assert_eq!(v["converged"], true);
    for (name, published) in [("r", 0.243), ("alpha", 4.414), ("a", 0.793), ("b", 2.426)] {
        let got = param(&v, name);
        assert!(
            close(got, published, 5e-4),
            "{name} = {got}, published {published}"
        );
    }
    assert!(close(v["log_likelihood"].as_f64().unwrap(), -9582.4, 0.05));
}

#[test]
fn pareto_and_mbg_name_their_parameters() {
    let v = fit_summary("pareto-nbd");
    assert_eq!(v["model"], "pareto-nbd");
    let keys: Vec<&String> = v["params"].as_object().unwrap().keys().collect();
    assert_eq!(keys, ["alpha", "beta", "r", "s"]);
    let v = fit_summary("mbgnbd");
    let keys: Vec<&String> = v["params"].as_object().unwrap().keys().collect();
    assert_eq!(keys, ["a", "alpha", "b", "r"]);
    // A nested model: the MBG/NBD likelihood is at least as high as BG/NBD's on the same data.
    assert!(v["log_likelihood"].as_f64().unwrap() > -9582.5);
}

#[test]
fn churn_fit_from_transactions_matches_the_summary_file() {
    // The CDNOW sample's transactions summarised with the 39-week calibration period give
    // the published summary, hence the same estimates.
    let o = fit_cdnow(&["--time-unit", "week", "--json"]);
    assert!(o.status.success(), "{}", stderr(&o));
    let v = json_of(&o);
    assert_eq!(v["n_customers"], 2357);
    assert!(close(param(&v, "r"), 0.243, 5e-4), "{v}");
    assert!(close(param(&v, "alpha"), 4.414, 5e-4), "{v}");
}

#[test]
fn churn_score_table() {
    let (_, text) = with_output(
        &[
            "churn",
            "score",
            "--summary",
            &fixture_arg(SUMMARY),
            "--json",
        ],
        "score.csv",
    );
    let mut lines = text.lines();
    assert_eq!(
        lines.next().unwrap(),
        "customer_id,p_alive,expected_purchases,health_score,risk_band"
    );
    let rows: Vec<Vec<&str>> = lines.map(|l| l.split(',').collect()).collect();
    assert_eq!(rows.len(), 2357);
    for r in &rows {
        let p: f64 = r[1].parse().unwrap();
        let e: f64 = r[2].parse().unwrap();
        let h: f64 = r[3].parse().unwrap();
        assert!((0.0..=1.0).contains(&p) && e >= 0.0 && (0.0..=100.0).contains(&h));
        assert!(["low", "medium", "high"].contains(&r[4]));
    }
    // Customer 3 (x = 0, T = 38.86) never came back: under BG/NBD a customer with no repeat
    // purchase is alive with probability 1.
    assert_eq!(rows[2][0], "3");
    assert_eq!(rows[2][1], "1.0");
}

#[test]
fn gamma_gamma_reproduces_fader_hardie_lee_2005() {
    // "RFM and CLV" (2005) on the CDNOW sample's 946 repeat buyers: p = 6.25, q = 3.74,
    // gamma = 15.44.
    let with_spend = fixture_arg(SUMMARY_WITH_SPEND);
    let v = json(&["clv", "fit", "--summary", &with_spend, "--json"]);
    assert_eq!(v["model"], "gamma-gamma");
    assert_eq!(v["n_customers"], 946);
    for (name, published) in [("p", 6.25), ("q", 3.74), ("v", 15.44)] {
        let got = param(&v, name);
        assert!(
            close(got, published, 0.01),
            "{name} = {got}, published {published}"
        );
    }
    let (_, text) = with_output(
        &["clv", "score", "--summary", &with_spend, "--horizon", "52"],
        "clv.json",
    );
    let rows: Value = serde_json::from_str(&text).unwrap();
    assert_eq!(rows.as_array().unwrap().len(), 2357);
    for r in rows.as_array().unwrap() {
        let clv = r["clv"].as_f64().unwrap();
        let product = r["expected_purchases"].as_f64().unwrap()
            * r["expected_average_spend"].as_f64().unwrap();
        assert!(close(clv, product, 1e-9 * clv.abs().max(1.0)));
    }
    // Without spend the Gamma-Gamma model cannot be fitted: a usage error.
    let o = crm(&["clv", "fit", "--summary", &fixture_arg(SUMMARY)]);
    assert_eq!(o.status.code(), Some(2));
}

#[test]
fn churn_fit_in_days_with_a_holdout_period() {
    // In days, BG/NBD's r, a and b are unchanged and alpha is 7 times the weekly one
    // (4.414 per week -> 30.9 per day).
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("summary.csv");
    let o = fit_cdnow(&[
        "--holdout-end",
        "1998-06-30",
        "--time-unit",
        "day",
        "--output",
        out.to_str().unwrap(),
        "--json",
    ]);
    assert!(o.status.success(), "{}", stderr(&o));
    let v = json_of(&o);
    assert_eq!(v["n_customers"], 2357);
    assert_eq!(v["calibration_end"], "1997-09-30T00:00:00Z");
    assert!(close(param(&v, "alpha"), 7.0 * 4.4135, 0.01), "{v}");
    assert!(close(param(&v, "r"), 0.243, 5e-4), "{v}");
    let text = std::fs::read_to_string(&out).unwrap();
    let mut lines = text.lines();
    assert_eq!(
        lines.next().unwrap(),
        "customer_id,frequency,recency,T,monetary_value,holdout_frequency"
    );
    // Customer 00004 bought on 1997-01-01, 01-18 and 08-02 (29.73 and 14.96 repeat), and
    // once more on 1997-12-12, in the holdout period: x = 2, t_x = 213 days, T = 272 days,
    // mean repeat spend 22.345, one holdout purchase.
    assert_eq!(lines.next().unwrap(), "00004,2,213.0,272.0,22.345,1");
    assert_eq!(lines.count(), 2356);
    // A holdout end before the calibration end is refused.
    let o = fit_cdnow(&["--holdout-end", "1997-01-01"]);
    assert_eq!(o.status.code(), Some(1));
    assert!(
        stderr(&o).contains("before calibration end"),
        "{}",
        stderr(&o)
    );
}

#[test]
fn horizons_and_rates_are_checked_before_running() {
    for args in [
        &["churn", "score", "--horizon", "-5"][..],
        &["clv", "score", "--horizon", "1e12"],
        &["clv", "score", "--discount-rate", "-0.1"],
    ] {
        let mut a = args.to_vec();
        let f = fixture_arg(SUMMARY_WITH_SPEND);
        a.extend(["--summary", &f]);
        fails(&a, 2, "expected");
    }
    let o = crm(&[
        "retention",
        "fit",
        "--survivors",
        "1000,631,468",
        "--periods",
        "20000",
    ]);
    assert_eq!(o.status.code(), Some(2));
}
