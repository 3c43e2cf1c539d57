//! Pseudo-random numbers without `rand`: SplitMix64 seeding a xoshiro256** stream, the few
//! distributions the generator draws from, and a libm-free [`exp`], because the sequence is
//! part of the output contract (a seed gives the same bytes on every platform).

/// One step of SplitMix64, used to expand seeds into xoshiro state.
fn splitmix64(state: &mut u64) -> u64 {
    *state = state.wrapping_add(0x9E37_79B9_7F4A_7C15);
    let mut z = *state;
    z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
    z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
    z ^ (z >> 31)
}

/// xoshiro256** generator with the handful of distributions the generator needs.
pub(super) struct Rng {
    s: [u64; 4],
}

impl Rng {
    /// An independent stream for `(seed, stream, index)`.
    pub(super) fn new(seed: u64, stream: u64, index: u64) -> Self {
        let mut mix = seed;
        let a = splitmix64(&mut mix);
        let mut mix = a ^ stream.wrapping_mul(0xD1B5_4A32_D192_ED03);
        let b = splitmix64(&mut mix);
        let mut state = b ^ index.wrapping_mul(0xA24B_AED4_963E_E407);
        let s = [
            splitmix64(&mut state),
            splitmix64(&mut state),
            splitmix64(&mut state),
            splitmix64(&mut state),
        ];
        Self { s }
    }

    pub(super) fn next_u64(&mut self) -> u64 {
        let result = self.s[1].wrapping_mul(5).rotate_left(7).wrapping_mul(9);
        let t = self.s[1] << 17;
        self.s[2] ^= self.s[0];
        self.s[3] ^= self.s[1];
        self.s[1] ^= self.s[2];
        self.s[0] ^= self.s[3];
        self.s[2] ^= t;
        self.s[3] = self.s[3].rotate_left(45);
        result
    }

    /// Uniform in `[0, 1)` with 53 bits.
    pub(super) fn unit(&mut self) -> f64 {
        (self.next_u64() >> 11) as f64 * (1.0 / (1u64 << 53) as f64)
    }

    /// Uniform in `[lo, hi)`.
    pub(super) fn uniform(&mut self, lo: f64, hi: f64) -> f64 {
        lo + (hi - lo) * self.unit()
    }

    /// Uniform in `0..n` (multiply-shift; the bias is far below anything visible here).
    fn below(&mut self, n: u64) -> u64 {
        ((u128::from(self.next_u64()) * u128::from(n)) >> 64) as u64
    }

    /// Uniform integer in `lo..=hi`.
    pub(super) fn int(&mut self, lo: i64, hi: i64) -> i64 {
        debug_assert!(lo <= hi);
        lo + self.below((hi - lo) as u64 + 1) as i64
    }

    pub(super) fn chance(&mut self, p: f64) -> bool {
        self.unit() < p
    }

    pub(super) fn pick<T: Copy>(&mut self, items: &[T]) -> T {
        items[self.below(items.len() as u64) as usize]
    }

    /// Picks a value with probability proportional to its weight.
    pub(super) fn weighted<T: Copy>(&mut self, table: &[(T, u32)]) -> T {
        let total: u32 = table.iter().map(|&(_, w)| w).sum();
        let mut r = self.below(u64::from(total)) as u32;
        for &(value, weight) in table {
            if r < weight {
                return value;
            }
            r -= weight;
        }
        table[table.len() - 1].0
    }

    /// Approximately standard normal (Irwin–Hall sum of 12 uniforms, bounded at ±6).
    pub(super) fn normal(&mut self) -> f64 {
        (0..12).map(|_| self.unit()).sum::<f64>() - 6.0
    }
}

/// `e^x` from `+ - * /` only (range reduction and a Taylor series), so that amounts do not
/// depend on the platform's libm. Accurate to about 1e-15 relative for `|x| < 700`.
pub(super) fn exp(x: f64) -> f64 {
    let x = x.clamp(-700.0, 700.0);
    let k = (x * std::f64::consts::LOG2_E).round();
    let r = x - k * std::f64::consts::LN_2;
    let mut term = 1.0;
    let mut sum = 1.0;
    for i in 1..=14 {
        term *= r / f64::from(i);
        sum += term;
    }
    let two_to_k = f64::from_bits(((k as i64 + 1023) as u64) << 52);
    sum * two_to_k
}

#[cfg(test)]
mod tests {
    use super::exp;

    #[test]
    fn exp_matches_the_standard_library() {
        for x in [-3.0, -0.7, 0.0, 0.25, 1.0, 2.5, 6.0] {
            let relative = (exp(x) - x.exp()).abs() / x.exp();
            assert!(relative < 1e-14, "exp({x})");
        }
    }
}
