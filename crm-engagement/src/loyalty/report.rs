//! Programme analytics: members, earning and redemption, breakage, liability, tiers.

use std::collections::BTreeMap;

use chrono::{DateTime, Utc};
use crm_core::Money;
use rust_decimal::Decimal;
use serde::{Deserialize, Serialize};

use super::{LineKind, LoyaltyError, LoyaltyLedger, LoyaltyProgramme, TierMove, TierReport};

/// The figures of a loyalty programme over a period (after `from`, up to `until`).
///
/// ```
/// use crm_engagement::ProgrammeReport;
/// fn breakage_percent(r: &ProgrammeReport) -> Option<String> {
///     r.breakage.map(|b| (b * rust_decimal::Decimal::ONE_HUNDRED).round_dp(1).to_string())
/// }
/// ```
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ProgrammeReport {
    /// Start of the period (exclusive).
    pub from: DateTime<Utc>,
    /// End of the period (inclusive).
    pub until: DateTime<Utc>,
    /// Members with any line up to `until`.
    pub members: u64,
    /// Members who earned or redeemed in the period.
    pub active_members: u64,
    /// Points earned in the period.
    pub earned: i64,
    /// Points redeemed in the period.
    pub redeemed: i64,
    /// Points expired in the period (by the programme's expiry or recorded).
    pub expired: i64,
    /// Net points adjusted in the period.
    pub adjusted: i64,
    /// Points earned per active member in the period (`None` without active members).
    pub earn_rate: Option<Decimal>,
    /// Points redeemed per point earned in the period (`None` when nothing was earned).
    pub redemption_rate: Option<Decimal>,
    /// Breakage: the share of all points earned up to `until` that expired by then
    /// (`None` when nothing was earned).
    pub breakage: Option<Decimal>,
    /// Points outstanding at `until`.
    pub outstanding: i64,
    /// What the outstanding points are worth: `outstanding × point_value`.
    pub liability: Money,
    /// Members per tier at `until` (members without qualifying activity are not counted).
    pub members_per_tier: BTreeMap<String, u64>,
    /// Upgrades in the period.
    pub upgrades: u64,
    /// Downgrades in the period.
    pub downgrades: u64,
    /// Members who joined a tier in the period.
    pub joins: u64,
}

fn ratio(num: i64, den: i64) -> Option<Decimal> {
    (den != 0).then(|| Decimal::from(num) / Decimal::from(den))
}

/// The programme's figures over a period, from its ledger and tier changes.
///
/// ```
/// use chrono::{TimeZone, Utc};
/// use crm_core::{Currency, LoyaltyEvent, LoyaltyEventKind};
/// use crm_engagement::{ledger, programme_report, LoyaltyProgramme, TierReport};
/// use rust_decimal::Decimal;
/// let p = LoyaltyProgramme::simple(Currency::EUR, Decimal::ONE, Decimal::new(1, 2));
/// let t = |d| Utc.with_ymd_and_hms(2024, 3, d, 0, 0, 0).unwrap();
/// let events = [
///     LoyaltyEvent::new(1.into(), 7.into(), LoyaltyEventKind::Earn, t(2), 1000),
///     LoyaltyEvent::new(2.into(), 7.into(), LoyaltyEventKind::Redeem, t(3), -250),
/// ];
/// let r = programme_report(&ledger(&events, &p)?, &TierReport::default(), &p, t(1), t(31))?;
/// assert_eq!(r.redemption_rate, Some(Decimal::new(25, 2)));
/// assert_eq!(r.liability.to_string(), "7.50 EUR");
/// # Ok::<(), crm_engagement::LoyaltyError>(())
/// ```
pub fn programme_report(
    ledger: &LoyaltyLedger,
    tiers: &TierReport,
    programme: &LoyaltyProgramme,
    from: DateTime<Utc>,
    until: DateTime<Utc>,
) -> Result<ProgrammeReport, LoyaltyError> {
    let mut r = ProgrammeReport {
        from,
        until,
        members: 0,
        active_members: 0,
        earned: 0,
        redeemed: 0,
        expired: 0,
        adjusted: 0,
        earn_rate: None,
        redemption_rate: None,
        breakage: None,
        outstanding: 0,
        liability: Money::zero(programme.currency),
        members_per_tier: BTreeMap::new(),
        upgrades: 0,
        downgrades: 0,
        joins: 0,
    };
    let (mut earned_ever, mut expired_ever) = (0i128, 0i128);
    let mut outstanding = 0i128;
    let (mut earned, mut redeemed, mut expired, mut adjusted) = (0i128, 0i128, 0i128, 0i128);
    for customer in ledger.members() {
        let Some(account) = ledger.account(customer) else {
            continue;
        };
        if account.lines.first().is_some_and(|l| l.at <= until) {
            r.members += 1;
        }
        let mut active = false;
        for l in account.lines.iter().take_while(|l| l.at <= until) {
            let p = i128::from(l.points);
            match l.kind {
                LineKind::Earn => earned_ever += p,
                LineKind::Expiry | LineKind::Expire => expired_ever -= p,
                _ => {}
            }
            if l.at <= from {
                continue;
            }
            match l.kind {
                LineKind::Earn => {
                    earned += p;
                    active = true;
                }
                LineKind::Redeem => {
                    redeemed -= p;
                    active = true;
                }
                LineKind::Expiry | LineKind::Expire => expired -= p,
                LineKind::Adjust => adjusted += p,
            }
        }
        r.active_members += u64::from(active);
        outstanding += i128::from(ledger.balance(customer, until));
    }
    let overflow = || LoyaltyError::Overflow {
        context: "the programme's totals".into(),
    };
    let narrow = |v: i128| i64::try_from(v).map_err(|_| overflow());
    r.earned = narrow(earned)?;
    r.redeemed = narrow(redeemed)?;
    r.expired = narrow(expired)?;
    r.adjusted = narrow(adjusted)?;
    r.outstanding = narrow(outstanding)?;
    r.earn_rate =
        (r.active_members > 0).then(|| Decimal::from(r.earned) / Decimal::from(r.active_members));
    r.redemption_rate = ratio(r.redeemed, r.earned);
    r.breakage = ratio(narrow(expired_ever)?, narrow(earned_ever)?);
    let value = Decimal::from(r.outstanding)
        .checked_mul(programme.point_value)
        .ok_or_else(overflow)?;
    r.liability = Money::new(value, programme.currency);
    for (customer, changes) in &tiers.members {
        if let Some(t) = tiers.tier_at(customer, until) {
            *r.members_per_tier.entry(t.to_string()).or_default() += 1;
        }
        for c in changes.iter().filter(|c| c.at > from && c.at <= until) {
            match c.movement {
                TierMove::Join => r.joins += 1,
                TierMove::Upgrade => r.upgrades += 1,
                TierMove::Downgrade => r.downgrades += 1,
            }
        }
    }
    Ok(r)
}
