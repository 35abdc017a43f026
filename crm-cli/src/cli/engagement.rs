//! The arguments of the keeping-in-touch commands: `crm followups`, `crm care`,
//! `crm contacts` and `crm loyalty`.

use std::path::PathBuf;

use clap::{Args, Subcommand, ValueEnum};

use super::{InputArgs, OutputArgs};

pub(crate) const FOLLOWUPS_HELP: &str = "\
Without --policy every customer is checked against this policy (the same TOML a --policy
file holds; JSON works too):

  [[rules]]
  name = \"a-class\"
  match = { abc_classes = [\"A\"] }
  max_interval_days = 30
  channels = [\"phone\", \"email\", \"messaging\", \"sms\"]

  [[rules]]
  name = \"b-class\"
  match = { abc_classes = [\"B\"] }
  max_interval_days = 60
  channels = [\"email\", \"phone\", \"messaging\", \"sms\"]

  [default]
  name = \"everyone\"
  max_interval_days = 90
  channels = [\"email\", \"messaging\", \"sms\", \"post\"]

A rule may also match `value_tiers` (high-value, potential, regular), `rfm_segments`
(the names `crm rfm` prints), `lifecycle_stages` and `tags`, and say which interactions
count: `counts = { directions = [\"outbound\"], channels = [\"phone\"], outcomes = [...] }`
(default: every interaction). ABC classes, tiers and segments are computed from the
transactions; without transactions only stage and tag rules can match.

A customer is due when their last counting contact is more calendar days back than the
rule's interval, or when they were never contacted. The channel suggested is the rule's
channel with marketing consent on which the customer answered last (ties in the rule's
order); customers with consent on none of the rule's channels are listed apart, without a
channel.";

pub(crate) const CARE_HELP: &str = "\
Birthdays (29 February falls on 28 February in other years), anniversaries of the first
purchase (from the transactions) and of registration, and the holidays of --calendar, a
TOML (or JSON) file such as:

  [[fixed]]
  name = \"New Year\"
  month = 1
  day = 1

  [[dated]]
  name = \"Spring Festival\"
  dates = [\"2025-01-29\", \"2026-02-17\", \"2027-02-06\"]

Dates are the customer's local dates when the customer record has a time zone.";

pub(crate) const LOYALTY_HELP: &str = "\
Loyalty event files have the header
  event_id,customer_id,timestamp,kind,points[,reason][,transaction_id]
where kind is earn, redeem, adjust or expire and points is the change to the balance
(earned points positive, redeemed and expired points negative). Without --programme the
programme is: 1 point per unit of --currency, each point worth 0.01, no expiry, no tiers.
A programme file (TOML or JSON) sets points per unit, tier and category multipliers,
bonuses, expiry after N months (oldest points first) and tiers.";

/// Customers and their activity, from a database or from files.
#[derive(Debug, Clone, Args)]
pub struct ActivitySource {
    /// Database written by `crm import` or `crm demo`: a SQLite file or a `postgres://`
    /// URL (read only).
    #[arg(long, value_name = "PATH", conflicts_with_all = ["customers", "interactions", "transactions"])]
    pub db: Option<PathBuf>,
    /// Customers file (columns as in `crm import --help`).
    #[arg(long, value_name = "FILE")]
    pub customers: Option<PathBuf>,
    /// Interactions file (columns as in `crm import --help`).
    #[arg(long, value_name = "FILE")]
    pub interactions: Option<PathBuf>,
    /// Transactions file: ABC classes, value tiers, RFM segments and first purchases.
    #[arg(long, value_name = "FILE")]
    pub transactions: Option<PathBuf>,
    /// Currency of amounts in files without a `currency` column.
    #[arg(long, default_value = "USD")]
    pub currency: String,
    #[command(flatten)]
    #[allow(missing_docs)]
    pub read: InputArgs,
}

/// `crm followups`.
#[derive(Debug, Clone, Args)]
pub struct FollowupsArgs {
    #[command(flatten)]
    #[allow(missing_docs)]
    pub source: ActivitySource,
    /// Cadence policy file (TOML, or JSON by a `.json` name); default: see below.
    #[arg(long, value_name = "FILE")]
    pub policy: Option<PathBuf>,
    /// The day of the check (`YYYY-MM-DD` or RFC 3339); default: the latest interaction or
    /// transaction, or now when there is none.
    #[arg(long, value_name = "DATE")]
    pub as_of: Option<String>,
    /// Only the customers of this owner.
    #[arg(long, value_name = "OWNER")]
    pub owner: Option<String>,
    /// Customers listed in the text output (every one is in `--output` and `--json`).
    #[arg(long, default_value_t = 20)]
    pub limit: usize,
    #[command(flatten)]
    #[allow(missing_docs)]
    pub out: OutputArgs,
}

/// `crm care`.
#[derive(Debug, Clone, Args)]
pub struct CareArgs {
    #[command(flatten)]
    #[allow(missing_docs)]
    pub source: ActivitySource,
    /// Holiday calendar file (TOML, or JSON by a `.json` name); default: no holidays.
    #[arg(long, value_name = "FILE")]
    pub calendar: Option<PathBuf>,
    /// Days ahead, today included (0: today only).
    #[arg(long, default_value_t = 14, value_parser = clap::value_parser!(u32).range(0..=3660))]
    pub days: u32,
    /// The first day (`YYYY-MM-DD` or RFC 3339); default: now.
    #[arg(long, value_name = "DATE")]
    pub as_of: Option<String>,
    /// Only the customers of this owner.
    #[arg(long, value_name = "OWNER")]
    pub owner: Option<String>,
    /// Reminders listed per owner in the text output (every one is in `--output` and
    /// `--json`).
    #[arg(long, default_value_t = 20)]
    pub limit: usize,
    #[command(flatten)]
    #[allow(missing_docs)]
    pub out: OutputArgs,
}

/// The period of communication analytics on the command line.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum ContactPeriodArg {
    /// UTC days.
    Day,
    /// ISO weeks, from Monday.
    Week,
    /// Calendar months.
    Month,
}

/// `crm contacts`.
#[derive(Debug, Clone, Args)]
pub struct ContactsArgs {
    #[command(flatten)]
    #[allow(missing_docs)]
    pub source: ActivitySource,
    /// The period contacts are counted in.
    #[arg(long, value_enum, default_value_t = ContactPeriodArg::Month)]
    pub period: ContactPeriodArg,
    /// Cadence policy for the share of customers contacted within their cadence (as in
    /// `crm followups`).
    #[arg(long, value_name = "FILE")]
    pub policy: Option<PathBuf>,
    /// The day of the cadence check; default: the latest interaction or transaction.
    #[arg(long, value_name = "DATE")]
    pub as_of: Option<String>,
    /// Lower bounds of the contact-count buckets of the repeat-purchase rate.
    #[arg(long, value_delimiter = ',', default_value = "0,1,3,6,11")]
    pub buckets: Vec<u64>,
    #[command(flatten)]
    #[allow(missing_docs)]
    pub out: OutputArgs,
}

/// The loyalty programme.
#[derive(Debug, Clone, Args)]
pub struct ProgrammeArgs {
    /// Programme file (TOML, or JSON by a `.json` name); default: see `crm loyalty --help`.
    #[arg(long, value_name = "FILE")]
    pub programme: Option<PathBuf>,
    /// The programme's currency when no programme file is given, and the currency of
    /// amounts in transaction files without a `currency` column.
    #[arg(long, default_value = "USD")]
    pub currency: String,
}

/// Loyalty events and the programme they follow.
#[derive(Debug, Clone, Args)]
pub struct LoyaltySource {
    /// Loyalty events file (header in `crm loyalty --help`).
    #[arg(long, value_name = "FILE", group = "loyalty_source")]
    pub events: Option<PathBuf>,
    /// Database written by `crm import` or `crm demo`: a SQLite file or a `postgres://`
    /// URL (read only).
    #[arg(long, value_name = "PATH", group = "loyalty_source")]
    pub db: Option<PathBuf>,
    #[command(flatten)]
    #[allow(missing_docs)]
    pub plan: ProgrammeArgs,
    #[command(flatten)]
    #[allow(missing_docs)]
    pub read: InputArgs,
}

/// `crm loyalty`.
#[derive(Debug, Clone, Subcommand)]
pub enum LoyaltyCommand {
    /// Every member's balance at a date, with the points expiring in the next days.
    Balance(LoyaltyBalanceArgs),
    /// One member's statement: every event with the running balance.
    Statement(LoyaltyStatementArgs),
    /// The programme: active members, earn and redemption rates, breakage, liability,
    /// members per tier.
    Report(LoyaltyReportArgs),
    /// Derive earn events from transactions (refunds take their points back), written as a
    /// loyalty events file.
    Earn(LoyaltyEarnArgs),
}

/// `crm loyalty balance`.
#[derive(Debug, Clone, Args)]
pub struct LoyaltyBalanceArgs {
    #[command(flatten)]
    #[allow(missing_docs)]
    pub source: LoyaltySource,
    /// The date of the balances; default: the latest event.
    #[arg(long, value_name = "DATE")]
    pub as_of: Option<String>,
    /// Days ahead in which expiring points are counted.
    #[arg(long, default_value_t = 30)]
    pub expiring_days: u32,
    /// Members listed in the text output, largest balance first.
    #[arg(long, default_value_t = 20)]
    pub limit: usize,
    #[command(flatten)]
    #[allow(missing_docs)]
    pub out: OutputArgs,
}

/// `crm loyalty statement`.
#[derive(Debug, Clone, Args)]
pub struct LoyaltyStatementArgs {
    #[command(flatten)]
    #[allow(missing_docs)]
    pub source: LoyaltySource,
    /// The member.
    #[arg(long, value_name = "ID")]
    pub customer: String,
    /// Start of the statement; default: the member's first event.
    #[arg(long, value_name = "DATE")]
    pub from: Option<String>,
    /// End of the statement (inclusive); default: the latest event.
    #[arg(long, value_name = "DATE")]
    pub to: Option<String>,
    #[command(flatten)]
    #[allow(missing_docs)]
    pub out: OutputArgs,
}

/// `crm loyalty report`.
#[derive(Debug, Clone, Args)]
pub struct LoyaltyReportArgs {
    #[command(flatten)]
    #[allow(missing_docs)]
    pub source: LoyaltySource,
    /// Start of the period; default: the first event.
    #[arg(long, value_name = "DATE")]
    pub from: Option<String>,
    /// End of the period (inclusive); default: the latest event.
    #[arg(long, value_name = "DATE")]
    pub to: Option<String>,
    #[command(flatten)]
    #[allow(missing_docs)]
    pub out: OutputArgs,
}

/// `crm loyalty earn`.
#[derive(Debug, Clone, Args)]
pub struct LoyaltyEarnArgs {
    /// Transaction file (`customer_id,timestamp,amount[,currency][,transaction_id]`).
    #[arg(long, value_name = "FILE", group = "earn_source")]
    pub transactions: Option<PathBuf>,
    /// Database written by `crm import` or `crm demo` (read only).
    #[arg(long, value_name = "PATH", group = "earn_source")]
    pub db: Option<PathBuf>,
    #[command(flatten)]
    #[allow(missing_docs)]
    pub plan: ProgrammeArgs,
    /// The loyalty events file to write (`.csv` or `.json`).
    #[arg(long, short = 'o', value_name = "FILE")]
    pub output: PathBuf,
    /// Print a JSON summary on standard output instead of the text summary.
    #[arg(long)]
    pub json: bool,
    #[command(flatten)]
    #[allow(missing_docs)]
    pub read: InputArgs,
}
