//! Criterion benchmarks for the lifecycle state machines.
//!
//! * `lifecycle/transitions/*`: a seeded random walk of 4,096 legal events on the built-in
//!   ticket workflow (never closing, so it never ends), run as
//!   - `step`: the bare O(1) table lookup `Machine::step(state, event)`;
//!   - `fire_id`: `Instance::fire_id`, which also checks guards and time order and appends
//!     a history entry (fresh instances made before and dropped after each timed batch);
//!   - `fire_id_with_new_and_drop`: the same with one instance at a time, created and
//!     dropped inside the timed run;
//!   - `fire_by_name`: `Instance::fire` with the event given by name.
//! * `lifecycle/validate/10000_states`: validation of a seeded, valid machine of 10,000
//!   states and 30,000 transitions (`validate`), and validation plus compilation (`build`).
//! * `lifecycle/sla_report/10000_tickets`: `SlaPolicy::report` over 10,000 tickets with
//!   seeded workflows (up to eight legal events each, minutes to a day apart, so many
//!   tickets pause in `pending` / `on_hold` and some span weekends), both in wall-clock time
//!   (`wall_clock`) and in Mon–Fri 09:00–17:00 Europe/Berlin business hours
//!   (`business_hours`).
//! * `lifecycle/on_cpu/*`: `step`, `fire_id` (here with creating and dropping the instance
//!   inside the timed run) and `validate` again, counting only the time the benchmark
//!   thread was on a core (the first field of `/proc/thread-self/schedstat`; Linux only,
//!   skipped elsewhere). The machine these run on is shared, and wall-clock figures also
//!   count the time the thread waited for a core. That counter advances at scheduler ticks,
//!   so each sample runs for at least 300 ms of wall time and is scaled to its iterations.
//!
//! Run with `cargo bench --bench lifecycle` from `benches/` (criterion; a few seconds per
//! benchmark).

use std::hint::black_box;
use std::time::{Duration, Instant};

use chrono::{DateTime, NaiveTime, TimeDelta, TimeZone, Utc};
use criterion::{BatchSize, Criterion, SamplingMode, Throughput, criterion_group, criterion_main};
use crm_core::{Channel, Ticket, TicketCategory, TicketPriority};
use crm_lifecycle::{
    BusinessCalendar, EventId, Instance, Machine, MachineDefinition, SlaPolicy, TICKET_WORKFLOW,
    TransitionDef, validate,
};
use rand::rngs::StdRng;
use rand::{RngExt, SeedableRng};

const WALK: usize = 4_096;
const STATES: usize = 10_000;
const TICKETS: usize = 10_000;
const SEED: u64 = 20_240_601;

/// A seeded random walk of legal events on `machine` that never takes `avoid`.
fn walk(machine: &Machine, avoid: &str, len: usize, seed: u64) -> Vec<EventId> {
    let mut rng = StdRng::seed_from_u64(seed);
    let mut state = machine.initial_id();
    let mut events = Vec::with_capacity(len);
    while events.len() < len {
        let options: Vec<_> = machine
            .outgoing(state)
            .filter(|(e, _)| machine.event_name(*e) != avoid)
            .collect();
        let (event, next) = options[rng.random_range(0..options.len())];
        events.push(event);
        state = next;
    }
    events
}

/// A valid machine of `n` states `s0 … s{n-1}`: a chain `next` to the terminal last state,
/// a `back` edge to the previous state and a `jump` to a seeded random state.
fn generated(n: usize, seed: u64) -> MachineDefinition {
    let mut rng = StdRng::seed_from_u64(seed);
    let name = |i: usize| format!("s{i}");
    let mut def = MachineDefinition::new("generated", name(0)).with_terminal(name(n - 1));
    for i in 0..n - 1 {
        def.transitions
            .push(TransitionDef::new(name(i), "next", name(i + 1)));
        def.transitions.push(TransitionDef::new(
            name(i),
            "back",
            name(i.saturating_sub(1)),
        ));
        def.transitions.push(TransitionDef::new(
            name(i),
            "jump",
            name(rng.random_range(0..n)),
        ));
    }
    def
}

/// `n` tickets created over four weeks, each with a seeded workflow of up to eight legal
/// events; the ticket's status, first response and agent agree with its workflow.
fn tickets(n: usize, seed: u64) -> Vec<(Ticket, Instance)> {
    let machine = TICKET_WORKFLOW.machine();
    let mut rng = StdRng::seed_from_u64(seed);
    let t0 = Utc.with_ymd_and_hms(2024, 3, 4, 8, 0, 0).unwrap();
    (0..n)
        .map(|i| {
            let created = t0 + TimeDelta::minutes(rng.random_range(0..60 * 24 * 28));
            let mut t = Ticket::new(
                format!("T-{i}").parse().expect("ticket id"),
                format!("C-{}", i % 997).parse().expect("customer id"),
                TicketCategory::ALL[rng.random_range(0..TicketCategory::ALL.len())],
                Channel::Email,
                created,
            );
            t.priority = TicketPriority::ALL[rng.random_range(0..TicketPriority::ALL.len())];
            let mut flow = Instance::new(&machine, created);
            let mut at = created;
            for _ in 0..rng.random_range(0..=8) {
                let here = machine.state_id(flow.state()).expect("ticket state");
                let options: Vec<_> = machine.outgoing(here).collect();
                if options.is_empty() {
                    break;
                }
                let (event, _) = options[rng.random_range(0..options.len())];
                at += TimeDelta::minutes(rng.random_range(5..60 * 24));
                let agent = format!("agent-{}", rng.random_range(0..20));
                flow.fire_id(&machine, event, at, Some(&agent))
                    .expect("legal event");
                if t.first_response_at.is_none() {
                    t.first_response_at = Some(at);
                    t.assignee = Some(agent.parse().expect("agent id"));
                }
            }
            t.status = TICKET_WORKFLOW.state(flow.state()).expect("ticket state");
            (t, flow)
        })
        .collect()
}

/// Time the calling thread has spent on a core, from `/proc/thread-self/schedstat`.
fn on_cpu() -> Option<Duration> {
    let text = std::fs::read_to_string("/proc/thread-self/schedstat").ok()?;
    let nanos = text.split_whitespace().next()?.parse().ok()?;
    Some(Duration::from_nanos(nanos))
}

/// Shortest wall time of one on-CPU sample: the schedstat counter advances at scheduler
/// ticks and context switches, so a sample must span many of them.
const MIN_SAMPLE: Duration = Duration::from_millis(300);

/// On-CPU time of `iters` runs of `routine`: runs it at least `iters` times and for at
/// least [`MIN_SAMPLE`] of wall time, and scales the on-CPU time to `iters` runs.
fn cpu_time<T>(iters: u64, mut routine: impl FnMut() -> T) -> Duration {
    let wall = Instant::now();
    let start = on_cpu().expect("schedstat");
    let mut runs = 0u64;
    while runs < iters || wall.elapsed() < MIN_SAMPLE {
        black_box(routine());
        runs += 1;
    }
    let spent = on_cpu().expect("schedstat").saturating_sub(start);
    spent.mul_f64(iters as f64 / runs as f64)
}

fn transitions(c: &mut Criterion) {
    let machine = TICKET_WORKFLOW.machine();
    let events = walk(&machine, "close", WALK, SEED);
    let names: Vec<&str> = events.iter().map(|e| machine.event_name(*e)).collect();
    let t0: DateTime<Utc> = Utc.with_ymd_and_hms(2024, 1, 1, 0, 0, 0).unwrap();
    let at = t0 + TimeDelta::hours(1);

    let mut group = c.benchmark_group("lifecycle/transitions");
    group
        .warm_up_time(Duration::from_secs(1))
        .measurement_time(Duration::from_secs(3));
    group.throughput(Throughput::Elements(WALK as u64));
    group.bench_function("step", |b| {
        b.iter(|| {
            let mut state = machine.initial_id();
            for &event in &events {
                state = machine
                    .step(black_box(state), black_box(event))
                    .expect("walk is legal");
            }
            state
        })
    });
    group.bench_function("fire_id", |b| {
        b.iter_batched(
            || Instance::new(&machine, t0),
            |mut instance| {
                for &event in &events {
                    instance
                        .fire_id(&machine, black_box(event), at, None)
                        .expect("walk is legal");
                }
                instance
            },
            BatchSize::SmallInput,
        )
    });
    group.bench_function("fire_id_with_new_and_drop", |b| {
        b.iter(|| {
            let mut instance = Instance::new(&machine, t0);
            for &event in &events {
                instance
                    .fire_id(&machine, black_box(event), at, None)
                    .expect("walk is legal");
            }
            instance.history().len()
        })
    });
    group.bench_function("fire_by_name", |b| {
        b.iter_batched(
            || Instance::new(&machine, t0),
            |mut instance| {
                for &event in &names {
                    instance
                        .fire(&machine, black_box(event), at, None)
                        .expect("walk is legal");
                }
                instance
            },
            BatchSize::SmallInput,
        )
    });
    group.finish();
}

fn validation(c: &mut Criterion) {
    let def = generated(STATES, SEED);
    assert!(validate(&def).is_empty(), "generated machine is valid");
    let mut group = c.benchmark_group("lifecycle/validate/10000_states");
    group
        .sample_size(20)
        .warm_up_time(Duration::from_secs(1))
        .measurement_time(Duration::from_secs(3));
    group.bench_function("validate", |b| b.iter(|| validate(black_box(&def))));
    group.bench_function("build", |b| b.iter(|| black_box(&def).build()));
    group.finish();
}

fn sla(c: &mut Criterion) {
    let batch = tickets(TICKETS, SEED);
    let now = Utc.with_ymd_and_hms(2024, 4, 8, 12, 0, 0).unwrap();
    let hour = |h| NaiveTime::from_hms_opt(h, 0, 0).expect("hour");
    let wall_clock = SlaPolicy::default();
    let business_hours = SlaPolicy::default().with_calendar(
        BusinessCalendar::weekdays(
            "Europe/Berlin".parse().expect("time zone"),
            hour(9),
            hour(17),
        )
        .expect("calendar"),
    );
    let mut group = c.benchmark_group("lifecycle/sla_report/10000_tickets");
    group
        .sample_size(10)
        .warm_up_time(Duration::from_secs(1))
        .measurement_time(Duration::from_secs(3))
        .throughput(Throughput::Elements(TICKETS as u64));
    for (name, policy) in [
        ("wall_clock", &wall_clock),
        ("business_hours", &business_hours),
    ] {
        group.bench_function(name, |b| {
            b.iter(|| {
                policy
                    .report(batch.iter().map(|(t, f)| (t, f)), black_box(now))
                    .expect("consistent tickets")
            })
        });
    }
    group.finish();
}

/// The two targets again, in on-CPU time (Linux only).
fn on_cpu_time(c: &mut Criterion) {
    if on_cpu().is_none() {
        return;
    }
    let machine = TICKET_WORKFLOW.machine();
    let events = walk(&machine, "close", WALK, SEED);
    let t0: DateTime<Utc> = Utc.with_ymd_and_hms(2024, 1, 1, 0, 0, 0).unwrap();
    let at = t0 + TimeDelta::hours(1);
    let mut group = c.benchmark_group("lifecycle/on_cpu");
    group
        .sample_size(10)
        .warm_up_time(Duration::from_millis(500))
        .measurement_time(Duration::from_secs(3))
        .sampling_mode(SamplingMode::Flat);
    group.throughput(Throughput::Elements(WALK as u64));
    group.bench_function("transitions/step", |b| {
        b.iter_custom(|iters| {
            cpu_time(iters, || {
                let mut state = machine.initial_id();
                for &event in &events {
                    state = machine
                        .step(black_box(state), black_box(event))
                        .expect("walk is legal");
                }
                state
            })
        })
    });
    group.bench_function("transitions/fire_id_with_new_and_drop", |b| {
        b.iter_custom(|iters| {
            cpu_time(iters, || {
                let mut instance = Instance::new(&machine, t0);
                for &event in &events {
                    instance
                        .fire_id(&machine, black_box(event), at, None)
                        .expect("walk is legal");
                }
                instance.history().len()
            })
        })
    });
    let def = generated(STATES, SEED);
    group.throughput(Throughput::Elements(1));
    group.bench_function("validate/10000_states", |b| {
        b.iter_custom(|iters| cpu_time(iters, || validate(black_box(&def))))
    });
    group.finish();
}

criterion_group!(benches, transitions, validation, sla, on_cpu_time);
criterion_main!(benches);
