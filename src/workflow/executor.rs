//! Runs one trial of a workflow: the agent's calls and tool results, step by step.
//!
//! Context model (DESIGN.md §1): a call sends the whole current context as its prompt and its
//! output joins the context; a tool result joins the context without a call. With prefix
//! caching the cache holds the previous call's whole prompt: the next call reads
//! `min(cached, prompt)` tokens from cache and writes the rest (the first call writes all). A
//! cache belongs to one model: a call on another model finds it empty.

use rand::{Rng, RngExt};

use super::model::{Caching, OnExhausted, Repeat, Step, When, Workflow};
use super::usage::TrialUsage;
use crate::pricing::{TokenKind, tier_of};

/// The mutable state of one task while it runs.
struct TaskState {
    /// Tokens in the context now.
    context: u64,
    /// Tokens of the previous call's prompt held in the prefix cache.
    cached: u64,
    /// The model whose cache that is.
    cached_model: usize,
    /// Whether a loop has failed the task.
    failed: bool,
}

impl Workflow {
    /// Runs one trial with `rng`, writing what it consumed into `usage` (which is reset first).
    pub fn run_trial<R: Rng + ?Sized>(&self, rng: &mut R, usage: &mut TrialUsage) {
        usage.ensure_tiers(self.extra_price_tiers());
        usage.reset();
        let context = self
            .system_prompt
            .sample_count(rng)
            .saturating_add(self.task_prompt.sample_count(rng));
        let mut state = TaskState {
            context,
            cached: 0,
            cached_model: usize::MAX,
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
                    let out = output.sample_count(rng);
                    let mut tokens = [0u64; TokenKind::COUNT];
                    match self.caching {
                        Caching::Off => tokens[TokenKind::Input.index()] = prompt,
                        Caching::Prefix => {
                            let read = if state.cached_model == *model {
                                state.cached.min(prompt)
                            } else {
                                0
                            };
                            tokens[TokenKind::CacheRead.index()] = read;
                            tokens[TokenKind::CacheWrite.index()] = prompt - read;
                            state.cached = prompt;
                            state.cached_model = *model;
                        }
                    }
                    tokens[TokenKind::Output.index()] = out;
                    let tier = tier_of(&self.prompt_tier_thresholds[*model], prompt);
                    usage.record_call(phase, *model, tier, &tokens);
                    state.context = state.context.saturating_add(out);
                }
                Step::Tool { tokens } => {
                    state.context = state.context.saturating_add(tokens.sample_count(rng));
                }
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::dist::Sampler;
    use crate::workflow::{Phase, Repeat};
    use rand::SeedableRng;

    #[test]
    fn a_switch_of_model_finds_the_cache_empty() {
        // Context 1000; calls on model 0, 1, 1 with 10 output tokens each.
        let call = |model| Step::Call {
            model,
            output: Sampler::constant(10.0),
        };
        let wf = Workflow {
            model_names: vec!["a".into(), "b".into()],
            phase_names: vec!["p".into()],
            system_prompt: Sampler::constant(1000.0),
            task_prompt: Sampler::constant(0.0),
            caching: Caching::Prefix,
            prompt_tier_thresholds: vec![Vec::new(), Vec::new()],
            phases: vec![Phase {
                when: When::Always,
                repeat: Repeat::Times(Sampler::constant(1.0)),
                steps: vec![call(0), call(1), call(1)],
            }],
        };
        let mut usage = TrialUsage::new(1, 2);
        wf.run_trial(
            &mut rand_xoshiro::Xoshiro256PlusPlus::seed_from_u64(1),
            &mut usage,
        );
        // Model a: writes 1000. Model b: prompt 1010, cache empty -> writes 1010; then prompt
        // 1020 reads 1010 and writes 10.
        assert_eq!(usage.tokens(0, 0, TokenKind::CacheWrite), 1000);
        assert_eq!(usage.tokens(0, 1, TokenKind::CacheWrite), 1020);
        assert_eq!(usage.tokens(0, 1, TokenKind::CacheRead), 1010);
        assert_eq!(usage.tokens(0, 0, TokenKind::CacheRead), 0);
    }
}
