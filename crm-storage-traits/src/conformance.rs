//! The conformance kit: public async test functions that prove a store honours the
//! contract.
//!
//! Each function takes a factory that returns a fresh, empty store, exercises one part of
//! the contract and panics (like a failing `assert!`) with a message naming the rule that
//! was broken. Call each from a test of your store, or call [`run_all`]:
//!
//! ```
//! use crm_storage_traits::{conformance, MemoryStore};
//! # futures::executor::block_on(async {
//! conformance::crud(|| async { MemoryStore::new() }).await;
//! conformance::version_conflicts(|| async { MemoryStore::new() }).await;
//! # });
//! ```
//!
//! The kit needs no async runtime of its own; concurrent parts run their tasks with
//! `futures::future::join_all` on the caller's runtime, so a store backed by a thread pool
//! or a database sees truly concurrent requests.

use std::collections::BTreeSet;
use std::future::Future;

use chrono::{DateTime, Duration, TimeZone, Utc};
use crm_core::{
    AttributeValue, Channel, Customer, CustomerId, Deal, DealStage, Direction, Email, Interaction,
    LifecycleStage, Money, PartyKind, Personal, Phone, SurveyResponse, SurveyScore, Tag, Ticket,
    TicketCategory, TicketStatus, Transaction, UserId,
};
use futures::StreamExt;
use futures::future::join_all;
use rust_decimal::Decimal;

use crate::{
    CrmStore, Erasure, Filter, PageRequest, Record, Repository, Status, StorageError, TimeRange,
    Versioned,
};

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
pub async fn crud<S, F, Fut>(make: F)
where
    S: CrmStore,
    F: Fn() -> Fut,
    Fut: Future<Output = S>,
{
    let store = make().await;
    let mut ann = customer("CUST-1", "Ann Example");
    ann.email = Some(Email::parse("ann@example.com").unwrap());
    ann.tags.insert(Tag::new("vip").unwrap());
    ann.set_attribute("score", AttributeValue::from(Decimal::new(12345, 2)))
        .unwrap();
    let created = store.create(ann.clone()).await.expect("create a customer");
    assert_eq!(created.version, 1, "a new record is at version 1");
    assert_eq!(created.record, ann);
    let got: Versioned<Customer> = store.get(&ann.id).await.expect("get the customer");
    assert_eq!(got.record, ann, "get returns exactly what was created");
    assert_eq!(got.version, 1);

    let mut changed = ann.clone();
    changed.lifecycle_stage = Some(LifecycleStage::Active);
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

    // Every other kind of record.
    let t = tx("TX-1", "CUST-1", at(2, 10), "59.90 EUR");
    let s = survey("S-1", "CUST-1", at(2, 11), 9);
    let tk = ticket("T-1", "CUST-1", at(2, 12));
    let d = deal("D-1", "CUST-1", "Renewal", "1200.00 EUR");
    let i = interaction("I-1", "CUST-1", at(2, 13));
    assert_eq!(store.create(t.clone()).await.unwrap().version, 1);
    assert_eq!(store.create(s.clone()).await.unwrap().version, 1);
    assert_eq!(store.create(tk.clone()).await.unwrap().version, 1);
    assert_eq!(store.create(d.clone()).await.unwrap().version, 1);
    assert_eq!(store.create(i.clone()).await.unwrap().version, 1);
    assert_eq!(
        Repository::<Transaction>::get(&store, &t.id)
            .await
            .unwrap()
            .record,
        t
    );
    assert_eq!(
        Repository::<SurveyResponse>::get(&store, &s.id)
            .await
            .unwrap()
            .record,
        s
    );
    assert_eq!(
        Repository::<Ticket>::get(&store, &tk.id)
            .await
            .unwrap()
            .record,
        tk
    );
    assert_eq!(
        Repository::<Deal>::get(&store, &d.id).await.unwrap().record,
        d
    );
    assert_eq!(
        Repository::<Interaction>::get(&store, &i.id)
            .await
            .unwrap()
            .record,
        i
    );

    let mut tk2 = tk.clone();
    tk2.status = TicketStatus::Open;
    tk2.first_response_at = Some(at(2, 14));
    assert_eq!(store.update(tk2.clone(), 1).await.unwrap().version, 2);
    assert_eq!(
        Repository::<Ticket>::get(&store, &tk.id)
            .await
            .unwrap()
            .record,
        tk2
    );
    let mut t2 = t.clone();
    t2.amount = money("-19.990 BHD");
    t2.quantity = Decimal::new(25, 1);
    assert_eq!(store.update(t2.clone(), 1).await.unwrap().version, 2);
    let back = Repository::<Transaction>::get(&store, &t.id)
        .await
        .unwrap()
        .record;
    assert_eq!(
        back, t2,
        "money and quantities come back exactly, scale included"
    );
    assert_eq!(back.amount.amount().to_string(), "-19.990");

    Repository::<Ticket>::delete(&store, &tk.id, 2)
        .await
        .expect("delete a ticket");
    assert!(
        matches!(
            Repository::<Ticket>::get(&store, &tk.id).await,
            Err(StorageError::NotFound { .. })
        ),
        "a deleted record is gone"
    );
    assert!(
        matches!(
            Repository::<Ticket>::delete(&store, &tk.id, 2).await,
            Err(StorageError::NotFound { .. })
        ),
        "deleting a missing record is NotFound"
    );
    assert!(matches!(
        Repository::<Deal>::get(&store, &"D-404".parse().unwrap()).await,
        Err(StorageError::NotFound { .. })
    ));
    // A customer others refer to cannot be deleted; without references it can.
    assert!(is_invalid(
        &Repository::<Customer>::delete(&store, &ann.id, 2).await,
        "customer"
    ));
    let bob = customer("CUST-2", "Bob");
    store.create(bob.clone()).await.unwrap();
    Repository::<Customer>::delete(&store, &bob.id, 1)
        .await
        .expect("delete a customer");
    assert!(matches!(
        Repository::<Customer>::get(&store, &bob.id).await,
        Err(StorageError::NotFound { .. })
    ));
}

/// Creating a record whose id exists is a `Duplicate` error and changes nothing.
pub async fn duplicates<S, F, Fut>(make: F)
where
    S: CrmStore,
    F: Fn() -> Fut,
    Fut: Future<Output = S>,
{
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
    assert_eq!(
        Repository::<Transaction>::get(&store, &t.id)
            .await
            .unwrap()
            .record,
        t
    );
    // Integer and text keys that print the same are the same key.
    let c42 = Customer::new(42.into(), PartyKind::Person, "Int", at(1, 9)).unwrap();
    store.create(c42).await.unwrap();
    assert!(matches!(
        store.create(customer("42", "Text")).await,
        Err(StorageError::Duplicate { .. })
    ));
}

/// A stale expected version is a `Conflict { expected, actual }` and writes nothing.
pub async fn version_conflicts<S, F, Fut>(make: F)
where
    S: CrmStore,
    F: Fn() -> Fut,
    Fut: Future<Output = S>,
{
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
pub async fn pagination_under_concurrent_inserts<S, F, Fut>(make: F)
where
    S: CrmStore,
    F: Fn() -> Fut,
    Fut: Future<Output = S>,
{
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
pub async fn filters<S, F, Fut>(make: F)
where
    S: CrmStore,
    F: Fn() -> Fut,
    Fut: Future<Output = S>,
{
    let store = make().await;
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
    let f = |f: Filter| f;
    let owner = f(Filter {
        owner: Some(user("alice")),
        ..Filter::default()
    });
    assert_eq!(
        ids::<Customer, S>(&store, &owner).await,
        ["A", "C"],
        "owner filter"
    );
    let tag = f(Filter {
        tag: Some(vip.clone()),
        ..Filter::default()
    });
    assert_eq!(
        ids::<Customer, S>(&store, &tag).await,
        ["A", "C"],
        "tag filter matches whole tags only"
    );
    let churned = f(Filter {
        status: Some(Status::Lifecycle(LifecycleStage::Churned)),
        ..Filter::default()
    });
    assert_eq!(ids::<Customer, S>(&store, &churned).await, ["B", "C"]);
    let since = f(Filter {
        updated_since: Some(at(4, 9)),
        ..Filter::default()
    });
    assert_eq!(
        ids::<Customer, S>(&store, &since).await,
        ["A", "C"],
        "updated_since is inclusive"
    );
    let combined = f(Filter {
        owner: Some(user("alice")),
        status: Some(Status::Lifecycle(LifecycleStage::Churned)),
        tag: Some(vip.clone()),
        ..Filter::default()
    });
    assert_eq!(ids::<Customer, S>(&store, &combined).await, ["C"]);
    let created = f(Filter {
        time: Some(TimeRange::new(at(4, 0), at(5, 0)).unwrap()),
        ..Filter::default()
    });
    assert_eq!(ids::<Customer, S>(&store, &created).await, ["C"]);

    // Tickets: status, assignee, customer, tag.
    let mut t1 = ticket("T-1", "A", at(2, 9));
    t1.status = TicketStatus::Open;
    t1.assignee = Some(user("alice"));
    t1.tags.insert(vip.clone());
    let mut t2 = ticket("T-2", "B", at(2, 10));
    t2.status = TicketStatus::Solved;
    t2.solved_at = Some(at(3, 10));
    t2.assignee = Some(user("alice"));
    let t3 = ticket("T-3", "A", at(2, 11));
    for t in [&t1, &t2, &t3] {
        store.create(t.clone()).await.unwrap();
    }
    let open = f(Filter {
        status: Some(Status::Ticket(TicketStatus::Open)),
        ..Filter::default()
    });
    assert_eq!(ids::<Ticket, S>(&store, &open).await, ["T-1"]);
    assert_eq!(ids::<Ticket, S>(&store, &owner).await, ["T-1", "T-2"]);
    assert_eq!(ids::<Ticket, S>(&store, &tag).await, ["T-1"]);
    let of_a = f(Filter {
        customer: Some("A".parse().unwrap()),
        ..Filter::default()
    });
    assert_eq!(ids::<Ticket, S>(&store, &of_a).await, ["T-1", "T-3"]);
    let solved_since = f(Filter {
        updated_since: Some(at(3, 0)),
        ..Filter::default()
    });
    assert_eq!(ids::<Ticket, S>(&store, &solved_since).await, ["T-2"]);
    // A lifecycle stage never matches a ticket; an owner never matches a transaction.
    assert!(ids::<Ticket, S>(&store, &churned).await.is_empty());
    store
        .create(tx("TX-1", "A", at(2, 9), "5 EUR"))
        .await
        .unwrap();
    assert!(ids::<Transaction, S>(&store, &owner).await.is_empty());
    assert_eq!(ids::<Transaction, S>(&store, &of_a).await, ["TX-1"]);
    // Deals by stage.
    let mut d = deal("D-1", "A", "Deal", "10 EUR");
    d.stage = DealStage::Won;
    d.closed_at = Some(at(3, 0));
    store.create(d).await.unwrap();
    store
        .create(deal("D-2", "B", "Deal", "10 EUR"))
        .await
        .unwrap();
    let won = f(Filter {
        status: Some(Status::Deal(DealStage::Won)),
        ..Filter::default()
    });
    assert_eq!(ids::<Deal, S>(&store, &won).await, ["D-1"]);
}

/// Time ranges include their start and exclude their end, in listings and in scans.
pub async fn time_range_boundaries<S, F, Fut>(make: F)
where
    S: CrmStore,
    F: Fn() -> Fut,
    Fut: Future<Output = S>,
{
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
    let scanned: Vec<String> = store
        .scan_transactions(range, 2)
        .map(|page| page.unwrap())
        .collect::<Vec<_>>()
        .await
        .concat()
        .iter()
        .map(|t| t.id.to_string())
        .collect();
    assert_eq!(
        scanned,
        ["start", "inside", "last"],
        "scans are in time order"
    );
    let scanned: Vec<String> = store
        .scan_survey_responses(range, 1)
        .map(|page| page.unwrap())
        .collect::<Vec<_>>()
        .await
        .concat()
        .iter()
        .map(|s| s.id.to_string())
        .collect();
    assert_eq!(scanned, ["start", "last"]);
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
pub async fn streaming_scans<S, F, Fut>(make: F)
where
    S: CrmStore,
    F: Fn() -> Fut,
    Fut: Future<Output = S>,
{
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
pub async fn idempotent_batches<S, F, Fut>(make: F)
where
    S: CrmStore,
    F: Fn() -> Fut,
    Fut: Future<Output = S>,
{
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
        Repository::<Transaction>::get(&store, &batch[0].id)
            .await
            .unwrap()
            .record,
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
pub async fn atomic_batches<S, F, Fut>(make: F)
where
    S: CrmStore,
    F: Fn() -> Fut,
    Fut: Future<Output = S>,
{
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
pub async fn invalid_input<S, F, Fut>(make: F)
where
    S: CrmStore,
    F: Fn() -> Fut,
    Fut: Future<Output = S>,
{
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
pub async fn find_by_contact<S, F, Fut>(make: F)
where
    S: CrmStore,
    F: Fn() -> Fut,
    Fut: Future<Output = S>,
{
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
pub async fn reassignment<S, F, Fut>(make: F)
where
    S: CrmStore,
    F: Fn() -> Fut,
    Fut: Future<Output = S>,
{
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

/// After erasing a customer no repository returns their name, e-mail or phone anywhere;
/// kept aggregates keep their amounts and times under a pseudonym.
pub async fn erasure_completeness<S, F, Fut>(make: F)
where
    S: CrmStore,
    F: Fn() -> Fut,
    Fut: Future<Output = S>,
{
    for keep in [false, true] {
        let store = make().await;
        let name = "Zoë Quintessa Ångström";
        let mail = "zoe.quintessa@example.org";
        let phone = "+4917112345678";
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

        let pseudonym: CustomerId = "ANON-7f3e".parse().unwrap();
        let how = if keep {
            Erasure::KeepAnonymizedAggregates {
                pseudonym: pseudonym.clone(),
            }
        } else {
            Erasure::DeleteEverything
        };
        let report = store.erase_customer(&zoe.id, &how).await.unwrap();
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
        ] {
            assert_eq!((counts.deleted, counts.anonymized), one);
        }

        // Nothing anywhere mentions the person.
        let mut dump = String::new();
        for v in all::<Customer, S>(&store).await {
            dump += &serde_json::to_string(&v.record).unwrap();
        }
        for v in all::<Interaction, S>(&store).await {
            dump += &serde_json::to_string(&v.record).unwrap();
        }
        for v in all::<Ticket, S>(&store).await {
            dump += &serde_json::to_string(&v.record).unwrap();
        }
        for v in all::<Deal, S>(&store).await {
            dump += &serde_json::to_string(&v.record).unwrap();
        }
        for v in all::<Transaction, S>(&store).await {
            dump += &serde_json::to_string(&v.record).unwrap();
        }
        for v in all::<SurveyResponse, S>(&store).await {
            dump += &serde_json::to_string(&v.record).unwrap();
        }
        for needle in [name, "Quintessa", mail, phone, "ZOE-1"] {
            assert!(
                !dump.contains(needle),
                "after erasure no repository returns {needle:?}"
            );
        }
        assert!(matches!(
            Repository::<Customer>::get(&store, &zoe.id).await,
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
        let kept: Vec<Transaction> = store
            .scan_transactions(TimeRange::all(), 100)
            .map(|p| p.unwrap())
            .collect::<Vec<_>>()
            .await
            .concat();
        if keep {
            let of_pseudonym: Vec<_> = kept.iter().filter(|t| t.customer == pseudonym).collect();
            assert_eq!(of_pseudonym.len(), 3, "aggregates kept under the pseudonym");
            let total = Money::sum(
                money("0 EUR").currency(),
                of_pseudonym.iter().map(|t| &t.amount),
            )
            .unwrap();
            assert_eq!(total, money("30.00 EUR"), "amounts kept exactly");
            assert!(
                Repository::<Customer>::get(&store, &pseudonym)
                    .await
                    .is_ok()
            );
        } else {
            assert_eq!(kept.len(), 1, "only other customers' records remain");
        }
        assert_eq!(
            Repository::<Transaction>::get(&store, &"OTHER-TX".parse().unwrap())
                .await
                .unwrap()
                .version,
            1,
            "other customers' records are untouched"
        );
        assert!(matches!(
            store
                .erase_customer(&zoe.id, &Erasure::DeleteEverything)
                .await,
            Err(StorageError::NotFound { .. })
        ));
    }
}

/// Unicode text and the longest allowed values round-trip exactly; one character more is
/// `Invalid` and writes nothing.
pub async fn unicode_and_max_length<S, F, Fut>(make: F)
where
    S: CrmStore,
    F: Fn() -> Fut,
    Fut: Future<Output = S>,
{
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
    assert_eq!(
        Repository::<Interaction>::get(&store, &i.id)
            .await
            .unwrap()
            .record,
        i
    );
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
pub async fn concurrent_writers<S, F, Fut>(make: F)
where
    S: CrmStore,
    F: Fn() -> Fut,
    Fut: Future<Output = S>,
{
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

/// Runs every function of the kit in turn, each on a fresh store.
pub async fn run_all<S, F, Fut>(make: F)
where
    S: CrmStore,
    F: Fn() -> Fut,
    Fut: Future<Output = S>,
{
    crud(&make).await;
    duplicates(&make).await;
    version_conflicts(&make).await;
    pagination_under_concurrent_inserts(&make).await;
    filters(&make).await;
    time_range_boundaries(&make).await;
    streaming_scans(&make).await;
    idempotent_batches(&make).await;
    atomic_batches(&make).await;
    invalid_input(&make).await;
    find_by_contact(&make).await;
    reassignment(&make).await;
    erasure_completeness(&make).await;
    unicode_and_max_length(&make).await;
    concurrent_writers(&make).await;
}
