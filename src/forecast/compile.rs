//! Checks a [`ForecastFile`] and compiles it into a [`ForecastModel`]: inputs validated and
//! probed, the calendar laid out, task scenarios loaded (relative to the forecast file) and
//! their pools pre-simulated.

use std::path::Path;

use rand::SeedableRng;
use rand_xoshiro::Xoshiro256PlusPlus;

use super::aggregate::CountModel;
use super::calendar::YearMonth;
use super::footprint::{FOOTPRINT_HELP, Footprint, MAX_POOL_STEPS, MAX_TASK_KINDS};
use super::model::{
    Aggregation, Factors, ForecastModel, MixShift, ModelRates, Param, ParamId, SeatModel, TaskMix,
};
use super::pool::TaskPool;
use super::spec::{CountModelSpec, ForecastFile, SeatsSpec, WorkingDaysSpec};
use crate::dist::{DistSpec, Sampler};
use crate::engine::mix64;
use crate::scenario::parse::Source;
use crate::scenario::{FieldPath, Scenario, ScenarioError, did_you_mean};

/// Most months a forecast may span.
pub const MAX_MONTHS: u32 = 120;

/// Largest budget a forecast takes (USD): a quadrillion, far above any organisation's.
pub const MAX_BUDGET: f64 = 1e15;

/// Largest multiplier a stress case applies (seats, tokens per task, prices, tasks per day).
pub const MAX_STRESS_FACTOR: f64 = 1000.0;
/// Most seats a curve may reach.
pub const MAX_SEATS: f64 = 1e8;
/// Default tasks pre-simulated per task scenario.
pub const DEFAULT_POOL_SIZE: u64 = 65_536;

/// Salt of the pools' seeds.
const POOL_SALT: u64 = 0x706f_6f6c_0000_0000;

struct Inputs<'a> {
    params: Vec<Param>,
    source: &'a Source<'a>,
}

impl Inputs<'_> {
    /// Compiles an input whose draws must lie in `[lo, hi]`, probing it with 4,096 draws.
    fn add(
        &mut self,
        spec: &DistSpec,
        path: FieldPath,
        lo: f64,
        hi: f64,
    ) -> Result<ParamId, ScenarioError> {
        let mut clamped = spec.clone();
        clamped.min.get_or_insert(lo.max(-1e300));
        clamped.max.get_or_insert(hi.min(1e300));
        let sampler = Sampler::compile(&clamped)
            .map_err(|e| self.source.error_at(path.dotted(&e.field), e.message, None))?;
        let raw = Sampler::compile(spec)
            .map_err(|e| self.source.error_at(path.dotted(&e.field), e.message, None))?;
        let mut rng = Xoshiro256PlusPlus::seed_from_u64(0x5eed);
        let (mut min, mut max) = (f64::INFINITY, f64::NEG_INFINITY);
        for _ in 0..4096 {
            let x = match raw.fixed_value() {
                Some(v) => v,
                None => raw.sample_raw(&mut rng),
            };
            min = min.min(x);
            max = max.max(x);
        }
        let range = format!("[{}, {}]", show(lo), show(hi));
        let below = min.is_nan() || min < lo;
        let above = max.is_nan() || max > hi;
        if spec.min.is_none() && below || spec.max.is_none() && above {
            let found = if below { min } else { max };
            let found = match raw.fixed_value() {
                Some(_) => show(found),
                None => format!(
                    "a distribution that draws {}",
                    show((found * 1e4).round() / 1e4)
                ),
            };
            return Err(self.source.error_at(
                path,
                format!("expected a value in {range}, found {found}"),
                raw.fixed_value()
                    .is_none()
                    .then(|| "add `min = ...` / `max = ...` to clamp the draws".to_string()),
            ));
        }
        self.params
            .push(Param::new(path.to_string(), sampler, lo, hi).with_label(spec.label.clone()));
        Ok(self.params.len() - 1)
    }

    fn fixed(&mut self, path: &str, value: f64) -> ParamId {
        self.params.push(Param::fixed(path, value));
        self.params.len() - 1
    }
}

fn show(v: f64) -> String {
    if v.is_infinite() {
        if v > 0.0 { "∞".into() } else { "-∞".into() }
    } else {
        crate::scenario::number(v)
    }
}

/// Compiles a parsed forecast; `dir` is the forecast file's directory (task scenarios are
/// relative to it).
pub fn compile(
    file: &ForecastFile,
    source: &Source,
    dir: &Path,
    seed: u64,
    threads: Option<usize>,
) -> Result<ForecastModel, ScenarioError> {
    let root = FieldPath::default();
    let err = |path: FieldPath, message: String| source.error_at(path, message, None);
    let meta = &file.forecast;
    let start = YearMonth::parse(&meta.start).ok_or_else(|| {
        err(
            root.key("forecast").key("start"),
            format!(
                "expected a month as \"YYYY-MM\" (1970 or later), found \"{}\"",
                meta.start
            ),
        )
    })?;
    if !(1..=MAX_MONTHS).contains(&meta.months) {
        return Err(err(
            root.key("forecast").key("months"),
            format!("expected 1 to {MAX_MONTHS} months, found {}", meta.months),
        ));
    }
    // Names the FOCUS export writes into columns FOCUS requires non-null: an empty one would
    // be a null there.
    let focus = &file.focus;
    for (table, key, value) in [
        ("forecast", "currency", &meta.currency),
        ("forecast", "provider", &meta.provider),
        ("forecast", "publisher", &meta.publisher),
        ("focus", "billing_account_id", &focus.billing_account_id),
        ("focus", "billing_account_name", &focus.billing_account_name),
        ("focus", "service_name", &focus.service_name),
        ("focus", "host_provider", &focus.host_provider),
        ("focus", "pricing_currency", &focus.pricing_currency),
    ] {
        if value.as_deref().is_some_and(|v| v.trim().is_empty()) {
            return Err(source.error_at(
                root.key(table).key(key),
                "expected a name, found an empty string".into(),
                Some(format!("leave `{key}` out to use its default")),
            ));
        }
    }
    // FOCUS writes currencies as ISO 4217 codes (BillingCurrency, PricingCurrency): three
    // capital letters, e.g. USD, EUR, or XCU for a virtual currency.
    for (table, key, value) in [
        ("forecast", "currency", &meta.currency),
        ("focus", "pricing_currency", &focus.pricing_currency),
    ] {
        if let Some(v) = value.as_deref()
            && !(v.len() == 3 && v.bytes().all(|b| b.is_ascii_uppercase()))
        {
            let upper = v.trim().to_ascii_uppercase();
            let hint = if upper.len() == 3 && upper.bytes().all(|b| b.is_ascii_uppercase()) {
                format!("did you mean `{upper}`?")
            } else {
                "write the ISO 4217 code, e.g. \"USD\", or \"XCU\" for a virtual currency".into()
            };
            return Err(source.error_at(
                root.key(table).key(key),
                format!("expected a currency code of three capital letters, found {v:?}"),
                Some(hint),
            ));
        }
    }
    if meta.trials == Some(0) {
        return Err(err(
            root.key("forecast").key("trials"),
            "expected at least 1 trial, found 0".into(),
        ));
    }
    let months = meta.months as usize;
    let working_days = working_days(file, source, start, months)?;

    let mut inputs = Inputs {
        params: Vec::new(),
        source,
    };
    let seats_path = root.key("seats");
    let seats = match &file.seats {
        SeatsSpec::Logistic(l) => {
            let p = seats_path.key("logistic");
            SeatModel::Logistic([
                inputs.add(&l.capacity, p.key("capacity"), 0.0, MAX_SEATS)?,
                inputs.add(&l.midpoint, p.key("midpoint"), -1e4, 1e4)?,
                inputs.add(&l.rate, p.key("rate"), 1e-9, 100.0)?,
            ])
        }
        SeatsSpec::Bass(b) => {
            let p = seats_path.key("bass");
            SeatModel::Bass([
                inputs.add(&b.market, p.key("market"), 0.0, MAX_SEATS)?,
                inputs.add(&b.p, p.key("p"), 1e-9, 1.0)?,
                inputs.add(&b.q, p.key("q"), 0.0, 10.0)?,
            ])
        }
        SeatsSpec::Table(points) => {
            let p = seats_path.key("table");
            if points.is_empty() {
                return Err(err(
                    p,
                    "expected at least one { month, seats } point".into(),
                ));
            }
            let mut out: Vec<(f64, f64)> = Vec::new();
            for (i, pt) in points.iter().enumerate() {
                if let Some(&(prev, _)) = out.last()
                    && pt.month as f64 <= prev
                {
                    return Err(err(
                        p.index(i).key("month"),
                        format!(
                            "expected months in increasing order (after {prev}), found {}",
                            pt.month
                        ),
                    ));
                }
                if !(0.0..=MAX_SEATS).contains(&pt.seats) {
                    return Err(err(
                        p.index(i).key("seats"),
                        format!("expected 0 to {MAX_SEATS:e} seats, found {}", pt.seats),
                    ));
                }
                out.push((pt.month as f64, pt.seats));
            }
            SeatModel::Table(out)
        }
    };
    let usage = root.key("usage");
    let u = &file.usage;
    let active_share = inputs.add(&u.active_share, usage.key("active_share"), 0.0, 1.0)?;
    let tasks_per_day = inputs.add(&u.tasks_per_day, usage.key("tasks_per_day"), 0.0, 1e4)?;
    let dispersion = match &u.dispersion {
        Some(d) => inputs.add(d, usage.key("dispersion"), 1e-6, f64::INFINITY)?,
        None => inputs.fixed("usage.dispersion", f64::INFINITY),
    };
    let intensity_sigma = match &u.intensity_sigma {
        Some(d) => inputs.add(d, usage.key("intensity_sigma"), 0.0, 4.0)?,
        None => inputs.fixed("usage.intensity_sigma", 0.0),
    };
    let counts = match u.counts {
        CountModelSpec::NegativeBinomial => CountModel::NegativeBinomial,
        CountModelSpec::Fixed => {
            if u.dispersion.is_some() || u.intensity_sigma.is_some() {
                return Err(err(
                    usage.key("counts"),
                    "expected no `dispersion` or `intensity_sigma` with fixed counts, found one"
                        .into(),
                ));
            }
            CountModel::Fixed
        }
    };
    let drift = root.key("drift");
    let token_drift = match &file.drift.tokens_per_task {
        Some(d) => inputs.add(d, drift.key("tokens_per_task"), -0.99, 10.0)?,
        None => inputs.fixed("drift.tokens_per_task", 0.0),
    };
    let price_drift = match &file.drift.price {
        Some(d) => inputs.add(d, drift.key("price"), -0.99, 10.0)?,
        None => inputs.fixed("drift.price", 0.0),
    };
    // Added only when the file sets it, so that forecasts without it keep their inputs.
    let price_elasticity = match &file.drift.price_elasticity {
        Some(d) => Some(inputs.add(d, drift.key("price_elasticity"), -5.0, 0.0)?),
        None => None,
    };
    let limits = super::limits::Limits::compile(&file.limits, source, &root.key("limits"))?;

    // The task mix.
    if file.tasks.is_empty() {
        return Err(err(
            root.key("tasks"),
            "expected at least one [[tasks]] entry".into(),
        ));
    }
    let pool_size = file.aggregation.pool_size.unwrap_or(DEFAULT_POOL_SIZE);
    if !(1..=1 << 24).contains(&pool_size) {
        return Err(err(
            root.key("aggregation").key("pool_size"),
            format!("expected 1 to 16777216 tasks, found {pool_size}"),
        ));
    }
    if file.tasks.len() > MAX_TASK_KINDS {
        return Err(source.error_at(
            root.key("tasks").index(MAX_TASK_KINDS),
            format!(
                "expected at most {MAX_TASK_KINDS} task kinds, found {}",
                file.tasks.len()
            ),
            Some("merge similar task kinds: each kind keeps its own pool and distributions".into()),
        ));
    }
    // Checked before any pool is simulated (each kind's models are not known yet: one
    // model counted), and again once the model is compiled.
    let kinds = file.tasks.len();
    Footprint::estimate(
        kinds,
        1,
        months,
        months.div_ceil(12) + 1,
        kinds as f64 * pool_size as f64,
    )
    .check(kinds, months)
    .map_err(|m| source.error_at(root.key("tasks"), m, Some(FOOTPRINT_HELP.into())))?;
    let mut pool_steps = 0.0;
    let mut tasks: Vec<TaskMix> = Vec::new();
    // The catalog Scenario::load resolves `catalog = "..."` models in, for the rates' origin.
    let catalog = crate::pricing::catalog::PriceCatalog::bundled();
    let mut prices = Vec::new();
    let mut model_names = Vec::new();
    for (i, t) in file.tasks.iter().enumerate() {
        let path = root.key("tasks").index(i);
        if !(t.weight.is_finite() && t.weight > 0.0) {
            return Err(err(
                path.key("weight"),
                format!("expected a weight above 0, found {}", t.weight),
            ));
        }
        let scenario_file = match (&t.scenario, &t.history) {
            (Some(s), None) => s,
            (None, Some(h)) => {
                let kind = super::history_kind::load(t, h, &path, source, dir, &catalog)?;
                let name = t.name.clone().unwrap_or_else(|| history_name(h));
                if tasks.iter().any(|x| x.name == name) {
                    return Err(err(
                        path.key("name"),
                        format!("duplicate task name `{name}`"),
                    ));
                }
                prices.extend(kind.rates.iter().map(|r| r.prices.clone()));
                model_names.extend(kind.rates.iter().map(|r| format!("{}` of `{h}", r.name)));
                tasks.push(TaskMix {
                    name,
                    weight: t.weight,
                    pool: kind.pool,
                    steps_per_task: 0.0,
                    rates: kind.rates,
                    history: Some(kind.source),
                });
                continue;
            }
            (s, _) => {
                return Err(source.error_at(
                    path.clone(),
                    format!(
                        "expected either `scenario` (a task scenario) or `history` (logs to resample), found {}",
                        if s.is_some() { "both" } else { "neither" }
                    ),
                    Some("a task kind is simulated from a scenario or resampled from logged tasks, not both".into()),
                ));
            }
        };
        if t.format.is_some() || !t.models.is_empty() || t.malformed.is_some() {
            let key = if t.format.is_some() {
                "format"
            } else if t.models.is_empty() {
                "malformed"
            } else {
                "models"
            };
            return Err(source.error_at(
                path.key(key),
                format!("expected `{key}` only beside `history`, found it beside `scenario`"),
                Some("a task scenario names its models in its own file".into()),
            ));
        }
        let scenario = Scenario::load(&dir.join(scenario_file)).map_err(|e| match e {
            ScenarioError::Io { message, .. } => err(
                path.key("scenario"),
                format!(
                    "cannot read the task scenario {}: {message}",
                    dir.join(scenario_file).display()
                ),
            ),
            other => other,
        })?;
        prices.extend(scenario.prices.iter().cloned());
        model_names.extend(
            scenario
                .workflow
                .model_names
                .iter()
                .map(|m| format!("{m}` of `{scenario_file}")),
        );
        let name = t.name.clone().unwrap_or_else(|| scenario.name.clone());
        if tasks.iter().any(|x| x.name == name) {
            return Err(err(
                path.key("name"),
                format!("duplicate task name `{name}`"),
            ));
        }
        let steps = scenario.work.steps;
        pool_steps += pool_size as f64 * steps;
        if pool_steps > MAX_POOL_STEPS {
            return Err(source.error_at(
                path.key("scenario"),
                format!(
                    "expected task pools that take at most {} steps to pre-simulate (about two minutes on two cores), found about {} with this kind ({} tasks of `{name}` × about {} steps each{})",
                    crate::text::about(MAX_POOL_STEPS),
                    crate::text::about(pool_steps),
                    crate::text::thousands(pool_size as f64),
                    crate::text::about(steps),
                    if i > 0 { ", plus the kinds above it" } else { "" },
                ),
                Some("lower [aggregation] pool_size, or check the task's repeat and sub-agent counts".into()),
            ));
        }
        let pool_seed = mix64(seed ^ POOL_SALT.wrapping_add(i as u64));
        let pool = TaskPool::simulate_remembered(&scenario, pool_size, pool_seed, threads)
            .map_err(|e| {
                err(
                    path.key("scenario"),
                    format!("cannot simulate the task: {e}"),
                )
            })?;
        tasks.push(TaskMix {
            name,
            weight: t.weight,
            pool,
            steps_per_task: steps,
            rates: ModelRates::of(&scenario, &catalog),
            history: None,
        });
    }
    let names: Vec<&str> = tasks.iter().map(|t| t.name.as_str()).collect();
    let mut mix_shifts = Vec::new();
    for (i, s) in file.drift.mix_shift.iter().enumerate() {
        let path = drift.key("mix_shift").index(i);
        let find = |name: &str, key: &str| {
            names.iter().position(|n| *n == name).ok_or_else(|| {
                source.error_at(
                    path.key(key),
                    format!(
                        "unknown task `{name}`: expected one of {}",
                        crate::text::backticked(names.iter().copied())
                    ),
                    did_you_mean(name, names.iter().copied())
                        .map(|s| format!("did you mean `{s}`?")),
                )
            })
        };
        let from = find(&s.from, "from")?;
        let to = find(&s.to, "to")?;
        if from == to {
            return Err(err(
                path.key("to"),
                "expected a task other than `from`".into(),
            ));
        }
        let max = s.max.unwrap_or(1.0);
        if !(0.0..=1.0).contains(&max) {
            return Err(err(
                path.key("max"),
                format!("expected a share in [0, 1], found {max}"),
            ));
        }
        mix_shifts.push(MixShift {
            from,
            to,
            per_month: inputs.add(&s.per_month, path.key("per_month"), 0.0, 1.0)?,
            max,
        });
    }

    let discount = file.billing.discount.unwrap_or(0.0);
    if !(0.0..1.0).contains(&discount) {
        return Err(err(
            root.key("billing").key("discount"),
            format!("expected a discount in [0, 1), found {discount}"),
        ));
    }
    let commitment = match &file.billing.commitment {
        None => None,
        Some(c) => {
            if file.billing.discount.is_some() {
                return Err(err(
                    root.key("billing").key("commitment"),
                    "expected either `discount` or `commitment`, found both (the commitment's \
                     discount applies to the usage it covers)"
                        .into(),
                ));
            }
            Some(
                crate::pricing::scheme::CommitmentScheme::new(c.monthly, c.discount).map_err(
                    |e| {
                        let crate::pricing::scheme::SchemeError::OutOfRange { field, .. } = &e;
                        let key = if *field == "commit_usd" {
                            "monthly"
                        } else {
                            "discount"
                        };
                        err(
                            root.key("billing").key("commitment").key(key),
                            e.to_string(),
                        )
                    },
                )?,
            )
        }
    };
    let seat_fee = file.billing.seat_fee.unwrap_or(0.0);
    if !(seat_fee.is_finite() && (0.0..=1e6).contains(&seat_fee)) {
        return Err(err(
            root.key("billing").key("seat_fee"),
            format!("expected a fee from 0 to 1000000 per seat and month, found {seat_fee}"),
        ));
    }
    let (schemes, headline) =
        super::compile_billing::compile(file, source, &prices, &model_names, &tasks)?;
    let hours_per_day = file.calendar.hours_per_day.unwrap_or(8);
    if !(1..=24).contains(&hours_per_day) {
        return Err(err(
            root.key("calendar").key("hours_per_day"),
            format!("expected 1 to 24 working hours a day, found {hours_per_day}"),
        ));
    }
    let (budget, fiscal) = super::compile_budget::compile(file, source, start, months)?;
    for (i, case) in file.stress.iter().enumerate() {
        for (key, v) in [
            ("seats", case.seats),
            ("adoption_speed", case.adoption_speed),
            ("tokens_per_task", case.tokens_per_task),
            ("prices", case.prices),
            ("tasks_per_day", case.tasks_per_day),
        ] {
            if let Some(v) = v
                && !(v.is_finite() && v > 0.0 && v <= MAX_STRESS_FACTOR)
            {
                return Err(source.error_at(
                    root.key("stress").index(i).key(key),
                    format!(
                        "stress case `{}`: expected a multiplier above 0 and at most {MAX_STRESS_FACTOR}, found {}",
                        case.name,
                        crate::scenario::number(v)
                    ),
                    Some("a multiplier scales the base case: 2 doubles it, 0.7 is 30% less".into()),
                ));
            }
        }
    }
    let headcount = file.forecast.headcount;
    if let Some(h) = headcount
        && !((1.0..=MAX_SEATS).contains(&h) && h.fract() == 0.0)
    {
        return Err(source.error_at(
            root.key("forecast").key("headcount"),
            format!(
                "expected a whole number of people from 1 to {MAX_SEATS:e}, found {}",
                crate::scenario::number(h)
            ),
            Some("headcount is the most seats any month may have, e.g. headcount = 5000".into()),
        ));
    }
    if file.sensitivity.year == Some(0) {
        return Err(err(
            root.key("sensitivity").key("year"),
            "expected a forecast year of at least 1, found 0".into(),
        ));
    }
    if let Some([lo, hi]) = file.sensitivity.low_high
        && !(0.0 < lo && lo < hi && hi < 1.0)
    {
        return Err(err(
            root.key("sensitivity").key("low_high"),
            format!("expected two quantiles with 0 < low < high < 1, found [{lo}, {hi}]"),
        ));
    }
    let a = &file.aggregation;
    // A seat plan's allowance and a per-user limit both need each user's month.
    let small_months = if limits.per_user.is_some()
        || schemes
            .iter()
            .any(|s| matches!(s.scheme, crate::pricing::scheme::BillingScheme::Seats(_)))
    {
        super::model::SmallMonths::UserByUser
    } else {
        super::model::SmallMonths::Total
    };
    let model = ForecastModel {
        start,
        working_days,
        params: inputs.params,
        seats,
        active_share,
        tasks_per_day,
        dispersion,
        intensity_sigma,
        counts,
        tasks,
        token_drift,
        price_drift,
        price_elasticity,
        limits,
        mix_shifts,
        discount,
        commitment,
        seat_fee,
        schemes,
        headline,
        hours_per_day,
        budget,
        fiscal,
        factors: Factors::default(),
        headcount,
        aggregation: Aggregation {
            exact_users_max: a.exact_users_max.unwrap_or(64),
            exact_tasks_max: a.exact_tasks_max.unwrap_or(256),
        },
        small_months,
    };
    Footprint::of(&model)
        .check(model.tasks.len(), model.months())
        .map_err(|m| source.error_at(root.key("tasks"), m, Some(FOOTPRINT_HELP.into())))?;
    Ok(model)
}

/// A history kind's default name: the last component of its path, without an extension
/// (`logs/*.jsonl` → `logs`).
fn history_name(history: &str) -> String {
    let p = Path::new(history);
    let last = p.file_name().map(|n| n.to_string_lossy().into_owned());
    match last {
        Some(n) if !n.contains(['*', '?']) => Path::new(&n)
            .file_stem()
            .map_or(n.clone(), |s| s.to_string_lossy().into_owned()),
        _ => p
            .parent()
            .and_then(Path::file_name)
            .map_or("history".to_string(), |n| n.to_string_lossy().into_owned()),
    }
}

fn working_days(
    file: &ForecastFile,
    source: &Source,
    start: YearMonth,
    months: usize,
) -> Result<Vec<u32>, ScenarioError> {
    let path = FieldPath::default().key("calendar");
    let holidays = file
        .calendar
        .holidays_by_month
        .clone()
        .unwrap_or(vec![0; 12]);
    if holidays.len() != 12 {
        return Err(source.error_at(
            path.key("holidays_by_month"),
            format!(
                "expected 12 numbers (January to December), found {}",
                holidays.len()
            ),
            None,
        ));
    }
    let days: Vec<u32> = match &file.calendar.working_days {
        None => weekdays(start, months, &holidays),
        Some(WorkingDaysSpec::Rule(r)) if r == "weekdays" => weekdays(start, months, &holidays),
        Some(WorkingDaysSpec::Rule(r)) => {
            return Err(source.error_at(
                path.key("working_days"),
                format!("expected \"weekdays\", a number or an array, found \"{r}\""),
                did_you_mean(r, ["weekdays"]).map(|s| format!("did you mean `{s}`?")),
            ));
        }
        Some(WorkingDaysSpec::Fixed(n)) => vec![*n; months],
        Some(WorkingDaysSpec::PerMonth(v)) => {
            if v.len() != months {
                return Err(source.error_at(
                    path.key("working_days"),
                    format!(
                        "expected {months} numbers (one per month), found {}",
                        v.len()
                    ),
                    None,
                ));
            }
            v.clone()
        }
    };
    if let Some(d) = days.iter().find(|&&d| d > 31) {
        return Err(source.error_at(
            path.key("working_days"),
            format!("expected at most 31 working days a month, found {d}"),
            None,
        ));
    }
    Ok(days)
}

fn weekdays(start: YearMonth, months: usize, holidays: &[u32]) -> Vec<u32> {
    (0..months)
        .map(|m| {
            let ym = start.plus(m as u32);
            ym.weekdays()
                .saturating_sub(holidays[(ym.month - 1) as usize])
        })
        .collect()
}
