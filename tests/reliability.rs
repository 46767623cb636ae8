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
            98,
            "stress[2].prices",
        ),
        (
            "inf-prices",
            "prices = 0.7",
            "prices = inf",
            98,
            "stress[2].prices",
        ),
        (
            "neg-prices",
            "prices = 0.7",
            "prices = -1",
            98,
            "stress[2].prices",
        ),
        (
            "nan-tokens",
            "tokens_per_task = 1.5",
            "tokens_per_task = nan",
            94,
            "stress[1].tokens_per_task",
        ),
        (
            "neg-speed",
            "adoption_speed = 2.0",
            "adoption_speed = -1",
            90,
            "stress[0].adoption_speed",
        ),
        (
            "neg-seats",
            "adoption_speed = 2.0",
            "seats = -1",
            90,
            "stress[0].seats",
        ),
        (
            "nan-tasks",
            "adoption_speed = 2.0",
            "tasks_per_day = nan",
            90,
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
        .stderr(predicate::str::contains(format!("{}:102:", m.path())))
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
        "monthly = 50000",
        "monthly = 1.7976931348623157e308",
    );
    tokencast()
        .args(["validate", m.path()])
        .assert()
        .code(2)
        .stderr(predicate::str::contains(format!(
            "{}:83:11: budget.monthly",
            m.path()
        )))
        .stderr(predicate::str::contains("at most 1e15"));
    // The largest budget accepted draws a chart that names it instead of drawing it.
    let m = Mutant::new("big-budget", "monthly = 50000", "monthly = 1e15");
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

/// A per-task CSV: 40 ordinary tasks, then `extra` rows, with `eol` line endings.
fn task_csv(dir: &std::path::Path, name: &str, extra: &[&str], eol: &str) -> std::path::PathBuf {
    let mut rows =
        vec!["task_id,model,input_tokens,output_tokens,calls,cost_usd,success".to_string()];
    for i in 0..40u64 {
        rows.push(format!(
            "t{i},sonnet,{},{},{},{:.4},true",
            20_000 + 997 * i,
            800 + 37 * i,
            5 + i % 7,
            0.1 + 0.003 * i as f64
        ));
    }
    rows.extend(extra.iter().map(|r| r.to_string()));
    let path = dir.join(name);
    std::fs::write(&path, rows.join(eol) + eol).unwrap();
    path
}

#[test]
fn calibrate_bounds_every_count_it_imports_and_numbers_crlf_lines_right() {
    let dir = tempfile::tempdir().unwrap();
    // Item 16: calls = 1e18 aborted (an 8e18-byte allocation); 1e8 took 23 s and 786 MB.
    // Item 9: token counts no scenario accepts were imported, then the fit failed at the end.
    // Item 20: costs of 1e308 fitted every price to 0 silently.
    let extra = [
        "huge-calls,sonnet,1000,100,1000000000000000000,0.1,true",
        "many-calls,sonnet,1000,100,100000000,0.1,true",
        "huge-tokens,sonnet,200000000,100,3,0.1,true",
        "huge-cost,sonnet,1000,100,3,1e308,true",
    ];
    for (eol, name) in [("\n", "lf.csv"), ("\r\n", "crlf.csv")] {
        // Item 21: CRLF files (Python's csv default) were numbered one line too low.
        let path = task_csv(dir.path(), name, &extra, eol);
        tokencast()
            .arg("calibrate")
            .arg(&path)
            .arg("-o")
            .arg(dir.path().join("fit.toml"))
            .arg("--report")
            .arg(dir.path().join("report"))
            .args(["-n", "2000"])
            .timeout(std::time::Duration::from_secs(60))
            .assert()
            .success()
            .stderr(predicate::str::contains(format!(
                "{name}:42: calls: 1000000000000000000 is above the 1000000 calls per task"
            )))
            .stderr(predicate::str::contains(format!(
                "{name}:43: calls: 100000000 is above"
            )))
            .stderr(predicate::str::contains(format!(
                "{name}:44: input: 200000000 is above the 100000000 tokens"
            )))
            .stderr(predicate::str::contains(format!(
                "{name}:45: cost: 1e308 is above the 1e9 USD"
            )));
    }
}

#[test]
fn calibrate_never_points_at_a_report_it_did_not_write() {
    // Item 21: "all listed in …/calibration.json" was printed, then "no tasks to fit", and
    // the file was never written.
    let dir = tempfile::tempdir().unwrap();
    let mut rows = vec!["task_id,model,input_tokens,output_tokens".to_string()];
    rows.extend((0..30).map(|i| format!("t{i},sonnet,abc,1")));
    let path = dir.path().join("bad.csv");
    std::fs::write(&path, rows.join("\n")).unwrap();
    tokencast()
        .arg("calibrate")
        .arg(&path)
        .arg("-o")
        .arg(dir.path().join("fit.toml"))
        .assert()
        .code(2)
        .stderr(predicate::str::contains(
            "skipped 10 more malformed lines\n",
        ))
        .stderr(predicate::str::contains("all listed in").not())
        .stderr(predicate::str::contains("no tasks to fit"));
}

#[test]
fn calibrate_takes_a_session_whose_timestamps_mix_numbers_and_strings() {
    // Item 15: such a session panicked (exit 101) in the sort of its calls.
    let dir = tempfile::tempdir().unwrap();
    let sample = std::fs::read_to_string("examples/calibrate/sample-claude-code.jsonl").unwrap();
    let mixed: String = sample
        .lines()
        .enumerate()
        .map(|(i, l)| {
            let l = if i % 3 == 0 {
                // A number where the format has a string.
                let v: serde_json::Value = serde_json::from_str(l).unwrap();
                let mut v = v;
                v["timestamp"] = serde_json::json!(1_700_000_000 + i);
                v.to_string()
            } else {
                l.to_string()
            };
            l + "\n"
        })
        .collect();
    let path = dir.path().join("mixed.jsonl");
    std::fs::write(&path, mixed).unwrap();
    tokencast()
        .arg("calibrate")
        .arg(&path)
        .args(["--price", "sonnet=3,15,3.75,0.3"])
        .arg("-o")
        .arg(dir.path().join("fit.toml"))
        .arg("--report")
        .arg(dir.path().join("report"))
        .args(["-n", "2000"])
        .assert()
        .success();
}

#[test]
fn compare_states_its_work_bound_and_refuses_beyond_it() {
    // Item 17: `seats = 1000000`, `tasks_per_seat = 100000` grew memory by 0.5 GB/s until
    // killed; both values were inside the documented limits.
    let dir = tempfile::tempdir().unwrap();
    let text = std::fs::read_to_string("scenarios/pricing-comparison.toml").unwrap();
    let big = text
        .replacen("seats = 200\n", "seats = 1000000\n", 1)
        .replacen("tasks_per_seat = 150 ", "tasks_per_seat = 100000 ", 1);
    assert_ne!(big, text);
    let path = dir.path().join("big.toml");
    std::fs::write(&path, big).unwrap();
    for verb in ["validate", "compare"] {
        tokencast()
            .arg(verb)
            .arg(&path)
            .timeout(std::time::Duration::from_secs(20))
            .assert()
            .code(2)
            .stderr(predicate::str::contains(
                "big.toml:52:18: workload.tasks_per_seat",
            ))
            .stderr(predicate::str::contains(
                "about 100,000,000,000 tasks on average",
            ));
    }
    // The bundled comparison with ten million periods: refused before it starts.
    tokencast()
        .args([
            "compare",
            "scenarios/pricing-comparison.toml",
            "--periods",
            "10000000",
            "-o",
        ])
        .arg(dir.path().join("out"))
        .timeout(std::time::Duration::from_secs(20))
        .assert()
        .code(2)
        .stderr(predicate::str::contains(
            "would simulate about 300,068,000,000 tasks (200 seats, 10,000,000 periods",
        ));
}

#[test]
fn names_are_bounded_and_free_of_control_characters() {
    // Item 12: a 5 MB phase name made a 15 MB summary.json; names with escape characters were
    // printed raw to the terminal.
    let dir = tempfile::tempdir().unwrap();
    let text = std::fs::read_to_string("scenarios/reference-coding-task.toml").unwrap();
    assert!(text.contains("name = \"explore\""));
    for (tag, name, message) in [
        (
            "long",
            "x".repeat(5_000_000),
            "expected at most 200 characters, found 5000000",
        ),
        (
            "escape",
            "ex\\u001b[2Jplore".to_string(),
            "expected text without control characters, found \\u{1b}",
        ),
    ] {
        let path = dir.path().join(format!("{tag}.toml"));
        std::fs::write(
            &path,
            text.replacen("name = \"explore\"", &format!("name = \"{name}\""), 1),
        )
        .unwrap();
        let out = tokencast().arg("validate").arg(&path).output().unwrap();
        assert!(
            out.stderr.len() < 2_000,
            "the message quotes at most a window of the line"
        );
        tokencast()
            .arg("validate")
            .arg(&path)
            .assert()
            .code(2)
            .stderr(predicate::str::contains(format!("{tag}.toml:")))
            .stderr(predicate::str::contains("phases[0].name"))
            .stderr(predicate::str::contains(message));
    }
}

#[test]
fn huge_integers_deep_nesting_and_catalog_prices_are_placed_at_their_line_and_column() {
    // Item 11: integers of 2^63 and more, out-of-range prices of a `--prices` TOML catalog and
    // 200-level nesting (a bare "recursion limit") were rejected without a line and column.
    let dir = tempfile::tempdir().unwrap();
    let text = std::fs::read_to_string("scenarios/reference-coding-task.toml").unwrap();
    let big = dir.path().join("big.toml");
    std::fs::write(
        &big,
        text.replacen("output = 15.00", "output = 9223372036854775808", 1),
    )
    .unwrap();
    tokencast()
        .arg("validate")
        .arg(&big)
        .assert()
        .code(2)
        .stderr(predicate::str::contains(
            "big.toml:25:10: models.sonnet.output",
        ));
    let deep = dir.path().join("deep.toml");
    std::fs::write(
        &deep,
        format!("a = {}1{}\n", "{ b = ".repeat(200), " }".repeat(200)),
    )
    .unwrap();
    tokencast()
        .arg("validate")
        .arg(&deep)
        .assert()
        .code(2)
        .stderr(predicate::str::contains("deep.toml:1:"))
        .stderr(predicate::str::contains("nested too deeply"));
    let catalog = dir.path().join("catalog.toml");
    std::fs::write(
        &catalog,
        "[models.\"my-model\"]\ninput = 3.0\noutput = 15.0\nbatch = { input = 1.5, output = 7.5 }\ntiers = [{ above = 200000, input = -6.0, output = 22.5 }]\n",
    )
    .unwrap();
    tokencast()
        .arg("prices")
        .arg("--prices")
        .arg(&catalog)
        .assert()
        .code(2)
        .stderr(predicate::str::contains(
            "catalog.toml:5:36: models.my-model.tiers[0].input",
        ));
}

#[test]
fn a_token_count_past_64_bits_stops_the_run_instead_of_saturating() {
    // Item 3: a long enough task reported input_tokens = 2^64 − 1 and a cost 10% low, exit 0.
    // Nine phases of 100,000 calls, each adding 10^8 output tokens to the context: the prompts
    // re-send about 4e19 tokens in all, within the work bound (900,001 steps a task).
    let dir = tempfile::tempdir().unwrap();
    let mut text = String::from(
        "[models.m]\ninput = 3.0\noutput = 15.0\n\n[agent]\ncaching = \"off\"\nsystem_prompt = 1000\n",
    );
    for i in 0..9 {
        text.push_str(&format!(
            "\n[[phases]]\nname = \"p{i}\"\nrepeat = 100000\nsteps = [ {{ call = {{ output = 100000000 }} }} ]\n"
        ));
    }
    let path = dir.path().join("overflow.toml");
    std::fs::write(&path, text).unwrap();
    tokencast()
        .args(["run", "-n", "1", "--no-charts", "-o"])
        .arg(dir.path().join("out"))
        .arg(&path)
        .assert()
        .code(1)
        .stderr(predicate::str::contains(
            "trial 0 consumed more than 2^64 input_tokens",
        ));
    assert!(!dir.path().join("out/summary.json").exists());
}

#[test]
fn every_command_states_its_most_trials() {
    // Item 7 (in part): `run --trials 1e15` was accepted.
    for (verb, file, flag, max) in [
        (
            "run",
            "scenarios/reference-coding-task.toml",
            "-n",
            "10000000000",
        ),
        ("forecast", ORG, "-n", "10000000"),
        (
            "compare",
            "scenarios/pricing-comparison.toml",
            "-n",
            "10000000",
        ),
        (
            "check",
            "scenarios/reference-coding-task.toml",
            "-n",
            "100000000",
        ),
    ] {
        tokencast()
            .args([verb, file, flag, "1000000000000000"])
            .assert()
            .code(2)
            .stderr(predicate::str::contains(format!("is not in 1..={max}")));
    }
    let dir = tempfile::tempdir().unwrap();
    let text = std::fs::read_to_string("scenarios/reference-coding-task.toml").unwrap();
    let path = dir.path().join("many.toml");
    std::fs::write(
        &path,
        text.replacen("trials = 100000\n", "trials = 1000000000000000\n", 1),
    )
    .unwrap();
    tokencast()
        .arg("validate")
        .arg(&path)
        .assert()
        .code(2)
        .stderr(predicate::str::contains(
            "scenario.trials: expected 1 to 10,000,000,000 trials, found 1,000,000,000,000,000",
        ));
}

#[test]
fn a_second_audit_s_placements_and_terminal_safety_hold() {
    // Found by an audit after item 11 was fixed: in a forecast, a seed of 2^63 was blamed on a
    // stress case's `set` and a huge `months` on another key (the file fell through to the
    // task-scenario parser); a catalog price of 2^63, and a 200-level dotted table header (a
    // bare "recursion limit"), had no line and column; an escape character in a table name
    // reached the terminal raw, and a right-to-left override was accepted in a name.
    let dir = tempfile::tempdir().unwrap();
    let org = std::fs::read_to_string(ORG).unwrap();
    let validate = |name: &str, text: &str| {
        // A forecast's task files are not beside it here: these errors come before they load.
        let file = dir.path().join(name);
        std::fs::write(&file, text).unwrap();
        let out = std::process::Command::new(env!("CARGO_BIN_EXE_tokencast"))
            .arg("validate")
            .arg(&file)
            .output()
            .unwrap();
        assert_eq!(out.status.code(), Some(2), "{name}");
        out.stderr
    };
    let err = validate(
        "seed.toml",
        &org.replace("seed = 1", "seed = 9223372036854775808"),
    );
    let err = String::from_utf8_lossy(&err);
    assert!(
        err.contains(
            "seed.toml:17:8: forecast.seed: expected a seed from 0 to 9,223,372,036,854,775,807"
        ),
        "{err}"
    );
    let err = validate(
        "months.toml",
        &org.replace("months = 24", "months = 92233720368547758080"),
    );
    assert!(
        String::from_utf8_lossy(&err).contains("months.toml:15:10: forecast.months: expected a non-negative integer that fits in 64 bits"),
        "{}",
        String::from_utf8_lossy(&err)
    );
    let catalog = std::fs::read_to_string("prices/catalog.toml").unwrap();
    let at = catalog.find("output = ").unwrap();
    let end = at + catalog[at..].find('\n').unwrap();
    let line = catalog[..at].matches('\n').count() + 1;
    let file = dir.path().join("cat.toml");
    std::fs::write(
        &file,
        format!(
            "{}output = 9223372036854775808{}",
            &catalog[..at],
            &catalog[end..]
        ),
    )
    .unwrap();
    tokencast()
        .args(["prices", "--prices"])
        .arg(&file)
        .assert()
        .code(2)
        .stderr(predicate::str::contains(format!(
            "cat.toml:{line}:10: models."
        )));
    let deep = format!("[{}]\nx = 1\n", vec!["a"; 200].join("."));
    let err = validate("deep.toml", &deep);
    let err = String::from_utf8_lossy(&err);
    assert!(
        err.contains("deep.toml:1:1: tables or arrays nested too deeply"),
        "{err}"
    );
    let task = std::fs::read_to_string("scenarios/reference-coding-task.toml").unwrap();
    let err = validate(
        "esc.toml",
        &task.replace(
            "[agent]",
            "[workflows.\"imp\u{1b}[31mRED\"]\nsystem_prompt = 1\n\n[agent]",
        ),
    );
    assert!(
        !err.contains(&0x1b),
        "no escape byte reaches the terminal: {err:?}"
    );
    let err = validate(
        "bidi.toml",
        &task.replace("name = \"explore\"", "name = \"exp\u{202e}lore\""),
    );
    let err = String::from_utf8_lossy(&err);
    assert!(
        err.contains("phases[0].name: expected text without control characters, found \\u{202e}"),
        "{err}"
    );
    assert!(!err.contains('\u{202e}'), "{err}");
}
