//! Claude Code's local session transcripts (`~/.claude/projects/*/*.jsonl`): one JSON object
//! per line; assistant messages carry `message.usage` (`input_tokens`, `output_tokens`,
//! `cache_creation_input_tokens`, `cache_read_input_tokens`), `message.model`, `sessionId` and
//! `timestamp`. A task is a session.
//!
//! Claude Code writes one line per content block of a response (thinking, text, tool use), each
//! repeating the response's usage under the same `message.id`: such repeats are one call (the
//! line with the most output tokens is kept) and are counted, not added. Lines of other types
//! (user turns, summaries), synthetic messages (model `<synthetic>`, no API call) and sub-agent
//! calls (`isSidechain`, which run in their own context) are set aside and counted.

use std::collections::HashMap;
use std::path::Path;

use serde_json::Value;

use super::{CallRecord, ImportError, ImportReport, read_text};

/// Reads one Claude Code transcript.
pub fn import_claude_code(path: &Path) -> Result<(Vec<CallRecord>, ImportReport), ImportError> {
    let file = path.display().to_string();
    let (text, bad) = read_text(path)?;
    let mut report = ImportReport {
        files: vec![file.clone()],
        lines: bad.len() as u64,
        malformed: bad,
        ..ImportReport::default()
    };
    let mut calls: Vec<CallRecord> = Vec::new();
    let mut by_message: HashMap<String, usize> = HashMap::new();
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
        match classify(&value) {
            Err(reason) => report.malformed(&file, line_no, reason),
            Ok(Line::SetAside(reason)) => report.set_aside(reason),
            Ok(Line::Call(call, message_id)) => {
                match message_id.and_then(|id| by_message.get(&id).copied().map(|j| (id, j))) {
                    Some((_, j)) => {
                        report.set_aside(
                            "repeated content block of a call already read (same message.id)",
                        );
                        if call.output > calls[j].output {
                            calls[j] = call;
                        }
                    }
                    None => {
                        if let Some(id) = message_key(&value) {
                            by_message.insert(id, calls.len());
                        }
                        report.records += 1;
                        calls.push(call);
                    }
                }
            }
        }
    }
    Ok((calls, report))
}

enum Line {
    Call(CallRecord, Option<String>),
    SetAside(&'static str),
}

fn message_key(value: &Value) -> Option<String> {
    let id = value.pointer("/message/id")?.as_str()?;
    let request = value.get("requestId").and_then(Value::as_str).unwrap_or("");
    Some(format!("{id}\u{0}{request}"))
}

fn classify(value: &Value) -> Result<Line, String> {
    let Some(object) = value.as_object() else {
        return Err("expected a JSON object".into());
    };
    match object.get("type").and_then(Value::as_str) {
        None => return Err("type: expected a string such as \"assistant\"".into()),
        Some("assistant") => {}
        Some(_) => {
            return Ok(Line::SetAside(
                "not an assistant message (user, summary, system, ...)",
            ));
        }
    }
    let model = value
        .pointer("/message/model")
        .and_then(Value::as_str)
        .ok_or("message.model: expected a string")?;
    if model == "<synthetic>" {
        return Ok(Line::SetAside("synthetic assistant message (no API call)"));
    }
    if object.get("isSidechain").and_then(Value::as_bool) == Some(true) {
        return Ok(Line::SetAside(
            "sub-agent call (isSidechain; own context, not modelled)",
        ));
    }
    let usage = value
        .pointer("/message/usage")
        .and_then(Value::as_object)
        .ok_or("message.usage: expected an object")?;
    let count = |key: &str, required: bool| -> Result<u64, String> {
        match usage.get(key) {
            None | Some(Value::Null) if !required => Ok(0),
            Some(v) => v
                .as_u64()
                .ok_or_else(|| {
                    format!(
                        "message.usage.{key}: expected a non-negative integer, found {}",
                        crate::text::clip(&v.to_string(), 40)
                    )
                })
                .and_then(|n| super::check_count(&format!("message.usage.{key}"), n)),
            None => Err(format!(
                "message.usage.{key}: expected a non-negative integer, found nothing"
            )),
        }
    };
    let task = object
        .get("sessionId")
        .and_then(Value::as_str)
        .filter(|s| !s.is_empty())
        .ok_or("sessionId: expected a non-empty string")?;
    let call = CallRecord {
        task: task.to_string(),
        timestamp: object
            .get("timestamp")
            .and_then(Value::as_str)
            .map(str::to_string),
        model: model.to_string(),
        input: count("input_tokens", true)?,
        output: count("output_tokens", true)?,
        cache_read: count("cache_read_input_tokens", false)?,
        cache_write: count("cache_creation_input_tokens", false)?,
        cost: object.get("costUSD").and_then(Value::as_f64),
        success: None,
    };
    Ok(Line::Call(call, message_key(value)))
}
