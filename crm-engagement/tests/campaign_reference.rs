//! The campaign statistics against statsmodels: the fixture
//! `tests/data/campaign_reference.json` is written by `benches/compare/campaign_reference.py`
//! (`proportions_ztest`, `confint_proportions_2indep`, `proportion_confint`,
//! `ttest_ind(usevar="unequal")`, `tconfint_diff`, `NormalIndPower.solve_power`).

use crm_core::{CampaignGroup, Currency};
use crm_engagement::{
    CampaignTally, ConfidenceLevel, DetectableEffect, MemberOutcome, Proportion, RateUplift,
    sample_size_per_group,
};
use rust_decimal::Decimal;
use serde::Deserialize;

#[derive(Deserialize)]
struct Fixture {
    statsmodels: String,
    level: f64,
    rates: Vec<RateCase>,
    revenue: Vec<RevenueCase>,
    sample_sizes: Vec<SizeCase>,
}

#[derive(Deserialize)]
struct RateCase {
    treatment: (u64, u64),
    holdout: (u64, u64),
    z: f64,
    p_value: f64,
    difference_interval: (f64, f64),
    treatment_wilson: (f64, f64),
    holdout_wilson: (f64, f64),
}

#[derive(Deserialize)]
struct RevenueCase {
    treatment: Vec<String>,
    holdout: Vec<String>,
    difference: f64,
    t: f64,
    p_value: f64,
    df: f64,
    difference_interval: (f64, f64),
}

#[derive(Deserialize)]
struct SizeCase {
    kind: String,
    first: f64,
    second: f64,
    alpha: f64,
    power: f64,
    effect_size: f64,
    n: f64,
    n_two_sided: f64,
}

fn fixture() -> Fixture {
    let text = include_str!("data/campaign_reference.json");
    serde_json::from_str(text).expect("the reference fixture parses")
}

/// `|actual − expected| ≤ tol · max(|expected|, tiny)`, with the case named on failure.
#[track_caller]
fn close(actual: f64, expected: f64, tol: f64, what: &str) {
    let scale = expected.abs().max(1e-12);
    assert!(
        (actual - expected).abs() <= tol * scale,
        "{what}: {actual} against statsmodels' {expected} (relative {:e})",
        (actual - expected).abs() / scale
    );
}

#[test]
fn rates_match_statsmodels() {
    let f = fixture();
    assert!(f.rates.len() >= 6, "statsmodels {}", f.statsmodels);
    let level = ConfidenceLevel::new(f.level).unwrap();
    for case in &f.rates {
        let name = format!("{:?} vs {:?}", case.treatment, case.holdout);
        let u = RateUplift::new(case.treatment, case.holdout, level).unwrap();
        close(u.z, case.z, 1e-9, &format!("z of {name}"));
        close(u.p_value, case.p_value, 1e-9, &format!("p of {name}"));
        close(
            u.interval.lower,
            case.difference_interval.0,
            1e-9,
            &format!("lower of {name}"),
        );
        close(
            u.interval.upper,
            case.difference_interval.1,
            1e-9,
            &format!("upper of {name}"),
        );
        for (group, (low, high)) in [
            (case.treatment, case.treatment_wilson),
            (case.holdout, case.holdout_wilson),
        ] {
            let p = Proportion::new(group.0, group.1, level).unwrap();
            close(
                p.wilson.lower,
                low,
                1e-9,
                &format!("Wilson lower of {group:?}"),
            );
            close(
                p.wilson.upper,
                high,
                1e-9,
                &format!("Wilson upper of {group:?}"),
            );
        }
    }
}

/// The revenue cases go through the campaign tallies (exact revenue, Welford moments)
/// and the results, as a campaign's revenue per customer would.
#[test]
fn revenue_uplift_matches_statsmodels() {
    let f = fixture();
    let level = ConfidenceLevel::new(f.level).unwrap();
    for (i, case) in f.revenue.iter().enumerate() {
        let mut tally = CampaignTally::new("REF".parse().unwrap(), Currency::EUR);
        for (group, values) in [
            (CampaignGroup::Treatment, &case.treatment),
            (CampaignGroup::Holdout, &case.holdout),
        ] {
            for v in values {
                let revenue: Decimal = v.parse().unwrap();
                let outcome = MemberOutcome {
                    converted: revenue > Decimal::ZERO,
                    revenue,
                    ..Default::default()
                };
                tally.record(group, &outcome).unwrap();
            }
        }
        let u = tally.results(None, level).unwrap().revenue_uplift.unwrap();
        close(
            u.difference,
            case.difference,
            1e-9,
            &format!("difference of case {i}"),
        );
        close(u.t, case.t, 1e-9, &format!("t of case {i}"));
        close(u.df, case.df, 1e-9, &format!("df of case {i}"));
        close(u.p_value, case.p_value, 1e-9, &format!("p of case {i}"));
        close(
            u.interval.lower,
            case.difference_interval.0,
            1e-9,
            &format!("lower of case {i}"),
        );
        close(
            u.interval.upper,
            case.difference_interval.1,
            1e-9,
            &format!("upper of case {i}"),
        );
    }
}

#[test]
fn sample_sizes_match_statsmodels() {
    let f = fixture();
    for case in &f.sample_sizes {
        let effect = match case.kind.as_str() {
            "rates" => DetectableEffect::Rates {
                holdout: case.first,
                treatment: case.second,
            },
            _ => DetectableEffect::Means {
                difference: case.first,
                std_dev: case.second,
            },
        };
        let s = sample_size_per_group(effect, case.alpha, case.power).unwrap();
        let name = format!("{effect:?}");
        close(s.effect_size, case.effect_size, 1e-9, &name);
        // statsmodels solves the power equation by root search
        close(s.exact, case.n, 1e-6, &name);
        assert_eq!(s.per_group, case.n_two_sided.ceil() as u64, "{name}");
    }
}
