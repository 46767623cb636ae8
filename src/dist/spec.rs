//! The distribution specs as people write them in a scenario file.
//!
//! A spec is either a bare number (a fixed value) or a table naming exactly one family with its
//! parameters, optionally followed by the modifiers `shift` (a constant added to every draw),
//! `min` and `max` (clamps applied after rounding):
//!
//! ```toml
//! task_prompt = { lognormal = { median = 400, sigma = 0.5 } }
//! reads = { poisson = { mean = 5 }, shift = 1 }
//! ```

use std::fmt;

use serde::Deserialize;
use serde::de::{self, Deserializer, MapAccess, Visitor};

/// The family names a spec table may use, in the order the docs list them.
pub const FAMILY_NAMES: &[&str] = &[
    "fixed",
    "uniform",
    "uniform_int",
    "normal",
    "lognormal",
    "gamma",
    "poisson",
    "negative_binomial",
    "geometric",
    "triangular",
    "pert",
    "empirical",
];

/// The modifier keys accepted beside the family in a spec table.
pub const MODIFIER_NAMES: &[&str] = &["shift", "min", "max"];

/// Every key a spec table accepts: the families, then the modifiers.
const SPEC_KEYS: &[&str] = &[
    "fixed",
    "uniform",
    "uniform_int",
    "normal",
    "lognormal",
    "gamma",
    "poisson",
    "negative_binomial",
    "geometric",
    "triangular",
    "pert",
    "empirical",
    "label",
    "shift",
    "min",
    "max",
];

/// A distribution as written in a scenario: a family plus optional modifiers.
#[derive(Debug, Clone, PartialEq)]
pub struct DistSpec {
    /// The family and its parameters.
    pub family: Family,
    /// A constant added to every draw (before rounding and clamping).
    pub shift: f64,
    /// Lower clamp applied after rounding, if any.
    pub min: Option<f64>,
    /// Upper clamp applied after rounding, if any.
    pub max: Option<f64>,
    /// A name for people (`label = "Tasks per developer a day"`): reports name the input by it
    /// instead of a readable form of its path.
    pub label: Option<String>,
}

impl DistSpec {
    /// A spec that always yields `value`.
    pub fn fixed(value: f64) -> Self {
        DistSpec {
            family: Family::Fixed(value),
            shift: 0.0,
            min: None,
            max: None,
            label: None,
        }
    }
}

/// One distribution family with its parameters as written.
#[derive(Debug, Clone, PartialEq, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Family {
    /// Always the same value.
    Fixed(f64),
    /// Continuous uniform on `[min, max]`.
    Uniform(UniformSpec),
    /// Discrete uniform on the integers `min..=max`.
    UniformInt(UniformSpec),
    /// Normal truncated at zero (draws below zero are redrawn).
    Normal(NormalSpec),
    /// Log-normal, by median and sigma, by P50 and P90, or by mean and sd.
    Lognormal(LogNormalSpec),
    /// Gamma, by shape and scale or by mean and sd.
    Gamma(GammaSpec),
    /// Poisson with the given mean.
    Poisson(PoissonSpec),
    /// Negative binomial (Poisson–gamma mixture), by mean and dispersion or by r and p.
    NegativeBinomial(NegativeBinomialSpec),
    /// Geometric: the number of failures before the first success (support 0, 1, 2, ...).
    Geometric(GeometricSpec),
    /// Triangular on `[min, max]` with the given mode.
    Triangular(TriangularSpec),
    /// PERT (a scaled beta) on `[min, max]` with the given mode and shape `lambda` (default 4).
    Pert(PertSpec),
    /// Draws from a list of observed values, optionally weighted.
    Empirical(EmpiricalSpec),
}

/// `{ min, max }`.
#[derive(Debug, Clone, PartialEq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct UniformSpec {
    /// Lower bound.
    pub min: f64,
    /// Upper bound.
    pub max: f64,
}

/// `{ mean, sd }`.
#[derive(Debug, Clone, PartialEq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct NormalSpec {
    /// Mean of the untruncated normal.
    pub mean: f64,
    /// Standard deviation of the untruncated normal.
    pub sd: f64,
}

/// `{ median, sigma }`, `{ p50, p90 }` or `{ mean, sd }`.
#[derive(Debug, Clone, PartialEq, Deserialize, Default)]
#[serde(deny_unknown_fields)]
pub struct LogNormalSpec {
    /// Median (`exp(mu)`).
    pub median: Option<f64>,
    /// Shape: the standard deviation of the log.
    pub sigma: Option<f64>,
    /// 50th percentile (a synonym of `median`).
    pub p50: Option<f64>,
    /// 90th percentile.
    pub p90: Option<f64>,
    /// Mean of the distribution.
    pub mean: Option<f64>,
    /// Standard deviation of the distribution.
    pub sd: Option<f64>,
}

/// `{ shape, scale }` or `{ mean, sd }`.
#[derive(Debug, Clone, PartialEq, Deserialize, Default)]
#[serde(deny_unknown_fields)]
pub struct GammaSpec {
    /// Shape k.
    pub shape: Option<f64>,
    /// Scale theta.
    pub scale: Option<f64>,
    /// Mean (k theta).
    pub mean: Option<f64>,
    /// Standard deviation (sqrt(k) theta).
    pub sd: Option<f64>,
}

/// `{ mean }`.
#[derive(Debug, Clone, PartialEq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct PoissonSpec {
    /// The mean lambda.
    pub mean: f64,
}

/// `{ mean, dispersion }` or `{ r, p }`.
#[derive(Debug, Clone, PartialEq, Deserialize, Default)]
#[serde(deny_unknown_fields)]
pub struct NegativeBinomialSpec {
    /// Mean.
    pub mean: Option<f64>,
    /// Dispersion r: variance = mean + mean^2 / r.
    pub dispersion: Option<f64>,
    /// Number of successes r (any positive real).
    pub r: Option<f64>,
    /// Success probability p; mean = r (1 - p) / p.
    pub p: Option<f64>,
}

/// `{ p }` or `{ mean }`.
#[derive(Debug, Clone, PartialEq, Deserialize, Default)]
#[serde(deny_unknown_fields)]
pub struct GeometricSpec {
    /// Success probability per trial.
    pub p: Option<f64>,
    /// Mean number of failures, (1 - p) / p.
    pub mean: Option<f64>,
}

/// `{ min, mode, max }`.
#[derive(Debug, Clone, PartialEq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct TriangularSpec {
    /// Lower bound.
    pub min: f64,
    /// Most likely value.
    pub mode: f64,
    /// Upper bound.
    pub max: f64,
}

/// `{ min, mode, max, lambda }`.
#[derive(Debug, Clone, PartialEq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct PertSpec {
    /// Lower bound.
    pub min: f64,
    /// Most likely value.
    pub mode: f64,
    /// Upper bound.
    pub max: f64,
    /// Weight of the mode; 4 gives the classic PERT.
    pub lambda: Option<f64>,
}

/// `{ values, weights }`.
#[derive(Debug, Clone, PartialEq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct EmpiricalSpec {
    /// Observed values.
    pub values: Vec<f64>,
    /// Relative weights, one per value (equal if absent).
    pub weights: Option<Vec<f64>>,
}

impl<'de> Deserialize<'de> for DistSpec {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        deserializer.deserialize_any(DistVisitor)
    }
}

struct DistVisitor;

impl<'de> Visitor<'de> for DistVisitor {
    type Value = DistSpec;

    fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
        f.write_str("a number or a distribution table such as { lognormal = { median = 400, sigma = 0.5 } }")
    }

    fn visit_i64<E: de::Error>(self, v: i64) -> Result<DistSpec, E> {
        Ok(DistSpec::fixed(v as f64))
    }

    fn visit_u64<E: de::Error>(self, v: u64) -> Result<DistSpec, E> {
        Ok(DistSpec::fixed(v as f64))
    }

    fn visit_f64<E: de::Error>(self, v: f64) -> Result<DistSpec, E> {
        Ok(DistSpec::fixed(v))
    }

    fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<DistSpec, A::Error> {
        let mut family: Option<(String, Family)> = None;
        let mut spec = DistSpec::fixed(0.0);
        while let Some(key) = map.next_key::<String>()? {
            match key.as_str() {
                "shift" => spec.shift = map.next_value()?,
                "min" => spec.min = Some(map.next_value()?),
                "max" => spec.max = Some(map.next_value()?),
                "label" => spec.label = Some(map.next_value()?),
                name => {
                    if let Some((first, _)) = &family {
                        return Err(de::Error::custom(format!(
                            "a distribution names one family, found `{first}` and `{name}`"
                        )));
                    }
                    let parsed = match name {
                        "fixed" => Family::Fixed(map.next_value()?),
                        "uniform" => Family::Uniform(map.next_value()?),
                        "uniform_int" => Family::UniformInt(map.next_value()?),
                        "normal" => Family::Normal(map.next_value()?),
                        "lognormal" => Family::Lognormal(map.next_value()?),
                        "gamma" => Family::Gamma(map.next_value()?),
                        "poisson" => Family::Poisson(map.next_value()?),
                        "negative_binomial" => Family::NegativeBinomial(map.next_value()?),
                        "geometric" => Family::Geometric(map.next_value()?),
                        "triangular" => Family::Triangular(map.next_value()?),
                        "pert" => Family::Pert(map.next_value()?),
                        "empirical" => Family::Empirical(map.next_value()?),
                        other => return Err(de::Error::unknown_field(other, SPEC_KEYS)),
                    };
                    family = Some((name.to_string(), parsed));
                }
            }
        }
        match family {
            Some((_, f)) => {
                spec.family = f;
                Ok(spec)
            }
            None => Err(de::Error::custom(format!(
                "a distribution table must name a family: one of {}",
                FAMILY_NAMES.join(", ")
            ))),
        }
    }
}

impl fmt::Display for DistSpec {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match &self.family {
            Family::Fixed(v) => write!(f, "{v}")?,
            Family::Uniform(u) => write!(f, "uniform({}, {})", u.min, u.max)?,
            Family::UniformInt(u) => write!(f, "uniform integer {}..={}", u.min, u.max)?,
            Family::Normal(n) => write!(f, "normal(mean {}, sd {}) truncated at 0", n.mean, n.sd)?,
            Family::Lognormal(l) => {
                f.write_str("lognormal(")?;
                write_opts(
                    f,
                    &[
                        ("median", l.median),
                        ("sigma", l.sigma),
                        ("p50", l.p50),
                        ("p90", l.p90),
                        ("mean", l.mean),
                        ("sd", l.sd),
                    ],
                )?;
                f.write_str(")")?
            }
            Family::Gamma(g) => {
                f.write_str("gamma(")?;
                write_opts(
                    f,
                    &[
                        ("shape", g.shape),
                        ("scale", g.scale),
                        ("mean", g.mean),
                        ("sd", g.sd),
                    ],
                )?;
                f.write_str(")")?
            }
            Family::Poisson(p) => write!(f, "poisson(mean {})", p.mean)?,
            Family::NegativeBinomial(n) => {
                f.write_str("negative_binomial(")?;
                write_opts(
                    f,
                    &[
                        ("mean", n.mean),
                        ("dispersion", n.dispersion),
                        ("r", n.r),
                        ("p", n.p),
                    ],
                )?;
                f.write_str(")")?
            }
            Family::Geometric(g) => {
                f.write_str("geometric(")?;
                write_opts(f, &[("p", g.p), ("mean", g.mean)])?;
                f.write_str(")")?
            }
            Family::Triangular(t) => write!(f, "triangular({}, {}, {})", t.min, t.mode, t.max)?,
            Family::Pert(p) => write!(
                f,
                "pert({}, {}, {}, lambda {})",
                p.min,
                p.mode,
                p.max,
                p.lambda.unwrap_or(4.0)
            )?,
            Family::Empirical(e) => write!(f, "empirical({} values)", e.values.len())?,
        }
        if self.shift != 0.0 {
            write!(f, " + {}", self.shift)?;
        }
        if let Some(min) = self.min {
            write!(f, ", at least {min}")?;
        }
        if let Some(max) = self.max {
            write!(f, ", at most {max}")?;
        }
        Ok(())
    }
}

impl DistSpec {
    /// The distribution in words for a report: numbers with thousands separators and the
    /// range first (`between 4,000 and 5,000, most likely 4,800 (triangular)`).
    pub fn words(&self) -> String {
        use crate::text::number as n;
        let opts = |items: &[(&str, Option<f64>)]| {
            items
                .iter()
                .filter_map(|(name, v)| v.map(|v| format!("{name} {}", n(v))))
                .collect::<Vec<_>>()
                .join(", ")
        };
        let mut out = match &self.family {
            Family::Fixed(v) => n(*v),
            Family::Uniform(u) => format!("uniformly between {} and {}", n(u.min), n(u.max)),
            Family::UniformInt(u) => format!("a whole number from {} to {}", n(u.min), n(u.max)),
            Family::Normal(x) => format!(
                "normal with mean {} and sd {}, at least 0",
                n(x.mean),
                n(x.sd)
            ),
            Family::Lognormal(l) => format!(
                "log-normal with {}",
                opts(&[
                    ("median", l.median),
                    ("sigma", l.sigma),
                    ("P50", l.p50),
                    ("P90", l.p90),
                    ("mean", l.mean),
                    ("sd", l.sd),
                ])
            ),
            Family::Gamma(g) => format!(
                "gamma with {}",
                opts(&[
                    ("shape", g.shape),
                    ("scale", g.scale),
                    ("mean", g.mean),
                    ("sd", g.sd)
                ])
            ),
            Family::Poisson(p) => format!("Poisson with mean {}", n(p.mean)),
            Family::NegativeBinomial(x) => format!(
                "negative binomial with {}",
                opts(&[
                    ("mean", x.mean),
                    ("dispersion", x.dispersion),
                    ("r", x.r),
                    ("p", x.p)
                ])
            ),
            Family::Geometric(g) => {
                format!("geometric with {}", opts(&[("p", g.p), ("mean", g.mean)]))
            }
            Family::Triangular(t) => format!(
                "between {} and {}, most likely {} (triangular)",
                n(t.min),
                n(t.max),
                n(t.mode)
            ),
            Family::Pert(p) => format!(
                "between {} and {}, most likely {} (PERT, lambda {})",
                n(p.min),
                n(p.max),
                n(p.mode),
                n(p.lambda.unwrap_or(4.0))
            ),
            Family::Empirical(e) => {
                format!("drawn from {} observed values", n(e.values.len() as f64))
            }
        };
        if self.shift != 0.0 {
            out.push_str(&format!(", plus {}", n(self.shift)));
        }
        if let Some(min) = self.min {
            out.push_str(&format!(", at least {}", n(min)));
        }
        if let Some(max) = self.max {
            out.push_str(&format!(", at most {}", n(max)));
        }
        out
    }
}

fn write_opts(f: &mut fmt::Formatter<'_>, items: &[(&str, Option<f64>)]) -> fmt::Result {
    let mut first = true;
    for (name, value) in items {
        if let Some(v) = value {
            if !first {
                f.write_str(", ")?;
            }
            write!(f, "{name} {v}")?;
            first = false;
        }
    }
    Ok(())
}
