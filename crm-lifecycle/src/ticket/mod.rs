//! The ticket workflow of a help desk, with SLA policies and business-hours calendars.

pub mod calendar;
pub mod sla;

use crm_core::TicketStatus;

use crate::builtin::BuiltinMachine;

/// The ticket workflow of a help desk, over the [`TicketStatus`] names: `new → open →
/// pending / on_hold → solved → closed`, with `reopen` from `solved`. `closed` is terminal;
/// `solved` is not (it can be reopened or closed). The transitions, by state:
///
/// | from | event → to |
/// |---|---|
/// | `new` | `assign` → open, `wait_on_customer` → pending, `hold` → on_hold, `solve` → solved |
/// | `open` | `wait_on_customer` → pending, `hold` → on_hold, `solve` → solved |
/// | `pending` | `customer_reply` → open, `hold` → on_hold, `solve` → solved |
/// | `on_hold` | `resume` → open, `wait_on_customer` → pending, `solve` → solved |
/// | `solved` | `reopen` → open, `close` → closed |
///
/// SLA measurement: [`SlaPolicy`](crate::SlaPolicy); business hours:
/// [`BusinessCalendar`](crate::BusinessCalendar).
///
/// ```
/// use crm_core::TicketStatus;
/// use crm_lifecycle::TICKET_WORKFLOW;
/// let m = TICKET_WORKFLOW.machine();
/// assert_eq!(m.next_state(TicketStatus::Solved.as_str(), "reopen"), Some("open"));
/// assert_eq!(
///     TICKET_WORKFLOW.event_to(TicketStatus::Pending, TicketStatus::Open),
///     Some("customer_reply")
/// );
/// ```
pub const TICKET_WORKFLOW: BuiltinMachine<TicketStatus> = {
    use TicketStatus::*;
    BuiltinMachine {
        name: "ticket",
        states: TicketStatus::ALL,
        initial: New,
        terminal: &[Closed],
        reopenable: &[],
        transitions: &[
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
        ],
        as_str: TicketStatus::as_str,
    }
};

#[cfg(test)]
mod tests {
    use super::*;
    use crate::validation::validate;
    use TicketStatus::*;

    #[test]
    fn workflow_is_valid() {
        assert_eq!(validate(&TICKET_WORKFLOW.definition()), vec![]);
    }

    #[test]
    fn rules() {
        let m = TICKET_WORKFLOW.machine();
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
            assert_eq!(TICKET_WORKFLOW.event_to(s, Closed), None);
            assert_eq!(m.next_state(s.as_str(), "close"), None);
        }
        assert_eq!(TICKET_WORKFLOW.event_to(Solved, Open), Some("reopen"));
        for (from, event, to) in TICKET_WORKFLOW.transitions() {
            assert_eq!(m.next_state(from.as_str(), event), Some(to.as_str()));
        }
    }
}
