//! Maximum-likelihood fitting shared by every churn model.
//!
//! A model describes its log-likelihood `ℓ(p)` over its *natural* parameters `p` (all strictly
//! positive, e.g. `r, α, a, b` of BG/NBD) by implementing [`LogLikelihood`];
//! [`maximize_likelihood`] finds the maximum over the log-parameters with L-BFGS (Nelder–Mead
//! when that fails), declares convergence by the gradient, and derives standard errors from a
//! numerical Hessian (the steps are listed on [`maximize_likelihood`]).
//!
//! # Writing a model
//!
//! ```
//! use crm_churn::{maximize_likelihood, FitOptions, LogLikelihood};
//!
//! /// Exponential waiting times with rate λ: ℓ(λ) = n ln λ − λ Σ tᵢ.
//! struct Exponential { n: f64, total: f64 }
//!
//! impl LogLikelihood for Exponential {
//!     fn dim(&self) -> usize { 1 }
//!     fn log_likelihood(&self, p: &[f64]) -> f64 { self.n * p[0].ln() - p[0] * self.total }
//!     fn log_likelihood_and_gradient(&self, p: &[f64], grad: &mut [f64]) -> f64 {
//!         grad[0] = self.n / p[0] - self.total;
//!         self.log_likelihood(p)
//!     }
//! }
//!
//! let model = Exponential { n: 100.0, total: 50.0 };
//! let fit = maximize_likelihood(&model, &["lambda"], &[1.0], &FitOptions::default()).unwrap();
//! assert!((fit.params[0] - 2.0).abs() < 1e-6);            // λ̂ = n / Σ t
//! let se = fit.std_errors.unwrap()[0];
//! assert!((se - 2.0 / 10.0).abs() < 1e-4);                 // se = λ̂ / √n
//! assert!(fit.report.converged);
//! ```

use std::cell::RefCell;
use std::fmt;

use argmin::core::{CostFunction, Error as ArgminError, Executor, Gradient, State};
use argmin::solver::linesearch::MoreThuenteLineSearch;
use argmin::solver::neldermead::NelderMead;
use argmin::solver::quasinewton::LBFGS;
use serde::{Deserialize, Serialize};
use thiserror::Error;

/// A log-likelihood over strictly positive natural parameters.
///
/// Implementations must be pure: the same parameters give the same value. Returning a
/// non-finite value (NaN or ±∞) marks the parameters as outside the usable region; the
/// optimiser then steps back. Implement [`log_likelihood_and_gradient`] whenever the gradient
/// is known in closed form: it is used for the search and for the Hessian.
///
/// [`log_likelihood_and_gradient`]: LogLikelihood::log_likelihood_and_gradient
///
/// ```
/// use crm_churn::LogLikelihood;
/// struct Poisson { events: f64, exposure: f64 }
/// impl LogLikelihood for Poisson {
///     fn dim(&self) -> usize { 1 }
///     fn log_likelihood(&self, p: &[f64]) -> f64 { self.events * p[0].ln() - p[0] * self.exposure }
/// }
/// let m = Poisson { events: 3.0, exposure: 2.0 };
/// let mut g = [0.0];
/// let ll = m.log_likelihood_and_gradient(&[1.5], &mut g); // numerical by default
/// assert!((g[0] - (3.0 / 1.5 - 2.0)).abs() < 1e-6);
/// assert_eq!(ll, m.log_likelihood(&[1.5]));
/// ```
pub trait LogLikelihood {
    /// Number of parameters.
    fn dim(&self) -> usize;

    /// `ℓ(p)`, the log-likelihood at the natural parameters `p` (length [`dim`](Self::dim)).
    fn log_likelihood(&self, params: &[f64]) -> f64;

    /// `ℓ(p)` and its gradient `∂ℓ/∂pᵢ` written into `grad` (same length as `params`).
    ///
    /// The default uses central differences on the log scale; override it with the analytic
    /// gradient when there is one.
    fn log_likelihood_and_gradient(&self, params: &[f64], grad: &mut [f64]) -> f64 {
        let value = self.log_likelihood(params);
        let mut work = params.to_vec();
        for i in 0..params.len() {
            let theta = params[i].ln();
            let h = 1e-6 * theta.abs().max(1.0);
            work[i] = (theta + h).exp();
            let up = self.log_likelihood(&work);
            work[i] = (theta - h).exp();
            let down = self.log_likelihood(&work);
            work[i] = params[i];
            // dℓ/dθ by central differences, then dℓ/dp = (dℓ/dθ) / p.
            grad[i] = (up - down) / (2.0 * h) / params[i];
        }
        value
    }
}

/// Which optimiser [`maximize_likelihood`] starts with.
///
/// ```
/// use crm_churn::FitMethod;
/// assert_eq!(FitMethod::default(), FitMethod::Lbfgs);
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize)]
pub enum FitMethod {
    /// L-BFGS with More–Thuente line search, Nelder–Mead as fallback.
    #[default]
    Lbfgs,
    /// Nelder–Mead simplex, then an L-BFGS polish for an accurate optimum.
    NelderMead,
}

impl fmt::Display for FitMethod {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::Lbfgs => f.write_str("L-BFGS (More-Thuente)"),
            Self::NelderMead => f.write_str("Nelder-Mead"),
        }
    }
}

/// Settings of [`maximize_likelihood`]; [`Default`] suits every model of this module.
///
/// ```
/// use crm_churn::FitOptions;
/// let o = FitOptions { max_iterations: 2_000, ..FitOptions::default() };
/// assert_eq!(o.lbfgs_memory, 7);
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub struct FitOptions {
    /// Optimiser to start with.
    pub method: FitMethod,
    /// Iteration budget of each L-BFGS run; a Nelder–Mead run may take four times as many.
    pub max_iterations: u64,
    /// Convergence: `max |∂ℓ/∂θᵢ| ≤ gradient_tolerance · max(1, |ℓ|)` with `θ = ln p`.
    pub gradient_tolerance: f64,
    /// Number of correction pairs L-BFGS keeps.
    pub lbfgs_memory: usize,
    /// Relative step of the numerical Hessian in `θ`.
    pub hessian_step: f64,
}

impl Default for FitOptions {
    fn default() -> Self {
        Self {
            method: FitMethod::Lbfgs,
            max_iterations: 1_000,
            gradient_tolerance: 1e-7,
            lbfgs_memory: 7,
            hessian_step: 1e-4,
        }
    }
}

/// How a fit ended.
///
/// ```
/// # use crm_churn::*;
/// # struct E; impl LogLikelihood for E { fn dim(&self) -> usize { 1 }
/// #   fn log_likelihood(&self, p: &[f64]) -> f64 { 10.0 * p[0].ln() - 5.0 * p[0] } }
/// let fit = maximize_likelihood(&E, &["rate"], &[1.0], &FitOptions::default()).unwrap();
/// assert!(fit.report.converged && fit.report.gradient_norm < 1e-5);
/// ```
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct FitReport {
    /// Whether the convergence test of [`FitOptions::gradient_tolerance`] passed.
    pub converged: bool,
    /// Optimiser iterations, summed over all runs (L-BFGS, fallback, polish).
    pub iterations: u64,
    /// `max |∂ℓ/∂θᵢ|` at the returned parameters (θ = log-parameters, unscaled ℓ).
    pub gradient_norm: f64,
    /// Log-likelihood at the returned parameters.
    pub log_likelihood: f64,
    /// Log-likelihood evaluations (with or without gradient), excluding the Hessian.
    pub evaluations: u64,
    /// Whether the Nelder–Mead path was used.
    pub used_nelder_mead: bool,
}

/// A maximum-likelihood estimate with standard errors.
///
/// ```
/// # use crm_churn::*;
/// # struct E; impl LogLikelihood for E { fn dim(&self) -> usize { 1 }
/// #   fn log_likelihood(&self, p: &[f64]) -> f64 { 10.0 * p[0].ln() - 5.0 * p[0] } }
/// let fit = maximize_likelihood(&E, &["rate"], &[1.0], &FitOptions::default()).unwrap();
/// assert!((fit.params[0] - 2.0).abs() < 1e-6);
/// assert_eq!(fit.names, vec!["rate".to_string()]);
/// ```
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct MleFit {
    /// Parameter names, in order.
    pub names: Vec<String>,
    /// Fitted natural parameters (finite, strictly positive).
    pub params: Vec<f64>,
    /// Standard errors of [`params`](Self::params) by the delta method from the inverse
    /// Hessian of `-ℓ` in log-parameters; `None` when that Hessian is not positive definite.
    pub std_errors: Option<Vec<f64>>,
    /// Covariance matrix of the log-parameters `θ̂ = ln p̂` (row-major), when available.
    pub log_param_covariance: Option<Vec<Vec<f64>>>,
    /// How the fit went.
    pub report: FitReport,
    /// What the caller should know about this estimate even though the search converged
    /// (empty for a well-determined fit).
    #[serde(default)]
    pub warnings: Vec<FitWarning>,
}

/// Which end of the search box a parameter is held at.
///
/// ```
/// use crm_churn::BoundSide;
/// assert_eq!(BoundSide::Upper.to_string(), "upper");
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum BoundSide {
    /// [`ParameterBounds::lower`].
    Lower,
    /// [`ParameterBounds::upper`].
    Upper,
}

impl fmt::Display for BoundSide {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            Self::Lower => "lower",
            Self::Upper => "upper",
        })
    }
}

/// Something a converged fit should not keep quiet about: the estimate is returned, but a
/// report should show these (and a strict caller may refuse the fit).
///
/// ```
/// use crm_churn::{BoundSide, FitWarning};
/// let w = FitWarning::ParameterAtBound { name: "b".into(), value: 1e6, bound: BoundSide::Upper };
/// assert_eq!(w.to_string(), "parameter b is held at its upper bound 1000000: the data carry no information to place it");
/// let json = serde_json::to_string(&w)?;
/// assert_eq!(json, r#"{"kind":"parameter_at_bound","name":"b","value":1000000.0,"bound":"upper"}"#);
/// # Ok::<(), serde_json::Error>(())
/// ```
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum FitWarning {
    /// The likelihood kept increasing towards a bound of the search box
    /// ([`ParameterBounds`]): the parameter is held there. For the buy-till-you-die models
    /// this is typically the no-dropout limit (BG/NBD `b` or `a`, Pareto/NBD `s` or `β`).
    ParameterAtBound {
        /// Parameter name.
        name: String,
        /// The value it is held at.
        value: f64,
        /// Which bound.
        bound: BoundSide,
    },
    /// These parameters have no finite standard error: the Hessian of `−ℓ` is not positive
    /// definite there, or the parameter is held at a bound.
    StandardErrorNotFinite {
        /// The parameters concerned, in model order.
        names: Vec<String>,
    },
    /// Fewer customers than the model needs for a stable estimate
    /// ([`MIN_CUSTOMERS_PER_PARAMETER`] per parameter).
    TooFewCustomers {
        /// Customers (total weight) in the data.
        customers: f64,
        /// The recommended minimum.
        recommended: f64,
    },
}

impl fmt::Display for FitWarning {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::ParameterAtBound { name, value, bound } => write!(
                f,
                "parameter {name} is held at its {bound} bound {value}: the data carry no information to place it"
            ),
            Self::StandardErrorNotFinite { names } => {
                write!(f, "no finite standard error for {}", names.join(", "))
            }
            Self::TooFewCustomers {
                customers,
                recommended,
            } => write!(
                f,
                "only {customers} customers; at least {recommended} are recommended for this model"
            ),
        }
    }
}

/// Customers per model parameter below which a fit carries a
/// [`FitWarning::TooFewCustomers`].
pub const MIN_CUSTOMERS_PER_PARAMETER: f64 = 10.0;

/// [`FitWarning::TooFewCustomers`] when `customers` is below
/// [`MIN_CUSTOMERS_PER_PARAMETER`] per parameter.
pub(crate) fn too_few_customers(customers: f64, parameters: usize) -> Option<FitWarning> {
    let recommended = MIN_CUSTOMERS_PER_PARAMETER * parameters as f64;
    (customers < recommended).then_some(FitWarning::TooFewCustomers {
        customers,
        recommended,
    })
}

/// The box `[lower, upper]` that [`maximize_likelihood_within`] keeps every natural parameter
/// in. The default, `[1e-6, 1e6]`, is the one the buy-till-you-die models use: far outside
/// any rate or shape estimated from real data in days or weeks, and inside the range where
/// their special functions stay accurate.
///
/// ```
/// use crm_churn::ParameterBounds;
/// let b = ParameterBounds::default();
/// assert_eq!((b.lower, b.upper), (1e-6, 1e6));
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub struct ParameterBounds {
    /// Smallest value (strictly positive).
    pub lower: f64,
    /// Largest value.
    pub upper: f64,
}

impl Default for ParameterBounds {
    fn default() -> Self {
        Self {
            lower: 1e-6,
            upper: 1e6,
        }
    }
}

impl ParameterBounds {
    /// The bound `value` lies beyond, if any.
    fn crossed(&self, value: f64) -> Option<(BoundSide, f64)> {
        if value.is_nan() {
            None
        } else if value < self.lower {
            Some((BoundSide::Lower, self.lower))
        } else if value > self.upper {
            Some((BoundSide::Upper, self.upper))
        } else {
            None
        }
    }
}

/// Why a fit failed.
///
/// ```
/// use crm_churn::FitError;
/// let e = FitError::NonPositiveParameter { name: "alpha".into(), value: 0.0 };
/// assert_eq!(e.to_string(), "parameter alpha = 0 is not strictly positive");
/// ```
#[derive(Debug, Clone, PartialEq, Error, Serialize, Deserialize)]
pub enum FitError {
    /// The optimiser stopped without meeting the gradient test; the last iterate is kept.
    #[error(
        "the fit did not converge after {iterations} iterations: gradient norm {gradient_norm:e} \
         at log-likelihood {log_likelihood} with parameters {last_params:?}"
    )]
    NotConverged {
        /// Iterations spent.
        iterations: u64,
        /// Best natural parameters reached.
        last_params: Vec<f64>,
        /// Log-likelihood there.
        log_likelihood: f64,
        /// `max |∂ℓ/∂θᵢ|` there.
        gradient_norm: f64,
    },
    /// A parameter (starting or fitted) is NaN or infinite.
    #[error("parameter {name} = {value} is not finite")]
    NonFiniteParameter {
        /// Parameter name.
        name: String,
        /// Its value.
        value: f64,
    },
    /// A parameter (starting or fitted) is zero or negative.
    #[error("parameter {name} = {value} is not strictly positive")]
    NonPositiveParameter {
        /// Parameter name.
        name: String,
        /// Its value.
        value: f64,
    },
    /// The log-likelihood is not finite at the starting point.
    #[error("the log-likelihood is not finite at the starting parameters {params:?}")]
    NonFiniteLikelihood {
        /// Starting parameters.
        params: Vec<f64>,
    },
    /// Starting point, names and model disagree on the number of parameters.
    #[error("the model has {expected} parameters but {got} were given")]
    DimensionMismatch {
        /// Parameters of the model.
        expected: usize,
        /// Parameters given.
        got: usize,
    },
}

/// Checks that `value` is finite and strictly positive, naming `name` otherwise.
///
/// ```
/// use crm_churn::{validate_positive, FitError};
/// assert!(validate_positive("r", 0.5).is_ok());
/// assert!(matches!(validate_positive("r", f64::NAN), Err(FitError::NonFiniteParameter { .. })));
/// assert!(matches!(validate_positive("r", -1.0), Err(FitError::NonPositiveParameter { .. })));
/// ```
pub fn validate_positive(name: &str, value: f64) -> Result<(), FitError> {
    if !value.is_finite() {
        Err(FitError::NonFiniteParameter {
            name: name.to_string(),
            value,
        })
    } else if value <= 0.0 {
        Err(FitError::NonPositiveParameter {
            name: name.to_string(),
            value,
        })
    } else {
        Ok(())
    }
}

/// Checks every value with [`validate_positive`], naming the first parameter at fault.
pub(crate) fn validate_all_positive(names: &[&str], values: &[f64]) -> Result<(), FitError> {
    names
        .iter()
        .zip(values)
        .try_for_each(|(name, &v)| validate_positive(name, v))
}

/// The scaled negative log-likelihood in log-parameters, with a one-point cache so that the
/// value and gradient argmin asks for separately cost one model evaluation.
struct Problem<'a, L: ?Sized> {
    model: &'a L,
    scale: f64,
    cache: RefCell<Cache>,
}

#[derive(Default)]
struct Cache {
    theta: Vec<f64>,
    cost: f64,
    grad: Vec<f64>,
    has_grad: bool,
    evaluations: u64,
    /// Best finite point seen (smallest cost).
    best_theta: Vec<f64>,
    best_cost: f64,
}

impl<L: LogLikelihood + ?Sized> Problem<'_, L> {
    /// Evaluates cost (and gradient if asked) at `theta`, through the cache.
    fn eval(&self, theta: &[f64], want_grad: bool) -> (f64, Vec<f64>) {
        let mut c = self.cache.borrow_mut();
        if c.theta.as_slice() == theta && (c.has_grad || !want_grad) {
            return (
                c.cost,
                if want_grad {
                    c.grad.clone()
                } else {
                    Vec::new()
                },
            );
        }
        c.evaluations += 1;
        let p: Vec<f64> = theta.iter().map(|t| t.exp()).collect();
        let (ll, grad) = if want_grad {
            let mut g = vec![0.0; p.len()];
            let ll = self.model.log_likelihood_and_gradient(&p, &mut g);
            // dℓ/dθ = p dℓ/dp; the cost is -scale·ℓ.
            for (gi, pi) in g.iter_mut().zip(&p) {
                *gi *= -self.scale * pi;
            }
            (ll, g)
        } else {
            (self.model.log_likelihood(&p), Vec::new())
        };
        let finite = ll.is_finite() && p.iter().all(|v| v.is_finite() && *v > 0.0);
        let cost = if finite {
            -self.scale * ll
        } else {
            f64::INFINITY
        };
        if cost < c.best_cost || c.best_theta.is_empty() && cost.is_finite() {
            c.best_cost = cost;
            c.best_theta = theta.to_vec();
        }
        c.theta = theta.to_vec();
        c.cost = cost;
        c.has_grad = want_grad;
        c.grad = grad.clone();
        (cost, grad)
    }
}

/// Non-finite likelihood inside an L-BFGS run: abort it; the caller falls back.
#[derive(Debug, Error)]
#[error("non-finite log-likelihood during the line search")]
struct NonFinite;

impl<L: LogLikelihood + ?Sized> CostFunction for Problem<'_, L> {
    type Param = Vec<f64>;
    type Output = f64;
    fn cost(&self, theta: &Vec<f64>) -> Result<f64, ArgminError> {
        let (cost, _) = self.eval(theta, false);
        Ok(cost)
    }
}

impl<L: LogLikelihood + ?Sized> Gradient for Problem<'_, L> {
    type Param = Vec<f64>;
    type Gradient = Vec<f64>;
    fn gradient(&self, theta: &Vec<f64>) -> Result<Vec<f64>, ArgminError> {
        let (cost, grad) = self.eval(theta, true);
        if !cost.is_finite() || grad.iter().any(|g| !g.is_finite()) {
            return Err(NonFinite.into());
        }
        Ok(grad)
    }
}

/// L-BFGS needs finite costs; this wrapper fails the run on a non-finite one.
struct FiniteOnly<'p, 'a, L: ?Sized>(&'p Problem<'a, L>);

impl<L: LogLikelihood + ?Sized> CostFunction for FiniteOnly<'_, '_, L> {
    type Param = Vec<f64>;
    type Output = f64;
    fn cost(&self, theta: &Vec<f64>) -> Result<f64, ArgminError> {
        let (cost, _) = self.0.eval(theta, true);
        if cost.is_finite() {
            Ok(cost)
        } else {
            Err(NonFinite.into())
        }
    }
}

impl<L: LogLikelihood + ?Sized> Gradient for FiniteOnly<'_, '_, L> {
    type Param = Vec<f64>;
    type Gradient = Vec<f64>;
    fn gradient(&self, theta: &Vec<f64>) -> Result<Vec<f64>, ArgminError> {
        self.0.gradient(theta)
    }
}

/// Nelder–Mead sees `+∞` for non-finite points, which it simply rejects.
struct Simplex<'p, 'a, L: ?Sized>(&'p Problem<'a, L>);

impl<L: LogLikelihood + ?Sized> CostFunction for Simplex<'_, '_, L> {
    type Param = Vec<f64>;
    type Output = f64;
    fn cost(&self, theta: &Vec<f64>) -> Result<f64, ArgminError> {
        let (cost, _) = self.0.eval(theta, false);
        Ok(if cost.is_nan() { f64::INFINITY } else { cost })
    }
}

/// Runs L-BFGS from `start` until the Euclidean norm of the scaled gradient is below
/// `tolerance`; returns iterations used (the best point lands in the cache).
fn run_lbfgs<L: LogLikelihood + ?Sized>(
    problem: &Problem<'_, L>,
    start: Vec<f64>,
    options: &FitOptions,
    tolerance: f64,
) -> u64 {
    let Ok(solver) = LBFGS::new(MoreThuenteLineSearch::new(), options.lbfgs_memory.max(1))
        .with_tolerance_grad(tolerance)
        .and_then(|s| s.with_tolerance_cost(0.0))
    else {
        return 0;
    };
    match Executor::new(FiniteOnly(problem), solver)
        .configure(|s| s.param(start).max_iters(options.max_iterations))
        .timer(false)
        .run()
    {
        Ok(res) => res.state.get_iter(),
        // A failed line search or a non-finite region: the best point is in the cache.
        Err(_) => 0,
    }
}

/// Runs Nelder–Mead from `start`; returns iterations used.
fn run_nelder_mead<L: LogLikelihood + ?Sized>(
    problem: &Problem<'_, L>,
    start: &[f64],
    options: &FitOptions,
) -> u64 {
    if start.is_empty() {
        return 0;
    }
    let mut simplex = vec![start.to_vec()];
    for i in 0..start.len() {
        let mut v = start.to_vec();
        v[i] += 0.5;
        simplex.push(v);
    }
    let Ok(solver) = NelderMead::new(simplex).with_sd_tolerance(1e-12) else {
        return 0;
    };
    match Executor::new(Simplex(problem), solver)
        // The simplex moves one vertex per iteration: four of them per L-BFGS iteration.
        .configure(|s| s.max_iters(options.max_iterations.saturating_mul(4)))
        .timer(false)
        .run()
    {
        Ok(res) => res.state.get_iter(),
        Err(_) => 0,
    }
}

/// Maximises `model`'s log-likelihood from `initial` (natural parameters, all > 0).
///
/// `names` label the parameters in errors and in the result. The search:
///
/// 1. optimises over the *log*-parameters `θ = ln p`, so every iterate is positive without
///    bounds, minimising the negative log-likelihood scaled by `1 / max(1, |ℓ(p₀)|)` (the scale
///    makes the tolerances independent of the number of customers);
/// 2. uses `argmin`'s L-BFGS with the More–Thuente line search
///    ([`FitMethod::Lbfgs`], the default) on the model's analytic gradient when it supplies one
///    (chain rule `∂ℓ/∂θᵢ = pᵢ ∂ℓ/∂pᵢ`), or central differences otherwise. A first run stops
///    at half the convergence tolerance (no line searches in the rounding noise of the
///    likelihood sum); if the test below then fails, a second run asks for a hundred times
///    less. When L-BFGS fails
///    (a non-finite likelihood in a line search, or no convergence) it restarts from the best
///    point found with Nelder–Mead and polishes with L-BFGS again. [`FitMethod::NelderMead`]
///    asks for the derivative-free path directly;
/// 3. declares convergence only when the gradient with respect to `θ` is small:
///    `max |∂ℓ/∂θᵢ| ≤ gradient_tolerance · max(1, |ℓ|)`; otherwise the fit fails with
///    [`FitError::NotConverged`], which carries the last iterate;
/// 4. checks that every fitted parameter is finite and strictly positive
///    ([`FitError::NonFiniteParameter`], [`FitError::NonPositiveParameter`]);
/// 5. computes a numerical Hessian of `-ℓ` in `θ` at the optimum (central differences of the
///    gradient), inverts it for the covariance of `θ̂`, and maps it to standard errors of `p̂`
///    with the delta method, `se(p̂ᵢ) = p̂ᵢ · sqrt(Cov(θ̂)ᵢᵢ)`. When the Hessian is not positive
///    definite the standard errors are `None` (never NaN).
///
/// The result is an [`MleFit`]: the parameters, their standard errors and a [`FitReport`]
/// (converged, iterations, final gradient norm, log-likelihood, evaluations).
///
/// # Errors
/// [`FitError::DimensionMismatch`] when `initial`, `names` and `model.dim()` disagree;
/// [`FitError::NonFiniteParameter`] / [`FitError::NonPositiveParameter`] for a bad start or a
/// fitted value that under- or overflows; [`FitError::NonFiniteLikelihood`] when `ℓ(initial)`
/// is not finite; [`FitError::NotConverged`] with the last iterate when the gradient test
/// fails after every fallback.
///
/// ```
/// use crm_churn::*;
/// // Two independent exponential samples, rates 0.5 and 4 (ℓ separates).
/// struct Two;
/// impl LogLikelihood for Two {
///     fn dim(&self) -> usize { 2 }
///     fn log_likelihood(&self, p: &[f64]) -> f64 {
///         50.0 * p[0].ln() - 100.0 * p[0] + 20.0 * p[1].ln() - 5.0 * p[1]
///     }
/// }
/// let fit = maximize_likelihood(&Two, &["a", "b"], &[1.0, 1.0], &FitOptions::default()).unwrap();
/// assert!((fit.params[0] - 0.5).abs() < 1e-5 && (fit.params[1] - 4.0).abs() < 1e-4);
/// assert!(matches!(
///     maximize_likelihood(&Two, &["a", "b"], &[1.0, -1.0], &FitOptions::default()),
///     Err(FitError::NonPositiveParameter { .. })
/// ));
/// ```
pub fn maximize_likelihood<L: LogLikelihood + ?Sized>(
    model: &L,
    names: &[&str],
    initial: &[f64],
    options: &FitOptions,
) -> Result<MleFit, FitError> {
    let dim = model.dim();
    if initial.len() != dim || names.len() != dim {
        return Err(FitError::DimensionMismatch {
            expected: dim,
            got: if initial.len() != dim {
                initial.len()
            } else {
                names.len()
            },
        });
    }
    validate_all_positive(names, initial)?;
    let ll0 = model.log_likelihood(initial);
    if !ll0.is_finite() {
        return Err(FitError::NonFiniteLikelihood {
            params: initial.to_vec(),
        });
    }
    let problem = Problem {
        model,
        scale: 1.0 / ll0.abs().max(1.0),
        cache: RefCell::new(Cache {
            best_cost: f64::INFINITY,
            ..Cache::default()
        }),
    };
    let theta0: Vec<f64> = initial.iter().map(|v| v.ln()).collect();
    // The likelihood alone first, so that the best point starts at the initial one even
    // where the gradient's evaluation is not finite: every restart below then has a point.
    problem.eval(&theta0, false);
    problem.eval(&theta0, true);
    if problem.cache.borrow().best_theta.is_empty() {
        return Err(FitError::NonFiniteLikelihood {
            params: initial.to_vec(),
        });
    }

    let mut iterations = 0;
    let mut used_nelder_mead = false;
    let best = |problem: &Problem<'_, L>| problem.cache.borrow().best_theta.clone();
    let converged_at = |problem: &Problem<'_, L>, theta: &[f64]| -> (bool, f64, f64) {
        let (cost, grad) = problem.eval(theta, true);
        let ll = -cost / problem.scale;
        let norm = grad
            .iter()
            .map(|g| (g / problem.scale).abs())
            .fold(0.0, f64::max);
        let ok = cost.is_finite() && norm <= options.gradient_tolerance * ll.abs().max(1.0);
        (ok, ll, norm)
    };

    // The scaled gradient is ∂ℓ/∂θ / max(1, |ℓ(p₀)|) and its Euclidean norm bounds the largest
    // component, so a first run to half the tolerance passes the convergence test whenever
    // |ℓ| has not shrunk below half of |ℓ(p₀)|, without chasing digits the sum of the
    // likelihood terms cannot deliver (line searches in rounding noise cost most of the
    // evaluations). If the test still fails, a second run asks for a hundred times less.
    let loose = 0.5 * options.gradient_tolerance;
    let tight = 1e-2 * options.gradient_tolerance;
    let mut theta = theta0;
    let mut ok = false;
    if options.method == FitMethod::Lbfgs {
        for tolerance in [loose, tight] {
            iterations += run_lbfgs(&problem, theta, options, tolerance);
            theta = best(&problem);
            ok = converged_at(&problem, &theta).0;
            if ok {
                break;
            }
        }
    }
    if !ok {
        used_nelder_mead = true;
        iterations += run_nelder_mead(&problem, &theta, options);
        theta = best(&problem);
        iterations += run_lbfgs(&problem, theta, options, tight);
        theta = best(&problem);
        ok = converged_at(&problem, &theta).0;
        if !ok {
            // One more restart of L-BFGS from the best point (fresh curvature memory).
            iterations += run_lbfgs(&problem, theta, options, tight);
            theta = best(&problem);
        }
    }
    let (ok, ll, gradient_norm) = converged_at(&problem, &theta);
    let params: Vec<f64> = theta.iter().map(|t| t.exp()).collect();
    let evaluations = problem.cache.borrow().evaluations;
    if !ok {
        return Err(FitError::NotConverged {
            iterations,
            last_params: params,
            log_likelihood: ll,
            gradient_norm,
        });
    }
    validate_all_positive(names, &params)?;
    let covariance =
        hessian_log_params(model, &params, options.hessian_step).and_then(|h| invert_spd(&h));
    let std_errors = covariance.as_ref().map(|cov| {
        params
            .iter()
            .enumerate()
            .map(|(i, p)| p * cov[i][i].sqrt())
            .collect()
    });
    let warnings = if std_errors.is_none() {
        vec![FitWarning::StandardErrorNotFinite {
            names: names.iter().map(|n| n.to_string()).collect(),
        }]
    } else {
        Vec::new()
    };
    Ok(MleFit {
        names: names.iter().map(|n| n.to_string()).collect(),
        params,
        std_errors,
        log_param_covariance: covariance,
        warnings,
        report: FitReport {
            converged: true,
            iterations,
            gradient_norm,
            log_likelihood: ll,
            evaluations,
            used_nelder_mead,
        },
    })
}

/// A model with some parameters held fixed, seen as a model of the others.
struct Held<'a, L: ?Sized> {
    model: &'a L,
    /// Per parameter of `model`: `Some(value)` when held.
    held: &'a [Option<f64>],
    /// Indices of the free parameters.
    free: Vec<usize>,
}

impl<L: ?Sized> Held<'_, L> {
    fn full(&self, p: &[f64]) -> Vec<f64> {
        let mut free = p.iter();
        self.held
            .iter()
            .map(|h| h.unwrap_or_else(|| *free.next().unwrap_or(&f64::NAN)))
            .collect()
    }
}

impl<L: LogLikelihood + ?Sized> LogLikelihood for Held<'_, L> {
    fn dim(&self) -> usize {
        self.free.len()
    }
    fn log_likelihood(&self, p: &[f64]) -> f64 {
        self.model.log_likelihood(&self.full(p))
    }
    fn log_likelihood_and_gradient(&self, p: &[f64], grad: &mut [f64]) -> f64 {
        let full = self.full(p);
        let mut g = vec![0.0; full.len()];
        let ll = self.model.log_likelihood_and_gradient(&full, &mut g);
        for (out, &i) in grad.iter_mut().zip(&self.free) {
            *out = g[i];
        }
        ll
    }
}

/// [`maximize_likelihood`] with every parameter kept in `bounds`.
///
/// The unconstrained search runs first; when it converges inside the box, and no parameter
/// moved alone to the bound its gradient points to keeps the likelihood as high, its result
/// is returned unchanged. Otherwise — the likelihood increasing (or flat) towards a limit the
/// data cannot resolve, such as no dropout at all — the parameters outside the box, or with a
/// likelihood as high at the bound, are held at that bound and the others are fitted again,
/// until every free parameter is inside the box and none has such a bound. Besides one
/// parameter at a time, the parameters far from 1 (beyond a factor 100) are moved to their
/// bounds together, for limits reached only along a ridge (`α, β → ∞` with `α/β` fixed). A
/// search that stops short of convergence is treated the same way before it is reported
/// as [`FitError::NotConverged`]. The result then carries, per held parameter, a
/// [`FitWarning::ParameterAtBound`], and a [`FitWarning::StandardErrorNotFinite`]: the
/// standard error of a held parameter is `+∞` (its covariance row and column are zero but
/// for an infinite variance), those of the free ones come from their own Hessian.
///
/// # Errors
/// As [`maximize_likelihood`]; a failure whose last iterate is inside the box is returned
/// as is.
///
/// ```
/// use crm_churn::*;
/// // ℓ(p) = ln p − p/1e9 has its maximum at p = 1e9, beyond the default box.
/// struct Far;
/// impl LogLikelihood for Far {
///     fn dim(&self) -> usize { 1 }
///     fn log_likelihood(&self, p: &[f64]) -> f64 { p[0].ln() - p[0] / 1e9 }
/// }
/// let fit = maximize_likelihood_within(&Far, &["p"], &[1.0], &FitOptions::default(), &ParameterBounds::default())?;
/// assert_eq!(fit.params, [1e6]);
/// assert!(matches!(fit.warnings[0], FitWarning::ParameterAtBound { bound: BoundSide::Upper, .. }));
/// assert_eq!(fit.std_errors, Some(vec![f64::INFINITY]));
/// # Ok::<(), FitError>(())
/// ```
pub fn maximize_likelihood_within<L: LogLikelihood + ?Sized>(
    model: &L,
    names: &[&str],
    initial: &[f64],
    options: &FitOptions,
    bounds: &ParameterBounds,
) -> Result<MleFit, FitError> {
    let clamp = |v: f64| v.clamp(bounds.lower, bounds.upper);
    let start: Vec<f64> = initial.iter().map(|&v| clamp(v)).collect();
    let (mut iterations, mut evaluations) = (0, 0);
    let mut held: Vec<Option<(BoundSide, f64)>> = vec![None; names.len()];
    let last = match maximize_likelihood(model, names, &start, options) {
        Ok(fit) => {
            let inside = fit.params.iter().all(|&v| bounds.crossed(v).is_none());
            if inside && !hold_flat(model, &fit.params, bounds, &mut held) {
                return Ok(fit);
            }
            iterations += fit.report.iterations;
            evaluations += fit.report.evaluations;
            fit.params
        }
        Err(FitError::NotConverged {
            last_params,
            iterations: spent,
            ..
        }) if last_params.iter().any(|&v| bounds.crossed(v).is_some())
            || hold_flat(model, &last_params, bounds, &mut held) =>
        {
            iterations += spent;
            last_params
        }
        Err(e) => return Err(e),
    };
    // Parameters that left the box together are first brought back along their ridge
    // (see [`pull_in`]); where the fit along the ridge cannot settle (a likelihood too flat
    // there to converge), each is held where it crossed instead.
    let first = rounds(
        model,
        names,
        options,
        bounds,
        held.clone(),
        last.clone(),
        (iterations, evaluations),
        true,
    );
    match first {
        Err(FitError::NotConverged { .. }) => rounds(
            model,
            names,
            options,
            bounds,
            held,
            last,
            (iterations, evaluations),
            false,
        )
        .or(first),
        other => other,
    }
}

/// The rounds of [`maximize_likelihood_within`] after the first search: hold what crossed
/// (or is flat towards) a bound, fit the others, until nothing more is held; `ridge`
/// brings parameters back along their ridge first ([`pull_in`]).
#[allow(clippy::too_many_arguments)]
fn rounds<L: LogLikelihood + ?Sized>(
    model: &L,
    names: &[&str],
    options: &FitOptions,
    bounds: &ParameterBounds,
    mut held: Vec<Option<(BoundSide, f64)>>,
    mut last: Vec<f64>,
    (mut iterations, mut evaluations): (u64, u64),
    ridge: bool,
) -> Result<MleFit, FitError> {
    let clamp = |v: f64| v.clamp(bounds.lower, bounds.upper);
    // Each round holds at least one more parameter, so there are at most `dim` rounds.
    loop {
        if ridge {
            pull_in(&mut last, bounds, &mut held);
        }
        for (h, &v) in held.iter_mut().zip(&last) {
            if h.is_none() {
                *h = bounds.crossed(v);
            }
        }
        let values: Vec<Option<f64>> = held.iter().map(|h| h.map(|(_, v)| v)).collect();
        let free: Vec<usize> = (0..names.len()).filter(|&i| held[i].is_none()).collect();
        let reduced = Held {
            model,
            held: &values,
            free: free.clone(),
        };
        let free_names: Vec<&str> = free.iter().map(|&i| names[i]).collect();
        let free_start: Vec<f64> = free.iter().map(|&i| clamp(last[i])).collect();
        let fit = if free.is_empty() {
            let ll = model.log_likelihood(&reduced.full(&[]));
            if !ll.is_finite() {
                return Err(FitError::NonFiniteLikelihood {
                    params: reduced.full(&[]),
                });
            }
            MleFit {
                names: Vec::new(),
                params: Vec::new(),
                std_errors: Some(Vec::new()),
                log_param_covariance: Some(Vec::new()),
                report: FitReport {
                    converged: true,
                    iterations: 0,
                    gradient_norm: 0.0,
                    log_likelihood: ll,
                    evaluations: 1,
                    used_nelder_mead: false,
                },
                warnings: Vec::new(),
            }
        } else {
            match maximize_likelihood(&reduced, &free_names, &free_start, options) {
                Ok(fit) => fit,
                Err(FitError::NotConverged {
                    last_params,
                    iterations: spent,
                    log_likelihood,
                    gradient_norm,
                }) => {
                    let mut more = vec![None; free.len()];
                    let crossed = last_params.iter().any(|&v| bounds.crossed(v).is_some());
                    if !crossed && !hold_flat(&reduced, &last_params, bounds, &mut more) {
                        return Err(FitError::NotConverged {
                            iterations: iterations + spent,
                            log_likelihood,
                            last_params: reduced.full(&last_params),
                            gradient_norm,
                        });
                    }
                    for (k, &i) in free.iter().enumerate() {
                        held[i] = held[i].or(more[k]);
                    }
                    iterations += spent;
                    last = reduced.full(&last_params);
                    continue;
                }
                Err(e) => return Err(e),
            }
        };
        let full = reduced.full(&fit.params);
        let crossed = fit.params.iter().any(|&v| bounds.crossed(v).is_some());
        let mut more = vec![None; free.len()];
        if crossed || hold_flat(&reduced, &fit.params, bounds, &mut more) {
            for (k, &i) in free.iter().enumerate() {
                held[i] = held[i].or(more[k]);
            }
            iterations += fit.report.iterations;
            evaluations += fit.report.evaluations;
            last = full;
            continue;
        }
        return Ok(expand_held(
            names,
            &held,
            &free,
            &full,
            fit,
            iterations,
            evaluations,
        ));
    }
}

/// Marks in `held` the parameters of a converged `fit` towards whose bound the likelihood does
/// not fall: moved there alone, `ℓ` stays within `1e-9 · max(1, |ℓ|)` of the fit's or rises.
/// In log-parameters the gradient of such a limit vanishes (`∂ℓ/∂ ln p = p ∂ℓ/∂p → 0` as
/// `p → 0`), so the search stops short of it and calls that convergence. Each parameter is
/// tried towards the bound its gradient points to. Returns whether any was marked.
fn hold_flat<L: LogLikelihood + ?Sized>(
    model: &L,
    p: &[f64],
    bounds: &ParameterBounds,
    held: &mut [Option<(BoundSide, f64)>],
) -> bool {
    let ll = model.log_likelihood(p);
    if !ll.is_finite() || p.iter().any(|&v| bounds.crossed(v).is_some()) {
        return false;
    }
    let mut grad = vec![0.0; p.len()];
    model.log_likelihood_and_gradient(p, &mut grad);
    let slack = 1e-9 * ll.abs().max(1.0);
    let mut any = false;
    let mut work = p.to_vec();
    for i in 0..p.len() {
        // Towards the bound the gradient points to; both when it is zero or not a number.
        let mut sides = Vec::with_capacity(2);
        if grad[i] <= 0.0 || grad[i].is_nan() {
            sides.push((BoundSide::Lower, bounds.lower));
        }
        if grad[i] >= 0.0 || grad[i].is_nan() {
            sides.push((BoundSide::Upper, bounds.upper));
        }
        for (side, value) in sides {
            work[i] = value;
            let at = model.log_likelihood(&work);
            if at.is_finite() && at >= ll - slack {
                held[i] = Some((side, value));
                any = true;
                break;
            }
        }
        work[i] = p[i];
    }
    any || hold_ridge(model, p, ll - slack, bounds, held)
}

/// Brings parameters that left the box back along the ridge they left it on: the free
/// parameters beyond [`FAR`] on the side of a crossed bound move together, by the factor
/// that brings the furthest back to its bound, which is held there. Parameters that run
/// off together (sBG's `α, β → ∞` when every customer has the same churn rate) keep their
/// ratio, which the data do determine, instead of each being clamped to the bound.
fn pull_in(p: &mut [f64], bounds: &ParameterBounds, held: &mut [Option<(BoundSide, f64)>]) {
    let (lo, hi) = (bounds.lower.ln(), bounds.upper.ln());
    for side in [BoundSide::Upper, BoundSide::Lower] {
        // The free parameters that can move: positive and finite.
        let movable: Vec<usize> = (0..p.len())
            .filter(|&i| held[i].is_none() && p[i].is_finite() && p[i] > 0.0)
            .collect();
        // How far the furthest free parameter went past this side's bound, in ln p.
        let excess = movable
            .iter()
            .map(|&i| match side {
                BoundSide::Upper => p[i].ln() - hi,
                BoundSide::Lower => lo - p[i].ln(),
            })
            .fold(0.0, f64::max);
        if excess <= 0.0 {
            continue;
        }
        let furthest = movable.iter().copied().max_by(|&a, &b| {
            let d = |i: usize| match side {
                BoundSide::Upper => p[i].ln(),
                BoundSide::Lower => -p[i].ln(),
            };
            d(a).total_cmp(&d(b))
        });
        for &i in &movable {
            let t = p[i].ln();
            match side {
                BoundSide::Upper if t > FAR.ln() => p[i] = (t - excess).exp(),
                BoundSide::Lower if t < -FAR.ln() => p[i] = (t + excess).exp(),
                _ => {}
            }
        }
        if let Some(i) = furthest {
            let bound = match side {
                BoundSide::Upper => bounds.upper,
                BoundSide::Lower => bounds.lower,
            };
            p[i] = bound;
            held[i] = Some((side, bound));
        }
        // What is still outside (a parameter between 1 and FAR cannot be) is clamped below.
        for v in p.iter_mut() {
            *v = v.clamp(bounds.lower, bounds.upper);
        }
    }
}

/// Parameters further than this factor from 1 are "far" for [`hold_ridge`].
const FAR: f64 = 100.0;

/// The joint move of [`hold_flat`]: a likelihood that only flattens along a ridge, such as
/// `α, β → ∞` together (every customer the same churn rate) or BG/NBD's `a → 0, b → ∞`,
/// falls when one parameter moves alone. Every parameter further than [`FAR`] from 1 moves
/// towards its side's bound by the same factor, until the first reaches it; when `ℓ` there
/// is at least `floor`, those reaching the bound are marked. Returns whether any was.
fn hold_ridge<L: LogLikelihood + ?Sized>(
    model: &L,
    p: &[f64],
    floor: f64,
    bounds: &ParameterBounds,
    held: &mut [Option<(BoundSide, f64)>],
) -> bool {
    let (lo, hi) = (bounds.lower.ln(), bounds.upper.ln());
    // Per far parameter: its side and its distance to that bound, in ln p.
    let far: Vec<(usize, BoundSide, f64)> = p
        .iter()
        .enumerate()
        .filter_map(|(i, &v)| {
            let t = v.ln();
            if t > FAR.ln() {
                Some((i, BoundSide::Upper, hi - t))
            } else if t < -FAR.ln() {
                Some((i, BoundSide::Lower, t - lo))
            } else {
                None
            }
        })
        .collect();
    let Some(step) = far.iter().map(|f| f.2).reduce(f64::min) else {
        return false;
    };
    if far.len() < 2 || step <= 0.0 {
        return false;
    }
    let mut work = p.to_vec();
    for &(i, side, _) in &far {
        work[i] = match side {
            BoundSide::Upper => (p[i].ln() + step).exp().min(bounds.upper),
            BoundSide::Lower => (p[i].ln() - step).exp().max(bounds.lower),
        };
    }
    let at = model.log_likelihood(&work);
    if !(at.is_finite() && at >= floor) {
        return false;
    }
    let mut any = false;
    for &(i, side, distance) in &far {
        if distance <= step * (1.0 + 1e-12) {
            let value = match side {
                BoundSide::Upper => bounds.upper,
                BoundSide::Lower => bounds.lower,
            };
            held[i] = Some((side, value));
            any = true;
        }
    }
    any
}

/// The fit of the free parameters as a fit of all of them (see
/// [`maximize_likelihood_within`]).
fn expand_held(
    names: &[&str],
    held: &[Option<(BoundSide, f64)>],
    free: &[usize],
    params: &[f64],
    fit: MleFit,
    iterations: u64,
    evaluations: u64,
) -> MleFit {
    let n = names.len();
    let slot = |i: usize| free.iter().position(|&f| f == i);
    let std_errors = fit.std_errors.as_ref().map(|se| {
        (0..n)
            .map(|i| slot(i).map_or(f64::INFINITY, |k| se[k]))
            .collect()
    });
    let log_param_covariance = fit.log_param_covariance.as_ref().map(|cov| {
        (0..n)
            .map(|i| {
                (0..n)
                    .map(|j| match (slot(i), slot(j)) {
                        (Some(a), Some(b)) => cov[a][b],
                        _ if i == j => f64::INFINITY,
                        _ => 0.0,
                    })
                    .collect()
            })
            .collect()
    });
    let mut warnings: Vec<FitWarning> = held
        .iter()
        .zip(names)
        .filter_map(|(h, name)| {
            h.map(|(bound, value)| FitWarning::ParameterAtBound {
                name: name.to_string(),
                value,
                bound,
            })
        })
        .collect();
    let no_se: Vec<String> = names
        .iter()
        .enumerate()
        .filter(|&(i, _)| held[i].is_some() || fit.std_errors.is_none())
        .map(|(_, name)| name.to_string())
        .collect();
    warnings.push(FitWarning::StandardErrorNotFinite { names: no_se });
    MleFit {
        names: names.iter().map(|n| n.to_string()).collect(),
        params: params.to_vec(),
        std_errors,
        log_param_covariance,
        report: FitReport {
            iterations: iterations + fit.report.iterations,
            evaluations: evaluations + fit.report.evaluations,
            ..fit.report
        },
        warnings,
    }
}

/// Hessian of `-ℓ` with respect to `θ = ln p` at `params`, by central differences of the
/// gradient (`∂ℓ/∂θ = p ∂ℓ/∂p`), symmetrised. `None` when any entry is not finite.
///
/// ```
/// use crm_churn::{hessian_log_params, LogLikelihood};
/// struct E; // ℓ(λ) = 10 ln λ − 5 λ, so in θ = ln λ: −ℓ'' = 5 λ = 10 at λ = 2.
/// impl LogLikelihood for E { fn dim(&self) -> usize { 1 }
///     fn log_likelihood(&self, p: &[f64]) -> f64 { 10.0 * p[0].ln() - 5.0 * p[0] } }
/// let h = hessian_log_params(&E, &[2.0], 1e-4).unwrap();
/// assert!((h[0][0] - 10.0).abs() < 1e-4);
/// ```
#[allow(clippy::needless_range_loop)] // dense matrix indexing reads best
pub fn hessian_log_params<L: LogLikelihood + ?Sized>(
    model: &L,
    params: &[f64],
    step: f64,
) -> Option<Vec<Vec<f64>>> {
    let n = params.len();
    let theta: Vec<f64> = params.iter().map(|p| p.ln()).collect();
    let grad_theta = |t: &[f64]| -> Vec<f64> {
        let p: Vec<f64> = t.iter().map(|v| v.exp()).collect();
        let mut g = vec![0.0; n];
        model.log_likelihood_and_gradient(&p, &mut g);
        g.iter().zip(&p).map(|(gi, pi)| gi * pi).collect()
    };
    let mut h = vec![vec![0.0; n]; n];
    let mut work = theta.clone();
    for j in 0..n {
        let hj = step * theta[j].abs().max(1.0);
        work[j] = theta[j] + hj;
        let up = grad_theta(&work);
        work[j] = theta[j] - hj;
        let down = grad_theta(&work);
        work[j] = theta[j];
        for i in 0..n {
            h[i][j] = -(up[i] - down[i]) / (2.0 * hj);
        }
    }
    for i in 0..n {
        for j in 0..i {
            let m = 0.5 * (h[i][j] + h[j][i]);
            h[i][j] = m;
            h[j][i] = m;
        }
    }
    h.iter().flatten().all(|v| v.is_finite()).then_some(h)
}

/// Inverse of a symmetric positive-definite matrix by Cholesky; `None` when it is not
/// positive definite.
///
/// ```
/// use crm_churn::invert_spd;
/// let inv = invert_spd(&[vec![4.0, 2.0], vec![2.0, 3.0]]).unwrap();
/// assert!((inv[0][0] - 0.375).abs() < 1e-12 && (inv[0][1] + 0.25).abs() < 1e-12);
/// assert!(invert_spd(&[vec![1.0, 2.0], vec![2.0, 1.0]]).is_none());
/// ```
#[allow(clippy::needless_range_loop)] // dense matrix indexing reads best
pub fn invert_spd(a: &[Vec<f64>]) -> Option<Vec<Vec<f64>>> {
    let n = a.len();
    let mut l = vec![vec![0.0; n]; n];
    for i in 0..n {
        for j in 0..=i {
            let s: f64 = (0..j).map(|k| l[i][k] * l[j][k]).sum();
            if i == j {
                let d = a[i][i] - s;
                if d.is_nan() || d <= 0.0 {
                    return None;
                }
                l[i][i] = d.sqrt();
            } else {
                l[i][j] = (a[i][j] - s) / l[j][j];
            }
        }
    }
    // Inverse of L (lower triangular), then A⁻¹ = L⁻ᵀ L⁻¹.
    let mut li = vec![vec![0.0; n]; n];
    for i in 0..n {
        li[i][i] = 1.0 / l[i][i];
        for j in 0..i {
            let s: f64 = (j..i).map(|k| l[i][k] * li[k][j]).sum();
            li[i][j] = -s / l[i][i];
        }
    }
    let mut inv = vec![vec![0.0; n]; n];
    for i in 0..n {
        for j in 0..n {
            inv[i][j] = (i.max(j)..n).map(|k| li[k][i] * li[k][j]).sum();
        }
    }
    inv.iter().flatten().all(|v| v.is_finite()).then_some(inv)
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Weibull-free toy: gamma-distributed sample with known closed-form-free MLE checked
    /// by the score equations; here a two-parameter model with a correlated Hessian.
    struct Gamma {
        n: f64,
        sum: f64,
        sum_log: f64,
    }

    impl LogLikelihood for Gamma {
        fn dim(&self) -> usize {
            2
        }
        fn log_likelihood(&self, p: &[f64]) -> f64 {
            let (k, rate) = (p[0], p[1]);
            self.n * (k * rate.ln() - statrs::function::gamma::ln_gamma(k))
                + (k - 1.0) * self.sum_log
                - rate * self.sum
        }
    }

    #[test]
    fn gamma_mle_satisfies_score_equations() {
        let m = Gamma {
            n: 200.0,
            sum: 600.0,
            sum_log: 180.0,
        };
        let fit =
            maximize_likelihood(&m, &["k", "rate"], &[1.0, 1.0], &FitOptions::default()).unwrap();
        let (k, rate) = (fit.params[0], fit.params[1]);
        // rate = k / mean; ln k − ψ(k) = ln(mean) − mean(ln x).
        assert!((rate - k / 3.0).abs() < 1e-5 * rate);
        let lhs = k.ln() - statrs::function::gamma::digamma(k);
        assert!((lhs - (3.0f64.ln() - 0.9)).abs() < 1e-6);
        assert!(fit.std_errors.is_some());
    }

    #[test]
    fn nelder_mead_path_agrees() {
        let m = Gamma {
            n: 200.0,
            sum: 600.0,
            sum_log: 180.0,
        };
        let a =
            maximize_likelihood(&m, &["k", "rate"], &[1.0, 1.0], &FitOptions::default()).unwrap();
        let opts = FitOptions {
            method: FitMethod::NelderMead,
            ..FitOptions::default()
        };
        let b = maximize_likelihood(&m, &["k", "rate"], &[1.0, 1.0], &opts).unwrap();
        assert!(b.report.used_nelder_mead);
        for (x, y) in a.params.iter().zip(&b.params) {
            assert!((x - y).abs() < 1e-5 * x);
        }
    }

    /// ℓ increases without bound as p → ∞: no maximum, must be NotConverged (or a
    /// non-finite fitted parameter), never Ok.
    struct Unbounded;
    impl LogLikelihood for Unbounded {
        fn dim(&self) -> usize {
            1
        }
        fn log_likelihood(&self, p: &[f64]) -> f64 {
            p[0].ln()
        }
    }

    #[test]
    fn unbounded_likelihood_is_an_error_with_last_iterate() {
        let opts = FitOptions {
            max_iterations: 20,
            ..FitOptions::default()
        };
        match maximize_likelihood(&Unbounded, &["p"], &[1.0], &opts) {
            Err(FitError::NotConverged { last_params, .. }) => {
                assert_eq!(last_params.len(), 1);
                assert!(last_params[0] > 1.0);
            }
            Err(FitError::NonFiniteParameter { .. }) => {}
            other => panic!("expected an error, got {other:?}"),
        }
    }

    #[test]
    fn bad_starts_are_typed_errors() {
        let m = Gamma {
            n: 1.0,
            sum: 1.0,
            sum_log: 0.0,
        };
        let o = FitOptions::default();
        assert!(matches!(
            maximize_likelihood(&m, &["k"], &[1.0], &o),
            Err(FitError::DimensionMismatch { .. })
        ));
        assert!(matches!(
            maximize_likelihood(&m, &["k", "rate"], &[f64::INFINITY, 1.0], &o),
            Err(FitError::NonFiniteParameter { .. })
        ));
        struct Nan;
        impl LogLikelihood for Nan {
            fn dim(&self) -> usize {
                1
            }
            fn log_likelihood(&self, _: &[f64]) -> f64 {
                f64::NAN
            }
        }
        assert!(matches!(
            maximize_likelihood(&Nan, &["p"], &[1.0], &o),
            Err(FitError::NonFiniteLikelihood { .. })
        ));
    }

    #[test]
    #[allow(clippy::needless_range_loop)]
    fn spd_inverse_roundtrip() {
        let a = vec![
            vec![4.0, 1.0, 0.5],
            vec![1.0, 3.0, 0.2],
            vec![0.5, 0.2, 2.0],
        ];
        let inv = invert_spd(&a).unwrap();
        for i in 0..3 {
            for j in 0..3 {
                let v: f64 = (0..3).map(|k| a[i][k] * inv[k][j]).sum();
                assert!((v - f64::from(u8::from(i == j))).abs() < 1e-12);
            }
        }
    }
}
