//! Probabilistic customer-base models (BG/NBD, MBG/NBD, Pareto/NBD, sBG, Gamma-Gamma),
//! lifetime value and an explainable churn health score.

pub mod evaluation;
pub mod health;
