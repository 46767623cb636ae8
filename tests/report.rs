//! `run` writes every chart as PNG and SVG and a self-contained report.html; `--no-charts`
//! skips the charts; `--precision` stops where a plain run of as many trials gives the same
//! summary; report.html renders in headless Chromium with its charts visible.

use std::fs;
use std::path::{Path, PathBuf};

use assert_cmd::Command;

mod common;
use common::browser::{chromium_or_skip, decode_png, dump_dom, inked_and_blue, screenshot};

const CHARTS: [&str; 4] = [
    "cost_histogram",
    "cost_exceedance",
    "cost_breakdown",
    "cost_convergence",
];

fn tokencast() -> Command {
    let mut cmd = Command::cargo_bin("tokencast").expect("the binary is built");
    cmd.env_remove("RUST_LOG");
    cmd
}

fn reference_path() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("scenarios/reference-coding-task.toml")
}

fn run_reference(out: &Path, extra: &[&str]) {
    tokencast()
        .arg("run")
        .arg(reference_path())
        .args(["--trials", "20000", "--seed", "3", "--out"])
        .arg(out)
        .args(extra)
        .assert()
        .success();
}

#[test]
fn run_writes_every_chart_and_the_report() {
    let dir = tempfile::tempdir().unwrap();
    run_reference(dir.path(), &[]);
    let html = fs::read_to_string(dir.path().join("report.html")).unwrap();
    // Figures read with thousands separators (mean tokens per task, trials).
    assert!(html.contains("20,000 trials, seed 3"), "trials grouped");
    let tokens = html
        .split("<td>")
        .filter_map(|c| c.split('<').next())
        .filter(|c| c.len() >= 5 && c.bytes().all(|b| b.is_ascii_digit()))
        .collect::<Vec<_>>();
    assert!(tokens.is_empty(), "numbers without separators: {tokens:?}");
    let summary: serde_json::Value =
        serde_json::from_str(&fs::read_to_string(dir.path().join("summary.json")).unwrap())
            .unwrap();
    let manifest: serde_json::Value =
        serde_json::from_str(&fs::read_to_string(dir.path().join("manifest.json")).unwrap())
            .unwrap();
    let files = manifest["files"].as_array().unwrap();
    for stem in CHARTS {
        let png = fs::read(dir.path().join(format!("{stem}.png"))).unwrap();
        let (w, h, pixels, _) = decode_png(&png);
        assert_eq!((w, h), (960, 540));
        assert!(pixels.iter().any(|&b| b != 255), "{stem}.png is blank");
        let svg = fs::read_to_string(dir.path().join(format!("{stem}.svg"))).unwrap();
        assert!(svg.starts_with("<svg") && svg.trim_end().ends_with("</svg>"));
        assert!(
            html.contains(&format!("<figure id=\"{stem}\"><svg")),
            "{stem} not in report"
        );
        for ext in ["png", "svg"] {
            assert!(files.iter().any(|f| f == format!("{stem}.{ext}").as_str()));
        }
    }
    assert!(files.iter().any(|f| f == "report.html"));
    // Labels are text in the SVG, with units and the percentiles of summary.json.
    let histogram = fs::read_to_string(dir.path().join("cost_histogram.svg")).unwrap();
    let cost = &summary["metrics"]["cost_usd"];
    for (label, key) in [("P50", "p50"), ("P90", "p90"), ("P99", "p99")] {
        let value = tokencast::report::charts::Unit::Usd.format(cost[key].as_f64().unwrap());
        assert!(
            histogram.contains(&format!("{label} {value}")),
            "{label} {value}"
        );
    }
    assert!(histogram.contains("Cost per task ($)") && histogram.contains("Share of trials (%)"));
    let exceedance = fs::read_to_string(dir.path().join("cost_exceedance.svg")).unwrap();
    assert!(exceedance.contains("Probability of exceeding (%)"));
    let breakdown = fs::read_to_string(dir.path().join("cost_breakdown.svg")).unwrap();
    for label in [
        "by token kind",
        "by phase",
        "by model",
        "explore",
        "fix",
        "cache_read",
    ] {
        assert!(
            breakdown.contains(label),
            "{label} missing from the breakdown"
        );
    }
    let convergence = fs::read_to_string(dir.path().join("cost_convergence.svg")).unwrap();
    assert!(convergence.contains("running mean") && convergence.contains("running P95"));
    // The report's figures: name, description, mean, manifest.
    assert!(html.contains("<h1>reference-coding-task</h1>"));
    assert!(html.contains("Reference coding-agent task: explore the repository"));
    let mean = cost["mean"].as_f64().unwrap();
    assert!(html.contains(&format!(
        "${}",
        tokencast::report::charts::style::significant(mean, 4)
    )));
    assert!(html.contains(manifest["scenario_sha256"].as_str().unwrap()));
    assert!(html.contains("seed 3") && html.contains("<h3>By phase</h3>"));
    for row in [
        "<td>calls</td>",
        "<td>cache read tokens</td>",
        "<td>output tokens</td>",
    ] {
        assert!(html.contains(row), "key figures lack {row}");
    }
    assert!(
        !html.contains("<td>reasoning tokens</td>"),
        "a kind never used is left out"
    );
    // Self-contained: nothing to fetch (the SVG namespace URI is a name, not a load).
    for load in ["src=", "<link", "<script", "url(", "<img", "@import"] {
        assert!(!html.contains(load), "report.html loads something: {load}");
    }
}

#[test]
fn no_charts_writes_the_report_without_them() {
    let dir = tempfile::tempdir().unwrap();
    // The charts of an earlier run would not match this one: they are removed; a PNG that
    // tokencast did not write is left alone.
    run_reference(dir.path(), &[]);
    fs::write(dir.path().join("mine.png"), "not ours").unwrap();
    run_reference(dir.path(), &["--no-charts"]);
    assert!(dir.path().join("mine.png").exists());
    for stem in CHARTS {
        assert!(!dir.path().join(format!("{stem}.png")).exists());
    }
    let html = fs::read_to_string(dir.path().join("report.html")).unwrap();
    assert!(!html.contains("<svg"));
}

#[test]
fn precision_equals_a_plain_run_of_the_trials_it_took() {
    let (a, b) = (tempfile::tempdir().unwrap(), tempfile::tempdir().unwrap());
    let out = tokencast()
        .arg("run")
        .arg(reference_path())
        .args(["--precision", "0.02", "--no-charts", "--out"])
        .arg(a.path())
        .assert()
        .success();
    let stdout = String::from_utf8(out.get_output().stdout.clone()).unwrap();
    let trials: u64 = stdout
        .split("reached after ")
        .nth(1)
        .and_then(|rest| rest.split(' ').next())
        .and_then(|n| n.parse().ok())
        .unwrap_or_else(|| panic!("no trial count in {stdout}"));
    tokencast()
        .arg("run")
        .arg(reference_path())
        .args([
            "--trials",
            &trials.to_string(),
            "--no-charts",
            "--threads",
            "1",
            "--out",
        ])
        .arg(b.path())
        .assert()
        .success();
    let read = |d: &Path| fs::read(d.join("summary.json")).unwrap();
    assert_eq!(read(a.path()), read(b.path()));
}

#[test]
fn a_bad_precision_is_bad_input() {
    for bad in ["0", "1.5", "-0.1", "NaN"] {
        tokencast()
            .arg("run")
            .arg(reference_path())
            .arg(format!("--precision={bad}"))
            .args(["--out", "/nonexistent/never"])
            .assert()
            .code(2)
            .stderr(predicates::str::contains("--precision"));
    }
}

#[test]
fn report_renders_in_headless_chromium() {
    let Some(browser) = chromium_or_skip("report_renders_in_headless_chromium") else {
        return;
    };
    let dir = tempfile::tempdir().unwrap();
    run_reference(dir.path(), &[]);
    let shot = dir.path().join("screenshot.png");
    let page = dir.path().join("report.html");
    screenshot(&browser, &page, &shot, 1100, 2400);
    let (w, h, pixels, channels) = decode_png(&fs::read(&shot).expect("a screenshot"));
    assert!(w >= 1000 && h >= 2000, "{w}x{h}");
    let (inked, blue) = inked_and_blue(&pixels, channels);
    assert!(
        inked as f64 > 0.02 * (pixels.len() / channels) as f64,
        "screenshot is blank"
    );
    assert!(blue > 5_000, "no chart visible: {blue} blue pixels");

    // The DOM as rendered holds every chart's SVG.
    let dom = dump_dom(&browser, &page);
    for stem in CHARTS {
        assert!(
            dom.contains(&format!("id=\"{stem}\"")),
            "{stem} not in the DOM"
        );
    }
    assert_eq!(dom.matches("<svg").count(), CHARTS.len());
}
