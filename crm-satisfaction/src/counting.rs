//! Branch-free counting kernels over score columns.
//!
//! The kernels are written so that the compiler vectorizes them on the baseline x86-64
//! target (SSE2) without `unsafe` or target-specific code: the column is walked in blocks of
//! [`LANES`] bytes; each lane keeps a `u8` counter per category that is incremented by a
//! comparison turned into 0 or 1 (`pcmpeqb`/`psubusb` + `psubb` on SSE2), and the byte
//! counters are flushed into `u64` totals every [`FLUSH`] blocks, before they could wrap.
//! Out-of-scale values are detected with a running lane-wise maximum/minimum, so the hot
//! loop never branches on the data; the rare error path rescans to locate the offender.

/// Bytes per block: two SSE2 registers (one AVX2 register). With 32 lanes the threshold
/// kernel keeps its six accumulators, two constants and the data in the sixteen SSE2
/// registers; 64 lanes spill accumulators to the stack on every block.
pub(crate) const LANES: usize = 32;
/// Bytes per block of the histogram kernel, whose passes keep a single accumulator live.
pub(crate) const HISTOGRAM_LANES: usize = 64;
/// Blocks between flushes of the byte counters (255 keeps every `u8` counter from wrapping).
pub(crate) const FLUSH: usize = 255;

/// Totals of a threshold count: how many scores are `<= low_max`, how many are `>= high_min`,
/// and the largest score seen (0 for an empty column).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct TailCounts {
    pub(crate) low: u64,
    pub(crate) high: u64,
    pub(crate) max: u8,
}

fn lane_sum<const W: usize>(acc: &[u8; W]) -> u64 {
    acc.iter().map(|&v| u64::from(v)).sum()
}

/// Counts `x <= low_max` and `x >= high_min` over the column, with its max.
pub(crate) fn count_tails(data: &[u8], low_max: u8, high_min: u8) -> TailCounts {
    let mut out = TailCounts {
        low: 0,
        high: 0,
        max: 0,
    };
    let blocks = data.chunks_exact(LANES);
    let rest = blocks.remainder();
    let mut low = [0u8; LANES];
    let mut high = [0u8; LANES];
    let mut mx = [0u8; LANES];
    let mut pending = 0usize;
    for block in blocks {
        for i in 0..LANES {
            let x = block[i];
            low[i] = low[i].wrapping_add(u8::from(x <= low_max));
            high[i] = high[i].wrapping_add(u8::from(x >= high_min));
            mx[i] = mx[i].max(x);
        }
        pending += 1;
        if pending == FLUSH {
            out.low += lane_sum(&low);
            out.high += lane_sum(&high);
            low = [0; LANES];
            high = [0; LANES];
            pending = 0;
        }
    }
    out.low += lane_sum(&low);
    out.high += lane_sum(&high);
    out.max = mx.iter().copied().fold(0, u8::max);
    for &x in rest {
        out.low += u64::from(x <= low_max);
        out.high += u64::from(x >= high_min);
        out.max = out.max.max(x);
    }
    out
}

/// Exact histogram of the values `min..min + N` over the column, with the column's min and max
/// (values outside the range are not counted in the histogram).
///
/// Works on cache-sized stretches: each stretch is scanned once per value with an equality
/// compare, so the data are read from memory once and from L1 `N` times.
pub(crate) fn histogram<const N: usize>(data: &[u8], min: u8) -> ([u64; N], u8, u8) {
    let mut totals = [0u64; N];
    let mut mx = [0u8; HISTOGRAM_LANES];
    let mut mn = [u8::MAX; HISTOGRAM_LANES];
    let stretch_len = HISTOGRAM_LANES * FLUSH;
    let stretches = data.chunks_exact(stretch_len);
    let tail = stretches.remainder();
    for stretch in stretches {
        for block in stretch.chunks_exact(HISTOGRAM_LANES) {
            for i in 0..HISTOGRAM_LANES {
                mx[i] = mx[i].max(block[i]);
                mn[i] = mn[i].min(block[i]);
            }
        }
        for (k, total) in totals.iter_mut().enumerate() {
            let value = min.wrapping_add(k as u8);
            let mut acc = [0u8; HISTOGRAM_LANES];
            for block in stretch.chunks_exact(HISTOGRAM_LANES) {
                for i in 0..HISTOGRAM_LANES {
                    acc[i] = acc[i].wrapping_add(u8::from(block[i] == value));
                }
            }
            *total += lane_sum(&acc);
        }
    }
    let mut hi = mx.iter().copied().fold(0, u8::max);
    let mut lo = mn.iter().copied().fold(u8::MAX, u8::min);
    for &x in tail {
        let k = usize::from(x.wrapping_sub(min));
        if x >= min && k < N {
            totals[k] += 1;
        }
        hi = hi.max(x);
        lo = lo.min(x);
    }
    (totals, lo, hi)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn column(n: usize, modulo: u64, seed: u64) -> Vec<u8> {
        let mut s = seed;
        (0..n)
            .map(|_| {
                s = s.wrapping_add(0x9E37_79B9_7F4A_7C15);
                let mut z = s;
                z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
                z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
                ((z ^ (z >> 31)) % modulo) as u8
            })
            .collect()
    }

    #[test]
    fn tails_match_a_scalar_count_across_flush_boundaries() {
        for n in [
            0,
            1,
            63,
            64,
            65,
            LANES * FLUSH - 1,
            LANES * FLUSH,
            LANES * FLUSH * 3 + 17,
        ] {
            let data = column(n, 13, n as u64);
            let t = count_tails(&data, 6, 9);
            assert_eq!(t.low, data.iter().filter(|&&x| x <= 6).count() as u64);
            assert_eq!(t.high, data.iter().filter(|&&x| x >= 9).count() as u64);
            assert_eq!(t.max, data.iter().copied().max().unwrap_or(0));
        }
    }

    #[test]
    fn all_same_value_does_not_wrap_byte_counters() {
        let data = vec![3u8; HISTOGRAM_LANES * FLUSH * 2 + 5];
        let t = count_tails(&data, 6, 9);
        assert_eq!(t.low, data.len() as u64);
        let (h, lo, hi) = histogram::<5>(&data, 1);
        assert_eq!(h, [0, 0, data.len() as u64, 0, 0]);
        assert_eq!((lo, hi), (3, 3));
    }

    #[test]
    fn histogram_matches_a_scalar_count() {
        for n in [
            0,
            10,
            HISTOGRAM_LANES * FLUSH + 1,
            HISTOGRAM_LANES * FLUSH * 2 + 100,
        ] {
            let data = column(n, 9, 7 + n as u64);
            let (h, lo, hi) = histogram::<7>(&data, 1);
            for (k, &c) in h.iter().enumerate() {
                let v = k as u8 + 1;
                assert_eq!(
                    c,
                    data.iter().filter(|&&x| x == v).count() as u64,
                    "value {v}"
                );
            }
            assert_eq!(hi, data.iter().copied().max().unwrap_or(0));
            assert_eq!(lo, data.iter().copied().min().unwrap_or(u8::MAX));
        }
    }
}
