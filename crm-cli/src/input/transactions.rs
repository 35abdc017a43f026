//! Transaction files: CSV `customer_id,timestamp,amount[,currency][,transaction_id]` and the
//! CDNOW layout.

use std::io::{BufRead, BufReader};
use std::path::Path;

use chrono::{DateTime, NaiveDate, Utc};
use crm_core::{Currency, Money, parse_currency};
use rust_decimal::Decimal;

use super::{
    CsvInput, Opened, amount_expected, open_input, rejects, require_customer_id, require_rows,
    timestamp_field, wrong_header,
};
use crate::error::{CliError, CliResult, InputError};

/// The layout of a transaction file.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, clap::ValueEnum)]
pub enum TransactionFormat {
    /// CSV with header `customer_id,timestamp,amount[,currency][,transaction_id]`.
    #[default]
    Csv,
    /// The CDNOW layout: whitespace separated `customer_id date(YYYYMMDD) cds dollars`
    /// (an extra sample-id column after the customer id is accepted), with or without a
    /// header line.
    Cdnow,
}

/// The header of a transaction CSV file.
pub const HEADER: &str = "customer_id,timestamp,amount[,currency][,transaction_id]";

/// One transaction as read from a file.
#[derive(Debug, Clone, PartialEq)]
pub struct TransactionRow {
    /// The customer.
    pub customer_id: String,
    /// When it happened (UTC).
    pub timestamp: DateTime<Utc>,
    /// The amount; negative for refunds.
    pub amount: Decimal,
    /// The currency.
    pub currency: Currency,
    /// The external id, when the file has one.
    pub transaction_id: Option<String>,
    /// Units bought (the CDNOW `cds` column); `None` when the file has no quantity.
    pub quantity: Option<Decimal>,
    /// The 1-based line it came from.
    pub line: u64,
}

impl TransactionRow {
    /// The row as a purchase the segmentation library reads: customer id, time, money.
    pub fn purchase(&self) -> (&str, DateTime<Utc>, Money) {
        (
            self.customer_id.as_str(),
            self.timestamp,
            Money::new(self.amount, self.currency),
        )
    }
}

/// Reads a transaction file in the given layout.
pub fn read(
    path: &Path,
    format: TransactionFormat,
    default_currency: &str,
) -> CliResult<Vec<TransactionRow>> {
    let currency = default_currency_option(default_currency)?;
    match format {
        TransactionFormat::Csv => read_csv(path, currency),
        TransactionFormat::Cdnow => read_cdnow(path, currency),
    }
}

/// The currency given with `--currency`.
pub fn default_currency_option(text: &str) -> CliResult<Currency> {
    parse_currency(text).map_err(|_| {
        CliError::Usage(format!(
            "--currency: expected an ISO 4217 code such as USD, found {text:?}"
        ))
    })
}

/// Reads a transaction CSV file.
pub fn read_csv(path: &Path, default_currency: Currency) -> CliResult<Vec<TransactionRow>> {
    read_csv_from(path, open_input(path)?, default_currency)
}

/// Reads a transaction CSV file already opened (`path` names it in messages).
pub(crate) fn read_csv_from(
    path: &Path,
    opened: Opened,
    default_currency: Currency,
) -> CliResult<Vec<TransactionRow>> {
    TransactionStream::csv(path, opened, default_currency)?.read_all()
}

/// What a CDNOW line looks like, for error messages.
pub const CDNOW_EXPECTED: &str = "customer_id date(YYYYMMDD) cds dollars";

/// Reads the CDNOW layout: whitespace separated `customer_id date cds dollars`, or with the
/// sample id after the customer id (`customer_id sample_id date cds dollars`), with or without
/// a header line.
pub fn read_cdnow(path: &Path, currency: Currency) -> CliResult<Vec<TransactionRow>> {
    TransactionStream::cdnow(path, open_input(path)?, currency).read_all()
}

/// The columns (0-based) of a transaction CSV file.
struct CsvColumns {
    customer: usize,
    timestamp: usize,
    amount: usize,
    currency: Option<usize>,
    id: Option<usize>,
}

impl CsvColumns {
    /// The columns of a header: `customer_id`, `timestamp` and `amount`, optionally
    /// `currency` and `transaction_id`, in any order, each once; `None` for any other.
    fn of(header: &[String]) -> Option<Self> {
        let mut at: [Option<usize>; 5] = [None; 5];
        for (i, name) in header.iter().enumerate() {
            let slot = [
                "customer_id",
                "timestamp",
                "amount",
                "currency",
                "transaction_id",
            ]
            .iter()
            .position(|n| n == name)?;
            if at[slot].replace(i).is_some() {
                return None;
            }
        }
        Some(Self {
            customer: at[0]?,
            timestamp: at[1]?,
            amount: at[2]?,
            currency: at[3],
            id: at[4],
        })
    }
}

/// The layout being read.
enum Layout<'p> {
    Csv {
        input: Box<CsvInput<'p>>,
        columns: CsvColumns,
        record: csv::StringRecord,
    },
    Cdnow {
        input: BufReader<Opened>,
        seen_content: bool,
        line_no: u64,
        chunk: Vec<u8>,
    },
}

/// A transaction file read a chunk of rows at a time, so that a caller's memory does not
/// grow with the file (see [`TransactionStream::next_chunk`]).
pub struct TransactionStream<'p> {
    path: &'p Path,
    layout: Layout<'p>,
    currency: Currency,
    rows: u64,
    done: bool,
    /// Whether [`read_all`](Self::read_all) refuses a second currency (unless rates convert
    /// the rows afterwards).
    one_currency: bool,
}

impl<'p> TransactionStream<'p> {
    /// A stream over an opened input in the given layout; a CSV header is read and checked
    /// here.
    pub(crate) fn open(
        path: &'p Path,
        opened: Opened,
        format: TransactionFormat,
        default_currency: Currency,
    ) -> CliResult<Self> {
        match format {
            TransactionFormat::Csv => Self::csv(path, opened, default_currency),
            TransactionFormat::Cdnow => Ok(Self::cdnow(path, opened, default_currency)),
        }
    }

    fn csv(path: &'p Path, opened: Opened, currency: Currency) -> CliResult<Self> {
        let mut input = CsvInput::new(path, opened, HEADER);
        let header = input.header()?;
        let columns = CsvColumns::of(&header).ok_or_else(|| wrong_header(path, &header, HEADER))?;
        Ok(Self {
            path,
            layout: Layout::Csv {
                input: Box::new(input),
                columns,
                record: csv::StringRecord::new(),
            },
            currency,
            rows: 0,
            done: false,
            one_currency: true,
        })
    }

    fn cdnow(path: &'p Path, opened: Opened, currency: Currency) -> Self {
        Self {
            path,
            layout: Layout::Cdnow {
                input: BufReader::with_capacity(1 << 16, opened),
                seen_content: false,
                line_no: 0,
                chunk: Vec::new(),
            },
            currency,
            rows: 0,
            done: false,
            one_currency: true,
        }
    }

    /// The stream with a second currency let through [`read_all`](Self::read_all) (for
    /// rows that are converted afterwards).
    pub(crate) fn any_currency(mut self) -> Self {
        self.one_currency = false;
        self
    }

    /// Every remaining row.
    ///
    /// The rows are for an analysis, which sums amounts: a row in another currency than the
    /// first row's is an error naming its line (an import keeps each row's currency and
    /// reads with [`next_chunk`](Self::next_chunk)).
    pub(crate) fn read_all(mut self) -> CliResult<Vec<TransactionRow>> {
        let mut rows: Vec<TransactionRow> = Vec::new();
        loop {
            let chunk = self.next_chunk(1 << 16)?;
            if chunk.is_empty() {
                return Ok(rows);
            }
            if self.one_currency
                && let Some(first) = rows.first().or(chunk.first())
                && let Some(other) = chunk.iter().find(|r| r.currency != first.currency)
            {
                let column = match &self.layout {
                    Layout::Csv { columns, .. } => {
                        columns.currency.map_or(columns.amount + 1, |c| c + 1)
                    }
                    Layout::Cdnow { .. } => 3,
                };
                return Err(InputError::field(
                    self.path,
                    other.line,
                    column,
                    "currency",
                    format!(
                        "{} as on line {} (an analysis sums amounts in one currency: convert \
                         the file, or analyse each currency apart)",
                        first.currency.code(),
                        first.line
                    ),
                    other.currency.code(),
                )
                .into());
            }
            rows.extend(chunk);
        }
    }

    /// The next rows, at most `max` (at least one unless the file has ended: an empty
    /// chunk means the end). A file without any row is an error at its end, as is the
    /// first bad row.
    pub fn next_chunk(&mut self, max: usize) -> CliResult<Vec<TransactionRow>> {
        let mut rows = Vec::new();
        if self.done {
            return Ok(rows);
        }
        let (path, currency) = (self.path, self.currency);
        match &mut self.layout {
            Layout::Csv {
                input,
                columns,
                record,
            } => {
                while rows.len() < max {
                    match input.next(record)? {
                        Some(line) => match csv_row(path, line, record, columns, currency) {
                            Ok(row) => rows.push(row),
                            Err(e) => rejects::refuse(line, e)?,
                        },
                        None => {
                            self.done = true;
                            break;
                        }
                    }
                }
                if self.done && self.rows == 0 {
                    require_rows(path, &rows, HEADER)?;
                }
            }
            Layout::Cdnow {
                input,
                seen_content,
                line_no,
                chunk,
            } => {
                while rows.len() < max {
                    // A chunk ends at `\n` (or the end of the file); a `\r` before that
                    // `\n` belongs to it, and any other `\r` in it ends a line of its own.
                    chunk.clear();
                    let n = input
                        .read_until(b'\n', chunk)
                        .map_err(|source| CliError::Read {
                            path: path.to_path_buf(),
                            source,
                        })?;
                    if n == 0 {
                        self.done = true;
                        break;
                    }
                    let body = chunk.strip_suffix(b"\n").unwrap_or(chunk);
                    let body = body.strip_suffix(b"\r").unwrap_or(body);
                    for piece in body.split(|&b| b == b'\r') {
                        *line_no += 1;
                        let read = std::str::from_utf8(piece)
                            .map_err(|_| InputError::line(path, *line_no, "UTF-8 text").into())
                            .and_then(|text| {
                                cdnow_line(path, *line_no, text, currency, seen_content, &mut rows)
                            });
                        if let Err(e) = read {
                            let raw = String::from_utf8_lossy(piece).into_owned();
                            rejects::refuse_with(*line_no, e, Some(raw))?;
                        }
                    }
                }
                if self.done && self.rows == 0 && rows.is_empty() {
                    return Err(InputError::file(
                        path,
                        format!("at least one purchase line `{CDNOW_EXPECTED}`"),
                    )
                    .with_found(if *seen_content {
                        "no purchase lines"
                    } else {
                        "an empty file"
                    })
                    .into());
                }
            }
        }
        self.rows += rows.len() as u64;
        Ok(rows)
    }
}

/// One row of a transaction CSV file.
fn csv_row(
    path: &Path,
    line: u64,
    record: &csv::StringRecord,
    columns: &CsvColumns,
    default_currency: Currency,
) -> CliResult<TransactionRow> {
    let (c, t, a) = (columns.customer, columns.timestamp, columns.amount);
    require_customer_id(path, line, c + 1, &record[c])?;
    let customer_id = record[c].to_string();
    let timestamp = timestamp_field(path, line, (t + 1, "timestamp"), &record[t])?;
    let amount = Decimal::from_str_exact(&record[a]).map_err(|_| {
        InputError::field(
            path,
            line,
            a + 1,
            "amount",
            amount_expected("12.50", &record[a]),
            &record[a],
        )
    })?;
    let currency = match columns.currency {
        Some(c) if !record[c].is_empty() => parse_currency(&record[c]).map_err(|_| {
            InputError::field(
                path,
                line,
                c + 1,
                "currency",
                "an ISO 4217 currency code such as EUR",
                &record[c],
            )
        })?,
        _ => default_currency,
    };
    let transaction_id = columns
        .id
        .map(|c| record[c].to_string())
        .filter(|s| !s.is_empty());
    Ok(TransactionRow {
        customer_id,
        timestamp,
        amount,
        currency,
        transaction_id,
        quantity: None,
        line,
    })
}

/// Reads one line of the CDNOW layout into `rows` (a blank line or the header adds none).
fn cdnow_line(
    path: &Path,
    line_no: u64,
    text: &str,
    currency: Currency,
    seen_content: &mut bool,
    rows: &mut Vec<TransactionRow>,
) -> CliResult<()> {
    let fields: Vec<&str> = text.split_whitespace().collect();
    if fields.is_empty() {
        return Ok(());
    }
    let first_content = !*seen_content;
    *seen_content = true;
    if first_content && fields.iter().all(|f| f.parse::<f64>().is_err()) {
        return Ok(()); // a header line
    }
    require_customer_id(path, line_no, 1, fields[0])?;
    let (date_col, cds_col, dollars_col) = match fields.len() {
        4 => (1, 2, 3),
        5 => (2, 3, 4),
        n => {
            return Err(InputError::line(
                path,
                line_no,
                format!("4 whitespace-separated fields `{CDNOW_EXPECTED}` (or 5 with a sample id)"),
            )
            .with_found(format!("{n} fields"))
            .into());
        }
    };
    let date_text = fields[date_col];
    let bad_date = || {
        InputError::field(
            path,
            line_no,
            date_col + 1,
            "date",
            "a date as YYYYMMDD",
            date_text,
        )
    };
    let date = NaiveDate::parse_from_str(date_text, "%Y%m%d")
        .ok()
        .filter(|_| date_text.len() == 8)
        .ok_or_else(bad_date)?;
    let cds = fields[cds_col].parse::<u64>().map_err(|_| {
        InputError::field(
            path,
            line_no,
            cds_col + 1,
            "cds",
            "a whole number of CDs",
            fields[cds_col],
        )
    })?;
    let amount = Decimal::from_str_exact(fields[dollars_col]).map_err(|_| {
        InputError::field(
            path,
            line_no,
            dollars_col + 1,
            "dollars",
            amount_expected("12.50", fields[dollars_col]),
            fields[dollars_col],
        )
    })?;
    let timestamp = date
        .and_hms_opt(0, 0, 0)
        .map(|t| t.and_utc())
        .ok_or_else(bad_date)?;
    rows.push(TransactionRow {
        customer_id: fields[0].to_string(),
        timestamp,
        amount,
        currency,
        transaction_id: None,
        quantity: Some(Decimal::from(cds)),
        line: line_no,
    });
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn file(content: &str) -> tempfile::NamedTempFile {
        crate::input::temp_file(content.as_bytes())
    }

    fn err(content: &str) -> String {
        let f = file(content);
        read_csv(f.path(), Currency::USD)
            .expect_err("must fail")
            .to_string()
    }

    #[test]
    fn reads_all_header_forms() {
        let f =
            file("customer_id,timestamp,amount\nc1,2024-01-02,10.50\nc2,2024-01-03T12:00:00Z,-3\n");
        let rows = read_csv(f.path(), Currency::USD).expect("reads");
        assert_eq!(rows.len(), 2);
        assert_eq!(rows[0].amount, Decimal::new(1050, 2));
        assert_eq!(rows[1].amount, Decimal::from(-3));
        assert_eq!(rows[1].line, 3);
        let f =
            file("customer_id,timestamp,amount,currency,transaction_id\nc1,2024-01-02,10,eur,t1\n");
        let rows = read_csv(f.path(), Currency::USD).expect("reads");
        assert_eq!(rows[0].currency, Currency::EUR);
        assert_eq!(rows[0].transaction_id.as_deref(), Some("t1"));
        let f = file("customer_id,timestamp,amount,transaction_id\nc1,2024-01-02,10,t9\n");
        assert_eq!(
            read_csv(f.path(), Currency::USD).expect("reads")[0]
                .transaction_id
                .as_deref(),
            Some("t9")
        );
    }

    #[test]
    fn each_bad_field_is_named() {
        assert!(err("").contains("found \"an empty file\""));
        assert!(err("customer,timestamp,amount\n").contains("line 1"));
        let e = err("customer_id,timestamp,amount\nc1,2024-02-30,1\n");
        assert!(e.contains("line 2, column 2 (timestamp)"), "{e}");
        let e = err("customer_id,timestamp,amount\nc1,2024-02-03,1\nc1,2024-02-03,x1\n");
        assert!(e.contains("line 3, column 3 (amount)"), "{e}");
        let e = err("customer_id,timestamp,amount\nc1,2024-02-03\n");
        assert!(
            e.contains("line 2") && e.contains("3 comma-separated fields"),
            "{e}"
        );
        let e = err("customer_id,timestamp,amount,currency\nc1,2024-02-03,1,EURO\n");
        assert!(e.contains("column 4 (currency)"), "{e}");
        let e = err("customer_id,timestamp,amount\n");
        assert!(e.contains("at least one data row"), "{e}");
    }

    #[test]
    fn cdnow_with_and_without_header_and_sample_id() {
        let f = file(
            "customer_id date cds dollars\n00001 19970101 1 11.77\n\n00002 19970112 2 20.00\n",
        );
        let rows = read_cdnow(f.path(), Currency::USD).expect("reads");
        assert_eq!(rows.len(), 2);
        assert_eq!(rows[1].line, 4);
        let f = file(" 00004 0001 19970101  2   29.33\n");
        let rows = read_cdnow(f.path(), Currency::USD).expect("reads");
        assert_eq!(rows[0].customer_id, "00004");
        assert_eq!(rows[0].amount, Decimal::new(2933, 2));
        let f = file("00001 19971301 1 11.77\n");
        let e = read_cdnow(f.path(), Currency::USD)
            .expect_err("bad date")
            .to_string();
        assert!(e.contains("line 1, column 2 (date)"), "{e}");
    }
}
