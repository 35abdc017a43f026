//! The arguments of `crm sales`.

use std::path::PathBuf;

use clap::{Args, ValueEnum};

use super::{InputArgs, OutputArgs};

pub(crate) const SALES_HELP: &str = "\
Per period (and per owner with --by owner): the deals opened, the deals that entered each
stage, stage-to-stage conversion and time in stage, the deals won and lost in the period
with the win rate, the average won deal, the average sales cycle and the pipeline velocity
(open deals × win rate × average deal ÷ cycle days), and the owner's activity from the
interactions (calls, meetings, e-mails). Each deal's path is read from its record, as in
`crm funnel`.

--targets reads quotas as CSV with the header
  owner,period_start,period_end,target[,currency]
(days as YYYY-MM-DD, both included) and adds, per quota, the value won to --as-of, the
attainment, the open pipeline weighted by stage, its coverage of the remaining target and
the forecast of the period's closed value (won plus weighted pipeline).";

/// How `crm sales` groups.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum SalesBy {
    /// One row per owner and period.
    Owner,
}

/// The length of the periods of `crm sales`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum SalesPeriodArg {
    /// Calendar months.
    Month,
    /// Calendar quarters.
    Quarter,
    /// Calendar years.
    Year,
}

/// `crm sales`.
#[derive(Debug, Clone, Args)]
pub struct SalesArgs {
    /// Database written by `crm import` or `crm demo`: a SQLite file or a `postgres://`
    /// URL (read only).
    #[arg(long, value_name = "PATH", conflicts_with_all = ["deals", "interactions"])]
    pub db: Option<PathBuf>,
    /// Deals file (columns as in `crm import --help`).
    #[arg(long, value_name = "FILE")]
    pub deals: Option<PathBuf>,
    /// Interactions file: each owner's activity (columns as in `crm import --help`).
    #[arg(long, value_name = "FILE")]
    pub interactions: Option<PathBuf>,
    /// Quotas per owner and period (header in `crm sales --help`).
    #[arg(long, value_name = "FILE")]
    pub targets: Option<PathBuf>,
    /// Group by owner (default: the whole team).
    #[arg(long, value_enum)]
    pub by: Option<SalesBy>,
    /// The length of the periods.
    #[arg(long, value_enum, default_value_t = SalesPeriodArg::Quarter)]
    pub period: SalesPeriodArg,
    /// The day of the figures (`YYYY-MM-DD` or RFC 3339): the last period ends with it;
    /// default: the latest deal event or interaction.
    #[arg(long, value_name = "DATE")]
    pub as_of: Option<String>,
    /// Currency of amounts in files without a `currency` column.
    #[arg(long, default_value = "USD")]
    pub currency: String,
    #[command(flatten)]
    #[allow(missing_docs)]
    pub read: InputArgs,
    #[command(flatten)]
    #[allow(missing_docs)]
    pub out: OutputArgs,
}
