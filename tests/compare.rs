//! `compare`: common random numbers, exact identities on deterministic tasks, the workload's
//! task count against its mean, break-even against its closed form, thread independence.

use tokencast::engine::compare::{self, CompareSetup, Comparison};
use tokencast::scenario::Scenario;

/// A zero-variance task: one uncached call, prompt 1,000 tokens at $1/MTok, 100 output tokens
/// at $10/MTok: $0.002 per task.
const TASK_COST: f64 = 0.002;

fn scenario(billing: &str, workload: &str) -> Scenario {
    let text = format!(
        r#"
[models.m]
input = 1.0
output = 10.0
batch = {{ input = 0.5, output = 5.0 }}
[agent]
caching = "off"
system_prompt = 1000
[[phases]]
name = "p"
steps = [{{ call = {{ output = 100 }} }}]
[workload]
{workload}
{billing}
"#
    );
    Scenario::from_text("cmp.toml", "cmp", text).unwrap_or_else(|e| panic!("{e}"))
}

fn run(s: &Scenario, periods: u64, threads: usize, sweep: bool) -> Comparison {
    let b = s.billing.as_ref().expect("billing");
    let setup = CompareSetup {
        workflow: &s.workflow,
        prices: &s.prices,
        workload: b.workload.clone(),
        schemes: b.schemes.clone(),
        baseline: b.baseline,
        sweep: if sweep { b.sweep.clone() } else { Vec::new() },
        sweep_periods: b.sweep_periods,
    };
    compare::compare(&setup, periods, 11, Some(threads)).expect("runs")
}

const SCHEMES: &str = r#"
[billing.a_list]
tokens = {}
[billing.b_commit_nothing]
commitment = { commit_usd = 0, discount = 0 }
[billing.c_batch_half]
tokens = { batch_share = 0.5 }
"#;

#[test]
fn every_scheme_bills_the_same_usage() {
    let s = scenario(SCHEMES, "seats = 20\ntasks_per_seat = 30\ndispersion = 1.5");
    let c = run(&s, 300, 2, false);
    // A zero commitment bills exactly the list price: with common random numbers the paired
    // difference is 0 in every period (independent usage would differ by ~sqrt(2) sd).
    let pair = &c.pairs[0];
    assert_eq!(
        (pair.a.as_str(), pair.b.as_str()),
        ("a_list", "b_commit_nothing")
    );
    assert_eq!(pair.difference_usd.mean, 0.0);
    assert_eq!(pair.difference_usd.se, 0.0);
    assert!(
        c.schemes[0].cost_usd.sd > 0.0,
        "the bills vary between periods"
    );
    // Each period's list bill is its task count times the task cost, so the means agree.
    let list = c.schemes[0].cost_usd.mean;
    assert!(
        (list - c.tasks.mean * TASK_COST).abs() <= 1e-9 * list,
        "{list}"
    );
    // Half the work at batch rates (half price): exactly 3/4 of list in every period.
    let batch = &c.pairs[1];
    assert_eq!(batch.b, "c_batch_half");
    assert!((c.schemes[2].cost_usd.mean - 0.75 * list).abs() <= 1e-9 * list);
    assert_eq!(
        batch.p_a_cheaper.mean, 0.0,
        "list is never cheaper than half batch"
    );
}

#[test]
fn tasks_per_period_match_the_workload_mean() {
    // 50 seats x Poisson(12) tasks: mean 600 per period; variance 600.
    let s = scenario(
        "[billing.l]\ntokens = {}",
        "seats = 50\ntasks_per_seat = 12",
    );
    let c = run(&s, 2000, 2, false);
    let se = (600.0f64 / 2000.0).sqrt();
    assert!(
        (c.tasks.mean - 600.0).abs() < 4.0 * se,
        "{} vs 600 ± {se}",
        c.tasks.mean
    );
    assert!(
        (c.tasks.sd - 600f64.sqrt()).abs() < 0.1 * 600f64.sqrt(),
        "{}",
        c.tasks.sd
    );
}

#[test]
fn results_do_not_depend_on_threads() {
    let s = scenario(
        SCHEMES,
        "seats = 10\ntasks_per_seat = 20\nsweep = { min = 5, max = 40, points = 4, periods = 50 }",
    );
    let one = tokencast::report::compare::to_json(&run(&s, 100, 1, true));
    let three = tokencast::report::compare::to_json(&run(&s, 100, 3, true));
    assert_eq!(one, three);
}

#[test]
fn break_even_of_a_flat_seat_fee_is_fee_over_task_cost() {
    // A $0.10 seat with an unlimited allowance against list prices at $0.002 per task: they
    // cost the same at 50 tasks per seat. The swept means are simulated (Poisson counts), so
    // the crossing is within 4 SE: SE(list mean) at x is c sqrt(seats x / periods), divided by
    // the slope seats x c.
    let billing = r#"
[billing.list]
tokens = {}
[billing.seat]
seats = { usd_per_seat = 0.1, allowance = { usd = 1000000 }, beyond = "throttle" }
"#;
    let workload = "seats = 40\ntasks_per_seat = 50\nbaseline = \"list\"\nsweep = { min = 10, max = 90, points = 9, periods = 400 }";
    let s = scenario(billing, workload);
    let c = run(&s, 100, 2, true);
    let b = &c.break_even[0];
    let x = b.tasks_per_seat.expect("a crossing in range");
    let tol = 4.0 * (40.0f64 * 50.0 / 400.0).sqrt() / 40.0;
    assert!(
        (x - 50.0).abs() < tol + 1e-9,
        "break-even {x} vs 50 ± {tol}"
    );
    assert!(b.note.starts_with("list is cheaper below"), "{}", b.note);
}

#[test]
fn a_seat_plan_throttles_and_reports_the_work_not_done() {
    // Allowance of 3 requests (calls) per seat; every task is one call. Seat i runs n_i tasks;
    // tasks beyond the third are not done: E[throttled] = seats x E[(N - 3)+] for N ~ Poisson(5).
    let billing = "[billing.s]\nseats = { usd_per_seat = 1, allowance = { requests = 3 }, beyond = \"throttle\" }";
    let s = scenario(billing, "seats = 30\ntasks_per_seat = 5");
    let c = run(&s, 2000, 2, false);
    let pmf: Vec<f64> = {
        let mut p = (-5.0f64).exp();
        (0..60)
            .map(|k| {
                if k > 0 {
                    p *= 5.0 / k as f64;
                }
                p
            })
            .collect()
    };
    let excess: f64 = pmf
        .iter()
        .enumerate()
        .map(|(k, p)| p * (k as f64 - 3.0).max(0.0))
        .sum();
    let want = 30.0 * excess;
    let got = c.schemes[0].throttled_tasks;
    assert!(
        (got.mean - want).abs() < 4.0 * got.se,
        "{} ± {} vs {want}",
        got.mean,
        got.se
    );
    assert_eq!(c.schemes[0].cost_usd.mean, 30.0, "the fee only");
    let lost = c.schemes[0].throttled_list_usd.mean;
    assert!(
        (lost - got.mean * TASK_COST).abs() < 1e-9,
        "throttled list value"
    );
}
