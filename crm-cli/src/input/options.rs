//! How input files are read, as people have them: column names of their own
//! (`--columns`), another field delimiter (`--delimiter`), times in another layout
//! (`--date-format`) or local time (`--timezone`), and phone numbers without a country code
//! (`--phone-region`). The options are given once per command ([`crate::cli::InputArgs`])
//! and hold for every file the command reads ([`set`], [`current`]).

use std::str::FromStr;
use std::sync::OnceLock;

use chrono::format::{Item, StrftimeItems};
use chrono::{DateTime, NaiveDate, NaiveDateTime, TimeZone, Utc};
use chrono_tz::Tz;

use super::{
    activity, customers, loyalty, opportunities, parse_timestamp, rates, responses, summary,
};
use super::{plain_date, transactions};

/// The options of the command being run; every reader follows them.
#[derive(Debug, Clone, PartialEq)]
pub struct InputOptions {
    /// Header names of the files for fields of ours.
    pub columns: ColumnMap,
    /// The field delimiter of CSV files.
    pub delimiter: u8,
    /// How times are read.
    pub dates: Dates,
    /// The region (ISO 3166 alpha-2) of phone numbers written without a country code.
    pub phone_region: Option<String>,
}

impl Default for InputOptions {
    fn default() -> Self {
        Self {
            columns: ColumnMap::default(),
            delimiter: b',',
            dates: Dates::default(),
            phone_region: None,
        }
    }
}

impl InputOptions {
    /// Whether files are read as they always were (comma-separated, the documented column
    /// names, times in UTC): the fast transaction reader reads only such files.
    pub fn is_plain(&self) -> bool {
        self.columns.is_empty() && self.delimiter == b',' && self.dates.is_plain()
    }
}

static OPTIONS: OnceLock<InputOptions> = OnceLock::new();

/// Sets the options of this run (the first call wins: a process runs one command).
pub fn set(options: InputOptions) {
    let _ = OPTIONS.set(options);
}

/// The options of this run; the defaults when none were set.
pub fn current() -> &'static InputOptions {
    static DEFAULT: OnceLock<InputOptions> = OnceLock::new();
    OPTIONS
        .get()
        .unwrap_or_else(|| DEFAULT.get_or_init(InputOptions::default))
}

/// The headers of the CSV files the readers read: the fields a `--columns` mapping may name.
const HEADERS: [&str; 10] = [
    transactions::HEADER,
    customers::HEADER,
    responses::HEADER,
    activity::INTERACTIONS_HEADER,
    activity::TICKETS_HEADER,
    activity::DEALS_HEADER,
    rates::HEADER,
    summary::HEADER,
    opportunities::HEADER,
    loyalty::HEADER,
];

/// The field names in a header description such as `customer_id,name[,email]`.
pub fn fields_of(header: &str) -> impl Iterator<Item = &str> {
    header
        .split(|c: char| !(c.is_ascii_alphanumeric() || c == '_'))
        .filter(|s| !s.is_empty())
}

/// Every field of every file, sorted, without repeats.
pub fn known_fields() -> Vec<&'static str> {
    let mut all: Vec<&'static str> = HEADERS.iter().flat_map(|&h| fields_of(h)).collect();
    all.sort_unstable();
    all.dedup();
    all
}

/// A `--columns` mapping: for fields of ours, the header names a file uses instead.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct ColumnMap {
    pairs: Vec<(String, String)>,
}

impl ColumnMap {
    /// Whether nothing is mapped.
    pub fn is_empty(&self) -> bool {
        self.pairs.is_empty()
    }

    /// The pairs `(our field, their header)`, in the order given.
    pub fn pairs(&self) -> impl Iterator<Item = (&str, &str)> {
        self.pairs.iter().map(|(a, b)| (a.as_str(), b.as_str()))
    }
}

impl FromStr for ColumnMap {
    type Err = String;

    /// Parses `field=header[,field=header...]`.
    fn from_str(text: &str) -> Result<Self, String> {
        let known = known_fields();
        let mut pairs: Vec<(String, String)> = Vec::new();
        for part in text.split(',') {
            let Some((ours, theirs)) = part.split_once('=') else {
                return Err(format!(
                    "expected FIELD=HEADER pairs separated by commas, found {part:?}"
                ));
            };
            let (ours, theirs) = (ours.trim(), theirs.trim());
            if !known.contains(&ours) {
                return Err(format!(
                    "unknown field {ours:?}; the fields are {}",
                    known.join(", ")
                ));
            }
            if theirs.is_empty() {
                return Err(format!("expected a header name for the field {ours:?}"));
            }
            if pairs.iter().any(|(a, _)| a == ours) {
                return Err(format!("the field {ours:?} is mapped twice"));
            }
            if let Some((a, _)) = pairs.iter().find(|(_, b)| b == theirs) {
                return Err(format!(
                    "the header {theirs:?} is mapped to both {a:?} and {ours:?}"
                ));
            }
            pairs.push((ours.to_string(), theirs.to_string()));
        }
        Ok(Self { pairs })
    }
}

/// Parses a `--columns` value (for clap).
pub fn parse_columns(text: &str) -> Result<ColumnMap, String> {
    text.parse()
}

/// Parses a `--delimiter` value: one ASCII character, or `tab` (or `\t`) for a tab.
pub fn parse_delimiter(text: &str) -> Result<u8, String> {
    let byte = match text {
        "tab" | "TAB" | "\\t" | "\t" => b'\t',
        _ if text.len() == 1 => text.as_bytes()[0],
        _ => {
            return Err(format!(
                "expected one ASCII character (or `tab`), found {text:?}"
            ));
        }
    };
    if !byte.is_ascii() || matches!(byte, b'"' | b'\n' | b'\r') || byte.is_ascii_alphanumeric() {
        return Err(format!(
            "expected a delimiter that is not a letter, digit, quote or line end, found {text:?}"
        ));
    }
    Ok(byte)
}

/// Parses a `--timezone` value: an IANA time zone name such as `Europe/Berlin`.
pub fn parse_timezone(text: &str) -> Result<Tz, String> {
    text.trim().parse::<Tz>().map_err(|_| {
        format!("expected an IANA time zone name such as Europe/Berlin or UTC, found {text:?}")
    })
}

/// Parses a `--date-format` value: a chrono `strftime` format that names at least a date.
pub fn parse_date_format(text: &str) -> Result<String, String> {
    let items: Vec<Item<'_>> = StrftimeItems::new(text).collect();
    if items.iter().any(|i| matches!(i, Item::Error)) {
        return Err(format!(
            "expected a strftime format such as %d/%m/%Y, found {text:?}"
        ));
    }
    if !items
        .iter()
        .any(|i| matches!(i, Item::Numeric(..) | Item::Fixed(..)))
    {
        return Err(format!(
            "expected a format with date fields such as %d/%m/%Y, found {text:?}"
        ));
    }
    Ok(text.to_string())
}

/// Parses a `--phone-region` value: an ISO 3166 alpha-2 code such as `CN` that phone numbers
/// know.
pub fn parse_phone_region(text: &str) -> Result<String, String> {
    let code = text.trim().to_ascii_uppercase();
    // A number of the region's own plan, to learn whether the region is known.
    match crm_core::Phone::parse("1", Some(&code)) {
        Err(crm_core::ContactError::UnknownRegion { .. }) => Err(format!(
            "expected an ISO 3166 alpha-2 region such as CN or US, found {text:?}"
        )),
        _ => Ok(code),
    }
}

/// How the times of files are read.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Dates {
    /// A `strftime` format every time is written in; `None` for the standard layouts.
    pub format: Option<String>,
    /// The zone of times written without an offset.
    pub zone: Tz,
}

impl Default for Dates {
    fn default() -> Self {
        Self {
            format: None,
            zone: Tz::UTC,
        }
    }
}

impl Dates {
    /// Whether times are read in the standard layouts, naive ones in UTC.
    pub fn is_plain(&self) -> bool {
        self.format.is_none() && self.zone == Tz::UTC
    }

    /// The instant a time field names, or `None`.
    pub fn parse(&self, text: &str) -> Option<DateTime<Utc>> {
        if self.is_plain() {
            return parse_timestamp(text);
        }
        let text = text.trim();
        match &self.format {
            Some(format) => {
                if let Ok(t) = DateTime::parse_from_str(text, format) {
                    return Some(t.with_timezone(&Utc));
                }
                if let Ok(t) = NaiveDateTime::parse_from_str(text, format) {
                    return self.local(t);
                }
                let d = NaiveDate::parse_from_str(text, format).ok()?;
                self.local(d.and_hms_opt(0, 0, 0)?)
            }
            None => {
                if let Some(d) = plain_date(text) {
                    return self.local(d.and_hms_opt(0, 0, 0)?);
                }
                if let Ok(t) = DateTime::parse_from_rfc3339(text) {
                    return Some(t.with_timezone(&Utc));
                }
                let t = naive_time(text)?;
                self.local(t)
            }
        }
    }

    /// A local time of the zone as an instant: the earlier of two in a repeated hour,
    /// `None` for a time skipped by a clock change.
    fn local(&self, t: NaiveDateTime) -> Option<DateTime<Utc>> {
        self.zone
            .from_local_datetime(&t)
            .earliest()
            .map(|t| t.with_timezone(&Utc))
    }

    /// What a time field must look like, for error messages.
    pub fn expected(&self) -> String {
        let zone = if self.zone == Tz::UTC {
            String::new()
        } else {
            format!(" (local time in {} unless an offset is given)", self.zone)
        };
        match &self.format {
            Some(f) => format!("a time in the --date-format `{f}`{zone}"),
            None => format!("{}{zone}", super::TIMESTAMP_EXPECTED),
        }
    }
}

/// A `YYYY-MM-DD HH:MM:SS` time (fractions of a second allowed, `T` for the space).
pub(crate) fn naive_time(text: &str) -> Option<NaiveDateTime> {
    let b = text.as_bytes();
    if b.len() < 19 || !matches!(b[10], b' ' | b'T') {
        return None;
    }
    NaiveDateTime::parse_from_str(text, "%Y-%m-%d %H:%M:%S%.f")
        .or_else(|_| NaiveDateTime::parse_from_str(text, "%Y-%m-%dT%H:%M:%S%.f"))
        .ok()
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    #[test]
    fn columns_map_known_fields_to_headers() {
        let m: ColumnMap = "customer_id=client, timestamp=date,amount=Total Paid"
            .parse()
            .expect("parses");
        assert_eq!(
            m.pairs().collect::<Vec<_>>(),
            [
                ("customer_id", "client"),
                ("timestamp", "date"),
                ("amount", "Total Paid")
            ]
        );
        let e = "custid=client".parse::<ColumnMap>().expect_err("unknown");
        assert!(e.contains("unknown field \"custid\""), "{e}");
        assert!(
            e.contains("amount") && e.contains("customer_id") && e.contains("timestamp"),
            "{e}"
        );
        assert!("customer_id".parse::<ColumnMap>().is_err());
        assert!("customer_id=".parse::<ColumnMap>().is_err());
        assert!("customer_id=a,customer_id=b".parse::<ColumnMap>().is_err());
        let e = "customer_id=a,name=a"
            .parse::<ColumnMap>()
            .expect_err("twice");
        assert!(e.contains("mapped to both"), "{e}");
    }

    #[test]
    fn known_fields_are_every_reader_s() {
        let all = known_fields();
        for f in [
            "customer_id",
            "phone",
            "ticket_id",
            "close_reason",
            "rate",
            "T",
        ] {
            assert!(all.contains(&f), "{f}");
        }
        assert!(!all.contains(&""));
    }

    #[test]
    fn delimiters() {
        assert_eq!(parse_delimiter(";"), Ok(b';'));
        assert_eq!(parse_delimiter("|"), Ok(b'|'));
        assert_eq!(parse_delimiter("tab"), Ok(b'\t'));
        assert_eq!(parse_delimiter("\\t"), Ok(b'\t'));
        assert_eq!(parse_delimiter("\t"), Ok(b'\t'));
        for bad in ["", ";;", "\"", "\n", "a", "7", "é"] {
            assert!(parse_delimiter(bad).is_err(), "{bad:?}");
        }
    }

    #[test]
    fn zones_formats_and_regions() {
        assert_eq!(parse_timezone("Asia/Shanghai"), Ok(Tz::Asia__Shanghai));
        assert!(parse_timezone("Mars/Olympus").is_err());
        assert!(parse_date_format("%d/%m/%Y").is_ok());
        assert!(parse_date_format("%Q").is_err());
        assert!(parse_date_format("plain").is_err());
        assert_eq!(parse_phone_region("cn"), Ok("CN".to_string()));
        assert!(parse_phone_region("XX").is_err());
        assert!(parse_phone_region("China").is_err());
    }

    #[test]
    fn times_in_a_zone_and_a_format() {
        let utc = Dates::default();
        let t = utc.parse("2024-03-01 10:30:00").expect("space form");
        assert_eq!(t.to_rfc3339(), "2024-03-01T10:30:00+00:00");
        let shanghai = Dates {
            format: None,
            zone: Tz::Asia__Shanghai,
        };
        let t = shanghai.parse("2024-03-01 10:30:00").expect("local");
        assert_eq!(t.to_rfc3339(), "2024-03-01T02:30:00+00:00");
        let t = shanghai.parse("2024-03-01").expect("local date");
        assert_eq!(t.to_rfc3339(), "2024-02-29T16:00:00+00:00");
        // An offset given wins over the zone.
        let t = shanghai.parse("2024-03-01T10:30:00Z").expect("rfc3339");
        assert_eq!(t.to_rfc3339(), "2024-03-01T10:30:00+00:00");
        let dmy = Dates {
            format: Some("%d/%m/%Y".into()),
            zone: Tz::UTC,
        };
        assert_eq!(
            dmy.parse("31/12/2023").expect("d/m/y").to_rfc3339(),
            "2023-12-31T00:00:00+00:00"
        );
        assert!(dmy.parse("2023-12-31").is_none());
        assert!(dmy.parse("31/02/2023").is_none());
        let with_time = Dates {
            format: Some("%m/%d/%Y %H:%M".into()),
            zone: Tz::America__New_York,
        };
        assert_eq!(
            with_time
                .parse("07/04/2024 12:00")
                .expect("m/d/y")
                .to_rfc3339(),
            "2024-07-04T16:00:00+00:00"
        );
        // 02:30 on the day clocks go forward does not exist in New York.
        assert!(with_time.parse("03/10/2024 02:30").is_none());
        assert!(with_time.expected().contains("America/New_York"));
    }

    proptest! {
        #![proptest_config(ProptestConfig::with_cases(512))]

        #[test]
        fn option_parsers_never_panic(text in "\\PC{0,30}|[a-z_=, ]{0,30}") {
            let _ = parse_columns(&text);
            let _ = parse_delimiter(&text);
            let _ = parse_timezone(&text);
            let _ = parse_phone_region(&text);
            if let Ok(format) = parse_date_format(&text) {
                let dates = Dates { format: Some(format), zone: Tz::Europe__Berlin };
                let _ = dates.parse("2024-03-01 10:00:00");
                let _ = dates.parse(&text);
            }
        }

        #[test]
        fn time_parsers_never_panic(
            text in "\\PC{0,30}|[0-9 :/T+.Z-]{0,30}",
            format in prop_oneof![Just("%d/%m/%Y"), Just("%Y%m%d %H%M%S"), Just("%d.%m.%Y %H:%M %z"), Just("%s")],
        ) {
            for dates in [
                Dates::default(),
                Dates { format: None, zone: Tz::America__New_York },
                Dates { format: Some(format.to_string()), zone: Tz::Asia__Shanghai },
            ] {
                let _ = dates.parse(&text);
            }
        }
    }
}
