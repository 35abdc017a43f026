//! Campaign files (`campaign_id,name,channel,start,cost[,end][,currency][,target_segment]`)
//! and campaign member files
//! (`campaign_id,customer_id,group[,sent_at][,opened_at][,clicked_at][,responded_at][,transaction_id]`),
//! optional columns in any order.

use std::collections::HashMap;
use std::path::Path;

use crm_core::{
    Campaign, CampaignGroup, CampaignId, CampaignMember, Currency, Money, TransactionId,
    parse_currency,
};
use crm_storage_traits::{check_campaign, check_member};
use rust_decimal::Decimal;

use super::activity::read_checked_rows;
use super::amount_expected;
use crate::error::{CliResult, InputError};
use crate::input::located::Located;

/// The header of a campaigns file.
pub const CAMPAIGNS_HEADER: &str =
    "campaign_id,name,channel,start,cost[,end][,currency][,target_segment]";

/// The header of a campaign members file.
pub const MEMBERS_HEADER: &str = "campaign_id,customer_id,group\
[,sent_at][,opened_at][,clicked_at][,responded_at][,transaction_id]";

/// Refuses a key used twice in the file for different content; keeps the first of
/// identical repeats.
fn unique<R: PartialEq, K: std::hash::Hash + Eq>(
    path: &Path,
    rows: Vec<Located<R>>,
    key: impl Fn(&R) -> K,
    field: &str,
    shown: impl Fn(&R) -> String,
) -> CliResult<Vec<Located<R>>> {
    let mut seen: HashMap<K, usize> = HashMap::new();
    let mut out: Vec<Located<R>> = Vec::with_capacity(rows.len());
    for row in rows {
        match seen.get(&key(&row.record)) {
            Some(&earlier) if out[earlier].record != row.record => {
                return Err(InputError::line(
                    path,
                    row.line,
                    format!(
                        "a {field} not used on line {} for a different row",
                        out[earlier].line
                    ),
                )
                .with_found(shown(&row.record))
                .into());
            }
            Some(_) => {}
            None => {
                seen.insert(key(&row.record), out.len());
                out.push(row);
            }
        }
    }
    Ok(out)
}

/// Reads a campaigns file; costs without a `currency` column are in `default_currency`.
/// Every campaign is checked as the store checks it, and an id used twice for different
/// campaigns is refused.
pub fn campaigns(path: &Path, default_currency: Currency) -> CliResult<Vec<Located<Campaign>>> {
    let rows = read_checked_rows(
        path,
        &["campaign_id", "name", "channel", "start", "cost"],
        &["end", "currency", "target_segment"],
        CAMPAIGNS_HEADER,
        |row| {
            let text = row.required("campaign_id", "a non-empty campaign id")?;
            let id = row.parsed(
                "campaign_id",
                text,
                CampaignId::parse,
                "a valid campaign id",
            )?;
            let name = row.required("name", "a non-empty name")?;
            let channel = row.name("channel")?;
            let start = row.time("start")?;
            let cost_text = row.required("cost", "a decimal number such as 1200.00")?;
            let cost = Decimal::from_str_exact(cost_text)
                .map_err(|_| row.error("cost", amount_expected("1200.00", cost_text), cost_text))?;
            let currency = match row.get("currency") {
                Some(code) => parse_currency(code)
                    .map_err(|_| row.error("currency", "an ISO 4217 code such as USD", code))?,
                None => default_currency,
            };
            let mut c = Campaign::new(id, name, channel, start, Money::new(cost, currency))
                .map_err(|e| row.error("cost", format!("a valid campaign ({e})"), cost_text))?;
            c.end = row.optional_time("end")?;
            c.target_segment = row.get("target_segment").map(str::to_string);
            Ok((c, true))
        },
        check_campaign,
    )?;
    unique(
        path,
        rows,
        |c| c.id.clone(),
        "campaign_id",
        |c| c.id.to_string(),
    )
}

/// Reads a campaign members file. Every member is checked as the store checks it (a
/// holdout member has no send, open or click times), and a (campaign, customer) pair used
/// twice for different rows is refused.
pub fn members(path: &Path) -> CliResult<Vec<Located<CampaignMember>>> {
    let rows = read_checked_rows(
        path,
        &["campaign_id", "customer_id", "group"],
        &[
            "sent_at",
            "opened_at",
            "clicked_at",
            "responded_at",
            "transaction_id",
        ],
        MEMBERS_HEADER,
        |row| {
            let text = row.required("campaign_id", "a non-empty campaign id")?;
            let campaign = row.parsed(
                "campaign_id",
                text,
                CampaignId::parse,
                "a valid campaign id",
            )?;
            let customer = row.customer()?;
            let group_text = row.required("group", "treatment or holdout")?;
            let group: CampaignGroup = group_text
                .parse()
                .map_err(|_| row.error("group", "treatment or holdout", group_text))?;
            let mut m = CampaignMember::new(campaign, customer, group);
            m.sent_at = row.optional_time("sent_at")?;
            m.opened_at = row.optional_time("opened_at")?;
            m.clicked_at = row.optional_time("clicked_at")?;
            m.responded_at = row.optional_time("responded_at")?;
            m.conversion = row
                .get("transaction_id")
                .map(|t| {
                    row.parsed(
                        "transaction_id",
                        t,
                        TransactionId::parse,
                        "a valid transaction id",
                    )
                })
                .transpose()?;
            Ok((m, true))
        },
        check_member,
    )?;
    unique(
        path,
        rows,
        |m| (m.campaign.clone(), m.customer.clone()),
        "campaign_id and customer_id pair",
        |m| format!("{},{}", m.campaign, m.customer),
    )
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::input::temp_file;

    #[test]
    fn reads_campaigns_with_default_and_given_currency() {
        let f = temp_file(
            b"campaign_id,name,channel,start,cost,currency,end\n\
              SPRING,Spring sale,email,2025-03-01,1200.50,EUR,2025-03-31\n\
              AUTUMN,Autumn,sms,2025-09-01,300,,\n\
              SPRING,Spring sale,email,2025-03-01,1200.50,EUR,2025-03-31\n",
        );
        let rows = campaigns(f.path(), Currency::USD).unwrap();
        assert_eq!(rows.len(), 2, "an identical repeat is one campaign");
        assert_eq!(rows[0].record.cost.to_string(), "1200.50 EUR");
        assert_eq!(rows[1].record.cost.currency(), Currency::USD);
        assert!(rows[1].record.end.is_none());
        assert_eq!(rows[1].line, 3);
    }

    #[test]
    fn reads_members() {
        let f = temp_file(
            b"campaign_id,customer_id,group,sent_at,responded_at,transaction_id\n\
              SPRING,c1,treatment,2025-03-01,2025-03-02,T1\n\
              SPRING,c2,holdout,,2025-03-05,\n",
        );
        let rows = members(f.path()).unwrap();
        assert_eq!(rows.len(), 2);
        assert_eq!(rows[0].record.group, CampaignGroup::Treatment);
        assert_eq!(
            rows[0].record.conversion.as_ref().map(ToString::to_string),
            Some("T1".into())
        );
        assert_eq!(rows[1].record.group, CampaignGroup::Holdout);
        assert!(rows[1].record.responded_at.is_some());
    }

    #[test]
    fn refuses_bad_rows_naming_line_and_field() {
        let cases: [(&[u8], &str); 6] = [
            (
                b"campaign_id,customer_id,group\nS,c1,control\n",
                "group",
            ),
            (
                b"campaign_id,customer_id,group,sent_at\nS,c1,holdout,2025-01-01\n",
                "campaign_member.sent_at",
            ),
            (
                b"campaign_id,customer_id,group,sent_at,opened_at\nS,c1,treatment,2025-01-02,2025-01-01\n",
                "campaign_member.opened_at",
            ),
            (
                b"campaign_id,customer_id,group,responded_at\nS,c1,holdout,soon\n",
                "responded_at",
            ),
            (
                b"campaign_id,customer_id,group\nS,c1,holdout\nS,c1,treatment\n",
                "campaign_id and customer_id",
            ),
            (b"campaign_id,customer_id,group,note\nS,c1,holdout,x\n", "note"),
        ];
        for (content, field) in cases {
            let f = temp_file(content);
            let message = members(f.path()).unwrap_err().to_string();
            assert!(message.contains(field), "{field}: {message}");
            assert!(message.contains("line"), "{message}");
        }
        let cases: [(&[u8], &str); 4] = [
            (
                b"campaign_id,name,channel,start,cost\nS,Spring,pigeon,2025-01-01,10\n",
                "channel",
            ),
            (
                b"campaign_id,name,channel,start,cost\nS,Spring,email,2025-01-01,-10\n",
                "cost",
            ),
            (
                b"campaign_id,name,channel,start,cost,end\nS,Spring,email,2025-01-02,10,2025-01-01\n",
                "campaign.end",
            ),
            (
                b"campaign_id,name,channel,start,cost\nS,Spring,email,2025-01-01,10\nS,Other,email,2025-01-01,10\n",
                "campaign_id",
            ),
        ];
        for (content, field) in cases {
            let f = temp_file(content);
            let message = campaigns(f.path(), Currency::EUR).unwrap_err().to_string();
            assert!(message.contains(field), "{field}: {message}");
            assert!(message.contains("line"), "{message}");
        }
    }

    proptest::proptest! {
        #[test]
        fn never_panics(body in "\\PC{0,200}") {
            let f = temp_file(format!("campaign_id,customer_id,group,sent_at,opened_at\n{body}").as_bytes());
            let _ = members(f.path());
            let f = temp_file(format!("campaign_id,name,channel,start,cost,end\n{body}").as_bytes());
            let _ = campaigns(f.path(), Currency::EUR);
        }
    }
}
