//! Probabilistic customer-base models (BG/NBD, MBG/NBD, Pareto/NBD, sBG, Gamma-Gamma),
//! lifetime value and an explainable churn health score.

pub mod bgnbd;
pub mod clv;
pub mod evaluation;
pub mod fit;
pub mod gamma_gamma;
pub mod health;
pub mod hyp2f1;
pub mod mbgnbd;
pub mod pareto_nbd;
pub mod sbg;
pub mod simulate;
pub mod summary;
