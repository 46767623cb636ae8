//! The forecast file format: serde types mirroring the TOML people write.
//!
//! Every table denies unknown keys, so a typo is an error with a suggestion. Any number marked
//! "a number or a distribution" may be uncertain: it is drawn once per forecast trial (one
//! possible future of the organisation) and held for all its months.

use std::collections::BTreeMap;

use serde::Deserialize;

use crate::dist::DistSpec;

/// A whole forecast file.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ForecastFile {
    /// Name, horizon and run defaults.
    pub forecast: ForecastMeta,
    /// Seats over time.
    pub seats: SeatsSpec,
    /// Active users and how many tasks they run.
    pub usage: UsageSpec,
    /// Working days per month.
    #[serde(default)]
    pub calendar: CalendarSpec,
    /// The task mix: task scenarios with weights.
    pub tasks: Vec<TaskMixSpec>,
    /// Monthly drifts.
    #[serde(default)]
    pub drift: DriftSpec,
    /// How usage becomes a bill.
    #[serde(default)]
    pub billing: BillingSpec,
    /// Budgets to test against.
    #[serde(default)]
    pub budget: BudgetSpec,
    /// Named stress cases run side by side with the base case.
    #[serde(default)]
    pub stress: Vec<StressSpec>,
    /// Sensitivity analysis settings.
    #[serde(default)]
    pub sensitivity: SensitivitySpec,
    /// How sums of many tasks are computed.
    #[serde(default)]
    pub aggregation: AggregationSpec,
    /// Gates that `tokencast check` tests.
    #[serde(default)]
    pub gates: crate::scenario::spec::GatesSpec,
    /// Spend limits the organisation sets (`[limits]`).
    #[serde(default)]
    pub limits: LimitsSpec,
    /// Who the FOCUS export bills (`--focus`).
    #[serde(default)]
    pub focus: FocusSpec,
}

/// `[limits]`: monthly spend limits, in USD at list prices (the month's prices, drifts and
/// stress cases included), as a task scenario's `max_cost_usd` is. Work beyond a limit is not
/// done: it is left out of the bills and reported as work not done.
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct LimitsSpec {
    /// Most a user may spend in a month: once a user's month reaches it, the user's further
    /// work that month is not done.
    pub per_user_monthly_usd: Option<f64>,
    /// Most the whole organisation may spend in a month (after the per-user limit).
    pub monthly_usd: Option<f64>,
}

/// `[focus]`: the billing account and service the FOCUS export names.
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct FocusSpec {
    /// `BillingAccountId` (default: `forecast/<forecast name>`).
    pub billing_account_id: Option<String>,
    /// `BillingAccountName` (default: the forecast's name).
    pub billing_account_name: Option<String>,
    /// `ServiceName` (default: `AI coding agents`).
    pub service_name: Option<String>,
    /// FOCUS 1.3 `HostProviderName`: who hosts the service (a cloud whose marketplace sells
    /// the model vendor's models; default: `[forecast] provider`).
    pub host_provider: Option<String>,
    /// `PricingCurrency` of a token scheme billed in consumption units (default `XCU`).
    pub pricing_currency: Option<String>,
}

/// `[forecast]`.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ForecastMeta {
    /// Display name (default: the file stem).
    pub name: Option<String>,
    /// What it models and where the numbers come from.
    pub description: Option<String>,
    /// First month, `"YYYY-MM"`.
    pub start: String,
    /// Number of months (1 to 120).
    pub months: u32,
    /// Default number of forecast trials.
    pub trials: Option<u64>,
    /// Default seed.
    pub seed: Option<u64>,
    /// Billing currency code (default `USD`; task prices are taken to be in it).
    pub currency: Option<String>,
    /// Provider name for the FOCUS export.
    pub provider: Option<String>,
    /// Publisher name for the FOCUS export (default: the provider).
    pub publisher: Option<String>,
    /// The people who could hold a seat: seats never exceed it (in the base case and in every
    /// stress case).
    pub headcount: Option<f64>,
}

/// `[seats]`: exactly one curve.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields, rename_all = "snake_case")]
pub enum SeatsSpec {
    /// Logistic S-curve `capacity / (1 + exp(-rate (t - midpoint)))`.
    Logistic(LogisticSpec),
    /// Bass diffusion: cumulative adopters of a market of `market` seats.
    Bass(BassSpec),
    /// A piecewise-linear table of (month, seats) points.
    Table(Vec<SeatPointSpec>),
}

/// `logistic = { capacity, midpoint, rate }`.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct LogisticSpec {
    /// Seats at saturation (a number or a distribution).
    pub capacity: DistSpec,
    /// Month of the inflection point, where half the capacity is reached.
    pub midpoint: DistSpec,
    /// Growth rate per month.
    pub rate: DistSpec,
}

/// `bass = { market, p, q }`.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct BassSpec {
    /// Seats in the whole market (potential adopters).
    pub market: DistSpec,
    /// Coefficient of innovation, per month.
    pub p: DistSpec,
    /// Coefficient of imitation, per month.
    pub q: DistSpec,
}

/// `{ month, seats }`: one point of a seat table.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct SeatPointSpec {
    /// Month number (1 = the first forecast month).
    pub month: u32,
    /// Seats in that month.
    pub seats: f64,
}

/// `[usage]`.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct UsageSpec {
    /// Share of seats active in a month, in [0, 1].
    pub active_share: DistSpec,
    /// Mean tasks per active user per working day.
    pub tasks_per_day: DistSpec,
    /// Negative-binomial dispersion of a user's daily task count (variance = mean +
    /// mean²/dispersion); default: Poisson (no extra dispersion).
    pub dispersion: Option<DistSpec>,
    /// Sigma of the log-normal intensity multiplier of each user-month (mean 1): heavy and
    /// light users. Default 0 (all users alike).
    pub intensity_sigma: Option<DistSpec>,
    /// How daily task counts vary (default `"negative_binomial"`).
    #[serde(default)]
    pub counts: CountModelSpec,
}

/// How a user's task counts are drawn.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum CountModelSpec {
    /// Negative binomial per working day (Poisson without `dispersion`).
    #[default]
    NegativeBinomial,
    /// Exactly `round(tasks_per_day × working days)` tasks per active user and month (a
    /// deterministic organisation, for checks and what-ifs).
    Fixed,
}

/// `[calendar]`.
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct CalendarSpec {
    /// `"weekdays"` (default: Monday–Friday of each calendar month), a number for every month,
    /// or an array with one number per forecast month.
    pub working_days: Option<WorkingDaysSpec>,
    /// Holidays per calendar month (January first, 12 numbers), subtracted from the weekdays.
    pub holidays_by_month: Option<Vec<u32>>,
    /// Working hours per working day (default 8): tasks start uniformly over the working
    /// hours, which sets the hourly demand that compute-hours schemes must serve.
    pub hours_per_day: Option<u32>,
}

/// How working days are given.
#[derive(Debug, Clone, Deserialize)]
#[serde(untagged)]
pub enum WorkingDaysSpec {
    /// The same count every month.
    Fixed(u32),
    /// One count per forecast month.
    PerMonth(Vec<u32>),
    /// A named rule: `"weekdays"`.
    Rule(String),
}

/// `[[tasks]]`: one task kind of the mix: a task scenario, or logged tasks resampled
/// (`history`, see [`super::history_kind`]).
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct TaskMixSpec {
    /// Name (default: the task scenario's name, or the logs' file or directory name).
    pub name: Option<String>,
    /// Task scenario file, relative to the forecast file.
    pub scenario: Option<String>,
    /// Instead of `scenario`: agent logs (a file, a directory or a `*` pattern, relative to
    /// the forecast file) whose tasks are resampled.
    pub history: Option<String>,
    /// The logs' format, as `tokencast calibrate --format` names it (default: told per file).
    pub format: Option<String>,
    /// Logged model names mapped to price catalog names (`{ sonnet = "claude-sonnet-4-5" }`).
    #[serde(default)]
    pub models: BTreeMap<String, String>,
    /// What to do with log lines the importer cannot read (default: refuse the kind).
    pub malformed: Option<MalformedLines>,
    /// Relative weight of this task in the mix (> 0).
    pub weight: f64,
}

/// What a history kind does with log lines the importer cannot read.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum MalformedLines {
    /// Refuse the kind at the first such line's `file:line` (default).
    #[default]
    Refuse,
    /// Leave such lines out, counted and said (an interrupted session's last line).
    Skip,
}

impl TaskMixSpec {
    /// The file the kind comes from, as written: the task scenario or the logs.
    pub fn source(&self) -> &str {
        self.scenario
            .as_deref()
            .or(self.history.as_deref())
            .unwrap_or("")
    }
}

/// `[drift]`: changes per month, compounding from the first month.
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct DriftSpec {
    /// Relative change of tokens per task per month (0.02 = +2% a month).
    pub tokens_per_task: Option<DistSpec>,
    /// Relative change of per-token prices per month (-0.02 = -2% a month).
    pub price: Option<DistSpec>,
    /// Price elasticity of usage (constant, at most 0): tasks per user per day are multiplied
    /// by `(price factor)^elasticity`, the price factor being the month's prices against the
    /// file's (price drift and stress cases). -0.5: prices 30% lower give 0.7^-0.5 = 1.195×
    /// the tasks. Default 0 (usage does not answer prices).
    pub price_elasticity: Option<DistSpec>,
    /// Shares of tasks moving from one task of the mix to another (e.g. to a cheaper model).
    #[serde(default)]
    pub mix_shift: Vec<MixShiftSpec>,
}

/// `[[drift.mix_shift]]`.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct MixShiftSpec {
    /// Task (by name) losing share.
    pub from: String,
    /// Task (by name) gaining it.
    pub to: String,
    /// Share of `from`'s weight moved per month (0.02: 2% more each month).
    pub per_month: DistSpec,
    /// Most of `from`'s weight that ever moves (default 1).
    pub max: Option<f64>,
}

/// `[billing]`: the headline bill (`discount` or `commitment`, plus `seat_fee`), and any number
/// of named schemes `[billing.NAME]` in the format `tokencast compare` reads, each billed every
/// month beside it.
#[derive(Debug, Clone, Default, Deserialize)]
pub struct BillingSpec {
    /// Negotiated discount off list prices, in [0, 1).
    pub discount: Option<f64>,
    /// Committed spend per month (the pricing layer's commitment scheme): replaces `discount`.
    pub commitment: Option<CommitmentSpec>,
    /// A flat fee per seat per month, added to the bill (e.g. a platform subscription).
    pub seat_fee: Option<f64>,
    /// The named scheme that is the headline bill (budgets, stress cases, sensitivity, the
    /// fan chart). Default: the discount/commitment form if given, else the first scheme in
    /// name order.
    pub headline: Option<String>,
    /// Named schemes, `[billing.NAME]`.
    #[serde(flatten)]
    pub schemes: BTreeMap<String, crate::scenario::spec::BillingSpec>,
}

/// `commitment = { monthly, discount }`.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct CommitmentSpec {
    /// USD committed per month.
    pub monthly: f64,
    /// Discount off list prices on usage the commitment covers, in [0, 1).
    pub discount: f64,
}

/// `[budget]` (checked and compiled by `compile_budget`, which places every error).
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct BudgetSpec {
    /// Budget per month: a number (every month), an array (one per forecast month) or
    /// `{ by_quarter = [...] }` (the monthly budget in each fiscal quarter).
    pub monthly: Option<toml::Value>,
    /// Budget per forecast year: a number (every year) or an array (one per year).
    pub annual: Option<toml::Value>,
    /// The month fiscal years start in: 1–12 or a name such as `"April"` (default: the
    /// forecast's first month).
    pub fiscal_year_start: Option<toml::Value>,
}

/// `[[stress]]`: a named what-if.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct StressSpec {
    /// Name shown in the table.
    pub name: String,
    /// Multiplier on seats (2 = twice the seats in every month, capacity included).
    pub seats: Option<f64>,
    /// Multiplier on the adoption curve's speed (2 = every seat count reached in half the
    /// time, the same capacity): seats in month `t` are the curve's at `speed × t`.
    pub adoption_speed: Option<f64>,
    /// Multiplier on tokens per task (1.5 = +50%).
    pub tokens_per_task: Option<f64>,
    /// Multiplier on per-token prices (0.7 = -30%).
    pub prices: Option<f64>,
    /// Multiplier on tasks per user per day.
    pub tasks_per_day: Option<f64>,
    /// Any value of the file, by dotted path, as `--set` would set it.
    #[serde(default)]
    pub set: BTreeMap<String, toml::Value>,
}

/// `[sensitivity]`.
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct SensitivitySpec {
    /// Forecast year whose total is the outcome (default 1: the first 12 months).
    pub year: Option<u32>,
    /// Input quantiles used as "low" and "high" in one-at-a-time runs (default [0.1, 0.9]).
    pub low_high: Option<[f64; 2]>,
}

/// `[aggregation]`.
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct AggregationSpec {
    /// Active users up to which each user's monthly task count is drawn (default 64).
    pub exact_users_max: Option<u64>,
    /// Tasks of one kind in one month up to which costs are summed task by task (default 256).
    pub exact_tasks_max: Option<u64>,
    /// Pre-simulated tasks per task scenario (default 65,536).
    pub pool_size: Option<u64>,
}
