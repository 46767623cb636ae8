//! Fits the agent model to tasks: the distributions a scenario needs, each family chosen by AIC.
//!
//! Call-level model (per-call logs): the first prompt (system + task prompt), for each model its
//! calls per task and its output tokens per call, the tool-result tokens between calls, the
//! success rate, and the observed cache behaviour. Task-level model (per-task totals only):
//! prompt and output tokens per task, calls per task, success rate.

use serde::Serialize;

use super::import::TaskRecord;
use super::tasks::Task;
use crate::stats::fit::{Fit, FitError, Fitted, Param, fit_counts, fit_positive};

/// A fitted quantity: candidate families, best AIC first.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Quantity {
    /// What it is, in words.
    pub what: String,
    /// Observations fitted.
    pub n: usize,
    /// Observations left out of the fit, and why (empty when none).
    pub excluded: Vec<(String, usize)>,
    /// Candidate fits, best (smallest AIC) first.
    pub fits: Vec<Fit>,
}

impl Quantity {
    /// The chosen fit (smallest AIC).
    pub fn best(&self) -> &Fit {
        &self.fits[0]
    }

    fn positive(what: &str, values: &[f64], excluded: Vec<(String, usize)>) -> Quantity {
        Quantity {
            what: what.into(),
            n: values.len(),
            excluded,
            fits: fit_positive(values).unwrap_or_else(|_| vec![fallback(values)]),
        }
    }

    fn counts(what: &str, values: &[u64]) -> Quantity {
        Quantity {
            what: what.into(),
            n: values.len(),
            excluded: Vec::new(),
            fits: fit_counts(values).unwrap_or_else(|_| {
                vec![fallback(
                    &values.iter().map(|&v| v as f64).collect::<Vec<_>>(),
                )]
            }),
        }
    }
}

/// A fixed value (the mean, or 0) when a sample is too small for any family.
fn fallback(values: &[f64]) -> Fit {
    let value = if values.is_empty() {
        0.0
    } else {
        (values.iter().sum::<f64>() / values.len() as f64).round()
    };
    Fit {
        fitted: Fitted::Fixed { value },
        params: vec![Param {
            name: "value",
            value,
            se: f64::NAN,
        }],
        n: values.len(),
        log_likelihood: f64::NAN,
        aic: f64::NAN,
        ks: f64::NAN,
    }
}

/// A proportion with its binomial standard error.
#[derive(Debug, Clone, Copy, PartialEq, Serialize)]
pub struct Rate {
    /// Successes.
    pub successes: usize,
    /// Tasks whose outcome the log states.
    pub known: usize,
    /// `successes / known`.
    pub rate: f64,
    /// `√(rate (1 − rate) / known)`.
    pub se: f64,
}

impl Rate {
    fn from_flags(flags: impl Iterator<Item = Option<bool>>) -> Option<Rate> {
        let (mut successes, mut known) = (0usize, 0usize);
        for f in flags.flatten() {
            known += 1;
            successes += f as usize;
        }
        (known > 0).then(|| {
            let rate = successes as f64 / known as f64;
            Rate {
                successes,
                known,
                rate,
                se: (rate * (1.0 - rate) / known as f64).sqrt(),
            }
        })
    }
}

/// One model's share of the calls and its fitted distributions.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct ModelUse {
    /// The model name as logged.
    pub name: String,
    /// Its calls.
    pub calls: usize,
    /// Its share of all calls.
    pub call_share: f64,
    /// Calls of this model per task (for the first model: beyond the first call).
    pub repeat: Quantity,
    /// Output tokens per call (visible output; reasoning excluded).
    pub output: Quantity,
    /// Reasoning tokens per call, when any call of the model logs some (calls without any
    /// count as 0: a count family then, else a positive one).
    pub reasoning: Option<Quantity>,
}

/// The call-level fit.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct CallLevelFit {
    /// Tasks fitted.
    pub tasks: usize,
    /// Calls fitted.
    pub calls: usize,
    /// Prompt tokens of each task's first call (system + task prompt).
    pub first_prompt: Quantity,
    /// Models, most calls first; the first is the agent's model.
    pub models: Vec<ModelUse>,
    /// Tool-result tokens between consecutive calls.
    pub tool: Quantity,
    /// Success rate, if the logs state outcomes.
    pub success: Option<Rate>,
    /// Cache-read tokens over prompt tokens, over all calls.
    pub cache_read_share: f64,
    /// Whether any call read or wrote the cache.
    pub caching_seen: bool,
    /// Cache-write tokens at the 1-hour TTL over all cache-write tokens (0 without writes).
    pub cache_write_1h_share: f64,
    /// Sub-agents, when the logs attribute calls to them: fitted as a workflow of their own.
    pub sub_agents: Option<Box<SubAgentFit>>,
}

/// Sub-agents' calls, fitted like a task's main thread, one run per (task, sub-agent).
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct SubAgentFit {
    /// Sub-agent runs fitted.
    pub runs: usize,
    /// Sub-agent runs per task.
    pub runs_per_task: Quantity,
    /// One run's model: its first prompt, calls, outputs and tool results.
    pub run: CallLevelFit,
}

/// Fits the call-level model to tasks: the main thread's calls as the agent, each sub-agent's
/// calls (attributed to the task) as a run of a sub-agent workflow.
pub fn fit_calls(tasks: &[Task]) -> Result<CallLevelFit, FitError> {
    let main: Vec<Task> = tasks
        .iter()
        .map(Task::main_thread)
        .filter(|t| !t.calls.is_empty())
        .collect();
    let mut fit = fit_thread(&main)?;
    let runs: Vec<Task> = tasks.iter().flat_map(Task::sub_agent_runs).collect();
    if !runs.is_empty() {
        let per_task: Vec<u64> = main
            .iter()
            .map(|m| {
                tasks
                    .iter()
                    .find(|t| t.id == m.id)
                    .map_or(0, |t| t.sub_agent_runs().len() as u64)
            })
            .collect();
        let mut run = fit_thread(&runs)?;
        fit.caching_seen |= run.caching_seen;
        // Say whose figures they are: a sub-agent run's, not a task's.
        let relabel = |q: &mut Quantity| {
            q.what = format!("sub-agent {}", q.what.replace("per task", "per run"));
        };
        relabel(&mut run.first_prompt);
        relabel(&mut run.tool);
        for m in &mut run.models {
            relabel(&mut m.repeat);
            relabel(&mut m.output);
            if let Some(r) = &mut m.reasoning {
                relabel(r);
            }
        }
        fit.sub_agents = Some(Box::new(SubAgentFit {
            runs: runs.len(),
            runs_per_task: Quantity::counts("sub-agent runs per task", &per_task),
            run,
        }));
    }
    Ok(fit)
}

/// Fits one context's calls (each task with at least one call).
fn fit_thread(tasks: &[Task]) -> Result<CallLevelFit, FitError> {
    if tasks.is_empty() {
        return Err(FitError::TooFew {
            needed: 1,
            found: 0,
        });
    }
    let mut names: Vec<(String, usize)> = Vec::new();
    for call in tasks.iter().flat_map(|t| &t.calls) {
        match names.iter_mut().find(|(n, _)| *n == call.model) {
            Some((_, c)) => *c += 1,
            None => names.push((call.model.clone(), 1)),
        }
    }
    // Most calls first; ties by name so the order never depends on the files' order.
    names.sort_by(|a, b| b.1.cmp(&a.1).then_with(|| a.0.cmp(&b.0)));
    let total_calls: usize = names.iter().map(|n| n.1).sum();

    let models = names
        .iter()
        .enumerate()
        .map(|(i, (name, calls))| {
            let per_task: Vec<u64> = tasks
                .iter()
                .map(|t| {
                    let c = t.calls.iter().filter(|c| &c.model == name).count() as u64;
                    if i == 0 { c.saturating_sub(1) } else { c }
                })
                .collect();
            let outputs: Vec<u64> = tasks
                .iter()
                .flat_map(|t| &t.calls)
                .filter(|c| &c.model == name)
                .map(|c| c.output)
                .collect();
            let positive: Vec<f64> = outputs
                .iter()
                .filter(|&&o| o > 0)
                .map(|&o| o as f64)
                .collect();
            let zeros = outputs.len() - positive.len();
            let what = if i == 0 {
                format!("calls of {name} per task after the first")
            } else {
                format!("calls of {name} per task")
            };
            let reasoning: Vec<u64> = tasks
                .iter()
                .flat_map(|t| &t.calls)
                .filter(|c| &c.model == name)
                .map(|c| c.reasoning)
                .collect();
            let reasoning_what = format!("reasoning tokens per call of {name}");
            let reasoning = if reasoning.iter().all(|&r| r == 0) {
                None
            } else if reasoning.contains(&0) {
                Some(Quantity::counts(&reasoning_what, &reasoning))
            } else {
                let r: Vec<f64> = reasoning.iter().map(|&r| r as f64).collect();
                Some(Quantity::positive(&reasoning_what, &r, Vec::new()))
            };
            ModelUse {
                reasoning,
                name: name.clone(),
                calls: *calls,
                call_share: *calls as f64 / total_calls as f64,
                repeat: Quantity::counts(&what, &per_task),
                output: Quantity::positive(
                    &format!("output tokens per call of {name}"),
                    &positive,
                    excluded("calls with 0 output tokens", zeros),
                ),
            }
        })
        .collect();

    let first: Vec<f64> = tasks
        .iter()
        .map(|t| t.calls[0].prompt() as f64)
        .filter(|&p| p > 0.0)
        .collect();
    let first_zero = tasks.len() - first.len();
    let steps: Vec<i64> = tasks.iter().flat_map(Task::tool_steps).collect();
    let tool: Vec<f64> = steps
        .iter()
        .filter(|&&s| s > 0)
        .map(|&s| s as f64)
        .collect();
    let (zero, negative) = (
        steps.iter().filter(|&&s| s == 0).count(),
        steps.iter().filter(|&&s| s < 0).count(),
    );
    let mut tool_excluded = excluded("steps where the context did not grow", zero);
    tool_excluded.extend(excluded(
        "steps where the context shrank (compaction, edits)",
        negative,
    ));

    let (mut read, mut prompt, mut cache_any) = (0u64, 0u64, false);
    let (mut writes, mut writes_1h) = (0u64, 0u64);
    for c in tasks.iter().flat_map(|t| &t.calls) {
        read += c.cache_read;
        prompt += c.prompt();
        writes += c.cache_write + c.cache_write_1h;
        writes_1h += c.cache_write_1h;
        cache_any |= c.cache_read + c.cache_write + c.cache_write_1h > 0;
    }
    Ok(CallLevelFit {
        tasks: tasks.len(),
        calls: total_calls,
        first_prompt: Quantity::positive(
            "prompt tokens of the first call (system + task prompt)",
            &first,
            excluded("tasks whose first prompt is empty", first_zero),
        ),
        models,
        tool: Quantity::positive("tool-result tokens between calls", &tool, tool_excluded),
        success: Rate::from_flags(tasks.iter().map(Task::success)),
        cache_read_share: if prompt > 0 {
            read as f64 / prompt as f64
        } else {
            0.0
        },
        caching_seen: cache_any,
        cache_write_1h_share: if writes > 0 {
            writes_1h as f64 / writes as f64
        } else {
            0.0
        },
        sub_agents: None,
    })
}

fn excluded(reason: &str, count: usize) -> Vec<(String, usize)> {
    if count > 0 {
        vec![(reason.to_string(), count)]
    } else {
        Vec::new()
    }
}

/// The task-level fit (per-task totals only).
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct TaskLevelFit {
    /// Tasks fitted.
    pub tasks: usize,
    /// Prompt tokens per task (input + cache read + cache write, summed over its calls).
    pub prompt: Quantity,
    /// Output tokens per task.
    pub output: Quantity,
    /// Calls per task, when the log gives them (reported, not simulated).
    pub calls: Option<Quantity>,
    /// Models by tasks, most first.
    pub models: Vec<(String, usize)>,
    /// Success rate, if the log states outcomes.
    pub success: Option<Rate>,
}

/// Fits the task-level model.
pub fn fit_tasks(tasks: &[TaskRecord]) -> Result<TaskLevelFit, FitError> {
    if tasks.is_empty() {
        return Err(FitError::TooFew {
            needed: 1,
            found: 0,
        });
    }
    let prompt: Vec<f64> = tasks
        .iter()
        .map(|t| (t.input + t.cache_read + t.cache_write + t.cache_write_1h) as f64)
        .filter(|&p| p > 0.0)
        .collect();
    let output: Vec<f64> = tasks
        .iter()
        .map(|t| t.output as f64)
        .filter(|&o| o > 0.0)
        .collect();
    let calls: Vec<u64> = tasks.iter().filter_map(|t| t.calls).collect();
    let mut models: Vec<(String, usize)> = Vec::new();
    for t in tasks {
        match models.iter_mut().find(|(n, _)| *n == t.model) {
            Some((_, c)) => *c += 1,
            None => models.push((t.model.clone(), 1)),
        }
    }
    models.sort_by(|a, b| b.1.cmp(&a.1).then_with(|| a.0.cmp(&b.0)));
    Ok(TaskLevelFit {
        tasks: tasks.len(),
        prompt: Quantity::positive(
            "prompt tokens per task",
            &prompt,
            excluded("tasks with no prompt tokens", tasks.len() - prompt.len()),
        ),
        output: Quantity::positive(
            "output tokens per task",
            &output,
            excluded("tasks with no output tokens", tasks.len() - output.len()),
        ),
        calls: (!calls.is_empty()).then(|| Quantity::counts("calls per task", &calls)),
        models,
        success: Rate::from_flags(tasks.iter().map(|t| t.success)),
    })
}
