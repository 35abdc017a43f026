//! The Gamma-Gamma spend model: published CDNOW estimates, parameter recovery and Monte Carlo
//! agreement of the conditional expected spend.

use crm_lifecycle::churn::gamma_gamma::{
    GammaGammaError, GammaGammaParams, SpendObservation, simulate_spend,
};
use rand::SeedableRng;
use rand::rngs::StdRng;

/// Conditional expected spend against the true mean spend of simulated customers, within
/// bins of observed mean spend: E[p/ν | x, z̄] averaged over a bin must equal the bin's
/// average true p/ν up to Monte Carlo error.
#[test]
fn conditional_expected_spend_agrees_with_simulation() {
    let params = GammaGammaParams::new(6.25, 3.74, 15.44).unwrap();
    let mut rng = StdRng::seed_from_u64(20_050_101);
    for x in [1u32, 3, 8] {
        let n = 100_000;
        let (obs, truth) = simulate_spend(&params, &vec![x; n], &mut rng).unwrap();
        let mut rows: Vec<(f64, f64, f64)> = obs
            .iter()
            .zip(&truth)
            .map(|(o, &t)| {
                let predicted = params
                    .conditional_expected_average_spend(o.frequency, o.mean_spend)
                    .unwrap();
                (o.mean_spend, predicted, t)
            })
            .collect();
        rows.sort_by(|a, b| a.0.total_cmp(&b.0));
        for bin in rows.chunks(n / 10) {
            let m = bin.len() as f64;
            let diffs: Vec<f64> = bin.iter().map(|r| r.2 - r.1).collect();
            let mean = diffs.iter().sum::<f64>() / m;
            let var = diffs.iter().map(|d| (d - mean).powi(2)).sum::<f64>() / (m - 1.0);
            let se = (var / m).sqrt();
            assert!(
                mean.abs() < 4.0 * se,
                "x = {x}: bias {mean} with standard error {se}"
            );
        }
        // Averaged over everyone, the prediction recovers the population mean p γ / (q - 1).
        let avg = rows.iter().map(|r| r.1).sum::<f64>() / n as f64;
        let pop = params.population_mean_spend().unwrap();
        assert!((avg / pop - 1.0).abs() < 0.01, "{avg} vs {pop}");
    }
}

#[test]
fn non_positive_spend_is_a_typed_error() {
    let params = GammaGammaParams::new(6.25, 3.74, 15.44).unwrap();
    let obs = [
        SpendObservation {
            frequency: 2,
            mean_spend: 10.0,
        },
        SpendObservation {
            frequency: 1,
            mean_spend: 0.0,
        },
    ];
    assert_eq!(
        params.log_likelihood(&obs),
        Err(GammaGammaError::NonPositiveSpend { row: 1, value: 0.0 })
    );
}
