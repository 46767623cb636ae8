//! Claude Code's local session transcripts (`~/.claude/projects/*/*.jsonl`): one JSON object
//! per line; assistant messages carry `message.usage` (`input_tokens`, `output_tokens`,
//! `cache_creation_input_tokens`, `cache_read_input_tokens`), `message.model`, `sessionId` and
//! `timestamp`. A task is a session.
//!
//! Cache writes: the Messages API's `usage.cache_creation` splits `cache_creation_input_tokens`
//! by TTL into `ephemeral_5m_input_tokens` and `ephemeral_1h_input_tokens` (priced 1.25× and
//! 2× the input rate). With the split, the 1-hour part is read into
//! [`CallRecord::cache_write_1h`] and the rest of `cache_creation_input_tokens` into
//! `cache_write`; without it (older transcripts) every cache write is a 5-minute one.
//!
//! Sub-agents (the Task tool) run in their own context. Their calls are marked
//! `isSidechain: true` with the parent's `sessionId` and the sub-agent's `agentId`; older
//! versions write them into the parent's transcript, newer ones into
//! `<session>/subagents/agent-<agentId>.jsonl` beside it. Either way each call is attributed
//! to the parent session's task (its `sessionId`, else the `<session>` directory of the file)
//! with the sub-agent's id ([`CallRecord::agent`]: `agentId`, else the file name), and counted
//! in [`ImportReport::sub_agent_calls`].
//!
//! Claude Code writes one line per content block of a response (thinking, text, tool use), each
//! repeating the response's usage under the same `message.id`: such repeats are one call (the
//! line with the most output tokens is kept) and are counted, not added. Lines of other types
//! (user turns, summaries) and synthetic messages (model `<synthetic>`, no API call) are set
//! aside and counted.

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
    let context = FileContext::of(path);
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
        match classify(&value, &context) {
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
                        report.sub_agent_calls += call.agent.is_some() as u64;
                        calls.push(call);
                    }
                }
            }
        }
    }
    Ok((calls, report))
}

/// What a transcript's path says: a sub-agent file `<session>/subagents/agent-<id>.jsonl` (or an
/// older `agent-<id>.jsonl` beside the sessions) names its agent, and the first its parent.
struct FileContext {
    /// The parent session's id, from the `<session>/subagents/` directory.
    parent_session: Option<String>,
    /// The sub-agent's id, from the `agent-<id>.jsonl` file name.
    agent: Option<String>,
}

impl FileContext {
    fn of(path: &Path) -> FileContext {
        let name = path.file_stem().map(|s| s.to_string_lossy().into_owned());
        let agent = name
            .as_deref()
            .and_then(|n| n.strip_prefix("agent-"))
            .filter(|id| !id.is_empty())
            .map(str::to_string);
        let dir = path.parent();
        let parent_session = dir
            .filter(|d| d.file_name().is_some_and(|n| n == "subagents"))
            .and_then(Path::parent)
            .and_then(Path::file_name)
            .map(|s| s.to_string_lossy().into_owned());
        FileContext {
            parent_session,
            agent,
        }
    }
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

fn classify(value: &Value, context: &FileContext) -> Result<Line, String> {
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
    let sidechain = object.get("isSidechain").and_then(Value::as_bool) == Some(true);
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
        .map(str::to_string)
        .or_else(|| context.parent_session.clone())
        .ok_or("sessionId: expected a non-empty string")?;
    let agent_id = object
        .get("agentId")
        .and_then(Value::as_str)
        .filter(|s| !s.is_empty())
        .map(str::to_string);
    // A call is a sub-agent's when the line says so or the file is a sub-agent's transcript.
    let agent = if sidechain || context.agent.is_some() || context.parent_session.is_some() {
        Some(
            agent_id
                .or_else(|| context.agent.clone())
                .unwrap_or_else(|| "sidechain".to_string()),
        )
    } else {
        None
    };
    let cache_creation = count("cache_creation_input_tokens", false)?;
    let (cache_write, cache_write_1h) = match usage.get("cache_creation") {
        None | Some(Value::Null) => (cache_creation, 0),
        Some(Value::Object(split)) => {
            let part = |key: &str| -> Result<u64, String> {
                match split.get(key) {
                    None | Some(Value::Null) => Ok(0),
                    Some(v) => v.as_u64().ok_or_else(|| {
                        format!(
                            "message.usage.cache_creation.{key}: expected a non-negative integer, found {}",
                            crate::text::clip(&v.to_string(), 40)
                        )
                    }),
                }
            };
            let five = part("ephemeral_5m_input_tokens")?;
            let hour = part("ephemeral_1h_input_tokens")?;
            let total = if usage.contains_key("cache_creation_input_tokens") {
                cache_creation
            } else {
                five.saturating_add(hour)
            };
            if five.saturating_add(hour) > total {
                return Err(format!(
                    "message.usage.cache_creation: ephemeral_5m_input_tokens {five} + ephemeral_1h_input_tokens {hour} exceed cache_creation_input_tokens {total}"
                ));
            }
            super::check_count(
                "message.usage.cache_creation.ephemeral_1h_input_tokens",
                hour,
            )?;
            (total - hour, hour)
        }
        Some(v) => {
            return Err(format!(
                "message.usage.cache_creation: expected an object, found {}",
                crate::text::clip(&v.to_string(), 40)
            ));
        }
    };
    let call = CallRecord {
        task,
        agent,
        user: None,
        timestamp: object
            .get("timestamp")
            .and_then(Value::as_str)
            .map(str::to_string),
        model: model.to_string(),
        input: count("input_tokens", true)?,
        output: count("output_tokens", true)?,
        reasoning: 0,
        cache_read: count("cache_read_input_tokens", false)?,
        cache_write,
        cache_write_1h,
        cost: object.get("costUSD").and_then(Value::as_f64),
        success: None,
    };
    Ok(Line::Call(call, message_key(value)))
}
