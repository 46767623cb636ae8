//! Runs sharded across processes (`--shard K/N`) and merged (`tokencast merge`) give the bytes of
//! the single run (DESIGN.md §7, "Shards"; docs/guide/distributed.md).
//!
//! - Every output file of the single run is byte-identical after the merge, at N = 1, 3 and 8
//!   (trial counts chosen so that at N = 8 some shards hold one chunk and some none); the only
//!   fields exempt are the run's clock (`started_at`, `wall_time_seconds`).
//! - N shard processes started at once and merged give the same bytes.
//! - `--shard auto/N` honours each scheduler's index variable, and refuses clearly when none is
//!   set or the index is out of range.
//! - The merge refuses (exit 2, naming the file) mixed seeds, different scenarios, different
//!   trial counts, a missing, a duplicated or a corrupt shard and a newer format; `--shard`
//!   refuses bad syntax with a suggestion.

use std::fs;
use std::path::{Path, PathBuf};
use std::process::{Command, Output, Stdio};

use tempfile::TempDir;

fn bin() -> PathBuf {
    PathBuf::from(env!("CARGO_BIN_EXE_tokencast"))
}

fn repo(path: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join(path)
}

/// The scheduler index variables, removed from every child so the host's never leak in.
const SCHEDULER_VARS: [&str; 4] = [
    "JOB_COMPLETION_INDEX",
    "SLURM_ARRAY_TASK_ID",
    "SLURM_ARRAY_TASK_MIN",
    "AWS_BATCH_JOB_ARRAY_INDEX",
];

fn command(args: &[&str]) -> Command {
    let mut c = Command::new(bin());
    c.args(args);
    for v in SCHEDULER_VARS {
        c.env_remove(v);
    }
    c
}

fn run_ok(args: &[&str]) -> Output {
    let out = command(args).output().expect("tokencast starts");
    assert!(
        out.status.success(),
        "tokencast {args:?} failed: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    out
}

/// Runs and expects exit 2 with every one of `needles` in stderr; returns stderr.
fn refused(args: &[&str], needles: &[&str]) -> String {
    let out = command(args).output().expect("tokencast starts");
    let err = String::from_utf8_lossy(&out.stderr).into_owned();
    assert_eq!(out.status.code(), Some(2), "tokencast {args:?}: {err}");
    for n in needles {
        assert!(err.contains(n), "expected {n:?} in: {err}");
    }
    err
}

/// A file's bytes with the run's clock (`started_at` of the directory's manifest, and the
/// manifest's `wall_time_seconds`) blanked: the only bytes two identical runs may differ in.
fn comparable(dir: &Path, name: &str) -> Vec<u8> {
    let manifest: serde_json::Value =
        serde_json::from_slice(&fs::read(dir.join("manifest.json")).unwrap()).unwrap();
    let started = manifest["started_at"].as_str().unwrap().to_string();
    let bytes = fs::read(dir.join(name)).unwrap();
    let Ok(text) = String::from_utf8(bytes.clone()) else {
        return bytes;
    };
    let mut text = text.replace(&started, "CLOCK");
    if name == "manifest.json" {
        let mut v: serde_json::Value = serde_json::from_str(&text).unwrap();
        v["wall_time_seconds"] = serde_json::json!(0);
        text = serde_json::to_string_pretty(&v).unwrap();
    }
    text.into_bytes()
}

/// Every file of `single` (the unsharded run) is in `merged` with the same bytes.
fn assert_same_outputs(single: &Path, merged: &Path) {
    let mut names: Vec<String> = fs::read_dir(single)
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .filter(|n| !n.starts_with('.'))
        .collect();
    names.sort();
    assert!(names.len() >= 3, "{names:?}");
    for name in &names {
        assert!(
            merged.join(name).is_file(),
            "{name} missing after the merge"
        );
        assert!(
            comparable(single, name) == comparable(merged, name),
            "{name} differs between the single run and the merge"
        );
    }
    let extra: Vec<String> = fs::read_dir(merged)
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .filter(|n| !n.starts_with('.') && !n.ends_with(".tcshard") && !names.contains(n))
        .collect();
    assert!(extra.is_empty(), "the merge wrote more files: {extra:?}");
}

/// A command line of one verb, with its output directory last.
struct Case {
    args: Vec<String>,
}

impl Case {
    fn with(&self, extra: &[&str], out: &Path) -> Vec<String> {
        let mut a = self.args.clone();
        a.extend(extra.iter().map(|s| s.to_string()));
        a.push("--out".into());
        a.push(out.display().to_string());
        a
    }
}

fn strs(v: &[String]) -> Vec<&str> {
    v.iter().map(String::as_str).collect()
}

/// The single run, and the merge of `n` shards run one after another, are the same bytes.
fn check_sharded(case: &Case, counts: &[u64]) {
    let tmp = TempDir::new().unwrap();
    let single = tmp.path().join("single");
    run_ok(&strs(&case.with(&[], &single)));
    for &n in counts {
        let dir = tmp.path().join(format!("shards-{n}"));
        for k in 1..=n {
            let shard = format!("{k}/{n}");
            run_ok(&strs(&case.with(&["--shard", &shard], &dir)));
            assert!(dir.join(format!("shard-{k}-of-{n}.tcshard")).is_file());
        }
        run_ok(&["merge", dir.to_str().unwrap()]);
        assert_same_outputs(&single, &dir);
    }
}

/// 6 chunks of 1,024 trials (the last one partial): at N = 8, shards of one chunk and of none.
fn run_case(charts: bool) -> Case {
    let mut args: Vec<String> = [
        "run",
        repo("scenarios/reference-coding-task.toml")
            .to_str()
            .unwrap(),
        "--trials",
        "5220",
        "--seed",
        "11",
        "--quiet",
        "--format",
        "json",
    ]
    .iter()
    .map(|s| s.to_string())
    .collect();
    if !charts {
        args.push("--no-charts".into());
    }
    Case { args }
}

#[test]
fn run_merged_from_1_3_8_shards_is_the_single_run() {
    check_sharded(&run_case(false), &[1, 8]);
    check_sharded(&run_case(true), &[3]);
}

/// A scenario with `[routing]`: five policies compared on the same tasks, the comparison
/// sharded with the run (routing.csv, summary.json's `routing`, the report's section).
fn routing_case(charts: bool) -> Case {
    let mut case = run_case(charts);
    case.args[1] = repo("scenarios/mechanisms/routing.toml")
        .to_str()
        .unwrap()
        .to_string();
    case
}

#[test]
fn a_routing_comparison_merged_from_1_3_8_shards_is_the_single_run() {
    let tmp = TempDir::new().unwrap();
    let single = tmp.path().join("single");
    run_ok(&strs(&routing_case(false).with(&[], &single)));
    let summary: serde_json::Value =
        serde_json::from_slice(&fs::read(single.join("summary.json")).unwrap()).unwrap();
    assert_eq!(summary["routing"]["trials"], 5220);
    assert!(single.join("routing.csv").is_file());
    check_sharded(&routing_case(false), &[1, 8]);
    check_sharded(&routing_case(true), &[3]);
}

#[test]
fn shard_processes_run_at_once_and_merge_to_the_single_run() {
    let tmp = TempDir::new().unwrap();
    let case = run_case(false);
    let single = tmp.path().join("single");
    run_ok(&strs(&case.with(&[], &single)));
    let dir = tmp.path().join("shared");
    let n = 4;
    let children: Vec<_> = (1..=n)
        .map(|k| {
            let args = case.with(&["--shard", &format!("{k}/{n}")], &dir);
            command(&strs(&args))
                .stdout(Stdio::null())
                .stderr(Stdio::piped())
                .spawn()
                .expect("a shard starts")
        })
        .collect();
    for child in children {
        let out = child.wait_with_output().unwrap();
        assert!(
            out.status.success(),
            "{}",
            String::from_utf8_lossy(&out.stderr)
        );
    }
    run_ok(&["merge", dir.to_str().unwrap()]);
    assert_same_outputs(&single, &dir);
}

/// Runs shard `auto/3` of the run case with `vars` set; returns the shard files written.
fn auto_shard(vars: &[(&str, &str)]) -> (Output, Vec<String>) {
    let tmp = TempDir::new().unwrap();
    let dir = tmp.path().join("out");
    let args = run_case(false).with(&["--shard", "auto/3"], &dir);
    let mut c = command(&strs(&args));
    for (k, v) in vars {
        c.env(k, v);
    }
    let out = c.output().unwrap();
    let files = fs::read_dir(&dir)
        .map(|d| {
            d.map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
                .filter(|n| n.ends_with(".tcshard"))
                .collect()
        })
        .unwrap_or_default();
    (out, files)
}

#[test]
fn auto_reads_the_kubernetes_completion_index() {
    let (out, files) = auto_shard(&[("JOB_COMPLETION_INDEX", "1")]);
    assert!(out.status.success());
    assert_eq!(files, ["shard-2-of-3.tcshard"]);
}

#[test]
fn auto_reads_the_slurm_array_task_id_with_its_minimum() {
    let (out, files) = auto_shard(&[("SLURM_ARRAY_TASK_ID", "0")]);
    assert!(out.status.success());
    assert_eq!(files, ["shard-1-of-3.tcshard"]);
    // `--array=1-3`: the minimum is subtracted.
    let (out, files) = auto_shard(&[("SLURM_ARRAY_TASK_ID", "3"), ("SLURM_ARRAY_TASK_MIN", "1")]);
    assert!(out.status.success());
    assert_eq!(files, ["shard-3-of-3.tcshard"]);
}

#[test]
fn auto_reads_the_aws_batch_array_index() {
    let (out, files) = auto_shard(&[("AWS_BATCH_JOB_ARRAY_INDEX", "2")]);
    assert!(out.status.success());
    assert_eq!(files, ["shard-3-of-3.tcshard"]);
}

#[test]
fn auto_without_a_scheduler_or_out_of_range_is_refused() {
    let (out, files) = auto_shard(&[]);
    assert_eq!(out.status.code(), Some(2));
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(err.contains("JOB_COMPLETION_INDEX"), "{err}");
    assert!(err.contains("--shard K/3"), "{err}");
    assert!(files.is_empty());
    let (out, _) = auto_shard(&[("JOB_COMPLETION_INDEX", "3")]);
    assert_eq!(out.status.code(), Some(2));
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(err.contains("expected 0 to 2"), "{err}");
    let (out, _) = auto_shard(&[("SLURM_ARRAY_TASK_ID", "7")]);
    assert_eq!(out.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&out.stderr).contains("--array=0-2"));
}

#[test]
fn bad_shard_syntax_is_refused_with_a_suggestion() {
    let tmp = TempDir::new().unwrap();
    let case = run_case(false);
    let at = |s: &str| case.with(&["--shard", s], tmp.path());
    refused(&strs(&at("0/3")), &["numbered from 1", "--shard 1/3"]);
    refused(&strs(&at("4/3")), &["from 1 to 3", "--shard 3/3"]);
    refused(&strs(&at("1/0")), &["at least 1 shard"]);
    refused(&strs(&at("x/3")), &["expected K/N", "'x/3'"]);
    refused(
        &strs(&case.with(&["--shard", "1/2", "--per-trial"], tmp.path())),
        &["--per-trial"],
    );
    refused(
        &strs(&case.with(&["--shard", "1/2", "--precision", "0.1"], tmp.path())),
        &["--precision", "--trials"],
    );
}

/// Writes the shards `ks` of `n` of the run case with `extra` arguments into `dir`.
/// (`--seed` and `--trials` in `extra` replace the case's).
fn shards(dir: &Path, n: u64, ks: &[u64], extra: &[&str]) {
    let mut case = run_case(false);
    for pair in extra.chunks(2) {
        let at = case.args.iter().position(|a| a == pair[0]).unwrap();
        case.args[at + 1] = pair[1].to_string();
    }
    for k in ks {
        let shard = format!("{k}/{n}");
        run_ok(&strs(&case.with(&["--shard", shard.as_str()], dir)));
    }
}

#[test]
fn merge_refuses_shards_of_different_runs() {
    let tmp = TempDir::new().unwrap();
    let d = |name: &str| tmp.path().join(name);
    shards(&d("a"), 2, &[1], &[]);
    // Mixed seeds.
    shards(&d("seed"), 2, &[2], &["--seed", "12"]);
    refused(
        &[
            "merge",
            d("a").to_str().unwrap(),
            d("seed").to_str().unwrap(),
        ],
        &["seed", "shard-2-of-2.tcshard", "12"],
    );
    // Different trial counts.
    shards(&d("trials"), 2, &[2], &["--trials", "6000"]);
    refused(
        &[
            "merge",
            d("a").to_str().unwrap(),
            d("trials").to_str().unwrap(),
        ],
        &["trials", "trials/shard-2-of-2.tcshard", "6000"],
    );
    // A different scenario.
    let other = d("other");
    let scenario = repo("scenarios/subagent-feature.toml");
    let args = [
        "run",
        scenario.to_str().unwrap(),
        "--trials",
        "5220",
        "--seed",
        "11",
        "--no-charts",
        "--quiet",
        "--shard",
        "2/2",
        "--out",
        other.to_str().unwrap(),
    ];
    run_ok(&args);
    refused(
        &["merge", d("a").to_str().unwrap(), other.to_str().unwrap()],
        &["different inputs", "other/shard-2-of-2.tcshard"],
    );
}

#[test]
fn merge_refuses_a_missing_duplicated_corrupt_or_newer_shard() {
    let tmp = TempDir::new().unwrap();
    let dir = tmp.path().join("s");
    shards(&dir, 3, &[1, 3], &[]);
    refused(
        &["merge", dir.to_str().unwrap()],
        &["missing 1 of 3", "shard-2-of-3.tcshard"],
    );
    // Duplicated: the same shard in two directories.
    let copy = tmp.path().join("copy");
    fs::create_dir_all(&copy).unwrap();
    fs::copy(
        dir.join("shard-1-of-3.tcshard"),
        copy.join("shard-1-of-3.tcshard"),
    )
    .unwrap();
    refused(
        &["merge", dir.to_str().unwrap(), copy.to_str().unwrap()],
        &["duplicated shard 1 of 3", "copy/shard-1-of-3.tcshard"],
    );
    shards(&dir, 3, &[2], &[]);
    let path = dir.join("shard-2-of-3.tcshard");
    let good = fs::read(&path).unwrap();
    // One byte of the state flipped: the checksum finds it.
    let mut bad = good.clone();
    let at = bad.len() - 100;
    bad[at] ^= 0x01;
    fs::write(&path, &bad).unwrap();
    refused(
        &["merge", dir.to_str().unwrap()],
        &["corrupt", "checksum", "shard-2-of-3.tcshard"],
    );
    // A format version from the future.
    let mut newer = good.clone();
    newer[8..12].copy_from_slice(&2u32.to_le_bytes());
    fs::write(&path, &newer).unwrap();
    refused(
        &["merge", dir.to_str().unwrap()],
        &["format 2", "newer", "shard-2-of-3.tcshard"],
    );
    // Not a shard file at all.
    fs::write(&path, b"hello").unwrap();
    refused(
        &["merge", dir.to_str().unwrap()],
        &["not a tokencast shard file"],
    );
    fs::write(&path, &good).unwrap();
    run_ok(&["merge", dir.to_str().unwrap()]);
}

/// The bundled forecast (with its stress cases, sharded alike) over 6 chunks of 64 trials.
fn forecast_case() -> Case {
    let file = repo("scenarios/org-forecast.toml");
    let args = [
        "forecast",
        file.to_str().unwrap(),
        "--trials",
        "330",
        "--seed",
        "5",
        "--focus",
        "--format",
        "json",
    ];
    Case {
        args: args.iter().map(|s| s.to_string()).collect(),
    }
}

#[test]
fn forecast_merged_from_1_3_8_shards_is_the_single_run() {
    check_sharded(&forecast_case(), &[1, 3, 8]);
}

#[test]
fn forecast_shards_refuse_sensitivity_and_a_changed_file() {
    let tmp = TempDir::new().unwrap();
    let case = forecast_case();
    refused(
        &strs(&case.with(&["--shard", "1/2", "--sensitivity"], tmp.path())),
        &["--sensitivity"],
    );
    // The merge reads the forecast again: a file changed since the shards ran is refused.
    let file = forecast_copy(tmp.path(), "");
    let dir = tmp.path().join("s");
    let args = |k: &str| {
        vec![
            "forecast".to_string(),
            file.display().to_string(),
            "--trials".into(),
            "100".into(),
            "--no-stress".into(),
            "--shard".into(),
            k.into(),
            "--out".into(),
            dir.display().to_string(),
        ]
    };
    run_ok(&strs(&args("1/1")));
    let text = fs::read_to_string(&file).unwrap();
    fs::write(&file, format!("{text}\n# changed\n")).unwrap();
    refused(
        &["merge", dir.to_str().unwrap()],
        &["changed since the shards ran"],
    );
}

/// A sweep of 2 × 2 cells of the bundled forecast: at N = 8, shards of one cell and of none.
fn sweep_case() -> Case {
    let file = repo("scenarios/org-forecast.toml");
    let args = [
        "sweep",
        file.to_str().unwrap(),
        "--trials",
        "130",
        "--seed",
        "3",
        "--param",
        "usage.active_share=0.5,0.7",
        "--param",
        "tasks[0].weight=0.3,0.6",
    ];
    Case {
        args: args.iter().map(|s| s.to_string()).collect(),
    }
}

#[test]
fn sweep_merged_from_1_3_8_shards_is_the_single_run() {
    check_sharded(&sweep_case(), &[1, 3, 8]);
}

/// The bundled forecast with `extra` appended, as `f.toml` in `dir` beside the task scenarios
/// it names (linked).
fn forecast_copy(dir: &Path, extra: &str) -> PathBuf {
    let file = dir.join("f.toml");
    let text = fs::read_to_string(repo("scenarios/org-forecast.toml")).unwrap();
    fs::write(&file, format!("{text}\n{extra}")).unwrap();
    for entry in fs::read_dir(repo("scenarios")).unwrap() {
        let entry = entry.unwrap();
        if entry.file_name() != "org-forecast.toml" {
            std::os::unix::fs::symlink(entry.path(), dir.join(entry.file_name())).unwrap();
        }
    }
    file
}

#[test]
fn forecast_with_spend_limits_merged_from_3_shards_is_the_single_run() {
    let tmp = TempDir::new().unwrap();
    let file = forecast_copy(
        tmp.path(),
        "[limits]\nper_user_monthly_usd = 40.0\nmonthly_usd = 150000.0\n",
    );
    let mut case = forecast_case();
    case.args[1] = file.display().to_string();
    case.args.extend(["--no-stress".to_string()]);
    check_sharded(&case, &[3]);
}

/// The bundled pricing comparison made small: 20 seats, 22 months (6 chunks of 4: at N = 8,
/// shards of one chunk and of none), a break-even sweep of 4 points of 10 months. Its five
/// schemes include compute hours sized to the P90 of the months' peak demand, which only the
/// merge can size (it needs every month's peak).
fn compare_fixture(dir: &Path) -> PathBuf {
    let text = fs::read_to_string(repo("scenarios/pricing-comparison.toml")).unwrap();
    let mut small = text.clone();
    for (from, to) in [
        ("seats = 200", "seats = 20"),
        ("periods = 400", "periods = 22"),
        (
            "sweep = { min = 25, max = 400, points = 16, periods = 100 }",
            "sweep = { min = 25, max = 400, points = 4, periods = 10 }",
        ),
    ] {
        assert!(small.contains(from), "the bundled comparison lost {from:?}");
        small = small.replacen(from, to, 1);
    }
    assert!(small.contains("size_to_peak_percentile"));
    let file = dir.join("pricing-small.toml");
    fs::write(&file, small).unwrap();
    file
}

fn compare_case(file: &Path, extra: &[&str]) -> Case {
    let mut args: Vec<String> = ["compare", file.to_str().unwrap(), "--seed", "7"]
        .iter()
        .map(|s| s.to_string())
        .collect();
    args.extend(extra.iter().map(|s| s.to_string()));
    Case { args }
}

#[test]
fn compare_of_a_scenario_merged_from_1_3_8_shards_is_the_single_run() {
    let tmp = TempDir::new().unwrap();
    let file = compare_fixture(tmp.path());
    check_sharded(&compare_case(&file, &["--format", "json"]), &[1, 3, 8]);
    // Every task simulated, the sweep along seats.
    check_sharded(
        &compare_case(
            &file,
            &["--tasks", "simulate", "--along", "workload.seats=5,20,40"],
        ),
        &[3],
    );
}

/// The bundled forecast compared over 130 futures (3 chunks of 64 trials) and a break-even
/// sweep of 3 points of 70 futures whose crossings the merge refines itself.
fn compare_forecast_case(extra: &[&str]) -> Case {
    let file = repo("scenarios/org-forecast.toml");
    let mut args: Vec<String> = [
        "compare",
        file.to_str().unwrap(),
        "--periods",
        "130",
        "--seed",
        "5",
    ]
    .iter()
    .map(|s| s.to_string())
    .collect();
    args.extend(extra.iter().map(|s| s.to_string()));
    Case { args }
}

#[test]
fn compare_of_a_forecast_merged_from_1_3_8_shards_is_the_single_run() {
    let along = compare_forecast_case(&[
        "--no-stress",
        "--along",
        "usage.tasks_per_day=1..7:3",
        "--along-trials",
        "70",
        "--format",
        "json",
    ]);
    check_sharded(&along, &[1, 8]);
    // With its stress cases, sharded alike.
    check_sharded(&compare_forecast_case(&["--no-sweep"]), &[3]);
}

#[test]
fn compare_merge_refuses_mismatched_or_missing_shards() {
    let tmp = TempDir::new().unwrap();
    let file = compare_fixture(tmp.path());
    let case = compare_case(&file, &["--no-sweep"]);
    let dir = tmp.path().join("s");
    for k in ["1/3", "3/3"] {
        run_ok(&strs(&case.with(&["--shard", k], &dir)));
    }
    refused(
        &["merge", dir.to_str().unwrap()],
        &["missing 1 of 3", "shard-2-of-3.tcshard"],
    );
    // Shard 2 of another seed.
    let other = tmp.path().join("other");
    let mut seeded = compare_case(&file, &["--no-sweep"]);
    seeded.args[3] = "8".into();
    run_ok(&strs(&seeded.with(&["--shard", "2/3"], &other)));
    refused(
        &["merge", dir.to_str().unwrap(), other.to_str().unwrap()],
        &["seed", "other/shard-2-of-3.tcshard"],
    );
    // Shard 2 with the sweep: different options.
    let swept = tmp.path().join("swept");
    run_ok(&strs(
        &compare_case(&file, &[]).with(&["--shard", "2/3"], &swept),
    ));
    refused(
        &["merge", dir.to_str().unwrap(), swept.to_str().unwrap()],
        &["different inputs", "swept/shard-2-of-3.tcshard"],
    );
    // A `run` shard among them.
    let ran = tmp.path().join("ran");
    shards(&ran, 3, &[2], &[]);
    refused(
        &["merge", dir.to_str().unwrap(), ran.to_str().unwrap()],
        &["command", "ran/shard-2-of-3.tcshard"],
    );
    // The missing shard run: the merge goes through.
    run_ok(&strs(&case.with(&["--shard", "2/3"], &dir)));
    run_ok(&["merge", dir.to_str().unwrap()]);
    assert!(dir.join("report.html").is_file());
}

#[test]
fn compare_of_a_forecast_refuses_a_changed_file_and_reads_the_scheduler_index() {
    let tmp = TempDir::new().unwrap();
    let file = forecast_copy(tmp.path(), "");
    let dir = tmp.path().join("s");
    let args = |k: &str| {
        vec![
            "compare".to_string(),
            file.display().to_string(),
            "--periods".into(),
            "70".into(),
            "--no-stress".into(),
            "--no-sweep".into(),
            "--shard".into(),
            k.into(),
            "--out".into(),
            dir.display().to_string(),
        ]
    };
    let mut c = command(&strs(&args("auto/2")));
    c.env("JOB_COMPLETION_INDEX", "1");
    assert!(c.output().unwrap().status.success());
    assert!(dir.join("shard-2-of-2.tcshard").is_file());
    run_ok(&strs(&args("1/2")));
    let text = fs::read_to_string(&file).unwrap();
    fs::write(&file, format!("{text}\n# changed\n")).unwrap();
    refused(
        &["merge", dir.to_str().unwrap()],
        &["changed since the shards ran"],
    );
}
