//! [`CampaignRepository`] on PostgreSQL: the `campaigns` and `campaign_members` tables
//! (migration 0005).

use std::collections::BTreeSet;
use std::num::NonZeroU32;

use chrono::{DateTime, Duration, Utc};
use crm_core::{Campaign, CampaignId, CampaignMember, CustomerId, Money, parse_currency};
use crm_storage_traits::{
    BatchReport, CampaignRepository, ErasureCounts, MemberPosition, StorageError, StorageResult,
    async_trait, check_campaign_batch, check_member_batch, no_such_campaign,
    no_such_member_customer,
};
use rust_decimal::Decimal;
use sqlx::postgres::{PgConnection, PgRow};
use sqlx::{AssertSqlSafe, Row};

use super::PostgresStore;
use super::mapping::split_time;
use crate::common::{backend, corrupt, parse};

const CAMPAIGN_SELECT: &str = "id, name, channel, start_at, start_nanos, end_at, end_nanos, cost, \
                               currency, target_segment";
const MEMBER_SELECT: &str = "campaign_id, customer_id, grp, sent_at, sent_nanos, opened_at, \
                             opened_nanos, clicked_at, clicked_nanos, responded_at, \
                             responded_nanos, transaction_id";

/// A time column pair: the time floored to the microsecond and the nanoseconds below it.
fn pair(t: Option<DateTime<Utc>>) -> (Option<DateTime<Utc>>, Option<i16>) {
    match t.map(split_time) {
        Some((at, nanos)) => (Some(at), Some(nanos)),
        None => (None, None),
    }
}

/// The time in columns `i` and `i + 1`, if set.
fn time_at(row: &PgRow, i: usize) -> StorageResult<Option<DateTime<Utc>>> {
    let at: Option<DateTime<Utc>> = row.try_get(i).map_err(backend)?;
    let nanos: Option<i16> = row.try_get(i + 1).map_err(backend)?;
    Ok(at.map(|t| t + Duration::nanoseconds(i64::from(nanos.unwrap_or(0)))))
}

fn text(row: &PgRow, i: usize) -> StorageResult<String> {
    row.try_get(i).map_err(backend)
}

fn decode_campaign(row: &PgRow) -> StorageResult<Campaign> {
    let cost: Decimal = row.try_get(7).map_err(backend)?;
    let currency = parse_currency(&text(row, 8)?).map_err(|e| corrupt("currency", e))?;
    Ok(Campaign {
        id: parse("id", &text(row, 0)?)?,
        name: text(row, 1)?,
        channel: parse("channel", &text(row, 2)?)?,
        start: time_at(row, 3)?.ok_or_else(|| corrupt("start_at", "is NULL"))?,
        end: time_at(row, 5)?,
        cost: Money::new(cost, currency),
        target_segment: row.try_get(9).map_err(backend)?,
    })
}

fn decode_member(row: &PgRow) -> StorageResult<CampaignMember> {
    let mut m = CampaignMember::new(
        parse("campaign_id", &text(row, 0)?)?,
        parse("customer_id", &text(row, 1)?)?,
        parse("grp", &text(row, 2)?)?,
    );
    m.sent_at = time_at(row, 3)?;
    m.opened_at = time_at(row, 5)?;
    m.clicked_at = time_at(row, 7)?;
    m.responded_at = time_at(row, 9)?;
    let conversion: Option<String> = row.try_get(11).map_err(backend)?;
    m.conversion = conversion
        .map(|t| parse("transaction_id", &t))
        .transpose()?;
    Ok(m)
}

impl PostgresStore {
    /// The schema-qualified name of one of the campaign tables.
    fn campaign_table(&self, table: &str) -> String {
        format!("\"{}\".{table}", self.schema)
    }

    /// The ids of `table` among `ids`.
    async fn stored_ids(
        &self,
        conn: &mut PgConnection,
        table: &str,
        ids: &BTreeSet<String>,
    ) -> StorageResult<BTreeSet<String>> {
        let ids: Vec<String> = ids.iter().cloned().collect();
        let rows = sqlx::query(AssertSqlSafe(format!(
            "SELECT id FROM {} WHERE id = ANY($1)",
            self.campaign_table(table)
        )))
        .bind(ids)
        .fetch_all(&mut *conn)
        .await
        .map_err(backend)?;
        rows.iter()
            .map(|r| r.try_get::<String, _>(0).map_err(backend))
            .collect()
    }

    /// Deletes a customer's memberships, or moves them to the pseudonym, inside the
    /// erasure's transaction.
    /// Moves the campaign memberships of merged duplicates to the survivor (a merge): a
    /// duplicate's membership of a campaign the survivor is already in is dropped, the
    /// others move; returns how many moved.
    pub(super) async fn move_members(
        &self,
        conn: &mut PgConnection,
        duplicates: &[CustomerId],
        survivor: &CustomerId,
    ) -> StorageResult<usize> {
        let table = self.campaign_table("campaign_members");
        let mut moved = 0;
        for d in duplicates {
            sqlx::query(AssertSqlSafe(format!(
                "DELETE FROM {table} WHERE customer_id = $1 AND campaign_id IN \
                 (SELECT campaign_id FROM {table} WHERE customer_id = $2)"
            )))
            .bind(d.to_string())
            .bind(survivor.to_string())
            .execute(&mut *conn)
            .await
            .map_err(backend)?;
            let done = sqlx::query(AssertSqlSafe(format!(
                "UPDATE {table} SET customer_id = $1 WHERE customer_id = $2"
            )))
            .bind(survivor.to_string())
            .bind(d.to_string())
            .execute(&mut *conn)
            .await
            .map_err(backend)?;
            moved += done.rows_affected() as usize;
        }
        Ok(moved)
    }

    pub(super) async fn erase_members(
        &self,
        conn: &mut PgConnection,
        customer: &CustomerId,
        pseudonym: Option<&CustomerId>,
    ) -> StorageResult<ErasureCounts> {
        let table = self.campaign_table("campaign_members");
        let mut counts = ErasureCounts::default();
        match pseudonym {
            None => {
                let done = sqlx::query(AssertSqlSafe(format!(
                    "DELETE FROM {table} WHERE customer_id = $1"
                )))
                .bind(customer.to_string())
                .execute(&mut *conn)
                .await
                .map_err(backend)?;
                counts.deleted = done.rows_affected() as usize;
            }
            Some(p) => {
                let done = sqlx::query(AssertSqlSafe(format!(
                    "UPDATE {table} SET customer_id = $1 WHERE customer_id = $2"
                )))
                .bind(p.to_string())
                .bind(customer.to_string())
                .execute(&mut *conn)
                .await
                .map_err(backend)?;
                counts.anonymized = done.rows_affected() as usize;
            }
        }
        Ok(counts)
    }
}

#[async_trait]
impl CampaignRepository for PostgresStore {
    async fn append_campaigns(&self, batch: &[Campaign]) -> StorageResult<BatchReport> {
        check_campaign_batch(batch)?;
        if batch.is_empty() {
            return Ok(BatchReport::default());
        }
        let mut tx = self.pool.begin().await.map_err(backend)?;
        let sql = format!(
            "INSERT INTO {} (id, name, channel, start_at, start_nanos, end_at, end_nanos, cost, \
             currency, target_segment) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10) \
             ON CONFLICT (id) DO NOTHING",
            self.campaign_table("campaigns")
        );
        let mut inserted = 0;
        for c in batch {
            let (start, start_nanos) = pair(Some(c.start));
            let (end, end_nanos) = pair(c.end);
            let done = sqlx::query(AssertSqlSafe(sql.clone()))
                .bind(c.id.to_string())
                .bind(c.name.clone())
                .bind(c.channel.as_str())
                .bind(start)
                .bind(start_nanos)
                .bind(end)
                .bind(end_nanos)
                .bind(c.cost.amount())
                .bind(c.cost.currency().code())
                .bind(c.target_segment.clone())
                .execute(&mut *tx)
                .await
                .map_err(backend)?;
            inserted += done.rows_affected() as usize;
        }
        tx.commit().await.map_err(backend)?;
        Ok(BatchReport {
            inserted,
            skipped: batch.len() - inserted,
        })
    }

    async fn get_campaign(&self, id: &CampaignId) -> StorageResult<Campaign> {
        let row = sqlx::query(AssertSqlSafe(format!(
            "SELECT {CAMPAIGN_SELECT} FROM {} WHERE id = $1",
            self.campaign_table("campaigns")
        )))
        .bind(id.to_string())
        .fetch_optional(&self.pool)
        .await
        .map_err(backend)?;
        match row {
            Some(row) => decode_campaign(&row),
            None => Err(StorageError::NotFound {
                entity: "campaign",
                id: id.to_string(),
            }),
        }
    }

    async fn campaigns(&self) -> StorageResult<Vec<Campaign>> {
        let rows = sqlx::query(AssertSqlSafe(format!(
            "SELECT {CAMPAIGN_SELECT} FROM {} ORDER BY id",
            self.campaign_table("campaigns")
        )))
        .fetch_all(&self.pool)
        .await
        .map_err(backend)?;
        rows.iter().map(decode_campaign).collect()
    }

    async fn count_campaigns(&self) -> StorageResult<u64> {
        let n: i64 = sqlx::query(AssertSqlSafe(format!(
            "SELECT count(*) FROM {}",
            self.campaign_table("campaigns")
        )))
        .fetch_one(&self.pool)
        .await
        .and_then(|r| r.try_get(0))
        .map_err(backend)?;
        Ok(n as u64)
    }

    async fn append_campaign_members(
        &self,
        batch: &[CampaignMember],
    ) -> StorageResult<BatchReport> {
        check_member_batch(batch)?;
        if batch.is_empty() {
            return Ok(BatchReport::default());
        }
        let mut tx = self.pool.begin().await.map_err(backend)?;
        let campaigns: BTreeSet<String> = batch.iter().map(|m| m.campaign.to_string()).collect();
        let customers: BTreeSet<String> = batch.iter().map(|m| m.customer.to_string()).collect();
        let known_campaigns = self.stored_ids(&mut tx, "campaigns", &campaigns).await?;
        let known_customers = self.stored_ids(&mut tx, "customers", &customers).await?;
        for (i, m) in batch.iter().enumerate() {
            if !known_campaigns.contains(&m.campaign.to_string()) {
                return Err(no_such_campaign(i));
            }
            if !known_customers.contains(&m.customer.to_string()) {
                return Err(no_such_member_customer(i));
            }
        }
        let sql = format!(
            "INSERT INTO {} ({MEMBER_SELECT}) \
             SELECT * FROM UNNEST($1::text[], $2::text[], $3::text[], \
                                  $4::timestamptz[], $5::int2[], $6::timestamptz[], $7::int2[], \
                                  $8::timestamptz[], $9::int2[], $10::timestamptz[], $11::int2[], \
                                  $12::text[]) \
             ON CONFLICT (campaign_id, customer_id) DO NOTHING",
            self.campaign_table("campaign_members")
        );
        let mut inserted = 0;
        for chunk in batch.chunks(10_000) {
            let mut cols: (Vec<String>, Vec<String>, Vec<String>) = Default::default();
            let mut times: [(Vec<Option<DateTime<Utc>>>, Vec<Option<i16>>); 4] = Default::default();
            let mut conversions: Vec<Option<String>> = Vec::new();
            for m in chunk {
                cols.0.push(m.campaign.to_string());
                cols.1.push(m.customer.to_string());
                cols.2.push(m.group.as_str().to_string());
                for (slot, t) in
                    times
                        .iter_mut()
                        .zip([m.sent_at, m.opened_at, m.clicked_at, m.responded_at])
                {
                    let (at, nanos) = pair(t);
                    slot.0.push(at);
                    slot.1.push(nanos);
                }
                conversions.push(m.conversion.as_ref().map(ToString::to_string));
            }
            let mut q = sqlx::query(AssertSqlSafe(sql.clone()))
                .bind(cols.0)
                .bind(cols.1)
                .bind(cols.2);
            for (at, nanos) in times {
                q = q.bind(at).bind(nanos);
            }
            let done = q
                .bind(conversions)
                .execute(&mut *tx)
                .await
                .map_err(backend)?;
            inserted += done.rows_affected() as usize;
        }
        tx.commit().await.map_err(backend)?;
        Ok(BatchReport {
            inserted,
            skipped: batch.len() - inserted,
        })
    }

    async fn fetch_member_page(
        &self,
        campaign: Option<&CampaignId>,
        after: Option<&MemberPosition>,
        limit: NonZeroU32,
    ) -> StorageResult<Vec<CampaignMember>> {
        let mut clauses = Vec::new();
        let mut params: Vec<String> = Vec::new();
        if let Some(c) = campaign {
            params.push(c.to_string());
            clauses.push(format!("campaign_id = ${}", params.len()));
        }
        if let Some(a) = after {
            params.push(a.campaign.clone());
            let c = params.len();
            params.push(a.customer.clone());
            let m = params.len();
            clauses.push(format!("(campaign_id, customer_id) > (${c}, ${m})"));
        }
        let where_sql = if clauses.is_empty() {
            String::new()
        } else {
            format!("WHERE {}", clauses.join(" AND "))
        };
        let mut q = sqlx::query(AssertSqlSafe(format!(
            "SELECT {MEMBER_SELECT} FROM {} {where_sql} \
             ORDER BY campaign_id, customer_id LIMIT {limit}",
            self.campaign_table("campaign_members")
        )));
        for p in params {
            q = q.bind(p);
        }
        let rows = q.fetch_all(&self.pool).await.map_err(backend)?;
        rows.iter().map(decode_member).collect()
    }

    async fn count_campaign_members(&self, campaign: Option<&CampaignId>) -> StorageResult<u64> {
        let table = self.campaign_table("campaign_members");
        let q = match campaign {
            Some(c) => sqlx::query(AssertSqlSafe(format!(
                "SELECT count(*) FROM {table} WHERE campaign_id = $1"
            )))
            .bind(c.to_string()),
            None => sqlx::query(AssertSqlSafe(format!("SELECT count(*) FROM {table}"))),
        };
        let n: i64 = q
            .fetch_one(&self.pool)
            .await
            .and_then(|r| r.try_get(0))
            .map_err(backend)?;
        Ok(n as u64)
    }
}
