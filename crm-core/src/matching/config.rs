//! The matcher's configuration: m/u probabilities per outcome, decision thresholds,
//! similarity cut-offs, blocking limits, e-mail and street rules, and the survivor rule.

use std::collections::BTreeMap;

use crate::ids::CustomerId;

use super::outcome::Outcome;

/// The two probabilities of one comparison outcome in the Fellegi-Sunter model.
///
/// `m` is the probability of the outcome when the two records belong to the same customer,
/// `u` the probability when they do not. The outcome's weight is `log2(m / u)`: positive
/// when the outcome is more likely among true matches, negative otherwise.
///
/// ```
/// use crm_core::Likelihood;
/// let phone_same = Likelihood { m: 0.9, u: 0.0009 };
/// assert!((phone_same.weight() - 1000f64.log2()).abs() < 1e-12);
/// assert!(Likelihood { m: 0.1, u: 0.9 }.weight() < 0.0);
/// ```
#[derive(Debug, Clone, Copy, PartialEq)]
#[cfg_attr(feature = "serde", derive(serde::Serialize, serde::Deserialize))]
pub struct Likelihood {
    /// P(outcome | same customer), in `(0, 1]`.
    pub m: f64,
    /// P(outcome | different customers), in `(0, 1]`.
    pub u: f64,
}

impl Likelihood {
    /// The log-likelihood weight `log2(m / u)`.
    ///
    /// ```
    /// use crm_core::Likelihood;
    /// assert_eq!(Likelihood { m: 0.5, u: 0.5 }.weight(), 0.0);
    /// ```
    pub fn weight(&self) -> f64 {
        (self.m / self.u).log2()
    }
}

const fn lk(m: f64, u: f64) -> Likelihood {
    Likelihood { m, u }
}

macro_rules! likelihoods {
    ($( $(#[$doc:meta])* $field:ident => $outcome:ident = ($m:expr, $u:expr) ),* $(,)?) => {
        /// The m/u probabilities of every comparison outcome (see [`Outcome`] for what each
        /// outcome means and the module documentation for the score formula).
        ///
        /// With serde every field may be left out and takes its default.
        ///
        /// ```
        /// use crm_core::{Likelihoods, Outcome};
        /// let mut l = Likelihoods::default();
        /// assert!(l.get(Outcome::EmailSame).weight() > 10.0);
        /// assert!(l.get(Outcome::NameDifferent).weight() < 0.0);
        /// l.phone_same.u = 0.01; // shared family and office phones are common here
        /// assert!(l.get(Outcome::PhoneSame).weight() < Likelihoods::default().get(Outcome::PhoneSame).weight());
        /// ```
        #[derive(Debug, Clone, Copy, PartialEq)]
        #[cfg_attr(feature = "serde", derive(serde::Serialize, serde::Deserialize))]
        #[cfg_attr(feature = "serde", serde(default))]
        pub struct Likelihoods {
            $( $(#[$doc])* pub $field: Likelihood, )*
        }

        impl Default for Likelihoods {
            fn default() -> Self {
                Likelihoods { $( $field: lk($m, $u), )* }
            }
        }

        impl Likelihoods {
            /// The probabilities of one outcome.
            ///
            /// ```
            /// use crm_core::{Likelihoods, Outcome};
            /// let l = Likelihoods::default();
            /// assert_eq!(l.get(Outcome::PhoneSame), l.phone_same);
            /// ```
            pub fn get(&self, outcome: Outcome) -> Likelihood {
                match outcome { $( Outcome::$outcome => self.$field, )* }
            }

            pub(crate) fn entries(&self) -> [(Outcome, Likelihood); Outcome::COUNT] {
                [ $( (Outcome::$outcome, self.$field), )* ]
            }
        }
    };
}

likelihoods! {
    /// [`Outcome::EmailSame`].
    email_same => EmailSame = (0.60, 0.000_05),
    /// [`Outcome::EmailSameMailbox`].
    email_same_mailbox => EmailSameMailbox = (0.10, 0.000_01),
    /// [`Outcome::EmailSameLocalPart`].
    email_same_local_part => EmailSameLocalPart = (0.03, 0.007),
    /// [`Outcome::EmailDifferent`].
    email_different => EmailDifferent = (0.1, 0.999),
    /// [`Outcome::PhoneSame`].
    phone_same => PhoneSame = (0.85, 0.002),
    /// [`Outcome::PhoneDifferent`].
    phone_different => PhoneDifferent = (0.15, 0.998),
    /// [`Outcome::NameSame`].
    name_same => NameSame = (0.70, 0.001),
    /// [`Outcome::NameSimilar`].
    name_similar => NameSimilar = (0.27, 0.004),
    /// [`Outcome::NameDifferent`].
    name_different => NameDifferent = (0.005, 0.995),
    /// [`Outcome::AddressSame`].
    address_same => AddressSame = (0.80, 0.002),
    /// [`Outcome::AddressSimilar`].
    address_similar => AddressSimilar = (0.10, 0.001),
    /// [`Outcome::AddressDifferent`].
    address_different => AddressDifferent = (0.10, 0.997),
    /// [`Outcome::BirthdaySame`].
    birthday_same => BirthdaySame = (0.97, 0.001),
    /// [`Outcome::BirthdayDifferent`].
    birthday_different => BirthdayDifferent = (0.03, 0.999_9),
    /// [`Outcome::AccountSame`].
    account_same => AccountSame = (0.90, 0.01),
    /// [`Outcome::AccountDifferent`].
    account_different => AccountDifferent = (0.10, 0.99),
}

/// The score thresholds that turn a pair's total weight into a [`Decision`](crate::Decision).
///
/// A pair scoring at least `same` is the same customer; at least `review` (but below
/// `same`), a pair for a person to look at; below `review`, different customers.
///
/// ```
/// use crm_core::Thresholds;
/// let t = Thresholds::default();
/// assert!(t.review < t.same);
/// ```
#[derive(Debug, Clone, Copy, PartialEq)]
#[cfg_attr(feature = "serde", derive(serde::Serialize, serde::Deserialize))]
pub struct Thresholds {
    /// The lowest score decided as the same customer.
    pub same: f64,
    /// The lowest score sent to review.
    pub review: f64,
}

impl Default for Thresholds {
    fn default() -> Self {
        Thresholds {
            same: 14.0,
            review: 4.0,
        }
    }
}

/// How e-mail addresses are reduced to the mailbox that receives the mail.
///
/// Addresses are already lowercased and their domains in punycode ([`Email`](crate::Email)).
/// The mailbox of an address is its local part cut at the first `subaddress_separator`
/// (`ada+news@x.org` is `ada@x.org`), its domain replaced by its alias if it has one
/// (`googlemail.com` is `gmail.com`), and, for the domains in `dot_insensitive_domains`,
/// its local part without dots (`a.da@gmail.com` is `ada@gmail.com`).
///
/// ```
/// use crm_core::EmailRules;
/// let rules = EmailRules::default();
/// assert_eq!(rules.subaddress_separator, Some('+'));
/// assert!(rules.dot_insensitive_domains.contains(&"gmail.com".to_string()));
/// assert_eq!(rules.domain_aliases["googlemail.com"], "gmail.com");
/// ```
#[derive(Debug, Clone, PartialEq, Eq)]
#[cfg_attr(feature = "serde", derive(serde::Serialize, serde::Deserialize))]
#[cfg_attr(feature = "serde", serde(default))]
pub struct EmailRules {
    /// The character that starts a tag in the local part (`None`: no tags).
    pub subaddress_separator: Option<char>,
    /// Domains (after aliasing) whose mail servers ignore dots in the local part.
    pub dot_insensitive_domains: Vec<String>,
    /// Domains that deliver to the same mailboxes as another domain: alias → domain.
    pub domain_aliases: BTreeMap<String, String>,
}

impl Default for EmailRules {
    fn default() -> Self {
        EmailRules {
            subaddress_separator: Some('+'),
            dot_insensitive_domains: vec!["gmail.com".into()],
            domain_aliases: BTreeMap::from([("googlemail.com".into(), "gmail.com".into())]),
        }
    }
}

/// Which member of a group of duplicates survives (the record the others merge into).
///
/// Every rule breaks its ties by the earliest `created_at`, then by the smallest id, so the
/// choice never depends on input order.
///
/// ```
/// use crm_core::SurvivorRule;
/// assert_eq!(SurvivorRule::default(), SurvivorRule::Oldest);
/// ```
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Hash)]
#[cfg_attr(feature = "serde", derive(serde::Serialize, serde::Deserialize))]
#[cfg_attr(feature = "serde", serde(rename_all = "snake_case"))]
pub enum SurvivorRule {
    /// The earliest `created_at`.
    #[default]
    Oldest,
    /// The most filled optional fields (contact points, address, birthday, account, owner,
    /// source, lifecycle stage, and any tags, attributes or consents).
    MostComplete,
    /// The latest activity time given in [`SurvivorHints::last_activity`]; members without
    /// one rank below every member with one.
    MostRecentActivity,
    /// A member named in [`SurvivorHints::preferred`]; without one, the oldest member.
    Preferred,
}

/// What the caller knows about the customers beyond their records, for the survivor rules.
///
/// ```
/// use chrono::{TimeZone, Utc};
/// use crm_core::{CustomerId, SurvivorHints};
/// let mut hints = SurvivorHints::default();
/// hints.last_activity.insert(CustomerId::from(7), Utc.with_ymd_and_hms(2025, 3, 1, 0, 0, 0).unwrap());
/// hints.preferred.insert(CustomerId::from(3));
/// assert_eq!(hints.last_activity.len(), 1);
/// ```
#[derive(Debug, Clone, Default, PartialEq, Eq)]
#[cfg_attr(feature = "serde", derive(serde::Serialize, serde::Deserialize))]
#[cfg_attr(feature = "serde", serde(default))]
pub struct SurvivorHints {
    /// The latest activity (purchase, interaction, ticket) per customer.
    pub last_activity: BTreeMap<CustomerId, chrono::DateTime<chrono::Utc>>,
    /// Customers that should survive when they are in a group (a golden record).
    pub preferred: std::collections::BTreeSet<CustomerId>,
}

/// Everything the matcher can be told; [`MatchConfig::default`] is a tested starting point.
///
/// ```
/// use crm_core::MatchConfig;
/// let mut config = MatchConfig::default();
/// config.max_block_size = 20;
/// assert!(config.validate().is_ok());
/// config.thresholds.review = config.thresholds.same + 1.0;
/// assert!(config.validate().is_err());
/// ```
#[derive(Debug, Clone, PartialEq)]
#[cfg_attr(feature = "serde", derive(serde::Serialize, serde::Deserialize))]
#[cfg_attr(feature = "serde", serde(default))]
pub struct MatchConfig {
    /// The m/u probabilities of every outcome.
    pub likelihoods: Likelihoods,
    /// The decision thresholds.
    pub thresholds: Thresholds,
    /// The lowest Jaro-Winkler similarity of two names counted as
    /// [`Outcome::NameSimilar`], in `[0, 1]`.
    pub name_similarity: f64,
    /// The lowest Jaro-Winkler similarity of two street lines counted as
    /// [`Outcome::AddressSimilar`], in `[0, 1]`.
    pub address_similarity: f64,
    /// The largest block of customers sharing one blocking key that is compared pairwise
    /// (at least 2). Larger blocks (a shared office phone, a common name in a big postcode)
    /// yield no candidate pairs; their customers are still compared through their other
    /// keys, and [`MatchStats`](crate::MatchStats) counts the skipped blocks.
    pub max_block_size: usize,
    /// How e-mail addresses are reduced to mailboxes.
    pub email: EmailRules,
    /// Street words replaced before street lines are compared: a word equal to or ending in
    /// a key has that part replaced by the value (`hauptstrasse` → `hauptstr`).
    /// Keys and values are lowercase ASCII, as street lines are after transliteration.
    pub street_abbreviations: BTreeMap<String, String>,
    /// Which member of a group survives.
    pub survivor: SurvivorRule,
}

impl Default for MatchConfig {
    fn default() -> Self {
        let street_abbreviations = [
            ("strasse", "str"),
            ("street", "st"),
            ("avenue", "ave"),
            ("road", "rd"),
            ("boulevard", "blvd"),
            ("drive", "dr"),
            ("lane", "ln"),
            ("place", "pl"),
            ("platz", "pl"),
        ]
        .into_iter()
        .map(|(k, v)| (k.to_string(), v.to_string()))
        .collect();
        MatchConfig {
            likelihoods: Likelihoods::default(),
            thresholds: Thresholds::default(),
            name_similarity: 0.85,
            address_similarity: 0.9,
            max_block_size: 50,
            email: EmailRules::default(),
            street_abbreviations,
            survivor: SurvivorRule::Oldest,
        }
    }
}

/// Why a [`MatchConfig`] cannot be used.
///
/// ```
/// use crm_core::{MatchConfig, MatchConfigError};
/// let mut config = MatchConfig::default();
/// config.likelihoods.phone_same.u = 0.0;
/// assert_eq!(
///     config.validate().unwrap_err().to_string(),
///     "matching config: likelihoods.phone_same.u is 0, but probabilities must be in (0, 1]"
/// );
/// ```
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
#[non_exhaustive]
pub enum MatchConfigError {
    /// An m or u probability is not a number in `(0, 1]`.
    #[error(
        "matching config: likelihoods.{outcome}.{which} is {value}, but probabilities must be in (0, 1]"
    )]
    Probability {
        /// The outcome's name (`phone_same`).
        outcome: &'static str,
        /// `"m"` or `"u"`.
        which: &'static str,
        /// The value given.
        value: f64,
    },
    /// A threshold is not a finite number.
    #[error("matching config: thresholds.{which} is {value}, but thresholds must be finite")]
    ThresholdNotFinite {
        /// `"same"` or `"review"`.
        which: &'static str,
        /// The value given.
        value: f64,
    },
    /// The review threshold is above the same threshold.
    #[error(
        "matching config: thresholds.review ({review}) is above thresholds.same ({same}); \
         the review band lies below the same threshold"
    )]
    ThresholdsOutOfOrder {
        /// The review threshold.
        review: f64,
        /// The same threshold.
        same: f64,
    },
    /// A similarity cut-off is outside `[0, 1]`.
    #[error("matching config: {field} is {value}, but a similarity must be in [0, 1]")]
    Similarity {
        /// `"name_similarity"` or `"address_similarity"`.
        field: &'static str,
        /// The value given.
        value: f64,
    },
    /// The block size limit is below 2, so no pair could ever be compared.
    #[error("matching config: max_block_size is {value}, but it must be at least 2")]
    BlockSize {
        /// The value given.
        value: usize,
    },
}

impl MatchConfig {
    /// Checks the configuration: probabilities in `(0, 1]`, finite thresholds in order,
    /// similarities in `[0, 1]`, blocks of at least two.
    ///
    /// ```
    /// use crm_core::{MatchConfig, MatchConfigError};
    /// let mut config = MatchConfig::default();
    /// config.thresholds.same = f64::NAN;
    /// assert!(matches!(config.validate(), Err(MatchConfigError::ThresholdNotFinite { which: "same", .. })));
    /// ```
    pub fn validate(&self) -> Result<(), MatchConfigError> {
        for (outcome, l) in self.likelihoods.entries() {
            for (which, value) in [("m", l.m), ("u", l.u)] {
                if !(value > 0.0 && value <= 1.0) {
                    return Err(MatchConfigError::Probability {
                        outcome: outcome.name(),
                        which,
                        value,
                    });
                }
            }
        }
        let Thresholds { same, review } = self.thresholds;
        for (which, value) in [("same", same), ("review", review)] {
            if !value.is_finite() {
                return Err(MatchConfigError::ThresholdNotFinite { which, value });
            }
        }
        if review > same {
            return Err(MatchConfigError::ThresholdsOutOfOrder { review, same });
        }
        for (field, value) in [
            ("name_similarity", self.name_similarity),
            ("address_similarity", self.address_similarity),
        ] {
            if !(0.0..=1.0).contains(&value) {
                return Err(MatchConfigError::Similarity { field, value });
            }
        }
        if self.max_block_size < 2 {
            return Err(MatchConfigError::BlockSize {
                value: self.max_block_size,
            });
        }
        Ok(())
    }
}
