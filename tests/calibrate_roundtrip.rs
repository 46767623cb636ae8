//! The round trip: simulate a known scenario (examples/calibrate/truth.toml), write its calls
//! as logs, calibrate, and recover every parameter within 4 of its standard errors; the
//! call-by-call walk that writes the logs against the engine's own trials; the reported
//! standard errors against the spread of estimates over replications.

use std::collections::BTreeMap;

use tokencast::calibrate::{self, CalibrateOptions, ColumnMap, FittedModel, Logs, Quantity, synth};
use tokencast::engine::{Observer, RunConfig, TrialBlock};
use tokencast::pricing::TokenKind;
use tokencast::scenario::Scenario;
use tokencast::stats::fit::Fitted;

fn truth() -> Scenario {
    Scenario::load("examples/calibrate/truth.toml".as_ref()).expect("the truth scenario loads")
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

/// The synthetic log's calls sum, task by task, to exactly the engine's trial usage.
#[test]
fn the_call_trace_is_the_engines_trials() {
    for path in [
        "examples/calibrate/truth.toml",
        "scenarios/reference-coding-task.toml",
    ] {
        let scenario = Scenario::load(path.as_ref()).unwrap();
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
        let mut by_id: BTreeMap<String, &calibrate::Task> = BTreeMap::new();
        for t in &tasks {
            by_id.insert(t.id.clone(), t);
        }
        for block in &blocks.0 {
            for row in 0..block.len() {
                let i = block.first + row as u64;
                let task = by_id[&format!("task-{i:06}")];
                let sum =
                    |f: fn(&calibrate::CallRecord) -> u64| task.calls.iter().map(f).sum::<u64>();
                let engine = |kind| {
                    (0..block.models)
                        .map(|m| block.tokens(row, m, kind))
                        .sum::<u64>()
                };
                assert_eq!(
                    sum(|c| c.output),
                    engine(TokenKind::Output),
                    "{path} trial {i}"
                );
                assert_eq!(
                    sum(|c| c.cache_read),
                    engine(TokenKind::CacheRead),
                    "{path} trial {i}"
                );
                assert_eq!(
                    sum(|c| c.cache_write),
                    engine(TokenKind::CacheWrite),
                    "{path} trial {i}"
                );
                assert_eq!(
                    sum(|c| c.input),
                    engine(TokenKind::Input),
                    "{path} trial {i}"
                );
                assert_eq!(
                    task.calls.len() as u64,
                    block.calls[row],
                    "{path} trial {i}"
                );
                assert_eq!(task.success(), Some(block.success[row]), "{path} trial {i}");
                let cost: f64 = task.calls.iter().filter_map(|c| c.cost).sum();
                assert!(
                    (cost - block.cost[row]).abs() <= 1e-12 * cost.max(1.0),
                    "{path} trial {i}"
                );
            }
        }
    }
}

fn within_4se(q: &Quantity, name: &str, truth: f64) -> String {
    let p = q.best().param(name).unwrap();
    assert!(
        (p.value - truth).abs() < 4.0 * p.se,
        "{}: {name} = {} ± {} vs truth {truth}",
        q.what,
        p.value,
        p.se
    );
    format!("{name}: truth {truth}, fitted {:.4} ± {:.4}", p.value, p.se)
}

/// Writes the truth's calls as a per-call CSV, imports it, calibrates and checks recovery.
#[test]
fn calibration_recovers_the_known_scenario() {
    let scenario = truth();
    let calls = synth::synthetic_calls(&scenario, 4_000, 11);
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("calls.csv");
    std::fs::write(&path, synth::calls_csv(&calls)).unwrap();
    let (logs, report) =
        calibrate::import_logs(&[path.as_path()], None, &ColumnMap::default()).unwrap();
    assert!(matches!(logs, Logs::Calls(_)));
    assert!(report.malformed.is_empty());
    assert_eq!(report.records as usize, calls.len());
    let options = CalibrateOptions {
        name: "ours".into(),
        holdout: 0.3,
        split_seed: 1,
        run: RunConfig {
            trials: 20_000,
            seed: 3,
            threads: None,
        },
        prices: BTreeMap::new(),
        catalog: None,
        task_limits: Default::default(),
    };
    let result = calibrate::calibrate(logs, report, &options).unwrap();
    let FittedModel::Calls(fit) = &result.model else {
        panic!("call-level expected")
    };
    assert!(matches!(
        fit.first_prompt.best().fitted,
        Fitted::Lognormal { .. }
    ));
    assert!(matches!(
        fit.models[0].repeat.best().fitted,
        Fitted::NegativeBinomial { .. }
    ));
    assert!(matches!(
        fit.models[0].output.best().fitted,
        Fitted::Lognormal { .. }
    ));
    assert!(matches!(fit.tool.best().fitted, Fitted::Lognormal { .. }));
    let lines = [
        within_4se(&fit.first_prompt, "median", 8000.0),
        within_4se(&fit.first_prompt, "sigma", 0.3),
        within_4se(&fit.models[0].repeat, "mean", 12.0),
        within_4se(&fit.models[0].repeat, "dispersion", 3.0),
        within_4se(&fit.models[0].output, "median", 300.0),
        within_4se(&fit.models[0].output, "sigma", 0.6),
        within_4se(&fit.tool, "median", 1500.0),
        within_4se(&fit.tool, "sigma", 1.0),
    ];
    let s = fit.success.unwrap();
    assert!(
        (s.rate - 0.85).abs() < 4.0 * s.se,
        "success {} ± {}",
        s.rate,
        s.se
    );
    eprintln!(
        "{}\nsuccess: truth 0.85, fitted {:.4} ± {:.4}",
        lines.join("\n"),
        s.rate,
        s.se
    );
    // Prices come back from the cost column (no input tokens: that price is unidentified, 0).
    let p = result.prices["sonnet"].prices;
    assert!((p.output - 15.0).abs() < 1e-6 && (p.cache_write - 3.75).abs() < 1e-6);
    assert!((p.cache_read - 0.3).abs() < 1e-6);

    // The back-test: the fitted scenario's costs against the held-out tasks'.
    let bt = result.backtest.as_ref().expect("tasks were held out");
    let share = bt.held_out.n as f64 / 4_000.0;
    assert!(
        (share - 0.3).abs() < 4.0 * (0.3f64 * 0.7 / 4_000.0).sqrt(),
        "held out {share}"
    );
    assert!(
        (bt.held_out.mean - bt.simulated.mean).abs() < 4.0 * bt.held_out.se.hypot(bt.simulated.se)
    );
    assert!(
        bt.ks_p_value > 1e-4,
        "KS {} p {}",
        bt.ks_distance,
        bt.ks_p_value
    );
    // The written scenario runs as it is.
    Scenario::from_text("ours.toml", "ours", result.scenario_text.clone()).unwrap();
}

/// The reported standard errors of the call-level fit against the spread of its estimates over
/// 200 independent logs of 300 tasks each (the spread is known to about 1/√400 = 5%).
#[test]
fn calibration_standard_errors_match_their_sampling_distribution() {
    let scenario = truth();
    let reps = 200u64;
    let mut est: BTreeMap<&str, (Vec<f64>, f64)> = BTreeMap::new();
    for r in 0..reps {
        let tasks = calibrate::group_calls(synth::synthetic_calls(&scenario, 300, 1_000 + r));
        let fit = calibrate::fit_calls(&tasks).unwrap();
        // The fit of the true family among the candidates (at 300 tasks AIC may prefer
        // another for the narrow first-prompt law; the SE under test is the true family's).
        let mut record = |key: &'static str, q: &Quantity, name: &str| {
            let truth_family = if key.starts_with("calls") {
                "negative_binomial"
            } else {
                "lognormal"
            };
            let fit = q
                .fits
                .iter()
                .find(|f| serde_json::to_value(f.fitted).unwrap()["family"] == truth_family);
            if let Some(p) = fit.and_then(|f| f.param(name)) {
                let e = est.entry(key).or_default();
                e.0.push(p.value);
                e.1 += p.se;
            }
        };
        record("first median", &fit.first_prompt, "median");
        record("first sigma", &fit.first_prompt, "sigma");
        record("calls mean", &fit.models[0].repeat, "mean");
        record("calls dispersion", &fit.models[0].repeat, "dispersion");
        record("output median", &fit.models[0].output, "median");
        record("output sigma", &fit.models[0].output, "sigma");
        record("tool median", &fit.tool, "median");
        record("tool sigma", &fit.tool, "sigma");
    }
    for (key, (values, se_sum)) in est {
        let n = values.len() as f64;
        assert_eq!(
            n, reps as f64,
            "{key}: the true family was not fitted every time"
        );
        let m = values.iter().sum::<f64>() / n;
        let sd = (values.iter().map(|v| (v - m).powi(2)).sum::<f64>() / (n - 1.0)).sqrt();
        let ratio = sd / (se_sum / n);
        eprintln!(
            "{key}: spread {sd:.5}, mean SE {:.5}, ratio {ratio:.3}",
            se_sum / n
        );
        assert!((0.8..1.25).contains(&ratio), "{key}: spread / SE = {ratio}");
    }
}

/// Per-task totals of fewer than 20 fitted tasks (too few for the agent loop's simulated
/// moments) give the one-call task-level model, whose scenario runs as it is.
#[test]
fn task_totals_give_a_task_level_scenario() {
    let calls = synth::synthetic_calls(&truth(), 28, 12);
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("tasks.csv");
    std::fs::write(&path, synth::tasks_csv(&calls)).unwrap();
    let (logs, report) =
        calibrate::import_logs(&[path.as_path()], None, &ColumnMap::default()).unwrap();
    assert!(matches!(logs, Logs::Tasks(_)));
    let options = CalibrateOptions {
        name: "t".into(),
        holdout: 0.3,
        split_seed: 1,
        run: RunConfig {
            trials: 2_000,
            seed: 1,
            threads: None,
        },
        prices: BTreeMap::new(),
        catalog: None,
        task_limits: Default::default(),
    };
    let result = calibrate::calibrate(logs, report, &options).unwrap();
    let FittedModel::Tasks(fit) = &result.model else {
        panic!("task-level expected")
    };
    // Calls per task = 1 + NB(12, 3): mean 13.
    let calls = fit.calls.as_ref().unwrap();
    let p = calls.best().param("mean").unwrap();
    assert!((p.value - 13.0).abs() < 4.0 * p.se);
    // Blended prices reproduce the fitted tasks' total cost: checked through the mean.
    assert!(result.prices.contains_key("sonnet"));
    Scenario::from_text("t.toml", "t", result.scenario_text.clone()).unwrap();
}

#[test]
fn logs_within_every_bound_but_widely_spread_still_give_a_scenario_that_loads() {
    // Issue 20 item 9 (found again by an audit): every count within a scenario's limits, but
    // spread from 1 to 1e8, fitted a gamma whose far tail passes a draw's limit of 1e8 tokens;
    // calibrate then stopped with exit 1, naming the scenario file it never wrote. The fitted
    // distributions now carry `max = 100000000` when their tail reaches past it.
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("calls.csv");
    let mut csv = String::from("task_id,model,input_tokens,output_tokens\n");
    let mut x: u64 = 7;
    for t in 0..200 {
        for _ in 0..5 {
            x = x
                .wrapping_mul(6364136223846793005)
                .wrapping_add(1442695040888963407);
            let input = if x >> 63 == 0 { 1 } else { 99_999_999 };
            let output = 1 + (x >> 20) % 100_000_000;
            csv += &format!("t{t},m,{input},{output}\n");
        }
    }
    std::fs::write(&path, csv).unwrap();
    let (logs, report) =
        calibrate::import_logs(&[path.as_path()], None, &ColumnMap::default()).unwrap();
    let options = CalibrateOptions {
        name: "spread".into(),
        holdout: 0.3,
        split_seed: 1,
        run: RunConfig {
            trials: 500,
            seed: 1,
            threads: None,
        },
        prices: BTreeMap::from([(
            "m".to_string(),
            calibrate::Prices {
                input: 3.0,
                output: 15.0,
                cache_write: 3.75,
                cache_read: 0.3,
                cache_write_1h: 6.0,
            },
        )]),
        catalog: None,
        task_limits: Default::default(),
    };
    let result = calibrate::calibrate(logs, report, &options).expect("a scenario that loads");
    assert!(
        result.scenario_text.contains("max = 100000000 }"),
        "{}",
        result.scenario_text
    );
    Scenario::from_text("spread.toml", "spread", result.scenario_text).unwrap();
}

/// A per-task CSV at `path` of 300 tasks whose prompt tokens are the quantiles of a
/// Gamma(shape 0.6, scale 5e7) at (i + 0.5)/300 (those above a draw's limit of 1e8 clamped
/// to it) and whose output tokens are 1,000 + 37 i.
fn spread_task_csv(path: &std::path::Path) {
    use statrs::distribution::{ContinuousCDF, Gamma};
    let gamma = Gamma::new(0.6, 1.0 / 5e7).unwrap();
    let mut csv = String::from("task_id,model,input_tokens,output_tokens,calls,success\n");
    for i in 0..300u64 {
        let u = (i as f64 + 0.5) / 300.0;
        let prompt = (gamma.inverse_cdf(u).round() as u64).clamp(1, 100_000_000);
        csv += &format!("t{i},m,{prompt},{},{},true\n", 1000 + 37 * i, 5 + i % 50);
    }
    std::fs::write(path, csv).unwrap();
}

#[test]
fn a_fitted_gamma_past_the_token_limit_is_written_with_a_stated_cap() {
    // Issue 21 item 4: per-task totals spread up to a draw's limit (1e8 tokens) fit a gamma
    // whose range passes the limit, and calibrate stopped with "the fitted scenario does not
    // load". It now writes the fit with `max = 100000000` and says so in a comment; written
    // without that cap, the same fit is what the loader rejects (the original failure).
    let dir = tempfile::tempdir().unwrap();
    let logs = dir.path().join("tasks.csv");
    spread_task_csv(&logs);
    let out = dir.path().join("fitted.toml");
    let run = assert_cmd::Command::cargo_bin("tokencast")
        .unwrap()
        .args([
            "calibrate",
            logs.to_str().unwrap(),
            "-o",
            out.to_str().unwrap(),
        ])
        // 18 fitted tasks: below the agent loop's 20, so the one-call task-level model (the
        // one that drew this gamma) is fitted.
        .args([
            "--price",
            "m=3,15,3.75,0.3",
            "--trials",
            "2000",
            "--holdout",
            "0.96",
        ])
        .arg("--report")
        .arg(dir.path().join("report"))
        .output()
        .unwrap();
    let stderr = String::from_utf8_lossy(&run.stderr);
    assert_eq!(run.status.code(), Some(0), "{stderr}");
    let text = std::fs::read_to_string(&out).unwrap();
    let line = text
        .lines()
        .find(|l| l.starts_with("system_prompt = "))
        .expect("a system prompt");
    assert!(
        line.starts_with("system_prompt = { gamma = ") && line.ends_with(", max = 100000000 }"),
        "{line}"
    );
    assert!(
        text.contains("#   capped: max = 100000000 tokens, one draw's limit in a scenario; the fitted gamma's far tail passes it"),
        "{text}"
    );
    Scenario::from_text("fitted.toml", "fitted", text.clone()).expect("the written fit loads");
    let uncapped = text.replace(", max = 100000000 }", " }");
    let err = Scenario::from_text("uncapped.toml", "uncapped", uncapped)
        .expect_err("the uncapped fit passes the limit")
        .to_string();
    assert!(
        err.contains("expected at most 100000000 tokens per draw"),
        "{err}"
    );
}
