//! The per-customer running state of an RFM pass, in an open-addressing table built for
//! bulk updates: the table is probed in batches, touching every row's slot before any
//! update, so the memory loads of a batch overlap instead of waiting one after another.

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

/// Open addressing with linear probing, at most half full.
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
    fn with_slots(n: usize) -> Self {
        let n = n.next_power_of_two().max(16);
        let mut slots = Vec::with_capacity(n);
        slots.resize_with(n, || None);
        Self {
            slots,
            mask: n - 1,
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
            self.regrow(need);
        }
    }

    fn regrow(&mut self, slots: usize) {
        let old = std::mem::replace(self, Self::with_slots(slots));
        for (key, acc) in old.slots.into_iter().flatten() {
            let i = self.vacant_for(hash_key(&key));
            self.slots[i] = Some((key, acc));
            self.len += 1;
        }
    }

    #[inline]
    fn vacant_for(&self, h: u64) -> usize {
        let mut i = h as usize & self.mask;
        while self.slots[i].is_some() {
            i = (i + 1) & self.mask;
        }
        i
    }

    /// Loads the home slot of hash `h` (so that a later probe finds it in cache).
    #[inline]
    pub(crate) fn touch(&self, h: u64) -> bool {
        self.slots[h as usize & self.mask].is_some()
    }

    /// The slot holding `key`, or the empty slot where it belongs.
    #[inline]
    fn probe(&self, h: u64, key: &K) -> (usize, bool) {
        let mut i = h as usize & self.mask;
        loop {
            match &self.slots[i] {
                None => return (i, false),
                Some((k, _)) if k == key => return (i, true),
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
        let (i, found) = self.probe(h, key);
        if found {
            if let Some((_, acc)) = &mut self.slots[i] {
                return acc.add(day, minor);
            }
            return Some(());
        }
        self.insert_vacant(i, h, key.clone(), Acc::new(day, minor));
        Some(())
    }

    /// Adds a whole state of `key`; `None` (and no change) on overflow.
    pub(crate) fn absorb(&mut self, key: K, acc: Acc) -> Option<()> {
        let h = hash_key(&key);
        let (i, found) = self.probe(h, &key);
        if found {
            if let Some((_, a)) = &mut self.slots[i] {
                return a.absorb(&acc);
            }
            return Some(());
        }
        self.insert_vacant(i, h, key, acc);
        Some(())
    }

    fn insert_vacant(&mut self, i: usize, h: u64, key: K, acc: Acc) {
        if (self.len + 1) * 2 > self.slots.len() {
            self.regrow(self.slots.len() * 2);
            let j = self.vacant_for(h);
            self.slots[j] = Some((key, acc));
        } else {
            self.slots[i] = Some((key, acc));
        }
        self.len += 1;
    }

    pub(crate) fn values(&self) -> impl Iterator<Item = &Acc> {
        self.slots.iter().flatten().map(|(_, a)| a)
    }

    pub(crate) fn values_mut(&mut self) -> impl Iterator<Item = &mut Acc> {
        self.slots.iter_mut().flatten().map(|(_, a)| a)
    }

    pub(crate) fn into_entries(self) -> impl Iterator<Item = (K, Acc)> {
        self.slots.into_iter().flatten()
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
            let mut got: Vec<_> = t.into_entries().map(|(k, a)| (k, (a.sum(), a.count, a.first, a.last))).collect();
            got.sort_by_key(|x| x.0);
            prop_assert_eq!(got, m.into_iter().collect::<Vec<_>>());
        }
    }

    #[test]
    fn overflow_changes_nothing() {
        let mut t = CustomerStates::default();
        t.add(hash_key(&1u8), &1u8, 5, i128::MAX).unwrap();
        assert!(t.add(hash_key(&1u8), &1u8, 9, 1).is_none());
        let (_, a) = t.into_entries().next().unwrap();
        assert_eq!((a.count, a.last, a.sum()), (1, 5, i128::MAX));
    }
}
