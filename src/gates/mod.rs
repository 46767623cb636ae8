//! Spend gates: statements about a run's cost distribution that must hold, each checked with
//! its Monte Carlo uncertainty (`tokencast check`, and a `[gates]` table in any scenario or
//! forecast file).
//!
//! A gate reads `STATISTIC(TARGET) OP THRESHOLD`, e.g. `p95(cost_usd) <= 2.00` for a task
//! scenario or `p_over_budget(2028) <= 10%` for a forecast. Its verdict is three-valued:
//!
//! - **holds** when the whole confidence interval of the statistic is on the passing side of the
//!   threshold,
//! - **fails** when the whole interval is on the failing side,
//! - **undecided** when the interval straddles the threshold: more trials are needed.
//!
//! Intervals: a mean's is `mean ± z·SE`; a percentile's is the pair of order statistics whose
//! ranks bound it (`n q ∓ z √(n q (1 − q))`, the distribution-free binomial interval, read
//! off the same histogram as the percentile); a probability's is Wilson's score interval
//! (which stays informative at 0 and 1). The minimum and maximum of the trials run have no
//! interval: they are exact for those trials, and a gate on them is decided as read.
//!
//! `z` is chosen for a family-wise 95% level over the looks a check makes (Bonferroni: each of
//! `L` looks at level `1 − 0.05/L`), so re-running undecided gates with more trials does not
//! inflate the chance of a wrong verdict.

mod evaluate;
mod parse;

pub use evaluate::{Reading, evaluate_forecast, evaluate_run};
pub use parse::{FileKind, GateError, MAX_GATE_LEN, MAX_GATES, gates_in_file, parse_gate};

use serde::Serialize;

/// Which statistic a gate reads.
#[derive(Debug, Clone, Copy, PartialEq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Statistic {
    /// The mean.
    Mean,
    /// The standard deviation (no interval: decided as read).
    Sd,
    /// A percentile, `0 < q < 1`.
    Percentile(f64),
    /// The smallest value over the trials run.
    Min,
    /// The largest value over the trials run.
    Max,
    /// A task scenario's share of successful tasks.
    SuccessRate,
    /// A task scenario's cost per successful task.
    CostPerSuccess,
    /// A forecast's probability that a period's spend exceeds its budget.
    POverBudget,
}

impl Statistic {
    /// The statistic as written in a gate (`p95`, `mean`, ...).
    pub fn label(&self) -> String {
        match self {
            Statistic::Mean => "mean".into(),
            Statistic::Sd => "sd".into(),
            Statistic::Percentile(q) => format!("p{}", (q * 100.0 * 1e6).round() / 1e6),
            Statistic::Min => "min".into(),
            Statistic::Max => "max".into(),
            Statistic::SuccessRate => "success_rate".into(),
            Statistic::CostPerSuccess => "cost_per_success".into(),
            Statistic::POverBudget => "p_over_budget".into(),
        }
    }
}

/// The comparison a gate requires.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
pub enum Comparison {
    /// `<=`
    #[serde(rename = "<=")]
    AtMost,
    /// `<`
    #[serde(rename = "<")]
    Below,
    /// `>=`
    #[serde(rename = ">=")]
    AtLeast,
    /// `>`
    #[serde(rename = ">")]
    Above,
}

impl Comparison {
    /// The operator as written.
    pub fn symbol(&self) -> &'static str {
        match self {
            Comparison::AtMost => "<=",
            Comparison::Below => "<",
            Comparison::AtLeast => ">=",
            Comparison::Above => ">",
        }
    }

    /// Whether `value` satisfies the comparison against `threshold`.
    pub fn holds(&self, value: f64, threshold: f64) -> bool {
        match self {
            Comparison::AtMost => value <= threshold,
            Comparison::Below => value < threshold,
            Comparison::AtLeast => value >= threshold,
            Comparison::Above => value > threshold,
        }
    }
}

/// What a gate is about: a task metric, or a period of a forecast.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Target {
    /// No target (success rate, cost per success).
    Whole,
    /// A task scenario's metric (`cost_usd`, `calls`, `output_tokens`, ...).
    Metric(String),
    /// A forecast's whole horizon.
    Total,
    /// A forecast year: the calendar year its first month falls in (`2028`), or its 1-based
    /// index (`year2`).
    Year(YearRef),
    /// A forecast month, `"YYYY-MM"`.
    Month(String),
}

/// How a gate names a forecast year.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum YearRef {
    /// The calendar year its first month falls in.
    Calendar(i32),
    /// The 1-based index of the forecast year.
    Index(usize),
}

/// One gate, parsed.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Gate {
    /// The gate as written.
    pub text: String,
    /// The statistic.
    pub statistic: Statistic,
    /// What it is about.
    pub target: Target,
    /// A forecast billing scheme (`[billing.NAME]`) instead of the headline bill.
    pub scheme: Option<String>,
    /// The comparison.
    pub comparison: Comparison,
    /// The threshold (probabilities as fractions: `10%` is 0.1).
    pub threshold: f64,
}

/// A gate's verdict.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Verdict {
    /// The whole interval is on the passing side.
    Holds,
    /// The whole interval is on the failing side.
    Fails,
    /// The interval straddles the threshold.
    Undecided,
}

impl Verdict {
    /// The verdict of `comparison` against `threshold` for a reading (interval, or the value
    /// alone when it has none).
    pub fn of(reading: &Reading, comparison: Comparison, threshold: f64) -> Verdict {
        let (lo, hi) = reading.interval.unwrap_or((reading.value, reading.value));
        let (all_pass, none_pass) = match comparison {
            Comparison::AtMost | Comparison::Below => (
                comparison.holds(hi, threshold),
                !comparison.holds(lo, threshold),
            ),
            Comparison::AtLeast | Comparison::Above => (
                comparison.holds(lo, threshold),
                !comparison.holds(hi, threshold),
            ),
        };
        if all_pass {
            Verdict::Holds
        } else if none_pass {
            Verdict::Fails
        } else {
            Verdict::Undecided
        }
    }
}

/// The two-sided normal quantile for a family-wise 95% level over `looks` looks (Bonferroni):
/// `Φ⁻¹(1 − 0.025 / looks)`.
pub fn z_for_looks(looks: u32) -> f64 {
    crate::stats::special::normal_quantile(1.0 - 0.025 / f64::from(looks.max(1)))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn reading(value: f64, lo: f64, hi: f64) -> Reading {
        Reading {
            value,
            interval: Some((lo, hi)),
            trials: 100,
        }
    }

    #[test]
    fn verdicts_follow_the_interval() {
        let at_most = Comparison::AtMost;
        assert_eq!(
            Verdict::of(&reading(1.0, 0.9, 1.1), at_most, 2.0),
            Verdict::Holds
        );
        assert_eq!(
            Verdict::of(&reading(3.0, 2.5, 3.5), at_most, 2.0),
            Verdict::Fails
        );
        assert_eq!(
            Verdict::of(&reading(1.9, 1.8, 2.1), at_most, 2.0),
            Verdict::Undecided
        );
        assert_eq!(
            Verdict::of(&reading(0.95, 0.93, 0.97), Comparison::AtLeast, 0.9),
            Verdict::Holds
        );
        assert_eq!(
            Verdict::of(&reading(0.85, 0.8, 0.89), Comparison::AtLeast, 0.9),
            Verdict::Fails
        );
        // Boundaries: `<` fails a value equal to the threshold, `<=` holds it.
        let exact = Reading {
            value: 2.0,
            interval: None,
            trials: 1,
        };
        assert_eq!(Verdict::of(&exact, at_most, 2.0), Verdict::Holds);
        assert_eq!(Verdict::of(&exact, Comparison::Below, 2.0), Verdict::Fails);
    }

    #[test]
    fn bonferroni_z_grows_with_looks() {
        assert!((z_for_looks(1) - 1.959_964).abs() < 1e-5);
        // Φ⁻¹(1 − 0.025/3) = Φ⁻¹(0.991667) ≈ 2.3940.
        assert!((z_for_looks(3) - 2.393_98).abs() < 1e-4);
    }
}
