//! The agent-loop template fitted to per-task totals: its parameters, the scenario text it
//! writes, and a simulator of it (its "twin") fast enough to sit inside a simulated-moments
//! fit.
//!
//! The template is a SWE-bench-style loop (scenarios/swe-bench-sonnet.toml has the same
//! shape): a fixed system prompt and a task prompt; an exploration phase of turns (a call and
//! an observation) whose count is log-normal and scales with the task's difficulty `D`; a fix
//! loop of the same turns until the agent's own tests pass, each attempt passing with
//! `p^(D²)`; a final call; and the hidden tests, passed with `r^(D^k)`, so that hard tasks are
//! both longer and less often resolved. Every prompt token is billed at the input rate
//! (caching off: per-task costs cannot tell cached from uncached tokens).
//!
//! The twin draws what the engine draws for such a scenario, in law (not draw for draw): the
//! same roundings (half up, then the difficulty's rescaling rounded again), the same caps
//! (checked before each call), the same outcome. Its random numbers are common to every
//! parameter value (one stream per purpose and task), so the fit's objective is a
//! deterministic function of the parameters. A test checks its moments against the engine's
//! on the written scenario.

use std::fmt::Write;

use rand::RngExt;

use crate::dist::standard_normal;
use crate::engine::trial_rng;

/// Tokens of the fixed system prompt (assumed, not identified).
pub const SYSTEM_PROMPT: f64 = 2000.0;
/// Median tokens of the task prompt (assumed, not identified).
pub const TASK_PROMPT_MEDIAN: f64 = 800.0;
/// σ of the task prompt's log.
pub const TASK_PROMPT_SIGMA: f64 = 0.5;
/// σ of the log of the exploration turn count.
pub const TURNS_SIGMA: f64 = 0.3;
/// σ of the log of a call's output.
pub const OUTPUT_SIGMA: f64 = 0.5;
/// σ of the log of an observation.
pub const OBSERVATION_SIGMA: f64 = 1.0;
/// The fix loop's difficulty exponent: an attempt passes with `p^(D^FIX_LINK)`.
pub const FIX_LINK: f64 = 2.0;
/// The fix loop's most attempts (then the agent submits what it has).
pub const FIX_MAX_ATTEMPTS: u64 = 50;

/// The largest difficulty exponent a scenario takes (the hidden tests' is fitted within
/// `(0, MAX_LINK)`).
pub const MAX_LINK: f64 = 4.0;

/// The observations' difficulty exponent is fitted within `(-OBSERVATION_LINK_MAX,
/// OBSERVATION_LINK_MAX)`.
pub const OBSERVATION_LINK_MAX: f64 = 2.0;

/// The template's parameters.
#[derive(Debug, Clone, Copy, PartialEq, serde::Serialize)]
pub struct LoopParams {
    /// Median exploration turns of a task of difficulty 1.
    pub explore_turns: f64,
    /// σ of ln D (the difficulty spread).
    pub spread: f64,
    /// Pass probability of a fix attempt at difficulty 1.
    pub fix_pass: f64,
    /// Median output tokens of a call.
    pub output: f64,
    /// Median tokens of an observation (a tool result).
    pub observation: f64,
    /// Probability that the hidden tests pass at difficulty 1.
    pub resolve: f64,
    /// Difficulty exponent of the hidden tests.
    pub resolve_link: f64,
    /// Difficulty exponent of the observations: an observation is `× D^k`, so with `k < 0`
    /// the long (hard) tasks read less per turn and cost grows more slowly with calls.
    pub observation_link: f64,
}

/// Names of the parameters for people, in [`LoopParams::to_vec`] order.
pub const PARAM_NAMES: [&str; 8] = [
    "median exploration turns",
    "difficulty spread",
    "fix attempt pass probability",
    "median output tokens per call",
    "median observation tokens",
    "hidden-test pass probability",
    "hidden-test difficulty exponent",
    "observation difficulty exponent",
];

impl LoopParams {
    /// The parameters in order.
    pub fn to_vec(self) -> [f64; 8] {
        [
            self.explore_turns,
            self.spread,
            self.fix_pass,
            self.output,
            self.observation,
            self.resolve,
            self.resolve_link,
            self.observation_link,
        ]
    }

    /// From the parameters in order.
    pub fn from_slice(v: &[f64]) -> LoopParams {
        LoopParams {
            explore_turns: v[0],
            spread: v[1],
            fix_pass: v[2],
            output: v[3],
            observation: v[4],
            resolve: v[5],
            resolve_link: v[6],
            observation_link: v[7],
        }
    }

    /// The fit's coordinates: logs of the positive parameters, logits of the probabilities
    /// and of the hidden tests' exponent over [`MAX_LINK`].
    pub fn to_fit(self) -> [f64; 8] {
        let logit = |p: f64| (p / (1.0 - p)).ln();
        let v = self.to_vec();
        [
            v[0].ln(),
            v[1].ln(),
            logit(v[2]),
            v[3].ln(),
            v[4].ln(),
            logit(v[5]),
            logit(v[6] / MAX_LINK),
            logit((v[7] / OBSERVATION_LINK_MAX + 1.0) / 2.0),
        ]
    }

    /// From the fit's coordinates.
    pub fn from_fit(t: &[f64]) -> LoopParams {
        let inv = |x: f64| 1.0 / (1.0 + (-x).exp());
        LoopParams {
            explore_turns: t[0].exp(),
            spread: t[1].exp(),
            fix_pass: inv(t[2]),
            output: t[3].exp(),
            observation: t[4].exp(),
            resolve: inv(t[5]),
            resolve_link: MAX_LINK * inv(t[6]),
            observation_link: OBSERVATION_LINK_MAX * (2.0 * inv(t[7]) - 1.0),
        }
    }

    /// d(parameter)/d(fit coordinate) at `self`, for the delta method.
    pub fn jacobian(self) -> [f64; 8] {
        let v = self.to_vec();
        [
            v[0],
            v[1],
            v[2] * (1.0 - v[2]),
            v[3],
            v[4],
            v[5] * (1.0 - v[5]),
            v[6] * (1.0 - v[6] / MAX_LINK),
            (OBSERVATION_LINK_MAX + v[7]) * (OBSERVATION_LINK_MAX - v[7])
                / (2.0 * OBSERVATION_LINK_MAX),
        ]
    }
}

/// Per-task caps (`[limits]`).
#[derive(Debug, Clone, Copy, Default, PartialEq, serde::Serialize)]
pub struct Caps {
    /// Most calls per task.
    pub max_calls: Option<u64>,
    /// Most spend per task, USD.
    pub max_cost_usd: Option<f64>,
}

/// One simulated task.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct TwinTask {
    /// Cost, USD.
    pub cost: f64,
    /// Calls.
    pub calls: u64,
    /// Whether the hidden tests passed (a task a cap stopped fails).
    pub success: bool,
    /// Prompt tokens summed over the calls.
    pub prompt: f64,
    /// Output tokens summed over the calls.
    pub output: f64,
}

/// Rounds half up and clamps to `[0, hi]`, as the engine's counts and token draws are.
fn round(x: f64, hi: f64) -> f64 {
    (x + 0.5).floor().clamp(0.0, hi)
}

const TOKENS: f64 = crate::scenario::MAX_TOKENS_PER_DRAW as f64;
const REPEATS: f64 = crate::scenario::MAX_REPEAT_COUNT as f64;

/// The twin's random numbers, drawn once and shared by every parameter value (common random
/// numbers): per task the difficulty's normal, the turn count's and the task prompt's
/// log-normal factors, the outcome's uniform, and per call the output's and the observation's
/// log-normal factors (`exp(σ z)`) and per fix attempt its uniform. One stream per purpose, so
/// the k-th draw of each is the same whatever θ makes of the others.
#[derive(Debug, Clone)]
pub struct Draws {
    tasks: usize,
    per_call: usize,
    z_difficulty: Vec<f64>,
    turns: Vec<f64>,
    prompt: Vec<f64>,
    u_resolve: Vec<f64>,
    output: Vec<f32>,
    observation: Vec<f32>,
    fix: Vec<f32>,
}

impl Draws {
    /// Draws for `tasks` tasks of at most `per_call` calls each (a task that makes more reuses
    /// its draws cyclically), from `seed`.
    pub fn new(seed: u64, tasks: usize, per_call: usize) -> Draws {
        let per_call = per_call.max(1);
        let mut d = Draws {
            tasks,
            per_call,
            z_difficulty: Vec::with_capacity(tasks),
            turns: Vec::with_capacity(tasks),
            prompt: Vec::with_capacity(tasks),
            u_resolve: Vec::with_capacity(tasks),
            output: Vec::with_capacity(tasks * per_call),
            observation: Vec::with_capacity(tasks * per_call),
            fix: Vec::with_capacity(tasks * FIX_MAX_ATTEMPTS as usize),
        };
        for i in 0..tasks as u64 {
            let mut base = trial_rng(seed, i);
            let mut outputs = trial_rng(seed ^ 0x3c6e_f372_fe94_f82b, i);
            let mut observations = trial_rng(seed ^ 0xa54f_f53a_5f1d_36f1, i);
            let mut passes = trial_rng(seed ^ 0x510e_527f_ade6_82d1, i);
            d.z_difficulty.push(standard_normal(&mut base));
            d.turns
                .push((TURNS_SIGMA * standard_normal(&mut base)).exp());
            d.prompt
                .push((TASK_PROMPT_SIGMA * standard_normal(&mut base)).exp() * TASK_PROMPT_MEDIAN);
            d.u_resolve.push(base.random());
            for _ in 0..per_call {
                d.output
                    .push((OUTPUT_SIGMA * standard_normal(&mut outputs)).exp() as f32);
                d.observation
                    .push((OBSERVATION_SIGMA * standard_normal(&mut observations)).exp() as f32);
            }
            for _ in 0..FIX_MAX_ATTEMPTS {
                d.fix.push(passes.random::<f32>());
            }
        }
        d
    }

    /// Tasks drawn for.
    pub fn tasks(&self) -> usize {
        self.tasks
    }
}

/// The twin: `tasks` simulated tasks under `p`, with prices in USD per million tokens
/// (`input`, `output`), on the random numbers of `seed`.
pub fn simulate(
    p: &LoopParams,
    caps: &Caps,
    prices: (f64, f64),
    seed: u64,
    tasks: usize,
) -> Vec<TwinTask> {
    let bound = caps.max_calls.map_or(400, |c| c.min(100_000) as usize);
    simulate_with(&Draws::new(seed, tasks, bound), p, caps, prices)
}

/// The twin on drawn random numbers.
pub fn simulate_with(d: &Draws, p: &LoopParams, caps: &Caps, prices: (f64, f64)) -> Vec<TwinTask> {
    (0..d.tasks)
        .map(|i| simulate_task(d, i, p, caps, prices))
        .collect()
}

fn simulate_task(d: &Draws, i: usize, p: &LoopParams, caps: &Caps, prices: (f64, f64)) -> TwinTask {
    let ln_d = p.spread * d.z_difficulty[i] - p.spread * p.spread / 2.0;
    let diff = ln_d.exp();
    let obs_scale = (p.observation_link * ln_d).exp();
    let max_calls = caps.max_calls.unwrap_or(u64::MAX);
    let max_cost = caps.max_cost_usd.unwrap_or(f64::INFINITY);
    let outputs = &d.output[i * d.per_call..(i + 1) * d.per_call];
    let observations = &d.observation[i * d.per_call..(i + 1) * d.per_call];
    let fix = &d.fix[i * FIX_MAX_ATTEMPTS as usize..(i + 1) * FIX_MAX_ATTEMPTS as usize];
    let (in_rate, out_rate) = (prices.0 / 1e6, prices.1 / 1e6);
    let mut context = SYSTEM_PROMPT + round(d.prompt[i], TOKENS);
    let (mut cost, mut calls, mut turn, mut stopped) = (0.0, 0u64, 0usize, false);
    let (mut prompt, mut output) = (0.0, 0.0);
    // One turn (a call, then an observation unless `last`); false when a cap stops the task
    // before the call.
    let mut step = |context: &mut f64, cost: &mut f64, calls: &mut u64, last: bool| -> bool {
        if *calls >= max_calls || *cost >= max_cost {
            return false;
        }
        let k = *calls as usize % d.per_call;
        let out = round(p.output * outputs[k] as f64, TOKENS);
        *cost += *context * in_rate + out * out_rate;
        prompt += *context;
        output += out;
        *calls += 1;
        *context += out;
        if !last {
            let drawn = round(
                p.observation * observations[turn % d.per_call] as f64,
                TOKENS,
            );
            *context += if p.observation_link == 0.0 {
                drawn
            } else {
                round(drawn * obs_scale, TOKENS)
            };
            turn += 1;
        }
        true
    };
    let turns = round(round(p.explore_turns * d.turns[i], REPEATS) * diff, REPEATS) as u64;
    for _ in 0..turns {
        if !step(&mut context, &mut cost, &mut calls, false) {
            stopped = true;
            break;
        }
    }
    if !stopped {
        let pass = (diff.powf(FIX_LINK) * p.fix_pass.ln()).exp();
        for u in fix {
            if !step(&mut context, &mut cost, &mut calls, false) {
                stopped = true;
                break;
            }
            if (*u as f64) < pass {
                break;
            }
        }
    }
    if !stopped && !step(&mut context, &mut cost, &mut calls, true) {
        stopped = true;
    }
    let resolve = if p.resolve >= 1.0 {
        1.0
    } else {
        (diff.powf(p.resolve_link) * p.resolve.ln()).exp()
    };
    TwinTask {
        cost,
        calls,
        success: !stopped && d.u_resolve[i] < resolve,
        prompt,
        output,
    }
}

/// An estimate with its standard error and what identifies it.
#[derive(Debug, Clone, PartialEq, serde::Serialize)]
pub struct Estimate {
    /// The parameter, for people.
    pub name: String,
    /// The value.
    pub value: f64,
    /// Its standard error (`None`: fixed, not fitted; infinite: not identified).
    pub se: Option<f64>,
    /// What it came from.
    pub from: String,
}

/// What the scenario's header states.
#[derive(Debug, Clone)]
pub struct LoopText<'a> {
    /// Scenario name.
    pub name: &'a str,
    /// Provenance lines (files, held-out tasks), each written as a comment.
    pub header: &'a [String],
    /// The model's name.
    pub model: &'a str,
    /// Its input and output prices, USD per million tokens.
    pub prices: (f64, f64),
    /// Where the prices came from.
    pub price_origin: &'a str,
    /// The estimates.
    pub estimates: &'a [Estimate],
    /// The moments: (name, data, its SE, fitted).
    pub moments: &'a [(String, f64, f64, f64)],
    /// The caps.
    pub caps: Caps,
    /// Where the caps came from.
    pub caps_origin: &'a str,
    /// Tasks fitted.
    pub tasks: usize,
}

fn quote(s: &str) -> String {
    serde_json::to_string(s).expect("a string always serialises")
}

/// The scenario text of the template at `p`.
pub fn scenario_text(p: &LoopParams, t: &LoopText) -> String {
    let n = super::writer::number;
    let mut out = String::new();
    for line in t.header {
        let _ = writeln!(out, "# {line}");
    }
    out.push_str(
        "#\n# Fitted by simulated moments to per-task totals (cost, and calls and outcomes where\n\
         # given): an agent loop (exploration turns, a fix loop until its own tests pass, a final\n\
         # call, the hidden tests) with one latent difficulty per task. Each estimate below is\n\
         # ± its standard error (sandwich formula over a bootstrap of the data moments); \"fixed\"\n\
         # marks a value the data cannot identify, assumed. Costs alone cannot split prompt from\n\
         # output tokens or cached from uncached ones: every prompt token is billed at the input\n\
         # rate, so the token counts are input-rate equivalents; the costs are what was fitted.\n#\n",
    );
    for e in t.estimates {
        match e.se {
            Some(se) if se.is_finite() => {
                let _ = writeln!(out, "# {}: {} ± {} ({})", e.name, n(e.value), n(se), e.from);
            }
            Some(_) => {
                let _ = writeln!(
                    out,
                    "# {}: {} (not identified: no standard error; {})",
                    e.name,
                    n(e.value),
                    e.from
                );
            }
            None => {
                let _ = writeln!(out, "# {}: {} fixed ({})", e.name, n(e.value), e.from);
            }
        }
    }
    out.push_str("#\n# Moments (data ± SE, then the fitted scenario's):\n");
    for (name, data, se, fitted) in t.moments {
        let _ = writeln!(
            out,
            "#   {name}: {} ± {}, fitted {}",
            n(*data),
            n(*se),
            n(*fitted)
        );
    }
    out.push('\n');
    let _ = writeln!(
        out,
        "[scenario]\nname = {}\ndescription = {}\ntrials = 100000\nseed = 1\n",
        quote(t.name),
        quote(&format!(
            "An agent loop fitted to the totals of {} tasks by tokencast calibrate (simulated moments).",
            t.tasks
        ))
    );
    let _ = writeln!(out, "[models.{}]", quote(t.model));
    let _ = writeln!(out, "# USD per million tokens, {}.", t.price_origin);
    let _ = writeln!(
        out,
        "input = {}\noutput = {}\n",
        n(t.prices.0),
        n(t.prices.1)
    );
    let _ = writeln!(
        out,
        "# The latent difficulty of a task: D = exp(spread Z - spread^2/2), mean 1.\n[difficulty]\nspread = {}\n",
        n(p.spread)
    );
    if t.caps.max_calls.is_some() || t.caps.max_cost_usd.is_some() {
        let _ = writeln!(
            out,
            "# Per-task caps, {}: a task stops before a call at either (and fails).\n[limits]",
            t.caps_origin
        );
        if let Some(c) = t.caps.max_calls {
            let _ = writeln!(out, "max_calls = {c}");
        }
        if let Some(c) = t.caps.max_cost_usd {
            let _ = writeln!(out, "max_cost_usd = {}", n(c));
        }
        out.push('\n');
    }
    let call = format!(
        "{{ call = {{ output = {{ lognormal = {{ median = {}, sigma = {OUTPUT_SIGMA} }} }} }} }}",
        n(p.output)
    );
    let link = if p.observation_link == 0.0 {
        String::new()
    } else {
        format!(", difficulty = {}", n(p.observation_link))
    };
    let observe = format!(
        "{{ tool = {{ name = \"observation\", tokens = {{ lognormal = {{ median = {}, sigma = {OBSERVATION_SIGMA} }} }}{link} }} }}",
        n(p.observation)
    );
    let _ = writeln!(
        out,
        "[agent]\nmodel = {}\ncaching = \"off\"\nsystem_prompt = {SYSTEM_PROMPT}\ntask_prompt = {{ lognormal = {{ median = {TASK_PROMPT_MEDIAN}, sigma = {TASK_PROMPT_SIGMA} }} }}\n",
        quote(t.model)
    );
    let _ = writeln!(
        out,
        "[[phases]]\nname = \"explore\"\ndifficulty = 1.0   # turns x D\nrepeat = {{ lognormal = {{ median = {}, sigma = {TURNS_SIGMA} }} }}\nsteps = [\n  {call},\n  {observe},\n]\n",
        n(p.explore_turns)
    );
    let _ = writeln!(
        out,
        "[[phases]]\nname = \"fix\"\ndifficulty = {FIX_LINK}   # an attempt passes with p_pass^(D^{FIX_LINK})\nuntil_pass = {{ p_pass = {}, max_attempts = {FIX_MAX_ATTEMPTS}, on_exhausted = \"continue\" }}\nsteps = [\n  {call},\n  {observe},\n]\n",
        n(p.fix_pass)
    );
    let _ = writeln!(out, "[[phases]]\nname = \"finish\"\nsteps = [{call}]\n");
    if p.resolve < 1.0 {
        let _ = writeln!(
            out,
            "[[phases]]\nname = \"hidden_tests\"\ndifficulty = {}   # resolved with p_pass^(D^k): hard tasks fail more often\nuntil_pass = {{ p_pass = {}, max_attempts = 1, on_exhausted = \"fail\" }}\nsteps = [{{ tool = {{ name = \"evaluation\", tokens = 0 }} }}]",
            n(p.resolve_link),
            n(p.resolve)
        );
    } else {
        out.push_str("# Every task with a stated outcome succeeded: no failure is modelled.\n");
    }
    out
}
