//! OpenTelemetry GenAI spans exported as OTLP JSON: an `ExportTraceServiceRequest`
//! (`resourceSpans[].scopeSpans[].spans[]`), one per file or one per line (the Collector's
//! file exporter). Attribute values follow the protobuf JSON mapping,
//! `{"key": ..., "value": {"intValue": "123"}}`, with 64-bit integers as strings (numbers are
//! accepted too).
//!
//! A span with `gen_ai.usage.input_tokens` or `gen_ai.usage.output_tokens` is a call (the
//! GenAI semantic conventions, `gen_ai.*` attributes of inference spans); other spans are
//! set aside and counted, and a span id already read is a duplicate. Read:
//!
//! | attribute | as |
//! |---|---|
//! | `gen_ai.usage.input_tokens` (older `gen_ai.usage.prompt_tokens`) | the whole prompt |
//! | `gen_ai.usage.cache_read.input_tokens` (older `gen_ai.usage.cache_read_input_tokens`) | cache read |
//! | `gen_ai.usage.cache_creation.input_tokens` (older `gen_ai.usage.cache_creation_input_tokens`) | cache write (5 minutes; the TTL is not stated) |
//! | `gen_ai.usage.output_tokens` (older `gen_ai.usage.completion_tokens`) | the whole output |
//! | `gen_ai.usage.reasoning.output_tokens` | reasoning |
//! | `gen_ai.response.model`, else `gen_ai.request.model` | the model |
//! | `gen_ai.conversation.id`, else `session.id`, else the trace id | the task |
//! | `user.id`, else `enduser.id` | the user |
//!
//! Span attributes are looked up before the resource's. The semantic conventions say the
//! cache-read and cache-creation counts SHOULD be included in `gen_ai.usage.input_tokens`,
//! and reasoning tokens in `gen_ai.usage.output_tokens`: uncached input = input − cache read
//! − cache write, visible output = output − reasoning. Instrumentations of providers whose
//! API counts input without the cached parts (Anthropic's) may pass that count on as is; an
//! input count below its cached parts is read so (as the uncached input), and a reasoning
//! count above the output as added to it; both are counted in [`ImportReport::assumed`].

use std::collections::HashSet;
use std::path::Path;
use std::time::{Duration, UNIX_EPOCH};

use serde_json::Value;

use super::json_doc::{Step, documents, number, uncached, value_lines};
use super::{CallRecord, ImportError, ImportReport, read_text};

/// Reads one OTLP JSON trace export.
pub fn import_otlp(path: &Path) -> Result<(Vec<CallRecord>, ImportReport), ImportError> {
    let file = path.display().to_string();
    let (text, bad) = read_text(path)?;
    let mut report = ImportReport {
        files: vec![file.clone()],
        lines: bad.len() as u64,
        malformed: bad,
        ..ImportReport::default()
    };
    let docs = documents(&text);
    let whole = docs.len() == 1;
    let span_lines: Vec<(Vec<usize>, u64)> = if whole {
        value_lines(
            &text,
            &[
                Step::Key("resourceSpans"),
                Step::Each,
                Step::Key("scopeSpans"),
                Step::Each,
                Step::Key("spans"),
                Step::Each,
            ],
        )
    } else {
        Vec::new()
    };
    let mut seen = HashSet::new();
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
        let Some(resources) = doc.get("resourceSpans").and_then(Value::as_array) else {
            report.lines += 1;
            report.malformed(
                &file,
                line,
                "resourceSpans: expected an array (an OTLP JSON trace export)".into(),
            );
            continue;
        };
        for (r, resource) in resources.iter().enumerate() {
            let resource_attrs = resource.pointer("/resource/attributes");
            let scopes = resource.get("scopeSpans").and_then(Value::as_array);
            for (s, scope) in scopes.into_iter().flatten().enumerate() {
                let spans = scope.get("spans").and_then(Value::as_array);
                for (k, span) in spans.into_iter().flatten().enumerate() {
                    report.lines += 1;
                    let at = span_lines
                        .iter()
                        .find(|(ix, _)| ix[..] == [r, s, k])
                        .map_or(line, |l| l.1);
                    let attrs = Attributes {
                        span: span.get("attributes"),
                        resource: resource_attrs,
                    };
                    match read_span(span, &attrs, &mut report) {
                        Err(reason) => report.malformed(&file, at, reason),
                        Ok(None) => report.set_aside("span without gen_ai.usage (not an LLM call)"),
                        Ok(Some(call)) => {
                            let id = span.get("spanId").and_then(Value::as_str).unwrap_or("");
                            let trace = span.get("traceId").and_then(Value::as_str).unwrap_or("");
                            if !id.is_empty() && !seen.insert(format!("{trace}/{id}")) {
                                report.set_aside("duplicate span (a span id already read)");
                                continue;
                            }
                            report.records += 1;
                            calls.push(call);
                        }
                    }
                }
            }
        }
    }
    Ok((calls, report))
}

struct Attributes<'a> {
    span: Option<&'a Value>,
    resource: Option<&'a Value>,
}

impl Attributes<'_> {
    /// The value of the first of `keys` the span (else the resource) has.
    fn get<'k>(&self, keys: &[&'k str]) -> Option<(&'k str, &Value)> {
        for list in [self.span, self.resource].into_iter().flatten() {
            let Some(list) = list.as_array() else {
                continue;
            };
            for key in keys {
                if let Some(a) = list
                    .iter()
                    .find(|a| a.get("key").and_then(Value::as_str) == Some(key))
                {
                    let v = a.get("value").unwrap_or(&Value::Null);
                    return Some((key, v));
                }
            }
        }
        None
    }

    fn count(&self, keys: &[&str]) -> Result<Option<u64>, String> {
        match self.get(keys) {
            None => Ok(None),
            Some((key, v)) => {
                let inner = v
                    .get("intValue")
                    .or_else(|| v.get("doubleValue"))
                    .or_else(|| v.get("stringValue"))
                    .unwrap_or(v);
                number(inner, key).map(Some)
            }
        }
    }

    fn text(&self, keys: &[&str]) -> Option<String> {
        let (_, v) = self.get(keys)?;
        let s = v
            .get("stringValue")
            .and_then(Value::as_str)
            .or(v.as_str())?;
        (!s.is_empty()).then(|| s.to_string())
    }
}

fn read_span(
    span: &Value,
    attrs: &Attributes,
    report: &mut ImportReport,
) -> Result<Option<CallRecord>, String> {
    if !span.is_object() {
        return Err("expected a span object".into());
    }
    let input = attrs.count(&["gen_ai.usage.input_tokens", "gen_ai.usage.prompt_tokens"])?;
    let output = attrs.count(&[
        "gen_ai.usage.output_tokens",
        "gen_ai.usage.completion_tokens",
    ])?;
    if input.is_none() && output.is_none() {
        return Ok(None);
    }
    let read = attrs
        .count(&[
            "gen_ai.usage.cache_read.input_tokens",
            "gen_ai.usage.cache_read_input_tokens",
        ])?
        .unwrap_or(0);
    let write = attrs
        .count(&[
            "gen_ai.usage.cache_creation.input_tokens",
            "gen_ai.usage.cache_creation_input_tokens",
        ])?
        .unwrap_or(0);
    let reasoning = attrs
        .count(&["gen_ai.usage.reasoning.output_tokens"])?
        .unwrap_or(0);
    let model = attrs
        .text(&["gen_ai.response.model", "gen_ai.request.model"])
        .ok_or(
            "gen_ai.response.model, gen_ai.request.model: expected the model name, found neither",
        )?;
    let task = attrs
        .text(&["gen_ai.conversation.id", "session.id"])
        .or_else(|| {
            span.get("traceId")
                .and_then(Value::as_str)
                .filter(|s| !s.is_empty())
                .map(str::to_string)
        })
        .ok_or("gen_ai.conversation.id, session.id, traceId: expected the session, found none")?;
    let input = uncached(input.unwrap_or(0), read, write).unwrap_or_else(|i| {
        report.assumed(
            "gen_ai.usage.input_tokens below its cached parts: read as excluding them (the uncached input)",
        );
        i
    });
    let output = output.unwrap_or(0);
    let visible = output.checked_sub(reasoning).unwrap_or_else(|| {
        report.assumed(
            "gen_ai.usage.reasoning.output_tokens above output_tokens: read as not included in them",
        );
        output
    });
    let timestamp = span
        .get("startTimeUnixNano")
        .and_then(|v| {
            v.as_str()
                .and_then(|s| s.parse::<u64>().ok())
                .or(v.as_u64())
        })
        .map(|n| {
            let t = UNIX_EPOCH + Duration::from_nanos(n);
            let whole = crate::report::iso8601_utc(t);
            format!("{}.{:09}Z", whole.trim_end_matches('Z'), n % 1_000_000_000)
        });
    Ok(Some(CallRecord {
        task,
        timestamp,
        model,
        input,
        output: visible,
        reasoning,
        cache_read: read,
        cache_write: write,
        user: attrs.text(&["user.id", "enduser.id"]),
        ..CallRecord::default()
    }))
}
