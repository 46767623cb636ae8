//! Gemini CLI chat recordings (`~/.gemini/tmp/<project_hash>/chats/session-*.json`): one JSON
//! document per session, `{sessionId, projectHash, startTime, lastUpdated, messages: [...]}`.
//! A message of `type: "gemini"` is a model response with `model` and `tokens`:
//! `{input, output, cached, thoughts, tool, total}`, copied from the Gemini API's
//! `usageMetadata` (`promptTokenCount`, `candidatesTokenCount`, `cachedContentTokenCount`,
//! `thoughtsTokenCount`, `toolUsePromptTokenCount`, `totalTokenCount`). A task is a session.
//!
//! Token kinds, after the Gemini API's `usageMetadata`: `input` (the prompt) includes the
//! `cached` tokens, so uncached input = `input − cached` and cache read = `cached`; `tool`
//! (the prompt of a built-in tool's use) is further uncached input; `output` (candidates)
//! excludes the `thoughts`, which are reasoning tokens (billed as output, not kept in the
//! context). Gemini's implicit caching charges no cache write.
//!
//! Messages of other types (`user`, `info`, `error`, `warning`) and model responses with no
//! `tokens` (the CLI records none for a response it cancelled) are set aside and counted. A
//! message that cannot be read is reported at the line where it starts.

use std::path::Path;

use serde_json::Value;

use super::json_doc::{Step, count, value_lines};
use super::{CallRecord, ImportError, ImportReport, read_text};

/// Reads one Gemini CLI chat recording.
pub fn import_gemini(path: &Path) -> Result<(Vec<CallRecord>, ImportReport), ImportError> {
    let file = path.display().to_string();
    let (text, bad) = read_text(path)?;
    let mut report = ImportReport {
        files: vec![file.clone()],
        malformed: bad,
        ..ImportReport::default()
    };
    let doc: Value = match serde_json::from_str(&text) {
        Ok(v) => v,
        Err(e) => {
            report.lines = 1;
            report.malformed(
                &file,
                e.line() as u64,
                format!("invalid JSON: {e} (a Gemini CLI chat is one JSON document)"),
            );
            return Ok((Vec::new(), report));
        }
    };
    let Some(messages) = doc.get("messages").and_then(Value::as_array) else {
        report.lines = 1;
        report.malformed(
            &file,
            1,
            "messages: expected an array of chat messages (a Gemini CLI chat recording)".into(),
        );
        return Ok((Vec::new(), report));
    };
    let session = doc
        .get("sessionId")
        .and_then(Value::as_str)
        .filter(|s| !s.is_empty())
        .map(str::to_string)
        .or_else(|| path.file_stem().map(|s| s.to_string_lossy().into_owned()))
        .unwrap_or_default();
    let lines = value_lines(&text, &[Step::Key("messages"), Step::Each]);
    let mut calls = Vec::new();
    for (i, message) in messages.iter().enumerate() {
        let line = lines.get(i).map_or(1, |l| l.1);
        report.lines += 1;
        match read_message(message, &session) {
            Ok(Some(call)) => {
                report.records += 1;
                calls.push(call);
            }
            Ok(None) if message.get("type").and_then(Value::as_str) == Some("gemini") => {
                report.set_aside("model response without tokens (none recorded)")
            }
            Ok(None) => report.set_aside("not a model response (user, info, error, warning)"),
            Err(reason) => report.malformed(&file, line, reason),
        }
    }
    Ok((calls, report))
}

fn read_message(message: &Value, session: &str) -> Result<Option<CallRecord>, String> {
    if !message.is_object() {
        return Err("expected a message object".into());
    }
    match message.get("type").and_then(Value::as_str) {
        Some("gemini") => {}
        Some(_) => return Ok(None),
        None => return Err("type: expected a string such as \"gemini\"".into()),
    }
    let tokens = match message.get("tokens") {
        None | Some(Value::Null) => return Ok(None),
        Some(t) if t.is_object() => t,
        Some(_) => return Err("tokens: expected an object".into()),
    };
    let model = message
        .get("model")
        .and_then(Value::as_str)
        .filter(|s| !s.is_empty())
        .ok_or("model: expected the model name (a non-empty string)")?;
    let field = |k: &str| count(tokens, k, &format!("tokens.{k}"));
    let (input, cached) = (field("input")?, field("cached")?);
    if cached > input {
        return Err(format!(
            "tokens: cached {cached} exceeds input {input} (which includes it)"
        ));
    }
    Ok(Some(CallRecord {
        task: session.to_string(),
        timestamp: message
            .get("timestamp")
            .and_then(Value::as_str)
            .map(str::to_string),
        model: model.to_string(),
        input: input - cached + field("tool")?,
        cache_read: cached,
        output: field("output")?,
        reasoning: field("thoughts")?,
        ..CallRecord::default()
    }))
}
