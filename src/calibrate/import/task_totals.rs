//! Per-task totals without token counts: one row per task with its cost and, optionally, its
//! calls, its outcome and its model (`task_id, cost, calls?, resolved?, model?`), as benchmark
//! harnesses publish them. Such a file is fitted by simulated moments
//! (`calibrate::task_totals`), not by the token fits.
//!
//! Headers: the `--columns` mapping if it names the field, else the default header, else a
//! common alias (`cost` or `instance_cost` for `cost_usd`, `resolved` for `success`,
//! `instance_id` for `task_id`). A row that cannot be read refuses the whole file at its line:
//! the fit's data are the tasks themselves, and one left out would bias them without a word.

use std::path::Path;

use super::columns::{Column, ColumnMap};
use super::csv_rows::import_rows;
use super::{ImportError, ImportReport, parse_cost, parse_success, parse_tokens};

/// One task's totals.
#[derive(Debug, Clone, PartialEq)]
pub struct TaskTotal {
    /// The task id.
    pub task: String,
    /// The model, if the file names one.
    pub model: Option<String>,
    /// Cost in USD.
    pub cost: f64,
    /// Calls, if known.
    pub calls: Option<u64>,
    /// Whether the task succeeded (was resolved), if known.
    pub success: Option<bool>,
}

const fn col(field: &'static str, default_header: &'static str, required: bool) -> Column {
    Column {
        field,
        default_header,
        required,
    }
}

/// Fields of a per-task totals CSV.
const TOTALS_COLUMNS: &[Column] = &[
    col("task", "task_id", true),
    col("model", "model", false),
    col("cost", "cost_usd", true),
    col("calls", "calls", false),
    col("success", "success", false),
];

/// Aliases tried, in order, when neither the mapping nor the default header is present.
const ALIASES: &[(&str, &[&str])] = &[
    ("task", &["instance_id"]),
    ("cost", &["cost", "instance_cost", "total_cost"]),
    ("success", &["resolved"]),
];

/// Token fields whose presence makes a per-task CSV one with token counts.
const TOKEN_FIELDS: &[(&str, &str)] = &[("input", "input_tokens"), ("output", "output_tokens")];

fn headers(line: &str) -> Vec<String> {
    line.trim_end()
        .split(',')
        .map(|h| h.trim().trim_matches('"').to_string())
        .collect()
}

/// Whether a CSV header line is one of per-task totals: it has neither token column (input
/// or output tokens, as mapped) and has a cost or calls column (as mapped, or an alias).
pub fn is_totals_header(columns: &ColumnMap, header_line: &str) -> bool {
    let found = headers(header_line);
    let has = |h: &str| found.iter().any(|f| f == h);
    let tokens = TOKEN_FIELDS
        .iter()
        .any(|(field, default)| has(columns.header_of(field, default)));
    let cost = has(columns.header_of("cost", "cost_usd"))
        || ALIASES
            .iter()
            .filter(|(f, _)| *f == "cost")
            .flat_map(|(_, a)| a.iter())
            .any(|a| has(a));
    !tokens && (cost || has(columns.header_of("calls", "calls")))
}

/// Reads a per-task totals CSV. Every row must read (else the file is refused at the line),
/// task ids must be distinct, and costs non-negative and finite.
pub fn import_task_totals(
    path: &Path,
    columns: &ColumnMap,
) -> Result<(Vec<TaskTotal>, ImportReport), ImportError> {
    let file = path.display().to_string();
    let line = super::read_header_line(path)?;
    let found = headers(&line);
    let mut map = columns.clone();
    for (field, aliases) in ALIASES {
        let default = TOTALS_COLUMNS
            .iter()
            .find(|c| c.field == *field)
            .map_or("", |c| c.default_header);
        let wanted = columns.header_of(field, default);
        if found.iter().any(|f| f == wanted) {
            continue;
        }
        if let Some(alias) = aliases.iter().find(|a| found.iter().any(|f| f == *a)) {
            map = map.or_header(field, alias);
        }
    }
    let (records, report) = import_rows(path, &map, TOTALS_COLUMNS, parse_row)?;
    if let Some(bad) = report.malformed.first() {
        return Err(ImportError::Row {
            file,
            line: bad.line,
            message: format!(
                "{} (a per-task totals file is fitted whole: mend or remove the row)",
                bad.reason
            ),
        });
    }
    let mut seen = std::collections::HashMap::new();
    for (line, r) in &records {
        if let Some(first) = seen.insert(r.task.as_str(), *line) {
            return Err(ImportError::Row {
                file,
                line: *line,
                message: format!(
                    "task: `{}` again (first on line {first}); a per-task file holds one row per task",
                    crate::text::clip(&r.task, 60)
                ),
            });
        }
    }
    Ok((records.into_iter().map(|(_, r)| r).collect(), report))
}

fn parse_row(row: &csv::StringRecord, idx: &[Option<usize>]) -> Result<TaskTotal, String> {
    let text = |i: usize| -> Result<Option<&str>, String> {
        match idx[i] {
            None => Ok(None),
            Some(j) => row.get(j).map(Some).ok_or_else(|| {
                format!(
                    "{}: expected {} fields, found {}",
                    TOTALS_COLUMNS[i].field,
                    j + 1,
                    row.len()
                )
            }),
        }
    };
    let optional = |i: usize| -> Result<Option<&str>, String> {
        Ok(text(i)?.map(str::trim).filter(|v| !v.is_empty()))
    };
    let required = |i: usize| -> Result<&str, String> {
        optional(i)?.ok_or_else(|| {
            format!(
                "{}: expected a value, found an empty field",
                TOTALS_COLUMNS[i].field
            )
        })
    };
    let calls = optional(3)?.map(|v| parse_tokens("calls", v)).transpose()?;
    if calls == Some(0) {
        return Err("calls: expected at least 1 call per task, found 0".into());
    }
    Ok(TaskTotal {
        task: required(0)?.to_string(),
        model: optional(1)?.map(str::to_string),
        cost: parse_cost("cost", required(2)?)?,
        calls,
        success: optional(4)?
            .map(|v| parse_success(v).map_err(|e| format!("success: {e}")))
            .transpose()?,
    })
}
