//! `compare` on a reduced bundled comparison (`scenarios/pricing-comparison.toml`, 200 seats,
//! 150 tasks per seat, five schemes): the months' tasks drawn from pre-simulated pools
//! (`Method::Pooled`, the default: 32 pools of 8,192 tasks) beside every task simulated
//! (`Method::Simulate`, the path it replaced), on the bench machine's cores.
//!
//! - `bundled_compare/pooled_{64,400}_months`: 64 and 400 months without the sweep (the pools
//!   are simulated inside the timing: they are part of every run).
//! - `bundled_compare/simulate_16_months`: 16 months with every task simulated (the old path;
//!   400 months take about 25 times as long).
//! - `bundled_compare/pooled_with_sweep`: 400 months and the bundled 16-point sweep, as the
//!   command runs it.
//!
//! `cargo bench --bench compare`. docs/guide/performance.md records the figures.

use std::hint::black_box;
use std::path::Path;

use criterion::{Criterion, Throughput, criterion_group, criterion_main};
use tokencast::engine::compare::{self, CompareSetup, Method, SweepAxis};
use tokencast::scenario::Scenario;

fn bundled() -> Scenario {
    let path = Path::new(env!("CARGO_MANIFEST_DIR")).join("scenarios/pricing-comparison.toml");
    Scenario::load(&path).expect("the bundled comparison loads")
}

fn setup(s: &Scenario, method: Method, sweep: bool) -> CompareSetup<'_> {
    let b = s.billing.as_ref().expect("billing");
    CompareSetup {
        workflow: &s.workflow,
        prices: &s.prices,
        workload: b.workload.clone(),
        schemes: b.schemes.clone(),
        baseline: b.baseline,
        along: SweepAxis::TasksPerSeat,
        sweep: if sweep { b.sweep.clone() } else { Vec::new() },
        sweep_periods: b.sweep_periods,
        method,
    }
}

fn bundled_compare(c: &mut Criterion) {
    let s = bundled();
    let mut group = c.benchmark_group("bundled_compare");
    group.sample_size(10);
    for months in [64u64, 400] {
        let pooled = setup(&s, Method::DEFAULT, false);
        group.throughput(Throughput::Elements(months));
        group.bench_function(format!("pooled_{months}_months"), |b| {
            b.iter(|| black_box(compare::compare(&pooled, months, 1, None).unwrap()))
        });
    }
    let simulate = setup(&s, Method::Simulate, false);
    group.throughput(Throughput::Elements(16));
    group.bench_function("simulate_16_months", |b| {
        b.iter(|| black_box(compare::compare(&simulate, 16, 1, None).unwrap()))
    });
    let full = setup(&s, Method::DEFAULT, true);
    group.throughput(Throughput::Elements(400));
    group.bench_function("pooled_with_sweep", |b| {
        b.iter(|| black_box(compare::compare(&full, 400, 1, None).unwrap()))
    });
    group.finish();
}

criterion_group! {
    name = benches;
    config = Criterion::default().without_plots();
    targets = bundled_compare
}
criterion_main!(benches);
