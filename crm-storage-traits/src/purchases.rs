//! Per-customer purchase aggregates: [`PurchaseSummary`], what recency-frequency-monetary
//! (RFM) and customer-lifetime analyses read from a store.
//!
//! [`CrmStore::purchase_summaries`](crate::CrmStore::purchase_summaries) returns them; its
//! default implementation ([`summarize_purchases`]) scans the transactions, so every store
//! has it, and SQL stores compute the same rows with one `GROUP BY` in the database.

use std::collections::BTreeMap;

use chrono::NaiveDate;
use crm_core::{Money, PurchaseSummary, Transaction};

use crate::error::{StorageError, StorageResult};

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
