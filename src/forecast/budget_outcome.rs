//! What a summary says about budgets beyond each month's and year's check: the budgets as
//! set (per month and per fiscal year), the chance that any month passes its monthly budget,
//! the riskiest month, and per year the month in which year-to-date spend first passes the
//! annual budget (its distribution over every trial, and the chance it never does).
//!
//! Every probability is an exact count over every trial with its binomial standard error
//! `√(p(1 − p)/n)`.

use serde::Serialize;

use super::fiscal::MONTH_NAMES;
use super::model::{ForecastModel, MonthlyBudgetForm};
use super::streams::{ExhaustionAccumulator, RunStreams};
use crate::engine::NamedMap;

/// A probability counted over trials, with its binomial standard error.
#[derive(Debug, Clone, Copy, PartialEq, Serialize)]
pub struct Probability {
    /// The share of trials.
    pub p: f64,
    /// Its standard error.
    pub se: f64,
}

impl Probability {
    /// `count` trials out of `n`.
    pub fn of(count: u64, n: u64) -> Probability {
        let n = n.max(1) as f64;
        let p = count as f64 / n;
        Probability {
            p,
            se: (p * (1.0 - p) / n).sqrt(),
        }
    }
}

/// One month of a year's budget exhaustion.
#[derive(Debug, Clone, Copy, PartialEq, Serialize)]
pub struct ExhaustionMonth {
    /// Probability that year-to-date spend first passes the annual budget in this month.
    pub p: f64,
    /// Its standard error.
    pub se: f64,
    /// Probability that it has passed it by the end of this month.
    pub p_by_end: f64,
}

/// When a year's budget runs out.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct BudgetExhaustion {
    /// The year's budget.
    pub budget: f64,
    /// By calendar month (`YYYY-MM`, the year's months in order): the month in which
    /// year-to-date spend first passes the budget.
    pub first_over: NamedMap<ExhaustionMonth>,
    /// Probability that spend stays within the budget all year.
    pub p_never: f64,
    /// Its standard error.
    pub p_never_se: f64,
    /// The month most likely to be the first over (none when no trial passes the budget).
    pub most_likely_month: Option<String>,
    /// The first month by whose end at least half the trials have passed the budget (none
    /// when fewer than half ever do).
    pub median_month: Option<String>,
}

impl BudgetExhaustion {
    /// The distribution counted in `acc`, for months labelled `periods`.
    pub fn of(acc: &ExhaustionAccumulator, periods: &[String]) -> BudgetExhaustion {
        let n = acc.trials();
        let mut by_end = 0;
        let mut first_over = Vec::new();
        let mut most_likely: Option<(u64, &String)> = None;
        let mut median = None;
        for (&c, period) in acc.first_over.iter().zip(periods) {
            by_end += c;
            let p = Probability::of(c, n);
            first_over.push((
                period.clone(),
                ExhaustionMonth {
                    p: p.p,
                    se: p.se,
                    p_by_end: by_end as f64 / n.max(1) as f64,
                },
            ));
            if c > 0 && most_likely.is_none_or(|(best, _)| c > best) {
                most_likely = Some((c, period));
            }
            if median.is_none() && 2 * by_end >= n && by_end > 0 {
                median = Some(period.clone());
            }
        }
        let never = Probability::of(acc.never, n);
        BudgetExhaustion {
            budget: acc.budget,
            first_over: NamedMap(first_over),
            p_never: never.p,
            p_never_se: never.se,
            most_likely_month: most_likely.map(|(_, p)| p.clone()),
            median_month: median,
        }
    }
}

/// The month most likely to pass its monthly budget.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct RiskiestMonth {
    /// Calendar month, `YYYY-MM`.
    pub period: String,
    /// Its budget.
    pub budget: f64,
    /// Probability that its bill passes it.
    pub p_exceed: f64,
    /// Its standard error.
    pub p_exceed_se: f64,
}

/// The budgets as set and what holds over the whole horizon.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct BudgetSummary {
    /// The calendar month (1–12) forecast years start in.
    pub fiscal_year_start: u32,
    /// Its name, e.g. `April`.
    pub fiscal_year_start_name: &'static str,
    /// Whether the file sets it (`[budget] fiscal_year_start`); otherwise years are the
    /// blocks of twelve months from the forecast's start.
    pub fiscal_year_start_set: bool,
    /// How the monthly budget is given: `flat`, `per_month` or `per_quarter` (none without
    /// one).
    pub monthly_form: Option<&'static str>,
    /// Each month's budget by calendar month `YYYY-MM` (none without a monthly budget).
    pub monthly: Option<NamedMap<f64>>,
    /// Each year's budget by the year's label (none without an annual budget).
    pub annual: Option<NamedMap<f64>>,
    /// Probability that at least one month of the horizon passes its monthly budget.
    pub p_any_month_over: Option<Probability>,
    /// The month most likely to pass its monthly budget (the earliest among equals).
    pub riskiest_month: Option<RiskiestMonth>,
}

impl BudgetSummary {
    /// The budgets of `model` and what `streams` (over `trials` trials) counted.
    pub fn new(model: &ForecastModel, streams: &RunStreams, trials: u64) -> BudgetSummary {
        let periods: Vec<String> = (0..model.months())
            .map(|m| model.start.plus(m as u32).to_string())
            .collect();
        let b = &model.budget;
        let riskiest = streams
            .monthly_budget
            .iter()
            .enumerate()
            .fold(None, |best: Option<(usize, u64)>, (m, acc)| match best {
                Some((_, over)) if over >= acc.over => best,
                _ => Some((m, acc.over)),
            })
            .map(|(m, over)| {
                let p = Probability::of(over, trials);
                RiskiestMonth {
                    period: periods[m].clone(),
                    budget: streams.monthly_budget[m].budget,
                    p_exceed: p.p,
                    p_exceed_se: p.se,
                }
            });
        BudgetSummary {
            fiscal_year_start: model.fiscal.start_month,
            fiscal_year_start_name: MONTH_NAMES[model.fiscal.start_month as usize - 1],
            fiscal_year_start_set: model.fiscal.explicit,
            monthly_form: match b.monthly_form {
                MonthlyBudgetForm::None => None,
                MonthlyBudgetForm::Flat => Some("flat"),
                MonthlyBudgetForm::PerMonth => Some("per_month"),
                MonthlyBudgetForm::PerQuarter => Some("per_quarter"),
            },
            monthly: b
                .monthly
                .as_ref()
                .map(|v| NamedMap(periods.iter().cloned().zip(v.iter().copied()).collect())),
            annual: b.annual.as_ref().map(|v| {
                NamedMap(
                    model
                        .fiscal
                        .labels
                        .iter()
                        .cloned()
                        .zip(v.iter().copied())
                        .collect(),
                )
            }),
            p_any_month_over: b
                .monthly
                .as_ref()
                .map(|_| Probability::of(streams.any_month_over, trials)),
            riskiest_month: riskiest,
        }
    }
}
