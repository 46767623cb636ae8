//! The work bound of a workflow: how many calls, engine steps and tokens one trial takes, on
//! average and at most, computed from the compiled model before any trial runs.
//!
//! A trial's work is its steps: calls (compaction's summarising calls included), failed call
//! attempts, tool results and sub-agent starts. The engine's time is proportional to them.
//!
//! **The averages** follow the model's structure: a phase repeated `N` times runs its steps
//! `E[N]` times; a sub-agent step runs `E[count]` instances of the sub-agent's own average;
//! a call that may fail makes `1 + q + … + q^(r+1)` attempts on average (`q` the failure
//! probability, `r` the retries); a task re-run `k` times at most with probability `p` runs
//! `1 + p + … + p^k` times on average. A call's prompt is the whole context: with a phase's
//! iterations independent of its count, the prompts of a phase add up to
//! `E[N]·(c·x + i) + E[N(N−1)]/2 · a·c`, where `x` is the context when the phase starts, `a`
//! the tokens one iteration appends, `c` its prompts and `i` what is appended before each of
//! them within the iteration. These are the exact means when every phase runs every time and
//! no mechanism cuts a trial short; conditional phases (`when`), failures that stop an agent,
//! re-runs that are not needed, context windows and compaction all make a trial do less, so the
//! figures are then upper estimates. Counts' means come from
//! [`crate::dist::Sampler::count_moments`] (exact for fixed counts, else a fixed probe).
//!
//! **The worst case** is exact: every count at its largest value, every loop to its last
//! attempt, every call failing to its last retry, a compaction before every call, every phase
//! running and every re-run taken. It is finite because every count is capped.
//!
//! **A call cap** (`[limits] max_calls = k`) bounds a task's calls, re-runs included: the
//! most calls become `min(calls_max, k)` and the average `min(E[calls], k)`, an upper estimate
//! (`E[min(C, k)] ≤ min(E[C], k)`); every call the cap prevents is a step not taken, so the
//! average steps drop by at least as much. A spend cap bounds nothing here (it depends on
//! prices); both make the averages upper estimates.

use super::model::{CallFailures, FailedPrompt, Repeat, Step, Workflow};

/// A workflow's work per trial (see the module documentation).
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct WorkBound {
    /// Calls per trial on average (compaction's calls included).
    pub calls: f64,
    /// Steps per trial on average: calls, failed attempts, tool results, sub-agent starts.
    pub steps: f64,
    /// Tokens billed per trial on average: prompts (failed attempts' too when billed), output
    /// and reasoning.
    pub tokens: f64,
    /// The most calls one trial can make.
    pub calls_max: f64,
    /// The most steps one trial can take.
    pub steps_max: f64,
    /// The most tokens one trial can bill.
    pub tokens_max: f64,
    /// Whether the averages are exact (up to the probe of counts' means): no conditional
    /// phase, failures, re-runs, window or compaction.
    pub exact: bool,
}

/// Steps per trial on average above which a scenario is rejected: a task of a million steps
/// runs about 25 trials a second on one core.
pub const MAX_STEPS_PER_TRIAL: f64 = 1e6;

/// Steps a whole run may take (trials × average steps per trial): about a day on two cores at
/// the engine's 50 million steps a second per core.
pub const MAX_RUN_STEPS: f64 = 1e13;

/// What one agent run (or one iteration of a phase) takes.
#[derive(Debug, Clone, Copy, Default)]
struct Part {
    /// Average steps and calls.
    steps: f64,
    calls: f64,
    /// Average prompts billed (calls, billed failed attempts).
    prompts: f64,
    /// Average sum over prompts of the tokens appended before each, within the part.
    inner: f64,
    /// Average tokens appended to the context.
    appended: f64,
    /// Average tokens billed besides the prompts counted by `prompts`/`inner` and the context
    /// the part starts with: outputs, reasoning, sub-agents' whole usage.
    other: f64,
    /// Worst case: steps, calls, prompts, tokens appended, tokens billed besides prompts.
    steps_max: f64,
    calls_max: f64,
    prompts_max: f64,
    appended_max: f64,
    other_max: f64,
}

/// An agent's average and worst-case usage of one run from a fresh context.
#[derive(Debug, Clone, Copy, Default)]
struct AgentWork {
    steps: f64,
    calls: f64,
    tokens: f64,
    /// Average output of its last call (what it returns to its parent).
    last_output: f64,
    steps_max: f64,
    calls_max: f64,
    tokens_max: f64,
    /// Largest output of one call (what it may return).
    last_output_max: f64,
}

impl Workflow {
    /// The work of one trial (see the module documentation).
    pub fn work_bound(&self) -> WorkBound {
        let mut agents = vec![None; self.agents.len()];
        let task = self.agent_work(0, &mut agents);
        let (rerun_mean, rerun_max) = match self.task_retry {
            Some(r) => (
                (0..=r.max_reruns)
                    .map(|k| r.p_rerun.powi(k as i32))
                    .take_while(|&x| x > 1e-300)
                    .sum::<f64>(),
                1.0 + r.max_reruns as f64,
            ),
            None => (1.0, 1.0),
        };
        let conditional = self
            .phases
            .iter()
            .any(|p| p.when != super::model::When::Always);
        let window = self
            .models
            .iter()
            .any(|m| m.context_window < u64::MAX || m.compact_above < u64::MAX);
        let exits = self.phases.iter().any(|p| {
            matches!(
                p.repeat,
                Repeat::UntilPass {
                    on_exhausted: super::OnExhausted::Fail,
                    ..
                }
            )
        });
        let (mut calls, mut steps) = (task.calls * rerun_mean, task.steps * rerun_mean);
        let mut calls_max = task.calls_max * rerun_max;
        if let Some(k) = self.limits.as_ref().map(|l| l.max_calls as f64) {
            steps -= calls - calls.min(k);
            calls = calls.min(k);
            calls_max = calls_max.min(k);
        }
        WorkBound {
            calls,
            steps,
            tokens: task.tokens * rerun_mean,
            calls_max,
            steps_max: task.steps_max * rerun_max,
            tokens_max: task.tokens_max * rerun_max,
            exact: self.limits.is_none()
                && !conditional
                && !window
                && self.call_failures.is_none()
                && self.compaction.is_none()
                && self.factors.is_none()
                && (self.task_retry.is_none() || !exits),
        }
    }

    /// Average steps of each of the main agent's phases in one run (sub-agents' included):
    /// where a scenario's work comes from.
    pub fn phase_steps(&self) -> Vec<f64> {
        let mut done = vec![None; self.agents.len()];
        let (mut last, mut last_max) = (0.0, 0.0);
        self.phases[self.agents[0].phases.clone()]
            .iter()
            .map(|phase| {
                let it = self.iteration(&phase.steps, &mut done, &mut last, &mut last_max);
                self.repeat_moments(phase).0 * it.steps
            })
            .collect()
    }

    /// Largest prompt a call can send: no model takes a prompt beyond its window, and with
    /// compaction a context above the trigger is compacted first (infinite: no bound).
    fn prompt_cap(&self) -> f64 {
        self.models
            .iter()
            .map(|m| m.context_window.min(m.compact_above))
            .max()
            .map_or(f64::INFINITY, |c| {
                if c == u64::MAX {
                    f64::INFINITY
                } else {
                    c as f64
                }
            })
    }

    /// Agent `a`'s work, memoised in `done` (the sub-agent graph has no cycle).
    fn agent_work(&self, a: usize, done: &mut Vec<Option<AgentWork>>) -> AgentWork {
        if let Some(w) = done[a] {
            return w;
        }
        let agent = &self.agents[a];
        let cap = self.prompt_cap();
        let start = agent.system_prompt.count_moments(u64::MAX).mean
            + agent.task_prompt.count_moments(u64::MAX).mean;
        let start_max =
            agent.system_prompt.count_max() as f64 + agent.task_prompt.count_max() as f64;
        let (mut context, mut prompt_tokens, mut other) = (start, 0.0, 0.0);
        let mut total = Part::default();
        let mut last_output = 0.0;
        let mut last_output_max = 0.0;
        for phase in &self.phases[agent.phases.clone()] {
            let it = self.iteration(&phase.steps, done, &mut last_output, &mut last_output_max);
            let (n, pairs, n_max) = self.repeat_moments(phase);
            let uncapped =
                n * (context * it.prompts + it.inner) + pairs / 2.0 * it.appended * it.prompts;
            prompt_tokens += uncapped.min(n * (cap * it.prompts + it.inner));
            other += n * it.other;
            context = (context + n * it.appended).min(cap);
            total.steps += n * it.steps;
            total.calls += n * it.calls;
            total.appended += n * it.appended;
            total.steps_max += n_max * it.steps_max;
            total.calls_max += n_max * it.calls_max;
            total.prompts_max += n_max * it.prompts_max;
            total.appended_max += n_max * it.appended_max;
            total.other_max += n_max * it.other_max;
        }
        if let Some(c) = &self.compaction {
            // Between two compactions the context grows from the system prompt and a summary
            // to the trigger: about one compaction per that many tokens appended.
            let gap = cap - start - c.summary.count_moments(u64::MAX).mean;
            if gap.is_finite() && gap > 0.0 {
                let compactions = total.appended / gap;
                total.calls += compactions;
                total.steps += compactions;
                prompt_tokens += compactions * cap;
            }
        }
        let context_max = (start_max + total.appended_max).min(cap);
        let work = AgentWork {
            steps: total.steps,
            calls: total.calls,
            tokens: prompt_tokens + other,
            last_output,
            steps_max: total.steps_max,
            calls_max: total.calls_max,
            tokens_max: total.prompts_max * context_max + total.other_max,
            last_output_max,
        };
        done[a] = Some(work);
        work
    }

    /// One iteration of `steps`: its averages and worst case. Sets `last_output` to the
    /// average output of its last call, if it has one.
    fn iteration(
        &self,
        steps: &[Step],
        done: &mut Vec<Option<AgentWork>>,
        last_output: &mut f64,
        last_output_max: &mut f64,
    ) -> Part {
        let mut p = Part::default();
        let compaction = if self.compaction.is_some() { 1.0 } else { 0.0 };
        let summary_max = self
            .compaction
            .as_ref()
            .map_or(0.0, |c| c.summary.count_max() as f64);
        for step in steps {
            match step {
                Step::Call {
                    output, reasoning, ..
                } => {
                    let (failed, failed_max, billed) = failed_attempts(self.call_failures);
                    let prompts = 1.0 + if billed { failed } else { 0.0 };
                    let out = output.count_moments(u64::MAX).mean;
                    let thought = reasoning
                        .as_ref()
                        .map_or(0.0, |r| r.tokens.count_moments(r.budget).mean);
                    p.steps += 1.0 + failed;
                    p.calls += 1.0;
                    p.prompts += prompts;
                    p.inner += prompts * p.appended;
                    p.appended += out;
                    p.other += out + thought;
                    let out_max = output.count_max() as f64;
                    let thought_max = reasoning
                        .as_ref()
                        .map_or(0.0, |r| r.tokens.count_max().min(r.budget) as f64);
                    p.steps_max += 1.0 + failed_max + compaction;
                    p.calls_max += 1.0 + compaction;
                    p.prompts_max += 1.0 + if billed { failed_max } else { 0.0 } + compaction;
                    p.appended_max += out_max;
                    p.other_max += out_max + thought_max + compaction * summary_max;
                    *last_output = out;
                    *last_output_max = out_max;
                }
                Step::Tool { tokens, .. } => {
                    p.steps += 1.0;
                    p.appended += tokens.count_moments(u64::MAX).mean;
                    p.steps_max += 1.0;
                    p.appended_max += tokens.count_max() as f64;
                }
                Step::SubAgent { agent, count } => {
                    let sub = self.agent_work(*agent, done);
                    let k = count.count_moments(u64::MAX).mean;
                    let k_max = count.count_max() as f64;
                    p.steps += k * (1.0 + sub.steps);
                    p.calls += k * sub.calls;
                    p.other += k * sub.tokens;
                    p.appended += k * sub.last_output;
                    p.steps_max += k_max * (1.0 + sub.steps_max);
                    p.calls_max += k_max * sub.calls_max;
                    p.other_max += k_max * sub.tokens_max;
                    p.appended_max += k_max * sub.last_output_max;
                }
            }
        }
        p
    }
}

impl Workflow {
    /// A phase's iterations with its difficulty link, if any: a count `N · D^k` has
    /// `E = E[N] E[D^k]` and `E[(N D^k)²] = E[N²] E[D^(2k)]` (`E[D^k] = exp(k(k−1)σ²/2)`;
    /// clamping only lowers them); a loop passing with `p^(D^k)` has its attempts' moments
    /// averaged over `D` (a 161-point rule on the normal `Z`).
    fn repeat_moments(&self, phase: &super::Phase) -> (f64, f64, f64) {
        let sigma = match &self.factors {
            Some(f) if phase.difficulty != 0.0 => f.spread.unwrap_or(0.0),
            _ => 0.0,
        };
        if sigma == 0.0 {
            return repeat_moments(&phase.repeat);
        }
        let k = phase.difficulty;
        match &phase.repeat {
            Repeat::Times(_) => {
                let (mean, pairs, max) = repeat_moments(&phase.repeat);
                let power = |j: f64| crate::dist::exp(0.5 * j * (j - 1.0) * sigma * sigma);
                let second = (pairs + mean) * power(2.0 * k);
                let mean = (mean * power(k)).min(max);
                (mean, (second - mean).max(0.0), max)
            }
            Repeat::UntilPass {
                p_pass,
                max_attempts,
                ..
            } => {
                let (mut n, mut pairs, mut weight) = (0.0, 0.0, 0.0);
                for i in 0..=160 {
                    let z = -8.0 + 0.1 * i as f64;
                    let w = crate::dist::exp(-0.5 * z * z);
                    let f = super::TrialFactors {
                        ln_difficulty: sigma * z - 0.5 * sigma * sigma,
                        ..super::TrialFactors::NONE
                    };
                    let (a, b) = attempts_moments(f.pass_probability(*p_pass, k), *max_attempts);
                    n += w * a;
                    pairs += w * b;
                    weight += w;
                }
                (n / weight, pairs / weight, *max_attempts as f64)
            }
        }
    }
}

/// A phase's iterations: `E[N]`, `E[N(N−1)]` and the most.
fn repeat_moments(repeat: &Repeat) -> (f64, f64, f64) {
    match repeat {
        Repeat::Times(count) => {
            let m = count.count_moments(u64::MAX);
            (m.mean, m.pairs, count.count_max() as f64)
        }
        Repeat::UntilPass {
            p_pass,
            max_attempts,
            ..
        } => {
            let (n, pairs) = attempts_moments(*p_pass, *max_attempts);
            (n, pairs, *max_attempts as f64)
        }
    }
}

/// Failed attempts of one call: on average `q + q² + … + q^(r+1)` (the call fails at least `k`
/// times with probability `q^k`), at most `r + 1`; and whether their prompts are billed.
fn failed_attempts(failures: Option<CallFailures>) -> (f64, f64, bool) {
    match failures {
        Some(f) => {
            let mut mean = 0.0;
            let mut qk = 1.0;
            for _ in 0..=f.max_retries {
                qk *= f.p_fail;
                if qk < 1e-300 {
                    break;
                }
                mean += qk;
            }
            (
                mean,
                f.max_retries as f64 + 1.0,
                f.failed_prompt == FailedPrompt::Billed,
            )
        }
        None => (0.0, 0.0, false),
    }
}

/// `E[N]` and `E[N(N−1)]` of a loop's attempts: each passes with probability `p`, at most
/// `max` attempts, so `P(N ≥ k) = (1−p)^(k−1)` for `k ≤ max`; `E[N] = Σ P(N ≥ k)` and
/// `E[N(N−1)] = 2 Σ (k−1) P(N ≥ k)`.
fn attempts_moments(p: f64, max: u32) -> (f64, f64) {
    let (mut n, mut pairs, mut survive) = (0.0, 0.0, 1.0);
    for k in 1..=max {
        if survive < 1e-300 {
            break;
        }
        n += survive;
        pairs += 2.0 * (k - 1) as f64 * survive;
        survive *= 1.0 - p;
    }
    (n, pairs)
}

#[cfg(test)]
mod tests {
    use super::attempts_moments;

    #[test]
    fn attempts_of_a_loop_match_the_truncated_geometric_law() {
        // Never passes: always max attempts.
        assert_eq!(attempts_moments(0.0, 5), (5.0, 20.0));
        // Always passes: one attempt.
        assert_eq!(attempts_moments(1.0, 5), (1.0, 0.0));
        // p = 1/2, max 2: N = 1 or 2 with probability 1/2 each.
        let (n, pairs) = attempts_moments(0.5, 2);
        assert!((n - 1.5).abs() < 1e-15 && (pairs - 1.0).abs() < 1e-15);
        // Unbounded geometric: E[N] = 1/p, E[N(N−1)] = 2(1−p)/p².
        let (n, pairs) = attempts_moments(0.25, 100_000);
        assert!((n - 4.0).abs() < 1e-9, "{n}");
        assert!((pairs - 24.0).abs() < 1e-9, "{pairs}");
    }
}
