//! A period of a team's work (e.g. a month): how many tasks each seat runs and when, each task
//! one trial of the scenario's workflow. The result is a [`PeriodUsage`] that billing schemes
//! price (DESIGN.md §1: usage first, money after).
//!
//! Period `p` of a run with seed `s` draws from its own stream `trial_rng(s, p)`: first each
//! seat's task count (Poisson, or negative binomial for heavy and light users), then each
//! task's start slot (uniform over the working hours), then one word that seeds the tasks'
//! streams: task `j` (in seat order) runs on `trial_rng(word, j)`. Tasks are recorded in start
//! order (slot, then seat, then `j`). Nothing depends on threads.

use rand::RngExt;

use super::seed::trial_rng;
use crate::dist::{DistSpec, Family, NegativeBinomialSpec, PoissonSpec, Sampler};
use crate::pricing::PeriodUsage;
use crate::workflow::{TrialUsage, Workflow};

/// The team's workload over a period.
#[derive(Debug, Clone, PartialEq)]
pub struct Workload {
    /// Seats on the plan.
    pub seats: u32,
    /// Mean tasks per seat per period.
    pub tasks_per_seat: f64,
    /// Negative-binomial dispersion of per-seat task counts (`None`: Poisson).
    pub dispersion: Option<f64>,
    /// Working days per period.
    pub working_days: u32,
    /// Working hours per day.
    pub hours_per_day: u32,
}

impl Workload {
    /// Metering slots (working hours) per period.
    pub fn slots(&self) -> u32 {
        (self.working_days * self.hours_per_day).max(1)
    }

    /// The same workload with another mean of tasks per seat.
    pub fn with_tasks_per_seat(&self, tasks_per_seat: f64) -> Workload {
        Workload {
            tasks_per_seat,
            ..self.clone()
        }
    }

    /// The sampler of one seat's task count.
    pub fn task_count_sampler(&self) -> Sampler {
        if self.tasks_per_seat <= 0.0 {
            return Sampler::constant(0.0);
        }
        let family = match self.dispersion {
            None => Family::Poisson(PoissonSpec {
                mean: self.tasks_per_seat,
            }),
            Some(d) => Family::NegativeBinomial(NegativeBinomialSpec {
                mean: Some(self.tasks_per_seat),
                dispersion: Some(d),
                ..NegativeBinomialSpec::default()
            }),
        };
        let spec = DistSpec {
            family,
            ..DistSpec::fixed(0.0)
        };
        Sampler::compile(&spec)
            .unwrap_or_else(|_| Sampler::constant(self.tasks_per_seat.round()))
            .cap_counts(1_000_000)
    }
}

/// Reusable buffers for simulating periods on one worker.
#[derive(Debug)]
pub struct PeriodSimulator<'a> {
    workflow: &'a Workflow,
    workload: Workload,
    counts: Sampler,
    task_usage: TrialUsage,
    /// (slot, seat, task index) of the period's tasks.
    tasks: Vec<(u32, u32, u64)>,
}

impl<'a> PeriodSimulator<'a> {
    /// A simulator of `workload` periods running `workflow` tasks.
    pub fn new(workflow: &'a Workflow, workload: &Workload) -> Self {
        PeriodSimulator {
            workflow,
            workload: workload.clone(),
            counts: workload.task_count_sampler(),
            task_usage: TrialUsage::new(workflow.phase_count(), workflow.model_count()),
            tasks: Vec::new(),
        }
    }

    /// An empty period shaped for this workflow and workload.
    pub fn new_period(&self) -> PeriodUsage {
        PeriodUsage::new(
            self.workflow.model_count(),
            1 + self.workflow.extra_price_tiers(),
            self.workload.seats,
            self.workload.slots(),
        )
    }

    /// Simulates period `period` of a run with `seed` into `out` (cleared first).
    pub fn simulate(&mut self, seed: u64, period: u64, out: &mut PeriodUsage) {
        out.clear();
        self.tasks.clear();
        let mut rng = trial_rng(seed, period);
        let slots = self.workload.slots();
        let mut j = 0u64;
        for seat in 0..self.workload.seats {
            let n = self.counts.sample_count(&mut rng);
            for _ in 0..n {
                let slot = rng.random_range(0..slots);
                self.tasks.push((slot, seat, j));
                j += 1;
            }
        }
        let task_seed = rng.next_word();
        self.tasks.sort_unstable();
        for &(slot, seat, j) in &self.tasks {
            let mut task_rng = trial_rng(task_seed, j);
            self.workflow.run_trial(&mut task_rng, &mut self.task_usage);
            out.add_task(seat, slot, &self.task_usage);
        }
    }
}
