//! The repository traits implemented on SQLite.

use std::collections::{BTreeSet, HashSet};
use std::num::NonZeroU32;

use chrono::{DateTime, Utc};
use crm_core::{
    Currency, Customer, CustomerId, Email, FieldRules, Money, PartyKind, Phone, UserId,
    minor_digits, parse_currency,
};
use crm_storage_traits::time_text;
use crm_storage_traits::{
    BatchAppend, BatchReport, CrmStore, Cursor, CustomerMerge, CustomerRepository, Erasure,
    ErasureCounts, ErasureReport, Filter, MergeEntry, MergeReport, MergeStamp, Page, PageRequest,
    PurchaseSummary, PurchaseTotals, ReassignReport, Record, Repository, ScanPosition,
    StorageError, StorageResult, TimeRange, TimeScan, Versioned,
};
use crm_storage_traits::{async_trait, check_batch, check_merges, check_reassign, plan_merge};
use rust_decimal::Decimal;
use sqlx::sqlite::SqliteRow;
use sqlx::{Row, Sqlite, SqliteConnection};

use crate::SqliteStore;
use crate::common::{
    backend, corrupt, is_foreign_key, is_unique, no_customer, parse, refused, version_param,
    write_error,
};
use crate::mapping::{
    SqlRecord, TAG_SEPARATOR, Value, bind_all, bind_value, day_number, from_minor_units, query,
};
use crate::summaries::{self, Source, bound_text};

/// SQLite's limit on bound parameters per statement (since 3.32).
const MAX_PARAMS: usize = 32_766;
/// At most this many rows per multi-row INSERT.
const MAX_ROWS_PER_INSERT: usize = 1_000;

/// An INSERT of `rows` records at version 1.
///
/// With `on_conflict_skip` (batch append) a row whose id is stored is skipped, and any other
/// failed constraint fails the statement without undoing its earlier rows (`OR FAIL`): the
/// caller rolls the whole transaction back instead. Together with customer keys checked at
/// commit, that spares SQLite the statement journal it would otherwise keep for every
/// multi-row INSERT (a copy of each page the statement touches, to undo it alone).
pub(crate) fn insert_sql<R: SqlRecord>(rows: usize, on_conflict_skip: bool) -> String {
    let columns = R::COLUMNS.join(", ");
    let one = format!("(1{})", ", ?".repeat(R::COLUMNS.len()));
    let verb = if on_conflict_skip {
        "INSERT OR FAIL"
    } else {
        "INSERT"
    };
    let mut sql = format!("{verb} INTO {} (version, {columns}) VALUES ", R::TABLE);
    for i in 0..rows {
        if i > 0 {
            sql.push_str(", ");
        }
        sql.push_str(&one);
    }
    if on_conflict_skip {
        sql.push_str(" ON CONFLICT (id) DO NOTHING");
    }
    sql
}

fn update_sql<R: SqlRecord>() -> String {
    let sets: Vec<String> = R::COLUMNS[1..].iter().map(|c| format!("{c} = ?")).collect();
    format!(
        "UPDATE {} SET version = version + 1, {} WHERE id = ? AND version = ?",
        R::TABLE,
        sets.join(", ")
    )
}

fn decode_versioned<R: SqlRecord>(row: &SqliteRow) -> StorageResult<Versioned<R>> {
    let version: i64 = row.try_get(0).map_err(backend)?;
    Ok(Versioned {
        record: R::decode(row)?,
        version: version as u64,
    })
}

async fn current_version<R: SqlRecord>(
    conn: &mut SqliteConnection,
    id: &str,
) -> StorageResult<Option<u64>> {
    let row = query(format!("SELECT version FROM {} WHERE id = ?", R::TABLE))
        .bind(id.to_string())
        .fetch_optional(conn)
        .await
        .map_err(backend)?;
    row.map(|r| r.try_get::<i64, _>(0).map(|v| v as u64).map_err(backend))
        .transpose()
}

/// After a single update or delete of a transaction (committed on its own), recomputes the
/// purchase summaries it marked stale. Best effort: a stale summary is never read (readers
/// group the transactions instead), and the next write recomputes it.
async fn refresh_summaries_after<R: SqlRecord>(conn: &mut SqliteConnection) {
    if R::TABLE != "transactions" {
        return;
    }
    if let Ok(mut tx) = sqlx::Connection::begin_with(&mut *conn, "BEGIN IMMEDIATE").await
        && summaries::refresh_stale(&mut tx).await.is_ok()
    {
        let _ = tx.commit().await;
    }
}

/// Writes `record` over the stored row with the same id if its version is `expected`.
async fn update_in<R: SqlRecord>(
    conn: &mut SqliteConnection,
    record: &R,
    expected: u64,
) -> StorageResult<Versioned<R>> {
    let id = record.id().to_string();
    let mut values = record.values()?;
    values.remove(0);
    values.push(Value::text(id.clone()));
    let q = bind_all(query(update_sql::<R>()), values).bind(version_param(expected)?);
    let done = q.execute(&mut *conn).await.map_err(write_error::<R>(""))?;
    if done.rows_affected() == 0 {
        let actual = current_version::<R>(conn, &id).await?;
        return Err(refused::<R>(&id, expected, actual));
    }
    Ok(Versioned {
        record: record.clone(),
        version: expected + 1,
    })
}

/// The WHERE clause (without `WHERE`) and its parameters for a filter.
fn filter_sql<R: SqlRecord>(filter: &Filter) -> (Vec<String>, Vec<Value>) {
    let mut clauses = Vec::new();
    let mut params: Vec<Value> = Vec::new();
    if let Some(c) = &filter.customer {
        clauses.push(format!("{} = ?", R::CUSTOMER_COL));
        params.push(Value::text(c.to_string()));
    }
    if let Some(o) = &filter.owner {
        match R::OWNER_COL {
            Some(col) => {
                clauses.push(format!("{col} = ?"));
                params.push(Value::text(o.to_string()));
            }
            None => clauses.push("1 = 0".into()),
        }
    }
    if let Some(t) = &filter.tag {
        match R::TAGS_COL {
            Some(col) => {
                // instr() is SQLite's; PostgreSQL spells it strpos().
                clauses.push(format!("instr({col}, ?) > 0"));
                params.push(Value::text(format!(
                    "{TAG_SEPARATOR}{}{TAG_SEPARATOR}",
                    t.as_str()
                )));
            }
            None => clauses.push("1 = 0".into()),
        }
    }
    if let Some(s) = &filter.status {
        match R::STATUS_COL {
            Some(col) => {
                clauses.push(format!("{col} = ?"));
                params.push(Value::text(s.code()));
            }
            None => clauses.push("1 = 0".into()),
        }
    }
    if let Some(t) = filter.updated_since {
        clauses.push(format!("{} >= ?", R::UPDATED_COL));
        params.push(Value::text(bound_text(t)));
    }
    if let Some(r) = filter.time {
        clauses.push("at >= ? AND at < ?".into());
        params.push(Value::text(bound_text(r.start())));
        params.push(Value::text(bound_text(r.end())));
    }
    (clauses, params)
}

/// Rows per multi-row INSERT for a kind of record.
fn rows_per_insert<R: SqlRecord>() -> usize {
    (MAX_PARAMS / R::COLUMNS.len()).min(MAX_ROWS_PER_INSERT)
}

/// Inserts the batch in chunks inside the caller's transaction; returns rows added.
pub(crate) async fn append_in<R: SqlRecord>(
    conn: &mut SqliteConnection,
    batch: &[R],
) -> StorageResult<usize> {
    let per = rows_per_insert::<R>();
    let full_sql = insert_sql::<R>(per, true);
    let mut inserted = 0usize;
    for chunk in batch.chunks(per) {
        let sql = if chunk.len() == per {
            full_sql.clone()
        } else {
            insert_sql::<R>(chunk.len(), true)
        };
        let mut q = query(sql);
        for record in chunk {
            for v in record.values()? {
                q = bind_value(q, v);
            }
        }
        let done = q
            .execute(&mut *conn)
            .await
            .map_err(write_error::<R>("batch."))?;
        inserted += done.rows_affected() as usize;
    }
    Ok(inserted)
}

/// Reads one customer in the caller's transaction, or `NotFound`.
async fn read_customer(
    conn: &mut SqliteConnection,
    id: &CustomerId,
) -> StorageResult<Versioned<Customer>> {
    let row = query(format!(
        "SELECT version, {} FROM customers WHERE id = ?",
        <Customer as SqlRecord>::SELECT
    ))
    .bind(id.to_string())
    .fetch_optional(&mut *conn)
    .await
    .map_err(backend)?;
    match row {
        Some(row) => decode_versioned(&row),
        None => Err(StorageError::NotFound {
            entity: Customer::ENTITY,
            id: id.to_string(),
        }),
    }
}

/// Moves every record of kind `R` of the duplicates to the survivor; returns how many.
async fn move_records<R: SqlRecord>(
    conn: &mut SqliteConnection,
    duplicates: &[CustomerId],
    survivor: &CustomerId,
) -> StorageResult<usize> {
    let mut moved = 0;
    for d in duplicates {
        moved += SqliteStore::rewrite::<R>(
            conn,
            &format!("{} = ?", R::CUSTOMER_COL),
            d.to_string(),
            |r| {
                r.move_to(survivor);
                true
            },
        )
        .await?;
    }
    Ok(moved)
}

/// Reads one row of `customer_merges` (merged id, survivor, by, at).
fn merge_entry(row: &SqliteRow) -> StorageResult<MergeEntry> {
    let text = |i: usize| row.try_get::<Option<String>, _>(i).map_err(backend);
    let required = |i: usize, column: &str| text(i)?.ok_or_else(|| corrupt(column, "is NULL"));
    Ok(MergeEntry {
        merged: parse("merged_id", &required(0, "merged_id")?)?,
        survivor: parse("survivor_id", &required(1, "survivor_id")?)?,
        merged_by: text(2)?.map(|by| parse("merged_by", &by)).transpose()?,
        merged_at: stored_time(&required(3, "merged_at")?)?,
    })
}

/// Merges one group in the caller's transaction (see [`CrmStore::merge_customers`]).
async fn merge_group_in(
    conn: &mut SqliteConnection,
    group: &CustomerMerge,
    rules: &FieldRules,
    stamp: &MergeStamp,
) -> StorageResult<MergeReport> {
    let (survivor, duplicates) = (&group.survivor, group.duplicates.as_slice());
    let expected_versions = &group.expected_versions;
    let kept = read_customer(&mut *conn, survivor).await?;
    let mut others = Vec::with_capacity(duplicates.len());
    for d in duplicates {
        others.push(read_customer(&mut *conn, d).await?);
    }
    let merged = plan_merge(&kept, &others, rules, expected_versions, stamp)?;
    let updated = update_in(&mut *conn, &merged, kept.version).await?;
    let mut report = MergeReport {
        survivor: Some(survivor.clone()),
        version: updated.version,
        merged: duplicates.to_vec(),
        interactions: move_records::<crm_core::Interaction>(&mut *conn, duplicates, survivor)
            .await?,
        tickets: move_records::<crm_core::Ticket>(&mut *conn, duplicates, survivor).await?,
        deals: move_records::<crm_core::Deal>(&mut *conn, duplicates, survivor).await?,
        transactions: move_records::<crm_core::Transaction>(&mut *conn, duplicates, survivor)
            .await?,
        survey_responses: move_records::<crm_core::SurveyResponse>(
            &mut *conn, duplicates, survivor,
        )
        .await?,
        loyalty_events: move_records::<crm_core::LoyaltyEvent>(&mut *conn, duplicates, survivor)
            .await?,
        campaign_members: crate::campaigns::move_members(&mut *conn, duplicates, survivor).await?,
        ..MergeReport::default()
    };
    let gone: BTreeSet<&CustomerId> = duplicates.iter().collect();
    // Other customers naming a duplicate as account or parent (the duplicates
    // themselves are deleted below).
    for d in duplicates {
        for column in ["account_id", "parent_id"] {
            report.linked_customers += SqliteStore::rewrite::<Customer>(
                &mut *conn,
                &format!("{column} = ?"),
                d.to_string(),
                |c| {
                    if gone.contains(&c.id) {
                        return false;
                    }
                    for link in [&mut c.account, &mut c.parent_account] {
                        if link.as_ref().is_some_and(|l| gone.contains(l)) {
                            *link = Some(survivor.clone());
                        }
                    }
                    true
                },
            )
            .await?;
        }
    }
    for d in duplicates {
        let done = query("UPDATE customer_merges SET survivor_id = ? WHERE survivor_id = ?".into())
            .bind(survivor.to_string())
            .bind(d.to_string())
            .execute(&mut *conn)
            .await
            .map_err(backend)?;
        report.earlier_merges += done.rows_affected() as usize;
        query(
            "INSERT INTO customer_merges (merged_id, survivor_id, merged_by, merged_at) \
             VALUES (?, ?, ?, ?) ON CONFLICT (merged_id) DO UPDATE SET \
             survivor_id = excluded.survivor_id, merged_by = excluded.merged_by, \
             merged_at = excluded.merged_at"
                .into(),
        )
        .bind(d.to_string())
        .bind(survivor.to_string())
        .bind(stamp.by.as_ref().map(ToString::to_string))
        .bind(time_text(stamp.at))
        .execute(&mut *conn)
        .await
        .map_err(backend)?;
        query("DELETE FROM customers WHERE id = ?".into())
            .bind(d.to_string())
            .execute(&mut *conn)
            .await
            .map_err(backend)?;
    }
    Ok(report)
}

impl SqliteStore {
    pub(crate) async fn begin_write(&self) -> StorageResult<sqlx::Transaction<'static, Sqlite>> {
        // Take the write lock up front, so concurrent writers queue on the busy timeout
        // instead of failing when a read lock cannot be upgraded.
        self.pool
            .begin_with("BEGIN IMMEDIATE")
            .await
            .map_err(backend)
    }

    async fn rewrite<R: SqlRecord>(
        conn: &mut SqliteConnection,
        where_sql: &str,
        param: String,
        mut change: impl FnMut(&mut R) -> bool,
    ) -> StorageResult<usize> {
        let rows = query(format!(
            "SELECT version, {} FROM {} WHERE {where_sql} ORDER BY id",
            R::SELECT,
            R::TABLE
        ))
        .bind(param)
        .fetch_all(&mut *conn)
        .await
        .map_err(backend)?;
        let mut changed = 0;
        for row in &rows {
            let mut v = decode_versioned::<R>(row)?;
            if change(&mut v.record) {
                update_in(conn, &v.record, v.version).await?;
                changed += 1;
            }
        }
        Ok(changed)
    }

    async fn erase_in<R: SqlRecord>(
        conn: &mut SqliteConnection,
        customer: &CustomerId,
        pseudonym: Option<&CustomerId>,
    ) -> StorageResult<ErasureCounts> {
        let mut counts = ErasureCounts::default();
        match pseudonym {
            None => {
                let done = query(format!(
                    "DELETE FROM {} WHERE {} = ?",
                    R::TABLE,
                    R::CUSTOMER_COL
                ))
                .bind(customer.to_string())
                .execute(&mut *conn)
                .await
                .map_err(backend)?;
                counts.deleted = done.rows_affected() as usize;
            }
            Some(p) => {
                counts.anonymized = Self::rewrite::<R>(
                    conn,
                    &format!("{} = ?", R::CUSTOMER_COL),
                    customer.to_string(),
                    |r| {
                        r.anonymize(p);
                        true
                    },
                )
                .await?;
            }
        }
        Ok(counts)
    }
}

#[async_trait]
impl<R: SqlRecord> Repository<R> for SqliteStore {
    async fn create(&self, record: R) -> StorageResult<Versioned<R>> {
        record.check()?;
        let q = bind_all(query(insert_sql::<R>(1, false)), record.values()?);
        q.execute(&self.pool).await.map_err(|e| {
            if is_unique(&e) {
                StorageError::Duplicate {
                    entity: R::ENTITY,
                    id: record.id().to_string(),
                }
            } else if is_foreign_key(&e) {
                no_customer::<R>("")
            } else {
                backend(e)
            }
        })?;
        Ok(Versioned { record, version: 1 })
    }

    async fn get(&self, id: &R::Id) -> StorageResult<Versioned<R>> {
        let key = id.to_string();
        let row = query(format!(
            "SELECT version, {} FROM {} WHERE id = ?",
            R::SELECT,
            R::TABLE
        ))
        .bind(key.clone())
        .fetch_optional(&self.pool)
        .await
        .map_err(backend)?;
        match row {
            Some(row) => decode_versioned(&row),
            None => Err(StorageError::NotFound {
                entity: R::ENTITY,
                id: key,
            }),
        }
    }

    async fn update(&self, record: R, expected_version: u64) -> StorageResult<Versioned<R>> {
        record.check()?;
        let mut conn = self.pool.acquire().await.map_err(backend)?;
        let updated = update_in(&mut conn, &record, expected_version).await?;
        refresh_summaries_after::<R>(&mut conn).await;
        Ok(updated)
    }

    async fn delete(&self, id: &R::Id, expected_version: u64) -> StorageResult<()> {
        let key = id.to_string();
        let mut conn = self.pool.acquire().await.map_err(backend)?;
        let done = query(format!(
            "DELETE FROM {} WHERE id = ? AND version = ?",
            R::TABLE
        ))
        .bind(key.clone())
        .bind(version_param(expected_version)?)
        .execute(&mut *conn)
        .await
        .map_err(|e| {
            if is_foreign_key(&e) {
                StorageError::invalid(
                    "customer.id",
                    "other records still refer to this customer; erase it instead",
                )
            } else {
                backend(e)
            }
        })?;
        if done.rows_affected() == 0 {
            let actual = current_version::<R>(&mut conn, &key).await?;
            return Err(refused::<R>(&key, expected_version, actual));
        }
        refresh_summaries_after::<R>(&mut conn).await;
        Ok(())
    }

    async fn list(&self, filter: &Filter, page: &PageRequest) -> StorageResult<Page<R>> {
        page.check()?;
        let (mut clauses, mut params) = filter_sql::<R>(filter);
        if let Some(after) = &page.after {
            clauses.push("id > ?".into());
            params.push(Value::text(after.as_str()));
        }
        let where_sql = if clauses.is_empty() {
            String::new()
        } else {
            format!("WHERE {}", clauses.join(" AND "))
        };
        let limit = page.limit as usize;
        let sql = format!(
            "SELECT version, {} FROM {} {where_sql} ORDER BY id LIMIT {}",
            R::SELECT,
            R::TABLE,
            limit + 1
        );
        let rows = bind_all(query(sql), params)
            .fetch_all(&self.pool)
            .await
            .map_err(backend)?;
        let mut items = rows
            .iter()
            .take(limit)
            .map(decode_versioned)
            .collect::<StorageResult<Vec<Versioned<R>>>>()?;
        let next = if rows.len() > limit {
            items
                .last()
                .map(|v| Cursor::after_id(v.record.id().to_string()))
        } else {
            None
        };
        items.truncate(limit);
        Ok(Page { items, next })
    }
}

#[async_trait]
impl<R: SqlRecord> BatchAppend<R> for SqliteStore {
    async fn append_batch(&self, batch: &[R]) -> StorageResult<BatchReport> {
        check_batch(batch)?;
        if batch.is_empty() {
            return Ok(BatchReport::default());
        }
        let mut tx = self.begin_write().await?;
        let inserted = append_in(&mut tx, batch).await?;
        // Customer keys are checked here (see migrations/0002): a failed commit leaves the
        // transaction open, and dropping `tx` rolls it back.
        tx.commit().await.map_err(write_error::<R>("batch."))?;
        Ok(BatchReport {
            inserted,
            skipped: batch.len() - inserted,
        })
    }
}

#[async_trait]
impl<R: SqlRecord> TimeScan<R> for SqliteStore {
    async fn fetch_scan_page(
        &self,
        range: TimeRange,
        after: Option<ScanPosition>,
        limit: NonZeroU32,
    ) -> StorageResult<Vec<R>> {
        let mut sql = format!(
            "SELECT version, {} FROM {} WHERE at >= ? AND at < ?",
            R::SELECT,
            R::TABLE
        );
        // One lower bound on `at`, the later of the range's start and the position's time:
        // SQLite cannot tell which of two bound parameters is the larger, and given both
        // it may seek to the range's start and step over every row before the position.
        // The position's own condition then only orders rows of the same time by id.
        let start = bound_text(range.start());
        let mut q_params = Vec::with_capacity(5);
        match after {
            None => q_params.extend([Value::text(start), Value::text(bound_text(range.end()))]),
            Some(a) => {
                let t = time_text(a.time);
                q_params.extend([
                    Value::text(start.max(t.clone())),
                    Value::text(bound_text(range.end())),
                ]);
                sql.push_str(" AND (at > ? OR (at = ? AND id > ?))");
                q_params.extend([Value::text(t.clone()), Value::text(t), Value::text(a.id)]);
            }
        }
        sql.push_str(&format!(" ORDER BY at, id LIMIT {limit}"));
        let rows = bind_all(query(sql), q_params)
            .fetch_all(&self.pool)
            .await
            .map_err(backend)?;
        rows.iter().map(R::decode).collect()
    }
}

impl SqliteStore {
    async fn customers_where(
        &self,
        column: &str,
        value: String,
    ) -> StorageResult<Vec<Versioned<Customer>>> {
        let rows = query(format!(
            "SELECT version, body FROM customers WHERE {column} = ? ORDER BY id"
        ))
        .bind(value)
        .fetch_all(&self.pool)
        .await
        .map_err(backend)?;
        rows.iter().map(decode_versioned).collect()
    }
}

#[async_trait]
impl CustomerRepository for SqliteStore {
    async fn find_by_email(&self, email: &Email) -> StorageResult<Vec<Versioned<Customer>>> {
        self.customers_where("email", email.as_str().to_string())
            .await
    }

    async fn find_by_phone(&self, phone: &Phone) -> StorageResult<Vec<Versioned<Customer>>> {
        self.customers_where("phone", phone.as_str().to_string())
            .await
    }
}

#[async_trait]
impl CrmStore for SqliteStore {
    async fn reassign_owner(&self, from: &UserId, to: &UserId) -> StorageResult<ReassignReport> {
        check_reassign(from, to)?;
        let mut tx = self.begin_write().await?;
        let report = ReassignReport {
            customers: Self::rewrite::<Customer>(&mut tx, "owner = ?", from.to_string(), |c| {
                c.set_owner(to.clone());
                true
            })
            .await?,
            deals: Self::rewrite::<crm_core::Deal>(&mut tx, "owner = ?", from.to_string(), |d| {
                let open = d.is_open();
                if open {
                    d.set_owner(to.clone());
                }
                open
            })
            .await?,
            tickets: Self::rewrite::<crm_core::Ticket>(
                &mut tx,
                "owner = ?",
                from.to_string(),
                |t| {
                    let open = t.is_open();
                    if open {
                        t.set_owner(to.clone());
                    }
                    open
                },
            )
            .await?,
        };
        tx.commit().await.map_err(backend)?;
        Ok(report)
    }

    async fn merge_customer_groups(
        &self,
        groups: &[CustomerMerge],
        rules: &FieldRules,
        stamp: &MergeStamp,
    ) -> StorageResult<Vec<MergeReport>> {
        check_merges(groups, stamp)?;
        // One write transaction: any error drops `tx`, which rolls every group back.
        let mut tx = self.begin_write().await?;
        let mut reports = Vec::with_capacity(groups.len());
        for group in groups {
            reports.push(merge_group_in(&mut tx, group, rules, stamp).await?);
        }
        // The moved transactions' purchase summaries, in the same transaction.
        summaries::refresh_stale(&mut tx).await?;
        tx.commit().await.map_err(backend)?;
        Ok(reports)
    }

    async fn merged_into(&self, ids: &[CustomerId]) -> StorageResult<Vec<MergeEntry>> {
        let keys: BTreeSet<String> = ids.iter().map(ToString::to_string).collect();
        let keys: Vec<String> = keys.into_iter().collect();
        let mut out = Vec::new();
        for chunk in keys.chunks(MAX_ROWS_PER_INSERT) {
            let sql = format!(
                "SELECT merged_id, survivor_id, merged_by, merged_at FROM customer_merges \
                 WHERE merged_id IN ({}) ORDER BY merged_id",
                vec!["?"; chunk.len()].join(", ")
            );
            let mut q = query(sql);
            for k in chunk {
                q = q.bind(k.clone());
            }
            let rows = q.fetch_all(&self.pool).await.map_err(backend)?;
            for row in &rows {
                out.push(merge_entry(row)?);
            }
        }
        Ok(out)
    }

    async fn erase_customer(
        &self,
        customer: &CustomerId,
        how: &Erasure,
    ) -> StorageResult<ErasureReport> {
        let mut tx = self.begin_write().await?;
        let key = customer.to_string();
        let row = query("SELECT version, body FROM customers WHERE id = ?".to_string())
            .bind(key.clone())
            .fetch_optional(&mut *tx)
            .await
            .map_err(backend)?;
        let Some(row) = row else {
            return Err(StorageError::NotFound {
                entity: Customer::ENTITY,
                id: key,
            });
        };
        let erased: Versioned<Customer> = decode_versioned(&row)?;
        let pseudonym = match how {
            Erasure::DeleteEverything => None,
            Erasure::KeepAnonymizedAggregates { pseudonym } => Some(pseudonym),
        };
        if let Some(p) = pseudonym {
            let placeholder = Customer::new(
                p.clone(),
                PartyKind::Person,
                "erased",
                erased.record.created_at,
            )?;
            bind_all(
                query(insert_sql::<Customer>(1, false)),
                placeholder.values()?,
            )
            .execute(&mut *tx)
            .await
            .map_err(|e| {
                if is_unique(&e) {
                    StorageError::Duplicate {
                        entity: Customer::ENTITY,
                        id: p.to_string(),
                    }
                } else {
                    backend(e)
                }
            })?;
        }
        // Other customers naming the erased one as account or parent.
        for column in ["account_id", "parent_id"] {
            Self::rewrite::<Customer>(&mut tx, &format!("{column} = ?"), key.clone(), |c| {
                for link in [&mut c.account, &mut c.parent_account] {
                    if link.as_ref() == Some(customer) {
                        *link = pseudonym.cloned();
                    }
                }
                true
            })
            .await?;
        }
        let mut report = ErasureReport {
            customer: Some(customer.clone()),
            pseudonym: pseudonym.cloned(),
            interactions: Self::erase_in::<crm_core::Interaction>(&mut tx, customer, pseudonym)
                .await?,
            tickets: Self::erase_in::<crm_core::Ticket>(&mut tx, customer, pseudonym).await?,
            deals: Self::erase_in::<crm_core::Deal>(&mut tx, customer, pseudonym).await?,
            transactions: Self::erase_in::<crm_core::Transaction>(&mut tx, customer, pseudonym)
                .await?,
            survey_responses: Self::erase_in::<crm_core::SurveyResponse>(
                &mut tx, customer, pseudonym,
            )
            .await?,
            loyalty_events: Self::erase_in::<crm_core::LoyaltyEvent>(&mut tx, customer, pseudonym)
                .await?,
            merged_ids: 0,
            campaign_members: crate::campaigns::erase_members(&mut tx, customer, pseudonym).await?,
        };
        // The ids merged into the customer are theirs too.
        let done = query("DELETE FROM customer_merges WHERE survivor_id = ?".to_string())
            .bind(key.clone())
            .execute(&mut *tx)
            .await
            .map_err(backend)?;
        report.merged_ids = done.rows_affected() as usize;
        query("DELETE FROM customers WHERE id = ?".to_string())
            .bind(key)
            .execute(&mut *tx)
            .await
            .map_err(backend)?;
        // The erased customer's purchase summaries go (or move to the pseudonym) with the
        // transactions, in the same transaction.
        summaries::refresh_stale(&mut tx).await?;
        tx.commit().await.map_err(backend)?;
        // secure_delete zeroes the freed pages; a checkpoint moves them out of the
        // write-ahead log into the main file too (best effort: readers may hold it back).
        let _ = sqlx::query("PRAGMA wal_checkpoint(TRUNCATE)")
            .execute(&self.pool)
            .await;
        Ok(report)
    }

    /// One `GROUP BY` over the `transactions_customer` index (customer, currency, day,
    /// time and the amount as integer minor units), summing integers; see
    /// [`SqliteStore::purchase_summaries_in`].
    async fn purchase_summaries(&self, range: TimeRange) -> StorageResult<Vec<PurchaseSummary>> {
        self.purchase_summaries_in(range).await
    }

    /// One `GROUP BY` over the same covering index, without distinct days; see
    /// [`SqliteStore::purchase_totals_in`].
    async fn purchase_totals(&self, range: TimeRange) -> StorageResult<Vec<PurchaseTotals>> {
        self.purchase_totals_in(range).await
    }
}

/// The per-customer purchase aggregates of the transactions in a range, one row per
/// customer and currency, in customer then currency order, read from the covering index
/// `transactions_customer` alone. Column 6 is the first purchase day's sum when there are
/// several days (found with one seek into the same index).
fn summary_sql(whole: bool) -> String {
    let (range, first_range) = if whole {
        ("", "")
    } else {
        ("WHERE at >= ?1 AND at < ?2", "AND f.at >= ?1 AND f.at < ?2")
    };
    format!(
        "SELECT customer_id, currency, min(at), max(at), count(*), count(DISTINCT day), \
                CASE WHEN count(DISTINCT day) > 1 THEN \
                    (SELECT sum(f.amount_minor) \
                     FROM transactions AS f INDEXED BY transactions_customer \
                     WHERE f.customer_id = t.customer_id AND f.currency = t.currency \
                       AND f.day = CAST(julianday(substr(min(t.at), 1, 10)) - 2440587.5 \
                                        AS INTEGER) {first_range}) \
                END, \
                sum(amount_minor) \
         FROM transactions AS t INDEXED BY transactions_customer {range} \
         GROUP BY customer_id, currency ORDER BY customer_id, currency"
    )
}

/// The per-customer totals of the transactions in a range, one row per customer and
/// currency, in customer then currency order, read from the covering index
/// `transactions_customer` alone: customer, currency, first and last time, count and the
/// sum of `amount_minor`.
fn totals_sql(whole: bool) -> String {
    let range = if whole {
        ""
    } else {
        "WHERE at >= ?1 AND at < ?2"
    };
    format!(
        "SELECT customer_id, currency, min(at), max(at), count(*), sum(amount_minor) \
         FROM transactions INDEXED BY transactions_customer {range} \
         GROUP BY customer_id, currency ORDER BY customer_id, currency"
    )
}

/// The customers and currencies with a transaction in the range whose amount has no
/// integer minor units (from the partial index `transactions_inexact`).
fn inexact_sql(whole: bool) -> String {
    let range = if whole {
        ""
    } else {
        "AND at >= ?1 AND at < ?2"
    };
    format!(
        "SELECT DISTINCT customer_id, currency \
         FROM transactions INDEXED BY transactions_inexact \
         WHERE amount_minor IS NULL {range}"
    )
}

/// True when SQLite refused a statement because an integer sum overflowed.
fn is_integer_overflow(e: &sqlx::Error) -> bool {
    e.as_database_error()
        .is_some_and(|d| d.message().contains("integer overflow"))
}

/// A summary row: complete, or to be summed exactly from the amount texts.
/// Reads one row of an aggregate query, given the groups with amounts in text only.
type RowReader<T> = fn(&dyn Columns, &Inexact) -> StorageResult<SummaryRow<T>>;

/// The columns of an aggregate's row: a row of a query, or a record packed in text.
trait Columns {
    fn text(&self, i: usize) -> StorageResult<&str>;
    fn int(&self, i: usize) -> StorageResult<Option<i64>>;
}

impl Columns for SqliteRow {
    fn text(&self, i: usize) -> StorageResult<&str> {
        self.try_get(i).map_err(backend)
    }

    fn int(&self, i: usize) -> StorageResult<Option<i64>> {
        self.try_get(i).map_err(backend)
    }
}

/// One record of [`summaries::packed`] text: its fields, an empty one for NULL.
struct Packed<'a>(Vec<&'a str>);

impl Columns for Packed<'_> {
    fn text(&self, i: usize) -> StorageResult<&str> {
        self.0
            .get(i)
            .copied()
            .ok_or_else(|| corrupt("purchase_summaries", "a packed record is short"))
    }

    fn int(&self, i: usize) -> StorageResult<Option<i64>> {
        match self.text(i)? {
            "" => Ok(None),
            t => parse("purchase_summaries", t).map(Some),
        }
    }
}

/// The customers and currencies (as stored text) with an amount in text only.
type Inexact = HashSet<(String, String)>;

enum SummaryRow<T> {
    Done(T),
    Exact(CustomerId, Currency),
}

impl SqliteStore {
    /// [`CrmStore::purchase_summaries`] on SQLite: exactly what the default fold over the
    /// transactions returns, computed by one `GROUP BY` that sums the integer
    /// `amount_minor` column.
    ///
    /// A customer and currency with an amount that is not an integer of the currency's
    /// minor unit (more decimal places, or too large for `amount_minor`) is summed exactly
    /// from its amount texts instead, and so is every group when a 64-bit integer sum
    /// overflows.
    ///
    /// ```
    /// use chrono::{TimeZone, Utc};
    /// use crm_core::{Customer, PartyKind, Transaction};
    /// use crm_storage_traits::{CrmStore, Repository, TimeRange};
    /// # tokio::runtime::Runtime::new().unwrap().block_on(async {
    /// let store = crm_storage_sql::SqliteStore::open_in_memory().await?;
    /// let day = |d, h| Utc.with_ymd_and_hms(2024, 5, d, h, 0, 0).unwrap();
    /// store.create(Customer::new(1.into(), PartyKind::Person, "Ann", day(1, 0))?).await?;
    /// for (id, time, amount) in [(1, day(2, 9), "10 EUR"), (2, day(2, 17), "5 EUR"), (3, day(9, 9), "20.005 EUR")] {
    ///     store.create(Transaction::new(id.into(), 1.into(), time, amount.parse()?)).await?;
    /// }
    /// let ann = &store.purchase_summaries_in(TimeRange::all()).await?[0];
    /// assert_eq!((ann.transactions, ann.purchase_days), (3, 2));
    /// assert_eq!(ann.net_total.to_string(), "35.005 EUR");
    /// assert_eq!(ann.repeat_total.to_string(), "20.005 EUR");
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// # }).unwrap();
    /// ```
    pub async fn purchase_summaries_in(
        &self,
        range: TimeRange,
    ) -> StorageResult<Vec<PurchaseSummary>> {
        match self
            .aggregates_in(
                range,
                (summary_sql, crate::summaries::SUMMARY_FIELDS),
                summary_row,
                |s| s,
            )
            .await?
        {
            Some(rows) => Ok(rows),
            None => crm_storage_traits::summarize_purchases(self, range).await,
        }
    }

    /// [`CrmStore::purchase_totals`] on SQLite: the [`purchase_summaries_in`] without the
    /// distinct days and first-day sums, by the plainer `GROUP BY` over the same covering
    /// index (first and last time, count, integer sum), with the same exact fallbacks.
    ///
    /// [`purchase_summaries_in`]: SqliteStore::purchase_summaries_in
    ///
    /// ```
    /// use chrono::{TimeZone, Utc};
    /// use crm_core::{Customer, PartyKind, Transaction};
    /// use crm_storage_traits::{CrmStore, Repository, TimeRange};
    /// # tokio::runtime::Runtime::new().unwrap().block_on(async {
    /// let store = crm_storage_sql::SqliteStore::open_in_memory().await?;
    /// let day = |d, h| Utc.with_ymd_and_hms(2024, 5, d, h, 0, 0).unwrap();
    /// store.create(Customer::new(1.into(), PartyKind::Person, "Ann", day(1, 0))?).await?;
    /// for (id, time, amount) in [(1, day(2, 9), "10 EUR"), (2, day(9, 9), "20.005 EUR")] {
    ///     store.create(Transaction::new(id.into(), 1.into(), time, amount.parse()?)).await?;
    /// }
    /// let ann = &store.purchase_totals_in(TimeRange::all()).await?[0];
    /// assert_eq!((ann.transactions, ann.last_purchase), (2, day(9, 9)));
    /// assert_eq!(ann.net_total.to_string(), "30.005 EUR");
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// # }).unwrap();
    /// ```
    pub async fn purchase_totals_in(&self, range: TimeRange) -> StorageResult<Vec<PurchaseTotals>> {
        match self
            .aggregates_in(
                range,
                (totals_sql, crate::summaries::TOTALS_FIELDS),
                totals_row,
                |s| s.totals(),
            )
            .await?
        {
            Some(rows) => Ok(rows),
            None => Ok(crm_storage_traits::summarize_purchases(self, range)
                .await?
                .iter()
                .map(PurchaseSummary::totals)
                .collect()),
        }
    }

    /// The per-customer aggregates of a range read by `row`, with the groups holding
    /// amounts in text summed exactly (their summaries taken to `T` by `exact`), all in one
    /// read transaction. `sql.1` reads them from the `purchase_summaries` table when the
    /// range holds every transaction and no summary is stale; otherwise `sql.0` (given
    /// whether the range is the whole time line) groups the transactions. `None` when an
    /// integer sum overflowed (the caller falls back to the exact fold).
    async fn aggregates_in<T>(
        &self,
        range: TimeRange,
        sql: (fn(bool) -> String, &'static [&'static str]),
        row: RowReader<T>,
        exact: fn(PurchaseSummary) -> T,
    ) -> StorageResult<Option<Vec<T>>> {
        use chrono::Datelike;
        let whole = range.start() <= TimeRange::all().start() && range.end().year() > 9999;
        let bind = |sql: String| {
            let q = query(sql);
            if whole {
                q
            } else {
                q.bind(bound_text(range.start()))
                    .bind(bound_text(range.end()))
            }
        };
        // One read transaction: every query and the exact sums see the same snapshot.
        let mut tx = self.pool.begin().await.map_err(backend)?;
        let mut out = Vec::new();
        let mut inexact_groups = Vec::new();
        let mut take = |r: SummaryRow<T>, out: &mut Vec<T>| match r {
            SummaryRow::Done(s) => out.push(s),
            SummaryRow::Exact(customer, currency) => {
                inexact_groups.push((out.len(), customer, currency));
            }
        };
        let (inexact, main): (Inexact, _) = match summaries::source(&mut tx, range).await? {
            Source::Nothing => return Ok(Some(Vec::new())),
            // The table marks a group to be summed exactly by a NULL net sum; its rows
            // come packed, thousands to a query row.
            Source::Summaries => {
                let none = Inexact::new();
                summaries::packed(&mut tx, sql.1, |fields| {
                    take(row(&Packed(fields), &none)?, &mut out);
                    Ok(())
                })
                .await?;
                (none, None)
            }
            Source::Transactions => (
                bind(inexact_sql(whole))
                    .fetch_all(&mut *tx)
                    .await
                    .map_err(backend)?
                    .iter()
                    .map(|r| Ok((r.try_get(0)?, r.try_get(1)?)))
                    .collect::<Result<_, sqlx::Error>>()
                    .map_err(backend)?,
                Some(bind(sql.0(whole))),
            ),
        };
        if let Some(main) = main {
            let read = for_each_row(main.fetch(&mut *tx), |r| {
                take(row(&r, &inexact)?, &mut out);
                Ok(())
            })
            .await;
            match read {
                Ok(()) => {}
                Err(RowsError::Sql(e)) if is_integer_overflow(&e) => return Ok(None),
                Err(e) => return Err(e.into()),
            }
        }
        // The groups with amounts in text, summed exactly, in their places in the order.
        let mut done = Vec::with_capacity(out.len() + inexact_groups.len());
        let mut rest = out.into_iter();
        let mut taken = 0;
        for (at, customer, currency) in inexact_groups {
            done.extend(rest.by_ref().take(at - taken));
            taken = at;
            done.push(exact(
                exact_summary(&mut tx, customer, currency, range).await?,
            ));
        }
        done.extend(rest);
        tx.commit().await.map_err(backend)?;
        Ok(Some(done))
    }
}

/// Reads one row of [`totals_sql`]; a group with an amount in text only is to be summed
/// exactly.
fn totals_row(row: &dyn Columns, inexact: &Inexact) -> StorageResult<SummaryRow<PurchaseTotals>> {
    let customer_text = row.text(0)?;
    let currency_text = row.text(1)?;
    let customer: CustomerId = parse("customer_id", customer_text)?;
    let currency = stored_currency(currency_text)?;
    if is_inexact(inexact, customer_text, currency_text) {
        return Ok(SummaryRow::Exact(customer, currency));
    }
    let count = row.int(4)?.ok_or_else(|| corrupt("count", "is NULL"))?;
    let net = row.int(5)?;
    let Some(net) = net else {
        return Ok(SummaryRow::Exact(customer, currency));
    };
    let net_total = if net == 0 {
        Money::zero(currency)
    } else {
        from_minor_units(i128::from(net), minor_digits(currency))
            .map(|d| Money::new(d, currency))
            .ok_or_else(|| corrupt("amount_minor", "out of range"))?
    };
    Ok(SummaryRow::Done(PurchaseTotals {
        customer,
        currency,
        first_purchase: stored_time(row.text(2)?)?,
        last_purchase: stored_time(row.text(3)?)?,
        transactions: u64::try_from(count).map_err(|e| corrupt("count", e))?,
        net_total,
    }))
}

/// Why reading a query's rows stopped: the database's error, or the caller's.
enum RowsError {
    Sql(sqlx::Error),
    Storage(StorageError),
}

impl From<RowsError> for StorageError {
    fn from(e: RowsError) -> StorageError {
        match e {
            RowsError::Sql(e) => backend(e),
            RowsError::Storage(e) => e,
        }
    }
}

/// Hands each row of a query to `f` as the rows arrive, taking them in batches.
///
/// sqlx's SQLite driver steps the statement on a worker thread that passes rows over one
/// at a time; a reader that waited for each row would be woken once per row (a thread
/// switch costing more than the row). Instead, whatever rows are ready are taken without
/// registering for a wake-up, and when none are, the reader sleeps a millisecond while the
/// worker fills the row buffer (see [`SqliteStore::open_with`]).
async fn for_each_row<'a>(
    mut rows: futures::stream::BoxStream<'a, Result<SqliteRow, sqlx::Error>>,
    mut f: impl FnMut(SqliteRow) -> StorageResult<()>,
) -> Result<(), RowsError> {
    use futures::{FutureExt, StreamExt};
    loop {
        match rows.next().now_or_never() {
            Some(Some(row)) => f(row.map_err(RowsError::Sql)?).map_err(RowsError::Storage)?,
            Some(None) => return Ok(()),
            None => tokio::time::sleep(std::time::Duration::from_millis(1)).await,
        }
    }
}

/// One customer's summary in one currency, summed from the amount texts in time order as
/// the default fold does.
async fn exact_summary(
    conn: &mut SqliteConnection,
    customer: CustomerId,
    currency: Currency,
    range: TimeRange,
) -> StorageResult<PurchaseSummary> {
    let rows = query(
        "SELECT at, amount FROM transactions \
             WHERE customer_id = ? AND currency = ? AND at >= ? AND at < ? ORDER BY at, id"
            .to_string(),
    )
    .bind(customer.to_string())
    .bind(currency.code().to_string())
    .bind(bound_text(range.start()))
    .bind(bound_text(range.end()))
    .fetch_all(&mut *conn)
    .await
    .map_err(backend)?;
    let overflow =
        || StorageError::invalid("purchases.total", "the sum overflows a decimal number");
    let zero = Money::zero(currency);
    let mut summary: Option<(PurchaseSummary, i64, i64)> = None;
    for row in &rows {
        let at: DateTime<Utc> = parse("at", &row.try_get::<String, _>(0).map_err(backend)?)?;
        let amount: Decimal = parse("amount", &row.try_get::<String, _>(1).map_err(backend)?)?;
        let amount = Money::new(amount, currency);
        let day = day_number(at);
        let (s, first_day, last_day) = summary.get_or_insert_with(|| {
            (
                PurchaseSummary {
                    customer: customer.clone(),
                    currency,
                    first_purchase: at,
                    last_purchase: at,
                    transactions: 0,
                    purchase_days: 1,
                    net_total: zero,
                    repeat_total: zero,
                },
                day,
                day,
            )
        });
        if day != *last_day {
            s.purchase_days += 1;
            *last_day = day;
        }
        s.transactions += 1;
        s.last_purchase = at;
        s.net_total = s.net_total.checked_add(&amount).map_err(|_| overflow())?;
        if day != *first_day {
            s.repeat_total = s
                .repeat_total
                .checked_add(&amount)
                .map_err(|_| overflow())?;
        }
    }
    summary
        .map(|(s, _, _)| s)
        .ok_or_else(|| corrupt("amount", "a summarized group has no transactions"))
}

/// Reads a stored time (`2024-05-02T10:30:00.000000000Z`), the fixed-width text taken
/// apart directly; any other text goes through the general parser.
/// Whether a group (as stored text) is among those to be summed from the amount texts.
fn is_inexact(inexact: &Inexact, customer: &str, currency: &str) -> bool {
    !inexact.is_empty() && inexact.contains(&(customer.to_string(), currency.to_string()))
}

/// Reads a stored currency code.
fn stored_currency(code: &str) -> StorageResult<Currency> {
    parse_currency(code).map_err(|e| corrupt("currency", e))
}

fn stored_time(text: &str) -> StorageResult<DateTime<Utc>> {
    fn fixed(t: &[u8]) -> Option<DateTime<Utc>> {
        let n = |range: std::ops::Range<usize>| -> Option<u32> {
            t.get(range)?.iter().try_fold(0u32, |acc, &b| {
                b.is_ascii_digit().then(|| acc * 10 + u32::from(b - b'0'))
            })
        };
        if t.len() != 30 || t[4] != b'-' || t[10] != b'T' || t[19] != b'.' || t[29] != b'Z' {
            return None;
        }
        let date = chrono::NaiveDate::from_ymd_opt(n(0..4)? as i32, n(5..7)?, n(8..10)?)?;
        let time =
            chrono::NaiveTime::from_hms_nano_opt(n(11..13)?, n(14..16)?, n(17..19)?, n(20..29)?)?;
        Some(date.and_time(time).and_utc())
    }
    match fixed(text.as_bytes()) {
        Some(t) => Ok(t),
        None => parse("at", text),
    }
}

/// Reads one row of the purchase summary query; a customer and currency listed in
/// `inexact` is left to the exact path.
fn summary_row(row: &dyn Columns, inexact: &Inexact) -> StorageResult<SummaryRow<PurchaseSummary>> {
    let text = |i: usize| row.text(i);
    let int = |i: usize| row.int(i);
    let count = |i: usize| -> StorageResult<u64> {
        let n = int(i)?.ok_or_else(|| corrupt("count", "is NULL"))?;
        u64::try_from(n).map_err(|e| corrupt("count", e))
    };
    let customer_text = text(0)?;
    let currency_text = text(1)?;
    let customer: CustomerId = parse("customer_id", customer_text)?;
    let currency = stored_currency(currency_text)?;
    if is_inexact(inexact, customer_text, currency_text) {
        return Ok(SummaryRow::Exact(customer, currency));
    }
    let purchase_days = count(5)?;
    let Some(net) = int(7)? else {
        return Ok(SummaryRow::Exact(customer, currency));
    };
    let repeat = match int(6)? {
        Some(first_day) if purchase_days > 1 => i128::from(net) - i128::from(first_day),
        _ => 0,
    };
    let scale = minor_digits(currency);
    let money = |minor: i128| -> StorageResult<Money> {
        if minor == 0 {
            return Ok(Money::zero(currency));
        }
        from_minor_units(minor, scale)
            .map(|d| Money::new(d, currency))
            .ok_or_else(|| corrupt("amount_minor", "out of range"))
    };
    Ok(SummaryRow::Done(PurchaseSummary {
        customer,
        currency,
        first_purchase: stored_time(text(2)?)?,
        last_purchase: stored_time(text(3)?)?,
        transactions: count(4)?,
        purchase_days,
        net_total: money(i128::from(net))?,
        repeat_total: money(repeat)?,
    }))
}
