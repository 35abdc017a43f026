//! How each kind of record maps to its table: [`SqlRecord`].
//!
//! Column values are text (ids, times, exact amounts, codes), integers (amounts in minor
//! units, days, scores, durations) or NULL: [`Value`].

use std::collections::BTreeSet;

use chrono::{DateTime, NaiveDate, Utc};
use crm_core::{
    Currency, Customer, Deal, Interaction, LoyaltyEvent, Money, SurveyResponse, SurveyScore, Tag,
    Ticket, Transaction, minor_digits, parse_currency,
};
use crm_storage_traits::time_text;
use crm_storage_traits::{Record, StorageError, StorageResult};
use rust_decimal::Decimal;

use crate::common::{corrupt, parse};
use sqlx::sqlite::{SqliteArguments, SqliteRow};
use sqlx::{AssertSqlSafe, Row, Sqlite};

/// A column value to bind: text or an integer, either possibly NULL.
///
/// ```
/// use crm_storage_sql::mapping::Value;
/// assert_eq!(Value::text("EUR"), Value::Text(Some("EUR".to_string())));
/// assert_eq!(Value::from(Some(5i64)), Value::Integer(Some(5)));
/// assert!(Value::Text(None).is_null());
/// ```
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Value {
    /// A `TEXT` value, or NULL.
    Text(Option<String>),
    /// An `INTEGER` value, or NULL.
    Integer(Option<i64>),
}

impl Value {
    /// A non-NULL text value.
    pub fn text(text: impl Into<String>) -> Value {
        Value::Text(Some(text.into()))
    }

    /// True for NULL (of either type).
    pub fn is_null(&self) -> bool {
        matches!(self, Value::Text(None) | Value::Integer(None))
    }
}

impl From<Option<String>> for Value {
    fn from(text: Option<String>) -> Value {
        Value::Text(text)
    }
}

impl From<Option<i64>> for Value {
    fn from(n: Option<i64>) -> Value {
        Value::Integer(n)
    }
}

/// The scale of the `amount_minor` column of an amount in `currency`: the currency's minor
/// digits ([`minor_digits`]: 2 for EUR, 0 for JPY, 3 for KWD, 4 without a minor unit).
///
/// ```
/// use crm_core::Currency;
/// use crm_storage_sql::mapping::amount_scale;
/// assert_eq!(amount_scale(Currency::EUR), 2);
/// assert_eq!(amount_scale(Currency::JPY), 0);
/// ```
pub fn amount_scale(currency: Currency) -> u32 {
    minor_digits(currency)
}

/// An amount as an integer count of its currency's minor unit (`10^-`[`amount_scale`]):
/// `12.5 EUR` is 1250 cents. `None` when the amount has more decimal places than the
/// currency's minor digits (`0.125 EUR`, and `1.230 EUR` too, so that a sum of minor
/// units shows the digits the exact sum shows) or the count's magnitude exceeds
/// `2^63 - 1`: the column is then NULL and the text amount alone holds the value.
///
/// ```
/// use crm_core::Currency;
/// use crm_storage_sql::mapping::minor_units;
/// use rust_decimal::Decimal;
/// assert_eq!(minor_units(Decimal::new(125, 1), Currency::EUR), Some(1250));
/// assert_eq!(minor_units(Decimal::new(-125, 2), Currency::EUR), Some(-125));
/// assert_eq!(minor_units(Decimal::new(-1250, 3), Currency::EUR), None);
/// assert_eq!(minor_units(Decimal::new(125, 3), Currency::EUR), None);
/// assert_eq!(minor_units(Decimal::MAX, Currency::EUR), None);
/// ```
pub fn minor_units(amount: Decimal, currency: Currency) -> Option<i64> {
    let scale = amount_scale(currency);
    if amount.scale() > scale {
        return None;
    }
    let minor = amount
        .mantissa()
        .checked_mul(10i128.checked_pow(scale - amount.scale())?)?;
    let minor = i64::try_from(minor).ok()?;
    (minor != i64::MIN).then_some(minor)
}

/// The amount a count of `10^-scale` units stands for (the inverse of [`minor_units`]);
/// `None` when `scale` exceeds 28 or the value does not fit a [`Decimal`].
///
/// ```
/// use crm_storage_sql::mapping::from_minor_units;
/// use rust_decimal::Decimal;
/// assert_eq!(from_minor_units(1250, 2), Some(Decimal::new(1250, 2)));
/// assert_eq!(from_minor_units(1, 29), None);
/// ```
pub fn from_minor_units(minor: i128, scale: u32) -> Option<Decimal> {
    Decimal::try_from_i128_with_scale(minor, scale).ok()
}

/// A UTC time's date as days since 1970-01-01 (negative before): the `day` column.
///
/// ```
/// use chrono::{TimeZone, Utc};
/// use crm_storage_sql::mapping::day_number;
/// assert_eq!(day_number(Utc.with_ymd_and_hms(1970, 1, 2, 23, 59, 59).unwrap()), 1);
/// assert_eq!(day_number(Utc.with_ymd_and_hms(1969, 12, 31, 0, 0, 0).unwrap()), -1);
/// ```
pub fn day_number(t: DateTime<Utc>) -> i64 {
    t.date_naive()
        .signed_duration_since(NaiveDate::default())
        .num_days()
}

/// A duration in nanoseconds, `None` beyond `2^63 - 1` nanoseconds (about 292 years).
///
/// ```
/// use crm_storage_sql::mapping::duration_nanos;
/// use std::time::Duration;
/// assert_eq!(duration_nanos(Duration::new(2, 5)), Some(2_000_000_005));
/// assert_eq!(duration_nanos(Duration::MAX), None);
/// ```
pub fn duration_nanos(d: std::time::Duration) -> Option<i64> {
    i64::try_from(d.as_nanos()).ok()
}

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
pub fn tags_text(tags: &BTreeSet<Tag>) -> Option<String> {
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
    serde_json::to_string(record)
        .map(Value::text)
        .map_err(backend)
}

fn text(t: DateTime<Utc>) -> Value {
    Value::text(time_text(t))
}

fn opt_time(t: Option<DateTime<Utc>>) -> Value {
    Value::Text(t.map(time_text))
}

fn opt<T: ToString>(v: Option<&T>) -> Value {
    Value::Text(v.map(ToString::to_string))
}

fn name(v: impl ToString) -> Value {
    Value::text(v.to_string())
}

fn int(n: impl Into<i64>) -> Value {
    Value::Integer(Some(n.into()))
}

/// The `amount`, `currency`, `amount_minor` and `amount_scale` columns of an amount.
pub(crate) fn money(m: &Money) -> [Value; 4] {
    [
        Value::text(m.amount().to_string()),
        Value::text(m.currency().code()),
        Value::Integer(minor_units(m.amount(), m.currency())),
        int(amount_scale(m.currency())),
    ]
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
        "kind",
        "lifecycle_stage",
        "source",
        "time_zone",
        "body",
    ];
    const CUSTOMER_COL: &'static str = "id";
    const OWNER_COL: Option<&'static str> = Some("owner");
    const STATUS_COL: Option<&'static str> = Some("status");
    const TAGS_COL: Option<&'static str> = Some("tags");
    const UPDATED_COL: &'static str = "updated_at";

    fn values(&self) -> StorageResult<Vec<Value>> {
        Ok(vec![
            name(&self.id),
            opt(self.owner.as_ref()),
            Value::Text(self.status().map(|s| s.code())),
            Value::Text(tags_text(&self.tags)),
            text(self.created_at),
            text(self.updated_at),
            Value::Text(self.email.as_ref().map(|e| e.as_str().to_string())),
            Value::Text(self.phone.as_ref().map(|p| p.as_str().to_string())),
            opt(self.account.as_ref()),
            opt(self.parent_account.as_ref()),
            name(self.kind),
            opt(self.lifecycle_stage.as_ref()),
            opt(self.source.as_ref()),
            opt(self.time_zone.as_ref()),
            json(self)?,
        ])
    }
}

impl SqlRecord for Interaction {
    const TABLE: &'static str = "interactions";
    const COLUMNS: &'static [&'static str] = &[
        "id",
        "customer_id",
        "owner",
        "at",
        "channel",
        "direction",
        "duration_nanos",
        "ticket_id",
        "deal_id",
        "body",
    ];
    const OWNER_COL: Option<&'static str> = Some("owner");

    fn values(&self) -> StorageResult<Vec<Value>> {
        Ok(vec![
            name(&self.id),
            name(&self.customer),
            opt(self.agent.as_ref()),
            text(self.occurred_at),
            name(self.channel),
            name(self.direction),
            Value::Integer(self.duration.and_then(duration_nanos)),
            opt(self.ticket.as_ref()),
            opt(self.deal.as_ref()),
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
        "category",
        "priority",
        "channel",
        "first_response_at",
        "solved_at",
        "closed_at",
        "body",
    ];
    const OWNER_COL: Option<&'static str> = Some("owner");
    const STATUS_COL: Option<&'static str> = Some("status");
    const TAGS_COL: Option<&'static str> = Some("tags");
    const UPDATED_COL: &'static str = "updated_at";

    fn values(&self) -> StorageResult<Vec<Value>> {
        Ok(vec![
            name(&self.id),
            name(&self.customer),
            opt(self.assignee.as_ref()),
            Value::Text(self.status().map(|s| s.code())),
            Value::Text(tags_text(&self.tags)),
            text(self.created_at),
            text(Record::updated_at(self)),
            name(self.category),
            name(self.priority),
            name(self.channel),
            opt_time(self.first_response_at),
            opt_time(self.solved_at),
            opt_time(self.closed_at),
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
        "stage",
        "amount",
        "currency",
        "amount_minor",
        "amount_scale",
        "closed_at",
        "body",
    ];
    const OWNER_COL: Option<&'static str> = Some("owner");
    const STATUS_COL: Option<&'static str> = Some("status");
    const UPDATED_COL: &'static str = "updated_at";

    fn values(&self) -> StorageResult<Vec<Value>> {
        let mut v = vec![
            name(&self.id),
            name(&self.customer),
            opt(self.owner.as_ref()),
            Value::Text(self.status().map(|s| s.code())),
            text(self.created_at),
            text(Record::updated_at(self)),
            name(self.stage),
        ];
        v.extend(money(&self.amount));
        v.push(opt_time(self.closed_at));
        v.push(json(self)?);
        Ok(v)
    }
}

/// The scale a survey score was asked on.
fn score_scale(score: &SurveyScore) -> (u8, u8) {
    match score {
        SurveyScore::Nps(_) => (crm_core::NPS_MIN, crm_core::NPS_MAX),
        SurveyScore::Ces(_) => (crm_core::CES_MIN, crm_core::CES_MAX),
        SurveyScore::Csat { scale, .. } => (scale.min(), scale.max()),
    }
}

impl SqlRecord for SurveyResponse {
    const TABLE: &'static str = "survey_responses";
    const COLUMNS: &'static [&'static str] = &[
        "id",
        "customer_id",
        "tags",
        "at",
        "kind",
        "score",
        "scale_min",
        "scale_max",
        "ticket_id",
        "interaction_id",
        "body",
    ];
    const TAGS_COL: Option<&'static str> = Some("tags");

    fn values(&self) -> StorageResult<Vec<Value>> {
        let (min, max) = score_scale(&self.score);
        Ok(vec![
            name(&self.id),
            name(&self.customer),
            Value::Text(tags_text(&self.tags)),
            text(self.responded_at),
            name(self.score.kind()),
            int(self.score.value()),
            int(min),
            int(max),
            opt(self.ticket.as_ref()),
            opt(self.interaction.as_ref()),
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
        "amount_minor",
        "amount_scale",
        "day",
        "quantity",
        "external_id",
        "product",
        "category",
        "channel",
    ];
    const SELECT: &'static str =
        "id, customer_id, at, amount, currency, quantity, external_id, product, category, channel";

    fn values(&self) -> StorageResult<Vec<Value>> {
        let [amount, currency, minor, scale] = money(&self.amount);
        Ok(vec![
            name(&self.id),
            name(&self.customer),
            text(self.occurred_at),
            amount,
            currency,
            minor,
            scale,
            int(day_number(self.occurred_at)),
            name(self.quantity),
            Value::Text(self.external_id.clone()),
            Value::Text(self.product.clone()),
            Value::Text(self.category.clone()),
            opt(self.channel.as_ref()),
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

impl SqlRecord for LoyaltyEvent {
    const TABLE: &'static str = "loyalty_events";
    const COLUMNS: &'static [&'static str] = &[
        "id",
        "customer_id",
        "at",
        "kind",
        "points",
        "reason",
        "transaction_id",
    ];
    const SELECT: &'static str = "id, customer_id, at, kind, points, reason, transaction_id";

    fn values(&self) -> StorageResult<Vec<Value>> {
        Ok(vec![
            name(&self.id),
            name(&self.customer),
            text(self.occurred_at),
            name(self.kind),
            int(self.points),
            Value::Text(self.reason.clone()),
            opt(self.transaction.as_ref()),
        ])
    }

    fn decode(row: &SqliteRow) -> StorageResult<Self> {
        let get = |i: usize| -> StorageResult<Option<String>> { row.try_get(i).map_err(backend) };
        let need = |i: usize, column: &str| -> StorageResult<String> {
            get(i)?.ok_or_else(|| corrupt(column, "is NULL"))
        };
        let points: i64 = row.try_get(5).map_err(backend)?;
        let mut event = LoyaltyEvent::new(
            parse("id", &need(1, "id")?)?,
            parse("customer_id", &need(2, "customer_id")?)?,
            parse("kind", &need(4, "kind")?)?,
            parse("at", &need(3, "at")?)?,
            points,
        );
        event.reason = get(6)?;
        event.transaction = get(7)?.map(|t| parse("transaction_id", &t)).transpose()?;
        Ok(event)
    }
}

/// A statement built by the store (table and column names are its own constants).
pub(crate) fn query(sql: String) -> sqlx::query::Query<'static, Sqlite, SqliteArguments> {
    sqlx::query(AssertSqlSafe(sql))
}

/// Binds one value as the next parameter.
pub(crate) fn bind_value(
    q: sqlx::query::Query<'static, Sqlite, SqliteArguments>,
    value: Value,
) -> sqlx::query::Query<'static, Sqlite, SqliteArguments> {
    match value {
        Value::Text(t) => q.bind(t),
        Value::Integer(n) => q.bind(n),
    }
}

/// Binds the values, in order, as the next parameters.
pub(crate) fn bind_all(
    mut q: sqlx::query::Query<'static, Sqlite, SqliteArguments>,
    values: Vec<Value>,
) -> sqlx::query::Query<'static, Sqlite, SqliteArguments> {
    for v in values {
        q = bind_value(q, v);
    }
    q
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A small deterministic generator (xorshift64*), for many varied cases per run.
    struct Rng(u64);

    impl Rng {
        fn next(&mut self) -> u64 {
            self.0 ^= self.0 >> 12;
            self.0 ^= self.0 << 25;
            self.0 ^= self.0 >> 27;
            self.0.wrapping_mul(0x2545_f491_4f6c_dd1d)
        }

        /// Any decimal: a 96-bit mantissa of random length, either sign, any scale.
        fn decimal(&mut self) -> Decimal {
            let bits = self.next() % 97;
            let lo = self.next();
            let hi = self.next() & 0xffff_ffff;
            let mantissa = ((i128::from(hi) << 64) | i128::from(lo)) & ((1i128 << bits) - 1);
            let mantissa = if self.next().is_multiple_of(2) {
                mantissa
            } else {
                -mantissa
            };
            Decimal::from_i128_with_scale(mantissa, (self.next() % 29) as u32)
        }
    }

    const CURRENCIES: [Currency; 6] = [
        Currency::EUR,
        Currency::JPY,
        Currency::KWD,
        Currency::CLF,
        Currency::XAU,
        Currency::USD,
    ];

    #[test]
    fn minor_units_round_trip_exactly_or_are_none() {
        let mut rng = Rng(0x5eed);
        for _ in 0..200_000 {
            let amount = rng.decimal();
            for currency in CURRENCIES {
                let scale = amount_scale(currency);
                // Whether the amount has at most the minor digits, and is in range.
                let whole = amount.scale() <= scale;
                let in_range = amount
                    .abs()
                    .checked_mul(Decimal::from(10i64.pow(scale)))
                    .is_some_and(|v| v <= Decimal::from(i64::MAX));
                match minor_units(amount, currency) {
                    Some(minor) => {
                        assert!(whole && in_range, "{amount} {currency:?} -> {minor}");
                        assert_ne!(minor, i64::MIN);
                        let back = from_minor_units(i128::from(minor), scale).unwrap();
                        assert_eq!(back, amount, "{amount} {currency:?} round-trips");
                    }
                    None => assert!(!whole || !in_range, "{amount} {currency:?} fits"),
                }
            }
        }
    }

    #[test]
    fn minor_units_at_the_edges() {
        let eur = Currency::EUR;
        let d = |s: &str| s.parse::<Decimal>().unwrap();
        assert_eq!(minor_units(d("92233720368547758.07"), eur), Some(i64::MAX));
        assert_eq!(
            minor_units(d("-92233720368547758.07"), eur),
            Some(-i64::MAX)
        );
        assert_eq!(minor_units(d("92233720368547758.08"), eur), None);
        assert_eq!(minor_units(d("-92233720368547758.08"), eur), None);
        assert_eq!(minor_units(d("1.23"), eur), Some(123));
        assert_eq!(minor_units(d("1.230"), eur), None);
        assert_eq!(minor_units(d("1.235"), eur), None);
        assert_eq!(minor_units(d("-0.00"), eur), Some(0));
        assert_eq!(minor_units(d("0.0000000000000000000000000001"), eur), None);
        assert_eq!(minor_units(Decimal::MAX, Currency::JPY), None);
        assert_eq!(minor_units(d("7"), Currency::KWD), Some(7000));
        assert_eq!(minor_units(d("7.5"), Currency::JPY), None);
    }

    #[test]
    fn sums_of_minor_units_equal_decimal_sums() {
        let mut rng = Rng(0xfeed);
        for _ in 0..20_000 {
            let n = rng.next() % 8;
            let amounts: Vec<Decimal> = (0..n)
                .map(|_| Decimal::new((rng.next() % 2_000_000) as i64 - 1_000_000, 2))
                .collect();
            let minor: i128 = amounts
                .iter()
                .map(|a| i128::from(minor_units(*a, Currency::EUR).unwrap()))
                .sum();
            let exact: Decimal = amounts.iter().sum();
            assert_eq!(from_minor_units(minor, 2), Some(exact));
        }
    }

    #[test]
    fn day_numbers_follow_the_utc_date() {
        use chrono::TimeZone;
        let mut rng = Rng(0xda7);
        for _ in 0..20_000 {
            let secs = (rng.next() % 315_537_897_600) as i64 - 62_167_219_200;
            let t = Utc.timestamp_opt(secs, 0).unwrap();
            let day = day_number(t);
            let midnight = Utc.timestamp_opt(day * 86_400, 0).unwrap();
            assert_eq!(midnight.date_naive(), t.date_naive(), "{t}");
        }
    }

    #[test]
    fn durations_fit_or_are_none() {
        use std::time::Duration;
        assert_eq!(duration_nanos(Duration::ZERO), Some(0));
        assert_eq!(
            duration_nanos(Duration::new(9_223_372_036, 854_775_807)),
            Some(i64::MAX)
        );
        assert_eq!(
            duration_nanos(Duration::new(9_223_372_036, 854_775_808)),
            None
        );
    }
}
