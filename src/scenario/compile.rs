//! Checks a [`ScenarioFile`] and compiles it into the machine's model: a [`Workflow`] of indices
//! and samplers, and the models' prices.

use rand::SeedableRng;
use rand_xoshiro::Xoshiro256PlusPlus;

use super::error::{FieldPath, ScenarioError, did_you_mean, number};
use super::parse::Source;
use super::spec::{
    CachingSpec, ModelSpec, OnExhaustedSpec, PhaseSpec, ScenarioFile, StepSpec, WhenSpec,
};
use super::{factors, mechanics, subagents};
use crate::dist::{DistSpec, Sampler};
use crate::pricing::{ModelPrices, PriceCatalog, PromptTier, TokenKind};
use crate::text;
use crate::workflow::{
    Agent, Caching, Escalation, MAX_STEPS_PER_TRIAL, Mechanics, OnExhausted, Phase, Reasoning,
    Repeat, Step, When, WorkBound, Workflow,
};

/// Most attempts a loop may declare.
pub const MAX_LOOP_ATTEMPTS: i64 = 100_000;
/// Highest price accepted, in USD per million tokens (list prices are below 1,000).
pub const MAX_PRICE_PER_MTOK: f64 = 1e6;
/// Most iterations a `repeat` count may reach (checked by probing the distribution).
pub const MAX_REPEAT_COUNT: u64 = 100_000;
/// Most tokens one draw (an output, a tool result, a prompt) may reach: far above any context
/// window, low enough that sums never approach `u64::MAX`.
pub const MAX_TOKENS_PER_DRAW: u64 = 100_000_000;

/// Most sub-agent instances one `subagent` step may run.
pub const MAX_SUBAGENTS_PER_STEP: u64 = 1_000;
/// The usage phase compaction's summarising calls are billed under (when compaction is on).
pub const COMPACTION_PHASE: &str = "compaction";

/// Resolves a model name to its index, or a located error with a suggestion.
type ResolveModel<'a> = dyn Fn(&str, FieldPath) -> Result<usize, ScenarioError> + 'a;

/// Compiles a parsed file. `source` places errors in the text.
pub fn compile(
    file: &ScenarioFile,
    source: &Source,
    catalog: &PriceCatalog,
) -> Result<(Workflow, Vec<ModelPrices>), ScenarioError> {
    let root = FieldPath::default();
    let err = |path: FieldPath, message: String| source.error_at(path, message, None);

    if file.models.is_empty() {
        return Err(err(
            root.key("models"),
            "expected at least one model, found none".into(),
        ));
    }
    let model_names: Vec<String> = file.models.keys().cloned().collect();
    let caching = match file.agent.caching {
        CachingSpec::Prefix => Caching::Prefix,
        CachingSpec::Off => Caching::Off,
    };
    let mut prices = Vec::with_capacity(file.models.len());
    let mut models = Vec::with_capacity(file.models.len());
    for (name, spec) in &file.models {
        let path = root.key("models").key(name);
        prices.push(model_prices(spec, caching, &path, source, catalog)?);
        models.push(mechanics::model_mechanics(spec, &path, source)?);
    }

    let resolve_model =
        |name: &str, path: FieldPath| -> Result<usize, ScenarioError> {
            model_names.iter().position(|m| m == name).ok_or_else(|| {
                let help = did_you_mean(name, model_names.iter().map(String::as_str))
                    .map(|s| format!("did you mean `{s}`?"));
                source.error_at(
                path,
                format!(
                    "unknown model `{name}`: expected one of the models defined under [models]: {}",
                    model_names.iter().map(|m| format!("`{m}`")).collect::<Vec<_>>().join(", ")
                ),
                help,
            )
            })
        };
    let agent_path = root.key("agent");
    let default_model = match &file.agent.model {
        Some(name) => Some(resolve_model(name, agent_path.key("model"))?),
        None if model_names.len() == 1 => Some(0),
        None => None,
    };

    if file.phases.is_empty() {
        return Err(err(
            root.key("phases"),
            "expected at least one [[phases]] entry, found none".into(),
        ));
    }
    subagents::check_graph(file, source)?;
    let mut agents = Vec::new();
    let mut phases = Vec::new();
    let mut phase_names: Vec<String> = Vec::new();
    for (index, (name, path, phase_specs)) in subagents::agents(file).into_iter().enumerate() {
        let (system, task, model) = if index == 0 {
            (
                &file.agent.system_prompt,
                &file.agent.task_prompt,
                default_model,
            )
        } else {
            let w = &file.workflows[&name];
            if w.phases.is_empty() {
                return Err(err(
                    path.key("phases"),
                    "expected at least one [[workflows.NAME.phases]] entry, found none".into(),
                ));
            }
            let model = match &w.model {
                Some(m) => Some(resolve_model(m, path.key("model"))?),
                None => default_model,
            };
            (&w.system_prompt, &w.task_prompt, model)
        };
        let prompt_path = if index == 0 {
            agent_path.clone()
        } else {
            path.clone()
        };
        let system_prompt =
            count_sampler(system, &prompt_path.key("system_prompt"), source, TOKENS)?;
        let task_prompt = match task {
            Some(spec) => count_sampler(spec, &prompt_path.key("task_prompt"), source, TOKENS)?,
            None => Sampler::constant(0.0),
        };
        let first = phases.len();
        let mut own_names: Vec<&str> = Vec::new();
        for (i, ph) in phase_specs.iter().enumerate() {
            let ppath = path.key("phases").index(i);
            if ph.name.trim().is_empty() {
                return Err(err(
                    ppath.key("name"),
                    "expected a non-empty phase name, found \"\"".into(),
                ));
            }
            if own_names.contains(&ph.name.as_str()) {
                return Err(err(
                    ppath.key("name"),
                    format!(
                        "expected a unique phase name, found `{}` a second time",
                        ph.name
                    ),
                ));
            }
            if file.agent.compaction.is_some() && index == 0 && ph.name == COMPACTION_PHASE {
                return Err(err(
                    ppath.key("name"),
                    format!(
                        "expected a phase name other than `{COMPACTION_PHASE}` when compaction is on (its summarising calls are reported under that name), found `{COMPACTION_PHASE}`"
                    ),
                ));
            }
            own_names.push(&ph.name);
            phase_names.push(if index == 0 {
                ph.name.clone()
            } else {
                format!("{name}/{}", ph.name)
            });
            let context = PhaseContext {
                file,
                source,
                default_model: model,
                resolve_model: &resolve_model,
            };
            phases.push(compile_phase(ph, &ppath, &context)?);
        }
        agents.push(Agent {
            name,
            system_prompt,
            task_prompt,
            phases: first..phases.len(),
            system_correlated: None,
            task_correlated: None,
        });
    }
    if !phases
        .iter()
        .any(|p| p.steps.iter().any(|s| matches!(s, Step::Call { .. })))
    {
        return Err(err(
            root.key("phases"),
            "expected at least one `call` step, found only tool steps: nothing would be billed"
                .into(),
        ));
    }
    let compaction = mechanics::compaction(
        &file.agent,
        &mut models,
        phases.len(),
        &resolve_model,
        &agent_path,
        source,
    )?;
    if compaction.is_some() {
        phase_names.push(COMPACTION_PHASE.to_string());
    }

    let factors = factors::compile(file, source, &mut agents, &mut phases)?;
    let workflow = Workflow {
        model_names,
        phase_names,
        models,
        caching,
        prompt_tier_thresholds: prices.iter().map(ModelPrices::tier_thresholds).collect(),
        cache_ttl: mechanics::cache_ttl(file.agent.cache_ttl),
        compaction,
        call_failures: mechanics::call_failures(&file.agent, &agent_path, source)?,
        task_retry: mechanics::task_retry(&file.agent, &agent_path, source)?,
        limits: mechanics::limits(file.limits.as_ref(), &prices, source)?,
        agents,
        phases,
        factors,
        mechanics: Mechanics::On,
    }
    .detect_mechanics();
    Ok((workflow, prices))
}

/// What compiling a phase needs from around it.
struct PhaseContext<'a> {
    file: &'a ScenarioFile,
    source: &'a Source<'a>,
    default_model: Option<usize>,
    resolve_model: &'a ResolveModel<'a>,
}

fn compile_phase(
    ph: &PhaseSpec,
    path: &FieldPath,
    ctx: &PhaseContext,
) -> Result<Phase, ScenarioError> {
    let source = ctx.source;
    let resolve_model = ctx.resolve_model;
    let err = |path: FieldPath, message: String| source.error_at(path, message, None);
    let repeat = match (&ph.repeat, &ph.until_pass) {
        (Some(_), Some(_)) => {
            return Err(err(
                path.key("until_pass"),
                "expected either `repeat` or `until_pass`, found both".into(),
            ));
        }
        (Some(count), None) => Repeat::Times(count_sampler(
            count,
            &path.key("repeat"),
            source,
            ITERATIONS,
        )?),
        (None, None) => Repeat::Times(Sampler::constant(1.0)),
        (None, Some(u)) => {
            let upath = path.key("until_pass");
            if !(0.0..=1.0).contains(&u.p_pass) {
                return Err(err(
                    upath.key("p_pass"),
                    format!("expected a probability in [0, 1], found {}", u.p_pass),
                ));
            }
            let max_attempts = match u.max_attempts {
                None => {
                    return Err(source.error_at(
                        upath,
                        "expected `max_attempts`, found none: a loop must have a hard maximum"
                            .into(),
                        Some("add e.g. `max_attempts = 6` and `on_exhausted = \"fail\"`".into()),
                    ));
                }
                Some(n) if !(1..=MAX_LOOP_ATTEMPTS).contains(&n) => {
                    return Err(err(
                        upath.key("max_attempts"),
                        format!("expected an integer from 1 to {MAX_LOOP_ATTEMPTS}, found {n}"),
                    ));
                }
                Some(n) => n as u32,
            };
            let escalate = match &u.escalate {
                None => None,
                Some(e) => {
                    let epath = upath.key("escalate");
                    let after = if max_attempts < 2 {
                        return Err(err(
                            epath.key("after"),
                            format!(
                                "expected a loop of at least 2 attempts to escalate, found max_attempts = {max_attempts}"
                            ),
                        ));
                    } else {
                        mechanics::int_in(
                            e.after,
                            1,
                            max_attempts as i64 - 1,
                            epath.key("after"),
                            source,
                        )?
                    };
                    Some(Escalation {
                        after: after as u32,
                        model: resolve_model(&e.model, epath.key("model"))?,
                        p_pass: u.p_pass,
                        then: Vec::new(),
                    })
                }
            };
            Repeat::UntilPass {
                p_pass: u.p_pass,
                max_attempts,
                on_exhausted: match u.on_exhausted {
                    OnExhaustedSpec::Fail => OnExhausted::Fail,
                    OnExhaustedSpec::Continue => OnExhausted::Continue,
                },
                escalate,
            }
        }
    };
    if ph.steps.is_empty() {
        return Err(err(
            path.key("steps"),
            "expected at least one step, found none".into(),
        ));
    }
    let mut steps = Vec::with_capacity(ph.steps.len());
    for (j, st) in ph.steps.iter().enumerate() {
        let spath = path.key("steps").index(j);
        steps.push(match st {
            StepSpec::Call(c) => {
                let cpath = spath.key("call");
                let model = match (&c.model, ctx.default_model) {
                    (Some(name), _) => resolve_model(name, cpath.key("model"))?,
                    (None, Some(m)) => m,
                    (None, None) => {
                        return Err(source.error_at(
                            cpath,
                            "expected a `model` for this call, found none (there are several models and [agent] names no default)".into(),
                            Some("set `model = \"...\"` in [agent] or on the call".into()),
                        ));
                    }
                };
                let reasoning = match (&c.reasoning, c.reasoning_budget) {
                    (Some(r), budget) => Some(Box::new(Reasoning {
                        tokens: count_sampler(r, &cpath.key("reasoning"), source, TOKENS)?,
                        budget: mechanics::reasoning_budget(budget, cpath.key("reasoning_budget"), source)?,
                    })),
                    (None, Some(_)) => {
                        return Err(err(
                            cpath.key("reasoning_budget"),
                            "expected `reasoning` tokens alongside `reasoning_budget`, found a budget alone".into(),
                        ));
                    }
                    (None, None) => None,
                };
                let difficulty = factors::exponent(c.difficulty, cpath.key("difficulty"), ctx.file, source)?;
                Step::Call { model, output: count_sampler(&c.output, &cpath.key("output"), source, TOKENS)?, reasoning, difficulty }
            }
            StepSpec::Tool(t) => {
                let tpath = spath.key("tool");
                let tokens = count_sampler(&t.tokens, &tpath.key("tokens"), source, TOKENS)?;
                let duration_s = match &t.duration_s {
                    Some(d) => Some(Box::new(mechanics::duration_sampler(d, &tpath.key("duration_s"), source)?)),
                    None => None,
                };
                let difficulty = factors::exponent(t.difficulty, tpath.key("difficulty"), ctx.file, source)?;
                Step::Tool { tokens, duration_s, difficulty }
            }
            StepSpec::Subagent(s) => {
                let sub = spath.key("subagent");
                let agent = subagents::resolve(ctx.file, &s.workflow, sub.key("workflow"), source)?;
                let count = match &s.count {
                    Some(c) => count_sampler(c, &sub.key("count"), source, SUBAGENTS)?,
                    None => Sampler::constant(1.0),
                };
                Step::SubAgent { agent, count }
            }
        });
    }
    let when = match ph.when {
        WhenSpec::Always => When::Always,
        WhenSpec::OnSuccess => When::OnSuccess,
        WhenSpec::OnFailure => When::OnFailure,
    };
    let difficulty = factors::exponent(ph.difficulty, path.key("difficulty"), ctx.file, source)?;
    if difficulty != 0.0 && ph.repeat.is_none() && ph.until_pass.is_none() {
        return Err(source.error_at(
            path.key("difficulty"),
            "expected `repeat` or `until_pass` on a phase with a difficulty exponent (it scales the repeat count or the pass probability), found neither".into(),
            Some("put the exponent on the phase's steps (`call`, `tool`) instead".into()),
        ));
    }
    Ok(Phase {
        when,
        repeat,
        steps,
        difficulty,
        correlated: None,
    })
}

/// The work bound of a compiled task; rejects a task whose average steps per trial pass
/// [`MAX_STEPS_PER_TRIAL`], at the main agent's phase that takes the most (its `repeat`, when
/// it has one).
pub(crate) fn check_work(
    workflow: &Workflow,
    file: &ScenarioFile,
    source: &Source,
) -> Result<WorkBound, ScenarioError> {
    let bound = workflow.work_bound();
    if bound.steps <= MAX_STEPS_PER_TRIAL {
        return Ok(bound);
    }
    let per_phase = workflow.phase_steps();
    let heaviest = (0..per_phase.len())
        .max_by(|&a, &b| per_phase[a].total_cmp(&per_phase[b]))
        .unwrap_or(0);
    let spec = &file.phases[heaviest];
    let path = FieldPath::default().key("phases").index(heaviest);
    let path = if spec.repeat.is_some() {
        path.key("repeat")
    } else if spec.until_pass.is_some() {
        path.key("until_pass")
    } else {
        path
    };
    Err(source.error_at(
        path,
        format!(
            "expected at most {} steps per task on average (calls, failed attempts, tool results, sub-agent starts), found about {}, of which phase `{}` takes about {}",
            text::thousands(MAX_STEPS_PER_TRIAL),
            text::about(bound.steps),
            spec.name,
            text::about(per_phase[heaviest]),
        ),
        Some("lower its repeat counts, loop attempts or sub-agent counts (a task of a million steps runs about 25 trials a second on one core)".into()),
    ))
}

fn model_prices(
    spec: &ModelSpec,
    caching: Caching,
    path: &FieldPath,
    source: &Source,
    catalog: &PriceCatalog,
) -> Result<ModelPrices, ScenarioError> {
    let entry = match &spec.catalog {
        None => None,
        Some(name) => Some(catalog.get(name).ok_or_else(|| {
            let help = did_you_mean(name, catalog.names()).map(|s| format!("did you mean `{s}`?"));
            source.error_at(
                path.key("catalog"),
                format!(
                    "unknown catalog model `{name}`: expected one of the models `tokencast prices` lists"
                ),
                help,
            )
        })?),
    };
    let base = entry.map(|e| e.rates.clone()).unwrap_or_default();
    let pick = |inline: Option<f64>, kind: TokenKind| inline.or(base.get(kind));
    let rates = RatesSpec {
        input: pick(spec.input, TokenKind::Input),
        output: pick(spec.output, TokenKind::Output),
        cache_write: pick(spec.cache_write, TokenKind::CacheWrite),
        cache_write_1h: pick(spec.cache_write_1h, TokenKind::CacheWrite1h),
        cache_read: pick(spec.cache_read, TokenKind::CacheRead),
        reasoning: spec.reasoning.or(base.reasoning),
        catalog: spec.catalog.as_deref(),
    };
    let mut prices = compile_rates(&rates, caching, path, source)?;
    let mut previous: Option<i64> = None;
    for (i, tier) in spec.tiers.iter().enumerate() {
        let tier_path = path.key("tiers").index(i);
        let floor = previous.unwrap_or(0);
        if tier.above <= floor {
            let expected = match previous {
                Some(p) => format!("a threshold above the previous tier's {p}"),
                None => "a positive number of prompt tokens".to_string(),
            };
            return Err(source.error_at(
                tier_path.key("above"),
                format!("expected {expected}, found {}", tier.above),
                Some("list tiers in ascending order of `above`".into()),
            ));
        }
        previous = Some(tier.above);
        let rates = RatesSpec {
            input: Some(tier.input),
            output: Some(tier.output),
            cache_write: tier.cache_write,
            cache_write_1h: tier.cache_write_1h,
            cache_read: tier.cache_read,
            reasoning: tier.reasoning,
            catalog: None,
        };
        let tier_prices = compile_rates(&rates, caching, &tier_path, source)?;
        prices.tiers.push(PromptTier {
            above_prompt_tokens: tier.above as u64,
            per_mtok: tier_prices.per_mtok,
        });
    }
    if let Some(entry) = entry {
        if spec.tiers.is_empty() {
            // Kinds a catalog tier does not state are billed at the model's base rate.
            for t in &entry.tiers {
                let per_mtok = std::array::from_fn(|k| {
                    t.rates.get(TokenKind::ALL[k]).unwrap_or(prices.per_mtok[k])
                });
                prices.tiers.push(PromptTier {
                    above_prompt_tokens: t.above,
                    per_mtok,
                });
            }
        }
        if let Some(b) = &entry.batch {
            prices.batch_per_mtok = Some(std::array::from_fn(|k| {
                b.get(TokenKind::ALL[k]).unwrap_or(prices.per_mtok[k])
            }));
        }
    }
    if let Some(b) = &spec.batch {
        let mut batch = prices.batch_per_mtok.unwrap_or(prices.per_mtok);
        let inline = [
            (TokenKind::Input, b.input, "input"),
            (TokenKind::Output, b.output, "output"),
            (TokenKind::CacheWrite, b.cache_write, "cache_write"),
            (TokenKind::CacheWrite1h, b.cache_write_1h, "cache_write_1h"),
            (TokenKind::CacheRead, b.cache_read, "cache_read"),
            (TokenKind::Reasoning, b.reasoning, "reasoning"),
        ];
        for (kind, v, key) in inline {
            if let Some(v) = v {
                batch[kind.index()] = check_price(&path.key("batch"), key, v, source)?;
            }
        }
        prices.batch_per_mtok = Some(batch);
    }
    Ok(prices)
}

fn check_price(path: &FieldPath, key: &str, v: f64, source: &Source) -> Result<f64, ScenarioError> {
    if v.is_finite() && (0.0..=MAX_PRICE_PER_MTOK).contains(&v) {
        Ok(v)
    } else {
        Err(source.error_at(
            path.key(key),
            format!(
                "expected a price from 0 to {MAX_PRICE_PER_MTOK} USD per million tokens, found {}",
                number(v)
            ),
            None,
        ))
    }
}

/// One set of rates as written, in USD per million tokens.
struct RatesSpec<'a> {
    input: Option<f64>,
    output: Option<f64>,
    cache_write: Option<f64>,
    cache_write_1h: Option<f64>,
    cache_read: Option<f64>,
    reasoning: Option<f64>,
    /// The catalog entry the rates started from (named in messages about missing rates).
    catalog: Option<&'a str>,
}

fn compile_rates(
    spec: &RatesSpec,
    caching: Caching,
    path: &FieldPath,
    source: &Source,
) -> Result<ModelPrices, ScenarioError> {
    let check = |key: &str, v: f64| check_price(path, key, v, source);
    let from = match spec.catalog {
        Some(name) => format!(" (catalog model `{name}` states none)"),
        None => String::new(),
    };
    let required = |key: &str, v: Option<f64>| -> Result<f64, ScenarioError> {
        match v {
            Some(v) => check(key, v),
            None => Err(source.error_at(
                path.clone(),
                format!("expected an `{key}` price (USD per million tokens){from}, found none"),
                Some(format!("add `{key} = ...` or `catalog = \"MODEL\"`")),
            )),
        }
    };
    let needed = |key: &str, v: Option<f64>| -> Result<f64, ScenarioError> {
        match (v, caching) {
            (Some(v), _) => check(key, v),
            (None, Caching::Off) => Ok(0.0),
            (None, Caching::Prefix) => Err(source.error_at(
                path.clone(),
                format!("expected a `{key}` price (USD per million tokens) because [agent] caching is \"prefix\"{from}, found none"),
                Some(format!("add `{key} = ...`, or set `caching = \"off\"` in [agent]")),
            )),
        }
    };
    let mut prices = ModelPrices::new(
        required("input", spec.input)?,
        required("output", spec.output)?,
        needed("cache_write", spec.cache_write)?,
        needed("cache_read", spec.cache_read)?,
    );
    if let Some(v) = spec.cache_write_1h {
        prices.set_rate(TokenKind::CacheWrite1h, check("cache_write_1h", v)?);
    }
    if let Some(v) = spec.reasoning {
        prices.set_rate(TokenKind::Reasoning, check("reasoning", v)?);
    }
    Ok(prices)
}

/// What a count distribution counts, and the most one draw may reach.
#[derive(Debug, Clone, Copy)]
pub(crate) struct CountKind {
    /// Plural noun for messages ("tokens", "iterations").
    what: &'static str,
    /// Largest value one draw may reach.
    max: u64,
}

/// Token counts: at most [`MAX_TOKENS_PER_DRAW`] per draw.
pub(crate) const TOKENS: CountKind = CountKind {
    what: "tokens",
    max: MAX_TOKENS_PER_DRAW,
};
/// Sub-agent instances per step: at most [`MAX_SUBAGENTS_PER_STEP`].
const SUBAGENTS: CountKind = CountKind {
    what: "sub-agents",
    max: MAX_SUBAGENTS_PER_STEP,
};
/// Repeat counts: at most [`MAX_REPEAT_COUNT`].
const ITERATIONS: CountKind = CountKind {
    what: "iterations",
    max: MAX_REPEAT_COUNT,
};

/// Compiles a count distribution, placing its errors under `path`, then probes it with 4,096
/// draws from a fixed stream: a distribution that draws negative counts (without an explicit
/// `min`), non-finite values, or more than `kind.max` is rejected before any trial runs. Draws
/// beyond `kind.max` in the far tail, which a probe cannot see, are capped at `kind.max`.
pub(crate) fn count_sampler(
    spec: &DistSpec,
    path: &FieldPath,
    source: &Source,
    kind: CountKind,
) -> Result<Sampler, ScenarioError> {
    let s = Sampler::compile(spec)
        .map_err(|e| source.error_at(path.dotted(&e.field), e.message, None))?;
    let mut rng = Xoshiro256PlusPlus::seed_from_u64(0x5eed);
    let (mut lo, mut hi) = (f64::INFINITY, f64::NEG_INFINITY);
    for _ in 0..4096 {
        let x = s.sample_raw(&mut rng);
        lo = lo.min(x);
        hi = hi.max(x);
    }
    let mut rng = Xoshiro256PlusPlus::seed_from_u64(0x5eed);
    let reach = (0..4096)
        .map(|_| s.sample_count(&mut rng))
        .max()
        .unwrap_or(0);
    let what = kind.what;
    if spec.min.is_none() && lo < -0.5 {
        return Err(source.error_at(
            path.clone(),
            format!(
                "expected a count of {what} of at least 0, found a distribution that draws {lo}"
            ),
            Some("shift the distribution, or add `min = 0` to clamp negative draws to 0".into()),
        ));
    }
    if !hi.is_finite() || reach > kind.max {
        let found = if reach <= MAX_TOKENS_PER_DRAW.max(MAX_REPEAT_COUNT) {
            reach.to_string()
        } else {
            format!("{hi:e}")
        };
        return Err(source.error_at(
            path.clone(),
            format!(
                "expected at most {} {what} per draw, found a distribution that reaches {found}",
                kind.max
            ),
            Some("add `max = ...` to cap the draws, or check the parameters' units".into()),
        ));
    }
    // The probe catches wrong units; the cap makes the limit hold for every draw at run time,
    // however far the tail reaches.
    Ok(s.cap_counts(kind.max))
}
