//! `crm dedupe` and `crm merge`: finding the customers of a database recorded more than
//! once, and merging each group into its survivor.
//!
//! `crm dedupe` matches every customer of the database (`crm_core::match_customers`) and
//! lists the groups with their survivor and the evidence of every pair; `--output` writes
//! them as a groups file, one row per member:
//!
//! ```text
//! group,survivor_id,customer_id,version,score,evidence
//! 1,C-1,C-1,1,,
//! 1,C-1,C-7,3,21.34,email_same +13.58; name_same +7.76
//! ```
//!
//! `crm merge --groups FILE` merges the groups of such a file (edited or not) in one atomic
//! step: if any group cannot be merged, none is. `version` is the version read when the
//! file was written: a customer changed since then fails the merge (leave the column empty
//! to merge whatever is stored). `crm merge --auto` matches and merges in one go.

use std::collections::{BTreeMap, HashMap};
use std::path::Path;

use chrono::Utc;
use crm_core::{
    Customer, CustomerId, FieldRules, MatchConfig, MatchResult, PairMatch, Thresholds, UserId,
    match_customers,
};
use crm_storage_traits::{
    CrmStore, CustomerMerge, Filter, MergeReport, MergeStamp, PageRequest, Repository,
};
use serde::Serialize;

use crate::cli::{DedupeArgs, MergeArgs};
use crate::commands::database::{PAGE, missing, open_for_writing, reading, runtime, with_store};
use crate::error::{CliError, CliResult, InputError};
use crate::output::{outln, print_json, write_atomic, write_json_file};

/// The columns of a groups file, in order.
const COLUMNS: [&str; 6] = [
    "group",
    "survivor_id",
    "customer_id",
    "version",
    "score",
    "evidence",
];

/// A group to merge: the survivor, and every member (the survivor too) with the version
/// given for it, if any.
type Planned = (CustomerId, Vec<(CustomerId, Option<u64>)>);

/// Every customer of a store with its version.
async fn load_customers<S: CrmStore>(
    store: &S,
    db: &Path,
) -> CliResult<(Vec<Customer>, HashMap<CustomerId, u64>)> {
    let mut customers = Vec::new();
    let mut versions = HashMap::new();
    let mut request = PageRequest::first(PAGE);
    loop {
        let page = Repository::<Customer>::list(store, &Filter::default(), &request)
            .await
            .map_err(|e| CliError::storage(db, format!("listing customers: {e}")))?;
        for v in page.items {
            versions.insert(v.record.id.clone(), v.version);
            customers.push(v.record);
        }
        match page.next {
            Some(cursor) => request.after = Some(cursor),
            None => return Ok((customers, versions)),
        }
    }
}

/// The matching configuration, with the "same" threshold given on the command line (the
/// review threshold lowered to it when it is higher).
fn config(threshold: Option<f64>) -> CliResult<MatchConfig> {
    let mut config = MatchConfig::default();
    if let Some(same) = threshold {
        config.thresholds = Thresholds {
            same,
            review: config.thresholds.review.min(same),
        };
    }
    config
        .validate()
        .map_err(|e| CliError::Usage(format!("--threshold: {e}")))?;
    Ok(config)
}

/// One member of a duplicate group as listed and written to a groups file.
#[derive(Debug, Clone, Serialize)]
pub struct Member {
    /// The customer.
    pub customer_id: CustomerId,
    /// Its version when it was read.
    pub version: u64,
    /// The best pair joining it to the group (none for the survivor).
    pub pair: Option<PairMatch>,
}

/// A duplicate group as listed.
#[derive(Debug, Clone, Serialize)]
pub struct Group {
    /// 1, 2, …
    pub group: usize,
    /// The member the others merge into.
    pub survivor_id: CustomerId,
    /// Every member, the survivor first.
    pub members: Vec<Member>,
    /// Every pair that joined the group, with its evidence.
    pub pairs: Vec<PairMatch>,
}

/// What `crm dedupe` found.
#[derive(Debug, Clone, Serialize)]
pub struct Found {
    /// Customers compared.
    pub customers: usize,
    /// The score at and above which two records are one customer.
    pub threshold: f64,
    /// Candidate pairs scored.
    pub candidate_pairs: usize,
    /// Pairs between the thresholds, for a person to decide (not grouped).
    pub review_pairs: usize,
    /// The groups.
    pub groups: Vec<Group>,
}

/// The groups of a matching result, with the versions read.
fn found(result: MatchResult, versions: &HashMap<CustomerId, u64>, threshold: f64) -> Found {
    let groups = result
        .groups
        .into_iter()
        .enumerate()
        .map(|(i, g)| {
            let best = |id: &CustomerId| {
                g.pairs
                    .iter()
                    .filter(|p| &p.a == id || &p.b == id)
                    .max_by(|x, y| x.score.total_cmp(&y.score))
                    .cloned()
            };
            let mut ids = vec![g.survivor.clone()];
            ids.extend(g.members.iter().filter(|m| **m != g.survivor).cloned());
            let members = ids
                .into_iter()
                .map(|id| Member {
                    version: versions.get(&id).copied().unwrap_or(1),
                    pair: if id == g.survivor { None } else { best(&id) },
                    customer_id: id,
                })
                .collect();
            Group {
                group: i + 1,
                survivor_id: g.survivor,
                members,
                pairs: g.pairs,
            }
        })
        .collect();
    Found {
        customers: result.stats.customers,
        threshold,
        candidate_pairs: result.stats.candidate_pairs,
        review_pairs: result.stats.review_pairs,
        groups,
    }
}

/// The evidence of a pair as one line: `email_same +13.58; name_similar 0.96 +4.10`.
pub fn evidence_text(pair: &PairMatch) -> String {
    pair.evidence
        .iter()
        .map(|e| match e.similarity {
            Some(s) if s < 1.0 => format!("{} {s:.2} {:+.2}", e.outcome.name(), e.weight),
            _ => format!("{} {:+.2}", e.outcome.name(), e.weight),
        })
        .collect::<Vec<_>>()
        .join("; ")
}

/// The groups file of `found`.
fn groups_csv(found: &Found) -> CliResult<Vec<u8>> {
    let mut w = csv::Writer::from_writer(Vec::new());
    let io = |e: csv::Error| CliError::analysis("groups file", e);
    w.write_record(COLUMNS).map_err(io)?;
    for g in &found.groups {
        for m in &g.members {
            let (score, evidence) = match &m.pair {
                Some(p) => (format!("{:.2}", p.score), evidence_text(p)),
                None => (String::new(), String::new()),
            };
            w.write_record([
                g.group.to_string(),
                g.survivor_id.to_string(),
                m.customer_id.to_string(),
                m.version.to_string(),
                score,
                evidence,
            ])
            .map_err(io)?;
        }
    }
    w.into_inner()
        .map_err(|e| CliError::analysis("groups file", e))
}

/// Matches the customers of a database.
fn find(db: &Path, threshold: Option<f64>) -> CliResult<Found> {
    let config = config(threshold)?;
    let (customers, versions) = reading(
        db,
        async |store| with_store!(store, s => load_customers(s, db).await),
    )?;
    let result = match_customers(&customers, &config)
        .map_err(|e| CliError::analysis("matching customers", e))?;
    Ok(found(result, &versions, config.thresholds.same))
}

/// `crm dedupe`.
pub fn dedupe(args: &DedupeArgs) -> CliResult<()> {
    let found = find(&args.db, args.threshold)?;
    if let Some(path) = &args.output {
        write_atomic(path, &groups_csv(&found)?)?;
    }
    if args.json {
        return print_json(&found);
    }
    outln!(
        "{} duplicate group{} among {} customers (same at a score of {:.1} or more; {} pair{} to review)",
        found.groups.len(),
        if found.groups.len() == 1 { "" } else { "s" },
        found.customers,
        found.threshold,
        found.review_pairs,
        if found.review_pairs == 1 { "" } else { "s" },
    )?;
    for g in &found.groups {
        let members: Vec<String> = g
            .members
            .iter()
            .map(|m| m.customer_id.to_string())
            .collect();
        outln!(
            "group {}: survivor {}; members {}",
            g.group,
            g.survivor_id,
            members.join(", ")
        )?;
        for p in &g.pairs {
            outln!(
                "  {} ~ {}  score {:.2}: {}",
                p.a,
                p.b,
                p.score,
                evidence_text(p)
            )?;
        }
    }
    Ok(())
}

/// Reads a groups file: the groups in file order, each with its survivor first, and the
/// versions given (a missing version is read from the store when merging).
fn read_groups(path: &Path) -> CliResult<Vec<Planned>> {
    let file = std::fs::File::open(path).map_err(|e| CliError::Read {
        path: path.to_path_buf(),
        source: e,
    })?;
    let mut reader = csv::ReaderBuilder::new().flexible(false).from_reader(file);
    let bad =
        |line: u64, expected: String| -> CliError { InputError::line(path, line, expected).into() };
    let headers = reader
        .headers()
        .map_err(|e| bad(1, format!("a header row: {e}")))?
        .clone();
    let column = |name: &str| -> CliResult<usize> {
        headers
            .iter()
            .position(|h| h.trim() == name)
            .ok_or_else(|| {
                bad(
                    1,
                    format!(
                        "a column {name:?} (the header has {})",
                        headers.iter().collect::<Vec<_>>().join(",")
                    ),
                )
            })
    };
    let (group_col, survivor_col, customer_col) = (
        column("group")?,
        column("survivor_id")?,
        column("customer_id")?,
    );
    let version_col = headers.iter().position(|h| h.trim() == "version");
    // Group labels in file order.
    let mut order: Vec<String> = Vec::new();
    // Group label -> (survivor, its first line, members).
    let mut groups: HashMap<String, (CustomerId, u64, Planned)> = HashMap::new();
    for (i, row) in reader.records().enumerate() {
        let line = i as u64 + 2;
        let row = row.map_err(|e| bad(line, format!("a CSV row: {e}")))?;
        let field = |col: usize, name: &str| -> CliResult<String> {
            let text = row.get(col).unwrap_or("").trim();
            if text.is_empty() {
                return Err(InputError::field(path, line, col + 1, name, "a value", "").into());
            }
            Ok(text.to_string())
        };
        let id = |col: usize, name: &str| -> CliResult<CustomerId> {
            let text = field(col, name)?;
            text.parse().map_err(|e| {
                InputError::field(
                    path,
                    line,
                    col + 1,
                    name,
                    format!("a customer id ({e})"),
                    &text,
                )
                .into()
            })
        };
        let label = field(group_col, "group")?;
        let survivor = id(survivor_col, "survivor_id")?;
        let customer = id(customer_col, "customer_id")?;
        let version = match version_col.map(|c| (c, row.get(c).unwrap_or("").trim())) {
            None | Some((_, "")) => None,
            Some((c, text)) => Some(text.parse::<u64>().ok().filter(|v| *v >= 1).ok_or_else(
                || -> CliError {
                    InputError::field(path, line, c + 1, "version", "a version (1 or more)", text)
                        .into()
                },
            )?),
        };
        let entry = groups.entry(label.clone()).or_insert_with(|| {
            order.push(label.clone());
            (survivor.clone(), line, (survivor.clone(), Vec::new()))
        });
        if entry.0 != survivor {
            return Err(InputError::field(
                path,
                line,
                survivor_col + 1,
                "survivor_id",
                format!(
                    "the survivor of group {label}, {} (line {})",
                    entry.0, entry.1
                ),
                &survivor.to_string(),
            )
            .into());
        }
        if entry.2.1.iter().any(|(m, _)| *m == customer) {
            return Err(InputError::field(
                path,
                line,
                customer_col + 1,
                "customer_id",
                format!("a customer not listed in group {label} already"),
                &customer.to_string(),
            )
            .into());
        }
        entry.2.1.push((customer, version));
    }
    if order.is_empty() {
        return Err(InputError::file(path, "at least one group").into());
    }
    let mut out = Vec::with_capacity(order.len());
    for label in order {
        let Some((survivor, line, (_, members))) = groups.remove(&label) else {
            continue;
        };
        if !members.iter().any(|(m, _)| *m == survivor) {
            return Err(InputError::line(
                path,
                line,
                format!("a row of group {label} for its survivor {survivor}"),
            )
            .into());
        }
        if members.len() < 2 {
            return Err(InputError::line(
                path,
                line,
                format!("group {label} to have a member besides its survivor"),
            )
            .into());
        }
        out.push((survivor, members));
    }
    Ok(out)
}

/// What `crm merge` did.
#[derive(Debug, Clone, Serialize)]
pub struct Merged {
    /// Groups merged.
    pub groups: usize,
    /// Customers merged into their survivors (deleted).
    pub customers_merged: usize,
    /// Records moved to the survivors, of every kind.
    pub records_moved: usize,
    /// One report per group.
    pub merges: Vec<MergeReport>,
}

/// `crm merge`.
pub fn merge(args: &MergeArgs) -> CliResult<()> {
    let db = &args.db;
    let by: Option<UserId> = match &args.by {
        Some(text) => Some(
            text.parse()
                .map_err(|e| CliError::Usage(format!("--by {text:?}: {e}")))?,
        ),
        None => None,
    };
    let planned: Vec<Planned> = match &args.groups {
        Some(path) => read_groups(path)?,
        None => {
            let found = find(db, args.threshold)?;
            found
                .groups
                .into_iter()
                .map(|g| {
                    let members = g
                        .members
                        .into_iter()
                        .map(|m| (m.customer_id, Some(m.version)))
                        .collect();
                    (g.survivor_id, members)
                })
                .collect()
        }
    };
    missing(db)?;
    let stamp = MergeStamp { by, at: Utc::now() };
    let reports = runtime()?.block_on(async {
        let store = open_for_writing(db).await?;
        let result = with_store!(&store, s => apply(s, db, &planned, &stamp).await);
        store.close().await;
        result
    })?;
    let merged = Merged {
        groups: reports.len(),
        customers_merged: reports.iter().map(|r| r.merged.len()).sum(),
        records_moved: reports.iter().map(MergeReport::moved).sum(),
        merges: reports,
    };
    if let Some(path) = &args.output {
        write_json_file(path, &merged)?;
    }
    if args.json {
        return print_json(&merged);
    }
    print_merged(&merged)
}

/// Merges the planned groups in one step, reading the versions a plan leaves open.
async fn apply<S: CrmStore>(
    store: &S,
    db: &Path,
    planned: &[Planned],
    stamp: &MergeStamp,
) -> CliResult<Vec<MergeReport>> {
    let mut groups = Vec::with_capacity(planned.len());
    for (survivor, members) in planned {
        let mut expected = BTreeMap::new();
        for (id, version) in members {
            let version = match version {
                Some(v) => *v,
                None => match Repository::<Customer>::get(store, id).await {
                    Ok(v) => v.version,
                    // The merge reports the missing customer, with nothing changed.
                    Err(_) => 1,
                },
            };
            expected.insert(id.clone(), version);
        }
        groups.push(CustomerMerge {
            survivor: survivor.clone(),
            duplicates: members
                .iter()
                .map(|(id, _)| id.clone())
                .filter(|id| id != survivor)
                .collect(),
            expected_versions: expected,
        });
    }
    if groups.is_empty() {
        return Ok(Vec::new());
    }
    store
        .merge_customer_groups(&groups, &FieldRules::default(), stamp)
        .await
        .map_err(|e| CliError::storage(db, format!("merging customers (nothing was merged): {e}")))
}

fn print_merged(merged: &Merged) -> CliResult<()> {
    if merged.groups == 0 {
        return outln!("no duplicate groups to merge");
    }
    for r in &merged.merges {
        let ids: Vec<String> = r.merged.iter().map(ToString::to_string).collect();
        let survivor = r
            .survivor
            .as_ref()
            .map(ToString::to_string)
            .unwrap_or_default();
        outln!(
            "merged {} into {survivor}: moved {} transactions, {} survey responses, {} interactions, {} tickets, {} deals, {} loyalty events",
            ids.join(", "),
            r.transactions,
            r.survey_responses,
            r.interactions,
            r.tickets,
            r.deals,
            r.loyalty_events
        )?;
    }
    outln!(
        "{} group{}: {} customers merged, {} records moved",
        merged.groups,
        if merged.groups == 1 { "" } else { "s" },
        merged.customers_merged,
        merged.records_moved
    )
}
