//! `tokencast sweep` with budgets: each point's P(some month over its monthly budget) and its
//! riskiest month, exact on a deterministic organisation and equal to the point's own forecast;
//! the chart draws the annual budget and names its axis in words; sweeping an input the file
//! gives as a distribution says that each point replaces it by a fixed value.

use std::path::{Path, PathBuf};

use assert_cmd::Command;
use tokencast::forecast::sweep::{self, SweepAxis};
use tokencast::forecast::{Forecast, ForecastConfig, ForecastSummary, Override, Record, simulate};

/// Ten users, each running exactly `20 k` two-model tasks a month ($0.3 of usage per task a
/// day after the 20% discount: `6 k` a month), `k` drawn per trial from {1, 2, 3, 4}, and a
/// seat fee: a month's bill is `6 k + 10 × seat_fee`.
fn org(dir: &Path) -> PathBuf {
    let task = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/forecasts/two-model-task.toml");
    let text = format!(
        r#"[forecast]
start = "2027-01"
months = 3
[seats]
table = [ {{ month = 1, seats = 10 }} ]
[usage]
active_share = 1
tasks_per_day = {{ uniform_int = {{ min = 1, max = 4 }} }}
counts = "fixed"
[calendar]
working_days = 20
[[tasks]]
name = "two models"
scenario = "{}"
weight = 1
[billing]
discount = 0.2
seat_fee = 3
[aggregation]
pool_size = 64
[budget]
monthly = 50
annual = 150
"#,
        task.display()
    );
    let file = dir.join("org.toml");
    std::fs::write(&file, text).unwrap();
    file
}

const CONFIG: ForecastConfig = ForecastConfig {
    trials: 2000,
    seed: 9,
    threads: Some(2),
    record: Record::EveryTrial,
};

#[test]
fn each_point_gives_its_monthly_budget_risks_exactly() {
    let dir = tempfile::tempdir().unwrap();
    let file = org(dir.path());
    let axes = [SweepAxis::parse("billing.seat_fee=1,3,5").unwrap()];
    let points = sweep::run(&file, &[], &axes, &CONFIG, None).unwrap();
    // The month's bill passes 50 iff 6k + 10 fee > 50: never at $1, k = 4 at $3, always at $5.
    let f = Forecast::load(&file, &[], None, Some(2)).unwrap();
    let run = simulate::run(&f.model, &CONFIG).unwrap();
    let j = f.model.tasks_per_day;
    let fours = (0..CONFIG.trials as usize)
        .filter(|&t| run.inputs[t * run.input_count + j] == 4.0)
        .count() as f64
        / CONFIG.trials as f64;
    let expected = [0.0, fours, 1.0];
    for (p, e) in points.iter().zip(expected) {
        let any = p.p_any_month_over.unwrap();
        assert_eq!(any.p, e, "seat fee {}", p.values[0]);
        match &p.riskiest_month {
            None => assert_eq!(e, 0.0, "no riskiest month when no month is ever over"),
            Some(r) => {
                // Every month has the same bill: the earliest is the riskiest.
                assert_eq!(
                    (r.period.as_str(), r.budget, r.p_exceed),
                    ("2027-01", 50.0, e)
                );
            }
        }
        // The point is the forecast with the value set.
        let set = [Override::parse(&format!("billing.seat_fee={}", p.values[0])).unwrap()];
        let g = Forecast::load(&file, &set, None, Some(2)).unwrap();
        let s = ForecastSummary::new(&g, &simulate::run(&g.model, &CONFIG).unwrap());
        assert_eq!(s.budget.p_any_month_over, p.p_any_month_over);
        assert_eq!(p.year1_label, "2027");
    }
    assert!((fours - 0.25).abs() < 4.0 * (0.25 * 0.75 / CONFIG.trials as f64).sqrt());
    let csv = tokencast::report::forecast_extras::sweep_csv(&axes, &points);
    let lines: Vec<&str> = csv.lines().collect();
    assert!(lines[0].ends_with(
        "p_any_month_over_budget,p_any_month_over_budget_se,riskiest_month,riskiest_month_budget,riskiest_month_p_over,riskiest_month_p_over_se"
    ));
    assert!(lines[1].ends_with(",0.000000,0.000000,,,,"), "{}", lines[1]);
    assert!(
        lines[3].ends_with(",1.000000,0.000000,2027-01,50.00,1.000000,0.000000"),
        "{}",
        lines[3]
    );
    // The chart: the annual budget as a line, the axis in words with its path.
    let chart = tokencast::report::forecast_extras::sweep_chart(&axes, &points, &[]).unwrap();
    assert_eq!(
        chart.x_description,
        "Fee per seat per month (billing.seat_fee)"
    );
    assert_eq!(chart.y_description, "2027 bill");
    let limit = chart.limit.as_ref().unwrap();
    assert_eq!(
        (limit.name.as_str(), limit.value),
        ("annual budget 2027", 150.0)
    );
    let svg = tokencast::report::charts::render_svg(&chart).unwrap();
    assert!(
        svg.contains("annual budget 2027 $150"),
        "the legend names the budget"
    );
    assert!(svg.contains("passes it at"), "the P90 passes the budget");
}

#[test]
fn sweeping_an_uncertain_input_says_its_distribution_was_replaced() {
    let dir = tempfile::tempdir().unwrap();
    let file = org(dir.path());
    let text = sweep::base_text(&file, &[]).unwrap();
    let axes = [
        SweepAxis::parse("usage.tasks_per_day=1,2").unwrap(),
        SweepAxis::parse("billing.seat_fee=1,3").unwrap(),
    ];
    let replaced = sweep::replaced_distributions(&text, &axes);
    assert_eq!(replaced.len(), 1, "the seat fee is a number");
    assert_eq!(replaced[0].path, "usage.tasks_per_day");
    assert!(replaced[0].distribution.contains("uniform_int"));
    // Fixed by --set before the sweep: nothing is replaced.
    let fixed = sweep::base_text(&file, &[Override::parse("usage.tasks_per_day=2").unwrap()]);
    assert!(sweep::replaced_distributions(&fixed.unwrap(), &axes).is_empty());

    let out = dir.path().join("out");
    let assert = Command::cargo_bin("tokencast")
        .unwrap()
        .args([
            "sweep",
            "-n",
            "20",
            "--param",
            "usage.tasks_per_day=1,2",
            "--out",
        ])
        .arg(&out)
        .arg(&file)
        .assert()
        .success();
    let stdout = String::from_utf8_lossy(&assert.get_output().stdout).to_string();
    assert!(
        stdout.contains("note: usage.tasks_per_day is uncertain in the file ({ uniform_int = {")
            && stdout
                .contains("each sweep point replaces that distribution by the swept fixed value"),
        "{stdout}"
    );
    let svg = std::fs::read_to_string(out.join("sweep.svg")).unwrap();
    assert!(
        svg.contains("replacing the file&apos;s distribution")
            || svg.contains("replacing the file's distribution"),
        "{svg}"
    );
}

#[test]
fn the_sweep_chart_names_a_swept_file_by_its_stem_in_words() {
    // A second axis of task files: each line is named by the file's stem, not its path, and
    // without underscores.
    let dir = tempfile::tempdir().unwrap();
    let file = org(dir.path());
    let task = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/forecasts/two-model-task.toml");
    for stem in ["quick_fix", "long_feature"] {
        std::fs::copy(&task, dir.path().join(format!("{stem}.toml"))).unwrap();
    }
    let quick = dir.path().join("quick_fix.toml");
    let long = dir.path().join("long_feature.toml");
    let axes = [
        SweepAxis::parse("billing.seat_fee=1,3").unwrap(),
        SweepAxis::parse(&format!(
            "tasks[0].scenario=\"{}\",\"{}\"",
            quick.display(),
            long.display()
        ))
        .unwrap(),
    ];
    let config = ForecastConfig {
        trials: 200,
        ..CONFIG
    };
    let points = sweep::run(&file, &[], &axes, &config, None).unwrap();
    let chart = tokencast::report::forecast_extras::sweep_chart(&axes, &points, &[]).unwrap();
    let names: Vec<&str> = chart.lines.iter().map(|l| l.name.as_str()).collect();
    assert_eq!(
        names,
        [
            "mean, scenario of task kind 1 = quick fix",
            "P90, scenario of task kind 1 = quick fix",
            "mean, scenario of task kind 1 = long feature",
            "P90, scenario of task kind 1 = long feature",
        ]
    );
}
