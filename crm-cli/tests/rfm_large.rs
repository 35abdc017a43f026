//! `crm rfm` on transaction CSV files large enough to be read in pieces on several threads:
//! the table is byte for byte the one computed from the same purchases in the CDNOW layout
//! (read row by row with string keys), and errors name the same line and column as on a
//! small file.

mod common;

use std::fmt::Write as _;
use std::path::Path;

use common::{crm, stderr};

/// A deterministic stream of purchases: (customer id, date as (y, m, d), cents).
fn purchases(rows: usize, id: impl Fn(u64) -> String) -> Vec<(String, (u32, u32, u32), u64)> {
    let mut state = 0x2545_f491_4f6c_dd1d_u64;
    (0..rows)
        .map(|_| {
            state ^= state << 13;
            state ^= state >> 7;
            state ^= state << 17;
            let customer = id(state % 40_000);
            let date = (
                2023 + (state >> 20) % 2,
                1 + (state >> 24) % 12,
                1 + (state >> 28) % 28,
            );
            let cents = (state >> 32) % 50_000;
            (
                customer,
                (date.0 as u32, date.1 as u32, date.2 as u32),
                cents,
            )
        })
        .collect()
}

/// Writes the purchases as a transaction CSV file and as a CDNOW file.
fn write_both(dir: &Path, rows: &[(String, (u32, u32, u32), u64)]) -> (String, String) {
    let mut csv = String::from("customer_id,timestamp,amount\n");
    let mut cdnow = String::new();
    for (id, (y, m, d), cents) in rows {
        let amount = format!("{}.{:02}", cents / 100, cents % 100);
        writeln!(csv, "{id},{y}-{m:02}-{d:02},{amount}").unwrap();
        writeln!(cdnow, "{id} {y}{m:02}{d:02} 1 {amount}").unwrap();
    }
    let (a, b) = (dir.join("tx.csv"), dir.join("tx.txt"));
    std::fs::write(&a, csv).unwrap();
    std::fs::write(&b, cdnow).unwrap();
    (
        a.to_str().unwrap().to_string(),
        b.to_str().unwrap().to_string(),
    )
}

fn rfm_output(args: &[&str], out: &Path) -> Vec<u8> {
    let mut all = vec!["rfm"];
    all.extend_from_slice(args);
    all.extend_from_slice(&["--output", out.to_str().unwrap()]);
    let o = crm(&all);
    assert!(o.status.success(), "crm {all:?}: {}", stderr(&o));
    std::fs::read(out).unwrap()
}

/// Both layouts give the same table, for ids packed into integers and for long ids that
/// are interned.
#[test]
fn csv_in_pieces_matches_the_row_by_row_reading() {
    type Ids = fn(u64) -> String;
    let ids: [(&str, Ids, usize); 2] = [
        ("short ids", |c| c.to_string(), 400_000),
        ("long ids", |c| format!("customer-{c:012}"), 260_000),
    ];
    for (what, id, rows) in ids {
        let dir = tempfile::tempdir().unwrap();
        let (csv, cdnow) = write_both(dir.path(), &purchases(rows, id));
        assert!(
            std::fs::metadata(&csv).unwrap().len() > 8 << 20,
            "{what}: the file must be large enough to be read in pieces"
        );
        let fast = rfm_output(&["--transactions", &csv], &dir.path().join("a.csv"));
        let rows_read = rfm_output(
            &["--transactions", &cdnow, "--format", "cdnow"],
            &dir.path().join("b.csv"),
        );
        assert!(fast.len() > 1_000, "{what}: a table");
        assert!(fast == rows_read, "{what}: the tables differ");
    }
}

/// A bad field far into a large file is reported with its line and column.
#[test]
fn bad_field_in_a_large_file() {
    let dir = tempfile::tempdir().unwrap();
    let mut rows = purchases(400_000, |c| c.to_string());
    rows[350_000].0 = String::new();
    let (csv, _) = write_both(dir.path(), &rows);
    let o = crm(&["rfm", "--transactions", &csv]);
    assert_eq!(o.status.code(), Some(3), "{}", stderr(&o));
    let e = stderr(&o);
    assert!(
        e.contains("tx.csv, line 350002, column 1 (customer_id): expected a non-empty customer id"),
        "{e}"
    );
}

/// Mixed currencies are refused with the file, line and column of the first row in
/// another currency (the fast reader hands such a file to the general one).
#[test]
fn mixed_currencies_in_a_large_file() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("tx.csv");
    let mut text = String::from("customer_id,timestamp,amount,currency\n");
    for (i, (id, (y, m, d), cents)) in purchases(400_000, |c| c.to_string()).iter().enumerate() {
        let currency = if i == 300_000 { "EUR" } else { "USD" };
        writeln!(text, "{id},{y}-{m:02}-{d:02},{cents},{currency}").unwrap();
    }
    std::fs::write(&path, text).unwrap();
    let o = crm(&["rfm", "--transactions", path.to_str().unwrap()]);
    assert_eq!(o.status.code(), Some(3), "{}", stderr(&o));
    assert!(
        stderr(&o).contains("tx.csv, line 300002, column 4 (currency): expected USD as on line 2"),
        "{}",
        stderr(&o)
    );
}
