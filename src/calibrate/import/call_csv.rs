//! The generic per-call CSV: one row per call (task id, timestamp, model, input, output, cache
//! read and cache write tokens; optional cost and success), headers mapped by [`ColumnMap`].

use std::path::Path;

use super::columns::{CALL_COLUMNS, ColumnMap};
use super::csv_rows::import_rows;
use super::{
    CallRecord, ImportError, ImportReport, parse_cost, parse_success, parse_tokens,
    refuse_cost_without_tokens,
};

/// Reads a per-call CSV. Rows whose token columns are all 0 but whose cost is positive refuse
/// the file ([`ImportError::CostWithoutTokens`]).
pub fn import_call_csv(
    path: &Path,
    columns: &ColumnMap,
) -> Result<(Vec<CallRecord>, ImportReport), ImportError> {
    let (records, report) = import_rows(path, columns, CALL_COLUMNS, parse_row)?;
    refuse_cost_without_tokens(
        path,
        records
            .iter()
            .map(|(line, c)| (*line, c.prompt() + c.output + c.reasoning, c.cost)),
    )?;
    Ok((records.into_iter().map(|(_, r)| r).collect(), report))
}

fn field<'a>(
    row: &'a csv::StringRecord,
    idx: &[Option<usize>],
    i: usize,
) -> Result<Option<&'a str>, String> {
    match idx[i] {
        None => Ok(None),
        Some(j) => match row.get(j) {
            Some(v) => Ok(Some(v)),
            None => Err(format!(
                "{}: expected {} fields, found {}",
                CALL_COLUMNS[i].field,
                j + 1,
                row.len()
            )),
        },
    }
}

fn parse_row(row: &csv::StringRecord, idx: &[Option<usize>]) -> Result<CallRecord, String> {
    let text = |i: usize| field(row, idx, i);
    let required = |i: usize| -> Result<String, String> {
        match text(i)? {
            Some(v) if !v.trim().is_empty() => Ok(v.trim().to_string()),
            _ => Err(format!(
                "{}: expected a value, found an empty field",
                CALL_COLUMNS[i].field
            )),
        }
    };
    let tokens = |i: usize| -> Result<u64, String> {
        match text(i)? {
            None => Ok(0),
            Some(v) if v.trim().is_empty() && !CALL_COLUMNS[i].required => Ok(0),
            Some(v) => parse_tokens(CALL_COLUMNS[i].field, v),
        }
    };
    let optional = |i: usize| -> Result<Option<&str>, String> {
        Ok(text(i)?.filter(|v| !v.trim().is_empty()))
    };
    Ok(CallRecord {
        task: required(0)?,
        agent: None,
        user: None,
        timestamp: optional(1)?.map(|s| s.trim().to_string()),
        model: required(2)?,
        input: tokens(3)?,
        output: tokens(4)?,
        cache_read: tokens(5)?,
        cache_write: tokens(6)?,
        cache_write_1h: tokens(9)?,
        reasoning: 0,
        cost: optional(7)?.map(|v| parse_cost("cost", v)).transpose()?,
        success: optional(8)?
            .map(|v| parse_success(v).map_err(|e| format!("success: {e}")))
            .transpose()?,
    })
}
