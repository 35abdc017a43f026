//! The demo data as `crm-core` domain records, ready for the storage traits.

use std::collections::{BTreeMap, BTreeSet, HashMap};

use chrono::{DateTime, Duration, Utc};
use crm_engagement::{LoyaltyProgramme, earn_from};
use rust_decimal::Decimal;

use crm_core::{
    Channel, Consent, ConsentChannel, Currency, Customer, CustomerId, Deal, DealId, DealStage,
    Direction, Email, Interaction, InteractionId, LoyaltyEvent, LoyaltyEventKind, Money, PartyKind,
    Phone, SurveyResponse, SurveyResponseId, SurveyScore, Tag, Ticket, TicketCategory, TicketId,
    TicketPriority, TicketStatus, Transaction, TransactionId, UserId,
};

use crate::demo::generate::{
    self, DEAL_STAGES, DealOutcome, GenCustomer, GenDeal, GenInteraction, GenResponse, GenSurvey,
    GenTicket, GenTransaction, Priority, TicketStep,
};
use crate::error::{CliError, CliResult};

fn bad(what: &'static str, e: impl std::fmt::Display) -> CliError {
    CliError::analysis(what, e)
}

fn customer_id(id: &str) -> CliResult<CustomerId> {
    CustomerId::parse(id).map_err(|e| bad("customer id", e))
}

/// A customer record.
pub fn customer(c: &GenCustomer) -> CliResult<Customer> {
    let mut out = Customer::new(
        customer_id(&c.id)?,
        PartyKind::Person,
        &c.name,
        c.created_at,
    )
    .map_err(|e| bad("customer", e))?;
    out.email = Some(Email::parse(&c.email).map_err(|e| bad("customer e-mail", e))?);
    out.phone = c
        .phone
        .as_deref()
        .map(|p| Phone::parse(p, None))
        .transpose()
        .map_err(|e| bad("customer phone", e))?;
    out.owner = Some(UserId::parse(&c.owner).map_err(|e| bad("owner", e))?);
    out.birthday = Some(c.birthday);
    // Every demo phone number is British: those customers keep their dates in London time.
    if out.phone.is_some() {
        out.time_zone = Some(chrono_tz::Europe::London);
    }
    if c.consent_email {
        out.consents
            .insert(ConsentChannel::Email, Consent::given(c.created_at));
    }
    if c.consent_sms {
        out.consents
            .insert(ConsentChannel::Sms, Consent::given(c.created_at));
    }
    Ok(out)
}

/// A transaction record (USD).
pub fn transaction(t: &GenTransaction) -> CliResult<Transaction> {
    let mut out = Transaction::new(
        TransactionId::parse(&t.id).map_err(|e| bad("transaction id", e))?,
        customer_id(&t.customer_id)?,
        t.timestamp,
        Money::new(t.amount, Currency::USD),
    );
    out.external_id = Some(t.id.clone());
    Ok(out)
}

/// An interaction record.
pub fn interaction(i: &GenInteraction) -> CliResult<Interaction> {
    let channel = match i.channel {
        generate::Channel::Email => Channel::Email,
        generate::Channel::Phone => Channel::Phone,
        generate::Channel::Chat => Channel::Chat,
        generate::Channel::Meeting => Channel::Meeting,
        generate::Channel::Web => Channel::Web,
    };
    Ok(Interaction::new(
        InteractionId::parse(&i.id).map_err(|e| bad("interaction id", e))?,
        customer_id(&i.customer_id)?,
        channel,
        if i.inbound {
            Direction::Inbound
        } else {
            Direction::Outbound
        },
        i.timestamp,
    ))
}

/// The core priority of a generated one.
pub fn priority(p: Priority) -> TicketPriority {
    match p {
        Priority::Low => TicketPriority::Low,
        Priority::Normal => TicketPriority::Normal,
        Priority::High => TicketPriority::High,
        Priority::Urgent => TicketPriority::Urgent,
    }
}

/// A ticket record, with its state at the end of the observation window.
pub fn ticket(t: &GenTicket) -> CliResult<Ticket> {
    let category: TicketCategory = t.category.parse().map_err(|e| bad("ticket category", e))?;
    let mut out = Ticket::new(
        TicketId::parse(&t.id).map_err(|e| bad("ticket id", e))?,
        customer_id(&t.customer_id)?,
        category,
        Channel::Email,
        t.created_at,
    );
    out.priority = priority(t.priority);
    out.assignee = Some(UserId::parse(&t.agent).map_err(|e| bad("agent", e))?);
    out.first_response_at = t.first(TicketStep::Assign);
    out.solved_at = t
        .steps
        .iter()
        .rev()
        .find(|(s, _)| *s == TicketStep::Solve)
        .map(|(_, at)| *at);
    out.closed_at = t.first(TicketStep::Close);
    out.status = match t.steps.last().map(|(s, _)| *s) {
        None => TicketStatus::New,
        Some(TicketStep::Assign | TicketStep::Resume | TicketStep::Reopen) => TicketStatus::Open,
        Some(TicketStep::Pending) => TicketStatus::Pending,
        Some(TicketStep::Solve) => TicketStatus::Solved,
        Some(TicketStep::Close) => TicketStatus::Closed,
    };
    if out.status != TicketStatus::Closed {
        out.closed_at = None;
    }
    if !matches!(out.status, TicketStatus::Solved | TicketStatus::Closed) {
        out.solved_at = None;
    }
    Ok(out)
}

/// A survey response record.
pub fn response(r: &GenResponse) -> CliResult<SurveyResponse> {
    let score = match r.survey {
        GenSurvey::Nps => SurveyScore::Nps(r.score),
        GenSurvey::Csat => SurveyScore::Csat {
            score: r.score,
            scale: crm_core::CsatScale::default(),
        },
        GenSurvey::Ces => SurveyScore::Ces(r.score),
    };
    let mut out = SurveyResponse::new(
        SurveyResponseId::parse(&r.id).map_err(|e| bad("response id", e))?,
        customer_id(&r.customer_id)?,
        r.timestamp,
        score,
    )
    .map_err(|e| bad("survey response", e))?;
    out.ticket = r
        .ticket_id
        .as_deref()
        .map(TicketId::parse)
        .transpose()
        .map_err(|e| bad("ticket id", e))?;
    let mut tags = BTreeSet::new();
    for t in &r.tags {
        tags.insert(Tag::new(t).map_err(|e| bad("tag", e))?);
    }
    out.tags = tags;
    Ok(out)
}

/// A deal record, in its stage at the end of the observation window.
pub fn deal(d: &GenDeal) -> CliResult<Deal> {
    let created = d.stages.first().map(|s| s.1).unwrap_or_default();
    let mut out = Deal::new(
        DealId::parse(&d.id).map_err(|e| bad("deal id", e))?,
        customer_id(&d.customer_id)?,
        "Annual plan",
        Money::new(d.amount, Currency::USD),
        created,
    )
    .map_err(|e| bad("deal", e))?;
    out.owner = Some(UserId::parse(&d.owner).map_err(|e| bad("owner", e))?);
    let last = d.stages.last().map(|s| s.0).unwrap_or(0);
    out.stage = match d.outcome.0 {
        DealOutcome::Won => DealStage::Won,
        DealOutcome::Lost => DealStage::Lost,
        DealOutcome::Open => DEAL_STAGES[last]
            .parse()
            .map_err(|e| bad("deal stage", e))?,
    };
    out.closed_at = d.outcome.1;
    Ok(out)
}

/// Points of the demo's redemption voucher.
const VOUCHER_POINTS: i64 = 100;

/// The demo's loyalty events: points earned on every purchase under the simple programme (1
/// point per USD; a refund takes its points back, as `crm loyalty earn` derives them), and a
/// voucher of 100 points redeemed the day after each customer's last purchase when the
/// customer then holds at least twice that.
pub fn loyalty_events(transactions: &[Transaction]) -> CliResult<Vec<LoyaltyEvent>> {
    let programme = LoyaltyProgramme::simple(Currency::USD, Decimal::ONE, Decimal::new(1, 2));
    let mut events =
        earn_from(transactions, &programme, &BTreeMap::new()).map_err(|e| bad("loyalty", e))?;
    let mut last: BTreeMap<&CustomerId, DateTime<Utc>> = BTreeMap::new();
    for t in transactions.iter().filter(|t| !t.is_refund()) {
        let at = last.entry(&t.customer).or_insert(t.occurred_at);
        *at = (*at).max(t.occurred_at);
    }
    let mut by_customer: HashMap<&CustomerId, Vec<(DateTime<Utc>, i64)>> = HashMap::new();
    for e in &events {
        by_customer
            .entry(&e.customer)
            .or_default()
            .push((e.occurred_at, e.points));
    }
    let mut vouchers = Vec::new();
    for (customer, last_purchase) in last {
        let at = last_purchase + Duration::days(1);
        let balance: i64 = by_customer.get(customer).map_or(0, |v| {
            v.iter().filter(|(t, _)| *t <= at).map(|(_, p)| p).sum()
        });
        if balance >= 2 * VOUCHER_POINTS {
            let id = format!("voucher:{customer}")
                .parse()
                .map_err(|e| bad("loyalty event id", e))?;
            let mut e = LoyaltyEvent::new(
                id,
                customer.clone(),
                LoyaltyEventKind::Redeem,
                at,
                -VOUCHER_POINTS,
            );
            e.reason = Some("voucher".into());
            vouchers.push(e);
        }
    }
    events.extend(vouchers);
    Ok(events)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::demo::generate::{GeneratorConfig, generate};

    #[test]
    fn every_generated_record_is_a_valid_domain_record() {
        let d = generate(&GeneratorConfig::new(1500, 3));
        for c in &d.customers {
            let c = customer(c).expect("customer");
            c.validate().expect("valid customer");
        }
        for t in &d.transactions {
            transaction(t)
                .expect("transaction")
                .validate()
                .expect("valid");
        }
        for i in &d.interactions {
            interaction(i).expect("interaction");
        }
        for t in &d.tickets {
            ticket(t).expect("ticket").validate().expect("valid ticket");
        }
        for r in &d.responses {
            response(r).expect("response");
        }
        for x in &d.deals {
            deal(x).expect("deal");
        }
    }
}
