//! `crm sales`: the funnel, outcomes and activity per period (and owner), and quota
//! attainment with pipeline coverage and forecast.

use std::path::{Path, PathBuf};

use chrono::{DateTime, Datelike, Months, NaiveDate, Utc};
use crm_core::{Currency, Deal, DealStage, Interaction, Money, UserId, parse_currency};
use crm_lifecycle::{
    Instance, OwnerPerformance, PerformanceConfig, Quota, QuotaStatus, SalesPeriod,
    StageProbabilities, quota_statuses, sales_performance,
};
use rust_decimal::Decimal;
use serde::Serialize;

use crate::cli::{ReportArgs, SalesArgs, SalesBy, SalesPeriodArg, TransactionFormat};
use crate::error::{CliError, CliResult};
use crate::input::located::Located;
use crate::input::{amount_expected, parse_cli_date_opt};
use crate::output::{finite, outln, print_json, write_table};
use crate::report::dataset::Dataset;
use crate::report::load::{load_database, load_files};
use crate::report::operations::deal_flow;

/// The most periods one run reports.
const MAX_PERIODS: usize = 1_000;

/// The header of a targets file.
pub const TARGETS_HEADER: &str = "owner,period_start,period_end,target[,currency]";

/// Reads a targets file: one quota per row, each checked (a period that ends before it
/// starts, a negative target, an owner that is not a user id are refused with file, line
/// and field); targets without a `currency` column are in `default_currency`.
pub fn read_targets(path: &Path, default_currency: Currency) -> CliResult<Vec<Located<Quota>>> {
    crate::input::activity::read_checked_rows(
        path,
        &["owner", "period_start", "period_end", "target"],
        &["currency"],
        TARGETS_HEADER,
        |row| {
            let owner_text = row.required("owner", "a user id")?;
            let owner = row.parsed("owner", owner_text, UserId::parse, "a valid user id")?;
            let day = |name: &str| -> CliResult<NaiveDate> {
                let text = row.required(name, "a date as YYYY-MM-DD")?;
                NaiveDate::parse_from_str(text, "%Y-%m-%d")
                    .map_err(|_| row.error(name, "a date as YYYY-MM-DD", text))
            };
            let (period_start, period_end) = (day("period_start")?, day("period_end")?);
            let text = row.required("target", "a decimal number such as 50000")?;
            let amount = Decimal::from_str_exact(text)
                .map_err(|_| row.error("target", amount_expected("50000", text), text))?;
            let currency = match row.get("currency") {
                Some(code) => parse_currency(code)
                    .map_err(|_| row.error("currency", "an ISO 4217 code such as USD", code))?,
                None => default_currency,
            };
            let quota = Quota {
                owner,
                period_start,
                period_end,
                target: Money::new(amount, currency),
            };
            quota.validate().map_err(|e| {
                let field = if e.to_string().contains("target") {
                    "target"
                } else {
                    "period_end"
                };
                row.error(field, format!("a valid quota ({e})"), "")
            })?;
            Ok((quota, true))
        },
        |_| Ok(()),
    )
}

/// The deals and interactions of `--db` or of the files.
fn load(args: &SalesArgs) -> CliResult<Dataset> {
    if let Some(db) = &args.db {
        return load_database(db);
    }
    if args.deals.is_none() {
        return Err(CliError::Usage(
            "give --db PATH, or --deals FILE (and --interactions FILE)".into(),
        ));
    }
    load_files(&ReportArgs {
        db: None,
        transactions: None,
        format: TransactionFormat::Csv,
        currency: args.currency.clone(),
        customers: None,
        responses: Vec::new(),
        scale_max: 5,
        interactions: args.interactions.clone(),
        tickets: None,
        deals: args.deals.clone(),
        campaigns: None,
        members: None,
        targets: None,
        from: None,
        to: None,
        as_of: None,
        migration_from: None,
        holdout_from: None,
        customer: None,
        out: PathBuf::from("crm-report"),
        force: false,
        json: false,
        read: args.read.clone(),
    })
}

/// The first day of the calendar period of `kind` holding `day`.
fn period_start(kind: SalesPeriodArg, day: NaiveDate) -> NaiveDate {
    let month = match kind {
        SalesPeriodArg::Month => day.month(),
        SalesPeriodArg::Quarter => (day.month() - 1) / 3 * 3 + 1,
        SalesPeriodArg::Year => 1,
    };
    NaiveDate::from_ymd_opt(day.year(), month, 1).unwrap_or(day)
}

fn months(kind: SalesPeriodArg) -> Months {
    Months::new(match kind {
        SalesPeriodArg::Month => 1,
        SalesPeriodArg::Quarter => 3,
        SalesPeriodArg::Year => 12,
    })
}

/// The calendar periods of `kind` from the one holding `first` to the one holding `last`.
pub fn calendar_periods(
    kind: SalesPeriodArg,
    first: NaiveDate,
    last: NaiveDate,
) -> CliResult<Vec<SalesPeriod>> {
    let mut out = Vec::new();
    let mut start = period_start(kind, first);
    while start <= last {
        let next = start
            .checked_add_months(months(kind))
            .ok_or_else(|| CliError::Usage("--as-of: a date too far ahead".into()))?;
        let end = next.pred_opt().unwrap_or(next);
        out.push(SalesPeriod::new(start, end).map_err(|e| CliError::analysis("sales periods", e))?);
        if out.len() > MAX_PERIODS {
            return Err(CliError::Usage(format!(
                "the deals span more than {MAX_PERIODS} periods: choose a longer --period"
            )));
        }
        start = next;
    }
    Ok(out)
}

/// The latest deal event or interaction.
fn latest(deals: &[Deal], interactions: &[Interaction]) -> Option<DateTime<Utc>> {
    let d = deals
        .iter()
        .flat_map(|d| [Some(d.created_at), d.closed_at])
        .flatten()
        .max();
    let i = interactions.iter().map(|i| i.occurred_at).max();
    d.max(i)
}

/// Sales performance and quotas of one run.
#[derive(Debug, Clone, Serialize)]
pub struct Sales {
    /// The day of the figures.
    pub as_of: DateTime<Utc>,
    /// The currency of the amounts.
    pub currency: Currency,
    /// Per owner (or for the whole team, owner `None`) and period.
    pub performance: Vec<OwnerPerformance>,
    /// Per quota, when targets were given.
    pub quotas: Vec<QuotaStatus>,
}

/// Computes `crm sales` from records: `by_owner` groups by owner, else the team is one
/// group (owners and agents cleared).
pub fn compute(
    deals: &[Deal],
    interactions: &[Interaction],
    quotas: &[Quota],
    by_owner: bool,
    period: SalesPeriodArg,
    as_of: Option<DateTime<Utc>>,
) -> CliResult<Sales> {
    let as_of = as_of
        .or_else(|| latest(deals, interactions))
        .unwrap_or_else(Utc::now);
    let currency = deals
        .first()
        .map(|d| d.amount.currency())
        .or_else(|| quotas.first().map(|q| q.target.currency()))
        .unwrap_or(Currency::USD);
    let first = deals
        .iter()
        .map(|d| d.created_at)
        .min()
        .unwrap_or(as_of)
        .min(as_of);
    let periods = calendar_periods(period, first.date_naive(), as_of.date_naive())?;
    let machine = crm_lifecycle::DEAL_PIPELINE.machine();
    let mut team_deals: Vec<Deal>;
    let mut team_interactions: Vec<Interaction>;
    let (deals_used, interactions_used): (&[Deal], &[Interaction]) = if by_owner {
        (deals, interactions)
    } else {
        team_deals = deals.to_vec();
        team_deals.iter_mut().for_each(|d| d.owner = None);
        team_interactions = interactions.to_vec();
        team_interactions.iter_mut().for_each(|i| i.agent = None);
        (&team_deals, &team_interactions)
    };
    let flows: Vec<Instance> = deals_used
        .iter()
        .map(|d| deal_flow(&machine, d))
        .collect::<CliResult<_>>()?;
    let config = PerformanceConfig::new(currency);
    let performance = sales_performance(
        deals_used.iter().zip(flows.iter()),
        interactions_used,
        &periods,
        &config,
    )
    .map_err(|e| CliError::analysis("sales performance", e))?;
    let quotas = quota_statuses(quotas, deals, as_of, &StageProbabilities::default())
        .map_err(|e| CliError::analysis("quotas", e))?;
    Ok(Sales {
        as_of,
        currency,
        performance,
        quotas,
    })
}

/// One row of `crm sales --output`: an owner (or the team) in a period.
#[derive(Debug, Clone, Serialize)]
pub struct SalesRow {
    /// The owner (`all` for the team, `unassigned` for deals without one).
    pub owner: String,
    /// The period's first day.
    pub period_start: NaiveDate,
    /// Its last day.
    pub period_end: NaiveDate,
    /// Deals opened in the period.
    pub opened: usize,
    /// Deals entering each stage in the period.
    pub entered_qualification: usize,
    /// Entering needs analysis.
    pub entered_needs_analysis: usize,
    /// Entering proposal.
    pub entered_proposal: usize,
    /// Entering negotiation.
    pub entered_negotiation: usize,
    /// Won in the period.
    pub won: usize,
    /// Lost in the period.
    pub lost: usize,
    /// Won ÷ (won + lost).
    pub win_rate: Option<f64>,
    /// The value won.
    pub won_value: Option<String>,
    /// The average won deal.
    pub average_deal_size: Option<String>,
    /// The average days from opening to winning.
    pub average_cycle_days: Option<String>,
    /// Pipeline velocity: value per day.
    pub velocity_per_day: Option<String>,
    /// Calls.
    pub calls: usize,
    /// Meetings.
    pub meetings: usize,
    /// E-mails.
    pub emails: usize,
    /// Other interactions.
    pub other: usize,
}

/// The columns of `crm sales --output`.
pub const SALES_COLUMNS: [&str; 19] = [
    "owner",
    "period_start",
    "period_end",
    "opened",
    "entered_qualification",
    "entered_needs_analysis",
    "entered_proposal",
    "entered_negotiation",
    "won",
    "lost",
    "win_rate",
    "won_value",
    "average_deal_size",
    "average_cycle_days",
    "velocity_per_day",
    "calls",
    "meetings",
    "emails",
    "other",
];

/// The name of an owner in the rows.
pub fn owner_label(owner: Option<&UserId>, by_owner: bool) -> String {
    match (owner, by_owner) {
        (_, false) => "all".into(),
        (Some(o), true) => o.to_string(),
        (None, true) => "unassigned".into(),
    }
}

/// The rows of the performance table.
pub fn sales_rows(sales: &Sales, by_owner: bool) -> Vec<SalesRow> {
    let amount = |m: &Option<Money>| m.as_ref().map(|m| m.amount().round_dp(2).to_string());
    sales
        .performance
        .iter()
        .map(|p| {
            let entered = |stage: DealStage| {
                p.entered
                    .iter()
                    .find(|s| s.stage == stage)
                    .map_or(0, |s| s.deals)
            };
            SalesRow {
                owner: owner_label(p.owner.as_ref(), by_owner),
                period_start: p.period.start,
                period_end: p.period.end,
                opened: p.funnel.deals,
                entered_qualification: entered(DealStage::Qualification),
                entered_needs_analysis: entered(DealStage::NeedsAnalysis),
                entered_proposal: entered(DealStage::Proposal),
                entered_negotiation: entered(DealStage::Negotiation),
                won: p.outcomes.won,
                lost: p.outcomes.lost,
                win_rate: p.outcomes.win_rate().and_then(finite),
                won_value: amount(&p.outcomes.won_value),
                average_deal_size: amount(&p.outcomes.average_deal_size),
                average_cycle_days: p
                    .outcomes
                    .average_cycle_days
                    .map(|d| d.round_dp(1).to_string()),
                velocity_per_day: amount(&p.outcomes.velocity_per_day),
                calls: p.activity.calls,
                meetings: p.activity.meetings,
                emails: p.activity.emails,
                other: p.activity.other,
            }
        })
        .collect()
}

fn ratio_text(x: Option<Decimal>) -> String {
    x.map_or_else(
        || "-".into(),
        |x| format!("{}%", (x * Decimal::ONE_HUNDRED).round_dp(1)),
    )
}

/// `crm sales`.
pub fn run(args: &SalesArgs) -> CliResult<()> {
    let as_of = parse_cli_date_opt("as-of", &args.as_of)?;
    let default_currency = crate::input::transactions::default_currency_option(&args.currency)?;
    let quotas: Vec<Quota> = match &args.targets {
        Some(path) => read_targets(path, default_currency)?
            .into_iter()
            .map(|l| l.record)
            .collect(),
        None => Vec::new(),
    };
    let data = load(args)?;
    let by_owner = args.by == Some(SalesBy::Owner);
    let sales = compute(
        &data.deals,
        &data.interactions,
        &quotas,
        by_owner,
        args.period,
        as_of,
    )?;
    let rows = sales_rows(&sales, by_owner);
    if let Some(path) = &args.out.output {
        write_table(path, &rows, &SALES_COLUMNS)?;
    }
    if args.out.json {
        return print_json(&serde_json::json!({
            "as_of": sales.as_of,
            "currency": sales.currency.code(),
            "rows": rows,
            "performance": sales.performance,
            "quotas": sales.quotas,
        }));
    }
    for r in &rows {
        outln!(
            "{} {}..{}: {} opened, {} won, {} lost, win rate {}, won {} {}, average deal {}, \
             cycle {} days, velocity {}/day; {} calls, {} meetings, {} e-mails",
            r.owner,
            r.period_start,
            r.period_end,
            r.opened,
            r.won,
            r.lost,
            r.win_rate
                .map_or_else(|| "-".into(), |x| format!("{:.1}%", 100.0 * x)),
            r.won_value.as_deref().unwrap_or("0"),
            sales.currency.code(),
            r.average_deal_size.as_deref().unwrap_or("-"),
            r.average_cycle_days.as_deref().unwrap_or("-"),
            r.velocity_per_day.as_deref().unwrap_or("-"),
            r.calls,
            r.meetings,
            r.emails,
        )?;
    }
    for q in &sales.quotas {
        outln!(
            "quota {} {}..{}: target {}, won {} ({}), weighted pipeline {} (coverage {}), \
             forecast {} ({})",
            q.owner,
            q.period.start,
            q.period.end,
            q.target,
            q.won_to_date,
            ratio_text(q.attainment),
            q.weighted_pipeline,
            ratio_text(q.coverage),
            q.forecast,
            ratio_text(q.forecast_attainment),
        )?;
    }
    Ok(())
}
