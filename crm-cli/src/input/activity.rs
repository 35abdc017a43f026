//! Interaction, ticket and deal files: CSV with a header naming the columns (required ones
//! first in the documented header, but any order is accepted), each row read straight into
//! a `crm-core` record.
//!
//! Every value is checked where it is read, so a bad row is reported with its file, line,
//! column and field: a time that is neither `YYYY-MM-DD` nor RFC 3339, a name outside its
//! vocabulary (`channel`, `direction`, `status`, `priority`, `category`, `stage`), an
//! amount that is not a decimal number, an id the domain refuses, or times out of order
//! (a ticket solved before it was created). A column the header does not know is refused
//! too, so that a misspelt optional column is not silently ignored; so is a missing
//! required column.

use std::collections::HashMap;
use std::path::Path;
use std::str::FromStr;
use std::time::Duration;

use chrono::{DateTime, NaiveDate, Utc};
use crm_core::{
    Channel, Currency, CustomerId, Deal, DealId, DealStage, Direction, Interaction, InteractionId,
    Money, Tag, Ticket, TicketCategory, TicketId, TicketPriority, TicketStatus, UnknownName,
    UserId, parse_currency,
};
use crm_storage_traits::Record;
use rust_decimal::Decimal;

use super::{
    CsvInput, amount_expected, file_time, file_time_expected, rejects, require_rows, wrong_header,
};
use crate::error::{CliError, CliResult, InputError};
use crate::ids::ContentIds;
use crate::input::located::{Located, refused};

/// The header of an interactions file.
pub const INTERACTIONS_HEADER: &str = "interaction_id,customer_id,timestamp,channel,direction\
[,duration_seconds][,agent][,outcome][,ticket_id][,deal_id]";

/// The header of a tickets file.
pub const TICKETS_HEADER: &str = "ticket_id,customer_id,created_at,status,priority,category\
[,channel][,assignee][,first_response_at][,solved_at][,closed_at][,tags]";

/// The header of a deals file.
pub const DEALS_HEADER: &str = "deal_id,customer_id,amount,stage,created_at\
[,currency][,title][,owner][,expected_close][,closed_at][,close_reason]";

/// The columns of a file: each known name and its 0-based position.
pub(crate) struct Columns {
    at: HashMap<&'static str, usize>,
}

impl Columns {
    /// Matches a header against the required and optional column names: every required
    /// name present once, nothing unknown, nothing twice.
    fn of(
        path: &Path,
        header: &[String],
        required: &[&'static str],
        optional: &[&'static str],
        expected: &str,
    ) -> CliResult<Self> {
        let mut at = HashMap::new();
        for (i, name) in header.iter().enumerate() {
            let known = required
                .iter()
                .chain(optional)
                .find(|k| **k == name.as_str())
                .ok_or_else(|| {
                    InputError::field(
                        path,
                        1,
                        i + 1,
                        name,
                        format!("only the columns of the header `{expected}`"),
                        name,
                    )
                })?;
            if at.insert(*known, i).is_some() {
                return Err(wrong_header(path, header, expected));
            }
        }
        if let Some(missing) = required.iter().find(|r| !at.contains_key(**r)) {
            return Err(InputError::line(
                path,
                1,
                format!("a column `{missing}` (header `{expected}`)"),
            )
            .with_found(header.join(","))
            .into());
        }
        Ok(Self { at })
    }
}

/// One data row with its line, read by column name.
pub(crate) struct Row<'a> {
    path: &'a Path,
    columns: &'a Columns,
    record: &'a csv::StringRecord,
    line: u64,
}

impl Row<'_> {
    /// The 1-based column of a name.
    pub(crate) fn column(&self, name: &str) -> usize {
        self.columns.at.get(name).map_or(0, |i| i + 1)
    }

    /// The value of a column, `None` when the column is absent or the cell empty.
    pub(crate) fn get(&self, name: &str) -> Option<&str> {
        self.columns
            .at
            .get(name)
            .map(|&i| &self.record[i])
            .filter(|s| !s.is_empty())
    }

    pub(crate) fn error(&self, name: &str, expected: impl Into<String>, found: &str) -> CliError {
        InputError::field(
            self.path,
            self.line,
            self.column(name),
            name,
            expected,
            found,
        )
        .into()
    }

    /// A required, non-empty value.
    pub(crate) fn required(&self, name: &str, what: &str) -> CliResult<&str> {
        self.get(name).ok_or_else(|| self.error(name, what, ""))
    }

    /// A value parsed with `parse`, whose error becomes `expected`.
    pub(crate) fn parsed<T, E: std::fmt::Display>(
        &self,
        name: &str,
        text: &str,
        parse: impl FnOnce(&str) -> Result<T, E>,
        expected: &str,
    ) -> CliResult<T> {
        parse(text).map_err(|e| self.error(name, format!("{expected} ({e})"), text))
    }

    /// A required time.
    pub(crate) fn time(&self, name: &str) -> CliResult<DateTime<Utc>> {
        let expected = file_time_expected();
        let text = self.required(name, &expected)?;
        file_time(text).ok_or_else(|| self.error(name, expected, text))
    }

    /// An optional time.
    pub(crate) fn optional_time(&self, name: &str) -> CliResult<Option<DateTime<Utc>>> {
        self.get(name)
            .map(|text| file_time(text).ok_or_else(|| self.error(name, file_time_expected(), text)))
            .transpose()
    }

    /// A required name of a vocabulary.
    pub(crate) fn name<T>(&self, name: &str) -> CliResult<T>
    where
        T: Copy + FromStr<Err = UnknownName> + 'static,
        T: VocabularyNames,
    {
        let expected = format!("one of {}", T::names().join(", "));
        let text = self.required(name, &expected)?;
        text.parse().map_err(|_| self.error(name, expected, text))
    }

    pub(crate) fn customer(&self) -> CliResult<CustomerId> {
        let text = self.required("customer_id", "a non-empty customer id")?;
        self.parsed(
            "customer_id",
            text,
            CustomerId::parse,
            "a valid customer id",
        )
    }

    fn user(&self, name: &str) -> CliResult<Option<UserId>> {
        self.get(name)
            .map(|text| self.parsed(name, text, UserId::parse, "a valid user id"))
            .transpose()
    }
}

/// The names of a vocabulary, for error messages.
pub(crate) trait VocabularyNames: Sized + 'static {
    fn names() -> Vec<&'static str>;
}

macro_rules! vocabulary_names {
    ($($t:ty),*) => {$(
        impl VocabularyNames for $t {
            fn names() -> Vec<&'static str> {
                <$t>::ALL.iter().map(|v| v.as_str()).collect()
            }
        }
    )*};
}

vocabulary_names!(
    Channel,
    Direction,
    TicketStatus,
    TicketPriority,
    TicketCategory,
    DealStage
);

/// Reads every row of a file with `convert`, then checks each record as the store would.
fn read_rows<R: Record>(
    path: &Path,
    required: &[&'static str],
    optional: &[&'static str],
    expected: &'static str,
    convert: impl FnMut(&Row<'_>) -> CliResult<(R, bool)>,
) -> CliResult<Vec<Located<R>>> {
    read_checked_rows(path, required, optional, expected, convert, R::check)
}

/// Reads every row of a file with `convert`, then checks each record with `check` (the
/// store's own check of the kind of record).
pub(crate) fn read_checked_rows<R>(
    path: &Path,
    required: &[&'static str],
    optional: &[&'static str],
    expected: &'static str,
    mut convert: impl FnMut(&Row<'_>) -> CliResult<(R, bool)>,
    check: impl Fn(&R) -> crm_storage_traits::StorageResult<()>,
) -> CliResult<Vec<Located<R>>> {
    let mut input = CsvInput::open(path, expected)?;
    let header = input.header()?;
    let columns = Columns::of(path, &header, required, optional, expected)?;
    let mut out = Vec::new();
    let mut record = csv::StringRecord::new();
    while let Some(line) = input.next(&mut record)? {
        let row = Row {
            path,
            columns: &columns,
            record: &record,
            line,
        };
        let converted = convert(&row).and_then(|(r, explicit_id)| {
            check(&r).map_err(|e| refused(path, line, e))?;
            Ok((r, explicit_id))
        });
        match converted {
            Ok((record, explicit_id)) => out.push(Located {
                record,
                line,
                explicit_id,
            }),
            Err(e) => rejects::refuse(line, e)?,
        }
    }
    require_rows(path, &out, expected)?;
    Ok(out)
}

/// Reads an interactions file (an empty `interaction_id` gets an id from the row's
/// content, so re-importing the file adds nothing).
pub fn interactions(path: &Path) -> CliResult<Vec<Located<Interaction>>> {
    let mut ids = ContentIds::new();
    read_rows(
        path,
        &[
            "interaction_id",
            "customer_id",
            "timestamp",
            "channel",
            "direction",
        ],
        &[
            "duration_seconds",
            "agent",
            "outcome",
            "ticket_id",
            "deal_id",
        ],
        INTERACTIONS_HEADER,
        |row| {
            let customer = row.customer()?;
            let customer_text = row.get("customer_id").unwrap_or_default();
            let at = row.time("timestamp")?;
            let channel: Channel = row.name("channel")?;
            let direction: Direction = row.name("direction")?;
            let (id_text, explicit) = match row.get("interaction_id") {
                Some(text) => (text.to_string(), true),
                None => (
                    ids.next(
                        "interaction",
                        &[
                            customer_text,
                            &at.to_rfc3339_opts(chrono::SecondsFormat::AutoSi, true),
                            channel.as_str(),
                            direction.as_str(),
                            row.get("duration_seconds").unwrap_or(""),
                            row.get("agent").unwrap_or(""),
                            row.get("outcome").unwrap_or(""),
                            row.get("ticket_id").unwrap_or(""),
                            row.get("deal_id").unwrap_or(""),
                        ],
                    ),
                    false,
                ),
            };
            let id = row.parsed(
                "interaction_id",
                &id_text,
                InteractionId::parse,
                "a valid interaction id",
            )?;
            let mut i = Interaction::new(id, customer, channel, direction, at);
            if let Some(text) = row.get("duration_seconds") {
                let secs = text.parse::<u64>().map_err(|_| {
                    row.error("duration_seconds", "a whole number of seconds >= 0", text)
                })?;
                i.duration = Some(Duration::from_secs(secs));
            }
            i.agent = row.user("agent")?;
            i.outcome = row.get("outcome").map(str::to_string);
            i.ticket = row
                .get("ticket_id")
                .map(|t| row.parsed("ticket_id", t, TicketId::parse, "a valid ticket id"))
                .transpose()?;
            i.deal = row
                .get("deal_id")
                .map(|t| row.parsed("deal_id", t, DealId::parse, "a valid deal id"))
                .transpose()?;
            Ok((i, explicit))
        },
    )
}

/// Reads a tickets file (every ticket needs its id: a ticket is an entity whose status
/// changes, not an event, so no id is derived from its content). A missing `channel` is
/// `other`.
pub fn tickets(path: &Path) -> CliResult<Vec<Located<Ticket>>> {
    read_rows(
        path,
        &[
            "ticket_id",
            "customer_id",
            "created_at",
            "status",
            "priority",
            "category",
        ],
        &[
            "channel",
            "assignee",
            "first_response_at",
            "solved_at",
            "closed_at",
            "tags",
        ],
        TICKETS_HEADER,
        |row| {
            let text = row.required("ticket_id", "a non-empty ticket id")?;
            let id = row.parsed("ticket_id", text, TicketId::parse, "a valid ticket id")?;
            let customer = row.customer()?;
            let created = row.time("created_at")?;
            let channel = match row.get("channel") {
                Some(_) => row.name("channel")?,
                None => Channel::Other,
            };
            let mut t = Ticket::new(id, customer, row.name("category")?, channel, created);
            t.status = row.name("status")?;
            t.priority = row.name("priority")?;
            t.assignee = row.user("assignee")?;
            t.first_response_at = row.optional_time("first_response_at")?;
            t.solved_at = row.optional_time("solved_at")?;
            t.closed_at = row.optional_time("closed_at")?;
            if let Some(tags) = row.get("tags") {
                for tag in tags.split(';').map(str::trim).filter(|s| !s.is_empty()) {
                    t.tags
                        .insert(row.parsed("tags", tag, Tag::new, "a valid tag")?);
                }
            }
            Ok((t, true))
        },
    )
}

/// Reads a deals file (every deal needs its id); amounts without a `currency` column are
/// in `default_currency`, and a deal without a `title` is titled with its id.
pub fn deals(path: &Path, default_currency: Currency) -> CliResult<Vec<Located<Deal>>> {
    read_rows(
        path,
        &["deal_id", "customer_id", "amount", "stage", "created_at"],
        &[
            "currency",
            "title",
            "owner",
            "expected_close",
            "closed_at",
            "close_reason",
        ],
        DEALS_HEADER,
        |row| {
            let text = row.required("deal_id", "a non-empty deal id")?;
            let id = row.parsed("deal_id", text, DealId::parse, "a valid deal id")?;
            let customer = row.customer()?;
            let amount_text = row.required("amount", "a decimal number such as 1200.00")?;
            let amount = Decimal::from_str_exact(amount_text).map_err(|_| {
                row.error(
                    "amount",
                    amount_expected("1200.00", amount_text),
                    amount_text,
                )
            })?;
            let currency = match row.get("currency") {
                Some(code) => parse_currency(code)
                    .map_err(|_| row.error("currency", "an ISO 4217 code such as USD", code))?,
                None => default_currency,
            };
            let created = row.time("created_at")?;
            let title = row.get("title").unwrap_or(text).to_string();
            let mut d = Deal::new(id, customer, &title, Money::new(amount, currency), created)
                .map_err(|e| row.error("amount", format!("a valid deal ({e})"), amount_text))?;
            d.stage = row.name("stage")?;
            d.owner = row.user("owner")?;
            d.expected_close = row
                .get("expected_close")
                .map(|t| {
                    NaiveDate::parse_from_str(t, "%Y-%m-%d")
                        .map_err(|_| row.error("expected_close", "a date as YYYY-MM-DD", t))
                })
                .transpose()?;
            d.closed_at = row.optional_time("closed_at")?;
            d.close_reason = row.get("close_reason").map(str::to_string);
            Ok((d, true))
        },
    )
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::input::temp_file;

    fn err<T: std::fmt::Debug>(r: CliResult<T>) -> String {
        r.expect_err("refused").to_string()
    }

    #[test]
    fn interactions_with_and_without_ids() {
        let f = temp_file(
            b"interaction_id,customer_id,timestamp,channel,direction,duration_seconds,outcome\n\
              i1,c1,2024-01-01T10:00:00Z,phone,inbound,90,callback\n\
              ,c2,2024-01-02,email,outbound,,\n\
              ,c2,2024-01-02,email,outbound,,\n",
        );
        let rows = interactions(f.path()).unwrap();
        assert_eq!(rows.len(), 3);
        assert_eq!(rows[0].record.duration, Some(Duration::from_secs(90)));
        assert_eq!(rows[0].record.outcome.as_deref(), Some("callback"));
        assert!(rows[0].explicit_id && !rows[1].explicit_id);
        assert_ne!(
            rows[1].record.id, rows[2].record.id,
            "identical rows stay two"
        );
        let again = interactions(f.path()).unwrap();
        assert_eq!(rows, again, "ids are stable");
    }

    #[test]
    fn a_bad_name_is_located_with_the_names_it_could_be() {
        let f = temp_file(
            b"interaction_id,customer_id,timestamp,channel,direction\ni1,c1,2024-01-01,fax,inbound\n",
        );
        let e = err(interactions(f.path()));
        assert!(
            e.contains("line 2, column 4 (channel): expected one of phone, email")
                && e.contains("found \"fax\""),
            "{e}"
        );
    }

    #[test]
    fn tickets_check_their_times_and_columns() {
        let head = "ticket_id,customer_id,created_at,status,priority,category,solved_at\n";
        let ok = temp_file(
            format!("{head}t1,c1,2024-01-02,solved,high,incident,2024-01-03\n").as_bytes(),
        );
        let t = &tickets(ok.path()).unwrap()[0].record;
        assert_eq!(
            (t.status, t.priority),
            (TicketStatus::Solved, TicketPriority::High)
        );
        assert_eq!(t.channel, Channel::Other);
        let early = temp_file(
            format!("{head}t1,c1,2024-01-02,solved,high,incident,2024-01-01\n").as_bytes(),
        );
        let e = err(tickets(early.path()));
        assert!(e.contains("line 2 (ticket.solved_at)"), "{e}");
        let missing = temp_file(
            b"ticket_id,customer_id,created_at,status,priority\nt1,c1,2024-01-01,new,low\n",
        );
        let e = err(tickets(missing.path()));
        assert!(e.contains("line 1: expected a column `category`"), "{e}");
        let extra = temp_file(
            b"ticket_id,customer_id,created_at,status,priority,category,colour\n\
              t1,c1,2024-01-01,new,low,question,red\n",
        );
        let e = err(tickets(extra.path()));
        assert!(
            e.contains("line 1, column 7 (colour): expected only the columns"),
            "{e}"
        );
    }

    #[test]
    fn deals_read_money_and_stages() {
        let f = temp_file(
            b"deal_id,customer_id,amount,stage,created_at,currency,closed_at\n\
              d1,c1,1200.50,won,2024-01-01,EUR,2024-02-01\n\
              d2,c2,99,proposal,2024-01-05,,\n",
        );
        let rows = deals(f.path(), Currency::USD).unwrap();
        assert_eq!(rows[0].record.amount.to_string(), "1200.50 EUR");
        assert_eq!(rows[0].record.title, "d1");
        assert_eq!(rows[1].record.stage, DealStage::Proposal);
        assert_eq!(rows[1].record.amount.currency(), Currency::USD);
        let bad = temp_file(
            b"deal_id,customer_id,amount,stage,created_at\nd1,c1,12,closing,2024-01-01\n",
        );
        let e = err(deals(bad.path(), Currency::USD));
        assert!(
            e.contains("line 2, column 4 (stage): expected one of qualification"),
            "{e}"
        );
        let bad =
            temp_file(b"deal_id,customer_id,amount,stage,created_at\nd1,c1,-5,won,2024-01-01\n");
        let e = err(deals(bad.path(), Currency::USD));
        assert!(e.contains("line 2, column 3 (amount)"), "{e}");
    }
}
