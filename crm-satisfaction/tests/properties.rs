//! Algebraic laws and invariants of the aggregators, checked with proptest.

use chrono::{DateTime, TimeZone, Utc};
use crm_satisfaction::{
    Aggregator, Breakdown, Ces, CesScale, ConfidenceLevel, Csat, CsatScale, Dedup, DriverCounts,
    Nps, StatsConfig, TimeBucket, Timeline, aggregate_batch, nps_by_group,
};
use proptest::prelude::*;

fn nps_scores() -> impl Strategy<Value = Vec<u8>> {
    prop::collection::vec(0u8..=10, 0..300)
}

fn config() -> impl Strategy<Value = StatsConfig> {
    (0.5f64..0.999, 0u64..60).prop_map(|(l, m)| StatsConfig {
        level: ConfidenceLevel::new(l).unwrap(),
        min_sample_size: m,
    })
}

fn fold<A: Aggregator>(template: &A, scores: &[u8]) -> A {
    let mut a = template.empty_like();
    for &s in scores {
        a.add(s).unwrap();
    }
    a
}

/// Monoid laws and the partition law for one aggregator and three score lists.
fn check_laws<A: Aggregator>(template: &A, a: &[u8], b: &[u8], c: &[u8]) {
    let (x, y, z) = (fold(template, a), fold(template, b), fold(template, c));
    let merged = |p: &A, q: &A| {
        let mut r = p.clone();
        r.merge(q).unwrap();
        r
    };
    // Identity.
    assert_eq!(merged(&x, &template.empty_like()), x);
    assert_eq!(merged(&template.empty_like(), &x), x);
    // Commutativity and associativity.
    assert_eq!(merged(&x, &y), merged(&y, &x));
    assert_eq!(merged(&merged(&x, &y), &z), merged(&x, &merged(&y, &z)));
    // Any partition merges to the aggregate of the whole list.
    let whole: Vec<u8> = a.iter().chain(b).chain(c).copied().collect();
    assert_eq!(merged(&merged(&z, &x), &y), fold(template, &whole));
}

fn csat_scale() -> impl Strategy<Value = CsatScale> {
    (0u8..5, 1u8..=10)
        .prop_flat_map(|(min, span)| (Just(min), Just(min + span), (min + 1)..=(min + span)))
        .prop_map(|(min, max, from)| CsatScale::new(min, max, from).unwrap())
}

fn at(day: u32) -> DateTime<Utc> {
    Utc.with_ymd_and_hms(2024, 1, 1, 0, 0, 0).unwrap() + chrono::Duration::hours(i64::from(day))
}

proptest! {
    #[test]
    fn nps_is_a_commutative_monoid(a in nps_scores(), b in nps_scores(), c in nps_scores()) {
        check_laws(&Nps::new(), &a, &b, &c);
    }

    #[test]
    fn csat_is_a_commutative_monoid(
        scale in csat_scale(),
        raw in prop::collection::vec((any::<u8>(), 0usize..3), 0..300),
    ) {
        let span = scale.max() - scale.min() + 1;
        let mut parts = [Vec::new(), Vec::new(), Vec::new()];
        for (s, part) in raw {
            parts[part].push(scale.min() + s % span);
        }
        check_laws(&Csat::new(scale), &parts[0], &parts[1], &parts[2]);
    }

    #[test]
    fn ces_is_a_commutative_monoid(
        easy in 2u8..=7,
        a in prop::collection::vec(1u8..=7, 0..200),
        b in prop::collection::vec(1u8..=7, 0..200),
        c in prop::collection::vec(1u8..=7, 0..200),
    ) {
        check_laws(&Ces::new(CesScale::new(easy).unwrap()), &a, &b, &c);
    }

    #[test]
    fn column_kernels_equal_one_by_one_adds_and_never_panic(
        scores in prop::collection::vec(any::<u8>(), 0..5000),
        scale in csat_scale(),
    ) {
        let all_valid = scores.iter().all(|&s| s <= 10);
        match Nps::from_scores(&scores) {
            Ok(n) => prop_assert_eq!(n, fold(&Nps::new(), &scores)),
            Err(_) => prop_assert!(!all_valid),
        }
        prop_assert_eq!(Nps::from_scores_parallel(&scores, 3), Nps::from_scores(&scores));
        let in_scale = scores.iter().all(|&s| s >= scale.min() && s <= scale.max());
        match Csat::from_scores(scale, &scores) {
            Ok(c) => prop_assert_eq!(c, fold(&Csat::new(scale), &scores)),
            Err(_) => prop_assert!(!in_scale),
        }
        let ces_ok = scores.iter().all(|&s| (1..=7).contains(&s));
        match Ces::from_scores(CesScale::default(), &scores) {
            Ok(c) => prop_assert_eq!(c, fold(&Ces::default(), &scores)),
            Err(_) => prop_assert!(!ces_ok),
        }
    }

    #[test]
    fn valid_columns_of_any_length_count_exactly(
        scores in prop::collection::vec(0u8..=10, 0..40_000),
    ) {
        prop_assert_eq!(Nps::from_scores(&scores).unwrap(), fold(&Nps::new(), &scores));
        let ces: Vec<u8> = scores.iter().map(|s| s % 7 + 1).collect();
        prop_assert_eq!(Ces::from_scores(CesScale::default(), &ces).unwrap(), fold(&Ces::default(), &ces));
    }

    #[test]
    fn nps_statistics_are_in_range(
        det in 0u64..500, pas in 0u64..500, pro in 0u64..500, cfg in config(),
    ) {
        let nps = Nps::from_counts(det, pas, pro);
        let r = nps.report(&cfg);
        prop_assert_eq!(r.small_sample, det + pas + pro < cfg.min_sample_size);
        match r.estimate {
            None => prop_assert_eq!(det + pas + pro, 0),
            Some(e) => {
                prop_assert!((-100.0..=100.0).contains(&e.score));
                let shares = e.promoter_share.share + e.passive_share.share + e.detractor_share.share;
                prop_assert!((shares - 1.0).abs() < 1e-12);
                prop_assert!(e.wald.contains(e.score));
                prop_assert!(e.adjusted_wald.contains(e.adjusted_score));
                prop_assert!(e.wald.lower >= -100.0 && e.wald.upper <= 100.0);
                prop_assert!(e.adjusted_wald.lower >= -100.0 && e.adjusted_wald.upper <= 100.0);
                for p in [e.promoter_share, e.passive_share, e.detractor_share] {
                    prop_assert!(p.wald.contains(p.share));
                    prop_assert!(p.wilson.contains(p.share));
                    prop_assert!(p.standard_error.is_finite());
                }
                prop_assert!(e.standard_error.is_finite() && e.standard_error >= 0.0);
            }
        }
    }

    #[test]
    fn csat_and_ces_statistics_are_in_range(
        scale in csat_scale(),
        raw in prop::collection::vec(any::<u8>(), 0..200),
        cfg in config(),
    ) {
        let span = scale.max() - scale.min() + 1;
        let scores: Vec<u8> = raw.iter().map(|s| scale.min() + s % span).collect();
        let r = Csat::from_scores(scale, &scores).unwrap().report(&cfg);
        let counted: u64 = r.counts.iter().map(|&(_, c)| c).sum();
        prop_assert_eq!(counted, scores.len() as u64);
        if let (Some(p), Some(m)) = (r.satisfied_share, r.mean) {
            prop_assert!(p.wilson.contains(p.share) && p.wald.contains(p.share));
            prop_assert!(m.wald.contains(m.mean) && m.student_t.contains(m.mean));
            prop_assert!(m.mean >= f64::from(scale.min()) && m.mean <= f64::from(scale.max()));
        } else {
            prop_assert!(scores.is_empty());
        }
        let ces: Vec<u8> = raw.iter().map(|s| s % 7 + 1).collect();
        let r = Ces::from_scores(CesScale::default(), &ces).unwrap().report(&cfg);
        if let (Some(p), Some(m)) = (r.easy_share, r.mean) {
            prop_assert!(p.wilson.contains(p.share));
            prop_assert!(m.student_t.contains(m.mean));
        }
    }

    #[test]
    fn differences_are_antisymmetric(
        a in (0u64..200, 0u64..200, 0u64..200), b in (0u64..200, 0u64..200, 0u64..200),
    ) {
        let (x, y) = (Nps::from_counts(a.0, a.1, a.2), Nps::from_counts(b.0, b.1, b.2));
        let cfg = StatsConfig::default();
        match (x.difference(&y, &cfg), y.difference(&x, &cfg)) {
            (Some(d1), Some(d2)) => {
                prop_assert!((d1.estimate + d2.estimate).abs() < 1e-9);
                prop_assert!((d1.p_value - d2.p_value).abs() < 1e-12);
                prop_assert!((0.0..=1.0).contains(&d1.p_value));
                prop_assert!(d1.interval.contains(d1.estimate));
            }
            (None, None) => prop_assert!(x.responses() == 0 || y.responses() == 0),
            _ => prop_assert!(false, "asymmetric availability"),
        }
    }

    #[test]
    fn breakdown_partition_law(
        rows in prop::collection::vec((0u8..6, 0u8..=10), 0..300), cut in 0usize..300,
    ) {
        let cut = cut.min(rows.len());
        let build = |rows: &[(u8, u8)]| {
            let mut b = Breakdown::new(Nps::new());
            for &(k, s) in rows {
                b.add(k, s).unwrap();
            }
            b
        };
        let (mut left, right) = (build(&rows[..cut]), build(&rows[cut..]));
        let mut swapped = right.clone();
        swapped.merge(&left).unwrap();
        left.merge(&right).unwrap();
        prop_assert_eq!(&left, &build(&rows));
        prop_assert_eq!(&swapped, &build(&rows));
        let groups: Vec<u32> = rows.iter().map(|&(k, _)| u32::from(k)).collect();
        let scores: Vec<u8> = rows.iter().map(|&(_, s)| s).collect();
        let dense = nps_by_group(&groups, &scores, 6).unwrap();
        for (k, nps) in dense.iter().enumerate() {
            let expected = left.get(&(k as u8)).copied().unwrap_or_default();
            prop_assert_eq!(*nps, expected);
        }
    }

    #[test]
    fn dense_grouping_never_panics(
        groups in prop::collection::vec(any::<u32>(), 0..100),
        scores in prop::collection::vec(any::<u8>(), 0..100),
        count in 0usize..50,
    ) {
        let _ = nps_by_group(&groups, &scores, count);
    }

    #[test]
    fn timeline_partition_law(
        rows in prop::collection::vec((0u32..2000, 1u8..=5), 0..200), cut in 0usize..200,
        window in 1usize..5,
    ) {
        let cut = cut.min(rows.len());
        for bucket in [TimeBucket::Day, TimeBucket::IsoWeek, TimeBucket::Month] {
            let build = |rows: &[(u32, u8)]| {
                let mut t = Timeline::new(bucket, Csat::default());
                for &(h, s) in rows {
                    t.add(at(h), s).unwrap();
                }
                t
            };
            let mut left = build(&rows[..cut]);
            left.merge(&build(&rows[cut..])).unwrap();
            prop_assert_eq!(&left, &build(&rows));
            let total: u64 = left.periods().iter().map(|(_, a)| a.responses()).sum();
            prop_assert_eq!(total, rows.len() as u64);
            let rolled = left.rolling(window).unwrap();
            prop_assert_eq!(rolled.len(), left.periods().len());
            prop_assert_eq!(left.trends(&StatsConfig::default()).unwrap().len(), rolled.len().saturating_sub(1));
        }
    }

    #[test]
    fn driver_counts_merge_laws(
        rows in prop::collection::vec((any::<bool>(), prop::collection::vec(0u8..5, 0..4)), 0..100),
        cut in 0usize..100,
    ) {
        let cut = cut.min(rows.len());
        let build = |rows: &[(bool, Vec<u8>)]| {
            let mut d = DriverCounts::new();
            for (neg, tags) in rows {
                d.add(*neg, tags);
            }
            d
        };
        let (mut a, b) = (build(&rows[..cut]), build(&rows[cut..]));
        let mut ba = b.clone();
        ba.merge(&a);
        a.merge(&b);
        prop_assert_eq!(&a, &build(&rows));
        prop_assert_eq!(&ba, &a);
        for d in a.report(&StatsConfig::default()) {
            prop_assert!(d.negative <= d.responses);
            if let Some(l) = d.lift {
                prop_assert!(l >= 0.0 && l.is_finite());
            }
        }
    }

    #[test]
    fn batches_never_panic_and_account_for_every_response(
        rows in prop::collection::vec((0u8..20, any::<u8>()), 0..200), dedup in any::<bool>(),
    ) {
        let mode = if dedup { Dedup::FirstWins } else { Dedup::KeepAll };
        let out = aggregate_batch(&Nps::new(), rows.iter().copied(), mode);
        prop_assert_eq!(
            out.accepted + out.rejected.len() as u64 + out.duplicates.len() as u64,
            rows.len() as u64
        );
        prop_assert_eq!(out.aggregate.responses(), out.accepted);
        prop_assert!(out.rejected.iter().all(|r| r.score > 10));
    }
}
