//! The generic per-task CSV: one row per task (task id, model, tokens by kind; optional calls,
//! cost and success), for data that has only task totals.

use std::path::Path;

use super::columns::{ColumnMap, TASK_COLUMNS};
use super::csv_rows::import_rows;
use super::{
    ImportError, ImportReport, TaskRecord, parse_cost, parse_success, parse_tokens,
    refuse_cost_without_tokens,
};

/// Reads a per-task CSV. Rows whose token columns are all 0 but whose cost is positive refuse
/// the file ([`ImportError::CostWithoutTokens`]): the task-level model prices drawn tokens, so
/// their cost would vanish from the fit without a word.
pub fn import_task_csv(
    path: &Path,
    columns: &ColumnMap,
) -> Result<(Vec<TaskRecord>, ImportReport), ImportError> {
    let (records, report) = import_rows(path, columns, TASK_COLUMNS, parse_row)?;
    refuse_cost_without_tokens(
        path,
        records.iter().map(|(line, r)| {
            (
                *line,
                r.input + r.output + r.cache_read + r.cache_write + r.cache_write_1h,
                r.cost,
            )
        }),
    )?;
    Ok((records.into_iter().map(|(_, r)| r).collect(), report))
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
        cache_write_1h: tokens(9)?,
        calls: optional(6)?.map(|v| parse_tokens("calls", v)).transpose()?,
        cost: optional(7)?.map(|v| parse_cost("cost", v)).transpose()?,
        success: optional(8)?
            .map(|v| parse_success(v).map_err(|e| format!("success: {e}")))
            .transpose()?,
    })
}
