//! The compiled agent model: indices and samplers, no strings in the hot path.

use crate::dist::Sampler;
use crate::pricing::TokenKind;

/// How prompts are billed between consecutive calls.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Caching {
    /// Every prompt token is plain input.
    Off,
    /// Prefix caching: the cache holds the previous call's whole prompt; the next call reads
    /// the shared prefix from cache and writes the rest.
    Prefix,
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

/// How many times a phase's steps run.
#[derive(Debug, Clone)]
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
    },
}

/// One step of a phase.
#[derive(Debug, Clone)]
pub enum Step {
    /// An LLM call: the whole context is the prompt; `output` tokens join the context.
    Call {
        /// Model index into the scenario's models.
        model: usize,
        /// Output tokens per call.
        output: Sampler,
    },
    /// A tool result appended to the context without a call.
    Tool {
        /// Tokens appended.
        tokens: Sampler,
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
}

/// A compiled agent task: the starting context and the phases, ready to execute.
#[derive(Debug, Clone)]
pub struct Workflow {
    /// Model names, by index (for reports only).
    pub model_names: Vec<String>,
    /// Phase names, by index (for reports only).
    pub phase_names: Vec<String>,
    /// System prompt tokens.
    pub system_prompt: Sampler,
    /// Task prompt tokens.
    pub task_prompt: Sampler,
    /// Prompt caching mode.
    pub caching: Caching,
    /// Per model, the ascending prompt-token thresholds of its price tiers (empty: no tiers).
    /// A call whose prompt has more tokens than the `t`-th threshold is counted at tier
    /// `t + 1` (usage is kept per tier; pricing bills the whole call at that tier's rates).
    pub prompt_tier_thresholds: Vec<Vec<u64>>,
    /// Phases, in order.
    pub phases: Vec<Phase>,
}

impl Workflow {
    /// Number of models the usage arrays index.
    pub fn model_count(&self) -> usize {
        self.model_names.len()
    }

    /// Number of phases.
    pub fn phase_count(&self) -> usize {
        self.phases.len()
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
                used[TokenKind::CacheWrite.index()] = true;
                used[TokenKind::CacheRead.index()] = true;
            }
        }
        used
    }
}
