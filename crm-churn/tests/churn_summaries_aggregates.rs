//! Customer histories from per-customer purchase summaries: equal to `summarize` over the
//! transactions they describe, and a typed error for summaries that cannot be used.

use std::collections::BTreeMap;

use chrono::{DateTime, Duration, NaiveDate, TimeZone, Utc};
use crm_churn::{
    SummaryError, SummaryInputs, SummaryOptions, SummaryRange, TimeUnit, summarize,
    summarize_aggregates,
};
use crm_core::{Currency, CustomerId, Money, PurchaseSummary};
use proptest::prelude::*;
use rust_decimal::Decimal;

type Tx = (CustomerId, DateTime<Utc>, Money);

/// The reference fold: one summary per (customer, currency), as a store computes them.
fn fold(transactions: &[Tx]) -> Vec<PurchaseSummary> {
    let mut groups: BTreeMap<(CustomerId, String), Vec<&Tx>> = BTreeMap::new();
    for t in transactions {
        let key = (t.0.clone(), t.2.currency().code().to_string());
        groups.entry(key).or_default().push(t);
    }
    groups
        .into_values()
        .map(|rows| {
            let currency = rows[0].2.currency();
            let first = rows.iter().map(|t| t.1).min().unwrap();
            let last = rows.iter().map(|t| t.1).max().unwrap();
            let mut dates: Vec<NaiveDate> = rows.iter().map(|t| t.1.date_naive()).collect();
            dates.sort();
            dates.dedup();
            let net: Decimal = rows.iter().map(|t| t.2.amount()).sum();
            let repeat: Decimal = rows
                .iter()
                .filter(|t| t.1.date_naive() != first.date_naive())
                .map(|t| t.2.amount())
                .sum();
            PurchaseSummary {
                customer: rows[0].0.clone(),
                currency,
                first_purchase: first,
                last_purchase: last,
                transactions: rows.len() as u64,
                purchase_days: dates.len() as u64,
                net_total: Money::new(net, currency),
                repeat_total: Money::new(repeat, currency),
            }
        })
        .collect()
}

fn start() -> DateTime<Utc> {
    Utc.with_ymd_and_hms(2024, 1, 1, 0, 0, 0).unwrap()
}

/// Random transactions: up to 12 customers over about 90 days, amounts with 0 to 3
/// decimals, refunds included.
fn transactions() -> impl Strategy<Value = Vec<Tx>> {
    proptest::collection::vec(
        (0i64..12, 0i64..90 * 24 * 60, -5_000i64..20_000, 0u32..4),
        0..60,
    )
    .prop_map(|rows| {
        rows.into_iter()
            .map(|(c, minute, mantissa, scale)| {
                (
                    CustomerId::from(c),
                    start() + Duration::minutes(minute),
                    Money::new(Decimal::new(mantissa, scale), Currency::EUR),
                )
            })
            .collect()
    })
}

fn options() -> impl Strategy<Value = SummaryOptions> {
    (
        0i64..90 * 24 * 60,
        proptest::option::of(0i64..40 * 24 * 60),
        any::<bool>(),
    )
        .prop_map(|(cal, holdout, weeks)| {
            let calibration_end = start() + Duration::minutes(cal);
            let mut o = SummaryOptions::new(calibration_end);
            if let Some(h) = holdout {
                o = o.with_holdout(calibration_end + Duration::minutes(h));
            }
            if weeks {
                o = o.with_unit(TimeUnit::Week);
            }
            o
        })
}

/// The transactions of the three ranges.
fn split(txs: &[Tx], options: &SummaryOptions) -> (Vec<Tx>, Vec<Tx>, Vec<Tx>) {
    let end = options.holdout_end.unwrap_or(options.calibration_end);
    let (mut calibration, mut holdout, mut later) = (Vec::new(), Vec::new(), Vec::new());
    for t in txs {
        if t.1 <= options.calibration_end {
            calibration.push(t.clone());
        } else if t.1 <= end {
            holdout.push(t.clone());
        } else {
            later.push(t.clone());
        }
    }
    (calibration, holdout, later)
}

/// `summarize`'s answer with the customers sorted by key.
fn expected(txs: &[Tx], options: &SummaryOptions) -> crm_churn::Summaries<CustomerId> {
    let mut s = summarize(txs.to_vec(), options).unwrap();
    s.customers.sort_by(|a, b| a.customer.cmp(&b.customer));
    s
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(256))]

    /// With and without a holdout, times in days or weeks: equal to `summarize`.
    #[test]
    fn equals_summarize_over_the_transactions(txs in transactions(), options in options()) {
        let (calibration, holdout, later) = split(&txs, &options);
        let (c, h, l) = (fold(&calibration), fold(&holdout), fold(&later));
        let inputs = SummaryInputs { calibration: &c, holdout: &h, later: &l };
        let got = summarize_aggregates(&inputs, &options).unwrap();
        prop_assert_eq!(got.ignored_transactions, later.len());
        prop_assert_eq!(got, expected(&txs, &options));
    }

    /// A range summarized in two pieces split at midnight adds up exactly.
    #[test]
    fn pieces_split_at_midnight_add_up(
        txs in transactions(),
        options in options(),
        split_day in 0i64..130,
    ) {
        let cut = start() + Duration::days(split_day);
        let (calibration, holdout, later) = split(&txs, &options);
        let pieces = |rows: &[Tx]| {
            let (early, late): (Vec<Tx>, Vec<Tx>) = rows.iter().cloned().partition(|t| t.1 < cut);
            let mut s = fold(&late);
            s.extend(fold(&early));
            s
        };
        let (c, h, l) = (pieces(&calibration), pieces(&holdout), pieces(&later));
        let inputs = SummaryInputs { calibration: &c, holdout: &h, later: &l };
        prop_assert_eq!(summarize_aggregates(&inputs, &options).unwrap(), expected(&txs, &options));
    }

    /// Arbitrary summaries, consistent or not: an answer or a typed error, never a panic.
    #[test]
    fn never_panics(
        rows in proptest::collection::vec(
            (0u8..3, 0i64..4, -3i64..6, 0i64..5, 0u64..4, 0u64..4, any::<i64>(), 0u32..29, any::<bool>()),
            0..10,
        ),
        options in options(),
        weekly in any::<bool>(),
    ) {
        let mut ranges: [Vec<PurchaseSummary>; 3] = Default::default();
        for (range, c, first, len, transactions, purchase_days, mantissa, scale, usd) in rows {
            let currency = if usd { Currency::USD } else { Currency::EUR };
            let amount = Money::new(Decimal::new(mantissa, scale), currency);
            ranges[usize::from(range)].push(PurchaseSummary {
                customer: CustomerId::from(c),
                currency,
                first_purchase: options.calibration_end + Duration::hours(first * 20),
                last_purchase: options.calibration_end + Duration::hours((first + len) * 20),
                transactions,
                purchase_days,
                net_total: amount,
                repeat_total: if purchase_days == 1 { Money::zero(currency) } else { amount },
            });
        }
        let inputs = SummaryInputs { calibration: &ranges[0], holdout: &ranges[1], later: &ranges[2] };
        let options = if weekly { options.with_period(TimeUnit::Week) } else { options };
        if let Ok(s) = summarize_aggregates(&inputs, &options) {
            for c in &s.customers {
                prop_assert!(c.history.validate(0).is_ok(), "{:?}", c);
            }
        }
    }
}

fn day(d: u32, hour: u32) -> DateTime<Utc> {
    Utc.with_ymd_and_hms(2024, 3, d, hour, 0, 0).unwrap()
}

/// A summary of two transactions, on one day or two.
fn summary(customer: i64, first: DateTime<Utc>, last: DateTime<Utc>, net: &str) -> PurchaseSummary {
    let net: Money = net.parse().unwrap();
    let days = if first.date_naive() == last.date_naive() {
        1
    } else {
        2
    };
    PurchaseSummary {
        customer: customer.into(),
        currency: net.currency(),
        first_purchase: first,
        last_purchase: last,
        transactions: 2,
        purchase_days: days,
        net_total: net,
        repeat_total: Money::zero(net.currency()),
    }
}

fn calibration_only(calibration: &[PurchaseSummary]) -> SummaryInputs<'_> {
    SummaryInputs {
        calibration,
        ..SummaryInputs::default()
    }
}

#[test]
fn weekly_periods_need_the_transactions() {
    let options = SummaryOptions::new(day(10, 0)).with_period(TimeUnit::Week);
    let err = summarize_aggregates(&SummaryInputs::default(), &options).unwrap_err();
    assert_eq!(
        err,
        SummaryError::UnsupportedPeriod {
            period: TimeUnit::Week
        }
    );
    assert!(err.to_string().contains("distinct days"), "{err}");
    // Times in weeks are fine.
    let options = SummaryOptions::new(day(10, 0)).with_unit(TimeUnit::Week);
    assert!(summarize_aggregates(&SummaryInputs::default(), &options).is_ok());
}

#[test]
fn a_holdout_before_calibration_is_an_error() {
    let options = SummaryOptions::new(day(10, 0)).with_holdout(day(9, 0));
    assert_eq!(
        summarize_aggregates(&SummaryInputs::default(), &options),
        Err(SummaryError::HoldoutBeforeCalibration {
            calibration_end: day(10, 0),
            holdout_end: day(9, 0)
        })
    );
}

#[test]
fn mixed_currencies_are_numbered_over_calibration_then_holdout() {
    let calibration = [
        summary(1, day(1, 9), day(2, 9), "5 EUR"),
        summary(2, day(3, 9), day(3, 9), "5 EUR"),
    ];
    let holdout = [summary(1, day(12, 9), day(12, 9), "4 USD")];
    // Dollars later than the holdout are only counted.
    let later = holdout.clone().map(|s| PurchaseSummary {
        first_purchase: day(25, 9),
        last_purchase: day(25, 9),
        ..s
    });
    let options = SummaryOptions::new(day(10, 0)).with_holdout(day(20, 0));
    let inputs = SummaryInputs {
        calibration: &calibration,
        holdout: &[],
        later: &later,
    };
    assert_eq!(
        summarize_aggregates(&inputs, &options)
            .unwrap()
            .ignored_transactions,
        2
    );
    let inputs = SummaryInputs {
        calibration: &calibration,
        holdout: &holdout,
        later: &[],
    };
    let err = summarize_aggregates(&inputs, &options).unwrap_err();
    assert_eq!(
        err,
        SummaryError::MixedCurrency {
            row: 2,
            expected: Currency::EUR,
            found: Currency::USD
        }
    );
}

#[test]
fn inconsistent_summaries_are_named() {
    let good = summary(7, day(1, 9), day(5, 9), "10 EUR");
    let cases: Vec<(PurchaseSummary, &str)> = vec![
        (
            PurchaseSummary {
                transactions: 0,
                ..good.clone()
            },
            "no transactions",
        ),
        (
            PurchaseSummary {
                purchase_days: 0,
                ..good.clone()
            },
            "no purchase days",
        ),
        (
            PurchaseSummary {
                purchase_days: 3,
                ..good.clone()
            },
            "more purchase days than transactions",
        ),
        (
            PurchaseSummary {
                first_purchase: day(6, 9),
                ..good.clone()
            },
            "the first purchase is after the last",
        ),
        (
            PurchaseSummary {
                transactions: 1,
                purchase_days: 1,
                ..good.clone()
            },
            "one transaction",
        ),
        (
            PurchaseSummary {
                transactions: 9,
                purchase_days: 6,
                ..good.clone()
            },
            "more purchase days than dates",
        ),
        (
            PurchaseSummary {
                purchase_days: 1,
                ..good.clone()
            },
            "one purchase day, but the first",
        ),
        (
            PurchaseSummary {
                repeat_total: "1 USD".parse().unwrap(),
                ..good.clone()
            },
            "a total is in another currency",
        ),
        (
            PurchaseSummary {
                last_purchase: day(1, 10),
                purchase_days: 1,
                repeat_total: "1 EUR".parse().unwrap(),
                ..good.clone()
            },
            "one purchase day, but a repeat total",
        ),
    ];
    let options = SummaryOptions::new(day(10, 0));
    for (bad, reason) in cases {
        let calibration = [summary(1, day(1, 9), day(1, 9), "1 EUR"), bad];
        let err = summarize_aggregates(&calibration_only(&calibration), &options).unwrap_err();
        match &err {
            SummaryError::InconsistentSummary {
                range: SummaryRange::Calibration,
                index: 1,
                customer,
                reason: r,
            } => {
                assert_eq!(*customer, CustomerId::from(7));
                assert!(r.starts_with(reason), "{r} for {reason}");
            }
            other => panic!("{other:?} for {reason}"),
        }
        assert!(
            err.to_string()
                .starts_with("calibration summary 1 (customer 7): "),
            "{err}"
        );
    }
    assert!(summarize_aggregates(&calibration_only(&[good]), &options).is_ok());
}

#[test]
fn summaries_outside_their_range_are_refused() {
    let options = SummaryOptions::new(day(10, 0));
    let with_holdout = options.with_holdout(day(20, 0));
    let late = [summary(3, day(9, 9), day(11, 9), "1 EUR")];
    let early = [summary(3, day(2, 9), day(3, 9), "1 EUR")];
    let holdout = [summary(3, day(12, 9), day(13, 9), "1 EUR")];
    let outside = |range, first, last| SummaryError::SummaryOutsideRange {
        range,
        index: 0,
        customer: 3.into(),
        first,
        last,
    };
    assert_eq!(
        summarize_aggregates(&calibration_only(&late), &with_holdout),
        Err(outside(SummaryRange::Calibration, day(9, 9), day(11, 9)))
    );
    // Holdout summaries without a holdout, or before it.
    let inputs = SummaryInputs {
        holdout: &holdout,
        ..SummaryInputs::default()
    };
    assert_eq!(
        summarize_aggregates(&inputs, &options),
        Err(outside(SummaryRange::Holdout, day(12, 9), day(13, 9)))
    );
    assert!(summarize_aggregates(&inputs, &with_holdout).is_ok());
    let inputs = SummaryInputs {
        holdout: &early,
        ..SummaryInputs::default()
    };
    assert!(matches!(
        summarize_aggregates(&inputs, &with_holdout),
        Err(SummaryError::SummaryOutsideRange {
            range: SummaryRange::Holdout,
            ..
        })
    ));
    // Later summaries within the holdout.
    let inputs = SummaryInputs {
        later: &holdout,
        ..SummaryInputs::default()
    };
    let err = summarize_aggregates(&inputs, &with_holdout).unwrap_err();
    assert_eq!(err, outside(SummaryRange::Later, day(12, 9), day(13, 9)));
    assert!(err.to_string().contains("outside the later range"), "{err}");
    assert!(summarize_aggregates(&inputs, &options).is_ok());
}

#[test]
fn summaries_of_one_customer_with_overlapping_dates_are_refused() {
    let options = SummaryOptions::new(day(10, 0));
    // Disjoint dates add up: three purchase days, the repeat purchases all but the first day.
    let pieces = [
        PurchaseSummary {
            repeat_total: "3 EUR".parse().unwrap(),
            ..summary(4, day(5, 9), day(6, 9), "7 EUR")
        },
        summary(4, day(2, 9), day(2, 10), "5 EUR"),
    ];
    let s = summarize_aggregates(&calibration_only(&pieces), &options).unwrap();
    let c = &s.customers[0];
    assert_eq!((c.history.x, c.history.t_x, c.history.t), (2, 4.0, 8.0));
    assert_eq!(c.monetary, Decimal::new(35, 1)); // 7 EUR over 2 repeat days
    // The same date in both: refused.
    let overlapping = [
        summary(4, day(5, 9), day(6, 9), "7 EUR"),
        summary(4, day(2, 9), day(5, 8), "5 EUR"),
    ];
    let err = summarize_aggregates(&calibration_only(&overlapping), &options).unwrap_err();
    assert_eq!(
        err,
        SummaryError::OverlappingSummaries {
            range: SummaryRange::Calibration,
            customer: 4.into(),
            first: 0,
            second: 1
        }
    );
}

#[test]
fn overflowing_totals_are_errors() {
    let options = SummaryOptions::new(day(10, 0));
    let huge = |first, last| PurchaseSummary {
        net_total: Money::new(Decimal::MAX, Currency::EUR),
        repeat_total: Money::new(Decimal::MAX, Currency::EUR),
        ..summary(5, first, last, "0 EUR")
    };
    let pieces = [huge(day(1, 9), day(2, 9)), huge(day(4, 9), day(5, 9))];
    let err = summarize_aggregates(&calibration_only(&pieces), &options).unwrap_err();
    assert!(
        matches!(&err, SummaryError::SummaryOverflow { range: SummaryRange::Calibration, index: 1, customer, .. } if *customer == 5.into()),
        "{err:?}"
    );
    let later = [
        PurchaseSummary {
            transactions: u64::MAX,
            ..summary(1, day(12, 9), day(13, 9), "1 EUR")
        },
        PurchaseSummary {
            transactions: u64::MAX,
            ..summary(2, day(12, 9), day(13, 9), "1 EUR")
        },
    ];
    let inputs = SummaryInputs {
        later: &later,
        ..SummaryInputs::default()
    };
    assert!(matches!(
        summarize_aggregates(&inputs, &options),
        Err(SummaryError::SummaryOverflow {
            range: SummaryRange::Later,
            ..
        })
    ));
}
