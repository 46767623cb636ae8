//! Per-task caps (`[limits]`): where the agent stops, worked out by hand or from exact laws.
//!
//! - Zero-variance scenarios: every call costs a known amount, so the call at which a cap
//!   binds, the calls made and the dollars spent are asserted exactly (dollars within 1e-12
//!   relative, the rounding of the dot product of counts and rates).
//! - A fix loop whose attempts are geometric (pass probability p, one call an attempt) under
//!   `max_calls = k`: the calls are `min(G, k)`, whose mean is `(1 − q^k)/p` (`q = 1 − p`),
//!   and a task is stopped exactly when its first k attempts all fail, with probability `q^k`.
//!   Both are checked within 4 standard errors at a fixed seed.
//! - `on_limit` decides a stopped task's success; sub-agents, failed attempts and re-runs
//!   count toward the caps; a scenario without `[limits]` gives the trials it gave before.

use std::path::Path;

use tokencast::engine::{self, RunConfig, Silent, Summary};
use tokencast::scenario::Scenario;
use tokencast::workflow::{TrialEvent, TrialUsage};

fn compile(text: &str) -> Scenario {
    Scenario::from_text("caps.toml", "caps", text.to_string())
        .unwrap_or_else(|e| panic!("scenario compiles: {e}"))
}

fn summarise(scenario: &Scenario, trials: u64, seed: u64) -> Summary {
    let config = RunConfig {
        trials,
        seed,
        threads: Some(2),
    };
    tokencast::simulate(scenario, &config, &mut Silent).expect("the run completes")
}

/// One trial's usage.
fn one_trial(scenario: &Scenario, index: u64) -> TrialUsage {
    let wf = &scenario.workflow;
    let mut usage = TrialUsage::new(wf.phase_count(), wf.model_count());
    wf.run_trial(&mut engine::trial_rng(99, index), &mut usage);
    usage
}

fn assert_usd(what: &str, got: f64, want: f64) {
    assert!(
        (got - want).abs() <= 1e-12 * want.abs(),
        "{what}: got {got} USD, expected {want} USD"
    );
}

/// A loop of `repeat` calls on a context that starts at 1,000 tokens and grows by `output`
/// tokens a call; input $1 and output $2 per million tokens, no caching; then `limits`.
fn growing(repeat: u32, output: u32, limits: &str) -> Scenario {
    compile(&format!(
        r#"
[models.m]
input = 1.0
output = 2.0

[agent]
caching = "off"
system_prompt = 1000

[[phases]]
name = "work"
repeat = {repeat}
steps = [{{ call = {{ output = {output} }} }}]

{limits}
"#
    ))
}

#[test]
fn a_spend_cap_on_fixed_calls_stops_after_the_call_that_crosses_it() {
    // Every call sends 1,000 input tokens ($0.001) and returns nothing. Cap $0.0105: after 10
    // calls the task has spent $0.010 < $0.0105, so call 11 is made ($0.011 ≥ the cap) and the
    // agent stops before call 12: floor(0.0105 / 0.001) + 1 = 11 calls, cost exactly $0.011.
    let s = growing(100, 0, "[limits]\nmax_cost_usd = 0.0105");
    let u = one_trial(&s, 0);
    assert_eq!(u.total_calls(), 11);
    assert_eq!(u.events(TrialEvent::CostLimit), 1);
    assert_eq!(u.events(TrialEvent::CallLimit), 0);
    assert!(!u.success, "a stopped task fails by default");
    assert!(u.stopped_at_cap());
    let summary = summarise(&s, 3000, 7);
    assert_usd("cost", summary.metric("cost_usd").unwrap().mean, 0.011);
    assert_eq!(summary.metric("calls").unwrap().max, 11.0);
    let stopped = summary.metric("stopped_at_max_cost").unwrap();
    assert_eq!((stopped.mean, stopped.se), (1.0, 0.0));
    assert!(summary.metric("stopped_at_max_calls").is_none());
    assert_eq!(summary.success_rate.mean, 0.0);
}

#[test]
fn a_spend_cap_on_a_growing_context_binds_at_the_hand_computed_call() {
    // Call i sends 1,000 + 100 (i − 1) tokens and returns 100: it costs
    // (1,000 + 100 (i − 1)) × $1e-6 + 100 × $2e-6 = (1,100 + 100 i) × $1e-6, so n calls cost
    // S(n) = 1,100 n + 50 n (n + 1) micro-dollars: S(6) = 8,700 < 10,000 ≤ S(7) = 10,500.
    // Cap $0.01: call 7 is made, the agent stops before call 8; the task spent $0.0105.
    let s = growing(50, 100, "[limits]\nmax_cost_usd = 0.01");
    let u = one_trial(&s, 3);
    assert_eq!(u.total_calls(), 7);
    assert_eq!(u.events(TrialEvent::CostLimit), 1);
    let summary = summarise(&s, 3000, 7);
    assert_usd("cost", summary.metric("cost_usd").unwrap().max, 0.0105);
    assert_usd("cost", summary.metric("cost_usd").unwrap().min, 0.0105);
}

#[test]
fn a_call_cap_makes_exactly_max_calls_calls() {
    // 100 calls planned, max_calls = 7: calls 1..7 are made, the agent stops before call 8.
    // With the growing context above they cost S(7) = $0.0105.
    let s = growing(100, 100, "[limits]\nmax_calls = 7\non_limit = \"fail\"");
    let u = one_trial(&s, 5);
    assert_eq!(u.total_calls(), 7);
    assert_eq!(u.events(TrialEvent::CallLimit), 1);
    assert_eq!(u.events(TrialEvent::CostLimit), 0);
    let summary = summarise(&s, 3000, 7);
    assert_usd("cost", summary.metric("cost_usd").unwrap().mean, 0.0105);
    let stopped = summary.metric("stopped_at_max_calls").unwrap();
    assert_eq!((stopped.mean, stopped.se), (1.0, 0.0));
    // A cap the task never reaches stops nothing: 7 calls planned, at most 7 allowed.
    let s = growing(7, 100, "[limits]\nmax_calls = 7\nmax_cost_usd = 0.0105");
    let u = one_trial(&s, 5);
    assert_eq!(u.total_calls(), 7);
    assert!(u.success && !u.stopped_at_cap());
    assert_eq!(
        u.events(TrialEvent::CallLimit) + u.events(TrialEvent::CostLimit),
        0
    );
}

/// A fix loop: one call an attempt, each attempt passes with `p`, at most 1,000 attempts.
fn geometric_loop(p: f64, limits: &str) -> Scenario {
    compile(&format!(
        r#"
[models.m]
input = 1.0
output = 2.0

[agent]
caching = "off"
system_prompt = 100

[[phases]]
name = "fix"
until_pass = {{ p_pass = {p}, max_attempts = 1000 }}
steps = [{{ call = {{ output = 10 }} }}]

{limits}
"#
    ))
}

#[test]
fn a_call_cap_truncates_geometric_attempts_to_their_exact_law() {
    // G ~ Geometric(p) on 1, 2, …; with max_calls = k the task makes min(G, k) calls:
    // E[min(G, k)] = Σ_{j=1..k} q^(j−1) = (1 − q^k) / p, and it is stopped iff G > k:
    // P = q^k. p = 0.2, k = 5: E = (1 − 0.8^5) / 0.2 = 3.3616, P = 0.32768.
    let (p, k) = (0.2f64, 5);
    let q: f64 = 1.0 - p;
    let s = geometric_loop(p, &format!("[limits]\nmax_calls = {k}"));
    let n = 200_000;
    let summary = summarise(&s, n, 2024);
    let calls = summary.metric("calls").unwrap();
    let want_calls = (1.0 - q.powi(k)) / p;
    println!("calls {} ± {} (exact {want_calls})", calls.mean, calls.se);
    assert!(
        (calls.mean - want_calls).abs() < 4.0 * calls.se,
        "mean calls {} ± {}, exact {want_calls}",
        calls.mean,
        calls.se
    );
    assert_eq!(calls.max, k as f64);
    let stopped = summary.metric("stopped_at_max_calls").unwrap();
    let want = q.powi(k);
    let binomial_se = (want * (1.0 - want) / n as f64).sqrt();
    println!("stopped {} ± {} (exact {want})", stopped.mean, stopped.se);
    assert!(
        (stopped.mean - want).abs() < 4.0 * binomial_se,
        "stopped share {}, exact {want} (binomial SE {binomial_se})",
        stopped.mean
    );
    // Its standard error is the binomial one of the share it measures.
    let se_of_share = (stopped.mean * (1.0 - stopped.mean) / (n - 1) as f64).sqrt();
    assert!((stopped.se - se_of_share).abs() < 1e-9, "{}", stopped.se);
    // on_limit = "fail" (the default): success is exactly not being stopped.
    assert!((summary.success_rate.mean - (1.0 - stopped.mean)).abs() < 1e-12);
}

#[test]
fn on_limit_decides_a_stopped_task_s_success() {
    // The same trials under both settings (caps draw nothing from the random stream): with
    // "fail" the success rate is 1 − P(stopped) = 1 − 0.8^5; with "success" every task
    // succeeds (an unstopped one passed its loop, a stopped one counts as succeeded).
    let fail = summarise(&geometric_loop(0.2, "[limits]\nmax_calls = 5"), 20_000, 11);
    let success = summarise(
        &geometric_loop(0.2, "[limits]\nmax_calls = 5\non_limit = \"success\""),
        20_000,
        11,
    );
    let stopped = fail.metric("stopped_at_max_calls").unwrap().mean;
    assert_eq!(
        stopped,
        success.metric("stopped_at_max_calls").unwrap().mean
    );
    assert!((fail.success_rate.mean - (1.0 - stopped)).abs() < 1e-12);
    assert_eq!(success.success_rate.mean, 1.0);
    assert_eq!(
        fail.metric("cost_usd").unwrap().mean,
        success.metric("cost_usd").unwrap().mean
    );
    // A task a loop failed before the cap stopped it still counts as on_limit says: a loop
    // that never passes (p = 0, at most 3 attempts) fails the task, then a second phase is
    // stopped by the cap.
    let text = |on_limit: &str| {
        format!(
            r#"
[models.m]
input = 1.0
output = 2.0
[agent]
caching = "off"
system_prompt = 100
[[phases]]
name = "fix"
until_pass = {{ p_pass = 0.0, max_attempts = 3 }}
steps = [{{ call = {{ output = 10 }} }}]
[[phases]]
name = "wrap-up"
repeat = 5
steps = [{{ call = {{ output = 10 }} }}]
[limits]
max_calls = 4
on_limit = "{on_limit}"
"#
        )
    };
    let u = one_trial(&compile(&text("success")), 0);
    assert_eq!(u.total_calls(), 4);
    assert!(u.success && u.stopped_at_cap());
    let u = one_trial(&compile(&text("fail")), 0);
    assert!(!u.success && u.stopped_at_cap());
}

#[test]
fn sub_agents_failed_attempts_and_re_runs_count_toward_the_caps() {
    // Three sub-agents of five calls each, then the lead's own call: with max_calls = 7 the
    // first sub-agent makes 5, the second 2 and is stopped, the third never starts, and the
    // lead makes no call after it.
    let s = compile(
        r#"
[models.m]
input = 1.0
output = 2.0
[agent]
caching = "off"
system_prompt = 100
[[phases]]
name = "fan-out"
steps = [{ subagent = { workflow = "worker", count = 3 } }, { call = { output = 10 } }]
[workflows.worker]
system_prompt = 50
[[workflows.worker.phases]]
name = "work"
repeat = 5
steps = [{ call = { output = 10 } }]
[limits]
max_calls = 7
"#,
    );
    let u = one_trial(&s, 0);
    assert_eq!(u.total_calls(), 7);
    assert_eq!(u.events(TrialEvent::SubAgent), 2);
    assert_eq!(u.events(TrialEvent::CallLimit), 1);
    assert!(!u.success);

    // Every attempt fails and its 1,000-token prompt is billed ($0.001 each); cap $0.0035:
    // attempts 1–4 are sent (after 3 the task has spent $0.003 < $0.0035), then the agent
    // stops before attempt 5: 4 failed attempts, no call completed, and (p_rerun = 1) no re-run,
    // since the task's budget is spent.
    let s = compile(
        r#"
[models.m]
input = 1.0
output = 2.0
[agent]
caching = "off"
system_prompt = 1000
call_failures = { p_fail = 1.0, max_retries = 10 }
task_retry = { max_reruns = 3, p_rerun = 1.0 }
[[phases]]
name = "work"
steps = [{ call = { output = 10 } }]
[limits]
max_cost_usd = 0.0035
"#,
    );
    let u = one_trial(&s, 0);
    assert_eq!(u.events(TrialEvent::FailedCall), 4);
    assert_eq!(u.total_calls(), 0);
    assert_eq!(u.events(TrialEvent::CostLimit), 1);
    assert_eq!(u.events(TrialEvent::TaskRerun), 0);
    let summary = summarise(&s, 1000, 3);
    assert_usd("cost", summary.metric("cost_usd").unwrap().mean, 0.004);

    // Re-runs share the task's budget: the first run fails its loop (p = 0, 2 attempts) after
    // 2 calls and is re-run; the re-run makes call 3, and the cap of 3 calls stops it before
    // its second attempt's call: 3 calls, 1 re-run, no further re-run.
    let s = compile(
        r#"
[models.m]
input = 1.0
output = 2.0
[agent]
caching = "off"
system_prompt = 100
task_retry = { max_reruns = 5, p_rerun = 1.0 }
[[phases]]
name = "fix"
until_pass = { p_pass = 0.0, max_attempts = 2 }
steps = [{ call = { output = 10 } }]
[limits]
max_calls = 3
"#,
    );
    let u = one_trial(&s, 0);
    assert_eq!(u.total_calls(), 3);
    assert_eq!(u.events(TrialEvent::TaskRerun), 1);
    assert_eq!(u.events(TrialEvent::CallLimit), 1);
}

#[test]
fn a_compaction_s_summarising_call_counts_as_a_call() {
    // Window 1,000, compaction at 0.5: the context starts at 400 and grows by 200 a call;
    // call 2's context is 600 > 500, so a summarising call runs before it (context becomes
    // 400 + 50). Calls: 1, compaction, 2 → with max_calls = 2 the agent stops before call 2.
    let s = compile(
        r#"
[models.m]
input = 1.0
output = 2.0
context_window = 1000
[agent]
caching = "off"
system_prompt = 400
compaction = { threshold = 0.5, summary = 50 }
[[phases]]
name = "work"
repeat = 10
steps = [{ call = { output = 200 } }]
[limits]
max_calls = 2
"#,
    );
    let u = one_trial(&s, 0);
    assert_eq!(u.total_calls(), 2);
    assert_eq!(u.events(TrialEvent::Compaction), 1);
    assert_eq!(u.events(TrialEvent::CallLimit), 1);
}

#[test]
fn caps_that_never_bind_leave_every_trial_as_it_was() {
    // The reference scenario, as bundled and with caps far above anything a task reaches:
    // every trial's usage is the same (the caps draw nothing from the random stream), and
    // the summary of the bundled file lists no cap metric.
    let path = Path::new(env!("CARGO_MANIFEST_DIR")).join("scenarios/reference-coding-task.toml");
    let plain = Scenario::load(&path).expect("the reference scenario loads");
    assert!(plain.workflow.limits.is_none());
    let text = format!(
        "{}\n[limits]\nmax_calls = 100000\nmax_cost_usd = 1000.0\n",
        plain.text
    );
    let capped = compile(&text);
    let wf = &plain.workflow;
    let mut a = TrialUsage::new(wf.phase_count(), wf.model_count());
    let mut b = a.clone();
    for i in 0..20_000 {
        plain
            .workflow
            .run_trial(&mut engine::trial_rng(5, i), &mut a);
        capped
            .workflow
            .run_trial(&mut engine::trial_rng(5, i), &mut b);
        assert!(!b.stopped_at_cap());
        for p in 0..wf.phase_count() {
            assert_eq!(a.iterations(p), b.iterations(p), "trial {i}");
            for m in 0..wf.model_count() {
                assert_eq!(a.cell_array(p, m), b.cell_array(p, m), "trial {i}");
                assert_eq!(a.calls(p, m), b.calls(p, m), "trial {i}");
            }
        }
        for e in TrialEvent::ALL {
            assert_eq!(a.events(e), b.events(e), "trial {i}");
        }
        assert_eq!((a.success, a.duration_s), (b.success, b.duration_s));
    }
    let s = summarise(&plain, 2000, 1);
    assert!(s.metric("stopped_at_max_calls").is_none());
    assert!(s.metric("stopped_at_max_cost").is_none());
}

#[test]
fn a_call_cap_tightens_the_work_bound() {
    // 100 calls planned; max_calls = 7 bounds the calls on average and in any trial.
    let free = growing(100, 0, "").work;
    let capped = growing(100, 0, "[limits]\nmax_calls = 7").work;
    assert_eq!((free.calls, free.calls_max), (100.0, 100.0));
    assert!(free.exact);
    assert_eq!((capped.calls, capped.calls_max), (7.0, 7.0));
    assert_eq!(capped.steps, 7.0);
    assert!(!capped.exact, "a cap makes the averages upper estimates");
    // A cap above the most calls changes nothing but exactness.
    let loose = growing(100, 0, "[limits]\nmax_calls = 1000").work;
    assert_eq!((loose.calls, loose.calls_max), (100.0, 100.0));
}
