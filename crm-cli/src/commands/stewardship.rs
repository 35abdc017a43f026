//! Data stewardship on a database: erasing a customer (the right to erasure) and handing a
//! departing owner's customers, open deals and open tickets to another owner; and the shell
//! completion scripts of the command line.

use std::path::Path;

use clap::CommandFactory;
use crm_core::{CustomerId, UserId};
use crm_storage_traits::{CrmStore, Erasure, ErasureCounts, ErasureReport, ReassignReport};

use crate::cli::{Cli, CompletionsArgs, EraseArgs, ReassignArgs, UpgradeArgs};
use crate::commands::database::{
    Store, is_url, missing, open_error, open_for_writing, open_read_only, runtime, with_store,
};
use crate::error::{CliError, CliResult};
use crate::output::{out, outln, print_json, write_atomic, write_json_file};
use crm_storage_sql::SchemaError;

/// Parses an id given on the command line, naming the flag when it is refused.
fn id<T: std::str::FromStr>(flag: &str, text: &str) -> CliResult<T>
where
    T::Err: std::fmt::Display,
{
    text.parse()
        .map_err(|e| CliError::Usage(format!("{flag} {text:?}: {e}")))
}

/// Opens `db`, runs `work` on its store and closes it.
fn on_store<T>(
    db: &Path,
    work: impl AsyncFnOnce(&Store) -> crm_storage_traits::StorageResult<T>,
    what: &str,
) -> CliResult<T> {
    missing(db)?;
    runtime()?.block_on(async {
        let store = open_for_writing(db).await?;
        let result = work(&store).await;
        store.close().await;
        result.map_err(|e| CliError::storage(db, format!("{what}: {e}")))
    })
}

/// `crm erase`.
pub fn erase(args: &EraseArgs) -> CliResult<()> {
    let customer: CustomerId = id("--customer", &args.customer)?;
    let how = if args.keep_anonymized {
        let pseudonym = match &args.pseudonym {
            Some(p) => id("--pseudonym", p)?,
            None => id("--pseudonym", &uuid::Uuid::new_v4().to_string())?,
        };
        if pseudonym == customer {
            return Err(CliError::Usage(
                "--pseudonym must differ from --customer".to_string(),
            ));
        }
        Erasure::KeepAnonymizedAggregates { pseudonym }
    } else {
        Erasure::DeleteEverything
    };
    let report = on_store(
        &args.db,
        async |store| with_store!(store, s => s.erase_customer(&customer, &how).await),
        &format!("erasing customer {customer}"),
    )?;
    if let Some(path) = &args.output {
        write_json_file(path, &report)?;
    }
    if args.json {
        return print_json(&report);
    }
    print_erasure(&customer, &report)
}

fn print_erasure(customer: &CustomerId, report: &ErasureReport) -> CliResult<()> {
    outln!("erased customer {customer}")?;
    let kinds: [(&str, ErasureCounts); 6] = [
        ("transactions", report.transactions),
        ("survey responses", report.survey_responses),
        ("interactions", report.interactions),
        ("tickets", report.tickets),
        ("deals", report.deals),
        ("loyalty events", report.loyalty_events),
    ];
    for (kind, counts) in kinds {
        out!("  {kind:<17} {:>6} deleted", counts.deleted)?;
        if report.pseudonym.is_some() {
            out!(", {:>6} anonymized", counts.anonymized)?;
        }
        outln!()?;
    }
    if report.merged_ids > 0 {
        outln!("  {:<17} {:>6} deleted", "merged ids", report.merged_ids)?;
    }
    if let Some(p) = &report.pseudonym {
        outln!("records kept without personal data under customer {p}")?;
    }
    Ok(())
}

/// `crm reassign`.
pub fn reassign(args: &ReassignArgs) -> CliResult<()> {
    let from: UserId = id("--from", &args.from)?;
    let to: UserId = id("--to", &args.to)?;
    if from == to {
        return Err(CliError::Usage(
            "--from and --to name the same owner".to_string(),
        ));
    }
    let report: ReassignReport = on_store(
        &args.db,
        async |store| with_store!(store, s => s.reassign_owner(&from, &to).await),
        &format!("reassigning {from} to {to}"),
    )?;
    if let Some(path) = &args.output {
        write_json_file(path, &report)?;
    }
    if args.json {
        return print_json(&report);
    }
    outln!(
        "reassigned from {from} to {to}: {} customers, {} open deals, {} open tickets",
        report.customers,
        report.deals,
        report.tickets
    )
}

/// What `crm upgrade` did.
#[derive(Debug, serde::Serialize)]
struct Upgrade {
    /// The schema migrations the database had.
    before: usize,
    /// The schema migrations it has now.
    after: usize,
}

/// `crm upgrade`: a database that reads as a store is left alone, one written by an earlier
/// version is opened for writing (which applies the missing migrations in one step each),
/// and anything else is refused untouched.
pub fn upgrade(args: &UpgradeArgs) -> CliResult<()> {
    let db = &args.db;
    missing(db)?;
    let current = if is_url(db) {
        crm_storage_sql::POSTGRES_MIGRATOR.iter().count()
    } else {
        crm_storage_sql::MIGRATOR.iter().count()
    };
    let done = runtime()?.block_on(async {
        let before = match open_read_only(db).await {
            Ok(store) => {
                store.close().await;
                current
            }
            Err(e) => match SchemaError::of(&e) {
                Some(SchemaError::Outdated { applied, .. }) => {
                    let applied = *applied;
                    open_for_writing(db).await?.close().await;
                    applied
                }
                _ => return Err(open_error(db, &e)),
            },
        };
        Ok(Upgrade {
            before,
            after: current,
        })
    })?;
    if let Some(path) = &args.output {
        write_json_file(path, &done)?;
    }
    if args.json {
        return print_json(&done);
    }
    if done.before == done.after {
        outln!("{}: already at the current schema", db.display())
    } else {
        outln!(
            "{}: upgraded in place from schema {} to {}",
            db.display(),
            done.before,
            done.after
        )
    }
}

/// `crm completions`.
pub fn completions(args: &CompletionsArgs) -> CliResult<()> {
    let mut script = Vec::new();
    clap_complete::generate(args.shell, &mut Cli::command(), "crm", &mut script);
    match &args.output {
        Some(path) => write_atomic(path, &script),
        None => out!("{}", String::from_utf8_lossy(&script)),
    }
}
