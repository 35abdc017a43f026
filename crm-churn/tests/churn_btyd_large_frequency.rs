//! Frequencies far beyond any real history are refused with a typed error, and the largest
//! accepted one costs the likelihoods no more than any other distinct frequency.

use std::time::{Duration, Instant};

use crm_churn::{
    BgNbdParams, CustomerHistory, FitOptions, HistoryError, MAX_FREQUENCY, MbgNbdParams,
    ParetoNbdParams, WeightedHistories,
};
use statrs::function::beta::ln_beta;
use statrs::function::gamma::ln_gamma;

#[test]
fn absurd_frequencies_are_refused_with_a_typed_error() {
    for x in [100_000_000, u32::MAX, MAX_FREQUENCY + 1] {
        assert_eq!(
            CustomerHistory::new(x, 30.0, 38.0),
            Err(HistoryError::FrequencyTooLarge {
                row: 0,
                x,
                max: MAX_FREQUENCY
            })
        );
        // Built field by field, it is refused when the rows are compressed, naming the row.
        let rows = [
            CustomerHistory::new(2, 10.0, 38.0).unwrap(),
            CustomerHistory {
                x,
                t_x: 30.0,
                t: 38.0,
            },
        ];
        let err = WeightedHistories::from_histories(rows).unwrap_err();
        assert!(
            matches!(err, HistoryError::FrequencyTooLarge { row: 1, .. }),
            "{err:?}"
        );
        assert!(
            err.to_string().starts_with("row 1: frequency x = "),
            "{err}"
        );
    }
}

/// FHL (2005) eq. 6 with `ln Γ` and `ln B`, independent of the likelihood's running sums.
fn bg_direct(p: &BgNbdParams, h: &CustomerHistory) -> f64 {
    let BgNbdParams { r, alpha, a, b } = *p;
    let x = f64::from(h.x);
    let common = ln_gamma(r + x) - ln_gamma(r) + r * alpha.ln();
    let t1 = ln_beta(a, b + x) - ln_beta(a, b) + common - (r + x) * (alpha + h.t).ln();
    let t2 =
        ln_beta(a + 1.0, b + x - 1.0) - ln_beta(a, b) + common - (r + x) * (alpha + h.t_x).ln();
    let hi = t1.max(t2);
    hi + ((t1 - hi).exp() + (t2 - hi).exp()).ln()
}

#[test]
fn the_largest_frequency_is_exact_and_cheap() {
    let big = CustomerHistory::new(MAX_FREQUENCY, 37.0, 38.0).unwrap();
    let rows = [
        CustomerHistory::new(0, 0.0, 38.0).unwrap(),
        CustomerHistory::new(3, 20.0, 38.0).unwrap(),
        CustomerHistory::new(500, 30.0, 38.0).unwrap(),
        big,
    ];
    let data = WeightedHistories::from_histories(rows).unwrap();
    let bg = BgNbdParams::new(0.243, 4.414, 0.793, 2.426).unwrap();
    let one = WeightedHistories::from_histories([big]).unwrap();
    let expect = bg_direct(&bg, &big);
    let got = bg.log_likelihood(&one);
    assert!(
        (got - expect).abs() < 1e-10 * expect.abs(),
        "{got} vs {expect}"
    );

    // A thousand evaluations of each model: with per-x work proportional to the largest x
    // (a million terms per evaluation) this takes many seconds; by distinct x, milliseconds.
    let mbg = MbgNbdParams::new(0.243, 4.414, 0.793, 2.426).unwrap();
    let start = Instant::now();
    for _ in 0..1000 {
        assert!(bg.log_likelihood(&data).is_finite());
        assert!(mbg.log_likelihood(&data).is_finite());
    }
    assert!(
        start.elapsed() < Duration::from_secs(5),
        "took {:?}",
        start.elapsed()
    );
    // Pareto/NBD evaluates a hypergeometric series per (x, τ): only its per-x sums are timed.
    let pareto = ParetoNbdParams::new(0.55, 10.58, 0.61, 11.67).unwrap();
    let start = Instant::now();
    for _ in 0..200 {
        let _ = pareto.log_likelihood(&data);
    }
    assert!(
        start.elapsed() < Duration::from_secs(5),
        "took {:?}",
        start.elapsed()
    );
}

#[test]
fn a_fit_with_the_largest_frequency_finishes() {
    let mut rows: Vec<CustomerHistory> = (0..200)
        .map(|i| {
            let x = i % 7;
            let t = 30.0 + f64::from(i % 9);
            CustomerHistory::new(
                x,
                if x == 0 {
                    0.0
                } else {
                    t - f64::from(i % 5) - 1.0
                },
                t,
            )
            .unwrap()
        })
        .collect();
    rows.push(CustomerHistory::new(MAX_FREQUENCY, 37.0, 38.0).unwrap());
    let data = WeightedHistories::from_histories(rows).unwrap();
    let start = Instant::now();
    // Converged or not, the fit must end quickly with a result or a typed error.
    let _ = BgNbdParams::fit(&data, &FitOptions::default());
    assert!(
        start.elapsed() < Duration::from_secs(60),
        "took {:?}",
        start.elapsed()
    );
}
