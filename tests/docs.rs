//! The docs stay true: every command output quoted in the README and the user guide is
//! regenerated here and compared with the quote.
//!
//! A quoted output is a fenced block right after a comment that says how it was made:
//!
//! ```text
//! <!-- output: forecast scenarios/org-forecast.toml | keep: year 1; year 2; annual budget -->
//! ```
//!
//! The words after `output:` are tokencast's arguments (quotes group words, as in a shell; a final
//! `2>&1` adds what the command writes on stderr). Without options the block is the whole output.
//! `| from: PATTERN` shows one section: from the first line matching the pattern to the next
//! blank line; `| until: PATTERN` ends the section before the first line after its start that
//! matches (the rest of the output when neither is given). `| keep: P1; P2; ...` shows only the lines matching one of the patterns, and a
//! line `  ...` where lines were left out between two kept ones. A pattern matches a line that
//! starts with it after the indent; `*` in it stands for any run of characters.
//!
//! Commands run in a scratch directory that mirrors the repository's `scenarios/`, `examples/`
//! and `tests/` (so the paths they print are the ones a reader types, and nothing is written
//! into the checkout). Each distinct command runs once.
//!
//! When a figure drifts the test fails with the differences; `scripts/update-docs.sh` (which
//! runs this test with `TOKENCAST_BLESS=1`) rewrites every quoted block from the current code,
//! for review in the diff.

use std::collections::BTreeMap;
use std::fs;
use std::path::{Path, PathBuf};
use std::process::Command;

/// One quoted output in a markdown file.
struct Quote {
    /// Markdown file, relative to the repository.
    file: PathBuf,
    /// Line of the `<!-- output: ... -->` comment (1-based).
    line: usize,
    /// tokencast's arguments.
    args: Vec<String>,
    /// Whether stderr is part of the quote.
    stderr: bool,
    /// Line patterns to keep (empty: every line).
    keep: Vec<String>,
    /// The section to show: from the first line matching `from` (default: the first line) to
    /// the first line after it matching `until` (excluded; default: the next blank line after
    /// `from`, else the end).
    from: Option<String>,
    until: Option<String>,
    /// Lines of the file that hold the block's body (0-based, end exclusive).
    body: std::ops::Range<usize>,
}

fn repo() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
}

fn markdown_files() -> Vec<PathBuf> {
    let mut files = vec![PathBuf::from("README.md")];
    let mut guide: Vec<PathBuf> = fs::read_dir(repo().join("docs/guide"))
        .expect("docs/guide")
        .map(|e| e.expect("entry").path())
        .filter(|p| p.extension().is_some_and(|e| e == "md"))
        .map(|p| p.strip_prefix(repo()).expect("in repo").to_path_buf())
        .collect();
    guide.sort();
    files.extend(guide);
    files
}

/// Splits `text` into words like a shell: single or double quotes group words.
fn shell_words(text: &str) -> Vec<String> {
    let mut words = Vec::new();
    let mut word = String::new();
    let mut in_word = false;
    let mut quote: Option<char> = None;
    for c in text.chars() {
        match quote {
            Some(q) if c == q => quote = None,
            Some(_) => word.push(c),
            None if c == '\'' || c == '"' => {
                quote = Some(c);
                in_word = true;
            }
            None if c.is_whitespace() => {
                if in_word {
                    words.push(std::mem::take(&mut word));
                    in_word = false;
                }
            }
            None => {
                word.push(c);
                in_word = true;
            }
        }
    }
    assert!(quote.is_none(), "unclosed quote in `{text}`");
    if in_word {
        words.push(word);
    }
    words
}

fn quotes(file: &Path, text: &str) -> Vec<Quote> {
    let lines: Vec<&str> = text.lines().collect();
    let mut out = Vec::new();
    let mut i = 0;
    while i < lines.len() {
        let t = lines[i].trim();
        if let Some(spec) = t
            .strip_prefix("<!-- output:")
            .and_then(|s| s.strip_suffix("-->"))
        {
            let here = format!("{}:{}", file.display(), i + 1);
            let mut parts = spec.split(" | ");
            let command = parts.next().unwrap_or_default();
            let (mut keep, mut from, mut until) = (Vec::new(), None, None);
            for part in parts {
                let part = part.trim();
                if let Some(k) = part.strip_prefix("keep:") {
                    keep = k
                        .split(';')
                        .map(|p| p.trim().to_string())
                        .filter(|p| !p.is_empty())
                        .collect();
                } else if let Some(f) = part.strip_prefix("from:") {
                    from = Some(f.trim().to_string());
                } else if let Some(u) = part.strip_prefix("until:") {
                    until = Some(u.trim().to_string());
                } else {
                    panic!(
                        "{here}: expected `keep: ...`, `from: ...` or `until: ...` after `|`, \
                         found `{part}`"
                    );
                }
            }
            let mut args = shell_words(command);
            let stderr = args.last().is_some_and(|a| a == "2>&1");
            if stderr {
                args.pop();
            }
            assert!(!args.is_empty(), "{here}: no command after `output:`");
            let open = i + 1;
            assert!(
                lines.get(open).is_some_and(|l| l.starts_with("```")),
                "{here}: the comment must be followed by a fenced block"
            );
            let close = (open + 1..lines.len())
                .find(|&k| lines[k].starts_with("```"))
                .unwrap_or_else(|| panic!("{here}: the fenced block is not closed"));
            out.push(Quote {
                file: file.to_path_buf(),
                line: i + 1,
                args,
                stderr,
                keep,
                from,
                until,
                body: open + 1..close,
            });
            i = close + 1;
        } else {
            i += 1;
        }
    }
    out
}

/// A scratch directory in which commands see the repository's inputs at their usual paths.
fn scratch() -> PathBuf {
    let dir = std::env::temp_dir().join(format!("tokencast-docs-{}", std::process::id()));
    let _ = fs::remove_dir_all(&dir);
    fs::create_dir_all(&dir).expect("scratch dir");
    for top in ["scenarios", "examples", "tests"] {
        // A real directory of links, so that a command writing `scenarios/x.toml` writes into
        // the scratch directory, not the checkout.
        let mirror = dir.join(top);
        fs::create_dir_all(&mirror).expect("mirror dir");
        for entry in fs::read_dir(repo().join(top)).expect("repo dir") {
            let entry = entry.expect("entry");
            std::os::unix::fs::symlink(entry.path(), mirror.join(entry.file_name()))
                .expect("symlink");
        }
    }
    dir
}

fn run(dir: &Path, q: &Quote) -> String {
    let out = Command::new(env!("CARGO_BIN_EXE_tokencast"))
        .args(&q.args)
        .current_dir(dir)
        .env("NO_COLOR", "1")
        .output()
        .expect("run tokencast");
    let mut text = String::from_utf8_lossy(&out.stdout).into_owned();
    if q.stderr {
        text.push_str(&String::from_utf8_lossy(&out.stderr));
    } else {
        assert!(
            out.status.success(),
            "{}:{}: `tokencast {}` failed ({}):\n{}",
            q.file.display(),
            q.line,
            q.args.join(" "),
            out.status,
            String::from_utf8_lossy(&out.stderr)
        );
    }
    text
}

/// Whether `line`, after its indent, matches `pattern`: a prefix in which `*` stands for any
/// run of characters.
fn matches(line: &str, pattern: &str) -> bool {
    let mut rest = line.trim_start();
    for (k, piece) in pattern.split('*').enumerate() {
        if k == 0 {
            match rest.strip_prefix(piece) {
                Some(r) => rest = r,
                None => return false,
            }
        } else {
            match rest.find(piece) {
                Some(at) => rest = &rest[at + piece.len()..],
                None => return false,
            }
        }
    }
    true
}

/// The lines a quote shows of a command's output.
fn excerpt(output: &str, keep: &[String], from: Option<&str>, until: Option<&str>) -> Vec<String> {
    let mut lines: Vec<&str> = output.lines().map(str::trim_end).collect();
    let start = match from {
        Some(from) => lines
            .iter()
            .position(|l| matches(l, from))
            .unwrap_or(lines.len()),
        None => 0,
    };
    let end = match (until, from) {
        (Some(until), _) => (start + 1..lines.len()).find(|&k| matches(lines[k], until)),
        (None, Some(_)) => (start..lines.len()).find(|&k| lines[k].is_empty()),
        (None, None) => None,
    }
    .unwrap_or(lines.len());
    lines = lines[start..end.max(start)].to_vec();
    while lines.last().is_some_and(|l| l.is_empty()) {
        lines.pop();
    }
    if keep.is_empty() {
        let mut all: Vec<String> = lines.iter().map(|l| l.to_string()).collect();
        while all.last().is_some_and(|l| l.is_empty()) {
            all.pop();
        }
        return all;
    }
    let mut shown = Vec::new();
    let mut last: Option<usize> = None;
    for (k, line) in lines.iter().enumerate() {
        if !keep.iter().any(|p| matches(line, p)) {
            continue;
        }
        if last.is_some_and(|l| l + 1 != k) {
            shown.push("  ...".to_string());
        }
        shown.push(line.to_string());
        last = Some(k);
    }
    shown
}

#[test]
fn every_quoted_output_matches_what_the_command_prints_today() {
    let bless = std::env::var_os("TOKENCAST_BLESS").is_some();
    let dir = scratch();
    let mut outputs: BTreeMap<(Vec<String>, bool), String> = BTreeMap::new();
    let mut drifted = Vec::new();
    let mut count = 0;
    for file in markdown_files() {
        let path = repo().join(&file);
        let text = fs::read_to_string(&path).expect("markdown");
        let found = quotes(&file, &text);
        if found.is_empty() {
            continue;
        }
        let mut lines: Vec<String> = text.lines().map(str::to_string).collect();
        // Replace from the last block up, so earlier line numbers stay valid.
        for q in found.iter().rev() {
            count += 1;
            let key = (q.args.clone(), q.stderr);
            let output = outputs.entry(key).or_insert_with(|| run(&dir, q)).clone();
            let want = excerpt(&output, &q.keep, q.from.as_deref(), q.until.as_deref());
            assert!(
                !want.is_empty(),
                "{}:{}: no line of the output matches {:?} {:?} {:?}",
                file.display(),
                q.line,
                q.from,
                q.until,
                q.keep
            );
            let have: Vec<String> = lines[q.body.clone()]
                .iter()
                .map(|l| l.trim_end().to_string())
                .collect();
            if have != want {
                let mut diff = String::new();
                for l in &have {
                    if !want.contains(l) {
                        diff.push_str(&format!("  - {l}\n"));
                    }
                }
                for l in &want {
                    if !have.contains(l) {
                        diff.push_str(&format!("  + {l}\n"));
                    }
                }
                drifted.push(format!(
                    "{}:{}: `tokencast {}`\n{diff}",
                    file.display(),
                    q.line,
                    q.args.join(" ")
                ));
                lines.splice(q.body.clone(), want);
            }
        }
        if bless && !drifted.is_empty() {
            let mut new = lines.join("\n");
            new.push('\n');
            if new != text {
                fs::write(&path, new).expect("rewrite markdown");
            }
        }
    }
    let statements = method_statements(&dir);
    let _ = fs::remove_dir_all(&dir);
    assert!(
        statements.len() >= 5,
        "only {} method statements found in the outputs",
        statements.len()
    );
    let guide = words(&fs::read_to_string(repo().join("docs/guide/methods.md")).expect("guide"));
    let unquoted: Vec<String> = statements
        .iter()
        .filter(|(_, text)| !guide.contains(&words(text)))
        .map(|(path, text)| format!("{path}: {text}"))
        .collect();
    assert!(
        unquoted.is_empty(),
        "docs/guide/methods.md does not quote what these outputs say of their methods \
         (update its last section):\n{}",
        unquoted.join("\n")
    );
    assert!(count >= 8, "only {count} quoted outputs found");
    if bless {
        if !drifted.is_empty() {
            eprintln!(
                "rewrote {} quoted outputs:\n{}",
                drifted.len(),
                drifted.join("\n")
            );
        }
        return;
    }
    assert!(
        drifted.is_empty(),
        "{} quoted outputs no longer match what tokencast prints (regenerate them with \
         scripts/update-docs.sh and review the figures, and the prose that cites them):\n\n{}",
        drifted.len(),
        drifted.join("\n")
    );
}

/// Text with every run of whitespace made one space.
fn words(text: &str) -> String {
    text.split_whitespace().collect::<Vec<_>>().join(" ")
}

/// Every string an output JSON file states about its methods (keys ending in `method`,
/// `definition`, `intervals` or `validation`), with its file and key path.
fn method_statements(dir: &Path) -> Vec<(String, String)> {
    fn walk(value: &serde_json::Value, path: &str, out: &mut Vec<(String, String)>) {
        match value {
            serde_json::Value::Object(map) => {
                for (k, v) in map {
                    walk(v, &format!("{path}.{k}"), out);
                }
            }
            serde_json::Value::Array(items) => {
                if let Some(first) = items.first() {
                    walk(first, &format!("{path}[0]"), out);
                }
            }
            serde_json::Value::String(text) => {
                let method = path.contains("method")
                    && ["method", "definition", "intervals"]
                        .iter()
                        .any(|k| path.ends_with(k));
                if method || path.ends_with("validation") {
                    out.push((path.to_string(), text.clone()));
                }
            }
            _ => {}
        }
    }
    let mut out = Vec::new();
    let mut files: Vec<PathBuf> = fs::read_dir(dir.join("output"))
        .map(|d| d.filter_map(|e| e.ok()).map(|e| e.path()).collect())
        .unwrap_or_default();
    files.sort();
    for run in files {
        for name in ["summary.json", "compare.json"] {
            let Ok(text) = fs::read_to_string(run.join(name)) else {
                continue;
            };
            let json: serde_json::Value = serde_json::from_str(&text).expect("output JSON");
            let file = format!(
                "output/{}/{name}",
                run.file_name().unwrap().to_string_lossy()
            );
            walk(&json, &file, &mut out);
        }
    }
    out
}

#[test]
fn shell_words_group_quoted_words() {
    assert_eq!(
        shell_words(r#"check f.toml --gate 'p95(cost_usd) <= 0.50' -n "2 000""#),
        [
            "check",
            "f.toml",
            "--gate",
            "p95(cost_usd) <= 0.50",
            "-n",
            "2 000"
        ]
    );
}

#[test]
fn an_excerpt_marks_the_lines_it_leaves_out() {
    let out = "a 1\nb 2\nc 3\na 4\n";
    assert_eq!(
        excerpt(out, &["a".to_string()], None, None),
        ["a 1", "  ...", "a 4"]
    );
    assert_eq!(excerpt(out, &[], None, None), ["a 1", "b 2", "c 3", "a 4"]);
    assert_eq!(
        excerpt("x\n  s 1\n  t 2\n\n  u 3\n", &[], Some("s"), None),
        ["  s 1", "  t 2"]
    );
    assert_eq!(excerpt(out, &[], None, Some("c")), ["a 1", "b 2"]);
    assert!(matches(
        "  commitment   vs list_price 1",
        "commitment *vs list_price"
    ));
    assert!(!matches("  commitment   tokens", "commitment *vs"));
}

#[test]
fn ci_runs_the_test_command_the_readme_gives() {
    let readme = fs::read_to_string(repo().join("README.md")).expect("README");
    let after = readme
        .split_once("Run the tests")
        .expect("README says how to run the tests")
        .1;
    let block = after
        .split_once("```sh\n")
        .and_then(|(_, rest)| rest.split_once("\n```"))
        .expect("a sh block after `Run the tests`")
        .0
        .trim();
    assert!(
        block.starts_with("cargo test"),
        "README's test command: {block}"
    );
    let ci = fs::read_to_string(repo().join(".ci/run")).expect(".ci/run");
    // `.ci/run` may add --locked; every other word of the README's command must be there.
    let words: Vec<&str> = block.split_whitespace().collect();
    let runs = ci.lines().any(|line| {
        let line: Vec<&str> = line
            .split_whitespace()
            .filter(|w| *w != "--locked")
            .collect();
        line == words
    });
    assert!(
        runs,
        ".ci/run does not run the README's test command `{block}`"
    );
}
