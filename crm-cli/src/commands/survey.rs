//! `crm nps`, `crm csat`, `crm ces`: satisfaction scores with intervals, breakdowns by group,
//! week or month (with trend flags), and tag drivers, computed by `crm-satisfaction`.

use std::collections::HashMap;

use crm_satisfaction::{
    Aggregator, Breakdown, Ces, CesScale, Csat, CsatScale, DriverCounts, Nps, StatsConfig,
    TimeBucket, Timeline, TrendDirection,
};
use serde::Serialize;

use crate::cli::{Breakdown as By, CsatArgs, SurveyArgs};
use crate::commands::database::load_responses;
use crate::commands::scored::Scored;
use crate::error::{CliError, CliResult, InputError};
use crate::input::responses::{self, ResponseRow};
use crate::output::{finite, outln, print_json, write_table};

/// One line of a survey table: a group (or period, or `all`) with its headline statistics.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct SurveyRow {
    /// Group, period start (`YYYY-MM-DD`), or `all`.
    pub group: String,
    /// Responses.
    pub n: u64,
    /// NPS (-100..100), CSAT % (0..100) or mean CES (1..7).
    pub score: Option<f64>,
    /// Lower bound of the interval (adjusted Wald for NPS, Wilson for CSAT, Student t for CES).
    pub ci_low: Option<f64>,
    /// Upper bound of the interval.
    pub ci_high: Option<f64>,
    /// NPS promoters (9-10), CSAT satisfied (top two points), or CES easy answers.
    pub positive: u64,
    /// NPS passives (7-8); empty for CSAT and CES.
    pub neutral: Option<u64>,
    /// NPS detractors (0-6), dissatisfied CSAT or difficult CES answers.
    pub negative: u64,
    /// Mean score (CSAT and CES); empty for NPS.
    pub mean: Option<f64>,
    /// Fewer responses than the minimum sample size (30).
    pub small_sample: bool,
    /// Significant change against the previous period (`up`, `down`, `flat`), for
    /// `--by week|month`.
    pub trend: Option<String>,
}

impl SurveyRow {
    /// A row of `responses` answers with its score and interval (`(score, low, high)`) and
    /// mean, before the counts are filled in.
    fn headline(
        group: String,
        responses: u64,
        small_sample: bool,
        estimate: Option<(f64, f64, f64)>,
        mean: Option<f64>,
    ) -> Self {
        Self {
            group,
            n: responses,
            score: estimate.map(|e| e.0),
            ci_low: estimate.map(|e| e.1),
            ci_high: estimate.map(|e| e.2),
            positive: 0,
            neutral: None,
            negative: 0,
            mean,
            small_sample,
            trend: None,
        }
    }
}

/// A survey whose headline statistics the CLI can tabulate.
pub trait Survey: Aggregator {
    /// The command name (`nps`, `csat`, `ces`).
    const NAME: &'static str;
    /// The interval method named in JSON output.
    const INTERVAL: &'static str;
    /// The headline row of one aggregate.
    fn row(&self, group: String, config: &StatsConfig) -> SurveyRow;
}

impl Survey for Nps {
    const NAME: &'static str = "nps";
    const INTERVAL: &'static str = "adjusted-wald";
    fn row(&self, group: String, config: &StatsConfig) -> SurveyRow {
        let r = self.report(config);
        let e = r
            .estimate
            .map(|e| (e.score, e.adjusted_wald.lower, e.adjusted_wald.upper));
        SurveyRow {
            positive: r.promoters,
            neutral: Some(r.passives),
            negative: r.detractors,
            ..SurveyRow::headline(group, r.responses, r.small_sample, e, None)
        }
    }
}

impl Survey for Csat {
    const NAME: &'static str = "csat";
    const INTERVAL: &'static str = "wilson";
    fn row(&self, group: String, config: &StatsConfig) -> SurveyRow {
        let r = self.report(config);
        let s = r.satisfied_share.map(|s| {
            (
                100.0 * s.share,
                100.0 * s.wilson.lower,
                100.0 * s.wilson.upper,
            )
        });
        let mean = r.mean.map(|m| m.mean);
        SurveyRow {
            positive: r.satisfied,
            negative: r.responses - r.satisfied,
            ..SurveyRow::headline(group, r.responses, r.small_sample, s, mean)
        }
    }
}

impl Survey for Ces {
    const NAME: &'static str = "ces";
    const INTERVAL: &'static str = "student-t";
    fn row(&self, group: String, config: &StatsConfig) -> SurveyRow {
        let r = self.report(config);
        let e = r
            .mean
            .map(|m| (m.mean, m.student_t.lower, m.student_t.upper));
        let mean = r.mean.map(|m| m.mean);
        SurveyRow {
            positive: r.easy,
            negative: r.responses - r.easy,
            ..SurveyRow::headline(group, r.responses, r.small_sample, e, mean)
        }
    }
}

/// A driver: how over-represented a tag is among negative answers.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct DriverRow {
    /// The tag.
    pub tag: String,
    /// Responses with the tag.
    pub responses: u64,
    /// Negative responses with the tag.
    pub negative: u64,
    /// Share of negative answers carrying the tag divided by the share of all answers
    /// carrying it.
    pub lift: Option<f64>,
    /// p-value of the difference in negative rate with and without the tag.
    pub p_value: Option<f64>,
}

/// Everything a survey analysis produces.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct SurveyResult {
    /// The whole set.
    pub overall: SurveyRow,
    /// Groups or periods, when broken down.
    pub rows: Vec<SurveyRow>,
    /// Tag drivers, most lifted first.
    pub drivers: Vec<DriverRow>,
}

fn sat(e: crm_satisfaction::SatisfactionError) -> CliError {
    CliError::analysis("satisfaction", e)
}

/// Aggregates responses with the library and tabulates the result.
pub fn analyse<A: Survey>(
    template: A,
    responses: &[Scored],
    by: Option<By>,
    config: &StatsConfig,
) -> CliResult<SurveyResult> {
    let mut overall = template.empty_like();
    let mut drivers: DriverCounts<String> = DriverCounts::new();
    for r in responses {
        overall.add(r.score).map_err(sat)?;
        drivers
            .add_scored(&template, r.score, &r.tags)
            .map_err(sat)?;
    }
    let rows = match by {
        None => Vec::new(),
        Some(By::Group) => {
            let mut b: Breakdown<String, A> = Breakdown::new(template.empty_like());
            for r in responses {
                let key = r.group.clone().unwrap_or_else(|| "(none)".to_string());
                b.add(key, r.score).map_err(sat)?;
            }
            b.sorted()
                .into_iter()
                .map(|(k, a)| a.row(k, config))
                .collect()
        }
        Some(bucket @ (By::Week | By::Month)) => {
            let bucket = if bucket == By::Week {
                TimeBucket::IsoWeek
            } else {
                TimeBucket::Month
            };
            let mut t = Timeline::new(bucket, template.empty_like());
            for r in responses {
                t.add(r.timestamp, r.score).map_err(sat)?;
            }
            let trends: HashMap<_, _> = t
                .trends(config)
                .map_err(sat)?
                .into_iter()
                .map(|tr| (tr.period, tr.direction))
                .collect();
            t.periods()
                .into_iter()
                .map(|(start, a)| {
                    let mut row = a.row(start.format("%Y-%m-%d").to_string(), config);
                    row.trend = trends.get(&start).map(|d| {
                        match d {
                            TrendDirection::Up => "up",
                            TrendDirection::Down => "down",
                            TrendDirection::Flat => "flat",
                            TrendDirection::Insufficient => "insufficient",
                        }
                        .to_string()
                    });
                    row
                })
                .collect()
        }
    };
    let mut drivers: Vec<DriverRow> = drivers
        .report(config)
        .into_iter()
        .map(|d| DriverRow {
            tag: d.tag,
            responses: d.responses,
            negative: d.negative,
            lift: d.lift.and_then(finite),
            p_value: d.difference.map(|x| x.p_value),
        })
        .collect();
    drivers.sort_by(|a, b| {
        b.lift
            .unwrap_or(0.0)
            .total_cmp(&a.lift.unwrap_or(0.0))
            .then_with(|| a.tag.cmp(&b.tag))
    });
    Ok(SurveyResult {
        overall: overall.row("all".to_string(), config),
        rows,
        drivers,
    })
}

/// Refuses a response id seen before in the same file (rows without an id are not checked).
fn check_unique_ids(path: &std::path::Path, rows: &[ResponseRow]) -> CliResult<()> {
    let mut seen: HashMap<&str, u64> = HashMap::new();
    for r in rows.iter().filter(|r| !r.response_id.is_empty()) {
        if let Some(first) = seen.insert(&r.response_id, r.line) {
            return Err(InputError::field(
                path,
                r.line,
                1,
                "response_id",
                format!("a response id not used before (first used on line {first})"),
                &r.response_id,
            )
            .into());
        }
    }
    Ok(())
}

fn stats_config(level: f64) -> CliResult<StatsConfig> {
    let level = crm_satisfaction::ConfidenceLevel::new(level)
        .map_err(|e| CliError::Usage(format!("--level: {e}")))?;
    Ok(StatsConfig {
        level,
        ..StatsConfig::default()
    })
}

fn load(args: &SurveyArgs, min: u8, max: u8, name: &str) -> CliResult<Vec<Scored>> {
    if let Some(path) = &args.source.responses {
        let rows = responses::read(path, min, max, name)?;
        check_unique_ids(path, &rows)?;
        Ok(rows.iter().map(Scored::from).collect())
    } else if let Some(db) = &args.source.db {
        load_responses(db, name)
    } else {
        Err(CliError::Usage("give --responses FILE or --db PATH".into()))
    }
}

fn report<A: Survey>(
    template: A,
    args: &SurveyArgs,
    min: u8,
    max: u8,
    label: &str,
) -> CliResult<()> {
    let config = stats_config(args.level)?;
    let responses = load(args, min, max, label)?;
    let result = analyse(template, &responses, args.by, &config)?;
    if let Some(path) = &args.out.output {
        let rows = if result.rows.is_empty() {
            vec![result.overall.clone()]
        } else {
            result.rows.clone()
        };
        write_table(path, &rows, &[])?;
    }
    if args.out.json {
        print_json(&json_summary::<A>(&result, &config))
    } else {
        print_text(label, &result)
    }
}

/// The JSON of one aggregate: `score, n, ci_low, ci_high, small_sample` and the survey's
/// counts (`promoters, passives, detractors` for NPS; `satisfied, dissatisfied, mean` for
/// CSAT; `easy, difficult, mean` for CES).
fn row_json<A: Survey>(r: &SurveyRow) -> serde_json::Map<String, serde_json::Value> {
    let v = serde_json::json!({
        "score": r.score,
        "n": r.n,
        "ci_low": r.ci_low,
        "ci_high": r.ci_high,
        "small_sample": r.small_sample,
    });
    let counts = match A::NAME {
        "nps" => {
            serde_json::json!({"promoters": r.positive, "passives": r.neutral, "detractors": r.negative})
        }
        "csat" => {
            serde_json::json!({"satisfied": r.positive, "dissatisfied": r.negative, "mean": r.mean})
        }
        _ => serde_json::json!({"easy": r.positive, "difficult": r.negative, "mean": r.mean}),
    };
    let mut map = serde_json::Map::new();
    for part in [v, counts] {
        if let serde_json::Value::Object(m) = part {
            map.extend(m);
        }
    }
    map
}

/// The `--json` summary: `score, n, ci_low, ci_high`, the counts, and groups (each with the
/// same keys plus `group` and `trend`) and drivers.
pub fn json_summary<A: Survey>(result: &SurveyResult, config: &StatsConfig) -> serde_json::Value {
    let mut map = row_json::<A>(&result.overall);
    map.insert("survey".into(), A::NAME.into());
    map.insert("interval".into(), A::INTERVAL.into());
    map.insert("level".into(), config.level.value().into());
    if !result.rows.is_empty() {
        let groups: Vec<serde_json::Value> = result
            .rows
            .iter()
            .map(|r| {
                let mut g = row_json::<A>(r);
                g.insert("group".into(), r.group.clone().into());
                g.insert("trend".into(), r.trend.clone().into());
                serde_json::Value::Object(g)
            })
            .collect();
        map.insert("groups".into(), groups.into());
    }
    if !result.drivers.is_empty() {
        map.insert(
            "drivers".into(),
            serde_json::to_value(&result.drivers).unwrap_or_default(),
        );
    }
    serde_json::Value::Object(map)
}

/// A value with `dp` decimals, or `-`.
fn fmt_dp(x: Option<f64>, dp: usize) -> String {
    x.map(|v| format!("{v:.dp$}")).unwrap_or_else(|| "-".into())
}

/// The decimals that show a score and its interval apart: one, or up to four when the
/// bounds would otherwise print as the same number (a narrow interval, "4.8 .. 4.8").
fn interval_dp(score: Option<f64>, low: Option<f64>, high: Option<f64>) -> usize {
    let (Some(s), Some(l), Some(h)) = (score, low, high) else {
        return 1;
    };
    (1..=4)
        .find(|&dp| {
            let f = |v: f64| format!("{v:.dp$}");
            (l == h || f(l) != f(h)) && (l == s || f(l) != f(s)) && (h == s || f(h) != f(s))
        })
        .unwrap_or(4)
}

fn print_text(label: &str, result: &SurveyResult) -> CliResult<()> {
    let o = &result.overall;
    let dp = interval_dp(o.score, o.ci_low, o.ci_high);
    outln!(
        "{label}: {} (interval {} .. {}), n = {}{}",
        fmt_dp(o.score, dp),
        fmt_dp(o.ci_low, dp),
        fmt_dp(o.ci_high, dp),
        thousands::Separable::separate_with_commas(&o.n),
        if o.small_sample {
            " (small sample)"
        } else {
            ""
        }
    )?;
    if !result.rows.is_empty() {
        outln!(
            "{:<24} {:>8} {:>8} {:>8} {:>8}  trend",
            "group",
            "n",
            "score",
            "low",
            "high"
        )?;
        for r in &result.rows {
            let dp = interval_dp(r.score, r.ci_low, r.ci_high);
            outln!(
                "{:<24} {:>8} {:>8} {:>8} {:>8}  {}",
                r.group,
                thousands::Separable::separate_with_commas(&r.n),
                fmt_dp(r.score, dp),
                fmt_dp(r.ci_low, dp),
                fmt_dp(r.ci_high, dp),
                r.trend.as_deref().unwrap_or("")
            )?;
        }
    }
    if !result.drivers.is_empty() {
        outln!("drivers (lift among negative answers):")?;
        for d in &result.drivers {
            outln!(
                "  {:<20} lift {:>5}  ({} of {} negative)",
                d.tag,
                d.lift.map(|l| format!("{l:.2}")).unwrap_or("-".into()),
                d.negative,
                d.responses
            )?;
        }
    }
    Ok(())
}

/// `crm nps`.
pub fn nps(args: &SurveyArgs) -> CliResult<()> {
    report(Nps::new(), args, 0, 10, "NPS")
}

/// `crm csat`.
pub fn csat(args: &CsatArgs) -> CliResult<()> {
    let scale = CsatScale::top_two(1, args.scale_max)
        .map_err(|e| CliError::Usage(format!("--scale-max: {e}")))?;
    report(Csat::new(scale), &args.survey, 1, args.scale_max, "CSAT")
}

/// `crm ces`.
pub fn ces(args: &SurveyArgs) -> CliResult<()> {
    report(Ces::new(CesScale::default()), args, 1, 7, "CES")
}

#[cfg(test)]
mod tests {
    #[test]
    fn narrow_intervals_get_the_decimals_that_tell_their_bounds_apart() {
        assert_eq!(super::interval_dp(Some(25.0), Some(-29.4), Some(65.8)), 1);
        assert_eq!(super::interval_dp(Some(4.81), Some(4.79), Some(4.83)), 2);
        assert_eq!(super::interval_dp(Some(4.8), Some(4.8), Some(4.8)), 1);
        assert_eq!(super::interval_dp(None, Some(1.0), Some(2.0)), 1);
        assert_eq!(
            super::interval_dp(Some(1.0), Some(1.000_01), Some(1.000_02)),
            4
        );
    }

    use chrono::Utc;

    use super::*;

    fn scored(day: u32, score: u8, group: &str, tags: &[&str]) -> Scored {
        Scored {
            timestamp: chrono::TimeZone::with_ymd_and_hms(&Utc, 2024, 1, day, 0, 0, 0).unwrap(),
            score,
            group: Some(group.to_string()),
            tags: tags.iter().map(|t| t.to_string()).collect(),
        }
    }

    #[test]
    fn nps_table_matches_hand_count() {
        // 2 promoters, 1 passive, 1 detractor: NPS = 100 * (2 - 1) / 4 = 25.
        let rs = vec![
            scored(1, 10, "a", &[]),
            scored(2, 9, "a", &[]),
            scored(3, 7, "b", &[]),
            scored(9, 3, "b", &["price"]),
        ];
        let r = analyse(Nps::new(), &rs, Some(By::Group), &StatsConfig::default()).unwrap();
        assert_eq!(r.overall.score, Some(25.0));
        assert_eq!(
            (r.overall.positive, r.overall.neutral, r.overall.negative),
            (2, Some(1), 1)
        );
        assert_eq!(r.rows.len(), 2);
        assert_eq!(r.rows[0].score, Some(100.0));
        assert_eq!(r.rows[1].score, Some(-50.0));
        assert_eq!(r.drivers[0].tag, "price");
        assert_eq!(r.drivers[0].lift, Some(4.0));
        let weekly = analyse(Nps::new(), &rs, Some(By::Week), &StatsConfig::default()).unwrap();
        assert_eq!(weekly.rows.len(), 2);
        assert_eq!(weekly.rows[0].group, "2024-01-01");
    }
}
