//! The generic per-call CSV: one row per call (task id, timestamp, model, input, output, cache
//! read and cache write tokens; optional cost and success), headers mapped by [`ColumnMap`].

use std::path::Path;

use super::columns::{CALL_COLUMNS, ColumnMap};
use super::{
    CallRecord, ImportError, ImportReport, parse_cost, parse_success, parse_tokens, read_text,
};

/// Reads a per-call CSV.
pub fn import_call_csv(
    path: &Path,
    columns: &ColumnMap,
) -> Result<(Vec<CallRecord>, ImportReport), ImportError> {
    let file = path.display().to_string();
    let text = read_text(path)?;
    let mut reader = csv::ReaderBuilder::new()
        .flexible(true)
        .from_reader(text.as_bytes());
    let header = reader.headers().map_err(|e| ImportError::Header {
        file: file.clone(),
        message: e.to_string(),
    })?;
    let idx = columns.resolve(&file, CALL_COLUMNS, &header.clone())?;
    let mut report = ImportReport {
        files: vec![file.clone()],
        ..ImportReport::default()
    };
    let mut calls = Vec::new();
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
            Ok(call) => {
                report.records += 1;
                calls.push(call);
            }
            Err(reason) => report.malformed(&file, line, reason),
        }
    }
    Ok((calls, report))
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
        timestamp: optional(1)?.map(|s| s.trim().to_string()),
        model: required(2)?,
        input: tokens(3)?,
        output: tokens(4)?,
        cache_read: tokens(5)?,
        cache_write: tokens(6)?,
        cost: optional(7)?.map(|v| parse_cost("cost", v)).transpose()?,
        success: optional(8)?
            .map(|v| parse_success(v).map_err(|e| format!("success: {e}")))
            .transpose()?,
    })
}
