//! Task difficulty and rank-correlated inputs: per-trial factors that a trial's draws share
//! (DESIGN.md §7).
//!
//! - **Difficulty**: a latent `D = exp(σ Z − σ²/2)` per trial (log-normal with mean 1; σ is
//!   `[difficulty] spread`). A draw with exponent `k` is scaled to `draw · D^k` (rounded, then
//!   clamped to the draw's own bounds), and an `until_pass` loop with exponent `k` passes
//!   each attempt with probability `p_pass^(D^k)`. Every agent of a trial (sub-agents too)
//!   shares its `D`: it is one task.
//! - **Rank correlation** (`[[correlation]]`): a Gaussian copula. The target Spearman
//!   correlations `r` become normal-scale correlations `ρ = 2 sin(π r / 6)` (the exact
//!   relation for a bivariate normal, Pearson 1907); per trial, independent standard normals
//!   `ε` give `z = L ε` with `L` the Cholesky factor of the `ρ` matrix, and each correlated
//!   input takes its draw at the quantile `Φ(z_j)` of its own distribution (so each keeps its
//!   marginal law). `difficulty` itself may be one of the inputs (its `Z` is then `z_j`).
//!
//! The factors come from a stream of their own: a Xoshiro256++ seeded (by SplitMix64) from
//! the trial stream's first word mixed with a constant, read from a copy, so the trial stream
//! itself is not advanced. The factors are a function of the trial's stream alone — of (seed,
//! trial index) — whatever the threads; and a scenario without difficulty or correlation
//! draws nothing from anywhere, so its trials are exactly those it gave before.

use rand::{Rng, SeedableRng};
use rand_xoshiro::Xoshiro256PlusPlus;

use crate::dist::{exp, standard_normal};

/// Most inputs one scenario may correlate.
pub const MAX_CORRELATED_INPUTS: usize = 16;

/// Distinguishes the factors' stream from every other stream derived from a trial's.
const FACTOR_SALT: u64 = 0x6469_6666_6963_756c; // "difficul"

/// An uncertain input drawn once per trial, which a correlation can tie to others.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum CorrelatedInput {
    /// The latent difficulty `D` itself.
    Difficulty,
    /// The main agent's system prompt tokens.
    SystemPrompt,
    /// The main agent's task prompt tokens.
    TaskPrompt,
    /// The repeat count of a main-agent phase (its index in [`super::Workflow::phases`]).
    Repeat(usize),
}

/// One target rank correlation, for reports.
#[derive(Debug, Clone, PartialEq)]
pub struct RankTarget {
    /// Positions of the two inputs in [`Factors::inputs`].
    pub pair: (usize, usize),
    /// The Spearman correlation asked for.
    pub spearman: f64,
}

/// The compiled per-trial factors of a scenario.
#[derive(Debug, Clone, PartialEq)]
pub struct Factors {
    /// σ of `ln D` (`None`: no difficulty; every exponent is then 0).
    pub spread: Option<f64>,
    /// The correlated inputs, in the order of the copula's normals.
    pub inputs: Vec<CorrelatedInput>,
    /// Their names as the file writes them (`agent.task_prompt`, `phases.explore.repeat`).
    pub names: Vec<String>,
    /// Lower-triangular Cholesky factor of the normal-scale correlation matrix, row-major
    /// `inputs.len()` squared.
    pub cholesky: Vec<f64>,
    /// The target rank correlations as written.
    pub targets: Vec<RankTarget>,
}

/// One trial's draws of the factors.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct TrialFactors {
    /// `ln D` (0 without difficulty: `D = 1`).
    pub ln_difficulty: f64,
    /// The copula's normal for each correlated input, by position in [`Factors::inputs`].
    pub z: [f64; MAX_CORRELATED_INPUTS],
}

impl TrialFactors {
    /// No difficulty (`D = 1`) and no correlated input.
    pub const NONE: TrialFactors = TrialFactors {
        ln_difficulty: 0.0,
        z: [0.0; MAX_CORRELATED_INPUTS],
    };

    /// The difficulty `D`.
    pub fn difficulty(&self) -> f64 {
        exp(self.ln_difficulty)
    }

    /// `D^k`: the factor a draw with difficulty exponent `k` is multiplied by (1 when `k` is 0).
    #[inline]
    pub fn scale(&self, exponent: f64) -> f64 {
        if exponent == 0.0 || self.ln_difficulty == 0.0 {
            1.0
        } else {
            exp(exponent * self.ln_difficulty)
        }
    }

    /// `p^(D^k)`: the pass probability of a loop with difficulty exponent `k`.
    #[inline]
    pub fn pass_probability(&self, p: f64, exponent: f64) -> f64 {
        let s = self.scale(exponent);
        if s == 1.0 || p <= 0.0 || p >= 1.0 {
            p
        } else {
            exp(s * crate::dist::ln(p))
        }
    }
}

impl Factors {
    /// Draws trial factors from the stream derived from `trial` (a copy is read: `trial` does
    /// not move).
    pub fn draw<R: Rng + Clone>(&self, trial: &R) -> TrialFactors {
        let word = trial.clone().next_u64();
        let mut rng = Xoshiro256PlusPlus::seed_from_u64(word ^ FACTOR_SALT);
        let k = self.inputs.len();
        let mut eps = [0.0; MAX_CORRELATED_INPUTS];
        for e in eps.iter_mut().take(k) {
            *e = standard_normal(&mut rng);
        }
        let mut z = [0.0; MAX_CORRELATED_INPUTS];
        for (i, zi) in z.iter_mut().enumerate().take(k) {
            let row = &self.cholesky[i * k..i * k + i + 1];
            *zi = row.iter().zip(&eps).map(|(l, e)| l * e).sum();
        }
        let ln_difficulty = match self.spread {
            None => 0.0,
            Some(sigma) => {
                let zd = match self
                    .inputs
                    .iter()
                    .position(|i| *i == CorrelatedInput::Difficulty)
                {
                    Some(j) => z[j],
                    None => standard_normal(&mut rng),
                };
                sigma * zd - 0.5 * sigma * sigma
            }
        };
        TrialFactors { ln_difficulty, z }
    }

    /// The position of `input` among the correlated inputs.
    pub fn slot(&self, input: CorrelatedInput) -> Option<usize> {
        self.inputs.iter().position(|i| *i == input)
    }
}

/// The Cholesky factor of a symmetric `k × k` matrix (row-major), or the first pivot row
/// where it is not positive semi-definite. Zero pivots (within 1e-12) are accepted: a
/// singular but semi-definite matrix (e.g. two inputs with correlation 1) factors with a zero
/// column.
pub fn cholesky(a: &[f64], k: usize) -> Result<Vec<f64>, usize> {
    let mut l = vec![0.0; k * k];
    for i in 0..k {
        for j in 0..=i {
            let mut s = a[i * k + j];
            for m in 0..j {
                s -= l[i * k + m] * l[j * k + m];
            }
            if i == j {
                if s < -1e-12 {
                    return Err(i);
                }
                l[i * k + i] = s.max(0.0).sqrt();
            } else if l[j * k + j] > 1e-12 {
                l[i * k + j] = s / l[j * k + j];
            } else if s.abs() > 1e-9 {
                return Err(i);
            }
        }
    }
    Ok(l)
}

impl super::Workflow {
    /// The values the correlated inputs are drawn at in a trial with factors `f`, by position
    /// in [`Factors::inputs`]: `D`, a prompt's tokens, or a phase's repeat count as drawn
    /// (before a difficulty exponent scales it: the correlation is between the draws; an
    /// exponent adds the dependence through `D` on top).
    pub fn correlated_values(&self, f: &TrialFactors, out: &mut Vec<f64>) {
        out.clear();
        let Some(factors) = &self.factors else {
            return;
        };
        for (j, input) in factors.inputs.iter().enumerate() {
            let v = match *input {
                CorrelatedInput::Difficulty => f.difficulty(),
                CorrelatedInput::SystemPrompt => {
                    self.agents[0].system_prompt.count_at(f.z[j]) as f64
                }
                CorrelatedInput::TaskPrompt => self.agents[0].task_prompt.count_at(f.z[j]) as f64,
                CorrelatedInput::Repeat(p) => match &self.phases[p].repeat {
                    super::Repeat::Times(count) => count.count_at(f.z[j]) as f64,
                    super::Repeat::UntilPass { .. } => f64::NAN,
                },
            };
            out.push(v);
        }
    }
}

impl super::Phase {
    /// A repeat count `n` drawn from `count`, scaled by the phase's difficulty link.
    #[inline]
    pub(crate) fn scaled_count(
        &self,
        count: &crate::dist::Sampler,
        n: u64,
        f: &TrialFactors,
    ) -> u64 {
        if self.difficulty == 0.0 {
            n
        } else {
            count.clamp_count(n as f64 * f.scale(self.difficulty))
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn cholesky_factors_and_refuses() {
        let a = [1.0, 0.5, 0.5, 1.0];
        let l = cholesky(&a, 2).unwrap();
        assert!((l[2] - 0.5).abs() < 1e-15 && (l[3] - 0.75f64.sqrt()).abs() < 1e-15);
        // Perfect correlation is semi-definite.
        assert!(cholesky(&[1.0, 1.0, 1.0, 1.0], 2).is_ok());
        // 0.9, 0.9, -0.9 is not.
        let bad = [1.0, 0.9, 0.9, 0.9, 1.0, -0.9, 0.9, -0.9, 1.0];
        assert_eq!(cholesky(&bad, 3), Err(2));
    }

    #[test]
    fn difficulty_links() {
        let f = TrialFactors {
            ln_difficulty: 2f64.ln(),
            ..TrialFactors::NONE
        };
        assert!((f.scale(1.0) - 2.0).abs() < 1e-12);
        assert!((f.scale(2.0) - 4.0).abs() < 1e-12);
        assert!((f.pass_probability(0.5, 1.0) - 0.25).abs() < 1e-12);
        assert_eq!(TrialFactors::NONE.pass_probability(0.3, 1.0), 0.3);
    }
}
