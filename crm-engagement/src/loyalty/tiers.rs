//! Membership tiers over time: upgrades at once, downgrades at the yearly review after a
//! grace period.

use std::collections::BTreeMap;

use chrono::{DateTime, Datelike, Months, Utc};
use crm_core::{CustomerId, Transaction};
use rust_decimal::Decimal;
use serde::{Deserialize, Serialize};

use super::{LineKind, LoyaltyError, LoyaltyLedger, LoyaltyProgramme};

/// One qualifying amount: points earned or money spent (negative for a refund) by a member
/// at an instant.
///
/// ```
/// use chrono::Utc;
/// use crm_engagement::QualifyingActivity;
/// use rust_decimal::Decimal;
/// let a = QualifyingActivity { customer: 7.into(), at: Utc::now(), amount: Decimal::from(120) };
/// assert!(a.amount > Decimal::ZERO);
/// ```
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct QualifyingActivity {
    /// The member.
    pub customer: CustomerId,
    /// When.
    pub at: DateTime<Utc>,
    /// Points or spend.
    pub amount: Decimal,
}

/// How a member's tier changed.
///
/// ```
/// use crm_engagement::TierMove;
/// assert_eq!(serde_json::to_string(&TierMove::Downgrade).unwrap(), "\"downgrade\"");
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum TierMove {
    /// The member's first tier, at the first qualifying activity.
    Join,
    /// To a higher tier, as soon as the window reached its threshold.
    Upgrade,
    /// To a lower tier, when the grace period after a review ended without requalifying.
    Downgrade,
}

/// A change of a member's tier.
///
/// ```
/// use chrono::Utc;
/// use crm_engagement::{TierChange, TierMove};
/// let c = TierChange { at: Utc::now(), tier: "gold".into(), movement: TierMove::Upgrade };
/// assert_eq!(c.tier, "gold");
/// ```
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct TierChange {
    /// When it took effect.
    pub at: DateTime<Utc>,
    /// The tier from then on.
    pub tier: String,
    /// Join, upgrade or downgrade.
    pub movement: TierMove,
}

/// Every member's tier changes up to an instant.
///
/// ```
/// use chrono::{TimeZone, Utc};
/// use crm_core::Currency;
/// use crm_engagement::{member_tiers, LoyaltyProgramme, QualifyingActivity, TierRule};
/// use rust_decimal::Decimal;
/// let mut p = LoyaltyProgramme::simple(Currency::EUR, Decimal::ONE, Decimal::ONE);
/// p.tiers.push(TierRule::new("gold", Decimal::from(1000), Decimal::new(15, 1)));
/// let t0 = Utc.with_ymd_and_hms(2024, 3, 1, 0, 0, 0).unwrap();
/// let activity = [QualifyingActivity { customer: 7.into(), at: t0, amount: Decimal::from(1200) }];
/// let tiers = member_tiers(activity, &p, t0)?;
/// assert_eq!(tiers.tier_at(&7.into(), t0), Some("gold"));
/// # Ok::<(), crm_engagement::LoyaltyError>(())
/// ```
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize, Deserialize)]
pub struct TierReport {
    /// Each member's changes, in time order.
    pub members: BTreeMap<CustomerId, Vec<TierChange>>,
}

impl TierReport {
    /// The member's tier at an instant (`None` before the first qualifying activity).
    ///
    /// ```
    /// use chrono::Utc;
    /// use crm_engagement::TierReport;
    /// assert_eq!(TierReport::default().tier_at(&1.into(), Utc::now()), None);
    /// ```
    pub fn tier_at(&self, customer: &CustomerId, at: DateTime<Utc>) -> Option<&str> {
        let changes = self.members.get(customer)?;
        let n = changes.partition_point(|c| c.at <= at);
        (n > 0).then(|| changes[n - 1].tier.as_str())
    }

    /// Every member's tier at an instant, by member (to look tiers up for [`earn_from`](crate::earn_from)).
    ///
    /// ```
    /// use chrono::Utc;
    /// use crm_engagement::TierReport;
    /// assert!(TierReport::default().tiers_at(Utc::now()).is_empty());
    /// ```
    pub fn tiers_at(&self, at: DateTime<Utc>) -> BTreeMap<CustomerId, String> {
        self.members
            .keys()
            .filter_map(|c| Some((c.clone(), self.tier_at(c, at)?.to_string())))
            .collect()
    }
}

/// The qualifying activity of a ledger: the points of its earn lines.
///
/// ```
/// use chrono::Utc;
/// use crm_core::{Currency, LoyaltyEvent, LoyaltyEventKind};
/// use crm_engagement::{ledger, qualifying_points, LoyaltyProgramme};
/// use rust_decimal::Decimal;
/// let e = LoyaltyEvent::new(1.into(), 7.into(), LoyaltyEventKind::Earn, Utc::now(), 10);
/// let l = ledger(&[e], &LoyaltyProgramme::simple(Currency::EUR, Decimal::ONE, Decimal::ONE))?;
/// assert_eq!(qualifying_points(&l)[0].amount, Decimal::from(10));
/// # Ok::<(), crm_engagement::LoyaltyError>(())
/// ```
pub fn qualifying_points(ledger: &LoyaltyLedger) -> Vec<QualifyingActivity> {
    ledger
        .members()
        .flat_map(|c| {
            ledger
                .account(c)
                .into_iter()
                .flat_map(|a| a.lines.iter())
                .filter(|l| l.kind == LineKind::Earn)
                .map(move |l| QualifyingActivity {
                    customer: c.clone(),
                    at: l.at,
                    amount: Decimal::from(l.points),
                })
        })
        .collect()
}

/// The qualifying activity of transactions: their amounts (refunds negative); refuses an
/// amount in another currency than the programme's.
///
/// ```
/// use chrono::Utc;
/// use crm_core::{Currency, Transaction};
/// use crm_engagement::{qualifying_spend, LoyaltyProgramme};
/// use rust_decimal::Decimal;
/// let p = LoyaltyProgramme::simple(Currency::EUR, Decimal::ONE, Decimal::ONE);
/// let t = Transaction::new("TX-1".parse()?, 7.into(), Utc::now(), "10 USD".parse()?);
/// assert!(qualifying_spend(&[t], &p).is_err());
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
pub fn qualifying_spend(
    transactions: &[Transaction],
    programme: &LoyaltyProgramme,
) -> Result<Vec<QualifyingActivity>, LoyaltyError> {
    transactions
        .iter()
        .map(|t| {
            if t.amount.currency() != programme.currency {
                return Err(LoyaltyError::Currency {
                    transaction: t.id.clone(),
                    found: t.amount.currency(),
                    expected: programme.currency,
                });
            }
            Ok(QualifyingActivity {
                customer: t.customer.clone(),
                at: t.occurred_at,
                amount: t.amount.amount(),
            })
        })
        .collect()
}

/// Every member's tier changes up to `until`, from qualifying activity in any order (use
/// [`qualifying_points`] or [`qualifying_spend`] as the programme's measure says).
///
/// The measure at an instant is the sum over the rolling window (`window_months` back,
/// exclusive, to the instant, inclusive). A member joins at the first activity in the tier
/// it qualifies for; an activity that lifts the measure over a higher threshold upgrades at
/// once. At each yearly review (00:00 UTC on the review day) a member whose measure no
/// longer reaches its tier gets a grace period of `grace_months`; if no activity in it
/// requalifies the member for the tier, at its end the member moves down to the tier the
/// measure then reaches.
///
/// ```
/// use chrono::{TimeZone, Utc};
/// use crm_core::Currency;
/// use crm_engagement::{member_tiers, LoyaltyProgramme, QualifyingActivity, TierRule};
/// use rust_decimal::Decimal;
/// let mut p = LoyaltyProgramme::simple(Currency::EUR, Decimal::ONE, Decimal::ONE);
/// p.tiers.push(TierRule::new("gold", Decimal::from(1000), Decimal::new(15, 1)));
/// let t0 = Utc.with_ymd_and_hms(2023, 3, 1, 0, 0, 0).unwrap();
/// let a = [QualifyingActivity { customer: 7.into(), at: t0, amount: Decimal::from(1000) }];
/// let until = Utc.with_ymd_and_hms(2025, 1, 1, 0, 0, 0).unwrap();
/// let r = member_tiers(a, &p, until)?;
/// // Reviewed on 1 January 2024 (window since 1 January 2023 holds the 1,000): kept.
/// // On 1 January 2025 the window is empty: down to the base tier (no grace).
/// assert_eq!(r.tier_at(&7.into(), until), Some("member"));
/// # Ok::<(), crm_engagement::LoyaltyError>(())
/// ```
pub fn member_tiers(
    activity: impl IntoIterator<Item = QualifyingActivity>,
    programme: &LoyaltyProgramme,
    until: DateTime<Utc>,
) -> Result<TierReport, LoyaltyError> {
    programme.validate()?;
    let mut by_member: BTreeMap<CustomerId, Vec<(DateTime<Utc>, Decimal)>> = BTreeMap::new();
    for a in activity {
        if a.at <= until {
            by_member
                .entry(a.customer)
                .or_default()
                .push((a.at, a.amount));
        }
    }
    let mut members = BTreeMap::new();
    for (customer, mut acts) in by_member {
        acts.sort();
        let changes =
            member_history(&acts, programme, until).ok_or_else(|| LoyaltyError::Overflow {
                context: format!("the points of customer {}", customer),
            })?;
        members.insert(customer, changes);
    }
    Ok(TierReport { members })
}

#[derive(Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
enum Step {
    Activity,
    Review,
}

/// One member's changes; `None` on arithmetic overflow.
fn member_history(
    acts: &[(DateTime<Utc>, Decimal)],
    programme: &LoyaltyProgramme,
    until: DateTime<Utc>,
) -> Option<Vec<TierChange>> {
    let q = &programme.qualification;
    let window = Months::new(q.window_months);
    let grace = Months::new(q.grace_months);
    let mut prefix = Vec::with_capacity(acts.len() + 1);
    prefix.push(Decimal::ZERO);
    for (_, a) in acts {
        prefix.push(prefix.last()?.checked_add(*a)?);
    }
    let measure = |t: DateTime<Utc>| -> Option<Decimal> {
        let start = t.checked_sub_months(window);
        let hi = acts.partition_point(|(at, _)| *at <= t);
        let lo = start.map_or(0, |s| acts.partition_point(|(at, _)| *at <= s));
        prefix[hi].checked_sub(prefix[lo])
    };
    let first = acts.first()?.0;
    let mut steps: Vec<(DateTime<Utc>, Step)> =
        acts.iter().map(|(t, _)| (*t, Step::Activity)).collect();
    for year in first.year()..=until.year() {
        if let Some(r) = programme
            .review_date(year)
            .and_then(|d| d.and_hms_opt(0, 0, 0))
            .map(|d| d.and_utc())
            && r > first
            && r <= until
        {
            steps.push((r, Step::Review));
        }
    }
    steps.sort();
    steps.dedup();
    let name = |i: usize| programme.tiers[i].name.clone();
    let mut current = programme.qualified_tier(measure(first)?);
    let mut changes = vec![TierChange {
        at: first,
        tier: name(current),
        movement: TierMove::Join,
    }];
    let mut pending: Option<DateTime<Utc>> = None;
    let settle = |deadline: DateTime<Utc>,
                  current: &mut usize,
                  changes: &mut Vec<TierChange>|
     -> Option<()> {
        let now = programme.qualified_tier(measure(deadline)?);
        if now < *current {
            *current = now;
            changes.push(TierChange {
                at: deadline,
                tier: name(now),
                movement: TierMove::Downgrade,
            });
        }
        Some(())
    };
    for (t, step) in steps.into_iter().skip(1) {
        if let Some(d) = pending
            && (d < t || (d == t && step == Step::Review))
        {
            settle(d, &mut current, &mut changes)?;
            pending = None;
        }
        let qualified = programme.qualified_tier(measure(t)?);
        match step {
            Step::Activity => {
                if qualified > current {
                    current = qualified;
                    changes.push(TierChange {
                        at: t,
                        tier: name(current),
                        movement: TierMove::Upgrade,
                    });
                }
                if qualified >= current {
                    pending = None;
                }
            }
            Step::Review if qualified < current && pending.is_none() => {
                if q.grace_months == 0 {
                    settle(t, &mut current, &mut changes)?;
                } else {
                    pending = t.checked_add_months(grace);
                }
            }
            Step::Review => {}
        }
    }
    if let Some(d) = pending
        && d <= until
    {
        settle(d, &mut current, &mut changes)?;
    }
    Some(changes)
}
