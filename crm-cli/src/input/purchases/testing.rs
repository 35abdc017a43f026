//! Test helpers: purchases with their customer ids as text, to compare readers.

use chrono::{DateTime, Utc};
use crm_core::Money;

use super::keys::{Row, unpack};
use crate::input::transactions::TransactionRow;

/// A row with its customer id as text.
pub(super) type Expanded = (String, DateTime<Utc>, Money);

/// Rows keyed by packed ids (`bytes` gives a key's big-endian bytes), with their ids.
pub(super) fn expand_packed<K: Copy>(
    rows: &[Row<K>],
    bytes: impl Fn(K) -> Vec<u8>,
) -> Vec<Expanded> {
    rows.iter()
        .map(|&(k, t, m)| {
            let mut id = Vec::new();
            unpack(&bytes(k), &mut id);
            (String::from_utf8(id).expect("utf-8 id"), t, m)
        })
        .collect()
}

/// Rows as [`read_csv`](crate::input::transactions::read_csv) reads them, in the same form.
pub(super) fn old(rows: &[TransactionRow]) -> Vec<Expanded> {
    rows.iter()
        .map(|r| {
            (
                r.customer_id.clone(),
                r.timestamp,
                Money::new(r.amount, r.currency),
            )
        })
        .collect()
}
