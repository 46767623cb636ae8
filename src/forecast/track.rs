//! A forecast against what then happened: the actual monthly spend read from a plain CSV
//! (`month,cost`) or a FOCUS billing export, each month's actual against the forecast's band
//! (its rank among the simulated futures, flagged outside P5–P95), and the rest of the horizon
//! forecast again **conditioned on the months seen**.
//!
//! The conditioning weighs every simulated future by how close its months are to the actual
//! ones: `w_i = exp(−Σ_m (ln(1 + a_m) − ln(1 + b_im))² / (2h²))` over the months seen `m`
//! (a Gaussian kernel on the log bill, approximate Bayesian computation by kernel weighting,
//! Beaumont, Zhang & Balding 2002). The bandwidth `h` is the smallest of 1%, 2%, 4%, … 256%
//! that leaves at least [`MIN_EFFECTIVE`] effective trials (`(Σw)² / Σw²`, Kish). Futures whose
//! adoption, usage and prices match the months seen carry the weight, so the rest of the year
//! follows the organisation's real level and not the forecast's prior. Weighted means carry the
//! standard error `√(Σ w²(x − x̄)²) / Σ w`; weighted percentiles are the smallest values whose
//! cumulative weight reaches the level.

use serde::Serialize;

use super::ForecastRun;
use super::model::ForecastModel;

/// Effective trials the bandwidth must leave, or a tenth of the trials if fewer.
pub const MIN_EFFECTIVE: f64 = 500.0;

/// One month of actual spend.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Actual {
    /// Forecast month index (0-based).
    pub month: usize,
    /// `YYYY-MM`.
    pub period: String,
    /// Spend in the forecast's currency.
    pub cost: f64,
}

/// Reads actual monthly spend from `text` (file `name`): a CSV with a `month` column
/// (`YYYY-MM`) and a `cost` column (other columns ignored), or a FOCUS export (columns
/// `ChargePeriodStart` and `BilledCost`, summed per month). Months must run on from the
/// forecast's first month without a gap, within its horizon.
pub fn read_actuals(name: &str, text: &str, model: &ForecastModel) -> Result<Vec<Actual>, String> {
    let months = model.months();
    let sums = super::monthly_costs::read_monthly_costs(
        name,
        text,
        model.start,
        months,
        super::monthly_costs::Outside::Refuse("the forecast"),
    )?
    .sums;
    let seen = sums.iter().take_while(|s| s.is_some()).count();
    if seen == 0 {
        return Err(format!(
            "{name}: expected the actual spend of {} (the forecast's first month) at least, found {}",
            model.start,
            if sums.iter().any(Option::is_some) {
                "later months only"
            } else {
                "no months"
            }
        ));
    }
    if let Some(gap) = sums[seen..].iter().position(Option::is_some) {
        return Err(format!(
            "{name}: expected the months to run on without a gap from {}, found {} missing \
             before {}",
            model.start,
            model.start.plus(seen as u32),
            model.start.plus((seen + gap) as u32)
        ));
    }
    Ok(sums[..seen]
        .iter()
        .enumerate()
        .map(|(m, s)| Actual {
            month: m,
            period: model.start.plus(m as u32).to_string(),
            cost: s.unwrap_or(0.0),
        })
        .collect())
}

/// A distribution over the simulated futures, each weighted.
#[derive(Debug, Clone, Copy, PartialEq, Serialize)]
pub struct Weighted {
    /// Weighted mean.
    pub mean: f64,
    /// Its standard error.
    pub se: f64,
    /// Weighted percentiles.
    pub p5: f64,
    /// See `p5`.
    pub p10: f64,
    /// See `p5`.
    pub p25: f64,
    /// See `p5`.
    pub p50: f64,
    /// See `p5`.
    pub p75: f64,
    /// See `p5`.
    pub p90: f64,
    /// See `p5`.
    pub p95: f64,
}

impl Weighted {
    /// The distribution of `values` under `weights` (same length, weights ≥ 0, some > 0).
    pub fn of(values: &[f64], weights: &[f64]) -> Weighted {
        let total: f64 = weights.iter().sum();
        let mean = values.iter().zip(weights).map(|(x, w)| x * w).sum::<f64>() / total;
        let se = values
            .iter()
            .zip(weights)
            .map(|(x, w)| (w * (x - mean)).powi(2))
            .sum::<f64>()
            .sqrt()
            / total;
        let mut order: Vec<usize> = (0..values.len()).collect();
        order.sort_by(|&a, &b| values[a].total_cmp(&values[b]).then(a.cmp(&b)));
        let q = |level: f64| {
            let mut acc = 0.0;
            for &i in &order {
                acc += weights[i];
                if acc >= level * total {
                    return values[i];
                }
            }
            values[*order.last().expect("values")]
        };
        Weighted {
            mean,
            se,
            p5: q(0.05),
            p10: q(0.10),
            p25: q(0.25),
            p50: q(0.50),
            p75: q(0.75),
            p90: q(0.90),
            p95: q(0.95),
        }
    }
}

/// Where an actual month falls in the forecast's band.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Band {
    /// Below the forecast's P5.
    Below,
    /// Between P5 and P95.
    Within,
    /// Above P95.
    Above,
}

/// One month of the horizon.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct TrackMonth {
    /// `YYYY-MM`.
    pub period: String,
    /// The actual spend, for the months seen.
    pub actual: Option<f64>,
    /// The forecast as it was (every future weighing the same).
    pub forecast: Weighted,
    /// The share of simulated futures whose bill was at most the actual (its rank).
    pub rank: Option<f64>,
    /// Where the actual falls.
    pub band: Option<Band>,
    /// For the months not seen: the forecast conditioned on the months seen.
    pub conditioned: Option<Weighted>,
}

/// One forecast year: what was spent in the months seen, and the year's total as forecast and
/// as conditioned (actuals plus the conditioned rest).
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct TrackYear {
    /// How people name it.
    pub label: String,
    /// Months of it seen.
    pub months_seen: usize,
    /// Months in it.
    pub months: usize,
    /// Actual spend so far.
    pub actual_so_far: f64,
    /// The year's total as forecast.
    pub forecast: Weighted,
    /// The year's total: actuals so far plus the rest conditioned on them.
    pub conditioned: Weighted,
}

/// The forecast against its actuals.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Track {
    /// Forecast name.
    pub scenario: String,
    /// Trials behind every figure.
    pub trials: u64,
    /// Seed.
    pub seed: u64,
    /// Months seen.
    pub months_seen: usize,
    /// Months outside the forecast's P5–P95.
    pub months_outside: usize,
    /// The kernel's bandwidth on the log bill.
    pub bandwidth: f64,
    /// Effective trials under the weights (Kish).
    pub effective_trials: f64,
    /// Every month of the horizon.
    pub monthly: Vec<TrackMonth>,
    /// Every forecast year.
    pub years: Vec<TrackYear>,
    /// The method, in words.
    pub method: &'static str,
}

/// The method statement.
pub const TRACK_METHOD: &str = "each actual month against the forecast's simulated futures (its \
rank: the share of futures at most the actual; outside when below P5 or above P95); the rest \
conditioned on the months seen by weighting every future with a Gaussian kernel on the log bill \
of each month seen (approximate Bayesian computation), the bandwidth the smallest of 1%, 2%, 4%, \
... that leaves at least 500 effective trials (or a tenth of the trials)";

/// Tracks `run` (every trial recorded) of `model` against `actuals`.
pub fn track(name: &str, model: &ForecastModel, run: &ForecastRun, actuals: &[Actual]) -> Track {
    let months = run.months;
    let n = run.bill.len() / months.max(1);
    let bill = |t: usize, m: usize| run.bill[t * months + m];
    let ones = vec![1.0; n];
    let distance: Vec<f64> = (0..n)
        .map(|t| {
            actuals
                .iter()
                .map(|a| ((1.0 + a.cost).ln() - (1.0 + bill(t, a.month).max(0.0)).ln()).powi(2))
                .sum()
        })
        .collect();
    let want = MIN_EFFECTIVE.min(n as f64 / 10.0).max(1.0);
    let mut bandwidth = 0.01;
    let mut weights;
    // Relative to the closest future, so that far actuals do not underflow every weight.
    let nearest = distance.iter().copied().fold(f64::INFINITY, f64::min);
    loop {
        let scale = 2.0 * bandwidth * bandwidth;
        weights = distance
            .iter()
            .map(|d| (-(d - nearest) / scale).exp())
            .collect::<Vec<f64>>();
        if effective(&weights) >= want || bandwidth >= 2.56 {
            break;
        }
        bandwidth *= 2.0;
    }
    let seen = actuals.len();
    let mut outside = 0;
    let monthly: Vec<TrackMonth> = (0..months)
        .map(|m| {
            let values: Vec<f64> = (0..n).map(|t| bill(t, m)).collect();
            let forecast = Weighted::of(&values, &ones);
            let actual = actuals.get(m).map(|a| a.cost);
            let band = actual.map(|a| {
                if a < forecast.p5 {
                    Band::Below
                } else if a > forecast.p95 {
                    Band::Above
                } else {
                    Band::Within
                }
            });
            outside += usize::from(matches!(band, Some(Band::Below | Band::Above)));
            TrackMonth {
                period: model.start.plus(m as u32).to_string(),
                actual,
                rank: actual.map(|a| values.iter().filter(|&&v| v <= a).count() as f64 / n as f64),
                band,
                forecast,
                conditioned: (m >= seen).then(|| Weighted::of(&values, &weights)),
            }
        })
        .collect();
    let years = model
        .years()
        .iter()
        .enumerate()
        .map(|(y, range)| {
            let so_far: f64 = actuals
                .iter()
                .filter(|a| range.contains(&a.month))
                .map(|a| a.cost)
                .sum();
            let totals: Vec<f64> = (0..n)
                .map(|t| range.clone().map(|m| bill(t, m)).sum())
                .collect();
            let conditioned: Vec<f64> = (0..n)
                .map(|t| {
                    so_far
                        + range
                            .clone()
                            .filter(|&m| m >= seen)
                            .map(|m| bill(t, m))
                            .sum::<f64>()
                })
                .collect();
            TrackYear {
                label: model.year_label(y),
                months_seen: range.clone().filter(|&m| m < seen).count(),
                months: range.len(),
                actual_so_far: so_far,
                forecast: Weighted::of(&totals, &ones),
                conditioned: Weighted::of(&conditioned, &weights),
            }
        })
        .collect();
    Track {
        scenario: name.to_string(),
        trials: run.trials,
        seed: run.seed,
        months_seen: seen,
        months_outside: outside,
        bandwidth,
        effective_trials: effective(&weights),
        monthly,
        years,
        method: TRACK_METHOD,
    }
}

/// Kish's effective sample size.
fn effective(w: &[f64]) -> f64 {
    let s: f64 = w.iter().sum();
    let s2: f64 = w.iter().map(|x| x * x).sum();
    if s2 > 0.0 { s * s / s2 } else { 0.0 }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn weighted_percentiles_and_mean() {
        let v = [1.0, 2.0, 3.0, 4.0];
        let w = Weighted::of(&v, &[1.0; 4]);
        assert_eq!((w.mean, w.p50, w.p95), (2.5, 2.0, 4.0));
        // All the weight on 3: every percentile is 3, no error.
        let w = Weighted::of(&v, &[0.0, 0.0, 1.0, 0.0]);
        assert_eq!((w.mean, w.se, w.p5, w.p95), (3.0, 0.0, 3.0, 3.0));
        assert_eq!(effective(&[1.0, 1.0, 0.0]), 2.0);
    }
}
