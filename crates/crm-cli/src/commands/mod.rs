//! One module per command; each turns parsed arguments into reads, library calls and writes.

pub mod database;
pub mod lifecycle;
pub mod segment;
pub mod source;
pub mod survey;

use crate::cli::{Cli, Command};
use crate::error::{CliError, CliResult};

/// Runs a parsed command line.
pub fn run(cli: Cli) -> CliResult<()> {
    match cli.command {
        Command::Rfm(args) => segment::run_rfm(&args),
        Command::Abc(args) => segment::run_abc(&args),
        Command::Demo(args) => crate::demo::run::run(&args),
        Command::Lifecycle(command) => lifecycle::run(&command),
        Command::Nps(args) => survey::nps(&args),
        Command::Csat(args) => survey::csat(&args),
        Command::Ces(args) => survey::ces(&args),
        other => Err(CliError::Usage(format!(
            "{other:?}: not available in this build"
        ))),
    }
}
