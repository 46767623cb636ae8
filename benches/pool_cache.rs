//! A task pool simulated by the task engine against the same pool loaded from the on-disk cache
//! (`forecast::pool_cache`): the fixed cost every forecast pays per task kind, and what a warm
//! cache pays instead.
//!
//! - `task_pool/simulate_1_thread`, `simulate_2_threads`: 65,536 tasks of the bundled
//!   `scenarios/reference-coding-task.toml` (`TaskPool::simulate`, what a cold cache does).
//! - `task_pool/load_from_cache`: the same pool read from its file (2.6 MB), its length and
//!   SHA-256 checked, decoded, and its moments recomputed (`pool_cache::read`).
//! - `task_pool/key`: the pool's cache key (the scenario's text and prices hashed; the
//!   executable's hash, computed once per process, is outside the timing).
//!
//! `cargo bench --bench pool_cache -- --noplot`. docs/guide/performance.md records the figures.

use std::hint::black_box;
use std::path::Path;

use criterion::{Criterion, criterion_group, criterion_main};
use tokencast::forecast::pool::TaskPool;
use tokencast::forecast::pool_cache;
use tokencast::scenario::Scenario;

const POOL: u64 = 65_536;
const SEED: u64 = 0x5eed;

fn pools(c: &mut Criterion) {
    let path = Path::new(env!("CARGO_MANIFEST_DIR")).join("scenarios/reference-coding-task.toml");
    let scenario = Scenario::load(&path).expect("the bundled task scenario loads");
    let mut group = c.benchmark_group("task_pool");
    group.sample_size(10);
    group.bench_function("simulate_1_thread", |b| {
        b.iter(|| black_box(TaskPool::simulate(&scenario, POOL, SEED, Some(1)).unwrap()))
    });
    group.bench_function("simulate_2_threads", |b| {
        b.iter(|| black_box(TaskPool::simulate(&scenario, POOL, SEED, Some(2)).unwrap()))
    });
    let dir = tempfile::tempdir().expect("a temporary directory");
    let binary = [0u8; 32];
    let key = pool_cache::pool_key(&scenario, POOL, SEED, &binary);
    let pool = TaskPool::simulate(&scenario, POOL, SEED, Some(1)).unwrap();
    pool_cache::write(dir.path(), &key, &pool).expect("the pool is written");
    group.bench_function("load_from_cache", |b| {
        b.iter(|| black_box(pool_cache::read(dir.path(), &key).expect("a hit")))
    });
    group.bench_function("key", |b| {
        b.iter(|| black_box(pool_cache::pool_key(&scenario, POOL, SEED, &binary)))
    });
    group.finish();
}

criterion_group!(benches, pools);
criterion_main!(benches);
