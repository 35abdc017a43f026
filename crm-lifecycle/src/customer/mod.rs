//! The customer lifecycle and its stage classifier.

pub mod classifier;

use crm_core::LifecycleStage;

use crate::builtin::BuiltinMachine;

/// The customer lifecycle, over the [`LifecycleStage`] names: `lead → prospect → new →
/// active → at_risk → churned`, with win-back (`churned → won_back → active`) and the legal
/// shortcuts. `churned` is terminal but re-openable (a churned customer can be won back).
/// The transitions, by state:
///
/// | from | event → to |
/// |---|---|
/// | `lead` | `qualify` → prospect, `purchase` → new |
/// | `prospect` | `purchase` → new |
/// | `new` | `settle` → active, `lapse` → at_risk, `churn` → churned |
/// | `active` | `lapse` → at_risk, `churn` → churned |
/// | `at_risk` | `recover` → active, `churn` → churned |
/// | `churned` | `win_back` → won_back |
/// | `won_back` | `settle` → active, `lapse` → at_risk, `churn` → churned |
///
/// A [`Classifier`](crate::Classifier) decides from activity facts which stage a customer
/// belongs in and moves the customer there along legal transitions only.
///
/// ```
/// use crm_core::LifecycleStage;
/// use crm_lifecycle::CUSTOMER_LIFECYCLE;
/// let m = CUSTOMER_LIFECYCLE.machine();
/// assert_eq!(m.next_state(LifecycleStage::Churned.as_str(), "win_back"), Some("won_back"));
/// assert_eq!(CUSTOMER_LIFECYCLE.event_to(LifecycleStage::Active, LifecycleStage::Lead), None);
/// ```
pub const CUSTOMER_LIFECYCLE: BuiltinMachine<LifecycleStage> = {
    use LifecycleStage::*;
    BuiltinMachine {
        name: "customer_lifecycle",
        states: LifecycleStage::ALL,
        initial: Lead,
        terminal: &[Churned],
        reopenable: &[Churned],
        transitions: &[
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
        ],
        as_str: LifecycleStage::as_str,
    }
};

#[cfg(test)]
mod tests {
    use super::*;
    use crate::validation::validate;
    use LifecycleStage::*;

    #[test]
    fn lifecycle_is_valid() {
        assert_eq!(validate(&CUSTOMER_LIFECYCLE.definition()), vec![]);
    }

    #[test]
    fn rules() {
        let m = CUSTOMER_LIFECYCLE.machine();
        let event_to = |from, to| CUSTOMER_LIFECYCLE.event_to(from, to);
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
        for (from, event, to) in CUSTOMER_LIFECYCLE.transitions() {
            assert_eq!(m.next_state(from.as_str(), event), Some(to.as_str()));
        }
    }
}
