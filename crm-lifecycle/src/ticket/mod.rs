//! The ticket workflow of a help desk, with SLA policies.
//!
//! States are the [`TicketStatus`] names: `new → open → pending / on_hold → solved → closed`,
//! with `reopen` from `solved`. `closed` is terminal; `solved` is not (it can be reopened or
//! closed). The transitions, by state:
//!
//! | from | event → to |
//! |---|---|
//! | `new` | `assign` → open, `wait_on_customer` → pending, `hold` → on_hold, `solve` → solved |
//! | `open` | `wait_on_customer` → pending, `hold` → on_hold, `solve` → solved |
//! | `pending` | `customer_reply` → open, `hold` → on_hold, `solve` → solved |
//! | `on_hold` | `resume` → open, `wait_on_customer` → pending, `solve` → solved |
//! | `solved` | `reopen` → open, `close` → closed |
//!
//! SLA measurement lives in [`sla`], the business-hours calendar in [`calendar`].
//!
//! ```
//! use crm_core::TicketStatus;
//! use crm_lifecycle::ticket;
//! let m = ticket::machine();
//! assert_eq!(m.next_state(TicketStatus::Solved.as_str(), "reopen"), Some("open"));
//! assert_eq!(ticket::event_to(TicketStatus::Pending, TicketStatus::Open), Some("customer_reply"));
//! ```

pub mod calendar;
pub mod sla;

use crm_core::TicketStatus;

use crate::definition::{MachineDefinition, TransitionDef};
use crate::machine::Machine;

/// The name of the ticket workflow machine.
pub const MACHINE_NAME: &str = "ticket";

const TRANSITIONS: &[(TicketStatus, &str, TicketStatus)] = {
    use TicketStatus::*;
    &[
        (New, "assign", Open),
        (New, "wait_on_customer", Pending),
        (New, "hold", OnHold),
        (New, "solve", Solved),
        (Open, "wait_on_customer", Pending),
        (Open, "hold", OnHold),
        (Open, "solve", Solved),
        (Pending, "customer_reply", Open),
        (Pending, "hold", OnHold),
        (Pending, "solve", Solved),
        (OnHold, "resume", Open),
        (OnHold, "wait_on_customer", Pending),
        (OnHold, "solve", Solved),
        (Solved, "reopen", Open),
        (Solved, "close", Closed),
    ]
};

/// The ticket workflow as data (serialize it with [`MachineDefinition::to_toml`] to start a
/// customized copy).
///
/// ```
/// use crm_lifecycle::ticket;
/// let def = ticket::definition();
/// assert_eq!(def.terminal, vec!["closed"]);
/// assert!(def.to_toml().contains("event = \"reopen\""));
/// ```
pub fn definition() -> MachineDefinition {
    let mut def = MachineDefinition::new(MACHINE_NAME, TicketStatus::New.as_str())
        .with_terminal(TicketStatus::Closed.as_str());
    def.states = TicketStatus::ALL
        .iter()
        .map(|s| s.as_str().to_string())
        .collect();
    def.transitions = TRANSITIONS
        .iter()
        .map(|(from, event, to)| TransitionDef::new(from.as_str(), *event, to.as_str()))
        .collect();
    def
}

/// The compiled ticket workflow.
///
/// ```
/// use crm_lifecycle::ticket;
/// assert_eq!(ticket::machine().next_state("on_hold", "resume"), Some("open"));
/// ```
pub fn machine() -> Machine {
    definition()
        .build()
        .expect("the built-in ticket workflow is valid (checked by its tests)")
}

/// The event that moves a ticket from one status to another, if the workflow allows it.
///
/// ```
/// use crm_core::TicketStatus::*;
/// use crm_lifecycle::ticket;
/// assert_eq!(ticket::event_to(New, Open), Some("assign"));
/// assert_eq!(ticket::event_to(Closed, Open), None);
/// ```
pub fn event_to(from: TicketStatus, to: TicketStatus) -> Option<&'static str> {
    TRANSITIONS
        .iter()
        .find(|(f, _, t)| *f == from && *t == to)
        .map(|(_, e, _)| *e)
}

/// The typed status of a workflow state name.
///
/// ```
/// use crm_core::TicketStatus;
/// use crm_lifecycle::ticket;
/// assert_eq!(ticket::status("on_hold"), Some(TicketStatus::OnHold));
/// assert_eq!(ticket::status("limbo"), None);
/// ```
pub fn status(state: &str) -> Option<TicketStatus> {
    state.parse().ok()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::validation::validate;
    use TicketStatus::*;

    #[test]
    fn workflow_is_valid() {
        assert_eq!(validate(&definition()), vec![]);
    }

    #[test]
    fn rules() {
        let m = machine();
        assert_eq!(m.initial(), "new");
        assert!(m.is_terminal("closed"));
        assert!(!m.is_terminal("solved"));
        // closed is final
        for event in m.events() {
            assert_eq!(m.next_state("closed", event), None, "{event}");
        }
        // pending and on_hold are reachable from open and lead back to open
        assert_eq!(m.next_state("open", "wait_on_customer"), Some("pending"));
        assert_eq!(m.next_state("open", "hold"), Some("on_hold"));
        assert_eq!(m.next_state("pending", "customer_reply"), Some("open"));
        assert_eq!(m.next_state("on_hold", "resume"), Some("open"));
        // a ticket must be solved before it is closed
        for s in [New, Open, Pending, OnHold] {
            assert_eq!(event_to(s, Closed), None);
            assert_eq!(m.next_state(s.as_str(), "close"), None);
        }
        assert_eq!(event_to(Solved, Open), Some("reopen"));
        for (from, event, to) in TRANSITIONS {
            assert_eq!(m.next_state(from.as_str(), event), Some(to.as_str()));
        }
    }
}
