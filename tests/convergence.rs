//! Convergence checkpoints and `--precision`: checkpoints fall on fixed chunk counts, so they
//! and a run stopped at one do not depend on threads; a stopped run equals a plain run of as
//! many trials; the checkpoint figures are the figures of that prefix; the stopping rule is
//! the stated one.

use std::path::Path;

use tokencast::engine::{
    self, CHUNK_TRIALS, Flow, MIN_PRECISION_TRIALS, Observer, PrecisionTarget, RunConfig,
    RunResult, Silent, StopAtPrecision, checkpoint_after,
};
use tokencast::report::summary_json;
use tokencast::scenario::Scenario;
use tokencast::stats::Checkpoint;
use tokencast::{Simulation, simulate_run};

fn reference() -> Scenario {
    let path = Path::new(env!("CARGO_MANIFEST_DIR")).join("scenarios/reference-coding-task.toml");
    Scenario::load(&path).expect("the reference scenario loads")
}

fn config(trials: u64, threads: usize) -> RunConfig {
    RunConfig {
        trials,
        seed: 11,
        threads: Some(threads),
    }
}

fn run(s: &Scenario, trials: u64, threads: usize, observer: &mut dyn Observer) -> Simulation {
    simulate_run(s, &config(trials, threads), observer).expect("the run completes")
}

#[test]
fn the_schedule_is_increasing_and_about_four_per_doubling() {
    let mut c = 0;
    let mut points = Vec::new();
    while c < 1 << 20 {
        let next = checkpoint_after(c);
        assert!(next > c);
        points.push(next);
        c = next;
    }
    assert_eq!(&points[..10], &[1, 2, 3, 4, 5, 6, 7, 8, 10, 12]);
    // 8 single steps, then 2^(1/4) growth: 4 per doubling from 8 to 2^20 chunks.
    assert!((60..=80).contains(&points.len()), "{}", points.len());
    assert_eq!(checkpoint_after(u64::MAX - 1), u64::MAX);
}

#[test]
fn checkpoints_do_not_depend_on_threads_and_end_at_the_summary() {
    let s = reference();
    let trials = 40 * CHUNK_TRIALS + 300;
    let one = run(&s, trials, 1, &mut Silent).result;
    let three = run(&s, trials, 3, &mut Silent).result;
    assert_eq!(one.convergence, three.convergence);
    let chunks: Vec<u64> = one
        .convergence
        .iter()
        .map(|c| c.trials.div_ceil(CHUNK_TRIALS))
        .collect();
    assert_eq!(
        chunks,
        [1, 2, 3, 4, 5, 6, 7, 8, 10, 12, 15, 18, 22, 27, 33, 40, 41]
    );
    let last = one.convergence.last().unwrap();
    let summary = run(&s, trials, 2, &mut Silent).summary;
    let cost = summary.metric("cost_usd").unwrap();
    assert_eq!(last.trials, trials);
    assert_eq!((last.mean, last.se), (cost.mean, cost.se));
    assert_eq!(
        (last.p95_ci.lo, last.p95_ci.hi),
        (cost.ci95.p95.lo, cost.ci95.p95.hi)
    );
}

#[test]
fn a_checkpoint_holds_the_figures_of_its_prefix() {
    // The checkpoint after 10 chunks equals the final checkpoint of a run of 10 chunks.
    let s = reference();
    let long = run(&s, 30 * CHUNK_TRIALS, 2, &mut Silent).result;
    let short = run(&s, 10 * CHUNK_TRIALS, 1, &mut Silent).result;
    let at_ten = long
        .convergence
        .iter()
        .find(|c| c.trials == 10 * CHUNK_TRIALS)
        .unwrap();
    assert_eq!(at_ten, short.convergence.last().unwrap());
}

/// Stops when told, recording what it saw.
struct StopAfter(u64, Vec<Checkpoint>);
impl Observer for StopAfter {
    fn checkpoint(&mut self, point: &Checkpoint) -> Flow {
        self.1.push(*point);
        if point.trials >= self.0 {
            Flow::Stop
        } else {
            Flow::Continue
        }
    }
}

fn same_result(a: &Simulation, b: &Simulation) {
    assert_eq!(summary_json(&a.summary), summary_json(&b.summary));
    let (x, y): (&RunResult, &RunResult) = (&a.result, &b.result);
    // Sketches compare by content (their storage may have grown differently).
    let bins = |r: &RunResult| -> Vec<Vec<(f64, f64, u64)>> {
        r.sketches.iter().map(|s| s.bins().collect()).collect()
    };
    assert!(bins(x) == bins(y), "sketches differ");
    assert!(x.moments == y.moments, "moments differ");
    assert!(x.convergence == y.convergence, "checkpoints differ");
}

#[test]
fn a_stopped_run_equals_a_plain_run_of_as_many_trials() {
    let s = reference();
    for threads in [1, 3] {
        let mut stop = StopAfter(15 * CHUNK_TRIALS, Vec::new());
        let stopped = run(&s, 1_000_000, threads, &mut stop);
        assert_eq!(stopped.summary.trials, 15 * CHUNK_TRIALS);
        assert_eq!(stopped.result.trials, 15 * CHUNK_TRIALS);
        let plain = run(&s, 15 * CHUNK_TRIALS, 2, &mut Silent);
        same_result(&stopped, &plain);
    }
}

#[test]
fn precision_stops_at_the_first_checkpoint_that_meets_the_target() {
    let s = reference();
    let target = PrecisionTarget { relative: 0.01 };
    let mut seen = StopAfter(u64::MAX, Vec::new());
    let mut stop = StopAtPrecision::new(target, &mut seen);
    let stopped = run(&s, 10_000_000, 2, &mut stop);
    let met = stop.met_at.expect("1% is reached well before 10^7 trials");
    assert_eq!(met.trials, stopped.summary.trials);
    assert!(met.relative_se() < 0.01 && met.p95_relative_half_width() < 0.01);
    // Every earlier checkpoint missed the target (or came before the minimum).
    let earlier = &seen.1[..seen.1.len() - 1];
    assert!(earlier.iter().all(|c| !target.met_by(c)));
    assert!(met.trials >= MIN_PRECISION_TRIALS);
    // The same run on one thread, and a plain run of as many trials, are identical.
    let plain = run(&s, met.trials, 1, &mut Silent);
    same_result(&stopped, &plain);
    // The relative SE shrinks like 1/sqrt(n): 1% needs n ≈ (sd / mean / 0.01)^2 trials,
    // within one checkpoint step (x1.19) of it, unless P95's interval is the binding one.
    let cost = plain.summary.metric("cost_usd").unwrap();
    let needed = (cost.sd / cost.mean / 0.01).powi(2);
    assert!(
        met.trials as f64 >= needed * 0.8,
        "{} vs {needed}",
        met.trials
    );
}

#[test]
fn a_zero_variance_scenario_meets_any_target_at_the_minimum() {
    let text = r#"
[models.m]
input = 3.0
output = 15.0
cache_write = 3.75
cache_read = 0.3
[agent]
system_prompt = 1000
[[phases]]
name = "only"
steps = [{ call = { output = 10 } }]
"#;
    let s = Scenario::from_text("zero.toml", "zero", text.to_string()).unwrap();
    let mut inner = Silent;
    let mut stop = StopAtPrecision::new(PrecisionTarget { relative: 1e-9 }, &mut inner);
    let r = simulate_run(&s, &config(1_000_000, 2), &mut stop).unwrap();
    assert_eq!(r.summary.trials, MIN_PRECISION_TRIALS);
    let met = stop.met_at.unwrap();
    // 1000 tokens written to the cache and 10 output: 3.75e-3 + 1.5e-4 dollars, exactly.
    assert!((met.mean - 0.0039).abs() < 1e-15 && met.se == 0.0);
    assert_eq!(met.p95_relative_half_width(), 0.0);
}

#[test]
fn an_unreachable_target_runs_every_trial() {
    let s = reference();
    let mut inner = Silent;
    let mut stop = StopAtPrecision::new(PrecisionTarget { relative: 1e-6 }, &mut inner);
    let r = engine::run(&s.workflow, &s.price_table(), &config(20_000, 2), &mut stop).unwrap();
    assert!(stop.met_at.is_none());
    assert_eq!(r.trials, 20_000);
    assert_eq!(r.convergence.last().unwrap().trials, 20_000);
}
