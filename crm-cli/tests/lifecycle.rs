//! `crm lifecycle validate|dot|mermaid`.

mod common;

use common::{crm, fails, fixture_arg, stderr, stdout};

#[test]
fn a_valid_machine_validates() {
    let o = crm(&[
        "lifecycle",
        "validate",
        &fixture_arg("machines/ticket.toml"),
    ]);
    assert!(o.status.success(), "{}", stderr(&o));
    assert!(stdout(&o).contains("valid state machine \"ticket\" (5 states, 5 transitions)"));
}

#[test]
fn every_finding_of_a_bad_machine_is_listed_with_status_4() {
    let o = crm(&[
        "lifecycle",
        "validate",
        &fixture_arg("machines/broken.toml"),
    ]);
    assert_eq!(o.status.code(), Some(4));
    let e = stderr(&o);
    assert!(
        e.contains("is not a valid state machine (4 findings)"),
        "{e}"
    );
    assert!(
        e.contains("state \"open\" has 2 transitions on event \"solve\""),
        "{e}"
    );
    assert!(
        e.contains("state \"archived\" is not reachable from the initial state"),
        "{e}"
    );
    assert!(
        e.contains("no terminal state is reachable from state \"limbo\""),
        "{e}"
    );
    // Drawing a bad machine fails the same way.
    let o = crm(&["lifecycle", "dot", &fixture_arg("machines/broken.toml")]);
    assert_eq!(o.status.code(), Some(4));
}

#[test]
fn a_syntax_error_names_line_and_column() {
    fails(
        &[
            "lifecycle",
            "validate",
            &fixture_arg("machines/syntax.toml"),
        ],
        3,
        "syntax.toml, line 2, column 11: expected a TOML machine definition",
    );
}

#[test]
fn dot_and_mermaid_of_files_and_builtins() {
    let o = crm(&["lifecycle", "dot", &fixture_arg("machines/ticket.toml")]);
    assert!(o.status.success());
    let dot = stdout(&o);
    assert!(dot.starts_with("digraph \"ticket\" {"));
    assert!(dot.contains("\"new\" -> \"open\" [label=\"assign\"];"));
    assert!(dot.contains("\"closed\" [shape=doublecircle];"));
    for which in ["customer", "ticket", "deal"] {
        let o = crm(&["lifecycle", "mermaid", "--builtin", which]);
        assert!(o.status.success());
        assert!(stdout(&o).starts_with("stateDiagram-v2"));
        let o = crm(&["lifecycle", "dot", "--builtin", which]);
        assert!(
            stdout(&o).starts_with(&format!("digraph \"{which}")),
            "{}",
            stdout(&o)
        );
    }
    let o = crm(&["lifecycle", "dot"]);
    assert_eq!(o.status.code(), Some(2), "FILE or --builtin is required");
}

#[test]
fn json_machines_validate_and_draw() {
    let o = crm(&["lifecycle", "validate", &fixture_arg("machines/deal.json")]);
    assert!(o.status.success(), "{}", stderr(&o));
    assert!(stdout(&o).contains("valid state machine \"deal\" (4 states, 4 transitions)"));
    let o = crm(&["lifecycle", "mermaid", &fixture_arg("machines/deal.json")]);
    assert!(o.status.success(), "{}", stderr(&o));
    let m = stdout(&o);
    assert!(m.starts_with("stateDiagram-v2\n"), "{m}");
    assert!(m.contains("[*] --> s0"), "{m}");
    assert_eq!(m.matches(" --> [*]").count(), 2, "two terminal states: {m}");
    assert_eq!(m.matches(" : ").count(), 4, "four transitions: {m}");
    let dir = tempfile::tempdir().unwrap();
    let bad = dir.path().join("bad.json");
    std::fs::write(
        &bad,
        "{\"name\": \"x\", \"initial\": \"a\",\n \"terminal\": [}",
    )
    .unwrap();
    fails(
        &["lifecycle", "validate", bad.to_str().unwrap()],
        3,
        "bad.json, line 2, column 15: expected a JSON machine definition",
    );
}

#[test]
fn validate_and_draw_as_json_or_into_a_file() {
    let good = fixture_arg("machines/ticket.toml");
    let v = common::json(&["lifecycle", "validate", &good, "--json"]);
    assert_eq!(v["valid"], true);
    assert_eq!(
        (v["states"].as_u64(), v["transitions"].as_u64()),
        (Some(5), Some(5))
    );
    // A bad machine: the findings as JSON on standard output, and still exit status 4.
    let o = crm(&[
        "lifecycle",
        "validate",
        &fixture_arg("machines/broken.toml"),
        "--json",
    ]);
    assert_eq!(o.status.code(), Some(4));
    let v = common::json_of(&o);
    assert_eq!(v["valid"], false);
    assert_eq!(v["findings"].as_array().unwrap().len(), 4);

    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("ticket.dot");
    let o = crm(&["lifecycle", "dot", &good, "-o", out.to_str().unwrap()]);
    assert!(o.status.success(), "{}", stderr(&o));
    assert!(stdout(&o).is_empty(), "the diagram goes to the file only");
    let printed = stdout(&crm(&["lifecycle", "dot", &good]));
    assert_eq!(std::fs::read_to_string(&out).unwrap(), printed);
    let v = common::json(&["lifecycle", "mermaid", "--builtin", "deal", "--json"]);
    assert_eq!(v["format"], "mermaid");
    assert!(
        v["text"].as_str().unwrap().starts_with("stateDiagram-v2"),
        "{v}"
    );
    // The input is never overwritten by the drawing.
    fails(
        &["lifecycle", "dot", &good, "-o", &good],
        2,
        "refusing to overwrite",
    );
}
