//! `crm sales`: the funnel per owner and period and quota attainment, against figures
//! worked out by hand, from files and from a database.

mod common;

use common::{arg, close, fails, json};

const DEALS: &str = "\
deal_id,customer_id,title,amount,currency,stage,owner,created_at,closed_at,expected_close
d1,c1,Annual plan,1200.00,USD,won,rep-1,2024-01-02,2024-02-15,
d2,c2,Fleet renewal,5400.50,USD,proposal,rep-2,2024-01-20,,2024-03-20
d3,c3,Pilot,300,USD,lost,rep-1,2024-01-10,2024-01-30,
d4,c1,Upsell,800,USD,won,rep-1,2024-04-02,2024-04-12,
";

const INTERACTIONS: &str = "\
interaction_id,customer_id,timestamp,channel,direction,agent
i1,c1,2024-01-05T09:30:00Z,phone,outbound,rep-1
i2,c1,2024-01-06,email,outbound,rep-1
i3,c2,2024-02-01,meeting,outbound,rep-2
i4,c3,2024-02-02,phone,outbound,rep-1
";

const TARGETS: &str = "\
owner,period_start,period_end,target
rep-1,2024-01-01,2024-03-31,2400
rep-2,2024-01-01,2024-03-31,10000
";

struct Files(tempfile::TempDir);

impl Files {
    fn new() -> Files {
        let dir = tempfile::tempdir().unwrap();
        for (name, text) in [
            ("deals.csv", DEALS),
            ("interactions.csv", INTERACTIONS),
            ("targets.csv", TARGETS),
        ] {
            std::fs::write(dir.path().join(name), text).unwrap();
        }
        Files(dir)
    }

    fn path(&self, name: &str) -> String {
        arg(&self.0.path().join(name))
    }
}

fn row<'a>(v: &'a serde_json::Value, owner: &str, start: &str) -> &'a serde_json::Value {
    v["rows"]
        .as_array()
        .unwrap()
        .iter()
        .find(|r| r["owner"] == owner && r["period_start"] == start)
        .unwrap_or_else(|| panic!("no row {owner} {start} in {v}"))
}

#[test]
fn funnel_per_owner_and_quarter_is_the_hand_count() {
    let f = Files::new();
    let (deals, interactions, targets) = (
        f.path("deals.csv"),
        f.path("interactions.csv"),
        f.path("targets.csv"),
    );
    let v = json(&[
        "sales",
        "--deals",
        &deals,
        "--interactions",
        &interactions,
        "--targets",
        &targets,
        "--by",
        "owner",
        "--as-of",
        "2024-06-30",
        "--json",
    ]);
    // rep-1 in Q1: d1 and d3 opened; d1 won on day 44 of its life, d3 lost.
    let q1 = row(&v, "rep-1", "2024-01-01");
    assert_eq!(q1["opened"], 2);
    assert_eq!(q1["entered_qualification"], 2);
    assert_eq!(q1["entered_proposal"], 1);
    assert_eq!(
        (q1["won"].as_u64(), q1["lost"].as_u64()),
        (Some(1), Some(1))
    );
    assert!(close(q1["win_rate"].as_f64().unwrap(), 0.5, 1e-12));
    assert_eq!(q1["won_value"], "1200.00");
    assert_eq!(q1["average_deal_size"], "1200.00");
    assert_eq!(q1["average_cycle_days"], "44");
    // Velocity: 2 deals × 1,200 × 1 won ÷ (2 closed × 44 days) = 27.27 a day.
    assert_eq!(q1["velocity_per_day"], "27.27");
    assert_eq!(
        (q1["calls"].as_u64(), q1["emails"].as_u64()),
        (Some(2), Some(1))
    );
    // rep-1 in Q2: d4 opened and won in 10 days.
    let q2 = row(&v, "rep-1", "2024-04-01");
    assert_eq!(
        (q2["opened"].as_u64(), q2["won"].as_u64()),
        (Some(1), Some(1))
    );
    assert_eq!(q2["average_cycle_days"], "10");
    let rep2 = row(&v, "rep-2", "2024-01-01");
    assert_eq!(
        (rep2["opened"].as_u64(), rep2["won"].as_u64()),
        (Some(1), Some(0))
    );
    assert_eq!(rep2["meetings"], 1);
    assert!(rep2["win_rate"].is_null());

    // Quotas at the end of June: rep-1 won 1,200 of 2,400 in Q1; rep-2's proposal of
    // 5,400.50 (expected in March) weighs 50 %: 2,700.25 covers 27.0025 % of 10,000.
    let quotas = v["quotas"].as_array().unwrap();
    assert_eq!(quotas.len(), 2);
    assert_eq!(quotas[0]["won_to_date"]["amount"], "1200.00");
    assert_eq!(quotas[0]["attainment"], "0.5");
    assert_eq!(quotas[0]["remaining"]["amount"], "1200.00");
    assert_eq!(quotas[1]["weighted_pipeline"]["amount"], "2700.2500");
    assert_eq!(quotas[1]["coverage"], "0.270025");
    assert_eq!(quotas[1]["attainment"], "0");

    // The whole team in one row per quarter.
    let team = json(&[
        "sales",
        "--deals",
        &deals,
        "--as-of",
        "2024-06-30",
        "--json",
    ]);
    let all = row(&team, "all", "2024-01-01");
    assert_eq!(
        (all["opened"].as_u64(), all["won"].as_u64()),
        (Some(3), Some(1))
    );
    assert_eq!(team["rows"].as_array().unwrap().len(), 2);

    // A database gives the same figures.
    let db = arg(&f.0.path().join("crm.db"));
    for (kind, file) in [("deals", &deals), ("interactions", &interactions)] {
        json(&["import", "--db", &db, kind, file, "--json"]);
    }
    let from_db = json(&[
        "sales",
        "--db",
        &db,
        "--targets",
        &targets,
        "--by",
        "owner",
        "--as-of",
        "2024-06-30",
        "--json",
    ]);
    assert_eq!(from_db["rows"], v["rows"]);
    assert_eq!(from_db["quotas"], v["quotas"]);
}

#[test]
fn bad_targets_name_file_line_and_field() {
    let f = Files::new();
    let bad = f.0.path().join("bad.csv");
    for (text, field) in [
        (
            "owner,period_start,period_end,target\nrep-1,2024-01-01,2024-03-31,lots\n",
            "target",
        ),
        (
            "owner,period_start,period_end,target\nrep-1,2024-13-01,2024-03-31,5\n",
            "period_start",
        ),
        (
            "owner,period_start,period_end,target\nrep-1,2024-04-01,2024-03-31,5\n",
            "period_end",
        ),
        (
            "owner,period_start,period_end,target\nrep-1,2024-01-01,2024-03-31,-5\n",
            "target",
        ),
    ] {
        std::fs::write(&bad, text).unwrap();
        let e = fails(
            &[
                "sales",
                "--deals",
                &f.path("deals.csv"),
                "--targets",
                &arg(&bad),
            ],
            3,
            "line 2",
        );
        assert!(e.contains(field), "{field}: {e}");
    }
}
