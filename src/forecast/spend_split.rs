//! The bill split by task kind and by model, streamed over every trial (memory does not grow
//! with the trial count).
//!
//! **By task kind**: a month's usage charges of each kind of the mix, as the trial bills them
//! ([`super::model::ForecastModel::bill_month`], or a named headline scheme's usage shared among
//! kinds in proportion to their list cost). Fixed charges (seat fees, commitments, reserved
//! compute) belong to no kind and are a part of their own, so that for every trial and month
//! `Σ kinds + fixed = bill`, and the means add up the same way.
//!
//! **By model**: each kind's usage charges are shared among the models of its task scenario in
//! proportion to the model's share of the kind's mean list cost per task in the task pool
//! ([`super::pool::ModelMeans`]); a model used by several kinds sums its parts. The split of
//! every trial adds up to its usage charges exactly, so the means of the parts add up to the mean
//! bill; a model's percentiles treat each kind's model shares as fixed (over a month's many
//! tasks, a kind's realised model shares stay close to their means).
//!
//! Each part is streamed into a [`DistAccumulator`] per month and per forecast year, in trial
//! order, like every other series ([`super::streams`]).

use std::ops::Range;

use super::model::ForecastModel;
use super::simulate::ForecastRun;
use crate::stats::DistAccumulator;

/// The method statement printed in every summary.
pub const SPLIT_METHOD: &str = "by task kind: each kind's usage charges as billed; by model: \
each kind's usage charges shared among its task scenario's models in proportion to their share \
of the kind's mean list cost per task in the task pool; fixed charges (seat fees, commitments, \
reserved compute) are a part of their own, so the parts of every trial add up to its bill";

/// The parts the bill is split into and their streamed distributions.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct SpendSplit {
    /// Months per trial.
    pub months: usize,
    /// Task kinds, in mix order.
    pub kinds: usize,
    /// Model names, in order of first appearance in the mix.
    pub models: Vec<String>,
    /// Each kind's share going to each model, `[kind * models + model]` (each kind's row sums
    /// to 1).
    pub shares: Vec<f64>,
    /// The forecast years, as month ranges.
    pub years: Vec<Range<usize>>,
    /// Per month and kind, `[month * kinds + kind]`, the kind's usage charges.
    pub task_monthly: Vec<DistAccumulator>,
    /// Per month and model, `[month * models + model]`, the model's usage charges.
    pub model_monthly: Vec<DistAccumulator>,
    /// Per year and kind, `[year * kinds + kind]`.
    pub task_yearly: Vec<DistAccumulator>,
    /// Per year and model, `[year * models + model]`.
    pub model_yearly: Vec<DistAccumulator>,
    /// Per year, the fixed charges (per month they are [`super::streams::Series::Fixed`]).
    pub fixed_yearly: Vec<DistAccumulator>,
}

/// The models of a mix (in order of first appearance) and each kind's share going to each,
/// `[kind * models + model]`. A kind whose pool costs nothing (or that has no per-model means)
/// goes whole to its first model, or to a model named after the kind when it has none.
pub fn model_shares(model: &ForecastModel) -> (Vec<String>, Vec<f64>) {
    let mut names: Vec<String> = Vec::new();
    for t in &model.tasks {
        let models = if t.pool.models.is_empty() {
            vec![t.name.clone()]
        } else {
            t.pool.models.iter().map(|m| m.name.clone()).collect()
        };
        for n in models {
            if !names.contains(&n) {
                names.push(n);
            }
        }
    }
    let mut shares = vec![0.0; model.tasks.len() * names.len()];
    for (k, t) in model.tasks.iter().enumerate() {
        let row = &mut shares[k * names.len()..(k + 1) * names.len()];
        let total: f64 = t.pool.models.iter().map(|m| m.cost.max(0.0)).sum();
        if total > 0.0 {
            for m in &t.pool.models {
                let j = names
                    .iter()
                    .position(|n| *n == m.name)
                    .expect("named above");
                row[j] += m.cost.max(0.0) / total;
            }
        } else {
            let first = t.pool.models.first().map_or(&t.name, |m| &m.name);
            let j = names.iter().position(|n| n == first).expect("named above");
            row[j] = 1.0;
        }
    }
    (names, shares)
}

impl SpendSplit {
    /// Empty accumulators for `model`'s kinds and models over `years`.
    pub fn new(model: &ForecastModel, years: &[Range<usize>]) -> SpendSplit {
        let (models, shares) = model_shares(model);
        let months = model.months();
        let kinds = model.tasks.len();
        let acc = |n: usize| vec![DistAccumulator::default(); n];
        SpendSplit {
            months,
            kinds,
            task_monthly: acc(months * kinds),
            model_monthly: acc(months * models.len()),
            task_yearly: acc(years.len() * kinds),
            model_yearly: acc(years.len() * models.len()),
            fixed_yearly: acc(years.len()),
            years: years.to_vec(),
            models,
            shares,
        }
    }

    /// Each model's usage charges in one trial's month from its kinds' (`by_kind`), into `out`.
    pub fn split_by_model(&self, by_kind: &[f64], out: &mut [f64]) {
        let models = self.models.len();
        out.fill(0.0);
        for (k, &b) in by_kind.iter().enumerate() {
            for (o, s) in out
                .iter_mut()
                .zip(&self.shares[k * models..(k + 1) * models])
            {
                *o += b * s;
            }
        }
    }

    /// Absorbs one chunk of trials (every trial recorded per trial); call in trial order.
    pub fn absorb(&mut self, chunk: &ForecastRun) {
        let (months, kinds, models) = (self.months, self.kinds, self.models.len());
        let n = chunk.bill.len() / months.max(1);
        if n == 0 || chunk.bill_by_kind.len() != n * months * kinds {
            return;
        }
        // Per trial and month, each model's part: `[(trial * months + month) * models + model]`.
        let mut by_model = vec![0.0; n * months * models];
        for (cell, out) in chunk
            .bill_by_kind
            .chunks_exact(kinds.max(1))
            .zip(by_model.chunks_exact_mut(models.max(1)))
        {
            self.split_by_model(cell, out);
        }
        let mut values = Vec::with_capacity(n);
        for m in 0..months {
            for k in 0..kinds {
                values.clear();
                values.extend((0..n).map(|t| chunk.bill_by_kind[(t * months + m) * kinds + k]));
                self.task_monthly[m * kinds + k].insert_block(&values);
            }
            for j in 0..models {
                values.clear();
                values.extend((0..n).map(|t| by_model[(t * months + m) * models + j]));
                self.model_monthly[m * models + j].insert_block(&values);
            }
        }
        for (y, range) in self.years.iter().enumerate() {
            let sum = |series: &[f64], width: usize, t: usize, i: usize| -> f64 {
                range
                    .clone()
                    .map(|m| series[(t * months + m) * width + i])
                    .sum()
            };
            for k in 0..kinds {
                values.clear();
                values.extend((0..n).map(|t| sum(&chunk.bill_by_kind, kinds, t, k)));
                self.task_yearly[y * kinds + k].insert_block(&values);
            }
            for j in 0..models {
                values.clear();
                values.extend((0..n).map(|t| sum(&by_model, models, t, j)));
                self.model_yearly[y * models + j].insert_block(&values);
            }
            values.clear();
            values.extend((0..n).map(|t| sum(&chunk.fixed_charges, 1, t, 0)));
            self.fixed_yearly[y].insert_block(&values);
        }
    }

    /// Bytes held on the heap by the accumulators.
    pub fn heap_bytes(&self) -> usize {
        self.task_monthly
            .iter()
            .chain(&self.model_monthly)
            .chain(&self.task_yearly)
            .chain(&self.model_yearly)
            .chain(&self.fixed_yearly)
            .map(|a| std::mem::size_of::<DistAccumulator>() + a.heap_bytes())
            .sum::<usize>()
            + self.shares.len() * 8
    }
}
