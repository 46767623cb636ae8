//! Column mappings of the generic CSV importers: which header holds which field.
//!
//! A mapping is written `field=header,field=header` on the command line; fields not named keep
//! their default header. A required field whose header is absent is an error naming the
//! header found; an optional one is simply not read.

use std::collections::BTreeMap;

use super::ImportError;
use crate::scenario::did_you_mean;

/// A field of a CSV importer: its name, its default header, whether it is required.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Column {
    /// The field's name (used in `--columns`).
    pub field: &'static str,
    /// The header used when the mapping names none.
    pub default_header: &'static str,
    /// Whether a file must have it.
    pub required: bool,
}

const fn col(field: &'static str, default_header: &'static str, required: bool) -> Column {
    Column {
        field,
        default_header,
        required,
    }
}

/// Fields of the per-call CSV.
pub const CALL_COLUMNS: &[Column] = &[
    col("task", "task_id", true),
    col("timestamp", "timestamp", false),
    col("model", "model", true),
    col("input", "input_tokens", true),
    col("output", "output_tokens", true),
    col("cache_read", "cache_read_tokens", false),
    col("cache_write", "cache_write_tokens", false),
    col("cost", "cost_usd", false),
    col("success", "success", false),
    col("cache_write_1h", "cache_write_1h_tokens", false),
];

/// Fields of the per-task CSV.
pub const TASK_COLUMNS: &[Column] = &[
    col("task", "task_id", true),
    col("model", "model", true),
    col("input", "input_tokens", true),
    col("output", "output_tokens", true),
    col("cache_read", "cache_read_tokens", false),
    col("cache_write", "cache_write_tokens", false),
    col("calls", "calls", false),
    col("cost", "cost_usd", false),
    col("success", "success", false),
    col("cache_write_1h", "cache_write_1h_tokens", false),
];

/// Field → header overrides given on the command line.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct ColumnMap {
    headers: BTreeMap<String, String>,
}

impl ColumnMap {
    /// Parses `field=header,field=header`; every field must be one of `CALL_COLUMNS` or
    /// `TASK_COLUMNS`.
    pub fn parse(text: &str) -> Result<ColumnMap, String> {
        let mut headers = BTreeMap::new();
        let known: Vec<&str> = CALL_COLUMNS
            .iter()
            .chain(TASK_COLUMNS)
            .map(|c| c.field)
            .collect();
        for pair in text.split(',').filter(|p| !p.trim().is_empty()) {
            let Some((field, header)) = pair.split_once('=') else {
                return Err(format!("expected `field=header`, found `{pair}`"));
            };
            let field = field.trim();
            if !known.contains(&field) {
                let hint = did_you_mean(field, known.iter().copied())
                    .map(|s| format!(" (did you mean `{s}`?)"))
                    .unwrap_or_default();
                return Err(format!(
                    "unknown field `{field}`{hint}: expected one of {}",
                    join(&known)
                ));
            }
            headers.insert(field.to_string(), header.trim().to_string());
        }
        Ok(ColumnMap { headers })
    }

    /// Whether a CSV header line holds the per-task `calls` column (as mapped).
    pub fn has_calls_header(&self, header_line: &str) -> bool {
        let name = self.headers.get("calls").map_or("calls", String::as_str);
        header_line
            .trim_end()
            .split(',')
            .any(|h| h.trim().trim_matches('"') == name)
    }

    /// The header `field` is read from: the one the mapping names, else `default_header`.
    pub(crate) fn header_of<'a>(&'a self, field: &str, default_header: &'a str) -> &'a str {
        self.headers
            .get(field)
            .map_or(default_header, String::as_str)
    }

    /// This mapping with `field` read from `header`, unless the mapping names one already.
    pub(crate) fn or_header(&self, field: &str, header: &str) -> ColumnMap {
        let mut m = self.clone();
        m.headers
            .entry(field.to_string())
            .or_insert_with(|| header.to_string());
        m
    }

    /// For each column, the index of its header in `header` (`None` for an absent optional
    /// column).
    pub(crate) fn resolve(
        &self,
        file: &str,
        columns: &[Column],
        header: &csv::StringRecord,
    ) -> Result<Vec<Option<usize>>, ImportError> {
        columns
            .iter()
            .map(|c| {
                let name = self
                    .headers
                    .get(c.field)
                    .map_or(c.default_header, String::as_str);
                let index = header.iter().position(|h| h.trim() == name);
                if index.is_none() && (c.required || self.headers.contains_key(c.field)) {
                    let found: Vec<&str> = header.iter().collect();
                    let hint = did_you_mean(name, found.iter().copied())
                        .map(|s| {
                            format!(
                                "; did you mean `{s}`? (map it with --columns {}={s})",
                                c.field
                            )
                        })
                        .unwrap_or_default();
                    return Err(ImportError::Header {
                        file: file.to_string(),
                        message: format!(
                            "{} column: expected a header `{name}`, found {}{hint}",
                            c.field,
                            join(&found)
                        ),
                    });
                }
                Ok(index)
            })
            .collect()
    }
}

fn join(names: &[&str]) -> String {
    names
        .iter()
        .map(|n| format!("`{n}`"))
        .collect::<Vec<_>>()
        .join(", ")
}
