//! Cutting a file into pieces cut at line ends, read on several threads, and joining the
//! pieces' rows again in file order.

use std::fs::File;
use std::io::{Read, Seek, SeekFrom};
use std::path::Path;
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};

use crm_core::Currency;

use super::fields::{DATE_SLOTS, Layout, PieceReader};
use super::keys::{Halt, Keys, Row};

/// Bytes read from a file at a time by each thread.
pub(super) const CHUNK: usize = 4 << 20;

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

/// What the fast path reads: a regular file (opened again by each thread), or the bytes of
/// an input read once into memory.
#[derive(Debug, Clone, Copy)]
pub(crate) enum Source<'a> {
    /// A regular file.
    File(&'a Path),
    /// The whole content of an input.
    Bytes(&'a [u8]),
}

/// The rows of pieces, in order, in one vector: the first piece's (which has room for
/// every row of the file) with the others copied after it, each freed once copied.
pub(super) fn concat<K: Copy>(pieces: Vec<(usize, Vec<Row<K>>)>) -> Vec<Row<K>> {
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
pub(super) fn scan_with<K: Keys>(
    source: Source<'_>,
    default_currency: Currency,
    plan: Plan,
) -> Result<Scanned<K>, Halt> {
    let mut file = match source {
        Source::File(path) => Some(File::open(path).map_err(|_| Halt::Other)?),
        Source::Bytes(_) => None,
    };
    let size = match (&file, source) {
        (Some(file), _) => file.metadata().map_err(|_| Halt::Other)?.len(),
        (None, Source::Bytes(bytes)) => bytes.len() as u64,
        (None, Source::File(_)) => return Err(Halt::Other),
    };
    let (layout, data_start) = match (&mut file, source) {
        (Some(file), _) => header(file, size, plan.chunk),
        (None, Source::Bytes(bytes)) => {
            header(&mut &bytes[..bytes.len().min(plan.chunk)], size, plan.chunk)
        }
        (None, Source::File(_)) => None,
    }
    .ok_or(Halt::Other)?;
    let threads = match plan.threads {
        0 => std::thread::available_parallelism().map_or(1, |n| n.get()),
        n => n,
    };
    let pieces = plan
        .pieces
        .unwrap_or(if size < SMALL { 1 } else { threads })
        .max(1);
    let bounds = match (&mut file, source) {
        (Some(file), _) => piece_bounds(file, data_start, size, pieces),
        (None, Source::Bytes(bytes)) => {
            piece_bounds(&mut std::io::Cursor::new(bytes), data_start, size, pieces)
        }
        (None, Source::File(_)) => None,
    }
    .ok_or(Halt::Other)?;
    let ranges: Vec<(u64, u64)> = bounds.windows(2).map(|w| (w[0], w[1])).collect();
    let threads = threads.min(ranges.len()).max(1);
    // A data row has at least 15 bytes (`a,YYYY-MM-DD,1` and a line end).
    let most_rows = usize::try_from((size - data_start) / 15 + 1).unwrap_or(usize::MAX);
    let next = AtomicUsize::new(0);
    let stop = AtomicBool::new(false);
    let work = || {
        let out = read_pieces::<K>(
            source,
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
fn header(file: &mut impl Read, size: u64, chunk: usize) -> Option<(Layout, u64)> {
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
fn piece_bounds(
    file: &mut (impl Read + Seek),
    start: u64,
    size: u64,
    pieces: usize,
) -> Option<Vec<u64>> {
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
    source: Source<'_>,
    ranges: &[(u64, u64)],
    (next, stop): (&AtomicUsize, &AtomicBool),
    layout: Layout,
    default_currency: Currency,
    (chunk, most_rows): (usize, usize),
) -> Result<ThreadRows<K>, Halt> {
    let mut file = match source {
        Source::File(path) => Some(File::open(path).map_err(|_| Halt::Other)?),
        Source::Bytes(_) => None,
    };
    let mut reader = PieceReader {
        keys: K::default(),
        layout,
        default_currency,
        last_currency: None,
        dates: vec![None; DATE_SLOTS],
    };
    let mut buffer = if file.is_some() {
        vec![0u8; chunk.max(1)]
    } else {
        Vec::new()
    };
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
        match (&mut file, source) {
            (Some(file), _) => {
                reader.read_range(file, (start, end), &mut buffer, &mut rows, stop)?;
            }
            (None, Source::Bytes(bytes)) => {
                let piece = usize::try_from(start)
                    .ok()
                    .zip(usize::try_from(end).ok())
                    .and_then(|(s, e)| bytes.get(s..e))
                    .ok_or(Halt::Other)?;
                reader.read_lines(piece, &mut rows)?;
            }
            (None, Source::File(_)) => return Err(Halt::Other),
        }
        out.push((piece, rows));
    }
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
}

#[cfg(test)]
mod tests {
    use super::super::keys::ShortKeys;
    use super::super::testing::{expand_packed, old};
    use super::*;
    use crate::input::temp_file as temp;
    use crate::input::transactions::read_csv;

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
        let (_, pieces) =
            scan_with::<ShortKeys>(Source::File(f.path()), Currency::USD, plan).expect("fast path");
        let rows = expand_packed(&concat(pieces), |k| k.to_be_bytes().to_vec());
        assert_eq!(
            rows,
            old(&read_csv(f.path(), Currency::USD).expect("reads"))
        );
        assert_eq!(rows.len(), 500);
        assert!(rows.iter().all(|r| r.2.currency() == Currency::EUR));
    }
}
