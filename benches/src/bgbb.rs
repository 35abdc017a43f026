//! Discrete-time customers simulated from the BG/BB model (Fader, Hardie & Shang 2010) and
//! the compressed summary file both sides of the comparison fit:
//! `frequency,recency,periods,weights`, one row per distinct history `(x, t_x, n)` with the
//! number of customers who have it (the layout of the donations data set, of
//! `crm churn fit --model bgbb --summary`, and of the `weights` argument of `lifetimes`'
//! `BetaGeoBetaBinomFitter.fit`).
//!
//! The simulation is `crm_churn::simulate_bgbb` seeded with [`BgBbSpec::seed`], so the same
//! spec gives the same file; that the fit recovers the simulated parameters is tested in
//! `crm-churn` (`simulation_recovers_parameters_and_predictions`).
//!
//! ```
//! use crm_benches::bgbb::{BgBbSpec, read_csv, simulate, write_csv};
//! let data = simulate(&BgBbSpec::donations_like(10_000, 10, 7))?;
//! assert_eq!(data.total_weight(), 10_000.0);
//! assert!(data.rows().len() <= 56); // (0, 0, 10) and the 55 pairs 1 ≤ x ≤ t_x ≤ 10
//! let mut file = Vec::new();
//! write_csv(&data, &mut file)?;
//! assert_eq!(read_csv(&file[..])?, data.rows());
//! # Ok::<(), Box<dyn std::error::Error>>(())
//! ```

use std::io::{self, BufWriter, Write};

use crm_churn::{BgBbError, BgBbHistories, BgBbHistory, BgBbParams, WeightedBgBbHistory};
use rand::SeedableRng;
use rand::rngs::StdRng;
use rand::seq::SliceRandom;

/// What to simulate: `customers` customers, each observed for `opportunities` transaction
/// opportunities after the first transaction, from the BG/BB parameters `params`.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct BgBbSpec {
    /// Number of customers.
    pub customers: usize,
    /// Opportunities observed per customer.
    pub opportunities: u32,
    /// BG/BB `alpha`, `beta`, `gamma`, `delta`.
    pub params: [f64; 4],
    /// The seed.
    pub seed: u64,
}

impl BgBbSpec {
    /// The estimates published for the donations data set (alpha 1.204, beta 0.750,
    /// gamma 0.657, delta 2.783).
    pub const DONATIONS: [f64; 4] = [1.204, 0.750, 0.657, 2.783];

    /// Customers simulated from the published donations estimates.
    ///
    /// ```
    /// let spec = crm_benches::bgbb::BgBbSpec::donations_like(100, 6, 1);
    /// assert_eq!(spec.params, crm_benches::bgbb::BgBbSpec::DONATIONS);
    /// ```
    pub fn donations_like(customers: usize, opportunities: u32, seed: u64) -> Self {
        Self {
            customers,
            opportunities,
            params: Self::DONATIONS,
            seed,
        }
    }
}

/// Simulates the customers of `spec` and compresses them into distinct weighted rows.
///
/// # Errors
/// Invalid parameters, too many opportunities, or no customers (see
/// `crm_churn::simulate_bgbb`).
///
/// ```
/// use crm_benches::bgbb::{BgBbSpec, simulate};
/// let spec = BgBbSpec::donations_like(1_000, 6, 3);
/// assert_eq!(simulate(&spec)?, simulate(&spec)?);
/// assert!(simulate(&BgBbSpec { params: [1.0, -1.0, 1.0, 1.0], ..spec }).is_err());
/// assert!(simulate(&BgBbSpec { customers: 0, ..spec }).is_err());
/// # Ok::<(), crm_churn::BgBbError>(())
/// ```
pub fn simulate(spec: &BgBbSpec) -> Result<BgBbHistories, BgBbError> {
    let [alpha, beta, gamma, delta] = spec.params;
    let truth = BgBbParams::new(alpha, beta, gamma, delta)?;
    let mut rng = StdRng::seed_from_u64(spec.seed);
    let opportunities = vec![spec.opportunities; spec.customers];
    crm_churn::simulate_bgbb(&truth, &opportunities, 0, &mut rng)?.weighted()
}

/// The header written by [`write_csv`] and read by [`read_csv`].
pub const CSV_HEADER: &str = "frequency,recency,periods,weights";

/// Writes the compressed rows as CSV ([`CSV_HEADER`]), sorted by `(x, t_x, n)`.
///
/// # Errors
/// Those of writing.
pub fn write_csv(data: &BgBbHistories, out: impl Write) -> io::Result<()> {
    let mut w = BufWriter::new(out);
    writeln!(w, "{CSV_HEADER}")?;
    for r in data.rows() {
        let h = r.history;
        writeln!(w, "{},{},{},{}", h.x, h.t_x, h.n, r.weight)?;
    }
    w.flush()
}

/// Reads a summary file `frequency,recency,periods[,weights]` (weights 1 when the column is
/// absent), every history validated; errors name the line.
///
/// # Errors
/// A missing or different header, a line without three or four numbers, an invalid history
/// or weight.
///
/// ```
/// use crm_benches::bgbb::read_csv;
/// let rows = read_csv(&b"frequency,recency,periods\n1,2,6\n0,0,6\n"[..])?;
/// assert_eq!((rows.len(), rows[0].weight), (2, 1.0));
/// let err = read_csv(&b"frequency,recency,periods,weights\n3,2,6,1\n"[..]).unwrap_err();
/// assert!(err.to_string().starts_with("line 2:"), "{err}");
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
pub fn read_csv(
    input: impl io::Read,
) -> Result<Vec<WeightedBgBbHistory>, Box<dyn std::error::Error>> {
    let text = io::read_to_string(input)?;
    let mut lines = text.lines();
    let header = lines.next().map(str::trim).unwrap_or_default();
    let weighted = match header {
        CSV_HEADER => true,
        "frequency,recency,periods" => false,
        _ => return Err(format!("line 1: expected the header {CSV_HEADER}").into()),
    };
    let width = if weighted { 4 } else { 3 };
    lines
        .enumerate()
        .filter(|(_, line)| !line.trim().is_empty())
        .map(|(i, line)| {
            let n = i + 2;
            let f: Vec<&str> = line.split(',').map(str::trim).collect();
            let bad = || format!("line {n}: expected {width} numbers, found {line:?}");
            if f.len() != width {
                return Err(bad().into());
            }
            let count = |s: &str| s.parse::<u32>().map_err(|_| bad());
            let history = BgBbHistory::new(count(f[0])?, count(f[1])?, count(f[2])?)
                .map_err(|e| format!("line {n}: {e}"))?;
            let weight = if weighted {
                f[3].parse::<f64>().map_err(|_| bad())?
            } else {
                1.0
            };
            if !(weight.is_finite() && weight > 0.0) {
                return Err(format!("line {n}: weight {weight} is not finite and positive").into());
            }
            Ok(WeightedBgBbHistory { history, weight })
        })
        .collect()
}

/// The per-customer histories behind compressed rows, each row repeated `weight` times, in an
/// order shuffled with `seed` (as customers come in a real file, not grouped by history).
///
/// # Errors
/// A weight that is not a whole number of customers.
///
/// ```
/// use crm_benches::bgbb::expand;
/// use crm_churn::{BgBbHistory, WeightedBgBbHistory};
/// let h = BgBbHistory::new(1, 1, 6)?;
/// let rows = [WeightedBgBbHistory { history: h, weight: 3.0 }];
/// assert_eq!(expand(&rows, 1)?, vec![h; 3]);
/// let half = [WeightedBgBbHistory { history: h, weight: 0.5 }];
/// assert!(expand(&half, 1).is_err());
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
pub fn expand(rows: &[WeightedBgBbHistory], seed: u64) -> Result<Vec<BgBbHistory>, String> {
    let mut total = 0.0;
    for (i, r) in rows.iter().enumerate() {
        if r.weight.fract() != 0.0 || r.weight < 1.0 {
            return Err(format!(
                "row {i}: weight {} is not a whole number of customers",
                r.weight
            ));
        }
        total += r.weight;
    }
    if total > 1e10 {
        return Err(format!("{total} customers are too many to hold one by one"));
    }
    let mut out = Vec::with_capacity(total as usize);
    for r in rows {
        out.extend(std::iter::repeat_n(r.history, r.weight as usize));
    }
    out.shuffle(&mut StdRng::seed_from_u64(seed));
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_customer_is_written_once_with_the_opportunities_asked() {
        let data = simulate(&BgBbSpec::donations_like(50_000, 10, 11)).unwrap();
        let mut file = Vec::new();
        write_csv(&data, &mut file).unwrap();
        let rows = read_csv(&file[..]).unwrap();
        assert_eq!(rows.iter().map(|r| r.weight).sum::<f64>(), 50_000.0);
        assert!(rows.iter().all(|r| r.history.n == 10));
        // Nobody transacts again with probability E[...] > 0 and someone at every
        // opportunity: both ends of the histories occur.
        assert!(rows.iter().any(|r| r.history.x == 0));
        assert!(rows.iter().any(|r| r.history.x == 10));
        let customers = expand(&rows, 5).unwrap();
        assert_eq!(customers.len(), 50_000);
        assert_eq!(BgBbHistories::from_histories(customers).unwrap(), data);
    }

    #[test]
    fn malformed_lines_are_named() {
        let err = read_csv(&b"frequency,recency,periods,weights\n1,1,6,2\n1,1,6\n"[..])
            .unwrap_err()
            .to_string();
        assert!(err.starts_with("line 3:"), "{err}");
        let err = read_csv(&b"frequency,recency,periods,weights\n1,1,6,0\n"[..])
            .unwrap_err()
            .to_string();
        assert!(err.starts_with("line 2:"), "{err}");
        assert!(read_csv(&b"x,t_x,n\n"[..]).is_err());
    }
}
