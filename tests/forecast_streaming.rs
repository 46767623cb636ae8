//! Streamed forecast summaries: every figure of `summary.json`, the stress table and the
//! sensitivity analysis comes from accumulators whose size does not grow with the trial count.
//! Checked here against exact statistics of the per-trial values (recorded on request,
//! `Record::EveryTrial`), and for bit-identical output at any thread count.

mod common;

use common::forecast::load;
use tokencast::forecast::outcome::{BudgetCheck, Dist};
use tokencast::forecast::simulate::{self, CHUNK};
use tokencast::forecast::streams::year_months;
use tokencast::forecast::{
    Forecast, ForecastConfig, ForecastRun, ForecastSummary, Record, sensitivity, stress,
};
use tokencast::stats::RELATIVE_ERROR;

/// An uncertain organisation over 14 months (two forecast years), with budgets, named schemes
/// and a stress case.
const ORG: &str = r#"
[forecast]
start = "2027-01"
months = 14
[seats]
logistic = { capacity = { uniform = { min = 20, max = 40 } }, midpoint = { uniform = { min = 3, max = 8 } }, rate = 0.8 }
[usage]
active_share = { uniform = { min = 0.5, max = 0.9 } }
tasks_per_day = { lognormal = { median = 2, sigma = 0.3 } }
dispersion = 1.5
intensity_sigma = 0.8
[calendar]
working_days = 20
[[tasks]]
name = "bug fix"
scenario = "../../scenarios/reference-coding-task.toml"
weight = 1
[drift]
tokens_per_task = { uniform = { min = 0.0, max = 0.02 } }
price = -0.01
[billing]
discount = 0.1
[billing.seat_plan]
seats = { usd_per_seat = 19, allowance = { usd = 25 }, beyond = "api_prices" }
[billing.committed]
commitment = { commit_usd = 600, discount = 0.25 }
[budget]
monthly = 200
annual = 1500
[[stress]]
name = "adoption x2"
seats = 2.0
[aggregation]
pool_size = 512
"#;

fn config(trials: u64, threads: usize, record: Record) -> ForecastConfig {
    ForecastConfig {
        trials,
        seed: 9,
        threads: Some(threads),
        record,
    }
}

/// The streamed distribution against the exact one of `values`: moments to rounding, min and
/// max exact, percentiles within the histogram's relative error.
fn within_error(what: &str, streamed: &Dist, values: &[f64]) {
    let exact = Dist::of(values);
    let close = |a: f64, b: f64, tol: f64| (a - b).abs() <= tol * b.abs().max(1e-12);
    assert!(close(streamed.mean, exact.mean, 1e-12), "{what}: mean");
    assert!(close(streamed.sd, exact.sd, 1e-9), "{what}: sd");
    assert_eq!(
        (streamed.min, streamed.max),
        (exact.min, exact.max),
        "{what}"
    );
    let pairs = [
        (streamed.p5, exact.p5),
        (streamed.p25, exact.p25),
        (streamed.p50, exact.p50),
        (streamed.p75, exact.p75),
        (streamed.p90, exact.p90),
        (streamed.p95, exact.p95),
        (streamed.p99, exact.p99),
    ];
    for (i, (s, e)) in pairs.into_iter().enumerate() {
        assert!(
            (s - e).abs() <= RELATIVE_ERROR * e.abs() * (1.0 + 1e-12),
            "{what}: percentile {i}: streamed {s}, exact {e}"
        );
    }
}

fn budget_exact(what: &str, streamed: &BudgetCheck, values: &[f64]) {
    let exact = BudgetCheck::of(values, streamed.budget);
    assert_eq!(
        streamed.p_exceed, exact.p_exceed,
        "{what}: count above budget"
    );
    assert_eq!(streamed.p_exceed_se, exact.p_exceed_se, "{what}");
    let tol = 1e-12 * exact.expected_overrun.abs().max(1e-9);
    assert!(
        (streamed.expected_overrun - exact.expected_overrun).abs() <= tol,
        "{what}: overrun {} vs {}",
        streamed.expected_overrun,
        exact.expected_overrun
    );
}

#[test]
fn streamed_summaries_match_exact_statistics_of_every_trial() {
    let f = load(ORG, &[]);
    // Several chunks and windows: 2,500 trials, every one recorded for the exact side.
    let trials = 2500;
    let run = simulate::run(&f.model, &config(trials, 2, Record::EveryTrial)).unwrap();
    assert_eq!(run.detail_trials, trials);
    let s = ForecastSummary::new(&f, &run);
    assert_eq!(s.percentile_relative_error, RELATIVE_ERROR);
    let n = trials as usize;
    let months = run.months;
    let mut cumulative = vec![0.0; n];
    for m in 0..months {
        let month = &s.monthly[m];
        let bill = run.month_values(&run.bill, m);
        within_error(&format!("bill {m}"), &month.bill, &bill);
        budget_exact(
            &format!("monthly budget {m}"),
            month.monthly_budget.as_ref().unwrap(),
            &bill,
        );
        for (c, b) in cumulative.iter_mut().zip(&bill) {
            *c += b;
        }
        within_error(
            &format!("cumulative {m}"),
            &month.cumulative_bill,
            &cumulative,
        );
        within_error(
            &format!("seats {m}"),
            &month.seats,
            &run.month_values(&run.seats, m),
        );
        within_error(
            &format!("tasks {m}"),
            &month.tasks,
            &run.month_values(&run.tasks, m),
        );
        within_error(
            &format!("tokens {m}"),
            &month.tokens,
            &run.month_values(&run.tokens, m),
        );
        within_error(
            &format!("list {m}"),
            &month.list_cost,
            &run.month_values(&run.list_cost, m),
        );
        for (k, scheme) in s.schemes.iter().enumerate() {
            let values: Vec<f64> = (0..n)
                .map(|t| run.scheme_bill[(t * months + m) * run.schemes + k])
                .collect();
            within_error(
                &format!("{} {m}", scheme.name),
                &scheme.monthly[m].bill,
                &values,
            );
        }
    }
    assert_eq!(s.years.len(), 2);
    for (y, year) in s.years.iter().enumerate() {
        let totals = run.bill_total(year_months(y, months));
        within_error(&format!("year {y}"), &year.bill, &totals);
        budget_exact(
            &format!("annual budget {y}"),
            year.annual_budget.as_ref().unwrap(),
            &totals,
        );
        for (k, scheme) in s.schemes.iter().enumerate() {
            let totals: Vec<f64> = (0..n)
                .map(|t| {
                    year_months(y, months)
                        .map(|m| run.scheme_bill[(t * months + m) * run.schemes + k])
                        .sum()
                })
                .collect();
            within_error(
                &format!("{} year {y}", scheme.name),
                &scheme.years[y],
                &totals,
            );
        }
    }
    within_error("total", &s.total_bill, &run.bill_total(0..months));
    // Some months must actually pass the budget, or the exact-count check tests nothing.
    assert!(
        s.monthly
            .iter()
            .any(|m| m.monthly_budget.unwrap().p_exceed > 0.0)
    );
    assert!(
        s.monthly
            .iter()
            .any(|m| m.monthly_budget.unwrap().p_exceed < 1.0)
    );
    let year1 = s.years[0].annual_budget.unwrap().p_exceed;
    assert!(year1 > 0.0 && year1 < 1.0, "{year1}");
}

#[test]
fn streaming_does_not_depend_on_what_is_recorded() {
    let f = load(ORG, &[]);
    let every = simulate::run(&f.model, &config(700, 2, Record::EveryTrial)).unwrap();
    let first = simulate::run(&f.model, &config(700, 2, Record::FirstTrials)).unwrap();
    assert_eq!(every.streams, first.streams);
    assert_eq!(every.sample, first.sample);
}

fn outputs(f: &Forecast, run: &ForecastRun, config: &ForecastConfig) -> Vec<String> {
    let summary = ForecastSummary::new(f, run);
    let stress = stress::run_all(f, run, config).unwrap();
    let sens = sensitivity::analyse(f, run, config).unwrap();
    vec![
        serde_json::to_string(&summary).unwrap(),
        serde_json::to_string(&stress).unwrap(),
        serde_json::to_string(&sens).unwrap(),
    ]
}

#[test]
fn summary_stress_and_sensitivity_are_byte_identical_at_one_and_two_threads() {
    let f = load(ORG, &[]);
    // More than one window of chunks on either thread count (8 chunks per thread a window).
    let trials = 20 * CHUNK + 17;
    let one = config(trials, 1, Record::FirstTrials);
    let two = config(trials, 2, Record::FirstTrials);
    let a = simulate::run(&f.model, &one).unwrap();
    let b = simulate::run(&f.model, &two).unwrap();
    assert_eq!(a, b);
    let (oa, ob) = (outputs(&f, &a, &one), outputs(&f, &b, &two));
    for (x, y) in oa.iter().zip(&ob) {
        assert_eq!(x, y);
    }
    let sens: serde_json::Value = serde_json::from_str(&oa[2]).unwrap();
    assert_eq!(sens["rank_correlation_trials"], trials);
}
