//! Synthetic usage logs: a scenario's trials run call by call and written as log records, for
//! the round-trip test (simulate a known scenario, calibrate, recover its parameters) and for
//! the bundled sample logs.
//!
//! The walk mirrors `Workflow::run_trial` draw for draw (the same samplers in the same order on
//! the same per-trial stream), so a task's calls sum to exactly the usage the engine records
//! for that trial; a test checks this. It covers the step kinds the calibrated scenarios use
//! (calls and tool results, repeat counts and until-pass loops) on the main agent, without
//! the agent mechanics (time, windows, failures, reasoning, escalation, sub-agents, caps,
//! correlated inputs: scenarios with `Mechanics::Off`), save task difficulty (`[difficulty]`):
//! the trial's `D` is drawn as the engine draws it, and scales counts, token draws and pass
//! probabilities by their exponents.

use std::fmt::Write;

use rand::{Rng, RngExt};

use super::import::CallRecord;
use crate::engine::trial_rng;
use crate::pricing::TokenKind;
use crate::scenario::Scenario;
use crate::workflow::{Caching, OnExhausted, Repeat, Step, TrialFactors, When, Workflow};

/// Runs one trial of `workflow`, appending its calls (task id `task`) to `calls`; returns
/// whether the task succeeded.
pub fn trace_trial<R: Rng + Clone>(
    workflow: &Workflow,
    rng: &mut R,
    task: &str,
    calls: &mut Vec<CallRecord>,
) -> bool {
    let first = calls.len();
    // Drawn as the engine draws it, from a copy of the trial's stream (which it leaves as it was).
    let factors = match &workflow.factors {
        Some(f) => f.draw(rng),
        None => TrialFactors::NONE,
    };
    let main = &workflow.agents[0];
    let mut context = main
        .system_prompt
        .sample_count(rng)
        .saturating_add(main.task_prompt.sample_count(rng));
    let (mut cached, mut cached_model, mut failed) = (0u64, usize::MAX, false);
    for phase in &workflow.phases[main.phases.clone()] {
        let runs = match phase.when {
            When::Always => true,
            When::OnSuccess => !failed,
            When::OnFailure => failed,
        };
        if !runs {
            continue;
        }
        let mut run_steps = |rng: &mut R, calls: &mut Vec<CallRecord>| {
            for step in &phase.steps {
                match step {
                    Step::Call {
                        model,
                        output,
                        difficulty,
                        ..
                    } => {
                        let prompt = context;
                        let mut out = output.sample_count(rng);
                        let scale = factors.scale(*difficulty);
                        if scale != 1.0 {
                            out = output.clamp_count(out as f64 * scale);
                        }
                        let (input, read) = match workflow.caching {
                            Caching::Off => (prompt, 0),
                            Caching::Prefix => {
                                let read = if cached_model == *model {
                                    cached.min(prompt)
                                } else {
                                    0
                                };
                                cached = prompt;
                                cached_model = *model;
                                (0, read)
                            }
                        };
                        let write = if workflow.caching == Caching::Prefix {
                            prompt - read
                        } else {
                            0
                        };
                        let k = calls.len() - first;
                        calls.push(CallRecord {
                            task: task.to_string(),
                            timestamp: Some(timestamp(k as u64)),
                            model: workflow.model_names[*model].clone(),
                            input,
                            output: out,
                            cache_read: read,
                            cache_write: write,
                            cost: None,
                            success: None,
                            ..CallRecord::default()
                        });
                        context = context.saturating_add(out);
                    }
                    Step::Tool {
                        tokens, difficulty, ..
                    } => {
                        let mut n = tokens.sample_count(rng);
                        if *difficulty != 0.0 {
                            n = tokens.clamp_count(n as f64 * factors.scale(*difficulty));
                        }
                        context = context.saturating_add(n);
                    }
                    Step::SubAgent { .. } => {}
                }
            }
        };
        match phase.repeat {
            Repeat::Times(ref count) => {
                let n = phase.scaled_count(count, count.sample_count(rng), &factors);
                for _ in 0..n {
                    run_steps(rng, calls);
                }
            }
            Repeat::UntilPass {
                p_pass,
                max_attempts,
                on_exhausted,
                ..
            } => {
                let mut passed = false;
                let p_pass = factors.pass_probability(p_pass, phase.difficulty);
                for _ in 0..max_attempts {
                    run_steps(rng, calls);
                    if rng.random::<f64>() < p_pass {
                        passed = true;
                        break;
                    }
                }
                if !passed && on_exhausted == OnExhausted::Fail {
                    failed = true;
                }
            }
        }
    }
    for c in &mut calls[first..] {
        c.success = Some(!failed);
    }
    !failed
}

/// A timestamp `k` seconds after 2026-01-01T00:00:00Z (ISO 8601, so text order is time order).
fn timestamp(k: u64) -> String {
    let (day, s) = (1 + k / 86_400, k % 86_400);
    format!(
        "2026-01-{day:02}T{:02}:{:02}:{:02}.000Z",
        s / 3600,
        s / 60 % 60,
        s % 60
    )
}

/// The calls of trials `0..tasks` of `scenario` with `seed` (trial `i` on the engine's stream
/// `(seed, i)`, task id `task-i`), each with its list-price cost and its task's outcome.
pub fn synthetic_calls(scenario: &Scenario, tasks: u64, seed: u64) -> Vec<CallRecord> {
    let mut calls = Vec::new();
    for i in 0..tasks {
        let mut rng = trial_rng(seed, i);
        trace_trial(
            &scenario.workflow,
            &mut rng,
            &format!("task-{i:06}"),
            &mut calls,
        );
    }
    let index: std::collections::HashMap<&str, usize> = scenario
        .workflow
        .model_names
        .iter()
        .enumerate()
        .map(|(i, n)| (n.as_str(), i))
        .collect();
    for c in &mut calls {
        let p = &scenario.prices[index[c.model.as_str()]];
        c.cost = Some(
            (c.input as f64 * p.rate(TokenKind::Input)
                + c.output as f64 * p.rate(TokenKind::Output)
                + c.cache_write as f64 * p.rate(TokenKind::CacheWrite)
                + c.cache_read as f64 * p.rate(TokenKind::CacheRead))
                / 1e6,
        );
    }
    calls
}

/// The calls as a Claude Code transcript: per call a user line (the tool result) and the
/// assistant line; every third response is written as two content-block lines with the same
/// `message.id`, as Claude Code does. No cost and no outcome (Claude Code logs neither).
pub fn claude_code_jsonl(calls: &[CallRecord]) -> String {
    let mut out = String::new();
    for (i, c) in calls.iter().enumerate() {
        let ts = c.timestamp.clone().unwrap_or_default();
        let user = serde_json::json!({
            "type": "user", "sessionId": c.task, "timestamp": ts, "isSidechain": false,
            "message": { "role": "user", "content": [{ "type": "tool_result", "content": "..." }] }
        });
        let assistant = |block: &str| {
            serde_json::json!({
                "type": "assistant", "sessionId": c.task, "timestamp": ts, "isSidechain": false,
                "requestId": format!("req_{i:08}"),
                "message": {
                    "id": format!("msg_{i:08}"), "type": "message", "role": "assistant",
                    "model": c.model,
                    "content": [{ "type": block, "text": "..." }],
                    "usage": {
                        "input_tokens": c.input,
                        "cache_creation_input_tokens": c.cache_write,
                        "cache_read_input_tokens": c.cache_read,
                        "output_tokens": c.output
                    }
                }
            })
        };
        let _ = writeln!(out, "{user}");
        if i % 3 == 0 {
            let _ = writeln!(out, "{}", assistant("thinking"));
        }
        let _ = writeln!(out, "{}", assistant("text"));
    }
    out
}

/// The calls as a per-call CSV with the default headers.
pub fn calls_csv(calls: &[CallRecord]) -> String {
    let mut out = String::from(
        "task_id,timestamp,model,input_tokens,output_tokens,cache_read_tokens,cache_write_tokens,cost_usd,success\n",
    );
    for c in calls {
        let _ = writeln!(
            out,
            "{},{},{},{},{},{},{},{},{}",
            c.task,
            c.timestamp.as_deref().unwrap_or(""),
            c.model,
            c.input,
            c.output,
            c.cache_read,
            c.cache_write,
            c.cost.map(|v| format!("{v:.9}")).unwrap_or_default(),
            c.success.map(|s| s.to_string()).unwrap_or_default()
        );
    }
    out
}

/// The calls' task totals as a per-task CSV with the default headers (the model of a task is
/// the model of its first call).
pub fn tasks_csv(calls: &[CallRecord]) -> String {
    let mut out = String::from(
        "task_id,model,input_tokens,output_tokens,cache_read_tokens,cache_write_tokens,calls,cost_usd,success\n",
    );
    for task in super::group_calls(calls.to_vec()) {
        let sum = |f: fn(&CallRecord) -> u64| task.calls.iter().map(f).sum::<u64>();
        let cost: f64 = task.calls.iter().filter_map(|c| c.cost).sum();
        let _ = writeln!(
            out,
            "{},{},{},{},{},{},{},{cost:.9},{}",
            task.id,
            task.calls[0].model,
            sum(|c| c.input),
            sum(|c| c.output),
            sum(|c| c.cache_read),
            sum(|c| c.cache_write),
            task.calls.len(),
            task.success().map(|s| s.to_string()).unwrap_or_default()
        );
    }
    out
}
