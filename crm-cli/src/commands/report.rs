//! `crm report`: every analysis the data supports, from a database or from files, written
//! as `report.html` and `summary.json` (see [`crate::report::build`]; the records are read
//! by [`crate::report::load`]).

use std::path::PathBuf;
use std::time::Instant;

use chrono::Utc;
use crm_core::CustomerId;

use crate::cli::{ReportArgs, SurveyKind};
use crate::error::{CliError, CliResult};
use crate::input::parse_cli_date_opt;
use crate::report::build::{Options, build, check_out_dir, collector, finish};
use crate::report::churn::ChurnOptions;
use crate::report::load::{load_database, load_files, response_file};

/// Every file given, as `(what, path)`, for the report's description.
fn files_given(args: &ReportArgs) -> Vec<(String, PathBuf)> {
    let mut out = Vec::new();
    let mut add = |what: &str, p: &Option<PathBuf>| {
        if let Some(p) = p {
            out.push((what.to_string(), p.clone()));
        }
    };
    add("customers", &args.customers);
    add("transactions", &args.transactions);
    add("interactions", &args.interactions);
    add("tickets", &args.tickets);
    add("deals", &args.deals);
    add("campaigns", &args.campaigns);
    add("campaign members", &args.members);
    for spec in &args.responses {
        if let Ok((kind, path)) = response_file(spec) {
            let name = match kind {
                SurveyKind::Nps => "NPS responses",
                SurveyKind::Csat => "CSAT responses",
                SurveyKind::Ces => "CES responses",
            };
            out.push((name.to_string(), path));
        }
    }
    out
}

/// `crm report`.
pub fn run(args: &ReportArgs) -> CliResult<()> {
    let started = Instant::now();
    let from = parse_cli_date_opt("from", &args.from)?;
    let to = parse_cli_date_opt("to", &args.to)?;
    let as_of = parse_cli_date_opt("as-of", &args.as_of)?;
    let migration_from = parse_cli_date_opt("migration-from", &args.migration_from)?;
    let holdout_from = parse_cli_date_opt("holdout-from", &args.holdout_from)?;
    if let (Some(f), Some(t)) = (from, to)
        && f > t
    {
        return Err(CliError::Usage("--from is after --to".into()));
    }
    let quotas = match &args.targets {
        Some(path) => {
            let currency = crate::input::transactions::default_currency_option(&args.currency)?;
            crate::commands::sales::read_targets(path, currency)?
                .into_iter()
                .map(|l| l.record)
                .collect()
        }
        None => Vec::new(),
    };
    let files = files_given(args);
    for spec in &args.responses {
        response_file(spec)?;
    }
    let (mut data, origin) = match &args.db {
        Some(db) => (load_database(db)?, format!("the database {}", db.display())),
        None if files.is_empty() => {
            return Err(CliError::Usage(
                "give --db PATH, or files: --transactions, --customers, --responses, \
                 --interactions, --tickets, --deals, --campaigns, --members"
                    .into(),
            ));
        }
        None => (
            load_files(args)?,
            format!(
                "the files {}",
                files
                    .iter()
                    .map(|(what, p)| format!("{} ({what})", p.display()))
                    .collect::<Vec<_>>()
                    .join(", ")
            ),
        ),
    };
    check_out_dir(&args.out, args.force)?;
    data.restrict(from, to);
    let as_of = as_of
        .or_else(|| data.last_transaction())
        .or(to)
        .unwrap_or_else(Utc::now);
    let period = match (from, to) {
        (None, None) => "all records".to_string(),
        (f, t) => format!(
            "records from {} to {}",
            f.map_or("the first".into(), |d| d.format("%Y-%m-%d").to_string()),
            t.map_or("the last".into(), |d| d.format("%Y-%m-%d").to_string())
        ),
    };
    if let Some(h) = holdout_from
        && h >= as_of
    {
        return Err(CliError::Usage(format!(
            "--holdout-from {} is not before the reference date {}",
            h.format("%Y-%m-%d"),
            as_of.format("%Y-%m-%d")
        )));
    }
    if let Some(id) = &args.customer
        && !CustomerId::parse(id).is_ok_and(|id| {
            data.transactions
                .iter()
                .any(|t| t.occurred_at <= as_of && t.customer == id)
        })
    {
        return Err(CliError::Usage(format!(
            "--customer {id}: no transaction of this customer by the reference date {}",
            as_of.format("%Y-%m-%d")
        )));
    }
    let mut c = collector(started);
    c.lap("read");
    let options = Options {
        title: "CRM analytics report".into(),
        subtitle: format!("{origin}; as of {}", as_of.format("%Y-%m-%d")),
        data_text: format!(
            "Read from {origin} through the storage traits; {period}. Every analysis runs as of {}.",
            as_of.format("%Y-%m-%d %H:%M UTC")
        ),
        data_headlines: Vec::new(),
        data_summary: serde_json::Map::new(),
        as_of,
        migration_from,
        churn: ChurnOptions {
            holdout_from,
            customer: args.customer.clone(),
        },
        quotas,
    };
    build(&data, &options, &mut c)?;
    finish(&args.out, c, started, args.json)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn response_files_name_their_kind() {
        assert_eq!(
            response_file("csat=a.csv").unwrap(),
            (SurveyKind::Csat, PathBuf::from("a.csv"))
        );
        assert_eq!(
            response_file("b.csv").unwrap(),
            (SurveyKind::Nps, PathBuf::from("b.csv"))
        );
        assert!(response_file("ces=").is_err());
    }
}
