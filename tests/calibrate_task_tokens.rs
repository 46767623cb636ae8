//! Calibration from per-task totals **with** token counts (issue 21 item 4): the agent loop is
//! fitted by simulated moments with the tokens as extra moments (it replaced the one-call
//! task-level model); a known loop with difficulty is recovered within 3 SE; a per-task file
//! derived from a call log back-tests; the caps not stated are said to be inferred.

use std::collections::BTreeMap;
use std::fmt::Write as _;

use tokencast::calibrate::agent_loop::{self, Caps, LoopParams, LoopText};
use tokencast::calibrate::{
    self, CalibrateOptions, ColumnMap, FittedModel, Logs, Prices, TaskTotalsFit,
};
use tokencast::engine::{Observer, RunConfig, TrialBlock};
use tokencast::pricing::TokenKind;
use tokencast::scenario::Scenario;

/// (cost, calls, success, prompt tokens, output tokens) per trial.
struct Rows(Vec<(f64, u64, bool, u64, u64)>);
impl Observer for Rows {
    fn wants_trials(&self) -> bool {
        true
    }
    fn trials(&mut self, block: &TrialBlock) -> Result<(), String> {
        for i in 0..block.len() {
            let prompt = [
                TokenKind::Input,
                TokenKind::CacheRead,
                TokenKind::CacheWrite,
                TokenKind::CacheWrite1h,
            ]
            .into_iter()
            .map(|k| block.tokens(i, 0, k))
            .sum();
            let output = block.tokens(i, 0, TokenKind::Output);
            self.0.push((
                block.cost[i],
                block.calls[i],
                block.success[i],
                prompt,
                output,
            ));
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

fn truth_scenario() -> Scenario {
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
            caps: Caps::default(),
            caps_origin: "the test's",
            tasks: 0,
        },
    );
    Scenario::from_text("truth.toml", "truth", text).expect("the template loads")
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
        task_limits: Caps::default(),
    }
}

fn loop_fit(c: &calibrate::Calibration) -> &TaskTotalsFit {
    match &c.model {
        FittedModel::Totals(f) => f,
        other => panic!("expected an agent-loop fit, found {other:?}"),
    }
}

fn calibrate_csv(csv: &str, holdout: f64) -> calibrate::Calibration {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("tasks.csv");
    std::fs::write(&path, csv).unwrap();
    let (logs, import) = calibrate::import_logs(&[path.as_path()], None, &ColumnMap::default())
        .expect("the file reads");
    assert!(matches!(logs, Logs::Tasks(_)), "read as per-task records");
    calibrate::calibrate(logs, import, &options(holdout)).expect("calibrates")
}

/// Per-task token totals made by the engine from a known agent loop (difficulty on): every
/// parameter within 3 of its standard errors of the truth, and the token moments narrow the
/// token split (the output per call's SE below a fit to the costs alone).
#[test]
fn a_known_agent_loop_is_recovered_from_task_token_totals() {
    let mut rows = Rows(Vec::new());
    let config = RunConfig {
        trials: 800,
        seed: 11,
        threads: Some(2),
    };
    tokencast::simulate(&truth_scenario(), &config, &mut rows).unwrap();
    let mut with_tokens = String::from("task_id,model,input_tokens,output_tokens,calls,success\n");
    let mut costs_only = String::from("task_id,model,cost,calls,resolved\n");
    for (i, (cost, calls, ok, prompt, output)) in rows.0.iter().enumerate() {
        let _ = writeln!(with_tokens, "t{i},m,{prompt},{output},{calls},{ok}");
        let _ = writeln!(costs_only, "t{i},m,{cost:.9},{calls},{ok}");
    }
    let clock = std::time::Instant::now();
    let c = calibrate_csv(&with_tokens, 0.0);
    let f = loop_fit(&c);
    eprintln!(
        "fit in {:?}, {} evaluations",
        clock.elapsed(),
        f.evaluations
    );
    // The template bills prompts at the input rate: the one rate per prompt token is exact.
    let (_, priced) = c
        .prices
        .iter()
        .find(|(k, _)| k.contains("one rate"))
        .expect("the blended rates are reported");
    assert!((priced.prices.input - 3.0).abs() < 1e-9, "{priced:?}");
    assert!((priced.prices.output - 15.0).abs() < 1e-9, "{priced:?}");
    for (e, t) in f.estimates.iter().zip(TRUTH.to_vec()) {
        let se = e.se.expect("every parameter is fitted");
        eprintln!("{}: {} ± {} (truth {t})", e.name, e.value, se);
        assert!(se.is_finite() && se > 0.0, "{}: SE {se}", e.name);
        assert!(
            (e.value - t).abs() <= 3.0 * se,
            "{}: {} ± {se}, truth {t}",
            e.name,
            e.value
        );
    }
    assert!(
        f.moments
            .iter()
            .any(|m| m.name.starts_with("prompt tokens"))
    );
    assert!(c.scenario_text.contains("with token counts"));
    // The same tasks without their tokens: the output per call is known less well.
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("totals.csv");
    std::fs::write(&path, costs_only).unwrap();
    let (logs, import) =
        calibrate::import_logs(&[path.as_path()], None, &ColumnMap::default()).unwrap();
    assert!(matches!(logs, Logs::Totals(_)));
    let c0 = calibrate::calibrate(logs, import, &options(0.0)).unwrap();
    let se = |f: &TaskTotalsFit, i: usize| f.estimates[i].se.unwrap();
    let f0 = loop_fit(&c0);
    for i in [3, 4] {
        eprintln!(
            "{}: SE {} with tokens, {} from costs alone",
            f.estimates[i].name,
            se(f, i),
            se(f0, i)
        );
        assert!(se(f, i) < se(f0, i), "{}", f.estimates[i].name);
    }
}

/// Sums a per-call CSV into a per-task CSV with token columns, calls, cost and success.
fn per_task_from_calls(calls_csv: &str) -> String {
    let mut tasks: BTreeMap<String, (String, [u64; 4], u64, f64, String)> = BTreeMap::new();
    let mut lines = calls_csv.lines();
    let header: Vec<&str> = lines.next().unwrap().split(',').collect();
    let col = |name: &str| header.iter().position(|h| *h == name).unwrap();
    let (id, model, input, output, read, write, cost, ok) = (
        col("task_id"),
        col("model"),
        col("input_tokens"),
        col("output_tokens"),
        col("cache_read_tokens"),
        col("cache_write_tokens"),
        col("cost_usd"),
        col("success"),
    );
    for line in lines {
        let f: Vec<&str> = line.split(',').collect();
        let e = tasks.entry(f[id].to_string()).or_default();
        e.0 = f[model].to_string();
        for (k, c) in [input, output, read, write].into_iter().enumerate() {
            e.1[k] += f[c].parse::<u64>().unwrap();
        }
        e.2 += 1;
        e.3 += f[cost].parse::<f64>().unwrap();
        if !f[ok].is_empty() {
            e.4 = f[ok].to_string();
        }
    }
    let mut out = String::from(
        "task_id,model,input_tokens,output_tokens,cache_read_tokens,cache_write_tokens,calls,cost_usd,success\n",
    );
    for (id, (model, t, calls, cost, ok)) in tasks {
        let _ = writeln!(
            out,
            "{id},{model},{},{},{},{},{calls},{cost:.9},{ok}",
            t[0], t[1], t[2], t[3]
        );
    }
    out
}

/// The bundled call log summed per task (200 tasks of examples/calibrate/truth.toml, a loop
/// without difficulty and with caching) goes through the agent loop and back-tests on the
/// held-out tasks for cost and calls.
#[test]
fn a_per_task_file_derived_from_a_call_log_back_tests() {
    let calls = std::fs::read_to_string("examples/calibrate/sample-calls.csv").unwrap();
    let csv = per_task_from_calls(&calls);
    let c = calibrate_csv(&csv, 0.3);
    let f = loop_fit(&c);
    let bt = c.backtest.as_ref().expect("a back-test");
    let calls_bt = c.calls_backtest.as_ref().expect("a calls back-test");
    eprintln!(
        "cost KS {} (held-out P50 {} P90 {} P99 {}; fitted {} {} {}); calls KS {}; objective {}",
        bt.ks_distance,
        bt.held_out.p50,
        bt.held_out.p90,
        bt.held_out.p99,
        bt.simulated.p50,
        bt.simulated.p90,
        bt.simulated.p99,
        calls_bt.ks_distance,
        f.objective
    );
    assert_eq!(c.fitted_tasks + c.held_out_tasks, 200);
    // 60 held-out tasks: the KS distance's 5% critical value is about 0.18.
    assert!(bt.ks_distance <= 0.18, "cost KS {}", bt.ks_distance);
    assert!(
        calls_bt.ks_distance <= 0.18,
        "calls KS {}",
        calls_bt.ks_distance
    );
    // No caps were stated: the highest observed are written, and said so.
    assert!(
        c.scenario_text
            .contains("cost inferred from the highest observed in a fitted task"),
        "{}",
        c.scenario_text
    );
    Scenario::from_text("t.toml", "t", c.scenario_text.clone()).unwrap();
}

/// Fewer than 20 fitted tasks cannot be fitted by simulated moments: the one-call task-level
/// model is kept for them.
#[test]
fn a_handful_of_tasks_keeps_the_one_call_model() {
    let mut csv = String::from("task_id,model,input_tokens,output_tokens,calls\n");
    for i in 0..12 {
        let _ = writeln!(
            csv,
            "t{i},m,{},{},{}",
            20_000 + 1000 * i,
            900 + 50 * i,
            5 + i
        );
    }
    let c = calibrate_csv(&csv, 0.0);
    assert!(matches!(c.model, FittedModel::Tasks(_)), "{:?}", c.model);
}
