//! Properties of the state-machine engine and the built-in machines.

use std::collections::BTreeSet;

use chrono::{DateTime, NaiveTime, TimeDelta, TimeZone, Utc};
use crm_lifecycle::{
    ActivityFacts, BusinessCalendar, CUSTOMER_LIFECYCLE, Classifier, DEAL_PIPELINE, Finding,
    Instance, LayerSlot, LayoutEdgeKind, Machine, MachineDefinition, TICKET_WORKFLOW,
    TransitionDef, validate,
};
use proptest::prelude::*;

fn builtins() -> Vec<Machine> {
    vec![
        TICKET_WORKFLOW.machine(),
        DEAL_PIPELINE.machine(),
        CUSTOMER_LIFECYCLE.machine(),
    ]
}

/// A valid random machine: a chain `s0 → … → s(n-1)` to the terminal state plus the
/// `extra` edges (forward, backward and self-loops; never from the terminal state).
fn random_machine(n: usize, extra: &[(usize, usize)]) -> Machine {
    let name = |i: usize| format!("s{i}");
    let mut def = MachineDefinition::new("random", name(0)).with_terminal(name(n - 1));
    for i in 0..n - 1 {
        def.transitions
            .push(TransitionDef::new(name(i), "next", name(i + 1)));
    }
    for (k, (a, b)) in extra.iter().enumerate() {
        let (a, b) = (a % (n - 1), b % n);
        def.transitions
            .push(TransitionDef::new(name(a), format!("x{k}"), name(b)));
    }
    def.build().unwrap()
}

fn t0() -> DateTime<Utc> {
    Utc.with_ymd_and_hms(2024, 1, 1, 0, 0, 0).unwrap()
}

/// An event choice: an index into the machine's events (or one past it for an unknown
/// event) and a time step in minutes (negative steps test time order).
fn steps() -> impl Strategy<Value = Vec<(usize, i64)>> {
    prop::collection::vec((0usize..32, -5i64..600), 0..80)
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(256))]

    /// Random event sequences never leave the declared states, rejected events leave the
    /// instance unchanged, accepted ones append exactly one entry, and replaying the
    /// history reproduces the instance.
    #[test]
    fn random_events_on_builtin_machines(which in 0usize..3, steps in steps()) {
        let m = &builtins()[which];
        let declared: BTreeSet<&str> = m.states().collect();
        let events: Vec<String> = m.events().map(str::to_string).collect();
        let mut instance = Instance::new(m, t0());
        let mut now = t0();
        for (choice, minutes) in steps {
            let event = events.get(choice % (events.len() + 1)).map_or("no_such_event", String::as_str);
            let at = now + TimeDelta::minutes(minutes);
            let before = instance.clone();
            let expected = m.next_state(instance.state(), event).map(str::to_string);
            match instance.fire(m, event, at, Some("prop")) {
                Ok(state) => {
                    prop_assert_eq!(Some(state.to_string()), expected);
                    prop_assert!(at >= before.last_changed());
                    prop_assert_eq!(instance.history().len(), before.history().len() + 1);
                    now = at;
                }
                Err(_) => prop_assert_eq!(&instance, &before),
            }
            prop_assert!(declared.contains(instance.state()));
        }
        let replayed = Instance::replay(m, t0(), instance.history()).unwrap();
        prop_assert_eq!(&replayed, &instance);
        instance.verify(m).unwrap();
        // Time in states adds up to the whole life of the instance.
        let end = now + TimeDelta::hours(1);
        let total: TimeDelta = instance.time_in_states(end).values().copied().sum();
        prop_assert_eq!(total, end - t0());
    }

    /// A valid random machine (a chain to the terminal state plus random forward and
    /// backward edges) with planted unreachable states and traps: validation reports
    /// exactly the planted findings.
    #[test]
    fn planted_defects_are_always_caught(
        n in 2usize..40,
        extra in prop::collection::vec((0usize..40, 0usize..40), 0..60),
        islands in 0usize..4,
        traps in prop::collection::vec(0usize..40, 0..4),
    ) {
        let name = |i: usize| format!("s{i}");
        let mut def = MachineDefinition::new("random", name(0)).with_terminal(name(n - 1));
        for i in 0..n - 1 {
            def.transitions.push(TransitionDef::new(name(i), "next", name(i + 1)));
        }
        for (k, (a, b)) in extra.iter().enumerate() {
            let (a, b) = (a % (n - 1), b % n); // never from the terminal state
            def.transitions.push(TransitionDef::new(name(a), format!("x{k}"), name(b)));
        }
        prop_assert_eq!(validate(&def), vec![]);
        let mut expected = BTreeSet::new();
        for k in 0..islands {
            // An island reaches the terminal state but nothing reaches it.
            def.transitions.push(TransitionDef::new(format!("island{k}"), "swim", name(n - 1)));
            expected.insert(Finding::Unreachable { state: format!("island{k}") }.to_string());
        }
        for (k, from) in traps.iter().enumerate() {
            // A pit is entered from a chain state and only leads to another pit.
            let pit = format!("pit{k}");
            let floor = format!("floor{k}");
            def.transitions.push(TransitionDef::new(name(from % (n - 1)), format!("fall{k}"), pit.clone()));
            def.transitions.push(TransitionDef::new(pit.clone(), "dig", floor.clone()));
            def.transitions.push(TransitionDef::new(floor.clone(), "climb", pit.clone()));
            expected.insert(Finding::Trap { state: pit }.to_string());
            expected.insert(Finding::Trap { state: floor }.to_string());
        }
        let found: BTreeSet<String> = validate(&def).iter().map(ToString::to_string).collect();
        prop_assert_eq!(&found, &expected);
        prop_assert_eq!(def.build().is_ok(), expected.is_empty());
    }

    /// The layered layout of any valid machine: every state in exactly one place, forward
    /// edges to later layers and back edges to earlier ones, one bend in every layer an
    /// edge passes, and the crossings it reports are the crossings a quadratic count finds.
    #[test]
    fn layered_layout_is_consistent(
        n in 2usize..24,
        extra in prop::collection::vec((0usize..24, 0usize..24), 0..40),
    ) {
        let m = random_machine(n, &extra);
        let layout = m.layered_layout();
        // Every place named once, and the layers agree with the places and bends.
        let mut states = 0;
        let mut bends = vec![0; layout.edges().len()];
        for (l, layer) in layout.layers().iter().enumerate() {
            for (i, slot) in layer.iter().enumerate() {
                match *slot {
                    LayerSlot::State(s) => {
                        states += 1;
                        prop_assert_eq!(layout.place(s), Some((l, i)));
                    }
                    LayerSlot::Bend(k) => {
                        bends[k] += 1;
                        prop_assert!(layout.edges()[k].bends.contains(&(l, i)));
                    }
                }
            }
        }
        prop_assert_eq!(states, m.state_count());
        prop_assert_eq!(layout.place(m.initial_id()).map(|p| p.0), Some(0));
        let mut transitions = 0;
        for (k, e) in layout.edges().iter().enumerate() {
            transitions += e.events.len();
            let (a, b) = (layout.place(e.from).unwrap().0, layout.place(e.to).unwrap().0);
            match e.kind {
                LayoutEdgeKind::Forward => prop_assert!(a < b),
                LayoutEdgeKind::Back => prop_assert!(a > b),
                LayoutEdgeKind::SelfLoop => prop_assert_eq!(e.from, e.to),
            }
            prop_assert_eq!(bends[k], e.bends.len());
            let passed: Vec<usize> = e.bends.iter().map(|b| b.0).collect();
            let expected: Vec<usize> = if a <= b {
                (a + 1..b).collect()
            } else {
                (b + 1..a).rev().collect()
            };
            prop_assert_eq!(passed, expected);
        }
        prop_assert_eq!(transitions, m.definition().transitions.len());
        // Crossings, pair by pair: the pieces of every edge between neighbouring layers.
        let mut pieces: Vec<(usize, usize, usize)> = Vec::new(); // (layer, upper, lower)
        for e in layout.edges().iter().filter(|e| e.kind != LayoutEdgeKind::SelfLoop) {
            let mut path = vec![layout.place(e.from).unwrap()];
            path.extend(e.bends.iter().copied());
            path.push(layout.place(e.to).unwrap());
            if e.kind == LayoutEdgeKind::Back {
                path.reverse();
            }
            for w in path.windows(2) {
                pieces.push((w[0].0, w[0].1, w[1].1));
            }
        }
        let mut crossings = 0;
        for (i, p) in pieces.iter().enumerate() {
            for q in &pieces[i + 1..] {
                if p.0 == q.0 && ((p.1 < q.1 && p.2 > q.2) || (p.1 > q.1 && p.2 < q.2)) {
                    crossings += 1;
                }
            }
        }
        prop_assert_eq!(layout.crossings(), crossings);
    }

    /// `shortest_path` finds a path of the length a relaxation over all transitions finds,
    /// and following its events leads from the start to the goal.
    #[test]
    fn shortest_paths_are_shortest(
        n in 2usize..16,
        extra in prop::collection::vec((0usize..16, 0usize..16), 0..24),
        from in 0usize..16,
        to in 0usize..16,
    ) {
        let m = random_machine(n, &extra);
        let (from, to) = (from % n, to % n);
        let id = |i: usize| m.state_id(&format!("s{i}")).unwrap();
        let mut distance = vec![usize::MAX; n];
        distance[id(from).index()] = 0;
        for _ in 0..n {
            for t in &m.definition().transitions {
                let (a, b) = (m.state_id(&t.from).unwrap().index(), m.state_id(&t.to).unwrap().index());
                if distance[a] != usize::MAX {
                    distance[b] = distance[b].min(distance[a] + 1);
                }
            }
        }
        match m.shortest_path(id(from), id(to)) {
            Some(path) => {
                prop_assert_eq!(path.len(), distance[id(to).index()]);
                let mut here = id(from);
                for event in path {
                    here = m.step(here, event).unwrap();
                }
                prop_assert_eq!(here, id(to));
            }
            None => prop_assert_eq!(distance[id(to).index()], usize::MAX),
        }
    }

    /// Validation never panics on arbitrary small definitions (names from a tiny alphabet
    /// so that they collide), reports non-determinism exactly, and whatever it accepts
    /// compiles, runs and draws.
    #[test]
    fn validation_never_panics(
        states in prop::collection::vec("[abc]{0,2}", 0..5),
        initial in "[abc]{0,2}",
        terminal in prop::collection::vec("[abc]{0,2}", 0..3),
        reopenable in prop::collection::vec("[abc]{0,2}", 0..2),
        transitions in prop::collection::vec(("[abc]{0,2}", "[xy]", "[abc]{0,2}"), 0..10),
    ) {
        let def = MachineDefinition {
            name: "arbitrary".into(),
            states,
            initial,
            terminal,
            reopenable,
            transitions: transitions
                .into_iter()
                .map(|(f, e, t)| TransitionDef::new(f, e, t))
                .collect(),
        };
        let findings = validate(&def);
        // Non-determinism against a quadratic reference: every (from, event) with several
        // transitions between declared states, targets in definition order, keys in the
        // order of their second transition.
        let declared = |s: &str| def.states.is_empty() || def.states.iter().any(|d| d == s);
        let known: Vec<&TransitionDef> =
            def.transitions.iter().filter(|t| declared(&t.from) && declared(&t.to)).collect();
        let mut reference: Vec<(usize, Finding)> = Vec::new();
        for (j, t) in known.iter().enumerate() {
            let same: Vec<usize> = (0..known.len())
                .filter(|&i| known[i].from == t.from && known[i].event == t.event)
                .collect();
            if same.len() > 1 && same[1] == j {
                reference.push((j, Finding::NonDeterministic {
                    state: t.from.clone(),
                    event: t.event.clone(),
                    targets: same.iter().map(|&i| known[i].to.clone()).collect(),
                }));
            }
        }
        let reported: Vec<&Finding> = findings
            .iter()
            .filter(|f| matches!(f, Finding::NonDeterministic { .. }))
            .collect();
        prop_assert_eq!(reported, reference.iter().map(|(_, f)| f).collect::<Vec<_>>());
        match def.build() {
            Ok(m) => {
                prop_assert!(findings.is_empty());
                prop_assert_eq!(m.to_mermaid().matches(" : ").count(), def.transitions.len());
                prop_assert_eq!(m.to_dot().matches(" [label=").count(), def.transitions.len());
                let back = Machine::from_toml(&def.to_toml()).unwrap();
                prop_assert_eq!(back, m);
            }
            Err(e) => prop_assert_eq!(e.findings, findings),
        }
    }

    /// The TOML and JSON loaders never panic on arbitrary text.
    #[test]
    fn loaders_never_panic(text in ".{0,200}") {
        let _ = Machine::from_toml(&text);
        let _ = Machine::from_json(&text);
    }

    /// Business time is additive over adjacent intervals and never exceeds wall time.
    #[test]
    fn business_time_is_additive(a in 0i64..2_000_000, b in 0i64..2_000_000, c in 0i64..2_000_000) {
        let mut v = [a, b, c];
        v.sort();
        let at = |s: i64| t0() + TimeDelta::minutes(s / 60) + TimeDelta::seconds(s % 60);
        let cal = BusinessCalendar::weekdays(
            chrono_tz::America::New_York,
            NaiveTime::from_hms_opt(9, 0, 0).unwrap(),
            NaiveTime::from_hms_opt(17, 30, 0).unwrap(),
        )
        .unwrap();
        let (x, y, z) = (at(v[0] * 60), at(v[1] * 60), at(v[2] * 60));
        let whole = cal.working_time(x, z);
        prop_assert_eq!(cal.working_time(x, y) + cal.working_time(y, z), whole);
        prop_assert!(whole <= z - x);
        prop_assert!(whole >= TimeDelta::zero());
    }

    /// The classifier never panics on arbitrary facts, and every move it makes is a legal
    /// path of the lifecycle machine (the history replays).
    #[test]
    fn classifier_moves_are_legal(
        start in 0usize..7,
        first in prop::option::of(0i64..2_000),
        since_first in 0i64..2_000,
        gap in prop::option::of(-1.0f64..200.0),
        p in prop::option::of(-0.2f64..1.2),
        qualified in any::<bool>(),
    ) {
        let m = CUSTOMER_LIFECYCLE.machine();
        let stage = m.states().nth(start).unwrap().to_string();
        let now = t0() + TimeDelta::days(3_000);
        let mut instance = Instance::starting_in(&m, &stage, t0()).unwrap();
        let facts = ActivityFacts {
            qualified,
            first_purchase: first.map(|d| now - TimeDelta::days(d)),
            last_purchase: first.map(|d| now - TimeDelta::days(d - d.min(since_first))),
            typical_gap_days: gap,
            churn_probability: p,
        };
        let before = instance.clone();
        match Classifier::default().advance(&m, &mut instance, &facts, now) {
            Ok(step) => {
                prop_assert_eq!(step.from.as_str(), stage.as_str());
                prop_assert_eq!(step.to.as_str(), instance.state());
                prop_assert_eq!(step.events.len(), instance.history().len());
                instance.verify(&m).unwrap();
            }
            Err(_) => prop_assert_eq!(&instance, &before),
        }
    }
}

mod aggregates {
    use super::*;
    use crm_core::{Channel, Deal, Ticket, TicketCategory, TicketPriority};
    use crm_lifecycle::{BreachRate, SlaPolicy};
    use crm_lifecycle::{StageProbabilities, analyze_funnel};

    /// A ticket workflow driven by random legal events (never `close`), with the ticket's
    /// status kept in step.
    fn ticket_with_flow(
        id: usize,
        choices: &[(usize, i64)],
        priority: usize,
        agent: usize,
    ) -> (Ticket, Instance) {
        let m = TICKET_WORKFLOW.machine();
        let mut flow = Instance::new(&m, t0());
        let mut now = t0();
        for (choice, minutes) in choices {
            let options: Vec<_> = m
                .outgoing(m.state_id(flow.state()).unwrap())
                .filter(|(e, _)| m.event_name(*e) != "close")
                .collect();
            let (event, _) = options[choice % options.len()];
            now += TimeDelta::minutes(minutes.abs());
            flow.fire_id(&m, event, now, None).unwrap();
        }
        let mut t = Ticket::new(
            format!("T-{id}").parse().unwrap(),
            "C-1".parse().unwrap(),
            TicketCategory::ALL[id % TicketCategory::ALL.len()],
            Channel::Email,
            t0(),
        );
        t.priority = TicketPriority::ALL[priority % 4];
        t.status = flow.state().parse().unwrap();
        t.assignee = (agent > 0).then(|| format!("agent{agent}").parse().unwrap());
        t.first_response_at = flow.history().first().map(|e| e.at);
        (t, flow)
    }

    proptest! {
        #![proptest_config(ProptestConfig::with_cases(128))]

        /// The SLA clock never exceeds wall time, never decreases as time passes, and every
        /// breakdown of a batch report adds up to the overall figures.
        #[test]
        fn sla_clock_and_report_laws(
            tickets in prop::collection::vec(
                (prop::collection::vec((0usize..8, 0i64..900), 0..12), 0usize..4, 0usize..3),
                1..20,
            ),
            later in 0i64..10_000,
        ) {
            let policy = SlaPolicy::default();
            let pairs: Vec<_> = tickets
                .iter()
                .enumerate()
                .map(|(i, (c, p, a))| ticket_with_flow(i, c, *p, *a))
                .collect();
            let now = t0() + TimeDelta::days(30);
            for (t, flow) in &pairs {
                let a = policy.clock(flow, t.created_at, now).unwrap();
                let b = policy.clock(flow, t.created_at, now + TimeDelta::minutes(later)).unwrap();
                prop_assert!(a >= TimeDelta::zero());
                prop_assert!(a <= now - t.created_at);
                prop_assert!(b >= a);
                let sla = policy.evaluate(t, flow, now).unwrap();
                prop_assert!(sla.first_response.elapsed() <= sla.resolution.elapsed());
                prop_assert_eq!(sla.resolution.remaining() + sla.resolution.elapsed(), sla.resolution.target());
            }
            let report = policy.report(pairs.iter().map(|(t, f)| (t, f)), now).unwrap();
            prop_assert_eq!(report.overall.tickets, pairs.len());
            for groups in [&report.by_priority, &report.by_agent, &report.by_category] {
                let sum = groups.values().fold(BreachRate::default(), |acc, g| BreachRate {
                    tickets: acc.tickets + g.tickets,
                    breached: acc.breached + g.breached,
                });
                prop_assert_eq!(sum, report.overall);
            }
        }

        /// Funnel laws: reached counts never increase along the funnel, open + won + lost is
        /// every deal, and the weighted pipeline never exceeds the open pipeline.
        #[test]
        fn funnel_laws(
            deals in prop::collection::vec(
                (prop::collection::vec((0usize..4, 0i64..30), 0..6), 1u32..100_000),
                1..30,
            ),
        ) {
            let m = DEAL_PIPELINE.machine();
            let mut pairs = Vec::new();
            for (i, (choices, cents)) in deals.iter().enumerate() {
                let mut h = Instance::new(&m, t0());
                let mut now = t0();
                for (choice, days) in choices {
                    let options: Vec<_> = m.outgoing(m.state_id(h.state()).unwrap()).collect();
                    if options.is_empty() {
                        break;
                    }
                    now += TimeDelta::days(*days);
                    h.fire_id(&m, options[choice % options.len()].0, now, None).unwrap();
                }
                let amount = crm_core::Money::new(
                    rust_decimal::Decimal::new(i64::from(*cents), 2),
                    crm_core::Currency::EUR,
                );
                let mut d = Deal::new(format!("D-{i}").parse().unwrap(), "C-1".parse().unwrap(), "deal", amount, t0()).unwrap();
                d.stage = h.state().parse().unwrap();
                pairs.push((d, h));
            }
            let report = analyze_funnel(pairs.iter().map(|(d, h)| (d, h)), &StageProbabilities::default()).unwrap();
            prop_assert_eq!(report.open + report.won + report.lost, pairs.len());
            prop_assert_eq!(report.conversions[0].reached_from, pairs.len());
            for w in report.conversions.windows(2) {
                prop_assert_eq!(w[0].reached_to, w[1].reached_from);
                prop_assert!(w[0].reached_from >= w[0].reached_to);
            }
            for (open, weighted) in report.open_pipeline.iter().zip(&report.weighted_pipeline) {
                prop_assert!(weighted.amount() <= open.amount());
                prop_assert!(weighted.amount() >= rust_decimal::Decimal::ZERO);
            }
            for t in &report.time_in_stage {
                prop_assert_eq!(t.mean_seconds.is_some(), t.stays > 0);
            }
        }
    }
}
