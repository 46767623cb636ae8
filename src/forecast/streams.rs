//! Streamed summaries of a forecast run, whose memory does not grow with the trial count.
//!
//! Every series a summary reports — per month the bill, the cumulative bill, seats, active
//! users, tasks, tokens, list cost and fixed charges; each named scheme's bill per month; the
//! headline's and each scheme's total per forecast year and over the horizon — is streamed into
//! a [`DistAccumulator`] (exact moments, min and max; percentiles from a log-linear histogram
//! within [`crate::stats::RELATIVE_ERROR`]). Budget checks are streamed exactly: the count of
//! trials above the budget and the moments of the overrun.
//!
//! Chunks of trials are absorbed in trial order, so the floating-point moments are
//! bit-identical at any thread count (histogram counts merge exactly in any order).
//!
//! Rank correlations need each trial's inputs beside its outcome: [`TrialSample`] keeps them for
//! the first [`SAMPLE_TRIALS`] trials (a deterministic sample: it does not depend on threads).

use super::simulate::ForecastRun;
use crate::stats::{DistAccumulator, Moments};

/// Trials whose drawn inputs and yearly bills are kept for rank correlations (sensitivity):
/// Spearman's ρ from this many pairs has a standard error of about `1/√(K − 1)` ≈ 0.0071.
pub const SAMPLE_TRIALS: u64 = 20_000;

/// A per-month series streamed into [`RunStreams::monthly`].
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Series {
    /// The headline bill.
    Bill = 0,
    /// The headline bill from month 1 through this month.
    Cumulative = 1,
    /// Seats.
    Seats = 2,
    /// Active users.
    Active = 3,
    /// Tasks.
    Tasks = 4,
    /// Tokens.
    Tokens = 5,
    /// List cost.
    ListCost = 6,
    /// Fixed charges of the headline bill.
    Fixed = 7,
    /// The headline bill from the first month of this month's forecast year through this
    /// month (what the annual budget is checked against).
    YearToDate = 8,
}

/// Number of [`Series`].
pub const SERIES: usize = 9;

/// How often a budget was exceeded and by how much, counted exactly over every trial.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct BudgetAccumulator {
    /// The budget.
    pub budget: f64,
    /// Trials whose spend exceeded it.
    pub over: u64,
    /// Moments of the overrun `max(0, spend − budget)` over every trial.
    pub overrun: Moments,
}

impl BudgetAccumulator {
    fn new(budget: f64) -> Self {
        BudgetAccumulator {
            budget,
            over: 0,
            overrun: Moments::default(),
        }
    }

    fn insert_block(&mut self, spend: &[f64], scratch: &mut Vec<f64>) {
        self.over += spend.iter().filter(|&&v| v > self.budget).count() as u64;
        scratch.clear();
        scratch.extend(spend.iter().map(|&v| (v - self.budget).max(0.0)));
        self.overrun.merge(&Moments::of(scratch));
    }
}

/// A named scheme against the headline bill, trial by trial on the same simulated months: the
/// moments of the paired difference (scheme − headline; positive: the scheme costs more) and
/// the trials in which the scheme costs less. Paired on common random numbers, the difference's
/// standard error is far below what two independent runs would give.
#[derive(Debug, Clone, Copy, Default, PartialEq)]
pub struct PairedAccumulator {
    /// Moments of `scheme − headline` over every trial.
    pub difference: Moments,
    /// Trials in which the scheme's bill is below the headline's.
    pub cheaper: u64,
    /// Trials in which it is above (equal bills count in neither).
    pub costlier: u64,
}

impl PairedAccumulator {
    fn insert_block(&mut self, scheme: &[f64], headline: &[f64], scratch: &mut Vec<f64>) {
        scratch.clear();
        scratch.extend(scheme.iter().zip(headline).map(|(s, h)| s - h));
        self.cheaper += scratch.iter().filter(|&&d| d < 0.0).count() as u64;
        self.costlier += scratch.iter().filter(|&&d| d > 0.0).count() as u64;
        self.difference.merge(&Moments::of(scratch));
    }
}

/// When cumulative spend within a year first passes the year's budget, counted exactly over
/// every trial: per month of the year, the trials whose year-to-date spend passes the budget
/// in that month for the first time; and the trials in which it never does.
#[derive(Debug, Clone, PartialEq)]
pub struct ExhaustionAccumulator {
    /// The year's budget.
    pub budget: f64,
    /// Per month of the year (in order), trials first over the budget in that month.
    pub first_over: Vec<u64>,
    /// Trials never over the budget within the year.
    pub never: u64,
}

impl ExhaustionAccumulator {
    fn new(budget: f64, months: usize) -> Self {
        ExhaustionAccumulator {
            budget,
            first_over: vec![0; months],
            never: 0,
        }
    }

    /// Trials counted.
    pub fn trials(&self) -> u64 {
        self.never + self.first_over.iter().sum::<u64>()
    }
}

/// The streamed summaries of a run (see the module documentation).
#[derive(Debug, Clone, Default, PartialEq)]
pub struct RunStreams {
    /// The forecast years (month ranges) `yearly` and the annual checks use.
    pub years: Vec<std::ops::Range<usize>>,
    /// Per month, the [`Series`].
    pub monthly: Vec<[DistAccumulator; SERIES]>,
    /// Per month and named scheme (`[month * schemes + scheme]`), the scheme's bill.
    pub scheme_monthly: Vec<DistAccumulator>,
    /// Per forecast year (blocks of up to 12 months), the headline bill's total.
    pub yearly: Vec<DistAccumulator>,
    /// Per year and scheme (`[year * schemes + scheme]`), the scheme's total.
    pub scheme_yearly: Vec<DistAccumulator>,
    /// The headline bill over the horizon.
    pub total: DistAccumulator,
    /// Each scheme's bill over the horizon.
    pub scheme_total: Vec<DistAccumulator>,
    /// Per month and scheme (`[month * schemes + scheme]`), the scheme against the headline.
    pub versus_monthly: Vec<PairedAccumulator>,
    /// Per year and scheme (`[year * schemes + scheme]`), the same over the year's total.
    pub versus_yearly: Vec<PairedAccumulator>,
    /// Per scheme, the same over the horizon.
    pub versus_total: Vec<PairedAccumulator>,
    /// Per month and pair of named schemes `a < b` (`[month * pairs + pair]`, pairs in the
    /// order of [`scheme_pairs`]), `a` against `b`.
    pub pairs_monthly: Vec<PairedAccumulator>,
    /// Per year and pair (`[year * pairs + pair]`), the same over the year's totals.
    pub pairs_yearly: Vec<PairedAccumulator>,
    /// Per pair, the same over the horizon.
    pub pairs_total: Vec<PairedAccumulator>,
    /// Per month, against the monthly budget (empty without one).
    pub monthly_budget: Vec<BudgetAccumulator>,
    /// Per year, against the annual budget (empty without one).
    pub annual_budget: Vec<BudgetAccumulator>,
    /// Per year, the month the year-to-date spend first passes the annual budget (empty
    /// without one).
    pub exhaustion: Vec<ExhaustionAccumulator>,
    /// Per year, trials with at least one month over its monthly budget (empty without one).
    pub any_month_over_by_year: Vec<u64>,
    /// Trials with at least one month of the horizon over its monthly budget (0 without one).
    pub any_month_over: u64,
    /// With `[limits]`: per month, tasks not done, their list value and users at the
    /// per-user limit; per year and over the horizon (last), tasks not done and their list
    /// value (empty without limits).
    pub limits_monthly: Vec<[DistAccumulator; 3]>,
    /// See `limits_monthly`: per year, then the horizon.
    pub limits_yearly: Vec<[DistAccumulator; 2]>,
}

/// The pairs `(a, b)`, `a < b`, of `schemes` named schemes, in the order the pair
/// accumulators of [`RunStreams`] hold them.
pub fn scheme_pairs(schemes: usize) -> Vec<(usize, usize)> {
    (0..schemes)
        .flat_map(|a| (a + 1..schemes).map(move |b| (a, b)))
        .collect()
}

/// Months of the `y`-th block of twelve months from the start (0-based): the forecast years
/// when no fiscal year start is set.
pub fn year_months(y: usize, months: usize) -> std::ops::Range<usize> {
    y * 12..((y + 1) * 12).min(months)
}

impl RunStreams {
    /// Empty streams for `months` months, `schemes` named schemes and `years` (month ranges),
    /// with the budgets to check: one per month, one per year.
    pub fn new(
        months: usize,
        schemes: usize,
        years: &[std::ops::Range<usize>],
        monthly: Option<&[f64]>,
        annual: Option<&[f64]>,
    ) -> Self {
        let n = years.len();
        let pairs = scheme_pairs(schemes).len();
        RunStreams {
            years: years.to_vec(),
            monthly: vec![Default::default(); months],
            scheme_monthly: vec![DistAccumulator::default(); months * schemes],
            yearly: vec![DistAccumulator::default(); n],
            scheme_yearly: vec![DistAccumulator::default(); n * schemes],
            total: DistAccumulator::default(),
            scheme_total: vec![DistAccumulator::default(); schemes],
            versus_monthly: vec![PairedAccumulator::default(); months * schemes],
            versus_yearly: vec![PairedAccumulator::default(); n * schemes],
            versus_total: vec![PairedAccumulator::default(); schemes],
            pairs_monthly: vec![PairedAccumulator::default(); months * pairs],
            pairs_yearly: vec![PairedAccumulator::default(); n * pairs],
            pairs_total: vec![PairedAccumulator::default(); pairs],
            monthly_budget: monthly
                .map(|b| b.iter().map(|&v| BudgetAccumulator::new(v)).collect())
                .unwrap_or_default(),
            annual_budget: annual
                .map(|b| b.iter().map(|&v| BudgetAccumulator::new(v)).collect())
                .unwrap_or_default(),
            exhaustion: annual
                .map(|b| {
                    b.iter()
                        .zip(years)
                        .map(|(&v, r)| ExhaustionAccumulator::new(v, r.len()))
                        .collect()
                })
                .unwrap_or_default(),
            any_month_over_by_year: if monthly.is_some() {
                vec![0; n]
            } else {
                Vec::new()
            },
            any_month_over: 0,
            limits_monthly: Vec::new(),
            limits_yearly: Vec::new(),
        }
    }

    /// Absorbs one chunk of trials (every trial of `chunk` recorded per trial). Call in trial
    /// order.
    pub fn absorb(&mut self, chunk: &ForecastRun) {
        let months = chunk.months;
        let schemes = chunk.schemes;
        let n = chunk.bill.len() / months.max(1);
        if n == 0 {
            return;
        }
        let mut values = Vec::with_capacity(n);
        let mut scratch = Vec::with_capacity(n);
        let mut headline = Vec::with_capacity(n);
        let mut by_scheme = vec![Vec::with_capacity(n); schemes];
        let pairs = scheme_pairs(schemes);
        let mut cumulative = vec![0.0; n];
        let mut year_to_date = vec![0.0; n];
        let per_trial: [(&[f64], Series); 6] = [
            (&chunk.seats, Series::Seats),
            (&chunk.active, Series::Active),
            (&chunk.tasks, Series::Tasks),
            (&chunk.tokens, Series::Tokens),
            (&chunk.list_cost, Series::ListCost),
            (&chunk.fixed_charges, Series::Fixed),
        ];
        for m in 0..months {
            let acc = &mut self.monthly[m];
            for (series, s) in per_trial {
                values.clear();
                values.extend((0..n).map(|t| series[t * months + m]));
                acc[s as usize].insert_block(&values);
            }
            values.clear();
            values.extend((0..n).map(|t| chunk.bill[t * months + m]));
            acc[Series::Bill as usize].insert_block(&values);
            if let Some(b) = self.monthly_budget.get_mut(m) {
                b.insert_block(&values, &mut scratch);
            }
            for (c, b) in cumulative.iter_mut().zip(&values) {
                *c += b;
            }
            acc[Series::Cumulative as usize].insert_block(&cumulative);
            if self.years.iter().any(|r| r.start == m) {
                year_to_date.fill(0.0);
            }
            for (c, b) in year_to_date.iter_mut().zip(&values) {
                *c += b;
            }
            acc[Series::YearToDate as usize].insert_block(&year_to_date);
            headline.clone_from(&values);
            for (s, v) in by_scheme.iter_mut().enumerate() {
                v.clear();
                v.extend((0..n).map(|t| chunk.scheme_bill[(t * months + m) * schemes + s]));
                self.scheme_monthly[m * schemes + s].insert_block(v);
                self.versus_monthly[m * schemes + s].insert_block(v, &headline, &mut scratch);
            }
            let np = pairs.len();
            for (p, &(a, b)) in pairs.iter().enumerate() {
                self.pairs_monthly[m * np + p].insert_block(
                    &by_scheme[a],
                    &by_scheme[b],
                    &mut scratch,
                );
            }
        }
        if !self.monthly_budget.is_empty() {
            for t in 0..n {
                let over = |m: usize| chunk.bill[t * months + m] > self.monthly_budget[m].budget;
                let mut any = false;
                for (y, range) in self.years.iter().enumerate() {
                    if range.clone().any(over) {
                        self.any_month_over_by_year[y] += 1;
                        any = true;
                    }
                }
                self.any_month_over += any as u64;
            }
        }
        for y in 0..self.yearly.len() {
            let range = self.years[y].clone();
            values.clear();
            values.extend((0..n).map(|t| total(&chunk.bill, t, months, range.clone())));
            self.yearly[y].insert_block(&values);
            if let Some(b) = self.annual_budget.get_mut(y) {
                b.insert_block(&values, &mut scratch);
            }
            if let Some(e) = self.exhaustion.get_mut(y) {
                for t in 0..n {
                    // Year-to-date spend, month by month, in the order `total` sums them.
                    let mut spent = 0.0;
                    let first = range.clone().position(|m| {
                        spent += chunk.bill[t * months + m];
                        spent > e.budget
                    });
                    match first {
                        Some(i) => e.first_over[i] += 1,
                        None => e.never += 1,
                    }
                }
            }
            headline.clone_from(&values);
            for (s, v) in by_scheme.iter_mut().enumerate() {
                v.clear();
                v.extend((0..n).map(|t| scheme_total(chunk, t, s, range.clone())));
                self.scheme_yearly[y * schemes + s].insert_block(v);
                self.versus_yearly[y * schemes + s].insert_block(v, &headline, &mut scratch);
            }
            let np = pairs.len();
            for (p, &(a, b)) in pairs.iter().enumerate() {
                self.pairs_yearly[y * np + p].insert_block(
                    &by_scheme[a],
                    &by_scheme[b],
                    &mut scratch,
                );
            }
        }
        values.clear();
        values.extend((0..n).map(|t| total(&chunk.bill, t, months, 0..months)));
        self.total.insert_block(&values);
        headline.clone_from(&values);
        for (s, v) in by_scheme.iter_mut().enumerate() {
            v.clear();
            v.extend((0..n).map(|t| scheme_total(chunk, t, s, 0..months)));
            self.scheme_total[s].insert_block(v);
            self.versus_total[s].insert_block(v, &headline, &mut scratch);
        }
        for (p, &(a, b)) in pairs.iter().enumerate() {
            self.pairs_total[p].insert_block(&by_scheme[a], &by_scheme[b], &mut scratch);
        }
        if !chunk.limit_tasks.is_empty() {
            self.absorb_limits(chunk, n, &mut values);
        }
    }

    /// Absorbs a chunk's work not done under `[limits]`.
    fn absorb_limits(&mut self, chunk: &ForecastRun, n: usize, values: &mut Vec<f64>) {
        let months = chunk.months;
        if self.limits_monthly.is_empty() {
            self.limits_monthly = vec![Default::default(); months];
            self.limits_yearly = vec![Default::default(); self.years.len() + 1];
        }
        let series = [&chunk.limit_tasks, &chunk.limit_list, &chunk.limit_users];
        for m in 0..months {
            for (acc, series) in self.limits_monthly[m].iter_mut().zip(series) {
                values.clear();
                values.extend((0..n).map(|t| series[t * months + m]));
                acc.insert_block(values);
            }
        }
        let ranges = self.years.iter().cloned().chain(std::iter::once(0..months));
        for (accs, range) in self.limits_yearly.iter_mut().zip(ranges) {
            for (acc, series) in accs.iter_mut().zip(series) {
                values.clear();
                values.extend((0..n).map(|t| total(series, t, months, range.clone())));
                acc.insert_block(values);
            }
        }
    }

    /// Bytes held on the heap by the accumulators.
    pub fn heap_bytes(&self) -> usize {
        let sketches: usize = self
            .monthly
            .iter()
            .flatten()
            .chain(&self.scheme_monthly)
            .chain(&self.yearly)
            .chain(&self.scheme_yearly)
            .chain(std::iter::once(&self.total))
            .chain(&self.scheme_total)
            .chain(self.limits_monthly.iter().flatten())
            .chain(self.limits_yearly.iter().flatten())
            .map(|a| std::mem::size_of::<DistAccumulator>() + a.heap_bytes())
            .sum();
        sketches
            + (self.monthly_budget.len() + self.annual_budget.len())
                * std::mem::size_of::<BudgetAccumulator>()
            + self
                .exhaustion
                .iter()
                .map(|e| std::mem::size_of::<ExhaustionAccumulator>() + e.first_over.len() * 8)
                .sum::<usize>()
            + self.any_month_over_by_year.len() * 8
            + (self.versus_monthly.len()
                + self.versus_yearly.len()
                + self.versus_total.len()
                + self.pairs_monthly.len()
                + self.pairs_yearly.len()
                + self.pairs_total.len())
                * std::mem::size_of::<PairedAccumulator>()
    }
}

/// Trial `t`'s headline bill summed over `range` (months in order, as
/// [`ForecastRun::bill_total`]).
fn total(bill: &[f64], t: usize, months: usize, range: std::ops::Range<usize>) -> f64 {
    bill[t * months + range.start..t * months + range.end]
        .iter()
        .sum()
}

/// Trial `t`'s bill under scheme `s` summed over `range`.
fn scheme_total(chunk: &ForecastRun, t: usize, s: usize, range: std::ops::Range<usize>) -> f64 {
    let (months, schemes) = (chunk.months, chunk.schemes);
    range
        .map(|m| chunk.scheme_bill[(t * months + m) * schemes + s])
        .sum()
}

/// Drawn inputs and yearly headline bills of the first [`SAMPLE_TRIALS`] trials, paired trial
/// by trial (for rank correlations).
#[derive(Debug, Clone, Default, PartialEq)]
pub struct TrialSample {
    /// Trials held: `min(trials, SAMPLE_TRIALS)`.
    pub trials: u64,
    /// Inputs per trial.
    pub input_count: usize,
    /// Forecast years per trial.
    pub years: usize,
    /// Drawn inputs, `[trial * input_count + input]`.
    pub inputs: Vec<f64>,
    /// Each forecast year's total bill, `[trial * years + year]`.
    pub year_bills: Vec<f64>,
}

impl TrialSample {
    /// Absorbs one chunk of trials starting at trial `first`, with the forecast's `years`;
    /// call in trial order.
    pub fn absorb(&mut self, chunk: &ForecastRun, first: u64, years: &[std::ops::Range<usize>]) {
        let months = chunk.months;
        let n = (chunk.bill.len() / months.max(1)) as u64;
        let keep = n.min(SAMPLE_TRIALS.saturating_sub(first)) as usize;
        self.input_count = chunk.input_count;
        self.years = years.len();
        self.inputs
            .extend_from_slice(&chunk.inputs[..keep * chunk.input_count]);
        for t in 0..keep {
            for y in years {
                self.year_bills
                    .push(total(&chunk.bill, t, months, y.clone()));
            }
        }
        self.trials += keep as u64;
    }

    /// Input `j` of every sampled trial.
    pub fn input(&self, j: usize) -> Vec<f64> {
        (0..self.trials as usize)
            .map(|t| self.inputs[t * self.input_count + j])
            .collect()
    }

    /// Year `y`'s (0-based) total bill of every sampled trial.
    pub fn year(&self, y: usize) -> Vec<f64> {
        (0..self.trials as usize)
            .map(|t| self.year_bills[t * self.years + y])
            .collect()
    }
}
