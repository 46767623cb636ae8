//! The per-phase and per-model breakdown (issue 3, item 7): tokens by phase add up exactly to
//! the totals and to the per-model tokens, trial by trial (sub-agents' `workflow/phase` and the
//! `compaction` phase included); every breakdown carries cost, calls and each token kind; and
//! each cost share's standard error (delta method for a ratio estimator) is checked against
//! an exact asymptotic formula and against the spread of the share over independent seeds.

use std::path::Path;

use tokencast::engine::{MetricLayout, RunConfig, Scope, Silent, Summary, trial_rng};
use tokencast::pricing::TokenKind;
use tokencast::report::summary_json;
use tokencast::scenario::Scenario;
use tokencast::workflow::TrialUsage;

use tokencast::engine::TOKEN_METRICS as KINDS;

fn bundled(stem: &str) -> Scenario {
    let path = Path::new(env!("CARGO_MANIFEST_DIR")).join(format!("scenarios/{stem}.toml"));
    Scenario::load(&path).unwrap_or_else(|e| panic!("{e}"))
}

fn compile(text: &str) -> Scenario {
    Scenario::from_text("breakdown.toml", "breakdown", text.to_string())
        .unwrap_or_else(|e| panic!("scenario compiles: {e}"))
}

fn simulate(scenario: &Scenario, trials: u64, seed: u64, threads: usize) -> Summary {
    let config = RunConfig {
        trials,
        seed,
        threads: Some(threads),
    };
    tokencast::simulate(scenario, &config, &mut Silent).expect("the run completes")
}

/// Runs `trials` trials as the engine does (`trial_rng(seed, i)`) and checks, in each, that the
/// metrics the engine records add up exactly: Σ over phases of a phase's tokens of a kind =
/// the trial's total = Σ over models (integers held exactly in f64), the same for calls, and
/// each phase's tokens equal to its usage cells. Returns the phases that had tokens.
fn check_trials_add_up(scenario: &Scenario, trials: u64) -> Vec<bool> {
    let wf = &scenario.workflow;
    let layout = MetricLayout::new(wf.model_count(), wf.phase_count(), wf.kinds_used());
    let prices = scenario.price_table();
    let mut usage = TrialUsage::new(wf.phase_count(), wf.model_count());
    let mut out = vec![0.0; layout.len()];
    let mut phase_seen = vec![false; wf.phase_count()];
    // A token kind the workflow cannot produce is not recorded per phase (0 in every trial).
    let get = |out: &[f64], scope, name: &str| match layout.index_of(scope, name) {
        Some(i) => out[i],
        None => {
            assert!(matches!(scope, Scope::Phase(_)), "{name} recorded");
            0.0
        }
    };
    for i in 0..trials {
        usage.reset();
        wf.run_trial(&mut trial_rng(7, i), &mut usage);
        layout.fill(&usage, &prices, &mut out);
        for kind in TokenKind::ALL {
            let name = format!("{}_tokens", kind.name());
            let name = name.as_str();
            let total = get(&out, Scope::Total, name);
            assert_eq!(total, usage.total_tokens(kind) as f64, "{name}, trial {i}");
            let phases: f64 = (0..wf.phase_count())
                .map(|p| {
                    let v = get(&out, Scope::Phase(p), name);
                    let cells: u64 = (0..wf.model_count())
                        .map(|m| usage.tokens(p, m, kind))
                        .sum();
                    assert_eq!(v, cells as f64, "phase {p} {name}, trial {i}");
                    phase_seen[p] |= v > 0.0;
                    v
                })
                .sum();
            let models: f64 = (0..wf.model_count())
                .map(|m| get(&out, Scope::Model(m), name))
                .sum();
            assert_eq!(phases, total, "Σ phases {name}, trial {i}");
            assert_eq!(models, total, "Σ models {name}, trial {i}");
        }
        let calls: f64 = (0..wf.phase_count())
            .map(|p| get(&out, Scope::Phase(p), "calls"))
            .sum();
        assert_eq!(calls, get(&out, Scope::Total, "calls"), "calls, trial {i}");
        assert_eq!(calls, usage.total_calls() as f64);
        let cost = get(&out, Scope::Total, "cost_usd");
        let phase_cost: f64 = (0..wf.phase_count())
            .map(|p| get(&out, Scope::Phase(p), "cost_usd"))
            .sum();
        assert!((phase_cost - cost).abs() <= 1e-12 * cost, "cost, trial {i}");
    }
    phase_seen
}

#[test]
fn phase_tokens_add_up_to_the_model_and_total_tokens_in_every_trial() {
    // The reference (one model), sub-agents (two models, `implementer/...` phases) and a long
    // run that compacts (the `compaction` phase, reasoning, 1-hour writes, a spend cap).
    for (stem, trials, must_see) in [
        (
            "reference-coding-task",
            2_000,
            vec!["explore", "fix", "finish"],
        ),
        (
            "subagent-feature",
            300,
            vec!["implementer/fix", "reviewer/review"],
        ),
        ("autonomous-long-run", 40, vec!["compaction"]),
    ] {
        let s = bundled(stem);
        let seen = check_trials_add_up(&s, trials);
        for name in must_see {
            let p = s
                .workflow
                .phase_names
                .iter()
                .position(|n| n == name)
                .unwrap_or_else(|| {
                    panic!("{stem} has a phase {name}: {:?}", s.workflow.phase_names)
                });
            assert!(seen[p], "{stem}: phase {name} never had tokens");
        }
    }
}

#[test]
fn every_breakdown_has_cost_calls_and_each_token_kind() {
    let s = bundled("subagent-feature");
    let summary = simulate(&s, 2_048, 3, 2);
    for (group, entries) in [
        ("by_phase", &summary.by_phase),
        ("by_model", &summary.by_model),
    ] {
        assert!(!entries.0.is_empty(), "{group} is empty");
        for (name, metrics) in &entries.0 {
            for key in ["cost_usd", "calls"].iter().chain(KINDS.iter()) {
                assert!(metrics.get(key).is_some(), "{group}.{name} lacks {key}");
            }
        }
    }
    // In total, the phases' mean tokens add up to the mean total (floating-point means of
    // integer columns: equal to rounding).
    for kind in KINDS {
        let total = summary.metric(kind).unwrap().mean;
        for group in [&summary.by_phase, &summary.by_model] {
            let parts: f64 = group.0.iter().map(|(_, m)| m.get(kind).unwrap().mean).sum();
            assert!((parts - total).abs() <= 1e-9 * total.max(1.0), "{kind}");
        }
    }
    // The JSON holds the phase tokens and the shares' SEs under their documented keys.
    let json: serde_json::Value = serde_json::from_str(&summary_json(&summary)).unwrap();
    let p95 = &json["by_phase"]["implementer/fix"]["cache_read_tokens"]["p95"];
    assert!(p95.as_f64().unwrap() > 0.0, "{p95}");
    for group in ["by_phase", "by_model", "by_phase_se", "by_model_se"] {
        assert!(
            json["cost_shares"][group].is_object(),
            "cost_shares.{group}"
        );
    }
    let se = json["cost_shares"]["by_model_se"]["opus"].as_f64().unwrap();
    assert!(se > 0.0 && se < 0.05, "{se}");
}

#[test]
fn breakdowns_are_identical_on_one_and_two_threads() {
    for (stem, trials) in [("subagent-feature", 3_000), ("autonomous-long-run", 1_100)] {
        let s = bundled(stem);
        let one = summary_json(&simulate(&s, trials, 11, 1));
        let two = summary_json(&simulate(&s, trials, 11, 2));
        // Both compact (the sub-agents of `subagent-feature` near their window on hard tasks).
        assert!(one.contains("\"by_phase_se\"") && one.contains("\"compaction\""));
        assert_eq!(one, two, "{stem}: 1 vs 2 threads");
    }
}

/// Two phases on two models, input free, each call 100 output tokens at $10 per million:
/// phase `a` makes Poisson(3) calls on model `x`, phase `b` Poisson(5) calls on model `y`.
/// A trial's costs are 0.001 A and 0.001 B with A ~ Poisson(3) and B ~ Poisson(5) independent.
fn two_poisson_phases() -> Scenario {
    compile(
        r#"
[models.x]
input = 0
output = 10
[models.y]
input = 0
output = 10
[agent]
model = "x"
caching = "off"
system_prompt = 0
[[phases]]
name = "a"
repeat = { poisson = { mean = 3 } }
steps = [{ call = { model = "x", output = 100 } }]
[[phases]]
name = "b"
repeat = { poisson = { mean = 5 } }
steps = [{ call = { model = "y", output = 100 } }]
"#,
    )
}

#[test]
fn a_share_and_its_standard_error_match_their_exact_values() {
    // Share of a: s = E[A] / E[A + B] = 3/8. Delta method: n Var(ŝ) → Var(A − s(A + B)) / E[A+B]²
    // = ((1−s)² 3 + s² 5) / 64 = (75/64 + 45/64) / 64 = 1.875 / 64.
    let n = 200_000u64;
    let summary = simulate(&two_poisson_phases(), n, 5, 2);
    let exact_se = (1.875f64 / 64.0 / n as f64).sqrt();
    for (what, share) in [
        ("phase a", summary.cost_shares.phase("a").unwrap()),
        ("model x", summary.cost_shares.model("x").unwrap()),
    ] {
        assert!(
            (share.share - 0.375).abs() < 4.0 * share.se,
            "{what}: {} ± {}",
            share.share,
            share.se
        );
        // The estimated SE against the exact one. The estimate is sqrt of a mean of squared
        // residuals d = (1−s)A − sB; its relative SE is ½ sqrt((E d⁴/(E d²)² − 1) / n). From
        // the cumulants of d: κ2 = 1.875, κ4 = (1−s)⁴ 3 + s⁴ 5 = 2280/4096, so E d⁴/(E d²)² =
        // 3 + κ4/κ2² = 3.158 and the relative SE is 0.7345/√n (0.16% here); 4 of them.
        let tolerance = 4.0 * 0.5 * (2.158f64 / n as f64).sqrt();
        eprintln!(
            "{what}: share {} ± {} (exact 0.375), SE / exact SE − 1 = {:+.5} (tolerance {tolerance:.5})",
            share.share,
            share.se,
            share.se / exact_se - 1.0
        );
        assert!(
            (share.se / exact_se - 1.0).abs() < tolerance,
            "{what}: SE {} vs exact {exact_se} (tolerance {tolerance})",
            share.se
        );
    }
    // b's share is the complement, with the same SE.
    let b = summary.cost_shares.phase("b").unwrap();
    let a = summary.cost_shares.phase("a").unwrap();
    assert!((a.share + b.share - 1.0).abs() < 1e-12);
    assert!((a.se - b.se).abs() < 1e-9 * a.se);
}

#[test]
fn the_share_standard_error_matches_the_spread_over_independent_seeds() {
    // The reference scenario's fix-loop share over M independent runs of n trials: the SD of
    // the M shares against the mean of their reported SEs. The shares are close to normal at
    // n = 1024 (a ratio of means of 1024 trials), so the sample SD of M of them has a relative
    // SE of 1/sqrt(2(M − 1)) = 3.5% at M = 400; the reported SEs' own spread adds far less
    // (averaged over M). Tolerance: 4 of those, 14%.
    let s = bundled("reference-coding-task");
    let m = 400;
    let n = 1_024;
    let (mut shares, mut ses) = (Vec::new(), Vec::new());
    for seed in 0..m {
        let summary = simulate(&s, n, 10_000 + seed, 1);
        let fix = summary.cost_shares.phase("fix").unwrap();
        shares.push(fix.share);
        ses.push(fix.se);
    }
    let mean = shares.iter().sum::<f64>() / m as f64;
    let sd = (shares.iter().map(|x| (x - mean).powi(2)).sum::<f64>() / (m - 1) as f64).sqrt();
    let mean_se = ses.iter().sum::<f64>() / m as f64;
    let tolerance = 4.0 / (2.0 * (m - 1) as f64).sqrt();
    eprintln!(
        "fix share over {m} seeds: mean {mean}, spread {sd}, mean reported SE {mean_se}, ratio − 1 = {:+.4} (tolerance {tolerance:.4})",
        mean_se / sd - 1.0
    );
    assert!(
        (mean_se / sd - 1.0).abs() < tolerance,
        "reported SE {mean_se} vs spread {sd} (tolerance {tolerance})"
    );
    // And the long run's share lies within 4 of its SEs of the mean of the short runs (whose
    // own SE, sd/√M, is smaller).
    let long = simulate(&s, 200_000, 1, 2)
        .cost_shares
        .phase("fix")
        .unwrap();
    let combined = (long.se.powi(2) + sd.powi(2) / m as f64).sqrt();
    assert!(
        (long.share - mean).abs() < 4.0 * combined,
        "{} vs {mean} ± {combined}",
        long.share
    );
}
