//! `crm followups`, `crm care`, `crm contacts` and `crm loyalty`: results worked out by hand
//! on small files, the same results from a database, `--json`/`--output`, and refused input.

mod common;

use std::path::Path;

use common::{arg, crm, fails, json, stderr, stdout};

const CUSTOMERS: &str = "\
customer_id,name,owner,created_at
a1,Ann Archer,rep-1,2024-01-01
b1,Ben Baker,rep-1,2024-01-01
c1,Cat Cook,rep-2,2024-01-01
";

const INTERACTIONS: &str = "\
interaction_id,customer_id,timestamp,channel,direction
i1,a1,2024-03-01T10:00:00Z,email,outbound
i2,b1,2024-04-10T09:00:00Z,phone,inbound
i3,b1,2024-04-10T11:00:00Z,phone,outbound
i4,a1,2024-03-20T08:00:00Z,chat,inbound
";

const TRANSACTIONS: &str = "\
customer_id,timestamp,amount,transaction_id
a1,2024-01-03,1000.00,t1
a1,2024-02-03,500.00,t2
b1,2024-01-05,10.00,t3
c1,2024-01-06,10.00,t4
c1,2024-01-07,-10.00,t5
";

/// A policy with one rule for everyone: a contact at least every 30 days, any channel.
const POLICY: &str = "\
[default]
name = \"monthly\"
max_interval_days = 30
channels = [\"email\", \"phone\"]
counts = { directions = [\"outbound\"] }
";

fn files(dir: &Path) -> (String, String, String) {
    let write = |name: &str, text: &str| {
        let p = dir.join(name);
        std::fs::write(&p, text).unwrap();
        arg(&p)
    };
    (
        write("customers.csv", CUSTOMERS),
        write("interactions.csv", INTERACTIONS),
        write("transactions.csv", TRANSACTIONS),
    )
}

#[test]
fn followups_from_files_are_the_ones_worked_out_by_hand() {
    let dir = tempfile::tempdir().unwrap();
    let (customers, interactions, transactions) = files(dir.path());
    let policy = dir.path().join("policy.toml");
    std::fs::write(&policy, POLICY).unwrap();
    let v = json(&[
        "followups",
        "--customers",
        &customers,
        "--interactions",
        &interactions,
        "--transactions",
        &transactions,
        "--policy",
        &arg(&policy),
        "--as-of",
        "2024-04-15",
        "--json",
    ]);
    // Outbound contacts count: a1's last was 2024-03-01 (45 days before the 15th of April,
    // 15 past the interval; the inbound chat of 20 March does not count), b1's 2024-04-10
    // (on cadence), c1 was never contacted. A customers file records no consent, so every
    // due customer is listed apart, without a channel.
    assert_eq!(v["customers"], 3);
    assert_eq!(v["due"].as_array().unwrap().len(), 0);
    let apart = v["without_consent"].as_array().unwrap();
    let ids: Vec<&str> = apart
        .iter()
        .map(|d| d["customer"].as_str().unwrap())
        .collect();
    assert_eq!(ids, ["a1", "c1"]);
    assert_eq!(apart[0]["days_overdue"], 15);
    assert_eq!(apart[0]["rule"], "monthly");
    assert_eq!(apart[0]["owner"], "rep-1");
    assert!(apart[1]["days_overdue"].is_null());
    assert!(apart[1]["channel"].is_null());

    // The same list, written as CSV, and its text summary.
    let out = dir.path().join("due.csv");
    let o = crm(&[
        "followups",
        "--customers",
        &customers,
        "--interactions",
        &interactions,
        "--policy",
        &arg(&policy),
        "--as-of",
        "2024-04-15",
        "--output",
        &arg(&out),
    ]);
    assert!(o.status.success(), "{}", stderr(&o));
    assert_eq!(
        std::fs::read_to_string(&out).unwrap(),
        "customer_id,owner,rule,last_contact,days_overdue,channel,consent\n\
         a1,rep-1,monthly,2024-03-01T10:00:00+00:00,15,,no\n\
         c1,rep-2,monthly,,,,no\n"
    );
    let text = stdout(&o);
    assert!(text.contains("2 of 3 customers due"), "{text}");
    assert!(text.contains("1 on cadence"), "{text}");

    // Only one owner's customers.
    let v = json(&[
        "followups",
        "--customers",
        &customers,
        "--interactions",
        &interactions,
        "--policy",
        &arg(&policy),
        "--as-of",
        "2024-04-15",
        "--owner",
        "rep-2",
        "--json",
    ]);
    assert_eq!(v["customers"], 1);
    assert_eq!(v["without_consent"][0]["customer"], "c1");
}

#[test]
fn the_default_policy_applies_the_abc_class_computed_by_crm_abc() {
    let dir = tempfile::tempdir().unwrap();
    let (customers, interactions, transactions) = files(dir.path());
    let abc = json(&["abc", "--transactions", &transactions, "--json"]);
    let v = json(&[
        "followups",
        "--customers",
        &customers,
        "--interactions",
        &interactions,
        "--transactions",
        &transactions,
        "--as-of",
        "2024-04-15",
        "--json",
    ]);
    let classes = abc.to_string();
    let rule_of = |id: &str| {
        v["without_consent"]
            .as_array()
            .unwrap()
            .iter()
            .chain(v["due"].as_array().unwrap())
            .find(|d| d["customer"] == id)
            .map(|d| d["rule"].as_str().unwrap().to_string())
    };
    // a1 holds 98.7 % of the revenue: class A in `crm abc`, so the 30-day rule; with any
    // contact counting, a1 was last contacted 26 days before (the chat of 20 March): not due.
    assert!(classes.contains("\"A\""), "{classes}");
    assert_eq!(rule_of("a1"), None);
    // c1 (class C, net revenue 0) was never contacted: due under the default rule.
    assert_eq!(rule_of("c1").as_deref(), Some("everyone"));
}

#[test]
fn followups_from_a_database_equal_those_from_the_files() {
    let dir = tempfile::tempdir().unwrap();
    let (customers, interactions, transactions) = files(dir.path());
    let db = arg(&dir.path().join("crm.db"));
    for (kind, file) in [
        ("customers", &customers),
        ("interactions", &interactions),
        ("transactions", &transactions),
    ] {
        let o = crm(&["import", kind, file, "--db", &db]);
        assert!(o.status.success(), "{}", stderr(&o));
    }
    let from_files = json(&[
        "followups",
        "--customers",
        &customers,
        "--interactions",
        &interactions,
        "--transactions",
        &transactions,
        "--as-of",
        "2024-04-15",
        "--json",
    ]);
    let from_db = json(&["followups", "--db", &db, "--as-of", "2024-04-15", "--json"]);
    assert_eq!(from_files, from_db);
    assert_eq!(from_db["customers"], 3);
}

#[test]
fn care_reminders_are_the_ones_worked_out_by_hand() {
    let dir = tempfile::tempdir().unwrap();
    let (customers, _, transactions) = files(dir.path());
    let calendar = dir.path().join("holidays.toml");
    std::fs::write(
        &calendar,
        "[[fixed]]\nname = \"New Year\"\nmonth = 1\nday = 1\n\n[[dated]]\nname = \"Spring Festival\"\ndates = [\"2025-01-29\"]\n",
    )
    .unwrap();
    let v = json(&[
        "care",
        "--customers",
        &customers,
        "--transactions",
        &transactions,
        "--calendar",
        &arg(&calendar),
        "--as-of",
        "2024-12-25",
        "--days",
        "10",
        "--json",
    ]);
    // From 25 December 2024 over 10 days (to 4 January 2025): every customer's first
    // registration anniversary and New Year on 1 January (7 days), and the first-purchase
    // anniversaries: a1 on 3 January (9 days), b1 on 5 January (11 days: outside), c1's
    // purchase of 6 January is outside too. The Spring Festival is outside the window.
    let owners = v["owners"].as_array().unwrap();
    assert_eq!(owners.len(), 2);
    assert_eq!(owners[0]["owner"], "rep-1");
    let rep1 = owners[0]["reminders"].as_array().unwrap();
    let summary: Vec<String> = rep1
        .iter()
        .map(|r| {
            format!(
                "{} {} {} {}",
                r["customer"].as_str().unwrap(),
                r["occasion"].as_str().unwrap(),
                r["date"].as_str().unwrap(),
                r["days_until"]
            )
        })
        .collect();
    assert_eq!(
        summary,
        [
            "a1 registration 2025-01-01 7",
            "a1 holiday 2025-01-01 7",
            "b1 registration 2025-01-01 7",
            "b1 holiday 2025-01-01 7",
            "a1 first_purchase 2025-01-03 9",
        ],
        "{rep1:?}"
    );
    let reg = rep1
        .iter()
        .find(|r| r["occasion"] == "registration")
        .unwrap();
    assert_eq!(reg["years"], 1);
    assert_eq!(owners[1]["reminders"].as_array().unwrap().len(), 2);

    let (text, csv) = common::with_output(
        &[
            "care",
            "--customers",
            &customers,
            "--as-of",
            "2024-12-25",
            "--days",
            "10",
        ],
        "care.csv",
    );
    assert!(text.contains("3 for 2 owners"), "{text}");
    assert!(
        csv.starts_with("owner,customer_id,occasion,name,date,years,days_until\n"),
        "{csv}"
    );
    assert!(
        csv.contains("rep-2,c1,registration,,2025-01-01,1,7"),
        "{csv}"
    );
}

#[test]
fn contacts_are_counted_as_worked_out_by_hand() {
    let dir = tempfile::tempdir().unwrap();
    let (customers, interactions, transactions) = files(dir.path());
    let v = json(&[
        "contacts",
        "--customers",
        &customers,
        "--interactions",
        &interactions,
        "--transactions",
        &transactions,
        "--as-of",
        "2024-04-15",
        "--json",
    ]);
    assert_eq!(v["interactions"], 4);
    assert_eq!(v["customers_contacted"], 2);
    // Two inbound contacts: b1's phone call answered two hours later, a1's chat never.
    assert_eq!(v["response"]["inbound"], 2);
    assert_eq!(v["response"]["unanswered"], 1);
    assert_eq!(v["response"]["median_seconds"], 7200);
    let mix = v["channel_mix"].as_array().unwrap();
    assert_eq!(mix.len(), 2, "March and April");
    assert_eq!(mix[0]["total"], 2);
    assert_eq!(mix[1]["by_channel"]["phone"], 2);
    // Buyers by contacts: c1 (0 contacts; one purchase and its refund), a1 (2 contacts, 2
    // purchases: a repeat buyer), b1 (2 contacts, 1 purchase).
    let buckets = v["repeat_rate_by_contacts"]["buckets"].as_array().unwrap();
    assert_eq!(
        v["repeat_rate_by_contacts"]["interpretation"],
        "descriptive_not_causal"
    );
    assert_eq!(buckets[0]["min_contacts"], 0);
    assert_eq!(buckets[0]["customers"], 1);
    let one_to_two = buckets
        .iter()
        .find(|b| b["min_contacts"] == 1)
        .expect("a bucket from 1");
    assert_eq!(one_to_two["customers"], 2);
    assert_eq!(one_to_two["repeat_buyers"], 1);

    let (text, csv) = common::with_output(
        &[
            "contacts",
            "--customers",
            &customers,
            "--interactions",
            &interactions,
            "--transactions",
            &transactions,
        ],
        "contacts.csv",
    );
    assert!(text.contains("median reply 2.0 h"), "{text}");
    assert!(
        text.contains("1-2 contacts: 2 buyers, 50.0% bought again"),
        "{text}"
    );
    assert_eq!(
        csv,
        "customer_id,period,contacts\na1,2024-03-01,2\nb1,2024-04-01,2\n"
    );
}

const EVENTS: &str = "\
event_id,customer_id,timestamp,kind,points,reason
L1,a1,2024-01-01,earn,100,purchase
L2,a1,2024-02-01,redeem,-30,voucher
L3,a1,2024-03-01,earn,50,purchase
L4,b1,2024-03-05,earn,20,purchase
";

#[test]
fn loyalty_balances_statements_and_report_are_the_ones_worked_out_by_hand() {
    let dir = tempfile::tempdir().unwrap();
    let events = dir.path().join("events.csv");
    std::fs::write(&events, EVENTS).unwrap();
    let events = arg(&events);
    let v = json(&["loyalty", "balance", "--events", &events, "--json"]);
    assert_eq!(v["members"], 2);
    assert_eq!(v["points"], 140);
    assert_eq!(v["balances"][0]["customer_id"], "a1");
    assert_eq!(v["balances"][0]["balance"], 120);
    assert_eq!(v["value"], "1.40");
    let v = json(&[
        "loyalty",
        "balance",
        "--events",
        &events,
        "--as-of",
        "2024-02-15",
        "--json",
    ]);
    assert_eq!(v["points"], 70);

    let v = json(&[
        "loyalty",
        "statement",
        "--events",
        &events,
        "--customer",
        "a1",
        "--json",
    ]);
    let balances: Vec<i64> = v["lines"]
        .as_array()
        .unwrap()
        .iter()
        .map(|l| l["balance"].as_i64().unwrap())
        .collect();
    assert_eq!(balances, [100, 70, 120]);
    assert_eq!(
        (v["opening"].as_i64(), v["closing"].as_i64()),
        (Some(0), Some(120))
    );
    let (text, csv) = common::with_output(
        &[
            "loyalty",
            "statement",
            "--events",
            &events,
            "--customer",
            "a1",
        ],
        "statement.csv",
    );
    assert!(
        text.contains("opening 0 points, closing 120 points"),
        "{text}"
    );
    assert_eq!(
        csv,
        "at,kind,event_id,points,balance
\
         2024-01-01T00:00:00+00:00,earn,L1,100,100
\
         2024-02-01T00:00:00+00:00,redeem,L2,-30,70
\
         2024-03-01T00:00:00+00:00,earn,L3,50,120
"
    );
    let (_, csv) = common::with_output(&["loyalty", "report", "--events", &events], "report.csv");
    assert!(
        csv.contains(
            "outstanding,140
"
        ),
        "{csv}"
    );

    let v = json(&["loyalty", "report", "--events", &events, "--json"]);
    assert_eq!(v["earned"], 170);
    assert_eq!(v["redeemed"], 30);
    assert_eq!(v["outstanding"], 140);
    assert_eq!(v["members"], 2);

    let o = crm(&["loyalty", "report", "--events", &events]);
    assert!(o.status.success(), "{}", stderr(&o));
    assert!(
        stdout(&o).contains("outstanding 140 points, liability 1.40 USD"),
        "{}",
        stdout(&o)
    );
}

#[test]
fn a_redemption_beyond_the_balance_and_malformed_events_are_refused() {
    let dir = tempfile::tempdir().unwrap();
    let over = dir.path().join("over.csv");
    std::fs::write(
        &over,
        "event_id,customer_id,timestamp,kind,points\nL1,a1,2024-01-01,earn,10\nL2,a1,2024-01-02,redeem,-11\n",
    )
    .unwrap();
    fails(
        &["loyalty", "balance", "--events", &arg(&over)],
        1,
        "loyalty",
    );
    let bad = dir.path().join("bad.csv");
    std::fs::write(
        &bad,
        "event_id,customer_id,timestamp,kind,points\nL1,a1,2024-01-01,earn,ten\n",
    )
    .unwrap();
    let e = fails(&["loyalty", "balance", "--events", &arg(&bad)], 3, "points");
    assert!(e.contains("line 2"), "{e}");
    fails(&["loyalty", "balance"], 2, "--events");
}

#[test]
fn earn_events_from_transactions_take_points_back_on_refunds_and_read_back() {
    let dir = tempfile::tempdir().unwrap();
    let (_, _, transactions) = files(dir.path());
    let out = dir.path().join("earned.csv");
    let v = json(&[
        "loyalty",
        "earn",
        "--transactions",
        &transactions,
        "--output",
        &arg(&out),
        "--json",
    ]);
    // 1000 + 500 + 10 + 10 points earned, 10 taken back by c1's refund.
    assert_eq!(v["points_earned"], 1520);
    assert_eq!(v["points_taken_back"], 10);
    let text = std::fs::read_to_string(&out).unwrap();
    assert!(text.contains("earn:t1,a1,"), "{text}");
    let v = json(&["loyalty", "balance", "--events", &arg(&out), "--json"]);
    assert_eq!(v["points"], 1510);
    // The events file is refused as its own input's output.
    fails(
        &[
            "loyalty",
            "earn",
            "--transactions",
            &transactions,
            "--output",
            &transactions,
        ],
        2,
        "",
    );
}

#[test]
fn malformed_policy_and_calendar_files_are_refused_naming_the_file() {
    let dir = tempfile::tempdir().unwrap();
    let (customers, interactions, _) = files(dir.path());
    let policy = dir.path().join("policy.toml");
    std::fs::write(
        &policy,
        "[default]\nname = \"x\"\nmax_interval_days = 0\nchannels = []\n",
    )
    .unwrap();
    let e = fails(
        &[
            "followups",
            "--customers",
            &customers,
            "--interactions",
            &interactions,
            "--policy",
            &arg(&policy),
        ],
        3,
        "policy.toml",
    );
    assert!(e.contains("cadence policy"), "{e}");
    let calendar = dir.path().join("cal.json");
    std::fs::write(
        &calendar,
        "{\"fixed\": [{\"name\": \"x\", \"month\": 2, \"day\": 30}]}",
    )
    .unwrap();
    fails(
        &[
            "care",
            "--customers",
            &customers,
            "--calendar",
            &arg(&calendar),
        ],
        3,
        "cal.json",
    );
    fails(&["followups"], 2, "--db");
}

#[test]
fn loyalty_events_imported_into_a_database_give_the_balances_of_the_file() {
    let dir = tempfile::tempdir().unwrap();
    let (customers, _, _) = files(dir.path());
    let events = dir.path().join("events.csv");
    std::fs::write(&events, EVENTS).unwrap();
    let events = arg(&events);
    let db = arg(&dir.path().join("crm.db"));
    json(&["import", "customers", &customers, "--db", &db, "--json"]);
    let v = json(&["import", "loyalty", &events, "--db", &db, "--json"]);
    assert_eq!(v["inserted"], 4);
    // Importing again adds nothing.
    let v = json(&["import", "loyalty", &events, "--db", &db, "--json"]);
    assert_eq!(
        (v["inserted"].as_u64(), v["skipped"].as_u64()),
        (Some(0), Some(4))
    );
    let from_file = json(&["loyalty", "balance", "--events", &events, "--json"]);
    let from_db = json(&["loyalty", "balance", "--db", &db, "--json"]);
    assert_eq!(from_file, from_db);
    let report = json(&["loyalty", "report", "--db", &db, "--json"]);
    assert_eq!(report["outstanding"], 140);

    // The report of the database has a loyalty section with the same figures.
    let out = dir.path().join("report");
    let o = crm(&["report", "--db", &db, "--out", &arg(&out), "--json"]);
    assert!(o.status.success(), "{}", stderr(&o));
    let summary = common::json_of(&o);
    assert_eq!(summary["loyalty"]["outstanding"], 140);
    assert_eq!(summary["loyalty"]["earned"], 170);
    assert_eq!(summary["data"]["loyalty_events"], 4);
}

#[test]
fn a_loyalty_import_sets_refused_rows_aside_with_a_reject_file_and_is_all_or_nothing_without() {
    let dir = tempfile::tempdir().unwrap();
    let events = dir.path().join("events.csv");
    std::fs::write(
        &events,
        "event_id,customer_id,timestamp,kind,points\n\
         L1,a1,2024-01-01,earn,10\n\
         L2,a1,2024-01-02,redeem,5\n\
         L3,a1,2024-01-03,earn,7\n",
    )
    .unwrap();
    let events = arg(&events);
    let db = arg(&dir.path().join("crm.db"));
    let e = fails(&["import", "loyalty", &events, "--db", &db], 3, "line 3");
    assert!(e.contains("loyalty event"), "{e}");
    let rejects = dir.path().join("rejects.csv");
    let v = json(&[
        "import",
        "loyalty",
        &events,
        "--db",
        &db,
        "--reject-file",
        &arg(&rejects),
        "--json",
    ]);
    assert_eq!(v["inserted"], 2);
    let text = std::fs::read_to_string(&rejects).unwrap();
    assert!(text.starts_with("line,reason,record\n3,"), "{text}");
    assert!(text.contains("L2,a1,2024-01-02,redeem,5"), "{text}");
    let v = json(&["loyalty", "balance", "--db", &db, "--json"]);
    assert_eq!(v["points"], 17);
}

#[test]
fn consents_birthdays_and_time_zones_from_a_customers_file_are_used() {
    let dir = tempfile::tempdir().unwrap();
    let customers = dir.path().join("customers.csv");
    std::fs::write(
        &customers,
        "customer_id,name,owner,created_at,birthday,time_zone,consents,tags\n\
         a1,Ann Archer,rep-1,2024-01-01,1992-02-29,Asia/Tokyo,email;phone,vip\n\
         b1,Ben Baker,rep-1,2024-01-01,1985-03-01,,sms,\n",
    )
    .unwrap();
    let interactions = dir.path().join("interactions.csv");
    std::fs::write(
        &interactions,
        "interaction_id,customer_id,timestamp,channel,direction\n\
         i1,a1,2024-01-10T10:00:00Z,phone,inbound\n\
         i2,a1,2024-01-11T10:00:00Z,email,inbound\n",
    )
    .unwrap();
    let (customers, interactions) = (arg(&customers), arg(&interactions));
    let v = json(&[
        "followups",
        "--customers",
        &customers,
        "--interactions",
        &interactions,
        "--as-of",
        "2024-06-01",
        "--json",
    ]);
    // a1 consents to e-mail and phone and answered last by e-mail: due on the default
    // policy's 90 days (last contact 11 January), through e-mail. b1 consents to text
    // messages only, which the default rule allows: never contacted, suggested sms.
    let due = v["due"].as_array().unwrap();
    assert_eq!(due.len(), 2, "{v}");
    assert_eq!(
        (due[0]["customer"].as_str(), due[0]["channel"].as_str()),
        (Some("a1"), Some("email"))
    );
    assert_eq!(due[0]["days_overdue"], 52);
    assert_eq!(
        (due[1]["customer"].as_str(), due[1]["channel"].as_str()),
        (Some("b1"), Some("sms"))
    );

    // 28 February 2025, 20:00 UTC is already 1 March in Tokyo: a1's birthday (29 February,
    // kept on 28 February in other years) was yesterday there, so over today and tomorrow
    // only b1's (1 March, tomorrow in UTC) is coming.
    let v = json(&[
        "care",
        "--customers",
        &customers,
        "--as-of",
        "2025-02-28T20:00:00Z",
        "--days",
        "1",
        "--json",
    ]);
    let reminders = v["owners"][0]["reminders"].as_array().unwrap();
    let who: Vec<&str> = reminders
        .iter()
        .map(|r| r["customer"].as_str().unwrap())
        .collect();
    assert_eq!(who, ["b1"], "{reminders:?}");
    assert_eq!(reminders[0]["days_until"], 1);
    let v = json(&[
        "care",
        "--customers",
        &customers,
        "--as-of",
        "2025-02-28T10:00:00Z",
        "--days",
        "0",
        "--json",
    ]);
    // Ten hours earlier it is the evening of 28 February in Tokyo: a1's birthday today.
    let reminders = v["owners"][0]["reminders"].as_array().unwrap();
    assert_eq!(reminders.len(), 1, "{reminders:?}");
    assert_eq!(reminders[0]["customer"], "a1");
    assert_eq!(reminders[0]["date"], "2025-02-28");
    assert_eq!(reminders[0]["years"], 33);

    // Bad values are refused naming the field.
    for (column, value, field) in [
        ("birthday", "1990-13-01", "birthday"),
        ("time_zone", "Mars/Olympus", "time_zone"),
        ("consents", "email;pigeon", "consents"),
    ] {
        let f = dir.path().join(format!("{field}.csv"));
        std::fs::write(&f, format!("customer_id,name,{column}\na1,Ann,{value}\n")).unwrap();
        let e = fails(&["care", "--customers", &arg(&f), "--json"], 3, field);
        assert!(e.contains("line 2"), "{e}");
    }
}
