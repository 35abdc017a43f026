//! The repository traits implemented on SQLite.

use std::num::NonZeroU32;

use chrono::{DateTime, Utc};
use crm_core::{Customer, CustomerId, Email, Money, PartyKind, Phone, UserId, parse_currency};
use crm_storage_traits::time_text;
use crm_storage_traits::{
    BatchAppend, BatchReport, CrmStore, Cursor, CustomerRepository, Erasure, ErasureCounts,
    ErasureReport, Filter, Page, PageRequest, PurchaseSummary, ReassignReport, Record, Repository,
    ScanPosition, StorageError, StorageResult, TimeRange, TimeScan, Versioned,
};
use crm_storage_traits::{async_trait, check_batch, check_reassign};
use rust_decimal::Decimal;
use sqlx::sqlite::{SqliteArguments, SqliteRow};
use sqlx::{AssertSqlSafe, Row, Sqlite, SqliteConnection};

use crate::SqliteStore;
use crate::common::{
    backend, is_foreign_key, is_unique, no_customer, refused, version_param, write_error,
};
use crate::mapping::{SqlRecord, TAG_SEPARATOR, Value};

/// SQLite's limit on bound parameters per statement (since 3.32).
const MAX_PARAMS: usize = 32_766;
/// At most this many rows per multi-row INSERT.
const MAX_ROWS_PER_INSERT: usize = 1_000;

fn query(sql: String) -> sqlx::query::Query<'static, Sqlite, SqliteArguments> {
    sqlx::query(AssertSqlSafe(sql))
}

fn bind_all(
    mut q: sqlx::query::Query<'static, Sqlite, SqliteArguments>,
    values: Vec<Value>,
) -> sqlx::query::Query<'static, Sqlite, SqliteArguments> {
    for v in values {
        q = q.bind(v);
    }
    q
}

/// An INSERT of `rows` records at version 1.
///
/// With `on_conflict_skip` (batch append) a row whose id is stored is skipped, and any other
/// failed constraint fails the statement without undoing its earlier rows (`OR FAIL`): the
/// caller rolls the whole transaction back instead. Together with customer keys checked at
/// commit, that spares SQLite the statement journal it would otherwise keep for every
/// multi-row INSERT (a copy of each page the statement touches, to undo it alone).
fn insert_sql<R: SqlRecord>(rows: usize, on_conflict_skip: bool) -> String {
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

/// Writes `record` over the stored row with the same id if its version is `expected`.
async fn update_in<R: SqlRecord>(
    conn: &mut SqliteConnection,
    record: &R,
    expected: u64,
) -> StorageResult<Versioned<R>> {
    let id = record.id().to_string();
    let mut values = record.values()?;
    values.remove(0);
    values.push(Some(id.clone()));
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
        params.push(Some(c.to_string()));
    }
    if let Some(o) = &filter.owner {
        match R::OWNER_COL {
            Some(col) => {
                clauses.push(format!("{col} = ?"));
                params.push(Some(o.to_string()));
            }
            None => clauses.push("1 = 0".into()),
        }
    }
    if let Some(t) = &filter.tag {
        match R::TAGS_COL {
            Some(col) => {
                // instr() is SQLite's; PostgreSQL spells it strpos().
                clauses.push(format!("instr({col}, ?) > 0"));
                params.push(Some(format!(
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
                params.push(Some(s.code()));
            }
            None => clauses.push("1 = 0".into()),
        }
    }
    if let Some(t) = filter.updated_since {
        clauses.push(format!("{} >= ?", R::UPDATED_COL));
        params.push(Some(bound_text(t)));
    }
    if let Some(r) = filter.time {
        clauses.push("at >= ? AND at < ?".into());
        params.push(Some(bound_text(r.start())));
        params.push(Some(bound_text(r.end())));
    }
    (clauses, params)
}

/// A time bound as column text. Stored times have years 0 to 9999; a bound outside that
/// range sorts before or after every one of them.
fn bound_text(t: chrono::DateTime<chrono::Utc>) -> String {
    use chrono::Datelike;
    match t.year() {
        y if y < 0 => String::new(),
        y if y > 9999 => "9999-99".to_string(),
        _ => time_text(t),
    }
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
                q = q.bind(v);
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

impl SqliteStore {
    async fn begin_write(&self) -> StorageResult<sqlx::Transaction<'static, Sqlite>> {
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
        update_in(&mut conn, &record, expected_version).await
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
        Ok(())
    }

    async fn list(&self, filter: &Filter, page: &PageRequest) -> StorageResult<Page<R>> {
        page.check()?;
        let (mut clauses, mut params) = filter_sql::<R>(filter);
        if let Some(after) = &page.after {
            clauses.push("id > ?".into());
            params.push(Some(after.as_str().to_string()));
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
            None => q_params.extend([Some(start), Some(bound_text(range.end()))]),
            Some(a) => {
                let t = time_text(a.time);
                q_params.extend([Some(start.max(t.clone())), Some(bound_text(range.end()))]);
                sql.push_str(" AND (at > ? OR (at = ? AND id > ?))");
                q_params.extend([Some(t.clone()), Some(t), Some(a.id)]);
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
        let report = ErasureReport {
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
        };
        query("DELETE FROM customers WHERE id = ?".to_string())
            .bind(key)
            .execute(&mut *tx)
            .await
            .map_err(backend)?;
        tx.commit().await.map_err(backend)?;
        // secure_delete zeroes the freed pages; a checkpoint moves them out of the
        // write-ahead log into the main file too (best effort: readers may hold it back).
        let _ = sqlx::query("PRAGMA wal_checkpoint(TRUNCATE)")
            .execute(&self.pool)
            .await;
        Ok(report)
    }

    /// One `GROUP BY` over the transactions in the range. SQLite would add the amount
    /// texts as floating-point numbers, so each group returns its amounts (all, and those
    /// after the first purchase day) as text and the exact sums are taken here.
    async fn purchase_summaries(&self, range: TimeRange) -> StorageResult<Vec<PurchaseSummary>> {
        let rows = sqlx::query(
            "SELECT customer_id, currency, min(at), max(at), count(*), \
                    count(DISTINCT substr(at, 1, 10)), group_concat(amount, ' '), \
                    group_concat(CASE WHEN substr(at, 1, 10) > first_day THEN amount END, ' ') \
             FROM (SELECT customer_id, currency, at, amount, \
                          min(substr(at, 1, 10)) OVER (PARTITION BY customer_id, currency) \
                              AS first_day \
                   FROM transactions WHERE at >= ? AND at < ?) \
             GROUP BY customer_id, currency ORDER BY customer_id, currency",
        )
        .bind(bound_text(range.start()))
        .bind(bound_text(range.end()))
        .fetch_all(&self.pool)
        .await
        .map_err(backend)?;
        rows.iter().map(summary_row).collect()
    }
}

/// Reads one row of the purchase summary query.
fn summary_row(row: &SqliteRow) -> StorageResult<PurchaseSummary> {
    let text = |i: usize| -> StorageResult<String> { row.try_get(i).map_err(backend) };
    let count = |i: usize| -> StorageResult<u64> {
        row.try_get::<i64, _>(i).map(|n| n as u64).map_err(backend)
    };
    let currency = parse_currency(&text(1)?).map_err(StorageError::backend)?;
    let time = |i: usize| -> StorageResult<DateTime<Utc>> {
        text(i)?.parse().map_err(StorageError::backend)
    };
    let total = |i: usize| -> StorageResult<Money> {
        let amounts: Option<String> = row.try_get(i).map_err(backend)?;
        let mut sum = Money::zero(currency);
        for amount in amounts.iter().flat_map(|a| a.split(' ')) {
            let amount: Decimal = amount.parse().map_err(StorageError::backend)?;
            sum = sum
                .checked_add(&Money::new(amount, currency))
                .map_err(|_| {
                    StorageError::invalid("purchases.total", "the sum overflows a decimal number")
                })?;
        }
        Ok(sum)
    };
    Ok(PurchaseSummary {
        customer: text(0)?.parse().map_err(StorageError::backend)?,
        currency,
        first_purchase: time(2)?,
        last_purchase: time(3)?,
        transactions: count(4)?,
        purchase_days: count(5)?,
        net_total: total(6)?,
        repeat_total: total(7)?,
    })
}
