//! An output directory holds one run (issue 20, items 5, 6, 14 and 19): a run killed by SIGTERM
//! or SIGINT mid-write leaves the previous run and no temporary file; a SIGKILLed run's leftovers
//! are removed by the next run; a second run into a locked directory exits 1 naming the holder's
//! pid; outputs never replace a symbolic link or a FIFO; a run that writes fewer files than the
//! previous one removes the previous run's extra files.

#![cfg(unix)]

use std::collections::BTreeSet;
use std::fs;
use std::path::{Path, PathBuf};
use std::process::{Child, Command as Process, Stdio};
use std::time::{Duration, Instant};

use assert_cmd::Command;
use predicates::prelude::*;

const REFERENCE: &str = "scenarios/reference-coding-task.toml";
const FORECAST: &str = "scenarios/org-forecast.toml";

fn root() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
}

fn tokencast() -> Command {
    let mut cmd = Command::cargo_bin("tokencast").expect("the binary is built");
    cmd.current_dir(root());
    cmd
}

/// Every entry of `dir`, hidden ones included.
fn entries(dir: &Path) -> BTreeSet<String> {
    fs::read_dir(dir)
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .collect()
}

/// The files `dir/manifest.json` lists.
fn manifest_files(dir: &Path) -> BTreeSet<String> {
    let m: serde_json::Value =
        serde_json::from_str(&fs::read_to_string(dir.join("manifest.json")).unwrap()).unwrap();
    m["files"]
        .as_array()
        .unwrap()
        .iter()
        .map(|f| f.as_str().unwrap().to_string())
        .collect()
}

/// The directory holds exactly one run: the files its manifest lists and the lock file, no
/// staging directory, no temporary file.
fn assert_one_run(dir: &Path) {
    let mut expected = manifest_files(dir);
    expected.insert(".lock".into());
    assert_eq!(entries(dir), expected, "{} mixes runs", dir.display());
}

/// The bytes of every file of the directory (hidden ones left out).
fn snapshot(dir: &Path) -> Vec<(String, Vec<u8>)> {
    entries(dir)
        .into_iter()
        .filter(|n| !n.starts_with('.'))
        .map(|n| {
            let bytes = fs::read(dir.join(&n)).unwrap();
            (n, bytes)
        })
        .collect()
}

/// Starts a long run into `out` (minutes, unless interrupted); with per-trial rows, the
/// temporary trials.csv grows all along.
fn start_long_run(out: &Path, rows: Rows) -> Child {
    let mut cmd = Process::new(env!("CARGO_BIN_EXE_tokencast"));
    cmd.current_dir(root()).args([
        "run",
        REFERENCE,
        "--trials",
        "200000000",
        "--no-charts",
        "--quiet",
        "--threads",
        "1",
    ]);
    if rows == Rows::PerTrial {
        cmd.arg("--per-trial");
    }
    cmd.arg("--out")
        .arg(out)
        .stdout(Stdio::null())
        .stderr(Stdio::piped())
        .spawn()
        .expect("the binary starts")
}

/// Whether a long run writes trials.csv.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Rows {
    PerTrial,
    None,
}

/// Waits until `ready` holds (checked every 20 ms), at most 60 s.
fn wait_for(what: &str, mut ready: impl FnMut() -> bool) {
    let start = Instant::now();
    while !ready() {
        assert!(
            start.elapsed() < Duration::from_secs(60),
            "timed out waiting for {what}"
        );
        std::thread::sleep(Duration::from_millis(20));
    }
}

/// The size of the temporary trials.csv inside the run's staging directory, if any.
fn temp_csv_bytes(out: &Path) -> u64 {
    let Ok(list) = fs::read_dir(out) else {
        return 0;
    };
    list.flatten()
        .filter(|e| e.file_name().to_string_lossy().starts_with(".staging-"))
        .filter_map(|stage| fs::read_dir(stage.path()).ok())
        .flat_map(|l| l.flatten())
        .filter(|e| e.file_name().to_string_lossy().starts_with(".trials.csv."))
        .filter_map(|e| e.metadata().ok())
        .map(|m| m.len())
        .sum()
}

fn signal(child: &Child, name: &str) {
    let status = Process::new("kill")
        .args([&format!("-{name}"), &child.id().to_string()])
        .status()
        .unwrap();
    assert!(status.success());
}

/// A small complete run of the reference scenario into `out`, with per-trial rows.
fn small_run(out: &Path) {
    tokencast()
        .args([
            "run",
            REFERENCE,
            "-n",
            "2000",
            "--per-trial",
            "--quiet",
            "--out",
        ])
        .arg(out)
        .assert()
        .success();
}

fn interrupted_mid_write_leaves_the_previous_run(signal_name: &str, code: i32) {
    let tmp = tempfile::tempdir().unwrap();
    let out = tmp.path().join("out");
    small_run(&out);
    assert_one_run(&out);
    let before = snapshot(&out);

    let mut child = start_long_run(&out, Rows::PerTrial);
    // Mid-write: the new trials.csv has passed 1 MB in the staging directory.
    wait_for("the temporary trials.csv", || {
        temp_csv_bytes(&out) > 1 << 20
    });
    signal(&child, signal_name);
    let status = child.wait().unwrap();
    let mut stderr = String::new();
    std::io::Read::read_to_string(child.stderr.as_mut().unwrap(), &mut stderr).unwrap();
    assert_eq!(status.code(), Some(code), "{stderr}");
    assert!(
        stderr.contains(&format!("interrupted by SIG{signal_name}")),
        "{stderr}"
    );

    assert_one_run(&out);
    assert!(
        snapshot(&out) == before,
        "the previous run's files are unchanged"
    );
}

#[test]
fn sigterm_mid_write_leaves_the_previous_run_and_no_temporary_file() {
    interrupted_mid_write_leaves_the_previous_run("TERM", 143);
}

#[test]
fn sigint_mid_write_leaves_the_previous_run_and_no_temporary_file() {
    interrupted_mid_write_leaves_the_previous_run("INT", 130);
}

#[test]
fn a_killed_runs_leftovers_are_removed_by_the_next_run() {
    let tmp = tempfile::tempdir().unwrap();
    let out = tmp.path().join("out");
    small_run(&out);
    let mut child = start_long_run(&out, Rows::PerTrial);
    wait_for("the temporary trials.csv", || {
        temp_csv_bytes(&out) > 1 << 20
    });
    // SIGKILL cannot be handled: the staging directory stays behind...
    signal(&child, "KILL");
    child.wait().unwrap();
    assert!(
        entries(&out).iter().any(|e| e.starts_with(".staging-")),
        "{:?}",
        entries(&out)
    );
    // ...beside an older temporary file of the kind earlier versions left.
    fs::write(out.join(".trials.csv.Xy12Zw.tmp"), "partial rows").unwrap();
    // The previous run is still whole: the manifest lists only files that are there.
    for f in manifest_files(&out) {
        assert!(out.join(&f).is_file(), "{f}");
    }
    tokencast()
        .args(["run", REFERENCE, "-n", "500", "--quiet", "--out"])
        .arg(&out)
        .assert()
        .success()
        .stderr(predicate::str::contains(
            "removed what an interrupted run left",
        ))
        .stderr(predicate::str::contains(".trials.csv.Xy12Zw.tmp"));
    assert_one_run(&out);
    assert!(
        !out.join("trials.csv").exists(),
        "the earlier trials.csv is removed"
    );
}

#[test]
fn a_second_run_into_a_locked_directory_exits_1_naming_the_holder() {
    let tmp = tempfile::tempdir().unwrap();
    let out = tmp.path().join("out");
    let mut child = start_long_run(&out, Rows::None);
    let pid = child.id().to_string();
    wait_for("the lock", || {
        fs::read_to_string(out.join(".lock")).is_ok_and(|t| t.trim() == pid)
    });
    for verb in [
        vec!["run", REFERENCE, "-n", "100", "--quiet"],
        vec!["forecast", FORECAST, "-n", "20", "--no-stress"],
    ] {
        tokencast()
            .args(&verb)
            .arg("--out")
            .arg(&out)
            .assert()
            .code(1)
            .stderr(predicate::str::contains(format!(
                "another tokencast run (pid {pid}) is writing into this directory"
            )));
    }
    signal(&child, "TERM");
    child.wait().unwrap();
    assert_eq!(entries(&out), BTreeSet::from([".lock".to_string()]));
    // The lock is free again.
    small_run(&out);
    assert_one_run(&out);
}

#[test]
fn calibrate_never_replaces_a_symlink_or_a_fifo() {
    let tmp = tempfile::tempdir().unwrap();
    let precious = tmp.path().join("precious.toml");
    fs::write(&precious, "keep me").unwrap();
    let link = tmp.path().join("link.toml");
    std::os::unix::fs::symlink(&precious, &link).unwrap();
    let fifo = tmp.path().join("fifo.toml");
    assert!(
        Process::new("mkfifo")
            .arg(&fifo)
            .status()
            .unwrap()
            .success()
    );
    for (path, what) in [(&link, "is a symbolic link"), (&fifo, "is a FIFO")] {
        tokencast()
            .args([
                "calibrate",
                "examples/calibrate/sample-calls.csv",
                "-n",
                "200",
            ])
            .arg("-o")
            .arg(path)
            .arg("--report")
            .arg(tmp.path().join("report"))
            .timeout(Duration::from_secs(60))
            .assert()
            .code(2)
            .stderr(predicate::str::contains(what))
            .stderr(predicate::str::contains("replaces only regular files"));
    }
    assert!(
        fs::symlink_metadata(&link)
            .unwrap()
            .file_type()
            .is_symlink()
    );
    assert_eq!(fs::read_to_string(&precious).unwrap(), "keep me");
    use std::os::unix::fs::FileTypeExt;
    assert!(fs::symlink_metadata(&fifo).unwrap().file_type().is_fifo());
    assert!(
        !tmp.path().join("report").exists(),
        "refused before any work"
    );
}

#[test]
fn a_run_never_replaces_a_symlink_in_its_directory() {
    let tmp = tempfile::tempdir().unwrap();
    let elsewhere = tmp.path().join("elsewhere.json");
    fs::write(&elsewhere, "keep me").unwrap();
    let out = tmp.path().join("out");
    fs::create_dir(&out).unwrap();
    std::os::unix::fs::symlink(&elsewhere, out.join("summary.json")).unwrap();
    tokencast()
        .args([
            "run",
            REFERENCE,
            "-n",
            "200",
            "--quiet",
            "--no-charts",
            "--out",
        ])
        .arg(&out)
        .assert()
        .code(2)
        .stderr(predicate::str::contains("summary.json: is a symbolic link"));
    assert_eq!(fs::read_to_string(&elsewhere).unwrap(), "keep me");
    assert_eq!(
        entries(&out),
        BTreeSet::from([".lock".to_string(), "summary.json".to_string()])
    );
    // --out itself must be a directory.
    tokencast()
        .args(["run", REFERENCE, "-n", "200", "--quiet", "--out"])
        .arg(&elsewhere)
        .assert()
        .code(2)
        .stderr(predicate::str::contains("expected a directory"));
}

#[test]
fn fewer_outputs_remove_the_previous_runs_extra_files() {
    let tmp = tempfile::tempdir().unwrap();
    let out = tmp.path().join("out");
    let forecast = |extra: &[&str]| {
        tokencast()
            .args(["forecast", FORECAST, "-n", "40", "--out"])
            .arg(&out)
            .args(extra)
            .assert()
            .success();
    };
    forecast(&["--focus"]);
    assert_one_run(&out);
    for f in ["focus.csv", "stress.csv", "stress.json"] {
        assert!(out.join(f).exists(), "{f}");
    }
    fs::write(out.join("mine.csv"), "the user's own").unwrap();
    forecast(&["--no-stress"]);
    for f in ["focus.csv", "stress.csv", "stress.json"] {
        assert!(!out.join(f).exists(), "a stale {f} is left");
    }
    assert!(
        out.join("mine.csv").exists(),
        "a file no manifest lists is kept"
    );
    fs::remove_file(out.join("mine.csv")).unwrap();
    assert_one_run(&out);

    // run: charts and per-trial rows, then neither.
    let run_out = tmp.path().join("run");
    small_run(&run_out);
    assert!(run_out.join("trials.csv").exists() && run_out.join("cost_histogram.png").exists());
    tokencast()
        .args([
            "run",
            REFERENCE,
            "-n",
            "300",
            "--quiet",
            "--no-charts",
            "--out",
        ])
        .arg(&run_out)
        .assert()
        .success()
        .stderr(predicate::str::contains("trials.csv"));
    assert_one_run(&run_out);
    assert!(!run_out.join("trials.csv").exists());
    assert!(!run_out.join("cost_histogram.png").exists());

    // compare without its break-even sweep, after a run with it (a small sweep: 2 points).
    let scenario = tmp.path().join("pricing.toml");
    let text = fs::read_to_string(root().join("scenarios/pricing-comparison.toml")).unwrap();
    let small = text.replace("points = 16, periods = 100", "points = 2, periods = 4");
    assert_ne!(
        small, text,
        "the bundled sweep line changed; update this test"
    );
    fs::write(&scenario, small).unwrap();
    let cmp = tmp.path().join("compare");
    let compare = |extra: &[&str]| {
        tokencast()
            .arg("compare")
            .arg(&scenario)
            .args(["-n", "40", "--out"])
            .arg(&cmp)
            .args(extra)
            .assert()
            .success();
    };
    compare(&[]);
    assert_one_run(&cmp);
    let with_sweep = manifest_files(&cmp);
    compare(&["--no-sweep"]);
    assert_one_run(&cmp);
    let without = manifest_files(&cmp);
    assert!(
        without.is_subset(&with_sweep),
        "{without:?} vs {with_sweep:?}"
    );
}

#[test]
fn sweep_and_calibrate_reports_are_one_run_too() {
    let tmp = tempfile::tempdir().unwrap();
    let out = tmp.path().join("sweep");
    tokencast()
        .args([
            "sweep",
            FORECAST,
            "-n",
            "20",
            "--param",
            "usage.active_share=0.5,0.7",
            "--out",
        ])
        .arg(&out)
        .assert()
        .success();
    assert_one_run(&out);
    assert!(manifest_files(&out).contains("sweep.png"));
    let report = tmp.path().join("report");
    tokencast()
        .args([
            "calibrate",
            "examples/calibrate/sample-calls.csv",
            "-n",
            "200",
        ])
        .arg("-o")
        .arg(tmp.path().join("fitted.toml"))
        .arg("--report")
        .arg(&report)
        .assert()
        .success();
    assert_one_run(&report);
    assert!(manifest_files(&report).contains("calibration.json"));
}
