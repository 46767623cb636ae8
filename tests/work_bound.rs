//! The work bound computed at load time (`Workflow::work_bound`) against what trials do.
//!
//! - Where the bound says its averages are exact (every phase runs, nothing cuts a trial
//!   short), the simulated mean calls and tokens per trial equal them within four standard
//!   errors plus the probe's own error on counts' means.
//! - Every bundled task scenario, and any random scenario that validates (sub-agents, failures,
//!   re-runs, windows, compaction, conditional phases), runs within its stated worst case in
//!   every trial, and its mean stays below the stated average (an upper estimate there).
//! - A scenario whose average work passes the limit is rejected at its line and column, with
//!   the figure, before any trial runs.

use proptest::prelude::*;
use tokencast::engine::{self, Observer, RunConfig, TrialBlock};
use tokencast::scenario::Scenario;
use tokencast::workflow::{MAX_STEPS_PER_TRIAL, WorkBound};

/// Per-trial calls and tokens (all models, all kinds).
#[derive(Default)]
struct Collect {
    calls: Vec<f64>,
    tokens: Vec<f64>,
}

impl Observer for Collect {
    fn wants_trials(&self) -> bool {
        true
    }

    fn trials(&mut self, block: &TrialBlock) -> Result<(), String> {
        let per_row = block.tokens.len() / block.len().max(1);
        for row in 0..block.len() {
            self.calls.push(block.calls[row] as f64);
            let t: u64 = block.tokens[row * per_row..(row + 1) * per_row]
                .iter()
                .sum();
            self.tokens.push(t as f64);
        }
        Ok(())
    }
}

fn simulate(s: &Scenario, trials: u64) -> Collect {
    let mut c = Collect::default();
    let config = RunConfig {
        trials,
        seed: 11,
        threads: None,
    };
    engine::run(&s.workflow, &s.price_table(), &config, &mut c).expect("the run completes");
    c
}

/// Mean and standard error of the mean.
fn mean_se(v: &[f64]) -> (f64, f64) {
    let n = v.len() as f64;
    let m = v.iter().sum::<f64>() / n;
    let var = v.iter().map(|x| (x - m) * (x - m)).sum::<f64>() / (n - 1.0);
    (m, (var / n).sqrt())
}

fn load(text: &str) -> Scenario {
    Scenario::from_text("work.toml", "work", text.to_string()).unwrap_or_else(|e| panic!("{e}"))
}

/// Checks every trial against the worst case, and the means against the averages: equal
/// within `4 SE + rel` when `exact`, else not above `average + 4 SE`.
fn check(name: &str, bound: &WorkBound, c: &Collect, exact: bool, rel: f64) {
    for (i, (&calls, &tokens)) in c.calls.iter().zip(&c.tokens).enumerate() {
        assert!(
            calls <= bound.calls_max,
            "{name}: trial {i} made {calls} calls, above the stated most {}",
            bound.calls_max
        );
        assert!(
            tokens <= bound.tokens_max,
            "{name}: trial {i} billed {tokens} tokens, above the stated most {}",
            bound.tokens_max
        );
    }
    for (what, v, stated) in [
        ("calls", &c.calls, bound.calls),
        ("tokens", &c.tokens, bound.tokens),
    ] {
        let (m, se) = mean_se(v);
        if exact {
            assert!(
                (m - stated).abs() <= 4.0 * se + rel * stated,
                "{name}: mean {what} {m} ± {se}, stated exactly {stated}"
            );
        } else {
            assert!(
                m <= stated + 4.0 * se,
                "{name}: mean {what} {m} ± {se} above the stated average {stated}"
            );
        }
    }
}

/// Nested repeats, a Poisson loop, a pass/fail loop that continues, sub-agents with random
/// counts: every phase runs, so the averages are exact.
const NESTED: &str = r#"
[models.a]
input = 3
output = 15
cache_write = 3.75
cache_read = 0.3

[agent]
model = "a"
system_prompt = 2000
task_prompt = { lognormal = { median = 400, sigma = 0.5 } }

[[phases]]
name = "explore"
repeat = { poisson = { mean = 3 }, shift = 1 }
steps = [
  { call = { output = { lognormal = { median = 200, sigma = 0.6 } } } },
  { tool = { tokens = { lognormal = { median = 1500, sigma = 0.8 } } } },
]

[[phases]]
name = "fan-out"
steps = [
  { call = { output = 300 } },
  { subagent = { workflow = "worker", count = { uniform_int = { min = 1, max = 4 } } } },
]

[[phases]]
name = "fix"
until_pass = { p_pass = 0.4, max_attempts = 6, on_exhausted = "continue" }
steps = [
  { call = { output = { lognormal = { median = 500, sigma = 0.5 } } } },
  { tool = { tokens = 800 } },
]

[workflows.worker]
system_prompt = 1000

[[workflows.worker.phases]]
name = "work"
repeat = { uniform_int = { min = 2, max = 6 } }
steps = [
  { call = { output = { lognormal = { median = 150, sigma = 0.4 } } } },
  { tool = { tokens = { lognormal = { median = 900, sigma = 0.7 } } } },
]
"#;

#[test]
fn the_averages_are_exact_when_every_phase_runs() {
    let reference = Scenario::load(std::path::Path::new("scenarios/reference-coding-task.toml"))
        .expect("bundled scenario loads");
    for (name, s) in [("reference", reference), ("nested", load(NESTED))] {
        let bound = s.workflow.work_bound();
        assert!(
            bound.exact,
            "{name}: every phase runs, so the bound is exact"
        );
        let c = simulate(&s, 40_000);
        // Counts' means come from a probe of 16,384 draws: within about 0.5% for these
        // spreads (a probe of 4,096 draws was off by 0.9% on `nested`'s calls, and failed).
        check(name, &bound, &c, true, 0.005);
    }
}

#[test]
fn bundled_scenarios_run_within_their_stated_work() {
    for entry in std::fs::read_dir("scenarios").expect("scenarios/") {
        let path = entry.expect("entry").path();
        if path.extension().is_none_or(|e| e != "toml") {
            continue;
        }
        if tokencast::forecast::is_forecast_text(&std::fs::read_to_string(&path).unwrap()) {
            continue;
        }
        // Every other bundled file is a task scenario that loads: none is skipped unseen.
        let s = Scenario::load(&path).unwrap_or_else(|e| panic!("{e}"));
        let bound = s.workflow.work_bound();
        assert!(bound.steps <= MAX_STEPS_PER_TRIAL);
        assert!(bound.steps >= bound.calls && bound.steps_max >= bound.calls_max);
        let c = simulate(&s, 4_000);
        check(&path.display().to_string(), &bound, &c, false, 0.0);
    }
}

#[test]
fn a_work_bomb_is_rejected_at_its_phase_with_the_figure() {
    // 100,000 iterations × 1,000 sub-agents × 100,000 iterations: about 2e13 steps a task.
    let text = r#"[models.a]
input = 1
output = 1

[agent]
model = "a"
caching = "off"
system_prompt = 10

[[phases]]
name = "start"
steps = [{ call = { output = 1 } }]

[[phases]]
name = "outer"
repeat = 100000
steps = [{ subagent = { workflow = "inner", count = 1000 } }]

[workflows.inner]
system_prompt = 10

[[workflows.inner.phases]]
name = "loop"
repeat = 100000
steps = [{ call = { output = 1 } }]
"#;
    let err = Scenario::from_text("bomb.toml", "bomb", text.to_string())
        .expect_err("a work bomb is rejected")
        .to_string();
    assert!(
        err.starts_with("bomb.toml:16:10: phases[1].repeat:"),
        "{err}"
    );
    assert!(
        err.contains("expected at most 1,000,000 steps per task on average"),
        "{err}"
    );
    assert!(err.contains("found about 10,000,100,000,001"), "{err}");
    assert!(
        err.contains("phase `outer` takes about 10,000,100,000,000"),
        "{err}"
    );

    // Just under the limit loads: 10 × 1,000 sub-agents × 98 calls (each start a step).
    let under = text
        .replace(
            "repeat = 100000\nsteps = [{ sub",
            "repeat = 10\nsteps = [{ sub",
        )
        .replace(
            "repeat = 100000\nsteps = [{ call",
            "repeat = 98\nsteps = [{ call",
        );
    let s = load(&under);
    let b = s.workflow.work_bound();
    assert_eq!(b.calls, 1.0 + 10.0 * 1000.0 * 98.0);
    assert_eq!(b.steps, 1.0 + 10.0 * 1000.0 * 99.0);
    assert_eq!(b.calls_max, b.calls);
}

/// A random scenario with every mechanism that changes how much a trial does.
fn random_scenario() -> impl Strategy<Value = String> {
    let count = prop_oneof![
        (0u32..4).prop_map(|n| n.to_string()),
        (0.0f64..3.0).prop_map(|m| format!("{{ poisson = {{ mean = {m:?} }} }}")),
        (1u32..3, 3u32..6)
            .prop_map(|(a, b)| format!("{{ uniform_int = {{ min = {a}, max = {b} }} }}")),
    ];
    let tokens = prop_oneof![
        (0u32..5000).prop_map(|v| v.to_string()),
        (10.0f64..5000.0, 0.1f64..1.5)
            .prop_map(|(m, s)| format!("{{ lognormal = {{ median = {m:?}, sigma = {s:?} }} }}")),
    ];
    let repeat = prop_oneof![
        Just(String::new()),
        count.clone().prop_map(|c| format!("repeat = {c}")),
        (
            0.0f64..=1.0,
            1u32..6,
            prop_oneof![Just("fail"), Just("continue")]
        )
            .prop_map(|(p, n, e)| format!(
                "until_pass = {{ p_pass = {p:?}, max_attempts = {n}, on_exhausted = \"{e}\" }}"
            )),
    ];
    let when = prop_oneof![Just("always"), Just("on_success"), Just("on_failure")];
    let phase = (when, repeat, tokens.clone(), tokens.clone(), any::<bool>());
    (
        prop::collection::vec(phase, 1..4),
        count,
        tokens,
        any::<bool>(),
        any::<bool>(),
        any::<bool>(),
        any::<bool>(),
        prop_oneof![
            Just(String::new()),
            (1u32..12).prop_map(|k| format!("\n[limits]\nmax_calls = {k}\n")),
            (0.001f64..0.2).prop_map(|c| format!("\n[limits]\nmax_cost_usd = {c:?}\n")),
        ],
    )
        .prop_map(
            |(phases, sub_count, sub_tokens, window, compaction, failures, reruns, limits)| {
                let mut t = String::from("[models.a]\ninput = 3\noutput = 15\ncache_write = 3.75\ncache_read = 0.3\n");
                if window || compaction {
                    t += "context_window = 60000\n";
                }
                t += "\n[agent]\nmodel = \"a\"\nsystem_prompt = 1000\n";
                if compaction {
                    t += "compaction = { threshold = 0.5, summary = 2000 }\n";
                }
                if failures {
                    t += "call_failures = { p_fail = 0.2, max_retries = 2, failed_prompt = \"billed\" }\n";
                }
                if reruns {
                    t += "task_retry = { max_reruns = 2, p_rerun = 0.5 }\n";
                }
                t += "\n[[phases]]\nname = \"start\"\nsteps = [{ call = { output = 10 } }]\n";
                for (i, (when, repeat, out, tool, sub)) in phases.iter().enumerate() {
                    let mut steps = vec![
                        format!("{{ call = {{ output = {out} }} }}"),
                        format!("{{ tool = {{ tokens = {tool} }} }}"),
                    ];
                    if *sub {
                        steps.push(format!(
                            "{{ subagent = {{ workflow = \"helper\", count = {sub_count} }} }}"
                        ));
                    }
                    t += &format!(
                        "\n[[phases]]\nname = \"p{i}\"\nwhen = \"{when}\"\n{repeat}\nsteps = [{}]\n",
                        steps.join(", ")
                    );
                }
                t += &format!(
                    "\n[workflows.helper]\nsystem_prompt = 500\n\n[[workflows.helper.phases]]\nname = \"w\"\nrepeat = {{ uniform_int = {{ min = 1, max = 4 }} }}\nsteps = [{{ call = {{ output = 100 }} }}, {{ tool = {{ tokens = {sub_tokens} }} }}]\n"
                );
                t += &limits;
                t
            },
        )
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(48))]

    #[test]
    fn any_scenario_that_validates_runs_within_its_work_bound(text in random_scenario()) {
        let s = Scenario::from_text("random.toml", "random", text.clone())
            .unwrap_or_else(|e| panic!("the generator writes valid scenarios: {e}\n{text}"));
        let bound = s.workflow.work_bound();
        prop_assert!(bound.steps <= MAX_STEPS_PER_TRIAL);
        let c = simulate(&s, 400);
        check(&text, &bound, &c, false, 0.0);
    }
}

fn tokencast() -> std::process::Command {
    std::process::Command::new(env!("CARGO_BIN_EXE_tokencast"))
}

#[test]
fn validate_states_the_work_per_task_and_rejects_a_bomb_with_exit_2() {
    let out = tokencast()
        .args(["validate", "scenarios/reference-coding-task.toml"])
        .output()
        .unwrap();
    assert!(out.status.success());
    let text = String::from_utf8(out.stdout).unwrap();
    assert!(
        text.contains("work per task (from the model, before any trial runs)\n  on average: 9.4 calls, 18 steps and 189,"),
        "{text}"
    );
    assert!(
        text.contains("  in any trial: at most 100,007 calls, 200,013 steps and "),
        "{text}"
    );

    let dir = tempfile::tempdir().unwrap();
    let bomb = dir.path().join("bomb.toml");
    std::fs::write(
        &bomb,
        "[models.a]\ninput = 1\noutput = 1\n\n[agent]\nmodel = \"a\"\ncaching = \"off\"\nsystem_prompt = 10\n\n[[phases]]\nname = \"outer\"\nrepeat = 100000\nsteps = [{ subagent = { workflow = \"inner\", count = 1000 } }]\n\n[workflows.inner]\nsystem_prompt = 10\n\n[[workflows.inner.phases]]\nname = \"loop\"\nrepeat = 100000\nsteps = [{ call = { output = 1 } }]\n",
    )
    .unwrap();
    for command in ["validate", "run"] {
        let mut cmd = tokencast();
        cmd.arg(command).arg(&bomb);
        if command == "run" {
            cmd.arg("--out").arg(dir.path().join("out"));
        }
        let out = cmd.output().unwrap();
        let err = String::from_utf8(out.stderr).unwrap();
        assert_eq!(out.status.code(), Some(2), "{command}: {err}");
        assert!(err.contains("bomb.toml:12:10: phases[0].repeat: expected at most 1,000,000 steps per task on average"), "{command}: {err}");
    }
}

#[test]
fn a_run_whose_total_work_passes_the_limit_is_refused_before_it_starts() {
    let dir = tempfile::tempdir().unwrap();
    let heavy = dir.path().join("heavy.toml");
    // 99,001 steps a task: 200,000,000 trials are about 2e13 steps.
    std::fs::write(
        &heavy,
        "[models.a]\ninput = 1\noutput = 1\n\n[agent]\nmodel = \"a\"\ncaching = \"off\"\nsystem_prompt = 10\n\n[[phases]]\nname = \"grind\"\nrepeat = 99000\nsteps = [{ call = { output = 1 } }]\n\n[[phases]]\nname = \"end\"\nsteps = [{ call = { output = 1 } }]\n",
    )
    .unwrap();
    let out = tokencast()
        .arg("run")
        .arg(&heavy)
        .args(["--trials", "200000000", "--out"])
        .arg(dir.path().join("out"))
        .output()
        .unwrap();
    let err = String::from_utf8(out.stderr).unwrap();
    assert_eq!(out.status.code(), Some(2), "{err}");
    assert!(
        err.contains("expected at most 10,000,000,000,000 steps in one run (about a day on two cores), found about 19,800,200,000,000 (200,000,000 trials × about 99,001 steps per task)"),
        "{err}"
    );
    assert!(
        !dir.path().join("out").exists(),
        "refused before the output directory is made"
    );
}

#[test]
fn a_comparison_whose_steps_pass_the_limit_is_rejected_at_its_periods() {
    // 900,000 steps a task (within the task's limit); 1,000 seats × 1,000 tasks × 12 periods
    // and the default break-even sweep are 1,437,000,000 tasks (within compare's task limit of
    // 2e9) but about 1.3e15 steps.
    let mut text = String::from(
        "[models.a]\ninput = 1\noutput = 1\n\n[agent]\nmodel = \"a\"\ncaching = \"off\"\nsystem_prompt = 10\n",
    );
    for i in 0..9 {
        text += &format!(
            "\n[[phases]]\nname = \"p{i}\"\nrepeat = 100000\nsteps = [{{ call = {{ output = 1 }} }}]\n"
        );
    }
    text += "\n[workload]\nseats = 1000\ntasks_per_seat = 1000\nperiods = 12\nbaseline = \"list\"\n\n[billing.list]\ntokens = {}\n";
    let err = Scenario::from_text("heavy-compare.toml", "heavy", text)
        .expect_err("beyond the run's step limit")
        .to_string();
    assert!(err.contains("workload.periods: this comparison would take about 1.3e15 steps (1,437,000,000 tasks × about 900,000 steps each), more than the 10,000,000,000,000 one run may"), "{err}");
}
