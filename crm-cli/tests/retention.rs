//! `crm retention fit --subscriptions`: cohorts from subscription records, the joint sBG
//! fit and the test of same parameters; and the fit diagnostics of `crm churn score
//! --holdout-end`.

mod common;

use std::path::Path;

use common::{arg, close, crm, fails, fixture_arg, json, stderr, stdout, with_output};

fn write(dir: &Path, name: &str, text: &str) -> String {
    let path = dir.join(name);
    std::fs::write(&path, text).unwrap();
    arg(&path)
}

/// Subscriptions whose monthly survivors are known by hand, as of 2024-04-10:
/// January cohort 5, 4, 4, 3; March cohort 2, 1; April cohort 1 (no renewal observed).
const SMALL: &str = "customer_id,start,end
a,2024-01-02,
b,2024-01-15,2024-01-30
c,2024-01-20T10:00:00Z,2024-03-03
d,2024-01-31,2024-04-05
e,2024-01-31,2024-06-01
f,2024-03-01,2024-03-02
g,2024-03-09,
h,2024-04-10,
";

#[test]
fn hand_computed_cohorts_in_json_and_output_file() {
    let dir = tempfile::tempdir().unwrap();
    let f = write(dir.path(), "subs.csv", SMALL);
    let v = json(&[
        "retention",
        "fit",
        "--subscriptions",
        &f,
        "--as-of",
        "2024-04-10",
        "--json",
    ]);
    assert_eq!(v["model"], "sbg");
    assert_eq!(v["period"], "month");
    assert_eq!(v["subscriptions"], 8);
    assert_eq!(v["without_renewal_observed"], 1);
    let cohorts = v["cohorts"].as_array().unwrap();
    assert_eq!(cohorts.len(), 2);
    assert_eq!(cohorts[0]["start"], "2024-01-01");
    assert_eq!(cohorts[0]["survivors"], serde_json::json!([5, 4, 4, 3]));
    assert_eq!(cohorts[1]["survivors"], serde_json::json!([2, 1]));
    assert_eq!(v["n_customers"], 7);
    // The pooled observed survival: (4 + 1) / (5 + 2), then 4/4, then 3/4.
    let projection = v["projection"].as_array().unwrap();
    let s1 = projection[1]["observed_survival"].as_f64().unwrap();
    assert!(close(s1, 5.0 / 7.0, 1e-12));
    let s3 = projection[3]["observed_survival"].as_f64().unwrap();
    assert!(close(s3, 5.0 / 7.0 * 0.75, 1e-12));
    assert!(v.get("same_parameters").is_none());

    let (_, text) = with_output(
        &[
            "retention",
            "fit",
            "--subscriptions",
            &f,
            "--as-of",
            "2024-04-10",
        ],
        "cohorts.csv",
    );
    let mut lines = text.lines();
    assert_eq!(
        lines.next().unwrap(),
        "cohort,period,survivors,expected,fitted_alone"
    );
    assert!(lines.next().unwrap().starts_with("2024-01-01,0,5,5"));
    assert_eq!(text.lines().count(), 1 + 4 + 2);
}

/// Two segments of Fader & Hardie (2007), written out as records: "regular" customers
/// acquired in January 2020, "high end" in February 2020, survivors as in the paper, ending
/// on the 15th of the month they leave in, observed as of 2020-12-31.
fn paper_records() -> String {
    let mut text = String::from("customer_id,start,end\n");
    let segments: [(u32, &[u64]); 2] = [
        (1, &[1000, 631, 468, 382, 326, 289, 262, 241]),
        (2, &[1000, 869, 743, 653, 593, 551, 517, 491]),
    ];
    let mut id = 0;
    for (month, survivors) in segments {
        for t in 0..survivors.len() {
            let leaving = if t + 1 < survivors.len() {
                survivors[t] - survivors[t + 1]
            } else {
                survivors[t]
            };
            for _ in 0..leaving {
                id += 1;
                let end = if t + 1 < survivors.len() {
                    format!("2020-{:02}-15", month as usize + t)
                } else {
                    String::new()
                };
                text.push_str(&format!("c{id},2020-{month:02}-03,{end}\n"));
            }
        }
    }
    text
}

#[test]
fn by_cohort_fits_each_and_tests_same_parameters() {
    let dir = tempfile::tempdir().unwrap();
    let f = write(dir.path(), "paper.csv", &paper_records());
    // As of 2020-08-31 the January cohort shows periods 0..=7 and the February cohort
    // 0..=6: the paper's tables, the second censored one period early.
    let v = json(&[
        "retention",
        "fit",
        "--subscriptions",
        &f,
        "--as-of",
        "2020-08-31",
        "--by-cohort",
        "--json",
    ]);
    let cohorts = v["cohorts"].as_array().unwrap();
    assert_eq!(
        cohorts[0]["survivors"],
        serde_json::json!([1000, 631, 468, 382, 326, 289, 262, 241])
    );
    assert_eq!(
        cohorts[1]["survivors"],
        serde_json::json!([1000, 869, 743, 653, 593, 551, 517])
    );
    // The regular cohort alone: the paper's alpha = 0.704, beta = 1.182.
    let alone = &cohorts[0]["fit"]["params"];
    assert!(close(alone["alpha"].as_f64().unwrap(), 0.704, 5e-4), "{v}");
    assert!(close(alone["beta"].as_f64().unwrap(), 1.182, 5e-4), "{v}");
    let test = &v["same_parameters"];
    assert_eq!(test["df"], 2);
    assert!(test["statistic"].as_f64().unwrap() > 50.0, "{v}");
    assert!(test["p_value"].as_f64().unwrap() < 1e-10, "{v}");
    // Text output names the test.
    let o = crm(&[
        "retention",
        "fit",
        "--subscriptions",
        &f,
        "--as-of",
        "2020-08-31",
        "--by-cohort",
    ]);
    assert!(o.status.success(), "{}", stderr(&o));
    let text = stdout(&o);
    assert!(
        text.starts_with("sBG on 2 cohorts by month as of 2020-08-31"),
        "{text}"
    );
    assert!(text.contains("likelihood ratio"), "{text}");
    // By quarter, both start in the first quarter: one cohort, and the test needs two.
    fails(
        &[
            "retention",
            "fit",
            "--subscriptions",
            &f,
            "--period",
            "quarter",
            "--by-cohort",
        ],
        1,
        "at least two cohorts",
    );
}

#[test]
fn bad_subscription_files_name_file_line_and_field() {
    let dir = tempfile::tempdir().unwrap();
    let cases = [
        ("header.csv", "id,begin,end\na,2024-01-01,\n", "expected", 3),
        (
            "date.csv",
            "customer_id,start,end\na,2024-01-01,\nb,2024-13-01,\n",
            "line 3, column 2 (start)",
            3,
        ),
        (
            "end.csv",
            "customer_id,start,end\na,2024-01-01,yesterday\n",
            "line 2, column 3 (end)",
            3,
        ),
        (
            "order.csv",
            "customer_id,start,end\na,2024-02-01,2024-01-01\n",
            "line 2, column 3 (end): expected an end on or after the start",
            3,
        ),
        (
            "id.csv",
            "customer_id,start,end\n,2024-02-01,\n",
            "line 2, column 1 (customer_id)",
            3,
        ),
        (
            "empty.csv",
            "customer_id,start,end\n",
            "at least one data row",
            3,
        ),
    ];
    for (name, text, message, code) in cases {
        let f = write(dir.path(), name, text);
        let e = fails(&["retention", "fit", "--subscriptions", &f], code, message);
        assert!(e.contains(name), "{e}");
    }
    // Nobody has a renewal period observed yet: an analysis failure, not a panic.
    let f = write(
        dir.path(),
        "recent.csv",
        "customer_id,start\na,2024-01-01\nb,2024-01-09\n",
    );
    fails(&["retention", "fit", "--subscriptions", &f], 1, "no cohort");
    // --survivors and --subscriptions exclude each other.
    let o = crm(&[
        "retention",
        "fit",
        "--survivors",
        "10,5",
        "--subscriptions",
        &f,
    ]);
    assert_eq!(o.status.code(), Some(2));
    // The options of subscription records are refused with survivor counts.
    fails(
        &["retention", "fit", "--survivors", "10,5,3", "--by-cohort"],
        2,
        "--subscriptions",
    );
    fails(
        &[
            "retention",
            "fit",
            "--survivors",
            "10,5,3",
            "--as-of",
            "2024-01-01",
        ],
        2,
        "--subscriptions",
    );
}

#[test]
fn churn_score_with_a_holdout_reports_diagnostics() {
    let f = fixture_arg("CDNOW_sample.txt");
    let base = [
        "churn",
        "score",
        "--transactions",
        &f,
        "--format",
        "cdnow",
        "--calibration-end",
        "1997-09-30",
        "--holdout-end",
        "1998-06-30",
        "--time-unit",
        "day",
    ];
    for model in ["bgnbd", "mbgnbd", "pareto-nbd"] {
        let mut args = base.to_vec();
        args.extend(["--model", model, "--json"]);
        let v = json(&args);
        let d = &v["diagnostics"];
        let bins = d["calibration_holdout"].as_array().unwrap();
        let n: u64 = bins.iter().map(|b| b["n"].as_u64().unwrap()).sum();
        assert_eq!(n, 2357, "{model}");
        assert_eq!(bins[0]["frequency"], 0);
        assert_eq!(bins.last().unwrap()["open_ended"], true);
        let period = d["period_transactions"].as_array().unwrap();
        assert_eq!(period.len(), 8, "0..=6 and 7 or more");
        let actual: u64 = period.iter().map(|b| b["actual"].as_u64().unwrap()).sum();
        let expected: f64 = period.iter().map(|b| b["expected"].as_f64().unwrap()).sum();
        assert_eq!(actual, 2357);
        assert!(close(expected, 2357.0, 1e-6), "{model}: {expected}");
        // The CDNOW sample's 1,411 customers without repeat purchases.
        assert_eq!(period[0]["actual"], 1411);
        let chi = &d["chi_square"];
        assert!(chi["df"].as_u64().unwrap() >= 1, "{d}");
        assert!(chi["p_value"].as_f64().unwrap() >= 0.0);
    }
    // Bins are configurable; text output shows the tables.
    let mut args = base.to_vec();
    args.extend(["--diagnostic-bins", "3"]);
    let o = crm(&args);
    assert!(o.status.success(), "{}", stderr(&o));
    let text = stdout(&o);
    assert!(text.contains("calibration against holdout"), "{text}");
    assert!(text.contains("chi-square goodness of fit"), "{text}");
    assert!(text.contains("    3+"), "{text}");
}
