//! Customer files: `customer_id,name[,email][,phone][,owner][,created_at]` (optional columns
//! in any order).

use std::path::Path;

use chrono::{DateTime, Utc};

use super::{
    CsvInput, column_slots, rejects, require_customer_id, require_rows, timestamp_field,
    wrong_header,
};
use crate::error::CliResult;

/// The header of a customers file.
pub const HEADER: &str = "customer_id,name[,email][,phone][,owner][,created_at]";

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
        ],
        2,
    )
    .ok_or_else(|| wrong_header(path, &header, HEADER))?;
    let (id_col, name_col) = (slots[0].unwrap_or(0), slots[1].unwrap_or(1));
    let cols = [slots[2], slots[3], slots[4], slots[5]];
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
            Ok(CustomerRow {
                customer_id: record[id_col].to_string(),
                name: record[name_col].to_string(),
                email: opt(0),
                phone: opt(1),
                owner: opt(2),
                created_at,
                line,
            })
        })();
        match row {
            Ok(row) => rows.push(row),
            Err(e) => rejects::refuse(line, e)?,
        }
    }
    if !rejects::enabled() {
        require_rows(path, &rows, HEADER)?;
    }
    Ok(rows)
}
