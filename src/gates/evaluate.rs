//! Reading a gate's statistic, with its confidence interval, off a finished run: a task
//! scenario's merged aggregates ([`crate::Simulation`]) or a forecast's streamed summaries
//! ([`crate::forecast::ForecastRun`]).

use serde::Serialize;

use super::{Gate, Statistic, Target, YearRef};
use crate::Simulation;
use crate::engine::Scope;
use crate::forecast::calendar::YearMonth;
use crate::forecast::{Forecast, ForecastRun};
use crate::stats::{DistAccumulator, Moments, QuantileSketch};

/// A statistic as read off a run.
#[derive(Debug, Clone, Copy, PartialEq, Serialize)]
pub struct Reading {
    /// The value.
    pub value: f64,
    /// Its confidence interval at the check's level; `None` when the value is exact for the
    /// trials run (minimum, maximum, standard deviation, a metric that is always 0).
    pub interval: Option<(f64, f64)>,
    /// Trials it was read from.
    pub trials: u64,
}

/// Ranks (1-based, within `1..=n`) of the order statistics bounding the `q`-quantile at `z`.
fn rank_interval(n: u64, q: f64, z: f64) -> (u64, u64) {
    let nf = n as f64;
    let half = z * (nf * q * (1.0 - q)).sqrt();
    let lo = (nf * q - half).floor().max(1.0) as u64;
    let hi = ((nf * q + half).ceil() as u64).clamp(1, n.max(1));
    (lo.min(n.max(1)), hi)
}

fn mean_reading(m: &Moments, z: f64) -> Reading {
    let se = m.se();
    Reading {
        value: m.mean,
        interval: Some((m.mean - z * se, m.mean + z * se)),
        trials: m.n,
    }
}

/// Wilson's score interval for `k` successes in `n` trials.
fn wilson(k: u64, n: u64, z: f64) -> Reading {
    let (kf, nf) = (k as f64, n as f64);
    let p = kf / nf;
    let z2 = z * z;
    let centre = (p + z2 / (2.0 * nf)) / (1.0 + z2 / nf);
    let half = z / (1.0 + z2 / nf) * (p * (1.0 - p) / nf + z2 / (4.0 * nf * nf)).sqrt();
    Reading {
        value: p,
        interval: Some(((centre - half).max(0.0), (centre + half).min(1.0))),
        trials: n,
    }
}

/// A percentile off a sketch, clamped to the exact `[min, max]` (so a constant metric reads
/// exactly, not within the histogram's relative error).
fn sketch_reading(sketch: &QuantileSketch, m: &Moments, q: f64, integers: bool, z: f64) -> Reading {
    let n = sketch.count();
    let (lo, hi) = rank_interval(n, q, z);
    let v = sketch.values_at_ranks(&[sketch.quantile_rank(q), lo, hi], integers);
    let [value, lo, hi] = [0, 1, 2].map(|i| v[i].unwrap_or(f64::NAN).clamp(m.min, m.max));
    Reading {
        value,
        interval: Some((lo, hi)),
        trials: n,
    }
}

fn accumulator_reading(acc: &DistAccumulator, statistic: Statistic, z: f64) -> Reading {
    let m = &acc.moments;
    let exact = |value| Reading {
        value,
        interval: None,
        trials: m.n,
    };
    match statistic {
        Statistic::Mean => mean_reading(m, z),
        Statistic::Sd => exact(m.sd()),
        Statistic::Min => exact(m.min),
        Statistic::Max => exact(m.max),
        Statistic::Percentile(q) => {
            let n = acc.count();
            let (lo, hi) = rank_interval(n, q, z);
            // A probability just below rank r / n reads rank r exactly (nearest rank).
            let at = |r: u64| (r as f64 - 0.5) / n as f64;
            let v = acc.quantiles(&[q, at(lo), at(hi)], false);
            Reading {
                value: v[0],
                interval: Some((v[1], v[2])),
                trials: n,
            }
        }
        Statistic::SuccessRate | Statistic::CostPerSuccess | Statistic::POverBudget => {
            unreachable!("parse_gate gives forecast bills no task statistic")
        }
    }
}

/// Reads `gate` off a task scenario's run at normal quantile `z`.
pub fn evaluate_run(gate: &Gate, sim: &Simulation, z: f64) -> Result<Reading, String> {
    let result = &sim.result;
    match (&gate.target, gate.statistic) {
        (_, Statistic::SuccessRate) => Ok(wilson(result.successes, result.trials, z)),
        (_, Statistic::CostPerSuccess) => {
            let e = sim.summary.cost_per_success_usd;
            Ok(Reading {
                value: e.mean,
                interval: Some((e.mean - z * e.se, e.mean + z * e.se)),
                trials: result.trials,
            })
        }
        (Target::Metric(name), statistic) => {
            let Some(i) = result.layout.index_of(Scope::Total, name) else {
                // Not recorded: the workflow cannot make it non-zero, so it is 0 in every trial.
                return Ok(Reading {
                    value: 0.0,
                    interval: None,
                    trials: result.trials,
                });
            };
            let (m, sketch) = (&result.moments[i], &result.sketches[i]);
            let exact = |value| Reading {
                value,
                interval: None,
                trials: m.n,
            };
            Ok(match statistic {
                Statistic::Mean => mean_reading(m, z),
                Statistic::Sd => exact(m.sd()),
                Statistic::Min => exact(m.min),
                Statistic::Max => exact(m.max),
                Statistic::Percentile(q) => {
                    sketch_reading(sketch, m, q, result.layout.defs[i].integer, z)
                }
                _ => return Err(format!("`{}` takes no metric", gate.statistic.label())),
            })
        }
        _ => Err(format!(
            "gate `{}` is a forecast's gate; `{}` is a task scenario",
            gate.text, sim.summary.scenario
        )),
    }
}

/// The forecast's month labels.
fn month_labels(forecast: &Forecast, months: usize) -> Vec<String> {
    let start = YearMonth::parse(&forecast.spec.forecast.start).unwrap_or(YearMonth {
        year: 1970,
        month: 1,
    });
    (0..months)
        .map(|m| start.plus(m as u32).to_string())
        .collect()
}

/// Index of the forecast year a gate names (0-based), with the labels it may take.
fn year_index(forecast: &Forecast, run: &ForecastRun, year: YearRef) -> Result<usize, String> {
    let years = run.streams.yearly.len();
    let labels = month_labels(forecast, run.months);
    let ranges = &run.streams.years;
    let first_month = |y: usize| &labels[ranges[y].start.min(labels.len().saturating_sub(1))];
    let found = match year {
        YearRef::Index(i) => (i >= 1 && i <= years).then(|| i - 1),
        YearRef::Calendar(c) => {
            (0..years).find(|&y| first_month(y).starts_with(&format!("{c:04}-")))
        }
    };
    found.ok_or_else(|| {
        let names: Vec<String> = (0..years)
            .map(|y| {
                format!(
                    "`{}` or `year{}` ({} to {})",
                    &first_month(y)[..4],
                    y + 1,
                    first_month(y),
                    labels[ranges[y].end.min(labels.len()) - 1]
                )
            })
            .collect();
        format!(
            "this forecast has no year {}: its years are {}",
            match year {
                YearRef::Index(i) => format!("{i}"),
                YearRef::Calendar(c) => format!("{c}"),
            },
            names.join(", ")
        )
    })
}

fn month_index(forecast: &Forecast, run: &ForecastRun, month: &str) -> Result<usize, String> {
    let labels = month_labels(forecast, run.months);
    labels.iter().position(|l| l == month).ok_or_else(|| {
        format!(
            "this forecast has no month {month}: it runs from {} to {}",
            labels.first().map_or("?", String::as_str),
            labels.last().map_or("?", String::as_str)
        )
    })
}

/// Reads `gate` off a forecast's run at normal quantile `z`.
pub fn evaluate_forecast(
    gate: &Gate,
    forecast: &Forecast,
    run: &ForecastRun,
    z: f64,
) -> Result<Reading, String> {
    let streams = &run.streams;
    let names: Vec<&str> = forecast
        .model
        .schemes
        .iter()
        .map(|s| s.name.as_str())
        .collect();
    let scheme = match &gate.scheme {
        None => None,
        Some(s) => match names.iter().position(|n| n == s) {
            Some(i) => Some(i),
            None if s == "basic" || s == "headline" => None,
            None => {
                let hint = crate::text::did_you_mean(s, names.iter().copied())
                    .map(|n| format!(" (did you mean `{n}`?)"))
                    .unwrap_or_default();
                return Err(format!(
                    "no billing scheme `{s}` in this forecast: its schemes are {}{hint}",
                    if names.is_empty() {
                        "none (only the headline bill)".to_string()
                    } else {
                        crate::text::backticked(names.iter().copied())
                    }
                ));
            }
        },
    };
    let schemes = names.len();
    if gate.statistic == Statistic::POverBudget {
        let (budgets, i, what) = match &gate.target {
            Target::Year(y) => (
                &streams.annual_budget,
                year_index(forecast, run, *y)?,
                "an annual budget (`[budget] annual`)",
            ),
            Target::Month(m) => (
                &streams.monthly_budget,
                month_index(forecast, run, m)?,
                "a monthly budget (`[budget] monthly`)",
            ),
            _ => return Err("budgets are monthly or annual: name a year or a month".into()),
        };
        let b = budgets
            .get(i)
            .ok_or_else(|| format!("gate `{}` needs {what}, and the file sets none", gate.text))?;
        return Ok(wilson(b.over, run.trials, z));
    }
    let acc = match (&gate.target, scheme) {
        (Target::Total, None) => &streams.total,
        (Target::Total, Some(s)) => &streams.scheme_total[s],
        (Target::Year(y), s) => {
            let y = year_index(forecast, run, *y)?;
            match s {
                None => &streams.yearly[y],
                Some(s) => &streams.scheme_yearly[y * schemes + s],
            }
        }
        (Target::Month(m), s) => {
            let m = month_index(forecast, run, m)?;
            match s {
                None => &streams.monthly[m][crate::forecast::streams::Series::Bill as usize],
                Some(s) => &streams.scheme_monthly[m * schemes + s],
            }
        }
        _ => {
            return Err(format!(
                "gate `{}` is a task scenario's gate; this file is a forecast",
                gate.text
            ));
        }
    };
    Ok(accumulator_reading(acc, gate.statistic, z))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn wilson_matches_a_hand_computation() {
        // k = 0 of n = 100 at z = 1.96: upper bound z²/(n + z²) = 3.8416/103.8416 = 0.036995.
        let r = wilson(0, 100, 1.96);
        let (lo, hi) = r.interval.unwrap();
        assert_eq!(r.value, 0.0);
        assert!(lo.abs() < 1e-15);
        assert!((hi - 0.036_995).abs() < 1e-6, "{hi}");
        // k = 50 of 100: centre 0.5, half-width z √(0.0025 + z²/40000) / (1 + z²/100).
        let r = wilson(50, 100, 1.96);
        let (lo, hi) = r.interval.unwrap();
        let half = 1.96 * (0.0025f64 + 1.96 * 1.96 / 40_000.0).sqrt() / (1.0 + 1.96 * 1.96 / 100.0);
        assert!((hi - 0.5 - half).abs() < 1e-12 && (0.5 - lo - half).abs() < 1e-12);
    }

    #[test]
    fn rank_intervals_stay_within_the_sample() {
        assert_eq!(rank_interval(1, 0.99, 1.96), (1, 1));
        let (lo, hi) = rank_interval(10_000, 0.95, 1.96);
        // 9,500 ∓ 1.96 √475 = 9,500 ∓ 42.7.
        assert_eq!((lo, hi), (9457, 9543));
        assert_eq!(rank_interval(100, 0.999, 3.0).1, 100);
    }
}
