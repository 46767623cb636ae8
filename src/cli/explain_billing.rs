//! `tokencast validate`: `[workload]` and every `[billing.NAME]` scheme in words, after the
//! task model. Each scheme is worded by [`describe::scheme`], the sentence the forecast report
//! and compare's report.html use, so the three say the same thing.

use std::fmt::Write;

use tokencast::forecast::describe;
use tokencast::scenario::Scenario;
use tokencast::scenario::spec::BillingSpec;
use tokencast::text::number;

/// The workload and billing schemes of `s` in words; empty when it has none.
pub fn explain(s: &Scenario) -> String {
    let Some(b) = &s.billing else {
        return String::new();
    };
    let w = &b.workload;
    let mut out = String::new();
    let _ = writeln!(
        out,
        "\nworkload (for compare): one simulated month of the team's work at a time"
    );
    let spread = match w.dispersion {
        Some(d) => format!(
            "heavy and light users: each seat's count is negative binomial with dispersion {} (variance = mean + mean²/{})",
            number(d),
            number(d)
        ),
        None => "each seat's count is Poisson".into(),
    };
    let _ = writeln!(
        out,
        "  {} seats, on average {} tasks per seat a month; {spread}",
        number(f64::from(w.seats)),
        number(w.tasks_per_seat)
    );
    let _ = writeln!(
        out,
        "  tasks start uniformly over {} working days of {} hours ({} working hours a month)",
        w.working_days,
        w.hours_per_day,
        number(f64::from(w.slots()))
    );
    let _ = writeln!(
        out,
        "  {} simulated months by default; every scheme prices the same months",
        number(b.periods as f64)
    );
    if let (Some(lo), Some(hi)) = (b.sweep.first(), b.sweep.last()) {
        let _ = writeln!(
            out,
            "  break-even sweep: {} levels of tasks per seat from {} to {}, {} simulated months each",
            b.sweep.len(),
            number(*lo),
            number(*hi),
            number(b.sweep_periods as f64)
        );
    }
    let _ = writeln!(out, "\nbilling schemes, by name");
    for (i, named) in b.schemes.iter().enumerate() {
        let baseline = if i == b.baseline {
            ", the baseline the others are compared with"
        } else {
            ""
        };
        let _ = writeln!(
            out,
            "  {} ({}{baseline}): {}",
            named.name.replace('_', " "),
            named.scheme.kind().replace('_', " "),
            describe::scheme(&named.scheme)
        );
        if let Some(BillingSpec::ComputeHours(c)) = s.spec.billing.get(&named.name)
            && let (Some(usd), Some(tps)) = (c.usd_per_gpu_hour, c.tokens_per_second_per_gpu)
        {
            let utilisation = c.max_utilisation.unwrap_or(1.0);
            let _ = writeln!(
                out,
                "    self-hosted GPUs: a unit is one GPU at ${}/GPU-hour generating {} tokens/s at peak{}",
                number(usd),
                number(tps),
                if utilisation < 1.0 {
                    format!(
                        ", of which {}% is sustained",
                        number((100.0 * utilisation * 1e9).round() / 1e9)
                    )
                } else {
                    String::new()
                }
            );
        }
    }
    out
}
