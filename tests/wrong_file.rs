//! A file given to a command that does not take its kind: one line on stderr saying what the
//! file is and the command to use, exit 2, before any work (issue 19 item 4).

use std::path::Path;

use assert_cmd::Command;

fn tokencast() -> Command {
    let mut cmd = Command::cargo_bin("tokencast").expect("the binary is built");
    cmd.current_dir(env!("CARGO_MANIFEST_DIR"));
    cmd
}

const TASK: &str = "scenarios/reference-coding-task.toml";
const FORECAST: &str = "scenarios/org-forecast.toml";
const COMPARISON: &str = "scenarios/pricing-comparison.toml";
const CATALOG: &str = "prices/catalog.toml";
const LOG: &str = "examples/calibrate/sample-calls.csv";

/// Runs `args`, expects exit 2 and a single line on stderr containing every `wanted`; returns it.
fn refused(args: &[&str], wanted: &[&str]) -> String {
    let out = tokencast().args(args).output().unwrap();
    let stderr = String::from_utf8(out.stderr).unwrap();
    assert_eq!(out.status.code(), Some(2), "{args:?}: {stderr}");
    assert!(out.stdout.is_empty(), "{args:?}: wrote to stdout");
    assert_eq!(stderr.trim_end().lines().count(), 1, "{args:?}: {stderr}");
    for w in wanted {
        assert!(stderr.contains(w), "{args:?}: `{w}` not in: {stderr}");
    }
    stderr
}

#[test]
fn a_forecast_given_to_run_names_forecast() {
    let line = refused(
        &["run", FORECAST],
        &[
            "this is a forecast",
            "`tokencast run` takes a task scenario",
            "use `tokencast forecast scenarios/org-forecast.toml`",
        ],
    );
    assert!(
        line.starts_with("error: scenarios/org-forecast.toml: "),
        "{line}"
    );
}

#[test]
fn a_task_scenario_given_to_forecast_or_sweep_names_run() {
    for verb in ["forecast", "sweep"] {
        let mut args = vec![verb, TASK];
        if verb == "sweep" {
            args.extend(["--param", "usage.tasks_per_day=2,3"]);
        }
        refused(
            &args,
            &[
                "this is a task scenario (one agent task)",
                &format!("`tokencast {verb}` takes a forecast"),
                "use `tokencast run scenarios/reference-coding-task.toml`",
            ],
        );
    }
}

#[test]
fn a_price_file_given_as_a_scenario_names_prices() {
    for verb in ["run", "forecast", "validate", "check", "compare"] {
        refused(
            &[verb, CATALOG],
            &[
                "this is a price catalog (TOML)",
                "use `tokencast prices --prices prices/catalog.toml",
            ],
        );
    }
    let dir = tempfile::tempdir().unwrap();
    let map = dir.path().join("model_prices.json");
    std::fs::write(
        &map,
        r#"{"m": {"input_cost_per_token": 1e-6, "output_cost_per_token": 2e-6, "litellm_provider": "x"}}"#,
    )
    .unwrap();
    refused(
        &["run", map.to_str().unwrap()],
        &["this is a price map (JSON", "tokencast prices --prices"],
    );
}

#[test]
fn a_plain_task_given_to_compare_names_its_command() {
    // A forecast is compared on its task mix (tests/compare_forecast.rs).
    refused(
        &["compare", TASK],
        &[
            "this is a task scenario (one agent task)",
            "takes a task scenario with [workload] and [billing.NAME] schemes, or a forecast",
            "use `tokencast run scenarios/reference-coding-task.toml`",
        ],
    );
}

#[test]
fn a_comparison_given_to_forecast_names_compare() {
    refused(
        &["forecast", COMPARISON],
        &[
            "this is a task scenario with a billing comparison",
            "use `tokencast compare scenarios/pricing-comparison.toml`",
        ],
    );
}

#[test]
fn a_usage_log_given_as_a_scenario_names_calibrate() {
    refused(
        &["run", LOG],
        &[
            "this is a usage log",
            "use `tokencast calibrate examples/calibrate/sample-calls.csv -o SCENARIO.toml`",
        ],
    );
}

#[test]
fn a_scenario_given_to_calibrate_or_as_prices_is_refused() {
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("ours.toml");
    refused(
        &["calibrate", TASK, "-o", out.to_str().unwrap()],
        &[
            "this is a task scenario",
            "`tokencast calibrate` takes usage logs",
            "use `tokencast run",
        ],
    );
    assert!(!out.exists());
    refused(
        &["run", TASK, "--prices", FORECAST],
        &["this is a forecast", "`--prices` takes a price file"],
    );
    refused(
        &["prices", "--prices", TASK],
        &["this is a task scenario", "`--prices` takes a price file"],
    );
}

#[test]
fn check_and_diff_refuse_a_price_file() {
    refused(
        &["check", CATALOG, "--gate", "mean(cost) < 1"],
        &["this is a price catalog", "`tokencast check` takes"],
    );
    refused(
        &["diff", TASK, CATALOG],
        &["this is a price catalog", "`tokencast diff` takes"],
    );
}

#[test]
fn files_of_the_right_kind_and_unknown_files_are_not_refused_here() {
    // The right kind passes (validate runs nothing).
    for f in [TASK, COMPARISON] {
        tokencast().args(["validate", f]).assert().success();
    }
    // A file of no known kind reaches the command's own parser, which places the error.
    let dir = tempfile::tempdir().unwrap();
    let bad = dir.path().join("bad.toml");
    std::fs::write(&bad, "[agen]\nsystem_prompt = 1\n").unwrap();
    let out = tokencast()
        .args(["run", bad.to_str().unwrap()])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(2));
    let stderr = String::from_utf8(out.stderr).unwrap();
    assert!(!stderr.contains("this is"), "{stderr}");
    assert!(Path::new(&bad).exists());
}
