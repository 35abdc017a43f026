//! How each kind of record maps to its table: [`SqlRecord`].
//!
//! Every column value is text or NULL (ids, times, money, codes), so one binding path
//! serves every table; the version is the only integer column.

use std::collections::BTreeSet;

use chrono::{DateTime, Utc};
use crm_core::{
    Customer, Deal, Interaction, SurveyResponse, Tag, Ticket, Transaction, parse_currency,
};
use crm_storage_traits::time_text;
use crm_storage_traits::{Record, StorageError, StorageResult};
use rust_decimal::Decimal;

use crate::common::{corrupt, parse};
use sqlx::Row;
use sqlx::sqlite::SqliteRow;

/// A column value: text or NULL.
pub type Value = Option<String>;

/// The separator framing each tag in a `tags` column (tags never contain control
/// characters).
pub const TAG_SEPARATOR: char = '\u{1f}';

/// The text stored for a set of tags: `␟a␟b␟`, or NULL for no tags.
///
/// ```
/// use crm_core::Tag;
/// use crm_storage_sql::mapping::tags_text;
/// let tags = [Tag::new("vip").unwrap(), Tag::new("gold").unwrap()].into_iter().collect();
/// assert_eq!(tags_text(&tags).unwrap(), "\u{1f}gold\u{1f}vip\u{1f}");
/// ```
pub fn tags_text(tags: &BTreeSet<Tag>) -> Value {
    if tags.is_empty() {
        return None;
    }
    let mut out = String::from(TAG_SEPARATOR);
    for tag in tags {
        out.push_str(tag.as_str());
        out.push(TAG_SEPARATOR);
    }
    Some(out)
}

/// The mapping of one kind of record to one table.
pub trait SqlRecord: Record {
    /// The table.
    const TABLE: &'static str;
    /// The columns written, in the order [`SqlRecord::values`] gives them; `id` first.
    const COLUMNS: &'static [&'static str];
    /// The columns read back (after `version`) by [`SqlRecord::decode`]: the record's JSON
    /// unless the kind is stored column by column.
    const SELECT: &'static str = "body";
    /// The column holding the customer id.
    const CUSTOMER_COL: &'static str = "customer_id";
    /// The owner column, if the kind has owners.
    const OWNER_COL: Option<&'static str> = None;
    /// The status column, if the kind has a status.
    const STATUS_COL: Option<&'static str> = None;
    /// The tags column, if the kind has tags.
    const TAGS_COL: Option<&'static str> = None;
    /// The column holding [`Record::updated_at`].
    const UPDATED_COL: &'static str = "at";

    /// The values of [`SqlRecord::COLUMNS`].
    fn values(&self) -> StorageResult<Vec<Value>>;

    /// Reads a record from a row whose column 0 is `version` and whose next columns are
    /// [`SqlRecord::SELECT`] (by default, the record's JSON).
    fn decode(row: &SqliteRow) -> StorageResult<Self> {
        let body: String = row.try_get(1).map_err(backend)?;
        serde_json::from_str(&body).map_err(backend)
    }
}

fn backend(e: impl std::error::Error + Send + Sync + 'static) -> StorageError {
    StorageError::backend(e)
}

fn json<R: Record>(record: &R) -> StorageResult<Value> {
    serde_json::to_string(record).map(Some).map_err(backend)
}

fn text(t: DateTime<Utc>) -> Value {
    Some(time_text(t))
}

fn opt<T: ToString>(v: Option<&T>) -> Value {
    v.map(ToString::to_string)
}

impl SqlRecord for Customer {
    const TABLE: &'static str = "customers";
    const COLUMNS: &'static [&'static str] = &[
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
    ];
    const CUSTOMER_COL: &'static str = "id";
    const OWNER_COL: Option<&'static str> = Some("owner");
    const STATUS_COL: Option<&'static str> = Some("status");
    const TAGS_COL: Option<&'static str> = Some("tags");
    const UPDATED_COL: &'static str = "updated_at";

    fn values(&self) -> StorageResult<Vec<Value>> {
        Ok(vec![
            Some(self.id.to_string()),
            opt(self.owner.as_ref()),
            self.status().map(|s| s.code()),
            tags_text(&self.tags),
            text(self.created_at),
            text(self.updated_at),
            self.email.as_ref().map(|e| e.as_str().to_string()),
            self.phone.as_ref().map(|p| p.as_str().to_string()),
            opt(self.account.as_ref()),
            opt(self.parent_account.as_ref()),
            json(self)?,
        ])
    }
}

impl SqlRecord for Interaction {
    const TABLE: &'static str = "interactions";
    const COLUMNS: &'static [&'static str] = &["id", "customer_id", "owner", "at", "body"];
    const OWNER_COL: Option<&'static str> = Some("owner");

    fn values(&self) -> StorageResult<Vec<Value>> {
        Ok(vec![
            Some(self.id.to_string()),
            Some(self.customer.to_string()),
            opt(self.agent.as_ref()),
            text(self.occurred_at),
            json(self)?,
        ])
    }
}

impl SqlRecord for Ticket {
    const TABLE: &'static str = "tickets";
    const COLUMNS: &'static [&'static str] = &[
        "id",
        "customer_id",
        "owner",
        "status",
        "tags",
        "at",
        "updated_at",
        "body",
    ];
    const OWNER_COL: Option<&'static str> = Some("owner");
    const STATUS_COL: Option<&'static str> = Some("status");
    const TAGS_COL: Option<&'static str> = Some("tags");
    const UPDATED_COL: &'static str = "updated_at";

    fn values(&self) -> StorageResult<Vec<Value>> {
        Ok(vec![
            Some(self.id.to_string()),
            Some(self.customer.to_string()),
            opt(self.assignee.as_ref()),
            self.status().map(|s| s.code()),
            tags_text(&self.tags),
            text(self.created_at),
            text(Record::updated_at(self)),
            json(self)?,
        ])
    }
}

impl SqlRecord for Deal {
    const TABLE: &'static str = "deals";
    const COLUMNS: &'static [&'static str] = &[
        "id",
        "customer_id",
        "owner",
        "status",
        "at",
        "updated_at",
        "body",
    ];
    const OWNER_COL: Option<&'static str> = Some("owner");
    const STATUS_COL: Option<&'static str> = Some("status");
    const UPDATED_COL: &'static str = "updated_at";

    fn values(&self) -> StorageResult<Vec<Value>> {
        Ok(vec![
            Some(self.id.to_string()),
            Some(self.customer.to_string()),
            opt(self.owner.as_ref()),
            self.status().map(|s| s.code()),
            text(self.created_at),
            text(Record::updated_at(self)),
            json(self)?,
        ])
    }
}

impl SqlRecord for SurveyResponse {
    const TABLE: &'static str = "survey_responses";
    const COLUMNS: &'static [&'static str] = &["id", "customer_id", "tags", "at", "body"];
    const TAGS_COL: Option<&'static str> = Some("tags");

    fn values(&self) -> StorageResult<Vec<Value>> {
        Ok(vec![
            Some(self.id.to_string()),
            Some(self.customer.to_string()),
            tags_text(&self.tags),
            text(self.responded_at),
            json(self)?,
        ])
    }
}

impl SqlRecord for Transaction {
    const TABLE: &'static str = "transactions";
    const COLUMNS: &'static [&'static str] = &[
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
    ];
    const SELECT: &'static str =
        "id, customer_id, at, amount, currency, quantity, external_id, product, category, channel";

    fn values(&self) -> StorageResult<Vec<Value>> {
        Ok(vec![
            Some(self.id.to_string()),
            Some(self.customer.to_string()),
            text(self.occurred_at),
            Some(self.amount.amount().to_string()),
            Some(self.amount.currency().code().to_string()),
            Some(self.quantity.to_string()),
            self.external_id.clone(),
            self.product.clone(),
            self.category.clone(),
            self.channel.map(|c| c.as_str().to_string()),
        ])
    }

    fn decode(row: &SqliteRow) -> StorageResult<Self> {
        let get = |i: usize| -> StorageResult<Option<String>> { row.try_get(i).map_err(backend) };
        let need = |i: usize, column: &str| -> StorageResult<String> {
            get(i)?.ok_or_else(|| corrupt(column, "is NULL"))
        };
        let at: DateTime<Utc> = parse("at", &need(3, "at")?)?;
        let amount: Decimal = parse("amount", &need(4, "amount")?)?;
        let currency = parse_currency(&need(5, "currency")?).map_err(|e| corrupt("currency", e))?;
        let mut t = Transaction::new(
            parse("id", &need(1, "id")?)?,
            parse("customer_id", &need(2, "customer_id")?)?,
            at,
            crm_core::Money::new(amount, currency),
        );
        t.quantity = parse("quantity", &need(6, "quantity")?)?;
        t.external_id = get(7)?;
        t.product = get(8)?;
        t.category = get(9)?;
        t.channel = get(10)?.map(|c| parse("channel", &c)).transpose()?;
        Ok(t)
    }
}
