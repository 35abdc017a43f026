//! Customer keys: integers that sort as the customer ids do. Ids of up to 7 bytes are
//! packed into a `u64` and ids of up to 15 bytes into a `u128`; longer ids are interned.

use std::hash::Hash;

use chrono::{DateTime, Utc};
use crm_core::Money;

use crate::input::customer_index::CustomerIndex;

/// One purchase: the customer's key, the time and the amount.
pub type Row<K> = (K, DateTime<Utc>, Money);

/// Why the fast path stopped.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Halt {
    /// The file is not for the fast path (or has an error): read it with
    /// [`read_csv`](crate::input::transactions::read_csv).
    Other,
    /// An id too long for the keys: try wider keys.
    Wider,
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

#[cfg(test)]
mod tests {
    use proptest::prelude::*;

    use super::*;

    proptest! {
        #![proptest_config(ProptestConfig::with_cases(512))]

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
                // Ids of up to 15 bytes pack into a u128 (eight `é` are 16 bytes: they do not).
                prop_assert_eq!(pack_u128(x).is_some(), x.len() <= 15);
                if let (Some(kx), Some(ky)) = (pack_u128(x), pack_u128(y)) {
                    prop_assert_eq!(kx.cmp(&ky), x.cmp(y));
                    let mut back = Vec::new();
                    unpack(&kx.to_be_bytes(), &mut back);
                    prop_assert_eq!(back, x.as_bytes());
                }
            }
        }
    }
}
