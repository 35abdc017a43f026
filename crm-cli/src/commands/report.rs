//! `crm report`: every analysis the data supports, from a database or from files, written
//! as `report.html` and `summary.json` (see [`crate::report::build`]).
//!
//! Files are read and checked exactly as `crm import` reads them and loaded through the
//! same import calls into the in-memory store; the report then reads that store through
//! the storage traits as it reads a database. A report from files therefore equals the
//! report from a database the same files were imported into.

use std::path::{Path, PathBuf};
use std::time::Instant;

use chrono::Utc;
use crm_core::Customer;
use crm_storage_traits::MemoryStore;

use crate::cli::{ReportArgs, SurveyKind};
use crate::commands::database::{append_atomic, reading, runtime, with_store};
use crate::commands::import::{
    check_unique, customer_records, import_events, response_records, transaction_records,
};
use crate::error::{CliError, CliResult};
use crate::input::{activity, customers, parse_cli_date_opt, responses, transactions};
use crate::report::build::{Options, build, check_out_dir, collector, finish};
use crate::report::dataset::Dataset;

/// Reads every record of a database, opened as every other command opens it.
pub fn load_database(db: &Path) -> CliResult<Dataset> {
    reading(
        db,
        async |store| with_store!(store, s => Dataset::load(s, db).await),
    )
}

/// A `--responses` value: `[nps|csat|ces=]FILE`.
fn response_file(spec: &str) -> CliResult<(SurveyKind, PathBuf)> {
    let (kind, file) = match spec.split_once('=') {
        Some(("nps", f)) => (SurveyKind::Nps, f),
        Some(("csat", f)) => (SurveyKind::Csat, f),
        Some(("ces", f)) => (SurveyKind::Ces, f),
        _ => (SurveyKind::Nps, spec),
    };
    if file.is_empty() {
        return Err(CliError::Usage(format!(
            "--responses: expected [nps|csat|ces=]FILE, found {spec:?}"
        )));
    }
    Ok((kind, PathBuf::from(file)))
}

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

/// Reads the files given into an in-memory store through the import calls, and every
/// record back through the storage traits.
pub fn load_files(args: &ReportArgs) -> CliResult<Dataset> {
    // Every file is read and checked before anything is stored, as in `crm import`.
    let customer_items = match &args.customers {
        Some(path) => {
            let items = customer_records(path, &customers::read(path)?, Utc::now())?;
            check_unique(path, &items, "customer_id")?;
            items
        }
        None => Vec::new(),
    };
    let transaction_items = match &args.transactions {
        Some(path) => {
            let rows = transactions::read(path, args.format, &args.currency)?;
            let items = transaction_records(path, &rows)?;
            check_unique(path, &items, "transaction_id")?;
            Some((path, items))
        }
        None => None,
    };
    let mut response_items = Vec::new();
    for spec in &args.responses {
        let (kind, path) = response_file(spec)?;
        let (min, max, label) = match kind {
            SurveyKind::Nps => (0, 10, "NPS"),
            SurveyKind::Csat => (1, args.scale_max, "CSAT"),
            SurveyKind::Ces => (1, 7, "CES"),
        };
        let rows = responses::read(&path, min, max, label)?;
        let items = response_records(&path, &rows, kind, args.scale_max)?;
        check_unique(&path, &items, "response_id")?;
        response_items.push((path, items));
    }
    let interaction_items = match &args.interactions {
        Some(path) => {
            let items = activity::interactions(path)?;
            check_unique(path, &items, "interaction_id")?;
            Some((path, items))
        }
        None => None,
    };
    let ticket_items = match &args.tickets {
        Some(path) => {
            let items = activity::tickets(path)?;
            check_unique(path, &items, "ticket_id")?;
            Some((path, items))
        }
        None => None,
    };
    let deal_items = match &args.deals {
        Some(path) => {
            let currency = transactions::default_currency_option(&args.currency)?;
            let items = activity::deals(path, currency)?;
            check_unique(path, &items, "deal_id")?;
            Some((path, items))
        }
        None => None,
    };
    let db = Path::new("(files)");
    runtime()?.block_on(async {
        let store = MemoryStore::new();
        let records: Vec<Customer> = customer_items.into_iter().map(|i| i.record).collect();
        append_atomic(&store, db, &records).await?;
        if let Some((path, items)) = &transaction_items {
            import_events(&store, db, path, items, "transaction_id").await?;
        }
        for (path, items) in &response_items {
            import_events(&store, db, path, items, "response_id").await?;
        }
        if let Some((path, items)) = &interaction_items {
            import_events(&store, db, path, items, "interaction_id").await?;
        }
        if let Some((path, items)) = &ticket_items {
            import_events(&store, db, path, items, "ticket_id").await?;
        }
        if let Some((path, items)) = &deal_items {
            import_events(&store, db, path, items, "deal_id").await?;
        }
        Dataset::load(&store, db).await
    })
}

/// `crm report`.
pub fn run(args: &ReportArgs) -> CliResult<()> {
    let started = Instant::now();
    let from = parse_cli_date_opt("from", &args.from)?;
    let to = parse_cli_date_opt("to", &args.to)?;
    let as_of = parse_cli_date_opt("as-of", &args.as_of)?;
    if let (Some(f), Some(t)) = (from, to)
        && f > t
    {
        return Err(CliError::Usage("--from is after --to".into()));
    }
    let files = files_given(args);
    for spec in &args.responses {
        response_file(spec)?;
    }
    let (mut data, origin) = match &args.db {
        Some(db) => (load_database(db)?, format!("the database {}", db.display())),
        None if files.is_empty() => {
            return Err(CliError::Usage(
                "give --db PATH, or files: --transactions, --customers, --responses, \
                 --interactions, --tickets, --deals"
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
