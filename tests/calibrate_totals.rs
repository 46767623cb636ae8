//! Calibration from per-task totals without token counts (issue 21 item 4): the agent loop
//! fitted by simulated moments recovers a known truth within 3 standard errors; the twin the
//! fit simulates has the engine's law; a fit on 70% of a published 500-task run reproduces the
//! other 30%; bad files are refused at their line with exit 2.

use std::collections::BTreeMap;
use std::fmt::Write as _;

use tokencast::calibrate::agent_loop::{self, Caps, LoopParams, LoopText};
use tokencast::calibrate::{
    self, CalibrateOptions, ColumnMap, FittedModel, Logs, Prices, TaskTotalsFit,
};
use tokencast::engine::{Observer, RunConfig, TrialBlock};
use tokencast::scenario::Scenario;

const PUBLISHED: &str = "examples/calibrate/per-task/gemini-3-pro-swe-bench-verified.csv";

struct Rows(Vec<(f64, u64, bool)>);
impl Observer for Rows {
    fn wants_trials(&self) -> bool {
        true
    }
    fn trials(&mut self, block: &TrialBlock) -> Result<(), String> {
        for i in 0..block.len() {
            self.0
                .push((block.cost[i], block.calls[i], block.success[i]));
        }
        Ok(())
    }
}

const TRUTH: LoopParams = LoopParams {
    explore_turns: 18.0,
    spread: 0.5,
    fix_pass: 0.5,
    output: 400.0,
    observation: 600.0,
    resolve: 0.8,
    resolve_link: 1.5,
    observation_link: -0.5,
};

fn truth_scenario(caps: Caps) -> Scenario {
    let text = agent_loop::scenario_text(
        &TRUTH,
        &LoopText {
            name: "truth",
            header: &[],
            model: "m",
            prices: (3.0, 15.0),
            price_origin: "the test's",
            estimates: &[],
            moments: &[],
            caps,
            caps_origin: "the test's",
            tasks: 0,
        },
    );
    Scenario::from_text("truth.toml", "truth", text).expect("the template loads")
}

fn engine_rows(
    scenario: &Scenario,
    trials: u64,
    seed: u64,
    threads: usize,
) -> Vec<(f64, u64, bool)> {
    let mut rows = Rows(Vec::new());
    let config = RunConfig {
        trials,
        seed,
        threads: Some(threads),
    };
    tokencast::simulate(scenario, &config, &mut rows).unwrap();
    rows.0
}

fn options(holdout: f64) -> CalibrateOptions {
    let mut prices = BTreeMap::new();
    prices.insert(
        "m".to_string(),
        Prices {
            input: 3.0,
            output: 15.0,
            cache_write: 3.75,
            cache_read: 0.3,
            cache_write_1h: 6.0,
        },
    );
    prices.insert(
        "gemini-3-pro-preview".to_string(),
        Prices {
            input: 2.0,
            output: 12.0,
            cache_write: 2.0,
            cache_read: 0.2,
            cache_write_1h: 4.0,
        },
    );
    CalibrateOptions {
        name: "fitted".into(),
        holdout,
        split_seed: 1,
        run: RunConfig {
            trials: 20_000,
            seed: 1,
            threads: Some(2),
        },
        prices,
        catalog: None,
        task_limits: Default::default(),
    }
}

fn calibrate_file(path: &std::path::Path, holdout: f64) -> calibrate::Calibration {
    let (logs, import) =
        calibrate::import_logs(&[path], None, &ColumnMap::default()).expect("the file reads");
    assert!(matches!(logs, Logs::Totals(_)), "read as per-task totals");
    calibrate::calibrate(logs, import, &options(holdout)).expect("calibrates")
}

fn totals(c: &calibrate::Calibration) -> &TaskTotalsFit {
    match &c.model {
        FittedModel::Totals(f) => f,
        other => panic!("expected an agent-loop fit, found {other:?}"),
    }
}

/// Per-task data made by the engine from a known agent loop (difficulty on): every fitted
/// parameter within 3 of its standard errors of the truth.
#[test]
fn a_known_agent_loop_is_recovered_from_task_totals() {
    let rows = engine_rows(
        &truth_scenario(Caps {
            max_calls: None,
            max_cost_usd: None,
        }),
        1000,
        11,
        2,
    );
    let mut csv = String::from("task_id,model,cost,calls,resolved\n");
    for (i, (cost, calls, ok)) in rows.iter().enumerate() {
        let _ = writeln!(csv, "t{i},m,{cost:.9},{calls},{ok}");
    }
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("tasks.csv");
    std::fs::write(&path, csv).unwrap();
    let clock = std::time::Instant::now();
    let c = calibrate_file(&path, 0.0);
    let f = totals(&c);
    eprintln!(
        "fit in {:?}, {} evaluations",
        clock.elapsed(),
        f.evaluations
    );
    let truth = TRUTH.to_vec();
    for (e, t) in f.estimates.iter().zip(truth) {
        let se =
            e.se.expect("every parameter is fitted when calls and outcomes are given");
        eprintln!("{}: {} ± {} (truth {t})", e.name, e.value, se);
        assert!(se.is_finite() && se > 0.0, "{}: SE {se}", e.name);
        assert!(
            (e.value - t).abs() <= 3.0 * se,
            "{}: {} ± {se}, truth {t}",
            e.name,
            e.value
        );
    }
    // The scenario written loads and states each estimate with its SE.
    assert!(c.scenario_text.contains("difficulty spread: "));
    assert!(c.scenario_text.contains("[limits]\nmax_calls = "));
}

/// The fit's twin simulator has the engine's law: the written scenario's mean cost, mean calls
/// and success share agree with the twin's within 4 standard errors of their difference, with
/// caps that bind.
#[test]
fn the_twin_simulates_what_the_engine_runs() {
    let caps = Caps {
        max_calls: Some(30),
        max_cost_usd: Some(1.5),
    };
    let n = 20_000;
    let engine = engine_rows(&truth_scenario(caps), n as u64, 3, 2);
    let twin = agent_loop::simulate(&TRUTH, &caps, (3.0, 15.0), 9, n);
    let stats = |v: Vec<f64>| {
        let m = v.iter().sum::<f64>() / v.len() as f64;
        let var = v.iter().map(|x| (x - m).powi(2)).sum::<f64>() / (v.len() - 1) as f64;
        (m, var / v.len() as f64)
    };
    let pairs = [
        (
            "cost",
            stats(engine.iter().map(|r| r.0).collect()),
            stats(twin.iter().map(|r| r.cost).collect()),
        ),
        (
            "calls",
            stats(engine.iter().map(|r| r.1 as f64).collect()),
            stats(twin.iter().map(|r| r.calls as f64).collect()),
        ),
        (
            "success",
            stats(engine.iter().map(|r| r.2 as u8 as f64).collect()),
            stats(twin.iter().map(|r| r.success as u8 as f64).collect()),
        ),
        (
            "stopped at a cap",
            stats(
                engine
                    .iter()
                    .map(|r| (r.1 >= 30 || r.0 >= 1.5) as u8 as f64)
                    .collect(),
            ),
            stats(
                twin.iter()
                    .map(|r| (r.calls >= 30 || r.cost >= 1.5) as u8 as f64)
                    .collect(),
            ),
        ),
    ];
    for (what, (me, ve), (mt, vt)) in pairs {
        let z = (me - mt) / (ve + vt).sqrt();
        eprintln!("{what}: engine {me}, twin {mt}, z {z}");
        assert!(z.abs() < 4.0, "{what}: engine {me}, twin {mt}, z {z}");
    }
    // The caps bind in a few percent of the tasks, so the comparison tests them.
    let capped = engine.iter().filter(|r| r.1 >= 30 || r.0 >= 1.5).count() as f64 / n as f64;
    assert!(capped > 0.01, "{capped}");
}

/// A fit on 70% of a published 500-task run (mini-SWE-agent with Gemini 3 Pro on SWE-bench
/// Verified) reproduces the other 30%: KS at most 0.10 for cost.
#[test]
fn a_published_run_is_reproduced_on_held_out_tasks() {
    let c = calibrate_file(PUBLISHED.as_ref(), 0.3);
    let f = totals(&c);
    let bt = c.backtest.as_ref().expect("a back-test");
    let calls = c.calls_backtest.as_ref().expect("a calls back-test");
    eprintln!(
        "cost KS {} (held-out P50 {} P90 {} P99 {}; fitted {} {} {}); calls KS {}; objective {}",
        bt.ks_distance,
        bt.held_out.p50,
        bt.held_out.p90,
        bt.held_out.p99,
        bt.simulated.p50,
        bt.simulated.p90,
        bt.simulated.p99,
        calls.ks_distance,
        f.objective
    );
    assert_eq!(c.fitted_tasks + c.held_out_tasks, 500);
    // Prices given (the override of the catalog's entry) are the ones written.
    assert!(
        c.scenario_text
            .contains("# USD per million tokens, given with --price."),
        "{}",
        c.scenario_text
    );
    assert!(bt.ks_distance <= 0.10, "cost KS {}", bt.ks_distance);
    assert!(calls.ks_distance <= 0.10, "calls KS {}", calls.ks_distance);
    // The tail is bounded by the caps stated from the data.
    assert!(f.caps.max_cost_usd.is_some() && f.caps.max_calls.is_some());
    // Failure tied to cost through difficulty: unresolved tasks cost more, as in the data.
    let ratio = f.failed_cost_ratio.expect("both outcomes occur");
    assert!(ratio > 1.2, "{ratio}");
    let fitted_ratio = f
        .moments
        .iter()
        .find(|m| m.name.starts_with("failed/successful"))
        .unwrap()
        .fitted
        .exp();
    assert!(fitted_ratio > 1.2, "fitted ratio {fitted_ratio}");
}

fn run_cli(args: &[&str]) -> (i32, String) {
    let out = assert_cmd::Command::cargo_bin("tokencast")
        .unwrap()
        .args(args)
        .output()
        .unwrap();
    (
        out.status.code().unwrap_or(-1),
        String::from_utf8_lossy(&out.stderr).into_owned(),
    )
}

/// Bad per-task totals are refused at their file and line, with exit 2.
#[test]
fn bad_task_totals_are_refused_at_their_line() {
    let dir = tempfile::tempdir().unwrap();
    let cases = [
        (
            "no-cost.csv",
            "task_id,model,calls,resolved\na,m,3,true\n",
            ":1: cost column: expected a header `cost_usd`",
        ),
        (
            "negative.csv",
            "task_id,model,cost,calls\na,m,0.5,3\nb,m,-0.2,4\n",
            "negative.csv:3: cost: expected a non-negative cost in USD, found `-0.2`",
        ),
        (
            "calls.csv",
            "task_id,model,cost,calls\na,m,0.5,3\nb,m,0.2,4\nc,m,0.2,many\n",
            "calls.csv:4: calls: expected a non-negative whole number of calls, found `many`",
        ),
        (
            "twice.csv",
            "task_id,model,cost\na,m,0.5\na,m,0.2\n",
            "twice.csv:3: task: `a` again (first on line 2)",
        ),
    ];
    for (name, text, want) in cases {
        let path = dir.path().join(name);
        std::fs::write(&path, text).unwrap();
        let out = dir.path().join("out.toml");
        let (code, err) = run_cli(&[
            "calibrate",
            path.to_str().unwrap(),
            "-o",
            out.to_str().unwrap(),
            "--price",
            "m=3,15,3.75,0.3",
        ]);
        assert_eq!(code, 2, "{name}: {err}");
        assert!(err.contains(want), "{name}: {err}");
        assert!(!out.exists(), "{name}: nothing is written");
    }
}

/// Issue 21: a per-task CSV whose token columns are 0 but whose cost is not is refused (it was
/// fitted with its cost ignored: a $0 scenario, exit 0); the message points to the totals fit.
#[test]
fn zero_token_columns_with_a_cost_are_refused() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("zero.csv");
    std::fs::write(
        &path,
        "task_id,model,input_tokens,output_tokens,calls,cost_usd\na,m,0,0,3,0.5\nb,m,0,0,4,0.7\n",
    )
    .unwrap();
    let out = dir.path().join("out.toml");
    let (code, err) = run_cli(&[
        "calibrate",
        path.to_str().unwrap(),
        "-o",
        out.to_str().unwrap(),
        "--price",
        "m=3,15,3.75,0.3",
    ]);
    assert_eq!(code, 2, "{err}");
    assert!(err.contains("zero.csv:2: the token columns"), "{err}");
    assert!(err.contains("leave the token columns out"), "{err}");
    assert!(!out.exists());
}

struct Blocks(Vec<TrialBlock>);
impl Observer for Blocks {
    fn wants_trials(&self) -> bool {
        true
    }
    fn trials(&mut self, block: &TrialBlock) -> Result<(), String> {
        self.0.push(block.clone());
        Ok(())
    }
}

/// The synthetic call log of a scenario with `[difficulty]` sums, task by task, to exactly the
/// engine's trial usage (calls, input and output tokens, outcome): the walk draws D as the
/// engine does and scales counts, draws and pass probabilities by it.
#[test]
fn the_call_trace_with_difficulty_is_the_engines_trials() {
    use tokencast::calibrate::synth;
    use tokencast::pricing::TokenKind;
    let scenario = truth_scenario(Caps {
        max_calls: None,
        max_cost_usd: None,
    });
    let trials = 2_000;
    let mut blocks = Blocks(Vec::new());
    let config = RunConfig {
        trials,
        seed: 5,
        threads: Some(2),
    };
    tokencast::simulate(&scenario, &config, &mut blocks).unwrap();
    let calls = synth::synthetic_calls(&scenario, trials, 5);
    let tasks = calibrate::group_calls(calls);
    let by_id: BTreeMap<&str, &calibrate::Task> =
        tasks.iter().map(|t| (t.id.as_str(), t)).collect();
    let mut seen = 0;
    let mut failed = 0;
    for block in &blocks.0 {
        for row in 0..block.len() {
            let i = block.first + row as u64;
            let id = format!("task-{i:06}");
            let task = by_id[id.as_str()];
            let sum = |f: fn(&calibrate::CallRecord) -> u64| task.calls.iter().map(f).sum::<u64>();
            assert_eq!(task.calls.len() as u64, block.calls[row], "{id}: calls");
            assert_eq!(
                sum(|c| c.input),
                block.tokens(row, 0, TokenKind::Input),
                "{id}: input"
            );
            assert_eq!(
                sum(|c| c.output),
                block.tokens(row, 0, TokenKind::Output),
                "{id}: output"
            );
            assert_eq!(task.success(), Some(block.success[row]), "{id}: outcome");
            failed += !block.success[row] as usize;
            seen += 1;
        }
    }
    assert_eq!(seen, trials as usize);
    // Difficulty is on and the outcomes vary, so the comparison tests the scaling.
    assert!(failed > 100, "{failed}");
}
