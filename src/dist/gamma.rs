//! Portable gamma and beta draws, bit-identical on every machine.
//!
//! Gamma by Marsaglia & Tsang, "A simple method for generating gamma variables", ACM TOMS 26
//! (2000): for shape `a >= 1`, with `d = a - 1/3` and `c = 1/sqrt(9d)`, draw a standard normal
//! `z` and `u` uniform on (0, 1); `v = (1 + c z)^3` is accepted when `v > 0` and
//! `u < 1 - 0.0331 z^4` (the squeeze) or `ln u < z^2/2 + d (1 - v + ln v)`; the draw is `d v`.
//! For `a < 1` the same method at `a + 1` is multiplied by `u^(1/a)` (their section 6).
//! Beta as `X / (X + Y)` with `X ~ Gamma(alpha)`, `Y ~ Gamma(beta)`.
//!
//! Only IEEE-754 arithmetic, `sqrt` (correctly rounded everywhere) and the crate's portable
//! `exp`, `ln` and normal ziggurat are used, so the same stream gives the same bits on every
//! platform and libc; `rand_distr`'s gamma calls the platform's libm.

use rand::Rng;

use super::exp::exp;
use super::ln::ln;
use super::normal::{standard_normal, standard_normal_local};

/// A uniform draw on the open interval (0, 1): 52 random bits, centred in their cell.
#[inline(always)]
pub(crate) fn open_unit<R: Rng + ?Sized>(rng: &mut R) -> f64 {
    ((rng.next_u64() >> 12) as f64 + 0.5) * (1.0 / 4_503_599_627_370_496.0) // 2^-52
}

/// Gamma(shape, scale) with precomputed constants.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct GammaDraw {
    /// `a - 1/3` for the shape `a` the core method runs at (`shape`, or `shape + 1`).
    d: f64,
    /// `1 / sqrt(9 d)`.
    c: f64,
    /// `1 / shape` when the shape is below 1 (the `u^(1/a)` boost), else `None`.
    inv_shape: Option<f64>,
    scale: f64,
}

impl GammaDraw {
    /// Gamma with the given shape and scale (mean `shape * scale`); `None` unless both are
    /// finite and positive.
    pub fn new(shape: f64, scale: f64) -> Option<GammaDraw> {
        if !(shape.is_finite() && shape > 0.0 && scale.is_finite() && scale > 0.0) {
            return None;
        }
        let (core, inv_shape) = if shape < 1.0 {
            (shape + 1.0, Some(1.0 / shape))
        } else {
            (shape, None)
        };
        let d = core - 1.0 / 3.0;
        Some(GammaDraw {
            d,
            c: 1.0 / (9.0 * d).sqrt(),
            inv_shape,
            scale,
        })
    }

    /// The shape parameter.
    pub fn shape(&self) -> f64 {
        match self.inv_shape {
            Some(inv) => 1.0 / inv,
            None => self.d + 1.0 / 3.0,
        }
    }

    /// The scale parameter.
    pub fn scale(&self) -> f64 {
        self.scale
    }

    /// [`GammaDraw::sample`] for a generator the caller keeps in registers (a local copy):
    /// the same draw from the same words of the stream, with the normal drawn by
    /// [`standard_normal_local`], so the generator's address does not escape.
    #[inline(always)]
    pub fn sample_local<R: Rng + Clone>(&self, rng: &mut R) -> f64 {
        self.draw(rng, standard_normal_local)
    }

    /// One draw.
    pub fn sample<R: Rng + ?Sized>(&self, rng: &mut R) -> f64 {
        self.draw(rng, standard_normal)
    }

    /// Marsaglia–Tsang with the standard normal drawn by `normal` (both generators give the
    /// same draw from the same words).
    #[inline(always)]
    fn draw<R: Rng + ?Sized>(&self, rng: &mut R, normal: impl Fn(&mut R) -> f64) -> f64 {
        let x = loop {
            let z = normal(rng);
            let t = 1.0 + self.c * z;
            if t <= 0.0 {
                continue;
            }
            let v = t * t * t;
            let u = open_unit(rng);
            let z2 = z * z;
            if u < 1.0 - 0.0331 * z2 * z2 || ln(u) < 0.5 * z2 + self.d * (1.0 - v + ln(v)) {
                break self.d * v;
            }
        };
        let x = match self.inv_shape {
            Some(inv) => x * exp(ln(open_unit(rng)) * inv),
            None => x,
        };
        x * self.scale
    }
}

/// Beta(alpha, beta) as a ratio of two gamma draws.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct BetaDraw {
    x: GammaDraw,
    y: GammaDraw,
}

impl BetaDraw {
    /// Beta with the given shapes; `None` unless both are finite and positive.
    pub fn new(alpha: f64, beta: f64) -> Option<BetaDraw> {
        Some(BetaDraw {
            x: GammaDraw::new(alpha, 1.0)?,
            y: GammaDraw::new(beta, 1.0)?,
        })
    }

    /// One draw in [0, 1].
    pub fn sample<R: Rng + ?Sized>(&self, rng: &mut R) -> f64 {
        loop {
            let x = self.x.sample(rng);
            let s = x + self.y.sample(rng);
            // Both draws underflow to 0 only for tiny shapes; draw again rather than 0/0.
            if s > 0.0 {
                return x / s;
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use rand::SeedableRng;
    use rand_xoshiro::Xoshiro256PlusPlus;

    /// Sample mean and variance, and the standard errors of both (from the 4th central moment).
    fn moments(x: &[f64]) -> (f64, f64, f64, f64) {
        let n = x.len() as f64;
        let mean = x.iter().sum::<f64>() / n;
        let m2 = x.iter().map(|v| (v - mean).powi(2)).sum::<f64>() / n;
        let m4 = x.iter().map(|v| (v - mean).powi(4)).sum::<f64>() / n;
        (mean, m2, (m2 / n).sqrt(), ((m4 - m2 * m2) / n).sqrt())
    }

    #[test]
    fn sample_local_draws_what_sample_draws() {
        for (i, &shape) in [0.05, 0.3, 1.0, 2.5, 50.0, 1e6].iter().enumerate() {
            let g = GammaDraw::new(shape, 1.5).unwrap();
            let mut a = Xoshiro256PlusPlus::seed_from_u64(i as u64);
            let mut b = a.clone();
            for _ in 0..20_000 {
                assert_eq!(g.sample(&mut a).to_bits(), g.sample_local(&mut b).to_bits());
            }
            assert_eq!(a, b);
        }
    }

    #[test]
    fn gamma_moments_match_shape_times_scale_at_4_se() {
        for (i, &(shape, scale)) in [(0.3, 2.0), (1.0, 1.0), (2.5, 4.0), (50.0, 0.1)]
            .iter()
            .enumerate()
        {
            let g = GammaDraw::new(shape, scale).unwrap();
            let mut rng = Xoshiro256PlusPlus::seed_from_u64(40 + i as u64);
            let x: Vec<f64> = (0..400_000).map(|_| g.sample(&mut rng)).collect();
            assert!(x.iter().all(|v| *v >= 0.0 && v.is_finite()));
            let (mean, var, se_mean, se_var) = moments(&x);
            let (m, v) = (shape * scale, shape * scale * scale);
            assert!(
                (mean - m).abs() < 4.0 * se_mean,
                "shape {shape}: mean {mean} vs {m}"
            );
            assert!(
                (var - v).abs() < 4.0 * se_var,
                "shape {shape}: var {var} vs {v}"
            );
        }
    }

    #[test]
    fn gamma_follows_its_cdf_by_kolmogorov_smirnov() {
        use statrs::distribution::{ContinuousCDF, Gamma};
        for (i, &shape) in [0.5, 1.7, 9.0].iter().enumerate() {
            let g = GammaDraw::new(shape, 1.0).unwrap();
            let mut rng = Xoshiro256PlusPlus::seed_from_u64(60 + i as u64);
            let mut x: Vec<f64> = (0..100_000).map(|_| g.sample(&mut rng)).collect();
            x.sort_by(f64::total_cmp);
            let exact = Gamma::new(shape, 1.0).unwrap();
            let n = x.len() as f64;
            let d = x
                .iter()
                .enumerate()
                .map(|(k, v)| {
                    let f = exact.cdf(*v);
                    (f - k as f64 / n).abs().max(((k + 1) as f64 / n - f).abs())
                })
                .fold(0.0, f64::max);
            // The 0.1% critical value of the one-sample KS statistic: 1.949 / sqrt(n).
            assert!(d < 1.949 / n.sqrt(), "shape {shape}: KS D = {d}");
        }
    }

    #[test]
    fn beta_moments_match_at_4_se() {
        for (i, &(a, b)) in [(0.5, 0.5), (2.0, 5.0), (3.4, 1.6)].iter().enumerate() {
            let d = BetaDraw::new(a, b).unwrap();
            let mut rng = Xoshiro256PlusPlus::seed_from_u64(80 + i as u64);
            let x: Vec<f64> = (0..400_000).map(|_| d.sample(&mut rng)).collect();
            assert!(x.iter().all(|v| (0.0..=1.0).contains(v)));
            let (mean, var, se_mean, se_var) = moments(&x);
            let s = a + b;
            let (m, v) = (a / s, a * b / (s * s * (s + 1.0)));
            assert!(
                (mean - m).abs() < 4.0 * se_mean,
                "beta({a},{b}) mean {mean} vs {m}"
            );
            assert!(
                (var - v).abs() < 4.0 * se_var,
                "beta({a},{b}) var {var} vs {v}"
            );
        }
    }

    #[test]
    fn bad_parameters_are_refused() {
        assert!(GammaDraw::new(0.0, 1.0).is_none());
        assert!(GammaDraw::new(1.0, f64::NAN).is_none());
        assert!(BetaDraw::new(1.0, -1.0).is_none());
    }

    #[test]
    fn open_unit_never_reaches_either_end() {
        struct Fixed(u64);
        impl rand::TryRng for Fixed {
            type Error = std::convert::Infallible;
            fn try_next_u32(&mut self) -> Result<u32, Self::Error> {
                Ok(self.0 as u32)
            }
            fn try_next_u64(&mut self) -> Result<u64, Self::Error> {
                Ok(self.0)
            }
            fn try_fill_bytes(&mut self, _: &mut [u8]) -> Result<(), Self::Error> {
                Ok(())
            }
        }
        assert!(open_unit(&mut Fixed(0)) > 0.0);
        assert!(open_unit(&mut Fixed(u64::MAX)) < 1.0);
    }
}
