//! `tokencast validate` on a forecast: a plain-language account of what it models (seats
//! curve, calendar, usage, task mix, drifts, billing schemes, budgets, stress cases). Only the
//! task pools are simulated (loading a forecast needs them); no forecast trial runs. The seats
//! curve's spread comes from drawing the uncertain inputs alone.

use std::fmt::Write;

use tokencast::forecast::Forecast;
use tokencast::forecast::model::Headline;
use tokencast::forecast::outcome::quantile_sorted;
use tokencast::forecast::spec::{CountModelSpec, SeatsSpec};
use tokencast::pricing::scheme::{
    Allowance, BillingScheme, OverAllowance, Rounding, Sizing, Spill,
};

/// Input draws used to show the seats curve's spread.
const DRAWS: u64 = 2000;

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
    let counts = match u.counts {
        CountModelSpec::NegativeBinomial => match &u.dispersion {
            Some(d) => format!("negative binomial per working day, dispersion {d}"),
            None => "Poisson per working day".to_string(),
        },
        CountModelSpec::Fixed => "exactly round(tasks per day × working days) a month".into(),
    };
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
    let _ = writeln!(
        out,
        "\ntask mix (pools simulated by the task engine; list prices)"
    );
    let total: f64 = model.tasks.iter().map(|t| t.weight).sum();
    for (t, s) in model.tasks.iter().zip(&spec.tasks) {
        let _ = writeln!(
            out,
            "  {:<20} {:>5.1}%  {}: {} tasks, mean ${:.4} ± {:.4} and {:.0} tokens per task",
            t.name,
            100.0 * t.weight / total,
            s.scenario,
            t.pool.len(),
            t.pool.stats.mean_cost,
            t.pool.mean_cost_se(),
            t.pool.stats.mean_tokens
        );
    }
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
    billing(f, &mut out);
    let b = &model.budget;
    if b.monthly.is_some() || b.annual.is_some() {
        // One amount when every month (year) has the same, else the list.
        let amounts = |v: &[f64]| {
            if v.windows(2).all(|w| w[0] == w[1]) {
                v.first().map_or("none".into(), |x| format!("${x}"))
            } else {
                let list: Vec<String> = v.iter().map(|x| format!("${x}")).collect();
                format!("[{}]", list.join(", "))
            }
        };
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
            let mut parts = Vec::new();
            for (what, v) in [
                ("seats", s.seats),
                ("adoption speed", s.adoption_speed),
                ("tokens per task", s.tokens_per_task),
                ("prices", s.prices),
                ("tasks per day", s.tasks_per_day),
            ] {
                if let Some(v) = v {
                    parts.push(format!("{what} ×{v}"));
                }
            }
            parts.extend(s.set.iter().map(|(k, v)| format!("{k} = {v}")));
            let _ = writeln!(out, "  {}: {}", s.name, parts.join(", "));
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
    let model = &f.model;
    let curve = match &f.spec.seats {
        SeatsSpec::Logistic(l) => format!(
            "logistic: capacity {}, midpoint month {}, rate {} per month",
            l.capacity, l.midpoint, l.rate
        ),
        SeatsSpec::Bass(b) => format!("Bass diffusion: market {}, p {}, q {}", b.market, b.p, b.q),
        SeatsSpec::Table(t) => format!(
            "table: {}",
            t.iter()
                .map(|p| format!("month {} {} seats", p.month, p.seats))
                .collect::<Vec<_>>()
                .join(", ")
        ),
    };
    let _ = writeln!(out, "\nseats: {curve}");
    if let Some(h) = model.headcount {
        let _ = writeln!(
            out,
            "  at most {} seats in any month (headcount)",
            tokencast::text::thousands(h)
        );
    }
    let months = model.months();
    let mut picks: Vec<usize> = [1, 3, 6, 12, 18, 24, 36, 48, 60, 120]
        .into_iter()
        .filter(|&m| m < months)
        .collect();
    picks.push(months);
    let mut inputs = Vec::new();
    let mut by_month = vec![Vec::with_capacity(DRAWS as usize); picks.len()];
    for i in 0..DRAWS {
        model.draw_inputs(f.default_seed(), i, &mut inputs);
        let c = model.curve(&inputs);
        for (k, &m) in picks.iter().enumerate() {
            by_month[k].push(model.seats_in(&c, m - 1).0);
        }
    }
    let _ = writeln!(
        out,
        "  {:<8} {:>10} {:>10} {:>10}   (over {DRAWS} draws of the uncertain inputs)",
        "month", "P10", "P50", "P90"
    );
    for (k, &m) in picks.iter().enumerate() {
        by_month[k].sort_by(f64::total_cmp);
        let q = |p| quantile_sorted(&by_month[k], p);
        let _ = writeln!(
            out,
            "  {:<8} {:>10} {:>10} {:>10}",
            model.start.plus(m as u32 - 1).to_string(),
            q(0.1),
            q(0.5),
            q(0.9)
        );
    }
}

fn billing(f: &Forecast, out: &mut String) {
    let model = &f.model;
    let _ = writeln!(out, "\nbilling, each month");
    let basic = match &model.commitment {
        Some(c) => format!(
            "a commitment of ${}/month at {}% off (beyond it, list prices)",
            c.commit_usd,
            100.0 * c.discount
        ),
        None => format!("list prices less {}%", 100.0 * model.discount),
    };
    let fee = if model.seat_fee > 0.0 {
        format!(", plus ${} per seat", model.seat_fee)
    } else {
        String::new()
    };
    let mark = |h: bool| if h { " [headline]" } else { "" };
    let _ = writeln!(
        out,
        "  basic: {basic}{fee}{}",
        mark(model.headline == Headline::Basic)
    );
    for (i, s) in model.schemes.iter().enumerate() {
        let _ = writeln!(
            out,
            "  {} ({}): {}{}",
            s.name,
            s.scheme.kind(),
            describe(&s.scheme),
            mark(model.headline == Headline::Scheme(i))
        );
    }
    let _ = writeln!(
        out,
        "  (the headline bill is the one budgets, stress cases and the fan chart use; every scheme is billed on the same simulated months)"
    );
}

fn describe(scheme: &BillingScheme) -> String {
    match scheme {
        BillingScheme::Tokens(t) => {
            let mut s = format!("list prices less {}%", 100.0 * t.discount);
            if t.batch_share > 0.0 {
                let _ = write!(s, ", {}% at batch rates", 100.0 * t.batch_share);
            }
            if let Some(u) = t.units {
                let rounding = match u.rounding {
                    Rounding::Up => "up",
                    Rounding::Nearest => "to the nearest",
                    Rounding::Down => "down",
                    Rounding::None => "not",
                };
                let _ = write!(
                    s,
                    ", in units of ${} metered every {} working hours, rounded {rounding}",
                    u.usd_per_unit, u.metering_slots
                );
            }
            s
        }
        BillingScheme::Seats(p) => {
            let allowance = match p.allowance {
                Allowance::Tokens(n) => format!("{n} tokens"),
                Allowance::Requests(n) => format!("{n} requests"),
                Allowance::Usd(v) => format!("${v} of list-price usage"),
            };
            let beyond = match p.over {
                OverAllowance::Throttle => "throttled".to_string(),
                OverAllowance::Rate(r) => format!("billed at {r} per unit"),
                OverAllowance::ApiPrices { discount } => {
                    format!("billed at list prices less {}%", 100.0 * discount)
                }
            };
            let cap = p
                .overage_cap_usd
                .map_or(String::new(), |c| format!(", overage capped at ${c}"));
            format!(
                "${} per seat with {allowance} each; beyond, {beyond}{cap}",
                p.usd_per_seat
            )
        }
        BillingScheme::Commitment(c) => format!(
            "${}/month committed at {}% off; beyond it, list prices",
            c.commit_usd,
            100.0 * c.discount
        ),
        BillingScheme::ComputeHours(c) => {
            let size = match c.sizing {
                Sizing::Fixed(n) => format!("{n} units"),
                Sizing::PeakPercentile(p) => {
                    format!("units for the P{p} peak working hour of each month")
                }
            };
            let spill = match c.spill {
                Spill::OnDemand => "spills to list prices",
                Spill::Drop => "is not served",
            };
            format!(
                "{size} at ${}/unit-hour for {} hours, {} tokens/min each; demand above {spill}",
                c.usd_per_unit_hour, c.billed_hours, c.tokens_per_minute_per_unit
            )
        }
    }
}
