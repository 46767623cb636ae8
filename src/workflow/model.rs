//! The compiled agent model: indices and samplers, no strings in the hot path.
//!
//! The main agent and every sub-agent workflow share one flat list of phases; each agent owns a
//! contiguous range of it. Usage is indexed by those phase positions, plus one extra usage
//! phase for compaction's summarising calls when compaction is on.

use std::ops::Range;

use crate::dist::Sampler;
use crate::pricing::TokenKind;

use super::usage::TrialEvent;

/// Longest duration one tool draw may reach, in seconds (a week); draws are clamped to it.
pub const MAX_DURATION_S: f64 = 604_800.0;

/// How prompts are billed between consecutive calls.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Caching {
    /// Every prompt token is plain input.
    Off,
    /// Prefix caching: the cache holds the previous call's whole prompt; the next call reads
    /// the shared prefix from cache and writes the rest.
    Prefix,
}

/// How long a cache entry lives after it was last written or read, and the price tier its
/// writes are billed at.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum CacheTtl {
    /// 5 minutes (300 s), writes billed as [`TokenKind::CacheWrite`].
    FiveMinutes,
    /// 1 hour (3,600 s), writes billed as [`TokenKind::CacheWrite1h`].
    OneHour,
}

impl CacheTtl {
    /// The time to live in seconds.
    pub const fn seconds(self) -> f64 {
        match self {
            CacheTtl::FiveMinutes => 300.0,
            CacheTtl::OneHour => 3600.0,
        }
    }

    /// The token kind cache writes are billed as.
    pub const fn write_kind(self) -> TokenKind {
        match self {
            CacheTtl::FiveMinutes => TokenKind::CacheWrite,
            CacheTtl::OneHour => TokenKind::CacheWrite1h,
        }
    }
}

/// Per-model mechanics: speed, context window and the smallest cacheable prompt.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct ModelMechanics {
    /// Seconds to the first token of a call.
    pub ttft_s: f64,
    /// Seconds per generated (output or reasoning) token: 1 / tokens per second, 0 if unset.
    pub seconds_per_token: f64,
    /// Largest prompt the model accepts (`u64::MAX` when unset).
    pub context_window: u64,
    /// Prompts shorter than this are not cached: billed as plain input, cache untouched.
    pub min_cacheable_prompt: u64,
    /// Context size above which a call on this model is preceded by compaction: the window
    /// times the compaction threshold (`u64::MAX` without a window or without compaction).
    pub compact_above: u64,
}

impl Default for ModelMechanics {
    fn default() -> Self {
        ModelMechanics {
            ttft_s: 0.0,
            seconds_per_token: 0.0,
            context_window: u64::MAX,
            min_cacheable_prompt: 0,
            compact_above: u64::MAX,
        }
    }
}

/// Context compaction: when the context passes a threshold of the calling model's window
/// ([`ModelMechanics::compact_above`]), a summarising call shrinks it to the system prompt
/// plus a summary.
#[derive(Debug, Clone)]
pub struct Compaction {
    /// Share of the window that triggers compaction (for reports).
    pub threshold: f64,
    /// Summary tokens the summarising call returns.
    pub summary: Sampler,
    /// Model of the summarising call (`None`: the model of the call that triggered it).
    pub model: Option<usize>,
    /// Usage phase the summarising calls are billed under.
    pub usage_phase: usize,
}

/// Whether a failed call attempt's prompt is billed.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum FailedPrompt {
    /// The provider billed the prompt of the failed attempt (as a call without output).
    Billed,
    /// Failed attempts cost nothing.
    Free,
}

/// Transient call failures (timeouts, overload), retried.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct CallFailures {
    /// Probability that one attempt fails.
    pub p_fail: f64,
    /// Retries after the first attempt; when all `1 + max_retries` attempts fail, the agent
    /// stops and the task fails.
    pub max_retries: u32,
    /// Whether failed attempts' prompts are billed.
    pub failed_prompt: FailedPrompt,
}

/// A failed task re-run from scratch by a person.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct TaskRetry {
    /// Most re-runs.
    pub max_reruns: u32,
    /// Probability that a person re-runs a failed task.
    pub p_rerun: f64,
}

/// Whether a task stopped at a cap counts as failed or succeeded.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum OnLimit {
    /// The stopped task failed.
    Fail,
    /// The stopped task succeeded (the harness submits what the agent has).
    Success,
}

/// Per-task caps of a harness or a CI budget (`[limits]`): the whole task counts toward them
/// (sub-agents, compaction's calls, failed attempts, re-runs), and the agent stops before a
/// request that a cap forbids:
///
/// - **calls**: before a request when the task has made `max_calls` calls (compaction's
///   summarising calls included, failed attempts not: the `calls` metric), so a task makes at
///   most `max_calls` calls;
/// - **spend**: before a request when the task has spent at least `max_cost_usd` at list prices
///   (failed attempts' billed prompts included). A call's cost is known only once it returns,
///   so the call that crosses the cap is made and billed: a task spends less than
///   `max_cost_usd` plus one request's cost.
///
/// A stopped task is not re-run (its budget is spent); its success is [`OnLimit`].
#[derive(Debug, Clone, PartialEq)]
pub struct TaskLimits {
    /// Most calls per task (`u64::MAX`: no cap).
    pub max_calls: u64,
    /// Spend cap in USD (infinite: no cap).
    pub max_cost_usd: f64,
    /// Whether a stopped task fails.
    pub on_limit: OnLimit,
    /// The list rates the spend is metered with, USD per token: per model, per price tier
    /// (0 = base), by [`TokenKind::index`]. Numbers only: the scenario compiles them from
    /// its prices, as a harness's cost tracker reads a price list.
    pub rates: Vec<Vec<[f64; TokenKind::COUNT]>>,
}

impl TaskLimits {
    /// The list-price cost in USD of one request's tokens on `model` at `tier`.
    #[inline]
    pub fn cost(&self, model: usize, tier: usize, tokens: &[u64; TokenKind::COUNT]) -> f64 {
        let rates = &self.rates[model][tier];
        let mut total = 0.0;
        for k in 0..TokenKind::COUNT {
            total += tokens[k] as f64 * rates[k];
        }
        total
    }
}

/// When a phase runs, given the task's state so far.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum When {
    /// Always.
    Always,
    /// Only if no loop has failed the task.
    OnSuccess,
    /// Only if a loop has failed the task.
    OnFailure,
}

/// What happens when a loop reaches its maximum without a pass.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum OnExhausted {
    /// The task fails (later phases still run if their `when` allows).
    Fail,
    /// The task goes on as if nothing happened.
    Continue,
}

/// Switching a fix loop to another model after failed attempts.
#[derive(Debug, Clone, PartialEq)]
pub struct Escalation {
    /// Failed attempts on the original models before the switch.
    pub after: u32,
    /// Model every call of the loop uses from attempt `after + 1` on.
    pub model: usize,
    /// Pass probability of an attempt after the switch (before difficulty): the loop's own
    /// `p_pass` unless a routing comparison gives the models different skills.
    pub p_pass: f64,
    /// Further rungs of a routing ladder (empty for a loop's own `escalate`): after each
    /// further `after` failed attempts the loop switches to the next model, with its pass
    /// probability (before difficulty).
    pub then: Vec<(usize, f64)>,
}

/// How many times a phase's steps run. (`repr(u8)`: a tag of its own, one compare to
/// dispatch; see the sampler's `Kind`.)
#[derive(Debug, Clone)]
#[repr(u8)]
pub enum Repeat {
    /// A count drawn once per trial (a fixed count is a degenerate sampler).
    Times(Sampler),
    /// Repeat until a pass: after each attempt the check passes with probability `p_pass`.
    UntilPass {
        /// Probability that one attempt passes.
        p_pass: f64,
        /// Hard maximum of attempts (at least 1).
        max_attempts: u32,
        /// What a loop that never passed does to the task.
        on_exhausted: OnExhausted,
        /// Switch to a stronger model after some failed attempts.
        escalate: Option<Escalation>,
    },
}

/// Reasoning (thinking) tokens of a call: billed, not kept in the context.
#[derive(Debug, Clone)]
pub struct Reasoning {
    /// Tokens drawn per call.
    pub tokens: Sampler,
    /// Most reasoning tokens per call.
    pub budget: u64,
}

/// One step of a phase. (`repr(u8)`: a tag of its own, one compare to dispatch.)
#[derive(Debug, Clone)]
#[repr(u8)]
pub enum Step {
    /// An LLM call: the whole context is the prompt; `output` tokens join the context.
    Call {
        /// Model index into the scenario's models.
        model: usize,
        /// Output tokens per call.
        output: Sampler,
        /// Reasoning tokens per call, if the call reasons.
        reasoning: Option<Box<Reasoning>>,
        /// Difficulty exponent `k` of its output and reasoning draws (`draw · D^k`; 0: none).
        difficulty: f64,
    },
    /// A tool result appended to the context without a call.
    Tool {
        /// Tokens appended.
        tokens: Sampler,
        /// Seconds the tool takes (none: instantaneous).
        duration_s: Option<Box<Sampler>>,
        /// Difficulty exponent `k` of its token draw (`draw · D^k`; 0: none).
        difficulty: f64,
    },
    /// Sub-agents: `count` instances of another agent, run in parallel in fresh contexts;
    /// each returns its last call's output (its summary) to this context.
    SubAgent {
        /// Index into [`Workflow::agents`].
        agent: usize,
        /// Instances per step.
        count: Sampler,
    },
}

/// A phase: steps run in order, repeated as `repeat` says, if `when` allows.
#[derive(Debug, Clone)]
pub struct Phase {
    /// When the phase runs.
    pub when: When,
    /// How many times its steps run.
    pub repeat: Repeat,
    /// The steps of one iteration.
    pub steps: Vec<Step>,
    /// Difficulty exponent `k`: a repeat count is scaled to `n · D^k`, an `until_pass` loop
    /// passes with `p_pass^(D^k)` (0: none).
    pub difficulty: f64,
    /// Its repeat count's position among the correlated inputs, if it is one.
    pub correlated: Option<usize>,
}

/// One agent: the main task (index 0) or a named sub-agent workflow.
#[derive(Debug, Clone)]
pub struct Agent {
    /// Name (`[workflows.NAME]`; the main agent is "main").
    pub name: String,
    /// System prompt tokens (what compaction keeps).
    pub system_prompt: Sampler,
    /// Task prompt tokens.
    pub task_prompt: Sampler,
    /// Its phases, as positions in [`Workflow::phases`].
    pub phases: Range<usize>,
    /// The system prompt's position among the correlated inputs, if it is one.
    pub system_correlated: Option<usize>,
    /// The task prompt's position among the correlated inputs, if it is one.
    pub task_correlated: Option<usize>,
}

/// Whether any agent mechanism (or a price tier) is on: the executor runs a plain path when
/// none is (same results, fewer checks).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Mechanics {
    /// No time, window, minimum cacheable prompt, 1-hour TTL, compaction, failures, re-runs,
    /// reasoning, escalation, sub-agent, prompt-length price tier, per-task cap, difficulty
    /// or correlation.
    Off,
    /// At least one of them.
    On,
}

/// A compiled agent task: agents, phases and mechanisms, ready to execute.
#[derive(Debug, Clone)]
pub struct Workflow {
    /// Model names, by index (for reports only).
    pub model_names: Vec<String>,
    /// Usage phase names, by index: every phase (a sub-agent's as `agent/phase`), then
    /// `compaction` when compaction is on. For reports only.
    pub phase_names: Vec<String>,
    /// Per-model speed, window and minimum cacheable prompt.
    pub models: Vec<ModelMechanics>,
    /// Prompt caching mode.
    pub caching: Caching,
    /// Per model, the ascending prompt-token thresholds of its price tiers (empty: no tiers).
    /// A call whose prompt has more tokens than the `t`-th threshold is counted at tier
    /// `t + 1` (usage is kept per tier; pricing bills the whole call at that tier's rates).
    pub prompt_tier_thresholds: Vec<Vec<u64>>,
    /// Cache lifetime and write price tier.
    pub cache_ttl: CacheTtl,
    /// Context compaction, if on.
    pub compaction: Option<Compaction>,
    /// Transient call failures, if any.
    pub call_failures: Option<CallFailures>,
    /// Task-level re-runs, if any.
    pub task_retry: Option<TaskRetry>,
    /// Per-task call and spend caps, if any.
    pub limits: Option<TaskLimits>,
    /// Agents: index 0 is the main task, the others sub-agent workflows.
    pub agents: Vec<Agent>,
    /// Every agent's phases, in order.
    pub phases: Vec<Phase>,
    /// Task difficulty and rank-correlated inputs, if any.
    pub factors: Option<super::Factors>,
    /// Whether any mechanism is on (set by [`Workflow::detect_mechanics`]).
    pub mechanics: Mechanics,
}

impl Workflow {
    /// Number of models the usage arrays index.
    pub fn model_count(&self) -> usize {
        self.model_names.len()
    }

    /// Number of usage phases (see [`Workflow::phase_names`]).
    pub fn phase_count(&self) -> usize {
        self.phase_names.len()
    }

    /// Sets [`Workflow::mechanics`] from what the workflow uses.
    pub fn detect_mechanics(mut self) -> Workflow {
        let plain = self.factors.is_none()
            && !self.timed()
            && self.extra_price_tiers() == 0
            && self.events_used().iter().all(|used| !used)
            && self.cache_ttl == CacheTtl::FiveMinutes
            && self.models.iter().all(|m| m.min_cacheable_prompt == 0)
            && !self.steps().any(|s| {
                matches!(
                    s,
                    Step::Call {
                        reasoning: Some(_),
                        ..
                    }
                )
            });
        self.mechanics = if plain { Mechanics::Off } else { Mechanics::On };
        self
    }

    fn steps(&self) -> impl Iterator<Item = &Step> {
        self.phases.iter().flat_map(|p| p.steps.iter())
    }

    /// The most price tiers above the base that any model has.
    pub fn extra_price_tiers(&self) -> usize {
        self.prompt_tier_thresholds
            .iter()
            .map(Vec::len)
            .max()
            .unwrap_or(0)
    }

    /// Which token kinds this workflow can ever produce (by [`TokenKind::index`]); the others
    /// are zero in every trial, which lets the engine skip aggregating them.
    pub fn kinds_used(&self) -> [bool; TokenKind::COUNT] {
        let mut used = [false; TokenKind::COUNT];
        used[TokenKind::Output.index()] = true;
        match self.caching {
            Caching::Off => used[TokenKind::Input.index()] = true,
            Caching::Prefix => {
                used[self.cache_ttl.write_kind().index()] = true;
                used[TokenKind::CacheRead.index()] = true;
                if self.models.iter().any(|m| m.min_cacheable_prompt > 0) {
                    used[TokenKind::Input.index()] = true;
                }
            }
        }
        if self.steps().any(|s| {
            matches!(
                s,
                Step::Call {
                    reasoning: Some(_),
                    ..
                }
            )
        }) {
            used[TokenKind::Reasoning.index()] = true;
        }
        used
    }

    /// Whether a trial's wall time can be non-zero.
    pub fn timed(&self) -> bool {
        self.models
            .iter()
            .any(|m| m.ttft_s > 0.0 || m.seconds_per_token > 0.0)
            || self.steps().any(|s| {
                matches!(
                    s,
                    Step::Tool {
                        duration_s: Some(_),
                        ..
                    }
                )
            })
    }

    /// Which trial events can happen (by [`TrialEvent::index`]).
    pub fn events_used(&self) -> [bool; TrialEvent::COUNT] {
        let mut used = [false; TrialEvent::COUNT];
        let window = self.models.iter().any(|m| m.context_window < u64::MAX);
        used[TrialEvent::Compaction.index()] = self.compaction.is_some();
        used[TrialEvent::ContextOverflow.index()] = window;
        used[TrialEvent::FailedCall.index()] = self.call_failures.is_some();
        used[TrialEvent::TaskRerun.index()] = self.task_retry.is_some();
        used[TrialEvent::Escalation.index()] = self.phases.iter().any(|p| {
            matches!(
                p.repeat,
                Repeat::UntilPass {
                    escalate: Some(_),
                    ..
                }
            )
        });
        used[TrialEvent::SubAgent.index()] = self.agents.len() > 1;
        if let Some(l) = &self.limits {
            used[TrialEvent::CallLimit.index()] = l.max_calls < u64::MAX;
            used[TrialEvent::CostLimit.index()] = l.max_cost_usd.is_finite();
        }
        used
    }
}
