//! Cohort retention tables end to end: a hand-worked table, calendar edge cases, date
//! ranges, currencies, a naive computation on generated data and on the CDNOW sample, and
//! the merge laws.

use std::collections::{BTreeMap, BTreeSet};

use chrono::{DateTime, Datelike, Months, NaiveDate, TimeZone, Utc};
use crm_core::{Currency, Money};
use crm_segmentation::{
    Cohort, CohortAccumulator, CohortConfig, CohortPeriod, CohortReport, CohortRow, CohortTable,
    SegmentationError, cohorts,
};
use proptest::prelude::*;
use rust_decimal::Decimal;
use rust_decimal_macros::dec;

type Row = (u32, DateTime<Utc>, Decimal);

fn at(y: i32, m: u32, d: u32, h: u32, min: u32, s: u32) -> DateTime<Utc> {
    Utc.with_ymd_and_hms(y, m, d, h, min, s).unwrap()
}

fn noon(y: i32, m: u32, d: u32) -> DateTime<Utc> {
    at(y, m, d, 12, 0, 0)
}

fn config(period: CohortPeriod) -> CohortConfig {
    CohortConfig {
        period,
        ..CohortConfig::default()
    }
}

fn close(a: f64, b: f64) -> bool {
    (a - b).abs() <= 1e-12 * a.abs().max(b.abs()).max(1.0)
}

/// The activity of a cohort, period by period.
fn active(c: &Cohort) -> Vec<u64> {
    c.cells.iter().map(|x| x.active).collect()
}

// ---------------------------------------------------------------------------------------
// A table worked out by hand
// ---------------------------------------------------------------------------------------

fn hand_rows() -> Vec<Row> {
    vec![
        // Customer 5's refund comes before its first purchase (April): left out.
        (5, noon(2024, 3, 15), dec!(-5.00)),
        (1, noon(2024, 4, 1), dec!(25.00)),
        (3, at(2024, 3, 1, 0, 0, 0), dec!(-60.00)), // a refund alone: not active in March
        (2, noon(2024, 3, 3), dec!(30.00)),
        (4, at(2024, 2, 1, 0, 0, 0), dec!(20.00)), // one purchase only
        (1, noon(2024, 2, 10), dec!(50.00)),
        (2, noon(2024, 1, 25), dec!(-10.00)), // a refund in the cohort's own month
        (6, noon(2024, 2, 2), dec!(-3.00)),   // never bought
        (3, at(2024, 2, 29, 23, 59, 59), dec!(60.00)), // leap day
        (2, noon(2024, 1, 20), dec!(40.00)),
        (5, noon(2024, 4, 10), dec!(15.00)),
        (1, noon(2024, 1, 5), dec!(100.00)), // customer 1's first purchase comes last
    ]
}

#[test]
fn hand_worked_monthly_table() {
    let table = cohorts(hand_rows(), &CohortConfig::default()).unwrap();
    // January: customers 1 and 2. Revenue 100 + 40 - 10 = 130, then 50 (1), 30 (2), 25 (1).
    // February: customers 3 and 4. Revenue 60 + 20 = 80, then the refund -60, then nothing.
    // March: nobody acquired (customer 5's refund is no purchase). April: customer 5.
    // (label, size, [(active, retention, revenue, revenue retention, cumulative per customer)])
    type Cells = Vec<(u64, f64, Decimal, Option<f64>, Decimal)>;
    let expected: Vec<(&str, u64, Cells)> = vec![
        (
            "2024-01",
            2,
            vec![
                (2, 1.0, dec!(130), Some(1.0), dec!(65)),
                (1, 0.5, dec!(50), Some(50.0 / 130.0), dec!(90)),
                (1, 0.5, dec!(30), Some(30.0 / 130.0), dec!(105)),
                (1, 0.5, dec!(25), Some(25.0 / 130.0), dec!(117.5)),
            ],
        ),
        (
            "2024-02",
            2,
            vec![
                (2, 1.0, dec!(80), Some(1.0), dec!(40)),
                (0, 0.0, dec!(-60), Some(-0.75), dec!(10)),
                (0, 0.0, dec!(0), Some(0.0), dec!(10)),
            ],
        ),
        ("2024-04", 1, vec![(1, 1.0, dec!(15), Some(1.0), dec!(15))]),
    ];
    assert_eq!(table.cohorts.len(), expected.len());
    for (cohort, (label, size, cells)) in table.cohorts.iter().zip(&expected) {
        assert_eq!((cohort.label.as_str(), cohort.size), (*label, *size));
        assert_eq!(cohort.cells.len(), cells.len(), "{label}");
        for (i, (got, want)) in cohort.cells.iter().zip(cells).enumerate() {
            let (act, ret, rev, rr, cpc) = *want;
            assert_eq!(got.period, i as u32, "{label} {i}");
            assert_eq!(got.active, act, "{label} {i}");
            assert!(close(got.retention, ret), "{label} {i}");
            assert_eq!(got.revenue, rev, "{label} {i}");
            match (got.revenue_retention, rr) {
                (Some(g), Some(w)) => assert!(close(g, w), "{label} {i}: {g} vs {w}"),
                (g, w) => assert_eq!(g, w, "{label} {i}"),
            }
            assert_eq!(got.cumulative_revenue_per_customer, cpc, "{label} {i}");
        }
    }
    assert_eq!(
        table.cohorts[0].start,
        NaiveDate::from_ymd_opt(2024, 1, 1).unwrap()
    );
    assert_eq!(table.cohorts[0].cells[3].cumulative_revenue, dec!(235));
    assert_eq!(table.last_period.as_deref(), Some("2024-04"));
    assert_eq!(table.currency, None);
    assert_eq!(
        table.report,
        CohortReport {
            rows: 12,
            used: 10,
            excluded_before_start: 0,
            excluded_after_as_of: 0,
            excluded_acquired_before_start: 0,
            excluded_before_acquisition: 2,
            customers: 5,
            customers_acquired_before_start: 0,
            customers_without_purchase: 1,
        }
    );

    // The flat rows, as the CSV output prints them.
    let lines: Vec<String> = table.rows().map(|r| r.fields().join(",")).collect();
    assert_eq!(
        lines[..5],
        [
            "2024-01,2,0,2,1,130.00,1,65.00",
            "2024-01,2,1,1,0.5,50.00,0.38461538461538464,90.00",
            "2024-01,2,2,1,0.5,30.00,0.23076923076923078,105.00",
            "2024-01,2,3,1,0.5,25.00,0.19230769230769232,117.50",
            "2024-02,2,0,2,1,80.00,1,40.00",
        ]
    );
    assert_eq!(lines.len(), 4 + 3 + 1);
    assert_eq!(lines[7], "2024-04,1,0,1,1,15.00,1,15.00");
    assert_eq!(
        CohortRow::HEADER.len(),
        table.rows().next().unwrap().fields().len()
    );
}

#[test]
fn hand_worked_weekly_and_quarterly_tables() {
    // Weeks of 2024: 1 January is a Monday (W01); 29 February is a Thursday (W09).
    let weekly = cohorts(hand_rows(), &config(CohortPeriod::Week)).unwrap();
    let labels: Vec<&str> = weekly.cohorts.iter().map(|c| c.label.as_str()).collect();
    // 1: 5 Jan (W01); 2: 20 Jan (Saturday, W03); 4: 1 Feb (W05); 3: 29 Feb (W09);
    // 5: 10 Apr (W15).
    assert_eq!(
        labels,
        ["2024-W01", "2024-W03", "2024-W05", "2024-W09", "2024-W15"]
    );
    assert_eq!(weekly.last_period.as_deref(), Some("2024-W15"));
    let w03 = weekly.cohort("2024-W03").unwrap();
    // Customer 2: 20 Jan (W03) 40, 25 Jan (W04) refund -10, 3 Mar (a Sunday, W09) 30.
    assert_eq!(w03.cells.len(), 13);
    assert_eq!(w03.cells[1].revenue, dec!(-10));
    assert_eq!(w03.cells[1].active, 0);
    assert_eq!(w03.cells[6].active, 1);
    assert_eq!(w03.cells[6].revenue, dec!(30));
    assert_eq!(w03.cells[12].cumulative_revenue, dec!(60));

    let quarterly = cohorts(hand_rows(), &config(CohortPeriod::Quarter)).unwrap();
    let q: Vec<(&str, u64, Vec<u64>)> = quarterly
        .cohorts
        .iter()
        .map(|c| (c.label.as_str(), c.size, active(c)))
        .collect();
    // Q1: customers 1, 2, 3, 4 (all active in Q1); Q2: 1 (25 on 1 April) and 5 (acquired).
    assert_eq!(q, [("2024-Q1", 4, vec![4, 1]), ("2024-Q2", 1, vec![1])]);
    let q1 = &quarterly.cohorts[0];
    assert_eq!(
        q1.cells[0].revenue,
        dec!(100) + dec!(40) - dec!(10) + dec!(50) + dec!(30) + dec!(20) + dec!(60) - dec!(60)
    );
    assert_eq!(q1.cells[1].revenue, dec!(25));
}

// ---------------------------------------------------------------------------------------
// Calendar edge cases
// ---------------------------------------------------------------------------------------

#[test]
fn week_boundary_is_monday_midnight_utc() {
    let sunday_night = at(2024, 1, 7, 23, 59, 59);
    let monday = at(2024, 1, 8, 0, 0, 0);
    let rows = vec![
        (1, sunday_night, dec!(10)),
        (1, monday, dec!(10)),
        (2, monday, dec!(10)),
    ];
    let t = cohorts(rows, &config(CohortPeriod::Week)).unwrap();
    assert_eq!(t.cohorts.len(), 2);
    assert_eq!(t.cohorts[0].label, "2024-W01");
    assert_eq!(
        t.cohorts[0].start,
        NaiveDate::from_ymd_opt(2024, 1, 1).unwrap()
    );
    assert_eq!(active(&t.cohorts[0]), [1, 1]);
    assert_eq!(t.cohorts[1].label, "2024-W02");
    assert_eq!(
        t.cohorts[1].start,
        NaiveDate::from_ymd_opt(2024, 1, 8).unwrap()
    );
    assert_eq!(active(&t.cohorts[1]), [1]);
}

#[test]
fn iso_weeks_across_the_new_year() {
    // 2024-12-29 is a Sunday of 2024-W52; 2024-12-30 the Monday of 2025-W01.
    // 2020 has 53 ISO weeks: 2021-01-03 (a Sunday) is in 2020-W53.
    let rows = vec![
        (1, at(2024, 12, 29, 23, 59, 59), dec!(1)),
        (2, at(2024, 12, 30, 0, 0, 0), dec!(1)),
        (1, at(2025, 1, 6, 0, 0, 0), dec!(1)),
        (3, noon(2021, 1, 3), dec!(1)),
        (3, noon(2021, 1, 4), dec!(1)),
    ];
    let t = cohorts(rows, &config(CohortPeriod::Week)).unwrap();
    let labels: Vec<&str> = t.cohorts.iter().map(|c| c.label.as_str()).collect();
    assert_eq!(labels, ["2020-W53", "2024-W52", "2025-W01"]);
    assert_eq!(active(&t.cohorts[1]), [1, 0, 1]);
    assert_eq!(active(&t.cohorts[2]), [1, 0]);
    let w53 = &t.cohorts[0];
    assert_eq!(w53.start, NaiveDate::from_ymd_opt(2020, 12, 28).unwrap());
    assert_eq!(&active(w53)[..3], [1, 1, 0]);
    // 2020-12-28 to 2025-01-06: 210 weeks later.
    assert_eq!(w53.cells.len(), 211);
}

#[test]
fn quarter_and_year_boundaries() {
    let rows = vec![
        (1, at(2023, 12, 31, 23, 59, 59), dec!(1)),
        (1, at(2024, 1, 1, 0, 0, 0), dec!(2)),
        (2, at(2024, 3, 31, 23, 59, 59), dec!(4)),
        (2, at(2024, 4, 1, 0, 0, 0), dec!(8)),
        (3, at(2024, 4, 1, 0, 0, 0), dec!(16)),
    ];
    let t = cohorts(rows.clone(), &config(CohortPeriod::Quarter)).unwrap();
    let got: Vec<(&str, Vec<u64>, Vec<Decimal>)> = t
        .cohorts
        .iter()
        .map(|c| {
            (
                c.label.as_str(),
                active(c),
                c.cells.iter().map(|x| x.revenue).collect(),
            )
        })
        .collect();
    assert_eq!(
        got,
        [
            ("2023-Q4", vec![1, 1, 0], vec![dec!(1), dec!(2), dec!(0)]),
            ("2024-Q1", vec![1, 1], vec![dec!(4), dec!(8)]),
            ("2024-Q2", vec![1], vec![dec!(16)]),
        ]
    );
    // By month: 2023-12, 2024-01, 2024-03, 2024-04.
    let m = cohorts(rows, &CohortConfig::default()).unwrap();
    let labels: Vec<(&str, usize)> = m
        .cohorts
        .iter()
        .map(|c| (c.label.as_str(), c.cells.len()))
        .collect();
    assert_eq!(labels, [("2023-12", 5), ("2024-03", 2), ("2024-04", 1)]);
}

#[test]
fn leap_years() {
    // 2024-02-29 exists; 2100 is not a leap year (28 February is followed by 1 March).
    let rows = vec![
        (1, at(2024, 2, 29, 0, 0, 0), dec!(1)),
        (1, at(2025, 2, 28, 23, 59, 59), dec!(1)),
        (2, at(2100, 2, 28, 12, 0, 0), dec!(1)),
        (2, at(2100, 3, 1, 0, 0, 0), dec!(1)),
    ];
    let m = cohorts(rows.clone(), &CohortConfig::default()).unwrap();
    let feb24 = m.cohort("2024-02").unwrap();
    assert_eq!(feb24.cells[12].active, 1); // February 2025, 12 months on
    assert_eq!(feb24.cells.iter().filter(|c| c.active > 0).count(), 2);
    let feb00 = m.cohort("2100-02").unwrap();
    assert_eq!(active(feb00), [1, 1]);

    let w = cohorts(rows, &config(CohortPeriod::Week)).unwrap();
    // 2024-02-29 is a Thursday of W09 (Monday 26 February); 2025-02-28 a Friday of
    // 2025-W09 (Monday 24 February): 52 weeks later.
    let w09 = w.cohort("2024-W09").unwrap();
    assert_eq!(w09.start, NaiveDate::from_ymd_opt(2024, 2, 26).unwrap());
    assert_eq!(w09.cells[52].active, 1);
    // 2100-02-28 is a Sunday (W08), 2100-03-01 the Monday of W09.
    let w08 = w.cohort("2100-W08").unwrap();
    assert_eq!(active(w08), [1, 1]);
}

#[test]
fn a_single_purchase_and_empty_periods() {
    let rows = vec![
        (1, noon(2024, 1, 10), dec!(10)),
        (2, noon(2024, 1, 11), dec!(10)),
        (2, noon(2024, 5, 11), dec!(10)),
    ];
    let t = cohorts(rows, &CohortConfig::default()).unwrap();
    assert_eq!(t.cohorts.len(), 1);
    let jan = &t.cohorts[0];
    // February to April: nobody bought, the periods are there with 0.
    assert_eq!(active(jan), [2, 0, 0, 0, 1]);
    let rev: Vec<Decimal> = jan.cells.iter().map(|c| c.revenue).collect();
    assert_eq!(rev, [dec!(20), dec!(0), dec!(0), dec!(0), dec!(10)]);
    let retention: Vec<f64> = jan.cells.iter().map(|c| c.retention).collect();
    assert_eq!(retention, [1.0, 0.0, 0.0, 0.0, 0.5]);
    let cpc: Vec<Decimal> = jan
        .cells
        .iter()
        .map(|c| c.cumulative_revenue_per_customer)
        .collect();
    assert_eq!(cpc, [dec!(10), dec!(10), dec!(10), dec!(10), dec!(15)]);

    // One customer with one purchase: one cohort of one cell.
    let t = cohorts(
        vec![(9, noon(2024, 7, 4), dec!(3.50))],
        &CohortConfig::default(),
    )
    .unwrap();
    assert_eq!(t.cohorts.len(), 1);
    let c = &t.cohorts[0];
    assert_eq!((c.label.as_str(), c.size, c.cells.len()), ("2024-07", 1, 1));
    assert_eq!(c.cells[0].cumulative_revenue_per_customer, dec!(3.50));
}

#[test]
fn refunds_adjust_revenue_but_do_not_make_customers_active() {
    let rows = vec![
        (1, noon(2024, 1, 1), dec!(100)),
        (1, noon(2024, 2, 1), dec!(-100)), // refund alone in February
        (1, noon(2024, 3, 1), dec!(0)),    // a zero amount is no purchase either
        (1, noon(2024, 4, 1), dec!(5)),
        (1, noon(2024, 4, 2), dec!(-5)), // a purchase and a refund: active, revenue 0
        (2, noon(2024, 1, 5), dec!(-20)), // refunds before any purchase
        (2, noon(2024, 1, 6), dec!(30)), // ... in the same month: they count in period 0
    ];
    let t = cohorts(rows, &CohortConfig::default()).unwrap();
    let jan = &t.cohorts[0];
    assert_eq!(jan.size, 2);
    assert_eq!(active(jan), [2, 0, 0, 1]);
    let rev: Vec<Decimal> = jan.cells.iter().map(|c| c.revenue).collect();
    assert_eq!(rev, [dec!(110), dec!(-100), dec!(0), dec!(0)]);
    assert_eq!(jan.cells[1].cumulative_revenue, dec!(10));
    assert_eq!(t.report.used, 7);

    // Period 0's revenue refunded in full: no revenue retention.
    let rows = vec![
        (1, noon(2024, 1, 1), dec!(10)),
        (1, noon(2024, 1, 2), dec!(-10)),
        (1, noon(2024, 2, 1), dec!(10)),
    ];
    let t = cohorts(rows, &CohortConfig::default()).unwrap();
    let rr: Vec<Option<f64>> = t.cohorts[0]
        .cells
        .iter()
        .map(|c| c.revenue_retention)
        .collect();
    assert_eq!(rr, [None, None]);
}

#[test]
fn the_ends_of_the_calendar() {
    for period in CohortPeriod::ALL {
        for t in [DateTime::<Utc>::MIN_UTC, DateTime::<Utc>::MAX_UTC] {
            let table =
                cohorts(vec![(1_u8, t, dec!(1)), (2, t, dec!(-1))], &config(period)).unwrap();
            assert_eq!(table.cohorts.len(), 1, "{period} {t}");
            let c = &table.cohorts[0];
            assert_eq!((c.size, c.cells.len()), (1, 1));
            assert!(c.start <= t.date_naive());
            assert_eq!(c.label, period.label(t.date_naive()));
            assert_eq!(table.report.customers_without_purchase, 1);
        }
    }
}

// ---------------------------------------------------------------------------------------
// Date range, currencies, merging
// ---------------------------------------------------------------------------------------

#[test]
fn start_and_as_of() {
    let rows = vec![
        (1, noon(2023, 12, 20), dec!(10)), // before the start: 1 was acquired earlier
        (1, noon(2024, 1, 20), dec!(10)),
        (2, noon(2023, 12, 20), dec!(-10)), // a refund before the start acquires nobody
        (2, noon(2024, 2, 20), dec!(10)),
        (3, noon(2024, 1, 31), dec!(10)),
        (3, at(2024, 3, 31, 23, 59, 59), dec!(10)), // at the as-of time: in
        (3, at(2024, 4, 1, 0, 0, 0), dec!(10)),     // after it: out
        (4, noon(2024, 5, 1), dec!(10)),            // only after it
    ];
    let config = CohortConfig {
        start: Some(at(2024, 1, 1, 0, 0, 0)),
        as_of: Some(at(2024, 3, 31, 23, 59, 59)),
        ..CohortConfig::default()
    };
    let t = cohorts(rows, &config).unwrap();
    let got: Vec<(&str, u64, Vec<u64>)> = t
        .cohorts
        .iter()
        .map(|c| (c.label.as_str(), c.size, active(c)))
        .collect();
    assert_eq!(
        got,
        [("2024-01", 1, vec![1, 0, 1]), ("2024-02", 1, vec![1, 0])]
    );
    assert_eq!((t.start, t.as_of), (config.start, config.as_of));
    assert_eq!(
        t.report,
        CohortReport {
            rows: 8,
            used: 3,
            excluded_before_start: 2,
            excluded_after_as_of: 2,
            excluded_acquired_before_start: 1,
            excluded_before_acquisition: 0,
            customers: 2,
            customers_acquired_before_start: 1,
            customers_without_purchase: 0,
        }
    );
    let r = t.report;
    assert_eq!(
        r.rows,
        r.used
            + r.excluded_before_start
            + r.excluded_after_as_of
            + r.excluded_acquired_before_start
            + r.excluded_before_acquisition
    );
    // A range that ends before it starts is refused.
    let swapped = CohortConfig {
        start: config.as_of,
        as_of: config.start,
        ..CohortConfig::default()
    };
    assert!(matches!(
        cohorts(Vec::<Row>::new(), &swapped),
        Err(SegmentationError::InvalidDateRange { .. })
    ));
}

#[test]
fn mixed_currencies_are_an_error() {
    let eur = |s: &str| format!("{s} EUR").parse::<Money>().unwrap();
    let usd = |s: &str| format!("{s} USD").parse::<Money>().unwrap();
    let t = noon(2024, 1, 1);
    let rows = vec![(1_u8, t, eur("10")), (2, t, eur("5")), (3, t, usd("7"))];
    assert_eq!(
        cohorts(rows, &CohortConfig::default()),
        Err(SegmentationError::MixedCurrency {
            row: 2,
            expected: Currency::EUR,
            found: Currency::USD,
        })
    );
    let ok = cohorts(
        vec![(1_u8, t, eur("10")), (2, t, eur("5"))],
        &CohortConfig::default(),
    )
    .unwrap();
    assert_eq!(ok.currency, Some(Currency::EUR));
    assert_eq!(ok.cohorts[0].cells[0].revenue, dec!(15));
    // A row after the as-of time is not read, so its currency does not matter.
    let as_of = CohortConfig {
        as_of: Some(t),
        ..CohortConfig::default()
    };
    let rows = vec![(1_u8, t, eur("10")), (2, noon(2024, 1, 2), usd("7"))];
    assert_eq!(
        cohorts(rows, &as_of).unwrap().report.excluded_after_as_of,
        1
    );

    // Parts in different currencies do not merge; nothing changes.
    let mut a = CohortAccumulator::default();
    a.add((1_u8, t, eur("10"))).unwrap();
    let mut b = CohortAccumulator::default();
    b.add((2_u8, t, eur("1"))).unwrap();
    b.add((3_u8, t, usd("1"))).unwrap_err();
    let mut c = CohortAccumulator::default();
    c.add((3_u8, t, usd("1"))).unwrap();
    let before = a.finish().unwrap();
    assert_eq!(
        a.clone().merge(c),
        Err(SegmentationError::MixedCurrency {
            row: 1,
            expected: Currency::EUR,
            found: Currency::USD,
        })
    );
    a.merge(b).unwrap();
    assert_eq!(a.finish().unwrap().report.rows, before.report.rows + 1);
}

#[test]
fn merging_different_configurations_is_an_error() {
    let t = noon(2024, 1, 1);
    let mut weeks = CohortAccumulator::new(&config(CohortPeriod::Week)).unwrap();
    weeks.add((1_u8, t, dec!(1))).unwrap();
    let mut months = CohortAccumulator::default();
    months.add((1_u8, t, dec!(1))).unwrap();
    assert_eq!(
        weeks.clone().merge(months),
        Err(SegmentationError::IncompatibleMerge { field: "period" })
    );
    let mut later = CohortAccumulator::new(&CohortConfig {
        period: CohortPeriod::Week,
        as_of: Some(t),
        ..CohortConfig::default()
    })
    .unwrap();
    later.add((1_u8, t, dec!(1))).unwrap();
    assert_eq!(
        weeks.clone().merge(later),
        Err(SegmentationError::IncompatibleMerge { field: "as_of" })
    );
    // Only the accumulator of `default()` goes with any configuration: an empty one made
    // for another configuration does not.
    let empty_months = CohortAccumulator::new(&CohortConfig::default()).unwrap();
    assert_eq!(
        weeks.clone().merge(empty_months),
        Err(SegmentationError::IncompatibleMerge { field: "period" })
    );
    let mut identity = CohortAccumulator::default();
    identity.merge(weeks.clone()).unwrap();
    assert_eq!(identity.config().period, CohortPeriod::Week);
    assert_eq!(identity.finish().unwrap(), weeks.finish().unwrap());
}

#[test]
fn transactions_feed_the_accumulator() {
    use crm_core::Transaction;
    let t = noon(2024, 5, 1);
    let page = vec![
        Transaction::new(
            "TX-1".parse().unwrap(),
            42.into(),
            t,
            "59.90 EUR".parse().unwrap(),
        ),
        Transaction::new(
            "TX-2".parse().unwrap(),
            42.into(),
            noon(2024, 6, 1),
            "-19.90 EUR".parse().unwrap(),
        ),
        Transaction::new(
            "TX-3".parse().unwrap(),
            7.into(),
            noon(2024, 6, 3),
            "5 EUR".parse().unwrap(),
        ),
    ];
    let mut acc = CohortAccumulator::new(&CohortConfig::default()).unwrap();
    acc.add_all(&page).unwrap();
    let table = acc.finish().unwrap();
    assert_eq!(table.currency, Some(Currency::EUR));
    let may = table.cohort("2024-05").unwrap();
    assert_eq!(active(may), [1, 0]);
    assert_eq!(may.cells[1].cumulative_revenue_per_customer, dec!(40.00));
    // The state round-trips through JSON.
    let json = serde_json::to_string(&acc).unwrap();
    let back: CohortAccumulator<crm_core::CustomerId> = serde_json::from_str(&json).unwrap();
    assert_eq!(back.finish().unwrap(), table);
    let table_json = serde_json::to_string(&table).unwrap();
    let table_back: CohortTable = serde_json::from_str(&table_json).unwrap();
    assert_eq!(table_back.cohorts.len(), table.cohorts.len());
    assert_eq!(table_back.report, table.report);
}

#[test]
fn states_no_rows_could_produce_are_refused() {
    let good = r#"{"config":{"period":"month","start":null,"as_of":null},"currency":null,"rows":2,"excluded_before_start":0,"excluded_after_as_of":0,"customers":[{"customer":1,"periods":[{"period":24288,"revenue":"5","transactions":2,"purchases":1}]}]}"#;
    let acc: CohortAccumulator<u32> = serde_json::from_str(good).unwrap();
    assert_eq!(acc.finish().unwrap().cohorts[0].label, "2024-01");
    for (from, to) in [
        (r#""rows":2"#, r#""rows":1"#),                  // rows do not add up
        (r#""purchases":1"#, r#""purchases":3"#),        // more purchases than rows
        (r#""transactions":2"#, r#""transactions":0"#),  // an empty period
        (r#""period":24288"#, r#""period":2000000000"#), // beyond the calendar
        (r#""currency":null"#, r#""currency":["EUR",5]"#), // a row that is not there
        (r#""period":"month""#, r#""period":"fortnight""#), // unknown period
    ] {
        let bad = good.replace(from, to);
        assert_ne!(bad, good);
        assert!(
            serde_json::from_str::<CohortAccumulator<u32>>(&bad).is_err(),
            "{to}"
        );
    }
    // Periods out of order (the rows add up).
    let unsorted = good.replace(r#""rows":2"#, r#""rows":3"#).replace(
        r#""periods":[{"#,
        r#""periods":[{"period":24289,"revenue":"1","transactions":1,"purchases":1},{"#,
    );
    assert!(serde_json::from_str::<CohortAccumulator<u32>>(&unsorted).is_err());
    let sorted = good.replace(r#""rows":2"#, r#""rows":3"#).replace(
        r#"}]}]}"#,
        r#"},{"period":24289,"revenue":"1","transactions":1,"purchases":1}]}]}"#,
    );
    let acc: CohortAccumulator<u32> = serde_json::from_str(&sorted).unwrap();
    assert_eq!(active(&acc.finish().unwrap().cohorts[0]), [1, 1]);
    // The identity serializes without a configuration, and reads back as the identity.
    let identity = serde_json::to_string(&CohortAccumulator::<u32>::default()).unwrap();
    assert!(identity.contains(r#""config":null"#), "{identity}");
    let mut back: CohortAccumulator<u32> = serde_json::from_str(&identity).unwrap();
    back.merge(acc.clone()).unwrap();
    assert_eq!(back.finish().unwrap(), acc.finish().unwrap());
    let configless = good.replace(
        r#""config":{"period":"month","start":null,"as_of":null}"#,
        r#""config":null"#,
    );
    assert_ne!(configless, good);
    assert!(serde_json::from_str::<CohortAccumulator<u32>>(&configless).is_err());
    let twice = good.replace(
        r#"]}]}"#,
        r#"]},{"customer":1,"periods":[{"period":24288,"revenue":"1","transactions":1,"purchases":1}]}]}"#,
    );
    assert!(serde_json::from_str::<CohortAccumulator<u32>>(&twice).is_err());
}

// ---------------------------------------------------------------------------------------
// A naive computation, written differently: calendar periods as their first day, stepped
// with chrono, and every cell counted by a loop over the cohort's customers.
// ---------------------------------------------------------------------------------------

/// The first day of the period of `date`.
fn naive_start(period: CohortPeriod, date: NaiveDate) -> NaiveDate {
    match period {
        CohortPeriod::Week => {
            date - chrono::Days::new(u64::from(date.weekday().num_days_from_monday()))
        }
        CohortPeriod::Month => date.with_day(1).unwrap(),
        CohortPeriod::Quarter => {
            NaiveDate::from_ymd_opt(date.year(), (date.month() - 1) / 3 * 3 + 1, 1).unwrap()
        }
    }
}

fn naive_next(period: CohortPeriod, start: NaiveDate) -> NaiveDate {
    match period {
        CohortPeriod::Week => start + chrono::Days::new(7),
        CohortPeriod::Month => start + Months::new(1),
        CohortPeriod::Quarter => start + Months::new(3),
    }
}

fn naive_label(period: CohortPeriod, start: NaiveDate) -> String {
    match period {
        CohortPeriod::Week => {
            let w = start.iso_week();
            format!("{}-W{:02}", w.year(), w.week())
        }
        CohortPeriod::Month => start.format("%Y-%m").to_string(),
        CohortPeriod::Quarter => format!("{}-Q{}", start.year(), start.month0() / 3 + 1),
    }
}

/// (label, start, size, [(active, revenue, cumulative revenue, cumulative per customer,
/// retention, revenue retention)])
type NaiveCohort = (
    String,
    NaiveDate,
    u64,
    Vec<(u64, Decimal, Decimal, Decimal, f64, Option<f64>)>,
);

fn naive(rows: &[Row], config: &CohortConfig) -> Vec<NaiveCohort> {
    let p = config.period;
    let mut earlier: BTreeSet<u32> = BTreeSet::new();
    // customer -> period start -> amounts
    let mut history: BTreeMap<u32, BTreeMap<NaiveDate, Vec<Decimal>>> = BTreeMap::new();
    for &(c, t, a) in rows {
        if config.start.is_some_and(|s| t < s) {
            if a > Decimal::ZERO {
                earlier.insert(c);
            }
            continue;
        }
        if config.as_of.is_some_and(|e| t > e) {
            continue;
        }
        history
            .entry(c)
            .or_default()
            .entry(naive_start(p, t.date_naive()))
            .or_default()
            .push(a);
    }
    let Some(last) = history.values().flat_map(|h| h.keys()).max().copied() else {
        return Vec::new();
    };
    let mut by_cohort: BTreeMap<NaiveDate, Vec<u32>> = BTreeMap::new();
    for (c, h) in &history {
        if earlier.contains(c) {
            continue;
        }
        let first = h
            .iter()
            .find(|(_, amounts)| amounts.iter().any(|a| *a > Decimal::ZERO))
            .map(|(start, _)| *start);
        if let Some(first) = first {
            by_cohort.entry(first).or_default().push(*c);
        }
    }
    let mut out = Vec::new();
    for (start, members) in by_cohort {
        let size = members.len() as u64;
        let mut cells = Vec::new();
        let mut cumulative = Decimal::ZERO;
        let mut base = None;
        let mut period = start;
        while period <= last {
            let mut active = 0;
            let mut revenue = Decimal::ZERO;
            for c in &members {
                if let Some(amounts) = history[c].get(&period) {
                    if amounts.iter().any(|a| *a > Decimal::ZERO) {
                        active += 1;
                    }
                    revenue += amounts.iter().copied().sum::<Decimal>();
                }
            }
            let base = *base.get_or_insert(revenue);
            cumulative += revenue;
            let rr = (base > Decimal::ZERO).then(|| {
                use rust_decimal::prelude::ToPrimitive;
                revenue.to_f64().unwrap() / base.to_f64().unwrap()
            });
            cells.push((
                active,
                revenue,
                cumulative,
                cumulative / Decimal::from(size),
                active as f64 / size as f64,
                rr,
            ));
            period = naive_next(p, period);
        }
        out.push((naive_label(p, start), start, size, cells));
    }
    out
}

fn assert_matches_naive(table: &CohortTable, rows: &[Row], config: &CohortConfig) {
    let expected = naive(rows, config);
    assert_eq!(table.cohorts.len(), expected.len(), "{config:?}");
    for (got, (label, start, size, cells)) in table.cohorts.iter().zip(&expected) {
        assert_eq!((&got.label, got.start, got.size), (label, *start, *size));
        assert_eq!(got.cells.len(), cells.len(), "{label}");
        for (i, (cell, want)) in got.cells.iter().zip(cells).enumerate() {
            let (act, rev, cum, cpc, ret, rr) = *want;
            assert_eq!(cell.period, i as u32);
            assert_eq!(
                (cell.active, cell.revenue, cell.cumulative_revenue),
                (act, rev, cum),
                "{label} period {i}"
            );
            assert_eq!(
                cell.cumulative_revenue_per_customer, cpc,
                "{label} period {i}"
            );
            assert!(close(cell.retention, ret), "{label} period {i}");
            match (cell.revenue_retention, rr) {
                (Some(g), Some(w)) => assert!((g - w).abs() <= 1e-9 * w.abs().max(1.0)),
                (g, w) => assert_eq!(g, w, "{label} period {i}"),
            }
        }
    }
    let r = table.report;
    assert_eq!(r.rows, rows.len() as u64);
    assert_eq!(
        r.rows,
        r.used
            + r.excluded_before_start
            + r.excluded_after_as_of
            + r.excluded_acquired_before_start
            + r.excluded_before_acquisition
    );
    assert_eq!(
        r.customers,
        table.cohorts.iter().map(|c| c.size).sum::<u64>()
    );
}

/// SplitMix64: a fixed-seed generator, so that the generated data never changes.
struct SplitMix(u64);

impl SplitMix {
    fn next(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9E37_79B9_7F4A_7C15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        z ^ (z >> 31)
    }

    fn below(&mut self, n: u64) -> u64 {
        self.next() % n
    }
}

/// Rows of 400 customers over 2022 to 2025, in no particular order: times anywhere in a
/// day (boundaries of days, weeks, months and quarters included), amounts in cents with
/// one in five a refund.
fn generated(seed: u64) -> Vec<Row> {
    let mut rng = SplitMix(seed);
    let origin = at(2022, 1, 1, 0, 0, 0);
    let mut rows = Vec::new();
    for _ in 0..6000 {
        let customer = rng.below(400) as u32;
        let day = rng.below(4 * 365) as i64;
        let second = match rng.below(4) {
            0 => 0,
            1 => 86_399,
            _ => rng.below(86_400) as i64,
        };
        let t = origin + chrono::Duration::days(day) + chrono::Duration::seconds(second);
        let cents = rng.below(20_000) as i64 + 1;
        let amount = match rng.below(10) {
            0 | 1 => Decimal::new(-cents, 2),
            2 => Decimal::ZERO,
            _ => Decimal::new(cents, 2),
        };
        rows.push((customer, t, amount));
    }
    rows
}

#[test]
fn generated_data_matches_the_naive_computation() {
    let rows = generated(20_240_101);
    let ranges = [
        (None, None),
        (Some(at(2023, 2, 15, 0, 0, 0)), None),
        (None, Some(at(2024, 9, 30, 23, 59, 59))),
        (
            Some(at(2022, 7, 1, 0, 0, 0)),
            Some(at(2025, 3, 31, 8, 0, 0)),
        ),
    ];
    for period in CohortPeriod::ALL {
        for (start, as_of) in ranges {
            let config = CohortConfig {
                period,
                start,
                as_of,
            };
            let table = cohorts(&rows, &config).unwrap();
            assert!(!table.cohorts.is_empty());
            assert_matches_naive(&table, &rows, &config);
            // In any order, and in parts merged in any order.
            let mut reversed = rows.clone();
            reversed.reverse();
            assert_eq!(cohorts(&reversed, &config).unwrap(), table);
            let mut parts: Vec<CohortAccumulator<u32>> = (0..5)
                .map(|_| CohortAccumulator::new(&config).unwrap())
                .collect();
            for (i, row) in rows.iter().enumerate() {
                parts[(i * 7 + i / 3) % 5].add(row).unwrap();
            }
            let mut merged = CohortAccumulator::default();
            for part in parts.into_iter().rev() {
                merged.merge(part).unwrap();
            }
            assert_eq!(merged.finish().unwrap(), table);
        }
    }
}

const CDNOW: &str = include_str!("../../testdata/CDNOW_sample.txt");

#[test]
fn cdnow_sample_matches_the_naive_computation() {
    let rows: Vec<Row> = CDNOW
        .lines()
        .filter(|l| !l.trim().is_empty())
        .map(|line| {
            let f: Vec<&str> = line.split_whitespace().collect();
            let date = NaiveDate::parse_from_str(f[2], "%Y%m%d").unwrap();
            (
                f[0].parse().unwrap(),
                Utc.from_utc_datetime(&date.and_hms_opt(0, 0, 0).unwrap()),
                f[4].parse().unwrap(),
            )
        })
        .collect();
    for period in CohortPeriod::ALL {
        let config = config(period);
        let table = cohorts(&rows, &config).unwrap();
        assert_matches_naive(&table, &rows, &config);
        // Every customer of the sample bought in January to March 1997.
        let first: Vec<&str> = table.cohorts.iter().map(|c| c.label.as_str()).collect();
        assert!(first.iter().all(|l| l.starts_with("1997")), "{first:?}");
        // 2,357 customers, of whom 8 only ever had purchases of 0.00.
        let r = table.report;
        assert_eq!((r.customers, r.customers_without_purchase), (2349, 8));
        assert_eq!(
            table.cohorts.iter().map(|c| c.cells[0].active).sum::<u64>(),
            2349
        );
    }
}

// ---------------------------------------------------------------------------------------
// Properties
// ---------------------------------------------------------------------------------------

fn rows_of(raw: &[(u8, u16, u32, i32)]) -> Vec<(u8, DateTime<Utc>, Decimal)> {
    let origin = at(2023, 11, 1, 0, 0, 0);
    raw.iter()
        .map(|&(c, day, second, cents)| {
            (
                c,
                origin
                    + chrono::Duration::days(i64::from(day))
                    + chrono::Duration::seconds(i64::from(second)),
                Decimal::new(i64::from(cents), 2),
            )
        })
        .collect()
}

fn accumulate(
    rows: &[(u8, DateTime<Utc>, Decimal)],
    config: &CohortConfig,
) -> CohortAccumulator<u8> {
    let mut acc = CohortAccumulator::new(config).unwrap();
    acc.add_all(rows).unwrap();
    acc
}

fn merged(mut a: CohortAccumulator<u8>, b: CohortAccumulator<u8>) -> CohortAccumulator<u8> {
    a.merge(b).unwrap();
    a
}

fn any_config() -> impl Strategy<Value = CohortConfig> {
    (
        prop_oneof![
            Just(CohortPeriod::Week),
            Just(CohortPeriod::Month),
            Just(CohortPeriod::Quarter)
        ],
        proptest::option::of(0i64..200),
        proptest::option::of(200i64..500),
    )
        .prop_map(|(period, start, end)| {
            let day = |d| at(2023, 11, 1, 0, 0, 0) + chrono::Duration::days(d);
            CohortConfig {
                period,
                start: start.map(day),
                as_of: end.map(day),
            }
        })
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(64))]

    /// Parts merged in any grouping and order give the one-pass table; an empty
    /// accumulator is the identity; serialized parts merge the same.
    #[test]
    fn merging_parts_equals_one_pass(
        raw in proptest::collection::vec((0u8..30, 0u16..500, 0u32..86_400, -5_000i32..20_000), 0..200),
        owners in proptest::collection::vec(0usize..4, 200),
        order in Just((0..4usize).collect::<Vec<_>>()).prop_shuffle(),
        config in any_config(),
    ) {
        let rows = rows_of(&raw);
        let whole = accumulate(&rows, &config).finish().unwrap();
        prop_assert_eq!(&cohorts(&rows, &config).unwrap(), &whole);
        let mut parts: Vec<Vec<_>> = vec![Vec::new(); 4];
        for (i, row) in rows.iter().enumerate() {
            parts[owners[i]].push(*row);
        }
        let accs: Vec<CohortAccumulator<u8>> = parts.iter().map(|p| accumulate(p, &config)).collect();
        let (a, b, c, d) = (&accs[0], &accs[1], &accs[2], &accs[3]);

        // Any order.
        let mut any = CohortAccumulator::default();
        for &i in &order {
            any.merge(accs[i].clone()).unwrap();
        }
        prop_assert_eq!(&any.finish().unwrap(), &whole);
        // Associative: ((a b) c) d = a (b (c d)).
        let left = merged(merged(merged(a.clone(), b.clone()), c.clone()), d.clone());
        let right = merged(a.clone(), merged(b.clone(), merged(c.clone(), d.clone())));
        prop_assert_eq!(&left.finish().unwrap(), &whole);
        prop_assert_eq!(&right.finish().unwrap(), &whole);
        // Commutative.
        prop_assert_eq!(
            merged(a.clone(), b.clone()).finish().unwrap(),
            merged(b.clone(), a.clone()).finish().unwrap()
        );
        // Identity, on either side, whatever its configuration.
        let e = CohortAccumulator::<u8>::default();
        prop_assert_eq!(merged(a.clone(), e.clone()).finish().unwrap(), a.finish().unwrap());
        prop_assert_eq!(merged(e, a.clone()).finish().unwrap(), a.finish().unwrap());
        // Through serde.
        let mut thawed = CohortAccumulator::<u8>::default();
        for acc in &accs {
            let json = serde_json::to_string(acc).unwrap();
            thawed.merge(serde_json::from_str(&json).unwrap()).unwrap();
        }
        prop_assert_eq!(&thawed.finish().unwrap(), &whole);
        // The merged state serializes as the one-pass state does.
        prop_assert_eq!(
            serde_json::to_value(&left).unwrap()["customers"].clone(),
            serde_json::to_value(accumulate(&rows, &config)).unwrap()["customers"].clone()
        );
    }

    /// Any times, amounts and ranges: a table or an error, never a panic.
    #[test]
    fn never_panics(
        raw in proptest::collection::vec((0u8..6, -3_000_000_000i64..6_000_000_000, any::<i128>(), 0u32..=28), 0..40),
        period in prop_oneof![Just(CohortPeriod::Week), Just(CohortPeriod::Month), Just(CohortPeriod::Quarter)],
        start in proptest::option::of(-3_000_000_000i64..6_000_000_000),
        end in proptest::option::of(-3_000_000_000i64..6_000_000_000),
        split in 0usize..40,
    ) {
        let rows: Vec<(u8, DateTime<Utc>, Decimal)> = raw
            .into_iter()
            .map(|(c, secs, m, s)| {
                let t = DateTime::from_timestamp(secs, 0).unwrap_or_default();
                let m = m % 79_228_162_514_264_337_593_543_950_335i128;
                (c, t, Decimal::from_i128_with_scale(m, s))
            })
            .collect();
        let time = |s: i64| DateTime::from_timestamp(s, 0);
        let config = CohortConfig { period, start: start.and_then(time), as_of: end.and_then(time) };
        let _ = cohorts(&rows, &config);
        if let (Ok(mut a), Ok(mut b)) = (CohortAccumulator::new(&config), CohortAccumulator::new(&config)) {
            let split = split.min(rows.len());
            for r in &rows[..split] {
                let _ = a.add(r);
            }
            for r in &rows[split..] {
                let _ = b.add(r);
            }
            let _ = a.finish();
            let _ = a.merge(b);
            let _ = a.finish();
            if let Ok(table) = a.finish() {
                for row in table.rows() {
                    let _ = row.fields();
                }
            }
        }
    }
}
