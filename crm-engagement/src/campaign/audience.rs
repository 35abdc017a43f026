//! Choosing a campaign's audience from labels the caller computed (RFM segment, value
//! tier, churn-risk band, lifecycle stage) or a list, with a reproducible random holdout.

use std::collections::{BTreeMap, BTreeSet};
use std::hash::Hasher;

use crm_core::{CampaignGroup, CampaignId, CampaignMember, CustomerId, LifecycleStage};
use serde::{Deserialize, Serialize};
use siphasher::sip::SipHasher13;

use super::CampaignError;

/// Which label of a customer to select or group by.
///
/// ```
/// use crm_engagement::LabelKind;
/// assert_eq!(serde_json::to_string(&LabelKind::ChurnRisk)?, "\"churn_risk\"");
/// # Ok::<(), serde_json::Error>(())
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum LabelKind {
    /// The RFM segment name (`"champions"`, `"at_risk"`).
    RfmSegment,
    /// The value tier (`"gold"`).
    Tier,
    /// The churn-risk band (`"high"`).
    ChurnRisk,
    /// The lifecycle stage, by its `crm_core` name (`"at_risk"`, `"churned"`).
    LifecycleStage,
}

/// What the caller knows about a customer, as plain labels (computed elsewhere, e.g. by
/// the segmentation and churn crates).
///
/// ```
/// use crm_core::LifecycleStage;
/// use crm_engagement::{CustomerLabels, LabelKind};
/// let mut c = CustomerLabels::new(42.into());
/// c.tier = Some("gold".into());
/// c.lifecycle_stage = Some(LifecycleStage::AtRisk);
/// assert_eq!(c.label(LabelKind::Tier), Some("gold"));
/// assert_eq!(c.label(LabelKind::LifecycleStage), Some("at_risk"));
/// assert_eq!(c.label(LabelKind::ChurnRisk), None);
/// ```
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct CustomerLabels {
    /// The customer.
    pub customer: CustomerId,
    /// RFM segment name.
    #[serde(default)]
    pub rfm_segment: Option<String>,
    /// Value tier.
    #[serde(default)]
    pub tier: Option<String>,
    /// Churn-risk band.
    #[serde(default)]
    pub churn_risk: Option<String>,
    /// Lifecycle stage.
    #[serde(default)]
    pub lifecycle_stage: Option<LifecycleStage>,
}

impl CustomerLabels {
    /// A customer with no labels.
    ///
    /// ```
    /// use crm_engagement::CustomerLabels;
    /// assert!(CustomerLabels::new(1.into()).rfm_segment.is_none());
    /// ```
    pub fn new(customer: CustomerId) -> Self {
        Self {
            customer,
            rfm_segment: None,
            tier: None,
            churn_risk: None,
            lifecycle_stage: None,
        }
    }

    /// The label of one kind, if known.
    ///
    /// ```
    /// use crm_engagement::{CustomerLabels, LabelKind};
    /// let mut c = CustomerLabels::new(1.into());
    /// c.rfm_segment = Some("champions".into());
    /// assert_eq!(c.label(LabelKind::RfmSegment), Some("champions"));
    /// ```
    pub fn label(&self, kind: LabelKind) -> Option<&str> {
        match kind {
            LabelKind::RfmSegment => self.rfm_segment.as_deref(),
            LabelKind::Tier => self.tier.as_deref(),
            LabelKind::ChurnRisk => self.churn_risk.as_deref(),
            LabelKind::LifecycleStage => self.lifecycle_stage.map(LifecycleStage::as_str),
        }
    }
}

/// One condition on the audience; a customer must meet every filter of a spec.
///
/// ```
/// use crm_engagement::{AudienceFilter, CustomerLabels, LabelKind};
/// let f = AudienceFilter::Label { kind: LabelKind::Tier, values: vec!["gold".into(), "silver".into()] };
/// let mut c = CustomerLabels::new(1.into());
/// assert!(!f.matches(&c));
/// c.tier = Some("silver".into());
/// assert!(f.matches(&c));
/// assert!(AudienceFilter::List(vec![1.into()]).matches(&c));
/// ```
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum AudienceFilter {
    /// The customer's label of `kind` is one of `values`.
    Label {
        /// The label.
        kind: LabelKind,
        /// The accepted values.
        values: Vec<String>,
    },
    /// The customer is in the list.
    List(Vec<CustomerId>),
}

impl AudienceFilter {
    /// Whether a customer meets the filter.
    ///
    /// ```
    /// use crm_engagement::{AudienceFilter, CustomerLabels};
    /// assert!(!AudienceFilter::List(vec![]).matches(&CustomerLabels::new(1.into())));
    /// ```
    pub fn matches(&self, customer: &CustomerLabels) -> bool {
        match self {
            AudienceFilter::Label { kind, values } => customer
                .label(*kind)
                .is_some_and(|label| values.iter().any(|v| v == label)),
            AudienceFilter::List(list) => list.contains(&customer.customer),
        }
    }
}

/// How to choose an audience: the filters, the share held out, the seed of the draw, and
/// optionally a label to stratify the holdout by.
///
/// ```
/// use crm_engagement::AudienceSpec;
/// let spec = AudienceSpec::new(0.1, 2025);
/// assert!(spec.filters.is_empty() && spec.stratify_by.is_none());
/// ```
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct AudienceSpec {
    /// Every filter must match (none: every candidate).
    #[serde(default)]
    pub filters: Vec<AudienceFilter>,
    /// The share of the audience held out, in `[0, 1]`.
    pub holdout_share: f64,
    /// The seed of the draw.
    pub seed: u64,
    /// Hold out the share within each value of this label (missing labels form one
    /// stratum of their own).
    #[serde(default)]
    pub stratify_by: Option<LabelKind>,
}

impl AudienceSpec {
    /// A spec with no filters and no stratification.
    ///
    /// ```
    /// use crm_engagement::AudienceSpec;
    /// assert_eq!(AudienceSpec::new(0.2, 7).holdout_share, 0.2);
    /// ```
    pub fn new(holdout_share: f64, seed: u64) -> Self {
        Self {
            filters: Vec::new(),
            holdout_share,
            seed,
            stratify_by: None,
        }
    }
}

/// One customer of an audience.
///
/// ```
/// use crm_core::CampaignGroup;
/// use crm_engagement::AudienceMember;
/// let m = AudienceMember { customer: 1.into(), group: CampaignGroup::Holdout, stratum: None };
/// assert_eq!(m.group, CampaignGroup::Holdout);
/// ```
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct AudienceMember {
    /// The customer.
    pub customer: CustomerId,
    /// Treatment or holdout.
    pub group: CampaignGroup,
    /// The stratum's label, when the holdout was stratified.
    pub stratum: Option<String>,
}

/// The chosen audience, sorted by customer. See [`select_audience`].
///
/// ```
/// use crm_engagement::{Audience, AudienceMember};
/// let a = Audience { members: vec![] };
/// assert_eq!((a.treatment(), a.holdout()), (0, 0));
/// ```
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Audience {
    /// The members, sorted by customer.
    pub members: Vec<AudienceMember>,
}

impl Audience {
    /// Members in the treatment group.
    ///
    /// ```
    /// use crm_core::CampaignGroup;
    /// use crm_engagement::{Audience, AudienceMember};
    /// let a = Audience { members: vec![AudienceMember { customer: 1.into(), group: CampaignGroup::Treatment, stratum: None }] };
    /// assert_eq!(a.treatment(), 1);
    /// ```
    pub fn treatment(&self) -> usize {
        self.count(CampaignGroup::Treatment)
    }

    /// Members held out.
    ///
    /// ```
    /// use crm_core::CampaignGroup;
    /// use crm_engagement::{Audience, AudienceMember};
    /// let a = Audience { members: vec![AudienceMember { customer: 1.into(), group: CampaignGroup::Holdout, stratum: None }] };
    /// assert_eq!(a.holdout(), 1);
    /// ```
    pub fn holdout(&self) -> usize {
        self.count(CampaignGroup::Holdout)
    }

    fn count(&self, group: CampaignGroup) -> usize {
        self.members.iter().filter(|m| m.group == group).count()
    }

    /// The members as campaign member records of `campaign`, not yet contacted.
    ///
    /// ```
    /// use crm_core::CampaignGroup;
    /// use crm_engagement::{Audience, AudienceMember};
    /// let a = Audience { members: vec![AudienceMember { customer: 7.into(), group: CampaignGroup::Holdout, stratum: None }] };
    /// let records = a.campaign_members(&"SPRING".parse()?);
    /// assert_eq!((records[0].customer.to_string().as_str(), records[0].group), ("7", CampaignGroup::Holdout));
    /// # Ok::<(), crm_core::IdError>(())
    /// ```
    pub fn campaign_members(&self, campaign: &CampaignId) -> Vec<CampaignMember> {
        self.members
            .iter()
            .map(|m| CampaignMember::new(campaign.clone(), m.customer.clone(), m.group))
            .collect()
    }
}

/// The draw key of a customer: SipHash-1-3 keyed by the seed over the customer id's text.
/// It depends on nothing but the seed and the id, so the draw does not depend on the
/// order of the input, and SipHash-1-3 is a fixed specification, so the draw is the same
/// on every platform and release.
fn draw_key(seed: u64, customer: &CustomerId) -> u64 {
    // The second key spells "campaign" in ASCII.
    let mut hasher = SipHasher13::new_with_keys(seed, 0x6361_6d70_6169_676e);
    hasher.write(customer.to_string().as_bytes());
    hasher.finish()
}

/// Chooses an audience and draws its holdout.
///
/// The audience is every candidate that meets all of `spec.filters`. Within the audience
/// (or within each stratum of `spec.stratify_by`), customers are ordered by a keyed hash of
/// `(seed, customer id)` and the first `round(holdout_share × size)` are held out: the
/// holdout has exactly the asked share (to the nearest customer) in each stratum, and the
/// draw is reproducible from the seed and independent of the order of `candidates`.
/// `O(n log n)` in the candidates.
///
/// ```
/// use crm_core::CampaignGroup;
/// use crm_engagement::{AudienceFilter, AudienceSpec, CustomerLabels, LabelKind, select_audience};
///
/// let candidates: Vec<CustomerLabels> = (1..=100)
///     .map(|i| {
///         let mut c = CustomerLabels::new(i.into());
///         c.churn_risk = Some(if i % 4 == 0 { "high" } else { "low" }.into());
///         c
///     })
///     .collect();
/// let mut spec = AudienceSpec::new(0.2, 42);
/// spec.filters.push(AudienceFilter::Label { kind: LabelKind::ChurnRisk, values: vec!["high".into()] });
/// let audience = select_audience(&candidates, &spec)?;
/// assert_eq!((audience.treatment(), audience.holdout()), (20, 5)); // 25 high-risk customers
///
/// let mut reversed = candidates.clone();
/// reversed.reverse();
/// assert_eq!(select_audience(&reversed, &spec)?, audience); // order does not matter
/// # Ok::<(), crm_engagement::CampaignError>(())
/// ```
pub fn select_audience(
    candidates: &[CustomerLabels],
    spec: &AudienceSpec,
) -> Result<Audience, CampaignError> {
    let share = spec.holdout_share;
    if !(0.0..=1.0).contains(&share) {
        return Err(CampaignError::InvalidParameter {
            parameter: "holdout share",
            value: share,
            expected: "in [0, 1]",
        });
    }
    let mut seen = BTreeSet::new();
    let mut strata: BTreeMap<Option<&str>, Vec<(u64, &CustomerId)>> = BTreeMap::new();
    for candidate in candidates {
        if !seen.insert(&candidate.customer) {
            return Err(CampaignError::DuplicateCustomer {
                customer: candidate.customer.to_string(),
            });
        }
        if !spec.filters.iter().all(|f| f.matches(candidate)) {
            continue;
        }
        let stratum = spec.stratify_by.and_then(|kind| candidate.label(kind));
        strata.entry(stratum).or_default().push((
            draw_key(spec.seed, &candidate.customer),
            &candidate.customer,
        ));
    }
    let mut members = Vec::new();
    for (stratum, mut customers) in strata {
        customers.sort_unstable();
        let held = (share * customers.len() as f64).round() as usize;
        for (rank, (_, customer)) in customers.into_iter().enumerate() {
            members.push(AudienceMember {
                customer: customer.clone(),
                group: if rank < held {
                    CampaignGroup::Holdout
                } else {
                    CampaignGroup::Treatment
                },
                stratum: stratum.map(str::to_string),
            });
        }
    }
    members.sort_by(|a, b| a.customer.cmp(&b.customer));
    Ok(Audience { members })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn candidates(n: i64) -> Vec<CustomerLabels> {
        (0..n)
            .map(|i| {
                let mut c = CustomerLabels::new(i.into());
                c.rfm_segment =
                    Some(["champions", "loyal", "hibernating"][(i % 3) as usize].into());
                c.tier = (i % 5 != 0).then(|| "gold".to_string());
                c
            })
            .collect()
    }

    #[test]
    fn stratified_holdout_has_the_share_in_every_stratum() {
        let mut spec = AudienceSpec::new(0.25, 9);
        spec.stratify_by = Some(LabelKind::RfmSegment);
        let audience = select_audience(&candidates(300), &spec).unwrap();
        for segment in ["champions", "loyal", "hibernating"] {
            let (held, all) = audience
                .members
                .iter()
                .filter(|m| m.stratum.as_deref() == Some(segment))
                .fold((0, 0), |(h, a), m| {
                    (h + usize::from(m.group == CampaignGroup::Holdout), a + 1)
                });
            assert_eq!((held, all), (25, 100), "{segment}");
        }
        // a different seed draws a different holdout of the same size
        let other = select_audience(&candidates(300), &AudienceSpec { seed: 10, ..spec }).unwrap();
        assert_eq!(other.holdout(), 75);
        assert_ne!(other, audience);
    }

    #[test]
    fn filters_lists_and_errors() {
        let mut spec = AudienceSpec::new(0.0, 1);
        spec.filters = vec![
            AudienceFilter::Label {
                kind: LabelKind::Tier,
                values: vec!["gold".into()],
            },
            AudienceFilter::List((0..10).map(CustomerId::from).collect()),
        ];
        let audience = select_audience(&candidates(30), &spec).unwrap();
        let ids: Vec<String> = audience
            .members
            .iter()
            .map(|m| m.customer.to_string())
            .collect();
        assert_eq!(ids, ["1", "2", "3", "4", "6", "7", "8", "9"]);
        assert_eq!(audience.holdout(), 0);
        spec.holdout_share = 1.5;
        assert_eq!(
            select_audience(&candidates(3), &spec)
                .unwrap_err()
                .to_string(),
            "holdout share is 1.5, expected in [0, 1]"
        );
        let mut twice = candidates(3);
        twice.push(CustomerLabels::new(2.into()));
        assert_eq!(
            select_audience(&twice, &AudienceSpec::new(0.1, 1))
                .unwrap_err()
                .to_string(),
            "customer 2 is listed twice"
        );
    }

    #[test]
    fn the_draw_is_fixed_by_seed_and_id() {
        // Pinned values: a change of hash would silently change every stored holdout.
        assert_eq!(
            draw_key(0, &CustomerId::from(1)),
            draw_key(0, &"1".parse().unwrap())
        );
        let a = draw_key(7, &"CUST-1".parse().unwrap());
        assert_eq!(a, 12_095_888_535_016_810_866);
        assert_eq!(draw_key(0, &CustomerId::from(1)), 2_270_437_298_105_826_028);
        assert_ne!(a, draw_key(8, &"CUST-1".parse().unwrap()));
        assert_ne!(a, draw_key(7, &"CUST-2".parse().unwrap()));
    }
}
