//! Random numbers and key choice: uniform, or zipfian as YCSB draws it.

/// A small, fast PRNG (xoshiro256**), seeded per worker.
pub struct Rng([u64; 4]);

impl Rng {
    pub fn new(seed: u64) -> Rng {
        let mut state = seed;
        let mut next = || {
            // splitmix64
            state = state.wrapping_add(0x9E37_79B9_7F4A_7C15);
            let mut z = state;
            z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
            z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
            z ^ (z >> 31)
        };
        Rng([next(), next(), next(), next()])
    }

    pub fn next_u64(&mut self) -> u64 {
        let s = &mut self.0;
        let result = s[1].wrapping_mul(5).rotate_left(7).wrapping_mul(9);
        let t = s[1] << 17;
        s[2] ^= s[0];
        s[3] ^= s[1];
        s[1] ^= s[2];
        s[0] ^= s[3];
        s[2] ^= t;
        s[3] = s[3].rotate_left(45);
        result
    }

    /// Uniform in [0, 1).
    pub fn next_f64(&mut self) -> f64 {
        (self.next_u64() >> 11) as f64 * (1.0 / (1u64 << 53) as f64)
    }

    /// Uniform in [0, n).
    pub fn below(&mut self, n: u64) -> u64 {
        ((self.next_u64() as u128 * n as u128) >> 64) as u64
    }

    /// True with probability `percent`/100.
    pub fn percent(&mut self, percent: u32) -> bool {
        self.below(100) < percent as u64
    }
}

/// How keys are drawn from the key space.
#[derive(Clone)]
pub enum KeyChooser {
    Uniform {
        n: u64,
    },
    /// YCSB's scrambled zipfian (theta 0.99): a few keys are hot, and the hot
    /// keys are scattered over the key space by a hash.
    Zipfian(Zipfian),
}

impl KeyChooser {
    pub fn uniform(n: u64) -> KeyChooser {
        KeyChooser::Uniform { n: n.max(1) }
    }

    pub fn zipfian(n: u64) -> KeyChooser {
        KeyChooser::Zipfian(Zipfian::new(n.max(1), 0.99))
    }

    pub fn next(&self, rng: &mut Rng) -> u64 {
        match self {
            KeyChooser::Uniform { n } => rng.below(*n),
            KeyChooser::Zipfian(z) => fnv1a64(z.next_rank(rng)) % z.n,
        }
    }
}

/// Gray et al., "Quickly generating billion-record synthetic databases"
/// (SIGMOD 1994), as YCSB's ZipfianGenerator implements it.
#[derive(Clone)]
pub struct Zipfian {
    n: u64,
    theta: f64,
    alpha: f64,
    zetan: f64,
    eta: f64,
}

impl Zipfian {
    pub fn new(n: u64, theta: f64) -> Zipfian {
        let zeta = |count: u64| (1..=count).map(|i| 1.0 / (i as f64).powf(theta)).sum::<f64>();
        let zetan = zeta(n);
        let zeta2 = zeta(2.min(n));
        let alpha = 1.0 / (1.0 - theta);
        let eta = if n <= 1 {
            0.0
        } else {
            (1.0 - (2.0 / n as f64).powf(1.0 - theta)) / (1.0 - zeta2 / zetan)
        };
        Zipfian {
            n,
            theta,
            alpha,
            zetan,
            eta,
        }
    }

    /// A rank in [0, n): rank 0 is the most popular.
    pub fn next_rank(&self, rng: &mut Rng) -> u64 {
        let u = rng.next_f64();
        let uz = u * self.zetan;
        if uz < 1.0 {
            return 0;
        }
        if uz < 1.0 + 0.5f64.powf(self.theta) {
            return 1.min(self.n - 1);
        }
        let rank = (self.n as f64 * (self.eta * u - self.eta + 1.0).powf(self.alpha)) as u64;
        rank.min(self.n - 1)
    }
}

fn fnv1a64(value: u64) -> u64 {
    let mut hash: u64 = 0xCBF2_9CE4_8422_2325;
    for byte in value.to_le_bytes() {
        hash ^= byte as u64;
        hash = hash.wrapping_mul(0x0100_0000_01B3);
    }
    hash
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn zipfian_is_skewed_and_in_range() {
        let chooser = KeyChooser::zipfian(1000);
        let mut rng = Rng::new(1);
        let mut counts = vec![0u32; 1000];
        for _ in 0..100_000 {
            counts[chooser.next(&mut rng) as usize] += 1;
        }
        counts.sort_unstable_by(|a, b| b.cmp(a));
        // The hottest key takes several percent of all draws.
        assert!(counts[0] > 5_000, "hottest key drawn {} times", counts[0]);
        let uniform = KeyChooser::uniform(1000);
        let mut counts = vec![0u32; 1000];
        for _ in 0..100_000 {
            counts[uniform.next(&mut rng) as usize] += 1;
        }
        assert!(counts.iter().all(|&c| c > 40 && c < 200));
    }
}
