//! Loyalty event files: `event_id,customer_id,timestamp,kind,points[,reason][,transaction_id]`
//! (optional columns in any order after the required ones).

use std::collections::HashMap;
use std::path::Path;

use crm_core::{CustomerId, LoyaltyEvent, LoyaltyEventId, LoyaltyEventKind, TransactionId};

use super::{CsvInput, file_time, file_time_expected, rejects, require_rows, wrong_header};
use crate::error::{CliResult, InputError};
use crate::input::located::Located;

/// The header of a loyalty events file.
pub const HEADER: &str = "event_id,customer_id,timestamp,kind,points[,reason][,transaction_id]";

const REQUIRED: [&str; 5] = ["event_id", "customer_id", "timestamp", "kind", "points"];
const OPTIONAL: [&str; 2] = ["reason", "transaction_id"];

/// One row as an event, checked as the store checks it.
fn event_of(
    path: &Path,
    at: &HashMap<&str, usize>,
    record: &csv::StringRecord,
    line: u64,
) -> CliResult<LoyaltyEvent> {
    let column = |name: &str| at[name];
    let field = |name: &str| record[column(name)].trim();
    let optional = |name: &str| {
        at.get(name)
            .map(|&c| record[c].trim())
            .filter(|s| !s.is_empty())
    };
    let bad = |name: &str, expected: &str| {
        InputError::field(path, line, column(name) + 1, name, expected, field(name))
    };
    let id: LoyaltyEventId = field("event_id")
        .parse()
        .map_err(|_| bad("event_id", "a loyalty event id"))?;
    let customer: CustomerId = field("customer_id")
        .parse()
        .map_err(|_| bad("customer_id", "a customer id"))?;
    let occurred_at =
        file_time(field("timestamp")).ok_or_else(|| bad("timestamp", &file_time_expected()))?;
    let kind: LoyaltyEventKind = field("kind")
        .parse()
        .map_err(|_| bad("kind", "earn, redeem, adjust or expire"))?;
    let points: i64 = field("points")
        .parse()
        .map_err(|_| bad("points", "a whole number of points"))?;
    let mut event = LoyaltyEvent::new(id, customer, kind, occurred_at, points);
    event.reason = optional("reason").map(str::to_string);
    if let Some(text) = optional("transaction_id") {
        let t: TransactionId = text
            .parse()
            .map_err(|_| bad("transaction_id", "a transaction id"))?;
        event.transaction = Some(t);
    }
    event
        .validate()
        .map_err(|e| InputError::line(path, line, format!("a valid loyalty event ({e})")))?;
    Ok(event)
}

/// Reads a loyalty events file; every event is checked as the store checks it (the sign of
/// the points follows the kind), and an id used twice with different content is refused.
pub fn read(path: &Path) -> CliResult<Vec<Located<LoyaltyEvent>>> {
    let mut input = CsvInput::open(path, HEADER)?;
    let header = input.header()?;
    let mut at: HashMap<&str, usize> = HashMap::new();
    for (i, name) in header.iter().enumerate() {
        let known = REQUIRED
            .iter()
            .chain(&OPTIONAL)
            .find(|k| **k == name.as_str());
        match known {
            Some(k) if at.insert(k, i).is_none() => {}
            _ => return Err(wrong_header(path, &header, HEADER)),
        }
    }
    if REQUIRED.iter().any(|r| !at.contains_key(r)) {
        return Err(wrong_header(path, &header, HEADER));
    }
    let mut out: Vec<Located<LoyaltyEvent>> = Vec::new();
    let mut seen: HashMap<LoyaltyEventId, usize> = HashMap::new();
    let mut record = csv::StringRecord::new();
    while let Some(line) = input.next(&mut record)? {
        let converted =
            event_of(path, &at, &record, line).and_then(|event| match seen.get(&event.id) {
                Some(&earlier) if out[earlier].record != event => Err(InputError::field(
                    path,
                    line,
                    at["event_id"] + 1,
                    "event_id",
                    format!(
                        "an id not used on line {} for a different event",
                        out[earlier].line
                    ),
                    record[at["event_id"]].trim(),
                )
                .into()),
                Some(_) => Ok(None),
                None => Ok(Some(event)),
            });
        match converted {
            Ok(Some(event)) => {
                seen.insert(event.id.clone(), out.len());
                out.push(Located {
                    record: event,
                    line,
                    explicit_id: true,
                });
            }
            Ok(None) => {}
            // With `--reject-file` the row is set aside and reading goes on.
            Err(e) => rejects::refuse(line, e)?,
        }
    }
    require_rows(path, &out, HEADER)?;
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::input::temp_file;

    #[test]
    fn reads_events_in_any_optional_order() {
        let f = temp_file(
            b"event_id,customer_id,timestamp,kind,points,transaction_id,reason\n\
              L1,c1,2024-05-01,earn,120,T1,purchase\n\
              L2,c1,2024-06-01T10:00:00Z,redeem,-50,,voucher\n\
              L1,c1,2024-05-01,earn,120,T1,purchase\n",
        );
        let events = read(f.path()).unwrap();
        assert_eq!(events.len(), 2, "a repeated identical row is one event");
        assert_eq!(events[0].record.points, 120);
        assert_eq!(
            events[0].record.transaction.as_ref().map(|t| t.to_string()),
            Some("T1".into())
        );
        assert_eq!(events[1].record.kind, LoyaltyEventKind::Redeem);
        assert_eq!(events[1].record.reason.as_deref(), Some("voucher"));
        assert_eq!(events[1].line, 3);
    }

    #[test]
    fn refuses_bad_rows_naming_line_and_field() {
        let cases: [(&[u8], &str); 5] = [
            (
                b"event_id,customer_id,timestamp,kind,points\nL1,c1,2024-05-01,gift,5\n",
                "kind",
            ),
            (
                b"event_id,customer_id,timestamp,kind,points\nL1,c1,yesterday,earn,5\n",
                "timestamp",
            ),
            (
                b"event_id,customer_id,timestamp,kind,points\nL1,c1,2024-05-01,earn,5.5\n",
                "points",
            ),
            (
                b"event_id,customer_id,timestamp,kind,points\nL1,c1,2024-05-01,redeem,5\n",
                "loyalty event",
            ),
            (
                b"event_id,customer_id,timestamp,kind,points\nL1,c1,2024-05-01,earn,5\nL1,c1,2024-05-01,earn,6\n",
                "event_id",
            ),
        ];
        for (content, field) in cases {
            let f = temp_file(content);
            let message = read(f.path()).unwrap_err().to_string();
            assert!(message.contains(field), "{message}");
            assert!(message.contains("line"), "{message}");
        }
    }

    #[test]
    fn refuses_unknown_and_missing_columns() {
        for header in [
            "event_id,customer_id,timestamp,kind",
            "event_id,customer_id,timestamp,kind,points,note",
        ] {
            let f = temp_file(format!("{header}\n").as_bytes());
            let message = read(f.path()).unwrap_err().to_string();
            assert!(message.contains("header"), "{message}");
        }
    }

    proptest::proptest! {
        #[test]
        fn never_panics(body in "\\PC{0,200}") {
            let f = temp_file(format!("event_id,customer_id,timestamp,kind,points,reason\n{body}").as_bytes());
            let _ = read(f.path());
        }
    }
}
