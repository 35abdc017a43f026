//! Pair scoring: the comparison outcome of each field, its weight, the total and the
//! decision.

use crate::customer::Customer;
use crate::ids::CustomerId;

use super::config::{MatchConfig, MatchConfigError};
use super::normalize::{Prepared, Preparer};
use super::outcome::Outcome;

/// What a pair's score says about it.
///
/// ```
/// use crm_core::Decision;
/// assert!(Decision::Same > Decision::Review && Decision::Review > Decision::Different);
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
#[cfg_attr(feature = "serde", derive(serde::Serialize, serde::Deserialize))]
#[cfg_attr(feature = "serde", serde(rename_all = "snake_case"))]
pub enum Decision {
    /// Below the review threshold: different customers.
    Different,
    /// Between the thresholds: for a person to decide.
    Review,
    /// At or above the same threshold: one customer recorded twice.
    Same,
}

/// One piece of evidence about a pair: a field's outcome and what it weighed.
///
/// ```
/// use crm_core::{Evidence, Outcome};
/// let e = Evidence { outcome: Outcome::PhoneSame, similarity: None, weight: 8.7 };
/// assert!(e.weight > 0.0);
/// ```
#[derive(Debug, Clone, Copy, PartialEq)]
#[cfg_attr(feature = "serde", derive(serde::Serialize, serde::Deserialize))]
pub struct Evidence {
    /// The outcome.
    pub outcome: Outcome,
    /// The Jaro-Winkler similarity behind a name or address outcome (1 for the same), or
    /// `None` for fields compared only for equality.
    pub similarity: Option<f64>,
    /// The outcome's weight, `log2(m / u)`.
    pub weight: f64,
}

/// A scored pair of customers with its evidence.
///
/// `a` is the smaller id, so a pair reads the same whichever way it was compared.
///
/// ```
/// use chrono::Utc;
/// use crm_core::{Customer, CustomerId, Decision, MatchConfig, Outcome, PartyKind, Phone, score_pair};
/// let t = Utc::now();
/// let mut a = Customer::new(CustomerId::from(2), PartyKind::Person, "Anna Müller", t)?;
/// let mut b = Customer::new(CustomerId::from(1), PartyKind::Person, "Müller, Anna", t)?;
/// a.phone = Some(Phone::parse("+49 30 1234567", None)?);
/// b.phone = Some(Phone::parse("030 123 45 67", Some("DE"))?);
/// let pair = score_pair(&a, &b, &MatchConfig::default())?;
/// assert_eq!((pair.a, pair.b), (CustomerId::from(1), CustomerId::from(2)));
/// let outcomes: Vec<Outcome> = pair.evidence.iter().map(|e| e.outcome).collect();
/// assert_eq!(outcomes, [Outcome::PhoneSame, Outcome::NameSame]);
/// assert_eq!(pair.decision, Decision::Same);
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
#[derive(Debug, Clone, PartialEq)]
#[cfg_attr(feature = "serde", derive(serde::Serialize, serde::Deserialize))]
pub struct PairMatch {
    /// The customer with the smaller id.
    pub a: CustomerId,
    /// The other customer.
    pub b: CustomerId,
    /// The sum of the evidence weights.
    pub score: f64,
    /// The decision at the configured thresholds.
    pub decision: Decision,
    /// One entry per field present on both sides, in the order of [`Outcome::ALL`].
    pub evidence: Vec<Evidence>,
}

/// Scores two customers against each other (see the module documentation for the
/// formula). Symmetric: `score_pair(a, b)` equals `score_pair(b, a)`.
///
/// Matching many customers computes each customer's comparison keys once; use
/// [`match_customers`](crate::match_customers) for that.
///
/// ```
/// use chrono::Utc;
/// use crm_core::{Customer, CustomerId, Decision, Email, MatchConfig, Outcome, PartyKind, score_pair};
/// let t = Utc::now();
/// let mut a = Customer::new(CustomerId::from(1), PartyKind::Person, "Jonathan Smith", t)?;
/// let mut b = Customer::new(CustomerId::from(2), PartyKind::Person, "Jonathon Smith", t)?;
/// a.email = Some(Email::parse("jon.smith@gmail.com")?);
/// b.email = Some(Email::parse("JonSmith+shop@googlemail.com")?);
/// let pair = score_pair(&a, &b, &MatchConfig::default())?;
/// assert_eq!(pair.evidence[0].outcome, Outcome::EmailSameMailbox);
/// assert_eq!(pair.evidence[1].outcome, Outcome::NameSimilar);
/// assert_eq!(pair.decision, Decision::Same);
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
pub fn score_pair(
    a: &Customer,
    b: &Customer,
    config: &MatchConfig,
) -> Result<PairMatch, MatchConfigError> {
    config.validate()?;
    let scorer = Scorer::new(config);
    let mut preparer = Preparer::new(config);
    preparer.push(a);
    preparer.push(b);
    let prepared = preparer.finish();
    let comparison = scorer.compare(a, &prepared.get(0), b, &prepared.get(1));
    Ok(scorer.pair(a, b, &comparison))
}

/// The outcomes of one comparison, without allocating.
#[derive(Debug, Clone, Copy)]
pub(crate) struct Comparison {
    outcomes: [Option<(Outcome, Option<f64>)>; 6],
    pub score: f64,
}

/// Scores prepared customers with the weights of a validated configuration.
#[derive(Debug)]
pub(crate) struct Scorer<'c> {
    config: &'c MatchConfig,
    weights: [f64; Outcome::COUNT],
}

/// Jaro-Winkler similarity with the arguments in a fixed order, so it is symmetric.
fn jaro_winkler(a: &str, b: &str) -> f64 {
    if a == b {
        1.0
    } else if a < b {
        strsim::jaro_winkler(a, b)
    } else {
        strsim::jaro_winkler(b, a)
    }
}

/// The most words per name compared word by word; longer names are compared whole.
const MAX_WORDS: usize = 8;

/// Words shorter than this (in bytes after folding) are similar only when equal.
const SHORT_WORD: usize = 4;

/// The similarity of two names given as sorted words: each word of one name is paired with
/// at most one word of the other, most similar pairs first (Jaro-Winkler); the similarity
/// is that of the least similar pair, scaled by the share of words that found a partner.
/// So word order does not matter, one different first name beside the same surname makes
/// two names different, and so does a word on one side only.
fn name_similarity(a: &str, b: &str) -> f64 {
    // A fixed orientation keeps ties, and so the result, symmetric.
    let (a, b) = if a <= b { (a, b) } else { (b, a) };
    let mut xs = [""; MAX_WORDS];
    let mut ys = [""; MAX_WORDS];
    let (mut nx, mut ny) = (0, 0);
    for (words, store, n) in [(a, &mut xs, &mut nx), (b, &mut ys, &mut ny)] {
        for w in words.split(' ') {
            if *n == MAX_WORDS {
                return jaro_winkler(a, b);
            }
            store[*n] = w;
            *n += 1;
        }
    }
    let mut sim = [[0.0f64; MAX_WORDS]; MAX_WORDS];
    for i in 0..nx {
        for j in 0..ny {
            let (x, y) = (xs[i], ys[j]);
            // A typo in a word of one to three letters cannot be told from another word
            // (`xia`, `xiang`; `ava`, `eva`): short words count only when equal.
            sim[i][j] = if x != y && x.len().min(y.len()) < SHORT_WORD {
                0.0
            } else {
                jaro_winkler(x, y)
            };
        }
    }
    let (mut used_x, mut used_y) = ([false; MAX_WORDS], [false; MAX_WORDS]);
    let mut worst = 1.0f64;
    for _ in 0..nx.min(ny) {
        let mut best = (-1.0f64, 0, 0);
        for i in (0..nx).filter(|&i| !used_x[i]) {
            for j in (0..ny).filter(|&j| !used_y[j]) {
                if sim[i][j] > best.0 {
                    best = (sim[i][j], i, j);
                }
            }
        }
        used_x[best.1] = true;
        used_y[best.2] = true;
        worst = worst.min(best.0);
    }
    worst * nx.min(ny) as f64 / nx.max(ny) as f64
}

impl<'c> Scorer<'c> {
    pub fn new(config: &'c MatchConfig) -> Self {
        let mut weights = [0.0; Outcome::COUNT];
        for (outcome, likelihood) in config.likelihoods.entries() {
            weights[outcome as usize] = likelihood.weight();
        }
        Scorer { config, weights }
    }

    pub fn decision(&self, score: f64) -> Decision {
        if score >= self.config.thresholds.same {
            Decision::Same
        } else if score >= self.config.thresholds.review {
            Decision::Review
        } else {
            Decision::Different
        }
    }

    pub fn compare(
        &self,
        a: &Customer,
        pa: &Prepared<'_>,
        b: &Customer,
        pb: &Prepared,
    ) -> Comparison {
        let outcomes = [
            self.email(a, pa, b, pb),
            match (&a.phone, &b.phone) {
                (Some(x), Some(y)) if x == y => Some((Outcome::PhoneSame, None)),
                (Some(_), Some(_)) => Some((Outcome::PhoneDifferent, None)),
                _ => None,
            },
            self.name(pa, pb),
            self.address(pa, pb),
            match (a.birthday, b.birthday) {
                (Some(x), Some(y)) if x == y => Some((Outcome::BirthdaySame, None)),
                (Some(_), Some(_)) => Some((Outcome::BirthdayDifferent, None)),
                _ => None,
            },
            match (&a.account, &b.account) {
                (Some(x), Some(y)) if x == y => Some((Outcome::AccountSame, None)),
                (Some(_), Some(_)) => Some((Outcome::AccountDifferent, None)),
                _ => None,
            },
        ];
        let score = outcomes
            .iter()
            .flatten()
            .map(|(o, _)| self.weights[*o as usize])
            .sum();
        Comparison { outcomes, score }
    }

    /// The pair as reported: ids in order, evidence listed.
    pub fn pair(&self, a: &Customer, b: &Customer, comparison: &Comparison) -> PairMatch {
        let (a, b) = if a.id <= b.id { (a, b) } else { (b, a) };
        PairMatch {
            a: a.id.clone(),
            b: b.id.clone(),
            score: comparison.score,
            decision: self.decision(comparison.score),
            evidence: comparison
                .outcomes
                .iter()
                .flatten()
                .map(|&(outcome, similarity)| Evidence {
                    outcome,
                    similarity,
                    weight: self.weights[outcome as usize],
                })
                .collect(),
        }
    }

    fn email(
        &self,
        a: &Customer,
        pa: &Prepared<'_>,
        b: &Customer,
        pb: &Prepared<'_>,
    ) -> Option<(Outcome, Option<f64>)> {
        let (x, y) = (a.email.as_ref()?, b.email.as_ref()?);
        let outcome = if x == y {
            Outcome::EmailSame
        } else if pa.mailbox == pb.mailbox {
            Outcome::EmailSameMailbox
        } else if pa.mailbox_local() == pb.mailbox_local() {
            Outcome::EmailSameLocalPart
        } else {
            Outcome::EmailDifferent
        };
        Some((outcome, None))
    }

    fn name(&self, pa: &Prepared<'_>, pb: &Prepared) -> Option<(Outcome, Option<f64>)> {
        if pa.name_ordered.is_empty() || pb.name_ordered.is_empty() {
            return None;
        }
        if pa.name_sorted == pb.name_sorted
            || pa.name_compact().eq(pb.name_compact())
            || pa.name_sorted_compact().eq(pb.name_sorted_compact())
            || pa.name_reversed_compact().eq(pb.name_compact())
            || pa.name_compact().eq(pb.name_reversed_compact())
        {
            return Some((Outcome::NameSame, Some(1.0)));
        }
        let similarity = name_similarity(pa.name_sorted, pb.name_sorted);
        let outcome = if similarity >= self.config.name_similarity {
            Outcome::NameSimilar
        } else {
            Outcome::NameDifferent
        };
        Some((outcome, Some(similarity)))
    }

    fn address(&self, pa: &Prepared<'_>, pb: &Prepared) -> Option<(Outcome, Option<f64>)> {
        let (x, y) = (pa.address.as_ref()?, pb.address.as_ref()?);
        let place = x.country == y.country
            && match (&x.postcode, &y.postcode) {
                (Some(p), Some(q)) => p == q,
                _ => x.city == y.city,
            };
        if place && x.street == y.street {
            return Some((Outcome::AddressSame, Some(1.0)));
        }
        let similarity = jaro_winkler(x.street, y.street);
        let outcome =
            if place && x.numbers == y.numbers && similarity >= self.config.address_similarity {
                Outcome::AddressSimilar
            } else {
                Outcome::AddressDifferent
            };
        Some((outcome, Some(similarity)))
    }
}
