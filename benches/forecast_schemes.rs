//! The forecast's own billing schemes on the bundled organisation forecast
//! (`scenarios/org-forecast.toml`: a seat plan on more than `exact_users_max` active users, a
//! commitment, and compute hours sized to the 95th percentile of peak hourly demand), and the
//! two computations those schemes spend their time in.
//!
//! - `org_forecast/*`: 1,000 forecast trials on one thread (task pools simulated once, outside
//!   the timing), with the named schemes and without them (the headline bill alone): the
//!   difference is what the schemes cost. `1000_trials_with_schemes` bills the compute
//!   scheme's sizing pilot's trials once sized (`forecast::pilot`, December 2026);
//!   `1000_trials_pilot_simulated_twice` is the path before it, which simulated those trials a
//!   second time for their peaks (`simulate::run_simulating_pilot_twice`; the same outputs).
//! - `compute_month/*`: one month of the compute-hours scheme's hourly demand. `every_hour`
//!   is the old path's arithmetic (before December 2026's issue 14 work): 4 task kinds × 168
//!   working hours of translated-gamma draws, each kind rescaled to its month. `excess` is the
//!   path that replaced it (`forecast::hourly_demand`): the excess over a capacity near the
//!   month's 95th-percentile peak, from the order statistics of the hours drawn from the top;
//!   `largest` is what the sizing pilot draws (the largest hour).
//! - `seat_excess/excess_per_user`: one month of the seat plan's expected excess per user (24
//!   quadrature nodes, one incomplete-gamma evaluation each; the old path made three: 13.3 µs
//!   on the same machine, docs/guide/performance.md).
//!
//! Old path, measured at 74e9e24 on the 2-core AMD EPYC VM: `org_forecast/1000_trials_with_schemes`
//! 897 ms (criterion, 1 thread), and the whole `tokencast forecast scenarios/org-forecast.toml
//! -n 1000 --no-stress --threads 1` 0.70 s of user CPU, 8.30 billion instructions (callgrind).
//!
//! `cargo bench --bench forecast_schemes`. docs/guide/performance.md records the figures.

use std::hint::black_box;
use std::path::Path;

use criterion::{Criterion, Throughput, criterion_group, criterion_main};
use tokencast::engine::trial_rng;
use tokencast::forecast::aggregate::{CountModel, MonthUsage, TranslatedGamma};
use tokencast::forecast::hourly_demand::{HourLaw, MonthDemand};
use tokencast::forecast::seat_usage::excess_per_user;
use tokencast::forecast::{Forecast, ForecastConfig, Record, simulate};
use tokencast::pricing::scheme::BillingScheme;

const TRIALS: u64 = 1000;

/// Working hours of a 21-day month at 8 hours a day.
const HOURS: usize = 168;

fn org_forecast() -> Forecast {
    let path = Path::new(env!("CARGO_MANIFEST_DIR")).join("scenarios/org-forecast.toml");
    Forecast::load(&path, &[], None, None).expect("the bundled forecast loads")
}

fn whole_forecast(c: &mut Criterion) {
    let f = org_forecast();
    let config = ForecastConfig {
        trials: TRIALS,
        seed: 1,
        threads: Some(1),
        record: Record::FirstTrials,
    };
    let mut group = c.benchmark_group("org_forecast");
    group.throughput(Throughput::Elements(TRIALS));
    group.sample_size(10);
    group.bench_function("1000_trials_with_schemes", |b| {
        b.iter(|| black_box(simulate::run(&f.model, &config).unwrap()))
    });
    group.bench_function("1000_trials_pilot_simulated_twice", |b| {
        b.iter(|| black_box(simulate::run_simulating_pilot_twice(&f.model, &config).unwrap()))
    });
    let headline = f.model.headline_only();
    group.bench_function("1000_trials_headline_only", |b| {
        b.iter(|| black_box(simulate::run(&headline, &config).unwrap()))
    });
    group.finish();
}

/// The moments of one hour's compound-Poisson demand for each task kind of the bundled
/// forecast's compute scheme, at `per_hour` undrawn tasks an hour.
fn hourly_moments(f: &Forecast, per_hour: f64) -> Vec<(f64, f64, f64)> {
    let scheme = f
        .model
        .schemes
        .iter()
        .find(|s| matches!(s.scheme, BillingScheme::ComputeHours(_)))
        .expect("the bundled forecast has a compute-hours scheme");
    scheme
        .capacity_moments
        .iter()
        .map(|m| (per_hour * m[0], per_hour * m[1], per_hour * m[2]))
        .collect()
}

fn compute_month(c: &mut Criterion) {
    let f = org_forecast();
    let moments = hourly_moments(&f, 150.0);
    let mut group = c.benchmark_group("compute_month");
    let mut out = vec![0.0; HOURS];
    let mut i = 0u64;
    group.bench_function("every_hour", |b| {
        b.iter(|| {
            let mut rng = trial_rng(1, i);
            i += 1;
            let mut profile = vec![0.0; HOURS];
            for &(mean, var, m3) in &moments {
                let hourly = TranslatedGamma::new(mean, var, m3);
                let mut sum = 0.0;
                for d in out.iter_mut() {
                    *d = hourly.sample(&mut rng);
                    sum += *d;
                }
                let total = mean * HOURS as f64;
                for (p, d) in profile.iter_mut().zip(&out) {
                    *p += total * d / sum;
                }
            }
            black_box(&profile);
        })
    });
    // The kinds' cumulants add up: one hour's law.
    let (mean, var, m3) = moments
        .iter()
        .fold((0.0, 0.0, 0.0), |a, m| (a.0 + m.0, a.1 + m.1, a.2 + m.2));
    let law = HourLaw::new(mean, var, m3);
    let month = MonthDemand::undrawn(HOURS, law, mean * HOURS as f64, 1.0);
    let capacity = law.upper_quantile(0.05 / HOURS as f64);
    group.bench_function("excess", |b| {
        b.iter(|| {
            let mut rng = trial_rng(1, i);
            i += 1;
            black_box(month.excess(&mut rng, black_box(capacity)))
        })
    });
    group.bench_function("largest", |b| {
        b.iter(|| {
            let mut rng = trial_rng(1, i);
            i += 1;
            black_box(month.largest(&mut rng))
        })
    });
    group.finish();
}

fn seat_excess(c: &mut Criterion) {
    let usage = MonthUsage {
        active: 2000,
        days: 21,
        per_day: 3.0,
        dispersion: 1.5,
        sigma: 0.8,
        counts: CountModel::NegativeBinomial,
    };
    let mut group = c.benchmark_group("seat_excess");
    group.bench_function("excess_per_user", |b| {
        b.iter(|| black_box(excess_per_user(black_box(&usage), 1.2, 9.0, 25.0)))
    });
    group.finish();
}

// No HTML plots: criterion's plotters backend needs a system font (see benches/engine.rs).
criterion_group! {
    name = benches;
    config = Criterion::default().without_plots();
    targets = whole_forecast, compute_month, seat_excess
}
criterion_main!(benches);
