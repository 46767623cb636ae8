//! Per-scheme summaries of a forecast: each `[billing.NAME]` scheme's monthly bill
//! distribution (streamed over every trial, percentiles within the histogram's relative error),
//! its yearly and whole-horizon totals, and
//! the means of what the scheme did (fixed charges, overage, unused commitment, work not done,
//! units, utilisation).

use serde::Serialize;

use super::budget_outcome::Probability;
use super::model::{ForecastModel, Headline};
use super::outcome::Dist;
use super::simulate::ForecastRun;
use super::streams::PairedAccumulator;

/// One month of one scheme.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct SchemeMonth {
    /// Month number, 1-based.
    pub month: usize,
    /// The month's bill.
    pub bill: Dist,
    /// Mean fixed charges (seat fees, commitment, reserved compute: FOCUS `Purchase`).
    pub fixed_mean: f64,
    /// Mean billed beyond an allowance, commitment or capacity.
    pub overage_mean: f64,
    /// Mean commitment paid for but unused.
    pub unused_commitment_mean: f64,
    /// Mean list value of work not done (throttled, capped or dropped).
    pub not_done_list_mean: f64,
    /// Mean units provisioned (compute hours) or consumption units billed (tokens).
    pub units_mean: f64,
    /// Mean utilisation of provisioned capacity (compute hours).
    pub utilisation_mean: f64,
    /// Units provisioned this month when sized to a peak percentile.
    pub provisioned_units: Option<u64>,
}

/// A scheme against the headline bill over one period (a month, a year, the horizon), paired
/// trial by trial on the same simulated months.
#[derive(Debug, Clone, Copy, PartialEq, Serialize)]
pub struct Versus {
    /// Mean of `scheme − headline` (positive: the scheme costs more).
    pub mean_difference: f64,
    /// Standard error of that mean.
    pub se: f64,
    /// Share of trials in which the scheme costs less than the headline, with its SE.
    pub p_cheaper: Probability,
}

impl Versus {
    /// The first of the accumulator's two bills against the second.
    pub fn of(a: &PairedAccumulator, trials: u64) -> Versus {
        Versus {
            mean_difference: a.difference.mean,
            se: a.difference.se(),
            p_cheaper: Probability::of(a.cheaper, trials),
        }
    }

    /// The second of the accumulator's two bills against the first.
    pub fn reversed(a: &PairedAccumulator, trials: u64) -> Versus {
        Versus {
            mean_difference: -a.difference.mean,
            se: a.difference.se(),
            p_cheaper: Probability::of(a.costlier, trials),
        }
    }
}

/// A scheme against the headline bill: per month, per forecast year and over the horizon.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct VersusHeadline {
    /// Month by month.
    pub monthly: Vec<Versus>,
    /// Forecast year by year.
    pub years: Vec<Versus>,
    /// The whole horizon.
    pub total: Versus,
}

/// One scheme over the forecast.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct SchemeSummary {
    /// The `[billing.NAME]` name.
    pub name: String,
    /// Kind (`tokens`, `seats`, `commitment`, `compute_hours`).
    pub kind: &'static str,
    /// Whether it is the headline bill.
    pub headline: bool,
    /// Month by month.
    pub monthly: Vec<SchemeMonth>,
    /// Each forecast year's total.
    pub years: Vec<Dist>,
    /// The whole horizon's total.
    pub total: Dist,
    /// Against the headline bill, trial by trial (absent for the headline itself).
    pub versus_headline: Option<VersusHeadline>,
}

/// Summaries of every named scheme of a run.
pub fn summarise(model: &ForecastModel, run: &ForecastRun) -> Vec<SchemeSummary> {
    let (months, n, trials) = (run.months, run.schemes, run.trials as usize);
    let streams = &run.streams;
    let per = |x: f64| x / trials.max(1) as f64;
    model
        .schemes
        .iter()
        .enumerate()
        .map(|(s, scheme)| {
            let monthly = (0..months)
                .map(|m| {
                    let d = &run.scheme_details[m * n + s];
                    SchemeMonth {
                        month: m + 1,
                        bill: Dist::streamed(&streams.scheme_monthly[m * n + s], false),
                        fixed_mean: per(d.fixed),
                        overage_mean: per(d.overage),
                        unused_commitment_mean: per(d.unused_commitment),
                        not_done_list_mean: per(d.throttled_list),
                        units_mean: per(d.units),
                        utilisation_mean: per(d.utilisation),
                        provisioned_units: run.provisioned.get(s).and_then(|u| u.get(m)).copied(),
                    }
                })
                .collect();
            SchemeSummary {
                name: scheme.name.clone(),
                kind: scheme.scheme.kind(),
                headline: model.headline == Headline::Scheme(s),
                monthly,
                years: (0..streams.years.len())
                    .map(|y| Dist::streamed(&streams.scheme_yearly[y * n + s], false))
                    .collect(),
                total: Dist::streamed(&streams.scheme_total[s], false),
                versus_headline: (model.headline != Headline::Scheme(s)).then(|| VersusHeadline {
                    monthly: (0..months)
                        .map(|m| Versus::of(&streams.versus_monthly[m * n + s], run.trials))
                        .collect(),
                    years: (0..streams.years.len())
                        .map(|y| Versus::of(&streams.versus_yearly[y * n + s], run.trials))
                        .collect(),
                    total: Versus::of(&streams.versus_total[s], run.trials),
                }),
            }
        })
        .collect()
}
