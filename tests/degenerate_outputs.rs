//! Degenerate data still gives every output (issue 20, items 2 and 10): a task with no cost
//! spread, a run of one trial and a sweep of one value per parameter write all their files, and
//! their charts draw what there is (a line at probability 1 with a note, a dot) instead of
//! failing for want of two points.

use std::fs;
use std::path::{Path, PathBuf};

use assert_cmd::Command;

fn tokencast() -> Command {
    let mut cmd = Command::cargo_bin("tokencast").expect("the binary is built");
    cmd.current_dir(env!("CARGO_MANIFEST_DIR"));
    cmd
}

fn manifest_files(dir: &Path) -> Vec<String> {
    let m: serde_json::Value =
        serde_json::from_str(&fs::read_to_string(dir.join("manifest.json")).unwrap()).unwrap();
    m["files"]
        .as_array()
        .unwrap()
        .iter()
        .map(|f| f.as_str().unwrap().to_string())
        .collect()
}

const RUN_CHARTS: [&str; 4] = [
    "cost_histogram",
    "cost_exceedance",
    "cost_breakdown",
    "cost_convergence",
];

fn run_writes_every_output(scenario: &str, trials: &str) -> PathBuf {
    let tmp = tempfile::tempdir().unwrap().keep();
    tokencast()
        .args([
            "run",
            scenario,
            "--trials",
            trials,
            "--per-trial",
            "--quiet",
            "--out",
        ])
        .arg(&tmp)
        .assert()
        .success();
    let files = manifest_files(&tmp);
    for stem in RUN_CHARTS {
        for ext in ["png", "svg"] {
            let name = format!("{stem}.{ext}");
            assert!(files.contains(&name), "{name} missing from {files:?}");
            assert!(tmp.join(&name).is_file(), "{name}");
        }
    }
    for f in ["summary.json", "trials.csv", "report.html", "manifest.json"] {
        assert!(tmp.join(f).is_file(), "{f}");
    }
    tmp
}

#[test]
fn a_task_with_no_cost_spread_writes_every_output() {
    let dir = run_writes_every_output("tests/forecasts/constant-task.toml", "500");
    let svg = fs::read_to_string(dir.join("cost_exceedance.svg")).unwrap();
    assert!(
        svg.contains("every trial cost $0.0105"),
        "the chart says why it is flat"
    );
    let summary: serde_json::Value =
        serde_json::from_str(&fs::read_to_string(dir.join("summary.json")).unwrap()).unwrap();
    let cost = &summary["metrics"]["cost_usd"];
    assert_eq!(cost["min"], cost["max"]);
    fs::remove_dir_all(dir).unwrap();
}

#[test]
fn a_run_of_one_trial_writes_every_output() {
    let dir = run_writes_every_output("scenarios/reference-coding-task.toml", "1");
    let svg = fs::read_to_string(dir.join("cost_exceedance.svg")).unwrap();
    assert!(svg.contains("a single trial, which cost $"), "{svg:.300}");
    let convergence = fs::read_to_string(dir.join("cost_convergence.svg")).unwrap();
    assert!(
        convergence.contains("<circle"),
        "one checkpoint is drawn as a dot"
    );
    let rows = fs::read_to_string(dir.join("trials.csv"))
        .unwrap()
        .lines()
        .count();
    assert_eq!(rows, 2, "a header and one trial");
    fs::remove_dir_all(dir).unwrap();
}

#[test]
fn a_sweep_of_one_value_per_param_writes_its_chart() {
    let tmp = tempfile::tempdir().unwrap();
    for params in [
        vec!["usage.active_share=0.5"],
        vec!["usage.active_share=0.5", "usage.dispersion=2"],
    ] {
        let mut cmd = tokencast();
        cmd.args(["sweep", "scenarios/org-forecast.toml", "-n", "20", "--out"])
            .arg(tmp.path());
        for p in &params {
            cmd.args(["--param", p]);
        }
        cmd.assert().success();
        let files = manifest_files(tmp.path());
        for f in ["sweep.csv", "sweep.png", "sweep.svg"] {
            assert!(files.iter().any(|x| x == f), "{f} missing from {files:?}");
        }
        let csv = fs::read_to_string(tmp.path().join("sweep.csv")).unwrap();
        assert_eq!(csv.lines().count(), 2, "a header and one point: {csv}");
        let svg = fs::read_to_string(tmp.path().join("sweep.svg")).unwrap();
        assert!(svg.contains("<circle"), "the single point is drawn");
    }
}

#[test]
fn a_compare_of_one_period_draws_each_bill_as_a_dot() {
    let tmp = tempfile::tempdir().unwrap();
    tokencast()
        .args([
            "compare",
            "scenarios/pricing-comparison.toml",
            "-n",
            "1",
            "--no-sweep",
            "--out",
        ])
        .arg(tmp.path())
        .assert()
        .success();
    let files = manifest_files(tmp.path());
    assert!(files.iter().any(|f| f == "compare_cdf.svg"), "{files:?}");
    let svg = fs::read_to_string(tmp.path().join("compare_cdf.svg")).unwrap();
    assert!(svg.contains("<circle"), "one period's bill is a dot");
}
