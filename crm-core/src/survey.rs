//! Satisfaction survey responses: NPS, CSAT and CES scores.
//!
//! Scores are checked when built (and when deserialized): an NPS outside `0..=10`, a CES
//! outside `1..=7` or a CSAT outside its declared scale is an error, never a stored value.
//!
//! ```
//! use chrono::Utc;
//! use crm_core::{CsatScale, SurveyResponse, SurveyScore};
//!
//! let nps = SurveyScore::nps(9)?;
//! assert!(SurveyScore::nps(11).is_err());
//! let csat = SurveyScore::csat(4, CsatScale::default())?;
//! assert!(SurveyScore::csat(0, CsatScale::default()).is_err());
//! let r = SurveyResponse::new("S-5".parse()?, 42.into(), Utc::now(), nps)?;
//! assert_eq!(r.score.value(), 9);
//! # let _ = csat;
//! # Ok::<(), Box<dyn std::error::Error>>(())
//! ```

use std::collections::BTreeSet;

use chrono::{DateTime, Utc};

use crate::customer::check_long_text;
use crate::ids::{CustomerId, InteractionId, SurveyResponseId, TicketId};
use crate::personal::Personal;
use crate::tag::Tag;
use crate::validation::ValidationError;
use crate::vocabulary::SurveyKind;

/// The lowest NPS score.
///
/// ```
/// use crm_core::{NPS_MAX, NPS_MIN, SurveyScore};
/// assert!((NPS_MIN..=NPS_MAX).all(|s| SurveyScore::nps(s).is_ok()));
/// assert!(SurveyScore::nps(NPS_MAX + 1).is_err());
/// ```
pub const NPS_MIN: u8 = 0;
/// The highest NPS score (see [`NPS_MIN`]).
pub const NPS_MAX: u8 = 10;
/// The lowest CES score.
///
/// ```
/// use crm_core::{CES_MAX, CES_MIN, SurveyScore};
/// assert!(SurveyScore::ces(CES_MIN - 1).is_err());
/// assert!(SurveyScore::ces(CES_MAX).is_ok());
/// ```
pub const CES_MIN: u8 = 1;
/// The highest CES score (see [`CES_MIN`]).
pub const CES_MAX: u8 = 7;

/// The declared scale of a CSAT question: `min..=max` with `min < max` (default `1..=5`).
///
/// ```
/// use crm_core::CsatScale;
/// assert_eq!(CsatScale::default(), CsatScale::new(1, 5)?);
/// assert!(CsatScale::new(5, 5).is_err());
/// assert!(CsatScale::new(0, 10)?.contains(0));
/// # Ok::<(), crm_core::ValidationError>(())
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[cfg_attr(feature = "serde", derive(serde::Serialize, serde::Deserialize))]
#[cfg_attr(
    feature = "serde",
    serde(try_from = "CsatScaleFields", into = "CsatScaleFields")
)]
pub struct CsatScale {
    min: u8,
    max: u8,
}

/// The plain fields of a [`CsatScale`] (its serde form), unvalidated.
///
/// ```
/// use crm_core::{CsatScale, CsatScaleFields};
/// assert!(CsatScale::try_from(CsatScaleFields { min: 1, max: 7 }).is_ok());
/// assert!(CsatScale::try_from(CsatScaleFields { min: 7, max: 1 }).is_err());
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[cfg_attr(feature = "serde", derive(serde::Serialize, serde::Deserialize))]
pub struct CsatScaleFields {
    /// The lowest score.
    pub min: u8,
    /// The highest score.
    pub max: u8,
}

impl CsatScale {
    /// A scale from `min` to `max` inclusive; `min` must be below `max`.
    ///
    /// ```
    /// use crm_core::CsatScale;
    /// let ten = CsatScale::new(0, 10)?;
    /// assert_eq!((ten.min(), ten.max()), (0, 10));
    /// assert_eq!(CsatScale::new(3, 3).unwrap_err().to_string(), "survey.csat_scale: min must be below max");
    /// # Ok::<(), crm_core::ValidationError>(())
    /// ```
    pub fn new(min: u8, max: u8) -> Result<CsatScale, ValidationError> {
        if min >= max {
            return Err(ValidationError::Invalid {
                field: "survey.csat_scale",
                reason: "min must be below max",
            });
        }
        Ok(CsatScale { min, max })
    }

    /// The lowest score.
    pub fn min(&self) -> u8 {
        self.min
    }

    /// The highest score.
    pub fn max(&self) -> u8 {
        self.max
    }

    /// True when `score` lies on the scale (both ends included).
    ///
    /// ```
    /// use crm_core::CsatScale;
    /// let five = CsatScale::default();
    /// assert!(five.contains(1) && five.contains(5));
    /// assert!(!five.contains(0) && !five.contains(6));
    /// ```
    pub fn contains(&self, score: u8) -> bool {
        (self.min..=self.max).contains(&score)
    }
}

impl Default for CsatScale {
    /// `1..=5`.
    fn default() -> Self {
        CsatScale { min: 1, max: 5 }
    }
}

impl TryFrom<CsatScaleFields> for CsatScale {
    type Error = ValidationError;
    fn try_from(f: CsatScaleFields) -> Result<Self, Self::Error> {
        CsatScale::new(f.min, f.max)
    }
}

impl From<CsatScale> for CsatScaleFields {
    fn from(s: CsatScale) -> Self {
        CsatScaleFields {
            min: s.min,
            max: s.max,
        }
    }
}

/// A survey score of one of the three kinds.
///
/// The variants are public for matching; build scores with [`SurveyScore::nps`],
/// [`SurveyScore::csat`] and [`SurveyScore::ces`], which check the range (a hand-built
/// variant is checked by [`SurveyScore::validate`] and by deserialization).
///
/// Serde form: `{"nps": 9}`, `{"ces": 3}`, `{"csat": {"score": 4, "scale": {"min": 1, "max": 5}}}`.
///
/// ```
/// use crm_core::{SurveyKind, SurveyScore};
/// let s = SurveyScore::nps(9)?;
/// let label = match s {
///     SurveyScore::Nps(9..=10) => "promoter",
///     SurveyScore::Nps(7..=8) => "passive",
///     _ => "detractor",
/// };
/// assert_eq!((label, s.kind()), ("promoter", SurveyKind::Nps));
/// // A hand-built variant out of range is caught by `validate`.
/// assert!(SurveyScore::Nps(12).validate().is_err());
/// # Ok::<(), crm_core::ValidationError>(())
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[cfg_attr(feature = "serde", derive(serde::Serialize, serde::Deserialize))]
#[cfg_attr(feature = "serde", serde(rename_all = "snake_case"))]
#[cfg_attr(feature = "serde", serde(try_from = "SurveyScoreFields"))]
pub enum SurveyScore {
    /// Net Promoter Score question ("how likely are you to recommend us"), `0..=10`.
    Nps(u8),
    /// Customer satisfaction on a declared scale.
    Csat {
        /// The score, on `scale`.
        score: u8,
        /// The scale of the question.
        scale: CsatScale,
    },
    /// Customer effort score, `1..=7`.
    Ces(u8),
}

/// The unvalidated serde form of a [`SurveyScore`].
///
/// ```
/// use crm_core::{SurveyScore, SurveyScoreFields};
/// assert_eq!(SurveyScore::try_from(SurveyScoreFields::Ces(3)), SurveyScore::ces(3));
/// assert!(SurveyScore::try_from(SurveyScoreFields::Nps(11)).is_err());
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[cfg_attr(feature = "serde", derive(serde::Serialize, serde::Deserialize))]
#[cfg_attr(feature = "serde", serde(rename_all = "snake_case"))]
pub enum SurveyScoreFields {
    /// See [`SurveyScore::Nps`].
    Nps(u8),
    /// See [`SurveyScore::Csat`].
    Csat {
        /// The score.
        score: u8,
        /// The scale (default `1..=5` when missing).
        #[cfg_attr(feature = "serde", serde(default))]
        scale: CsatScale,
    },
    /// See [`SurveyScore::Ces`].
    Ces(u8),
}

fn out_of_range(field: &'static str, value: u8, min: u8, max: u8) -> ValidationError {
    ValidationError::OutOfRange {
        field,
        value: value.to_string(),
        expected: format!("{min}..={max}"),
    }
}

impl SurveyScore {
    /// An NPS score, `0..=10`.
    ///
    /// ```
    /// use crm_core::SurveyScore;
    /// assert_eq!(SurveyScore::nps(0)?, SurveyScore::Nps(0));
    /// assert_eq!(SurveyScore::nps(11).unwrap_err().to_string(), "survey.nps: 11 is outside 0..=10");
    /// # Ok::<(), crm_core::ValidationError>(())
    /// ```
    pub fn nps(score: u8) -> Result<SurveyScore, ValidationError> {
        SurveyScore::Nps(score).checked()
    }

    /// A CSAT score on `scale`.
    ///
    /// ```
    /// use crm_core::{CsatScale, SurveyScore};
    /// let ten = CsatScale::new(0, 10)?;
    /// assert_eq!(SurveyScore::csat(0, ten)?.value(), 0);
    /// assert_eq!(SurveyScore::csat(0, CsatScale::default()).unwrap_err().to_string(), "survey.csat: 0 is outside 1..=5");
    /// # Ok::<(), crm_core::ValidationError>(())
    /// ```
    pub fn csat(score: u8, scale: CsatScale) -> Result<SurveyScore, ValidationError> {
        SurveyScore::Csat { score, scale }.checked()
    }

    /// A CES score, `1..=7`.
    ///
    /// ```
    /// use crm_core::SurveyScore;
    /// assert!(SurveyScore::ces(7).is_ok());
    /// assert!(SurveyScore::ces(0).is_err());
    /// ```
    pub fn ces(score: u8) -> Result<SurveyScore, ValidationError> {
        SurveyScore::Ces(score).checked()
    }

    fn checked(self) -> Result<SurveyScore, ValidationError> {
        self.validate().map(|()| self)
    }

    /// Checks that the score lies on its scale (and that a CSAT scale is itself valid).
    ///
    /// ```
    /// use crm_core::{SurveyScore, ValidationError};
    /// assert!(SurveyScore::Ces(4).validate().is_ok());
    /// assert!(matches!(SurveyScore::Ces(9).validate(), Err(ValidationError::OutOfRange { field: "survey.ces", .. })));
    /// ```
    pub fn validate(&self) -> Result<(), ValidationError> {
        match *self {
            SurveyScore::Nps(s) if s > NPS_MAX => {
                Err(out_of_range("survey.nps", s, NPS_MIN, NPS_MAX))
            }
            SurveyScore::Ces(s) if !(CES_MIN..=CES_MAX).contains(&s) => {
                Err(out_of_range("survey.ces", s, CES_MIN, CES_MAX))
            }
            SurveyScore::Csat { score, scale } => {
                CsatScale::new(scale.min, scale.max)?;
                if scale.contains(score) {
                    Ok(())
                } else {
                    Err(out_of_range("survey.csat", score, scale.min, scale.max))
                }
            }
            _ => Ok(()),
        }
    }

    /// Which kind of survey the score belongs to.
    ///
    /// ```
    /// use crm_core::{CsatScale, SurveyKind, SurveyScore};
    /// assert_eq!(SurveyScore::csat(4, CsatScale::default())?.kind(), SurveyKind::Csat);
    /// # Ok::<(), crm_core::ValidationError>(())
    /// ```
    pub fn kind(&self) -> SurveyKind {
        match self {
            SurveyScore::Nps(_) => SurveyKind::Nps,
            SurveyScore::Csat { .. } => SurveyKind::Csat,
            SurveyScore::Ces(_) => SurveyKind::Ces,
        }
    }

    /// The raw score, on its own kind's scale.
    ///
    /// ```
    /// use crm_core::SurveyScore;
    /// assert_eq!(SurveyScore::ces(6)?.value(), 6);
    /// # Ok::<(), crm_core::ValidationError>(())
    /// ```
    pub fn value(&self) -> u8 {
        match *self {
            SurveyScore::Nps(s) | SurveyScore::Ces(s) => s,
            SurveyScore::Csat { score, .. } => score,
        }
    }
}

impl TryFrom<SurveyScoreFields> for SurveyScore {
    type Error = ValidationError;
    fn try_from(f: SurveyScoreFields) -> Result<Self, Self::Error> {
        match f {
            SurveyScoreFields::Nps(s) => SurveyScore::nps(s),
            SurveyScoreFields::Csat { score, scale } => SurveyScore::csat(score, scale),
            SurveyScoreFields::Ces(s) => SurveyScore::ces(s),
        }
    }
}

/// One answer to a satisfaction survey.
///
/// ```
/// use chrono::Utc;
/// use crm_core::{Personal, SurveyResponse, SurveyScore, Tag};
/// let mut r = SurveyResponse::new("S-1".parse()?, 42.into(), Utc::now(), SurveyScore::ces(2)?)?;
/// r.ticket = Some("T-1001".parse()?);
/// r.comment = Some(Personal::new("Quick answer,\nthanks!".into()));
/// r.tags.insert(Tag::new("Onboarding")?);
/// r.validate()?;
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
#[derive(Debug, Clone, PartialEq, Eq)]
#[cfg_attr(feature = "serde", derive(serde::Serialize, serde::Deserialize))]
#[cfg_attr(feature = "serde", serde(remote = "Self"))]
pub struct SurveyResponse {
    /// The response's key.
    pub id: SurveyResponseId,
    /// Who answered.
    pub customer: CustomerId,
    /// When they answered.
    pub responded_at: DateTime<Utc>,
    /// The score.
    pub score: SurveyScore,
    /// The ticket the survey asked about (transactional CSAT/CES).
    #[cfg_attr(feature = "serde", serde(default))]
    pub ticket: Option<TicketId>,
    /// The interaction the survey asked about.
    #[cfg_attr(feature = "serde", serde(default))]
    pub interaction: Option<InteractionId>,
    /// The free-text comment (personal data; newlines allowed).
    #[cfg_attr(feature = "serde", serde(default))]
    pub comment: Option<Personal<String>>,
    /// Labels (topics coded from the comment, campaign names).
    #[cfg_attr(feature = "serde", serde(default))]
    pub tags: BTreeSet<Tag>,
}

impl SurveyResponse {
    /// A response with the required fields; the score is checked.
    ///
    /// ```
    /// use chrono::Utc;
    /// use crm_core::{SurveyResponse, SurveyScore};
    /// let ok = SurveyResponse::new("S-1".parse()?, 42.into(), Utc::now(), SurveyScore::nps(10)?)?;
    /// assert!(ok.comment.is_none() && ok.tags.is_empty());
    /// // A hand-built score out of range is refused.
    /// assert!(SurveyResponse::new("S-2".parse()?, 42.into(), Utc::now(), SurveyScore::Nps(12)).is_err());
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn new(
        id: SurveyResponseId,
        customer: CustomerId,
        responded_at: DateTime<Utc>,
        score: SurveyScore,
    ) -> Result<SurveyResponse, ValidationError> {
        score.validate()?;
        Ok(SurveyResponse {
            id,
            customer,
            responded_at,
            score,
            ticket: None,
            interaction: None,
            comment: None,
            tags: BTreeSet::new(),
        })
    }

    /// Checks the score and the comment.
    ///
    /// ```
    /// use chrono::Utc;
    /// use crm_core::{Personal, SurveyResponse, SurveyScore, ValidationError};
    /// let mut r = SurveyResponse::new("S-1".parse()?, 42.into(), Utc::now(), SurveyScore::nps(3)?)?;
    /// r.comment = Some(Personal::new("   ".into()));
    /// assert_eq!(r.validate().unwrap_err(), ValidationError::Empty { field: "survey.comment" });
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn validate(&self) -> Result<(), ValidationError> {
        self.score.validate()?;
        if let Some(comment) = &self.comment {
            check_long_text("survey.comment", comment.expose())?;
        }
        Ok(())
    }
}

#[cfg(feature = "serde")]
crate::validation::serde_validated!(SurveyResponse);

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::TimeZone;

    #[test]
    fn ranges() {
        assert!((0..=10).all(|s| SurveyScore::nps(s).is_ok()));
        assert!((11..=u8::MAX).all(|s| SurveyScore::nps(s).is_err()));
        assert!((1..=7).all(|s| SurveyScore::ces(s).is_ok()));
        assert!(SurveyScore::ces(0).is_err());
        assert!(SurveyScore::ces(8).is_err());
        let five = CsatScale::default();
        assert!((1..=5).all(|s| SurveyScore::csat(s, five).is_ok()));
        assert!(SurveyScore::csat(0, five).is_err());
        assert!(SurveyScore::csat(6, five).is_err());
        let ten = CsatScale::new(0, 10).unwrap();
        assert!(SurveyScore::csat(0, ten).is_ok());
        assert_eq!(
            SurveyScore::nps(11).unwrap_err().to_string(),
            "survey.nps: 11 is outside 0..=10"
        );
        assert_eq!(
            CsatScale::new(3, 2).unwrap_err().to_string(),
            "survey.csat_scale: min must be below max"
        );
        // A hand-built out-of-range variant is caught by validate.
        assert!(SurveyScore::Ces(9).validate().is_err());
        assert_eq!(SurveyScore::Ces(3).kind(), SurveyKind::Ces);
        assert_eq!(SurveyScore::csat(4, five).unwrap().value(), 4);
    }

    #[test]
    fn response_checks_score_and_comment() {
        let t0 = Utc.with_ymd_and_hms(2024, 1, 1, 0, 0, 0).unwrap();
        assert!(SurveyResponse::new(1.into(), 2.into(), t0, SurveyScore::Nps(12)).is_err());
        let mut r = SurveyResponse::new(1.into(), 2.into(), t0, SurveyScore::Nps(10)).unwrap();
        r.comment = Some(Personal::new("Très bien !\nMerci".into()));
        r.validate().unwrap();
        r.comment = Some(Personal::new(" ".into()));
        assert_eq!(
            r.validate().unwrap_err(),
            ValidationError::Empty {
                field: "survey.comment"
            }
        );
    }

    #[cfg(feature = "serde")]
    #[test]
    fn serde_forms_and_validation_on_read() {
        let csat = SurveyScore::csat(4, CsatScale::default()).unwrap();
        let json = serde_json::to_string(&csat).unwrap();
        assert_eq!(json, r#"{"csat":{"score":4,"scale":{"min":1,"max":5}}}"#);
        assert_eq!(serde_json::from_str::<SurveyScore>(&json).unwrap(), csat);
        assert_eq!(
            serde_json::to_string(&SurveyScore::Nps(9)).unwrap(),
            r#"{"nps":9}"#
        );
        assert_eq!(
            serde_json::from_str::<SurveyScore>(r#"{"csat":{"score":2}}"#).unwrap(),
            SurveyScore::csat(2, CsatScale::default()).unwrap()
        );
        assert!(serde_json::from_str::<SurveyScore>(r#"{"nps":11}"#).is_err());
        assert!(serde_json::from_str::<SurveyScore>(r#"{"ces":0}"#).is_err());
        assert!(
            serde_json::from_str::<SurveyScore>(
                r#"{"csat":{"score":2,"scale":{"min":5,"max":1}}}"#
            )
            .is_err()
        );
        assert!(serde_json::from_str::<CsatScale>(r#"{"min":5,"max":5}"#).is_err());

        let t0 = Utc.with_ymd_and_hms(2024, 1, 1, 0, 0, 0).unwrap();
        let mut r =
            SurveyResponse::new("S-1".parse().unwrap(), 2.into(), t0, SurveyScore::Ces(2)).unwrap();
        r.ticket = Some("T-1".parse().unwrap());
        r.tags.insert(Tag::new("onboarding").unwrap());
        let json = serde_json::to_string(&r).unwrap();
        assert_eq!(serde_json::from_str::<SurveyResponse>(&json).unwrap(), r);
    }
}
