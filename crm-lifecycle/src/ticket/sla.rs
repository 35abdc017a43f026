//! Service-level agreements for tickets: targets per priority, a pausable clock, optional
//! business hours, per-ticket status and per-batch breach rates.

use std::collections::BTreeMap;

use chrono::{DateTime, TimeDelta, Utc};
use crm_core::{Ticket, TicketCategory, TicketId, TicketPriority, TicketStatus, UserId};
use serde::{Deserialize, Serialize};
use statrs::statistics::{Data, Median};

use super::calendar::BusinessCalendar;
use crate::instance::Instance;

/// Targets for one priority, in minutes of SLA clock.
///
/// ```
/// use chrono::TimeDelta;
/// use crm_lifecycle::SlaTarget;
/// let t = SlaTarget::hours(1, 4);
/// assert_eq!(t.first_response(), TimeDelta::hours(1));
/// assert_eq!(t.resolution(), TimeDelta::hours(4));
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct SlaTarget {
    /// Minutes until the first agent response.
    pub first_response_minutes: u32,
    /// Minutes until the ticket is solved.
    pub resolution_minutes: u32,
}

impl SlaTarget {
    /// Targets given in whole hours.
    ///
    /// ```
    /// use crm_lifecycle::SlaTarget;
    /// assert_eq!(SlaTarget::hours(8, 72).resolution_minutes, 72 * 60);
    /// ```
    pub fn hours(first_response: u32, resolution: u32) -> Self {
        Self {
            first_response_minutes: first_response.saturating_mul(60),
            resolution_minutes: resolution.saturating_mul(60),
        }
    }

    /// The first-response target.
    ///
    /// ```
    /// use chrono::TimeDelta;
    /// use crm_lifecycle::SlaTarget;
    /// let t = SlaTarget { first_response_minutes: 30, resolution_minutes: 240 };
    /// assert_eq!(t.first_response(), TimeDelta::minutes(30));
    /// ```
    pub fn first_response(&self) -> TimeDelta {
        TimeDelta::minutes(i64::from(self.first_response_minutes))
    }

    /// The resolution target.
    ///
    /// ```
    /// use chrono::TimeDelta;
    /// use crm_lifecycle::SlaTarget;
    /// assert_eq!(SlaTarget::hours(1, 4).resolution(), TimeDelta::hours(4));
    /// ```
    pub fn resolution(&self) -> TimeDelta {
        TimeDelta::minutes(i64::from(self.resolution_minutes))
    }
}

/// Why a ticket could not be measured.
///
/// ```
/// use crm_lifecycle::SlaError;
/// let e = SlaError::WrongMachine { ticket: "T-1".into(), machine: "deal".into() };
/// assert!(e.to_string().contains("T-1"));
/// ```
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, thiserror::Error)]
#[non_exhaustive]
pub enum SlaError {
    /// The workflow instance is not a ticket workflow.
    #[error("ticket {ticket}: workflow belongs to machine {machine:?}, not \"ticket\"")]
    WrongMachine {
        /// The ticket's id.
        ticket: String,
        /// The workflow's machine.
        machine: String,
    },
    /// The workflow visits a state that is not a ticket status.
    #[error("ticket {ticket}: workflow state {state:?} is not a ticket status")]
    UnknownState {
        /// The ticket's id.
        ticket: String,
        /// The state.
        state: String,
    },
    /// The ticket's status and its workflow's current state disagree.
    #[error("ticket {ticket}: status is {status:?} but the workflow is in {state:?}")]
    StatusMismatch {
        /// The ticket's id.
        ticket: String,
        /// The ticket's status.
        status: String,
        /// The workflow's state.
        state: String,
    },
}

/// SLA targets per priority, the paused states and an optional business-hours calendar.
///
/// The SLA clock of a ticket starts at `created_at` and runs while the ticket's workflow
/// ([`TICKET_WORKFLOW`](crate::TICKET_WORKFLOW)) is in `new` or `open`. It is **paused** while the ticket is in
/// one of the policy's paused states (by default `pending` and `on_hold`) and **stopped**
/// while it is `solved` or `closed`; a reopened ticket's clock runs again. With a
/// [`BusinessCalendar`] only working hours count.
///
/// * First response: the clock from creation until `first_response_at` (or until now).
/// * Resolution: the clock from creation until now; the ticket is resolved when its workflow
///   is in `solved` or `closed`, and the clock has stopped then.
///
/// A measure is breached when its elapsed clock exceeds the target; the remaining time is the
/// target minus the elapsed clock (negative when overdue).
///
/// ```
/// use chrono::{TimeDelta, TimeZone, Utc};
/// use crm_core::{Channel, Ticket, TicketCategory, TicketPriority};
/// use crm_lifecycle::Instance;
/// use crm_lifecycle::{SlaPolicy, TICKET_WORKFLOW};
///
/// let m = TICKET_WORKFLOW.machine();
/// let t0 = Utc.with_ymd_and_hms(2024, 3, 4, 9, 0, 0).unwrap();
/// let mut t = Ticket::new("T-1".parse()?, "C-1".parse()?, TicketCategory::Incident, Channel::Email, t0);
/// t.priority = TicketPriority::Urgent; // 1 h first response, 4 h resolution by default
/// t.first_response_at = Some(t0 + TimeDelta::minutes(20));
/// let mut flow = Instance::new(&m, t0);
/// flow.fire(&m, "assign", t0 + TimeDelta::minutes(20), None)?;
/// flow.fire(&m, "wait_on_customer", t0 + TimeDelta::hours(1), None)?; // clock paused
/// flow.fire(&m, "customer_reply", t0 + TimeDelta::hours(6), None)?;
/// t.status = crm_core::TicketStatus::Open;
///
/// let sla = SlaPolicy::default().evaluate(&t, &flow, t0 + TimeDelta::hours(7))?;
/// assert!(!sla.first_response.breached);
/// assert_eq!(sla.resolution.elapsed(), TimeDelta::hours(2)); // 1 h before + 1 h after pending
/// assert_eq!(sla.resolution.remaining(), TimeDelta::hours(2));
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
///
/// The defaults follow common help-desk practice: urgent 1 h / 4 h, high 4 h / 24 h,
/// normal 8 h / 72 h, low 24 h / 168 h (first response / resolution), clock paused in
/// `pending` and `on_hold`, counted around the clock.
///
/// ```
/// use crm_core::TicketPriority;
/// use crm_lifecycle::{SlaPolicy, SlaTarget};
/// let p = SlaPolicy::default();
/// assert_eq!(p.target(TicketPriority::Urgent), SlaTarget::hours(1, 4));
/// let json = serde_json::to_string(&p).unwrap();
/// assert_eq!(serde_json::from_str::<SlaPolicy>(&json).unwrap(), p);
/// ```
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default)]
pub struct SlaPolicy {
    /// Targets for [`TicketPriority::Low`].
    pub low: SlaTarget,
    /// Targets for [`TicketPriority::Normal`].
    pub normal: SlaTarget,
    /// Targets for [`TicketPriority::High`].
    pub high: SlaTarget,
    /// Targets for [`TicketPriority::Urgent`].
    pub urgent: SlaTarget,
    /// Statuses in which the clock is paused.
    pub paused: Vec<TicketStatus>,
    /// Working hours; `None` counts every hour.
    pub calendar: Option<BusinessCalendar>,
}

impl Default for SlaPolicy {
    fn default() -> Self {
        Self {
            low: SlaTarget::hours(24, 168),
            normal: SlaTarget::hours(8, 72),
            high: SlaTarget::hours(4, 24),
            urgent: SlaTarget::hours(1, 4),
            paused: vec![TicketStatus::Pending, TicketStatus::OnHold],
            calendar: None,
        }
    }
}

/// One SLA measure (first response or resolution) of one ticket.
///
/// ```
/// use chrono::TimeDelta;
/// use crm_lifecycle::SlaMeasure;
/// let m = SlaMeasure { target_seconds: 3600, elapsed_seconds: 4500, achieved: false, breached: true };
/// assert_eq!(m.remaining(), TimeDelta::seconds(-900));
/// assert_eq!(m.overdue(), TimeDelta::seconds(900));
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct SlaMeasure {
    /// The target, in seconds of SLA clock.
    pub target_seconds: i64,
    /// The SLA clock so far (or until the measure was achieved), in seconds.
    pub elapsed_seconds: i64,
    /// Whether the measure has been achieved (first response given, ticket solved).
    pub achieved: bool,
    /// Whether the elapsed clock exceeds the target.
    pub breached: bool,
}

impl SlaMeasure {
    fn new(target: TimeDelta, elapsed: TimeDelta, achieved: bool) -> Self {
        Self {
            target_seconds: target.num_seconds(),
            elapsed_seconds: elapsed.num_seconds(),
            achieved,
            breached: elapsed > target,
        }
    }

    /// The target.
    ///
    /// ```
    /// use chrono::TimeDelta;
    /// use crm_lifecycle::SlaMeasure;
    /// let m = SlaMeasure { target_seconds: 60, elapsed_seconds: 0, achieved: false, breached: false };
    /// assert_eq!(m.target(), TimeDelta::minutes(1));
    /// ```
    pub fn target(&self) -> TimeDelta {
        TimeDelta::seconds(self.target_seconds)
    }

    /// The elapsed SLA clock.
    ///
    /// ```
    /// use chrono::TimeDelta;
    /// use crm_lifecycle::SlaMeasure;
    /// let m = SlaMeasure { target_seconds: 60, elapsed_seconds: 30, achieved: false, breached: false };
    /// assert_eq!(m.elapsed(), TimeDelta::seconds(30));
    /// ```
    pub fn elapsed(&self) -> TimeDelta {
        TimeDelta::seconds(self.elapsed_seconds)
    }

    /// Target minus elapsed clock: negative when overdue.
    ///
    /// ```
    /// use chrono::TimeDelta;
    /// use crm_lifecycle::SlaMeasure;
    /// let m = SlaMeasure { target_seconds: 60, elapsed_seconds: 45, achieved: false, breached: false };
    /// assert_eq!(m.remaining(), TimeDelta::seconds(15));
    /// ```
    pub fn remaining(&self) -> TimeDelta {
        self.target() - self.elapsed()
    }

    /// How far past the target the clock is (zero when not overdue).
    ///
    /// ```
    /// use chrono::TimeDelta;
    /// use crm_lifecycle::SlaMeasure;
    /// let m = SlaMeasure { target_seconds: 60, elapsed_seconds: 45, achieved: true, breached: false };
    /// assert_eq!(m.overdue(), TimeDelta::zero());
    /// ```
    pub fn overdue(&self) -> TimeDelta {
        (self.elapsed() - self.target()).max(TimeDelta::zero())
    }
}

/// The SLA status of one ticket.
///
/// ```
/// use chrono::{TimeDelta, TimeZone, Utc};
/// use crm_core::{Channel, Ticket, TicketCategory};
/// use crm_lifecycle::{Instance, SlaPolicy, TICKET_WORKFLOW};
/// let m = TICKET_WORKFLOW.machine();
/// let t0 = Utc.with_ymd_and_hms(2024, 1, 1, 0, 0, 0).unwrap();
/// let t = Ticket::new("T-2".parse()?, "C-1".parse()?, TicketCategory::Question, Channel::Chat, t0);
/// let sla = SlaPolicy::default().evaluate(&t, &Instance::new(&m, t0), t0 + TimeDelta::hours(9))?;
/// assert!(sla.first_response.breached); // normal priority: 8 h
/// assert!(sla.breached());
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct TicketSla {
    /// The ticket.
    pub ticket: TicketId,
    /// Its priority.
    pub priority: TicketPriority,
    /// Its category.
    pub category: TicketCategory,
    /// The assigned agent.
    pub agent: Option<UserId>,
    /// First-response measure.
    pub first_response: SlaMeasure,
    /// Resolution measure.
    pub resolution: SlaMeasure,
}

impl TicketSla {
    /// Whether either measure is breached.
    ///
    /// ```
    /// # use crm_lifecycle::*;
    /// # use crm_core::*;
    /// let ok = SlaMeasure { target_seconds: 10, elapsed_seconds: 5, achieved: true, breached: false };
    /// let bad = SlaMeasure { breached: true, ..ok };
    /// let s = TicketSla { ticket: "T-1".parse().unwrap(), priority: TicketPriority::Low,
    ///     category: TicketCategory::Question, agent: None, first_response: ok, resolution: bad };
    /// assert!(s.breached());
    /// ```
    pub fn breached(&self) -> bool {
        self.first_response.breached || self.resolution.breached
    }
}

/// Tickets and breached tickets in one group.
///
/// ```
/// use crm_lifecycle::BreachRate;
/// let r = BreachRate { tickets: 4, breached: 1 };
/// assert_eq!(r.rate(), Some(0.25));
/// assert_eq!(BreachRate::default().rate(), None);
/// ```
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct BreachRate {
    /// Tickets in the group.
    pub tickets: usize,
    /// Tickets with at least one breached measure.
    pub breached: usize,
}

impl BreachRate {
    /// `breached / tickets`, `None` for an empty group.
    ///
    /// ```
    /// use crm_lifecycle::BreachRate;
    /// assert_eq!(BreachRate { tickets: 2, breached: 2 }.rate(), Some(1.0));
    /// ```
    pub fn rate(&self) -> Option<f64> {
        (self.tickets > 0).then(|| self.breached as f64 / self.tickets as f64)
    }

    fn add(&mut self, breached: bool) {
        self.tickets += 1;
        self.breached += usize::from(breached);
    }
}

/// Key used in [`SlaReport::by_agent`] for tickets without an assignee.
pub const UNASSIGNED_AGENT: &str = "(unassigned)";

/// SLA figures over a batch of tickets.
///
/// ```
/// use crm_lifecycle::SlaReport;
/// let r = SlaReport::from_tickets(&[]);
/// assert_eq!(r.overall.tickets, 0);
/// assert_eq!(r.median_first_response_seconds, None);
/// ```
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct SlaReport {
    /// All tickets.
    pub overall: BreachRate,
    /// By priority name.
    pub by_priority: BTreeMap<String, BreachRate>,
    /// By assigned agent ([`UNASSIGNED_AGENT`] for none).
    pub by_agent: BTreeMap<String, BreachRate>,
    /// By category name.
    pub by_category: BTreeMap<String, BreachRate>,
    /// Median SLA-clock time to first response, over tickets that got one.
    pub median_first_response_seconds: Option<f64>,
    /// Median SLA-clock time to resolution, over solved or closed tickets.
    pub median_resolution_seconds: Option<f64>,
}

fn median(values: Vec<f64>) -> Option<f64> {
    (!values.is_empty()).then(|| Data::new(values).median())
}

impl SlaReport {
    /// Aggregates per-ticket results.
    ///
    /// ```
    /// # use crm_lifecycle::*;
    /// # use crm_core::*;
    /// let m = |e, b| SlaMeasure { target_seconds: 100, elapsed_seconds: e, achieved: true, breached: b };
    /// let t = |id: &str, fr, res| TicketSla { ticket: id.parse().unwrap(), priority: TicketPriority::High,
    ///     category: TicketCategory::Incident, agent: None, first_response: fr, resolution: res };
    /// let r = SlaReport::from_tickets(&[t("T-1", m(10, false), m(50, false)), t("T-2", m(30, false), m(150, true))]);
    /// assert_eq!(r.by_priority["high"], BreachRate { tickets: 2, breached: 1 });
    /// assert_eq!(r.median_first_response_seconds, Some(20.0));
    /// assert_eq!(r.median_resolution_seconds, Some(100.0));
    /// ```
    pub fn from_tickets(tickets: &[TicketSla]) -> Self {
        let mut report = Self::default();
        let mut first = Vec::new();
        let mut resolution = Vec::new();
        for t in tickets {
            let breached = t.breached();
            report.overall.add(breached);
            report
                .by_priority
                .entry(t.priority.as_str().to_string())
                .or_default()
                .add(breached);
            report
                .by_category
                .entry(t.category.as_str().to_string())
                .or_default()
                .add(breached);
            let agent = t
                .agent
                .as_ref()
                .map_or_else(|| UNASSIGNED_AGENT.to_string(), ToString::to_string);
            report.by_agent.entry(agent).or_default().add(breached);
            if t.first_response.achieved {
                first.push(t.first_response.elapsed_seconds as f64);
            }
            if t.resolution.achieved {
                resolution.push(t.resolution.elapsed_seconds as f64);
            }
        }
        report.median_first_response_seconds = median(first);
        report.median_resolution_seconds = median(resolution);
        report
    }
}

impl SlaPolicy {
    /// The targets for a priority.
    ///
    /// ```
    /// use crm_core::TicketPriority;
    /// use crm_lifecycle::{SlaPolicy, SlaTarget};
    /// assert_eq!(SlaPolicy::default().target(TicketPriority::Low), SlaTarget::hours(24, 168));
    /// ```
    pub fn target(&self, priority: TicketPriority) -> SlaTarget {
        match priority {
            TicketPriority::Low => self.low,
            TicketPriority::Normal => self.normal,
            TicketPriority::High => self.high,
            TicketPriority::Urgent => self.urgent,
        }
    }

    /// The same policy measured in working hours of `calendar`.
    ///
    /// ```
    /// use chrono::NaiveTime;
    /// use crm_lifecycle::{BusinessCalendar, SlaPolicy};
    /// let t = |h| NaiveTime::from_hms_opt(h, 0, 0).unwrap();
    /// let p = SlaPolicy::default().with_calendar(BusinessCalendar::weekdays(chrono_tz::UTC, t(9), t(17))?);
    /// assert!(p.calendar.is_some());
    /// # Ok::<(), crm_lifecycle::CalendarError>(())
    /// ```
    pub fn with_calendar(mut self, calendar: BusinessCalendar) -> Self {
        self.calendar = Some(calendar);
        self
    }

    fn measure(&self, from: DateTime<Utc>, to: DateTime<Utc>) -> TimeDelta {
        match &self.calendar {
            Some(cal) => cal.working_time(from, to),
            None => (to - from).max(TimeDelta::zero()),
        }
    }

    /// The SLA clock of a workflow between `start` and `until`: running time in statuses that
    /// are neither paused nor solved/closed.
    ///
    /// ```
    /// use chrono::{TimeDelta, TimeZone, Utc};
    /// use crm_lifecycle::{Instance, SlaPolicy, TICKET_WORKFLOW};
    /// let m = TICKET_WORKFLOW.machine();
    /// let t0 = Utc.timestamp_opt(0, 0).unwrap();
    /// let mut flow = Instance::new(&m, t0);
    /// flow.fire(&m, "hold", t0 + TimeDelta::minutes(10), None)?;
    /// flow.fire(&m, "resume", t0 + TimeDelta::minutes(50), None)?;
    /// let clock = SlaPolicy::default().clock(&flow, t0, t0 + TimeDelta::minutes(60)).unwrap();
    /// assert_eq!(clock, TimeDelta::minutes(20));
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn clock(
        &self,
        workflow: &Instance,
        start: DateTime<Utc>,
        until: DateTime<Utc>,
    ) -> Result<TimeDelta, SlaError> {
        self.clock_for("", workflow, start, until)
    }

    fn clock_for(
        &self,
        ticket: &str,
        workflow: &Instance,
        start: DateTime<Utc>,
        until: DateTime<Utc>,
    ) -> Result<TimeDelta, SlaError> {
        if workflow.machine() != super::TICKET_WORKFLOW.name() {
            return Err(SlaError::WrongMachine {
                ticket: ticket.to_string(),
                machine: workflow.machine().to_string(),
            });
        }
        let mut total = TimeDelta::zero();
        for stay in workflow.stays() {
            let status = super::TICKET_WORKFLOW.state(&stay.state).ok_or_else(|| {
                SlaError::UnknownState {
                    ticket: ticket.to_string(),
                    state: stay.state.to_string(),
                }
            })?;
            let running = !self.paused.contains(&status)
                && !matches!(status, TicketStatus::Solved | TicketStatus::Closed);
            if !running {
                continue;
            }
            let from = stay.entered.max(start);
            let to = stay.left.unwrap_or(until).min(until);
            if to > from {
                total += self.measure(from, to);
            }
        }
        Ok(total)
    }

    /// The SLA status of one ticket at `now`, from the ticket and its workflow instance.
    ///
    /// See [`SlaPolicy`] for the clock rules and an example.
    pub fn evaluate(
        &self,
        ticket: &Ticket,
        workflow: &Instance,
        now: DateTime<Utc>,
    ) -> Result<TicketSla, SlaError> {
        let id = ticket.id.to_string();
        if workflow.state() != ticket.status.as_str()
            && workflow.machine() == super::TICKET_WORKFLOW.name()
        {
            return Err(SlaError::StatusMismatch {
                ticket: id,
                status: ticket.status.as_str().to_string(),
                state: workflow.state().to_string(),
            });
        }
        let target = self.target(ticket.priority);
        let responded = ticket.first_response_at.filter(|t| *t <= now);
        let first_elapsed =
            self.clock_for(&id, workflow, ticket.created_at, responded.unwrap_or(now))?;
        let resolution_elapsed = self.clock_for(&id, workflow, ticket.created_at, now)?;
        let resolved = matches!(ticket.status, TicketStatus::Solved | TicketStatus::Closed);
        Ok(TicketSla {
            ticket: ticket.id.clone(),
            priority: ticket.priority,
            category: ticket.category,
            agent: ticket.assignee.clone(),
            first_response: SlaMeasure::new(
                target.first_response(),
                first_elapsed,
                responded.is_some(),
            ),
            resolution: SlaMeasure::new(target.resolution(), resolution_elapsed, resolved),
        })
    }

    /// Evaluates a batch of `(ticket, workflow)` pairs and aggregates them; the first ticket
    /// that cannot be measured is reported by id.
    ///
    /// ```
    /// use chrono::{TimeDelta, TimeZone, Utc};
    /// use crm_core::{Channel, Ticket, TicketCategory};
    /// use crm_lifecycle::{Instance, SlaPolicy, TICKET_WORKFLOW};
    /// let m = TICKET_WORKFLOW.machine();
    /// let t0 = Utc.with_ymd_and_hms(2024, 1, 1, 0, 0, 0).unwrap();
    /// let t = Ticket::new("T-3".parse()?, "C-1".parse()?, TicketCategory::Request, Channel::Web, t0);
    /// let flow = Instance::new(&m, t0);
    /// let report = SlaPolicy::default().report([(&t, &flow)], t0 + TimeDelta::hours(1))?;
    /// assert_eq!(report.by_category["request"].breached, 0);
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn report<'a>(
        &self,
        tickets: impl IntoIterator<Item = (&'a Ticket, &'a Instance)>,
        now: DateTime<Utc>,
    ) -> Result<SlaReport, SlaError> {
        let results = tickets
            .into_iter()
            .map(|(t, w)| self.evaluate(t, w, now))
            .collect::<Result<Vec<_>, _>>()?;
        Ok(SlaReport::from_tickets(&results))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::machine::Machine;
    use crate::ticket::calendar::BusinessCalendar;
    use chrono::{NaiveTime, TimeZone};
    use chrono_tz::Europe::Berlin;
    use crm_core::Channel;

    fn ticket(id: &str, priority: TicketPriority, created: DateTime<Utc>) -> Ticket {
        let mut t = Ticket::new(
            id.parse().unwrap(),
            "C-1".parse().unwrap(),
            TicketCategory::Incident,
            Channel::Email,
            created,
        );
        t.priority = priority;
        t
    }

    fn run(m: &Machine, start: DateTime<Utc>, steps: &[(&str, DateTime<Utc>)]) -> Instance {
        let mut flow = Instance::new(m, start);
        for (event, at) in steps {
            flow.fire(m, event, *at, None).unwrap();
        }
        flow
    }

    fn utc(d: u32, h: u32, mi: u32) -> DateTime<Utc> {
        Utc.with_ymd_and_hms(2024, 3, d, h, mi, 0).unwrap()
    }

    /// March 2024, Berlin time.
    fn b(d: u32, h: u32, mi: u32) -> DateTime<Utc> {
        Berlin
            .with_ymd_and_hms(2024, 3, d, h, mi, 0)
            .unwrap()
            .to_utc()
    }

    /// Mon-Fri 09:00-17:00, Berlin.
    fn berlin_office_hours() -> BusinessCalendar {
        BusinessCalendar::weekdays(
            Berlin,
            NaiveTime::from_hms_opt(9, 0, 0).unwrap(),
            NaiveTime::from_hms_opt(17, 0, 0).unwrap(),
        )
        .unwrap()
    }

    /// Hand-computed: created 09:00, open 09:30, pending 10:00-13:00, open 13:00-14:00,
    /// on hold 14:00-16:00, open 16:00-17:00, solved 17:00. Running: 09:00-10:00,
    /// 13:00-14:00, 16:00-17:00 = 3 h.
    #[test]
    fn clock_pauses_in_pending_and_on_hold() {
        let m = crate::TICKET_WORKFLOW.machine();
        let flow = run(
            &m,
            utc(4, 9, 0),
            &[
                ("assign", utc(4, 9, 30)),
                ("wait_on_customer", utc(4, 10, 0)),
                ("customer_reply", utc(4, 13, 0)),
                ("hold", utc(4, 14, 0)),
                ("resume", utc(4, 16, 0)),
                ("solve", utc(4, 17, 0)),
            ],
        );
        let mut t = ticket("T-1", TicketPriority::Urgent, utc(4, 9, 0));
        t.status = TicketStatus::Solved;
        t.first_response_at = Some(utc(4, 9, 30));
        let policy = SlaPolicy::default();
        let sla = policy.evaluate(&t, &flow, utc(5, 12, 0)).unwrap();
        assert_eq!(sla.first_response.elapsed(), TimeDelta::minutes(30));
        assert!(!sla.first_response.breached);
        assert_eq!(sla.resolution.elapsed(), TimeDelta::hours(3));
        assert!(sla.resolution.achieved);
        assert!(!sla.resolution.breached); // urgent: 4 h
        assert_eq!(sla.resolution.remaining(), TimeDelta::hours(1));
        // Without pauses the same ticket would have taken 8 h and breached.
        let no_pause = SlaPolicy {
            paused: vec![],
            ..SlaPolicy::default()
        };
        let sla = no_pause.evaluate(&t, &flow, utc(5, 12, 0)).unwrap();
        assert_eq!(sla.resolution.elapsed(), TimeDelta::hours(8));
        assert!(sla.resolution.breached);
        assert_eq!(sla.resolution.overdue(), TimeDelta::hours(4));
    }

    /// Reopening restarts the clock: created 08:00, solved 09:00, reopened 12:00,
    /// solved again 13:30: 1 h + 1.5 h = 2.5 h, while the gap in `solved` does not count.
    #[test]
    fn reopen_resumes_the_clock() {
        let m = crate::TICKET_WORKFLOW.machine();
        let flow = run(
            &m,
            utc(4, 8, 0),
            &[
                ("solve", utc(4, 9, 0)),
                ("reopen", utc(4, 12, 0)),
                ("solve", utc(4, 13, 30)),
            ],
        );
        let mut t = ticket("T-2", TicketPriority::Urgent, utc(4, 8, 0));
        t.status = TicketStatus::Solved;
        let sla = SlaPolicy::default()
            .evaluate(&t, &flow, utc(4, 18, 0))
            .unwrap();
        assert_eq!(sla.resolution.elapsed(), TimeDelta::minutes(150));
        // no first response recorded: the clock runs to now, paused only while solved
        assert_eq!(sla.first_response.elapsed(), TimeDelta::minutes(150));
        assert!(!sla.first_response.achieved);
        assert!(sla.first_response.breached);
    }

    /// Business hours Mon-Fri 09:00-17:00 Berlin. Created Friday 2024-03-08 15:00 local,
    /// first response Monday 09:30, pending Monday 10:00-11:00, solved Monday 12:00;
    /// checked on Tuesday.
    /// First response: Fri 15:00-17:00 (2 h) + Mon 09:00-09:30 = 2 h 30 min.
    /// Resolution: Fri 2 h + Mon 09:00-10:00 (1 h) + Mon 11:00-12:00 (1 h) = 4 h.
    #[test]
    fn business_hours_skip_the_weekend() {
        let m = crate::TICKET_WORKFLOW.machine();
        let flow = run(
            &m,
            b(8, 15, 0),
            &[
                ("assign", b(11, 9, 30)),
                ("wait_on_customer", b(11, 10, 0)),
                ("customer_reply", b(11, 11, 0)),
                ("solve", b(11, 12, 0)),
            ],
        );
        let mut t = ticket("T-3", TicketPriority::High, b(8, 15, 0));
        t.status = TicketStatus::Solved;
        t.first_response_at = Some(b(11, 9, 30));
        let cal = berlin_office_hours();
        let policy = SlaPolicy::default().with_calendar(cal.clone());
        let sla = policy.evaluate(&t, &flow, b(12, 10, 0)).unwrap();
        assert_eq!(sla.first_response.elapsed(), TimeDelta::minutes(150));
        assert!(!sla.first_response.breached); // high: 4 h
        assert_eq!(sla.resolution.elapsed(), TimeDelta::hours(4));
        assert!(!sla.resolution.breached);
        // Monday is a holiday: everything moves to Tuesday, checked Tuesday 10:00.
        let policy = SlaPolicy::default().with_calendar(
            cal.with_holidays([chrono::NaiveDate::from_ymd_opt(2024, 3, 11).unwrap()]),
        );
        let mut open = ticket("T-4", TicketPriority::Urgent, b(8, 15, 0));
        open.status = TicketStatus::New;
        let flow = Instance::new(&m, b(8, 15, 0));
        let sla = policy.evaluate(&open, &flow, b(12, 10, 0)).unwrap();
        assert_eq!(sla.resolution.elapsed(), TimeDelta::hours(3)); // Fri 2 h + Tue 1 h
        assert!(!sla.resolution.breached);
        assert_eq!(sla.resolution.remaining(), TimeDelta::hours(1));
        assert!(sla.first_response.breached); // urgent: 1 h
    }

    /// Business hours Mon-Fri 09:00-17:00 Berlin, with both pauses spanning non-working
    /// time. Created Thursday 2024-03-07 14:00 local, first response 14:30, on hold Friday
    /// 10:00 until Monday 11:00 (over the weekend), pending Monday 15:00 until Tuesday
    /// 10:00 (over the night), solved Tuesday 12:00.
    /// Running working time: Thu 14:00-17:00 (3 h) + Fri 09:00-10:00 (1 h) +
    /// Mon 11:00-15:00 (4 h) + Tue 10:00-12:00 (2 h) = 10 h.
    /// Without the pauses: Thu 3 h + Fri 8 h + Mon 8 h + Tue 09:00-12:00 3 h = 22 h.
    /// With the pauses but in wall-clock time: Thu 14:00-Fri 10:00 (20 h) + 4 h + 2 h = 26 h.
    #[test]
    fn pauses_across_a_business_hours_weekend() {
        let m = crate::TICKET_WORKFLOW.machine();
        let flow = run(
            &m,
            b(7, 14, 0),
            &[
                ("assign", b(7, 14, 30)),
                ("hold", b(8, 10, 0)),
                ("resume", b(11, 11, 0)),
                ("wait_on_customer", b(11, 15, 0)),
                ("customer_reply", b(12, 10, 0)),
                ("solve", b(12, 12, 0)),
            ],
        );
        let mut t = ticket("T-5", TicketPriority::High, b(7, 14, 0));
        t.status = TicketStatus::Solved;
        t.first_response_at = Some(b(7, 14, 30));
        let cal = berlin_office_hours();
        let policy = SlaPolicy {
            high: SlaTarget::hours(4, 16),
            ..SlaPolicy::default()
        };
        let now = b(14, 12, 0);

        let business = policy.clone().with_calendar(cal.clone());
        let sla = business.evaluate(&t, &flow, now).unwrap();
        assert_eq!(sla.first_response.elapsed(), TimeDelta::minutes(30));
        assert_eq!(sla.resolution.elapsed(), TimeDelta::hours(10));
        assert!(sla.resolution.achieved && !sla.resolution.breached);
        assert_eq!(sla.resolution.remaining(), TimeDelta::hours(6));
        // The clock stopped at the solve: checking later changes nothing.
        assert_eq!(business.evaluate(&t, &flow, b(21, 12, 0)).unwrap(), sla);

        let unpaused = SlaPolicy {
            paused: vec![],
            ..policy.clone()
        }
        .with_calendar(cal);
        let sla = unpaused.evaluate(&t, &flow, now).unwrap();
        assert_eq!(sla.resolution.elapsed(), TimeDelta::hours(22));
        assert!(sla.resolution.breached);
        assert_eq!(sla.resolution.overdue(), TimeDelta::hours(6));

        let sla = policy.evaluate(&t, &flow, now).unwrap();
        assert_eq!(sla.resolution.elapsed(), TimeDelta::hours(26));
        assert_eq!(sla.resolution.overdue(), TimeDelta::hours(10));
    }

    #[test]
    fn batch_report_groups_and_medians() {
        let m = crate::TICKET_WORKFLOW.machine();
        let start = utc(4, 9, 0);
        let now = utc(4, 21, 0);
        let mut items = Vec::new();
        // (priority, agent, first response after minutes, solved after hours)
        let spec = [
            (TicketPriority::Urgent, Some("ann"), 30, Some(2)), // ok
            (TicketPriority::Urgent, Some("bob"), 90, Some(3)), // FR breached
            (TicketPriority::Normal, Some("ann"), 60, Some(10)), // ok (72 h)
            (TicketPriority::Normal, None, 600, None),          // FR breached (8 h), open
        ];
        for (i, (priority, agent, fr, solved)) in spec.iter().enumerate() {
            let mut t = ticket(&format!("T-{i}"), *priority, start);
            t.assignee = agent.map(|a| a.parse().unwrap());
            t.first_response_at = Some(start + TimeDelta::minutes(*fr));
            let mut flow = Instance::new(&m, start);
            if let Some(h) = solved {
                flow.fire(&m, "solve", start + TimeDelta::hours(*h), None)
                    .unwrap();
                t.status = TicketStatus::Solved;
            }
            items.push((t, flow));
        }
        let report = SlaPolicy::default()
            .report(items.iter().map(|(t, f)| (t, f)), now)
            .unwrap();
        assert_eq!(
            report.overall,
            BreachRate {
                tickets: 4,
                breached: 2
            }
        );
        assert_eq!(
            report.by_priority["urgent"],
            BreachRate {
                tickets: 2,
                breached: 1
            }
        );
        assert_eq!(
            report.by_priority["normal"],
            BreachRate {
                tickets: 2,
                breached: 1
            }
        );
        assert_eq!(
            report.by_agent["ann"],
            BreachRate {
                tickets: 2,
                breached: 0
            }
        );
        assert_eq!(
            report.by_agent["bob"],
            BreachRate {
                tickets: 1,
                breached: 1
            }
        );
        assert_eq!(
            report.by_agent[UNASSIGNED_AGENT],
            BreachRate {
                tickets: 1,
                breached: 1
            }
        );
        assert_eq!(report.by_category["incident"].tickets, 4);
        // first responses 30, 90, 60, 600 min -> median 75 min
        assert_eq!(report.median_first_response_seconds, Some(75.0 * 60.0));
        // resolutions 2, 3, 10 h -> median 3 h
        assert_eq!(report.median_resolution_seconds, Some(3.0 * 3600.0));
    }

    #[test]
    fn inconsistent_inputs_are_typed_errors() {
        let m = crate::TICKET_WORKFLOW.machine();
        let t0 = utc(4, 9, 0);
        let mut t = ticket("T-9", TicketPriority::Low, t0);
        t.status = TicketStatus::Open;
        let err = SlaPolicy::default()
            .evaluate(&t, &Instance::new(&m, t0), t0)
            .unwrap_err();
        assert_eq!(
            err.to_string(),
            "ticket T-9: status is \"open\" but the workflow is in \"new\""
        );
        let deal = crate::DEAL_PIPELINE.machine();
        let err = SlaPolicy::default()
            .evaluate(&t, &Instance::new(&deal, t0), t0)
            .unwrap_err();
        assert!(matches!(err, SlaError::WrongMachine { .. }));
    }
}
