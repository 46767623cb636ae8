//! `tokencast diff`: two files on common random numbers. A price change moves every trial by
//! an exact, known amount, so the paired figures are checked exactly (zero-variance task,
//! a price doubling, a deterministic organisation's discount); the parameters that changed;
//! the markdown for a pull request; bad input.

use std::path::Path;

use assert_cmd::Command;
use predicates::prelude::*;
use serde_json::Value;

fn tokencast() -> Command {
    Command::cargo_bin("tokencast").expect("the binary is built")
}

fn diff_json(base: &str, head: &str, extra: &[&str]) -> Value {
    let out = tokencast()
        .args(["diff", base, head, "--format", "json"])
        .args(extra)
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    serde_json::from_slice(&out.stdout).unwrap()
}

fn write(dir: &Path, name: &str, text: &str) -> String {
    let path = dir.join(name);
    std::fs::write(&path, text).unwrap();
    path.display().to_string()
}

fn stat<'a>(report: &'a Value, quantity: usize, name: &str) -> &'a Value {
    report["quantities"][quantity]["statistics"]
        .as_array()
        .unwrap()
        .iter()
        .find(|s| s["statistic"] == name)
        .unwrap()
}

#[test]
fn a_zero_variance_task_changes_by_exactly_the_price_change() {
    let dir = tempfile::tempdir().unwrap();
    let text = std::fs::read_to_string("tests/forecasts/constant-task.toml").unwrap();
    let base = write(dir.path(), "base.toml", &text);
    // Output at $30/M instead of $15/M: 500 tokens cost $0.0075 more in every task.
    let head = write(
        dir.path(),
        "head.toml",
        &text.replace("output = 15.0", "output = 30.0"),
    );
    let r = diff_json(&base, &head, &["-n", "4000"]);
    for name in ["mean", "p50", "p90", "p99"] {
        let s = stat(&r, 0, name);
        assert!(
            (s["change"]["value"].as_f64().unwrap() - 0.0075).abs() < 1e-12,
            "{s}"
        );
        assert!(s["change"]["se"].as_f64().unwrap().abs() < 1e-12, "{s}");
    }
    assert_eq!(r["quantities"][0]["share_head_costs_more"], 1.0);
    assert_eq!(r["changes"][0]["path"], "models.m.output");
    assert_eq!(r["changes"][0]["base"], "15.0");
    assert_eq!(r["changes"][0]["head"], "30.0");
}

#[test]
fn doubling_every_price_doubles_every_figure_trial_by_trial() {
    let dir = tempfile::tempdir().unwrap();
    let text = std::fs::read_to_string("scenarios/reference-coding-task.toml").unwrap();
    let mut doubled = String::new();
    for line in text.lines() {
        // The [models.sonnet] price lines: `input = 3.00`, `output = 15.00`, ...
        let price = line.split_once(" = ").filter(|(k, v)| {
            [
                "input",
                "output",
                "cache_write",
                "cache_write_1h",
                "cache_read",
            ]
            .contains(&k.trim())
                && v.trim().parse::<f64>().is_ok()
        });
        match price {
            Some((k, v)) => doubled.push_str(&format!(
                "{k} = {}\n",
                2.0 * v.trim().parse::<f64>().unwrap()
            )),
            None => {
                doubled.push_str(line);
                doubled.push('\n');
            }
        }
    }
    let head = write(dir.path(), "doubled.toml", &doubled);
    let r = diff_json(
        "scenarios/reference-coding-task.toml",
        &head,
        &["-n", "5000"],
    );
    for name in ["mean", "p50", "p90", "p99"] {
        let s = stat(&r, 0, name);
        let (b, h) = (
            s["base"]["value"].as_f64().unwrap(),
            s["head"]["value"].as_f64().unwrap(),
        );
        assert!((h - 2.0 * b).abs() < 1e-12 * b, "{s}");
        assert!(
            (s["relative_change"].as_f64().unwrap() - 1.0).abs() < 1e-9,
            "{s}"
        );
    }
    // The mean change equals the base mean, with the base's SE (the change is the base).
    let m = stat(&r, 0, "mean");
    assert!(
        (m["change"]["se"].as_f64().unwrap() - m["base"]["se"].as_f64().unwrap()).abs() < 1e-12
    );
}

#[test]
fn a_deterministic_organisations_discount_change_is_exact() {
    let dir = tempfile::tempdir().unwrap();
    std::fs::copy(
        "tests/forecasts/constant-task.toml",
        dir.path().join("constant-task.toml"),
    )
    .unwrap();
    let org = |discount: f64| {
        format!(
            r#"
[forecast]
start = "2027-01"
months = 3
[seats]
table = [ {{ month = 1, seats = 10 }}, {{ month = 3, seats = 30 }} ]
[usage]
active_share = 0.5
tasks_per_day = 2
counts = "fixed"
[calendar]
working_days = 20
[[tasks]]
name = "a"
scenario = "constant-task.toml"
weight = 1
[billing]
discount = {discount}
"#
        )
    };
    let base = write(dir.path(), "base.toml", &org(0.25));
    let head = write(dir.path(), "head.toml", &org(0.5));
    let r = diff_json(&base, &head, &["-n", "200"]);
    // 200 + 400 + 600 tasks at $0.0105: $12.60 list; 75% of it against 50%: −$3.15.
    let m = stat(&r, 0, "mean");
    assert!(
        (m["base"]["value"].as_f64().unwrap() - 9.45).abs() < 1e-9,
        "{m}"
    );
    assert!(
        (m["change"]["value"].as_f64().unwrap() + 3.15).abs() < 1e-9,
        "{m}"
    );
    assert_eq!(r["changes"][0]["path"], "billing.discount");
    assert_eq!(r["kind"], "forecast");
}

#[test]
fn the_markdown_summary_is_written_for_a_pull_request() {
    let dir = tempfile::tempdir().unwrap();
    let text = std::fs::read_to_string("tests/forecasts/constant-task.toml").unwrap();
    let base = write(dir.path(), "base.toml", &text);
    let head = write(
        dir.path(),
        "head.toml",
        &text.replace("input = 3.0", "input = 6.0"),
    );
    let md = dir.path().join("comment.md");
    tokencast()
        .args(["diff", &base, &head, "-n", "500", "--markdown"])
        .arg(&md)
        .assert()
        .success()
        .stdout(predicate::str::contains("models.m.input: 3.0 → 6.0"));
    let comment = std::fs::read_to_string(&md).unwrap();
    assert!(comment.starts_with("### tokencast diff:"));
    assert!(
        comment.contains("| mean | $0.0105 ± 0 | $0.0135 ± 0 | +$0.0030 ± 0 (+28.6%) |"),
        "{comment}"
    );
    assert!(comment.contains("| `models.m.input` | 3.0 | 6.0 |"));
}

#[test]
fn files_of_different_kinds_are_bad_input() {
    tokencast()
        .args([
            "diff",
            "scenarios/reference-coding-task.toml",
            "scenarios/org-forecast.toml",
        ])
        .assert()
        .code(2)
        .stderr(predicate::str::contains(
            "diff compares two files of the same kind",
        ));
}

#[test]
fn a_diff_does_not_depend_on_threads() {
    let a = diff_json(
        "scenarios/reference-coding-task.toml",
        "scenarios/mechanisms/compaction.toml",
        &["-n", "3000", "-t", "1"],
    );
    let b = diff_json(
        "scenarios/reference-coding-task.toml",
        "scenarios/mechanisms/compaction.toml",
        &["-n", "3000", "-t", "3"],
    );
    assert_eq!(a, b);
}
