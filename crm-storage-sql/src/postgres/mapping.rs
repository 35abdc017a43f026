//! How each kind of record maps to its PostgreSQL table: [`PgRecord`], typed column
//! values ([`PgValue`]) and their `COPY` text form.

use std::fmt::Write as _;

use chrono::{DateTime, Datelike, Duration, Timelike, Utc};
use crm_core::{
    Customer, Deal, Interaction, LoyaltyEvent, SurveyKind, SurveyResponse, Tag, Ticket,
    Transaction, parse_currency,
};
use crm_storage_traits::{Record, Status, StorageError, StorageResult};
use rust_decimal::Decimal;

use crate::common::{corrupt, parse};
use sqlx::Row;
use sqlx::postgres::PgRow;

/// A typed column value.
#[derive(Debug, Clone, PartialEq)]
pub(crate) enum PgValue {
    /// `text`.
    Text(Option<String>),
    /// `timestamptz`, already floored to the microsecond (see [`split_time`]).
    Time(Option<DateTime<Utc>>),
    /// `smallint`.
    Small(Option<i16>),
    /// `bigint`.
    Big(Option<i64>),
    /// `numeric`.
    Numeric(Option<Decimal>),
    /// `text[]`.
    Tags(Vec<String>),
    /// `jsonb`.
    Json(serde_json::Value),
}

impl PgValue {
    fn text(v: impl ToString) -> PgValue {
        PgValue::Text(Some(v.to_string()))
    }

    fn opt_text<T: ToString>(v: Option<T>) -> PgValue {
        PgValue::Text(v.map(|v| v.to_string()))
    }

    /// A time as a `timestamptz` column (microseconds; the rest of the precision is in the
    /// record's JSON).
    fn time(t: Option<DateTime<Utc>>) -> PgValue {
        PgValue::Time(t.map(|t| split_time(t).0))
    }

    fn tags<'a>(tags: impl IntoIterator<Item = &'a Tag>) -> PgValue {
        PgValue::Tags(tags.into_iter().map(|t| t.as_str().to_string()).collect())
    }

    fn json<T: serde::Serialize>(v: &T) -> StorageResult<PgValue> {
        serde_json::to_value(v)
            .map(PgValue::Json)
            .map_err(StorageError::backend)
    }

    /// Appends the value in `COPY … FROM STDIN` text format.
    pub(crate) fn write_copy(&self, out: &mut String) {
        match self {
            PgValue::Text(None)
            | PgValue::Time(None)
            | PgValue::Small(None)
            | PgValue::Big(None)
            | PgValue::Numeric(None) => out.push_str("\\N"),
            PgValue::Text(Some(s)) => copy_escape(out, s),
            PgValue::Time(Some(t)) => out.push_str(&timestamptz_text(*t)),
            PgValue::Small(Some(n)) => {
                let _ = write!(out, "{n}");
            }
            PgValue::Big(Some(n)) => {
                let _ = write!(out, "{n}");
            }
            PgValue::Numeric(Some(d)) => {
                let _ = write!(out, "{d}");
            }
            PgValue::Tags(tags) => copy_escape(out, &array_text(tags)),
            PgValue::Json(v) => copy_escape(out, &v.to_string()),
        }
    }
}

/// Splits a time into the microsecond it falls in (what `timestamptz` keeps) and the
/// nanoseconds after it (0 to 999).
pub(crate) fn split_time(t: DateTime<Utc>) -> (DateTime<Utc>, i16) {
    let below = t.nanosecond() % 1_000;
    (t - Duration::nanoseconds(i64::from(below)), below as i16)
}

/// A time bound in the column's form: times a store accepts lie in years 0 to 9999, so a
/// bound outside them is moved to the nearest edge of that range (which keeps every
/// comparison with a stored time as it was, and stays inside PostgreSQL's range).
pub(crate) fn bound(t: DateTime<Utc>) -> (DateTime<Utc>, i16) {
    use chrono::TimeZone;
    if t.year() < 0 {
        (Utc.with_ymd_and_hms(0, 1, 1, 0, 0, 0).unwrap(), 0)
    } else if t.year() > 9999 {
        (Utc.with_ymd_and_hms(10000, 1, 1, 0, 0, 0).unwrap(), 0)
    } else {
        split_time(t)
    }
}

/// A `timestamptz` literal PostgreSQL reads whatever its `DateStyle` (year 0 is 1 BC).
fn timestamptz_text(t: DateTime<Utc>) -> String {
    let rest = t.format("%m-%d %H:%M:%S%.6f+00");
    if t.year() <= 0 {
        format!("{:04}-{rest} BC", 1 - t.year())
    } else {
        format!("{:04}-{rest}", t.year())
    }
}

/// A `text[]` literal: `{"a","b"}`.
fn array_text(items: &[String]) -> String {
    let mut out = String::from("{");
    for (i, item) in items.iter().enumerate() {
        if i > 0 {
            out.push(',');
        }
        out.push('"');
        for c in item.chars() {
            if c == '"' || c == '\\' {
                out.push('\\');
            }
            out.push(c);
        }
        out.push('"');
    }
    out.push('}');
    out
}

/// Escapes text for a `COPY` text-format field.
fn copy_escape(out: &mut String, s: &str) {
    for c in s.chars() {
        match c {
            '\\' => out.push_str("\\\\"),
            '\n' => out.push_str("\\n"),
            '\r' => out.push_str("\\r"),
            '\t' => out.push_str("\\t"),
            c => out.push(c),
        }
    }
}

/// The mapping of one kind of record to one PostgreSQL table.
pub(crate) trait PgRecord: Record {
    /// The table.
    const TABLE: &'static str;
    /// The columns written, in the order [`PgRecord::values`] gives them; `id` first.
    const COLUMNS: &'static [&'static str];
    /// The record's time column ([`Record::time`]); `<column>_nanos` beside it holds the
    /// nanoseconds after its microsecond. The name's stem (`occurred`) names that column.
    const TIME: &'static str;
    /// The update-time column pair's stem (`updated`: `updated_at`, `updated_nanos`), if it
    /// differs from the record's time.
    const UPDATED: Option<&'static str> = None;
    /// The columns read back (after `version`) by [`PgRecord::decode`].
    const SELECT: &'static str = "body";
    /// The column holding the customer id.
    const CUSTOMER_COL: &'static str = "customer_id";
    /// The owner column, if the kind has owners.
    const OWNER_COL: Option<&'static str> = None;
    /// The tags column, if the kind has tags.
    const TAGS_COL: Option<&'static str> = None;
    /// The status column, if the kind has a status.
    const STATUS_COL: Option<&'static str> = None;

    /// The values of [`PgRecord::COLUMNS`].
    fn values(&self) -> StorageResult<Vec<PgValue>>;

    /// The status column's text for a status filter; `None` when the status is of another
    /// kind (it then matches nothing).
    fn status_text(_status: Status) -> Option<&'static str> {
        None
    }

    /// Reads a record from a row whose column 0 is `version` and whose next columns are
    /// [`PgRecord::SELECT`] (by default, the record's JSON).
    fn decode(row: &PgRow) -> StorageResult<Self> {
        let body: sqlx::types::Json<Self> = row.try_get(1).map_err(StorageError::backend)?;
        Ok(body.0)
    }
}

/// The `(time, nanos)` values of a time column pair.
fn time_pair(t: DateTime<Utc>) -> [PgValue; 2] {
    let (at, nanos) = split_time(t);
    [PgValue::Time(Some(at)), PgValue::Small(Some(nanos))]
}

impl PgRecord for Customer {
    const TABLE: &'static str = "customers";
    const COLUMNS: &'static [&'static str] = &[
        "id",
        "kind",
        "owner",
        "lifecycle_stage",
        "source",
        "tags",
        "email",
        "phone",
        "account_id",
        "parent_id",
        "created_at",
        "created_nanos",
        "updated_at",
        "updated_nanos",
        "attributes",
        "time_zone",
        "body",
    ];
    const TIME: &'static str = "created";
    const UPDATED: Option<&'static str> = Some("updated");
    const CUSTOMER_COL: &'static str = "id";
    const OWNER_COL: Option<&'static str> = Some("owner");
    const TAGS_COL: Option<&'static str> = Some("tags");
    const STATUS_COL: Option<&'static str> = Some("lifecycle_stage");

    fn values(&self) -> StorageResult<Vec<PgValue>> {
        let mut v = vec![
            PgValue::text(&self.id),
            PgValue::text(self.kind),
            PgValue::opt_text(self.owner.as_ref()),
            PgValue::opt_text(self.lifecycle_stage),
            PgValue::opt_text(self.source),
            PgValue::tags(&self.tags),
            PgValue::opt_text(self.email.as_ref().map(|e| e.as_str())),
            PgValue::opt_text(self.phone.as_ref().map(|p| p.as_str())),
            PgValue::opt_text(self.account.as_ref()),
            PgValue::opt_text(self.parent_account.as_ref()),
        ];
        v.extend(time_pair(self.created_at));
        v.extend(time_pair(self.updated_at));
        v.push(PgValue::json(&self.attributes)?);
        v.push(PgValue::opt_text(self.time_zone.as_ref()));
        v.push(PgValue::json(self)?);
        Ok(v)
    }

    fn status_text(status: Status) -> Option<&'static str> {
        match status {
            Status::Lifecycle(s) => Some(s.as_str()),
            _ => None,
        }
    }
}

impl PgRecord for Interaction {
    const TABLE: &'static str = "interactions";
    const COLUMNS: &'static [&'static str] = &[
        "id",
        "customer_id",
        "owner",
        "channel",
        "direction",
        "occurred_at",
        "occurred_nanos",
        "duration_seconds",
        "ticket_id",
        "deal_id",
        "body",
    ];
    const TIME: &'static str = "occurred";
    const OWNER_COL: Option<&'static str> = Some("owner");

    fn values(&self) -> StorageResult<Vec<PgValue>> {
        let mut v = vec![
            PgValue::text(&self.id),
            PgValue::text(&self.customer),
            PgValue::opt_text(self.agent.as_ref()),
            PgValue::text(self.channel),
            PgValue::text(self.direction),
        ];
        v.extend(time_pair(self.occurred_at));
        v.extend([
            PgValue::Numeric(self.duration.and_then(|d| {
                Decimal::try_from_i128_with_scale(d.as_nanos() as i128, 9)
                    .ok()
                    .map(|s| s.normalize())
            })),
            PgValue::opt_text(self.ticket.as_ref()),
            PgValue::opt_text(self.deal.as_ref()),
            PgValue::json(self)?,
        ]);
        Ok(v)
    }
}

impl PgRecord for Ticket {
    const TABLE: &'static str = "tickets";
    const COLUMNS: &'static [&'static str] = &[
        "id",
        "customer_id",
        "owner",
        "status",
        "category",
        "priority",
        "channel",
        "tags",
        "created_at",
        "created_nanos",
        "first_response_at",
        "solved_at",
        "closed_at",
        "updated_at",
        "updated_nanos",
        "body",
    ];
    const TIME: &'static str = "created";
    const UPDATED: Option<&'static str> = Some("updated");
    const OWNER_COL: Option<&'static str> = Some("owner");
    const TAGS_COL: Option<&'static str> = Some("tags");
    const STATUS_COL: Option<&'static str> = Some("status");

    fn values(&self) -> StorageResult<Vec<PgValue>> {
        let mut v = vec![
            PgValue::text(&self.id),
            PgValue::text(&self.customer),
            PgValue::opt_text(self.assignee.as_ref()),
            PgValue::text(self.status),
            PgValue::text(self.category),
            PgValue::text(self.priority),
            PgValue::text(self.channel),
            PgValue::tags(&self.tags),
        ];
        v.extend(time_pair(self.created_at));
        v.extend([
            PgValue::time(self.first_response_at),
            PgValue::time(self.solved_at),
            PgValue::time(self.closed_at),
        ]);
        v.extend(time_pair(Record::updated_at(self)));
        v.push(PgValue::json(self)?);
        Ok(v)
    }

    fn status_text(status: Status) -> Option<&'static str> {
        match status {
            Status::Ticket(s) => Some(s.as_str()),
            _ => None,
        }
    }
}

impl PgRecord for Deal {
    const TABLE: &'static str = "deals";
    const COLUMNS: &'static [&'static str] = &[
        "id",
        "customer_id",
        "owner",
        "stage",
        "amount",
        "currency",
        "created_at",
        "created_nanos",
        "closed_at",
        "updated_at",
        "updated_nanos",
        "body",
    ];
    const TIME: &'static str = "created";
    const UPDATED: Option<&'static str> = Some("updated");
    const OWNER_COL: Option<&'static str> = Some("owner");
    const STATUS_COL: Option<&'static str> = Some("stage");

    fn values(&self) -> StorageResult<Vec<PgValue>> {
        let mut v = vec![
            PgValue::text(&self.id),
            PgValue::text(&self.customer),
            PgValue::opt_text(self.owner.as_ref()),
            PgValue::text(self.stage),
            PgValue::Numeric(Some(self.amount.amount())),
            PgValue::text(self.amount.currency().code()),
        ];
        v.extend(time_pair(self.created_at));
        v.push(PgValue::time(self.closed_at));
        v.extend(time_pair(Record::updated_at(self)));
        v.push(PgValue::json(self)?);
        Ok(v)
    }

    fn status_text(status: Status) -> Option<&'static str> {
        match status {
            Status::Deal(s) => Some(s.as_str()),
            _ => None,
        }
    }
}

impl PgRecord for SurveyResponse {
    const TABLE: &'static str = "survey_responses";
    const COLUMNS: &'static [&'static str] = &[
        "id",
        "customer_id",
        "kind",
        "score",
        "scale_min",
        "scale_max",
        "ticket_id",
        "interaction_id",
        "tags",
        "responded_at",
        "responded_nanos",
        "body",
    ];
    const TIME: &'static str = "responded";
    const TAGS_COL: Option<&'static str> = Some("tags");

    fn values(&self) -> StorageResult<Vec<PgValue>> {
        let (min, max) = match self.score {
            crm_core::SurveyScore::Csat { scale, .. } => (scale.min(), scale.max()),
            _ => match self.score.kind() {
                SurveyKind::Nps => (crm_core::NPS_MIN, crm_core::NPS_MAX),
                _ => (crm_core::CES_MIN, crm_core::CES_MAX),
            },
        };
        let mut v = vec![
            PgValue::text(&self.id),
            PgValue::text(&self.customer),
            PgValue::text(self.score.kind()),
            PgValue::Small(Some(i16::from(self.score.value()))),
            PgValue::Small(Some(i16::from(min))),
            PgValue::Small(Some(i16::from(max))),
            PgValue::opt_text(self.ticket.as_ref()),
            PgValue::opt_text(self.interaction.as_ref()),
            PgValue::tags(&self.tags),
        ];
        v.extend(time_pair(self.responded_at));
        v.push(PgValue::json(self)?);
        Ok(v)
    }
}

impl PgRecord for Transaction {
    const TABLE: &'static str = "transactions";
    const COLUMNS: &'static [&'static str] = &[
        "id",
        "customer_id",
        "occurred_at",
        "occurred_nanos",
        "amount",
        "currency",
        "quantity",
        "external_id",
        "product",
        "category",
        "channel",
    ];
    const TIME: &'static str = "occurred";
    const SELECT: &'static str = "id, customer_id, occurred_at, occurred_nanos, amount, currency, \
         quantity, external_id, product, category, channel";

    fn values(&self) -> StorageResult<Vec<PgValue>> {
        let mut v = vec![PgValue::text(&self.id), PgValue::text(&self.customer)];
        v.extend(time_pair(self.occurred_at));
        v.extend([
            PgValue::Numeric(Some(self.amount.amount())),
            PgValue::text(self.amount.currency().code()),
            PgValue::Numeric(Some(self.quantity)),
            PgValue::Text(self.external_id.clone()),
            PgValue::Text(self.product.clone()),
            PgValue::Text(self.category.clone()),
            PgValue::opt_text(self.channel),
        ]);
        Ok(v)
    }

    fn decode(row: &PgRow) -> StorageResult<Self> {
        let e = StorageError::backend;
        let id: String = row.try_get(1).map_err(e)?;
        let customer: String = row.try_get(2).map_err(e)?;
        let at: DateTime<Utc> = row.try_get(3).map_err(e)?;
        let nanos: i16 = row.try_get(4).map_err(e)?;
        let amount: Decimal = row.try_get(5).map_err(e)?;
        let currency: String = row.try_get(6).map_err(e)?;
        let currency = parse_currency(&currency).map_err(|e| corrupt("currency", e))?;
        let mut t = Transaction::new(
            parse("id", &id)?,
            parse("customer_id", &customer)?,
            at + Duration::nanoseconds(i64::from(nanos)),
            crm_core::Money::new(amount, currency),
        );
        t.quantity = row.try_get(7).map_err(e)?;
        t.external_id = row.try_get(8).map_err(e)?;
        t.product = row.try_get(9).map_err(e)?;
        t.category = row.try_get(10).map_err(e)?;
        let channel: Option<String> = row.try_get(11).map_err(e)?;
        t.channel = channel.map(|c| parse("channel", &c)).transpose()?;
        Ok(t)
    }
}

impl PgRecord for LoyaltyEvent {
    const TABLE: &'static str = "loyalty_events";
    const COLUMNS: &'static [&'static str] = &[
        "id",
        "customer_id",
        "kind",
        "points",
        "occurred_at",
        "occurred_nanos",
        "reason",
        "transaction_id",
    ];
    const TIME: &'static str = "occurred";
    const SELECT: &'static str =
        "id, customer_id, kind, points, occurred_at, occurred_nanos, reason, transaction_id";

    fn values(&self) -> StorageResult<Vec<PgValue>> {
        let mut v = vec![
            PgValue::text(&self.id),
            PgValue::text(&self.customer),
            PgValue::text(self.kind),
            PgValue::Big(Some(self.points)),
        ];
        v.extend(time_pair(self.occurred_at));
        v.extend([
            PgValue::Text(self.reason.clone()),
            PgValue::opt_text(self.transaction.as_ref()),
        ]);
        Ok(v)
    }

    fn decode(row: &PgRow) -> StorageResult<Self> {
        let e = StorageError::backend;
        let id: String = row.try_get(1).map_err(e)?;
        let customer: String = row.try_get(2).map_err(e)?;
        let kind: String = row.try_get(3).map_err(e)?;
        let points: i64 = row.try_get(4).map_err(e)?;
        let at: DateTime<Utc> = row.try_get(5).map_err(e)?;
        let nanos: i16 = row.try_get(6).map_err(e)?;
        let mut event = LoyaltyEvent::new(
            parse("id", &id)?,
            parse("customer_id", &customer)?,
            parse("kind", &kind)?,
            at + Duration::nanoseconds(i64::from(nanos)),
            points,
        );
        event.reason = row.try_get(7).map_err(e)?;
        let transaction: Option<String> = row.try_get(8).map_err(e)?;
        event.transaction = transaction
            .map(|t| parse("transaction_id", &t))
            .transpose()?;
        Ok(event)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::TimeZone;

    #[test]
    fn times_split_at_the_microsecond() {
        let t = Utc.with_ymd_and_hms(1999, 12, 31, 23, 59, 59).unwrap()
            + Duration::nanoseconds(999_999_999);
        let (at, nanos) = split_time(t);
        assert_eq!(nanos, 999);
        assert_eq!(at + Duration::nanoseconds(999), t);
        assert_eq!(at.nanosecond() % 1_000, 0);
    }

    #[test]
    fn copy_text_escapes_and_spells_bc_years() {
        let mut out = String::new();
        PgValue::text("a\tb\\c\nd").write_copy(&mut out);
        assert_eq!(out, "a\\tb\\\\c\\nd");
        let year0 = Utc.with_ymd_and_hms(0, 3, 1, 10, 0, 0).unwrap();
        assert_eq!(timestamptz_text(year0), "0001-03-01 10:00:00.000000+00 BC");
        let mut out = String::new();
        PgValue::Tags(vec!["a\"b".into(), "c".into()]).write_copy(&mut out);
        assert_eq!(out, "{\"a\\\\\"b\",\"c\"}");
        let mut out = String::new();
        PgValue::Numeric(None).write_copy(&mut out);
        assert_eq!(out, "\\N");
    }
}
