//! SQLite's `purchase_summaries` and `purchase_totals` sum integer minor units, and equal
//! the default fold over the transactions whatever the amounts: whole minor units, amounts with more
//! decimal places, amounts too large for 64-bit integers, sums that overflow them, and
//! several currencies of different minor digits, over ranges that cut days apart.

#![cfg(feature = "sqlite")]

use chrono::{DateTime, Duration, TimeZone, Utc};
use crm_core::{Currency, Customer, Money, PartyKind, Transaction};
use crm_storage_sql::SqliteStore;
use crm_storage_traits::{BatchAppend, CrmStore, PurchaseSummary, TimeRange, summarize_purchases};
use rust_decimal::Decimal;

#[path = "support/rng.rs"]
mod rng;
use rng::Rng;

fn t0() -> DateTime<Utc> {
    Utc.with_ymd_and_hms(2024, 3, 1, 0, 0, 0).unwrap()
}

async fn store_with(customers: usize, transactions: Vec<Transaction>) -> SqliteStore {
    let store = SqliteStore::open_in_memory().await.unwrap();
    let people: Vec<Customer> = (0..customers)
        .map(|c| {
            Customer::new(
                format!("C{c}").parse().unwrap(),
                PartyKind::Person,
                "Buyer",
                t0(),
            )
            .unwrap()
        })
        .collect();
    store.append_batch(&people).await.unwrap();
    store.append_batch(&transactions).await.unwrap();
    store
}

fn tx(n: usize, customer: usize, at: DateTime<Utc>, amount: Decimal, c: Currency) -> Transaction {
    Transaction::new(
        format!("T{n:06}").parse().unwrap(),
        format!("C{customer}").parse().unwrap(),
        at,
        Money::new(amount, c),
    )
}

/// The store's summaries and the reference fold's, compared field by field and by the
/// amounts' text (so `35.005` against `35.00` would differ too).
async fn assert_same(store: &SqliteStore, range: TimeRange) -> Vec<PurchaseSummary> {
    let reference = summarize_purchases(store, range).await.unwrap();
    let got = store.purchase_summaries(range).await.unwrap();
    assert_eq!(got, reference, "summaries for {range:?}");
    for (g, r) in got.iter().zip(&reference) {
        assert_eq!(
            g.net_total.to_string(),
            r.net_total.to_string(),
            "net of {}",
            g.customer
        );
        assert_eq!(g.repeat_total.to_string(), r.repeat_total.to_string());
    }
    let totals = store.purchase_totals(range).await.unwrap();
    assert_eq!(totals.len(), reference.len(), "totals for {range:?}");
    for (t, r) in totals.iter().zip(&reference) {
        assert_eq!(*t, r.totals(), "totals for {range:?}");
        assert_eq!(t.net_total.to_string(), r.net_total.to_string());
    }
    got
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn random_amounts_and_ranges_match_the_fold() {
    let mut rng = Rng(0xc0ffee);
    let currencies = [Currency::EUR, Currency::JPY, Currency::KWD, Currency::XAU];
    let mut rows = Vec::new();
    for n in 0..3_000 {
        let customer = rng.below(60) as usize;
        let currency = currencies[rng.below(4) as usize];
        // Mostly whole minor units; some with more places, some far too large.
        let amount = match rng.below(20) {
            0 => Decimal::new(rng.below(1_000_000) as i64 - 500_000, 5),
            1 => Decimal::from_i128_with_scale(i128::from(rng.next()) * 1_000_000 + 1, 2),
            _ => Decimal::new(
                rng.below(100_000) as i64 - 20_000,
                crm_core::minor_digits(currency),
            ),
        };
        let at = t0() + Duration::minutes(rng.below(60 * 24 * 40) as i64);
        rows.push(tx(n, customer, at, amount, currency));
    }
    let store = store_with(60, rows).await;
    let all = assert_same(&store, TimeRange::all()).await;
    assert!(all.len() > 60, "customers pay in several currencies");
    for _ in 0..20 {
        let a = t0() + Duration::minutes(rng.below(60 * 24 * 40) as i64);
        let b = a + Duration::minutes(rng.below(60 * 24 * 20) as i64);
        assert_same(&store, TimeRange::new(a, b).unwrap()).await;
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn sub_minor_and_huge_amounts_are_summed_from_the_text() {
    let day = |d: i64, h: i64| t0() + Duration::days(d) + Duration::hours(h);
    let eur = Currency::EUR;
    let d = |s: &str| s.parse::<Decimal>().unwrap();
    let rows = vec![
        tx(1, 0, day(0, 9), d("10.00"), eur),
        tx(2, 0, day(0, 12), d("0.125"), eur),
        tx(3, 0, day(2, 9), d("5"), eur),
        tx(4, 1, day(0, 9), d("1000000000000000000000"), eur),
        tx(5, 1, day(3, 9), d("-0.01"), eur),
        tx(6, 2, day(1, 9), d("3.50"), eur),
        tx(7, 2, day(1, 10), d("1.230000"), eur),
    ];
    let store = store_with(3, rows).await;
    let all = assert_same(&store, TimeRange::all()).await;
    assert_eq!(all[0].net_total.to_string(), "15.125 EUR");
    assert_eq!(all[0].repeat_total.to_string(), "5.00 EUR");
    assert_eq!(all[1].net_total.to_string(), "999999999999999999999.99 EUR");
    assert_eq!(all[2].net_total.to_string(), "4.730000 EUR");
    assert_eq!(all[2].repeat_total.to_string(), "0.00 EUR");
    // A range leaving out the inexact amount.
    assert_same(&store, TimeRange::new(day(1, 0), day(4, 0)).unwrap()).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_overflowing_integer_sum_falls_back_to_the_exact_fold() {
    let eur = Currency::EUR;
    let big = "92233720368547758.07".parse::<Decimal>().unwrap();
    let rows = vec![
        tx(1, 0, t0(), big, eur),
        tx(2, 0, t0() + Duration::days(1), big, eur),
        tx(3, 1, t0(), Decimal::new(1, 0), eur),
    ];
    let store = store_with(2, rows).await;
    let all = assert_same(&store, TimeRange::all()).await;
    assert_eq!(all[0].net_total.amount(), big * Decimal::from(2));
    assert_eq!(all[0].repeat_total.amount(), big);
}
