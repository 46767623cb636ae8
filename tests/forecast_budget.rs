//! Budgets as finance sets them: monthly schedules (per month, per fiscal quarter), fiscal
//! years and their totals, the month the annual budget runs out (exact on deterministic
//! organisations), and errors placed at file:line:column.

mod common;

use tokencast::forecast::{Forecast, ForecastSummary, Record, simulate};

fn load(text: &str) -> Result<Forecast, String> {
    common::forecast::try_load("budget.toml", text)
}

fn run(
    text: &str,
    trials: u64,
    record: Record,
) -> (Forecast, ForecastSummary, simulate::ForecastRun) {
    let f = load(text).unwrap_or_else(|e| panic!("{e}"));
    let r = common::forecast::run_recording(&f, trials, 5, 2, record);
    let s = ForecastSummary::new(&f, &r);
    (f, s, r)
}

fn close(a: f64, b: f64, what: &str) {
    assert!(
        (a - b).abs() <= 1e-9 * b.abs().max(1.0),
        "{what}: {a} against {b}"
    );
}

/// Ten users running exactly `2 × 20` two-model tasks a month each ($0.0375 list each, 20%
/// off: $12 of usage) and a $3 seat fee: $42 every month, from January 2027. `BUDGET` is
/// replaced by each test's `[budget]` table.
const ORG: &str = r#"[forecast]
start = "2027-01"
months = MONTHS
[seats]
table = [ { month = 1, seats = 10 } ]
[usage]
active_share = 1
tasks_per_day = TASKS
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
[budget]
BUDGET
"#;

fn org(months: u32, budget: &str) -> String {
    ORG.replace("MONTHS", &months.to_string())
        .replace("TASKS", "2")
        .replace("BUDGET", budget)
}

#[test]
fn a_monthly_schedule_by_month_or_by_fiscal_quarter_sets_each_months_check() {
    // By month: 40 below the $42 bill, 50 above, alternately.
    let list: Vec<&str> = (0..6)
        .map(|m| if m % 2 == 0 { "40" } else { "50" })
        .collect();
    let (_, s, _) = run(
        &org(6, &format!("monthly = [{}]", list.join(", "))),
        64,
        Record::FirstTrials,
    );
    for (m, month) in s.monthly.iter().enumerate() {
        let b = month.monthly_budget.unwrap();
        assert_eq!(b.budget, if m % 2 == 0 { 40.0 } else { 50.0 });
        assert_eq!(b.p_exceed, if m % 2 == 0 { 1.0 } else { 0.0 }, "month {m}");
    }
    assert_eq!(s.budget.monthly_form, Some("per_month"));
    assert_eq!(s.budget.p_any_month_over.unwrap().p, 1.0);
    assert_eq!(s.budget.riskiest_month.as_ref().unwrap().period, "2027-01");
    // By fiscal quarter, years from April: 2027-01..03 is Q4 FY2027, then Q1..Q4 FY2028, then
    // Q1 FY2029 (2028-04..05): six quarters for 17 months.
    let (_, s, _) = run(
        &org(
            17,
            "fiscal_year_start = \"April\"\nmonthly = { by_quarter = [41, 43, 41, 43, 41, 43] }",
        ),
        64,
        Record::FirstTrials,
    );
    let expected = [
        41.0, 41.0, 41.0, 43.0, 43.0, 43.0, 41.0, 41.0, 41.0, 43.0, 43.0, 43.0, 41.0, 41.0, 41.0,
        43.0, 43.0,
    ];
    for (month, want) in s.monthly.iter().zip(expected) {
        let b = month.monthly_budget.unwrap();
        assert_eq!(b.budget, want, "{}", month.period);
        assert_eq!(b.p_exceed, if want < 42.0 { 1.0 } else { 0.0 });
    }
    assert_eq!(s.budget.monthly_form, Some("per_quarter"));
    let monthly = s.budget.monthly.as_ref().unwrap();
    assert_eq!(monthly.get("2027-04"), Some(&43.0));
    // The years: the partial FY2027, FY2028, and the start of FY2029; any month over per year.
    let labels: Vec<&str> = s.years.iter().map(|y| y.label.as_str()).collect();
    assert_eq!(labels, ["FY2027", "FY2028", "FY2029"]);
    let any: Vec<f64> = s
        .years
        .iter()
        .map(|y| y.p_any_month_over_budget.unwrap().p)
        .collect();
    assert_eq!(
        any,
        [1.0, 1.0, 0.0],
        "FY2029 (2028-04, 2028-05) stays within 43"
    );
}

#[test]
fn fiscal_years_set_the_years_their_totals_and_their_budgets() {
    let (f, s, _) = run(
        &org(15, "fiscal_year_start = 4\nannual = [100, 600]"),
        64,
        Record::FirstTrials,
    );
    assert_eq!(f.model.fiscal.years, vec![0..3, 3..15]);
    let y: Vec<(&str, [usize; 2], bool)> = s
        .years
        .iter()
        .map(|y| (y.label.as_str(), y.months, y.partial))
        .collect();
    assert_eq!(y, [("FY2027", [1, 3], true), ("FY2028", [4, 15], false)]);
    assert_eq!(
        s.years[0].periods,
        ["2027-01".to_string(), "2027-03".into()]
    );
    close(s.years[0].bill.mean, 3.0 * 42.0, "FY2027's total");
    close(s.years[1].bill.mean, 12.0 * 42.0, "FY2028's total");
    // FY2027: $126 against $100 (over, in its third month); FY2028: $504 against $600.
    assert_eq!(s.years[0].annual_budget.unwrap().p_exceed, 1.0);
    assert_eq!(s.years[1].annual_budget.unwrap().p_exceed, 0.0);
    let e = s.years[0].annual_budget_exhaustion.as_ref().unwrap();
    assert_eq!(e.most_likely_month.as_deref(), Some("2027-03"));
    assert_eq!(e.first_over.get("2027-03").unwrap().p, 1.0);
    assert_eq!(e.p_never, 0.0);
    let e = s.years[1].annual_budget_exhaustion.as_ref().unwrap();
    assert_eq!((e.p_never, e.most_likely_month.as_deref()), (1.0, None));
    assert_eq!(s.budget.fiscal_year_start_name, "April");
    assert!(s.budget.fiscal_year_start_set);
    // Without fiscal_year_start, a January start gives calendar years.
    let (_, s, _) = run(&org(15, "annual = 1000"), 64, Record::FirstTrials);
    let labels: Vec<&str> = s.years.iter().map(|y| y.label.as_str()).collect();
    assert_eq!(labels, ["2027", "2028"]);
    assert_eq!(s.years[1].months, [13, 15]);
}

#[test]
fn the_month_the_annual_budget_runs_out_is_exact_on_a_deterministic_organisation() {
    // Tasks per day drawn per trial from {1, 2, 3, 4}; everything else fixed: a trial with k
    // tasks a day costs 6k + 30 a month. Against 200 a year, the year-to-date spend first
    // passes it in month 6 (k = 1: 216), 5 (k = 2: 210; k = 3: 240) or 4 (k = 4: 216).
    let text = ORG
        .replace("MONTHS", "12")
        .replace("TASKS", "{ uniform_int = { min = 1, max = 4 } }")
        .replace("BUDGET", "annual = 200");
    let trials = 3000;
    let (f, s, r) = run(&text, trials, Record::EveryTrial);
    let j = f.model.tasks_per_day;
    let mut expected = [0u64; 12];
    for t in 0..trials as usize {
        let k = r.inputs[t * r.input_count + j];
        let month = match k as u32 {
            1 => 5,
            2 | 3 => 4,
            4 => 3,
            other => panic!("k = {other}"),
        };
        expected[month] += 1;
        // The trial's own bills agree.
        let bills = &r.bill[t * 12..t * 12 + 12];
        close(bills[0], 6.0 * k + 30.0, "a month's bill");
    }
    let acc = &r.streams.exhaustion[0];
    assert_eq!(acc.first_over, expected);
    assert_eq!(acc.never, 0);
    let e = s.years[0].annual_budget_exhaustion.as_ref().unwrap();
    for (m, (period, month)) in e.first_over.0.iter().enumerate() {
        assert_eq!(month.p, expected[m] as f64 / trials as f64, "{period}");
    }
    close(
        e.first_over.get("2027-06").unwrap().p_by_end,
        1.0,
        "all by June",
    );
    assert_eq!(
        e.most_likely_month.as_deref(),
        Some("2027-05"),
        "k = 2 or 3: half"
    );
    // monthly.csv gives each month's year, the annual budget, and the same distribution.
    let csv = tokencast::report::forecast::monthly_csv(&s);
    let lines: Vec<&str> = csv.lines().collect();
    assert!(
        lines[0].ends_with(
            ",year,annual_budget,p_annual_budget_first_passed,p_annual_budget_passed_by_end"
        ),
        "{}",
        lines[0]
    );
    for (m, line) in lines[1..].iter().enumerate() {
        let first = expected[m] as f64 / trials as f64;
        let by_end = expected[..=m].iter().sum::<u64>() as f64 / trials as f64;
        assert!(
            line.ends_with(&format!(",2027,200.00,{first:.6},{by_end:.6}")),
            "month {}: {line}",
            m + 1
        );
    }
    // Each value of k has probability 1/4: the counts are within 4 binomial SE of n/4.
    let se = (trials as f64 * 0.25 * 0.75).sqrt();
    for (month, share) in [(3, 0.25), (5, 0.25)] {
        assert!((expected[month] as f64 - share * trials as f64).abs() < 4.0 * se);
    }
}

#[test]
fn bad_budgets_are_errors_at_their_place() {
    let cases = [
        (
            "monthly = [40, 50]",
            "budget.toml:22:11: budget.monthly: expected 3 monthly budgets (one per forecast month, 2027-01 to 2027-03), found 2",
        ),
        (
            "monthly = { by_quarter = [40, 50] }",
            "budget.toml:22:26: budget.monthly.by_quarter: expected 1 monthly budget, one per fiscal quarter",
        ),
        (
            "monthly = { by_qarter = [40] }",
            "budget.toml:22:25: budget.monthly.by_qarter: unknown key `by_qarter`",
        ),
        (
            "monthly = [40, -1, 50]",
            "budget.toml:22:16: budget.monthly[1]: expected a budget above 0",
        ),
        (
            "monthly = \"lots\"",
            "budget.toml:22:11: budget.monthly: expected a monthly budget: a number, an array with one per month, or { by_quarter = [...] }, found a string",
        ),
        (
            "fiscal_year_start = \"Aprl\"",
            "budget.toml:22:21: budget.fiscal_year_start: expected the month fiscal years start in: 1 to 12 or a name such as \"April\", found \"Aprl\"",
        ),
        (
            "fiscal_year_start = 13",
            "budget.toml:22:21: budget.fiscal_year_start: expected the month fiscal years start in",
        ),
        (
            "annual = [1000, 2000]",
            "budget.toml:22:10: budget.annual: expected 1 annual budget, one per year of the forecast: 2027 (2027-01 to 2027-03); found 2",
        ),
    ];
    for (budget, expected) in cases {
        let err = load(&org(3, budget)).map(|_| ()).unwrap_err();
        assert!(
            err.contains(expected),
            "{budget}:\n{err}\nexpected: {expected}"
        );
    }
    let err = load(&org(3, "fiscal_year_start = \"Aprl\"")).unwrap_err();
    assert!(err.contains("did you mean `April`?"), "{err}");
}
