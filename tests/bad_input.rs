//! Bad input: every scenario in `tests/bad_scenarios/` is rejected with exit code 2 and a message
//! that says where (file:line:column, field path), what was expected and what was found, and
//! suggests a fix for typos; nothing panics and nothing is printed on stdout. The library's
//! diagnostics carry the same locations.

use std::fs;
use std::path::{Path, PathBuf};

use assert_cmd::Command;
use tokencast::scenario::Scenario;

/// Fewest cases the corpus may hold, so the corpus test cannot pass on an empty directory.
const MIN_CASES: usize = 24;

/// Cases also run through `run`, which must fail the same way and write nothing.
const RUN_CASES: &[&str] = &[
    "01-toml-syntax-error",
    "07-typo-dist-parameter",
    "17-p-pass-above-one",
    "23-lognormal-mixed-pairs",
    "33-repeat-huge-count",
    "36-trials-zero",
];

struct Case {
    /// `NN-short-name`.
    stem: String,
    /// The scenario, relative to the crate root (the test's working directory).
    toml: PathBuf,
    /// Substrings the error message must contain.
    expected: Vec<String>,
}

fn corpus_dir() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/bad_scenarios")
}

/// The corpus, sorted by file name.
fn corpus() -> Vec<Case> {
    let dir = corpus_dir();
    let mut stems: Vec<String> = fs::read_dir(&dir)
        .expect("tests/bad_scenarios exists")
        .map(|e| e.expect("a directory entry").path())
        .filter(|p| p.extension().is_some_and(|e| e == "toml"))
        .map(|p| p.file_stem().unwrap().to_string_lossy().into_owned())
        .collect();
    stems.sort();
    stems
        .into_iter()
        .map(|stem| {
            let expected_path = dir.join(format!("{stem}.expected"));
            let text = fs::read_to_string(&expected_path)
                .unwrap_or_else(|e| panic!("{}: {e}", expected_path.display()));
            let expected: Vec<String> = text
                .lines()
                .filter(|l| !l.trim().is_empty())
                .map(str::to_string)
                .collect();
            Case {
                toml: PathBuf::from("tests/bad_scenarios").join(format!("{stem}.toml")),
                stem,
                expected,
            }
        })
        .collect()
}

fn tokencast() -> Command {
    let mut cmd = Command::cargo_bin("tokencast").expect("the binary is built");
    cmd.current_dir(env!("CARGO_MANIFEST_DIR"));
    cmd
}

/// Checks one failed invocation; returns the problems found (empty if none).
fn check_failure(case: &Case, what: &str, output: &std::process::Output) -> Vec<String> {
    let stderr = String::from_utf8_lossy(&output.stderr);
    let mut problems = Vec::new();
    let mut problem = |p: String| problems.push(format!("{} ({what}): {p}", case.stem));
    if output.status.code() != Some(2) {
        problem(format!("exit code {:?}, expected 2", output.status.code()));
    }
    if !output.stdout.is_empty() {
        problem(format!(
            "printed on stdout: {:?}",
            String::from_utf8_lossy(&output.stdout)
        ));
    }
    if stderr.contains("panicked") {
        problem("panicked".into());
    }
    // The file is named as given on the command line, then line:column.
    let prefix = format!("error: {}:", case.toml.display());
    if !stderr.starts_with(&prefix) {
        problem(format!("stderr does not start with {prefix:?}"));
    }
    for line in &case.expected {
        if !stderr.contains(line.as_str()) {
            problem(format!("stderr lacks {line:?}"));
        }
    }
    if !problems.is_empty() {
        problems.push(format!("--- stderr of {}:\n{stderr}", case.stem));
    }
    problems
}

#[test]
fn the_corpus_is_large_and_well_formed() {
    let cases = corpus();
    assert!(
        cases.len() >= MIN_CASES,
        "expected at least {MIN_CASES} bad scenarios, found {}",
        cases.len()
    );
    for case in &cases {
        // Each expectation names the file and a line:column first.
        let first = case.expected.first().map(String::as_str).unwrap_or("");
        let located = first
            .strip_prefix(&format!("{}.toml:", case.stem))
            .and_then(|rest| rest.split_once(':'))
            .and_then(|(line, rest)| Some((line, rest.split_once(':')?.0)))
            .is_some_and(|(line, col)| line.parse::<u32>().is_ok() && col.parse::<u32>().is_ok());
        assert!(
            located,
            "{}.expected: the first line must start with `{}.toml:LINE:COLUMN:`, found {first:?}",
            case.stem, case.stem
        );
    }
    for name in RUN_CASES {
        assert!(
            cases.iter().any(|c| c.stem == *name),
            "RUN_CASES names {name}, which is not in the corpus"
        );
    }
    // No orphan expectations.
    for entry in fs::read_dir(corpus_dir()).unwrap() {
        let path = entry.unwrap().path();
        if path.extension().is_some_and(|e| e == "expected") {
            assert!(
                path.with_extension("toml").exists(),
                "{} has no scenario beside it",
                path.display()
            );
        }
    }
}

#[test]
fn validate_rejects_every_bad_scenario_with_a_precise_message() {
    let cases = corpus();
    assert!(cases.len() >= MIN_CASES);
    let mut problems = Vec::new();
    for case in &cases {
        let output = tokencast()
            .arg("validate")
            .arg(&case.toml)
            .output()
            .expect("the binary runs");
        problems.extend(check_failure(case, "validate", &output));
    }
    assert!(problems.is_empty(), "\n{}", problems.join("\n"));
}

#[test]
fn run_rejects_bad_scenarios_before_running_or_writing() {
    let cases = corpus();
    let mut problems = Vec::new();
    let mut checked = 0;
    for case in cases
        .iter()
        .filter(|c| RUN_CASES.contains(&c.stem.as_str()))
    {
        let tmp = tempfile::tempdir().unwrap();
        let out = tmp.path().join("out");
        let output = tokencast()
            .args(["run", "--trials", "10", "--out"])
            .arg(&out)
            .arg(&case.toml)
            .output()
            .expect("the binary runs");
        problems.extend(check_failure(case, "run", &output));
        if out.exists() {
            problems.push(format!("{} (run): created {}", case.stem, out.display()));
        }
        checked += 1;
    }
    assert_eq!(checked, RUN_CASES.len());
    assert!(problems.is_empty(), "\n{}", problems.join("\n"));
}

/// Prices and an agent shared by the library cases; the phases follow from line 10.
const HEAD: &str = "\
[models.m]
input = 1
output = 2
cache_write = 1
cache_read = 0.1

[agent]
system_prompt = 100

";

/// Compiles `text` and returns its diagnostic's display, line, column, width and field path.
fn diagnose(text: &str) -> (String, usize, usize, usize, String) {
    let err = Scenario::from_text("inline.toml", "inline", text.to_string())
        .expect_err("the scenario is invalid");
    let d = err.diagnostic().expect("a content error has a diagnostic");
    assert_eq!(d.file, "inline.toml");
    let loc = d.location.as_ref().expect("the diagnostic has a location");
    (
        err.to_string(),
        loc.line,
        loc.column,
        loc.width,
        d.path.to_string(),
    )
}

#[test]
fn the_head_alone_is_valid() {
    // So that each case below fails for its one mistake only.
    let text =
        format!("{HEAD}[[phases]]\nname = \"only\"\nsteps = [{{ call = {{ output = 5 }} }}]\n");
    Scenario::from_text("inline.toml", "inline", text).expect("valid");
}

#[test]
fn a_misspelt_parameter_is_located_at_its_key() {
    // Line 12. Columns: `steps = [` is 9 characters, `{ call = ` 9 (18), `{ output = ` 11 (29),
    // `{ lognormal = ` 14 (43), `{ median = 10, ` 15 (58): `sigm` starts at column 59.
    let text = format!(
        "{HEAD}[[phases]]\nname = \"only\"\n\
         steps = [{{ call = {{ output = {{ lognormal = {{ median = 10, sigm = 0.5 }} }} }} }}]\n"
    );
    let (shown, line, column, width, path) = diagnose(&text);
    assert_eq!((line, column, width), (12, 59, 4), "{shown}");
    assert_eq!(path, "phases[0].steps[0].call.output.lognormal.sigm");
    assert!(shown.starts_with("inline.toml:12:59: "), "{shown}");
    assert!(shown.contains("did you mean `sigma`?"), "{shown}");
}

#[test]
fn a_probability_out_of_range_is_located_at_its_value() {
    // Line 12. Columns: `until_pass = ` is 13 characters, `{ ` 2 (15), `p_pass` 6 (21), ` = ` 3
    // (24): `1.5` starts at column 25 and is 3 wide.
    let text = format!(
        "{HEAD}[[phases]]\nname = \"loop\"\n\
         until_pass = {{ p_pass = 1.5, max_attempts = 3 }}\n\
         steps = [{{ call = {{ output = 5 }} }}]\n"
    );
    let (shown, line, column, width, path) = diagnose(&text);
    assert_eq!((line, column, width), (12, 25, 3), "{shown}");
    assert_eq!(path, "phases[0].until_pass.p_pass");
    assert!(
        shown.contains("expected a probability in [0, 1], found 1.5"),
        "{shown}"
    );
}

#[test]
fn an_unknown_model_in_a_later_phase_is_located_at_its_name() {
    // Line 15 (the second phase). Columns: `steps = [` 9, `{ call = ` 9 (18), `{ model = ` 10
    // (28): `"opux"` starts at column 29 and is 6 wide (with its quotes).
    let text = format!(
        "{HEAD}[[phases]]\nname = \"first\"\nsteps = [{{ call = {{ output = 5 }} }}]\n\
         [[phases]]\nname = \"second\"\n\
         steps = [{{ call = {{ model = \"opux\", output = 5 }} }}]\n"
    );
    let (shown, line, column, width, path) = diagnose(&text);
    assert_eq!((line, column, width), (15, 29, 6), "{shown}");
    assert_eq!(path, "phases[1].steps[0].call.model");
    assert!(shown.contains("unknown model `opux`"), "{shown}");
}
