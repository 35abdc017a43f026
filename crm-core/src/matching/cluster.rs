//! Clustering: pairs decided the same are joined into groups (union-find), and each group's
//! survivor is chosen by a rule.

use std::cmp::Ordering;

use crate::customer::Customer;

use super::config::{SurvivorHints, SurvivorRule};

/// Disjoint sets over customer indices, with path halving and union by size.
#[derive(Debug)]
pub(crate) struct UnionFind {
    parent: Vec<u32>,
    size: Vec<u32>,
}

impl UnionFind {
    pub fn new(n: usize) -> Self {
        UnionFind {
            parent: (0..n as u32).collect(),
            size: vec![1; n],
        }
    }

    pub fn find(&mut self, mut x: u32) -> u32 {
        while self.parent[x as usize] != x {
            let grand = self.parent[self.parent[x as usize] as usize];
            self.parent[x as usize] = grand;
            x = grand;
        }
        x
    }

    pub fn union(&mut self, a: u32, b: u32) {
        let (ra, rb) = (self.find(a), self.find(b));
        if ra == rb {
            return;
        }
        let (big, small) = if self.size[ra as usize] >= self.size[rb as usize] {
            (ra, rb)
        } else {
            (rb, ra)
        };
        self.parent[small as usize] = big;
        self.size[big as usize] += self.size[small as usize];
    }
}

/// How many optional fields of a customer are filled.
pub(crate) fn completeness(c: &Customer) -> usize {
    [
        c.email.is_some(),
        c.phone.is_some(),
        c.address.is_some(),
        c.account.is_some(),
        c.parent_account.is_some(),
        c.owner.is_some(),
        c.source.is_some(),
        c.lifecycle_stage.is_some(),
        c.birthday.is_some(),
        !c.tags.is_empty(),
        !c.attributes.is_empty(),
        !c.consents.is_empty(),
    ]
    .into_iter()
    .filter(|&filled| filled)
    .count()
}

/// Orders two members so that the survivor comes first: the rule, then the earliest
/// `created_at`, then the smallest id.
fn rank(rule: SurvivorRule, hints: &SurvivorHints, a: &Customer, b: &Customer) -> Ordering {
    let by_rule = match rule {
        SurvivorRule::Oldest => Ordering::Equal,
        SurvivorRule::MostComplete => completeness(b).cmp(&completeness(a)),
        // `None` sorts before `Some`, so comparing b to a puts the latest activity first
        // and members without activity last.
        SurvivorRule::MostRecentActivity => hints
            .last_activity
            .get(&b.id)
            .cmp(&hints.last_activity.get(&a.id)),
        SurvivorRule::Preferred => hints
            .preferred
            .contains(&b.id)
            .cmp(&hints.preferred.contains(&a.id)),
    };
    by_rule
        .then_with(|| a.created_at.cmp(&b.created_at))
        .then_with(|| a.id.cmp(&b.id))
}

/// The index of the survivor among `members` (indices into `customers`, not empty).
pub(crate) fn survivor(
    rule: SurvivorRule,
    hints: &SurvivorHints,
    customers: &[Customer],
    members: &[u32],
) -> Option<u32> {
    members
        .iter()
        .copied()
        .min_by(|&x, &y| rank(rule, hints, &customers[x as usize], &customers[y as usize]))
}
