//! `crm import`: transactions, customers, survey responses, interactions, tickets or deals
//! from a file into a database, through the storage traits' import sessions.
//!
//! An import is idempotent and all-or-nothing:
//! - the file goes into one database transaction (an import session) a chunk of rows at a
//!   time, each row converted to a `crm-core` record and checked as it comes; a bad row
//!   anywhere stops the import with one message naming its file, line and column (or field),
//!   and the session is rolled back, so nothing is written. A transaction file is read as a
//!   stream (memory does not grow with its length); the other kinds are read whole first;
//! - a row with an id keeps it; a transaction or response without one gets a deterministic
//!   id from its content and its position among identical rows ([`ContentIds`]), so a
//!   re-import adds nothing while two identical purchases stay two purchases;
//! - an id already stored with the same content is skipped; an id stored (or used earlier in
//!   the file) with *different* content (say a CSAT file reusing the ids of an NPS file) is an
//!   error naming its line, and nothing is written; a stored customer is left as it is;
//! - customers that records refer to but the database lacks are created, in the same
//!   transaction, as minimal records (the id as name, the time of their first record in the
//!   first chunk that names them as creation time);
//! - an id merged into another customer (`crm merge`) means that customer: records naming it
//!   go to the survivor, and a customer row with it is skipped instead of creating the
//!   merged customer again.

use std::collections::{BTreeMap, HashMap, HashSet};
use std::path::Path;

use chrono::{DateTime, SecondsFormat, Utc};
use crm_core::{
    Campaign, CampaignMember, CsatScale, Customer, CustomerId, Email, Money, PartyKind, Phone,
    SurveyResponse, SurveyResponseId, SurveyScore, Tag, Transaction, TransactionId, UserId,
};
use crm_storage_traits::{
    BatchReport, BulkImport, CampaignRepository, CrmStore, ImportSession, Record, StorageError,
};
use serde::Serialize;

use crate::cli::{ImportArgs, ImportKind, SurveyKind};
use crate::commands::database::{Store, is_url, open_for_writing, runtime, with_store};
use crate::commands::scored::GROUP_TAG_PREFIX;
use crate::error::{CliError, CliResult, InputError};
use crate::ids::ContentIds;
use crate::input::activity;
use crate::input::customers::{self, CustomerRow};
use crate::input::open_stream;
use crate::input::rejects;
use crate::input::responses::{self, ResponseRow};
use crate::input::transactions::{self, TransactionRow, TransactionStream};
use crate::output::{check_not_an_input_as, print_json, write_atomic};

pub use crate::input::located::{Located, refused};

/// What an import did.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct ImportReport {
    /// `transactions`, `customers`, `responses`, `interactions`, `tickets` or `deals`.
    pub kind: &'static str,
    /// Rows read from the file.
    pub rows: usize,
    /// Records added.
    pub inserted: usize,
    /// Records already stored (left as they were).
    pub skipped: usize,
    /// Customers created because records referred to them.
    pub customers_created: usize,
    /// Rows refused and written to the `--reject-file` (absent without it).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub rejected: Option<usize>,
}

/// The fields that hold personal data: an error shows their value masked.
const PERSONAL_FIELDS: [&str; 3] = ["name", "email", "phone"];

/// A value with every letter and digit but the first of each run masked (`ann.lee@example`
/// becomes `a**.l**@e******`): enough to find the row, not enough to read the person's data
/// in a log.
pub fn mask(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    let mut in_run = false;
    for c in text.chars() {
        if c.is_alphanumeric() {
            out.push(if in_run { '*' } else { c });
            in_run = true;
        } else {
            out.push(c);
            in_run = false;
        }
    }
    out
}

fn id_error(
    path: &Path,
    line: u64,
    column: Option<usize>,
    field: &str,
    e: impl std::fmt::Display,
    found: &str,
) -> CliError {
    let found = if PERSONAL_FIELDS.contains(&field) {
        mask(found)
    } else {
        found.to_string()
    };
    InputError {
        line: Some(line),
        column,
        field: Some(field.to_string()),
        found: Some(found),
        ..InputError::file(path, format!("a valid {field} ({e})"))
    }
    .into()
}

fn customer_id(path: &Path, line: u64, text: &str) -> CliResult<CustomerId> {
    CustomerId::parse(text).map_err(|e| id_error(path, line, Some(1), "customer_id", e, text))
}

/// Canonical text of a time, for content ids.
fn time_key(t: DateTime<Utc>) -> String {
    t.to_rfc3339_opts(SecondsFormat::AutoSi, true)
}

/// Transaction records of transaction rows; rows without an id get a content id.
pub fn transaction_records(
    path: &Path,
    rows: &[TransactionRow],
) -> CliResult<Vec<Located<Transaction>>> {
    transaction_records_with(&mut ContentIds::new(), path, rows)
}

/// Transaction records of the next rows of a file whose earlier rows got their content ids
/// from `ids`.
pub fn transaction_records_with(
    ids: &mut ContentIds,
    path: &Path,
    rows: &[TransactionRow],
) -> CliResult<Vec<Located<Transaction>>> {
    let records = rows.iter().map(|r| {
        let customer = customer_id(path, r.line, &r.customer_id)?;
        let (id, explicit_id) = match &r.transaction_id {
            Some(text) => (
                TransactionId::parse(text)
                    .map_err(|e| id_error(path, r.line, None, "transaction_id", e, text))?,
                true,
            ),
            None => {
                let text = ids.next(
                    "transaction",
                    &[
                        &r.customer_id,
                        &time_key(r.timestamp),
                        &r.amount.normalize().to_string(),
                        r.currency.code(),
                        &r.quantity
                            .map(|q| q.normalize().to_string())
                            .unwrap_or_default(),
                    ],
                );
                (
                    TransactionId::parse(&text)
                        .map_err(|e| id_error(path, r.line, None, "transaction_id", e, &text))?,
                    false,
                )
            }
        };
        let mut t = Transaction::new(id, customer, r.timestamp, Money::new(r.amount, r.currency));
        if explicit_id {
            t.external_id = r.transaction_id.clone();
        }
        if let Some(q) = r.quantity {
            t.quantity = q;
        }
        t.check().map_err(|e| refused(path, r.line, e))?;
        Ok(Located {
            record: t,
            line: r.line,
            explicit_id,
        })
    });
    kept(rows.iter().map(|r| r.line), records)
}

/// The records converted without error; a row with an error stops the import, or with
/// `--reject-file` is left out as refused.
fn kept<R>(
    lines: impl Iterator<Item = u64>,
    records: impl Iterator<Item = CliResult<Located<R>>>,
) -> CliResult<Vec<Located<R>>> {
    let mut out = Vec::new();
    for (line, record) in lines.zip(records) {
        match record {
            Ok(r) => out.push(r),
            Err(e) => rejects::refuse(line, e)?,
        }
    }
    Ok(out)
}

/// Survey response records of response rows; the group is kept as a tag
/// `group:NAME` (normalized like every tag), which database reads turn back into the group.
pub fn response_records(
    path: &Path,
    rows: &[ResponseRow],
    kind: SurveyKind,
    scale_max: u8,
) -> CliResult<Vec<Located<SurveyResponse>>> {
    let scale =
        CsatScale::new(1, scale_max).map_err(|e| CliError::Usage(format!("--scale-max: {e}")))?;
    let mut ids = ContentIds::new();
    let survey = match kind {
        SurveyKind::Nps => "nps",
        SurveyKind::Csat => "csat",
        SurveyKind::Ces => "ces",
    };
    let records = rows.iter().map(|r| {
        let explicit_id = !r.response_id.is_empty();
        let text = if explicit_id {
            r.response_id.clone()
        } else {
            ids.next(
                "response",
                &[
                    survey,
                    &r.customer_id,
                    &time_key(r.timestamp),
                    &r.score.to_string(),
                    r.group.as_deref().unwrap_or(""),
                    &r.tags.join(";"),
                ],
            )
        };
        let id = SurveyResponseId::parse(&text)
            .map_err(|e| id_error(path, r.line, Some(1), "response_id", e, &text))?;
        let customer = CustomerId::parse(&r.customer_id)
            .map_err(|e| id_error(path, r.line, Some(2), "customer_id", e, &r.customer_id))?;
        let score = match kind {
            SurveyKind::Nps => SurveyScore::Nps(r.score),
            SurveyKind::Csat => SurveyScore::Csat {
                score: r.score,
                scale,
            },
            SurveyKind::Ces => SurveyScore::Ces(r.score),
        };
        let mut out = SurveyResponse::new(id, customer, r.timestamp, score)
            .map_err(|e| id_error(path, r.line, Some(4), "score", e, &r.score.to_string()))?;
        for t in &r.tags {
            out.tags
                .insert(Tag::new(t).map_err(|e| id_error(path, r.line, None, "tags", e, t))?);
        }
        if let Some(g) = &r.group {
            out.tags.insert(
                Tag::new(&format!("{GROUP_TAG_PREFIX}{g}"))
                    .map_err(|e| id_error(path, r.line, Some(5), "group", e, g))?,
            );
        }
        out.check().map_err(|e| refused(path, r.line, e))?;
        Ok(Located {
            record: out,
            line: r.line,
            explicit_id,
        })
    });
    kept(rows.iter().map(|r| r.line), records)
}

/// Customer records of customer rows; a customer without `created_at` is dated `now`.
pub fn customer_records(
    path: &Path,
    rows: &[CustomerRow],
    now: DateTime<Utc>,
) -> CliResult<Vec<Located<Customer>>> {
    let region = crate::input::options::current().phone_region.as_deref();
    let records = rows.iter().map(|r| {
        let id = customer_id(path, r.line, &r.customer_id)?;
        let mut c = Customer::new(id, PartyKind::Person, &r.name, r.created_at.unwrap_or(now))
            .map_err(|e| id_error(path, r.line, Some(2), "name", e, &r.name))?;
        if let Some(e) = &r.email {
            c.email =
                Some(Email::parse(e).map_err(|err| id_error(path, r.line, None, "email", err, e))?);
        }
        if let Some(p) = &r.phone {
            c.phone = Some(
                Phone::parse(p, region)
                    .map_err(|err| id_error(path, r.line, None, "phone", err, p))?,
            );
        }
        if let Some(o) = &r.owner {
            c.owner = Some(
                UserId::parse(o).map_err(|err| id_error(path, r.line, None, "owner", err, o))?,
            );
        }
        c.birthday = r.birthday;
        c.time_zone = r.time_zone;
        for &channel in &r.consents {
            c.give_consent(channel, c.created_at);
        }
        c.tags.extend(r.tags.iter().cloned());
        c.check().map_err(|e| refused(path, r.line, e))?;
        Ok(Located {
            record: c,
            line: r.line,
            explicit_id: true,
        })
    });
    kept(rows.iter().map(|r| r.line), records)
}

/// A record's id refused at its row: `expected` says what the id should have been.
fn id_refused<R: Record>(
    path: &Path,
    item: &Located<R>,
    field: &str,
    expected: String,
) -> CliError {
    InputError {
        line: Some(item.line),
        field: Some(field.to_string()),
        found: Some(item.record.id().to_string()),
        ..InputError::file(path, expected)
    }
    .into()
}

/// Refuses an id used twice in one file.
pub fn check_unique<R: Record>(path: &Path, items: &[Located<R>], field: &str) -> CliResult<()> {
    let mut seen: HashMap<&R::Id, u64> = HashMap::new();
    for item in items {
        if let Some(first) = seen.insert(item.record.id(), item.line) {
            return Err(id_refused(
                path,
                item,
                field,
                format!("an id not used before (first used on line {first})"),
            ));
        }
    }
    Ok(())
}

/// The records whose id the file did not use before: a repeated id is an error (as
/// [`check_unique`] finds it), or with `--reject-file` its row is left out as refused.
pub fn keep_unique<R: Record>(
    path: &Path,
    items: Vec<Located<R>>,
    field: &str,
) -> CliResult<Vec<Located<R>>> {
    let mut keep = vec![true; items.len()];
    {
        let mut seen: HashMap<&R::Id, u64> = HashMap::new();
        for (i, item) in items.iter().enumerate() {
            if let Some(&first) = seen.get(item.record.id()) {
                let e = id_refused(
                    path,
                    item,
                    field,
                    format!("an id not used before (first used on line {first})"),
                );
                rejects::refuse(item.line, e)?;
                keep[i] = false;
            } else {
                seen.insert(item.record.id(), item.line);
            }
        }
    }
    let mut keep = keep.into_iter();
    Ok(items
        .into_iter()
        .filter(|_| keep.next().unwrap_or(false))
        .collect())
}

/// Rows per chunk of an import session.
pub const CHUNK_ROWS: usize = 20_000;

/// A storage error of an import, located at its row when it names a record of a chunk
/// (`batch[i]…`).
fn chunk_error<R: Record>(path: &Path, db: &Path, lines: &[u64], e: StorageError) -> CliError {
    if let StorageError::Invalid { field, .. } = &e
        && let Some(rest) = field.strip_prefix("batch[")
        && let Some(i) = rest.split(']').next().and_then(|i| i.parse::<usize>().ok())
        && let Some(&line) = lines.get(i)
    {
        return refused(path, line, e);
    }
    CliError::storage(db, format!("importing {}s: {e}", R::ENTITY))
}

/// The customers that records of a chunk refer to and that this import has not met yet, as
/// minimal records dated at their first record in the chunk.
fn new_customers<R: Record>(
    known: &mut HashSet<CustomerId>,
    records: &[R],
) -> CliResult<Vec<Customer>> {
    let mut first: BTreeMap<&CustomerId, DateTime<Utc>> = BTreeMap::new();
    for r in records {
        if known.contains(r.customer()) {
            continue;
        }
        let t = r.time();
        first
            .entry(r.customer())
            .and_modify(|f| *f = (*f).min(t))
            .or_insert(t);
    }
    let mut out = Vec::with_capacity(first.len());
    for (id, at) in first {
        out.push(
            Customer::new(id.clone(), PartyKind::Person, &id.to_string(), at)
                .map_err(|e| CliError::analysis("customer record", e))?,
        );
        known.insert(id.clone());
    }
    Ok(out)
}

/// The survivors of the merged customer ids a chunk names, asked of the store once per id
/// (`checked`); `survivors` keeps the answers.
async fn resolve_merged<R: Record>(
    store: &dyn CrmStore,
    db: &Path,
    records: &[R],
    checked: &mut HashSet<CustomerId>,
    survivors: &mut HashMap<CustomerId, CustomerId>,
) -> CliResult<()> {
    let ask: Vec<CustomerId> = records
        .iter()
        .map(|r| r.customer())
        .filter(|c| !checked.contains(*c))
        .cloned()
        .collect::<HashSet<_>>()
        .into_iter()
        .collect();
    if ask.is_empty() {
        return Ok(());
    }
    let entries = store
        .merged_into(&ask)
        .await
        .map_err(|e| CliError::storage(db, format!("reading merged customer ids: {e}")))?;
    checked.extend(ask);
    survivors.extend(entries.into_iter().map(|e| (e.merged, e.survivor)));
    Ok(())
}

/// What an import session did so far.
#[derive(Debug, Default)]
struct Fed {
    rows: usize,
    report: BatchReport,
    customers_created: usize,
}

/// Feeds chunks from `next` (an empty chunk ends the file) into `session`.
async fn feed<R: Record>(
    session: &mut (dyn ImportSession<R> + '_),
    store: &dyn CrmStore,
    db: &Path,
    path: &Path,
    id_field: &str,
    next: &mut dyn FnMut() -> CliResult<Vec<Located<R>>>,
    progress: &mut dyn FnMut(usize),
) -> CliResult<Fed> {
    let mut known: HashSet<CustomerId> = HashSet::new();
    let (mut checked, mut survivors) = (HashSet::new(), HashMap::new());
    let mut fed = Fed::default();
    loop {
        let items = next()?;
        if items.is_empty() {
            return Ok(fed);
        }
        let read = items.len();
        let (mut records, mut lines): (Vec<R>, Vec<u64>) =
            items.into_iter().map(|i| (i.record, i.line)).unzip();
        resolve_merged(store, db, &records, &mut checked, &mut survivors).await?;
        if !survivors.is_empty() {
            if R::ENTITY == Customer::ENTITY {
                // A merged customer exists as its survivor: its row is skipped.
                let keep: Vec<bool> = records
                    .iter()
                    .map(|r| !survivors.contains_key(r.customer()))
                    .collect();
                let mut flags = keep.iter();
                records.retain(|_| *flags.next().unwrap_or(&true));
                let mut flags = keep.iter();
                lines.retain(|_| *flags.next().unwrap_or(&true));
                let merged = read - records.len();
                fed.rows += merged;
                fed.report.skipped += merged;
                if records.is_empty() {
                    progress(read);
                    continue;
                }
            } else {
                for r in &mut records {
                    if let Some(survivor) = survivors.get(r.customer()) {
                        let survivor = survivor.clone();
                        r.move_to(&survivor);
                    }
                }
            }
        }
        if R::ENTITY != Customer::ENTITY {
            let customers = new_customers(&mut known, &records)?;
            if !customers.is_empty() {
                let added = session
                    .add_customers(&customers)
                    .await
                    .map_err(|e| CliError::storage(db, format!("importing customers: {e}")))?;
                fed.customers_created += added.inserted;
            }
        }
        let r = session
            .append(&records)
            .await
            .map_err(|e| chunk_error::<R>(path, db, &lines, e))?;
        // A stored customer is left as it is (a file without creation times dates its
        // customers at the import, so a re-import differs); any other record must match.
        let mut refused_here = 0;
        for &i in &r.conflicts {
            if R::ENTITY == Customer::ENTITY {
                break;
            }
            let e: CliError = InputError {
                line: Some(lines[i]),
                field: Some(id_field.to_string()),
                found: Some(records[i].id().to_string()),
                ..InputError::file(
                    path,
                    format!(
                        "an id that {} does not already hold, and the file did not use before, \
                         for a different {}",
                        db.display(),
                        R::ENTITY.replace('_', " ")
                    ),
                )
            }
            .into();
            // Stored records with other content are left as they were: with
            // `--reject-file`, their rows are refused and the rest of the chunk kept.
            rejects::refuse(lines[i], e)?;
            refused_here += 1;
        }
        fed.rows += records.len() - refused_here;
        fed.report.inserted += r.inserted;
        fed.report.skipped += r.skipped.saturating_sub(refused_here);
        if R::ENTITY == Customer::ENTITY {
            fed.customers_created += r.inserted;
        }
        progress(read);
    }
}

/// Imports the chunks `next` gives (an empty chunk ends the file) in one import session:
/// all of them, with the customers they need, or on any error nothing.
pub async fn import_chunks<R, S>(
    store: &S,
    db: &Path,
    path: &Path,
    id_field: &str,
    next: &mut dyn FnMut() -> CliResult<Vec<Located<R>>>,
    progress: &mut dyn FnMut(usize),
) -> CliResult<ImportCounts>
where
    R: Record,
    S: BulkImport<R> + CrmStore,
{
    let mut session = store
        .begin_import()
        .await
        .map_err(|e| CliError::storage(db, format!("starting the import: {e}")))?;
    match feed(&mut *session, store, db, path, id_field, next, progress).await {
        Ok(fed) => {
            session
                .commit()
                .await
                .map_err(|e| CliError::storage(db, format!("importing {}s: {e}", R::ENTITY)))?;
            Ok(ImportCounts {
                rows: fed.rows,
                inserted: fed.report.inserted,
                skipped: fed.report.skipped,
                customers_created: fed.customers_created,
            })
        }
        Err(e) => {
            // The import failed already; report that failure (a rollback that fails
            // leaves nothing either: the transaction ends with the connection).
            let _ = session.rollback().await;
            Err(e)
        }
    }
}

/// The counts of an import.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct ImportCounts {
    /// Rows read.
    pub rows: usize,
    /// Records added.
    pub inserted: usize,
    /// Records already stored.
    pub skipped: usize,
    /// Customers created (for a customer import, the customers added).
    pub customers_created: usize,
}

/// Writes records read whole (with the customers they need) in one import session.
pub async fn import_events<R, S>(
    store: &S,
    db: &Path,
    path: &Path,
    items: &[Located<R>],
    id_field: &str,
) -> CliResult<ImportCounts>
where
    R: Record,
    S: BulkImport<R> + CrmStore,
{
    let mut chunks = items.chunks(CHUNK_ROWS);
    let mut next = || Ok(chunks.next().map(<[_]>::to_vec).unwrap_or_default());
    import_chunks(store, db, path, id_field, &mut next, &mut |_| {}).await
}

/// The report of an import of `kind`.
fn report(kind: &'static str, c: ImportCounts) -> ImportReport {
    ImportReport {
        kind,
        rows: c.rows,
        inserted: c.inserted,
        skipped: c.skipped,
        customers_created: c.customers_created,
        rejected: None,
    }
}

/// Refuses ids used twice in the file, then imports the records (`kind`: `responses`,
/// `interactions`, … ) with [`import_events`].
fn import_event_file<R>(
    db: &Path,
    path: &Path,
    items: Vec<Located<R>>,
    id_field: &str,
    kind: &'static str,
) -> CliResult<ImportReport>
where
    R: Record,
    crm_storage_sql::SqliteStore: BulkImport<R>,
    crm_storage_sql::PostgresStore: BulkImport<R>,
{
    let items = keep_unique(path, items, id_field)?;
    let items = items.as_slice();
    runtime()?.block_on(async {
        let store = open_for_writing(db).await?;
        let counts = with_store!(&store, s => import_events(s, db, path, items, id_field).await);
        store.close().await;
        Ok(report(kind, counts?))
    })
}

/// Imports records that are not [`Record`]s (campaigns, campaign members) in one
/// all-or-nothing batch with `append`; an error the store reports for the batch's record
/// `i` names the file line that record came from.
fn import_keyed<R>(
    db: &Path,
    path: &Path,
    items: &[Located<R>],
    kind: &'static str,
    append: impl AsyncFnOnce(&Store) -> Result<BatchReport, StorageError>,
) -> CliResult<ImportReport> {
    let result = runtime()?.block_on(async {
        let store = open_for_writing(db).await?;
        let result = append(&store).await;
        store.close().await;
        Ok::<_, CliError>(result)
    })?;
    let counts = result.map_err(|e| batch_error(db, path, items, e))?;
    Ok(ImportReport {
        kind,
        rows: items.len(),
        inserted: counts.inserted,
        skipped: counts.skipped,
        customers_created: 0,
        rejected: None,
    })
}

/// A store's error about record `batch[i]` as an error at that record's file line;
/// other errors name the database.
pub(crate) fn batch_error<R>(
    db: &Path,
    path: &Path,
    items: &[Located<R>],
    e: StorageError,
) -> CliError {
    if let StorageError::Invalid { field, reason } = &e
        && let Some(rest) = field.strip_prefix("batch[")
        && let Some((index, field)) = rest.split_once("].")
        && let Ok(i) = index.parse::<usize>()
        && let Some(item) = items.get(i)
    {
        let expected = match reason.as_str() {
            "no such campaign" => "a campaign stored in the database (import campaigns first)",
            "no such customer" => "a customer stored in the database (import customers first)",
            other => other,
        };
        return InputError {
            line: Some(item.line),
            field: Some(field.to_string()),
            ..InputError::file(path, expected.to_string())
        }
        .into();
    }
    CliError::storage(db, format!("importing {}: {e}", path.display()))
}

/// Streams a transaction file into the database in chunks, with a progress bar on a
/// terminal.
fn import_transactions(args: &ImportArgs) -> CliResult<ImportReport> {
    let (path, db) = (args.file.as_path(), args.db.as_path());
    let currency = transactions::default_currency_option(&args.currency)?;
    let bar = crate::progress::bytes_bar("importing transactions");
    let (opened, len) = open_stream(path, {
        let bar = bar.clone();
        move |n| bar.inc(n)
    })?;
    if let Some(len) = len {
        crate::progress::set_bytes_length(&bar, len);
    }
    // The header is read and checked before the database is opened.
    let mut stream = TransactionStream::open(path, opened, args.format, currency)?;
    let mut ids = ContentIds::new();
    let mut next = || {
        let rows = stream.next_chunk(CHUNK_ROWS)?;
        // The rows before this chunk's are imported or refused: their text is not needed.
        if let Some(first) = rows.first() {
            rejects::forget_before(first.line);
        }
        transaction_records_with(&mut ids, path, &rows)
    };
    let mut rows = 0usize;
    let mut progress = |n: usize| {
        rows += n;
        bar.set_message(format!("{rows} rows"));
    };
    let result = runtime()?.block_on(async {
        let store = open_for_writing(db).await?;
        let counts = with_store!(&store, s => import_chunks(
            s, db, path, "transaction_id", &mut next, &mut progress
        ).await);
        store.close().await;
        counts
    });
    bar.finish_and_clear();
    Ok(report("transactions", result?))
}

/// Imports the file of `args` into the database of `args`.
fn import_kind(args: &ImportArgs, path: &Path, db: &Path) -> CliResult<ImportReport> {
    Ok(match args.kind {
        ImportKind::Transactions => import_transactions(args)?,
        ImportKind::Responses => {
            let (min, max, label) = match args.survey {
                SurveyKind::Nps => (0, 10, "NPS"),
                SurveyKind::Csat => (1, args.scale_max, "CSAT"),
                SurveyKind::Ces => (1, 7, "CES"),
            };
            let rows = responses::read(path, min, max, label)?;
            let items = response_records(path, &rows, args.survey, args.scale_max)?;
            import_event_file(db, path, items, "response_id", "responses")?
        }
        ImportKind::Interactions => {
            let items = activity::interactions(path)?;
            import_event_file(db, path, items, "interaction_id", "interactions")?
        }
        ImportKind::Tickets => {
            let items = activity::tickets(path)?;
            import_event_file(db, path, items, "ticket_id", "tickets")?
        }
        ImportKind::Deals => {
            let currency = transactions::default_currency_option(&args.currency)?;
            let items = activity::deals(path, currency)?;
            import_event_file(db, path, items, "deal_id", "deals")?
        }
        ImportKind::Loyalty => {
            let items = crate::input::loyalty::read(path)?;
            import_event_file(db, path, items, "event_id", "loyalty events")?
        }
        ImportKind::Campaigns => {
            let currency = transactions::default_currency_option(&args.currency)?;
            let items = crate::input::campaigns::campaigns(path, currency)?;
            let records: Vec<Campaign> = items.iter().map(|l| l.record.clone()).collect();
            import_keyed(
                db,
                path,
                &items,
                "campaigns",
                async |store| with_store!(store, s => s.append_campaigns(&records).await),
            )?
        }
        ImportKind::Members => {
            let items = crate::input::campaigns::members(path)?;
            let records: Vec<CampaignMember> = items.iter().map(|l| l.record.clone()).collect();
            import_keyed(
                db,
                path,
                &items,
                "campaign members",
                async |store| with_store!(store, s => s.append_campaign_members(&records).await),
            )?
        }
        ImportKind::Customers => {
            let rows = customers::read(path)?;
            let items = customer_records(path, &rows, Utc::now())?;
            import_event_file(db, path, items, "customer_id", "customers")?
        }
    })
}

/// `crm import`.
pub fn run(args: &ImportArgs) -> CliResult<()> {
    let path = args.file.as_path();
    let db = args.db.as_path();
    // A SQLite file that this import creates is removed again if the import fails: a
    // failed import leaves no trace.
    let fresh_file = !is_url(db) && !db.exists();
    if let Some(reject) = &args.reject_file {
        // The reject file is an output: it may not replace the input.
        crate::input::note_path(path);
        check_not_an_input_as("--reject-file", reject)?;
        // Refuse an unwritable reject file before anything is imported: the rows are
        // committed before it is written.
        crate::output::check_writable(reject)?;
        rejects::enable();
    }
    let result = import_kind(args, path, db).and_then(|mut report| {
        if let Some(reject) = &args.reject_file {
            let refused = rejects::take();
            write_atomic(reject, &rejects::to_csv(&refused)?)?;
            report.rejected = Some(refused.len());
        }
        Ok(report)
    });
    if result.is_err() && fresh_file {
        for suffix in ["", "-wal", "-shm", "-journal"] {
            let mut name = db.as_os_str().to_owned();
            name.push(suffix);
            let _ = std::fs::remove_file(name);
        }
    }
    let report = result?;
    if let Some(out) = &args.output {
        crate::output::write_json_file(out, &report)?;
    }
    if args.json {
        print_json(&report)
    } else {
        println!(
            "{}: {} {} read, {} added, {} already stored; {} customer{} created in {}",
            path.display(),
            report.rows,
            report.kind,
            report.inserted,
            report.skipped,
            report.customers_created,
            if report.customers_created == 1 {
                ""
            } else {
                "s"
            },
            db.display()
        );
        if let (Some(n), Some(reject)) = (report.rejected, &args.reject_file) {
            println!(
                "{n} row{} refused, written to {}",
                if n == 1 { "" } else { "s" },
                reject.display()
            );
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    #[test]
    fn personal_values_are_masked_in_errors() {
        assert_eq!(super::mask("ann.lee@example"), "a**.l**@e******");
        assert_eq!(super::mask("+44 20 79x6 0958"), "+4* 2* 7*** 0***");
        assert_eq!(super::mask("李小龍"), "李**");
        assert_eq!(super::mask(""), "");
    }

    use super::*;
    use crate::commands::database::scan_all;
    use crate::commands::scored::scored;
    use crm_core::Currency;
    use crm_storage_traits::MemoryStore;
    use crm_storage_traits::Repository;
    use rust_decimal::Decimal;

    fn tx(customer: &str, day: u32, cents: i64, id: Option<&str>) -> TransactionRow {
        TransactionRow {
            customer_id: customer.into(),
            timestamp: chrono::TimeZone::with_ymd_and_hms(&Utc, 2024, 1, day, 0, 0, 0).unwrap(),
            amount: Decimal::new(cents, 2),
            currency: Currency::USD,
            transaction_id: id.map(str::to_string),
            quantity: None,
            line: u64::from(day) + 1,
        }
    }

    #[test]
    fn identical_rows_stay_distinct_and_reimport_adds_nothing() {
        let path = Path::new("t.csv");
        let rows = vec![
            tx("a", 1, 1000, None),
            tx("a", 1, 1000, None),
            tx("b", 2, 500, None),
        ];
        let items = transaction_records(path, &rows).unwrap();
        check_unique(path, &items, "transaction_id").unwrap();
        let db = Path::new("memory");
        runtime().unwrap().block_on(async {
            let store = MemoryStore::new();
            let c = import_events(&store, db, path, &items, "transaction_id")
                .await
                .unwrap();
            assert_eq!((c.inserted, c.skipped, c.customers_created), (3, 0, 2));
            let again = transaction_records(path, &rows).unwrap();
            let c = import_events(&store, db, path, &again, "transaction_id")
                .await
                .unwrap();
            assert_eq!((c.inserted, c.skipped, c.customers_created), (0, 3, 0));
            let stored: Vec<Transaction> = scan_all(&store, db).await.unwrap();
            assert_eq!(stored.len(), 3);
        });
    }

    #[test]
    fn a_file_id_stored_with_other_content_is_refused_before_writing() {
        let path = Path::new("t.csv");
        let db = Path::new("memory");
        runtime().unwrap().block_on(async {
            let store = MemoryStore::new();
            let first = transaction_records(path, &[tx("a", 1, 1000, Some("t1"))]).unwrap();
            import_events(&store, db, path, &first, "transaction_id")
                .await
                .unwrap();
            let changed =
                transaction_records(path, &[tx("c", 3, 700, None), tx("a", 1, 999, Some("t1"))])
                    .unwrap();
            let e = import_events(&store, db, path, &changed, "transaction_id")
                .await
                .expect_err("conflict")
                .to_string();
            assert!(e.contains("t.csv, line 2 (transaction_id)"), "{e}");
            let stored: Vec<Transaction> = scan_all(&store, db).await.unwrap();
            assert_eq!(stored.len(), 1);
            assert!(
                Repository::<Customer>::get(&store, &"c".parse().unwrap())
                    .await
                    .is_err()
            );
        });
    }

    #[test]
    fn duplicate_ids_in_a_file_are_located() {
        let path = Path::new("t.csv");
        let items = transaction_records(
            path,
            &[tx("a", 1, 1, Some("t1")), tx("b", 2, 2, Some("t1"))],
        )
        .unwrap();
        let e = check_unique(path, &items, "transaction_id")
            .expect_err("dup")
            .to_string();
        assert!(
            e.contains(
                "line 3 (transaction_id): expected an id not used before (first used on line 2)"
            ),
            "{e}"
        );
    }

    #[test]
    fn groups_round_trip_as_tags() {
        let row = ResponseRow {
            response_id: "r1".into(),
            customer_id: "c1".into(),
            timestamp: Utc::now(),
            score: 9,
            group: Some("Web Shop".into()),
            tags: vec!["price".into()],
            line: 2,
        };
        let items = response_records(Path::new("r.csv"), &[row], SurveyKind::Nps, 5).unwrap();
        let s = scored(&items[0].record, 9);
        assert_eq!(s.group.as_deref(), Some("web-shop"));
        assert_eq!(s.tags, vec!["price".to_string()]);
    }
}

#[cfg(test)]
mod properties {
    use super::*;
    use crm_core::Currency;
    use proptest::prelude::*;
    use rust_decimal::Decimal;

    fn rows(raw: &[(u8, u8, i64)]) -> Vec<TransactionRow> {
        raw.iter()
            .enumerate()
            .map(|(i, (c, d, cents))| TransactionRow {
                customer_id: format!("c{c}"),
                timestamp: chrono::TimeZone::with_ymd_and_hms(
                    &Utc,
                    2024,
                    1,
                    u32::from(*d),
                    0,
                    0,
                    0,
                )
                .unwrap(),
                amount: Decimal::new(*cents, 2),
                currency: Currency::USD,
                transaction_id: None,
                quantity: None,
                line: i as u64 + 2,
            })
            .collect()
    }

    proptest! {
        #[test]
        fn content_ids_are_unique_stable_and_follow_the_rows(
            raw in proptest::collection::vec((0u8..3, 1u8..4, -2i64..3), 0..40)
        ) {
            let path = Path::new("t.csv");
            let a = transaction_records(path, &rows(&raw)).unwrap();
            let b = transaction_records(path, &rows(&raw)).unwrap();
            prop_assert_eq!(&a, &b);
            prop_assert!(check_unique(path, &a, "transaction_id").is_ok());
            // Appending rows never changes the ids of the rows before them.
            let mut longer = raw.clone();
            longer.extend_from_slice(&raw);
            let c = transaction_records(path, &rows(&longer)).unwrap();
            prop_assert_eq!(&c[..a.len()], &a[..]);
            prop_assert!(check_unique(path, &c, "transaction_id").is_ok());
        }

        #[test]
        fn responses_without_ids_get_unique_ids(
            raw in proptest::collection::vec((0u8..2, 0u8..11), 0..30)
        ) {
            let rows: Vec<ResponseRow> = raw
                .iter()
                .enumerate()
                .map(|(i, (c, score))| ResponseRow {
                    response_id: String::new(),
                    customer_id: format!("c{c}"),
                    timestamp: chrono::TimeZone::with_ymd_and_hms(&Utc, 2024, 1, 1, 0, 0, 0).unwrap(),
                    score: *score,
                    group: None,
                    tags: Vec::new(),
                    line: i as u64 + 2,
                })
                .collect();
            let path = Path::new("r.csv");
            let a = response_records(path, &rows, SurveyKind::Nps, 5).unwrap();
            prop_assert!(check_unique(path, &a, "response_id").is_ok());
            prop_assert!(a.iter().all(|i| !i.explicit_id));
            // The same rows as CES answers get other ids.
            if let Some(first) = a.first()
                && (1..=7).contains(&rows[0].score)
            {
                let ces = response_records(path, &rows[..1], SurveyKind::Ces, 5).unwrap();
                prop_assert_ne!(&ces[0].record.id, &first.record.id);
            }
        }
    }
}
