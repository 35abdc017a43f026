//! Report sections: keeping in touch (follow-ups due under the default cadence policy, care
//! reminders, channel mix, response times, repeat purchases by contacts) and the loyalty
//! programme, computed by `crm-engagement` as `crm followups`, `crm care`, `crm contacts`
//! and `crm loyalty report` compute them.

use std::collections::BTreeMap;

use chrono::{DateTime, Utc};
use crm_core::LoyaltyEvent;
use crm_engagement::{HolidayCalendar, ledger};
use serde_json::json;
use thousands::Separable;

use crate::cli::ContactPeriodArg;
use crate::commands::engagement::{contacts_summary, due_report, duration_text, policy, reminders};
use crate::commands::loyalty::{balances, programme, programme_summary};
use crate::error::{CliError, CliResult};
use crate::report::charts;
use crate::report::collector::Collector;
use crate::report::dataset::Dataset;
use crate::report::html::{Chart, Section, Table};

/// Days ahead of the care reminders shown.
const CARE_DAYS: u32 = 14;
/// Months of channel mix drawn.
const MIX_MONTHS: usize = 12;

fn pct(x: Option<f64>) -> String {
    x.map(|v| format!("{:.1}%", 100.0 * v))
        .unwrap_or_else(|| "-".into())
}

/// The keeping-in-touch section.
pub fn keeping_in_touch(data: &Dataset, as_of: DateTime<Utc>, c: &mut Collector) -> CliResult<()> {
    let policy = policy(None)?;
    let report = due_report(data, &policy, as_of, None)?;
    let summary = contacts_summary(
        data,
        &policy,
        as_of,
        ContactPeriodArg::Month,
        &[0, 1, 3, 6, 11],
    )?;
    let care = reminders(data, &HolidayCalendar::default(), as_of, CARE_DAYS, None)?;
    let care_total: usize = care.iter().map(|g| g.reminders.len()).sum();

    let mut by_rule: BTreeMap<String, (u64, u64)> = BTreeMap::new();
    for d in &report.due {
        by_rule.entry(d.rule.to_string()).or_default().0 += 1;
    }
    for d in &report.without_consent {
        by_rule.entry(d.rule.to_string()).or_default().1 += 1;
    }
    let mut charts_v = Vec::new();
    if !by_rule.is_empty() {
        let labels: Vec<String> = by_rule.keys().cloned().collect();
        let with: Vec<f64> = by_rule.values().map(|v| v.0 as f64).collect();
        let without: Vec<f64> = by_rule.values().map(|v| v.1 as f64).collect();
        charts_v.push(Chart {
            caption: "Customers due a follow-up per cadence rule: with a consenting channel to \
                      use, and without consent on any of the rule's channels"
                .into(),
            svg: charts::bars(
                "Follow-ups due by rule",
                &labels,
                &[("with a channel", &with), ("without consent", &without)],
                "customers",
            )?,
        });
    }
    let mix = &summary.channel_mix[summary.channel_mix.len().saturating_sub(MIX_MONTHS)..];
    if !mix.is_empty() {
        let channels: Vec<String> = {
            let mut all: Vec<String> = mix
                .iter()
                .flat_map(|m| m.by_channel.keys().cloned())
                .collect();
            all.sort();
            all.dedup();
            all
        };
        let labels: Vec<String> = mix
            .iter()
            .map(|m| m.period.format("%Y-%m").to_string())
            .collect();
        let values: Vec<Vec<f64>> = channels
            .iter()
            .map(|ch| {
                mix.iter()
                    .map(|m| {
                        100.0 * *m.by_channel.get(ch).unwrap_or(&0) as f64 / m.total.max(1) as f64
                    })
                    .collect()
            })
            .collect();
        let series: Vec<(&str, &[f64])> = channels
            .iter()
            .zip(&values)
            .map(|(c, v)| (c.as_str(), v.as_slice()))
            .collect();
        charts_v.push(Chart {
            caption: format!(
                "Share of interactions per channel, month by month (the last {} months with \
                 interactions)",
                mix.len()
            ),
            svg: charts::bars("Channel mix", &labels, &series, "% of interactions")?,
        });
    }
    let buckets = &summary.repeat_rate_by_contacts.buckets;
    if buckets.iter().any(|b| b.customers > 0) {
        let labels: Vec<String> = buckets
            .iter()
            .map(|b| match b.max_contacts {
                Some(m) if m == b.min_contacts => format!("{m} contacts"),
                Some(m) => format!("{}-{m} contacts", b.min_contacts),
                None => format!("{}+ contacts", b.min_contacts),
            })
            .collect();
        let rates: Vec<f64> = buckets
            .iter()
            .map(|b| 100.0 * b.repeat_rate().unwrap_or(0.0))
            .collect();
        charts_v.push(Chart {
            caption: "Share of buyers who bought again, by how often they were contacted: \
                      descriptive, not causal (customers who buy more are also contacted more)"
                .into(),
            svg: charts::bars(
                "Repeat-purchase rate by contacts",
                &labels,
                &[("% repeat buyers", &rates)],
                "% of buyers",
            )?,
        });
    }
    let mut overdue: Vec<_> = report.due.iter().collect();
    overdue.sort_by(|a, b| {
        b.days_overdue
            .map_or(u64::MAX, u64::from)
            .cmp(&a.days_overdue.map_or(u64::MAX, u64::from))
            .then_with(|| a.customer.cmp(&b.customer))
    });
    let mut tables = vec![Table {
        caption: "The most overdue follow-ups (never contacted first)".into(),
        columns: ["customer", "owner", "rule", "channel", "days overdue"]
            .iter()
            .map(|s| s.to_string())
            .collect(),
        rows: overdue
            .iter()
            .take(10)
            .map(|d| {
                vec![
                    d.customer.to_string(),
                    d.owner
                        .as_ref()
                        .map(ToString::to_string)
                        .unwrap_or_else(|| "-".into()),
                    d.rule.to_string(),
                    d.channel.map(|c| c.to_string()).unwrap_or_default(),
                    d.days_overdue
                        .map(|n| n.separate_with_commas())
                        .unwrap_or_else(|| "never contacted".into()),
                ]
            })
            .collect(),
    }];
    if care_total > 0 {
        tables.push(Table {
            caption: format!("Care reminders in the next {CARE_DAYS} days, per owner"),
            columns: ["owner", "birthdays", "anniversaries", "total"]
                .iter()
                .map(|s| s.to_string())
                .collect(),
            rows: care
                .iter()
                .map(|g| {
                    let birthdays = g
                        .reminders
                        .iter()
                        .filter(|r| r.occasion == crm_engagement::Occasion::Birthday)
                        .count();
                    vec![
                        g.owner
                            .as_ref()
                            .map(ToString::to_string)
                            .unwrap_or_else(|| "(no owner)".into()),
                        birthdays.separate_with_commas(),
                        (g.reminders.len() - birthdays).separate_with_commas(),
                        g.reminders.len().separate_with_commas(),
                    ]
                })
                .collect(),
        });
    }
    let due_total = report.due.len() + report.without_consent.len();
    let section = Section {
        title: "Keeping in touch".into(),
        text: format!(
            "Follow-ups due as of {} under the default cadence policy (A-class customers every \
             30 days, B-class every 60, everyone else every 90; `crm followups --policy FILE` \
             applies your own), the channel mix of interactions, the time to answer inbound \
             contacts, and care reminders (birthdays, purchase and registration anniversaries) \
             for the next {CARE_DAYS} days.",
            as_of.format("%Y-%m-%d")
        ),
        headlines: vec![
            ("follow-ups due".into(), due_total.separate_with_commas()),
            (
                "due without consent".into(),
                report.without_consent.len().separate_with_commas(),
            ),
            ("within cadence".into(), pct(summary.within_cadence)),
            (
                "median reply".into(),
                summary
                    .response
                    .median_seconds
                    .map(duration_text)
                    .unwrap_or_else(|| "-".into()),
            ),
            (
                format!("care reminders ({CARE_DAYS} days)"),
                care_total.separate_with_commas(),
            ),
        ],
        charts: charts_v,
        tables,
        ..Section::default()
    };
    c.section(
        section,
        "keeping_in_touch",
        json!({
            "as_of": as_of,
            "customers": report.customers,
            "due": report.due.len(),
            "due_without_consent": report.without_consent.len(),
            "within_cadence": summary.within_cadence,
            "inbound": summary.response.inbound,
            "unanswered": summary.response.unanswered,
            "median_reply_seconds": summary.response.median_seconds,
            "care_reminders": care_total,
            "care_days": CARE_DAYS,
            "repeat_rate_by_contacts": summary.repeat_rate_by_contacts,
        }),
    );
    Ok(())
}

/// The loyalty section over the events, with the default programme in `currency`.
pub fn loyalty(
    events: &[LoyaltyEvent],
    currency: &str,
    as_of: DateTime<Utc>,
    c: &mut Collector,
) -> CliResult<()> {
    let programme = programme(None, currency)?;
    let book = ledger(events, &programme).map_err(|e| CliError::analysis("loyalty", e))?;
    let first = events.iter().map(|e| e.occurred_at).min().unwrap_or(as_of);
    let until = as_of.max(first);
    // The programme report covers (from, until]: start just before the first event.
    let r = programme_summary(
        &book,
        &programme,
        None,
        first - chrono::Duration::nanoseconds(1),
        until,
    )?;
    let top = balances(&book, until, 30);
    let mut months: BTreeMap<String, (f64, f64)> = BTreeMap::new();
    for e in events.iter().filter(|e| e.occurred_at <= until) {
        let m = months
            .entry(e.occurred_at.format("%Y-%m").to_string())
            .or_default();
        if e.points > 0 {
            m.0 += e.points as f64;
        } else {
            m.1 += -e.points as f64;
        }
    }
    let shown: Vec<(&String, &(f64, f64))> = months.iter().rev().take(24).collect();
    let labels: Vec<String> = shown.iter().rev().map(|(k, _)| (*k).clone()).collect();
    let earned: Vec<f64> = shown.iter().rev().map(|(_, v)| v.0).collect();
    let spent: Vec<f64> = shown.iter().rev().map(|(_, v)| v.1).collect();
    let percent = |x: Option<rust_decimal::Decimal>| {
        x.map(|v| format!("{:.1}%", v * rust_decimal::Decimal::ONE_HUNDRED))
            .unwrap_or_else(|| "-".into())
    };
    let section = Section {
        title: "Loyalty".into(),
        text: format!(
            "Points earned, redeemed and expired from {} to {} with the default programme (1 \
             point per {currency}, each worth 0.01; `crm loyalty report --programme FILE` \
             applies your own): members, balances and the outstanding liability.",
            first.format("%Y-%m-%d"),
            until.format("%Y-%m-%d")
        ),
        headlines: vec![
            ("members".into(), r.members.separate_with_commas()),
            (
                "active members".into(),
                r.active_members.separate_with_commas(),
            ),
            (
                "points outstanding".into(),
                r.outstanding.separate_with_commas(),
            ),
            (
                "liability".into(),
                format!(
                    "{} {}",
                    r.liability.amount().round_dp(2).separate_with_commas(),
                    r.liability.currency().code()
                ),
            ),
            ("redemption rate".into(), percent(r.redemption_rate)),
        ],
        charts: vec![Chart {
            caption: "Points earned and points taken away (redeemed, expired, adjusted down) per \
                      month"
                .into(),
            svg: charts::bars(
                "Loyalty points per month",
                &labels,
                &[("earned", &earned), ("redeemed or expired", &spent)],
                "points",
            )?,
        }],
        tables: vec![Table {
            caption: "Largest balances".into(),
            columns: ["member", "points", "expiring in 30 days"]
                .iter()
                .map(|s| s.to_string())
                .collect(),
            rows: top
                .iter()
                .take(10)
                .map(|b| {
                    vec![
                        b.customer_id.clone(),
                        b.balance.separate_with_commas(),
                        b.expiring.separate_with_commas(),
                    ]
                })
                .collect(),
        }],
        ..Section::default()
    };
    c.section(
        section,
        "loyalty",
        serde_json::to_value(&r).unwrap_or_default(),
    );
    Ok(())
}
