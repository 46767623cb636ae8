//! The agent-workflow model and the per-trial executor that turns it into [`TrialUsage`].
//!
//! This layer knows nothing of prices, files or threads: it takes a random generator and
//! produces integer usage. The one exception is a spend cap ([`TaskLimits`]): the agent meters
//! its spend as a harness does, with list rates the scenario hands it as plain numbers.

mod executor;
mod factors;
mod model;
mod routing;
mod usage;
mod work;

pub use factors::{
    CorrelatedInput, Factors, MAX_CORRELATED_INPUTS, RankTarget, TrialFactors, cholesky,
};
pub use model::{
    Agent, CacheTtl, Caching, CallFailures, Compaction, Escalation, FailedPrompt, MAX_DURATION_S,
    Mechanics, ModelMechanics, OnExhausted, OnLimit, Phase, Reasoning, Repeat, Step, TaskLimits,
    TaskRetry, When, Workflow,
};
pub use routing::{
    MAX_LADDER_MODELS, MAX_POLICIES, MAX_SKILL, MIN_SKILL, RouteEscalation, Routing, RoutingPolicy,
    skilled_pass,
};
pub use usage::{TrialEvent, TrialUsage, count_as_f64};
pub use work::{MAX_RUN_STEPS, MAX_STEPS_PER_TRIAL, WorkBound};
