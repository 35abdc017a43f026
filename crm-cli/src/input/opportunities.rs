//! Discrete-time summaries for the BG/BB model: `frequency,recency,periods[,weights]`, with
//! an optional id column first (the names `x`, `t_x`, `n` and `weight`/`count` are accepted
//! too), and the same summaries built from transactions by calendar period.
//!
//! A row is a customer (or, with a weight, that many customers) who had `periods`
//! opportunities to buy after the first purchase, bought in `frequency` of them, the last
//! time in opportunity `recency` (0 without a repeat purchase).

use std::collections::HashMap;
use std::path::Path;

use chrono::{DateTime, Datelike, Utc};
use crm_churn::{BGBB_MAX_OPPORTUNITIES, BgBbHistory};

use super::transactions::TransactionRow;
use super::{CsvInput, header_is, require_customer_id, require_rows, wrong_header};
use crate::error::{CliResult, InputError};

/// The header of a BG/BB summary file.
pub const HEADER: &str = "[id,]frequency,recency,periods[,weights]";

/// One row of a BG/BB summary.
#[derive(Debug, Clone, PartialEq)]
pub struct OpportunityRow {
    /// The id, when there is one (else the 1-based row number).
    pub id: String,
    /// The customer's history.
    pub history: BgBbHistory,
    /// How many customers share the row (1 without a weights column).
    pub weight: f64,
}

/// Reads a BG/BB summary file; every value is checked with its line and column.
pub fn read(path: &Path) -> CliResult<Vec<OpportunityRow>> {
    let mut input = CsvInput::open(path, HEADER)?;
    let header = input.header()?;
    let start = header
        .iter()
        .position(|h| header_is(h, &["frequency", "x"]))
        .filter(|&p| p <= 1)
        .ok_or_else(|| wrong_header(path, &header, HEADER))?;
    let ok = (start + 3..=start + 4).contains(&header.len())
        && header_is(&header[start + 1], &["recency", "t_x"])
        && header_is(&header[start + 2], &["periods", "n"])
        && (header.len() == start + 3
            || header_is(&header[start + 3], &["weights", "weight", "count"]));
    if !ok {
        return Err(wrong_header(path, &header, HEADER));
    }
    let weighted = header.len() == start + 4;
    let mut rows = Vec::new();
    let mut record = csv::StringRecord::new();
    let mut index = 0usize;
    while let Some(line) = input.next(&mut record)? {
        index += 1;
        let whole = |col: usize, max: u32| -> CliResult<u32> {
            let text = record[col].trim();
            text.parse::<u32>()
                .ok()
                .filter(|v| *v <= max)
                .ok_or_else(|| {
                    InputError::field(
                        path,
                        line,
                        col + 1,
                        &header[col],
                        format!("a whole number from 0 to {max}"),
                        &record[col],
                    )
                    .into()
                })
        };
        let n = whole(start + 2, BGBB_MAX_OPPORTUNITIES)?;
        let t_x = whole(start + 1, n)?;
        let x = whole(start, t_x)?;
        let history = BgBbHistory::new(x, t_x, n).map_err(|e| {
            InputError::field(
                path,
                line,
                start + 1,
                &header[start],
                format!("a history the model accepts ({e})"),
                &record[start],
            )
        })?;
        let weight = if weighted {
            let text = record[start + 3].trim();
            text.parse::<f64>()
                .ok()
                .filter(|w| w.is_finite() && *w > 0.0)
                .ok_or_else(|| {
                    InputError::field(
                        path,
                        line,
                        start + 4,
                        &header[start + 3],
                        "a finite number above 0",
                        &record[start + 3],
                    )
                })?
        } else {
            1.0
        };
        let id = if start == 1 {
            require_customer_id(path, line, 1, &record[0])?;
            record[0].to_string()
        } else {
            index.to_string()
        };
        rows.push(OpportunityRow {
            id,
            history,
            weight,
        });
    }
    require_rows(path, &rows, HEADER)?;
    Ok(rows)
}

/// A calendar period in which a customer has one opportunity to buy.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Opportunity {
    /// Calendar years.
    Year,
    /// Calendar quarters.
    Quarter,
    /// Calendar months.
    Month,
}

impl Opportunity {
    /// The index of the period holding `t` (consecutive periods have consecutive indices).
    fn index(self, t: DateTime<Utc>) -> i64 {
        let year = i64::from(t.year());
        match self {
            Opportunity::Year => year,
            Opportunity::Quarter => year * 4 + i64::from(t.month0() / 3),
            Opportunity::Month => year * 12 + i64::from(t.month0()),
        }
    }
}

/// BG/BB histories of transactions up to `end` (inclusive), one per customer, in order of
/// customer id: the period of the first purchase is the acquisition; every later period up
/// to and including the one holding `end` is an opportunity; `frequency` counts the
/// opportunities with a purchase and `recency` is the last of them. Transactions after
/// `end` are left out; only purchases (positive amounts) count.
pub fn from_transactions(
    rows: &[TransactionRow],
    period: Opportunity,
    end: DateTime<Utc>,
) -> CliResult<Vec<OpportunityRow>> {
    // Per customer: the first period and the set of periods with a purchase.
    let mut periods: HashMap<&str, Vec<i64>> = HashMap::new();
    for r in rows {
        if r.timestamp > end || r.amount <= rust_decimal::Decimal::ZERO {
            continue;
        }
        periods
            .entry(r.customer_id.as_str())
            .or_default()
            .push(period.index(r.timestamp));
    }
    let last = period.index(end);
    let mut out: Vec<OpportunityRow> = Vec::with_capacity(periods.len());
    for (id, mut seen) in periods {
        seen.sort_unstable();
        seen.dedup();
        let first = seen[0];
        let n = u32::try_from(last - first).unwrap_or(u32::MAX);
        let x = (seen.len() - 1) as u32;
        let t_x = seen.last().map_or(0, |l| (l - first) as u32);
        let history = BgBbHistory::new(x, t_x, n).map_err(|e| {
            crate::error::CliError::analysis("BG/BB summary", format!("customer {id}: {e}"))
        })?;
        out.push(OpportunityRow {
            id: id.to_string(),
            history,
            weight: 1.0,
        });
    }
    out.sort_by(|a, b| a.id.cmp(&b.id));
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::input::temp_file;
    use chrono::TimeZone;
    use crm_core::Currency;
    use proptest::prelude::*;

    fn tx(id: &str, y: i32, m: u32, d: u32, amount: i64) -> TransactionRow {
        TransactionRow {
            customer_id: id.into(),
            timestamp: Utc.with_ymd_and_hms(y, m, d, 12, 0, 0).unwrap(),
            amount: rust_decimal::Decimal::new(amount, 0),
            currency: Currency::USD,
            transaction_id: None,
            quantity: None,
            line: 0,
        }
    }

    #[test]
    fn yearly_opportunities_follow_the_donations_layout() {
        // Acquired in 1995, six opportunities 1996..=2001.
        let rows = vec![
            tx("a", 1995, 3, 1, 10),
            tx("a", 1997, 5, 1, 10),
            tx("a", 1997, 9, 1, 10),
            tx("a", 2000, 1, 1, 10),
            tx("b", 1995, 7, 1, 10),
            tx("c", 1999, 2, 1, 10),
            tx("c", 2001, 2, 1, -10), // a refund is not a purchase
            tx("d", 2002, 2, 1, 10),  // after the end
        ];
        let end = Utc.with_ymd_and_hms(2001, 12, 31, 23, 59, 59).unwrap();
        let h = from_transactions(&rows, Opportunity::Year, end).unwrap();
        let got: Vec<(&str, u32, u32, u32)> = h
            .iter()
            .map(|r| (r.id.as_str(), r.history.x, r.history.t_x, r.history.n))
            .collect();
        assert_eq!(got, [("a", 2, 5, 6), ("b", 0, 0, 6), ("c", 0, 0, 2)]);
    }

    #[test]
    fn months_and_quarters_count_calendar_periods() {
        let rows = vec![
            tx("a", 2023, 12, 31, 5),
            tx("a", 2024, 1, 1, 5),
            tx("a", 2024, 4, 1, 5),
        ];
        let end = Utc.with_ymd_and_hms(2024, 6, 30, 0, 0, 0).unwrap();
        let m = from_transactions(&rows, Opportunity::Month, end).unwrap();
        assert_eq!(m[0].history, BgBbHistory::new(2, 4, 6).unwrap());
        let q = from_transactions(&rows, Opportunity::Quarter, end).unwrap();
        assert_eq!(q[0].history, BgBbHistory::new(2, 2, 2).unwrap());
    }

    #[test]
    fn a_summary_file_is_read_and_checked_with_lines() {
        let f = temp_file(b"frequency,recency,periods,weights\n0,0,6,3464\n6,6,6,1203\n");
        let rows = read(f.path()).unwrap();
        assert_eq!(rows.len(), 2);
        assert_eq!(rows[1].history, BgBbHistory::new(6, 6, 6).unwrap());
        assert_eq!(rows[1].weight, 1203.0);
        for (bad, column) in [
            ("frequency,recency,periods\n2,1,6\n", "column 1"),
            ("frequency,recency,periods\n1,7,6\n", "column 2"),
            ("frequency,recency,periods\n0,1,6\n", "column 1"),
            ("frequency,recency,periods,weights\n1,1,6,0\n", "column 4"),
            ("frequency,recency,periods\n1.5,2,6\n", "column 1"),
        ] {
            let f = temp_file(bad.as_bytes());
            let e = read(f.path()).unwrap_err().to_string();
            assert!(e.contains("line 2") && e.contains(column), "{bad}: {e}");
        }
        let f = temp_file(b"frequency,recency,T\n1,1,6\n");
        assert!(read(f.path()).is_err());
    }

    proptest! {
        #[test]
        fn reading_never_panics(text in "[a-z0-9,.\\-\n ]{0,200}") {
            let f = temp_file(format!("frequency,recency,periods,weights\n{text}").as_bytes());
            let _ = read(f.path());
        }
    }
}
