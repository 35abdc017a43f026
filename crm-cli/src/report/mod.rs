//! The report: every analysis the data supports ([`build`]), as `report.html` (one
//! self-contained page with inline SVG charts) and `summary.json` (every headline figure).
//! `crm report` runs it on the user's data and `crm demo` on the generated data.

pub mod build;
pub mod campaigns;
pub mod charts;
pub mod churn;
pub mod collector;
pub mod dataset;
pub mod duplicates;
pub mod engagement;
pub mod html;
pub mod load;
pub mod operations;
pub mod satisfaction;
pub mod segmentation;
