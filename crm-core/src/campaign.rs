//! Marketing campaigns and their members: who was picked, who was held out for
//! comparison, and what each member did after the contact.
//!
//! ```
//! use chrono::{Duration, TimeZone, Utc};
//! use crm_core::{Campaign, CampaignGroup, CampaignMember, Channel};
//!
//! let start = Utc.with_ymd_and_hms(2025, 3, 1, 8, 0, 0).unwrap();
//! let mut spring = Campaign::new("SPRING-2025".parse()?, "Spring win-back", Channel::Email, start, "1200 EUR".parse()?)?;
//! spring.target_segment = Some("at risk, gold tier".into());
//! spring.validate()?;
//!
//! let mut member = CampaignMember::new(spring.id.clone(), 42.into(), CampaignGroup::Treatment);
//! member.sent_at = Some(start);
//! member.opened_at = Some(start + Duration::hours(3));
//! member.validate()?;
//! # Ok::<(), Box<dyn std::error::Error>>(())
//! ```

use std::fmt;
use std::str::FromStr;

use chrono::{DateTime, Utc};

use crate::ids::{CampaignId, CustomerId, TransactionId};
use crate::money::Money;
use crate::validation::{
    MAX_SHORT_TEXT_CHARS, ValidationError, check_optional_text, check_order, check_text, clean_text,
};
use crate::vocabulary::{Channel, UnknownName};

/// A marketing campaign: a message on one channel to a target segment over a time span,
/// at a cost.
///
/// ```
/// use chrono::{Duration, Utc};
/// use crm_core::{Campaign, Channel, ValidationError};
/// let t0 = Utc::now();
/// let mut c = Campaign::new("C-1".parse()?, "Summer sale", Channel::Sms, t0, "300 EUR".parse()?)?;
/// c.end = Some(t0 - Duration::days(1));
/// assert_eq!(
///     c.validate().unwrap_err(),
///     ValidationError::TimeOrder { field: "campaign.end", earlier: "campaign.start" }
/// );
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
#[derive(Debug, Clone, PartialEq, Eq)]
#[cfg_attr(feature = "serde", derive(serde::Serialize, serde::Deserialize))]
#[cfg_attr(feature = "serde", serde(remote = "Self"))]
pub struct Campaign {
    /// The campaign's key.
    pub id: CampaignId,
    /// Its name (trimmed, 1 to [`MAX_SHORT_TEXT_CHARS`] characters).
    pub name: String,
    /// The channel the message goes out on.
    pub channel: Channel,
    /// When it starts.
    pub start: DateTime<Utc>,
    /// When it ends (not before `start`); `None` while it runs open-ended.
    #[cfg_attr(feature = "serde", serde(default))]
    pub end: Option<DateTime<Utc>>,
    /// What it cost in total; never negative.
    pub cost: Money,
    /// A description of the audience (`"at risk, gold tier"`), at most
    /// [`MAX_SHORT_TEXT_CHARS`] characters.
    #[cfg_attr(feature = "serde", serde(default))]
    pub target_segment: Option<String>,
}

impl Campaign {
    /// A campaign with no end and no segment description; the name is trimmed and the
    /// cost must not be negative.
    ///
    /// ```
    /// use chrono::Utc;
    /// use crm_core::{Campaign, Channel};
    /// let c = Campaign::new("C-1".parse()?, " Spring ", Channel::Email, Utc::now(), "0 EUR".parse()?)?;
    /// assert_eq!(c.name, "Spring");
    /// let err = Campaign::new("C-2".parse()?, "Spring", Channel::Email, Utc::now(), "-5 EUR".parse()?).unwrap_err();
    /// assert_eq!(err.to_string(), "campaign.cost: must not be negative");
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn new(
        id: CampaignId,
        name: &str,
        channel: Channel,
        start: DateTime<Utc>,
        cost: Money,
    ) -> Result<Campaign, ValidationError> {
        let campaign = Campaign {
            id,
            name: clean_text("campaign.name", name, MAX_SHORT_TEXT_CHARS)?,
            channel,
            start,
            end: None,
            cost,
            target_segment: None,
        };
        campaign.validate()?;
        Ok(campaign)
    }

    /// Checks the texts, the cost and the time span.
    ///
    /// ```
    /// use chrono::Utc;
    /// use crm_core::{Campaign, Channel, ValidationError};
    /// let mut c = Campaign::new("C-1".parse()?, "Spring", Channel::Email, Utc::now(), "10 EUR".parse()?)?;
    /// c.target_segment = Some(String::new());
    /// assert_eq!(c.validate().unwrap_err(), ValidationError::Empty { field: "campaign.target_segment" });
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn validate(&self) -> Result<(), ValidationError> {
        check_text("campaign.name", &self.name, MAX_SHORT_TEXT_CHARS)?;
        if self.cost.is_negative() {
            return Err(ValidationError::Invalid {
                field: "campaign.cost",
                reason: "must not be negative",
            });
        }
        check_optional_text(
            "campaign.target_segment",
            self.target_segment.as_ref(),
            MAX_SHORT_TEXT_CHARS,
        )?;
        check_order(
            "campaign.end",
            self.end.as_ref(),
            "campaign.start",
            Some(&self.start),
        )
    }
}

#[cfg(feature = "serde")]
crate::validation::serde_validated!(Campaign);

/// Which arm of a campaign a member is in: contacted, or held out to measure what the
/// contact changed. Serialized as `"treatment"` or `"holdout"`.
///
/// ```
/// use crm_core::CampaignGroup;
/// assert_eq!(CampaignGroup::Holdout.as_str(), "holdout");
/// assert_eq!("treatment".parse::<CampaignGroup>()?, CampaignGroup::Treatment);
/// assert!("control".parse::<CampaignGroup>().is_err());
/// # Ok::<(), crm_core::UnknownName>(())
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
#[cfg_attr(feature = "serde", derive(serde::Serialize, serde::Deserialize))]
#[cfg_attr(feature = "serde", serde(rename_all = "snake_case"))]
pub enum CampaignGroup {
    /// Receives the campaign.
    Treatment,
    /// Is kept from it, for comparison.
    Holdout,
}

impl CampaignGroup {
    /// Both groups, treatment first.
    ///
    /// ```
    /// use crm_core::CampaignGroup;
    /// assert_eq!(CampaignGroup::ALL.len(), 2);
    /// ```
    pub const ALL: &'static [CampaignGroup] = &[CampaignGroup::Treatment, CampaignGroup::Holdout];

    /// The stable name: `treatment` or `holdout`.
    ///
    /// ```
    /// use crm_core::CampaignGroup;
    /// assert_eq!(CampaignGroup::Treatment.to_string(), CampaignGroup::Treatment.as_str());
    /// ```
    pub fn as_str(self) -> &'static str {
        match self {
            CampaignGroup::Treatment => "treatment",
            CampaignGroup::Holdout => "holdout",
        }
    }
}

impl fmt::Display for CampaignGroup {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

impl FromStr for CampaignGroup {
    type Err = UnknownName;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        match s {
            "treatment" => Ok(CampaignGroup::Treatment),
            "holdout" => Ok(CampaignGroup::Holdout),
            _ => Err(UnknownName {
                vocabulary: "campaign group",
                input: s.to_string(),
                expected: "treatment, holdout",
            }),
        }
    }
}

/// One customer's part in a campaign: the group, when the message went out, what the
/// customer did after it, and the purchase it led to.
///
/// A holdout member is never contacted, so has no `sent_at`, `opened_at` or `clicked_at`;
/// its `responded_at` and `conversion` record what it did on its own, for comparison.
///
/// ```
/// use chrono::Utc;
/// use crm_core::{CampaignGroup, CampaignMember, ValidationError};
/// let mut m = CampaignMember::new("C-1".parse()?, 42.into(), CampaignGroup::Holdout);
/// m.conversion = Some("TX-9".parse()?);
/// m.validate()?;
/// m.sent_at = Some(Utc::now());
/// assert!(matches!(m.validate(), Err(ValidationError::Invalid { field: "campaign_member.sent_at", .. })));
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
#[derive(Debug, Clone, PartialEq, Eq)]
#[cfg_attr(feature = "serde", derive(serde::Serialize, serde::Deserialize))]
#[cfg_attr(feature = "serde", serde(remote = "Self"))]
pub struct CampaignMember {
    /// The campaign.
    pub campaign: CampaignId,
    /// The customer.
    pub customer: CustomerId,
    /// Treatment or holdout.
    pub group: CampaignGroup,
    /// When the message was sent (treatment only).
    #[cfg_attr(feature = "serde", serde(default))]
    pub sent_at: Option<DateTime<Utc>>,
    /// When it was first opened (not before `sent_at`).
    #[cfg_attr(feature = "serde", serde(default))]
    pub opened_at: Option<DateTime<Utc>>,
    /// When it was first clicked (not before `opened_at`, nor `sent_at`).
    #[cfg_attr(feature = "serde", serde(default))]
    pub clicked_at: Option<DateTime<Utc>>,
    /// When the customer responded (not before `sent_at`).
    #[cfg_attr(feature = "serde", serde(default))]
    pub responded_at: Option<DateTime<Utc>>,
    /// The purchase the campaign is credited with.
    #[cfg_attr(feature = "serde", serde(default))]
    pub conversion: Option<TransactionId>,
}

impl CampaignMember {
    /// A member who has not been contacted yet.
    ///
    /// ```
    /// use crm_core::{CampaignGroup, CampaignMember};
    /// let m = CampaignMember::new("C-1".parse()?, 42.into(), CampaignGroup::Treatment);
    /// assert!(m.sent_at.is_none() && m.conversion.is_none());
    /// # Ok::<(), crm_core::IdError>(())
    /// ```
    pub fn new(campaign: CampaignId, customer: CustomerId, group: CampaignGroup) -> Self {
        Self {
            campaign,
            customer,
            group,
            sent_at: None,
            opened_at: None,
            clicked_at: None,
            responded_at: None,
            conversion: None,
        }
    }

    /// Checks the group rules and the order of the times.
    ///
    /// ```
    /// use chrono::{Duration, Utc};
    /// use crm_core::{CampaignGroup, CampaignMember, ValidationError};
    /// let t0 = Utc::now();
    /// let mut m = CampaignMember::new("C-1".parse()?, 42.into(), CampaignGroup::Treatment);
    /// m.sent_at = Some(t0);
    /// m.opened_at = Some(t0 - Duration::minutes(1));
    /// assert_eq!(
    ///     m.validate().unwrap_err(),
    ///     ValidationError::TimeOrder { field: "campaign_member.opened_at", earlier: "campaign_member.sent_at" }
    /// );
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn validate(&self) -> Result<(), ValidationError> {
        match self.group {
            CampaignGroup::Holdout => {
                for (field, value) in [
                    ("campaign_member.sent_at", &self.sent_at),
                    ("campaign_member.opened_at", &self.opened_at),
                    ("campaign_member.clicked_at", &self.clicked_at),
                ] {
                    if value.is_some() {
                        return Err(ValidationError::Invalid {
                            field,
                            reason: "a holdout member is never contacted",
                        });
                    }
                }
            }
            CampaignGroup::Treatment => {
                if self.sent_at.is_none() && (self.opened_at.is_some() || self.clicked_at.is_some())
                {
                    return Err(ValidationError::Invalid {
                        field: "campaign_member.sent_at",
                        reason: "a message opened or clicked must have been sent",
                    });
                }
            }
        }
        let sent = self.sent_at.as_ref();
        check_order(
            "campaign_member.opened_at",
            self.opened_at.as_ref(),
            "campaign_member.sent_at",
            sent,
        )?;
        check_order(
            "campaign_member.clicked_at",
            self.clicked_at.as_ref(),
            "campaign_member.sent_at",
            sent,
        )?;
        check_order(
            "campaign_member.clicked_at",
            self.clicked_at.as_ref(),
            "campaign_member.opened_at",
            self.opened_at.as_ref(),
        )?;
        check_order(
            "campaign_member.responded_at",
            self.responded_at.as_ref(),
            "campaign_member.sent_at",
            sent,
        )
    }
}

#[cfg(feature = "serde")]
crate::validation::serde_validated!(CampaignMember);

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::{Duration, TimeZone};

    fn t0() -> DateTime<Utc> {
        Utc.with_ymd_and_hms(2025, 3, 1, 8, 0, 0).unwrap()
    }

    fn campaign() -> Campaign {
        Campaign::new(
            "SPRING".parse().unwrap(),
            " Spring ",
            Channel::Email,
            t0(),
            "1200.50 EUR".parse().unwrap(),
        )
        .unwrap()
    }

    #[test]
    fn campaign_rules() {
        let mut c = campaign();
        assert_eq!(c.name, "Spring");
        c.end = Some(t0());
        c.validate().unwrap();
        c.end = Some(t0() - Duration::seconds(1));
        assert!(matches!(
            c.validate(),
            Err(ValidationError::TimeOrder {
                field: "campaign.end",
                ..
            })
        ));
        c.end = None;
        c.name = "two\nlines".into();
        assert_eq!(
            c.validate().unwrap_err(),
            ValidationError::ControlCharacter {
                field: "campaign.name"
            }
        );
        assert_eq!(
            Campaign::new(
                1.into(),
                "  ",
                Channel::Email,
                t0(),
                "1 EUR".parse().unwrap()
            )
            .unwrap_err(),
            ValidationError::Empty {
                field: "campaign.name"
            }
        );
    }

    #[test]
    fn member_rules() {
        let mut m = CampaignMember::new(1.into(), 2.into(), CampaignGroup::Treatment);
        m.validate().unwrap();
        m.clicked_at = Some(t0());
        assert!(matches!(
            m.validate(),
            Err(ValidationError::Invalid {
                field: "campaign_member.sent_at",
                ..
            })
        ));
        m.sent_at = Some(t0());
        m.validate().unwrap(); // a click without a tracked open is fine
        m.opened_at = Some(t0() + Duration::minutes(5));
        assert_eq!(
            m.validate().unwrap_err(),
            ValidationError::TimeOrder {
                field: "campaign_member.clicked_at",
                earlier: "campaign_member.opened_at"
            }
        );
        m.clicked_at = Some(t0() + Duration::minutes(6));
        m.responded_at = Some(t0() - Duration::minutes(1));
        assert!(matches!(
            m.validate(),
            Err(ValidationError::TimeOrder {
                field: "campaign_member.responded_at",
                ..
            })
        ));
        m.responded_at = Some(t0() + Duration::days(1));
        m.validate().unwrap();

        let mut h = CampaignMember::new(1.into(), 3.into(), CampaignGroup::Holdout);
        h.responded_at = Some(t0());
        h.validate().unwrap();
        h.opened_at = Some(t0());
        assert_eq!(
            h.validate().unwrap_err().to_string(),
            "campaign_member.opened_at: a holdout member is never contacted"
        );
    }

    #[cfg(feature = "serde")]
    #[test]
    fn round_trip_and_validated_reads() {
        let mut c = campaign();
        c.target_segment = Some("at risk".into());
        c.end = Some(t0() + Duration::days(30));
        let json = serde_json::to_string(&c).unwrap();
        assert_eq!(serde_json::from_str::<Campaign>(&json).unwrap(), c);

        let mut m = CampaignMember::new(c.id.clone(), 7.into(), CampaignGroup::Treatment);
        m.sent_at = Some(t0());
        m.conversion = Some("TX-1".parse().unwrap());
        let json = serde_json::to_string(&m).unwrap();
        assert!(json.contains("\"group\":\"treatment\""), "{json}");
        assert_eq!(serde_json::from_str::<CampaignMember>(&json).unwrap(), m);
        let holdout_sent = json.replace("\"treatment\"", "\"holdout\"");
        let err = serde_json::from_str::<CampaignMember>(&holdout_sent).unwrap_err();
        assert!(err.to_string().contains("never contacted"), "{err}");
    }
}
