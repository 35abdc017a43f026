//! `crm funnel`: the deal pipeline of a deal file or a database, overall and per owner.

use std::collections::BTreeMap;

use crm_core::Deal;
use crm_lifecycle::FunnelReport;

use crate::cli::FunnelArgs;
use crate::commands::database::{list_all, reading, with_store};
use crate::commands::import::check_unique;
use crate::error::{CliError, CliResult};
use crate::input::{activity, transactions};
use crate::output::{outln, print_json};
use crate::report::operations::deal_funnel;

/// The owner key of deals without an owner.
const NO_OWNER: &str = "(none)";

/// The deals of the file or the database the arguments name.
fn load_deals(args: &FunnelArgs) -> CliResult<Vec<Deal>> {
    match (&args.deals, &args.db) {
        (Some(path), _) => {
            let currency = transactions::default_currency_option(&args.currency)?;
            let items = activity::deals(path, currency)?;
            check_unique(path, &items, "deal_id")?;
            Ok(items.into_iter().map(|i| i.record).collect())
        }
        (None, Some(db)) => reading(
            db,
            async |store| with_store!(store, s => list_all::<Deal, _>(s, db).await),
        ),
        (None, None) => Err(CliError::Usage("give --deals FILE or --db PATH".into())),
    }
}

/// The funnel as JSON: the library's report without the times in stage (deal records are
/// dated at their creation only, so those would not be measurements).
fn funnel_json(report: &FunnelReport) -> serde_json::Value {
    let mut v = serde_json::to_value(report).unwrap_or_default();
    if let Some(m) = v.as_object_mut() {
        m.remove("time_in_stage");
    }
    v
}

fn percent(x: Option<f64>) -> String {
    x.map_or_else(|| "-".into(), |r| format!("{:.1}%", 100.0 * r))
}

fn print_funnel(title: &str, report: &FunnelReport) -> CliResult<()> {
    outln!(
        "{title}: {} deals ({} open, {} won, {} lost), win rate {}",
        report.deals,
        report.open,
        report.won,
        report.lost,
        percent(report.win_rate)
    )?;
    for c in &report.conversions {
        outln!(
            "  {:<15} -> {:<15} {:>7} of {:>7} ({})",
            c.from.to_string(),
            c.to.to_string(),
            c.reached_to,
            c.reached_from,
            percent(c.rate())
        )?;
    }
    let money = |v: &[crm_core::Money]| {
        v.iter()
            .map(|m| m.round().to_string())
            .collect::<Vec<_>>()
            .join(", ")
    };
    if !report.open_pipeline.is_empty() {
        outln!(
            "  open pipeline {} (weighted {})",
            money(&report.open_pipeline),
            money(&report.weighted_pipeline)
        )?;
    }
    Ok(())
}

/// `crm funnel`.
pub fn funnel(args: &FunnelArgs) -> CliResult<()> {
    let deals = load_deals(args)?;
    let overall = deal_funnel(&deals)?;
    let mut owners: BTreeMap<String, FunnelReport> = BTreeMap::new();
    if args.by_owner {
        let mut by: BTreeMap<String, Vec<&Deal>> = BTreeMap::new();
        for d in &deals {
            let owner = d
                .owner
                .as_ref()
                .map_or(NO_OWNER.to_string(), |o| o.to_string());
            by.entry(owner).or_default().push(d);
        }
        for (owner, list) in by {
            owners.insert(owner, deal_funnel(list)?);
        }
    }
    if args.json {
        let mut v = serde_json::json!({ "overall": funnel_json(&overall) });
        if args.by_owner {
            v["owners"] = owners
                .iter()
                .map(|(o, r)| (o.clone(), funnel_json(r)))
                .collect::<serde_json::Map<_, _>>()
                .into();
        }
        return print_json(&v);
    }
    print_funnel("deal funnel", &overall)?;
    for (owner, report) in &owners {
        print_funnel(&format!("owner {owner}"), report)?;
    }
    Ok(())
}
