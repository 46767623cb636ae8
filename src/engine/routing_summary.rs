//! The routing section of `summary.json`: per policy the cost per task, the resolved share,
//! the cost per resolved task and the share escalated, each with its standard error; the
//! paired difference of each policy from the first, with a 95% confidence interval; and which
//! policy is cheapest per resolved task, in words.
//!
//! **Cost per resolved task** is a ratio of means, `R = c̄ / r̄` (the mean cost per task over
//! the resolved share: every task's cost counts, resolved or not). Its standard error is the
//! delta method's, `SE² = (V_cc − 2R V_cr + R² V_rr) / (n r̄²)` (Cochran, *Sampling
//! Techniques*, 3rd ed., §6.4). A **paired difference** of two policies `a` and `b` run on the
//! same tasks is the mean of the per-task differences; its variance uses the covariance of the
//! two policies' columns (`V_aa + V_bb − 2 V_ab`), so it is much smaller than two independent
//! runs' would be. For the difference of two ratios, the gradient
//! `g = (1/r̄_a, −R_a/r̄_a, −1/r̄_b, R_b/r̄_b)` over `(c_a, r_a, c_b, r_b)` gives
//! `SE² = gᵀ Σ g / n`. Intervals are ±1.96 SE (normal approximation).

use serde::Serialize;

use super::routing::{COLUMNS_PER_POLICY, RoutingResult};
use crate::stats::{Estimate, RELATIVE_ERROR};
use crate::workflow::Routing;

/// z of a two-sided 95% normal interval.
const Z95: f64 = 1.959_963_984_540_054;

/// A paired difference with its standard error and 95% interval.
#[derive(Debug, Clone, Copy, PartialEq, Serialize)]
pub struct PairedDifference {
    /// The difference (this policy minus the other).
    pub difference: f64,
    /// Its standard error.
    pub se: f64,
    /// Lower end of the 95% confidence interval.
    pub ci95_low: f64,
    /// Upper end of the 95% confidence interval.
    pub ci95_high: f64,
}

impl PairedDifference {
    fn new(difference: f64, se: f64) -> PairedDifference {
        PairedDifference {
            difference,
            se,
            ci95_low: difference - Z95 * se,
            ci95_high: difference + Z95 * se,
        }
    }

    /// Whether the interval excludes zero.
    pub fn excludes_zero(&self) -> bool {
        self.ci95_low > 0.0 || self.ci95_high < 0.0
    }
}

/// One policy compared with the first.
#[derive(Debug, Clone, Copy, PartialEq, Serialize)]
pub struct VersusBaseline {
    /// Mean cost per task, USD.
    pub cost_usd: PairedDifference,
    /// Resolved share.
    pub resolved_share: PairedDifference,
    /// Cost per resolved task, USD (absent when either policy resolved nothing).
    pub cost_per_resolved_usd: Option<PairedDifference>,
}

/// The cost per task of a policy.
#[derive(Debug, Clone, Copy, PartialEq, Serialize)]
pub struct PolicyCost {
    /// Mean, USD.
    pub mean: f64,
    /// Standard error of the mean.
    pub se: f64,
    /// Median.
    pub p50: f64,
    /// 90th percentile.
    pub p90: f64,
    /// 99th percentile.
    pub p99: f64,
}

/// One policy's outcome.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct PolicySummary {
    /// Its name.
    pub name: String,
    /// Its ladder of models, cheapest first.
    pub models: Vec<String>,
    /// What it does, in words.
    pub rule: String,
    /// Cost per task (every model the task ran on).
    pub cost_usd: PolicyCost,
    /// Share of tasks resolved.
    pub resolved_share: Estimate,
    /// Mean cost per task over the resolved share (absent when nothing was resolved).
    pub cost_per_resolved_usd: Option<Estimate>,
    /// Share of tasks that used a model beyond the first of its list.
    pub escalated_share: Estimate,
    /// The paired difference from the first policy (absent for the first).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub versus_first: Option<VersusBaseline>,
}

/// The routing section of a run's summary.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct RoutingSummary {
    /// Tasks each policy ran (the same tasks for all).
    pub trials: u64,
    /// Each model's skill.
    pub skill: std::collections::BTreeMap<String, f64>,
    /// The policies, the first being the baseline.
    pub policies: Vec<PolicySummary>,
    /// The policy with the lowest cost per resolved task.
    pub cheapest_per_resolved: Option<String>,
    /// The answer, in words.
    pub verdict: String,
    /// Largest relative error of the percentiles (quantile sketch).
    pub quantile_relative_error: f64,
}

/// Column of policy `k`'s cost, resolved and escalated.
fn cost_col(k: usize) -> usize {
    k * COLUMNS_PER_POLICY
}
fn res_col(k: usize) -> usize {
    k * COLUMNS_PER_POLICY + 1
}
fn esc_col(k: usize) -> usize {
    k * COLUMNS_PER_POLICY + 2
}

/// Builds the summary of a routing comparison.
pub fn summarise(routing: &Routing, model_names: &[String], r: &RoutingResult) -> RoutingSummary {
    let n = r.trials as f64;
    let se_of = |var: f64| (var.max(0.0) / n).sqrt();
    let ratio = |k: usize| -> Option<(f64, Vec<(usize, f64)>)> {
        let rbar = r.mean(res_col(k));
        (rbar > 0.0).then(|| {
            let big_r = r.mean(cost_col(k)) / rbar;
            (
                big_r,
                vec![(cost_col(k), 1.0 / rbar), (res_col(k), -big_r / rbar)],
            )
        })
    };
    let quad = |g: &[(usize, f64)]| -> f64 {
        let mut v = 0.0;
        for &(a, ga) in g {
            for &(b, gb) in g {
                v += ga * gb * r.cov(a, b);
            }
        }
        v
    };
    let diff = |a: usize, b: usize| {
        PairedDifference::new(
            r.mean(a) - r.mean(b),
            se_of(r.cov(a, a) + r.cov(b, b) - 2.0 * r.cov(a, b)),
        )
    };
    let ratio_diff = |a: usize, b: usize| -> Option<PairedDifference> {
        let (ra, ga) = ratio(a)?;
        let (rb, gb) = ratio(b)?;
        let mut g = ga;
        g.extend(gb.into_iter().map(|(c, v)| (c, -v)));
        Some(PairedDifference::new(ra - rb, se_of(quad(&g))))
    };
    let mut policies = Vec::with_capacity(routing.policies.len());
    for (k, p) in routing.policies.iter().enumerate() {
        let q = r.costs[k].quantiles(&[0.5, 0.9, 0.99], false);
        let estimate = |col: usize| Estimate {
            mean: r.mean(col),
            se: se_of(r.cov(col, col)),
        };
        policies.push(PolicySummary {
            name: p.name.clone(),
            models: p.models.iter().map(|&m| model_names[m].clone()).collect(),
            rule: p.describe(model_names),
            cost_usd: PolicyCost {
                mean: r.mean(cost_col(k)),
                se: se_of(r.cov(cost_col(k), cost_col(k))),
                p50: q[0],
                p90: q[1],
                p99: q[2],
            },
            resolved_share: estimate(res_col(k)),
            cost_per_resolved_usd: ratio(k).map(|(big_r, g)| Estimate {
                mean: big_r,
                se: se_of(quad(&g)),
            }),
            escalated_share: estimate(esc_col(k)),
            versus_first: (k > 0).then(|| VersusBaseline {
                cost_usd: diff(cost_col(k), cost_col(0)),
                resolved_share: diff(res_col(k), res_col(0)),
                cost_per_resolved_usd: ratio_diff(k, 0),
            }),
        });
    }
    // Cheapest per resolved task, and its paired difference from the runner-up.
    let mut ranked: Vec<(usize, f64)> = policies
        .iter()
        .enumerate()
        .filter_map(|(k, p)| p.cost_per_resolved_usd.map(|e| (k, e.mean)))
        .collect();
    ranked.sort_by(|a, b| a.1.total_cmp(&b.1).then(a.0.cmp(&b.0)));
    let verdict = match ranked.as_slice() {
        [] => "No policy resolved any task: there is no cost per resolved task to compare.".into(),
        [(k, _)] if policies.len() == 1 => format!(
            "One policy, {}: {} per resolved task.",
            quoted(&policies[*k].name),
            money_pm(policies[*k].cost_per_resolved_usd.expect("ranked"))
        ),
        [(k, _)] => format!(
            "Only {} resolved any task: {} per resolved task.",
            quoted(&policies[*k].name),
            money_pm(policies[*k].cost_per_resolved_usd.expect("ranked"))
        ),
        [(best, _), (second, _), ..] => {
            let b = &policies[*best];
            let e = b.cost_per_resolved_usd.expect("ranked");
            let d = ratio_diff(*best, *second).expect("both ranked");
            let s = &policies[*second];
            let mut text = format!(
                "Cheapest per resolved task: {}, at {} per resolved task ({} of tasks resolved, {} per task). ",
                quoted(&b.name),
                money_pm(e),
                percent(b.resolved_share.mean),
                money(b.cost_usd.mean)
            );
            if d.excludes_zero() {
                text.push_str(&format!(
                    "The runner-up, {}, costs {} more per resolved task on the same tasks (95% CI {} to {}).",
                    quoted(&s.name),
                    money(-d.difference),
                    money(-d.ci95_high),
                    money(-d.ci95_low)
                ));
            } else {
                text.push_str(&format!(
                    "It is not distinguishable from {} at 95% confidence (difference {}, 95% CI {} to {}): run more trials to separate them.",
                    quoted(&s.name),
                    money(d.difference),
                    money(d.ci95_low),
                    money(d.ci95_high)
                ));
            }
            text
        }
    };
    RoutingSummary {
        trials: r.trials,
        skill: model_names
            .iter()
            .cloned()
            .zip(routing.skill.iter().copied())
            .collect(),
        cheapest_per_resolved: ranked.first().map(|&(k, _)| policies[k].name.clone()),
        policies,
        verdict,
        quantile_relative_error: RELATIVE_ERROR,
    }
}

fn quoted(name: &str) -> String {
    format!("“{name}”")
}

/// Dollars to about four significant digits (at least cents), thousands separated:
/// `$1,234`, `$0.3127`, `−$0.05`.
pub fn money(v: f64) -> String {
    money_digits(v, 4)
}

/// A standard error in dollars: two significant digits are all it supports (at least cents).
pub fn money_se(v: f64) -> String {
    money_digits(v, 2)
}

fn money_digits(v: f64, significant: i32) -> String {
    if !v.is_finite() {
        return "n/a".into();
    }
    let sign = if v < 0.0 { "−" } else { "" };
    let a = v.abs();
    let decimals = if a > 0.0 {
        (significant - 1 - a.log10().floor() as i32).clamp(2, 8) as usize
    } else {
        2
    };
    let text = format!("{a:.decimals$}");
    let (whole, frac) = text.split_at(text.find('.').unwrap_or(text.len()));
    format!(
        "{sign}${}{frac}",
        crate::text::thousands(whole.parse::<f64>().unwrap_or(0.0))
    )
}

fn money_pm(e: Estimate) -> String {
    format!(
        "{} ± {}",
        money(e.mean),
        money_se(e.se).trim_start_matches('$')
    )
}

fn percent(v: f64) -> String {
    format!("{:.1}%", 100.0 * v)
}
