//! The generic per-task CSV: one row per task (task id, model, tokens by kind; optional calls,
//! cost and success), for data that has only task totals.

use std::path::Path;

use super::columns::{ColumnMap, TASK_COLUMNS};
use super::{
    ImportError, ImportReport, TaskRecord, parse_cost, parse_success, parse_tokens, read_text,
};

/// Reads a per-task CSV.
pub fn import_task_csv(
    path: &Path,
    columns: &ColumnMap,
) -> Result<(Vec<TaskRecord>, ImportReport), ImportError> {
    let file = path.display().to_string();
    let text = read_text(path)?;
    let mut reader = csv::ReaderBuilder::new()
        .flexible(true)
        .from_reader(text.as_bytes());
    let header = reader.headers().map_err(|e| ImportError::Header {
        file: file.clone(),
        message: e.to_string(),
    })?;
    let idx = columns.resolve(&file, TASK_COLUMNS, &header.clone())?;
    let mut report = ImportReport {
        files: vec![file.clone()],
        ..ImportReport::default()
    };
    let mut tasks = Vec::new();
    for row in reader.records() {
        report.lines += 1;
        let row = match row {
            Ok(row) => row,
            Err(e) => {
                let line = e.position().map_or(0, |p| p.line());
                report.malformed(&file, line, format!("unreadable CSV record: {e}"));
                continue;
            }
        };
        let line = row.position().map_or(0, |p| p.line());
        match parse_row(&row, &idx) {
            Ok(task) => {
                report.records += 1;
                tasks.push(task);
            }
            Err(reason) => report.malformed(&file, line, reason),
        }
    }
    Ok((tasks, report))
}

fn parse_row(row: &csv::StringRecord, idx: &[Option<usize>]) -> Result<TaskRecord, String> {
    let text = |i: usize| -> Result<Option<&str>, String> {
        match idx[i] {
            None => Ok(None),
            Some(j) => row.get(j).map(Some).ok_or_else(|| {
                format!(
                    "{}: expected {} fields, found {}",
                    TASK_COLUMNS[i].field,
                    j + 1,
                    row.len()
                )
            }),
        }
    };
    let required = |i: usize| -> Result<String, String> {
        match text(i)? {
            Some(v) if !v.trim().is_empty() => Ok(v.trim().to_string()),
            _ => Err(format!(
                "{}: expected a value, found an empty field",
                TASK_COLUMNS[i].field
            )),
        }
    };
    let optional = |i: usize| -> Result<Option<&str>, String> {
        Ok(text(i)?.filter(|v| !v.trim().is_empty()))
    };
    let tokens = |i: usize| -> Result<u64, String> {
        match optional(i)? {
            None if !TASK_COLUMNS[i].required => Ok(0),
            None => Err(format!(
                "{}: expected a value, found an empty field",
                TASK_COLUMNS[i].field
            )),
            Some(v) => parse_tokens(TASK_COLUMNS[i].field, v),
        }
    };
    Ok(TaskRecord {
        task: required(0)?,
        model: required(1)?,
        input: tokens(2)?,
        output: tokens(3)?,
        cache_read: tokens(4)?,
        cache_write: tokens(5)?,
        calls: optional(6)?.map(|v| parse_tokens("calls", v)).transpose()?,
        cost: optional(7)?.map(|v| parse_cost("cost", v)).transpose()?,
        success: optional(8)?
            .map(|v| parse_success(v).map_err(|e| format!("success: {e}")))
            .transpose()?,
    })
}
