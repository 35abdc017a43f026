//! The report's duplicates section: the groups of customers recorded more than once, as
//! `crm dedupe` finds them (ids and evidence only, no names or contact points).

use serde_json::{Value, json};
use thousands::Separable;

use crm_core::{MatchConfig, match_customers};

use crate::commands::dedupe::evidence_text;
use crate::error::{CliError, CliResult};
use crate::report::collector::Collector;
use crate::report::html::{Section, Table};

/// The most groups the section lists (the summary counts them all).
const LISTED: usize = 20;

/// Matches the customers and adds the section: the number of groups, of customers in them
/// and of pairs to review, and the first groups with their survivor and evidence.
pub fn section(customers: &[crm_core::Customer], c: &mut Collector) -> CliResult<()> {
    let config = MatchConfig::default();
    let result = match_customers(customers, &config)
        .map_err(|e| CliError::analysis("matching customers", e))?;
    let in_groups: usize = result.groups.iter().map(|g| g.members.len()).sum();
    let rows: Vec<Vec<String>> = result
        .groups
        .iter()
        .take(LISTED)
        .map(|g| {
            let others: Vec<String> = g
                .members
                .iter()
                .filter(|m| **m != g.survivor)
                .map(ToString::to_string)
                .collect();
            let best = g.pairs.iter().max_by(|x, y| x.score.total_cmp(&y.score));
            vec![
                g.survivor.to_string(),
                others.join(", "),
                best.map(|p| format!("{:.1}", p.score)).unwrap_or_default(),
                best.map(evidence_text).unwrap_or_default(),
            ]
        })
        .collect();
    let text = if result.groups.is_empty() {
        format!(
            "No customer appears to be recorded twice: none of the {} candidate pairs scored \
             {} or more (the \"same\" threshold of `crm dedupe`).",
            result.stats.candidate_pairs.separate_with_commas(),
            config.thresholds.same
        )
    } else {
        format!(
            "Customers that appear to be recorded more than once, found by matching names, \
             e-mail addresses, phones, addresses and birthdays (score {} or more). Each group \
             merges into its survivor with `crm merge`; `crm dedupe` lists every group with \
             its evidence.",
            config.thresholds.same
        )
    };
    let mut tables = Vec::new();
    if !rows.is_empty() {
        tables.push(Table {
            caption: if result.groups.len() > LISTED {
                format!("The first {LISTED} of {} groups", result.groups.len())
            } else {
                "Duplicate groups".into()
            },
            columns: ["survivor", "duplicates", "best score", "evidence"]
                .map(String::from)
                .to_vec(),
            rows,
        });
    }
    let section = Section {
        title: "Duplicates".into(),
        text,
        headlines: vec![
            (
                "duplicate groups".into(),
                result.groups.len().separate_with_commas(),
            ),
            (
                "pairs to review".into(),
                result.stats.review_pairs.separate_with_commas(),
            ),
        ],
        tables,
        ..Section::default()
    };
    let summary: Value = json!({
        "groups": result.groups.len(),
        "customers_in_groups": in_groups,
        "review_pairs": result.stats.review_pairs,
        "candidate_pairs": result.stats.candidate_pairs,
    });
    c.section(section, "duplicates", summary);
    Ok(())
}
