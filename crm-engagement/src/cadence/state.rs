//! The per-customer running state of the cadence, and what it is fed.

use std::collections::BTreeMap;

use chrono::{DateTime, Utc};
use crm_core::{Channel, ConsentChannel, CustomerId, Direction, Interaction};
use serde::{Deserialize, Serialize};

use super::CountedContacts;

/// Which customer an interaction belongs to: by id, or by its position in the customers
/// given to the cadence (the dense form, which needs no look-up).
///
/// ```
/// use crm_core::CustomerId;
/// use crm_engagement::CustomerRef;
/// let id = CustomerId::from(7);
/// assert_eq!(CustomerRef::Id(&id), CustomerRef::Id(&CustomerId::from(7)));
/// assert_ne!(CustomerRef::Index(0), CustomerRef::Index(1));
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum CustomerRef<'a> {
    /// The customer's id.
    Id(&'a CustomerId),
    /// The customer's position in the slice of customers.
    Index(u32),
}

/// What the cadence needs to know about an interaction. Implemented for
/// [`crm_core::Interaction`] and for the compact [`Touch`].
///
/// ```
/// use chrono::Utc;
/// use crm_core::{Channel, Direction, Interaction};
/// use crm_engagement::{ContactEvent, CustomerRef};
/// let i = Interaction::new(1.into(), 42.into(), Channel::Email, Direction::Inbound, Utc::now());
/// assert_eq!(i.customer_ref(), CustomerRef::Id(&42.into()));
/// assert_eq!(ContactEvent::channel(&i), Channel::Email);
/// ```
pub trait ContactEvent {
    /// The customer.
    fn customer_ref(&self) -> CustomerRef<'_>;
    /// When it happened, in milliseconds since the Unix epoch.
    fn occurred_at_millis(&self) -> i64;
    /// The channel.
    fn channel(&self) -> Channel;
    /// Who started it.
    fn direction(&self) -> Direction;
    /// The outcome, if recorded.
    fn outcome(&self) -> Option<&str>;
}

impl ContactEvent for Interaction {
    fn customer_ref(&self) -> CustomerRef<'_> {
        CustomerRef::Id(&self.customer)
    }
    fn occurred_at_millis(&self) -> i64 {
        self.occurred_at.timestamp_millis()
    }
    fn channel(&self) -> Channel {
        self.channel
    }
    fn direction(&self) -> Direction {
        self.direction
    }
    fn outcome(&self) -> Option<&str> {
        self.outcome.as_deref()
    }
}

impl<T: ContactEvent + ?Sized> ContactEvent for &T {
    fn customer_ref(&self) -> CustomerRef<'_> {
        (**self).customer_ref()
    }
    fn occurred_at_millis(&self) -> i64 {
        (**self).occurred_at_millis()
    }
    fn channel(&self) -> Channel {
        (**self).channel()
    }
    fn direction(&self) -> Direction {
        (**self).direction()
    }
    fn outcome(&self) -> Option<&str> {
        (**self).outcome()
    }
}

/// A compact interaction: the customer by position in the customers slice, the time to the
/// millisecond, channel, direction and an optional borrowed outcome. The form to use for
/// very many interactions (no look-up by id, no allocation).
///
/// ```
/// use chrono::{TimeZone, Utc};
/// use crm_core::{Channel, Direction};
/// use crm_engagement::{ContactEvent, CustomerRef, Touch};
/// let t0 = Utc.with_ymd_and_hms(2024, 5, 1, 9, 0, 0).unwrap();
/// let t = Touch::new(3, t0, Channel::Phone, Direction::Outbound).with_outcome("reached");
/// assert_eq!(t.customer_ref(), CustomerRef::Index(3));
/// assert_eq!(t.occurred_at(), Some(t0));
/// assert_eq!(t.outcome(), Some("reached"));
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct Touch<'a> {
    customer: u32,
    at_ms: i64,
    channel: Channel,
    direction: Direction,
    #[serde(borrow)]
    outcome: Option<&'a str>,
}

impl<'a> Touch<'a> {
    /// A touch of the customer at position `customer`, without an outcome.
    ///
    /// ```
    /// use chrono::Utc;
    /// use crm_core::{Channel, Direction};
    /// use crm_engagement::{ContactEvent, Touch};
    /// assert_eq!(Touch::new(0, Utc::now(), Channel::Sms, Direction::Inbound).outcome(), None);
    /// ```
    pub fn new(customer: u32, at: DateTime<Utc>, channel: Channel, direction: Direction) -> Self {
        Touch {
            customer,
            at_ms: at.timestamp_millis(),
            channel,
            direction,
            outcome: None,
        }
    }

    /// The same touch with an outcome.
    ///
    /// ```
    /// use chrono::Utc;
    /// use crm_core::{Channel, Direction};
    /// use crm_engagement::{ContactEvent, Touch};
    /// let t = Touch::new(0, Utc::now(), Channel::Sms, Direction::Inbound).with_outcome("ok");
    /// assert_eq!(t.outcome(), Some("ok"));
    /// ```
    pub fn with_outcome(mut self, outcome: &'a str) -> Self {
        self.outcome = Some(outcome);
        self
    }

    /// When it happened (to the millisecond).
    ///
    /// ```
    /// use chrono::{TimeZone, Utc};
    /// use crm_core::{Channel, Direction};
    /// use crm_engagement::Touch;
    /// let t0 = Utc.with_ymd_and_hms(2024, 1, 1, 0, 0, 0).unwrap();
    /// assert_eq!(Touch::new(0, t0, Channel::Sms, Direction::Inbound).occurred_at(), Some(t0));
    /// ```
    pub fn occurred_at(&self) -> Option<DateTime<Utc>> {
        DateTime::from_timestamp_millis(self.at_ms)
    }
}

impl ContactEvent for Touch<'_> {
    #[inline]
    fn customer_ref(&self) -> CustomerRef<'_> {
        CustomerRef::Index(self.customer)
    }
    #[inline]
    fn occurred_at_millis(&self) -> i64 {
        self.at_ms
    }
    #[inline]
    fn channel(&self) -> Channel {
        self.channel
    }
    #[inline]
    fn direction(&self) -> Direction {
        self.direction
    }
    #[inline]
    fn outcome(&self) -> Option<&str> {
        self.outcome
    }
}

/// The consent channel an interaction channel answers on, if any: e-mail, SMS, phone and
/// messaging map to their consent channels; other channels (chat, web, meetings) have none.
///
/// ```
/// use crm_core::{Channel, ConsentChannel};
/// use crm_engagement::consent_channel_of;
/// assert_eq!(consent_channel_of(Channel::Sms), Some(ConsentChannel::Sms));
/// assert_eq!(consent_channel_of(Channel::Chat), None);
/// ```
pub fn consent_channel_of(channel: Channel) -> Option<ConsentChannel> {
    match channel {
        Channel::Email => Some(ConsentChannel::Email),
        Channel::Sms => Some(ConsentChannel::Sms),
        Channel::Phone => Some(ConsentChannel::Phone),
        Channel::Messaging => Some(ConsentChannel::Messaging),
        _ => None,
    }
}

pub(crate) const CONSENT_CHANNELS: usize = 5;

#[inline]
pub(crate) fn consent_slot(channel: ConsentChannel) -> usize {
    match channel {
        ConsentChannel::Email => 0,
        ConsentChannel::Sms => 1,
        ConsentChannel::Phone => 2,
        ConsentChannel::Post => 3,
        ConsentChannel::Messaging => 4,
    }
}

/// The answer slot of an interaction channel (see [`consent_channel_of`]).
#[inline]
pub(crate) fn answer_slot(channel: Channel) -> Option<usize> {
    consent_channel_of(channel).map(consent_slot)
}

const NEVER: i64 = i64::MIN;

/// One customer's running cadence state: the time of the last counting contact and, per
/// consent channel, of the last inbound interaction (the customer's last answer there).
///
/// Interactions may be fed in any order; two states of the same customer merge by taking
/// the later time of each field, so states form a commutative monoid with
/// [`CadenceState::EMPTY`] as identity: any split of a customer's interactions, observed
/// apart and merged, gives the state of the whole. Times are kept to the millisecond.
/// Serialized as `{"last_contact": …, "last_answer": {"email": …}}`.
///
/// ```
/// use chrono::{TimeZone, Utc};
/// use crm_core::{Channel, ConsentChannel, Direction};
/// use crm_engagement::{CadenceState, CountedContacts, Touch};
/// let counts = CountedContacts::default();
/// let t = |d| Utc.with_ymd_and_hms(2024, 5, d, 9, 0, 0).unwrap();
/// let mut a = CadenceState::EMPTY;
/// a.observe(&counts, &Touch::new(0, t(3), Channel::Email, Direction::Inbound));
/// let mut b = CadenceState::EMPTY;
/// b.observe(&counts, &Touch::new(0, t(1), Channel::Phone, Direction::Outbound));
/// let both = a.merged(&b);
/// assert_eq!(both, b.merged(&a));
/// assert_eq!(both.last_contact(), Some(t(3)));
/// assert_eq!(both.last_answer(ConsentChannel::Email), Some(t(3)));
/// assert_eq!(both.last_answer(ConsentChannel::Phone), None); // outbound is no answer
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(from = "StateRepr", into = "StateRepr")]
pub struct CadenceState {
    last_contact: i64,
    last_answer: [i64; CONSENT_CHANNELS],
}

impl Default for CadenceState {
    fn default() -> Self {
        Self::EMPTY
    }
}

impl CadenceState {
    /// The state of a customer with no interactions: the identity of [`merge`](Self::merge).
    pub const EMPTY: CadenceState = CadenceState {
        last_contact: NEVER,
        last_answer: [NEVER; CONSENT_CHANNELS],
    };

    /// Feeds one interaction of this customer, counting it as a contact when `counts` says
    /// so (the customer's rule decides), and as an answer when it is inbound on a channel
    /// with consent (see [`consent_channel_of`]).
    ///
    /// ```
    /// use chrono::Utc;
    /// use crm_core::{Channel, Direction};
    /// use crm_engagement::{CadenceState, CountedContacts, Touch};
    /// let outbound_only = CountedContacts { directions: vec![Direction::Outbound], ..Default::default() };
    /// let mut s = CadenceState::EMPTY;
    /// s.observe(&outbound_only, &Touch::new(0, Utc::now(), Channel::Email, Direction::Inbound));
    /// assert_eq!(s.last_contact(), None);
    /// ```
    pub fn observe(&mut self, counts: &CountedContacts, event: &impl super::ContactEvent) {
        let counted = counts.counts(event.channel(), event.direction(), event.outcome());
        self.record(
            event.occurred_at_millis(),
            counted,
            event.direction(),
            event.channel(),
        );
    }

    #[inline]
    pub(crate) fn record(&mut self, at_ms: i64, counted: bool, direction: Direction, ch: Channel) {
        if counted && at_ms > self.last_contact {
            self.last_contact = at_ms;
        }
        if direction == Direction::Inbound
            && let Some(slot) = answer_slot(ch)
            && at_ms > self.last_answer[slot]
        {
            self.last_answer[slot] = at_ms;
        }
    }

    /// Merges another state of the same customer into this one (latest time per field).
    ///
    /// ```
    /// use crm_engagement::CadenceState;
    /// let mut s = CadenceState::EMPTY;
    /// s.merge(&CadenceState::EMPTY);
    /// assert_eq!(s, CadenceState::EMPTY);
    /// ```
    pub fn merge(&mut self, other: &CadenceState) {
        self.last_contact = self.last_contact.max(other.last_contact);
        for (a, b) in self.last_answer.iter_mut().zip(other.last_answer) {
            *a = (*a).max(b);
        }
    }

    /// This state merged with another (see [`merge`](Self::merge)).
    ///
    /// ```
    /// use crm_engagement::CadenceState;
    /// assert_eq!(CadenceState::EMPTY.merged(&CadenceState::EMPTY), CadenceState::EMPTY);
    /// ```
    pub fn merged(mut self, other: &CadenceState) -> CadenceState {
        self.merge(other);
        self
    }

    /// The time of the last counting contact, if any.
    ///
    /// ```
    /// use crm_engagement::CadenceState;
    /// assert_eq!(CadenceState::EMPTY.last_contact(), None);
    /// ```
    pub fn last_contact(&self) -> Option<DateTime<Utc>> {
        millis_to_time(self.last_contact)
    }

    pub(crate) fn last_contact_millis(&self) -> Option<i64> {
        (self.last_contact != NEVER).then_some(self.last_contact)
    }

    pub(crate) fn last_answer_millis(&self, slot: usize) -> i64 {
        self.last_answer[slot]
    }

    /// The time of the customer's last inbound interaction on a consent channel, if any.
    ///
    /// ```
    /// use crm_core::ConsentChannel;
    /// use crm_engagement::CadenceState;
    /// assert_eq!(CadenceState::EMPTY.last_answer(ConsentChannel::Post), None);
    /// ```
    pub fn last_answer(&self, channel: ConsentChannel) -> Option<DateTime<Utc>> {
        millis_to_time(self.last_answer[consent_slot(channel)])
    }
}

fn millis_to_time(ms: i64) -> Option<DateTime<Utc>> {
    if ms == NEVER {
        None
    } else {
        DateTime::from_timestamp_millis(ms)
    }
}

#[derive(Serialize, Deserialize)]
struct StateRepr {
    #[serde(default)]
    last_contact: Option<DateTime<Utc>>,
    #[serde(default)]
    last_answer: BTreeMap<ConsentChannel, DateTime<Utc>>,
}

impl From<StateRepr> for CadenceState {
    fn from(r: StateRepr) -> Self {
        let mut s = CadenceState::EMPTY;
        if let Some(t) = r.last_contact {
            s.last_contact = t.timestamp_millis();
        }
        for (ch, t) in r.last_answer {
            s.last_answer[consent_slot(ch)] = t.timestamp_millis();
        }
        s
    }
}

impl From<CadenceState> for StateRepr {
    fn from(s: CadenceState) -> Self {
        StateRepr {
            last_contact: s.last_contact(),
            last_answer: ConsentChannel::ALL
                .iter()
                .filter_map(|&ch| s.last_answer(ch).map(|t| (ch, t)))
                .collect(),
        }
    }
}
