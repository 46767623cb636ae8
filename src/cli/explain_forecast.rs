//! `tokencast validate` on a forecast: a plain-language account of what it models (seats
//! curve, calendar, usage, task mix, drifts, billing schemes, budgets, stress cases). Only the
//! task pools are simulated (loading a forecast needs them); no forecast trial runs. The seats
//! curve's spread comes from drawing the uncertain inputs alone.

use std::fmt::Write;

use tokencast::forecast::{Forecast, describe};

/// Describes a loaded forecast.
pub fn explain(f: &Forecast) -> String {
    let (spec, model) = (&f.spec, &f.model);
    let mut out = String::new();
    let _ = writeln!(out, "forecast {} ({})", f.name, f.origin);
    if let Some(d) = &spec.forecast.description {
        let _ = writeln!(out, "  {d}");
    }
    let last = model.start.plus(model.months() as u32 - 1);
    let _ = writeln!(
        out,
        "  {} months, {} to {}; default run: {} trials, seed {}",
        model.months(),
        model.start,
        last,
        f.default_trials(),
        f.default_seed()
    );
    seats(f, &mut out);
    let u = &spec.usage;
    let _ = writeln!(out, "\nusage");
    let _ = writeln!(out, "  active share of seats: {}", u.active_share);
    let counts = describe::counts_with(u, |d| d.to_string());
    let _ = writeln!(
        out,
        "  tasks per active user per working day: {} ({counts})",
        u.tasks_per_day
    );
    if let Some(s) = &u.intensity_sigma {
        let _ = writeln!(
            out,
            "  heavy and light users: log-normal intensity per user and month, sigma {s}"
        );
    }
    let days: Vec<String> = model.working_days.iter().map(u32::to_string).collect();
    let _ = writeln!(
        out,
        "  working days by month: {}; {} working hours a day",
        days.join(" "),
        model.hours_per_day
    );
    let resampled = model.tasks.iter().any(|t| t.history.is_some());
    let _ = writeln!(
        out,
        "\ntask mix (pools simulated by the task engine{}; list prices)",
        if resampled {
            " or resampled from logged tasks"
        } else {
            ""
        }
    );
    let total: f64 = model.tasks.iter().map(|t| t.weight).sum();
    for (t, s) in model.tasks.iter().zip(&spec.tasks) {
        if let Some(h) = &t.history {
            let _ = writeln!(
                out,
                "  {:<20} {:>5.1}%  {}; mean ${:.4} ± {:.4} (the logged sample's SE) and {} tokens per task",
                t.name,
                100.0 * t.weight / total,
                h.words(),
                t.pool.stats.mean_cost,
                t.pool.mean_cost_se(),
                tokencast::text::thousands(t.pool.stats.mean_tokens)
            );
            let models: Vec<String> = h
                .models
                .iter()
                .map(|(m, logged)| {
                    if logged.len() == 1 && logged[0] == *m {
                        format!("`{m}`")
                    } else {
                        format!(
                            "`{m}` (logged as {})",
                            tokencast::text::backticked(logged.iter().map(String::as_str))
                        )
                    }
                })
                .collect();
            let _ = writeln!(
                out,
                "  {:<20}         {} file{}, {} calls; priced by the price catalog: {}{}",
                "",
                h.files,
                if h.files == 1 { "" } else { "s" },
                tokencast::text::thousands(h.calls as f64),
                models.join(", "),
                h.logged_mean_cost.map_or(String::new(), |c| format!(
                    "; the logs' own costs average ${c:.4} per task"
                ))
            );
            continue;
        }
        let _ = writeln!(
            out,
            "  {:<20} {:>5.1}%  {}: {} tasks, mean ${:.4} ± {:.4} and {} tokens per task",
            t.name,
            100.0 * t.weight / total,
            s.source(),
            tokencast::text::thousands(t.pool.len() as f64),
            t.pool.stats.mean_cost,
            t.pool.mean_cost_se(),
            tokencast::text::thousands(t.pool.stats.mean_tokens)
        );
    }
    footprint(f, &mut out);
    let d = &spec.drift;
    let _ = writeln!(out, "\ndrifts per month (compounding from month 1)");
    let show = |x: &Option<tokencast::dist::DistSpec>| {
        x.as_ref().map_or("0".to_string(), |v| v.to_string())
    };
    let _ = writeln!(
        out,
        "  tokens per task: {}; prices: {}",
        show(&d.tokens_per_task),
        show(&d.price)
    );
    for s in &d.mix_shift {
        let _ = writeln!(
            out,
            "  {} → {}: {} of its weight per month, at most {}",
            s.from,
            s.to,
            s.per_month,
            s.max.unwrap_or(1.0)
        );
    }
    if let Some(e) = &d.price_elasticity {
        let _ = writeln!(
            out,
            "  usage answers prices with an elasticity of {e}: tasks per user per day × (price \
             factor)^elasticity, the price factor being the month's prices against the file's \
             (drift and stress cases)"
        );
    }
    let limits = &model.limits;
    if limits.is_set() {
        let l = describe::limits_words(limits.per_user, limits.monthly);
        let _ = writeln!(
            out,
            "\nspend limits: {}; a user at the limit stops working with agents for the rest of \
             the month, the organisation's limit then caps what is left; the work not done is \
             left out of every bill and reported (limits.csv, the report)",
            l
        );
    }
    billing(f, &mut out);
    let b = &model.budget;
    if b.monthly.is_some() || b.annual.is_some() {
        let amounts = describe::budget_amounts;
        let fiscal = &model.fiscal;
        let years: Vec<String> = fiscal
            .years
            .iter()
            .zip(&fiscal.labels)
            .map(|(r, l)| {
                format!(
                    "{l} {} to {}",
                    model.start.plus(r.start as u32),
                    model.start.plus(r.end as u32 - 1)
                )
            })
            .collect();
        let _ = writeln!(
            out,
            "\nbudget: monthly {}{}, annual {} (each forecast year: {})",
            b.monthly.as_deref().map_or("none".into(), amounts),
            match b.monthly_form {
                tokencast::forecast::model::MonthlyBudgetForm::PerQuarter => " (by fiscal quarter)",
                tokencast::forecast::model::MonthlyBudgetForm::PerMonth => " (by month)",
                _ => "",
            },
            b.annual.as_deref().map_or("none".into(), amounts),
            years.join("; ")
        );
    }
    if !spec.stress.is_empty() {
        let _ = writeln!(out, "\nstress cases (run beside the base case, same seed)");
        for s in &spec.stress {
            let _ = writeln!(out, "  {}: {}", s.name, describe::stress_case(s));
        }
    }
    let a = &model.aggregation;
    let _ = writeln!(
        out,
        "\naggregation: users drawn one by one up to {} active users, tasks summed one by one up \
         to {} of a kind a month; {} uncertain inputs",
        a.exact_users_max,
        a.exact_tasks_max,
        model.uncertain_inputs().len()
    );
    let _ = writeln!(
        out,
        "\nok: the forecast is valid; only the task pools were simulated."
    );
    out
}

fn seats(f: &Forecast, out: &mut String) {
    let _ = writeln!(out, "\nseats: {}", describe::seats_curve(f));
    if let Some(h) = f.model.headcount {
        let _ = writeln!(
            out,
            "  at most {} seats in any month (headcount)",
            tokencast::text::thousands(h)
        );
    }
    let _ = writeln!(
        out,
        "  {:<8} {:>10} {:>10} {:>10}   (over {} draws of the uncertain inputs)",
        "month",
        "P10",
        "P50",
        "P90",
        describe::SEAT_DRAWS
    );
    for s in describe::seats_spread(f) {
        let _ = writeln!(
            out,
            "  {:<8} {:>10} {:>10} {:>10}",
            s.period, s.p10, s.p50, s.p90
        );
    }
}

fn billing(f: &Forecast, out: &mut String) {
    let _ = writeln!(out, "\nbilling, each month");
    for (name, kind, text, headline) in describe::schemes(&f.model) {
        let mark = if headline { " [headline]" } else { "" };
        if kind == "basic" {
            let _ = writeln!(out, "  basic: {text}{mark}");
        } else {
            let _ = writeln!(out, "  {name} ({kind}): {text}{mark}");
        }
    }
    let _ = writeln!(
        out,
        "  (the headline bill is the one budgets, stress cases and the fan chart use; every scheme is billed on the same simulated months)"
    );
}

/// What the forecast takes to run: the pools' steps and the memory, each against its limit.
fn footprint(f: &Forecast, out: &mut String) {
    use tokencast::forecast::footprint::{Footprint, MAX_FORECAST_BYTES, MAX_POOL_STEPS, bytes};
    use tokencast::text::about;
    let model = &f.model;
    let steps: f64 = model
        .tasks
        .iter()
        .map(|t| t.pool.len() as f64 * t.steps_per_task)
        .sum();
    let fp = Footprint::of(model);
    let logged: usize = model
        .tasks
        .iter()
        .filter(|t| t.history.is_some())
        .map(|t| t.pool.len())
        .sum();
    let simulated = fp.pool_tasks - logged as f64;
    let _ = writeln!(
        out,
        "  work: pre-simulating the pools ({} tasks) takes about {} steps (limit {}){}",
        tokencast::text::thousands(simulated),
        about(steps),
        about(MAX_POOL_STEPS),
        if logged > 0 {
            format!(
                "; {} logged tasks are read, not simulated",
                tokencast::text::thousands(logged as f64)
            )
        } else {
            String::new()
        }
    );
    let _ = writeln!(
        out,
        "  memory: about {} whatever the trial count (pools {}, per-kind detail {}, per-kind distributions {}; limit {})",
        bytes(fp.total()),
        bytes(fp.pools),
        bytes(fp.detail),
        bytes(fp.split),
        bytes(MAX_FORECAST_BYTES)
    );
}
