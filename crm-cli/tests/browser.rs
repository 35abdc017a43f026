//! The report in a real browser: headless Chromium loads `report.html` without a
//! JavaScript or console error, every chart (`<svg>`) is laid out with a non-zero size, and
//! a screenshot of the page is kept as a test artefact
//! (`$CARGO_TARGET_TMPDIR/report-screenshot.png`).
//!
//! Needs Debian's `chromium` at `/usr/bin/chromium`. Without it the test says it was
//! skipped and passes, unless `CRM_REQUIRE_BROWSER=1` is set, when it fails.

mod common;

use std::path::{Path, PathBuf};
use std::process::Command;

use common::{arg, crm, stderr};

const CHROMIUM: &str = "/usr/bin/chromium";

/// Injected at the start of `<head>` of a copy of the page: records every error and
/// console error, and once the page has loaded writes each chart's laid-out size into the
/// DOM as JSON, where `--dump-dom` shows it.
const PROBE: &str = r#"<script>
window.__crmErrors = [];
window.addEventListener('error', function (e) { window.__crmErrors.push('error: ' + e.message); }, true);
(function () {
  var original = console.error;
  console.error = function () {
    window.__crmErrors.push('console.error: ' + Array.prototype.join.call(arguments, ' '));
    return original.apply(console, arguments);
  };
})();
window.addEventListener('load', function () {
  var boxes = Array.prototype.map.call(document.querySelectorAll('svg'), function (s) {
    var r = s.getBoundingClientRect();
    return [r.width, r.height];
  });
  var pre = document.createElement('pre');
  pre.id = 'crm-probe';
  pre.textContent = JSON.stringify({ errors: window.__crmErrors, svgs: boxes });
  document.body.appendChild(pre);
});
</script>"#;

fn chromium(args: &[&str]) -> std::process::Output {
    Command::new(CHROMIUM)
        .args([
            "--headless",
            "--no-sandbox",
            "--disable-gpu",
            "--disable-dev-shm-usage",
            "--hide-scrollbars",
            "--no-first-run",
        ])
        .args(args)
        .output()
        .expect("chromium runs")
}

fn url(path: &Path) -> String {
    format!("file://{}", path.display())
}

/// The JSON the probe wrote into the dumped DOM.
fn probe_result(dom: &str) -> serde_json::Value {
    let start = dom
        .find("<pre id=\"crm-probe\">")
        .unwrap_or_else(|| panic!("the probe ran: {dom:.500}"))
        + "<pre id=\"crm-probe\">".len();
    let end = start + dom[start..].find("</pre>").expect("closed");
    let text = dom[start..end]
        .replace("&quot;", "\"")
        .replace("&lt;", "<")
        .replace("&gt;", ">")
        .replace("&amp;", "&");
    serde_json::from_str(&text).unwrap_or_else(|e| panic!("probe JSON ({e}): {text}"))
}

#[test]
fn the_report_renders_in_a_browser_without_errors() {
    if !Path::new(CHROMIUM).exists() {
        if std::env::var("CRM_REQUIRE_BROWSER").as_deref() == Ok("1") {
            panic!("CRM_REQUIRE_BROWSER=1 but {CHROMIUM} is missing");
        }
        println!("skipped: {CHROMIUM} is not installed");
        return;
    }
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("report");
    let o = crm(&[
        "demo",
        "--customers",
        "600",
        "--seed",
        "7",
        "--db",
        &arg(&dir.path().join("demo.db")),
        "--out",
        &arg(&out),
    ]);
    assert!(o.status.success(), "demo failed: {}", stderr(&o));
    let page = out.join("report.html");
    let html = std::fs::read_to_string(&page).unwrap();
    let charts = html.matches("<svg").count();
    assert!(charts > 0);

    let probed = dir.path().join("probe.html");
    let head = html.find("<head>").expect("a <head>") + "<head>".len();
    std::fs::write(
        &probed,
        format!("{}{PROBE}{}", &html[..head], &html[head..]),
    )
    .unwrap();
    let profile = dir.path().join("profile");
    let o = chromium(&[
        &format!("--user-data-dir={}", profile.display()),
        "--enable-logging=stderr",
        "--virtual-time-budget=5000",
        "--window-size=1280,2000",
        "--dump-dom",
        &url(&probed),
    ]);
    assert!(o.status.success(), "chromium failed: {}", stderr(&o));
    let logs = stderr(&o);
    let console: Vec<&str> = logs
        .lines()
        .filter(|l| l.contains("CONSOLE") || l.contains("Uncaught"))
        .collect();
    assert!(console.is_empty(), "console messages: {console:?}");
    let result = probe_result(&String::from_utf8_lossy(&o.stdout));
    assert_eq!(result["errors"], serde_json::json!([]), "no page errors");
    let boxes = result["svgs"].as_array().unwrap();
    assert_eq!(boxes.len(), charts, "every chart is in the DOM");
    for (i, b) in boxes.iter().enumerate() {
        let (w, h) = (b[0].as_f64().unwrap(), b[1].as_f64().unwrap());
        assert!(
            w > 0.0 && h > 0.0,
            "chart {i} is laid out with a size: {w} x {h}"
        );
    }

    let shot = PathBuf::from(env!("CARGO_TARGET_TMPDIR")).join("report-screenshot.png");
    let _ = std::fs::remove_file(&shot);
    let o = chromium(&[
        &format!("--user-data-dir={}", profile.display()),
        "--window-size=1280,3000",
        &format!("--screenshot={}", shot.display()),
        &url(&page),
    ]);
    assert!(
        o.status.success(),
        "chromium screenshot failed: {}",
        stderr(&o)
    );
    let png = std::fs::read(&shot).expect("the screenshot is written");
    assert!(png.starts_with(b"\x89PNG\r\n\x1a\n"), "a PNG");
    assert!(
        png.len() > 10_000,
        "the screenshot shows something ({} bytes)",
        png.len()
    );
    println!("screenshot: {}", shot.display());
}
