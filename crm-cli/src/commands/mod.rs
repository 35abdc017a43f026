//! One module per command; each turns parsed arguments into reads, library calls and writes.

pub mod bgbb;
pub mod campaign;
pub mod churn;
pub mod cohorts;
pub mod database;
pub mod dedupe;
pub mod engagement;
pub mod import;
pub mod lifecycle;
pub mod loyalty;
pub mod models;
pub mod pipeline;
pub mod report;
pub mod retention;
pub mod sales;
pub mod scored;
pub mod segment;
pub mod source;
pub mod stewardship;
pub mod survey;

use crate::cli::{ChurnCommand, ChurnModelKind, Cli, Command, RetentionCommand};
use crate::error::CliResult;

/// Runs a parsed command line.
pub fn run(cli: Cli) -> CliResult<()> {
    if let Some(read) = cli.command.input_args() {
        crate::input::options::set(read.options());
    }
    match cli.command {
        Command::Rfm(args) => segment::run_rfm(&args),
        Command::Abc(args) => segment::run_abc(&args),
        Command::Tiers(args) => segment::run_tiers(&args),
        Command::Migration(args) => segment::run_migration(&args),
        Command::Funnel(args) => pipeline::funnel(&args),
        Command::Sla(args) => pipeline::sla(&args),
        Command::Cohorts(args) => cohorts::run(&args),
        Command::Demo(args) => crate::demo::run::run(&args),
        Command::Lifecycle(command) => lifecycle::run(&command),
        Command::Retention(RetentionCommand::Fit(args)) => match &args.subscriptions {
            Some(path) => retention::fit(&args, path),
            None => churn::retention_fit(&args),
        },
        Command::Churn(command) => {
            // The discrete-time model reads other summaries and reports other quantities.
            let (args, horizon) = match &command {
                ChurnCommand::Fit(a) => (a, None),
                ChurnCommand::Score(s) => (&s.fit, Some(s.horizon)),
            };
            if args.model == ChurnModelKind::Bgbb {
                bgbb::run(args, horizon)
            } else {
                churn::churn(&command)
            }
        }
        Command::Clv(command) => churn::clv(&command),
        Command::Nps(args) => survey::nps(&args),
        Command::Csat(args) => survey::csat(&args),
        Command::Ces(args) => survey::ces(&args),
        Command::Import(args) => import::run(&args),
        Command::Report(args) => report::run(&args),
        Command::Erase(args) => stewardship::erase(&args),
        Command::Reassign(args) => stewardship::reassign(&args),
        Command::Dedupe(args) => dedupe::dedupe(&args),
        Command::Merge(args) => dedupe::merge(&args),
        Command::Followups(args) => engagement::followups(&args),
        Command::Care(args) => engagement::care(&args),
        Command::Contacts(args) => engagement::contacts(&args),
        Command::Loyalty(command) => loyalty::run(&command),
        Command::Campaign(command) => campaign::run(&command),
        Command::Sales(args) => sales::run(&args),
        Command::Upgrade(args) => stewardship::upgrade(&args),
        Command::Completions(args) => stewardship::completions(&args),
    }
}
