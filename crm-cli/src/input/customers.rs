//! Customer files: `customer_id,name[,email][,phone][,owner][,created_at][,birthday]
//! [,time_zone][,consents][,tags]` (optional columns in any order).

use std::path::Path;

use chrono::{DateTime, NaiveDate, Utc};
use crm_core::{ConsentChannel, Tag, Tz};

use super::{
    CsvInput, column_slots, rejects, require_customer_id, require_rows, timestamp_field,
    wrong_header,
};
use crate::error::{CliError, CliResult, InputError};

/// The header of a customers file.
pub const HEADER: &str = "customer_id,name[,email][,phone][,owner][,created_at][,birthday][,time_zone][,consents][,tags]";

/// One customer as read from a file.
#[derive(Debug, Clone, PartialEq)]
pub struct CustomerRow {
    /// The customer id.
    pub customer_id: String,
    /// The display name.
    pub name: String,
    /// E-mail address.
    pub email: Option<String>,
    /// Phone number.
    pub phone: Option<String>,
    /// Owning sales representative.
    pub owner: Option<String>,
    /// When the customer was created.
    pub created_at: Option<DateTime<Utc>>,
    /// Date of birth (or founding), `YYYY-MM-DD`.
    pub birthday: Option<NaiveDate>,
    /// IANA time zone (`Europe/Berlin`).
    pub time_zone: Option<Tz>,
    /// Channels with marketing consent, given when the customer was created.
    pub consents: Vec<ConsentChannel>,
    /// Labels.
    pub tags: Vec<Tag>,
    /// The 1-based line.
    pub line: u64,
}

/// Reads a customers file.
pub fn read(path: &Path) -> CliResult<Vec<CustomerRow>> {
    let mut input = CsvInput::open(path, HEADER)?;
    let header = input.header()?;
    let slots = column_slots(
        &header,
        &[
            "customer_id",
            "name",
            "email",
            "phone",
            "owner",
            "created_at",
            "birthday",
            "time_zone",
            "consents",
            "tags",
        ],
        2,
    )
    .ok_or_else(|| wrong_header(path, &header, HEADER))?;
    let (id_col, name_col) = (slots[0].unwrap_or(0), slots[1].unwrap_or(1));
    let cols = [slots[2], slots[3], slots[4], slots[5]];
    let [birthday_col, zone_col, consents_col, tags_col] = [slots[6], slots[7], slots[8], slots[9]];
    let mut rows = Vec::new();
    let mut record = csv::StringRecord::new();
    while let Some(line) = input.next(&mut record)? {
        let row = (|| -> CliResult<CustomerRow> {
            require_customer_id(path, line, id_col + 1, &record[id_col])?;
            let opt = |slot: usize| {
                cols[slot]
                    .map(|c: usize| record[c].to_string())
                    .filter(|s| !s.is_empty())
            };
            let created_at = match cols[3] {
                Some(c) if !record[c].is_empty() => Some(timestamp_field(
                    path,
                    line,
                    (c + 1, "created_at"),
                    &record[c],
                )?),
                _ => None,
            };
            // An optional column's text, when present and not empty.
            let text = |col: Option<usize>| {
                col.map(|c| (c, record[c].trim()))
                    .filter(|(_, t)| !t.is_empty())
            };
            let bad = |c: usize, field: &str, expected: &str, found: &str| -> CliError {
                InputError::field(path, line, c + 1, field, expected, found).into()
            };
            let birthday = text(birthday_col)
                .map(|(c, t)| {
                    NaiveDate::parse_from_str(t, "%Y-%m-%d")
                        .map_err(|_| bad(c, "birthday", "a date YYYY-MM-DD", t))
                })
                .transpose()?;
            let time_zone = text(zone_col)
                .map(|(c, t)| {
                    t.parse::<Tz>().map_err(|_| {
                        bad(c, "time_zone", "an IANA time zone such as Europe/Berlin", t)
                    })
                })
                .transpose()?;
            let mut consents = Vec::new();
            if let Some((c, t)) = text(consents_col) {
                for name in t.split(';').map(str::trim).filter(|s| !s.is_empty()) {
                    consents.push(name.parse::<ConsentChannel>().map_err(|_| {
                        bad(
                            c,
                            "consents",
                            "consent channels separated by `;` (email, sms, phone, post, messaging)",
                            name,
                        )
                    })?);
                }
            }
            let mut tags = Vec::new();
            if let Some((c, t)) = text(tags_col) {
                for name in t.split(';').map(str::trim).filter(|s| !s.is_empty()) {
                    tags.push(
                        Tag::new(name)
                            .map_err(|e| bad(c, "tags", &format!("a valid tag ({e})"), name))?,
                    );
                }
            }
            Ok(CustomerRow {
                customer_id: record[id_col].to_string(),
                name: record[name_col].to_string(),
                email: opt(0),
                phone: opt(1),
                owner: opt(2),
                created_at,
                birthday,
                time_zone,
                consents,
                tags,
                line,
            })
        })();
        match row {
            Ok(row) => rows.push(row),
            Err(e) => rejects::refuse(line, e)?,
        }
    }
    require_rows(path, &rows, HEADER)?;
    Ok(rows)
}
