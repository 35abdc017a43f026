//! Field parsing on the fast path: records split at commas, as the `csv` crate splits
//! them, and fields read as [`read_csv`](crate::input::transactions::read_csv) reads them,
//! with dates and currencies remembered.

use chrono::{DateTime, Utc};
use crm_core::Money;
use crm_core::{Currency, parse_currency};
use rust_decimal::Decimal;

use super::keys::{Halt, Keys, Row};
use crate::input::{customer_id_ok, parse_timestamp};

/// The columns of a transaction file's header.
#[derive(Debug, Clone, Copy)]
pub(super) struct Layout {
    columns: usize,
    currency: bool,
}

impl Layout {
    /// The layout named by a header, as
    /// [`read_csv`](crate::input::transactions::read_csv) accepts it.
    pub(super) fn of(header: &str) -> Option<Self> {
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

/// Reads pieces of one file into rows.
pub(super) struct PieceReader<K> {
    pub(super) keys: K,
    pub(super) layout: Layout,
    pub(super) default_currency: Currency,
    /// The last currency field read and its code, so a currency column costs one
    /// comparison per row.
    pub(super) last_currency: Option<(String, Currency)>,
    /// Times of recently read 10-byte timestamp fields (`YYYY-MM-DD`), by a hash of the
    /// text: a file has few distinct dates.
    pub(super) dates: Vec<Option<([u8; 10], DateTime<Utc>)>>,
}

/// Records parsed before their ids are keyed.
const KEY_BATCH: usize = 64;

/// Slots of [`PieceReader::dates`].
pub(super) const DATE_SLOTS: usize = 1 << 12;

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

/// The decimal number of an amount field, as `Decimal::from_str_exact` reads it (more digits after the point than a decimal holds are refused, never rounded). Unsigned
/// numbers of up to 18 digits with an optional fraction (`123`, `45.60`) are read here
/// digit by digit; anything else goes to `Decimal::from_str_exact`.
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
            _ => return Decimal::from_str_exact(text).ok(),
        }
    }
    if digits == 0 || (point && scale == 0) {
        return Decimal::from_str_exact(text).ok();
    }
    Some(Decimal::new(mantissa, scale))
}

impl<K: Keys> PieceReader<K> {
    /// Reads whole records (`bytes` ends at a record's end).
    pub(super) fn read_lines(
        &mut self,
        bytes: &[u8],
        rows: &mut Vec<Row<K::Key>>,
    ) -> Result<(), Halt> {
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

    /// One record, as [`read_csv`](crate::input::transactions::read_csv) reads it (its customer id not yet
    /// keyed);
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
        // An id `crm import` would refuse is reported by the general reader.
        if !customer_id_ok(id) {
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
    use proptest::prelude::*;

    use super::super::keys::ShortKeys;
    use super::*;

    proptest! {
        /// The quick trim removes what `str::trim` removes.
        #[test]
        fn trim_as_str_trim(text in "[ \t\u{a0}\u{1}a!~é]{0,6}") {
            prop_assert_eq!(trim(&text), text.trim());
        }

        /// Amounts read digit by digit are the decimals `Decimal::from_str_exact` reads, to the
        /// digit (mantissa, scale and sign).
        #[test]
        fn amounts_as_decimal_from_str(text in "[0-9]{0,20}(\\.[0-9]{0,20})?|[-+ 0-9._e]{0,8}") {
            let fast = super::amount(&text).map(|d| d.serialize());
            let reference = Decimal::from_str_exact(&text).ok().map(|d| d.serialize());
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
}
