//! Shared by the test files: a small deterministic generator (xorshift64*), so that the
//! generated data is the same on every run without a dependency.

#![allow(dead_code)]

/// Xorshift64* from a nonzero seed.
pub struct Rng(pub u64);

impl Rng {
    /// The next 64 bits.
    pub fn next(&mut self) -> u64 {
        self.0 ^= self.0 >> 12;
        self.0 ^= self.0 << 25;
        self.0 ^= self.0 >> 27;
        self.0.wrapping_mul(0x2545_f491_4f6c_dd1d)
    }

    /// A number below `n` (nonzero).
    pub fn below(&mut self, n: u64) -> u64 {
        self.next() % n
    }
}
