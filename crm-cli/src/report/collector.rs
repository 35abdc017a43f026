//! What the report's sections hand their results to: the report, the JSON summary and the
//! terminal table.

use std::time::Instant;

use serde_json::{Map, Value};

use crate::report::html::{Report, Section};

/// Collects the report, the JSON summary and the terminal rows as analyses run.
#[derive(Debug, Default)]
pub struct Collector {
    /// The HTML report.
    pub report: Report,
    /// `summary.json`.
    pub summary: Map<String, Value>,
    /// Terminal summary rows (area, figure, value).
    pub terminal: Vec<(String, String, String)>,
    /// Seconds spent in each step.
    pub timings: Vec<(String, f64)>,
    /// When the current step started.
    pub step_started: Option<Instant>,
    /// Sections left out, with the reason (also in the page, the summary and the terminal).
    pub left_out: Vec<(String, String)>,
}

impl Collector {
    /// Closes the current step under `name` and starts the next one.
    pub fn lap(&mut self, name: &str) {
        let now = Instant::now();
        if let Some(t) = self.step_started {
            self.timings
                .push((name.to_string(), (now - t).as_secs_f64()));
        }
        self.step_started = Some(now);
    }

    /// Adds a section; its headline figures also go to the terminal table.
    pub fn section(&mut self, section: Section, key: &str, summary: Value) {
        for (name, value) in &section.headlines {
            self.terminal
                .push((section.title.clone(), name.clone(), value.clone()));
        }
        self.summary.insert(key.to_string(), summary);
        self.report.sections.push(section);
    }
}

impl Collector {
    /// Leaves a section out: one line in the page saying why, and the reason under
    /// `left_out` in the summary and on the terminal.
    pub fn leave_out(&mut self, title: &str, key: &str, reason: &str) {
        self.report.sections.push(Section {
            title: title.to_string(),
            text: format!("Left out: {reason}."),
            ..Section::default()
        });
        let entry = self
            .summary
            .entry("left_out")
            .or_insert_with(|| Value::Object(Map::new()));
        if let Some(m) = entry.as_object_mut() {
            m.insert(key.to_string(), Value::String(reason.to_string()));
        }
        self.left_out.push((title.to_string(), reason.to_string()));
    }
}

/// Formats a float for display.
pub fn f1(x: Option<f64>) -> String {
    x.map(|v| format!("{v:.1}")).unwrap_or_else(|| "-".into())
}
