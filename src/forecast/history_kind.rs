//! History as a task kind: `[[tasks]] history = "logs/"` resamples logged tasks instead of
//! simulating a task scenario (DESIGN.md §7, "history in, history out").
//!
//! The logs are read by the calibration importers (every format `tokencast calibrate` reads),
//! calls grouped into tasks by task id. Each logged task keeps its tokens per model and token
//! kind, and is priced by the bundled price catalog exactly as a simulated task's usage is:
//! each call at the rates of its prompt-length tier (a per-task CSV has no per-call prompt:
//! base rates), reasoning at the reasoning rate, batch cost at the catalog's batch rates. The
//! logged tasks then form the kind's [`TaskPool`]: a forecast month draws its tasks uniformly
//! with replacement from it, from the trial's own stream, and the large-count aggregation uses
//! the pool's moments, which are the exact moments of the empirical distribution. Drifts,
//! every billing scheme, limits, FOCUS SKUs (per model and token kind) and the report follow.
//!
//! Bounds: at most [`MAX_HISTORY_FILES`] files and [`MAX_HISTORY_TASKS`] logged tasks per
//! kind (each file at most [`crate::input::MAX_LOG_BYTES`]). Any line the importer cannot
//! read refuses the kind at its `file:line` (calibrate skips such lines; a forecast that
//! resamples the tasks would silently lose them).

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex};

use super::model::{CatalogOrigin, ModelRates};
use super::pool::{Extra, ModelMeans, TaskPool};
use super::spec::TaskMixSpec;
use crate::calibrate::{CalibrateError, ImportError, LogFormat, Logs, import_logs};
use crate::pricing::catalog::PriceCatalog;
use crate::pricing::{ModelPrices, TokenKind, tier_of};
use crate::scenario::parse::Source;
use crate::scenario::{Diagnostic, FieldPath, Location, ScenarioError};

/// Most logged tasks one history kind may hold.
pub const MAX_HISTORY_TASKS: usize = 1_000_000;
/// Most log files one history kind may read.
pub const MAX_HISTORY_FILES: usize = 10_000;
/// Deepest directory level read below a history directory.
const MAX_DEPTH: usize = 8;
/// History kinds remembered for the rest of the process (stress cases reload the forecast).
const MEMO: usize = 16;

/// Every format's flag, in the order `--format` lists them.
const FORMATS: [LogFormat; 7] = [
    LogFormat::ClaudeCode,
    LogFormat::Codex,
    LogFormat::Gemini,
    LogFormat::Openhands,
    LogFormat::Otlp,
    LogFormat::CallsCsv,
    LogFormat::TasksCsv,
];

/// What a history kind was made from, for people (`validate`, the report).
#[derive(Debug, Clone, PartialEq)]
pub struct HistorySource {
    /// The `history` path as written.
    pub path: String,
    /// The formats read, by flag (`claude-code`, `tasks-csv`, ...), in order.
    pub formats: Vec<String>,
    /// Files read.
    pub files: usize,
    /// Logged tasks (the pool).
    pub tasks: usize,
    /// Calls in them (per-task logs: their `calls` column, 1 when empty).
    pub calls: u64,
    /// Mean list cost per task, priced by the catalog.
    pub mean_cost: f64,
    /// 90th percentile (nearest rank) of the list cost per task.
    pub p90_cost: f64,
    /// Mean logged cost per task, when every task logs one.
    pub logged_mean_cost: Option<f64>,
    /// Each model: the catalog name and the logged names mapped to it.
    pub models: Vec<(String, Vec<String>)>,
    /// Log lines left out because they could not be read (`malformed = "skip"`).
    pub skipped_lines: usize,
}

impl HistorySource {
    /// In words: `resampled from 1,234 logged tasks (claude-code logs in logs/), mean $0.42
    /// per task, P90 $1.10`.
    pub fn words(&self) -> String {
        let skipped = match self.skipped_lines {
            0 => String::new(),
            1 => "; 1 unreadable line left out".to_string(),
            n => format!(
                "; {} unreadable lines left out",
                crate::text::thousands(n as f64)
            ),
        };
        format!(
            "resampled from {} logged task{} ({} logs in {}{skipped}), mean ${} per task, P90 ${}",
            crate::text::thousands(self.tasks as f64),
            if self.tasks == 1 { "" } else { "s" },
            self.formats.join(" and "),
            self.path,
            dollars(self.mean_cost),
            dollars(self.p90_cost)
        )
    }
}

/// Dollars per task: cents below $100, with thousands separators.
fn dollars(v: f64) -> String {
    if v.abs() >= 100.0 {
        crate::text::thousands(v)
    } else if v.abs() >= 0.01 || v == 0.0 {
        format!("{v:.2}")
    } else {
        format!("{v:.4}")
    }
}

/// A compiled history kind: its pool, its models' rates, and what it was made from.
#[derive(Debug, Clone)]
pub struct HistoryKind {
    /// The logged tasks, priced.
    pub pool: TaskPool,
    /// Each model's rates and catalog entry (the report's rate card).
    pub rates: Vec<ModelRates>,
    /// What it was made from.
    pub source: HistorySource,
}

/// One logged task's usage: per model (index into the kind's models), tokens by
/// [`TokenKind::index`], list and batch cost by kind; and its calls.
#[derive(Default)]
struct TaskUsage {
    cost: f64,
    batch: f64,
    tokens: f64,
    output: f64,
    calls: f64,
    logged_cost: Option<f64>,
}

/// Loads `[[tasks]]` entry `spec` (at `path` in the forecast file) as a history kind; `dir` is
/// the forecast file's directory.
pub fn load(
    spec: &TaskMixSpec,
    history: &str,
    path: &FieldPath,
    source: &Source,
    dir: &Path,
    catalog: &PriceCatalog,
) -> Result<HistoryKind, ScenarioError> {
    let at = |key: &str, message: String, help: Option<String>| {
        source.error_at(path.key(key), message, help)
    };
    let format = match &spec.format {
        None => None,
        Some(f) => Some(
            FORMATS
                .iter()
                .copied()
                .find(|x| x.flag() == f)
                .ok_or_else(|| {
                    let flags: Vec<&str> = FORMATS.iter().map(|x| x.flag()).collect();
                    at(
                        "format",
                        format!(
                            "unknown log format `{f}`: expected one of {}",
                            crate::text::backticked(flags.iter().copied())
                        ),
                        crate::text::did_you_mean(f, flags.iter().copied())
                            .map(|s| format!("did you mean `{s}`?")),
                    )
                })?,
        ),
    };
    let files = resolve(&dir.join(history)).map_err(|m| {
        at(
            "history",
            format!("cannot read the logs {}: {m}", dir.join(history).display()),
            Some("give a log file, a directory of logs, or a pattern such as \"logs/*.jsonl\", relative to the forecast file".into()),
        )
    })?;
    let key = memo_key(
        &files,
        format,
        &spec.models,
        &format!("{history}|{:?}", spec.malformed),
    );
    if let Some(k) = memo_get(&key) {
        return Ok(k);
    }
    let refs: Vec<&Path> = files.iter().map(PathBuf::as_path).collect();
    let columns = crate::calibrate::ColumnMap::default();
    let (logs, report) = import_logs(&refs, format, &columns).map_err(|e| match e {
        CalibrateError::Import(ImportError::CostWithoutTokens {
            file, line, cost, ..
        }) => in_log(
            &file,
            line,
            path,
            format!(
                "the token columns are all 0 but the cost is {cost} USD: a history task kind prices each task's tokens by the catalog (so that drifts and every billing scheme apply), and a cost without tokens cannot be priced"
            ),
            Some("give the token counts of each row (input, output, cache read, cache write), or use a task scenario fitted with `tokencast calibrate`".into()),
        ),
        CalibrateError::Import(ImportError::Header { file, message }) => {
            in_log(&file, 1, path, message, None)
        }
        other => at("history", other.to_string(), None),
    })?;
    let skip = spec.malformed == Some(super::spec::MalformedLines::Skip);
    if let Some(first) = report.malformed.first().filter(|_| !skip) {
        let more = report.malformed.len() - 1;
        return Err(in_log(
            &first.file,
            first.line,
            path,
            format!("cannot read this line of the logs: {}", first.reason),
            Some(format!(
                "fix or remove the line{}, or set `malformed = \"skip\"` to leave such lines out: a history task kind resamples every logged task, so by default it reads no log with lines it cannot read",
                if more > 0 {
                    format!(
                        " ({more} more such line{} follow)",
                        if more == 1 { "" } else { "s" }
                    )
                } else {
                    String::new()
                }
            )),
        ));
    }
    let mut formats: Vec<String> = Vec::new();
    for f in &files {
        let fmt = match format {
            Some(x) => x,
            None => {
                LogFormat::detect(f, &columns).map_err(|e| at("history", e.to_string(), None))?
            }
        };
        if !formats.iter().any(|x| x == fmt.flag()) {
            formats.push(fmt.flag().to_string());
        }
    }
    if let Logs::Totals(totals) = &logs {
        return Err(at(
            "history",
            format!(
                "{} is a per-task file of costs without token counts ({} tasks): a history task \
                 kind prices each task's tokens by the catalog (so that drifts and every billing \
                 scheme apply), and a cost without tokens cannot be priced",
                history,
                crate::text::thousands(totals.len() as f64)
            ),
            Some(
                "fit a scenario from it with `tokencast calibrate FILE -o task.toml` (it fits \
                 an agent loop to the costs and calls) and give that as the kind's `scenario`, \
                 or give the logs with their token counts"
                    .into(),
            ),
        ));
    }
    // Each task as (id, calls as (model, tokens by kind, prompt), calls, logged cost).
    let tasks = logged_tasks(logs);
    if tasks.is_empty() {
        return Err(at(
            "history",
            format!(
                "expected logged tasks, found none in {} file{} ({} lines read)",
                files.len(),
                if files.len() == 1 { "" } else { "s" },
                report.lines
            ),
            Some("check `format`: the files may be of another agent's format".into()),
        ));
    }
    if tasks.len() > MAX_HISTORY_TASKS {
        return Err(at(
            "history",
            format!(
                "expected at most {} logged tasks, found {}",
                crate::text::thousands(MAX_HISTORY_TASKS as f64),
                crate::text::thousands(tasks.len() as f64)
            ),
            Some("give a sample of the logs (a directory or a pattern that holds fewer files): a million tasks pin the distribution far beyond what a forecast resolves".into()),
        ));
    }
    // Models: logged names mapped to catalog entries; one model per entry.
    let mut logged_to_model: BTreeMap<String, usize> = BTreeMap::new();
    let mut models: Vec<(String, ModelPrices, Vec<String>)> = Vec::new();
    for t in &tasks {
        for c in &t.calls {
            if logged_to_model.contains_key(&c.model) {
                continue;
            }
            let entry = catalog_entry(&c.model, &spec.models, catalog).ok_or_else(|| {
                unknown_model(
                    &c.model,
                    &t.id,
                    history,
                    &spec.models,
                    catalog,
                    path,
                    source,
                )
            })?;
            let prices = catalog
                .get(&entry)
                .and_then(|e| e.to_model_prices())
                .ok_or_else(|| {
                    at(
                        "history",
                        format!(
                            "the price catalog's `{entry}` (logged as `{}`) states no input and output rates",
                            c.model
                        ),
                        Some(format!("map it to another model: models = {{ \"{}\" = \"...\" }}", c.model)),
                    )
                })?;
            let m = match models.iter().position(|(n, _, _)| *n == entry) {
                Some(m) => m,
                None => {
                    models.push((entry.clone(), prices, Vec::new()));
                    models.len() - 1
                }
            };
            models[m].2.push(c.model.clone());
            logged_to_model.insert(c.model.clone(), m);
        }
    }
    let k = TokenKind::COUNT;
    let mut cost = Vec::with_capacity(tasks.len());
    let mut tokens = Vec::with_capacity(tasks.len());
    let mut extra = Vec::with_capacity(tasks.len() * Extra::COUNT);
    let mut model_tokens = vec![0.0; models.len() * k];
    let mut model_cost = vec![0.0; models.len() * k];
    let mut logged_total = Some(0.0);
    let mut calls_total = 0u64;
    for t in &tasks {
        let mut u = TaskUsage {
            calls: t.call_count as f64,
            logged_cost: t.logged_cost,
            ..TaskUsage::default()
        };
        for c in &t.calls {
            let m = logged_to_model[&c.model];
            let prices = &models[m].1;
            let tier = tier_of(&prices.tier_thresholds(), c.prompt);
            for kind in TokenKind::ALL {
                let n = c.tokens[kind.index()] as f64;
                if n == 0.0 {
                    continue;
                }
                let list = n * prices.tier_rate(tier, kind) / 1e6;
                let batch = match &prices.batch_per_mtok {
                    Some(b) => n * b[kind.index()] / 1e6,
                    None => list,
                };
                u.cost += list;
                u.batch += batch;
                u.tokens += n;
                if matches!(kind, TokenKind::Output | TokenKind::Reasoning) {
                    u.output += n;
                }
                model_tokens[m * k + kind.index()] += n;
                model_cost[m * k + kind.index()] += list;
            }
        }
        calls_total += t.call_count;
        logged_total = match (logged_total, u.logged_cost) {
            (Some(a), Some(b)) => Some(a + b),
            _ => None,
        };
        cost.push(u.cost);
        tokens.push(u.tokens);
        extra.extend([u.batch, u.output, u.calls]);
    }
    let n = tasks.len() as f64;
    let mut sorted = cost.clone();
    sorted.sort_by(f64::total_cmp);
    let p90 = sorted[((0.9 * n).ceil() as usize).clamp(1, sorted.len()) - 1];
    let mut pool = TaskPool::with_extras(cost, tokens, extra);
    pool.models = models
        .iter()
        .enumerate()
        .map(|(m, (name, _, _))| {
            let tokens = std::array::from_fn(|j| model_tokens[m * k + j] / n);
            let cost_by_kind: [f64; TokenKind::COUNT] =
                std::array::from_fn(|j| model_cost[m * k + j] / n);
            ModelMeans {
                name: name.clone(),
                id: name.clone(),
                cost: cost_by_kind.iter().sum(),
                tokens,
                cost_by_kind,
            }
        })
        .collect();
    let rates = models
        .iter()
        .map(|(name, prices, _)| ModelRates {
            name: name.clone(),
            prices: prices.clone(),
            catalog: catalog.get(name).map(|e| CatalogOrigin {
                name: name.clone(),
                source: e.source.clone(),
                as_of: e.as_of.clone(),
            }),
            inline: false,
        })
        .collect();
    let kind = HistoryKind {
        source: HistorySource {
            path: history.to_string(),
            formats,
            files: files.len(),
            tasks: tasks.len(),
            calls: calls_total,
            mean_cost: pool.stats.mean_cost,
            p90_cost: p90,
            logged_mean_cost: logged_total.map(|c| c / n),
            models: models.into_iter().map(|(n, _, l)| (n, l)).collect(),
            skipped_lines: report.malformed.len(),
        },
        pool,
        rates,
    };
    memo_put(key, &kind);
    Ok(kind)
}

/// One logged call as priced: its model as logged, tokens by [`TokenKind::index`], prompt.
struct PricedCall {
    model: String,
    tokens: [u64; TokenKind::COUNT],
    prompt: u64,
}

/// One logged task.
struct LoggedTask {
    id: String,
    calls: Vec<PricedCall>,
    call_count: u64,
    logged_cost: Option<f64>,
}

/// The logged tasks, in task id order (calls grouped by task; per-task rows of the same id
/// are one task, e.g. one row per model).
fn logged_tasks(logs: Logs) -> Vec<LoggedTask> {
    let mut out = Vec::new();
    match logs {
        // Refused by the caller: a cost without tokens cannot be priced.
        Logs::Totals(_) => {}
        Logs::Calls(calls) => {
            for t in crate::calibrate::group_calls(calls) {
                let logged_cost = t.calls.iter().map(|c| c.cost).sum::<Option<f64>>();
                out.push(LoggedTask {
                    id: t.id,
                    call_count: t.calls.len() as u64,
                    logged_cost,
                    calls: t
                        .calls
                        .iter()
                        .map(|c| {
                            let mut tokens = [0; TokenKind::COUNT];
                            tokens[TokenKind::Input.index()] = c.input;
                            tokens[TokenKind::CacheWrite.index()] = c.cache_write;
                            tokens[TokenKind::CacheWrite1h.index()] = c.cache_write_1h;
                            tokens[TokenKind::CacheRead.index()] = c.cache_read;
                            tokens[TokenKind::Output.index()] = c.output;
                            tokens[TokenKind::Reasoning.index()] = c.reasoning;
                            PricedCall {
                                model: c.model.clone(),
                                tokens,
                                prompt: c.prompt(),
                            }
                        })
                        .collect(),
                });
            }
        }
        Logs::Tasks(records) => {
            let mut by_id: BTreeMap<String, LoggedTask> = BTreeMap::new();
            for r in records {
                let t = by_id.entry(r.task.clone()).or_insert_with(|| LoggedTask {
                    id: r.task.clone(),
                    calls: Vec::new(),
                    call_count: 0,
                    logged_cost: Some(0.0),
                });
                let mut tokens = [0; TokenKind::COUNT];
                tokens[TokenKind::Input.index()] = r.input;
                tokens[TokenKind::CacheWrite.index()] = r.cache_write;
                tokens[TokenKind::CacheWrite1h.index()] = r.cache_write_1h;
                tokens[TokenKind::CacheRead.index()] = r.cache_read;
                tokens[TokenKind::Output.index()] = r.output;
                // No per-call prompt: base rates (prompt 0 is below every tier).
                t.calls.push(PricedCall {
                    model: r.model.clone(),
                    tokens,
                    prompt: 0,
                });
                t.call_count += r.calls.unwrap_or(1);
                t.logged_cost = t.logged_cost.zip(r.cost).map(|(a, b)| a + b);
            }
            out.extend(by_id.into_values());
        }
    }
    out
}

/// The catalog entry of a logged model: the mapping's, else the first of the names a logged
/// model may have in the catalog.
fn catalog_entry(
    logged: &str,
    mapping: &BTreeMap<String, String>,
    catalog: &PriceCatalog,
) -> Option<String> {
    if let Some(m) = mapping.get(logged) {
        return catalog.get(m).map(|_| m.clone());
    }
    crate::calibrate::catalog_names(logged)
        .into_iter()
        .find(|n| catalog.get(n).is_some())
}

/// A model the catalog does not know: its name, the task that first used it, and the
/// nearest known model.
fn unknown_model(
    logged: &str,
    task: &str,
    history: &str,
    mapping: &BTreeMap<String, String>,
    catalog: &PriceCatalog,
    path: &FieldPath,
    source: &Source,
) -> ScenarioError {
    let mapped = mapping.get(logged);
    let query = mapped.map_or(logged, String::as_str);
    // A likely typo first, then a partial name (`sonnet`), then the most similar name.
    let nearest = crate::text::did_you_mean(query, catalog.names())
        .or_else(|| catalog.matching(query).first().copied())
        .map(|s| s.to_string())
        .or_else(|| {
            catalog
                .names()
                .map(|n| (strsim::jaro_winkler(&query.to_lowercase(), n), n))
                .max_by(|a, b| a.0.total_cmp(&b.0))
                .map(|(_, n)| n.to_string())
        })
        .unwrap_or_default();
    match mapped {
        Some(m) => source.error_at(
            path.key("models").key(logged),
            format!(
                "unknown catalog model `{m}`: expected a model of the price catalog (`tokencast prices` lists them); the nearest known is `{nearest}`"
            ),
            Some(format!("did you mean `{nearest}`?")),
        ),
        None => source.error_at(
            path.key("history"),
            format!(
                "unknown model {logged:?} (task {task:?} of {history}): expected a model of the price catalog (`tokencast prices` lists them); the nearest known is `{nearest}`"
            ),
            Some(format!(
                "map the logged name to a catalog model: models = {{ {logged:?} = \"{nearest}\" }}"
            )),
        ),
    }
}

/// An error at `file:line` of a log (the line shown), under the forecast's `history` key.
fn in_log(
    file: &str,
    line: u64,
    path: &FieldPath,
    message: String,
    help: Option<String>,
) -> ScenarioError {
    let source_line = std::fs::read(file)
        .ok()
        .and_then(|b| {
            b.split(|&c| c == b'\n')
                .nth(line.saturating_sub(1) as usize)
                .map(|l| String::from_utf8_lossy(&l[..l.len().min(4096)]).into_owned())
        })
        .unwrap_or_default();
    ScenarioError::Invalid(Box::new(Diagnostic {
        file: file.to_string(),
        location: Some(Location {
            line: line.max(1) as usize,
            column: 1,
            width: source_line.chars().count().clamp(1, 80),
            source_line: source_line.trim_end_matches('\r').to_string(),
        }),
        path: path.key("history"),
        message,
        help,
    }))
}

/// The log files `path` names: the file; every `.jsonl`, `.json`, `.ndjson` and `.csv` file
/// below a directory (at most [`MAX_DEPTH`] levels down); or the files of a directory whose
/// names match a final component holding `*` or `?`. Sorted, at most [`MAX_HISTORY_FILES`].
fn resolve(path: &Path) -> Result<Vec<PathBuf>, String> {
    let name = path
        .file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_default();
    let mut files = Vec::new();
    if name.contains(['*', '?']) {
        let parent = path.parent().unwrap_or(Path::new("."));
        let entries =
            std::fs::read_dir(parent).map_err(|e| format!("{}: {e}", parent.display()))?;
        for e in entries.flatten() {
            let n = e.file_name().to_string_lossy().into_owned();
            if matches(&name, &n) && e.path().is_file() {
                files.push(e.path());
                check_count(files.len())?;
            }
        }
        if files.is_empty() {
            return Err("no file matches the pattern".into());
        }
    } else {
        let meta = std::fs::metadata(path).map_err(|e| e.to_string())?;
        if meta.is_dir() {
            walk(path, 0, &mut files)?;
            if files.is_empty() {
                return Err(
                    "the directory holds no .jsonl, .json, .ndjson or .csv file".to_string()
                );
            }
        } else {
            files.push(path.to_path_buf());
        }
    }
    files.sort();
    Ok(files)
}

fn check_count(n: usize) -> Result<(), String> {
    if n > MAX_HISTORY_FILES {
        Err(format!(
            "expected at most {} log files, found more",
            crate::text::thousands(MAX_HISTORY_FILES as f64)
        ))
    } else {
        Ok(())
    }
}

fn walk(dir: &Path, depth: usize, out: &mut Vec<PathBuf>) -> Result<(), String> {
    if depth > MAX_DEPTH {
        return Ok(());
    }
    let entries = std::fs::read_dir(dir).map_err(|e| format!("{}: {e}", dir.display()))?;
    let mut entries: Vec<PathBuf> = entries.flatten().map(|e| e.path()).collect();
    entries.sort();
    for p in entries {
        if p.is_dir() {
            walk(&p, depth + 1, out)?;
        } else if p.extension().is_some_and(|e| {
            let e = e.to_string_lossy().to_ascii_lowercase();
            matches!(e.as_str(), "jsonl" | "json" | "ndjson" | "csv")
        }) {
            out.push(p);
            check_count(out.len())?;
        }
    }
    Ok(())
}

/// Whether `name` matches `pattern` (`*`: any run of characters, `?`: one character).
fn matches(pattern: &str, name: &str) -> bool {
    let (p, n): (Vec<char>, Vec<char>) = (pattern.chars().collect(), name.chars().collect());
    // Iterative wildcard matching with one backtrack point (linear in practice).
    let (mut i, mut j, mut star, mut mark) = (0, 0, None, 0);
    while j < n.len() {
        if i < p.len() && (p[i] == '?' || p[i] == n[j]) {
            i += 1;
            j += 1;
        } else if i < p.len() && p[i] == '*' {
            star = Some(i);
            mark = j;
            i += 1;
        } else if let Some(s) = star {
            i = s + 1;
            mark += 1;
            j = mark;
        } else {
            return false;
        }
    }
    while i < p.len() && p[i] == '*' {
        i += 1;
    }
    i == p.len()
}

type MemoKey = (Vec<(PathBuf, u64, Option<std::time::SystemTime>)>, String);

fn memo() -> &'static Mutex<Vec<(MemoKey, Arc<HistoryKind>)>> {
    static MEMO_CELL: Mutex<Vec<(MemoKey, Arc<HistoryKind>)>> = Mutex::new(Vec::new());
    &MEMO_CELL
}

/// The files with their sizes and modification times, the format and the mapping: a history
/// kind is a pure function of them.
fn memo_key(
    files: &[PathBuf],
    format: Option<LogFormat>,
    models: &BTreeMap<String, String>,
    history: &str,
) -> MemoKey {
    let stamped = files
        .iter()
        .map(|f| {
            let meta = std::fs::metadata(f).ok();
            (
                f.clone(),
                meta.as_ref().map_or(0, |m| m.len()),
                meta.and_then(|m| m.modified().ok()),
            )
        })
        .collect();
    (
        stamped,
        format!("{:?}|{models:?}|{history}", format.map(LogFormat::flag)),
    )
}

fn memo_get(key: &MemoKey) -> Option<HistoryKind> {
    let memo = memo().lock().ok()?;
    memo.iter()
        .find(|(k, _)| k == key)
        .map(|(_, v)| HistoryKind::clone(v))
}

fn memo_put(key: MemoKey, kind: &HistoryKind) {
    if let Ok(mut memo) = memo().lock() {
        if memo.len() >= MEMO {
            memo.remove(0);
        }
        memo.push((key, Arc::new(kind.clone())));
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn patterns_match_as_shells_do() {
        assert!(matches("*.jsonl", "a.jsonl"));
        assert!(matches("rollout-*-x?.csv", "rollout-2025-x1.csv"));
        assert!(!matches("*.jsonl", "a.json"));
        assert!(matches("*", ""));
        assert!(!matches("a*b", "acd"));
        assert!(matches("a*b*c", "aXbYbZc"));
    }

    #[test]
    fn dollars_read_as_money() {
        assert_eq!(dollars(0.4213), "0.42");
        assert_eq!(dollars(0.004213), "0.0042");
        assert_eq!(dollars(12345.6), "12,346");
    }
}
