//! OpenHands usage: the `metrics` its evaluation runs write per instance (`output.jsonl`, one
//! JSON object per line with `instance_id`, `history` and `metrics`) and the `llm_metrics` of
//! the events of a saved trajectory (a JSON array of events, or an object with `history`).
//!
//! - `metrics.token_usages` (per LLM response): `model`, `prompt_tokens`,
//!   `completion_tokens`, `cache_read_tokens`, `cache_write_tokens`, `response_id`. Each entry
//!   is a call; an entry whose `response_id` was already read in the task is a duplicate.
//! - Else the events' `llm_metrics.accumulated_token_usage` (the running total after each
//!   response, same fields): each rise is a call, a repeat of the total a duplicate.
//! - A record with only a total (`accumulated_token_usage`, no per-response usage and no
//!   events) is a task total, not calls: set aside and counted.
//!
//! Token kinds: OpenHands copies LiteLLM's usage, whose `prompt_tokens` is the whole prompt,
//! cached parts included: uncached input = `prompt_tokens − cache_read_tokens −
//! cache_write_tokens`, cache read = `cache_read_tokens`, cache write (5 minutes; LiteLLM
//! does not say the TTL) = `cache_write_tokens`, output = `completion_tokens`. A
//! `prompt_tokens` below its cached parts was counted without them: it is then read as the
//! uncached input, and the records read so are counted in [`ImportReport::assumed`].
//!
//! A task is the record's `instance_id` (or `session_id`, `sid`, `conversation_id`), else the
//! file's name.

use std::collections::HashSet;
use std::path::Path;

use serde_json::Value;

use super::json_doc::{Step, count, documents, uncached, value_lines};
use super::{CallRecord, ImportError, ImportReport, read_text};

/// Reads one OpenHands output, trajectory or metrics file (JSON or JSON Lines).
pub fn import_openhands(path: &Path) -> Result<(Vec<CallRecord>, ImportReport), ImportError> {
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
    let docs = documents(&text);
    // A whole-file document reports each element at its own line.
    let whole = docs.len() == 1;
    let at = |steps: &[Step]| -> Vec<u64> {
        if whole {
            value_lines(&text, steps).into_iter().map(|l| l.1).collect()
        } else {
            Vec::new()
        }
    };
    let mut calls = Vec::new();
    for (line, doc) in docs {
        let doc = match doc {
            Ok(d) => d,
            Err(e) => {
                report.lines += 1;
                report.malformed(&file, line, e);
                continue;
            }
        };
        let mut reader = Reader {
            file: &file,
            report: &mut report,
            calls: &mut calls,
            seen: HashSet::new(),
            previous: None,
        };
        match &doc {
            Value::Array(events) => {
                reader.events(&stem, events, &at(&[Step::Each]), line);
            }
            Value::Object(o) => {
                let task = ["instance_id", "session_id", "sid", "conversation_id"]
                    .iter()
                    .find_map(|k| match o.get(*k) {
                        Some(Value::String(s)) if !s.is_empty() => Some(s.clone()),
                        Some(Value::Number(n)) => Some(n.to_string()),
                        _ => None,
                    })
                    .unwrap_or_else(|| stem.clone());
                let (metrics, key) = match (o.get("metrics"), o.get("llm_metrics")) {
                    (Some(m), _) if m.is_object() => (m, "metrics"),
                    (_, Some(m)) if m.is_object() => (m, "llm_metrics"),
                    _ => (&doc, ""),
                };
                let usages = metrics
                    .get("token_usages")
                    .and_then(Value::as_array)
                    .filter(|u| !u.is_empty());
                if let Some(usages) = usages {
                    let path: Vec<Step> = if key.is_empty() {
                        vec![Step::Key("token_usages"), Step::Each]
                    } else if key == "metrics" {
                        vec![Step::Key("metrics"), Step::Key("token_usages"), Step::Each]
                    } else {
                        vec![
                            Step::Key("llm_metrics"),
                            Step::Key("token_usages"),
                            Step::Each,
                        ]
                    };
                    let lines = at(&path);
                    for (i, u) in usages.iter().enumerate() {
                        reader.report.lines += 1;
                        let l = lines.get(i).copied().unwrap_or(line);
                        reader.response(&task, u, None, l);
                    }
                } else if let Some(events) = o.get("history").and_then(Value::as_array) {
                    reader.events(
                        &task,
                        events,
                        &at(&[Step::Key("history"), Step::Each]),
                        line,
                    );
                } else if metrics.get("accumulated_token_usage").is_some() {
                    reader.report.lines += 1;
                    reader.report.set_aside(
                        "task total only (accumulated_token_usage without per-response token_usages or events)",
                    );
                } else {
                    reader.report.lines += 1;
                    reader.report.malformed(
                        &file,
                        line,
                        "expected OpenHands usage: metrics.token_usages, a history of events with llm_metrics, or accumulated_token_usage; found none".into(),
                    );
                }
            }
            _ => {
                report.lines += 1;
                report.malformed(
                    &file,
                    line,
                    "expected an OpenHands record (an object) or trajectory (an array of events)"
                        .into(),
                );
            }
        }
    }
    Ok((calls, report))
}

struct Reader<'a> {
    file: &'a str,
    report: &'a mut ImportReport,
    calls: &'a mut Vec<CallRecord>,
    /// Response ids read in the current task.
    seen: HashSet<String>,
    /// The running total before the current event: prompt, completion, cache read, cache write.
    previous: Option<[u64; 4]>,
}

impl Reader<'_> {
    fn events(&mut self, task: &str, events: &[Value], lines: &[u64], line: u64) {
        for (i, event) in events.iter().enumerate() {
            self.report.lines += 1;
            let l = lines.get(i).copied().unwrap_or(line);
            let metrics = event.get("llm_metrics").filter(|m| m.is_object());
            let Some(metrics) = metrics else {
                self.report
                    .set_aside("event without llm_metrics (observations, messages)");
                continue;
            };
            if let Some(usages) = metrics
                .get("token_usages")
                .and_then(Value::as_array)
                .filter(|u| !u.is_empty())
            {
                for u in usages {
                    self.response(task, u, event.get("timestamp"), l);
                }
                continue;
            }
            let Some(total) = metrics.get("accumulated_token_usage") else {
                self.report
                    .set_aside("event without llm_metrics (observations, messages)");
                continue;
            };
            let t = match kinds(total, "llm_metrics.accumulated_token_usage") {
                Ok(t) => t,
                Err(e) => {
                    self.report.malformed(self.file, l, e);
                    continue;
                }
            };
            let p = self.previous.unwrap_or([0; 4]);
            if Some(t) == self.previous {
                self.report
                    .set_aside("duplicate usage (the same running total as the event before)");
                continue;
            }
            if (0..4).any(|k| t[k] < p[k]) {
                self.report.malformed(
                    self.file,
                    l,
                    "llm_metrics.accumulated_token_usage: below the running total before it".into(),
                );
                continue;
            }
            self.previous = Some(t);
            let d = [t[0] - p[0], t[1] - p[1], t[2] - p[2], t[3] - p[3]];
            let model = model_of(total)
                .or_else(|| {
                    event
                        .pointer("/tool_call_metadata/model_response/model")
                        .and_then(Value::as_str)
                        .filter(|s| !s.is_empty())
                })
                .map(str::to_string);
            match model {
                Some(m) => self.push(task, &m, d, event.get("timestamp")),
                None => self.report.malformed(
                    self.file,
                    l,
                    "llm_metrics.accumulated_token_usage.model: expected the model name".into(),
                ),
            }
        }
    }

    fn response(&mut self, task: &str, usage: &Value, timestamp: Option<&Value>, line: u64) {
        let id = usage
            .get("response_id")
            .and_then(Value::as_str)
            .filter(|s| !s.is_empty());
        if id.is_some_and(|id| !self.seen.insert(format!("{task}\u{0}{id}"))) {
            self.report
                .set_aside("duplicate response (a response_id already read in the task)");
            return;
        }
        let k = match kinds(usage, "token_usages[]") {
            Ok(k) => k,
            Err(e) => return self.report.malformed(self.file, line, e),
        };
        match model_of(usage) {
            Some(m) => self.push(task, m, k, timestamp),
            None => self.report.malformed(
                self.file,
                line,
                "token_usages[].model: expected the model name (a non-empty string)".into(),
            ),
        }
    }

    fn push(&mut self, task: &str, model: &str, k: [u64; 4], timestamp: Option<&Value>) {
        let [prompt, completion, read, write] = k;
        let input = uncached(prompt, read, write).unwrap_or_else(|p| {
            self.report.assumed(
                "prompt_tokens below its cached parts: read as excluding them (the uncached input)",
            );
            p
        });
        self.calls.push(CallRecord {
            task: task.to_string(),
            timestamp: timestamp.and_then(Value::as_str).map(str::to_string),
            model: model.to_string(),
            input,
            output: completion,
            cache_read: read,
            cache_write: write,
            ..CallRecord::default()
        });
        self.report.records += 1;
    }
}

fn model_of(usage: &Value) -> Option<&str> {
    usage
        .get("model")
        .and_then(Value::as_str)
        .filter(|s| !s.is_empty())
}

/// `[prompt, completion, cache read, cache write]` of a usage object.
fn kinds(usage: &Value, at: &str) -> Result<[u64; 4], String> {
    if !usage.is_object() {
        return Err(format!("{at}: expected an object"));
    }
    let f = |k: &str| count(usage, k, &format!("{at}.{k}"));
    Ok([
        f("prompt_tokens")?,
        f("completion_tokens")?,
        f("cache_read_tokens")?,
        f("cache_write_tokens")?,
    ])
}
