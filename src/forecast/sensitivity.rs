//! What drives the bill: for each uncertain input (a value drawn per forecast trial),
//!
//! - **one at a time**: the forecast rerun with that input pinned at its low and high quantile
//!   (default P10 and P90 of its own draws), every other input still uncertain, on the same
//!   seed (common random numbers); the swing of the outcome's P90 between the two runs ranks
//!   the inputs (the tornado);
//! - **rank correlation**: Spearman's ρ between the input's draws and the outcome over the base
//!   run's first [`super::streams::SAMPLE_TRIALS`] trials (a deterministic sample kept per trial; ties get
//!   average ranks), with its approximate standard error `(1 − ρ²)/√(K − 2)` (at most about
//!   `1/√(K − 1)` ≈ 0.007 for K = 20,000).
//!
//! The outcome is the total bill of one forecast year (`[sensitivity] year`, default 1); its
//! P90 is read from the streamed histogram of every trial (within
//! [`crate::stats::RELATIVE_ERROR`]). The low and high values of an input are the exact
//! quantiles of its draws in the sample.

use serde::Serialize;

use super::Forecast;
use super::outcome::quantile_sorted;
use super::simulate::{self, ForecastConfig, ForecastRun};
use crate::engine::EngineError;

/// One input's effect on the outcome.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct InputEffect {
    /// Dotted path of the input in the file.
    pub input: String,
    /// The name the file gives the input (`label = "..."`), if any.
    pub label: Option<String>,
    /// The input's low value (its low quantile).
    pub low_value: f64,
    /// Its high value.
    pub high_value: f64,
    /// The outcome's P90 with the input pinned low.
    pub outcome_p90_low: f64,
    /// The outcome's P90 with the input pinned high.
    pub outcome_p90_high: f64,
    /// `|high − low|`.
    pub swing: f64,
    /// Spearman rank correlation of the input's draws with the outcome.
    pub rank_correlation: f64,
    /// Its approximate standard error.
    pub rank_correlation_se: f64,
}

/// The sensitivity analysis.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Sensitivity {
    /// What the outcome is.
    pub outcome: String,
    /// The outcome's P90 in the base run.
    pub base_p90: f64,
    /// Quantiles used as low and high.
    pub low_high_quantiles: [f64; 2],
    /// Trials whose (input, outcome) pairs give the rank correlations: the first
    /// `min(trials, 20,000)`.
    pub rank_correlation_trials: u64,
    /// Largest standard error of a rank correlation from that many pairs, `1/√(K − 1)`.
    pub rank_correlation_se_max: f64,
    /// Inputs by swing, largest first.
    pub inputs: Vec<InputEffect>,
}

/// The index (0-based) of forecast year `year` (1-based) among `years` years, clipped to the
/// last.
pub fn year_index(year: u32, years: usize) -> usize {
    (year.max(1) as usize - 1).min(years.saturating_sub(1))
}

/// Ranks (1-based, ties averaged).
pub fn ranks(values: &[f64]) -> Vec<f64> {
    let mut idx: Vec<usize> = (0..values.len()).collect();
    idx.sort_by(|&a, &b| values[a].total_cmp(&values[b]));
    let mut out = vec![0.0; values.len()];
    let mut i = 0;
    while i < idx.len() {
        let mut j = i;
        while j + 1 < idx.len() && values[idx[j + 1]] == values[idx[i]] {
            j += 1;
        }
        let r = (i + j) as f64 / 2.0 + 1.0;
        for &k in &idx[i..=j] {
            out[k] = r;
        }
        i = j + 1;
    }
    out
}

/// Spearman's rank correlation (Pearson's on ranks); 0 when either side is constant.
pub fn spearman(x: &[f64], y: &[f64]) -> f64 {
    let (rx, ry) = (ranks(x), ranks(y));
    let n = rx.len() as f64;
    let (mx, my) = (rx.iter().sum::<f64>() / n, ry.iter().sum::<f64>() / n);
    let (mut sxy, mut sxx, mut syy) = (0.0, 0.0, 0.0);
    for (a, b) in rx.iter().zip(&ry) {
        sxy += (a - mx) * (b - my);
        sxx += (a - mx).powi(2);
        syy += (b - my).powi(2);
    }
    if sxx == 0.0 || syy == 0.0 {
        0.0
    } else {
        sxy / (sxx * syy).sqrt()
    }
}

/// The P90 of year `y`'s (0-based) total bill over every trial of `run`.
fn p90(run: &ForecastRun, y: usize) -> f64 {
    run.streams.yearly[y].quantile(0.9, false)
}

/// Runs the analysis; `base_run` is the forecast's run with `config`.
pub fn analyse(
    f: &Forecast,
    base_run: &ForecastRun,
    config: &ForecastConfig,
) -> Result<Sensitivity, EngineError> {
    let year = f.spec.sensitivity.year.unwrap_or(1);
    let [lo_q, hi_q] = f.spec.sensitivity.low_high.unwrap_or([0.1, 0.9]);
    let y = year_index(year, base_run.streams.years.len());
    let range = base_run.streams.years[y].clone();
    let sample = &base_run.sample;
    let outcome = sample.year(y);
    let n = sample.trials as usize;
    let mut inputs = Vec::new();
    for j in f.model.uncertain_inputs() {
        let draws = sample.input(j);
        let mut sorted = draws.clone();
        sorted.sort_by(f64::total_cmp);
        let (low, high) = (
            quantile_sorted(&sorted, lo_q),
            quantile_sorted(&sorted, hi_q),
        );
        let pinned = |value: f64| -> Result<f64, EngineError> {
            let mut model = f.model.headline_only();
            model.params[j] = model.params[j].pinned(value);
            let run = simulate::run(&model, config)?;
            Ok(p90(&run, y))
        };
        let (p_low, p_high) = (pinned(low)?, pinned(high)?);
        let rho = spearman(&draws, &outcome);
        inputs.push(InputEffect {
            input: f.model.params[j].path.clone(),
            label: f.model.params[j].label.clone(),
            low_value: low,
            high_value: high,
            outcome_p90_low: p_low,
            outcome_p90_high: p_high,
            swing: (p_high - p_low).abs(),
            rank_correlation: rho,
            rank_correlation_se: (1.0 - rho * rho) / ((n as f64 - 2.0).max(1.0)).sqrt(),
        });
    }
    inputs.sort_by(|a, b| b.swing.total_cmp(&a.swing));
    Ok(Sensitivity {
        outcome: format!(
            "total bill of {} (months {}–{})",
            match f.model.year_label(y) {
                l if l.starts_with("year") => format!("forecast {l}"),
                l => l,
            },
            range.start + 1,
            range.end
        ),
        base_p90: p90(base_run, y),
        low_high_quantiles: [lo_q, hi_q],
        rank_correlation_trials: sample.trials,
        rank_correlation_se_max: 1.0 / ((sample.trials as f64 - 1.0).max(1.0)).sqrt(),
        inputs,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ranks_average_ties_and_spearman_sees_monotone_relations() {
        assert_eq!(ranks(&[3.0, 1.0, 3.0, 2.0]), vec![3.5, 1.0, 3.5, 2.0]);
        let x = [1.0, 2.0, 3.0, 4.0, 5.0];
        let y = [1.0, 8.0, 27.0, 64.0, 125.0];
        assert!((spearman(&x, &y) - 1.0).abs() < 1e-12);
        let z = [5.0, 4.0, 3.0, 2.0, 1.0];
        assert!((spearman(&x, &z) + 1.0).abs() < 1e-12);
        assert_eq!(year_index(2, 2), 1);
        assert_eq!(year_index(3, 2), 1);
        assert_eq!(year_index(1, 1), 0);
    }
}
