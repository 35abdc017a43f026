//! Customer summary files: `frequency,recency,T` with an optional id column first and an
//! optional `monetary_value` column last (the conventional names `x`, `t_x` and `zbar` are
//! accepted too).
//!
//! A frequency is a whole number of repeat purchases from 0 to [`MAX_FREQUENCY`]; recency
//! and `T` are finite, non-negative, and recency is at most `T`.

use std::path::Path;

use super::{CsvInput, header_is, require_customer_id, require_rows, wrong_header};
use crate::error::{CliResult, InputError};

/// The largest frequency accepted: a million repeat purchase periods per customer. A
/// period counts once however many purchases fall in it, so even with hours as the time
/// unit this is over a century of purchases every hour; a larger count is a mistake in the
/// file, and the models' work and memory grow with the largest frequency.
pub const MAX_FREQUENCY: u32 = 1_000_000;

/// The header of a summary file.
pub const HEADER: &str = "[id,]frequency,recency,T[,monetary_value]";

/// One customer's sufficient statistics.
#[derive(Debug, Clone, PartialEq)]
pub struct SummaryRow {
    /// The id, when the file has an id column (else the 1-based row number).
    pub id: String,
    /// Number of repeat purchase periods.
    pub frequency: f64,
    /// Time from the first to the last purchase.
    pub recency: f64,
    /// Time from the first purchase to the end of calibration.
    pub t: f64,
    /// Mean value of the repeat purchases, when the file has it.
    pub monetary_value: Option<f64>,
    /// The 1-based line.
    pub line: u64,
}

/// Reads a summary file.
pub fn read(path: &Path) -> CliResult<Vec<SummaryRow>> {
    let mut input = CsvInput::open(path, HEADER)?;
    let header = input.header()?;
    let start = header
        .iter()
        .position(|h| header_is(h, &["frequency", "x"]))
        .filter(|&p| p <= 1)
        .ok_or_else(|| wrong_header(path, &header, HEADER))?;
    let ok = header.len() >= start + 3
        && header.len() <= start + 4
        && header_is(&header[start + 1], &["recency", "t_x"])
        && header[start + 2] == "T"
        && (header.len() == start + 3
            || header_is(&header[start + 3], &["monetary_value", "zbar", "monetary"]));
    if !ok {
        return Err(wrong_header(path, &header, HEADER));
    }
    let has_money = header.len() == start + 4;
    let mut rows = Vec::new();
    let mut record = csv::StringRecord::new();
    let mut index = 0usize;
    while let Some(line) = input.next(&mut record)? {
        index += 1;
        let number = |col: usize| -> CliResult<f64> {
            let text = &record[col];
            text.parse::<f64>()
                .ok()
                .filter(|v| v.is_finite() && *v >= 0.0)
                .ok_or_else(|| {
                    InputError::field(
                        path,
                        line,
                        col + 1,
                        &header[col],
                        "a finite number >= 0",
                        text,
                    )
                    .into()
                })
        };
        let frequency = number(start)?;
        if frequency.fract() != 0.0 || frequency > f64::from(MAX_FREQUENCY) {
            return Err(InputError::field(
                path,
                line,
                start + 1,
                &header[start],
                format!("a whole number of repeat purchases from 0 to {MAX_FREQUENCY}"),
                &record[start],
            )
            .into());
        }
        let recency = number(start + 1)?;
        let t = number(start + 2)?;
        if recency > t {
            return Err(InputError::field(
                path,
                line,
                start + 2,
                &header[start + 1],
                format!("a recency no larger than T ({})", &record[start + 2]),
                &record[start + 1],
            )
            .into());
        }
        let monetary_value = if has_money {
            Some(number(start + 3)?)
        } else {
            None
        };
        let id = if start == 1 {
            require_customer_id(path, line, 1, &record[0])?;
            record[0].to_string()
        } else {
            index.to_string()
        };
        rows.push(SummaryRow {
            id,
            frequency,
            recency,
            t,
            monetary_value,
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

    fn read_str(content: &str) -> CliResult<Vec<SummaryRow>> {
        read(temp_file(content.as_bytes()).path())
    }

    #[test]
    fn with_and_without_id_and_money() {
        let rows = read_str("frequency,recency,T\n2,30.43,38.86\n0,0,38.86\n").expect("reads");
        assert_eq!(rows[1].id, "2");
        assert_eq!(rows[0].recency, 30.43);
        let rows = read_str("ID,x,t_x,T,zbar\n7,2,30.43,38.86,22.35\n").expect("reads");
        assert_eq!(rows[0].id, "7");
        assert_eq!(rows[0].monetary_value, Some(22.35));
    }

    #[test]
    fn bad_values_are_named() {
        let e = read_str("frequency,recency,T\n2,40,38.86\n")
            .expect_err("t_x > T")
            .to_string();
        assert!(e.contains("line 2, column 2 (recency)"), "{e}");
        let e = read_str("frequency,recency,T\n-1,0,38.86\n")
            .expect_err("negative")
            .to_string();
        assert!(e.contains("column 1 (frequency)"), "{e}");
        for bad in ["1e300", "1000001", "4294967296", "2.5"] {
            let e = read_str(&format!("frequency,recency,T\n1,2,3\n{bad},2,3\n"))
                .expect_err("frequency out of bounds")
                .to_string();
            assert!(
                e.contains("line 3, column 1 (frequency): expected a whole number of repeat purchases from 0 to 1000000"),
                "{e}"
            );
        }
        assert_eq!(
            read_str("frequency,recency,T\n1000000,2,3\n").expect("the bound")[0].frequency,
            1_000_000.0
        );
        let e = read_str("frequency,T,recency\n1,2,3\n")
            .expect_err("header")
            .to_string();
        assert!(e.contains("line 1"), "{e}");
    }
}
