//! The points ledger: balances, FIFO expiry, statements.

use std::collections::{BTreeMap, VecDeque};

use chrono::{DateTime, Months, Utc};
use crm_core::{CustomerId, LoyaltyEvent, LoyaltyEventId, LoyaltyEventKind};
use serde::{Deserialize, Serialize};

use super::{LoyaltyError, LoyaltyProgramme};

/// Where an event falls among events at the same instant: credits first, then debits.
fn rank(e: &LoyaltyEvent) -> u8 {
    match e.kind {
        LoyaltyEventKind::Earn => 0,
        LoyaltyEventKind::Adjust if e.points > 0 => 0,
        LoyaltyEventKind::Redeem => 1,
        LoyaltyEventKind::Expire => 2,
        LoyaltyEventKind::Adjust => 2,
    }
}

type Order = (DateTime<Utc>, u8, LoyaltyEventId);

/// The loyalty events of many members, kept in ledger order and de-duplicated by id.
///
/// A journal is a mergeable collection (union of events): any split of a member's events,
/// recorded in separate journals and merged, gives the journal of the whole, so ledgers
/// can be built from batches or partitions in any order. The same id recorded twice with
/// the same content counts once; with different content it is refused.
///
/// ```
/// use chrono::{TimeZone, Utc};
/// use crm_core::{Currency, LoyaltyEvent, LoyaltyEventKind};
/// use crm_engagement::{LoyaltyJournal, LoyaltyProgramme};
/// use rust_decimal::Decimal;
/// let t = |d| Utc.with_ymd_and_hms(2024, 3, d, 12, 0, 0).unwrap();
/// let mut a = LoyaltyJournal::default();
/// a.record(LoyaltyEvent::new("L-1".parse()?, 7.into(), LoyaltyEventKind::Earn, t(1), 100))?;
/// let mut b = LoyaltyJournal::default();
/// b.record(LoyaltyEvent::new("L-2".parse()?, 7.into(), LoyaltyEventKind::Redeem, t(2), -40))?;
/// a.merge(b)?;
/// let ledger = a.ledger(&LoyaltyProgramme::simple(Currency::EUR, Decimal::ONE, Decimal::ONE))?;
/// assert_eq!(ledger.balance(&7.into(), t(3)), 60);
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct LoyaltyJournal {
    members: BTreeMap<CustomerId, BTreeMap<Order, LoyaltyEvent>>,
    ids: BTreeMap<LoyaltyEventId, (CustomerId, Order)>,
}

impl LoyaltyJournal {
    /// Records one event after checking it (`validate()`).
    ///
    /// ```
    /// use chrono::Utc;
    /// use crm_core::{LoyaltyEvent, LoyaltyEventKind};
    /// use crm_engagement::{LoyaltyError, LoyaltyJournal};
    /// let mut j = LoyaltyJournal::default();
    /// let bad = LoyaltyEvent::new("L-1".parse()?, 7.into(), LoyaltyEventKind::Earn, Utc::now(), -5);
    /// assert!(matches!(j.record(bad), Err(LoyaltyError::InvalidEvent { .. })));
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn record(&mut self, event: LoyaltyEvent) -> Result<(), LoyaltyError> {
        event
            .validate()
            .map_err(|source| LoyaltyError::InvalidEvent {
                event: event.id.clone(),
                customer: event.customer.clone(),
                source,
            })?;
        if let Some((customer, order)) = self.ids.get(&event.id) {
            let same = self
                .members
                .get(customer)
                .and_then(|m| m.get(order))
                .is_some_and(|e| *e == event);
            return if same {
                Ok(())
            } else {
                Err(LoyaltyError::ConflictingEvent { event: event.id })
            };
        }
        let order = (event.occurred_at, rank(&event), event.id.clone());
        self.ids
            .insert(event.id.clone(), (event.customer.clone(), order.clone()));
        self.members
            .entry(event.customer.clone())
            .or_default()
            .insert(order, event);
        Ok(())
    }

    /// Records every event of an iterator (stopping at the first refused).
    ///
    /// ```
    /// use crm_engagement::LoyaltyJournal;
    /// let mut j = LoyaltyJournal::default();
    /// j.record_all([])?;
    /// assert!(j.is_empty());
    /// # Ok::<(), crm_engagement::LoyaltyError>(())
    /// ```
    pub fn record_all(
        &mut self,
        events: impl IntoIterator<Item = LoyaltyEvent>,
    ) -> Result<(), LoyaltyError> {
        events.into_iter().try_for_each(|e| self.record(e))
    }

    /// Merges another journal into this one (the union of the events).
    ///
    /// ```
    /// use crm_engagement::LoyaltyJournal;
    /// let mut j = LoyaltyJournal::default();
    /// j.merge(LoyaltyJournal::default())?;
    /// assert_eq!(j, LoyaltyJournal::default());
    /// # Ok::<(), crm_engagement::LoyaltyError>(())
    /// ```
    pub fn merge(&mut self, other: LoyaltyJournal) -> Result<(), LoyaltyError> {
        for (_, events) in other.members {
            for (_, e) in events {
                self.record(e)?;
            }
        }
        Ok(())
    }

    /// True when no event is recorded.
    pub fn is_empty(&self) -> bool {
        self.ids.is_empty()
    }

    /// The number of distinct events.
    ///
    /// ```
    /// use crm_engagement::LoyaltyJournal;
    /// assert_eq!(LoyaltyJournal::default().len(), 0);
    /// ```
    pub fn len(&self) -> usize {
        self.ids.len()
    }

    /// Runs the ledger over the journal (see [`ledger`]).
    ///
    /// ```
    /// use crm_core::Currency;
    /// use crm_engagement::{LoyaltyJournal, LoyaltyProgramme};
    /// use rust_decimal::Decimal;
    /// let l = LoyaltyJournal::default().ledger(&LoyaltyProgramme::simple(Currency::EUR, Decimal::ONE, Decimal::ONE))?;
    /// assert_eq!(l.members().count(), 0);
    /// # Ok::<(), crm_engagement::LoyaltyError>(())
    /// ```
    pub fn ledger(&self, programme: &LoyaltyProgramme) -> Result<LoyaltyLedger, LoyaltyError> {
        programme.validate()?;
        let mut accounts = BTreeMap::new();
        for (customer, events) in &self.members {
            let account = run_account(customer, events.values(), programme)?;
            accounts.insert(customer.clone(), account);
        }
        Ok(LoyaltyLedger { accounts })
    }
}

/// What a statement line records.
///
/// ```
/// use crm_engagement::LineKind;
/// assert_eq!(serde_json::to_string(&LineKind::Expiry).unwrap(), "\"expiry\"");
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum LineKind {
    /// Points earned.
    Earn,
    /// Points redeemed.
    Redeem,
    /// A manual adjustment.
    Adjust,
    /// An expiry recorded as an event.
    Expire,
    /// Earned points reaching their expiry date under the programme (computed, no event).
    Expiry,
}

/// One line of a member's statement.
///
/// ```
/// use chrono::Utc;
/// use crm_engagement::{LineKind, StatementLine};
/// let l = StatementLine { at: Utc::now(), kind: LineKind::Expiry, event: None, points: -20, balance: 0, unrecovered: 0 };
/// assert!(l.event.is_none());
/// ```
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct StatementLine {
    /// When.
    pub at: DateTime<Utc>,
    /// What.
    pub kind: LineKind,
    /// The event, unless the line is a computed expiry.
    pub event: Option<LoyaltyEventId>,
    /// The change applied to the balance.
    pub points: i64,
    /// The balance after the line.
    pub balance: i64,
    /// Points a negative adjustment or a recorded expiry asked for beyond the balance, not
    /// taken (the balance never goes below zero).
    pub unrecovered: i64,
}

/// A member's statement over a period.
///
/// ```
/// use crm_engagement::Statement;
/// let s = Statement { customer: 1.into(), opening: 10, lines: vec![], closing: 10 };
/// assert_eq!(s.opening, s.closing);
/// ```
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Statement {
    /// The member.
    pub customer: CustomerId,
    /// The balance at the start of the period.
    pub opening: i64,
    /// The lines in the period, in ledger order.
    pub lines: Vec<StatementLine>,
    /// The balance at the end of the period.
    pub closing: i64,
}

/// One member's account: every line, including computed future expiries.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Account {
    /// Every line in ledger order.
    pub lines: Vec<StatementLine>,
}

impl Account {
    fn balance_at(&self, at: DateTime<Utc>) -> i64 {
        let n = self.lines.partition_point(|l| l.at <= at);
        if n == 0 { 0 } else { self.lines[n - 1].balance }
    }
}

/// The ledger of a loyalty programme: every member's account.
///
/// Within an instant the ledger applies points reaching their expiry first (points that
/// expire at an instant cannot be redeemed at it), then credits, then redemptions, then
/// recorded expiries and negative adjustments, each group in event-id order. Redemptions
/// and other debits take the oldest points first (FIFO), so they spare the points that
/// expire latest.
///
/// ```
/// use chrono::{TimeZone, Utc};
/// use crm_core::{Currency, LoyaltyEvent, LoyaltyEventKind};
/// use crm_engagement::{ledger, LoyaltyProgramme};
/// use rust_decimal::Decimal;
/// let mut p = LoyaltyProgramme::simple(Currency::EUR, Decimal::ONE, Decimal::ONE);
/// p.expiry_months = Some(12);
/// let t = |y, m| Utc.with_ymd_and_hms(y, m, 1, 0, 0, 0).unwrap();
/// let events = [
///     LoyaltyEvent::new(1.into(), 7.into(), LoyaltyEventKind::Earn, t(2023, 1), 100),
///     LoyaltyEvent::new(2.into(), 7.into(), LoyaltyEventKind::Earn, t(2023, 6), 50),
///     LoyaltyEvent::new(3.into(), 7.into(), LoyaltyEventKind::Redeem, t(2023, 7), -120),
/// ];
/// let l = ledger(&events, &p)?;
/// // The redemption took all 100 of January and 20 of June; 30 remain until June 2024.
/// assert_eq!(l.balance(&7.into(), t(2024, 5)), 30);
/// assert_eq!(l.expiring(&7.into(), t(2024, 1), t(2024, 12)), 30);
/// assert_eq!(l.balance(&7.into(), t(2024, 7)), 0);
/// # Ok::<(), crm_engagement::LoyaltyError>(())
/// ```
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct LoyaltyLedger {
    accounts: BTreeMap<CustomerId, Account>,
}

impl LoyaltyLedger {
    /// The members, in id order.
    ///
    /// ```
    /// use crm_core::Currency;
    /// use crm_engagement::{ledger, LoyaltyProgramme};
    /// use rust_decimal::Decimal;
    /// let l = ledger(&[], &LoyaltyProgramme::simple(Currency::EUR, Decimal::ONE, Decimal::ONE))?;
    /// assert_eq!(l.members().count(), 0);
    /// # Ok::<(), crm_engagement::LoyaltyError>(())
    /// ```
    pub fn members(&self) -> impl Iterator<Item = &CustomerId> {
        self.accounts.keys()
    }

    /// A member's account (every line), if the member has events.
    pub fn account(&self, customer: &CustomerId) -> Option<&Account> {
        self.accounts.get(customer)
    }

    /// The balance at an instant (after every line at or before it); 0 for unknown members.
    ///
    /// ```
    /// use chrono::Utc;
    /// use crm_core::Currency;
    /// use crm_engagement::{ledger, LoyaltyProgramme};
    /// use rust_decimal::Decimal;
    /// let l = ledger(&[], &LoyaltyProgramme::simple(Currency::EUR, Decimal::ONE, Decimal::ONE))?;
    /// assert_eq!(l.balance(&1.into(), Utc::now()), 0);
    /// # Ok::<(), crm_engagement::LoyaltyError>(())
    /// ```
    pub fn balance(&self, customer: &CustomerId, at: DateTime<Utc>) -> i64 {
        self.accounts.get(customer).map_or(0, |a| a.balance_at(at))
    }

    /// Points that reach their expiry date after `from` and at or before `until`.
    ///
    /// ```
    /// use chrono::Utc;
    /// use crm_core::Currency;
    /// use crm_engagement::{ledger, LoyaltyProgramme};
    /// use rust_decimal::Decimal;
    /// let l = ledger(&[], &LoyaltyProgramme::simple(Currency::EUR, Decimal::ONE, Decimal::ONE))?;
    /// assert_eq!(l.expiring(&1.into(), Utc::now(), Utc::now()), 0);
    /// # Ok::<(), crm_engagement::LoyaltyError>(())
    /// ```
    pub fn expiring(
        &self,
        customer: &CustomerId,
        from: DateTime<Utc>,
        until: DateTime<Utc>,
    ) -> i64 {
        self.accounts.get(customer).map_or(0, |a| {
            a.lines
                .iter()
                .filter(|l| l.kind == LineKind::Expiry && l.at > from && l.at <= until)
                .map(|l| -l.points)
                .sum()
        })
    }

    /// A member's statement for the lines after `from` and at or before `until`.
    ///
    /// ```
    /// use chrono::{Duration, Utc};
    /// use crm_core::{Currency, LoyaltyEvent, LoyaltyEventKind};
    /// use crm_engagement::{ledger, LoyaltyProgramme};
    /// use rust_decimal::Decimal;
    /// let now = Utc::now();
    /// let e = LoyaltyEvent::new(1.into(), 7.into(), LoyaltyEventKind::Earn, now, 10);
    /// let l = ledger(&[e], &LoyaltyProgramme::simple(Currency::EUR, Decimal::ONE, Decimal::ONE))?;
    /// let s = l.statement(&7.into(), now - Duration::days(1), now);
    /// assert_eq!((s.opening, s.lines.len(), s.closing), (0, 1, 10));
    /// # Ok::<(), crm_engagement::LoyaltyError>(())
    /// ```
    pub fn statement(
        &self,
        customer: &CustomerId,
        from: DateTime<Utc>,
        until: DateTime<Utc>,
    ) -> Statement {
        let lines: Vec<StatementLine> = self.accounts.get(customer).map_or_else(Vec::new, |a| {
            a.lines
                .iter()
                .filter(|l| l.at > from && l.at <= until)
                .cloned()
                .collect()
        });
        Statement {
            customer: customer.clone(),
            opening: self.balance(customer, from),
            closing: self.balance(customer, until.max(from)),
            lines,
        }
    }
}

/// The ledger of the events (any order) under the programme.
///
/// Refuses an invalid event, two different events with one id, and a redemption beyond the
/// balance at its instant ([`LoyaltyError::InsufficientPoints`]). A negative adjustment or
/// recorded expiry beyond the balance empties it and reports the rest as `unrecovered`, so
/// no balance is ever negative. Earned points and positive adjustments expire
/// `expiry_months` after their instant; the ledger lists those expiries as
/// [`LineKind::Expiry`] lines, future ones included.
///
/// ```
/// use chrono::Utc;
/// use crm_core::{Currency, LoyaltyEvent, LoyaltyEventKind};
/// use crm_engagement::{ledger, LoyaltyError, LoyaltyProgramme};
/// use rust_decimal::Decimal;
/// let p = LoyaltyProgramme::simple(Currency::EUR, Decimal::ONE, Decimal::ONE);
/// let now = Utc::now();
/// let events = [
///     LoyaltyEvent::new(1.into(), 7.into(), LoyaltyEventKind::Earn, now, 10),
///     LoyaltyEvent::new(2.into(), 7.into(), LoyaltyEventKind::Redeem, now, -11),
/// ];
/// let err = ledger(&events, &p).unwrap_err();
/// assert!(matches!(err, LoyaltyError::InsufficientPoints { requested: 11, available: 10, .. }));
/// ```
pub fn ledger<'a>(
    events: impl IntoIterator<Item = &'a LoyaltyEvent>,
    programme: &LoyaltyProgramme,
) -> Result<LoyaltyLedger, LoyaltyError> {
    let mut journal = LoyaltyJournal::default();
    journal.record_all(events.into_iter().cloned())?;
    journal.ledger(programme)
}

struct Lot {
    expires: Option<DateTime<Utc>>,
    remaining: i64,
}

fn run_account<'a>(
    customer: &CustomerId,
    events: impl Iterator<Item = &'a LoyaltyEvent>,
    programme: &LoyaltyProgramme,
) -> Result<Account, LoyaltyError> {
    let mut lots: VecDeque<Lot> = VecDeque::new();
    let mut balance: i64 = 0;
    let mut lines = Vec::new();
    let overflow = || LoyaltyError::Overflow {
        context: format!("the points of customer {}", customer),
    };
    let expire_until = |at: Option<DateTime<Utc>>,
                        lots: &mut VecDeque<Lot>,
                        balance: &mut i64,
                        lines: &mut Vec<StatementLine>| {
        while let Some(front) = lots.front() {
            let Some(exp) = front.expires else { break };
            if at.is_some_and(|t| exp > t) {
                break;
            }
            let lot = lots.pop_front().expect("front exists");
            if lot.remaining > 0 {
                *balance -= lot.remaining;
                lines.push(StatementLine {
                    at: exp,
                    kind: LineKind::Expiry,
                    event: None,
                    points: -lot.remaining,
                    balance: *balance,
                    unrecovered: 0,
                });
            }
        }
    };
    for e in events {
        expire_until(Some(e.occurred_at), &mut lots, &mut balance, &mut lines);
        let kind = match e.kind {
            LoyaltyEventKind::Earn => LineKind::Earn,
            LoyaltyEventKind::Redeem => LineKind::Redeem,
            LoyaltyEventKind::Adjust => LineKind::Adjust,
            LoyaltyEventKind::Expire => LineKind::Expire,
        };
        let mut line = StatementLine {
            at: e.occurred_at,
            kind,
            event: Some(e.id.clone()),
            points: e.points,
            balance,
            unrecovered: 0,
        };
        if e.points > 0 {
            balance = balance.checked_add(e.points).ok_or_else(overflow)?;
            let expires = match programme.expiry_months {
                Some(m) => e.occurred_at.checked_add_months(Months::new(m)),
                None => None,
            };
            lots.push_back(Lot {
                expires,
                remaining: e.points,
            });
        } else {
            // Validated events are never i64::MIN, so the negation fits.
            let wanted = -e.points;
            if e.kind == LoyaltyEventKind::Redeem && wanted > balance {
                return Err(LoyaltyError::InsufficientPoints {
                    customer: customer.clone(),
                    event: e.id.clone(),
                    at: e.occurred_at,
                    requested: wanted,
                    available: balance,
                });
            }
            let take = wanted.min(balance);
            line.points = -take;
            line.unrecovered = wanted - take;
            balance -= take;
            let mut left = take;
            while left > 0 {
                let Some(front) = lots.front_mut() else { break };
                let used = left.min(front.remaining);
                front.remaining -= used;
                left -= used;
                if front.remaining == 0 {
                    lots.pop_front();
                }
            }
        }
        line.balance = balance;
        lines.push(line);
    }
    expire_until(None, &mut lots, &mut balance, &mut lines);
    Ok(Account { lines })
}
