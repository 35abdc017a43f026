//! What a campaign changed: per group tallies that merge exactly, and the rates, uplifts,
//! incremental revenue and ROI computed from them, per segment and for the whole campaign.

use std::collections::{BTreeMap, HashMap, HashSet};

use chrono::TimeDelta;
use crm_core::{
    Campaign, CampaignGroup, CampaignId, CampaignMember, Currency, CustomerId, Money, Transaction,
};
use rust_decimal::Decimal;
use rust_decimal::prelude::ToPrimitive;
use serde::{Deserialize, Serialize};

use super::CampaignError;
use super::audience::{CustomerLabels, LabelKind};
use super::stats::{ConfidenceLevel, MeanUplift, Moments, Proportion, RateUplift};

/// What one member did, as the tallies count it.
///
/// ```
/// use crm_engagement::MemberOutcome;
/// let o = MemberOutcome { responded: true, ..Default::default() };
/// assert!(!o.converted && o.revenue.is_zero());
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize)]
pub struct MemberOutcome {
    /// The message was sent.
    pub reached: bool,
    /// It was opened.
    pub opened: bool,
    /// It was clicked.
    pub clicked: bool,
    /// The customer responded.
    pub responded: bool,
    /// The customer bought.
    pub converted: bool,
    /// Net revenue in the attribution window (refunds subtract).
    pub revenue: Decimal,
}

/// Exact counts and revenue of one group, filled and merged through
/// [`CampaignTally::record`] and [`CampaignTally::merge`]: a commutative monoid (counts and
/// the revenue total exactly, the `f64` moments used only for the variance up to
/// rounding).
///
/// ```
/// use crm_core::{CampaignGroup, Currency};
/// use crm_engagement::{CampaignTally, MemberOutcome};
/// use rust_decimal::Decimal;
/// let mut a = CampaignTally::new("C-1".parse()?, Currency::EUR);
/// a.record(CampaignGroup::Treatment, &MemberOutcome { converted: true, revenue: Decimal::new(1999, 2), ..Default::default() })?;
/// let mut b = CampaignTally::new("C-1".parse()?, Currency::EUR);
/// b.record(CampaignGroup::Treatment, &MemberOutcome::default())?;
/// a.merge(&b)?;
/// let t = &a.treatment;
/// assert_eq!((t.members, t.converted, t.revenue), (2, 1, Decimal::new(1999, 2)));
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
#[derive(Debug, Clone, PartialEq, Default, Serialize, Deserialize)]
pub struct GroupTally {
    /// Members.
    pub members: u64,
    /// Members reached (message sent).
    pub reached: u64,
    /// Members who opened.
    pub opened: u64,
    /// Members who clicked.
    pub clicked: u64,
    /// Members who responded.
    pub responded: u64,
    /// Members who converted.
    pub converted: u64,
    /// Total net revenue, exact.
    pub revenue: Decimal,
    /// Moments of the revenue per member, for its variance.
    pub revenue_moments: Moments,
}

impl GroupTally {
    /// Counts one member; fails, naming the figure and changing nothing, only when a
    /// total leaves its type's range.
    pub(crate) fn record(&mut self, outcome: &MemberOutcome) -> Result<(), &'static str> {
        let one = GroupTally {
            members: 1,
            reached: u64::from(outcome.reached),
            opened: u64::from(outcome.opened),
            clicked: u64::from(outcome.clicked),
            responded: u64::from(outcome.responded),
            converted: u64::from(outcome.converted),
            revenue: outcome.revenue,
            revenue_moments: Moments::default(),
        };
        self.merge(&one)?;
        self.revenue_moments
            .push(outcome.revenue.to_f64().unwrap_or(f64::NAN));
        Ok(())
    }

    /// Adds every member of `other`; fails like [`record`](Self::record).
    pub(crate) fn merge(&mut self, other: &GroupTally) -> Result<(), &'static str> {
        let revenue = self.revenue.checked_add(other.revenue).ok_or("revenue")?;
        let add = |a: u64, b: u64| a.checked_add(b).ok_or("member counts");
        *self = GroupTally {
            members: add(self.members, other.members)?,
            reached: add(self.reached, other.reached)?,
            opened: add(self.opened, other.opened)?,
            clicked: add(self.clicked, other.clicked)?,
            responded: add(self.responded, other.responded)?,
            converted: add(self.converted, other.converted)?,
            revenue,
            revenue_moments: self.revenue_moments,
        };
        self.revenue_moments.merge(&other.revenue_moments);
        Ok(())
    }
}

/// The tallies of one campaign (or one segment of it), treatment and holdout; a monoid
/// under [`merge`](Self::merge) for one campaign and currency.
///
/// ```
/// use crm_core::{CampaignGroup, Currency};
/// use crm_engagement::{CampaignTally, MemberOutcome};
/// let mut gold = CampaignTally::new("SPRING".parse()?, Currency::EUR);
/// gold.record(CampaignGroup::Treatment, &MemberOutcome { responded: true, ..Default::default() })?;
/// let mut silver = CampaignTally::new("SPRING".parse()?, Currency::EUR);
/// silver.record(CampaignGroup::Holdout, &MemberOutcome::default())?;
/// gold.merge(&silver)?;
/// assert_eq!((gold.treatment.responded, gold.holdout.members), (1, 1));
/// assert!(gold.merge(&CampaignTally::new("OTHER".parse()?, Currency::EUR)).is_err());
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct CampaignTally {
    /// The campaign.
    pub campaign: CampaignId,
    /// The currency of the revenue.
    pub currency: Currency,
    /// The treatment group.
    pub treatment: GroupTally,
    /// The holdout group.
    pub holdout: GroupTally,
}

impl CampaignTally {
    /// The empty tally of a campaign.
    ///
    /// ```
    /// use crm_core::Currency;
    /// use crm_engagement::CampaignTally;
    /// let t = CampaignTally::new("C-1".parse()?, Currency::USD);
    /// assert_eq!(t.treatment.members + t.holdout.members, 0);
    /// # Ok::<(), crm_core::IdError>(())
    /// ```
    pub fn new(campaign: CampaignId, currency: Currency) -> Self {
        Self {
            campaign,
            currency,
            treatment: GroupTally::default(),
            holdout: GroupTally::default(),
        }
    }

    fn group(&mut self, group: CampaignGroup) -> &mut GroupTally {
        match group {
            CampaignGroup::Treatment => &mut self.treatment,
            CampaignGroup::Holdout => &mut self.holdout,
        }
    }

    fn overflow(&self, figure: &'static str) -> CampaignError {
        CampaignError::Overflow {
            campaign: self.campaign.to_string(),
            figure,
        }
    }

    /// Counts one member of `group`.
    ///
    /// ```
    /// use crm_core::{CampaignGroup, Currency};
    /// use crm_engagement::{CampaignTally, MemberOutcome};
    /// let mut t = CampaignTally::new("C-1".parse()?, Currency::EUR);
    /// t.record(CampaignGroup::Holdout, &MemberOutcome { converted: true, ..Default::default() })?;
    /// assert_eq!(t.holdout.converted, 1);
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn record(
        &mut self,
        group: CampaignGroup,
        outcome: &MemberOutcome,
    ) -> Result<(), CampaignError> {
        self.group(group)
            .record(outcome)
            .map_err(|figure| self.overflow(figure))
    }

    /// Adds the members of `other`, a tally of the same campaign and currency.
    ///
    /// ```
    /// use crm_core::Currency;
    /// use crm_engagement::CampaignTally;
    /// let mut t = CampaignTally::new("C-1".parse()?, Currency::EUR);
    /// let err = t.merge(&CampaignTally::new("C-1".parse()?, Currency::USD)).unwrap_err();
    /// assert_eq!(err.to_string(), "campaign C-1: cannot merge the tally of campaign C-1 in USD");
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn merge(&mut self, other: &CampaignTally) -> Result<(), CampaignError> {
        if other.campaign != self.campaign || other.currency != self.currency {
            return Err(CampaignError::MergeMismatch {
                campaign: self.campaign.to_string(),
                other: format!("{} in {}", other.campaign, other.currency.code()),
            });
        }
        let (mut treatment, mut holdout) = (self.treatment.clone(), self.holdout.clone());
        treatment
            .merge(&other.treatment)
            .and_then(|()| holdout.merge(&other.holdout))
            .map_err(|figure| self.overflow(figure))?;
        (self.treatment, self.holdout) = (treatment, holdout);
        Ok(())
    }

    /// The results of the tally, with `cost` (if known) for the ROI.
    ///
    /// Rates: reach = reached / members; open and click = opened and clicked / reached;
    /// response and conversion = responded and converted / members (so the holdout,
    /// never reached, compares on the same footing). Uplifts are treatment minus holdout
    /// ([`RateUplift`], [`MeanUplift`] on revenue per member). Incremental revenue =
    /// treatment revenue − holdout revenue × (treatment members / holdout members), exact;
    /// ROI = (incremental revenue − cost) / cost.
    ///
    /// ```
    /// use crm_core::{CampaignGroup, Currency};
    /// use crm_engagement::{CampaignTally, ConfidenceLevel, MemberOutcome};
    /// use rust_decimal::Decimal;
    /// let mut t = CampaignTally::new("C-1".parse()?, Currency::EUR);
    /// let buy = |cents| MemberOutcome { converted: true, revenue: Decimal::new(cents, 2), ..Default::default() };
    /// for cents in [10000, 0, 5000, 0] { t.record(CampaignGroup::Treatment, &buy(cents))?; }
    /// for cents in [2000, 0] { t.record(CampaignGroup::Holdout, &buy(cents))?; }
    /// let r = t.results(Some("50 EUR".parse()?), ConfidenceLevel::default())?;
    /// // 150 − 20 × 4/2 = 110 EUR incremental; ROI (110 − 50) / 50 = 1.2
    /// assert_eq!(r.incremental_revenue, Some("110 EUR".parse()?));
    /// assert_eq!(r.roi, Some(Decimal::new(12, 1)));
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn results(
        &self,
        cost: Option<Money>,
        level: ConfidenceLevel,
    ) -> Result<CampaignResults, CampaignError> {
        if let Some(cost) = cost
            && cost.currency() != self.currency
        {
            return Err(CampaignError::CurrencyMismatch {
                context: format!("campaign {}", self.campaign),
                what: "cost".into(),
                expected: self.currency.code(),
                found: cost.currency().code(),
            });
        }
        let (t, h) = (&self.treatment, &self.holdout);
        let incremental = if t.members > 0 && h.members > 0 {
            let scaled = h
                .revenue
                .checked_mul(Decimal::from(t.members))
                .and_then(|x| x.checked_div(Decimal::from(h.members)))
                .and_then(|x| t.revenue.checked_sub(x))
                .ok_or_else(|| self.overflow("incremental revenue"))?;
            Some(scaled.normalize())
        } else {
            None
        };
        let roi = match (incremental, cost) {
            (Some(inc), Some(cost)) if !cost.is_zero() => Some(
                inc.checked_sub(cost.amount())
                    .and_then(|x| x.checked_div(cost.amount()))
                    .ok_or_else(|| self.overflow("ROI"))?
                    .normalize(),
            ),
            _ => None,
        };
        Ok(CampaignResults {
            treatment: GroupResults::new(t, self.currency, level),
            holdout: GroupResults::new(h, self.currency, level),
            response_uplift: RateUplift::new(
                (t.responded, t.members),
                (h.responded, h.members),
                level,
            ),
            conversion_uplift: RateUplift::new(
                (t.converted, t.members),
                (h.converted, h.members),
                level,
            ),
            revenue_uplift: MeanUplift::new(&t.revenue_moments, &h.revenue_moments, level),
            incremental_revenue: incremental.map(|x| Money::new(x, self.currency)),
            cost,
            roi,
        })
    }
}

/// The rates and revenue of one group. See [`CampaignTally::results`] for the
/// definitions.
///
/// ```
/// use crm_core::Currency;
/// use crm_engagement::{ConfidenceLevel, GroupResults, GroupTally};
/// let r = GroupResults::new(&GroupTally::default(), Currency::EUR, ConfidenceLevel::default());
/// assert!(r.response.is_none() && r.revenue_per_customer.is_none());
/// ```
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct GroupResults {
    /// Members.
    pub members: u64,
    /// Reached / members.
    pub reach: Option<Proportion>,
    /// Opened / reached.
    pub open: Option<Proportion>,
    /// Clicked / reached.
    pub click: Option<Proportion>,
    /// Responded / members.
    pub response: Option<Proportion>,
    /// Converted / members.
    pub conversion: Option<Proportion>,
    /// Total net revenue in the attribution windows.
    pub revenue: Money,
    /// Revenue / members, exact.
    pub revenue_per_customer: Option<Money>,
    /// Sample standard deviation of the revenue per member.
    pub revenue_std_dev: Option<f64>,
}

impl GroupResults {
    /// The results of one group's tally.
    ///
    /// ```
    /// use crm_core::Currency;
    /// use crm_engagement::{ConfidenceLevel, GroupResults, GroupTally};
    /// let t = GroupTally { members: 10, reached: 8, opened: 4, ..Default::default() };
    /// let r = GroupResults::new(&t, Currency::EUR, ConfidenceLevel::default());
    /// assert_eq!(r.open.unwrap().rate, 0.5);
    /// ```
    pub fn new(tally: &GroupTally, currency: Currency, level: ConfidenceLevel) -> Self {
        let n = tally.members;
        Self {
            members: n,
            reach: Proportion::new(tally.reached, n, level),
            open: Proportion::new(tally.opened, tally.reached, level),
            click: Proportion::new(tally.clicked, tally.reached, level),
            response: Proportion::new(tally.responded, n, level),
            conversion: Proportion::new(tally.converted, n, level),
            revenue: Money::new(tally.revenue, currency),
            revenue_per_customer: (n > 0)
                .then(|| tally.revenue.checked_div(Decimal::from(n)))
                .flatten()
                .map(|x| Money::new(x.normalize(), currency)),
            revenue_std_dev: tally.revenue_moments.variance().map(f64::sqrt),
        }
    }
}

/// What a campaign (or a segment of it) changed. See [`CampaignTally::results`].
///
/// ```
/// use crm_core::Currency;
/// use crm_engagement::{CampaignTally, ConfidenceLevel};
/// let r = CampaignTally::new("C-1".parse()?, Currency::EUR).results(None, ConfidenceLevel::default())?;
/// assert!(r.conversion_uplift.is_none() && r.roi.is_none());
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct CampaignResults {
    /// The treatment group.
    pub treatment: GroupResults,
    /// The holdout group.
    pub holdout: GroupResults,
    /// Response rate, treatment minus holdout.
    pub response_uplift: Option<RateUplift>,
    /// Conversion rate, treatment minus holdout.
    pub conversion_uplift: Option<RateUplift>,
    /// Revenue per member, treatment minus holdout (Welch).
    pub revenue_uplift: Option<MeanUplift>,
    /// Revenue the treatment brought beyond what the holdout's rate predicts.
    pub incremental_revenue: Option<Money>,
    /// The cost counted against it.
    pub cost: Option<Money>,
    /// `(incremental revenue − cost) / cost`.
    pub roi: Option<Decimal>,
}

/// How to measure a campaign.
///
/// ```
/// use crm_engagement::CampaignConfig;
/// let c = CampaignConfig::default();
/// assert_eq!((c.attribution_days, c.level.value(), c.segment_by), (30, 0.95, None));
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
#[serde(default)]
pub struct CampaignConfig {
    /// Days after the contact in which a purchase counts (30 by default).
    pub attribution_days: u32,
    /// Confidence level of every interval.
    pub level: ConfidenceLevel,
    /// Report per value of this label as well as in total.
    pub segment_by: Option<LabelKind>,
}

impl Default for CampaignConfig {
    fn default() -> Self {
        Self {
            attribution_days: 30,
            level: ConfidenceLevel::default(),
            segment_by: None,
        }
    }
}

/// The results of one segment.
///
/// ```
/// use crm_engagement::SegmentResults;
/// fn name(s: &SegmentResults) -> &str { s.segment.as_deref().unwrap_or("(none)") }
/// # let _ = name;
/// ```
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct SegmentResults {
    /// The segment's label (`None` for members without one).
    pub segment: Option<String>,
    /// The segment's tally.
    pub tally: CampaignTally,
    /// Its results, with the cost shared by treatment members.
    pub results: CampaignResults,
}

/// A campaign's results in total and per segment. See [`analyze_campaign`].
///
/// ```
/// use crm_engagement::CampaignReport;
/// fn segments(r: &CampaignReport) -> usize { r.segments.len() }
/// # let _ = segments;
/// ```
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct CampaignReport {
    /// The campaign.
    pub campaign: CampaignId,
    /// The whole campaign's tally (the merge of the segments' tallies).
    pub tally: CampaignTally,
    /// The whole campaign's results, with its full cost.
    pub overall: CampaignResults,
    /// Per segment of [`CampaignConfig::segment_by`], by label (`None` first); empty when
    /// not segmented.
    pub segments: Vec<SegmentResults>,
}

/// The per-segment tallies of a campaign (one entry, keyed `None`, when `segment_by` is
/// `None`). Merging them gives the whole campaign's tally; tallies of shards of the
/// members merge the same way.
///
/// For each member, sorted by customer first (so results do not depend on input order):
///
/// * the **contact** is `sent_at`, or the campaign's start for members never sent (the
///   holdout, and treatment members the message did not reach: the comparison is by
///   intention to treat);
/// * **revenue** is the net amount of the customer's transactions in
///   `[contact, contact + attribution_days)`, which must be in the cost's currency;
/// * **converted** means the member has a `conversion` or bought (a positive amount) in
///   the window; **responded** means `responded_at` is set.
///
/// ```
/// use chrono::{TimeZone, Utc};
/// use crm_core::{Campaign, CampaignGroup, CampaignMember, Channel};
/// use crm_engagement::{CampaignConfig, campaign_tallies};
/// let start = Utc.with_ymd_and_hms(2025, 3, 1, 0, 0, 0).unwrap();
/// let c = Campaign::new("C-1".parse()?, "Spring", Channel::Email, start, "10 EUR".parse()?)?;
/// let members = [CampaignMember::new(c.id.clone(), 1.into(), CampaignGroup::Holdout)];
/// let tallies = campaign_tallies(&c, &members, &[], &[], &CampaignConfig::default())?;
/// assert_eq!(tallies[&None].holdout.members, 1);
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
pub fn campaign_tallies(
    campaign: &Campaign,
    members: &[CampaignMember],
    transactions: &[Transaction],
    labels: &[CustomerLabels],
    config: &CampaignConfig,
) -> Result<BTreeMap<Option<String>, CampaignTally>, CampaignError> {
    let name = || campaign.id.to_string();
    campaign
        .validate()
        .map_err(|source| CampaignError::InvalidCampaign {
            campaign: name(),
            source,
        })?;
    let currency = campaign.cost.currency();
    let mut sorted: Vec<&CampaignMember> = members.iter().collect();
    sorted.sort_by(|a, b| a.customer.cmp(&b.customer));
    let mut seen: HashSet<&CustomerId> = HashSet::with_capacity(sorted.len());
    for member in &sorted {
        let customer = || member.customer.to_string();
        if member.campaign != campaign.id {
            return Err(CampaignError::ForeignMember {
                campaign: name(),
                customer: customer(),
                other: member.campaign.to_string(),
            });
        }
        if !seen.insert(&member.customer) {
            return Err(CampaignError::DuplicateMember {
                campaign: name(),
                customer: customer(),
            });
        }
        member
            .validate()
            .map_err(|source| CampaignError::InvalidMember {
                campaign: name(),
                customer: customer(),
                source,
            })?;
    }
    let mut bought: HashMap<&CustomerId, Vec<&Transaction>> = HashMap::new();
    for t in transactions {
        if seen.contains(&t.customer) {
            bought.entry(&t.customer).or_default().push(t);
        }
    }
    let segment_of: HashMap<&CustomerId, &str> = match config.segment_by {
        Some(kind) => labels
            .iter()
            .filter_map(|l| Some((&l.customer, l.label(kind)?)))
            .collect(),
        None => HashMap::new(),
    };
    let window = TimeDelta::days(i64::from(config.attribution_days));
    let mut tallies: BTreeMap<Option<String>, CampaignTally> = BTreeMap::new();
    for member in sorted {
        let contact = member.sent_at.unwrap_or(campaign.start);
        let end = contact.checked_add_signed(window);
        let mut outcome = MemberOutcome {
            reached: member.sent_at.is_some(),
            opened: member.opened_at.is_some(),
            clicked: member.clicked_at.is_some(),
            responded: member.responded_at.is_some(),
            converted: member.conversion.is_some(),
            revenue: Decimal::ZERO,
        };
        for t in bought.get(&member.customer).into_iter().flatten() {
            if t.occurred_at < contact || end.is_some_and(|end| t.occurred_at >= end) {
                continue;
            }
            if t.amount.currency() != currency {
                return Err(CampaignError::CurrencyMismatch {
                    context: format!("campaign {}, customer {}", campaign.id, member.customer),
                    what: format!("transaction {}", t.id),
                    expected: currency.code(),
                    found: t.amount.currency().code(),
                });
            }
            outcome.revenue = outcome
                .revenue
                .checked_add(t.amount.amount())
                .ok_or_else(|| CampaignError::Overflow {
                    campaign: name(),
                    figure: "revenue",
                })?;
            outcome.converted |= t.amount.amount() > Decimal::ZERO;
        }
        let segment = segment_of.get(&member.customer).map(|s| s.to_string());
        tallies
            .entry(segment)
            .or_insert_with(|| CampaignTally::new(campaign.id.clone(), currency))
            .record(member.group, &outcome)?;
    }
    if config.segment_by.is_none() {
        tallies
            .entry(None)
            .or_insert_with(|| CampaignTally::new(campaign.id.clone(), currency));
    }
    Ok(tallies)
}

/// Measures a campaign from its members, the customers' transactions and (for a
/// breakdown) their labels: [`campaign_tallies`] per segment, merged into the whole
/// campaign's tally, and the [`CampaignResults`] of each.
///
/// A segment's ROI counts the campaign's cost shared by treatment members
/// (`cost × segment treatment members / all treatment members`). Linear in members and
/// transactions, plus sorting the members.
///
/// ```
/// use chrono::{Duration, TimeZone, Utc};
/// use crm_core::{Campaign, CampaignGroup, CampaignMember, Channel, Transaction};
/// use crm_engagement::{CampaignConfig, analyze_campaign};
///
/// let start = Utc.with_ymd_and_hms(2025, 3, 1, 0, 0, 0).unwrap();
/// let campaign = Campaign::new("SPRING".parse()?, "Spring", Channel::Email, start, "20 EUR".parse()?)?;
/// let mut members = Vec::new();
/// for i in 1..=4 {
///     let group = if i <= 2 { CampaignGroup::Treatment } else { CampaignGroup::Holdout };
///     let mut m = CampaignMember::new(campaign.id.clone(), i.into(), group);
///     if group == CampaignGroup::Treatment { m.sent_at = Some(start); }
///     members.push(m);
/// }
/// let sale = |id: &str, customer: i64, amount: &str, days| {
///     Transaction::new(id.parse().unwrap(), customer.into(), start + Duration::days(days), amount.parse().unwrap())
/// };
/// let transactions = [
///     sale("T1", 1, "100 EUR", 3),
///     sale("T2", 3, "40 EUR", 5),
///     sale("T3", 2, "999 EUR", 45), // after the 30-day window
/// ];
/// let report = analyze_campaign(&campaign, &members, &transactions, &[], &CampaignConfig::default())?;
/// let r = &report.overall;
/// assert_eq!(r.treatment.conversion.unwrap().rate, 0.5);
/// assert_eq!(r.incremental_revenue, Some("60 EUR".parse()?)); // 100 − 40 × 2/2
/// assert_eq!(r.roi, Some(2.into())); // (60 − 20) / 20
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
pub fn analyze_campaign(
    campaign: &Campaign,
    members: &[CampaignMember],
    transactions: &[Transaction],
    labels: &[CustomerLabels],
    config: &CampaignConfig,
) -> Result<CampaignReport, CampaignError> {
    let tallies = campaign_tallies(campaign, members, transactions, labels, config)?;
    let mut total = CampaignTally::new(campaign.id.clone(), campaign.cost.currency());
    for tally in tallies.values() {
        total.merge(tally)?;
    }
    let overall = total.results(Some(campaign.cost), config.level)?;
    let mut segments = Vec::new();
    if config.segment_by.is_some() {
        for (segment, tally) in tallies {
            let cost = if total.treatment.members > 0 {
                campaign
                    .cost
                    .amount()
                    .checked_mul(Decimal::from(tally.treatment.members))
                    .and_then(|x| x.checked_div(Decimal::from(total.treatment.members)))
                    .map(|x| Money::new(x.normalize(), campaign.cost.currency()))
            } else {
                None
            };
            let results = tally.results(cost, config.level)?;
            segments.push(SegmentResults {
                segment,
                tally,
                results,
            });
        }
    }
    Ok(CampaignReport {
        campaign: campaign.id.clone(),
        tally: total,
        overall,
        segments,
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::{DateTime, TimeZone, Utc};
    use crm_core::Channel;

    fn day(d: i64) -> DateTime<Utc> {
        Utc.with_ymd_and_hms(2025, 3, 1, 0, 0, 0).unwrap() + TimeDelta::days(d)
    }

    fn campaign() -> Campaign {
        Campaign::new(
            "SPRING".parse().unwrap(),
            "Spring",
            Channel::Email,
            day(0),
            "100 EUR".parse().unwrap(),
        )
        .unwrap()
    }

    fn member(customer: i64, group: CampaignGroup, sent: Option<i64>) -> CampaignMember {
        let mut m = CampaignMember::new("SPRING".parse().unwrap(), customer.into(), group);
        m.sent_at = sent.map(day);
        m
    }

    fn sale(id: &str, customer: i64, d: i64, amount: &str) -> Transaction {
        Transaction::new(
            id.parse().unwrap(),
            customer.into(),
            day(d),
            amount.parse().unwrap(),
        )
    }

    /// Hand-computed campaign (30-day window from the contact, cost 100 EUR):
    ///
    /// | customer | group | segment | contact | in the window | revenue | converted |
    /// |---|---|---|---|---|---|---|
    /// | 1 | T | gold | sent d0, opened, clicked, responded | +80 d2, −20 d5 (+500 d31 is out) | 60 | yes |
    /// | 2 | T | gold | sent d1 | +40 d30 (window to d31) | 40 | yes |
    /// | 3 | T | silver | never sent: start d0 | (+10 d−1 is before) | 0 | no |
    /// | 4 | T | silver | sent d0, opened, responded, conversion set | — | 0 | yes |
    /// | 5 | H | gold | start d0 | +30 d10 | 30 | yes |
    /// | 6 | H | silver | start d0 | — | 0 | no |
    /// | 7 | H | — | start d0 | +20 d3 | 20 | yes |
    /// | 8 | T | — | sent d0 | — | 0 | no |
    fn fixture() -> (Vec<CampaignMember>, Vec<Transaction>, Vec<CustomerLabels>) {
        use CampaignGroup::*;
        let mut m1 = member(1, Treatment, Some(0));
        m1.opened_at = Some(day(0));
        m1.clicked_at = Some(day(0));
        m1.responded_at = Some(day(1));
        let mut m4 = member(4, Treatment, Some(0));
        m4.opened_at = Some(day(0));
        m4.responded_at = Some(day(2));
        m4.conversion = Some("TX-STORE".parse().unwrap());
        let members = vec![
            m1,
            member(2, Treatment, Some(1)),
            member(3, Treatment, None),
            m4,
            member(5, Holdout, None),
            member(6, Holdout, None),
            member(7, Holdout, None),
            member(8, Treatment, Some(0)),
        ];
        let transactions = vec![
            sale("T1", 1, 2, "80 EUR"),
            sale("T2", 1, 5, "-20 EUR"),
            sale("T3", 1, 31, "500 EUR"),
            sale("T4", 2, 30, "40 EUR"),
            sale("T5", 3, -1, "10 EUR"),
            sale("T6", 5, 10, "30 EUR"),
            sale("T7", 7, 3, "20 EUR"),
            sale("T8", 99, 3, "1000 EUR"), // not a member
        ];
        let labels = [
            (1, "gold"),
            (2, "gold"),
            (3, "silver"),
            (4, "silver"),
            (5, "gold"),
            (6, "silver"),
        ]
        .iter()
        .map(|(c, s)| {
            let mut l = CustomerLabels::new((*c).into());
            l.rfm_segment = Some(s.to_string());
            l
        })
        .collect();
        (members, transactions, labels)
    }

    fn money(text: &str) -> Money {
        text.parse().unwrap()
    }

    #[test]
    fn hand_computed_campaign() {
        let (members, transactions, labels) = fixture();
        let config = CampaignConfig {
            segment_by: Some(LabelKind::RfmSegment),
            ..Default::default()
        };
        let report =
            analyze_campaign(&campaign(), &members, &transactions, &labels, &config).unwrap();
        let t = &report.tally.treatment;
        assert_eq!(
            (
                t.members,
                t.reached,
                t.opened,
                t.clicked,
                t.responded,
                t.converted
            ),
            (5, 4, 2, 1, 2, 3)
        );
        assert_eq!(t.revenue, Decimal::from(100));
        let h = &report.tally.holdout;
        assert_eq!(
            (h.members, h.converted, h.revenue),
            (3, 2, Decimal::from(50))
        );
        let r = &report.overall;
        assert_eq!(r.treatment.reach.unwrap().rate, 0.8);
        assert_eq!(r.treatment.open.unwrap().rate, 0.5);
        assert_eq!(r.treatment.click.unwrap().rate, 0.25);
        assert_eq!(r.treatment.conversion.unwrap().rate, 0.6);
        assert_eq!(r.holdout.open, None);
        assert_eq!(r.treatment.revenue_per_customer, Some(money("20 EUR")));
        assert!((r.conversion_uplift.unwrap().difference - (0.6 - 2.0 / 3.0)).abs() < 1e-15);
        // 100 − 50 × 5/3 = 16.67; ROI (16.67 − 100) / 100 = −0.8333
        let inc = r.incremental_revenue.unwrap().amount();
        assert_eq!(inc.round_dp(6), Decimal::new(16_666_667, 6));
        assert_eq!(r.roi.unwrap().round_dp(6), Decimal::new(-833_333, 6));

        let names: Vec<Option<&str>> = report
            .segments
            .iter()
            .map(|s| s.segment.as_deref())
            .collect();
        assert_eq!(names, [None, Some("gold"), Some("silver")]);
        let seg = |i: usize| &report.segments[i].results;
        // no label: T {8}, H {7}: −20 incremental, cost 100 × 1/5 = 20, ROI −2
        assert_eq!(seg(0).incremental_revenue, Some(money("-20 EUR")));
        assert_eq!(seg(0).cost, Some(money("20 EUR")));
        assert_eq!(seg(0).roi, Some(Decimal::from(-2)));
        // gold: T {1, 2} 100, H {5} 30: 100 − 30 × 2 = 40 against a cost of 40: ROI 0
        assert_eq!(seg(1).incremental_revenue, Some(money("40 EUR")));
        assert_eq!(seg(1).roi, Some(Decimal::ZERO));
        // silver: nothing either side, ROI −1
        assert_eq!(seg(2).incremental_revenue, Some(money("0 EUR")));
        assert_eq!(seg(2).roi, Some(Decimal::from(-1)));
    }

    #[test]
    fn errors_name_the_campaign_and_customer() {
        let (mut members, mut transactions, labels) = fixture();
        let config = CampaignConfig::default();
        // a purchase in another currency outside the window does not matter …
        transactions.push(sale("T9", 1, 40, "5 USD"));
        analyze_campaign(&campaign(), &members, &transactions, &labels, &config).unwrap();
        // … inside it, it does
        transactions.push(sale("T10", 1, 4, "5 USD"));
        assert_eq!(
            analyze_campaign(&campaign(), &members, &transactions, &labels, &config)
                .unwrap_err()
                .to_string(),
            "campaign SPRING, customer 1: transaction T10 in USD, expected EUR"
        );
        transactions.pop();
        members.push(member(2, CampaignGroup::Holdout, None));
        assert_eq!(
            analyze_campaign(&campaign(), &members, &transactions, &labels, &config)
                .unwrap_err()
                .to_string(),
            "campaign SPRING: customer 2 is a member twice"
        );
        members.pop();
        members[0].opened_at = Some(day(-1));
        assert_eq!(
            analyze_campaign(&campaign(), &members, &transactions, &labels, &config)
                .unwrap_err()
                .to_string(),
            "campaign SPRING, customer 1: campaign_member.opened_at: is before campaign_member.sent_at"
        );
        members[0].opened_at = None;
        members[0].campaign = "AUTUMN".parse().unwrap();
        assert!(matches!(
            analyze_campaign(&campaign(), &members, &transactions, &labels, &config),
            Err(CampaignError::ForeignMember { .. })
        ));
    }
}
