//! `tokencast validate`: the work a task takes per trial, from the model.

use std::fmt::Write;

use tokencast::text::about;
use tokencast::workflow::{MAX_STEPS_PER_TRIAL, WorkBound};

/// The work section of `validate`'s account: averages and worst case per trial, and what
/// bounds them.
pub fn work(bound: &WorkBound, out: &mut String) {
    let _ = writeln!(
        out,
        "\nwork per task (from the model, before any trial runs)"
    );
    let averages = format!(
        "{} calls, {} steps and {} tokens",
        about(bound.calls),
        about(bound.steps),
        about(bound.tokens)
    );
    if bound.exact {
        let _ = writeln!(out, "  on average: {averages}");
    } else {
        let _ = writeln!(
            out,
            "  on average: at most about {averages} (conditional phases, failures, re-runs, windows, compaction and per-task caps make trials do less)"
        );
    }
    let _ = writeln!(
        out,
        "  in any trial: at most {} calls, {} steps and {} tokens",
        about(bound.calls_max),
        about(bound.steps_max),
        about(bound.tokens_max)
    );
    let _ = writeln!(
        out,
        "  (steps: calls, failed attempts, tool results and sub-agent starts; the limit is {} on average)",
        tokencast::text::thousands(MAX_STEPS_PER_TRIAL)
    );
    if bound.tokens_max >= 2f64.powi(64) {
        let _ = writeln!(
            out,
            "  a trial could pass 2^64 tokens of one kind; the run would stop with an error rather than report a saturated count"
        );
    }
}
