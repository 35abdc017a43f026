//! `crm funnel` on the deals fixture (d1 won by rep-1, d2 at proposal with rep-2, d3 lost
//! by rep-1): a won deal passed every open stage, an open deal every stage before its
//! own, a lost deal counts at qualification only; the weighted pipeline is d2's amount at
//! the default proposal probability (one half).

mod common;

use common::{arg, crm, fails, fixture_arg, json, stdout};

fn deals() -> String {
    fixture_arg("deals.csv")
}

fn reached(v: &serde_json::Value) -> Vec<(String, u64, u64)> {
    v["conversions"]
        .as_array()
        .unwrap()
        .iter()
        .map(|c| {
            (
                format!(
                    "{}->{}",
                    c["from"].as_str().unwrap(),
                    c["to"].as_str().unwrap()
                ),
                c["reached_from"].as_u64().unwrap(),
                c["reached_to"].as_u64().unwrap(),
            )
        })
        .collect()
}

#[test]
fn the_funnel_of_a_deal_file_overall_and_per_owner() {
    let v = json(&["funnel", "--deals", &deals(), "--by-owner", "--json"]);
    let all = &v["overall"];
    assert_eq!(
        (&all["deals"], &all["open"], &all["won"], &all["lost"]),
        (&3.into(), &1.into(), &1.into(), &1.into())
    );
    assert_eq!(all["win_rate"], 0.5);
    assert_eq!(
        reached(all),
        [
            ("qualification->needs_analysis".to_string(), 3, 2),
            ("needs_analysis->proposal".to_string(), 2, 2),
            ("proposal->negotiation".to_string(), 2, 1),
            ("negotiation->won".to_string(), 1, 1),
        ]
    );
    assert_eq!(all["open_pipeline"][0]["amount"], "5400.50");
    assert_eq!(
        all["weighted_pipeline"][0]["amount"]
            .as_str()
            .unwrap()
            .parse::<f64>()
            .unwrap(),
        2700.25
    );
    assert!(all.get("time_in_stage").is_none());
    let owners = v["owners"].as_object().unwrap();
    assert_eq!(owners.keys().collect::<Vec<_>>(), ["rep-1", "rep-2"]);
    assert_eq!(owners["rep-1"]["deals"], 2);
    assert_eq!(owners["rep-1"]["win_rate"], 0.5);
    assert_eq!(owners["rep-2"]["open"], 1);
    assert_eq!(owners["rep-2"]["win_rate"], serde_json::Value::Null);
    let o = crm(&["funnel", "--deals", &deals()]);
    assert!(o.status.success());
    let text = stdout(&o);
    assert!(
        text.starts_with("deal funnel: 3 deals (1 open, 1 won, 1 lost), win rate 50.0%"),
        "{text}"
    );
    assert!(
        text.contains("open pipeline 5400.50 USD (weighted 2700.25 USD)"),
        "{text}"
    );
    assert!(
        !text.contains("owner rep-1"),
        "per owner only when asked: {text}"
    );
}

#[test]
fn the_funnel_of_a_database_equals_the_files() {
    let dir = tempfile::tempdir().unwrap();
    let db = arg(&dir.path().join("crm.db"));
    let o = crm(&["import", "--db", &db, "deals", &deals()]);
    assert!(o.status.success(), "{}", common::stderr(&o));
    assert_eq!(
        json(&["funnel", "--db", &db, "--by-owner", "--json"]),
        json(&["funnel", "--deals", &deals(), "--by-owner", "--json"])
    );
}

#[test]
fn funnel_refuses_bad_input() {
    fails(&["funnel"], 2, "--deals");
    let dir = tempfile::tempdir().unwrap();
    let db = arg(&dir.path().join("absent.db"));
    fails(
        &["funnel", "--deals", &deals(), "--db", &db],
        2,
        "cannot be used with",
    );
    fails(&["funnel", "--db", &db], 1, "no such database file");
    let bad = dir.path().join("deals.csv");
    std::fs::write(
        &bad,
        "deal_id,customer_id,amount,stage,created_at\nd1,c1,10,won,2024-01-01\nd2,c2,5,sideways,2024-01-02\n",
    )
    .unwrap();
    fails(&["funnel", "--deals", &arg(&bad)], 3, "line 3");
    fails(
        &["funnel", "--deals", &deals(), "--currency", "dollars"],
        2,
        "currency",
    );
}
