//! The self-contained HTML page: inline CSS and inline SVG, no scripts, no external
//! resources, so it opens offline in any browser.

use std::fmt::Write as _;
use std::path::{Path, PathBuf};

use crate::error::{CliError, CliResult};
use crate::output::write_atomic;

/// A chart with its caption.
#[derive(Debug, Clone, PartialEq)]
pub struct Chart {
    /// Caption shown under the chart.
    pub caption: String,
    /// The `<svg>` document.
    pub svg: String,
}

/// A small table.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct Table {
    /// Caption above the table.
    pub caption: String,
    /// Column headers.
    pub columns: Vec<String>,
    /// Rows of cells.
    pub rows: Vec<Vec<String>>,
}

/// One section of the report.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct Section {
    /// Heading.
    pub title: String,
    /// A paragraph explaining what is shown.
    pub text: String,
    /// Headline figures (name, value), shown as tiles and in the terminal summary.
    pub headlines: Vec<(String, String)>,
    /// Charts.
    pub charts: Vec<Chart>,
    /// Tables.
    pub tables: Vec<Table>,
    /// Preformatted blocks (caption, text), such as Graphviz sources.
    pub code: Vec<(String, String)>,
}

/// The whole report.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct Report {
    /// Page title.
    pub title: String,
    /// Line under the title.
    pub subtitle: String,
    /// Sections in order.
    pub sections: Vec<Section>,
}

/// Escapes text for HTML.
pub fn escape(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for c in text.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&#39;"),
            c => out.push(c),
        }
    }
    out
}

const STYLE: &str = "
body{font-family:system-ui,-apple-system,'Segoe UI',Roboto,sans-serif;margin:0;background:#f4f6f9;color:#1d2330}
header{background:#1f3b64;color:#fff;padding:24px 40px}
header h1{margin:0 0 6px 0;font-size:28px}
header p{margin:0;opacity:.85}
nav{padding:10px 40px;background:#e3e8f0;font-size:14px}
nav a{margin-right:14px;color:#1f3b64}
main{padding:10px 40px 40px 40px}
section{background:#fff;border-radius:8px;box-shadow:0 1px 3px rgba(0,0,0,.1);margin:20px 0;padding:18px 24px}
section h2{margin-top:0;color:#1f3b64}
.tiles{display:flex;flex-wrap:wrap;gap:10px;margin:10px 0}
.tile{background:#eef3fa;border-radius:6px;padding:8px 14px;min-width:150px}
.tile .v{font-size:20px;font-weight:600}
.tile .n{font-size:12px;color:#55607a}
.charts{display:flex;flex-wrap:wrap;gap:16px}
figure{margin:0;border:1px solid #e1e5ec;border-radius:6px;padding:6px;background:#fff}
figcaption{font-size:13px;color:#55607a;padding:4px;max-width:600px}
table{border-collapse:collapse;margin:10px 0;font-size:13px}
th,td{border:1px solid #d8dde6;padding:4px 8px;text-align:right}
th{background:#eef3fa}
td:first-child,th:first-child{text-align:left}
caption{text-align:left;font-weight:600;padding:4px 0}
pre{background:#f6f8fa;border:1px solid #e1e5ec;padding:8px;font-size:12px;overflow:auto;max-height:300px}
";

fn anchor(title: &str) -> String {
    title
        .chars()
        .map(|c| {
            if c.is_ascii_alphanumeric() {
                c.to_ascii_lowercase()
            } else {
                '-'
            }
        })
        .collect()
}

/// Renders the report as one HTML document.
pub fn render(report: &Report) -> String {
    let mut h = String::new();
    let _ = write!(
        h,
        "<!DOCTYPE html>\n<html lang=\"en\">\n<head>\n<meta charset=\"utf-8\">\n<meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\n<title>{}</title>\n<style>{STYLE}</style>\n</head>\n<body>\n<header><h1>{}</h1><p>{}</p></header>\n<nav>",
        escape(&report.title),
        escape(&report.title),
        escape(&report.subtitle)
    );
    for s in &report.sections {
        let _ = write!(
            h,
            "<a href=\"#{}\">{}</a>",
            anchor(&s.title),
            escape(&s.title)
        );
    }
    h.push_str("</nav>\n<main>\n");
    for s in &report.sections {
        let _ = write!(
            h,
            "<section id=\"{}\">\n<h2>{}</h2>\n",
            anchor(&s.title),
            escape(&s.title)
        );
        if !s.text.is_empty() {
            let _ = writeln!(h, "<p>{}</p>", escape(&s.text));
        }
        if !s.headlines.is_empty() {
            h.push_str("<div class=\"tiles\">");
            for (name, value) in &s.headlines {
                let _ = write!(
                    h,
                    "<div class=\"tile\"><div class=\"v\">{}</div><div class=\"n\">{}</div></div>",
                    escape(value),
                    escape(name)
                );
            }
            h.push_str("</div>\n");
        }
        if !s.charts.is_empty() {
            h.push_str("<div class=\"charts\">\n");
            for c in &s.charts {
                let _ = writeln!(
                    h,
                    "<figure>{}<figcaption>{}</figcaption></figure>",
                    c.svg,
                    escape(&c.caption)
                );
            }
            h.push_str("</div>\n");
        }
        for t in &s.tables {
            let _ = write!(h, "<table><caption>{}</caption><tr>", escape(&t.caption));
            for c in &t.columns {
                let _ = write!(h, "<th>{}</th>", escape(c));
            }
            h.push_str("</tr>\n");
            for row in &t.rows {
                h.push_str("<tr>");
                for cell in row {
                    let _ = write!(h, "<td>{}</td>", escape(cell));
                }
                h.push_str("</tr>\n");
            }
            h.push_str("</table>\n");
        }
        for (caption, code) in &s.code {
            let _ = writeln!(
                h,
                "<details><summary>{}</summary><pre>{}</pre></details>",
                escape(caption),
                escape(code)
            );
        }
        h.push_str("</section>\n");
    }
    h.push_str("</main>\n</body>\n</html>\n");
    h
}

/// Writes `DIR/report.html` and `DIR/summary.json`; returns their paths.
pub fn write(
    dir: &Path,
    report: &Report,
    summary: &serde_json::Value,
) -> CliResult<(PathBuf, PathBuf)> {
    std::fs::create_dir_all(dir).map_err(|source| CliError::Write {
        path: dir.to_path_buf(),
        source,
    })?;
    let html_path = dir.join("report.html");
    let json_path = dir.join("summary.json");
    write_atomic(&html_path, render(report).as_bytes())?;
    let mut json =
        serde_json::to_vec_pretty(summary).map_err(|e| CliError::analysis("summary", e))?;
    json.push(b'\n');
    write_atomic(&json_path, &json)?;
    Ok((html_path, json_path))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn renders_escaped_sections_with_inline_svg() {
        let report = Report {
            title: "R & D".into(),
            subtitle: "s".into(),
            sections: vec![Section {
                title: "NPS <trend>".into(),
                text: "t".into(),
                headlines: vec![("NPS".into(), "12.5".into())],
                charts: vec![Chart {
                    caption: "c".into(),
                    svg: "<svg></svg>".into(),
                }],
                tables: vec![Table {
                    caption: "x".into(),
                    columns: vec!["a".into()],
                    rows: vec![vec!["<b>".into()]],
                }],
                code: vec![("dot".into(), "a -> b".into())],
            }],
        };
        let h = render(&report);
        assert!(h.contains("<title>R &amp; D</title>"));
        assert!(h.contains("<svg></svg>"));
        assert!(h.contains("<td>&lt;b&gt;</td>"));
        assert!(h.contains("a -&gt; b"));
        assert!(
            !h.contains("http://") && !h.contains("https://"),
            "no external resources"
        );
    }
}
