//! Runs one trial of a workflow: the agent's calls and tool results, step by step.
//!
//! Context model (DESIGN.md §1): a call sends the whole current context as its prompt and its
//! output joins the context; a tool result joins the context without a call. With prefix
//! caching the cache holds the previous call's whole prompt: the next call reads
//! `min(cached, prompt)` tokens from cache and writes the rest (the first call writes all).

use rand::{Rng, RngExt};

use super::model::{Caching, OnExhausted, Repeat, Step, When, Workflow};
use super::usage::TrialUsage;
use crate::pricing::TokenKind;

/// The mutable state of one task while it runs.
struct TaskState {
    /// Tokens in the context now.
    context: u64,
    /// Tokens of the previous call's prompt held in the prefix cache.
    cached: u64,
    /// Whether a loop has failed the task.
    failed: bool,
}

impl Workflow {
    /// Runs one trial with `rng`, writing what it consumed into `usage` (which is reset first).
    pub fn run_trial<R: Rng + ?Sized>(&self, rng: &mut R, usage: &mut TrialUsage) {
        usage.reset();
        let context = self.system_prompt.sample_count(rng) + self.task_prompt.sample_count(rng);
        let mut state = TaskState {
            context,
            cached: 0,
            failed: false,
        };
        for (index, phase) in self.phases.iter().enumerate() {
            let runs = match phase.when {
                When::Always => true,
                When::OnSuccess => !state.failed,
                When::OnFailure => state.failed,
            };
            if !runs {
                continue;
            }
            match phase.repeat {
                Repeat::Times(ref count) => {
                    for _ in 0..count.sample_count(rng) {
                        usage.add_iteration(index);
                        self.run_steps(index, &phase.steps, &mut state, rng, usage);
                    }
                }
                Repeat::UntilPass {
                    p_pass,
                    max_attempts,
                    on_exhausted,
                } => {
                    let mut passed = false;
                    for _ in 0..max_attempts {
                        usage.add_iteration(index);
                        self.run_steps(index, &phase.steps, &mut state, rng, usage);
                        if rng.random::<f64>() < p_pass {
                            passed = true;
                            break;
                        }
                    }
                    if !passed && on_exhausted == OnExhausted::Fail {
                        state.failed = true;
                    }
                }
            }
        }
        usage.success = !state.failed;
    }

    #[inline]
    fn run_steps<R: Rng + ?Sized>(
        &self,
        phase: usize,
        steps: &[Step],
        state: &mut TaskState,
        rng: &mut R,
        usage: &mut TrialUsage,
    ) {
        for step in steps {
            match step {
                Step::Call { model, output } => {
                    let prompt = state.context;
                    match self.caching {
                        Caching::Off => usage.add_tokens(phase, *model, TokenKind::Input, prompt),
                        Caching::Prefix => {
                            let read = state.cached.min(prompt);
                            usage.add_tokens(phase, *model, TokenKind::CacheRead, read);
                            usage.add_tokens(phase, *model, TokenKind::CacheWrite, prompt - read);
                            state.cached = prompt;
                        }
                    }
                    let out = output.sample_count(rng);
                    usage.add_tokens(phase, *model, TokenKind::Output, out);
                    usage.add_call(phase, *model);
                    state.context += out;
                }
                Step::Tool { tokens } => {
                    state.context += tokens.sample_count(rng);
                }
            }
        }
    }
}
