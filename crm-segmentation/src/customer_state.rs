//! The per-customer running state of an RFM pass, in an open-addressing table built for
//! bulk updates: rows are applied in batches, and every row's slot is loaded before any row
//! is applied, so the cache misses of a batch overlap instead of waiting one after another.

use std::hash::{BuildHasher, Hash};
use std::num::NonZeroU64;

use rustc_hash::FxBuildHasher;

/// Running state of one customer: exact total as a scaled integer, count, first and last
/// purchase day (days from the common era). 32 bytes; the count is never zero, which lets
/// an empty table slot cost no extra byte.
#[derive(Debug, Clone, Copy)]
pub(crate) struct Acc {
    sum_lo: u64,
    sum_hi: i64,
    count: NonZeroU64,
    pub(crate) first: i32,
    pub(crate) last: i32,
}

impl Acc {
    #[inline]
    pub(crate) fn new(day: i32, minor: i128) -> Self {
        let mut a = Acc {
            sum_lo: 0,
            sum_hi: 0,
            count: NonZeroU64::MIN,
            first: day,
            last: day,
        };
        a.set_sum(minor);
        a
    }

    /// The state of `count` purchases from day `first` to day `last` totalling `minor`
    /// (an aggregate computed elsewhere, such as a stored purchase summary).
    #[inline]
    pub(crate) fn from_parts(first: i32, last: i32, count: NonZeroU64, minor: i128) -> Self {
        let mut a = Acc {
            sum_lo: 0,
            sum_hi: 0,
            count,
            first,
            last,
        };
        a.set_sum(minor);
        a
    }

    /// The number of purchases (at least one).
    #[inline]
    pub(crate) fn count(&self) -> u64 {
        self.count.get()
    }

    #[inline]
    pub(crate) fn sum(&self) -> i128 {
        (i128::from(self.sum_hi) << 64) | i128::from(self.sum_lo)
    }

    #[inline]
    pub(crate) fn set_sum(&mut self, v: i128) {
        self.sum_lo = v as u64;
        self.sum_hi = (v >> 64) as i64;
    }

    /// Adds one purchase; `None` (and no change) if the total would overflow.
    #[inline]
    pub(crate) fn add(&mut self, day: i32, minor: i128) -> Option<()> {
        let s = self.sum().checked_add(minor)?;
        let count = self.count.checked_add(1)?;
        self.set_sum(s);
        self.count = count;
        self.first = self.first.min(day);
        self.last = self.last.max(day);
        Some(())
    }

    /// Adds another state of the same customer.
    #[inline]
    pub(crate) fn absorb(&mut self, other: &Acc) -> Option<()> {
        let s = self.sum().checked_add(other.sum())?;
        let count = self.count.checked_add(other.count.get())?;
        self.set_sum(s);
        self.count = count;
        self.first = self.first.min(other.first);
        self.last = self.last.max(other.last);
        Some(())
    }
}

/// The hash used for both the table position and the split between threads.
#[inline]
pub(crate) fn hash_key<K: Hash + ?Sized>(key: &K) -> u64 {
    FxBuildHasher.hash_one(key)
}

/// The top bits of a key hash mixed with all of its bits, for splitting customers into
/// groups (threads, partitions) independently of their table position (the low bits).
///
/// The hash's own top bits would do for well-spread keys, but the fast hash used here
/// carries a key's low bits only into the top of the hash, so keys that differ only in
/// their high bits (customer ids packed into an integer, say) would all land in a few
/// groups.
#[inline]
pub(crate) fn group_bits(hash: u64) -> u64 {
    hash.wrapping_mul(0x9E37_79B9_7F4A_7C15)
}

/// Open addressing with linear probing, at most half full, each slot holding the key and
/// its running state in place: applying a purchase touches one place in memory (for `u64`
/// keys a 40-byte slot, 80 bytes per customer with the empty slots).
#[derive(Debug, Clone)]
pub(crate) struct CustomerStates<K> {
    slots: Vec<Option<(K, Acc)>>,
    mask: usize,
    len: usize,
}

impl<K: Hash + Eq> Default for CustomerStates<K> {
    fn default() -> Self {
        Self::with_slots(1 << 10)
    }
}

impl<K: Hash + Eq> CustomerStates<K> {
    /// An empty table of `slots` slots (a power of two).
    pub(crate) fn with_slots(slots: usize) -> Self {
        let mut v = Vec::new();
        v.resize_with(slots, || None);
        Self {
            slots: v,
            mask: slots - 1,
            len: 0,
        }
    }

    pub(crate) fn len(&self) -> usize {
        self.len
    }

    /// Makes room for `more` customers without growing.
    pub(crate) fn reserve(&mut self, more: usize) {
        let need = (self.len + more).saturating_mul(2);
        if need > self.slots.len() {
            self.rebuild(need.next_power_of_two());
        }
    }

    fn rebuild(&mut self, slots: usize) {
        let old = std::mem::replace(self, Self::with_slots(slots));
        for (key, acc) in old.slots.into_iter().flatten() {
            let mut i = hash_key(&key) as usize & self.mask;
            while self.slots[i].is_some() {
                i = (i + 1) & self.mask;
            }
            self.slots[i] = Some((key, acc));
        }
        self.len = old.len;
    }

    /// Loads the home slot of hash `h`, so that a later probe finds it in cache: two fields
    /// far apart (the count, whose niche marks an empty slot, and the last day), since a
    /// slot may straddle two cache lines.
    #[inline]
    pub(crate) fn touch(&self, h: u64) -> i32 {
        let slot = &self.slots[h as usize & self.mask];
        slot.as_ref()
            .map_or(0, |(_, a)| a.count.get() as i32 ^ a.last)
    }

    /// The slot of `key`: `Ok` if present, else `Err` with the empty slot where it belongs.
    #[inline]
    fn probe(&self, h: u64, key: &K) -> Result<usize, usize> {
        let mut i = h as usize & self.mask;
        loop {
            match &self.slots[i] {
                None => return Err(i),
                Some((k, _)) if k == key => return Ok(i),
                Some(_) => i = (i + 1) & self.mask,
            }
        }
    }

    /// Adds one purchase of `key` (hash `h`); `None` (and no change) on overflow.
    #[inline]
    pub(crate) fn add(&mut self, h: u64, key: &K, day: i32, minor: i128) -> Option<()>
    where
        K: Clone,
    {
        match self.probe(h, key) {
            Ok(i) => match &mut self.slots[i] {
                Some((_, acc)) => acc.add(day, minor),
                None => None,
            },
            Err(slot) => {
                self.insert_at(slot, key.clone(), Acc::new(day, minor));
                Some(())
            }
        }
    }

    /// Adds a whole state of `key`; `None` (and no change) on overflow.
    pub(crate) fn absorb(&mut self, key: K, acc: Acc) -> Option<()> {
        let h = hash_key(&key);
        match self.probe(h, &key) {
            Ok(i) => match &mut self.slots[i] {
                Some((_, a)) => a.absorb(&acc),
                None => None,
            },
            Err(slot) => {
                self.insert_at(slot, key, acc);
                Some(())
            }
        }
    }

    fn insert_at(&mut self, slot: usize, key: K, acc: Acc) {
        self.slots[slot] = Some((key, acc));
        self.len += 1;
        if self.len * 2 > self.slots.len() {
            self.rebuild(self.slots.len() * 2);
        }
    }

    /// Every customer's key, in table order.
    pub(crate) fn keys(&self) -> impl Iterator<Item = &K> {
        self.slots.iter().flatten().map(|(k, _)| k)
    }

    /// Multiplies every running total by `factor` (moving them to a finer scale); all or
    /// nothing: `None`, and no change, if one would overflow.
    pub(crate) fn rescale(&mut self, factor: i128) -> Option<()> {
        if self.values().any(|a| a.sum().checked_mul(factor).is_none()) {
            return None;
        }
        for a in self.values_mut() {
            a.set_sum(a.sum() * factor);
        }
        Some(())
    }

    pub(crate) fn values(&self) -> impl Iterator<Item = &Acc> {
        self.slots.iter().flatten().map(|(_, a)| a)
    }

    pub(crate) fn values_mut(&mut self) -> impl Iterator<Item = &mut Acc> {
        self.slots.iter_mut().flatten().map(|(_, a)| a)
    }

    /// Every customer and its state, in table order.
    pub(crate) fn into_entries(self) -> impl Iterator<Item = (K, Acc)> {
        self.slots.into_iter().flatten()
    }

    /// Appends every customer and its state to `out`, in table order.
    pub(crate) fn drain_into(self, out: &mut Vec<(K, Acc)>) {
        out.extend(self.into_entries());
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;
    use std::collections::BTreeMap;

    proptest! {
        #[test]
        fn agrees_with_a_btreemap(ops in proptest::collection::vec((0u16..300, 0i32..1000, -500i64..500), 0..2000)) {
            let mut t = CustomerStates::default();
            let mut m: BTreeMap<u16, (i128, u64, i32, i32)> = BTreeMap::new();
            for (k, d, a) in ops {
                t.add(hash_key(&k), &k, d, i128::from(a)).unwrap();
                let e = m.entry(k).or_insert((0, 0, d, d));
                e.0 += i128::from(a);
                e.1 += 1;
                e.2 = e.2.min(d);
                e.3 = e.3.max(d);
            }
            prop_assert_eq!(t.len(), m.len());
            let mut entries = Vec::new();
            t.drain_into(&mut entries);
            let mut got: Vec<_> = entries.into_iter().map(|(k, a)| (k, (a.sum(), a.count(), a.first, a.last))).collect();
            got.sort_by_key(|x| x.0);
            prop_assert_eq!(got, m.into_iter().collect::<Vec<_>>());
        }
    }

    #[test]
    fn overflow_changes_nothing() {
        let mut t = CustomerStates::default();
        t.add(hash_key(&1u8), &1u8, 5, i128::MAX).unwrap();
        assert!(t.add(hash_key(&1u8), &1u8, 9, 1).is_none());
        let mut entries = Vec::new();
        t.drain_into(&mut entries);
        let (_, a) = entries.pop().unwrap();
        assert_eq!((a.count(), a.last, a.sum()), (1, 5, i128::MAX));
    }
}
