//! The command structure. Command, flag and column names are a stable interface that
//! users script against: do not rename them.

use std::path::PathBuf;

use clap::{Args, Parser, Subcommand, ValueEnum};

use crate::input::options::{self, ColumnMap, Dates, InputOptions};
/// The layout of a transaction file (defined beside its reader).
pub use crate::input::transactions::TransactionFormat;

mod campaign;
mod engagement;
mod sales;
pub use campaign::*;
pub use engagement::*;
pub use sales::*;

const EXIT_STATUS_HELP: &str = "\
Exit status:
  0  success
  1  a failure while running (I/O, database, a model that could not be fitted)
  2  wrong command-line usage
  3  a malformed input file (the message names file, line, column and what was expected)
  4  `crm lifecycle validate` found problems in the state machine
  141  standard output was closed by its reader (as in `crm ... | head`)";

const IMPORT_HELP: &str = "\
The file goes into one database transaction, a chunk of rows at a time (a transaction file,
or `-` for standard input, is read as a stream, with a progress bar on a terminal): a bad
row anywhere stops the import with one message naming file, line and column, and nothing
is written. Rows without an id get one derived from their content and their position among
identical rows, so importing a file again adds nothing. An id already stored, or used
earlier in the file, with different content is an error. Customers that any other file refers to and the database lacks are created with
their id as name: import a customers file first to keep names and contact data (a stored
customer is never changed by an import).

Columns (a header line names them; optional columns in [ ]; interactions, tickets and deals
take their columns in any order; a column not listed here is refused, so a misspelt column
name is not ignored):
  transactions  customer_id,timestamp,amount[,currency][,transaction_id]  (or --format cdnow)
  customers     customer_id,name[,email][,phone][,owner][,created_at]
                [,birthday][,time_zone][,consents][,tags]
                (time_zone an IANA name; consents: channels with marketing consent,
                `;`-separated: email, sms, phone, post, messaging)
  responses     response_id,customer_id,timestamp,score[,group][,tags]  (--survey, --scale-max)
  interactions  interaction_id,customer_id,timestamp,channel,direction
                [,duration_seconds][,agent][,outcome][,ticket_id][,deal_id]
  tickets       ticket_id,customer_id,created_at,status,priority,category
                [,channel][,assignee][,first_response_at][,solved_at][,closed_at][,tags]
  deals         deal_id,customer_id,amount,stage,created_at
                [,currency][,title][,owner][,expected_close][,closed_at][,close_reason]
  loyalty       event_id,customer_id,timestamp,kind,points[,reason][,transaction_id]
                (kind earn, redeem, adjust or expire; points signed as the balance changes)
  campaigns     campaign_id,name,channel,start,cost[,end][,currency][,target_segment]
  members       campaign_id,customer_id,group[,sent_at][,opened_at][,clicked_at]
                [,responded_at][,transaction_id]
                (group treatment or holdout; a holdout member has no send, open or click
                times; the campaign and the customer must be stored already)

Times are YYYY-MM-DD (midnight UTC), YYYY-MM-DD HH:MM:SS (UTC) or RFC 3339; tags are
separated by `;`. Names:
  channel    phone, email, sms, social, chat, messaging, meeting, web, other
             (a ticket without one is `other`)
  direction  inbound, outbound
  status     new, open, pending, on_hold, solved, closed
  priority   low, normal, high, urgent
  category   question, incident, complaint, request, feedback
  stage      qualification, needs_analysis, proposal, negotiation, won, lost
Tickets and deals need their id (they are entities whose state changes); a deal without a
`title` is titled with its id, amounts without `currency` are in --currency. Re-importing a
ticket or deal whose stored record differs (a new status, say) is refused like any other id
stored with different content.

Files as you have them (options under `Reading input files`; every command that reads files
takes them):
  --columns customer_id=client,timestamp=date,amount=total
                   your header names for our fields (then in any order)
  --delimiter ';'  another field delimiter (`tab` for tab-separated files)
  --date-format '%d/%m/%Y %H:%M'   times in a strftime layout of your own
  --timezone Asia/Shanghai         the zone of times without an offset (default UTC)
  --phone-region CN                the region of phone numbers without a country code
A gzip-compressed file is read as it is (recognised by its content, not its name); `-` is
standard input.

--reject-file rejects.csv imports the good rows and writes each refused one as CSV
`line,reason,record` (written to a temporary file and renamed; never the input file).";

const REPORT_HELP: &str = "\
Give a database (--db) or files (any of --transactions, --customers, --responses,
--interactions, --tickets, --deals; columns as in `crm import --help`). Files are read and
checked as `crm import` reads them, into an in-memory store, so a report from files equals
the report from a database they were imported into.

Sections: Data set, Segments (RFM, ABC, value tiers, cohort retention; needs transactions),
Service (ticket SLA, CSAT by SLA outcome; needs tickets), Deals (funnel, win rate, weighted
pipeline; needs deals), Churn and value (BG/NBD, Gamma-Gamma, CLV, health; needs
transactions), Lifecycle (needs customers), Satisfaction (NPS, CSAT, CES; needs survey
responses), State machines.
A section whose data is absent, or that cannot be computed from it, is left out with one
line in the page and on the terminal saying why.

The SLA clock runs on each ticket record's own timestamps (stored tickets keep no history
of pauses); the funnel counts the stages each deal record shows it reached.";

/// CRM analytics on the command line: a demo of the whole workspace, and every analysis on
/// your own CSV files or a `crm` SQLite database.
#[derive(Debug, Parser)]
#[command(name = "crm", version, about, after_help = EXIT_STATUS_HELP)]
pub struct Cli {
    /// The command to run.
    #[command(subcommand)]
    pub command: Command,
}

/// Every command.
#[derive(Debug, Subcommand)]
pub enum Command {
    /// Generate a synthetic CRM data set, store it in SQLite, run every analysis and write an
    /// HTML report with charts plus a JSON summary.
    Demo(DemoArgs),
    /// Import transactions, customers, survey responses, interactions, tickets or deals into
    /// a database (idempotent, all-or-nothing).
    #[command(after_help = IMPORT_HELP)]
    Import(ImportArgs),
    /// Run every analysis your data supports and write the HTML report with charts plus a
    /// JSON summary, from a database or from files.
    #[command(after_help = REPORT_HELP)]
    Report(ReportArgs),
    /// RFM scores and named segments per customer.
    Rfm(RfmArgs),
    /// ABC (Pareto) classes per customer.
    Abc(AbcArgs),
    /// Value tiers per customer (high-value, potential, regular) from RFM scores, ABC
    /// class and tenure.
    Tiers(TiersArgs),
    /// Segment migration: which RFM segment each customer was in at one date and at a later
    /// one, with the matrix of counts.
    Migration(MigrationArgs),
    /// Cohort retention: customers grouped by the week, month or quarter of their first
    /// purchase, and for each period since: active customers, retention, revenue.
    Cohorts(CohortsArgs),
    /// Service levels of tickets: first-response and resolution targets met or breached,
    /// overall, by priority, by agent and by category, with the median times.
    Sla(SlaArgs),
    /// The deal funnel: deals reaching each pipeline stage, conversion between stages, win
    /// rate and open pipeline, overall or per owner.
    Funnel(FunnelArgs),
    /// Churn models: BG/NBD, MBG/NBD and Pareto/NBD.
    #[command(subcommand)]
    Churn(ChurnCommand),
    /// Customer lifetime value: the Gamma-Gamma spend model.
    #[command(subcommand)]
    Clv(ClvCommand),
    /// Contractual retention: the shifted-beta-geometric model.
    #[command(subcommand)]
    Retention(RetentionCommand),
    /// Net Promoter Score from survey responses (scores 0-10).
    Nps(SurveyArgs),
    /// Customer satisfaction score from survey responses (scores 1-5 by default).
    Csat(CsatArgs),
    /// Customer effort score from survey responses (scores 1-7).
    Ces(SurveyArgs),
    /// State machines: validate a definition, or draw it as Graphviz DOT or Mermaid.
    #[command(subcommand)]
    Lifecycle(LifecycleCommand),
    /// Erase a customer (right to erasure): delete them and every record about them, or
    /// keep their records anonymized under a pseudonym; prints what was erased.
    Erase(EraseArgs),
    /// Hand a departing owner's customers, open deals and open tickets to another owner.
    Reassign(ReassignArgs),
    /// Find customers recorded more than once: groups of duplicates with their survivor
    /// and the evidence of every pair (names and contact points are not printed).
    Dedupe(DedupeArgs),
    /// Merge duplicate customers into their survivors, all groups or none: every record of
    /// a duplicate moves to its survivor, fields are folded, the duplicates are deleted and
    /// later imports naming their ids go to the survivor.
    Merge(MergeArgs),
    /// Customers due a follow-up under a cadence policy, with the channel to use.
    #[command(after_help = engagement::FOLLOWUPS_HELP)]
    Followups(FollowupsArgs),
    /// Care reminders: birthdays, purchase and registration anniversaries and holidays in
    /// the coming days, per owner.
    #[command(after_help = engagement::CARE_HELP)]
    Care(CareArgs),
    /// Communication analytics: contacts per period, channel mix, response times to
    /// inbound contacts, share contacted within cadence, repeat purchases by contacts.
    Contacts(ContactsArgs),
    /// Loyalty points and tiers: balances, statements, the programme report, earn events
    /// from transactions.
    #[command(subcommand, after_help = engagement::LOYALTY_HELP)]
    Loyalty(LoyaltyCommand),
    /// Marketing campaigns: pick an audience with a holdout, and measure the results
    /// against it (rates with intervals, uplift with its test, revenue, ROI).
    #[command(subcommand, after_help = campaign::CAMPAIGN_HELP)]
    Campaign(CampaignCommand),
    /// Sales performance per period and owner: funnel, conversion, time in stage, win rate,
    /// deal size, velocity, activity; quota attainment, coverage and forecast.
    #[command(after_help = sales::SALES_HELP)]
    Sales(SalesArgs),
    /// Upgrade a database written by an earlier version of `crm` to this version's schema,
    /// in place, keeping every row (analyses read a database without changing it, so they
    /// refuse one that needs this).
    Upgrade(UpgradeArgs),
    /// Print the shell completion script of `crm` (bash, zsh, fish, elvish, powershell).
    Completions(CompletionsArgs),
}

impl Command {
    /// How the command reads its input files, for a command that reads any.
    pub fn input_args(&self) -> Option<&InputArgs> {
        Some(match self {
            Command::Import(a) => &a.read,
            Command::Report(a) => &a.read,
            Command::Rfm(a) => &a.input.read,
            Command::Abc(a) => &a.input.read,
            Command::Tiers(a) => &a.input.read,
            Command::Migration(a) => &a.input.read,
            Command::Cohorts(a) => &a.input.read,
            Command::Sla(a) => &a.read,
            Command::Funnel(a) => &a.read,
            Command::Churn(ChurnCommand::Fit(a)) => &a.fit.read,
            Command::Churn(ChurnCommand::Score(a)) => &a.fit.fit.read,
            Command::Clv(ClvCommand::Fit(a)) => &a.read,
            Command::Clv(ClvCommand::Score(a)) => &a.fit.read,
            Command::Nps(a) | Command::Ces(a) => &a.read,
            Command::Csat(a) => &a.survey.read,
            Command::Followups(a) => &a.source.read,
            Command::Care(a) => &a.source.read,
            Command::Contacts(a) => &a.source.read,
            Command::Loyalty(LoyaltyCommand::Balance(a)) => &a.source.read,
            Command::Loyalty(LoyaltyCommand::Statement(a)) => &a.source.read,
            Command::Loyalty(LoyaltyCommand::Report(a)) => &a.source.read,
            Command::Loyalty(LoyaltyCommand::Earn(a)) => &a.read,
            Command::Campaign(CampaignCommand::Select(a)) => &a.source.read,
            Command::Campaign(CampaignCommand::Results(a)) => &a.source.read,
            Command::Campaign(CampaignCommand::Winback(a)) => &a.source.read,
            Command::Sales(a) => &a.read,
            Command::Demo(_)
            | Command::Retention(_)
            | Command::Lifecycle(_)
            | Command::Erase(_)
            | Command::Reassign(_)
            | Command::Dedupe(_)
            | Command::Merge(_)
            | Command::Upgrade(_)
            | Command::Completions(_) => return None,
        })
    }
}

/// `crm upgrade`.
#[derive(Debug, Clone, Args)]
pub struct UpgradeArgs {
    /// The database: a SQLite file or a `postgres://` URL.
    #[arg(long, value_name = "PATH")]
    pub db: PathBuf,
    /// Print what was done as JSON.
    #[arg(long)]
    pub json: bool,
    /// Also write the report, as JSON, to FILE.
    #[arg(long, short = 'o', value_name = "FILE")]
    pub output: Option<PathBuf>,
}

/// `crm erase`.
#[derive(Debug, Clone, Args)]
pub struct EraseArgs {
    /// The database: a SQLite file or a `postgres://` URL.
    #[arg(long, value_name = "PATH")]
    pub db: PathBuf,
    /// The id of the customer to erase.
    #[arg(long, value_name = "ID")]
    pub customer: String,
    /// Keep the customer's transactions, scores, interactions, tickets and deals with every
    /// personal field removed, under a pseudonym, so aggregates stay correct.
    #[arg(long)]
    pub keep_anonymized: bool,
    /// The customer id the kept records move to (default: a new random UUID).
    #[arg(long, value_name = "ID", requires = "keep_anonymized")]
    pub pseudonym: Option<String>,
    /// Print the erasure report as JSON.
    #[arg(long)]
    pub json: bool,
    /// Also write the report, as JSON, to FILE.
    #[arg(long, short = 'o', value_name = "FILE")]
    pub output: Option<PathBuf>,
}

/// `crm reassign`.
#[derive(Debug, Clone, Args)]
pub struct ReassignArgs {
    /// The database: a SQLite file or a `postgres://` URL.
    #[arg(long, value_name = "PATH")]
    pub db: PathBuf,
    /// The departing owner (user id).
    #[arg(long, value_name = "OWNER")]
    pub from: String,
    /// The new owner (user id).
    #[arg(long, value_name = "OWNER")]
    pub to: String,
    /// Print what was reassigned as JSON.
    #[arg(long)]
    pub json: bool,
    /// Also write the report, as JSON, to FILE.
    #[arg(long, short = 'o', value_name = "FILE")]
    pub output: Option<PathBuf>,
}

/// `crm dedupe`.
#[derive(Debug, Clone, Args)]
pub struct DedupeArgs {
    /// The database: a SQLite file or a `postgres://` URL.
    #[arg(long, value_name = "PATH")]
    pub db: PathBuf,
    /// The score at and above which two records are one customer (default 14: see the
    /// matching documentation of `crm-core`).
    #[arg(long, value_name = "SCORE", value_parser = finite)]
    pub threshold: Option<f64>,
    /// Write the groups to FILE as CSV (`group,survivor_id,customer_id,version,score,
    /// evidence`), the input of `crm merge --groups`.
    #[arg(long, short = 'o', value_name = "FILE")]
    pub output: Option<PathBuf>,
    /// Print the groups as JSON.
    #[arg(long)]
    pub json: bool,
}

/// `crm merge`.
#[derive(Debug, Clone, Args)]
#[command(group(clap::ArgGroup::new("which").required(true).args(["groups", "auto"])))]
pub struct MergeArgs {
    /// The database: a SQLite file or a `postgres://` URL.
    #[arg(long, value_name = "PATH")]
    pub db: PathBuf,
    /// The groups to merge: a file written by `crm dedupe --output` (edited or not).
    #[arg(long, value_name = "FILE")]
    pub groups: Option<PathBuf>,
    /// Match the customers and merge every group found at the "same" threshold.
    #[arg(long)]
    pub auto: bool,
    /// With `--auto`: the score at and above which two records are one customer.
    #[arg(long, value_name = "SCORE", value_parser = finite, requires = "auto")]
    pub threshold: Option<f64>,
    /// The user recorded as having merged (a user id).
    #[arg(long, value_name = "USER")]
    pub by: Option<String>,
    /// Print what was merged as JSON.
    #[arg(long)]
    pub json: bool,
    /// Also write the report, as JSON, to FILE.
    #[arg(long, short = 'o', value_name = "FILE")]
    pub output: Option<PathBuf>,
}

/// Parses a finite number.
fn finite(text: &str) -> Result<f64, String> {
    match text.trim().parse::<f64>() {
        Ok(x) if x.is_finite() => Ok(x),
        _ => Err(format!("expected a finite number, found {text:?}")),
    }
}

/// `crm completions`.
#[derive(Debug, Clone, Args)]
pub struct CompletionsArgs {
    /// The shell.
    #[arg(value_enum)]
    pub shell: clap_complete::Shell,
    /// Write the script to FILE instead of standard output.
    #[arg(long, short = 'o', value_name = "FILE")]
    pub output: Option<PathBuf>,
}

/// The longest projection or CLV horizon, in periods.
pub const MAX_PERIODS: i64 = 10_000;

/// Parses a finite number >= 0.
fn non_negative(text: &str) -> Result<f64, String> {
    match text.trim().parse::<f64>() {
        Ok(x) if x.is_finite() && x >= 0.0 => Ok(x),
        _ => Err(format!("expected a finite number >= 0, found {text:?}")),
    }
}

/// Parses a CLV horizon: a finite number > 0 of at most [`MAX_PERIODS`] periods (a value
/// over no time is no horizon: 0 is refused, not taken as one period).
fn clv_horizon(text: &str) -> Result<f64, String> {
    let x = non_negative(text)?;
    if x == 0.0 {
        return Err(format!(
            "expected a number of periods above 0, found {text:?}"
        ));
    }
    if x > MAX_PERIODS as f64 {
        return Err(format!(
            "expected at most {MAX_PERIODS} periods, found {text:?}"
        ));
    }
    Ok(x)
}

/// `crm demo`.
#[derive(Debug, Clone, Args)]
pub struct DemoArgs {
    /// Number of synthetic customers.
    #[arg(long, default_value_t = 30_000, value_parser = clap::value_parser!(u32).range(1..))]
    pub customers: u32,
    /// Random seed; the same seed gives the same data set and the same report.
    #[arg(long, default_value_t = 42)]
    pub seed: u64,
    /// SQLite database file to create (default: `crm-demo.db` inside `--out`, part of the
    /// demo's own output and replaced by each run). An existing file named with `--db` is
    /// refused unless `--force`; the database is built in a temporary file beside it and
    /// renamed into place only once the whole demo has succeeded, so a failed run leaves an
    /// existing file as it was.
    #[arg(long)]
    pub db: Option<PathBuf>,
    /// Directory for `report.html`, `summary.json` and (without `--db`) the demo database.
    #[arg(long, default_value = "crm-report")]
    pub out: PathBuf,
    /// Replace an existing `--db` file, and write into an `--out` directory holding other files.
    #[arg(long)]
    pub force: bool,
    /// Print the summary as JSON on standard output instead of the terminal table.
    #[arg(long)]
    pub json: bool,
}

impl DemoArgs {
    /// The database file the demo writes: `--db`, or `crm-demo.db` inside `--out`.
    pub fn database(&self) -> PathBuf {
        self.db
            .clone()
            .unwrap_or_else(|| self.out.join(DEMO_DATABASE))
    }
}

/// The demo database's file name inside `--out` when no `--db` is given.
pub const DEMO_DATABASE: &str = "crm-demo.db";

/// `crm report`.
#[derive(Debug, Clone, Args)]
pub struct ReportArgs {
    /// Database written by `crm import` or `crm demo` (a SQLite file).
    #[arg(long, value_name = "PATH", conflicts_with_all = ["transactions", "customers", "responses", "interactions", "tickets", "deals", "campaigns", "members"])]
    pub db: Option<PathBuf>,
    /// Transaction file (`--format`, `--currency` as for the other commands).
    #[arg(long, value_name = "FILE")]
    pub transactions: Option<PathBuf>,
    /// Layout of the transaction file.
    #[arg(long, value_enum, default_value_t = TransactionFormat::Csv)]
    pub format: TransactionFormat,
    /// Currency of amounts in files without a `currency` column.
    #[arg(long, default_value = "USD")]
    pub currency: String,
    /// Customers file.
    #[arg(long, value_name = "FILE")]
    pub customers: Option<PathBuf>,
    /// Survey responses file, as `[nps|csat|ces=]FILE` (NPS when no kind is given);
    /// repeat for each survey kind.
    #[arg(long, value_name = "[KIND=]FILE")]
    pub responses: Vec<String>,
    /// Highest point of the CSAT scale of CSAT response files (the scale starts at 1).
    #[arg(long, default_value_t = 5, value_parser = clap::value_parser!(u8).range(2..=10))]
    pub scale_max: u8,
    /// Interactions file.
    #[arg(long, value_name = "FILE")]
    pub interactions: Option<PathBuf>,
    /// Tickets file.
    #[arg(long, value_name = "FILE")]
    pub tickets: Option<PathBuf>,
    /// Deals file.
    #[arg(long, value_name = "FILE")]
    pub deals: Option<PathBuf>,
    /// Campaigns file (header in `crm campaign --help`).
    #[arg(long, value_name = "FILE")]
    pub campaigns: Option<PathBuf>,
    /// Campaign members file (header in `crm campaign --help`).
    #[arg(long, value_name = "FILE")]
    pub members: Option<PathBuf>,
    /// Sales quotas (header in `crm sales --help`): the sales section shows attainment.
    #[arg(long, value_name = "FILE")]
    pub targets: Option<PathBuf>,
    /// Start of the period analysed (`YYYY-MM-DD` or RFC 3339): transactions,
    /// interactions and answers by their time, tickets and deals by their creation.
    #[arg(long, value_name = "DATE")]
    pub from: Option<String>,
    /// End of the period analysed (inclusive).
    #[arg(long, value_name = "DATE")]
    pub to: Option<String>,
    /// Reference date of every analysis; default: the time of the latest transaction (as
    /// `crm rfm` and `crm churn fit` take it), or now when there is none.
    #[arg(long, value_name = "DATE")]
    pub as_of: Option<String>,
    /// Start of the segment migration chart (the RFM segments on this date against those
    /// on the reference date); default: 90 days before the reference date.
    #[arg(long, value_name = "DATE")]
    pub migration_from: Option<String>,
    /// Start of a holdout period: the churn model is also fitted on the transactions
    /// before this date and its predictions compared with the purchases from then to the
    /// reference date (calibration against holdout, ROC AUC, top-decile lift).
    #[arg(long, value_name = "DATE")]
    pub holdout_from: Option<String>,
    /// A customer whose P(alive) history is drawn in the churn section.
    #[arg(long, value_name = "ID")]
    pub customer: Option<String>,
    /// Directory for `report.html` and `summary.json`.
    #[arg(long, default_value = "crm-report")]
    pub out: PathBuf,
    /// Write into `--out` even if it holds files other than a previous report.
    #[arg(long)]
    pub force: bool,
    /// Print the summary as JSON on standard output instead of the terminal table.
    #[arg(long)]
    pub json: bool,
    #[command(flatten)]
    #[allow(missing_docs)]
    pub read: InputArgs,
}

/// What `crm import` reads.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum ImportKind {
    /// Transactions (`customer_id,timestamp,amount[,currency][,transaction_id]`, or CDNOW).
    Transactions,
    /// Customers (`customer_id,name[,email][,phone][,owner][,created_at]` and optional
    /// `birthday,time_zone,consents,tags`).
    Customers,
    /// Survey responses (`response_id,customer_id,timestamp,score[,group][,tags]`; the
    /// survey kind is taken from `--survey`; an empty `response_id` gets a content id).
    Responses,
    /// Interactions (`interaction_id,customer_id,timestamp,channel,direction` and optional
    /// `duration_seconds,agent,outcome,ticket_id,deal_id`; an empty `interaction_id` gets a
    /// content id).
    Interactions,
    /// Tickets (`ticket_id,customer_id,created_at,status,priority,category` and optional
    /// `channel,assignee,first_response_at,solved_at,closed_at,tags`).
    Tickets,
    /// Deals (`deal_id,customer_id,amount,stage,created_at` and optional
    /// `currency,title,owner,expected_close,closed_at,close_reason`).
    Deals,
    /// Loyalty events (`event_id,customer_id,timestamp,kind,points[,reason][,transaction_id]`;
    /// kind earn, redeem, adjust or expire).
    Loyalty,
    /// Marketing campaigns
    /// (`campaign_id,name,channel,start,cost[,end][,currency][,target_segment]`).
    Campaigns,
    /// Campaign members (`campaign_id,customer_id,group` and optional
    /// `sent_at,opened_at,clicked_at,responded_at,transaction_id`; group treatment or
    /// holdout); the campaigns and customers must be stored already.
    Members,
}

/// How input files are read: given once, for every file a command reads.
#[derive(Debug, Clone, Args)]
#[command(next_help_heading = "Reading input files")]
pub struct InputArgs {
    /// Your column names for ours, as `FIELD=HEADER,...` (for example
    /// `customer_id=client,timestamp=date,amount=total`); a mapping applies to every file
    /// read that has the field.
    #[arg(long, value_name = "FIELD=HEADER,...", value_parser = options::parse_columns)]
    pub columns: Option<ColumnMap>,
    /// The field delimiter of CSV files: one character, or `tab` (`\t`).
    #[arg(long, value_name = "CHAR", default_value = ",", value_parser = options::parse_delimiter)]
    pub delimiter: u8,
    /// The layout of every time in the files, as a chrono strftime format (for example
    /// `%d/%m/%Y` or `%m/%d/%Y %H:%M`); default: YYYY-MM-DD, YYYY-MM-DD HH:MM:SS or RFC 3339.
    #[arg(long, value_name = "FORMAT", value_parser = options::parse_date_format)]
    pub date_format: Option<String>,
    /// The IANA time zone (for example `Asia/Shanghai`) of times written without an offset.
    #[arg(long, value_name = "ZONE", default_value = "UTC", value_parser = options::parse_timezone)]
    pub timezone: chrono_tz::Tz,
    /// The region (ISO 3166 alpha-2, for example `CN`) of phone numbers written without a
    /// country code.
    #[arg(long, value_name = "REGION", value_parser = options::parse_phone_region)]
    pub phone_region: Option<String>,
}

impl InputArgs {
    /// The options the readers follow.
    pub fn options(&self) -> InputOptions {
        InputOptions {
            columns: self.columns.clone().unwrap_or_default(),
            delimiter: self.delimiter,
            dates: Dates {
                format: self.date_format.clone(),
                zone: self.timezone,
            },
            phone_region: self.phone_region.clone(),
        }
    }
}

/// `crm import`.
#[derive(Debug, Clone, Args)]
pub struct ImportArgs {
    /// SQLite database file (created when missing).
    #[arg(long)]
    pub db: PathBuf,
    /// What the file holds.
    pub kind: ImportKind,
    /// The file to import.
    pub file: PathBuf,
    /// Layout of a transaction file.
    #[arg(long, value_enum, default_value_t = TransactionFormat::Csv)]
    pub format: TransactionFormat,
    /// Currency of amounts in files without a `currency` column.
    #[arg(long, default_value = "USD")]
    pub currency: String,
    /// Survey kind of imported responses.
    #[arg(long, value_enum, default_value_t = SurveyKind::Nps)]
    pub survey: SurveyKind,
    /// Highest point of the CSAT scale of imported responses (the scale starts at 1).
    #[arg(long, default_value_t = 5, value_parser = clap::value_parser!(u8).range(2..=10))]
    pub scale_max: u8,
    /// Import the good rows and write the refused ones to FILE (CSV `line,reason,record`,
    /// written to a temporary file and renamed into place; it may not be the input);
    /// without it, the first bad row stops the import and nothing is written.
    #[arg(long, value_name = "FILE")]
    pub reject_file: Option<PathBuf>,
    /// Print what was imported as JSON (`kind, rows, inserted, skipped, customers_created`,
    /// and `rejected` with `--reject-file`).
    #[arg(long)]
    pub json: bool,
    /// Also write what was imported, as JSON, to FILE.
    #[arg(long, short = 'o', value_name = "FILE")]
    pub output: Option<PathBuf>,
    #[command(flatten)]
    #[allow(missing_docs)]
    pub read: InputArgs,
}

/// A survey kind.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum SurveyKind {
    /// Net Promoter Score, 0-10.
    Nps,
    /// Customer satisfaction, 1-5 by default.
    Csat,
    /// Customer effort, 1-7.
    Ces,
}

/// Where transactions come from: a file or a database.
#[derive(Debug, Clone, Args)]
#[group(id = "transaction_source", required = true, multiple = false)]
pub struct TransactionSource {
    /// Transaction file.
    #[arg(long, value_name = "FILE", group = "transaction_source")]
    pub transactions: Option<PathBuf>,
    /// Database written by `crm import` or `crm demo`: a SQLite file or a `postgres://`
    /// URL (read only).
    #[arg(long, value_name = "PATH", group = "transaction_source")]
    pub db: Option<PathBuf>,
}

/// Options of a transaction file.
#[derive(Debug, Clone, Args)]
pub struct TransactionOptions {
    /// Layout of the transaction file.
    #[arg(long, value_enum, default_value_t = TransactionFormat::Csv)]
    pub format: TransactionFormat,
    /// Currency of amounts in files without a `currency` column, and the currency amounts
    /// are converted into with `--currency-rates`.
    #[arg(long, default_value = "USD")]
    pub currency: String,
    /// Rates for amounts in several currencies: a CSV `currency,rate` in which one unit of
    /// `currency` is worth `rate` units of `--currency`; every amount is converted exactly
    /// before the analysis (without it, a second currency is an error).
    #[arg(long, value_name = "FILE")]
    pub currency_rates: Option<PathBuf>,
}

/// Transactions to analyse: where they come from and the layout of a file.
#[derive(Debug, Clone, Args)]
pub struct TransactionInput {
    #[command(flatten)]
    #[allow(missing_docs)]
    pub source: TransactionSource,
    #[command(flatten)]
    #[allow(missing_docs)]
    pub options: TransactionOptions,
    #[command(flatten)]
    #[allow(missing_docs)]
    pub read: InputArgs,
}

/// Where results go.
#[derive(Debug, Clone, Args)]
pub struct OutputArgs {
    /// Write the per-customer table to FILE (`.csv` or `.json`, by extension).
    #[arg(long, short = 'o', value_name = "FILE")]
    pub output: Option<PathBuf>,
    /// Print a JSON summary on standard output instead of the text summary.
    #[arg(long)]
    pub json: bool,
}

/// `crm rfm`.
#[derive(Debug, Clone, Args)]
pub struct RfmArgs {
    #[command(flatten)]
    #[allow(missing_docs)]
    pub input: TransactionInput,
    /// As-of date (`YYYY-MM-DD` or RFC 3339); default: the date of the latest transaction.
    #[arg(long, value_name = "DATE")]
    pub as_of: Option<String>,
    /// Number of score bins per dimension (2-10).
    #[arg(long, default_value_t = 5, value_parser = clap::value_parser!(u8).range(2..=10))]
    pub bins: u8,
    #[command(flatten)]
    #[allow(missing_docs)]
    pub out: OutputArgs,
}

/// How ABC classes are assigned.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, ValueEnum)]
pub enum AbcMode {
    /// By cumulative share of value: A below 80%, B below 95%, C after.
    #[default]
    Share,
    /// By rank: A = top 5% of customers, B = next 15%, C = the rest.
    Rank,
}

/// `crm abc`.
#[derive(Debug, Clone, Args)]
pub struct AbcArgs {
    #[command(flatten)]
    #[allow(missing_docs)]
    pub input: TransactionInput,
    /// Classification rule.
    #[arg(long, value_enum, default_value_t = AbcMode::Share)]
    pub mode: AbcMode,
    #[command(flatten)]
    #[allow(missing_docs)]
    pub out: OutputArgs,
}

/// `crm tiers`.
#[derive(Debug, Clone, Args)]
pub struct TiersArgs {
    #[command(flatten)]
    #[allow(missing_docs)]
    pub input: TransactionInput,
    /// As-of date (`YYYY-MM-DD` or RFC 3339); default: the date of the latest transaction.
    #[arg(long, value_name = "DATE")]
    pub as_of: Option<String>,
    #[command(flatten)]
    #[allow(missing_docs)]
    pub out: OutputArgs,
}

/// `crm migration`.
#[derive(Debug, Clone, Args)]
pub struct MigrationArgs {
    #[command(flatten)]
    #[allow(missing_docs)]
    pub input: TransactionInput,
    /// The earlier as-of date (`YYYY-MM-DD` or RFC 3339).
    #[arg(long, value_name = "DATE")]
    pub from: String,
    /// The later as-of date.
    #[arg(long, value_name = "DATE")]
    pub to: String,
    #[command(flatten)]
    #[allow(missing_docs)]
    pub out: OutputArgs,
}

/// `crm cohorts`.
#[derive(Debug, Clone, Args)]
pub struct CohortsArgs {
    #[command(flatten)]
    #[allow(missing_docs)]
    pub input: TransactionInput,
    /// The period customers are grouped by and retention is counted in.
    #[arg(long, value_enum, default_value_t = CohortPeriodArg::Month)]
    pub period: CohortPeriodArg,
    /// Leave out purchases before this date (`YYYY-MM-DD` or RFC 3339).
    #[arg(long, value_name = "DATE")]
    pub from: Option<String>,
    /// Leave out purchases after this date; default: the latest transaction.
    #[arg(long, value_name = "DATE")]
    pub as_of: Option<String>,
    /// Periods shown in the text table (every period is in `--output` and `--json`).
    #[arg(long, default_value_t = 12, value_parser = clap::value_parser!(u32).range(1..=1000))]
    pub periods: u32,
    #[command(flatten)]
    #[allow(missing_docs)]
    pub out: OutputArgs,
}

/// The cohort period on the command line.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum CohortPeriodArg {
    /// ISO weeks (Monday to Sunday, UTC).
    Week,
    /// Calendar months.
    Month,
    /// Calendar quarters.
    Quarter,
}

/// `crm sla`.
#[derive(Debug, Clone, Args)]
pub struct SlaArgs {
    /// Ticket file (columns as in `crm import --help`).
    #[arg(
        long,
        value_name = "FILE",
        required_unless_present = "db",
        conflicts_with = "db"
    )]
    pub tickets: Option<PathBuf>,
    /// The database: a SQLite file or a `postgres://` URL (read only).
    #[arg(long, value_name = "PATH")]
    pub db: Option<PathBuf>,
    /// The time open tickets are measured to (`YYYY-MM-DD` or RFC 3339); default: the
    /// latest time in the tickets.
    #[arg(long, value_name = "DATE")]
    pub as_of: Option<String>,
    #[command(flatten)]
    #[allow(missing_docs)]
    pub out: OutputArgs,
    #[command(flatten)]
    #[allow(missing_docs)]
    pub read: InputArgs,
}

/// `crm funnel`.
#[derive(Debug, Clone, Args)]
pub struct FunnelArgs {
    /// Deal file (columns as in `crm import --help`).
    #[arg(
        long,
        value_name = "FILE",
        required_unless_present = "db",
        conflicts_with = "db"
    )]
    pub deals: Option<PathBuf>,
    /// The database: a SQLite file or a `postgres://` URL.
    #[arg(long, value_name = "PATH")]
    pub db: Option<PathBuf>,
    /// Currency of amounts in a deal file without a `currency` column.
    #[arg(long, default_value = "USD")]
    pub currency: String,
    /// One funnel per owner (deals without an owner under `(none)`) besides the overall one.
    #[arg(long)]
    pub by_owner: bool,
    /// Print the funnel as JSON.
    #[arg(long)]
    pub json: bool,
    #[command(flatten)]
    #[allow(missing_docs)]
    pub read: InputArgs,
}

/// A purchase-count churn model.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, ValueEnum)]
pub enum ChurnModelKind {
    /// BG/NBD (Fader, Hardie & Lee 2005); parameters r, alpha, a, b.
    #[default]
    Bgnbd,
    /// MBG/NBD (Batislam, Denizel & Filiztekin 2007); parameters r, alpha, a, b.
    Mbgnbd,
    /// Pareto/NBD (Schmittlein, Morrison & Colombo 1987); parameters r, alpha, s, beta.
    #[value(name = "pareto-nbd")]
    ParetoNbd,
    /// BG/BB (Fader, Hardie & Shang 2010), for one opportunity to buy per period (yearly
    /// donations, annual events); parameters alpha, beta, gamma, delta. `crm churn` only:
    /// `--summary` with `frequency,recency,periods[,weights]`, or transactions with
    /// `--period`.
    Bgbb,
}

/// The calendar period that is one opportunity to buy (BG/BB from transactions).
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum OpportunityArg {
    /// Calendar years.
    Year,
    /// Calendar quarters.
    Quarter,
    /// Calendar months.
    Month,
}

/// The time unit of customer summaries.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, ValueEnum)]
pub enum TimeUnitArg {
    /// Days.
    Day,
    /// Weeks.
    #[default]
    Week,
}

/// Where customer summaries come from.
#[derive(Debug, Clone, Args)]
#[group(id = "summary_source", required = true, multiple = false)]
pub struct SummarySource {
    /// Customer summary CSV with columns `frequency,recency,T` (optional id column first,
    /// optional `monetary_value` column last); for `--model bgbb`,
    /// `frequency,recency,periods[,weights]`.
    #[arg(long, value_name = "FILE", group = "summary_source")]
    pub summary: Option<PathBuf>,
    /// Transaction file, summarised with `--calibration-end`.
    #[arg(long, value_name = "FILE", group = "summary_source")]
    pub transactions: Option<PathBuf>,
    /// Database (a SQLite file or a `postgres://` URL), summarised with
    /// `--calibration-end`.
    #[arg(long, value_name = "PATH", group = "summary_source")]
    pub db: Option<PathBuf>,
}

/// How transactions are summarised.
#[derive(Debug, Clone, Args)]
pub struct SummaryOptions {
    /// End of the calibration period (`YYYY-MM-DD` or RFC 3339); default: the latest
    /// transaction.
    #[arg(long, value_name = "DATE")]
    pub calibration_end: Option<String>,
    /// End of the holdout period, to count holdout purchases.
    #[arg(long, value_name = "DATE")]
    pub holdout_end: Option<String>,
    /// Time unit of frequency, recency and T.
    #[arg(long, value_enum, default_value_t = TimeUnitArg::Week)]
    pub time_unit: TimeUnitArg,
    #[command(flatten)]
    #[allow(missing_docs)]
    pub options: TransactionOptions,
}

/// Customer summaries to fit a model to, and where the results go (`crm churn fit`,
/// `crm clv fit`).
#[derive(Debug, Clone, Args)]
pub struct FitArgs {
    /// Refuse a fit with warnings (a parameter held at a bound of the search, a standard
    /// error that is not finite, too few customers) instead of reporting it with them.
    #[arg(long)]
    pub strict: bool,
    #[command(flatten)]
    #[allow(missing_docs)]
    pub source: SummarySource,
    #[command(flatten)]
    #[allow(missing_docs)]
    pub summary: SummaryOptions,
    #[command(flatten)]
    #[allow(missing_docs)]
    pub out: OutputArgs,
    #[command(flatten)]
    #[allow(missing_docs)]
    pub read: InputArgs,
}

/// `crm churn`.
#[derive(Debug, Subcommand)]
pub enum ChurnCommand {
    /// Fit a model and report its parameters.
    Fit(ChurnFitArgs),
    /// Fit a model and score every customer: P(alive), expected purchases, health score and
    /// risk band.
    Score(ChurnScoreArgs),
}

/// `crm churn fit`.
#[derive(Debug, Clone, Args)]
pub struct ChurnFitArgs {
    /// The model.
    #[arg(long, value_enum, default_value_t = ChurnModelKind::Bgnbd)]
    pub model: ChurnModelKind,
    /// With `--model bgbb` and transactions: the calendar period that is one opportunity
    /// to buy; the first purchase's period is the acquisition, and every later period up
    /// to the calibration end's is an opportunity.
    #[arg(long, value_enum, value_name = "PERIOD")]
    pub period: Option<OpportunityArg>,
    #[command(flatten)]
    #[allow(missing_docs)]
    pub fit: FitArgs,
}

/// `crm churn score`.
#[derive(Debug, Clone, Args)]
pub struct ChurnScoreArgs {
    #[command(flatten)]
    #[allow(missing_docs)]
    pub fit: ChurnFitArgs,
    /// Horizon of the expected purchases, in time units (a finite number >= 0).
    #[arg(long, default_value_t = 52.0, allow_negative_numbers = true, value_parser = non_negative)]
    pub horizon: f64,
    /// With --holdout-end: the last bin of the fit diagnostics (repeat purchases
    /// 0, 1, ..., K-1 and K or more).
    #[arg(long, value_name = "K", default_value_t = 7, value_parser = clap::value_parser!(u32).range(1..=100))]
    pub diagnostic_bins: u32,
}

/// `crm clv`.
#[derive(Debug, Subcommand)]
pub enum ClvCommand {
    /// Fit the Gamma-Gamma spend model (parameters p, q, v).
    Fit(FitArgs),
    /// Fit the spend and purchase models and score every customer's lifetime value.
    Score(ClvScoreArgs),
}

/// `crm clv score`.
#[derive(Debug, Clone, Args)]
pub struct ClvScoreArgs {
    #[command(flatten)]
    #[allow(missing_docs)]
    pub fit: FitArgs,
    /// Purchase model combined with the spend model.
    #[arg(long, value_enum, default_value_t = ChurnModelKind::Bgnbd)]
    pub model: ChurnModelKind,
    /// Horizon in time units (above 0, rounded up to whole periods, at most 10000).
    #[arg(long, default_value_t = 52.0, allow_negative_numbers = true, value_parser = clv_horizon)]
    pub horizon: f64,
    /// Discount rate per time unit (a finite number >= 0).
    #[arg(long, default_value_t = 0.0, allow_negative_numbers = true, value_parser = non_negative)]
    pub discount_rate: f64,
}

/// `crm retention`.
#[derive(Debug, Subcommand)]
pub enum RetentionCommand {
    /// Fit the shifted-beta-geometric model (parameters alpha, beta) to cohort survivors.
    Fit(RetentionFitArgs),
}

/// `crm retention fit`.
#[derive(Debug, Clone, Args)]
pub struct RetentionFitArgs {
    /// Refuse a fit with warnings (a parameter held at a bound of the search, a standard
    /// error that is not finite, too small a cohort) instead of reporting it with them.
    #[arg(long)]
    pub strict: bool,
    /// Customers still active at the start of each period: N0,N1,N2,...
    #[arg(long, value_delimiter = ',', num_args = 1.., required_unless_present = "subscriptions", conflicts_with = "subscriptions")]
    pub survivors: Vec<u64>,
    /// Subscriptions CSV: `customer_id,start[,end]` (dates `YYYY-MM-DD` or RFC 3339; an
    /// empty end means still active). Cohorts by start period are fitted jointly.
    #[arg(long, value_name = "FILE")]
    pub subscriptions: Option<PathBuf>,
    /// The period cohorts are formed and survivors counted in (with --subscriptions).
    #[arg(long, value_enum, default_value_t = RetentionPeriodArg::Month, requires = "subscriptions")]
    pub period: RetentionPeriodArg,
    /// Censoring date (with --subscriptions): ends after it are not yet known; default the
    /// latest start or end in the file.
    #[arg(long, value_name = "DATE", requires = "subscriptions")]
    pub as_of: Option<String>,
    /// Also fit each cohort alone and test "all cohorts share alpha and beta" by the
    /// likelihood ratio (with --subscriptions).
    #[arg(long, requires = "subscriptions")]
    pub by_cohort: bool,
    /// Number of periods to project (from period 0; at most 10000).
    #[arg(long, default_value_t = 12, value_parser = clap::value_parser!(u32).range(..=MAX_PERIODS))]
    pub periods: u32,
    /// Discount rate per period for the expected residual lifetime (a finite number >= 0).
    #[arg(long, default_value_t = 0.1, allow_negative_numbers = true, value_parser = non_negative)]
    pub discount_rate: f64,
    #[command(flatten)]
    #[allow(missing_docs)]
    pub out: OutputArgs,
}

/// The calendar period of `crm retention fit --subscriptions`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, ValueEnum)]
pub enum RetentionPeriodArg {
    /// Weeks starting on Monday.
    Week,
    /// Calendar months.
    #[default]
    Month,
    /// Calendar quarters.
    Quarter,
    /// Calendar years.
    Year,
}

/// How survey scores are broken down.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum Breakdown {
    /// By the `group` column.
    Group,
    /// By ISO week.
    Week,
    /// By calendar month.
    Month,
}

/// Where survey responses come from.
#[derive(Debug, Clone, Args)]
#[group(id = "response_source", required = true, multiple = false)]
pub struct ResponseSource {
    /// Responses CSV: `response_id,customer_id,timestamp,score[,group][,tags]`.
    #[arg(long, value_name = "FILE", group = "response_source")]
    pub responses: Option<PathBuf>,
    /// Database: a SQLite file or a `postgres://` URL (read only).
    #[arg(long, value_name = "PATH", group = "response_source")]
    pub db: Option<PathBuf>,
}

/// `crm nps` and `crm ces`.
#[derive(Debug, Clone, Args)]
pub struct SurveyArgs {
    #[command(flatten)]
    #[allow(missing_docs)]
    pub source: ResponseSource,
    /// Break the score down by group, week or month.
    #[arg(long, value_enum)]
    pub by: Option<Breakdown>,
    /// Confidence level of the intervals.
    #[arg(long, default_value_t = 0.95)]
    pub level: f64,
    #[command(flatten)]
    #[allow(missing_docs)]
    pub out: OutputArgs,
    #[command(flatten)]
    #[allow(missing_docs)]
    pub read: InputArgs,
}

/// `crm csat`.
#[derive(Debug, Clone, Args)]
pub struct CsatArgs {
    #[command(flatten)]
    #[allow(missing_docs)]
    pub survey: SurveyArgs,
    /// Highest point of the scale (the scale starts at 1).
    #[arg(long, default_value_t = 5, value_parser = clap::value_parser!(u8).range(2..=10))]
    pub scale_max: u8,
}

/// A built-in state machine.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum BuiltinMachine {
    /// Customer lifecycle.
    Customer,
    /// Ticket workflow.
    Ticket,
    /// Deal pipeline.
    Deal,
}

/// Which machine to draw.
#[derive(Debug, Clone, Args)]
#[group(id = "machine_source", required = true, multiple = false)]
pub struct MachineSource {
    /// Machine definition (TOML or JSON, by extension).
    #[arg(group = "machine_source")]
    pub file: Option<PathBuf>,
    /// A built-in machine.
    #[arg(long, value_enum, group = "machine_source")]
    pub builtin: Option<BuiltinMachine>,
}

/// `crm lifecycle`.
#[derive(Debug, Subcommand)]
pub enum LifecycleCommand {
    /// Validate a machine definition; every finding is listed and the exit status is 4 when
    /// there is any.
    Validate {
        /// Machine definition (TOML or JSON, by extension).
        file: PathBuf,
        /// Print the result as JSON (`file`, `valid`, `name`, `states`, `transitions`,
        /// `findings`).
        #[arg(long)]
        json: bool,
    },
    /// Print a machine as Graphviz DOT.
    Dot(DiagramArgs),
    /// Print a machine as a Mermaid `stateDiagram-v2`.
    Mermaid(DiagramArgs),
}

/// A machine to draw and where the drawing goes.
#[derive(Debug, Clone, Args)]
pub struct DiagramArgs {
    #[command(flatten)]
    #[allow(missing_docs)]
    pub source: MachineSource,
    /// Write the diagram to FILE instead of standard output.
    #[arg(long, short = 'o', value_name = "FILE")]
    pub output: Option<PathBuf>,
    /// Print the diagram as JSON (`name`, `format`, `text`).
    #[arg(long)]
    pub json: bool,
}

#[cfg(test)]
mod tests {
    use super::*;
    use clap::CommandFactory;

    #[test]
    fn command_structure_is_consistent() {
        Cli::command().debug_assert();
    }

    #[test]
    fn names_are_the_documented_ones() {
        let cli = Cli::try_parse_from([
            "crm",
            "churn",
            "fit",
            "--model",
            "pareto-nbd",
            "--transactions",
            "t.csv",
            "--calibration-end",
            "2020-01-01",
            "--holdout-end",
            "2020-06-01",
            "--time-unit",
            "day",
            "--json",
        ])
        .expect("parses");
        match cli.command {
            Command::Churn(ChurnCommand::Fit(a)) => {
                assert_eq!(a.model, ChurnModelKind::ParetoNbd);
                assert_eq!(a.fit.summary.time_unit, TimeUnitArg::Day);
                assert!(a.fit.out.json);
            }
            other => panic!("unexpected {other:?}"),
        }
        assert!(Cli::try_parse_from(["crm", "rfm", "--bins", "11", "--db", "x"]).is_err());
        assert!(
            Cli::try_parse_from(["crm", "rfm", "--db", "x", "--transactions", "t.csv"]).is_err()
        );
        let cli = Cli::try_parse_from(["crm", "retention", "fit", "--survivors", "1000,631,468"])
            .expect("parses");
        match cli.command {
            Command::Retention(RetentionCommand::Fit(a)) => {
                assert_eq!(a.survivors, vec![1000, 631, 468])
            }
            other => panic!("unexpected {other:?}"),
        }
    }
}
