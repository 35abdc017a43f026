//! Seeded purchases `(customer, day, amount)`, generated row by row.
//!
//! Every customer buys at least once (the first `customers` rows visit each customer once,
//! in a scrambled order); the other rows go to uniformly drawn customers. Days are uniform
//! over `span_days` days from `start`; amounts are 0.01..=500.00 with one row in twenty a
//! refund (negative). Row `i` depends only on `(seed, i)`.
//!
//! ```
//! use crm_benches::transactions::TransactionSpec;
//! let spec = TransactionSpec::new(50, 10, 1);
//! let mut customers: Vec<u64> = spec.rows().map(|t| t.customer).collect();
//! customers.sort_unstable();
//! customers.dedup();
//! assert_eq!(customers.len(), 10);
//! ```

use std::io::{self, BufRead, BufReader, BufWriter, Write};

use chrono::{DateTime, NaiveDate, TimeDelta, Utc};
use rust_decimal::Decimal;

use crate::mix;

/// The header of the transaction CSV files written and read here (the layout `crm rfm`
/// reads: `customer_id,timestamp,amount`, the timestamp a `YYYY-MM-DD` date).
pub const CSV_HEADER: &str = "customer_id,timestamp,amount";

/// One purchase as the segmentation crate takes it: customer, time, amount.
pub type PurchaseRow = (u64, DateTime<Utc>, Decimal);

/// A prime larger than any customer count used, so `i * SCRAMBLE mod customers` is a
/// permutation of `0..customers`.
const SCRAMBLE: u128 = 2_654_435_761;

/// What to generate.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct TransactionSpec {
    /// Number of rows.
    pub rows: u64,
    /// Number of distinct customers (at most `rows`).
    pub customers: u64,
    /// The seed.
    pub seed: u64,
    /// The first possible day.
    pub start: NaiveDate,
    /// Days are drawn from `start .. start + span_days`.
    pub span_days: u32,
}

/// One generated purchase.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Transaction {
    /// Customer id, `1..=customers`.
    pub customer: u64,
    /// Day of the purchase (UTC).
    pub day: NaiveDate,
    /// Amount in cents; negative for refunds.
    pub cents: i64,
}

impl Transaction {
    /// Midnight UTC of the purchase day.
    pub fn at(&self) -> DateTime<Utc> {
        self.day.and_hms_opt(0, 0, 0).unwrap_or_default().and_utc()
    }

    /// The amount as an exact decimal with two places.
    pub fn amount(&self) -> Decimal {
        Decimal::new(self.cents, 2)
    }

    /// The row as the `(customer, time, amount)` tuple the segmentation crate takes.
    pub fn purchase(&self) -> PurchaseRow {
        (self.customer, self.at(), self.amount())
    }
}

impl TransactionSpec {
    /// `rows` purchases of `customers` customers over the two years from 2023-01-01.
    ///
    /// # Panics
    /// If `customers` is zero, exceeds `rows` or is not below 2,654,435,761.
    pub fn new(rows: u64, customers: u64, seed: u64) -> Self {
        assert!(customers > 0 && customers <= rows && u128::from(customers) < SCRAMBLE);
        Self {
            rows,
            customers,
            seed,
            start: NaiveDate::from_ymd_opt(2023, 1, 1).unwrap_or_default(),
            span_days: 730,
        }
    }

    /// Row `i`.
    pub fn row(&self, i: u64) -> Transaction {
        let base = self.seed.wrapping_mul(0xA076_1D64_78BD_642F) ^ i;
        let c = if i < self.customers {
            (u128::from(i) * SCRAMBLE % u128::from(self.customers)) as u64
        } else {
            mix(base ^ 0x5555_0000_0000_0001) % self.customers
        };
        let day = self.start
            + TimeDelta::days(
                (mix(base ^ 0x2222_0000_0000_0002) % u64::from(self.span_days)) as i64,
            );
        let mut cents = 1 + (mix(base ^ 0x3333_0000_0000_0003) % 50_000) as i64;
        if mix(base ^ 0x4444_0000_0000_0004).is_multiple_of(20) {
            cents = -cents;
        }
        Transaction {
            customer: c + 1,
            day,
            cents,
        }
    }

    /// All rows, in order.
    pub fn rows(&self) -> impl Iterator<Item = Transaction> + '_ {
        (0..self.rows).map(|i| self.row(i))
    }

    /// Writes the rows as CSV ([`CSV_HEADER`]).
    pub fn write_csv(&self, out: impl Write) -> io::Result<()> {
        let mut w = BufWriter::with_capacity(1 << 20, out);
        writeln!(w, "{CSV_HEADER}")?;
        for t in self.rows() {
            let sign = if t.cents < 0 { "-" } else { "" };
            let c = t.cents.unsigned_abs();
            writeln!(
                w,
                "{},{},{sign}{}.{:02}",
                t.customer,
                t.day.format("%Y-%m-%d"),
                c / 100,
                c % 100
            )?;
        }
        w.flush()
    }
}

/// A malformed line of a transaction CSV file.
#[derive(Debug)]
pub struct ReadError {
    /// The 1-based line.
    pub line: u64,
    /// What is wrong.
    pub reason: String,
}

impl std::fmt::Display for ReadError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "line {}: {}", self.line, self.reason)
    }
}

impl std::error::Error for ReadError {}

/// Reads a transaction CSV file ([`CSV_HEADER`]) into memory as the tuples the segmentation
/// crate takes.
///
/// ```
/// use crm_benches::transactions::{read_csv, TransactionSpec};
/// let spec = TransactionSpec::new(100, 10, 3);
/// let mut file = Vec::new();
/// spec.write_csv(&mut file)?;
/// let rows = read_csv(&file[..])?;
/// assert_eq!(rows, spec.rows().map(|t| t.purchase()).collect::<Vec<_>>());
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
pub fn read_csv(input: impl io::Read) -> Result<Vec<PurchaseRow>, Box<dyn std::error::Error>> {
    let reader = BufReader::with_capacity(1 << 20, input);
    let mut out = Vec::new();
    let mut lines = reader.lines();
    match lines.next() {
        Some(Ok(h)) if h.trim() == CSV_HEADER => {}
        _ => {
            return Err(Box::new(ReadError {
                line: 1,
                reason: format!("expected the header {CSV_HEADER}"),
            }));
        }
    }
    for (n, line) in lines.enumerate() {
        let line = line?;
        let bad = |reason: &str| ReadError {
            line: n as u64 + 2,
            reason: reason.to_string(),
        };
        let mut fields = line.split(',');
        let (Some(c), Some(d), Some(a), None) =
            (fields.next(), fields.next(), fields.next(), fields.next())
        else {
            return Err(Box::new(bad("expected three fields")));
        };
        let customer: u64 = c
            .parse()
            .map_err(|_| bad("customer_id is not an integer"))?;
        let day = NaiveDate::parse_from_str(d, "%Y-%m-%d")
            .map_err(|_| bad("timestamp is not YYYY-MM-DD"))?;
        let amount: Decimal = a.parse().map_err(|_| bad("amount is not a decimal"))?;
        out.push((
            customer,
            day.and_hms_opt(0, 0, 0).unwrap_or_default().and_utc(),
            amount,
        ));
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn first_rows_visit_every_customer_once() {
        let spec = TransactionSpec::new(1_000, 997, 11);
        let mut seen: Vec<u64> = (0..997).map(|i| spec.row(i).customer).collect();
        seen.sort_unstable();
        assert_eq!(seen, (1..=997).collect::<Vec<_>>());
    }

    #[test]
    fn values_stay_in_range_and_refunds_are_about_one_in_twenty() {
        let spec = TransactionSpec::new(100_000, 1_000, 5);
        let end = spec.start + TimeDelta::days(i64::from(spec.span_days));
        let mut refunds = 0;
        for t in spec.rows() {
            assert!((1..=1_000).contains(&t.customer));
            assert!(t.day >= spec.start && t.day < end);
            assert!(t.cents != 0 && t.cents.abs() <= 50_000);
            refunds += u32::from(t.cents < 0);
        }
        assert!((4_000..6_000).contains(&refunds), "{refunds}");
    }

    #[test]
    fn seeds_differ() {
        let a: Vec<_> = TransactionSpec::new(100, 10, 1).rows().collect();
        let b: Vec<_> = TransactionSpec::new(100, 10, 2).rows().collect();
        assert_ne!(a, b);
    }

    #[test]
    fn bad_lines_are_named() {
        let err =
            read_csv(&b"customer_id,timestamp,amount\n1,2024-01-01,1.00\n2,2024-13-01,1\n"[..])
                .unwrap_err();
        assert!(err.to_string().contains("line 3"), "{err}");
        assert!(read_csv(&b"a,b,c\n"[..]).is_err());
    }
}
