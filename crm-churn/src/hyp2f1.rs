//! The Gaussian hypergeometric function ₂F₁(a, b; c; z) for the real arguments the
//! buy-till-you-die models need: `a, b, c > 0` and `0 ≤ z < 1`.
//!
//! The power series `Σₖ (a)ₖ(b)ₖ / ((c)ₖ k!) zᵏ` is summed term by term (each term from the
//! previous by the ratio `(a+k)(b+k) z / ((c+k)(k+1))`, so no factorial overflows). With
//! positive parameters and `z ≥ 0` every term is positive: there is no cancellation, and the
//! relative error grows only with the number of terms that matter, about `ε / (1 − z)`
//! (1e-13 at `z = 0.99`, 1e-11 at `z = 0.9999`). The series converges geometrically with ratio `z`;
//! for `z` close to 1 it is slow, so Euler's transformation
//! `₂F₁(a, b; c; z) = (1 − z)^(c−a−b) ₂F₁(c − a, c − b; c; z)` is used when it makes the
//! terms shrink faster (`c − a`, `c − b` ≥ 0 keeps it positive), and [`ln_hyp2f1`] works on the log
//! scale so that large values do not overflow. When the series has not converged within
//! [`MAX_TERMS`] terms the functions return `None` rather than a wrong number.

/// Largest number of series terms summed before giving up.
///
/// ```
/// use crm_churn::{HYP2F1_MAX_TERMS, ln_hyp2f1};
/// // So close to z = 1 the series would need billions of terms: no value rather than a
/// // wrong one (and the hopeless case is recognised early, not after all the terms).
/// assert!(HYP2F1_MAX_TERMS < 1_000_000_000);
/// assert_eq!(ln_hyp2f1(2.0, 2.0, 1.0, 1.0 - 1e-9), None);
/// ```
pub const MAX_TERMS: usize = 2_000_000;

/// `ln ₂F₁(a, b; c; z)` for `a, b, c > 0`, `0 ≤ z < 1`; `None` outside that range or when the
/// series does not converge within [`MAX_TERMS`] terms.
///
/// ```
/// use crm_churn::ln_hyp2f1;
/// // ₂F₁(1, 1; 2; z) = −ln(1 − z) / z
/// let z: f64 = 0.9;
/// let exact = (-(1.0 - z).ln() / z).ln();
/// assert!((ln_hyp2f1(1.0, 1.0, 2.0, z).unwrap() - exact).abs() < 1e-13);
/// ```
pub fn ln_hyp2f1(a: f64, b: f64, c: f64, z: f64) -> Option<f64> {
    ln_hyp2f1_within(a, b, c, z, MAX_TERMS)
}

/// [`ln_hyp2f1`] giving up after `max_terms` series terms.
pub(crate) fn ln_hyp2f1_within(a: f64, b: f64, c: f64, z: f64, max_terms: usize) -> Option<f64> {
    if !in_domain(a, b, c, z) {
        return None;
    }
    if z == 0.0 {
        return Some(0.0);
    }
    // Euler: F(a,b;c;z) = (1−z)^(c−a−b) F(c−a, c−b; c; z). Worth it when both c−a and c−b
    // are non-negative (terms stay positive) and smaller than a and b (faster decay).
    let (ca, cb) = (c - a, c - b);
    if ca >= 0.0 && cb >= 0.0 && ca * cb < a * b {
        if ca == 0.0 || cb == 0.0 {
            return Some((c - a - b) * (-z).ln_1p());
        }
        let s = ln_series(ca, cb, c, z, max_terms)?;
        return Some((c - a - b) * (-z).ln_1p() + s);
    }
    ln_series(a, b, c, z, max_terms)
}

/// Whether `(a, b, c, z)` lies in the domain served here: `a, b, c` finite and positive,
/// `0 ≤ z < 1`.
fn in_domain(a: f64, b: f64, c: f64, z: f64) -> bool {
    a > 0.0
        && b > 0.0
        && c > 0.0
        && (0.0..1.0).contains(&z)
        && a.is_finite()
        && b.is_finite()
        && c.is_finite()
}

/// `₂F₁(a, b; c; z)` (see [`ln_hyp2f1`] for the domain); `None` outside it or on overflow.
///
/// ```
/// use crm_churn::hyp2f1;
/// // ₂F₁(a, b; b; z) = (1 − z)^(−a)
/// assert!((hyp2f1(2.5, 3.0, 3.0, 0.5).unwrap() - 0.5f64.powf(-2.5)).abs() < 1e-12);
/// ```
pub fn hyp2f1(a: f64, b: f64, c: f64, z: f64) -> Option<f64> {
    let v = ln_hyp2f1(a, b, c, z)?.exp();
    v.is_finite().then_some(v)
}

/// `ln ₂F₁(a, b; c; z)` and its partial derivatives `[ln F, ∂/∂a, ∂/∂b, ∂/∂c, ∂/∂z]` (of the
/// log), for the same domain as [`ln_hyp2f1`]; `None` outside it or when the series does not
/// converge within [`MAX_TERMS`] terms.
///
/// The derivatives are summed term by term alongside the series: with
/// `tₖ = (a)ₖ(b)ₖ / ((c)ₖ k!) zᵏ`, `∂tₖ/∂a = tₖ Σ_{j<k} 1/(a+j)` (likewise `b`, and `c` with a
/// minus sign) and `∂tₖ/∂z = k tₖ / z`, all positive, so they share the value's accuracy and
/// its stopping rule (each tail bounded the same way). Euler's transformation is used on the
/// same condition as in [`ln_hyp2f1`] and differentiated by the chain rule.
///
/// ```
/// use crm_churn::{ln_hyp2f1, ln_hyp2f1_with_derivatives};
/// let [v, da, _db, _dc, dz] = ln_hyp2f1_with_derivatives(1.5, 2.0, 2.5, 0.6).unwrap();
/// assert!((v - ln_hyp2f1(1.5, 2.0, 2.5, 0.6).unwrap()).abs() < 1e-14);
/// let h = 1e-6;
/// let num_a = (ln_hyp2f1(1.5 + h, 2.0, 2.5, 0.6).unwrap() - ln_hyp2f1(1.5 - h, 2.0, 2.5, 0.6).unwrap()) / (2.0 * h);
/// let num_z = (ln_hyp2f1(1.5, 2.0, 2.5, 0.6 + h).unwrap() - ln_hyp2f1(1.5, 2.0, 2.5, 0.6 - h).unwrap()) / (2.0 * h);
/// assert!((da - num_a).abs() < 1e-8 && (dz - num_z).abs() < 1e-8);
/// ```
pub fn ln_hyp2f1_with_derivatives(a: f64, b: f64, c: f64, z: f64) -> Option<[f64; 5]> {
    ln_hyp2f1_with_derivatives_within(a, b, c, z, MAX_TERMS)
}

/// [`ln_hyp2f1_with_derivatives`] giving up after `max_terms` series terms.
pub(crate) fn ln_hyp2f1_with_derivatives_within(
    a: f64,
    b: f64,
    c: f64,
    z: f64,
    max_terms: usize,
) -> Option<[f64; 5]> {
    if !in_domain(a, b, c, z) {
        return None;
    }
    if z == 0.0 {
        // F = 1 + (ab/c) z + …: only the z-derivative survives.
        return Some([0.0, 0.0, 0.0, 0.0, a * b / c]);
    }
    let (ca, cb) = (c - a, c - b);
    // Strictly positive here: at c − a = 0 the transformed series has (0)ₖ terms whose
    // derivative in their first parameter is not zero; the direct series serves that case.
    if ca > 0.0 && cb > 0.0 && ca * cb < a * b {
        let [v, d_ca, d_cb, d_c, d_z] = ln_series_with_derivatives(ca, cb, c, z, max_terms)?;
        let l1z = (-z).ln_1p();
        let e = c - a - b;
        return Some([
            e * l1z + v,
            -l1z - d_ca,
            -l1z - d_cb,
            l1z + d_ca + d_cb + d_c,
            -e / (1.0 - z) + d_z,
        ]);
    }
    ln_series_with_derivatives(a, b, c, z, max_terms)
}

/// [`ln_series`] with the partial derivatives of the log (see [`ln_hyp2f1_with_derivatives`]).
fn ln_series_with_derivatives(
    a: f64,
    b: f64,
    c: f64,
    z: f64,
    max_terms: usize,
) -> Option<[f64; 5]> {
    let mut ln_scale = 0.0;
    let mut term = 1.0f64;
    let mut sum = 1.0f64;
    // Σ_{j<k} 1/(a+j) etc. for the current term k, and the derivative sums Σ tₖ·(weight).
    let (mut sa, mut sb, mut sc) = (0.0f64, 0.0f64, 0.0f64);
    let (mut fa, mut fb, mut fc, mut fz) = (0.0f64, 0.0f64, 0.0f64, 0.0f64);
    for k in 0..max_terms {
        let kf = k as f64;
        sa += 1.0 / (a + kf);
        sb += 1.0 / (b + kf);
        sc += 1.0 / (c + kf);
        term *= (a + kf) * (b + kf) / ((c + kf) * (kf + 1.0)) * z;
        sum += term;
        fa += term * sa;
        fb += term * sb;
        fc += term * sc;
        fz += term * (kf + 1.0);
        if sum > 1e250 {
            ln_scale += sum.ln();
            let inv = 1.0 / sum;
            term *= inv;
            fa *= inv;
            fb *= inv;
            fc *= inv;
            fz *= inv;
            sum = 1.0;
        }
        match tail_after(k, max_terms, [a, b, c, z], term, sum) {
            Tail::Unchecked => continue,
            Tail::Hopeless => return None,
            Tail::Bounded { tail, ratio } => {
                // Tail of Σ tⱼ wⱼ with weights growing by at most g per term (g = 1/(a+k+1)
                // for the a-sum, 1 for the k-weight of z): at most tail · (wₖ + g / (1 − r)).
                let inv_gap = 1.0 / (1.0 - ratio);
                let eps = f64::EPSILON * 0.25;
                if tail <= eps * sum
                    && tail * (sa + inv_gap / (a + kf + 1.0)) <= eps * fa
                    && tail * (sb + inv_gap / (b + kf + 1.0)) <= eps * fb
                    && tail * (sc + inv_gap / (c + kf + 1.0)) <= eps * fc
                    && tail * (kf + 1.0 + inv_gap) <= eps * fz
                {
                    return Some([
                        ln_scale + sum.ln(),
                        fa / sum,
                        fb / sum,
                        -fc / sum,
                        fz / (sum * z),
                    ]);
                }
            }
            Tail::Unbounded => {}
        }
        if !sum.is_finite() {
            return None;
        }
    }
    None
}

/// What [`tail_after`] found at a term of the series.
enum Tail {
    /// Not a term at which the tail is checked.
    Unchecked,
    /// The series cannot pass its stopping rule within the term budget.
    Hopeless,
    /// The later term ratios are not bounded below 1 yet.
    Unbounded,
    /// The sum of all later terms is at most `tail`; every later term ratio is at most
    /// `ratio < 1`.
    Bounded {
        /// The bound on the sum of the later terms.
        tail: f64,
        /// The bound on the later term ratios.
        ratio: f64,
    },
}

/// The bound on the tail of the series `₂F₁(a, b; c; z)` after term `k` (of value `term`,
/// the partial sum being `sum`).
///
/// The term ratio tends to z (monotonically from some k on); bounding every later ratio by
/// max(next ratio, z) < 1 bounds the tail by term · r / (1 − r). Checked every eighth term:
/// the division it costs is as dear as the term itself, and the few extra terms only add
/// accuracy.
#[inline]
fn tail_after(k: usize, max_terms: usize, [a, b, c, z]: [f64; 4], term: f64, sum: f64) -> Tail {
    if k % 8 != 7 {
        return Tail::Unchecked;
    }
    let kf = k as f64;
    let next = (a + kf + 1.0) * (b + kf + 1.0) / ((c + kf + 1.0) * (kf + 2.0)) * z;
    let ratio = next.max(z);
    if ratio < 1.0 {
        if cannot_finish(k, max_terms, a + b + c, term, sum, next, z) {
            Tail::Hopeless
        } else {
            Tail::Bounded {
                tail: term * ratio / (1.0 - ratio),
                ratio,
            }
        }
    } else {
        Tail::Unbounded
    }
}

/// Whether the series, at term `k` (checked every 1,024 terms once `k` exceeds `a + b + c`,
/// where the term ratio is monotone), cannot pass its stopping rule within `max_terms`
/// terms, so that a hopeless evaluation (`z` within about `40 / max_terms` of 1 with slowly
/// decaying terms) is declined after a thousand terms instead of all of them.
///
/// The later ratios are at least `ρ = min(next ratio, z)` (they tend to `z` monotonically),
/// so the term `m` steps on is at least `term · ρᵐ`, while the sum stays below
/// `sum + tail ≤ sum + term · max(next, z) / (1 − max(next, z))`; the rule
/// `tail ≤ ε/4 · sum` then needs `m ≥ ln(term / (ε/4 · (sum + tail))) / (−ln ρ)`.
#[inline]
fn cannot_finish(
    k: usize,
    max_terms: usize,
    abc: f64,
    term: f64,
    sum: f64,
    next: f64,
    z: f64,
) -> bool {
    if k % 1024 != 1023 || (k as f64) < abc {
        return false;
    }
    let hi = next.max(z);
    let lo = next.min(z);
    if !(lo > 0.0 && hi < 1.0) {
        return false;
    }
    let tail = term * hi / (1.0 - hi);
    let need = (term / (f64::EPSILON * 0.25 * (sum + tail))).ln() / -lo.ln();
    k as f64 + need > max_terms as f64
}

/// Log of the positive series, summed with a running rescale so that it cannot overflow.
fn ln_series(a: f64, b: f64, c: f64, z: f64, max_terms: usize) -> Option<f64> {
    // sum = Σ term, both kept relative to `scale` (log), rescaled when they get large.
    let mut ln_scale = 0.0;
    let mut term = 1.0f64;
    let mut sum = 1.0f64;
    for k in 0..max_terms {
        let kf = k as f64;
        term *= (a + kf) * (b + kf) / ((c + kf) * (kf + 1.0)) * z;
        sum += term;
        if sum > 1e250 {
            ln_scale += sum.ln();
            term /= sum;
            sum = 1.0;
        }
        match tail_after(k, max_terms, [a, b, c, z], term, sum) {
            Tail::Unchecked => continue,
            Tail::Hopeless => return None,
            Tail::Bounded { tail, .. } if tail <= f64::EPSILON * 0.25 * sum => {
                return Some(ln_scale + sum.ln());
            }
            Tail::Bounded { .. } | Tail::Unbounded => {}
        }
        if !sum.is_finite() {
            return None;
        }
    }
    None
}

#[cfg(test)]
mod tests {
    use super::*;

    fn close(x: f64, y: f64, rel: f64) -> bool {
        (x - y).abs() <= rel * y.abs().max(1e-300)
    }

    #[test]
    fn log_closed_form() {
        for &z in &[1e-8f64, 0.1, 0.5, 0.9, 0.99, 0.999_9] {
            let exact = -(-z).ln_1p() / z;
            // About 1/(1 − z) terms are summed, each adding rounding of order ε.
            let tol = (1e-15 / (1.0 - z)).max(1e-13);
            assert!(
                close(hyp2f1(1.0, 1.0, 2.0, z).unwrap(), exact, tol),
                "z={z}"
            );
        }
    }

    #[test]
    fn power_closed_form() {
        for &(a, b, z) in &[(0.3, 2.0, 0.7), (7.5, 1.2, 0.95), (40.0, 0.5, 0.999)] {
            let exact = (1.0f64 - z).powf(-a);
            assert!(
                close(hyp2f1(a, b, b, z).unwrap(), exact, 1e-12),
                "{a} {b} {z}"
            );
        }
    }

    #[test]
    fn arcsin_closed_form() {
        // ₂F₁(1/2, 1/2; 3/2; x²) = arcsin(x) / x
        for &x in &[0.1f64, 0.7, 0.99, 0.999_9] {
            let exact = x.asin() / x;
            assert!(
                close(hyp2f1(0.5, 0.5, 1.5, x * x).unwrap(), exact, 1e-12),
                "x={x}"
            );
        }
    }

    /// ₂F₁(a, b; a + 1; z) = a ∫₀¹ u^(a−1) (1 − z u)^(−b) du, the form the Pareto/NBD
    /// likelihood needs, checked against composite Gauss–Legendre quadrature after the
    /// substitution u = v^(1/a) (which removes the endpoint singularity for a < 1).
    #[test]
    fn incomplete_beta_form_against_quadrature() {
        for &(a, b, z) in &[
            (0.55, 1.2, 0.3),
            (1.7, 0.8, 0.9),
            (12.0, 3.5, 0.97),
            (3.0, 9.0, 0.5),
            (0.3, 0.25, 0.999),
        ] {
            // a ∫₀¹ u^(a−1)(1−zu)^(−b) du = ∫₀¹ (1 − z v^(1/a))^(−b) dv with v = u^a.
            let f = |v: f64| (1.0 - z * v.powf(1.0 / a)).powf(-b);
            let q = gauss_legendre(f, 0.0, 1.0, 4000);
            let h = hyp2f1(a, b, a + 1.0, z).unwrap();
            assert!(close(h, q, 1e-9), "a={a} b={b} z={z}: {h} vs {q}");
        }
    }

    #[test]
    fn euler_and_direct_agree() {
        // Both branches on the same value: c − a, c − b ≥ 0 uses Euler; compare the series.
        let (a, b, c, z) = (1.5, 2.0, 4.0, 0.8);
        let direct = ln_series(a, b, c, z, MAX_TERMS).unwrap();
        assert!(close(ln_hyp2f1(a, b, c, z).unwrap(), direct, 1e-13));
    }

    #[test]
    fn huge_values_stay_finite_on_log_scale() {
        // ₂F₁(a, b; b; z) = (1 − z)^(−a): a = 500, z = 0.999 gives e^3453, beyond f64.
        let ln = ln_hyp2f1(500.0, 2.0, 2.0, 0.999).unwrap();
        assert!(close(ln, -500.0 * 0.001f64.ln(), 1e-12));
        assert!(hyp2f1(500.0, 2.0, 2.0, 0.999).is_none());
    }

    #[test]
    fn outside_domain_is_none() {
        assert!(ln_hyp2f1(1.0, 1.0, 2.0, 1.0).is_none());
        assert!(ln_hyp2f1(1.0, 1.0, 2.0, -0.1).is_none());
        assert!(ln_hyp2f1(-1.0, 1.0, 2.0, 0.1).is_none());
        assert!(ln_hyp2f1(f64::NAN, 1.0, 2.0, 0.1).is_none());
    }

    /// `ln ₂F₁(a, b; a + 1; z)` over the arguments the Pareto/NBD likelihood passes:
    /// `a = r + s + x`, `b = s + 1` (α ≥ β) or `b = r + x` (α < β), `c = a + 1`, for
    /// `(r, s)` in {(0.243, 0.1), (0.55, 0.61), (2, 3)}, `x` in {0, 1, 7, 40, 250} and `z`
    /// from 0.001 to 0.99999. Reference values from mpmath 1.4.1 at 40 significant digits,
    /// `mpmath.log(mpmath.hyp2f1(mpf(a), mpf(b), mpf(c), mpf(z)))` on the exact binary values
    /// of the arguments (every seventh case of that grid, plus the `x = 250`, `z = 0.99999`
    /// corner). Three of those cases lie beyond the series' reach and must give `None`.
    #[test]
    fn matches_mpmath_over_the_pareto_nbd_range() {
        #[allow(clippy::excessive_precision)]
        const CASES: [(f64, f64, f64, f64, f64); 28] = [
            (
                0.34299999999999997,
                1.1,
                1.343,
                0.001,
                0.0002810679018401313,
            ),
            (0.34299999999999997, 0.243, 1.343, 0.97, 0.11304745085119173),
            (1.343, 1.1, 2.343, 0.35, 0.26234035841763849),
            (1.343, 1.2429999999999999, 2.343, 0.999, 3.1503907453206548),
            (7.343, 1.1, 8.343, 0.8, 1.4164962264276368),
            (7.343, 7.243, 8.343, 0.99999, 72.037478222200125),
            (40.343, 1.1, 41.343, 0.97, 3.3741939665072683),
            (250.343, 250.243, 251.343, 0.001, 0.24937208115970371),
            (250.343, 1.1, 251.343, 0.999, 6.4226395980499891),
            (1.1600000000000001, 0.55, 2.16, 0.35, 0.1207712125430738),
            (2.16, 1.55, 3.16, 0.8, 1.5412772353076541),
            (8.16, 1.6099999999999999, 9.16, 0.001, 0.0014348951612920332),
            (8.16, 7.55, 9.16, 0.97, 23.179139240280801),
            (41.16, 1.6099999999999999, 42.16, 0.35, 0.67343831821457282),
            (41.16, 40.55, 42.16, 0.999, 273.24158073858332),
            (251.16, 1.6099999999999999, 252.16, 0.8, 2.5663468775341852),
            (251.16, 250.55, 252.16, 0.99999, 2873.0569806100109),
            (5.0, 4.0, 6.0, 0.97, 11.002222001643306),
            (6.0, 3.0, 7.0, 0.001, 0.0025726232124134078),
            (6.0, 4.0, 7.0, 0.999, 21.414917760447763),
            (12.0, 9.0, 13.0, 0.35, 3.5626095941214629),
            (12.0, 4.0, 13.0, 0.99999, 35.925025759527696),
            (45.0, 42.0, 46.0, 0.8, 66.060349357116552),
            (255.0, 4.0, 256.0, 0.001, 0.0039863608759722884),
            (255.0, 252.0, 256.0, 0.97, 880.1613630071906),
            (250.343, 250.243, 251.343, 0.99999, 2869.5204852757329),
            (255.0, 4.0, 256.0, 0.99999, 38.980170004881733),
            (255.0, 252.0, 256.0, 0.99999, 2889.7601021546963),
        ];
        for &(a, b, c, z, reference) in &CASES {
            let got = ln_hyp2f1(a, b, c, z)
                .unwrap_or_else(|| panic!("no value for a={a} b={b} c={c} z={z}"));
            // An absolute error in the log is a relative error in the value.
            let err = (got - reference).abs() / reference.abs().max(1.0);
            assert!(err < 1e-12, "a={a} b={b} c={c} z={z}: {got} vs {reference}");
        }
        // With `b` small and `z` within 1e-5 of 1, both the series and its Euler transform
        // decay like zᵏ and need more than MAX_TERMS terms: the function declines rather
        // than return a truncated sum (the likelihood then rejects that parameter point).
        const OUT_OF_REACH: [(f64, f64, f64); 3] = [
            (1.1600000000000001, 1.6099999999999999, 0.99999),
            (250.343, 1.1, 0.99999),
            (251.16, 1.6099999999999999, 0.99999),
        ];
        for &(a, b, z) in &OUT_OF_REACH {
            assert_eq!(ln_hyp2f1(a, b, a + 1.0, z), None, "a={a} b={b} z={z}");
        }
    }

    /// The derivatives agree with central differences of `ln_hyp2f1` on both the direct and
    /// the Euler-transformed path, over the Pareto/NBD shapes and generic arguments.
    #[test]
    fn derivatives_match_central_differences() {
        let cases = [
            (0.343, 1.1, 1.343, 0.3), // Euler (c − a = 1, c − b = 0.243)
            (7.343, 1.1, 8.343, 0.8), // Euler
            (1.16, 1.61, 2.16, 0.97), // direct or Euler by the product rule
            (40.5, 39.0, 41.5, 0.5),  // large parameters
            (1.5, 2.0, 4.0, 0.8),     // generic, Euler
            (0.3, 0.25, 0.2, 0.9),    // c − a < 0: direct
            (2.0, 3.0, 2.0, 0.999),   // c − a = 0: direct
            (250.343, 250.243, 251.343, 0.001),
        ];
        for &(a, b, c, z) in &cases {
            let got = ln_hyp2f1_with_derivatives(a, b, c, z).unwrap();
            let v = ln_hyp2f1(a, b, c, z).unwrap();
            assert!(close(got[0], v, 1e-14), "value {a} {b} {c} {z}");
            let f = |d: usize, h: f64| {
                let mut p = [a, b, c, z];
                p[d] += h;
                ln_hyp2f1(p[0], p[1], p[2], p[3]).unwrap()
            };
            for d in 0..4 {
                let h = 1e-6
                    * if d == 3 {
                        (1.0 - z).min(z)
                    } else {
                        [a, b, c][d]
                    };
                let num = (f(d, h) - f(d, -h)) / (2.0 * h);
                let tol = 1e-6 * num.abs().max(1.0);
                assert!(
                    (got[d + 1] - num).abs() < tol,
                    "d{d} at {a} {b} {c} {z}: {} vs {num}",
                    got[d + 1]
                );
            }
        }
        // At z = 0 only ∂/∂z is non-zero: ab/c.
        assert_eq!(
            ln_hyp2f1_with_derivatives(2.0, 3.0, 4.0, 0.0),
            Some([0.0, 0.0, 0.0, 0.0, 1.5])
        );
        assert!(ln_hyp2f1_with_derivatives(1.0, 1.0, 2.0, 1.0).is_none());
        assert!(ln_hyp2f1_with_derivatives(-1.0, 1.0, 2.0, 0.5).is_none());
    }

    /// A term budget too small for the series is a `None` (declined early, from the tail
    /// bound), never a truncated sum; the full budget gives the value.
    #[test]
    fn term_budget_declines_rather_than_truncates() {
        // ₂F₁(1, 1; 2; z) = −ln(1 − z)/z needs about 40 / (1 − z) = 400,000 terms here.
        let z = 0.9999;
        assert_eq!(ln_hyp2f1_within(1.0, 1.0, 2.0, z, 100_000), None);
        assert_eq!(
            ln_hyp2f1_with_derivatives_within(1.0, 1.0, 2.0, z, 100_000),
            None
        );
        let exact = (-(-z).ln_1p() / z).ln();
        assert!(close(ln_hyp2f1(1.0, 1.0, 2.0, z).unwrap(), exact, 1e-11));
        // Far from 1 the small budget is plenty and changes nothing.
        assert_eq!(
            ln_hyp2f1_within(1.5, 2.0, 4.0, 0.8, 100_000),
            ln_hyp2f1(1.5, 2.0, 4.0, 0.8)
        );
    }

    fn gauss_legendre(f: impl Fn(f64) -> f64, lo: f64, hi: f64, panels: usize) -> f64 {
        // 5-point rule on each panel.
        const X: [f64; 5] = [
            0.0,
            -0.538_469_310_105_683,
            0.538_469_310_105_683,
            -0.906_179_845_938_664,
            0.906_179_845_938_664,
        ];
        const W: [f64; 5] = [
            0.568_888_888_888_888_9,
            0.478_628_670_499_366_5,
            0.478_628_670_499_366_5,
            0.236_926_885_056_189_1,
            0.236_926_885_056_189_1,
        ];
        let h = (hi - lo) / panels as f64;
        (0..panels)
            .map(|i| {
                let mid = lo + (i as f64 + 0.5) * h;
                X.iter()
                    .zip(W)
                    .map(|(x, w)| w * f(mid + 0.5 * h * x))
                    .sum::<f64>()
                    * 0.5
                    * h
            })
            .sum()
    }
}
