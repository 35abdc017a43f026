//! The deal pipeline (sales process), its funnel analytics, and sales performance and
//! targets per owner and period.

pub mod funnel;
pub mod performance;
pub mod targets;

use crm_core::DealStage;

use crate::builtin::BuiltinMachine;

/// The open deal stages in pipeline order (the funnel's steps, before `won`).
pub const OPEN_DEAL_STAGES: [DealStage; 4] = [
    DealStage::Qualification,
    DealStage::NeedsAnalysis,
    DealStage::Proposal,
    DealStage::Negotiation,
];

/// The deal pipeline (sales process), over the [`DealStage`] names: `qualification →
/// needs_analysis → proposal → negotiation → won / lost`. `won` and `lost` are terminal. The
/// transitions, by state:
///
/// | from | event → to |
/// |---|---|
/// | `qualification` | `advance` → needs_analysis, `lose` → lost |
/// | `needs_analysis` | `advance` → proposal, `lose` → lost |
/// | `proposal` | `advance` → negotiation, `win` → won (signed without negotiating), `lose` → lost |
/// | `negotiation` | `win` → won, `lose` → lost |
///
/// Funnel analytics over many deal histories: [`analyze_funnel`](crate::analyze_funnel).
///
/// ```
/// use crm_core::DealStage;
/// use crm_lifecycle::DEAL_PIPELINE;
/// let m = DEAL_PIPELINE.machine();
/// assert_eq!(m.next_state(DealStage::Proposal.as_str(), "win"), Some("won"));
/// assert_eq!(DEAL_PIPELINE.event_to(DealStage::Negotiation, DealStage::Lost), Some("lose"));
/// ```
pub const DEAL_PIPELINE: BuiltinMachine<DealStage> = {
    use DealStage::*;
    BuiltinMachine {
        name: "deal",
        states: DealStage::ALL,
        initial: Qualification,
        terminal: &[Won, Lost],
        reopenable: &[],
        transitions: &[
            (Qualification, "advance", NeedsAnalysis),
            (Qualification, "lose", Lost),
            (NeedsAnalysis, "advance", Proposal),
            (NeedsAnalysis, "lose", Lost),
            (Proposal, "advance", Negotiation),
            (Proposal, "win", Won),
            (Proposal, "lose", Lost),
            (Negotiation, "win", Won),
            (Negotiation, "lose", Lost),
        ],
        as_str: DealStage::as_str,
    }
};

#[cfg(test)]
mod tests {
    use super::*;
    use crate::validation::validate;
    use DealStage::*;

    #[test]
    fn pipeline_is_valid() {
        assert_eq!(validate(&DEAL_PIPELINE.definition()), vec![]);
    }

    #[test]
    fn rules() {
        let m = DEAL_PIPELINE.machine();
        let event_to = |from, to| DEAL_PIPELINE.event_to(from, to);
        assert_eq!(m.initial(), "qualification");
        for s in DealStage::ALL {
            assert_eq!(m.is_terminal(s.as_str()), s.is_closed(), "{s}");
        }
        // every open stage can be lost; no closed stage can be left
        for s in OPEN_DEAL_STAGES {
            assert_eq!(event_to(s, Lost), Some("lose"));
        }
        for event in m.events() {
            assert_eq!(m.next_state("won", event), None);
            assert_eq!(m.next_state("lost", event), None);
        }
        // no skipping from qualification straight to won, no going backwards
        assert_eq!(event_to(Qualification, Won), None);
        assert_eq!(event_to(Proposal, NeedsAnalysis), None);
        for (from, event, to) in DEAL_PIPELINE.transitions() {
            assert_eq!(m.next_state(from.as_str(), event), Some(to.as_str()));
        }
    }
}
