//! Routing policies (`[routing]`) against exact results derived by hand, with tolerances from
//! the standard error at fixed seeds:
//!
//! - a zero-variance scenario (fixed tokens, every loop passes): each policy's cost per
//!   resolved task is its model's cost exactly, with a standard error of 0;
//! - one attempt with known pass probabilities per model (`p^(1/skill)`): the cascade's mean
//!   cost, resolved share and cost per resolved task are the closed forms below, within 4 SE,
//!   and its standard errors are the closed forms' within 5%;
//! - a difficulty threshold sends `1 − Φ((ln t + σ²/2) / √(σ² + τ²))` of the tasks to the
//!   strong model, within 4 SE;
//! - the routing section is byte-identical on 1 and 4 threads; "always the agent's model" at
//!   skill 1 repeats `run`'s own trials; a scenario without `[routing]` has no routing section
//!   and its main figures do not move when `[routing]` is added.

use tokencast::engine::routing_summary::RoutingSummary;
use tokencast::engine::{RunConfig, Silent, Summary};
use tokencast::report::summary_json;
use tokencast::scenario::Scenario;
use tokencast::simulate;

/// Two models; a call of 1,000 output tokens on a 1,000-token system prompt, caching off:
/// cheap `(1000·1 + 1000·5) / 1e6 = $0.006`, strong `(1000·10 + 1000·50) / 1e6 = $0.06`.
const HEAD: &str = r#"
[models.cheap]
input = 1.0
output = 5.0

[models.strong]
input = 10.0
output = 50.0

[agent]
model = "strong"
caching = "off"
system_prompt = 1000
"#;

const CHEAP: f64 = 0.006;
const STRONG: f64 = 0.06;

fn load(text: &str) -> Scenario {
    Scenario::from_text("test.toml", "test", format!("{HEAD}{text}")).expect("loads")
}

fn run(s: &Scenario, trials: u64, threads: usize) -> Summary {
    let config = RunConfig {
        trials,
        seed: 2024,
        threads: Some(threads),
    };
    simulate(s, &config, &mut Silent).expect("runs")
}

fn routing(s: &Summary) -> &RoutingSummary {
    s.routing.as_ref().expect("a routing section")
}

const POLICIES: &str = r#"
[[routing.policy]]
name = "always strong"
models = ["strong"]

[[routing.policy]]
name = "always cheap"
models = ["cheap"]

[[routing.policy]]
name = "cheap, then strong"
models = ["cheap", "strong"]
"#;

#[test]
fn zero_variance_costs_per_resolved_task_are_exact() {
    // Every attempt passes (p = 1 whatever the skill: 1^(1/s) = 1), so every task is resolved
    // on the first model it runs on: the cost per resolved task is that model's cost, exactly.
    let s = load(&format!(
        r#"
[[phases]]
name = "work"
until_pass = {{ p_pass = 1.0, max_attempts = 1, on_exhausted = "fail" }}
steps = [{{ call = {{ output = 1000 }} }}]

[routing]
skill = {{ cheap = 0.5, strong = 2.0 }}
{POLICIES}"#
    ));
    let summary = run(&s, 3000, 2);
    let r = routing(&summary);
    let expect = [STRONG, CHEAP, CHEAP];
    for (p, want) in r.policies.iter().zip(expect) {
        assert_eq!(p.resolved_share.mean, 1.0, "{}", p.name);
        assert_eq!(p.resolved_share.se, 0.0, "{}", p.name);
        let per = p.cost_per_resolved_usd.expect("resolved");
        assert!((per.mean - want).abs() < 1e-15, "{}: {}", p.name, per.mean);
        assert!(per.se.abs() < 1e-15, "{}: {}", p.name, per.se);
        assert!((p.cost_usd.p99 - want).abs() < 1e-15, "{}", p.name);
        assert_eq!(p.escalated_share.mean, 0.0, "{}", p.name);
    }
    let d = r.policies[2].versus_first.expect("paired");
    assert!((d.cost_usd.difference - (CHEAP - STRONG)).abs() < 1e-15);
    assert!(d.cost_usd.se.abs() < 1e-15);
    assert_eq!(r.cheapest_per_resolved.as_deref(), Some("always cheap"));
}

#[test]
fn a_cascade_matches_its_closed_form() {
    // One attempt written with p = 0.64. Skills 0.5 and 2: cheap passes with
    // p_c = 0.64^(1/0.5) = 0.4096, strong with p_s = 0.64^(1/2) = 0.8.
    // "cheap, then strong": cost C + (1 − p_c) S, resolved p_c + (1 − p_c) p_s, and its
    // cost is C or C + S, so its SE is S √(q (1 − q) / n) with q = 1 − p_c.
    // "always strong": cost S, resolved p_s, cost per resolved task S / p_s = 0.075.
    let s = load(&format!(
        r#"
[[phases]]
name = "work"
until_pass = {{ p_pass = 0.64, max_attempts = 1, on_exhausted = "fail" }}
steps = [{{ call = {{ output = 1000 }} }}]

[routing]
skill = {{ cheap = 0.5, strong = 2.0 }}
{POLICIES}"#
    ));
    let n = 200_000;
    let summary = run(&s, n, 2);
    let r = routing(&summary);
    let (pc, ps) = (0.4096, 0.8);
    let q = 1.0 - pc;
    let cost = CHEAP + q * STRONG;
    let resolved = pc + q * ps;
    let per_resolved = cost / resolved;
    let nf = n as f64;

    let strong = &r.policies[0];
    assert!((strong.cost_usd.mean - STRONG).abs() < 1e-15);
    let se = (ps * (1.0 - ps) / nf).sqrt();
    assert!((strong.resolved_share.mean - ps).abs() < 4.0 * se);
    let e = strong.cost_per_resolved_usd.unwrap();
    assert!((e.mean - STRONG / ps).abs() < 4.0 * e.se, "{e:?}");

    let cascade = &r.policies[2];
    let cost_se = STRONG * (q * (1.0 - q) / nf).sqrt();
    assert!((cascade.cost_usd.mean - cost).abs() < 4.0 * cost_se);
    assert!((cascade.cost_usd.se / cost_se - 1.0).abs() < 0.05);
    let res_se = (resolved * (1.0 - resolved) / nf).sqrt();
    assert!((cascade.resolved_share.mean - resolved).abs() < 4.0 * res_se);
    assert!((cascade.resolved_share.se / res_se - 1.0).abs() < 0.05);
    let e = cascade.cost_per_resolved_usd.unwrap();
    assert!(
        (e.mean - per_resolved).abs() < 4.0 * e.se,
        "{} vs {per_resolved} ± {}",
        e.mean,
        e.se
    );
    // The share escalated is the share that failed on the cheap model.
    assert!((cascade.escalated_share.mean - q).abs() < 4.0 * (q * (1.0 - q) / nf).sqrt());
    // Paired with "always strong" (the strong run of a task is the same in both): the
    // resolved shares differ by (p_c + q p_s) − p_s = p_c (1 − p_s).
    let d = cascade.versus_first.unwrap();
    let want = per_resolved - STRONG / ps;
    let dr = d.cost_per_resolved_usd.unwrap();
    assert!(
        (dr.difference - want).abs() < 4.0 * dr.se,
        "{dr:?} vs {want}"
    );
    assert!(
        dr.ci95_high < 0.0,
        "the cascade is cheaper per resolved task"
    );
    assert!((d.resolved_share.difference - pc * (1.0 - ps)).abs() < 4.0 * d.resolved_share.se);
    // "always cheap": C / p_c = 0.006 / 0.4096 = $0.01465 per resolved task, the cheapest
    // (it resolves only 41% of the tasks: cheapest per resolved task is not the only question).
    let cheap = r.policies[1].cost_per_resolved_usd.unwrap();
    assert!((cheap.mean - CHEAP / pc).abs() < 4.0 * cheap.se);
    assert_eq!(r.cheapest_per_resolved.as_deref(), Some("always cheap"));
}

#[test]
fn a_difficulty_threshold_routes_its_closed_form_share() {
    // ln D ~ N(−σ²/2, σ²), ln D̂ = ln D + τ ε: P(D̂ > t) = 1 − Φ((ln t + σ²/2) / √(σ² + τ²)).
    // σ = 0.5, t = 1: exact (τ = 0) 1 − Φ(0.25) = 0.401294; τ = 0.5: 1 − Φ(0.176777) = 0.429842.
    let s = load(
        r#"
[difficulty]
spread = 0.5

[[phases]]
name = "work"
steps = [{ call = { output = 1000 } }]

[[routing.policy]]
name = "exact"
models = ["cheap", "strong"]
hard_above = 1.0
escalate = "never"

[[routing.policy]]
name = "noisy"
models = ["cheap", "strong"]
hard_above = 1.0
estimate_noise = 0.5
escalate = "never"
"#,
    );
    let n = 100_000;
    let summary = run(&s, n, 2);
    let r = routing(&summary);
    for (p, want) in r.policies.iter().zip([0.401_294, 0.429_842]) {
        let se = (want * (1.0 - want) / n as f64).sqrt();
        assert!(
            (p.escalated_share.mean - want).abs() < 4.0 * se,
            "{}: {} vs {want}",
            p.name,
            p.escalated_share.mean
        );
        // Fixed tokens: the cost is CHEAP or STRONG, so its mean is CHEAP + share (S − C).
        let cost = CHEAP + p.escalated_share.mean * (STRONG - CHEAP);
        assert!((p.cost_usd.mean - cost).abs() < 1e-12);
    }
}

#[test]
fn one_and_four_threads_give_the_same_bytes() {
    let text = std::fs::read_to_string(
        std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("scenarios/mechanisms/routing.toml"),
    )
    .unwrap();
    let s = Scenario::from_text("routing.toml", "routing", text).unwrap();
    let one = summary_json(&run(&s, 5000, 1));
    let four = summary_json(&run(&s, 5000, 4));
    assert!(one.contains("\"routing\""));
    assert_eq!(one, four);
}

#[test]
fn always_the_agents_model_repeats_the_runs_trials() {
    let body = r#"
[difficulty]
spread = 0.4

[[phases]]
name = "explore"
repeat = { poisson = { mean = 4 } }
steps = [{ call = { output = { lognormal = { median = 200, sigma = 0.5 } } } }]

[[phases]]
name = "fix"
difficulty = 1.0
until_pass = { p_pass = 0.5, max_attempts = 4, on_exhausted = "fail" }
steps = [{ call = { output = { lognormal = { median = 600, sigma = 0.7 } } } }]
"#;
    let plain = run(&load(body), 20_000, 2);
    assert!(plain.routing.is_none());
    assert!(!summary_json(&plain).contains("routing"));
    let routed = run(
        &load(&format!(
            "{body}\n[routing]\nskill = {{ cheap = 0.3 }}\n{POLICIES}"
        )),
        20_000,
        2,
    );
    // Adding [routing] leaves the run as written untouched.
    assert_eq!(plain.metrics, routed.metrics);
    assert_eq!(plain.success_rate, routed.success_rate);
    // "always strong" at skill 1 is the run's own trials (sums in another order: 1e-12).
    let always = &routing(&routed).policies[0];
    let cost = plain.metric("cost_usd").unwrap();
    assert!((always.cost_usd.mean / cost.mean - 1.0).abs() < 1e-12);
    assert!((always.resolved_share.mean - plain.success_rate.mean).abs() < 1e-12);
    // The weaker cheap model resolves fewer tasks.
    let cheap = &routing(&routed).policies[1];
    assert!(cheap.resolved_share.mean < always.resolved_share.mean - 0.05);
}

#[test]
fn switching_inside_the_loop_matches_its_closed_form() {
    // Two attempts at most, written with p = 0.64; skills 0.5 and 2 (p_c = 0.4096, p_s = 0.8).
    // "cheap, strong after 1 failed attempt": attempt 1 on cheap (prompt 1,000, output 1,000:
    // $0.006); if it fails, attempt 2 on strong with the context grown to 2,000 tokens
    // (2000·10 + 1000·50 = $0.07). Mean cost C1 + q · 0.07 with q = 1 − p_c; resolved
    // p_c + q p_s; escalated share q.
    let s = load(
        r#"
[[phases]]
name = "work"
until_pass = { p_pass = 0.64, max_attempts = 2, on_exhausted = "fail" }
steps = [{ call = { output = 1000 } }]

[routing]
skill = { cheap = 0.5, strong = 2.0 }

[[routing.policy]]
name = "cheap, strong after 1 failed attempt"
models = ["cheap", "strong"]
escalate = { failed_attempts = 1 }
"#,
    );
    let n = 100_000;
    let r = run(&s, n, 2);
    let p = &routing(&r).policies[0];
    let (pc, ps) = (0.4096, 0.8);
    let q = 1.0 - pc;
    let nf = n as f64;
    let cost_se = 0.07 * (q * (1.0 - q) / nf).sqrt();
    assert!((p.cost_usd.mean - (CHEAP + q * 0.07)).abs() < 4.0 * cost_se);
    let resolved = pc + q * ps;
    assert!(
        (p.resolved_share.mean - resolved).abs() < 4.0 * (resolved * (1.0 - resolved) / nf).sqrt()
    );
    assert!((p.escalated_share.mean - q).abs() < 4.0 * (q * (1.0 - q) / nf).sqrt());
}

#[test]
fn a_ladder_of_three_switching_inside_the_loop_matches_its_closed_form() {
    // Three attempts at most, written with p = 0.64; skills cheap 0.5, mid 1, strong 2
    // (p_c = 0.4096, p_m = 0.64, p_s = 0.8). One failed attempt per rung: attempt 1 on cheap
    // (prompt 1,000: $0.006), attempt 2 on mid with 2,000 tokens of context (2000·4 +
    // 1000·20 = $0.028), attempt 3 on strong with 3,000 (3000·10 + 1000·50 = $0.08). With
    // A = 1{attempt 1 fails} and B = 1{attempts 1 and 2 fail}: cost 0.006 + 0.028 A + 0.08 B,
    // resolved 1 − q_c q_m (1 − p_s), escalated share q_c.
    let s = load(
        r#"
[models.mid]
input = 4.0
output = 20.0

[[phases]]
name = "work"
until_pass = { p_pass = 0.64, max_attempts = 3, on_exhausted = "fail" }
steps = [{ call = { output = 1000 } }]

[routing]
skill = { cheap = 0.5, mid = 1.0, strong = 2.0 }

[[routing.policy]]
name = "cheap, mid, strong, one failed attempt each"
models = ["cheap", "mid", "strong"]
escalate = { failed_attempts = 1 }
"#,
    );
    let n = 100_000;
    let r = run(&s, n, 2);
    let p = &routing(&r).policies[0];
    assert_eq!(
        p.rule,
        "every task starts on cheap; each loop of the agent that runs until a pass switches to mid after 1 failed attempt, then to strong after 1 more"
    );
    let (pc, pm, ps) = (0.4096, 0.64, 0.8);
    let (a, b) = (1.0 - pc, (1.0 - pc) * (1.0 - pm));
    let nf = n as f64;
    let mean = CHEAP + 0.028 * a + 0.08 * b;
    let var = 0.028f64.powi(2) * a * (1.0 - a)
        + 0.08f64.powi(2) * b * (1.0 - b)
        + 2.0 * 0.028 * 0.08 * b * (1.0 - a);
    let se = (var / nf).sqrt();
    assert!(
        (p.cost_usd.mean - mean).abs() < 4.0 * se,
        "{} vs {mean} ± {se}",
        p.cost_usd.mean
    );
    assert!((p.cost_usd.se / se - 1.0).abs() < 0.05);
    let resolved = 1.0 - b * (1.0 - ps);
    assert!(
        (p.resolved_share.mean - resolved).abs() < 4.0 * (resolved * (1.0 - resolved) / nf).sqrt()
    );
    assert!((p.escalated_share.mean - a).abs() < 4.0 * (a * (1.0 - a) / nf).sqrt());
}

#[test]
fn run_writes_the_routing_files() {
    let tmp = tempfile::tempdir().unwrap();
    let out = tmp.path().join("out");
    let root = env!("CARGO_MANIFEST_DIR");
    let assert = assert_cmd::Command::cargo_bin("tokencast")
        .unwrap()
        .current_dir(root)
        .args([
            "run",
            "scenarios/mechanisms/routing.toml",
            "--trials",
            "3000",
        ])
        .arg("--out")
        .arg(&out)
        .assert()
        .success();
    let stdout = String::from_utf8_lossy(&assert.get_output().stdout).into_owned();
    assert!(stdout.contains("Routing: 5 policies on the same 3,000 tasks"));
    assert!(stdout.contains("Cheapest per resolved task:"));
    let csv = std::fs::read_to_string(out.join("routing.csv")).unwrap();
    assert_eq!(csv.lines().count(), 6);
    assert!(
        csv.lines()
            .nth(1)
            .unwrap()
            .starts_with("always sonnet,sonnet,")
    );
    let html = std::fs::read_to_string(out.join("report.html")).unwrap();
    assert!(html.contains("<h2>Routing</h2>"));
    assert!(html.contains("<figure id=\"routing_cost_per_resolved\">"));
    assert!(out.join("routing_cost_per_resolved.png").is_file());
    let manifest = std::fs::read_to_string(out.join("manifest.json")).unwrap();
    assert!(manifest.contains("\"routing.csv\""));
    let summary = std::fs::read_to_string(out.join("summary.json")).unwrap();
    assert!(summary.contains("\"cost_per_resolved_usd\""));
    // Sharded, the same comparison: tests/shards.rs.
}
