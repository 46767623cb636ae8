//! `[routing]`: routing policies compared on the same tasks, as written, checked and compiled
//! into [`Routing`] (the method is in `workflow::routing`).

use std::collections::BTreeMap;

use serde::Deserialize;

use super::compile::MAX_LOOP_ATTEMPTS;
use super::error::{FieldPath, ScenarioError, did_you_mean, number};
use super::parse::Source;
use super::spec::ScenarioFile;
use crate::workflow::{
    MAX_LADDER_MODELS, MAX_POLICIES, MAX_SKILL, MIN_SKILL, Repeat, RouteEscalation, Routing,
    RoutingPolicy, Workflow,
};

/// Largest difficulty threshold `hard_above` (D has mean 1; at the largest spread, 3, its
/// 99.99th percentile is about 735).
pub const MAX_HARD_ABOVE: f64 = 1000.0;
/// Largest `estimate_noise` (σ of the log-error of the router's difficulty estimate).
pub const MAX_ESTIMATE_NOISE: f64 = 3.0;

/// `[routing]`: the models' skills and the policies to compare.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RoutingSpec {
    /// Skill of each model (default 1): an `until_pass` attempt by a model of skill `s`
    /// passes with `p^(D^k / s)`.
    #[serde(default)]
    pub skill: BTreeMap<String, f64>,
    /// The policies, in the order the reports list them; the first is the baseline.
    #[serde(default)]
    pub policy: Vec<PolicySpec>,
}

/// `[[routing.policy]]`: one routing policy.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct PolicySpec {
    /// A name for people.
    pub name: String,
    /// The ladder of models, cheapest first.
    #[serde(default)]
    pub models: Vec<String>,
    /// How a task moves up the ladder (default: `"failed_task"` with several models).
    pub escalate: Option<PolicyEscalateSpec>,
    /// Tasks whose estimated difficulty passes this start on the last model.
    pub hard_above: Option<f64>,
    /// σ of the log-error of the router's difficulty estimate (default 0: exact).
    pub estimate_noise: Option<f64>,
}

/// `escalate`, as written.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum PolicyEscalateSpec {
    /// Stay on the first model.
    Never,
    /// Re-run a failed task whole on the next model.
    FailedTask,
    /// `{ failed_attempts = N }`: switch loops to the next model after every N failed attempts.
    FailedAttempts(i64),
}

/// What makes a routed workflow: its model, and the in-loop switch (failures per rung and the
/// models after the first), if any.
type VariantKey = (usize, Option<(u32, Vec<usize>)>);

/// Compiles `[routing]` (`None` when the file has none) against the compiled `workflow`.
pub(crate) fn compile(
    file: &ScenarioFile,
    source: &Source,
    workflow: &Workflow,
) -> Result<Option<Routing>, ScenarioError> {
    let Some(spec) = &file.routing else {
        return Ok(None);
    };
    let root = FieldPath::default().key("routing");
    let names = &workflow.model_names;
    let resolve = |name: &str, path: FieldPath| -> Result<usize, ScenarioError> {
        names.iter().position(|m| m == name).ok_or_else(|| {
            let help = did_you_mean(name, names.iter().map(String::as_str))
                .map(|s| format!("did you mean `{s}`?"));
            source.error_at(
                path,
                format!(
                    "unknown model `{name}`: expected one of the models defined under [models]: {}",
                    names
                        .iter()
                        .map(|m| format!("`{m}`"))
                        .collect::<Vec<_>>()
                        .join(", ")
                ),
                help,
            )
        })
    };
    let mut skill = vec![1.0; names.len()];
    for (name, &s) in &spec.skill {
        let path = root.key("skill").key(name);
        let m = resolve(name, path.clone())?;
        if !(s.is_finite() && (MIN_SKILL..=MAX_SKILL).contains(&s)) {
            return Err(source.error_at(
                path,
                format!(
                    "expected a skill from {} to {}, found {}",
                    number(MIN_SKILL),
                    number(MAX_SKILL),
                    number(s)
                ),
                Some("1 keeps the pass probabilities written; 0.5 squares them (a weaker model), 2 takes their square root (a stronger one)".into()),
            ));
        }
        skill[m] = s;
    }
    if spec.policy.is_empty() {
        return Err(source.error_at(
            root.clone(),
            "expected at least one [[routing.policy]], found none".into(),
            Some("add e.g. `[[routing.policy]]` with `name = \"always sonnet\"` and `models = [\"sonnet\"]`".into()),
        ));
    }
    if spec.policy.len() > MAX_POLICIES {
        return Err(source.error_at(
            root.key("policy").index(MAX_POLICIES),
            format!(
                "expected at most {MAX_POLICIES} policies, found {}",
                spec.policy.len()
            ),
            None,
        ));
    }
    let base = match &file.agent.model {
        Some(name) => names.iter().position(|m| m == name).unwrap_or(0),
        None if names.len() == 1 => 0,
        None => {
            return Err(source.error_at(
                root.clone(),
                "expected an [agent] model for routing to replace, found none (there are several models and [agent] names no default)".into(),
                Some("set `model = \"...\"` in [agent]: a policy routes the calls made on it".into()),
            ));
        }
    };
    let main = workflow.agents[0].phases.clone();
    let main_loops: Vec<(usize, u32, bool)> = main
        .clone()
        .filter_map(|i| match &workflow.phases[i].repeat {
            Repeat::UntilPass {
                max_attempts,
                escalate,
                ..
            } => Some((i, *max_attempts, escalate.is_some())),
            Repeat::Times(_) => None,
        })
        .collect();

    let mut policies = Vec::with_capacity(spec.policy.len());
    let mut keys: Vec<VariantKey> = Vec::new();
    let mut variants = Vec::new();
    let mut variant_models = Vec::new();
    for (i, p) in spec.policy.iter().enumerate() {
        let path = root.key("policy").index(i);
        if p.name.trim().is_empty() {
            return Err(source.error_at(
                path.key("name"),
                "expected a non-empty policy name, found \"\"".into(),
                None,
            ));
        }
        if spec.policy[..i].iter().any(|q| q.name == p.name) {
            return Err(source.error_at(
                path.key("name"),
                format!(
                    "expected a unique policy name, found `{}` a second time",
                    p.name
                ),
                None,
            ));
        }
        if p.models.is_empty() {
            return Err(source.error_at(
                path.clone(),
                "expected `models`, a list of at least one model (cheapest first), found none: the policy names nothing to route to".into(),
                Some(format!(
                    "add e.g. `models = [{}]`",
                    names
                        .iter()
                        .map(|m| format!("\"{m}\""))
                        .collect::<Vec<_>>()
                        .join(", ")
                )),
            ));
        }
        if p.models.len() > MAX_LADDER_MODELS {
            return Err(source.error_at(
                path.key("models"),
                format!(
                    "expected at most {MAX_LADDER_MODELS} models in a policy, found {}",
                    p.models.len()
                ),
                None,
            ));
        }
        let mut ladder = Vec::with_capacity(p.models.len());
        for (j, name) in p.models.iter().enumerate() {
            let m = resolve(name, path.key("models").index(j))?;
            if ladder.contains(&m) {
                return Err(source.error_at(
                    path.key("models").index(j),
                    format!("expected each model once in a policy, found `{name}` a second time"),
                    None,
                ));
            }
            ladder.push(m);
        }
        let escalate = match (p.escalate, ladder.len()) {
            (None | Some(PolicyEscalateSpec::Never), _) if ladder.len() == 1 => {
                RouteEscalation::Never
            }
            (Some(_), 1) => {
                return Err(source.error_at(
                    path.key("escalate"),
                    format!(
                        "expected a second model to escalate to, found only `{}` in `models`",
                        p.models[0]
                    ),
                    Some("add the stronger model after it in `models`, or drop `escalate`".into()),
                ));
            }
            (None | Some(PolicyEscalateSpec::FailedTask), _) => RouteEscalation::FailedTask,
            (Some(PolicyEscalateSpec::Never), _) => RouteEscalation::Never,
            (Some(PolicyEscalateSpec::FailedAttempts(n)), len) => {
                let epath = path.key("escalate").key("failed_attempts");
                let Some(longest) = main_loops.iter().map(|l| l.1).max() else {
                    return Err(source.error_at(
                        epath,
                        "expected an `until_pass` loop in the agent's phases to switch models in, found none".into(),
                        Some("use `escalate = \"failed_task\"` to re-run a failed task on the next model".into()),
                    ));
                };
                if let Some(&(phase, _, _)) = main_loops.iter().find(|l| l.2) {
                    return Err(source.error_at(
                        epath,
                        format!(
                            "expected loops without their own `escalate`, found one in phase `{}`",
                            workflow.phase_names[phase]
                        ),
                        Some("remove the phase's `escalate` (the policy sets it), or use `escalate = \"failed_task\"`".into()),
                    ));
                }
                // Every switch comes after `n` failures and leaves the last model an attempt.
                let switches = len as i64 - 1;
                let top = (i64::from(longest) - 1) / switches;
                if !(1..=top.max(1)).contains(&n) || top < 1 || n > MAX_LOOP_ATTEMPTS {
                    let why = if switches == 1 {
                        String::new()
                    } else {
                        format!(
                            "; {switches} switches after N failed attempts each must leave the last model an attempt"
                        )
                    };
                    return Err(source.error_at(
                        epath,
                        format!(
                            "expected failed attempts from 1 to {} (the longest loop makes {longest} attempts{why}), found {n}",
                            top.max(0)
                        ),
                        (switches > 1).then(|| {
                            format!(
                                "raise the loop's max_attempts above {}, or list fewer models",
                                switches.saturating_mul(n)
                            )
                        }),
                    ));
                }
                RouteEscalation::FailedAttempts(n as u32)
            }
        };
        let hard_above = match p.hard_above {
            None => None,
            Some(t) => {
                let tpath = path.key("hard_above");
                if file.difficulty.is_none() {
                    return Err(source.error_at(
                        tpath,
                        format!(
                            "expected a [difficulty] table for a difficulty threshold, found `hard_above = {}` without one",
                            number(t)
                        ),
                        Some("add `[difficulty]` with e.g. `spread = 0.6` (the σ of ln D)".into()),
                    ));
                }
                if !(t.is_finite() && t > 0.0 && t <= MAX_HARD_ABOVE) {
                    return Err(source.error_at(
                        tpath,
                        format!(
                            "expected a difficulty threshold above 0 and at most {} (D has mean 1), found {}",
                            number(MAX_HARD_ABOVE),
                            number(t)
                        ),
                        Some("1.5 sends tasks half again as hard as the average one to the last model".into()),
                    ));
                }
                if ladder.len() < 2 {
                    return Err(source.error_at(
                        tpath,
                        format!(
                            "expected a second model for the hard tasks, found only `{}` in `models`",
                            p.models[0]
                        ),
                        Some("list the cheap model first and the strong one last".into()),
                    ));
                }
                Some(t)
            }
        };
        let estimate_noise = match p.estimate_noise {
            None => 0.0,
            Some(_) if hard_above.is_none() => {
                return Err(source.error_at(
                    path.key("estimate_noise"),
                    "expected `hard_above` alongside `estimate_noise`, found the noise alone"
                        .into(),
                    Some("add `hard_above = 1.5`, or drop `estimate_noise`".into()),
                ));
            }
            Some(v) if v.is_finite() && (0.0..=MAX_ESTIMATE_NOISE).contains(&v) => v,
            Some(v) => {
                return Err(source.error_at(
                    path.key("estimate_noise"),
                    format!(
                        "expected a noise (the σ of ln(estimate / D)) from 0 to {}, found {}",
                        number(MAX_ESTIMATE_NOISE),
                        number(v)
                    ),
                    Some("0 means the router sees each task's difficulty exactly".into()),
                ));
            }
        };
        let mut rungs = Vec::with_capacity(ladder.len());
        for (j, &m) in ladder.iter().enumerate() {
            let switch = match escalate {
                RouteEscalation::FailedAttempts(n) if j == 0 => Some((n, &ladder[1..])),
                _ => None,
            };
            let key = (m, switch.map(|(n, rest)| (n, rest.to_vec())));
            let v = match keys.iter().position(|k| *k == key) {
                Some(v) => v,
                None => {
                    keys.push(key);
                    variants.push(workflow.routed(base, m, &skill, switch));
                    variant_models.push(m);
                    variants.len() - 1
                }
            };
            rungs.push(v);
        }
        policies.push(RoutingPolicy {
            name: p.name.clone(),
            models: ladder,
            variants: rungs,
            escalate,
            hard_above,
            estimate_noise,
        });
    }
    Ok(Some(Routing {
        skill,
        base_model: base,
        policies,
        variants,
        variant_models,
    }))
}
