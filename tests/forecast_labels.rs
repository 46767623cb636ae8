//! An uncertain input named in the file (`label = "..."` in its distribution) is named so in
//! the sensitivity analysis, its chart and the report; without a label a readable form of its
//! path is used. A label is bounded like every name.

use std::process::Command;

const ORG: &str = r#"
[forecast]
start = "2027-01"
months = 12
[seats]
table = [ { month = 1, seats = 50 } ]
[usage]
active_share = { uniform = { min = 0.5, max = 0.9 } }
tasks_per_day = { lognormal = { median = 3, sigma = 0.3 }, label = "Agent tasks per developer a day" }
[[tasks]]
name = "a"
scenario = "constant-task.toml"
weight = 1
[aggregation]
pool_size = 16
"#;

fn tokencast() -> Command {
    Command::new(env!("CARGO_BIN_EXE_tokencast"))
}

#[test]
fn a_labelled_input_is_named_by_its_label_in_every_output() {
    let dir = tempfile::tempdir().unwrap();
    std::fs::copy(
        "tests/forecasts/constant-task.toml",
        dir.path().join("constant-task.toml"),
    )
    .unwrap();
    let file = dir.path().join("org.toml");
    std::fs::write(&file, ORG).unwrap();
    let out = dir.path().join("out");
    let status = tokencast()
        .args([
            "forecast",
            "--trials",
            "400",
            "--sensitivity",
            "--no-stress",
            "--out",
        ])
        .arg(&out)
        .arg(&file)
        .output()
        .unwrap();
    assert!(
        status.status.success(),
        "{}",
        String::from_utf8_lossy(&status.stderr)
    );
    let json: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(out.join("sensitivity.json")).unwrap())
            .unwrap();
    let inputs = json["inputs"].as_array().expect("inputs");
    let labelled = inputs
        .iter()
        .find(|i| i["input"] == "usage.tasks_per_day")
        .expect("tasks per day is uncertain");
    assert_eq!(labelled["label"], "Agent tasks per developer a day");
    let unlabelled = inputs
        .iter()
        .find(|i| i["input"] == "usage.active_share")
        .expect("active share is uncertain");
    assert!(unlabelled["label"].is_null());
    let html = std::fs::read_to_string(out.join("report.html")).unwrap();
    let svg = std::fs::read_to_string(out.join("forecast_tornado.svg")).unwrap();
    for page in [&html, &svg] {
        assert!(page.contains("Agent tasks per developer a day ("));
        assert!(
            page.contains("Share of seats active ("),
            "the default for an unlabelled input"
        );
    }
}

#[test]
fn a_label_is_bounded_and_free_of_control_characters() {
    let dir = tempfile::tempdir().unwrap();
    for (label, said) in [
        (
            "x".repeat(201),
            "usage.tasks_per_day.label: expected at most 200 characters, found 201",
        ),
        (
            "bad\\u0007".to_string(),
            "usage.tasks_per_day.label: expected text without control characters",
        ),
    ] {
        let file = dir.path().join("org.toml");
        std::fs::write(
            &file,
            ORG.replace("Agent tasks per developer a day", &label),
        )
        .unwrap();
        let out = tokencast().arg("validate").arg(&file).output().unwrap();
        let err = String::from_utf8_lossy(&out.stderr);
        assert_eq!(out.status.code(), Some(2), "{err}");
        assert!(
            err.contains("org.toml:9:68:") && err.contains(said),
            "{err}"
        );
    }
}
