#![doc = include_str!("../README.md")]

mod aggregate;
mod batch;
mod breakdown;
mod ces;
mod compare;
mod counting;
mod csat;
mod drivers;
mod error;
mod nps;
mod points;
mod responses;
mod scale;
mod service;
mod stats;
mod timeline;

pub use aggregate::Aggregator;
pub use batch::{BatchOutcome, Dedup, Rejection, aggregate_batch};
pub use breakdown::{Breakdown, nps_by_group};
pub use ces::{CES_MAX, CES_MIN, Ces, CesScale};
pub use compare::Difference;
pub use csat::{Csat, CsatScale};
pub use drivers::{Driver, DriverCounts, TagCounts};
pub use error::SatisfactionError;
pub use nps::{NPS_MAX, Nps, NpsCategory, NpsEstimate, NpsReport};
pub use points::MAX_POINTS;
pub use responses::{
    FromSurvey, ResponsePass, aggregate_responses, breakdown_responses, drivers_responses,
    join_ticket_responses, service_tickets, timeline_responses,
};
pub use scale::{BoundedScale, CesReport, CsatReport, ScaleAggregate};
pub use service::{ServiceJoin, ServiceTicket, join_service};
pub use stats::{ConfidenceLevel, Interval, MeanEstimate, ProportionEstimate, StatsConfig};
pub use timeline::{TimeBucket, Timeline, Trend, TrendDirection, trends};
