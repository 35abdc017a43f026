//! `crm demo`: the synthetic data generator and the end-to-end run.
//!
//! The run, step by step (each step longer than a second shows a progress bar or spinner):
//!
//! 1. [`generate`]: a seeded synthetic data set (customers, buy-till-you-die purchases with
//!    refunds, interactions, tickets with workflow histories, NPS/CSAT/CES answers, deals).
//! 2. [`store::store`]: every record, converted to the `crm-core` types by [`domain`], is
//!    written through the storage traits to a fresh SQLite file built beside `--db`
//!    ([`staged`]), which replaces `--db` only once the whole run has succeeded.
//! 3. The report, exactly as `crm report --db` makes it: every record read back through the
//!    traits, then every analysis of [`crate::report::build`] as of the end of the
//!    generated observation window. `summary.json` records the counts written and read
//!    back per kind under `data.database`.
//!
//! The generated tickets and deals have full workflow histories, but only what a stored
//! record holds reaches the report: the SLA clock and the deal funnel run on the records'
//! own timestamps and stages, as they do on a user's data.
//!
//! # Run time
//!
//! Nearly all of the wall time is the SQLite write and read-back; the `step_seconds` entry
//! of `summary.json` gives each step's time. Measured figures are kept in
//! `benches/RESULTS.md`; repeat the measurement with:
//!
//! ```text
//! cargo build --release -p crm-cli
//! for i in 1 2 3 4 5; do
//!     /usr/bin/time -v target/release/crm demo --db /tmp/crm-demo.db --out /tmp/crm-report
//! done
//! ```

pub mod campaigns;
pub mod domain;
pub mod generate;
pub mod run;
pub mod staged;
pub mod store;
