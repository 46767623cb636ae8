//! Scenario errors that say where: file, line and column, field path, expected vs found, and a
//! "did you mean" for typos.

use std::fmt;
use std::ops::Range;

/// A segment of a field path: a table key or an array index.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Segment {
    /// A table key.
    Key(String),
    /// An array index.
    Index(usize),
}

/// A field path such as `phases[1].until_pass.p_pass`.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct FieldPath(pub Vec<Segment>);

impl FieldPath {
    /// The path with one more key.
    pub fn key(&self, key: &str) -> FieldPath {
        let mut p = self.clone();
        p.0.push(Segment::Key(key.to_string()));
        p
    }

    /// The path with one more index.
    pub fn index(&self, i: usize) -> FieldPath {
        let mut p = self.clone();
        p.0.push(Segment::Index(i));
        p
    }

    /// The path extended by a dotted relative path such as `lognormal.sigma` or `values[2]`.
    pub fn dotted(&self, rel: &str) -> FieldPath {
        let mut p = self.clone();
        for part in rel.split('.').filter(|s| !s.is_empty()) {
            match part.find('[') {
                Some(b) => {
                    p.0.push(Segment::Key(part[..b].to_string()));
                    for idx in part[b..].split(['[', ']']).filter(|s| !s.is_empty()) {
                        if let Ok(i) = idx.parse() {
                            p.0.push(Segment::Index(i));
                        }
                    }
                }
                None => p.0.push(Segment::Key(part.to_string())),
            }
        }
        p
    }
}

/// Whether a character must not reach a terminal as it is: a control character (an escape
/// sequence could recolour or rewrite the screen) or a bidirectional override or isolate (it
/// could make text read in another order than it is).
pub fn is_unsafe_char(c: char) -> bool {
    c.is_control()
        || matches!(c, '\u{200E}' | '\u{200F}' | '\u{202A}'..='\u{202E}' | '\u{2066}'..='\u{2069}')
}

/// `text` with every [`is_unsafe_char`] written as its escape (`\u{1b}`).
pub fn printable(text: &str) -> std::borrow::Cow<'_, str> {
    if !text.chars().any(is_unsafe_char) {
        return std::borrow::Cow::Borrowed(text);
    }
    std::borrow::Cow::Owned(
        text.chars()
            .map(|c| {
                if is_unsafe_char(c) {
                    c.escape_unicode().to_string()
                } else {
                    c.to_string()
                }
            })
            .collect(),
    )
}

impl fmt::Display for FieldPath {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if self.0.is_empty() {
            return f.write_str("(top level)");
        }
        for (i, seg) in self.0.iter().enumerate() {
            match seg {
                Segment::Key(k) if i == 0 => write!(f, "{}", printable(k))?,
                Segment::Key(k) => write!(f, ".{}", printable(k))?,
                Segment::Index(n) => write!(f, "[{n}]")?,
            }
        }
        Ok(())
    }
}

/// Where in a file: 1-based line and column, and the text of that line.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Location {
    /// 1-based line.
    pub line: usize,
    /// 1-based column, in characters.
    pub column: usize,
    /// Length of the marked span on that line, in characters (at least 1).
    pub width: usize,
    /// The text of the line.
    pub source_line: String,
}

impl Location {
    /// The location of a byte span in `text`.
    pub fn from_span(text: &str, span: Range<usize>) -> Location {
        let start = span.start.min(text.len());
        let line_start = text[..start].rfind('\n').map_or(0, |i| i + 1);
        let line_end = text[start..].find('\n').map_or(text.len(), |i| start + i);
        let line = text[..start].matches('\n').count() + 1;
        let column = text[line_start..start].chars().count() + 1;
        let end = span.end.clamp(start, line_end);
        let width = text[start..end].chars().count().max(1);
        Location {
            line,
            column,
            width,
            source_line: text[line_start..line_end]
                .trim_end_matches('\r')
                .to_string(),
        }
    }
}

/// Why a scenario could not be loaded.
#[derive(Debug, Clone, PartialEq)]
pub enum ScenarioError {
    /// The file could not be read.
    Io {
        /// The file.
        file: String,
        /// The operating system's message.
        message: String,
    },
    /// The file was read but its content is wrong.
    Invalid(Box<Diagnostic>),
}

/// One problem in a scenario's content.
#[derive(Debug, Clone, PartialEq)]
pub struct Diagnostic {
    /// The file (or `<inline>`).
    pub file: String,
    /// Where, if known.
    pub location: Option<Location>,
    /// The field path, if known.
    pub path: FieldPath,
    /// What was expected and what was found.
    pub message: String,
    /// A suggestion, e.g. "did you mean `sigma`?".
    pub help: Option<String>,
}

impl ScenarioError {
    /// The diagnostic, if the error is about content.
    pub fn diagnostic(&self) -> Option<&Diagnostic> {
        match self {
            ScenarioError::Invalid(d) => Some(d),
            ScenarioError::Io { .. } => None,
        }
    }
}

impl std::error::Error for ScenarioError {}

impl From<crate::input::InputError> for ScenarioError {
    /// A file that cannot be read: a bad byte is placed at its line and column like any other
    /// content error; the rest (not a regular file, too large, the system's error) are I/O.
    fn from(e: crate::input::InputError) -> Self {
        match e {
            crate::input::InputError::NotUtf8 {
                file,
                line,
                column,
                byte,
            } => ScenarioError::Invalid(Box::new(Diagnostic {
                file,
                location: Some(Location {
                    line,
                    column,
                    width: 1,
                    source_line: String::new(),
                }),
                path: FieldPath::default(),
                message: format!("not UTF-8 text: byte 0x{byte:02X}"),
                help: Some("save the file as UTF-8".into()),
            })),
            other => ScenarioError::Io {
                message: other.reason(),
                file: match other {
                    crate::input::InputError::NotAFile { file, .. }
                    | crate::input::InputError::TooLarge { file, .. }
                    | crate::input::InputError::NotUtf8 { file, .. }
                    | crate::input::InputError::Io { file, .. } => file,
                },
            },
        }
    }
}

impl fmt::Display for ScenarioError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            ScenarioError::Io { file, message } => {
                write!(f, "{file}: cannot read the scenario: {message}")
            }
            ScenarioError::Invalid(d) => d.fmt(f),
        }
    }
}

impl fmt::Display for Diagnostic {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match &self.location {
            Some(loc) => write!(f, "{}:{}:{}: ", self.file, loc.line, loc.column)?,
            None => write!(f, "{}: ", self.file)?,
        }
        if !self.path.0.is_empty() {
            write!(f, "{}: ", self.path)?;
        }
        f.write_str(&self.message)?;
        if let Some(loc) = &self.location {
            let gutter = loc.line.to_string().len();
            // A window of at most SHOWN_LINE characters around the column, so that a line of
            // megabytes is not copied into the message.
            let chars: Vec<char> = loc.source_line.chars().collect();
            let start = if chars.len() > SHOWN_LINE {
                (loc.column - 1)
                    .saturating_sub(SHOWN_LINE / 3)
                    .min(chars.len() - SHOWN_LINE)
            } else {
                0
            };
            let end = (start + SHOWN_LINE).min(chars.len());
            let lead = if start > 0 { "…" } else { "" };
            let trail = if end < chars.len() { "…" } else { "" };
            // One character for one, so that the caret stays under its column: a tab as a
            // space, anything unsafe for a terminal as U+FFFD.
            let shown: String = chars[start..end]
                .iter()
                .map(|&c| match c {
                    '\t' => ' ',
                    c if is_unsafe_char(c) => '\u{FFFD}',
                    c => c,
                })
                .collect();
            let caret_at = loc.column - 1 - start.min(loc.column - 1) + lead.chars().count();
            let width = loc.width.min(end.saturating_sub(loc.column - 1).max(1));
            write!(
                f,
                "\n{:gutter$} |\n{} | {lead}{shown}{trail}\n{:gutter$} | {}{}",
                "",
                loc.line,
                "",
                " ".repeat(caret_at),
                "^".repeat(width),
            )?;
        }
        if let Some(help) = &self.help {
            write!(f, "\nhelp: {help}")?;
        }
        Ok(())
    }
}

/// Most characters of a source line a message shows.
const SHOWN_LINE: usize = 160;

/// A number as a message shows it: plain when moderate, in scientific notation when huge or
/// tiny (so `1e300` is not printed with 300 digits).
pub fn number(v: f64) -> String {
    if v != 0.0 && v.is_finite() && !(1e-4..1e9).contains(&v.abs()) {
        format!("{v:e}")
    } else {
        format!("{v}")
    }
}

pub use crate::text::did_you_mean;

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn location_counts_lines_and_columns_from_one() {
        let text = "a = 1\nbb = 2\n";
        let loc = Location::from_span(text, 11..12);
        assert_eq!((loc.line, loc.column, loc.width), (2, 6, 1));
        assert_eq!(loc.source_line, "bb = 2");
    }

    #[test]
    fn dotted_paths_parse_keys_and_indices() {
        let p = FieldPath::default()
            .key("phases")
            .index(1)
            .dotted("empirical.values[2]");
        assert_eq!(p.to_string(), "phases[1].empirical.values[2]");
    }

    #[test]
    fn suggestions_pick_the_closest_name() {
        assert_eq!(
            did_you_mean("sigm", ["median", "sigma", "p50"]),
            Some("sigma")
        );
        assert_eq!(did_you_mean("zzz", ["median", "sigma"]), None);
    }
}
