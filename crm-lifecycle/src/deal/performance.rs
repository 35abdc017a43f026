//! Sales performance per owner and period: the funnel of the deals an owner opened in a
//! period, the deals that entered each stage during it, the outcomes of the deals closed
//! in it (win rate, average deal size, sales cycle, pipeline velocity) and the owner's
//! activity (calls, meetings, e-mails) beside them.

use std::collections::BTreeMap;

use chrono::{DateTime, NaiveDate, NaiveTime, TimeDelta, Utc};
use crm_core::{Channel, Currency, Deal, DealStage, Interaction, Money, UserId};
use rust_decimal::Decimal;
use serde::{Deserialize, Serialize};

use super::funnel::{FunnelAccumulator, FunnelError, FunnelReport, StageProbabilities, deal_stays};
use crate::instance::Instance;

/// A calendar period of whole UTC days, `start` and `end` both included (`2024-01-01` to
/// `2024-03-31` is the first quarter of 2024).
///
/// ```
/// use chrono::{NaiveDate, TimeZone, Utc};
/// use crm_lifecycle::SalesPeriod;
/// let q1 = SalesPeriod::new(
///     NaiveDate::from_ymd_opt(2024, 1, 1).unwrap(),
///     NaiveDate::from_ymd_opt(2024, 3, 31).unwrap(),
/// )?;
/// assert_eq!(q1.days(), 91);
/// assert!(q1.contains(Utc.with_ymd_and_hms(2024, 3, 31, 23, 59, 59).unwrap()));
/// assert!(!q1.contains(Utc.with_ymd_and_hms(2024, 4, 1, 0, 0, 0).unwrap()));
/// # Ok::<(), crm_lifecycle::PerformanceError>(())
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
pub struct SalesPeriod {
    /// The first day.
    pub start: NaiveDate,
    /// The last day (included).
    pub end: NaiveDate,
}

impl SalesPeriod {
    /// A period from `start` to `end`, both included; `end` must not be before `start`.
    ///
    /// ```
    /// use chrono::NaiveDate;
    /// use crm_lifecycle::SalesPeriod;
    /// let d = |m, day| NaiveDate::from_ymd_opt(2024, m, day).unwrap();
    /// let err = SalesPeriod::new(d(3, 1), d(2, 1)).unwrap_err();
    /// assert_eq!(err.to_string(), "period 2024-03-01..=2024-02-01: ends before it starts");
    /// ```
    pub fn new(start: NaiveDate, end: NaiveDate) -> Result<SalesPeriod, PerformanceError> {
        let period = SalesPeriod { start, end };
        period.validate()?;
        Ok(period)
    }

    /// Checks that the period does not end before it starts.
    ///
    /// ```
    /// use chrono::NaiveDate;
    /// use crm_lifecycle::SalesPeriod;
    /// let day = NaiveDate::from_ymd_opt(2024, 5, 1).unwrap();
    /// assert!(SalesPeriod { start: day, end: day }.validate().is_ok());
    /// ```
    pub fn validate(&self) -> Result<(), PerformanceError> {
        if self.end < self.start || self.end == NaiveDate::MAX {
            return Err(PerformanceError::InvalidPeriod { period: *self });
        }
        Ok(())
    }

    /// The first instant of the period (midnight UTC of `start`).
    ///
    /// ```
    /// use chrono::{NaiveDate, TimeZone, Utc};
    /// use crm_lifecycle::SalesPeriod;
    /// let day = NaiveDate::from_ymd_opt(2024, 5, 1).unwrap();
    /// let p = SalesPeriod { start: day, end: day };
    /// assert_eq!(p.start_time(), Utc.with_ymd_and_hms(2024, 5, 1, 0, 0, 0).unwrap());
    /// ```
    pub fn start_time(&self) -> DateTime<Utc> {
        self.start.and_time(NaiveTime::MIN).and_utc()
    }

    /// The first instant after the period (midnight UTC after `end`).
    ///
    /// ```
    /// use chrono::{NaiveDate, TimeZone, Utc};
    /// use crm_lifecycle::SalesPeriod;
    /// let day = NaiveDate::from_ymd_opt(2024, 5, 1).unwrap();
    /// let p = SalesPeriod { start: day, end: day };
    /// assert_eq!(p.end_time(), Utc.with_ymd_and_hms(2024, 5, 2, 0, 0, 0).unwrap());
    /// ```
    pub fn end_time(&self) -> DateTime<Utc> {
        self.end
            .succ_opt()
            .unwrap_or(NaiveDate::MAX)
            .and_time(NaiveTime::MIN)
            .and_utc()
    }

    /// Whether an instant falls within the period.
    ///
    /// ```
    /// use chrono::{NaiveDate, TimeZone, Utc};
    /// use crm_lifecycle::SalesPeriod;
    /// let day = NaiveDate::from_ymd_opt(2024, 5, 1).unwrap();
    /// let p = SalesPeriod { start: day, end: day };
    /// assert!(p.contains(Utc.with_ymd_and_hms(2024, 5, 1, 12, 0, 0).unwrap()));
    /// ```
    pub fn contains(&self, at: DateTime<Utc>) -> bool {
        self.start_time() <= at && at < self.end_time()
    }

    /// The number of days in the period.
    ///
    /// ```
    /// use chrono::NaiveDate;
    /// use crm_lifecycle::SalesPeriod;
    /// let day = NaiveDate::from_ymd_opt(2024, 5, 1).unwrap();
    /// assert_eq!(SalesPeriod { start: day, end: day }.days(), 1);
    /// ```
    pub fn days(&self) -> i64 {
        (self.end - self.start).num_days() + 1
    }
}

impl std::fmt::Display for SalesPeriod {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{}..={}", self.start, self.end)
    }
}

/// Why a sales performance or quota figure could not be computed.
///
/// ```
/// use crm_core::Currency;
/// use crm_lifecycle::PerformanceError;
/// let e = PerformanceError::CurrencyMismatch {
///     deal: "D-1".into(),
///     owner: "ann".into(),
///     expected: Currency::EUR,
///     found: Currency::USD,
/// };
/// assert_eq!(e.to_string(), "deal D-1 of owner ann: amount in USD, the analysis is in EUR");
/// ```
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum PerformanceError {
    /// A deal's history is not a valid deal pipeline history.
    #[error(transparent)]
    Funnel(#[from] FunnelError),
    /// A period that ends before it starts (or ends on the last representable day).
    #[error("period {period}: ends before it starts")]
    InvalidPeriod {
        /// The period.
        period: SalesPeriod,
    },
    /// A deal or quota in another currency than the analysis.
    #[error(
        "deal {deal} of owner {owner}: amount in {}, the analysis is in {}",
        found.code(),
        expected.code()
    )]
    CurrencyMismatch {
        /// The deal's id (or `quota` for a quota's target).
        deal: String,
        /// The owner (`unassigned` when the deal has none).
        owner: String,
        /// The analysis currency.
        expected: Currency,
        /// The deal's currency.
        found: Currency,
    },
    /// A quota whose target is negative.
    #[error("quota of owner {owner} for {period}: target {target} is negative")]
    NegativeTarget {
        /// The owner.
        owner: String,
        /// The quota's period.
        period: SalesPeriod,
        /// The target.
        target: Money,
    },
    /// A sum or ratio that does not fit a `Decimal`.
    #[error("owner {owner}, period {period}: {figure} overflows")]
    Overflow {
        /// The owner.
        owner: String,
        /// The period.
        period: SalesPeriod,
        /// The figure that overflowed.
        figure: &'static str,
    },
}

/// How to compute sales performance: the currency every deal is in, and the win
/// probability of each open stage for weighted pipeline values.
///
/// ```
/// use crm_core::Currency;
/// use crm_lifecycle::PerformanceConfig;
/// let config = PerformanceConfig::new(Currency::EUR);
/// assert_eq!(config.probabilities, Default::default());
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct PerformanceConfig {
    /// Every deal must be in this currency.
    pub currency: Currency,
    /// Win probability per open stage (see [`StageProbabilities`] for the defaults).
    #[serde(default)]
    pub probabilities: StageProbabilities,
}

impl PerformanceConfig {
    /// A configuration in `currency` with the default stage probabilities.
    ///
    /// ```
    /// use crm_core::Currency;
    /// use crm_lifecycle::PerformanceConfig;
    /// assert_eq!(PerformanceConfig::new(Currency::USD).currency, Currency::USD);
    /// ```
    pub fn new(currency: Currency) -> Self {
        Self {
            currency,
            probabilities: StageProbabilities::default(),
        }
    }
}

/// How many deals entered a stage during a period.
///
/// ```
/// use crm_core::DealStage;
/// use crm_lifecycle::StageCount;
/// let c = StageCount { stage: DealStage::Won, deals: 3 };
/// assert_eq!(c.deals, 3);
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct StageCount {
    /// The stage.
    pub stage: DealStage,
    /// Deals that entered it during the period.
    pub deals: usize,
}

/// The deals an owner closed during a period, and what they say about the pipeline.
///
/// With `W` won and `L` lost deals closed in the period, `V` the value of the won deals,
/// `C` the mean sales cycle of the won deals in days (from opening to winning) and `N` the
/// deals opened in the period:
///
/// * win rate `W / (W + L)`;
/// * average deal size `V / W`;
/// * pipeline velocity `N × win rate × average deal size / C`, the value the pipeline
///   turns into won business per day, computed exactly as `N·V / ((W + L)·C)`.
///
/// ```
/// use crm_lifecycle::Outcomes;
/// let none = Outcomes::default();
/// assert_eq!((none.won, none.win_rate()), (0, None));
/// ```
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize, Deserialize)]
pub struct Outcomes {
    /// Deals won during the period.
    pub won: usize,
    /// Deals lost during the period.
    pub lost: usize,
    /// Value of the deals won (`None` when none was won).
    pub won_value: Option<Money>,
    /// `won_value / won`.
    pub average_deal_size: Option<Money>,
    /// Mean days from opening to winning over the deals won.
    pub average_cycle_days: Option<Decimal>,
    /// Pipeline velocity per day (definition above); `None` when no deal was won or the
    /// mean cycle is zero.
    pub velocity_per_day: Option<Money>,
}

impl Outcomes {
    /// `won / (won + lost)`, `None` when no deal closed.
    ///
    /// ```
    /// use crm_lifecycle::Outcomes;
    /// let o = Outcomes { won: 1, lost: 3, ..Default::default() };
    /// assert_eq!(o.win_rate(), Some(0.25));
    /// ```
    pub fn win_rate(&self) -> Option<f64> {
        let closed = self.won + self.lost;
        (closed > 0).then(|| self.won as f64 / closed as f64)
    }
}

/// An owner's contacts with customers during a period, from the interactions they handled
/// (`Interaction::agent`).
///
/// ```
/// use crm_lifecycle::Activity;
/// let a = Activity { calls: 4, meetings: 1, emails: 10, other: 2 };
/// assert_eq!(a.total(), 17);
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize)]
pub struct Activity {
    /// Phone calls.
    pub calls: usize,
    /// Meetings (in person or video).
    pub meetings: usize,
    /// E-mails.
    pub emails: usize,
    /// Every other channel.
    pub other: usize,
}

impl Activity {
    /// Every interaction counted.
    ///
    /// ```
    /// use crm_lifecycle::Activity;
    /// assert_eq!(Activity::default().total(), 0);
    /// ```
    pub fn total(&self) -> usize {
        self.calls + self.meetings + self.emails + self.other
    }

    fn count(&mut self, channel: Channel) {
        match channel {
            Channel::Phone => self.calls += 1,
            Channel::Meeting => self.meetings += 1,
            Channel::Email => self.emails += 1,
            _ => self.other += 1,
        }
    }
}

/// One owner's sales performance in one period. See [`sales_performance`].
///
/// ```
/// use chrono::{NaiveDate, TimeZone, Utc};
/// use crm_core::{Channel, Currency, Direction, Interaction};
/// use crm_lifecycle::{PerformanceConfig, SalesPeriod, sales_performance};
/// let day = NaiveDate::from_ymd_opt(2024, 1, 1).unwrap();
/// let mut call = Interaction::new(1.into(), 7.into(), Channel::Phone, Direction::Outbound,
///     Utc.with_ymd_and_hms(2024, 1, 1, 10, 0, 0).unwrap());
/// call.agent = Some("bob".parse()?);
/// let rows = sales_performance([], [&call], &[SalesPeriod::new(day, day)?],
///     &PerformanceConfig::new(Currency::EUR))?;
/// assert_eq!(rows[0].owner, Some("bob".parse()?));
/// assert_eq!((rows[0].activity.calls, rows[0].funnel.deals), (1, 0));
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct OwnerPerformance {
    /// The owner; `None` collects the deals without one.
    pub owner: Option<UserId>,
    /// The period.
    pub period: SalesPeriod,
    /// The funnel of the deals opened in the period (their whole history since).
    pub funnel: FunnelReport,
    /// Deals that entered each stage during the period, in the order of
    /// [`DealStage::ALL`].
    pub entered: Vec<StageCount>,
    /// The deals closed during the period.
    pub outcomes: Outcomes,
    /// The owner's interactions during the period.
    pub activity: Activity,
}

/// Per owner and period running state.
#[derive(Default)]
struct Cell {
    funnel: FunnelAccumulator,
    entered: [usize; 6],
    won: usize,
    lost: usize,
    won_value: Decimal,
    cycle_seconds: i128,
    activity: Activity,
}

fn stage_index(stage: DealStage) -> usize {
    DealStage::ALL.iter().position(|s| *s == stage).unwrap_or(0)
}

fn owner_name(owner: Option<&UserId>) -> String {
    owner.map_or_else(|| "unassigned".to_string(), ToString::to_string)
}

/// Sales performance per owner and period.
///
/// For every owner (of a deal, or the agent of an interaction) and every period, one
/// [`OwnerPerformance`], ordered by owner (`None` first) and then by period:
///
/// * `funnel`: [`analyze_funnel`](crate::analyze_funnel) over the owner's deals opened in
///   the period (history started in it), with their whole history since;
/// * `entered`: the owner's deals that entered each stage during the period (a deal's
///   first stage is entered when its history starts);
/// * `outcomes`: the owner's deals won or lost during the period (by the time their
///   history entered `won` or `lost`), with the formulas on [`Outcomes`]; the deals opened
///   in the period are the velocity's `N`;
/// * `activity`: the interactions the owner handled during the period, by channel.
///
/// Periods may overlap (a quarter and its months). Every deal must be in
/// `config.currency`; money is exact (`Decimal`), rates are `f64`. Work is linear in
/// deals, history entries and interactions times the number of periods.
///
/// ```
/// use chrono::{NaiveDate, TimeDelta, TimeZone, Utc};
/// use crm_core::{Currency, Deal, DealStage};
/// use crm_lifecycle::{DEAL_PIPELINE, Instance, PerformanceConfig, SalesPeriod, sales_performance};
///
/// let m = DEAL_PIPELINE.machine();
/// let t0 = Utc.with_ymd_and_hms(2024, 1, 2, 9, 0, 0).unwrap();
/// let mut d = Deal::new("D-1".parse()?, "C-1".parse()?, "Renewal", "1000 EUR".parse()?, t0)?;
/// d.owner = Some("ann".parse()?);
/// let mut h = Instance::new(&m, t0);
/// h.fire(&m, "advance", t0 + TimeDelta::days(2), None)?;
/// h.fire(&m, "advance", t0 + TimeDelta::days(4), None)?;
/// h.fire(&m, "win", t0 + TimeDelta::days(10), None)?;
/// d.stage = DealStage::Won;
///
/// let jan = SalesPeriod::new(
///     NaiveDate::from_ymd_opt(2024, 1, 1).unwrap(),
///     NaiveDate::from_ymd_opt(2024, 1, 31).unwrap(),
/// )?;
/// let rows = sales_performance([(&d, &h)], [], &[jan], &PerformanceConfig::new(Currency::EUR))?;
/// assert_eq!(rows.len(), 1);
/// let ann = &rows[0];
/// assert_eq!(ann.funnel.won, 1);
/// assert_eq!(ann.outcomes.average_deal_size, Some("1000 EUR".parse()?));
/// // 1 deal × 100 % × 1000 EUR / 10 days
/// assert_eq!(ann.outcomes.velocity_per_day, Some("100 EUR".parse()?));
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
pub fn sales_performance<'a>(
    deals: impl IntoIterator<Item = (&'a Deal, &'a Instance)>,
    interactions: impl IntoIterator<Item = &'a Interaction>,
    periods: &[SalesPeriod],
    config: &PerformanceConfig,
) -> Result<Vec<OwnerPerformance>, PerformanceError> {
    config.probabilities.validate()?;
    for period in periods {
        period.validate()?;
    }
    let mut cells: BTreeMap<(Option<UserId>, usize), Cell> = BTreeMap::new();
    let mut owners: BTreeMap<Option<UserId>, ()> = BTreeMap::new();
    for (deal, history) in deals {
        let stays = deal_stays(deal, history)?;
        if deal.amount.currency() != config.currency {
            return Err(PerformanceError::CurrencyMismatch {
                deal: deal.id.to_string(),
                owner: owner_name(deal.owner.as_ref()),
                expected: config.currency,
                found: deal.amount.currency(),
            });
        }
        owners.insert(deal.owner.clone(), ());
        let opened = history.started_at();
        for (index, period) in periods.iter().enumerate() {
            let cell = cells.entry((deal.owner.clone(), index)).or_default();
            let overflow = |figure| PerformanceError::Overflow {
                owner: owner_name(deal.owner.as_ref()),
                period: *period,
                figure,
            };
            if period.contains(opened) {
                cell.funnel.add(deal, &stays, &config.probabilities)?;
            }
            for (stage, stay) in &stays {
                if !period.contains(stay.entered) {
                    continue;
                }
                cell.entered[stage_index(*stage)] += 1;
                match stage {
                    DealStage::Won => {
                        cell.won += 1;
                        cell.won_value = cell
                            .won_value
                            .checked_add(deal.amount.amount())
                            .ok_or_else(|| overflow("won value"))?;
                        let cycle = (stay.entered - opened).max(TimeDelta::zero());
                        cell.cycle_seconds += i128::from(cycle.num_seconds());
                    }
                    DealStage::Lost => cell.lost += 1,
                    _ => {}
                }
            }
        }
    }
    for interaction in interactions {
        let Some(agent) = &interaction.agent else {
            continue;
        };
        owners.insert(Some(agent.clone()), ());
        for (index, period) in periods.iter().enumerate() {
            if period.contains(interaction.occurred_at) {
                cells
                    .entry((Some(agent.clone()), index))
                    .or_default()
                    .activity
                    .count(interaction.channel);
            }
        }
    }
    let mut rows = Vec::with_capacity(owners.len() * periods.len());
    for owner in owners.into_keys() {
        for (index, period) in periods.iter().enumerate() {
            let cell = cells.remove(&(owner.clone(), index)).unwrap_or_default();
            let opened = cell.funnel.deals();
            let outcomes = outcomes(&cell, opened, config.currency).ok_or_else(|| {
                PerformanceError::Overflow {
                    owner: owner_name(owner.as_ref()),
                    period: *period,
                    figure: "pipeline velocity",
                }
            })?;
            rows.push(OwnerPerformance {
                owner: owner.clone(),
                period: *period,
                funnel: cell.funnel.finish(),
                entered: DealStage::ALL
                    .iter()
                    .zip(cell.entered)
                    .map(|(stage, deals)| StageCount {
                        stage: *stage,
                        deals,
                    })
                    .collect(),
                outcomes,
                activity: cell.activity,
            });
        }
    }
    Ok(rows)
}

/// The outcomes of a cell; `None` on overflow.
fn outcomes(cell: &Cell, opened: usize, currency: Currency) -> Option<Outcomes> {
    let mut out = Outcomes {
        won: cell.won,
        lost: cell.lost,
        ..Outcomes::default()
    };
    if cell.won == 0 {
        return Some(out);
    }
    let won = Decimal::from(cell.won);
    let value = cell.won_value;
    out.won_value = Some(Money::new(value, currency));
    out.average_deal_size = Some(Money::new(value.checked_div(won)?, currency));
    let seconds = Decimal::try_from_i128_with_scale(cell.cycle_seconds, 0).ok()?;
    let cycle_days = seconds.checked_div(Decimal::from(86_400))?;
    out.average_cycle_days = Some(cycle_days.checked_div(won)?);
    if !cycle_days.is_zero() {
        // N·V / ((W + L)·C) with C = total cycle days / W.
        let numerator = Decimal::from(opened).checked_mul(value)?.checked_mul(won)?;
        let denominator = Decimal::from(cell.won + cell.lost).checked_mul(cycle_days)?;
        out.velocity_per_day = Some(Money::new(
            numerator.checked_div(denominator)?.normalize(),
            currency,
        ));
    }
    Some(out)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::DEAL_PIPELINE;
    use chrono::TimeZone;
    use crm_core::Direction;
    use rust_decimal_macros::dec;

    /// Midnight UTC, `day` days after 2024-01-01.
    fn t(day: i64) -> DateTime<Utc> {
        Utc.with_ymd_and_hms(2024, 1, 1, 0, 0, 0).unwrap() + TimeDelta::days(day)
    }

    fn period(start: (u32, u32), end: (u32, u32)) -> SalesPeriod {
        let d = |(m, day)| NaiveDate::from_ymd_opt(2024, m, day).unwrap();
        SalesPeriod::new(d(start), d(end)).unwrap()
    }

    /// A deal of `owner` opened on `opened` and moved along `(event, day)` steps.
    fn deal(
        id: &str,
        owner: Option<&str>,
        amount: &str,
        opened: i64,
        path: &[(&str, i64)],
    ) -> (Deal, Instance) {
        let m = DEAL_PIPELINE.machine();
        let mut h = Instance::new(&m, t(opened));
        for (event, day) in path {
            h.fire(&m, event, t(*day), None).unwrap();
        }
        let mut d = Deal::new(
            id.parse().unwrap(),
            "C-1".parse().unwrap(),
            "deal",
            amount.parse().unwrap(),
            t(opened),
        )
        .unwrap();
        d.stage = h.state().parse().unwrap();
        d.owner = owner.map(|o| o.parse().unwrap());
        (d, h)
    }

    fn interaction(agent: Option<&str>, channel: Channel, day: i64) -> Interaction {
        let mut i = Interaction::new(1.into(), 1.into(), channel, Direction::Outbound, t(day));
        i.agent = agent.map(|a| a.parse().unwrap());
        i
    }

    /// The hand-computed table (days counted from 2024-01-01, all EUR):
    ///
    /// | deal | owner | amount | opened | path |
    /// |---|---|---|---|---|
    /// | A1 | ann | 1000 | 1 | NA 3, P 6, N 11, won 21 |
    /// | A2 | ann | 3000 | 4 | NA 5, P 9, won 34 (Feb 4) |
    /// | A3 | ann | 500 | 9 | lost 14 |
    /// | A4 | ann | 2000 | 31 (Feb 1) | NA 35 |
    /// | B1 | bob | 800 | 2 | NA 4, lost 40 (Feb 10) |
    /// | U1 | — | 100 | 19 | |
    fn fixture() -> (Vec<(Deal, Instance)>, Vec<Interaction>) {
        let deals = vec![
            deal(
                "A1",
                Some("ann"),
                "1000 EUR",
                1,
                &[("advance", 3), ("advance", 6), ("advance", 11), ("win", 21)],
            ),
            deal(
                "A2",
                Some("ann"),
                "3000 EUR",
                4,
                &[("advance", 5), ("advance", 9), ("win", 34)],
            ),
            deal("A3", Some("ann"), "500 EUR", 9, &[("lose", 14)]),
            deal("A4", Some("ann"), "2000 EUR", 31, &[("advance", 35)]),
            deal(
                "B1",
                Some("bob"),
                "800 EUR",
                2,
                &[("advance", 4), ("lose", 40)],
            ),
            deal("U1", None, "100 EUR", 19, &[]),
        ];
        let interactions = vec![
            interaction(Some("ann"), Channel::Phone, 2),
            interaction(Some("ann"), Channel::Phone, 3),
            interaction(Some("ann"), Channel::Meeting, 9),
            interaction(Some("ann"), Channel::Email, 32),
            interaction(Some("bob"), Channel::Email, 4),
            interaction(Some("carol"), Channel::Chat, 6),
            interaction(None, Channel::Phone, 6),
        ];
        (deals, interactions)
    }

    fn entered(row: &OwnerPerformance) -> Vec<usize> {
        row.entered.iter().map(|c| c.deals).collect()
    }

    #[test]
    fn hand_computed_funnel_per_owner_and_period() {
        let (deals, interactions) = fixture();
        let jan = period((1, 1), (1, 31));
        let feb = period((2, 1), (2, 29));
        let rows = sales_performance(
            deals.iter().map(|(d, h)| (d, h)),
            &interactions,
            &[jan, feb],
            &PerformanceConfig::new(Currency::EUR),
        )
        .unwrap();
        let keys: Vec<_> = rows
            .iter()
            .map(|r| (owner_name(r.owner.as_ref()), r.period))
            .collect();
        let expected: Vec<_> = ["unassigned", "ann", "bob", "carol"]
            .iter()
            .flat_map(|o| [(o.to_string(), jan), (o.to_string(), feb)])
            .collect();
        assert_eq!(keys, expected);

        // ann, January: cohort A1, A2, A3.
        let ann_jan = &rows[2];
        let f = &ann_jan.funnel;
        assert_eq!((f.deals, f.open, f.won, f.lost), (3, 0, 2, 1));
        let reached: Vec<_> = f
            .conversions
            .iter()
            .map(|c| (c.reached_from, c.reached_to))
            .collect();
        assert_eq!(reached, vec![(3, 2), (2, 2), (2, 2), (2, 2)]);
        // qualification stays 2, 1 and 5 days: mean 8/3, median 2
        let q = &f.time_in_stage[0];
        assert_eq!((q.stays, q.median_seconds), (3, Some(2.0 * 86_400.0)));
        assert!((q.mean_seconds.unwrap() - 8.0 / 3.0 * 86_400.0).abs() < 1e-6);
        // entered in January: Q A1 A2 A3, NA A1 A2, P A1 A2, N A1, won A1, lost A3
        assert_eq!(entered(ann_jan), vec![3, 2, 2, 1, 1, 1]);
        let o = &ann_jan.outcomes;
        assert_eq!((o.won, o.lost, o.win_rate()), (1, 1, Some(0.5)));
        assert_eq!(o.won_value, Some("1000 EUR".parse().unwrap()));
        assert_eq!(o.average_deal_size, Some("1000 EUR".parse().unwrap()));
        assert_eq!(o.average_cycle_days, Some(dec!(20)));
        // 3 opened × 1/2 × 1000 / 20 days
        assert_eq!(o.velocity_per_day, Some("75 EUR".parse().unwrap()));
        assert_eq!(
            ann_jan.activity,
            Activity {
                calls: 2,
                meetings: 1,
                emails: 0,
                other: 0
            }
        );

        // ann, February: cohort A4 (open); A2 won after a 30-day cycle.
        let ann_feb = &rows[3];
        assert_eq!((ann_feb.funnel.deals, ann_feb.funnel.open), (1, 1));
        assert_eq!(
            ann_feb.funnel.weighted_pipeline,
            vec!["400 EUR".parse().unwrap()] // 2000 × 20 %
        );
        assert_eq!(entered(ann_feb), vec![1, 1, 0, 0, 1, 0]);
        let o = &ann_feb.outcomes;
        assert_eq!((o.won, o.lost), (1, 0));
        assert_eq!(o.average_cycle_days, Some(dec!(30)));
        // 1 opened × 100 % × 3000 / 30 days
        assert_eq!(o.velocity_per_day, Some("100 EUR".parse().unwrap()));
        assert_eq!(ann_feb.activity.emails, 1);

        // bob: opened and advanced in January, lost in February.
        let (bob_jan, bob_feb) = (&rows[4], &rows[5]);
        assert_eq!(entered(bob_jan), vec![1, 1, 0, 0, 0, 0]);
        assert_eq!(bob_jan.funnel.lost, 1);
        assert_eq!(bob_jan.outcomes, Outcomes::default());
        assert_eq!(bob_jan.activity.emails, 1);
        assert_eq!(entered(bob_feb), vec![0, 0, 0, 0, 0, 1]);
        assert_eq!(bob_feb.funnel.deals, 0);
        assert_eq!(bob_feb.outcomes.win_rate(), Some(0.0));
        assert_eq!(bob_feb.outcomes.velocity_per_day, None);

        // carol has activity only; the unassigned deal is in the first rows.
        assert_eq!(rows[6].activity.other, 1);
        assert_eq!(rows[6].funnel.deals, 0);
        assert_eq!(rows[0].funnel.open, 1);
        assert_eq!(entered(&rows[0]), vec![1, 0, 0, 0, 0, 0]);
    }

    #[test]
    fn overlapping_quarter() {
        let (deals, _) = fixture();
        let q1 = period((1, 1), (3, 31));
        let rows = sales_performance(
            deals.iter().map(|(d, h)| (d, h)),
            [],
            &[q1],
            &PerformanceConfig::new(Currency::EUR),
        )
        .unwrap();
        let ann = rows
            .iter()
            .find(|r| r.owner == Some("ann".parse().unwrap()))
            .unwrap();
        assert_eq!(ann.funnel.deals, 4);
        let o = &ann.outcomes;
        assert_eq!((o.won, o.lost), (2, 1));
        assert_eq!(o.average_deal_size, Some("2000 EUR".parse().unwrap()));
        assert_eq!(o.average_cycle_days, Some(dec!(25)));
        // 4 opened × 2/3 × 2000 / 25 days = 213.33…
        assert_eq!(
            o.velocity_per_day.unwrap().amount().round_dp(6),
            dec!(213.333333)
        );
    }

    #[test]
    fn errors_name_the_deal_owner_and_period() {
        let (mut deals, _) = fixture();
        deals.push(deal("B2", Some("bob"), "10 USD", 3, &[]));
        let jan = period((1, 1), (1, 31));
        let err = sales_performance(
            deals.iter().map(|(d, h)| (d, h)),
            [],
            &[jan],
            &PerformanceConfig::new(Currency::EUR),
        )
        .unwrap_err();
        assert_eq!(
            err.to_string(),
            "deal B2 of owner bob: amount in USD, the analysis is in EUR"
        );
        let bad = SalesPeriod {
            start: jan.end,
            end: jan.start,
        };
        let err =
            sales_performance([], [], &[bad], &PerformanceConfig::new(Currency::EUR)).unwrap_err();
        assert!(matches!(err, PerformanceError::InvalidPeriod { .. }));
        let (mut d, h) = deal("A9", Some("ann"), "1 EUR", 1, &[("advance", 2)]);
        d.stage = DealStage::Won;
        let err = sales_performance(
            [(&d, &h)],
            [],
            &[jan],
            &PerformanceConfig::new(Currency::EUR),
        )
        .unwrap_err();
        assert!(matches!(
            err,
            PerformanceError::Funnel(FunnelError::StageMismatch { .. })
        ));
    }
}
