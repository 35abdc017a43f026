//! `crm demo` at a small size: the report and the summary are written, every chart is a
//! valid non-empty SVG, and the summary holds the headline figures.

mod common;

use common::{crm, stderr, stdout};

/// The inline `<svg>` documents of a page.
fn svgs(html: &str) -> Vec<&str> {
    let mut out = Vec::new();
    let mut rest = html;
    while let Some(start) = rest.find("<svg") {
        let Some(len) = rest[start..].find("</svg>") else {
            panic!("unterminated <svg>");
        };
        out.push(&rest[start..start + len + "</svg>".len()]);
        rest = &rest[start + len + "</svg>".len()..];
    }
    out
}

#[test]
fn demo_writes_report_and_summary() {
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("report");
    let db = dir.path().join("demo.db");
    let o = crm(&[
        "demo",
        "--customers",
        "600",
        "--seed",
        "7",
        "--db",
        db.to_str().unwrap(),
        "--out",
        out.to_str().unwrap(),
    ]);
    assert!(o.status.success(), "demo failed: {}", stderr(&o));
    let text = stdout(&o);
    assert!(
        text.contains("| customers"),
        "terminal summary table: {text}"
    );

    let html = std::fs::read_to_string(out.join("report.html")).expect("report.html");
    assert!(html.starts_with("<!DOCTYPE html>"));
    assert!(!html.contains("<script"), "no scripts");
    assert!(
        !html.contains("src=\"http") && !html.contains("href=\"http"),
        "no network resources"
    );
    let charts = svgs(&html);
    assert!(
        charts.len() >= 4,
        "expected the report's charts, found {}",
        charts.len()
    );
    for svg in &charts {
        assert!(
            svg.contains("xmlns=\"http://www.w3.org/2000/svg\""),
            "SVG namespace"
        );
        assert!(svg.contains("width=") && svg.contains("height="));
        let shapes = [
            "<rect",
            "<polyline",
            "<path",
            "<circle",
            "<polygon",
            "<line",
        ]
        .iter()
        .map(|s| svg.matches(s).count())
        .sum::<usize>();
        assert!(
            shapes > 3,
            "chart draws shapes: {}",
            &svg[..svg.len().min(200)]
        );
        assert!(svg.contains("<text"), "chart has text");
        assert_eq!(svg.matches("<svg").count(), 1, "one document per chart");
        assert!(
            !svg.contains("NaN") && !svg.contains("inf"),
            "finite coordinates"
        );
    }

    let summary: serde_json::Value = serde_json::from_str(
        &std::fs::read_to_string(out.join("summary.json")).expect("summary.json"),
    )
    .expect("summary.json is JSON");
    assert_eq!(summary["data"]["customers"], 600);
    assert!(summary["data"]["transactions"].as_u64().unwrap() > 600);
    for key in [
        "data",
        "segmentation",
        "lifecycle",
        "service",
        "deals",
        "satisfaction",
        "state_machines",
    ] {
        assert!(summary.get(key).is_some(), "summary.json has {key}");
    }
    let stages: u64 = summary["lifecycle"]["stages"]
        .as_object()
        .unwrap()
        .values()
        .map(|v| v.as_u64().unwrap())
        .sum();
    assert_eq!(stages, 600, "every customer has a lifecycle stage");
    assert_eq!(
        summary["service"]["sla"]["overall"]["tickets"],
        summary["data"]["tickets"]
    );
    assert_eq!(summary["deals"]["deals"], summary["data"]["deals"]);
    let nps = &summary["satisfaction"]["nps"];
    let score = nps["score"].as_f64().unwrap();
    assert!((-100.0..=100.0).contains(&score));
    assert!(nps["ci_low"].as_f64().unwrap() <= score && score <= nps["ci_high"].as_f64().unwrap());
    assert_eq!(
        nps["n"].as_u64().unwrap(),
        nps["promoters"].as_u64().unwrap()
            + nps["passives"].as_u64().unwrap()
            + nps["detractors"].as_u64().unwrap()
    );
}

#[test]
fn demo_is_reproducible_for_a_seed() {
    let dir = tempfile::tempdir().unwrap();
    let run = |name: &str| {
        let out = dir.path().join(name);
        let db = dir.path().join(format!("{name}.db"));
        let o = crm(&[
            "demo",
            "--customers",
            "300",
            "--seed",
            "11",
            "--db",
            db.to_str().unwrap(),
            "--out",
            out.to_str().unwrap(),
        ]);
        assert!(o.status.success(), "{}", stderr(&o));
        let mut v: serde_json::Value =
            serde_json::from_str(&std::fs::read_to_string(out.join("summary.json")).unwrap())
                .unwrap();
        v.as_object_mut().unwrap().remove("elapsed_seconds");
        v
    };
    assert_eq!(run("a"), run("b"));
}
