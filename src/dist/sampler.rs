//! Compiled samplers: validated parameters in the form the hot loop wants.
//!
//! Methods: normals by the crate's portable ziggurat (truncation at 0 by rejection, only
//! accepted when at least 1% of the mass is non-negative); log-normals as `exp(mu + sigma z)`;
//! Poisson by inversion of a precomputed CDF table with a guide table (`super::inversion`) for
//! means up to 64 and by PTRS above (`super::poisson`); gamma by Marsaglia–Tsang
//! (`super::gamma`); negative binomial as a gamma–Poisson mixture; geometric by inversion
//! (`floor(ln U / ln(1 - p))`); triangular by inversion; PERT as a scaled beta (a ratio of
//! gammas); empirical by binary search in the cumulative weights.
//!
//! Every family uses only IEEE-754 arithmetic, `sqrt` and the crate's portable `exp` and `ln`
//! (`super::exp`, `super::ln`), never the platform's libm, so a stream gives the same bits on
//! every machine and libc.
//!
//! Integer quantities (token counts, repeat counts) are the draw plus `shift`, rounded to the
//! nearest integer (halves away from zero), then clamped to `[min, max]`. Families whose draws
//! are strictly positive (log-normal, gamma) never round to 0: their default `min` is 1.

use rand::{Rng, RngExt, SeedableRng};

use super::count::Counting;
use super::exp::{IN_RANGE, exp, exp_in_range};
use super::gamma::{BetaDraw, GammaDraw};
use super::inversion::CdfTable;
use super::ln::ln;
use super::normal::{MAX_ABS_DRAW, standard_normal, standard_normal_local};
use super::poisson::{Ptrs, sample_poisson};
use super::spec::{DistSpec, Family};

/// The standard normal quantile at 0.9, used to turn a P50/P90 pair into a log-normal sigma.
pub const Z90: f64 = 1.281_551_565_544_600_5;

/// Largest magnitude of an integer bound: every integer up to 2^53 is exact in a double.
const MAX_EXACT_INTEGER: f64 = 9_007_199_254_740_992.0;

/// Largest Poisson mean accepted (far beyond any token count).
const MAX_POISSON_MEAN: f64 = 1e12;

/// Largest Poisson mean sampled from a precomputed CDF table.
const POISSON_TABLE_MAX_MEAN: f64 = 64.0;

/// A parameter that failed validation: where (relative to the spec) and why.
#[derive(Debug, Clone, PartialEq)]
pub struct DistError {
    /// Path of the offending parameter relative to the spec, e.g. `lognormal.sigma`.
    pub field: String,
    /// What was expected and what was found, as a sentence fragment.
    pub message: String,
}

impl DistError {
    fn new(field: impl Into<String>, message: impl Into<String>) -> Self {
        DistError {
            field: field.into(),
            message: message.into(),
        }
    }
}

/// Draws of a fixed stream that [`Sampler::count_moments`] estimates a count's moments from.
pub const COUNT_PROBE_DRAWS: u32 = 16_384;

/// The mean of a count `n` and of `n (n − 1)` (see [`Sampler::count_moments`]).
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct CountMoments {
    /// Mean count.
    pub mean: f64,
    /// Mean of `n (n − 1)`: with the mean, the second moment (`E[n²] = pairs + mean`).
    pub pairs: f64,
}

/// A validated distribution ready to draw from.
#[derive(Debug, Clone)]
pub struct Sampler {
    pub(super) kind: Kind,
    pub(super) shift: f64,
    floor: f64,
    ceil: f64,
    /// Integer clamps of `sample_count`: `max(0, ceil(floor))` and `floor(ceil)`.
    count_floor: i64,
    count_ceil: i64,
    /// How `sample_count` rounds and clamps (derived from the two above).
    pub(super) counting: Counting,
    /// The count of a fixed value (derived from the kind and `counting`): `sample_count` returns
    /// it without a call. A field of its own, tested after the log-normal's tag, so the
    /// log-normal draw pays nothing for it.
    fixed_count: Option<u64>,
}

/// The family and its parameters. `repr(u8)` gives the enum a tag byte of its own: without it
/// the compiler folds the tag into a niche of a field and tests for the log-normal, at every
/// draw site, by decoding it (half a dozen instructions instead of one compare).
#[derive(Debug, Clone)]
#[repr(u8)]
pub(super) enum Kind {
    Fixed(f64),
    Uniform {
        min: f64,
        width: f64,
    },
    UniformInt {
        min: f64,
        count: u64,
    },
    Normal {
        mean: f64,
        sd: f64,
    },
    /// `exp(mu + sigma z)` whose argument always lies in `|x| < 600` (see
    /// [`Sampler::compile`]): drawn with the unchecked `exp`.
    LogNormal {
        mu: f64,
        sigma: f64,
    },
    /// A log-normal whose parameters could take `exp` out of that range (a huge median or
    /// sigma): drawn with the checked `exp`, out of line.
    LogNormalWide {
        mu: f64,
        sigma: f64,
    },
    Gamma(GammaDraw),
    PoissonTable(CdfTable),
    PoissonLarge(Ptrs),
    NegativeBinomial(GammaDraw),
    Geometric {
        ln_q: f64,
    },
    Triangular {
        min: f64,
        mode: f64,
        max: f64,
        split: f64,
    },
    Pert {
        beta: BetaDraw,
        min: f64,
        range: f64,
    },
    Empirical {
        values: Vec<f64>,
        cumulative: Vec<f64>,
    },
}

fn finite(field: &str, v: f64) -> Result<f64, DistError> {
    if v.is_finite() {
        Ok(v)
    } else {
        Err(DistError::new(
            field,
            format!("expected a finite number, found {v}"),
        ))
    }
}

fn positive(field: &str, v: f64) -> Result<f64, DistError> {
    if v.is_finite() && v > 0.0 {
        Ok(v)
    } else {
        Err(DistError::new(
            field,
            format!("expected a number greater than 0, found {v}"),
        ))
    }
}

fn non_negative(field: &str, v: f64) -> Result<f64, DistError> {
    if v.is_finite() && v >= 0.0 {
        Ok(v)
    } else {
        Err(DistError::new(
            field,
            format!("expected a number of at least 0, found {v}"),
        ))
    }
}

fn probability_open(field: &str, v: f64) -> Result<f64, DistError> {
    if v.is_finite() && v > 0.0 && v <= 1.0 {
        Ok(v)
    } else {
        Err(DistError::new(
            field,
            format!("expected a probability in (0, 1], found {v}"),
        ))
    }
}

/// Picks one of several alternative parameter pairs; exactly one must be fully given.
fn one_pair<'a>(
    family: &str,
    pairs: &[(&'a str, Option<f64>, &'a str, Option<f64>)],
) -> Result<(usize, f64, f64), DistError> {
    let mut chosen = None;
    for (i, (_, a, _, b)) in pairs.iter().enumerate() {
        if let (Some(a), Some(b)) = (a, b) {
            if chosen.is_some() {
                break;
            }
            chosen = Some((i, *a, *b));
        }
    }
    let named: Vec<(&str, Option<f64>)> = pairs
        .iter()
        .flat_map(|p| [(p.0, p.1), (p.2, p.3)])
        .collect();
    let given_list = given_names(&named);
    let given: usize = pairs
        .iter()
        .map(|p| p.1.is_some() as usize + p.3.is_some() as usize)
        .sum();
    let options: Vec<String> = pairs
        .iter()
        .map(|(a, _, b, _)| format!("{{ {a}, {b} }}"))
        .collect();
    match chosen {
        Some(c) if given == 2 => Ok(c),
        _ => Err(DistError::new(
            family,
            format!(
                "expected exactly one parameter pair, {}; found {given_list}",
                options.join(" or "),
            ),
        )),
    }
}

/// "median and mean", "only sigma", "no parameters": the parameters that were given.
fn given_names(params: &[(&str, Option<f64>)]) -> String {
    let names: Vec<String> = params
        .iter()
        .filter(|(_, v)| v.is_some())
        .map(|(n, _)| format!("`{n}`"))
        .collect();
    match names.len() {
        0 => "no parameters".to_string(),
        1 => format!("only {}", names[0]),
        n => format!("{} and {}", names[..n - 1].join(", "), names[n - 1]),
    }
}

impl Sampler {
    /// Validates a spec and builds its sampler.
    pub fn compile(spec: &DistSpec) -> Result<Sampler, DistError> {
        let mut floor = 0.0_f64;
        let kind = match &spec.family {
            Family::Fixed(v) => Kind::Fixed(finite("fixed", *v)?),
            Family::Uniform(u) => {
                let min = finite("uniform.min", u.min)?;
                let max = finite("uniform.max", u.max)?;
                if max < min {
                    return Err(DistError::new(
                        "uniform.max",
                        format!("expected max >= min ({min}), found {max}"),
                    ));
                }
                Kind::Uniform {
                    min,
                    width: max - min,
                }
            }
            Family::UniformInt(u) => {
                let min = finite("uniform_int.min", u.min)?;
                let max = finite("uniform_int.max", u.max)?;
                if min.fract() != 0.0 || max.fract() != 0.0 || max < min {
                    return Err(DistError::new(
                        "uniform_int",
                        format!("expected integer bounds with min <= max, found {min} and {max}"),
                    ));
                }
                if min.abs() > MAX_EXACT_INTEGER || max.abs() > MAX_EXACT_INTEGER {
                    return Err(DistError::new(
                        "uniform_int",
                        format!(
                            "expected bounds within +/-2^53 (integers a double holds exactly), found {min} and {max}"
                        ),
                    ));
                }
                Kind::UniformInt {
                    min,
                    count: (max - min) as u64 + 1,
                }
            }
            Family::Normal(n) => {
                let mean = finite("normal.mean", n.mean)?;
                let sd = positive("normal.sd", n.sd)?;
                // Rejection below zero: demand that P(X >= 0) >= 1%, i.e. mean >= -2.326 sd.
                if mean < -2.326 * sd {
                    return Err(DistError::new(
                        "normal.mean",
                        format!(
                            "expected a mean above -2.326 sd ({}) so that truncation at 0 keeps at least 1% of the mass, found {mean}",
                            -2.326 * sd
                        ),
                    ));
                }
                Kind::Normal { mean, sd }
            }
            Family::Lognormal(l) => {
                floor = 1.0;
                let median = l.median.or(l.p50);
                if l.median.is_some() && l.p50.is_some() {
                    return Err(DistError::new(
                        "lognormal.p50",
                        "expected either median or p50 (they are the same), found both",
                    ));
                }
                let given = given_names(&[
                    ("median", l.median),
                    ("p50", l.p50),
                    ("sigma", l.sigma),
                    ("p90", l.p90),
                    ("mean", l.mean),
                    ("sd", l.sd),
                ]);
                let (which, a, b) = match (median, l.sigma, l.p90, l.mean, l.sd) {
                    (Some(m), Some(s), None, None, None) => (0, m, s),
                    (Some(m), None, Some(p), None, None) => (1, m, p),
                    (None, None, None, Some(m), Some(s)) => (2, m, s),
                    _ => {
                        return Err(DistError::new(
                            "lognormal",
                            format!(
                                "expected {{ median, sigma }}, {{ p50, p90 }} or {{ mean, sd }}; found {given}"
                            ),
                        ));
                    }
                };
                match which {
                    0 => {
                        let median = positive("lognormal.median", a)?;
                        let sigma = positive("lognormal.sigma", b)?;
                        Kind::LogNormal {
                            mu: ln(median),
                            sigma,
                        }
                    }
                    1 => {
                        let p50 = positive("lognormal.p50", a)?;
                        let p90 = positive("lognormal.p90", b)?;
                        if p90 <= p50 {
                            return Err(DistError::new(
                                "lognormal.p90",
                                format!("expected p90 greater than p50 ({p50}), found {p90}"),
                            ));
                        }
                        Kind::LogNormal {
                            mu: ln(p50),
                            sigma: ln(p90 / p50) / Z90,
                        }
                    }
                    _ => {
                        let mean = positive("lognormal.mean", a)?;
                        let sd = positive("lognormal.sd", b)?;
                        let sigma2 = ln(1.0 + (sd / mean) * (sd / mean));
                        Kind::LogNormal {
                            mu: ln(mean) - sigma2 / 2.0,
                            sigma: sigma2.sqrt(),
                        }
                    }
                }
            }
            Family::Gamma(g) => {
                floor = 1.0;
                let (which, a, b) = one_pair(
                    "gamma",
                    &[
                        ("shape", g.shape, "scale", g.scale),
                        ("mean", g.mean, "sd", g.sd),
                    ],
                )?;
                let (shape, scale) = if which == 0 {
                    (positive("gamma.shape", a)?, positive("gamma.scale", b)?)
                } else {
                    let mean = positive("gamma.mean", a)?;
                    let sd = positive("gamma.sd", b)?;
                    ((mean / sd).powi(2), sd * sd / mean)
                };
                Kind::Gamma(GammaDraw::new(shape, scale).ok_or_else(|| {
                    DistError::new(
                        "gamma",
                        format!(
                            "expected a finite positive shape and scale, found {shape} and {scale}"
                        ),
                    )
                })?)
            }
            Family::Poisson(p) => {
                let mean = non_negative("poisson.mean", p.mean)?;
                if mean > MAX_POISSON_MEAN {
                    return Err(DistError::new(
                        "poisson.mean",
                        format!("expected a mean of at most {MAX_POISSON_MEAN:e}, found {mean:e}"),
                    ));
                }
                if mean <= POISSON_TABLE_MAX_MEAN {
                    Kind::PoissonTable(CdfTable::new(poisson_cdf_table(mean)))
                } else {
                    Kind::PoissonLarge(Ptrs::new(mean))
                }
            }
            Family::NegativeBinomial(n) => {
                let (which, a, b) = one_pair(
                    "negative_binomial",
                    &[
                        ("mean", n.mean, "dispersion", n.dispersion),
                        ("r", n.r, "p", n.p),
                    ],
                )?;
                let (r, mean) = if which == 0 {
                    (
                        positive("negative_binomial.dispersion", b)?,
                        positive("negative_binomial.mean", a)?,
                    )
                } else {
                    let r = positive("negative_binomial.r", a)?;
                    let p = probability_open("negative_binomial.p", b)?;
                    if p == 1.0 {
                        return Err(DistError::new(
                            "negative_binomial.p",
                            "expected p below 1 (p = 1 is always 0), found 1",
                        ));
                    }
                    (r, r * (1.0 - p) / p)
                };
                // X | L ~ Poisson(L), L ~ Gamma(r, mean / r)  =>  X ~ NB(r, p = r / (r + mean)).
                Kind::NegativeBinomial(GammaDraw::new(r, mean / r).ok_or_else(|| {
                    DistError::new(
                        "negative_binomial",
                        format!(
                            "expected a finite positive r and mean / r, found {r} and {}",
                            mean / r
                        ),
                    )
                })?)
            }
            Family::Geometric(g) => {
                let given = given_names(&[("p", g.p), ("mean", g.mean)]);
                let p = match (g.p, g.mean) {
                    (Some(p), None) => probability_open("geometric.p", p)?,
                    (None, Some(m)) => 1.0 / (1.0 + non_negative("geometric.mean", m)?),
                    _ => {
                        return Err(DistError::new(
                            "geometric",
                            format!("expected exactly one of {{ p }} or {{ mean }}, found {given}"),
                        ));
                    }
                };
                if p == 1.0 {
                    Kind::Fixed(0.0)
                } else {
                    Kind::Geometric { ln_q: ln(1.0 - p) }
                }
            }
            Family::Triangular(t) => {
                let (min, mode, max) = ordered_triple("triangular", t.min, t.mode, t.max)?;
                if max == min {
                    Kind::Fixed(min)
                } else {
                    Kind::Triangular {
                        min,
                        mode,
                        max,
                        split: (mode - min) / (max - min),
                    }
                }
            }
            Family::Pert(p) => {
                let (min, mode, max) = ordered_triple("pert", p.min, p.mode, p.max)?;
                let lambda = positive("pert.lambda", p.lambda.unwrap_or(4.0))?;
                if max == min {
                    Kind::Fixed(min)
                } else {
                    let range = max - min;
                    let alpha = 1.0 + lambda * (mode - min) / range;
                    let beta = 1.0 + lambda * (max - mode) / range;
                    Kind::Pert {
                        beta: BetaDraw::new(alpha, beta).ok_or_else(|| {
                            DistError::new(
                                "pert",
                                format!(
                                    "expected finite positive shapes, found {alpha} and {beta}"
                                ),
                            )
                        })?,
                        min,
                        range,
                    }
                }
            }
            Family::Empirical(e) => {
                if e.values.is_empty() {
                    return Err(DistError::new(
                        "empirical.values",
                        "expected at least one value, found none",
                    ));
                }
                for (i, v) in e.values.iter().enumerate() {
                    finite(&format!("empirical.values[{i}]"), *v)?;
                }
                let weights = match &e.weights {
                    Some(w) if w.len() != e.values.len() => {
                        return Err(DistError::new(
                            "empirical.weights",
                            format!(
                                "expected {} weights (one per value), found {}",
                                e.values.len(),
                                w.len()
                            ),
                        ));
                    }
                    Some(w) => {
                        for (i, x) in w.iter().enumerate() {
                            non_negative(&format!("empirical.weights[{i}]"), *x)?;
                        }
                        w.clone()
                    }
                    None => vec![1.0; e.values.len()],
                };
                let total: f64 = weights.iter().sum();
                if total <= 0.0 {
                    return Err(DistError::new(
                        "empirical.weights",
                        "expected a positive total weight, found 0",
                    ));
                }
                let mut acc = 0.0;
                let mut cumulative: Vec<f64> = weights
                    .iter()
                    .map(|w| {
                        acc += w / total;
                        acc
                    })
                    .collect();
                // The last entry catches every u, so rounding in the sum can never pick a
                // value past the end, nor a zero-weight value after the last positive one.
                if let Some(last) = weights.iter().rposition(|&w| w > 0.0) {
                    cumulative[last..].fill(f64::INFINITY);
                }
                Kind::Empirical {
                    values: e.values.clone(),
                    cumulative,
                }
            }
        };
        // The inlined log-normal path skips exp's range check: only when |mu + sigma z| stays
        // below exp_in_range's bound (600) for every z the normal generator can return (with a
        // margin for rounding). Medians from e^-592 to e^592 with sigma below 1 qualify.
        let kind = match kind {
            Kind::LogNormal { mu, sigma } if mu.abs() + MAX_ABS_DRAW * sigma >= IN_RANGE - 8.0 => {
                Kind::LogNormalWide { mu, sigma }
            }
            other => other,
        };
        let shift = finite("shift", spec.shift)?;
        if let Some(min) = spec.min {
            floor = finite("min", min)?;
        }
        let ceil = match spec.max {
            Some(max) => finite("max", max)?,
            None => f64::INFINITY,
        };
        if ceil < floor {
            return Err(DistError::new(
                "max",
                format!("expected max >= min ({floor}), found {ceil}"),
            ));
        }
        Ok(Sampler::with_clamps(kind, shift, floor, ceil))
    }

    fn with_clamps(kind: Kind, shift: f64, floor: f64, ceil: f64) -> Sampler {
        // Float-to-int casts saturate, so infinite clamps become the ends of the i64 range.
        let count_floor = (floor.ceil() as i64).max(0);
        let count_ceil = (ceil.floor() as i64).max(count_floor);
        Sampler {
            kind,
            shift,
            floor,
            ceil,
            count_floor,
            count_ceil,
            counting: Counting::new(count_floor, count_ceil),
            fixed_count: None,
        }
        .with_fixed_count()
    }

    /// Sets `fixed_count` from the kind and the counting.
    fn with_fixed_count(mut self) -> Sampler {
        self.fixed_count = match self.kind {
            Kind::Fixed(v) => Some(self.counting.round(v + self.shift)),
            _ => None,
        };
        self
    }

    /// The same sampler with integer draws capped at `max` (a hard limit at run time, whatever
    /// the distribution's tail).
    pub fn cap_counts(mut self, max: u64) -> Sampler {
        let max = i64::try_from(max).unwrap_or(i64::MAX);
        self.count_ceil = self.count_ceil.min(max).max(self.count_floor.min(max));
        self.count_floor = self.count_floor.min(max);
        self.counting = Counting::new(self.count_floor, self.count_ceil);
        self.with_fixed_count()
    }

    /// The largest count [`Sampler::sample_count`] can return (its clamps and cap).
    pub fn count_max(&self) -> u64 {
        self.fixed_count.unwrap_or(self.count_ceil.max(0) as u64)
    }

    /// The mean of `min(n, cap)` and of `n (n − 1)` over the counts `n` that
    /// [`Sampler::sample_count`] draws: exact for a fixed count, otherwise estimated from
    /// [`COUNT_PROBE_DRAWS`] draws of a fixed stream (the same figures every time). What the
    /// work bound of a scenario is computed from.
    pub fn count_moments(&self, cap: u64) -> CountMoments {
        if let Some(n) = self.fixed_count {
            let n = n.min(cap) as f64;
            return CountMoments {
                mean: n,
                pairs: n * (n - 1.0).max(0.0),
            };
        }
        let mut rng = rand_xoshiro::Xoshiro256PlusPlus::seed_from_u64(0x776f_726b);
        let (mut sum, mut pairs) = (0.0, 0.0);
        for _ in 0..COUNT_PROBE_DRAWS {
            let n = self.sample_count(&mut rng).min(cap) as f64;
            sum += n;
            pairs += n * (n - 1.0).max(0.0);
        }
        let draws = COUNT_PROBE_DRAWS as f64;
        CountMoments {
            mean: sum / draws,
            pairs: pairs / draws,
        }
    }

    /// A sampler that always yields `value` (used for defaults).
    pub fn constant(value: f64) -> Sampler {
        Sampler::with_clamps(Kind::Fixed(value), 0.0, f64::NEG_INFINITY, f64::INFINITY)
    }

    /// The value if the sampler is degenerate (always the same draw), else `None`.
    pub fn fixed_value(&self) -> Option<f64> {
        match self.kind {
            Kind::Fixed(v) => Some(v + self.shift),
            _ => None,
        }
    }

    /// One continuous draw of the family plus `shift`, before rounding and clamping.
    ///
    /// The log-normal, the family agent token counts mostly use, is inlined at every call
    /// site; the others go through one out-of-line function.
    #[inline(always)]
    pub fn sample_raw<R: Rng + ?Sized>(&self, rng: &mut R) -> f64 {
        if let Kind::LogNormal { mu, sigma } = self.kind {
            return exp_in_range(mu + sigma * standard_normal(rng)) + self.shift;
        }
        self.sample_other(rng)
    }

    #[inline(never)]
    fn sample_other<R: Rng + ?Sized>(&self, rng: &mut R) -> f64 {
        self.draw_other(rng)
    }

    /// [`Sampler::sample_count`] for every family but the log-normal, out of line so that
    /// call sites stay small enough to inline the log-normal path.
    #[inline(never)]
    fn sample_count_other<R: Rng + ?Sized>(&self, rng: &mut R) -> u64 {
        self.counting.round(self.draw_other(rng))
    }

    #[inline(always)]
    fn draw_other<R: Rng + ?Sized>(&self, rng: &mut R) -> f64 {
        let x = match &self.kind {
            Kind::Fixed(v) => *v,
            Kind::Uniform { min, width } => min + width * rng.random::<f64>(),
            Kind::UniformInt { min, count } => min + rng.random_range(0..*count) as f64,
            Kind::Normal { mean, sd } => loop {
                let x = mean + sd * standard_normal(rng);
                if x >= 0.0 {
                    break x;
                }
            },
            Kind::LogNormal { mu, sigma } | Kind::LogNormalWide { mu, sigma } => {
                exp(mu + sigma * standard_normal(rng))
            }
            Kind::Gamma(g) => g.sample(rng),
            // Inversion: the draw is the number of CDF entries <= u.
            Kind::PoissonTable(table) => table.count_at_or_below(rng.random::<f64>()) as f64,
            Kind::PoissonLarge(p) => p.sample(rng),
            Kind::NegativeBinomial(g) => {
                let lambda = g.sample(rng);
                sample_poisson(lambda, rng)
            }
            Kind::Geometric { ln_q } => {
                // U in (0, 1]: ln U <= 0, so the quotient is >= 0.
                let u = 1.0 - rng.random::<f64>();
                (ln(u) / ln_q).floor()
            }
            Kind::Triangular {
                min,
                mode,
                max,
                split,
            } => {
                let u = rng.random::<f64>();
                if u < *split {
                    min + ((max - min) * (mode - min) * u).sqrt()
                } else {
                    max - ((max - min) * (max - mode) * (1.0 - u)).sqrt()
                }
            }
            Kind::Pert { beta, min, range } => min + range * beta.sample(rng),
            Kind::Empirical { values, cumulative } => {
                let u = rng.random::<f64>();
                let i = cumulative
                    .partition_point(|&c| c <= u)
                    .min(values.len() - 1);
                values[i]
            }
        };
        x + self.shift
    }

    /// A real-valued draw (durations, rates): the raw draw clamped to `[min, max]`.
    #[inline]
    pub fn sample<R: Rng + ?Sized>(&self, rng: &mut R) -> f64 {
        self.sample_raw(rng).max(self.floor).min(self.ceil)
    }

    /// An integer draw (tokens, counts): rounded to nearest (halves away from zero), then
    /// clamped to `[min, max]` and to at least 0.
    ///
    /// The log-normal path is inlined into every call site (a handful in the executor); the
    /// other families make one call. Out-of-line paths get a copy of the generator that is
    /// written back after them, so a caller that owns its generator as a local keeps the
    /// state in registers (the address of the caller's generator never escapes); the draws
    /// are the same as with the generator itself.
    #[inline(always)]
    pub fn sample_count<R: Rng + Clone>(&self, rng: &mut R) -> u64 {
        if let Kind::LogNormal { mu, sigma } = self.kind {
            let x = exp_in_range(mu + sigma * standard_normal_local(rng)) + self.shift;
            return self.counting.round(x);
        }
        // A fixed count (a system prompt, a phase that runs once) draws nothing: no call.
        if let Some(n) = self.fixed_count {
            return n;
        }
        let mut copy = rng.clone();
        let n = self.sample_count_other(&mut copy);
        *rng = copy;
        n
    }
}

fn ordered_triple(
    family: &str,
    min: f64,
    mode: f64,
    max: f64,
) -> Result<(f64, f64, f64), DistError> {
    let min = finite(&format!("{family}.min"), min)?;
    let mode = finite(&format!("{family}.mode"), mode)?;
    let max = finite(&format!("{family}.max"), max)?;
    if !(min <= mode && mode <= max) {
        return Err(DistError::new(
            family,
            format!("expected min <= mode <= max, found {min}, {mode}, {max}"),
        ));
    }
    Ok((min, mode, max))
}

/// The Poisson CDF at 0, 1, 2, ... until the remaining tail is below 1e-17.
fn poisson_cdf_table(mean: f64) -> Vec<f64> {
    let mut cdf = Vec::new();
    let mut p = exp(-mean);
    let mut acc = 0.0;
    let mut k = 0.0;
    loop {
        acc += p;
        cdf.push(acc);
        k += 1.0;
        p *= mean / k;
        if (k > mean && p < 1e-17) || cdf.len() > 10_000 {
            break;
        }
    }
    // The table's last entry becomes +inf (CdfTable::new): it catches every u whatever the
    // rounding of the sum.
    cdf
}
