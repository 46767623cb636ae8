//! `compare`: common random numbers, exact identities on deterministic tasks, the workload's
//! task count against its mean, break-even against its closed form, thread independence, and
//! the pooled method against simulating every task.

use tokencast::engine::compare::{self, CompareSetup, Comparison, Method, SweepAxis};
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

fn setup(s: &Scenario, sweep: bool, method: Method) -> CompareSetup<'_> {
    let b = s.billing.as_ref().expect("billing");
    CompareSetup {
        workflow: &s.workflow,
        prices: &s.prices,
        workload: b.workload.clone(),
        schemes: b.schemes.clone(),
        baseline: b.baseline,
        along: SweepAxis::TasksPerSeat,
        sweep: if sweep { b.sweep.clone() } else { Vec::new() },
        sweep_periods: b.sweep_periods,
        method,
    }
}

fn run(s: &Scenario, periods: u64, threads: usize, sweep: bool) -> Comparison {
    compare::compare(
        &setup(s, sweep, Method::DEFAULT),
        periods,
        11,
        Some(threads),
    )
    .expect("runs")
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
    assert_eq!((b.a.as_str(), b.b.as_str()), ("list", "seat"));
    assert_eq!(b.crossings.len(), 1, "{b:?}");
    let x = &b.crossings[0];
    let tol = 4.0 * (40.0f64 * 50.0 / 400.0).sqrt() / 40.0;
    assert!(
        (x.x - 50.0).abs() < tol + 1e-9,
        "break-even {} vs 50 ± {tol}",
        x.x
    );
    assert_eq!(x.cheaper_below, "list");
    // The 95% interval holds the crossing and is about ± 1.96 SE / slope wide.
    let (low, high) = (x.low.expect("closed"), x.high.expect("closed"));
    assert!(low <= x.x && x.x <= high, "{x:?}");
    assert!(high - low < 2.0 * tol, "{x:?}");
    assert!(
        x.words.starts_with("seat is cheaper than list above "),
        "{}",
        x.words
    );
}

#[test]
fn break_even_along_seats_of_a_deterministic_difference_is_exact() {
    // A $2 seat (unlimited allowance) against a $100 commitment that always covers the usage
    // (at most 70 seats × a few tasks × $0.002): the bills are exactly 2 × seats and 100 in every
    // month, so they cross at 50 seats with a 95% interval collapsed onto it.
    let billing = r#"
[billing.commit]
commitment = { commit_usd = 100, discount = 0 }
[billing.seat]
seats = { usd_per_seat = 2, allowance = { usd = 1000000 }, beyond = "throttle" }
"#;
    let s = scenario(
        billing,
        "seats = 30
tasks_per_seat = 3",
    );
    for method in [Method::DEFAULT, Method::Simulate] {
        let mut setup = setup(&s, false, method);
        setup.along = SweepAxis::Seats;
        setup.sweep = vec![10.0, 25.0, 40.0, 55.0, 70.0];
        setup.sweep_periods = 40;
        let c = compare::compare(&setup, 40, 3, Some(2)).expect("runs");
        assert_eq!(c.along, "workload.seats");
        assert_eq!(c.along_current, 30.0);
        let b = &c.break_even[0];
        assert_eq!(b.crossings.len(), 1, "{b:?}");
        let x = &b.crossings[0];
        assert!((x.x - 50.0).abs() < 1e-9, "{x:?}");
        assert_eq!((x.low, x.high), (Some(x.x), Some(x.x)), "{x:?}");
        assert_eq!(x.bracket, [40.0, 55.0]);
        assert_eq!(x.cheaper_below, "seat");
        assert_eq!(
            x.words,
            "commit is cheaper than seat above 50 seats (95% CI 50 to 50)"
        );
        for p in &c.sweep {
            assert_eq!(p.difference_usd[0].mean, 100.0 - 2.0 * p.x);
            assert_eq!(p.difference_usd[0].se, 0.0);
        }
    }
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

/// Every kind of scheme: tokens with hourly consumption units, a seat plan with an allowance
/// and throttling, a commitment, compute hours sized to a percentile of peak demand.
const EVERY_KIND: &str = r#"
[billing.a_units]
tokens = { discount = 0.1, units = { usd_per_unit = 0.01, metering_hours = 1, rounding = "up" } }
[billing.b_seats]
seats = { usd_per_seat = 0.05, allowance = { usd = 0.04 }, beyond = "throttle" }
[billing.c_commit]
commitment = { commit_usd = 1.0, discount = 0.2 }
[billing.d_compute]
compute_hours = { usd_per_unit_hour = 0.001, tokens_per_minute_per_unit = 2000, size_to_peak_percentile = 90, billed_hours = 730 }
"#;

#[test]
fn a_deterministic_task_bills_the_same_under_both_methods() {
    // Zero variance within a task: the pooled and the simulated month have the same counts and
    // start slots (drawn alike from the month's stream), so every bill is equal, bit for bit.
    let s = scenario(
        EVERY_KIND,
        "seats = 12\ntasks_per_seat = 20\ndispersion = 2",
    );
    let pooled = compare::compare(&setup(&s, false, Method::DEFAULT), 60, 5, Some(2)).unwrap();
    let simulated = compare::compare(&setup(&s, false, Method::Simulate), 60, 5, Some(2)).unwrap();
    assert_eq!(pooled.period_costs, simulated.period_costs);
    for (p, q) in pooled.schemes.iter().zip(&simulated.schemes) {
        assert_eq!(p.cost_usd.mean, q.cost_usd.mean, "{}", p.name);
        assert_eq!(p.throttled_tasks.mean, q.throttled_tasks.mean, "{}", p.name);
    }
    // The list bill of a month is its task count times the task cost.
    let units = &pooled.schemes[0];
    assert!(units.list_usd.mean > 0.0);
    assert!((units.list_usd.mean - pooled.tasks.mean * TASK_COST).abs() < 1e-9);
}

/// A task with random size: lognormal output and tool results.
fn random_task(billing: &str, workload: &str) -> Scenario {
    let text = format!(
        r#"
[models.m]
input = 1.0
output = 10.0
[agent]
caching = "off"
system_prompt = 1000
[[phases]]
name = "p"
repeat = {{ poisson = {{ mean = 2 }}, shift = 1 }}
steps = [
  {{ call = {{ output = {{ lognormal = {{ median = 100, sigma = 0.8 }} }} }} }},
  {{ tool = {{ name = "t", tokens = {{ lognormal = {{ median = 500, sigma = 1.0 }} }} }} }},
]
[workload]
{workload}
{billing}
"#
    );
    Scenario::from_text("rnd.toml", "rnd", text).unwrap_or_else(|e| panic!("{e}"))
}

#[test]
fn pooled_means_agree_with_simulating_every_task() {
    // Brute force: the same workload with every task simulated, and drawn from pools; every
    // mean agrees within 4 combined standard errors (the pooled SE by batch means includes the
    // pools' own sampling error).
    let s = random_task(
        EVERY_KIND,
        "seats = 15\ntasks_per_seat = 25\ndispersion = 3",
    );
    let pooled = compare::compare(
        &setup(
            &s,
            false,
            Method::Pooled {
                pools: 16,
                pool_size: 512,
            },
        ),
        640,
        21,
        Some(2),
    )
    .unwrap();
    let simulated =
        compare::compare(&setup(&s, false, Method::Simulate), 640, 22, Some(2)).unwrap();
    assert_eq!(pooled.pools, 16);
    let close = |what: &str, p: compare::MeanSe, q: compare::MeanSe| {
        let tol = 4.0 * (p.se * p.se + q.se * q.se).sqrt();
        assert!(
            (p.mean - q.mean).abs() <= tol,
            "{what}: pooled {} ± {} vs simulated {} ± {}",
            p.mean,
            p.se,
            q.mean,
            q.se
        );
    };
    for (p, q) in pooled.schemes.iter().zip(&simulated.schemes) {
        let cost = |d: &compare::Distribution| compare::MeanSe {
            mean: d.mean,
            se: d.se,
        };
        // (A throttled seat plan bills its fee only: a constant.)
        assert!(p.cost_usd.se > 0.0 || p.kind == "seats", "{}", p.name);
        close(&p.name, cost(&p.cost_usd), cost(&q.cost_usd));
        close(&p.name, p.list_usd, q.list_usd);
        close(&p.name, p.overage_usd, q.overage_usd);
        close(&p.name, p.throttled_tasks, q.throttled_tasks);
        close(&p.name, p.units, q.units);
    }
    assert!(
        pooled.schemes[1].throttled_tasks.mean > 0.0,
        "the seat plan throttles"
    );
    for (p, q) in pooled.pairs.iter().zip(&simulated.pairs) {
        close(
            &format!("{} − {}", p.a, p.b),
            p.difference_usd,
            q.difference_usd,
        );
        close(&format!("P({} cheaper)", p.a), p.p_a_cheaper, q.p_a_cheaper);
    }
}

#[test]
fn batch_means_handle_unequal_groups_and_fewer_periods_than_pools() {
    // 10 periods, 4 groups of sizes 3, 3, 2, 2: the cluster formula by hand.
    let g = compare::Groups::modulo(10, 4);
    let v: Vec<f64> = (0..10).map(|i| f64::from(i * i)).collect();
    let m = g.mean_se(v.iter().copied());
    let mean = v.iter().sum::<f64>() / 10.0;
    let sums = [0.0 + 16.0 + 64.0, 1.0 + 25.0 + 81.0, 4.0 + 36.0, 9.0 + 49.0];
    let sizes = [3.0, 3.0, 2.0, 2.0];
    let ss: f64 = sums
        .iter()
        .zip(sizes)
        .map(|(s, n)| (s - n * mean).powi(2))
        .sum();
    let want = (4.0 / 3.0 * ss).sqrt() / 10.0;
    assert_eq!(m.mean, mean);
    assert!((m.se - want).abs() < 1e-12 * want, "{} vs {want}", m.se);
    // Equal groups: sd of the group means over sqrt(G).
    let eq =
        compare::Groups::modulo(8, 4).mean_se([1.0, 2.0, 3.0, 4.0, 3.0, 4.0, 5.0, 6.0].into_iter());
    let means = [2.0, 3.0, 4.0, 5.0];
    let sd = (means.iter().map(|x: &f64| (x - 3.5).powi(2)).sum::<f64>() / 3.0).sqrt();
    assert!((eq.se - sd / 2.0).abs() < 1e-12);
    // Fewer periods than pools: the pools are lowered to the periods.
    let s = random_task("[billing.l]\ntokens = {}", "seats = 3\ntasks_per_seat = 4");
    let c = compare::compare(&setup(&s, false, Method::DEFAULT), 5, 1, Some(1)).unwrap();
    assert_eq!(c.pools, 5);
    assert!(c.schemes[0].cost_usd.se > 0.0);
}

/// Writes `text` as a scenario file in `dir` and runs `tokencast compare` on it with `args`.
fn cli(dir: &std::path::Path, text: &str, args: &[&str]) -> assert_cmd::assert::Assert {
    let file = dir.join("cmp.toml");
    std::fs::write(&file, text).unwrap();
    assert_cmd::Command::cargo_bin("tokencast")
        .unwrap()
        .arg("compare")
        .arg(&file)
        .args(args)
        .assert()
}

const CLI_SCENARIO: &str = r#"
[scenario]
name = "cmp"
seed = 4
[models.m]
input = 1.0
output = 10.0
[agent]
caching = "off"
system_prompt = 1000
[[phases]]
name = "p"
steps = [{ call = { output = { lognormal = { median = 100, sigma = 0.8 } } } }]
[workload]
seats = 20
tasks_per_seat = 30
periods = 96
sweep = { min = 10, max = 60, points = 6, periods = 40 }
[billing.list]
tokens = {}
[billing.seat]
seats = { usd_per_seat = 0.2, allowance = { usd = 1000 }, beyond = "throttle" }
"#;

#[test]
fn compare_json_is_byte_identical_at_one_and_two_threads() {
    let dir = tempfile::tempdir().unwrap();
    let mut json = Vec::new();
    for (threads, along) in [
        ("1", "workload.seats=5,10,40,80"),
        ("2", "workload.seats=5,10,40,80"),
        ("1", "workload.tasks_per_seat"),
        ("2", "workload.tasks_per_seat"),
    ] {
        let out = dir.path().join(format!("out{threads}{}", along.len()));
        cli(
            dir.path(),
            CLI_SCENARIO,
            &["-t", threads, "--along", along, "-o", out.to_str().unwrap()],
        )
        .success();
        json.push(std::fs::read(out.join("compare.json")).unwrap());
        assert!(out.join("compare_break_even.csv").exists());
    }
    assert_eq!(json[0], json[1], "--along workload.seats");
    assert_eq!(json[2], json[3], "--along workload.tasks_per_seat");
    let text = String::from_utf8(json[2].clone()).unwrap();
    assert!(
        text.contains("\"along\": \"workload.tasks_per_seat\""),
        "{text}"
    );
}

#[test]
fn along_an_input_a_comparison_cannot_sweep_is_refused_with_the_accepted_ones() {
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("out");
    for (arg, says) in [
        (
            "usage.tasks_per_day",
            "`usage.tasks_per_day` is not a number of the scenario: expected the dotted path of a number in it",
        ),
        ("workload.seats=1.5,3", "whole numbers"),
        ("workload.seats=3..1", "LO must be below HI"),
    ] {
        let assert = cli(
            dir.path(),
            CLI_SCENARIO,
            &["--along", arg, "-o", out.to_str().unwrap()],
        )
        .code(2);
        let stderr = String::from_utf8_lossy(&assert.get_output().stderr).to_string();
        assert!(stderr.contains(says), "{arg}: {stderr}");
    }
}
