//! `calibrate --task-step-limit N --task-cost-limit USD` (issue 21 item 4): the harness's caps
//! are written into the fitted agent loop as stated, and bad values are refused with exit 2;
//! the catalog prices Gemini 3 Pro Preview, so the published run needs no `--price`.

use tokencast::scenario::Scenario;

const PUBLISHED: &str = "examples/calibrate/per-task/gemini-3-pro-swe-bench-verified.csv";

fn run_cli(args: &[&str]) -> (i32, String) {
    let (code, _, err) = run_cli_out(args);
    (code, err)
}

fn run_cli_out(args: &[&str]) -> (i32, String, String) {
    let out = assert_cmd::Command::cargo_bin("tokencast")
        .unwrap()
        .args(args)
        .output()
        .unwrap();
    (
        out.status.code().unwrap_or(-1),
        String::from_utf8_lossy(&out.stdout).into_owned(),
        String::from_utf8_lossy(&out.stderr).into_owned(),
    )
}

/// The harness's caps are written as stated, the same at 1 and 2 threads (without them the
/// highest observed are: calibrate_task_tokens.rs).
/// The catalog prices Gemini 3 Pro Preview: no --price is needed.
#[test]
fn stated_caps_are_written_and_the_catalog_prices_gemini_3_pro() {
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("stated.toml");
    let report = dir.path().join("report");
    let run = |threads: &str| {
        let (code, stdout, err) = run_cli_out(&[
            "calibrate",
            PUBLISHED,
            "-o",
            out.to_str().unwrap(),
            "--report",
            report.to_str().unwrap(),
            "--trials",
            "2000",
            "--threads",
            threads,
            "--task-step-limit",
            "250",
            "--task-cost-limit",
            "3",
        ]);
        assert_eq!(code, 0, "{err}");
        (stdout, std::fs::read_to_string(&out).unwrap())
    };
    // The fit and its back-test are the same at any thread count.
    let (stdout, text) = run("1");
    assert_eq!(run("2"), (stdout, text.clone()));
    assert!(
        text.contains("[limits]\nmax_calls = 250\nmax_cost_usd = 3\n"),
        "{text}"
    );
    assert!(
        text.contains("calls as stated (the harness's limit)"),
        "{text}"
    );
    assert!(
        text.contains("catalog entry `gemini-3-pro-preview`"),
        "{text}"
    );
    Scenario::from_text("stated.toml", "stated", text).unwrap();

    for (flag, value, want) in [
        (
            "--task-cost-limit",
            "0",
            "--task-cost-limit: expected a spend limit",
        ),
        (
            "--task-cost-limit",
            "NaN",
            "--task-cost-limit: expected a spend limit",
        ),
        (
            "--task-cost-limit",
            "inf",
            "--task-cost-limit: expected a spend limit",
        ),
        // An absurd cap was written as a 301-digit integer the scenario could not read.
        (
            "--task-cost-limit",
            "1e300",
            "--task-cost-limit: expected a spend limit",
        ),
        ("--task-step-limit", "0", "--task-step-limit"),
        ("--task-step-limit", "100001", "--task-step-limit"),
    ] {
        let out = dir.path().join("bad.toml");
        let (code, err) = run_cli(&[
            "calibrate",
            PUBLISHED,
            "-o",
            out.to_str().unwrap(),
            flag,
            value,
        ]);
        assert_eq!(code, 2, "{flag} {value}: {err}");
        assert!(err.contains(want), "{flag} {value}: {err}");
        assert!(!out.exists());
    }
}
