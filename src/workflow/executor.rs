//! Runs one trial of a workflow: the agent's calls, tool results and sub-agents, step by step.
//!
//! Context model (DESIGN.md §1): a call sends the whole current context as its prompt and its
//! output joins the context (its reasoning tokens are billed, never kept); a tool result joins
//! the context without a call. With prefix caching the cache holds the previous call's whole
//! prompt: the next call reads `min(cached, prompt)` tokens from cache and writes the rest (the
//! first call writes all). A cache belongs to one model: a call on another model finds it
//! empty. It lives `ttl` seconds after it was last written or read (at a call's start); a
//! longer gap empties it. Compaction empties it too.
//!
//! Per-task caps ([`super::TaskLimits`]) are checked before every request to a model (a call,
//! a compaction's summarising call, a retried attempt): the agent stops there, and a cap
//! reached inside a sub-agent stops the whole task.
//!
//! Every mechanism that is off draws nothing from the random stream, so a scenario without
//! them gives exactly the trials it gave before they existed.

use rand::{Rng, RngExt};

use super::factors::TrialFactors;
use super::model::{
    Caching, FailedPrompt, MAX_DURATION_S, Mechanics, OnLimit, Reasoning, Repeat, Step, When,
    Workflow,
};
use super::usage::{TrialEvent, TrialUsage};
use crate::dist::Sampler;
use crate::pricing::{TokenKind, tier_of};

/// The state of one agent (the task, or one sub-agent instance) while it runs.
#[derive(Debug, Clone, Copy)]
struct AgentState {
    /// Tokens in the context now.
    context: u64,
    /// The system prompt drawn for this agent: what compaction keeps.
    system: u64,
    /// Tokens of the previous call's prompt held in the prefix cache.
    cached: u64,
    /// The model whose cache that is (`usize::MAX`: none).
    cached_model: usize,
    /// When the cache was last written or read, in seconds since the trial started.
    touched_s: f64,
    /// The agent's clock, in seconds since the trial started.
    now_s: f64,
    /// Output tokens of the last call: what a sub-agent returns as its summary.
    last_output: u64,
    /// Whether a loop, an overflow or a call that kept failing has failed the agent.
    failed: bool,
    /// Whether the agent stopped (overflow, or a call failed beyond its retries).
    stopped: bool,
}

impl Workflow {
    /// Runs one trial with `rng`, writing what it consumed into `usage` (which is reset first).
    ///
    /// A failed task may be re-run from scratch (cold context and cache) as
    /// [`Workflow::task_retry`] says; usage and time add up over the runs, and the last run
    /// decides success.
    pub fn run_trial<R: Rng + Clone>(&self, rng: &mut R, usage: &mut TrialUsage) {
        usage.reset();
        if self.mechanics == Mechanics::Off {
            // A local copy whose address never escapes (the samplers' out-of-line paths work on
            // copies of their own): the generator's state stays in registers across the trial
            // instead of a load and a store of each word per draw.
            let mut local = rng.clone();
            let task = self.run_agent::<false, R>(0, 0.0, &TrialFactors::NONE, &mut local, usage);
            *rng = local;
            usage.success = !task.failed;
            return;
        }
        // Drawn once per task: a re-run is the same task (same difficulty, same correlated
        // inputs).
        let factors = match &self.factors {
            Some(f) => f.draw(rng),
            None => TrialFactors::NONE,
        };
        self.run_task_drawn(rng, &factors, usage);
    }

    /// Runs one task with factors the caller drew (a routing comparison runs the same task,
    /// with the same difficulty, on several models), writing what it consumed into `usage`
    /// (which is reset first). With the factors `run_trial` would draw from `rng`, it gives
    /// exactly what [`Workflow::run_trial`] gives.
    pub fn run_task<R: Rng + Clone>(
        &self,
        rng: &mut R,
        factors: &TrialFactors,
        usage: &mut TrialUsage,
    ) {
        usage.reset();
        self.run_task_drawn(rng, factors, usage);
    }

    /// The task and its re-runs, the mechanics on, `usage` reset.
    #[inline]
    fn run_task_drawn<R: Rng + Clone>(
        &self,
        rng: &mut R,
        factors: &TrialFactors,
        usage: &mut TrialUsage,
    ) {
        usage.ensure_tiers(self.extra_price_tiers());
        let mut reruns = 0;
        loop {
            let task = self.run_agent::<true, R>(0, usage.duration_s, factors, rng, usage);
            usage.duration_s = task.now_s;
            usage.success = !task.failed;
            if usage.meter.stopped {
                // A cap stopped the task: its budget is spent, so it is not re-run, and
                // `on_limit` alone decides its success.
                usage.success = self.limits.as_ref().map(|l| l.on_limit) == Some(OnLimit::Success);
                break;
            }
            match self.task_retry {
                Some(retry)
                    if task.failed
                        && reruns < retry.max_reruns
                        && rng.random::<f64>() < retry.p_rerun =>
                {
                    reruns += 1;
                    usage.add_event(TrialEvent::TaskRerun);
                }
                _ => break,
            }
        }
    }

    /// Runs agent `agent` from a fresh context starting at `start_s`.
    ///
    /// `M` says whether any mechanism is on ([`Mechanics`]): with `M = false` the checks of
    /// time, TTL, windows, failures, reasoning and escalation compile away, and the result is
    /// the same as with `M = true` (every one of them is a no-op then; a test checks it).
    #[inline]
    fn run_agent<const M: bool, R: Rng + Clone>(
        &self,
        agent: usize,
        start_s: f64,
        factors: &TrialFactors,
        rng: &mut R,
        usage: &mut TrialUsage,
    ) -> AgentState {
        let spec = &self.agents[agent];
        let system = match spec.system_correlated {
            Some(j) if M => spec.system_prompt.count_at(factors.z[j]),
            _ => spec.system_prompt.sample_count(rng),
        };
        let task = match spec.task_correlated {
            Some(j) if M => spec.task_prompt.count_at(factors.z[j]),
            _ => spec.task_prompt.sample_count(rng),
        };
        let mut state = AgentState {
            context: system.saturating_add(task),
            system,
            cached: 0,
            cached_model: usize::MAX,
            touched_s: start_s,
            now_s: start_s,
            last_output: 0,
            failed: false,
            stopped: false,
        };
        let first = spec.phases.start;
        for (offset, phase) in self.phases[spec.phases.clone()].iter().enumerate() {
            let index = first + offset;
            if M && state.stopped {
                break;
            }
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
                    let n = match phase.correlated {
                        Some(j) if M => count.count_at(factors.z[j]),
                        _ => count.sample_count(rng),
                    };
                    let n = if M {
                        phase.scaled_count(count, n, factors)
                    } else {
                        n
                    };
                    for _ in 0..n {
                        usage.add_iteration(index);
                        self.run_steps::<M, R>(
                            index,
                            &phase.steps,
                            None,
                            factors,
                            &mut state,
                            rng,
                            usage,
                        );
                        if M && state.stopped {
                            break;
                        }
                    }
                }
                Repeat::UntilPass {
                    p_pass,
                    max_attempts,
                    on_exhausted,
                    ref escalate,
                } => {
                    let mut passed = false;
                    let p_pass = if M {
                        factors.pass_probability(p_pass, phase.difficulty)
                    } else {
                        p_pass
                    };
                    // After an escalation the loop passes at the escalation's probability
                    // (the loop's own unless a routing comparison gives models skills).
                    let mut p_escalated = match escalate {
                        Some(e) if M && e.p_pass != phase_p_pass(phase) => {
                            factors.pass_probability(e.p_pass, phase.difficulty)
                        }
                        _ => p_pass,
                    };
                    for attempt in 0..max_attempts {
                        let model = match escalate {
                            Some(e) if M && attempt >= e.after => {
                                // Rung 0 is `e.model`; a routing ladder's further rungs
                                // (`e.then`) each come after another `e.after` failures.
                                let rung = (attempt / e.after - 1) as usize;
                                let rung = rung.min(e.then.len());
                                if attempt == e.after {
                                    usage.add_event(TrialEvent::Escalation);
                                } else if rung > 0 && attempt == e.after * (rung as u32 + 1) {
                                    usage.add_event(TrialEvent::Escalation);
                                    p_escalated = factors
                                        .pass_probability(e.then[rung - 1].1, phase.difficulty);
                                }
                                Some(if rung == 0 {
                                    e.model
                                } else {
                                    e.then[rung - 1].0
                                })
                            }
                            _ => None,
                        };
                        usage.add_iteration(index);
                        self.run_steps::<M, R>(
                            index,
                            &phase.steps,
                            model,
                            factors,
                            &mut state,
                            rng,
                            usage,
                        );
                        if M && state.stopped {
                            break;
                        }
                        let p = if model.is_some() { p_escalated } else { p_pass };
                        if rng.random::<f64>() < p {
                            passed = true;
                            break;
                        }
                    }
                    if !passed && on_exhausted == super::OnExhausted::Fail && !usage.meter.stopped {
                        state.failed = true;
                    }
                }
            }
        }
        state
    }

    /// Runs one iteration's steps; `model` overrides every call's model (escalation).
    /// Inlined into its two call sites: an out-of-line call per iteration costs more than the
    /// steps of a short phase.
    #[inline(always)]
    #[allow(clippy::too_many_arguments)]
    fn run_steps<const M: bool, R: Rng + Clone>(
        &self,
        phase: usize,
        steps: &[Step],
        model: Option<usize>,
        factors: &TrialFactors,
        state: &mut AgentState,
        rng: &mut R,
        usage: &mut TrialUsage,
    ) {
        for step in steps {
            match step {
                Step::Call {
                    model: own,
                    output,
                    reasoning,
                    difficulty,
                } => {
                    if !M {
                        self.call_plain(phase, *own, output, state, rng, usage);
                        continue;
                    }
                    let model = model.unwrap_or(*own);
                    self.call(
                        phase,
                        model,
                        output,
                        reasoning.as_deref(),
                        factors.scale(*difficulty),
                        state,
                        rng,
                        usage,
                    );
                    if state.stopped {
                        return;
                    }
                }
                Step::Tool {
                    tokens,
                    duration_s,
                    difficulty,
                } => {
                    let mut n = tokens.sample_count(rng);
                    if M && *difficulty != 0.0 {
                        n = tokens.clamp_count(n as f64 * factors.scale(*difficulty));
                    }
                    state.context = state.context.saturating_add(n);
                    if M && let Some(d) = duration_s {
                        state.now_s += d.sample(rng).clamp(0.0, MAX_DURATION_S);
                    }
                }
                Step::SubAgent { agent, count } => {
                    // Only a workflow with mechanics on has sub-agents.
                    if M {
                        self.run_subagents(*agent, count, factors, state, rng, usage);
                        if state.stopped {
                            return;
                        }
                    }
                }
            }
        }
    }

    /// One call with the mechanics on: make room in the context if needed, retry transient
    /// failures, then bill the prompt (at its price tier), the output and the reasoning, and
    /// advance the clock.
    #[inline]
    #[allow(clippy::too_many_arguments)]
    fn call<R: Rng + Clone>(
        &self,
        phase: usize,
        model: usize,
        output: &Sampler,
        reasoning: Option<&Reasoning>,
        scale: f64,
        state: &mut AgentState,
        rng: &mut R,
        usage: &mut TrialUsage,
    ) {
        if self.limits.is_some() && !self.may_send(state, usage) {
            return;
        }
        let mech = &self.models[model];
        if state.context > mech.compact_above.min(mech.context_window)
            && !self.make_room(model, state, rng, usage)
        {
            return;
        }
        if let Some(failures) = self.call_failures
            && !self.failed_attempts(failures, phase, model, state, rng, usage)
        {
            return;
        }
        let prompt = state.context;
        let mut out = output.sample_count(rng);
        let mut thought = match reasoning {
            Some(r) => r.tokens.sample_count(rng),
            None => 0,
        };
        if scale != 1.0 {
            out = output.clamp_count(out as f64 * scale);
            if let Some(r) = reasoning {
                thought = r.tokens.clamp_count(thought as f64 * scale);
            }
        }
        if let Some(r) = reasoning {
            thought = thought.min(r.budget);
        }
        let mut tokens = [0u64; TokenKind::COUNT];
        self.bill_prompt(model, prompt, state, &mut tokens);
        tokens[TokenKind::Output.index()] = out;
        tokens[TokenKind::Reasoning.index()] = thought;
        let tier = tier_of(&self.prompt_tier_thresholds[model], prompt);
        usage.record_call(phase, model, tier, &tokens);
        if let Some(l) = &self.limits {
            usage.meter.calls += 1;
            usage.meter.spent_usd += l.cost(model, tier, &tokens);
        }
        state.context = state.context.saturating_add(out);
        let mech = &self.models[model];
        state.last_output = out;
        state.now_s += mech.ttft_s + (out.saturating_add(thought)) as f64 * mech.seconds_per_token;
    }

    /// A call on the plain path ([`Mechanics::Off`]): no tiers, no clock, no 1-hour writes, no
    /// minimum cacheable prompt, so it records the two or three kinds a call can produce
    /// straight into its usage cell. Gives what [`Workflow::call`] gives when nothing is on.
    #[inline(always)]
    fn call_plain<R: Rng + Clone>(
        &self,
        phase: usize,
        model: usize,
        output: &Sampler,
        state: &mut AgentState,
        rng: &mut R,
        usage: &mut TrialUsage,
    ) {
        let prompt = state.context;
        let out = output.sample_count(rng);
        let cell = usage.cell_mut(phase, model);
        let mut add = |kind: TokenKind, n: u64| {
            let c = &mut cell[kind.index()];
            *c = c.saturating_add(n);
        };
        match self.caching {
            Caching::Off => add(TokenKind::Input, prompt),
            Caching::Prefix => {
                let read = if state.cached_model == model {
                    state.cached.min(prompt)
                } else {
                    0
                };
                add(TokenKind::CacheRead, read);
                add(TokenKind::CacheWrite, prompt - read);
                state.cached = prompt;
                state.cached_model = model;
            }
        }
        add(TokenKind::Output, out);
        usage.add_call(phase, model);
        state.context = state.context.saturating_add(out);
    }

    /// Bills a prompt of `prompt` tokens sent to `model` now, and updates the cache.
    #[inline]
    fn bill_prompt(
        &self,
        model: usize,
        prompt: u64,
        state: &mut AgentState,
        tokens: &mut [u64; TokenKind::COUNT],
    ) {
        let mut add = |kind: TokenKind, n: u64| tokens[kind.index()] += n;
        match self.caching {
            Caching::Off => add(TokenKind::Input, prompt),
            Caching::Prefix => {
                if prompt < self.models[model].min_cacheable_prompt {
                    add(TokenKind::Input, prompt);
                    return;
                }
                let live = state.cached_model == model
                    && state.now_s - state.touched_s <= self.cache_ttl.seconds();
                let read = if live { state.cached.min(prompt) } else { 0 };
                add(TokenKind::CacheRead, read);
                add(self.cache_ttl.write_kind(), prompt - read);
                state.cached = prompt;
                state.cached_model = model;
                state.touched_s = state.now_s;
            }
        }
    }

    /// The context passed the compaction trigger or the window of `model`: compact if
    /// compaction is on and due, then check the window. Returns whether the call may go on.
    #[cold]
    #[inline(never)]
    fn make_room<R: Rng + Clone>(
        &self,
        model: usize,
        state: &mut AgentState,
        rng: &mut R,
        usage: &mut TrialUsage,
    ) -> bool {
        if let Some(c) = &self.compaction
            && state.context > self.models[model].compact_above
        {
            let summariser = c.model.unwrap_or(model);
            if state.context > self.models[summariser].context_window {
                return overflow(state, usage);
            }
            let summary = c.summary.sample_count(rng);
            let mut tokens = [0u64; TokenKind::COUNT];
            self.bill_prompt(summariser, state.context, state, &mut tokens);
            tokens[TokenKind::Output.index()] = summary;
            let tier = tier_of(&self.prompt_tier_thresholds[summariser], state.context);
            usage.record_call(c.usage_phase, summariser, tier, &tokens);
            if let Some(l) = &self.limits {
                usage.meter.calls += 1;
                usage.meter.spent_usd += l.cost(summariser, tier, &tokens);
            }
            usage.add_iteration(c.usage_phase);
            usage.add_event(TrialEvent::Compaction);
            let mech = &self.models[summariser];
            state.now_s += mech.ttft_s + summary as f64 * mech.seconds_per_token;
            state.context = state.system.saturating_add(summary);
            state.cached = 0;
            state.cached_model = usize::MAX;
            // The summarising call counted toward the caps: check them again before the call
            // it made room for (they were checked before the summarising call).
            if self.limits.is_some() && !self.may_send(state, usage) {
                return false;
            }
        }
        if state.context > self.models[model].context_window {
            return overflow(state, usage);
        }
        true
    }

    /// Draws the failed attempts before a call succeeds. Returns false (and stops the agent)
    /// when every attempt failed.
    #[inline(never)]
    fn failed_attempts<R: Rng + Clone>(
        &self,
        failures: super::CallFailures,
        phase: usize,
        model: usize,
        state: &mut AgentState,
        rng: &mut R,
        usage: &mut TrialUsage,
    ) -> bool {
        let mut failed = 0;
        while rng.random::<f64>() < failures.p_fail {
            usage.add_event(TrialEvent::FailedCall);
            if failures.failed_prompt == FailedPrompt::Billed {
                let mut tokens = [0u64; TokenKind::COUNT];
                self.bill_prompt(model, state.context, state, &mut tokens);
                let tier = tier_of(&self.prompt_tier_thresholds[model], state.context);
                usage.record_tokens(phase, model, tier, &tokens);
                if let Some(l) = &self.limits {
                    usage.meter.spent_usd += l.cost(model, tier, &tokens);
                }
            }
            state.now_s += self.models[model].ttft_s;
            failed += 1;
            if failed > failures.max_retries {
                state.failed = true;
                state.stopped = true;
                return false;
            }
            // The retry is another request: the caps are checked before it.
            if self.limits.is_some() && !self.may_send(state, usage) {
                return false;
            }
        }
        true
    }

    /// Whether the task's caps allow another request; if not, stops the agent (and, through
    /// the meter, every agent of the task) and counts which cap stopped it. The call cap is
    /// checked first.
    #[inline(never)]
    fn may_send(&self, state: &mut AgentState, usage: &mut TrialUsage) -> bool {
        let Some(l) = &self.limits else {
            return true;
        };
        let event = if usage.meter.calls >= l.max_calls {
            TrialEvent::CallLimit
        } else if usage.meter.spent_usd >= l.max_cost_usd {
            TrialEvent::CostLimit
        } else {
            return true;
        };
        usage.add_event(event);
        usage.meter.stopped = true;
        state.stopped = true;
        false
    }

    /// Runs `count` instances of a sub-agent in parallel from the parent's clock; each returns
    /// its summary to the parent's context; the parent waits for the slowest.
    #[inline(never)]
    fn run_subagents<R: Rng + Clone>(
        &self,
        agent: usize,
        count: &Sampler,
        factors: &TrialFactors,
        state: &mut AgentState,
        rng: &mut R,
        usage: &mut TrialUsage,
    ) {
        let start = state.now_s;
        let mut end = start;
        for _ in 0..count.sample_count(rng) {
            usage.add_event(TrialEvent::SubAgent);
            let sub = self.run_agent::<true, R>(agent, start, factors, rng, usage);
            end = end.max(sub.now_s);
            state.context = state.context.saturating_add(sub.last_output);
            if usage.meter.stopped {
                // A cap stopped the sub-agent: the harness stops the whole task.
                state.stopped = true;
                break;
            }
        }
        state.now_s = end;
    }
}

/// The pass probability a loop phase was written with (1 for a counted phase).
#[inline]
fn phase_p_pass(phase: &super::model::Phase) -> f64 {
    match phase.repeat {
        Repeat::UntilPass { p_pass, .. } => p_pass,
        Repeat::Times(_) => 1.0,
    }
}

/// A prompt would pass the window: the agent stops and fails; nothing is billed.
fn overflow(state: &mut AgentState, usage: &mut TrialUsage) -> bool {
    usage.add_event(TrialEvent::ContextOverflow);
    state.failed = true;
    state.stopped = true;
    false
}
