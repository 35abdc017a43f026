//! RFM on the CDNOW sample (2,357 customers, 6,919 purchases, Jan 1997 - Jun 1998) checked
//! against an independent, naive computation: group with a `BTreeMap`, sort every dimension,
//! and count strictly worse customers with a binary search on the sorted values.

use std::collections::BTreeMap;

use chrono::{DateTime, NaiveDate, TimeZone, Utc};
use crm_segmentation::{RfmConfig, SegmentTable, rfm, rfm_parallel};
use rust_decimal::Decimal;

const SAMPLE: &str = include_str!("../../testdata/CDNOW_sample.txt");

fn purchases() -> Vec<(u32, DateTime<Utc>, Decimal)> {
    SAMPLE
        .lines()
        .filter(|l| !l.trim().is_empty())
        .map(|line| {
            let f: Vec<&str> = line.split_whitespace().collect();
            assert_eq!(f.len(), 5, "line {line:?}");
            let date = NaiveDate::parse_from_str(f[2], "%Y%m%d").unwrap();
            (
                f[0].parse().unwrap(),
                Utc.from_utc_datetime(&date.and_hms_opt(0, 0, 0).unwrap()),
                f[4].parse().unwrap(),
            )
        })
        .collect()
}

/// w for each value: the number of values strictly worse, via a sorted copy.
fn naive_scores<T: PartialOrd + Copy>(values: &[T], better_is_larger: bool, bins: u64) -> Vec<u8> {
    let mut sorted = values.to_vec();
    sorted.sort_by(|a, b| a.partial_cmp(b).unwrap());
    let n = values.len() as u64;
    values
        .iter()
        .map(|v| {
            let w = if better_is_larger {
                sorted.partition_point(|x| x < v)
            } else {
                sorted.len() - sorted.partition_point(|x| x <= v)
            } as u64;
            (1 + bins * w / n) as u8
        })
        .collect()
}

struct Naive {
    keys: Vec<u32>,
    recency: Vec<i64>,
    frequency: Vec<usize>,
    monetary: Vec<Decimal>,
    excluded: usize,
}

fn naive(rows: &[(u32, DateTime<Utc>, Decimal)], as_of: Option<DateTime<Utc>>) -> Naive {
    let as_of = as_of.unwrap_or_else(|| rows.iter().map(|r| r.1).max().unwrap());
    let mut by_customer: BTreeMap<u32, Vec<(NaiveDate, Decimal)>> = BTreeMap::new();
    let mut excluded = 0;
    for (c, t, a) in rows {
        if *t > as_of {
            excluded += 1;
            continue;
        }
        by_customer
            .entry(*c)
            .or_default()
            .push((t.date_naive(), *a));
    }
    let mut n = Naive {
        keys: vec![],
        recency: vec![],
        frequency: vec![],
        monetary: vec![],
        excluded,
    };
    for (c, list) in by_customer {
        let last = list.iter().map(|x| x.0).max().unwrap();
        n.keys.push(c);
        n.recency.push((as_of.date_naive() - last).num_days());
        n.frequency.push(list.len());
        n.monetary.push(list.iter().map(|x| x.1).sum());
    }
    n
}

fn check(as_of: Option<DateTime<Utc>>) {
    let rows = purchases();
    assert_eq!(rows.len(), 6919);
    let config = RfmConfig {
        as_of,
        ..RfmConfig::default()
    };
    let table = rfm(&rows, &config).unwrap();
    assert_eq!(rfm_parallel(&rows, &config, 2).unwrap(), table);
    let expected = naive(&rows, as_of);
    let r = naive_scores(&expected.recency, false, 5);
    let f = naive_scores(&expected.frequency, true, 5);
    let m = naive_scores(&expected.monetary, true, 5);
    let segments = SegmentTable::default();
    assert_eq!(table.customers.len(), expected.keys.len());
    assert_eq!(
        table.report.excluded_after_as_of as usize,
        expected.excluded
    );
    for (i, c) in table.customers.iter().enumerate() {
        assert_eq!(c.customer, expected.keys[i]);
        assert_eq!(
            i64::from(c.recency_days),
            expected.recency[i],
            "customer {}",
            c.customer
        );
        assert_eq!(c.frequency as usize, expected.frequency[i]);
        assert_eq!(c.monetary, expected.monetary[i]);
        assert_eq!(
            (c.r, c.f, c.m),
            (r[i], f[i], m[i]),
            "customer {}",
            c.customer
        );
        assert_eq!(table.segment_name(c), segments.classify(r[i], f[i], m[i]));
    }
}

#[test]
fn cdnow_whole_period_matches_a_naive_computation() {
    check(None);
    let table = rfm(purchases(), &RfmConfig::default()).unwrap();
    // The cohort: 2,357 customers followed to the end of June 1998.
    assert_eq!(table.customers.len(), 2357);
    assert_eq!(
        table.as_of.unwrap().date_naive(),
        NaiveDate::from_ymd_opt(1998, 6, 30).unwrap()
    );
    // The segment summary accounts for every customer and every dollar of the file.
    let summary = table.segment_summary().unwrap();
    let file_total: Decimal = purchases().iter().map(|r| r.2).sum();
    assert_eq!(
        summary.iter().map(|s| s.revenue).sum::<Decimal>(),
        file_total
    );
    assert_eq!(summary.iter().map(|s| s.customers).sum::<u64>(), 2357);
}

#[test]
fn cdnow_calibration_period_matches_a_naive_computation() {
    // The calibration period of Fader, Hardie & Lee (2005) ends on 1997-09-30.
    check(Some(Utc.with_ymd_and_hms(1997, 9, 30, 23, 59, 59).unwrap()));
}
