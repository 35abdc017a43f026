//! Loading host-written machine definitions from files, validating them and drawing them.

use chrono::{TimeDelta, TimeZone, Utc};
use crm_lifecycle::Finding;
use crm_lifecycle::Guards;
use crm_lifecycle::Machine;
use crm_lifecycle::MachineDefinition;
use crm_lifecycle::{Instance, TransitionError};

const ESCALATION: &str = include_str!("fixtures/escalation.toml");
const BROKEN: &str = include_str!("fixtures/broken.json");

#[test]
fn toml_fixture_loads_runs_and_draws() {
    let m = Machine::from_toml(ESCALATION).unwrap();
    assert_eq!(m.state_count(), 5);
    assert_eq!(m.initial(), "triage");
    assert!(m.is_terminal("rejected"));

    struct Case {
        diagnostics: bool,
    }
    let guards = Guards::new().with("has_diagnostics", |c: &Case| c.diagnostics);
    let t0 = Utc.with_ymd_and_hms(2024, 5, 1, 8, 0, 0).unwrap();
    let mut i = Instance::new(&m, t0);
    let no = Case { diagnostics: false };
    let yes = Case { diagnostics: true };
    i.fire_guarded(&m, &guards, &no, "accept", t0, Some("ann"))
        .unwrap();
    let err = i
        .fire_guarded(&m, &guards, &no, "escalate", t0 + TimeDelta::hours(1), None)
        .unwrap_err();
    assert!(matches!(err, TransitionError::GuardRejected { .. }));
    i.fire_guarded(
        &m,
        &guards,
        &yes,
        "escalate",
        t0 + TimeDelta::hours(2),
        Some("ann"),
    )
    .unwrap();
    i.fire(&m, "resolve", t0 + TimeDelta::hours(5), Some("bob"))
        .unwrap();
    i.fire(&m, "reopen", t0 + TimeDelta::hours(6), None)
        .unwrap();
    assert_eq!(i.state(), "first_line");
    let times = i.time_in_states(t0 + TimeDelta::hours(7));
    assert_eq!(times["first_line"], TimeDelta::hours(3));
    assert_eq!(times["second_line"], TimeDelta::hours(3));
    i.verify(&m).unwrap();

    // The instance survives a JSON round trip and still verifies.
    let json = serde_json::to_string(&i).unwrap();
    let back: Instance = serde_json::from_str(&json).unwrap();
    assert_eq!(back, i);
    back.verify(&m).unwrap();

    let dot = m.to_dot();
    assert!(
        dot.contains("\"first_line\" -> \"second_line\" [label=\"escalate [has_diagnostics]\"];")
    );
    assert!(dot.contains("\"rejected\" [shape=doublecircle];"));
    let mermaid = m.to_mermaid();
    assert!(
        mermaid.contains("s3 --> s4 : escalate [has_diagnostics]"),
        "{mermaid}"
    );

    // TOML → definition → TOML is lossless.
    let def = MachineDefinition::from_toml(ESCALATION).unwrap();
    assert_eq!(MachineDefinition::from_toml(&def.to_toml()).unwrap(), def);
    assert_eq!(MachineDefinition::from_json(&def.to_json()).unwrap(), def);
}

#[test]
fn json_fixture_reports_every_finding() {
    let err = Machine::from_json(BROKEN).unwrap_err();
    let crm_lifecycle::LoadError::Invalid(err) = err else {
        panic!("expected a validation error, got {err}");
    };
    assert_eq!(err.machine, "broken");
    let expected = vec![
        Finding::UnknownState {
            state: "nowhere".into(),
            from: "middle".into(),
            event: "warp".into(),
            to: "nowhere".into(),
        },
        Finding::TerminalHasOutgoing {
            state: "end".into(),
            event: "again".into(),
            to: "start".into(),
        },
        Finding::NonDeterministic {
            state: "start".into(),
            event: "go".into(),
            targets: vec!["middle".into(), "sink".into()],
        },
        Finding::Unreachable {
            state: "orphan".into(),
        },
        Finding::Trap {
            state: "sink".into(),
        },
    ];
    assert_eq!(err.findings, expected);
    let text = err.to_string();
    assert!(
        text.starts_with("machine \"broken\" is invalid (5 findings)"),
        "{text}"
    );
    for name in ["nowhere", "end", "start", "orphan", "sink"] {
        assert!(text.contains(&format!("\"{name}\"")), "{text}");
    }
}

#[test]
fn builtin_definitions_round_trip_through_toml() {
    for m in [
        crm_lifecycle::TICKET_WORKFLOW.machine(),
        crm_lifecycle::DEAL_PIPELINE.machine(),
        crm_lifecycle::CUSTOMER_LIFECYCLE.machine(),
    ] {
        let text = m.definition().to_toml();
        assert_eq!(Machine::from_toml(&text).unwrap(), m, "{text}");
    }
}
