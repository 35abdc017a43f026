//! Earn events derived from purchases, refunds and occasions.

use std::collections::BTreeMap;

use chrono::{DateTime, TimeZone, Utc};
use crm_core::{Customer, CustomerId, LoyaltyEvent, LoyaltyEventId, LoyaltyEventKind, Transaction};
use rust_decimal::Decimal;
use rust_decimal::prelude::ToPrimitive;

use super::{LoyaltyError, LoyaltyProgramme};

/// A deterministic event id from a readable name: the name itself when it is a valid key,
/// else a name-based (v5) UUID of it.
fn event_id(name: String) -> LoyaltyEventId {
    LoyaltyEventId::parse(&name).unwrap_or_else(|_| {
        LoyaltyEventId::from(uuid::Uuid::new_v5(
            &uuid::Uuid::NAMESPACE_OID,
            name.as_bytes(),
        ))
    })
}

/// The points of an amount for a member's tier and a product category, rounded toward
/// zero (the sign follows the amount).
fn points_for(
    programme: &LoyaltyProgramme,
    amount: Decimal,
    tier: usize,
    category: Option<&str>,
) -> Option<i64> {
    let tier_mult = programme
        .tiers
        .get(tier)
        .map_or(Decimal::ONE, |t| t.multiplier);
    let cat_mult = category
        .and_then(|c| programme.category_multipliers.get(c))
        .copied()
        .unwrap_or(Decimal::ONE);
    amount
        .checked_mul(programme.points_per_unit)?
        .checked_mul(tier_mult)?
        .checked_mul(cat_mult)?
        .trunc()
        .to_i64()
}

/// Earn events for purchases and take-back adjustments for refunds, in transaction order.
///
/// A purchase earns `amount × points_per_unit × tier multiplier × category multiplier`
/// points, rounded down (a purchase worth less than a point earns nothing and has no
/// event); a refund takes back the points of its amount, computed the same way, as an
/// `adjust` event with reason `refund`. The member's tier is looked up in `tiers` by
/// customer (the base tier when absent or unknown). The first purchase of each customer
/// among the transactions also earns the first-purchase bonus, if the programme has one.
///
/// Event ids are derived from the transaction id (`earn:TX`, `refund:TX`, `first:TX`), so
/// deriving again gives the same events and recording them twice changes nothing.
///
/// ```
/// use chrono::{TimeZone, Utc};
/// use crm_core::{Currency, LoyaltyEventKind, Transaction};
/// use crm_engagement::{earn_from, LoyaltyProgramme};
/// use rust_decimal::Decimal;
/// use std::collections::BTreeMap;
/// let p = LoyaltyProgramme::simple(Currency::EUR, Decimal::ONE, Decimal::new(1, 2));
/// let t0 = Utc.with_ymd_and_hms(2024, 3, 1, 12, 0, 0).unwrap();
/// let sale = Transaction::new("TX-1".parse()?, 7.into(), t0, "59.90 EUR".parse()?);
/// let refund = Transaction::new("TX-2".parse()?, 7.into(), t0, "-20.00 EUR".parse()?);
/// let events = earn_from(&[sale, refund], &p, &BTreeMap::new())?;
/// assert_eq!(events[0].points, 59);
/// assert_eq!(events[0].id.to_string(), "earn:TX-1");
/// assert_eq!((events[1].kind, events[1].points), (LoyaltyEventKind::Adjust, -20));
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
pub fn earn_from(
    transactions: &[Transaction],
    programme: &LoyaltyProgramme,
    tiers: &BTreeMap<CustomerId, String>,
) -> Result<Vec<LoyaltyEvent>, LoyaltyError> {
    programme.validate()?;
    let mut order: Vec<&Transaction> = transactions.iter().collect();
    order.sort_by(|a, b| (a.occurred_at, &a.id).cmp(&(b.occurred_at, &b.id)));
    let mut first_seen: BTreeMap<&CustomerId, ()> = BTreeMap::new();
    let mut events = Vec::new();
    for tx in order {
        if tx.amount.currency() != programme.currency {
            return Err(LoyaltyError::Currency {
                transaction: tx.id.clone(),
                found: tx.amount.currency(),
                expected: programme.currency,
            });
        }
        let tier = tiers
            .get(&tx.customer)
            .and_then(|t| programme.tier_index(t))
            .unwrap_or(0);
        let points = points_for(programme, tx.amount.amount(), tier, tx.category.as_deref())
            .ok_or_else(|| LoyaltyError::Overflow {
                context: format!("the points of customer {}", tx.customer),
            })?;
        let event = |kind, prefix: &str, points, reason: &str| {
            let mut e = LoyaltyEvent::new(
                event_id(format!("{prefix}:{}", tx.id)),
                tx.customer.clone(),
                kind,
                tx.occurred_at,
                points,
            );
            e.reason = Some(reason.to_string());
            e.transaction = Some(tx.id.clone());
            e
        };
        if tx.is_refund() {
            if points < 0 {
                events.push(event(LoyaltyEventKind::Adjust, "refund", points, "refund"));
            }
            continue;
        }
        if points > 0 {
            events.push(event(LoyaltyEventKind::Earn, "earn", points, "purchase"));
        }
        if first_seen.insert(&tx.customer, ()).is_none()
            && let Some(bonus) = programme.bonuses.first_purchase
        {
            events.push(event(
                LoyaltyEventKind::Earn,
                "first",
                bonus,
                "first purchase bonus",
            ));
        }
    }
    Ok(events)
}

/// Birthday bonus events for the members whose birthday falls in `year` (29 February on
/// 28 February in other years), at midnight UTC of the day; none when the programme has
/// no birthday bonus. Ids are `birthday:CUSTOMER:YEAR`.
///
/// ```
/// use chrono::{NaiveDate, Utc};
/// use crm_core::{Currency, Customer, PartyKind};
/// use crm_engagement::{birthday_bonuses, LoyaltyProgramme};
/// use rust_decimal::Decimal;
/// let mut p = LoyaltyProgramme::simple(Currency::EUR, Decimal::ONE, Decimal::ONE);
/// p.bonuses.birthday = Some(100);
/// let mut c = Customer::new(7.into(), PartyKind::Person, "Ada", Utc::now())?;
/// c.birthday = NaiveDate::from_ymd_opt(1992, 2, 29);
/// let e = birthday_bonuses(&[c], 2023, &p);
/// assert_eq!(e[0].occurred_at.date_naive(), NaiveDate::from_ymd_opt(2023, 2, 28).unwrap());
/// assert_eq!(e[0].points, 100);
/// # Ok::<(), crm_core::ValidationError>(())
/// ```
pub fn birthday_bonuses(
    customers: &[Customer],
    year: i32,
    programme: &LoyaltyProgramme,
) -> Vec<LoyaltyEvent> {
    let Some(bonus) = programme.bonuses.birthday.filter(|b| *b > 0) else {
        return Vec::new();
    };
    customers
        .iter()
        .filter_map(|c| {
            let day = crate::care::anniversary_in(c.birthday?, year)?;
            let at = Utc.from_utc_datetime(&day.and_hms_opt(0, 0, 0)?);
            let mut e = LoyaltyEvent::new(
                event_id(format!("birthday:{}:{year}", c.id)),
                c.id.clone(),
                LoyaltyEventKind::Earn,
                at,
                bonus,
            );
            e.reason = Some("birthday bonus".into());
            Some(e)
        })
        .collect()
}

/// The referral bonus event for a member who referred a new customer, or `None` when the
/// programme has no referral bonus. The id is `referral:REFERRER:REFERRED`.
///
/// ```
/// use chrono::Utc;
/// use crm_core::Currency;
/// use crm_engagement::{referral_bonus, LoyaltyProgramme};
/// use rust_decimal::Decimal;
/// let mut p = LoyaltyProgramme::simple(Currency::EUR, Decimal::ONE, Decimal::ONE);
/// assert!(referral_bonus(&7.into(), &8.into(), Utc::now(), &p).is_none());
/// p.bonuses.referral = Some(250);
/// let e = referral_bonus(&7.into(), &8.into(), Utc::now(), &p).unwrap();
/// assert_eq!((e.id.to_string(), e.points), ("referral:7:8".to_string(), 250));
/// ```
pub fn referral_bonus(
    referrer: &CustomerId,
    referred: &CustomerId,
    at: DateTime<Utc>,
    programme: &LoyaltyProgramme,
) -> Option<LoyaltyEvent> {
    let bonus = programme.bonuses.referral.filter(|b| *b > 0)?;
    let mut e = LoyaltyEvent::new(
        event_id(format!("referral:{referrer}:{referred}")),
        referrer.clone(),
        LoyaltyEventKind::Earn,
        at,
        bonus,
    );
    e.reason = Some("referral bonus".into());
    Some(e)
}
