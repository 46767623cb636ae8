//! `tokencast check`: spend gates with their Monte Carlo uncertainty. Exit codes (0 every
//! gate holds, 3 one fails or stays undecided, 2 bad input), exact verdicts on zero-variance
//! task and deterministic organisation files, gates read from a `[gates]` table, and the
//! statistic each gate reports against the run's own summary.

use std::path::Path;

use assert_cmd::Command;
use predicates::prelude::*;
use serde_json::Value;

const REFERENCE: &str = "scenarios/reference-coding-task.toml";

fn tokencast() -> Command {
    Command::cargo_bin("tokencast").expect("the binary is built")
}

fn check(file: &str, gates: &[&str], extra: &[&str]) -> assert_cmd::assert::Assert {
    let mut cmd = tokencast();
    cmd.arg("check").arg(file);
    for g in gates {
        cmd.arg("--gate").arg(g);
    }
    cmd.args(extra).assert()
}

fn json(file: &str, gates: &[&str], extra: &[&str]) -> (Value, i32) {
    let out = check(file, gates, &[extra, &["--format", "json"]].concat());
    let output = out.get_output();
    let code = output.status.code().expect("exited");
    (
        serde_json::from_slice(&output.stdout).expect("check prints JSON"),
        code,
    )
}

/// The constant task (cost exactly $0.0105 per task) copied beside a file of our own.
fn constant_task(dir: &Path, gates: &str) -> String {
    let text = std::fs::read_to_string("tests/forecasts/constant-task.toml").unwrap();
    let path = dir.join("constant.toml");
    std::fs::write(&path, format!("{text}\n{gates}")).unwrap();
    path.display().to_string()
}

#[test]
fn gates_that_hold_exit_0_and_a_failing_gate_exits_3() {
    check(
        REFERENCE,
        &[
            "p95(cost_usd) <= 0.50",
            "mean(cost) < $0.30",
            "success_rate >= 90%",
        ],
        &["-n", "20000"],
    )
    .success()
    .stdout(predicate::str::contains("PASS: every gate holds"));
    check(REFERENCE, &["p95(cost_usd) <= 0.30"], &["-n", "20000"])
        .code(3)
        .stdout(predicate::str::contains("FAILS"))
        .stderr(predicate::str::contains("1 of 1 gate(s)"));
}

#[test]
fn the_value_is_the_runs_own_statistic_and_its_interval_covers_it() {
    let (report, code) = json(
        REFERENCE,
        &["p95(cost_usd) <= 0.50", "mean(cost_usd) <= 0.50"],
        &["-n", "20000"],
    );
    assert_eq!(code, 0);
    // The same trials through `run --format json`: the gate reads the summary's figures.
    let out = tokencast()
        .args([
            "run",
            REFERENCE,
            "-n",
            "20000",
            "--no-charts",
            "--format",
            "json",
            "-o",
        ])
        .arg(tempfile::tempdir().unwrap().path())
        .output()
        .unwrap();
    let summary: Value = serde_json::from_slice(&out.stdout).unwrap();
    let cost = &summary["metrics"]["cost_usd"];
    let gates = report["gates"].as_array().unwrap();
    assert_eq!(gates[0]["value"], cost["p95"]);
    assert_eq!(gates[1]["value"], cost["mean"]);
    for g in gates {
        let (lo, hi) = (
            g["interval"][0].as_f64().unwrap(),
            g["interval"][1].as_f64().unwrap(),
        );
        let v = g["value"].as_f64().unwrap();
        assert!(lo <= v && v <= hi, "{g}");
        assert_eq!(g["verdict"], "holds");
    }
    // The mean's interval is mean ± z SE with z for three looks (Bonferroni, 98.33% each).
    let (mean, se) = (cost["mean"].as_f64().unwrap(), cost["se"].as_f64().unwrap());
    let z = report["z"].as_f64().unwrap();
    assert!((z - 2.394).abs() < 1e-3, "{z}");
    let hi = gates[1]["interval"][1].as_f64().unwrap();
    assert!((hi - (mean + z * se)).abs() < 1e-12);
}

#[test]
fn an_unsettled_gate_runs_more_trials_then_says_undecided() {
    // P95 of the reference task is about $0.405: a threshold on it cannot be settled.
    let (report, code) = json(REFERENCE, &["p95(cost_usd) <= 0.4055"], &["-n", "2000"]);
    assert_eq!(code, 3);
    assert_eq!(report["gates"][0]["verdict"], "undecided");
    // Looks of 2,000, 8,000 and 32,000 trials; the last one is reported.
    assert_eq!(report["trials"], 32_000);
    assert_eq!(report["looks"], 3);
    // --undecided pass lets it through; --max-trials bounds the looks.
    let (report, code) = json(
        REFERENCE,
        &["p95(cost_usd) <= 0.4055"],
        &["-n", "2000", "--max-trials", "4000", "--undecided", "pass"],
    );
    assert_eq!(code, 0);
    assert_eq!(report["trials"], 4000);
    // A gate that fails outright stops the looks at once.
    let (report, code) = json(
        REFERENCE,
        &["p95(cost_usd) <= 0.4055", "mean(cost_usd) <= 0.1"],
        &["-n", "2000"],
    );
    assert_eq!(code, 3);
    assert_eq!(report["trials"], 2000);
}

#[test]
fn a_zero_variance_task_is_judged_exactly() {
    let dir = tempfile::tempdir().unwrap();
    let file = constant_task(dir.path(), "");
    // Every task costs $0.0105: mean and every percentile are exact, with zero-width intervals.
    let (report, code) = json(
        &file,
        &[
            "mean(cost_usd) <= 0.0105",
            "p99(cost_usd) <= 0.0105",
            "p50(cost_usd) >= 0.0105",
            "max(output_tokens) <= 500",
        ],
        &["-n", "3000"],
    );
    assert_eq!(code, 0, "{report}");
    for g in report["gates"].as_array().unwrap() {
        assert_eq!(g["verdict"], "holds", "{g}");
    }
    assert!((report["gates"][0]["value"].as_f64().unwrap() - 0.0105).abs() < 1e-15);
    assert_eq!(report["gates"][1]["value"].as_f64().unwrap(), 0.0105);
    // A threshold a hair below fails, settled at the first look.
    let (report, code) = json(&file, &["p99(cost_usd) < 0.0105"], &["-n", "3000"]);
    assert_eq!(code, 3);
    assert_eq!(report["gates"][0]["verdict"], "fails");
    assert_eq!(report["trials"], 3000);
}

/// A deterministic organisation: 10, 20, then 30 seats, half active, 2 tasks a working day of 20,
/// the constant task at $0.0105 less 25%: 200 tasks ($1.575) in month 1, 600 ($4.725) from
/// month 3.
fn fixed_org(dir: &Path, extra: &str) -> String {
    std::fs::copy(
        "tests/forecasts/constant-task.toml",
        dir.join("constant-task.toml"),
    )
    .unwrap();
    let text = format!(
        r#"
[forecast]
start = "2027-01"
months = 14
trials = 2000
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
discount = 0.25
[budget]
monthly = 4.0
annual = 50.0
{extra}
"#
    );
    let path = dir.join("org.toml");
    std::fs::write(&path, text).unwrap();
    path.display().to_string()
}

#[test]
fn a_deterministic_organisation_is_judged_exactly() {
    let dir = tempfile::tempdir().unwrap();
    let file = fixed_org(dir.path(), "");
    let (report, code) = json(
        &file,
        &[
            // Never over in January, always in March: Wilson's bounds at 2,000 trials are
            // within 0.3% of 0 and 1.
            "p_over_budget(2027-01) <= 1%",
            "p_over_budget(2027-03) >= 99%",
            "mean(2027-03) <= 4.725",
            "p90(2027-01) >= 1.57",
            // 2027: 1.575 + 3.15 + 10 × 4.725 = 51.975 > 50.
            "p_over_budget(2027) >= 99%",
            "mean(year1) <= 51.975",
        ],
        &[],
    );
    assert_eq!(code, 0, "{report}");
    let gates = report["gates"].as_array().unwrap();
    for g in gates {
        assert_eq!(g["verdict"], "holds", "{g}");
    }
    assert!((gates[2]["value"].as_f64().unwrap() - 4.725).abs() < 1e-9);
    assert!((gates[5]["value"].as_f64().unwrap() - 51.975).abs() < 1e-9);
    // Over budget in March in every trial: a 10% gate fails at the first look.
    let (report, code) = json(&file, &["p_over_budget(2027-03) <= 10%"], &[]);
    assert_eq!(code, 3);
    assert_eq!(report["gates"][0]["value"], 1.0);
    assert_eq!(report["trials"], 2000);
}

#[test]
fn gates_come_from_the_file_and_validate_lists_them() {
    let dir = tempfile::tempdir().unwrap();
    let file = constant_task(
        dir.path(),
        "[gates]\nrequire = [\"mean(cost_usd) <= 0.02\", \"success_rate >= 99%\"]\n",
    );
    check(&file, &[], &["-n", "1000"]).success();
    // Gates given on the command line are checked with the file's.
    check(&file, &["max(calls) < 1"], &["-n", "1000"]).code(3);
    tokencast()
        .args(["validate", &file])
        .assert()
        .success()
        .stdout(predicate::str::contains("mean(cost_usd) <= 0.02"));
}

#[test]
fn bad_gates_are_bad_input_placed_at_their_line_and_column() {
    let dir = tempfile::tempdir().unwrap();
    let file = constant_task(
        dir.path(),
        "[gates]\nrequire = [\n  \"p95(cots_usd) <= 2\",\n]\n",
    );
    // The constant task has 13 lines; the bad gate is on line 17, `c` of `cots` at column 8.
    for verb in ["check", "validate"] {
        tokencast()
            .args([verb, &file])
            .assert()
            .code(2)
            .stderr(predicate::str::contains(
                "constant.toml:17:8: gates.require[0]",
            ))
            .stderr(predicate::str::contains("did you mean `cost_usd`?"));
    }
    check(REFERENCE, &["p95(cost_usd) =< 2"], &[])
        .code(2)
        .stderr(predicate::str::contains("column 15"));
    check(REFERENCE, &["p_over_budget(2028) <= 10%"], &[])
        .code(2)
        .stderr(predicate::str::contains("a task scenario has none"));
    check(REFERENCE, &[], &[])
        .code(2)
        .stderr(predicate::str::contains("no gates to check"));
    let org = fixed_org(dir.path(), "");
    check(&org, &["p90(2031) <= 1"], &[])
        .code(2)
        .stderr(predicate::str::contains("this forecast has no year 2031"));
    check(&org, &["mean(total, seatplan) <= 1"], &[])
        .code(2)
        .stderr(predicate::str::contains("no billing scheme `seatplan`"));
    check(&org, &["p95(cost_usd) <= 1"], &[])
        .code(2)
        .stderr(predicate::str::contains("a task scenario's metric"));
}

#[test]
fn verdicts_do_not_depend_on_threads() {
    let a = json(
        REFERENCE,
        &["p95(cost_usd) <= 0.50"],
        &["-n", "5000", "-t", "1"],
    )
    .0;
    let b = json(
        REFERENCE,
        &["p95(cost_usd) <= 0.50"],
        &["-n", "5000", "-t", "3"],
    )
    .0;
    assert_eq!(a, b);
}
