#![doc = include_str!("../README.md")]

mod builtin;
mod customer;
mod deal;
mod definition;
mod diagram;
mod finding;
mod guard;
mod instance;
mod layout;
mod machine;
mod ticket;
mod validation;

pub use builtin::BuiltinMachine;
pub use customer::CUSTOMER_LIFECYCLE;
pub use customer::classifier::{
    ActivityFacts, Advance, Classifier, ClassifyError, LifecycleThresholds,
};
pub use deal::funnel::{
    FunnelError, FunnelReport, StageConversion, StageProbabilities, StageTime, analyze_funnel,
};
pub use deal::performance::{
    Activity, Outcomes, OwnerPerformance, PerformanceConfig, PerformanceError, SalesPeriod,
    StageCount, sales_performance,
};
pub use deal::targets::{Quota, QuotaStatus, quota_status, quota_statuses};
pub use deal::{DEAL_PIPELINE, OPEN_DEAL_STAGES};
pub use definition::{LoadError, MachineDefinition, TransitionDef};
pub use finding::{Finding, ValidationError};
pub use guard::Guards;
pub use instance::{HistoryEntry, Instance, ReplayError, Stay, TransitionError};
pub use layout::{LayerSlot, LayeredLayout, LayoutEdge, LayoutEdgeKind};
pub use machine::{EventId, Machine, StateId, Transition};
pub use ticket::TICKET_WORKFLOW;
pub use ticket::calendar::{BusinessCalendar, CalendarError, OpeningHours};
pub use ticket::sla::{
    BreachRate, SlaError, SlaMeasure, SlaPolicy, SlaReport, SlaTarget, TicketSla, UNASSIGNED_AGENT,
};
pub use validation::validate;
