//! Compiles the agent mechanics of a scenario: model speed, windows and cacheable minimum,
//! cache TTL, compaction, transient call failures and task re-runs. Every one is off unless
//! the file sets it, so a scenario without them runs exactly as before they existed.

use rand::SeedableRng;
use rand_xoshiro::Xoshiro256PlusPlus;

use super::compile::{MAX_TOKENS_PER_DRAW, TOKENS, count_sampler};
use super::error::{FieldPath, ScenarioError, number};
use super::parse::Source;
use super::spec::{AgentSpec, CacheTtlSpec, FailedPromptSpec, LimitsSpec, ModelSpec, OnLimitSpec};
use crate::dist::{DistSpec, Sampler};
use crate::pricing::{ModelPrices, TokenKind};
use crate::workflow::{
    CacheTtl, CallFailures, Compaction, FailedPrompt, ModelMechanics, OnLimit, TaskLimits,
    TaskRetry,
};

/// Largest context window accepted, in tokens.
pub const MAX_CONTEXT_WINDOW: i64 = 1_000_000_000;
/// Most retries of a call or re-runs of a task.
pub const MAX_RETRIES: i64 = 100;
/// Longest time to first token accepted, in seconds.
pub const MAX_TTFT_S: f64 = 3600.0;
pub use crate::workflow::MAX_DURATION_S;

fn bad(source: &Source, path: FieldPath, message: String) -> ScenarioError {
    source.error_at(path, message, None)
}

/// A probability in [0, 1].
pub(crate) fn probability(v: f64, path: FieldPath, source: &Source) -> Result<f64, ScenarioError> {
    if (0.0..=1.0).contains(&v) {
        Ok(v)
    } else {
        Err(bad(
            source,
            path,
            format!("expected a probability in [0, 1], found {}", number(v)),
        ))
    }
}

/// An integer in `lo..=hi`.
pub(crate) fn int_in(
    v: i64,
    lo: i64,
    hi: i64,
    path: FieldPath,
    source: &Source,
) -> Result<u64, ScenarioError> {
    if (lo..=hi).contains(&v) {
        Ok(v as u64)
    } else {
        Err(bad(
            source,
            path,
            format!("expected an integer from {lo} to {hi}, found {v}"),
        ))
    }
}

/// The mechanics of one model (`[models.NAME]`); `compact_above` is filled in by
/// [`compaction`].
pub(crate) fn model_mechanics(
    spec: &ModelSpec,
    path: &FieldPath,
    source: &Source,
) -> Result<ModelMechanics, ScenarioError> {
    let mut m = ModelMechanics::default();
    if let Some(t) = spec.time_to_first_token_s {
        if !(t.is_finite() && (0.0..=MAX_TTFT_S).contains(&t)) {
            return Err(bad(
                source,
                path.key("time_to_first_token_s"),
                format!(
                    "expected seconds from 0 to {MAX_TTFT_S}, found {}",
                    number(t)
                ),
            ));
        }
        m.ttft_s = t;
    }
    if let Some(speed) = spec.output_tokens_per_s {
        if !(speed.is_finite() && speed > 0.0 && speed <= 1e6) {
            return Err(bad(
                source,
                path.key("output_tokens_per_s"),
                format!(
                    "expected tokens per second above 0 and at most 1000000, found {}",
                    number(speed)
                ),
            ));
        }
        m.seconds_per_token = 1.0 / speed;
    }
    if let Some(w) = spec.context_window {
        m.context_window = int_in(w, 1, MAX_CONTEXT_WINDOW, path.key("context_window"), source)?;
    }
    if let Some(min) = spec.min_cacheable_prompt {
        m.min_cacheable_prompt = int_in(
            min,
            0,
            MAX_CONTEXT_WINDOW,
            path.key("min_cacheable_prompt"),
            source,
        )?;
    }
    Ok(m)
}

/// The cache TTL tier.
pub(crate) fn cache_ttl(spec: CacheTtlSpec) -> CacheTtl {
    match spec {
        CacheTtlSpec::FiveMinutes => CacheTtl::FiveMinutes,
        CacheTtlSpec::OneHour => CacheTtl::OneHour,
    }
}

/// Compaction, if `[agent] compaction` is set: fills each model's `compact_above`.
pub(crate) fn compaction(
    agent: &AgentSpec,
    models: &mut [ModelMechanics],
    usage_phase: usize,
    resolve_model: &dyn Fn(&str, FieldPath) -> Result<usize, ScenarioError>,
    path: &FieldPath,
    source: &Source,
) -> Result<Option<Compaction>, ScenarioError> {
    let Some(c) = &agent.compaction else {
        return Ok(None);
    };
    let path = path.key("compaction");
    if !(c.threshold > 0.0 && c.threshold <= 1.0) {
        return Err(bad(
            source,
            path.key("threshold"),
            format!(
                "expected a share of the context window in (0, 1], found {}",
                number(c.threshold)
            ),
        ));
    }
    if models.iter().all(|m| m.context_window == u64::MAX) {
        return Err(source.error_at(
            path,
            "expected a `context_window` on at least one model, found none: compaction is triggered by a share of the window".into(),
            Some("add e.g. `context_window = 200000` under [models.NAME]".into()),
        ));
    }
    let model = match &c.model {
        Some(name) => Some(resolve_model(name, path.key("model"))?),
        None => None,
    };
    for m in models.iter_mut() {
        if m.context_window < u64::MAX {
            m.compact_above = (c.threshold * m.context_window as f64).floor() as u64;
        }
    }
    Ok(Some(Compaction {
        threshold: c.threshold,
        summary: count_sampler(&c.summary, &path.key("summary"), source, TOKENS)?,
        model,
        usage_phase,
    }))
}

/// Transient call failures, if `[agent] call_failures` is set.
pub(crate) fn call_failures(
    agent: &AgentSpec,
    path: &FieldPath,
    source: &Source,
) -> Result<Option<CallFailures>, ScenarioError> {
    let Some(f) = &agent.call_failures else {
        return Ok(None);
    };
    let path = path.key("call_failures");
    let p_fail = probability(f.p_fail, path.key("p_fail"), source)?;
    Ok(Some(CallFailures {
        p_fail,
        max_retries: int_in(
            f.max_retries,
            0,
            MAX_RETRIES,
            path.key("max_retries"),
            source,
        )? as u32,
        failed_prompt: match f.failed_prompt {
            FailedPromptSpec::Billed => FailedPrompt::Billed,
            FailedPromptSpec::Free => FailedPrompt::Free,
        },
    }))
}

/// Task re-runs, if `[agent] task_retry` is set.
pub(crate) fn task_retry(
    agent: &AgentSpec,
    path: &FieldPath,
    source: &Source,
) -> Result<Option<TaskRetry>, ScenarioError> {
    let Some(r) = &agent.task_retry else {
        return Ok(None);
    };
    let path = path.key("task_retry");
    Ok(Some(TaskRetry {
        max_reruns: int_in(r.max_reruns, 0, MAX_RETRIES, path.key("max_reruns"), source)? as u32,
        p_rerun: probability(r.p_rerun, path.key("p_rerun"), source)?,
    }))
}

/// The per-task caps, if `[limits]` is set: each cap positive and finite, at least one of
/// them; the spend is metered at the models' list rates (tiers included).
pub(crate) fn limits(
    spec: Option<&LimitsSpec>,
    prices: &[ModelPrices],
    source: &Source,
) -> Result<Option<TaskLimits>, ScenarioError> {
    let Some(l) = spec else {
        return Ok(None);
    };
    let path = FieldPath::default().key("limits");
    let max_calls = match l.max_calls {
        None => u64::MAX,
        Some(n) if n >= 1 => n as u64,
        Some(n) => {
            return Err(source.error_at(
                path.key("max_calls"),
                format!("expected a positive number of calls per task, found {n}"),
                Some("write the step cap per task, e.g. `max_calls = 250`".into()),
            ));
        }
    };
    let max_cost_usd = match l.max_cost_usd {
        None => f64::INFINITY,
        Some(c) if c.is_finite() && c > 0.0 => c,
        Some(c) => {
            return Err(source.error_at(
                path.key("max_cost_usd"),
                format!(
                    "expected a positive, finite amount in USD, found {}",
                    number(c)
                ),
                Some("write the spend cap per task in dollars, e.g. `max_cost_usd = 3.0`".into()),
            ));
        }
    };
    if l.max_calls.is_none() && l.max_cost_usd.is_none() {
        return Err(source.error_at(
            path,
            "expected `max_calls` or `max_cost_usd` (or both), found neither".into(),
            Some("add e.g. `max_calls = 250` or `max_cost_usd = 3.0`, or remove [limits]".into()),
        ));
    }
    let rates = prices
        .iter()
        .map(|m| {
            (0..=m.tiers.len())
                .map(|t| std::array::from_fn(|k| m.tier_rate(t, TokenKind::ALL[k]) / 1e6))
                .collect()
        })
        .collect();
    Ok(Some(TaskLimits {
        max_calls,
        max_cost_usd,
        on_limit: match l.on_limit {
            OnLimitSpec::Fail => OnLimit::Fail,
            OnLimitSpec::Success => OnLimit::Success,
        },
        rates,
    }))
}

/// A reasoning budget: at most [`MAX_TOKENS_PER_DRAW`].
pub(crate) fn reasoning_budget(
    budget: Option<i64>,
    path: FieldPath,
    source: &Source,
) -> Result<u64, ScenarioError> {
    match budget {
        None => Ok(MAX_TOKENS_PER_DRAW),
        Some(b) => int_in(b, 0, MAX_TOKENS_PER_DRAW as i64, path, source),
    }
}

/// A duration distribution in seconds, probed like token counts: 4,096 draws from a fixed
/// stream must be finite, at least 0 (without an explicit `min`) and at most
/// [`MAX_DURATION_S`]; draws are clamped to `[0, MAX_DURATION_S]` at run time.
pub(crate) fn duration_sampler(
    spec: &DistSpec,
    path: &FieldPath,
    source: &Source,
) -> Result<Sampler, ScenarioError> {
    let s = Sampler::compile(spec)
        .map_err(|e| source.error_at(path.dotted(&e.field), e.message, None))?;
    let mut rng = Xoshiro256PlusPlus::seed_from_u64(0x5eed);
    for _ in 0..4096 {
        // The raw draw with only the file's own clamps: a negative draw that the default
        // floor would hide is a mistake to report.
        let x = s
            .sample_raw(&mut rng)
            .max(spec.min.unwrap_or(f64::NEG_INFINITY))
            .min(spec.max.unwrap_or(f64::INFINITY));
        if !x.is_finite() || !(0.0..=MAX_DURATION_S).contains(&x) {
            return Err(source.error_at(
                path.clone(),
                format!(
                    "expected a duration from 0 to {MAX_DURATION_S} seconds, found a distribution that draws {}",
                    number(x)
                ),
                Some("check the unit (seconds), or add `min`/`max` to clamp the draws".into()),
            ));
        }
    }
    Ok(s)
}
