//! The pass of [`rfm_parallel`](super::rfm_parallel) over an in-memory slice, partitioned by
//! key hash so that each customer's running state is updated while it is in cache.
//!
//! Updating one big table of running states at random positions waits on main memory for
//! almost every purchase once the table outgrows the cache (80 bytes per customer: a million
//! customers take 80 MB). This pass splits the work in two phases per chunk of purchases:
//!
//! 1. *Scatter*: each thread reads its contiguous share of the chunk, checks and converts
//!    every purchase (as-of date, currency, amount in integer minor units, purchase day),
//!    and appends a compact [`Record`] to one of [`PARTITIONS`] buffers chosen by the key
//!    hash. Reads and writes are sequential.
//! 2. *Apply*: each thread takes a contiguous range of partitions and applies their records
//!    (from every thread's buffer, in thread order, so each customer's purchases are applied
//!    in input order) to that partition's own table, which holds 1/256 of the customers and
//!    so stays in the core's cache while its records are applied.
//!
//! Buffers hold at most one chunk ([`CHUNK_ROWS`] purchases), so memory grows with the
//! customers, plus a fixed amount, whatever the number of purchases.
//!
//! Anything out of the ordinary (a row that fails, an amount whose minor units do not fit
//! 64 bits, a total that would overflow) makes the pass give up, and the caller computes
//! the table the general way, which reports the error exactly as [`rfm`](super::rfm) does.

use std::hash::Hash;

use super::finish::{DayCounts, SideBySide, finish, key_order_runs};
use super::{
    BATCH, CustomerStates, POW10, PassTotals, RfmAccumulator, RfmConfig, RfmTable, fork_join,
    hash_key,
};
use crate::customer_state::group_bits;
use crate::error::SegmentationError;
use crm_core::Purchase;

/// Bits that choose a partition.
const PARTITION_BITS: u32 = 8;

/// Number of partitions: a million customers make 256 tables of about 320 kB each, which
/// fit in a core's 512 kB-2 MB second-level cache.
pub(super) const PARTITIONS: usize = 1 << PARTITION_BITS;

/// The partition of a key hash: the top bits of the hash mixed with all of its bits, so that
/// partitions are chosen independently of the position in a partition's table (the low
/// bits of the hash) and keys that differ only in their high bits spread too.
#[inline]
fn partition_of(hash: u64) -> usize {
    (group_bits(hash) >> (64 - PARTITION_BITS)) as usize
}

/// Purchases scattered before they are applied: at most this many records are buffered
/// (96 MB for 8-byte keys), whatever the length of the input.
pub(super) const CHUNK_ROWS: usize = 1 << 22;

/// Slots each partition's table starts with.
const INITIAL_SLOTS: usize = 16;

/// One purchase ready to be applied: 24 bytes for an 8-byte key.
#[derive(Debug, Clone, Copy)]
struct Record<K> {
    key: K,
    /// The amount in minor units at the scale of the thread that scattered it.
    minor: i64,
    day: i32,
    /// The low bits of the key hash (the position in the partition's table).
    hash: u32,
}

/// Whether the partitioned pass can compute this table: plain keys (cloning one is a copy
/// and dropping one frees nothing, so records are cheap to make and to throw away) and
/// frequency as the number of transactions.
pub(super) fn applies<K>(config: &RfmConfig) -> bool {
    !std::mem::needs_drop::<K>() && config.frequency == super::FrequencyMeasure::Transactions
}

/// The RFM table of `purchases` on `threads` threads (at least 1), scattering at most
/// `chunk_rows` purchases at a time and sorting on several threads from `parallel_sort_from`
/// customers; `None` if the pass gave up (see the module docs).
pub(super) fn rfm<P>(
    purchases: &[P],
    config: &RfmConfig,
    threads: usize,
    chunk_rows: usize,
    parallel_sort_from: usize,
) -> Option<Result<RfmTable<P::Customer>, SegmentationError>>
where
    P: Purchase + Sync,
    P::Customer: Send + Sync,
{
    let threads = threads.clamp(1, PARTITIONS);
    let chunk_rows = chunk_rows.max(1);
    let mut tables: Vec<CustomerStates<P::Customer>> = (0..PARTITIONS)
        .map(|_| CustomerStates::with_slots(INITIAL_SLOTS))
        .collect();
    let mut buffers: Vec<Vec<Vec<Record<P::Customer>>>> = (0..threads)
        .map(|_| (0..PARTITIONS).map(|_| Vec::new()).collect())
        .collect();
    let mut totals = PassTotals {
        currency: config.conversion.as_ref().map(|c| (c.target(), 0)),
        ..PassTotals::default()
    };

    for (c, chunk) in purchases.chunks(chunk_rows).enumerate() {
        let base = (c * chunk_rows) as u64;
        let states = scatter_chunk(chunk, base, config, &totals, &mut buffers)?;
        let before = totals.scale;
        for s in &states {
            totals.absorb(s).ok()?;
        }
        // Bring everything to the finest scale seen so far (rarely needed: amounts
        // usually all have the same number of decimals).
        let scale = totals.scale;
        if scale > before {
            let factor = POW10[(scale - before) as usize];
            for t in &mut tables {
                t.rescale(factor)?;
            }
        }
        for (s, parts) in states.iter().zip(&mut buffers) {
            if s.scale < scale {
                rescale_records(parts, POW10[(scale - s.scale) as usize])?;
            }
        }
        apply_chunk(&mut tables, &buffers, threads)?;
        for parts in &mut buffers {
            parts.iter_mut().for_each(Vec::clear);
        }
    }
    drop(buffers);
    totals.rows = purchases.len() as u64;

    let runs = key_order_runs(tables, threads, parallel_sort_from);
    Some(finish(
        config,
        totals,
        runs,
        DayCounts::Pairs(Vec::new()),
        SideBySide,
    ))
}

/// Phase 1: every thread scatters a contiguous share of `chunk` into its own buffers.
fn scatter_chunk<P>(
    chunk: &[P],
    base: u64,
    config: &RfmConfig,
    totals: &PassTotals,
    buffers: &mut [Vec<Vec<Record<P::Customer>>>],
) -> Option<Vec<PassTotals>>
where
    P: Purchase + Sync,
    P::Customer: Send + Sync,
{
    let threads = buffers.len();
    let share = chunk.len().div_ceil(threads);
    fork_join(buffers.iter_mut().enumerate(), |(t, parts)| {
        let lo = (t * share).min(chunk.len());
        let hi = ((t + 1) * share).min(chunk.len());
        scatter(&chunk[lo..hi], base + lo as u64, config, totals, parts)
    })
    .into_iter()
    .collect()
}

/// Checks and converts `rows` (numbered from `base`) and appends them to `parts` by key
/// hash; what the rows showed besides (counts of this share only), or `None` if a row fails
/// or an amount does not fit 64-bit minor units.
fn scatter<P: Purchase>(
    rows: &[P],
    base: u64,
    config: &RfmConfig,
    totals: &PassTotals,
    parts: &mut [Vec<Record<P::Customer>>],
) -> Option<PassTotals> {
    // Room for a fair share and then some, so that buffers rarely grow (which copies).
    let expected = rows.len() / parts.len() + rows.len() / parts.len() / 8 + 16;
    for part in parts.iter_mut() {
        part.reserve(expected);
    }
    // An accumulator with no customers does the checks and conversions exactly as the
    // general path does, starting from what earlier chunks established.
    let mut acc = RfmAccumulator::<P::Customer>::new(config).ok()?;
    acc.currency = totals.currency;
    acc.scale = totals.scale;
    for (i, p) in rows.iter().enumerate() {
        let scale = acc.scale;
        let (day, minor) = match acc.prepare(base + i as u64, p) {
            Ok(Some(prepared)) => prepared,
            Ok(None) => continue,
            Err(_) => return None,
        };
        if acc.scale != scale {
            rescale_records(parts, POW10[(acc.scale - scale) as usize])?;
        }
        let minor = i64::try_from(minor).ok()?;
        let key = p.customer().clone();
        let h = hash_key(&key);
        parts[partition_of(h)].push(Record {
            key,
            minor,
            day,
            hash: h as u32,
        });
    }
    Some(acc.totals())
}

/// Phase 2: every thread applies the records of a contiguous range of partitions.
fn apply_chunk<K>(
    tables: &mut [CustomerStates<K>],
    buffers: &[Vec<Vec<Record<K>>>],
    threads: usize,
) -> Option<()>
where
    K: Hash + Eq + Clone + Send + Sync,
{
    let per = tables.len().div_ceil(threads);
    fork_join(tables.chunks_mut(per).enumerate(), |(i, range)| {
        for (j, table) in range.iter_mut().enumerate() {
            for parts in buffers {
                apply(table, &parts[i * per + j])?;
            }
        }
        Some(())
    })
    .into_iter()
    .collect()
}

/// Applies records in order, loading a batch's slots before updating any of them so that
/// the first touches of a table in a chunk overlap; `None` on overflow.
#[inline]
fn apply<K: Hash + Eq + Clone>(table: &mut CustomerStates<K>, records: &[Record<K>]) -> Option<()> {
    for batch in records.chunks(BATCH) {
        let mut seen = 0i32;
        for r in batch {
            seen ^= table.touch(u64::from(r.hash));
        }
        std::hint::black_box(seen);
        for r in batch {
            table.add(u64::from(r.hash), &r.key, r.day, i128::from(r.minor))?;
        }
    }
    Some(())
}

/// Multiplies every buffered amount by `factor`; `None` if one no longer fits.
fn rescale_records<K>(parts: &mut [Vec<Record<K>>], factor: i128) -> Option<()> {
    let factor = i64::try_from(factor).ok()?;
    for r in parts.iter_mut().flatten() {
        r.minor = r.minor.checked_mul(factor)?;
    }
    Some(())
}

#[cfg(test)]
mod tests {
    use chrono::{DateTime, TimeZone, Utc};
    use crm_core::{Currency, Money};
    use proptest::prelude::*;
    use rust_decimal::Decimal;

    use super::*;
    use crate::rfm::rfm as sequential;

    fn at(day: u32, hour: u32) -> DateTime<Utc> {
        Utc.with_ymd_and_hms(2024, 1, 1, hour, 0, 0).unwrap() + chrono::Duration::days(day.into())
    }

    fn rows(spec: &[(u16, u32, u32, i64, u32)]) -> Vec<(u16, DateTime<Utc>, Decimal)> {
        spec.iter()
            .map(|&(c, d, h, m, s)| (c, at(d, h), Decimal::new(m, s)))
            .collect()
    }

    #[test]
    fn equals_the_sequential_pass_over_several_chunks_and_threads() {
        let spec: Vec<_> = (0..5000u32)
            .map(|i| {
                (
                    (i * 7919 % 613) as u16,
                    i % 400,
                    i % 24,
                    i64::from(i % 977) - 50,
                    2,
                )
            })
            .collect();
        let rows = rows(&spec);
        let config = RfmConfig::default();
        let expected = sequential(&rows, &config).unwrap();
        for threads in [1, 2, 3, 7] {
            for chunk in [1, 64, 1000, 1 << 20] {
                let got = rfm(&rows, &config, threads, chunk, 1).unwrap().unwrap();
                assert_eq!(got, expected, "threads {threads}, chunk {chunk}");
            }
        }
    }

    #[test]
    fn a_finer_scale_in_a_later_chunk_or_thread_rescales_what_came_before() {
        // Whole units first, then cents, then tenths of a cent in the last rows.
        let rows = rows(&[
            (1, 0, 0, 5, 0),
            (2, 1, 0, 7, 0),
            (1, 2, 0, 250, 2),
            (3, 3, 0, -1, 0),
            (2, 4, 0, 1005, 3),
            (3, 5, 0, 2, 0),
        ]);
        let config = RfmConfig::default();
        let expected = sequential(&rows, &config).unwrap();
        for threads in [1, 2, 3] {
            for chunk in [1, 2, 4, 100] {
                assert_eq!(
                    rfm(&rows, &config, threads, chunk, 1).unwrap().unwrap(),
                    expected
                );
            }
        }
    }

    #[test]
    fn gives_up_where_the_general_path_must_decide() {
        let config = RfmConfig::default();
        // Minor units wider than 64 bits.
        let wide = vec![(1u8, at(0, 0), Decimal::from(u64::MAX))];
        assert!(rfm(&wide, &config, 2, 8, 1).is_none());
        // Mixed currencies, in different chunks and threads.
        let (eur, usd) = (Currency::EUR, Currency::USD);
        let mixed: Vec<_> = (0..40u8)
            .map(|i| {
                let c = if i < 39 { eur } else { usd };
                (i % 5, at(u32::from(i), 0), Money::new(Decimal::ONE, c))
            })
            .collect();
        assert!(rfm(&mixed, &config, 2, 16, 1).is_none());
        assert!(sequential(&mixed, &config).is_err());
        // A total that a finer scale in a later chunk, or later in the same buffer, would
        // take past the range of the running totals.
        let over = vec![
            (1u8, at(0, 0), Decimal::from(i64::MAX / 2)),
            (1u8, at(1, 0), Decimal::new(1, 28)),
        ];
        assert!(sequential(&over, &config).is_err());
        assert!(rfm(&over, &config, 1, 1, 1).is_none());
        assert!(rfm(&over, &config, 1, 2, 1).is_none());
    }

    #[test]
    fn applies_only_to_plain_keys_and_transaction_counts() {
        let config = RfmConfig::default();
        assert!(applies::<u64>(&config));
        assert!(applies::<&str>(&config));
        assert!(!applies::<String>(&config));
        let days = RfmConfig {
            frequency: super::super::FrequencyMeasure::DistinctDays,
            ..RfmConfig::default()
        };
        assert!(!applies::<u64>(&days));
    }

    #[test]
    fn keys_that_differ_only_in_high_bits_spread_over_the_partitions() {
        // Sequential numbers, and the same numbers in the top bytes (as packed short
        // text ids are), each over all partitions with no partition much above its share.
        for shift in [0u32, 24, 40, 56] {
            let keys = 256u64 * 64;
            let mut counts = vec![0usize; PARTITIONS];
            for k in 0..keys {
                let key = if shift == 56 {
                    k.rotate_right(8)
                } else {
                    k << shift
                };
                counts[partition_of(hash_key(&key))] += 1;
            }
            let fair = keys as usize / PARTITIONS;
            let (min, max) = (counts.iter().min().unwrap(), counts.iter().max().unwrap());
            assert!(
                *min > fair / 3 && *max < fair * 3,
                "shift {shift}: {min}..{max}"
            );
            // The general path's thread shares too.
            let first = (0..keys)
                .filter(|&k| {
                    let key = if shift == 56 {
                        k.rotate_right(8)
                    } else {
                        k << shift
                    };
                    super::super::share_of(hash_key(&key), 2) == 0
                })
                .count();
            assert!(
                first.abs_diff(keys as usize / 2) < keys as usize / 20,
                "shift {shift}"
            );
        }
    }

    #[test]
    fn runs_follow_each_other_in_key_order() {
        for threads in [2, 3, 5] {
            for customers in [0u64, 1, 7, 300, 5000] {
                let mut tables: Vec<CustomerStates<u64>> = (0..PARTITIONS)
                    .map(|_| CustomerStates::with_slots(INITIAL_SLOTS))
                    .collect();
                for c in 0..customers {
                    let key = c.wrapping_mul(0x9E37_79B9_7F4A_7C15) >> 7;
                    let h = hash_key(&key);
                    tables[partition_of(h)]
                        .add(h, &key, c as i32, i128::from(c))
                        .unwrap();
                }
                let runs = key_order_runs(tables, threads, 1);
                let keys: Vec<u64> = runs.iter().flatten().map(|(k, _)| *k).collect();
                let mut expected: Vec<u64> = (0..customers)
                    .map(|c| c.wrapping_mul(0x9E37_79B9_7F4A_7C15) >> 7)
                    .collect();
                expected.sort_unstable();
                assert_eq!(keys, expected, "threads {threads}, customers {customers}");
                if customers >= 300 {
                    assert_eq!(runs.len(), threads);
                    // The sample splits the keys into ranges of similar size.
                    let fair = customers as usize / threads;
                    assert!(
                        runs.iter()
                            .all(|r| r.len() > fair / 2 && r.len() < fair * 2)
                    );
                }
            }
        }
    }

    proptest! {
        #![proptest_config(ProptestConfig::with_cases(64))]
        #[test]
        fn equals_the_sequential_pass(
            spec in proptest::collection::vec((0u16..50, 0u32..60, 0u32..24, -5000i64..5000, 0u32..4), 0..300),
            threads in 1usize..5,
            chunk in 1usize..64,
            as_of_day in proptest::option::of(0u32..60),
            bins in 2u8..=10,
            mean in any::<bool>(),
        ) {
            let rows = rows(&spec);
            let config = RfmConfig {
                as_of: as_of_day.map(|d| at(d, 12)),
                bins,
                monetary: if mean {
                    super::super::MonetaryMeasure::MeanPerTransaction
                } else {
                    super::super::MonetaryMeasure::Total
                },
                ..RfmConfig::default()
            };
            let expected = sequential(&rows, &config);
            match rfm(&rows, &config, threads, chunk, 1) {
                Some(got) => prop_assert_eq!(got, expected),
                None => prop_assert!(false, "gave up on plain data"),
            }
        }
    }
}
