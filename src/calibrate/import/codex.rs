//! Codex CLI session rollouts (`~/.codex/sessions/YYYY/MM/DD/rollout-*.jsonl`, under
//! `$CODEX_HOME` when set): one JSON object per line, `{timestamp, type, payload}`. Read:
//!
//! - `session_meta`: `payload.id` is the session's id, the task (else the file name);
//! - `turn_context`: `payload.model`, the model of the calls that follow;
//! - `event_msg` with `payload.type = "token_count"`: `payload.info.last_token_usage` is the
//!   last model call's usage (`input_tokens`, `cached_input_tokens`, `output_tokens`,
//!   `reasoning_output_tokens`, `total_tokens`), `payload.info.total_token_usage` the session's
//!   running total. Without `last_token_usage` the call is the growth of the running total.
//!
//! Token kinds, after the usage object of OpenAI's Responses API that Codex copies (and
//! codex-rs's `TokenUsage`, whose non-cached input is `input_tokens − cached_input_tokens` and
//! whose total is `input_tokens + output_tokens`): `input_tokens` includes the cached ones, so
//! uncached input = `input_tokens − cached_input_tokens` and cache read =
//! `cached_input_tokens`; `output_tokens` includes the reasoning ones, so visible output =
//! `output_tokens − reasoning_output_tokens` and reasoning = `reasoning_output_tokens`. OpenAI
//! caches without a write charge: no cache-write tokens.
//!
//! Codex emits a `token_count` without usage (`info: null`, rate limits only) and repeats one
//! with the same running total (after a turn, on a resize): both are set aside and counted, the
//! repeat as a duplicate. Every other record (messages, reasoning, function calls and outputs,
//! other events) is set aside and counted.

use std::path::Path;

use serde_json::Value;

use super::json_doc::count;
use super::{CallRecord, ImportError, ImportReport, read_text};

/// Reads one Codex CLI session rollout.
pub fn import_codex(path: &Path) -> Result<(Vec<CallRecord>, ImportReport), ImportError> {
    let file = path.display().to_string();
    let (text, bad) = read_text(path)?;
    let mut report = ImportReport {
        files: vec![file.clone()],
        lines: bad.len() as u64,
        malformed: bad,
        ..ImportReport::default()
    };
    let stem = path
        .file_stem()
        .map(|s| s.to_string_lossy().into_owned())
        .unwrap_or_default();
    let mut session: Option<String> = None;
    let mut model: Option<String> = None;
    let mut previous_total: Option<[u64; 4]> = None;
    let mut calls = Vec::new();
    for (i, line) in text.lines().enumerate() {
        let line_no = i as u64 + 1;
        if line.trim().is_empty() {
            continue;
        }
        report.lines += 1;
        let value: Value = match serde_json::from_str(line) {
            Ok(v) => v,
            Err(e) => {
                report.malformed(&file, line_no, format!("invalid JSON: {e}"));
                continue;
            }
        };
        let Some(kind) = value.get("type").and_then(Value::as_str) else {
            report.malformed(
                &file,
                line_no,
                "type: expected a string such as \"event_msg\"".into(),
            );
            continue;
        };
        let payload = value.get("payload").unwrap_or(&Value::Null);
        match kind {
            "session_meta" => {
                match payload
                    .get("id")
                    .and_then(Value::as_str)
                    .filter(|s| !s.is_empty())
                {
                    Some(id) => session = Some(id.to_string()),
                    None => report.malformed(
                        &file,
                        line_no,
                        "payload.id: expected the session id (a non-empty string)".into(),
                    ),
                }
                report.set_aside("session_meta (the session id)");
                continue;
            }
            "turn_context" => {
                match payload
                    .get("model")
                    .and_then(Value::as_str)
                    .filter(|s| !s.is_empty())
                {
                    Some(m) => model = Some(m.to_string()),
                    None => report.malformed(
                        &file,
                        line_no,
                        "payload.model: expected the model name (a non-empty string)".into(),
                    ),
                }
                report.set_aside("turn_context (the model)");
                continue;
            }
            "event_msg" if payload.get("type").and_then(Value::as_str) == Some("token_count") => {}
            _ => {
                report
                    .set_aside("not a token count (messages, reasoning, tool calls, other events)");
                continue;
            }
        }
        let info = payload.get("info").unwrap_or(&Value::Null);
        if info.is_null() {
            report.set_aside("token_count without usage (info: null, rate limits only)");
            continue;
        }
        match read_call(info, previous_total) {
            Err(reason) => report.malformed(&file, line_no, reason),
            Ok(Read::Duplicate) => {
                report.set_aside("duplicate token_count (the same running total as the one before)")
            }
            Ok(Read::Call(usage, total)) => {
                previous_total = total.or(previous_total);
                let Some(model) = model.clone() else {
                    report.malformed(
                        &file,
                        line_no,
                        "no model: no turn_context record (payload.model) comes before this token_count".into(),
                    );
                    continue;
                };
                let [input, cached, output, reasoning] = usage;
                calls.push(CallRecord {
                    task: session.clone().unwrap_or_else(|| stem.clone()),
                    timestamp: value
                        .get("timestamp")
                        .and_then(Value::as_str)
                        .map(str::to_string),
                    model,
                    input: input - cached,
                    cache_read: cached,
                    output: output - reasoning,
                    reasoning,
                    ..CallRecord::default()
                });
                report.records += 1;
            }
        }
    }
    Ok((calls, report))
}

enum Read {
    /// `[input, cached, output, reasoning]` of the call and the running total, if given.
    Call([u64; 4], Option<[u64; 4]>),
    Duplicate,
}

fn usage(object: &Value, at: &str) -> Result<[u64; 4], String> {
    if !object.is_object() {
        return Err(format!("payload.info.{at}: expected an object"));
    }
    let field = |k: &str| count(object, k, &format!("payload.info.{at}.{k}"));
    let u = [
        field("input_tokens")?,
        field("cached_input_tokens")?,
        field("output_tokens")?,
        field("reasoning_output_tokens")?,
    ];
    if u[1] > u[0] {
        return Err(format!(
            "payload.info.{at}: cached_input_tokens {} exceed input_tokens {} (which include them)",
            u[1], u[0]
        ));
    }
    if u[3] > u[2] {
        return Err(format!(
            "payload.info.{at}: reasoning_output_tokens {} exceed output_tokens {} (which include them)",
            u[3], u[2]
        ));
    }
    Ok(u)
}

fn read_call(info: &Value, previous: Option<[u64; 4]>) -> Result<Read, String> {
    let total = match info.get("total_token_usage") {
        None | Some(Value::Null) => None,
        Some(t) => Some(usage(t, "total_token_usage")?),
    };
    if total.is_some() && total == previous {
        return Ok(Read::Duplicate);
    }
    match info.get("last_token_usage") {
        None | Some(Value::Null) => {}
        Some(last) => return Ok(Read::Call(usage(last, "last_token_usage")?, total)),
    }
    match (total, previous) {
        (Some(t), p) => {
            let p = p.unwrap_or([0; 4]);
            let mut d = [0; 4];
            for k in 0..4 {
                d[k] = t[k].checked_sub(p[k]).ok_or_else(|| {
                    "payload.info.total_token_usage: below the running total before it (no last_token_usage to read instead)".to_string()
                })?;
            }
            if d[1] > d[0] || d[3] > d[2] {
                return Err("payload.info.total_token_usage: its growth has more cached than input (or reasoning than output) tokens".into());
            }
            Ok(Read::Call(d, Some(t)))
        }
        (None, _) => Err(
            "payload.info: expected last_token_usage or total_token_usage, found neither".into(),
        ),
    }
}
