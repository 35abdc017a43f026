//! Sums of customer values that do not fit a decimal are refused with an error naming the
//! customer, never saturated into wrong totals and shares.

use chrono::{TimeZone, Utc};
use crm_segmentation::{
    AbcMethod, RfmConfig, SegmentationError, TierTable, assign_tiers, classify, lorenz, rfm,
};
use rust_decimal::Decimal;

/// 5e28: one fits a decimal (at most about 7.9e28), two do not add up in one.
fn huge() -> Decimal {
    Decimal::from_i128_with_scale(5 * 10_i128.pow(28), 0)
}

#[test]
fn abc_refuses_a_total_that_overflows() {
    // Saturated, these two gave revenue shares of 63.1 % each.
    for method in [AbcMethod::default(), AbcMethod::rank_share_default()] {
        let err = classify([("ann", huge()), ("bob", huge())], &method).unwrap_err();
        match &err {
            SegmentationError::SumOverflow { what, customer } => {
                assert_eq!(customer.as_deref(), Some("bob"), "{err}");
                assert!(what.contains("total"), "{err}");
            }
            other => panic!("expected SumOverflow, got {other:?}"),
        }
        assert!(err.to_string().contains("customer bob"), "{err}");
    }
    // A refund brings the total back into range: the positive total still overflows.
    let err = classify(
        [("ann", huge()), ("bob", huge()), ("cy", -huge())],
        &AbcMethod::default(),
    )
    .unwrap_err();
    assert!(
        matches!(err, SegmentationError::SumOverflow { .. }),
        "{err}"
    );
    // Near the limit but fitting: shares are exact.
    let half = Decimal::from_i128_with_scale(3 * 10_i128.pow(28), 0);
    let ok = classify([("ann", half), ("bob", half)], &AbcMethod::default()).unwrap();
    let shares: f64 = ok.summary.iter().filter_map(|s| s.value_share).sum();
    assert!((shares - 1.0).abs() < 1e-12);
}

#[test]
fn lorenz_refuses_a_total_that_overflows() {
    assert!(matches!(
        lorenz(&[huge(), huge()], 10),
        Err(SegmentationError::SumOverflow { customer: None, .. })
    ));
    let curve = lorenz(&[huge(), Decimal::ONE], 10).unwrap();
    assert_eq!(curve.points.last().unwrap().value_share, 1.0);
}

#[test]
fn segment_and_tier_summaries_refuse_a_total_that_overflows() {
    let t = |d| Utc.with_ymd_and_hms(2024, 1, d, 0, 0, 0).unwrap();
    let rows = vec![
        (1_u32, t(1), huge()),
        (2, t(2), huge()),
        (3, t(3), Decimal::ONE),
    ];
    // Each customer's revenue fits; only the sums over customers do not.
    let table = rfm(rows, &RfmConfig::default()).unwrap();
    let err = table.segment_summary().unwrap_err();
    assert!(
        matches!(&err, SegmentationError::SumOverflow { customer: Some(c), .. } if c == "2"),
        "{err:?}"
    );
    let err = assign_tiers(&table, &TierTable::default()).unwrap_err();
    assert!(
        matches!(err, SegmentationError::SumOverflow { .. }),
        "{err:?}"
    );
}
