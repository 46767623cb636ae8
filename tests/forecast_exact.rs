//! Forecasts of deterministic organisations against hand-computed bills; adoption curves
//! against their closed forms; drifts compounding; overrides; determinism across threads.

mod common;

use std::path::Path;

use tokencast::forecast::{Forecast, Override};

use common::forecast::DIR;
/// Cost of the constant task: 1000 input tokens at $3/M plus 500 output tokens at $15/M.
const TASK_COST: f64 = 0.0105;

fn load(text: &str, sets: &[&str]) -> Forecast {
    common::forecast::load(text, sets)
}

fn run(f: &Forecast, trials: u64, threads: usize) -> tokencast::forecast::ForecastRun {
    common::forecast::run(f, trials, 7, threads)
}

const FIXED_ORG: &str = r#"
[forecast]
start = "2027-01"
months = 6
[seats]
table = [ { month = 1, seats = 10 }, { month = 3, seats = 30 } ]
[usage]
active_share = 0.5
tasks_per_day = 2
counts = "fixed"
[calendar]
working_days = 20
[[tasks]]
name = "a"
scenario = "constant-task.toml"
weight = 1
[drift]
tokens_per_task = 0.1
price = -0.2
[billing]
discount = 0.25
[aggregation]
pool_size = 16
exact_tasks_max = 300
"#;

#[test]
fn a_fixed_organisation_bills_exactly() {
    let f = load(FIXED_ORG, &[]);
    let r = run(&f, 5, 1);
    // Seats 10, 20, 30, 30, ...; active = half; 40 tasks each a month.
    let seats = [10.0, 20.0, 30.0, 30.0, 30.0, 30.0];
    for t in 0..5 {
        for (m, &s) in seats.iter().enumerate() {
            let i = t * 6 + m;
            assert_eq!(r.seats[i], s);
            let tasks = s / 2.0 * 40.0;
            assert_eq!(r.tasks[i], tasks);
            // Tokens grow 10% a month and prices fall 20% a month, compounding from month 1.
            let token_mult = 1.1f64.powi(m as i32);
            let price_mult = 0.8f64.powi(m as i32);
            let bill = tasks * TASK_COST * token_mult * price_mult * 0.75;
            assert!(
                (r.bill[i] - bill).abs() < 1e-9 * bill,
                "m={m}: {} vs {bill}",
                r.bill[i]
            );
            assert!((r.tokens[i] - tasks * 1500.0 * token_mult).abs() < 1e-6);
        }
    }
    // The moment-matched sum path (counts above exact_tasks_max) gives the same exact bill.
    let g = load(FIXED_ORG, &["aggregation.exact_tasks_max=0"]);
    let r2 = run(&g, 5, 1);
    for (a, b) in r.bill.iter().zip(&r2.bill) {
        assert!((a - b).abs() < 1e-9 * a.max(1.0), "{a} vs {b}");
    }
}

#[test]
fn mix_shifts_move_weight_linearly_up_to_their_cap() {
    let text = format!(
        "{FIXED_ORG}\n[[tasks]]\nname = \"b\"\nscenario = \"constant-task.toml\"\nweight = 1\n\
         [[drift.mix_shift]]\nfrom = \"a\"\nto = \"b\"\nper_month = 0.25\nmax = 0.5\n"
    );
    let f = load(&text, &[]);
    let mut w = Vec::new();
    let inputs: Vec<f64> = {
        let mut v = Vec::new();
        f.model.draw_inputs(1, 0, &mut v);
        v
    };
    for (m, expected_a) in [(0, 0.5), (1, 0.375), (2, 0.25), (5, 0.25)] {
        f.model.mix_weights(&inputs, m, &mut w);
        assert!((w[0] - expected_a).abs() < 1e-12, "month {m}: {w:?}");
        assert!((w[0] + w[1] - 1.0).abs() < 1e-12);
    }
}

#[test]
fn seat_curves_follow_their_closed_forms() {
    let logistic = FIXED_ORG.replace(
        "table = [ { month = 1, seats = 10 }, { month = 3, seats = 30 } ]",
        "logistic = { capacity = 1000, midpoint = 4, rate = 0.7 }",
    );
    let r = run(&load(&logistic, &[]), 2, 1);
    for m in 0..6 {
        let t = (m + 1) as f64;
        let exact = (1000.0 / (1.0 + (-0.7 * (t - 4.0)).exp())).round();
        assert_eq!(r.seats[m], exact, "logistic month {}", m + 1);
    }
    let bass = FIXED_ORG.replace(
        "table = [ { month = 1, seats = 10 }, { month = 3, seats = 30 } ]",
        "bass = { market = 5000, p = 0.03, q = 0.38 }",
    );
    let r = run(&load(&bass, &[]), 2, 1);
    for m in 0..6 {
        let t = (m + 1) as f64;
        let e = (-(0.41) * t).exp();
        let exact = (5000.0 * (1.0 - e) / (1.0 + 0.38 / 0.03 * e)).round();
        assert_eq!(r.seats[m], exact, "bass month {}", m + 1);
    }
}

#[test]
fn poisson_task_counts_have_the_exact_mean_and_variance() {
    // 12 active users, 20 days, 2 tasks/day, Poisson: month total ~ Poisson(480), drawn user
    // by user (12 <= exact_users_max) and moment-matched (exact_users_max = 0).
    let text = FIXED_ORG
        .replace("counts = \"fixed\"", "")
        .replace("active_share = 0.5", "active_share = 1")
        .replace(
            "table = [ { month = 1, seats = 10 }, { month = 3, seats = 30 } ]",
            "table = [ { month = 1, seats = 12 } ]",
        );
    for sets in [vec![], vec!["aggregation.exact_users_max=0"]] {
        let r = run(&load(&text, &sets), 20_000, 2);
        let n = r.tasks.len() as f64;
        let mean = r.tasks.iter().sum::<f64>() / n;
        let var = r.tasks.iter().map(|x| (x - mean).powi(2)).sum::<f64>() / (n - 1.0);
        // SE of the mean: sqrt(480/n); SE of the variance: sqrt((mu4 - s^4)/n) ~ sqrt(2) 480/sqrt(n).
        assert!(
            (mean - 480.0).abs() < 4.0 * (480.0 / n).sqrt(),
            "{sets:?}: mean {mean}"
        );
        assert!(
            (var - 480.0).abs() < 4.0 * (2.0f64).sqrt() * 480.0 / n.sqrt(),
            "{sets:?}: var {var}"
        );
    }
}

#[test]
fn negative_binomial_with_intensity_has_the_exact_variance() {
    // One user-month: NB(mean D mu lambda, dispersion D k), lambda log-normal mean 1:
    // Var = D mu + (D mu)^2 e^{s^2} / (D k) + (D mu)^2 (e^{s^2} - 1).
    let text = FIXED_ORG
        .replace(
            "counts = \"fixed\"",
            "dispersion = 0.5\nintensity_sigma = 0.4",
        )
        .replace("active_share = 0.5", "active_share = 1")
        .replace(
            "table = [ { month = 1, seats = 10 }, { month = 3, seats = 30 } ]",
            "table = [ { month = 1, seats = 3 } ]",
        );
    let (d, mu, k, s2) = (20.0, 2.0, 0.5, 0.16f64);
    let m = d * mu;
    let v1 = m + m * m * s2.exp() / (d * k) + m * m * (s2.exp() - 1.0);
    let (mean_x, var_x) = (3.0 * m, 3.0 * v1);
    for sets in [vec![], vec!["aggregation.exact_users_max=0"]] {
        let r = run(&load(&text, &sets), 40_000, 2);
        let n = r.tasks.len() as f64;
        let mean = r.tasks.iter().sum::<f64>() / n;
        let var = r.tasks.iter().map(|x| (x - mean).powi(2)).sum::<f64>() / (n - 1.0);
        let m4 = r.tasks.iter().map(|x| (x - mean).powi(4)).sum::<f64>() / n;
        assert!(
            (mean - mean_x).abs() < 4.0 * (var_x / n).sqrt(),
            "{sets:?}: {mean} vs {mean_x}"
        );
        let var_se = ((m4 - var * var) / n).sqrt();
        assert!(
            (var - var_x).abs() < 4.0 * var_se,
            "{sets:?}: {var} vs {var_x} (se {var_se})"
        );
    }
}

#[test]
fn results_do_not_depend_on_threads() {
    let text = std::fs::read_to_string("scenarios/org-forecast.toml").unwrap();
    let f = Forecast::from_text(
        "org",
        "org",
        Path::new("scenarios"),
        &text,
        &[Override::parse("aggregation.pool_size=4096").unwrap()],
        None,
        Some(1),
    )
    .unwrap();
    let a = run(&f, 300, 1);
    let b = run(&f, 300, 3);
    assert_eq!(a, b);
    // A shorter run is the start of a longer one, trial by trial.
    let c = run(&f, 200, 2);
    assert_eq!(c.bill[..], a.bill[..c.bill.len()]);
}

#[test]
fn overrides_change_exactly_the_named_value() {
    let base = load(FIXED_ORG, &[]);
    let changed = load(FIXED_ORG, &["usage.tasks_per_day=3"]);
    assert_eq!(
        format!("{:?}", changed.spec.usage.tasks_per_day),
        format!("{:?}", tokencast::dist::DistSpec::fixed(3.0))
    );
    // Everything else is as written.
    let mut b = base.spec.clone();
    b.usage.tasks_per_day = changed.spec.usage.tasks_per_day.clone();
    assert_eq!(format!("{b:?}"), format!("{:?}", changed.spec));
    let r = run(&changed, 1, 1);
    assert_eq!(r.tasks[0], 5.0 * 60.0);
    let r = run(
        &load(FIXED_ORG, &["tasks[0].weight=2", "seats.table[0].seats=40"]),
        1,
        1,
    );
    assert_eq!(r.seats[0], 40.0);
}

#[test]
fn unknown_override_paths_are_rejected_with_a_suggestion() {
    let try_set = |s: &str| {
        let o = [Override::parse(s).unwrap()];
        Forecast::from_text("t.toml", "t", Path::new(DIR), FIXED_ORG, &o, None, Some(1))
            .unwrap_err()
            .to_string()
    };
    let e = try_set("usage.tasks_per_dy=3");
    assert!(e.starts_with("--set usage.tasks_per_dy: "), "{e}");
    assert!(e.contains("unknown key `tasks_per_dy`"), "{e}");
    assert!(e.contains("did you mean `tasks_per_day`?"), "{e}");
    let e = try_set("usgae.active_share=1");
    assert!(e.contains("did you mean `usage`?"), "{e}");
    let e = try_set("seats.tabel[0].seats=1");
    assert!(e.contains("did you mean `table`?"), "{e}");
    let e = try_set("usage.active_share=2");
    assert!(e.contains("expected a value in [0, 1], found 2"), "{e}");
}

#[test]
fn commitments_and_seat_fees_bill_each_month_exactly() {
    // Month m usage at list: tasks x 0.0105 x 1.1^m x 0.8^m; a commitment of C at discount d
    // bills C + max(0, L - C / (1 - d)) (pricing's CommitmentScheme); seat fees add seats x fee.
    let text = FIXED_ORG.replace(
        "discount = 0.25",
        "commitment = { monthly = 2.0, discount = 0.2 }\nseat_fee = 1.5",
    );
    let r = run(&load(&text, &[]), 2, 1);
    let seats = [10.0, 20.0, 30.0, 30.0, 30.0, 30.0];
    for (m, &s) in seats.iter().enumerate() {
        let list = s / 2.0 * 40.0 * TASK_COST * 1.1f64.powi(m as i32) * 0.8f64.powi(m as i32);
        let expected = 2.0 + (list - 2.0 / 0.8).max(0.0) + s * 1.5;
        assert!(
            (r.bill[m] - expected).abs() < 1e-9,
            "month {}: {} vs {expected}",
            m + 1,
            r.bill[m]
        );
        assert!((r.list_cost[m] - list).abs() < 1e-9);
    }
    // Month 1 is under the commitment (list 2.1 < 2.5: the commitment is paid whole), month 2
    // above it (list 3.696: the excess at list price).
    assert!((r.bill[0] - (2.0 + 15.0)).abs() < 1e-9);
    assert!((r.bill[1] - (2.0 + 3.696 - 2.5 + 30.0)).abs() < 1e-9);
    let both = FIXED_ORG.replace(
        "discount = 0.25",
        "discount = 0.25\ncommitment = { monthly = 2.0, discount = 0.2 }",
    );
    let sets: [Override; 0] = [];
    let e = Forecast::from_text("t.toml", "t", Path::new(DIR), &both, &sets, None, Some(1))
        .unwrap_err();
    assert!(
        e.to_string()
            .contains("billing.commitment: expected either `discount` or `commitment`"),
        "{e}"
    );
}

#[test]
fn a_bill_at_a_commitments_floor_reports_the_floor_exactly_not_a_histogram_bucket() {
    // 1,000 seats run round(20 k) constant $0.0105 tasks a month each, k ~ U(1, 3) per trial:
    // usage of 10.5 × round(20 k) a month against a $500 commitment. Trials with
    // round(20 k) <= 47 (k < 2.375: 68.75%) pay exactly $500 every month; the percentiles
    // there are $500, not the midpoint $500.125 of the histogram bucket [500, 500.25).
    let text = r#"[forecast]
start = "2027-01"
months = 12
[seats]
table = [ { month = 1, seats = 1000 } ]
[usage]
active_share = 1
tasks_per_day = { uniform = { min = 1, max = 3 } }
counts = "fixed"
[calendar]
working_days = 20
[[tasks]]
name = "constant"
scenario = "constant-task.toml"
weight = 1
[billing]
commitment = { monthly = 500, discount = 0 }
[aggregation]
pool_size = 64
"#;
    let f = load(text, &[]);
    let config = tokencast::forecast::ForecastConfig {
        trials: 4000,
        seed: 3,
        threads: Some(2),
        record: tokencast::forecast::Record::EveryTrial,
    };
    let r = tokencast::forecast::simulate::run(&f.model, &config).unwrap();
    let s = tokencast::forecast::ForecastSummary::new(&f, &r);
    let floor = r.bill.iter().filter(|&&b| b == 500.0).count() as f64 / r.bill.len() as f64;
    assert!((floor - 0.6875).abs() < 4.0 * (0.6875 * 0.3125 / 4000.0_f64).sqrt());
    for m in [&s.monthly[0], &s.monthly[11]] {
        let b = &m.bill;
        assert_eq!([b.min, b.p5, b.p25, b.p50], [500.0; 4], "{}", m.period);
        assert_eq!(m.fixed_charges.p90, 500.0);
        // Above the floor, within the histogram's resolution of the exact order statistic.
        let mut month: Vec<f64> = r.month_values(&r.bill, m.month - 1);
        month.sort_by(f64::total_cmp);
        let exact = month[(0.9 * month.len() as f64).ceil() as usize - 1];
        assert!(exact > 500.0);
        assert!((b.p90 - exact).abs() <= tokencast::stats::RELATIVE_ERROR * exact);
    }
    assert_eq!(s.years[0].bill.p50, 6000.0);
}
