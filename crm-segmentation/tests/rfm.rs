//! RFM end to end: hand-computed tables, edge cases, currencies and properties.

use chrono::{DateTime, NaiveDate, TimeZone, Utc};
use crm_core::{Currency, Money};
use crm_segmentation::AbcClass;
use crm_segmentation::assign_tiers;
use crm_segmentation::{ABSENT, migration};
use crm_segmentation::{
    Breakpoints, CurrencyConversion, FrequencyMeasure, MonetaryMeasure, RfmAccumulator, RfmConfig,
    ScoreMethod, SegmentationError, TierTable, rfm, rfm_parallel,
};
use proptest::prelude::*;
use rust_decimal::Decimal;
use rust_decimal_macros::dec;

fn at(y: i32, m: u32, d: u32) -> DateTime<Utc> {
    Utc.with_ymd_and_hms(y, m, d, 12, 0, 0).unwrap()
}

fn hand_rows() -> Vec<(u32, DateTime<Utc>, Decimal)> {
    vec![
        (1, at(2024, 1, 1), dec!(10.00)),
        (1, at(2024, 1, 31), dec!(20.00)),
        (2, at(2024, 1, 10), dec!(50.00)),
        (2, at(2024, 1, 11), dec!(-60.00)), // refund: net total negative
        (3, at(2024, 1, 20), dec!(0.00)),   // zero amount
        (4, at(2024, 1, 31), dec!(5.00)),
        (4, at(2024, 2, 5), dec!(100.00)), // after the as-of date
        (5, at(2024, 2, 10), dec!(7.00)),  // only after the as-of date
    ]
}

fn as_of_jan31() -> RfmConfig {
    RfmConfig {
        as_of: Some(Utc.with_ymd_and_hms(2024, 1, 31, 23, 59, 59).unwrap()),
        ..RfmConfig::default()
    }
}

#[test]
fn hand_computed_table() {
    let t = rfm(hand_rows(), &as_of_jan31()).unwrap();
    // n = 4, bins = 5, score = 1 + floor(5 w / 4).
    // recency 0, 20, 11, 0 -> w = 2, 0, 1, 2 -> R = 3, 1, 2, 3
    // frequency 2, 2, 1, 1 -> w = 2, 2, 0, 0 -> F = 3, 3, 1, 1
    // monetary 30, -10, 0, 5 -> w = 3, 0, 1, 2 -> M = 4, 1, 2, 3
    let expected = [
        (1, 0, 2, dec!(30.00), (3, 3, 4), "Need Attention"),
        (2, 20, 2, dec!(-10.00), (1, 3, 1), "At Risk"),
        (3, 11, 1, dec!(0.00), (2, 1, 2), "Hibernating"),
        (4, 0, 1, dec!(5.00), (3, 1, 3), "About To Sleep"),
    ];
    assert_eq!(t.customers.len(), 4);
    for (row, (key, rec, freq, money, (r, f, m), seg)) in t.customers.iter().zip(expected) {
        assert_eq!(row.customer, key);
        assert_eq!(row.recency_days, rec, "customer {key}");
        assert_eq!(row.frequency, freq, "customer {key}");
        assert_eq!(row.monetary, money, "customer {key}");
        assert_eq!((row.r, row.f, row.m), (r, f, m), "customer {key}");
        assert_eq!(t.segment_name(row), seg, "customer {key}");
    }
    assert_eq!(t.report.rows, 8);
    assert_eq!(t.report.used, 6);
    assert_eq!(t.report.excluded_after_as_of, 2);
    assert_eq!(t.report.customers, 4);
    assert!(t.get(&5).is_none());
    assert_eq!(
        t.get(&1).unwrap().first_purchase,
        NaiveDate::from_ymd_opt(2024, 1, 1).unwrap()
    );
    assert_eq!(t.tenure_days(t.get(&1).unwrap()), 30);

    // Summary: revenue 30 - 10 + 0 + 5 = 25.
    let s = t.segment_summary().unwrap();
    let need = s.iter().find(|g| g.name == "Need Attention").unwrap();
    assert_eq!((need.customers, need.revenue), (1, dec!(30.00)));
    assert!((need.revenue_share.unwrap() - 1.2).abs() < 1e-12);
    assert!((need.customer_share - 0.25).abs() < 1e-12);
    let at_risk = s.iter().find(|g| g.name == "At Risk").unwrap();
    assert!((at_risk.revenue_share.unwrap() + 0.4).abs() < 1e-12);
    assert_eq!(at_risk.mean_monetary, Some(dec!(-10.00)));
    assert_eq!(at_risk.mean_r, 1.0);
    let champions = s.iter().find(|g| g.name == "Champions").unwrap();
    assert_eq!((champions.customers, champions.mean_monetary), (0, None));
}

#[test]
fn segments_are_reachable_by_name_and_tables_read_back() {
    let t = rfm(hand_rows(), &as_of_jan31()).unwrap();
    // Every row's segment, looked up by index, is the segment whose rows hold it.
    for row in &t.customers {
        let name = t.segment_name(row);
        assert_eq!(t.segment_index(name), Some(row.segment));
        assert!(t.in_segment(name).any(|c| c.customer == row.customer));
    }
    let total: usize = t
        .segment_names
        .iter()
        .map(|n| t.in_segment(n).count())
        .sum();
    assert_eq!(total, t.customers.len());
    // The table as JSON reads back, also when written before `bins` had its name.
    let json = serde_json::to_string(&t).unwrap();
    assert!(json.contains(r#""bins":5"#));
    let back: crm_segmentation::RfmTable<u32> = serde_json::from_str(&json).unwrap();
    assert_eq!(back, t);
    let old = json.replace(r#""bins":5"#, r#""k":5"#);
    assert_eq!(
        serde_json::from_str::<crm_segmentation::RfmTable<u32>>(&old).unwrap(),
        t
    );
}

#[test]
fn default_as_of_is_the_latest_transaction() {
    let t = rfm(hand_rows(), &RfmConfig::default()).unwrap();
    assert_eq!(t.as_of, Some(at(2024, 2, 10)));
    assert_eq!(t.report.excluded_after_as_of, 0);
    assert_eq!(t.get(&4).unwrap().monetary, dec!(105.00));
    assert_eq!(t.get(&5).unwrap().recency_days, 0);
    assert_eq!(t.get(&1).unwrap().recency_days, 10);
}

#[test]
fn empty_input_gives_an_empty_table() {
    let t = rfm(
        Vec::<(u32, DateTime<Utc>, Decimal)>::new(),
        &RfmConfig::default(),
    )
    .unwrap();
    assert!(t.customers.is_empty());
    assert_eq!(t.as_of, None);
    assert_eq!(t.report, Default::default());
    assert!(
        t.segment_summary()
            .unwrap()
            .iter()
            .all(|g| g.customers == 0)
    );
    let t = rfm_parallel(
        &Vec::<(u32, DateTime<Utc>, Decimal)>::new(),
        &as_of_jan31(),
        2,
    )
    .unwrap();
    assert!(t.customers.is_empty());
    assert!(t.as_of.is_some());
}

#[test]
fn one_customer_and_all_equal() {
    let t = rfm(
        vec![("solo", at(2024, 1, 1), dec!(3))],
        &RfmConfig::default(),
    )
    .unwrap();
    let c = &t.customers[0];
    assert_eq!((c.r, c.f, c.m), (1, 1, 1));
    assert_eq!(t.segment_name(c), "Lost");

    let rows: Vec<_> = (0..7u8).map(|i| (i, at(2024, 3, 3), dec!(9.99))).collect();
    let t = rfm(rows, &RfmConfig::default()).unwrap();
    assert!(t.customers.iter().all(|c| (c.r, c.f, c.m) == (1, 1, 1)));
}

#[test]
fn ties_across_a_bin_boundary_get_equal_scores() {
    // Ten customers, monetary 1, 2, 3, 3, 3, 3, 7, 8, 9, 10 -> M = 1,1,2,2,2,2,4,4,5,5.
    let values = [1, 2, 3, 3, 3, 3, 7, 8, 9, 10];
    let rows: Vec<_> = values
        .iter()
        .enumerate()
        .map(|(i, v)| (i as u8, at(2024, 1, 1), Decimal::from(*v)))
        .collect();
    let t = rfm(rows, &RfmConfig::default()).unwrap();
    let m: Vec<u8> = t.customers.iter().map(|c| c.m).collect();
    assert_eq!(m, vec![1, 1, 2, 2, 2, 2, 4, 4, 5, 5]);
}

#[test]
fn distinct_days_and_mean_per_transaction() {
    let rows = vec![
        (1u8, at(2024, 1, 1), dec!(10)),
        (
            1,
            Utc.with_ymd_and_hms(2024, 1, 1, 23, 0, 0).unwrap(),
            dec!(20),
        ),
        (1, at(2024, 1, 2), dec!(30)),
        (2, at(2024, 1, 2), dec!(5)),
    ];
    let config = RfmConfig {
        frequency: FrequencyMeasure::DistinctDays,
        monetary: MonetaryMeasure::MeanPerTransaction,
        ..RfmConfig::default()
    };
    let t = rfm(rows.clone(), &config).unwrap();
    let one = t.get(&1).unwrap();
    assert_eq!((one.frequency, one.transactions), (2, 3));
    assert_eq!((one.monetary, one.revenue), (dec!(20), dec!(60)));
    assert_eq!(rfm_parallel(&rows, &config, 2).unwrap(), t);
}

#[test]
fn fixed_breakpoints() {
    let config = RfmConfig {
        as_of: Some(at(2024, 1, 31)),
        method: ScoreMethod::Breakpoints(Breakpoints {
            recency_days: vec![5, 10, 20, 30],
            frequency: vec![2, 3, 4, 5],
            monetary: vec![dec!(0), dec!(10), dec!(20), dec!(30)],
        }),
        ..RfmConfig::default()
    };
    let t = rfm(hand_rows(), &config).unwrap();
    // Customer 1: recency 0 -> 5; frequency 2 -> 2; monetary 30 -> 5.
    // Customer 2: recency 20 (not > 20) -> 3; frequency 2 -> 2; monetary -10 -> 1.
    // Customer 3: recency 11 -> 3; frequency 1 -> 1; monetary 0 -> 2.
    // Customer 4: recency 0 -> 5; frequency 1 -> 1; monetary 5 (>= 0 only) -> 2.
    let s: Vec<_> = t.customers.iter().map(|c| (c.r, c.f, c.m)).collect();
    assert_eq!(s, vec![(5, 2, 5), (3, 2, 1), (3, 1, 2), (5, 1, 2)]);
    let bad = RfmConfig {
        method: ScoreMethod::Breakpoints(Breakpoints::default()),
        ..RfmConfig::default()
    };
    assert!(matches!(
        rfm(hand_rows(), &bad),
        Err(SegmentationError::InvalidBreakpoints { .. })
    ));
}

#[test]
fn mixed_currencies_need_a_conversion() {
    let eur = |s: &str| Money::new(s.parse().unwrap(), Currency::EUR);
    let usd = |s: &str| Money::new(s.parse().unwrap(), Currency::USD);
    let rows = vec![
        (1u8, at(2024, 1, 1), eur("10")),
        (2, at(2024, 1, 2), eur("4")),
        (1, at(2024, 1, 3), usd("10")),
    ];
    assert_eq!(
        rfm(rows.clone(), &RfmConfig::default()).unwrap_err(),
        SegmentationError::MixedCurrency {
            row: 2,
            expected: Currency::EUR,
            found: Currency::USD
        }
    );
    let conversion = CurrencyConversion::new(Currency::EUR, |m: &Money| {
        (m.currency() == Currency::USD).then(|| m.amount() * dec!(0.5))
    });
    let config = RfmConfig {
        conversion: Some(conversion),
        ..RfmConfig::default()
    };
    let t = rfm(rows.clone(), &config).unwrap();
    assert_eq!(t.get(&1).unwrap().monetary, dec!(15.0));
    assert_eq!(t.currency, Some(Currency::EUR));
    let mut with_yen = rows;
    with_yen.push((2, at(2024, 1, 4), Money::new(dec!(100), Currency::JPY)));
    assert!(matches!(
        rfm(with_yen, &config),
        Err(SegmentationError::ConversionFailed { row: 3, .. })
    ));
}

#[test]
fn scales_are_aligned_exactly_and_overflow_is_an_error() {
    let rows = vec![
        (1u8, at(2024, 1, 1), dec!(1.5)),
        (1, at(2024, 1, 2), dec!(0.25)),
        (1, at(2024, 1, 3), dec!(0.000001)),
        (2, at(2024, 1, 3), dec!(3)),
    ];
    let t = rfm(rows, &RfmConfig::default()).unwrap();
    assert_eq!(t.get(&1).unwrap().monetary, dec!(1.750001));
    assert_eq!(t.get(&2).unwrap().monetary, dec!(3));
    let big = vec![
        (1u8, at(2024, 1, 1), Decimal::MAX),
        (1, at(2024, 1, 2), Decimal::MAX),
    ];
    assert!(matches!(
        rfm(big, &RfmConfig::default()),
        Err(SegmentationError::TotalOverflow { position: 0 })
    ));
}

#[test]
fn a_failed_row_changes_nothing() {
    let mut acc = RfmAccumulator::new(&RfmConfig::default()).unwrap();
    acc.add((1u8, at(2024, 1, 1), Money::new(dec!(1), Currency::EUR)))
        .unwrap();
    assert!(
        acc.add((1u8, at(2024, 1, 5), Money::new(dec!(1), Currency::USD)))
            .is_err()
    );
    let t = acc.finish().unwrap();
    assert_eq!(t.get(&1).unwrap().frequency, 1);
    assert_eq!(t.as_of, Some(at(2024, 1, 1)));
}

#[test]
fn rows_before_a_failed_row_in_the_same_slice_are_kept() {
    // Five good rows, then a row in another currency, then one more good row: the slice
    // fails at the sixth row (index 5), the five before it count and the one after does not.
    let eur = |d, v| (2u32, at(2024, 1, d), Money::new(v, Currency::EUR));
    let mut rows: Vec<_> = (1..=5).map(|d| eur(d, dec!(10))).collect();
    rows.push((2, at(2024, 1, 6), Money::new(dec!(1), Currency::USD)));
    rows.push(eur(7, dec!(10)));
    let mut acc = RfmAccumulator::new(&RfmConfig::default()).unwrap();
    assert!(matches!(
        acc.add_slice(&rows),
        Err(SegmentationError::MixedCurrency { row: 5, .. })
    ));
    let t = acc.finish().unwrap();
    let c = t.get(&2).unwrap();
    assert_eq!((c.frequency, c.revenue), (5, dec!(50)));
    assert_eq!(t.as_of, Some(at(2024, 1, 5)));
    assert_eq!(t.report.rows, 6);
}

#[test]
fn merged_accumulators_equal_one_pass() {
    let rows = hand_rows();
    let config = as_of_jan31();
    let mut a = RfmAccumulator::new(&config).unwrap();
    let mut b = RfmAccumulator::new(&config).unwrap();
    a.add_all(&rows[..3]).unwrap();
    b.add_all(&rows[3..]).unwrap();
    a.merge(b).unwrap();
    assert_eq!(a.finish().unwrap(), rfm(&rows, &config).unwrap());
    let other = RfmAccumulator::<u32>::new(&RfmConfig::default()).unwrap();
    let mut a = RfmAccumulator::<u32>::new(&config).unwrap();
    assert!(matches!(
        a.merge(other),
        Err(SegmentationError::IncompatibleMerge { field: "as_of" })
    ));
}

fn synthetic(n: u64, customers: u64) -> Vec<(u64, DateTime<Utc>, Decimal)> {
    // A small linear congruential sequence: deterministic, no dependency.
    let mut x = 12345u64;
    let mut next = move || {
        x = x
            .wrapping_mul(6364136223846793005)
            .wrapping_add(1442695040888963407);
        x >> 33
    };
    (0..n)
        .map(|_| {
            let c = next() % customers;
            let t = at(2023, 1, 1) + chrono::Duration::seconds((next() % (400 * 86400)) as i64);
            let cents = (next() % 20000) as i64 - 1000;
            (c * 7919, t, Decimal::new(cents, 2))
        })
        .collect()
}

#[test]
fn parallel_equals_sequential_with_many_customers_and_a_refund_heavy_tail() {
    // Enough customers (100,000) for the parallel pass to sort its key ranges on several
    // threads, and enough purchases to span several partitions of every table.
    let mut rows = synthetic(300_000, 100_000);
    for (i, row) in rows.iter_mut().enumerate().skip(250_000) {
        if i % 3 == 0 {
            row.2 = -row.2 * Decimal::new(15, 1);
        }
    }
    let config = RfmConfig::default();
    let seq = rfm(&rows, &config).unwrap();
    assert!(seq.customers.len() > 90_000);
    for threads in [1, 2, 3] {
        assert_eq!(rfm_parallel(&rows, &config, threads).unwrap(), seq);
    }
    // Owned keys and distinct purchase days take the general path, whose key order also
    // comes in one sorted range per thread.
    let named: Vec<(String, DateTime<Utc>, Decimal)> = rows
        .iter()
        .map(|(c, t, a)| (format!("{c:012}"), *t, *a))
        .collect();
    let days = RfmConfig {
        frequency: FrequencyMeasure::DistinctDays,
        ..RfmConfig::default()
    };
    for config in [config, days] {
        let seq = rfm(&named, &config).unwrap();
        for threads in [2, 3] {
            assert_eq!(rfm_parallel(&named, &config, threads).unwrap(), seq);
        }
    }
}

#[test]
fn parallel_equals_sequential_on_a_larger_input() {
    let rows = synthetic(60_000, 5_000);
    let config = RfmConfig::default();
    let seq = rfm(&rows, &config).unwrap();
    assert_eq!(rfm_parallel(&rows, &config, 2).unwrap(), seq);
    assert_eq!(rfm_parallel(&rows, &config, 3).unwrap(), seq);
    // String keys give the same scores.
    let named: Vec<(String, DateTime<Utc>, Decimal)> = rows
        .iter()
        .map(|(c, t, a)| (format!("{c:012}"), *t, *a))
        .collect();
    let by_name = rfm_parallel(&named, &config, 2).unwrap();
    for (a, b) in by_name.customers.iter().zip(&seq.customers) {
        assert_eq!((a.r, a.f, a.m, a.segment), (b.r, b.f, b.m, b.segment));
    }
}

#[test]
fn tiers_and_migration() {
    let t = rfm(hand_rows(), &as_of_jan31()).unwrap();
    let tiers = assign_tiers(&t, &TierTable::default()).unwrap();
    // Positive revenue 30 + 5 = 35: customer 1 (before 0) A, customer 4 (before 30/35 = 86%) B,
    // customers 2 and 3 (<= 0) C.
    let abc: Vec<AbcClass> = tiers.customers.iter().map(|c| c.abc).collect();
    assert_eq!(
        abc,
        vec![AbcClass::A, AbcClass::C, AbcClass::C, AbcClass::B]
    );
    // 1: A and R 3 -> high-value; 4: B and R 3 -> potential; 2, 3 -> regular.
    let names: Vec<&str> = tiers
        .customers
        .iter()
        .map(|c| tiers.tier_names[usize::from(c.tier)].as_str())
        .collect();
    assert_eq!(names, vec!["high-value", "regular", "regular", "potential"]);
    assert_eq!(tiers.summary[2].customers, 2);
    assert_eq!(tiers.summary[2].revenue, dec!(-10.00));

    let later = rfm(hand_rows(), &RfmConfig::default()).unwrap();
    let m = migration(&t, &later);
    assert_eq!(m.moves.len(), 5);
    assert_eq!(
        m.count(ABSENT, later.segment_name(later.get(&5).unwrap())),
        1
    );
    let total: u64 = m.counts.iter().flatten().sum();
    assert_eq!(total, 5);
    assert!(m.changed().any(|mv| mv.customer == 5));
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(64))]

    #[test]
    fn table_properties(
        (rows, shuffled) in proptest::collection::vec((0u16..40, 0i64..200, -5000i64..20000), 0..150)
            .prop_flat_map(|v| (Just(v.clone()), Just(v).prop_shuffle())),
        bins in 2u8..=10,
    ) {
        let rows: Vec<(u16, DateTime<Utc>, Decimal)> = rows
            .into_iter()
            .map(|(c, d, cents)| (c, at(2024, 1, 1) + chrono::Duration::days(d), Decimal::new(cents, 2)))
            .collect();
        let config = RfmConfig { bins, ..RfmConfig::default() };
        let t = rfm(&rows, &config).unwrap();
        let cs = &t.customers;
        for a in cs {
            prop_assert!((1..=bins).contains(&a.r) && (1..=bins).contains(&a.f) && (1..=bins).contains(&a.m));
            for b in cs {
                if a.recency_days < b.recency_days { prop_assert!(a.r >= b.r); }
                if a.recency_days == b.recency_days { prop_assert_eq!(a.r, b.r); }
                if a.frequency > b.frequency { prop_assert!(a.f >= b.f); }
                if a.frequency == b.frequency { prop_assert_eq!(a.f, b.f); }
                if a.monetary > b.monetary { prop_assert!(a.m >= b.m); }
                if a.monetary == b.monetary { prop_assert_eq!(a.m, b.m); }
            }
        }
        // Independent of input order: reversed, shuffled, and split over threads.
        let mut reversed = rows.clone();
        reversed.reverse();
        prop_assert_eq!(&rfm(&reversed, &config).unwrap(), &t);
        let shuffled: Vec<(u16, DateTime<Utc>, Decimal)> = shuffled
            .into_iter()
            .map(|(c, d, cents)| (c, at(2024, 1, 1) + chrono::Duration::days(d), Decimal::new(cents, 2)))
            .collect();
        prop_assert_eq!(&rfm(&shuffled, &config).unwrap(), &t);
        // Shares sum to 1.
        let s = t.segment_summary().unwrap();
        if !cs.is_empty() {
            let share: f64 = s.iter().map(|g| g.customer_share).sum();
            prop_assert!((share - 1.0).abs() < 1e-9);
            prop_assert_eq!(s.iter().map(|g| g.customers).sum::<u64>(), cs.len() as u64);
        }
        if s.iter().all(|g| g.revenue_share.is_some()) && !cs.is_empty() {
            let share: f64 = s.iter().filter_map(|g| g.revenue_share).sum();
            prop_assert!((share - 1.0).abs() < 1e-6, "revenue shares sum to {}", share);
        }
    }

    #[test]
    fn never_panics_on_any_amount(
        rows in proptest::collection::vec((0u8..5, any::<i64>(), any::<i128>(), 0u32..=28), 0..20),
    ) {
        let rows: Vec<(u8, DateTime<Utc>, Decimal)> = rows
            .into_iter()
            .map(|(c, secs, m, s)| {
                let t = DateTime::from_timestamp(secs % 100_000_000_000, 0).unwrap_or_default();
                let m = m % 79_228_162_514_264_337_593_543_950_335i128;
                (c, t, Decimal::from_i128_with_scale(m, s))
            })
            .collect();
        let _ = rfm(&rows, &RfmConfig::default());
    }
}
