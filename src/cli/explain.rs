//! `tokencast validate`: a plain-language account of what a scenario models.

use std::fmt::Write;

use tokencast::pricing::TokenKind;
use tokencast::scenario::Scenario;
use tokencast::scenario::spec::{CachingSpec, OnExhaustedSpec, StepSpec, WhenSpec};

/// Describes a loaded scenario.
pub fn explain(s: &Scenario) -> String {
    let spec = &s.spec;
    let mut out = String::new();
    let _ = writeln!(out, "scenario {} ({})", s.name, s.origin);
    if let Some(d) = &spec.scenario.description {
        let _ = writeln!(out, "  {d}");
    }
    let _ = writeln!(
        out,
        "  default run: {} trials, seed {}",
        s.default_trials(),
        s.default_seed()
    );
    let _ = writeln!(out, "\nmodels (list prices, USD per million tokens)");
    for (name, prices) in s.workflow.model_names.iter().zip(&s.prices) {
        let _ = write!(out, "  {name}:");
        for kind in TokenKind::ALL {
            let _ = write!(out, "  {} {}", kind.name(), prices.rate(kind));
        }
        let _ = writeln!(out);
    }
    let caching = match spec.agent.caching {
        CachingSpec::Prefix => "prefix caching (the cache holds the previous call's prompt)",
        CachingSpec::Off => "no caching (every prompt token is input)",
    };
    let default_model =
        spec.agent.model.clone().or_else(|| {
            (s.workflow.model_names.len() == 1).then(|| s.workflow.model_names[0].clone())
        });
    let _ = writeln!(
        out,
        "\nagent: default model {}, {caching}",
        default_model.as_deref().unwrap_or("(none)")
    );
    let _ = writeln!(
        out,
        "  context starts as system prompt {} tokens",
        spec.agent.system_prompt
    );
    match &spec.agent.task_prompt {
        Some(t) => {
            let _ = writeln!(out, "  plus task prompt {t} tokens");
        }
        None => {
            let _ = writeln!(out, "  (no task prompt)");
        }
    }
    mechanics(s, &mut out);
    difficulty(s, &mut out);
    let spread = spec.difficulty.as_ref().map_or(0.0, |d| d.spread);
    let _ = writeln!(out, "\nphases, in order");
    for (i, ph) in spec.phases.iter().enumerate() {
        let times = match (&ph.repeat, &ph.until_pass) {
            (Some(r), _) => format!("repeated {r} times"),
            (None, Some(u)) => format!(
                "until a pass (p = {} per attempt), at most {} attempts, then {}",
                u.p_pass,
                u.max_attempts.unwrap_or(0),
                match u.on_exhausted {
                    OnExhaustedSpec::Fail => "the task fails",
                    OnExhaustedSpec::Continue => "the task goes on",
                }
            ),
            (None, None) => "once".to_string(),
        };
        let when = match ph.when {
            WhenSpec::Always => "",
            WhenSpec::OnSuccess => ", only if the task has not failed",
            WhenSpec::OnFailure => ", only if the task has failed",
        };
        let link = match (ph.difficulty, &ph.until_pass) {
            (Some(k), Some(_)) => format!(
                "; a task of difficulty D passes with p^{} (a twice-as-hard task: p^{})",
                if k == 1.0 {
                    "D".to_string()
                } else {
                    format!("(D^{})", num(k))
                },
                num(2f64.powf(k))
            ),
            (Some(k), None) => format!("; count scaled by {}", scale_words(k, spread)),
            (None, _) => String::new(),
        };
        let _ = writeln!(out, "  {}. {}: {times}{link}{when}", i + 1, ph.name);
        for st in &ph.steps {
            let _ = match st {
                StepSpec::Call(c) => writeln!(
                    out,
                    "       call {}: prompt = the whole context; output {} tokens join the context{}",
                    c.model
                        .as_deref()
                        .or(default_model.as_deref())
                        .unwrap_or("?"),
                    c.output,
                    c.difficulty.map_or(String::new(), |k| format!(
                        "; scaled by {}",
                        scale_words(k, spread)
                    ))
                ),
                StepSpec::Tool(t) => writeln!(
                    out,
                    "       tool {}: {} tokens join the context{}",
                    t.name.as_deref().unwrap_or("(unnamed)"),
                    t.tokens,
                    t.difficulty.map_or(String::new(), |k| format!(
                        "; scaled by {}",
                        scale_words(k, spread)
                    ))
                ),
                StepSpec::Subagent(s) => writeln!(
                    out,
                    "       sub-agent {}: {} instance(s) in fresh contexts; each returns its last output",
                    s.workflow,
                    s.count
                        .as_ref()
                        .map_or_else(|| "1".to_string(), |c| c.to_string())
                ),
            };
        }
    }
    super::explain_work::work(&s.work, &mut out);
    out.push_str(&super::explain_billing::explain(s));
    out.push_str(&super::explain_routing::explain(s));
    let _ = writeln!(out, "\nok: the scenario is valid; nothing was run.");
    out
}

/// A number as people write it (no trailing zeros).
fn num(x: f64) -> String {
    let s = format!("{x:.3}");
    s.trim_end_matches('0').trim_end_matches('.').to_string()
}

/// `D`, `D^k`: the factor of exponent `k`.
fn power(k: f64) -> String {
    if k == 1.0 {
        "D".to_string()
    } else {
        format!("D^{}", num(k))
    }
}

/// `D^k (mean ×m)`: a draw's difficulty factor and what it does to the draw's mean,
/// `E[D^k] = exp(k (k − 1) σ² / 2)`.
fn scale_words(k: f64, spread: f64) -> String {
    let factor = (0.5 * k * (k - 1.0) * spread * spread).exp();
    if (factor - 1.0).abs() < 5e-4 {
        format!("{} (mean unchanged before clamps)", power(k))
    } else {
        format!("{} (mean ×{:.3} before clamps)", power(k), factor)
    }
}

/// `[difficulty]` and `[[correlation]]` in words (nothing when neither is written).
fn difficulty(s: &Scenario, out: &mut String) {
    let spec = &s.spec;
    if let Some(d) = &spec.difficulty {
        let sigma = d.spread;
        let q = |z: f64| (sigma * z - 0.5 * sigma * sigma).exp();
        let _ = writeln!(
            out,
            "\ntask difficulty: D = exp({} Z − {}) per task, log-normal with mean 1 (median {:.2}, P90 {:.2}, P99 {:.2}); every draw and loop of the task (sub-agents too) shares it",
            num(sigma),
            num(0.5 * sigma * sigma),
            q(0.0),
            q(1.281_551_565_5),
            q(2.326_347_874),
        );
        let _ = writeln!(
            out,
            "  a draw with `difficulty = k` is multiplied by D^k (rounded, within its own bounds); a loop's pass probability p becomes p^(D^k)"
        );
    }
    if let Some(f) = &s.workflow.factors
        && !f.targets.is_empty()
    {
        let _ = writeln!(
            out,
            "\nrank correlations (Gaussian copula: each input keeps its distribution; `run` reports the Spearman correlations achieved)"
        );
        for t in &f.targets {
            let _ = writeln!(
                out,
                "  {} ~ {}: Spearman {}",
                f.names[t.pair.0],
                f.names[t.pair.1],
                num(t.spearman)
            );
        }
    }
}

/// The agent mechanics that are on, one line each (nothing when none is).
fn mechanics(s: &Scenario, out: &mut String) {
    let wf = &s.workflow;
    for (name, m) in wf.model_names.iter().zip(&wf.models) {
        let mut parts = Vec::new();
        if m.ttft_s > 0.0 || m.seconds_per_token > 0.0 {
            let speed = if m.seconds_per_token > 0.0 {
                format!("{:.0} tokens/s", 1.0 / m.seconds_per_token)
            } else {
                "instant generation".into()
            };
            parts.push(format!("{} s to first token, {speed}", m.ttft_s));
        }
        if m.context_window < u64::MAX {
            parts.push(format!("window {} tokens", m.context_window));
        }
        if m.min_cacheable_prompt > 0 {
            parts.push(format!(
                "prompts under {} tokens not cached",
                m.min_cacheable_prompt
            ));
        }
        if !parts.is_empty() {
            let _ = writeln!(out, "  {name}: {}", parts.join("; "));
        }
    }
    if wf.cache_ttl == tokencast::workflow::CacheTtl::OneHour {
        let _ = writeln!(
            out,
            "  cache entries live 1 hour (writes at the 1-hour price)"
        );
    }
    if let Some(c) = &wf.compaction {
        let _ = writeln!(
            out,
            "  compaction when the context passes {} of the window: context becomes system prompt + summary",
            c.threshold
        );
    }
    if let Some(f) = &wf.call_failures {
        let _ = writeln!(
            out,
            "  call attempts fail with probability {}, retried up to {} times",
            f.p_fail, f.max_retries
        );
    }
    if let Some(r) = &wf.task_retry {
        let _ = writeln!(
            out,
            "  a failed task is re-run with probability {}, at most {} times",
            r.p_rerun, r.max_reruns
        );
    }
    if let Some(l) = &wf.limits {
        limits(l, out);
    }
    for agent in wf.agents.iter().skip(1) {
        let _ = writeln!(
            out,
            "  sub-agent workflow {}: phases reported as {}/PHASE",
            agent.name, agent.name
        );
    }
}

/// The per-task caps in words: where the agent stops, what counts, what a stop means.
fn limits(l: &tokencast::workflow::TaskLimits, out: &mut String) {
    let mut caps = Vec::new();
    if l.max_calls < u64::MAX {
        caps.push(format!(
            "after {} calls (it never makes call {})",
            tokencast::text::thousands(l.max_calls as f64),
            tokencast::text::thousands(l.max_calls as f64 + 1.0)
        ));
    }
    if l.max_cost_usd.is_finite() {
        caps.push(format!(
            "once it has spent ${} or more at list prices (the call that crosses it is made and billed)",
            l.max_cost_usd
        ));
    }
    let _ = writeln!(
        out,
        "  per-task caps: the agent stops before its next request {}",
        caps.join(", or ")
    );
    let _ = writeln!(
        out,
        "    sub-agents, compaction's calls, failed attempts and re-runs count toward them; a stopped task is not re-run and counts as {}",
        match l.on_limit {
            tokencast::workflow::OnLimit::Fail => "failed",
            tokencast::workflow::OnLimit::Success => "succeeded",
        }
    );
}
