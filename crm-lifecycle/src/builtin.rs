//! One builder for the built-in machines: a machine whose states are a `crm_core` vocabulary,
//! written down as a transition table over that vocabulary.

use std::fmt;
use std::str::FromStr;

use crate::definition::{MachineDefinition, TransitionDef};
use crate::machine::Machine;

/// A built-in machine whose states are the names of a `crm_core` vocabulary `S`
/// ([`CUSTOMER_LIFECYCLE`](crate::CUSTOMER_LIFECYCLE) over `LifecycleStage`,
/// [`TICKET_WORKFLOW`](crate::TICKET_WORKFLOW) over `TicketStatus`,
/// [`DEAL_PIPELINE`](crate::DEAL_PIPELINE) over `DealStage`).
///
/// It is the machine's transition table, typed: [`definition`](Self::definition) writes it
/// down as a [`MachineDefinition`] (every variant of `S` a state, in declaration order),
/// [`machine`](Self::machine) compiles it, and [`event_to`](Self::event_to) and
/// [`state`](Self::state) translate between the typed vocabulary and the machine's names.
///
/// ```
/// use crm_core::TicketStatus;
/// use crm_lifecycle::TICKET_WORKFLOW;
///
/// let m = TICKET_WORKFLOW.machine();
/// assert_eq!(m.name(), TICKET_WORKFLOW.name());
/// assert_eq!(m.state_count(), TicketStatus::ALL.len());
/// for &(from, event, to) in TICKET_WORKFLOW.transitions() {
///     assert_eq!(m.next_state(from.as_str(), event), Some(to.as_str()));
/// }
/// ```
#[derive(Clone, Copy)]
pub struct BuiltinMachine<S: 'static> {
    /// The machine's name.
    pub(crate) name: &'static str,
    /// Every state, in order (the vocabulary's `ALL`).
    pub(crate) states: &'static [S],
    /// The initial state.
    pub(crate) initial: S,
    /// The terminal states.
    pub(crate) terminal: &'static [S],
    /// The terminal states that may be left again.
    pub(crate) reopenable: &'static [S],
    /// The transitions `(from, event, to)`, in definition order.
    pub(crate) transitions: &'static [(S, &'static str, S)],
    /// A state's name in the machine (the vocabulary's `as_str`).
    pub(crate) as_str: fn(S) -> &'static str,
}

impl<S: fmt::Debug> fmt::Debug for BuiltinMachine<S> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("BuiltinMachine")
            .field("name", &self.name)
            .field("initial", &self.initial)
            .field("terminal", &self.terminal)
            .field("reopenable", &self.reopenable)
            .field("transitions", &self.transitions)
            .finish_non_exhaustive()
    }
}

impl<S: Copy + PartialEq + FromStr> BuiltinMachine<S> {
    /// The machine's name (the name of its [`Machine`] and of every instance of it).
    ///
    /// ```
    /// use crm_lifecycle::{CUSTOMER_LIFECYCLE, DEAL_PIPELINE, TICKET_WORKFLOW};
    /// assert_eq!(CUSTOMER_LIFECYCLE.name(), "customer_lifecycle");
    /// assert_eq!(TICKET_WORKFLOW.name(), "ticket");
    /// assert_eq!(DEAL_PIPELINE.name(), "deal");
    /// ```
    pub const fn name(&self) -> &'static str {
        self.name
    }

    /// The transitions `(from, event, to)`, in definition order.
    ///
    /// ```
    /// use crm_core::DealStage;
    /// use crm_lifecycle::DEAL_PIPELINE;
    /// assert_eq!(
    ///     DEAL_PIPELINE.transitions()[0],
    ///     (DealStage::Qualification, "advance", DealStage::NeedsAnalysis)
    /// );
    /// ```
    pub const fn transitions(&self) -> &'static [(S, &'static str, S)] {
        self.transitions
    }

    /// The machine as data, ready to be written out (see [`MachineDefinition::to_toml`]) as
    /// the start of a customized copy.
    ///
    /// ```
    /// use crm_lifecycle::{CUSTOMER_LIFECYCLE, DEAL_PIPELINE, TICKET_WORKFLOW};
    /// assert_eq!(CUSTOMER_LIFECYCLE.definition().reopenable, vec!["churned"]);
    /// assert_eq!(DEAL_PIPELINE.definition().terminal, vec!["won", "lost"]);
    /// let ticket = TICKET_WORKFLOW.definition();
    /// assert_eq!(ticket.terminal, vec!["closed"]);
    /// assert!(ticket.to_toml().contains("event = \"reopen\""));
    /// ```
    pub fn definition(&self) -> MachineDefinition {
        let name = |states: &[S]| -> Vec<String> {
            states
                .iter()
                .map(|&s| (self.as_str)(s).to_string())
                .collect()
        };
        let mut def = MachineDefinition::new(self.name, (self.as_str)(self.initial));
        def.states = name(self.states);
        def.terminal = name(self.terminal);
        def.reopenable = name(self.reopenable);
        def.transitions = self
            .transitions
            .iter()
            .map(|&(from, event, to)| {
                TransitionDef::new((self.as_str)(from), event, (self.as_str)(to))
            })
            .collect();
        def
    }

    /// The compiled machine.
    ///
    /// ```
    /// use crm_lifecycle::{CUSTOMER_LIFECYCLE, DEAL_PIPELINE, TICKET_WORKFLOW};
    /// assert_eq!(CUSTOMER_LIFECYCLE.machine().next_state("at_risk", "recover"), Some("active"));
    /// assert_eq!(TICKET_WORKFLOW.machine().next_state("on_hold", "resume"), Some("open"));
    /// assert_eq!(
    ///     DEAL_PIPELINE.machine().next_state("qualification", "advance"),
    ///     Some("needs_analysis")
    /// );
    /// ```
    pub fn machine(&self) -> Machine {
        self.definition()
            .build()
            .expect("the built-in machines are valid (checked by their tests)")
    }

    /// The event that moves the machine from one state to another, if a transition does.
    ///
    /// ```
    /// use crm_core::{DealStage, LifecycleStage, TicketStatus};
    /// use crm_lifecycle::{CUSTOMER_LIFECYCLE, DEAL_PIPELINE, TICKET_WORKFLOW};
    /// use LifecycleStage::*;
    /// assert_eq!(CUSTOMER_LIFECYCLE.event_to(Lead, New), Some("purchase"));
    /// assert_eq!(CUSTOMER_LIFECYCLE.event_to(Churned, Active), None); // only via won_back
    /// assert_eq!(TICKET_WORKFLOW.event_to(TicketStatus::New, TicketStatus::Open), Some("assign"));
    /// assert_eq!(DEAL_PIPELINE.event_to(DealStage::Won, DealStage::Lost), None);
    /// ```
    pub fn event_to(&self, from: S, to: S) -> Option<&'static str> {
        self.transitions
            .iter()
            .find(|(f, _, t)| *f == from && *t == to)
            .map(|(_, e, _)| *e)
    }

    /// The typed state of a state name (`None` for a name that is not in the vocabulary).
    ///
    /// ```
    /// use crm_core::{DealStage, LifecycleStage, TicketStatus};
    /// use crm_lifecycle::{CUSTOMER_LIFECYCLE, DEAL_PIPELINE, TICKET_WORKFLOW};
    /// assert_eq!(CUSTOMER_LIFECYCLE.state("at_risk"), Some(LifecycleStage::AtRisk));
    /// assert_eq!(TICKET_WORKFLOW.state("on_hold"), Some(TicketStatus::OnHold));
    /// assert_eq!(TICKET_WORKFLOW.state("limbo"), None);
    /// assert_eq!(DEAL_PIPELINE.state("needs_analysis"), Some(DealStage::NeedsAnalysis));
    /// ```
    pub fn state(&self, name: &str) -> Option<S> {
        name.parse().ok()
    }
}

#[cfg(test)]
mod tests {
    use crm_core::{DealStage, LifecycleStage, TicketStatus};

    use crate::validation::validate;
    use crate::{CUSTOMER_LIFECYCLE, DEAL_PIPELINE, TICKET_WORKFLOW};

    /// Every built-in machine is valid, its states are its whole vocabulary, and every row of
    /// its table is a transition of the compiled machine.
    #[test]
    fn built_in_machines_are_valid_and_complete() {
        fn check<S: Copy + PartialEq + std::str::FromStr + std::fmt::Debug>(
            builtin: &super::BuiltinMachine<S>,
            all: &[S],
            as_str: fn(S) -> &'static str,
        ) {
            let def = builtin.definition();
            assert_eq!(validate(&def), vec![], "{}", builtin.name());
            let m = builtin.machine();
            assert_eq!(m.name(), builtin.name());
            let names: Vec<&str> = all.iter().map(|&s| as_str(s)).collect();
            assert_eq!(m.states().collect::<Vec<_>>(), names);
            for &s in all {
                assert_eq!(builtin.state(as_str(s)), Some(s));
            }
            for &(from, event, to) in builtin.transitions() {
                assert_eq!(m.next_state(as_str(from), event), Some(as_str(to)));
                assert_eq!(builtin.event_to(from, to), Some(event));
            }
            assert_eq!(
                m.definition().transitions.len(),
                builtin.transitions().len()
            );
        }
        check(
            &CUSTOMER_LIFECYCLE,
            LifecycleStage::ALL,
            LifecycleStage::as_str,
        );
        check(&TICKET_WORKFLOW, TicketStatus::ALL, TicketStatus::as_str);
        check(&DEAL_PIPELINE, DealStage::ALL, DealStage::as_str);
    }

    #[test]
    fn debug_names_the_machine() {
        let text = format!("{TICKET_WORKFLOW:?}");
        assert!(
            text.starts_with("BuiltinMachine { name: \"ticket\""),
            "{text}"
        );
        assert!(text.contains("Solved, \"reopen\", Open"), "{text}");
    }
}
