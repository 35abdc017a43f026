//! The customer lifecycle and its stage classifier.
//!
//! States are the [`LifecycleStage`] names: `lead → prospect → new → active → at_risk →
//! churned`, with win-back (`churned → won_back → active`) and the legal shortcuts. `churned`
//! is terminal but re-openable (a churned customer can be won back). The transitions, by
//! state:
//!
//! | from | event → to |
//! |---|---|
//! | `lead` | `qualify` → prospect, `purchase` → new |
//! | `prospect` | `purchase` → new |
//! | `new` | `settle` → active, `lapse` → at_risk, `churn` → churned |
//! | `active` | `lapse` → at_risk, `churn` → churned |
//! | `at_risk` | `recover` → active, `churn` → churned |
//! | `churned` | `win_back` → won_back |
//! | `won_back` | `settle` → active, `lapse` → at_risk, `churn` → churned |
//!
//! [`classifier`] decides from activity facts which stage a customer belongs in and moves the
//! customer there along legal transitions only.
//!
//! ```
//! use crm_core::LifecycleStage;
//! use crm_lifecycle::customer;
//! let m = customer::machine();
//! assert_eq!(m.next_state(LifecycleStage::Churned.as_str(), "win_back"), Some("won_back"));
//! assert_eq!(customer::event_to(LifecycleStage::Active, LifecycleStage::Lead), None);
//! ```

pub mod classifier;

use crm_core::LifecycleStage;

use crate::definition::{MachineDefinition, TransitionDef};
use crate::machine::Machine;

/// The name of the customer lifecycle machine.
pub const MACHINE_NAME: &str = "customer_lifecycle";

const TRANSITIONS: &[(LifecycleStage, &str, LifecycleStage)] = {
    use LifecycleStage::*;
    &[
        (Lead, "qualify", Prospect),
        (Lead, "purchase", New),
        (Prospect, "purchase", New),
        (New, "settle", Active),
        (New, "lapse", AtRisk),
        (New, "churn", Churned),
        (Active, "lapse", AtRisk),
        (Active, "churn", Churned),
        (AtRisk, "recover", Active),
        (AtRisk, "churn", Churned),
        (Churned, "win_back", WonBack),
        (WonBack, "settle", Active),
        (WonBack, "lapse", AtRisk),
        (WonBack, "churn", Churned),
    ]
};

/// The customer lifecycle as data.
///
/// ```
/// use crm_lifecycle::customer;
/// let def = customer::definition();
/// assert_eq!(def.reopenable, vec!["churned"]);
/// ```
pub fn definition() -> MachineDefinition {
    let mut def = MachineDefinition::new(MACHINE_NAME, LifecycleStage::Lead.as_str())
        .with_terminal(LifecycleStage::Churned.as_str())
        .with_reopenable(LifecycleStage::Churned.as_str());
    def.states = LifecycleStage::ALL
        .iter()
        .map(|s| s.as_str().to_string())
        .collect();
    def.transitions = TRANSITIONS
        .iter()
        .map(|(from, event, to)| TransitionDef::new(from.as_str(), *event, to.as_str()))
        .collect();
    def
}

/// The compiled customer lifecycle.
///
/// ```
/// use crm_lifecycle::customer;
/// assert_eq!(customer::machine().next_state("at_risk", "recover"), Some("active"));
/// ```
pub fn machine() -> Machine {
    definition()
        .build()
        .expect("the built-in customer lifecycle is valid (checked by its tests)")
}

/// The event that moves a customer from one stage to another, if the lifecycle allows it.
///
/// ```
/// use crm_core::LifecycleStage::*;
/// use crm_lifecycle::customer;
/// assert_eq!(customer::event_to(Lead, New), Some("purchase"));
/// assert_eq!(customer::event_to(Churned, Active), None); // only via won_back
/// ```
pub fn event_to(from: LifecycleStage, to: LifecycleStage) -> Option<&'static str> {
    TRANSITIONS
        .iter()
        .find(|(f, _, t)| *f == from && *t == to)
        .map(|(_, e, _)| *e)
}

/// The typed stage of a lifecycle state name.
///
/// ```
/// use crm_core::LifecycleStage;
/// use crm_lifecycle::customer;
/// assert_eq!(customer::stage("at_risk"), Some(LifecycleStage::AtRisk));
/// ```
pub fn stage(state: &str) -> Option<LifecycleStage> {
    state.parse().ok()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::validation::validate;
    use LifecycleStage::*;

    #[test]
    fn lifecycle_is_valid() {
        assert_eq!(validate(&definition()), vec![]);
    }

    #[test]
    fn rules() {
        let m = machine();
        assert_eq!(m.initial(), "lead");
        // win-back goes through won_back, never straight to active
        assert_eq!(event_to(Churned, WonBack), Some("win_back"));
        assert_eq!(event_to(WonBack, Active), Some("settle"));
        assert_eq!(event_to(Churned, Active), None);
        // nobody becomes a lead or prospect again once they bought
        for s in [New, Active, AtRisk, Churned, WonBack] {
            assert_eq!(event_to(s, Lead), None);
            assert_eq!(event_to(s, Prospect), None);
        }
        // a customer can churn from every buying stage
        for s in [New, Active, AtRisk, WonBack] {
            assert_eq!(event_to(s, Churned), Some("churn"));
        }
        for (from, event, to) in TRANSITIONS {
            assert_eq!(m.next_state(from.as_str(), event), Some(to.as_str()));
        }
    }
}
