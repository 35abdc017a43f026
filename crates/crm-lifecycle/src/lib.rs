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
//! (criterion, single thread; the run takes about a minute). Medians of three runs, with
//! their range, on a 2-core x86-64 Linux machine shared with other builds (load average
//! 13–16 during all three, so the wall-clock figures include time spent waiting for a core);
//! `on CPU` counts only the time the benchmark thread was running (see the benchmark's
//! documentation):
//!
//! | benchmark | wall clock | on CPU | target |
//! |---|---|---|---|
//! | `Machine::step`, ticket workflow, 4,096-event walk | 136 M transitions/s (128–142) | 368 M/s (365–369) | ≥ 10 M/s: met |
//! | `Instance::fire_id` (guards, time order, history entry), instance made and dropped outside the timing | 7.7 M transitions/s (6.7–7.8) | – | ≥ 10 M/s: missed in wall clock under this load |
//! | `Instance::fire_id`, instance made and dropped inside the timing | 10.3 M transitions/s (one run) | 33.3 M/s (28.8–33.4) | ≥ 10 M/s: met on CPU, at the target in wall clock under this load |
//! | `Instance::fire` (event by name) | 5.3 M transitions/s (4.6–5.4) | – | – |
//! | `validate`, generated machine of 10,000 states and 30,000 transitions | 6.9 ms (5.8–8.6) | 1.99 ms (1.98–1.99) | < 10 ms: met |
//! | `MachineDefinition::build` (validate and compile), same machine | 29.7 ms (24.4–35.7) | – | – |
//! | `SlaPolicy::report`, 10,000 tickets, wall-clock hours | 18.0 ms (14.3–20.5) | – | – |
//! | `SlaPolicy::report`, 10,000 tickets, business-hours calendar | 47.6 ms (38.4–57.6) | – | – |
//!
//! Where the time of `fire` goes: the table lookup itself is the `step` row; the rest is
//! appending the 80-byte history entry (three reference-count increments for the shared
//! state and event names, and growing the history buffer, whose page faults took about 30 %
//! of a `perf` profile of the first `fire_id` row, which keeps a batch of 4,096-entry
//! instances alive at once) and dropping the entries later. Looking an event up by name
//! costs the rest of the `fire` row.

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
