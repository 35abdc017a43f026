//! Loading transactions from a file or a database.

use crate::cli::{TransactionOptions, TransactionSource};
use crate::error::{CliError, CliResult};
use crate::input::transactions::{self, TransactionRow};

/// Transactions from `--transactions FILE` or `--db PATH`.
pub fn load_transactions(
    source: &TransactionSource,
    options: &TransactionOptions,
) -> CliResult<Vec<TransactionRow>> {
    match (&source.transactions, &source.db) {
        (Some(path), _) => transactions::read(path, options.format, &options.currency),
        (None, Some(db)) => crate::commands::database::load_transactions(db),
        (None, None) => Err(CliError::Usage(
            "give --transactions FILE or --db PATH".into(),
        )),
    }
}
