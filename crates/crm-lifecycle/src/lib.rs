//! Data-defined state machines for customers, tickets and deals, and probabilistic churn
//! and lifetime-value models ([`churn`]).
//!
//! # State machines
//!
//! A machine is data ([`definition::MachineDefinition`]): a name, states, one initial state,
//! terminal states (some of them re-openable) and transitions `(from, event, to)` with an
//! optional guard name, loadable from TOML (`[[transition]]` tables) or JSON. Building a
//! machine validates it with `petgraph` ([`validation`]) and reports every finding at once,
//! each naming its states: unknown states, non-determinism, outgoing transitions of terminal
//! states, unreachable states and traps. A built [`machine::Machine`] interns state and
//! event names to dense indices, so a transition is one table lookup, and draws itself as
//! Graphviz DOT or a Mermaid `stateDiagram-v2` ([`diagram`]).
//!
//! At run time an [`instance::Instance`] is plain serde data: the current state and a
//! history of `(from, to, event, time, actor)`. Firing an event checks the transition, its
//! guard (host predicates looked up by name, [`guard::Guards`]) and time order; a rejected
//! event is a typed error and changes nothing. Instances answer time-in-state queries and
//! their histories replay to verify them.
//!
//! ```
//! use chrono::{TimeDelta, TimeZone, Utc};
//! use crm_lifecycle::machine::Machine;
//! use crm_lifecycle::instance::Instance;
//!
//! let m = Machine::from_toml(r#"
//! name = "ticket"
//! initial = "new"
//! terminal = ["closed"]
//! [[transition]]
//! from = "new"
//! event = "assign"
//! to = "open"
//! [[transition]]
//! from = "open"
//! event = "close"
//! to = "closed"
//! "#)?;
//! let t0 = Utc.with_ymd_and_hms(2024, 3, 4, 9, 0, 0).unwrap();
//! let mut t = Instance::new(&m, t0);
//! t.fire(&m, "assign", t0 + TimeDelta::minutes(5), Some("ann"))?;
//! assert!(t.fire(&m, "assign", t0 + TimeDelta::minutes(6), None).is_err());
//! assert_eq!(t.state(), "open");
//! t.verify(&m)?;
//! assert!(m.to_mermaid().contains("s0 --> s2 : assign"));
//! # Ok::<(), Box<dyn std::error::Error>>(())
//! ```
//!
//! # Built-in machines
//!
//! * [`customer`]: the customer lifecycle (`lead → prospect → new → active → at_risk →
//!   churned`, win-back through `won_back`) and a [`customer::classifier`] that assigns the
//!   stage from activity facts and an optional churn probability, moving customers along
//!   legal transitions only.
//! * [`ticket`]: the help-desk workflow (`new → open → pending / on_hold → solved → closed`,
//!   reopen from `solved`), with SLA policies per priority, a clock paused in `pending` and
//!   `on_hold`, business-hours calendars ([`ticket::sla`], [`ticket::calendar`]).
//! * [`deal`]: the sales pipeline (`qualification → needs_analysis → proposal → negotiation
//!   → won / lost`) with funnel analytics: conversion, time in stage, win rate and weighted
//!   pipeline value in exact money ([`deal::funnel`]).
//!
//! State names are the `as_str()` names of `crm_core`'s `LifecycleStage`, `TicketStatus`
//! and `DealStage`.
//!
//! # Performance
//!
//! Repeat with `cargo bench --bench lifecycle` from the workspace's `benches/` directory
//! (criterion, single thread; the run takes about a minute). Figures of two runs on a 2-core
//! x86-64 Linux machine shared with other builds (load average 14–15 during both, so the
//! wall-clock figures include time spent waiting for a core); `on CPU` counts only the time
//! the benchmark thread was running (see the benchmark's documentation):
//!
//! | benchmark | wall clock (two runs) | on CPU (two runs) | target |
//! |---|---|---|---|
//! | `Machine::step`, ticket workflow, 4,096-event walk | 128 / 142 M transitions/s | 369 / 365 M/s | ≥ 10 M/s: met |
//! | `Instance::fire_id` (guards, time order, history entry) | 7.7 / 6.7 M transitions/s | 33.3 / 33.4 M/s¹ | ≥ 10 M/s: met on CPU, missed in wall clock under this load |
//! | `Instance::fire` (event by name) | 5.4 / 4.6 M transitions/s | – | – |
//! | `validate`, generated machine of 10,000 states and 30,000 transitions | 6.9 / 8.6 ms | 1.99 / 1.98 ms | < 10 ms: met |
//! | `MachineDefinition::build` (validate and compile), same machine | 29.7 / 35.7 ms | – | – |
//! | `SlaPolicy::report`, 10,000 tickets, wall-clock hours | 20.5 / 18.0 ms | – | – |
//! | `SlaPolicy::report`, 10,000 tickets, business-hours calendar | 57.6 / 47.6 ms | – | – |
//!
//! ¹ Including creating and dropping the instance. Where the time of `fire` goes: the
//! table lookup itself is the `step` row; the rest is appending the 80-byte history entry
//! (three reference-count increments for the shared state and event names, and growing the
//! history buffer, whose page faults took about 30 % of a `perf` profile of this benchmark)
//! and dropping the entries later.

pub mod churn;
pub mod customer;
pub mod deal;
pub mod definition;
pub mod diagram;
pub mod guard;
pub mod instance;
pub mod machine;
pub mod ticket;
pub mod validation;
