//! One module per command; each turns parsed arguments into reads, library calls and writes.

use crate::cli::{Cli, Command};
use crate::error::{CliError, CliResult};

/// Runs a parsed command line.
pub fn run(cli: Cli) -> CliResult<()> {
    match cli.command {
        other => Err(CliError::Usage(format!(
            "{other:?}: not available in this build"
        ))),
    }
}
