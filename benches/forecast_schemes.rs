//! The forecast's own billing schemes on the bundled organisation forecast
//! (`scenarios/org-forecast.toml`: a seat plan on more than `exact_users_max` active users, a
//! commitment, and compute hours sized to the 95th percentile of peak hourly demand), and the
//! two computations those schemes spend their time in, each beside the reference form it
//! replaced. Both forms give the same bits from the same random words (unit tests in
//! `forecast::aggregate`, `stats::special` and `dist::gamma` check it on random inputs).
//!
//! - `org_forecast/*`: 1,000 forecast trials on one thread (task pools simulated once, outside
//!   the timing), with the named schemes and without them (the headline bill alone): the
//!   difference is what the schemes cost.
//! - `hourly_demand/*`: one month of the compute-hours profile: 4 task kinds × 168 working
//!   hours of translated-gamma demand, per hour (`reference`, the old path) or with the
//!   constants computed once and the generator in registers (`hoisted`).
//! - `seat_excess/*`: one month of the seat plan's expected excess per user (24 quadrature
//!   nodes × 3 incomplete-gamma evaluations), and the three evaluations at one node with
//!   `ln x` computed three times (`reference`) or once (`shared_ln_x`).
//!
//! `cargo bench --bench forecast_schemes`. docs/guide/performance.md records the figures.

use std::hint::black_box;
use std::path::Path;

use criterion::{Criterion, Throughput, criterion_group, criterion_main};
use tokencast::dist::ln;
use tokencast::engine::trial_rng;
use tokencast::forecast::aggregate::{CountModel, MonthUsage, TranslatedGamma, translated_gamma};
use tokencast::forecast::seat_usage::excess_per_user;
use tokencast::forecast::{Forecast, ForecastConfig, Record, simulate};
use tokencast::pricing::scheme::BillingScheme;
use tokencast::stats::special::{gamma_p, gamma_p_with_ln_x};

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

fn hourly_demand(c: &mut Criterion) {
    let f = org_forecast();
    let moments = hourly_moments(&f, 150.0);
    let mut group = c.benchmark_group("hourly_demand");
    group.throughput(Throughput::Elements((HOURS * moments.len()) as u64));
    let mut out = vec![0.0; HOURS];
    let mut i = 0u64;
    group.bench_function("reference", |b| {
        b.iter(|| {
            let mut rng = trial_rng(1, i);
            i += 1;
            for &(mean, var, m3) in &moments {
                for d in out.iter_mut() {
                    *d = translated_gamma(&mut rng, mean, var, m3);
                }
            }
            black_box(&out);
        })
    });
    group.bench_function("hoisted", |b| {
        b.iter(|| {
            let mut rng = trial_rng(1, i);
            i += 1;
            for &(mean, var, m3) in &moments {
                let hourly = TranslatedGamma::new(mean, var, m3);
                for d in out.iter_mut() {
                    *d = hourly.sample(&mut rng);
                }
            }
            black_box(&out);
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
    // One node's three shapes at one point (alpha 6, x 4: the series branch for the first
    // two shapes, as for most nodes of the month above).
    let (alpha, x) = (6.0, 4.0);
    group.bench_function("reference", |b| {
        b.iter(|| {
            let (a, x) = (black_box(alpha), black_box(x));
            black_box((gamma_p(a, x), gamma_p(a + 1.0, x), gamma_p(a + 2.0, x)))
        })
    });
    group.bench_function("shared_ln_x", |b| {
        b.iter(|| {
            let (a, x) = (black_box(alpha), black_box(x));
            let ln_x = ln(x);
            black_box((
                gamma_p_with_ln_x(a, x, ln_x),
                gamma_p_with_ln_x(a + 1.0, x, ln_x),
                gamma_p_with_ln_x(a + 2.0, x, ln_x),
            ))
        })
    });
    group.finish();
}

// No HTML plots: criterion's plotters backend needs a system font (see benches/engine.rs).
criterion_group! {
    name = benches;
    config = Criterion::default().without_plots();
    targets = whole_forecast, hourly_demand, seat_excess
}
criterion_main!(benches);
