//! The scenario file format: serde types mirroring the TOML people write.
//!
//! Every table denies unknown keys so a typo is an error with a suggestion, never a silently
//! ignored setting. Names and units live here; the compiled model (indices, samplers) lives in
//! `workflow`.

use std::collections::BTreeMap;

use serde::Deserialize;

use crate::dist::DistSpec;

/// A whole scenario file.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ScenarioFile {
    /// Name, description and run defaults.
    #[serde(default)]
    pub scenario: ScenarioMeta,
    /// Models by name, with their prices.
    pub models: BTreeMap<String, ModelSpec>,
    /// The agent: default model, caching, starting context.
    pub agent: AgentSpec,
    /// Phases, in order.
    pub phases: Vec<PhaseSpec>,
    /// Named sub-agent workflows that `subagent` steps run.
    #[serde(default)]
    pub workflows: BTreeMap<String, SubWorkflowSpec>,
    /// The team's workload over a billing period (for `compare`).
    pub workload: Option<WorkloadSpec>,
    /// Billing schemes by name (for `compare`).
    #[serde(default)]
    pub billing: BTreeMap<String, BillingSpec>,
    /// Gates that `tokencast check` tests (see [`GatesSpec`]).
    #[serde(default)]
    pub gates: GatesSpec,
    /// Per-task caps a harness stops the agent at (default: none).
    pub limits: Option<LimitsSpec>,
    /// A latent per-task difficulty that draws with a `difficulty` exponent share (default:
    /// none).
    pub difficulty: Option<DifficultySpec>,
    /// Rank correlations between uncertain inputs drawn once per task (default: none).
    #[serde(default)]
    pub correlation: Vec<CorrelationSpec>,
    /// Routing policies compared on the same tasks (default: none).
    pub routing: Option<super::routing::RoutingSpec>,
}

/// `[difficulty]`: the spread of the latent per-task difficulty `D = exp(σ Z − σ²/2)`
/// (log-normal, mean 1).
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct DifficultySpec {
    /// σ of `ln D`, from 0 to 3.
    pub spread: f64,
}

/// `[[correlation]]`: a target Spearman rank correlation between two named inputs.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct CorrelationSpec {
    /// The two inputs: `difficulty`, `agent.system_prompt`, `agent.task_prompt` or
    /// `phases.NAME.repeat`.
    pub between: Vec<String>,
    /// The target Spearman correlation, from −1 to 1.
    pub spearman: f64,
}

/// `[limits]`: the per-task step and spend caps of a benchmark harness or a CI budget. The
/// whole task counts toward them: sub-agents, compaction's calls, failed attempts and re-runs.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct LimitsSpec {
    /// Most calls per task: the agent stops before the call that would be the next one.
    pub max_calls: Option<i64>,
    /// Spend cap in USD at list prices: the agent stops before a request once the task has
    /// spent at least this much (the call that crosses it is made).
    pub max_cost_usd: Option<f64>,
    /// Whether a task stopped at a cap counts as failed (default) or succeeded.
    #[serde(default)]
    pub on_limit: OnLimitSpec,
}

/// `on_limit`, as written.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize, Default)]
#[serde(rename_all = "snake_case")]
pub enum OnLimitSpec {
    /// A stopped task failed (the default).
    #[default]
    Fail,
    /// A stopped task counts as succeeded (the harness submits what the agent has).
    Success,
}

/// `[gates]`: statements about the cost distribution that `tokencast check` requires to hold,
/// written as on its command line (`"p95(cost_usd) <= 2.00"`); shared by task scenarios and
/// forecasts.
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct GatesSpec {
    /// The gates.
    #[serde(default)]
    pub require: Vec<String>,
}

/// `[workflows.NAME]`: a sub-agent: its own model, starting context and phases.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct SubWorkflowSpec {
    /// Model for its calls that name none (default: the agent's model).
    pub model: Option<String>,
    /// System prompt tokens.
    pub system_prompt: DistSpec,
    /// Task prompt tokens (default 0).
    pub task_prompt: Option<DistSpec>,
    /// Phases, in order.
    pub phases: Vec<PhaseSpec>,
}

/// `[scenario]`: descriptive metadata and run defaults (the command line overrides them).
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ScenarioMeta {
    /// Display name (defaults to the file stem).
    pub name: Option<String>,
    /// What the scenario models and where its numbers come from.
    pub description: Option<String>,
    /// Default number of trials.
    pub trials: Option<u64>,
    /// Default seed.
    pub seed: Option<u64>,
}

/// `[models.NAME]`: list prices in USD per million tokens, taken from the price catalog
/// (`catalog = "claude-sonnet-4-5"`) and/or written inline (inline rates override).
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ModelSpec {
    /// A model of the price catalog whose rates, tiers and batch rates this model takes.
    pub catalog: Option<String>,
    /// Uncached prompt tokens (required unless the catalog entry states it).
    pub input: Option<f64>,
    /// Output tokens (required unless the catalog entry states it).
    pub output: Option<f64>,
    /// Prompt tokens written to the cache (5-minute TTL); required when caching is on.
    pub cache_write: Option<f64>,
    /// Prompt tokens written to the cache at the 1-hour TTL price (default: 2 x input).
    pub cache_write_1h: Option<f64>,
    /// Prompt tokens read from the cache; required when caching is on.
    pub cache_read: Option<f64>,
    /// Reasoning tokens (default: the output price).
    pub reasoning: Option<f64>,
    /// Seconds to the first token of a call (default 0).
    pub time_to_first_token_s: Option<f64>,
    /// Generated tokens per second (default: unset, generation takes no time).
    pub output_tokens_per_s: Option<f64>,
    /// Largest prompt in tokens the model accepts (default: unlimited).
    pub context_window: Option<i64>,
    /// Smallest prompt in tokens the provider caches (default 0).
    pub min_cacheable_prompt: Option<i64>,
    /// Prompt-length tiers: rates for whole calls whose prompt passes a threshold (replace
    /// the catalog's tiers when given).
    #[serde(default)]
    pub tiers: Vec<TierSpec>,
    /// Batch-API rates (override the catalog's, kind by kind).
    pub batch: Option<BatchSpec>,
}

/// `batch = { input = ..., output = ..., ... }`: batch-API rates in USD per million tokens.
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct BatchSpec {
    /// Uncached prompt tokens.
    pub input: Option<f64>,
    /// Output tokens.
    pub output: Option<f64>,
    /// Cache writes (5-minute TTL).
    pub cache_write: Option<f64>,
    /// Cache writes (1-hour TTL).
    pub cache_write_1h: Option<f64>,
    /// Cache reads.
    pub cache_read: Option<f64>,
    /// Reasoning tokens.
    pub reasoning: Option<f64>,
}

/// `tiers = [{ above = 200000, input = ..., output = ..., ... }]`: rates in USD per million
/// tokens for every token of a call whose prompt has more than `above` tokens.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct TierSpec {
    /// Prompt tokens the call must exceed.
    pub above: i64,
    /// Uncached prompt tokens.
    pub input: f64,
    /// Output tokens.
    pub output: f64,
    /// Cache writes (5-minute TTL); required when caching is on.
    pub cache_write: Option<f64>,
    /// Cache writes at the 1-hour TTL (default: 2 x the tier's input).
    pub cache_write_1h: Option<f64>,
    /// Cache reads; required when caching is on.
    pub cache_read: Option<f64>,
    /// Reasoning tokens (default: the tier's output price).
    pub reasoning: Option<f64>,
}

/// Prompt caching as written: `"prefix"` or `"off"`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize, Default)]
#[serde(rename_all = "snake_case")]
pub enum CachingSpec {
    /// Prefix caching (DESIGN.md §1).
    #[default]
    Prefix,
    /// No caching: every prompt token is input.
    Off,
}

/// `[agent]`: the default model, caching and the starting context.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct AgentSpec {
    /// Model for calls that name none (required when there are several models).
    pub model: Option<String>,
    /// Prompt caching mode (default `"prefix"`).
    #[serde(default)]
    pub caching: CachingSpec,
    /// System prompt tokens.
    pub system_prompt: DistSpec,
    /// Task prompt tokens (default 0).
    pub task_prompt: Option<DistSpec>,
    /// Cache lifetime and write price tier: `"5m"` (default) or `"1h"`.
    #[serde(default)]
    pub cache_ttl: CacheTtlSpec,
    /// Context compaction (default: off).
    pub compaction: Option<CompactionSpec>,
    /// Transient call failures (default: none).
    pub call_failures: Option<CallFailuresSpec>,
    /// Re-running a failed task (default: never).
    pub task_retry: Option<TaskRetrySpec>,
}

/// `cache_ttl`, as written.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize, Default)]
pub enum CacheTtlSpec {
    /// 5 minutes, writes at the `cache_write` price.
    #[default]
    #[serde(rename = "5m")]
    FiveMinutes,
    /// 1 hour, writes at the `cache_write_1h` price.
    #[serde(rename = "1h")]
    OneHour,
}

/// `compaction = { threshold, summary, model }`.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct CompactionSpec {
    /// Share of the model's window (0, 1] past which the context is compacted.
    pub threshold: f64,
    /// Summary tokens the summarising call returns.
    pub summary: DistSpec,
    /// Model of the summarising call (default: the model of the call that triggered it).
    pub model: Option<String>,
}

/// Whether a failed attempt's prompt is billed, as written.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize, Default)]
#[serde(rename_all = "snake_case")]
pub enum FailedPromptSpec {
    /// Billed (the default, the conservative choice).
    #[default]
    Billed,
    /// Not billed.
    Free,
}

/// `call_failures = { p_fail, max_retries, failed_prompt }`.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct CallFailuresSpec {
    /// Probability that one attempt fails.
    pub p_fail: f64,
    /// Retries after a failed attempt.
    pub max_retries: i64,
    /// Whether a failed attempt's prompt is billed.
    #[serde(default)]
    pub failed_prompt: FailedPromptSpec,
}

/// `task_retry = { max_reruns, p_rerun }`.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct TaskRetrySpec {
    /// Most re-runs of a failed task.
    pub max_reruns: i64,
    /// Probability that a person re-runs a failed task.
    pub p_rerun: f64,
}

/// `escalate = { after, model }` in an `until_pass` loop.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct EscalateSpec {
    /// Failed attempts before the switch.
    pub after: i64,
    /// Model of the loop's calls after the switch.
    pub model: String,
}

/// When a phase runs, as written.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize, Default)]
#[serde(rename_all = "snake_case")]
pub enum WhenSpec {
    /// Always (the default).
    #[default]
    Always,
    /// Only if the task has not failed.
    OnSuccess,
    /// Only if the task has failed.
    OnFailure,
}

/// What an exhausted loop does, as written.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize, Default)]
#[serde(rename_all = "snake_case")]
pub enum OnExhaustedSpec {
    /// The task fails (the default).
    #[default]
    Fail,
    /// The task goes on.
    Continue,
}

/// `until_pass = { p_pass, max_attempts, on_exhausted }`.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct UntilPassSpec {
    /// Probability that one attempt passes.
    pub p_pass: f64,
    /// Hard maximum of attempts: required.
    pub max_attempts: Option<i64>,
    /// What happens when every attempt failed.
    #[serde(default)]
    pub on_exhausted: OnExhaustedSpec,
    /// Switch to another model after failed attempts.
    pub escalate: Option<EscalateSpec>,
}

/// `[[phases]]`.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct PhaseSpec {
    /// Unique phase name (reports break cost down by it).
    pub name: String,
    /// When the phase runs.
    #[serde(default)]
    pub when: WhenSpec,
    /// How many times the steps run (a number or a count distribution; default 1).
    pub repeat: Option<DistSpec>,
    /// Repeat until a pass instead of a count.
    pub until_pass: Option<UntilPassSpec>,
    /// The steps of one iteration.
    pub steps: Vec<StepSpec>,
    /// Difficulty exponent `k` of the repeat count (`n · D^k`) or of the loop's pass
    /// probability (`p_pass^(D^k)`).
    pub difficulty: Option<f64>,
}

/// One step: `{ call = { ... } }` or `{ tool = { ... } }`.
#[derive(Debug, Clone, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum StepSpec {
    /// An LLM call.
    Call(CallSpec),
    /// A tool result appended to the context.
    Tool(ToolSpec),
    /// Sub-agents running another workflow.
    Subagent(SubagentSpec),
}

/// `subagent = { workflow, count }`.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct SubagentSpec {
    /// Name of the workflow under `[workflows]`.
    pub workflow: String,
    /// Instances run in parallel (a number or a count distribution; default 1).
    pub count: Option<DistSpec>,
}

/// `call = { model, output }`.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct CallSpec {
    /// Model name (default: the agent's model).
    pub model: Option<String>,
    /// Output tokens per call.
    pub output: DistSpec,
    /// Reasoning tokens per call (default none).
    pub reasoning: Option<DistSpec>,
    /// Most reasoning tokens per call (default: no cap).
    pub reasoning_budget: Option<i64>,
    /// Difficulty exponent `k` of the output and reasoning draws (`draw · D^k`).
    pub difficulty: Option<f64>,
}

/// `tool = { name, tokens }`.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ToolSpec {
    /// A label for people (e.g. `read_file`).
    pub name: Option<String>,
    /// Tokens appended to the context.
    pub tokens: DistSpec,
    /// Seconds the tool takes (default 0).
    pub duration_s: Option<DistSpec>,
    /// Difficulty exponent `k` of the token draw (`draw · D^k`).
    pub difficulty: Option<f64>,
}

/// `[workload]`: the period of usage that billing schemes are compared on.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct WorkloadSpec {
    /// Seats (developers) on the plan.
    pub seats: i64,
    /// Mean tasks per seat per period.
    pub tasks_per_seat: f64,
    /// Spread between heavy and light users: per-seat task counts are negative binomial with
    /// this dispersion (variance = mean + mean^2 / dispersion); absent: Poisson.
    pub dispersion: Option<f64>,
    /// Working days per period (default 21).
    pub working_days: Option<i64>,
    /// Working hours per day (default 8); tasks start uniformly over the working hours.
    pub hours_per_day: Option<i64>,
    /// Simulated periods (default 1,000; `compare --periods` overrides).
    pub periods: Option<i64>,
    /// The scheme the others are compared with (default: the first by name).
    pub baseline: Option<String>,
    /// Break-even sweep of tasks per seat.
    pub sweep: Option<SweepSpec>,
}

/// `sweep = { min, max, points }`: tasks per seat values for the break-even search.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct SweepSpec {
    /// Smallest mean tasks per seat.
    pub min: f64,
    /// Largest mean tasks per seat.
    pub max: f64,
    /// Points from min to max, evenly spaced (default 9).
    pub points: Option<i64>,
    /// Periods simulated at each point (default: a quarter of `periods`, at least 100).
    pub periods: Option<i64>,
}

/// `[billing.NAME]`: one billing scheme, a table with one key naming its kind.
#[derive(Debug, Clone, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum BillingSpec {
    /// Per-token billing.
    Tokens(TokensSpec),
    /// Per-seat subscription.
    Seats(SeatsSpec),
    /// Committed spend.
    Commitment(CommitmentSpec),
    /// Provisioned capacity or self-hosted GPUs.
    ComputeHours(ComputeHoursSpec),
}

/// `tokens = { discount, batch_share, units }`.
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct TokensSpec {
    /// Negotiated discount off list prices, a fraction (default 0).
    pub discount: Option<f64>,
    /// Share of the work sent through the batch API at batch rates (default 0).
    pub batch_share: Option<f64>,
    /// Conversion to consumption units.
    pub units: Option<UnitsSpec>,
}

/// `units = { usd_per_unit, metering_hours, rounding }`.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct UnitsSpec {
    /// USD per unit (e.g. 0.01).
    pub usd_per_unit: f64,
    /// Hours per metering window (default 1).
    pub metering_hours: Option<i64>,
    /// `"up"` (default), `"nearest"`, `"down"` or `"none"`.
    pub rounding: Option<RoundingSpec>,
}

/// How units are rounded per metering window.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum RoundingSpec {
    /// Up to a whole unit.
    Up,
    /// To the nearest whole unit.
    Nearest,
    /// Down to a whole unit.
    Down,
    /// Fractional units.
    None,
}

/// `seats = { usd_per_seat, allowance, beyond, overage_rate, overage_discount, overage_cap_usd }`.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct SeatsSpec {
    /// USD per seat per period.
    pub usd_per_seat: f64,
    /// Usage included per seat per period.
    pub allowance: AllowanceSpec,
    /// `"throttle"`, `"api_prices"` or `"rate"`.
    pub beyond: BeyondSpec,
    /// With `beyond = "rate"`: USD per million tokens, per request or per dollar of usage.
    pub overage_rate: Option<f64>,
    /// With `beyond = "api_prices"`: discount off list (default 0).
    pub overage_discount: Option<f64>,
    /// Most overage the team may be billed per period; beyond it work is throttled.
    pub overage_cap_usd: Option<f64>,
}

/// `allowance = { tokens = N }`, `{ requests = N }` or `{ usd = X }`.
#[derive(Debug, Clone, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum AllowanceSpec {
    /// Tokens of every kind.
    Tokens(i64),
    /// Requests (calls).
    Requests(i64),
    /// Dollars of list-price usage.
    Usd(f64),
}

/// What happens beyond a seat's allowance.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum BeyondSpec {
    /// The work is not done.
    Throttle,
    /// Overage at list prices (less `overage_discount`).
    ApiPrices,
    /// Overage at `overage_rate`.
    Rate,
}

/// `commitment = { commit_usd, discount }`.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct CommitmentSpec {
    /// USD committed per period.
    pub commit_usd: f64,
    /// Discount off list prices on committed usage.
    pub discount: f64,
}

/// `compute_hours = { ... }`: provisioned units or self-hosted GPUs.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ComputeHoursSpec {
    /// USD per unit-hour (provisioned throughput).
    pub usd_per_unit_hour: Option<f64>,
    /// Tokens per minute one unit serves.
    pub tokens_per_minute_per_unit: Option<f64>,
    /// USD per GPU-hour (self-hosted).
    pub usd_per_gpu_hour: Option<f64>,
    /// Tokens per second one GPU generates (self-hosted).
    pub tokens_per_second_per_gpu: Option<f64>,
    /// Share of a GPU's peak throughput it sustains (self-hosted, default 1).
    pub max_utilisation: Option<f64>,
    /// A fixed number of units (or GPUs).
    pub units: Option<i64>,
    /// Or: enough units for this percentile of the periods' peak hourly demand.
    pub size_to_peak_percentile: Option<f64>,
    /// Capacity one output token uses (default 1).
    pub output_weight: Option<f64>,
    /// Hours billed per period (default 730, a month around the clock).
    pub billed_hours: Option<f64>,
    /// `"on_demand"` (default) or `"drop"`.
    pub spill: Option<SpillSpec>,
}

/// Demand above capacity.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum SpillSpec {
    /// Served on demand at list prices.
    OnDemand,
    /// Not served.
    Drop,
}
