//! Reading analysis inputs from a `crm` SQLite database through the storage traits.

use std::path::Path;

use crate::commands::survey::Scored;
use crate::error::{CliError, CliResult};

/// Survey responses of one kind (`NPS`, `CSAT`, `CES`) from a database.
pub fn load_responses(db: &Path, _survey: &str) -> CliResult<Vec<Scored>> {
    Err(CliError::storage(
        db,
        "this build cannot read databases yet",
    ))
}

/// Every transaction in a database.
pub fn load_transactions(db: &Path) -> CliResult<Vec<crate::input::transactions::TransactionRow>> {
    Err(CliError::storage(
        db,
        "this build cannot read databases yet",
    ))
}
