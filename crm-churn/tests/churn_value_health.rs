//! Properties of the explainable churn health score.

use crm_churn::{HealthConfig, HealthInputs, HealthWeights, health_score};
use proptest::prelude::*;

fn inputs() -> impl Strategy<Value = HealthInputs> {
    (
        (
            proptest::option::of(0.0..500.0f64),
            proptest::option::of(0.1..100.0f64),
            proptest::option::of(0u32..50),
            proptest::option::of(0u32..50),
            proptest::option::of(0.0..=1.0f64),
        ),
        (
            0u32..20,
            0u32..20,
            any::<bool>(),
            any::<bool>(),
            proptest::option::of(0u32..50),
            proptest::option::of(0u32..50),
        ),
    )
        .prop_map(
            |((since, gap, pr, pp, p_alive), (open, sla, det, csat, ir, ip))| HealthInputs {
                periods_since_last_purchase: since,
                typical_purchase_gap: gap,
                purchases_recent: pr,
                purchases_previous: pp,
                p_alive,
                open_tickets: open,
                sla_breached_tickets: sla,
                recent_detractor: det,
                recent_low_csat: csat,
                interactions_recent: ir,
                interactions_previous: ip,
            },
        )
}

fn config() -> impl Strategy<Value = HealthConfig> {
    proptest::collection::vec(0.0..10.0f64, 8).prop_map(|w| HealthConfig {
        weights: HealthWeights {
            recency: w[0],
            frequency_trend: w[1],
            p_alive: w[2],
            open_tickets: w[3],
            sla_breaches: w[4],
            detractor: w[5],
            low_csat: w[6],
            // Keep one always-available factor weighted so a score exists.
            interaction_decline: w[7],
        },
        ..HealthConfig::default()
    })
}

/// Worsens one risk signal of `base` (index `which`), keeping the same factors available.
fn worsen(base: &HealthInputs, which: usize, amount: u32) -> HealthInputs {
    let mut w = *base;
    let a = f64::from(amount);
    match which {
        0 => w.periods_since_last_purchase = w.periods_since_last_purchase.map(|v| v + a),
        1 => w.purchases_recent = w.purchases_recent.map(|v| v.saturating_sub(amount)),
        2 => w.p_alive = w.p_alive.map(|p| (p - a / 100.0).max(0.0)),
        3 => w.open_tickets += amount,
        4 => w.sla_breached_tickets += amount,
        5 => w.recent_detractor = true,
        6 => w.recent_low_csat = true,
        _ => w.interactions_recent = w.interactions_recent.map(|v| v.saturating_sub(amount)),
    }
    w
}

proptest! {
    #[test]
    fn score_in_range_and_contributions_sum(inputs in inputs(), config in config()) {
        if let Ok(s) = health_score(&inputs, &config) {
            prop_assert!((0.0..=100.0).contains(&s.score), "score {}", s.score);
            let total: f64 = s.contributions.iter().map(|c| c.points).sum();
            prop_assert!((total - s.score).abs() < 1e-9);
            let max_total: f64 = s.contributions.iter().map(|c| c.max_points).sum();
            prop_assert!((max_total - 100.0).abs() < 1e-9);
            for c in &s.contributions {
                prop_assert!((0.0..=1.0).contains(&c.risk));
                prop_assert!(c.points >= 0.0 && c.points <= c.max_points + 1e-12);
            }
            prop_assert_eq!(s.band, config.bands.band(s.score));
        }
    }

    #[test]
    fn default_config_always_scores(inputs in inputs()) {
        // Ticket, detractor and CSAT factors are always available with positive weight.
        prop_assert!(health_score(&inputs, &HealthConfig::default()).is_ok());
    }

    #[test]
    fn monotone_in_each_risk_factor(
        inputs in inputs(), config in config(), which in 0usize..8, amount in 0u32..30
    ) {
        let worse = worsen(&inputs, which, amount);
        if let (Ok(a), Ok(b)) = (health_score(&inputs, &config), health_score(&worse, &config)) {
            prop_assert!(b.score >= a.score - 1e-9, "factor {which}: {} -> {}", a.score, b.score);
            prop_assert!(b.contributions[which].points >= a.contributions[which].points - 1e-12);
        }
    }

    #[test]
    fn never_panics_on_arbitrary_floats(
        since in any::<f64>(), gap in any::<f64>(), p in any::<f64>()
    ) {
        let inputs = HealthInputs {
            periods_since_last_purchase: Some(since),
            typical_purchase_gap: Some(gap),
            p_alive: Some(p),
            ..HealthInputs::default()
        };
        if let Ok(s) = health_score(&inputs, &HealthConfig::default()) {
            prop_assert!(s.score.is_finite());
        }
    }
}
