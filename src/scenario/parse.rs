//! From TOML text to [`ScenarioFile`], with every error placed at its line, column and field.

use std::ops::Range;

use super::error::{Diagnostic, FieldPath, Location, ScenarioError, Segment};
use super::spec::ScenarioFile;
use crate::text::explain_unknown_key;

/// A string of the document: its text, field path, span, and its key when it is one.
type FoundString<'v> = (
    &'v str,
    FieldPath,
    Option<Range<usize>>,
    Option<&'v toml_edit::Key>,
);

/// Most characters of a name, a key or any string value but a description.
pub const MAX_NAME_CHARS: usize = 200;

/// Most characters of a `description`, `notes` or `source` (prose, which may also hold line
/// breaks and tabs).
pub const MAX_DESCRIPTION_CHARS: usize = 10_000;

/// The keys whose strings are prose.
const PROSE_KEYS: [&str; 3] = ["description", "notes", "source"];

/// The text of a scenario with what is needed to point at its parts.
pub struct Source<'a> {
    /// File name as shown in messages.
    pub file: &'a str,
    /// The whole text.
    pub text: &'a str,
    doc: Option<toml_edit::Document<std::borrow::Cow<'a, str>>>,
}

impl<'a> Source<'a> {
    /// Wraps a text; a syntax error is reported by [`Source::parse`].
    pub fn new(file: &'a str, text: &'a str) -> Self {
        Source {
            file,
            text,
            doc: span_document(text),
        }
    }

    /// Parses and deserialises the file.
    pub fn parse(&self) -> Result<ScenarioFile, ScenarioError> {
        self.parse_as()
    }

    /// Parses and deserialises the file as any serde type (task scenarios, forecasts), with
    /// the same located diagnostics.
    pub fn parse_as<T: serde::de::DeserializeOwned>(&self) -> Result<T, ScenarioError> {
        let deserializer = match toml::Deserializer::parse(self.text) {
            Ok(d) => d,
            Err(e) => return Err(self.toml_error(&e, FieldPath::default())),
        };
        if let Some(doc) = &self.doc {
            self.check_strings(doc.as_item(), &FieldPath::default())?;
        }
        serde_path_to_error::deserialize(deserializer).map_err(|e| {
            let path = convert_path(e.path());
            self.toml_error(e.inner(), path)
        })
    }

    fn toml_error(&self, e: &toml::de::Error, mut path: FieldPath) -> ScenarioError {
        let raw = e.message().trim().to_string();
        let (mut message, mut help) = explain_serde_message(&raw);
        let mut span = e.span().or_else(|| self.span_of(&path));
        if span.is_none() && raw.contains("recursion limit") {
            span = deep_nesting_at(self.text);
        }
        // A key rejected by a hand-written visitor (a distribution's family) is reported at the
        // table holding it: name the key in the path and point at it.
        if let Some(key) = offending_key(&raw)
            && path.0.last() != Some(&Segment::Key(key.to_string()))
            && let Some(key_span) = self.key_span(&path, key)
        {
            path = path.key(key);
            span = Some(key_span);
        }
        if raw == "duplicate key"
            && let Some(key) = span.clone().and_then(|s| self.text.get(s))
        {
            message = format!("duplicate key `{key}`: a key may be set only once in a table");
        }
        if raw.starts_with("wanted exactly 1 element")
            && let Some(Segment::Index(_)) = path.0.last()
            && path.0.iter().rev().nth(1) == Some(&Segment::Key("steps".into()))
        {
            help = Some("a step is `{ call = { ... } }` or `{ tool = { ... } }`".into());
        }
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

    /// Every key and string of the document within [`MAX_NAME_CHARS`] (prose — a
    /// `description`, `notes`, `source` — within [`MAX_DESCRIPTION_CHARS`]) and free of control
    /// characters (prose may hold line breaks and tabs): names are printed in tables, charts
    /// and terminals.
    fn check_strings(&self, item: &toml_edit::Item, path: &FieldPath) -> Result<(), ScenarioError> {
        let check =
            |text: &str, path: &FieldPath, span: Option<Range<usize>>, description: bool| {
                let max = if description {
                    MAX_DESCRIPTION_CHARS
                } else {
                    MAX_NAME_CHARS
                };
                let count = text.chars().count();
                let message = if count > max {
                    Some(format!("expected at most {max} characters, found {count}"))
                } else {
                    text.chars()
                        .find(|&c| {
                            super::error::is_unsafe_char(c)
                                && !(description && (c == '\n' || c == '\t' || c == '\r'))
                        })
                        .map(|c| {
                            format!(
                                "expected text without control characters, found {}",
                                c.escape_default()
                            )
                        })
                };
                match message {
                    None => Ok(()),
                    Some(message) => Err(ScenarioError::Invalid(Box::new(Diagnostic {
                        file: self.file.to_string(),
                        location: span.map(|s| Location::from_span(self.text, s)),
                        path: path.clone(),
                        message,
                        help: None,
                    }))),
                }
            };
        fn value_strings<'v>(
            v: &'v toml_edit::Value,
            path: FieldPath,
            out: &mut Vec<FoundString<'v>>,
        ) {
            match v {
                toml_edit::Value::String(s) => out.push((s.value(), path, s.span(), None)),
                toml_edit::Value::Array(a) => {
                    for (i, x) in a.iter().enumerate() {
                        value_strings(x, path.index(i), out);
                    }
                }
                toml_edit::Value::InlineTable(t) => {
                    for (k, x) in t.iter() {
                        if let Some((key, _)) = t.get_key_value(k) {
                            out.push((key.get(), path.key(k), key.span(), Some(key)));
                        }
                        value_strings(x, path.key(k), out);
                    }
                }
                _ => {}
            }
        }
        let mut strings = Vec::new();
        match item {
            toml_edit::Item::Table(t) => {
                for (k, x) in t.iter() {
                    let p = path.key(k);
                    if let Some((key, _)) = t.get_key_value(k) {
                        check(key.get(), &p, key.span(), false)?;
                    }
                    self.check_strings(x, &p)?;
                }
            }
            toml_edit::Item::ArrayOfTables(a) => {
                for (i, t) in a.iter().enumerate() {
                    self.check_strings(&toml_edit::Item::Table(t.clone()), &path.index(i))?;
                }
            }
            toml_edit::Item::Value(v) => value_strings(v, path.clone(), &mut strings),
            toml_edit::Item::None => {}
        }
        for (text, p, span, key) in strings {
            let description = key.is_none()
                && matches!(p.0.last(), Some(Segment::Key(k)) if PROSE_KEYS.contains(&k.as_str()));
            check(text, &p, span, description)?;
        }
        Ok(())
    }

    /// The span of the key `key` in the table at exactly `path`, if both exist.
    fn key_span(&self, path: &FieldPath, key: &str) -> Option<Range<usize>> {
        let mut item: &toml_edit::Item = self.doc.as_ref()?.as_item();
        for seg in &path.0 {
            item = match seg {
                Segment::Key(k) => item.get(k.as_str()),
                Segment::Index(i) => item.get(*i),
            }?;
        }
        item.as_table_like()?.get_key_value(key)?.0.span()
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

/// The document of `text` to find spans in: the text itself, or when it does not parse (an
/// integer beyond 64 bits) [`spans_only_document`].
pub(crate) fn span_document(text: &str) -> Option<toml_edit::Document<std::borrow::Cow<'_, str>>> {
    toml_edit::Document::parse(std::borrow::Cow::Borrowed(text))
        .ok()
        .or_else(|| spans_only_document(text))
}

/// Where a text nests its tables deeper than a parser's recursion limit: the start of the first
/// line with more than 64 levels (dots of a dotted key or header, or opening brackets and
/// braces), for a message that says where.
fn deep_nesting_at(text: &str) -> Option<std::ops::Range<usize>> {
    let mut at = 0;
    for line in text.split_inclusive('\n') {
        let levels = line
            .bytes()
            .filter(|b| matches!(b, b'.' | b'[' | b'{'))
            .count();
        if levels > 64 {
            return Some(at..at + 1);
        }
        at += line.len();
    }
    None
}

/// A document to find spans in when the text itself does not parse as one: integers beyond 64
/// bits (which the deserializer reads, and then rejects with a field path) are replaced by
/// float literals of the same length, so every span stays where it was.
pub(crate) fn spans_only_document(
    text: &str,
) -> Option<toml_edit::Document<std::borrow::Cow<'_, str>>> {
    let bytes = text.as_bytes();
    let mut out = String::with_capacity(text.len());
    let mut i = 0;
    while i < bytes.len() {
        let start = i;
        if bytes[i].is_ascii_digit() && (i == 0 || !bytes[i - 1].is_ascii_alphanumeric()) {
            while i < bytes.len() && (bytes[i].is_ascii_digit() || bytes[i] == b'_') {
                i += 1;
            }
            let run = &text[start..i];
            let after = bytes.get(i).copied();
            if run.len() >= 19 && !matches!(after, Some(b'.' | b'e' | b'E')) {
                out.push_str("1.");
                out.push_str(&"0".repeat(run.len() - 2));
            } else {
                out.push_str(run);
            }
        } else {
            let c = text[i..].chars().next().unwrap_or(' ');
            out.push(c);
            i += c.len_utf8();
        }
    }
    if out == text {
        return None;
    }
    toml_edit::Document::parse(std::borrow::Cow::Owned(out)).ok()
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

/// The key a message blames, when the error is reported at the table holding it: an unknown key,
/// or the second family of a distribution naming two (`dist::DistSpec`'s message).
fn offending_key(raw: &str) -> Option<&str> {
    if let Some(rest) = raw.strip_prefix("unknown field `") {
        return rest.split('`').next();
    }
    if raw.starts_with("a distribution names one family, found `") {
        return raw.rsplit('`').nth(1);
    }
    None
}

/// Rewrites serde's messages as "expected ..., found ..." sentences and finds a suggestion for
/// unknown keys and variants.
fn explain_serde_message(raw: &str) -> (String, Option<String>) {
    if let Some(explained) = explain_unknown_key(raw) {
        return explained;
    }
    if raw.starts_with("cannot recurse further") || raw.contains("recursion limit") {
        return (
            "tables or arrays nested too deeply: expected the few levels a scenario uses".into(),
            None,
        );
    }
    if let Some(rest) = raw.strip_prefix("wanted exactly 1 element, ") {
        let found = match rest.strip_prefix("found ") {
            Some("0 elements") => "none",
            _ => "more than one",
        };
        return (
            format!("expected a table with exactly one key naming its kind, found {found}"),
            None,
        );
    }
    if let Some(field) = raw.strip_prefix("missing field ") {
        return (format!("expected the key {field}, found none"), None);
    }
    if let Some(rest) = raw.strip_prefix("invalid type: ") {
        // serde says "invalid type: string \"x\", expected f64".
        if let Some((found, expected)) = rest.rsplit_once(", expected ") {
            // An integer too large for 64 bits is read as an i128 and reported as a type error.
            if let Some(found) = found
                .strip_suffix(" as i128")
                .or_else(|| found.strip_suffix(" as u128"))
            {
                return (
                    format!(
                        "expected {} that fits in 64 bits, found {found}",
                        humanize(expected)
                    ),
                    None,
                );
            }
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
        "i64" | "i32" => "an integer".to_string(),
        "u64" | "u32" | "usize" => "a non-negative integer".to_string(),
        "a sequence" => "an array".to_string(),
        "a map" => "a table".to_string(),
        other if other.starts_with("struct ") => "a table".to_string(),
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

    fn diagnose(text: &str) -> Diagnostic {
        match Source::new("t.toml", text).parse() {
            Err(ScenarioError::Invalid(d)) => *d,
            other => panic!("expected a diagnostic, found {other:?}"),
        }
    }

    const HEAD: &str = "[models.m]\ninput = 1\noutput = 2\n[agent]\n";

    #[test]
    fn an_unknown_family_is_named_in_the_path_and_pointed_at() {
        let d = diagnose(&format!(
            "{HEAD}system_prompt = {{ lognorm = {{ median = 1 }} }}\n"
        ));
        assert_eq!(d.path.to_string(), "agent.system_prompt.lognorm");
        let loc = d.location.unwrap();
        // `system_prompt = { ` is 18 characters.
        assert_eq!((loc.line, loc.column, loc.width), (5, 19, 7));
        assert_eq!(d.help.as_deref(), Some("did you mean `lognormal`?"));
    }

    #[test]
    fn a_second_family_is_named_in_the_path_and_pointed_at() {
        let d = diagnose(&format!(
            "{HEAD}system_prompt = {{ fixed = 1, poisson = {{ mean = 1 }} }}\n"
        ));
        assert_eq!(d.path.to_string(), "agent.system_prompt.poisson");
        let loc = d.location.unwrap();
        // `system_prompt = { fixed = 1, ` is 29 characters.
        assert_eq!((loc.line, loc.column, loc.width), (5, 30, 7));
    }

    #[test]
    fn a_duplicate_key_is_named() {
        let d = diagnose("[models.m]\ninput = 1\ninput = 2\n");
        assert!(
            d.message.starts_with("duplicate key `input`"),
            "{}",
            d.message
        );
        assert_eq!(d.location.map(|l| (l.line, l.column)), Some((3, 1)));
    }

    #[test]
    fn integer_messages_say_which_integers() {
        let (m, _) = explain_serde_message("invalid value: integer `-1`, expected u64");
        assert_eq!(m, "expected a non-negative integer, found integer `-1`");
        let (m, _) = explain_serde_message(
            "invalid type: integer `99999999999999999999` as i128, expected i64",
        );
        assert_eq!(
            m,
            "expected an integer that fits in 64 bits, found integer `99999999999999999999`"
        );
    }

    #[test]
    fn type_errors_read_expected_then_found() {
        let (m, _) = explain_serde_message("invalid type: string \"abc\", expected f64");
        assert_eq!(m, "expected a number, found string \"abc\"");
    }
}
