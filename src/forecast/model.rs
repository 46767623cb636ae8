//! The compiled forecast: indices, samplers and pre-simulated task pools, no strings in the
//! per-trial loop.

use crate::dist::Sampler;
use crate::engine::{TrialRng, mix64, trial_rng};

use super::adoption::Curve;
use super::calendar::YearMonth;
use super::pool::TaskPool;

/// One input of the model: fixed, or uncertain and drawn once per forecast trial.
#[derive(Debug, Clone)]
pub struct Param {
    /// Dotted path in the forecast file, e.g. `usage.active_share`.
    pub path: String,
    /// The name the file gives it (`label = "..."` in its distribution), if any.
    pub label: Option<String>,
    sampler: Sampler,
    /// Allowed range; draws are clamped into it (the load-time probe rejects distributions
    /// that stray outside it).
    lo: f64,
    hi: f64,
}

impl Param {
    /// An input from its validated sampler and allowed range.
    pub fn new(path: impl Into<String>, sampler: Sampler, lo: f64, hi: f64) -> Param {
        Param {
            path: path.into(),
            label: None,
            sampler,
            lo,
            hi,
        }
    }

    /// The same input named `label` for people.
    pub fn with_label(mut self, label: Option<String>) -> Param {
        self.label = label;
        self
    }

    /// A fixed input.
    pub fn fixed(path: impl Into<String>, value: f64) -> Param {
        Param::new(path, Sampler::constant(value), f64::MIN, f64::MAX)
    }

    /// Whether the input is drawn per trial.
    pub fn is_uncertain(&self) -> bool {
        self.sampler.fixed_value().is_none()
    }

    /// One draw.
    pub fn draw(&self, rng: &mut TrialRng) -> f64 {
        match self.sampler.fixed_value() {
            Some(v) => v.clamp(self.lo, self.hi),
            None => self.sampler.sample_raw(rng).clamp(self.lo, self.hi),
        }
    }

    /// The same input fixed at `value`.
    pub fn pinned(&self, value: f64) -> Param {
        Param::new(
            self.path.clone(),
            Sampler::constant(value),
            f64::MIN,
            f64::MAX,
        )
    }
}

/// Index of a [`Param`] in [`ForecastModel::params`].
pub type ParamId = usize;

/// The adoption curve with the inputs behind its parameters.
#[derive(Debug, Clone)]
pub enum SeatModel {
    /// Logistic: capacity, midpoint, rate.
    Logistic([ParamId; 3]),
    /// Bass: market, p, q.
    Bass([ParamId; 3]),
    /// A fixed piecewise-linear table.
    Table(Vec<(f64, f64)>),
}

/// One task of the mix with its pre-simulated pool.
#[derive(Debug, Clone)]
pub struct TaskMix {
    /// Display name.
    pub name: String,
    /// Relative weight in month 1.
    pub weight: f64,
    /// Pre-simulated tasks.
    pub pool: TaskPool,
    /// Engine steps per task on average, by the task's work bound
    /// ([`crate::workflow::WorkBound::steps`]).
    pub steps_per_task: f64,
    /// The models of its task scenario with their list rates and where the rates come from,
    /// as the pool was simulated with them.
    pub rates: Vec<ModelRates>,
    /// For a kind resampled from logs (`history`), what it was made from; `None` for a task
    /// scenario.
    pub history: Option<super::history_kind::HistorySource>,
}

/// A model of a task scenario: its list rates and their origin (the report's rate card).
#[derive(Debug, Clone)]
pub struct ModelRates {
    /// The model's name in the task scenario (`[models.NAME]`).
    pub name: String,
    /// List rates, tiers and batch rates as the task was priced.
    pub prices: crate::pricing::ModelPrices,
    /// The price catalog entry the rates come from (`catalog = "..."`), if any.
    pub catalog: Option<CatalogOrigin>,
    /// Whether the task file writes rates of its own (over the catalog's, if any).
    pub inline: bool,
}

/// A price catalog entry as a source: its name, where its rates come from and when.
#[derive(Debug, Clone)]
pub struct CatalogOrigin {
    /// The entry's name, e.g. `claude-sonnet-4-5`.
    pub name: String,
    /// Where the rates come from (empty: not stated).
    pub source: String,
    /// When they were read (empty: not stated).
    pub as_of: String,
}

impl ModelRates {
    /// Every model of `scenario`, in model order, with catalog entries looked up in `catalog`
    /// (the catalog the scenario was loaded with).
    pub fn of(
        scenario: &crate::scenario::Scenario,
        catalog: &crate::pricing::catalog::PriceCatalog,
    ) -> Vec<ModelRates> {
        scenario
            .workflow
            .model_names
            .iter()
            .zip(&scenario.prices)
            .map(|(name, prices)| {
                let spec = scenario.spec.models.get(name);
                let catalog = spec.and_then(|m| m.catalog.as_deref()).and_then(|c| {
                    catalog.get(c).map(|e| CatalogOrigin {
                        name: c.to_string(),
                        source: e.source.clone(),
                        as_of: e.as_of.clone(),
                    })
                });
                let inline = spec.is_some_and(|m| {
                    [
                        m.input,
                        m.output,
                        m.cache_write,
                        m.cache_write_1h,
                        m.cache_read,
                        m.reasoning,
                    ]
                    .iter()
                    .any(Option::is_some)
                });
                ModelRates {
                    name: name.clone(),
                    prices: prices.clone(),
                    catalog,
                    inline,
                }
            })
            .collect()
    }
}

/// A share of one task's weight moving to another, month by month.
#[derive(Debug, Clone)]
pub struct MixShift {
    /// Task losing share.
    pub from: usize,
    /// Task gaining share.
    pub to: usize,
    /// Share of `from`'s weight moved per month.
    pub per_month: ParamId,
    /// Most of `from`'s weight that moves.
    pub max: f64,
}

/// Multipliers applied on top of the file (stress cases, sweeps).
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Factors {
    /// On seats.
    pub seats: f64,
    /// On the adoption curve's speed: seats in month `t` are the curve's at `adoption_speed × t`.
    pub adoption_speed: f64,
    /// On tokens per task.
    pub tokens: f64,
    /// On per-token prices.
    pub prices: f64,
    /// On tasks per user per day.
    pub tasks: f64,
}

impl Default for Factors {
    fn default() -> Self {
        Factors {
            seats: 1.0,
            adoption_speed: 1.0,
            tokens: 1.0,
            prices: 1.0,
            tasks: 1.0,
        }
    }
}

/// Thresholds of the aggregation (see [`super::aggregate`]).
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Aggregation {
    /// Active users up to which each user's monthly task count is drawn one by one.
    pub exact_users_max: u64,
    /// Tasks of one kind in a month up to which costs are summed task by task.
    pub exact_tasks_max: u64,
}

/// How a month's task counts are drawn when it has at most `exact_users_max` active users.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum SmallMonths {
    /// One draw of the month's total (no seat plan to bill).
    #[default]
    Total,
    /// User by user, as a seat plan needs to bill each user's allowance.
    UserByUser,
}

/// Which bill is the forecast's headline bill (budgets, stress cases, sensitivity, charts).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Headline {
    /// `[billing]`'s `discount` or `commitment`, plus `seat_fee`.
    Basic,
    /// A named scheme, by index in [`ForecastModel::schemes`].
    Scheme(usize),
}

/// How the monthly budget was given.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub enum MonthlyBudgetForm {
    /// No monthly budget.
    #[default]
    None,
    /// One number for every month.
    Flat,
    /// One number per forecast month.
    PerMonth,
    /// One number per fiscal quarter (the budget of each of its months).
    PerQuarter,
}

/// Budgets, laid out per month and per forecast year.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Budget {
    /// Each forecast month's budget.
    pub monthly: Option<Vec<f64>>,
    /// How it was given.
    pub monthly_form: MonthlyBudgetForm,
    /// Each forecast year's budget (the years of [`ForecastModel::fiscal`]).
    pub annual: Option<Vec<f64>>,
}

/// A compiled forecast.
#[derive(Debug, Clone)]
pub struct ForecastModel {
    /// First month.
    pub start: YearMonth,
    /// Working days of each forecast month.
    pub working_days: Vec<u32>,
    /// Every input, fixed or uncertain.
    pub params: Vec<Param>,
    /// Seats over time.
    pub seats: SeatModel,
    /// Active share of seats.
    pub active_share: ParamId,
    /// Mean tasks per active user per working day.
    pub tasks_per_day: ParamId,
    /// Negative-binomial dispersion of daily counts (infinite: Poisson).
    pub dispersion: ParamId,
    /// Log-normal sigma of user-month intensity.
    pub intensity_sigma: ParamId,
    /// How daily counts vary.
    pub counts: super::aggregate::CountModel,
    /// The task mix.
    pub tasks: Vec<TaskMix>,
    /// Monthly relative change of tokens per task.
    pub token_drift: ParamId,
    /// Monthly relative change of prices.
    pub price_drift: ParamId,
    /// Price elasticity of usage, when the file sets one (`[drift] price_elasticity`).
    pub price_elasticity: Option<ParamId>,
    /// Monthly spend limits (`[limits]`).
    pub limits: super::limits::Limits,
    /// Shifts of the mix.
    pub mix_shifts: Vec<MixShift>,
    /// Discount off list prices (token billing).
    pub discount: f64,
    /// A monthly commitment, replacing the discount.
    pub commitment: Option<crate::pricing::scheme::CommitmentScheme>,
    /// Fee per seat per month.
    pub seat_fee: f64,
    /// Named schemes `[billing.NAME]`, in name order, each billed every month.
    pub schemes: Vec<super::billing::ForecastScheme>,
    /// Which bill is the headline.
    pub headline: Headline,
    /// Working hours per working day.
    pub hours_per_day: u32,
    /// Budgets.
    pub budget: Budget,
    /// The forecast years (fiscal years from `[budget] fiscal_year_start`).
    pub fiscal: super::fiscal::FiscalYears,
    /// Multipliers (1 unless a stress case or sweep sets them).
    pub factors: Factors,
    /// `[forecast] headcount`: most seats in any month.
    pub headcount: Option<f64>,
    /// Aggregation thresholds.
    pub aggregation: Aggregation,
    /// How small months are drawn: user by user when the file has a seat plan (kept when
    /// [`ForecastModel::headline_only`] drops the plan, so the draws stay the same).
    pub small_months: SmallMonths,
}

impl ForecastModel {
    /// The basic bill (`[billing]`'s discount or commitment, plus seat fees) of a month from
    /// its list-price usage by task kind (`list_by_kind`) and seats: the usage charges by kind
    /// into `out` (same order), and `(total, fixed)`, `fixed` being the seat fees and the
    /// commitment (FOCUS `Purchase` charges, not attributed to a kind). A commitment's
    /// overage is shared among kinds in proportion to their list cost.
    pub fn bill_month(&self, list_by_kind: &[f64], seats: f64, out: &mut [f64]) -> (f64, f64) {
        let list: f64 = list_by_kind.iter().sum();
        let (usage_bill, committed) = match &self.commitment {
            Some(c) => {
                let b = c.bill_list_cost(list);
                (b.overage_usd, b.total_usd - b.overage_usd)
            }
            None => (list * (1.0 - self.discount), 0.0),
        };
        share_by_list(usage_bill, list_by_kind, out);
        let fixed = committed + seats * self.seat_fee;
        (usage_bill + fixed, fixed)
    }
}

/// Shares `amount` among kinds in proportion to their list cost (all to the first when none).
pub fn share_by_list(amount: f64, list_by_kind: &[f64], out: &mut [f64]) {
    let list: f64 = list_by_kind.iter().sum();
    for (o, l) in out.iter_mut().zip(list_by_kind) {
        *o = if list > 0.0 { amount * l / list } else { 0.0 };
    }
    if list <= 0.0 && !out.is_empty() {
        out[0] = amount;
    }
}

/// Salt separating the input streams from the trial's main stream.
const PARAM_SALT: u64 = 0x7061_7261_6d73_0000;

impl ForecastModel {
    /// Number of months.
    pub fn months(&self) -> usize {
        self.working_days.len()
    }

    /// How people name forecast year `y` (0-based): see [`super::outcome::YearSummary::label`].
    pub fn year_label(&self, y: usize) -> String {
        self.fiscal.labels[y].clone()
    }

    /// The forecast years as month ranges (0-based, end exclusive), in order.
    pub fn years(&self) -> Vec<std::ops::Range<usize>> {
        self.fiscal.years.clone()
    }

    /// Draws every input of trial `index`. Input `j` has its own stream from
    /// `(seed, j, index)`, so pinning one input (sensitivity, stress) leaves every other
    /// input's draws unchanged: common random numbers.
    pub fn draw_inputs(&self, seed: u64, index: u64, out: &mut Vec<f64>) {
        out.clear();
        for (j, p) in self.params.iter().enumerate() {
            if p.is_uncertain() {
                let mut rng = trial_rng(mix64(seed ^ PARAM_SALT.wrapping_add(j as u64)), index);
                out.push(p.draw(&mut rng));
            } else {
                out.push(p.draw(&mut trial_rng(0, 0)));
            }
        }
    }

    /// The adoption curve under drawn inputs.
    pub fn curve(&self, inputs: &[f64]) -> Curve {
        match &self.seats {
            SeatModel::Logistic([k, t0, r]) => Curve::Logistic {
                capacity: inputs[*k],
                midpoint: inputs[*t0],
                rate: inputs[*r],
            },
            SeatModel::Bass([m, p, q]) => Curve::Bass {
                market: inputs[*m],
                p: inputs[*p],
                q: inputs[*q],
            },
            SeatModel::Table(points) => Curve::Table(points.clone()),
        }
    }

    /// Seats in forecast month `m` (0-based) on `curve`: the curve at `adoption_speed × (m + 1)`
    /// times the seats factor, rounded to whole seats, and whether the headcount capped them.
    pub fn seats_in(&self, curve: &Curve, m: usize) -> (f64, bool) {
        let f = self.factors;
        let seats = (curve.seats((m + 1) as f64 * f.adoption_speed) * f.seats)
            .round()
            .max(0.0);
        match self.headcount {
            Some(h) if seats > h => (h, true),
            _ => (seats, false),
        }
    }

    /// Weights of the mix in month `m` (0-based) under drawn inputs, normalised to sum 1.
    pub fn mix_weights(&self, inputs: &[f64], m: usize, out: &mut Vec<f64>) {
        out.clear();
        out.extend(self.tasks.iter().map(|t| t.weight));
        for s in &self.mix_shifts {
            let moved =
                (inputs[s.per_month] * m as f64).clamp(0.0, s.max) * self.tasks[s.from].weight;
            out[s.from] -= moved;
            out[s.to] += moved;
        }
        let total: f64 = out.iter().map(|w| w.max(0.0)).sum();
        for w in out.iter_mut() {
            *w = w.max(0.0) / total;
        }
    }

    /// The model with only what the headline bill needs: every named scheme but the headline
    /// dropped. Named schemes bill from a stream of their own, and small months stay drawn user
    /// by user if a seat plan asked for it ([`SmallMonths`]), so the headline bill is
    /// bit-identical (stress cases, sensitivity and sweeps run this). Dropped seat plans no
    /// longer cost their per-month quadrature on large organisations.
    pub fn headline_only(&self) -> ForecastModel {
        let mut out = self.clone();
        out.schemes = match self.headline {
            Headline::Scheme(h) => {
                out.headline = Headline::Scheme(0);
                vec![self.schemes[h].clone()]
            }
            Headline::Basic => Vec::new(),
        };
        out
    }

    /// Indices of the uncertain inputs.
    pub fn uncertain_inputs(&self) -> Vec<ParamId> {
        (0..self.params.len())
            .filter(|&j| self.params[j].is_uncertain())
            .collect()
    }
}
