//! Checks and compiles `[workload]` and `[billing.NAME]` into the engine's [`Workload`] and
//! the pricing layer's [`BillingScheme`]s, with located diagnostics.

use super::error::{FieldPath, ScenarioError, did_you_mean, number};
use super::parse::Source;
use super::spec::{
    AllowanceSpec, BeyondSpec, BillingSpec, ComputeHoursSpec, RoundingSpec, ScenarioFile,
    SpillSpec, WorkloadSpec,
};
use crate::engine::Workload;
use crate::engine::compare::NamedScheme;
use crate::pricing::ModelPrices;
use crate::pricing::scheme::{
    Allowance, BillingScheme, CommitmentScheme, ComputeHoursScheme, ConsumptionUnits,
    OverAllowance, Rounding, SchemeError, SeatsScheme, Sizing, Spill, TokensScheme,
};

/// Default simulated periods for `compare`.
pub const DEFAULT_PERIODS: u64 = 1000;

/// Most tasks one simulated period may hold on average (seats × tasks per seat): `compare`
/// keeps a period's tasks in memory (16 bytes each) to order them in time.
pub const MAX_TASKS_PER_PERIOD: f64 = 10_000_000.0;

/// Most tasks one `compare` may simulate in all (periods and sweep): about a quarter of an
/// hour on two cores at a few million tasks a second.
pub const MAX_COMPARE_TASKS: f64 = 2e9;

/// The compiled `[workload]` and `[billing]` of a scenario.
#[derive(Debug, Clone)]
pub struct Billing {
    /// The team's workload.
    pub workload: Workload,
    /// Schemes in name order.
    pub schemes: Vec<NamedScheme>,
    /// Index of the baseline scheme.
    pub baseline: usize,
    /// Periods to simulate by default.
    pub periods: u64,
    /// Tasks-per-seat values of the break-even sweep.
    pub sweep: Vec<f64>,
    /// Periods per sweep point.
    pub sweep_periods: u64,
}

impl Billing {
    /// Expected tasks a comparison of `periods` periods simulates, the sweep included when
    /// `with_sweep`.
    pub fn expected_tasks(&self, periods: u64, with_sweep: bool) -> f64 {
        let seats = f64::from(self.workload.seats);
        let sweep: f64 = if with_sweep {
            self.sweep.iter().sum::<f64>() * self.sweep_periods as f64
        } else {
            0.0
        };
        seats * (self.workload.tasks_per_seat * periods as f64 + sweep)
    }

    /// Checks the work of a comparison of `periods` periods against [`MAX_COMPARE_TASKS`],
    /// and its steps (tasks × `steps_per_task`, the task's work bound) against
    /// [`crate::workflow::MAX_RUN_STEPS`]: the message names the figure and what to lower.
    pub fn check_work(
        &self,
        periods: u64,
        with_sweep: bool,
        steps_per_task: f64,
    ) -> Result<(), String> {
        let tasks = self.expected_tasks(periods, with_sweep);
        let steps = tasks * steps_per_task;
        if steps > crate::workflow::MAX_RUN_STEPS {
            return Err(format!(
                "this comparison would take about {} steps ({} tasks × about {} steps each), more than the {} one run may (about a day on two cores): lower the seats, tasks_per_seat, periods{}",
                crate::text::about(steps),
                crate::text::thousands(tasks),
                crate::text::about(steps_per_task),
                crate::text::about(crate::workflow::MAX_RUN_STEPS),
                if with_sweep {
                    " or the sweep (--no-sweep skips it)"
                } else {
                    ""
                }
            ));
        }
        if tasks > MAX_COMPARE_TASKS {
            return Err(format!(
                "this comparison would simulate about {} tasks ({} seats, {} periods{}), more than the {} a comparison may: lower the seats, tasks_per_seat, periods{}",
                crate::text::thousands(tasks),
                crate::text::thousands(f64::from(self.workload.seats)),
                crate::text::thousands(periods as f64),
                if with_sweep {
                    " and the break-even sweep"
                } else {
                    ""
                },
                crate::text::thousands(MAX_COMPARE_TASKS),
                if with_sweep {
                    " or the sweep (--no-sweep skips it)"
                } else {
                    ""
                }
            ));
        }
        Ok(())
    }
}

/// Compiles the billing part of a file (`None` when it has neither section).
pub(crate) fn compile(
    file: &ScenarioFile,
    source: &Source,
    prices: &[ModelPrices],
    model_names: &[String],
    steps_per_task: f64,
) -> Result<Option<Billing>, ScenarioError> {
    let root = FieldPath::default();
    let (spec, path) = match (&file.workload, file.billing.is_empty()) {
        (None, true) => return Ok(None),
        (None, false) => {
            return Err(source.error_at(
                root.key("billing"),
                "expected a [workload] section (seats, tasks_per_seat) for the billing schemes to price, found none".into(),
                None,
            ));
        }
        (Some(_), true) => {
            return Err(source.error_at(
                root.key("workload"),
                "expected at least one [billing.NAME] scheme to compare, found none".into(),
                None,
            ));
        }
        (Some(w), false) => (w, root.key("workload")),
    };
    let workload = workload(spec, &path, source)?;
    let mut schemes = Vec::new();
    for (name, b) in &file.billing {
        let p = root.key("billing").key(name);
        let scheme = scheme(b, &p, source, prices, model_names)?;
        schemes.push(NamedScheme {
            name: name.clone(),
            scheme,
        });
    }
    let baseline = match &spec.baseline {
        None => 0,
        Some(name) => schemes
            .iter()
            .position(|s| &s.name == name)
            .ok_or_else(|| {
                let help = did_you_mean(name, schemes.iter().map(|s| s.name.as_str()))
                    .map(|s| format!("did you mean `{s}`?"));
                source.error_at(
                    path.key("baseline"),
                    format!("unknown scheme `{name}`: expected one of the [billing.NAME] sections"),
                    help,
                )
            })?,
    };
    let periods = positive(
        spec.periods,
        DEFAULT_PERIODS as i64,
        &path.key("periods"),
        source,
        10_000_000,
    )?;
    let (sweep, sweep_periods): (Vec<f64>, u64) = match &spec.sweep {
        Some(s) => {
            let sp = path.key("sweep");
            if !(s.min.is_finite() && s.max.is_finite() && s.min >= 0.0 && s.max > s.min) {
                return Err(source.error_at(
                    sp.clone(),
                    format!(
                        "expected 0 <= min < max, found min {} and max {}",
                        number(s.min),
                        number(s.max)
                    ),
                    None,
                ));
            }
            let points = positive(s.points, 9, &sp.key("points"), source, 1000)?.max(2);
            let per = positive(
                s.periods,
                (periods / 4).max(100) as i64,
                &sp.key("periods"),
                source,
                10_000_000,
            )?;
            let step = (s.max - s.min) / (points - 1) as f64;
            ((0..points).map(|i| s.min + step * i as f64).collect(), per)
        }
        None => {
            let m = workload.tasks_per_seat;
            let grid = [0.25, 0.5, 0.75, 1.0, 1.25, 1.5, 2.0, 3.0, 4.0];
            (grid.iter().map(|f| f * m).collect(), (periods / 4).max(100))
        }
    };
    let busiest = sweep
        .iter()
        .copied()
        .fold(workload.tasks_per_seat, f64::max)
        * f64::from(workload.seats);
    if busiest > MAX_TASKS_PER_PERIOD {
        return Err(source.error_at(
            path.key("tasks_per_seat"),
            format!(
                "a period would hold about {} tasks on average (seats × tasks per seat{}), more than the {} a period may",
                crate::text::thousands(busiest),
                if spec.sweep.is_some() || busiest > workload.tasks_per_seat * f64::from(workload.seats) {
                    ", at the busiest sweep point"
                } else {
                    ""
                },
                crate::text::thousands(MAX_TASKS_PER_PERIOD)
            ),
            Some("compare simulates every task of every period: lower the seats or tasks per seat".into()),
        ));
    }
    let billing = Billing {
        workload,
        schemes,
        baseline,
        periods,
        sweep,
        sweep_periods,
    };
    billing
        .check_work(periods, true, steps_per_task)
        .map_err(|m| source.error_at(path.key("periods"), m, None))?;
    Ok(Some(billing))
}

fn positive(
    v: Option<i64>,
    default: i64,
    path: &FieldPath,
    source: &Source,
    max: i64,
) -> Result<u64, ScenarioError> {
    let v = v.unwrap_or(default);
    if (1..=max).contains(&v) {
        Ok(v as u64)
    } else {
        Err(source.error_at(
            path.clone(),
            format!("expected an integer from 1 to {max}, found {v}"),
            None,
        ))
    }
}

fn workload(
    spec: &WorkloadSpec,
    path: &FieldPath,
    source: &Source,
) -> Result<Workload, ScenarioError> {
    let seats = positive(Some(spec.seats), 0, &path.key("seats"), source, 1_000_000)? as u32;
    if !(spec.tasks_per_seat.is_finite() && (0.0..=100_000.0).contains(&spec.tasks_per_seat)) {
        return Err(source.error_at(
            path.key("tasks_per_seat"),
            format!(
                "expected a mean from 0 to 100000 tasks per seat per period, found {}",
                number(spec.tasks_per_seat)
            ),
            None,
        ));
    }
    if let Some(d) = spec.dispersion
        && !(d.is_finite() && d > 0.0)
    {
        return Err(source.error_at(
            path.key("dispersion"),
            format!("expected a positive dispersion, found {}", number(d)),
            None,
        ));
    }
    Ok(Workload {
        seats,
        tasks_per_seat: spec.tasks_per_seat,
        dispersion: spec.dispersion,
        working_days: positive(
            spec.working_days,
            21,
            &path.key("working_days"),
            source,
            366,
        )? as u32,
        hours_per_day: positive(
            spec.hours_per_day,
            8,
            &path.key("hours_per_day"),
            source,
            24,
        )? as u32,
    })
}

pub(crate) fn scheme(
    spec: &BillingSpec,
    path: &FieldPath,
    source: &Source,
    prices: &[ModelPrices],
    model_names: &[String],
) -> Result<BillingScheme, ScenarioError> {
    let located = |kind: &str, e: SchemeError| {
        let SchemeError::OutOfRange {
            field,
            expected,
            found,
        } = e;
        let field = match field {
            "metering_hours" => "units.metering_hours",
            "usd_per_unit" => "units.usd_per_unit",
            "allowance_usd" => "allowance.usd",
            f => f,
        };
        source.error_at(
            path.key(kind).dotted(field),
            format!("expected {expected}, found {found}"),
            None,
        )
    };
    match spec {
        BillingSpec::Tokens(t) => {
            let units = match &t.units {
                None => None,
                Some(u) => Some(ConsumptionUnits {
                    usd_per_unit: u.usd_per_unit,
                    metering_slots: positive(
                        u.metering_hours,
                        1,
                        &path.key("tokens").key("units").key("metering_hours"),
                        source,
                        1_000_000,
                    )? as u32,
                    rounding: match u.rounding.unwrap_or(RoundingSpec::Up) {
                        RoundingSpec::Up => Rounding::Up,
                        RoundingSpec::Nearest => Rounding::Nearest,
                        RoundingSpec::Down => Rounding::Down,
                        RoundingSpec::None => Rounding::None,
                    },
                }),
            };
            let share = t.batch_share.unwrap_or(0.0);
            let without: Vec<&str> = prices
                .iter()
                .zip(model_names)
                .filter(|(p, _)| p.batch_per_mtok.is_none())
                .map(|(_, n)| n.as_str())
                .collect();
            if share > 0.0 && !without.is_empty() {
                let named = without
                    .iter()
                    .map(|n| format!("`{n}`"))
                    .collect::<Vec<_>>()
                    .join(", ");
                return Err(source.error_at(
                    path.key("tokens").key("batch_share"),
                    format!(
                        "expected batch rates for every model to bill a batch share of {share}, found none for {named}"
                    ),
                    Some(format!(
                        "give {} `batch = {{ input = ..., output = ... }}` or take it from a catalog entry with batch rates (`tokencast prices` lists them in batch_in/batch_out)",
                        if without.len() == 1 { "that model" } else { "each of them" }
                    )),
                ));
            }
            TokensScheme::new(t.discount.unwrap_or(0.0), share, units)
                .map(BillingScheme::Tokens)
                .map_err(|e| located("tokens", e))
        }
        BillingSpec::Seats(s) => {
            let p = path.key("seats");
            let count = |n: i64, key: &str| {
                u64::try_from(n).map_err(|_| {
                    source.error_at(
                        p.key("allowance").key(key),
                        format!("expected a non-negative allowance, found {n}"),
                        None,
                    )
                })
            };
            let allowance = match s.allowance {
                AllowanceSpec::Tokens(n) => Allowance::Tokens(count(n, "tokens")?),
                AllowanceSpec::Requests(n) => Allowance::Requests(count(n, "requests")?),
                AllowanceSpec::Usd(v) => Allowance::Usd(v),
            };
            let over = match s.beyond {
                BeyondSpec::Throttle => OverAllowance::Throttle,
                BeyondSpec::ApiPrices => OverAllowance::ApiPrices {
                    discount: s.overage_discount.unwrap_or(0.0),
                },
                BeyondSpec::Rate => match s.overage_rate {
                    Some(r) => OverAllowance::Rate(r),
                    None => {
                        return Err(source.error_at(
                            p.clone(),
                            "expected an `overage_rate` because beyond = \"rate\", found none".into(),
                            Some("add `overage_rate = ...` (USD per million tokens, per request or per USD of usage, as the allowance counts)".into()),
                        ));
                    }
                },
            };
            SeatsScheme::new(s.usd_per_seat, allowance, over, s.overage_cap_usd)
                .map(BillingScheme::Seats)
                .map_err(|e| located("seats", e))
        }
        BillingSpec::Commitment(c) => CommitmentScheme::new(c.commit_usd, c.discount)
            .map(BillingScheme::Commitment)
            .map_err(|e| located("commitment", e)),
        BillingSpec::ComputeHours(c) => {
            compute_hours(c, &path.key("compute_hours"), source).map(BillingScheme::ComputeHours)
        }
    }
}

fn compute_hours(
    c: &ComputeHoursSpec,
    p: &FieldPath,
    source: &Source,
) -> Result<ComputeHoursScheme, ScenarioError> {
    let err = |key: &str, message: String| source.error_at(p.key(key), message, None);
    let (usd, tpm) = match (
        c.usd_per_unit_hour,
        c.tokens_per_minute_per_unit,
        c.usd_per_gpu_hour,
        c.tokens_per_second_per_gpu,
    ) {
        (Some(u), Some(t), None, None) => (u, t),
        (None, None, Some(u), Some(tps)) => {
            let util = c.max_utilisation.unwrap_or(1.0);
            if !(util > 0.0 && util <= 1.0) {
                return Err(err(
                    "max_utilisation",
                    format!("expected a fraction in (0, 1], found {}", number(util)),
                ));
            }
            (u, ComputeHoursScheme::gpu_tokens_per_minute(tps, util))
        }
        _ => {
            return Err(source.error_at(
                p.clone(),
                "expected either `usd_per_unit_hour` and `tokens_per_minute_per_unit` (provisioned units) or `usd_per_gpu_hour` and `tokens_per_second_per_gpu` (self-hosted GPUs), found another combination".into(),
                None,
            ));
        }
    };
    let sizing = match (c.units, c.size_to_peak_percentile) {
        (Some(n), None) if n >= 0 => Sizing::Fixed(n as u64),
        (None, Some(q)) => Sizing::PeakPercentile(q),
        (Some(n), None) => {
            return Err(err(
                "units",
                format!("expected a non-negative number of units, found {n}"),
            ));
        }
        _ => {
            return Err(source.error_at(
                p.clone(),
                "expected exactly one of `units` (fixed) and `size_to_peak_percentile`, found both or neither".into(),
                None,
            ));
        }
    };
    let scheme = ComputeHoursScheme {
        usd_per_unit_hour: usd,
        tokens_per_minute_per_unit: tpm,
        output_weight: c.output_weight.unwrap_or(1.0),
        sizing,
        billed_hours: c.billed_hours.unwrap_or(730.0),
        spill: match c.spill.unwrap_or(SpillSpec::OnDemand) {
            SpillSpec::OnDemand => Spill::OnDemand,
            SpillSpec::Drop => Spill::Drop,
        },
    };
    scheme.validate().map_err(|e| {
        let SchemeError::OutOfRange {
            field,
            expected,
            found,
        } = e;
        err(field, format!("expected {expected}, found {found}"))
    })?;
    Ok(scheme)
}
