//! Communication analytics: contacts per customer and period, channel mix over time,
//! response times to inbound interactions, the share of customers contacted within their
//! cadence, and repeat-purchase rates by contact frequency (descriptive, not causal).

use std::collections::BTreeMap;

use chrono::{DateTime, Datelike, Duration, NaiveDate, Utc};
use crm_core::{Channel, CustomerId, Direction, Interaction, Transaction};
use crm_lifecycle::BusinessCalendar;
use serde::{Deserialize, Serialize};

use crate::DueReport;

/// A calendar period in UTC.
///
/// ```
/// use chrono::NaiveDate;
/// use crm_engagement::Period;
/// let d = NaiveDate::from_ymd_opt(2024, 5, 16).unwrap(); // a Thursday
/// assert_eq!(Period::Week.start(d), NaiveDate::from_ymd_opt(2024, 5, 13).unwrap());
/// assert_eq!(Period::Month.start(d), NaiveDate::from_ymd_opt(2024, 5, 1).unwrap());
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Period {
    /// A UTC day.
    Day,
    /// An ISO week, from Monday.
    Week,
    /// A calendar month.
    Month,
}

impl Period {
    /// The first day of the period holding `date`.
    pub fn start(self, date: NaiveDate) -> NaiveDate {
        match self {
            Period::Day => date,
            Period::Week => date - Duration::days(i64::from(date.weekday().num_days_from_monday())),
            Period::Month => date.with_day(1).unwrap_or(date),
        }
    }
}

/// Interactions of one customer in one period.
///
/// ```
/// use chrono::NaiveDate;
/// use crm_engagement::CustomerPeriodContacts;
/// let c = CustomerPeriodContacts { customer: 1.into(), period: NaiveDate::from_ymd_opt(2024, 5, 1).unwrap(), contacts: 3 };
/// assert_eq!(c.contacts, 3);
/// ```
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct CustomerPeriodContacts {
    /// The customer.
    pub customer: CustomerId,
    /// The first day of the period.
    pub period: NaiveDate,
    /// Interactions in it.
    pub contacts: u64,
}

/// Interactions per customer and period, by customer then period.
///
/// ```
/// use chrono::{TimeZone, Utc};
/// use crm_core::{Channel, Direction, Interaction};
/// use crm_engagement::{contacts_per_period, Period};
/// let t = |d| Utc.with_ymd_and_hms(2024, 5, d, 9, 0, 0).unwrap();
/// let i = [
///     Interaction::new(1.into(), 7.into(), Channel::Email, Direction::Outbound, t(2)),
///     Interaction::new(2.into(), 7.into(), Channel::Phone, Direction::Inbound, t(20)),
/// ];
/// let rows = contacts_per_period(&i, Period::Month);
/// assert_eq!(rows.len(), 1);
/// assert_eq!(rows[0].contacts, 2);
/// ```
pub fn contacts_per_period<'a>(
    interactions: impl IntoIterator<Item = &'a Interaction>,
    period: Period,
) -> Vec<CustomerPeriodContacts> {
    let mut counts: BTreeMap<(CustomerId, NaiveDate), u64> = BTreeMap::new();
    for i in interactions {
        let p = period.start(i.occurred_at.date_naive());
        *counts.entry((i.customer.clone(), p)).or_default() += 1;
    }
    counts
        .into_iter()
        .map(|((customer, period), contacts)| CustomerPeriodContacts {
            customer,
            period,
            contacts,
        })
        .collect()
}

/// The channel mix of one period.
///
/// ```
/// use chrono::NaiveDate;
/// use crm_engagement::ChannelMix;
/// let m = ChannelMix { period: NaiveDate::from_ymd_opt(2024, 5, 1).unwrap(), total: 0, by_channel: Default::default() };
/// assert_eq!(m.share(crm_core::Channel::Email), None);
/// ```
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ChannelMix {
    /// The first day of the period.
    pub period: NaiveDate,
    /// Interactions in the period.
    pub total: u64,
    /// Interactions per channel (channels with none left out).
    pub by_channel: BTreeMap<String, u64>,
}

impl ChannelMix {
    /// A channel's share of the period's interactions (`None` for an empty period).
    pub fn share(&self, channel: Channel) -> Option<f64> {
        (self.total > 0).then(|| {
            *self.by_channel.get(channel.as_str()).unwrap_or(&0) as f64 / self.total as f64
        })
    }
}

/// Interactions per channel and period, periods in order.
///
/// ```
/// use chrono::{TimeZone, Utc};
/// use crm_core::{Channel, Direction, Interaction};
/// use crm_engagement::{channel_mix, Period};
/// let t = Utc.with_ymd_and_hms(2024, 5, 2, 9, 0, 0).unwrap();
/// let i = [
///     Interaction::new(1.into(), 7.into(), Channel::Email, Direction::Outbound, t),
///     Interaction::new(2.into(), 8.into(), Channel::Email, Direction::Outbound, t),
///     Interaction::new(3.into(), 8.into(), Channel::Sms, Direction::Outbound, t),
/// ];
/// let mix = channel_mix(&i, Period::Week);
/// assert_eq!(mix[0].by_channel["email"], 2);
/// assert_eq!(mix[0].share(Channel::Sms), Some(1.0 / 3.0));
/// ```
pub fn channel_mix<'a>(
    interactions: impl IntoIterator<Item = &'a Interaction>,
    period: Period,
) -> Vec<ChannelMix> {
    let mut mix: BTreeMap<NaiveDate, ChannelMix> = BTreeMap::new();
    for i in interactions {
        let p = period.start(i.occurred_at.date_naive());
        let m = mix.entry(p).or_insert_with(|| ChannelMix {
            period: p,
            total: 0,
            by_channel: BTreeMap::new(),
        });
        m.total += 1;
        *m.by_channel
            .entry(i.channel.as_str().to_string())
            .or_default() += 1;
    }
    mix.into_values().collect()
}

/// The reply to one inbound interaction.
///
/// ```
/// use chrono::Utc;
/// use crm_engagement::Reply;
/// let r = Reply { customer: 1.into(), inbound_at: Utc::now(), replied_at: None, seconds: None };
/// assert!(r.seconds.is_none());
/// ```
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Reply {
    /// The customer.
    pub customer: CustomerId,
    /// When the customer reached out.
    pub inbound_at: DateTime<Utc>,
    /// The first outbound interaction after it, if any.
    pub replied_at: Option<DateTime<Utc>>,
    /// Seconds to the reply (in business hours when a calendar was given).
    pub seconds: Option<i64>,
}

/// Response times to inbound interactions.
///
/// ```
/// use crm_engagement::ResponseTimes;
/// let r = ResponseTimes { replies: vec![], unanswered: 0, median_seconds: None };
/// assert!(r.median_seconds.is_none());
/// ```
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ResponseTimes {
    /// Every inbound interaction with its reply, by customer then time.
    pub replies: Vec<Reply>,
    /// Inbound interactions with no outbound one after them.
    pub unanswered: u64,
    /// The median response time of those answered (the lower middle for an even count).
    pub median_seconds: Option<i64>,
}

/// For each inbound interaction, the first outbound interaction of the same customer at or
/// after it; the time between them, in business hours when a calendar is given
/// (`crm_lifecycle::BusinessCalendar::working_time`), else in wall-clock time.
///
/// ```
/// use chrono::{Duration, TimeZone, Utc};
/// use crm_core::{Channel, Direction, Interaction};
/// use crm_engagement::response_times;
/// let t0 = Utc.with_ymd_and_hms(2024, 5, 2, 9, 0, 0).unwrap();
/// let i = [
///     Interaction::new(1.into(), 7.into(), Channel::Email, Direction::Inbound, t0),
///     Interaction::new(2.into(), 7.into(), Channel::Email, Direction::Inbound, t0 + Duration::hours(1)),
///     Interaction::new(3.into(), 7.into(), Channel::Email, Direction::Outbound, t0 + Duration::hours(2)),
/// ];
/// let r = response_times(&i, None);
/// let secs: Vec<_> = r.replies.iter().map(|x| x.seconds).collect();
/// assert_eq!(secs, [Some(7200), Some(3600)]);
/// ```
pub fn response_times<'a>(
    interactions: impl IntoIterator<Item = &'a Interaction>,
    calendar: Option<&BusinessCalendar>,
) -> ResponseTimes {
    let mut by_customer: BTreeMap<&CustomerId, Vec<(DateTime<Utc>, Direction)>> = BTreeMap::new();
    for i in interactions {
        by_customer
            .entry(&i.customer)
            .or_default()
            .push((i.occurred_at, i.direction));
    }
    let mut replies = Vec::new();
    for (customer, mut events) in by_customer {
        // Inbound before outbound at the same instant: a reply at that instant counts.
        events.sort_by_key(|&(t, d)| (t, d == Direction::Outbound));
        let mut next_out: Option<DateTime<Utc>> = None;
        let mut mine = Vec::new();
        for &(t, d) in events.iter().rev() {
            match d {
                Direction::Outbound => next_out = Some(t),
                Direction::Inbound => {
                    let seconds = next_out.map(|r| match calendar {
                        Some(c) => c.working_time(t, r).num_seconds(),
                        None => (r - t).num_seconds(),
                    });
                    mine.push(Reply {
                        customer: customer.clone(),
                        inbound_at: t,
                        replied_at: next_out,
                        seconds,
                    });
                }
            }
        }
        mine.reverse();
        replies.extend(mine);
    }
    let mut answered: Vec<i64> = replies.iter().filter_map(|r| r.seconds).collect();
    answered.sort_unstable();
    let median_seconds = (!answered.is_empty()).then(|| answered[(answered.len() - 1) / 2]);
    ResponseTimes {
        unanswered: replies.iter().filter(|r| r.replied_at.is_none()).count() as u64,
        replies,
        median_seconds,
    }
}

/// The share of customers contacted within their cadence in a due report (`None` without
/// customers).
///
/// ```
/// use chrono::Utc;
/// use crm_engagement::{share_within_cadence, DueReport};
/// let r = DueReport { as_of: Utc::now(), customers: 4, due: vec![], without_consent: vec![], skipped_unknown_customer: 0, skipped_after_as_of: 0 };
/// assert_eq!(share_within_cadence(&r), Some(1.0));
/// ```
pub fn share_within_cadence(report: &DueReport) -> Option<f64> {
    (report.customers > 0).then(|| report.on_cadence() as f64 / report.customers as f64)
}

/// How to read [`RepeatRateByContacts`]: an association seen in the data, not an effect.
///
/// ```
/// use crm_engagement::Interpretation;
/// assert_eq!(serde_json::to_string(&Interpretation::DescriptiveNotCausal).unwrap(), "\"descriptive_not_causal\"");
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Interpretation {
    /// Customers who are contacted more may differ in many ways (they may be contacted
    /// because they buy); the rates do not say what contacting more would change.
    DescriptiveNotCausal,
}

/// Customers in one contact-frequency bucket and how many of them bought again.
///
/// ```
/// use crm_engagement::FrequencyBucket;
/// let b = FrequencyBucket { min_contacts: 1, max_contacts: Some(2), customers: 4, repeat_buyers: 1 };
/// assert_eq!(b.repeat_rate(), Some(0.25));
/// ```
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct FrequencyBucket {
    /// The fewest contacts in the bucket.
    pub min_contacts: u64,
    /// The most (`None`: no upper bound).
    pub max_contacts: Option<u64>,
    /// Customers with a purchase, in the bucket.
    pub customers: u64,
    /// Those with two purchases or more.
    pub repeat_buyers: u64,
}

impl FrequencyBucket {
    /// Repeat buyers per customer (`None` for an empty bucket).
    pub fn repeat_rate(&self) -> Option<f64> {
        (self.customers > 0).then(|| self.repeat_buyers as f64 / self.customers as f64)
    }
}

/// Repeat-purchase rates by contact-frequency bucket. Descriptive, **not causal**: see
/// [`Interpretation`].
///
/// ```
/// use crm_engagement::{Interpretation, RepeatRateByContacts};
/// let r = RepeatRateByContacts { interpretation: Interpretation::DescriptiveNotCausal, buckets: vec![] };
/// assert!(r.buckets.is_empty());
/// ```
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct RepeatRateByContacts {
    /// Always [`Interpretation::DescriptiveNotCausal`].
    pub interpretation: Interpretation,
    /// The buckets, in order of contacts.
    pub buckets: Vec<FrequencyBucket>,
}

/// The repeat-purchase rate of buyers grouped by how often they were contacted.
///
/// Buyers are the customers with at least one purchase (a positive amount) among the
/// transactions; a repeat buyer has two or more. Each buyer falls into the bucket of its
/// number of interactions: `bounds` are the lower bounds of the buckets in rising order
/// (starting at 0 is usual; buyers below the first bound are left out). This describes an
/// association only: it is not evidence that contacting more causes repeat purchases.
///
/// ```
/// use chrono::{TimeZone, Utc};
/// use crm_core::{Channel, Direction, Interaction, Transaction};
/// use crm_engagement::repeat_rate_by_contacts;
/// let t = Utc.with_ymd_and_hms(2024, 5, 2, 9, 0, 0).unwrap();
/// let tx = |id: &str, c: i64| Transaction::new(id.parse().unwrap(), c.into(), t, "10 EUR".parse().unwrap());
/// let txs = [tx("A", 1), tx("B", 1), tx("C", 2)];
/// let calls = [Interaction::new(1.into(), 1.into(), Channel::Phone, Direction::Outbound, t)];
/// let r = repeat_rate_by_contacts(&calls, &txs, &[0, 1]);
/// assert_eq!(r.buckets[0].repeat_rate(), Some(0.0)); // customer 2, no contact
/// assert_eq!(r.buckets[1].repeat_rate(), Some(1.0)); // customer 1, one contact
/// ```
pub fn repeat_rate_by_contacts<'a>(
    interactions: impl IntoIterator<Item = &'a Interaction>,
    transactions: &[Transaction],
    bounds: &[u64],
) -> RepeatRateByContacts {
    let mut bounds = bounds.to_vec();
    bounds.sort_unstable();
    bounds.dedup();
    let mut purchases: BTreeMap<&CustomerId, u64> = BTreeMap::new();
    for t in transactions
        .iter()
        .filter(|t| !t.is_refund() && !t.amount.is_zero())
    {
        *purchases.entry(&t.customer).or_default() += 1;
    }
    let mut contacts: BTreeMap<&CustomerId, u64> = BTreeMap::new();
    for i in interactions {
        if purchases.contains_key(&i.customer) {
            *contacts.entry(&i.customer).or_default() += 1;
        }
    }
    let mut buckets: Vec<FrequencyBucket> = bounds
        .iter()
        .enumerate()
        .map(|(k, &min)| FrequencyBucket {
            min_contacts: min,
            max_contacts: bounds.get(k + 1).map(|next| next - 1),
            customers: 0,
            repeat_buyers: 0,
        })
        .collect();
    for (customer, n) in purchases {
        let c = contacts.get(customer).copied().unwrap_or(0);
        let k = bounds.partition_point(|&b| b <= c);
        if k == 0 {
            continue;
        }
        let b = &mut buckets[k - 1];
        b.customers += 1;
        b.repeat_buyers += u64::from(n >= 2);
    }
    RepeatRateByContacts {
        interpretation: Interpretation::DescriptiveNotCausal,
        buckets,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::{NaiveTime, TimeZone};

    fn i(n: i64, c: i64, ch: Channel, d: Direction, t: DateTime<Utc>) -> Interaction {
        Interaction::new(n.into(), c.into(), ch, d, t)
    }

    #[test]
    fn response_times_in_business_hours_and_unanswered() {
        // Friday 16:00 UTC inbound, reply Monday 10:00 UTC: 1 h Friday + 1 h Monday in
        // 09:00-17:00 hours, 66 h on the wall clock.
        let fri = Utc.with_ymd_and_hms(2024, 3, 8, 16, 0, 0).unwrap();
        let mon = Utc.with_ymd_and_hms(2024, 3, 11, 10, 0, 0).unwrap();
        let events = [
            i(1, 1, Channel::Email, Direction::Inbound, fri),
            i(2, 1, Channel::Email, Direction::Outbound, mon),
            i(3, 2, Channel::Chat, Direction::Inbound, mon),
        ];
        let cal = BusinessCalendar::weekdays(
            chrono_tz::UTC,
            NaiveTime::from_hms_opt(9, 0, 0).unwrap(),
            NaiveTime::from_hms_opt(17, 0, 0).unwrap(),
        )
        .unwrap();
        let r = response_times(&events, Some(&cal));
        assert_eq!(r.replies[0].seconds, Some(2 * 3600));
        assert_eq!(r.unanswered, 1);
        assert_eq!(r.median_seconds, Some(7200));
        let r = response_times(&events, None);
        assert_eq!(r.replies[0].seconds, Some(66 * 3600));
    }

    #[test]
    fn periods_mix_and_buckets() {
        let t = |d| Utc.with_ymd_and_hms(2024, 4, d, 12, 0, 0).unwrap();
        let events = [
            i(1, 1, Channel::Email, Direction::Outbound, t(29)), // Monday, week of 29 April
            i(2, 1, Channel::Phone, Direction::Outbound, t(30)),
            i(3, 2, Channel::Email, Direction::Outbound, t(28)), // Sunday, week of 22 April
        ];
        let rows = contacts_per_period(&events, Period::Week);
        let got: Vec<_> = rows
            .iter()
            .map(|r| (r.customer.clone(), r.period.day(), r.contacts))
            .collect();
        assert_eq!(got, [(1.into(), 29, 2), (2.into(), 22, 1)]);
        let mix = channel_mix(&events, Period::Month);
        assert_eq!(mix.len(), 1);
        assert_eq!(
            (mix[0].total, mix[0].share(Channel::Phone)),
            (3, Some(1.0 / 3.0))
        );
        let tx = |id: &str, c: i64, amount: &str| {
            Transaction::new(id.parse().unwrap(), c.into(), t(1), amount.parse().unwrap())
        };
        // Customer 1: 2 contacts, 2 purchases (and a refund); 2: 1 contact, 1 purchase;
        // 3: no contact, 2 purchases; 4 only a refund (no buyer).
        let txs = [
            tx("a", 1, "5 EUR"),
            tx("b", 1, "5 EUR"),
            tx("c", 1, "-5 EUR"),
            tx("d", 2, "5 EUR"),
            tx("e", 3, "5 EUR"),
            tx("f", 3, "7 EUR"),
            tx("g", 4, "-1 EUR"),
        ];
        let r = repeat_rate_by_contacts(&events, &txs, &[2, 0, 1]);
        let got: Vec<_> = r
            .buckets
            .iter()
            .map(|b| (b.min_contacts, b.max_contacts, b.customers, b.repeat_buyers))
            .collect();
        assert_eq!(
            got,
            [(0, Some(0), 1, 1), (1, Some(1), 1, 0), (2, None, 1, 1)]
        );
        assert_eq!(r.interpretation, Interpretation::DescriptiveNotCausal);
    }
}
