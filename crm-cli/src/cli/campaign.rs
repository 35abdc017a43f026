//! The arguments of `crm campaign select|results`.

use std::path::PathBuf;

use clap::{Args, Subcommand, ValueEnum};

use super::{InputArgs, OutputArgs};

pub(crate) const CAMPAIGN_HELP: &str = "\
Campaign files have the header
  campaign_id,name,channel,start,cost[,end][,currency][,target_segment]
and member files
  campaign_id,customer_id,group[,sent_at][,opened_at][,clicked_at][,responded_at][,transaction_id]
where group is treatment (contacted) or holdout (kept out, for comparison).

`select` picks an audience from the customers' labels, computed from the transactions up
to --as-of (RFM segment and value tier, as `crm rfm` and `crm tiers` name them), their
lifecycle stage, or a list of customer ids, and holds out a random share of it drawn from
--seed (the same seed picks the same customers), within each segment when --stratify is
given. The members are written in the member file format, ready for `crm import members`.

`results` compares each campaign's treatment with its holdout: reach, response and
conversion rates with Wilson intervals, revenue per customer from the transactions within
--attribution-days after the contact (the send time, or the campaign's start for the
holdout), the uplifts with a confidence interval and a two-sided p-value (two-proportion
z-test for rates, Welch's t-test for revenue per customer), the incremental revenue and the
return on the campaign's cost.

`winback` ranks the customers of the churn-risk bands asked for (default medium and high)
by expected value: P(alive) times the expected lifetime value over --weeks, from BG/NBD and
Gamma-Gamma fitted to the transactions up to --as-of (as `crm churn score` and `crm clv
score` fit them), the most valuable first; `--risk` on `select` and `--by risk` use the
same bands.";

/// Where the campaign commands read their records.
#[derive(Debug, Clone, Args)]
pub struct CampaignSource {
    /// Database written by `crm import` or `crm demo`: a SQLite file or a `postgres://`
    /// URL (read only).
    #[arg(long, value_name = "PATH", conflicts_with_all = ["campaigns", "members", "customers", "transactions"])]
    pub db: Option<PathBuf>,
    /// Campaigns file (header in `crm campaign --help`).
    #[arg(long, value_name = "FILE")]
    pub campaigns: Option<PathBuf>,
    /// Campaign members file (header in `crm campaign --help`).
    #[arg(long, value_name = "FILE")]
    pub members: Option<PathBuf>,
    /// Customers file (columns as in `crm import --help`): lifecycle stages.
    #[arg(long, value_name = "FILE")]
    pub customers: Option<PathBuf>,
    /// Transactions file: revenue after contact, RFM segments and value tiers.
    #[arg(long, value_name = "FILE")]
    pub transactions: Option<PathBuf>,
    /// Currency of amounts in files without a `currency` column.
    #[arg(long, default_value = "USD")]
    pub currency: String,
    #[command(flatten)]
    #[allow(missing_docs)]
    pub read: InputArgs,
}

/// A label customers are selected or grouped by.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum LabelArg {
    /// The RFM segment.
    Rfm,
    /// The value tier.
    Tier,
    /// The lifecycle stage.
    Stage,
    /// The churn-risk band (`low`, `medium`, `high`): the health score of the BG/NBD model
    /// fitted to the transactions, as `crm churn score` gives it.
    Risk,
}

/// `crm campaign`.
#[derive(Debug, Clone, Subcommand)]
pub enum CampaignCommand {
    /// Pick a campaign's audience with a reproducible random holdout; writes the members.
    Select(CampaignSelectArgs),
    /// Each campaign's results: rates with intervals, uplift with its test, revenue, ROI.
    Results(CampaignResultsArgs),
    /// Lapsed and at-risk customers ranked by expected value (P(alive) × expected CLV),
    /// for a win-back campaign's audience.
    Winback(CampaignWinbackArgs),
}

/// `crm campaign winback`.
#[derive(Debug, Clone, Args)]
pub struct CampaignWinbackArgs {
    #[command(flatten)]
    #[allow(missing_docs)]
    pub source: CampaignSource,
    /// The churn-risk bands of the customers ranked (comma-separated: low, medium, high).
    #[arg(long, value_name = "BAND,...", value_delimiter = ',', value_parser = ["low", "medium", "high"], default_value = "medium,high")]
    pub risk: Vec<String>,
    /// Keep the first N customers of the ranking.
    #[arg(long, value_name = "N")]
    pub limit: Option<usize>,
    /// The horizon of the expected CLV, in weeks.
    #[arg(long, default_value_t = 52, value_parser = clap::value_parser!(u32).range(1..))]
    pub weeks: u32,
    /// The day the models are fitted at; default: the latest transaction.
    #[arg(long, value_name = "DATE")]
    pub as_of: Option<String>,
    #[command(flatten)]
    #[allow(missing_docs)]
    pub out: OutputArgs,
}

/// `crm campaign select`.
#[derive(Debug, Clone, Args)]
pub struct CampaignSelectArgs {
    #[command(flatten)]
    #[allow(missing_docs)]
    pub source: CampaignSource,
    /// The campaign the members are for (its id).
    #[arg(long, value_name = "ID")]
    pub campaign: String,
    /// Only customers in these RFM segments (comma-separated names).
    #[arg(long, value_name = "NAME,...", value_delimiter = ',')]
    pub segment: Vec<String>,
    /// Only customers in these value tiers (comma-separated names).
    #[arg(long, value_name = "NAME,...", value_delimiter = ',')]
    pub tier: Vec<String>,
    /// Only customers in these lifecycle stages (comma-separated names).
    #[arg(long, value_name = "NAME,...", value_delimiter = ',')]
    pub stage: Vec<String>,
    /// Only customers in these churn-risk bands (comma-separated: low, medium, high).
    #[arg(long, value_name = "BAND,...", value_delimiter = ',', value_parser = ["low", "medium", "high"])]
    pub risk: Vec<String>,
    /// Only the customers listed in FILE (a `customer_id` column, or one id per line).
    #[arg(long, value_name = "FILE")]
    pub list: Option<PathBuf>,
    /// The share of the audience held out (0 to 1).
    #[arg(long, default_value_t = 0.1)]
    pub holdout: f64,
    /// The seed of the holdout draw.
    #[arg(long, default_value_t = 42)]
    pub seed: u64,
    /// Draw the holdout within each group of this label.
    #[arg(long, value_enum)]
    pub stratify: Option<LabelArg>,
    /// The day the labels are computed at (`YYYY-MM-DD` or RFC 3339); default: the latest
    /// transaction.
    #[arg(long, value_name = "DATE")]
    pub as_of: Option<String>,
    #[command(flatten)]
    #[allow(missing_docs)]
    pub out: OutputArgs,
}

/// `crm campaign results`.
#[derive(Debug, Clone, Args)]
pub struct CampaignResultsArgs {
    #[command(flatten)]
    #[allow(missing_docs)]
    pub source: CampaignSource,
    /// Only this campaign (its id); default: every campaign.
    #[arg(long, value_name = "ID")]
    pub campaign: Option<String>,
    /// Days after the contact whose purchases count as the campaign's revenue.
    #[arg(long, default_value_t = 30)]
    pub attribution_days: u32,
    /// The confidence level of the intervals (between 0 and 1).
    #[arg(long, default_value_t = 0.95)]
    pub level: f64,
    /// Also give the results per group of this label within each campaign.
    #[arg(long, value_enum)]
    pub by: Option<LabelArg>,
    /// The day the labels of `--by` are computed at; default: the latest transaction.
    #[arg(long, value_name = "DATE")]
    pub as_of: Option<String>,
    #[command(flatten)]
    #[allow(missing_docs)]
    pub out: OutputArgs,
}
