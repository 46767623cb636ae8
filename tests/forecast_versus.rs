//! Each named scheme against the headline bill, paired trial by trial (`versus_headline` in
//! summary.json, the `*_vs_headline` columns of schemes.csv): exact on a deterministic
//! organisation, equal to the per-trial values it summarises on a random one, and the same at
//! any thread count.

mod common;

use tokencast::forecast::{ForecastConfig, ForecastSummary, Record, simulate};

/// 10 seats, all active, 40 tasks each a month of the constant task (list $0.0105): $4.20 a
/// month at list prices, the headline.
const ORG: &str = r#"
[forecast]
start = "2027-01"
months = 16
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
[budget]
fiscal_year_start = "April"
[billing]
discount = 0
[billing.commit]
commitment = { commit_usd = 3.0, discount = 0.2 }
[billing.seats]
seats = { usd_per_seat = 20, allowance = { usd = 1 }, beyond = "api_prices" }
[aggregation]
pool_size = 16
"#;

#[test]
fn a_deterministic_organisation_gives_exact_differences() {
    let f = common::forecast::load(ORG, &[]);
    let run = common::forecast::run(&f, 40, 3, 2);
    let s = ForecastSummary::new(&f, &run);
    // Fiscal years from April over 16 months from January: Jan–Mar, Apr–Mar, Apr. (The
    // schemes' years were counted as blocks of 12 months, 2 here, and mislabelled.)
    assert_eq!(s.years.len(), 3);
    let commit = s.schemes.iter().find(|x| x.name == "commit").unwrap();
    let seats = s.schemes.iter().find(|x| x.name == "seats").unwrap();
    // The scheme's years follow the forecast's (fiscal) years.
    assert_eq!(commit.years.len(), s.years.len());
    let v = commit.versus_headline.as_ref().unwrap();
    assert_eq!(v.monthly.len(), 16);
    assert_eq!(v.years.len(), 3);
    // Commitment: $3 buys $3.75 of list at 20% off, the other $0.45 is billed at list: $3.45,
    // $0.75 below list every month, in every trial.
    for m in &v.monthly {
        assert!((m.mean_difference + 0.75).abs() < 1e-9, "{m:?}");
        assert_eq!(m.se, 0.0);
        assert_eq!((m.p_cheaper.p, m.p_cheaper.se), (1.0, 0.0));
    }
    assert!((v.years[0].mean_difference + 3.0 * 0.75).abs() < 1e-9);
    assert!((v.years[1].mean_difference + 12.0 * 0.75).abs() < 1e-9);
    assert!((v.years[2].mean_difference + 0.75).abs() < 1e-9);
    assert!((v.total.mean_difference + 16.0 * 0.75).abs() < 1e-9);
    assert!(
        (commit.years[2].mean - 3.45).abs() < 1e-9,
        "the third year is April alone"
    );
    // Seat plan: $200 of fees, the $4.20 of usage within 10 × $1 of allowance: $195.80 more.
    let v = seats.versus_headline.as_ref().unwrap();
    for m in &v.monthly {
        assert!((m.mean_difference - 195.8).abs() < 1e-9, "{m:?}");
        assert_eq!(m.p_cheaper.p, 0.0);
    }
}

#[test]
fn the_paired_figures_are_those_of_the_trials_and_do_not_depend_on_threads() {
    let text = std::fs::read_to_string("scenarios/org-forecast.toml").unwrap();
    let f = tokencast::forecast::Forecast::from_text(
        "org.toml",
        "org",
        std::path::Path::new("scenarios"),
        &text,
        &[tokencast::forecast::Override::parse("aggregation.pool_size=4096").unwrap()],
        None,
        Some(1),
    )
    .unwrap();
    let trials = 600;
    let config = |threads| ForecastConfig {
        trials,
        seed: 5,
        threads: Some(threads),
        record: Record::EveryTrial,
    };
    let run = simulate::run(&f.model, &config(2)).unwrap();
    let s = ForecastSummary::new(&f, &run);
    let one = ForecastSummary::new(&f, &simulate::run(&f.model, &config(1)).unwrap());
    assert_eq!(s.schemes, one.schemes, "identical at one and two threads");

    let (months, n) = (run.months, run.schemes);
    for (k, scheme) in s.schemes.iter().enumerate() {
        let v = scheme.versus_headline.as_ref().expect("not the headline");
        let check =
            |what: &str, diffs: Vec<f64>, got: &tokencast::forecast::scheme_outcome::Versus| {
                let t = diffs.len() as f64;
                let mean = diffs.iter().sum::<f64>() / t;
                let var = diffs.iter().map(|d| (d - mean).powi(2)).sum::<f64>() / (t - 1.0);
                let cheaper = diffs.iter().filter(|&&d| d < 0.0).count() as f64 / t;
                let scale = mean.abs().max(1.0);
                assert!(
                    (got.mean_difference - mean).abs() <= 1e-9 * scale,
                    "{what}: mean"
                );
                assert!(
                    (got.se - (var / t).sqrt()).abs() <= 1e-9 * scale,
                    "{what}: se"
                );
                assert_eq!(got.p_cheaper.p, cheaper, "{what}: P(cheaper)");
            };
        for m in 0..months {
            let diffs = (0..trials as usize)
                .map(|t| run.scheme_bill[(t * months + m) * n + k] - run.bill[t * months + m])
                .collect();
            check(
                &format!("{} month {}", scheme.name, m + 1),
                diffs,
                &v.monthly[m],
            );
        }
        for (y, year) in s.years.iter().enumerate() {
            let range = year.months[0] - 1..year.months[1];
            let diffs = (0..trials as usize)
                .map(|t| {
                    range
                        .clone()
                        .map(|m| {
                            run.scheme_bill[(t * months + m) * n + k] - run.bill[t * months + m]
                        })
                        .sum()
                })
                .collect();
            check(
                &format!("{} year {}", scheme.name, y + 1),
                diffs,
                &v.years[y],
            );
        }
    }
    // schemes.csv carries the monthly figures beside each scheme's bill.
    let csv = tokencast::report::forecast_schemes::schemes_csv(&s);
    let header: Vec<&str> = csv.lines().next().unwrap().split(',').collect();
    let col = |name: &str| header.iter().position(|h| *h == name).unwrap();
    let row: Vec<&str> = csv.lines().nth(1).unwrap().split(',').collect();
    let first = s.schemes[0].versus_headline.as_ref().unwrap().monthly[0];
    assert_eq!(row[col("scheme")], s.schemes[0].name);
    assert_eq!(
        row[col("difference_vs_headline_mean")],
        format!("{:.2}", first.mean_difference)
    );
    assert_eq!(
        row[col("p_cheaper_than_headline")],
        format!("{:.4}", first.p_cheaper.p)
    );
}
