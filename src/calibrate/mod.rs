//! Calibration: import usage logs, fit the agent model by maximum likelihood, write it as a
//! scenario, and back-test it against tasks held out of the fit.
//!
//! Flow: importers (`import`) turn log files into call or task records and count what they
//! skip; calls are grouped into tasks (`tasks`); a seeded hash of each task id holds a share of
//! tasks out; the rest are fitted (`fit`, on `stats::fit`); the fit becomes a scenario text
//! (`writer`) that is loaded back and simulated; the held-out tasks' costs are compared with
//! the simulated ones (`backtest`).

pub mod agent_loop;
mod backtest;
mod fit;
pub mod import;
pub mod org;
pub mod org_backtest;
mod prices;
pub mod simulated_moments;
pub mod synth;
pub mod task_tokens;
pub mod task_totals;
mod tasks;
mod writer;

use std::collections::BTreeMap;
use std::path::Path;

use serde::Serialize;

pub use backtest::{Backtest, CostFigures, order_statistic};
pub use fit::{
    CallLevelFit, ModelUse, Quantity, Rate, SubAgentFit, TaskLevelFit, fit_calls, fit_tasks,
};
pub use import::{
    CallRecord, ColumnMap, ImportError, ImportReport, SkippedLine, TaskRecord, TaskTotal,
};
pub use prices::{PriceOrigin, Prices, catalog_names, prices_from_catalog, prices_from_costs};
pub use task_totals::{MomentRow, TaskTotalsFit};
pub use tasks::{Side, Task, group_calls, side};
pub use writer::{PricedModel, Provenance, call_level_scenario, dist, number, task_level_scenario};

use crate::engine::{EngineError, RunConfig};
use crate::scenario::Scenario;
use crate::stats::fit::FitError;

/// The kind of a log file.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum LogFormat {
    /// Claude Code session transcript (JSONL).
    ClaudeCode,
    /// Generic CSV, one row per call.
    CallsCsv,
    /// Generic CSV, one row per task.
    TasksCsv,
    /// Codex CLI session rollout (JSONL).
    Codex,
    /// Gemini CLI chat recording (JSON).
    Gemini,
    /// OpenHands evaluation output, trajectory or metrics (JSON or JSONL).
    Openhands,
    /// OpenTelemetry GenAI spans as OTLP JSON.
    Otlp,
}

impl LogFormat {
    /// The format's name on the command line (`--format`).
    pub fn flag(self) -> &'static str {
        match self {
            LogFormat::ClaudeCode => "claude-code",
            LogFormat::CallsCsv => "calls-csv",
            LogFormat::TasksCsv => "tasks-csv",
            LogFormat::Codex => "codex",
            LogFormat::Gemini => "gemini",
            LogFormat::Openhands => "openhands",
            LogFormat::Otlp => "otlp",
        }
    }

    /// What a file of the format is, for people.
    pub fn describe(self) -> &'static str {
        match self {
            LogFormat::ClaudeCode => "a Claude Code transcript (~/.claude/projects/*/*.jsonl)",
            LogFormat::CallsCsv => "a per-call CSV",
            LogFormat::TasksCsv => "a per-task CSV",
            LogFormat::Codex => {
                "a Codex CLI session (~/.codex/sessions/YYYY/MM/DD/rollout-*.jsonl)"
            }
            LogFormat::Gemini => {
                "a Gemini CLI chat (~/.gemini/tmp/<project_hash>/chats/session-*.json)"
            }
            LogFormat::Openhands => "an OpenHands output, trajectory or metrics file",
            LogFormat::Otlp => "an OTLP JSON trace export (resourceSpans)",
        }
    }

    /// Tells a JSON log's format from its first 64 KiB: the first line's record (Codex's
    /// `{type, payload}` envelope, a Claude Code message, an OTLP request, an OpenHands record)
    /// or, for a document spread over lines, the keys it holds. `None` when nothing fits.
    pub fn sniff_json(head: &str) -> Option<LogFormat> {
        let head = head.trim_start_matches('\u{feff}');
        let first = head.lines().find(|l| !l.trim().is_empty())?;
        if let Ok(serde_json::Value::Object(o)) = serde_json::from_str::<serde_json::Value>(first) {
            let has = |k: &str| o.contains_key(k);
            let kind = o.get("type").and_then(|t| t.as_str()).unwrap_or("");
            return if has("payload")
                && matches!(
                    kind,
                    "session_meta" | "turn_context" | "event_msg" | "response_item"
                ) {
                Some(LogFormat::Codex)
            } else if has("resourceSpans") {
                Some(LogFormat::Otlp)
            } else if has("messages") && (has("projectHash") || has("sessionId")) {
                Some(LogFormat::Gemini)
            } else if has("sessionId") || (has("message") && has("type")) || kind == "summary" {
                Some(LogFormat::ClaudeCode)
            } else if [
                "metrics",
                "llm_metrics",
                "token_usages",
                "history",
                "instance_id",
            ]
            .iter()
            .any(|k| has(k))
            {
                Some(LogFormat::Openhands)
            } else {
                None
            };
        }
        // One document over several lines: its keys.
        let key = |k: &str| head.contains(&format!("\"{k}\""));
        if key("resourceSpans") {
            Some(LogFormat::Otlp)
        } else if key("projectHash") || (key("messages") && key("sessionId")) {
            Some(LogFormat::Gemini)
        } else if key("token_usages") || key("accumulated_token_usage") || key("llm_metrics") {
            Some(LogFormat::Openhands)
        } else {
            None
        }
    }

    /// Guesses a file's format: a `.json`/`.jsonl` file by its content ([`Self::sniff_json`];
    /// a JSON Lines file that fits none is read as a Claude Code transcript, whose reader then
    /// reports each line); a CSV whose header holds the `calls` column (as mapped) is
    /// per-task, any other CSV per-call.
    pub fn detect(path: &Path, columns: &ColumnMap) -> Result<LogFormat, ImportError> {
        let ext = path
            .extension()
            .map(|e| e.to_string_lossy().to_ascii_lowercase())
            .unwrap_or_default();
        if ext == "jsonl" || ext == "json" || ext == "ndjson" {
            let head = import::read_head(path, 64 * 1024)?;
            return Ok(LogFormat::sniff_json(&head).unwrap_or(if ext == "json" {
                LogFormat::Gemini
            } else {
                LogFormat::ClaudeCode
            }));
        }
        let text = import::read_header_line(path)?;
        Ok(
            if columns.has_calls_header(&text) || import::is_totals_header(columns, &text) {
                LogFormat::TasksCsv
            } else {
                LogFormat::CallsCsv
            },
        )
    }
}

/// Imported records: calls (grouped into tasks later) or task totals.
#[derive(Debug, Clone, PartialEq)]
pub enum Logs {
    /// Per-call records.
    Calls(Vec<CallRecord>),
    /// Per-task records.
    Tasks(Vec<TaskRecord>),
    /// Per-task totals without token counts.
    Totals(Vec<TaskTotal>),
}

/// Why calibration stopped.
#[derive(Debug, thiserror::Error)]
pub enum CalibrateError {
    /// A file could not be read.
    #[error(transparent)]
    Import(#[from] ImportError),
    /// A file given in one format holds nothing of it.
    #[error(
        "{file}: expected {expected} (--format {flag}), found no record of it in {lines} lines{found}"
    )]
    WrongFormat {
        /// The file.
        file: String,
        /// The format asked for, described.
        expected: &'static str,
        /// Its flag.
        flag: &'static str,
        /// Lines read.
        lines: u64,
        /// What the file looks like instead, as a sentence's end.
        found: String,
    },
    /// Per-call and per-task files were mixed.
    #[error(
        "{file}: a {found} file among {expected} files: per-call and per-task logs cannot be mixed"
    )]
    MixedLevels {
        /// The file.
        file: String,
        /// Its level.
        found: &'static str,
        /// The level of the first file.
        expected: &'static str,
    },
    /// Nothing usable was read.
    #[error(
        "no tasks to fit: the logs held {records} usable records ({malformed} malformed lines)"
    )]
    NoTasks {
        /// Records read.
        records: u64,
        /// Malformed lines.
        malformed: usize,
    },
    /// No prices for some models.
    #[error("no prices for {}: not in the price catalog; give them with --price MODEL=input,output,cache_write,cache_read (USD per million tokens), or log a cost per record", .0.join(", "))]
    MissingPrices(Vec<String>),
    /// A fit failed.
    #[error("cannot fit: {0}")]
    Fit(#[from] FitError),
    /// The scenario written does not load (a bug: it is checked before writing).
    #[error("the fitted scenario would not load, so nothing was written: {0}")]
    Scenario(String),
    /// Per-task totals that cannot be fitted.
    #[error("{0}")]
    Totals(String),
    /// The back-test simulation failed.
    #[error("the back-test simulation failed: {0}")]
    Engine(#[from] EngineError),
}

/// An importer of one JSON log file.
type JsonImporter = fn(&Path) -> Result<(Vec<CallRecord>, ImportReport), ImportError>;

/// Reads log files, each in its given or detected format.
pub fn import_logs(
    paths: &[&Path],
    format: Option<LogFormat>,
    columns: &ColumnMap,
) -> Result<(Logs, ImportReport), CalibrateError> {
    let mut calls = Vec::new();
    let mut tasks = Vec::new();
    let mut totals = Vec::new();
    let mut report = ImportReport::default();
    let mut level: Option<bool> = None;
    for path in paths {
        let f = match format {
            Some(f) => f,
            None => LogFormat::detect(path, columns)?,
        };
        let is_task = f == LogFormat::TasksCsv;
        let name = |t: bool| if t { "per-task" } else { "per-call" };
        match level {
            Some(l) if l != is_task => {
                return Err(CalibrateError::MixedLevels {
                    file: path.display().to_string(),
                    found: name(is_task),
                    expected: name(l),
                });
            }
            _ => level = Some(is_task),
        }
        let json = |import: JsonImporter,
                    calls: &mut Vec<CallRecord>|
         -> Result<ImportReport, CalibrateError> {
            let (c, r) = import(path)?;
            // A file that yields nothing and was not recognised line by line, or that looks
            // like another format, was given in the wrong one.
            let read_nothing = r.records == 0 && r.lines > 0;
            let all_bad = r.malformed.len() as u64 == r.lines;
            if read_nothing {
                let other = import::read_head(path, 64 * 1024)
                    .ok()
                    .and_then(|h| LogFormat::sniff_json(&h))
                    .filter(|o| *o != f);
                if all_bad || other.is_some() {
                    return Err(CalibrateError::WrongFormat {
                        file: path.display().to_string(),
                        expected: f.describe(),
                        flag: f.flag(),
                        lines: r.lines,
                        found: match other {
                            Some(o) => {
                                format!("; it looks like {} (--format {})", o.describe(), o.flag())
                            }
                            None => format!(
                                "; the first: {}",
                                r.malformed.first().map_or(String::new(), |m| m.to_string())
                            ),
                        },
                    });
                }
            }
            calls.extend(c);
            Ok(r)
        };
        let r = match f {
            LogFormat::ClaudeCode => json(import::import_claude_code, &mut calls)?,
            LogFormat::Codex => json(import::import_codex, &mut calls)?,
            LogFormat::Gemini => json(import::import_gemini, &mut calls)?,
            LogFormat::Openhands => json(import::import_openhands, &mut calls)?,
            LogFormat::Otlp => json(import::import_otlp, &mut calls)?,
            LogFormat::CallsCsv => {
                let (c, r) = import::import_call_csv(path, columns)?;
                calls.extend(c);
                r
            }
            LogFormat::TasksCsv
                if import::is_totals_header(columns, &import::read_header_line(path)?) =>
            {
                let (t, r) = import::import_task_totals(path, columns)?;
                totals.extend(t);
                r
            }
            LogFormat::TasksCsv => {
                let (t, r) = import::import_task_csv(path, columns)?;
                tasks.extend(t);
                r
            }
        };
        report.merge(r);
    }
    if !totals.is_empty() && !tasks.is_empty() {
        return Err(CalibrateError::Totals(
            "per-task files with token counts and without them cannot be mixed: fit them apart"
                .into(),
        ));
    }
    Ok(if !totals.is_empty() {
        (Logs::Totals(totals), report)
    } else if level == Some(true) {
        (Logs::Tasks(tasks), report)
    } else {
        (Logs::Calls(calls), report)
    })
}

/// How to calibrate.
#[derive(Debug, Clone)]
pub struct CalibrateOptions {
    /// Name of the scenario written.
    pub name: String,
    /// Share of tasks held out of the fit (0 ≤ share < 1).
    pub holdout: f64,
    /// Seed of the held-out split.
    pub split_seed: u64,
    /// The back-test's simulation.
    pub run: RunConfig,
    /// Prices given by the user, by model.
    pub prices: BTreeMap<String, Prices>,
    /// The price catalog consulted for models with neither given prices nor logged costs.
    pub catalog: Option<crate::pricing::PriceCatalog>,
    /// The harness's per-task caps (`--task-step-limit`, `--task-cost-limit`), written into
    /// an agent loop fitted to per-task data; without them the highest observed are written.
    pub task_limits: agent_loop::Caps,
}

/// The fitted model, at the level the data allows.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(tag = "level", rename_all = "snake_case")]
pub enum FittedModel {
    /// From per-call records.
    Calls(CallLevelFit),
    /// From per-task totals.
    Tasks(TaskLevelFit),
    /// From per-task totals without token counts: an agent loop by simulated moments.
    Totals(TaskTotalsFit),
}

/// Everything calibration found: what `calibration.json` holds.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Calibration {
    /// What was read and skipped.
    pub import: ImportReport,
    /// Tasks fitted.
    pub fitted_tasks: usize,
    /// Tasks held out.
    pub held_out_tasks: usize,
    /// Prices by model.
    pub prices: BTreeMap<String, PricedModel>,
    /// The fitted model.
    pub model: FittedModel,
    /// The back-test (absent when no task was held out).
    pub backtest: Option<Backtest>,
    /// The back-test of the calls per task (per-task totals with calls only).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub calls_backtest: Option<Backtest>,
    /// The scenario text.
    #[serde(skip)]
    pub scenario_text: String,
}

/// Fits, writes and back-tests a scenario from imported logs.
pub fn calibrate(
    logs: Logs,
    import: ImportReport,
    options: &CalibrateOptions,
) -> Result<Calibration, CalibrateError> {
    let no_tasks = || CalibrateError::NoTasks {
        records: import.records,
        malformed: import.malformed.len(),
    };
    let held = |id: &str| side(id, options.split_seed, options.holdout) == Side::HeldOut;
    let provenance = |held_out| Provenance {
        name: options.name.clone(),
        files: import.files.clone(),
        held_out,
        holdout_share: options.holdout,
    };
    let (model, prices, text, held_costs, fitted_tasks) = match logs {
        Logs::Totals(totals) => return task_totals::calibrate_totals(totals, import, options),
        Logs::Calls(calls) => {
            let prices = resolve_prices(
                calls
                    .iter()
                    .map(|c| (c.model.as_str(), c.priced_kinds(), c.cost)),
                options,
            )?;
            let (held_out, fitted): (Vec<Task>, Vec<Task>) =
                group_calls(calls).into_iter().partition(|t| held(&t.id));
            if fitted.is_empty() {
                return Err(no_tasks());
            }
            let fit = fit_calls(&fitted)?;
            let costs: Vec<f64> = held_out
                .iter()
                .map(|t| {
                    t.calls
                        .iter()
                        .map(|c| prices[&c.model].prices.cost_of(&c.priced_kinds()))
                        .sum()
                })
                .collect();
            let text = call_level_scenario(&fit, &prices, &provenance(held_out.len()));
            (FittedModel::Calls(fit), prices, text, costs, fitted.len())
        }
        Logs::Tasks(tasks) => {
            if let Some(c) = task_tokens::calibrate_tasks(&tasks, &import, options)? {
                return Ok(c);
            }
            let prices = resolve_prices(
                tasks
                    .iter()
                    .map(|t| (t.model.as_str(), t.priced_kinds(), t.cost)),
                options,
            )?;
            let (held_out, fitted): (Vec<TaskRecord>, Vec<TaskRecord>) =
                tasks.into_iter().partition(|t| held(&t.task));
            if fitted.is_empty() {
                return Err(no_tasks());
            }
            let fit = fit_tasks(&fitted)?;
            let cost = |t: &TaskRecord| prices[&t.model].prices.cost_of(&t.priced_kinds());
            let costs: Vec<f64> = held_out.iter().map(cost).collect();
            let blended = blend(&fitted, &prices);
            let text = task_level_scenario(&fit, &blended, &provenance(held_out.len()));
            (FittedModel::Tasks(fit), prices, text, costs, fitted.len())
        }
    };
    let scenario = Scenario::from_text(
        &format!("{}.toml", options.name),
        &options.name,
        text.clone(),
    )
    .map_err(|e| CalibrateError::Scenario(e.to_string()))?;
    let backtest = backtest::backtest(&scenario, &held_costs, &options.run)?;
    Ok(Calibration {
        import,
        fitted_tasks,
        held_out_tasks: held_costs.len(),
        prices,
        model,
        backtest,
        calls_backtest: None,
        scenario_text: text,
    })
}

/// Prices of every model the records use: the user's, else recovered from logged costs, else
/// the catalog's list rates.
fn resolve_prices<'a>(
    records: impl Iterator<Item = (&'a str, [u64; 5], Option<f64>)>,
    options: &CalibrateOptions,
) -> Result<BTreeMap<String, PricedModel>, CalibrateError> {
    let mut rows: BTreeMap<String, Vec<([u64; 5], f64)>> = BTreeMap::new();
    for (model, tokens, cost) in records {
        let entry = rows.entry(model.to_string()).or_default();
        if let Some(c) = cost {
            entry.push((tokens, c));
        }
    }
    let mut out = BTreeMap::new();
    let mut missing = Vec::new();
    for (model, rows) in rows {
        let priced = match options.prices.get(&model) {
            Some(p) => Some(PricedModel {
                prices: *p,
                origin: PriceOrigin::CommandLine,
            }),
            None => prices_from_costs(&rows)
                .or_else(|| {
                    options
                        .catalog
                        .as_ref()
                        .and_then(|c| prices_from_catalog(c, &model))
                })
                .map(|(prices, origin)| PricedModel { prices, origin }),
        };
        match priced {
            Some(p) => {
                out.insert(model, p);
            }
            None => missing.push(model),
        }
    }
    if missing.is_empty() {
        Ok(out)
    } else {
        Err(CalibrateError::MissingPrices(missing))
    }
}

/// The mix-weighted price of a prompt token and of an output token over `tasks`.
fn blend(tasks: &[TaskRecord], prices: &BTreeMap<String, PricedModel>) -> PricedModel {
    let (mut prompt_cost, mut prompt, mut out_cost, mut out) = (0.0, 0.0, 0.0, 0.0);
    for t in tasks {
        let p = prices[&t.model].prices;
        prompt_cost += p.cost_of(&[t.input, 0, t.cache_write, t.cache_read, t.cache_write_1h]);
        prompt += (t.input + t.cache_write + t.cache_read + t.cache_write_1h) as f64;
        out_cost += p.cost(0, t.output, 0, 0);
        out += t.output as f64;
    }
    let per_m = |c: f64, n: f64| if n > 0.0 { c * 1e6 / n } else { 0.0 };
    PricedModel {
        prices: Prices {
            input: per_m(prompt_cost, prompt),
            output: per_m(out_cost, out),
            cache_write: 0.0,
            cache_read: 0.0,
            cache_write_1h: 0.0,
        },
        origin: PriceOrigin::Blended {
            from: prices.keys().cloned().collect(),
        },
    }
}
