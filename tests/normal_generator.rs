//! The crate's ziggurat normal generator (`tokencast::dist::standard_normal`) against the
//! standard normal's exact moments, quantiles and cell probabilities, at fixed seeds.
//!
//! Tolerances: 4 standard errors, each derived from the exact law:
//! - raw moments `E[Z^k]` (0, 1, 0, 3): the mean of `N` values of `Z^k` has standard error
//!   `sqrt((E[Z^2k] − E[Z^k]²) / N)`, with `E[Z^2k] = (2k − 1)!!`;
//! - a sample quantile at level `p`: `sqrt(p (1 − p) / N) / φ(z_p)` (its asymptotic law);
//! - a cell's frequency: `sqrt(p (1 − p) / N)`.
//!
//! The Pearson chi-square over 1,000 equiprobable cells and the Kolmogorov–Smirnov distance
//! are compared with their 0.999 quantiles. The base layer's tail (beyond R = 3.6542, a path of
//! its own) and the wedges (checked by the fine cells) are covered separately.

mod common;

use common::std_normal;
use statrs::distribution::{ChiSquared, Continuous, ContinuousCDF};
use tokencast::dist::standard_normal;
use tokencast::engine::trial_rng;

const N: usize = 4_000_000;

/// `N` draws from one trial stream per million values (as the engine would use them).
fn draws(seed: u64) -> Vec<f64> {
    let mut out = Vec::with_capacity(N);
    for stream in 0..(N as u64).div_ceil(1_000_000) {
        let mut rng = trial_rng(seed, stream);
        let take = (N - out.len()).min(1_000_000);
        out.extend((0..take).map(|_| standard_normal(&mut rng)));
    }
    out
}

#[test]
fn raw_moments_match_the_normal() {
    let z = draws(11);
    let n = N as f64;
    // (k, E[Z^k], E[Z^2k])
    for (k, exact, second) in [
        (1, 0.0, 1.0),
        (2, 1.0, 3.0),
        (3, 0.0, 15.0),
        (4, 3.0, 105.0),
    ] {
        let mean = z.iter().map(|x| x.powi(k)).sum::<f64>() / n;
        let se = ((second - exact * exact) / n).sqrt();
        let score = (mean - exact) / se;
        println!("E[Z^{k}] = {mean:.6} (exact {exact}, {score:+.2} SE)");
        assert!(
            score.abs() < 4.0,
            "E[Z^{k}] = {mean}, exact {exact}, {score:.2} SE"
        );
    }
}

#[test]
fn quantiles_match_the_normal() {
    let mut z = draws(12);
    z.sort_by(f64::total_cmp);
    let normal = std_normal();
    let n = N as f64;
    for p in [
        0.0005, 0.001, 0.01, 0.05, 0.25, 0.5, 0.75, 0.95, 0.99, 0.999, 0.9995,
    ] {
        let exact = normal.inverse_cdf(p);
        let got = z[((p * n).ceil() as usize).max(1) - 1];
        let se = (p * (1.0 - p) / n).sqrt() / normal.pdf(exact);
        let score = (got - exact) / se;
        println!("q({p}) = {got:.5} (exact {exact:.5}, {score:+.2} SE)");
        assert!(score.abs() < 4.0, "q({p}) = {got}, exact {exact}");
    }
}

#[test]
fn equiprobable_cells_pass_chi_square_and_ks() {
    let z = draws(13);
    let normal = std_normal();
    const CELLS: usize = 1000;
    let mut counts = vec![0u64; CELLS];
    for &x in &z {
        let cell = (normal.cdf(x) * CELLS as f64) as usize;
        counts[cell.min(CELLS - 1)] += 1;
    }
    let expected = N as f64 / CELLS as f64;
    let stat: f64 = counts
        .iter()
        .map(|&c| (c as f64 - expected).powi(2) / expected)
        .sum();
    let critical = ChiSquared::new((CELLS - 1) as f64)
        .unwrap()
        .inverse_cdf(0.999);
    println!(
        "chi-square {stat:.1} on {} df (0.999 quantile {critical:.1})",
        CELLS - 1
    );
    assert!(stat < critical, "chi-square {stat} >= {critical}");

    // Kolmogorov–Smirnov: sqrt(N) D against the asymptotic 0.999 quantile 1.9495.
    let mut sorted = z;
    sorted.sort_by(f64::total_cmp);
    let n = N as f64;
    let d = sorted
        .iter()
        .enumerate()
        .map(|(i, &x)| {
            let f = normal.cdf(x);
            (f - i as f64 / n).max((i + 1) as f64 / n - f)
        })
        .fold(0.0, f64::max);
    println!("KS sqrt(N) D = {:.3}", d * n.sqrt());
    assert!(d * n.sqrt() < 1.9495, "KS distance {d}");
}

#[test]
fn the_tails_have_their_exact_mass() {
    // Beyond R the draws come from the tail algorithm; beyond 4 and 4.5 they probe its shape.
    let z = draws(14);
    let normal = std_normal();
    let n = N as f64;
    for (a, b) in [
        (3.654_152_885_361_009, 4.0),
        (4.0, 4.5),
        (4.5, f64::INFINITY),
    ] {
        for sign in [-1.0, 1.0] {
            let count = z.iter().filter(|&&x| a < sign * x && sign * x <= b).count() as f64;
            let p = normal.cdf(b) - normal.cdf(a);
            let se = (p * (1.0 - p) / n).sqrt();
            let score = (count / n - p) / se;
            println!(
                "P({a} < {sign} Z <= {b}): {count} draws, expected {:.1} ({score:+.2} SE)",
                p * n
            );
            assert!(
                score.abs() < 4.0,
                "({a}, {b}] x {sign}: {count} draws, p = {p}"
            );
        }
    }
}

#[test]
fn draws_are_pinned() {
    // A regression guard, not a correctness check: these bits were produced once by this
    // generator; a change means every published result shifts, so it must be deliberate.
    let mut rng = trial_rng(42, 7);
    let got: Vec<u64> = (0..4)
        .map(|_| standard_normal(&mut rng).to_bits())
        .collect();
    assert_eq!(got, PINNED);
}

const PINNED: [u64; 4] = [
    13_819_977_241_035_557_457,
    13_829_993_483_295_348_190,
    13_825_008_526_795_308_823,
    13_821_676_816_197_545_035,
];
