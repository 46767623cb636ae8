//! The bundled scenarios land on the published figures they were calibrated to (within 15%,
//! as issue 3 asks) and show the mechanism each is for. Fixed seeds; 20,000 trials, so each
//! figure's own sampling error (well under 1%, see the SEs the summaries print) is far inside
//! the tolerance.

use std::path::Path;

use tokencast::engine::{RunConfig, Silent, Summary};
use tokencast::scenario::Scenario;

fn run(stem: &str, trials: u64) -> Summary {
    let path = Path::new(env!("CARGO_MANIFEST_DIR")).join(format!("scenarios/{stem}.toml"));
    let scenario = Scenario::load(&path).unwrap_or_else(|e| panic!("{e}"));
    let config = RunConfig {
        trials,
        seed: 2024,
        threads: None,
    };
    tokencast::simulate(&scenario, &config, &mut Silent).expect("the run completes")
}

fn within_15_percent(what: &str, got: f64, target: f64) {
    let off = (got - target) / target;
    assert!(
        off.abs() <= 0.15,
        "{what}: {got:.4} is {:+.1}% from the target {target}",
        100.0 * off
    );
}

#[test]
fn swe_bench_sonnet_lands_on_the_published_figures() {
    // Targets: mean $1.15, median $1.03, P90 $1.76, P99 $3.50, 74% resolved.
    let s = run("swe-bench-sonnet", 20_000);
    let cost = s.metric("cost_usd").unwrap();
    within_15_percent("mean cost", cost.mean, 1.15);
    within_15_percent("median cost", cost.p50, 1.03);
    within_15_percent("P90 cost", cost.p90, 1.76);
    within_15_percent("resolve rate", s.success_rate.mean, 0.74);
    // The tail (issue 21): P99 within 10% of the published $3.50, which independent draws
    // missed by 25% ($2.63); a shared task difficulty makes it.
    let off = (cost.p99 - 3.50) / 3.50;
    assert!(
        off.abs() <= 0.10,
        "P99 cost {:.3} is {:+.1}% from $3.50",
        cost.p99,
        100.0 * off
    );
    // Hard tasks are resolved less often: unresolved tasks cost more on average.
    assert!(
        s.success_rate.mean < 0.76 && cost.max < 8.0,
        "{} {}",
        s.success_rate.mean,
        cost.max
    );
}

/// Mean tokens of every kind per task: input, output, reasoning, cache writes and reads.
fn mean_tokens(s: &Summary) -> f64 {
    [
        "input_tokens",
        "output_tokens",
        "reasoning_tokens",
        "cache_write_tokens",
        "cache_write_1h_tokens",
        "cache_read_tokens",
    ]
    .iter()
    .filter_map(|k| s.metric(k))
    .map(|m| m.mean)
    .sum()
}

#[test]
fn claude_code_day_lands_on_the_published_figures() {
    // Targets (Claude Code docs, "Manage costs effectively"): mean $13 per developer per active
    // day; 90% below $30 a day.
    let s = run("claude-code-day", 20_000);
    let cost = s.metric("cost_usd").unwrap();
    within_15_percent("mean cost per day", cost.mean, 13.0);
    within_15_percent("P90 cost per day", cost.p90, 30.0);
    // Heavy days are heavy all at once (a shared difficulty): the tail is heavier than the
    // same day's with independent draws (P99/P50 7.3 there, about 10 here).
    let tail = cost.p99 / cost.p50;
    assert!(tail > 8.5, "P99/P50 {tail:.2}");
    // The human pauses let the 5-minute cache expire: cache writes cost more than reads.
    let writes = s.metric("cache_write_tokens").unwrap().mean * 3.75;
    let reads = s.metric("cache_read_tokens").unwrap().mean * 0.30;
    assert!(
        writes > reads,
        "writes ${writes} vs reads ${reads} per million"
    );
}

#[test]
fn autonomous_long_run_lands_on_the_published_figures() {
    // Targets (Anthropic Engineering, "Building a C compiler with a team of parallel
    // Claudes"): about $20,000 for nearly 2,000 sessions, $10 a session; 140 million output
    // tokens, 70,000 a session (output and reasoning: thinking is billed as output).
    let s = run("autonomous-long-run", 20_000);
    let cost = s.metric("cost_usd").unwrap();
    within_15_percent("mean cost per session", cost.mean, 10.0);
    let generated =
        s.metric("output_tokens").unwrap().mean + s.metric("reasoning_tokens").unwrap().mean;
    within_15_percent("output and reasoning tokens", generated, 70_000.0);
    // Hard sessions run long: the tail is heavy (P99/P50 2.1 with independent draws) and the
    // long ones compact several times.
    assert!(cost.p99 / cost.p50 > 4.0, "{} {}", cost.p99, cost.p50);
    let compactions = s.metric("compactions").unwrap();
    assert!(compactions.mean >= 1.5, "{}", compactions.mean);
    assert!(compactions.p99 >= 6.0, "{}", compactions.p99);
    // The $50 cap stops a few sessions, and none passes it by more than one request.
    let stopped = s.metric("stopped_at_max_cost").unwrap().mean;
    assert!(stopped > 0.005 && stopped < 0.03, "{stopped}");
    assert!(cost.max >= 50.0 && cost.max < 52.0, "{}", cost.max);
    assert!(s.metric("reasoning_tokens").unwrap().mean > 0.0);
    assert!(s.metric("cache_write_1h_tokens").unwrap().mean > 0.0);
    assert_eq!(s.metric("cache_write_tokens").unwrap().max, 0.0);
    assert!(s.cost_shares.by_phase.get("compaction").unwrap() > &0.0);
}

#[test]
fn subagent_feature_uses_the_published_multiple_of_a_single_agents_tokens() {
    // Target (Anthropic Engineering, "How we built our multi-agent research system"): agents
    // use about 4x the tokens of a chat, multi-agent systems about 15x: 3.75 times a single
    // agent. The single agent is the same lead doing the feature alone.
    let n = 20_000;
    let s = run("subagent-feature", n);
    let single = run("subagent-feature-single", n);
    within_15_percent(
        "tokens per task, multi-agent / single agent",
        mean_tokens(&s) / mean_tokens(&single),
        3.75,
    );
    // 3-8 implementers (uniform, mean 5.5) and one reviewer per task: 6.5 sub-agents, exactly
    // in expectation; 4 SE of the uniform's sd sqrt((6^2 - 1) / 12) over sqrt(n).
    let m = s.metric("subagents").unwrap();
    let se = (35.0f64 / 12.0).sqrt() / (n as f64).sqrt();
    assert!((m.mean - 6.5).abs() < 4.0 * se, "{}", m.mean);
    let share: f64 = s
        .cost_shares
        .by_phase
        .0
        .iter()
        .filter(|(name, _)| name.starts_with("implementer/"))
        .map(|(_, v)| v)
        .sum();
    assert!(share > 0.2, "implementers' share {share}");
    // A hard feature is hard for every agent of the task: the tail is heavier than with
    // independent draws (P99/P50 2.0 there).
    let cost = s.metric("cost_usd").unwrap();
    assert!(cost.p99 / cost.p50 > 3.0, "{} {}", cost.p99, cost.p50);
}
