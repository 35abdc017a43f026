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
//! by [`read_csv`], so rows and error messages (line,
//! column, field) are those of that reader.

use std::fs::File;
use std::hash::Hash;
use std::io::{Read, Seek, SeekFrom};
use std::path::Path;
use std::str::FromStr;
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};

use chrono::{DateTime, Utc};
use crm_core::Money;
use crm_core::{Currency, parse_currency};
use rust_decimal::Decimal;

use super::customer_index::{CustomerIds, CustomerIndex};
use super::parse_timestamp;
use super::transactions::{TransactionRow, read_csv};
use crate::error::{CliError, CliResult};

/// One purchase: the customer's key, the time and the amount.
pub type Row<K> = (K, DateTime<Utc>, Money);

/// The purchases of a transaction file, in the order of its rows, keyed by integers that
/// sort as the customer ids do.
#[derive(Debug, Clone, PartialEq)]
pub enum Purchases {
    /// Every id has at most 7 bytes: keys from [`pack_u64`].
    Short(Vec<Row<u64>>),
    /// Every id has at most 15 bytes: keys from [`pack_u128`].
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
    /// The purchases of rows read by [`read_csv`]; `None` past `u32::MAX` customers.
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

/// The bytes of the key of an id of at most `N - 1` bytes: its bytes zero-padded to
/// `N - 1`, then its length. Read as a big-endian integer, keys sort as the ids do (where
/// the padded bytes differ, either the ids differ there or the shorter is a prefix of the
/// longer; where they agree, the shorter id is the smaller).
#[inline]
fn pack<const N: usize>(id: &str) -> Option<[u8; N]> {
    let b = id.as_bytes();
    let mut key = [0u8; N];
    key.get_mut(..b.len())
        .filter(|_| b.len() < N)?
        .copy_from_slice(b);
    key[N - 1] = b.len() as u8;
    Some(key)
}

/// The key of an id of at most 7 bytes: its bytes zero-padded to 7, then its length, read
/// as a big-endian integer; keys sort as the ids do.
#[inline]
pub fn pack_u64(id: &str) -> Option<u64> {
    pack(id).map(u64::from_be_bytes)
}

/// The key of an id of at most 15 bytes, made as [`pack_u64`] makes it.
#[inline]
pub fn pack_u128(id: &str) -> Option<u128> {
    pack(id).map(u128::from_be_bytes)
}

/// The id bytes of a key from [`pack_u64`] or [`pack_u128`] (given as its big-endian
/// bytes), appended to `out`.
pub fn unpack(key: &[u8], out: &mut Vec<u8>) {
    if let Some((&len, bytes)) = key.split_last() {
        out.extend_from_slice(&bytes[..usize::from(len).min(bytes.len())]);
    }
}

/// Reads a transaction CSV file (header `customer_id,timestamp,amount[,currency]
/// [,transaction_id]`) on up to `threads` threads (0: one per core). The same rows, in
/// the same order, and the same errors as [`read_csv`].
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
    if let Some(purchases) = scan(path, default_currency, plan) {
        return Ok(purchases);
    }
    let rows = read_csv(path, default_currency)?;
    Purchases::from_rows(&rows).ok_or_else(|| {
        CliError::Usage(format!(
            "{}: more than {} distinct customer ids",
            path.display(),
            u32::MAX
        ))
    })
}

/// The columns of a transaction file's header.
#[derive(Debug, Clone, Copy)]
struct Layout {
    columns: usize,
    currency: bool,
}

impl Layout {
    /// The layout named by a header, as [`read_csv`] accepts it.
    fn of(header: &str) -> Option<Self> {
        let names: Vec<&str> = header.split(',').map(str::trim).collect();
        if names.len() < 3 || names[..3] != ["customer_id", "timestamp", "amount"] {
            return None;
        }
        let currency = match &names[3..] {
            [] | ["transaction_id"] => false,
            ["currency"] | ["currency", "transaction_id"] => true,
            _ => return None,
        };
        Some(Self {
            columns: names.len(),
            currency,
        })
    }
}

/// Bytes read from a file at a time by each thread.
const CHUNK: usize = 4 << 20;

/// Files smaller than this are read by one thread in one piece.
const SMALL: u64 = 8 << 20;

/// How the fast path shares out a file.
#[derive(Debug, Clone, Copy)]
pub(crate) struct Plan {
    /// Threads (0: one per core).
    pub threads: usize,
    /// Pieces the file is cut into; `None`: one for a small file, else one per thread.
    pub pieces: Option<usize>,
    /// Bytes read at a time (also the longest header and line).
    pub chunk: usize,
}

/// Why the fast path stopped.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Halt {
    /// The file is not for the fast path (or has an error): read it with [`read_csv`].
    Other,
    /// An id too long for the keys: try wider keys.
    Wider,
}

/// Turns customer ids into keys.
pub(crate) trait Keys: Default + Send {
    /// The key.
    type Key: Copy + Hash + Ord + Send + Sync;
    /// Whether ids are best keyed a batch at a time (a table lookup per id, whose memory
    /// reads then overlap) rather than as each record is read.
    const BATCHED: bool;
    /// The key of an id.
    fn key(&mut self, id: &str) -> Result<Self::Key, Halt>;
}

/// Keys from [`pack_u64`].
#[derive(Debug, Default)]
pub(crate) struct ShortKeys;

impl Keys for ShortKeys {
    type Key = u64;
    const BATCHED: bool = false;
    #[inline]
    fn key(&mut self, id: &str) -> Result<u64, Halt> {
        pack_u64(id).ok_or(Halt::Wider)
    }
}

/// Keys from [`pack_u128`].
#[derive(Debug, Default)]
pub(crate) struct MediumKeys;

impl Keys for MediumKeys {
    type Key = u128;
    const BATCHED: bool = false;
    #[inline]
    fn key(&mut self, id: &str) -> Result<u128, Halt> {
        pack_u128(id).ok_or(Halt::Wider)
    }
}

impl Keys for CustomerIndex {
    type Key = u32;
    const BATCHED: bool = true;
    #[inline]
    fn key(&mut self, id: &str) -> Result<u32, Halt> {
        self.intern(id).ok_or(Halt::Other)
    }
}

/// The fast path: the purchases of a well-formed file without quotes, or `None` for any
/// other file (or a read failure), which the caller then reads with [`read_csv`].
pub(crate) fn scan(path: &Path, default_currency: Currency, plan: Plan) -> Option<Purchases> {
    let purchases = match scan_with::<ShortKeys>(path, default_currency, plan) {
        Ok((_, pieces)) => Purchases::Short(concat(pieces)),
        Err(Halt::Other) => return None,
        Err(Halt::Wider) => match scan_with::<MediumKeys>(path, default_currency, plan) {
            Ok((_, pieces)) => Purchases::Medium(concat(pieces)),
            Err(Halt::Other) => return None,
            Err(Halt::Wider) => {
                let (indexes, pieces) =
                    scan_with::<CustomerIndex>(path, default_currency, plan).ok()?;
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
    // No data row is an error, reported by `read_csv`.
    (!empty).then_some(purchases)
}

/// The rows of pieces, in order, in one vector: the first piece's (which has room for
/// every row of the file) with the others copied after it, each freed once copied.
fn concat<K: Copy>(pieces: Vec<(usize, Vec<Row<K>>)>) -> Vec<Row<K>> {
    let mut pieces = pieces.into_iter();
    let Some((_, mut rows)) = pieces.next() else {
        return Vec::new();
    };
    for (_, piece) in pieces {
        rows.extend_from_slice(&piece);
    }
    rows
}

/// One thread's key maker and the rows of the pieces it read, with their numbers.
type ThreadRows<K> = (K, Vec<(usize, Vec<Row<<K as Keys>::Key>>)>);

/// Every thread's key maker and the pieces' rows in file order, each with the number of
/// the thread that read it.
type Scanned<K> = (Vec<K>, Vec<(usize, Vec<Row<<K as Keys>::Key>>)>);

/// Reads the file with keys from `K`, on the threads of `plan`.
fn scan_with<K: Keys>(
    path: &Path,
    default_currency: Currency,
    plan: Plan,
) -> Result<Scanned<K>, Halt> {
    let mut file = File::open(path).map_err(|_| Halt::Other)?;
    let size = file.metadata().map_err(|_| Halt::Other)?.len();
    let (layout, data_start) = header(&mut file, size, plan.chunk).ok_or(Halt::Other)?;
    let threads = match plan.threads {
        0 => std::thread::available_parallelism().map_or(1, |n| n.get()),
        n => n,
    };
    let pieces = plan
        .pieces
        .unwrap_or(if size < SMALL { 1 } else { threads })
        .max(1);
    let bounds = piece_bounds(&mut file, data_start, size, pieces).ok_or(Halt::Other)?;
    let ranges: Vec<(u64, u64)> = bounds.windows(2).map(|w| (w[0], w[1])).collect();
    let threads = threads.min(ranges.len()).max(1);
    // A data row has at least 15 bytes (`a,YYYY-MM-DD,1` and a line end).
    let most_rows = usize::try_from((size - data_start) / 15 + 1).unwrap_or(usize::MAX);
    let next = AtomicUsize::new(0);
    let stop = AtomicBool::new(false);
    let work = || {
        let out = read_pieces::<K>(
            path,
            &ranges,
            (&next, &stop),
            layout,
            default_currency,
            (plan.chunk, most_rows),
        );
        if out.is_err() {
            stop.store(true, Ordering::Relaxed);
        }
        out
    };
    let results: Vec<Result<ThreadRows<K>, Halt>> = std::thread::scope(|s| {
        // A thread that cannot be started leaves the file to `read_csv`.
        let handles: Vec<_> = (1..threads)
            .map(|_| std::thread::Builder::new().spawn_scoped(s, work))
            .collect();
        let mut results = vec![work()];
        results.extend(handles.into_iter().map(|h| {
            h.map_err(|_| Halt::Other)
                .and_then(|h| h.join().unwrap_or(Err(Halt::Other)))
        }));
        results
    });
    // A wider key is needed if any thread says so (an error elsewhere is then found again).
    if results.iter().any(|r| matches!(r, Err(Halt::Wider))) {
        return Err(Halt::Wider);
    }
    let mut makers = Vec::with_capacity(results.len());
    let mut pieces = Vec::with_capacity(ranges.len());
    for (thread, result) in results.into_iter().enumerate() {
        let (maker, rows) = result?;
        makers.push(maker);
        pieces.extend(rows.into_iter().map(|(piece, rows)| (piece, thread, rows)));
    }
    pieces.sort_unstable_by_key(|p| p.0);
    Ok((
        makers,
        pieces
            .into_iter()
            .map(|(_, thread, rows)| (thread, rows))
            .collect(),
    ))
}
/// The header's layout and the offset where the data rows start. `None` for a file that
/// starts with a byte-order mark, or whose header is not UTF-8, has a quote, is longer than
/// a chunk or is not a transaction header.
fn header(file: &mut File, size: u64, chunk: usize) -> Option<(Layout, u64)> {
    let mut head = Vec::new();
    file.by_ref()
        .take(size.min(chunk as u64))
        .read_to_end(&mut head)
        .ok()?;
    if head.starts_with(&[0xEF, 0xBB, 0xBF]) {
        return None;
    }
    let start = head.iter().position(|&b| b != b'\n' && b != b'\r')?;
    let end = start + memchr::memchr2(b'\n', b'\r', &head[start..])?;
    let text = std::str::from_utf8(&head[start..end]).ok()?;
    if text.contains('"') {
        return None;
    }
    Some((Layout::of(text)?, end as u64))
}

/// Offsets that cut `start..size` into about `pieces` ranges, each cut just after a `\n`.
fn piece_bounds(file: &mut File, start: u64, size: u64, pieces: usize) -> Option<Vec<u64>> {
    let mut bounds = vec![start];
    let mut window = vec![0u8; 1 << 16];
    for i in 1..pieces as u64 {
        let mut at = (start + i * (size - start) / pieces as u64).max(*bounds.last()?);
        file.seek(SeekFrom::Start(at)).ok()?;
        let cut = loop {
            let n = file.read(&mut window).ok()?;
            if n == 0 {
                break size;
            }
            if let Some(p) = memchr::memchr(b'\n', &window[..n]) {
                break at + p as u64 + 1;
            }
            at += n as u64;
        };
        bounds.push(cut);
    }
    bounds.push(size);
    Some(bounds)
}

/// One thread's work: pieces taken in turn until none is left, their rows numbered by the
/// thread's own index of ids. `None` as soon as any piece is not for the fast path.
fn read_pieces<K: Keys>(
    path: &Path,
    ranges: &[(u64, u64)],
    (next, stop): (&AtomicUsize, &AtomicBool),
    layout: Layout,
    default_currency: Currency,
    (chunk, most_rows): (usize, usize),
) -> Result<ThreadRows<K>, Halt> {
    let mut file = File::open(path).map_err(|_| Halt::Other)?;
    let mut reader = PieceReader {
        keys: K::default(),
        layout,
        default_currency,
        last_currency: None,
        dates: vec![None; DATE_SLOTS],
    };
    let mut buffer = vec![0u8; chunk.max(1)];
    let mut out = Vec::new();
    loop {
        let piece = next.fetch_add(1, Ordering::Relaxed);
        let Some(&(start, end)) = ranges.get(piece) else {
            return Ok((reader.keys, out));
        };
        if stop.load(Ordering::Relaxed) {
            return Err(Halt::Other);
        }
        // Room for every row of the piece, or of the file for the first piece, which the
        // others are appended to (address space only: untouched pages take no memory).
        let room = if piece == 0 {
            most_rows
        } else {
            usize::try_from((end - start) / 15 + 1).unwrap_or(usize::MAX)
        };
        let mut rows = Vec::new();
        if rows.try_reserve_exact(room).is_err() {
            rows.reserve(usize::try_from((end - start) / 32).unwrap_or(0));
        }
        reader.read_range(&mut file, (start, end), &mut buffer, &mut rows, stop)?;
        out.push((piece, rows));
    }
}

/// Reads pieces of one file into rows.
struct PieceReader<K> {
    keys: K,
    layout: Layout,
    default_currency: Currency,
    /// The last currency field read and its code, so a currency column costs one
    /// comparison per row.
    last_currency: Option<(String, Currency)>,
    /// Times of recently read 10-byte timestamp fields (`YYYY-MM-DD`), by a hash of the
    /// text: a file has few distinct dates.
    dates: Vec<Option<([u8; 10], DateTime<Utc>)>>,
}

/// Records parsed before their ids are keyed.
const KEY_BATCH: usize = 64;

/// Slots of [`PieceReader::dates`].
const DATE_SLOTS: usize = 1 << 12;

/// A field without the whitespace `str::trim` removes; fields that start and end with a
/// printable ASCII character (the usual case) are returned as they are without a scan.
#[inline]
fn trim(field: &str) -> &str {
    match field.as_bytes() {
        [first, .., last] if (b'!'..=b'~').contains(first) && (b'!'..=b'~').contains(last) => field,
        [one] if (b'!'..=b'~').contains(one) => field,
        _ => field.trim(),
    }
}

/// The decimal number of an amount field, as `Decimal::from_str` reads it. Unsigned
/// numbers of up to 18 digits with an optional fraction (`123`, `45.60`) are read here
/// digit by digit; anything else goes to `Decimal::from_str`.
#[inline]
fn amount(text: &str) -> Option<Decimal> {
    let b = text.as_bytes();
    let mut mantissa = 0i64;
    let (mut digits, mut scale, mut point) = (0u32, 0u32, false);
    for &c in b {
        match c {
            b'0'..=b'9' if digits < 18 => {
                mantissa = mantissa * 10 + i64::from(c - b'0');
                digits += 1;
                scale += u32::from(point);
            }
            b'.' if !point && digits > 0 => point = true,
            _ => return Decimal::from_str(text).ok(),
        }
    }
    if digits == 0 || (point && scale == 0) {
        return Decimal::from_str(text).ok();
    }
    Some(Decimal::new(mantissa, scale))
}

impl<K: Keys> PieceReader<K> {
    /// Reads the rows of `start..end` (cut at line ends) a chunk at a time, until done or
    /// until another thread has stopped.
    fn read_range(
        &mut self,
        file: &mut File,
        (start, end): (u64, u64),
        buffer: &mut [u8],
        rows: &mut Vec<Row<K::Key>>,
        stop: &AtomicBool,
    ) -> Result<(), Halt> {
        file.seek(SeekFrom::Start(start)).map_err(|_| Halt::Other)?;
        let mut left = end - start;
        let mut filled = 0;
        while left > 0 {
            if stop.load(Ordering::Relaxed) {
                return Err(Halt::Other);
            }
            let want = (buffer.len() - filled).min(usize::try_from(left).unwrap_or(usize::MAX));
            let n = file
                .read(&mut buffer[filled..filled + want])
                .map_err(|_| Halt::Other)?;
            if n == 0 {
                return Err(Halt::Other); // the file shrank
            }
            left -= n as u64;
            filled += n;
            if left == 0 {
                break;
            }
            let Some(cut) = memchr::memrchr2(b'\n', b'\r', &buffer[..filled]) else {
                if filled == buffer.len() {
                    return Err(Halt::Other); // a line longer than a chunk
                }
                continue;
            };
            self.read_lines(&buffer[..=cut], rows)?;
            buffer.copy_within(cut + 1..filled, 0);
            filled -= cut + 1;
        }
        self.read_lines(&buffer[..filled], rows)
    }

    /// Reads whole records (`bytes` ends at a record's end).
    fn read_lines(&mut self, bytes: &[u8], rows: &mut Vec<Row<K::Key>>) -> Result<(), Halt> {
        if memchr::memchr(b'"', bytes).is_some() {
            return Err(Halt::Other);
        }
        let text = std::str::from_utf8(bytes).map_err(|_| Halt::Other)?;
        // With an interning table, records are parsed a batch at a time and their ids then
        // keyed in a tight loop, so the table's memory reads overlap.
        let mut batch: Vec<(&str, DateTime<Utc>, Money)> =
            Vec::with_capacity(if K::BATCHED { KEY_BATCH } else { 0 });
        let mut start = 0;
        for end in memchr::memchr2_iter(b'\n', b'\r', bytes).chain(std::iter::once(bytes.len())) {
            if end > start {
                let (id, at, amount) = self.record(&text[start..end])?;
                if K::BATCHED {
                    batch.push((id, at, amount));
                    if batch.len() == KEY_BATCH {
                        self.key_batch(&mut batch, rows)?;
                    }
                } else {
                    rows.push((self.keys.key(id)?, at, amount));
                }
            }
            start = end + 1;
        }
        self.key_batch(&mut batch, rows)
    }

    /// Keys the records of a batch into rows, emptying the batch.
    #[inline]
    fn key_batch(
        &mut self,
        batch: &mut Vec<(&str, DateTime<Utc>, Money)>,
        rows: &mut Vec<Row<K::Key>>,
    ) -> Result<(), Halt> {
        for (id, at, amount) in batch.drain(..) {
            rows.push((self.keys.key(id)?, at, amount));
        }
        Ok(())
    }

    /// One record, as [`read_csv`] reads it (its customer id not yet keyed);
    /// [`Halt::Other`] for anything it would refuse.
    #[inline]
    fn record<'a>(&mut self, line: &'a str) -> Result<(&'a str, DateTime<Utc>, Money), Halt> {
        // The byte offsets of the commas: exactly one fewer than the header's columns.
        let mut commas = [0usize; 4];
        let mut n = 0;
        for (i, &c) in line.as_bytes().iter().enumerate() {
            if c == b',' {
                *commas.get_mut(n).ok_or(Halt::Other)? = i;
                n += 1;
            }
        }
        if n + 1 != self.layout.columns {
            return Err(Halt::Other);
        }
        let field = |k: usize| {
            let start = if k == 0 { 0 } else { commas[k - 1] + 1 };
            let end = if k == n { line.len() } else { commas[k] };
            trim(&line[start..end])
        };
        let (id, timestamp, amount_text) = (field(0), field(1), field(2));
        let currency = if self.layout.currency { field(3) } else { "" };
        if id.is_empty() {
            return Err(Halt::Other);
        }
        let timestamp = self.timestamp(timestamp).ok_or(Halt::Other)?;
        let amount = amount(amount_text).ok_or(Halt::Other)?;
        let currency = if currency.is_empty() {
            self.default_currency
        } else {
            self.currency(currency).ok_or(Halt::Other)?
        };
        Ok((id, timestamp, Money::new(amount, currency)))
    }

    /// The time of a timestamp field, as [`parse_timestamp`] reads it, remembered for
    /// 10-byte fields.
    #[inline]
    fn timestamp(&mut self, text: &str) -> Option<DateTime<Utc>> {
        let Ok(key) = <[u8; 10]>::try_from(text.as_bytes()) else {
            return parse_timestamp(text);
        };
        let mut word = [0u8; 8];
        word.copy_from_slice(&key[2..]);
        let slot = (u64::from_le_bytes(word).wrapping_mul(0x9E37_79B9_7F4A_7C15) >> 52) as usize
            % DATE_SLOTS;
        if let Some((k, t)) = self.dates[slot]
            && k == key
        {
            return Some(t);
        }
        let t = parse_timestamp(text)?;
        self.dates[slot] = Some((key, t));
        Some(t)
    }

    /// The currency of a non-empty code, remembered from the previous row when it repeats.
    fn currency(&mut self, code: &str) -> Option<Currency> {
        if let Some((last, currency)) = &self.last_currency
            && last == code
        {
            return Some(*currency);
        }
        let currency = parse_currency(code).ok()?;
        self.last_currency = Some((code.to_string(), currency));
        Some(currency)
    }
}

#[cfg(test)]
mod tests {
    use std::io::Write;

    use proptest::prelude::*;

    use super::*;

    fn temp(content: &[u8]) -> tempfile::NamedTempFile {
        let mut f = tempfile::NamedTempFile::new().expect("temp file");
        f.write_all(content).expect("write");
        f
    }

    /// A row with its customer id as text.
    type Expanded = (String, DateTime<Utc>, Money);

    fn expand_packed<K: Copy>(rows: &[Row<K>], bytes: impl Fn(K) -> Vec<u8>) -> Vec<Expanded> {
        rows.iter()
            .map(|&(k, t, m)| {
                let mut id = Vec::new();
                unpack(&bytes(k), &mut id);
                (String::from_utf8(id).expect("utf-8 id"), t, m)
            })
            .collect()
    }

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

    fn old(rows: &[TransactionRow]) -> Vec<Expanded> {
        rows.iter()
            .map(|r| {
                (
                    r.customer_id.clone(),
                    r.timestamp,
                    Money::new(r.amount, r.currency),
                )
            })
            .collect()
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
        for plan in PLANS {
            let fast = [
                scan_with::<ShortKeys>(f.path(), Currency::USD, plan)
                    .map(|(_, p)| expand(&Purchases::Short(concat(p)))),
                scan_with::<MediumKeys>(f.path(), Currency::USD, plan)
                    .map(|(_, p)| expand(&Purchases::Medium(concat(p)))),
                scan(f.path(), Currency::USD, plan)
                    .map(|p| expand(&p))
                    .ok_or(Halt::Other),
            ];
            for rows in fast.into_iter().flatten() {
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

        /// Packed keys give their id back and sort as the ids do.
        #[test]
        fn packed_keys_keep_ids_and_order(a in "[a\u{0}\u{1}é]{0,8}", b in "[a\u{0}\u{1}é]{0,8}") {
            for (x, y) in [(&a, &b), (&b, &a)] {
                if let (Some(kx), Some(ky)) = (pack_u64(x), pack_u64(y)) {
                    prop_assert_eq!(kx.cmp(&ky), x.cmp(y));
                    let mut back = Vec::new();
                    unpack(&kx.to_be_bytes(), &mut back);
                    prop_assert_eq!(back, x.as_bytes());
                }
                let (kx, ky) = (pack_u128(x).unwrap(), pack_u128(y).unwrap());
                prop_assert_eq!(kx.cmp(&ky), x.cmp(y));
                let mut back = Vec::new();
                unpack(&kx.to_be_bytes(), &mut back);
                prop_assert_eq!(back, x.as_bytes());
            }
        }
    }

    proptest! {
        /// The quick trim removes what `str::trim` removes.
        #[test]
        fn trim_as_str_trim(text in "[ \t\u{a0}\u{1}a!~é]{0,6}") {
            prop_assert_eq!(trim(&text), text.trim());
        }

        /// Amounts read digit by digit are the decimals `Decimal::from_str` reads, to the
        /// digit (mantissa, scale and sign).
        #[test]
        fn amounts_as_decimal_from_str(text in "[0-9]{0,20}(\\.[0-9]{0,20})?|[-+ 0-9._e]{0,8}") {
            let fast = super::amount(&text).map(|d| d.serialize());
            let reference = Decimal::from_str(&text).ok().map(|d| d.serialize());
            prop_assert_eq!(fast, reference);
        }
    }

    #[test]
    fn timestamps_are_remembered_only_for_their_own_text() {
        let mut reader = PieceReader {
            keys: ShortKeys,
            layout: Layout::of("customer_id,timestamp,amount").expect("header"),
            default_currency: Currency::USD,
            last_currency: None,
            dates: vec![None; DATE_SLOTS],
        };
        for _ in 0..2 {
            for y in 2000..2030 {
                for m in 1..=12 {
                    for d in [1, 15, 28, 31] {
                        let text = format!("{y}-{m:02}-{d:02}");
                        assert_eq!(reader.timestamp(&text), parse_timestamp(&text), "{text}");
                    }
                }
            }
        }
        assert_eq!(reader.timestamp("2024-02-30"), None);
        assert!(reader.timestamp("2024-02-03T04:05:06Z").is_some());
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

    #[test]
    fn pieces_cut_at_line_ends_read_every_row_once() {
        let mut text = String::from("customer_id,timestamp,amount,currency\n");
        for i in 0..500 {
            text.push_str(&format!(
                "c{},2024-01-{:02},{i},{}\r\n",
                i % 37,
                1 + i % 28,
                if i % 2 == 0 { "EUR" } else { "eur" }
            ));
        }
        let f = temp(text.as_bytes());
        let plan = Plan {
            threads: 4,
            pieces: Some(16),
            chunk: 256,
        };
        let rows = expand(&scan(f.path(), Currency::USD, plan).expect("fast path"));
        assert_eq!(
            rows,
            old(&read_csv(f.path(), Currency::USD).expect("reads"))
        );
        assert_eq!(rows.len(), 500);
        assert!(rows.iter().all(|r| r.2.currency() == Currency::EUR));
    }
}
