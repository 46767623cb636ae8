//! The method of simulated moments (McFadden 1989; Pakes and Pollard 1989; Gouriéroux and
//! Monfort, *Simulation-Based Econometric Methods*, 1996, ch. 2), for models whose likelihood
//! has no closed form but which can be simulated: an agent loop seen only through task totals.
//!
//! Moments of per-task totals: the logs of the cost quantiles at [`LEVELS`]; with calls, the
//! logs of the quantiles of the calls (each count jittered by a fixed uniform in (−½, ½), so
//! that its quantiles move continuously: Machado and Santos Silva, "Quantiles for counts",
//! JASA 2005) and the least-squares slope of ln cost on ln calls; with outcomes, the success
//! share and the log of the ratio of the mean cost of failed tasks to that of successful ones.
//!
//! The estimate minimises `(m̂ − m(θ))ᵀ W (m̂ − m(θ))` by Nelder–Mead, where `m(θ)` is computed
//! on `S` simulated tasks with common random numbers (the same draws at every θ, so the
//! objective is a deterministic, nearly smooth function of θ) and `W = diag(1 / Var m̂)`, the
//! variances from a fixed-seed bootstrap of the data. Standard errors are the sandwich
//! `(1 + n/S) (GᵀWG)⁻¹ GᵀWΩWG (GᵀWG)⁻¹` with `Ω` the bootstrap covariance of `m̂`, `G` the
//! Jacobian of `m(θ)` by central differences (on the same draws), and `1 + n/S` the share of
//! the variance the simulation adds (`n` data tasks, `S` simulated).

use rand::RngExt;

use crate::engine::trial_rng;
use crate::stats::fit::optimize::{invert, nelder_mead};

/// Quantile levels of the cost and call moments.
pub const LEVELS: [f64; 6] = [0.1, 0.25, 0.5, 0.75, 0.9, 0.95];

/// Bootstrap resamples of the data moments.
pub const BOOTSTRAP: usize = 400;

/// Per-task totals as the moments read them.
#[derive(Debug, Clone, Default)]
pub struct Totals {
    /// Cost of each task, USD (positive).
    pub cost: Vec<f64>,
    /// Calls of each task, jittered (empty when unknown).
    pub calls: Vec<f64>,
    /// Success of each task (empty when unknown).
    pub success: Vec<bool>,
    /// Prompt tokens of each task (empty when the data have no token counts).
    pub prompt: Vec<f64>,
    /// Output tokens of each task (empty when the data have no token counts).
    pub output: Vec<f64>,
}

/// Which moments are used.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct MomentSet {
    /// Call quantiles and the cost–calls slope.
    pub calls: bool,
    /// The success share and the failed/successful cost ratio.
    pub outcomes: bool,
    /// Quantiles of the prompt and output tokens per task, the output share and (with calls)
    /// the slope of log output on log calls.
    pub tokens: bool,
}

/// Quantile levels of the token moments.
pub const TOKEN_LEVELS: [f64; 5] = [0.1, 0.25, 0.5, 0.75, 0.9];

impl MomentSet {
    /// The moments' names, for people.
    pub fn names(self) -> Vec<String> {
        let pct = |q: f64| format!("P{}", (q * 100.0).round());
        let mut v: Vec<String> = LEVELS
            .iter()
            .map(|&q| format!("cost {} (log)", pct(q)))
            .collect();
        if self.calls {
            v.extend(LEVELS.iter().map(|&q| format!("calls {} (log)", pct(q))));
            v.push("slope of log cost on log calls".into());
        }
        if self.outcomes {
            v.push("success share".into());
            v.push("failed/successful mean cost (log)".into());
        }
        if self.tokens {
            v.extend(
                TOKEN_LEVELS
                    .iter()
                    .map(|&q| format!("prompt tokens {} (log)", pct(q))),
            );
            v.extend(
                TOKEN_LEVELS
                    .iter()
                    .map(|&q| format!("output tokens {} (log)", pct(q))),
            );
            v.push("output/prompt tokens (log)".into());
            if self.calls {
                v.push("slope of log output on log calls".into());
            }
        }
        v
    }
}

/// A jitter in (−½, ½) for count `i` of a sample seeded `seed`: fixed, so the jittered
/// quantiles of the same counts are always the same.
pub fn jitter(seed: u64, i: u64) -> f64 {
    trial_rng(seed ^ 0x6a09_e667_f3bc_c908, i).random::<f64>() - 0.5
}

/// The quantile at `q` of sorted `v`, interpolated between order statistics (Hyndman and Fan
/// type 7), so that it moves continuously with the values.
fn quantile(sorted: &[f64], q: f64) -> f64 {
    let h = (sorted.len() - 1) as f64 * q;
    let lo = h.floor() as usize;
    let hi = (lo + 1).min(sorted.len() - 1);
    sorted[lo] + (h - lo as f64) * (sorted[hi] - sorted[lo])
}

/// The moments of `t` (the tasks `pick` selects, for a bootstrap resample; all when `None`).
pub fn moments(set: MomentSet, t: &Totals, pick: Option<&[usize]>) -> Vec<f64> {
    let all: Vec<usize>;
    let idx = match pick {
        Some(p) => p,
        None => {
            all = (0..t.cost.len()).collect();
            &all
        }
    };
    let mut out = Vec::with_capacity(16);
    let mut cost: Vec<f64> = idx.iter().map(|&i| t.cost[i]).collect();
    cost.sort_by(f64::total_cmp);
    out.extend(LEVELS.iter().map(|&q| quantile(&cost, q).max(1e-12).ln()));
    if set.calls {
        let mut calls: Vec<f64> = idx.iter().map(|&i| t.calls[i]).collect();
        calls.sort_by(f64::total_cmp);
        out.extend(LEVELS.iter().map(|&q| quantile(&calls, q).max(0.5).ln()));
        out.push(slope(idx, &t.calls, &t.cost));
    }
    if set.outcomes {
        let (mut ok, mut ok_cost, mut bad, mut bad_cost) = (0.0, 0.0, 0.0, 0.0);
        for &i in idx {
            if t.success[i] {
                ok += 1.0;
                ok_cost += t.cost[i];
            } else {
                bad += 1.0;
                bad_cost += t.cost[i];
            }
        }
        out.push(ok / idx.len() as f64);
        let ratio = if ok > 0.0 && bad > 0.0 && ok_cost > 0.0 && bad_cost > 0.0 {
            (bad_cost / bad / (ok_cost / ok)).ln()
        } else {
            0.0
        };
        out.push(ratio);
    }
    if set.tokens {
        for v in [&t.prompt, &t.output] {
            let mut x: Vec<f64> = idx.iter().map(|&i| v[i]).collect();
            x.sort_by(f64::total_cmp);
            out.extend(TOKEN_LEVELS.iter().map(|&q| quantile(&x, q).max(1.0).ln()));
        }
        let (p, o): (f64, f64) = idx
            .iter()
            .fold((0.0, 0.0), |(p, o), &i| (p + t.prompt[i], o + t.output[i]));
        out.push((o.max(1.0) / p.max(1.0)).ln());
        if set.calls {
            out.push(slope(idx, &t.calls, &t.output));
        }
    }
    out
}

/// The least-squares slope of ln `y` on ln `x` over the tasks `idx`.
fn slope(idx: &[usize], x: &[f64], y: &[f64]) -> f64 {
    let n = idx.len() as f64;
    let xy: Vec<(f64, f64)> = idx
        .iter()
        .map(|&i| (x[i].max(0.5).ln(), y[i].max(1e-12).ln()))
        .collect();
    let (mx, my) = (
        xy.iter().map(|p| p.0).sum::<f64>() / n,
        xy.iter().map(|p| p.1).sum::<f64>() / n,
    );
    let sxx: f64 = xy.iter().map(|p| (p.0 - mx).powi(2)).sum();
    let sxy: f64 = xy.iter().map(|p| (p.0 - mx) * (p.1 - my)).sum();
    if sxx > 0.0 { sxy / sxx } else { 0.0 }
}

/// The bootstrap covariance of the data moments ([`BOOTSTRAP`] resamples, seeded).
pub fn bootstrap_covariance(set: MomentSet, t: &Totals, seed: u64) -> Vec<Vec<f64>> {
    let n = t.cost.len();
    let draws: Vec<Vec<f64>> = (0..BOOTSTRAP as u64)
        .map(|b| {
            let mut rng = trial_rng(seed ^ 0xbb67_ae85_84ca_a73b, b);
            let pick: Vec<usize> = (0..n).map(|_| rng.random_range(0..n)).collect();
            moments(set, t, Some(&pick))
        })
        .collect();
    let k = draws[0].len();
    let mean: Vec<f64> = (0..k)
        .map(|j| draws.iter().map(|d| d[j]).sum::<f64>() / BOOTSTRAP as f64)
        .collect();
    let mut cov = vec![vec![0.0; k]; k];
    for d in &draws {
        for a in 0..k {
            for b in 0..k {
                cov[a][b] += (d[a] - mean[a]) * (d[b] - mean[b]) / (BOOTSTRAP - 1) as f64;
            }
        }
    }
    cov
}

/// The result of a fit.
#[derive(Debug, Clone, PartialEq)]
pub struct MomentFit {
    /// The estimate, in the fit's (transformed) coordinates.
    pub theta: Vec<f64>,
    /// Its covariance (sandwich), same coordinates; `None` when `GᵀWG` is singular (some
    /// parameter is not identified by the moments).
    pub covariance: Option<Vec<Vec<f64>>>,
    /// The data moments.
    pub data: Vec<f64>,
    /// Their bootstrap standard errors.
    pub data_se: Vec<f64>,
    /// The simulated moments at the estimate.
    pub fitted: Vec<f64>,
    /// The objective at the estimate.
    pub objective: f64,
    /// Objective evaluations spent.
    pub evaluations: usize,
}

/// Fits `simulate` (θ → simulated moments, with common random numbers) to `data` with
/// bootstrap covariance `omega`, from `start` with initial simplex `step`; `n` data tasks,
/// `s` simulated.
pub fn fit(
    data: &[f64],
    omega: &[Vec<f64>],
    simulate: impl Fn(&[f64]) -> Vec<f64>,
    start: &[f64],
    step: &[f64],
    n: usize,
    s: usize,
) -> MomentFit {
    let k = data.len();
    let w: Vec<f64> = (0..k).map(|j| 1.0 / omega[j][j].max(1e-12)).collect();
    let objective = |theta: &[f64]| -> f64 {
        let m = simulate(theta);
        let v: f64 = (0..k).map(|j| w[j] * (data[j] - m[j]).powi(2)).sum();
        if v.is_finite() { v } else { f64::MAX }
    };
    // Nelder–Mead, restarted twice from its best point with a smaller simplex (a simplex can
    // collapse on a ridge of a piecewise-smooth objective).
    let mut best = nelder_mead(objective, start, step, 1000);
    let mut evaluations = best.evaluations;
    for shrink in [0.4, 0.15] {
        let st: Vec<f64> = step.iter().map(|s| s * shrink).collect();
        let next = nelder_mead(objective, &best.x, &st, 400);
        evaluations += next.evaluations;
        if next.value <= best.value {
            best = next;
        }
    }
    let theta = best.x;
    let fitted = simulate(&theta);
    // Jacobian by central differences on the same draws.
    let p = theta.len();
    let h = 0.02;
    let mut g = vec![vec![0.0; p]; k];
    for i in 0..p {
        let mut up = theta.clone();
        let mut down = theta.clone();
        up[i] += h;
        down[i] -= h;
        let (mu, md) = (simulate(&up), simulate(&down));
        for j in 0..k {
            g[j][i] = (mu[j] - md[j]) / (2.0 * h);
        }
    }
    evaluations += 2 * p;
    let covariance = sandwich(&g, &w, omega, 1.0 + n as f64 / s as f64);
    MomentFit {
        theta,
        covariance,
        data: data.to_vec(),
        data_se: (0..k).map(|j| omega[j][j].sqrt()).collect(),
        fitted,
        objective: best.value,
        evaluations,
    }
}

/// `c (GᵀWG)⁻¹ GᵀWΩWG (GᵀWG)⁻¹` for diagonal `W`.
fn sandwich(g: &[Vec<f64>], w: &[f64], omega: &[Vec<f64>], c: f64) -> Option<Vec<Vec<f64>>> {
    let k = g.len();
    let p = g.first()?.len();
    let mut bread = vec![vec![0.0; p]; p];
    for a in 0..p {
        for b in 0..p {
            bread[a][b] = (0..k).map(|j| g[j][a] * w[j] * g[j][b]).sum();
        }
    }
    let inv = invert(&bread)?;
    // WG (k × p).
    let wg: Vec<Vec<f64>> = (0..k)
        .map(|j| (0..p).map(|a| w[j] * g[j][a]).collect())
        .collect();
    let mut meat = vec![vec![0.0; p]; p];
    for a in 0..p {
        for b in 0..p {
            let mut s = 0.0;
            for i in 0..k {
                for j in 0..k {
                    s += wg[i][a] * omega[i][j] * wg[j][b];
                }
            }
            meat[a][b] = s;
        }
    }
    let mut out = vec![vec![0.0; p]; p];
    for a in 0..p {
        for b in 0..p {
            let mut s = 0.0;
            for i in 0..p {
                for j in 0..p {
                    s += inv[a][i] * meat[i][j] * inv[j][b];
                }
            }
            out[a][b] = c * s;
        }
    }
    if (0..p).all(|i| out[i][i].is_finite() && out[i][i] >= 0.0) {
        Some(out)
    } else {
        None
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn quantiles_interpolate_between_order_statistics() {
        let v = [1.0, 2.0, 3.0, 4.0, 5.0];
        assert_eq!(quantile(&v, 0.5), 3.0);
        assert_eq!(quantile(&v, 0.1), 1.4);
        assert_eq!(quantile(&v, 1.0), 5.0);
    }

    #[test]
    fn a_linear_model_is_recovered_with_its_exact_sandwich() {
        // m(θ) = G θ with G the identity on two moments and an exact Ω: the estimate is the
        // data and the sandwich is Ω itself (times 1 + n/S).
        let data = [0.3, -1.2];
        let omega = vec![vec![0.04, 0.01], vec![0.01, 0.09]];
        let f = fit(
            &data,
            &omega,
            |t: &[f64]| t.to_vec(),
            &[0.0, 0.0],
            &[0.5, 0.5],
            100,
            100,
        );
        assert!((f.theta[0] - 0.3).abs() < 1e-6 && (f.theta[1] + 1.2).abs() < 1e-6);
        let c = f.covariance.unwrap();
        assert!((c[0][0] - 0.08).abs() < 1e-6, "{c:?}");
        assert!((c[0][1] - 0.02).abs() < 1e-6);
        assert!((c[1][1] - 0.18).abs() < 1e-6);
    }
}
