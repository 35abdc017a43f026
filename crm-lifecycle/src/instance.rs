//! Running machines: instances, events, history, time in state and replay.

use std::collections::BTreeMap;
use std::sync::Arc;

use chrono::{DateTime, TimeDelta, Utc};
use serde::{Deserialize, Serialize};

use crate::guard::Guards;
use crate::machine::{EventId, Machine, StateId};

/// One recorded transition.
///
/// ```
/// use chrono::{TimeZone, Utc};
/// use crm_lifecycle::HistoryEntry;
/// let e = HistoryEntry::new("new", "open", "assign", Utc.timestamp_opt(0, 0).unwrap(), Some("ann"));
/// assert_eq!(&*e.to, "open");
/// assert_eq!(e.actor.as_deref(), Some("ann"));
/// ```
#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub struct HistoryEntry {
    /// The state left.
    pub from: Arc<str>,
    /// The state entered.
    pub to: Arc<str>,
    /// The event that caused the transition.
    pub event: Arc<str>,
    /// When the transition happened.
    pub at: DateTime<Utc>,
    /// Who caused it, if known.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub actor: Option<Arc<str>>,
}

impl HistoryEntry {
    /// A history entry from names.
    ///
    /// ```
    /// use chrono::Utc;
    /// use crm_lifecycle::HistoryEntry;
    /// let e = HistoryEntry::new("a", "b", "go", Utc::now(), None);
    /// assert_eq!(&*e.event, "go");
    /// ```
    pub fn new(from: &str, to: &str, event: &str, at: DateTime<Utc>, actor: Option<&str>) -> Self {
        Self {
            from: Arc::from(from),
            to: Arc::from(to),
            event: Arc::from(event),
            at,
            actor: actor.map(Arc::from),
        }
    }
}

/// One continuous stay in a state.
///
/// ```
/// use chrono::{TimeDelta, TimeZone, Utc};
/// use crm_lifecycle::Stay;
/// let s = Stay {
///     state: "open".into(),
///     entered: Utc.timestamp_opt(0, 0).unwrap(),
///     left: Some(Utc.timestamp_opt(60, 0).unwrap()),
/// };
/// assert_eq!(s.duration(Utc.timestamp_opt(1_000, 0).unwrap()), TimeDelta::seconds(60));
/// ```
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Stay {
    /// The state.
    pub state: Arc<str>,
    /// When the state was entered.
    pub entered: DateTime<Utc>,
    /// When it was left; `None` for the current state.
    pub left: Option<DateTime<Utc>>,
}

impl Stay {
    /// The length of the stay; an open stay runs until `now` (never negative).
    ///
    /// ```
    /// use chrono::{TimeDelta, TimeZone, Utc};
    /// use crm_lifecycle::Stay;
    /// let s = Stay { state: "a".into(), entered: Utc.timestamp_opt(100, 0).unwrap(), left: None };
    /// assert_eq!(s.duration(Utc.timestamp_opt(160, 0).unwrap()), TimeDelta::seconds(60));
    /// assert_eq!(s.duration(Utc.timestamp_opt(0, 0).unwrap()), TimeDelta::zero());
    /// ```
    pub fn duration(&self, now: DateTime<Utc>) -> TimeDelta {
        (self.left.unwrap_or(now) - self.entered).max(TimeDelta::zero())
    }
}

/// Why an event was rejected; the instance is unchanged.
///
/// ```
/// use crm_lifecycle::TransitionError;
/// let e = TransitionError::NoTransition {
///     machine: "ticket".into(), state: "closed".into(), event: "reopen".into(),
/// };
/// assert!(e.to_string().contains("\"closed\""));
/// ```
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, thiserror::Error)]
#[non_exhaustive]
pub enum TransitionError {
    /// The instance belongs to another machine.
    #[error("instance of machine {instance:?} cannot run on machine {machine:?}")]
    WrongMachine {
        /// The instance's machine name.
        instance: String,
        /// The machine it was run on.
        machine: String,
    },
    /// The instance's current state is not a state of the machine.
    #[error("machine {machine:?}: instance is in unknown state {state:?}")]
    UnknownState {
        /// The machine's name.
        machine: String,
        /// The state the instance claims to be in.
        state: String,
    },
    /// No transition leaves the current state on this event.
    #[error("machine {machine:?}: no transition from state {state:?} on event {event:?}")]
    NoTransition {
        /// The machine's name.
        machine: String,
        /// The current state.
        state: String,
        /// The event.
        event: String,
    },
    /// The transition's guard rejected the event.
    #[error("machine {machine:?}: guard {guard:?} rejected event {event:?} in state {state:?}")]
    GuardRejected {
        /// The machine's name.
        machine: String,
        /// The current state.
        state: String,
        /// The event.
        event: String,
        /// The guard.
        guard: String,
    },
    /// The transition names a guard the host did not supply.
    #[error(
        "machine {machine:?}: event {event:?} in state {state:?} needs guard {guard:?}, which was not supplied"
    )]
    MissingGuard {
        /// The machine's name.
        machine: String,
        /// The current state.
        state: String,
        /// The event.
        event: String,
        /// The guard.
        guard: String,
    },
    /// The event is dated before the instance's last recorded time.
    #[error(
        "machine {machine:?}: event {event:?} in state {state:?} at {at} is earlier than the last recorded time {last}"
    )]
    OutOfOrder {
        /// The machine's name.
        machine: String,
        /// The current state.
        state: String,
        /// The event.
        event: String,
        /// The event's time.
        at: DateTime<Utc>,
        /// The last recorded time.
        last: DateTime<Utc>,
    },
}

/// Why a history does not replay on a machine.
///
/// ```
/// use chrono::Utc;
/// use crm_lifecycle::{HistoryEntry, Instance};
/// use crm_lifecycle::TICKET_WORKFLOW;
/// let m = TICKET_WORKFLOW.machine();
/// let t = Utc::now();
/// let bad = [HistoryEntry::new("open", "solved", "solve", t, None)];
/// let err = Instance::replay(&m, t, &bad).unwrap_err();
/// assert_eq!(err.index, 0);
/// ```
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, thiserror::Error)]
#[error("history entry {index} ({from:?} --{event}--> {to:?}): {reason}")]
pub struct ReplayError {
    /// The position of the offending entry (equal to the history length when only the final
    /// state disagrees).
    pub index: usize,
    /// The entry's source state.
    pub from: String,
    /// The entry's event.
    pub event: String,
    /// The entry's target state.
    pub to: String,
    /// What is wrong with it.
    pub reason: String,
}

/// A running instance of a machine: current state plus history.
///
/// An [`Instance`] is plain serde data: the machine's name, the current state, the time the
/// instance started and its [`HistoryEntry`] list. Firing an event looks the transition up in
/// O(1), checks its guard (if any), appends `(from, to, event, time, actor)` to the history and
/// returns the new state. A rejected event is a [`TransitionError`] naming the state and the
/// event, and leaves the instance exactly as it was.
///
/// State and event names inside an instance are reference-counted strings shared with the
/// [`Machine`], so recording a transition allocates nothing but the history slot.
///
/// ```
/// use chrono::{TimeZone, Utc};
/// use crm_lifecycle::{Instance, TransitionError};
/// use crm_lifecycle::TICKET_WORKFLOW;
///
/// let machine = TICKET_WORKFLOW.machine();
/// let t0 = Utc.with_ymd_and_hms(2024, 3, 4, 9, 0, 0).unwrap();
/// let mut ticket = Instance::new(&machine, t0);
/// assert_eq!(ticket.fire(&machine, "assign", t0, Some("agent-7"))?, "open");
/// let err = ticket.fire(&machine, "close", t0, None).unwrap_err();
/// assert_eq!(err.to_string(), "machine \"ticket\": no transition from state \"open\" on event \"close\"");
/// assert_eq!(ticket.state(), "open");
/// assert_eq!(ticket.history().len(), 1);
/// # Ok::<(), TransitionError>(())
/// ```
///
/// ```
/// use chrono::{TimeDelta, TimeZone, Utc};
/// use crm_lifecycle::Instance;
/// use crm_lifecycle::DEAL_PIPELINE;
///
/// let m = DEAL_PIPELINE.machine();
/// let t0 = Utc.with_ymd_and_hms(2024, 1, 1, 0, 0, 0).unwrap();
/// let mut d = Instance::new(&m, t0);
/// d.fire(&m, "advance", t0 + TimeDelta::days(3), None)?;
/// let times = d.time_in_states(t0 + TimeDelta::days(10));
/// assert_eq!(times["qualification"], TimeDelta::days(3));
/// assert_eq!(times["needs_analysis"], TimeDelta::days(7));
/// d.verify(&m)?;
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct Instance {
    machine: Arc<str>,
    state: Arc<str>,
    started_in: Arc<str>,
    started_at: DateTime<Utc>,
    #[serde(default)]
    history: Vec<HistoryEntry>,
    /// The id of `state` in the machine this instance last ran on. Only trusted when
    /// `state` is the very string that machine interned for that id, so a stale or foreign
    /// hint falls back to a name lookup.
    #[serde(skip)]
    hint: Option<StateId>,
}

impl PartialEq for Instance {
    fn eq(&self, other: &Self) -> bool {
        self.machine == other.machine
            && self.state == other.state
            && self.started_in == other.started_in
            && self.started_at == other.started_at
            && self.history == other.history
    }
}

impl Eq for Instance {}

impl Instance {
    /// A new instance in the machine's initial state.
    ///
    /// ```
    /// use chrono::Utc;
    /// use crm_lifecycle::Instance;
    /// use crm_lifecycle::TICKET_WORKFLOW;
    /// let m = TICKET_WORKFLOW.machine();
    /// assert_eq!(Instance::new(&m, Utc::now()).state(), "new");
    /// ```
    pub fn new(machine: &Machine, at: DateTime<Utc>) -> Self {
        Self {
            machine: Arc::clone(machine.name_arc()),
            state: Arc::clone(machine.state_arc(machine.initial_id())),
            started_in: Arc::clone(machine.state_arc(machine.initial_id())),
            started_at: at,
            history: Vec::new(),
            hint: Some(machine.initial_id()),
        }
    }

    /// A new instance that starts in a given state (for entities that predate the machine).
    ///
    /// ```
    /// use chrono::Utc;
    /// use crm_lifecycle::Instance;
    /// use crm_lifecycle::CUSTOMER_LIFECYCLE;
    /// let m = CUSTOMER_LIFECYCLE.machine();
    /// assert_eq!(Instance::starting_in(&m, "active", Utc::now())?.state(), "active");
    /// assert!(Instance::starting_in(&m, "vip", Utc::now()).is_err());
    /// # Ok::<(), crm_lifecycle::TransitionError>(())
    /// ```
    pub fn starting_in(
        machine: &Machine,
        state: &str,
        at: DateTime<Utc>,
    ) -> Result<Self, TransitionError> {
        let id = machine
            .state_id(state)
            .ok_or_else(|| TransitionError::UnknownState {
                machine: machine.name().to_string(),
                state: state.to_string(),
            })?;
        Ok(Self {
            machine: Arc::clone(machine.name_arc()),
            state: Arc::clone(machine.state_arc(id)),
            started_in: Arc::clone(machine.state_arc(id)),
            started_at: at,
            history: Vec::new(),
            hint: Some(id),
        })
    }

    /// The machine's name.
    ///
    /// ```
    /// use chrono::Utc;
    /// use crm_lifecycle::{DEAL_PIPELINE, Instance};
    /// assert_eq!(Instance::new(&DEAL_PIPELINE.machine(), Utc::now()).machine(), "deal");
    /// ```
    pub fn machine(&self) -> &str {
        &self.machine
    }

    /// The current state.
    ///
    /// ```
    /// use chrono::Utc;
    /// use crm_lifecycle::{DEAL_PIPELINE, Instance};
    /// assert_eq!(Instance::new(&DEAL_PIPELINE.machine(), Utc::now()).state(), "qualification");
    /// ```
    pub fn state(&self) -> &str {
        &self.state
    }

    /// The state the instance started in (the machine's initial state unless created with
    /// [`Instance::starting_in`]).
    ///
    /// ```
    /// use chrono::Utc;
    /// use crm_lifecycle::{CUSTOMER_LIFECYCLE, Instance};
    /// let m = CUSTOMER_LIFECYCLE.machine();
    /// assert_eq!(Instance::starting_in(&m, "active", Utc::now())?.started_in(), "active");
    /// # Ok::<(), crm_lifecycle::TransitionError>(())
    /// ```
    pub fn started_in(&self) -> &str {
        &self.started_in
    }

    /// When the instance started.
    ///
    /// ```
    /// use chrono::{TimeZone, Utc};
    /// use crm_lifecycle::{DEAL_PIPELINE, Instance};
    /// let t = Utc.timestamp_opt(0, 0).unwrap();
    /// assert_eq!(Instance::new(&DEAL_PIPELINE.machine(), t).started_at(), t);
    /// ```
    pub fn started_at(&self) -> DateTime<Utc> {
        self.started_at
    }

    /// The full history, oldest first.
    ///
    /// ```
    /// use chrono::Utc;
    /// use crm_lifecycle::{Instance, TICKET_WORKFLOW};
    /// assert!(Instance::new(&TICKET_WORKFLOW.machine(), Utc::now()).history().is_empty());
    /// ```
    pub fn history(&self) -> &[HistoryEntry] {
        &self.history
    }

    /// The time of the last recorded event (the start time when there is none).
    ///
    /// ```
    /// use chrono::{TimeDelta, TimeZone, Utc};
    /// use crm_lifecycle::{Instance, TICKET_WORKFLOW};
    /// let m = TICKET_WORKFLOW.machine();
    /// let t = Utc.timestamp_opt(0, 0).unwrap();
    /// let mut i = Instance::new(&m, t);
    /// i.fire(&m, "assign", t + TimeDelta::hours(1), None)?;
    /// assert_eq!(i.last_changed(), t + TimeDelta::hours(1));
    /// # Ok::<(), crm_lifecycle::TransitionError>(())
    /// ```
    pub fn last_changed(&self) -> DateTime<Utc> {
        self.history.last().map_or(self.started_at, |e| e.at)
    }

    /// Whether the instance is in a terminal state of `machine`.
    ///
    /// ```
    /// use chrono::Utc;
    /// use crm_lifecycle::{Instance, TICKET_WORKFLOW};
    /// let m = TICKET_WORKFLOW.machine();
    /// assert!(!Instance::new(&m, Utc::now()).is_finished(&m));
    /// ```
    pub fn is_finished(&self, machine: &Machine) -> bool {
        machine.is_terminal(&self.state)
    }

    fn current(&self, machine: &Machine) -> Result<StateId, TransitionError> {
        if let Some(id) = self.hint
            && id.index() < machine.state_count()
            && Arc::ptr_eq(machine.state_arc(id), &self.state)
            && Arc::ptr_eq(machine.name_arc(), &self.machine)
        {
            return Ok(id);
        }
        if *self.machine != *machine.name() {
            return Err(TransitionError::WrongMachine {
                instance: self.machine.to_string(),
                machine: machine.name().to_string(),
            });
        }
        machine
            .state_id(&self.state)
            .ok_or_else(|| TransitionError::UnknownState {
                machine: machine.name().to_string(),
                state: self.state.to_string(),
            })
    }

    fn no_transition(&self, machine: &Machine, event: &str) -> TransitionError {
        TransitionError::NoTransition {
            machine: machine.name().to_string(),
            state: self.state.to_string(),
            event: event.to_string(),
        }
    }

    /// Fires an event on a machine without guards; a transition that names a guard is
    /// rejected with [`TransitionError::MissingGuard`]. Returns the new state.
    ///
    /// ```
    /// use chrono::Utc;
    /// use crm_lifecycle::{Instance, TICKET_WORKFLOW};
    /// let m = TICKET_WORKFLOW.machine();
    /// let mut t = Instance::new(&m, Utc::now());
    /// assert_eq!(t.fire(&m, "solve", Utc::now(), None)?, "solved");
    /// assert!(t.fire(&m, "nonsense", Utc::now(), None).is_err());
    /// # Ok::<(), crm_lifecycle::TransitionError>(())
    /// ```
    pub fn fire(
        &mut self,
        machine: &Machine,
        event: &str,
        at: DateTime<Utc>,
        actor: Option<&str>,
    ) -> Result<&str, TransitionError> {
        self.fire_guarded(machine, &Guards::<()>::new(), &(), event, at, actor)
    }

    /// Fires an event, evaluating the transition's guard (if any) from `guards` on `context`.
    ///
    /// ```
    /// use chrono::Utc;
    /// use crm_lifecycle::{MachineDefinition, TransitionDef};
    /// use crm_lifecycle::Guards;
    /// use crm_lifecycle::{Instance, TransitionError};
    ///
    /// let m = MachineDefinition::new("m", "draft")
    ///     .with_terminal("sent")
    ///     .with_transition(TransitionDef::new("draft", "send", "sent").with_guard("has_recipient"))
    ///     .build()?;
    /// let guards = Guards::new().with("has_recipient", |to: &Vec<&str>| !to.is_empty());
    /// let mut mail = Instance::new(&m, chrono::Utc::now());
    /// let err = mail.fire_guarded(&m, &guards, &vec![], "send", Utc::now(), None).unwrap_err();
    /// assert!(matches!(err, TransitionError::GuardRejected { .. }));
    /// assert_eq!(mail.fire_guarded(&m, &guards, &vec!["bob"], "send", Utc::now(), None)?, "sent");
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn fire_guarded<C: ?Sized>(
        &mut self,
        machine: &Machine,
        guards: &Guards<C>,
        context: &C,
        event: &str,
        at: DateTime<Utc>,
        actor: Option<&str>,
    ) -> Result<&str, TransitionError> {
        let Some(event_id) = machine.event_id(event) else {
            // Validate the state first so a corrupt instance reports its real problem.
            self.current(machine)?;
            return Err(self.no_transition(machine, event));
        };
        self.fire_id_guarded(machine, guards, context, event_id, at, actor)
    }

    /// Fires an event given by id (the fastest path: no event-name hashing).
    ///
    /// ```
    /// use chrono::Utc;
    /// use crm_lifecycle::{Instance, TICKET_WORKFLOW};
    /// let m = TICKET_WORKFLOW.machine();
    /// let assign = m.event_id("assign").unwrap();
    /// let mut t = Instance::new(&m, Utc::now());
    /// assert_eq!(t.fire_id(&m, assign, Utc::now(), None)?, "open");
    /// # Ok::<(), crm_lifecycle::TransitionError>(())
    /// ```
    pub fn fire_id(
        &mut self,
        machine: &Machine,
        event: EventId,
        at: DateTime<Utc>,
        actor: Option<&str>,
    ) -> Result<&str, TransitionError> {
        self.fire_id_guarded(machine, &Guards::<()>::new(), &(), event, at, actor)
    }

    fn fire_id_guarded<C: ?Sized>(
        &mut self,
        machine: &Machine,
        guards: &Guards<C>,
        context: &C,
        event: EventId,
        at: DateTime<Utc>,
        actor: Option<&str>,
    ) -> Result<&str, TransitionError> {
        let from = self.current(machine)?;
        let Some(transition) = machine.transition(from, event) else {
            return Err(self.no_transition(machine, machine.event_name(event)));
        };
        if let Some(guard) = transition.guard {
            match guards.check(guard, context) {
                Some(true) => {}
                Some(false) => {
                    return Err(TransitionError::GuardRejected {
                        machine: machine.name().to_string(),
                        state: self.state.to_string(),
                        event: machine.event_name(event).to_string(),
                        guard: guard.to_string(),
                    });
                }
                None => {
                    return Err(TransitionError::MissingGuard {
                        machine: machine.name().to_string(),
                        state: self.state.to_string(),
                        event: machine.event_name(event).to_string(),
                        guard: guard.to_string(),
                    });
                }
            }
        }
        let last = self.last_changed();
        if at < last {
            return Err(TransitionError::OutOfOrder {
                machine: machine.name().to_string(),
                state: self.state.to_string(),
                event: machine.event_name(event).to_string(),
                at,
                last,
            });
        }
        let to = Arc::clone(machine.state_arc(transition.to));
        self.hint = Some(transition.to);
        self.history.push(HistoryEntry {
            from: std::mem::replace(&mut self.state, Arc::clone(&to)),
            to,
            event: Arc::clone(machine.event_arc(event)),
            at,
            actor: actor.map(Arc::from),
        });
        Ok(&self.state)
    }

    /// Every continuous stay in a state, oldest first; the last one is open.
    ///
    /// ```
    /// use chrono::{TimeDelta, TimeZone, Utc};
    /// use crm_lifecycle::{Instance, TICKET_WORKFLOW};
    /// let m = TICKET_WORKFLOW.machine();
    /// let t = Utc.timestamp_opt(0, 0).unwrap();
    /// let mut i = Instance::new(&m, t);
    /// i.fire(&m, "assign", t + TimeDelta::minutes(5), None)?;
    /// let stays = i.stays();
    /// assert_eq!(stays.len(), 2);
    /// assert_eq!((&*stays[0].state, stays[0].left), ("new", Some(t + TimeDelta::minutes(5))));
    /// assert_eq!(stays[1].left, None);
    /// # Ok::<(), crm_lifecycle::TransitionError>(())
    /// ```
    pub fn stays(&self) -> Vec<Stay> {
        let mut stays = Vec::with_capacity(self.history.len() + 1);
        let first = self
            .history
            .first()
            .map_or_else(|| Arc::clone(&self.state), |e| Arc::clone(&e.from));
        let mut current = Stay {
            state: first,
            entered: self.started_at,
            left: None,
        };
        for entry in &self.history {
            current.left = Some(entry.at);
            let next = Stay {
                state: Arc::clone(&entry.to),
                entered: entry.at,
                left: None,
            };
            stays.push(std::mem::replace(&mut current, next));
        }
        stays.push(current);
        stays
    }

    /// Total time spent in each state up to `now` (the current state counts until `now`).
    ///
    /// ```
    /// use chrono::{TimeDelta, TimeZone, Utc};
    /// use crm_lifecycle::{Instance, TICKET_WORKFLOW};
    /// let m = TICKET_WORKFLOW.machine();
    /// let t = Utc.timestamp_opt(0, 0).unwrap();
    /// let mut i = Instance::new(&m, t);
    /// i.fire(&m, "assign", t + TimeDelta::hours(1), None)?;
    /// i.fire(&m, "wait_on_customer", t + TimeDelta::hours(2), None)?;
    /// i.fire(&m, "customer_reply", t + TimeDelta::hours(5), None)?;
    /// let times = i.time_in_states(t + TimeDelta::hours(6));
    /// assert_eq!(times["open"], TimeDelta::hours(2));
    /// assert_eq!(times["pending"], TimeDelta::hours(3));
    /// # Ok::<(), crm_lifecycle::TransitionError>(())
    /// ```
    pub fn time_in_states(&self, now: DateTime<Utc>) -> BTreeMap<String, TimeDelta> {
        let mut totals: BTreeMap<String, TimeDelta> = BTreeMap::new();
        for stay in self.stays() {
            *totals.entry(stay.state.to_string()).or_default() += stay.duration(now);
        }
        totals
    }

    /// Rebuilds an instance by replaying a history on a machine, checking every entry: its
    /// source is the current state, a transition exists on its event, it leads to the recorded
    /// target and times never go backwards. Guards are not re-evaluated (they judged the host's
    /// state at the time).
    ///
    /// ```
    /// use chrono::Utc;
    /// use crm_lifecycle::{HistoryEntry, Instance};
    /// use crm_lifecycle::TICKET_WORKFLOW;
    /// let m = TICKET_WORKFLOW.machine();
    /// let t = Utc::now();
    /// let history = [
    ///     HistoryEntry::new("new", "open", "assign", t, None),
    ///     HistoryEntry::new("open", "solved", "solve", t, Some("ann")),
    /// ];
    /// assert_eq!(Instance::replay(&m, t, &history)?.state(), "solved");
    /// # Ok::<(), crm_lifecycle::ReplayError>(())
    /// ```
    pub fn replay(
        machine: &Machine,
        started_at: DateTime<Utc>,
        history: &[HistoryEntry],
    ) -> Result<Self, ReplayError> {
        Self::replay_from(machine, machine.initial(), started_at, history)
    }

    /// [`Instance::replay`] for an instance that started in `state` rather than in the
    /// machine's initial state.
    ///
    /// ```
    /// use chrono::Utc;
    /// use crm_lifecycle::{HistoryEntry, Instance};
    /// use crm_lifecycle::CUSTOMER_LIFECYCLE;
    /// let m = CUSTOMER_LIFECYCLE.machine();
    /// let t = Utc::now();
    /// let history = [HistoryEntry::new("active", "at_risk", "lapse", t, None)];
    /// assert_eq!(Instance::replay_from(&m, "active", t, &history)?.state(), "at_risk");
    /// assert!(Instance::replay(&m, t, &history).is_err()); // starts in "lead"
    /// # Ok::<(), crm_lifecycle::ReplayError>(())
    /// ```
    pub fn replay_from(
        machine: &Machine,
        state: &str,
        started_at: DateTime<Utc>,
        history: &[HistoryEntry],
    ) -> Result<Self, ReplayError> {
        let mut instance =
            Self::starting_in(machine, state, started_at).map_err(|e| ReplayError {
                index: 0,
                from: state.to_string(),
                event: String::new(),
                to: String::new(),
                reason: e.to_string(),
            })?;
        for (index, entry) in history.iter().enumerate() {
            let fail = |reason: String| ReplayError {
                index,
                from: entry.from.to_string(),
                event: entry.event.to_string(),
                to: entry.to.to_string(),
                reason,
            };
            if entry.from != instance.state {
                return Err(fail(format!(
                    "the instance is in state {:?} at this point",
                    &*instance.state
                )));
            }
            let from = machine
                .state_id(&entry.from)
                .ok_or_else(|| fail("unknown source state".to_string()))?;
            let event = machine
                .event_id(&entry.event)
                .ok_or_else(|| fail("unknown event".to_string()))?;
            let to = machine
                .step(from, event)
                .ok_or_else(|| fail("no such transition".to_string()))?;
            if machine.state_name(to) != &*entry.to {
                return Err(fail(format!(
                    "the transition leads to {:?}",
                    machine.state_name(to)
                )));
            }
            if entry.at < instance.last_changed() {
                return Err(fail(format!(
                    "time {} is earlier than the previous time {}",
                    entry.at,
                    instance.last_changed()
                )));
            }
            instance.state = Arc::clone(machine.state_arc(to));
            instance.hint = Some(to);
            instance.history.push(HistoryEntry {
                from: Arc::clone(machine.state_arc(from)),
                to: Arc::clone(machine.state_arc(to)),
                event: Arc::clone(machine.event_arc(event)),
                at: entry.at,
                actor: entry.actor.clone(),
            });
        }
        Ok(instance)
    }

    /// Replays this instance's own history on `machine` and checks it ends in the current
    /// state.
    ///
    /// ```
    /// use chrono::Utc;
    /// use crm_lifecycle::{Instance, TICKET_WORKFLOW};
    /// let m = TICKET_WORKFLOW.machine();
    /// let mut t = Instance::new(&m, Utc::now());
    /// t.fire(&m, "assign", Utc::now(), None)?;
    /// assert!(t.verify(&m).is_ok());
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn verify(&self, machine: &Machine) -> Result<(), ReplayError> {
        if *self.machine != *machine.name() {
            return Err(ReplayError {
                index: 0,
                from: String::new(),
                event: String::new(),
                to: String::new(),
                reason: format!(
                    "instance of machine {:?} replayed on machine {:?}",
                    &*self.machine,
                    machine.name()
                ),
            });
        }
        let replayed =
            Self::replay_from(machine, &self.started_in, self.started_at, &self.history)?;
        if replayed.state != self.state {
            let last = self.history.last();
            return Err(ReplayError {
                index: self.history.len(),
                from: last.map(|e| e.from.to_string()).unwrap_or_default(),
                event: last.map(|e| e.event.to_string()).unwrap_or_default(),
                to: last.map(|e| e.to.to_string()).unwrap_or_default(),
                reason: format!(
                    "history ends in {:?} but the instance is in {:?}",
                    &*replayed.state, &*self.state
                ),
            });
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::definition::{MachineDefinition, TransitionDef};
    use chrono::TimeZone;

    fn machine() -> Machine {
        MachineDefinition::new("m", "a")
            .with_terminal("c")
            .with_transition(TransitionDef::new("a", "go", "b"))
            .with_transition(TransitionDef::new("b", "go", "c").with_guard("ready"))
            .with_transition(TransitionDef::new("b", "back", "a"))
            .build()
            .unwrap()
    }

    fn t(s: i64) -> DateTime<Utc> {
        Utc.timestamp_opt(s, 0).unwrap()
    }

    #[test]
    fn rejected_events_leave_instance_unchanged() {
        let m = machine();
        let mut i = Instance::new(&m, t(0));
        i.fire(&m, "go", t(10), Some("ann")).unwrap();
        let before = i.clone();
        let errs = [
            i.fire(&m, "nope", t(20), None).unwrap_err(),
            i.fire(&m, "go", t(20), None).unwrap_err(),
            i.fire(&m, "back", t(5), None).unwrap_err(),
        ];
        assert!(matches!(errs[0], TransitionError::NoTransition { .. }));
        assert!(matches!(errs[1], TransitionError::MissingGuard { .. }));
        assert!(matches!(errs[2], TransitionError::OutOfOrder { .. }));
        assert_eq!(i, before);
        let guards = Guards::new().with("ready", |ok: &bool| *ok);
        let err = i
            .fire_guarded(&m, &guards, &false, "go", t(20), None)
            .unwrap_err();
        assert_eq!(
            err.to_string(),
            "machine \"m\": guard \"ready\" rejected event \"go\" in state \"b\""
        );
        assert_eq!(i, before);
        assert_eq!(
            i.fire_guarded(&m, &guards, &true, "go", t(20), None)
                .unwrap(),
            "c"
        );
        assert_eq!(i.history().len(), 2);
        assert_eq!(i.history()[1].at, t(20));
    }

    #[test]
    fn wrong_machine_and_unknown_state_are_errors() {
        let m = machine();
        let other = MachineDefinition::new("other", "a")
            .with_terminal("a")
            .build()
            .unwrap();
        let mut i = Instance::new(&other, t(0));
        assert!(matches!(
            i.fire(&m, "go", t(1), None),
            Err(TransitionError::WrongMachine { .. })
        ));
        let json = serde_json::to_string(&Instance::new(&m, t(0)))
            .unwrap()
            .replace("\"a\"", "\"zz\"");
        let mut corrupt: Instance = serde_json::from_str(&json).unwrap();
        assert!(matches!(
            corrupt.fire(&m, "go", t(1), None),
            Err(TransitionError::UnknownState { .. })
        ));
    }

    #[test]
    fn time_in_states_sums_repeat_visits() {
        let m = machine();
        let mut i = Instance::new(&m, t(0));
        i.fire(&m, "go", t(10), None).unwrap();
        i.fire(&m, "back", t(15), None).unwrap();
        i.fire(&m, "go", t(40), None).unwrap();
        let times = i.time_in_states(t(100));
        assert_eq!(times["a"], TimeDelta::seconds(10 + 25));
        assert_eq!(times["b"], TimeDelta::seconds(5 + 60));
        assert_eq!(
            times.values().copied().sum::<TimeDelta>(),
            TimeDelta::seconds(100)
        );
    }

    #[test]
    fn replay_detects_tampering() {
        let m = machine();
        let mut i = Instance::new(&m, t(0));
        i.fire(&m, "go", t(10), None).unwrap();
        i.fire(&m, "back", t(15), None).unwrap();
        assert_eq!(Instance::replay(&m, t(0), i.history()).unwrap(), i);
        let mut h = i.history().to_vec();
        h[1].to = Arc::from("c");
        let err = Instance::replay(&m, t(0), &h).unwrap_err();
        assert_eq!(err.index, 1);
        assert!(err.reason.contains("\"a\""), "{err}");
        let mut h = i.history().to_vec();
        h[1].at = t(1);
        assert_eq!(Instance::replay(&m, t(0), &h).unwrap_err().index, 1);
        let mut h = i.history().to_vec();
        h.remove(0);
        assert_eq!(Instance::replay(&m, t(0), &h).unwrap_err().index, 0);
    }

    #[test]
    fn serde_round_trip() {
        let m = machine();
        let mut i = Instance::new(&m, t(0));
        i.fire(&m, "go", t(10), Some("ann")).unwrap();
        let json = serde_json::to_string(&i).unwrap();
        assert!(json.contains("\"actor\":\"ann\""), "{json}");
        let back: Instance = serde_json::from_str(&json).unwrap();
        assert_eq!(back, i);
        back.verify(&m).unwrap();
    }
}
