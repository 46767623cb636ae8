//! `--shard K/N` and `--shard auto/N`: which shard of a run this process is (1-based K), and
//! where its partial state goes (`shard-K-of-N.tcshard` in the output directory).
//!
//! Shards are numbered from 1, as people count (`--shard 1/3` is the first of three). Schedulers
//! number array tasks from 0; `--shard auto/N` reads their index and adds 1:
//! `JOB_COMPLETION_INDEX` (Kubernetes Indexed Job), `SLURM_ARRAY_TASK_ID` (Slurm; minus
//! `SLURM_ARRAY_TASK_MIN` when set, so `--array=1-N` works as well as `--array=0-(N-1)`), or
//! `AWS_BATCH_JOB_ARRAY_INDEX` (AWS Batch), the first one set in that order.

use std::path::Path;
use std::time::Instant;

use anyhow::anyhow;
use tokencast::engine::shard::Shard;
use tokencast::report::shard_file::{self, ShardHeader};

use super::{Failure, bad_input};

/// The scheduler index variables `--shard auto/N` reads, in order, with the scheduler's name.
pub(crate) const SCHEDULER_VARIABLES: [(&str, &str); 3] = [
    ("JOB_COMPLETION_INDEX", "Kubernetes Indexed Job"),
    ("SLURM_ARRAY_TASK_ID", "Slurm job array"),
    ("AWS_BATCH_JOB_ARRAY_INDEX", "AWS Batch array job"),
];

/// Help text of `--shard` (the same on every command that takes it).
pub(crate) const SHARD_HELP: &str = "Run shard K of N (1-based: 1/3, 2/3, 3/3) and write its partial state to \
shard-K-of-N.tcshard in the output directory instead of the outputs; `tokencast merge DIR` \
then writes the outputs of the whole run, byte for byte. auto/N reads the 0-based index of \
JOB_COMPLETION_INDEX, SLURM_ARRAY_TASK_ID or AWS_BATCH_JOB_ARRAY_INDEX";

/// Parses `--shard`'s value, reading scheduler variables through `env` for `auto/N`.
pub(crate) fn parse(text: &str, env: &dyn Fn(&str) -> Option<String>) -> Result<Shard, String> {
    let usage = "expected K/N (shard K of N, 1-based, e.g. --shard 2/8) or auto/N (the index from the scheduler)";
    let Some((k, n)) = text.split_once('/') else {
        return Err(format!("--shard: {usage}, found '{text}'"));
    };
    let count: u64 = match n.trim().parse() {
        Ok(n) if n >= 1 => n,
        Ok(_) => {
            return Err(format!(
                "--shard: expected at least 1 shard (N of K/N), found '{text}'; --shard 1/1 is a single run"
            ));
        }
        Err(_) => {
            return Err(format!(
                "--shard: {usage}, found '{text}' (N is not a number)"
            ));
        }
    };
    if count > 1_000_000 {
        return Err(format!(
            "--shard: expected at most 1,000,000 shards, found {count}"
        ));
    }
    let k = k.trim();
    if k == "auto" {
        return from_scheduler(count, env);
    }
    let Ok(k) = k.parse::<u64>() else {
        return Err(format!(
            "--shard: {usage}, found '{text}' (K is not a number)"
        ));
    };
    if k == 0 {
        return Err(format!(
            "--shard: shards are numbered from 1, found 0/{count}; the first shard is --shard 1/{count} (a scheduler's 0-based index goes through --shard auto/{count})"
        ));
    }
    if k > count {
        return Err(format!(
            "--shard: expected a shard from 1 to {count}, found {k}/{count}; the last shard is --shard {count}/{count}"
        ));
    }
    Ok(Shard {
        index: k - 1,
        count,
    })
}

fn from_scheduler(count: u64, env: &dyn Fn(&str) -> Option<String>) -> Result<Shard, String> {
    for (var, scheduler) in SCHEDULER_VARIABLES {
        let Some(value) = env(var) else { continue };
        let parse = |v: &str, name: &str| {
            v.trim().parse::<u64>().map_err(|_| {
                format!(
                    "--shard auto/{count}: {name} ({scheduler}) is '{v}', expected a whole number"
                )
            })
        };
        let mut index = parse(&value, var)?;
        let mut note = String::new();
        if var == "SLURM_ARRAY_TASK_ID"
            && let Some(min) = env("SLURM_ARRAY_TASK_MIN")
        {
            let min = parse(&min, "SLURM_ARRAY_TASK_MIN")?;
            index = index.checked_sub(min).ok_or_else(|| {
                format!("--shard auto/{count}: SLURM_ARRAY_TASK_ID {value} is below SLURM_ARRAY_TASK_MIN {min}")
            })?;
            note = format!(" minus SLURM_ARRAY_TASK_MIN ({min})");
        }
        if index >= count {
            return Err(format!(
                "--shard auto/{count}: {var}{note} is {index}, expected 0 to {} ({scheduler} indices are 0-based: run the array with indices 0 to {}, e.g. {})",
                count - 1,
                count - 1,
                match var {
                    "JOB_COMPLETION_INDEX" => format!("completions: {count}"),
                    "SLURM_ARRAY_TASK_ID" => format!("--array=0-{}", count - 1),
                    _ => format!("arrayProperties size {count}"),
                }
            ));
        }
        return Ok(Shard { index, count });
    }
    Err(format!(
        "--shard auto/{count}: none of {} is set, so the shard's index is unknown; run under a scheduler's array job, or give the shard as --shard K/{count} (1-based)",
        SCHEDULER_VARIABLES.map(|(v, _)| v).join(", ")
    ))
}

/// Parses `--shard` from the process environment (exit 2 on bad input).
pub(crate) fn from_arg(text: &str) -> Result<Shard, Failure> {
    parse(text, &|var| std::env::var(var).ok()).map_err(|e| bad_input(anyhow!(e)))
}

/// Writes a shard's file into `out_dir` and says so on stderr; returns its path.
pub(crate) fn write_shard(
    out_dir: &Path,
    header: &ShardHeader,
    state: &[u8],
    clock: Instant,
) -> Result<std::path::PathBuf, Failure> {
    let mut header = header.clone();
    header.wall_time_seconds = clock.elapsed().as_secs_f64();
    let path = out_dir.join(shard_file::file_name(header.shard, header.shards));
    shard_file::write(&path, &header, state)
        .map_err(|e| Failure::from(anyhow!("cannot write {}: {e}", path.display())))?;
    super::warn(&format!(
        "shard {} of {}: units {}..{} of {} in {:.2} s; wrote {} ({} bytes); when every shard is done: tokencast merge {}",
        header.shard,
        header.shards,
        header.unit_start,
        header.unit_end,
        header.units,
        header.wall_time_seconds,
        path.display(),
        state.len(),
        out_dir.display()
    ));
    Ok(path)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn none(_: &str) -> Option<String> {
        None
    }

    #[test]
    fn k_of_n_is_one_based() {
        assert_eq!(parse("1/3", &none), Ok(Shard { index: 0, count: 3 }));
        assert_eq!(parse("3/3", &none), Ok(Shard { index: 2, count: 3 }));
        for bad in ["0/3", "4/3", "1/0", "x/3", "3", "1/y", ""] {
            assert!(parse(bad, &none).is_err(), "{bad}");
        }
        assert!(parse("0/3", &none).unwrap_err().contains("--shard 1/3"));
    }

    #[test]
    fn slurm_offsets_by_the_array_minimum() {
        let env = |v: &str| match v {
            "SLURM_ARRAY_TASK_ID" => Some("5".to_string()),
            "SLURM_ARRAY_TASK_MIN" => Some("3".to_string()),
            _ => None,
        };
        assert_eq!(parse("auto/4", &env), Ok(Shard { index: 2, count: 4 }));
    }
}
