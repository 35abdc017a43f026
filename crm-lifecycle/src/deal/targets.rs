//! Sales targets (quotas) per owner and period, as data, and how far each owner stands:
//! attainment to date, weighted pipeline coverage of what remains, and a forecast of the
//! period's closed value.

use chrono::{DateTime, NaiveDate, Utc};
use crm_core::{Deal, DealStage, Money, UserId};
use rust_decimal::Decimal;
use serde::{Deserialize, Serialize};

use super::funnel::StageProbabilities;
use super::performance::{PerformanceError, SalesPeriod};

/// A sales target: what one owner should close in one period.
///
/// Flat, so a CSV file of quotas reads directly with the header
/// `owner,period_start,period_end,target`; the target is written as money text
/// (`"50000 EUR"`), and the period's days are both included.
///
/// ```
/// use crm_lifecycle::Quota;
/// let json = r#"{"owner":"ann","period_start":"2024-01-01","period_end":"2024-03-31","target":"50000 EUR"}"#;
/// let quota: Quota = serde_json::from_str(json)?;
/// assert_eq!(quota.target.to_string(), "50000.00 EUR");
/// assert_eq!(quota.period()?.days(), 91);
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Quota {
    /// The sales rep.
    pub owner: UserId,
    /// The first day of the period.
    pub period_start: NaiveDate,
    /// The last day of the period (included).
    pub period_end: NaiveDate,
    /// The value to close, not negative.
    #[serde(with = "money_text")]
    pub target: Money,
}

impl Quota {
    /// The quota's period, checked.
    ///
    /// ```
    /// use chrono::NaiveDate;
    /// use crm_lifecycle::Quota;
    /// let q = Quota {
    ///     owner: "ann".parse()?,
    ///     period_start: NaiveDate::from_ymd_opt(2024, 2, 1).unwrap(),
    ///     period_end: NaiveDate::from_ymd_opt(2024, 1, 31).unwrap(),
    ///     target: "100 EUR".parse()?,
    /// };
    /// assert!(q.period().is_err());
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn period(&self) -> Result<SalesPeriod, PerformanceError> {
        SalesPeriod::new(self.period_start, self.period_end)
    }

    /// Checks the period and that the target is not negative.
    ///
    /// ```
    /// use chrono::NaiveDate;
    /// use crm_lifecycle::Quota;
    /// let q = Quota {
    ///     owner: "ann".parse()?,
    ///     period_start: NaiveDate::from_ymd_opt(2024, 1, 1).unwrap(),
    ///     period_end: NaiveDate::from_ymd_opt(2024, 1, 31).unwrap(),
    ///     target: "-1 EUR".parse()?,
    /// };
    /// assert_eq!(
    ///     q.validate().unwrap_err().to_string(),
    ///     "quota of owner ann for 2024-01-01..=2024-01-31: target -1.00 EUR is negative"
    /// );
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn validate(&self) -> Result<(), PerformanceError> {
        let period = self.period()?;
        if self.target.is_negative() {
            return Err(PerformanceError::NegativeTarget {
                owner: self.owner.to_string(),
                period,
                target: self.target,
            });
        }
        Ok(())
    }
}

/// Money as its text form (`"50000 EUR"`) in serde, so a quota is one flat row.
mod money_text {
    use crm_core::Money;
    use serde::{Deserialize, Deserializer, Serializer};

    pub(super) fn serialize<S: Serializer>(
        money: &Money,
        serializer: S,
    ) -> Result<S::Ok, S::Error> {
        serializer.collect_str(money)
    }

    pub(super) fn deserialize<'de, D: Deserializer<'de>>(
        deserializer: D,
    ) -> Result<Money, D::Error> {
        let text = String::deserialize(deserializer)?;
        text.parse().map_err(serde::de::Error::custom)
    }
}

/// Where an owner stands against a quota at some instant. See [`quota_status`].
///
/// ```
/// use chrono::{NaiveDate, TimeZone, Utc};
/// use crm_lifecycle::{Quota, StageProbabilities, quota_status};
/// let day = |m, d| NaiveDate::from_ymd_opt(2024, m, d).unwrap();
/// let quota = Quota { owner: "ann".parse()?, period_start: day(1, 1), period_end: day(1, 31), target: "500 EUR".parse()? };
/// let as_of = Utc.with_ymd_and_hms(2024, 1, 15, 0, 0, 0).unwrap();
/// let s = quota_status(&quota, [], as_of, &StageProbabilities::default())?;
/// assert_eq!((s.won_deals, s.remaining), (0, "500 EUR".parse()?));
/// assert_eq!(s.coverage, Some(0.into())); // nothing in the pipeline
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct QuotaStatus {
    /// The owner.
    pub owner: UserId,
    /// The quota's period.
    pub period: SalesPeriod,
    /// The instant the status describes.
    pub as_of: DateTime<Utc>,
    /// The target.
    pub target: Money,
    /// Value of the owner's deals won in the period up to `as_of`.
    pub won_to_date: Money,
    /// How many deals that is.
    pub won_deals: usize,
    /// `won_to_date / target` (`None` for a zero target).
    pub attainment: Option<Decimal>,
    /// `target − won_to_date`, never below zero.
    pub remaining: Money,
    /// Σ amount of the open deals expected to close in the period.
    pub open_pipeline: Money,
    /// Σ amount × stage probability of those deals.
    pub weighted_pipeline: Money,
    /// How many open deals that is.
    pub open_deals: usize,
    /// `weighted_pipeline / remaining` (`None` when nothing remains).
    pub coverage: Option<Decimal>,
    /// The period's expected closed value: `won_to_date + weighted_pipeline`.
    pub forecast: Money,
    /// `forecast / target` (`None` for a zero target).
    pub forecast_attainment: Option<Decimal>,
    /// The owner's deals left out for want of a date: won without `closed_at`, open
    /// without `expected_close`.
    pub undated: usize,
}

/// Where `quota.owner` stands against `quota` at `as_of`, from the deals as they stand
/// then.
///
/// * **Won to date**: deals of the owner in stage `won` whose `closed_at` falls in the
///   period, at or before `as_of`.
/// * **Pipeline**: open deals of the owner whose `expected_close` is in the period, or
///   before it but already past at `as_of` (overdue deals still open are expected soon,
///   so in this period when it is the current one); weighted by `probabilities` (the
///   defaults of [`StageProbabilities`]: qualification 10 %, needs analysis 20 %, proposal
///   50 %, negotiation 80 %).
/// * **Coverage** is the weighted pipeline over the remaining target; a coverage of 1
///   means the pipeline is expected to close exactly the gap. **Forecast** is won to date
///   plus the weighted pipeline.
///
/// Every counted deal must be in the target's currency. Money is exact; ratios are
/// `Decimal`.
///
/// ```
/// use chrono::{NaiveDate, TimeZone, Utc};
/// use crm_core::{Deal, DealStage};
/// use crm_lifecycle::{Quota, StageProbabilities, quota_status};
/// use rust_decimal::Decimal;
///
/// let day = |m, d| NaiveDate::from_ymd_opt(2024, m, d).unwrap();
/// let quota = Quota { owner: "ann".parse()?, period_start: day(1, 1), period_end: day(3, 31), target: "10000 EUR".parse()? };
/// let t = Utc.with_ymd_and_hms(2024, 1, 10, 0, 0, 0).unwrap();
/// let mut won = Deal::new("D-1".parse()?, 1.into(), "Won", "4000 EUR".parse()?, t)?;
/// won.owner = Some("ann".parse()?);
/// won.stage = DealStage::Won;
/// won.closed_at = Some(Utc.with_ymd_and_hms(2024, 2, 1, 0, 0, 0).unwrap());
/// let mut open = Deal::new("D-2".parse()?, 2.into(), "Open", "6000 EUR".parse()?, t)?;
/// open.owner = Some("ann".parse()?);
/// open.stage = DealStage::Proposal; // 50 %
/// open.expected_close = Some(day(3, 15));
///
/// let as_of = Utc.with_ymd_and_hms(2024, 2, 15, 0, 0, 0).unwrap();
/// let s = quota_status(&quota, [&won, &open], as_of, &StageProbabilities::default())?;
/// assert_eq!(s.attainment, Some(Decimal::new(4, 1))); // 4000 / 10000
/// assert_eq!(s.weighted_pipeline, "3000 EUR".parse()?);
/// assert_eq!(s.coverage, Some(Decimal::new(5, 1))); // 3000 / 6000 remaining
/// assert_eq!(s.forecast, "7000 EUR".parse()?);
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
pub fn quota_status<'a>(
    quota: &Quota,
    deals: impl IntoIterator<Item = &'a Deal>,
    as_of: DateTime<Utc>,
    probabilities: &StageProbabilities,
) -> Result<QuotaStatus, PerformanceError> {
    quota.validate()?;
    probabilities.validate()?;
    let period = quota.period()?;
    let currency = quota.target.currency();
    let owner = quota.owner.to_string();
    let overflow = |figure| PerformanceError::Overflow {
        owner: owner.clone(),
        period,
        figure,
    };
    let (mut won_sum, mut open_sum, mut weighted_sum) =
        (Decimal::ZERO, Decimal::ZERO, Decimal::ZERO);
    let (mut won_deals, mut open_deals, mut undated) = (0, 0, 0);
    let today = as_of.date_naive();
    for deal in deals {
        if deal.owner.as_ref() != Some(&quota.owner) {
            continue;
        }
        let counted = match deal.stage {
            DealStage::Won => match deal.closed_at {
                None => {
                    undated += 1;
                    false
                }
                Some(at) => period.contains(at) && at <= as_of,
            },
            DealStage::Lost => false,
            _ => match deal.expected_close {
                None => {
                    undated += 1;
                    false
                }
                Some(day) => day <= period.end && (day >= period.start || day < today),
            },
        };
        if !counted {
            continue;
        }
        if deal.amount.currency() != currency {
            return Err(PerformanceError::CurrencyMismatch {
                deal: deal.id.to_string(),
                owner: owner.clone(),
                expected: currency,
                found: deal.amount.currency(),
            });
        }
        let amount = deal.amount.amount();
        if deal.stage == DealStage::Won {
            won_deals += 1;
            won_sum = won_sum
                .checked_add(amount)
                .ok_or_else(|| overflow("won value"))?;
        } else {
            open_deals += 1;
            open_sum = open_sum
                .checked_add(amount)
                .ok_or_else(|| overflow("open pipeline"))?;
            let weighted = amount
                .checked_mul(probabilities.probability(deal.stage))
                .ok_or_else(|| overflow("weighted pipeline"))?;
            weighted_sum = weighted_sum
                .checked_add(weighted)
                .ok_or_else(|| overflow("weighted pipeline"))?;
        }
    }
    let target = quota.target.amount();
    let remaining = (target - won_sum.min(target)).max(Decimal::ZERO);
    let forecast = won_sum
        .checked_add(weighted_sum)
        .ok_or_else(|| overflow("forecast"))?;
    let ratio = |numerator: Decimal, denominator: Decimal| {
        if denominator.is_zero() {
            Ok(None)
        } else {
            numerator
                .checked_div(denominator)
                .map(|r| Some(r.normalize()))
                .ok_or_else(|| overflow("ratio"))
        }
    };
    let money = |amount: Decimal| Money::new(amount, currency);
    Ok(QuotaStatus {
        owner: quota.owner.clone(),
        period,
        as_of,
        target: quota.target,
        won_to_date: money(won_sum),
        won_deals,
        attainment: ratio(won_sum, target)?,
        remaining: money(remaining),
        open_pipeline: money(open_sum),
        weighted_pipeline: money(weighted_sum),
        open_deals,
        coverage: ratio(weighted_sum, remaining)?,
        forecast: money(forecast),
        forecast_attainment: ratio(forecast, target)?,
        undated,
    })
}

/// [`quota_status`] for every quota, in the order given.
///
/// ```
/// use chrono::{NaiveDate, Utc};
/// use crm_lifecycle::{Quota, StageProbabilities, quota_statuses};
/// let day = |m, d| NaiveDate::from_ymd_opt(2024, m, d).unwrap();
/// let quotas = [Quota { owner: "bob".parse()?, period_start: day(1, 1), period_end: day(1, 31), target: "0 EUR".parse()? }];
/// let s = quota_statuses(&quotas, &[], Utc::now(), &StageProbabilities::default())?;
/// assert_eq!(s[0].attainment, None); // a zero target has no attainment
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
pub fn quota_statuses(
    quotas: &[Quota],
    deals: &[Deal],
    as_of: DateTime<Utc>,
    probabilities: &StageProbabilities,
) -> Result<Vec<QuotaStatus>, PerformanceError> {
    quotas
        .iter()
        .map(|quota| quota_status(quota, deals, as_of, probabilities))
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::TimeZone;
    use rust_decimal_macros::dec;

    fn day(y: i32, m: u32, d: u32) -> NaiveDate {
        NaiveDate::from_ymd_opt(y, m, d).unwrap()
    }

    fn at(y: i32, m: u32, d: u32) -> DateTime<Utc> {
        Utc.with_ymd_and_hms(y, m, d, 12, 0, 0).unwrap()
    }

    fn deal(id: &str, owner: &str, amount: &str, stage: DealStage) -> Deal {
        let mut d = Deal::new(
            id.parse().unwrap(),
            1.into(),
            "deal",
            amount.parse().unwrap(),
            at(2023, 11, 1),
        )
        .unwrap();
        d.owner = Some(owner.parse().unwrap());
        d.stage = stage;
        d
    }

    fn won(id: &str, owner: &str, amount: &str, closed: Option<DateTime<Utc>>) -> Deal {
        let mut d = deal(id, owner, amount, DealStage::Won);
        d.closed_at = closed;
        d
    }

    fn open(id: &str, stage: DealStage, amount: &str, expected: Option<NaiveDate>) -> Deal {
        let mut d = deal(id, "ann", amount, stage);
        d.expected_close = expected;
        d
    }

    fn quota(target: &str) -> Quota {
        Quota {
            owner: "ann".parse().unwrap(),
            period_start: day(2024, 1, 1),
            period_end: day(2024, 3, 31),
            target: target.parse().unwrap(),
        }
    }

    /// Ann's first quarter of 2024, target 10 000 EUR, as of 15 February:
    ///
    /// | deal | state | counted |
    /// |---|---|---|
    /// | W1 | won 4000, closed 22 Jan | won to date |
    /// | W2 | won 3000, closed 20 Feb | no (after as-of) |
    /// | W3 | won 2500, closed 20 Dec 2023 | no (before the period) |
    /// | W4 | won, no close time | undated |
    /// | O1 | negotiation 5000, expected 10 Mar | 80 % → 4000 |
    /// | O2 | qualification 2000, expected 1 Feb (overdue) | 10 % → 200 |
    /// | O3 | proposal 1000, expected 5 Apr | no (after the period) |
    /// | O4 | proposal 1000, expected 28 Dec 2023 (overdue) | 50 % → 500 |
    /// | O5 | needs analysis, no expected close | undated |
    /// | O6 | proposal 700 USD, expected 30 Apr | no (so its currency does not matter) |
    /// | L1 | lost | no |
    /// | B1 | bob's, won 9999 in January | no |
    fn deals() -> Vec<Deal> {
        use DealStage::*;
        vec![
            won("W1", "ann", "4000 EUR", Some(at(2024, 1, 22))),
            won("W2", "ann", "3000 EUR", Some(at(2024, 2, 20))),
            won("W3", "ann", "2500 EUR", Some(at(2023, 12, 20))),
            won("W4", "ann", "100 EUR", None),
            open("O1", Negotiation, "5000 EUR", Some(day(2024, 3, 10))),
            open("O2", Qualification, "2000 EUR", Some(day(2024, 2, 1))),
            open("O3", Proposal, "1000 EUR", Some(day(2024, 4, 5))),
            open("O4", Proposal, "1000 EUR", Some(day(2023, 12, 28))),
            open("O5", NeedsAnalysis, "1000 EUR", None),
            open("O6", Proposal, "700 USD", Some(day(2024, 4, 30))),
            deal("L1", "ann", "900 EUR", Lost),
            won("B1", "bob", "9999 EUR", Some(at(2024, 1, 5))),
        ]
    }

    #[test]
    fn hand_computed_attainment() {
        let s = quota_status(
            &quota("10000 EUR"),
            &deals(),
            at(2024, 2, 15),
            &StageProbabilities::default(),
        )
        .unwrap();
        assert_eq!(s.won_to_date, "4000 EUR".parse().unwrap());
        assert_eq!(s.won_deals, 1);
        assert_eq!(s.attainment, Some(dec!(0.4)));
        assert_eq!(s.remaining, "6000 EUR".parse().unwrap());
        assert_eq!(s.open_pipeline, "8000 EUR".parse().unwrap());
        assert_eq!(s.weighted_pipeline, "4700 EUR".parse().unwrap());
        assert_eq!(s.open_deals, 3);
        // 4700 / 6000
        assert_eq!(s.coverage.unwrap().round_dp(6), dec!(0.783333));
        assert_eq!(s.forecast, "8700 EUR".parse().unwrap());
        assert_eq!(s.forecast_attainment, Some(dec!(0.87)));
        assert_eq!(s.undated, 2);

        // Later, W2 has closed too; custom probabilities.
        let custom = StageProbabilities {
            negotiation: dec!(1),
            qualification: dec!(0),
            ..Default::default()
        };
        let s = quota_status(&quota("10000 EUR"), &deals(), at(2024, 3, 1), &custom).unwrap();
        assert_eq!(s.won_to_date, "7000 EUR".parse().unwrap());
        assert_eq!(s.weighted_pipeline, "5500 EUR".parse().unwrap()); // 5000 + 0 + 500
        assert_eq!(s.coverage.unwrap().round_dp(6), dec!(1.833333)); // 5500 / 3000
    }

    #[test]
    fn target_met_zero_and_errors() {
        let s = quota_status(
            &quota("3000 EUR"),
            &deals(),
            at(2024, 2, 15),
            &StageProbabilities::default(),
        )
        .unwrap();
        assert!(s.remaining.is_zero());
        assert_eq!(s.coverage, None);
        assert_eq!(s.attainment.unwrap().round_dp(6), dec!(1.333333));
        let zero = quota_status(
            &quota("0 EUR"),
            &deals(),
            at(2024, 2, 15),
            &StageProbabilities::default(),
        )
        .unwrap();
        assert_eq!((zero.attainment, zero.forecast_attainment), (None, None));

        let mut mixed = deals();
        mixed.push(open(
            "O7",
            DealStage::Proposal,
            "10 USD",
            Some(day(2024, 3, 1)),
        ));
        let err = quota_status(
            &quota("10000 EUR"),
            &mixed,
            at(2024, 2, 15),
            &StageProbabilities::default(),
        )
        .unwrap_err();
        assert_eq!(
            err.to_string(),
            "deal O7 of owner ann: amount in USD, the analysis is in EUR"
        );
        let mut backwards = quota("1 EUR");
        backwards.period_end = day(2023, 1, 1);
        assert_eq!(
            quota_statuses(
                &[backwards],
                &[],
                at(2024, 1, 1),
                &StageProbabilities::default()
            )
            .unwrap_err()
            .to_string(),
            "period 2024-01-01..=2023-01-01: ends before it starts"
        );
    }

    #[test]
    fn quotas_read_from_csv() {
        let text = "owner,period_start,period_end,target\n\
                    ann,2024-01-01,2024-03-31,10000 EUR\n\
                    42,2024-04-01,2024-06-30,2500.50 USD\n";
        let quotas: Vec<Quota> = csv::Reader::from_reader(text.as_bytes())
            .deserialize()
            .collect::<Result<_, _>>()
            .unwrap();
        assert_eq!(quotas[0], quota("10000 EUR"));
        assert_eq!(quotas[1].owner, UserId::from(42));
        assert_eq!(quotas[1].target.to_string(), "2500.50 USD");
        let mut out = csv::Writer::from_writer(Vec::new());
        out.serialize(&quotas[0]).unwrap();
        let written = String::from_utf8(out.into_inner().unwrap()).unwrap();
        assert_eq!(
            written,
            "owner,period_start,period_end,target\nann,2024-01-01,2024-03-31,10000.00 EUR\n"
        );
        let bad = "owner,period_start,period_end,target\nann,2024-01-01,2024-03-31,10000 EURO\n";
        let err = csv::Reader::from_reader(bad.as_bytes())
            .deserialize::<Quota>()
            .next()
            .unwrap()
            .unwrap_err();
        assert!(err.to_string().contains("EURO"), "{err}");
    }
}
