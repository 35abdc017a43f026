//! Currency rates (`--currency-rates FILE`): a CSV `currency,rate` in which one unit of
//! `currency` is worth `rate` units of the analysis currency (`--currency`), so an analysis
//! can sum amounts in several currencies. Conversion is an exact decimal multiplication.

use std::collections::HashMap;
use std::path::{Path, PathBuf};
use std::sync::Arc;

use crm_core::{Currency, Money, parse_currency};
use crm_segmentation::CurrencyConversion;
use rust_decimal::Decimal;

use super::transactions::{TransactionRow, TransactionStream, default_currency_option};
use super::{CsvInput, open_input, wrong_header};
use crate::error::{CliError, CliResult, InputError};
use crate::input::transactions::TransactionFormat;

/// The header of a rates file.
pub const HEADER: &str = "currency,rate";

/// Rates into one target currency.
#[derive(Debug, Clone)]
pub struct Rates {
    /// The currency every amount is converted into.
    pub target: Currency,
    rates: Arc<HashMap<Currency, Decimal>>,
    path: PathBuf,
}

impl Rates {
    /// `amount` in `from`, converted into the target currency; `Err` says why not.
    pub fn convert(&self, amount: Decimal, from: Currency) -> Result<Decimal, String> {
        if from == self.target {
            return Ok(amount);
        }
        let rate = self.rates.get(&from).ok_or_else(|| {
            format!(
                "a currency with a rate in {} (none for {})",
                self.path.display(),
                from.code()
            )
        })?;
        amount.checked_mul(*rate).ok_or_else(|| {
            format!(
                "an amount whose value in {} fits a decimal",
                self.target.code()
            )
        })
    }

    /// The conversion the segmentation library applies (to each customer's totals).
    pub fn conversion(&self) -> CurrencyConversion {
        let rates = self.rates.clone();
        let target = self.target;
        CurrencyConversion::new(target, move |m: &Money| {
            if m.currency() == target {
                return Some(m.amount());
            }
            rates
                .get(&m.currency())
                .and_then(|r| m.amount().checked_mul(*r))
        })
    }

    /// Converts rows read from `path` (their lines named in errors), or from a database
    /// (`path` `None`: the customer is named), into the target currency.
    pub fn convert_rows(&self, rows: &mut [TransactionRow], path: Option<&Path>) -> CliResult<()> {
        for r in rows {
            match self.convert(r.amount, r.currency) {
                Ok(v) => {
                    r.amount = v;
                    r.currency = self.target;
                }
                Err(expected) => {
                    return Err(match path {
                        Some(p) => InputError {
                            line: Some(r.line),
                            field: Some("currency".into()),
                            found: Some(r.currency.code().to_string()),
                            ..InputError::file(p, expected)
                        }
                        .into(),
                        None => CliError::Usage(format!(
                            "customer {}: an amount in {}; expected {expected}",
                            r.customer_id,
                            r.currency.code()
                        )),
                    });
                }
            }
        }
        Ok(())
    }
}

/// Reads a transaction file in the given layout with its amounts converted by `rates`
/// into their target currency (a row in a currency without a rate is an error naming its
/// line).
pub fn read_converted(
    path: &Path,
    format: TransactionFormat,
    default_currency: &str,
    rates: &Rates,
) -> CliResult<Vec<TransactionRow>> {
    let currency = default_currency_option(default_currency)?;
    let mut rows = TransactionStream::open(path, open_input(path)?, format, currency)?
        .any_currency()
        .read_all()?;
    rates.convert_rows(&mut rows, Some(path))?;
    Ok(rows)
}

/// Reads a rates file into `target`; the target's own rate, if listed, must be 1.
pub fn read(path: &Path, target: Currency) -> CliResult<Rates> {
    let mut input = CsvInput::open(path, HEADER)?;
    let header = input.header()?;
    if header.len() != 2 || header[0] != "currency" || header[1] != "rate" {
        return Err(wrong_header(path, &header, HEADER));
    }
    let mut rates = HashMap::new();
    let mut record = csv::StringRecord::new();
    while let Some(line) = input.next(&mut record)? {
        let code = record[0].trim();
        let currency = parse_currency(code).map_err(|_| {
            InputError::field(
                path,
                line,
                1,
                "currency",
                "an ISO 4217 code such as EUR",
                code,
            )
        })?;
        let text = record[1].trim();
        let rate = Decimal::from_str_exact(text)
            .ok()
            .filter(|r| *r > Decimal::ZERO)
            .filter(|r| currency != target || *r == Decimal::ONE)
            .ok_or_else(|| {
                let expected = if currency == target {
                    format!("1 (the rate of {} into itself)", target.code())
                } else {
                    "a decimal number above 0 such as 1.0842".to_string()
                };
                InputError::field(path, line, 2, "rate", expected, text)
            })?;
        if rates.insert(currency, rate).is_some() {
            return Err(
                InputError::field(path, line, 1, "currency", "each currency once", code).into(),
            );
        }
    }
    Ok(Rates {
        target,
        rates: Arc::new(rates),
        path: path.to_path_buf(),
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::input::temp_file;
    use proptest::prelude::*;

    #[test]
    fn rates_convert_exactly_and_refuse_what_they_cannot() {
        let f = temp_file(b"currency,rate\nEUR,1.0842\nGBP,1.27\nUSD,1\n");
        let r = read(f.path(), Currency::USD).unwrap();
        assert_eq!(
            r.convert(Decimal::new(1000, 2), Currency::EUR),
            Ok(Decimal::new(108_420, 4))
        );
        assert_eq!(
            r.convert(Decimal::new(5, 0), Currency::USD),
            Ok(Decimal::new(5, 0))
        );
        assert!(
            r.convert(Decimal::ONE, Currency::JPY)
                .unwrap_err()
                .contains("none for JPY")
        );
        assert!(r.convert(Decimal::MAX, Currency::EUR).is_err());
        for (bad, what) in [
            ("currency,rate\nEUR,0\n", "column 2"),
            ("currency,rate\nEUR,abc\n", "column 2"),
            ("currency,rate\nXXXX,1\n", "column 1"),
            ("currency,rate\nEUR,1\nEUR,2\n", "line 3"),
            ("currency,rate\nUSD,2\n", "column 2"),
            ("code,rate\nEUR,1\n", "line 1"),
        ] {
            let f = temp_file(bad.as_bytes());
            let e = read(f.path(), Currency::USD).unwrap_err().to_string();
            assert!(e.contains(what), "{bad}: {e}");
        }
    }

    proptest! {
        #[test]
        fn reading_never_panics(text in "[A-Za-z0-9,.\\-\n ]{0,120}") {
            let f = temp_file(format!("currency,rate\n{text}").as_bytes());
            let _ = read(f.path(), Currency::USD);
        }
    }
}
