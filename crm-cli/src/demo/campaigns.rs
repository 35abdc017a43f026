//! The demo's marketing campaigns: two campaigns over the generated customers, each with a
//! random holdout and a known true uplift in the response rate. They are drawn from a
//! random stream of their own, after every other record, so the other records are the
//! same with or without them.

use chrono::Utc;
use chrono::{DateTime, Duration};
use crm_core::{Campaign, CampaignGroup, CampaignMember, Channel, Currency, Customer, Money};
use crm_engagement::{AudienceSpec, CustomerLabels, select_audience};
use rand::rngs::StdRng;
use rand::{RngExt, SeedableRng};
use rust_decimal::Decimal;

use crate::error::{CliError, CliResult};

/// One demo campaign's design: the true response rates of the two groups.
pub struct Design {
    /// The campaign's id.
    pub id: &'static str,
    /// Its name.
    pub name: &'static str,
    /// Its channel.
    pub channel: Channel,
    /// Days before the end of the observation window it starts.
    pub days_before_end: i64,
    /// Its cost in USD.
    pub cost: i64,
    /// Every `every`-th customer is in the audience.
    pub every: usize,
    /// The share held out.
    pub holdout: f64,
    /// The probability that a treated customer responds.
    pub treatment_rate: f64,
    /// The probability that a held-out customer responds.
    pub holdout_rate: f64,
}

/// The demo's campaigns: a win-back e-mail with a true response uplift of 8 points
/// (12 % against 4 %), and a text message with none (5 % in both groups).
pub const DESIGNS: [Design; 2] = [
    Design {
        id: "WINBACK-2026",
        name: "Spring win-back",
        channel: Channel::Email,
        days_before_end: 120,
        cost: 1_500,
        every: 2,
        holdout: 0.2,
        treatment_rate: 0.12,
        holdout_rate: 0.04,
    },
    Design {
        id: "SMS-2026",
        name: "Summer text offer",
        channel: Channel::Sms,
        days_before_end: 60,
        cost: 400,
        every: 3,
        holdout: 0.25,
        treatment_rate: 0.05,
        holdout_rate: 0.05,
    },
];

/// The campaigns and their members for `customers` (in id order), drawn from `seed`.
pub fn campaigns(
    customers: &[Customer],
    seed: u64,
    end: DateTime<Utc>,
) -> CliResult<(Vec<Campaign>, Vec<CampaignMember>)> {
    let bad = |e: &dyn std::fmt::Display| CliError::analysis("demo campaigns", e.to_string());
    let mut sorted: Vec<&Customer> = customers.iter().collect();
    sorted.sort_by_cached_key(|c| c.id.to_string());
    let mut campaigns = Vec::new();
    let mut members = Vec::new();
    for (k, d) in DESIGNS.iter().enumerate() {
        let start = end - Duration::days(d.days_before_end);
        let mut campaign = Campaign::new(
            d.id.parse().map_err(|e| bad(&e))?,
            d.name,
            d.channel,
            start,
            Money::new(Decimal::from(d.cost), Currency::USD),
        )
        .map_err(|e| bad(&e))?;
        campaign.end = Some(start + Duration::days(14));
        campaign.target_segment = Some(format!("every {} customer", ordinal(d.every)));
        let candidates: Vec<CustomerLabels> = sorted
            .iter()
            .step_by(d.every)
            .map(|c| CustomerLabels::new(c.id.clone()))
            .collect();
        let stream = seed ^ 0x6361_6d70_6169_676e ^ k as u64;
        let audience = select_audience(&candidates, &AudienceSpec::new(d.holdout, stream))
            .map_err(|e| bad(&e))?;
        let mut rng = StdRng::seed_from_u64(stream);
        for m in audience.campaign_members(&campaign.id) {
            let mut m = m;
            let treated = m.group == CampaignGroup::Treatment;
            let rate = if treated {
                d.treatment_rate
            } else {
                d.holdout_rate
            };
            let opened = rng.random_bool(0.4);
            let responded = rng.random_bool(rate);
            let after = Duration::hours(rng.random_range(1..24 * 14));
            if treated {
                m.sent_at = Some(start);
                if opened || responded {
                    m.opened_at = Some(start + Duration::minutes(30));
                }
                if responded {
                    m.clicked_at = Some(start + Duration::minutes(45));
                }
            }
            if responded {
                m.responded_at = Some(start + after);
            }
            members.push(m);
        }
        campaigns.push(campaign);
    }
    Ok((campaigns, members))
}

fn ordinal(n: usize) -> String {
    match n {
        2 => "second".into(),
        3 => "third".into(),
        n => format!("{n}th"),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::TimeZone;
    use crm_core::PartyKind;

    fn customers(n: i64) -> Vec<Customer> {
        let t0 = Utc.with_ymd_and_hms(2024, 1, 1, 0, 0, 0).unwrap();
        (0..n)
            .map(|i| Customer::new(i.into(), PartyKind::Person, "C", t0).unwrap())
            .collect()
    }

    #[test]
    fn campaigns_are_deterministic_valid_and_show_their_uplift() {
        let end = Utc.with_ymd_and_hms(2026, 6, 30, 0, 0, 0).unwrap();
        let people = customers(20_000);
        let (c, m) = campaigns(&people, 42, end).unwrap();
        assert_eq!((c, m.clone()), campaigns(&people, 42, end).unwrap());
        assert!(m.iter().all(|m| m.validate().is_ok()));
        let rate = |id: &str, group: CampaignGroup| {
            let of: Vec<_> = m
                .iter()
                .filter(|m| m.campaign.to_string() == id && m.group == group)
                .collect();
            of.iter().filter(|m| m.responded_at.is_some()).count() as f64 / of.len() as f64
        };
        let uplift = rate("WINBACK-2026", CampaignGroup::Treatment)
            - rate("WINBACK-2026", CampaignGroup::Holdout);
        // 8,000 treated and 2,000 held out: the estimate is within 0.02 of 0.08.
        assert!((uplift - 0.08).abs() < 0.02, "{uplift}");
        let none =
            rate("SMS-2026", CampaignGroup::Treatment) - rate("SMS-2026", CampaignGroup::Holdout);
        assert!(none.abs() < 0.02, "{none}");
    }
}
