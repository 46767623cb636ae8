//! A forecast's work and memory are bounded by what validation states (issue 20, items 7–8):
//! too many task kinds, task pools too heavy to pre-simulate and an estimated memory beyond the
//! limit are each rejected at their line and column with the figure; a forecast's measured peak
//! memory stays within its stated estimate.

mod common;

use std::path::Path;
use std::process::Command;

use common::forecast::try_load;
use tokencast::forecast::footprint::{Footprint, MAX_TASK_KINDS};

/// A forecast of `kinds` task kinds of `task` over `months` months with pools of `pool` tasks.
fn mix(kinds: usize, task: &str, months: u32, pool: u64) -> String {
    let mut t = format!(
        "[forecast]\nstart = \"2027-01\"\nmonths = {months}\n\n[seats]\ntable = [{{ month = 1, seats = 100 }}]\n\n[usage]\nactive_share = 1.0\ntasks_per_day = 2\n\n[aggregation]\npool_size = {pool}\n"
    );
    for i in 0..kinds {
        t += &format!("\n[[tasks]]\nname = \"kind {i}\"\nscenario = \"{task}\"\nweight = 1\n");
    }
    t
}

#[test]
fn more_task_kinds_than_the_limit_are_rejected_at_the_first_beyond() {
    let text = mix(MAX_TASK_KINDS + 1, "constant-task.toml", 12, 16);
    let err = try_load("kinds.toml", &text).expect_err("too many kinds");
    // The 257th [[tasks]] header: the first is on line 15, then one every 5 lines.
    let line = 15 + 5 * MAX_TASK_KINDS;
    assert!(
        err.starts_with(&format!(
            "kinds.toml:{line}:1: tasks[256]: expected at most 256 task kinds, found 257"
        )),
        "{err}"
    );
    assert!(
        try_load(
            "kinds.toml",
            &mix(MAX_TASK_KINDS, "constant-task.toml", 12, 16)
        )
        .is_ok()
    );
}

#[test]
fn task_pools_too_heavy_to_pre_simulate_are_rejected_at_the_kind() {
    let dir = tempfile::tempdir().unwrap();
    // 100,000 iterations of a call and a tool result: 200,001 steps a task, within the task
    // limit; 65,536 of them are 1.3e10 steps, beyond the pools' 1e10.
    std::fs::write(
        dir.path().join("heavy.toml"),
        "[models.m]\ninput = 1\noutput = 1\n\n[agent]\ncaching = \"off\"\nsystem_prompt = 10\n\n[[phases]]\nname = \"grind\"\nrepeat = 100000\nsteps = [{ call = { output = 1 } }, { tool = { tokens = 1 } }]\n\n[[phases]]\nname = \"end\"\nsteps = [{ call = { output = 1 } }]\n",
    )
    .unwrap();
    let text = mix(1, "heavy.toml", 12, 65_536);
    let err = tokencast::forecast::Forecast::from_text(
        "heavy-mix.toml",
        "heavy-mix",
        dir.path(),
        &text,
        &[],
        None,
        Some(1),
    )
    .expect_err("pools beyond the work limit")
    .to_string();
    assert!(
        err.starts_with("heavy-mix.toml:17:12: tasks[0].scenario: expected task pools that take at most 10,000,000,000 steps to pre-simulate"),
        "{err}"
    );
    assert!(
        err.contains("found about 13,107,265,536 with this kind (65,536 tasks of `kind 0` × about 200,001 steps each)"),
        "{err}"
    );
    // A pool of 1,024 such tasks is within the limit (and is not simulated here).
    let b = tokencast::scenario::Scenario::load(&dir.path().join("heavy.toml"))
        .unwrap()
        .workflow
        .work_bound();
    assert_eq!(b.steps, 200_001.0);
    assert!(1024.0 * b.steps <= tokencast::forecast::footprint::MAX_POOL_STEPS);
}

#[test]
fn a_forecast_whose_memory_estimate_passes_the_limit_is_rejected_before_any_pool_runs() {
    // 256 kinds × pools of 16,777,216 tasks: 172 GB of pools alone. Rejected before simulating
    // anything (the test would otherwise run for hours).
    let text = mix(MAX_TASK_KINDS, "constant-task.toml", 120, 1 << 24);
    let clock = std::time::Instant::now();
    let err = try_load("big.toml", &text).expect_err("memory beyond the limit");
    assert!(
        err.starts_with("big.toml:15:1: tasks: expected a forecast that needs at most 8.6 GB of memory, found about 178 GB (256 task kinds over 120 months: task pools 172 GB, per-kind detail 1.5 GB, per-kind distributions 4.4 GB)"),
        "{err}"
    );
    assert!(err.contains("help: use fewer task kinds"), "{err}");
    assert!(
        clock.elapsed().as_secs() < 60,
        "rejected before any pool runs"
    );
}

/// The peak resident memory of a process, polled from /proc until it exits, in bytes.
fn peak_memory(mut cmd: Command) -> (std::process::ExitStatus, f64) {
    let mut child = cmd.spawn().expect("the binary starts");
    let status_file = format!("/proc/{}/status", child.id());
    let mut peak = 0.0f64;
    loop {
        if let Ok(s) = std::fs::read_to_string(&status_file)
            && let Some(line) = s.lines().find(|l| l.starts_with("VmHWM:"))
        {
            let kb: f64 = line
                .split_whitespace()
                .nth(1)
                .and_then(|v| v.parse().ok())
                .unwrap_or(0.0);
            peak = peak.max(kb * 1024.0);
        }
        if let Some(status) = child.try_wait().unwrap() {
            return (status, peak);
        }
        std::thread::sleep(std::time::Duration::from_millis(5));
    }
}

#[test]
fn a_forecast_of_many_kinds_stays_within_its_stated_memory() {
    if !Path::new("/proc/self/status").exists() {
        eprintln!("skipped: no /proc to read peak memory from");
        return;
    }
    let dir = tempfile::tempdir().unwrap();
    std::fs::copy(
        "scenarios/tasks/chat-question.toml",
        dir.path().join("chat.toml"),
    )
    .unwrap();
    let kinds = 96;
    let file = dir.path().join("many.toml");
    std::fs::write(&file, mix(kinds, "chat.toml", 24, 4096)).unwrap();
    let f = tokencast::forecast::Forecast::load(&file, &[], None, Some(1)).unwrap();
    let stated = Footprint::of(&f.model);
    let mut cmd = Command::new(env!("CARGO_BIN_EXE_tokencast"));
    cmd.args(["forecast", "--trials", "2000", "--no-stress", "--out"])
        .arg(dir.path().join("out"))
        .arg(&file)
        .stdout(std::process::Stdio::null());
    let (status, peak) = peak_memory(cmd);
    eprintln!("stated {:.0} bytes, peak {peak:.0}", stated.total());
    assert!(status.success(), "the forecast runs");
    // The process itself (code, charts, report) takes some tens of MB beside the parts the
    // estimate counts.
    let allowance = 96e6;
    assert!(
        peak <= stated.total() + allowance,
        "peak {peak:.0} bytes above the stated {:.0} + {allowance:.0}",
        stated.total()
    );
    // And the estimate is not so loose as to be meaningless.
    assert!(
        stated.total() <= 3.0 * peak,
        "stated {:.0} bytes for a peak of {peak:.0}",
        stated.total()
    );
}
