//! `crm campaign select|results`: a campaign's audience with a reproducible holdout, and
//! each campaign's results against its holdout.

use std::collections::HashMap;
use std::path::{Path, PathBuf};

use chrono::{DateTime, Utc};
use crm_churn::ClvConfig;
use crm_core::Money;
use crm_core::{Campaign, CampaignId, CampaignMember, CustomerId, LifecycleStage};
use crm_engagement::{
    AudienceFilter, AudienceSpec, CampaignConfig, CampaignReport, CampaignResults, ConfidenceLevel,
    CustomerLabels, LabelKind, WinBackCandidate, analyze_campaign, rank_win_back, select_audience,
};
use rust_decimal::Decimal;
use rust_decimal::prelude::FromPrimitive;
use serde::Serialize;

use crate::cli::{
    CampaignCommand, CampaignResultsArgs, CampaignSelectArgs, CampaignSource, CampaignWinbackArgs,
    ChurnModelKind, LabelArg, ReportArgs, TimeUnitArg, TransactionFormat,
};
use crate::commands::churn::{clv_customer, clv_of, score_rows, table_gamma_gamma};
use crate::commands::database::transaction_row;
use crate::commands::engagement::Labels;
use crate::commands::models::{PurchaseModel, summaries_from_transactions};
use crate::error::{CliError, CliResult, InputError};
use crate::input::{parse_cli_date_opt, read_text};
use crate::output::{finite, outln, print_json, write_table};
use crate::report::dataset::Dataset;
use crate::report::load::{load_database, load_files};

/// Runs `crm campaign`.
pub fn run(command: &CampaignCommand) -> CliResult<()> {
    match command {
        CampaignCommand::Select(args) => select(args),
        CampaignCommand::Results(args) => results(args),
        CampaignCommand::Winback(args) => winback(args),
    }
}

/// The records of `--db`, or of the files given.
pub fn load(source: &CampaignSource) -> CliResult<Dataset> {
    if let Some(db) = &source.db {
        return load_database(db);
    }
    if source.customers.is_none() && source.transactions.is_none() && source.members.is_none() {
        return Err(CliError::Usage(
            "give --db PATH, or files: --campaigns, --members, --transactions (and --customers)"
                .into(),
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
        interactions: None,
        tickets: None,
        deals: None,
        campaigns: source.campaigns.clone(),
        members: source.members.clone(),
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

/// The label kind of a `--by` or `--stratify` value.
pub fn label_kind(arg: LabelArg) -> LabelKind {
    match arg {
        LabelArg::Rfm => LabelKind::RfmSegment,
        LabelArg::Tier => LabelKind::Tier,
        LabelArg::Stage => LabelKind::LifecycleStage,
        LabelArg::Risk => LabelKind::ChurnRisk,
    }
}

/// Every customer's labels: RFM segment and value tier from the transactions up to
/// `as_of` (default: the latest), the lifecycle stage of the customer record, and with
/// `risk` the churn-risk band of [`churn_facts`].
pub fn customer_labels(
    data: &Dataset,
    as_of: Option<DateTime<Utc>>,
    risk: bool,
) -> CliResult<Vec<CustomerLabels>> {
    let at = as_of
        .or_else(|| data.last_transaction())
        .unwrap_or_else(Utc::now);
    let labels = Labels::of(&data.transactions, at)?;
    let facts = if risk {
        churn_facts(data, at, WINBACK_WEEKS)?
    } else {
        HashMap::new()
    };
    Ok(data
        .customers
        .iter()
        .map(|c| {
            let mut l = CustomerLabels::new(c.id.clone());
            let (segment, tier) = labels.segment_and_tier(&c.id);
            l.rfm_segment = segment;
            l.tier = tier;
            l.lifecycle_stage = c.lifecycle_stage;
            l.churn_risk = facts.get(&c.id.to_string()).map(|f| f.risk_band.clone());
            l
        })
        .collect())
}

/// The default horizon of the expected CLV, in weeks.
const WINBACK_WEEKS: u32 = 52;

/// What the churn models say of a customer.
#[derive(Debug, Clone, PartialEq)]
pub struct ChurnFacts {
    /// `low`, `medium` or `high`, as `crm churn score` gives it.
    pub risk_band: String,
    /// Probability the customer is still active.
    pub p_alive: f64,
    /// Expected lifetime value over the horizon, if active.
    pub clv: f64,
}

/// Each buying customer's churn-risk band, P(alive) and expected CLV over `weeks`, from
/// BG/NBD and Gamma-Gamma fitted to the transactions up to `at` (weekly summaries, as
/// `crm churn score` and `crm clv score` fit them; CLV discounted at about 10% a year).
pub fn churn_facts(
    data: &Dataset,
    at: DateTime<Utc>,
    weeks: u32,
) -> CliResult<HashMap<String, ChurnFacts>> {
    let rows: Vec<_> = data.transactions.iter().map(transaction_row).collect();
    let table = summaries_from_transactions(&rows, Some(at), None, TimeUnitArg::Week)?;
    let model = PurchaseModel::fit(ChurnModelKind::Bgnbd, &table)?;
    let scores = score_rows(&model, &table, f64::from(weeks))?;
    let (spend, _) = table_gamma_gamma(&table)?;
    let config = ClvConfig {
        horizon_periods: weeks,
        period_length: 1.0,
        discount_rate: 0.0019,
    };
    table
        .rows
        .iter()
        .zip(scores)
        .map(|(r, s)| {
            let clv = clv_of(&model, &spend.params, &clv_customer(r), &config)?;
            Ok((
                r.id.clone(),
                ChurnFacts {
                    risk_band: s.risk_band,
                    p_alive: s.p_alive.unwrap_or(0.0),
                    clv: clv.value,
                },
            ))
        })
        .collect()
}

/// One row of `crm campaign winback`.
#[derive(Debug, Clone, Serialize)]
pub struct WinbackRow {
    /// 1 for the most valuable.
    pub rank: usize,
    /// The customer.
    pub customer_id: String,
    /// The churn-risk band.
    pub risk_band: String,
    /// Probability the customer is still active.
    pub p_alive: f64,
    /// Expected lifetime value over the horizon, if active.
    pub expected_clv: String,
    /// P(alive) × expected CLV.
    pub expected_value: String,
    /// The currency of the amounts.
    pub currency: String,
}

/// The columns of `crm campaign winback --output`.
pub const WINBACK_COLUMNS: [&str; 7] = [
    "rank",
    "customer_id",
    "risk_band",
    "p_alive",
    "expected_clv",
    "expected_value",
    "currency",
];

/// The customers of the bands asked for, ranked by expected value.
pub fn winback_rows(data: &Dataset, args: &CampaignWinbackArgs) -> CliResult<Vec<WinbackRow>> {
    let at = parse_cli_date_opt("as-of", &args.as_of)?
        .or_else(|| data.last_transaction())
        .ok_or_else(|| CliError::analysis("win-back", "no transactions"))?;
    let facts = churn_facts(data, at, args.weeks)?;
    let currency = data
        .transactions
        .first()
        .map(|t| t.amount.currency())
        .ok_or_else(|| CliError::analysis("win-back", "no transactions"))?;
    let mut bands: HashMap<CustomerId, String> = HashMap::new();
    let mut candidates = Vec::new();
    let mut ids: Vec<&String> = facts.keys().collect();
    ids.sort();
    for id in ids {
        let f = &facts[id];
        if !args.risk.contains(&f.risk_band) {
            continue;
        }
        let customer = CustomerId::parse(id).map_err(|e| CliError::analysis("win-back", e))?;
        let clv = Decimal::from_f64(f.clv.max(0.0))
            .unwrap_or_default()
            .round_dp(crm_core::minor_digits(currency));
        bands.insert(customer.clone(), f.risk_band.clone());
        candidates.push(WinBackCandidate {
            customer,
            p_alive: f.p_alive.clamp(0.0, 1.0),
            expected_clv: Money::new(clv, currency),
        });
    }
    let ranked =
        rank_win_back(&candidates, args.limit).map_err(|e| CliError::analysis("win-back", e))?;
    Ok(ranked
        .into_iter()
        .map(|t| WinbackRow {
            rank: t.rank,
            risk_band: bands.get(&t.customer).cloned().unwrap_or_default(),
            customer_id: t.customer.to_string(),
            p_alive: t.p_alive,
            expected_clv: t.expected_clv.amount().to_string(),
            expected_value: t.expected_value.amount().to_string(),
            currency: currency.code().to_string(),
        })
        .collect())
}

fn winback(args: &CampaignWinbackArgs) -> CliResult<()> {
    let data = load(&args.source)?;
    let rows = winback_rows(&data, args)?;
    if let Some(path) = &args.out.output {
        write_table(path, &rows, &WINBACK_COLUMNS)?;
    }
    if args.out.json {
        return print_json(&serde_json::json!({
            "risk_bands": args.risk,
            "weeks": args.weeks,
            "customers": rows.len(),
            "rows": rows,
        }));
    }
    outln!(
        "{} customers at {} risk, by expected value (P(alive) x expected CLV over {} weeks):",
        rows.len(),
        args.risk.join(" or "),
        args.weeks
    )?;
    for r in rows.iter().take(if args.out.output.is_some() {
        10
    } else {
        rows.len()
    }) {
        outln!(
            "{:>5}  {}  {}  P(alive) {:.3}  CLV {} {}  expected {} {}",
            r.rank,
            r.customer_id,
            r.risk_band,
            r.p_alive,
            r.expected_clv,
            r.currency,
            r.expected_value,
            r.currency
        )?;
    }
    Ok(())
}

/// The customer ids of a `--list` file: a header `customer_id` (alone or among other
/// columns), or one id per line.
fn read_list(path: &Path) -> CliResult<Vec<CustomerId>> {
    let text = read_text(path)?;
    let mut lines = text.lines().enumerate().map(|(i, l)| (i as u64 + 1, l));
    let mut column = None;
    let mut ids = Vec::new();
    let mut first = true;
    for (line, l) in lines.by_ref() {
        let fields: Vec<&str> = l.split(',').map(str::trim).collect();
        if first {
            first = false;
            if let Some(i) = fields.iter().position(|f| *f == "customer_id") {
                column = Some(i);
                continue;
            }
        }
        let text = match column {
            Some(i) => fields.get(i).copied().unwrap_or(""),
            None => l.trim(),
        };
        if text.is_empty() {
            continue;
        }
        let id = CustomerId::parse(text).map_err(|e| {
            InputError::field(
                path,
                line,
                column.map_or(1, |i| i + 1),
                "customer_id",
                format!("a valid customer id ({e})"),
                text,
            )
        })?;
        ids.push(id);
    }
    if ids.is_empty() {
        return Err(InputError::file(path, "at least one customer id").into());
    }
    Ok(ids)
}

/// One selected member, as a row of a members file.
#[derive(Debug, Clone, Serialize)]
pub struct SelectedRow {
    /// The campaign.
    pub campaign_id: String,
    /// The customer.
    pub customer_id: String,
    /// `treatment` or `holdout`.
    pub group: &'static str,
}

/// The columns of `crm campaign select --output`.
pub const SELECTED_COLUMNS: [&str; 3] = ["campaign_id", "customer_id", "group"];

/// The members `crm campaign select` picks: the audience of the arguments' filters with
/// its holdout, in customer id order.
pub fn select_members(data: &Dataset, args: &CampaignSelectArgs) -> CliResult<Vec<CampaignMember>> {
    let campaign: CampaignId = args
        .campaign
        .parse()
        .map_err(|e| CliError::Usage(format!("--campaign: {e}")))?;
    let as_of = parse_cli_date_opt("as-of", &args.as_of)?;
    let risk = !args.risk.is_empty() || args.stratify == Some(LabelArg::Risk);
    let candidates = customer_labels(data, as_of, risk)?;
    let mut spec = AudienceSpec::new(args.holdout, args.seed);
    spec.stratify_by = args.stratify.map(label_kind);
    for (kind, values) in [
        (LabelKind::RfmSegment, &args.segment),
        (LabelKind::Tier, &args.tier),
        (LabelKind::LifecycleStage, &args.stage),
        (LabelKind::ChurnRisk, &args.risk),
    ] {
        if values.is_empty() {
            continue;
        }
        if kind == LabelKind::LifecycleStage {
            for v in values {
                v.parse::<LifecycleStage>()
                    .map_err(|e| CliError::Usage(format!("--stage: {e}")))?;
            }
        }
        spec.filters.push(AudienceFilter::Label {
            kind,
            values: values.clone(),
        });
    }
    if let Some(path) = &args.list {
        spec.filters.push(AudienceFilter::List(read_list(path)?));
    }
    let audience = select_audience(&candidates, &spec).map_err(|e| match e {
        crm_engagement::CampaignError::InvalidParameter { .. } => {
            CliError::Usage(format!("--holdout: {e}"))
        }
        other => CliError::analysis("audience", other),
    })?;
    let mut members = audience.campaign_members(&campaign);
    members.sort_by_cached_key(|m| m.customer.to_string());
    Ok(members)
}

fn select(args: &CampaignSelectArgs) -> CliResult<()> {
    let data = load(&args.source)?;
    let members = select_members(&data, args)?;
    let rows: Vec<SelectedRow> = members
        .iter()
        .map(|m| SelectedRow {
            campaign_id: m.campaign.to_string(),
            customer_id: m.customer.to_string(),
            group: m.group.as_str(),
        })
        .collect();
    if let Some(path) = &args.out.output {
        write_table(path, &rows, &SELECTED_COLUMNS)?;
    }
    let holdout = rows.iter().filter(|r| r.group == "holdout").count();
    if args.out.json {
        return print_json(&serde_json::json!({
            "campaign": args.campaign,
            "members": rows.len(),
            "treatment": rows.len() - holdout,
            "holdout": holdout,
            "seed": args.seed,
            "rows": rows,
        }));
    }
    if args.out.output.is_none() {
        // Without a file the members go to standard output, as a members file.
        let bytes = crate::output::to_csv(&rows, &SELECTED_COLUMNS)?;
        return outln!("{}", String::from_utf8_lossy(&bytes).trim_end());
    }
    outln!(
        "campaign {}: {} members, {} treatment, {} holdout (seed {})",
        args.campaign,
        rows.len(),
        rows.len() - holdout,
        holdout,
        args.seed
    )
}

/// The results of every campaign (or of the one asked for) in `data`.
pub fn campaign_reports(
    data: &Dataset,
    only: Option<&str>,
    config: &CampaignConfig,
    labels: &[CustomerLabels],
) -> CliResult<Vec<(Campaign, CampaignReport)>> {
    let mut by_campaign: HashMap<&CampaignId, Vec<CampaignMember>> = HashMap::new();
    for m in &data.members {
        by_campaign.entry(&m.campaign).or_default().push(m.clone());
    }
    let mut out = Vec::new();
    for c in &data.campaigns {
        if only.is_some_and(|id| id != c.id.to_string()) {
            continue;
        }
        let members = by_campaign.get(&c.id).map_or(&[][..], Vec::as_slice);
        let report = analyze_campaign(c, members, &data.transactions, labels, config)
            .map_err(|e| CliError::analysis("campaign results", e))?;
        out.push((c.clone(), report));
    }
    if let Some(id) = only
        && out.is_empty()
    {
        return Err(CliError::Usage(format!("--campaign: no campaign {id}")));
    }
    Ok(out)
}

/// One row of `crm campaign results --output`: a campaign, or a segment within it.
#[derive(Debug, Clone, Serialize)]
pub struct ResultRow {
    /// The campaign.
    pub campaign_id: String,
    /// The segment (empty for the whole campaign).
    pub segment: String,
    /// Treatment members.
    pub treatment: u64,
    /// Holdout members.
    pub holdout: u64,
    /// Share of treatment members the message reached.
    pub reach: Option<f64>,
    /// Treatment response rate.
    pub treatment_response: Option<f64>,
    /// Holdout response rate.
    pub holdout_response: Option<f64>,
    /// Treatment conversion rate, with its Wilson interval.
    pub treatment_conversion: Option<f64>,
    /// Lower end of the treatment conversion rate's interval.
    pub treatment_conversion_low: Option<f64>,
    /// Upper end.
    pub treatment_conversion_high: Option<f64>,
    /// Holdout conversion rate.
    pub holdout_conversion: Option<f64>,
    /// Lower end of the holdout conversion rate's interval.
    pub holdout_conversion_low: Option<f64>,
    /// Upper end.
    pub holdout_conversion_high: Option<f64>,
    /// Conversion uplift (treatment minus holdout).
    pub conversion_uplift: Option<f64>,
    /// Lower end of its interval.
    pub conversion_uplift_low: Option<f64>,
    /// Upper end.
    pub conversion_uplift_high: Option<f64>,
    /// Two-sided p-value of the two-proportion z-test.
    pub conversion_p_value: Option<f64>,
    /// Response uplift.
    pub response_uplift: Option<f64>,
    /// Its p-value.
    pub response_p_value: Option<f64>,
    /// Treatment revenue per customer.
    pub treatment_revenue_per_customer: Option<String>,
    /// Holdout revenue per customer.
    pub holdout_revenue_per_customer: Option<String>,
    /// Revenue per customer uplift.
    pub revenue_uplift: Option<f64>,
    /// Lower end of its Welch interval.
    pub revenue_uplift_low: Option<f64>,
    /// Upper end.
    pub revenue_uplift_high: Option<f64>,
    /// Welch's two-sided p-value.
    pub revenue_p_value: Option<f64>,
    /// Incremental revenue: the uplift per customer times the treatment members.
    pub incremental_revenue: Option<String>,
    /// The cost (the campaign's, or the segment's share of it).
    pub cost: Option<String>,
    /// Return on the cost: (incremental revenue − cost) / cost.
    pub roi: Option<String>,
    /// The currency of the amounts.
    pub currency: String,
}

/// The columns of `crm campaign results --output`.
pub const RESULT_COLUMNS: [&str; 29] = [
    "campaign_id",
    "segment",
    "treatment",
    "holdout",
    "reach",
    "treatment_response",
    "holdout_response",
    "treatment_conversion",
    "treatment_conversion_low",
    "treatment_conversion_high",
    "holdout_conversion",
    "holdout_conversion_low",
    "holdout_conversion_high",
    "conversion_uplift",
    "conversion_uplift_low",
    "conversion_uplift_high",
    "conversion_p_value",
    "response_uplift",
    "response_p_value",
    "treatment_revenue_per_customer",
    "holdout_revenue_per_customer",
    "revenue_uplift",
    "revenue_uplift_low",
    "revenue_uplift_high",
    "revenue_p_value",
    "incremental_revenue",
    "cost",
    "roi",
    "currency",
];

/// The row of one campaign's (or segment's) results.
pub fn result_row(campaign: &Campaign, segment: Option<&str>, r: &CampaignResults) -> ResultRow {
    let f = |x: f64| finite(x);
    let amount = |m: &crm_core::Money| m.amount().to_string();
    ResultRow {
        campaign_id: campaign.id.to_string(),
        segment: segment.unwrap_or("").to_string(),
        treatment: r.treatment.members,
        holdout: r.holdout.members,
        reach: r.treatment.reach.and_then(|p| f(p.rate)),
        treatment_response: r.treatment.response.and_then(|p| f(p.rate)),
        holdout_response: r.holdout.response.and_then(|p| f(p.rate)),
        treatment_conversion: r.treatment.conversion.and_then(|p| f(p.rate)),
        treatment_conversion_low: r.treatment.conversion.and_then(|p| f(p.wilson.lower)),
        treatment_conversion_high: r.treatment.conversion.and_then(|p| f(p.wilson.upper)),
        holdout_conversion: r.holdout.conversion.and_then(|p| f(p.rate)),
        holdout_conversion_low: r.holdout.conversion.and_then(|p| f(p.wilson.lower)),
        holdout_conversion_high: r.holdout.conversion.and_then(|p| f(p.wilson.upper)),
        conversion_uplift: r.conversion_uplift.and_then(|u| f(u.difference)),
        conversion_uplift_low: r.conversion_uplift.and_then(|u| f(u.interval.lower)),
        conversion_uplift_high: r.conversion_uplift.and_then(|u| f(u.interval.upper)),
        conversion_p_value: r.conversion_uplift.and_then(|u| f(u.p_value)),
        response_uplift: r.response_uplift.and_then(|u| f(u.difference)),
        response_p_value: r.response_uplift.and_then(|u| f(u.p_value)),
        treatment_revenue_per_customer: r.treatment.revenue_per_customer.as_ref().map(amount),
        holdout_revenue_per_customer: r.holdout.revenue_per_customer.as_ref().map(amount),
        revenue_uplift: r.revenue_uplift.and_then(|u| f(u.difference)),
        revenue_uplift_low: r.revenue_uplift.and_then(|u| f(u.interval.lower)),
        revenue_uplift_high: r.revenue_uplift.and_then(|u| f(u.interval.upper)),
        revenue_p_value: r.revenue_uplift.and_then(|u| f(u.p_value)),
        incremental_revenue: r.incremental_revenue.as_ref().map(amount),
        cost: r.cost.as_ref().map(amount),
        roi: r.roi.map(|x| x.round_dp(4).normalize().to_string()),
        currency: campaign.cost.currency().code().to_string(),
    }
}

/// Every row of the results: each campaign, then its segments.
pub fn result_rows(reports: &[(Campaign, CampaignReport)]) -> Vec<ResultRow> {
    let mut rows = Vec::new();
    for (c, report) in reports {
        rows.push(result_row(c, None, &report.overall));
        for s in &report.segments {
            let name = s.segment.as_deref().unwrap_or("(none)");
            rows.push(result_row(c, Some(name), &s.results));
        }
    }
    rows
}

/// The configuration of `crm campaign results`.
pub fn results_config(args: &CampaignResultsArgs) -> CliResult<CampaignConfig> {
    let level =
        ConfidenceLevel::new(args.level).map_err(|e| CliError::Usage(format!("--level: {e}")))?;
    Ok(CampaignConfig {
        attribution_days: args.attribution_days,
        level,
        segment_by: args.by.map(label_kind),
    })
}

fn percent(x: Option<f64>) -> String {
    x.map_or_else(|| "-".into(), |x| format!("{:.1}%", 100.0 * x))
}

fn results(args: &CampaignResultsArgs) -> CliResult<()> {
    let config = results_config(args)?;
    let data = load(&args.source)?;
    if data.campaigns.is_empty() {
        return Err(CliError::Usage(
            "no campaigns: give --campaigns FILE, or a --db holding campaigns".into(),
        ));
    }
    let labels = match args.by {
        Some(by) => customer_labels(
            &data,
            parse_cli_date_opt("as-of", &args.as_of)?,
            by == LabelArg::Risk,
        )?,
        None => Vec::new(),
    };
    let reports = campaign_reports(&data, args.campaign.as_deref(), &config, &labels)?;
    let rows = result_rows(&reports);
    if let Some(path) = &args.out.output {
        write_table(path, &rows, &RESULT_COLUMNS)?;
    }
    if args.out.json {
        return print_json(&serde_json::json!({
            "attribution_days": config.attribution_days,
            "level": config.level.value(),
            "campaigns": rows,
        }));
    }
    for r in &rows {
        let name = if r.segment.is_empty() {
            format!("campaign {}", r.campaign_id)
        } else {
            format!("  segment {}", r.segment)
        };
        outln!(
            "{name}: {} treatment, {} holdout; conversion {} vs {}, uplift {} \
             [{}, {}] p={}; revenue/customer {} vs {} {}; incremental {} {}; ROI {}",
            r.treatment,
            r.holdout,
            percent(r.treatment_conversion),
            percent(r.holdout_conversion),
            percent(r.conversion_uplift),
            percent(r.conversion_uplift_low),
            percent(r.conversion_uplift_high),
            r.conversion_p_value
                .map_or_else(|| "-".into(), |p| format!("{p:.4}")),
            r.treatment_revenue_per_customer.as_deref().unwrap_or("-"),
            r.holdout_revenue_per_customer.as_deref().unwrap_or("-"),
            r.currency,
            r.incremental_revenue.as_deref().unwrap_or("-"),
            r.currency,
            r.roi.as_deref().unwrap_or("-"),
        )?;
    }
    Ok(())
}
