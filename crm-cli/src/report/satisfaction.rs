//! Report section: NPS, CSAT and CES with intervals, monthly trends with bands, NPS by RFM
//! segment and the tags that drive detractors (all from `crm-satisfaction`).

use crm_satisfaction::{Ces, CesScale, Csat, Nps, StatsConfig};
use crm_segmentation::RfmTable;
use serde_json::{Value, json};
use thousands::Separable;

use crate::cli::Breakdown as By;
use crate::commands::scored::{Scored, scored, scored_of, survey_score};
use crate::commands::survey::{Survey, SurveyResult, SurveyRow, analyse, json_summary};
use crate::error::CliResult;
use crate::report::charts;
use crate::report::collector::{Collector, f1};
use crate::report::html::{Chart, Section, Table};

/// Every survey analysis of the section.
struct Analyses {
    nps: SurveyResult,
    nps_by_segment: SurveyResult,
    nps_monthly: SurveyResult,
    csat: SurveyResult,
    csat_monthly: SurveyResult,
    ces: SurveyResult,
    ces_monthly: SurveyResult,
}

/// NPS answers, each grouped by its customer's RFM segment (`no purchase` for a customer
/// without one).
fn nps_by_rfm_segment(
    responses: &[crm_core::SurveyResponse],
    rfm: Option<&RfmTable<String>>,
) -> Vec<Scored> {
    responses
        .iter()
        .filter_map(|r| {
            let score = survey_score(r, "NPS")?;
            let mut row = scored(r, score);
            let customer = r.customer.to_string();
            row.group = Some(
                rfm.and_then(|t| t.get(&customer).map(|c| t.segment_name(c).to_string()))
                    .unwrap_or_else(|| "no purchase".into()),
            );
            Some(row)
        })
        .collect()
}

/// NPS overall, by RFM segment and by month; CSAT and CES overall and by month.
fn analyses(
    responses: &[crm_core::SurveyResponse],
    rfm: Option<&RfmTable<String>>,
    config: &StatsConfig,
) -> CliResult<Analyses> {
    let nps_rows = nps_by_rfm_segment(responses, rfm);
    let csat_rows = scored_of(responses, "CSAT");
    let ces_rows = scored_of(responses, "CES");
    Ok(Analyses {
        nps: analyse(Nps::new(), &nps_rows, None, config)?,
        nps_by_segment: analyse(Nps::new(), &nps_rows, Some(By::Group), config)?,
        nps_monthly: analyse(Nps::new(), &nps_rows, Some(By::Month), config)?,
        csat: analyse(Csat::default(), &csat_rows, None, config)?,
        csat_monthly: analyse(Csat::default(), &csat_rows, Some(By::Month), config)?,
        ces: analyse(Ces::new(CesScale::default()), &ces_rows, None, config)?,
        ces_monthly: analyse(
            Ces::new(CesScale::default()),
            &ces_rows,
            Some(By::Month),
            config,
        )?,
    })
}

/// Months with fewer answers than this are marked as small samples in the trends.
const SMALL_SAMPLE: u64 = 30;

fn trend_chart(title: &str, monthly: &SurveyResult, y: &str) -> CliResult<Chart> {
    let points: Vec<(String, f64, f64, f64)> = monthly
        .rows
        .iter()
        .filter(|r| r.n > 0)
        .map(|r| {
            (
                r.group[..7].to_string(),
                r.score.unwrap_or(f64::NAN),
                r.ci_low.unwrap_or(f64::NAN),
                r.ci_high.unwrap_or(f64::NAN),
            )
        })
        .collect();
    let small: Vec<bool> = monthly
        .rows
        .iter()
        .filter(|r| r.n > 0)
        .map(|r| r.n < SMALL_SAMPLE)
        .collect();
    Ok(Chart {
        caption: format!(
            "{title}: monthly value with its 95% interval (shaded); months with fewer than \
             {SMALL_SAMPLE} answers are circled in red"
        ),
        svg: charts::trend_with_band(
            title,
            &points,
            y,
            &small,
            &format!("fewer than {SMALL_SAMPLE} answers"),
        )?,
    })
}

/// NPS by RFM segment with intervals, segments with at least 20 answers.
fn segment_chart(by_segment: &SurveyResult) -> CliResult<Chart> {
    let mut shown: Vec<&SurveyRow> = by_segment.rows.iter().filter(|r| r.n >= 20).collect();
    // Highest score first; segments without a score last.
    shown.sort_by(|a, b| {
        b.score
            .unwrap_or(f64::NEG_INFINITY)
            .total_cmp(&a.score.unwrap_or(f64::NEG_INFINITY))
    });
    Ok(Chart {
        caption: "NPS by the customer's RFM segment: score (dot) and 95% interval (bar), segments with at least 20 answers, highest score first".into(),
        svg: charts::intervals(
            "NPS by RFM segment",
            &shown
                .iter()
                .map(|r| {
                    (
                        r.group.clone(),
                        r.score.unwrap_or(f64::NAN),
                        r.ci_low.unwrap_or(f64::NAN),
                        r.ci_high.unwrap_or(f64::NAN),
                    )
                })
                .collect::<Vec<_>>(),
            (-100.0, 100.0),
            0.0,
            "NPS",
        )?,
    })
}

/// The lift of each tag among detractors.
fn drivers_chart(nps: &SurveyResult) -> CliResult<Chart> {
    let labels: Vec<String> = nps.drivers.iter().map(|d| d.tag.clone()).collect();
    let values: Vec<f64> = nps.drivers.iter().map(|d| d.lift.unwrap_or(0.0)).collect();
    Ok(Chart {
        caption:
            "NPS drivers: lift of each tag = its share among detractors over its share among all answers (above 1 = over-represented among detractors; the dashed line marks 1)"
                .into(),
        svg: charts::bars_with_reference(
            "NPS drivers",
            &labels,
            &[("lift", &values)],
            "lift",
            Some(1.0),
        )?,
    })
}

fn drivers_table(nps: &SurveyResult) -> Table {
    Table {
        caption: "NPS drivers (two-sided test of the detractor rate with and without the tag)"
            .into(),
        columns: vec![
            "tag".into(),
            "answers".into(),
            "detractors".into(),
            "lift".into(),
            "p-value".into(),
        ],
        rows: nps
            .drivers
            .iter()
            .map(|d| {
                vec![
                    d.tag.clone(),
                    d.responses.separate_with_commas(),
                    d.negative.separate_with_commas(),
                    d.lift.map(|l| format!("{l:.2}")).unwrap_or("-".into()),
                    match d.p_value {
                        Some(p) if p < 1e-4 => "< 0.0001".into(),
                        Some(p) => format!("{p:.4}"),
                        None => "-".into(),
                    },
                ]
            })
            .collect(),
    }
}

/// The section's headline figures: each score with its interval.
fn headlines(a: &Analyses) -> Vec<(String, String)> {
    let interval = |r: &SurveyResult| {
        format!(
            "{} [{}, {}]",
            f1(r.overall.score),
            f1(r.overall.ci_low),
            f1(r.overall.ci_high)
        )
    };
    // The CES mean is on a 1-7 scale: one decimal would hide its interval.
    let f2 = |x: Option<f64>| x.map(|v| format!("{v:.2}")).unwrap_or_else(|| "-".into());
    let ces_interval = format!(
        "{} [{}, {}]",
        f2(a.ces.overall.score),
        f2(a.ces.overall.ci_low),
        f2(a.ces.overall.ci_high)
    );
    vec![
        ("NPS [95% CI]".into(), interval(&a.nps)),
        ("NPS answers".into(), a.nps.overall.n.separate_with_commas()),
        ("CSAT % [95% CI]".into(), interval(&a.csat)),
        ("CES mean [95% CI]".into(), ces_interval),
    ]
}

fn survey_json<A: Survey>(
    overall: &SurveyResult,
    monthly: &SurveyResult,
    config: &StatsConfig,
) -> Value {
    let mut v = json_summary::<A>(overall, config);
    if let Some(m) = v.as_object_mut() {
        m.insert(
            "monthly".into(),
            serde_json::to_value(&monthly.rows).unwrap_or_default(),
        );
    }
    v
}

/// Runs the survey analyses on the responses and adds the section (NPS by RFM segment
/// puts every answer under `no purchase` when there is no RFM table). A survey kind
/// without answers has no charts.
pub fn section(
    responses: &[crm_core::SurveyResponse],
    rfm: Option<&RfmTable<String>>,
    c: &mut Collector,
) -> CliResult<()> {
    let config = StatsConfig::default();
    let a = analyses(responses, rfm, &config)?;
    let mut charts_v = Vec::new();
    if a.nps.overall.n > 0 {
        charts_v.push(trend_chart("NPS by month", &a.nps_monthly, "NPS")?);
    }
    if a.csat.overall.n > 0 {
        charts_v.push(trend_chart("CSAT % by month", &a.csat_monthly, "CSAT %")?);
    }
    if a.ces.overall.n > 0 {
        charts_v.push(trend_chart(
            "CES mean by month",
            &a.ces_monthly,
            "CES (1-7)",
        )?);
    }
    if a.nps_by_segment.rows.iter().any(|r| r.n >= 20) {
        charts_v.push(segment_chart(&a.nps_by_segment)?);
    }
    if !a.nps.drivers.is_empty() {
        charts_v.push(drivers_chart(&a.nps)?);
    }
    let section = Section {
        title: "Satisfaction".into(),
        text: "NPS (0-10; adjusted-Wald interval), CSAT (1-5, satisfied = 4-5; Wilson interval) and CES \
               (1-7, easy = 5-7; Student t interval of the mean), overall and by month with 95% bands, \
               and the tags that drive detractors; computed from the survey responses."
            .into(),
        headlines: headlines(&a),
        charts: charts_v,
        tables: vec![drivers_table(&a.nps)],
        code: Vec::new(),
    };
    let summary = json!({
        "nps": survey_json::<Nps>(&a.nps, &a.nps_monthly, &config),
        "csat": survey_json::<Csat>(&a.csat, &a.csat_monthly, &config),
        "ces": survey_json::<Ces>(&a.ces, &a.ces_monthly, &config),
        "nps_by_rfm_segment": serde_json::to_value(&a.nps_by_segment.rows).unwrap_or_default(),
    });
    c.section(section, "satisfaction", summary);
    Ok(())
}
