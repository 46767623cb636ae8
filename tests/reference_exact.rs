//! The reference scenario against its exact expectations.
//!
//! `scenarios/reference-coding-task.toml` states its semantics in its header; this file derives
//! the exact mean of every reported quantity from them by closed forms and exact sums (no
//! simulation), runs 200,000 trials at a fixed seed and checks each simulated mean within
//! 4 standard errors (the `se` the summary reports: sd / sqrt(n) for means, the binomial
//! sqrt(p (1 - p) / n) for the success rate). At 4 SE a correct simulator fails a given check
//! with probability about 6e-5; the seed is fixed, so the outcome is reproducible.
//!
//! Derivation. Write LN(m, s) for max(1, round(X)) with X log-normal (median m, shape s); its
//! mean is `common::rounded_lognormal_mean` (an exact tail sum). Let
//!   c0 = 6000 + LN(400, 0.5)                  the starting context,
//!   e  = LN(120, 0.4) + LN(1800, 0.9)         what one exploration read adds to the context,
//!   x  = LN(900, 0.7) + LN(1500, 1.0)         what one fix attempt adds,
//! R = 1 + Poisson(5) reads and A fix attempts, with P(A = k) = 0.6^(k-1) 0.4 for k < 6 and
//! P(A = 6) = 0.6^5. R, A and every token draw are independent (the loop's pass/fail draw is
//! a separate uniform). Given R = r and A = a, the calls' prompts are
//!   explore i (1..=r):  c0 + Σ_{j<i} e_j
//!   fix k (1..=a):      c0 + Σ_{j<=r} e_j + Σ_{l<k} x_l
//!   finish:             c0 + Σ_{j<=r} e_j + Σ_{l<=a} x_l
//! which are linear in the independent draws, so
//!   E[Σ prompts | r, a] = (r + a + 1) E[c0] + E[e] (r (r - 1) / 2 + r (a + 1))
//!                         + E[x] (a (a - 1) / 2 + a),
//!   E[last prompt | r, a] = E[c0] + r E[e] + a E[x].
//! Prompts never shrink, so with prefix caching each call reads the previous prompt from cache
//! and writes the difference (the first writes all): over a trial cache_write telescopes to
//! the last prompt and cache_read is the sum of all prompts but the last. Output tokens are
//! r LN(120, 0.4) + a LN(900, 0.7) + LN(250, 0.5). Summing over (r, a) with their
//! probabilities gives the unconditional means; cost is (3.75 cw + 0.30 cr + 15 out) / 1e6
//! with caching (no plain input), (3 Σ prompts + 15 out) / 1e6 without.

mod common;

use std::path::Path;
use std::sync::OnceLock;

use common::{poisson_pmf, rounded_lognormal_mean, truncated_geometric_pmf};
use tokencast::engine::{RunConfig, Silent, Summary};
use tokencast::scenario::Scenario;

const TRIALS: u64 = 200_000;
const SEED: u64 = 20_240_611;

/// Exact means of the reference scenario's per-trial totals.
#[derive(Debug)]
struct Exact {
    calls: f64,
    output: f64,
    /// Sum of all calls' prompts.
    prompts: f64,
    /// The last call's prompt.
    last_prompt: f64,
    success: f64,
}

fn exact() -> &'static Exact {
    static EXACT: OnceLock<Exact> = OnceLock::new();
    EXACT.get_or_init(|| {
        let task = rounded_lognormal_mean(400.0, 0.5);
        let explore_out = rounded_lognormal_mean(120.0, 0.4);
        let file = rounded_lognormal_mean(1800.0, 0.9);
        let fix_out = rounded_lognormal_mean(900.0, 0.7);
        let test_out = rounded_lognormal_mean(1500.0, 1.0);
        let finish_out = rounded_lognormal_mean(250.0, 0.5);
        let c0 = 6000.0 + task;
        let e = explore_out + file;
        let x = fix_out + test_out;

        // P(R = r) = P(Poisson(5) = r - 1); the mass beyond r = 80 is below 1e-60.
        let reads = poisson_pmf(5.0, 80);
        let attempts = truncated_geometric_pmf(0.4, 6);
        let mut mass = 0.0;
        let (mut calls, mut output, mut prompts, mut last) = (0.0, 0.0, 0.0, 0.0);
        for (n, &pr) in reads.iter().enumerate() {
            let r = n as f64 + 1.0;
            for (a, &pa) in attempts.iter().enumerate() {
                let a = a as f64;
                let w = pr * pa;
                mass += w;
                calls += w * (r + a + 1.0);
                output += w * (r * explore_out + a * fix_out + finish_out);
                prompts += w
                    * ((r + a + 1.0) * c0
                        + e * (r * (r - 1.0) / 2.0 + r * (a + 1.0))
                        + x * (a * (a - 1.0) / 2.0 + a));
                last += w * (c0 + r * e + a * x);
            }
        }
        assert!((mass - 1.0).abs() < 1e-14, "probabilities sum to {mass}");
        Exact {
            calls,
            output,
            prompts,
            last_prompt: last,
            success: 1.0 - 0.6f64.powi(6),
        }
    })
}

fn reference_text() -> String {
    let path = Path::new(env!("CARGO_MANIFEST_DIR")).join("scenarios/reference-coding-task.toml");
    std::fs::read_to_string(path).expect("the reference scenario is readable")
}

fn simulate(text: String) -> Summary {
    let scenario =
        Scenario::from_text("reference-coding-task.toml", "reference", text).expect("compiles");
    let config = RunConfig {
        trials: TRIALS,
        seed: SEED,
        threads: None,
    };
    tokencast::simulate(&scenario, &config, &mut Silent).expect("the run completes")
}

/// Asserts `|sim - exact| <= 4 se` (and that the SE is a real, positive number, so the check
/// cannot pass vacuously) and prints both values.
fn check(what: &str, sim: f64, se: f64, exact: f64) {
    let z = (sim - exact) / se;
    println!("{what:>20}: simulated {sim:.6} ± {se:.6} (SE), exact {exact:.6}, z = {z:+.2}");
    assert!(se.is_finite() && se > 0.0, "{what}: standard error {se}");
    assert!(
        z.abs() <= 4.0,
        "{what}: simulated {sim} is {z:.2} standard errors from the exact {exact} (SE {se})"
    );
}

fn check_metric(summary: &Summary, name: &str, exact: f64) {
    let m = summary.metric(name).expect("metric reported");
    check(name, m.mean, m.se, exact);
}

#[test]
fn exact_expectations_hold_with_prefix_caching() {
    let ex = exact();
    let summary = simulate(reference_text());
    assert_eq!(summary.trials, TRIALS);

    let cache_write = ex.last_prompt;
    let cache_read = ex.prompts - ex.last_prompt;
    let cost = (3.75 * cache_write + 0.30 * cache_read + 15.0 * ex.output) / 1e6;
    check_metric(&summary, "calls", ex.calls);
    check_metric(&summary, "output_tokens", ex.output);
    check_metric(&summary, "cache_write_tokens", cache_write);
    check_metric(&summary, "cache_read_tokens", cache_read);
    check_metric(&summary, "cost_usd", cost);
    check(
        "success_rate",
        summary.success_rate.mean,
        summary.success_rate.se,
        ex.success,
    );

    // Every prompt token is cached or written: none is billed as plain input.
    let input = summary.metric("input_tokens").expect("input reported");
    assert_eq!((input.mean, input.max), (0.0, 0.0));
}

#[test]
fn exact_expectations_hold_without_caching() {
    let ex = exact();
    let text = reference_text();
    let off = text.replace("caching = \"prefix\"", "caching = \"off\"");
    assert_ne!(
        off, text,
        "the reference scenario sets caching = \"prefix\""
    );
    let summary = simulate(off);

    let cost = (3.0 * ex.prompts + 15.0 * ex.output) / 1e6;
    check_metric(&summary, "input_tokens", ex.prompts);
    check_metric(&summary, "output_tokens", ex.output);
    check_metric(&summary, "calls", ex.calls);
    check_metric(&summary, "cost_usd", cost);
    for name in ["cache_read_tokens", "cache_write_tokens"] {
        let m = summary.metric(name).expect("metric reported");
        assert_eq!((m.mean, m.max), (0.0, 0.0), "{name} without caching");
    }
}

#[test]
fn the_rounded_lognormal_mean_matches_known_limits() {
    // Sanity of the exact helper itself, against values derivable by hand:
    // for a huge median the rounding is negligible and the mean is median · e^(s²/2) (the
    // rounding error of a smooth density averages to under 1e-6 here);
    // for a tiny median almost every draw rounds to the floor 1.
    let big = rounded_lognormal_mean(1e5, 0.1);
    let closed = 1e5 * (0.1f64 * 0.1 / 2.0).exp();
    assert!((big - closed).abs() < 1e-6 * closed, "{big} vs {closed}");
    let tiny = rounded_lognormal_mean(1e-3, 0.5);
    assert!((tiny - 1.0).abs() < 1e-12, "{tiny}");
}
