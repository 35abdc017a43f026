//! The aggregate that CSAT and CES are built on: exact counts per point of a bounded integer
//! scale, the mean score with Wald and Student t intervals, and the top box (satisfied for
//! CSAT, easy for CES) with Wald and Wilson intervals.
//!
//! What a metric declares for itself is its scale ([`crate::CsatScale`], [`crate::CesScale`]:
//! bounds, top-box threshold, which statistic is the headline) and the names it gives the top
//! box (the `top_box_metrics!` table at the end of this file).

use std::fmt::{Debug, Display};
use std::hash::Hash;

use serde::de::DeserializeOwned;
use serde::{Deserialize, Serialize};

use crate::compare::{mean_difference, share_difference};
use crate::points::PointCounts;
use crate::{
    Aggregator, CesScale, CsatScale, Difference, MeanEstimate, ProportionEstimate,
    SatisfactionError, StatsConfig,
};

pub(crate) mod sealed {
    /// The statistic an aggregate reports as its headline and compares in trends and joins.
    #[derive(Debug, Clone, Copy, PartialEq, Eq)]
    pub enum Headline {
        /// The top-box share in percent (CSAT %).
        TopBoxPercent,
        /// The mean score (CES).
        Mean,
    }

    /// What a metric's scale declares. Implemented by this crate's scales only: their
    /// constructors keep every scale within [`crate::MAX_POINTS`] points, which the counts
    /// rely on.
    pub trait Sealed {
        /// The headline statistic.
        const HEADLINE: Headline;
        /// The name the aggregate shows in `Debug` output (`Csat`, `Ces`).
        const AGGREGATE: &'static str;
        /// Lowest score, highest score and first score of the top box.
        fn bounds(&self) -> (u8, u8, u8);
    }
}

use sealed::Headline;

/// A bounded integer scale `lowest..=highest` of at most [`MAX_POINTS`](crate::MAX_POINTS)
/// points whose scores from [`top_from`](BoundedScale::top_from) up form the top box: the
/// scale of a [`ScaleAggregate`].
///
/// Implemented by [`CsatScale`] (top box: satisfied) and [`CesScale`] (top box: easy); the
/// trait is sealed, so every scale has been validated by its constructor.
///
/// ```
/// use crm_satisfaction::{BoundedScale, CesScale, CsatScale, SatisfactionError};
///
/// let csat = CsatScale::top_two(1, 7).unwrap();
/// assert_eq!((csat.lowest(), csat.highest(), csat.top_from()), (1, 7, 6));
/// let ces = CesScale::default();
/// assert_eq!((ces.lowest(), ces.highest(), ces.top_from()), (1, 7, 5));
/// assert_eq!(
///     ces.validate_score(0),
///     Err(SatisfactionError::ScoreOutOfScale { score: 0, min: 1, max: 7 })
/// );
/// ```
pub trait BoundedScale:
    Copy + Eq + Hash + Debug + Display + Send + Sync + Serialize + DeserializeOwned + sealed::Sealed
{
    /// Lowest score.
    ///
    /// ```
    /// use crm_satisfaction::{BoundedScale, CsatScale};
    /// assert_eq!(CsatScale::new(0, 10, 9).unwrap().lowest(), 0);
    /// ```
    fn lowest(&self) -> u8 {
        self.bounds().0
    }

    /// Highest score.
    ///
    /// ```
    /// use crm_satisfaction::{BoundedScale, CesScale};
    /// assert_eq!(CesScale::default().highest(), 7);
    /// ```
    fn highest(&self) -> u8 {
        self.bounds().1
    }

    /// First score of the top box: [`CsatScale::satisfied_from`], [`CesScale::easy_from`].
    ///
    /// ```
    /// use crm_satisfaction::{BoundedScale, CesScale, CsatScale};
    /// assert_eq!(CsatScale::top_two(1, 10).unwrap().top_from(), 9);
    /// assert_eq!(CesScale::new(6).unwrap().top_from(), 6);
    /// ```
    fn top_from(&self) -> u8 {
        self.bounds().2
    }

    /// Validates one score: a score outside `lowest..=highest` is
    /// [`SatisfactionError::ScoreOutOfScale`].
    ///
    /// ```
    /// use crm_satisfaction::{BoundedScale, CsatScale};
    /// assert!(CsatScale::default().validate_score(5).is_ok());
    /// assert!(CsatScale::default().validate_score(6).is_err());
    /// ```
    fn validate_score(&self, score: u8) -> Result<(), SatisfactionError> {
        if (self.lowest()..=self.highest()).contains(&score) {
            Ok(())
        } else {
            Err(SatisfactionError::ScoreOutOfScale {
                score,
                min: self.lowest(),
                max: self.highest(),
            })
        }
    }
}

/// Exact counts per point of a [`BoundedScale`]: the aggregate behind [`Csat`](crate::Csat)
/// (`ScaleAggregate<CsatScale>`) and [`Ces`](crate::Ces) (`ScaleAggregate<CesScale>`).
///
/// A commutative monoid over one scale (see [`Aggregator`]): [`new`](Self::new) is the
/// identity, [`merge`](Self::merge) adds the counts and refuses another scale. The mean
/// carries a Wald and a Student t interval, the top-box share a Wald and a Wilson score
/// interval (formulas on [`MeanEstimate`] and [`ProportionEstimate`]).
///
/// ```
/// use crm_satisfaction::{Ces, CesScale, Csat, CsatScale};
///
/// let csat = Csat::from_scores(CsatScale::default(), &[5, 4, 3, 1]).unwrap();
/// assert_eq!((csat.satisfied(), csat.percent(), csat.mean()), (2, Some(50.0), Some(3.25)));
/// let ces = Ces::from_scores(CesScale::default(), &[7, 5, 2, 2]).unwrap();
/// assert_eq!((ces.easy(), ces.mean()), (2, Some(4.0)));
/// ```
#[derive(Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(try_from = "Fields<S>", bound(deserialize = "S: BoundedScale"))]
pub struct ScaleAggregate<S> {
    scale: S,
    counts: PointCounts,
}

/// The serde form of a [`ScaleAggregate`], validated on the way in.
#[derive(Deserialize)]
struct Fields<S> {
    scale: S,
    counts: PointCounts,
}

impl<S: BoundedScale> TryFrom<Fields<S>> for ScaleAggregate<S> {
    type Error = SatisfactionError;
    fn try_from(f: Fields<S>) -> Result<Self, Self::Error> {
        let points = usize::from(f.scale.highest() - f.scale.lowest()) + 1;
        if f.counts.counts[points..].iter().any(|&c| c > 0) {
            return Err(SatisfactionError::InvalidScale {
                min: f.scale.lowest(),
                max: f.scale.highest(),
                threshold: f.scale.top_from(),
                reason: "counts were given for scores outside the scale".into(),
            });
        }
        Ok(Self {
            scale: f.scale,
            counts: f.counts,
        })
    }
}

impl<S: BoundedScale> Debug for ScaleAggregate<S> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct(S::AGGREGATE)
            .field("scale", &self.scale)
            .field("counts", &self.counts)
            .finish()
    }
}

impl<S: BoundedScale + Default> Default for ScaleAggregate<S> {
    fn default() -> Self {
        Self::new(S::default())
    }
}

impl<S: BoundedScale> ScaleAggregate<S> {
    /// The empty aggregate on a scale.
    ///
    /// ```
    /// use crm_satisfaction::{Ces, CesScale, Csat, CsatScale};
    /// assert_eq!(Csat::new(CsatScale::default()).responses(), 0);
    /// assert_eq!(Ces::new(CesScale::new(6).unwrap()).scale().easy_from(), 6);
    /// ```
    pub fn new(scale: S) -> Self {
        Self {
            scale,
            counts: PointCounts::EMPTY,
        }
    }

    /// The scale.
    ///
    /// ```
    /// use crm_satisfaction::{Ces, Csat};
    /// assert_eq!(Csat::default().scale().max(), 5);
    /// assert_eq!(Ces::default().scale().easy_from(), 5);
    /// ```
    pub fn scale(&self) -> S {
        self.scale
    }

    /// Adds one score; an out-of-scale score is a typed error and changes nothing.
    ///
    /// ```
    /// use crm_satisfaction::{Ces, Csat};
    /// let mut c = Csat::default();
    /// c.add(5).unwrap();
    /// assert!(c.add(6).is_err());
    /// assert_eq!(c.responses(), 1);
    /// let mut e = Ces::default();
    /// assert!(e.add(0).is_err());
    /// e.add(7).unwrap();
    /// assert_eq!(e.responses(), 1);
    /// ```
    pub fn add(&mut self, score: u8) -> Result<(), SatisfactionError> {
        self.scale.validate_score(score)?;
        self.counts.counts[usize::from(score - self.scale.lowest())] += 1;
        Ok(())
    }

    /// Merges an aggregate over the same scale (adds the counts); a different scale, or for
    /// CES a different easy threshold, is refused and nothing changes.
    ///
    /// ```
    /// use crm_satisfaction::{Ces, CesScale, Csat, CsatScale};
    /// let mut a = Csat::from_scores(CsatScale::default(), &[5]).unwrap();
    /// a.merge(&Csat::from_scores(CsatScale::default(), &[1]).unwrap()).unwrap();
    /// assert_eq!(a.responses(), 2);
    /// assert!(a.merge(&Csat::new(CsatScale::top_two(1, 7).unwrap())).is_err());
    /// assert!(Ces::default().merge(&Ces::new(CesScale::new(6).unwrap())).is_err());
    /// ```
    pub fn merge(&mut self, other: &Self) -> Result<(), SatisfactionError> {
        self.same_scale(other)?;
        self.counts.merge(&other.counts);
        Ok(())
    }

    /// Aggregates a column with a vectorized count; out-of-scale values make it an error
    /// that names the first one's row and how many there are.
    ///
    /// ```
    /// use crm_satisfaction::{Ces, CesScale, Csat, CsatScale, SatisfactionError};
    /// assert_eq!(Csat::from_scores(CsatScale::default(), &[4, 5]).unwrap().satisfied(), 2);
    /// let err = Ces::from_scores(CesScale::default(), &[7, 8, 1, 9]).unwrap_err();
    /// assert!(matches!(err, SatisfactionError::ColumnOutOfScale { row: 1, rejected: 2, .. }));
    /// ```
    pub fn from_scores(scale: S, scores: &[u8]) -> Result<Self, SatisfactionError> {
        Ok(Self {
            scale,
            counts: PointCounts::from_column(scores, scale.lowest(), scale.highest())?,
        })
    }

    /// Number of responses.
    ///
    /// ```
    /// use crm_satisfaction::{Ces, CesScale};
    /// assert_eq!(Ces::from_scores(CesScale::default(), &[1, 7, 7]).unwrap().responses(), 3);
    /// ```
    pub fn responses(&self) -> u64 {
        self.counts.total()
    }

    /// Count of each score, lowest first.
    ///
    /// ```
    /// use crm_satisfaction::{Csat, CsatScale};
    /// let c = Csat::from_scores(CsatScale::default(), &[2, 2, 5]).unwrap();
    /// assert_eq!(c.counts(), vec![(1, 0), (2, 2), (3, 0), (4, 0), (5, 1)]);
    /// ```
    pub fn counts(&self) -> Vec<(u8, u64)> {
        self.counts.pairs(self.scale.lowest(), self.scale.highest())
    }

    /// Mean score, `None` without responses.
    ///
    /// ```
    /// use crm_satisfaction::{Ces, Csat, CsatScale};
    /// assert_eq!(Csat::from_scores(CsatScale::default(), &[1, 2]).unwrap().mean(), Some(1.5));
    /// assert_eq!(Ces::default().mean(), None);
    /// ```
    pub fn mean(&self) -> Option<f64> {
        self.mean_estimate(&StatsConfig::default()).map(|m| m.mean)
    }

    /// Difference of mean scores (`self − other`) with a z-test; `None` when either side is
    /// empty; a different scale is refused.
    ///
    /// ```
    /// use crm_satisfaction::{Ces, CesScale, Csat, CsatScale, StatsConfig};
    /// let config = StatsConfig::default();
    /// let a = Csat::from_scores(CsatScale::default(), &[5, 4]).unwrap();
    /// let b = Csat::from_scores(CsatScale::default(), &[2, 1]).unwrap();
    /// assert_eq!(a.mean_difference(&b, &config).unwrap().unwrap().estimate, 3.0);
    /// let a = Ces::from_scores(CesScale::default(), &[7, 6]).unwrap();
    /// let b = Ces::from_scores(CesScale::default(), &[3, 2]).unwrap();
    /// assert_eq!(a.mean_difference(&b, &config).unwrap().unwrap().estimate, 4.0);
    /// assert_eq!(a.mean_difference(&Ces::default(), &config), Ok(None));
    /// ```
    pub fn mean_difference(
        &self,
        other: &Self,
        config: &StatsConfig,
    ) -> Result<Option<Difference>, SatisfactionError> {
        self.same_scale(other)?;
        let bound = f64::from(self.scale.highest() - self.scale.lowest());
        Ok(
            match (self.mean_estimate(config), other.mean_estimate(config)) {
                (Some(a), Some(b)) => mean_difference(
                    (a.mean, a.std_dev, a.n),
                    (b.mean, b.std_dev, b.n),
                    bound,
                    config,
                ),
                _ => None,
            },
        )
    }

    /// Responses in the top box.
    pub(crate) fn top_box(&self) -> u64 {
        self.counts.at_least(
            self.scale.lowest(),
            self.scale.top_from(),
            self.scale.highest(),
        )
    }

    /// `100 × top box / responses`, `None` without responses.
    pub(crate) fn top_box_percent(&self) -> Option<f64> {
        let n = self.responses();
        (n > 0).then(|| self.top_box() as f64 * 100.0 / n as f64)
    }

    /// The top-box share with its Wald and Wilson intervals, `None` without responses.
    fn top_box_share(&self, config: &StatsConfig) -> Option<ProportionEstimate> {
        ProportionEstimate::new(self.top_box(), self.responses(), config)
    }

    /// The mean with its Wald and Student t intervals, `None` without responses.
    fn mean_estimate(&self, config: &StatsConfig) -> Option<MeanEstimate> {
        self.counts
            .mean(self.scale.lowest(), self.scale.highest(), config)
    }

    /// Difference of top-box shares in percentage points with the two-proportion z-test.
    fn top_box_difference(
        &self,
        other: &Self,
        config: &StatsConfig,
    ) -> Result<Option<Difference>, SatisfactionError> {
        self.same_scale(other)?;
        Ok(share_difference(
            self.top_box(),
            self.responses(),
            other.top_box(),
            other.responses(),
            100.0,
            config,
        ))
    }

    fn same_scale(&self, other: &Self) -> Result<(), SatisfactionError> {
        if self.scale == other.scale {
            Ok(())
        } else {
            Err(SatisfactionError::ScaleMismatch {
                left: self.scale.to_string(),
                right: other.scale.to_string(),
            })
        }
    }
}

impl<S: BoundedScale> Aggregator for ScaleAggregate<S> {
    fn add(&mut self, score: u8) -> Result<(), SatisfactionError> {
        ScaleAggregate::add(self, score)
    }
    fn merge(&mut self, other: &Self) -> Result<(), SatisfactionError> {
        ScaleAggregate::merge(self, other)
    }
    fn responses(&self) -> u64 {
        ScaleAggregate::responses(self)
    }
    fn empty_like(&self) -> Self {
        Self::new(self.scale)
    }
    /// Below the top box: dissatisfied CSAT, not-easy CES.
    fn is_negative(&self, score: u8) -> Result<bool, SatisfactionError> {
        self.scale.validate_score(score)?;
        Ok(score < self.scale.top_from())
    }
    /// CSAT %, or the mean CES.
    fn headline(&self) -> Option<f64> {
        match S::HEADLINE {
            Headline::TopBoxPercent => self.top_box_percent(),
            Headline::Mean => self.mean(),
        }
    }
    /// The CSAT % difference, or the difference of mean CES.
    fn compare(
        &self,
        earlier: &Self,
        config: &StatsConfig,
    ) -> Result<Option<Difference>, SatisfactionError> {
        match S::HEADLINE {
            Headline::TopBoxPercent => self.top_box_difference(earlier, config),
            Headline::Mean => self.mean_difference(earlier, config),
        }
    }
}

/// Declares, for each metric on a bounded scale, the names it gives the top box: its report
/// (the same fields for every metric, with the top-box count and share under the metric's
/// names), and on its aggregate the `report` method, the top-box count and the top-box
/// share difference.
macro_rules! top_box_metrics {
    ($(
        $(#[$report_doc:meta])*
        $report:ident for $scale:ident {
            $(#[$report_fn_doc:meta])*
            report,
            $(#[$count_doc:meta])*
            $count:ident, $share:ident,
            $(#[$difference_doc:meta])*
            $difference:ident,
        }
    )*) => {$(
        $(#[$report_doc])*
        #[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
        pub struct $report {
            /// The scale.
            pub scale: $scale,
            /// All responses.
            pub responses: u64,
            /// Count of each score, lowest first.
            pub counts: Vec<(u8, u64)>,
            #[doc = concat!(
                "Top-box responses (see [`ScaleAggregate::", stringify!($count), "`])."
            )]
            pub $count: u64,
            /// Fewer responses than [`StatsConfig::min_sample_size`].
            pub small_sample: bool,
            #[doc = concat!(
                "Share of `", stringify!($count), "` responses with Wald and Wilson \
                 intervals; `None` when empty."
            )]
            pub $share: Option<ProportionEstimate>,
            /// Mean score with Wald and Student t intervals; `None` when empty.
            pub mean: Option<MeanEstimate>,
        }

        impl ScaleAggregate<$scale> {
            $(#[$report_fn_doc])*
            pub fn report(&self, config: &StatsConfig) -> $report {
                let n = self.responses();
                $report {
                    scale: self.scale,
                    responses: n,
                    counts: self.counts(),
                    $count: self.top_box(),
                    small_sample: n < config.min_sample_size,
                    $share: self.top_box_share(config),
                    mean: self.mean_estimate(config),
                }
            }

            $(#[$count_doc])*
            pub fn $count(&self) -> u64 {
                self.top_box()
            }

            $(#[$difference_doc])*
            pub fn $difference(
                &self,
                other: &Self,
                config: &StatsConfig,
            ) -> Result<Option<Difference>, SatisfactionError> {
                self.top_box_difference(other, config)
            }
        }
    )*};
}

top_box_metrics! {
    /// CSAT counts with, when there are responses, the statistics.
    ///
    /// ```
    /// use crm_satisfaction::{Csat, StatsConfig};
    /// let r = Csat::default().report(&StatsConfig::default());
    /// assert_eq!(r.responses, 0);
    /// assert!(r.satisfied_share.is_none() && r.mean.is_none());
    /// ```
    CsatReport for CsatScale {
        /// The full report: counts, satisfied share with intervals, mean with intervals, and
        /// the small-sample warning.
        ///
        /// ```
        /// use crm_satisfaction::{Csat, CsatScale, StatsConfig};
        /// let r = Csat::from_scores(CsatScale::default(), &[5, 4, 4, 2]).unwrap()
        ///     .report(&StatsConfig::default());
        /// assert_eq!(r.satisfied_share.unwrap().share, 0.75);
        /// assert_eq!(r.mean.unwrap().mean, 3.75);
        /// assert!(r.small_sample);
        /// ```
        report,
        /// Satisfied responses (scores from [`CsatScale::satisfied_from`] up).
        ///
        /// ```
        /// use crm_satisfaction::{Csat, CsatScale};
        /// assert_eq!(Csat::from_scores(CsatScale::default(), &[4, 5, 3]).unwrap().satisfied(), 2);
        /// ```
        satisfied, satisfied_share,
        /// Difference of CSAT % (`self − other`, in percentage points) with the
        /// two-proportion z-test; `None` when either side is empty; a different scale is
        /// refused.
        ///
        /// ```
        /// use crm_satisfaction::{Csat, CsatScale, StatsConfig};
        /// let a = Csat::from_scores(CsatScale::default(), &[5, 5, 5, 1]).unwrap();
        /// let b = Csat::from_scores(CsatScale::default(), &[5, 1, 1, 1]).unwrap();
        /// let d = a.percent_difference(&b, &StatsConfig::default()).unwrap().unwrap();
        /// assert_eq!(d.estimate, 50.0);
        /// ```
        percent_difference,
    }

    /// CES counts with, when there are responses, the statistics.
    ///
    /// ```
    /// use crm_satisfaction::{Ces, StatsConfig};
    /// let r = Ces::default().report(&StatsConfig::default());
    /// assert_eq!(r.counts.len(), 7);
    /// assert!(r.mean.is_none() && r.easy_share.is_none());
    /// ```
    CesReport for CesScale {
        /// The full report: counts, easy share with intervals, mean with intervals, and the
        /// small-sample warning.
        ///
        /// ```
        /// use crm_satisfaction::{Ces, CesScale, StatsConfig};
        /// let r = Ces::from_scores(CesScale::default(), &[6, 6]).unwrap().report(&StatsConfig::default());
        /// assert_eq!(r.mean.unwrap().mean, 6.0);
        /// assert_eq!(r.easy_share.unwrap().share, 1.0);
        /// ```
        report,
        /// Responses at or above the easy threshold ([`CesScale::easy_from`]).
        ///
        /// ```
        /// use crm_satisfaction::{Ces, CesScale};
        /// assert_eq!(Ces::from_scores(CesScale::default(), &[4, 5]).unwrap().easy(), 1);
        /// ```
        easy, easy_share,
        /// Difference of easy shares in percentage points with the two-proportion z-test;
        /// `None` when either side is empty; a different threshold is refused.
        ///
        /// ```
        /// use crm_satisfaction::{Ces, CesScale, StatsConfig};
        /// let a = Ces::from_scores(CesScale::default(), &[7, 6]).unwrap();
        /// let b = Ces::from_scores(CesScale::default(), &[7, 2]).unwrap();
        /// assert_eq!(a.easy_difference(&b, &StatsConfig::default()).unwrap().unwrap().estimate, 50.0);
        /// ```
        easy_difference,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::{Ces, Csat};

    /// Scales of every shape the crate builds: CSAT of 2 to 11 points with several
    /// thresholds, and every CES easy threshold.
    fn csat_scales() -> Vec<CsatScale> {
        let mut out = Vec::new();
        for min in [0u8, 1, 3] {
            for span in 1..=10 {
                let max = min + span;
                for from in [min + 1, max.midpoint(min + 1), max] {
                    out.push(CsatScale::new(min, max, from).unwrap());
                }
            }
        }
        out
    }

    fn ces_scales() -> Vec<CesScale> {
        (2..=7).map(|e| CesScale::new(e).unwrap()).collect()
    }

    /// A deterministic column on the scale: every point at least once, some more often.
    fn column<S: BoundedScale>(scale: S) -> Vec<u8> {
        let (lo, hi) = (scale.lowest(), scale.highest());
        (0..97u32)
            .map(|i| lo + ((i * i + 3 * i) % u32::from(hi - lo + 1)) as u8)
            .collect()
    }

    /// Every law both metrics share, on one scale.
    fn shared_laws<S: BoundedScale>(scale: S) {
        let config = StatsConfig::default();
        let scores = column(scale);
        let (lo, hi, from) = (scale.lowest(), scale.highest(), scale.top_from());

        // The column kernel equals one-by-one adds, and any split merges to the whole.
        let whole = ScaleAggregate::from_scores(scale, &scores).unwrap();
        let mut one_by_one = ScaleAggregate::new(scale);
        for &s in &scores {
            one_by_one.add(s).unwrap();
        }
        assert_eq!(whole, one_by_one);
        let mut left = ScaleAggregate::from_scores(scale, &scores[..40]).unwrap();
        left.merge(&ScaleAggregate::from_scores(scale, &scores[40..]).unwrap())
            .unwrap();
        assert_eq!(left, whole);

        // Counts, top box, mean and percent against a plain recount.
        let n = scores.len() as u64;
        let top = scores.iter().filter(|&&s| s >= from).count() as u64;
        let sum: u64 = scores.iter().map(|&s| u64::from(s)).sum();
        assert_eq!(whole.responses(), n);
        assert_eq!(whole.counts().len(), usize::from(hi - lo) + 1);
        assert_eq!(whole.counts().iter().map(|&(_, c)| c).sum::<u64>(), n);
        assert_eq!(whole.top_box(), top);
        assert_eq!(whole.mean(), Some(sum as f64 / n as f64));
        assert_eq!(whole.top_box_percent(), Some(top as f64 * 100.0 / n as f64));

        // Out-of-scale scores are typed errors and change nothing.
        let mut a = whole;
        for bad in [lo.wrapping_sub(1), hi + 1, u8::MAX] {
            if (lo..=hi).contains(&bad) {
                continue;
            }
            let expected = SatisfactionError::ScoreOutOfScale {
                score: bad,
                min: lo,
                max: hi,
            };
            assert_eq!(a.add(bad), Err(expected.clone()));
            assert_eq!(a.is_negative(bad), Err(expected));
            assert!(ScaleAggregate::from_scores(scale, &[lo, bad]).is_err());
        }
        assert_eq!(a, whole);

        // The top box splits the scale for driver analysis.
        for s in lo..=hi {
            assert_eq!(a.is_negative(s), Ok(s < from));
        }

        // Empty aggregates report no statistics and compare to nothing.
        let empty = ScaleAggregate::new(scale);
        assert_eq!(empty.responses(), 0);
        assert_eq!((empty.mean(), empty.top_box_percent()), (None, None));
        assert!(empty.top_box_share(&config).is_none());
        assert_eq!(whole.mean_difference(&empty, &config), Ok(None));
        assert_eq!(whole.top_box_difference(&empty, &config), Ok(None));
        assert_eq!(Aggregator::compare(&empty, &whole, &config), Ok(None));

        // Statistics stay inside the scale.
        let m = whole.mean_estimate(&config).unwrap();
        assert!(m.student_t.lower >= f64::from(lo) && m.student_t.upper <= f64::from(hi));
        assert!(m.wald.contains(m.mean) && m.student_t.contains(m.mean));
        let p = whole.top_box_share(&config).unwrap();
        assert!(p.wilson.contains(p.share) && p.wald.contains(p.share));

        // A difference against itself is zero and not significant.
        let d = whole.compare(&whole, &config).unwrap().unwrap();
        assert_eq!((d.estimate, d.significant), (0.0, false));

        // The state survives serde, and counts past the scale are refused on the way in.
        let json = serde_json::to_value(whole).unwrap();
        assert_eq!(
            serde_json::from_value::<ScaleAggregate<S>>(json.clone()).unwrap(),
            whole
        );
        let points = usize::from(hi - lo) + 1;
        if points < crate::MAX_POINTS {
            let mut forged = json;
            forged["counts"]["counts"][points] = 1.into();
            let err = serde_json::from_value::<ScaleAggregate<S>>(forged).unwrap_err();
            assert!(
                err.to_string()
                    .contains("counts were given for scores outside the scale"),
                "{err}"
            );
        }
    }

    /// Aggregates over two different scales refuse to merge or compare, and change nothing.
    fn refuses_other_scale<S: BoundedScale>(a: S, b: S) {
        let config = StatsConfig::default();
        let mut left = ScaleAggregate::from_scores(a, &column(a)).unwrap();
        let before = left;
        let right = ScaleAggregate::from_scores(b, &column(b)).unwrap();
        let mismatch = SatisfactionError::ScaleMismatch {
            left: a.to_string(),
            right: b.to_string(),
        };
        assert_eq!(left.merge(&right), Err(mismatch.clone()));
        assert_eq!(left.mean_difference(&right, &config), Err(mismatch.clone()));
        assert_eq!(
            left.top_box_difference(&right, &config),
            Err(mismatch.clone())
        );
        assert_eq!(left.compare(&right, &config), Err(mismatch));
        assert_eq!(left, before);
    }

    #[test]
    fn every_csat_and_ces_scale_obeys_the_shared_laws() {
        for scale in csat_scales() {
            shared_laws(scale);
        }
        for scale in ces_scales() {
            shared_laws(scale);
        }
    }

    #[test]
    fn different_scales_and_thresholds_are_refused() {
        refuses_other_scale(CsatScale::default(), CsatScale::top_two(1, 7).unwrap());
        refuses_other_scale(CsatScale::default(), CsatScale::new(1, 5, 5).unwrap());
        refuses_other_scale(CesScale::default(), CesScale::new(6).unwrap());
    }

    #[test]
    fn headlines_follow_the_metric() {
        let config = StatsConfig::default();
        let csat = Csat::from_scores(CsatScale::default(), &[5, 4, 1, 1]).unwrap();
        let worse = Csat::from_scores(CsatScale::default(), &[5, 1, 1, 1]).unwrap();
        assert_eq!(csat.headline(), csat.percent());
        assert_eq!(
            csat.compare(&worse, &config),
            csat.percent_difference(&worse, &config)
        );
        let ces = Ces::from_scores(CesScale::default(), &[7, 6, 2]).unwrap();
        let harder = Ces::from_scores(CesScale::default(), &[7, 2, 2]).unwrap();
        assert_eq!(ces.headline(), ces.mean());
        assert_eq!(
            ces.compare(&harder, &config),
            ces.mean_difference(&harder, &config)
        );
    }

    /// The serde form and the `Debug` output are part of the interface: states are stored
    /// and reports are printed by hosts.
    #[test]
    fn json_keys_of_states_and_reports_are_stable() {
        let config = StatsConfig::default();
        let csat = Csat::from_scores(CsatScale::top_two(1, 7).unwrap(), &[7, 6, 3, 1, 1]).unwrap();
        assert_eq!(
            serde_json::to_string(&csat).unwrap(),
            r#"{"scale":{"min":1,"max":7,"satisfied_from":6},"counts":{"counts":[2,0,1,0,0,1,1,0,0,0,0]}}"#
        );
        let ces = Ces::from_scores(CesScale::new(6).unwrap(), &[7, 6, 3, 1, 1, 5]).unwrap();
        assert_eq!(
            serde_json::to_string(&ces).unwrap(),
            r#"{"scale":6,"counts":{"counts":[2,0,1,0,1,1,1,0,0,0,0]}}"#
        );
        let keys = |v: serde_json::Value| -> Vec<String> {
            v.as_object().unwrap().keys().cloned().collect()
        };
        let mut csat_keys = keys(serde_json::to_value(csat.report(&config)).unwrap());
        csat_keys.sort();
        assert_eq!(
            csat_keys,
            [
                "counts",
                "mean",
                "responses",
                "satisfied",
                "satisfied_share",
                "scale",
                "small_sample"
            ]
        );
        let mut ces_keys = keys(serde_json::to_value(ces.report(&config)).unwrap());
        ces_keys.sort();
        assert_eq!(
            ces_keys,
            [
                "counts",
                "easy",
                "easy_share",
                "mean",
                "responses",
                "scale",
                "small_sample"
            ]
        );
        assert_eq!(
            format!("{ces:?}"),
            "Ces { scale: CesScale { easy_from: 6 }, \
             counts: PointCounts { counts: [2, 0, 1, 0, 1, 1, 1, 0, 0, 0, 0] } }"
        );
        assert!(format!("{csat:?}").starts_with("Csat { scale: CsatScale { min: 1,"));
    }
}
