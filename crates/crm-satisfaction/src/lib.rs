//! Mergeable NPS, CSAT and CES aggregation with honest statistics.
//!
//! Satisfaction surveys are aggregated into small commutative monoids of exact integer
//! counts — [`Nps`] (detractors, passives, promoters), [`Csat`] (counts per point of a
//! declared scale, default 1–5) and [`Ces`] (counts per point of 1–7) — so the same code runs
//! incrementally as responses arrive, in parallel, or as a partial aggregate inside a
//! distributed query engine: any split of the responses, aggregated in any order and merged,
//! gives the identical value. Memory is proportional to the scale, never to the responses.
//!
//! Everything works on plain scores (`u8`) and generic keys; nothing here does I/O.
//!
//! * Statistics: value, counts, shares, standard errors, Wald intervals plus an interval with
//!   better small-sample coverage (adjusted Wald for NPS, Wilson for shares, Student t for
//!   means), a small-sample flag ([`StatsConfig`]); empty inputs give empty results, never NaN.
//! * Differences between groups or periods with z-tests and p-values ([`Difference`]).
//! * Breakdowns by any key ([`Breakdown`], and [`nps_by_group`] for dense keys), by time
//!   bucket with rolling windows and trend flags ([`Timeline`], [`trends`]).
//! * Driver analysis: lift of tags among negative answers ([`DriverCounts`]).
//! * Joins with service data: scores by agent, ticket category and SLA outcome
//!   ([`join_service`]).
//! * Batches with de-duplication and counted rejections ([`aggregate_batch`]).
//! * Adapters from `crm_core` survey responses and tickets ([`aggregate_responses`],
//!   [`breakdown_responses`], [`timeline_responses`], [`drivers_responses`],
//!   [`join_ticket_responses`]).
//!
//! ```
//! use crm_satisfaction::{Breakdown, Nps, StatsConfig};
//!
//! let scores = [10, 9, 8, 6, 10, 3, 9, 9];
//! let whole = Nps::from_scores(&scores).unwrap();
//! let mut left = Nps::from_scores(&scores[..3]).unwrap();
//! left.merge(&Nps::from_scores(&scores[3..]).unwrap());
//! assert_eq!(left, whole);
//!
//! let report = whole.report(&StatsConfig::default());
//! let e = report.estimate.unwrap();
//! assert_eq!(e.score, 37.5); // 5 promoters, 2 detractors of 8
//! assert!(e.wald.contains(37.5));
//! assert!(report.small_sample);
//! ```
//!
//! # Performance
//!
//! Column kernels ([`Nps::from_scores`], [`Csat::from_scores`], [`Ces::from_scores`]) are
//! branch-free and written so that the compiler vectorizes them on the baseline x86-64 target
//! (SSE2), without `unsafe` and without `target-cpu=native`; see the `counting` module.

#![forbid(unsafe_code)]

mod aggregate;
mod batch;
mod breakdown;
mod ces;
pub mod compare;
mod counting;
mod csat;
mod drivers;
mod error;
mod nps;
mod points;
mod responses;
mod service;
pub mod stats;
mod timeline;

pub use aggregate::Aggregator;
pub use batch::{BatchOutcome, Dedup, Rejection, aggregate_batch};
pub use breakdown::{Breakdown, nps_by_group};
pub use ces::{CES_MAX, CES_MIN, Ces, CesReport, CesScale};
pub use compare::Difference;
pub use csat::{Csat, CsatReport, CsatScale};
pub use drivers::{Driver, DriverCounts, TagCounts};
pub use error::SatisfactionError;
pub use nps::{NPS_MAX, Nps, NpsCategory, NpsEstimate, NpsReport};
pub use points::MAX_POINTS;
pub use responses::{
    FromSurvey, ResponsePass, aggregate_responses, breakdown_responses, drivers_responses,
    join_ticket_responses, service_tickets, timeline_responses,
};
pub use service::{ServiceJoin, ServiceTicket, join_service};
pub use stats::{ConfidenceLevel, Interval, MeanEstimate, ProportionEstimate, StatsConfig};
pub use timeline::{TimeBucket, Timeline, Trend, TrendDirection, trends};
