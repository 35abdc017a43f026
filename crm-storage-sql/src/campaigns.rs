//! [`CampaignRepository`] on SQLite: the `campaigns` and `campaign_members` tables
//! (migration 0008).

use std::collections::BTreeSet;
use std::num::NonZeroU32;

use chrono::{DateTime, Utc};
use crm_core::{Campaign, CampaignId, CampaignMember, CustomerId, Money, parse_currency};
use crm_storage_traits::{
    BatchReport, CampaignRepository, ErasureCounts, MemberPosition, StorageError, StorageResult,
    async_trait, check_campaign_batch, check_member_batch, no_such_campaign,
    no_such_member_customer, time_text,
};
use rust_decimal::Decimal;
use sqlx::sqlite::SqliteRow;
use sqlx::{Row, SqliteConnection};

use crate::SqliteStore;
use crate::common::{backend, corrupt, parse};
use crate::mapping::{Value, bind_all, money, query};

const CAMPAIGN_COLUMNS: &str =
    "id, name, channel, start_at, end_at, cost, currency, cost_minor, cost_scale, target_segment";
const CAMPAIGN_SELECT: &str = "id, name, channel, start_at, end_at, cost, currency, target_segment";
const MEMBER_COLUMNS: &str = "campaign_id, customer_id, grp, sent_at, opened_at, clicked_at, \
                              responded_at, transaction_id";
/// Members per multi-row INSERT (8 parameters each).
const MEMBERS_PER_INSERT: usize = 500;
/// Ids per `IN (…)` list.
const IDS_PER_QUERY: usize = 500;

fn opt_time(t: Option<DateTime<Utc>>) -> Value {
    Value::Text(t.map(time_text))
}

fn campaign_values(c: &Campaign) -> Vec<Value> {
    let [cost, currency, minor, scale] = money(&c.cost);
    vec![
        Value::text(c.id.to_string()),
        Value::text(c.name.clone()),
        Value::text(c.channel.as_str()),
        Value::text(time_text(c.start)),
        opt_time(c.end),
        cost,
        currency,
        minor,
        scale,
        Value::Text(c.target_segment.clone()),
    ]
}

fn member_values(m: &CampaignMember) -> Vec<Value> {
    vec![
        Value::text(m.campaign.to_string()),
        Value::text(m.customer.to_string()),
        Value::text(m.group.as_str()),
        opt_time(m.sent_at),
        opt_time(m.opened_at),
        opt_time(m.clicked_at),
        opt_time(m.responded_at),
        Value::Text(m.conversion.as_ref().map(ToString::to_string)),
    ]
}

fn text_at(row: &SqliteRow, i: usize) -> StorageResult<Option<String>> {
    row.try_get(i).map_err(backend)
}

fn need(row: &SqliteRow, i: usize, column: &str) -> StorageResult<String> {
    text_at(row, i)?.ok_or_else(|| corrupt(column, "is NULL"))
}

fn opt_parse<T: std::str::FromStr>(
    row: &SqliteRow,
    i: usize,
    column: &str,
) -> StorageResult<Option<T>>
where
    T::Err: std::fmt::Display,
{
    text_at(row, i)?.map(|t| parse(column, &t)).transpose()
}

fn decode_campaign(row: &SqliteRow) -> StorageResult<Campaign> {
    let cost: Decimal = parse("cost", &need(row, 5, "cost")?)?;
    let currency =
        parse_currency(&need(row, 6, "currency")?).map_err(|e| corrupt("currency", e))?;
    Ok(Campaign {
        id: parse("id", &need(row, 0, "id")?)?,
        name: need(row, 1, "name")?,
        channel: parse("channel", &need(row, 2, "channel")?)?,
        start: parse("start_at", &need(row, 3, "start_at")?)?,
        end: opt_parse(row, 4, "end_at")?,
        cost: Money::new(cost, currency),
        target_segment: text_at(row, 7)?,
    })
}

fn decode_member(row: &SqliteRow) -> StorageResult<CampaignMember> {
    let mut m = CampaignMember::new(
        parse("campaign_id", &need(row, 0, "campaign_id")?)?,
        parse("customer_id", &need(row, 1, "customer_id")?)?,
        parse("grp", &need(row, 2, "grp")?)?,
    );
    m.sent_at = opt_parse(row, 3, "sent_at")?;
    m.opened_at = opt_parse(row, 4, "opened_at")?;
    m.clicked_at = opt_parse(row, 5, "clicked_at")?;
    m.responded_at = opt_parse(row, 6, "responded_at")?;
    m.conversion = opt_parse(row, 7, "transaction_id")?;
    Ok(m)
}

/// The ids of `table` among `ids`.
async fn stored_ids(
    conn: &mut SqliteConnection,
    table: &str,
    ids: &BTreeSet<String>,
) -> StorageResult<BTreeSet<String>> {
    let ids: Vec<&String> = ids.iter().collect();
    let mut found = BTreeSet::new();
    for chunk in ids.chunks(IDS_PER_QUERY) {
        let marks = vec!["?"; chunk.len()].join(", ");
        let params = chunk.iter().map(|id| Value::text(id.as_str())).collect();
        let rows = bind_all(
            query(format!("SELECT id FROM {table} WHERE id IN ({marks})")),
            params,
        )
        .fetch_all(&mut *conn)
        .await
        .map_err(backend)?;
        for row in rows {
            found.insert(row.try_get::<String, _>(0).map_err(backend)?);
        }
    }
    Ok(found)
}

/// Deletes a customer's memberships, or moves them to the pseudonym, inside the erasure's
/// transaction.
/// Moves the campaign memberships of merged duplicates to the survivor (a merge): a
/// duplicate's membership of a campaign the survivor is already in is dropped, the others
/// move; returns how many moved.
pub(crate) async fn move_members(
    conn: &mut SqliteConnection,
    duplicates: &[CustomerId],
    survivor: &CustomerId,
) -> StorageResult<usize> {
    let mut moved = 0;
    for d in duplicates {
        query(
            "DELETE FROM campaign_members WHERE customer_id = ?1 AND campaign_id IN \
             (SELECT campaign_id FROM campaign_members WHERE customer_id = ?2)"
                .into(),
        )
        .bind(d.to_string())
        .bind(survivor.to_string())
        .execute(&mut *conn)
        .await
        .map_err(backend)?;
        let done =
            query("UPDATE campaign_members SET customer_id = ? WHERE customer_id = ?".into())
                .bind(survivor.to_string())
                .bind(d.to_string())
                .execute(&mut *conn)
                .await
                .map_err(backend)?;
        moved += done.rows_affected() as usize;
    }
    Ok(moved)
}

pub(crate) async fn erase_members(
    conn: &mut SqliteConnection,
    customer: &CustomerId,
    pseudonym: Option<&CustomerId>,
) -> StorageResult<ErasureCounts> {
    let mut counts = ErasureCounts::default();
    match pseudonym {
        None => {
            let done = query("DELETE FROM campaign_members WHERE customer_id = ?".into())
                .bind(customer.to_string())
                .execute(&mut *conn)
                .await
                .map_err(backend)?;
            counts.deleted = done.rows_affected() as usize;
        }
        Some(p) => {
            let done =
                query("UPDATE campaign_members SET customer_id = ? WHERE customer_id = ?".into())
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

#[async_trait]
impl CampaignRepository for SqliteStore {
    async fn append_campaigns(&self, batch: &[Campaign]) -> StorageResult<BatchReport> {
        check_campaign_batch(batch)?;
        if batch.is_empty() {
            return Ok(BatchReport::default());
        }
        let mut tx = self.begin_write().await?;
        let marks = ["?"; 10].join(", ");
        let sql = format!(
            "INSERT INTO campaigns ({CAMPAIGN_COLUMNS}) VALUES ({marks}) \
             ON CONFLICT (id) DO NOTHING"
        );
        let mut inserted = 0;
        for c in batch {
            let done = bind_all(query(sql.clone()), campaign_values(c))
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
        let row = query(format!(
            "SELECT {CAMPAIGN_SELECT} FROM campaigns WHERE id = ?"
        ))
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
        let rows = query(format!(
            "SELECT {CAMPAIGN_SELECT} FROM campaigns ORDER BY id"
        ))
        .fetch_all(&self.pool)
        .await
        .map_err(backend)?;
        rows.iter().map(decode_campaign).collect()
    }

    async fn count_campaigns(&self) -> StorageResult<u64> {
        let n: i64 = query("SELECT count(*) FROM campaigns".into())
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
        let mut tx = self.begin_write().await?;
        let campaigns: BTreeSet<String> = batch.iter().map(|m| m.campaign.to_string()).collect();
        let customers: BTreeSet<String> = batch.iter().map(|m| m.customer.to_string()).collect();
        let known_campaigns = stored_ids(&mut tx, "campaigns", &campaigns).await?;
        let known_customers = stored_ids(&mut tx, "customers", &customers).await?;
        for (i, m) in batch.iter().enumerate() {
            if !known_campaigns.contains(&m.campaign.to_string()) {
                return Err(no_such_campaign(i));
            }
            if !known_customers.contains(&m.customer.to_string()) {
                return Err(no_such_member_customer(i));
            }
        }
        let mut inserted = 0;
        for chunk in batch.chunks(MEMBERS_PER_INSERT) {
            let one = format!("({})", ["?"; 8].join(", "));
            let sql = format!(
                "INSERT OR FAIL INTO campaign_members ({MEMBER_COLUMNS}) VALUES {} \
                 ON CONFLICT (campaign_id, customer_id) DO NOTHING",
                vec![one; chunk.len()].join(", ")
            );
            let values = chunk.iter().flat_map(member_values).collect();
            let done = bind_all(query(sql), values)
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
        let mut params = Vec::new();
        if let Some(c) = campaign {
            clauses.push("campaign_id = ?");
            params.push(Value::text(c.to_string()));
        }
        if let Some(a) = after {
            clauses.push("(campaign_id > ? OR (campaign_id = ? AND customer_id > ?))");
            params.extend([
                Value::text(a.campaign.clone()),
                Value::text(a.campaign.clone()),
                Value::text(a.customer.clone()),
            ]);
        }
        let where_sql = if clauses.is_empty() {
            String::new()
        } else {
            format!("WHERE {}", clauses.join(" AND "))
        };
        let rows = bind_all(
            query(format!(
                "SELECT {MEMBER_COLUMNS} FROM campaign_members {where_sql} \
                 ORDER BY campaign_id, customer_id LIMIT {limit}"
            )),
            params,
        )
        .fetch_all(&self.pool)
        .await
        .map_err(backend)?;
        rows.iter().map(decode_member).collect()
    }

    async fn count_campaign_members(&self, campaign: Option<&CampaignId>) -> StorageResult<u64> {
        let (sql, params) = match campaign {
            Some(c) => (
                "SELECT count(*) FROM campaign_members WHERE campaign_id = ?",
                vec![Value::text(c.to_string())],
            ),
            None => ("SELECT count(*) FROM campaign_members", vec![]),
        };
        let n: i64 = bind_all(query(sql.into()), params)
            .fetch_one(&self.pool)
            .await
            .and_then(|r| r.try_get(0))
            .map_err(backend)?;
        Ok(n as u64)
    }
}
