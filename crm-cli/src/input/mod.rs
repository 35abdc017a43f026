//! Readers for the input files. Each reader checks the header, parses every field and
//! returns rows, or one [`InputError`] naming the file, line, column, field and what was
//! expected.

pub mod activity;
pub mod campaigns;
pub mod customer_index;
pub mod customers;
pub mod located;
pub mod loyalty;
pub mod opportunities;
pub mod options;
/// What an amount field should hold, for the error about `found`: a number a decimal can
/// hold only by rounding (more than 28 digits after the point, or more than 28 digits in
/// all) is named as such, since rounding it would change the amount.
pub fn amount_expected(example: &str, found: &str) -> String {
    if rust_decimal::Decimal::from_str_exact(found.trim()).is_err()
        && found.trim().parse::<rust_decimal::Decimal>().is_ok()
    {
        "a decimal number of at most 28 significant digits (this one would have to be rounded)"
            .to_string()
    } else {
        format!("a decimal number such as {example}")
    }
}

#[cfg(test)]
mod properties;
pub mod purchases;
pub mod rates;
pub mod rejects;
pub mod responses;
pub mod summary;
pub mod transactions;

use std::fs::{File, Metadata};
use std::io::{Cursor, Read};
use std::path::{Path, PathBuf};
use std::sync::Mutex;

use chrono::{DateTime, NaiveDate, TimeDelta, Utc};

use crm_core::{CustomerId, IdError, MAX_KEY_LEN};

use crate::error::{CliError, CliResult, InputError};

/// Parses an RFC 3339 timestamp, a `YYYY-MM-DD` date (midnight UTC) or a
/// `YYYY-MM-DD HH:MM:SS` time (UTC).
pub fn parse_timestamp(text: &str) -> Option<DateTime<Utc>> {
    let text = text.trim();
    if let Some(date) = plain_date(text) {
        return date.and_hms_opt(0, 0, 0).map(|t| t.and_utc());
    }
    if let Ok(t) = DateTime::parse_from_rfc3339(text) {
        return Some(t.with_timezone(&Utc));
    }
    if let Some(t) = options::naive_time(text) {
        return Some(t.and_utc());
    }
    if text.len() == 10
        && let Ok(d) = NaiveDate::parse_from_str(text, "%Y-%m-%d")
    {
        return d.and_hms_opt(0, 0, 0).map(|t| t.and_utc());
    }
    None
}

/// A `YYYY-MM-DD` date read digit by digit, the common case of large files (a format string
/// costs far more per row). `None` when the text has another layout; a text of this layout
/// that names no date (month 13) is left to the general parser, which refuses it as well.
fn plain_date(text: &str) -> Option<NaiveDate> {
    let b = text.as_bytes();
    if b.len() != 10 || b[4] != b'-' || b[7] != b'-' {
        return None;
    }
    let number = |range: std::ops::Range<usize>| {
        b[range].iter().try_fold(0u32, |n, &c| {
            c.is_ascii_digit().then(|| n * 10 + u32::from(c - b'0'))
        })
    };
    let year = i32::try_from(number(0..4)?).ok()?;
    NaiveDate::from_ymd_opt(year, number(5..7)?, number(8..10)?)
}

/// What a timestamp field must look like, for error messages.
pub const TIMESTAMP_EXPECTED: &str =
    "a date as YYYY-MM-DD, a time as YYYY-MM-DD HH:MM:SS or an RFC 3339 timestamp";

/// The time of a field of a file, read as `--date-format` and `--timezone` say.
pub(crate) fn file_time(text: &str) -> Option<DateTime<Utc>> {
    options::current().dates.parse(text)
}

/// What a time field of a file must look like, for error messages.
pub(crate) fn file_time_expected() -> String {
    options::current().dates.expected()
}

/// The time of a timestamp field (column `column`, 1-based, named `name`), or the error
/// naming it.
pub(crate) fn timestamp_field(
    path: &Path,
    line: u64,
    (column, name): (usize, &str),
    text: &str,
) -> CliResult<DateTime<Utc>> {
    file_time(text).ok_or_else(|| {
        InputError::field(path, line, column, name, file_time_expected(), text).into()
    })
}

/// Whether `id` passes the customer id rule of [`CustomerId::parse`] (non-empty, at most
/// [`MAX_KEY_LEN`] bytes, no control character, no leading or trailing whitespace), decided
/// without allocating: the fast transaction reader checks every id with it.
#[inline]
pub(crate) fn customer_id_ok(id: &str) -> bool {
    let b = id.as_bytes();
    let (Some(&first), Some(&last)) = (b.first(), b.last()) else {
        return false;
    };
    if b.len() > MAX_KEY_LEN {
        return false;
    }
    // ASCII controls, DEL, and the C1 controls U+0080..=U+009F (encoded `C2 80..=C2 9F`).
    let mut c2 = false;
    for &c in b {
        if c < 0x20 || c == 0x7f || (c2 && (0x80..=0x9f).contains(&c)) {
            return false;
        }
        c2 = c == 0xc2;
    }
    let plain = |c: u8| (b'!'..=b'~').contains(&c);
    (plain(first) && plain(last)) || id.trim().len() == id.len()
}

/// Refuses a customer id that `crm import` would refuse (see [`customer_id_ok`]), naming
/// the file, line, column and the rule it breaks.
pub(crate) fn require_customer_id(
    path: &Path,
    line: u64,
    column: usize,
    id: &str,
) -> CliResult<()> {
    if customer_id_ok(id) {
        return Ok(());
    }
    let expected = match CustomerId::parse(id) {
        Ok(_) => return Ok(()),
        Err(IdError::Empty { .. }) => "a non-empty customer id".to_string(),
        Err(e) => format!("a valid customer_id ({e})"),
    };
    Err(InputError::field(path, line, column, "customer_id", expected, id).into())
}

/// Parses a date given on the command line (`--as-of`, `--calibration-end`, ...).
pub fn parse_cli_date(flag: &str, text: &str) -> CliResult<DateTime<Utc>> {
    parse_timestamp(text).ok_or_else(|| {
        CliError::Usage(format!(
            "--{flag}: expected {TIMESTAMP_EXPECTED}, found {text:?}"
        ))
    })
}

/// A date option's value parsed as [`parse_cli_date`] does, when the option was given.
pub fn parse_cli_date_opt(flag: &str, text: &Option<String>) -> CliResult<Option<DateTime<Utc>>> {
    text.as_deref().map(|d| parse_cli_date(flag, d)).transpose()
}

/// A date option as an instant: a bare date (`YYYY-MM-DD`) means its first instant for a
/// lower bound and its last for an upper bound, so both bounds include the day named.
pub fn parse_cli_bound(
    flag: &str,
    text: &Option<String>,
    upper: bool,
) -> CliResult<Option<DateTime<Utc>>> {
    let Some(text) = text else {
        return Ok(None);
    };
    let t = parse_cli_date(flag, text)?;
    let bare_date = text.trim().len() == 10;
    Ok(Some(if upper && bare_date {
        t + TimeDelta::days(1) - TimeDelta::nanoseconds(1)
    } else {
        t
    }))
}

/// Whether a header name is one of `options`, ignoring ASCII case.
pub(crate) fn header_is(name: &str, options: &[&str]) -> bool {
    options.iter().any(|o| name.eq_ignore_ascii_case(o))
}

/// Whether a path names standard input (`-`).
pub(crate) fn is_stdin(path: &Path) -> bool {
    path.as_os_str() == "-"
}

/// An input opened once: a regular file, or the bytes of anything else (standard input,
/// a pipe, a FIFO, a device), read to the end once so that every reader sees the same bytes.
pub(crate) enum Opened {
    /// A regular file, read from its start.
    File(File),
    /// The whole content of an input that cannot be read twice.
    Bytes(Cursor<Vec<u8>>),
    /// An input read as it comes, once, by one reader ([`open_stream`]).
    Stream(Box<dyn Read + Send>),
}

impl std::fmt::Debug for Opened {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Opened::File(file) => f.debug_tuple("File").field(file).finish(),
            Opened::Bytes(b) => f.debug_tuple("Bytes").field(&b.get_ref().len()).finish(),
            Opened::Stream(_) => f.write_str("Stream"),
        }
    }
}

impl Read for Opened {
    fn read(&mut self, buf: &mut [u8]) -> std::io::Result<usize> {
        match self {
            Opened::File(f) => f.read(buf),
            Opened::Bytes(b) => b.read(buf),
            Opened::Stream(s) => s.read(buf),
        }
    }
}

/// The regular files read so far (device and inode), so that no output replaces one.
static INPUTS: Mutex<Vec<Noted>> = Mutex::new(Vec::new());

/// An input file as it was named, its canonical path and its id.
#[derive(Debug)]
struct Noted {
    path: PathBuf,
    canonical: PathBuf,
    id: Option<FileId>,
}

/// What identifies a file whatever the path that names it (hard links included).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct FileId {
    dev: u64,
    ino: u64,
}

impl FileId {
    /// The id of a file's metadata (`None` where the platform gives none).
    #[cfg(unix)]
    pub(crate) fn of(meta: &Metadata) -> Option<Self> {
        use std::os::unix::fs::MetadataExt;
        Some(Self {
            dev: meta.dev(),
            ino: meta.ino(),
        })
    }

    /// The id of a file's metadata (`None` where the platform gives none).
    #[cfg(not(unix))]
    pub(crate) fn of(_meta: &Metadata) -> Option<Self> {
        None
    }
}

/// Remembers a regular input file, by id and by canonical path.
fn note_input(path: &Path, meta: &Metadata) {
    if !meta.is_file() {
        return;
    }
    let id = FileId::of(meta);
    let canonical = std::fs::canonicalize(path).unwrap_or_else(|_| path.to_path_buf());
    if let Ok(mut inputs) = INPUTS.lock() {
        inputs.push(Noted {
            path: path.to_path_buf(),
            canonical,
            id,
        });
    }
}

/// Remembers `path` as an input before it is read, so that no output replaces it (an
/// input that does not exist yet, or standard input, is left to its reader).
pub(crate) fn note_path(path: &Path) {
    if !is_stdin(path)
        && let Ok(meta) = std::fs::metadata(path)
    {
        note_input(path, &meta);
    }
}

/// The input file (as it was named) that `path`, an existing regular file with metadata
/// `meta`, is the same file as: same device and inode, or the same canonical path.
pub(crate) fn same_as_input(path: &Path, meta: &Metadata) -> Option<PathBuf> {
    let id = FileId::of(meta);
    let canonical = std::fs::canonicalize(path).ok();
    let inputs = INPUTS.lock().ok()?;
    inputs
        .iter()
        .find(|n| {
            // The same file, provided the input still is that file (an input removed since
            // may have left its inode to a new file).
            let same_id = id.is_some()
                && n.id == id
                && std::fs::metadata(&n.path).ok().and_then(|m| FileId::of(&m)) == id;
            same_id || canonical.as_deref() == Some(n.canonical.as_path())
        })
        .map(|n| n.path.clone())
}

/// The first bytes of a gzip stream.
const GZIP_MAGIC: [u8; 2] = [0x1f, 0x8b];

/// Whether a regular file starts as a gzip stream; the file is left at its start.
fn file_is_gzip(file: &mut File) -> std::io::Result<bool> {
    use std::io::{Seek, SeekFrom};
    let mut magic = [0u8; 2];
    let mut got = 0;
    while got < magic.len() {
        match file.read(&mut magic[got..])? {
            0 => break,
            n => got += n,
        }
    }
    file.seek(SeekFrom::Start(0))?;
    Ok(got == magic.len() && magic == GZIP_MAGIC)
}

/// The bytes of an input read whole, uncompressed when they are a gzip stream.
fn gunzip_bytes(path: &Path, bytes: Vec<u8>) -> CliResult<Vec<u8>> {
    if !bytes.starts_with(&GZIP_MAGIC) {
        return Ok(bytes);
    }
    let mut out = Vec::new();
    flate2::read::MultiGzDecoder::new(bytes.as_slice())
        .read_to_end(&mut out)
        .map_err(|source| CliError::Read {
            path: path.to_path_buf(),
            source,
        })?;
    Ok(out)
}

/// Opens an input once: `-` is standard input; a regular file is opened; anything else
/// (a pipe, a FIFO, `/dev/stdin`) is read to the end now. An input that starts as a gzip
/// stream (whatever its name) is read uncompressed.
pub(crate) fn open_input(path: &Path) -> CliResult<Opened> {
    let read_err = |source| CliError::Read {
        path: path.to_path_buf(),
        source,
    };
    if is_stdin(path) {
        let mut bytes = Vec::new();
        std::io::stdin()
            .lock()
            .read_to_end(&mut bytes)
            .map_err(read_err)?;
        return Ok(Opened::Bytes(Cursor::new(gunzip_bytes(path, bytes)?)));
    }
    let mut file = File::open(path).map_err(read_err)?;
    let meta = file.metadata().map_err(read_err)?;
    if meta.is_dir() {
        return Err(read_err(std::io::Error::other("is a directory")));
    }
    if meta.is_file() {
        note_input(path, &meta);
        if file_is_gzip(&mut file).map_err(read_err)? {
            return Ok(Opened::Stream(Box::new(flate2::read::MultiGzDecoder::new(
                std::io::BufReader::new(file),
            ))));
        }
        return Ok(Opened::File(file));
    }
    let mut bytes = Vec::new();
    file.read_to_end(&mut bytes).map_err(read_err)?;
    Ok(Opened::Bytes(Cursor::new(gunzip_bytes(path, bytes)?)))
}

/// Opens an input that one reader reads once, front to back, without a copy in memory
/// (standard input and pipes are read as they come; a gzip stream is uncompressed as it
/// comes), with its length when it is a regular file. `progress` is told every byte read
/// (of the file as stored).
pub(crate) fn open_stream(
    path: &Path,
    progress: impl Fn(u64) + Send + 'static,
) -> CliResult<(Opened, Option<u64>)> {
    use std::io::BufRead;
    let read_err = |source| CliError::Read {
        path: path.to_path_buf(),
        source,
    };
    let (inner, len): (Box<dyn Read + Send>, Option<u64>) = if is_stdin(path) {
        (Box::new(std::io::stdin()), None)
    } else {
        let file = File::open(path).map_err(read_err)?;
        let meta = file.metadata().map_err(read_err)?;
        if meta.is_dir() {
            return Err(read_err(std::io::Error::other("is a directory")));
        }
        let len = meta.is_file().then_some(meta.len());
        if meta.is_file() {
            note_input(path, &meta);
        }
        (Box::new(file), len)
    };
    let mut counted = std::io::BufReader::with_capacity(
        1 << 16,
        Counted {
            inner,
            tell: progress,
        },
    );
    let gzip = counted
        .fill_buf()
        .map_err(read_err)?
        .starts_with(&GZIP_MAGIC);
    let stream: Box<dyn Read + Send> = if gzip {
        Box::new(flate2::read::MultiGzDecoder::new(counted))
    } else {
        Box::new(counted)
    };
    Ok((Opened::Stream(stream), len))
}

/// A reader that tells how many bytes each read returned.
struct Counted<R, F> {
    inner: R,
    tell: F,
}

impl<R: Read, F: Fn(u64)> Read for Counted<R, F> {
    fn read(&mut self, buf: &mut [u8]) -> std::io::Result<usize> {
        let n = self.inner.read(buf)?;
        (self.tell)(n as u64);
        Ok(n)
    }
}

/// The text of an input read once (a file, a pipe or `-`): a leading UTF-8 byte-order mark
/// is dropped, and bytes that are not UTF-8 are an input error naming the line and the
/// byte offset.
pub(crate) fn read_text(path: &Path) -> CliResult<String> {
    let mut bytes = Vec::new();
    open_input(path)?
        .read_to_end(&mut bytes)
        .map_err(|source| CliError::Read {
            path: path.to_path_buf(),
            source,
        })?;
    let body = bytes.strip_prefix(b"\xEF\xBB\xBF").unwrap_or(&bytes);
    let bom = bytes.len() - body.len();
    match std::str::from_utf8(body) {
        Ok(text) => Ok(text.to_string()),
        Err(e) => {
            let at = e.valid_up_to();
            let line = line_of_offset(body, at);
            Err(InputError::line(
                path,
                line,
                format!("UTF-8 text (an invalid byte at offset {})", bom + at),
            )
            .with_found(format!("{:?}", &body[at..(at + 4).min(body.len())]))
            .into())
        }
    }
}

/// The 1-based line of a byte offset, counting `\n`, `\r\n` and a bare `\r` each as one
/// line end.
pub(crate) fn line_of_offset(bytes: &[u8], offset: usize) -> u64 {
    let mut lines = LineCount::default();
    lines.count(&bytes[..offset.min(bytes.len())]);
    lines.line
}

/// A running count of line ends in bytes read in order: `\n`, `\r\n` and a bare `\r`
/// each end one line (as the `csv` crate splits records).
#[derive(Debug, Clone, Copy)]
pub(crate) struct LineCount {
    /// The 1-based line of the next byte.
    pub line: u64,
    /// Whether the last byte counted was `\r` (a `\n` right after it ends no new line).
    after_cr: bool,
}

impl Default for LineCount {
    fn default() -> Self {
        Self {
            line: 1,
            after_cr: false,
        }
    }
}

impl LineCount {
    /// Counts the line ends of the next bytes.
    pub(crate) fn count(&mut self, bytes: &[u8]) {
        let mut last = None;
        for i in memchr::memchr2_iter(b'\n', b'\r', bytes) {
            let cr_before = match i.checked_sub(1) {
                Some(p) => last == Some(p) && bytes[p] == b'\r',
                None => self.after_cr,
            };
            if !(bytes[i] == b'\n' && cr_before) {
                self.line += 1;
            }
            last = Some(i);
        }
        if let Some(&b) = bytes.last() {
            self.after_cr = b == b'\r';
        }
    }
}

/// A reader that keeps the bytes passed on since the last record asked about, to give the
/// line of each record (the `csv` crate counts only `\n`, and counts the `\n` of a `\r\n`
/// only after the record that follows it has started).
#[derive(Debug)]
pub(crate) struct Tracked<R> {
    inner: R,
    /// Bytes passed on, from `kept_from`.
    kept: Vec<u8>,
    kept_from: usize,
    /// The stream offset of `kept[kept_from]`.
    offset: u64,
    /// Line ends before `offset`.
    lines: LineCount,
}

impl<R> Tracked<R> {
    fn new(inner: R) -> Self {
        Self {
            inner,
            kept: Vec::new(),
            kept_from: 0,
            offset: 0,
            lines: LineCount::default(),
        }
    }

    /// The line of the record that the `csv` crate places at stream offset `at` (the end
    /// of the previous record): the line of its first byte that ends no line. Records are
    /// asked about in order.
    fn line_at(&mut self, at: u64) -> u64 {
        let skip = usize::try_from(at.saturating_sub(self.offset)).unwrap_or(usize::MAX);
        let mut end = self.kept_from.saturating_add(skip).min(self.kept.len());
        while end < self.kept.len() && matches!(self.kept[end], b'\n' | b'\r') {
            end += 1;
        }
        self.lines.count(&self.kept[self.kept_from..end]);
        self.offset += (end - self.kept_from) as u64;
        self.kept_from = end;
        if self.kept_from > (64 << 10) && self.kept_from * 2 > self.kept.len() {
            self.kept.drain(..self.kept_from);
            self.kept_from = 0;
        }
        self.lines.line
    }
}

impl<R> Tracked<R> {
    /// The text from the record last asked about (see [`line_at`](Self::line_at)) to
    /// stream offset `end`, without its line end.
    fn raw_until(&self, end: u64) -> String {
        let len = usize::try_from(end.saturating_sub(self.offset)).unwrap_or(usize::MAX);
        let stop = self.kept_from.saturating_add(len).min(self.kept.len());
        let bytes = &self.kept[self.kept_from..stop];
        let trimmed = bytes
            .iter()
            .rposition(|&b| !matches!(b, b'\n' | b'\r'))
            .map_or(&bytes[..0], |i| &bytes[..=i]);
        String::from_utf8_lossy(trimmed).into_owned()
    }
}

impl<R: Read> Read for Tracked<R> {
    fn read(&mut self, buf: &mut [u8]) -> std::io::Result<usize> {
        let n = self.inner.read(buf)?;
        self.kept.extend_from_slice(&buf[..n]);
        Ok(n)
    }
}

/// A CSV input with trimmed fields, read once, whose records know their line. The
/// delimiter and the names of the columns follow the run's [`options`].
pub(crate) struct CsvInput<'p> {
    path: &'p Path,
    reader: csv::Reader<Tracked<Opened>>,
    /// The expected header, for error messages.
    expected: &'static str,
    /// The field delimiter.
    delimiter: u8,
}

/// How fields separated by `delimiter` are called in messages.
pub(crate) fn separated(delimiter: u8) -> String {
    match delimiter {
        b',' => "comma-separated".to_string(),
        b'\t' => "tab-separated".to_string(),
        b';' => "semicolon-separated".to_string(),
        other => format!("`{}`-separated", char::from(other)),
    }
}

impl<'p> CsvInput<'p> {
    /// Opens `path` (see [`open_input`]); `expected` is the header error messages name.
    pub(crate) fn open(path: &'p Path, expected: &'static str) -> CliResult<Self> {
        Ok(Self::new(path, open_input(path)?, expected))
    }

    /// A CSV input over an input already opened.
    pub(crate) fn new(path: &'p Path, input: Opened, expected: &'static str) -> Self {
        let delimiter = options::current().delimiter;
        let reader = csv::ReaderBuilder::new()
            .has_headers(true)
            .delimiter(delimiter)
            .trim(csv::Trim::All)
            .flexible(false)
            .from_reader(Tracked::new(input));
        Self {
            path,
            reader,
            expected,
            delimiter,
        }
    }

    /// Reads the header line, refusing an empty file. Columns named in `--columns` are
    /// given our names; a mapped header the file lacks is an error naming it.
    pub(crate) fn header(&mut self) -> CliResult<Vec<String>> {
        let header = match self.reader.headers() {
            Ok(h) => h.clone(),
            Err(e) => return Err(self.error(e).1),
        };
        if header.is_empty() || (header.len() == 1 && header[0].is_empty()) {
            return Err(
                InputError::file(self.path, format!("a header line `{}`", self.expected))
                    .with_found("an empty file")
                    .into(),
            );
        }
        let mut names: Vec<String> = header.iter().map(|h| h.trim().to_string()).collect();
        let ours: Vec<&str> = options::fields_of(self.expected).collect();
        for (field, theirs) in options::current().columns.pairs() {
            if !ours.contains(&field) {
                continue; // a field of another kind of file
            }
            let at = names
                .iter()
                .position(|n| n == theirs)
                .or_else(|| names.iter().position(|n| n.eq_ignore_ascii_case(theirs)));
            match at {
                Some(i) => names[i] = field.to_string(),
                None => {
                    return Err(InputError::line(
                        self.path,
                        1,
                        format!("a column `{theirs}` (the file's name for `{field}` in --columns)"),
                    )
                    .with_found(header.iter().collect::<Vec<_>>().join(","))
                    .into());
                }
            }
        }
        Ok(names)
    }

    /// Reads the next record into `record`: its line, or `None` at the end. With
    /// `--reject-file`, a record of the wrong length (or not UTF-8) is left out as refused
    /// and the next one read.
    pub(crate) fn next(&mut self, record: &mut csv::StringRecord) -> CliResult<Option<u64>> {
        loop {
            match self.reader.read_record(record) {
                Ok(true) => {
                    let at = record.position().map_or(0, csv::Position::byte);
                    let line = self.reader.get_mut().line_at(at);
                    if rejects::enabled() {
                        let end = self.reader.position().byte();
                        let raw = self.reader.get_ref().raw_until(end);
                        rejects::keep_raw(line, || raw);
                    }
                    return Ok(Some(line));
                }
                Ok(false) => return Ok(None),
                Err(e) => {
                    let (line, err) = self.error(e);
                    match line {
                        Some(line) if rejects::enabled() => {
                            let end = self.reader.position().byte();
                            let raw = self.reader.get_ref().raw_until(end);
                            rejects::refuse_with(line, err, Some(raw))?;
                        }
                        _ => return Err(err),
                    }
                }
            }
        }
    }

    /// Maps a CSV-level error (wrong number of fields, invalid UTF-8, I/O) to a user error,
    /// with the line of the record when known.
    fn error(&mut self, err: csv::Error) -> (Option<u64>, CliError) {
        let (path, header) = (self.path, self.expected);
        let line = err
            .position()
            .map(|p| self.reader.get_mut().line_at(p.byte()));
        let e = match err.into_kind() {
            csv::ErrorKind::Io(source) => CliError::Read {
                path: path.to_path_buf(),
                source,
            },
            csv::ErrorKind::UnequalLengths {
                expected_len, len, ..
            } => InputError::line(
                path,
                line.unwrap_or(0),
                format!(
                    "{expected_len} {} fields as in the header `{header}`",
                    separated(self.delimiter)
                ),
            )
            .with_found(format!("{len} fields"))
            .into(),
            csv::ErrorKind::Utf8 { .. } => {
                InputError::line(path, line.unwrap_or(0), "UTF-8 text").into()
            }
            other => InputError {
                line,
                ..InputError::file(path, format!("a CSV file ({other:?})"))
            }
            .into(),
        };
        (line, e)
    }
}

/// The 0-based column of each of `names` in `header` (in any order, each at most once),
/// or `None` for a header with another column, a column twice, or one of the first
/// `required` names missing.
pub(crate) fn column_slots(
    header: &[String],
    names: &[&str],
    required: usize,
) -> Option<Vec<Option<usize>>> {
    let mut at = vec![None; names.len()];
    for (i, name) in header.iter().enumerate() {
        let slot = names.iter().position(|n| n == name)?;
        if at[slot].replace(i).is_some() {
            return None;
        }
    }
    at[..required].iter().all(Option::is_some).then_some(at)
}

/// A header that does not match.
pub(crate) fn wrong_header(path: &Path, header: &[String], expected: &str) -> CliError {
    InputError::line(path, 1, format!("header `{expected}`"))
        .with_found(header.join(","))
        .into()
}

/// Refuses a file with a header and no data rows (unless `--reject-file` sets refused rows
/// aside: then every row may have been refused).
pub(crate) fn require_rows<T>(path: &Path, rows: &[T], expected: &str) -> CliResult<()> {
    if rows.is_empty() && !rejects::enabled() {
        return Err(InputError::line(
            path,
            2,
            format!("at least one data row after the header `{expected}`"),
        )
        .with_found("end of file")
        .into());
    }
    Ok(())
}

/// A temporary file holding `content`, for the readers' tests.
#[cfg(test)]
pub(crate) fn temp_file(content: &[u8]) -> tempfile::NamedTempFile {
    use std::io::Write;
    let mut f = tempfile::NamedTempFile::new().expect("temp file");
    f.write_all(content).expect("write");
    f
}

#[cfg(test)]
mod tests {
    #[test]
    fn a_bare_date_bounds_its_whole_day() {
        let from = parse_cli_bound("from", &Some("2024-03-01".into()), false)
            .unwrap()
            .unwrap();
        let to = parse_cli_bound("as-of", &Some("2024-03-31".into()), true)
            .unwrap()
            .unwrap();
        assert_eq!(from.to_rfc3339(), "2024-03-01T00:00:00+00:00");
        assert_eq!(
            to.to_rfc3339_opts(chrono::SecondsFormat::Nanos, true),
            "2024-03-31T23:59:59.999999999Z"
        );
        let exact = parse_cli_bound("as-of", &Some("2024-03-31T12:00:00Z".into()), true)
            .unwrap()
            .unwrap();
        assert_eq!(exact.to_rfc3339(), "2024-03-31T12:00:00+00:00");
        assert!(parse_cli_bound("as-of", &None, true).unwrap().is_none());
        assert!(parse_cli_bound("as-of", &Some("March".into()), true).is_err());
    }
    use super::*;

    #[test]
    fn timestamps_in_both_forms() {
        let d = parse_timestamp("2024-03-01").expect("date");
        assert_eq!(d.to_rfc3339(), "2024-03-01T00:00:00+00:00");
        let t = parse_timestamp("2024-03-01T10:00:00+01:00").expect("rfc3339");
        assert_eq!(t.to_rfc3339(), "2024-03-01T09:00:00+00:00");
        assert!(parse_timestamp("2024-13-01").is_none());
        assert!(parse_timestamp("01/03/2024").is_none());
        assert!(parse_timestamp("").is_none());
    }

    proptest::proptest! {
        #![proptest_config(proptest::prelude::ProptestConfig::with_cases(2048))]

        /// The allocation-free id check is `CustomerId::parse`'s rule exactly.
        #[test]
        fn customer_id_check_is_the_import_rule(
            id in "[a \t\u{0}\u{1f}\u{7f}\u{80}\u{85}\u{9f}\u{a0}\u{2028}\u{3000}é\u{c2}]{0,6}|[a-z]{126,130}",
        ) {
            proptest::prop_assert_eq!(customer_id_ok(&id), CustomerId::parse(&id).is_ok(), "{:?}", id);
        }

        /// Line counting agrees with splitting the text at `\r\n`, `\n` and `\r`, however
        /// the bytes are cut into reads.
        #[test]
        fn lines_are_counted_across_reads(
            text in "[a\r\n]{0,40}",
            cut in 0usize..40,
        ) {
            let bytes = text.as_bytes();
            let expected = 1 + text.replace("\r\n", "\n").replace('\r', "\n").matches('\n').count() as u64;
            let cut = cut.min(bytes.len());
            let mut count = LineCount::default();
            count.count(&bytes[..cut]);
            count.count(&bytes[cut..]);
            proptest::prop_assert_eq!(count.line, expected);
            proptest::prop_assert_eq!(line_of_offset(bytes, bytes.len()), expected);
        }
    }

    #[test]
    fn csv_records_know_their_line_for_every_line_end() {
        for end in ["\n", "\r\n", "\r"] {
            let text = ["h1,h2", "a,1", "", "b,2", "\"c", "d\",3", "e,4"].join(end) + end;
            let f = temp_file(text.as_bytes());
            let mut input = CsvInput::open(f.path(), "h1,h2").expect("opens");
            assert_eq!(input.header().expect("header"), ["h1", "h2"]);
            let mut record = csv::StringRecord::new();
            let mut lines = Vec::new();
            while let Some(line) = input.next(&mut record).expect("reads") {
                lines.push((record[0].to_string(), line));
            }
            let names: Vec<(String, u64)> = [("a", 2), ("b", 4), ("c", 5), ("e", 7)]
                .iter()
                .map(|&(n, l)| (n.to_string(), l))
                .collect();
            let got: Vec<(String, u64)> = lines
                .into_iter()
                .map(|(n, l)| (n.chars().next().unwrap_or('?').to_string(), l))
                .collect();
            assert_eq!(got, names, "{end:?}");
        }
    }

    #[test]
    fn text_inputs_drop_a_bom_and_name_invalid_utf8() {
        let f = temp_file(b"\xEF\xBB\xBF{}");
        assert_eq!(read_text(f.path()).expect("reads"), "{}");
        let f = temp_file(b"ab\r\ncd\xffe");
        let e = read_text(f.path()).expect_err("not UTF-8");
        assert_eq!(e.exit_code(), crate::error::EXIT_BAD_INPUT);
        assert!(
            e.to_string()
                .contains("line 2: expected UTF-8 text (an invalid byte at offset 6)"),
            "{e}"
        );
    }

    #[test]
    fn ids_are_checked_with_the_import_rule() {
        let p = Path::new("f.csv");
        assert!(require_customer_id(p, 2, 1, "CUST-1").is_ok());
        let e = require_customer_id(p, 2, 1, "")
            .expect_err("empty")
            .to_string();
        assert!(e.contains("line 2, column 1 (customer_id): expected a non-empty customer id"));
        let e = require_customer_id(p, 3, 2, "a\u{1}")
            .expect_err("control")
            .to_string();
        assert!(
            e.contains("line 3, column 2 (customer_id): expected a valid customer_id (customer id: control character at byte 1)"),
            "{e}"
        );
    }
}
