//! `crm demo`: the synthetic data generator and the end-to-end run.
//!
//! The run, step by step (each step longer than a second shows a progress bar or spinner):
//!
//! 1. [`generate`]: a seeded synthetic data set (customers, buy-till-you-die purchases with
//!    refunds, interactions, tickets with workflow histories, NPS/CSAT/CES answers, deals).
//! 2. [`store::store_and_read_back`]: every record, converted to the `crm-core` types by
//!    [`domain`], is written to a fresh SQLite file through the storage traits and read back
//!    through them (cursor-paged listing for customers, tickets and deals; streaming time
//!    scans for transactions, interactions and survey answers). `summary.json` records the
//!    counts written and read back per kind under `data.database`.
//! 3. The analyses, all on what was read back: [`segmentation`] (RFM segments, R × F heat
//!    map, ABC Pareto curve, value tiers), [`operations`] (ticket SLA report with CSAT by SLA
//!    outcome, deal funnel, customer lifecycle stages), [`churn`] (BG/NBD fit, P(alive), the
//!    frequency/recency matrix, Gamma-Gamma spend, CLV, health scores and risk bands), and
//!    [`satisfaction`] (NPS, CSAT and CES with intervals, monthly trends with bands, NPS by
//!    RFM segment, detractor drivers), plus the built-in state diagrams in [`run`]. Each
//!    section hands its results to a [`collector::Collector`].
//! 4. `DIR/report.html` (self-contained: inline CSS and SVG, no scripts, no network) and
//!    `DIR/summary.json` with every headline figure, then a summary table on the terminal.
//!
//! Ticket and deal workflow histories are not part of the stored records (a stored ticket
//! holds its state and timestamps, not each event), so the SLA clock and the deal funnel
//! replay the generator's histories against the ticket and deal records read back.
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

pub mod churn;
pub mod collector;
pub mod domain;
pub mod generate;
pub mod operations;
pub mod run;
pub mod satisfaction;
pub mod segmentation;
pub mod staged;
pub mod store;
