//! The aggregation (moment-matched task counts, translated-gamma sums) against brute-force
//! summation: every user, every working day, every task drawn from the same pools.
//!
//! Both sides sample the same model with independent streams; the mean of the monthly and total
//! bills must agree within 4 combined standard errors, and the brute-force P90 and P99 must sit
//! at the same rank of the aggregated distribution within 4 standard errors
//! (`sqrt(2 q (1 - q) / n)`: both the quantile estimate and the empirical CDF are random).

mod common;

use std::path::Path;

use common::{mean_se, quantile};

use rand_distr::{Distribution, Gamma, Poisson, StandardNormal};
use tokencast::engine::trial_rng;
use tokencast::forecast::{Forecast, ForecastConfig, Override, Record, simulate};

const ORG: &str = r#"
[forecast]
start = "2027-01"
months = 3
[seats]
table = [ { month = 1, seats = 30 } ]
[usage]
active_share = 1
tasks_per_day = 2
dispersion = 1.5
intensity_sigma = 0.8
[calendar]
working_days = 20
[[tasks]]
name = "bug fix"
scenario = "../../scenarios/reference-coding-task.toml"
weight = 0.6
[[tasks]]
name = "feature"
scenario = "../../scenarios/tasks/feature-opus.toml"
weight = 0.4
[aggregation]
pool_size = 16384
exact_users_max = 0
exact_tasks_max = 0
"#;

const TRIALS: usize = 20_000;

/// Brute force: per user a log-normal intensity each month, per working day a negative binomial
/// count (gamma-Poisson), per task a kind by weight and a cost from that kind's pool.
fn brute_force(f: &Forecast) -> Vec<[f64; 3]> {
    let m = &f.model;
    let (users, days, mu, k, sigma) = (30, 20, 2.0, 1.5, 0.8f64);
    let w0 = m.tasks[0].weight / (m.tasks[0].weight + m.tasks[1].weight);
    (0..TRIALS)
        .map(|t| {
            let mut rng = trial_rng(0xb0b, t as u64);
            let mut months = [0.0; 3];
            for bill in months.iter_mut() {
                for _ in 0..users {
                    let z: f64 = StandardNormal.sample(&mut rng);
                    let lambda = (sigma * z - sigma * sigma / 2.0).exp();
                    for _ in 0..days {
                        let rate = Gamma::new(k, mu * lambda / k).unwrap().sample(&mut rng);
                        let n = if rate > 0.0 {
                            Poisson::new(rate).unwrap().sample(&mut rng) as u64
                        } else {
                            0
                        };
                        for _ in 0..n {
                            let u: f64 = rand::RngExt::random(&mut rng);
                            let pool = if u < w0 {
                                &m.tasks[0].pool
                            } else {
                                &m.tasks[1].pool
                            };
                            *bill += pool.cost[pool.draw_index(&mut rng)];
                        }
                    }
                }
            }
            months
        })
        .collect()
}

fn compare(label: &str, agg: &[f64], brute: &[f64]) {
    let (ma, sa) = mean_se(agg);
    let (mb, sb) = mean_se(brute);
    let z = (ma - mb) / (sa * sa + sb * sb).sqrt();
    eprintln!(
        "{label}: mean aggregated {ma:.2} ± {sa:.2}, brute force {mb:.2} ± {sb:.2} (z = {z:.2})"
    );
    assert!(z.abs() < 4.0, "{label}: means differ by {z:.2} SE");
    let n = agg.len() as f64;
    for q in [0.9, 0.99] {
        let qb = quantile(brute, q);
        let qa = quantile(agg, q);
        let rank = agg.iter().filter(|&&x| x <= qb).count() as f64 / n;
        let se = (2.0 * q * (1.0 - q) / n).sqrt();
        eprintln!(
            "{label}: P{} aggregated {qa:.2}, brute force {qb:.2}; brute P{} is the aggregated \
             {:.4} quantile (expected {q}, 4 SE = {:.4})",
            q * 100.0,
            q * 100.0,
            rank,
            4.0 * se
        );
        assert!(
            (rank - q).abs() < 4.0 * se,
            "{label}: P{} off by {:.2} SE",
            q * 100.0,
            (rank - q) / se
        );
    }
}

#[test]
fn aggregation_matches_brute_force_summation() {
    let f = Forecast::from_text(
        "agg.toml",
        "agg",
        Path::new("tests/forecasts"),
        ORG,
        &[] as &[Override],
        None,
        None,
    )
    .unwrap();
    let run = simulate::run(
        &f.model,
        &ForecastConfig {
            trials: TRIALS as u64,
            seed: 11,
            threads: None,
            record: Record::EveryTrial,
        },
    )
    .unwrap();
    let brute = brute_force(&f);
    for m in 0..3 {
        let agg = run.month_values(&run.bill, m);
        let b: Vec<f64> = brute.iter().map(|x| x[m]).collect();
        compare(&format!("month {}", m + 1), &agg, &b);
    }
    let agg_total = run.bill_total(0..3);
    let brute_total: Vec<f64> = brute.iter().map(|x| x.iter().sum()).collect();
    compare("3-month total", &agg_total, &brute_total);
}
