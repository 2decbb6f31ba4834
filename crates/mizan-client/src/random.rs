//! The little randomness the kernel needs — a client id that other clients
//! cannot guess, and back-off jitter — without `getrandom` (which does not
//! build for `wasm32-unknown-unknown` without extra features).
//!
//! Native: std's per-process random hash keys (seeded by the OS) mixed with
//! the clock and a counter. `wasm32`: `Math.random()`. Neither is a CSPRNG;
//! the id only has to be unguessable enough that one client cannot make
//! another skip pushes, and the jitter only has to spread reconnects.

use std::sync::atomic::{AtomicU64, Ordering};

static COUNTER: AtomicU64 = AtomicU64::new(0);

/// 64 random-ish bits.
#[cfg(not(target_arch = "wasm32"))]
pub(crate) fn seed() -> u64 {
    use std::hash::{BuildHasher, Hasher};
    let mut h = std::collections::hash_map::RandomState::new().build_hasher();
    let nanos = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| d.as_nanos())
        .unwrap_or_default();
    h.write_u128(nanos);
    h.write_u64(COUNTER.fetch_add(1, Ordering::Relaxed));
    h.write_u32(std::process::id());
    h.finish()
}

/// 64 random-ish bits.
#[cfg(target_arch = "wasm32")]
pub(crate) fn seed() -> u64 {
    // Math.random() has 52 bits of mantissa; two calls fill 64.
    let a = (js_sys::Math::random() * (1u64 << 32) as f64) as u64;
    let b = (js_sys::Math::random() * (1u64 << 32) as f64) as u64;
    splitmix64((a << 32) ^ b ^ COUNTER.fetch_add(1, Ordering::Relaxed))
}

/// A fresh client id: `c` and 32 hex digits (fits `X-Mizan-Client`).
pub(crate) fn client_id() -> String {
    format!("c{:016x}{:016x}", seed(), seed())
}

/// splitmix64's output function: a bijection that scrambles its input.
pub(crate) fn splitmix64(x: u64) -> u64 {
    let mut z = x.wrapping_add(0x9e37_79b9_7f4a_7c15);
    z = (z ^ (z >> 30)).wrapping_mul(0xbf58_476d_1ce4_e5b9);
    z = (z ^ (z >> 27)).wrapping_mul(0x94d0_49bb_1331_11eb);
    z ^ (z >> 31)
}

/// A small generator for jitter: splitmix64 over a random start.
#[derive(Debug)]
pub(crate) struct Jitter(u64);

impl Jitter {
    pub(crate) fn new() -> Self {
        Jitter(seed())
    }

    /// Uniform in `[0, 1)`.
    pub(crate) fn next_unit(&mut self) -> f64 {
        self.0 = self.0.wrapping_add(0x9e37_79b9_7f4a_7c15);
        (splitmix64(self.0) >> 11) as f64 / (1u64 << 53) as f64
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ids_differ_and_fit_the_header() {
        let a = client_id();
        let b = client_id();
        assert_ne!(a, b);
        assert_eq!(a.len(), 33);
        assert!(a.chars().all(|c| c.is_ascii_alphanumeric()));
    }

    #[test]
    fn jitter_is_in_range_and_varies() {
        let mut j = Jitter::new();
        let xs: Vec<f64> = (0..100).map(|_| j.next_unit()).collect();
        assert!(xs.iter().all(|x| (0.0..1.0).contains(x)));
        assert!(xs.iter().any(|x| *x < 0.5) && xs.iter().any(|x| *x >= 0.5));
    }
}
