//! From TOML text to [`ScenarioFile`], with every error placed at its line, column and field.

use std::ops::Range;

use super::error::{Diagnostic, FieldPath, Location, ScenarioError, Segment, did_you_mean};
use super::spec::ScenarioFile;

/// The text of a scenario with what is needed to point at its parts.
pub struct Source<'a> {
    /// File name as shown in messages.
    pub file: &'a str,
    /// The whole text.
    pub text: &'a str,
    doc: Option<toml_edit::Document<&'a str>>,
}

impl<'a> Source<'a> {
    /// Wraps a text; a syntax error is reported by [`Source::parse`].
    pub fn new(file: &'a str, text: &'a str) -> Self {
        Source {
            file,
            text,
            doc: toml_edit::Document::parse(text).ok(),
        }
    }

    /// Parses and deserialises the file.
    pub fn parse(&self) -> Result<ScenarioFile, ScenarioError> {
        let deserializer = match toml::Deserializer::parse(self.text) {
            Ok(d) => d,
            Err(e) => return Err(self.toml_error(&e, FieldPath::default())),
        };
        serde_path_to_error::deserialize(deserializer).map_err(|e| {
            let path = convert_path(e.path());
            self.toml_error(e.inner(), path)
        })
    }

    fn toml_error(&self, e: &toml::de::Error, path: FieldPath) -> ScenarioError {
        let raw = e.message().trim().to_string();
        let (message, help) = explain_serde_message(&raw);
        let span = e.span().or_else(|| self.span_of(&path));
        ScenarioError::Invalid(Box::new(Diagnostic {
            file: self.file.to_string(),
            location: span.map(|s| Location::from_span(self.text, s)),
            path,
            message,
            help,
        }))
    }

    /// A diagnostic at a field path (for checks made after deserialising).
    pub fn error_at(
        &self,
        path: FieldPath,
        message: String,
        help: Option<String>,
    ) -> ScenarioError {
        let location = self
            .span_of(&path)
            .map(|s| Location::from_span(self.text, s));
        ScenarioError::Invalid(Box::new(Diagnostic {
            file: self.file.to_string(),
            location,
            path,
            message,
            help,
        }))
    }

    /// The span of the deepest part of `path` present in the document.
    fn span_of(&self, path: &FieldPath) -> Option<Range<usize>> {
        let doc = self.doc.as_ref()?;
        let mut item: &toml_edit::Item = doc.as_item();
        let mut best = None;
        for seg in &path.0 {
            let next = match seg {
                Segment::Key(k) => item.get(k.as_str()),
                Segment::Index(i) => item.get(*i),
            };
            match next {
                Some(n) => {
                    item = n;
                    if let Some(s) = n.span() {
                        best = Some(s);
                    }
                }
                None => break,
            }
        }
        best
    }
}

fn convert_path(path: &serde_path_to_error::Path) -> FieldPath {
    use serde_path_to_error::Segment as S;
    FieldPath(
        path.iter()
            .filter_map(|s| match s {
                S::Seq { index } => Some(Segment::Index(*index)),
                S::Map { key } => Some(Segment::Key(key.clone())),
                S::Enum { variant } => Some(Segment::Key(variant.clone())),
                S::Unknown => None,
            })
            .collect(),
    )
}

/// Rewrites serde's messages as "expected ..., found ..." sentences and finds a suggestion for
/// unknown keys and variants.
fn explain_serde_message(raw: &str) -> (String, Option<String>) {
    for prefix in ["unknown field", "unknown variant"] {
        if let Some(rest) = raw.strip_prefix(prefix) {
            let mut ticks = rest.split('`').skip(1).step_by(2);
            let found = ticks.next().unwrap_or("").to_string();
            let expected: Vec<&str> = ticks.collect();
            let what = if prefix == "unknown field" {
                "key"
            } else {
                "value"
            };
            let message = if expected.is_empty() {
                format!("unknown {what} `{found}`: this table accepts no keys here")
            } else {
                format!(
                    "unknown {what} `{found}`: expected one of {}",
                    expected
                        .iter()
                        .map(|e| format!("`{e}`"))
                        .collect::<Vec<_>>()
                        .join(", ")
                )
            };
            let help = did_you_mean(&found, expected.iter().copied())
                .map(|s| format!("did you mean `{s}`?"));
            return (message, help);
        }
    }
    if let Some(field) = raw.strip_prefix("missing field ") {
        return (format!("expected the key {field}, found none"), None);
    }
    if let Some(rest) = raw.strip_prefix("invalid type: ") {
        // serde says "invalid type: string \"x\", expected f64".
        if let Some((found, expected)) = rest.rsplit_once(", expected ") {
            return (
                format!("expected {}, found {found}", humanize(expected)),
                None,
            );
        }
    }
    if let Some(rest) = raw.strip_prefix("invalid value: ")
        && let Some((found, expected)) = rest.rsplit_once(", expected ")
    {
        return (
            format!("expected {}, found {found}", humanize(expected)),
            None,
        );
    }
    (raw.to_string(), None)
}

fn humanize(expected: &str) -> String {
    match expected {
        "f64" | "f32" => "a number".to_string(),
        "i64" | "u64" | "u32" | "usize" | "i32" => "an integer".to_string(),
        "a sequence" => "an array".to_string(),
        "a map" => "a table".to_string(),
        other => other.to_string(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn unknown_field_messages_get_a_suggestion() {
        let (m, h) = explain_serde_message("unknown field `sigm`, expected `median` or `sigma`");
        assert!(m.contains("unknown key `sigm`"), "{m}");
        assert_eq!(h.as_deref(), Some("did you mean `sigma`?"));
    }

    #[test]
    fn type_errors_read_expected_then_found() {
        let (m, _) = explain_serde_message("invalid type: string \"abc\", expected f64");
        assert_eq!(m, "expected a number, found string \"abc\"");
    }
}
