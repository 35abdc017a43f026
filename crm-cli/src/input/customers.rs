//! Customer files: `customer_id,name[,email][,phone][,owner][,created_at]` (optional columns
//! in any order).

use std::path::Path;

use chrono::{DateTime, Utc};

use super::{CsvInput, require_customer_id, require_rows, timestamp_field, wrong_header};
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
    if header.len() < 2 || header[0] != "customer_id" || header[1] != "name" {
        return Err(wrong_header(path, &header, HEADER));
    }
    let mut cols = [None; 4];
    for (i, name) in header.iter().enumerate().skip(2) {
        let slot = match name.as_str() {
            "email" => 0,
            "phone" => 1,
            "owner" => 2,
            "created_at" => 3,
            _ => return Err(wrong_header(path, &header, HEADER)),
        };
        if cols[slot].replace(i).is_some() {
            return Err(wrong_header(path, &header, HEADER));
        }
    }
    let mut rows = Vec::new();
    let mut record = csv::StringRecord::new();
    while let Some(line) = input.next(&mut record)? {
        require_customer_id(path, line, 1, &record[0])?;
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
        rows.push(CustomerRow {
            customer_id: record[0].to_string(),
            name: record[1].to_string(),
            email: opt(0),
            phone: opt(1),
            owner: opt(2),
            created_at,
            line,
        });
    }
    require_rows(path, &rows, HEADER)?;
    Ok(rows)
}
