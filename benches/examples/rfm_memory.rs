//! Shows that an RFM pass keeps memory proportional to the number of customers, not of
//! purchases: it streams `ROWS` generated purchases over `CUSTOMERS` customers (the
//! benchmark generator, `crm_benches::transactions`) through `rfm` without ever holding
//! them, and prints the table size. Run it with the same number of customers and ten times
//! the rows, and compare the peak resident memory:
//!
//! ```text
//! cargo build --release -p crm-benches --example rfm_memory
//! /usr/bin/time -v target/release/examples/rfm_memory 1000000 100000
//! /usr/bin/time -v target/release/examples/rfm_memory 10000000 100000
//! ```

use crm_benches::transactions::TransactionSpec;
use crm_segmentation::{RfmConfig, rfm};

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let mut args = std::env::args().skip(1);
    let rows: u64 = args
        .next()
        .map(|r| r.parse())
        .transpose()?
        .unwrap_or(1_000_000)
        .max(1);
    let customers: u64 = args
        .next()
        .map(|r| r.parse())
        .transpose()?
        .unwrap_or(100_000)
        .clamp(1, rows);
    let spec = TransactionSpec::new(rows, customers, 20_241_124);
    let table = rfm(spec.rows().map(|t| t.purchase()), &RfmConfig::default())?;
    println!(
        "{} purchases, {} customers in the table",
        table.report.rows,
        table.customers.len()
    );
    Ok(())
}
