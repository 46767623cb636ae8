//! Engine throughput on the reference scenario: whole runs (simulation + streaming
//! aggregation) on one thread and on all threads, and the bare per-trial executor.
//!
//! `cargo bench --bench engine`; criterion reports time per iteration and, through
//! `Throughput::Elements`, trials per second. docs/guide/performance.md records the figures.

use std::hint::black_box;
use std::path::Path;

use criterion::{Criterion, Throughput, criterion_group, criterion_main};
use tokencast::engine::{self, RunConfig, Silent, trial_rng};
use tokencast::scenario::Scenario;
use tokencast::workflow::TrialUsage;

const TRIALS: u64 = 1 << 20;

fn reference() -> Scenario {
    let path = Path::new(env!("CARGO_MANIFEST_DIR")).join("scenarios/reference-coding-task.toml");
    Scenario::load(&path).expect("the reference scenario loads")
}

fn whole_runs(c: &mut Criterion) {
    let scenario = reference();
    let prices = scenario.price_table();
    let cores = std::thread::available_parallelism().map_or(1, |n| n.get());
    let mut group = c.benchmark_group("reference_run");
    group.throughput(Throughput::Elements(TRIALS));
    group.sample_size(10);
    let mut counts = vec![1, cores];
    counts.dedup();
    for threads in counts {
        let config = RunConfig {
            trials: TRIALS,
            seed: 1,
            threads: Some(threads),
        };
        group.bench_function(format!("{threads}_thread"), |b| {
            b.iter(|| {
                black_box(engine::run(&scenario.workflow, &prices, &config, &mut Silent).unwrap())
            })
        });
    }
    group.finish();
}

fn bare_trials(c: &mut Criterion) {
    let scenario = reference();
    let wf = &scenario.workflow;
    let mut usage = TrialUsage::new(wf.phase_count(), wf.model_count());
    let mut group = c.benchmark_group("reference_trial");
    group.throughput(Throughput::Elements(1));
    let mut i = 0u64;
    group.bench_function("executor_only", |b| {
        b.iter(|| {
            let mut rng = trial_rng(1, i);
            i += 1;
            wf.run_trial(&mut rng, &mut usage);
            black_box(usage.total_calls())
        })
    });
    group.finish();
}

// No HTML plots: criterion's plotters backend looks for system fonts, which a fresh machine
// lacks (it panics with FontUnavailable); the figures are what we record.
criterion_group! {
    name = benches;
    config = Criterion::default().without_plots();
    targets = whole_runs, bare_trials, samplers
}
criterion_main!(benches);

fn samplers(c: &mut Criterion) {
    use tokencast::dist::{DistSpec, Family, LogNormalSpec, Sampler};
    let spec = DistSpec {
        family: Family::Lognormal(LogNormalSpec {
            median: Some(900.0),
            sigma: Some(0.7),
            ..Default::default()
        }),
        shift: 0.0,
        min: None,
        max: None,
        label: None,
    };
    let s = Sampler::compile(&spec).unwrap();
    let mut rng = trial_rng(1, 0);
    let mut group = c.benchmark_group("sampler");
    group.throughput(Throughput::Elements(1000));
    group.bench_function("lognormal_count_x1000", |b| {
        b.iter(|| {
            let mut acc = 0u64;
            for _ in 0..1000 {
                acc += s.sample_count(&mut rng);
            }
            black_box(acc)
        })
    });
    group.bench_function("seed_x1000", |b| {
        let mut i = 0;
        b.iter(|| {
            let mut acc = 0u64;
            for _ in 0..1000 {
                i += 1;
                acc ^= rand::Rng::next_u64(&mut trial_rng(1, i));
            }
            black_box(acc)
        })
    });
    group.finish();
}
