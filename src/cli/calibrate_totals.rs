//! The terminal report of a calibration from per-task totals (an agent loop fitted by
//! simulated moments): its estimates, its moments and the calls' back-test.

use std::fmt::Write as _;

use tokencast::calibrate::{Backtest, TaskTotalsFit, number};

/// The fit's estimates and moments.
pub fn render_fit(s: &mut String, f: &TaskTotalsFit) {
    let _ = writeln!(
        s,
        "  agent loop fitted by simulated moments to {} tasks of {} ({} simulated tasks, {} evaluations)",
        f.tasks, f.model, f.simulated_tasks, f.evaluations
    );
    let _ = writeln!(s, "  {:<40} {:>24}  from", "parameter", "estimate ± SE");
    for e in &f.estimates {
        let value = match e.se {
            Some(se) if se.is_finite() => format!("{} ± {}", number(e.value), number(se)),
            Some(_) => format!("{} (no SE)", number(e.value)),
            None => format!("{} fixed", number(e.value)),
        };
        let _ = writeln!(s, "  {:<40} {:>24}  {}", e.name, value, e.from);
    }
    let _ = writeln!(s, "  {:<40} {:>24} {:>12}", "moment", "data ± SE", "fitted");
    for m in &f.moments {
        let _ = writeln!(
            s,
            "  {:<40} {:>24} {:>12}",
            m.name,
            format!("{} ± {}", number(m.data), number(m.se)),
            number(m.fitted)
        );
    }
    if let Some(r) = f.failed_cost_ratio {
        let _ = writeln!(
            s,
            "  failed tasks cost {}x successful ones in the data",
            number(r)
        );
    }
    let caps: Vec<String> = [
        f.caps.max_calls.map(|c| format!("{c} calls")),
        f.caps.max_cost_usd.map(|c| format!("${}", number(c))),
    ]
    .into_iter()
    .flatten()
    .collect();
    if !caps.is_empty() {
        let _ = writeln!(
            s,
            "  per-task caps from the data: {} (a task stops there)",
            caps.join(" and ")
        );
    }
    if let Some(r) = f.success {
        let _ = writeln!(
            s,
            "  success rate: {} ± {} ({} of {})",
            number(r.rate),
            number(r.se),
            r.successes,
            r.known
        );
    }
}

/// The calls' back-test.
pub fn render_calls_backtest(s: &mut String, bt: &Backtest) {
    backtest_table(s, bt, "calls per task", 1);
    let _ = writeln!(
        s,
        "  KS distance {:.4} (asymptotic p-value {:.3})",
        bt.ks_distance, bt.ks_p_value
    );
}

/// A back-test's heading and its two rows (held-out logs, fitted scenario): tasks, mean ± SE,
/// P50, P90, P99 with `decimals` decimals.
pub fn backtest_table(s: &mut String, bt: &Backtest, what: &str, decimals: usize) {
    let _ = writeln!(
        s,
        "\nback-test: {what}, held-out logs vs the fitted scenario ({} trials, seed {})",
        bt.trials, bt.seed
    );
    let _ = writeln!(
        s,
        "  {:<22} {:>8} {:>24} {:>11} {:>11} {:>11}",
        "", "tasks", "mean ± SE", "P50", "P90", "P99"
    );
    for (name, f) in [
        ("held-out logs", &bt.held_out),
        ("fitted scenario", &bt.simulated),
    ] {
        let _ = writeln!(
            s,
            "  {:<22} {:>8} {:>24} {:>11.d$} {:>11.d$} {:>11.d$}",
            name,
            f.n,
            format!("{:.d$} ± {:.d$}", f.mean, f.se, d = decimals),
            f.p50,
            f.p90,
            f.p99,
            d = decimals
        );
    }
}
