//! Importers of usage logs: per-call records grouped into tasks, or per-task totals.
//!
//! Every line that cannot be read is reported with its file and line, skipped and counted;
//! lines that are read but are not calls (a user message, a sub-agent's call, a duplicate of a
//! call already read) are counted by reason. Nothing is dropped without a count.

mod call_csv;
mod claude_code;
mod codex;
mod columns;
mod csv_rows;
mod gemini;
mod json_doc;
mod openhands;
mod otlp;
mod task_csv;
mod task_totals;

use std::collections::BTreeMap;
use std::path::Path;

use serde::Serialize;

pub use call_csv::import_call_csv;
pub use claude_code::import_claude_code;
pub use codex::import_codex;
pub use columns::{CALL_COLUMNS, ColumnMap, TASK_COLUMNS};
pub use gemini::import_gemini;
pub use openhands::import_openhands;
pub use otlp::import_otlp;
pub use task_csv::import_task_csv;
pub use task_totals::{TaskTotal, import_task_totals, is_totals_header};

/// One LLM request as a log records it. Token counts are by tokencast's token kinds: every
/// prompt token is exactly one of `input` (uncached), `cache_read`, `cache_write` (5-minute
/// TTL) or `cache_write_1h`; `output` is the visible output that joins the context and
/// `reasoning` the reasoning tokens, billed as output but not kept in the context.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct CallRecord {
    /// The task (session) it belongs to.
    pub task: String,
    /// The sub-agent that made the call, within its parent's task (`None`: the main thread).
    pub agent: Option<String>,
    /// The user who ran the task, when the log says.
    pub user: Option<String>,
    /// When it happened (ISO 8601 text; ordered as text), if known.
    pub timestamp: Option<String>,
    /// The model name as logged.
    pub model: String,
    /// Uncached prompt tokens.
    pub input: u64,
    /// Visible output tokens (reasoning excluded).
    pub output: u64,
    /// Reasoning tokens (billed as output, not kept in the context).
    pub reasoning: u64,
    /// Prompt tokens read from the cache.
    pub cache_read: u64,
    /// Prompt tokens written to the cache at the 5-minute TTL (or a TTL the log does not state).
    pub cache_write: u64,
    /// Prompt tokens written to the cache at the 1-hour TTL.
    pub cache_write_1h: u64,
    /// Cost in USD, if the log gives one.
    pub cost: Option<f64>,
    /// Whether the task succeeded, if the log says.
    pub success: Option<bool>,
}

impl CallRecord {
    /// The whole prompt: uncached, cache-read and cache-written tokens (both TTLs).
    pub fn prompt(&self) -> u64 {
        self.input + self.cache_read + self.cache_write + self.cache_write_1h
    }

    /// Token counts by priced kind, in the order of [`crate::calibrate::Prices::cost_of`]:
    /// input, output (visible + reasoning, both at the output price), cache write (5 min),
    /// cache read, cache write (1 h).
    pub fn priced_kinds(&self) -> [u64; 5] {
        [
            self.input,
            self.output + self.reasoning,
            self.cache_write,
            self.cache_read,
            self.cache_write_1h,
        ]
    }
}

/// One task's totals as a per-task log records them.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct TaskRecord {
    /// The task id.
    pub task: String,
    /// The model name as logged.
    pub model: String,
    /// Uncached prompt tokens.
    pub input: u64,
    /// Output tokens.
    pub output: u64,
    /// Prompt tokens read from the cache.
    pub cache_read: u64,
    /// Prompt tokens written to the cache (5-minute TTL, or a TTL the log does not state).
    pub cache_write: u64,
    /// Prompt tokens written to the cache at the 1-hour TTL.
    pub cache_write_1h: u64,
    /// Calls, if known.
    pub calls: Option<u64>,
    /// Cost in USD, if known.
    pub cost: Option<f64>,
    /// Success, if known.
    pub success: Option<bool>,
}

/// A line that could not be read.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct SkippedLine {
    /// The file.
    pub file: String,
    /// The 1-based line (for CSV: the record's line).
    pub line: u64,
    /// Why.
    pub reason: String,
}

impl std::fmt::Display for SkippedLine {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{}:{}: {}", self.file, self.line, self.reason)
    }
}

/// What an import read, skipped and set aside, per file.
#[derive(Debug, Clone, Default, PartialEq, Serialize)]
pub struct ImportReport {
    /// Files read.
    pub files: Vec<String>,
    /// Lines (or CSV records) read, blank lines excluded.
    pub lines: u64,
    /// Records imported.
    pub records: u64,
    /// Lines that could not be read, with file, line and reason.
    pub malformed: Vec<SkippedLine>,
    /// Lines read but not imported as records, counted by reason.
    pub set_aside: BTreeMap<String, u64>,
    /// Records imported that sub-agents made, attributed to their parent's task.
    pub sub_agent_calls: u64,
    /// Records imported under an assumption the log left open, counted by assumption.
    pub assumed: BTreeMap<String, u64>,
}

impl TaskRecord {
    /// Token counts by priced kind (see [`CallRecord::priced_kinds`]).
    pub fn priced_kinds(&self) -> [u64; 5] {
        [
            self.input,
            self.output,
            self.cache_write,
            self.cache_read,
            self.cache_write_1h,
        ]
    }
}

impl ImportReport {
    /// Adds another file's report.
    pub fn merge(&mut self, other: ImportReport) {
        self.files.extend(other.files);
        self.lines += other.lines;
        self.records += other.records;
        self.sub_agent_calls += other.sub_agent_calls;
        self.malformed.extend(other.malformed);
        for (k, v) in other.set_aside {
            *self.set_aside.entry(k).or_default() += v;
        }
        for (k, v) in other.assumed {
            *self.assumed.entry(k).or_default() += v;
        }
    }

    pub(crate) fn assumed(&mut self, what: &str) {
        *self.assumed.entry(what.to_string()).or_default() += 1;
    }

    pub(crate) fn set_aside(&mut self, reason: &str) {
        *self.set_aside.entry(reason.to_string()).or_default() += 1;
    }

    pub(crate) fn malformed(&mut self, file: &str, line: u64, reason: String) {
        self.malformed.push(SkippedLine {
            file: file.to_string(),
            line,
            reason,
        });
    }
}

/// A file that could not be opened or read at all.
#[derive(Debug, thiserror::Error)]
pub enum ImportError {
    /// An I/O error.
    #[error("{file}: {message}")]
    Io {
        /// The file.
        file: String,
        /// What went wrong.
        message: String,
    },
    /// The header lacks a column or names an unknown one.
    #[error("{file}:1: {message}")]
    Header {
        /// The file.
        file: String,
        /// What went wrong.
        message: String,
    },
    /// A row of a per-task totals file that cannot be read: the file is refused (a task left
    /// out would bias the fitted distribution without a word).
    #[error("{file}:{line}: {message}")]
    Row {
        /// The file.
        file: String,
        /// The 1-based line.
        line: u64,
        /// What is wrong, with the field, expected and found.
        message: String,
    },
    /// CSV rows whose token columns are all 0 carry a cost: the fits draw tokens and price
    /// them, so they cannot reproduce that cost (they would fit a $0 task).
    #[error(
        "{file}:{line}: the token columns (input, output, cache read, cache write) are all 0 but the cost is {cost} USD, in {rows} of {total} rows: a fit draws tokens and prices them, so it cannot use a cost without tokens (it would fit a $0 scenario); give the token counts (`--columns input=HEADER,output=HEADER` if they are under other names). To fit from cost (and calls) alone, leave the token columns out of the file: it is then read as per-task totals"
    )]
    CostWithoutTokens {
        /// The file.
        file: String,
        /// The first such row's line.
        line: u64,
        /// Its cost in USD.
        cost: String,
        /// How many rows are so.
        rows: usize,
        /// Rows imported from the file.
        total: usize,
    },
}

/// Refuses a CSV with records (line, tokens, cost) that carry a positive cost but no token:
/// the fits price drawn tokens, so that cost would vanish from the fitted scenario. Names the
/// first such record's line and how many there are.
pub(crate) fn refuse_cost_without_tokens(
    path: &Path,
    records: impl Iterator<Item = (u64, u64, Option<f64>)>,
) -> Result<(), ImportError> {
    let (mut first, mut rows, mut total) = (None, 0, 0);
    for (line, tokens, cost) in records {
        total += 1;
        if let Some(c) = cost.filter(|&c| tokens == 0 && c > 0.0) {
            rows += 1;
            first.get_or_insert((line, c));
        }
    }
    match first {
        None => Ok(()),
        Some((line, cost)) => Err(ImportError::CostWithoutTokens {
            file: path.display().to_string(),
            line,
            cost: crate::scenario::number(cost),
            rows,
            total,
        }),
    }
}

/// Reads a log as text. A line that is not UTF-8 is skipped like any other malformed line (it
/// is returned, placed at its line and column, and left empty in the text so that the other
/// lines keep their numbers): one bad byte does not reject the whole log.
pub(crate) fn read_text(path: &Path) -> Result<(String, Vec<SkippedLine>), ImportError> {
    let file = path.display().to_string();
    let bytes = crate::input::read_bytes(path, crate::input::MAX_LOG_BYTES).map_err(|e| {
        ImportError::Io {
            file: file.clone(),
            message: e.reason(),
        }
    })?;
    let bytes = bytes.strip_prefix("\u{feff}".as_bytes()).unwrap_or(&bytes);
    if let Ok(text) = std::str::from_utf8(bytes) {
        return Ok((text.to_string(), Vec::new()));
    }
    let mut text = String::with_capacity(bytes.len());
    let mut bad = Vec::new();
    for (i, line) in bytes.split_inclusive(|&b| b == b'\n').enumerate() {
        match std::str::from_utf8(line) {
            Ok(l) => text.push_str(l),
            Err(e) => {
                let at = e.valid_up_to();
                let column = String::from_utf8_lossy(&line[..at]).chars().count() + 1;
                bad.push(SkippedLine {
                    file: file.clone(),
                    line: i as u64 + 1,
                    reason: format!(
                        "not UTF-8 text: byte 0x{:02X} at column {column} (save the file as UTF-8)",
                        line[at]
                    ),
                });
                if line.ends_with(b"\n") {
                    text.push('\n');
                }
            }
        }
    }
    Ok((text, bad))
}

/// The first `max` bytes of a file as text (cut back to a character boundary; bad bytes
/// replaced), for telling its format.
pub(crate) fn read_head(path: &Path, max: usize) -> Result<String, ImportError> {
    use std::io::Read;
    let io = |e: String| ImportError::Io {
        file: path.display().to_string(),
        message: e,
    };
    crate::input::regular_file_size(path).map_err(|e| io(e.reason()))?;
    let file = std::fs::File::open(path).map_err(|e| io(e.to_string()))?;
    let mut bytes = Vec::new();
    file.take(max as u64)
        .read_to_end(&mut bytes)
        .map_err(|e| io(e.to_string()))?;
    Ok(String::from_utf8_lossy(&bytes).into_owned())
}

/// The first line of a file (a CSV header).
pub(crate) fn read_header_line(path: &Path) -> Result<String, ImportError> {
    use std::io::BufRead;
    // Refuse a FIFO or a device before opening it (opening a FIFO blocks).
    crate::input::regular_file_size(path).map_err(|e| ImportError::Io {
        file: path.display().to_string(),
        message: e.reason(),
    })?;
    let file = std::fs::File::open(path).map_err(|e| ImportError::Io {
        file: path.display().to_string(),
        message: e.to_string(),
    })?;
    let mut line = String::new();
    std::io::BufReader::new(file)
        .read_line(&mut line)
        .map_err(|e| ImportError::Io {
            file: path.display().to_string(),
            message: e.to_string(),
        })?;
    Ok(line)
}

/// Parses a success flag: true/false, yes/no, 1/0, pass/fail, success/failure (any case).
pub(crate) fn parse_success(text: &str) -> Result<bool, String> {
    match text.trim().to_ascii_lowercase().as_str() {
        "true" | "yes" | "1" | "pass" | "passed" | "success" | "ok" => Ok(true),
        "false" | "no" | "0" | "fail" | "failed" | "failure" => Ok(false),
        other => Err(format!(
            "expected a success flag (true/false, yes/no, 1/0), found `{}`",
            crate::text::clip(other, 40)
        )),
    }
}

/// Most calls one imported task may have: far above any agent task, and a bound on the work
/// and memory the fits spend on a count.
pub const MAX_CALLS_PER_TASK: u64 = 1_000_000;

/// Parses a token count: a non-negative integer (a trailing `.0` is accepted) of at most
/// [`crate::scenario::MAX_TOKENS_PER_DRAW`], the most a scenario's draw may hold, so that no
/// count is imported that the fitted scenario would then reject.
pub(crate) fn parse_tokens(field: &str, text: &str) -> Result<u64, String> {
    let t = text.trim();
    let v = match t.parse::<u64>() {
        Ok(v) => Some(v),
        Err(_) => match t.parse::<f64>() {
            Ok(v) if v >= 0.0 && v.fract() == 0.0 && v < 1.8e19 => Some(v as u64),
            _ => None,
        },
    };
    let what = if field == "calls" { "calls" } else { "tokens" };
    match v {
        None => Err(format!(
            "{field}: expected a non-negative whole number of {what}, found `{}`",
            crate::text::clip(t, 40)
        )),
        Some(v) => check_count(field, v),
    }
}

/// A count within the bounds of its field: calls per task at most [`MAX_CALLS_PER_TASK`],
/// tokens at most [`crate::scenario::MAX_TOKENS_PER_DRAW`].
pub(crate) fn check_count(field: &str, v: u64) -> Result<u64, String> {
    let (max, what) = if field == "calls" {
        (MAX_CALLS_PER_TASK, "calls per task")
    } else {
        (
            crate::scenario::MAX_TOKENS_PER_DRAW,
            "tokens (the most a scenario's draw may hold)",
        )
    };
    if v > max {
        return Err(format!("{field}: {v} is above the {max} {what}"));
    }
    Ok(v)
}

/// Largest cost one imported record may have (USD): far above any call or task.
pub const MAX_RECORD_COST_USD: f64 = 1e9;

/// Parses a cost in USD: a finite non-negative number of at most [`MAX_RECORD_COST_USD`].
pub(crate) fn parse_cost(field: &str, text: &str) -> Result<f64, String> {
    match text.trim().parse::<f64>() {
        Ok(v) if v.is_finite() && v > MAX_RECORD_COST_USD => Err(format!(
            "{field}: {} is above the {} USD one record may cost",
            crate::scenario::number(v),
            crate::scenario::number(MAX_RECORD_COST_USD)
        )),
        Ok(v) if v.is_finite() && v >= 0.0 => Ok(v),
        _ => Err(format!(
            "{field}: expected a non-negative cost in USD, found `{}`",
            crate::text::clip(text.trim(), 40)
        )),
    }
}
