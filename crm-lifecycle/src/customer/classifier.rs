//! Assigning customers to lifecycle stages from activity facts.

use chrono::{DateTime, Utc};
use crm_core::LifecycleStage;
use serde::{Deserialize, Serialize};

use crate::instance::{Instance, TransitionError};
use crate::machine::Machine;

/// What is known about a customer's activity.
///
/// ```
/// use crm_lifecycle::ActivityFacts;
/// let lead = ActivityFacts::default();
/// assert!(!lead.qualified && lead.first_purchase.is_none());
/// ```
#[derive(Debug, Clone, Copy, Default, PartialEq, Serialize, Deserialize)]
#[serde(default)]
pub struct ActivityFacts {
    /// Qualified by sales (an engaged prospect rather than a mere lead).
    pub qualified: bool,
    /// The first purchase.
    pub first_purchase: Option<DateTime<Utc>>,
    /// The most recent purchase.
    pub last_purchase: Option<DateTime<Utc>>,
    /// The customer's typical (for example median) gap between purchases, in days; the
    /// thresholds' default gap is used when unknown.
    pub typical_gap_days: Option<f64>,
    /// The probability that the customer has churned, from a fitted churn model.
    pub churn_probability: Option<f64>,
}

/// Thresholds of the classifier; every one is configurable.
///
/// ```
/// use crm_lifecycle::LifecycleThresholds;
/// let t = LifecycleThresholds { new_customer_days: 60.0, ..Default::default() };
/// assert!(t.validate().is_ok());
/// assert!(LifecycleThresholds { at_risk_probability: 1.5, ..t }.validate().is_err());
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
#[serde(default)]
pub struct LifecycleThresholds {
    /// A customer whose first purchase is at most this many days old is `new` (default 30).
    pub new_customer_days: f64,
    /// The typical gap between purchases when a customer's own is unknown (default 30 days).
    pub default_gap_days: f64,
    /// `at_risk` when days since the last purchase exceed this multiple of the gap
    /// (default 2).
    pub at_risk_gap_multiple: f64,
    /// `churned` when days since the last purchase exceed this multiple of the gap
    /// (default 4).
    pub churned_gap_multiple: f64,
    /// `at_risk` from this churn probability on (default 0.5).
    pub at_risk_probability: f64,
    /// `churned` from this churn probability on (default 0.8).
    pub churned_probability: f64,
    /// A won-back customer counts as `active` again after this many days (default 90).
    pub won_back_days: f64,
}

impl Default for LifecycleThresholds {
    fn default() -> Self {
        Self {
            new_customer_days: 30.0,
            default_gap_days: 30.0,
            at_risk_gap_multiple: 2.0,
            churned_gap_multiple: 4.0,
            at_risk_probability: 0.5,
            churned_probability: 0.8,
            won_back_days: 90.0,
        }
    }
}

/// Why a customer could not be classified or moved.
///
/// ```
/// use crm_lifecycle::ClassifyError;
/// let e = ClassifyError::InvalidFact { field: "churn_probability", reason: "must lie in [0, 1]".into() };
/// assert_eq!(e.to_string(), "activity facts: churn_probability must lie in [0, 1]");
/// ```
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, thiserror::Error)]
#[non_exhaustive]
pub enum ClassifyError {
    /// A threshold is out of range.
    #[error("lifecycle thresholds: {field} = {value} {reason}")]
    InvalidThreshold {
        /// The threshold's field name.
        field: &'static str,
        /// Its value.
        value: f64,
        /// What is wrong.
        reason: &'static str,
    },
    /// A fact is out of range or inconsistent.
    #[error("activity facts: {field} {reason}")]
    InvalidFact {
        /// The fact's field name.
        field: &'static str,
        /// What is wrong.
        reason: String,
    },
    /// The instance's state is not a lifecycle stage.
    #[error("customer lifecycle: state {state:?} is not a lifecycle stage")]
    UnknownStage {
        /// The state.
        state: String,
    },
    /// A transition on the way was rejected (nothing was changed).
    #[error(transparent)]
    Transition(#[from] TransitionError),
}

impl LifecycleThresholds {
    /// Checks every threshold: positive finite day counts and multiples, churn multiple not
    /// below the at-risk multiple, probabilities in `[0, 1]` with the at-risk one not above
    /// the churn one.
    ///
    /// ```
    /// use crm_lifecycle::LifecycleThresholds;
    /// let t = LifecycleThresholds { churned_gap_multiple: 1.0, ..Default::default() };
    /// assert!(t.validate().unwrap_err().to_string().contains("churned_gap_multiple"));
    /// ```
    pub fn validate(&self) -> Result<(), ClassifyError> {
        let positive = [
            ("new_customer_days", self.new_customer_days),
            ("default_gap_days", self.default_gap_days),
            ("at_risk_gap_multiple", self.at_risk_gap_multiple),
            ("churned_gap_multiple", self.churned_gap_multiple),
            ("won_back_days", self.won_back_days),
        ];
        for (field, value) in positive {
            if !(value.is_finite() && value > 0.0) {
                return Err(ClassifyError::InvalidThreshold {
                    field,
                    value,
                    reason: "must be a positive number",
                });
            }
        }
        for (field, value) in [
            ("at_risk_probability", self.at_risk_probability),
            ("churned_probability", self.churned_probability),
        ] {
            if !(0.0..=1.0).contains(&value) {
                return Err(ClassifyError::InvalidThreshold {
                    field,
                    value,
                    reason: "must lie in [0, 1]",
                });
            }
        }
        if self.churned_gap_multiple < self.at_risk_gap_multiple {
            return Err(ClassifyError::InvalidThreshold {
                field: "churned_gap_multiple",
                value: self.churned_gap_multiple,
                reason: "must not be below at_risk_gap_multiple",
            });
        }
        if self.churned_probability < self.at_risk_probability {
            return Err(ClassifyError::InvalidThreshold {
                field: "churned_probability",
                value: self.churned_probability,
                reason: "must not be below at_risk_probability",
            });
        }
        Ok(())
    }
}

impl ActivityFacts {
    /// Checks the facts against `now`.
    ///
    /// ```
    /// use chrono::{TimeDelta, Utc};
    /// use crm_lifecycle::ActivityFacts;
    /// let now = Utc::now();
    /// let f = ActivityFacts { last_purchase: Some(now), ..Default::default() };
    /// assert!(f.validate(now).is_err()); // last purchase without a first purchase
    /// ```
    pub fn validate(&self, now: DateTime<Utc>) -> Result<(), ClassifyError> {
        let fact = |field, reason: &str| ClassifyError::InvalidFact {
            field,
            reason: reason.to_string(),
        };
        match (self.first_purchase, self.last_purchase) {
            (Some(first), Some(last)) => {
                if last < first {
                    return Err(fact("last_purchase", "is before first_purchase"));
                }
                if last > now {
                    return Err(fact("last_purchase", "is after the classification time"));
                }
            }
            (None, None) => {}
            (Some(_), None) => return Err(fact("last_purchase", "is missing")),
            (None, Some(_)) => return Err(fact("first_purchase", "is missing")),
        }
        if let Some(gap) = self.typical_gap_days
            && !(gap.is_finite() && gap > 0.0)
        {
            return Err(fact("typical_gap_days", "must be a positive number"));
        }
        if let Some(p) = self.churn_probability
            && !(0.0..=1.0).contains(&p)
        {
            return Err(fact("churn_probability", "must lie in [0, 1]"));
        }
        Ok(())
    }
}

/// The outcome of [`Classifier::advance`].
///
/// ```
/// use crm_core::LifecycleStage;
/// use crm_lifecycle::Advance;
/// let a = Advance { from: LifecycleStage::Lead, to: LifecycleStage::Lead, target: LifecycleStage::Lead, events: vec![] };
/// assert!(!a.moved());
/// ```
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Advance {
    /// The stage before.
    pub from: LifecycleStage,
    /// The stage after.
    pub to: LifecycleStage,
    /// The stage the classifier aimed for (differs from `to` when no legal path leads there).
    pub target: LifecycleStage,
    /// The events fired, in order.
    pub events: Vec<String>,
}

impl Advance {
    /// Whether the customer changed stage.
    ///
    /// ```
    /// use crm_core::LifecycleStage::*;
    /// use crm_lifecycle::Advance;
    /// assert!(Advance { from: New, to: Active, target: Active, events: vec!["settle".into()] }.moved());
    /// ```
    pub fn moved(&self) -> bool {
        self.from != self.to
    }
}

/// The lifecycle classifier.
///
/// [`Classifier::classify`] maps [`ActivityFacts`] to the stage a customer *should* be in,
/// with configurable [`LifecycleThresholds`]:
///
/// 1. No purchase yet: `prospect` when qualified, else `lead`.
/// 2. Days since the last purchase above `churned_gap_multiple ×` the customer's typical gap
///    between purchases, or a churn probability of at least `churned_probability`: `churned`.
/// 3. Above `at_risk_gap_multiple ×` the gap, or a churn probability of at least
///    `at_risk_probability`: `at_risk`.
/// 4. First purchase at most `new_customer_days` ago: `new`; otherwise `active`.
///
/// [`Classifier::advance`] then moves a customer's lifecycle [`Instance`] there along the
/// machine's legal transitions only (the shortest event path), taking the current stage into
/// account: a churned customer who buys again becomes `won_back` (and `active` after
/// `won_back_days`), a returning at-risk customer becomes `active` rather than `new`, and no
/// customer goes back to `lead` or `prospect`. When the machine offers no path the customer
/// stays where they are. The move is all-or-nothing.
///
/// ```
/// use chrono::{TimeDelta, TimeZone, Utc};
/// use crm_lifecycle::{ActivityFacts, CUSTOMER_LIFECYCLE, Classifier};
/// use crm_lifecycle::Instance;
///
/// let m = CUSTOMER_LIFECYCLE.machine();
/// let now = Utc.with_ymd_and_hms(2024, 6, 1, 0, 0, 0).unwrap();
/// let mut c = Instance::starting_in(&m, "active", now - TimeDelta::days(400))?;
/// let facts = ActivityFacts {
///     first_purchase: Some(now - TimeDelta::days(400)),
///     last_purchase: Some(now - TimeDelta::days(75)),
///     typical_gap_days: Some(30.0),
///     ..ActivityFacts::default()
/// };
/// let step = Classifier::default().advance(&m, &mut c, &facts, now)?;
/// assert_eq!(c.state(), "at_risk"); // 75 days > 2 × 30 days
/// assert_eq!(step.events, vec!["lapse"]);
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
///
/// ```
/// use chrono::{TimeDelta, Utc};
/// use crm_core::LifecycleStage;
/// use crm_lifecycle::{ActivityFacts, Classifier};
/// let now = Utc::now();
/// let facts = ActivityFacts {
///     first_purchase: Some(now - TimeDelta::days(10)),
///     last_purchase: Some(now - TimeDelta::days(10)),
///     ..Default::default()
/// };
/// assert_eq!(Classifier::default().classify(&facts, now)?, LifecycleStage::New);
/// # Ok::<(), crm_lifecycle::ClassifyError>(())
/// ```
#[derive(Debug, Clone, Copy, Default, PartialEq, Serialize, Deserialize)]
pub struct Classifier {
    /// The thresholds.
    pub thresholds: LifecycleThresholds,
}

fn days(delta: chrono::TimeDelta) -> f64 {
    delta.num_milliseconds() as f64 / 86_400_000.0
}

impl Classifier {
    /// A classifier with the given thresholds (checked).
    ///
    /// ```
    /// use crm_lifecycle::{Classifier, LifecycleThresholds};
    /// assert!(Classifier::new(LifecycleThresholds::default()).is_ok());
    /// ```
    pub fn new(thresholds: LifecycleThresholds) -> Result<Self, ClassifyError> {
        thresholds.validate()?;
        Ok(Self { thresholds })
    }

    /// The stage the facts call for, regardless of the customer's current stage.
    ///
    /// ```
    /// use chrono::{TimeDelta, Utc};
    /// use crm_core::LifecycleStage;
    /// use crm_lifecycle::{ActivityFacts, Classifier};
    /// let now = Utc::now();
    /// let facts = ActivityFacts {
    ///     first_purchase: Some(now - TimeDelta::days(300)),
    ///     last_purchase: Some(now - TimeDelta::days(5)),
    ///     churn_probability: Some(0.9),
    ///     ..Default::default()
    /// };
    /// assert_eq!(Classifier::default().classify(&facts, now)?, LifecycleStage::Churned);
    /// # Ok::<(), crm_lifecycle::ClassifyError>(())
    /// ```
    pub fn classify(
        &self,
        facts: &ActivityFacts,
        now: DateTime<Utc>,
    ) -> Result<LifecycleStage, ClassifyError> {
        self.thresholds.validate()?;
        facts.validate(now)?;
        let t = &self.thresholds;
        let (Some(first), Some(last)) = (facts.first_purchase, facts.last_purchase) else {
            return Ok(if facts.qualified {
                LifecycleStage::Prospect
            } else {
                LifecycleStage::Lead
            });
        };
        let gap = facts.typical_gap_days.unwrap_or(t.default_gap_days);
        let recency = days(now - last);
        let p = facts.churn_probability;
        let stage = if recency > t.churned_gap_multiple * gap
            || p.is_some_and(|p| p >= t.churned_probability)
        {
            LifecycleStage::Churned
        } else if recency > t.at_risk_gap_multiple * gap
            || p.is_some_and(|p| p >= t.at_risk_probability)
        {
            LifecycleStage::AtRisk
        } else if days(now - first) <= t.new_customer_days {
            LifecycleStage::New
        } else {
            LifecycleStage::Active
        };
        Ok(stage)
    }

    /// The stage a customer currently in `current` (since `since`) should move to.
    ///
    /// ```
    /// use chrono::{TimeDelta, Utc};
    /// use crm_core::LifecycleStage::*;
    /// use crm_lifecycle::{ActivityFacts, Classifier};
    /// let now = Utc::now();
    /// let back = ActivityFacts {
    ///     first_purchase: Some(now - TimeDelta::days(700)),
    ///     last_purchase: Some(now - TimeDelta::days(2)),
    ///     ..Default::default()
    /// };
    /// let c = Classifier::default();
    /// assert_eq!(c.target(Churned, now - TimeDelta::days(200), &back, now)?, WonBack);
    /// assert_eq!(c.target(WonBack, now - TimeDelta::days(20), &back, now)?, WonBack);
    /// assert_eq!(c.target(WonBack, now - TimeDelta::days(120), &back, now)?, Active);
    /// # Ok::<(), crm_lifecycle::ClassifyError>(())
    /// ```
    pub fn target(
        &self,
        current: LifecycleStage,
        since: DateTime<Utc>,
        facts: &ActivityFacts,
        now: DateTime<Utc>,
    ) -> Result<LifecycleStage, ClassifyError> {
        use LifecycleStage::*;
        let raw = self.classify(facts, now)?;
        let bought = matches!(current, New | Active | AtRisk | Churned | WonBack);
        Ok(match (current, raw) {
            (Churned, New | Active) => WonBack,
            // Still lapsed after churning: no purchase since, so not won back.
            (Churned, AtRisk) => Churned,
            (WonBack, New | Active) => {
                if days(now - since) >= self.thresholds.won_back_days {
                    Active
                } else {
                    WonBack
                }
            }
            (Active | AtRisk, New) => Active,
            // Facts without purchases for a customer who bought: keep the stage.
            (_, Lead | Prospect) if bought => current,
            _ => raw,
        })
    }

    /// Moves a lifecycle instance to the stage the facts call for, along the shortest legal
    /// event path of `machine`, firing each event at `now` with `actor`. All-or-nothing: on
    /// error the instance is unchanged.
    ///
    /// ```
    /// use chrono::{TimeDelta, TimeZone, Utc};
    /// use crm_lifecycle::{ActivityFacts, CUSTOMER_LIFECYCLE, Classifier};
    /// use crm_lifecycle::Instance;
    /// let m = CUSTOMER_LIFECYCLE.machine();
    /// let now = Utc.with_ymd_and_hms(2024, 6, 1, 0, 0, 0).unwrap();
    /// let mut c = Instance::new(&m, now - TimeDelta::days(90)); // a lead
    /// let facts = ActivityFacts {
    ///     first_purchase: Some(now - TimeDelta::days(60)),
    ///     last_purchase: Some(now - TimeDelta::days(3)),
    ///     ..Default::default()
    /// };
    /// let step = Classifier::default().advance(&m, &mut c, &facts, now)?;
    /// assert_eq!(step.events, vec!["purchase", "settle"]); // lead → new → active
    /// assert_eq!(c.state(), "active");
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn advance(
        &self,
        machine: &Machine,
        instance: &mut Instance,
        facts: &ActivityFacts,
        now: DateTime<Utc>,
    ) -> Result<Advance, ClassifyError> {
        self.advance_as(machine, instance, facts, now, None)
    }

    /// [`Classifier::advance`] recording an actor on each transition.
    ///
    /// ```
    /// use chrono::Utc;
    /// use crm_lifecycle::{ActivityFacts, CUSTOMER_LIFECYCLE, Classifier};
    /// use crm_lifecycle::Instance;
    /// let m = CUSTOMER_LIFECYCLE.machine();
    /// let mut c = Instance::new(&m, Utc::now());
    /// let facts = ActivityFacts { qualified: true, ..Default::default() };
    /// Classifier::default().advance_as(&m, &mut c, &facts, Utc::now(), Some("nightly-job"))?;
    /// assert_eq!(c.history()[0].actor.as_deref(), Some("nightly-job"));
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn advance_as(
        &self,
        machine: &Machine,
        instance: &mut Instance,
        facts: &ActivityFacts,
        now: DateTime<Utc>,
        actor: Option<&str>,
    ) -> Result<Advance, ClassifyError> {
        let from: LifecycleStage =
            instance
                .state()
                .parse()
                .map_err(|_| ClassifyError::UnknownStage {
                    state: instance.state().to_string(),
                })?;
        let target = self.target(from, instance.last_changed(), facts, now)?;
        let path = match (
            machine.state_id(from.as_str()),
            machine.state_id(target.as_str()),
        ) {
            (Some(a), Some(b)) => machine.shortest_path(a, b),
            _ => None,
        };
        let mut next = instance.clone();
        let mut events = Vec::new();
        for event in path.unwrap_or_default() {
            next.fire_id(machine, event, now, actor)?;
            events.push(machine.event_name(event).to_string());
        }
        let to = next
            .state()
            .parse()
            .map_err(|_| ClassifyError::UnknownStage {
                state: next.state().to_string(),
            })?;
        *instance = next;
        Ok(Advance {
            from,
            to,
            target,
            events,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use LifecycleStage::*;
    use chrono::{TimeDelta, TimeZone};

    fn now() -> DateTime<Utc> {
        Utc.with_ymd_and_hms(2024, 6, 1, 0, 0, 0).unwrap()
    }

    fn bought(first_days_ago: i64, last_days_ago: i64) -> ActivityFacts {
        ActivityFacts {
            first_purchase: Some(now() - TimeDelta::days(first_days_ago)),
            last_purchase: Some(now() - TimeDelta::days(last_days_ago)),
            ..Default::default()
        }
    }

    #[test]
    fn classification_table() {
        let c = Classifier::default();
        // (facts, expected) with gap 30 days: at risk above 60 days, churned above 120 days.
        let cases = [
            (ActivityFacts::default(), Lead),
            (
                ActivityFacts {
                    qualified: true,
                    ..Default::default()
                },
                Prospect,
            ),
            (bought(30, 30), New), // exactly 30 days: still new
            (bought(31, 31), Active),
            (bought(200, 60), Active), // exactly 2 × gap: not yet at risk
            (bought(200, 61), AtRisk),
            (bought(200, 120), AtRisk),
            (bought(200, 121), Churned),
            (
                ActivityFacts {
                    typical_gap_days: Some(90.0),
                    ..bought(400, 121)
                },
                Active,
            ),
            (
                ActivityFacts {
                    churn_probability: Some(0.5),
                    ..bought(200, 1)
                },
                AtRisk,
            ),
            (
                ActivityFacts {
                    churn_probability: Some(0.8),
                    ..bought(200, 1)
                },
                Churned,
            ),
            (
                ActivityFacts {
                    churn_probability: Some(0.49),
                    ..bought(10, 1)
                },
                New,
            ),
        ];
        for (facts, expected) in cases {
            assert_eq!(c.classify(&facts, now()).unwrap(), expected, "{facts:?}");
        }
    }

    #[test]
    fn moves_follow_legal_transitions() {
        let m = crate::CUSTOMER_LIFECYCLE.machine();
        let c = Classifier::default();
        let start = now() - TimeDelta::days(500);
        // lead straight to churned goes through new (purchase, churn)
        let mut i = Instance::new(&m, start);
        let step = c.advance(&m, &mut i, &bought(400, 300), now()).unwrap();
        assert_eq!((step.from, step.to), (Lead, Churned));
        assert_eq!(step.events, vec!["purchase", "churn"]);
        i.verify(&m).unwrap();
        // churned customer buys again -> won back, not active
        let later = now() + TimeDelta::days(1);
        let back = ActivityFacts {
            first_purchase: Some(now() - TimeDelta::days(400)),
            last_purchase: Some(later),
            ..Default::default()
        };
        let step = c.advance(&m, &mut i, &back, later).unwrap();
        assert_eq!(step.events, vec!["win_back"]);
        // 100 days later with regular purchases -> active
        let much_later = later + TimeDelta::days(100);
        let regular = ActivityFacts {
            last_purchase: Some(much_later - TimeDelta::days(3)),
            ..back
        };
        let step = c.advance(&m, &mut i, &regular, much_later).unwrap();
        assert_eq!(
            (step.to, step.events.clone()),
            (Active, vec!["settle".into()])
        );
        // facts claiming no purchase never send a customer back to lead
        let step = c
            .advance(&m, &mut i, &ActivityFacts::default(), much_later)
            .unwrap();
        assert!(!step.moved());
        assert_eq!(step.to, Active);
        // at risk and buying again: recover to active, not new
        let mut r = Instance::starting_in(&m, "at_risk", start).unwrap();
        let step = c.advance(&m, &mut r, &bought(10, 1), now()).unwrap();
        assert_eq!(
            (step.to, step.events.clone()),
            (Active, vec!["recover".into()])
        );
        // every state visited is a lifecycle stage and the history replays
        r.verify(&m).unwrap();
    }

    #[test]
    fn unreachable_target_stays_put() {
        // A host lifecycle without win-back: churned customers stay churned.
        let mut def = crate::CUSTOMER_LIFECYCLE.definition();
        def.transitions.retain(|t| t.event != "win_back");
        def.transitions.retain(|t| t.from != "won_back");
        def.reopenable.clear();
        def.states.retain(|s| s != "won_back");
        let m = def.build().unwrap();
        let mut i = Instance::starting_in(&m, "churned", now() - TimeDelta::days(10)).unwrap();
        let step = Classifier::default()
            .advance(&m, &mut i, &bought(400, 1), now())
            .unwrap();
        assert_eq!((step.to, step.target), (Churned, WonBack));
        assert!(i.history().is_empty());
    }

    #[test]
    fn bad_inputs_are_typed_errors_and_change_nothing() {
        let m = crate::CUSTOMER_LIFECYCLE.machine();
        let c = Classifier::default();
        let mut i = Instance::new(&m, now());
        let before = i.clone();
        let bad = [
            ActivityFacts {
                churn_probability: Some(f64::NAN),
                ..bought(10, 1)
            },
            ActivityFacts {
                typical_gap_days: Some(0.0),
                ..bought(10, 1)
            },
            bought(1, 10),  // last before first
            bought(10, -1), // in the future
        ];
        for facts in bad {
            let err = c.advance(&m, &mut i, &facts, now()).unwrap_err();
            assert!(matches!(err, ClassifyError::InvalidFact { .. }), "{err}");
            assert_eq!(i, before);
        }
        // an event dated before the last change is rejected as a whole
        let err = c
            .advance(&m, &mut i, &bought(10, 1), now() - TimeDelta::days(1))
            .unwrap_err();
        assert!(matches!(err, ClassifyError::Transition(_)), "{err}");
        assert_eq!(i, before);
        assert!(
            Classifier::new(LifecycleThresholds {
                default_gap_days: -1.0,
                ..Default::default()
            })
            .is_err()
        );
    }
}
