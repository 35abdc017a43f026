//! A seeded generator of a realistic synthetic CRM data set.
//!
//! - Customers with names, e-mail addresses (reserved `example.*` domains), phone numbers
//!   (from the ranges Ofcom reserves for drama), an owning sales representative, marketing
//!   consent, and acquisition dates spread over the first two years of a three-year window.
//!   About one customer in ten is a lead that never buys.
//! - Purchases from a buy-till-you-die process (BG/NBD): each customer buys at a Poisson rate
//!   drawn from a gamma distribution and drops out after any purchase with a probability
//!   drawn from a beta distribution; spend per purchase follows the Gamma-Gamma model (a
//!   customer-level mean drawn from a gamma distribution); a few purchases are refunded.
//! - Interactions on several channels, more for active customers.
//! - Tickets with priorities, categories and agents, with first-response, pending and
//!   resolution times drawn per priority (so some breach their SLA).
//! - NPS answers linked to customers (worse after slow tickets), CSAT and CES answers
//!   linked to solved tickets, with tags.
//! - Deals moving through the sales pipeline, won, lost or still open.
//!
//! The same seed always gives the same data set.

use chrono::{DateTime, Duration, NaiveDate, TimeZone, Utc};
use rand::rngs::StdRng;
use rand::{RngExt, SeedableRng};
use rand_distr::{Beta, Distribution, Exp, Gamma, LogNormal, Normal, Poisson};
use rust_decimal::Decimal;

/// End of the observation window of the demo data set (fixed, so runs are reproducible).
pub fn observation_end() -> DateTime<Utc> {
    Utc.with_ymd_and_hms(2026, 6, 30, 0, 0, 0)
        .single()
        .unwrap_or(DateTime::<Utc>::MIN_UTC)
}

/// Start of the observation window (three years before its end).
pub fn observation_start() -> DateTime<Utc> {
    observation_end() - Duration::days(3 * 365)
}

/// A synthetic customer.
#[derive(Debug, Clone, PartialEq)]
pub struct GenCustomer {
    /// Id, `cust-000001`.
    pub id: String,
    /// Full name.
    pub name: String,
    /// E-mail address.
    pub email: String,
    /// Phone number in E.164 form, when the customer gave one.
    pub phone: Option<String>,
    /// Owning sales representative id.
    pub owner: String,
    /// When the customer record was created.
    pub created_at: DateTime<Utc>,
    /// Date of birth (for care reminders), spread over ages 18 to 80 at the start of the
    /// data's window by the customer's number, without drawing from the random stream.
    pub birthday: NaiveDate,
    /// Consent to marketing e-mail.
    pub consent_email: bool,
    /// Consent to marketing text messages.
    pub consent_sms: bool,
    /// Whether this is a lead that never buys.
    pub lead: bool,
}

/// A synthetic purchase or refund.
#[derive(Debug, Clone, PartialEq)]
pub struct GenTransaction {
    /// Id, `tx-00000001`.
    pub id: String,
    /// The customer.
    pub customer_id: String,
    /// When.
    pub timestamp: DateTime<Utc>,
    /// Amount in USD; negative for a refund.
    pub amount: Decimal,
}

/// An interaction channel.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Channel {
    /// E-mail.
    Email,
    /// Phone call.
    Phone,
    /// Live chat.
    Chat,
    /// Meeting.
    Meeting,
    /// Web visit.
    Web,
}

impl Channel {
    /// Every channel.
    pub const ALL: [Channel; 5] = [
        Channel::Email,
        Channel::Phone,
        Channel::Chat,
        Channel::Meeting,
        Channel::Web,
    ];
}

/// A synthetic interaction.
#[derive(Debug, Clone, PartialEq)]
pub struct GenInteraction {
    /// Id.
    pub id: String,
    /// The customer.
    pub customer_id: String,
    /// The channel.
    pub channel: Channel,
    /// When.
    pub timestamp: DateTime<Utc>,
    /// Whether the customer started it.
    pub inbound: bool,
}

/// A ticket priority.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Priority {
    /// Low.
    Low,
    /// Normal.
    Normal,
    /// High.
    High,
    /// Urgent.
    Urgent,
}

impl Priority {
    /// Every priority, lowest first.
    pub const ALL: [Priority; 4] = [
        Priority::Low,
        Priority::Normal,
        Priority::High,
        Priority::Urgent,
    ];
}

/// A step in a ticket's workflow, in time order.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum TicketStep {
    /// An agent picked the ticket up (new → open); the first response.
    Assign,
    /// Waiting for the customer (open → pending).
    Pending,
    /// The customer answered (pending → open).
    Resume,
    /// Solved (open → solved).
    Solve,
    /// The customer reopened it (solved → open).
    Reopen,
    /// Closed (solved → closed).
    Close,
}

/// A synthetic ticket.
#[derive(Debug, Clone, PartialEq)]
pub struct GenTicket {
    /// Id.
    pub id: String,
    /// The customer.
    pub customer_id: String,
    /// Priority.
    pub priority: Priority,
    /// Category (question, incident, complaint, request, feedback).
    pub category: &'static str,
    /// Handling agent.
    pub agent: String,
    /// Subject line.
    pub subject: String,
    /// When it was opened.
    pub created_at: DateTime<Utc>,
    /// Workflow steps up to the end of the observation window, in time order.
    pub steps: Vec<(TicketStep, DateTime<Utc>)>,
}

impl GenTicket {
    /// Time of the first step of a kind.
    pub fn first(&self, step: TicketStep) -> Option<DateTime<Utc>> {
        self.steps.iter().find(|(s, _)| *s == step).map(|(_, t)| *t)
    }
}

/// A survey kind.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum GenSurvey {
    /// NPS, 0-10.
    Nps,
    /// CSAT, 1-5.
    Csat,
    /// CES, 1-7 (7 = very easy).
    Ces,
}

/// A synthetic survey response.
#[derive(Debug, Clone, PartialEq)]
pub struct GenResponse {
    /// Id.
    pub id: String,
    /// The customer.
    pub customer_id: String,
    /// The ticket it is about, for CSAT and CES.
    pub ticket_id: Option<String>,
    /// The survey.
    pub survey: GenSurvey,
    /// The score.
    pub score: u8,
    /// When it was given.
    pub timestamp: DateTime<Utc>,
    /// Channel the survey was answered on.
    pub channel: &'static str,
    /// Tags (themes mentioned in the comment).
    pub tags: Vec<&'static str>,
}

/// Stages of the deal pipeline, in order.
pub const DEAL_STAGES: [&str; 4] = ["qualification", "needs_analysis", "proposal", "negotiation"];

/// How a deal ended, if it did.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum DealOutcome {
    /// Still open at the end of the window.
    Open,
    /// Won.
    Won,
    /// Lost.
    Lost,
}

/// A synthetic deal.
#[derive(Debug, Clone, PartialEq)]
pub struct GenDeal {
    /// Id.
    pub id: String,
    /// The customer.
    pub customer_id: String,
    /// Owning sales representative.
    pub owner: String,
    /// Deal value in USD.
    pub amount: Decimal,
    /// Each stage entered (index into [`DEAL_STAGES`]) and when.
    pub stages: Vec<(usize, DateTime<Utc>)>,
    /// The outcome and when it happened.
    pub outcome: (DealOutcome, Option<DateTime<Utc>>),
}

/// A whole synthetic data set.
#[derive(Debug, Clone, Default)]
pub struct DemoData {
    /// Customers.
    pub customers: Vec<GenCustomer>,
    /// Purchases and refunds, in customer then time order.
    pub transactions: Vec<GenTransaction>,
    /// Interactions.
    pub interactions: Vec<GenInteraction>,
    /// Tickets.
    pub tickets: Vec<GenTicket>,
    /// Survey responses.
    pub responses: Vec<GenResponse>,
    /// Deals.
    pub deals: Vec<GenDeal>,
    /// Sales representatives (id, name).
    pub owners: Vec<(String, String)>,
}

const FIRST_NAMES: [&str; 40] = [
    "Olivia", "Liam", "Emma", "Noah", "Amelia", "Oliver", "Sophia", "Elijah", "Mia", "Lucas",
    "Aisha", "Mateo", "Chloé", "Hiroshi", "Ingrid", "Kwame", "Léa", "Mohammed", "Nadia", "Pedro",
    "Priya", "Rafael", "Sakura", "Søren", "Tomás", "Yara", "Zoë", "Björn", "Fatima", "Giulia",
    "Hannah", "Ivan", "Jana", "Kenji", "Leila", "Marta", "Nikolai", "Omar", "Paula", "Wei",
];
const LAST_NAMES: [&str; 40] = [
    "Smith",
    "Johnson",
    "Garcia",
    "Müller",
    "Rossi",
    "Dubois",
    "Nakamura",
    "Kowalski",
    "Andersen",
    "Silva",
    "Okafor",
    "Haddad",
    "Novak",
    "Fernández",
    "Jensen",
    "Kim",
    "Nguyen",
    "Patel",
    "Costa",
    "Schmidt",
    "Martin",
    "Bernard",
    "Moreau",
    "Lopez",
    "Wilson",
    "Taylor",
    "Brown",
    "Ivanova",
    "Yilmaz",
    "Cohen",
    "Larsen",
    "Svensson",
    "Horvat",
    "Papadopoulos",
    "O'Brien",
    "Murphy",
    "Walsh",
    "Chen",
    "Singh",
    "Tanaka",
];
const REPS: [&str; 12] = [
    "Alex Morgan",
    "Jordan Lee",
    "Sam Rivera",
    "Taylor Brooks",
    "Casey Kim",
    "Robin Patel",
    "Jamie Chen",
    "Morgan Diaz",
    "Riley Novak",
    "Avery Stone",
    "Quinn Walsh",
    "Drew Okafor",
];
const AGENTS: [&str; 10] = [
    "agent-01", "agent-02", "agent-03", "agent-04", "agent-05", "agent-06", "agent-07", "agent-08",
    "agent-09", "agent-10",
];
/// Ticket categories.
pub const CATEGORIES: [&str; 5] = ["question", "incident", "complaint", "request", "feedback"];
const TAGS: [&str; 6] = [
    "price",
    "delivery",
    "support",
    "product_quality",
    "website",
    "returns",
];
const SURVEY_CHANNELS: [&str; 3] = ["email", "web", "app"];

/// Sizes and rates of the generated data set.
#[derive(Debug, Clone, PartialEq)]
pub struct GeneratorConfig {
    /// Number of customers.
    pub customers: u32,
    /// Seed.
    pub seed: u64,
    /// BG/NBD purchase-rate heterogeneity: gamma shape r and rate alpha (per week).
    pub r: f64,
    /// See `r`.
    pub alpha: f64,
    /// BG/NBD dropout heterogeneity: beta(a, b).
    pub a: f64,
    /// See `a`.
    pub b: f64,
    /// Gamma-Gamma spend: shape p of each purchase, shape q and rate gamma of the
    /// customer-level rate.
    pub p: f64,
    /// See `p`.
    pub q: f64,
    /// See `p`.
    pub gamma: f64,
    /// Probability that a purchase is refunded.
    pub refund_rate: f64,
}

impl GeneratorConfig {
    /// The default mix for `customers` customers and a seed.
    pub fn new(customers: u32, seed: u64) -> Self {
        Self {
            customers,
            seed,
            r: 0.6,
            alpha: 8.0,
            a: 0.8,
            b: 3.5,
            p: 6.25,
            q: 3.74,
            gamma: 15.44,
            refund_rate: 0.03,
        }
    }
}

fn pick<'a, T>(rng: &mut StdRng, items: &'a [T]) -> &'a T {
    &items[rng.random_range(0..items.len())]
}

fn weighted(rng: &mut StdRng, weights: &[f64]) -> usize {
    let total: f64 = weights.iter().sum();
    let mut x = rng.random_range(0.0..total);
    for (i, w) in weights.iter().enumerate() {
        if x < *w {
            return i;
        }
        x -= w;
    }
    weights.len() - 1
}

fn hours(h: f64) -> Duration {
    Duration::seconds((h * 3600.0).round().clamp(1.0, 1e9) as i64)
}

fn weeks(w: f64) -> Duration {
    Duration::seconds((w * 7.0 * 86_400.0).round().clamp(1.0, 1e10) as i64)
}

fn lognormal_hours(rng: &mut StdRng, median: f64, sigma: f64) -> Duration {
    let h = LogNormal::new(median.ln(), sigma)
        .map(|d| d.sample(rng))
        .unwrap_or(median);
    hours(h)
}

fn cents(x: f64) -> Decimal {
    Decimal::new((x * 100.0).round().max(99.0) as i64, 2)
}

/// A score drawn from a normal distribution around `mean`, rounded and clamped to the
/// survey's scale.
fn normal_score(rng: &mut StdRng, mean: f64, sd: f64, (lo, hi): (f64, f64)) -> u8 {
    Normal::new(mean, sd)
        .map(|d| d.sample(rng))
        .unwrap_or(mean)
        .round()
        .clamp(lo, hi) as u8
}

/// A ticket's workflow steps up to the end of the window, with when it was first solved and
/// when it was last solved.
struct TicketHistory {
    steps: Vec<(TicketStep, DateTime<Utc>)>,
    solved: DateTime<Utc>,
    last: DateTime<Utc>,
}

/// The generator's state: the random stream, the window, the distributions of the
/// purchase process and the data set so far. Each customer's records are drawn in turn,
/// always in the same order, so a seed gives one data set.
struct Generator<'a> {
    config: &'a GeneratorConfig,
    rng: StdRng,
    start: DateTime<Utc>,
    end: DateTime<Utc>,
    /// Purchase rates (BG/NBD lambda).
    rate: Option<Gamma<f64>>,
    /// Dropout probabilities (BG/NBD p).
    dropout: Option<Beta<f64>>,
    /// Customer-level spend rates (Gamma-Gamma nu).
    spend_rate: Option<Gamma<f64>>,
    /// Transactions numbered so far.
    tx_counter: u64,
    data: DemoData,
}

impl Generator<'_> {
    /// Customer `i` (0-based), with contact data, owner and consent.
    fn customer(&mut self, i: u32) -> GenCustomer {
        let rng = &mut self.rng;
        let acquisition_span = (self.end - self.start).num_seconds() * 2 / 3;
        let id = format!("cust-{:06}", i + 1);
        let first = *pick(rng, &FIRST_NAMES);
        let last = *pick(rng, &LAST_NAMES);
        let created_at =
            self.start + Duration::seconds(rng.random_range(0..acquisition_span.max(1)));
        let ascii: String = format!("{first}.{last}")
            .to_lowercase()
            .chars()
            .filter(|c| c.is_ascii_alphanumeric() || *c == '.')
            .collect();
        let domain = pick(rng, &["example.com", "example.org", "example.net"]);
        let email = format!("{ascii}{}@{domain}", i + 1);
        let phone = rng.random_bool(0.7).then(|| {
            let area = pick(rng, &["20 7946", "113 496", "161 496", "131 496"]);
            format!("+44 {area} {:04}", rng.random_range(0..1000))
        });
        let owner = self.data.owners[i as usize % REPS.len()].0.clone();
        let lead = rng.random_bool(0.1);
        // 62 years of birthdays, visited in a scattered order (7,919 is prime to the span).
        let span = 62 * 365;
        let offset = (u64::from(i) * 7_919 + 1_234) % span;
        let youngest = self.start.date_naive() - Duration::days(18 * 365);
        let birthday = youngest - Duration::days(offset as i64);
        GenCustomer {
            id,
            name: format!("{first} {last}"),
            birthday,
            email,
            phone,
            owner,
            created_at,
            consent_email: rng.random_bool(0.62),
            consent_sms: rng.random_bool(0.35),
            lead,
        }
    }

    /// A customer's purchases (BG/NBD with Gamma-Gamma spend) and refunds, added to the
    /// transactions; returns the purchase times (none for a lead).
    fn purchases(&mut self, customer: &GenCustomer) -> Vec<DateTime<Utc>> {
        let mut purchases: Vec<DateTime<Utc>> = Vec::new();
        if customer.lead {
            return purchases;
        }
        let (rng, end, id) = (&mut self.rng, self.end, &customer.id);
        let lambda = self.rate.map(|d| d.sample(rng)).unwrap_or(0.1).max(1e-4);
        let p_drop = self.dropout.map(|d| d.sample(rng)).unwrap_or(0.2);
        let gap = Exp::new(lambda).ok();
        let mut t = customer.created_at + Duration::hours(rng.random_range(0..72));
        while t < end {
            purchases.push(t);
            if rng.random_bool(p_drop.clamp(0.0, 1.0)) {
                break;
            }
            let g = gap.map(|d| d.sample(rng)).unwrap_or(52.0);
            t += weeks(g);
        }
        let nu = self
            .spend_rate
            .map(|d| d.sample(rng))
            .unwrap_or(0.25)
            .max(1e-3);
        let spend = Gamma::new(self.config.p, 1.0 / nu).ok();
        for &t in &purchases {
            let amount = cents(spend.map(|d| d.sample(rng)).unwrap_or(25.0));
            self.tx_counter += 1;
            self.data.transactions.push(GenTransaction {
                id: format!("tx-{:08}", self.tx_counter),
                customer_id: id.clone(),
                timestamp: t,
                amount,
            });
            if rng.random_bool(self.config.refund_rate) {
                let when = t + Duration::hours(rng.random_range(24..24 * 30));
                if when < end {
                    self.tx_counter += 1;
                    self.data.transactions.push(GenTransaction {
                        id: format!("tx-{:08}", self.tx_counter),
                        customer_id: id.clone(),
                        timestamp: when,
                        amount: -amount,
                    });
                }
            }
        }
        purchases
    }

    /// A customer's interactions, more for customers who buy more, spread over the time
    /// they are active.
    fn interactions(&mut self, customer: &GenCustomer, purchases: usize, active_secs: i64) {
        let (rng, id) = (&mut self.rng, &customer.id);
        let n_interactions = Poisson::new(1.5 + 0.6 * purchases as f64)
            .map(|d| d.sample(rng) as u64)
            .unwrap_or(1)
            .min(60);
        for k in 0..n_interactions {
            let channel = Channel::ALL[weighted(rng, &[40.0, 20.0, 20.0, 8.0, 12.0])];
            self.data.interactions.push(GenInteraction {
                id: format!("int-{}-{k}", &id[5..]),
                customer_id: id.clone(),
                channel,
                timestamp: customer.created_at
                    + Duration::seconds(rng.random_range(0..active_secs)),
                inbound: rng.random_bool(0.55),
            });
        }
    }

    /// The workflow of a ticket opened at `created`: first response, perhaps a wait on the
    /// customer, the solution, perhaps a reopening, and the close.
    fn ticket_history(
        &mut self,
        created: DateTime<Utc>,
        (respond_median, resolve_median): (f64, f64),
    ) -> TicketHistory {
        let rng = &mut self.rng;
        let mut steps = Vec::new();
        let first_response = created + lognormal_hours(rng, respond_median, 0.9);
        let mut cursor = first_response;
        steps.push((TicketStep::Assign, first_response));
        let mut work = lognormal_hours(rng, resolve_median, 0.8);
        if rng.random_bool(0.3) {
            let pending_at = cursor + work / 3;
            let resume_at = pending_at + lognormal_hours(rng, 10.0, 0.7);
            steps.push((TicketStep::Pending, pending_at));
            steps.push((TicketStep::Resume, resume_at));
            cursor = resume_at;
            work = work - work / 3;
        }
        let solved = cursor + work;
        steps.push((TicketStep::Solve, solved));
        let mut last = solved;
        if rng.random_bool(0.05) {
            let reopened = solved + lognormal_hours(rng, 20.0, 0.6);
            let solved_again = reopened + lognormal_hours(rng, resolve_median, 0.6);
            steps.push((TicketStep::Reopen, reopened));
            steps.push((TicketStep::Solve, solved_again));
            last = solved_again;
        }
        steps.push((TicketStep::Close, last + Duration::days(3)));
        steps.retain(|(_, t)| *t <= self.end);
        TicketHistory {
            steps,
            solved,
            last,
        }
    }

    /// CSAT and CES answers about a solved ticket (worse after a slow one), given a while
    /// after it was last solved.
    fn ticket_surveys(
        &mut self,
        customer_id: &str,
        ticket_id: &str,
        last: DateTime<Utc>,
        slow: bool,
    ) {
        let (rng, end) = (&mut self.rng, self.end);
        let answered = last + Duration::hours(rng.random_range(1..48));
        let answer = |(survey, prefix, channel): (GenSurvey, &str, &'static str),
                      score: u8,
                      tags: Vec<&'static str>| GenResponse {
            id: format!("{prefix}-{ticket_id}"),
            customer_id: customer_id.to_string(),
            ticket_id: Some(ticket_id.to_string()),
            survey,
            score,
            timestamp: answered,
            channel,
            tags,
        };
        if answered <= end && rng.random_bool(0.5) {
            let mean: f64 = if slow { 2.9 } else { 4.1 };
            let score = normal_score(rng, mean, 0.9, (1.0, 5.0));
            let mut tags = Vec::new();
            if score <= 3 && rng.random_bool(0.6) {
                tags.push(if slow { "support" } else { *pick(rng, &TAGS) });
            }
            let csat = (GenSurvey::Csat, "csat", "email");
            self.data.responses.push(answer(csat, score, tags));
        }
        if answered <= end && rng.random_bool(0.3) {
            let mean: f64 = if slow { 3.6 } else { 5.4 };
            let score = normal_score(rng, mean, 1.2, (1.0, 7.0));
            let ces = (GenSurvey::Ces, "ces", "web");
            self.data.responses.push(answer(ces, score, Vec::new()));
        }
    }

    /// A customer's tickets, with CSAT and CES answers about them; returns how many were
    /// slow to resolve.
    fn tickets(&mut self, customer: &GenCustomer, purchases: usize, active_secs: i64) -> u32 {
        let id = &customer.id;
        let n_tickets = Poisson::new(0.25 + 0.08 * purchases as f64)
            .map(|d| d.sample(&mut self.rng) as u64)
            .unwrap_or(0)
            .min(12);
        let mut slow_tickets = 0u32;
        for k in 0..n_tickets {
            let priority = Priority::ALL[weighted(&mut self.rng, &[30.0, 45.0, 18.0, 7.0])];
            let medians = match priority {
                Priority::Urgent => (0.4, 2.5),
                Priority::High => (1.5, 10.0),
                Priority::Normal => (5.0, 28.0),
                Priority::Low => (12.0, 60.0),
            };
            let ticket_id = format!("tkt-{}-{k}", &id[5..]);
            let category = *pick(&mut self.rng, &CATEGORIES);
            let created =
                customer.created_at + Duration::seconds(self.rng.random_range(0..active_secs));
            let TicketHistory {
                steps,
                solved,
                last,
            } = self.ticket_history(created, medians);
            let resolution_hours = (solved - created).num_minutes() as f64 / 60.0;
            let slow = resolution_hours > medians.1 * 2.0;
            slow_tickets += u32::from(slow);
            let solved_in_window = steps.iter().any(|(s, _)| *s == TicketStep::Solve);
            if solved_in_window && created > self.start {
                self.ticket_surveys(id, &ticket_id, last, slow);
            }
            self.data.tickets.push(GenTicket {
                id: ticket_id,
                customer_id: id.clone(),
                priority,
                category,
                agent: (*pick(&mut self.rng, &AGENTS)).to_string(),
                subject: format!("{category} question"),
                created_at: created,
                steps,
            });
        }
        slow_tickets
    }

    /// The relationship survey some time after the first purchase: better for loyal
    /// customers, worse after slow tickets.
    fn nps(&mut self, customer: &GenCustomer, purchases: &[DateTime<Utc>], slow_tickets: u32) {
        let Some(first_purchase) = purchases.first() else {
            return;
        };
        let (rng, id) = (&mut self.rng, &customer.id);
        let window = (self.end - *first_purchase).num_seconds();
        if window > 86_400 && rng.random_bool(0.4) {
            let when = *first_purchase + Duration::seconds(rng.random_range(86_400..window));
            let loyalty = (purchases.len() as f64).ln();
            let mean: f64 = 6.6 + 0.8 * loyalty - 1.6 * f64::from(slow_tickets);
            let score = normal_score(rng, mean, 2.2, (0.0, 10.0));
            let mut tags = Vec::new();
            if score <= 6 {
                if slow_tickets > 0 && rng.random_bool(0.7) {
                    tags.push("support");
                }
                if rng.random_bool(0.5) {
                    tags.push(*pick(rng, &["price", "delivery", "returns"]));
                }
            } else if rng.random_bool(0.3) {
                tags.push(*pick(rng, &TAGS));
            }
            tags.sort_unstable();
            tags.dedup();
            self.data.responses.push(GenResponse {
                id: format!("nps-{}", &id[5..]),
                customer_id: id.clone(),
                ticket_id: None,
                survey: GenSurvey::Nps,
                score,
                timestamp: when,
                channel: SURVEY_CHANNELS[rng.random_range(0..SURVEY_CHANNELS.len())],
                tags,
            });
        }
    }

    /// Perhaps a deal (likelier for leads and frequent buyers), moved through the pipeline
    /// stage by stage until it is won, lost or the window ends.
    fn deal(&mut self, customer: &GenCustomer, purchases: usize, active_secs: i64) {
        let (rng, end, id) = (&mut self.rng, self.end, &customer.id);
        let deal_chance = if customer.lead {
            0.35
        } else {
            0.1 + 0.02 * purchases.min(10) as f64
        };
        if rng.random_bool(deal_chance) {
            let opened = customer.created_at + Duration::seconds(rng.random_range(0..active_secs));
            let amount = cents(
                LogNormal::new(8.2, 0.9)
                    .map(|d| d.sample(rng))
                    .unwrap_or(3600.0),
            );
            let advance = [0.6, 0.7, 0.6, 0.65];
            let mut stages = vec![(0usize, opened)];
            let mut t = opened;
            let mut outcome = (DealOutcome::Open, None);
            for (stage, p) in advance.iter().enumerate() {
                // About three weeks per stage, a B2B-like sales cycle of a few months.
                let stay: f64 = Exp::new(1.0 / 21.0).map(|d| d.sample(rng)).unwrap_or(21.0);
                t += Duration::hours((stay * 24.0).round().max(1.0) as i64);
                if t > end {
                    break;
                }
                if !rng.random_bool(*p) {
                    outcome = (DealOutcome::Lost, Some(t));
                    break;
                }
                if stage + 1 < DEAL_STAGES.len() {
                    stages.push((stage + 1, t));
                } else {
                    outcome = (DealOutcome::Won, Some(t));
                }
            }
            self.data.deals.push(GenDeal {
                id: format!("deal-{}", &id[5..]),
                customer_id: id.clone(),
                owner: customer.owner.clone(),
                amount,
                stages,
                outcome,
            });
        }
    }
}

/// Generates a data set.
pub fn generate(config: &GeneratorConfig) -> DemoData {
    let mut g = Generator {
        config,
        rng: StdRng::seed_from_u64(config.seed),
        start: observation_start(),
        end: observation_end(),
        rate: Gamma::new(config.r, 1.0 / config.alpha).ok(),
        dropout: Beta::new(config.a, config.b).ok(),
        spend_rate: Gamma::new(config.q, 1.0 / config.gamma).ok(),
        tx_counter: 0,
        data: DemoData {
            owners: REPS
                .iter()
                .enumerate()
                .map(|(i, name)| (format!("rep-{:02}", i + 1), (*name).to_string()))
                .collect(),
            ..DemoData::default()
        },
    };
    for i in 0..config.customers {
        let customer = g.customer(i);
        let purchases = g.purchases(&customer);
        let active_until = purchases
            .last()
            .map(|t| (*t + Duration::days(90)).min(g.end))
            .unwrap_or_else(|| (customer.created_at + Duration::days(60)).min(g.end));
        let active_secs = (active_until - customer.created_at).num_seconds().max(1);
        g.interactions(&customer, purchases.len(), active_secs);
        let slow_tickets = g.tickets(&customer, purchases.len(), active_secs);
        g.nps(&customer, &purchases, slow_tickets);
        g.deal(&customer, purchases.len(), active_secs);
        g.data.customers.push(customer);
    }
    g.data
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn same_seed_same_data_other_seed_other_data() {
        let a = generate(&GeneratorConfig::new(300, 7));
        let b = generate(&GeneratorConfig::new(300, 7));
        let c = generate(&GeneratorConfig::new(300, 8));
        assert_eq!(a.transactions, b.transactions);
        assert_eq!(a.responses, b.responses);
        assert_ne!(a.transactions, c.transactions);
    }

    #[test]
    fn data_is_consistent() {
        let d = generate(&GeneratorConfig::new(2000, 1));
        let end = observation_end();
        assert_eq!(d.customers.len(), 2000);
        assert!(d.transactions.iter().all(|t| t.timestamp < end));
        assert!(
            d.transactions.iter().any(|t| t.amount.is_sign_negative()),
            "refunds"
        );
        let ids: std::collections::HashSet<_> = d.transactions.iter().map(|t| &t.id).collect();
        assert_eq!(ids.len(), d.transactions.len(), "transaction ids unique");
        for t in &d.tickets {
            assert!(
                t.steps.windows(2).all(|w| w[0].1 <= w[1].1),
                "steps in time order"
            );
            assert!(
                t.steps
                    .iter()
                    .all(|(_, at)| *at >= t.created_at && *at <= end)
            );
        }
        for r in &d.responses {
            let (lo, hi) = match r.survey {
                GenSurvey::Nps => (0, 10),
                GenSurvey::Csat => (1, 5),
                GenSurvey::Ces => (1, 7),
            };
            assert!((lo..=hi).contains(&r.score));
        }
        for s in [GenSurvey::Nps, GenSurvey::Csat, GenSurvey::Ces] {
            assert!(d.responses.iter().any(|r| r.survey == s));
        }
        assert!(d.deals.iter().any(|x| x.outcome.0 == DealOutcome::Won));
        assert!(d.deals.iter().any(|x| x.outcome.0 == DealOutcome::Lost));
        assert!(d.customers.iter().any(|c| c.lead));
        // Repeat buyers exist and a mass buys only once, as in real customer bases.
        let mut per_customer = std::collections::HashMap::new();
        for t in d
            .transactions
            .iter()
            .filter(|t| t.amount.is_sign_positive())
        {
            *per_customer.entry(&t.customer_id).or_insert(0u32) += 1;
        }
        assert!(per_customer.values().any(|&n| n == 1));
        assert!(per_customer.values().any(|&n| n >= 5));
    }
}
