//! Transaction CSV files read for aggregation: each row kept as `(customer key, time,
//! amount)`, where the key is an integer that sorts as the customer id's text does. Ids of
//! up to 7 bytes are packed into a `u64` and ids of up to 15 bytes into a `u128` (the bytes,
//! zero-padded, then the length: no table, and the key gives the id back); longer ids are
//! interned (see [`customer_index`](super::customer_index)) and numbered in ascending order
//! of their text.
//!
//! Files without quote characters, byte-order mark or malformed rows, the usual output of
//! databases and scripts, are read by a fast path: the file is split at line ends into
//! pieces read on every core. Such a file's records are its lines split at `\n` and `\r`
//! (blank ones skipped) and its fields the parts between commas, exactly as the `csv` crate
//! reads them. Any file the fast path does not take, and every file with an error, is read
//! by [`read_csv`](super::transactions::read_csv), so rows and error messages (line,
//! column, field) are those of that reader. An input that is not a regular file (standard
//! input, a pipe) is read once into memory, and both readers read those bytes.

mod fields;
mod keys;
mod split;
#[cfg(test)]
mod testing;

use std::path::Path;

use crm_core::Currency;
use crm_core::Money;

use self::keys::{Halt, MediumKeys, ShortKeys};
pub use self::keys::{Row, unpack};
use self::split::{CHUNK, Plan, Source, concat, scan_with};
use super::customer_index::{CustomerIds, CustomerIndex};
#[cfg(test)]
use super::transactions::read_csv;
use super::transactions::{TransactionRow, read_csv_from};
use super::{Opened, open_input};
use crate::error::{CliError, CliResult};

/// The purchases of a transaction file, in the order of its rows, keyed by integers that
/// sort as the customer ids do.
#[derive(Debug, Clone, PartialEq)]
pub enum Purchases {
    /// Every id has at most 7 bytes: keys from [`pack_u64`](keys::pack_u64).
    Short(Vec<Row<u64>>),
    /// Every id has at most 15 bytes: keys from [`pack_u128`](keys::pack_u128).
    Medium(Vec<Row<u128>>),
    /// Keys are positions in `customers`, the distinct ids in ascending order of text.
    Interned {
        /// The distinct ids, sorted.
        customers: CustomerIds,
        /// The purchases.
        rows: Vec<Row<u32>>,
    },
}

impl Purchases {
    /// Whether every amount is in the currency of the first.
    fn one_currency(&self) -> bool {
        fn same<K>(rows: &[Row<K>]) -> bool {
            rows.first()
                .is_none_or(|f| rows.iter().all(|r| r.2.currency() == f.2.currency()))
        }
        match self {
            Self::Short(rows) => same(rows),
            Self::Medium(rows) => same(rows),
            Self::Interned { rows, .. } => same(rows),
        }
    }

    /// The purchases of rows read by [`read_csv`](super::transactions::read_csv); `None` past `u32::MAX` customers.
    pub fn from_rows(rows: &[TransactionRow]) -> Option<Self> {
        let mut index = CustomerIndex::default();
        let keys = rows
            .iter()
            .map(|r| index.intern(&r.customer_id))
            .collect::<Option<Vec<u32>>>()?;
        let (customers, maps) = CustomerIndex::merge_sorted(vec![index])?;
        let map = &maps[0];
        let rows = rows
            .iter()
            .zip(keys)
            .map(|(r, k)| {
                (
                    map[k as usize],
                    r.timestamp,
                    Money::new(r.amount, r.currency),
                )
            })
            .collect();
        Some(Self::Interned { customers, rows })
    }
}

/// Reads a transaction CSV file (header `customer_id,timestamp,amount[,currency]
/// [,transaction_id]`) on up to `threads` threads (0: one per core). The same rows, in
/// the same order, and the same errors as [`read_csv`](super::transactions::read_csv).
pub fn read_purchases(
    path: &Path,
    default_currency: Currency,
    threads: usize,
) -> CliResult<Purchases> {
    let plan = Plan {
        threads,
        pieces: None,
        chunk: CHUNK,
    };
    let opened = open_input(path)?;
    let source = match &opened {
        // Files read with other columns, delimiter or times than the documented ones are
        // for the general reader, as is a compressed file (a stream).
        _ if !super::options::current().is_plain() => None,
        Opened::File(_) => Some(Source::File(path)),
        Opened::Bytes(bytes) => Some(Source::Bytes(bytes.get_ref())),
        Opened::Stream(_) => None,
    };
    if let Some(purchases) = source.and_then(|s| scan(s, default_currency, plan)) {
        return Ok(purchases);
    }
    let rows = read_csv_from(path, opened, default_currency)?;
    Purchases::from_rows(&rows).ok_or_else(|| {
        CliError::Usage(format!(
            "{}: more than {} distinct customer ids",
            path.display(),
            u32::MAX
        ))
    })
}

/// The fast path: the purchases of a well-formed file without quotes, or `None` for any
/// other file (or a read failure), which the caller then reads with [`read_csv`](super::transactions::read_csv).
pub(crate) fn scan(
    source: Source<'_>,
    default_currency: Currency,
    plan: Plan,
) -> Option<Purchases> {
    let purchases = match scan_with::<ShortKeys>(source, default_currency, plan) {
        Ok((_, pieces)) => Purchases::Short(concat(pieces)),
        Err(Halt::Other) => return None,
        Err(Halt::Wider) => match scan_with::<MediumKeys>(source, default_currency, plan) {
            Ok((_, pieces)) => Purchases::Medium(concat(pieces)),
            Err(Halt::Other) => return None,
            Err(Halt::Wider) => {
                let (indexes, pieces) =
                    scan_with::<CustomerIndex>(source, default_currency, plan).ok()?;
                let (customers, maps) = CustomerIndex::merge_sorted(indexes)?;
                let pieces = pieces
                    .into_iter()
                    .map(|(thread, mut rows)| {
                        let map = &maps[thread];
                        for row in &mut rows {
                            row.0 = map[row.0 as usize];
                        }
                        (thread, rows)
                    })
                    .collect();
                Purchases::Interned {
                    customers,
                    rows: concat(pieces),
                }
            }
        },
    };
    let empty = match &purchases {
        Purchases::Short(rows) => rows.is_empty(),
        Purchases::Medium(rows) => rows.is_empty(),
        Purchases::Interned { rows, .. } => rows.is_empty(),
    };
    // No data row is an error, reported by `read_csv`; so are amounts in more than one
    // currency (an analysis sums them), with the line of the first in another currency.
    (!empty && purchases.one_currency()).then_some(purchases)
}

#[cfg(test)]
mod tests {
    use proptest::prelude::*;
    use rust_decimal::Decimal;

    use super::keys::{pack_u64, pack_u128};
    use super::testing::{Expanded, expand_packed, old};
    use super::*;
    use crate::input::temp_file as temp;

    fn expand(p: &Purchases) -> Vec<Expanded> {
        match p {
            Purchases::Short(rows) => expand_packed(rows, |k| k.to_be_bytes().to_vec()),
            Purchases::Medium(rows) => expand_packed(rows, |k| k.to_be_bytes().to_vec()),
            Purchases::Interned { customers, rows } => {
                let ids: Vec<&str> = customers.iter().collect();
                assert!(ids.windows(2).all(|w| w[0] < w[1]), "ids sorted: {ids:?}");
                rows.iter()
                    .map(|&(k, t, m)| (ids[k as usize].to_string(), t, m))
                    .collect()
            }
        }
    }

    /// Ways to share out a file: one piece, and many pieces read in small chunks on
    /// several threads (lines longer than a chunk leave the fast path).
    const PLANS: [Plan; 3] = [
        Plan {
            threads: 1,
            pieces: None,
            chunk: CHUNK,
        },
        Plan {
            threads: 3,
            pieces: Some(7),
            chunk: 96,
        },
        Plan {
            threads: 2,
            pieces: Some(2),
            chunk: 4096,
        },
    ];

    /// Every way of reading `content` agrees with `read_csv`: the fast path with each key
    /// type and plan gives its rows or stands aside, and `read_purchases` gives its rows
    /// or its error.
    fn agree(content: &[u8]) -> Result<(), TestCaseError> {
        let f = temp(content);
        let reference = read_csv(f.path(), Currency::USD);
        let expected = reference.as_ref().map(|rows| old(rows));
        let sources = [Source::File(f.path()), Source::Bytes(content)];
        for (plan, source) in PLANS.into_iter().flat_map(|p| sources.map(|s| (p, s))) {
            let fast = [
                scan_with::<ShortKeys>(source, Currency::USD, plan)
                    .map(|(_, p)| expand(&Purchases::Short(concat(p)))),
                scan_with::<MediumKeys>(source, Currency::USD, plan)
                    .map(|(_, p)| expand(&Purchases::Medium(concat(p)))),
                scan(source, Currency::USD, plan)
                    .map(|p| expand(&p))
                    .ok_or(Halt::Other),
            ];
            for rows in fast.into_iter().flatten() {
                // The key scans read any currencies; `scan` hands a file mixing them to
                // `read_csv`, which refuses it with the line of the first other one.
                if rows
                    .windows(2)
                    .any(|w| w[0].2.currency() != w[1].2.currency())
                {
                    continue;
                }
                match &expected {
                    // No data row: the fast path's pieces are empty, `scan` refuses.
                    Err(_) if rows.is_empty() => {}
                    Err(e) => prop_assert!(false, "fast path read a file read_csv refuses: {e}"),
                    Ok(expected) => prop_assert_eq!(&rows, expected),
                }
            }
        }
        match (read_purchases(f.path(), Currency::USD, 2), &expected) {
            (Ok(p), Ok(rows)) => prop_assert_eq!(&expand(&p), rows),
            (Err(e), Err(expected)) => prop_assert_eq!(e.to_string(), expected.to_string()),
            (Ok(_), Err(e)) => {
                prop_assert!(false, "read_purchases read a file read_csv refuses: {e}")
            }
            (Err(e), Ok(_)) => prop_assert!(false, "read_purchases refused a good file: {e}"),
        }
        Ok(())
    }

    fn field() -> impl Strategy<Value = String> {
        prop_oneof![
            4 => "[a-c]{1,3}",
            1 => "[a-c]{8,12}",
            1 => "[a-c]{14,20}",
            1 => Just(String::new()),
            1 => Just(" b\u{a0}".to_string()),
            1 => Just("a\"b".to_string()),
            1 => Just("x y".to_string()),
            1 => Just("é".to_string()),
            1 => Just("a\u{1}b".to_string()),
            1 => Just("a\u{85}".to_string()),
            1 => Just("a\u{7f}".to_string()),
            1 => Just("k".repeat(129)),
        ]
    }

    fn timestamp() -> impl Strategy<Value = String> {
        prop_oneof![
            4 => (2000i32..2030, 1u32..13, 1u32..29).prop_map(|(y, m, d)| format!("{y}-{m:02}-{d:02}")),
            1 => Just(" 2024-03-01T10:00:00Z".to_string()),
            1 => Just("2024-03-01T10:00:00.5+01:00".to_string()),
            1 => Just("2024-02-30".to_string()),
            1 => Just("bad".to_string()),
        ]
    }

    fn amount() -> impl Strategy<Value = String> {
        prop_oneof![
            4 => (-100_000i64..100_000, 0u32..4).prop_map(|(m, s)| Decimal::new(m, s).to_string()),
            1 => Just(" 7 ".to_string()),
            1 => Just("1e3".to_string()),
            1 => Just("x".to_string()),
            1 => Just("0.0000000000000000000000000001".to_string()),
        ]
    }

    fn currency() -> impl Strategy<Value = String> {
        prop_oneof![
            3 => Just("USD".to_string()),
            1 => Just("eur".to_string()),
            1 => Just(String::new()),
            1 => Just("EURO".to_string()),
        ]
    }

    fn line_end() -> impl Strategy<Value = &'static str> {
        prop_oneof![
            6 => Just("\n"),
            1 => Just("\r\n"),
            1 => Just("\r"),
            1 => Just("\n\n"),
            1 => Just(",\n"),
        ]
    }

    fn header() -> impl Strategy<Value = &'static str> {
        prop_oneof![
            3 => Just("customer_id,timestamp,amount"),
            2 => Just("customer_id,timestamp,amount,currency"),
            1 => Just("customer_id,timestamp,amount,transaction_id"),
            1 => Just("customer_id,timestamp,amount,currency,transaction_id"),
            1 => Just("\r\n customer_id , timestamp,amount"),
            1 => Just("customer,timestamp,amount"),
            1 => Just("\"customer_id\",timestamp,amount"),
            1 => Just("\u{feff}customer_id,timestamp,amount"),
        ]
    }

    /// A file of mostly well-formed rows for its header, with odd fields and line ends.
    fn file() -> impl Strategy<Value = Vec<u8>> {
        let row = (
            field(),
            timestamp(),
            amount(),
            currency(),
            field(),
            line_end(),
        );
        (
            header(),
            line_end(),
            proptest::collection::vec(row, 0..12),
            any::<bool>(),
        )
            .prop_map(|(header, end, rows, last_end)| {
                let currency = header.contains("currency");
                let tid = header.contains("transaction_id");
                let mut text = format!("{header}{end}");
                let n = rows.len();
                for (i, (id, t, a, c, x, end)) in rows.into_iter().enumerate() {
                    text.push_str(&format!("{id},{t},{a}"));
                    if currency {
                        text.push_str(&format!(",{c}"));
                    }
                    if tid {
                        text.push_str(&format!(",{x}"));
                    }
                    if i + 1 < n || last_end {
                        text.push_str(end);
                    }
                }
                text.into_bytes()
            })
    }

    proptest! {
        #![proptest_config(ProptestConfig::with_cases(512))]

        #[test]
        fn agrees_with_read_csv_on_generated_files(content in file()) {
            agree(&content)?;
        }

        #[test]
        fn agrees_with_read_csv_on_noise(
            header in header(),
            body in proptest::collection::vec(
                prop_oneof![Just(b'a'), Just(b'1'), Just(b','), Just(b'.'), Just(b'-'), Just(b' '),
                            Just(b'\n'), Just(b'\r'), Just(b'"'), Just(0xff)],
                0..120,
            ),
        ) {
            let mut content = format!("{header}\n").into_bytes();
            content.extend_from_slice(&body);
            agree(&content)?;
        }
    }

    #[test]
    fn key_width_follows_the_longest_id() {
        let short = temp(b"customer_id,timestamp,amount\nb,2024-01-01,1\na,2024-01-02,2\n");
        let read = read_purchases(short.path(), Currency::USD, 2).expect("reads");
        assert!(matches!(read, Purchases::Short(_)), "{read:?}");
        let medium = temp(b"customer_id,timestamp,amount\nb,2024-01-01,1\nabcdefgh,2024-01-02,2\n");
        let read = read_purchases(medium.path(), Currency::USD, 2).expect("reads");
        assert!(matches!(read, Purchases::Medium(_)), "{read:?}");
        assert_eq!(pack_u64("abcdefgh"), None);
        assert_eq!(pack_u128("abcdefghijklmnop"), None);
    }

    #[test]
    fn long_ids_are_interned_in_text_order() {
        let f = temp(
            b"customer_id,timestamp,amount\n\
              customer-0000000010,2024-01-01,1\n\
              customer-0000000009,2024-01-02,2\n\
              customer-0000000010,2024-01-03,3\n\
              b,2024-01-04,4\n",
        );
        let Purchases::Interned { customers, rows } =
            read_purchases(f.path(), Currency::USD, 2).expect("reads")
        else {
            panic!("long ids are interned");
        };
        let ids: Vec<&str> = customers.iter().collect();
        assert_eq!(ids, ["b", "customer-0000000009", "customer-0000000010"]);
        let keys: Vec<u32> = rows.iter().map(|r| r.0).collect();
        assert_eq!(keys, [2, 1, 2, 0]);
        assert_eq!(rows[2].2, Money::new(Decimal::from(3), Currency::USD));
    }

    #[test]
    fn a_bad_field_is_reported_with_its_line_and_column() {
        let mut text = String::from("customer_id,timestamp,amount\n");
        for i in 0..2000 {
            text.push_str(&format!("c{},2024-01-01,{i}.50\n", i % 7));
        }
        text.push_str("c1,2024-01-02,12,5\nc2,2024-01-03,x1\n");
        let f = temp(text.as_bytes());
        let e = read_purchases(f.path(), Currency::USD, 2)
            .expect_err("wrong number of fields")
            .to_string();
        assert!(
            e.contains("line 2002") && e.contains("3 comma-separated fields"),
            "{e}"
        );
        let f = temp(text.replace("c1,2024-01-02,12,5\n", "").as_bytes());
        let e = read_purchases(f.path(), Currency::USD, 2)
            .expect_err("bad amount")
            .to_string();
        assert!(e.contains("line 2002, column 3 (amount)"), "{e}");
        assert!(e.contains("found \"x1\""), "{e}");
    }
}
