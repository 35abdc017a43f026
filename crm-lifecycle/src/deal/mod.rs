//! The deal pipeline (sales process) and its funnel analytics.
//!
//! States are the [`DealStage`] names: `qualification → needs_analysis → proposal →
//! negotiation → won / lost`. `won` and `lost` are terminal. The transitions, by state:
//!
//! | from | event → to |
//! |---|---|
//! | `qualification` | `advance` → needs_analysis, `lose` → lost |
//! | `needs_analysis` | `advance` → proposal, `lose` → lost |
//! | `proposal` | `advance` → negotiation, `win` → won (signed without negotiating), `lose` → lost |
//! | `negotiation` | `win` → won, `lose` → lost |
//!
//! Funnel analytics over many deal histories live in [`funnel`].
//!
//! ```
//! use crm_core::DealStage;
//! use crm_lifecycle::deal;
//! let m = deal::machine();
//! assert_eq!(m.next_state(DealStage::Proposal.as_str(), "win"), Some("won"));
//! assert_eq!(deal::event_to(DealStage::Negotiation, DealStage::Lost), Some("lose"));
//! ```

pub mod funnel;

use crm_core::DealStage;

use crate::definition::{MachineDefinition, TransitionDef};
use crate::machine::Machine;

/// The name of the deal pipeline machine.
pub const MACHINE_NAME: &str = "deal";

/// The open stages in pipeline order (the funnel's steps, before `won`).
pub const OPEN_STAGES: [DealStage; 4] = [
    DealStage::Qualification,
    DealStage::NeedsAnalysis,
    DealStage::Proposal,
    DealStage::Negotiation,
];

const TRANSITIONS: &[(DealStage, &str, DealStage)] = {
    use DealStage::*;
    &[
        (Qualification, "advance", NeedsAnalysis),
        (Qualification, "lose", Lost),
        (NeedsAnalysis, "advance", Proposal),
        (NeedsAnalysis, "lose", Lost),
        (Proposal, "advance", Negotiation),
        (Proposal, "win", Won),
        (Proposal, "lose", Lost),
        (Negotiation, "win", Won),
        (Negotiation, "lose", Lost),
    ]
};

/// The deal pipeline as data.
///
/// ```
/// use crm_lifecycle::deal;
/// assert_eq!(deal::definition().terminal, vec!["won", "lost"]);
/// ```
pub fn definition() -> MachineDefinition {
    let mut def = MachineDefinition::new(MACHINE_NAME, DealStage::Qualification.as_str())
        .with_terminal(DealStage::Won.as_str())
        .with_terminal(DealStage::Lost.as_str());
    def.states = DealStage::ALL
        .iter()
        .map(|s| s.as_str().to_string())
        .collect();
    def.transitions = TRANSITIONS
        .iter()
        .map(|(from, event, to)| TransitionDef::new(from.as_str(), *event, to.as_str()))
        .collect();
    def
}

/// The compiled deal pipeline.
///
/// ```
/// use crm_lifecycle::deal;
/// assert_eq!(deal::machine().next_state("qualification", "advance"), Some("needs_analysis"));
/// ```
pub fn machine() -> Machine {
    definition()
        .build()
        .expect("the built-in deal pipeline is valid (checked by its tests)")
}

/// The event that moves a deal from one stage to another, if the pipeline allows it.
///
/// ```
/// use crm_core::DealStage::*;
/// use crm_lifecycle::deal;
/// assert_eq!(deal::event_to(Qualification, NeedsAnalysis), Some("advance"));
/// assert_eq!(deal::event_to(Won, Lost), None);
/// ```
pub fn event_to(from: DealStage, to: DealStage) -> Option<&'static str> {
    TRANSITIONS
        .iter()
        .find(|(f, _, t)| *f == from && *t == to)
        .map(|(_, e, _)| *e)
}

/// The typed stage of a pipeline state name.
///
/// ```
/// use crm_core::DealStage;
/// use crm_lifecycle::deal;
/// assert_eq!(deal::stage("needs_analysis"), Some(DealStage::NeedsAnalysis));
/// ```
pub fn stage(state: &str) -> Option<DealStage> {
    state.parse().ok()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::validation::validate;
    use DealStage::*;

    #[test]
    fn pipeline_is_valid() {
        assert_eq!(validate(&definition()), vec![]);
    }

    #[test]
    fn rules() {
        let m = machine();
        assert_eq!(m.initial(), "qualification");
        for s in DealStage::ALL {
            assert_eq!(m.is_terminal(s.as_str()), s.is_closed(), "{s}");
        }
        // every open stage can be lost; no closed stage can be left
        for s in OPEN_STAGES {
            assert_eq!(event_to(s, Lost), Some("lose"));
        }
        for event in m.events() {
            assert_eq!(m.next_state("won", event), None);
            assert_eq!(m.next_state("lost", event), None);
        }
        // no skipping from qualification straight to won, no going backwards
        assert_eq!(event_to(Qualification, Won), None);
        assert_eq!(event_to(Proposal, NeedsAnalysis), None);
        for (from, event, to) in TRANSITIONS {
            assert_eq!(m.next_state(from.as_str(), event), Some(to.as_str()));
        }
    }
}
