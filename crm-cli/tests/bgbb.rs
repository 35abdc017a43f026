//! `crm churn fit|score --model bgbb`: the published BG/BB estimates from the donations
//! summary, the same fit from the donors' transactions counted by year, and refused input.

mod common;

use std::fmt::Write as _;

use common::{arg, crm, fixture_arg, json, stderr, stdout};

/// The donations summary: (frequency, recency, periods, donors).
fn donations() -> Vec<(u32, u32, u32, u32)> {
    let text = std::fs::read_to_string(common::fixture("donations/donations.csv")).unwrap();
    text.lines()
        .skip(1)
        .map(|l| {
            let v: Vec<u32> = l.split(',').map(|f| f.trim().parse().unwrap()).collect();
            (v[0], v[1], v[2], v[3])
        })
        .collect()
}

fn close(a: f64, b: f64, rel: f64) -> bool {
    (a - b).abs() <= rel * b.abs()
}

#[test]
fn the_published_donations_estimates_are_reproduced() {
    let v = json(&[
        "churn",
        "fit",
        "--model",
        "bgbb",
        "--summary",
        &fixture_arg("donations/donations.csv"),
        "--json",
    ]);
    // Fader, Hardie & Shang (2010): alpha 1.204, beta 0.750, gamma 0.657, delta 2.783.
    for (name, published) in [
        ("alpha", 1.204),
        ("beta", 0.750),
        ("gamma", 0.657),
        ("delta", 2.783),
    ] {
        let got = v["params"][name].as_f64().unwrap();
        assert!(
            (got - published).abs() < 0.0005 * published.max(1.0) * 2.0,
            "{name}: {got}"
        );
    }
    assert_eq!(v["n_customers"], 11_104);
    assert!(close(
        v["log_likelihood"].as_f64().unwrap(),
        -33_225.6,
        1e-5
    ));
}

#[test]
fn the_donors_transactions_counted_by_year_fit_the_same_model() {
    // Every donor gives first in 1995; a donor with frequency x and recency t gives in the
    // years 1995 + 1 ..= 1995 + x - 1 and in 1995 + t (twice in that year, once refunded,
    // which must not count twice or at all), so the yearly summary is the published one.
    let mut csv = String::from("customer_id,timestamp,amount\n");
    let mut donor = 0;
    for (x, t, n, count) in donations() {
        assert_eq!(n, 6);
        for _ in 0..count {
            donor += 1;
            writeln!(csv, "d{donor},1995-06-01,25").unwrap();
            for year in 1..x {
                writeln!(csv, "d{donor},{}-03-15,10", 1995 + year).unwrap();
            }
            if x > 0 {
                writeln!(csv, "d{donor},{}-11-30,10", 1995 + t).unwrap();
                writeln!(csv, "d{donor},{}-12-01,-10", 1995 + t).unwrap();
            }
        }
    }
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("gifts.csv");
    std::fs::write(&path, csv).unwrap();
    let from_file = json(&[
        "churn",
        "fit",
        "--model",
        "bgbb",
        "--summary",
        &fixture_arg("donations/donations.csv"),
        "--json",
    ]);
    let from_tx = json(&[
        "churn",
        "fit",
        "--model",
        "bgbb",
        "--transactions",
        &arg(&path),
        "--period",
        "year",
        "--calibration-end",
        "2001-12-31",
        "--json",
    ]);
    for name in ["alpha", "beta", "gamma", "delta"] {
        let (a, b) = (
            from_tx["params"][name].as_f64().unwrap(),
            from_file["params"][name].as_f64().unwrap(),
        );
        assert!(close(a, b, 1e-6), "{name}: {a} vs {b}");
    }
    assert_eq!(from_tx["n_customers"], 11_104);

    // Scores per donor: P(alive) falls with the years since the last gift.
    let scores = dir.path().join("scores.csv");
    let o = crm(&[
        "churn",
        "score",
        "--model",
        "bgbb",
        "--transactions",
        &arg(&path),
        "--period",
        "year",
        "--calibration-end",
        "2001-12-31",
        "--horizon",
        "5",
        "--output",
        &arg(&scores),
    ]);
    assert!(o.status.success(), "{}", stderr(&o));
    assert!(stdout(&o).contains("11,104 customers"), "{}", stdout(&o));
    let text = std::fs::read_to_string(&scores).unwrap();
    let p_alive = |x: &str, t: &str| -> f64 {
        text.lines()
            .map(|l| l.split(',').collect::<Vec<_>>())
            .find(|f| f[1] == x && f[2] == t && f[3] == "6")
            .map(|f| f[5].parse().unwrap())
            .unwrap()
    };
    assert!(p_alive("3", "6") > p_alive("3", "4"));
    assert!(p_alive("3", "4") > p_alive("3", "3"));
}

#[test]
fn bad_summaries_and_options_are_refused() {
    let dir = tempfile::tempdir().unwrap();
    let bad = dir.path().join("bad.csv");
    std::fs::write(
        &bad,
        "frequency,recency,periods,weights\n1,1,6,10\n3,2,6,5\n",
    )
    .unwrap();
    let o = crm(&["churn", "fit", "--model", "bgbb", "--summary", &arg(&bad)]);
    assert_eq!(o.status.code(), Some(3), "{}", stderr(&o));
    assert!(
        stderr(&o).contains("bad.csv, line 3, column 1"),
        "{}",
        stderr(&o)
    );

    let tx = fixture_arg("transactions.csv");
    let donations = fixture_arg("donations/donations.csv");
    for args in [
        vec!["churn", "fit", "--model", "bgbb", "--transactions", &tx],
        vec![
            "churn",
            "score",
            "--model",
            "bgbb",
            "--summary",
            &donations,
            "--horizon",
            "2.5",
        ],
        vec![
            "churn",
            "fit",
            "--model",
            "bgbb",
            "--summary",
            &donations,
            "--period",
            "year",
        ],
        vec!["churn", "fit", "--summary", &donations, "--period", "year"],
    ] {
        let o = crm(&args);
        assert_eq!(o.status.code(), Some(2), "{args:?}: {}", stderr(&o));
        assert!(!stderr(&o).contains("panicked"));
    }
}
