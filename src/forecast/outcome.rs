//! Summaries of a forecast run: per month the bill's distribution, cumulative spend, tokens,
//! seats and tasks; per forecast year and over the horizon the total; budget checks.
//!
//! Every figure uses every trial, streamed ([`super::streams`]): means carry their standard
//! error `sd/√n`; min and max are exact; percentiles are the nearest-rank order statistics (the
//! smallest value with at least `q·n` trials at or below it) read from a log-linear histogram,
//! within [`RELATIVE_ERROR`] of the exact value; budget exceedance probabilities are exact
//! counts with their binomial standard error.

use serde::Serialize;

use super::Forecast;
use super::budget_outcome::{BudgetExhaustion, BudgetSummary, Probability};
use super::model::ForecastModel;
use super::simulate::ForecastRun;
use super::spend_split::SpendSplit;
use super::streams::{BudgetAccumulator, Series};
use crate::engine::NamedMap;
use crate::stats::{DistAccumulator, RELATIVE_ERROR};

/// The distribution of one quantity over trials.
#[derive(Debug, Clone, Copy, PartialEq, Serialize)]
pub struct Dist {
    /// Mean.
    pub mean: f64,
    /// Standard error of the mean.
    pub se: f64,
    /// Standard deviation.
    pub sd: f64,
    /// Smallest value.
    pub min: f64,
    /// 5th percentile.
    pub p5: f64,
    /// 25th percentile.
    pub p25: f64,
    /// Median.
    pub p50: f64,
    /// 75th percentile.
    pub p75: f64,
    /// 90th percentile.
    pub p90: f64,
    /// 95th percentile.
    pub p95: f64,
    /// 99th percentile.
    pub p99: f64,
    /// Largest value.
    pub max: f64,
}

/// The nearest-rank `q` quantile of sorted values.
pub fn quantile_sorted(sorted: &[f64], q: f64) -> f64 {
    if sorted.is_empty() {
        return f64::NAN;
    }
    let rank = (q * sorted.len() as f64).ceil() as usize;
    sorted[rank.clamp(1, sorted.len()) - 1]
}

impl Dist {
    /// The distribution of `values`.
    pub fn of(values: &[f64]) -> Dist {
        let n = values.len().max(1) as f64;
        let mean = values.iter().sum::<f64>() / n;
        let var = values.iter().map(|v| (v - mean).powi(2)).sum::<f64>() / (n - 1.0).max(1.0);
        let mut s = values.to_vec();
        s.sort_by(f64::total_cmp);
        Dist {
            mean,
            se: (var / n).sqrt(),
            sd: var.sqrt(),
            min: s.first().copied().unwrap_or(f64::NAN),
            p5: quantile_sorted(&s, 0.05),
            p25: quantile_sorted(&s, 0.25),
            p50: quantile_sorted(&s, 0.50),
            p75: quantile_sorted(&s, 0.75),
            p90: quantile_sorted(&s, 0.90),
            p95: quantile_sorted(&s, 0.95),
            p99: quantile_sorted(&s, 0.99),
            max: s.last().copied().unwrap_or(f64::NAN),
        }
    }

    /// The distribution of a series kept for the first trials only: mean, SE, SD, min and max
    /// from `all` (moments over every trial), percentiles from `subset` (the first trials').
    pub fn with_moments(subset: &[f64], all: &crate::stats::Moments) -> Dist {
        let n = all.n.max(1) as f64;
        let sd = all.variance().sqrt();
        Dist {
            mean: all.mean,
            se: sd / n.sqrt(),
            sd,
            min: all.min,
            max: all.max,
            ..Dist::of(subset)
        }
    }

    /// The distribution streamed into `acc`: exact mean, SE, SD, min and max; percentiles
    /// within [`RELATIVE_ERROR`] (exact for a bucket holding one integer when `integers`).
    pub fn streamed(acc: &DistAccumulator, integers: bool) -> Dist {
        let m = &acc.moments;
        let q = acc.quantiles(&[0.05, 0.25, 0.5, 0.75, 0.9, 0.95, 0.99], integers);
        let empty = m.n == 0;
        Dist {
            mean: m.mean,
            se: m.se(),
            sd: m.sd(),
            min: if empty { f64::NAN } else { m.min },
            p5: q[0],
            p25: q[1],
            p50: q[2],
            p75: q[3],
            p90: q[4],
            p95: q[5],
            p99: q[6],
            max: if empty { f64::NAN } else { m.max },
        }
    }

    /// A named percentile (`p5`, `p50`, `p90`, `p95`, `p99`) or `mean`.
    pub fn get(&self, name: &str) -> Option<f64> {
        Some(match name {
            "mean" => self.mean,
            "p5" => self.p5,
            "p50" => self.p50,
            "p90" => self.p90,
            "p95" => self.p95,
            "p99" => self.p99,
            _ => return None,
        })
    }
}

/// How often a budget is exceeded and by how much.
#[derive(Debug, Clone, Copy, PartialEq, Serialize)]
pub struct BudgetCheck {
    /// The budget.
    pub budget: f64,
    /// Probability that spend exceeds it.
    pub p_exceed: f64,
    /// Its binomial standard error.
    pub p_exceed_se: f64,
    /// Expected overrun `E[max(0, spend − budget)]` over all trials.
    pub expected_overrun: f64,
    /// Its standard error.
    pub expected_overrun_se: f64,
}

impl BudgetCheck {
    /// The check streamed into `acc` (exact count; overrun moments over every trial).
    pub fn streamed(acc: &BudgetAccumulator) -> BudgetCheck {
        let n = acc.overrun.n.max(1) as f64;
        let p = acc.over as f64 / n;
        BudgetCheck {
            budget: acc.budget,
            p_exceed: p,
            p_exceed_se: (p * (1.0 - p) / n).sqrt(),
            expected_overrun: acc.overrun.mean,
            expected_overrun_se: acc.overrun.se(),
        }
    }

    /// Checks `values` against `budget`.
    pub fn of(values: &[f64], budget: f64) -> BudgetCheck {
        let n = values.len().max(1) as f64;
        let over = values.iter().filter(|&&v| v > budget).count() as f64;
        let p = over / n;
        let overruns: Vec<f64> = values.iter().map(|&v| (v - budget).max(0.0)).collect();
        let d = Dist::of(&overruns);
        BudgetCheck {
            budget,
            p_exceed: p,
            p_exceed_se: (p * (1.0 - p) / n).sqrt(),
            expected_overrun: d.mean,
            expected_overrun_se: d.se,
        }
    }
}

/// One month of the forecast.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct MonthSummary {
    /// Month number, 1-based.
    pub month: usize,
    /// Calendar month, `YYYY-MM`.
    pub period: String,
    /// Working days.
    pub working_days: u32,
    /// Seats.
    pub seats: Dist,
    /// Active users.
    pub active_users: Dist,
    /// Tasks run.
    pub tasks: Dist,
    /// Tokens consumed.
    pub tokens: Dist,
    /// Cost at list prices.
    pub list_cost: Dist,
    /// The bill (after discounts).
    pub bill: Dist,
    /// The bill from month 1 through this month.
    pub cumulative_bill: Dist,
    /// The bill from the first month of this month's forecast year through this month: what
    /// the year's annual budget is checked against.
    pub year_to_date_bill: Dist,
    /// The usage charges of each task kind, by name, in mix order (fixed charges belong to no
    /// kind: for every trial `bill = Σ bill_by_task + fixed_charges`, so the means add up).
    pub bill_by_task: NamedMap<Dist>,
    /// The usage charges of each model, by name, in order of first appearance in the mix
    /// (`bill = Σ bill_by_model + fixed_charges`; see `spend_split_method`).
    pub bill_by_model: NamedMap<Dist>,
    /// The headline bill's fixed charges (seat fees, commitment, reserved compute).
    pub fixed_charges: Dist,
    /// Against the monthly budget, if one is set.
    pub monthly_budget: Option<BudgetCheck>,
    /// Work the `[limits]` left undone this month (absent without limits).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub not_done: Option<NotDone>,
}

/// Work a forecast's `[limits]` left undone: tasks, their value at list prices, and (per
/// month) the users at the per-user limit.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct NotDone {
    /// Tasks not done (the month's tasks times the share of its list value not done).
    pub tasks: Dist,
    /// Their value at list prices.
    pub list_usd: Dist,
    /// Users at the per-user limit (per month only; an expectation per trial beyond
    /// `exact_users_max` active users).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub users_at_limit: Option<Dist>,
}

impl NotDone {
    /// The work not done from its accumulators (tasks, list value, users at the limit).
    pub(crate) fn of(accs: &[DistAccumulator]) -> NotDone {
        NotDone {
            tasks: Dist::streamed(&accs[0], false),
            list_usd: Dist::streamed(&accs[1], false),
            users_at_limit: accs.get(2).map(|a| Dist::streamed(a, false)),
        }
    }
}

/// `[limits]` as the forecast ran them, and the work they left undone over the horizon.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct LimitsSummary {
    /// Most a user may spend in a month, USD at list prices.
    pub per_user_monthly_usd: Option<f64>,
    /// Most the organisation may spend in a month, USD at list prices.
    pub monthly_usd: Option<f64>,
    /// Work not done over the horizon.
    pub not_done: NotDone,
    /// How it is computed.
    pub method: &'static str,
}

/// Method statement of `[limits]`.
pub const LIMITS_METHOD: &str = "a user whose month passes per_user_monthly_usd (list prices, drifts included) does the first part of it up to the limit: the month is scaled down, every task kind alike; users drawn one by one up to exact_users_max active users, beyond it the month's excess over the limit from the per-user usage law (the seat-plan allowance method); then the organisation's monthly_usd caps what is left; tasks not done are the month's tasks times the share of its list value not done";

/// One forecast year (a block of up to 12 months).
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct YearSummary {
    /// Year number, 1-based.
    pub year: usize,
    /// How people name it: `2027` (a calendar year), `FY2028` (a fiscal year, named after
    /// the calendar year it ends in) or `year 1` (twelve months from a start that is not a
    /// fiscal year's).
    pub label: String,
    /// First and last month numbers.
    pub months: [usize; 2],
    /// First and last calendar months, `YYYY-MM`.
    pub periods: [String; 2],
    /// The year's total bill.
    pub bill: Dist,
    /// The year's usage charges of each task kind (`bill = Σ bill_by_task + fixed_charges`).
    pub bill_by_task: NamedMap<Dist>,
    /// The year's usage charges of each model (`bill = Σ bill_by_model + fixed_charges`).
    pub bill_by_model: NamedMap<Dist>,
    /// The year's fixed charges.
    pub fixed_charges: Dist,
    /// Work the `[limits]` left undone this year (absent without limits).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub not_done: Option<NotDone>,
    /// Whether the forecast covers fewer than the year's twelve months (a fiscal year cut by
    /// the start or the end of the horizon; its annual budget is not prorated).
    pub partial: bool,
    /// Against the annual budget, if one is set.
    pub annual_budget: Option<BudgetCheck>,
    /// When year-to-date spend first passes the annual budget, if one is set.
    pub annual_budget_exhaustion: Option<BudgetExhaustion>,
    /// Probability that at least one month of the year passes its monthly budget, if one is
    /// set.
    pub p_any_month_over_budget: Option<Probability>,
}

/// A task scenario of the mix and its pool.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct TaskSummary {
    /// Name.
    pub name: String,
    /// Weight in month 1 (normalised).
    pub share: f64,
    /// Tasks in the pre-simulated pool.
    pub pool_tasks: usize,
    /// Mean list cost per task in the pool, before drifts.
    pub mean_cost: f64,
    /// Standard error of that mean (the pool is a finite sample).
    pub mean_cost_se: f64,
    /// Mean tokens per task in the pool.
    pub mean_tokens: f64,
    /// For a kind resampled from logs, what it was made from, in words.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub history: Option<String>,
}

/// How sums of many tasks were made, stated in every summary.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct AggregationInfo {
    /// Method in words.
    pub method: &'static str,
    /// Active users up to which each user is drawn.
    pub exact_users_max: u64,
    /// Tasks of a kind in a month up to which tasks are summed one by one.
    pub exact_tasks_max: u64,
    /// How it was validated.
    pub validation: &'static str,
}

/// Method statement of the aggregation.
pub const AGGREGATION_METHOD: &str = "task counts: per-user negative binomial draws up to \
exact_users_max active users, else a translated gamma matching the month's exact mean, variance \
and third central moment, rounded; costs: task-by-task sums of pool draws up to exact_tasks_max tasks of a \
kind, else a translated gamma matching the sum's exact mean, variance and skewness, with \
tokens by linear regression on cost";

/// Validation statement of the aggregation.
pub const AGGREGATION_VALIDATION: &str = "tests/forecast_aggregation.rs: against brute-force \
per-user, per-day, per-task summation on a small organisation, the monthly and total bill's \
mean agrees within 4 standard errors and P90 and P99 within 4 binomial standard errors of \
their ranks (docs/guide/methods.md)";

/// Everything `summary.json` holds.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct ForecastSummary {
    /// Forecast name.
    pub scenario: String,
    /// Forecast trials.
    pub trials: u64,
    /// Seed.
    pub seed: u64,
    /// First month.
    pub start: String,
    /// Months.
    pub months: usize,
    /// Currency of every amount.
    pub currency: String,
    /// Discount off list prices applied to the bill (the basic form).
    pub discount: f64,
    /// The headline bill: `basic` (`[billing]` discount or commitment, plus seat fees) or the
    /// name of a `[billing.NAME]` scheme.
    pub headline: String,
    /// Every `[billing.NAME]` scheme, billed on the same simulated months (common random
    /// numbers: differences between schemes are not noise).
    pub schemes: Vec<super::scheme_outcome::SchemeSummary>,
    /// How percentiles are computed.
    pub quantile_method: &'static str,
    /// Largest relative distance between a reported percentile and the exact order statistic
    /// of the trials (min, max, means and budget checks are exact).
    pub percentile_relative_error: f64,
    /// Trials whose seats, active users, tasks, tokens and list cost give their percentiles:
    /// every trial (kept for compatibility; FOCUS per-kind percentiles use the first
    /// `forecast::simulate::DETAIL_TRIALS`).
    pub detail_percentile_trials: u64,
    /// How sums of many tasks are computed.
    pub aggregation: AggregationInfo,
    /// How the bill is split by task kind and by model (`bill_by_task`, `bill_by_model`).
    pub spend_split_method: &'static str,
    /// The task mix.
    pub tasks: Vec<TaskSummary>,
    /// Month by month.
    pub monthly: Vec<MonthSummary>,
    /// Forecast year by year (fiscal years, see `budget.fiscal_year_start`).
    pub years: Vec<YearSummary>,
    /// The budgets as set, and what holds over the whole horizon.
    pub budget: BudgetSummary,
    /// The whole horizon's bill.
    pub total_bill: Dist,
    /// `[limits]` and the work they left undone (absent without limits).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub limits: Option<LimitsSummary>,
}

/// Statement of the percentile method.
pub const QUANTILE_METHOD: &str = "nearest-rank order statistics of every forecast trial, read \
from a streamed log-linear histogram (memory does not grow with trials): within \
percentile_relative_error of the exact value; min and max exact, and so is every percentile \
whose rank falls among the trials tied at the min or the max (a floor such as a commitment)";

impl ForecastSummary {
    /// The forecast year that month `month` (1-based) belongs to.
    pub fn year_of(&self, month: usize) -> Option<&YearSummary> {
        self.years
            .iter()
            .find(|y| (y.months[0]..=y.months[1]).contains(&month))
    }

    /// Summarises a run of `forecast`.
    pub fn new(forecast: &Forecast, run: &ForecastRun) -> ForecastSummary {
        let model = &forecast.model;
        let months = run.months;
        let streams = &run.streams;
        let mut monthly = Vec::with_capacity(months);
        for m in 0..months {
            let acc = &streams.monthly[m];
            let dist = |s: Series| {
                let integers = matches!(s, Series::Seats | Series::Active | Series::Tasks);
                Dist::streamed(&acc[s as usize], integers)
            };
            let split = &run.split;
            monthly.push(MonthSummary {
                month: m + 1,
                period: model.start.plus(m as u32).to_string(),
                working_days: model.working_days[m],
                seats: dist(Series::Seats),
                active_users: dist(Series::Active),
                tasks: dist(Series::Tasks),
                tokens: dist(Series::Tokens),
                list_cost: dist(Series::ListCost),
                bill: dist(Series::Bill),
                cumulative_bill: dist(Series::Cumulative),
                year_to_date_bill: dist(Series::YearToDate),
                bill_by_task: task_parts(model, &split.task_monthly[m * split.kinds..]),
                bill_by_model: model_parts(split, &split.model_monthly[m * split.models.len()..]),
                fixed_charges: dist(Series::Fixed),
                monthly_budget: streams.monthly_budget.get(m).map(BudgetCheck::streamed),
                not_done: streams.limits_monthly.get(m).map(|a| NotDone::of(a)),
            });
        }
        let periods: Vec<String> = (0..months)
            .map(|m| model.start.plus(m as u32).to_string())
            .collect();
        let years = (0..streams.years.len())
            .map(|y| {
                let range = streams.years[y].clone();
                YearSummary {
                    year: y + 1,
                    label: model.year_label(y),
                    months: [range.start + 1, range.end],
                    periods: [
                        model.start.plus(range.start as u32).to_string(),
                        model.start.plus(range.end as u32 - 1).to_string(),
                    ],
                    bill: Dist::streamed(&streams.yearly[y], false),
                    bill_by_task: task_parts(model, &run.split.task_yearly[y * run.split.kinds..]),
                    bill_by_model: model_parts(
                        &run.split,
                        &run.split.model_yearly[y * run.split.models.len()..],
                    ),
                    fixed_charges: Dist::streamed(&run.split.fixed_yearly[y], false),
                    not_done: streams.limits_yearly.get(y).map(|a| NotDone::of(a)),
                    partial: range.len() < 12,
                    annual_budget: streams.annual_budget.get(y).map(BudgetCheck::streamed),
                    annual_budget_exhaustion: streams
                        .exhaustion
                        .get(y)
                        .map(|e| BudgetExhaustion::of(e, &periods[range.clone()])),
                    p_any_month_over_budget: streams
                        .any_month_over_by_year
                        .get(y)
                        .map(|&c| Probability::of(c, run.trials)),
                }
            })
            .collect();
        let total_weight: f64 = model.tasks.iter().map(|t| t.weight).sum();
        ForecastSummary {
            scenario: forecast.name.clone(),
            trials: run.trials,
            seed: run.seed,
            start: model.start.to_string(),
            months,
            currency: forecast
                .spec
                .forecast
                .currency
                .clone()
                .unwrap_or_else(|| "USD".into()),
            discount: model.discount,
            headline: match model.headline {
                super::model::Headline::Basic => "basic".into(),
                super::model::Headline::Scheme(i) => model.schemes[i].name.clone(),
            },
            schemes: super::scheme_outcome::summarise(model, run),
            quantile_method: QUANTILE_METHOD,
            percentile_relative_error: RELATIVE_ERROR,
            detail_percentile_trials: run.trials,
            aggregation: AggregationInfo {
                method: AGGREGATION_METHOD,
                exact_users_max: model.aggregation.exact_users_max,
                exact_tasks_max: model.aggregation.exact_tasks_max,
                validation: AGGREGATION_VALIDATION,
            },
            spend_split_method: super::spend_split::SPLIT_METHOD,
            tasks: model
                .tasks
                .iter()
                .map(|t| TaskSummary {
                    name: t.name.clone(),
                    share: t.weight / total_weight,
                    pool_tasks: t.pool.len(),
                    mean_cost: t.pool.stats.mean_cost,
                    mean_cost_se: t.pool.mean_cost_se(),
                    mean_tokens: t.pool.stats.mean_tokens,
                    history: t.history.as_ref().map(|h| h.words()),
                })
                .collect(),
            monthly,
            years,
            budget: BudgetSummary::new(model, streams, run.trials),
            total_bill: Dist::streamed(&streams.total, false),
            limits: streams.limits_yearly.last().map(|a| LimitsSummary {
                per_user_monthly_usd: model.limits.per_user,
                monthly_usd: model.limits.monthly,
                not_done: NotDone::of(a),
                method: LIMITS_METHOD,
            }),
        }
    }
}

/// Each task kind's distribution, by name, from the kinds' accumulators starting at `accs[0]`.
fn task_parts(model: &ForecastModel, accs: &[DistAccumulator]) -> NamedMap<Dist> {
    NamedMap(
        model
            .tasks
            .iter()
            .zip(accs)
            .map(|(t, a)| (t.name.clone(), Dist::streamed(a, false)))
            .collect(),
    )
}

/// Each model's distribution, by name, from the models' accumulators starting at `accs[0]`.
fn model_parts(split: &SpendSplit, accs: &[DistAccumulator]) -> NamedMap<Dist> {
    NamedMap(
        split
            .models
            .iter()
            .zip(accs)
            .map(|(name, a)| (name.clone(), Dist::streamed(a, false)))
            .collect(),
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn nearest_rank_quantiles() {
        let v: Vec<f64> = (1..=100).map(f64::from).collect();
        assert_eq!(quantile_sorted(&v, 0.9), 90.0);
        assert_eq!(quantile_sorted(&v, 0.99), 99.0);
        assert_eq!(quantile_sorted(&v, 0.05), 5.0);
        let c = BudgetCheck::of(&[1.0, 2.0, 3.0, 4.0], 2.5);
        assert_eq!(c.p_exceed, 0.5);
        assert_eq!(c.expected_overrun, 0.5);
    }
}
