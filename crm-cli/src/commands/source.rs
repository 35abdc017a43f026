//! Loading transactions from a file or a database.

use crate::cli::{TransactionOptions, TransactionSource};
use crate::error::{CliError, CliResult};
use crate::input::transactions::{self, TransactionRow};

/// Transactions from `--transactions FILE` or `--db PATH`.
pub fn load_transactions(
    source: &TransactionSource,
    options: &TransactionOptions,
) -> CliResult<Vec<TransactionRow>> {
    let rates = rates_of(options)?;
    match (&source.transactions, &source.db, &rates) {
        (Some(path), _, Some(rates)) => {
            crate::input::rates::read_converted(path, options.format, &options.currency, rates)
        }
        (Some(path), _, None) => transactions::read(path, options.format, &options.currency),
        (None, Some(db), rates) => {
            let mut rows = crate::commands::database::load_transactions(db)?;
            if let Some(rates) = rates {
                rates.convert_rows(&mut rows, None)?;
            }
            Ok(rows)
        }
        (None, None, _) => Err(CliError::Usage(
            "give --transactions FILE or --db PATH".into(),
        )),
    }
}

/// The rates of `--currency-rates`, into `--currency`, when given.
pub fn rates_of(options: &TransactionOptions) -> CliResult<Option<crate::input::rates::Rates>> {
    options
        .currency_rates
        .as_deref()
        .map(|path| {
            let target = transactions::default_currency_option(&options.currency)?;
            crate::input::rates::read(path, target)
        })
        .transpose()
}
