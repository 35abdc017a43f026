#![doc = include_str!("../README.md")]

mod bgbb;
mod bgnbd;
mod clv;
mod diagnostics;
mod evaluation;
mod fit;
mod gamma_gamma;
mod health;
mod hyp2f1;
mod mbgnbd;
mod pareto_nbd;
mod sbg;
mod simulate;
mod subscriptions;
mod summary;

pub use bgbb::{
    BgBbError, BgBbFit, BgBbHistories, BgBbHistory, BgBbParams,
    MAX_OPPORTUNITIES as BGBB_MAX_OPPORTUNITIES, WeightedBgBbHistory,
};
pub use bgnbd::{BgNbdFit, BgNbdParams};
pub use clv::{
    ClvConfig, ClvCustomer, ClvError, CustomerValue, ExpectedPurchases, customer_lifetime_value,
    discounted_expected_purchases,
};
pub use diagnostics::{
    ChiSquareTest, DiagnosticsError, HoldoutBin, PeriodTransactions, PeriodTransactionsBin,
    PurchaseCountModel, calibration_holdout, goodness_of_fit, period_transactions,
};
pub use evaluation::{EvaluationError, LiftReport, lift_at, roc_auc, top_decile_lift};
pub use fit::{
    BoundSide, FitError, FitMethod, FitOptions, FitReport, FitWarning, LogLikelihood,
    MIN_CUSTOMERS_PER_PARAMETER, MleFit, ParameterBounds, hessian_log_params, invert_spd,
    maximize_likelihood, maximize_likelihood_within, validate_positive,
};
pub use gamma_gamma::{
    GammaGammaError, GammaGammaFit, GammaGammaParams, SpendObservation, fit_gamma_gamma,
    fit_gamma_gamma_with, simulate_spend,
};
pub use health::{
    BandThresholds, Factor, FactorContribution, HealthConfig, HealthError, HealthInputs,
    HealthScore, HealthThresholds, HealthWeights, Ramp, RiskBand, health_score,
};
pub use hyp2f1::{MAX_TERMS as HYP2F1_MAX_TERMS, hyp2f1, ln_hyp2f1, ln_hyp2f1_with_derivatives};
pub use mbgnbd::{MbgNbdFit, MbgNbdParams};
pub use pareto_nbd::{LIKELIHOOD_MAX_TERMS as PARETO_NBD_MAX_TERMS, ParetoNbdFit, ParetoNbdParams};
pub use sbg::{
    CohortSurvival, SbgError, SbgFit, SbgParams, fit_sbg, fit_sbg_with, simulate_cohort,
};
pub use simulate::{
    SimulatedBgBbCohort, SimulatedBgBbCustomer, SimulatedCohort, SimulatedCustomer, simulate_bgbb,
    simulate_bgnbd, simulate_mbgnbd, simulate_pareto_nbd,
};
pub use subscriptions::{
    CohortTable, CohortTally, RetentionPeriod, SameParametersTest, Subscription,
    SubscriptionCohorts, SubscriptionError, fit_sbg_joint, same_parameters_test,
};
pub use summary::{
    CustomerHistory, CustomerSummary, HistoryError, MAX_FREQUENCY, ModelError, Summaries,
    SummaryError, SummaryOptions, TimeUnit, WeightedHistories, WeightedHistory, summarize,
};
pub use summary::{SummaryInputs, SummaryRange, summarize_aggregates};
