//! From every customer's running state to the scored table: R, F and M values, their
//! quantile (or breakpoint) scores, segments and the output rows, in key order.
//!
//! The states arrive as *runs*: consecutive pieces of the key order (each sorted, every key
//! of a run below every key of the next), so that a parallel pass can sort pieces on
//! different threads and build each piece's rows on its own thread without merging.
//! [`key_order_runs`] makes them from the customers' tables; [`finish`] turns them into the
//! table, on one thread ([`OneThread`]) or computing the recency and frequency scores beside
//! the monetary scores and building the rows of the runs side by side ([`SideBySide`]).

use std::hash::Hash;

use chrono::{Datelike, NaiveDate};
use rust_decimal::Decimal;
use rustc_hash::{FxHashMap, FxHashSet};

use super::{
    Acc, CustomerRfm, CustomerStates, FrequencyMeasure, MonetaryMeasure, PassTotals, RfmConfig,
    RfmReport, RfmTable, fork_join,
};
use crate::error::SegmentationError;
use crate::score::{
    Breakpoints, ScoreMethod, integer_quantile_scores, quantile_cuts_owned, score_against,
};
use crate::segment::cell;

/// Where the distinct purchase days of each customer come from, when frequency counts them.
pub(super) enum DayCounts<K> {
    /// The distinct (customer, day) pairs seen by the parts of a pass (none when frequency
    /// counts transactions).
    Pairs(Vec<FxHashSet<(K, i32)>>),
    /// Each customer's number of distinct purchase days, counted beforehand.
    PerCustomer(FxHashMap<K, u64>),
}

/// Customers' states in key order, as consecutive sorted runs.
pub(super) type Runs<K> = Vec<Vec<(K, Acc)>>;

/// One run to turn into rows: its states, the position of its first customer in the key
/// order, and the room to reserve for rows.
type Job<K> = (Vec<(K, Acc)>, usize, usize);

/// The rows of every job, one result per job, in order.
type Built<K> = Vec<Result<Vec<CustomerRfm<K>>, SegmentationError>>;

/// Where the two costly steps of [`finish`] run: the quantile scores and the output rows.
pub(super) trait Schedule<K> {
    /// The R, F and M quantile scores of every customer, in key order.
    fn scores(&self, measures: &Measures, runs: &Runs<K>) -> (Vec<u8>, Vec<u8>, Vec<u8>);
    /// The rows of every job.
    fn rows(&self, rows: &Rows<'_>, jobs: Vec<Job<K>>) -> Built<K>;
}

/// Both steps on the calling thread.
pub(super) struct OneThread;

impl<K> Schedule<K> for OneThread {
    fn scores(&self, measures: &Measures, runs: &Runs<K>) -> (Vec<u8>, Vec<u8>, Vec<u8>) {
        let (r, f) = measures.recency_frequency_scores(runs);
        (r, f, measures.monetary_scores(runs))
    }

    fn rows(&self, rows: &Rows<'_>, jobs: Vec<Job<K>>) -> Built<K> {
        jobs.into_iter()
            .map(|(run, offset, capacity)| rows.build(run, offset, capacity))
            .collect()
    }
}

/// The monetary scores beside the recency and frequency scores, and the rows of each run on
/// a thread of its own.
pub(super) struct SideBySide;

impl<K: Send + Sync> Schedule<K> for SideBySide {
    fn scores(&self, measures: &Measures, runs: &Runs<K>) -> (Vec<u8>, Vec<u8>, Vec<u8>) {
        let (m, (r, f)) = std::thread::scope(|s| {
            let m = s.spawn(|| measures.monetary_scores(runs));
            let rf = measures.recency_frequency_scores(runs);
            (
                m.join().unwrap_or_else(|e| std::panic::resume_unwind(e)),
                rf,
            )
        });
        (r, f, m)
    }

    fn rows(&self, rows: &Rows<'_>, jobs: Vec<Job<K>>) -> Built<K> {
        fork_join(jobs, |(run, offset, capacity)| {
            rows.build(run, offset, capacity)
        })
    }
}

/// The table of the customers' states in `runs`, its costly steps run as `schedule` says.
pub(super) fn finish<K: Hash + Eq + Clone + Ord>(
    config: &RfmConfig,
    totals: PassTotals,
    runs: Runs<K>,
    days: DayCounts<K>,
    schedule: impl Schedule<K>,
) -> Result<RfmTable<K>, SegmentationError> {
    let measures = Measures::new(config, &totals, &runs, days)?;
    let scores = match &config.method {
        ScoreMethod::Quantile => {
            let (r, f, m) = schedule.scores(&measures, &runs);
            Scores::Quantile(r, f, m)
        }
        ScoreMethod::Breakpoints(b) => Scores::Breakpoints(b),
    };
    let rows = Rows::new(config, &measures, &scores, &runs);
    // The first run's rows get room for every row, so that the others are appended
    // without moving it.
    let mut jobs = Vec::with_capacity(runs.len());
    let mut offset = 0;
    for run in runs {
        let len = run.len();
        let capacity = if offset == 0 { measures.n } else { len };
        jobs.push((run, offset, capacity));
        offset += len;
    }
    // The first error in key order, as a single pass reports it.
    let mut parts = schedule.rows(&rows, jobs).into_iter();
    let mut customers = parts.next().unwrap_or(Ok(Vec::new()))?;
    for part in parts {
        customers.extend(part?);
    }
    Ok(measures.table(config, totals, customers))
}

/// The per-customer measures besides those of the running state.
pub(super) struct Measures {
    bins: u8,
    n: usize,
    used: u64,
    scale: u32,
    as_of: Option<chrono::DateTime<chrono::Utc>>,
    as_of_day: i32,
    /// Distinct purchase days per customer, if frequency counts them.
    distinct_days: Option<Vec<u64>>,
    /// Mean per transaction per customer, if that is the monetary measure.
    means: Option<Vec<Decimal>>,
}

impl Measures {
    fn new<K: Hash + Eq + Ord>(
        config: &RfmConfig,
        totals: &PassTotals,
        runs: &Runs<K>,
        days: DayCounts<K>,
    ) -> Result<Self, SegmentationError> {
        let as_of = config.as_of.or(totals.latest);
        let n = runs.iter().map(Vec::len).sum();
        let entries = || runs.iter().flatten();
        let distinct_days = match config.frequency {
            FrequencyMeasure::Transactions => None,
            FrequencyMeasure::DistinctDays => match days {
                DayCounts::Pairs(days) => {
                    let mut f = vec![0u64; n];
                    for (key, _) in days.iter().flatten() {
                        if let Some(i) = position(runs, key) {
                            f[i] += 1;
                        }
                    }
                    Some(f)
                }
                DayCounts::PerCustomer(counts) => Some(
                    entries()
                        .map(|(key, _)| counts.get(key).copied().unwrap_or(0))
                        .collect(),
                ),
            },
        };
        // The mean per transaction is scored as a decimal; the net total as the exact
        // integer sum, which orders the same way.
        let means = match config.monetary {
            MonetaryMeasure::Total => None,
            MonetaryMeasure::MeanPerTransaction => Some(
                entries()
                    .enumerate()
                    .map(|(position, (_, a))| {
                        to_decimal(a.sum(), totals.scale)
                            .and_then(|r| r.checked_div(Decimal::from(a.count())))
                            .ok_or(SegmentationError::TotalOverflow { position })
                    })
                    .collect::<Result<_, _>>()?,
            ),
        };
        Ok(Self {
            bins: config.bins,
            n,
            used: entries().map(|(_, a)| a.count()).sum(),
            scale: totals.scale,
            as_of,
            as_of_day: as_of.map_or(0, |a| a.date_naive().num_days_from_ce()),
            distinct_days,
            means,
        })
    }

    #[inline]
    fn recency(&self, a: &Acc) -> u32 {
        (self.as_of_day - a.last).max(0) as u32
    }

    #[inline]
    fn frequency(&self, i: usize, a: &Acc) -> u64 {
        self.distinct_days.as_ref().map_or(a.count(), |f| f[i])
    }

    fn recency_frequency_scores<K>(&self, runs: &Runs<K>) -> (Vec<u8>, Vec<u8>) {
        let recency = each(runs, self.n, |a| -i64::from(self.recency(a)));
        let r = integer_quantile_scores(&recency, self.bins);
        drop(recency);
        let frequency = match &self.distinct_days {
            None => each(runs, self.n, |a| {
                i64::try_from(a.count()).unwrap_or(i64::MAX)
            }),
            Some(f) => f
                .iter()
                .map(|&d| i64::try_from(d).unwrap_or(i64::MAX))
                .collect(),
        };
        (r, integer_quantile_scores(&frequency, self.bins))
    }

    fn monetary_scores<K>(&self, runs: &Runs<K>) -> Vec<u8> {
        match &self.means {
            None => {
                let cuts = quantile_cuts_owned(each(runs, self.n, Acc::sum), self.bins);
                each(runs, self.n, |a| score_against(&cuts, &a.sum()))
            }
            Some(means) => {
                let cuts = quantile_cuts_owned(means.clone(), self.bins);
                means.iter().map(|x| score_against(&cuts, x)).collect()
            }
        }
    }

    fn table<K>(
        self,
        config: &RfmConfig,
        totals: PassTotals,
        customers: Vec<CustomerRfm<K>>,
    ) -> RfmTable<K> {
        RfmTable {
            as_of: self.as_of,
            bins: self.bins,
            currency: totals.currency.map(|(c, _)| c),
            segment_names: config.segments.names(),
            report: RfmReport {
                rows: totals.rows,
                used: self.used,
                excluded_after_as_of: totals.excluded,
                customers: self.n as u64,
            },
            customers,
        }
    }
}

/// `f` of every state of `runs` (`n` in all), in key order.
fn each<K, T>(runs: &Runs<K>, n: usize, f: impl Fn(&Acc) -> T) -> Vec<T> {
    let mut out = Vec::with_capacity(n);
    for run in runs {
        out.extend(run.iter().map(|(_, a)| f(a)));
    }
    out
}

/// The position of `key` in the key order of `runs`.
fn position<K: Ord>(runs: &Runs<K>, key: &K) -> Option<usize> {
    let mut offset = 0;
    for run in runs {
        if run.last().is_some_and(|(last, _)| last >= key) {
            return run
                .binary_search_by(|(e, _)| e.cmp(key))
                .ok()
                .map(|i| offset + i);
        }
        offset += run.len();
    }
    None
}

/// The R, F and M scores of every customer, or the breakpoints that give them.
enum Scores<'a> {
    Quantile(Vec<u8>, Vec<u8>, Vec<u8>),
    Breakpoints(&'a Breakpoints),
}

/// What building the output rows needs, shared by the threads that build them.
pub(super) struct Rows<'a> {
    measures: &'a Measures,
    scores: &'a Scores<'a>,
    lookup: Vec<u16>,
    dates: DayTable,
}

impl<'a> Rows<'a> {
    fn new<K>(
        config: &RfmConfig,
        measures: &'a Measures,
        scores: &'a Scores<'a>,
        runs: &Runs<K>,
    ) -> Self {
        Self {
            measures,
            scores,
            lookup: config.segments.lookup(measures.bins),
            dates: DayTable::new(runs.iter().flatten().map(|(_, a)| a)),
        }
    }

    /// The rows of one run whose first customer is at `offset` in the key order.
    fn build<K>(
        &self,
        run: Vec<(K, Acc)>,
        offset: usize,
        capacity: usize,
    ) -> Result<Vec<CustomerRfm<K>>, SegmentationError> {
        let Measures { bins, scale, .. } = *self.measures;
        let mut customers = Vec::with_capacity(capacity.max(run.len()));
        for (j, (key, a)) in run.into_iter().enumerate() {
            let i = offset + j;
            let revenue = to_decimal(a.sum(), scale)
                .ok_or(SegmentationError::TotalOverflow { position: i })?;
            let monetary = self.measures.means.as_ref().map_or(revenue, |m| m[i]);
            let recency_days = self.measures.recency(&a);
            let frequency = self.measures.frequency(i, &a);
            let (r, f, m) = match self.scores {
                Scores::Quantile(r, f, m) => (r[i], f[i], m[i]),
                Scores::Breakpoints(b) => (
                    b.recency_score(recency_days, bins),
                    b.frequency_score(frequency, bins),
                    b.monetary_score(monetary, bins),
                ),
            };
            customers.push(CustomerRfm {
                customer: key,
                recency_days,
                frequency,
                monetary,
                revenue,
                transactions: a.count(),
                first_purchase: self.dates.date(a.first),
                last_purchase: self.dates.date(a.last),
                r,
                f,
                m,
                segment: self.lookup[cell(bins, r, f, m)],
            });
        }
        Ok(customers)
    }
}

pub(super) fn date_of(day: i32) -> NaiveDate {
    NaiveDate::from_num_days_from_ce_opt(day).unwrap_or(NaiveDate::MIN)
}

/// The dates of the purchase days of a table, converted once per day rather than once per
/// customer when the days span a short range (as they do: years of history).
struct DayTable {
    first: i32,
    dates: Vec<NaiveDate>,
}

impl DayTable {
    fn new<'a>(states: impl Iterator<Item = &'a Acc> + Clone) -> Self {
        let first = states.clone().map(|a| a.first).min().unwrap_or(0);
        let last = states.map(|a| a.last).max().unwrap_or(0);
        let dates = if last.abs_diff(first) < 1 << 20 {
            (first..=last).map(date_of).collect()
        } else {
            Vec::new()
        };
        Self { first, dates }
    }

    #[inline]
    fn date(&self, day: i32) -> NaiveDate {
        self.dates
            .get(day.wrapping_sub(self.first) as u32 as usize)
            .copied()
            .unwrap_or_else(|| date_of(day))
    }
}

/// An exact decimal for `v / 10^scale`, dropping trailing zeros if the mantissa is too wide.
pub(super) fn to_decimal(mut v: i128, mut scale: u32) -> Option<Decimal> {
    loop {
        if let Ok(d) = Decimal::try_from_i128_with_scale(v, scale) {
            return Some(d);
        }
        if scale == 0 || v % 10 != 0 {
            return None;
        }
        v /= 10;
        scale -= 1;
    }
}

/// Customers from which the sort into key order runs on several threads.
pub(super) const PARALLEL_SORT_FROM: usize = 1 << 16;

/// Every customer's state of `tables`, sorted by key, on the calling thread.
pub(super) fn one_run<K: Hash + Eq + Ord>(tables: Vec<CustomerStates<K>>) -> Vec<(K, Acc)> {
    let mut entries = Vec::with_capacity(tables.iter().map(CustomerStates::len).sum());
    for t in tables {
        t.drain_into(&mut entries);
    }
    entries.sort_unstable_by(|a, b| a.0.cmp(&b.0));
    entries
}

/// Keys sampled from each table to choose the key ranges of the runs.
const SAMPLE_PER_TABLE: usize = 8;

/// Every customer's state in key order, as one sorted run per thread: a sample of keys
/// splits the key range into `threads` ranges; each thread sends the states of its tables
/// to the ranges, then sorts one range. No merge is needed: the runs follow each other.
pub(super) fn key_order_runs<K>(
    tables: Vec<CustomerStates<K>>,
    threads: usize,
    parallel_from: usize,
) -> Runs<K>
where
    K: Hash + Eq + Clone + Ord + Send + Sync,
{
    let n: usize = tables.iter().map(CustomerStates::len).sum();
    if threads < 2 || n < parallel_from.max(1) {
        return vec![one_run(tables)];
    }
    let mut sample: Vec<&K> = tables
        .iter()
        .flat_map(|t| t.keys().take(SAMPLE_PER_TABLE))
        .collect();
    sample.sort_unstable();
    let splitters: Vec<K> = (1..threads)
        .map(|b| sample[b * sample.len() / threads].clone())
        .collect();
    let splitters = &splitters;

    let per = tables.len().div_ceil(threads);
    let mut groups: Vec<Vec<CustomerStates<K>>> = Vec::with_capacity(threads);
    let mut tables = tables.into_iter();
    loop {
        let group: Vec<_> = tables.by_ref().take(per).collect();
        if group.is_empty() {
            break;
        }
        groups.push(group);
    }
    let spread = |group: Vec<CustomerStates<K>>| {
        let len: usize = group.iter().map(CustomerStates::len).sum();
        let mut ranges: Vec<Vec<(K, Acc)>> = (0..threads)
            .map(|_| Vec::with_capacity(len / threads + len / threads / 8 + 16))
            .collect();
        for table in group {
            for (key, acc) in table.into_entries() {
                ranges[splitters.partition_point(|s| *s <= key)].push((key, acc));
            }
        }
        ranges
    };
    let spread = fork_join(groups, spread);
    let mut columns: Vec<Vec<Vec<(K, Acc)>>> = (0..threads).map(|_| Vec::new()).collect();
    for ranges in spread {
        for (b, range) in ranges.into_iter().enumerate() {
            columns[b].push(range);
        }
    }
    let sort = |pieces: Vec<Vec<(K, Acc)>>| {
        let mut run = Vec::with_capacity(pieces.iter().map(Vec::len).sum());
        for mut piece in pieces {
            run.append(&mut piece);
        }
        run.sort_unstable_by(|a: &(K, Acc), b| a.0.cmp(&b.0));
        run
    };
    fork_join(columns, sort)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn acc(first: i32, last: i32) -> Acc {
        let mut a = Acc::new(first, 0);
        a.add(last, 0).unwrap();
        a
    }

    #[test]
    fn day_table_converts_like_chrono_in_and_out_of_range() {
        let d = |y, m, dd| {
            NaiveDate::from_ymd_opt(y, m, dd)
                .unwrap()
                .num_days_from_ce()
        };
        // A short span: every day is looked up in the table.
        let short = [acc(d(2023, 1, 1), d(2024, 12, 31))];
        let t = DayTable::new(short.iter());
        assert_eq!(t.dates.len(), 731);
        for day in [d(2023, 1, 1), d(2024, 2, 29), d(2024, 12, 31)] {
            assert_eq!(
                t.date(day),
                NaiveDate::from_num_days_from_ce_opt(day).unwrap()
            );
        }
        // A span too wide for a table, and days outside it: converted one by one.
        let wide = [acc(d(-3000, 1, 1), d(9000, 6, 30))];
        let t = DayTable::new(wide.iter());
        assert!(t.dates.is_empty());
        assert_eq!(
            t.date(d(9000, 6, 30)),
            NaiveDate::from_ymd_opt(9000, 6, 30).unwrap()
        );
        assert_eq!(
            DayTable::new(short.iter()).date(d(1990, 5, 5)),
            NaiveDate::from_ymd_opt(1990, 5, 5).unwrap()
        );
        assert!(DayTable::new([].iter()).date(0) == date_of(0));
    }

    #[test]
    fn positions_across_runs() {
        let runs: Runs<u8> = vec![
            vec![(1, acc(0, 0)), (4, acc(0, 0))],
            vec![],
            vec![(6, acc(0, 0)), (9, acc(0, 0))],
        ];
        let found: Vec<_> = (0..11).map(|k| position(&runs, &k)).collect();
        let mut expected = vec![None; 11];
        for (i, k) in [1usize, 4, 6, 9].iter().enumerate() {
            expected[*k] = Some(i);
        }
        assert_eq!(found, expected);
    }
}
