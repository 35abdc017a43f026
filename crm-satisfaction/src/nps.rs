//! Net Promoter Score: promoters (9–10) minus detractors (0–6) on the 0–10 scale.
//!
//! The statistics and their formulas are on [`NpsEstimate`].

use serde::{Deserialize, Serialize};

use crate::compare::Difference;
use crate::counting::count_tails;
use crate::{Aggregator, Interval, ProportionEstimate, SatisfactionError, StatsConfig};

/// Highest score on the NPS scale (the lowest is 0).
///
/// ```
/// use crm_satisfaction::{NPS_MAX, Nps};
/// assert!(Nps::new().add(NPS_MAX).is_ok());
/// assert!(Nps::new().add(NPS_MAX + 1).is_err());
/// ```
pub const NPS_MAX: u8 = 10;

/// The three NPS categories.
///
/// ```
/// use crm_satisfaction::NpsCategory;
/// assert_eq!(NpsCategory::of(6).unwrap(), NpsCategory::Detractor);
/// assert_eq!(NpsCategory::of(7).unwrap(), NpsCategory::Passive);
/// assert_eq!(NpsCategory::of(9).unwrap(), NpsCategory::Promoter);
/// assert!(NpsCategory::of(11).is_err());
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub enum NpsCategory {
    /// Scores 0–6.
    Detractor,
    /// Scores 7–8.
    Passive,
    /// Scores 9–10.
    Promoter,
}

impl NpsCategory {
    /// The category of a 0–10 score; scores above 10 are a typed error.
    ///
    /// ```
    /// use crm_satisfaction::NpsCategory;
    /// assert_eq!(NpsCategory::of(0).unwrap(), NpsCategory::Detractor);
    /// ```
    pub fn of(score: u8) -> Result<Self, SatisfactionError> {
        match score {
            0..=6 => Ok(Self::Detractor),
            7..=8 => Ok(Self::Passive),
            9..=10 => Ok(Self::Promoter),
            _ => Err(SatisfactionError::ScoreOutOfScale {
                score,
                min: 0,
                max: NPS_MAX,
            }),
        }
    }
}

/// The NPS aggregate: exact counts of detractors, passives and promoters.
///
/// A commutative monoid (see [`Aggregator`]): `Nps::new()` is the identity and
/// [`merge`](Nps::merge) adds counts, so any split of the responses merges to the same value.
///
/// ```
/// use crm_satisfaction::Nps;
///
/// let nps = Nps::from_scores(&[10, 9, 8, 7, 6, 0]).unwrap();
/// assert_eq!((nps.detractors, nps.passives, nps.promoters), (2, 2, 2));
/// assert_eq!(nps.score(), Some(0.0));
/// assert_eq!(Nps::new().score(), None);
/// ```
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub struct Nps {
    /// Responses scoring 0–6.
    pub detractors: u64,
    /// Responses scoring 7–8.
    pub passives: u64,
    /// Responses scoring 9–10.
    pub promoters: u64,
}

impl Nps {
    /// The empty aggregate (identity of [`merge`](Nps::merge)).
    ///
    /// ```
    /// use crm_satisfaction::Nps;
    /// assert_eq!(Nps::new().responses(), 0);
    /// ```
    pub fn new() -> Self {
        Self::default()
    }

    /// An aggregate from known category counts.
    ///
    /// ```
    /// use crm_satisfaction::Nps;
    /// assert_eq!(Nps::from_counts(1, 2, 3).responses(), 6);
    /// ```
    pub fn from_counts(detractors: u64, passives: u64, promoters: u64) -> Self {
        Self {
            detractors,
            passives,
            promoters,
        }
    }

    /// Adds one 0–10 score; a score above 10 is a typed error and changes nothing.
    ///
    /// ```
    /// use crm_satisfaction::Nps;
    /// let mut nps = Nps::new();
    /// nps.add(9).unwrap();
    /// assert!(nps.add(42).is_err());
    /// assert_eq!(nps.promoters, 1);
    /// ```
    pub fn add(&mut self, score: u8) -> Result<(), SatisfactionError> {
        self.add_category(NpsCategory::of(score)?);
        Ok(())
    }

    /// Adds one already classified response.
    ///
    /// ```
    /// use crm_satisfaction::{Nps, NpsCategory};
    /// let mut nps = Nps::new();
    /// nps.add_category(NpsCategory::Passive);
    /// assert_eq!(nps.passives, 1);
    /// ```
    pub fn add_category(&mut self, category: NpsCategory) {
        match category {
            NpsCategory::Detractor => self.detractors += 1,
            NpsCategory::Passive => self.passives += 1,
            NpsCategory::Promoter => self.promoters += 1,
        }
    }

    /// Merges another aggregate into this one (adds the counts).
    ///
    /// ```
    /// use crm_satisfaction::Nps;
    /// let mut a = Nps::from_counts(1, 0, 0);
    /// a.merge(&Nps::from_counts(0, 0, 3));
    /// assert_eq!(a, Nps::from_counts(1, 0, 3));
    /// ```
    pub fn merge(&mut self, other: &Self) {
        self.detractors += other.detractors;
        self.passives += other.passives;
        self.promoters += other.promoters;
    }

    /// Number of responses.
    ///
    /// ```
    /// use crm_satisfaction::Nps;
    /// assert_eq!(Nps::from_counts(2, 0, 1).responses(), 3);
    /// ```
    pub fn responses(&self) -> u64 {
        self.detractors + self.passives + self.promoters
    }

    /// The NPS in [−100, 100], `None` without responses.
    ///
    /// ```
    /// use crm_satisfaction::Nps;
    /// assert_eq!(Nps::from_counts(1, 1, 2).score(), Some(25.0));
    /// ```
    pub fn score(&self) -> Option<f64> {
        let n = self.responses();
        (n > 0).then(|| {
            // The difference is exact in integers before the single division.
            (self.promoters as f64 - self.detractors as f64) * 100.0 / n as f64
        })
    }

    /// Aggregates a column of 0–10 scores with a vectorized, branch-free count.
    ///
    /// Out-of-scale scores make the whole column an error that gives the row of the first
    /// one and how many there are (use [`crate::aggregate_batch`] to skip and report them
    /// instead).
    ///
    /// ```
    /// use crm_satisfaction::{Nps, SatisfactionError};
    /// assert_eq!(Nps::from_scores(&[9, 9, 2]).unwrap(), Nps::from_counts(1, 0, 2));
    /// let err = Nps::from_scores(&[9, 12, 2, 99]).unwrap_err();
    /// assert!(matches!(err, SatisfactionError::ColumnOutOfScale { row: 1, score: 12, rejected: 2, .. }));
    /// ```
    pub fn from_scores(scores: &[u8]) -> Result<Self, SatisfactionError> {
        let t = count_tails(scores, 6, 9);
        if !scores.is_empty() && t.max > NPS_MAX {
            return Err(column_error(scores, 0, NPS_MAX));
        }
        let n = scores.len() as u64;
        Ok(Self {
            detractors: t.low,
            passives: n - t.low - t.high,
            promoters: t.high,
        })
    }

    /// [`from_scores`](Nps::from_scores) split over `threads` scoped threads (at least one),
    /// merging the partial aggregates; the result is identical.
    ///
    /// ```
    /// use crm_satisfaction::Nps;
    /// let scores: Vec<u8> = (0..1000).map(|i| (i % 11) as u8).collect();
    /// assert_eq!(Nps::from_scores_parallel(&scores, 2).unwrap(), Nps::from_scores(&scores).unwrap());
    /// ```
    pub fn from_scores_parallel(scores: &[u8], threads: usize) -> Result<Self, SatisfactionError> {
        let threads = threads.max(1);
        if threads == 1 || scores.len() < 1 << 16 {
            return Self::from_scores(scores);
        }
        let part = scores.len().div_ceil(threads);
        let parts: Vec<crate::counting::TailCounts> = std::thread::scope(|s| {
            let handles: Vec<_> = scores
                .chunks(part)
                .map(|c| s.spawn(move || count_tails(c, 6, 9)))
                .collect();
            handles
                .into_iter()
                .map(|h| h.join().unwrap_or_else(|e| std::panic::resume_unwind(e)))
                .collect()
        });
        if parts.iter().any(|t| t.max > NPS_MAX) {
            return Err(column_error(scores, 0, NPS_MAX));
        }
        let low: u64 = parts.iter().map(|t| t.low).sum();
        let high: u64 = parts.iter().map(|t| t.high).sum();
        Ok(Self {
            detractors: low,
            passives: scores.len() as u64 - low - high,
            promoters: high,
        })
    }

    /// The full report: counts, shares, NPS, standard error, Wald and adjusted-Wald
    /// intervals, and the small-sample warning.
    ///
    /// ```
    /// use crm_satisfaction::{Nps, StatsConfig};
    ///
    /// let report = Nps::from_counts(20, 30, 50).report(&StatsConfig::default());
    /// let e = report.estimate.unwrap();
    /// assert_eq!(e.score, 30.0);
    /// // v = 0.5 + 0.2 − 0.3² = 0.61; SE = 100·sqrt(0.61/100)
    /// assert!((e.standard_error - 7.8102497).abs() < 1e-6);
    /// assert!(!report.small_sample);
    /// assert!(Nps::new().report(&StatsConfig::default()).estimate.is_none());
    /// ```
    pub fn report(&self, config: &StatsConfig) -> NpsReport {
        let n = self.responses();
        NpsReport {
            responses: n,
            detractors: self.detractors,
            passives: self.passives,
            promoters: self.promoters,
            small_sample: n < config.min_sample_size,
            estimate: self.estimate(config),
        }
    }

    fn estimate(&self, config: &StatsConfig) -> Option<NpsEstimate> {
        let n = self.responses();
        if n == 0 {
            return None;
        }
        let nf = n as f64;
        let p = self.promoters as f64 / nf;
        let d = self.detractors as f64 / nf;
        let z = config.level.z();
        let score = self.score()?;
        let se = 100.0 * (variance(p, d) / nf).sqrt();

        let na = nf + 3.0;
        let pa = (self.promoters as f64 + 0.75) / na;
        let da = (self.detractors as f64 + 0.75) / na;
        let adjusted = 100.0 * (pa - da);
        let se_adj = 100.0 * (variance(pa, da) / na).sqrt();
        Some(NpsEstimate {
            score,
            standard_error: se,
            wald: Interval::around(score, z * se, -100.0, 100.0),
            adjusted_score: adjusted,
            adjusted_wald: Interval::around(adjusted, z * se_adj, -100.0, 100.0),
            promoter_share: ProportionEstimate::new(self.promoters, n, config)?,
            passive_share: ProportionEstimate::new(self.passives, n, config)?,
            detractor_share: ProportionEstimate::new(self.detractors, n, config)?,
        })
    }

    /// The NPS difference `self − other` with its z-test (formula on [`Difference`]);
    /// `None` when either side has no responses.
    ///
    /// ```
    /// use crm_satisfaction::{Nps, StatsConfig};
    /// let d = Nps::from_counts(1, 0, 1).difference(&Nps::from_counts(1, 0, 1), &StatsConfig::default());
    /// assert_eq!(d.unwrap().p_value, 1.0);
    /// ```
    pub fn difference(&self, other: &Self, config: &StatsConfig) -> Option<Difference> {
        let (n1, n2) = (self.responses(), other.responses());
        if n1 == 0 || n2 == 0 {
            return None;
        }
        let (n1f, n2f) = (n1 as f64, n2 as f64);
        let v1 = variance(self.promoters as f64 / n1f, self.detractors as f64 / n1f);
        let v2 = variance(other.promoters as f64 / n2f, other.detractors as f64 / n2f);
        let se = 100.0 * (v1 / n1f + v2 / n2f).sqrt();
        Some(Difference::from_parts(
            self.score()? - other.score()?,
            se,
            se,
            200.0,
            config,
        ))
    }
}

/// Per-response variance of the promoter-minus-detractor score, never negative.
fn variance(p: f64, d: f64) -> f64 {
    (p + d - (p - d) * (p - d)).max(0.0)
}

/// The error for a column with out-of-scale values (rare path: rescans the column).
pub(crate) fn column_error(scores: &[u8], min: u8, max: u8) -> SatisfactionError {
    let bad = |x: &u8| *x < min || *x > max;
    let row = scores.iter().position(bad).unwrap_or(0);
    SatisfactionError::ColumnOutOfScale {
        row,
        score: scores.get(row).copied().unwrap_or(0),
        rejected: scores.iter().filter(|x| bad(x)).count() as u64,
        min,
        max,
    }
}

impl Aggregator for Nps {
    fn add(&mut self, score: u8) -> Result<(), SatisfactionError> {
        Nps::add(self, score)
    }
    fn merge(&mut self, other: &Self) -> Result<(), SatisfactionError> {
        Nps::merge(self, other);
        Ok(())
    }
    fn responses(&self) -> u64 {
        Nps::responses(self)
    }
    fn empty_like(&self) -> Self {
        Self::new()
    }
    fn is_negative(&self, score: u8) -> Result<bool, SatisfactionError> {
        Ok(NpsCategory::of(score)? == NpsCategory::Detractor)
    }
    fn headline(&self) -> Option<f64> {
        self.score()
    }
    fn compare(
        &self,
        earlier: &Self,
        config: &StatsConfig,
    ) -> Result<Option<Difference>, SatisfactionError> {
        Ok(self.difference(earlier, config))
    }
}

/// NPS counts with, when there are responses, the statistics.
///
/// ```
/// use crm_satisfaction::{Nps, StatsConfig};
/// let r = Nps::from_counts(0, 0, 1).report(&StatsConfig::default());
/// assert!(r.small_sample);
/// assert_eq!(r.estimate.unwrap().score, 100.0);
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub struct NpsReport {
    /// All responses.
    pub responses: u64,
    /// Responses scoring 0–6.
    pub detractors: u64,
    /// Responses scoring 7–8.
    pub passives: u64,
    /// Responses scoring 9–10.
    pub promoters: u64,
    /// Fewer responses than [`StatsConfig::min_sample_size`].
    pub small_sample: bool,
    /// The statistics; `None` when there are no responses (nothing is NaN).
    pub estimate: Option<NpsEstimate>,
}

/// NPS statistics for a non-empty aggregate.
///
/// With `n` responses and shares `p` (promoters) and `d` (detractors):
///
/// * `NPS = 100·(p − d)`, in [−100, 100];
/// * per-response variance `v = p + d − (p − d)²` and standard error `100·sqrt(v/n)`;
/// * **Wald** interval `NPS ± z·SE`;
/// * **adjusted Wald** interval (Rocks 2016, "Interval estimation for the net promoter
///   score", *The American Statistician* 70(4); recommended for small samples by Sauro and
///   Lewis): add 3 pseudo-responses — ¾ promoter, ¾ detractor, 1½ passive — so
///   `n' = n + 3`, `p' = (P + ¾)/n'`, `d' = (D + ¾)/n'`, and the interval is
///   `100·((p' − d') ± z·sqrt((p' + d' − (p' − d')²)/n'))`. It is centred on the shrunken
///   estimate `100·(p' − d')` (reported as `adjusted_score`), which is why, for tiny
///   unanimous samples, it can exclude the raw score: one promoter is weak evidence of an NPS
///   of 100. Its coverage is much closer to the nominal level than Wald's for small `n`.
///
/// All intervals are clamped to [−100, 100].
///
/// ```
/// use crm_satisfaction::{Nps, StatsConfig};
/// let e = Nps::from_counts(1, 1, 2).report(&StatsConfig::default()).estimate.unwrap();
/// assert!((e.promoter_share.share + e.passive_share.share + e.detractor_share.share - 1.0).abs() < 1e-12);
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub struct NpsEstimate {
    /// `100·(p − d)`.
    pub score: f64,
    /// `100·sqrt((p + d − (p − d)²)/n)`.
    pub standard_error: f64,
    /// `score ± z·standard_error`, clamped to [−100, 100].
    pub wald: Interval,
    /// The centre of the adjusted-Wald interval, `100·(p' − d')`.
    pub adjusted_score: f64,
    /// The adjusted-Wald interval (better small-sample coverage).
    pub adjusted_wald: Interval,
    /// Share of promoters.
    pub promoter_share: ProportionEstimate,
    /// Share of passives.
    pub passive_share: ProportionEstimate,
    /// Share of detractors.
    pub detractor_share: ProportionEstimate,
}

#[cfg(test)]
mod tests {
    use super::*;

    fn cfg() -> StatsConfig {
        StatsConfig::default()
    }

    #[test]
    fn empty_is_an_empty_result_not_nan() {
        let r = Nps::new().report(&cfg());
        assert_eq!(r.responses, 0);
        assert!(r.estimate.is_none());
        assert!(r.small_sample);
        assert_eq!(Nps::from_scores(&[]).unwrap(), Nps::new());
    }

    #[test]
    fn single_response() {
        let e = Nps::from_scores(&[10])
            .unwrap()
            .report(&cfg())
            .estimate
            .unwrap();
        assert_eq!(e.score, 100.0);
        assert_eq!(e.standard_error, 0.0);
        assert_eq!((e.wald.lower, e.wald.upper), (100.0, 100.0));
        // n' = 4, p' = 1.75/4, d' = 0.75/4: centre 25, v' = 0.625 − 0.0625, se' = 37.5.
        assert!((e.adjusted_score - 25.0).abs() < 1e-12);
        let half = 1.959_963_984_540_054 * 37.5;
        assert!((e.adjusted_wald.lower - (25.0 - half)).abs() < 1e-9);
        assert!((e.adjusted_wald.upper - (25.0 + half).min(100.0)).abs() < 1e-9);
        let passive = Nps::from_scores(&[7]).unwrap().report(&cfg());
        assert_eq!(passive.estimate.unwrap().score, 0.0);
    }

    #[test]
    fn all_promoters_and_all_detractors() {
        let all_p = Nps::from_scores(&[9; 50]).unwrap().report(&cfg());
        let e = all_p.estimate.unwrap();
        assert_eq!(e.score, 100.0);
        assert_eq!(e.promoter_share.share, 1.0);
        assert_eq!(e.standard_error, 0.0);
        assert!(!all_p.small_sample);
        // n' = 53, p' = 50.75/53, d' = .75/53.
        let (pa, da) = (50.75 / 53.0, 0.75 / 53.0);
        assert!((e.adjusted_score - 100.0 * (pa - da)).abs() < 1e-9);
        let all_d = Nps::from_scores(&[0, 3, 6])
            .unwrap()
            .report(&cfg())
            .estimate
            .unwrap();
        assert_eq!(all_d.score, -100.0);
        assert_eq!(all_d.wald.lower, -100.0);
        assert!(all_d.adjusted_wald.upper > -100.0);
    }

    #[test]
    fn hand_computed_mixed_sample() {
        // 10 responses: 5 promoters, 2 passives, 3 detractors.
        let nps = Nps::from_scores(&[10, 9, 9, 10, 9, 7, 8, 0, 5, 6]).unwrap();
        let e = nps.report(&cfg()).estimate.unwrap();
        assert_eq!(e.score, 20.0);
        // v = .5 + .3 − .04 = .76, se = 100·sqrt(.076) = 27.5680975...
        assert!((e.standard_error - 27.568_097_504).abs() < 1e-8);
        assert!((e.wald.lower - (20.0 - 1.959_963_985 * 27.568_097_504)).abs() < 1e-6);
        // n' = 13, p' = 5.75/13, d' = 3.75/13.
        let (pa, da): (f64, f64) = (5.75 / 13.0, 3.75 / 13.0);
        let se = 100.0 * ((pa + da - (pa - da) * (pa - da)) / 13.0).sqrt();
        assert!((e.adjusted_wald.upper - (100.0 * (pa - da) + 1.959_963_985 * se)).abs() < 1e-6);
    }

    #[test]
    fn difference_matches_hand_computation() {
        // A: p=.5, d=.2, n=100: v=.61. B: p=.3, d=.3, n=100: v=.6.
        let a = Nps::from_counts(20, 30, 50);
        let b = Nps::from_counts(30, 40, 30);
        let d = a.difference(&b, &cfg()).unwrap();
        let se = 100.0 * (0.61f64 / 100.0 + 0.6 / 100.0).sqrt();
        assert!((d.estimate - 30.0).abs() < 1e-12);
        assert!((d.standard_error - se).abs() < 1e-9);
        assert!((d.z - 30.0 / se).abs() < 1e-9);
        // z = 2.7273..., two-sided p = 0.006385...
        assert!((d.p_value - 0.006_385).abs() < 2e-5, "{}", d.p_value);
        assert!(a.difference(&Nps::new(), &cfg()).is_none());
    }

    #[test]
    fn adjusted_wald_covers_better_than_wald_for_small_samples() {
        // Simulation from known parameters: n = 15, promoters 70 %, detractors 5 %.
        let (p, d, n, reps) = (0.70, 0.05, 15, 4000);
        let truth = 100.0 * (p - d);
        let mut state = 0x1234_5678_u64;
        let mut uniform = || {
            state ^= state << 13;
            state ^= state >> 7;
            state ^= state << 17;
            (state >> 11) as f64 / (1u64 << 53) as f64
        };
        let (mut wald, mut adj) = (0, 0);
        for _ in 0..reps {
            let mut nps = Nps::new();
            for _ in 0..n {
                let u = uniform();
                nps.add(if u < p {
                    10
                } else if u < p + d {
                    0
                } else {
                    8
                })
                .unwrap();
            }
            let e = nps.report(&cfg()).estimate.unwrap();
            wald += usize::from(e.wald.contains(truth));
            adj += usize::from(e.adjusted_wald.contains(truth));
        }
        let (wald, adj) = (wald as f64 / reps as f64, adj as f64 / reps as f64);
        assert!(
            (adj - 0.95).abs() < (wald - 0.95).abs(),
            "wald {wald} adjusted {adj}"
        );
        assert!(adj > 0.92, "adjusted coverage {adj}");
    }

    #[test]
    fn parallel_equals_serial_and_reports_errors() {
        let scores: Vec<u8> = (0..200_003u32).map(|i| (i * 7 % 11) as u8).collect();
        let serial = Nps::from_scores(&scores).unwrap();
        for t in 1..5 {
            assert_eq!(Nps::from_scores_parallel(&scores, t).unwrap(), serial);
        }
        let mut bad = scores.clone();
        bad[150_000] = 11;
        assert!(matches!(
            Nps::from_scores_parallel(&bad, 2),
            Err(SatisfactionError::ColumnOutOfScale {
                row: 150_000,
                score: 11,
                rejected: 1,
                ..
            })
        ));
    }
}
