//! The repository traits implemented on PostgreSQL.

use std::collections::{BTreeMap, BTreeSet};
use std::num::NonZeroU32;

use chrono::{DateTime, Utc};
use crm_core::{
    Customer, CustomerId, Deal, Email, FieldRules, Interaction, LoyaltyEvent, Phone,
    SurveyResponse, Ticket,
};
use crm_core::{Money, Transaction, UserId, parse_currency};
use crm_storage_traits::{
    BatchAppend, BatchReport, CrmStore, Cursor, CustomerMerge, CustomerRepository, Erasure,
    ErasureCounts, ErasureReport, Filter, MergeEntry, MergeReport, MergeStamp, Page, PageRequest,
    PurchaseSummary, PurchaseTotals, ReassignReport, Record, Repository, ScanPosition,
    StorageError, StorageResult, TimeRange, TimeScan, Versioned, async_trait, check_batch,
    check_merges, check_reassign, plan_merge,
};
use sqlx::postgres::{PgArguments, PgConnection, PgRow};
use sqlx::{AssertSqlSafe, Postgres, Row};

use super::PostgresStore;
use super::mapping::{PgRecord, PgValue, bound, split_time};
use crate::common::{
    backend, corrupt, is_foreign_key, is_unique, parse, refused, version_param, write_error,
};

/// Records per `COPY` message sent to the server.
const COPY_CHUNK_BYTES: usize = 1 << 20;

type PgQuery = sqlx::query::Query<'static, Postgres, PgArguments>;

/// SQL text with its numbered parameters.
#[derive(Default)]
struct Sql {
    text: String,
    params: Vec<PgValue>,
}

impl Sql {
    fn new(text: impl Into<String>) -> Sql {
        Sql {
            text: text.into(),
            params: Vec::new(),
        }
    }

    /// Adds a parameter; returns its placeholder (`$3`).
    fn param(&mut self, v: PgValue) -> String {
        self.params.push(v);
        format!("${}", self.params.len())
    }

    /// The `time, nanos` placeholders of a time bound.
    fn time(&mut self, t: DateTime<Utc>) -> String {
        let (at, nanos) = bound(t);
        let at = self.param(PgValue::Time(Some(at)));
        let nanos = self.param(PgValue::Small(Some(nanos)));
        format!("{at}, {nanos}")
    }

    fn query(self) -> PgQuery {
        let mut q = sqlx::query(AssertSqlSafe(self.text));
        for v in self.params {
            q = match v {
                PgValue::Text(v) => q.bind(v),
                PgValue::Time(v) => q.bind(v),
                PgValue::Small(v) => q.bind(v),
                PgValue::Big(v) => q.bind(v),
                PgValue::Numeric(v) => q.bind(v),
                PgValue::Tags(v) => q.bind(v),
                PgValue::Json(v) => q.bind(v),
            };
        }
        q
    }
}

/// The `time, nanos` column pair of the record's time.
fn time_cols<R: PgRecord>() -> String {
    format!("{0}_at, {0}_nanos", R::TIME)
}

/// The `time, nanos` column pair of the record's update time.
fn updated_cols<R: PgRecord>() -> String {
    let stem = R::UPDATED.unwrap_or(R::TIME);
    format!("{stem}_at, {stem}_nanos")
}

fn decode_versioned<R: PgRecord>(row: &PgRow) -> StorageResult<Versioned<R>> {
    let version: i64 = row.try_get(0).map_err(backend)?;
    Ok(Versioned {
        record: R::decode(row)?,
        version: version as u64,
    })
}

impl PostgresStore {
    /// The schema-qualified table of a kind of record.
    pub(super) fn table<R: PgRecord>(&self) -> String {
        format!("\"{}\".{}", self.schema, R::TABLE)
    }

    fn insert_sql<R: PgRecord>(&self) -> String {
        let placeholders: Vec<String> = (1..=R::COLUMNS.len()).map(|i| format!("${i}")).collect();
        format!(
            "INSERT INTO {} (version, {}) VALUES (1, {})",
            self.table::<R>(),
            R::COLUMNS.join(", "),
            placeholders.join(", ")
        )
    }

    async fn current_version<R: PgRecord>(
        &self,
        conn: &mut PgConnection,
        id: &str,
    ) -> StorageResult<Option<u64>> {
        let row = sqlx::query(AssertSqlSafe(format!(
            "SELECT version FROM {} WHERE id = $1",
            self.table::<R>()
        )))
        .bind(id.to_string())
        .fetch_optional(conn)
        .await
        .map_err(backend)?;
        row.map(|r| r.try_get::<i64, _>(0).map(|v| v as u64).map_err(backend))
            .transpose()
    }

    /// Writes `record` over the stored row with the same id if its version is `expected`.
    async fn update_in<R: PgRecord>(
        &self,
        conn: &mut PgConnection,
        record: &R,
        expected: u64,
    ) -> StorageResult<Versioned<R>> {
        let id = record.id().to_string();
        let mut sql = Sql::default();
        let mut sets = Vec::new();
        let mut values = record.values()?.into_iter();
        let id_param = sql.param(values.next().expect("the id is the first column"));
        for (column, value) in R::COLUMNS[1..].iter().zip(values) {
            sets.push(format!("{column} = {}", sql.param(value)));
        }
        let version = sql.param(PgValue::Big(Some(version_param(expected)?)));
        sql.text = format!(
            "UPDATE {} SET version = version + 1, {} WHERE id = {id_param} AND version = {version}",
            self.table::<R>(),
            sets.join(", ")
        );
        let done = sql
            .query()
            .execute(&mut *conn)
            .await
            .map_err(write_error::<R>(""))?;
        if done.rows_affected() == 0 {
            let actual = self.current_version::<R>(conn, &id).await?;
            return Err(refused::<R>(&id, expected, actual));
        }
        Ok(Versioned {
            record: record.clone(),
            version: expected + 1,
        })
    }

    /// The WHERE clauses for a filter.
    fn filter_sql<R: PgRecord>(filter: &Filter, sql: &mut Sql) -> Vec<String> {
        let mut clauses = Vec::new();
        if let Some(c) = &filter.customer {
            clauses.push(format!(
                "{} = {}",
                R::CUSTOMER_COL,
                sql.param(PgValue::Text(Some(c.to_string())))
            ));
        }
        if let Some(o) = &filter.owner {
            clauses.push(match R::OWNER_COL {
                Some(col) => format!("{col} = {}", sql.param(PgValue::Text(Some(o.to_string())))),
                None => "FALSE".into(),
            });
        }
        if let Some(t) = &filter.tag {
            clauses.push(match R::TAGS_COL {
                Some(col) => format!(
                    "{} = ANY({col})",
                    sql.param(PgValue::Text(Some(t.as_str().to_string())))
                ),
                None => "FALSE".into(),
            });
        }
        if let Some(s) = filter.status {
            clauses.push(match (R::STATUS_COL, R::status_text(s)) {
                (Some(col), Some(text)) => {
                    format!("{col} = {}", sql.param(PgValue::Text(Some(text.into()))))
                }
                _ => "FALSE".into(),
            });
        }
        if let Some(t) = filter.updated_since {
            clauses.push(format!("({}) >= ({})", updated_cols::<R>(), sql.time(t)));
        }
        if let Some(r) = filter.time {
            clauses.push(Self::range_sql::<R>(r, sql));
        }
        clauses
    }

    fn range_sql<R: PgRecord>(range: TimeRange, sql: &mut Sql) -> String {
        let cols = time_cols::<R>();
        format!(
            "({cols}) >= ({}) AND ({cols}) < ({})",
            sql.time(range.start()),
            sql.time(range.end())
        )
    }

    /// Reads one customer in the caller's transaction, locking it, or `NotFound`.
    async fn read_customer_for_update(
        &self,
        conn: &mut PgConnection,
        id: &CustomerId,
    ) -> StorageResult<Versioned<Customer>> {
        let row = sqlx::query(AssertSqlSafe(format!(
            "SELECT version, {} FROM {} WHERE id = $1 FOR UPDATE",
            <Customer as PgRecord>::SELECT,
            self.table::<Customer>()
        )))
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
    async fn move_records<R: PgRecord>(
        &self,
        conn: &mut PgConnection,
        duplicates: &[CustomerId],
        survivor: &CustomerId,
    ) -> StorageResult<usize> {
        let mut moved = 0;
        for d in duplicates {
            moved += self
                .rewrite::<R>(
                    conn,
                    &format!("{} = $1", R::CUSTOMER_COL),
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

    /// Merges one group in the caller's transaction (see [`CrmStore::merge_customers`]).
    /// The customers are locked in id order, so two merges sharing members cannot
    /// deadlock.
    async fn merge_group_in(
        &self,
        conn: &mut PgConnection,
        group: &CustomerMerge,
        rules: &FieldRules,
        stamp: &MergeStamp,
    ) -> StorageResult<MergeReport> {
        let (survivor, duplicates) = (&group.survivor, group.duplicates.as_slice());
        let expected_versions = &group.expected_versions;
        let mut locked: BTreeMap<&CustomerId, Versioned<Customer>> = BTreeMap::new();
        let members: BTreeSet<&CustomerId> = std::iter::once(survivor).chain(duplicates).collect();
        for id in members {
            locked.insert(id, self.read_customer_for_update(&mut *conn, id).await?);
        }
        let take = |id: &CustomerId| locked.get(id).cloned().expect("every member was read");
        let kept = take(survivor);
        let others: Vec<Versioned<Customer>> = duplicates.iter().map(take).collect();
        let merged = plan_merge(&kept, &others, rules, expected_versions, stamp)?;
        let updated = self.update_in(&mut *conn, &merged, kept.version).await?;
        let mut report = MergeReport {
            survivor: Some(survivor.clone()),
            version: updated.version,
            merged: duplicates.to_vec(),
            interactions: self
                .move_records::<Interaction>(&mut *conn, duplicates, survivor)
                .await?,
            tickets: self
                .move_records::<Ticket>(&mut *conn, duplicates, survivor)
                .await?,
            deals: self
                .move_records::<Deal>(&mut *conn, duplicates, survivor)
                .await?,
            transactions: self
                .move_records::<Transaction>(&mut *conn, duplicates, survivor)
                .await?,
            survey_responses: self
                .move_records::<SurveyResponse>(&mut *conn, duplicates, survivor)
                .await?,
            loyalty_events: self
                .move_records::<LoyaltyEvent>(&mut *conn, duplicates, survivor)
                .await?,
            campaign_members: self.move_members(&mut *conn, duplicates, survivor).await?,
            ..MergeReport::default()
        };
        let gone: BTreeSet<&CustomerId> = duplicates.iter().collect();
        let merges = format!("\"{}\".customer_merges", self.schema);
        for d in duplicates {
            // Other customers naming the duplicate as account or parent.
            report.linked_customers += self
                .rewrite::<Customer>(
                    &mut *conn,
                    "account_id = $1 OR parent_id = $1",
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
            let done = sqlx::query(AssertSqlSafe(format!(
                "UPDATE {merges} SET survivor_id = $1 WHERE survivor_id = $2"
            )))
            .bind(survivor.to_string())
            .bind(d.to_string())
            .execute(&mut *conn)
            .await
            .map_err(backend)?;
            report.earlier_merges += done.rows_affected() as usize;
            let (at, nanos) = split_time(stamp.at);
            sqlx::query(AssertSqlSafe(format!(
                "INSERT INTO {merges} (merged_id, survivor_id, merged_by, merged_at, merged_nanos) \
                 VALUES ($1, $2, $3, $4, $5) ON CONFLICT (merged_id) DO UPDATE SET \
                 survivor_id = EXCLUDED.survivor_id, merged_by = EXCLUDED.merged_by, \
                 merged_at = EXCLUDED.merged_at, merged_nanos = EXCLUDED.merged_nanos"
            )))
            .bind(d.to_string())
            .bind(survivor.to_string())
            .bind(stamp.by.as_ref().map(ToString::to_string))
            .bind(at)
            .bind(nanos)
            .execute(&mut *conn)
            .await
            .map_err(backend)?;
            sqlx::query(AssertSqlSafe(format!(
                "DELETE FROM {} WHERE id = $1",
                self.table::<Customer>()
            )))
            .bind(d.to_string())
            .execute(&mut *conn)
            .await
            .map_err(backend)?;
        }
        Ok(report)
    }

    /// Rewrites, in the caller's transaction, every row matching `where_sql` (with `param`
    /// as `$1`) that `change` changes; returns how many.
    async fn rewrite<R: PgRecord>(
        &self,
        conn: &mut PgConnection,
        where_sql: &str,
        param: String,
        mut change: impl FnMut(&mut R) -> bool,
    ) -> StorageResult<usize> {
        let rows = sqlx::query(AssertSqlSafe(format!(
            "SELECT version, {} FROM {} WHERE {where_sql} ORDER BY id FOR UPDATE",
            R::SELECT,
            self.table::<R>()
        )))
        .bind(param)
        .fetch_all(&mut *conn)
        .await
        .map_err(backend)?;
        let mut changed = 0;
        for row in &rows {
            let mut v = decode_versioned::<R>(row)?;
            if change(&mut v.record) {
                self.update_in(conn, &v.record, v.version).await?;
                changed += 1;
            }
        }
        Ok(changed)
    }

    async fn erase_in<R: PgRecord>(
        &self,
        conn: &mut PgConnection,
        customer: &CustomerId,
        pseudonym: Option<&CustomerId>,
    ) -> StorageResult<ErasureCounts> {
        let mut counts = ErasureCounts::default();
        let where_sql = format!("{} = $1", R::CUSTOMER_COL);
        match pseudonym {
            None => {
                let done = sqlx::query(AssertSqlSafe(format!(
                    "DELETE FROM {} WHERE {where_sql}",
                    self.table::<R>()
                )))
                .bind(customer.to_string())
                .execute(&mut *conn)
                .await
                .map_err(backend)?;
                counts.deleted = done.rows_affected() as usize;
            }
            Some(p) => {
                counts.anonymized = self
                    .rewrite::<R>(conn, &where_sql, customer.to_string(), |r| {
                        r.anonymize(p);
                        true
                    })
                    .await?;
            }
        }
        Ok(counts)
    }

    /// Streams the batch into a temporary staging table with `COPY … FROM STDIN`, in the
    /// caller's transaction. The table is made on first use in the transaction and emptied
    /// on every later one; it is dropped at the commit.
    pub(super) async fn copy_to_staging<R: PgRecord>(
        &self,
        conn: &mut PgConnection,
        staging: &str,
        batch: &[R],
    ) -> StorageResult<()> {
        let columns = R::COLUMNS.join(", ");
        sqlx::query(AssertSqlSafe(format!(
            "CREATE TEMPORARY TABLE IF NOT EXISTS {staging} ON COMMIT DROP AS \
             SELECT 0::bigint AS ord, {columns} FROM {} WITH NO DATA",
            self.table::<R>()
        )))
        .persistent(false)
        .execute(&mut *conn)
        .await
        .map_err(backend)?;
        sqlx::query(AssertSqlSafe(format!("TRUNCATE {staging}")))
            .persistent(false)
            .execute(&mut *conn)
            .await
            .map_err(backend)?;
        let mut copy = conn
            .copy_in_raw(&format!("COPY {staging} (ord, {columns}) FROM STDIN"))
            .await
            .map_err(backend)?;
        let mut buf = String::with_capacity(COPY_CHUNK_BYTES + 4096);
        for (i, record) in batch.iter().enumerate() {
            let values = match record.values() {
                Ok(v) => v,
                Err(e) => {
                    let _ = copy.abort("a record could not be encoded").await;
                    return Err(e);
                }
            };
            buf.push_str(&i.to_string());
            for v in &values {
                buf.push('\t');
                v.write_copy(&mut buf);
            }
            buf.push('\n');
            if buf.len() >= COPY_CHUNK_BYTES {
                copy.send(buf.as_bytes()).await.map_err(backend)?;
                buf.clear();
            }
        }
        if !buf.is_empty() {
            copy.send(buf.as_bytes()).await.map_err(backend)?;
        }
        copy.finish().await.map_err(backend)?;
        Ok(())
    }

    /// Inserts the staged records whose id is not stored, the first of each id (in staging
    /// order) winning; returns how many went in. Rows go in in id order, so two imports
    /// inserting overlapping ids wait for each other instead of deadlocking.
    pub(super) async fn insert_staged<R: PgRecord>(
        &self,
        conn: &mut PgConnection,
        staging: &str,
    ) -> StorageResult<usize> {
        let columns = R::COLUMNS.join(", ");
        let done = sqlx::query(AssertSqlSafe(format!(
            "INSERT INTO {} (version, {columns}) \
             SELECT 1, {columns} FROM \
             (SELECT DISTINCT ON (id) * FROM {staging} ORDER BY id, ord) AS fresh \
             ORDER BY id \
             ON CONFLICT (id) DO NOTHING",
            self.table::<R>()
        )))
        .persistent(false)
        .execute(&mut *conn)
        .await
        .map_err(write_error::<R>("batch."))?;
        Ok(done.rows_affected() as usize)
    }
}

#[async_trait]
impl<R: PgRecord> Repository<R> for PostgresStore {
    async fn create(&self, record: R) -> StorageResult<Versioned<R>> {
        record.check()?;
        let mut sql = Sql::new(self.insert_sql::<R>());
        sql.params = record.values()?;
        sql.query().execute(&self.pool).await.map_err(|e| {
            if is_unique(&e) {
                StorageError::Duplicate {
                    entity: R::ENTITY,
                    id: record.id().to_string(),
                }
            } else {
                write_error::<R>("")(e)
            }
        })?;
        Ok(Versioned { record, version: 1 })
    }

    async fn get(&self, id: &R::Id) -> StorageResult<Versioned<R>> {
        let key = id.to_string();
        let row = sqlx::query(AssertSqlSafe(format!(
            "SELECT version, {} FROM {} WHERE id = $1",
            R::SELECT,
            self.table::<R>()
        )))
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
        self.update_in(&mut conn, &record, expected_version).await
    }

    async fn delete(&self, id: &R::Id, expected_version: u64) -> StorageResult<()> {
        let key = id.to_string();
        let mut conn = self.pool.acquire().await.map_err(backend)?;
        let done = sqlx::query(AssertSqlSafe(format!(
            "DELETE FROM {} WHERE id = $1 AND version = $2",
            self.table::<R>()
        )))
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
            let actual = self.current_version::<R>(&mut conn, &key).await?;
            return Err(refused::<R>(&key, expected_version, actual));
        }
        Ok(())
    }

    async fn list(&self, filter: &Filter, page: &PageRequest) -> StorageResult<Page<R>> {
        page.check()?;
        let mut sql = Sql::default();
        let mut clauses = Self::filter_sql::<R>(filter, &mut sql);
        if let Some(after) = &page.after {
            let p = sql.param(PgValue::Text(Some(after.as_str().to_string())));
            clauses.push(format!("id > {p}"));
        }
        let where_sql = if clauses.is_empty() {
            String::new()
        } else {
            format!("WHERE {}", clauses.join(" AND "))
        };
        let limit = page.limit as usize;
        sql.text = format!(
            "SELECT version, {} FROM {} {where_sql} ORDER BY id LIMIT {}",
            R::SELECT,
            self.table::<R>(),
            limit + 1
        );
        let rows = sql.query().fetch_all(&self.pool).await.map_err(backend)?;
        let items = rows
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
        Ok(Page { items, next })
    }
}

#[async_trait]
impl<R: PgRecord> BatchAppend<R> for PostgresStore {
    async fn append_batch(&self, batch: &[R]) -> StorageResult<BatchReport> {
        check_batch(batch)?;
        if batch.is_empty() {
            return Ok(BatchReport::default());
        }
        let mut tx = self.pool.begin().await.map_err(backend)?;
        let staging = format!("crm_staging_{}", R::TABLE);
        self.copy_to_staging(&mut tx, &staging, batch).await?;
        let inserted = self.insert_staged::<R>(&mut tx, &staging).await?;
        tx.commit().await.map_err(backend)?;
        Ok(BatchReport {
            inserted,
            skipped: batch.len() - inserted,
        })
    }
}

#[async_trait]
impl<R: PgRecord> TimeScan<R> for PostgresStore {
    async fn fetch_scan_page(
        &self,
        range: TimeRange,
        after: Option<ScanPosition>,
        limit: NonZeroU32,
    ) -> StorageResult<Vec<R>> {
        let mut sql = Sql::default();
        let mut clauses = vec![Self::range_sql::<R>(range, &mut sql)];
        if let Some(a) = after {
            let position = sql.time(a.time);
            let id = sql.param(PgValue::Text(Some(a.id)));
            // (time, nanos, id) > (position): one row comparison the index serves.
            clauses.push(format!("({}, id) > ({position}, {id})", time_cols::<R>()));
        }
        sql.text = format!(
            "SELECT version, {} FROM {} WHERE {} ORDER BY {}, id LIMIT {limit}",
            R::SELECT,
            self.table::<R>(),
            clauses.join(" AND "),
            time_cols::<R>()
        );
        let rows = sql.query().fetch_all(&self.pool).await.map_err(backend)?;
        rows.iter().map(R::decode).collect()
    }
}

impl PostgresStore {
    async fn customers_where(
        &self,
        column: &str,
        value: String,
    ) -> StorageResult<Vec<Versioned<Customer>>> {
        let rows = sqlx::query(AssertSqlSafe(format!(
            "SELECT version, body FROM {} WHERE {column} = $1 ORDER BY id",
            self.table::<Customer>()
        )))
        .bind(value)
        .fetch_all(&self.pool)
        .await
        .map_err(backend)?;
        rows.iter().map(decode_versioned).collect()
    }
}

#[async_trait]
impl CustomerRepository for PostgresStore {
    async fn find_by_email(&self, email: &Email) -> StorageResult<Vec<Versioned<Customer>>> {
        self.customers_where("email", email.as_str().to_string())
            .await
    }

    async fn find_by_phone(&self, phone: &Phone) -> StorageResult<Vec<Versioned<Customer>>> {
        self.customers_where("phone", phone.as_str().to_string())
            .await
    }
}

/// Moves an open record from one owner to another (closed ones stay).
fn move_open<R: Record>(to: &UserId) -> impl FnMut(&mut R) -> bool + '_ {
    move |r| {
        let open = r.is_open();
        if open {
            r.set_owner(to.clone());
        }
        open
    }
}

#[async_trait]
impl CrmStore for PostgresStore {
    async fn reassign_owner(&self, from: &UserId, to: &UserId) -> StorageResult<ReassignReport> {
        check_reassign(from, to)?;
        let mut tx = self.pool.begin().await.map_err(backend)?;
        let from = from.to_string();
        let report = ReassignReport {
            customers: self
                .rewrite::<Customer>(&mut tx, "owner = $1", from.clone(), move_open(to))
                .await?,
            deals: self
                .rewrite::<Deal>(&mut tx, "owner = $1", from.clone(), move_open(to))
                .await?,
            tickets: self
                .rewrite::<Ticket>(&mut tx, "owner = $1", from, move_open(to))
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
        // One transaction: any error drops `tx`, which rolls every group back.
        let mut tx = self.pool.begin().await.map_err(backend)?;
        let mut reports = Vec::with_capacity(groups.len());
        for group in groups {
            reports.push(self.merge_group_in(&mut tx, group, rules, stamp).await?);
        }
        tx.commit().await.map_err(backend)?;
        Ok(reports)
    }

    async fn merged_into(&self, ids: &[CustomerId]) -> StorageResult<Vec<MergeEntry>> {
        let keys: Vec<String> = ids
            .iter()
            .map(ToString::to_string)
            .collect::<BTreeSet<_>>()
            .into_iter()
            .collect();
        let rows = sqlx::query(AssertSqlSafe(format!(
            "SELECT merged_id, survivor_id, merged_by, merged_at, merged_nanos \
             FROM \"{}\".customer_merges WHERE merged_id = ANY($1) ORDER BY merged_id",
            self.schema
        )))
        .bind(keys)
        .fetch_all(&self.pool)
        .await
        .map_err(backend)?;
        rows.iter()
            .map(|row| {
                let text = |i: usize| row.try_get::<Option<String>, _>(i).map_err(backend);
                let required =
                    |i: usize, column: &str| text(i)?.ok_or_else(|| corrupt(column, "is NULL"));
                Ok(MergeEntry {
                    merged: parse("merged_id", &required(0, "merged_id")?)?,
                    survivor: parse("survivor_id", &required(1, "survivor_id")?)?,
                    merged_by: text(2)?.map(|by| parse("merged_by", &by)).transpose()?,
                    merged_at: nanos_time(row, 3)?,
                })
            })
            .collect()
    }

    async fn erase_customer(
        &self,
        customer: &CustomerId,
        how: &Erasure,
    ) -> StorageResult<ErasureReport> {
        let mut tx = self.pool.begin().await.map_err(backend)?;
        let key = customer.to_string();
        let customers = self.table::<Customer>();
        let row = sqlx::query(AssertSqlSafe(format!(
            "SELECT version, body FROM {customers} WHERE id = $1 FOR UPDATE"
        )))
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
                crm_core::PartyKind::Person,
                "erased",
                erased.record.created_at,
            )?;
            let mut sql = Sql::new(self.insert_sql::<Customer>());
            sql.params = placeholder.values()?;
            sql.query().execute(&mut *tx).await.map_err(|e| {
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
        self.rewrite::<Customer>(
            &mut tx,
            "account_id = $1 OR parent_id = $1",
            key.clone(),
            |c| {
                for link in [&mut c.account, &mut c.parent_account] {
                    if link.as_ref() == Some(customer) {
                        *link = pseudonym.cloned();
                    }
                }
                true
            },
        )
        .await?;
        let mut report = ErasureReport {
            customer: Some(customer.clone()),
            pseudonym: pseudonym.cloned(),
            interactions: self
                .erase_in::<Interaction>(&mut tx, customer, pseudonym)
                .await?,
            tickets: self
                .erase_in::<Ticket>(&mut tx, customer, pseudonym)
                .await?,
            deals: self.erase_in::<Deal>(&mut tx, customer, pseudonym).await?,
            transactions: self
                .erase_in::<Transaction>(&mut tx, customer, pseudonym)
                .await?,
            survey_responses: self
                .erase_in::<SurveyResponse>(&mut tx, customer, pseudonym)
                .await?,
            loyalty_events: self
                .erase_in::<crm_core::LoyaltyEvent>(&mut tx, customer, pseudonym)
                .await?,
            merged_ids: 0,
            campaign_members: self.erase_members(&mut tx, customer, pseudonym).await?,
        };
        // The ids merged into the customer are theirs too.
        let done = sqlx::query(AssertSqlSafe(format!(
            "DELETE FROM \"{}\".customer_merges WHERE survivor_id = $1",
            self.schema
        )))
        .bind(key.clone())
        .execute(&mut *tx)
        .await
        .map_err(backend)?;
        report.merged_ids = done.rows_affected() as usize;
        sqlx::query(AssertSqlSafe(format!(
            "DELETE FROM {customers} WHERE id = $1"
        )))
        .bind(key)
        .execute(&mut *tx)
        .await
        .map_err(backend)?;
        tx.commit().await.map_err(backend)?;
        Ok(report)
    }

    /// One `GROUP BY` over the transactions in the range, with window aggregates for each
    /// customer's first purchase day and the nanoseconds of the first and last purchase.
    async fn purchase_summaries(&self, range: TimeRange) -> StorageResult<Vec<PurchaseSummary>> {
        let mut sql = Sql::default();
        let in_range = Self::range_sql::<Transaction>(range, &mut sql);
        sql.text = format!(
            "SELECT customer_id, currency, \
                    min(occurred_at), \
                    min(occurred_nanos) FILTER (WHERE occurred_at = first_at), \
                    max(occurred_at), \
                    max(occurred_nanos) FILTER (WHERE occurred_at = last_at), \
                    count(*), count(DISTINCT day), sum(amount), \
                    coalesce(sum(amount) FILTER (WHERE day > first_day), 0) \
             FROM (SELECT customer_id, currency, amount, occurred_at, occurred_nanos, \
                          (occurred_at AT TIME ZONE 'UTC')::date AS day, \
                          min(occurred_at) OVER w AS first_at, \
                          max(occurred_at) OVER w AS last_at, \
                          min((occurred_at AT TIME ZONE 'UTC')::date) OVER w AS first_day \
                   FROM {} WHERE {in_range} \
                   WINDOW w AS (PARTITION BY customer_id, currency)) AS t \
             GROUP BY customer_id, currency \
             ORDER BY customer_id, currency COLLATE \"C\"",
            self.table::<Transaction>()
        );
        let rows = sql.query().fetch_all(&self.pool).await.map_err(backend)?;
        rows.iter().map(summary_row).collect()
    }

    /// One plain `GROUP BY` over the transactions in the range (first and last time,
    /// count, sum), in a read-only snapshot; the first and last purchase of the rare
    /// groups with sub-microsecond times are looked up with two indexed queries each.
    async fn purchase_totals(&self, range: TimeRange) -> StorageResult<Vec<PurchaseTotals>> {
        use futures::TryStreamExt;
        let table = self.table::<Transaction>();
        let mut sql = Sql::default();
        let in_range = Self::range_sql::<Transaction>(range, &mut sql);
        sql.text = format!(
            "SELECT customer_id, currency, min(occurred_at), max(occurred_at), count(*), \
                    sum(amount), bool_or(occurred_nanos <> 0) \
             FROM {table} WHERE {in_range} \
             GROUP BY customer_id, currency \
             ORDER BY customer_id, currency COLLATE \"C\""
        );
        let mut tx = self.pool.begin().await.map_err(backend)?;
        sqlx::query("SET TRANSACTION ISOLATION LEVEL REPEATABLE READ, READ ONLY")
            .execute(&mut *tx)
            .await
            .map_err(backend)?;
        let mut out = Vec::new();
        let mut with_nanos = Vec::new();
        {
            let mut rows = sql.query().fetch(&mut *tx);
            while let Some(row) = rows.try_next().await.map_err(backend)? {
                let (totals, nanos) = totals_row(&row)?;
                if nanos {
                    with_nanos.push(out.len());
                }
                out.push(totals);
            }
        }
        for i in with_nanos {
            let t = &mut out[i];
            for (order, end) in [
                ("ASC", &mut t.first_purchase),
                ("DESC", &mut t.last_purchase),
            ] {
                let mut sql = Sql::default();
                let in_range = Self::range_sql::<Transaction>(range, &mut sql);
                let customer = sql.param(PgValue::Text(Some(t.customer.to_string())));
                let currency = sql.param(PgValue::Text(Some(t.currency.code().to_string())));
                sql.text = format!(
                    "SELECT occurred_at, occurred_nanos FROM {table} \
                     WHERE customer_id = {customer} AND currency = {currency} AND {in_range} \
                     ORDER BY occurred_at {order}, occurred_nanos {order} LIMIT 1"
                );
                let row = sql.query().fetch_one(&mut *tx).await.map_err(backend)?;
                *end = nanos_time(&row, 0)?;
            }
        }
        tx.commit().await.map_err(backend)?;
        Ok(out)
    }
}

/// The time in columns `at` (microseconds) and `at + 1` (the nanoseconds below them).
fn nanos_time(row: &PgRow, at: usize) -> StorageResult<DateTime<Utc>> {
    let t: DateTime<Utc> = row.try_get(at).map_err(backend)?;
    let nanos: i16 = row.try_get(at + 1).map_err(backend)?;
    Ok(t + chrono::Duration::nanoseconds(i64::from(nanos)))
}

/// Reads one row of the purchase totals query, and whether any of its times has
/// nanoseconds below the microsecond (then its first and last time are to be looked up).
fn totals_row(row: &PgRow) -> StorageResult<(PurchaseTotals, bool)> {
    let e = backend;
    let customer: String = row.try_get(0).map_err(e)?;
    let currency: String = row.try_get(1).map_err(e)?;
    let currency = parse_currency(&currency).map_err(StorageError::backend)?;
    let count: i64 = row.try_get(4).map_err(e)?;
    let totals = PurchaseTotals {
        customer: customer.parse().map_err(StorageError::backend)?,
        currency,
        first_purchase: row.try_get(2).map_err(e)?,
        last_purchase: row.try_get(3).map_err(e)?,
        transactions: u64::try_from(count).map_err(StorageError::backend)?,
        net_total: Money::new(row.try_get(5).map_err(e)?, currency),
    };
    Ok((totals, row.try_get(6).map_err(e)?))
}

/// Reads one row of the purchase summary query.
fn summary_row(row: &PgRow) -> StorageResult<PurchaseSummary> {
    let e = backend;
    let customer: String = row.try_get(0).map_err(e)?;
    let currency: String = row.try_get(1).map_err(e)?;
    let currency = parse_currency(&currency).map_err(StorageError::backend)?;
    let time = |at: usize| nanos_time(row, at);
    let count =
        |i: usize| -> StorageResult<u64> { row.try_get::<i64, _>(i).map(|n| n as u64).map_err(e) };
    let money =
        |i: usize| -> StorageResult<Money> { Ok(Money::new(row.try_get(i).map_err(e)?, currency)) };
    Ok(PurchaseSummary {
        customer: customer.parse().map_err(StorageError::backend)?,
        currency,
        first_purchase: time(2)?,
        last_purchase: time(4)?,
        transactions: count(6)?,
        purchase_days: count(7)?,
        net_total: money(8)?,
        repeat_total: money(9)?,
    })
}
