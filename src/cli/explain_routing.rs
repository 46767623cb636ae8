//! `tokencast validate` on a scenario with `[routing]`: each model's skill and what it does
//! to the loops, and each policy in words, with the share of tasks a difficulty threshold
//! sends to the strong model.

use std::fmt::Write;

use tokencast::scenario::Scenario;
use tokencast::stats::special::normal_cdf;
use tokencast::workflow::{Repeat, skilled_pass};

/// The routing part of `validate`'s account (empty without `[routing]`).
pub fn explain(s: &Scenario) -> String {
    let Some(r) = &s.routing else {
        return String::new();
    };
    let names = &s.workflow.model_names;
    let mut out = String::new();
    let _ = writeln!(
        out,
        "\nrouting: {} policies compared on the same tasks (every policy sees the same tasks and difficulty draws)",
        r.policies.len()
    );
    let _ = writeln!(
        out,
        "  skill per model (an attempt of a loop written with pass probability p passes with p^(D^k / skill); 1 keeps p):"
    );
    let loops: Vec<(&str, f64)> = s.workflow.agents[0]
        .phases
        .clone()
        .filter_map(|i| match s.workflow.phases[i].repeat {
            Repeat::UntilPass { p_pass, .. } => Some((s.workflow.phase_names[i].as_str(), p_pass)),
            Repeat::Times(_) => None,
        })
        .collect();
    for (m, name) in names.iter().enumerate() {
        let skill = r.skill[m];
        let per_loop: Vec<String> = loops
            .iter()
            .map(|(phase, p)| format!("{phase} passes {:.3} per attempt", skilled_pass(*p, skill)))
            .collect();
        let _ = writeln!(
            out,
            "    {name}: skill {skill}{}",
            if per_loop.is_empty() {
                String::new()
            } else {
                format!(" ({} for a task of difficulty 1)", per_loop.join(", "))
            }
        );
    }
    let spread = s.workflow.factors.as_ref().and_then(|f| f.spread);
    for (i, p) in r.policies.iter().enumerate() {
        let _ = writeln!(
            out,
            "  {}. {}{}: {}",
            i + 1,
            p.name,
            if i == 0 {
                " (the baseline the others are compared with)"
            } else {
                ""
            },
            p.describe(names)
        );
        if let (Some(t), Some(sigma)) = (p.hard_above, spread) {
            // ln D ~ N(−σ²/2, σ²) and ln D̂ = ln D + τ ε, so P(D̂ > t) = 1 − Φ((ln t + σ²/2) / √(σ² + τ²)).
            let tau = p.estimate_noise;
            let sd = (sigma * sigma + tau * tau).sqrt();
            let share = if sd == 0.0 {
                if t < 1.0 { 1.0 } else { 0.0 }
            } else {
                1.0 - normal_cdf((t.ln() + 0.5 * sigma * sigma) / sd)
            };
            let _ = writeln!(
                out,
                "     about {:.1}% of tasks start on {} (difficulty spread {sigma}, estimate noise {tau})",
                100.0 * share,
                names[*p.models.last().expect("a policy has a model")]
            );
        }
    }
    let _ = writeln!(
        out,
        "  run reports, per policy: cost per task, resolved share, cost per resolved task, and the paired difference from the first policy (summary.json, routing.csv, report.html)"
    );
    out
}
