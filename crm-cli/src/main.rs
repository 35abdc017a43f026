//! The `crm` command line: a demo of the whole workspace (`crm demo`) and every analysis on
//! CSV files or a SQLite database, with CSV/JSON output and an HTML report with charts.
//!
//! Exit status: `0` success, `1` failure while running, `2` wrong usage, `3` malformed input
//! file, `4` invalid state machine, `141` standard output closed by its reader (see
//! [`error`]).

mod cli;
mod commands;
mod demo;
mod error;
mod ids;
mod input;
mod output;
mod progress;
mod report;

use std::io::Write;

use clap::Parser;

use crate::error::{EXIT_BROKEN_PIPE, EXIT_FAILURE};

fn main() {
    // A bug must never show a Rust panic message or backtrace to the user: print one line
    // and exit with the failure status instead. Output cut short by the reader (`crm ... |
    // head`) ends the process quietly, as a pipe's writer does. Data output is written with
    // `output::out!`/`outln!`, which return errors; the check on printing panics only
    // covers a `println!` left elsewhere.
    std::panic::set_hook(Box::new(|info| {
        let message = info
            .payload()
            .downcast_ref::<&str>()
            .map(|s| (*s).to_string())
            .or_else(|| info.payload().downcast_ref::<String>().cloned())
            .unwrap_or_else(|| "unknown cause".into());
        if message.starts_with("failed printing to std") {
            if message.contains("Broken pipe") {
                std::process::exit(EXIT_BROKEN_PIPE);
            }
            let _ = writeln!(std::io::stderr(), "crm: error: {message}");
            std::process::exit(EXIT_FAILURE);
        }
        let _ = writeln!(
            std::io::stderr(),
            "crm: internal error: {message} (please report this)"
        );
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
        if e.is_broken_pipe() {
            std::process::exit(EXIT_BROKEN_PIPE);
        }
        let _ = writeln!(std::io::stderr(), "crm: error: {e}");
        std::process::exit(e.exit_code());
    }
}
