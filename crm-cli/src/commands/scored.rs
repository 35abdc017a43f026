//! A survey response reduced to what the survey analyses need, from a file row or from a
//! stored response.

use chrono::{DateTime, Utc};
use crm_core::{SurveyResponse, SurveyScore};

use crate::input::responses::ResponseRow;

/// A response reduced to what the aggregation needs.
#[derive(Debug, Clone, PartialEq)]
pub struct Scored {
    /// When it was given.
    pub timestamp: DateTime<Utc>,
    /// The score.
    pub score: u8,
    /// Group, when known.
    pub group: Option<String>,
    /// Tags.
    pub tags: Vec<String>,
}

impl From<&ResponseRow> for Scored {
    fn from(r: &ResponseRow) -> Self {
        Self {
            timestamp: r.timestamp,
            score: r.score,
            group: r.group.clone(),
            tags: r.tags.clone(),
        }
    }
}

/// The score of a stored response if it belongs to the survey (`NPS`, `CSAT`, `CES`).
pub fn survey_score(r: &SurveyResponse, survey: &str) -> Option<u8> {
    match (r.score, survey) {
        (SurveyScore::Nps(s), "NPS") | (SurveyScore::Ces(s), "CES") => Some(s),
        (SurveyScore::Csat { score, .. }, "CSAT") => Some(score),
        _ => None,
    }
}

/// The tag prefix under which `crm import` keeps a response's group (`group:web`).
pub const GROUP_TAG_PREFIX: &str = "group:";

/// A stored response in the form the survey analyses read: a `group:NAME` tag becomes the
/// group, the other tags stay tags.
pub fn scored(r: &SurveyResponse, score: u8) -> Scored {
    let mut group = None;
    let mut tags = Vec::with_capacity(r.tags.len());
    for t in &r.tags {
        match t.as_str().strip_prefix(GROUP_TAG_PREFIX) {
            Some(g) => group = Some(g.to_string()),
            None => tags.push(t.to_string()),
        }
    }
    Scored {
        timestamp: r.responded_at,
        score,
        group,
        tags,
    }
}

/// The stored responses of one survey (`NPS`, `CSAT`, `CES`), in the form the survey
/// analyses read.
pub fn scored_of(responses: &[SurveyResponse], survey: &str) -> Vec<Scored> {
    responses
        .iter()
        .filter_map(|r| survey_score(r, survey).map(|s| scored(r, s)))
        .collect()
}
