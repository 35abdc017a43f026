//! Probabilistic customer-base models (BG/NBD, MBG/NBD, Pareto/NBD, sBG, Gamma-Gamma),
//! lifetime value and an explainable churn health score.

pub mod clv;
pub mod evaluation;
pub mod fit;
pub mod gamma_gamma;
pub mod health;
pub mod sbg;
