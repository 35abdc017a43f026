//! The per-customer running state of an RFM pass, in an open-addressing table built for
//! bulk updates: rows are applied in batches, and every row's slot, then every row's entry,
//! is loaded before any row is applied, so the cache misses of a batch overlap instead of
//! waiting one after another.

use std::hash::{BuildHasher, Hash};

use rustc_hash::FxBuildHasher;

/// Running state of one customer: exact total as a scaled integer, count, first and last
/// purchase day (days from the common era). 32 bytes.
#[derive(Debug, Clone, Copy)]
pub(crate) struct Acc {
    sum_lo: u64,
    sum_hi: i64,
    pub(crate) count: u64,
    pub(crate) first: i32,
    pub(crate) last: i32,
}

impl Acc {
    #[inline]
    pub(crate) fn new(day: i32, minor: i128) -> Self {
        let mut a = Acc {
            sum_lo: 0,
            sum_hi: 0,
            count: 1,
            first: day,
            last: day,
        };
        a.set_sum(minor);
        a
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
        self.set_sum(s);
        self.count += 1;
        self.first = self.first.min(day);
        self.last = self.last.max(day);
        Some(())
    }

    /// Adds another state of the same customer.
    #[inline]
    pub(crate) fn absorb(&mut self, other: &Acc) -> Option<()> {
        let s = self.sum().checked_add(other.sum())?;
        self.set_sum(s);
        self.count += other.count;
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

/// Open addressing with linear probing over a compact slot array (at most half full), each
/// slot holding 32 bits of the key's hash and the index of the customer's entry in a dense
/// vector. The slots of a million customers take 16 MB, the entries 40 bytes each.
#[derive(Debug, Clone)]
pub(crate) struct CustomerStates<K> {
    /// `0` = empty, else `(hash >> 32) << 32 | (index + 1)`.
    slots: Vec<u64>,
    mask: usize,
    entries: Vec<(K, Acc)>,
}

impl<K: Hash + Eq> Default for CustomerStates<K> {
    fn default() -> Self {
        Self {
            slots: vec![0; 1 << 10],
            mask: (1 << 10) - 1,
            entries: Vec::new(),
        }
    }
}

const TAG: u64 = 0xFFFF_FFFF_0000_0000;

impl<K: Hash + Eq> CustomerStates<K> {
    pub(crate) fn len(&self) -> usize {
        self.entries.len()
    }

    /// Makes room for `more` customers without growing.
    pub(crate) fn reserve(&mut self, more: usize) {
        self.entries.reserve(more);
        let need = (self.entries.len() + more).saturating_mul(2);
        if need > self.slots.len() {
            self.rebuild(need.next_power_of_two());
        }
    }

    fn rebuild(&mut self, slots: usize) {
        self.slots = vec![0; slots];
        self.mask = slots - 1;
        for (index, (key, _)) in self.entries.iter().enumerate() {
            let h = hash_key(key);
            let mut i = h as usize & self.mask;
            while self.slots[i] != 0 {
                i = (i + 1) & self.mask;
            }
            self.slots[i] = (h & TAG) | (index as u64 + 1);
        }
    }

    /// Loads the home slot of hash `h` (so that a later probe finds it in cache).
    #[inline]
    pub(crate) fn touch_slot(&self, h: u64) -> u64 {
        self.slots[h as usize & self.mask]
    }

    /// Loads the entry the home slot of `h` points to, if its tag matches; both ends of it,
    /// since an entry may straddle two cache lines.
    #[inline]
    pub(crate) fn touch_entry(&self, h: u64) -> usize {
        let s = self.slots[h as usize & self.mask];
        if s != 0 && (s & TAG) == (h & TAG) {
            let index = (s as u32 as usize).wrapping_sub(1);
            if let Some((_, acc)) = self.entries.get(index) {
                return acc.last as usize ^ acc.count as usize;
            }
        }
        0
    }

    /// The entry index of `key`, or the empty slot where it belongs.
    #[inline]
    fn probe(&self, h: u64, key: &K) -> Result<usize, usize> {
        let mut i = h as usize & self.mask;
        loop {
            let s = self.slots[i];
            if s == 0 {
                return Err(i);
            }
            if (s & TAG) == (h & TAG) {
                let index = (s as u32 as usize) - 1;
                if self.entries[index].0 == *key {
                    return Ok(index);
                }
            }
            i = (i + 1) & self.mask;
        }
    }

    /// Adds one purchase of `key` (hash `h`); `None` (and no change) on overflow.
    #[inline]
    pub(crate) fn add(&mut self, h: u64, key: &K, day: i32, minor: i128) -> Option<()>
    where
        K: Clone,
    {
        match self.probe(h, key) {
            Ok(index) => self.entries[index].1.add(day, minor),
            Err(slot) => {
                self.insert_at(slot, h, key.clone(), Acc::new(day, minor));
                Some(())
            }
        }
    }

    /// Adds a whole state of `key`; `None` (and no change) on overflow.
    pub(crate) fn absorb(&mut self, key: K, acc: Acc) -> Option<()> {
        let h = hash_key(&key);
        match self.probe(h, &key) {
            Ok(index) => self.entries[index].1.absorb(&acc),
            Err(slot) => {
                self.insert_at(slot, h, key, acc);
                Some(())
            }
        }
    }

    fn insert_at(&mut self, slot: usize, h: u64, key: K, acc: Acc) {
        let index = self.entries.len();
        self.entries.push((key, acc));
        if (index + 1) * 2 > self.slots.len() {
            self.rebuild(self.slots.len() * 2);
        } else {
            self.slots[slot] = (h & TAG) | (index as u64 + 1);
        }
    }

    pub(crate) fn values(&self) -> impl Iterator<Item = &Acc> {
        self.entries.iter().map(|(_, a)| a)
    }

    pub(crate) fn values_mut(&mut self) -> impl Iterator<Item = &mut Acc> {
        self.entries.iter_mut().map(|(_, a)| a)
    }

    pub(crate) fn into_entries(self) -> Vec<(K, Acc)> {
        self.entries
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
            let mut got: Vec<_> = t.into_entries().into_iter().map(|(k, a)| (k, (a.sum(), a.count, a.first, a.last))).collect();
            got.sort_by_key(|x| x.0);
            prop_assert_eq!(got, m.into_iter().collect::<Vec<_>>());
        }
    }

    #[test]
    fn overflow_changes_nothing() {
        let mut t = CustomerStates::default();
        t.add(hash_key(&1u8), &1u8, 5, i128::MAX).unwrap();
        assert!(t.add(hash_key(&1u8), &1u8, 9, 1).is_none());
        let (_, a) = t.into_entries().pop().unwrap();
        assert_eq!((a.count, a.last, a.sum()), (1, 5, i128::MAX));
    }
}
