//! Laws of the campaign analytics: results do not depend on the order of members or
//! transactions, per-segment tallies merge into the whole campaign's exactly, audiences
//! do not depend on the order of candidates, and nothing panics on odd input.

use chrono::{DateTime, Duration, TimeZone, Utc};
use crm_core::{Campaign, CampaignGroup, CampaignMember, Channel, Transaction};
use crm_engagement::{
    AudienceSpec, CampaignConfig, ConfidenceLevel, CustomerLabels, DetectableEffect, LabelKind,
    Moments, RateUplift, analyze_campaign, campaign_tallies, sample_size_per_group,
    select_audience,
};
use proptest::prelude::*;
use rust_decimal::Decimal;

fn start() -> DateTime<Utc> {
    Utc.with_ymd_and_hms(2025, 3, 1, 0, 0, 0).unwrap()
}

fn campaign() -> Campaign {
    Campaign::new(
        "PROP".parse().unwrap(),
        "Property",
        Channel::Email,
        start(),
        "250 EUR".parse().unwrap(),
    )
    .unwrap()
}

/// (holdout, sent, opened, clicked, responded, converted) per customer 0..n.
type MemberSpec = (bool, bool, bool, bool, bool, bool);

fn members(specs: &[MemberSpec]) -> Vec<CampaignMember> {
    let c = campaign();
    specs
        .iter()
        .enumerate()
        .map(
            |(i, &(holdout, sent, opened, clicked, responded, converted))| {
                let group = if holdout {
                    CampaignGroup::Holdout
                } else {
                    CampaignGroup::Treatment
                };
                let mut m = CampaignMember::new(c.id.clone(), (i as i64).into(), group);
                let at = start() + Duration::hours(i as i64 % 48);
                if !holdout && sent {
                    m.sent_at = Some(at);
                    m.opened_at = opened.then(|| at + Duration::hours(1));
                    m.clicked_at = (opened && clicked).then(|| at + Duration::hours(2));
                }
                m.responded_at = responded.then(|| at + Duration::days(1));
                m.conversion = converted.then(|| format!("TX-C{i}").parse().unwrap());
                m
            },
        )
        .collect()
}

fn transactions(specs: &[(usize, i64, i64)], customers: usize) -> Vec<Transaction> {
    specs
        .iter()
        .enumerate()
        .map(|(i, &(customer, hours, cents))| {
            Transaction::new(
                format!("TX-{i}").parse().unwrap(),
                ((customer % customers.max(1)) as i64).into(),
                start() + Duration::hours(hours),
                crm_core::Money::new(Decimal::new(cents, 2), crm_core::Currency::EUR),
            )
        })
        .collect()
}

fn labels(segments: &[u8]) -> Vec<CustomerLabels> {
    segments
        .iter()
        .enumerate()
        .map(|(i, s)| {
            let mut l = CustomerLabels::new((i as i64).into());
            l.rfm_segment = (*s > 0).then(|| format!("segment-{s}"));
            l
        })
        .collect()
}

fn member_specs() -> impl Strategy<Value = Vec<MemberSpec>> {
    prop::collection::vec(any::<MemberSpec>(), 0..60)
}

fn transaction_specs() -> impl Strategy<Value = Vec<(usize, i64, i64)>> {
    prop::collection::vec((0usize..60, -200i64..1_500, -5_000i64..20_000), 0..120)
}

fn close(a: f64, b: f64) -> bool {
    (a - b).abs() <= 1e-9 * a.abs().max(b.abs()).max(1.0)
}

fn moments_close(a: &Moments, b: &Moments) -> bool {
    a.n == b.n
        && match (a.mean(), b.mean()) {
            (Some(x), Some(y)) => close(x, y),
            (x, y) => x == y,
        }
        && match (a.variance(), b.variance()) {
            (Some(x), Some(y)) => close(x, y),
            (x, y) => x == y,
        }
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(64))]

    #[test]
    fn results_do_not_depend_on_order(
        specs in member_specs(),
        sales in transaction_specs(),
        segments in prop::collection::vec(0u8..4, 60),
        seed in any::<u64>(),
    ) {
        let c = campaign();
        let mut m = members(&specs);
        let mut t = transactions(&sales, specs.len());
        let l = labels(&segments);
        let config = CampaignConfig { segment_by: Some(LabelKind::RfmSegment), ..Default::default() };
        let report = analyze_campaign(&c, &m, &t, &l, &config).unwrap();
        // a seeded permutation of members and transactions
        let rotate = |len: usize| if len == 0 { 0 } else { (seed as usize) % len };
        let k = rotate(m.len());
        m.rotate_left(k);
        m.reverse();
        let k = rotate(t.len());
        t.rotate_left(k);
        t.reverse();
        prop_assert_eq!(analyze_campaign(&c, &m, &t, &l, &config).unwrap(), report);
    }

    #[test]
    fn segments_merge_into_the_whole_campaign(
        specs in member_specs(),
        sales in transaction_specs(),
        segments in prop::collection::vec(0u8..4, 60),
    ) {
        let c = campaign();
        let m = members(&specs);
        let t = transactions(&sales, specs.len());
        let l = labels(&segments);
        let whole = campaign_tallies(&c, &m, &t, &l, &CampaignConfig::default()).unwrap();
        let whole = &whole[&None];
        let config = CampaignConfig { segment_by: Some(LabelKind::RfmSegment), ..Default::default() };
        let report = analyze_campaign(&c, &m, &t, &l, &config).unwrap();
        let members_in_segments: u64 = report
            .segments
            .iter()
            .map(|s| s.tally.treatment.members + s.tally.holdout.members)
            .sum();
        prop_assert_eq!(members_in_segments, specs.len() as u64);
        for (merged, direct) in [
            (&report.tally.treatment, &whole.treatment),
            (&report.tally.holdout, &whole.holdout),
        ] {
            // counts and money exactly, the variance up to rounding
            prop_assert_eq!(
                (merged.members, merged.reached, merged.opened, merged.clicked, merged.responded, merged.converted, merged.revenue),
                (direct.members, direct.reached, direct.opened, direct.clicked, direct.responded, direct.converted, direct.revenue)
            );
            prop_assert!(moments_close(&merged.revenue_moments, &direct.revenue_moments));
        }
        let unsegmented = analyze_campaign(&c, &m, &t, &l, &CampaignConfig::default()).unwrap();
        prop_assert_eq!(report.overall.incremental_revenue, unsegmented.overall.incremental_revenue);
        prop_assert_eq!(report.overall.roi, unsegmented.overall.roi);
        prop_assert_eq!(report.overall.conversion_uplift, unsegmented.overall.conversion_uplift);
    }

    #[test]
    fn audiences_do_not_depend_on_order(
        segments in prop::collection::vec(0u8..4, 0..200),
        share in 0.0f64..=1.0,
        seed in any::<u64>(),
        stratify in any::<bool>(),
    ) {
        let candidates = labels(&segments);
        let spec = AudienceSpec {
            stratify_by: stratify.then_some(LabelKind::RfmSegment),
            ..AudienceSpec::new(share, seed)
        };
        let audience = select_audience(&candidates, &spec).unwrap();
        let mut reversed = candidates.clone();
        reversed.reverse();
        prop_assert_eq!(&select_audience(&reversed, &spec).unwrap(), &audience);
        prop_assert_eq!(audience.members.len(), candidates.len());
        if !stratify {
            prop_assert_eq!(audience.holdout(), (share * candidates.len() as f64).round() as usize);
        }
    }

    #[test]
    fn odd_numbers_never_panic(
        x1 in any::<u64>(), n1 in any::<u64>(), x2 in any::<u64>(), n2 in any::<u64>(),
        a in any::<f64>(), b in any::<f64>(), alpha in any::<f64>(), power in any::<f64>(),
        level in any::<f64>(),
    ) {
        let level = ConfidenceLevel::new(level).unwrap_or_default();
        if let Some(u) = RateUplift::new((x1, n1), (x2, n2), level) {
            prop_assert!((0.0..=1.0).contains(&u.p_value));
        }
        let _ = sample_size_per_group(DetectableEffect::Rates { holdout: a, treatment: b }, alpha, power);
        let _ = sample_size_per_group(DetectableEffect::Means { difference: a, std_dev: b }, alpha, power);
        let _ = select_audience(&labels(&[1, 2, 3]), &AudienceSpec::new(a, 1));
    }

    #[test]
    fn bad_records_are_errors_not_panics(
        specs in member_specs(),
        sales in transaction_specs(),
        break_it in 0u8..3,
    ) {
        let c = campaign();
        let mut m = members(&specs);
        let mut t = transactions(&sales, specs.len());
        match break_it {
            0 => if let Some(first) = m.first().cloned() { m.push(first) },
            1 => for x in &mut t { x.amount = crm_core::Money::new(x.amount.amount(), crm_core::Currency::USD) },
            _ => if let Some(first) = m.first_mut() { first.campaign = "OTHER".parse().unwrap() },
        }
        let result = analyze_campaign(&c, &m, &t, &[], &CampaignConfig::default());
        if let Err(e) = result {
            prop_assert!(e.to_string().contains("campaign PROP"), "{}", e);
        }
    }
}
