//! Task difficulty and rank-correlated inputs (`[difficulty]`, `difficulty` exponents,
//! `[[correlation]]`) against exact results at fixed seeds, with tolerances from the standard
//! error:
//!
//! - a draw times `D` keeps its mean, a draw times `D²` has its mean times `exp(σ²)`
//!   (`D = exp(σZ − σ²/2)`);
//! - an `until_pass` loop with `p_pass^D` succeeds with `E[1 − (1 − p^D)^n]`, integrated
//!   numerically over `Z`;
//! - the achieved Spearman correlations are the targets within their SE;
//! - the summary is byte-identical on 1 and 3 threads, and a spread of 0 gives exactly the
//!   trials of the scenario without difficulty.

use tokencast::engine::{RunConfig, Silent};
use tokencast::report::summary_json;
use tokencast::scenario::Scenario;
use tokencast::simulate;

const HEAD: &str = r#"
[models.m]
input = 1.0
output = 1.0
cache_write = 1.0
cache_read = 1.0

[agent]
model = "m"
caching = "off"
system_prompt = 100
"#;

fn load(text: &str) -> Scenario {
    Scenario::from_text("test.toml", "test", format!("{HEAD}{text}")).expect("loads")
}

fn run(s: &Scenario, trials: u64, threads: usize) -> tokencast::engine::Summary {
    let config = RunConfig {
        trials,
        seed: 2024,
        threads: Some(threads),
    };
    simulate(s, &config, &mut Silent).expect("runs")
}

const LINKS: &str = r#"
[difficulty]
spread = 0.5

[[phases]]
name = "linear"
steps = [{ call = { output = 1000, difficulty = 1.0 } }]

[[phases]]
name = "square"
steps = [{ call = { output = 1000, difficulty = 2.0 } }]

[[phases]]
name = "loop"
difficulty = 1.0
until_pass = { p_pass = 0.5, max_attempts = 3, on_exhausted = "fail" }
steps = [{ call = { output = 10 } }]
"#;

#[test]
fn draws_scale_by_d_to_the_power_of_their_exponent() {
    let summary = run(&load(LINKS), 40_000, 2);
    let output = |phase: &str| {
        let m = summary
            .by_phase
            .get(phase)
            .unwrap()
            .get("output_tokens")
            .unwrap();
        (m.mean, m.se)
    };
    // E[1000 D] = 1000; E[1000 D²] = 1000 exp(σ²). Rounding to whole tokens moves a mean by
    // far less than 0.01 token here.
    let (mean, se) = output("linear");
    assert!((mean - 1000.0).abs() < 4.0 * se + 0.01, "{mean} ± {se}");
    let want = 1000.0 * 0.25f64.exp();
    let (mean, se) = output("square");
    assert!(
        (mean - want).abs() < 4.0 * se + 0.01,
        "{mean} ± {se} vs {want}"
    );
    assert!(se > 1.0, "the draws vary: {se}");
}

/// `E[f(Z)]` for a standard normal `Z`, by the trapezoid rule on [−10, 10].
fn normal_expectation(f: impl Fn(f64) -> f64) -> f64 {
    let n = 20_000;
    let h = 20.0 / n as f64;
    (0..=n)
        .map(|i| {
            let z = -10.0 + i as f64 * h;
            let w = if i == 0 || i == n { 0.5 } else { 1.0 };
            w * f(z) * (-0.5 * z * z).exp() / (2.0 * std::f64::consts::PI).sqrt()
        })
        .sum::<f64>()
        * h
}

#[test]
fn the_pass_probability_link_matches_its_closed_form() {
    let s = load(LINKS);
    let summary = run(&s, 40_000, 2);
    let sigma: f64 = 0.5;
    let q = |z: f64| 0.5f64.powf((sigma * z - 0.5 * sigma * sigma).exp());
    let p_success = normal_expectation(|z| 1.0 - (1.0 - q(z)).powi(3));
    // Expected attempts of a loop of at most 3: 1 + (1 − q) + (1 − q)².
    let attempts = normal_expectation(|z| 1.0 + (1.0 - q(z)) + (1.0 - q(z)).powi(2));
    let sr = &summary.success_rate;
    assert!(
        (sr.mean - p_success).abs() < 4.0 * sr.se,
        "{} ± {} vs {p_success}",
        sr.mean,
        sr.se
    );
    let it = summary
        .by_phase
        .get("loop")
        .unwrap()
        .get("iterations")
        .unwrap();
    assert!(
        (it.mean - attempts).abs() < 4.0 * it.se,
        "{} ± {} vs {attempts}",
        it.mean,
        it.se
    );
    // Without the link the loop succeeds with 1 − 0.5³ = 0.875: the link must show.
    assert!(
        p_success < 0.86 && sr.mean < 0.87,
        "{p_success} {}",
        sr.mean
    );
}

const CORRELATED: &str = r#"
[difficulty]
spread = 0.6

[[phases]]
name = "explore"
repeat = { negative_binomial = { mean = 40, dispersion = 5 } }
difficulty = 1.0
steps = [{ call = { output = 100 } }, { tool = { tokens = 500, difficulty = 1.0 } }]

[[phases]]
name = "tests"
repeat = { gamma = { mean = 30, sd = 10 } }
steps = [{ call = { output = 100 } }]

[[correlation]]
between = ["difficulty", "agent.task_prompt"]
spearman = 0.5

[[correlation]]
between = ["phases.explore.repeat", "agent.task_prompt"]
spearman = -0.3

[[correlation]]
between = ["phases.tests.repeat", "difficulty"]
spearman = 0.7
"#;

/// A scenario with three correlated pairs among four inputs (a log-normal prompt, a negative
/// binomial and a gamma repeat count, and the difficulty).
fn correlated() -> Scenario {
    let head = HEAD.replace(
        "system_prompt = 100",
        "system_prompt = 100\ntask_prompt = { lognormal = { median = 1200, sigma = 0.6 } }",
    );
    Scenario::from_text("test.toml", "test", format!("{head}{CORRELATED}")).expect("loads")
}

#[test]
fn achieved_rank_correlations_match_their_targets() {
    let summary = run(&correlated(), 20_000, 2);
    assert_eq!(summary.rank_correlations.len(), 3);
    for r in &summary.rank_correlations {
        assert_eq!(r.trials, 20_000);
        assert!(r.se > 0.003 && r.se < 0.01, "{r:?}");
        assert!((r.achieved - r.target).abs() < 4.0 * r.se, "{r:?}");
    }
    assert!(summary_json(&summary).contains("\"rank_correlations\""));
}

#[test]
fn results_do_not_depend_on_threads() {
    let s = correlated();
    let one = summary_json(&run(&s, 3_000, 1));
    let three = summary_json(&run(&s, 3_000, 3));
    assert_eq!(one, three);
}

#[test]
fn a_spread_of_zero_gives_the_trials_without_difficulty() {
    let plain = r#"
[[phases]]
name = "explore"
repeat = { negative_binomial = { mean = 12, dispersion = 3 } }
steps = [{ call = { output = { lognormal = { median = 150, sigma = 0.5 } } } }, { tool = { tokens = { lognormal = { median = 900, sigma = 0.9 } } } }]

[[phases]]
name = "fix"
until_pass = { p_pass = 0.3, max_attempts = 5 }
steps = [{ call = { output = 400 } }]
"#;
    let linked = plain
        .replace("name = \"explore\"", "name = \"explore\"\ndifficulty = 1.0")
        .replace("name = \"fix\"", "name = \"fix\"\ndifficulty = 2.0")
        .replace("sigma = 0.9 } }", "sigma = 0.9 } }, difficulty = 1.5");
    let a = run(&load(plain), 3_000, 2);
    let b = run(
        &load(&format!("[difficulty]\nspread = 0.0\n{linked}")),
        3_000,
        2,
    );
    assert_eq!(summary_json(&a), summary_json(&b));
    // And a spread above 0 changes the trials.
    let c = run(
        &load(&format!("[difficulty]\nspread = 0.5\n{linked}")),
        3_000,
        2,
    );
    assert_ne!(summary_json(&a), summary_json(&c));
}

#[test]
fn four_correlations_that_cannot_hold_together_are_refused_at_the_last_pair() {
    // Every three of them can hold together (−0.4 each), all four cannot (the matrix has the
    // eigenvalue 1 + 3·(−0.4) < 0): the error points at the last pair written.
    let names = [
        "difficulty",
        "agent.task_prompt",
        "phases.a.repeat",
        "phases.b.repeat",
    ];
    let mut text = String::from(
        "[difficulty]\nspread = 0.5\n\n[[phases]]\nname = \"a\"\nrepeat = { poisson = { mean = 9 } }\nsteps = [{ call = { output = 10 } }]\n\n[[phases]]\nname = \"b\"\nrepeat = { poisson = { mean = 9 } }\nsteps = [{ call = { output = 10 } }]\n",
    );
    for i in 0..4 {
        for j in i + 1..4 {
            text.push_str(&format!(
                "\n[[correlation]]\nbetween = [\"{}\", \"{}\"]\nspearman = -0.4\n",
                names[i], names[j]
            ));
        }
    }
    let head = HEAD.replace(
        "system_prompt = 100",
        "system_prompt = 100\ntask_prompt = { lognormal = { median = 1200, sigma = 0.6 } }",
    );
    let err = Scenario::from_text("t.toml", "t", format!("{head}{text}"))
        .expect_err("refused")
        .to_string();
    assert!(err.contains("correlation[5].spearman"), "{err}");
    assert!(err.contains("positive semi-definite"), "{err}");
    assert!(err.contains("`phases.a.repeat`–`phases.b.repeat`"), "{err}");
    // Weakened to −0.3 they hold (1 + 3·(−0.3) > 0).
    let ok = format!("{head}{}", text.replace("-0.4", "-0.3"));
    assert!(Scenario::from_text("t.toml", "t", ok).is_ok());
}
