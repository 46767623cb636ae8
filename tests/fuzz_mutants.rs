//! A mutation fuzz test of every bundled scenario and forecast (issue 20): with a fixed seed,
//! each file is mutated (lines deleted or duplicated, numbers replaced by extremes — nan, inf,
//! 2^63, 1e308, −0, −1 —, values changed to another type, keys mistyped, the text truncated,
//! CRLF endings, a byte-order mark) and loaded through the library as `validate` loads it.
//! Every mutant must load or be rejected with a located message (`file:line:col`, or the field
//! path of a cross-field check), never panic; every mutant that loads must run a few trials to
//! finite, non-negative costs.

use std::panic::{AssertUnwindSafe, catch_unwind};
use std::path::{Path, PathBuf};

use tokencast::engine::{RunConfig, Silent};
use tokencast::forecast::{Forecast, ForecastConfig, Record};
use tokencast::scenario::{Scenario, ScenarioError};

/// Mutants per task-scenario file, and per forecast file (a forecast loads its task pools).
const TASK_MUTANTS: usize = 260;
const FORECAST_MUTANTS: usize = 40;

/// SplitMix64: the mutations' own small generator.
struct Rng(u64);
impl Rng {
    fn next(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9e37_79b9_7f4a_7c15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xbf58_476d_1ce4_e5b9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94d0_49bb_1331_11eb);
        z ^ (z >> 31)
    }
    fn below(&mut self, n: usize) -> usize {
        (self.next() % n.max(1) as u64) as usize
    }
}

const EXTREMES: [&str; 12] = [
    "nan",
    "inf",
    "-inf",
    "9223372036854775808",
    "18446744073709551616",
    "1e308",
    "-0.0",
    "-1",
    "0",
    "1e-300",
    "\"x\"",
    "{}",
];

/// One mutation of `text`, described.
fn mutate(text: &str, rng: &mut Rng) -> (String, String) {
    let lines: Vec<&str> = text.lines().collect();
    let n = lines.len().max(1);
    match rng.below(8) {
        0 => {
            let i = rng.below(n);
            let out: Vec<&str> = lines
                .iter()
                .enumerate()
                .filter(|(j, _)| *j != i)
                .map(|(_, l)| *l)
                .collect();
            (out.join("\n"), format!("delete line {}", i + 1))
        }
        1 => {
            let i = rng.below(n);
            let mut out = lines.clone();
            out.insert(i, lines[i.min(lines.len() - 1)]);
            (out.join("\n"), format!("duplicate line {}", i + 1))
        }
        2 | 3 => {
            // Replace one number (a run of digits, with its sign, point and exponent).
            let bytes = text.as_bytes();
            let starts: Vec<usize> = (0..bytes.len())
                .filter(|&i| {
                    bytes[i].is_ascii_digit()
                        && (i == 0
                            || !bytes[i - 1].is_ascii_alphanumeric()
                                && bytes[i - 1] != b'.'
                                && bytes[i - 1] != b'_')
                })
                .collect();
            if starts.is_empty() {
                return (text.to_string(), "no number".into());
            }
            let s = starts[rng.below(starts.len())];
            let mut e = s;
            while e < bytes.len()
                && (bytes[e].is_ascii_alphanumeric()
                    || matches!(bytes[e], b'.' | b'_' | b'-' | b'+'))
            {
                e += 1;
            }
            let with = EXTREMES[rng.below(EXTREMES.len())];
            (
                format!("{}{}{}", &text[..s], with, &text[e..]),
                format!("number at byte {s} -> {with}"),
            )
        }
        4 => {
            // Mistype a key: swap two letters of the key on a random `key = value` line.
            let mut out: Vec<String> = lines.iter().map(|l| l.to_string()).collect();
            let i = rng.below(n).min(out.len().saturating_sub(1));
            if let Some((k, v)) = out
                .get(i)
                .cloned()
                .as_deref()
                .and_then(|l| l.split_once(" = "))
            {
                let mut c: Vec<char> = k.chars().collect();
                if c.len() >= 2 {
                    let j = rng.below(c.len() - 1);
                    c.swap(j, j + 1);
                }
                out[i] = format!("{} = {v}", c.iter().collect::<String>());
            }
            (out.join("\n"), format!("key typo on line {}", i + 1))
        }
        5 => {
            let mut cut = rng.below(text.len());
            while !text.is_char_boundary(cut) {
                cut -= 1;
            }
            (text[..cut].to_string(), format!("truncate at byte {cut}"))
        }
        6 => (text.replace('\n', "\r\n"), "CRLF".into()),
        _ => (format!("\u{feff}{text}"), "BOM".into()),
    }
}

fn located(e: &ScenarioError) -> bool {
    match e.diagnostic() {
        Some(d) => d.location.is_some(),
        None => true, // I/O: a task file a mutant renamed away; names the file.
    }
}

fn files() -> Vec<PathBuf> {
    let mut out = Vec::new();
    for dir in [
        "scenarios",
        "scenarios/mechanisms",
        "scenarios/tasks",
        "tests/forecasts",
    ] {
        let mut v: Vec<PathBuf> = std::fs::read_dir(dir)
            .unwrap()
            .filter_map(|e| e.ok().map(|e| e.path()))
            .filter(|p| p.extension().is_some_and(|x| x == "toml"))
            .collect();
        v.sort();
        out.extend(v);
    }
    out
}

fn check_task(name: &str, text: String) -> Result<bool, String> {
    match Scenario::from_text(name, "mutant", text) {
        Err(e) if located(&e) => Ok(false),
        Err(e) => Err(format!("unlocated rejection: {e}")),
        Ok(s) => {
            let config = RunConfig {
                trials: 16,
                seed: 1,
                threads: Some(1),
            };
            let sum = tokencast::simulate(&s, &config, &mut Silent)
                .map_err(|e| format!("run failed: {e}"));
            match sum {
                // A run may stop with a stated error (a count past 64 bits); it may not panic.
                Err(e) if e.contains("2^64") => Ok(true),
                Err(e) => Err(e),
                Ok(sum) => {
                    let cost = sum.metric("cost_usd").unwrap();
                    if cost.mean.is_finite() && cost.min >= 0.0 && cost.max.is_finite() {
                        Ok(true)
                    } else {
                        Err(format!(
                            "cost not finite or negative: mean {}, min {}",
                            cost.mean, cost.min
                        ))
                    }
                }
            }
        }
    }
}

fn check_forecast(name: &str, dir: &Path, text: &str) -> Result<bool, String> {
    match Forecast::from_text(name, "mutant", dir, text, &[], Some(1), Some(1)) {
        Err(tokencast::forecast::ForecastError::Scenario(e)) if located(&e) => Ok(false),
        Err(tokencast::forecast::ForecastError::Override(_)) => Ok(false),
        Err(e) => Err(format!("unlocated rejection: {e}")),
        Ok(f) => {
            let config = ForecastConfig {
                trials: 4,
                seed: 1,
                threads: Some(1),
                record: Record::FirstTrials,
            };
            let run = tokencast::forecast::simulate::run(&f.model, &config)
                .map_err(|e| format!("run failed: {e}"))?;
            let total = &run.streams.total.moments;
            if total.mean.is_finite() && total.min >= 0.0 {
                Ok(true)
            } else {
                Err(format!(
                    "bill not finite or negative: mean {}, min {}",
                    total.mean, total.min
                ))
            }
        }
    }
}

#[test]
fn no_mutant_of_a_bundled_file_panics_or_is_rejected_without_a_place() {
    let mut rng = Rng(20_261_205);
    let mut failures = Vec::new();
    let mut count = 0;
    let mut loaded = 0;
    for path in files() {
        let text = std::fs::read_to_string(&path).unwrap();
        let is_forecast = tokencast::forecast::is_forecast_text(&text);
        let mutants = if is_forecast {
            FORECAST_MUTANTS
        } else {
            TASK_MUTANTS
        };
        let dir = path.parent().unwrap().to_path_buf();
        for k in 0..mutants {
            let (mutant, what) = mutate(&text, &mut rng);
            count += 1;
            let name = path.display().to_string();
            let outcome = catch_unwind(AssertUnwindSafe(|| {
                if is_forecast {
                    check_forecast(&name, &dir, &mutant)
                } else {
                    check_task(&name, mutant.clone())
                }
            }));
            let problem = match outcome {
                Ok(Ok(true)) => {
                    loaded += 1;
                    None
                }
                Ok(Ok(false)) => None,
                Ok(Err(e)) => Some(e),
                Err(_) => Some("PANIC".to_string()),
            };
            if let Some(p) = problem {
                failures.push(format!(
                    "{name} mutant {k} ({what}): {}",
                    p.lines().next().unwrap_or("")
                ));
            }
        }
    }
    assert!(count >= 5_000, "{count} mutants");
    // The mutations bite: a fair share is rejected, a fair share still loads and runs.
    eprintln!(
        "{count} mutants: {loaded} loaded and ran, {} rejected",
        count - loaded
    );
    assert!(
        loaded * 10 >= count && loaded * 10 <= count * 9,
        "{loaded} of {count} loaded"
    );
    assert!(
        failures.is_empty(),
        "{} of {count} mutants failed:\n{}",
        failures.len(),
        failures
            .iter()
            .take(40)
            .cloned()
            .collect::<Vec<_>>()
            .join("\n")
    );
}

#[test]
fn mutants_through_the_command_line_exit_0_or_2() {
    // Real processes and real exit codes, with the byte-level mutations a String cannot hold:
    // a byte that is not UTF-8 inserted anywhere.
    let mut rng = Rng(7);
    let dir = tempfile::tempdir().unwrap();
    let text = std::fs::read("scenarios/reference-coding-task.toml").unwrap();
    for k in 0..24 {
        let mut bytes = text.clone();
        let mut what = String::new();
        if k % 2 == 0 {
            let at = rng.below(bytes.len());
            bytes.insert(at, [0xff, 0xc3, 0x80, 0xfe][k % 4]);
            what = format!("byte at {at}");
        } else {
            let (m, w) = mutate(std::str::from_utf8(&text).unwrap(), &mut rng);
            bytes = m.into_bytes();
            what.push_str(&w);
        }
        let path = dir.path().join(format!("m{k}.toml"));
        std::fs::write(&path, &bytes).unwrap();
        let out = std::process::Command::new(env!("CARGO_BIN_EXE_tokencast"))
            .arg("validate")
            .arg(&path)
            .output()
            .unwrap();
        let code = out.status.code();
        assert!(
            matches!(code, Some(0 | 2)),
            "mutant {k} ({what}): exit {code:?}"
        );
        if code == Some(2) {
            let stderr = String::from_utf8_lossy(&out.stderr);
            let located = stderr
                .split(&format!("m{k}.toml:"))
                .nth(1)
                .is_some_and(|rest| rest.split(':').take(2).all(|n| n.parse::<u32>().is_ok()));
            assert!(
                located,
                "mutant {k} ({what}) rejected without file:line:col: {stderr}"
            );
        }
    }
}

/// Whether `message` places itself at a line of `file` (`file:LINE` or `file:LINE:COL`).
fn placed(message: &str, file: &str) -> bool {
    message.lines().next().is_some_and(|first| {
        first.find(&format!("{file}:")).is_some_and(|at| {
            first[at + file.len() + 1..]
                .chars()
                .next()
                .is_some_and(|c| c.is_ascii_digit())
        })
    })
}

#[test]
fn mutants_of_the_price_catalog_and_the_usage_logs_never_panic() {
    let mut rng = Rng(2026);
    let mut failures = Vec::new();
    let mut count = 0;

    // The bundled price catalog, as `--prices FILE.toml` reads it: loaded, or rejected at a
    // line and column; what loads has finite, non-negative rates.
    let catalog = std::fs::read_to_string("prices/catalog.toml").unwrap();
    for k in 0..300 {
        let (mutant, what) = mutate(&catalog, &mut rng);
        count += 1;
        let outcome =
            catch_unwind(AssertUnwindSafe(
                || match tokencast::pricing::PriceCatalog::from_toml("catalog.toml", &mutant) {
                    Err(e) if placed(&e.to_string(), "catalog.toml") => None,
                    Err(e) => Some(format!("unplaced rejection: {e}")),
                    Ok(c) => c.names().find_map(|name| {
                        let entry = c.get(name)?;
                        entry
                            .rates
                            .to_array()
                            .iter()
                            .flatten()
                            .find(|r| !(r.is_finite() && **r >= 0.0))
                            .map(|r| format!("{name}: rate {r}"))
                    }),
                },
            ));
        match outcome {
            Ok(None) => {}
            Ok(Some(p)) => failures.push(format!("catalog mutant {k} ({what}): {p}")),
            Err(_) => failures.push(format!("catalog mutant {k} ({what}): PANIC")),
        }
    }

    // The example usage logs, as `calibrate` reads them: text mutations and bytes that are not
    // UTF-8. A file is read (its bad lines skipped, each placed at its line) or refused with a
    // placed message; what is read either calibrates to a scenario that loads, or stops with
    // a message; nothing panics.
    let dir = tempfile::tempdir().unwrap();
    for log in [
        "examples/calibrate/sample-calls.csv",
        "examples/calibrate/sample-claude-code.jsonl",
    ] {
        let bytes = std::fs::read(log).unwrap();
        let text = String::from_utf8(bytes.clone()).unwrap();
        let file_name = Path::new(log).file_name().unwrap().to_str().unwrap();
        let path = dir.path().join(file_name);
        for k in 0..60 {
            let (mutant, what) = if k % 4 == 3 {
                let mut b = bytes.clone();
                let at = rng.below(b.len());
                b.insert(at, [0xff, 0xc3, 0xfe][k % 3]);
                (b, format!("byte at {at}"))
            } else {
                let (m, w) = mutate(&text, &mut rng);
                (m.into_bytes(), w)
            };
            std::fs::write(&path, &mutant).unwrap();
            count += 1;
            let name = path.display().to_string();
            let lines = mutant.split(|&b| b == b'\n').count() as u64;
            let outcome = catch_unwind(AssertUnwindSafe(|| {
                let columns = tokencast::calibrate::ColumnMap::default();
                let (logs, report) =
                    match tokencast::calibrate::import_logs(&[path.as_path()], None, &columns) {
                        Ok(r) => r,
                        Err(e) if placed(&e.to_string(), &name) => return None,
                        Err(e) => return Some(format!("unplaced refusal: {e}")),
                    };
                if let Some(s) = report
                    .malformed
                    .iter()
                    .find(|s| s.file != name || s.line == 0 || s.line > lines)
                {
                    return Some(format!("skipped line out of place: {s}"));
                }
                let options = tokencast::calibrate::CalibrateOptions {
                    name: "mutant".into(),
                    holdout: 0.3,
                    split_seed: 1,
                    run: RunConfig {
                        trials: 200,
                        seed: 1,
                        threads: Some(1),
                    },
                    prices: Default::default(),
                    catalog: None,
                    task_limits: Default::default(),
                };
                match tokencast::calibrate::calibrate(logs, report, &options) {
                    Err(_) => None,
                    Ok(c) => Scenario::from_text("fitted.toml", "fitted", c.scenario_text)
                        .err()
                        .map(|e| format!("the fitted scenario does not load: {e}")),
                }
            }));
            match outcome {
                Ok(None) => {}
                Ok(Some(p)) => failures.push(format!("{log} mutant {k} ({what}): {p}")),
                Err(_) => failures.push(format!("{log} mutant {k} ({what}): PANIC")),
            }
        }
    }
    eprintln!("{count} catalog and log mutants");
    assert!(
        failures.is_empty(),
        "{} of {count} mutants failed:\n{}",
        failures.len(),
        failures.join("\n")
    );
}
