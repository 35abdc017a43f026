//! The conformance kit: public async test functions that prove a store honours the
//! contract.
//!
//! Each function takes a factory that returns a fresh, empty store, exercises one part of
//! the contract and panics (like a failing `assert!`) with a message naming the rule that
//! was broken.
//!
//! # One call runs the whole kit
//!
//! In a store's test file, [`conformance_tests!`](crate::conformance_tests) expands to one
//! `#[test]` per kit function, named after it (so a failure names the rule), each running
//! the function against the factory:
//!
//! ```ignore
//! // tests/conformance.rs of a store crate
//! crm_storage_traits::conformance_tests!(async || MyStore::open_fresh().await.unwrap());
//! ```
//!
//! A function added to the kit reaches every store through that one line. The factory
//! expression is evaluated inside each generated test, so it may set up what the test needs
//! (a temporary directory, a database schema) or `return` early to skip the test where a
//! resource is missing. The generated tests need no async runtime from the caller: each
//! runs on a two-thread tokio runtime of its own ([`block_on`]), so the caller needs no
//! `tokio` dependency. Wrap the call in a module to run the kit twice in one file:
//!
//! ```ignore
//! mod in_memory { crm_storage_traits::conformance_tests!(async || MyStore::in_memory().await); }
//! mod on_disk { crm_storage_traits::conformance_tests!(super::file_factory()); }
//! ```
//!
//! # Calling kit functions directly
//!
//! ```
//! use crm_storage_traits::{conformance, MemoryStore};
//! # futures::executor::block_on(async {
//! conformance::crud(|| async { MemoryStore::new() }).await;
//! conformance::version_conflicts(|| async { MemoryStore::new() }).await;
//! # });
//! ```
//!
//! [`run_all`] runs every function in turn. The kit functions need no async runtime of
//! their own; concurrent parts run their tasks with `futures::future::join_all` on the
//! caller's runtime, so a store backed by a thread pool or a database sees truly
//! concurrent requests.

use std::collections::{BTreeMap, BTreeSet};
use std::future::Future;

use chrono::{DateTime, Duration, TimeZone, Utc};
use crm_core::{
    AttributeValue, Campaign, CampaignGroup, CampaignMember, Channel, ConsentChannel, Customer,
    CustomerId, Deal, DealStage, Direction, Email, FieldRule, FieldRules, Interaction,
    LifecycleStage, LoyaltyEvent, LoyaltyEventKind, Money, PartyKind, Personal, Phone,
    SurveyResponse, SurveyScore, Tag, Ticket, TicketCategory, TicketStatus, Transaction, UserId,
};
use futures::StreamExt;
use futures::future::join_all;
use rust_decimal::Decimal;

use crate::{
    BatchReport, BulkImport, ChunkReport, CrmStore, CustomerMerge, Erasure, Filter, MergeStamp,
    PageRequest, Record, Repository, Status, StorageError, TimeRange, TimeScan, Versioned,
};

/// What every kit function takes: a factory of fresh, empty stores, that is any
/// `Fn() -> impl Future<Output = S>` (an `async fn`, an async closure, a closure returning
/// a boxed future).
pub trait Factory<S: CrmStore>: Fn() -> Self::Made {
    /// The future the factory returns.
    type Made: Future<Output = S>;
}

impl<S, F, Fut> Factory<S> for F
where
    S: CrmStore,
    F: Fn() -> Fut,
    Fut: Future<Output = S>,
{
    type Made = Fut;
}

/// A time on 2024-03-`day` at `hour`:00 UTC.
fn at(day: u32, hour: u32) -> DateTime<Utc> {
    Utc.with_ymd_and_hms(2024, 3, day, hour, 0, 0).unwrap()
}

fn customer(id: &str, name: &str) -> Customer {
    Customer::new(id.parse().unwrap(), PartyKind::Person, name, at(1, 9)).unwrap()
}

fn money(text: &str) -> Money {
    text.parse().unwrap()
}

fn tx(id: &str, customer: &str, time: DateTime<Utc>, amount: &str) -> Transaction {
    Transaction::new(
        id.parse().unwrap(),
        customer.parse().unwrap(),
        time,
        money(amount),
    )
}

fn survey(id: &str, customer: &str, time: DateTime<Utc>, score: u8) -> SurveyResponse {
    SurveyResponse::new(
        id.parse().unwrap(),
        customer.parse().unwrap(),
        time,
        SurveyScore::nps(score).unwrap(),
    )
    .unwrap()
}

fn ticket(id: &str, customer: &str, time: DateTime<Utc>) -> Ticket {
    Ticket::new(
        id.parse().unwrap(),
        customer.parse().unwrap(),
        TicketCategory::Question,
        Channel::Email,
        time,
    )
}

fn deal(id: &str, customer: &str, title: &str, amount: &str) -> Deal {
    Deal::new(
        id.parse().unwrap(),
        customer.parse().unwrap(),
        title,
        money(amount),
        at(2, 9),
    )
    .unwrap()
}

fn interaction(id: &str, customer: &str, time: DateTime<Utc>) -> Interaction {
    Interaction::new(
        id.parse().unwrap(),
        customer.parse().unwrap(),
        Channel::Phone,
        Direction::Inbound,
        time,
    )
}

fn loyalty(id: &str, customer: &str, time: DateTime<Utc>, points: i64) -> LoyaltyEvent {
    let kind = if points > 0 {
        LoyaltyEventKind::Earn
    } else {
        LoyaltyEventKind::Redeem
    };
    LoyaltyEvent::new(
        id.parse().unwrap(),
        customer.parse().unwrap(),
        kind,
        time,
        points,
    )
}

fn user(id: &str) -> UserId {
    id.parse().unwrap()
}

/// Every record of kind `R`, page by page.
async fn all<R: Record, S: Repository<R> + ?Sized>(store: &S) -> Vec<Versioned<R>> {
    let mut out = Vec::new();
    let mut page = PageRequest::first(500);
    loop {
        let got = store
            .list(&Filter::default(), &page)
            .await
            .expect("listing every record works");
        out.extend(got.items);
        match got.next {
            Some(next) => page.after = Some(next),
            None => return out,
        }
    }
}

async fn ids<R: Record, S: Repository<R> + ?Sized>(store: &S, filter: &Filter) -> Vec<String> {
    let mut out = Vec::new();
    let mut page = PageRequest::first(3);
    loop {
        let got = store.list(filter, &page).await.expect("listing works");
        out.extend(got.items.iter().map(|v| v.record.id().to_string()));
        match got.next {
            Some(next) => page.after = Some(next),
            None => return out,
        }
    }
}

async fn count<R: Record, S: Repository<R> + ?Sized>(store: &S) -> usize {
    all::<R, S>(store).await.len()
}

fn is_invalid<T: std::fmt::Debug>(result: &Result<T, StorageError>, field_part: &str) -> bool {
    matches!(result, Err(StorageError::Invalid { field, .. }) if field.contains(field_part))
}

/// Create, get, update and delete for every kind of record; versions start at 1 and grow
/// by 1; a deleted record is gone.
pub async fn crud<S: CrmStore>(make: impl Factory<S>) {
    let store = make().await;
    crud_customer(&store).await;
    crud_every_kind(&store).await;
    crud_deletes(&store).await;
}

/// The stored record with this id (panics if it cannot be read).
async fn stored<R: Record, S: Repository<R> + ?Sized>(store: &S, id: &R::Id) -> R {
    store.get(id).await.expect("get a stored record").record
}

/// Creates `record`, which must come back at version 1 and read back unchanged.
async fn create_and_read_back<R: Record, S: Repository<R> + ?Sized>(store: &S, record: &R) {
    let created = store.create(record.clone()).await.expect("create a record");
    assert_eq!(created.version, 1, "a new record is at version 1");
    assert_eq!(
        &stored::<R, S>(store, record.id()).await,
        record,
        "get returns exactly what was created"
    );
}

/// Part of [`crud`]: a customer with every kind of field is created, read and updated.
async fn crud_customer<S: CrmStore>(store: &S) {
    let mut ann = customer("CUST-1", "Ann Example");
    ann.email = Some(Email::parse("ann@example.com").unwrap());
    ann.tags.insert(Tag::new("vip").unwrap());
    ann.set_attribute("score", AttributeValue::from(Decimal::new(12345, 2)))
        .unwrap();
    ann.time_zone = Some("America/Argentina/Buenos_Aires".parse().unwrap());
    create_and_read_back(store, &ann).await;
    let got: Versioned<Customer> = store.get(&ann.id).await.expect("get the customer");
    assert_eq!(got.version, 1);

    let mut changed = ann.clone();
    changed.lifecycle_stage = Some(LifecycleStage::Active);
    changed.time_zone = Some("Asia/Kolkata".parse().unwrap());
    changed.updated_at = at(3, 9);
    let updated = store.update(changed.clone(), 1).await.expect("update");
    assert_eq!(updated.version, 2, "an update adds 1 to the version");
    let got: Versioned<Customer> = store.get(&ann.id).await.unwrap();
    assert_eq!(
        got,
        Versioned {
            record: changed,
            version: 2
        }
    );
}

/// Part of [`crud`]: every other kind of record is created, read back and updated; money
/// and quantities keep their scale.
async fn crud_every_kind<S: CrmStore>(store: &S) {
    let t = tx("TX-1", "CUST-1", at(2, 10), "59.90 EUR");
    let tk = ticket("T-1", "CUST-1", at(2, 12));
    create_and_read_back(store, &t).await;
    create_and_read_back(store, &survey("S-1", "CUST-1", at(2, 11), 9)).await;
    create_and_read_back(store, &tk).await;
    create_and_read_back(store, &deal("D-1", "CUST-1", "Renewal", "1200.00 EUR")).await;
    create_and_read_back(store, &interaction("I-1", "CUST-1", at(2, 13))).await;

    let mut tk2 = tk.clone();
    tk2.status = TicketStatus::Open;
    tk2.first_response_at = Some(at(2, 14));
    assert_eq!(store.update(tk2.clone(), 1).await.unwrap().version, 2);
    assert_eq!(stored::<Ticket, S>(store, &tk.id).await, tk2);
    let mut t2 = t.clone();
    t2.amount = money("-19.990 BHD");
    t2.quantity = Decimal::new(25, 1);
    assert_eq!(store.update(t2.clone(), 1).await.unwrap().version, 2);
    let back = stored::<Transaction, S>(store, &t.id).await;
    assert_eq!(
        back, t2,
        "money and quantities come back exactly, scale included"
    );
    assert_eq!(back.amount.amount().to_string(), "-19.990");
}

/// Part of [`crud`]: deleted records are gone; a customer others refer to stays.
async fn crud_deletes<S: CrmStore>(store: &S) {
    let tk: crm_core::TicketId = "T-1".parse().unwrap();
    Repository::<Ticket>::delete(store, &tk, 2)
        .await
        .expect("delete a ticket");
    assert!(
        matches!(
            Repository::<Ticket>::get(store, &tk).await,
            Err(StorageError::NotFound { .. })
        ),
        "a deleted record is gone"
    );
    assert!(
        matches!(
            Repository::<Ticket>::delete(store, &tk, 2).await,
            Err(StorageError::NotFound { .. })
        ),
        "deleting a missing record is NotFound"
    );
    assert!(matches!(
        Repository::<Deal>::get(store, &"D-404".parse().unwrap()).await,
        Err(StorageError::NotFound { .. })
    ));
    // A customer others refer to cannot be deleted; without references it can.
    assert!(is_invalid(
        &Repository::<Customer>::delete(store, &"CUST-1".parse().unwrap(), 2).await,
        "customer"
    ));
    let bob = customer("CUST-2", "Bob");
    store.create(bob.clone()).await.unwrap();
    Repository::<Customer>::delete(store, &bob.id, 1)
        .await
        .expect("delete a customer");
    assert!(matches!(
        Repository::<Customer>::get(store, &bob.id).await,
        Err(StorageError::NotFound { .. })
    ));
}

/// Creating a record whose id exists is a `Duplicate` error and changes nothing.
pub async fn duplicates<S: CrmStore>(make: impl Factory<S>) {
    let store = make().await;
    let ann = customer("CUST-1", "Ann");
    store.create(ann.clone()).await.unwrap();
    let other = customer("CUST-1", "Someone Else");
    assert!(
        matches!(
            store.create(other).await,
            Err(StorageError::Duplicate { .. })
        ),
        "an existing id is a Duplicate error"
    );
    let got: Versioned<Customer> = store.get(&ann.id).await.unwrap();
    assert_eq!(
        got,
        Versioned {
            record: ann,
            version: 1
        },
        "a refused create writes nothing"
    );
    let t = tx("TX-1", "CUST-1", at(2, 10), "1.00 EUR");
    store.create(t.clone()).await.unwrap();
    let mut t2 = t.clone();
    t2.amount = money("2.00 EUR");
    assert!(matches!(
        store.create(t2).await,
        Err(StorageError::Duplicate { .. })
    ));
    assert_eq!(stored::<Transaction, S>(&store, &t.id).await, t);
    // Integer and text keys that print the same are the same key.
    let c42 = Customer::new(42.into(), PartyKind::Person, "Int", at(1, 9)).unwrap();
    store.create(c42).await.unwrap();
    assert!(matches!(
        store.create(customer("42", "Text")).await,
        Err(StorageError::Duplicate { .. })
    ));
}

/// A stale expected version is a `Conflict { expected, actual }` and writes nothing.
pub async fn version_conflicts<S: CrmStore>(make: impl Factory<S>) {
    let store = make().await;
    let ann = customer("CUST-1", "Ann");
    store.create(ann.clone()).await.unwrap();
    let mut first = ann.clone();
    first.owner = Some(user("alice"));
    store.update(first.clone(), 1).await.unwrap();
    let mut second = ann.clone();
    second.owner = Some(user("bob"));
    match store.update(second, 1).await {
        Err(StorageError::Conflict {
            expected, actual, ..
        }) => assert_eq!((expected, actual), (1, 2), "Conflict names both versions"),
        other => panic!("a stale update must be a Conflict, got {other:?}"),
    }
    let got: Versioned<Customer> = store.get(&ann.id).await.unwrap();
    assert_eq!(got.record, first, "a refused update writes nothing");
    assert_eq!(got.version, 2);
    assert!(
        matches!(
            Repository::<Customer>::delete(&store, &ann.id, 1).await,
            Err(StorageError::Conflict {
                expected: 1,
                actual: 2,
                ..
            })
        ),
        "a stale delete is a Conflict"
    );
    assert!(Repository::<Customer>::get(&store, &ann.id).await.is_ok());
    assert!(
        matches!(
            store.update(customer("CUST-404", "Nobody"), 1).await,
            Err(StorageError::NotFound { .. })
        ),
        "updating a missing record is NotFound"
    );
    // A future version is stale too.
    assert!(matches!(
        store.update(first.clone(), 7).await,
        Err(StorageError::Conflict {
            expected: 7,
            actual: 2,
            ..
        })
    ));
}

/// Paging through customers while others insert neither skips nor repeats a record that
/// existed when paging began; pages respect their limit; bad limits are `Invalid`.
pub async fn pagination_under_concurrent_inserts<S: CrmStore>(make: impl Factory<S>) {
    let store = make().await;
    let mut existing = BTreeSet::new();
    for i in 0..60 {
        let id = format!("C-{:03}", i * 2);
        store.create(customer(&id, "Paged")).await.unwrap();
        existing.insert(id);
    }
    let mut seen = Vec::new();
    let mut page = PageRequest::first(7);
    let mut round = 0;
    let everything = Filter::default();
    loop {
        // Others insert between every two pages and during the request: ids before and
        // after the cursor.
        let inserts = join_all((0..3).map(|k| {
            let id = format!("C-{:03}", (round * 3 + k) * 2 + 1);
            let store = &store;
            async move { store.create(customer(&id, "Late")).await }
        }));
        let (got, inserted) = futures::join!(
            Repository::<Customer>::list(&store, &everything, &page),
            inserts
        );
        for r in inserted {
            r.expect("concurrent insert");
        }
        let got = got.expect("list a page");
        assert!(got.items.len() <= 7, "a page holds at most `limit` records");
        seen.extend(got.items.iter().map(|v| v.record.id.to_string()));
        round += 1;
        match got.next {
            Some(next) => page.after = Some(next),
            None => break,
        }
    }
    let unique: BTreeSet<_> = seen.iter().cloned().collect();
    assert_eq!(unique.len(), seen.len(), "no record is returned twice");
    assert!(
        existing.is_subset(&unique),
        "every record that existed when paging began is returned"
    );
    let mut sorted = seen.clone();
    sorted.sort();
    assert_eq!(sorted, seen, "pages come in ascending order of id text");
    assert!(is_invalid(
        &Repository::<Customer>::list(&store, &Filter::default(), &PageRequest::first(0)).await,
        "page.limit"
    ));
    assert!(is_invalid(
        &Repository::<Customer>::list(
            &store,
            &Filter::default(),
            &PageRequest::first(crate::MAX_PAGE_LIMIT + 1)
        )
        .await,
        "page.limit"
    ));
}

/// Filters by customer, owner, tag, status, updated-since and time range, alone and
/// combined; fields a kind of record lacks match nothing.
pub async fn filters<S: CrmStore>(make: impl Factory<S>) {
    let store = make().await;
    filter_customers(&store).await;
    filter_tickets(&store).await;
    filter_other_kinds(&store).await;
}

fn by_owner(id: &str) -> Filter {
    Filter {
        owner: Some(user(id)),
        ..Filter::default()
    }
}

fn by_tag(tag: &str) -> Filter {
    Filter {
        tag: Some(Tag::new(tag).unwrap()),
        ..Filter::default()
    }
}

fn by_status(status: Status) -> Filter {
    Filter {
        status: Some(status),
        ..Filter::default()
    }
}

fn of_customer(id: &str) -> Filter {
    Filter {
        customer: Some(id.parse().unwrap()),
        ..Filter::default()
    }
}

fn updated_since(time: DateTime<Utc>) -> Filter {
    Filter {
        updated_since: Some(time),
        ..Filter::default()
    }
}

const CHURNED: Status = Status::Lifecycle(LifecycleStage::Churned);

/// Part of [`filters`]: customers by owner, tag, lifecycle stage, update and creation time.
async fn filter_customers<S: CrmStore>(store: &S) {
    let vip = Tag::new("vip").unwrap();
    let mut a = customer("A", "Ann");
    a.owner = Some(user("alice"));
    a.tags.insert(vip.clone());
    a.lifecycle_stage = Some(LifecycleStage::Active);
    a.updated_at = at(5, 9);
    let mut b = customer("B", "Bob");
    b.owner = Some(user("bob"));
    b.tags.insert(Tag::new("vip-gold").unwrap());
    b.lifecycle_stage = Some(LifecycleStage::Churned);
    b.updated_at = at(3, 9);
    let mut c = customer("C", "Cid");
    c.owner = Some(user("alice"));
    c.tags.insert(Tag::new("Gold").unwrap());
    c.tags.insert(vip.clone());
    c.lifecycle_stage = Some(LifecycleStage::Churned);
    c.created_at = at(4, 9);
    c.updated_at = at(4, 9);
    for x in [&a, &b, &c] {
        store.create(x.clone()).await.unwrap();
    }
    assert_eq!(
        ids::<Customer, S>(store, &by_owner("alice")).await,
        ["A", "C"],
        "owner filter"
    );
    assert_eq!(
        ids::<Customer, S>(store, &by_tag("vip")).await,
        ["A", "C"],
        "tag filter matches whole tags only"
    );
    assert_eq!(
        ids::<Customer, S>(store, &by_status(CHURNED)).await,
        ["B", "C"]
    );
    assert_eq!(
        ids::<Customer, S>(store, &updated_since(at(4, 9))).await,
        ["A", "C"],
        "updated_since is inclusive"
    );
    let combined = Filter {
        owner: Some(user("alice")),
        status: Some(CHURNED),
        tag: Some(vip),
        ..Filter::default()
    };
    assert_eq!(ids::<Customer, S>(store, &combined).await, ["C"]);
    let created = Filter {
        time: Some(TimeRange::new(at(4, 0), at(5, 0)).unwrap()),
        ..Filter::default()
    };
    assert_eq!(ids::<Customer, S>(store, &created).await, ["C"]);
}

/// Part of [`filters`]: tickets by status, assignee, customer, tag and update time.
async fn filter_tickets<S: CrmStore>(store: &S) {
    let mut t1 = ticket("T-1", "A", at(2, 9));
    t1.status = TicketStatus::Open;
    t1.assignee = Some(user("alice"));
    t1.tags.insert(Tag::new("vip").unwrap());
    let mut t2 = ticket("T-2", "B", at(2, 10));
    t2.status = TicketStatus::Solved;
    t2.solved_at = Some(at(3, 10));
    t2.assignee = Some(user("alice"));
    let t3 = ticket("T-3", "A", at(2, 11));
    for t in [&t1, &t2, &t3] {
        store.create(t.clone()).await.unwrap();
    }
    let open = by_status(Status::Ticket(TicketStatus::Open));
    assert_eq!(ids::<Ticket, S>(store, &open).await, ["T-1"]);
    assert_eq!(
        ids::<Ticket, S>(store, &by_owner("alice")).await,
        ["T-1", "T-2"]
    );
    assert_eq!(ids::<Ticket, S>(store, &by_tag("vip")).await, ["T-1"]);
    assert_eq!(
        ids::<Ticket, S>(store, &of_customer("A")).await,
        ["T-1", "T-3"]
    );
    assert_eq!(
        ids::<Ticket, S>(store, &updated_since(at(3, 0))).await,
        ["T-2"]
    );
    // A lifecycle stage never matches a ticket.
    assert!(
        ids::<Ticket, S>(store, &by_status(CHURNED))
            .await
            .is_empty()
    );
}

/// Part of [`filters`]: an owner never matches a transaction; deals by stage.
async fn filter_other_kinds<S: CrmStore>(store: &S) {
    store
        .create(tx("TX-1", "A", at(2, 9), "5 EUR"))
        .await
        .unwrap();
    assert!(
        ids::<Transaction, S>(store, &by_owner("alice"))
            .await
            .is_empty()
    );
    assert_eq!(
        ids::<Transaction, S>(store, &of_customer("A")).await,
        ["TX-1"]
    );
    let mut d = deal("D-1", "A", "Deal", "10 EUR");
    d.stage = DealStage::Won;
    d.closed_at = Some(at(3, 0));
    store.create(d).await.unwrap();
    store
        .create(deal("D-2", "B", "Deal", "10 EUR"))
        .await
        .unwrap();
    let won = by_status(Status::Deal(DealStage::Won));
    assert_eq!(ids::<Deal, S>(store, &won).await, ["D-1"]);
}

/// Time ranges include their start and exclude their end, in listings and in scans.
pub async fn time_range_boundaries<S: CrmStore>(make: impl Factory<S>) {
    let store = make().await;
    store.create(customer("A", "Ann")).await.unwrap();
    let start = at(10, 0);
    let end = at(11, 0);
    let ns = Duration::nanoseconds(1);
    let batch = vec![
        tx("before", "A", start - ns, "1 EUR"),
        tx("start", "A", start, "1 EUR"),
        tx("inside", "A", start + Duration::hours(5), "1 EUR"),
        tx("last", "A", end - ns, "1 EUR"),
        tx("end", "A", end, "1 EUR"),
    ];
    store.append_batch(&batch).await.unwrap();
    let surveys = vec![
        survey("before", "A", start - ns, 1),
        survey("start", "A", start, 2),
        survey("last", "A", end - ns, 3),
        survey("end", "A", end, 4),
    ];
    store.append_batch(&surveys).await.unwrap();
    let range = TimeRange::new(start, end).unwrap();
    let filter = Filter {
        time: Some(range),
        ..Filter::default()
    };
    assert_eq!(
        ids::<Transaction, S>(&store, &filter).await,
        ["inside", "last", "start"],
        "start inclusive, end exclusive (to the nanosecond)"
    );
    assert_eq!(
        scanned_ids::<Transaction, S>(&store, range, 2).await,
        ["start", "inside", "last"],
        "scans are in time order"
    );
    assert_eq!(
        scanned_ids::<SurveyResponse, S>(&store, range, 1).await,
        ["start", "last"]
    );
    let empty = TimeRange::new(start, start).unwrap();
    assert_eq!(
        store.scan_transactions(empty, 10).count().await,
        0,
        "[t, t) is empty"
    );
    assert!(is_invalid(&TimeRange::new(end, start), "time_range"));
}

/// Streaming scans return every record in the range exactly once, in pages of at most the
/// requested size, in (time, id) order.
pub async fn streaming_scans<S: CrmStore>(make: impl Factory<S>) {
    let store = make().await;
    store.create(customer("A", "Ann")).await.unwrap();
    // Many records share a timestamp, so the id must break ties.
    let batch: Vec<Transaction> = (0..250)
        .map(|i| tx(&format!("TX-{i:04}"), "A", at(1 + i % 7, 0), "1.50 EUR"))
        .collect();
    store.append_batch(&batch).await.unwrap();
    let pages: Vec<Vec<Transaction>> = store
        .scan_transactions(TimeRange::all(), 16)
        .map(|p| p.unwrap())
        .collect()
        .await;
    assert!(
        pages.iter().all(|p| !p.is_empty() && p.len() <= 16),
        "bounded pages"
    );
    let flat: Vec<Transaction> = pages.concat();
    assert_eq!(flat.len(), 250, "every record once");
    let keys: Vec<(DateTime<Utc>, String)> = flat
        .iter()
        .map(|t| (t.occurred_at, t.id.to_string()))
        .collect();
    let mut sorted = keys.clone();
    sorted.sort();
    assert_eq!(keys, sorted, "(time, id) order");
    let unique: BTreeSet<_> = keys.iter().collect();
    assert_eq!(unique.len(), 250);
    let total = Money::sum(money("0 EUR").currency(), flat.iter().map(|t| &t.amount)).unwrap();
    assert_eq!(total, money("375.00 EUR"), "amounts are exact");
}

/// Importing the same batch twice adds nothing; repeated ids inside a batch count once.
pub async fn idempotent_batches<S: CrmStore>(make: impl Factory<S>) {
    let store = make().await;
    store.create(customer("A", "Ann")).await.unwrap();
    let batch: Vec<Transaction> = (0..40)
        .map(|i| {
            tx(
                &format!("TX-{i}"),
                "A",
                at(2, 0) + Duration::minutes(i),
                "9.99 USD",
            )
        })
        .collect();
    let first = store.append_batch(&batch).await.unwrap();
    assert_eq!((first.inserted, first.skipped), (40, 0));
    let again = store.append_batch(&batch).await.unwrap();
    assert_eq!(
        (again.inserted, again.skipped),
        (0, 40),
        "a repeated batch adds nothing"
    );
    assert_eq!(count::<Transaction, S>(&store).await, 40);
    let mut changed = batch[0].clone();
    changed.amount = money("1000 USD");
    let mixed = vec![
        changed,
        tx("TX-new", "A", at(3, 0), "1 USD"),
        tx("TX-new", "A", at(3, 0), "1 USD"),
    ];
    let r = store.append_batch(&mixed).await.unwrap();
    assert_eq!(
        (r.inserted, r.skipped),
        (1, 2),
        "known and repeated ids are skipped"
    );
    assert_eq!(
        stored::<Transaction, S>(&store, &batch[0].id).await,
        batch[0],
        "a skipped record leaves the stored one untouched"
    );
    let empty: Vec<Transaction> = Vec::new();
    assert_eq!(store.append_batch(&empty).await.unwrap().inserted, 0);

    let interactions: Vec<Interaction> = (0..5)
        .map(|i| interaction(&format!("I-{i}"), "A", at(4, i)))
        .collect();
    assert_eq!(store.append_batch(&interactions).await.unwrap().inserted, 5);
    assert_eq!(store.append_batch(&interactions).await.unwrap().inserted, 0);
    let surveys: Vec<SurveyResponse> = (0..5)
        .map(|i| survey(&format!("S-{i}"), "A", at(4, i), 7))
        .collect();
    assert_eq!(store.append_batch(&surveys).await.unwrap().inserted, 5);
    assert_eq!(store.append_batch(&surveys).await.unwrap().skipped, 5);
    assert_eq!(count::<SurveyResponse, S>(&store).await, 5);
}

/// A batch with one bad record writes nothing, whether the record fails validation or the
/// store's own checks (an unknown customer), and the error names the field.
pub async fn atomic_batches<S: CrmStore>(make: impl Factory<S>) {
    let store = make().await;
    store.create(customer("A", "Ann")).await.unwrap();
    let mut batch: Vec<Transaction> = (0..600)
        .map(|i| tx(&format!("TX-{i:04}"), "A", at(2, 0), "1 EUR"))
        .collect();
    batch[300].quantity = Decimal::new(-1, 0);
    let r = store.append_batch(&batch).await;
    assert!(
        is_invalid(&r, "batch[300]") && is_invalid(&r, "transaction.quantity"),
        "the error names the record and field: {r:?}"
    );
    assert_eq!(
        count::<Transaction, S>(&store).await,
        0,
        "nothing of a bad batch is written"
    );
    batch[300].quantity = Decimal::ONE;
    batch[450].customer = "NOBODY".parse().unwrap();
    let r = store.append_batch(&batch).await;
    assert!(
        is_invalid(&r, "customer"),
        "an unknown customer is Invalid: {r:?}"
    );
    assert_eq!(
        count::<Transaction, S>(&store).await,
        0,
        "a batch failing in the store writes nothing"
    );
    let mut late = batch[450].clone();
    late.occurred_at = Utc.with_ymd_and_hms(10000, 1, 1, 0, 0, 0).unwrap();
    late.customer = "A".parse().unwrap();
    batch[450] = late;
    let r = store.append_batch(&batch).await;
    assert!(
        is_invalid(&r, "occurred_at"),
        "an out-of-range time is Invalid: {r:?}"
    );
    batch.truncate(450);
    assert_eq!(store.append_batch(&batch).await.unwrap().inserted, 450);
    let mut bad_surveys = vec![
        survey("S-1", "A", at(2, 0), 5),
        survey("S-2", "A", at(2, 0), 5),
    ];
    bad_surveys[1].comment = Some(Personal::new("é".repeat(10_001)));
    assert!(is_invalid(
        &store.append_batch(&bad_surveys).await,
        "batch[1]"
    ));
    assert_eq!(count::<SurveyResponse, S>(&store).await, 0);
}

/// Bad input is rejected before anything is written, with an error naming the field.
pub async fn invalid_input<S: CrmStore>(make: impl Factory<S>) {
    let store = make().await;
    let mut bad = customer("A", "Ann");
    bad.name = Personal::new(String::new());
    assert!(is_invalid(&store.create(bad).await, "customer.name"));
    assert_eq!(count::<Customer, S>(&store).await, 0);
    store.create(customer("A", "Ann")).await.unwrap();
    let orphan = tx("TX-1", "NOBODY", at(2, 0), "1 EUR");
    assert!(is_invalid(
        &store.create(orphan).await,
        "transaction.customer"
    ));
    let mut t = ticket("T-1", "A", at(2, 0));
    t.solved_at = Some(at(1, 0));
    assert!(is_invalid(&store.create(t).await, "ticket.solved_at"));
    let mut d = deal("D-1", "A", "x", "5 EUR");
    d.amount = money("-5 EUR");
    assert!(is_invalid(&store.create(d).await, "deal"));
    let ok_deal = deal("D-2", "A", "x", "5 EUR");
    store.create(ok_deal.clone()).await.unwrap();
    let mut bad_update = ok_deal.clone();
    bad_update.title = String::new();
    assert!(is_invalid(&store.update(bad_update, 1).await, "deal.title"));
    let got = Repository::<Deal>::get(&store, &ok_deal.id).await.unwrap();
    assert_eq!(
        got,
        Versioned {
            record: ok_deal,
            version: 1
        },
        "a refused update writes nothing"
    );
    assert_eq!(count::<Transaction, S>(&store).await, 0);
    assert_eq!(count::<Ticket, S>(&store).await, 0);
}

/// Customers are found by normalized e-mail and phone.
pub async fn find_by_contact<S: CrmStore>(make: impl Factory<S>) {
    let store = make().await;
    let mut a = customer("A", "Ann");
    a.email = Some(Email::parse("Ann@Example.COM").unwrap());
    a.phone = Some(Phone::parse("+49 171 2345678", None).unwrap());
    let mut b = customer("B", "Bob");
    b.email = Some(Email::parse("bob@example.com").unwrap());
    store.create(a.clone()).await.unwrap();
    store.create(b).await.unwrap();
    let by_mail = store
        .find_by_email(&Email::parse("ann@example.com").unwrap())
        .await
        .unwrap();
    assert_eq!(by_mail.len(), 1);
    assert_eq!(by_mail[0].record, a);
    let by_phone = store
        .find_by_phone(&Phone::parse("0171 2345678", Some("DE")).unwrap())
        .await
        .unwrap();
    assert_eq!(by_phone.len(), 1);
    assert_eq!(by_phone[0].record.id, a.id);
    assert!(
        store
            .find_by_email(&Email::parse("nobody@example.com").unwrap())
            .await
            .unwrap()
            .is_empty()
    );
}

/// Reassignment moves every customer, open deal and open ticket of one owner, atomically,
/// and leaves closed ones and other owners alone.
pub async fn reassignment<S: CrmStore>(make: impl Factory<S>) {
    let store = make().await;
    let (alice, bob, carol) = (user("alice"), user("bob"), user("carol"));
    for (id, owner) in [("A", &alice), ("B", &alice), ("C", &carol)] {
        let mut c = customer(id, "Owned");
        c.owner = Some(owner.clone());
        store.create(c).await.unwrap();
    }
    let mut open = deal("D-open", "A", "Open", "10 EUR");
    open.owner = Some(alice.clone());
    let mut won = deal("D-won", "A", "Won", "10 EUR");
    won.owner = Some(alice.clone());
    won.stage = DealStage::Won;
    won.closed_at = Some(at(3, 0));
    let mut t_open = ticket("T-open", "B", at(2, 0));
    t_open.assignee = Some(alice.clone());
    t_open.status = TicketStatus::Pending;
    let mut t_closed = ticket("T-closed", "B", at(2, 0));
    t_closed.assignee = Some(alice.clone());
    t_closed.status = TicketStatus::Closed;
    t_closed.closed_at = Some(at(3, 0));
    store.create(open.clone()).await.unwrap();
    store.create(won.clone()).await.unwrap();
    store.create(t_open.clone()).await.unwrap();
    store.create(t_closed.clone()).await.unwrap();

    let report = store.reassign_owner(&alice, &bob).await.unwrap();
    assert_eq!((report.customers, report.deals, report.tickets), (2, 1, 1));
    for id in ["A", "B"] {
        let c: Versioned<Customer> = store.get(&id.parse().unwrap()).await.unwrap();
        assert_eq!(c.record.owner.as_ref(), Some(&bob), "customer {id} moved");
        assert_eq!(c.version, 2, "a moved record gets a new version");
    }
    let c: Versioned<Customer> = store.get(&"C".parse().unwrap()).await.unwrap();
    assert_eq!(
        (c.record.owner, c.version),
        (Some(carol), 1),
        "other owners untouched"
    );
    let d = Repository::<Deal>::get(&store, &open.id).await.unwrap();
    assert_eq!((d.record.owner, d.version), (Some(bob.clone()), 2));
    let d = Repository::<Deal>::get(&store, &won.id).await.unwrap();
    assert_eq!(
        (d.record.owner, d.version),
        (Some(alice.clone()), 1),
        "closed deals stay"
    );
    let t = Repository::<Ticket>::get(&store, &t_open.id).await.unwrap();
    assert_eq!(t.record.assignee, Some(bob.clone()));
    let t = Repository::<Ticket>::get(&store, &t_closed.id)
        .await
        .unwrap();
    assert_eq!(
        t.record.assignee,
        Some(alice.clone()),
        "closed tickets stay"
    );
    let nothing = store.reassign_owner(&alice, &bob).await.unwrap();
    assert_eq!(
        (nothing.customers, nothing.deals, nothing.tickets),
        (0, 0, 0)
    );
    assert!(is_invalid(
        &store.reassign_owner(&bob, &bob).await,
        "reassign"
    ));
}

/// The person [`erasure_completeness`] erases: name, e-mail and phone.
const ZOE: (&str, &str, &str) = (
    "Zoë Quintessa Ångström",
    "zoe.quintessa@example.org",
    "+4917112345678",
);

/// After erasing a customer no repository returns their name, e-mail or phone anywhere;
/// kept aggregates keep their amounts and times under a pseudonym.
pub async fn erasure_completeness<S: CrmStore>(make: impl Factory<S>) {
    for keep in [false, true] {
        let store = make().await;
        let zoe = seed_person_to_erase(&store).await;
        let pseudonym: CustomerId = "ANON-7f3e".parse().unwrap();
        let how = if keep {
            Erasure::KeepAnonymizedAggregates {
                pseudonym: pseudonym.clone(),
            }
        } else {
            Erasure::DeleteEverything
        };
        let report = store.erase_customer(&zoe, &how).await.unwrap();
        check_erasure_report(&report, keep);
        check_nothing_mentions_the_person(&store).await;
        check_what_erasure_kept(&store, keep, &pseudonym).await;
        assert!(matches!(
            store.erase_customer(&zoe, &Erasure::DeleteEverything).await,
            Err(StorageError::NotFound { .. })
        ));
    }
}

/// Part of [`erasure_completeness`]: the person, with their details in every kind of
/// record, and another customer who names them as account.
async fn seed_person_to_erase<S: CrmStore>(store: &S) -> CustomerId {
    let (name, mail, phone) = ZOE;
    let mut zoe = customer("ZOE-1", name);
    zoe.email = Some(Email::parse(mail).unwrap());
    zoe.phone = Some(Phone::parse(phone, None).unwrap());
    zoe.attributes
        .insert("nickname".into(), AttributeValue::from(name));
    store.create(zoe.clone()).await.unwrap();
    let mut other = customer("OTHER", "Other Person");
    other.account = Some(zoe.id.clone());
    store.create(other).await.unwrap();
    store
        .create(tx("OTHER-TX", "OTHER", at(2, 0), "3.00 EUR"))
        .await
        .unwrap();
    let txs: Vec<Transaction> = (0..3)
        .map(|i| {
            let mut t = tx(&format!("Z-TX-{i}"), "ZOE-1", at(2, i), "10.00 EUR");
            t.external_id = Some(format!("ORDER-{mail}"));
            t
        })
        .collect();
    store.append_batch(&txs).await.unwrap();
    let mut s = survey("Z-S", "ZOE-1", at(3, 0), 4);
    s.comment = Some(Personal::new(format!("I am {name}, call {phone}")));
    store.create(s).await.unwrap();
    let mut i = interaction("Z-I", "ZOE-1", at(3, 1));
    i.subject = Some(Personal::new(format!("Call from {name}")));
    i.notes = Some(Personal::new(format!("mail {mail}")));
    store.create(i).await.unwrap();
    let mut t = ticket("Z-T", "ZOE-1", at(3, 2));
    t.subject = Some(Personal::new(format!("{name} cannot log in")));
    store.create(t).await.unwrap();
    store
        .create(deal("Z-D", "ZOE-1", &format!("Renewal {name}"), "500 EUR"))
        .await
        .unwrap();
    let mut goodwill = loyalty("Z-L", "ZOE-1", at(3, 3), 40);
    goodwill.kind = LoyaltyEventKind::Adjust;
    goodwill.reason = Some(format!("goodwill for {name}"));
    goodwill.transaction = Some("Z-TX-0".parse().unwrap());
    store.append_batch(&[goodwill]).await.unwrap();
    store
        .append_batch(&[loyalty("OTHER-L", "OTHER", at(3, 4), 5)])
        .await
        .unwrap();
    zoe.id
}

/// Part of [`erasure_completeness`]: the report counts what was done.
fn check_erasure_report(report: &crate::ErasureReport, keep: bool) {
    let expected = if keep { (0, 3) } else { (3, 0) };
    assert_eq!(
        (report.transactions.deleted, report.transactions.anonymized),
        expected,
        "the report counts what was done"
    );
    let one = if keep { (0, 1) } else { (1, 0) };
    for counts in [
        report.interactions,
        report.tickets,
        report.deals,
        report.survey_responses,
        report.loyalty_events,
    ] {
        assert_eq!((counts.deleted, counts.anonymized), one);
    }
}

/// Every record of kind `R`, as JSON text.
async fn dump<R: Record, S: Repository<R> + ?Sized>(store: &S) -> String {
    all::<R, S>(store)
        .await
        .iter()
        .map(|v| serde_json::to_string(&v.record).unwrap())
        .collect()
}

/// Part of [`erasure_completeness`]: nothing anywhere mentions the person.
async fn check_nothing_mentions_the_person<S: CrmStore>(store: &S) {
    let (name, mail, phone) = ZOE;
    let dump = [
        dump::<Customer, S>(store).await,
        dump::<Interaction, S>(store).await,
        dump::<Ticket, S>(store).await,
        dump::<Deal, S>(store).await,
        dump::<Transaction, S>(store).await,
        dump::<SurveyResponse, S>(store).await,
        dump::<LoyaltyEvent, S>(store).await,
    ]
    .concat();
    for needle in [name, "Quintessa", mail, phone, "ZOE-1"] {
        assert!(
            !dump.contains(needle),
            "after erasure no repository returns {needle:?}"
        );
    }
    assert!(matches!(
        Repository::<Customer>::get(store, &"ZOE-1".parse().unwrap()).await,
        Err(StorageError::NotFound { .. })
    ));
    assert!(
        store
            .find_by_email(&Email::parse(mail).unwrap())
            .await
            .unwrap()
            .is_empty()
    );
    assert!(
        store
            .find_by_phone(&Phone::parse(phone, None).unwrap())
            .await
            .unwrap()
            .is_empty()
    );
}

/// Every record of kind `R` in `range`, scanned in pages of `page_size`.
async fn scanned<R: Record, S: TimeScan<R> + ?Sized>(
    store: &S,
    range: TimeRange,
    page_size: u32,
) -> Vec<R> {
    crate::scan::<R, S>(store, range, page_size)
        .map(|p| p.expect("scan a page"))
        .collect::<Vec<_>>()
        .await
        .concat()
}

/// The ids of every record of kind `R` in `range`, in scan order.
async fn scanned_ids<R: Record, S: TimeScan<R> + ?Sized>(
    store: &S,
    range: TimeRange,
    page_size: u32,
) -> Vec<String> {
    scanned::<R, S>(store, range, page_size)
        .await
        .iter()
        .map(|r| r.id().to_string())
        .collect()
}

/// Part of [`erasure_completeness`]: kept aggregates keep their amounts under the
/// pseudonym; other customers' records are untouched.
async fn check_what_erasure_kept<S: CrmStore>(store: &S, keep: bool, pseudonym: &CustomerId) {
    let kept = scanned::<Transaction, S>(store, TimeRange::all(), 100).await;
    if keep {
        let of_pseudonym: Vec<_> = kept.iter().filter(|t| &t.customer == pseudonym).collect();
        assert_eq!(of_pseudonym.len(), 3, "aggregates kept under the pseudonym");
        let total = Money::sum(
            money("0 EUR").currency(),
            of_pseudonym.iter().map(|t| &t.amount),
        )
        .unwrap();
        assert_eq!(total, money("30.00 EUR"), "amounts kept exactly");
        assert!(Repository::<Customer>::get(store, pseudonym).await.is_ok());
        let points = store
            .customer_loyalty_events(pseudonym, TimeRange::all())
            .await
            .unwrap();
        assert_eq!(
            points
                .iter()
                .map(|e| (e.id.to_string(), e.points))
                .collect::<Vec<_>>(),
            [("Z-L".to_string(), 40)],
            "loyalty points kept under the pseudonym"
        );
        assert_eq!(points[0].reason, None, "a kept event loses its reason");
    } else {
        assert_eq!(kept.len(), 1, "only other customers' records remain");
        assert_eq!(
            store
                .count_loyalty_events(&Filter::default())
                .await
                .unwrap(),
            1,
            "only other customers' loyalty events remain"
        );
    }
    assert_eq!(
        Repository::<LoyaltyEvent>::get(store, &"OTHER-L".parse().unwrap())
            .await
            .unwrap()
            .version,
        1,
        "other customers' loyalty events are untouched"
    );
    assert_eq!(
        Repository::<Transaction>::get(store, &"OTHER-TX".parse().unwrap())
            .await
            .unwrap()
            .version,
        1,
        "other customers' records are untouched"
    );
}

/// Unicode text and the longest allowed values round-trip exactly; one character more is
/// `Invalid` and writes nothing.
pub async fn unicode_and_max_length<S: CrmStore>(make: impl Factory<S>) {
    let store = make().await;
    // Keys are limited in bytes: 3 + 62 * 2 + 1 = 128.
    let long_id = format!("ID-{}x", "ß".repeat(62));
    assert_eq!(long_id.len(), crm_core::MAX_KEY_LEN);
    let name: String = "Zoë 👩🏽‍💻 李小龍 Ωμέγα "
        .repeat(20)
        .chars()
        .take(256)
        .collect();
    let name = name.trim().to_string();
    let mut c = customer(&long_id, &name);
    c.tags
        .insert(Tag::new(&"ü".repeat(crm_core::MAX_TAG_CHARS)).unwrap());
    c.attributes
        .insert("note".into(), AttributeValue::from("日本語 ✓"));
    store.create(c.clone()).await.unwrap();
    let got: Versioned<Customer> = store.get(&c.id).await.unwrap();
    assert_eq!(
        got.record, c,
        "Unicode and maximum lengths round-trip exactly"
    );
    let mut i = interaction("I-1", &long_id, at(2, 0));
    let notes: String = "é✓😀".repeat(4000).chars().take(10_000).collect();
    i.notes = Some(Personal::new(notes));
    i.subject = Some(Personal::new("«Grüße» — \"quotes\" 'and' \\ back".into()));
    store.create(i.clone()).await.unwrap();
    assert_eq!(stored::<Interaction, S>(&store, &i.id).await, i);
    let mut too_long = customer("LONG", "x");
    too_long.name = Personal::new("é".repeat(257));
    assert!(is_invalid(&store.create(too_long).await, "customer.name"));
    assert_eq!(count::<Customer, S>(&store).await, 1);
    let tag = Filter {
        tag: Some(Tag::new(&"Ü".repeat(64)).unwrap()),
        ..Filter::default()
    };
    assert_eq!(ids::<Customer, S>(&store, &tag).await, [long_id]);
}

/// Many tasks updating the same customer at once: for each version exactly one update
/// succeeds, and with retries no update is lost.
pub async fn concurrent_writers<S: CrmStore>(make: impl Factory<S>) {
    let store = make().await;
    let c = customer("A", "Ann");
    store.create(c.clone()).await.unwrap();
    const WRITERS: i64 = 16;
    // Everyone edits version 1 at once: exactly one wins.
    let results = join_all((0..WRITERS).map(|w| {
        let store = &store;
        let mut edit = c.clone();
        edit.attributes
            .insert("writer".into(), AttributeValue::from(w));
        async move { store.update(edit, 1).await }
    }))
    .await;
    let wins = results.iter().filter(|r| r.is_ok()).count();
    assert_eq!(wins, 1, "exactly one writer succeeds per version");
    assert!(results.iter().all(|r| matches!(
        r,
        Ok(_)
            | Err(StorageError::Conflict {
                expected: 1,
                actual: 2,
                ..
            })
    )));
    // Each writer increments a counter with read-modify-write and retries on conflict.
    let versions = join_all((0..WRITERS).map(|_| {
        let store = &store;
        async move {
            loop {
                let current: Versioned<Customer> = store.get(&"A".parse().unwrap()).await.unwrap();
                let mut next = current.record.clone();
                let n = match next.attributes.get("counter") {
                    Some(AttributeValue::Integer(n)) => *n,
                    _ => 0,
                };
                next.attributes
                    .insert("counter".into(), AttributeValue::from(n + 1));
                match store.update(next, current.version).await {
                    Ok(v) => return v.version,
                    Err(StorageError::Conflict { .. }) => continue,
                    Err(e) => panic!("unexpected error {e}"),
                }
            }
        }
    }))
    .await;
    let distinct: BTreeSet<u64> = versions.iter().copied().collect();
    assert_eq!(
        distinct.len(),
        WRITERS as usize,
        "every version is won by exactly one writer"
    );
    let last: Versioned<Customer> = store.get(&"A".parse().unwrap()).await.unwrap();
    assert_eq!(last.version, 2 + WRITERS as u64);
    assert_eq!(
        last.record.attributes.get("counter"),
        Some(&AttributeValue::Integer(WRITERS)),
        "no update is lost"
    );
}

/// Batches appended at once, with overlapping ids: every id is stored once, each batch's
/// report adds up, a batch that fails writes none of its records, and the reports of the
/// batches that succeeded together count every stored record exactly once.
pub async fn concurrent_overlapping_batches<S: CrmStore>(make: impl Factory<S>) {
    let store = make().await;
    store.create(customer("A", "Ann")).await.unwrap();
    const BATCHES: usize = 8;
    const WIDTH: usize = 120;
    // Batch k holds ids k*40 .. k*40+120: each overlaps the next two.
    let batches: Vec<Vec<Transaction>> = (0..BATCHES)
        .map(|k| {
            (k * 40..k * 40 + WIDTH)
                .map(|i| {
                    tx(
                        &format!("TX-{i:04}"),
                        "A",
                        at(2, 0) + Duration::minutes(i as i64),
                        "1 EUR",
                    )
                })
                .collect()
        })
        .collect();
    // Two more batches fail in the store (an unknown customer at the end), after their
    // other records may already have been written.
    let poisoned: Vec<Vec<Transaction>> = (0..2)
        .map(|k| {
            let mut b: Vec<Transaction> = (0..50)
                .map(|i| tx(&format!("P{k}-{i:03}"), "A", at(3, 0), "1 EUR"))
                .collect();
            b.push(tx(&format!("P{k}-bad"), "NOBODY", at(3, 0), "1 EUR"));
            b
        })
        .collect();
    let (good, bad) = futures::join!(
        join_all(batches.iter().map(|b| store.append_batch(b))),
        join_all(poisoned.iter().map(|b| store.append_batch(b))),
    );
    let mut inserted = 0;
    for (report, batch) in good.iter().zip(&batches) {
        let report = report.as_ref().expect("a valid batch is stored");
        assert_eq!(
            report.inserted + report.skipped,
            batch.len(),
            "a report counts every record of its batch"
        );
        inserted += report.inserted;
    }
    for r in &bad {
        assert!(is_invalid(r, "customer"), "a poisoned batch fails: {r:?}");
    }
    let stored = all::<Transaction, S>(&store).await;
    let ids: BTreeSet<String> = stored.iter().map(|v| v.record.id.to_string()).collect();
    assert_eq!(ids.len(), stored.len(), "no id is stored twice");
    let expected = (BATCHES - 1) * 40 + WIDTH;
    assert_eq!(
        stored.len(),
        expected,
        "every id of the valid batches is stored"
    );
    assert_eq!(
        inserted, expected,
        "together the batches inserted each id once"
    );
    assert!(
        ids.iter().all(|id| id.starts_with("TX-")),
        "nothing of a failed batch is written"
    );
    assert!(stored.iter().all(|v| v.version == 1));
}

/// A reader scanning page by page while a writer appends: pages stay in (time, id) order
/// without repeats, every record that existed before the scan is returned, and every
/// record returned is exactly as written.
pub async fn scan_while_appending<S: CrmStore>(make: impl Factory<S>) {
    let store = make().await;
    store.create(customer("A", "Ann")).await.unwrap();
    let t0 = at(1, 0);
    let before: Vec<Transaction> = (0..300)
        .map(|i| {
            tx(
                &format!("OLD-{i:03}"),
                "A",
                t0 + Duration::minutes(2 * i),
                "2.50 EUR",
            )
        })
        .collect();
    store.append_batch(&before).await.unwrap();
    // Records in between and after the old ones, some at the same times.
    let later: Vec<Vec<Transaction>> = (0..10)
        .map(|k| {
            (0..40)
                .map(|i| {
                    let minute = k * 40 + i;
                    tx(
                        &format!("NEW-{k}-{i:02}"),
                        "A",
                        t0 + Duration::minutes(minute * 2 - 1 + (i % 2)),
                        "3.75 EUR",
                    )
                })
                .collect()
        })
        .collect();
    let written: std::collections::BTreeMap<String, Transaction> = before
        .iter()
        .chain(later.iter().flatten())
        .map(|t| (t.id.to_string(), t.clone()))
        .collect();
    let writer = async {
        for batch in &later {
            store
                .append_batch(batch)
                .await
                .expect("append while scanning");
        }
    };
    let reader = async {
        let mut pages = Vec::new();
        let mut scan = crate::scan::<Transaction, S>(&store, TimeRange::all(), 7);
        while let Some(page) = scan.next().await {
            pages.push(page.expect("scan a page"));
        }
        pages
    };
    let ((), pages) = futures::join!(writer, reader);
    assert!(
        pages.iter().all(|p| !p.is_empty() && p.len() <= 7),
        "bounded pages"
    );
    let seen: Vec<&Transaction> = pages.iter().flatten().collect();
    let keys: Vec<(DateTime<Utc>, String)> = seen
        .iter()
        .map(|t| (t.occurred_at, t.id.to_string()))
        .collect();
    assert!(
        keys.windows(2).all(|w| w[0] < w[1]),
        "pages are in strictly ascending (time, id) order: no repeats"
    );
    for t in &seen {
        assert_eq!(
            written.get(&t.id.to_string()),
            Some(*t),
            "a scanned record is exactly as written"
        );
    }
    let seen_ids: BTreeSet<String> = keys.into_iter().map(|(_, id)| id).collect();
    assert!(
        before.iter().all(|t| seen_ids.contains(&t.id.to_string())),
        "every record stored before the scan is returned"
    );
}

/// Purchase summaries: the store's [`CrmStore::purchase_summaries`] returns exactly what
/// the scan-based reference ([`summarize_purchases`](crate::summarize_purchases)) returns,
/// and both are right, and its [`CrmStore::purchase_totals`] are their totals: several
/// purchases on one day, a refund, a second currency, a
/// nanosecond before midnight, ranges that cut a customer's history or hold nothing.
pub async fn purchase_summaries<S: CrmStore>(make: impl Factory<S>) {
    let store = make().await;
    for id in ["A", "B", "C"] {
        store.create(customer(id, "Buyer")).await.unwrap();
    }
    let ns = Duration::nanoseconds(1);
    let batch = vec![
        tx("A-1", "A", at(2, 9), "10.00 EUR"),
        tx("A-2", "A", at(3, 0) - ns, "5.50 EUR"),
        tx("A-3", "A", at(3, 0), "-3.25 EUR"),
        tx("A-4", "A", at(7, 12) + ns, "20 EUR"),
        tx("A-5", "A", at(4, 8), "7 USD"),
        tx("B-1", "B", at(5, 10) + ns, "-4.000 EUR"),
        tx("C-1", "C", at(20, 10), "99 EUR"),
    ];
    store.append_batch(&batch).await.unwrap();
    let row = |c: &str, first, last, n, days, net: &str, repeat: &str| crate::PurchaseSummary {
        customer: c.parse().unwrap(),
        currency: money(net).currency(),
        first_purchase: first,
        last_purchase: last,
        transactions: n,
        purchase_days: days,
        net_total: money(net),
        repeat_total: money(repeat),
    };
    let cases = [
        (
            TimeRange::new(at(1, 0), at(10, 0)).unwrap(),
            vec![
                row(
                    "A",
                    at(2, 9),
                    at(7, 12) + ns,
                    4,
                    3,
                    "32.25 EUR",
                    "16.75 EUR",
                ),
                row("A", at(4, 8), at(4, 8), 1, 1, "7 USD", "0 USD"),
                row("B", at(5, 10) + ns, at(5, 10) + ns, 1, 1, "-4 EUR", "0 EUR"),
            ],
        ),
        (
            // Cuts A's history: the first purchase day in the range is day 3.
            TimeRange::new(at(3, 0), at(10, 0)).unwrap(),
            vec![
                row("A", at(3, 0), at(7, 12) + ns, 2, 2, "16.75 EUR", "20 EUR"),
                row("A", at(4, 8), at(4, 8), 1, 1, "7 USD", "0 USD"),
                row("B", at(5, 10) + ns, at(5, 10) + ns, 1, 1, "-4 EUR", "0 EUR"),
            ],
        ),
        (TimeRange::new(at(10, 0), at(20, 0)).unwrap(), vec![]),
        (TimeRange::new(at(2, 9), at(2, 9)).unwrap(), vec![]),
    ];
    for (range, expected) in cases {
        let reference = crate::summarize_purchases(&store, range).await.unwrap();
        assert_eq!(reference, expected, "the reference summaries for {range:?}");
        let got = store.purchase_summaries(range).await.unwrap();
        assert_eq!(
            got, reference,
            "the store's summaries equal the reference for {range:?}"
        );
        let totals: Vec<_> = reference
            .iter()
            .map(crate::PurchaseSummary::totals)
            .collect();
        assert_eq!(
            store.purchase_totals(range).await.unwrap(),
            totals,
            "the store's totals equal the reference's for {range:?}"
        );
    }
    let all = store.purchase_summaries(TimeRange::all()).await.unwrap();
    assert_eq!(
        all,
        crate::summarize_purchases(&store, TimeRange::all())
            .await
            .unwrap()
    );
    assert_eq!(all.len(), 4, "C's purchase counts in the whole range");
    let totals: Vec<_> = all.iter().map(crate::PurchaseSummary::totals).collect();
    assert_eq!(
        store.purchase_totals(TimeRange::all()).await.unwrap(),
        totals
    );
}

/// Loyalty events: batches are idempotent by event id and all or nothing (an invalid event
/// or an unknown customer writes nothing of the batch); events read back exactly; one
/// customer's events and scans come in time order (not id order); counts follow filters;
/// a customer with loyalty events cannot be deleted.
pub async fn loyalty_events<S: CrmStore>(make: impl Factory<S>) {
    let store = make().await;
    store.create(customer("A", "Ann")).await.unwrap();
    store.create(customer("B", "Bob")).await.unwrap();
    // Ids run against time: L-9 is the earliest.
    let mut batch: Vec<LoyaltyEvent> = (0..10)
        .map(|i| {
            let who = if i % 3 == 0 { "B" } else { "A" };
            let points = if i % 4 == 1 { -(i + 1) } else { 10 * (i + 1) };
            loyalty(&format!("L-{i}"), who, at(20 - i as u32, 9), points)
        })
        .collect();
    let mut fix = loyalty(
        "L-fix",
        "A",
        at(12, 9) + Duration::nanoseconds(1_234_567),
        -7,
    );
    fix.kind = LoyaltyEventKind::Adjust;
    fix.reason = Some("duplicate booking ↺".into());
    fix.transaction = Some("TX-77".parse().unwrap());
    batch.push(fix.clone());
    let first = store.append_batch(&batch).await.unwrap();
    assert_eq!((first.inserted, first.skipped), (11, 0));
    let again = store.append_batch(&batch).await.unwrap();
    assert_eq!(
        (again.inserted, again.skipped),
        (0, 11),
        "a repeated batch of loyalty events adds nothing"
    );
    let mut changed = batch[0].clone();
    changed.points = 999;
    let mixed = vec![
        changed,
        loyalty("L-new", "A", at(25, 0), 3),
        loyalty("L-new", "A", at(25, 0), 3),
    ];
    let r = store.append_batch(&mixed).await.unwrap();
    assert_eq!(
        (r.inserted, r.skipped),
        (1, 2),
        "known and repeated ids are skipped"
    );
    let kept = Repository::<LoyaltyEvent>::get(&store, &batch[0].id)
        .await
        .unwrap();
    assert_eq!(
        (kept.record, kept.version),
        (batch[0].clone(), 1),
        "a skipped event leaves the stored one untouched"
    );
    assert_eq!(
        stored::<LoyaltyEvent, S>(&store, &fix.id).await,
        fix,
        "every field, the nanoseconds of the time included, reads back exactly"
    );
    assert!(matches!(
        Repository::<LoyaltyEvent>::get(&store, &"L-404".parse().unwrap()).await,
        Err(StorageError::NotFound { .. })
    ));

    // One customer's events, in time order, within a range.
    let of_a = store
        .customer_loyalty_events(&"A".parse().unwrap(), TimeRange::all())
        .await
        .unwrap();
    let mut want: Vec<LoyaltyEvent> = batch
        .iter()
        .chain([&mixed[1]])
        .filter(|e| e.customer.to_string() == "A")
        .cloned()
        .collect();
    want.sort_by_key(|e| (e.occurred_at, e.id.to_string()));
    assert_eq!(of_a, want, "one customer's events in time order");
    assert!(of_a.first().unwrap().occurred_at < of_a.last().unwrap().occurred_at);
    let range = TimeRange::new(at(12, 9), at(17, 9)).unwrap();
    let in_range = store
        .customer_loyalty_events(&"A".parse().unwrap(), range)
        .await
        .unwrap();
    assert_eq!(
        in_range
            .iter()
            .map(|e| e.id.to_string())
            .collect::<Vec<_>>(),
        ["L-8", "L-fix", "L-7", "L-5", "L-4"],
        "a range keeps its start and leaves out its end"
    );
    assert!(
        store
            .customer_loyalty_events(&"NOBODY".parse().unwrap(), TimeRange::all())
            .await
            .unwrap()
            .is_empty(),
        "an unknown customer has no events"
    );

    // Scans over every customer, in (time, id) order, ties broken by id.
    store
        .append_batch(&[
            loyalty("T-b", "B", at(26, 0), 1),
            loyalty("T-a", "A", at(26, 0), 1),
        ])
        .await
        .unwrap();
    let pages: Vec<Vec<LoyaltyEvent>> = store
        .scan_loyalty_events(TimeRange::all(), 4)
        .map(|p| p.expect("scan a page"))
        .collect()
        .await;
    assert!(pages.iter().all(|p| p.len() <= 4));
    let scanned: Vec<(DateTime<Utc>, String)> = pages
        .concat()
        .iter()
        .map(|e| (e.occurred_at, e.id.to_string()))
        .collect();
    let mut sorted = scanned.clone();
    sorted.sort();
    assert_eq!(scanned, sorted, "scans come in (time, id) order");
    assert_eq!(scanned.len(), 14);
    assert_eq!(scanned[12].1, "T-a", "equal times are ordered by id");

    // Counts.
    assert_eq!(
        store
            .count_loyalty_events(&Filter::default())
            .await
            .unwrap(),
        14
    );
    assert_eq!(
        store.count_loyalty_events(&of_customer("B")).await.unwrap(),
        5
    );
    assert_eq!(
        store
            .count_loyalty_events(&Filter {
                time: Some(range),
                ..Filter::default()
            })
            .await
            .unwrap(),
        6
    );

    // All or nothing: an invalid event, or an unknown customer, writes nothing.
    let mut bad: Vec<LoyaltyEvent> = (0..300)
        .map(|i| loyalty(&format!("BAD-{i:03}"), "A", at(27, 0), 1))
        .collect();
    bad[150].points = -1;
    let r = store.append_batch(&bad).await;
    assert!(
        is_invalid(&r, "batch[150]") && is_invalid(&r, "loyalty_event.points"),
        "the error names the event and field: {r:?}"
    );
    bad[150].points = 1;
    bad[299].customer = "NOBODY".parse().unwrap();
    let r = store.append_batch(&bad).await;
    assert!(
        is_invalid(&r, "customer"),
        "an unknown customer is Invalid: {r:?}"
    );
    assert_eq!(
        store
            .count_loyalty_events(&Filter::default())
            .await
            .unwrap(),
        14,
        "nothing of a bad batch is written"
    );
    assert!(is_invalid(
        &store
            .create(loyalty("L-orphan", "NOBODY", at(2, 0), 1))
            .await,
        "loyalty_event.customer"
    ));
    // A customer with loyalty events is erased, not deleted.
    assert!(is_invalid(
        &Repository::<Customer>::delete(&store, &"B".parse().unwrap(), 1).await,
        "customer"
    ));
}

/// The group [`merging_customers`] and its neighbours merge: survivor `S` (no e-mail, an
/// e-mail consent given) and duplicates `D1` (e-mail, the consent withdrawn, tag `b2b`) and
/// `D2` (phone, newer lifecycle stage), each with one record of every kind; `OTHER` names
/// `D2` as its account and keeps records of its own.
async fn seed_merge_group<S: CrmStore>(store: &S) {
    let mut s = customer("S", "Mia Novak");
    s.give_consent(ConsentChannel::Email, at(1, 10));
    s.tags.insert(Tag::new("vip").unwrap());
    s.lifecycle_stage = Some(LifecycleStage::Lead);
    let mut d1 = customer("D1", "Mia  Novak");
    d1.email = Some(Email::parse("mia.novak@example.org").unwrap());
    d1.withdraw_consent(ConsentChannel::Email, at(1, 8));
    d1.tags.insert(Tag::new("b2b").unwrap());
    let mut d2 = customer("D2", "Novak, Mia");
    d2.phone = Some(Phone::parse("+4917155555555", None).unwrap());
    d2.lifecycle_stage = Some(LifecycleStage::Active);
    d2.updated_at = at(4, 9);
    let mut other = customer("OTHER", "Other Person");
    other.account = Some("D2".parse().unwrap());
    for c in [s, d1, d2, other] {
        store.create(c).await.unwrap();
    }
    for (n, who) in ["S", "D1", "D2", "OTHER"].into_iter().enumerate() {
        let h = n as u32;
        store
            .append_batch(&[
                tx(&format!("{who}-TX-1"), who, at(2, h), "10.00 EUR"),
                tx(&format!("{who}-TX-2"), who, at(5, h), "2.50 EUR"),
            ])
            .await
            .unwrap();
        store
            .create(interaction(&format!("{who}-I"), who, at(2, h)))
            .await
            .unwrap();
        store
            .create(ticket(&format!("{who}-T"), who, at(2, h)))
            .await
            .unwrap();
        store
            .create(deal(&format!("{who}-D"), who, "Renewal", "100 EUR"))
            .await
            .unwrap();
        store
            .create(survey(&format!("{who}-S"), who, at(3, h), 8))
            .await
            .unwrap();
        store
            .append_batch(&[loyalty(&format!("{who}-L"), who, at(3, h), 25)])
            .await
            .unwrap();
    }
}

/// The versions of the merge group as stored now.
async fn merge_versions<S: CrmStore>(store: &S, ids: &[&str]) -> BTreeMap<CustomerId, u64> {
    let mut out = BTreeMap::new();
    for id in ids {
        let id: CustomerId = id.parse().unwrap();
        let v: Versioned<Customer> = store.get(&id).await.expect("a member of the group");
        out.insert(id, v.version);
    }
    out
}

fn merge_stamp() -> MergeStamp {
    MergeStamp {
        by: Some(user("steward")),
        at: at(9, 12),
    }
}

fn cids(ids: &[&str]) -> Vec<CustomerId> {
    ids.iter().map(|id| id.parse().unwrap()).collect()
}

/// Merging customers moves every record of the duplicates to the survivor (counts and
/// amounts kept), folds their fields, re-points accounts naming a duplicate, deletes the
/// duplicates and records who merged which id when, so that the merged ids resolve to the
/// survivor, also after the survivor is merged on.
pub async fn merging_customers<S: CrmStore>(make: impl Factory<S>) {
    let store = make().await;
    seed_merge_group(&store).await;
    let before = (
        count::<Transaction, S>(&store).await,
        count::<Interaction, S>(&store).await,
        count::<Ticket, S>(&store).await,
        count::<Deal, S>(&store).await,
        count::<SurveyResponse, S>(&store).await,
        count::<LoyaltyEvent, S>(&store).await,
    );
    let versions = merge_versions(&store, &["S", "D1", "D2"]).await;
    let rules = FieldRules {
        lifecycle_stage: FieldRule::NewestWins,
        ..FieldRules::default()
    };
    let report = store
        .merge_customers(
            &"S".parse().unwrap(),
            &cids(&["D2", "D1"]),
            &rules,
            &versions,
            &merge_stamp(),
        )
        .await
        .expect("the merge succeeds");
    assert_eq!(report.survivor, Some("S".parse().unwrap()));
    assert_eq!(
        report.merged,
        cids(&["D2", "D1"]),
        "the report names the merged ids"
    );
    assert_eq!(
        (
            report.transactions,
            report.interactions,
            report.tickets,
            report.deals
        ),
        (4, 2, 2, 2),
        "the report counts what moved"
    );
    assert_eq!((report.survey_responses, report.loyalty_events), (2, 2));
    assert_eq!((report.linked_customers, report.version), (1, 2));
    let after = (
        count::<Transaction, S>(&store).await,
        count::<Interaction, S>(&store).await,
        count::<Ticket, S>(&store).await,
        count::<Deal, S>(&store).await,
        count::<SurveyResponse, S>(&store).await,
        count::<LoyaltyEvent, S>(&store).await,
    );
    assert_eq!(after, before, "a merge keeps every record");

    let of_s = of_customer("S");
    assert_eq!(
        ids::<Transaction, S>(&store, &of_s).await.len(),
        6,
        "transactions moved"
    );
    for (kind, n) in [
        (ids::<Interaction, S>(&store, &of_s).await, 3),
        (ids::<Ticket, S>(&store, &of_s).await, 3),
        (ids::<Deal, S>(&store, &of_s).await, 3),
        (ids::<SurveyResponse, S>(&store, &of_s).await, 3),
        (ids::<LoyaltyEvent, S>(&store, &of_s).await, 3),
    ] {
        assert_eq!(kind.len(), n, "every kind of record moved: {kind:?}");
    }
    for gone in ["D1", "D2"] {
        assert!(
            ids::<Transaction, S>(&store, &of_customer(gone))
                .await
                .is_empty()
        );
        assert!(
            matches!(
                Repository::<Customer>::get(&store, &gone.parse().unwrap()).await,
                Err(StorageError::NotFound { .. })
            ),
            "a merged customer is deleted"
        );
    }
    let moved = Repository::<Transaction>::get(&store, &"D1-TX-1".parse().unwrap())
        .await
        .unwrap();
    assert_eq!(
        (moved.record.customer.to_string(), moved.version),
        ("S".to_string(), 2),
        "a moved record gets a new version"
    );
    assert_eq!(moved.record.amount, money("10.00 EUR"));
    let totals = store.purchase_totals(TimeRange::all()).await.unwrap();
    let s_total = totals
        .iter()
        .find(|t| t.customer.to_string() == "S")
        .expect("S has totals");
    assert_eq!(
        (s_total.transactions, s_total.net_total),
        (6, money("37.50 EUR")),
        "aggregates follow the move"
    );
    assert!(
        totals
            .iter()
            .all(|t| !t.customer.to_string().starts_with('D'))
    );
    let points = store
        .customer_loyalty_events(&"S".parse().unwrap(), TimeRange::all())
        .await
        .unwrap();
    assert_eq!(points.iter().map(|e| e.points).sum::<i64>(), 75);

    let s: Versioned<Customer> = store.get(&"S".parse().unwrap()).await.unwrap();
    assert_eq!(s.version, 2);
    assert_eq!(
        s.record.name.expose(),
        "Mia Novak",
        "the survivor's name is kept"
    );
    assert_eq!(
        s.record.email.as_ref().map(Email::as_str),
        Some("mia.novak@example.org"),
        "empty fields are filled"
    );
    assert!(s.record.phone.is_some());
    assert_eq!(
        s.record.lifecycle_stage,
        Some(LifecycleStage::Active),
        "newest wins"
    );
    assert_eq!(s.record.tags.len(), 2, "tags are united");
    assert!(
        !s.record.has_consent(ConsentChannel::Email),
        "a withdrawn consent wins"
    );
    assert_eq!(s.record.updated_at, at(9, 12));
    let found = store
        .find_by_email(&Email::parse("mia.novak@example.org").unwrap())
        .await
        .unwrap();
    assert_eq!(
        found
            .iter()
            .map(|v| v.record.id.to_string())
            .collect::<Vec<_>>(),
        ["S"],
        "look-ups find the survivor"
    );
    let other: Versioned<Customer> = store.get(&"OTHER".parse().unwrap()).await.unwrap();
    assert_eq!(
        (other.record.account.map(|a| a.to_string()), other.version),
        (Some("S".to_string()), 2),
        "accounts follow the merge"
    );
    assert_eq!(
        Repository::<Transaction>::get(&store, &"OTHER-TX-1".parse().unwrap())
            .await
            .unwrap()
            .version,
        1,
        "other customers' records are untouched"
    );

    let entries = store
        .merged_into(&cids(&["D1", "D2", "S", "NEVER"]))
        .await
        .unwrap();
    assert_eq!(
        entries.len(),
        2,
        "only merged ids have entries: {entries:?}"
    );
    for (e, id) in entries.iter().zip(["D1", "D2"]) {
        assert_eq!(
            (e.merged.to_string(), e.survivor.to_string()),
            (id.to_string(), "S".to_string())
        );
        assert_eq!(
            (e.merged_by.clone(), e.merged_at),
            (Some(user("steward")), at(9, 12)),
            "who and when are recorded"
        );
    }

    // The survivor is merged on: the earlier entries follow it.
    store.create(customer("T", "Mia Novak")).await.unwrap();
    let versions = merge_versions(&store, &["T", "S"]).await;
    let report = store
        .merge_customers(
            &"T".parse().unwrap(),
            &cids(&["S"]),
            &FieldRules::default(),
            &versions,
            &merge_stamp(),
        )
        .await
        .unwrap();
    assert_eq!(
        (
            report.transactions,
            report.earlier_merges,
            report.linked_customers
        ),
        (6, 2, 1)
    );
    let entries = store.merged_into(&cids(&["D1", "D2", "S"])).await.unwrap();
    assert!(
        entries.iter().all(|e| e.survivor.to_string() == "T"),
        "merged ids resolve to the current survivor: {entries:?}"
    );
    assert_eq!(entries.len(), 3);
}

/// Everything a store holds, as text, to compare before and after a refused merge.
async fn snapshot<S: CrmStore>(store: &S) -> String {
    let mut out = String::new();
    async fn versions<R: Record, S: Repository<R> + ?Sized>(store: &S) -> String {
        all::<R, S>(store)
            .await
            .iter()
            .map(|v| {
                format!(
                    "{}@{}:{}\n",
                    v.record.id(),
                    v.version,
                    serde_json::to_string(&v.record).unwrap()
                )
            })
            .collect()
    }
    out.push_str(&versions::<Customer, S>(store).await);
    out.push_str(&versions::<Interaction, S>(store).await);
    out.push_str(&versions::<Ticket, S>(store).await);
    out.push_str(&versions::<Deal, S>(store).await);
    out.push_str(&versions::<Transaction, S>(store).await);
    out.push_str(&versions::<SurveyResponse, S>(store).await);
    out.push_str(&versions::<LoyaltyEvent, S>(store).await);
    let merged = store
        .merged_into(&cids(&["S", "D1", "D2", "OTHER", "NOBODY"]))
        .await
        .unwrap();
    out.push_str(&format!("{merged:?}"));
    out.push_str(&format!(
        "{:?}",
        store.purchase_totals(TimeRange::all()).await.unwrap()
    ));
    out
}

/// A merge that cannot be done changes nothing: a member changed since it was read
/// (`Conflict`, wherever it is in the group), a duplicate that does not exist (after the
/// others could have moved: `NotFound`), or bad arguments (`Invalid`).
pub async fn merge_failures_change_nothing<S: CrmStore>(make: impl Factory<S>) {
    let store = make().await;
    seed_merge_group(&store).await;
    let read = merge_versions(&store, &["S", "D1", "D2"]).await;
    // D2 changes after the caller read it.
    let mut d2: Versioned<Customer> = store.get(&"D2".parse().unwrap()).await.unwrap();
    d2.record.updated_at = at(6, 0);
    store.update(d2.record, d2.version).await.unwrap();
    let before = snapshot(&store).await;
    let stamp = merge_stamp();
    let rules = FieldRules::default();
    let r = store
        .merge_customers(
            &"S".parse().unwrap(),
            &cids(&["D1", "D2"]),
            &rules,
            &read,
            &stamp,
        )
        .await;
    assert!(
        matches!(&r, Err(StorageError::Conflict { id, expected: 1, actual: 2, .. }) if id == "D2"),
        "a member changed since it was read is a Conflict naming it: {r:?}"
    );
    assert_eq!(
        snapshot(&store).await,
        before,
        "a conflicting merge changes nothing"
    );
    let mut stale_survivor = merge_versions(&store, &["S", "D1", "D2"]).await;
    stale_survivor.insert("S".parse().unwrap(), 7);
    let r = store
        .merge_customers(
            &"S".parse().unwrap(),
            &cids(&["D1", "D2"]),
            &rules,
            &stale_survivor,
            &stamp,
        )
        .await;
    assert!(
        matches!(&r, Err(StorageError::Conflict { id, .. }) if id == "S"),
        "{r:?}"
    );
    assert_eq!(snapshot(&store).await, before);

    // A duplicate that does not exist, named after two that do.
    let mut versions = merge_versions(&store, &["S", "D1", "D2"]).await;
    versions.insert("NOBODY".parse().unwrap(), 1);
    let r = store
        .merge_customers(
            &"S".parse().unwrap(),
            &cids(&["D1", "D2", "NOBODY"]),
            &rules,
            &versions,
            &stamp,
        )
        .await;
    assert!(
        matches!(&r, Err(StorageError::NotFound { id, .. }) if id == "NOBODY"),
        "an unknown duplicate is NotFound: {r:?}"
    );
    assert_eq!(snapshot(&store).await, before, "nothing is half-merged");
    let r = store
        .merge_customers(
            &"NOBODY".parse().unwrap(),
            &cids(&["D1"]),
            &rules,
            &BTreeMap::from([("NOBODY".parse().unwrap(), 1), ("D1".parse().unwrap(), 1)]),
            &stamp,
        )
        .await;
    assert!(
        matches!(r, Err(StorageError::NotFound { .. })),
        "an unknown survivor is NotFound: {r:?}"
    );

    let versions = merge_versions(&store, &["S", "D1"]).await;
    for (dups, field) in [
        (cids(&[]), "merge.duplicates"),
        (cids(&["S"]), "merge.duplicates"),
        (cids(&["D1", "D1"]), "merge.duplicates"),
        (cids(&["D1", "D2"]), "merge.expected_versions"),
    ] {
        let r = store
            .merge_customers(&"S".parse().unwrap(), &dups, &rules, &versions, &stamp)
            .await;
        assert!(
            is_invalid(&r, field),
            "{dups:?}: Invalid naming {field}: {r:?}"
        );
    }
    let late = MergeStamp {
        by: None,
        at: Utc.with_ymd_and_hms(10000, 1, 1, 0, 0, 0).unwrap(),
    };
    let r = store
        .merge_customers(
            &"S".parse().unwrap(),
            &cids(&["D1"]),
            &rules,
            &versions,
            &late,
        )
        .await;
    assert!(is_invalid(&r, "merge.at"), "{r:?}");
    assert_eq!(
        snapshot(&store).await,
        before,
        "refused merges change nothing"
    );

    // Several groups at once: the second fails, so the first is not merged either.
    let good = CustomerMerge {
        survivor: "S".parse().unwrap(),
        duplicates: cids(&["D1"]),
        expected_versions: merge_versions(&store, &["S", "D1"]).await,
    };
    let bad = CustomerMerge {
        survivor: "OTHER".parse().unwrap(),
        duplicates: cids(&["D2"]),
        expected_versions: BTreeMap::from([
            ("OTHER".parse().unwrap(), 1),
            ("D2".parse().unwrap(), 1),
        ]),
    };
    let r = store
        .merge_customer_groups(&[good.clone(), bad], &rules, &stamp)
        .await;
    assert!(
        matches!(&r, Err(StorageError::Conflict { id, .. }) if id == "D2"),
        "{r:?}"
    );
    assert_eq!(
        snapshot(&store).await,
        before,
        "a failing group undoes the groups before it"
    );
    let overlapping = CustomerMerge {
        survivor: "D1".parse().unwrap(),
        duplicates: cids(&["D2"]),
        expected_versions: merge_versions(&store, &["D1", "D2"]).await,
    };
    let r = store
        .merge_customer_groups(&[good, overlapping], &rules, &stamp)
        .await;
    assert!(
        is_invalid(&r, "groups[1]"),
        "a customer in two groups is Invalid: {r:?}"
    );
    assert_eq!(snapshot(&store).await, before);

    // With the right versions it goes through.
    let versions = merge_versions(&store, &["S", "D1", "D2"]).await;
    store
        .merge_customers(
            &"S".parse().unwrap(),
            &cids(&["D1", "D2"]),
            &rules,
            &versions,
            &stamp,
        )
        .await
        .expect("a merge with current versions succeeds");
    assert_eq!(count::<Customer, S>(&store).await, 2);
}

/// Erasing a survivor erases what was merged into it: its records (moved from the
/// duplicates) and the merge entries, whose ids are the person's data too.
pub async fn erasure_of_merged_customers<S: CrmStore>(make: impl Factory<S>) {
    for keep in [false, true] {
        let store = make().await;
        seed_merge_group(&store).await;
        let versions = merge_versions(&store, &["S", "D1", "D2"]).await;
        store
            .merge_customers(
                &"S".parse().unwrap(),
                &cids(&["D1", "D2"]),
                &FieldRules::default(),
                &versions,
                &merge_stamp(),
            )
            .await
            .unwrap();
        let how = if keep {
            Erasure::KeepAnonymizedAggregates {
                pseudonym: "ANON-m1".parse().unwrap(),
            }
        } else {
            Erasure::DeleteEverything
        };
        let report = store
            .erase_customer(&"S".parse().unwrap(), &how)
            .await
            .unwrap();
        assert_eq!(
            report.merged_ids, 2,
            "the report counts the merge entries removed"
        );
        let counts = if keep { (0, 6) } else { (6, 0) };
        assert_eq!(
            (report.transactions.deleted, report.transactions.anonymized),
            counts,
            "the merged records are erased too"
        );
        assert!(
            store
                .merged_into(&cids(&["D1", "D2", "S"]))
                .await
                .unwrap()
                .is_empty(),
            "no merged id resolves after the survivor's erasure"
        );
        let dump = [
            dump::<Customer, S>(&store).await,
            dump::<Transaction, S>(&store).await,
            dump::<Interaction, S>(&store).await,
            dump::<LoyaltyEvent, S>(&store).await,
        ]
        .concat();
        for needle in ["\"D1\"", "\"D2\"", "\"S\"", "mia.novak", "Novak"] {
            assert!(
                !dump.contains(needle),
                "after erasure nothing holds {needle}"
            );
        }
        assert_eq!(
            ids::<Transaction, S>(&store, &of_customer("OTHER"))
                .await
                .len(),
            2,
            "other customers keep their records"
        );
    }
}

fn campaign(id: &str, start: DateTime<Utc>, cost: &str) -> Campaign {
    Campaign::new(
        id.parse().unwrap(),
        &format!("Campaign {id}"),
        Channel::Email,
        start,
        money(cost),
    )
    .unwrap()
}

fn member(campaign: &str, customer: &str, group: CampaignGroup) -> CampaignMember {
    CampaignMember::new(campaign.parse().unwrap(), customer.parse().unwrap(), group)
}

/// A merge moves the duplicates' campaign memberships to the survivor; a duplicate's
/// membership of a campaign the survivor is already in is dropped (one membership per
/// campaign and customer).
pub async fn merging_moves_campaign_memberships<S: CrmStore>(make: impl Factory<S>) {
    let store = make().await;
    for (id, name) in [("A", "Ann"), ("B", "Ann"), ("C", "Cy")] {
        store.create(customer(id, name)).await.unwrap();
    }
    let both = campaign("BOTH", at(3, 8), "10 EUR");
    let only_b = campaign("ONLYB", at(4, 8), "10 EUR");
    store
        .append_campaigns(&[both.clone(), only_b.clone()])
        .await
        .unwrap();
    store
        .append_campaign_members(&[
            member("BOTH", "A", CampaignGroup::Treatment),
            member("BOTH", "B", CampaignGroup::Holdout),
            member("BOTH", "C", CampaignGroup::Treatment),
            member("ONLYB", "B", CampaignGroup::Treatment),
        ])
        .await
        .unwrap();
    let versions = merge_versions(&store, &["A", "B"]).await;
    let report = store
        .merge_customers(
            &"A".parse().unwrap(),
            &cids(&["B"]),
            &FieldRules::default(),
            &versions,
            &merge_stamp(),
        )
        .await
        .unwrap();
    assert_eq!(report.campaign_members, 1, "B's membership of ONLYB moved");
    let customers_of = |members: Vec<CampaignMember>| -> Vec<(String, CampaignGroup)> {
        members
            .into_iter()
            .map(|m| (m.customer.to_string(), m.group))
            .collect()
    };
    assert_eq!(
        customers_of(store.campaign_members(&both.id).await.unwrap()),
        [
            ("A".to_string(), CampaignGroup::Treatment),
            ("C".to_string(), CampaignGroup::Treatment)
        ],
        "the survivor keeps its own membership; the duplicate's is dropped"
    );
    assert_eq!(
        customers_of(store.campaign_members(&only_b.id).await.unwrap()),
        [("A".to_string(), CampaignGroup::Treatment)]
    );
    assert_eq!(store.count_campaign_members(None).await.unwrap(), 3);
}

/// Campaigns and their members ([`CampaignRepository`](crate::CampaignRepository)):
/// batches are idempotent by key (campaign id; campaign and customer) and all or nothing;
/// every field reads back exactly (money with its scale, times with their nanoseconds);
/// members come in (campaign, customer) id-text order, page by page; counts; a member needs
/// a stored campaign and customer; a customer with memberships cannot be deleted, and
/// erasure deletes the memberships or moves them to the pseudonym.
pub async fn campaigns<S: CrmStore>(make: impl Factory<S>) {
    let store = make().await;
    for (id, name) in [("A", "Ann"), ("B", "Bob"), ("C", "Cy"), ("D", "Di")] {
        store.create(customer(id, name)).await.unwrap();
    }
    let mut spring = campaign("SPRING", at(3, 8), "1200.50 EUR");
    spring.end = Some(at(20, 8) + Duration::nanoseconds(123_456_789));
    spring.target_segment = Some("at risk, gold tier ✓".into());
    spring.channel = Channel::Sms;
    let autumn = campaign("AUTUMN", at(10, 8) + Duration::nanoseconds(7), "0.100 KWD");
    let first = store
        .append_campaigns(&[spring.clone(), autumn.clone(), spring.clone()])
        .await
        .unwrap();
    assert_eq!(
        (first.inserted, first.skipped),
        (2, 1),
        "a campaign repeated in the batch is skipped"
    );
    let mut renamed = spring.clone();
    renamed.name = "Renamed".into();
    let again = store.append_campaigns(&[renamed]).await.unwrap();
    assert_eq!((again.inserted, again.skipped), (0, 1));
    assert_eq!(
        store.get_campaign(&spring.id).await.unwrap(),
        spring,
        "every field reads back exactly; a skipped campaign leaves the stored one as it was"
    );
    assert_eq!(
        store.campaigns().await.unwrap(),
        [autumn.clone(), spring.clone()],
        "campaigns in id-text order"
    );
    assert_eq!(store.count_campaigns().await.unwrap(), 2);
    assert!(matches!(
        store.get_campaign(&"NONE".parse().unwrap()).await,
        Err(StorageError::NotFound { .. })
    ));
    let mut bad = campaign("BAD", at(4, 0), "1 EUR");
    bad.name = String::new();
    let r = store
        .append_campaigns(&[campaign("OK", at(4, 0), "1 EUR"), bad])
        .await;
    assert!(
        is_invalid(&r, "batch[1].campaign.name"),
        "the error names the campaign and field: {r:?}"
    );
    assert_eq!(
        store.count_campaigns().await.unwrap(),
        2,
        "nothing of a bad batch is written"
    );

    // Members.
    let mut ann = member("SPRING", "A", CampaignGroup::Treatment);
    ann.sent_at = Some(at(3, 9) + Duration::nanoseconds(1));
    ann.opened_at = Some(at(3, 10));
    ann.clicked_at = Some(at(3, 11) + Duration::nanoseconds(999_999_999));
    ann.responded_at = Some(at(4, 9));
    ann.conversion = Some("TX-1".parse().unwrap());
    let mut bob = member("SPRING", "B", CampaignGroup::Holdout);
    bob.responded_at = Some(at(5, 9));
    let batch = vec![
        member("SPRING", "C", CampaignGroup::Treatment),
        bob.clone(),
        ann.clone(),
        member("AUTUMN", "A", CampaignGroup::Holdout),
        ann.clone(),
    ];
    let r = store.append_campaign_members(&batch).await.unwrap();
    assert_eq!(
        (r.inserted, r.skipped),
        (4, 1),
        "a repeated member is skipped"
    );
    let r = store.append_campaign_members(&batch).await.unwrap();
    assert_eq!(
        (r.inserted, r.skipped),
        (0, 5),
        "a repeated batch of members adds nothing"
    );
    let of_spring = store.campaign_members(&spring.id).await.unwrap();
    assert_eq!(
        of_spring,
        [ann.clone(), bob.clone(), batch[0].clone()],
        "one campaign's members in customer id order, every field exactly"
    );
    let pages: Vec<Vec<CampaignMember>> = store
        .scan_campaign_members(None, 3)
        .map(|p| p.expect("scan a page of members"))
        .collect()
        .await;
    assert_eq!(
        pages.iter().map(Vec::len).collect::<Vec<_>>(),
        [3, 1],
        "pages of at most the page size"
    );
    let keys: Vec<(String, String)> = pages
        .concat()
        .iter()
        .map(|m| (m.campaign.to_string(), m.customer.to_string()))
        .collect();
    assert_eq!(
        keys,
        [
            ("AUTUMN", "A"),
            ("SPRING", "A"),
            ("SPRING", "B"),
            ("SPRING", "C")
        ]
        .map(|(c, m)| (c.to_string(), m.to_string())),
        "members in (campaign, customer) order"
    );
    assert!(
        store
            .member_page(None, None, 0)
            .await
            .is_err_and(|e| matches!(e, StorageError::Invalid { .. })),
        "a page of nothing is a mistake"
    );
    assert_eq!(store.count_campaign_members(None).await.unwrap(), 4);
    assert_eq!(
        store
            .count_campaign_members(Some(&autumn.id))
            .await
            .unwrap(),
        1
    );
    assert!(
        store
            .campaign_members(&"NONE".parse().unwrap())
            .await
            .unwrap()
            .is_empty()
    );

    // All or nothing: an invalid member, an unknown campaign or customer writes nothing.
    let mut wrong = member("AUTUMN", "D", CampaignGroup::Holdout);
    wrong.sent_at = Some(at(11, 0));
    let r = store
        .append_campaign_members(&[member("AUTUMN", "B", CampaignGroup::Treatment), wrong])
        .await;
    assert!(
        is_invalid(&r, "batch[1].campaign_member.sent_at"),
        "the error names the member and field: {r:?}"
    );
    let r = store
        .append_campaign_members(&[
            member("AUTUMN", "B", CampaignGroup::Treatment),
            member("WINTER", "B", CampaignGroup::Treatment),
        ])
        .await;
    assert!(
        is_invalid(&r, "batch[1].campaign_member.campaign"),
        "an unknown campaign is Invalid: {r:?}"
    );
    let r = store
        .append_campaign_members(&[
            member("AUTUMN", "B", CampaignGroup::Treatment),
            member("AUTUMN", "NOBODY", CampaignGroup::Treatment),
        ])
        .await;
    assert!(
        is_invalid(&r, "campaign_member.customer"),
        "an unknown customer is Invalid: {r:?}"
    );
    assert_eq!(
        store.count_campaign_members(None).await.unwrap(),
        4,
        "nothing of a bad batch is written"
    );

    // A customer with memberships is erased, not deleted.
    store
        .append_campaign_members(&[member("AUTUMN", "D", CampaignGroup::Treatment)])
        .await
        .unwrap();
    assert!(is_invalid(
        &Repository::<Customer>::delete(&store, &"C".parse().unwrap(), 1).await,
        "customer"
    ));
    let report = store
        .erase_customer(&"C".parse().unwrap(), &Erasure::DeleteEverything)
        .await
        .unwrap();
    assert_eq!(report.campaign_members.deleted, 1);
    let pseudonym: CustomerId = "ERASED-A".parse().unwrap();
    let report = store
        .erase_customer(
            &"A".parse().unwrap(),
            &Erasure::KeepAnonymizedAggregates {
                pseudonym: pseudonym.clone(),
            },
        )
        .await
        .unwrap();
    assert_eq!(report.campaign_members.anonymized, 2);
    let of_spring = store.campaign_members(&spring.id).await.unwrap();
    let mut moved = ann.clone();
    moved.customer = pseudonym.clone();
    assert_eq!(
        of_spring,
        [bob, moved],
        "erasure deletes one customer's memberships and moves the other's to the pseudonym"
    );
    assert_eq!(
        store.count_campaign_members(None).await.unwrap(),
        4,
        "other customers' memberships are untouched"
    );
}

/// Runs every function of the kit in turn, each on a fresh store.
pub async fn run_all<S>(make: impl Factory<S>)
where
    S: CrmStore + BulkImport<Transaction> + BulkImport<Customer>,
{
    crate::conformance_tests!(@kit run_all (&make));
}

/// Import sessions ([`BulkImport`]): the chunks of a session all go in at the commit; a
/// rollback, a dropped session or a failed chunk writes nothing; a stored id is skipped and
/// reported as a conflict when its content differs.
pub async fn import_sessions<S>(make: impl Factory<S>)
where
    S: CrmStore + BulkImport<Transaction> + BulkImport<Customer>,
{
    let store = make().await;
    store.create(customer("A", "Ann")).await.unwrap();
    store
        .create(tx("TX-0", "A", at(2, 0), "1 EUR"))
        .await
        .unwrap();
    let count = || async {
        TimeScan::<Transaction>::scan_page(&store, TimeRange::all(), None, 10_000)
            .await
            .unwrap()
            .len()
    };

    // Several chunks, committed together.
    let mut session = BulkImport::<Transaction>::begin_import(&store)
        .await
        .unwrap();
    let added = session
        .add_customers(&[customer("A", "Ann"), customer("B", "Bob")])
        .await;
    assert_eq!(
        added.unwrap(),
        BatchReport {
            inserted: 1,
            skipped: 1
        },
        "add_customers adds only the customers not stored"
    );
    let chunk: Vec<Transaction> = (0..1500)
        .map(|i| {
            let who = if i % 2 == 0 { "A" } else { "B" };
            tx(
                &format!("TX-{:05}", i + 1),
                who,
                at(3, 0) + Duration::minutes(i),
                "2 EUR",
            )
        })
        .collect();
    let r = session.append(&chunk).await.unwrap();
    assert_eq!(
        (r.inserted, r.skipped),
        (1500, 0),
        "a fresh chunk is inserted whole"
    );
    let second = vec![
        tx("TX-0", "A", at(2, 0), "1 EUR"), // stored before, same content
        tx("TX-00002", "B", at(9, 0), "99 EUR"), // inserted earlier in the session, other content
        tx("TX-20000", "A", at(4, 0), "3 EUR"), // new
        tx("TX-00001", "A", at(3, 0), "2 EUR"), // inserted earlier, same content
    ];
    let r = session.append(&second).await.unwrap();
    assert_eq!(
        r,
        ChunkReport {
            inserted: 1,
            skipped: 3,
            conflicts: vec![1]
        },
        "stored ids are skipped and different content is reported"
    );
    // (Whether other connections see an open session's rows is the store's own test: a
    // store with one connection serves nothing else while a session holds it.)
    session.commit().await.unwrap();
    assert_eq!(count().await, 1502, "the commit makes every chunk visible");
    let kept = Repository::<Transaction>::get(&store, &"TX-00002".parse().unwrap()).await;
    assert_eq!(
        kept.unwrap().record.amount,
        money("2 EUR"),
        "a conflict leaves the first record"
    );
    assert!(
        Repository::<Customer>::get(&store, &"B".parse().unwrap())
            .await
            .is_ok()
    );

    // Rollback, drop and a failed chunk write nothing.
    let fresh_chunk = |prefix: &str, who: &str| -> Vec<Transaction> {
        (0..300)
            .map(|i| tx(&format!("{prefix}-{i:04}"), who, at(5, 0), "1 EUR"))
            .collect()
    };
    let mut session = BulkImport::<Transaction>::begin_import(&store)
        .await
        .unwrap();
    session.add_customers(&[customer("C", "Cy")]).await.unwrap();
    session.append(&fresh_chunk("RB", "C")).await.unwrap();
    session.rollback().await.unwrap();
    let mut session = BulkImport::<Transaction>::begin_import(&store)
        .await
        .unwrap();
    session.append(&fresh_chunk("DR", "A")).await.unwrap();
    drop(session);
    let mut session = BulkImport::<Transaction>::begin_import(&store)
        .await
        .unwrap();
    session.append(&fresh_chunk("OK", "A")).await.unwrap();
    let mut bad = fresh_chunk("BAD", "A");
    bad[7].quantity = Decimal::new(-1, 0);
    let r = session.append(&bad).await;
    assert!(
        is_invalid(&r, "batch[7]"),
        "an invalid record names its place: {r:?}"
    );
    assert!(
        session.commit().await.is_err(),
        "a session with a failed chunk cannot commit"
    );
    let mut session = BulkImport::<Transaction>::begin_import(&store)
        .await
        .unwrap();
    session.append(&fresh_chunk("OK2", "A")).await.unwrap();
    let orphan = session.append(&fresh_chunk("ORPHAN", "NOBODY")).await;
    let committed = match orphan {
        Ok(_) => session.commit().await,
        Err(e) => Err(e),
    };
    assert!(
        committed.is_err(),
        "a record of an unknown customer fails the import"
    );
    assert_eq!(
        count().await,
        1502,
        "rolled back, dropped and failed sessions write nothing"
    );
    assert!(
        matches!(
            Repository::<Customer>::get(&store, &"C".parse().unwrap()).await,
            Err(StorageError::NotFound { .. })
        ),
        "a rolled-back session's customers are not stored"
    );
    // The store takes writes again after all of that.
    store
        .create(tx("TX-LAST", "A", at(6, 0), "1 EUR"))
        .await
        .unwrap();
    assert_eq!(count().await, 1503);
}

/// Runs a future to completion on a new two-thread tokio runtime: the runtime of the tests
/// [`conformance_tests!`](crate::conformance_tests) generates, so that concurrent parts of
/// the kit run in parallel and stores built on tokio (such as sqlx pools) work.
///
/// ```
/// assert_eq!(crm_storage_traits::conformance::block_on(async { 1 + 1 }), 2);
/// ```
pub fn block_on<F: Future>(future: F) -> F::Output {
    tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .expect("a tokio runtime for the conformance tests")
        .block_on(future)
}

/// Generates one `#[test]` per function of the [conformance kit](crate::conformance), each
/// running that function against the store factory `$make` (an expression evaluating to an
/// `Fn() -> impl Future<Output = impl CrmStore>`, evaluated inside each test). The store
/// also takes import sessions ([`BulkImport`](crate::BulkImport)) of customers and
/// transactions.
///
/// ```ignore
/// crm_storage_traits::conformance_tests!(async || MemoryStore::new());
/// ```
///
/// The tests run on their own tokio runtime ([`conformance::block_on`](crate::conformance::block_on)):
/// the calling crate needs no tokio dependency.
#[macro_export]
macro_rules! conformance_tests {
    (@kit $mode:ident $args:tt) => {
        $crate::conformance_tests!(@$mode $args
            crud,
            duplicates,
            version_conflicts,
            pagination_under_concurrent_inserts,
            filters,
            time_range_boundaries,
            streaming_scans,
            idempotent_batches,
            atomic_batches,
            invalid_input,
            find_by_contact,
            reassignment,
            erasure_completeness,
            unicode_and_max_length,
            concurrent_writers,
            concurrent_overlapping_batches,
            scan_while_appending,
            purchase_summaries,
            import_sessions,
            loyalty_events,
            merging_customers,
            merging_moves_campaign_memberships,
            merge_failures_change_nothing,
            erasure_of_merged_customers,
            campaigns,
        );
    };
    (@tests ($make:expr) $($name:ident,)+) => {
        $(
            #[test]
            fn $name() {
                $crate::conformance::block_on(async {
                    let make = $make;
                    $crate::conformance::$name(make).await;
                });
            }
        )+
    };
    (@run_all ($make:expr) $($name:ident,)+) => {
        $( $crate::conformance::$name($make).await; )+
    };
    ($make:expr $(,)?) => {
        $crate::conformance_tests!(@kit tests ($make));
    };
}
