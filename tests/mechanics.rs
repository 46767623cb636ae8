//! Each agent mechanism against a result derived by hand (in the comments) or an exact law:
//! cache TTL expiry just under and just over the TTL, the minimum cacheable prompt, time,
//! compaction crossing its threshold a known number of times with its exact token counts, a
//! prompt past the window failing the task, reasoning billed but not carried, sub-agent usage
//! adding up, transient failures following their truncated geometric law, task re-runs,
//! escalation switching exactly after k failures.
//!
//! Zero-variance scenarios are checked on one trial with `==`; random ones on many trials
//! drawn as the engine draws them (`trial_rng(seed, i)`), with a fixed seed and a tolerance of
//! 4 standard errors (or a chi-square test at 0.999).

use statrs::distribution::{ChiSquared, ContinuousCDF};
use tokencast::engine::{RunConfig, Silent, trial_rng};
use tokencast::pricing::TokenKind::{self, *};
use tokencast::scenario::Scenario;
use tokencast::workflow::{Mechanics, TrialEvent, TrialUsage};

fn compile(text: &str) -> Scenario {
    Scenario::from_text("mechanics.toml", "mechanics", text.to_string())
        .unwrap_or_else(|e| panic!("scenario compiles: {e}"))
}

fn one_trial(scenario: &Scenario) -> TrialUsage {
    let wf = &scenario.workflow;
    let mut usage = TrialUsage::new(wf.phase_count(), wf.model_count());
    wf.run_trial(&mut trial_rng(3, 17), &mut usage);
    usage
}

/// One model `m` at $3/$15/$3.75/$0.30 (1-hour writes $6), plus `extra` lines in its table.
fn model(extra: &str) -> String {
    format!(
        "[models.m]\ninput = 3.0\noutput = 15.0\ncache_write = 3.75\ncache_read = 0.30\n{extra}\n"
    )
}

fn phase(name: &str, repeat: u32, steps: &str) -> String {
    format!("[[phases]]\nname = \"{name}\"\nrepeat = {repeat}\nsteps = [\n{steps}\n]\n")
}

/// Two calls of 10 output tokens on a 2000-token context, a tool of `gap` seconds and no
/// tokens between them. The calls take no time, so the gap between the first call's start
/// (when it wrote the cache) and the second's is exactly `gap`.
fn ttl_usage(ttl: &str, gap: f64) -> TrialUsage {
    let text = format!(
        "{}[agent]\nsystem_prompt = 2000\ncache_ttl = \"{ttl}\"\n{}",
        model(""),
        phase(
            "p",
            1,
            &format!(
                "{{ call = {{ output = 10 }} }},\n{{ tool = {{ tokens = 0, duration_s = {gap} }} }},\n{{ call = {{ output = 10 }} }},"
            )
        )
    );
    one_trial(&compile(&text))
}

#[test]
fn a_cache_entry_lives_exactly_its_ttl() {
    // First call writes 2000. Second call's prompt is 2010: within the TTL it reads 2000 and
    // writes 10; past it, the entry has expired and it writes all 2010.
    for (ttl, secs, write) in [("5m", 300.0, CacheWrite), ("1h", 3600.0, CacheWrite1h)] {
        let under = ttl_usage(ttl, secs - 0.001);
        assert_eq!(under.total_tokens(CacheRead), 2000, "{ttl} just under");
        assert_eq!(under.total_tokens(write), 2010, "{ttl} just under");
        let at = ttl_usage(ttl, secs);
        assert_eq!(at.total_tokens(CacheRead), 2000, "{ttl} at the TTL");
        let over = ttl_usage(ttl, secs + 0.001);
        assert_eq!(over.total_tokens(CacheRead), 0, "{ttl} just over");
        assert_eq!(over.total_tokens(write), 4010, "{ttl} just over");
        // The other write tier is never used.
        let other = if write == CacheWrite {
            CacheWrite1h
        } else {
            CacheWrite
        };
        assert_eq!(over.total_tokens(other), 0);
        assert_eq!(over.duration_s, secs + 0.001);
    }
}

#[test]
fn one_hour_writes_are_billed_at_their_own_price() {
    // 4010 one-hour write tokens at $6/M (2 x input by default) and 20 output at $15/M.
    let s = compile(&format!(
        "{}[agent]\nsystem_prompt = 2000\ncache_ttl = \"1h\"\n{}",
        model(""),
        phase(
            "p",
            1,
            "{ call = { output = 10 } }, { tool = { tokens = 0, duration_s = 4000 } }, { call = { output = 10 } },"
        )
    ));
    let cost = s.price_table().trial_cost(&one_trial(&s));
    let want = (4010.0 * 6.0 + 20.0 * 15.0) / 1e6;
    assert!((cost - want).abs() < 1e-15, "{cost} vs {want}");
}

#[test]
fn prompts_below_the_minimum_are_not_cached() {
    // Prompts 1000 and 1010 are below 1024: plain input, nothing cached. A 2000-token tool
    // makes the third prompt 3020: cacheable; the cache is empty, so it writes all 3020.
    let s = compile(&format!(
        "{}[agent]\nsystem_prompt = 1000\n{}",
        model("min_cacheable_prompt = 1024"),
        phase(
            "p",
            1,
            "{ call = { output = 10 } }, { call = { output = 10 } }, { tool = { tokens = 2000 } }, { call = { output = 10 } },"
        )
    ));
    let u = one_trial(&s);
    assert_eq!(u.total_tokens(Input), 1000 + 1010);
    assert_eq!(u.total_tokens(CacheWrite), 3020);
    assert_eq!(u.total_tokens(CacheRead), 0);
}

#[test]
fn time_is_first_token_plus_generation_plus_tools() {
    // Each call: 0.5 s + (100 output + 50 reasoning) / 50 tok/s = 3.5 s; two calls and a 4 s
    // tool: 11 s.
    let s = compile(&format!(
        "{}[agent]\nsystem_prompt = 100\n{}",
        model("time_to_first_token_s = 0.5\noutput_tokens_per_s = 50"),
        phase(
            "p",
            2,
            "{ call = { output = 100, reasoning = 50 } },\n{ tool = { tokens = 1, duration_s = { uniform = { min = 4, max = 4 } } } },"
        )
    ));
    let u = one_trial(&s);
    assert!((u.duration_s - 15.0).abs() < 1e-12, "{}", u.duration_s);
}

#[test]
fn a_switch_of_model_finds_the_cache_empty() {
    // Context 1000; calls on a, b, b with 10 output tokens each. Model a writes 1000. Model b:
    // prompt 1010, cache empty -> writes 1010; then prompt 1020 reads 1010 and writes 10.
    let s = compile(
        "[models.a]\ninput = 1\noutput = 1\ncache_write = 1\ncache_read = 1\n\
         [models.b]\ninput = 1\noutput = 1\ncache_write = 1\ncache_read = 1\n\
         [agent]\nmodel = \"a\"\nsystem_prompt = 1000\n\
         [[phases]]\nname = \"p\"\nsteps = [{ call = { output = 10 } }, { call = { model = \"b\", output = 10 } }, { call = { model = \"b\", output = 10 } }]\n",
    );
    let u = one_trial(&s);
    assert_eq!(u.tokens(0, 0, CacheWrite), 1000);
    assert_eq!(u.tokens(0, 1, CacheWrite), 1020);
    assert_eq!(u.tokens(0, 1, CacheRead), 1010);
    assert_eq!(u.tokens(0, 0, CacheRead), 0);
}

/// System prompt 1000, window 10,000, twelve iterations of a call (100 out) and a tool (900).
fn compaction_scenario(caching: &str, compaction: &str) -> Scenario {
    compile(&format!(
        "{}[agent]\nsystem_prompt = 1000\ncaching = \"{caching}\"\n{compaction}\n{}",
        model("context_window = 10000"),
        phase(
            "work",
            12,
            "{ call = { output = 100 } }, { tool = { tokens = 900 } },"
        )
    ))
}

#[test]
fn compaction_crosses_its_threshold_a_known_number_of_times() {
    // Threshold 0.5: compact when a prompt would pass 5000. The context grows by 1000 per
    // iteration from 1000, so the calls' prompts are 1000, 2000, 3000, 4000, 5000 (not past),
    // then 6000: compaction (summarising prompt 6000, summary 200) -> context 1000 + 200 =
    // 1200; then 2200, 3200, 4200, then 5200: compaction (prompt 5200) -> 1200; then 2200,
    // 3200. Work prompts: 15000 + (1200 + 2200 + 3200 + 4200) + (1200 + 2200 + 3200) = 32400.
    let s = compaction_scenario("off", "compaction = { threshold = 0.5, summary = 200 }");
    let u = one_trial(&s);
    let work = 0;
    let compaction = s
        .workflow
        .phase_names
        .iter()
        .position(|p| p == "compaction")
        .unwrap();
    assert_eq!(u.events(TrialEvent::Compaction), 2);
    assert_eq!(u.tokens(work, 0, Input), 32400);
    assert_eq!(u.tokens(work, 0, Output), 1200);
    assert_eq!(u.calls(work, 0), 12);
    assert_eq!(u.tokens(compaction, 0, Input), 6000 + 5200);
    assert_eq!(u.tokens(compaction, 0, Output), 400);
    assert_eq!(u.calls(compaction, 0), 2);
    assert!(u.success);

    // With prefix caching, each call reads the previous prompt, except the first and the
    // first after each compaction (compaction empties the cache); a compaction's own prompt
    // reads the work prompt before it:
    // work 1000..5000 read 0+1000+2000+3000+4000 = 10000; compaction 1 reads 5000;
    // work 1200..4200 read 0+1200+2200+3200 = 6600; compaction 2 reads 4200;
    // work 1200..3200 read 0+1200+2200 = 3400. Total 10000+5000+6600+4200+3400 = 29200.
    let u = one_trial(&compaction_scenario(
        "prefix",
        "compaction = { threshold = 0.5, summary = 200 }",
    ));
    let prompts = 32400 + 11200;
    assert_eq!(u.total_tokens(CacheRead), 29200);
    assert_eq!(u.total_tokens(CacheWrite), prompts - 29200);
}

#[test]
fn a_prompt_past_the_window_fails_the_task_and_is_not_billed() {
    // Window 10,000 without compaction: prompts 1000 .. 10000 pass (10 calls), the 11th
    // (11000) would pass the window: the task fails, nothing more is billed.
    let s = compaction_scenario("off", "");
    let u = one_trial(&s);
    assert!(!u.success);
    assert_eq!(u.events(TrialEvent::ContextOverflow), 1);
    assert_eq!(u.total_calls(), 10);
    assert_eq!(
        u.total_tokens(Input),
        (1..=10).map(|k| 1000 * k).sum::<u64>()
    );
}

#[test]
fn reasoning_is_billed_but_not_carried() {
    // Two calls of 100 output and min(800, budget 500) = 500 reasoning each. Prompts: 1000, then
    // 1100 (the reasoning never joins the context). Caching off: input 2100.
    let s = compile(&format!(
        "{}[agent]\nsystem_prompt = 1000\ncaching = \"off\"\n{}",
        model("reasoning = 20.0"),
        phase(
            "p",
            2,
            "{ call = { output = 100, reasoning = 800, reasoning_budget = 500 } },"
        )
    ));
    let u = one_trial(&s);
    assert_eq!(u.total_tokens(Input), 2100);
    assert_eq!(u.total_tokens(Reasoning), 1000);
    assert_eq!(u.total_tokens(Output), 200);
    let cost = s.price_table().trial_cost(&u);
    let want = (2100.0 * 3.0 + 200.0 * 15.0 + 1000.0 * 20.0) / 1e6;
    assert!((cost - want).abs() < 1e-15);
}

const SUBAGENTS: &str = r#"
[agent]
system_prompt = 1000
caching = "off"

[[phases]]
name = "plan"
steps = [
  { call = { output = 100 } },
  { subagent = { workflow = "worker", count = 3 } },
  { call = { output = 50 } },
]

[workflows.worker]
system_prompt = 400
task_prompt = 100
[[workflows.worker.phases]]
name = "build"
repeat = 2
steps = [
  { call = { output = 30 } },
  { tool = { tokens = 70, duration_s = 10 } },
]
"#;

#[test]
fn sub_agents_run_in_fresh_contexts_and_return_their_summaries() {
    // Parent: prompt 1000 (out 100). Each worker starts fresh at 500: prompts 500 and 600
    // (outputs 30, tools 70 and 10 s each), returning its last output, 30. Parent's last
    // call: 1100 + 3 x 30 = 1190. Workers run in parallel: 20 s of wall time, not 60.
    let s = compile(&format!("{}{SUBAGENTS}", model("")));
    let u = one_trial(&s);
    let names = &s.workflow.phase_names;
    assert_eq!(names, &["plan", "worker/build"]);
    assert_eq!(u.tokens(0, 0, Input), 1000 + 1190);
    assert_eq!(u.tokens(1, 0, Input), 3 * (500 + 600));
    assert_eq!(u.tokens(1, 0, Output), 3 * 60);
    assert_eq!(u.calls(1, 0), 6);
    assert_eq!(u.iterations(1), 6);
    assert_eq!(u.events(TrialEvent::SubAgent), 3);
    assert_eq!(u.duration_s, 20.0);
    // The parts add up to the whole, in tokens and in dollars.
    for kind in TokenKind::ALL {
        assert_eq!(
            u.tokens(0, 0, kind) + u.tokens(1, 0, kind),
            u.total_tokens(kind)
        );
    }
}

#[test]
fn sub_agent_costs_add_up_to_the_total_in_the_summary() {
    let text = format!(
        "{}{}",
        model(""),
        SUBAGENTS
            .replace("count = 3", "count = { poisson = { mean = 2 } }")
            .replace(
                "output = 30",
                "output = { lognormal = { median = 30, sigma = 0.5 } }"
            )
    );
    let s = compile(&text);
    let config = RunConfig {
        trials: 5000,
        seed: 9,
        threads: Some(2),
    };
    let summary = tokencast::simulate(&s, &config, &mut Silent).unwrap();
    let total = summary.metric("cost_usd").unwrap().mean;
    let parts: f64 = summary
        .by_phase
        .0
        .iter()
        .map(|(_, m)| m.get("cost_usd").unwrap().mean)
        .sum();
    assert!((parts - total).abs() <= 1e-12 * total, "{parts} vs {total}");
    let shares: f64 = summary.cost_shares.by_phase.0.iter().map(|(_, s)| s).sum();
    assert!((shares - 1.0).abs() < 1e-12);
    // E[instances] = 2 exactly; 4 SE of the Poisson mean.
    let n = summary.metric("subagents").unwrap();
    assert!(
        (n.mean - 2.0).abs() < 4.0 * (2.0f64 / 5000.0).sqrt(),
        "{}",
        n.mean
    );
}

fn failures_scenario(p_fail: f64, retries: u32, billed: &str) -> Scenario {
    compile(&format!(
        "{}[agent]\nsystem_prompt = 1000\ncaching = \"off\"\ncall_failures = {{ p_fail = {p_fail}, max_retries = {retries}, failed_prompt = \"{billed}\" }}\n{}",
        model("time_to_first_token_s = 2"),
        phase("p", 1, "{ call = { output = 10 } },")
    ))
}

#[test]
fn transient_failures_follow_their_truncated_geometric_law() {
    // One call; each attempt fails with p = 0.3, up to 3 retries. Failed attempts F:
    // P(F = k) = 0.3^k 0.7 for k = 0..3 and P(F = 4) = 0.3^4 (the call gives up, the task
    // fails). Pearson chi-square (4 degrees of freedom) at 0.999, 100,000 trials.
    let s = failures_scenario(0.3, 3, "billed");
    let wf = &s.workflow;
    let mut usage = TrialUsage::new(wf.phase_count(), wf.model_count());
    let n = 100_000u64;
    let mut observed = [0u64; 5];
    for i in 0..n {
        wf.run_trial(&mut trial_rng(11, i), &mut usage);
        let f = usage.events(TrialEvent::FailedCall) as usize;
        observed[f] += 1;
        assert_eq!(usage.success, f < 4);
        // Billed failed prompts: 1000 input per failed attempt, plus the call if it succeeded.
        assert_eq!(
            usage.total_tokens(Input),
            1000 * (f as u64 + (f < 4) as u64)
        );
        assert_eq!(usage.duration_s, 2.0 * (f as f64 + (f < 4) as u64 as f64));
    }
    let p: Vec<f64> = (0..5)
        .map(|k| {
            if k < 4 {
                0.3f64.powi(k) * 0.7
            } else {
                0.3f64.powi(4)
            }
        })
        .collect();
    let stat: f64 = observed
        .iter()
        .zip(&p)
        .map(|(&o, &p)| (o as f64 - n as f64 * p).powi(2) / (n as f64 * p))
        .sum();
    let limit = ChiSquared::new(4.0).unwrap().inverse_cdf(0.999);
    assert!(stat < limit, "chi-square {stat} >= {limit}: {observed:?}");
}

#[test]
fn failed_attempts_are_free_when_the_provider_does_not_bill_them() {
    // p_fail = 1: all three attempts fail, nothing is billed, the task fails.
    let u = one_trial(&failures_scenario(1.0, 2, "free"));
    assert_eq!(u.events(TrialEvent::FailedCall), 3);
    assert_eq!(u.total_tokens(Input), 0);
    assert_eq!(u.total_calls(), 0);
    assert!(!u.success);
    let u = one_trial(&failures_scenario(1.0, 2, "billed"));
    assert_eq!(u.total_tokens(Input), 3000);
}

#[test]
fn escalation_switches_exactly_after_k_failures() {
    // A loop that never passes, 5 attempts, escalating after 2: attempts 1-2 on `small`,
    // 3-5 on `big`, one escalation event; each attempt is one call.
    let s = compile(
        "[models.small]\ninput = 1\noutput = 1\ncache_write = 1\ncache_read = 1\n\
         [models.big]\ninput = 5\noutput = 5\ncache_write = 5\ncache_read = 5\n\
         [agent]\nmodel = \"small\"\nsystem_prompt = 100\n\
         [[phases]]\nname = \"fix\"\nuntil_pass = { p_pass = 0, max_attempts = 5, escalate = { after = 2, model = \"big\" } }\n\
         steps = [{ call = { output = 10 } }]\n",
    );
    let big = s
        .workflow
        .model_names
        .iter()
        .position(|m| m == "big")
        .unwrap();
    let small = 1 - big;
    let u = one_trial(&s);
    assert_eq!(u.calls(0, small), 2);
    assert_eq!(u.calls(0, big), 3);
    assert_eq!(u.events(TrialEvent::Escalation), 1);
    assert!(!u.success);
}

#[test]
fn failed_tasks_are_rerun_as_often_as_the_law_says() {
    // A task that always fails (one attempt, p_pass 0), re-run with probability 1/2 up to 2
    // times: re-runs R has P(R = 0) = 1/2, P(R = 1) = 1/4, P(R = 2) = 1/4; E[R] = 3/4,
    // Var = E[R^2] - 9/16 = 5/4 - 9/16 = 11/16. Each run is one call of 100-token prompt.
    let s = compile(&format!(
        "{}[agent]\nsystem_prompt = 100\ncaching = \"off\"\ntask_retry = {{ max_reruns = 2, p_rerun = 0.5 }}\n\
         [[phases]]\nname = \"fix\"\nuntil_pass = {{ p_pass = 0, max_attempts = 1 }}\nsteps = [{{ call = {{ output = 10 }} }}]\n",
        model("")
    ));
    let wf = &s.workflow;
    let mut usage = TrialUsage::new(wf.phase_count(), wf.model_count());
    let n = 40_000u64;
    let mut sum = 0u64;
    for i in 0..n {
        wf.run_trial(&mut trial_rng(5, i), &mut usage);
        let r = usage.events(TrialEvent::TaskRerun);
        assert_eq!(usage.total_calls(), r + 1);
        assert!(!usage.success);
        sum += r;
    }
    let mean = sum as f64 / n as f64;
    let se = (11.0f64 / 16.0 / n as f64).sqrt();
    assert!((mean - 0.75).abs() < 4.0 * se, "{mean}");
}

/// Runs the four bundled mechanism scenarios on 1 and 2 threads: the summaries must be
/// byte-identical.
#[test]
fn mechanisms_give_identical_results_on_one_and_two_threads() {
    let dir = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("scenarios");
    for stem in [
        "swe-bench-sonnet",
        "claude-code-day",
        "autonomous-long-run",
        "subagent-feature",
    ] {
        let s = Scenario::load(&dir.join(format!("{stem}.toml"))).unwrap();
        let run = |threads| {
            let config = RunConfig {
                trials: 3000,
                seed: 4,
                threads: Some(threads),
            };
            serde_json::to_string(&tokencast::simulate(&s, &config, &mut Silent).unwrap()).unwrap()
        };
        assert_eq!(run(1), run(2), "{stem}");
    }
}

#[test]
fn the_plain_path_and_the_mechanics_path_agree_when_nothing_is_on() {
    // The reference scenario uses no mechanism, so it runs the plain path; forced onto the
    // mechanics path it must give the same usage trial by trial.
    let path = std::path::Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("scenarios/reference-coding-task.toml");
    let s = Scenario::load(&path).unwrap();
    assert_eq!(s.workflow.mechanics, Mechanics::Off);
    let mut forced = s.workflow.clone();
    forced.mechanics = Mechanics::On;
    let wf = &s.workflow;
    let mut a = TrialUsage::new(wf.phase_count(), wf.model_count());
    let mut b = a.clone();
    for i in 0..20_000 {
        wf.run_trial(&mut trial_rng(8, i), &mut a);
        forced.run_trial(&mut trial_rng(8, i), &mut b);
        assert_eq!(a, b, "trial {i}");
    }
}
