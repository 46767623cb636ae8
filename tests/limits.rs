//! Hard limits that must hold whatever the input: count caps at run time, thread counts.

use tokencast::engine::{self, RunConfig, Silent, trial_rng};
use tokencast::scenario::{MAX_REPEAT_COUNT, MAX_TOKENS_PER_DRAW, Scenario};
use tokencast::workflow::TrialUsage;

fn scenario(repeat: &str, tokens: &str) -> Scenario {
    let text = format!(
        r#"
[models.m]
input = 1.0
output = 2.0

[agent]
caching = "off"
system_prompt = 10

[[phases]]
name = "loop"
repeat = {repeat}
steps = [{{ call = {{ output = 1 }} }}, {{ tool = {{ tokens = {tokens} }} }}]
"#
    );
    Scenario::from_text("limits.toml", "limits", text).expect("the scenario is valid")
}

/// The largest value of `measure` over the first `trials` trials of a run seeded with `seed`.
fn largest_over_trials(
    s: &Scenario,
    seed: u64,
    trials: u64,
    measure: impl Fn(&TrialUsage) -> u64,
) -> u64 {
    let wf = &s.workflow;
    let mut usage = TrialUsage::new(wf.phase_count(), wf.model_count());
    (0..trials)
        .map(|i| {
            wf.run_trial(&mut trial_rng(seed, i), &mut usage);
            measure(&usage)
        })
        .max()
        .unwrap_or(0)
}

#[test]
fn heavy_tailed_counts_are_capped_at_run_time() {
    // A repeat count whose median is 10 but whose tail (sigma 2.6) passes 100,000 about once
    // in 200,000 draws: the load-time probe of 4,096 draws cannot see it, the cap must hold.
    let s = scenario("{ lognormal = { median = 10, sigma = 2.6 } }", "100");
    let most_iterations = largest_over_trials(&s, 3, 400_000, |usage| usage.iterations(0));
    assert!(most_iterations <= MAX_REPEAT_COUNT, "{most_iterations}");
    // The cap is reached, so the test can fail if the cap goes away.
    assert_eq!(most_iterations, MAX_REPEAT_COUNT);
}

#[test]
fn single_token_draws_never_pass_the_limit() {
    // Tool results of median 1,000 tokens and sigma 2.9: a 4,096-draw probe stays near 3e7,
    // but about 1 draw in 28,000 passes 1e8 tokens.
    let s = scenario("2", "{ lognormal = { median = 1000, sigma = 2.9 } }");
    // Prompts (caching off): 10, then 10 + 1 + t1, so t1 = input - 21.
    let largest = largest_over_trials(&s, 5, 200_000, |usage| {
        usage.total_tokens(tokencast::pricing::TokenKind::Input) - 21
    });
    assert!(largest <= MAX_TOKENS_PER_DRAW, "{largest}");
    assert_eq!(
        largest, MAX_TOKENS_PER_DRAW,
        "the cap is reached, so this test can fail"
    );
}

#[test]
fn zero_or_huge_thread_counts_do_not_panic() {
    let s = scenario("2", "100");
    let a = tokencast::simulate(
        &s,
        &RunConfig {
            trials: 3000,
            seed: 1,
            threads: Some(0),
        },
        &mut Silent,
    )
    .expect("0 threads means one per core");
    let b = tokencast::simulate(
        &s,
        &RunConfig {
            trials: 3000,
            seed: 1,
            threads: Some(1000),
        },
        &mut Silent,
    )
    .expect("threads are capped");
    assert_eq!(a, b);
    assert!(
        engine::worker_threads(Some(1000), 3) <= 3,
        "at most one worker per chunk"
    );
    assert_eq!(
        engine::worker_threads(Some(0), 1_000),
        engine::worker_threads(None, 1_000)
    );
}
