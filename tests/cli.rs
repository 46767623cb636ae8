//! The command line, end to end: the files `run` writes and their documented shape, determinism
//! across thread counts, `--format json`, `--per-trial`, atomic replacement of outputs, exit codes
//! and help.

use std::fs;
use std::path::{Path, PathBuf};

use assert_cmd::Command;
use predicates::prelude::*;
use serde_json::Value;
use sha2::{Digest, Sha256};

const REFERENCE: &str = "scenarios/reference-coding-task.toml";

/// Keys every metric carries in summary.json.
const STAT_KEYS: &[&str] = &[
    "mean", "se", "sd", "min", "p5", "p25", "p50", "p75", "p90", "p95", "p99", "max",
];

/// Metrics summary.json must report.
const METRICS: &[&str] = &[
    "cost_usd",
    "calls",
    "input_tokens",
    "output_tokens",
    "cache_read_tokens",
    "cache_write_tokens",
];

fn tokencast() -> Command {
    let mut cmd = Command::cargo_bin("tokencast").expect("the binary is built");
    cmd.current_dir(env!("CARGO_MANIFEST_DIR"));
    cmd
}

fn reference_path() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join(REFERENCE)
}

/// Runs the reference scenario quietly into `out` with extra arguments; returns stdout.
fn run_reference(out: &Path, extra: &[&str]) -> Vec<u8> {
    let output = tokencast()
        .args(["run", REFERENCE, "--quiet", "--out"])
        .arg(out)
        .args(extra)
        .output()
        .expect("the binary runs");
    assert!(
        output.status.success(),
        "run failed with {:?}: {}",
        output.status.code(),
        String::from_utf8_lossy(&output.stderr)
    );
    output.stdout
}

fn read_json(path: &Path) -> Value {
    let text =
        fs::read_to_string(path).unwrap_or_else(|e| panic!("cannot read {}: {e}", path.display()));
    serde_json::from_str(&text).unwrap_or_else(|e| panic!("{} is not JSON: {e}", path.display()))
}

fn num(v: &Value, what: &str) -> f64 {
    v.as_f64()
        .unwrap_or_else(|| panic!("{what}: expected a number, found {v}"))
}

/// Checks that `stats` has every statistic, finite and in order (min <= P5 <= ... <= max).
fn check_stats(stats: &Value, what: &str) {
    for key in STAT_KEYS {
        let v = num(&stats[key], &format!("{what}.{key}"));
        assert!(v.is_finite(), "{what}.{key} = {v}");
    }
    let ordered: Vec<f64> = ["min", "p5", "p25", "p50", "p75", "p90", "p95", "p99", "max"]
        .iter()
        .map(|k| num(&stats[k], what))
        .collect();
    assert!(
        ordered.windows(2).all(|w| w[0] <= w[1]),
        "{what}: quantiles out of order: {ordered:?}"
    );
    let (min, mean, max) = (ordered[0], num(&stats["mean"], what), ordered[8]);
    assert!(
        min <= mean && mean <= max,
        "{what}: mean {mean} outside [{min}, {max}]"
    );
    assert!(num(&stats["se"], what) >= 0.0 && num(&stats["sd"], what) >= 0.0);
}

#[test]
fn run_writes_a_summary_and_a_manifest_of_the_documented_shape() {
    let tmp = tempfile::tempdir().unwrap();
    let out = tmp.path().join("out");
    run_reference(&out, &["--trials", "20000", "--threads", "2"]);

    let summary = read_json(&out.join("summary.json"));
    assert_eq!(summary["scenario"], "reference-coding-task");
    assert_eq!(summary["trials"], 20000);
    assert_eq!(summary["seed"], 1, "the scenario's seed is the default");
    let rate = num(&summary["success_rate"]["mean"], "success_rate.mean");
    assert!((0.0..=1.0).contains(&rate), "success rate {rate}");
    // The reference loop fails with probability 0.6^6 = 0.047: a rate of 1 or 0 would be a bug.
    assert!(rate > 0.9 && rate < 0.99, "success rate {rate}");
    assert!(num(&summary["success_rate"]["se"], "success_rate.se") > 0.0);
    for metric in METRICS {
        check_stats(&summary["metrics"][metric], &format!("metrics.{metric}"));
    }
    assert!(num(&summary["metrics"]["cost_usd"]["mean"], "cost") > 0.0);
    let sonnet = &summary["by_model"]["sonnet"];
    assert!(sonnet.is_object(), "by_model.sonnet: {sonnet}");
    check_stats(&sonnet["cost_usd"], "by_model.sonnet.cost_usd");
    let phases = summary["by_phase"]
        .as_object()
        .expect("by_phase is an object");
    let names: Vec<&str> = phases.keys().map(String::as_str).collect();
    for phase in ["explore", "fix", "finish"] {
        assert!(names.contains(&phase), "by_phase lacks {phase}: {names:?}");
        check_stats(&phases[phase]["cost_usd"], &format!("by_phase.{phase}"));
    }

    let manifest = read_json(&out.join("manifest.json"));
    let text = fs::read_to_string(reference_path()).unwrap();
    assert_eq!(manifest["version"], env!("CARGO_PKG_VERSION"));
    let sha = manifest["scenario_sha256"]
        .as_str()
        .expect("scenario_sha256 is a string");
    assert_eq!(sha.len(), 64, "{sha}");
    assert!(
        sha.chars()
            .all(|c| c.is_ascii_digit() || ('a'..='f').contains(&c)),
        "{sha}"
    );
    let expected_sha: String = Sha256::digest(text.as_bytes())
        .iter()
        .map(|b| format!("{b:02x}"))
        .collect();
    assert_eq!(sha, expected_sha);
    assert_eq!(manifest["scenario_text"].as_str(), Some(text.as_str()));
    assert_eq!(manifest["seed"], 1);
    assert_eq!(manifest["trials"], 20000);
    assert_eq!(manifest["threads"], 2);
    let started = manifest["started_at"]
        .as_str()
        .expect("started_at is a string");
    // YYYY-MM-DDTHH:MM:SSZ
    assert_eq!(started.len(), 20, "{started}");
    assert!(
        started.ends_with('Z') && &started[10..11] == "T",
        "{started}"
    );
    let wall = num(&manifest["wall_time_seconds"], "wall_time_seconds");
    assert!(wall.is_finite() && wall >= 0.0, "{wall}");
}

#[test]
fn format_json_prints_exactly_summary_json() {
    let tmp = tempfile::tempdir().unwrap();
    let out = tmp.path().join("out");
    let stdout = run_reference(&out, &["--trials", "3000", "--format", "json"]);
    let file = fs::read(out.join("summary.json")).unwrap();
    assert!(!file.is_empty());
    assert_eq!(
        String::from_utf8_lossy(&stdout),
        String::from_utf8_lossy(&file)
    );
}

#[test]
fn per_trial_writes_one_row_per_trial_in_order() {
    const N: usize = 5000;
    let tmp = tempfile::tempdir().unwrap();
    let out = tmp.path().join("out");
    run_reference(&out, &["--trials", &N.to_string(), "--per-trial"]);

    let mut reader = csv::Reader::from_path(out.join("trials.csv")).expect("trials.csv exists");
    let header = reader.headers().unwrap().clone();
    let col = |name: &str| {
        header
            .iter()
            .position(|h| h == name)
            .unwrap_or_else(|| panic!("trials.csv lacks a {name} column: {header:?}"))
    };
    let (trial_col, cost_col) = (col("trial"), col("cost_usd"));
    let mut rows = 0usize;
    let mut total = 0.0;
    for (i, record) in reader.records().enumerate() {
        let record = record.expect("a well-formed row");
        assert_eq!(record.len(), header.len(), "row {i}");
        assert_eq!(record[trial_col].parse::<usize>().unwrap(), i, "row {i}");
        let cost: f64 = record[cost_col].parse().unwrap();
        assert!(cost.is_finite() && cost > 0.0, "row {i}: cost {cost}");
        total += cost;
        rows += 1;
    }
    assert_eq!(rows, N);

    let summary = read_json(&out.join("summary.json"));
    let mean = num(&summary["metrics"]["cost_usd"]["mean"], "cost mean");
    let csv_mean = total / N as f64;
    assert!(
        ((csv_mean - mean) / mean).abs() < 1e-9,
        "trials.csv mean {csv_mean} vs summary.json {mean}"
    );
    let manifest = read_json(&out.join("manifest.json"));
    let files = manifest["files"].as_array().expect("files is an array");
    assert!(files.iter().any(|f| f == "trials.csv"), "{files:?}");
}

#[test]
fn results_do_not_depend_on_threads_but_on_the_seed() {
    let tmp = tempfile::tempdir().unwrap();
    // Enough trials for many chunks, so two threads really split the work.
    let run = |name: &str, extra: &[&str]| {
        let out = tmp.path().join(name);
        let mut args = vec!["--trials", "30000"];
        args.extend_from_slice(extra);
        run_reference(&out, &args);
        fs::read(out.join("summary.json")).unwrap()
    };
    let one = run("one", &["--threads", "1"]);
    let two = run("two", &["--threads", "2"]);
    let reseeded = run("reseeded", &["--threads", "2", "--seed", "2"]);
    assert!(
        one == two,
        "summary.json differs between 1 and 2 threads:\n{}\n---\n{}",
        String::from_utf8_lossy(&one),
        String::from_utf8_lossy(&two)
    );
    assert_ne!(one, reseeded, "another seed gave the same summary");
}

#[test]
fn a_missing_scenario_exits_2_naming_the_path() {
    let tmp = tempfile::tempdir().unwrap();
    let missing = tmp.path().join("no-such-scenario.toml");
    for command in ["run", "validate"] {
        let mut cmd = tokencast();
        cmd.arg(command).arg(&missing);
        if command == "run" {
            cmd.arg("--out").arg(tmp.path().join("out"));
        }
        cmd.assert()
            .code(2)
            .stdout(predicate::str::is_empty())
            .stderr(predicate::str::contains(missing.display().to_string()))
            .stderr(predicate::str::contains("panicked").not());
    }
    assert!(!tmp.path().join("out").exists());
}

#[test]
fn zero_trials_on_the_command_line_is_refused() {
    let tmp = tempfile::tempdir().unwrap();
    tokencast()
        .args(["run", REFERENCE, "--trials", "0", "--out"])
        .arg(tmp.path().join("out"))
        .assert()
        .code(2)
        .stdout(predicate::str::is_empty())
        .stderr(predicate::str::contains("--trials"));
    assert!(!tmp.path().join("out").exists());
}

#[test]
fn validate_explains_the_reference_scenario() {
    tokencast()
        .args(["validate", REFERENCE])
        .assert()
        .success()
        .stdout(predicate::str::contains("explore"))
        .stdout(predicate::str::contains("fix"))
        .stdout(predicate::str::contains("finish"))
        .stdout(predicate::str::contains("sonnet"))
        .stdout(predicate::str::contains("ok"))
        .stderr(predicate::str::is_empty());
}

#[test]
fn help_shows_examples() {
    for args in [&["--help"][..], &["run", "--help"][..]] {
        tokencast()
            .args(args)
            .assert()
            .success()
            .stdout(predicate::str::contains("Examples:"))
            .stdout(predicate::str::contains(
                "tokencast run scenarios/reference-coding-task.toml",
            ))
            .stdout(predicate::str::contains("tokencast validate"));
    }
}

/// Every `--help` points to the user guide, and every guide page it names exists.
#[test]
fn help_points_to_the_user_guide_pages_that_exist() {
    let root = Path::new(env!("CARGO_MANIFEST_DIR"));
    let verbs = [
        "run",
        "validate",
        "prices",
        "forecast",
        "sweep",
        "calibrate",
        "compare",
        "check",
        "diff",
        "merge",
    ];
    let mut helps = vec![vec!["--help"]];
    helps.extend(verbs.iter().map(|v| vec![*v, "--help"]));
    for args in helps {
        let out = tokencast().args(&args).output().unwrap();
        assert!(out.status.success(), "{args:?}");
        let text = String::from_utf8(out.stdout).unwrap();
        let pages: Vec<&str> = text
            .split(|c: char| c.is_whitespace() || matches!(c, '(' | ')' | ','))
            .filter(|w| w.starts_with("docs/guide/"))
            .map(|w| w.trim_end_matches(['.', ':', ';']))
            .collect();
        assert!(
            !pages.is_empty(),
            "{args:?} --help names no guide page:\n{text}"
        );
        for page in pages {
            assert!(root.join(page).is_file(), "{args:?}: {page} does not exist");
        }
    }
}

#[test]
fn a_second_run_replaces_the_summary_and_leaves_no_temporary_files() {
    let tmp = tempfile::tempdir().unwrap();
    let out = tmp.path().join("out");
    fs::create_dir_all(&out).unwrap();
    fs::write(out.join("summary.json"), "stale, not JSON").unwrap();
    run_reference(&out, &["--trials", "2000", "--per-trial"]);
    let summary = read_json(&out.join("summary.json"));
    assert_eq!(summary["trials"], 2000);

    run_reference(&out, &["--trials", "1000", "--per-trial"]);
    assert_eq!(read_json(&out.join("summary.json"))["trials"], 1000);
    let rows = fs::read_to_string(out.join("trials.csv"))
        .unwrap()
        .lines()
        .count();
    assert_eq!(rows, 1 + 1000, "trials.csv is replaced too");
    let mut names: Vec<String> = fs::read_dir(&out)
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .collect();
    names.sort();
    let leftovers: Vec<&String> = names
        .iter()
        .filter(|n| (n.starts_with('.') && *n != ".lock") || n.ends_with(".tmp"))
        .collect();
    assert!(leftovers.is_empty(), "temporary files left: {leftovers:?}");
    assert_eq!(
        names,
        [
            ".lock",
            "cost_breakdown.png",
            "cost_breakdown.svg",
            "cost_convergence.png",
            "cost_convergence.svg",
            "cost_exceedance.png",
            "cost_exceedance.svg",
            "cost_histogram.png",
            "cost_histogram.svg",
            "manifest.json",
            "report.html",
            "summary.json",
            "trials.csv"
        ]
    );

    // A run without --per-trial removes the earlier trials.csv, which would not match it.
    run_reference(&out, &["--trials", "500", "--no-charts"]);
    assert!(
        !out.join("trials.csv").exists(),
        "a stale trials.csv is removed"
    );
    let manifest = read_json(&out.join("manifest.json"));
    assert_eq!(
        manifest["files"],
        serde_json::json!(["summary.json", "manifest.json", "report.html"])
    );
}

#[test]
fn an_output_path_that_is_a_file_is_bad_input() {
    let tmp = tempfile::tempdir().unwrap();
    let file = tmp.path().join("not-a-dir");
    fs::write(&file, "x").unwrap();
    tokencast()
        .args(["run", REFERENCE, "--trials", "100", "--quiet", "--out"])
        .arg(&file)
        .assert()
        .code(2)
        .stdout(predicate::str::is_empty())
        .stderr(predicate::str::contains(file.display().to_string()))
        .stderr(predicate::str::contains("expected a directory"))
        .stderr(predicate::str::contains("panicked").not());
    assert_eq!(
        fs::read_to_string(&file).unwrap(),
        "x",
        "the file is untouched"
    );
}

mod calibrate_cli {
    use assert_cmd::Command;
    use predicates::prelude::*;
    use tokencast::calibrate::synth;
    use tokencast::scenario::Scenario;

    fn tokencast() -> Command {
        Command::cargo_bin("tokencast").unwrap()
    }

    #[test]
    fn calibrate_writes_a_scenario_that_runs() {
        let dir = tempfile::tempdir().unwrap();
        let truth = Scenario::load("examples/calibrate/truth.toml".as_ref()).unwrap();
        let calls = synth::synthetic_calls(&truth, 300, 4);
        let log = dir.path().join("s.jsonl");
        std::fs::write(&log, synth::claude_code_jsonl(&calls) + "garbage\n").unwrap();
        let out = dir.path().join("ours.toml");
        let report = dir.path().join("report");
        tokencast()
            .args([
                "calibrate",
                log.to_str().unwrap(),
                "-o",
                out.to_str().unwrap(),
            ])
            .args(["--report", report.to_str().unwrap(), "--trials", "2000"])
            .args(["--price", "sonnet=3,15,3.75,0.3"])
            .assert()
            .success()
            .stdout(predicate::str::contains("back-test"))
            .stdout(predicate::str::contains("1 malformed (skipped)"))
            .stderr(predicate::str::contains(format!(
                "s.jsonl:{}: invalid JSON",
                calls.len() * 2 + calls.len().div_ceil(3) + 1
            )));
        for f in ["qq.svg", "qq.png", "backtest_cdf.svg", "backtest_cdf.png"] {
            assert!(report.join(f).exists(), "{f}");
        }
        let json: serde_json::Value = serde_json::from_str(
            &std::fs::read_to_string(report.join("calibration.json")).unwrap(),
        )
        .unwrap();
        assert_eq!(json["import"]["malformed"].as_array().unwrap().len(), 1);
        assert!(json["backtest"]["ks_distance"].as_f64().unwrap() >= 0.0);
        tokencast()
            .args(["run", out.to_str().unwrap(), "-n", "1000", "--out"])
            .arg(dir.path().join("run"))
            .assert()
            .success();
    }

    #[test]
    fn calibrate_prices_claude_code_models_from_the_catalog() {
        let dir = tempfile::tempdir().unwrap();
        let truth = Scenario::load("examples/calibrate/truth.toml".as_ref()).unwrap();
        let text = synth::claude_code_jsonl(&synth::synthetic_calls(&truth, 60, 4)).replace(
            "\"model\":\"sonnet\"",
            "\"model\":\"claude-sonnet-4-5-20250929\"",
        );
        let log = dir.path().join("s.jsonl");
        std::fs::write(&log, text).unwrap();
        let out = dir.path().join("ours.toml");
        tokencast()
            .args([
                "calibrate",
                log.to_str().unwrap(),
                "-o",
                out.to_str().unwrap(),
            ])
            .args([
                "--report",
                dir.path().join("r").to_str().unwrap(),
                "--trials",
                "1000",
            ])
            .assert()
            .success();
        let scenario = std::fs::read_to_string(&out).unwrap();
        assert!(
            scenario.contains("catalog entry `claude-sonnet-4-5`"),
            "{scenario}"
        );
        let s = Scenario::from_text("o", "o", scenario).unwrap();
        let p = &s.prices[0];
        assert_eq!(
            (p.per_mtok[0], p.per_mtok[4]),
            (3.0, 15.0),
            "{:?}",
            p.per_mtok
        );
    }

    #[test]
    fn calibrate_rejects_bad_arguments_with_exit_2() {
        let dir = tempfile::tempdir().unwrap();
        let truth = Scenario::load("examples/calibrate/truth.toml".as_ref()).unwrap();
        let log = dir.path().join("s.jsonl");
        std::fs::write(
            &log,
            synth::claude_code_jsonl(&synth::synthetic_calls(&truth, 20, 4)),
        )
        .unwrap();
        let out = dir.path().join("o.toml");
        let run = |extra: &[&str]| {
            tokencast()
                .args([
                    "calibrate",
                    log.to_str().unwrap(),
                    "-o",
                    out.to_str().unwrap(),
                ])
                .args(extra)
                .assert()
                .code(2)
        };
        run(&[]).stderr(predicate::str::contains("no prices for sonnet"));
        run(&["--holdout", "1.5"]).stderr(predicate::str::contains("--holdout"));
        run(&["--columns", "tsk=x"]).stderr(predicate::str::contains("did you mean `task`"));
        run(&["--price", "sonnet=1,2"]).stderr(predicate::str::contains("--price"));
        tokencast()
            .args([
                "calibrate",
                "no/such/file.jsonl",
                "-o",
                out.to_str().unwrap(),
            ])
            .assert()
            .code(2)
            .stderr(predicate::str::contains("no/such/file.jsonl"));
        assert!(!out.exists());
    }
}
