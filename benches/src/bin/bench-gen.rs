//! Writes the seeded inputs of the side-by-side comparison, in formats every peer reads:
//!
//! - `transactions`: CSV `customer_id,timestamp,amount` (the layout `crm rfm` reads);
//! - `scores`: raw bytes, one 0–10 NPS score per byte;
//! - `cohort`: CSV `frequency,recency,T,monetary_value` of customers simulated from BG/NBD
//!   with Gamma-Gamma spend;
//! - `bgbb`: CSV `frequency,recency,periods,weights` of discrete-time customers simulated
//!   from BG/BB (by default the published donations estimates), compressed into one row per
//!   distinct history with its number of customers.
//!
//! ```text
//! bench-gen transactions --rows 1000000 --customers 100000 --seed 1 --out tx.csv
//! bench-gen bgbb --customers 1000000 --opportunities 10 --seed 2010 --out bgbb.csv
//! ```

use std::fs::File;
use std::io::{BufWriter, Write};
use std::path::PathBuf;

use clap::{Parser, Subcommand};
use crm_benches::bgbb::{self, BgBbSpec};
use crm_benches::cohort::{self, CohortSpec};
use crm_benches::scores;
use crm_benches::transactions::TransactionSpec;

#[derive(Parser)]
#[command(about = "Seeded inputs for the side-by-side comparison")]
struct Cli {
    #[command(subcommand)]
    what: What,
}

#[derive(Subcommand)]
enum What {
    /// Transactions as CSV.
    Transactions {
        #[arg(long)]
        rows: u64,
        #[arg(long)]
        customers: u64,
        #[arg(long, default_value_t = 20_241_124)]
        seed: u64,
        #[arg(long)]
        out: PathBuf,
    },
    /// NPS scores as raw bytes.
    Scores {
        #[arg(long)]
        rows: usize,
        #[arg(long, default_value_t = 20_241_124)]
        seed: u64,
        #[arg(long)]
        out: PathBuf,
    },
    /// Simulated customer summaries as CSV.
    Cohort {
        #[arg(long)]
        customers: usize,
        #[arg(long, default_value_t = 20_241_124)]
        seed: u64,
        #[arg(long)]
        out: PathBuf,
    },
    /// Simulated BG/BB customers as compressed CSV `frequency,recency,periods,weights`.
    Bgbb {
        #[arg(long)]
        customers: usize,
        /// Transaction opportunities observed per customer.
        #[arg(long, default_value_t = 10)]
        opportunities: u32,
        /// alpha,beta,gamma,delta (default: the published donations estimates).
        #[arg(long, value_delimiter = ',', num_args = 4, default_values_t = BgBbSpec::DONATIONS)]
        params: Vec<f64>,
        #[arg(long, default_value_t = 20_241_124)]
        seed: u64,
        #[arg(long)]
        out: PathBuf,
    },
}

fn main() -> Result<(), Box<dyn std::error::Error>> {
    match Cli::parse().what {
        What::Transactions {
            rows,
            customers,
            seed,
            out,
        } => {
            if customers == 0 || customers > rows {
                return Err("--customers must lie in 1..=rows".into());
            }
            TransactionSpec::new(rows, customers, seed).write_csv(File::create(out)?)?;
        }
        What::Scores { rows, seed, out } => {
            let mut w = BufWriter::new(File::create(out)?);
            w.write_all(&scores::nps_scores(rows, seed))?;
            w.flush()?;
        }
        What::Cohort {
            customers,
            seed,
            out,
        } => {
            let summaries = cohort::simulate(&CohortSpec::cdnow_like(customers, seed));
            cohort::write_csv(&summaries, File::create(out)?)?;
        }
        What::Bgbb {
            customers,
            opportunities,
            params,
            seed,
            out,
        } => {
            let params: [f64; 4] = params
                .try_into()
                .map_err(|_| "--params takes four numbers: alpha,beta,gamma,delta")?;
            let spec = BgBbSpec {
                customers,
                opportunities,
                params,
                seed,
            };
            bgbb::write_csv(&bgbb::simulate(&spec)?, File::create(out)?)?;
        }
    }
    Ok(())
}
