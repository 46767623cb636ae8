//! The organisation fitted from its own history: per-user, per-day agent activity (and, when
//! known, the seats held each month) → the `[seats]` curve and the `[usage]` of a forecast file,
//! each estimate with its standard error.
//!
//! **The model is the forecast's own** (`docs/guide/forecast.md`): in month `m`, `S_m` seats; each
//! seat is active with probability `a` (the forecast rounds `S_m · a`; the fit reads it as a
//! share); an active user draws an intensity `λ ~ LogNormal(−σ²/2, σ)` (mean 1) for the month,
//! then a negative-binomial number of tasks on each of the month's `D_m` working days, mean `μλ`,
//! dispersion `k` (variance `μλ + (μλ)²/k`).
//!
//! **Usage: maximum likelihood over `(a, μ, k, σ)`.** A seat-month with no task is either an
//! inactive seat or an active user who ran none: `(1 − a) + a·P₀(D_m)`, with
//! `P₀(D) = E_λ[(k/(k + μλ))^{Dk}]`. A user-month with daily counts `c_1..c_D` (total `C`)
//! contributes `a · Π_d NB(c_d; μλ, k)` integrated over `λ`:
//! `Π_d Γ(c_d + k)/(Γ(k) c_d!) · E_λ[(k/(k + μλ))^{Dk} (μλ/(k + μλ))^C]`. The expectation over
//! `λ` is a trapezoid sum over `z ∈ [−8, 8]` (`λ = e^{σz − σ²/2}`, 321 points, exact to far
//! below the sampling error for the smooth, log-concave integrands here). The daily counts enter
//! through `C`, `D` and the histogram of daily counts, so the likelihood costs the number of
//! distinct `(C, D)` pairs, not of users. The negative log-likelihood is minimised by
//! Nelder–Mead over `(logit a, ln μ, ln k, ln σ)`; the standard errors are the square roots of
//! the inverse observed information (the Hessian by central differences), carried to the natural
//! parameters by the delta method. A dispersion above 10,000 is read as Poisson and an intensity
//! spread below 0.005 as none: the file then omits them.
//!
//! **Seats: least squares.** The logistic `S(t) = K / (1 + e^{−r(t − t0)})` fitted to the months'
//! seats (`t` = 1 for the first month seen) by Nelder–Mead on the squared residuals, covariance
//! `s² (JᵀJ)⁻¹` with `s² = SSE/(n − 3)` (Gauss–Newton). With fewer than five months, or when the
//! fit does not settle (a capacity beyond 100 times the seats seen), the last month's seats are
//! held flat as a table and the file says so.
//!
//! **Seats when not given**: the users seen so far (a user holds a seat from their first active
//! day on). That is a lower bound that lags the truth (a new seat-holder is counted from their
//! first active month); give `--seats` from the licence roster when you have it.
//!
//! Working days are the months' weekdays. A task on a Saturday or Sunday is counted in its
//! month's total (the forecast knows only working days) and the report says how many there were.

use std::collections::{BTreeMap, BTreeSet};

use serde::Serialize;

use crate::dist::{exp, ln};
use crate::forecast::calendar::{YearMonth, parse_date};
use crate::stats::fit::optimize::{hessian, invert, nelder_mead};

/// Most months of history a fit reads (ten years).
pub const MAX_MONTHS: usize = 120;
/// Most distinct users a fit reads.
pub const MAX_USERS: usize = 1_000_000;
/// Most tasks one user may log on one day.
pub const MAX_TASKS_PER_DAY: u64 = 100_000;

/// One user's activity in one month: tasks on each weekday of the month, and on weekends.
#[derive(Debug, Clone, PartialEq)]
pub struct UserMonth {
    /// Tasks per weekday, indexed by the day of the month (1-based; weekend entries unused).
    pub by_day: BTreeMap<u32, u64>,
    /// Tasks on Saturdays and Sundays.
    pub weekend: u64,
}

/// The history: months in order, each with its users' activity.
#[derive(Debug, Clone, PartialEq)]
pub struct Activity {
    /// The first month seen.
    pub start: YearMonth,
    /// One entry a month from `start`, consecutive, each user's month.
    pub months: Vec<BTreeMap<String, UserMonth>>,
    /// Tasks by kind over the whole history (empty without a `kind` column).
    pub kinds: BTreeMap<String, u64>,
    /// The first and last dates seen, `YYYY-MM-DD`.
    pub first_date: String,
    /// See `first_date`.
    pub last_date: String,
}

/// A task with the user who ran it and when, as the agent logs give it.
#[derive(Debug, Clone, PartialEq)]
pub struct DatedTask {
    /// The user.
    pub user: String,
    /// Date or date-time of the task's first call.
    pub when: String,
}

impl Activity {
    /// Reads an activity CSV: columns `date` (`YYYY-MM-DD`, or a date-time starting so) and
    /// `user`, optionally `tasks` (default 1: a row per task) and `kind`. Errors are
    /// `file:line: column: reason`.
    pub fn from_csv(name: &str, text: &str) -> Result<Activity, String> {
        let mut reader = csv::ReaderBuilder::new()
            .flexible(false)
            .from_reader(text.as_bytes());
        let headers = reader
            .headers()
            .map_err(|e| format!("{name}:1: cannot read the header: {e}"))?
            .clone();
        let find = |col: &str| {
            headers
                .iter()
                .position(|h| h.trim().eq_ignore_ascii_case(col))
        };
        let (Some(date_col), Some(user_col)) = (find("date"), find("user")) else {
            return Err(format!(
                "{name}:1: expected the columns `date` and `user` (one row per user and day: \
                 date,user,tasks; or one row per task: date,user), found {}",
                headers.iter().collect::<Vec<_>>().join(",")
            ));
        };
        let tasks_col = find("tasks");
        let kind_col = find("kind");
        let mut builder = Builder::default();
        for record in reader.records() {
            let record = record.map_err(|e| {
                let line = e.position().map_or(0, |p| p.line());
                format!("{name}:{line}: {e}")
            })?;
            let line = record.position().map_or(0, |p| p.line());
            let date = record.get(date_col).unwrap_or("").trim();
            let user = record.get(user_col).unwrap_or("").trim();
            if user.is_empty() {
                return Err(format!(
                    "{name}:{line}: user: expected a user name or id, found an empty field"
                ));
            }
            let tasks = match tasks_col {
                None => 1,
                Some(c) => {
                    let t = record.get(c).unwrap_or("").trim();
                    t.parse::<u64>()
                        .ok()
                        .filter(|&v| v <= MAX_TASKS_PER_DAY)
                        .ok_or_else(|| {
                            format!(
                                "{name}:{line}: tasks: expected a whole number of tasks from 0 \
                                 to {}, found \"{t}\"",
                                crate::text::thousands(MAX_TASKS_PER_DAY as f64)
                            )
                        })?
                }
            };
            let kind = kind_col.map(|c| record.get(c).unwrap_or("").trim().to_string());
            builder
                .add(date, user, tasks, kind)
                .map_err(|e| format!("{name}:{line}: {e}"))?;
        }
        builder.finish().map_err(|e| format!("{name}: {e}"))
    }

    /// The activity of tasks taken from agent logs (each with its user and first call's time).
    pub fn from_tasks(tasks: &[DatedTask]) -> Result<Activity, String> {
        let mut builder = Builder::default();
        for t in tasks {
            builder.add(&t.when, &t.user, 1, None)?;
        }
        builder.finish()
    }

    /// The calendar month of entry `i`.
    pub fn month(&self, i: usize) -> YearMonth {
        self.start.plus(i as u32)
    }

    /// Tasks logged on weekends over the whole history.
    pub fn weekend_tasks(&self) -> u64 {
        self.months
            .iter()
            .flat_map(|m| m.values())
            .map(|u| u.weekend)
            .sum()
    }

    /// Users with at least one task in each month.
    pub fn active_users(&self) -> Vec<u64> {
        self.months
            .iter()
            .map(|m| {
                m.values()
                    .filter(|u| u.weekend + u.by_day.values().sum::<u64>() > 0)
                    .count() as u64
            })
            .collect()
    }

    /// Users seen at or before each month: the seats when none are given.
    pub fn users_so_far(&self) -> Vec<u64> {
        let mut seen = BTreeSet::new();
        self.months
            .iter()
            .map(|m| {
                for (user, u) in m {
                    if u.weekend + u.by_day.values().sum::<u64>() > 0 {
                        seen.insert(user.clone());
                    }
                }
                seen.len() as u64
            })
            .collect()
    }

    /// Tasks in each month.
    pub fn tasks(&self) -> Vec<u64> {
        self.months
            .iter()
            .map(|m| {
                m.values()
                    .map(|u| u.weekend + u.by_day.values().sum::<u64>())
                    .sum()
            })
            .collect()
    }
}

#[derive(Default)]
struct Builder {
    rows: BTreeMap<YearMonth, BTreeMap<String, UserMonth>>,
    kinds: BTreeMap<String, u64>,
    users: BTreeSet<String>,
    first: Option<String>,
    last: Option<String>,
}

impl Builder {
    fn add(
        &mut self,
        date: &str,
        user: &str,
        tasks: u64,
        kind: Option<String>,
    ) -> Result<(), String> {
        let (month, day, weekday) = parse_date(date).ok_or_else(|| {
            format!(
                "date: expected a date as YYYY-MM-DD (or a date-time starting so), found \"{date}\""
            )
        })?;
        if !self.users.contains(user) {
            if self.users.len() >= MAX_USERS {
                return Err(format!(
                    "user: more than {} distinct users; fit a sample of them",
                    crate::text::thousands(MAX_USERS as f64)
                ));
            }
            self.users.insert(user.to_string());
        }
        let d = &date[..10];
        if self.first.as_deref().is_none_or(|f| d < f) {
            self.first = Some(d.to_string());
        }
        if self.last.as_deref().is_none_or(|l| d > l) {
            self.last = Some(d.to_string());
        }
        let entry = self
            .rows
            .entry(month)
            .or_default()
            .entry(user.to_string())
            .or_insert_with(|| UserMonth {
                by_day: BTreeMap::new(),
                weekend: 0,
            });
        if weekday {
            let v = entry.by_day.entry(day).or_insert(0);
            *v = v.saturating_add(tasks).min(MAX_TASKS_PER_DAY);
        } else {
            entry.weekend = entry.weekend.saturating_add(tasks);
        }
        if let Some(kind) = kind {
            *self.kinds.entry(kind).or_insert(0) += tasks;
        }
        Ok(())
    }

    fn finish(self) -> Result<Activity, String> {
        let (Some(&start), Some(&end)) = (self.rows.keys().next(), self.rows.keys().next_back())
        else {
            return Err("no activity: expected at least one row with a date and a user".into());
        };
        let span =
            (end.year - start.year) as usize * 12 + end.month as usize - start.month as usize + 1;
        if span > MAX_MONTHS {
            return Err(format!(
                "the history spans {span} months ({start} to {end}); at most {MAX_MONTHS} are read: \
                 keep the recent ones"
            ));
        }
        let mut months = vec![BTreeMap::new(); span];
        for (month, users) in self.rows {
            let i = (month.year - start.year) as usize * 12 + month.month as usize
                - start.month as usize;
            months[i] = users;
        }
        Ok(Activity {
            start,
            months,
            kinds: self.kinds,
            first_date: self.first.unwrap_or_default(),
            last_date: self.last.unwrap_or_default(),
        })
    }
}

/// Reads seats per month: a CSV `month,seats` covering every month of `activity`.
pub fn read_seats(name: &str, text: &str, activity: &Activity) -> Result<Vec<u64>, String> {
    let mut reader = csv::ReaderBuilder::new()
        .flexible(false)
        .from_reader(text.as_bytes());
    let headers = reader
        .headers()
        .map_err(|e| format!("{name}:1: cannot read the header: {e}"))?
        .clone();
    let find = |col: &str| {
        headers
            .iter()
            .position(|h| h.trim().eq_ignore_ascii_case(col))
    };
    let (Some(month_col), Some(seats_col)) = (find("month"), find("seats")) else {
        return Err(format!(
            "{name}:1: expected the columns `month` (YYYY-MM) and `seats`, found {}",
            headers.iter().collect::<Vec<_>>().join(",")
        ));
    };
    let n = activity.months.len();
    let mut seats: Vec<Option<u64>> = vec![None; n];
    for record in reader.records() {
        let record = record.map_err(|e| {
            let line = e.position().map_or(0, |p| p.line());
            format!("{name}:{line}: {e}")
        })?;
        let line = record.position().map_or(0, |p| p.line());
        let text = record.get(month_col).unwrap_or("").trim();
        let month = YearMonth::parse(text)
            .ok_or_else(|| format!("{name}:{line}: month: expected YYYY-MM, found \"{text}\""))?;
        let s_text = record.get(seats_col).unwrap_or("").trim();
        let s: u64 = s_text
            .parse()
            .ok()
            .filter(|&v| v <= MAX_USERS as u64)
            .ok_or_else(|| {
                format!(
                    "{name}:{line}: seats: expected a whole number of seats from 0 to {}, found \"{s_text}\"",
                    crate::text::thousands(MAX_USERS as f64)
                )
            })?;
        let index = (month.year as i64 - activity.start.year as i64) * 12 + month.month as i64
            - activity.start.month as i64;
        // Months outside the activity are ignored (a roster may run longer).
        if (0..n as i64).contains(&index) {
            let i = index as usize;
            if seats[i].is_some() {
                return Err(format!("{name}:{line}: month: {month} is given twice"));
            }
            seats[i] = Some(s);
        }
    }
    let active = activity.active_users();
    let mut out = Vec::with_capacity(n);
    for (i, s) in seats.into_iter().enumerate() {
        let month = activity.month(i);
        let s = s.ok_or_else(|| {
            format!(
                "{name}: month: expected the seats of every month of the activity ({} to {}), \
                 found none for {month}",
                activity.start,
                activity.month(n - 1)
            )
        })?;
        if active[i] > s {
            return Err(format!(
                "{name}: seats: {month} has {} active users but {s} seats; the seats must count \
                 every user who worked with agents that month",
                active[i]
            ));
        }
        out.push(s);
    }
    Ok(out)
}

/// An estimate with its standard error.
#[derive(Debug, Clone, Copy, PartialEq, Serialize)]
pub struct Estimate {
    /// The estimate.
    pub value: f64,
    /// Its standard error (`NaN` when it could not be computed).
    pub se: f64,
}

/// The fitted `[usage]`.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct UsageFit {
    /// Share of seats active in a month.
    pub active_share: Estimate,
    /// Mean tasks per active user per working day.
    pub tasks_per_day: Estimate,
    /// Negative-binomial dispersion of a user's daily count; `None`: Poisson (above 10,000).
    pub dispersion: Option<Estimate>,
    /// Log-sd of the monthly intensity; `None`: no spread (below 0.005).
    pub intensity_sigma: Option<Estimate>,
    /// Negative log-likelihood at the estimate.
    pub neg_log_likelihood: f64,
    /// Function evaluations the minimisation spent.
    pub evaluations: usize,
    /// Seat-months and active user-months read.
    pub seat_months: u64,
    /// User-months with at least one task.
    pub user_months: u64,
}

/// The fitted `[seats]`.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(tag = "curve", rename_all = "snake_case")]
pub enum SeatsFit {
    /// A logistic S-curve, `t` = 1 for the first month seen.
    Logistic {
        /// Seats at saturation.
        capacity: Estimate,
        /// Month of the inflection point (1 = first month seen).
        midpoint: Estimate,
        /// Growth rate per month.
        rate: Estimate,
        /// Residual standard deviation in seats.
        residual_sd: f64,
    },
    /// The last month's seats held flat.
    Flat {
        /// Seats.
        seats: u64,
        /// Why the curve was not fitted.
        reason: String,
    },
}

const Z_LO: f64 = -8.0;
const Z_POINTS: usize = 321;
const Z_STEP: f64 = 16.0 / (Z_POINTS - 1) as f64;
const MAX_DISPERSION: f64 = 1e4;
const MIN_SIGMA: f64 = 0.005;

/// The data the usage likelihood needs.
struct UsageData {
    /// Zero-task seat-months by working days.
    zeros: BTreeMap<u32, u64>,
    /// User-months with tasks, by (total tasks in weekdays + weekend, working days).
    totals: BTreeMap<(u64, u32), u64>,
    /// Active user-days by their count (weekday counts, zeros included).
    days: BTreeMap<u64, u64>,
    active_months: u64,
    seat_months: u64,
}

fn usage_data(activity: &Activity, seats: &[u64]) -> UsageData {
    let mut zeros = BTreeMap::new();
    let mut totals = BTreeMap::new();
    let mut days: BTreeMap<u64, u64> = BTreeMap::new();
    let mut active_months = 0;
    let mut seat_months = 0;
    for (i, users) in activity.months.iter().enumerate() {
        let d = activity.month(i).weekdays();
        let mut active = 0u64;
        for u in users.values() {
            let weekday_total: u64 = u.by_day.values().sum();
            let total = weekday_total + u.weekend;
            if total == 0 {
                continue;
            }
            active += 1;
            *totals.entry((total, d)).or_insert(0) += 1;
            // Daily counts; weekdays without a row are zeros.
            for &c in u.by_day.values() {
                *days.entry(c).or_insert(0) += 1;
            }
            // Weekend tasks are in the total; their Γ terms are those of one weekday's count
            // (on a day without a row, when there is one).
            let mut zero_days = (d as u64).saturating_sub(u.by_day.len() as u64);
            if u.weekend > 0 && zero_days > 0 {
                *days.entry(u.weekend).or_insert(0) += 1;
                zero_days -= 1;
            }
            *days.entry(0).or_insert(0) += zero_days;
        }
        active_months += active;
        let s = seats[i].max(active);
        seat_months += s;
        if s > active {
            *zeros.entry(d).or_insert(0) += s - active;
        }
    }
    UsageData {
        zeros,
        totals,
        days,
        active_months,
        seat_months,
    }
}

/// `ln Σ_j w_j e^{x_j}` over the z grid, with `x_j = g(λ_j)`.
fn ln_expect(sigma: f64, g: impl Fn(f64) -> f64) -> f64 {
    let mut xs = [0.0f64; Z_POINTS];
    let mut max = f64::NEG_INFINITY;
    for (j, x) in xs.iter_mut().enumerate() {
        let z = Z_LO + j as f64 * Z_STEP;
        let lambda = exp(sigma * z - 0.5 * sigma * sigma);
        *x = g(lambda) - 0.5 * z * z;
        max = max.max(*x);
    }
    if !max.is_finite() {
        return max;
    }
    let mut sum = 0.0;
    for (j, x) in xs.iter().enumerate() {
        let w = if j == 0 || j == Z_POINTS - 1 {
            0.5
        } else {
            1.0
        };
        sum += w * exp(x - max);
    }
    max + ln(sum * Z_STEP / (2.0 * std::f64::consts::PI).sqrt())
}

fn neg_log_likelihood(data: &UsageData, a: f64, mu: f64, k: f64, sigma: f64) -> f64 {
    if !(a > 0.0 && a < 1.0 && mu > 0.0 && k > 0.0 && sigma >= 0.0) {
        return f64::INFINITY;
    }
    let mut ll = 0.0;
    // ln P(no task in a month of D days | active), per λ: D k ln(k/(k + μλ)).
    for (&d, &n) in &data.zeros {
        let dk = d as f64 * k;
        let p0 = exp(ln_expect(sigma, |l| dk * ln(k / (k + mu * l))));
        ll += n as f64 * ln((1.0 - a) + a * p0);
    }
    ll += data.active_months as f64 * ln(a);
    for (&(c, d), &n) in &data.totals {
        let (c, dk) = (c as f64, d as f64 * k);
        let v = ln_expect(sigma, |l| {
            let m = mu * l;
            dk * ln(k / (k + m)) + c * ln(m / (k + m))
        });
        ll += n as f64 * v;
    }
    // Π_d Γ(c + k)/Γ(k): ln as Σ_{j<c} ln(k + j) (the c! terms do not involve the parameters).
    for (&c, &n) in &data.days {
        let mut s = 0.0;
        for j in 0..c.min(MAX_TASKS_PER_DAY) {
            s += ln(k + j as f64);
        }
        ll += n as f64 * s;
    }
    -ll
}

/// Fits `(a, μ, k, σ)` by maximum likelihood. `seats[i]` is month `i`'s seats (at least its
/// active users).
pub fn fit_usage(activity: &Activity, seats: &[u64]) -> Result<UsageFit, String> {
    let data = usage_data(activity, seats);
    if data.active_months < 2 {
        return Err("fewer than two user-months with a task: nothing to fit usage on".into());
    }
    let working_days: u64 = data.totals.iter().map(|(&(_, d), &n)| d as u64 * n).sum();
    let tasks: u64 = data.totals.iter().map(|(&(c, _), &n)| c * n).sum();
    let a0 = (data.active_months as f64 / data.seat_months as f64).clamp(0.02, 0.98);
    let mu0 = (tasks as f64 / working_days as f64).max(1e-3);
    let f = |x: &[f64]| {
        let a = 1.0 / (1.0 + exp(-x[0]));
        neg_log_likelihood(
            &data,
            a,
            exp(x[1]),
            exp(x[2]).min(MAX_DISPERSION * 10.0),
            exp(x[3]),
        )
    };
    let start = [ln(a0 / (1.0 - a0)), ln(mu0), ln(2.0), ln(0.5)];
    let min = nelder_mead(f, &start, &[0.3, 0.3, 0.5, 0.5], 4_000);
    let x = &min.x;
    let (a, mu, k, sigma) = (1.0 / (1.0 + exp(-x[0])), exp(x[1]), exp(x[2]), exp(x[3]));
    // The standard errors: on the parameters that are not at their bounds.
    let poisson = k > MAX_DISPERSION;
    let flat = sigma < MIN_SIGMA;
    let free: Vec<usize> = (0..4)
        .filter(|&i| !(i == 2 && poisson || i == 3 && flat))
        .collect();
    let sub = |y: &[f64]| {
        let mut full = x.clone();
        for (j, &i) in free.iter().enumerate() {
            full[i] = y[j];
        }
        f(&full)
    };
    let at: Vec<f64> = free.iter().map(|&i| x[i]).collect();
    let cov = invert(&hessian(sub, &at));
    let se_of = |i: usize| -> f64 {
        let Some(cov) = &cov else { return f64::NAN };
        free.iter()
            .position(|&j| j == i)
            .map_or(f64::NAN, |j| cov[j][j].max(0.0).sqrt())
    };
    // Delta method: d a / d logit a = a(1 − a); d e^x / dx = e^x.
    Ok(UsageFit {
        active_share: Estimate {
            value: a,
            se: a * (1.0 - a) * se_of(0),
        },
        tasks_per_day: Estimate {
            value: mu,
            se: mu * se_of(1),
        },
        dispersion: (!poisson).then(|| Estimate {
            value: k,
            se: k * se_of(2),
        }),
        intensity_sigma: (!flat).then(|| Estimate {
            value: sigma,
            se: sigma * se_of(3),
        }),
        neg_log_likelihood: min.value,
        evaluations: min.evaluations,
        seat_months: data.seat_months,
        user_months: data.active_months,
    })
}

/// Fits the logistic seats curve to `seats` (month 1 first).
pub fn fit_seats(seats: &[u64]) -> SeatsFit {
    let n = seats.len();
    let last = seats.last().copied().unwrap_or(0);
    let flat = |reason: String| SeatsFit::Flat {
        seats: last,
        reason,
    };
    if n < 5 {
        return flat(format!(
            "{n} month{} of seats: a curve needs at least five",
            if n == 1 { "" } else { "s" }
        ));
    }
    let y: Vec<f64> = seats.iter().map(|&s| s as f64).collect();
    let max = y.iter().copied().fold(0.0, f64::max);
    if max <= 0.0 {
        return flat("no seats in any month".into());
    }
    let curve = |p: &[f64], t: f64| p[0] / (1.0 + exp(-p[2] * (t - p[1])));
    let sse = |p: &[f64]| {
        if !(p[0] > 0.0 && p[2] > 0.0 && p[2] < 100.0) {
            return f64::INFINITY;
        }
        y.iter()
            .enumerate()
            .map(|(i, v)| (v - curve(p, i as f64 + 1.0)).powi(2))
            .sum::<f64>()
    };
    // Start at a curve through the data's middle; try a few rates and keep the best.
    let mut best = None::<crate::stats::fit::optimize::Minimum>;
    for r0 in [0.2, 0.5, 1.0] {
        for k0 in [1.2 * max, 2.0 * max] {
            let half = y.iter().position(|&v| v >= 0.5 * y[n - 1]).unwrap_or(n / 2) as f64 + 1.0;
            let m = nelder_mead(sse, &[k0, half, r0], &[0.2 * max, 1.0, 0.1], 6_000);
            if best.as_ref().is_none_or(|b| m.value < b.value) {
                best = Some(m);
            }
        }
    }
    let Some(best) = best else {
        return flat("the curve did not settle".into());
    };
    let p = &best.x;
    if p[0] > 100.0 * max || !best.value.is_finite() {
        return flat(format!(
            "the fitted capacity ({}) is more than 100 times the seats seen: the months seen are \
             still in the curve's early, exponential part",
            crate::text::thousands(p[0])
        ));
    }
    // Gauss–Newton covariance: s² (JᵀJ)⁻¹, J the residuals' derivatives in (K, t0, r).
    let s2 = if n > 3 {
        best.value / (n - 3) as f64
    } else {
        f64::NAN
    };
    let mut jtj = vec![vec![0.0; 3]; 3];
    for i in 0..n {
        let t = i as f64 + 1.0;
        let e = exp(-p[2] * (t - p[1]));
        let g = 1.0 / (1.0 + e);
        let dk = g;
        let dt0 = -p[0] * g * g * e * p[2];
        let dr = p[0] * g * g * e * (t - p[1]);
        let row = [dk, dt0, dr];
        for a in 0..3 {
            for b in 0..3 {
                jtj[a][b] += row[a] * row[b];
            }
        }
    }
    let cov = invert(&jtj);
    let se = |i: usize| {
        cov.as_ref()
            .map_or(f64::NAN, |c| (s2 * c[i][i]).max(0.0).sqrt())
    };
    SeatsFit::Logistic {
        capacity: Estimate {
            value: p[0],
            se: se(0),
        },
        midpoint: Estimate {
            value: p[1],
            se: se(1),
        },
        rate: Estimate {
            value: p[2],
            se: se(2),
        },
        residual_sd: s2.sqrt(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn csv(rows: &[&str]) -> String {
        let mut s = "date,user,tasks\n".to_string();
        for r in rows {
            s.push_str(r);
            s.push('\n');
        }
        s
    }

    #[test]
    fn activity_reads_users_days_and_weekends() {
        // 2027-02-06 is a Saturday.
        let a = Activity::from_csv(
            "a.csv",
            &csv(&["2027-02-01,ann,3", "2027-02-06,ann,1", "2027-04-02,bob,2"]),
        )
        .unwrap();
        assert_eq!(a.start, YearMonth::parse("2027-02").unwrap());
        assert_eq!(a.months.len(), 3);
        assert_eq!(a.active_users(), vec![1, 0, 1]);
        assert_eq!(a.users_so_far(), vec![1, 1, 2]);
        assert_eq!(a.tasks(), vec![4, 0, 2]);
        assert_eq!(a.weekend_tasks(), 1);
    }

    #[test]
    fn bad_rows_are_refused_at_their_line() {
        let e = Activity::from_csv("a.csv", &csv(&["2027-02-01,ann,3", "2027-02-30,ann,1"]))
            .unwrap_err();
        assert!(e.starts_with("a.csv:3: date: expected a date"), "{e}");
        let e = Activity::from_csv("a.csv", &csv(&["2027-02-01,ann,-3"])).unwrap_err();
        assert!(
            e.starts_with("a.csv:2: tasks: expected a whole number"),
            "{e}"
        );
        let e = Activity::from_csv("a.csv", "day,who\n").unwrap_err();
        assert!(e.contains("expected the columns `date` and `user`"), "{e}");
    }

    #[test]
    fn seats_must_cover_every_month_and_every_active_user() {
        let a =
            Activity::from_csv("a.csv", &csv(&["2027-02-01,ann,3", "2027-03-01,bob,2"])).unwrap();
        let e = read_seats("s.csv", "month,seats\n2027-02,4\n", &a).unwrap_err();
        assert!(e.contains("found none for 2027-03"), "{e}");
        let e = read_seats("s.csv", "month,seats\n2027-02,0\n2027-03,4\n", &a).unwrap_err();
        assert!(e.contains("2027-02 has 1 active users but 0 seats"), "{e}");
        assert_eq!(
            read_seats(
                "s.csv",
                "month,seats\n2027-01,9\n2027-02,4\n2027-03,5\n",
                &a
            )
            .unwrap(),
            vec![4, 5]
        );
    }

    #[test]
    fn a_logistic_is_recovered_from_its_own_points() {
        let seats: Vec<u64> = (1..=12)
            .map(|t| (800.0 / (1.0 + (-0.6 * (t as f64 - 5.0)).exp())).round() as u64)
            .collect();
        let SeatsFit::Logistic {
            capacity,
            midpoint,
            rate,
            ..
        } = fit_seats(&seats)
        else {
            panic!("no curve")
        };
        // Rounding is the only noise: within 3 SE of the truth, and close.
        for (e, truth) in [(capacity, 800.0), (midpoint, 5.0), (rate, 0.6)] {
            assert!(
                (e.value - truth).abs() <= 3.0 * e.se + 1e-9,
                "{e:?} vs {truth}"
            );
            assert!((e.value - truth).abs() / truth < 0.01, "{e:?} vs {truth}");
        }
        assert!(matches!(
            fit_seats(&[1, 2, 3]),
            SeatsFit::Flat { seats: 3, .. }
        ));
    }

    #[test]
    fn the_integral_over_intensity_is_exact_for_moments() {
        // E[λ] = 1 and E[λ²] = e^{σ²} for λ = e^{σz − σ²/2}.
        let s = 0.8;
        assert!((exp(ln_expect(s, ln)) - 1.0).abs() < 1e-9);
        let m2 = exp(ln_expect(s, |l| 2.0 * ln(l)));
        assert!((m2 - (s * s).exp()).abs() < 1e-6 * m2, "{m2}");
    }
}
