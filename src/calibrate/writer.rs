//! Writes a fitted model as a commented scenario file in the format `tokencast run` reads
//! (docs/guide/scenarios.md). The text is loaded back by the caller before it is written out,
//! so a file that would not run is never produced.

use std::collections::BTreeMap;
use std::fmt::Write;

use super::fit::{CallLevelFit, Quantity, Rate, TaskLevelFit};
use super::prices::{PriceOrigin, Prices};
use crate::stats::fit::Fitted;

/// A model's prices and where they came from.
#[derive(Debug, Clone, PartialEq, serde::Serialize)]
pub struct PricedModel {
    /// USD per million tokens.
    pub prices: Prices,
    /// Their origin.
    pub origin: PriceOrigin,
}

/// What the header of the file says about the data.
#[derive(Debug, Clone)]
pub struct Provenance {
    /// Scenario name.
    pub name: String,
    /// The log files.
    pub files: Vec<String>,
    /// Tasks held out of the fit (for the back-test).
    pub held_out: usize,
    /// Held-out share asked for.
    pub holdout_share: f64,
}

/// A number with 6 significant digits, as TOML reads it.
pub fn number(x: f64) -> String {
    if x == 0.0 || !x.is_finite() {
        return "0".into();
    }
    if x.abs() >= 1e15 {
        // Beyond TOML's integers (and exact doubles): 6 significant digits in exponent form.
        return format!("{x:.5e}");
    }
    let digits = (5 - x.abs().log10().floor() as i32).max(0) as usize;
    let s = format!("{x:.digits$}");
    if s.contains('.') {
        let t = s.trim_end_matches('0').trim_end_matches('.');
        t.to_string()
    } else {
        s
    }
}

fn quote(s: &str) -> String {
    serde_json::to_string(s).expect("a string always serialises")
}

/// One token draw's limit in a scenario.
const TOKENS: u64 = crate::scenario::MAX_TOKENS_PER_DRAW;
/// One repeat count's limit in a scenario.
const REPEATS: u64 = crate::scenario::MAX_REPEAT_COUNT;

/// The scenario spec of a fitted family (counts and tokens are rounded by the simulator).
pub fn dist(fitted: &Fitted) -> String {
    match *fitted {
        Fitted::Fixed { value } => number(value.round()),
        Fitted::Lognormal { mu, sigma } => format!(
            "{{ lognormal = {{ median = {}, sigma = {} }} }}",
            number(mu.exp()),
            number(sigma)
        ),
        Fitted::Gamma { shape, scale } => format!(
            "{{ gamma = {{ shape = {}, scale = {} }} }}",
            number(shape),
            number(scale)
        ),
        Fitted::Poisson { mean } => format!("{{ poisson = {{ mean = {} }} }}", number(mean)),
        Fitted::Geometric { p } => format!("{{ geometric = {{ p = {} }} }}", number(p)),
        Fitted::NegativeBinomial { mean, dispersion } => format!(
            "{{ negative_binomial = {{ mean = {}, dispersion = {} }} }}",
            number(mean),
            number(dispersion)
        ),
    }
}

/// [`dist`] with `max = cap` when the fitted distribution's far tail (well beyond what the
/// scenario loader's 4,096-draw probe can reach) passes `cap`, the limit of one draw of its
/// kind: a fit to very spread-out logs still writes a scenario that loads.
pub fn dist_within(fitted: &Fitted, cap: u64) -> String {
    let text = dist(fitted);
    if !passes(fitted, cap) {
        return text;
    }
    // `{ family = { ... } }` → `{ family = { ... }, max = cap }`.
    match text.strip_suffix(" }") {
        Some(body) => format!("{body}, max = {cap} }}"),
        None => text,
    }
}

/// Whether a fitted distribution's far tail passes `cap` (then [`dist_within`] writes
/// `max = cap`). The far tail is 6.5 sd above a log-normal's log-mean (a 4,096-draw probe
/// reaches it with probability below 2e-7) and 15 sd (plus 10 scales) above the others' mean.
/// Writing the cap changes no trial: the simulator clamps every draw to the limit anyway.
fn passes(fitted: &Fitted, cap: u64) -> bool {
    let sd_bound = |mean: f64, var: f64| mean + 15.0 * var.max(0.0).sqrt();
    let far = match *fitted {
        Fitted::Fixed { value } => value,
        Fitted::Lognormal { mu, sigma } => (mu + 6.5 * sigma).exp(),
        Fitted::Gamma { shape, scale } => {
            sd_bound(shape * scale, shape * scale * scale) + 10.0 * scale
        }
        Fitted::Poisson { mean } => sd_bound(mean, mean) + 10.0,
        Fitted::Geometric { p } => 20.0 / p.max(1e-300),
        Fitted::NegativeBinomial { mean, dispersion } => {
            sd_bound(mean, mean + mean * mean / dispersion.max(1e-300)) + 10.0
        }
    };
    !(far.is_finite() && far <= cap as f64 || matches!(fitted, Fitted::Fixed { .. }))
}

/// States in a comment the cap [`dist_within`] writes for `q`, when it writes one.
fn cap_note(out: &mut String, q: &Quantity, cap: u64, unit: &str) {
    let best = q.best();
    if passes(&best.fitted, cap) {
        let _ = writeln!(
            out,
            "#   capped: max = {cap} {unit}, one draw's limit in a scenario; the fitted {}'s far tail passes it, and draws above it are clamped to it",
            family_name(&best.fitted)
        );
    }
}

fn family_name(fitted: &Fitted) -> &'static str {
    match fitted {
        Fitted::Fixed { .. } => "fixed",
        Fitted::Lognormal { .. } => "lognormal",
        Fitted::Gamma { .. } => "gamma",
        Fitted::Poisson { .. } => "poisson",
        Fitted::Geometric { .. } => "geometric",
        Fitted::NegativeBinomial { .. } => "negative_binomial",
    }
}

/// Comment lines describing how a quantity was fitted.
fn describe(out: &mut String, q: &Quantity) {
    let best = q.best();
    let params: Vec<String> = best
        .params
        .iter()
        .map(|p| format!("{} = {} ± {}", p.name, number(p.value), number(p.se)))
        .collect();
    let _ = writeln!(
        out,
        "# {}: {} over {} observations: {}",
        q.what,
        family_name(&best.fitted),
        q.n,
        params.join(", ")
    );
    if q.fits.len() > 1 {
        let cands: Vec<String> = q
            .fits
            .iter()
            .map(|f| {
                format!(
                    "{} AIC {} KS {}",
                    family_name(&f.fitted),
                    number(f.aic),
                    number(f.ks)
                )
            })
            .collect();
        let _ = writeln!(out, "#   chosen by AIC among: {}", cands.join("; "));
    }
    for (why, count) in &q.excluded {
        let _ = writeln!(out, "#   not fitted: {count} {why}");
    }
}

fn prices_block(out: &mut String, name: &str, p: &PricedModel, caching: bool, hour: bool) {
    let _ = writeln!(out, "[models.{}]", quote(name));
    let origin = match &p.origin {
        PriceOrigin::CommandLine => "given with --price".to_string(),
        PriceOrigin::CostColumn {
            records,
            max_relative_residual,
        } => format!(
            "least squares on the logged cost of {records} records (largest relative residual {})",
            number(*max_relative_residual)
        ),
        PriceOrigin::Catalog {
            entry,
            as_of,
            reference,
        } => format!(
            "list rates of the catalog entry `{entry}` as of {as_of} ({reference}; prompt-length tiers not applied)"
        ),
        PriceOrigin::Blended { from } => format!(
            "blended over the fitted tasks from the prices of {}",
            from.join(", ")
        ),
    };
    let _ = writeln!(out, "# USD per million tokens, {origin}.");
    if matches!(p.origin, PriceOrigin::CostColumn { .. })
        && [
            p.prices.input,
            p.prices.output,
            p.prices.cache_write,
            p.prices.cache_read,
        ]
        .contains(&0.0)
    {
        out.push_str(
            "# A price of 0 was not identified: no logged record holds tokens of that kind.\n",
        );
    }
    let _ = writeln!(out, "input = {}", number(p.prices.input));
    let _ = writeln!(out, "output = {}", number(p.prices.output));
    if caching {
        let _ = writeln!(out, "cache_write = {}", number(p.prices.cache_write));
        let _ = writeln!(out, "cache_read = {}", number(p.prices.cache_read));
    }
    if caching && hour {
        let _ = writeln!(out, "cache_write_1h = {}", number(p.prices.cache_write_1h));
    }
    out.push('\n');
}

fn header(out: &mut String, prov: &Provenance, level: &str, tasks: usize) {
    let _ = writeln!(
        out,
        "# Calibrated by `tokencast calibrate` ({level} model) from {tasks} tasks in:"
    );
    for f in &prov.files {
        let _ = writeln!(out, "#   {f}");
    }
    let _ = writeln!(
        out,
        "# {} further tasks ({}% by a seeded hash of the task id) were held out of the fit for the back-test.",
        prov.held_out,
        number(prov.holdout_share * 100.0)
    );
    out.push_str("# Each figure below is a maximum-likelihood estimate ± its standard error.\n#\n");
}

fn outcome_phase(out: &mut String, success: Option<Rate>) {
    match success {
        Some(rate) if rate.rate < 1.0 => {
            let _ = writeln!(
                out,
                "\n# Success rate {} ± {} ({} of {} tasks with a stated outcome). A task fails at\n# the end with this probability, independent of its length; the step adds no tokens.",
                number(rate.rate),
                number(rate.se),
                rate.successes,
                rate.known
            );
            let _ = writeln!(
                out,
                "[[phases]]\nname = \"outcome\"\nuntil_pass = {{ p_pass = {}, max_attempts = 1, on_exhausted = \"fail\" }}\nsteps = [{{ tool = {{ name = \"outcome\", tokens = 0 }} }}]",
                number(rate.rate)
            );
        }
        Some(rate) => {
            let _ = writeln!(
                out,
                "\n# All {} tasks with a stated outcome succeeded.",
                rate.known
            );
        }
        None => out.push_str("\n# The logs state no outcomes: every task counts as a success.\n"),
    }
}

/// The scenario text of a call-level fit.
pub fn call_level_scenario(
    fit: &CallLevelFit,
    prices: &BTreeMap<String, PricedModel>,
    prov: &Provenance,
) -> String {
    let mut out = String::new();
    header(&mut out, prov, "call-level", fit.tasks);
    out.push_str(
        "# The model and its assumptions:\n\
         # - A task is a first call on the task's starting context, then, for each model (most\n\
         #   calls first), a block of iterations: a tool result joins the context, then a call\n\
         #   sends the whole context and its output joins it (context growth as in the logs).\n\
         # - Calls per task, output tokens per call and tool-result tokens are independent draws\n\
         #   from the fitted families; tool-result tokens are the growth of the prompt between\n\
         #   calls beyond the previous output (prompt[k+1] - prompt[k] - output[k]).\n\
         # - Calls of several models run in blocks, not interleaved; a switch of model finds\n\
         #   the prefix cache empty.\n\
         # - Caching is prefix caching: each call reads the previous prompt from the cache.\n\
         # - Sub-agents are modelled when the logs attribute calls to them (a workflow of their\n\
         #   own, fitted the same way); retries and compaction are not (see the calibration report).\n\n",
    );
    let _ = writeln!(
        out,
        "[scenario]\nname = {}\ndescription = {}\ntrials = 100000\nseed = 1\n",
        quote(&prov.name),
        quote(&format!(
            "Fitted to {} tasks ({} calls) of usage logs by tokencast calibrate.",
            fit.tasks, fit.calls
        ))
    );
    let caching = fit.caching_seen;
    let hour = fit.cache_write_1h_share > 0.0
        || fit
            .sub_agents
            .as_ref()
            .is_some_and(|s| s.run.cache_write_1h_share > 0.0);
    let mut written: Vec<&str> = Vec::new();
    let sub_models = fit.sub_agents.iter().flat_map(|s| &s.run.models);
    for m in fit.models.iter().chain(sub_models) {
        if written.contains(&m.name.as_str()) {
            continue;
        }
        written.push(&m.name);
        if let Some(p) = prices.get(&m.name) {
            let _ = writeln!(
                out,
                "# {}: {} calls, {}% of {}.",
                m.name,
                m.calls,
                number(m.call_share * 100.0),
                if fit.models.iter().any(|x| x.name == m.name) {
                    "all calls"
                } else {
                    "the sub-agents' calls"
                }
            );
            prices_block(&mut out, &m.name, p, caching, hour);
        }
    }
    let agent = &fit.models[0];
    let _ = writeln!(
        out,
        "[agent]\nmodel = {}\n# Observed: {}% of prompt tokens were read from the cache.\ncaching = {}",
        quote(&agent.name),
        number(fit.cache_read_share * 100.0),
        if caching { "\"prefix\"" } else { "\"off\"" }
    );
    if hour {
        let _ = writeln!(
            out,
            "# Observed: {}% of the cache-write tokens were written at the 1-hour TTL (the rest at 5\n# minutes); a scenario writes at one TTL, so it takes the one most writes used.\ncache_ttl = {}",
            number(fit.cache_write_1h_share * 100.0),
            if fit.cache_write_1h_share > 0.5 {
                "\"1h\""
            } else {
                "\"5m\""
            }
        );
    }
    describe(&mut out, &fit.first_prompt);
    cap_note(&mut out, &fit.first_prompt, TOKENS, "tokens");
    let _ = writeln!(
        out,
        "system_prompt = {}",
        dist_within(&fit.first_prompt.best().fitted, TOKENS)
    );
    out.push('\n');
    thread_phases(&mut out, fit, "phases");
    if let Some(sub) = &fit.sub_agents {
        describe(&mut out, &sub.runs_per_task);
        cap_note(&mut out, &sub.runs_per_task, REPEATS, "repeats");
        let _ = writeln!(
            out,
            "# Sub-agents: {} runs, each in its own context, fitted below as the workflow\n# `subagent`; their last output returns to the task's context.\n[[phases]]\nname = \"sub-agents\"\nrepeat = {}\nsteps = [{{ subagent = {{ workflow = \"subagent\" }} }}]\n",
            sub.runs,
            dist_within(&sub.runs_per_task.best().fitted, REPEATS)
        );
        let run = &sub.run;
        let _ = writeln!(
            out,
            "[workflows.subagent]\nmodel = {}",
            quote(&run.models[0].name)
        );
        describe(&mut out, &run.first_prompt);
        cap_note(&mut out, &run.first_prompt, TOKENS, "tokens");
        let _ = writeln!(
            out,
            "system_prompt = {}\n",
            dist_within(&run.first_prompt.best().fitted, TOKENS)
        );
        thread_phases(&mut out, run, "workflows.subagent.phases");
    }
    outcome_phase(&mut out, fit.success);
    out
}

/// The phases of one context (the agent's or a sub-agent's): a first call, then a block of
/// (tool result, call) iterations per model, written as `[[table]]`.
fn thread_phases(out: &mut String, fit: &CallLevelFit, table: &str) {
    let agent = &fit.models[0];
    describe(out, &agent.output);
    cap_note(out, &agent.output, TOKENS, "tokens");
    for m in &fit.models {
        if let Some(r) = &m.reasoning {
            describe(out, r);
            cap_note(out, r, TOKENS, "tokens");
        }
    }
    // `, reasoning = ...` of a model's calls, when its calls log reasoning.
    let reasoning = |m: &super::fit::ModelUse| {
        m.reasoning.as_ref().map_or(String::new(), |r| {
            format!(", reasoning = {}", dist_within(&r.best().fitted, TOKENS))
        })
    };
    let _ = writeln!(
        out,
        "[[{table}]]\nname = \"first call\"\nsteps = [{{ call = {{ output = {}{} }} }}]\n",
        dist_within(&agent.output.best().fitted, TOKENS),
        reasoning(agent)
    );
    let tool = dist_within(&fit.tool.best().fitted, TOKENS);
    for (i, m) in fit.models.iter().enumerate() {
        describe(out, &m.repeat);
        cap_note(out, &m.repeat, REPEATS, "repeats");
        if i > 0 {
            describe(out, &m.output);
            cap_note(out, &m.output, TOKENS, "tokens");
        } else {
            describe(out, &fit.tool);
            cap_note(out, &fit.tool, TOKENS, "tokens");
        }
        let name = if i == 0 {
            "work".to_string()
        } else {
            format!("work on {}", m.name)
        };
        let model = if i == 0 {
            String::new()
        } else {
            format!("model = {}, ", quote(&m.name))
        };
        let _ = writeln!(
            out,
            "[[{table}]]\nname = {}\nrepeat = {}\nsteps = [\n  {{ tool = {{ name = \"tool results\", tokens = {} }} }},\n  {{ call = {{ {}output = {}{} }} }},\n]\n",
            quote(&name),
            dist_within(&m.repeat.best().fitted, REPEATS),
            tool,
            model,
            dist_within(&m.output.best().fitted, TOKENS),
            reasoning(m)
        );
    }
}

/// The scenario text of a task-level fit. `prices` is the mix-weighted price of a prompt
/// token and of an output token over the fitted tasks.
pub fn task_level_scenario(fit: &TaskLevelFit, blended: &PricedModel, prov: &Provenance) -> String {
    let mut out = String::new();
    header(&mut out, prov, "task-level", fit.tasks);
    out.push_str(
        "# The logs hold task totals only, so a task is modelled as one call whose prompt is the\n\
         # task's whole prompt volume and whose output is the task's whole output, drawn\n\
         # independently. Prices are blended: the cost of the logged prompt tokens (uncached,\n\
         # cache write and cache read at each task's model's prices) per prompt token, and the\n\
         # same for output. The simulated calls per task (1) are not the logged ones.\n",
    );
    let models: Vec<String> = fit
        .models
        .iter()
        .map(|(m, n)| format!("{m} ({n} tasks)"))
        .collect();
    let _ = writeln!(out, "# Models: {}.", models.join(", "));
    if let Some(calls) = &fit.calls {
        describe(&mut out, calls);
    }
    out.push('\n');
    let _ = writeln!(
        out,
        "[scenario]\nname = {}\ndescription = {}\ntrials = 100000\nseed = 1\n",
        quote(&prov.name),
        quote(&format!(
            "Fitted to {} tasks of per-task usage totals by tokencast calibrate.",
            fit.tasks
        ))
    );
    prices_block(&mut out, "blended", blended, false, false);
    out.push_str("[agent]\nmodel = \"blended\"\ncaching = \"off\"\n");
    describe(&mut out, &fit.prompt);
    cap_note(&mut out, &fit.prompt, TOKENS, "tokens");
    let _ = writeln!(
        out,
        "system_prompt = {}\n",
        dist_within(&fit.prompt.best().fitted, TOKENS)
    );
    describe(&mut out, &fit.output);
    cap_note(&mut out, &fit.output, TOKENS, "tokens");
    let _ = writeln!(
        out,
        "[[phases]]\nname = \"task\"\nsteps = [{{ call = {{ output = {} }} }}]",
        dist_within(&fit.output.best().fitted, TOKENS)
    );
    outcome_phase(&mut out, fit.success);
    out
}

#[cfg(test)]
mod tests {
    use super::number;

    #[test]
    fn numbers_keep_six_significant_digits() {
        assert_eq!(number(1234.5678), "1234.57");
        assert_eq!(number(0.000123456789), "0.000123457");
        assert_eq!(number(3.0), "3");
        assert_eq!(number(1.5e7), "15000000");
        assert_eq!(number(0.0), "0");
        // A huge value stays a float TOML reads, not a 301-digit integer.
        assert_eq!(number(1e300), "1.00000e300");
        let v: toml::Value = toml::from_str(&format!("x = {}", number(1e300))).unwrap();
        assert_eq!(v["x"].as_float(), Some(1e300));
    }
}
