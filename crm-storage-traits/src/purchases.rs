//! Per-customer purchase aggregates: [`PurchaseSummary`], what recency-frequency-monetary
//! (RFM) and customer-lifetime analyses read from a store.
//!
//! [`CrmStore::purchase_summaries`](crate::CrmStore::purchase_summaries) returns them; its
//! default implementation ([`summarize_purchases`]) scans the transactions, so every store
//! has it, and SQL stores compute the same rows with one `GROUP BY` in the database.

use std::collections::BTreeMap;

use chrono::{DateTime, NaiveDate, Utc};
use crm_core::{Currency, CustomerId, Money, Transaction};
use serde::{Deserialize, Serialize};

use crate::error::{StorageError, StorageResult};

/// One customer's transactions in one currency within a time range, aggregated.
///
/// Every transaction counts, refunds (negative amounts) included: they lower the totals
/// and count as transactions on their day. A customer who paid in several currencies has
/// one summary per currency (amounts in different currencies are never added).
///
/// ```
/// use chrono::{TimeZone, Utc};
/// use crm_core::{Customer, PartyKind, Transaction};
/// use crm_storage_traits::{CrmStore, MemoryStore, Repository, TimeRange};
///
/// # futures::executor::block_on(async {
/// let day = |d, h| Utc.with_ymd_and_hms(2024, 5, d, h, 0, 0).unwrap();
/// let store = MemoryStore::new();
/// store.create(Customer::new(1.into(), PartyKind::Person, "Ann", day(1, 0))?).await?;
/// for (id, time, amount) in [(1, day(2, 9), "10 EUR"), (2, day(2, 17), "5 EUR"), (3, day(9, 9), "20 EUR")] {
///     store.create(Transaction::new(id.into(), 1.into(), time, amount.parse()?)).await?;
/// }
/// let rows = store.purchase_summaries(TimeRange::all()).await?;
/// let ann = &rows[0];
/// assert_eq!((ann.transactions, ann.purchase_days), (3, 2));
/// assert_eq!(ann.net_total.to_string(), "35.00 EUR");
/// // Repeat purchases: everything after the first purchase day.
/// assert_eq!(ann.repeat_total.to_string(), "20.00 EUR");
/// assert_eq!((ann.first_purchase, ann.last_purchase), (day(2, 9), day(9, 9)));
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// # }).unwrap();
/// ```
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct PurchaseSummary {
    /// The customer.
    pub customer: CustomerId,
    /// The currency of the transactions summarized here.
    pub currency: Currency,
    /// The time of the customer's first transaction in the range.
    pub first_purchase: DateTime<Utc>,
    /// The time of the customer's last transaction in the range.
    pub last_purchase: DateTime<Utc>,
    /// How many transactions.
    pub transactions: u64,
    /// On how many distinct days (UTC dates) they happened.
    pub purchase_days: u64,
    /// The sum of the amounts, exact.
    pub net_total: Money,
    /// The sum of the amounts of every day but the first purchase day (the repeat
    /// purchases), exact.
    pub repeat_total: Money,
}

/// Running totals of one summary, fed in time order.
struct Running {
    summary: PurchaseSummary,
    first_day: NaiveDate,
    last_day: NaiveDate,
}

fn overflow() -> StorageError {
    StorageError::invalid("purchases.total", "the sum overflows a decimal number")
}

impl Running {
    fn start(t: &Transaction) -> Running {
        let day = t.occurred_at.date_naive();
        let zero = Money::zero(t.amount.currency());
        Running {
            summary: PurchaseSummary {
                customer: t.customer.clone(),
                currency: t.amount.currency(),
                first_purchase: t.occurred_at,
                last_purchase: t.occurred_at,
                transactions: 0,
                purchase_days: 1,
                net_total: zero,
                repeat_total: zero,
            },
            first_day: day,
            last_day: day,
        }
    }

    /// Adds a transaction no earlier than every one added before.
    fn add(&mut self, t: &Transaction) -> StorageResult<()> {
        let s = &mut self.summary;
        let day = t.occurred_at.date_naive();
        if day != self.last_day {
            s.purchase_days += 1;
            self.last_day = day;
        }
        s.transactions += 1;
        s.last_purchase = t.occurred_at;
        s.net_total = s.net_total.checked_add(&t.amount).map_err(|_| overflow())?;
        if day != self.first_day {
            s.repeat_total = s
                .repeat_total
                .checked_add(&t.amount)
                .map_err(|_| overflow())?;
        }
        Ok(())
    }
}

/// Running summaries per customer and currency, fed transactions in time order.
#[derive(Default)]
pub(crate) struct PurchaseFold {
    running: BTreeMap<(String, &'static str), Running>,
}

impl PurchaseFold {
    /// Adds a transaction no earlier than every one added before.
    pub(crate) fn add(&mut self, t: &Transaction) -> StorageResult<()> {
        let key = (t.customer.to_string(), t.amount.currency().code());
        self.running
            .entry(key)
            .or_insert_with(|| Running::start(t))
            .add(t)
    }

    /// The summaries, in ascending order of customer id text, then currency code.
    pub(crate) fn finish(self) -> Vec<PurchaseSummary> {
        self.running.into_values().map(|r| r.summary).collect()
    }
}
