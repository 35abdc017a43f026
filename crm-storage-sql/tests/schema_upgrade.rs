//! Databases written by earlier schemas are upgraded on open, keeping every row:
//!
//! * the first schema gains customer keys checked at commit
//!   (`migrations/sqlite/0002_deferred_customer_keys.sql`) while a missing customer still
//!   refuses a whole batch and a single write;
//! * the second gains the typed columns (`migrations/sqlite/0003_typed_columns.sql`), filled
//!   from the stored rows with exactly the values the store writes for new rows;
//! * the fourth gains the customers' time zone column
//!   (`migrations/sqlite/0005_customer_time_zone.sql`), NULL for the rows kept.

#![cfg(feature = "sqlite")]

use std::time::Duration as StdDuration;

use chrono::{DateTime, Duration, TimeZone, Utc};
use crm_core::{
    Channel, CsatScale, Currency, Customer, Deal, DealStage, Direction, Interaction,
    LifecycleStage, PartyKind, SurveyResponse, SurveyScore, Tag, Ticket, TicketCategory,
    TicketStatus, Transaction,
};
use crm_storage_sql::mapping::{SqlRecord, Value};
use crm_storage_sql::{MIGRATOR, SqliteStore};
use crm_storage_traits::{BatchAppend, CrmStore, Repository, StorageError, TimeRange};
use sqlx::sqlite::{SqliteConnectOptions, SqlitePool};

fn t0() -> DateTime<Utc> {
    Utc.with_ymd_and_hms(2024, 6, 1, 12, 0, 0).unwrap()
}

fn tx(id: &str, customer: &str) -> Transaction {
    Transaction::new(
        id.parse().unwrap(),
        customer.parse().unwrap(),
        t0(),
        "10.00 EUR".parse().unwrap(),
    )
}

/// The columns each table had before the typed columns were added.
fn legacy_columns(table: &str) -> &'static [&'static str] {
    match table {
        "customers" => &[
            "id",
            "owner",
            "status",
            "tags",
            "at",
            "updated_at",
            "email",
            "phone",
            "account_id",
            "parent_id",
            "body",
        ],
        "interactions" => &["id", "customer_id", "owner", "at", "body"],
        "tickets" => &[
            "id",
            "customer_id",
            "owner",
            "status",
            "tags",
            "at",
            "updated_at",
            "body",
        ],
        "deals" => &[
            "id",
            "customer_id",
            "owner",
            "status",
            "at",
            "updated_at",
            "body",
        ],
        "transactions" => &[
            "id",
            "customer_id",
            "at",
            "amount",
            "currency",
            "quantity",
            "external_id",
            "product",
            "category",
            "channel",
        ],
        "survey_responses" => &["id", "customer_id", "tags", "at", "body"],
        other => panic!("no table {other}"),
    }
}

/// Inserts `record` as the store maps it, keeping only `columns` (all of them, or the
/// columns of an earlier schema).
async fn insert_columns<R: SqlRecord>(pool: &SqlitePool, record: &R, columns: &[&str]) {
    let mut names = Vec::new();
    let mut q_values = Vec::new();
    for (name, value) in R::COLUMNS.iter().zip(record.values().unwrap()) {
        if columns.contains(name) {
            names.push(*name);
            q_values.push(value);
        }
    }
    assert_eq!(names.len(), columns.len(), "{} maps every column", R::TABLE);
    let sql = format!(
        "INSERT INTO {} (version, {}) VALUES (1{})",
        R::TABLE,
        names.join(", "),
        ", ?".repeat(names.len())
    );
    let mut q = sqlx::query(sqlx::AssertSqlSafe(sql));
    for v in q_values {
        q = match v {
            Value::Text(t) => q.bind(t),
            Value::Integer(n) => q.bind(n),
        };
    }
    q.execute(pool).await.unwrap();
}

/// Writes `record` as an earlier schema's row.
async fn insert_legacy<R: SqlRecord>(pool: &SqlitePool, record: &R) {
    insert_columns(pool, record, legacy_columns(R::TABLE)).await;
}

/// Writes `record` as the store writes it now.
async fn insert_current<R: SqlRecord>(pool: &SqlitePool, record: &R) {
    insert_columns(pool, record, R::COLUMNS).await;
}

async fn pool_at(path: &std::path::Path, version: i64) -> SqlitePool {
    let options = SqliteConnectOptions::new()
        .filename(path)
        .create_if_missing(true)
        .foreign_keys(true)
        .synchronous(sqlx::sqlite::SqliteSynchronous::Off);
    let pool = SqlitePool::connect_with(options).await.unwrap();
    MIGRATOR.run_to(version, &pool).await.unwrap();
    pool
}

async fn table_sql(store: &SqliteStore, table: &str) -> String {
    let (sql,): (String,) = sqlx::query_as("SELECT sql FROM sqlite_master WHERE name = ?")
        .bind(table)
        .fetch_one(store.pool())
        .await
        .unwrap();
    sql
}

async fn indexes(store: &SqliteStore, table: &str) -> Vec<String> {
    sqlx::query_as::<_, (String,)>(
        "SELECT name FROM sqlite_master WHERE type = 'index' AND tbl_name = ? \
         AND name NOT LIKE 'sqlite_autoindex%' ORDER BY name",
    )
    .bind(table)
    .fetch_all(store.pool())
    .await
    .unwrap()
    .into_iter()
    .map(|(n,)| n)
    .collect()
}

/// Every row of a table, each column as an SQL literal (`quote()`: text quoted, integers
/// bare, NULL), so that a value of the wrong type differs too.
async fn dump(pool: &SqlitePool, table: &str) -> Vec<Vec<String>> {
    let columns: Vec<(String,)> = sqlx::query_as(sqlx::AssertSqlSafe(format!(
        "SELECT name FROM pragma_table_info('{table}') ORDER BY cid"
    )))
    .fetch_all(pool)
    .await
    .unwrap();
    let list: Vec<String> = columns
        .iter()
        .map(|(c,)| format!("coalesce(quote({c}), 'NULL')"))
        .collect();
    let sql = format!(
        "SELECT {} FROM {table} ORDER BY id",
        list.join(" || char(31) || ")
    );
    let rows: Vec<(String,)> = sqlx::query_as(sqlx::AssertSqlSafe(sql))
        .fetch_all(pool)
        .await
        .unwrap();
    let names: Vec<String> = columns.into_iter().map(|(c,)| c).collect();
    rows.into_iter()
        .map(|(r,)| {
            r.split('\u{1f}')
                .zip(&names)
                .map(|(v, c)| format!("{c}={v}"))
                .collect()
        })
        .collect()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn first_schema_is_upgraded_with_its_rows() {
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("v1.db");
    let ann = Customer::new("A".parse().unwrap(), PartyKind::Person, "Ann", t0()).unwrap();
    let call = Interaction::new(
        "I-1".parse().unwrap(),
        "A".parse().unwrap(),
        Channel::Phone,
        Direction::Inbound,
        t0(),
    );
    let answer = SurveyResponse::new(
        "S-1".parse().unwrap(),
        "A".parse().unwrap(),
        t0(),
        SurveyScore::nps(9).unwrap(),
    )
    .unwrap();
    {
        let pool = pool_at(&db, 1).await;
        insert_legacy(&pool, &ann).await;
        insert_legacy(&pool, &tx("TX-1", "A")).await;
        insert_legacy(&pool, &call).await;
        insert_legacy(&pool, &answer).await;
        pool.close().await;
    }

    let store = SqliteStore::open(&db).await.unwrap();
    for table in ["interactions", "transactions", "survey_responses"] {
        assert!(
            table_sql(&store, table)
                .await
                .contains("DEFERRABLE INITIALLY DEFERRED"),
            "{table} checks its customer key at commit"
        );
    }
    assert_eq!(
        indexes(&store, "transactions").await,
        [
            "transactions_customer",
            "transactions_inexact",
            "transactions_time"
        ]
    );
    assert_eq!(
        indexes(&store, "interactions").await,
        ["interactions_customer", "interactions_owner"]
    );
    assert_eq!(
        indexes(&store, "survey_responses").await,
        ["survey_responses_customer", "survey_responses_time"]
    );
    assert_eq!(
        Repository::<Transaction>::get(&store, &"TX-1".parse().unwrap())
            .await
            .unwrap()
            .record,
        tx("TX-1", "A")
    );
    assert_eq!(
        Repository::<Interaction>::get(&store, &"I-1".parse().unwrap())
            .await
            .unwrap()
            .record,
        call
    );
    assert_eq!(
        Repository::<SurveyResponse>::get(&store, &"S-1".parse().unwrap())
            .await
            .unwrap()
            .record,
        answer
    );

    // A missing customer refuses the whole batch and a single write.
    let batch = vec![tx("TX-2", "A"), tx("TX-3", "NOBODY"), tx("TX-4", "A")];
    match store.append_batch(&batch).await {
        Err(StorageError::Invalid { field, .. }) => assert!(field.contains("customer"), "{field}"),
        other => panic!("expected Invalid naming the customer, got {other:?}"),
    }
    match store.create(tx("TX-5", "NOBODY")).await {
        Err(StorageError::Invalid { field, .. }) => assert!(field.contains("customer"), "{field}"),
        other => panic!("expected Invalid naming the customer, got {other:?}"),
    }
    let (n,): (i64,) = sqlx::query_as("SELECT count(*) FROM transactions")
        .fetch_one(store.pool())
        .await
        .unwrap();
    assert_eq!(n, 1, "nothing of the refused writes is stored");
    // The connection that ran the refused batch works on.
    let report = store
        .append_batch(&[tx("TX-1", "A"), tx("TX-2", "A")])
        .await
        .unwrap();
    assert_eq!((report.inserted, report.skipped), (1, 1));
    // A customer others refer to cannot be deleted outside an erasure.
    let version = Repository::<Customer>::get(&store, &"A".parse().unwrap())
        .await
        .unwrap()
        .version;
    assert!(matches!(
        Repository::<Customer>::delete(&store, &"A".parse().unwrap(), version).await,
        Err(StorageError::Invalid { .. })
    ));
}

/// Every ISO 4217 currency (the codes `Currency::from_code` knows).
fn currencies() -> Vec<Currency> {
    let letters = b'A'..=b'Z';
    let mut out = Vec::new();
    for a in letters.clone() {
        for b in letters.clone() {
            for c in letters.clone() {
                let code = String::from_utf8(vec![a, b, c]).unwrap();
                out.extend(Currency::from_code(&code));
            }
        }
    }
    out
}

/// Records of every kind, with every optional analysis field both set and unset, times
/// with 0, 3, 6 and 9 decimals, and amounts at the edges of the integer representation.
struct Fixture {
    customers: Vec<Customer>,
    interactions: Vec<Interaction>,
    tickets: Vec<Ticket>,
    deals: Vec<Deal>,
    transactions: Vec<Transaction>,
    surveys: Vec<SurveyResponse>,
}

fn fixture() -> Fixture {
    let times = [
        t0(),
        t0() + Duration::milliseconds(5),
        t0() + Duration::microseconds(7),
        t0() + Duration::nanoseconds(1_500),
        Utc.with_ymd_and_hms(1969, 12, 31, 23, 59, 59).unwrap() + Duration::nanoseconds(1),
        Utc.with_ymd_and_hms(0, 1, 1, 0, 0, 0).unwrap(),
        Utc.with_ymd_and_hms(9999, 12, 31, 23, 59, 59).unwrap()
            + Duration::nanoseconds(999_999_999),
    ];
    let mut ann = Customer::new("A".parse().unwrap(), PartyKind::Person, "Ann", t0()).unwrap();
    ann.owner = Some("u1".parse().unwrap());
    ann.tags.insert(Tag::new("vip").unwrap());
    let mut org = Customer::new(
        "B".parse().unwrap(),
        PartyKind::Organization,
        "Org",
        times[3],
    )
    .unwrap();
    org.source = Some(Channel::Web);
    org.lifecycle_stage = Some(LifecycleStage::Active);
    let customers = vec![ann, org];

    let mut interactions = Vec::new();
    let durations = [
        None,
        Some(StdDuration::new(75, 5)),
        Some(StdDuration::new(9_223_372_036, 854_775_807)),
        Some(StdDuration::new(9_223_372_036, 854_775_808)),
        Some(StdDuration::MAX),
    ];
    for (i, d) in durations.into_iter().enumerate() {
        let mut call = Interaction::new(
            format!("I-{i}").parse().unwrap(),
            "A".parse().unwrap(),
            Channel::Phone,
            if i % 2 == 0 {
                Direction::Inbound
            } else {
                Direction::Outbound
            },
            times[i % times.len()],
        );
        call.duration = d;
        if i == 1 {
            call.ticket = Some("T-1".parse().unwrap());
            call.deal = Some("D-1".parse().unwrap());
            call.agent = Some("u1".parse().unwrap());
        }
        interactions.push(call);
    }

    let mut tickets = Vec::new();
    for (i, t) in times.iter().enumerate() {
        let mut ticket = Ticket::new(
            format!("T-{i}").parse().unwrap(),
            "B".parse().unwrap(),
            TicketCategory::Question,
            Channel::Email,
            *t,
        );
        if i % 2 == 1 {
            ticket.first_response_at = Some(times[(i + 1) % times.len()]);
            ticket.solved_at = Some(times[(i + 2) % times.len()]);
            ticket.status = TicketStatus::Solved;
        }
        if i % 3 == 1 {
            ticket.closed_at = Some(times[(i + 3) % times.len()]);
        }
        tickets.push(ticket);
    }

    let amounts = [
        "12.5",
        "1.230000",
        "100.000",
        "0.00",
        "-3.25",
        "0",
        "-0.00",
        "0.125",
        "0.0000000000000000000000000001",
        "7",
        "92233720368547758.07",
        "-92233720368547758.07",
        "92233720368547758.08",
        "-92233720368547758.08",
        "9223372036854775807",
        "79228162514264337593543950335",
    ];
    let mut transactions = Vec::new();
    let mut deals = Vec::new();
    let mut n = 0;
    for currency in currencies() {
        for amount in &amounts {
            let money = crm_core::Money::new(amount.parse().unwrap(), currency);
            let at = times[n % times.len()];
            transactions.push(Transaction::new(
                format!("TX-{n}").parse().unwrap(),
                if n % 2 == 0 { "A" } else { "B" }.parse().unwrap(),
                at,
                money,
            ));
            if n % 5 == 0 {
                let mut deal = Deal::new(
                    format!("D-{n}").parse().unwrap(),
                    "A".parse().unwrap(),
                    "Deal",
                    crm_core::Money::new(money.amount().abs(), currency),
                    at,
                )
                .unwrap();
                if n % 10 == 0 {
                    deal.stage = DealStage::Won;
                    deal.closed_at = Some(at);
                }
                deals.push(deal);
            }
            n += 1;
        }
    }

    let scores = [
        SurveyScore::nps(0).unwrap(),
        SurveyScore::nps(10).unwrap(),
        SurveyScore::ces(2).unwrap(),
        SurveyScore::csat(4, CsatScale::new(1, 5).unwrap()).unwrap(),
        SurveyScore::csat(3, CsatScale::new(0, 3).unwrap()).unwrap(),
    ];
    let mut surveys = Vec::new();
    for (i, score) in scores.into_iter().enumerate() {
        let mut s = SurveyResponse::new(
            format!("S-{i}").parse().unwrap(),
            "B".parse().unwrap(),
            times[i],
            score,
        )
        .unwrap();
        if i == 2 {
            s.ticket = Some("T-1".parse().unwrap());
            s.interaction = Some("I-1".parse().unwrap());
        }
        surveys.push(s);
    }
    Fixture {
        customers,
        interactions,
        tickets,
        deals,
        transactions,
        surveys,
    }
}

const TABLES: [&str; 6] = [
    "customers",
    "interactions",
    "tickets",
    "deals",
    "transactions",
    "survey_responses",
];

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn second_schema_gains_typed_columns_equal_to_new_writes() {
    let dir = tempfile::tempdir().unwrap();
    let f = fixture();

    // The same records, written at the second schema and then upgraded ...
    let old = dir.path().join("v2.db");
    {
        let pool = pool_at(&old, 2).await;
        for r in &f.customers {
            insert_legacy(&pool, r).await;
        }
        for r in &f.interactions {
            insert_legacy(&pool, r).await;
        }
        for r in &f.tickets {
            insert_legacy(&pool, r).await;
        }
        for r in &f.deals {
            insert_legacy(&pool, r).await;
        }
        for r in &f.transactions {
            insert_legacy(&pool, r).await;
        }
        for r in &f.surveys {
            insert_legacy(&pool, r).await;
        }
        pool.close().await;
    }
    let upgraded = SqliteStore::open(&old).await.unwrap();

    // ... and written by the current mapping into a new database.
    let new = dir.path().join("v3.db");
    let fresh = SqliteStore::open(&new).await.unwrap();
    let pool = fresh.pool();
    for r in &f.customers {
        insert_current(pool, r).await;
    }
    for r in &f.interactions {
        insert_current(pool, r).await;
    }
    for r in &f.tickets {
        insert_current(pool, r).await;
    }
    for r in &f.deals {
        insert_current(pool, r).await;
    }
    for r in &f.transactions {
        insert_current(pool, r).await;
    }
    for r in &f.surveys {
        insert_current(pool, r).await;
    }

    for table in TABLES {
        let got = dump(upgraded.pool(), table).await;
        let want = dump(fresh.pool(), table).await;
        assert!(!want.is_empty(), "the fixture has {table}");
        assert_eq!(got.len(), want.len(), "every row of {table} is kept");
        for (g, w) in got.iter().zip(&want) {
            assert_eq!(g, w, "an upgraded row of {table} equals a new write");
        }
    }

    // The new columns are filled (not merely NULL on both sides).
    let (filled,): (i64,) = sqlx::query_as(
        "SELECT count(*) FROM transactions \
         WHERE amount_minor IS NOT NULL AND amount_scale IS NOT NULL AND day IS NOT NULL",
    )
    .fetch_one(upgraded.pool())
    .await
    .unwrap();
    assert!(filled > 0);
    let (jpy,): (i64,) = sqlx::query_as(
        "SELECT amount_minor FROM transactions WHERE currency = 'JPY' AND amount = '7'",
    )
    .fetch_one(upgraded.pool())
    .await
    .unwrap();
    assert_eq!(jpy, 7, "JPY has no minor digits");
    let (kwd,): (i64,) = sqlx::query_as(
        "SELECT amount_minor FROM transactions WHERE currency = 'KWD' AND amount = '7'",
    )
    .fetch_one(upgraded.pool())
    .await
    .unwrap();
    assert_eq!(kwd, 7000, "KWD has three minor digits");

    // Records read back unchanged, and the summaries agree with the reference fold.
    for t in &f.transactions {
        assert_eq!(
            &Repository::<Transaction>::get(&upgraded, &t.id)
                .await
                .unwrap()
                .record,
            t
        );
    }
    for d in &f.deals {
        assert_eq!(
            &Repository::<Deal>::get(&upgraded, &d.id)
                .await
                .unwrap()
                .record,
            d
        );
    }
    let reference = crm_storage_traits::summarize_purchases(&upgraded, TimeRange::all()).await;
    let got = upgraded.purchase_summaries(TimeRange::all()).await;
    assert_eq!(format!("{got:?}"), format!("{reference:?}"));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn fourth_schema_gains_the_time_zone_keeping_every_row() {
    let dir = tempfile::tempdir().unwrap();
    let f = fixture();
    let path = dir.path().join("v4.db");
    {
        let pool = pool_at(&path, 4).await;
        let before: Vec<&str> = Customer::COLUMNS
            .iter()
            .copied()
            .filter(|c| *c != "time_zone")
            .collect();
        for c in &f.customers {
            insert_columns(&pool, c, &before).await;
        }
        for t in &f.transactions {
            insert_current(&pool, t).await;
        }
        pool.close().await;
    }
    let store = SqliteStore::open(&path).await.unwrap();
    for c in &f.customers {
        let got = Repository::<Customer>::get(&store, &c.id).await.unwrap();
        assert_eq!(&got.record, c, "a kept customer reads back unchanged");
    }
    for t in &f.transactions {
        assert_eq!(
            &Repository::<Transaction>::get(&store, &t.id)
                .await
                .unwrap()
                .record,
            t
        );
    }
    let (zones,): (i64,) = sqlx::query_as("SELECT count(*) FROM customers WHERE time_zone IS NULL")
        .fetch_one(store.pool())
        .await
        .unwrap();
    assert_eq!(
        zones as usize,
        f.customers.len(),
        "kept rows have no time zone"
    );
    let mut zoned = f.customers[0].clone();
    zoned.time_zone = Some("Pacific/Auckland".parse().unwrap());
    store.update(zoned.clone(), 1).await.unwrap();
    let (zone,): (Option<String>,) = sqlx::query_as("SELECT time_zone FROM customers WHERE id = ?")
        .bind(zoned.id.to_string())
        .fetch_one(store.pool())
        .await
        .unwrap();
    assert_eq!(zone.as_deref(), Some("Pacific/Auckland"));
    assert_eq!(
        Repository::<Customer>::get(&store, &zoned.id)
            .await
            .unwrap()
            .record,
        zoned
    );
}
