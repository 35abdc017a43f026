//! RFM from per-customer purchase summaries: equal to RFM over the transactions they
//! summarize, and a typed error for every summary that cannot be used exactly.

use std::collections::BTreeMap;

use chrono::{DateTime, Duration, NaiveDate, TimeZone, Utc};
use crm_core::{Currency, CustomerId, Money, PurchaseSummary};
use crm_segmentation::{
    Breakpoints, CurrencyConversion, FrequencyMeasure, MonetaryMeasure, RfmConfig, ScoreMethod,
    SegmentationError, rfm, rfm_from_summaries, rfm_from_totals,
};
use proptest::prelude::*;
use rust_decimal::Decimal;
use rust_decimal_macros::dec;

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

/// Random transactions: up to 12 customers over about 60 days, amounts with 0 to 3
/// decimals, refunds included, in EUR or (when `currencies` > 1) USD.
fn transactions(currencies: u8) -> impl Strategy<Value = Vec<Tx>> {
    proptest::collection::vec(
        (
            0i64..12,
            0i64..60 * 24 * 60,
            -5_000i64..20_000,
            0u32..4,
            0..currencies,
        ),
        0..60,
    )
    .prop_map(|rows| {
        rows.into_iter()
            .map(|(c, minute, mantissa, scale, cur)| {
                let currency = if cur == 0 {
                    Currency::EUR
                } else {
                    Currency::USD
                };
                (
                    CustomerId::from(c),
                    start() + Duration::minutes(minute),
                    Money::new(Decimal::new(mantissa, scale), currency),
                )
            })
            .collect()
    })
}

fn configs() -> impl Strategy<Value = RfmConfig> {
    (any::<bool>(), any::<bool>(), any::<bool>(), 2u8..=6).prop_map(|(days, mean, cuts, bins)| {
        let method = if cuts {
            let n = u32::from(bins) - 1;
            ScoreMethod::Breakpoints(Breakpoints {
                recency_days: (1..=n).map(|i| i * 9).collect(),
                frequency: (1..=u64::from(n)).collect(),
                monetary: (1..=n).map(|i| Decimal::from(i * 40) - dec!(50)).collect(),
            })
        } else {
            ScoreMethod::Quantile
        };
        RfmConfig {
            frequency: if days {
                FrequencyMeasure::DistinctDays
            } else {
                FrequencyMeasure::Transactions
            },
            monetary: if mean {
                MonetaryMeasure::MeanPerTransaction
            } else {
                MonetaryMeasure::Total
            },
            method,
            bins,
            ..RfmConfig::default()
        }
    })
}

/// Two dollars a euro: an exact multiplication.
fn usd_to_eur() -> CurrencyConversion {
    CurrencyConversion::new(Currency::EUR, |m: &Money| {
        (m.currency() == Currency::USD).then(|| m.amount() * Decimal::TWO)
    })
}

/// Whether some customer has summaries in two currencies whose purchase dates overlap.
fn dates_overlap_across_currencies(summaries: &[PurchaseSummary]) -> bool {
    summaries.iter().enumerate().any(|(i, a)| {
        summaries[i + 1..].iter().any(|b| {
            a.customer == b.customer
                && a.first_purchase.date_naive() <= b.last_purchase.date_naive()
                && b.first_purchase.date_naive() <= a.last_purchase.date_naive()
        })
    })
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(256))]

    /// One currency, as-of time none or at or after the last transaction: the tables are
    /// equal, whatever the order of the summaries.
    #[test]
    fn equals_rfm_over_the_transactions(
        txs in transactions(1),
        config in configs(),
        as_of_after in proptest::option::of(0i64..3 * 24 * 60),
        reverse in any::<bool>(),
    ) {
        let latest = txs.iter().map(|t| t.1).max().unwrap_or_else(start);
        let config = RfmConfig {
            as_of: as_of_after.map(|m| latest + Duration::minutes(m)),
            ..config
        };
        let mut summaries = fold(&txs);
        if reverse {
            summaries.reverse();
        }
        let expected = rfm(txs.clone(), &config).unwrap();
        let got = rfm_from_summaries(&summaries, &config).unwrap();
        prop_assert_eq!(got.report.rows, txs.len() as u64);
        prop_assert_eq!(&got, &expected);
        // The totals of the summaries give the same table when frequency counts
        // transactions, and a typed refusal when it counts days.
        let totals: Vec<_> = summaries.iter().map(PurchaseSummary::totals).collect();
        match config.frequency {
            FrequencyMeasure::Transactions => {
                prop_assert_eq!(rfm_from_totals(&totals, &config).unwrap(), expected);
            }
            FrequencyMeasure::DistinctDays => prop_assert!(matches!(
                rfm_from_totals(&totals, &config),
                Err(SegmentationError::FrequencyNeedsDays)
            )),
        }
    }

    /// Transactions after the as-of time, summarized apart, are left out and counted as
    /// `rfm` counts them.
    #[test]
    fn summaries_after_the_as_of_time_are_counted_as_excluded(
        txs in transactions(1),
        config in configs(),
        cut in 0i64..60 * 24 * 60,
    ) {
        let as_of = start() + Duration::minutes(cut);
        let config = RfmConfig { as_of: Some(as_of), ..config };
        let (before, after): (Vec<Tx>, Vec<Tx>) = txs.iter().cloned().partition(|t| t.1 <= as_of);
        let mut summaries = fold(&after);
        summaries.extend(fold(&before));
        let expected = rfm(txs.clone(), &config).unwrap();
        let got = rfm_from_summaries(&summaries, &config).unwrap();
        prop_assert_eq!(got.report.excluded_after_as_of, after.len() as u64);
        prop_assert_eq!(got, expected);
    }

    /// A customer's transactions summarized over two ranges split at midnight: the pieces
    /// add up exactly, distinct days included (their dates are disjoint).
    #[test]
    fn pieces_split_at_midnight_add_up(
        txs in transactions(1),
        config in configs(),
        split_day in 0i64..60,
    ) {
        let split = start() + Duration::days(split_day);
        let (early, late): (Vec<Tx>, Vec<Tx>) = txs.iter().cloned().partition(|t| t.1 < split);
        let mut summaries = fold(&late);
        summaries.extend(fold(&early));
        prop_assert_eq!(
            rfm_from_summaries(&summaries, &config).unwrap(),
            rfm(txs.clone(), &config).unwrap()
        );
    }

    /// Two currencies: with a conversion, equal to `rfm` (distinct days only when no
    /// customer's currencies share a date, a typed error otherwise); without one, both
    /// refuse the mix.
    #[test]
    fn currencies_mix_only_with_a_conversion(
        txs in transactions(2),
        config in configs(),
    ) {
        let summaries = fold(&txs);
        let mixed = summaries.iter().any(|s| s.currency != summaries[0].currency);
        let plain = rfm_from_summaries(&summaries, &config);
        if mixed {
            let is_mixed = matches!(plain, Err(SegmentationError::MixedCurrency { .. }));
            prop_assert!(is_mixed, "{:?}", plain);
            let from_rows = rfm(txs.clone(), &config);
            let rows_mixed = matches!(from_rows, Err(SegmentationError::MixedCurrency { .. }));
            prop_assert!(rows_mixed);
        } else {
            prop_assert_eq!(plain.unwrap(), rfm(txs.clone(), &config).unwrap());
        }
        let config = RfmConfig { conversion: Some(usd_to_eur()), ..config };
        let got = rfm_from_summaries(&summaries, &config);
        if config.frequency == FrequencyMeasure::DistinctDays
            && dates_overlap_across_currencies(&summaries)
        {
            let overlapping = matches!(got, Err(SegmentationError::OverlappingSummaries { .. }));
            prop_assert!(overlapping, "{:?}", got);
        } else {
            prop_assert_eq!(got.unwrap(), rfm(txs.clone(), &config).unwrap());
        }
    }

    /// Arbitrary summaries, consistent or not: an answer or a typed error, never a panic.
    #[test]
    fn never_panics(
        rows in proptest::collection::vec(
            (0i64..4, -3i64..3, 0i64..5, 0u64..4, 0u64..4, any::<i64>(), 0u32..29, any::<bool>()),
            0..8,
        ),
        config in configs(),
        as_of in proptest::option::of(-2i64..6),
    ) {
        let summaries: Vec<PurchaseSummary> = rows
            .into_iter()
            .map(|(c, first, len, transactions, purchase_days, mantissa, scale, usd)| {
                let currency = if usd { Currency::USD } else { Currency::EUR };
                let amount = Money::new(Decimal::new(mantissa, scale), currency);
                PurchaseSummary {
                    customer: CustomerId::from(c),
                    currency,
                    first_purchase: start() + Duration::hours(first * 20),
                    last_purchase: start() + Duration::hours((first + len) * 20),
                    transactions,
                    purchase_days,
                    net_total: amount,
                    repeat_total: amount,
                }
            })
            .collect();
        let config = RfmConfig {
            as_of: as_of.map(|h| start() + Duration::hours(h * 20)),
            ..config
        };
        let _ = rfm_from_summaries(&summaries, &config);
        let converting = RfmConfig { conversion: Some(usd_to_eur()), ..config.clone() };
        let _ = rfm_from_summaries(&summaries, &converting);
        let totals: Vec<_> = summaries.iter().map(PurchaseSummary::totals).collect();
        let _ = rfm_from_totals(&totals, &config);
        let _ = rfm_from_totals(&totals, &converting);
    }
}

fn summary(
    customer: i64,
    first: DateTime<Utc>,
    last: DateTime<Utc>,
    total: &str,
) -> PurchaseSummary {
    let net: Money = total.parse().unwrap();
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

fn day(d: u32) -> DateTime<Utc> {
    Utc.with_ymd_and_hms(2024, 3, d, 12, 0, 0).unwrap()
}

#[test]
fn inconsistent_summaries_are_refused_with_their_position_and_customer() {
    let good = summary(7, day(1), day(5), "10 EUR");
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
                first_purchase: day(6),
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
            "one purchase day",
        ),
        (
            PurchaseSummary {
                net_total: "10 USD".parse().unwrap(),
                ..good.clone()
            },
            "the net total is in another currency",
        ),
    ];
    for (bad, reason) in cases {
        let err = rfm_from_summaries(
            &[summary(1, day(1), day(1), "1 EUR"), bad],
            &RfmConfig::default(),
        )
        .unwrap_err();
        match &err {
            SegmentationError::InconsistentSummary {
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
                .starts_with("purchase summary 1 (customer 7): "),
            "{err}"
        );
    }
    assert!(rfm_from_summaries(&[good], &RfmConfig::default()).is_ok());
}

#[test]
fn a_summary_across_the_as_of_time_is_refused() {
    let config = RfmConfig {
        as_of: Some(day(3)),
        ..RfmConfig::default()
    };
    let summaries = [
        summary(1, day(1), day(2), "1 EUR"),
        summary(2, day(2), day(4), "1 EUR"),
    ];
    let err = rfm_from_summaries(&summaries, &config).unwrap_err();
    assert_eq!(
        err,
        SegmentationError::SummaryAcrossAsOf {
            index: 1,
            customer: 2.into(),
            first: day(2),
            last: day(4),
            as_of: day(3),
        }
    );
    assert!(err.to_string().contains("customer 2"), "{err}");
    // Ending exactly at the as-of time is fine, and so is starting after it.
    let fine = [
        summary(1, day(1), day(3), "1 EUR"),
        summary(2, day(4), day(5), "1 EUR"),
    ];
    let table = rfm_from_summaries(&fine, &config).unwrap();
    assert_eq!(
        (table.customers.len(), table.report.excluded_after_as_of),
        (1, 2)
    );
}

#[test]
fn several_currencies_need_a_conversion() {
    let summaries = [
        summary(1, day(1), day(2), "10 EUR"),
        summary(2, day(1), day(1), "5 EUR"),
        summary(2, day(3), day(3), "4 USD"),
    ];
    assert_eq!(
        rfm_from_summaries(&summaries, &RfmConfig::default()),
        Err(SegmentationError::MixedCurrency {
            row: 2,
            expected: Currency::EUR,
            found: Currency::USD,
        })
    );
    let config = RfmConfig {
        conversion: Some(usd_to_eur()),
        ..RfmConfig::default()
    };
    let table = rfm_from_summaries(&summaries, &config).unwrap();
    let two = table.get(&2.into()).unwrap();
    assert_eq!((two.revenue, two.transactions), (dec!(13), 4));
    assert_eq!(table.currency, Some(Currency::EUR));
    // No rate for yen: the summary fails, by its position.
    let yen = [
        summary(1, day(1), day(2), "10 EUR"),
        summary(3, day(1), day(2), "10 JPY"),
    ];
    assert!(matches!(
        rfm_from_summaries(&yen, &config),
        Err(SegmentationError::ConversionFailed {
            row: 1,
            target: Currency::EUR,
            ..
        })
    ));
}

#[test]
fn distinct_days_of_overlapping_dates_cannot_be_added() {
    // Different currencies on the same date: the days may coincide.
    let summaries = [
        summary(2, day(1), day(3), "5 EUR"),
        summary(2, day(3), day(4), "4 USD"),
    ];
    let config = RfmConfig {
        conversion: Some(usd_to_eur()),
        frequency: FrequencyMeasure::DistinctDays,
        ..RfmConfig::default()
    };
    let err = rfm_from_summaries(&summaries, &config).unwrap_err();
    assert!(
        matches!(&err, SegmentationError::OverlappingSummaries { first: 0, second: 1, customer, .. } if *customer == 2.into()),
        "{err:?}"
    );
    assert!(err.to_string().contains("distinct purchase days"), "{err}");
    // Counting transactions, they add up.
    let config = RfmConfig {
        frequency: FrequencyMeasure::Transactions,
        ..config
    };
    assert_eq!(
        rfm_from_summaries(&summaries, &config).unwrap().customers[0].frequency,
        4
    );
}

#[test]
fn overlapping_summaries_in_one_currency_would_count_twice() {
    let a = summary(5, day(1), day(3), "5 EUR");
    let err = rfm_from_summaries(&[a.clone(), a], &RfmConfig::default()).unwrap_err();
    assert!(matches!(
        err,
        SegmentationError::OverlappingSummaries {
            first: 0,
            second: 1,
            ..
        }
    ));
    assert!(err.to_string().contains("twice"), "{err}");
}

#[test]
fn overflowing_totals_and_counts_are_errors() {
    let huge = |c| PurchaseSummary {
        net_total: Money::new(Decimal::MAX, Currency::EUR),
        ..summary(c, day(1), day(2), "0 EUR")
    };
    // Two customers near the decimal limit are fine; one customer over it is not.
    assert!(rfm_from_summaries(&[huge(1), huge(2)], &RfmConfig::default()).is_ok());
    let one = [
        huge(1),
        PurchaseSummary {
            first_purchase: day(3),
            last_purchase: day(3),
            purchase_days: 1,
            ..huge(1)
        },
    ];
    assert!(matches!(
        rfm_from_summaries(&one, &RfmConfig::default()),
        Err(SegmentationError::TotalOverflow { position: 0 })
    ));
    // A finer scale that does not fit: the summary that needs it fails.
    let fine = PurchaseSummary {
        net_total: "0.0000000000000000000000000001 EUR".parse().unwrap(),
        ..summary(3, day(1), day(2), "0 EUR")
    };
    assert!(matches!(
        rfm_from_summaries(&[huge(1), fine], &RfmConfig::default()),
        Err(SegmentationError::AmountOverflow { row: 1 })
    ));
    let many = |c| PurchaseSummary {
        transactions: u64::MAX / 2 + 1,
        ..summary(c, day(1), day(2), "1 EUR")
    };
    assert_eq!(
        rfm_from_summaries(&[many(1), many(2)], &RfmConfig::default()),
        Err(SegmentationError::CountOverflow {
            index: 1,
            customer: 2.into()
        })
    );
}

#[test]
fn no_summaries_give_the_empty_table() {
    let config = RfmConfig::default();
    let none: [PurchaseSummary; 0] = [];
    assert_eq!(
        rfm_from_summaries(&none, &config).unwrap(),
        rfm(Vec::<Tx>::new(), &config).unwrap()
    );
    assert!(rfm_from_summaries(&none, &RfmConfig { bins: 1, ..config }).is_err());
}
