//! Distributions: the specs people write and the samplers the engine draws from.
//!
//! This layer knows nothing of scenarios or tokens: a spec is validated into a [`Sampler`], and
//! a sampler draws reals or integers from any `rand` generator.

mod binomial;
mod count;
mod exp;
mod gamma;
mod inversion;
mod ln;
mod normal;
mod poisson;
mod quantile;
mod sampler;
mod spec;

pub use binomial::sample_binomial;
pub use exp::exp;
pub use gamma::GammaDraw;
pub use ln::ln;
pub use normal::{standard_normal, standard_normal_local};
pub use poisson::sample_poisson;
pub use sampler::{COUNT_PROBE_DRAWS, CountMoments, DistError, Sampler, Z90};
pub use spec::{
    DistSpec, EmpiricalSpec, FAMILY_NAMES, Family, GammaSpec, GeometricSpec, LogNormalSpec,
    MODIFIER_NAMES, NegativeBinomialSpec, NormalSpec, PertSpec, PoissonSpec, TriangularSpec,
    UniformSpec,
};
