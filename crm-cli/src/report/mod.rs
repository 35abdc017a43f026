//! The demo report: `report.html` (one self-contained page with inline SVG charts) and
//! `summary.json` (every headline figure).

pub mod charts;
pub mod html;
