//! SplitMix64 (Steele, Lea & Flood, "Fast splittable pseudorandom number generators", OOPSLA
//! 2014; the constants of Vigna's `splitmix64.c`), one independent stream per resample.
//!
//! Stream `b` starts from `seed ^ b · 0xD1B54A32D192ED03` (wrapping), so resample `b` draws the
//! same numbers whichever thread computes it and however the resamples are chunked.

/// The SplitMix64 increment (the golden gamma).
pub const GAMMA: u64 = 0x9E37_79B9_7F4A_7C15;

/// The multiplier that spreads stream numbers over the state space.
pub const STREAM: u64 = 0xD1B5_4A32_D192_ED03;

/// A SplitMix64 generator: 64 bits of state, one `u64` per call.
#[derive(Debug, Clone)]
pub struct SplitMix64 {
    state: u64,
}

impl SplitMix64 {
    /// The generator whose state is `state` (the first output mixes `state + GAMMA`).
    pub fn new(state: u64) -> Self {
        Self { state }
    }

    /// The generator of stream `stream` (resample or sign-vector number) under `seed`: initial
    /// state `seed ^ stream.wrapping_mul(0xD1B54A32D192ED03)`.
    pub fn stream(seed: u64, stream: u64) -> Self {
        Self::new(seed ^ stream.wrapping_mul(STREAM))
    }

    /// The next output: `state += GAMMA; z = state; z = (z ^ z>>30) · 0xBF58476D1CE4E5B9;
    /// z = (z ^ z>>27) · 0x94D049BB133111EB; z ^ z>>31` (wrapping arithmetic).
    #[inline]
    pub fn next_u64(&mut self) -> u64 {
        self.state = self.state.wrapping_add(GAMMA);
        let mut z = self.state;
        z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        z ^ (z >> 31)
    }

    /// An index in `0..n` from the next output `x`: `(x · n) >> 64` in 128-bit arithmetic
    /// (Lemire's multiply-shift, without rejection: the bias is below `n / 2^64`).
    #[inline]
    pub fn index(&mut self, n: usize) -> usize {
        ((u128::from(self.next_u64()) * n as u128) >> 64) as usize
    }

    /// A sign from the next output `x`: `true` (flip, −1) when the top bit `x >> 63` is 1.
    #[inline]
    pub fn flip(&mut self) -> bool {
        self.next_u64() >> 63 == 1
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn splitmix64_matches_the_reference_outputs() {
        // Vigna's splitmix64.c seeded with 0 (first three outputs, well known).
        let mut g = SplitMix64::new(0);
        assert_eq!(g.next_u64(), 0xE220_A839_7B1D_CDAF);
        assert_eq!(g.next_u64(), 0x6E78_9E6A_A1B9_65F4);
        assert_eq!(g.next_u64(), 0x06C4_5D18_8009_454F);
    }

    #[test]
    fn streams_differ_and_stream_zero_is_the_seed() {
        let a = SplitMix64::stream(7, 0).next_u64();
        assert_eq!(a, SplitMix64::new(7).next_u64());
        assert_ne!(a, SplitMix64::stream(7, 1).next_u64());
    }

    #[test]
    fn indices_stay_in_range() {
        let mut g = SplitMix64::new(42);
        for n in [1usize, 2, 3, 17, 1000] {
            for _ in 0..1000 {
                assert!(g.index(n) < n);
            }
        }
    }
}
