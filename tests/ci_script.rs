//! The pull-request script behind the GitHub action and the GitLab example
//! (`ci/tokencast-pr.sh`), run for real in a throw-away git repository: a change to a scenario
//! gets its cost diff and its gates in the markdown report; a failing gate exits 3; a file
//! that no longer loads exits 3 with its error; an unchanged tree says so.

use std::path::Path;
use std::process::Command;

const SCRIPT: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/ci/tokencast-pr.sh");

fn git(dir: &Path, args: &[&str]) {
    let out = Command::new("git")
        .args([
            "-c",
            "user.name=t",
            "-c",
            "user.email=t@t",
            "-c",
            "commit.gpgsign=false",
        ])
        .args(args)
        .current_dir(dir)
        .output()
        .expect("git runs");
    assert!(
        out.status.success(),
        "git {args:?}: {}",
        String::from_utf8_lossy(&out.stderr)
    );
}

/// A repository with one commit holding `scenarios/task.toml` (the constant task with `gates`).
fn repo(gates: &str) -> tempfile::TempDir {
    let dir = tempfile::tempdir().unwrap();
    std::fs::create_dir(dir.path().join("scenarios")).unwrap();
    let text = std::fs::read_to_string("tests/forecasts/constant-task.toml").unwrap();
    std::fs::write(
        dir.path().join("scenarios/task.toml"),
        format!("{text}\n{gates}"),
    )
    .unwrap();
    git(dir.path(), &["init", "-q", "-b", "main"]);
    git(dir.path(), &["add", "."]);
    git(dir.path(), &["commit", "-q", "-m", "base"]);
    dir
}

fn change(dir: &Path, from: &str, to: &str) {
    let path = dir.join("scenarios/task.toml");
    let text = std::fs::read_to_string(&path).unwrap();
    std::fs::write(&path, text.replace(from, to)).unwrap();
    git(dir, &["commit", "-q", "-am", "head"]);
}

/// Runs the script against the first commit; returns (exit code, report).
fn run_script(dir: &Path) -> (i32, String) {
    let out = Command::new("bash")
        .arg(SCRIPT)
        .arg("HEAD~1")
        .current_dir(dir)
        .env("TOKENCAST", env!("CARGO_BIN_EXE_tokencast"))
        .env("TOKENCAST_TRIALS", "500")
        .output()
        .expect("the script runs");
    let report = std::fs::read_to_string(dir.join("tokencast-report.md")).unwrap_or_default();
    (out.status.code().unwrap_or(-1), report)
}

#[test]
fn a_price_change_gets_its_diff_and_its_gates() {
    let dir = repo("[gates]\nrequire = [\"mean(cost_usd) <= 0.02\"]\n");
    change(dir.path(), "output = 15.0", "output = 30.0");
    let (code, report) = run_script(dir.path());
    assert_eq!(code, 0, "{report}");
    assert!(report.contains("### tokencast diff:"), "{report}");
    assert!(
        report.contains("| mean | $0.0105 ± 0 | $0.0180 ± 0 | +$0.0075 ± 0 (+71.4%) |"),
        "{report}"
    );
    assert!(
        report.contains("| `models.m.output` | 15.0 | 30.0 |"),
        "{report}"
    );
    assert!(report.contains("PASS: every gate holds"), "{report}");
}

#[test]
fn a_failing_gate_exits_3() {
    let dir = repo("[gates]\nrequire = [\"mean(cost_usd) <= 0.015\"]\n");
    change(dir.path(), "output = 15.0", "output = 30.0");
    let (code, report) = run_script(dir.path());
    assert_eq!(code, 3, "{report}");
    assert!(report.contains("FAIL: not every gate holds"), "{report}");
}

#[test]
fn a_file_that_no_longer_loads_exits_3_with_its_error() {
    let dir = repo("");
    change(dir.path(), "output = 15.0", "output = -1.0");
    let (code, report) = run_script(dir.path());
    assert_eq!(code, 3, "{report}");
    assert!(report.contains("does not load"), "{report}");
    assert!(report.contains("scenarios/task.toml:"), "{report}");
}

#[test]
fn no_changed_scenario_says_so() {
    let dir = repo("");
    std::fs::write(dir.path().join("notes.txt"), "x").unwrap();
    git(dir.path(), &["add", "."]);
    git(dir.path(), &["commit", "-q", "-m", "notes"]);
    let (code, report) = run_script(dir.path());
    assert_eq!(code, 0);
    assert!(
        report.contains("No scenario or forecast file changed"),
        "{report}"
    );
}

#[test]
fn the_action_and_the_gitlab_example_run_the_tested_script() {
    let action = std::fs::read_to_string("action.yml").unwrap();
    assert!(action.contains("using: composite"));
    assert!(action.contains("ci/tokencast-pr.sh"));
    let gitlab = std::fs::read_to_string("examples/ci/gitlab-ci.yml").unwrap();
    assert!(gitlab.contains("ci/tokencast-pr.sh"));
    // Nothing but crates.io: both build with cargo from this repository.
    assert!(action.contains("cargo install --locked --path"));
    assert!(gitlab.contains("cargo install --locked --path ."));
}
