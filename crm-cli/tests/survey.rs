//! `crm nps|csat|ces` on hand-checkable fixtures.

mod common;

use common::{close, fixture_arg, json, with_output};
use serde_json::Value;

/// `crm COMMAND --responses FIXTURE --json [--by BY]`.
fn survey_json(command: &str, fixture_name: &str, by: Option<&str>) -> Value {
    let f = fixture_arg(fixture_name);
    let mut args = vec![command, "--responses", &f, "--json"];
    if let Some(by) = by {
        args.extend(["--by", by]);
    }
    json(&args)
}

#[test]
fn nps_json_matches_hand_count() {
    // 8 answers: promoters 10, 9, 10, 9 (4); passives 8, 7 (2); detractors 3, 6 (2).
    // NPS = 100 * (4 - 2) / 8 = 25.
    let v = survey_json("nps", "nps.csv", None);
    assert_eq!(v["score"], 25.0);
    assert_eq!(v["n"], 8);
    assert_eq!(v["promoters"], 4);
    assert_eq!(v["passives"], 2);
    assert_eq!(v["detractors"], 2);
    let (lo, hi) = (
        v["ci_low"].as_f64().unwrap(),
        v["ci_high"].as_f64().unwrap(),
    );
    assert!(lo < 25.0 && 25.0 < hi && lo >= -100.0 && hi <= 100.0);
    // Drivers: both detractors carry `support`, which only they carry: lift = 1 / (2/8) = 4.
    assert_eq!(v["drivers"][0]["tag"], "support");
    assert_eq!(v["drivers"][0]["lift"], 4.0);
}

#[test]
fn nps_by_group_and_week() {
    let v = survey_json("nps", "nps.csv", Some("group"));
    let groups = v["groups"].as_array().unwrap();
    // email: 8, 7, 6, 10 -> 1 promoter, 1 detractor -> 0; web: 10, 9, 3, 9 -> 3 - 1 of 4 -> 50.
    assert_eq!(groups[0]["group"], "email");
    assert_eq!(groups[0]["score"], 0.0);
    assert_eq!(groups[1]["group"], "web");
    assert_eq!(groups[1]["score"], 50.0);
    let v = survey_json("nps", "nps.csv", Some("week"));
    let weeks: Vec<&str> = v["groups"]
        .as_array()
        .unwrap()
        .iter()
        .map(|g| g["group"].as_str().unwrap())
        .collect();
    assert_eq!(weeks, ["2024-01-01", "2024-01-08", "2024-01-15"]);
}

#[test]
fn csat_and_ces_json() {
    // CSAT scores 5, 4, 2, 5, 1: satisfied (4-5) 3 of 5 = 60%, mean 3.4.
    let v = survey_json("csat", "csat.csv", None);
    assert_eq!(v["score"], 60.0);
    assert_eq!(v["n"], 5);
    assert_eq!(v["satisfied"], 3);
    assert!(close(v["mean"].as_f64().unwrap(), 3.4, 1e-12));
    // CES scores 7, 6, 2, 5: mean 5, easy (5-7) 3 of 4.
    let v = survey_json("ces", "ces.csv", None);
    assert_eq!(v["score"], 5.0);
    assert_eq!(v["easy"], 3);
    assert!(v["ci_low"].as_f64().unwrap() < 5.0 && v["ci_high"].as_f64().unwrap() <= 7.0);
}

#[test]
fn survey_table_output_in_csv_and_json() {
    let f = fixture_arg("csat.csv");
    let (stdout, text) = with_output(&["csat", "--responses", &f, "--by", "group"], "csat.csv");
    assert!(stdout.starts_with("CSAT: 60.0"));
    let mut lines = text.lines();
    assert_eq!(
        lines.next().unwrap(),
        "group,n,score,ci_low,ci_high,positive,neutral,negative,mean,small_sample,trend"
    );
    // agent-1: 5, 4 -> 100%; agent-2: 2, 5, 1 -> 1 of 3.
    assert!(lines.next().unwrap().starts_with("agent-1,2,100.0,"));
    assert!(lines.next().unwrap().starts_with("agent-2,3,33.33"));
    let (_, text) = with_output(&["csat", "--responses", &f], "csat.json");
    let v: Value = serde_json::from_str(&text).unwrap();
    assert_eq!(v[0]["group"], "all");
    assert_eq!(v[0]["n"], 5);
}

#[test]
fn groups_carry_the_survey_counts_and_trends() {
    let v = survey_json("nps", "nps.csv", Some("week"));
    let weeks = v["groups"].as_array().unwrap();
    // Week of 2024-01-01: 10, 9, 8 -> 2 promoters, 1 passive; NPS 66.7.
    assert_eq!(weeks[0]["promoters"], 2);
    assert_eq!(weeks[0]["passives"], 1);
    assert_eq!(weeks[0]["detractors"], 0);
    assert!(close(
        weeks[0]["score"].as_f64().unwrap(),
        200.0 / 3.0,
        1e-9
    ));
    assert_eq!(weeks[0]["trend"], Value::Null, "no earlier week");
    // Week of 2024-01-08: 7, 3, 6, 10 -> 1 - 2 of 4 = -25.
    assert_eq!(weeks[1]["score"], -25.0);
    assert!(weeks[1]["trend"].is_string());
    assert_eq!(weeks[1]["n"], 4);
    // One month holds all eight answers.
    let v = survey_json("nps", "nps.csv", Some("month"));
    let months = v["groups"].as_array().unwrap();
    assert_eq!(months.len(), 1);
    assert_eq!(months[0]["group"], "2024-01-01");
    assert_eq!(months[0]["score"], 25.0);
    // CES by month: all four answers are in March: 7, 6, 2, 5 -> 3 easy (5-7), 1 difficult.
    let v = survey_json("ces", "ces.csv", Some("month"));
    let months = v["groups"].as_array().unwrap();
    assert_eq!(months[0]["group"], "2024-03-01");
    assert_eq!(months[0]["n"], 4);
    assert_eq!(months[0]["easy"], 3);
    assert_eq!(months[0]["difficult"], 1);
}
