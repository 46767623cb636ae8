//! Reliability promises under attack (issue 20): each test reproduces a reported break and
//! checks the promise now holds: bad input is rejected at load with its file, line and column
//! (exit 2) before anything runs; no panic, no run without end.

use assert_cmd::Command;
use predicates::prelude::*;

const ORG: &str = "scenarios/org-forecast.toml";

fn tokencast() -> Command {
    Command::cargo_bin("tokencast").expect("the binary is built")
}

/// The bundled forecast with `from` replaced by `to`, written beside it (its task files are
/// found relative to it) under a name of this test's own.
struct Mutant(std::path::PathBuf);

impl Mutant {
    fn new(tag: &str, from: &str, to: &str) -> Mutant {
        let text = std::fs::read_to_string(ORG).unwrap();
        assert!(text.contains(from), "{from} not in {ORG}");
        let path = std::path::PathBuf::from(format!("scenarios/.test-{tag}.toml"));
        std::fs::write(&path, text.replacen(from, to, 1)).unwrap();
        Mutant(path)
    }
    fn path(&self) -> &str {
        self.0.to_str().unwrap()
    }
}

impl Drop for Mutant {
    fn drop(&mut self) {
        let _ = std::fs::remove_file(&self.0);
    }
}

#[test]
fn non_finite_or_negative_stress_multipliers_are_rejected_where_they_are_written() {
    // Item 1: `prices = nan` validated and then panicked in `forecast` (exit 101); -1 gave
    // negative bills, inf NaN, and NaN or -1 seats / tasks per day $0.
    for (tag, from, to, line, field) in [
        (
            "nan-prices",
            "prices = 0.7",
            "prices = nan",
            94,
            "stress[2].prices",
        ),
        (
            "inf-prices",
            "prices = 0.7",
            "prices = inf",
            94,
            "stress[2].prices",
        ),
        (
            "neg-prices",
            "prices = 0.7",
            "prices = -1",
            94,
            "stress[2].prices",
        ),
        (
            "nan-tokens",
            "tokens_per_task = 1.5",
            "tokens_per_task = nan",
            90,
            "stress[1].tokens_per_task",
        ),
        (
            "neg-seats",
            "seats = 2.0",
            "seats = -1",
            86,
            "stress[0].seats",
        ),
        (
            "nan-tasks",
            "seats = 2.0",
            "tasks_per_day = nan",
            86,
            "stress[0].tasks_per_day",
        ),
    ] {
        let m = Mutant::new(tag, from, to);
        for verb in ["validate", "forecast"] {
            tokencast()
                .args([verb, m.path()])
                .args(if verb == "forecast" {
                    &["-n", "20", "-o", "target/.test-out-rel"][..]
                } else {
                    &[][..]
                })
                .assert()
                .code(2)
                .stderr(predicate::str::contains(format!("{}:{line}:", m.path())))
                .stderr(predicate::str::contains(field))
                .stderr(predicate::str::contains("expected a multiplier above 0"));
        }
    }
}

#[test]
fn an_invalid_set_in_a_stress_case_is_rejected_at_its_place_before_anything_runs() {
    // Item 4: it passed validate, ran the base forecast, then blamed a `--set` nobody passed.
    let m = Mutant::new(
        "bad-set",
        "\"drift.mix_shift[0].max\" = 0.0",
        "\"drift.mix_shft[0].max\" = 0.0",
    );
    tokencast()
        .args(["validate", m.path()])
        .assert()
        .code(2)
        .stderr(predicate::str::contains(format!("{}:98:", m.path())))
        .stderr(predicate::str::contains("stress case `no move to Sonnet`"))
        .stderr(predicate::str::contains("did you mean `mix_shift`?"))
        .stderr(predicate::str::contains("--set").not());
    // A value out of range names the setting and its value.
    let m = Mutant::new(
        "bad-set-value",
        "\"drift.mix_shift[0].max\" = 0.0",
        "\"usage.active_share\" = 7",
    );
    let out = tempfile::tempdir().unwrap();
    tokencast()
        .args(["forecast", m.path(), "-n", "20", "-o"])
        .arg(out.path())
        .assert()
        .code(2)
        .stderr(predicate::str::contains("setting `usage.active_share` = 7"))
        .stderr(predicate::str::contains(
            "expected a value in [0, 1], found 7",
        ));
    // Nothing was written: the run never started.
    assert!(!out.path().join("summary.json").exists());
}

#[test]
fn a_budget_near_the_largest_double_is_rejected_and_a_huge_one_does_not_stretch_the_chart() {
    // Item 18: `monthly = 1.7976931348623157e308` made `forecast` run on indefinitely (the fan
    // chart's axis ran to infinity).
    let m = Mutant::new(
        "huge-budget",
        "monthly = 80000",
        "monthly = 1.7976931348623157e308",
    );
    tokencast()
        .args(["validate", m.path()])
        .assert()
        .code(2)
        .stderr(predicate::str::contains(format!(
            "{}:81:11: budget.monthly",
            m.path()
        )))
        .stderr(predicate::str::contains("at most 1e15"));
    // The largest budget accepted draws a chart that names it instead of drawing it.
    let m = Mutant::new("big-budget", "monthly = 80000", "monthly = 1e15");
    let out = tempfile::tempdir().unwrap();
    tokencast()
        .args(["forecast", m.path(), "-n", "50", "--no-stress", "-o"])
        .arg(out.path())
        .timeout(std::time::Duration::from_secs(60))
        .assert()
        .success();
    let svg = std::fs::read_to_string(out.path().join("forecast_fan.svg")).unwrap();
    assert!(svg.contains("is far above"), "the title names the budget");
}

#[test]
fn special_files_are_refused_at_once_never_read() {
    // Item 13: `validate /dev/zero` never returned (or read until out of memory); a FIFO
    // blocked.
    let dir = tempfile::tempdir().unwrap();
    let fifo = dir.path().join("scenario.toml");
    let made = std::process::Command::new("mkfifo").arg(&fifo).status();
    let mut paths = vec![
        (dir.path().to_path_buf(), "a directory"),
        ("/dev/zero".into(), "a character device"),
    ];
    if made.is_ok_and(|s| s.success()) {
        paths.push((fifo, "a FIFO"));
    }
    for (path, kind) in &paths {
        for verb in ["validate", "run", "forecast", "check", "calibrate"] {
            let mut cmd = tokencast();
            cmd.arg(verb).arg(path);
            if verb == "calibrate" {
                cmd.arg("-o").arg(dir.path().join("fit.toml"));
            }
            cmd.timeout(std::time::Duration::from_secs(20))
                .assert()
                .code(2)
                .stderr(predicate::str::contains(format!(
                    "not a regular file but {kind}"
                )));
        }
    }
}

#[test]
fn an_oversized_file_is_refused_and_a_bad_byte_is_placed() {
    let dir = tempfile::tempdir().unwrap();
    let big = dir.path().join("big.toml");
    std::fs::write(
        &big,
        vec![b'#'; (tokencast::input::MAX_SCENARIO_BYTES + 1) as usize],
    )
    .unwrap();
    tokencast()
        .args(["validate"])
        .arg(&big)
        .assert()
        .code(2)
        .stderr(predicate::str::contains("more than the 16777216 bytes"));
    // Item 11 (non-UTF-8): the line and column of the first bad byte.
    let bad = dir.path().join("bad.toml");
    let mut text = std::fs::read("scenarios/reference-coding-task.toml").unwrap();
    text.splice(0..0, b"# caf\xe9 latin-1\n".iter().copied());
    std::fs::write(&bad, text).unwrap();
    for verb in ["validate", "run", "check"] {
        tokencast()
            .arg(verb)
            .arg(&bad)
            .assert()
            .code(2)
            .stderr(predicate::str::contains(
                "bad.toml:1:6: not UTF-8 text: byte 0xE9",
            ));
    }
}
