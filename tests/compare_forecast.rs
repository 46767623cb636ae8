//! `tokencast compare FORECAST`: every bill of a forecast on the same futures, every pair's
//! paired difference, and the break-even of every pair along one input with its 95% interval.
//! Exact on a deterministic organisation (a hand-computed crossing), the mix's weights add up
//! in the bills, the same at any thread count, and bad input refused with exit 2.

use std::path::Path;

use assert_cmd::Command;
use serde_json::Value;

fn tokencast() -> Command {
    Command::cargo_bin("tokencast").expect("the binary is built")
}

const CONSTANT_TASK: &str = "tests/forecasts/constant-task.toml";

/// 10 seats, all active, a fixed number of tasks per working day (20 a month) of the constant
/// task ($0.0105 at list prices): the basic bill is 10 × 20 × x × 0.0105 = 2.1·x a month at x
/// tasks per day. The seat plan includes everything for $0.945 a seat: $9.45 a month. They
/// break even at x = 9.45 / 2.1 = 4.5 tasks per day, in every month and so over the horizon.
const ORG: &str = r#"
[forecast]
start = "2027-01"
months = 14
[seats]
table = [ { month = 1, seats = 10 } ]
[usage]
active_share = 1
tasks_per_day = 2
counts = "fixed"
[calendar]
working_days = 20
[[tasks]]
name = "a"
scenario = "constant-task.toml"
weight = 1
[billing]
discount = 0
[billing.seats]
seats = { usd_per_seat = 0.945, allowance = { usd = 1000 }, beyond = "api_prices" }
[aggregation]
pool_size = 16
"#;

fn write_org(dir: &Path, text: &str) -> std::path::PathBuf {
    std::fs::copy(CONSTANT_TASK, dir.join("constant-task.toml")).unwrap();
    let file = dir.join("org.toml");
    std::fs::write(&file, text).unwrap();
    file
}

fn compare(file: &Path, out: &Path, extra: &[&str]) -> Value {
    let assert = tokencast()
        .arg("compare")
        .arg(file)
        .arg("-o")
        .arg(out)
        .args(extra)
        .assert()
        .success();
    let stdout = String::from_utf8_lossy(&assert.get_output().stdout).to_string();
    assert!(stdout.contains("break-even along"), "{stdout}");
    serde_json::from_str(&std::fs::read_to_string(out.join("compare.json")).unwrap()).unwrap()
}

#[test]
fn a_deterministic_organisation_breaks_even_where_the_hand_computation_says() {
    let dir = tempfile::tempdir().unwrap();
    let file = write_org(dir.path(), ORG);
    let out = dir.path().join("out");
    let assert = tokencast()
        .args(["compare"])
        .arg(&file)
        .arg("-o")
        .arg(&out)
        .args([
            "-n",
            "20",
            "--along",
            "usage.tasks_per_day=1..9",
            "--along-trials",
            "20",
        ])
        .assert()
        .success();
    let stdout = String::from_utf8_lossy(&assert.get_output().stdout).to_string();
    let json: Value =
        serde_json::from_str(&std::fs::read_to_string(out.join("compare.json")).unwrap()).unwrap();
    // At x = 2 (the file): basic 4.20 a month, seats 9.45: basic − seats = −5.25 a month in
    // every future.
    let pair = &json["pairs"][0];
    assert_eq!(
        (pair["a"].as_str(), pair["b"].as_str()),
        (Some("basic"), Some("seats"))
    );
    assert!((pair["total"]["mean_difference"].as_f64().unwrap() + 14.0 * 5.25).abs() < 1e-9);
    assert!(pair["total"]["se"].as_f64().unwrap() < 1e-9);
    assert_eq!(pair["total"]["p_cheaper"]["p"].as_f64(), Some(1.0));
    let along = &json["along"];
    assert_eq!(along["current"].as_f64(), Some(2.0));
    let total: Vec<&Value> = along["break_even"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|b| b["period"] == "total")
        .collect();
    assert_eq!(total.len(), 1);
    let crossings = total[0]["crossings"].as_array().unwrap();
    assert_eq!(crossings.len(), 1, "{crossings:?}");
    let c = &crossings[0];
    for key in ["x", "low", "high"] {
        let v = c[key].as_f64().unwrap();
        assert!((v - 4.5).abs() < 1e-9, "{key} = {v}");
    }
    assert_eq!(c["a_cheaper_below"].as_bool(), Some(true));
    // Every year breaks even at the same point.
    for b in along["break_even"].as_array().unwrap() {
        let x = b["crossings"][0]["x"].as_f64().unwrap();
        assert!((x - 4.5).abs() < 1e-9, "{b}");
    }
    assert!(
        stdout.contains(
            "basic bill is cheaper than seats below 4.5 tasks per active user per working day"
        ),
        "{stdout}"
    );
    let csv = std::fs::read_to_string(out.join("compare_break_even.csv")).unwrap();
    assert!(csv.starts_with("a,b,period,along,break_even,ci95_low,ci95_high"));
    assert!(
        csv.lines()
            .nth(1)
            .unwrap()
            .starts_with("basic,seats,total,usage.tasks_per_day,4.5")
    );
    for f in [
        "compare_pairs.csv",
        "compare_along.csv",
        "compare_break_even.svg",
        "compare_break_even.png",
        "report.html",
        "manifest.json",
    ] {
        assert!(out.join(f).is_file(), "{f}");
    }
    let page = std::fs::read_to_string(out.join("report.html")).unwrap();
    assert!(
        page.contains("Basic bill is cheaper than seats below 4.5"),
        "the page states the break-even"
    );
}

/// 100 seats, all active, 2 tasks a working day of the constant task: 4,000 tasks a month,
/// $42 at list prices. Compute hours sized to the full peak (no month spills, so the bill is
/// units × $0.01 × 730 hours = $7.30 a unit): along the capacity of a unit, the units needed
/// fall one by one, so compute hours minus list prices is a step function, and it changes
/// sign where the sixth unit stops being needed.
const STEP_ORG: &str = r#"
[forecast]
start = "2027-01"
months = 1
[seats]
table = [ { month = 1, seats = 100 } ]
[usage]
active_share = 1
tasks_per_day = 2
counts = "fixed"
[calendar]
working_days = 20
[[tasks]]
name = "a"
scenario = "constant-task.toml"
weight = 1
[billing]
discount = 0
[billing.gpu]
compute_hours = { usd_per_unit_hour = 0.01, tokens_per_minute_per_unit = 200, size_to_peak_percentile = 100 }
[aggregation]
pool_size = 16
"#;

#[test]
fn a_crossing_at_a_provisioned_unit_is_stated_as_a_step_with_its_bracket() {
    let dir = tempfile::tempdir().unwrap();
    let file = write_org(dir.path(), STEP_ORG);
    let out = dir.path().join("out");
    let along = "billing.gpu.compute_hours.tokens_per_minute_per_unit=100..400";
    let assert = tokencast()
        .arg("compare")
        .arg(&file)
        .arg("-o")
        .arg(&out)
        .args(["-n", "20", "--along", along, "--along-trials", "20"])
        .assert()
        .success();
    let stdout = String::from_utf8_lossy(&assert.get_output().stdout).to_string();
    let json: Value =
        serde_json::from_str(&std::fs::read_to_string(out.join("compare.json")).unwrap()).unwrap();
    let total: Vec<&Value> = json["along"]["break_even"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|b| b["period"] == "total")
        .collect();
    let crossings = total[0]["crossings"].as_array().unwrap();
    assert_eq!(crossings.len(), 1, "{crossings:?}");
    let c = &crossings[0];
    // Basic (list prices) is cheaper while six units are needed: $42 against $43.80; from
    // the capacity at which five do, compute hours are: $36.50.
    assert_eq!(c["a_cheaper_below"].as_bool(), Some(true));
    let (below, above) = (
        c["step"]["below"].as_f64().unwrap(),
        c["step"]["above"].as_f64().unwrap(),
    );
    assert!((below - (42.0 - 6.0 * 7.3)).abs() < 1e-9, "{below}");
    assert!((above - (42.0 - 5.0 * 7.3)).abs() < 1e-9, "{above}");
    // No zero-width interval: the step lies in its bracket, which each of the three rounds of
    // refinement at least halves (from the sweep's 37.5 between points).
    let (low, high) = (c["low"].as_f64().unwrap(), c["high"].as_f64().unwrap());
    assert_eq!(
        (low, high),
        (
            c["bracket"][0].as_f64().unwrap(),
            c["bracket"][1].as_f64().unwrap()
        )
    );
    assert!(high > low && high - low <= 37.5 / 8.0, "{low} to {high}");
    let csv = std::fs::read_to_string(out.join("compare_break_even.csv")).unwrap();
    assert!(csv.lines().next().unwrap().ends_with(",step"), "{csv}");
    assert!(
        csv.lines()
            .any(|l| l.starts_with("basic,gpu,total,") && l.ends_with(",true")),
        "{csv}"
    );
    assert!(
        stdout.contains("basic bill is cheaper than gpu below about")
            && stdout.contains("a step, not a gradual crossing (basic bill is cheaper by $1.80 at"),
        "{stdout}"
    );
}

#[test]
fn each_lever_is_every_pair_under_a_stress_case() {
    // Prices halved: the basic bill is $2.10 a month, the seat plan still $9.45 (its fee is
    // not a token price): basic − seats = 14 × (2.10 − 9.45) = −102.90; the base −73.50.
    let dir = tempfile::tempdir().unwrap();
    let text = format!("{ORG}\n[[stress]]\nname = \"prices halved\"\nprices = 0.5\n");
    let file = write_org(dir.path(), &text);
    let out = dir.path().join("out");
    let json = compare(
        &file,
        &out,
        &[
            "-n",
            "10",
            "--along",
            "usage.tasks_per_day=1,9",
            "--along-trials",
            "10",
        ],
    );
    let levers = json["levers"].as_array().unwrap();
    assert_eq!(levers.len(), 2);
    assert_eq!(levers[0]["case"], "base");
    assert_eq!(levers[1]["case"], "prices halved");
    let d = |i: usize| {
        levers[i]["pairs"][0]["total"]["mean_difference"]
            .as_f64()
            .unwrap()
    };
    assert!((d(0) + 73.5).abs() < 1e-9, "{}", d(0));
    assert!((d(1) + 102.9).abs() < 1e-9, "{}", d(1));
    let csv = std::fs::read_to_string(out.join("compare_levers.csv")).unwrap();
    let row = csv
        .lines()
        .find_map(|l| l.strip_prefix("prices halved,basic,seats,total,"))
        .unwrap_or_else(|| panic!("{csv}"));
    let v: f64 = row.split(',').next().unwrap().parse().unwrap();
    assert!((v + 102.9).abs() < 1e-9, "{row}");
    let page = std::fs::read_to_string(out.join("report.html")).unwrap();
    assert!(
        page.contains(
            "<b>prices halved</b> moves it most over the whole forecast, from −$73.50 to −$103 \
             (the basic bill is cheaper by $103 on average under it)"
        ),
        "the page names the lever"
    );
    // --no-stress leaves them out.
    let json = compare(
        &file,
        &dir.path().join("out2"),
        &[
            "-n",
            "10",
            "--no-stress",
            "--along",
            "usage.tasks_per_day=1,9",
        ],
    );
    assert!(json["levers"].as_array().unwrap().is_empty());
}

#[test]
fn the_mix_weights_add_up_in_every_bill() {
    // Two kinds at weights 1 and 3: a quarter of the tasks cost $0.0105 (the constant task) and
    // three quarters twice that (the same task at doubled prices): $0.0105 × 1.75 per task on
    // average, 400 tasks a month: $7.35 a month, $102.90 over 14 months.
    let dir = tempfile::tempdir().unwrap();
    let doubled = std::fs::read_to_string(CONSTANT_TASK)
        .unwrap()
        .replace("input = 3.0", "input = 6.0")
        .replace("output = 15.0", "output = 30.0");
    std::fs::write(dir.path().join("doubled.toml"), doubled).unwrap();
    let text = ORG.replace(
        "[billing]",
        "[[tasks]]\nname = \"b\"\nscenario = \"doubled.toml\"\nweight = 3\n[billing]",
    );
    let file = write_org(dir.path(), &text);
    let json = compare(
        &file,
        &dir.path().join("out"),
        &[
            "-n",
            "4000",
            "--along",
            "usage.tasks_per_day=1,2",
            "--along-trials",
            "200",
        ],
    );
    let basic = &json["bills"][0];
    assert_eq!(basic["name"], "basic");
    let (mean, se) = (
        basic["total"]["mean"].as_f64().unwrap(),
        basic["total"]["se"].as_f64().unwrap(),
    );
    let exact = 14.0 * 400.0 * 0.0105 * 1.75;
    assert!(se > 0.0 && se < 0.01 * exact, "se {se}");
    assert!(
        (mean - exact).abs() < 4.0 * se,
        "mean {mean} ± {se}, exact {exact}"
    );
    // The seat plan is the same flat $9.45 whatever the mix.
    let seats = &json["bills"][1];
    assert!((seats["total"]["mean"].as_f64().unwrap() - 14.0 * 9.45).abs() < 1e-9);
}

#[test]
fn the_comparison_does_not_depend_on_threads() {
    let dir = tempfile::tempdir().unwrap();
    let run = |threads: &str| {
        let out = dir.path().join(format!("t{threads}"));
        compare(
            Path::new("scenarios/org-forecast.toml"),
            &out,
            &[
                "-n",
                "300",
                "--along-trials",
                "100",
                "-t",
                threads,
                "--along",
                "usage.active_share=0.4..0.9:3",
            ],
        );
        [
            "compare.json",
            "compare_pairs.csv",
            "compare_along.csv",
            "compare_break_even.csv",
        ]
        .map(|f| std::fs::read(out.join(f)).unwrap())
    };
    assert!(
        run("1") == run("2"),
        "the outputs differ between 1 and 2 threads"
    );
}

#[test]
fn the_default_output_lies_beside_the_forecast_s_own() {
    // `compare org.toml` once replaced output/org/, the forecast's report, with its own files.
    let dir = tempfile::tempdir().unwrap();
    let file = write_org(dir.path(), ORG);
    tokencast()
        .current_dir(dir.path())
        .args(["compare", "org.toml", "-n", "10", "--no-sweep"])
        .assert()
        .success();
    assert!(dir.path().join("output/org-compare/compare.json").is_file());
    assert!(!dir.path().join("output/org").exists());
    assert!(file.is_file());
}

#[test]
fn bad_input_is_refused_with_exit_2_and_a_reason() {
    let dir = tempfile::tempdir().unwrap();
    let one_bill = ORG.replace(
        "[billing.seats]\nseats = { usd_per_seat = 0.945, allowance = { usd = 1000 }, beyond = \"api_prices\" }\n",
        "",
    );
    let file = write_org(dir.path(), &one_bill);
    let cases: Vec<(Vec<String>, &str)> = vec![
        (
            vec![file.display().to_string()],
            "expected at least two bills to compare, found one",
        ),
        (
            vec![
                "scenarios/org-forecast.toml".into(),
                "--along".into(),
                "usage.tasks_per_dya=1..3".into(),
            ],
            "tasks_per_dya",
        ),
        (
            vec![
                "scenarios/org-forecast.toml".into(),
                "--along".into(),
                "usage.tasks_per_day=3..1".into(),
            ],
            "LO must be below HI",
        ),
        (
            vec![
                "scenarios/org-forecast.toml".into(),
                "--along".into(),
                "forecast.name".into(),
            ],
            "not a number in the file",
        ),
        // A value the file refuses inside the swept range, refused before any trial runs
        // (it was found at the third point, after the comparison had run, and said `--set`).
        (
            vec![
                "scenarios/org-forecast.toml".into(),
                "--along".into(),
                "usage.active_share=0.5..1.5".into(),
            ],
            "--along usage.active_share: the value 1.125 is refused: usage.active_share: expected a value in [0, 1], found 1.125",
        ),
        (
            vec![
                "scenarios/pricing-comparison.toml".into(),
                "--set".into(),
                "workload.seats=3".into(),
            ],
            "--set, --along-trials and --no-stress apply to forecasts",
        ),
    ];
    for (args, says) in cases {
        let out = dir.path().join("never");
        let assert = tokencast()
            .arg("compare")
            .args(&args)
            .arg("-o")
            .arg(&out)
            .assert()
            .code(2);
        let stderr = String::from_utf8_lossy(&assert.get_output().stderr).to_string();
        assert!(stderr.contains(says), "{args:?}: {stderr}");
        // Refused before the output directory is opened, hence before any trial runs.
        assert!(!out.exists(), "{args:?} opened its output directory");
    }
}
