//! Funnel analytics over deal histories: stage-to-stage conversion, time in stage, win rate
//! and weighted pipeline value.

use std::collections::BTreeMap;

use crm_core::{Deal, DealStage, Money};
use rust_decimal::Decimal;
use serde::{Deserialize, Serialize};
use statrs::statistics::{Data, Median};

use super::{DEAL_PIPELINE, OPEN_DEAL_STAGES};
use crate::instance::{Instance, Stay};

/// Win probability per open stage (`won` is 1 and `lost` is 0).
///
/// The defaults are a common starting point: qualification 10 %, needs analysis 20 %,
/// proposal 50 %, negotiation 80 %.
///
/// ```
/// use crm_core::DealStage;
/// use crm_lifecycle::StageProbabilities;
/// use rust_decimal::Decimal;
/// let p = StageProbabilities::default();
/// assert_eq!(p.probability(DealStage::Proposal), Decimal::new(5, 1));
/// assert_eq!(p.probability(DealStage::Won), Decimal::ONE);
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default)]
pub struct StageProbabilities {
    /// Probability for `qualification`.
    pub qualification: Decimal,
    /// Probability for `needs_analysis`.
    pub needs_analysis: Decimal,
    /// Probability for `proposal`.
    pub proposal: Decimal,
    /// Probability for `negotiation`.
    pub negotiation: Decimal,
}

impl Default for StageProbabilities {
    fn default() -> Self {
        Self {
            qualification: Decimal::new(10, 2),
            needs_analysis: Decimal::new(20, 2),
            proposal: Decimal::new(50, 2),
            negotiation: Decimal::new(80, 2),
        }
    }
}

impl StageProbabilities {
    /// The probability of a stage.
    ///
    /// ```
    /// use crm_core::DealStage;
    /// use crm_lifecycle::StageProbabilities;
    /// assert!(StageProbabilities::default().probability(DealStage::Lost).is_zero());
    /// ```
    pub fn probability(&self, stage: DealStage) -> Decimal {
        match stage {
            DealStage::Qualification => self.qualification,
            DealStage::NeedsAnalysis => self.needs_analysis,
            DealStage::Proposal => self.proposal,
            DealStage::Negotiation => self.negotiation,
            DealStage::Won => Decimal::ONE,
            DealStage::Lost => Decimal::ZERO,
        }
    }

    /// Checks that every probability lies in `[0, 1]`.
    ///
    /// ```
    /// use crm_lifecycle::StageProbabilities;
    /// use rust_decimal::Decimal;
    /// let bad = StageProbabilities { proposal: Decimal::new(15, 1), ..Default::default() };
    /// assert!(bad.validate().is_err());
    /// assert!(StageProbabilities::default().validate().is_ok());
    /// ```
    pub fn validate(&self) -> Result<(), FunnelError> {
        for stage in OPEN_DEAL_STAGES {
            let p = self.probability(stage);
            if p < Decimal::ZERO || p > Decimal::ONE {
                return Err(FunnelError::InvalidProbability {
                    stage: stage.as_str().to_string(),
                    value: p,
                });
            }
        }
        Ok(())
    }
}

/// Why the funnel could not be computed.
///
/// ```
/// use crm_lifecycle::FunnelError;
/// let e = FunnelError::StageMismatch { deal: "D-1".into(), stage: "won".into(), state: "proposal".into() };
/// assert_eq!(e.to_string(), "deal D-1: stage is \"won\" but its history ends in \"proposal\"");
/// ```
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, thiserror::Error)]
#[non_exhaustive]
pub enum FunnelError {
    /// A probability outside `[0, 1]`.
    #[error("stage probability for {stage:?} is {value}, outside [0, 1]")]
    InvalidProbability {
        /// The stage.
        stage: String,
        /// The probability given.
        value: Decimal,
    },
    /// The history is not a deal pipeline history.
    #[error("deal {deal}: history belongs to machine {machine:?}, not \"deal\"")]
    WrongMachine {
        /// The deal's id.
        deal: String,
        /// The history's machine.
        machine: String,
    },
    /// The history visits a state that is not a deal stage.
    #[error("deal {deal}: history state {state:?} is not a deal stage")]
    UnknownStage {
        /// The deal's id.
        deal: String,
        /// The state.
        state: String,
    },
    /// The deal's stage and its history's current state disagree.
    #[error("deal {deal}: stage is {stage:?} but its history ends in {state:?}")]
    StageMismatch {
        /// The deal's id.
        deal: String,
        /// The deal's stage.
        stage: String,
        /// The history's state.
        state: String,
    },
    /// The weighted pipeline does not fit a `Decimal`.
    #[error("deal {deal}: weighted pipeline value overflows")]
    Overflow {
        /// The deal whose amount overflowed the total.
        deal: String,
    },
}

/// Conversion between two consecutive funnel stages.
///
/// ```
/// use crm_core::DealStage;
/// use crm_lifecycle::StageConversion;
/// let c = StageConversion { from: DealStage::Proposal, to: DealStage::Negotiation, reached_from: 8, reached_to: 6 };
/// assert_eq!(c.rate(), Some(0.75));
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct StageConversion {
    /// The earlier stage.
    pub from: DealStage,
    /// The next stage (`won` after `negotiation`).
    pub to: DealStage,
    /// Deals that reached `from`.
    pub reached_from: usize,
    /// Deals that reached `to`.
    pub reached_to: usize,
}

impl StageConversion {
    /// `reached_to / reached_from`, `None` when no deal reached `from`.
    ///
    /// ```
    /// use crm_core::DealStage;
    /// use crm_lifecycle::StageConversion;
    /// let c = StageConversion { from: DealStage::Negotiation, to: DealStage::Won, reached_from: 0, reached_to: 0 };
    /// assert_eq!(c.rate(), None);
    /// ```
    pub fn rate(&self) -> Option<f64> {
        (self.reached_from > 0).then(|| self.reached_to as f64 / self.reached_from as f64)
    }
}

/// Time spent in one stage over completed stays.
///
/// ```
/// use crm_core::DealStage;
/// use crm_lifecycle::StageTime;
/// let t = StageTime { stage: DealStage::Proposal, stays: 0, mean_seconds: None, median_seconds: None };
/// assert_eq!(t.stays, 0);
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub struct StageTime {
    /// The stage.
    pub stage: DealStage,
    /// Completed stays counted.
    pub stays: usize,
    /// Mean stay in seconds.
    pub mean_seconds: Option<f64>,
    /// Median stay in seconds.
    pub median_seconds: Option<f64>,
}

/// The funnel over a set of deals.
///
/// See [`analyze_funnel`] for the definitions and an example.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct FunnelReport {
    /// Deals analysed.
    pub deals: usize,
    /// Deals still open.
    pub open: usize,
    /// Deals won.
    pub won: usize,
    /// Deals lost.
    pub lost: usize,
    /// `won / (won + lost)`, `None` when no deal is closed.
    pub win_rate: Option<f64>,
    /// Conversions qualification → needs analysis → proposal → negotiation → won.
    pub conversions: Vec<StageConversion>,
    /// Time in each open stage, in pipeline order.
    pub time_in_stage: Vec<StageTime>,
    /// Σ amount of open deals, one entry per currency (sorted by currency code).
    pub open_pipeline: Vec<Money>,
    /// Σ amount × stage probability of open deals, one entry per currency.
    pub weighted_pipeline: Vec<Money>,
}

/// The funnel position of a stage: 0..=3 for the open stages, 4 for won, `None` for lost.
fn rank(stage: DealStage) -> Option<usize> {
    match stage {
        DealStage::Won => Some(OPEN_DEAL_STAGES.len()),
        DealStage::Lost => None,
        open => OPEN_DEAL_STAGES.iter().position(|s| *s == open),
    }
}

fn add_money(
    totals: &mut BTreeMap<&'static str, Money>,
    value: Money,
    deal: &Deal,
) -> Result<(), FunnelError> {
    let code = value.currency().code();
    let total = match totals.get(code) {
        Some(sum) => sum.checked_add(&value).map_err(|_| FunnelError::Overflow {
            deal: deal.id.to_string(),
        })?,
        None => value,
    };
    totals.insert(code, total);
    Ok(())
}

/// Computes the funnel over `(deal, history)` pairs.
///
/// Input is a set of `(Deal, Instance)` pairs, where the instance is the deal's history on
/// the [deal pipeline](crate::DEAL_PIPELINE). Definitions:
///
/// * A deal has **reached** a funnel stage when it entered that stage or any later one
///   (`won` counts as beyond `negotiation`; `lost` reaches nothing further). The conversion
///   from stage *k* to stage *k + 1* is `reached(k + 1) / reached(k)`, and the last step is
///   `negotiation → won`.
/// * **Time in stage** is measured over completed stays only (the deal entered and left the
///   stage); a deal still sitting in a stage does not count yet.
/// * **Win rate** is `won / (won + lost)` over closed deals.
/// * **Weighted pipeline value** is `Σ amount × probability(stage)` over open deals, exact in
///   `Decimal`, one total per currency.
///
/// ```
/// use chrono::{TimeDelta, TimeZone, Utc};
/// use crm_core::{Deal, DealStage, Money};
/// use crm_lifecycle::{DEAL_PIPELINE, Instance, StageProbabilities, analyze_funnel};
///
/// let m = DEAL_PIPELINE.machine();
/// let t0 = Utc.with_ymd_and_hms(2024, 1, 1, 0, 0, 0).unwrap();
/// let mut d = Deal::new("D-1".parse()?, "C-1".parse()?, "Renewal", "1000 EUR".parse()?, t0)?;
/// let mut h = Instance::new(&m, t0);
/// h.fire(&m, "advance", t0 + TimeDelta::days(2), None)?;
/// h.fire(&m, "advance", t0 + TimeDelta::days(5), None)?;
/// d.stage = DealStage::Proposal;
///
/// let report = analyze_funnel([(&d, &h)], &StageProbabilities::default())?;
/// assert_eq!(report.weighted_pipeline, vec!["500 EUR".parse::<Money>()?]); // 1000 × 50 %
/// assert_eq!(report.conversions[0].rate(), Some(1.0)); // qualification → needs analysis
/// assert_eq!(report.time_in_stage[0].mean_seconds, Some(2.0 * 86_400.0));
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
pub fn analyze_funnel<'a>(
    deals: impl IntoIterator<Item = (&'a Deal, &'a Instance)>,
    probabilities: &StageProbabilities,
) -> Result<FunnelReport, FunnelError> {
    probabilities.validate()?;
    let mut funnel = FunnelAccumulator::default();
    for (deal, history) in deals {
        let stays = deal_stays(deal, history)?;
        funnel.add(deal, &stays, probabilities)?;
    }
    Ok(funnel.finish())
}

/// A deal's history as `(stage, stay)` pairs, after checking that the history belongs to
/// the deal pipeline and ends in the deal's stage.
pub(crate) fn deal_stays(
    deal: &Deal,
    history: &Instance,
) -> Result<Vec<(DealStage, Stay)>, FunnelError> {
    let id = || deal.id.to_string();
    if history.machine() != DEAL_PIPELINE.name() {
        return Err(FunnelError::WrongMachine {
            deal: id(),
            machine: history.machine().to_string(),
        });
    }
    if history.state() != deal.stage.as_str() {
        return Err(FunnelError::StageMismatch {
            deal: id(),
            stage: deal.stage.as_str().to_string(),
            state: history.state().to_string(),
        });
    }
    history
        .stays()
        .into_iter()
        .map(|stay| {
            let stage =
                DEAL_PIPELINE
                    .state(&stay.state)
                    .ok_or_else(|| FunnelError::UnknownStage {
                        deal: id(),
                        state: stay.state.to_string(),
                    })?;
            Ok((stage, stay))
        })
        .collect()
}

/// The running state of a funnel: deals are added one at a time (checked by
/// [`deal_stays`]), and [`finish`](Self::finish) turns the counts into a [`FunnelReport`].
#[derive(Debug, Clone, Default)]
pub(crate) struct FunnelAccumulator {
    reached: [usize; OPEN_DEAL_STAGES.len() + 1],
    stays: [Vec<f64>; OPEN_DEAL_STAGES.len()],
    count: usize,
    won: usize,
    lost: usize,
    open_totals: BTreeMap<&'static str, Money>,
    weighted_totals: BTreeMap<&'static str, Money>,
}

impl FunnelAccumulator {
    /// Adds one deal with its checked stays; `probabilities` must be valid.
    pub(crate) fn add(
        &mut self,
        deal: &Deal,
        stays: &[(DealStage, Stay)],
        probabilities: &StageProbabilities,
    ) -> Result<(), FunnelError> {
        self.count += 1;
        let mut furthest: Option<usize> = None;
        for (stage, stay) in stays {
            if let Some(r) = rank(*stage) {
                furthest = furthest.max(Some(r));
            }
            if let (Some(left), Some(pos)) =
                (stay.left, OPEN_DEAL_STAGES.iter().position(|s| s == stage))
            {
                self.stays[pos].push((left - stay.entered).num_seconds() as f64);
            }
        }
        if let Some(f) = furthest {
            for r in self.reached.iter_mut().take(f + 1) {
                *r += 1;
            }
        }
        match deal.stage {
            DealStage::Won => self.won += 1,
            DealStage::Lost => self.lost += 1,
            open => {
                add_money(&mut self.open_totals, deal.amount, deal)?;
                let weighted = deal
                    .amount
                    .checked_mul(probabilities.probability(open))
                    .map_err(|_| FunnelError::Overflow {
                        deal: deal.id.to_string(),
                    })?;
                add_money(&mut self.weighted_totals, weighted, deal)?;
            }
        }
        Ok(())
    }

    /// How many deals were added.
    pub(crate) fn deals(&self) -> usize {
        self.count
    }

    /// The report over the deals added so far.
    pub(crate) fn finish(self) -> FunnelReport {
        let reached = self.reached;
        let conversions = (0..OPEN_DEAL_STAGES.len())
            .map(|k| StageConversion {
                from: OPEN_DEAL_STAGES[k],
                to: OPEN_DEAL_STAGES
                    .get(k + 1)
                    .copied()
                    .unwrap_or(DealStage::Won),
                reached_from: reached[k],
                reached_to: reached[k + 1],
            })
            .collect();
        let time_in_stage = OPEN_DEAL_STAGES
            .iter()
            .zip(self.stays)
            .map(|(stage, values)| {
                let n = values.len();
                let mean = (n > 0).then(|| values.iter().sum::<f64>() / n as f64);
                let median = (n > 0).then(|| Data::new(values).median());
                StageTime {
                    stage: *stage,
                    stays: n,
                    mean_seconds: mean,
                    median_seconds: median,
                }
            })
            .collect();
        let (count, won, lost) = (self.count, self.won, self.lost);
        FunnelReport {
            deals: count,
            open: count - won - lost,
            won,
            lost,
            win_rate: (won + lost > 0).then(|| won as f64 / (won + lost) as f64),
            conversions,
            time_in_stage,
            open_pipeline: self.open_totals.into_values().collect(),
            weighted_pipeline: self.weighted_totals.into_values().collect(),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::{DateTime, TimeDelta, TimeZone, Utc};
    use rust_decimal_macros::dec;

    fn t0() -> DateTime<Utc> {
        Utc.with_ymd_and_hms(2024, 1, 1, 0, 0, 0).unwrap()
    }

    /// A deal with an amount and a path of (event, day) steps.
    fn deal(id: &str, amount: &str, path: &[(&str, i64)]) -> (Deal, Instance) {
        let m = crate::DEAL_PIPELINE.machine();
        let mut h = Instance::new(&m, t0());
        for (event, day) in path {
            h.fire(&m, event, t0() + TimeDelta::days(*day), None)
                .unwrap();
        }
        let mut d = Deal::new(
            id.parse().unwrap(),
            "C-1".parse().unwrap(),
            "deal",
            amount.parse().unwrap(),
            t0(),
        )
        .unwrap();
        d.stage = h.state().parse().unwrap();
        (d, h)
    }

    /// Hand-computed table over six deals:
    ///
    /// | deal | path | reached |
    /// |---|---|---|
    /// | D-1 | Q(2d) NA(3d) P(5d) N → won | Q NA P N W |
    /// | D-2 | Q(1d) NA(4d) P → won (shortcut) | Q NA P N W |
    /// | D-3 | Q(4d) → lost | Q |
    /// | D-4 | Q(2d) NA(1d) P (open, 1000 EUR) | Q NA P |
    /// | D-5 | Q (open, 200 EUR) | Q |
    /// | D-6 | Q(6d) NA(2d) P(3d) N → lost | Q NA P N |
    ///
    /// reached = [6, 4, 4, 3, 2]; conversions 4/6, 4/4, 3/4, 2/3; win rate 2/4.
    #[test]
    fn hand_computed_funnel() {
        let deals = [
            deal(
                "D-1",
                "5000 EUR",
                &[("advance", 2), ("advance", 5), ("advance", 10), ("win", 12)],
            ),
            deal(
                "D-2",
                "3000 EUR",
                &[("advance", 1), ("advance", 5), ("win", 7)],
            ),
            deal("D-3", "800 EUR", &[("lose", 4)]),
            deal("D-4", "1000 EUR", &[("advance", 2), ("advance", 3)]),
            deal("D-5", "200 EUR", &[]),
            deal(
                "D-6",
                "700 USD",
                &[
                    ("advance", 6),
                    ("advance", 8),
                    ("advance", 11),
                    ("lose", 20),
                ],
            ),
        ];
        let report = analyze_funnel(
            deals.iter().map(|(d, h)| (d, h)),
            &StageProbabilities::default(),
        )
        .unwrap();
        assert_eq!(
            (report.deals, report.open, report.won, report.lost),
            (6, 2, 2, 2)
        );
        assert_eq!(report.win_rate, Some(0.5));
        let reached: Vec<_> = report
            .conversions
            .iter()
            .map(|c| (c.reached_from, c.reached_to))
            .collect();
        assert_eq!(reached, vec![(6, 4), (4, 4), (4, 3), (3, 2)]);
        assert_eq!(report.conversions[3].to, DealStage::Won);
        // qualification stays: 2, 1, 4, 2, 6 days (D-5 still open) -> mean 3, median 2
        let q = &report.time_in_stage[0];
        assert_eq!(q.stays, 5);
        assert_eq!(q.mean_seconds, Some(3.0 * 86_400.0));
        assert_eq!(q.median_seconds, Some(2.0 * 86_400.0));
        // needs analysis: 3, 4, 1, 2 days -> mean 2.5, median 2.5
        let na = &report.time_in_stage[1];
        assert_eq!((na.stays, na.mean_seconds), (4, Some(2.5 * 86_400.0)));
        assert_eq!(na.median_seconds, Some(2.5 * 86_400.0));
        // proposal: D-1 5 d, D-2 2 d, D-6 3 d (D-4 open) -> mean 10/3 d, median 3 d
        let p = &report.time_in_stage[2];
        assert_eq!(p.stays, 3);
        assert!((p.mean_seconds.unwrap() - 10.0 / 3.0 * 86_400.0).abs() < 1e-6);
        assert_eq!(p.median_seconds, Some(3.0 * 86_400.0));
        // negotiation: D-1 2 d, D-6 9 d
        assert_eq!(report.time_in_stage[3].median_seconds, Some(5.5 * 86_400.0));
        // open: D-4 1000 EUR at 50 %, D-5 200 EUR at 10 % -> 520 EUR weighted
        assert_eq!(
            report.open_pipeline,
            vec!["1200 EUR".parse::<Money>().unwrap()]
        );
        assert_eq!(report.weighted_pipeline.len(), 1);
        assert_eq!(report.weighted_pipeline[0].amount(), dec!(520));
        // custom probabilities
        let custom = StageProbabilities {
            proposal: dec!(0.25),
            qualification: dec!(0),
            ..Default::default()
        };
        let report = analyze_funnel(deals.iter().map(|(d, h)| (d, h)), &custom).unwrap();
        assert_eq!(report.weighted_pipeline[0].amount(), dec!(250));
    }

    #[test]
    fn pipeline_is_kept_per_currency() {
        let deals = [
            deal("D-1", "100 USD", &[]),
            deal("D-2", "100 EUR", &[("advance", 1)]),
            deal("D-3", "50 USD", &[("advance", 1), ("advance", 2)]),
        ];
        let report = analyze_funnel(
            deals.iter().map(|(d, h)| (d, h)),
            &StageProbabilities::default(),
        )
        .unwrap();
        let weighted: Vec<String> = report
            .weighted_pipeline
            .iter()
            .map(|m| m.to_string())
            .collect();
        // EUR 100 × 0.20; USD 100 × 0.10 + 50 × 0.50
        assert_eq!(weighted, vec!["20.00 EUR", "35.00 USD"]);
        assert_eq!(report.win_rate, None);
    }

    #[test]
    fn inconsistent_inputs_are_typed_errors() {
        let (mut d, h) = deal("D-7", "10 EUR", &[("advance", 1)]);
        d.stage = DealStage::Won;
        let err = analyze_funnel([(&d, &h)], &StageProbabilities::default()).unwrap_err();
        assert_eq!(
            err,
            FunnelError::StageMismatch {
                deal: "D-7".into(),
                stage: "won".into(),
                state: "needs_analysis".into()
            }
        );
        let ticket = crate::TICKET_WORKFLOW.machine();
        let other = Instance::new(&ticket, t0());
        let err = analyze_funnel([(&d, &other)], &StageProbabilities::default()).unwrap_err();
        assert!(matches!(err, FunnelError::WrongMachine { .. }));
        let bad = StageProbabilities {
            negotiation: dec!(-0.1),
            ..Default::default()
        };
        assert!(matches!(
            analyze_funnel([(&d, &h)], &bad),
            Err(FunnelError::InvalidProbability { .. })
        ));
    }
}
