//! What a file given to tokencast is, told from its content (and, for logs, its extension):
//! a task scenario, a task scenario with a billing comparison, a forecast, a price catalog, a
//! LiteLLM price map or a usage log. Each command takes some of these kinds; given another,
//! it says in one line what the file is and which command takes it, instead of failing on the
//! first key its own format does not know.
//!
//! The test is structural and cheap: the top-level tables of a TOML file (`[forecast]`;
//! `[agent]` or `[[phases]]`, with `[workload]` for a comparison; `[models.NAME]` carrying
//! `as_of`, `source` or `provider` and nothing else of a scenario), the shape of a JSON
//! document (an object of models with `*_cost_per_token` keys, or transcript lines). A file
//! that fits none is `Unknown`, and the command's own parser reports what is wrong with it.

use std::fmt;
use std::path::Path;

/// What a file holds.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum FileKind {
    /// A task scenario (`[agent]`, `[[phases]]`): one agent task, for `run`.
    TaskScenario,
    /// A task scenario with `[workload]` and billing schemes: for `compare` (and `run`).
    BillingComparison,
    /// A forecast (`[forecast]`): an organisation's spend over months.
    Forecast,
    /// A price catalog in the bundled TOML format (`[models.NAME]` with `as_of`/`source`).
    PriceCatalog,
    /// A JSON price map such as LiteLLM's `model_prices_and_context_window.json`.
    PriceMap,
    /// A usage log (CSV, or JSON Lines transcripts).
    UsageLog,
    /// None of the above: the command's own parser says what is wrong.
    Unknown,
}

impl FileKind {
    /// What the kind is, for a sentence: "a forecast (an organisation's spend over months)".
    pub fn describe(self) -> &'static str {
        match self {
            FileKind::TaskScenario => "a task scenario (one agent task)",
            FileKind::BillingComparison => {
                "a task scenario with a billing comparison ([workload] and [billing.NAME])"
            }
            FileKind::Forecast => "a forecast (an organisation's spend over months)",
            FileKind::PriceCatalog => "a price catalog (TOML)",
            FileKind::PriceMap => "a price map (JSON, e.g. LiteLLM's)",
            FileKind::UsageLog => "a usage log",
            FileKind::Unknown => "a file of unknown kind",
        }
    }

    /// The command line that takes a file of this kind at `path`.
    pub fn command_for(self, path: &str) -> String {
        match self {
            FileKind::TaskScenario => format!("tokencast run {path}"),
            FileKind::BillingComparison => format!("tokencast compare {path}"),
            FileKind::Forecast => format!("tokencast forecast {path}"),
            FileKind::PriceCatalog | FileKind::PriceMap => {
                format!("tokencast prices --prices {path}")
            }
            FileKind::UsageLog => format!("tokencast calibrate {path} -o SCENARIO.toml"),
            FileKind::Unknown => format!("tokencast validate {path}"),
        }
    }
}

/// Tells the kind of a file from its text; `path` gives the extension for logs.
pub fn detect(path: &Path, text: &str) -> FileKind {
    let ext = path
        .extension()
        .map(|e| e.to_string_lossy().to_ascii_lowercase())
        .unwrap_or_default();
    match ext.as_str() {
        "csv" | "tsv" | "jsonl" | "ndjson" => return FileKind::UsageLog,
        "json" => return detect_json(text),
        _ => {}
    }
    let trimmed = text.trim_start_matches('\u{feff}').trim_start();
    if trimmed.starts_with('{') {
        return detect_json(text);
    }
    detect_toml(text)
}

fn detect_json(text: &str) -> FileKind {
    let text = text.trim_start_matches('\u{feff}');
    match serde_json::from_str::<serde_json::Value>(text) {
        Ok(serde_json::Value::Object(map)) => {
            let priced = map.values().any(|v| {
                v.as_object().is_some_and(|m| {
                    m.keys()
                        .any(|k| k.ends_with("_cost_per_token") || k == "litellm_provider")
                })
            });
            if priced {
                FileKind::PriceMap
            } else if is_transcript_line(&map) || is_agent_log(text) {
                FileKind::UsageLog
            } else {
                FileKind::Unknown
            }
        }
        Ok(_) => FileKind::Unknown,
        // Several JSON documents, one per line: transcripts.
        Err(_) => {
            let first = text.lines().find(|l| !l.trim().is_empty()).unwrap_or("");
            match serde_json::from_str::<serde_json::Value>(first) {
                Ok(serde_json::Value::Object(map)) if is_transcript_line(&map) => {
                    FileKind::UsageLog
                }
                _ if is_agent_log(text) => FileKind::UsageLog,
                _ => FileKind::Unknown,
            }
        }
    }
}

/// A coding agent's log that `calibrate` reads (Codex, Gemini CLI, OTLP spans, OpenHands usage).
fn is_agent_log(text: &str) -> bool {
    use crate::calibrate::LogFormat;
    let head = &text[..text.len().min(64 * 1024)];
    let head = &head[..(0..=head.len())
        .rev()
        .find(|&i| head.is_char_boundary(i))
        .unwrap_or(0)];
    match LogFormat::sniff_json(head) {
        Some(LogFormat::Codex | LogFormat::Gemini | LogFormat::Otlp) => true,
        Some(LogFormat::Openhands) => {
            head.contains("\"token_usages\"") || head.contains("\"accumulated_token_usage\"")
        }
        _ => false,
    }
}

fn is_transcript_line(map: &serde_json::Map<String, serde_json::Value>) -> bool {
    ["sessionId", "message", "type"]
        .iter()
        .filter(|k| map.contains_key(**k))
        .count()
        >= 2
}

fn detect_toml(text: &str) -> FileKind {
    let Ok(doc) = text.parse::<toml_edit::DocumentMut>() else {
        return FileKind::Unknown;
    };
    let has = |k: &str| doc.contains_key(k);
    if has("forecast") {
        return FileKind::Forecast;
    }
    if has("agent") || has("phases") {
        return if has("workload") {
            FileKind::BillingComparison
        } else {
            FileKind::TaskScenario
        };
    }
    let catalog_like = doc
        .get("models")
        .and_then(|m| m.as_table_like())
        .is_some_and(|models| {
            !models.is_empty()
                && models.iter().all(|(_, entry)| {
                    entry.as_table_like().is_some_and(|e| {
                        ["as_of", "source", "provider"]
                            .iter()
                            .any(|k| e.contains_key(k))
                    })
                })
        });
    if catalog_like && !has("workflows") && !has("scenario") {
        return FileKind::PriceCatalog;
    }
    FileKind::Unknown
}

/// A file given to a command that does not take its kind.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct WrongFile {
    /// The path as given.
    pub file: String,
    /// What the file is.
    pub kind: FileKind,
    /// The command, e.g. `tokencast run`.
    pub command: &'static str,
    /// What the command takes, e.g. "a task scenario".
    pub takes: &'static str,
}

impl fmt::Display for WrongFile {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "{}: this is {}, but `{}` takes {}; use `{}`",
            self.file,
            self.kind.describe(),
            self.command,
            self.takes,
            self.kind.command_for(&self.file)
        )?;
        if matches!(self.kind, FileKind::PriceCatalog | FileKind::PriceMap) {
            write!(
                f,
                ", or pass it with --prices to run, validate, compare, check or diff"
            )?;
        }
        Ok(())
    }
}

impl std::error::Error for WrongFile {}

/// Checks that `path` (with its `text`) is one of `accepted`; `Unknown` always passes (the
/// command's parser reports it).
pub fn expect_kind(
    path: &Path,
    text: &str,
    accepted: &[FileKind],
    command: &'static str,
    takes: &'static str,
) -> Result<FileKind, WrongFile> {
    let kind = detect(path, text);
    if kind == FileKind::Unknown || accepted.contains(&kind) {
        Ok(kind)
    } else {
        Err(WrongFile {
            file: path.display().to_string(),
            kind,
            command,
            takes,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn kind(name: &str, text: &str) -> FileKind {
        detect(Path::new(name), text)
    }

    #[test]
    fn tells_each_kind_apart() {
        assert_eq!(
            kind("a.toml", "[agent]\nsystem_prompt = 1\n"),
            FileKind::TaskScenario
        );
        assert_eq!(
            kind(
                "a.toml",
                "[[phases]]\nname = \"x\"\n[workload]\nseats = 1\n"
            ),
            FileKind::BillingComparison
        );
        assert_eq!(
            kind("a.toml", "[forecast]\nstart = \"2027-01\"\n[agent]\n"),
            FileKind::Forecast
        );
        assert_eq!(
            kind(
                "p.toml",
                "[models.x]\nas_of = \"2026-01-01\"\ninput = 1\noutput = 2\n"
            ),
            FileKind::PriceCatalog
        );
        // A scenario's models carry no as_of/source: not a catalog.
        assert_eq!(
            kind("s.toml", "[models.x]\ninput = 1\noutput = 2\n"),
            FileKind::Unknown
        );
        assert_eq!(
            kind(
                "m.json",
                r#"{"gpt-x": {"input_cost_per_token": 1e-6, "litellm_provider": "openai"}}"#
            ),
            FileKind::PriceMap
        );
        assert_eq!(kind("m.txt", r#"{"a": {"b": 1}}"#), FileKind::Unknown);
        assert_eq!(kind("logs.csv", "task_id,model\n"), FileKind::UsageLog);
        assert_eq!(
            kind(
                "s.json",
                "{\"type\":\"assistant\",\"sessionId\":\"s\",\"message\":{}}\n{\"type\":\"user\"}\n"
            ),
            FileKind::UsageLog
        );
        assert_eq!(kind("bad.toml", "[agent\n"), FileKind::Unknown);
    }

    #[test]
    fn the_message_names_the_kind_and_the_command_to_use() {
        let e = expect_kind(
            Path::new("org.toml"),
            "[forecast]\n",
            &[FileKind::TaskScenario],
            "tokencast run",
            "a task scenario",
        )
        .unwrap_err();
        assert_eq!(
            e.to_string(),
            "org.toml: this is a forecast (an organisation's spend over months), but \
             `tokencast run` takes a task scenario; use `tokencast forecast org.toml`"
        );
        assert!(
            expect_kind(
                Path::new("x.toml"),
                "garbage = [",
                &[FileKind::Forecast],
                "tokencast forecast",
                "a forecast"
            )
            .is_ok()
        );
    }
}
