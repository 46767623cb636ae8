//! Break-even of a task scenario's schemes along any of its numbers (`compare --along PATH`):
//! a model's price, a parameter of a distribution of tokens, a `[workload]` or `[billing.NAME]`
//! value. Unlike tasks per seat and seats ([`super::compare::SweepAxis`]), which reuse the
//! comparison's pools, such an input changes the tasks themselves, so each value is a whole
//! comparison of its own: the caller compiles the scenario with the value and compares it.
//!
//! **Common random numbers.** Every value runs on the same seed, so its pools are simulated
//! from the same random streams: a price's value bills identical usage, a distribution's
//! parameter moves each draw monotonically (the same uniform through another inverse), and
//! every point's paired differences are those of the same simulated months. Each point's pair
//! difference has its batch-means SE (see [`super::compare`]); where the mean difference changes
//! sign, [`crate::stats::crossing`] places the crossing with its 95% test-inversion interval
//! ([`super::compare_break_even`]), as the forecast's break-even does
//! ([`crate::forecast::break_even`]), and the same refinement runs more points inside wide
//! brackets (secant and bisection; a step is bisected).

use super::compare::{AlongNames, Comparison, SweepPoint};
use super::compare_break_even::{PairBreakEven, break_even};
use super::period::Workload;
use crate::stats::crossing::{Crossing, REFINE_ROUNDS, refinement_points};

/// One point's comparison and the workload it ran.
pub struct InputPoint {
    /// The comparison at the value (without a sweep of its own).
    pub comparison: Comparison,
    /// Its workload.
    pub workload: Workload,
}

/// The sweep along an input and every pair's break-evens.
pub struct InputSweep {
    /// The points, by increasing value.
    pub points: Vec<SweepPoint>,
    /// Every pair's break-evens, in pair order.
    pub break_even: Vec<PairBreakEven>,
}

/// Runs `point` at every value of `values` (increasing), then refines the crossings; `names`
/// are the schemes in order, `integer` rounds refinement points to whole numbers.
pub fn sweep_input<E>(
    names: &[&str],
    axis: &AlongNames,
    values: &[f64],
    integer: bool,
    point: &mut dyn FnMut(f64) -> Result<InputPoint, E>,
) -> Result<InputSweep, E> {
    let mut points = Vec::with_capacity(values.len());
    for &x in values {
        points.push(sweep_point(x, point(x)?));
    }
    for _ in 0..REFINE_ROUNDS {
        let have: Vec<f64> = points.iter().map(|p| p.x).collect();
        let new = refinement_points(
            break_even(names, axis, &points)
                .iter()
                .flat_map(|b| b.crossings.iter())
                .map(|c| Crossing {
                    x: c.x,
                    low: c.low,
                    high: c.high,
                    bracket: c.bracket,
                    a_cheaper_below: true,
                    step: c.step,
                }),
            &have,
            integer,
        );
        if new.is_empty() {
            break;
        }
        for x in new {
            points.push(sweep_point(x, point(x)?));
        }
        points.sort_by(|a, b| a.x.total_cmp(&b.x));
    }
    let break_even = break_even(names, axis, &points);
    Ok(InputSweep { points, break_even })
}

fn sweep_point(x: f64, p: InputPoint) -> SweepPoint {
    SweepPoint {
        x,
        tasks_per_seat: p.workload.tasks_per_seat,
        seats: p.workload.seats,
        cost_usd: p
            .comparison
            .schemes
            .iter()
            .map(|s| super::compare::MeanSe {
                mean: s.cost_usd.mean,
                se: s.cost_usd.se,
            })
            .collect(),
        difference_usd: p
            .comparison
            .pairs
            .iter()
            .map(|d| d.difference_usd)
            .collect(),
    }
}

impl Comparison {
    /// The comparison with its break-even sweep along `axis` (currently `current`) replaced by
    /// `sweep`.
    pub fn with_input_sweep(mut self, axis: AlongNames, current: f64, sweep: InputSweep) -> Self {
        self.along = axis.path.clone();
        self.along_names = axis;
        self.along_current = current;
        self.sweep = sweep.points;
        self.break_even = sweep.break_even;
        self
    }
}
