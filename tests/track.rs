//! `tokencast track`: a forecast against its actuals. The actuals' ranks and bands, the rest
//! conditioned on the months seen (an uncertain usage level pinned down by the actuals), a
//! FOCUS export read back as actuals, and bad actuals refused with exit 2 at their line.

use std::path::{Path, PathBuf};

use assert_cmd::Command;
use serde_json::Value;

fn tokencast() -> Command {
    Command::cargo_bin("tokencast").expect("the binary is built")
}

/// 10 users, fixed counts of the constant task ($0.0105): round(20 x) tasks per user and
/// month at x tasks per day, so the bill is 10 × round(20 x) × 0.0105 = 5.25 at x = 2.5.
const ORG: &str = r#"
[forecast]
start = "2027-01"
months = 6
trials = 10000
[seats]
table = [ { month = 1, seats = 10 } ]
[usage]
active_share = 1
tasks_per_day = { uniform = { min = 1, max = 3 } }
counts = "fixed"
[calendar]
working_days = 20
[[tasks]]
name = "a"
scenario = "constant-task.toml"
weight = 1
[billing]
discount = 0
[aggregation]
pool_size = 16
"#;

fn setup(dir: &Path, org: &str, actuals: &str) -> (PathBuf, PathBuf) {
    std::fs::copy(
        "tests/forecasts/constant-task.toml",
        dir.join("constant-task.toml"),
    )
    .unwrap();
    let file = dir.join("org.toml");
    std::fs::write(&file, org).unwrap();
    let csv = dir.join("actuals.csv");
    std::fs::write(&csv, actuals).unwrap();
    (file, csv)
}

fn track(file: &Path, actuals: &Path, out: &Path) -> (Value, String) {
    let assert = tokencast()
        .arg("track")
        .arg(file)
        .arg("--actuals")
        .arg(actuals)
        .arg("-o")
        .arg(out)
        .assert()
        .success();
    let stdout = String::from_utf8_lossy(&assert.get_output().stdout).to_string();
    let json =
        serde_json::from_str(&std::fs::read_to_string(out.join("track.json")).unwrap()).unwrap();
    (json, stdout)
}

#[test]
fn the_actuals_pin_down_the_usage_and_the_rest_follows() {
    // Three months at $5.25 (x = 2.5): the forecast's band is about $2.10 to $6.30 a month
    // (x uniform on 1..3), so they are within it, and the rest is conditioned on x near 2.5.
    let dir = tempfile::tempdir().unwrap();
    let (file, csv) = setup(
        dir.path(),
        ORG,
        "month,cost,users\n2027-01,5.25,10\n2027-02,5.25,10\n2027-03,5.25,10\n",
    );
    let (json, stdout) = track(&file, &csv, &dir.path().join("out"));
    assert_eq!(json["months_seen"], 3);
    assert_eq!(json["months_outside"], 0);
    for m in &json["monthly"].as_array().unwrap()[..3] {
        assert_eq!(m["band"], "within");
        let rank = m["rank"].as_f64().unwrap();
        // P(10 × round(20x) × 0.0105 ≤ 5.25) = P(x < 2.525) = 0.7625, within sampling error.
        assert!(
            (rank - 0.7625).abs() < 4.0 * (0.7625f64 * 0.2375 / 10000.0).sqrt(),
            "{rank}"
        );
    }
    for m in &json["monthly"].as_array().unwrap()[3..] {
        let c = &m["conditioned"];
        let mean = c["mean"].as_f64().unwrap();
        assert!((mean - 5.25).abs() < 0.02 * 5.25, "{mean}");
        assert!(
            c["p5"].as_f64().unwrap() >= 5.25 * 0.9 && c["p95"].as_f64().unwrap() <= 5.25 * 1.1,
            "{c}"
        );
        // The forecast's own band was far wider.
        assert!(m["forecast"]["p5"].as_f64().unwrap() < 2.5);
        assert!(m["forecast"]["p95"].as_f64().unwrap() > 6.0);
    }
    let y = &json["years"][0];
    assert_eq!(y["actual_so_far"].as_f64(), Some(15.75));
    assert!((y["conditioned"]["mean"].as_f64().unwrap() - 31.5).abs() < 0.02 * 31.5);
    assert!(json["effective_trials"].as_f64().unwrap() >= 500.0);
    assert!(
        stdout.contains("0 of 3 months outside the forecast's P5–P95"),
        "{stdout}"
    );
    assert!(
        stdout.contains("2027: $15.75 spent in 3 of 6 months"),
        "{stdout}"
    );
    for f in [
        "track.csv",
        "track_fan.svg",
        "track_fan.png",
        "report.html",
        "manifest.json",
    ] {
        assert!(dir.path().join("out").join(f).exists(), "{f}");
    }
    // A month far above the band is flagged.
    let (_, csv) = setup(dir.path(), ORG, "month,cost\n2027-01,5.25\n2027-02,200\n");
    let (json, stdout) = track(&file, &csv, &dir.path().join("out2"));
    assert_eq!(json["monthly"][1]["band"], "above");
    assert_eq!(json["monthly"][1]["rank"].as_f64(), Some(1.0));
    assert_eq!(json["months_outside"], 1);
    assert!(stdout.contains("above P95"), "{stdout}");
}

#[test]
fn a_focus_export_reads_back_as_the_forecast_s_own_months() {
    // A deterministic organisation's FOCUS file (its mean bill, split into rows) summed per
    // month is the bill: $4.20 every month, within the (zero-width) band.
    let dir = tempfile::tempdir().unwrap();
    let org = ORG.replace("{ uniform = { min = 1, max = 3 } }", "2");
    let (file, _) = setup(dir.path(), &org, "");
    let out = dir.path().join("f");
    tokencast()
        .arg("forecast")
        .arg(&file)
        .args(["-n", "50", "--focus", "-o"])
        .arg(&out)
        .assert()
        .success();
    let (json, _) = track(&file, &out.join("focus.csv"), &dir.path().join("t"));
    assert_eq!(json["months_seen"], 6);
    for m in json["monthly"].as_array().unwrap() {
        assert!((m["actual"].as_f64().unwrap() - 4.2).abs() < 1e-6, "{m}");
        assert_eq!(m["band"], "within");
    }
}

#[test]
fn bad_actuals_are_refused_at_their_line() {
    let dir = tempfile::tempdir().unwrap();
    for (text, needle) in [
        (
            "when,amount\n2027-01,5\n",
            "expected the columns `month` and `cost`",
        ),
        (
            "month,cost\n2027-01,5\n2026-12,5\n",
            "actuals.csv:3: month: expected a month of the forecast, 2027-01 to 2027-06, found 2026-12",
        ),
        (
            "month,cost\n2027-01,5\n2027-07,5\n",
            "actuals.csv:3: month: expected a month of the forecast",
        ),
        (
            "month,cost\n2027-01,5\n2027-01,6\n",
            "actuals.csv:3: month: 2027-01 is given twice (first at line 2)",
        ),
        (
            "month,cost\n2027-01,-5\n",
            "actuals.csv:2: cost: expected an amount from 0 to 1,000,000,000,000,000, found \"-5\"",
        ),
        ("month,cost\n2027-01,lots\n", "found \"lots\""),
        ("month,cost\n2027-01,nan\n", "found \"nan\""),
        ("month,cost\n2027-01,inf\n", "found \"inf\""),
        (
            "month,cost\n2027-01,1e300\n",
            "from 0 to 1,000,000,000,000,000, found \"1e300\"",
        ),
        (
            "month,cost\nJan 2027,5\n",
            "actuals.csv:2: month: expected a month as YYYY-MM",
        ),
        (
            "month,cost\n2027-01,5\n2027-03,5\n",
            "without a gap from 2027-01, found 2027-02 missing before 2027-03",
        ),
        ("month,cost\n2027-02,5\n", "found later months only"),
        ("month,cost\n", "found no months"),
    ] {
        let (file, csv) = setup(dir.path(), ORG, text);
        let assert = tokencast()
            .arg("track")
            .arg(&file)
            .arg("--actuals")
            .arg(&csv)
            .arg("-o")
            .arg(dir.path().join("never"))
            .assert()
            .code(2);
        let err = String::from_utf8_lossy(&assert.get_output().stderr).to_string();
        assert!(err.contains(needle), "{text:?}: {err}");
        assert!(
            !dir.path().join("never").exists(),
            "nothing written for {text:?}"
        );
    }
    let (file, csv) = setup(dir.path(), ORG, "month,cost\n2027-01,5\n");
    tokencast()
        .arg("track")
        .arg(&file)
        .arg("--actuals")
        .arg(&csv)
        .args(["-n", "300000"])
        .assert()
        .code(2);
    tokencast()
        .arg("track")
        .arg(&file)
        .arg("--actuals")
        .arg(&csv)
        .args(["--shard", "1/2"])
        .assert()
        .code(2);
}

/// `forecast --actuals`: the forecast's own outputs are unchanged, its report gains the track's
/// section (the months against their band, the rest forecast again), and track.json is the
/// one `tokencast track` writes on the same file, seed and trials.
#[test]
fn the_forecast_report_shows_the_actuals_and_the_rest_forecast_again() {
    let dir = tempfile::tempdir().unwrap();
    // The third month at $9.00 is above the band's P95 (at most 10 × 60 × 0.0105 = $6.30).
    let (file, csv) = setup(
        dir.path(),
        ORG,
        "month,cost\n2027-01,5.25\n2027-02,5.25\n2027-03,9.00\n",
    );
    let (with, without, tracked) = (
        dir.path().join("with"),
        dir.path().join("without"),
        dir.path().join("tracked"),
    );
    let run = |out: &Path, actuals: bool| {
        let mut cmd = tokencast();
        cmd.arg("forecast")
            .arg(&file)
            .args(["-n", "4000", "-o"])
            .arg(out);
        if actuals {
            cmd.arg("--actuals").arg(&csv);
        }
        let a = cmd.assert().success();
        String::from_utf8_lossy(&a.get_output().stdout).to_string()
    };
    let stdout = run(&with, true);
    run(&without, false);
    for f in ["summary.json", "monthly.csv"] {
        assert_eq!(
            std::fs::read(with.join(f)).unwrap(),
            std::fs::read(without.join(f)).unwrap(),
            "{f} changed with --actuals"
        );
    }
    assert!(
        stdout.contains("1 of 3 months outside the forecast's P5–P95"),
        "{stdout}"
    );
    let page = std::fs::read_to_string(with.join("report.html")).unwrap();
    for needle in [
        "<h2>Against the actual spend so far</h2>",
        "<h3>The months seen</h3>",
        "<h3>The rest, forecast again</h3>",
        "above P95",
        "Mar 2027",
    ] {
        assert!(page.contains(needle), "the report lacks {needle}");
    }
    for f in ["track.csv", "track_fan.png", "track_fan.svg"] {
        assert!(with.join(f).is_file(), "{f} not written");
    }
    tokencast()
        .arg("track")
        .arg(&file)
        .arg("--actuals")
        .arg(&csv)
        .args(["-n", "4000", "-o"])
        .arg(&tracked)
        .assert()
        .success();
    assert_eq!(
        std::fs::read(with.join("track.json")).unwrap(),
        std::fs::read(tracked.join("track.json")).unwrap()
    );
}

#[test]
fn the_forecast_refuses_bad_actuals_before_any_trial() {
    let dir = tempfile::tempdir().unwrap();
    let (file, csv) = setup(dir.path(), ORG, "month,cost\n2027-01,5.25\n2027-02,-1\n");
    let out = dir.path().join("out");
    let a = tokencast()
        .arg("forecast")
        .arg(&file)
        .arg("--actuals")
        .arg(&csv)
        .arg("-o")
        .arg(&out)
        .assert()
        .code(2);
    let stderr = String::from_utf8_lossy(&a.get_output().stderr).to_string();
    assert!(stderr.contains("actuals.csv:3"), "{stderr}");
    assert!(!out.join("summary.json").exists());
    for (args, says) in [
        (vec!["--shard", "1/2"], "--actuals with --shard"),
        (
            vec!["-n", "300000"],
            "expected at most 200,000 trials with --actuals",
        ),
    ] {
        let (_, good) = setup(dir.path(), ORG, "month,cost\n2027-01,5.25\n");
        let a = tokencast()
            .arg("forecast")
            .arg(&file)
            .arg("--actuals")
            .arg(&good)
            .args(&args)
            .arg("-o")
            .arg(&out)
            .assert()
            .code(2);
        let stderr = String::from_utf8_lossy(&a.get_output().stderr).to_string();
        assert!(stderr.contains(says), "{stderr}");
    }
}
