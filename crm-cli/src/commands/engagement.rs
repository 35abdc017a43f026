//! `crm followups`, `crm care` and `crm contacts`: the keeping-in-touch analyses of
//! `crm-engagement` over a database or files.
//!
//! Records are read as `crm report` reads them (a database through the storage traits, or
//! files checked as `crm import` checks them), and the labels the cadence rules match on
//! (ABC class, value tier, RFM segment) are computed from the transactions by
//! `crm-segmentation`, as `crm abc`, `crm tiers` and `crm rfm` compute them.

use std::collections::HashMap;
use std::path::{Path, PathBuf};

use chrono::{DateTime, Utc};
use crm_core::{Customer, CustomerId, Transaction, UserId};
use crm_engagement::{
    AbcClass, CadencePolicy, CadenceSubject, CareSubject, ChannelMix, DueCustomer, DueReport,
    HolidayCalendar, OwnerReminders, Period, RepeatRateByContacts, ResponseTimes, care_reminders,
    channel_mix, contacts_per_period, due, repeat_rate_by_contacts, response_times,
    share_within_cadence,
};
use crm_segmentation::{
    AbcClass as SegmentationAbc, RfmTable, TierAssignment, TierTable, assign_tiers,
};
use serde::Serialize;
use thousands::Separable;

use crate::cli::{
    ActivitySource, CareArgs, ContactPeriodArg, ContactsArgs, FollowupsArgs, ReportArgs,
    TransactionFormat,
};
use crate::commands::database::transaction_row;
use crate::commands::segment::rfm_table;
use crate::error::{CliError, CliResult, InputError};
use crate::input::parse_cli_date_opt;
use crate::input::transactions::TransactionRow;
use crate::output::{outln, print_json, write_table};
use crate::report::dataset::Dataset;
use crate::report::load::{load_database, load_files};

/// The policy `crm followups` applies without `--policy` (printed in its help).
pub const DEFAULT_POLICY: &str = r#"
[[rules]]
name = "a-class"
match = { abc_classes = ["A"] }
max_interval_days = 30
channels = ["phone", "email", "messaging", "sms"]

[[rules]]
name = "b-class"
match = { abc_classes = ["B"] }
max_interval_days = 60
channels = ["email", "phone", "messaging", "sms"]

[default]
name = "everyone"
max_interval_days = 90
channels = ["email", "messaging", "sms", "post"]
"#;

/// The records of `--db` or of the files given.
pub fn load(source: &ActivitySource) -> CliResult<Dataset> {
    if let Some(db) = &source.db {
        return load_database(db);
    }
    if source.customers.is_none() && source.interactions.is_none() {
        return Err(CliError::Usage(
            "give --db PATH, or files: --customers and --interactions (and --transactions)".into(),
        ));
    }
    load_files(&ReportArgs {
        db: None,
        transactions: source.transactions.clone(),
        format: TransactionFormat::Csv,
        currency: source.currency.clone(),
        customers: source.customers.clone(),
        responses: Vec::new(),
        scale_max: 5,
        interactions: source.interactions.clone(),
        tickets: None,
        deals: None,
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
        read: source.read.clone(),
    })
}

/// Reads a policy, calendar or programme file: JSON by a `.json` name, TOML otherwise;
/// the error names the file.
pub fn read_config<T, E: std::fmt::Display>(
    path: &Path,
    what: &str,
    from_toml: impl Fn(&str) -> Result<T, E>,
    from_json: impl Fn(&str) -> Result<T, E>,
) -> CliResult<T> {
    let text = std::fs::read_to_string(path).map_err(|source| CliError::Read {
        path: path.to_path_buf(),
        source,
    })?;
    let json = path
        .extension()
        .is_some_and(|e| e.eq_ignore_ascii_case("json"));
    let parsed = if json {
        from_json(&text)
    } else {
        from_toml(&text)
    };
    parsed.map_err(|e| InputError::file(path, format!("a valid {what} ({e})")).into())
}

/// The cadence policy of `--policy`, or the default one.
pub fn policy(path: Option<&Path>) -> CliResult<CadencePolicy> {
    match path {
        Some(p) => read_config(
            p,
            "cadence policy",
            CadencePolicy::from_toml,
            CadencePolicy::from_json,
        ),
        None => CadencePolicy::from_toml(DEFAULT_POLICY)
            .map_err(|e| CliError::Usage(format!("the default cadence policy: {e}"))),
    }
}

/// The reference time of the keeping-in-touch analyses: the given date, else the latest
/// interaction or transaction, else now.
pub fn reference_time(data: &Dataset, given: Option<DateTime<Utc>>) -> DateTime<Utc> {
    given
        .or_else(|| {
            let i = data.interactions.iter().map(|i| i.occurred_at).max();
            let t = data.last_transaction();
            i.max(t)
        })
        .unwrap_or_else(Utc::now)
}

/// Per customer: the ABC class, value tier and RFM segment computed from transactions (the
/// tables kept whole, each customer found by id without copying a label).
#[derive(Debug, Default)]
pub struct Labels {
    tables: Option<(RfmTable<String>, TierAssignment<String>)>,
    row_of: HashMap<CustomerId, usize>,
}

impl Labels {
    /// The labels of every customer with purchases up to `as_of`.
    pub fn of(transactions: &[Transaction], as_of: DateTime<Utc>) -> CliResult<Self> {
        let rows: Vec<TransactionRow> = transactions
            .iter()
            .filter(|t| t.occurred_at <= as_of)
            .map(transaction_row)
            .collect();
        if rows.is_empty() {
            return Ok(Self::default());
        }
        let table = rfm_table(&rows, Some(as_of), 5)?;
        let tiers = assign_tiers(&table, &TierTable::default())
            .map_err(|e| CliError::analysis("value tiers", e))?;
        // The table's keys are the transactions' customer ids, so they parse back.
        let row_of = table
            .customers
            .iter()
            .enumerate()
            .filter_map(|(i, row)| CustomerId::parse(&row.customer).ok().map(|id| (id, i)))
            .collect();
        Ok(Self {
            tables: Some((table, tiers)),
            row_of,
        })
    }

    /// The RFM segment and value tier of a customer with purchases.
    pub fn segment_and_tier(&self, customer: &CustomerId) -> (Option<String>, Option<String>) {
        let (Some((table, tiers)), Some(&i)) = (&self.tables, self.row_of.get(customer)) else {
            return (None, None);
        };
        (
            Some(table.segment_name(&table.customers[i]).to_string()),
            Some(tiers.tier_name(&tiers.customers[i]).to_string()),
        )
    }

    /// The cadence subject of a customer, with the labels known for it.
    pub fn subject<'a>(&'a self, customer: &'a Customer) -> CadenceSubject<'a> {
        let subject = CadenceSubject::new(customer);
        let (Some((table, tiers)), Some(&i)) = (&self.tables, self.row_of.get(&customer.id)) else {
            return subject;
        };
        let (row, tier) = (&table.customers[i], &tiers.customers[i]);
        let abc = match tier.abc {
            SegmentationAbc::A => AbcClass::A,
            SegmentationAbc::B => AbcClass::B,
            SegmentationAbc::C => AbcClass::C,
        };
        subject
            .with_abc_class(abc)
            .with_value_tier(tiers.tier_name(tier))
            .with_rfm_segment(table.segment_name(row))
    }
}

/// A test of whether a customer belongs to `owner` (every customer does when `None`; an
/// owner that is not a valid user id owns no one), with the id parsed once.
fn owned_by(owner: Option<&str>) -> impl Fn(&&Customer) -> bool {
    let wanted: Option<Option<UserId>> = owner.map(|o| UserId::parse(o).ok());
    move |c: &&Customer| match &wanted {
        None => true,
        Some(w) => w.is_some() && c.owner.as_ref() == w.as_ref(),
    }
}

/// Who is due at `as_of` under `policy`, over the customers of `owner` (all when `None`).
pub fn due_report(
    data: &Dataset,
    policy: &CadencePolicy,
    as_of: DateTime<Utc>,
    owner: Option<&str>,
) -> CliResult<DueReport> {
    let labels = Labels::of(&data.transactions, as_of)?;
    let subjects: Vec<CadenceSubject<'_>> = data
        .customers
        .iter()
        .filter(owned_by(owner))
        .map(|c| labels.subject(c))
        .collect();
    due(as_of, &subjects, &data.interactions, policy)
        .map_err(|e| CliError::analysis("follow-ups", e))
}

/// Columns of the follow-up list.
pub const DUE_COLUMNS: [&str; 7] = [
    "customer_id",
    "owner",
    "rule",
    "last_contact",
    "days_overdue",
    "channel",
    "consent",
];

/// One due customer as a row of `--output`.
#[derive(Debug, Clone, Serialize)]
pub struct DueRow {
    /// The customer.
    pub customer_id: String,
    /// The owner who should follow up.
    pub owner: String,
    /// The rule that applied.
    pub rule: String,
    /// The last counting contact (RFC 3339), empty when never contacted.
    pub last_contact: String,
    /// Days past the interval, empty when never contacted.
    pub days_overdue: Option<u32>,
    /// The channel to use, empty without consent.
    pub channel: String,
    /// `yes` when a channel with consent was found.
    pub consent: &'static str,
}

fn due_row(d: &DueCustomer, consent: bool) -> DueRow {
    DueRow {
        customer_id: d.customer.to_string(),
        owner: d
            .owner
            .as_ref()
            .map(ToString::to_string)
            .unwrap_or_default(),
        rule: d.rule.to_string(),
        last_contact: d.last_contact.map(|t| t.to_rfc3339()).unwrap_or_default(),
        days_overdue: d.days_overdue,
        channel: d.channel.map(|c| c.to_string()).unwrap_or_default(),
        consent: if consent { "yes" } else { "no" },
    }
}

/// Every due customer as rows: those with a channel first, then those without consent.
pub fn due_rows(report: &DueReport) -> Vec<DueRow> {
    report
        .due
        .iter()
        .map(|d| due_row(d, true))
        .chain(report.without_consent.iter().map(|d| due_row(d, false)))
        .collect()
}

fn overdue_text(d: &DueCustomer) -> String {
    match d.days_overdue {
        Some(n) => format!("{} days overdue", n.separate_with_commas()),
        None => "never contacted".into(),
    }
}

/// `crm followups`.
pub fn followups(args: &FollowupsArgs) -> CliResult<()> {
    let as_of = parse_cli_date_opt("as-of", &args.as_of)?;
    let policy = policy(args.policy.as_deref())?;
    let data = load(&args.source)?;
    let as_of = reference_time(&data, as_of);
    let report = due_report(&data, &policy, as_of, args.owner.as_deref())?;
    if let Some(path) = &args.out.output {
        write_table(path, &due_rows(&report), &DUE_COLUMNS)?;
    }
    if args.out.json {
        return print_json(&report);
    }
    outln!(
        "Follow-ups as of {}: {} of {} customers due ({} with a channel, {} without consent \
         on their rule's channels); {} on cadence",
        as_of.format("%Y-%m-%d"),
        (report.due.len() + report.without_consent.len()).separate_with_commas(),
        report.customers.separate_with_commas(),
        report.due.len().separate_with_commas(),
        report.without_consent.len().separate_with_commas(),
        report.on_cadence().separate_with_commas(),
    )?;
    let mut by_rule: std::collections::BTreeMap<&str, usize> = Default::default();
    for d in report.due.iter().chain(&report.without_consent) {
        *by_rule.entry(&d.rule).or_default() += 1;
    }
    for (rule, n) in &by_rule {
        outln!("  rule {rule:<16} {:>9} due", n.separate_with_commas())?;
    }
    if !report.due.is_empty() {
        outln!("Most overdue (never contacted first):")?;
        let mut shown: Vec<&DueCustomer> = report.due.iter().collect();
        shown.sort_by(|a, b| {
            b.days_overdue
                .map_or(u64::MAX, u64::from)
                .cmp(&a.days_overdue.map_or(u64::MAX, u64::from))
                .then_with(|| a.customer.cmp(&b.customer))
        });
        for d in shown.iter().take(args.limit) {
            outln!(
                "  {:<16} {:<14} {:<8} {:<20} owner {}",
                d.customer.to_string(),
                d.rule,
                d.channel.map(|c| c.to_string()).unwrap_or_default(),
                overdue_text(d),
                d.owner
                    .as_ref()
                    .map(ToString::to_string)
                    .unwrap_or_else(|| "-".into())
            )?;
        }
        let hidden = report.due.len().saturating_sub(args.limit);
        if hidden > 0 {
            outln!(
                "  ({} more: --limit N, or every one with --output FILE or --json)",
                hidden.separate_with_commas()
            )?;
        }
    }
    if report.skipped_after_as_of > 0 {
        outln!(
            "{} interactions after the as-of date were not counted",
            report.skipped_after_as_of.separate_with_commas()
        )?;
    }
    Ok(())
}

/// The care subjects of the customers of `owner`: each with its first purchase.
fn care_subjects<'a>(
    customers: &'a [Customer],
    first_purchase: &HashMap<&CustomerId, DateTime<Utc>>,
    owner: Option<&str>,
) -> Vec<CareSubject<'a>> {
    customers
        .iter()
        .filter(owned_by(owner))
        .map(|c| {
            let s = match c.time_zone {
                Some(tz) => CareSubject::new(c).with_time_zone(tz),
                None => CareSubject::new(c),
            };
            match first_purchase.get(&c.id) {
                Some(&t) => s.with_first_purchase(t),
                None => s,
            }
        })
        .collect()
}

/// The first purchase (not a refund) of every customer.
pub fn first_purchases(transactions: &[Transaction]) -> HashMap<&CustomerId, DateTime<Utc>> {
    let mut first: HashMap<&CustomerId, DateTime<Utc>> = HashMap::new();
    for t in transactions.iter().filter(|t| !t.is_refund()) {
        first
            .entry(&t.customer)
            .and_modify(|f| *f = (*f).min(t.occurred_at))
            .or_insert(t.occurred_at);
    }
    first
}

/// Care reminders over a data set.
pub fn reminders(
    data: &Dataset,
    calendar: &HolidayCalendar,
    as_of: DateTime<Utc>,
    days: u32,
    owner: Option<&str>,
) -> CliResult<Vec<OwnerReminders>> {
    let first = first_purchases(&data.transactions);
    let subjects = care_subjects(&data.customers, &first, owner);
    care_reminders(as_of, days, &subjects, calendar)
        .map_err(|e| CliError::analysis("care reminders", e))
}

/// Columns of the care reminder list.
pub const CARE_COLUMNS: [&str; 7] = [
    "owner",
    "customer_id",
    "occasion",
    "name",
    "date",
    "years",
    "days_until",
];

/// One reminder as a row of `--output`.
#[derive(Debug, Clone, Serialize)]
pub struct CareRow {
    /// The owner (empty: none).
    pub owner: String,
    /// The customer.
    pub customer_id: String,
    /// birthday, first_purchase, registration or holiday.
    pub occasion: String,
    /// The holiday's name.
    pub name: String,
    /// The day (`YYYY-MM-DD`, the customer's local date).
    pub date: String,
    /// Age or years since.
    pub years: Option<u32>,
    /// Days from today.
    pub days_until: u32,
}

fn occasion_name(o: crm_engagement::Occasion) -> &'static str {
    match o {
        crm_engagement::Occasion::Birthday => "birthday",
        crm_engagement::Occasion::FirstPurchase => "first_purchase",
        crm_engagement::Occasion::Registration => "registration",
        crm_engagement::Occasion::Holiday => "holiday",
    }
}

/// Every reminder as rows, owner by owner.
pub fn care_rows(groups: &[OwnerReminders]) -> Vec<CareRow> {
    groups
        .iter()
        .flat_map(|g| {
            g.reminders.iter().map(|r| CareRow {
                owner: g
                    .owner
                    .as_ref()
                    .map(ToString::to_string)
                    .unwrap_or_default(),
                customer_id: r.customer.to_string(),
                occasion: occasion_name(r.occasion).into(),
                name: r.name.clone().unwrap_or_default(),
                date: r.date.format("%Y-%m-%d").to_string(),
                years: r.years,
                days_until: r.days_until,
            })
        })
        .collect()
}

/// `crm care`.
pub fn care(args: &CareArgs) -> CliResult<()> {
    let as_of = parse_cli_date_opt("as-of", &args.as_of)?.unwrap_or_else(Utc::now);
    let calendar = match &args.calendar {
        Some(p) => read_config(
            p,
            "holiday calendar",
            HolidayCalendar::from_toml,
            HolidayCalendar::from_json,
        )?,
        None => HolidayCalendar::default(),
    };
    let data = load(&args.source)?;
    let groups = reminders(&data, &calendar, as_of, args.days, args.owner.as_deref())?;
    if let Some(path) = &args.out.output {
        write_table(path, &care_rows(&groups), &CARE_COLUMNS)?;
    }
    if args.out.json {
        return print_json(&serde_json::json!({
            "as_of": as_of,
            "days": args.days,
            "owners": groups,
        }));
    }
    let total: usize = groups.iter().map(|g| g.reminders.len()).sum();
    outln!(
        "Care reminders from {} over {} days: {} for {} owners",
        as_of.format("%Y-%m-%d"),
        args.days,
        total.separate_with_commas(),
        groups.len().separate_with_commas()
    )?;
    for g in &groups {
        let owner = g
            .owner
            .as_ref()
            .map(ToString::to_string)
            .unwrap_or_else(|| "(no owner)".into());
        outln!("{owner}: {}", g.reminders.len().separate_with_commas())?;
        for r in g.reminders.iter().take(args.limit) {
            let what = match (&r.name, r.years) {
                (Some(name), _) => name.clone(),
                (None, Some(y)) => format!("{} ({y})", occasion_name(r.occasion)),
                (None, None) => occasion_name(r.occasion).to_string(),
            };
            let when = match r.days_until {
                0 => "today".to_string(),
                1 => "tomorrow".to_string(),
                n => format!("in {n} days"),
            };
            outln!(
                "  {} {:<12} {:<16} {what}",
                r.date.format("%Y-%m-%d"),
                when,
                r.customer.to_string()
            )?;
        }
        let hidden = g.reminders.len().saturating_sub(args.limit);
        if hidden > 0 {
            outln!("  ({} more)", hidden.separate_with_commas())?;
        }
    }
    Ok(())
}

/// The library's period for the command line's.
fn period(arg: ContactPeriodArg) -> Period {
    match arg {
        ContactPeriodArg::Day => Period::Day,
        ContactPeriodArg::Week => Period::Week,
        ContactPeriodArg::Month => Period::Month,
    }
}

/// Communication analytics of a data set.
#[derive(Debug, Clone, Serialize)]
pub struct ContactsSummary {
    /// The as-of time of the cadence check.
    pub as_of: DateTime<Utc>,
    /// Customers.
    pub customers: usize,
    /// Interactions.
    pub interactions: usize,
    /// Customers with at least one interaction.
    pub customers_contacted: usize,
    /// The channel mix per period.
    pub channel_mix: Vec<ChannelMix>,
    /// Inbound interactions answered and unanswered, with the median reply time (replies
    /// themselves are in `--output`'s sibling `--json` only as counts).
    pub response: ResponseSummary,
    /// Share of customers contacted within their cadence.
    pub within_cadence: Option<f64>,
    /// The repeat-purchase rate per contact-count bucket (descriptive, not causal).
    pub repeat_rate_by_contacts: RepeatRateByContacts,
}

/// Response times to inbound contacts, summarised.
#[derive(Debug, Clone, Serialize)]
pub struct ResponseSummary {
    /// Inbound interactions.
    pub inbound: usize,
    /// Inbound interactions without a later outbound one.
    pub unanswered: u64,
    /// Median seconds to the reply.
    pub median_seconds: Option<i64>,
}

impl From<&ResponseTimes> for ResponseSummary {
    fn from(r: &ResponseTimes) -> Self {
        ResponseSummary {
            inbound: r.replies.len(),
            unanswered: r.unanswered,
            median_seconds: r.median_seconds,
        }
    }
}

/// The communication analytics of a data set.
pub fn contacts_summary(
    data: &Dataset,
    policy: &CadencePolicy,
    as_of: DateTime<Utc>,
    period_arg: ContactPeriodArg,
    buckets: &[u64],
) -> CliResult<ContactsSummary> {
    let report = due_report(data, policy, as_of, None)?;
    let contacted: std::collections::HashSet<&CustomerId> =
        data.interactions.iter().map(|i| &i.customer).collect();
    Ok(ContactsSummary {
        as_of,
        customers: data.customers.len(),
        interactions: data.interactions.len(),
        customers_contacted: contacted.len(),
        channel_mix: channel_mix(&data.interactions, period(period_arg)),
        response: ResponseSummary::from(&response_times(&data.interactions, None)),
        within_cadence: share_within_cadence(&report),
        repeat_rate_by_contacts: repeat_rate_by_contacts(
            &data.interactions,
            &data.transactions,
            buckets,
        ),
    })
}

/// One customer's interactions in one period, as a row of `--output`.
#[derive(Debug, Clone, Serialize)]
pub struct ContactRow {
    /// The customer.
    pub customer_id: String,
    /// The first day of the period (`YYYY-MM-DD`).
    pub period: String,
    /// Interactions in it.
    pub contacts: u64,
}

/// Columns of the contacts-per-period table.
pub const CONTACT_COLUMNS: [&str; 3] = ["customer_id", "period", "contacts"];

/// A duration in seconds for people.
pub fn duration_text(seconds: i64) -> String {
    let s = seconds.max(0);
    match s {
        s if s < 60 => format!("{s} s"),
        s if s < 3_600 => format!("{:.0} min", s as f64 / 60.0),
        s if s < 172_800 => format!("{:.1} h", s as f64 / 3_600.0),
        s => format!("{:.1} days", s as f64 / 86_400.0),
    }
}

/// `crm contacts`.
pub fn contacts(args: &ContactsArgs) -> CliResult<()> {
    let as_of = parse_cli_date_opt("as-of", &args.as_of)?;
    let policy = policy(args.policy.as_deref())?;
    let data = load(&args.source)?;
    let as_of = reference_time(&data, as_of);
    if args.buckets.is_empty() {
        return Err(CliError::Usage("--buckets: give at least one bound".into()));
    }
    let summary = contacts_summary(&data, &policy, as_of, args.period, &args.buckets)?;
    if let Some(path) = &args.out.output {
        let rows: Vec<ContactRow> = contacts_per_period(&data.interactions, period(args.period))
            .into_iter()
            .map(|r| ContactRow {
                customer_id: r.customer.to_string(),
                period: r.period.format("%Y-%m-%d").to_string(),
                contacts: r.contacts,
            })
            .collect();
        write_table(path, &rows, &CONTACT_COLUMNS)?;
    }
    if args.out.json {
        return print_json(&summary);
    }
    print_contacts(&summary)
}

fn print_contacts(s: &ContactsSummary) -> CliResult<()> {
    outln!(
        "Contacts: {} interactions with {} of {} customers",
        s.interactions.separate_with_commas(),
        s.customers_contacted.separate_with_commas(),
        s.customers.separate_with_commas()
    )?;
    match s.within_cadence {
        Some(x) => outln!(
            "Contacted within their cadence as of {}: {:.1}%",
            s.as_of.format("%Y-%m-%d"),
            100.0 * x
        )?,
        None => outln!("Contacted within their cadence: no customers")?,
    }
    outln!(
        "Inbound contacts: {} ({} unanswered); median reply {}",
        s.response.inbound.separate_with_commas(),
        s.response.unanswered.separate_with_commas(),
        s.response
            .median_seconds
            .map(duration_text)
            .unwrap_or_else(|| "-".into())
    )?;
    if !s.channel_mix.is_empty() {
        outln!("Channel mix (last periods):")?;
        let start = s.channel_mix.len().saturating_sub(6);
        for m in &s.channel_mix[start..] {
            let mut parts: Vec<(String, u64)> = m
                .by_channel
                .iter()
                .map(|(c, n)| (c.to_string(), *n))
                .collect();
            parts.sort_by(|a, b| b.1.cmp(&a.1).then_with(|| a.0.cmp(&b.0)));
            let text: Vec<String> = parts
                .iter()
                .map(|(c, n)| format!("{c} {:.0}%", 100.0 * *n as f64 / m.total.max(1) as f64))
                .collect();
            outln!(
                "  {} {:>9} {}",
                m.period.format("%Y-%m-%d"),
                m.total.separate_with_commas(),
                text.join(", ")
            )?;
        }
    }
    outln!("Repeat-purchase rate by contacts (descriptive, not causal):")?;
    for b in &s.repeat_rate_by_contacts.buckets {
        let range = match b.max_contacts {
            Some(m) if m == b.min_contacts => format!("{m}"),
            Some(m) => format!("{}-{m}", b.min_contacts),
            None => format!("{}+", b.min_contacts),
        };
        outln!(
            "  {range:>7} contacts: {} buyer{}, {} bought again",
            b.customers.separate_with_commas(),
            if b.customers == 1 { "" } else { "s" },
            b.repeat_rate()
                .map(|r| format!("{:.1}%", 100.0 * r))
                .unwrap_or_else(|| "-".into())
        )?;
    }
    Ok(())
}
