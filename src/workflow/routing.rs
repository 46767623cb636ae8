//! Task routing (`[routing]`): policies that pick which model works on a task, compared on the
//! same tasks.
//!
//! A policy has a **ladder** of models, cheapest first. The task starts on the first rung
//! (or, with a difficulty threshold, on the last rung when its estimated difficulty passes
//! the threshold) and escalates in one of two ways: a failed task is run again whole on the
//! next rung ([`RouteEscalation::FailedTask`]), or every `until_pass` loop of the main agent
//! switches to the second rung after `N` failed attempts, to the third after `N` more, and so
//! on up the ladder ([`RouteEscalation::FailedAttempts`]).
//!
//! **Skill.** Models differ in capability, not only in price: model `m` has a skill `s_m > 0`
//! (1 when unstated), and an attempt of an `until_pass` loop written with pass probability
//! `p` and difficulty exponent `k` passes with probability `p^(D^k / s_m)`. A skill of 1
//! leaves the file's `p` unchanged; below 1 the model fails more often, and the harder the
//! task (larger `D`), the more so. Because `p^(D^k / s) = (p^(1/s))^(D^k)`, the skill is
//! applied once when a routed workflow is built: its loops carry `p^(1/s)` and the executor's
//! difficulty law does the rest. The attempt's model is the model of the loop's first call
//! (after routing; the routed model when the loop has no call of its own), or the
//! escalation's model once a loop has escalated.
//!
//! **Routing a workflow to a model** replaces the agent's model `b` (`[agent] model`) by the
//! routed model `m` wherever it is used: every call on `b` (the main agent's and its
//! sub-agents'), and compaction's summarising model if it is `b`. Calls written on another
//! model keep it.

use super::model::{Escalation, Repeat, Step, Workflow};

/// Most policies one `[routing]` table may compare.
pub const MAX_POLICIES: usize = 8;
/// Most models one policy's ladder may hold.
pub const MAX_LADDER_MODELS: usize = 6;
/// Smallest skill a model may have.
pub const MIN_SKILL: f64 = 0.01;
/// Largest skill a model may have.
pub const MAX_SKILL: f64 = 100.0;

/// How a policy moves a task up its ladder.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum RouteEscalation {
    /// Never: the task stays on the model it started on.
    Never,
    /// A failed task is run again whole, from a fresh context, on the next model.
    FailedTask,
    /// Every `until_pass` loop of the main agent switches to the second model after this many
    /// failed attempts, and up the ladder after as many more at each rung.
    FailedAttempts(u32),
}

/// One compiled policy.
#[derive(Debug, Clone)]
pub struct RoutingPolicy {
    /// Its name, as written.
    pub name: String,
    /// The ladder: model indices, cheapest first.
    pub models: Vec<usize>,
    /// For each rung, the routed workflow it runs (an index into [`Routing::variants`]).
    pub variants: Vec<usize>,
    /// How a task moves up the ladder.
    pub escalate: RouteEscalation,
    /// Tasks whose estimated difficulty is above this start on the last rung.
    pub hard_above: Option<f64>,
    /// σ of `ln(D̂ / D)`: the router's estimate `D̂ = D · exp(τ ε)` of a task's difficulty
    /// (0: it sees `D` exactly).
    pub estimate_noise: f64,
}

impl RoutingPolicy {
    /// The rung a task with estimated difficulty `estimate` starts on.
    pub fn first_rung(&self, estimate: f64) -> usize {
        match self.hard_above {
            Some(t) if estimate > t => self.models.len() - 1,
            _ => 0,
        }
    }

    /// What the policy does, in words (`names`: the models' names by index).
    pub fn describe(&self, names: &[String]) -> String {
        let name = |rung: usize| names[self.models[rung]].as_str();
        let last = self.models.len() - 1;
        let mut text = match self.hard_above {
            None => format!("every task starts on {}", name(0)),
            Some(t) => {
                let seen = if self.estimate_noise > 0.0 {
                    format!(
                        "the router sees a noisy estimate of the difficulty, off by a log-normal factor with σ {}",
                        self.estimate_noise
                    )
                } else {
                    "the router sees the difficulty exactly".to_string()
                };
                format!(
                    "tasks whose difficulty is above {t} start on {}, the others on {} ({seen})",
                    name(last),
                    name(0)
                )
            }
        };
        match self.escalate {
            RouteEscalation::Never if last == 0 => text = format!("every task on {}", name(0)),
            RouteEscalation::Never => text.push_str("; no escalation"),
            RouteEscalation::FailedTask => {
                let rest: Vec<&str> = (1..=last).map(name).collect();
                text.push_str(&format!(
                    "; a failed task is run again from the start on {}",
                    rest.join(", then on ")
                ));
            }
            RouteEscalation::FailedAttempts(n) => {
                text.push_str(&format!(
                    "; each loop of the agent that runs until a pass switches to {} after {n} failed attempt{}",
                    name(1),
                    if n == 1 { "" } else { "s" }
                ));
                for rung in 2..=last {
                    text.push_str(&format!(", then to {} after {n} more", name(rung)));
                }
            }
        }
        text
    }

    /// The last rung a task starting on `first` may reach.
    pub fn last_rung(&self, first: usize) -> usize {
        match self.escalate {
            RouteEscalation::FailedTask => self.models.len() - 1,
            RouteEscalation::Never | RouteEscalation::FailedAttempts(_) => first,
        }
    }
}

/// The compiled `[routing]` table.
#[derive(Debug, Clone)]
pub struct Routing {
    /// Each model's skill, by model index.
    pub skill: Vec<f64>,
    /// The agent's model (what routing replaces).
    pub base_model: usize,
    /// The policies, in file order (the first is the one the others are compared with).
    pub policies: Vec<RoutingPolicy>,
    /// The routed workflows the policies' rungs run.
    pub variants: Vec<Workflow>,
    /// The model each variant is routed to (it picks the variant's random stream).
    pub variant_models: Vec<usize>,
}

/// `p^(1/s)`: a pass probability `p` written for skill 1, for a model of skill `s` (exact
/// at `s = 1`, at `p = 0` and at `p = 1`).
pub fn skilled_pass(p: f64, skill: f64) -> f64 {
    if skill == 1.0 || p <= 0.0 || p >= 1.0 {
        p
    } else {
        crate::dist::exp(crate::dist::ln(p) / skill)
    }
}

impl Workflow {
    /// This workflow routed from the agent's model `base` to `to` with the models' `skill`
    /// (see the module's documentation); with `switch = Some((after, models))`, every
    /// `until_pass` loop of the main agent escalates to `models[0]` after `after` failed
    /// attempts, then to each next model after `after` more.
    pub fn routed(
        &self,
        base: usize,
        to: usize,
        skill: &[f64],
        switch: Option<(u32, &[usize])>,
    ) -> Workflow {
        let mut w = self.clone();
        let remap = |m: usize| if m == base { to } else { m };
        if let Some(c) = w.compaction.as_mut() {
            c.model = c.model.map(remap);
        }
        let main = w.agents[0].phases.clone();
        for (index, phase) in w.phases.iter_mut().enumerate() {
            for step in &mut phase.steps {
                if let Step::Call { model, .. } = step {
                    *model = remap(*model);
                }
            }
            let first_call = phase.steps.iter().find_map(|s| match s {
                Step::Call { model, .. } => Some(*model),
                _ => None,
            });
            if let Repeat::UntilPass {
                p_pass, escalate, ..
            } = &mut phase.repeat
            {
                let written = *p_pass;
                *p_pass = skilled_pass(written, skill[first_call.unwrap_or(to)]);
                if let Some(e) = escalate.as_mut() {
                    e.p_pass = skilled_pass(written, skill[e.model]);
                }
                if let Some((after, &[model, ref rest @ ..])) = switch
                    && main.contains(&index)
                {
                    *escalate = Some(Escalation {
                        after,
                        model,
                        p_pass: skilled_pass(written, skill[model]),
                        then: rest
                            .iter()
                            .map(|&m| (m, skilled_pass(written, skill[m])))
                            .collect(),
                    });
                }
            }
        }
        w.detect_mechanics()
    }
}

#[cfg(test)]
mod tests {
    use super::skilled_pass;

    #[test]
    fn skill_one_keeps_the_written_probability() {
        assert_eq!(skilled_pass(0.4, 1.0), 0.4);
        assert_eq!(skilled_pass(0.0, 0.5), 0.0);
        assert_eq!(skilled_pass(1.0, 0.5), 1.0);
        // 0.64^(1/2) = 0.8 and 0.64^(1/0.5) = 0.4096.
        assert!((skilled_pass(0.64, 2.0) - 0.8).abs() < 1e-15);
        assert!((skilled_pass(0.64, 0.5) - 0.4096).abs() < 1e-15);
    }
}
