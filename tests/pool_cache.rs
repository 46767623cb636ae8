//! The on-disk task-pool cache (`forecast::pool_cache`), through the binary: a warm cache gives
//! the outputs of a cold run byte for byte (at 1 and 2 threads, on the bundled forecasts); a
//! corrupted or truncated pool file is ignored and replaced; changing a task scenario misses;
//! `--no-cache` and `TOKENCAST_NO_CACHE=1` neither read nor write; an unwritable cache is
//! skipped with one note. Every run here has its own temporary cache directory (the suite's
//! other tests share `target/tokencast-cache`, from `.cargo/config.toml`).

use std::collections::BTreeMap;
use std::fs;
use std::path::{Path, PathBuf};

use assert_cmd::Command;

/// Where a pool file's key sits in its header (after the magic and the format version).
const KEY_BYTES: std::ops::Range<usize> = 12..44;

enum Cache<'a> {
    /// `--no-cache` (with a cache directory set, to show it is not used).
    Flag(&'a Path),
    /// `TOKENCAST_NO_CACHE=1` (likewise).
    Env(&'a Path),
    /// The cache in this directory.
    In(&'a Path),
}

/// Runs `tokencast forecast FILE` with `args` into a new directory under `work`; returns every
/// output file's bytes by name, and stderr.
fn forecast(
    work: &Path,
    file: &Path,
    args: &[&str],
    cache: Cache,
) -> (BTreeMap<String, Vec<u8>>, String) {
    let out = tempfile::tempdir_in(work).unwrap();
    let mut cmd = Command::cargo_bin("tokencast").unwrap();
    cmd.current_dir(env!("CARGO_MANIFEST_DIR"))
        .env_remove("TOKENCAST_NO_CACHE")
        .args(["forecast", "--no-stress"])
        .args(args)
        .arg("--out")
        .arg(out.path())
        .arg(file);
    match cache {
        Cache::Flag(dir) => cmd.env("TOKENCAST_CACHE_DIR", dir).arg("--no-cache"),
        Cache::Env(dir) => cmd
            .env("TOKENCAST_CACHE_DIR", dir)
            .env("TOKENCAST_NO_CACHE", "1"),
        Cache::In(dir) => cmd.env("TOKENCAST_CACHE_DIR", dir),
    };
    let output = cmd.output().unwrap();
    let stderr = String::from_utf8_lossy(&output.stderr).into_owned();
    assert!(output.status.success(), "{stderr}");
    let mut files = BTreeMap::new();
    read_tree(out.path(), out.path(), &mut files);
    (files, stderr)
}

fn read_tree(root: &Path, dir: &Path, files: &mut BTreeMap<String, Vec<u8>>) {
    for entry in fs::read_dir(dir).unwrap() {
        let path = entry.unwrap().path();
        if path.is_dir() {
            read_tree(root, &path, files);
        } else {
            let name = path.strip_prefix(root).unwrap().display().to_string();
            // The run's lock (its process id) and when it ran are the only bytes that differ
            // between two runs of the same forecast.
            if name != ".lock" {
                files.insert(name, scrub_times(&fs::read(&path).unwrap()));
            }
        }
    }
}

/// `bytes` with every timestamp (`2026-12-06T10:15:03Z`) and the manifest's wall time blanked.
fn scrub_times(bytes: &[u8]) -> Vec<u8> {
    let shape = b"dddd-dd-ddTdd:dd:ddZ";
    let mut out = bytes.to_vec();
    for i in 0..out.len().saturating_sub(shape.len() - 1) {
        let fits = shape.iter().zip(&out[i..]).all(|(&s, &b)| {
            if s == b'd' {
                b.is_ascii_digit()
            } else {
                s == b
            }
        });
        if fits {
            out[i..i + shape.len()].fill(b'#');
        }
    }
    let Ok(text) = String::from_utf8(out.clone()) else {
        return out;
    };
    text.lines()
        .filter(|line| !line.contains("\"wall_time_seconds\""))
        .collect::<Vec<_>>()
        .join("\n")
        .into_bytes()
}

/// The cache's pool files, sorted by name.
fn pool_files(dir: &Path) -> Vec<PathBuf> {
    let mut files: Vec<PathBuf> = fs::read_dir(dir)
        .map(|d| d.map(|e| e.unwrap().path()).collect())
        .unwrap_or_default();
    files.retain(|p| p.extension().is_some_and(|e| e == "bin"));
    files.sort();
    files
}

fn assert_same(what: &str, a: &BTreeMap<String, Vec<u8>>, b: &BTreeMap<String, Vec<u8>>) {
    assert_eq!(
        a.keys().collect::<Vec<_>>(),
        b.keys().collect::<Vec<_>>(),
        "{what}: the same files"
    );
    for (name, bytes) in a {
        assert!(bytes == &b[name], "{what}: {name} differs");
    }
}

fn bundled(file: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join(file)
}

#[test]
fn a_warm_cache_gives_a_cold_runs_outputs_byte_for_byte() {
    for file in [
        "scenarios/org-forecast.toml",
        "scenarios/compute-to-tokens/forecast.toml",
    ] {
        let work = tempfile::tempdir().unwrap();
        let cache = work.path().join("cache");
        let file = bundled(file);
        let n = ["--trials", "1000", "--focus"];
        let with = |threads: &'static str| [n.as_slice(), &["--threads", threads]].concat();
        let (cold1, _) = forecast(work.path(), &file, &with("1"), Cache::Flag(&cache));
        assert!(pool_files(&cache).is_empty(), "--no-cache wrote a pool");
        // Written at 2 threads, read at 1 and at 2.
        let (filled2, _) = forecast(work.path(), &file, &with("2"), Cache::In(&cache));
        let written = pool_files(&cache);
        assert!(!written.is_empty(), "no pool was cached");
        let stamps: Vec<Vec<u8>> = written.iter().map(|p| fs::read(p).unwrap()).collect();
        let (warm1, _) = forecast(work.path(), &file, &with("1"), Cache::In(&cache));
        let (warm2, _) = forecast(work.path(), &file, &with("2"), Cache::In(&cache));
        assert_eq!(pool_files(&cache), written, "a warm run wrote another pool");
        let again: Vec<Vec<u8>> = written.iter().map(|p| fs::read(p).unwrap()).collect();
        assert!(again == stamps, "a warm run rewrote a pool");
        let name = file.display();
        assert_same(&format!("{name}: warm vs cold, 1 thread"), &cold1, &warm1);
        assert_same(
            &format!("{name}: warm vs cold, 2 threads"),
            &filled2,
            &warm2,
        );
        // The manifest records the command line, hence the thread count.
        let (mut one, mut two) = (cold1.clone(), filled2.clone());
        one.remove("manifest.json");
        two.remove("manifest.json");
        assert_same(&format!("{name}: cold at 1 vs 2 threads"), &one, &two);
        assert!(
            cold1.contains_key("summary.json") && cold1.len() >= 8,
            "{:?}",
            cold1.keys()
        );
    }
}

#[test]
fn a_corrupted_or_truncated_pool_file_is_ignored_and_replaced() {
    let work = tempfile::tempdir().unwrap();
    let cache = work.path().join("cache");
    let file = bundled("scenarios/org-forecast.toml");
    let args = ["--trials", "200", "--set", "aggregation.pool_size=2048"];
    let (cold, _) = forecast(work.path(), &file, &args, Cache::In(&cache));
    let pools = pool_files(&cache);
    assert_eq!(pools.len(), 4, "one pool per task kind");
    let good: Vec<Vec<u8>> = pools.iter().map(|p| fs::read(p).unwrap()).collect();
    // Truncated, one payload bit flipped, a header byte changed, emptied.
    fs::write(&pools[0], &good[0][..good[0].len() / 2]).unwrap();
    let mut flipped = good[1].clone();
    let mid = flipped.len() / 2;
    flipped[mid] ^= 0x04;
    fs::write(&pools[1], &flipped).unwrap();
    let mut header = good[2].clone();
    header[0] = b'X';
    fs::write(&pools[2], &header).unwrap();
    fs::write(&pools[3], b"").unwrap();
    let (after, _) = forecast(work.path(), &file, &args, Cache::In(&cache));
    assert_same("after corruption", &cold, &after);
    for (path, bytes) in pools.iter().zip(&good) {
        assert!(
            &fs::read(path).unwrap() == bytes,
            "{} was not replaced by the pool simulated again",
            path.display()
        );
    }
}

#[test]
fn changing_one_task_scenario_misses_only_its_pool() {
    let work = tempfile::tempdir().unwrap();
    let cache = work.path().join("cache");
    let tasks = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/forecasts");
    for name in ["constant-task.toml", "two-model-task.toml"] {
        fs::copy(tasks.join(name), work.path().join(name)).unwrap();
    }
    let forecast_text = r#"
[forecast]
name = "two kinds"
start = "2027-01"
months = 3
[seats]
table = [ { month = 1, seats = 50 }, { month = 3, seats = 60 } ]
[usage]
active_share = 1
tasks_per_day = 2
[[tasks]]
name = "constant"
scenario = "constant-task.toml"
weight = 1
[[tasks]]
name = "two models"
scenario = "two-model-task.toml"
weight = 1
[aggregation]
pool_size = 1024
"#;
    let file = work.path().join("org.toml");
    fs::write(&file, forecast_text).unwrap();
    let args = ["--trials", "200"];
    let (first, _) = forecast(work.path(), &file, &args, Cache::In(&cache));
    let before = pool_files(&cache);
    assert_eq!(before.len(), 2);
    let constant = work.path().join("constant-task.toml");
    let text = fs::read_to_string(&constant).unwrap();
    assert!(text.contains("output = 500"));
    fs::write(&constant, text.replace("output = 500", "output = 600")).unwrap();
    let (changed, _) = forecast(work.path(), &file, &args, Cache::In(&cache));
    let after = pool_files(&cache);
    assert_eq!(after.len(), 3, "the changed task's pool is a new file");
    assert!(before.iter().all(|p| after.contains(p)));
    assert!(
        first["summary.json"] != changed["summary.json"],
        "the changed task was not simulated again"
    );
    let (cold, _) = forecast(work.path(), &file, &args, Cache::Flag(&cache));
    assert_same("changed task, warm vs cold", &cold, &changed);
}

#[test]
fn no_cache_neither_reads_nor_writes() {
    let work = tempfile::tempdir().unwrap();
    let cache = work.path().join("cache");
    let file = bundled("scenarios/org-forecast.toml");
    let args = ["--trials", "200", "--set", "aggregation.pool_size=1024"];
    let (cold, _) = forecast(work.path(), &file, &args, Cache::In(&cache));
    let pools = pool_files(&cache);
    assert_eq!(pools.len(), 4);
    // Plant a whole, valid file under the wrong content: pool 1's under pool 0's key.
    let mut planted = fs::read(&pools[1]).unwrap();
    let key0 = fs::read(&pools[0]).unwrap()[KEY_BYTES].to_vec();
    planted[KEY_BYTES].copy_from_slice(&key0);
    fs::write(&pools[0], &planted).unwrap();
    // A run that reads the cache meets the planted pool (so the next checks can see a read).
    let (read, _) = forecast(work.path(), &file, &args, Cache::In(&cache));
    assert!(read["summary.json"] != cold["summary.json"]);
    let listing = |dir: &Path| -> Vec<(PathBuf, Vec<u8>, std::time::SystemTime)> {
        let mut v: Vec<_> = fs::read_dir(dir)
            .unwrap()
            .map(|e| {
                let p = e.unwrap().path();
                let m = fs::metadata(&p).unwrap().modified().unwrap();
                (p.clone(), fs::read(&p).unwrap(), m)
            })
            .collect();
        v.sort_by(|a, b| a.0.cmp(&b.0));
        v
    };
    let before = listing(&cache);
    let (flag, _) = forecast(work.path(), &file, &args, Cache::Flag(&cache));
    let (env, _) = forecast(work.path(), &file, &args, Cache::Env(&cache));
    assert_same("--no-cache", &cold, &flag);
    assert_same("TOKENCAST_NO_CACHE=1", &cold, &env);
    assert!(
        listing(&cache) == before,
        "--no-cache touched the cache directory"
    );
    let empty = work.path().join("empty");
    forecast(work.path(), &file, &args, Cache::Flag(&empty));
    assert!(!empty.exists(), "--no-cache created the cache directory");
}

#[test]
fn an_unwritable_cache_is_skipped_with_one_note() {
    let work = tempfile::tempdir().unwrap();
    // A path under a regular file cannot be created, whoever runs the test.
    let blocker = work.path().join("a-file");
    fs::write(&blocker, "not a directory").unwrap();
    let cache = blocker.join("cache");
    let file = bundled("scenarios/org-forecast.toml");
    let args = ["--trials", "200", "--set", "aggregation.pool_size=1024"];
    let (cold, quiet) = forecast(work.path(), &file, &args, Cache::Flag(&cache));
    let (skipped, stderr) = forecast(work.path(), &file, &args, Cache::In(&cache));
    assert_same("unwritable cache", &cold, &skipped);
    assert!(!quiet.contains("task-pool cache"), "{quiet}");
    assert_eq!(
        stderr.matches("cannot write the task-pool cache").count(),
        1,
        "{stderr}"
    );
}
