//! Stress cases that say what they mean: `adoption_speed` runs the adoption curve faster (the
//! same capacity sooner: seats in month `t` are the curve's at `speed × t`), checked against
//! the curves' closed forms and trial by trial against the base case (common random numbers);
//! `[forecast] headcount` caps seats, counted exactly and warned about; every case reports its
//! months (bill, P(over the monthly budget)) and its years in `stress.csv` / `stress.json`.

mod common;

use assert_cmd::Command;
use tokencast::forecast::{ForecastConfig, ForecastSummary, Record, simulate, stress};

use common::forecast::load;

/// A fixed organisation: `SEATS` is the `[seats]` curve, `EXTRA` any more keys of
/// `[forecast]`, `STRESS` the stress cases. Each active user runs exactly 2 × 20 constant
/// tasks ($0.0105 each) a month: a month's bill is $0.42 per seat.
const ORG: &str = r#"[forecast]
start = "2027-01"
months = 24
EXTRA
[seats]
SEATS
[usage]
active_share = 1
tasks_per_day = 2
counts = "fixed"
[calendar]
working_days = 20
[[tasks]]
name = "constant"
scenario = "constant-task.toml"
weight = 1
[aggregation]
pool_size = 64
[budget]
monthly = 300
annual = 2500
STRESS
"#;

fn org(seats: &str, extra: &str, stress: &str) -> String {
    ORG.replace("SEATS", seats)
        .replace("EXTRA", extra)
        .replace("STRESS", stress)
}

fn config(trials: u64) -> ForecastConfig {
    ForecastConfig {
        trials,
        seed: 11,
        threads: Some(2),
        record: Record::EveryTrial,
    }
}

/// Seats of every trial (`[trial * months + month]`) of stress case `i` of `text`.
fn case_seats(text: &str, i: usize, trials: u64) -> (Vec<f64>, simulate::ForecastRun) {
    let f = load(text, &[]);
    let c = stress::case_forecast(&f, i, 11, Some(2)).unwrap();
    let run = simulate::run(&c.model, &config(trials)).unwrap();
    (run.seats.clone(), run)
}

#[test]
fn adoption_speed_runs_the_logistic_curve_faster_to_the_same_capacity() {
    // S(t) = K / (1 + e^(−r (t − t0))). Twice as fast: S(2t) = K / (1 + e^(−2r (t − t0/2))),
    // a logistic with the rate doubled and the midpoint halved; half as fast the reverse.
    let (k, t0, r) = (1000.0_f64, 8.0_f64, 0.5_f64);
    let text = org(
        "logistic = { capacity = 1000, midpoint = 8, rate = 0.5 }",
        "",
        "[[stress]]\nname = \"twice as fast\"\nadoption_speed = 2\n\
         [[stress]]\nname = \"half as fast\"\nadoption_speed = 0.5\n\
         [[stress]]\nname = \"twice the seats\"\nseats = 2\n",
    );
    for (i, speed) in [(0, 2.0), (1, 0.5)] {
        let (seats, _) = case_seats(&text, i, 1);
        for (m, &s) in seats.iter().enumerate() {
            let t = (m + 1) as f64;
            let closed = k / (1.0 + (-(r * speed) * (t - t0 / speed)).exp());
            assert!(
                (s - closed).abs() <= 0.5 + 1e-9,
                "speed {speed}, month {}: {s} seats, closed form {closed}",
                m + 1
            );
            assert!(s <= k, "never above the capacity");
        }
    }
    // Twice as fast reaches the capacity (rounded) within the horizon; twice the seats does
    // not run faster: it doubles every month, so it reaches 2K.
    let (fast, _) = case_seats(&text, 0, 1);
    assert_eq!(fast[23], k);
    let (double, _) = case_seats(&text, 2, 1);
    let base = {
        let f = load(&text, &[]);
        simulate::run(&f.model, &config(1)).unwrap().seats
    };
    assert!((double[23] - 2.0 * base[23]).abs() <= 1.0);
    assert!(double[23] > k);
    // The half-way point comes at month t0 / speed: 500 seats at month 4 twice as fast.
    assert_eq!(fast[3], 500.0);
    assert_eq!(base[7], 500.0);
}

#[test]
fn adoption_speed_is_the_bass_curve_with_both_coefficients_scaled() {
    // Bass: S(t) = M (1 − e^(−(p+q)t)) / (1 + (q/p) e^(−(p+q)t)); S(1.5 t) is the same curve
    // with p and q times 1.5 (q/p unchanged).
    let (m_, p, q) = (2000.0_f64, 0.02_f64, 0.35_f64);
    let text = org(
        "bass = { market = 2000, p = 0.02, q = 0.35 }",
        "",
        "[[stress]]\nname = \"faster\"\nadoption_speed = 1.5\n",
    );
    let (seats, _) = case_seats(&text, 0, 1);
    let (p, q) = (1.5 * p, 1.5 * q);
    for (m, &s) in seats.iter().enumerate() {
        let t = (m + 1) as f64;
        let e = (-(p + q) * t).exp();
        let closed = m_ * (1.0 - e) / (1.0 + (q / p) * e);
        assert!(
            (s - closed).abs() <= 0.5 + 1e-9,
            "month {}: {s} against {closed}",
            m + 1
        );
    }
}

#[test]
fn adoption_speed_keeps_each_trials_curve_common_random_numbers() {
    // Uncertain capacity, midpoint and rate: trial by trial, month m twice as fast has the
    // seats of month 2m of the base case (the same drawn curve, twice as far along).
    let text = org(
        "logistic = { capacity = { uniform = { min = 500, max = 900 } }, midpoint = { uniform = { min = 4, max = 10 } }, rate = { uniform = { min = 0.3, max = 0.8 } } }",
        "",
        "[[stress]]\nname = \"twice as fast\"\nadoption_speed = 2\n",
    );
    let trials = 200;
    let f = load(&text, &[]);
    let base = simulate::run(&f.model, &config(trials)).unwrap();
    let (fast, run) = case_seats(&text, 0, trials);
    assert_eq!(base.inputs, run.inputs, "the same drawn curves");
    for t in 0..trials as usize {
        for m in 0..12 {
            assert_eq!(
                fast[t * 24 + m],
                base.seats[t * 24 + 2 * m + 1],
                "trial {t}, month {}",
                m + 1
            );
        }
    }
}

#[test]
fn the_headcount_caps_seats_and_counts_the_capped_trials_exactly() {
    // Capacity K ~ U(600, 900) on a fixed logistic; twice the seats against a headcount of
    // 1,500. The curve rises, so a trial is capped iff round(2 S(24)) > 1500.
    let text = org(
        "logistic = { capacity = { uniform = { min = 600, max = 900 } }, midpoint = 8, rate = 0.5 }",
        "headcount = 1500",
        "[[stress]]\nname = \"twice the seats\"\nseats = 2\n\
         [[stress]]\nname = \"twice as fast\"\nadoption_speed = 2\n",
    );
    let trials = 2000;
    let f = load(&text, &[]);
    let base = simulate::run(&f.model, &config(trials)).unwrap();
    assert_eq!(
        base.headcount_capped_trials, 0,
        "the base case never reaches it"
    );
    let (seats, run) = case_seats(&text, 0, trials);
    let kj = f
        .model
        .params
        .iter()
        .position(|p| p.path == "seats.logistic.capacity");
    let kj = kj.expect("the capacity is an input");
    let mut expected = 0;
    for t in 0..trials as usize {
        let k = run.inputs[t * run.input_count + kj];
        let uncapped = (2.0 * k / (1.0 + (-0.5_f64 * (24.0 - 8.0)).exp())).round();
        let top = seats[t * 24..t * 24 + 24]
            .iter()
            .copied()
            .fold(0.0, f64::max);
        assert!(top <= 1500.0, "trial {t}: {top} seats");
        if uncapped > 1500.0 {
            expected += 1;
            assert_eq!(top, 1500.0, "trial {t} is held at the headcount");
        } else {
            assert_eq!(top, uncapped, "trial {t} is not capped");
        }
    }
    assert_eq!(run.headcount_capped_trials, expected);
    // P(2 K e/(1+e) > 1500) = P(K > 750.25…) ≈ 0.499: within 4 binomial SE.
    let p = expected as f64 / trials as f64;
    let k_star = 750.0 * (1.0 + (-8.0_f64).exp());
    let exact = (900.0 - k_star) / 300.0;
    let se = (exact * (1.0 - exact) / trials as f64).sqrt();
    assert!((p - exact).abs() < 4.0 * se, "{p} against {exact}");
    // The row reports it; running faster reaches the same capacity, so it is never capped.
    let rows = stress::run_all(&f, &base, &config(trials)).unwrap();
    let cap = rows[1].headcount.as_ref().unwrap();
    assert_eq!(cap.headcount, 1500.0);
    assert_eq!(cap.capped_trials.p, p);
    assert!(rows[1].capped());
    assert!(!rows[2].capped() && !rows[0].capped());
}

#[test]
fn every_case_reports_its_months_budget_risk_and_years_as_its_own_run_does() {
    let text = org(
        "logistic = { capacity = { uniform = { min = 500, max = 900 } }, midpoint = 8, rate = 0.5 }",
        "",
        "[[stress]]\nname = \"twice as fast\"\nadoption_speed = 2\n",
    );
    let trials = 500;
    let f = load(&text, &[]);
    let base = simulate::run(&f.model, &config(trials)).unwrap();
    let rows = stress::run_all(&f, &base, &config(trials)).unwrap();
    let c = stress::case_forecast(&f, 0, 11, Some(2)).unwrap();
    let case_run = simulate::run(&c.model, &config(trials)).unwrap();
    for (row, (forecast, run)) in rows.iter().zip([(&f, &base), (&c, &case_run)]) {
        let s = ForecastSummary::new(forecast, run);
        assert_eq!(row.months.len(), 24);
        for (m, month) in row.months.iter().enumerate() {
            assert_eq!(month.period, s.monthly[m].period);
            assert_eq!(month.bill, s.monthly[m].bill);
            assert_eq!(month.monthly_budget, s.monthly[m].monthly_budget);
            // A month's bill is $0.42 a seat: P(over $300) counts the trials above 714 seats.
            let over = (0..trials as usize)
                .filter(|&t| run.seats[t * 24 + m] * 0.42 > 300.0)
                .count();
            let b = month.monthly_budget.unwrap();
            assert_eq!(b.p_exceed, over as f64 / trials as f64, "month {m}");
        }
        assert_eq!(row.years.len(), 2);
        for (y, year) in row.years.iter().enumerate() {
            assert_eq!(year.label, s.years[y].label);
            assert_eq!(year.bill, s.years[y].bill);
            assert_eq!(year.annual_budget, s.years[y].annual_budget);
            assert_eq!(
                year.p_any_month_over_budget,
                s.years[y].p_any_month_over_budget
            );
        }
        assert_eq!(row.p_any_month_over_budget, s.budget.p_any_month_over);
    }
    // Running faster spends more in the first year and the same capacity in the last month.
    assert!(rows[1].years[0].bill.mean > 1.5 * rows[0].years[0].bill.mean);
    let last = |r: &stress::StressResult| r.months[23].bill.mean;
    assert!((last(&rows[1]) - last(&rows[0])).abs() < 0.01 * last(&rows[0]));
    // stress.csv: per case 24 month rows and 2 year rows, with the budget columns.
    let csv = tokencast::report::forecast_extras::stress_csv(&rows);
    let lines: Vec<&str> = csv.lines().collect();
    assert_eq!(lines.len(), 1 + 2 * 26);
    assert!(lines[0].starts_with("case,span,period,"), "{}", lines[0]);
    assert!(lines[1].starts_with("base,month,2027-01,"), "{}", lines[1]);
    assert!(
        lines[25].starts_with("base,year,2027,2027-01,2027-12,"),
        "{}",
        lines[25]
    );
    assert!(
        lines[27].starts_with("twice as fast,month,2027-01,"),
        "{}",
        lines[27]
    );
    assert!(
        // The budget, then the two columns of the work [limits] leave undone (none here).
        lines[1].ends_with(",300.00,0.000000,0.000000,,"),
        "{}",
        lines[1]
    );
}

#[test]
fn a_capped_case_is_warned_about_and_bad_values_are_errors_at_their_place() {
    let dir = tempfile::tempdir().unwrap();
    let text = org(
        "logistic = { capacity = 1000, midpoint = 8, rate = 0.5 }",
        "headcount = 1500",
        "[[stress]]\nname = \"twice the seats\"\nseats = 2\n",
    )
    .replace(
        "constant-task.toml",
        &format!(
            "{}/tests/forecasts/constant-task.toml",
            env!("CARGO_MANIFEST_DIR")
        ),
    );
    let file = dir.path().join("org.toml");
    std::fs::write(&file, text).unwrap();
    let out = dir.path().join("out");
    let assert = Command::cargo_bin("tokencast")
        .unwrap()
        .args(["forecast", file.to_str().unwrap(), "-n", "20", "-o"])
        .arg(&out)
        .assert()
        .success();
    let stderr = String::from_utf8_lossy(&assert.get_output().stderr).to_string();
    assert!(
        stderr.contains(
            "warning: stress case `twice the seats`: seats held at the headcount (1,500) in 100.0% of trials"
        ),
        "{stderr}"
    );
    let stdout = String::from_utf8_lossy(&assert.get_output().stdout).to_string();
    assert!(
        stdout.contains("note: twice the seats: seats held at the headcount"),
        "{stdout}"
    );
    let json: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(out.join("stress.json")).unwrap()).unwrap();
    assert_eq!(json[1]["headcount"]["capped_trials"]["p"], 1.0);
    assert_eq!(json[1]["months"].as_array().unwrap().len(), 24);
    assert!(json[1]["months"][23]["monthly_budget"]["p_exceed"].is_number());

    for (bad, place) in [
        (
            ("headcount = 0", ""),
            "t.toml:4:13: forecast.headcount: expected a whole number of people from 1",
        ),
        (
            ("headcount = 10.5", ""),
            "t.toml:4:13: forecast.headcount: expected a whole number",
        ),
        (
            ("", "[[stress]]\nname = \"x\"\nadoption_speed = 0\n"),
            "stress[0].adoption_speed: stress case `x`: expected a multiplier above 0",
        ),
    ] {
        let text = org(
            "logistic = { capacity = 1000, midpoint = 8, rate = 0.5 }",
            bad.0,
            bad.1,
        );
        let err = tokencast::forecast::Forecast::from_text(
            "t.toml",
            "t",
            std::path::Path::new(common::forecast::DIR),
            &text,
            &[],
            None,
            Some(1),
        )
        .map(|_| ())
        .unwrap_err()
        .to_string();
        assert!(err.contains(place), "{err}\nexpected: {place}");
    }
}

#[test]
fn the_bundled_forecasts_adoption_case_runs_faster_not_larger() {
    let text = std::fs::read_to_string("scenarios/org-forecast.toml").unwrap();
    let spec: tokencast::forecast::spec::ForecastFile = toml::from_str(&text).unwrap();
    assert_eq!(spec.forecast.headcount, Some(5000.0));
    let case = spec
        .stress
        .iter()
        .find(|c| c.name.contains("adoption"))
        .expect("an adoption case");
    assert_eq!(case.adoption_speed, Some(2.0));
    assert_eq!(case.seats, None, "{}: not more seats", case.name);
}
