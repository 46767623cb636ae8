//! `calibrate --task-step-limit N --task-cost-limit USD` (issue 21 item 4): the harness's caps
//! are written into the fitted agent loop as stated, and bad values are refused with exit 2;
//! the catalog prices Gemini 3 Pro Preview, so the published run needs no `--price`.

use tokencast::scenario::Scenario;

const PUBLISHED: &str = "examples/calibrate/per-task/gemini-3-pro-swe-bench-verified.csv";

fn run_cli(args: &[&str]) -> (i32, String) {
    let out = assert_cmd::Command::cargo_bin("tokencast")
        .unwrap()
        .args(args)
        .output()
        .unwrap();
    (
        out.status.code().unwrap_or(-1),
        String::from_utf8_lossy(&out.stderr).into_owned(),
    )
}

/// The harness's caps are written as stated (without them the highest observed are: above).
/// The catalog prices Gemini 3 Pro Preview: no --price is needed.
#[test]
fn stated_caps_are_written_and_the_catalog_prices_gemini_3_pro() {
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("stated.toml");
    let report = dir.path().join("report");
    let (code, err) = run_cli(&[
        "calibrate",
        PUBLISHED,
        "-o",
        out.to_str().unwrap(),
        "--report",
        report.to_str().unwrap(),
        "--trials",
        "2000",
        "--task-step-limit",
        "250",
        "--task-cost-limit",
        "3",
    ]);
    assert_eq!(code, 0, "{err}");
    let text = std::fs::read_to_string(&out).unwrap();
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
        ("--task-step-limit", "0", "--task-step-limit"),
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
