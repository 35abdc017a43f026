//! The `crm` command line: a demo of the whole workspace (`crm demo`) and every analysis on
//! CSV files or a SQLite database, with CSV/JSON output and an HTML report with charts.
//!
//! Exit status: `0` success, `1` failure while running, `2` wrong usage, `3` malformed input
//! file, `4` invalid state machine (see [`error`]).

mod cli;
mod commands;
mod demo;
mod error;
mod ids;
mod input;
mod output;
mod progress;
mod report;

use clap::Parser;

use crate::error::EXIT_FAILURE;

fn main() {
    // A bug must never show a Rust panic message or backtrace to the user: print one line
    // and exit with the failure status instead.
    std::panic::set_hook(Box::new(|info| {
        let message = info
            .payload()
            .downcast_ref::<&str>()
            .map(|s| (*s).to_string())
            .or_else(|| info.payload().downcast_ref::<String>().cloned())
            .unwrap_or_else(|| "unknown cause".into());
        eprintln!("crm: internal error: {message} (please report this)");
        std::process::exit(EXIT_FAILURE);
    }));
    let cli = match cli::Cli::try_parse() {
        Ok(cli) => cli,
        Err(e) => {
            let _ = e.print();
            std::process::exit(e.exit_code());
        }
    };
    if let Err(e) = commands::run(cli) {
        eprintln!("crm: error: {e}");
        std::process::exit(e.exit_code());
    }
}
