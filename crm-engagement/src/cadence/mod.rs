//! Follow-up cadence: who is due a contact, through which channel.
//!
//! A [`CadencePolicy`] assigns every customer one rule (the first that matches, else the
//! default). [`CadenceAccumulator`] keeps one [`CadenceState`] per customer (a few
//! timestamps), fed interactions one at a time in any order; [`due`] builds on it.
//!
//! Complexity: O(customers + interactions) time; memory O(customers) whatever the number
//! of interactions (they are streamed, never stored or sorted).

mod policy;
mod state;

use std::sync::Arc;

use chrono::{DateTime, Utc};
use crm_core::{ConsentChannel, Customer, CustomerId, Direction, UserId};
use rustc_hash::FxHashMap;
use serde::{Deserialize, Serialize};

pub use policy::{AbcClass, CadencePolicy, CadenceRule, CountedContacts, CustomerMatch};
use state::{CONSENT_CHANNELS, consent_slot};
pub use state::{CadenceState, ContactEvent, CustomerRef, Touch, consent_channel_of};

/// Why a cadence policy or computation was refused.
///
/// ```
/// use crm_engagement::CadenceError;
/// let e = CadenceError::InvalidRule { rule: "a-class".into(), field: "channels", reason: "must list at least one channel".into() };
/// assert_eq!(e.to_string(), "cadence rule \"a-class\", channels: must list at least one channel");
/// ```
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum CadenceError {
    /// A rule breaks a policy rule; names the rule and the field.
    #[error("cadence rule {rule:?}, {field}: {reason}")]
    InvalidRule {
        /// The rule's name as given.
        rule: String,
        /// The field at fault (`max_interval_days`, `match.tags`, ...).
        field: &'static str,
        /// Why it is refused.
        reason: String,
    },
    /// The policy text could not be read.
    #[error("cadence policy ({format}): {message}")]
    Parse {
        /// `TOML` or `JSON`.
        format: &'static str,
        /// The reader's message, with its position.
        message: String,
    },
    /// A customer appears twice among the customers.
    #[error("customer {customer}: listed twice among the cadence's customers")]
    DuplicateCustomer {
        /// The customer.
        customer: CustomerId,
    },
    /// More customers than a `u32` position can address.
    #[error("cadence: {count} customers is more than the maximum of {max}")]
    TooManyCustomers {
        /// How many were given.
        count: usize,
        /// The maximum.
        max: usize,
    },
    /// Two accumulators that do not cover the same customers, policy and instant.
    #[error("cadence accumulators cannot be merged: {reason}")]
    MergeMismatch {
        /// What differs.
        reason: &'static str,
    },
}

/// One customer as the cadence sees it: the record (owner, lifecycle stage, tags,
/// consents) and the labels the caller computed elsewhere (value tier, ABC class, RFM
/// segment).
///
/// ```
/// use chrono::Utc;
/// use crm_core::{Customer, PartyKind};
/// use crm_engagement::{AbcClass, CadenceSubject};
/// let c = Customer::new(1.into(), PartyKind::Person, "Ada", Utc::now())?;
/// let s = CadenceSubject::new(&c).with_abc_class(AbcClass::A).with_rfm_segment("champions");
/// assert_eq!(s.rfm_segment, Some("champions"));
/// # Ok::<(), crm_core::ValidationError>(())
/// ```
#[derive(Debug, Clone, Copy, Serialize)]
pub struct CadenceSubject<'a> {
    /// The customer record.
    pub customer: &'a Customer,
    /// The value tier label, if known.
    pub value_tier: Option<&'a str>,
    /// The ABC class, if known.
    pub abc_class: Option<AbcClass>,
    /// The RFM segment label, if known.
    pub rfm_segment: Option<&'a str>,
}

impl<'a> CadenceSubject<'a> {
    /// A subject with no labels.
    ///
    /// ```
    /// use chrono::Utc;
    /// use crm_core::{Customer, PartyKind};
    /// use crm_engagement::CadenceSubject;
    /// let c = Customer::new(1.into(), PartyKind::Person, "Ada", Utc::now())?;
    /// assert!(CadenceSubject::new(&c).abc_class.is_none());
    /// # Ok::<(), crm_core::ValidationError>(())
    /// ```
    pub fn new(customer: &'a Customer) -> Self {
        CadenceSubject {
            customer,
            value_tier: None,
            abc_class: None,
            rfm_segment: None,
        }
    }

    /// With a value tier label.
    ///
    /// ```
    /// # use chrono::Utc;
    /// # use crm_core::{Customer, PartyKind};
    /// # use crm_engagement::CadenceSubject;
    /// # let c = Customer::new(1.into(), PartyKind::Person, "Ada", Utc::now())?;
    /// assert_eq!(CadenceSubject::new(&c).with_value_tier("gold").value_tier, Some("gold"));
    /// # Ok::<(), crm_core::ValidationError>(())
    /// ```
    pub fn with_value_tier(mut self, tier: &'a str) -> Self {
        self.value_tier = Some(tier);
        self
    }

    /// With an ABC class.
    ///
    /// ```
    /// # use chrono::Utc;
    /// # use crm_core::{Customer, PartyKind};
    /// # use crm_engagement::{AbcClass, CadenceSubject};
    /// # let c = Customer::new(1.into(), PartyKind::Person, "Ada", Utc::now())?;
    /// assert_eq!(CadenceSubject::new(&c).with_abc_class(AbcClass::B).abc_class, Some(AbcClass::B));
    /// # Ok::<(), crm_core::ValidationError>(())
    /// ```
    pub fn with_abc_class(mut self, class: AbcClass) -> Self {
        self.abc_class = Some(class);
        self
    }

    /// With an RFM segment label.
    ///
    /// ```
    /// # use chrono::Utc;
    /// # use crm_core::{Customer, PartyKind};
    /// # use crm_engagement::CadenceSubject;
    /// # let c = Customer::new(1.into(), PartyKind::Person, "Ada", Utc::now())?;
    /// assert_eq!(CadenceSubject::new(&c).with_rfm_segment("loyal").rfm_segment, Some("loyal"));
    /// # Ok::<(), crm_core::ValidationError>(())
    /// ```
    pub fn with_rfm_segment(mut self, segment: &'a str) -> Self {
        self.rfm_segment = Some(segment);
        self
    }

    fn matches(&self, m: &CustomerMatch) -> bool {
        let label = |values: &[String], label: Option<&str>| {
            values.is_empty() || label.is_some_and(|l| values.iter().any(|v| v == l))
        };
        label(&m.value_tiers, self.value_tier)
            && label(&m.rfm_segments, self.rfm_segment)
            && (m.abc_classes.is_empty()
                || self.abc_class.is_some_and(|c| m.abc_classes.contains(&c)))
            && (m.lifecycle_stages.is_empty()
                || self
                    .customer
                    .lifecycle_stage
                    .is_some_and(|s| m.lifecycle_stages.contains(&s)))
            && (m.tags.is_empty() || m.tags.iter().any(|t| self.customer.tags.contains(t)))
    }
}

impl<'a> From<&'a Customer> for CadenceSubject<'a> {
    fn from(customer: &'a Customer) -> Self {
        CadenceSubject::new(customer)
    }
}

impl CadencePolicy {
    /// The position of the rule that applies to a customer: the first matching rule, else
    /// the default at `rules().len()`.
    ///
    /// ```
    /// use chrono::Utc;
    /// use crm_core::{ConsentChannel, Customer, PartyKind};
    /// use crm_engagement::{AbcClass, CadencePolicy, CadenceRule, CadenceSubject, CustomerMatch};
    /// let a = CadenceRule::new("a", 30, vec![ConsentChannel::Email])
    ///     .matching(CustomerMatch { abc_classes: vec![AbcClass::A], ..Default::default() });
    /// let p = CadencePolicy::new(vec![a], CadenceRule::new("rest", 90, vec![ConsentChannel::Email]))?;
    /// let c = Customer::new(1.into(), PartyKind::Person, "Ada", Utc::now())?;
    /// assert_eq!(p.rule_for(&CadenceSubject::new(&c).with_abc_class(AbcClass::A)).name, "a");
    /// assert_eq!(p.rule_for(&CadenceSubject::new(&c)).name, "rest");
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn rule_for(&self, subject: &CadenceSubject<'_>) -> &CadenceRule {
        self.rule_at(self.rule_index(subject))
    }

    fn rule_index(&self, subject: &CadenceSubject<'_>) -> usize {
        self.rules()
            .iter()
            .position(|r| subject.matches(&r.matches))
            .unwrap_or(self.rules().len())
    }
}

/// A rule in the fast form the accumulator applies per interaction.
#[derive(Debug, Clone)]
struct CompiledRule {
    directions: u8,
    channels: u16,
    outcomes: Box<[Box<str>]>,
}

impl CompiledRule {
    fn new(rule: &CadenceRule) -> Self {
        let c = &rule.counts;
        let directions = if c.directions.is_empty() {
            u8::MAX
        } else {
            c.directions.iter().fold(0, |m, &d| m | dir_bit(d))
        };
        let channels = if c.channels.is_empty() {
            u16::MAX
        } else {
            c.channels.iter().fold(0, |m, &ch| m | (1u16 << ch as u16))
        };
        CompiledRule {
            directions,
            channels,
            outcomes: c.outcomes.iter().map(|o| o.as_str().into()).collect(),
        }
    }

    #[inline]
    fn counts(&self, event: &impl ContactEvent) -> bool {
        self.directions & dir_bit(event.direction()) != 0
            && self.channels & (1u16 << event.channel() as u16) != 0
            && (self.outcomes.is_empty()
                || event
                    .outcome()
                    .is_some_and(|o| self.outcomes.iter().any(|x| &**x == o)))
    }
}

#[inline]
fn dir_bit(d: Direction) -> u8 {
    match d {
        Direction::Inbound => 1,
        Direction::Outbound => 2,
    }
}

/// The cadence of many customers, fed interactions one at a time.
///
/// Built from the policy, the as-of instant and the customers; interactions after the
/// as-of instant and interactions of customers not given are skipped and counted.
/// Accumulators over the same customers, policy and instant merge (the per-customer states
/// merge), so interactions can be split across threads or batches in any way.
///
/// ```
/// use chrono::{Duration, TimeZone, Utc};
/// use crm_core::{Channel, ConsentChannel, Customer, Direction, Interaction, PartyKind};
/// use crm_engagement::{CadenceAccumulator, CadencePolicy, CadenceRule, CadenceSubject};
/// let as_of = Utc.with_ymd_and_hms(2024, 6, 1, 12, 0, 0).unwrap();
/// let policy = CadencePolicy::new(vec![], CadenceRule::new("all", 30, vec![ConsentChannel::Email]))?;
/// let mut ada = Customer::new(1.into(), PartyKind::Person, "Ada", as_of)?;
/// ada.give_consent(ConsentChannel::Email, as_of);
/// let subjects = [CadenceSubject::new(&ada)];
/// let mut left = CadenceAccumulator::new(&policy, as_of, &subjects)?;
/// let mut right = left.clone();
/// left.observe(&Interaction::new(1.into(), 1.into(), Channel::Email, Direction::Outbound, as_of - Duration::days(40)));
/// right.observe(&Interaction::new(2.into(), 1.into(), Channel::Phone, Direction::Outbound, as_of - Duration::days(31)));
/// left.merge(right)?;
/// let report = left.finish();
/// assert_eq!(report.due[0].days_overdue, Some(1));
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
#[derive(Debug, Clone)]
pub struct CadenceAccumulator<'p> {
    policy: &'p CadencePolicy,
    as_of: DateTime<Utc>,
    as_of_ms: i64,
    rules: Vec<CompiledRule>,
    names: Vec<Arc<str>>,
    customers: &'p [CadenceSubject<'p>],
    rule_of: Vec<u16>,
    states: Vec<CadenceState>,
    index: FxHashMap<&'p CustomerId, u32>,
    skipped_unknown: u64,
    skipped_future: u64,
}

impl<'p> CadenceAccumulator<'p> {
    /// An accumulator with an empty state per customer; refuses a customer listed twice.
    ///
    /// ```
    /// use chrono::Utc;
    /// use crm_core::{ConsentChannel, Customer, PartyKind};
    /// use crm_engagement::{CadenceAccumulator, CadenceError, CadencePolicy, CadenceRule, CadenceSubject};
    /// let policy = CadencePolicy::new(vec![], CadenceRule::new("all", 30, vec![ConsentChannel::Email]))?;
    /// let c = Customer::new(1.into(), PartyKind::Person, "Ada", Utc::now())?;
    /// let twice = [CadenceSubject::new(&c), CadenceSubject::new(&c)];
    /// let err = CadenceAccumulator::new(&policy, Utc::now(), &twice).unwrap_err();
    /// assert_eq!(err, CadenceError::DuplicateCustomer { customer: 1.into() });
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn new(
        policy: &'p CadencePolicy,
        as_of: DateTime<Utc>,
        customers: &'p [CadenceSubject<'p>],
    ) -> Result<Self, CadenceError> {
        if customers.len() > u32::MAX as usize {
            return Err(CadenceError::TooManyCustomers {
                count: customers.len(),
                max: u32::MAX as usize,
            });
        }
        let n_rules = policy.rules().len() + 1;
        let rules = (0..n_rules)
            .map(|i| CompiledRule::new(policy.rule_at(i)))
            .collect();
        let names = (0..n_rules)
            .map(|i| Arc::from(policy.rule_at(i).name.as_str()))
            .collect();
        let mut acc = CadenceAccumulator {
            policy,
            as_of,
            as_of_ms: as_of.timestamp_millis(),
            rules,
            names,
            customers,
            rule_of: Vec::with_capacity(customers.len()),
            states: vec![CadenceState::EMPTY; customers.len()],
            index: FxHashMap::with_capacity_and_hasher(customers.len(), Default::default()),
            skipped_unknown: 0,
            skipped_future: 0,
        };
        for (i, s) in customers.iter().enumerate() {
            let id = &s.customer.id;
            if acc.index.insert(id, i as u32).is_some() {
                return Err(CadenceError::DuplicateCustomer {
                    customer: id.clone(),
                });
            }
            // At most MAX_RULES rules, checked by the policy.
            acc.rule_of.push(policy.rule_index(s) as u16);
        }
        Ok(acc)
    }

    /// The as-of instant.
    ///
    /// ```
    /// # use chrono::Utc;
    /// # use crm_core::ConsentChannel;
    /// # use crm_engagement::{CadenceAccumulator, CadencePolicy, CadenceRule};
    /// # let policy = CadencePolicy::new(vec![], CadenceRule::new("all", 30, vec![ConsentChannel::Email]))?;
    /// let now = Utc::now();
    /// assert_eq!(CadenceAccumulator::new(&policy, now, &[])?.as_of(), now);
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn as_of(&self) -> DateTime<Utc> {
        self.as_of
    }

    /// Feeds one interaction.
    ///
    /// ```
    /// # use chrono::{Duration, TimeZone, Utc};
    /// # use crm_core::{Channel, ConsentChannel, Customer, Direction, Interaction, PartyKind};
    /// # use crm_engagement::{CadenceAccumulator, CadencePolicy, CadenceRule, CadenceSubject};
    /// # let policy = CadencePolicy::new(vec![], CadenceRule::new("all", 30, vec![ConsentChannel::Email]))?;
    /// let now = Utc.with_ymd_and_hms(2024, 6, 1, 12, 0, 0).unwrap();
    /// let c = Customer::new(1.into(), PartyKind::Person, "Ada", now)?;
    /// let subjects = [CadenceSubject::new(&c)];
    /// let mut acc = CadenceAccumulator::new(&policy, now, &subjects)?;
    /// acc.observe(&Interaction::new(1.into(), 1.into(), Channel::Email, Direction::Inbound, now - Duration::days(1)));
    /// assert_eq!(acc.state(0).unwrap().last_contact(), Some(now - Duration::days(1)));
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    #[inline]
    pub fn observe(&mut self, event: &impl ContactEvent) {
        let slot = match event.customer_ref() {
            CustomerRef::Index(i) => i as usize,
            CustomerRef::Id(id) => match self.index.get(id) {
                Some(&i) => i as usize,
                None => {
                    self.skipped_unknown += 1;
                    return;
                }
            },
        };
        let Some(rule) = self.rule_of.get(slot) else {
            self.skipped_unknown += 1;
            return;
        };
        let at = event.occurred_at_millis();
        if at > self.as_of_ms {
            self.skipped_future += 1;
            return;
        }
        let counted = self.rules[*rule as usize].counts(event);
        self.states[slot].record(at, counted, event.direction(), event.channel());
    }

    /// Feeds every interaction of an iterator.
    ///
    /// ```
    /// # use chrono::{Duration, Utc};
    /// # use crm_core::{Channel, ConsentChannel, Customer, Direction, PartyKind};
    /// # use crm_engagement::{CadenceAccumulator, CadencePolicy, CadenceRule, CadenceSubject, Touch};
    /// # let policy = CadencePolicy::new(vec![], CadenceRule::new("all", 30, vec![ConsentChannel::Email]))?;
    /// let now = Utc::now();
    /// let c = Customer::new(1.into(), PartyKind::Person, "Ada", now)?;
    /// let subjects = [CadenceSubject::new(&c)];
    /// let mut acc = CadenceAccumulator::new(&policy, now, &subjects)?;
    /// acc.observe_all([Touch::new(0, now, Channel::Sms, Direction::Outbound), Touch::new(9, now, Channel::Sms, Direction::Outbound)]);
    /// assert_eq!(acc.finish().skipped_unknown_customer, 1);
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn observe_all<E: ContactEvent>(&mut self, events: impl IntoIterator<Item = E>) {
        for e in events {
            self.observe(&e);
        }
    }

    /// The state of the customer at a position (in the order the customers were given).
    ///
    /// ```
    /// # use chrono::Utc;
    /// # use crm_core::ConsentChannel;
    /// # use crm_engagement::{CadenceAccumulator, CadencePolicy, CadenceRule};
    /// # let policy = CadencePolicy::new(vec![], CadenceRule::new("all", 30, vec![ConsentChannel::Email]))?;
    /// assert!(CadenceAccumulator::new(&policy, Utc::now(), &[])?.state(0).is_none());
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn state(&self, position: usize) -> Option<&CadenceState> {
        self.states.get(position)
    }

    /// Every customer's state, in the order the customers were given (to persist them).
    ///
    /// ```
    /// # use chrono::Utc;
    /// # use crm_core::ConsentChannel;
    /// # use crm_engagement::{CadenceAccumulator, CadencePolicy, CadenceRule};
    /// # let policy = CadencePolicy::new(vec![], CadenceRule::new("all", 30, vec![ConsentChannel::Email]))?;
    /// assert!(CadenceAccumulator::new(&policy, Utc::now(), &[])?.states().is_empty());
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn states(&self) -> &[CadenceState] {
        &self.states
    }

    /// Merges states saved earlier (for instance from an earlier run, serialized) into the
    /// customers' states, position by position.
    ///
    /// ```
    /// # use chrono::Utc;
    /// # use crm_core::{ConsentChannel, Customer, PartyKind};
    /// # use crm_engagement::{CadenceAccumulator, CadencePolicy, CadenceRule, CadenceState, CadenceSubject, CadenceError};
    /// # let policy = CadencePolicy::new(vec![], CadenceRule::new("all", 30, vec![ConsentChannel::Email]))?;
    /// # let c = Customer::new(1.into(), PartyKind::Person, "Ada", Utc::now())?;
    /// let subjects = [CadenceSubject::new(&c)];
    /// let mut acc = CadenceAccumulator::new(&policy, Utc::now(), &subjects)?;
    /// assert!(acc.merge_states(&[CadenceState::EMPTY]).is_ok());
    /// assert!(matches!(acc.merge_states(&[]), Err(CadenceError::MergeMismatch { .. })));
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn merge_states(&mut self, states: &[CadenceState]) -> Result<(), CadenceError> {
        if states.len() != self.states.len() {
            return Err(CadenceError::MergeMismatch {
                reason: "the number of states differs from the number of customers",
            });
        }
        for (a, b) in self.states.iter_mut().zip(states) {
            a.merge(b);
        }
        Ok(())
    }

    /// Merges another accumulator over the same customers (same ids in the same order),
    /// policy and as-of instant.
    ///
    /// ```
    /// # use chrono::{Duration, Utc};
    /// # use crm_core::ConsentChannel;
    /// # use crm_engagement::{CadenceAccumulator, CadencePolicy, CadenceRule, CadenceError};
    /// # let policy = CadencePolicy::new(vec![], CadenceRule::new("all", 30, vec![ConsentChannel::Email]))?;
    /// let now = Utc::now();
    /// let mut a = CadenceAccumulator::new(&policy, now, &[])?;
    /// let b = CadenceAccumulator::new(&policy, now - Duration::days(1), &[])?;
    /// assert!(matches!(a.merge(b), Err(CadenceError::MergeMismatch { .. })));
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn merge(&mut self, other: CadenceAccumulator<'_>) -> Result<(), CadenceError> {
        if other.as_of_ms != self.as_of_ms {
            return Err(CadenceError::MergeMismatch {
                reason: "different as-of instants",
            });
        }
        if other.policy != self.policy {
            return Err(CadenceError::MergeMismatch {
                reason: "different policies",
            });
        }
        if other.customers.len() != self.customers.len()
            || other
                .customers
                .iter()
                .zip(self.customers)
                .any(|(a, b)| a.customer.id != b.customer.id)
        {
            return Err(CadenceError::MergeMismatch {
                reason: "different customers",
            });
        }
        self.merge_states(&other.states)?;
        self.skipped_unknown += other.skipped_unknown;
        self.skipped_future += other.skipped_future;
        Ok(())
    }

    /// The customers due a contact, in the order the customers were given.
    ///
    /// A customer is due when its last counting contact is more UTC calendar days before
    /// the as-of day than its rule's interval, or when it was never contacted. The channel
    /// suggested is, among the rule's allowed channels with consent given, the one on which
    /// the customer last answered (an inbound interaction); channels never answered come
    /// after, and ties go to the rule's order. A due customer with consent on none of the
    /// allowed channels goes to [`DueReport::without_consent`], never with a channel.
    ///
    /// ```
    /// # use chrono::Utc;
    /// # use crm_core::{ConsentChannel, Customer, PartyKind};
    /// # use crm_engagement::{CadenceAccumulator, CadencePolicy, CadenceRule, CadenceSubject};
    /// # let policy = CadencePolicy::new(vec![], CadenceRule::new("all", 30, vec![ConsentChannel::Email]))?;
    /// let c = Customer::new(1.into(), PartyKind::Person, "Ada", Utc::now())?; // no consent
    /// let report = CadenceAccumulator::new(&policy, Utc::now(), &[CadenceSubject::new(&c)])?.finish();
    /// assert!(report.due.is_empty());
    /// assert_eq!(report.without_consent[0].channel, None);
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn finish(self) -> DueReport {
        let as_of_day = self.as_of_ms.div_euclid(MS_PER_DAY);
        let mut due = Vec::new();
        let mut without_consent = Vec::new();
        for (i, state) in self.states.iter().enumerate() {
            let customer = self.customers[i].customer;
            let r = self.rule_of[i] as usize;
            let rule = self.policy.rule_at(r);
            let last = state.last_contact_millis();
            let days_overdue = match last {
                Some(ms) => {
                    let since = as_of_day - ms.div_euclid(MS_PER_DAY);
                    let over = since - i64::from(rule.max_interval_days);
                    if over <= 0 {
                        continue;
                    }
                    Some(u32::try_from(over).unwrap_or(u32::MAX))
                }
                None => None,
            };
            let mut best: Option<(ConsentChannel, i64)> = None;
            for &ch in &rule.channels {
                if !customer.has_consent(ch) {
                    continue;
                }
                let answered = state.last_answer_millis(consent_slot(ch));
                if best.is_none_or(|(_, b)| answered > b) {
                    best = Some((ch, answered));
                }
            }
            let entry = DueCustomer {
                customer: customer.id.clone(),
                owner: customer.owner.clone(),
                rule: self.names[r].clone(),
                last_contact: last.and_then(DateTime::from_timestamp_millis),
                days_overdue,
                channel: best.map(|(ch, _)| ch),
            };
            if entry.channel.is_some() {
                due.push(entry);
            } else {
                without_consent.push(entry);
            }
        }
        DueReport {
            as_of: self.as_of,
            customers: self.states.len() as u64,
            due,
            without_consent,
            skipped_unknown_customer: self.skipped_unknown,
            skipped_after_as_of: self.skipped_future,
        }
    }
}

const MS_PER_DAY: i64 = 86_400_000;

// Every consent channel has a slot.
const _: () = assert!(CONSENT_CHANNELS == ConsentChannel::ALL.len());

/// A customer due a follow-up.
///
/// ```
/// use crm_core::ConsentChannel;
/// use crm_engagement::DueCustomer;
/// let d = DueCustomer { customer: 1.into(), owner: None, rule: "all".into(), last_contact: None, days_overdue: None, channel: Some(ConsentChannel::Email) };
/// assert!(d.never_contacted());
/// ```
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct DueCustomer {
    /// The customer.
    pub customer: CustomerId,
    /// The customer's owner (account manager), who should follow up.
    pub owner: Option<UserId>,
    /// The name of the rule that applied.
    pub rule: Arc<str>,
    /// The last counting contact, if any.
    pub last_contact: Option<DateTime<Utc>>,
    /// Calendar days past the interval (at least 1); `None` when never contacted.
    pub days_overdue: Option<u32>,
    /// The channel to use (always one with consent); `None` only in
    /// [`DueReport::without_consent`].
    pub channel: Option<ConsentChannel>,
}

impl DueCustomer {
    /// True when the customer has no counting contact at all.
    ///
    /// ```
    /// use crm_engagement::DueCustomer;
    /// let d = DueCustomer { customer: 1.into(), owner: None, rule: "r".into(), last_contact: None, days_overdue: None, channel: None };
    /// assert!(d.never_contacted());
    /// ```
    pub fn never_contacted(&self) -> bool {
        self.last_contact.is_none()
    }
}

/// Who is due a follow-up at an instant.
///
/// ```
/// use chrono::Utc;
/// use crm_engagement::DueReport;
/// let r = DueReport { as_of: Utc::now(), customers: 4, due: vec![], without_consent: vec![], skipped_unknown_customer: 0, skipped_after_as_of: 0 };
/// assert_eq!(r.on_cadence(), 4);
/// ```
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct DueReport {
    /// The as-of instant.
    pub as_of: DateTime<Utc>,
    /// How many customers were considered.
    pub customers: u64,
    /// Customers due, each with a channel that has consent.
    pub due: Vec<DueCustomer>,
    /// Customers due with consent on none of their rule's channels (no channel suggested).
    pub without_consent: Vec<DueCustomer>,
    /// Interactions skipped because their customer was not among the customers.
    pub skipped_unknown_customer: u64,
    /// Interactions skipped because they happened after the as-of instant.
    pub skipped_after_as_of: u64,
}

impl DueReport {
    /// Customers not due: contacted within their rule's interval.
    ///
    /// ```
    /// use chrono::Utc;
    /// use crm_engagement::DueReport;
    /// let r = DueReport { as_of: Utc::now(), customers: 0, due: vec![], without_consent: vec![], skipped_unknown_customer: 0, skipped_after_as_of: 0 };
    /// assert_eq!(r.on_cadence(), 0);
    /// ```
    pub fn on_cadence(&self) -> u64 {
        self.customers - (self.due.len() + self.without_consent.len()) as u64
    }
}

/// Every customer due a follow-up at `as_of` under `policy`, from the interactions in any
/// order (see [`CadenceAccumulator::finish`] for the rules).
///
/// ```
/// use chrono::{Duration, TimeZone, Utc};
/// use crm_core::{Channel, ConsentChannel, Customer, Direction, Interaction, PartyKind};
/// use crm_engagement::{due, CadencePolicy, CadenceRule, CadenceSubject};
/// let as_of = Utc.with_ymd_and_hms(2024, 6, 1, 12, 0, 0).unwrap();
/// let policy = CadencePolicy::new(vec![], CadenceRule::new("all", 30, vec![ConsentChannel::Phone, ConsentChannel::Email]))?;
/// let mut ada = Customer::new(1.into(), PartyKind::Person, "Ada", as_of)?;
/// ada.owner = Some("rep.jane".parse()?);
/// ada.give_consent(ConsentChannel::Phone, as_of);
/// ada.give_consent(ConsentChannel::Email, as_of);
/// let mails = [Interaction::new(1.into(), 1.into(), Channel::Email, Direction::Inbound, as_of - Duration::days(45))];
/// let report = due(as_of, &[CadenceSubject::new(&ada)], &mails, &policy)?;
/// let d = &report.due[0];
/// assert_eq!((d.days_overdue, d.channel), (Some(15), Some(ConsentChannel::Email)));
/// assert_eq!(d.owner.as_ref().map(|o| o.to_string()), Some("rep.jane".to_string()));
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
pub fn due<E: ContactEvent>(
    as_of: DateTime<Utc>,
    customers: &[CadenceSubject<'_>],
    interactions: impl IntoIterator<Item = E>,
    policy: &CadencePolicy,
) -> Result<DueReport, CadenceError> {
    let mut acc = CadenceAccumulator::new(policy, as_of, customers)?;
    acc.observe_all(interactions);
    Ok(acc.finish())
}

#[cfg(test)]
mod tests;
