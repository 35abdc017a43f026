//! Folding duplicate customers into one survivor, field by field ([`fold_customers`]).

use std::cmp::Ordering;
use std::collections::{BTreeMap, BTreeSet};

use chrono::{DateTime, Utc};

use crate::customer::{Consent, Customer};
use crate::ids::CustomerId;
use crate::vocabulary::ConsentStatus;

/// How one field of the survivor is chosen when duplicates are folded into it.
///
/// "Newest" is the record with the latest `updated_at`; among records changed at the same
/// time the survivor comes first, then the smallest id, so the result never depends on the
/// order of the duplicates.
///
/// ```
/// use crm_core::FieldRule;
/// assert_eq!(FieldRule::default(), FieldRule::FillEmpty);
/// ```
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Hash)]
#[cfg_attr(feature = "serde", derive(serde::Serialize, serde::Deserialize))]
#[cfg_attr(feature = "serde", serde(rename_all = "snake_case"))]
pub enum FieldRule {
    /// The survivor's value, even when it is empty.
    KeepSurvivor,
    /// The survivor's value; when it is empty, the newest duplicate's that has one.
    #[default]
    FillEmpty,
    /// The value of the newest record (survivor or duplicate) that has one: merging never
    /// empties a field.
    NewestWins,
}

/// The [`FieldRule`] of every optional customer field (tags and consents are always
/// united, see [`fold_customers`]).
///
/// The default keeps the survivor's name and fills every other empty field.
///
/// ```
/// use crm_core::{FieldRule, FieldRules};
/// let rules = FieldRules { lifecycle_stage: FieldRule::NewestWins, ..FieldRules::default() };
/// assert_eq!(rules.name, FieldRule::KeepSurvivor);
/// assert_eq!(rules.email, FieldRule::FillEmpty);
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[cfg_attr(feature = "serde", derive(serde::Serialize, serde::Deserialize))]
#[cfg_attr(feature = "serde", serde(default))]
pub struct FieldRules {
    /// The name (always set, so `FillEmpty` keeps the survivor's).
    pub name: FieldRule,
    /// The e-mail address.
    pub email: FieldRule,
    /// The phone number.
    pub phone: FieldRule,
    /// The postal address.
    pub address: FieldRule,
    /// The organization account.
    pub account: FieldRule,
    /// The parent account.
    pub parent_account: FieldRule,
    /// The responsible user.
    pub owner: FieldRule,
    /// The acquisition channel.
    pub source: FieldRule,
    /// The lifecycle stage.
    pub lifecycle_stage: FieldRule,
    /// The date of birth or founding.
    pub birthday: FieldRule,
    /// The time zone.
    pub time_zone: FieldRule,
    /// Custom attributes, name by name.
    pub attributes: FieldRule,
}

impl Default for FieldRules {
    fn default() -> Self {
        FieldRules {
            name: FieldRule::KeepSurvivor,
            email: FieldRule::FillEmpty,
            phone: FieldRule::FillEmpty,
            address: FieldRule::FillEmpty,
            account: FieldRule::FillEmpty,
            parent_account: FieldRule::FillEmpty,
            owner: FieldRule::FillEmpty,
            source: FieldRule::FillEmpty,
            lifecycle_stage: FieldRule::FillEmpty,
            birthday: FieldRule::FillEmpty,
            time_zone: FieldRule::FillEmpty,
            attributes: FieldRule::FillEmpty,
        }
    }
}

/// Why customers could not be folded into one.
///
/// ```
/// use chrono::Utc;
/// use crm_core::{Customer, FieldRules, FoldError, PartyKind, fold_customers};
/// let ann = Customer::new(1.into(), PartyKind::Person, "Ann", Utc::now())?;
/// let err = fold_customers(&ann, &[ann.clone()], &FieldRules::default(), Utc::now()).unwrap_err();
/// assert_eq!(err.to_string(), "merge.duplicates: customer 1 is the survivor itself");
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum FoldError {
    /// No duplicates were given.
    #[error("merge.duplicates: no duplicates to merge")]
    NoDuplicates,
    /// The survivor is among the duplicates.
    #[error("merge.duplicates: customer {id} is the survivor itself")]
    SurvivorAmongDuplicates {
        /// The survivor's id.
        id: CustomerId,
    },
    /// A duplicate is named twice.
    #[error("merge.duplicates: customer {id} is named more than once")]
    RepeatedDuplicate {
        /// The repeated id.
        id: CustomerId,
    },
}

/// Checks the ids of a merge: at least one duplicate, none of them the survivor, none
/// named twice.
///
/// ```
/// use crm_core::{CustomerId, FoldError, check_merge_ids};
/// let (a, b) = (CustomerId::from(1), CustomerId::from(2));
/// assert!(check_merge_ids(&a, &[b.clone()]).is_ok());
/// assert_eq!(check_merge_ids(&a, &[b.clone(), b.clone()]), Err(FoldError::RepeatedDuplicate { id: b }));
/// assert_eq!(check_merge_ids(&a, &[]), Err(FoldError::NoDuplicates));
/// ```
pub fn check_merge_ids(survivor: &CustomerId, duplicates: &[CustomerId]) -> Result<(), FoldError> {
    if duplicates.is_empty() {
        return Err(FoldError::NoDuplicates);
    }
    let mut seen = BTreeSet::new();
    for id in duplicates {
        if id == survivor {
            return Err(FoldError::SurvivorAmongDuplicates { id: id.clone() });
        }
        if !seen.insert(id) {
            return Err(FoldError::RepeatedDuplicate { id: id.clone() });
        }
    }
    Ok(())
}

/// Orders records newest first: the latest `updated_at`, then the survivor, then the
/// smallest id.
fn newest_first(survivor: &CustomerId, a: &Customer, b: &Customer) -> Ordering {
    b.updated_at
        .cmp(&a.updated_at)
        .then_with(|| (&b.id == survivor).cmp(&(&a.id == survivor)))
        .then_with(|| a.id.cmp(&b.id))
}

/// The value of one field after folding: `all` holds the survivor first, then the
/// duplicates newest first.
fn pick<'a, T: Clone + 'a>(
    rule: FieldRule,
    all: &[&'a Customer],
    get: impl Fn(&'a Customer) -> Option<&'a T>,
) -> Option<T> {
    let survivor = get(all[0]);
    match rule {
        FieldRule::KeepSurvivor => survivor.cloned(),
        FieldRule::FillEmpty => survivor
            .or_else(|| all[1..].iter().find_map(|c| get(c)))
            .cloned(),
        FieldRule::NewestWins => {
            let mut by_age: Vec<&Customer> = all.to_vec();
            let id = &all[0].id;
            by_age.sort_by(|a, b| newest_first(id, a, b));
            by_age.iter().find_map(|c| get(c)).cloned()
        }
    }
}

/// Folds `duplicates` into `survivor` by `rules` at time `at`.
///
/// Matching ([`match_customers`](crate::match_customers)) finds the records that are one
/// customer; folding decides what the surviving record holds once the others are merged
/// into it. It is pure: stores call it inside their merge, and its result depends only on
/// its input, never on the order of the duplicates.
///
/// Each optional field follows a [`FieldRule`] ([`FieldRules`] holds one per field); tags
/// and marketing consents are always united:
///
/// * tags: every tag of every record;
/// * consents, per channel: a **withdrawn consent always wins over a given one** (the
///   latest withdrawal, whoever recorded it), otherwise the latest consent given. Merging
///   never turns a "no" into a "yes".
///
/// The survivor keeps its id and kind; its `created_at` becomes the earliest of the
/// records (the customer is known since then) and its `updated_at` the latest of the
/// records' and the merge's time. A link (`account`, `parent_account`) to any record of
/// the group is dropped, as the group becomes the survivor itself.
///
/// ```
/// use chrono::{Duration, TimeZone, Utc};
/// use crm_core::{ConsentChannel, Customer, Email, FieldRules, PartyKind, Tag, fold_customers};
///
/// let t0 = Utc.with_ymd_and_hms(2024, 1, 1, 0, 0, 0).unwrap();
/// let mut survivor = Customer::new("C-1".parse()?, PartyKind::Person, "Ann Lee", t0)?;
/// survivor.give_consent(ConsentChannel::Email, t0);
/// let mut dup = Customer::new("C-2".parse()?, PartyKind::Person, "Ann  Lee", t0 + Duration::days(3))?;
/// dup.email = Some(Email::parse("ann@example.org")?);
/// dup.tags.insert(Tag::new("vip")?);
/// dup.withdraw_consent(ConsentChannel::Email, t0 + Duration::days(1));
///
/// let merged = fold_customers(&survivor, &[dup], &FieldRules::default(), t0 + Duration::days(9))?;
/// assert_eq!(merged.id, survivor.id);
/// assert_eq!(merged.name.expose(), "Ann Lee"); // the survivor's name is kept
/// assert_eq!(merged.email.as_ref().map(Email::as_str), Some("ann@example.org")); // filled
/// assert!(merged.tags.contains(&Tag::new("vip")?));
/// assert!(!merged.has_consent(ConsentChannel::Email)); // the withdrawal wins
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
///
/// The result depends on the set of duplicates, not their order, and folding the same
/// duplicates into the result again changes nothing. Errors: no duplicates, the survivor
/// among them, or a duplicate named twice.
///
/// ```
/// use chrono::{Duration, TimeZone, Utc};
/// use crm_core::{Customer, FieldRule, FieldRules, LifecycleStage, PartyKind, fold_customers};
/// let t0 = Utc.with_ymd_and_hms(2024, 1, 1, 0, 0, 0).unwrap();
/// let mut old = Customer::new(1.into(), PartyKind::Person, "Ann", t0)?;
/// old.lifecycle_stage = Some(LifecycleStage::Lead);
/// let mut new = Customer::new(2.into(), PartyKind::Person, "Ann", t0)?;
/// new.lifecycle_stage = Some(LifecycleStage::Active);
/// new.updated_at = t0 + Duration::days(5);
/// let rules = FieldRules { lifecycle_stage: FieldRule::NewestWins, ..FieldRules::default() };
/// let merged = fold_customers(&old, &[new.clone()], &rules, t0 + Duration::days(6))?;
/// assert_eq!(merged.lifecycle_stage, Some(LifecycleStage::Active));
/// assert_eq!(merged.updated_at, t0 + Duration::days(6));
/// // Folding again is the same as folding once.
/// assert_eq!(fold_customers(&merged, &[new], &rules, t0 + Duration::days(6))?, merged);
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
pub fn fold_customers(
    survivor: &Customer,
    duplicates: &[Customer],
    rules: &FieldRules,
    at: DateTime<Utc>,
) -> Result<Customer, FoldError> {
    let ids: Vec<CustomerId> = duplicates.iter().map(|d| d.id.clone()).collect();
    check_merge_ids(&survivor.id, &ids)?;
    let mut all: Vec<&Customer> = Vec::with_capacity(duplicates.len() + 1);
    all.push(survivor);
    let mut others: Vec<&Customer> = duplicates.iter().collect();
    others.sort_by(|a, b| newest_first(&survivor.id, a, b));
    all.extend(others);

    let mut out = survivor.clone();
    if rules.name == FieldRule::NewestWins {
        out.name = pick(rules.name, &all, |c| Some(&c.name)).unwrap_or(out.name);
    }
    out.email = pick(rules.email, &all, |c| c.email.as_ref());
    out.phone = pick(rules.phone, &all, |c| c.phone.as_ref());
    out.address = pick(rules.address, &all, |c| c.address.as_ref());
    out.owner = pick(rules.owner, &all, |c| c.owner.as_ref());
    out.source = pick(rules.source, &all, |c| c.source.as_ref());
    out.lifecycle_stage = pick(rules.lifecycle_stage, &all, |c| c.lifecycle_stage.as_ref());
    out.birthday = pick(rules.birthday, &all, |c| c.birthday.as_ref());
    out.time_zone = pick(rules.time_zone, &all, |c| c.time_zone.as_ref());
    // Links into the group would point at the survivor itself once it is merged.
    let ids: Vec<&CustomerId> = all.iter().map(|c| &c.id).collect();
    fn outside<'a>(link: &'a Option<CustomerId>, ids: &[&CustomerId]) -> Option<&'a CustomerId> {
        link.as_ref().filter(|id| !ids.contains(id))
    }
    out.account = pick(rules.account, &all, |c| outside(&c.account, &ids));
    out.parent_account = pick(rules.parent_account, &all, |c| {
        outside(&c.parent_account, &ids)
    });

    let names: BTreeSet<&String> = all.iter().flat_map(|c| c.attributes.keys()).collect();
    let mut attributes = BTreeMap::new();
    for name in names {
        if let Some(v) = pick(rules.attributes, &all, |c| c.attributes.get(name)) {
            attributes.insert(name.clone(), v);
        }
    }
    out.attributes = attributes;

    out.tags = all.iter().flat_map(|c| c.tags.iter().cloned()).collect();
    let mut consents: BTreeMap<_, Consent> = BTreeMap::new();
    for (channel, consent) in all.iter().flat_map(|c| c.consents.iter()) {
        consents
            .entry(*channel)
            .and_modify(|kept| *kept = stronger(*kept, *consent))
            .or_insert(*consent);
    }
    out.consents = consents;

    out.created_at = all.iter().map(|c| c.created_at).min().unwrap_or(at);
    out.updated_at = all.iter().map(|c| c.updated_at).fold(at, DateTime::max);
    Ok(out)
}

/// Of two decisions on one channel, the one a merge keeps: a withdrawal over a consent
/// given, then the later one.
fn stronger(a: Consent, b: Consent) -> Consent {
    let withdrawn = |c: &Consent| c.status == ConsentStatus::Withdrawn;
    match (withdrawn(&a), withdrawn(&b)) {
        (true, false) => a,
        (false, true) => b,
        _ if b.at > a.at => b,
        _ => a,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::contact::{Email, Phone};
    use crate::tag::Tag;
    use crate::vocabulary::{ConsentChannel, LifecycleStage, PartyKind};
    use chrono::{Duration, TimeZone};
    use proptest::prelude::*;

    fn t(days: i64) -> DateTime<Utc> {
        Utc.with_ymd_and_hms(2024, 1, 1, 0, 0, 0).unwrap() + Duration::days(days)
    }

    fn person(id: i64, name: &str, updated: i64) -> Customer {
        let mut c = Customer::new(CustomerId::from(id), PartyKind::Person, name, t(0)).unwrap();
        c.updated_at = t(updated);
        c
    }

    #[test]
    fn keep_survivor_keeps_even_an_empty_value() {
        let s = person(1, "Ann", 0);
        let mut d = person(2, "Ann B", 5);
        d.email = Some(Email::parse("ann@example.org").unwrap());
        let rules = FieldRules {
            email: FieldRule::KeepSurvivor,
            ..FieldRules::default()
        };
        let m = fold_customers(&s, &[d], &rules, t(9)).unwrap();
        assert_eq!(m.email, None);
        assert_eq!(m.name.expose(), "Ann");
    }

    #[test]
    fn fill_empty_takes_the_newest_duplicate_with_a_value() {
        let mut s = person(1, "Ann", 0);
        s.phone = Some(Phone::parse("+49 30 1234567", None).unwrap());
        let mut old = person(2, "Ann", 1);
        old.email = Some(Email::parse("old@example.org").unwrap());
        old.phone = Some(Phone::parse("+49 30 7654321", None).unwrap());
        let mut new = person(3, "Ann", 4);
        new.email = Some(Email::parse("new@example.org").unwrap());
        let empty = person(4, "Ann", 8);
        let m = fold_customers(&s, &[old, new, empty], &FieldRules::default(), t(9)).unwrap();
        assert_eq!(m.email.unwrap().as_str(), "new@example.org");
        assert_eq!(
            m.phone.unwrap().as_str(),
            "+49301234567",
            "survivor's value kept"
        );
    }

    #[test]
    fn newest_wins_over_the_survivor_but_never_empties() {
        let mut s = person(1, "Ann", 2);
        s.lifecycle_stage = Some(LifecycleStage::Lead);
        s.source = Some(crate::Channel::Web);
        let mut d = person(2, "Ann Lee", 6);
        d.lifecycle_stage = Some(LifecycleStage::Active);
        let rules = FieldRules {
            name: FieldRule::NewestWins,
            lifecycle_stage: FieldRule::NewestWins,
            source: FieldRule::NewestWins,
            ..FieldRules::default()
        };
        let m = fold_customers(&s, &[d], &rules, t(9)).unwrap();
        assert_eq!(m.lifecycle_stage, Some(LifecycleStage::Active));
        assert_eq!(m.name.expose(), "Ann Lee");
        assert_eq!(
            m.source,
            Some(crate::Channel::Web),
            "an empty newer value loses"
        );
    }

    #[test]
    fn a_tie_in_time_goes_to_the_survivor_then_the_smallest_id() {
        let mut s = person(5, "Ann", 3);
        s.lifecycle_stage = Some(LifecycleStage::Lead);
        let mut a = person(7, "Ann", 3);
        a.lifecycle_stage = Some(LifecycleStage::Active);
        a.source = Some(crate::Channel::Email);
        let mut b = person(6, "Ann", 3);
        b.lifecycle_stage = Some(LifecycleStage::Churned);
        b.source = Some(crate::Channel::Phone);
        let rules = FieldRules {
            lifecycle_stage: FieldRule::NewestWins,
            source: FieldRule::NewestWins,
            ..FieldRules::default()
        };
        let m = fold_customers(&s, &[a, b], &rules, t(9)).unwrap();
        assert_eq!(m.lifecycle_stage, Some(LifecycleStage::Lead));
        assert_eq!(m.source, Some(crate::Channel::Phone), "id 6 before id 7");
    }

    #[test]
    fn tags_unite_and_a_withdrawal_always_wins() {
        let mut s = person(1, "Ann", 0);
        s.tags.insert(Tag::new("vip").unwrap());
        s.give_consent(ConsentChannel::Email, t(20));
        s.give_consent(ConsentChannel::Sms, t(1));
        let mut d = person(2, "Ann", 0);
        d.tags.insert(Tag::new("b2b").unwrap());
        d.withdraw_consent(ConsentChannel::Email, t(2));
        d.give_consent(ConsentChannel::Sms, t(3));
        d.give_consent(ConsentChannel::Post, t(4));
        let m = fold_customers(&s, &[d], &FieldRules::default(), t(30)).unwrap();
        assert_eq!(m.tags.len(), 2);
        assert_eq!(
            m.consents[&ConsentChannel::Email],
            Consent::withdrawn(t(2)),
            "an older withdrawal beats a newer consent"
        );
        assert_eq!(m.consents[&ConsentChannel::Sms], Consent::given(t(3)));
        assert!(m.has_consent(ConsentChannel::Post));
    }

    #[test]
    fn attributes_fold_name_by_name() {
        let mut s = person(1, "Ann", 0);
        s.set_attribute("tier", "gold").unwrap();
        let mut d = person(2, "Ann", 5);
        d.set_attribute("tier", "silver").unwrap();
        d.set_attribute("seats", 3).unwrap();
        let m = fold_customers(&s, std::slice::from_ref(&d), &FieldRules::default(), t(9)).unwrap();
        assert_eq!(m.attributes["tier"], "gold".into());
        assert_eq!(m.attributes["seats"], 3.into());
        let newest = FieldRules {
            attributes: FieldRule::NewestWins,
            ..FieldRules::default()
        };
        let m = fold_customers(&s, &[d], &newest, t(9)).unwrap();
        assert_eq!(m.attributes["tier"], "silver".into());
    }

    #[test]
    fn links_into_the_group_are_dropped_and_times_span_the_group() {
        let mut s = person(1, "Ann", 0);
        s.account = Some(CustomerId::from(2));
        let mut d = person(2, "Ann", 4);
        d.created_at = t(-10);
        d.parent_account = Some(CustomerId::from(1));
        let mut e = person(3, "Ann", 1);
        e.account = Some(CustomerId::from(99));
        let m = fold_customers(&s, &[d, e], &FieldRules::default(), t(2)).unwrap();
        assert_eq!(m.account, Some(CustomerId::from(99)));
        assert_eq!(m.parent_account, None);
        assert_eq!((m.created_at, m.updated_at), (t(-10), t(4)));
        m.validate().unwrap();
    }

    #[test]
    fn bad_ids_are_refused() {
        let s = person(1, "Ann", 0);
        let d = person(2, "Ann", 0);
        let rules = FieldRules::default();
        assert_eq!(
            fold_customers(&s, &[], &rules, t(1)),
            Err(FoldError::NoDuplicates)
        );
        assert_eq!(
            fold_customers(&s, &[d.clone(), d], &rules, t(1))
                .unwrap_err()
                .to_string(),
            "merge.duplicates: customer 2 is named more than once"
        );
    }

    fn rule() -> impl Strategy<Value = FieldRule> {
        prop_oneof![
            Just(FieldRule::KeepSurvivor),
            Just(FieldRule::FillEmpty),
            Just(FieldRule::NewestWins)
        ]
    }

    fn rules() -> impl Strategy<Value = FieldRules> {
        (rule(), rule(), rule(), rule(), rule()).prop_map(|(n, e, l, a, acc)| FieldRules {
            name: n,
            email: e,
            lifecycle_stage: l,
            attributes: a,
            account: acc,
            ..FieldRules::default()
        })
    }

    /// A customer with some fields set at random, changed on one of a few days (so ties
    /// in time are common).
    fn customer(id: i64) -> impl Strategy<Value = Customer> {
        (
            0..4i64,
            prop::option::of(0..3u8),
            prop::option::of(0..4usize),
            prop::option::of(0..3i64),
            prop::collection::btree_set(0..4u8, 0..3),
            prop::collection::btree_map(0..3u8, (any::<bool>(), 0..4i64), 0..3),
            prop::option::of((0..2u8, 0..3i64)),
            prop::option::of(0..4i64),
        )
            .prop_map(
                move |(updated, mail, stage, attr, tags, consents, account, born)| {
                    let mut c = person(id, &format!("Name {}", id % 3), updated);
                    c.created_at = t(-born.unwrap_or(0));
                    c.email = mail.map(|m| Email::parse(&format!("m{m}@example.org")).unwrap());
                    c.lifecycle_stage = stage.map(|s| {
                        [
                            LifecycleStage::Lead,
                            LifecycleStage::Active,
                            LifecycleStage::AtRisk,
                            LifecycleStage::Churned,
                        ][s]
                    });
                    if let Some(a) = attr {
                        c.set_attribute("score", a).unwrap();
                    }
                    c.tags = tags
                        .into_iter()
                        .map(|t| Tag::new(&format!("t{t}")).unwrap())
                        .collect();
                    for (ch, (given, day)) in consents {
                        let channel = [
                            ConsentChannel::Email,
                            ConsentChannel::Sms,
                            ConsentChannel::Post,
                        ][usize::from(ch)];
                        let consent = if given {
                            Consent::given(t(day))
                        } else {
                            Consent::withdrawn(t(day))
                        };
                        c.consents.insert(channel, consent);
                    }
                    c.account = account.map(|(inside, n)| {
                        if inside == 0 {
                            CustomerId::from(n)
                        } else {
                            CustomerId::from(100 + n)
                        }
                    });
                    c
                },
            )
    }

    fn group() -> impl Strategy<Value = (Customer, Vec<Customer>)> {
        (customer(0), customer(1), customer(2), customer(3))
            .prop_map(|(s, a, b, c)| (s, vec![a, b, c]))
    }

    proptest! {
        #[test]
        fn folding_twice_is_folding_once((s, dups) in group(), rules in rules(), n in 1..=3usize) {
            let dups = &dups[..n];
            let once = fold_customers(&s, dups, &rules, t(2)).unwrap();
            let twice = fold_customers(&once, dups, &rules, t(2)).unwrap();
            prop_assert_eq!(&twice, &once);
            prop_assert!(once.validate().is_ok());
        }

        #[test]
        fn the_order_of_duplicates_does_not_matter((s, dups) in group(), rules in rules(), rot in 0..3usize) {
            let mut other = dups.clone();
            other.rotate_left(rot);
            other.swap(0, 2);
            prop_assert_eq!(
                fold_customers(&s, &dups, &rules, t(2)).unwrap(),
                fold_customers(&s, &other, &rules, t(2)).unwrap()
            );
        }

        #[test]
        fn a_withdrawal_anywhere_is_kept((s, dups) in group(), rules in rules()) {
            let m = fold_customers(&s, &dups, &rules, t(2)).unwrap();
            for c in std::iter::once(&s).chain(&dups) {
                for (channel, consent) in &c.consents {
                    if !consent.is_given() {
                        prop_assert!(!m.has_consent(*channel));
                    }
                }
                prop_assert!(c.tags.is_subset(&m.tags));
            }
        }
    }
}
