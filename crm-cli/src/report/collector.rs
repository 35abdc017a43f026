//! What the demo's sections hand their results to: the report, the JSON summary and the
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

/// Formats a float for display.
pub fn f1(x: Option<f64>) -> String {
    x.map(|v| format!("{v:.1}")).unwrap_or_else(|| "-".into())
}
