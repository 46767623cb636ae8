//! A forecast's inputs in words: the seats curve and its spread, each billing scheme, budget
//! amounts and stress cases. `tokencast validate` prints them and the forecast report shows
//! them as its assumptions, so both say the same thing.

use std::fmt::Write;

use super::Forecast;
use super::model::{ForecastModel, Headline};
use super::outcome::quantile_sorted;
use super::spec::{CountModelSpec, SeatsSpec, StressSpec, UsageSpec};
use crate::dist::DistSpec;
use crate::pricing::scheme::{Allowance, BillingScheme, OverAllowance, Rounding, Sizing, Spill};

/// Input draws used to show the seats curve's spread.
pub const SEAT_DRAWS: u64 = 2000;

/// The seats curve as written, e.g. `logistic: capacity triangular(4000, 4800, 5000), ...`.
pub fn seats_curve(f: &Forecast) -> String {
    seats_curve_with(f, |d| d.to_string())
}

/// The seats curve with each distribution written by `show` (e.g. [`DistSpec::words`]).
pub fn seats_curve_with(f: &Forecast, show: impl Fn(&DistSpec) -> String) -> String {
    match &f.spec.seats {
        SeatsSpec::Logistic(l) => format!(
            "logistic: capacity {}, midpoint month {}, rate {} per month",
            show(&l.capacity),
            show(&l.midpoint),
            show(&l.rate)
        ),
        SeatsSpec::Bass(b) => format!(
            "Bass diffusion: market {}, p {}, q {}",
            show(&b.market),
            show(&b.p),
            show(&b.q)
        ),
        SeatsSpec::Table(t) => format!(
            "table: {}",
            t.iter()
                .map(|p| format!("month {} {} seats", p.month, crate::text::number(p.seats)))
                .collect::<Vec<_>>()
                .join(", ")
        ),
    }
}

/// Seats in one month across draws of the uncertain inputs.
#[derive(Debug, Clone, PartialEq)]
pub struct SeatsSpread {
    /// The month, e.g. `2027-06`.
    pub period: String,
    /// 10th percentile of seats.
    pub p10: f64,
    /// Median seats.
    pub p50: f64,
    /// 90th percentile of seats.
    pub p90: f64,
}

/// Seats at months 1, 3, 6, 12, 18, 24, ... and the last, over [`SEAT_DRAWS`] draws of the
/// uncertain inputs with the file's seed (the curve alone: no trial is simulated).
pub fn seats_spread(f: &Forecast) -> Vec<SeatsSpread> {
    let model = &f.model;
    let months = model.months();
    let mut picks: Vec<usize> = [1, 3, 6, 12, 18, 24, 36, 48, 60, 120]
        .into_iter()
        .filter(|&m| m < months)
        .collect();
    picks.push(months);
    let mut inputs = Vec::new();
    let mut by_month = vec![Vec::with_capacity(SEAT_DRAWS as usize); picks.len()];
    for i in 0..SEAT_DRAWS {
        model.draw_inputs(f.default_seed(), i, &mut inputs);
        let c = model.curve(&inputs);
        for (k, &m) in picks.iter().enumerate() {
            by_month[k].push(model.seats_in(&c, m - 1).0);
        }
    }
    picks
        .iter()
        .zip(by_month.iter_mut())
        .map(|(&m, draws)| {
            draws.sort_by(f64::total_cmp);
            SeatsSpread {
                period: model.start.plus(m as u32 - 1).to_string(),
                p10: quantile_sorted(draws, 0.1),
                p50: quantile_sorted(draws, 0.5),
                p90: quantile_sorted(draws, 0.9),
            }
        })
        .collect()
}

/// The basic bill in words: the discount or commitment, and a seat fee.
pub fn basic_scheme(model: &ForecastModel) -> String {
    let basic = match &model.commitment {
        Some(c) => format!(
            "a commitment of ${}/month at {}% off (beyond it, list prices)",
            crate::text::number(c.commit_usd),
            percent(c.discount)
        ),
        None => list_prices_less(model.discount),
    };
    let fee = if model.seat_fee > 0.0 {
        format!(", plus ${} per seat", model.seat_fee)
    } else {
        String::new()
    };
    format!("{basic}{fee}")
}

/// Every scheme the forecast bills, as (name, kind, description, headline?), the basic bill
/// first.
pub fn schemes(model: &ForecastModel) -> Vec<(String, &'static str, String, bool)> {
    let mut out = vec![(
        "basic".to_string(),
        "basic",
        basic_scheme(model),
        model.headline == Headline::Basic,
    )];
    for (i, s) in model.schemes.iter().enumerate() {
        out.push((
            s.name.clone(),
            s.scheme.kind(),
            scheme(&s.scheme),
            model.headline == Headline::Scheme(i),
        ));
    }
    out
}

/// One billing scheme in words.
pub fn scheme(scheme: &BillingScheme) -> String {
    match scheme {
        BillingScheme::Tokens(t) => {
            let mut s = list_prices_less(t.discount);
            if t.batch_share > 0.0 {
                let _ = write!(s, ", {}% at batch rates", percent(t.batch_share));
            }
            if let Some(u) = t.units {
                let rounding = match u.rounding {
                    Rounding::Up => "rounded up",
                    Rounding::Nearest => "rounded to the nearest unit",
                    Rounding::Down => "rounded down",
                    Rounding::None => "not rounded",
                };
                let every = match u.metering_slots {
                    1 => "every working hour".to_string(),
                    n => format!("every {} working hours", crate::text::number(f64::from(n))),
                };
                let _ = write!(
                    s,
                    ", in units of ${} metered {every}, {rounding}",
                    crate::text::number(u.usd_per_unit),
                );
            }
            s
        }
        BillingScheme::Seats(p) => {
            let allowance = match p.allowance {
                Allowance::Tokens(n) => format!("{} tokens", crate::text::number(n as f64)),
                Allowance::Requests(n) => format!("{} requests", crate::text::number(n as f64)),
                Allowance::Usd(v) => format!("${} of list-price usage", crate::text::number(v)),
            };
            let beyond = match p.over {
                OverAllowance::Throttle => "throttled".to_string(),
                OverAllowance::Rate(r) => format!(
                    "billed at ${} {}",
                    crate::text::number(r),
                    match p.allowance {
                        Allowance::Tokens(_) => "per million tokens",
                        Allowance::Requests(_) => "per request",
                        Allowance::Usd(_) => "per dollar of list-price usage",
                    }
                ),
                OverAllowance::ApiPrices { discount } => {
                    format!("billed at {}", list_prices_less(discount))
                }
            };
            let cap = p.overage_cap_usd.map_or(String::new(), |c| {
                format!(", overage capped at ${}", crate::text::number(c))
            });
            format!(
                "${} per seat with {allowance} each; beyond, {beyond}{cap}",
                crate::text::number(p.usd_per_seat)
            )
        }
        BillingScheme::Commitment(c) => format!(
            "${}/month committed at {}% off; beyond it, list prices",
            crate::text::number(c.commit_usd),
            percent(c.discount)
        ),
        BillingScheme::ComputeHours(c) => {
            let size = match c.sizing {
                Sizing::Fixed(n) => format!("{} units", crate::text::number(n as f64)),
                Sizing::PeakPercentile(p) => {
                    format!("units for the P{p} peak working hour of each month")
                }
            };
            let spill = match c.spill {
                Spill::OnDemand => "spills to list prices",
                Spill::Drop => "is not served",
            };
            let weight = if c.output_weight == 1.0 {
                String::new()
            } else {
                format!(
                    " (an output token uses the capacity of {} tokens)",
                    crate::text::number(c.output_weight)
                )
            };
            format!(
                "{size} at ${}/unit-hour for {} hours, {} tokens/min each{weight}; demand above {spill}",
                crate::text::number(c.usd_per_unit_hour),
                crate::text::number(c.billed_hours),
                crate::text::number(c.tokens_per_minute_per_unit)
            )
        }
    }
}

/// `[limits]` in words: "$500 a user a month and $200,000 a month for the organisation, at
/// list prices".
pub fn limits_words(per_user: Option<f64>, monthly: Option<f64>) -> String {
    let usd = crate::report::page::usd;
    let parts: Vec<String> = [
        per_user.map(|v| format!("{} a user a month", usd(v))),
        monthly.map(|v| format!("{} a month for the organisation", usd(v))),
    ]
    .into_iter()
    .flatten()
    .collect();
    format!("{}, at list prices", parts.join(" and "))
}

/// `list prices`, or `list prices less 15%` with a discount.
fn list_prices_less(discount: f64) -> String {
    if discount == 0.0 {
        "list prices".into()
    } else {
        format!("list prices less {}%", percent(discount))
    }
}

/// A fraction as a percentage without float noise: 0.15 is `15`, 0.125 is `12.5`.
fn percent(fraction: f64) -> String {
    ((100.0 * fraction * 1e9).round() / 1e9).to_string()
}

/// Budget amounts: one amount when every period has the same, else the list.
pub fn budget_amounts(v: &[f64]) -> String {
    if v.windows(2).all(|w| w[0] == w[1]) {
        v.first()
            .map_or("none".into(), |x| format!("${}", crate::text::number(*x)))
    } else {
        let list: Vec<String> = v
            .iter()
            .map(|x| format!("${}", crate::text::number(*x)))
            .collect();
        format!("[{}]", list.join(", "))
    }
}

/// How a month's tasks are counted, with `show` writing the dispersion (e.g.
/// [`DistSpec::words`]).
pub fn counts_with(u: &UsageSpec, show: impl Fn(&DistSpec) -> String) -> String {
    match u.counts {
        CountModelSpec::NegativeBinomial => match &u.dispersion {
            Some(d) => format!("negative binomial per working day, dispersion {}", show(d)),
            None => "Poisson per working day".to_string(),
        },
        CountModelSpec::Fixed => "exactly round(tasks per day × working days) a month".into(),
    }
}

/// What a stress case changes, e.g. `adoption speed ×2, tokens per task ×1.5`.
pub fn stress_case(s: &StressSpec) -> String {
    let mut parts = stress_factors(s);
    parts.extend(s.set.iter().map(|(k, v)| format!("{k} = {v}")));
    parts.join(", ")
}

/// A stress case's multipliers in words (its `set` entries aside).
pub fn stress_factors(s: &StressSpec) -> Vec<String> {
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
    parts
}
