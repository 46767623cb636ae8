//! Calibration from per-task totals **with** token counts (`task_id, model, input_tokens,
//! output_tokens, ...` and optionally `calls, cost_usd, success`): the same agent loop as the
//! totals without tokens (`task_totals`), fitted by simulated moments, with the tokens as
//! extra moments (quantiles of the prompt and output tokens per task, the output share and,
//! with calls, how output grows with calls), so that the output per call and the observation
//! size are identified from the tokens rather than from cost alone.
//!
//! Prices: each model's are resolved as for any per-task file (`--price`, else recovered from
//! a cost column, else the catalog); the loop bills every prompt token at one rate, the
//! fitted tasks' prompt cost over their prompt tokens (so the caching the logs show is folded
//! into that rate), and every output token at the output rate. A task's cost is its logged
//! cost, else its tokens at the resolved prices.
//!
//! The one-call task-level model (`fit_tasks`) is kept only where the loop cannot be fitted:
//! fewer than [`MIN_LOOP_TASKS`] fitted tasks (quantiles of fewer say little), or no fitted
//! task with a positive cost.

use std::collections::BTreeMap;

use super::import::{ImportReport, TaskRecord, TaskTotal};
use super::task_totals::{calibrate_loop, price_origin};
use super::{
    CalibrateError, CalibrateOptions, Calibration, PriceOrigin, PricedModel, Prices, Side,
    resolve_prices, side,
};

/// Fewest fitted tasks the agent loop is fitted to.
pub const MIN_LOOP_TASKS: usize = 20;

/// Prompt tokens of a task (every prompt kind).
fn prompt_tokens(t: &TaskRecord) -> u64 {
    t.input + t.cache_read + t.cache_write + t.cache_write_1h
}

/// Calibrates per-task records with token counts through the agent loop; `Ok(None)` when the
/// loop cannot be fitted (too few fitted tasks, or none costs anything), for the caller to
/// fall back to the one-call task-level model.
pub fn calibrate_tasks(
    tasks: &[TaskRecord],
    import: &ImportReport,
    options: &CalibrateOptions,
) -> Result<Option<Calibration>, CalibrateError> {
    let resolved = resolve_prices(
        tasks
            .iter()
            .map(|t| (t.model.as_str(), t.priced_kinds(), t.cost)),
        options,
    )?;
    let cost_of = |t: &TaskRecord| {
        t.cost
            .unwrap_or_else(|| resolved[&t.model].prices.cost_of(&t.priced_kinds()))
    };
    let fitted: Vec<&TaskRecord> = tasks
        .iter()
        .filter(|t| side(&t.task, options.split_seed, options.holdout) == Side::Fit)
        .collect();
    if fitted.len() < MIN_LOOP_TASKS || fitted.iter().all(|t| cost_of(t) <= 0.0) {
        return Ok(None);
    }
    // One rate per prompt token and one per output token, over the fitted tasks.
    let (mut prompt_cost, mut prompt, mut out_cost, mut out) = (0.0, 0.0, 0.0, 0.0);
    for t in &fitted {
        let p = resolved[&t.model].prices;
        prompt_cost += p.cost_of(&[t.input, 0, t.cache_write, t.cache_read, t.cache_write_1h]);
        prompt += prompt_tokens(t) as f64;
        out_cost += p.cost(0, t.output, 0, 0);
        out += t.output as f64;
    }
    let per_m = |c: f64, n: f64| if n > 0.0 { c * 1e6 / n } else { 0.0 };
    let rates = Prices {
        input: per_m(prompt_cost, prompt),
        output: per_m(out_cost, out),
        cache_write: 0.0,
        cache_read: 0.0,
        cache_write_1h: 0.0,
    };
    let models: Vec<String> = resolved.keys().cloned().collect();
    let model = match models.as_slice() {
        [one] => one.clone(),
        _ => "blended".to_string(),
    };
    let sources: Vec<String> = resolved
        .iter()
        .map(|(m, p)| format!("{m}: {}", price_origin(&p.origin)))
        .collect();
    let origin = format!(
        "the fitted tasks' prompt cost over their prompt tokens (caching folded into one rate per prompt token) and the output rate, at the prices of {}",
        sources.join("; ")
    );
    let totals: Vec<TaskTotal> = tasks
        .iter()
        .map(|t| TaskTotal {
            task: t.task.clone(),
            model: Some(model.clone()),
            cost: cost_of(t),
            calls: t.calls,
            success: t.success,
        })
        .collect();
    let tokens: Vec<(f64, f64)> = tasks
        .iter()
        .map(|t| (prompt_tokens(t) as f64, t.output as f64))
        .collect();
    let priced = PricedModel {
        prices: rates,
        origin: PriceOrigin::Blended {
            from: models.clone(),
        },
    };
    let mut c = calibrate_loop(
        totals,
        Some(tokens),
        &model,
        priced,
        origin,
        import.clone(),
        options,
    )?;
    let mut prices: BTreeMap<String, PricedModel> = resolved;
    if let Some(blended) = c.prices.remove(&model) {
        prices.insert(format!("{model} (one rate per prompt token)"), blended);
    }
    c.prices = prices;
    Ok(Some(c))
}
