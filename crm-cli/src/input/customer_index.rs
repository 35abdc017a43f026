//! Customer ids interned to dense `u32` indices, so a large transaction file is aggregated on
//! integer keys (no string per row, no string comparison in the pass) and the ids are stored
//! once each.
//!
//! A [`CustomerIndex`] numbers ids in the order it first meets them; several indexes (one
//! per reading thread) are merged by [`CustomerIndex::merge_sorted`] into one list of
//! [`CustomerIds`] in ascending order of their text, with a map from every index's numbers
//! to positions in that list. Because the final numbers follow the text's order, integer
//! keys sort exactly as the id strings do.

use std::cmp::Ordering;
use std::hash::BuildHasher;

use hashbrown::{DefaultHashBuilder, HashTable};

/// Customer ids stored end to end in one string; id `i` is `text[ends[i - 1]..ends[i]]`.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct CustomerIds {
    text: String,
    ends: Vec<usize>,
}

impl CustomerIds {
    /// The number of ids.
    fn len(&self) -> usize {
        self.ends.len()
    }

    /// The id numbered `i`, or `None` past the end.
    pub fn get(&self, i: u32) -> Option<&str> {
        let i = usize::try_from(i).ok()?;
        let end = *self.ends.get(i)?;
        let start = if i == 0 { 0 } else { self.ends[i - 1] };
        self.text.get(start..end)
    }

    /// The ids in their order.
    pub fn iter(&self) -> impl Iterator<Item = &str> + '_ {
        let mut start = 0;
        self.ends.iter().map(move |&end| {
            let id = &self.text[start..end];
            start = end;
            id
        })
    }

    fn push(&mut self, id: &str) {
        self.text.push_str(id);
        self.ends.push(self.text.len());
    }

    /// The id numbered `i`, which must exist.
    fn at(&self, i: u32) -> &str {
        let i = i as usize;
        let start = if i == 0 { 0 } else { self.ends[i - 1] };
        &self.text[start..self.ends[i]]
    }
}

/// An interner of customer ids: each distinct id gets the next number, 0, 1, 2, ... in the
/// order they are first met.
#[derive(Debug, Clone, Default)]
pub struct CustomerIndex {
    ids: CustomerIds,
    table: HashTable<Entry>,
    hasher: DefaultHashBuilder,
}

/// An interned id in the hash table: its number and where its text is, so a lookup reads
/// the table and the text and nothing else.
#[derive(Debug, Clone, Copy)]
struct Entry {
    id: u32,
    len: u32,
    start: usize,
}

impl CustomerIndex {
    /// The number of an id, given a new number if the id is new; `None` once `u32` numbers
    /// run out.
    #[inline]
    pub fn intern(&mut self, id: &str) -> Option<u32> {
        let hash = self.hasher.hash_one(id.as_bytes());
        let text = &self.ids.text;
        let same = |e: &Entry| {
            e.len as usize == id.len()
                && text.as_bytes().get(e.start..e.start + id.len()) == Some(id.as_bytes())
        };
        if let Some(e) = self.table.find(hash, same) {
            return Some(e.id);
        }
        let entry = Entry {
            id: u32::try_from(self.ids.len()).ok()?,
            len: u32::try_from(id.len()).ok()?,
            start: self.ids.text.len(),
        };
        self.ids.push(id);
        let (text, hasher) = (&self.ids.text, &self.hasher);
        self.table.insert_unique(hash, entry, |e| {
            hasher.hash_one(&text.as_bytes()[e.start..e.start + e.len as usize])
        });
        Some(entry.id)
    }

    /// The ids interned so far, by number.
    #[cfg(test)]
    fn ids(&self) -> &CustomerIds {
        &self.ids
    }

    /// Merges indexes into one list of distinct ids in ascending order of their text, and
    /// for each index the map from its numbers to positions in that list (`maps[k][i]` is
    /// the position of index `k`'s id `i`). `None` if there are more than `u32::MAX` ids.
    pub fn merge_sorted(parts: Vec<CustomerIndex>) -> Option<(CustomerIds, Vec<Vec<u32>>)> {
        let mut parts = parts.into_iter();
        let Some(mut all) = parts.next() else {
            return Some((CustomerIds::default(), Vec::new()));
        };
        // Numbers in `all` of every part's ids (the first part's are its own).
        let mut global: Vec<Vec<u32>> = vec![(0..all.ids.len() as u32).collect()];
        for part in parts {
            let map = part
                .ids
                .iter()
                .map(|id| all.intern(id))
                .collect::<Option<Vec<u32>>>()?;
            global.push(map);
        }
        let order = sorted_order(&all.ids);
        let mut rank = vec![0u32; order.len()];
        let mut sorted = CustomerIds {
            text: String::with_capacity(all.ids.text.len()),
            ends: Vec::with_capacity(order.len()),
        };
        for (position, &i) in order.iter().enumerate() {
            rank[i as usize] = position as u32;
            sorted.push(all.ids.at(i));
        }
        let maps = global
            .into_iter()
            .map(|map| map.into_iter().map(|g| rank[g as usize]).collect())
            .collect();
        Some((sorted, maps))
    }
}

/// The numbers of `ids` in ascending order of their text. All ids share their longest
/// common prefix, so they compare as the rest of their text does; that rest is compared by
/// its first eight bytes as one big-endian integer (zero-padded, which keeps the order of
/// texts: where the padded prefixes differ, either the first differing bytes differ or the
/// shorter text is a prefix of the other), and whole only when those agree.
fn sorted_order(ids: &CustomerIds) -> Vec<u32> {
    let first = ids.iter().next().unwrap_or_default().as_bytes();
    let common = ids.iter().fold(first.len(), |n, id| {
        first[..n]
            .iter()
            .zip(id.as_bytes())
            .take_while(|(a, b)| a == b)
            .count()
    });
    let mut keys: Vec<(u64, u32)> = ids
        .iter()
        .enumerate()
        .map(|(i, id)| {
            let rest = &id.as_bytes()[common..];
            let mut prefix = [0u8; 8];
            let n = rest.len().min(8);
            prefix[..n].copy_from_slice(&rest[..n]);
            (u64::from_be_bytes(prefix), i as u32)
        })
        .collect();
    let compare = |a: &(u64, u32), b: &(u64, u32)| match a.0.cmp(&b.0) {
        Ordering::Equal => ids.at(a.1).cmp(ids.at(b.1)),
        other => other,
    };
    keys.sort_unstable_by(compare);
    keys.into_iter().map(|(_, i)| i).collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    #[test]
    fn ids_map_back_to_themselves() {
        let mut index = CustomerIndex::default();
        let ids = ["x", "", "a,b", "é", "x", "10", "9"];
        let numbers: Vec<u32> = ids.iter().map(|id| index.intern(id).unwrap()).collect();
        assert_eq!(numbers, [0, 1, 2, 3, 0, 4, 5]);
        for (id, n) in ids.iter().zip(&numbers) {
            assert_eq!(index.ids().get(*n), Some(*id));
        }
        assert_eq!(index.ids().get(6), None);
        assert_eq!(index.ids().len(), 6);
    }

    #[test]
    fn merging_no_index_gives_no_ids() {
        let (ids, maps) = CustomerIndex::merge_sorted(Vec::new()).unwrap();
        assert!(ids.iter().next().is_none() && maps.is_empty());
    }

    proptest! {
        /// Whatever the split of a stream of ids among indexes, the merged list is the
        /// sorted distinct ids, and every index's numbers map to their own text.
        #[test]
        fn merged_ids_are_sorted_and_map_back(
            ids in proptest::collection::vec(
                ("[a-c]{0,10}|[\u{0}-\u{ff}]{0,3}|customer-0{0,12}[0-2]{0,10}", 0usize..3),
                0..60,
            ),
        ) {
            let mut parts = vec![CustomerIndex::default(); 3];
            let mut numbered = Vec::new();
            for (id, part) in &ids {
                numbered.push((id.clone(), *part, parts[*part].intern(id).unwrap()));
            }
            let (merged, maps) = CustomerIndex::merge_sorted(parts).unwrap();
            let mut expected: Vec<&str> = ids.iter().map(|(id, _)| id.as_str()).collect();
            expected.sort_unstable();
            expected.dedup();
            prop_assert_eq!(merged.iter().collect::<Vec<_>>(), expected);
            for (id, part, n) in &numbered {
                prop_assert_eq!(merged.get(maps[*part][*n as usize]), Some(id.as_str()));
            }
        }
    }
}
