//! The definition of a loyalty programme: earning, bonuses, expiry, tiers.

use std::collections::{BTreeMap, HashSet};

use chrono::NaiveDate;
use crm_core::Currency;
use rust_decimal::Decimal;
use serde::{Deserialize, Serialize};

use super::LoyaltyError;

/// A membership tier: its name, the qualifying amount over the rolling window (points or
/// spend, see [`Qualification`]) and its earning multiplier.
///
/// ```
/// use crm_engagement::TierRule;
/// use rust_decimal::Decimal;
/// let gold = TierRule::new("gold", Decimal::from(1000), Decimal::new(15, 1));
/// assert_eq!(gold.multiplier.to_string(), "1.5");
/// ```
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct TierRule {
    /// The tier's name, unique in the programme.
    pub name: String,
    /// The least qualifying amount in the window (0 for the first, base tier; rising).
    pub threshold: Decimal,
    /// Points are multiplied by this while the member holds the tier (positive).
    pub multiplier: Decimal,
}

impl TierRule {
    /// A tier.
    ///
    /// ```
    /// use crm_engagement::TierRule;
    /// use rust_decimal::Decimal;
    /// assert_eq!(TierRule::new("base", Decimal::ZERO, Decimal::ONE).name, "base");
    /// ```
    pub fn new(name: &str, threshold: Decimal, multiplier: Decimal) -> Self {
        TierRule {
            name: name.to_string(),
            threshold,
            multiplier,
        }
    }
}

/// What qualifies a member for a tier.
///
/// ```
/// use crm_engagement::QualifyingMeasure;
/// assert_eq!(serde_json::to_string(&QualifyingMeasure::Spend).unwrap(), "\"spend\"");
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum QualifyingMeasure {
    /// Points earned (earn events) in the window.
    Points,
    /// Net spend (purchases less refunds) in the window, in the programme's currency.
    Spend,
}

/// How tiers are qualified and reviewed: upgrades happen as soon as the rolling window
/// reaches a higher threshold; downgrades only at the yearly review (month and day), after a
/// grace period in which a member who requalifies keeps the tier.
///
/// ```
/// use crm_engagement::{Qualification, QualifyingMeasure};
/// let q = Qualification { measure: QualifyingMeasure::Points, window_months: 12, review_month: 1, review_day: 1, grace_months: 3 };
/// assert_eq!(q.window_months, 12);
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Qualification {
    /// Points or spend.
    pub measure: QualifyingMeasure,
    /// The rolling window, in months (at least 1).
    pub window_months: u32,
    /// The month of the yearly downgrade review (1 to 12).
    pub review_month: u32,
    /// The day of the yearly downgrade review (1 to 28, so it exists every year).
    pub review_day: u32,
    /// Months after a review before a downgrade takes effect.
    pub grace_months: u32,
}

/// Bonus points for occasions (none when absent).
///
/// ```
/// use crm_engagement::Bonuses;
/// let b = Bonuses { birthday: Some(100), ..Bonuses::default() };
/// assert_eq!(b.referral, None);
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct Bonuses {
    /// Points on the member's birthday, once a year.
    pub birthday: Option<i64>,
    /// Points to a member who referred a new customer.
    pub referral: Option<i64>,
    /// Points with the member's first purchase.
    pub first_purchase: Option<i64>,
}

/// A loyalty programme.
///
/// Points for a purchase are `amount × points_per_unit × tier multiplier × category
/// multiplier`, rounded down; a refund takes back the points of its amount the same way.
/// Earned points expire `expiry_months` after they were earned, oldest first. One point is
/// worth `point_value` in `currency` (the liability). Deserializing checks the programme
/// like [`LoyaltyProgramme::validate`].
///
/// ```
/// use crm_engagement::LoyaltyProgramme;
/// let p = LoyaltyProgramme::from_toml(r#"
///     currency = "EUR"
///     points_per_unit = "1"
///     point_value = "0.01"
///     expiry_months = 24
///     category_multipliers = { books = "2" }
///     bonuses = { birthday = 100, first_purchase = 50 }
///     qualification = { measure = "points", window_months = 12, review_month = 1, review_day = 1, grace_months = 3 }
///     tiers = [
///         { name = "member", threshold = "0", multiplier = "1" },
///         { name = "gold", threshold = "1000", multiplier = "1.5" },
///     ]
/// "#)?;
/// assert_eq!(p.tiers[1].name, "gold");
/// assert_eq!(p.tier_index("gold"), Some(1));
/// # Ok::<(), crm_engagement::LoyaltyError>(())
/// ```
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(remote = "Self", deny_unknown_fields)]
pub struct LoyaltyProgramme {
    /// The currency spend is counted in.
    pub currency: Currency,
    /// Points per currency unit spent (positive).
    pub points_per_unit: Decimal,
    /// Extra multipliers by product category (positive; 1 for categories not listed).
    #[serde(default)]
    pub category_multipliers: BTreeMap<String, Decimal>,
    /// Bonus points.
    #[serde(default)]
    pub bonuses: Bonuses,
    /// Months after which earned points expire (`None`: never).
    #[serde(default)]
    pub expiry_months: Option<u32>,
    /// What one point is worth in `currency` (not negative).
    pub point_value: Decimal,
    /// The tiers, lowest first; the first has threshold 0.
    pub tiers: Vec<TierRule>,
    /// How tiers are qualified and reviewed.
    pub qualification: Qualification,
}

impl Serialize for LoyaltyProgramme {
    fn serialize<S: serde::Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        LoyaltyProgramme::serialize(self, serializer)
    }
}

impl<'de> Deserialize<'de> for LoyaltyProgramme {
    /// Reads the programme and checks it with `validate()`.
    fn deserialize<D: serde::Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        let p = LoyaltyProgramme::deserialize(deserializer)?;
        p.validate().map_err(serde::de::Error::custom)?;
        Ok(p)
    }
}

struct Unchecked(LoyaltyProgramme);

impl<'de> Deserialize<'de> for Unchecked {
    fn deserialize<D: serde::Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        LoyaltyProgramme::deserialize(deserializer).map(Unchecked)
    }
}

impl LoyaltyProgramme {
    /// A programme with one base tier (multiplier 1), no bonuses and no expiry; points
    /// qualify over 12 months, reviewed on 1 January without grace.
    ///
    /// ```
    /// use crm_core::Currency;
    /// use crm_engagement::LoyaltyProgramme;
    /// use rust_decimal::Decimal;
    /// let p = LoyaltyProgramme::simple(Currency::EUR, Decimal::ONE, Decimal::new(1, 2));
    /// p.validate()?;
    /// assert_eq!(p.tiers.len(), 1);
    /// # Ok::<(), crm_engagement::LoyaltyError>(())
    /// ```
    pub fn simple(currency: Currency, points_per_unit: Decimal, point_value: Decimal) -> Self {
        LoyaltyProgramme {
            currency,
            points_per_unit,
            category_multipliers: BTreeMap::new(),
            bonuses: Bonuses::default(),
            expiry_months: None,
            point_value,
            tiers: vec![TierRule::new("member", Decimal::ZERO, Decimal::ONE)],
            qualification: Qualification {
                measure: QualifyingMeasure::Points,
                window_months: 12,
                review_month: 1,
                review_day: 1,
                grace_months: 0,
            },
        }
    }

    /// Reads and checks a programme written in TOML.
    ///
    /// ```
    /// use crm_engagement::{LoyaltyError, LoyaltyProgramme};
    /// assert!(matches!(LoyaltyProgramme::from_toml("currency = 1"), Err(LoyaltyError::Parse { format: "TOML", .. })));
    /// ```
    pub fn from_toml(text: &str) -> Result<Self, LoyaltyError> {
        let Unchecked(p) = toml::from_str(text).map_err(|e| LoyaltyError::Parse {
            format: "TOML",
            message: e.to_string(),
        })?;
        p.validate()?;
        Ok(p)
    }

    /// Reads and checks a programme written in JSON.
    ///
    /// ```
    /// use crm_core::Currency;
    /// use crm_engagement::LoyaltyProgramme;
    /// use rust_decimal::Decimal;
    /// let p = LoyaltyProgramme::simple(Currency::EUR, Decimal::ONE, Decimal::ONE);
    /// let json = serde_json::to_string(&p).unwrap();
    /// assert_eq!(LoyaltyProgramme::from_json(&json)?, p);
    /// # Ok::<(), crm_engagement::LoyaltyError>(())
    /// ```
    pub fn from_json(text: &str) -> Result<Self, LoyaltyError> {
        let Unchecked(p) = serde_json::from_str(text).map_err(|e| LoyaltyError::Parse {
            format: "JSON",
            message: e.to_string(),
        })?;
        p.validate()?;
        Ok(p)
    }

    /// Checks the programme; the error names the field at fault.
    ///
    /// ```
    /// use crm_core::Currency;
    /// use crm_engagement::LoyaltyProgramme;
    /// use rust_decimal::Decimal;
    /// let mut p = LoyaltyProgramme::simple(Currency::EUR, Decimal::ONE, Decimal::ONE);
    /// p.qualification.review_day = 30;
    /// assert_eq!(
    ///     p.validate().unwrap_err().to_string(),
    ///     "loyalty programme, qualification.review_day: must be 1 to 28 (a day every month has)"
    /// );
    /// ```
    pub fn validate(&self) -> Result<(), LoyaltyError> {
        let bad = |field: &'static str, reason: &str| {
            Err(LoyaltyError::Programme {
                field,
                reason: reason.to_string(),
            })
        };
        if self.points_per_unit <= Decimal::ZERO {
            return bad("points_per_unit", "must be positive");
        }
        if self.point_value.is_sign_negative() && !self.point_value.is_zero() {
            return bad("point_value", "must not be negative");
        }
        for (name, m) in &self.category_multipliers {
            if name.trim().is_empty() {
                return bad("category_multipliers", "has an empty category name");
            }
            if *m <= Decimal::ZERO {
                return Err(LoyaltyError::Programme {
                    field: "category_multipliers",
                    reason: format!("the multiplier of {name:?} must be positive"),
                });
            }
        }
        for (field, bonus) in [
            ("bonuses.birthday", self.bonuses.birthday),
            ("bonuses.referral", self.bonuses.referral),
            ("bonuses.first_purchase", self.bonuses.first_purchase),
        ] {
            if bonus.is_some_and(|b| b <= 0) {
                return bad(field, "must be positive");
            }
        }
        if self.expiry_months == Some(0) {
            return bad("expiry_months", "must be at least 1 (leave it out: never)");
        }
        if self.tiers.is_empty() {
            return bad("tiers", "must list at least the base tier");
        }
        if !self.tiers[0].threshold.is_zero() {
            return bad("tiers", "the first (base) tier must have threshold 0");
        }
        let mut names = HashSet::new();
        for (i, t) in self.tiers.iter().enumerate() {
            if t.name.trim().is_empty() || t.name.trim() != t.name {
                return bad("tiers.name", "must be non-empty without surrounding spaces");
            }
            if !names.insert(t.name.as_str()) {
                return Err(LoyaltyError::Programme {
                    field: "tiers.name",
                    reason: format!("{:?} is used twice", t.name),
                });
            }
            if t.multiplier <= Decimal::ZERO {
                return Err(LoyaltyError::Programme {
                    field: "tiers.multiplier",
                    reason: format!("the multiplier of {:?} must be positive", t.name),
                });
            }
            if i > 0 && t.threshold <= self.tiers[i - 1].threshold {
                return Err(LoyaltyError::Programme {
                    field: "tiers.threshold",
                    reason: format!(
                        "{:?} must need more than {:?} (thresholds rise)",
                        t.name,
                        self.tiers[i - 1].name
                    ),
                });
            }
        }
        let q = &self.qualification;
        if q.window_months == 0 {
            return bad("qualification.window_months", "must be at least 1");
        }
        if !(1..=12).contains(&q.review_month) {
            return bad("qualification.review_month", "must be 1 to 12");
        }
        if !(1..=28).contains(&q.review_day) {
            return bad(
                "qualification.review_day",
                "must be 1 to 28 (a day every month has)",
            );
        }
        Ok(())
    }

    /// The position of a tier by name.
    ///
    /// ```
    /// use crm_core::Currency;
    /// use crm_engagement::LoyaltyProgramme;
    /// use rust_decimal::Decimal;
    /// let p = LoyaltyProgramme::simple(Currency::EUR, Decimal::ONE, Decimal::ONE);
    /// assert_eq!(p.tier_index("member"), Some(0));
    /// assert_eq!(p.tier_index("gold"), None);
    /// ```
    pub fn tier_index(&self, name: &str) -> Option<usize> {
        self.tiers.iter().position(|t| t.name == name)
    }

    /// The highest tier whose threshold `amount` reaches.
    pub(crate) fn qualified_tier(&self, amount: Decimal) -> usize {
        self.tiers
            .iter()
            .rposition(|t| amount >= t.threshold)
            .unwrap_or(0)
    }

    /// The review date of a year.
    pub(crate) fn review_date(&self, year: i32) -> Option<NaiveDate> {
        NaiveDate::from_ymd_opt(
            year,
            self.qualification.review_month,
            self.qualification.review_day,
        )
    }
}
