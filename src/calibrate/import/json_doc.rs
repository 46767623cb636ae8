//! Helpers of the JSON importers: where the elements of a document's arrays start (so that a
//! record of a whole-file JSON document is reported at its own line), JSON documents read
//! whole or one per line, and counts read from JSON values.

use serde_json::Value;

/// One step of a path into a JSON document: a key of an object, or every element of an array.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Step {
    /// The value under this key.
    Key(&'static str),
    /// Each element of the array.
    Each,
}

/// For every value the path reaches, the array indices taken on the way (one per
/// [`Step::Each`]) and the 1-based line where the value starts. `text` must be valid JSON
/// (parse it first); a scan that meets anything else stops and returns what it found.
pub(crate) fn value_lines(text: &str, path: &[Step]) -> Vec<(Vec<usize>, u64)> {
    let mut scan = Scan {
        bytes: text.as_bytes(),
        at: 0,
        line: 1,
        found: Vec::new(),
    };
    let mut indices = Vec::new();
    scan.value(Some(path), &mut indices);
    scan.found
}

struct Scan<'a> {
    bytes: &'a [u8],
    at: usize,
    line: u64,
    found: Vec<(Vec<usize>, u64)>,
}

impl Scan<'_> {
    fn blank(&mut self) {
        while let Some(&b) = self.bytes.get(self.at) {
            match b {
                b'\n' => self.line += 1,
                b' ' | b'\t' | b'\r' => {}
                _ => return,
            }
            self.at += 1;
        }
    }

    /// Skips a string (the cursor on its opening quote) and returns its raw text.
    fn string(&mut self) -> &str {
        let start = self.at + 1;
        self.at += 1;
        while let Some(&b) = self.bytes.get(self.at) {
            match b {
                b'\\' => self.at += 2,
                b'"' => {
                    self.at += 1;
                    return std::str::from_utf8(&self.bytes[start..self.at - 1]).unwrap_or("");
                }
                b'\n' => {
                    self.line += 1;
                    self.at += 1
                }
                _ => self.at += 1,
            }
        }
        ""
    }

    /// Scans one value; `path` is what remains to match from it (`None`: nothing below it is
    /// looked for; `Some(&[])`: it is a value looked for).
    fn value(&mut self, path: Option<&[Step]>, indices: &mut Vec<usize>) {
        self.blank();
        if path.is_some_and(<[Step]>::is_empty) {
            self.found.push((indices.clone(), self.line));
        }
        let path = path.unwrap_or(&[]);
        match self.bytes.get(self.at) {
            Some(b'{') => {
                self.at += 1;
                loop {
                    self.blank();
                    match self.bytes.get(self.at) {
                        Some(b'}') => {
                            self.at += 1;
                            return;
                        }
                        Some(b',') => self.at += 1,
                        Some(b'"') => {
                            let key = self.string().to_string();
                            self.blank();
                            self.at += 1; // the colon
                            match path.first() {
                                Some(Step::Key(k)) if *k == key => {
                                    self.value(Some(&path[1..]), indices)
                                }
                                _ => self.value(None, indices),
                            }
                        }
                        _ => return,
                    }
                }
            }
            Some(b'[') => {
                self.at += 1;
                let mut i = 0;
                loop {
                    self.blank();
                    match self.bytes.get(self.at) {
                        Some(b']') => {
                            self.at += 1;
                            return;
                        }
                        Some(b',') => self.at += 1,
                        Some(_) => {
                            match path.first() {
                                Some(Step::Each) => {
                                    indices.push(i);
                                    self.value(Some(&path[1..]), indices);
                                    indices.pop();
                                }
                                _ => self.value(None, indices),
                            }
                            i += 1;
                        }
                        None => return,
                    }
                }
            }
            Some(b'"') => {
                self.string();
            }
            Some(_) => {
                while let Some(&b) = self.bytes.get(self.at) {
                    if matches!(b, b',' | b'}' | b']' | b' ' | b'\n' | b'\t' | b'\r') {
                        break;
                    }
                    self.at += 1;
                }
            }
            None => {}
        }
    }
}

/// The JSON documents of a file with the line each starts at: the whole text when it is one
/// document, else one per non-blank line (JSON Lines). A line that is not JSON is returned
/// as its error; blank lines are left out.
pub(crate) fn documents(text: &str) -> Vec<(u64, Result<Value, String>)> {
    let trimmed = text.trim_start();
    if let (false, Ok(v)) = (trimmed.is_empty(), serde_json::from_str::<Value>(text)) {
        let first = text.len() - trimmed.len();
        let line = text[..first].matches('\n').count() as u64 + 1;
        return vec![(line, Ok(v))];
    }
    text.lines()
        .enumerate()
        .filter(|(_, l)| !l.trim().is_empty())
        .map(|(i, l)| {
            (
                i as u64 + 1,
                serde_json::from_str::<Value>(l).map_err(|e| format!("invalid JSON: {e}")),
            )
        })
        .collect()
}

/// A token count under `key` of `object`: absent or null is 0; a non-negative integer (or a
/// string of one, as OTLP JSON writes 64-bit integers) within the bounds of a draw.
pub(crate) fn count(object: &Value, key: &str, field: &str) -> Result<u64, String> {
    match object.get(key) {
        None | Some(Value::Null) => Ok(0),
        Some(v) => number(v, field),
    }
}

/// A non-negative integer count (or a string holding one), within the bounds of a draw.
pub(crate) fn number(v: &Value, field: &str) -> Result<u64, String> {
    let n = match v {
        Value::Number(n) => n.as_u64().or_else(|| {
            n.as_f64()
                .filter(|f| *f >= 0.0 && f.fract() == 0.0 && *f < 1.8e19)
                .map(|f| f as u64)
        }),
        Value::String(s) => s.trim().parse::<u64>().ok(),
        _ => None,
    };
    match n {
        Some(n) => super::check_count(field, n),
        None => Err(format!(
            "{field}: expected a non-negative whole number of tokens, found {}",
            crate::text::clip(&v.to_string(), 40)
        )),
    }
}

/// The uncached part of a prompt count that includes its cached parts (OpenAI's, Gemini's,
/// LiteLLM's and OpenTelemetry's convention): `total − read − write`. A total below its parts
/// was counted without them (Anthropic's convention): then it is the uncached part itself,
/// and `Err` says so for the count of records read that way.
pub(crate) fn uncached(total: u64, read: u64, write: u64) -> Result<u64, u64> {
    total.checked_sub(read + write).ok_or(total)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn lines_of_nested_array_elements() {
        let text = "{\n \"a\": [\n  {\"x\": \"[{\\\"\"},\n  {\"b\": [1,\n 2]}\n ],\n \"c\": {\"a\": [9]}\n}\n";
        assert_eq!(
            value_lines(text, &[Step::Key("a"), Step::Each]),
            vec![(vec![0], 3), (vec![1], 4)]
        );
        assert_eq!(
            value_lines(
                text,
                &[Step::Key("a"), Step::Each, Step::Key("b"), Step::Each]
            ),
            vec![(vec![1, 0], 4), (vec![1, 1], 5)]
        );
        assert_eq!(value_lines("[1,\n2]", &[Step::Each]).len(), 2);
    }

    #[test]
    fn documents_whole_or_one_per_line() {
        assert_eq!(documents("\n\n{\"a\":\n1}").len(), 1);
        assert_eq!(documents("\n\n{\"a\":\n1}")[0].0, 3);
        let lines = documents("{\"a\":1}\n\nnot json\n{\"b\":2}\n");
        let at: Vec<u64> = lines.iter().map(|l| l.0).collect();
        assert_eq!(at, [1, 3, 4]);
        assert!(lines[1].1.is_err());
    }

    #[test]
    fn counts_from_numbers_and_strings() {
        let v: Value = serde_json::json!({"a": 5, "b": "7", "c": -1, "d": null});
        assert_eq!(count(&v, "a", "a"), Ok(5));
        assert_eq!(count(&v, "b", "b"), Ok(7));
        assert!(count(&v, "c", "c").unwrap_err().contains("found -1"));
        assert_eq!(count(&v, "d", "d"), Ok(0));
        assert_eq!(uncached(100, 60, 10), Ok(30));
        assert_eq!(uncached(20, 60, 10), Err(20));
    }
}
