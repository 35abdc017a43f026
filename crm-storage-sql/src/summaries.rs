//! The per-customer purchase summaries SQLite keeps beside the transactions (table
//! `purchase_summaries`, see `migrations/sqlite/0004_purchase_summaries.sql` and
//! SCHEMA.md): recomputing groups that writes marked stale, rebuilding them all after a
//! bulk import, and choosing, for a read, between the table and grouping the transactions.

use sqlx::{Row, SqliteConnection};

use crm_storage_traits::{StorageResult, TimeRange};

use crm_storage_traits::time_text;
use sqlx::AssertSqlSafe;

use crate::common::backend;

/// A statement of this module's own SQL.
fn query(sql: String) -> sqlx::query::Query<'static, sqlx::Sqlite, sqlx::sqlite::SqliteArguments> {
    sqlx::query(AssertSqlSafe(sql))
}

/// A time bound as column text. Stored times have years 0 to 9999; a bound outside that
/// range sorts before or after every one of them.
pub(crate) fn bound_text(t: chrono::DateTime<chrono::Utc>) -> String {
    use chrono::Datelike;
    match t.year() {
        y if y < 0 => String::new(),
        y if y > 9999 => "9999-99".to_string(),
        _ => time_text(t),
    }
}

/// The columns of `purchase_summaries`, in the order the recomputations write them.
const COLUMNS: &str = "customer_id, currency, first_at, last_at, transactions, purchase_days, \
                       first_day, net_minor, first_day_minor";

/// A sum of `amount_minor` over a group that is NULL, instead of an error or a rounded
/// value, when an amount has no integer minor units or the 64-bit sum overflows.
///
/// `sum()` raises an error on an overflow even under a CASE that would not use it (every
/// aggregate is stepped over every row), so the sum is taken in two parts that cannot
/// overflow (the amounts divided by 10^9, and their remainders) and put together with `*`
/// and `+`, which give a floating-point value instead of overflowing.
fn guarded_sum(alias: &str) -> String {
    let whole = format!(
        "sum({alias}amount_minor / 1000000000) * 1000000000 \
         + sum({alias}amount_minor % 1000000000)"
    );
    format!(
        "CASE WHEN count({alias}amount_minor) = count(*) AND typeof({whole}) = 'integer' \
         THEN {whole} END"
    )
}

/// The statements that recompute the summaries of the groups `groups` selects (a query of
/// `customer_id, currency` pairs), or of every group when `None`, from the transactions.
fn recompute_sql(groups: Option<&str>) -> Vec<String> {
    let (only_groups, only_rows) = match groups {
        Some(g) => (
            format!("WHERE (customer_id, currency) IN ({g})"),
            format!("WHERE (t.customer_id, t.currency) IN ({g})"),
        ),
        None => (String::new(), String::new()),
    };
    vec![
        format!("DELETE FROM purchase_summaries {only_groups}"),
        format!(
            "INSERT INTO purchase_summaries ({COLUMNS}) \
             SELECT t.customer_id, t.currency, min(t.at), max(t.at), count(*), \
                    count(DISTINCT t.day), min(t.day), {}, NULL \
             FROM transactions AS t INDEXED BY transactions_customer {only_rows} \
             GROUP BY t.customer_id, t.currency",
            guarded_sum("t.")
        ),
        format!(
            "UPDATE purchase_summaries SET first_day_minor = \
                 (SELECT {} FROM transactions AS f INDEXED BY transactions_customer \
                  WHERE f.customer_id = purchase_summaries.customer_id \
                    AND f.currency = purchase_summaries.currency \
                    AND f.day = purchase_summaries.first_day) {only_groups}",
            guarded_sum("f.")
        ),
    ]
}

/// Recomputes the groups marked stale by deletes and updates of transactions, inside the
/// caller's write transaction; nothing to do (one lookup) when none is.
pub(crate) async fn refresh_stale(conn: &mut SqliteConnection) -> StorageResult<()> {
    let stale: bool = sqlx::query_scalar("SELECT EXISTS (SELECT 1 FROM purchase_summaries_stale)")
        .fetch_one(&mut *conn)
        .await
        .map_err(backend)?;
    if !stale {
        return Ok(());
    }
    let mut statements = recompute_sql(Some(
        "SELECT customer_id, currency FROM purchase_summaries_stale",
    ));
    statements.push("DELETE FROM purchase_summaries_stale".to_string());
    for sql in statements {
        query(sql).execute(&mut *conn).await.map_err(backend)?;
    }
    Ok(())
}

/// Rebuilds every summary from the transactions (after a bulk import that wrote without
/// the insert trigger), inside the caller's write transaction.
pub(crate) async fn rebuild_all(conn: &mut SqliteConnection) -> StorageResult<()> {
    let mut statements = recompute_sql(None);
    statements.push("DELETE FROM purchase_summaries_stale".to_string());
    for sql in statements {
        query(sql).execute(&mut *conn).await.map_err(backend)?;
    }
    Ok(())
}

/// Where a read of the per-customer aggregates of a range takes them from.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Source {
    /// No transaction lies in the range.
    Nothing,
    /// The range holds every transaction and no summary is stale: the summaries table.
    Summaries,
    /// Group the transactions in the range.
    Transactions,
}

/// Chooses the source of a read of the aggregates of `range` (in the reader's transaction,
/// so that the choice and the read see one snapshot): two seeks into `transactions_time`
/// and one into the stale groups.
pub(crate) async fn source(conn: &mut SqliteConnection, range: TimeRange) -> StorageResult<Source> {
    let row = query(
        "SELECT (SELECT min(at) FROM transactions), (SELECT max(at) FROM transactions), \
                EXISTS (SELECT 1 FROM purchase_summaries_stale)"
            .to_string(),
    )
    .fetch_one(&mut *conn)
    .await
    .map_err(backend)?;
    let first: Option<String> = row.try_get(0).map_err(backend)?;
    let last: Option<String> = row.try_get(1).map_err(backend)?;
    let stale: bool = row.try_get(2).map_err(backend)?;
    let (Some(first), Some(last)) = (first, last) else {
        return Ok(Source::Nothing);
    };
    let (start, end) = (bound_text(range.start()), bound_text(range.end()));
    if start <= first && last < end {
        return Ok(if stale {
            Source::Transactions
        } else {
            Source::Summaries
        });
    }
    let any: bool =
        query("SELECT EXISTS (SELECT 1 FROM transactions WHERE at >= ?1 AND at < ?2)".to_string())
            .bind(start)
            .bind(end)
            .fetch_one(&mut *conn)
            .await
            .map_err(backend)?
            .try_get(0)
            .map_err(backend)?;
    Ok(if any {
        Source::Transactions
    } else {
        Source::Nothing
    })
}

/// The fields of a summary record read from the table, in the columns of the store's
/// summary query: the net sum is NULL (to be summed exactly from the amount texts) when
/// the table has no exact net or first-day sum.
pub(crate) const SUMMARY_FIELDS: &[&str] = &[
    "customer_id",
    "currency",
    "first_at",
    "last_at",
    "transactions",
    "purchase_days",
    "CASE WHEN purchase_days > 1 THEN first_day_minor END",
    "CASE WHEN purchase_days > 1 AND first_day_minor IS NULL THEN NULL ELSE net_minor END",
];

/// The fields of a totals record read from the table, in the columns of the store's
/// totals query.
pub(crate) const TOTALS_FIELDS: &[&str] = &[
    "customer_id",
    "currency",
    "first_at",
    "last_at",
    "transactions",
    "net_minor",
];

/// Records per packed query row.
const PACKED_RECORDS: usize = 4_096;

/// Hands `f` the `fields` of every summary, in customer then currency order, as text (an
/// empty text for NULL), read a few thousand records per query.
///
/// The SQLite driver hands rows from its worker thread one at a time, copying every
/// value (an allocation each, freed on the reader's thread); for a million customers
/// that costs more than reading the table. So each query returns one row: the next
/// records after the last key read, packed into one text with the unit separator
/// (U+001F) between fields and the record separator (U+001E) between records. Keys and
/// currency codes cannot contain control characters, times and numbers do not.
pub(crate) async fn packed(
    conn: &mut SqliteConnection,
    fields: &[&str],
    mut f: impl FnMut(Vec<&str>) -> StorageResult<()>,
) -> StorageResult<()> {
    let record = fields
        .iter()
        .map(|e| format!("ifnull({e}, '')"))
        .collect::<Vec<_>>()
        .join(" || char(31) || ");
    let sql = |after: bool| {
        let seek = if after {
            "WHERE (customer_id, currency) > (?1, ?2)"
        } else {
            ""
        };
        format!(
            "SELECT group_concat(record, char(30) ORDER BY customer_id, currency), count(*) \
             FROM (SELECT customer_id, currency, {record} AS record FROM purchase_summaries \
                   {seek} ORDER BY customer_id, currency LIMIT {PACKED_RECORDS})"
        )
    };
    let mut after: Option<(String, String)> = None;
    loop {
        let q = match &after {
            None => query(sql(false)),
            Some((customer, currency)) => query(sql(true))
                .bind(customer.clone())
                .bind(currency.clone()),
        };
        let row = q.fetch_one(&mut *conn).await.map_err(backend)?;
        let records: Option<String> = row.try_get(0).map_err(backend)?;
        let count: i64 = row.try_get(1).map_err(backend)?;
        let Some(records) = records else {
            return Ok(());
        };
        let mut last = None;
        for r in records.split('\u{1e}') {
            let fields: Vec<&str> = r.split('\u{1f}').collect();
            last = Some((fields.first().copied(), fields.get(1).copied()));
            f(fields)?;
        }
        match last {
            Some((Some(customer), Some(currency))) if count as usize == PACKED_RECORDS => {
                after = Some((customer.to_string(), currency.to_string()));
            }
            _ => return Ok(()),
        }
    }
}
