//! Shows that an RFM pass keeps memory proportional to the number of customers, not of
//! purchases: it streams `ROWS` generated purchases over `CUSTOMERS` customers through
//! [`rfm`] without ever holding them, and prints the table size. Run it with the same
//! number of customers and ten times the rows, and compare the peak resident memory:
//!
//! ```text
//! cargo build --release -p crm-segmentation --example rfm_memory
//! /usr/bin/time -v target/release/examples/rfm_memory 1000000 100000
//! /usr/bin/time -v target/release/examples/rfm_memory 10000000 100000
//! ```

use chrono::{Duration, TimeZone, Utc};
use crm_segmentation::{RfmConfig, rfm};
use rust_decimal::Decimal;

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let mut args = std::env::args().skip(1);
    let rows: u64 = args
        .next()
        .map(|r| r.parse())
        .transpose()?
        .unwrap_or(1_000_000);
    let customers: u64 = args
        .next()
        .map(|r| r.parse())
        .transpose()?
        .unwrap_or(100_000)
        .max(1);
    let start = Utc.with_ymd_and_hms(2023, 1, 1, 0, 0, 0).unwrap();
    // A linear congruential sequence: deterministic, nothing stored.
    let mut x = 0x2545_F491_4F6C_DD1Du64;
    let purchases = (0..rows).map(move |i| {
        x = x
            .wrapping_mul(6_364_136_223_846_793_005)
            .wrapping_add(1_442_695_040_888_963_407);
        let customer = if i < customers {
            i
        } else {
            (x >> 20) % customers
        };
        let at = start + Duration::seconds(((x >> 8) % (730 * 86_400)) as i64);
        let cents = ((x >> 40) % 50_000) as i64 - 2_500;
        (customer, at, Decimal::new(cents, 2))
    });
    let table = rfm(purchases, &RfmConfig::default())?;
    println!(
        "{} purchases, {} customers in the table",
        table.report.rows,
        table.customers.len()
    );
    Ok(())
}
