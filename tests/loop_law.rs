//! The reference scenario's iteration counts follow their exact laws.
//!
//! 100,000 trials are drawn the way the engine draws them (`trial_rng(seed, i)` then
//! `run_trial`), and the iterations of each phase are tallied:
//! - the fix loop's attempt count A (p_pass = 0.4, at most 6): P(A = k) = 0.6^(k-1) 0.4 for
//!   k < 6 and P(A = 6) = 0.6^5;
//! - the exploration's read count R = 1 + Poisson(5);
//! - the pair (R, A), whose cells must have the product probabilities (they are independent).
//!
//! Each law gets a Pearson chi-square goodness-of-fit test against the chi-square quantile at
//! 0.999 (cells pooled so every expected count is at least 5, the usual condition for the
//! chi-square approximation), and each single value's count must lie within 4 binomial
//! standard errors sqrt(n p (1 - p)) of n p. The seed is fixed, so the outcome is reproducible.

mod common;

use std::path::Path;
use std::sync::OnceLock;

use common::{poisson_pmf, truncated_geometric_pmf};
use statrs::distribution::{ChiSquared, ContinuousCDF};
use tokencast::engine::trial_rng;
use tokencast::scenario::Scenario;
use tokencast::workflow::TrialUsage;

const TRIALS: u64 = 100_000;
const SEED: u64 = 1_005_013;
const EXPLORE: usize = 0;
const FIX: usize = 1;

struct Tally {
    /// (R, A, success) per trial.
    trials: Vec<(u64, u64, bool)>,
}

/// The tally of the run, drawn once and shared by the tests.
fn tally() -> &'static Tally {
    static TALLY: OnceLock<Tally> = OnceLock::new();
    TALLY.get_or_init(draw)
}

fn draw() -> Tally {
    let path = Path::new(env!("CARGO_MANIFEST_DIR")).join("scenarios/reference-coding-task.toml");
    let scenario = Scenario::load(&path).expect("the reference scenario loads");
    let wf = &scenario.workflow;
    assert_eq!(wf.phase_names[EXPLORE], "explore");
    assert_eq!(wf.phase_names[FIX], "fix");
    let mut usage = TrialUsage::new(wf.phase_count(), wf.model_count());
    let trials = (0..TRIALS)
        .map(|i| {
            wf.run_trial(&mut trial_rng(SEED, i), &mut usage);
            (
                usage.iterations(EXPLORE),
                usage.iterations(FIX),
                usage.success,
            )
        })
        .collect();
    Tally { trials }
}

/// Pearson's statistic of observed counts against expected probabilities (which must cover
/// every outcome: they are checked to sum to 1), compared with the 0.999 quantile.
fn chi_square(what: &str, observed: &[u64], probs: &[f64]) {
    assert_eq!(observed.len(), probs.len());
    let total: f64 = probs.iter().sum();
    assert!(
        (total - 1.0).abs() < 1e-12,
        "{what}: probabilities sum to {total}"
    );
    let n = observed.iter().sum::<u64>() as f64;
    let mut stat = 0.0;
    for (&o, &p) in observed.iter().zip(probs) {
        let e = n * p;
        assert!(e >= 5.0, "{what}: a cell expects {e} < 5: pool it");
        stat += (o as f64 - e).powi(2) / e;
    }
    let df = (observed.len() - 1) as f64;
    let critical = ChiSquared::new(df).expect("df > 0").inverse_cdf(0.999);
    println!("{what}: chi-square {stat:.2} on {df} df, 0.999 quantile {critical:.2}");
    assert!(
        stat <= critical,
        "{what}: chi-square {stat:.2} exceeds the 0.999 quantile {critical:.2} ({df} df); observed {observed:?}"
    );
}

/// The count of one value within 4 binomial standard errors of its expectation.
fn binomial(what: &str, count: u64, n: u64, p: f64) {
    let (n, c) = (n as f64, count as f64);
    let se = (n * p * (1.0 - p)).sqrt();
    assert!(se > 0.0, "{what}: degenerate probability {p}");
    let z = (c - n * p) / se;
    assert!(
        z.abs() <= 4.0,
        "{what}: count {count}, expected {:.1} (SE {se:.1}), z = {z:.2}",
        n * p
    );
}

/// The Poisson(5) probabilities of 0..k-1 and then of `>= k`, with `k` the largest cut that
/// leaves the pooled tail at least 5 expected counts.
fn pooled_poisson(lambda: f64, n: u64) -> Vec<f64> {
    let pmf = poisson_pmf(lambda, 200);
    let mut cut = 1;
    while n as f64 * (1.0 - pmf[..cut + 1].iter().sum::<f64>()) >= 5.0 {
        cut += 1;
    }
    let mut probs = pmf[..cut].to_vec();
    probs.push(1.0 - probs.iter().sum::<f64>());
    probs
}

#[test]
fn fix_attempts_follow_the_truncated_geometric_law() {
    let t = tally();
    let pmf = truncated_geometric_pmf(0.4, 6);
    let mut counts = [0u64; 7];
    for &(_, a, _) in &t.trials {
        assert!((1..=6).contains(&a), "the fix loop ran {a} attempts");
        counts[a as usize] += 1;
    }
    chi_square("attempts", &counts[1..], &pmf[1..]);
    for k in 1..=6 {
        binomial(&format!("A = {k}"), counts[k], TRIALS, pmf[k]);
    }

    // The sixth attempt passes with probability 0.4, so P(success | A = 6) = 0.4, and every
    // trial with A < 6 passed.
    let last: Vec<bool> = t.trials.iter().filter(|x| x.1 == 6).map(|x| x.2).collect();
    let passed = last.iter().filter(|&&s| s).count() as u64;
    binomial("success after 6 attempts", passed, last.len() as u64, 0.4);
    assert!(
        t.trials.iter().all(|&(_, a, s)| a == 6 || s),
        "a loop that passed before its maximum failed the task"
    );
}

#[test]
fn reads_are_one_plus_poisson() {
    let t = tally();
    let probs = pooled_poisson(5.0, TRIALS);
    let cut = probs.len() - 1;
    let mut counts = vec![0u64; probs.len()];
    for &(r, _, _) in &t.trials {
        assert!(
            r >= 1,
            "an exploration ran {r} reads: the shift of 1 is lost"
        );
        counts[((r - 1) as usize).min(cut)] += 1;
    }
    chi_square("reads", &counts, &probs);
    for (k, (&c, &p)) in counts.iter().zip(&probs).enumerate() {
        binomial(&format!("R - 1 = {k}"), c, TRIALS, p);
    }
}

#[test]
fn reads_and_attempts_are_independent() {
    let t = tally();
    // R - 1 in 0..=9 and >= 10, times A in 1..=6: the smallest cell expects
    // 1e5 * e^-5 * 0.6^5 = 52.
    let pois = poisson_pmf(5.0, 10);
    let mut r_probs = pois.clone();
    r_probs.push(1.0 - pois.iter().sum::<f64>());
    let a_probs = truncated_geometric_pmf(0.4, 6);
    let mut counts = vec![0u64; r_probs.len() * 6];
    let mut probs = Vec::with_capacity(counts.len());
    for pr in &r_probs {
        for pa in &a_probs[1..] {
            probs.push(pr * pa);
        }
    }
    for &(r, a, _) in &t.trials {
        let ri = ((r - 1) as usize).min(r_probs.len() - 1);
        counts[ri * 6 + (a as usize - 1)] += 1;
    }
    chi_square("(reads, attempts)", &counts, &probs);
}
