//! Survey response files: `response_id,customer_id,timestamp,score[,group][,tags]`, tags
//! separated by `;`.

use std::path::Path;

use chrono::{DateTime, Utc};

use super::{
    CsvInput, column_slots, rejects, require_customer_id, require_rows, timestamp_field,
    wrong_header,
};
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
    let slots = column_slots(
        &header,
        &[
            "response_id",
            "customer_id",
            "timestamp",
            "score",
            "group",
            "tags",
        ],
        4,
    )
    .ok_or_else(|| wrong_header(path, &header, HEADER))?;
    let col = |i: usize| slots[i].unwrap_or_default();
    let (id_col, customer_col, time_col, score_col) = (col(0), col(1), col(2), col(3));
    let (group_col, tags_col) = (slots[4], slots[5]);
    let mut rows = Vec::new();
    let mut record = csv::StringRecord::new();
    while let Some(line) = input.next(&mut record)? {
        let row = (|| -> CliResult<ResponseRow> {
            require_customer_id(path, line, customer_col + 1, &record[customer_col])?;
            let timestamp =
                timestamp_field(path, line, (time_col + 1, "timestamp"), &record[time_col])?;
            let expected = format!("an integer {scale} score from {min} to {max}");
            let score = record[score_col]
                .parse::<i64>()
                .ok()
                .filter(|s| (i64::from(min)..=i64::from(max)).contains(s))
                .ok_or_else(|| {
                    InputError::field(
                        path,
                        line,
                        score_col + 1,
                        "score",
                        expected,
                        &record[score_col],
                    )
                })?;
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
            Ok(ResponseRow {
                response_id: record[id_col].to_string(),
                customer_id: record[customer_col].to_string(),
                timestamp,
                score: u8::try_from(score).unwrap_or(max),
                group,
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
