//! The bill by task kind and by model: exact on a deterministic organisation, the parts adding
//! up to the bill month by month and year by year, the same at any thread count, and the CSV
//! files adding up to `monthly.csv`.

mod common;

use common::forecast::{load, run as run_on};
use tokencast::forecast::{ForecastRun, ForecastSummary};
use tokencast::report::forecast::monthly_csv;
use tokencast::report::forecast_split::{FIXED_PART, SplitBy, split_csv};

/// Runs `text` with seed 11.
fn simulate(
    text: &str,
    trials: u64,
    threads: usize,
) -> (tokencast::forecast::Forecast, ForecastRun) {
    let f = load(text, &[]);
    let r = run_on(&f, trials, 11, threads);
    (f, r)
}

fn close(a: f64, b: f64, what: &str) {
    assert!(
        (a - b).abs() <= 1e-9 * b.abs().max(1e-9),
        "{what}: {a} against {b}"
    );
}

/// Ten users running exactly 40 two-model tasks a month each: 400 tasks of $0.0375 list
/// ($0.035 on `big`, $0.0025 on `small`), 20% off, and a $3 seat fee.
const FIXED_ORG: &str = r#"
[forecast]
start = "2027-01"
months = 3
[seats]
table = [ { month = 1, seats = 10 } ]
[usage]
active_share = 1
tasks_per_day = 2
counts = "fixed"
[calendar]
working_days = 20
[[tasks]]
name = "two models"
scenario = "two-model-task.toml"
weight = 1
[billing]
discount = 0.2
seat_fee = 3
[aggregation]
pool_size = 64
"#;

#[test]
fn a_deterministic_organisation_splits_exactly_by_task_and_model() {
    let (f, run) = simulate(FIXED_ORG, 200, 2);
    let s = ForecastSummary::new(&f, &run);
    // Usage: 400 × 0.0375 × 0.8 = 12; big's share of the list cost 0.035 / 0.0375 = 14/15.
    for m in &s.monthly {
        close(m.bill.mean, 42.0, "bill");
        close(m.fixed_charges.mean, 30.0, "fixed charges");
        let task = &m
            .bill_by_task
            .get("two models")
            .expect("the kind by name")
            .mean;
        close(*task, 12.0, "usage of the kind");
        let names: Vec<&str> = m.bill_by_model.0.iter().map(|(n, _)| n.as_str()).collect();
        assert_eq!(names, ["big", "small"], "models named, in model order");
        let big = m.bill_by_model.get("big").unwrap();
        let small = m.bill_by_model.get("small").unwrap();
        close(big.mean, 12.0 * 14.0 / 15.0, "big");
        close(small.mean, 12.0 / 15.0, "small");
        // Every trial is the same (to rounding): so are the percentiles.
        for d in [big, small, &m.fixed_charges] {
            for p in [d.p50, d.p90, d.p99, d.max] {
                close(p, d.mean, "a percentile");
            }
        }
    }
    let y = &s.years[0];
    close(
        y.bill_by_model.get("big").unwrap().mean,
        3.0 * 11.2,
        "big's year",
    );
    close(y.fixed_charges.mean, 90.0, "fixed charges of the year");
}

/// A small organisation with uncertain inputs, three task kinds on four models, a seat fee and a
/// commitment (fixed charges), over 15 months (a partial second year).
const ORG: &str = r#"
[forecast]
start = "2027-11"
months = 15
[seats]
logistic = { capacity = 120, midpoint = 4, rate = { uniform = { min = 0.4, max = 0.9 } } }
[usage]
active_share = { uniform = { min = 0.5, max = 0.9 } }
tasks_per_day = 2
dispersion = 2
intensity_sigma = 0.5
[[tasks]]
name = "bug fix"
scenario = "../../scenarios/reference-coding-task.toml"
weight = 2
[[tasks]]
name = "const"
scenario = "constant-task.toml"
weight = 1
[[tasks]]
name = "two models"
scenario = "two-model-task.toml"
weight = 1
[drift]
price = -0.01
[billing]
commitment = { monthly = 150, discount = 0.2 }
seat_fee = 2.5
[aggregation]
pool_size = 2048
"#;

#[test]
fn the_parts_add_up_to_the_bill_in_every_month_and_year() {
    let (f, run) = simulate(ORG, 1500, 2);
    let s = ForecastSummary::new(&f, &run);
    assert!(s.monthly.iter().any(|m| m.fixed_charges.mean > 0.0));
    for m in &s.monthly {
        let tasks: f64 = m.bill_by_task.0.iter().map(|(_, d)| d.mean).sum();
        let models: f64 = m.bill_by_model.0.iter().map(|(_, d)| d.mean).sum();
        close(tasks + m.fixed_charges.mean, m.bill.mean, "by task");
        close(models + m.fixed_charges.mean, m.bill.mean, "by model");
        // A model that only one kind uses is that kind's part, value for value.
        assert_eq!(m.bill_by_model.get("m"), m.bill_by_task.get("const"));
        for (name, d) in m.bill_by_model.0.iter().chain(&m.bill_by_task.0) {
            assert!(
                d.min <= d.p50 && d.p50 <= d.p90 && d.p90 <= d.p99 && d.p99 <= d.max,
                "{name}: {d:?}"
            );
        }
    }
    assert_eq!(s.years.len(), 2);
    for y in &s.years {
        let tasks: f64 = y.bill_by_task.0.iter().map(|(_, d)| d.mean).sum();
        let models: f64 = y.bill_by_model.0.iter().map(|(_, d)| d.mean).sum();
        close(tasks + y.fixed_charges.mean, y.bill.mean, "year by task");
        close(models + y.fixed_charges.mean, y.bill.mean, "year by model");
    }
    let names: Vec<&str> = s.monthly[0]
        .bill_by_model
        .0
        .iter()
        .map(|(n, _)| n.as_str())
        .collect();
    assert_eq!(names, ["sonnet", "m", "big", "small"]);
    // The same bits at any thread count.
    let one = run_on(&f, 1500, 11, 1);
    assert_eq!(one.split, run.split);
}

#[test]
fn the_split_files_add_up_to_monthly_csv() {
    let (f, run) = simulate(ORG, 300, 2);
    let s = ForecastSummary::new(&f, &run);
    let monthly = monthly_csv(&s);
    let header: Vec<&str> = monthly.lines().next().unwrap().split(',').collect();
    let bill_col = header.iter().position(|c| *c == "bill_mean").unwrap();
    let bills: Vec<f64> = monthly
        .lines()
        .skip(1)
        .map(|l| l.split(',').nth(bill_col).unwrap().parse().unwrap())
        .collect();
    for by in [SplitBy::Model, SplitBy::Task] {
        let csv = split_csv(&s, by);
        let mut sums = vec![0.0; bills.len()];
        let mut fixed_rows = 0;
        for line in csv.lines().skip(1) {
            let cells: Vec<&str> = line.split(',').collect();
            let month: usize = cells[0].parse().unwrap();
            sums[month - 1] += cells[3].parse::<f64>().unwrap();
            fixed_rows += (cells[2] == FIXED_PART) as usize;
        }
        assert_eq!(
            fixed_rows,
            bills.len(),
            "{by:?}: one fixed-charges row a month"
        );
        for (m, (sum, bill)) in sums.iter().zip(&bills).enumerate() {
            // Each row is rounded to the cent.
            assert!(
                (sum - bill).abs() <= 0.03,
                "{by:?} month {}: {sum} vs {bill}",
                m + 1
            );
        }
    }
}
