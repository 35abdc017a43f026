//! `crm loyalty balance|statement|report|earn`: points, statements and the programme report
//! of `crm-engagement` over a loyalty events file or a database.

use std::collections::BTreeMap;
use std::path::Path;

use chrono::{DateTime, Duration, Utc};
use crm_core::{CustomerId, LoyaltyEvent, Transaction};
use crm_engagement::{
    LineKind, LoyaltyLedger, LoyaltyProgramme, ProgrammeReport, QualifyingMeasure, Statement,
    TierReport, earn_from, ledger, member_tiers, programme_report, qualifying_points,
    qualifying_spend,
};
use rust_decimal::Decimal;
use serde::Serialize;
use thousands::Separable;

use crate::cli::{
    LoyaltyBalanceArgs, LoyaltyCommand, LoyaltyEarnArgs, LoyaltyReportArgs, LoyaltySource,
    LoyaltyStatementArgs, TransactionFormat,
};
use crate::commands::database::{load_loyalty_events, load_transaction_records};
use crate::commands::engagement::read_config;
use crate::commands::import::transaction_records;
use crate::error::{CliError, CliResult};
use crate::input::transactions::{self, default_currency_option};
use crate::input::{loyalty, parse_cli_date_opt};
use crate::output::{check_not_an_input, outln, print_json, write_table};

/// Runs a `crm loyalty` subcommand.
pub fn run(command: &LoyaltyCommand) -> CliResult<()> {
    match command {
        LoyaltyCommand::Balance(args) => balance(args),
        LoyaltyCommand::Statement(args) => statement(args),
        LoyaltyCommand::Report(args) => report(args),
        LoyaltyCommand::Earn(args) => earn(args),
    }
}

/// The programme of `--programme` (TOML, or JSON by a `.json` name), or the simple one: 1
/// point per unit of `currency`, each worth 0.01.
pub fn programme(path: Option<&Path>, currency: &str) -> CliResult<LoyaltyProgramme> {
    let Some(path) = path else {
        let currency = default_currency_option(currency)?;
        return Ok(LoyaltyProgramme::simple(
            currency,
            Decimal::ONE,
            Decimal::new(1, 2),
        ));
    };
    read_config(
        path,
        "loyalty programme",
        LoyaltyProgramme::from_toml,
        LoyaltyProgramme::from_json,
    )
}

/// The events of `--events FILE` or `--db`.
fn events(source: &LoyaltySource) -> CliResult<Vec<LoyaltyEvent>> {
    match (&source.events, &source.db) {
        (Some(path), _) => Ok(loyalty::read(path)?.into_iter().map(|l| l.record).collect()),
        (None, Some(db)) => load_loyalty_events(db),
        (None, None) => Err(CliError::Usage("give --events FILE or --db PATH".into())),
    }
}

/// Events, programme and ledger of a source.
struct Loaded {
    events: Vec<LoyaltyEvent>,
    programme: LoyaltyProgramme,
    ledger: LoyaltyLedger,
}

fn load(source: &LoyaltySource) -> CliResult<Loaded> {
    let programme = programme(source.plan.programme.as_deref(), &source.plan.currency)?;
    let events = events(source)?;
    let ledger = ledger(&events, &programme).map_err(|e| CliError::analysis("loyalty", e))?;
    Ok(Loaded {
        events,
        programme,
        ledger,
    })
}

impl Loaded {
    fn first(&self) -> Option<DateTime<Utc>> {
        self.events.iter().map(|e| e.occurred_at).min()
    }

    fn last(&self) -> Option<DateTime<Utc>> {
        self.events.iter().map(|e| e.occurred_at).max()
    }
}

/// Columns of the balance table.
pub const BALANCE_COLUMNS: [&str; 3] = ["customer_id", "balance", "expiring"];

/// One member's balance.
#[derive(Debug, Clone, Serialize)]
pub struct BalanceRow {
    /// The member.
    pub customer_id: String,
    /// Points at the as-of time.
    pub balance: i64,
    /// Points expiring in the next days.
    pub expiring: i64,
}

/// Every member's balance at `at`, with the points expiring up to `days` later; largest
/// balance first.
pub fn balances(ledger: &LoyaltyLedger, at: DateTime<Utc>, days: u32) -> Vec<BalanceRow> {
    let until = at + Duration::days(i64::from(days));
    let mut rows: Vec<BalanceRow> = ledger
        .members()
        .map(|c| BalanceRow {
            customer_id: c.to_string(),
            balance: ledger.balance(c, at),
            expiring: ledger.expiring(c, at, until),
        })
        .collect();
    rows.sort_by(|a, b| {
        b.balance
            .cmp(&a.balance)
            .then_with(|| a.customer_id.cmp(&b.customer_id))
    });
    rows
}

fn balance(args: &LoyaltyBalanceArgs) -> CliResult<()> {
    let as_of = parse_cli_date_opt("as-of", &args.as_of)?;
    let data = load(&args.source)?;
    let at = as_of.or_else(|| data.last()).unwrap_or_else(Utc::now);
    let rows = balances(&data.ledger, at, args.expiring_days);
    if let Some(path) = &args.out.output {
        write_table(path, &rows, &BALANCE_COLUMNS)?;
    }
    let total: i64 = rows.iter().map(|r| r.balance).sum();
    let expiring: i64 = rows.iter().map(|r| r.expiring).sum();
    if args.out.json {
        return print_json(&serde_json::json!({
            "as_of": at,
            "members": rows.len(),
            "points": total,
            "expiring_days": args.expiring_days,
            "expiring": expiring,
            "value": data.programme.point_value * Decimal::from(total),
            "currency": data.programme.currency.code(),
            "balances": rows,
        }));
    }
    outln!(
        "Loyalty balances as of {}: {} members hold {} points (worth {} {}); {} expire in the \
         next {} days",
        at.format("%Y-%m-%d"),
        rows.len().separate_with_commas(),
        total.separate_with_commas(),
        (data.programme.point_value * Decimal::from(total))
            .round_dp(2)
            .separate_with_commas(),
        data.programme.currency.code(),
        expiring.separate_with_commas(),
        args.expiring_days
    )?;
    for r in rows.iter().take(args.limit) {
        outln!(
            "  {:<16} {:>12} points{}",
            r.customer_id,
            r.balance.separate_with_commas(),
            if r.expiring > 0 {
                format!(", {} expiring", r.expiring.separate_with_commas())
            } else {
                String::new()
            }
        )?;
    }
    let hidden = rows.len().saturating_sub(args.limit);
    if hidden > 0 {
        outln!(
            "  ({} more: --limit N, or every one with --output FILE or --json)",
            hidden.separate_with_commas()
        )?;
    }
    Ok(())
}

/// One statement line, as a row of `--output`.
#[derive(Debug, Clone, Serialize)]
pub struct StatementRow {
    /// When (RFC 3339).
    pub at: String,
    /// earn, redeem, adjust, expire (an event) or expiry (points expired by the rules).
    pub kind: &'static str,
    /// The event, empty for an expiry by the rules.
    pub event_id: String,
    /// The change.
    pub points: i64,
    /// The balance after it.
    pub balance: i64,
}

/// The name of a statement line's kind.
pub fn line_kind(kind: LineKind) -> &'static str {
    match kind {
        LineKind::Earn => "earn",
        LineKind::Redeem => "redeem",
        LineKind::Adjust => "adjust",
        LineKind::Expire => "expire",
        LineKind::Expiry => "expiry",
    }
}

/// Columns of a statement.
pub const STATEMENT_COLUMNS: [&str; 5] = ["at", "kind", "event_id", "points", "balance"];

fn statement(args: &LoyaltyStatementArgs) -> CliResult<()> {
    let from = parse_cli_date_opt("from", &args.from)?;
    let to = parse_cli_date_opt("to", &args.to)?;
    let data = load(&args.source)?;
    let customer: CustomerId = args
        .customer
        .parse()
        .map_err(|e| CliError::Usage(format!("--customer: {e}")))?;
    let Some(account) = data.ledger.account(&customer) else {
        return Err(CliError::Usage(format!(
            "--customer {}: no loyalty events for this customer",
            args.customer
        )));
    };
    // The statement covers (from, to]: start just before the first line by default.
    let first = account.lines.first().map(|l| l.at);
    let from = from
        .or(first.map(|t| t - Duration::nanoseconds(1)))
        .unwrap_or_else(Utc::now);
    let to = to
        .or_else(|| account.lines.last().map(|l| l.at))
        .unwrap_or(from);
    if from > to {
        return Err(CliError::Usage("--from is after --to".into()));
    }
    let s: Statement = data.ledger.statement(&customer, from, to);
    if let Some(path) = &args.out.output {
        let rows: Vec<StatementRow> = s
            .lines
            .iter()
            .map(|l| StatementRow {
                at: l.at.to_rfc3339(),
                kind: line_kind(l.kind),
                event_id: l
                    .event
                    .as_ref()
                    .map(ToString::to_string)
                    .unwrap_or_default(),
                points: l.points,
                balance: l.balance,
            })
            .collect();
        write_table(path, &rows, &STATEMENT_COLUMNS)?;
    }
    if args.out.json {
        return print_json(&s);
    }
    outln!(
        "Statement of {}: opening {} points, closing {} points",
        s.customer,
        s.opening.separate_with_commas(),
        s.closing.separate_with_commas()
    )?;
    for l in &s.lines {
        let kind = line_kind(l.kind);
        outln!(
            "  {} {:<7} {:>10} {:>12}  {}",
            l.at.format("%Y-%m-%d %H:%M"),
            kind,
            format!("{:+}", l.points),
            l.balance.separate_with_commas(),
            l.event
                .as_ref()
                .map(ToString::to_string)
                .unwrap_or_default()
        )?;
    }
    Ok(())
}

/// The tiers of every member up to `until`, qualified as the programme says (spend needs
/// transactions; without them, tiers are left empty).
pub fn tiers_of(
    data_ledger: &LoyaltyLedger,
    programme: &LoyaltyProgramme,
    transactions: Option<&[Transaction]>,
    until: DateTime<Utc>,
) -> CliResult<TierReport> {
    let activity = match (programme.qualification.measure, transactions) {
        (QualifyingMeasure::Points, _) => qualifying_points(data_ledger),
        (QualifyingMeasure::Spend, Some(t)) => {
            qualifying_spend(t, programme).map_err(|e| CliError::analysis("loyalty tiers", e))?
        }
        (QualifyingMeasure::Spend, None) => Vec::new(),
    };
    member_tiers(activity, programme, until).map_err(|e| CliError::analysis("loyalty tiers", e))
}

/// The programme report of a ledger over `from..=until`.
pub fn programme_summary(
    ledger: &LoyaltyLedger,
    programme: &LoyaltyProgramme,
    transactions: Option<&[Transaction]>,
    from: DateTime<Utc>,
    until: DateTime<Utc>,
) -> CliResult<ProgrammeReport> {
    let tiers = tiers_of(ledger, programme, transactions, until)?;
    programme_report(ledger, &tiers, programme, from, until)
        .map_err(|e| CliError::analysis("loyalty report", e))
}

fn percent(x: Option<Decimal>) -> String {
    x.map(|r| format!("{:.1}%", r * Decimal::ONE_HUNDRED))
        .unwrap_or_else(|| "-".into())
}

/// The programme report for people.
pub fn print_programme(r: &ProgrammeReport) -> CliResult<()> {
    outln!(
        "Loyalty programme from {} to {}: {} members, {} active",
        r.from.format("%Y-%m-%d"),
        r.until.format("%Y-%m-%d"),
        r.members.separate_with_commas(),
        r.active_members.separate_with_commas()
    )?;
    outln!(
        "  earned {} points, redeemed {}, expired {}, adjusted {}",
        r.earned.separate_with_commas(),
        r.redeemed.separate_with_commas(),
        r.expired.separate_with_commas(),
        r.adjusted.separate_with_commas()
    )?;
    outln!(
        "  earn rate {}, redemption rate {}, breakage {}",
        percent(r.earn_rate),
        percent(r.redemption_rate),
        percent(r.breakage)
    )?;
    outln!(
        "  outstanding {} points, liability {} {}",
        r.outstanding.separate_with_commas(),
        r.liability.amount().round_dp(2).separate_with_commas(),
        r.liability.currency().code()
    )?;
    if !r.members_per_tier.is_empty() {
        let tiers: Vec<String> = r
            .members_per_tier
            .iter()
            .map(|(t, n)| format!("{t} {}", n.separate_with_commas()))
            .collect();
        outln!(
            "  members per tier: {} ({} joined, {} upgrades, {} downgrades)",
            tiers.join(", "),
            r.joins.separate_with_commas(),
            r.upgrades.separate_with_commas(),
            r.downgrades.separate_with_commas()
        )?;
    }
    Ok(())
}

fn report(args: &LoyaltyReportArgs) -> CliResult<()> {
    let from = parse_cli_date_opt("from", &args.from)?;
    let to = parse_cli_date_opt("to", &args.to)?;
    let data = load(&args.source)?;
    let (Some(first), Some(last)) = (data.first(), data.last()) else {
        return Err(CliError::Usage("no loyalty events".into()));
    };
    // The report covers (from, until]: start just before the first day asked for.
    let from = from.unwrap_or(first) - Duration::nanoseconds(1);
    let until = to.unwrap_or(last);
    if from > until {
        return Err(CliError::Usage("--from is after --to".into()));
    }
    // Tiers qualified by spend read the database's transactions.
    let transactions = match &args.source.db {
        Some(db) if data.programme.qualification.measure == QualifyingMeasure::Spend => {
            Some(db_transactions(db)?)
        }
        _ => None,
    };
    let r = programme_summary(
        &data.ledger,
        &data.programme,
        transactions.as_deref(),
        from,
        until,
    )?;
    if let Some(path) = &args.out.output {
        write_table(path, &report_rows(&r), &["measure", "value"])?;
    }
    if args.out.json {
        return print_json(&r);
    }
    print_programme(&r)
}

/// One figure of the programme report, as a row of `--output`.
#[derive(Debug, Clone, Serialize)]
pub struct ReportRow {
    /// What the figure is.
    pub measure: String,
    /// The figure.
    pub value: String,
}

/// The programme report as `measure,value` rows (members per tier as `tier:NAME`).
pub fn report_rows(r: &ProgrammeReport) -> Vec<ReportRow> {
    let ratio = |x: Option<Decimal>| x.map(|v| v.to_string()).unwrap_or_default();
    let mut rows: Vec<(String, String)> = vec![
        ("from".into(), r.from.to_rfc3339()),
        ("until".into(), r.until.to_rfc3339()),
        ("members".into(), r.members.to_string()),
        ("active_members".into(), r.active_members.to_string()),
        ("earned".into(), r.earned.to_string()),
        ("redeemed".into(), r.redeemed.to_string()),
        ("expired".into(), r.expired.to_string()),
        ("adjusted".into(), r.adjusted.to_string()),
        ("earn_rate".into(), ratio(r.earn_rate)),
        ("redemption_rate".into(), ratio(r.redemption_rate)),
        ("breakage".into(), ratio(r.breakage)),
        ("outstanding".into(), r.outstanding.to_string()),
        ("liability".into(), r.liability.to_string()),
        ("joins".into(), r.joins.to_string()),
        ("upgrades".into(), r.upgrades.to_string()),
        ("downgrades".into(), r.downgrades.to_string()),
    ];
    for (tier, n) in &r.members_per_tier {
        rows.push((format!("tier:{tier}"), n.to_string()));
    }
    rows.into_iter()
        .map(|(measure, value)| ReportRow { measure, value })
        .collect()
}

/// The transactions of a database as records.
fn db_transactions(db: &Path) -> CliResult<Vec<Transaction>> {
    load_transaction_records(db)
}

/// Columns of a loyalty events file, as `crm loyalty earn` writes it.
pub const EVENT_COLUMNS: [&str; 7] = [
    "event_id",
    "customer_id",
    "timestamp",
    "kind",
    "points",
    "reason",
    "transaction_id",
];

/// A loyalty event as a row of a loyalty events file.
#[derive(Debug, Clone, Serialize)]
pub struct EventRow {
    /// The event id.
    pub event_id: String,
    /// The member.
    pub customer_id: String,
    /// When (RFC 3339).
    pub timestamp: String,
    /// earn, redeem, adjust or expire.
    pub kind: &'static str,
    /// The change to the balance.
    pub points: i64,
    /// Why.
    pub reason: String,
    /// The transaction it came from.
    pub transaction_id: String,
}

/// The row of an event.
pub fn event_row(e: &LoyaltyEvent) -> EventRow {
    EventRow {
        event_id: e.id.to_string(),
        customer_id: e.customer.to_string(),
        timestamp: e.occurred_at.to_rfc3339(),
        kind: e.kind.as_str(),
        points: e.points,
        reason: e.reason.clone().unwrap_or_default(),
        transaction_id: e
            .transaction
            .as_ref()
            .map(ToString::to_string)
            .unwrap_or_default(),
    }
}

fn earn(args: &LoyaltyEarnArgs) -> CliResult<()> {
    check_not_an_input(&args.output)?;
    let programme = programme(args.plan.programme.as_deref(), &args.plan.currency)?;
    let records: Vec<Transaction> = match (&args.transactions, &args.db) {
        (Some(path), _) => {
            let rows = transactions::read(path, TransactionFormat::Csv, &args.plan.currency)?;
            transaction_records(path, &rows)?
                .into_iter()
                .map(|l| l.record)
                .collect()
        }
        (None, Some(db)) => db_transactions(db)?,
        (None, None) => {
            return Err(CliError::Usage(
                "give --transactions FILE or --db PATH".into(),
            ));
        }
    };
    let events = earn_from(&records, &programme, &BTreeMap::new())
        .map_err(|e| CliError::analysis("loyalty earn", e))?;
    let rows: Vec<EventRow> = events.iter().map(event_row).collect();
    write_table(&args.output, &rows, &EVENT_COLUMNS)?;
    let earned: i64 = events
        .iter()
        .filter(|e| e.points > 0)
        .map(|e| e.points)
        .sum();
    let taken: i64 = events
        .iter()
        .filter(|e| e.points < 0)
        .map(|e| -e.points)
        .sum();
    if args.json {
        return print_json(&serde_json::json!({
            "transactions": records.len(),
            "events": events.len(),
            "points_earned": earned,
            "points_taken_back": taken,
            "output": args.output,
        }));
    }
    outln!(
        "{} loyalty events from {} transactions ({} points earned, {} taken back by refunds) \
         written to {}",
        events.len().separate_with_commas(),
        records.len().separate_with_commas(),
        earned.separate_with_commas(),
        taken.separate_with_commas(),
        args.output.display()
    )
}
