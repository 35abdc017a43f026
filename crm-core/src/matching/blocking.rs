//! Candidate generation: customers that share a blocking key become candidate pairs.
//!
//! Each customer yields a handful of keys, each hashed to 64 bits with a tag for its kind;
//! the `(key, customer)` entries are sorted, and each run of equal keys is a block whose
//! members are paired. Work and memory grow with the number of keys and candidate pairs,
//! not with the square of the number of customers; a block larger than the configured
//! limit yields no pairs at all, so a shared office phone or a common name cannot blow up
//! the pair count. A hash collision only adds a candidate pair, which scoring then judges
//! on the real fields.

use std::hash::{BuildHasher, Hash};

use rustc_hash::FxBuildHasher;

use crate::customer::Customer;

use super::normalize::{Prepared, PreparedSet};

/// The candidate pairs and what blocking saw.
#[derive(Debug, Default)]
pub(crate) struct Candidates {
    /// Pairs of customer indices `(i, j)`, `i < j`, sorted, without repeats.
    pub pairs: Vec<(u32, u32)>,
    /// Blocks of two or more customers that were paired.
    pub blocks: usize,
    /// Blocks larger than the limit, left unpaired.
    pub skipped_blocks: usize,
    /// The size of the largest skipped block (0 when none was skipped).
    pub largest_skipped_block: usize,
}

#[derive(Clone, Copy)]
#[repr(u8)]
enum KeyKind {
    Mailbox = 1,
    LocalPart,
    Phone,
    NamePlace,
    NameBirthday,
    NameAccount,
}

struct Keys {
    build: FxBuildHasher,
}

impl Keys {
    fn key<T: Hash>(&self, kind: KeyKind, parts: T) -> u64 {
        self.build.hash_one((kind as u8, parts))
    }
}

/// Pushes the blocking keys of customer `index`.
fn customer_keys(
    keys: &Keys,
    index: u32,
    customer: &Customer,
    prepared: Prepared<'_>,
    out: &mut Vec<(u64, u32)>,
) {
    if let Some(mailbox) = prepared.mailbox {
        out.push((keys.key(KeyKind::Mailbox, mailbox), index));
    }
    if let Some(local) = prepared.mailbox_local() {
        out.push((keys.key(KeyKind::LocalPart, local), index));
    }
    if let Some(phone) = &customer.phone {
        out.push((keys.key(KeyKind::Phone, phone.as_str()), index));
    }
    let place = prepared.address.map(|a| match a.postcode {
        Some(code) => (a.country, code),
        None => (a.country, a.city),
    });
    let start = out.len();
    for word in prepared.name_sorted.split(' ').filter(|w| w.len() >= 2) {
        if let Some(place) = place {
            out.push((keys.key(KeyKind::NamePlace, (word, place)), index));
        }
        if let Some(birthday) = customer.birthday {
            out.push((keys.key(KeyKind::NameBirthday, (word, birthday)), index));
        }
        if let Some(account) = &customer.account {
            out.push((keys.key(KeyKind::NameAccount, (word, account)), index));
        }
    }
    // A name with a repeated word gives repeated keys; a block counts each customer once.
    out[start..].sort_unstable();
    let mut kept = start;
    for i in start..out.len() {
        if kept == start || out[kept - 1] != out[i] {
            out[kept] = out[i];
            kept += 1;
        }
    }
    out.truncate(kept);
}

/// The candidate pairs of `customers` (with their prepared keys, index for index).
pub(crate) fn candidates(
    customers: &[Customer],
    prepared: &PreparedSet,
    max_block_size: usize,
) -> Candidates {
    let keys = Keys {
        build: FxBuildHasher,
    };
    let mut entries: Vec<(u64, u32)> = Vec::with_capacity(customers.len() * 6);
    for (index, customer) in (0u32..).zip(customers) {
        customer_keys(
            &keys,
            index,
            customer,
            prepared.get(index as usize),
            &mut entries,
        );
    }
    entries.sort_unstable();
    let mut result = Candidates::default();
    let mut start = 0;
    while start < entries.len() {
        let key = entries[start].0;
        let end = start + entries[start..].partition_point(|e| e.0 == key);
        let len = end - start;
        if len > max_block_size {
            result.skipped_blocks += 1;
            result.largest_skipped_block = result.largest_skipped_block.max(len);
        } else if len >= 2 {
            result.blocks += 1;
            let block = &entries[start..end];
            for (x, &(_, i)) in block.iter().enumerate() {
                for &(_, j) in &block[x + 1..] {
                    // Indices within a block are sorted, so i < j.
                    result.pairs.push((i, j));
                }
            }
        }
        start = end;
    }
    drop(entries);
    result.pairs.sort_unstable();
    result.pairs.dedup();
    result
}
