//! Survey response files: `response_id,customer_id,timestamp,score[,group][,tags]`, tags
//! separated by `;`.

use std::path::Path;

use chrono::{DateTime, Utc};

use super::{CsvInput, require_customer_id, require_rows, timestamp_field, wrong_header};
use crate::error::{CliResult, InputError};

/// The header of a responses file.
pub const HEADER: &str = "response_id,customer_id,timestamp,score[,group][,tags]";

/// One survey response as read from a file.
#[derive(Debug, Clone, PartialEq)]
pub struct ResponseRow {
    /// The response id; empty when the file leaves it out (`crm import` then derives one
    /// from the row's content).
    pub response_id: String,
    /// The customer.
    pub customer_id: String,
    /// When it was given.
    pub timestamp: DateTime<Utc>,
    /// The score, checked against the survey's scale.
    pub score: u8,
    /// The group (segment, channel, agent...), when given.
    pub group: Option<String>,
    /// Tags or categories attached to the response.
    pub tags: Vec<String>,
    /// The 1-based line.
    pub line: u64,
}

/// Reads a responses file; every score must lie in `min..=max` (`scale` names the survey in
/// the error message).
pub fn read(path: &Path, min: u8, max: u8, scale: &str) -> CliResult<Vec<ResponseRow>> {
    let mut input = CsvInput::open(path, HEADER)?;
    let header = input.header()?;
    let names: Vec<&str> = header.iter().map(String::as_str).collect();
    if names.len() < 4 || names[..4] != ["response_id", "customer_id", "timestamp", "score"] {
        return Err(wrong_header(path, &header, HEADER));
    }
    let (group_col, tags_col) = match &names[4..] {
        [] => (None, None),
        ["group"] => (Some(4), None),
        ["tags"] => (None, Some(4)),
        ["group", "tags"] => (Some(4), Some(5)),
        _ => return Err(wrong_header(path, &header, HEADER)),
    };
    let mut rows = Vec::new();
    let mut record = csv::StringRecord::new();
    while let Some(line) = input.next(&mut record)? {
        require_customer_id(path, line, 2, &record[1])?;
        let timestamp = timestamp_field(path, line, (3, "timestamp"), &record[2])?;
        let expected = format!("an integer {scale} score from {min} to {max}");
        let score = record[3]
            .parse::<i64>()
            .ok()
            .filter(|s| (i64::from(min)..=i64::from(max)).contains(s))
            .ok_or_else(|| InputError::field(path, line, 4, "score", expected, &record[3]))?;
        let group = group_col
            .map(|c| record[c].to_string())
            .filter(|s| !s.is_empty());
        let tags = tags_col
            .map(|c| {
                record[c]
                    .split(';')
                    .map(str::trim)
                    .filter(|t| !t.is_empty())
                    .map(str::to_string)
                    .collect()
            })
            .unwrap_or_default();
        rows.push(ResponseRow {
            response_id: record[0].to_string(),
            customer_id: record[1].to_string(),
            timestamp,
            score: u8::try_from(score).unwrap_or(max),
            group,
            tags,
            line,
        });
    }
    require_rows(path, &rows, HEADER)?;
    Ok(rows)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::input::temp_file;

    fn read_str(content: &str) -> CliResult<Vec<ResponseRow>> {
        read(temp_file(content.as_bytes()).path(), 0, 10, "NPS")
    }

    #[test]
    fn reads_groups_and_tags() {
        let rows = read_str("response_id,customer_id,timestamp,score,group,tags\nr1,c1,2024-01-01,9,web,price; delivery\n").expect("reads");
        assert_eq!(rows[0].score, 9);
        assert_eq!(rows[0].group.as_deref(), Some("web"));
        assert_eq!(
            rows[0].tags,
            vec!["price".to_string(), "delivery".to_string()]
        );
    }

    #[test]
    fn out_of_scale_score_is_named() {
        let e = read_str("response_id,customer_id,timestamp,score\nr1,c1,2024-01-01,11\n")
            .expect_err("scale")
            .to_string();
        assert!(
            e.contains(
                "line 2, column 4 (score): expected an integer NPS score from 0 to 10, found \"11\""
            ),
            "{e}"
        );
    }
}
