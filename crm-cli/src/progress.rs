//! Progress bars (on standard error, only when it is a terminal) and the terminal summary
//! table.

use std::time::Duration;

use indicatif::{ProgressBar, ProgressStyle};

/// A bar for a step with a known number of items.
pub fn bar(message: &str, len: u64) -> ProgressBar {
    let pb = ProgressBar::new(len);
    if let Ok(style) = ProgressStyle::with_template(
        "{spinner:.green} {msg:<28} [{bar:40.cyan/blue}] {pos:>8}/{len:8} {elapsed_precise}",
    ) {
        pb.set_style(style.progress_chars("=> "));
    }
    pb.set_message(message.to_string());
    pb
}

/// A spinner for a step of unknown length.
pub fn spinner(message: &str) -> ProgressBar {
    let pb = ProgressBar::new_spinner();
    if let Ok(style) = ProgressStyle::with_template("{spinner:.green} {msg:<28} {elapsed_precise}")
    {
        pb.set_style(style);
    }
    pb.set_message(message.to_string());
    pb.enable_steady_tick(Duration::from_millis(100));
    pb
}

/// A bar for reading an input of bytes: a spinner with the bytes read and the rate, or,
/// once [`set_bytes_length`] gives the input's length, a bar with the time left. Its
/// message is for the rows read.
pub fn bytes_bar(prefix: &str) -> ProgressBar {
    let pb = ProgressBar::no_length();
    if let Ok(style) = ProgressStyle::with_template(
        "{spinner:.green} {prefix}: {msg} ({bytes}, {bytes_per_sec}) {elapsed_precise}",
    ) {
        pb.set_style(style);
    }
    pb.set_prefix(prefix.to_string());
    pb.enable_steady_tick(Duration::from_millis(200));
    pb
}

/// Gives a [`bytes_bar`] the input's length in bytes.
pub fn set_bytes_length(pb: &ProgressBar, len: u64) {
    if let Ok(style) = ProgressStyle::with_template(
        "{spinner:.green} {prefix}: {msg} [{bar:30.cyan/blue}] {bytes}/{total_bytes} \
         {bytes_per_sec} ETA {eta}",
    ) {
        pb.set_style(style.progress_chars("=> "));
    }
    pb.set_length(len);
}

/// Renders rows of (section, figure, value) as a boxed table.
pub fn summary_table(rows: &[(String, String, String)]) -> String {
    let w = |f: fn(&(String, String, String)) -> &String, head: &str| {
        rows.iter()
            .map(|r| f(r).chars().count())
            .max()
            .unwrap_or(0)
            .max(head.len())
    };
    let (a, b, c) = (
        w(|r| &r.0, "area"),
        w(|r| &r.1, "figure"),
        w(|r| &r.2, "value"),
    );
    let line = format!(
        "+-{}-+-{}-+-{}-+\n",
        "-".repeat(a),
        "-".repeat(b),
        "-".repeat(c)
    );
    let mut out = line.clone();
    out.push_str(&format!(
        "| {:<a$} | {:<b$} | {:>c$} |\n",
        "area", "figure", "value"
    ));
    out.push_str(&line);
    let mut last = "";
    for (s, f, v) in rows {
        let shown = if s == last { "" } else { s.as_str() };
        last = s;
        out.push_str(&format!("| {shown:<a$} | {f:<b$} | {v:>c$} |\n"));
    }
    out.push_str(&line);
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn table_is_aligned() {
        let t = summary_table(&[
            ("RFM".into(), "customers".into(), "10".into()),
            ("RFM".into(), "segments".into(), "3".into()),
        ]);
        let widths: Vec<usize> = t.lines().map(|l| l.chars().count()).collect();
        assert!(widths.iter().all(|w| *w == widths[0]), "{t}");
        assert!(t.contains("| RFM  | customers"));
        assert!(t.contains("|      | segments"));
    }
}
