//! Reproducibility and independence of the trials (DESIGN.md §3, STYLE.md "two warnings").
//!
//! - The same seed gives a byte-identical summary on 1, 2 and 3 threads.
//! - Trial i depends only on (seed, i): a short run is a prefix of a longer one, trial by
//!   trial, and each engine trial equals `run_trial` on `trial_rng(seed, i)`.
//! - Different seeds give different trials.
//! - Trials are not copies of one stream (costs take many distinct values, consecutive costs
//!   are uncorrelated) and random events are drawn per trial (success varies, at the rate the
//!   loop's law gives).

use std::collections::HashSet;
use std::path::Path;

use tokencast::engine::{self, Observer, RunConfig, Silent, TrialBlock, trial_rng};
use tokencast::pricing::TokenKind;
use tokencast::report::summary_json;
use tokencast::scenario::Scenario;
use tokencast::workflow::TrialUsage;

fn reference() -> Scenario {
    let path = Path::new(env!("CARGO_MANIFEST_DIR")).join("scenarios/reference-coding-task.toml");
    Scenario::load(&path).expect("the reference scenario loads")
}

/// One trial as the engine reported it.
#[derive(Debug, Clone, PartialEq)]
struct Row {
    success: bool,
    cost_bits: u64,
    calls: u64,
    tokens: Vec<u64>,
}

/// Collects every per-trial row, checking the blocks arrive in trial order.
#[derive(Default)]
struct Collect {
    rows: Vec<Row>,
}

impl Observer for Collect {
    fn wants_trials(&self) -> bool {
        true
    }

    fn trials(&mut self, block: &TrialBlock) -> Result<(), String> {
        assert_eq!(block.first, self.rows.len() as u64, "blocks out of order");
        let width = block.models * TokenKind::COUNT;
        for row in 0..block.len() {
            self.rows.push(Row {
                success: block.success[row],
                cost_bits: block.cost[row].to_bits(),
                calls: block.calls[row],
                tokens: block.tokens[row * width..(row + 1) * width].to_vec(),
            });
        }
        Ok(())
    }
}

fn rows(scenario: &Scenario, trials: u64, seed: u64, threads: usize) -> Vec<Row> {
    let mut collect = Collect::default();
    let config = RunConfig {
        trials,
        seed,
        threads: Some(threads),
    };
    engine::run(
        &scenario.workflow,
        &scenario.price_table(),
        &config,
        &mut collect,
    )
    .expect("the run completes");
    assert_eq!(collect.rows.len() as u64, trials);
    collect.rows
}

fn summary(scenario: &Scenario, trials: u64, seed: u64, threads: Option<usize>) -> String {
    let config = RunConfig {
        trials,
        seed,
        threads,
    };
    summary_json(&tokencast::simulate(scenario, &config, &mut Silent).expect("the run completes"))
}

#[test]
fn thread_count_does_not_change_a_single_byte() {
    let scenario = reference();
    // 20,000 + 7 trials: many chunks, the last one partial.
    let trials = 20_007;
    let one = summary(&scenario, trials, 42, Some(1));
    assert!(one.contains("\"cost_usd\""), "the summary has metrics");
    for threads in [Some(2), Some(3), None] {
        let other = summary(&scenario, trials, 42, threads);
        assert!(
            one == other,
            "summary on {threads:?} threads differs from 1 thread"
        );
    }
}

#[test]
fn a_short_run_is_a_prefix_of_a_longer_one() {
    let scenario = reference();
    let short = rows(&scenario, 5000, 9, 2);
    let long = rows(&scenario, 12_000, 9, 3);
    for (i, (a, b)) in short.iter().zip(&long).enumerate() {
        assert_eq!(
            a, b,
            "trial {i} differs between a 5000- and a 12000-trial run"
        );
    }
}

#[test]
fn each_engine_trial_is_its_own_stream() {
    let scenario = reference();
    let prices = scenario.price_table();
    let wf = &scenario.workflow;
    let engine_rows = rows(&scenario, 3000, 5, 2);
    let mut usage = TrialUsage::new(wf.phase_count(), wf.model_count());
    for (i, row) in engine_rows.iter().enumerate() {
        wf.run_trial(&mut trial_rng(5, i as u64), &mut usage);
        let tokens: Vec<u64> = TokenKind::ALL
            .iter()
            .map(|&k| usage.total_tokens(k))
            .collect();
        assert_eq!(row.tokens, tokens, "trial {i}: tokens");
        assert_eq!(row.calls, usage.total_calls(), "trial {i}: calls");
        assert_eq!(row.success, usage.success, "trial {i}: success");
        let cost = f64::from_bits(row.cost_bits);
        let direct = prices.trial_cost(&usage);
        assert!(
            (cost - direct).abs() <= 1e-12 * direct,
            "trial {i}: engine cost {cost}, direct {direct}"
        );
    }
}

#[test]
fn different_seeds_give_different_trials() {
    let scenario = reference();
    let a = rows(&scenario, 1000, 1, 2);
    let b = rows(&scenario, 1000, 2, 2);
    // Two independent trials share a cost with probability about 1e-6 (see the lattice
    // argument below), so nearly every pair must differ.
    let same = a
        .iter()
        .zip(&b)
        .filter(|(x, y)| x.cost_bits == y.cost_bits)
        .count();
    assert!(same <= 10, "{same} of 1000 trials identical across seeds");
    assert_ne!(
        summary(&scenario, 1000, 1, Some(1)),
        summary(&scenario, 1000, 2, Some(1))
    );
}

#[test]
fn trials_are_independent_draws() {
    let scenario = reference();
    let n = 10_000;
    let rows = rows(&scenario, n, 2024, 2);

    // Not one stream reused: the first 1000 costs are (nearly) all distinct. Costs lie on a
    // lattice of 0.15e-6 USD (the gcd of the rates) and spread over about 0.2 USD, i.e. over
    // ~10^6 lattice points, so 1000 independent trials share a value about
    // 1000² / 2 / 10^6 = 0.5 times on average: 10 collisions would be far in the tail.
    let distinct: HashSet<u64> = rows[..1000].iter().map(|r| r.cost_bits).collect();
    assert!(
        distinct.len() >= 990,
        "only {} distinct costs in 1000 trials",
        distinct.len()
    );

    // Random events are drawn per trial: the failure count is binomial(n, 0.6^6), within
    // 4 binomial standard errors of n 0.6^6.
    let p_fail = 0.6f64.powi(6);
    let failures = rows.iter().filter(|r| !r.success).count() as f64;
    let expected = n as f64 * p_fail;
    let se = (n as f64 * p_fail * (1.0 - p_fail)).sqrt();
    assert!(
        (failures - expected).abs() <= 4.0 * se,
        "{failures} failures in {n} trials, expected {expected:.1} ± {se:.1}"
    );

    // Consecutive trials are uncorrelated: under independence the lag-1 sample correlation
    // has standard error 1/sqrt(n), so it must lie within 4/sqrt(n) of 0.
    let costs: Vec<f64> = rows.iter().map(|r| f64::from_bits(r.cost_bits)).collect();
    let m = costs.iter().sum::<f64>() / n as f64;
    let var = costs.iter().map(|c| (c - m).powi(2)).sum::<f64>();
    let cov = costs
        .windows(2)
        .map(|w| (w[0] - m) * (w[1] - m))
        .sum::<f64>();
    let rho = cov / var;
    let bound = 4.0 / (n as f64).sqrt();
    assert!(
        rho.abs() <= bound,
        "lag-1 correlation {rho:.4} beyond {bound:.4}"
    );
}
