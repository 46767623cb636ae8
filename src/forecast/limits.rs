//! Monthly spend limits (`[limits]`): per user and for the whole organisation, in USD at list
//! prices (the month's prices: drifts and stress cases included), as a task scenario's
//! `max_cost_usd` is.
//!
//! A user whose month `X` passes the per-user limit `L` does the first `L` of it and stops:
//! the month is scaled by `L / X` (tokens, calls and list value of every task kind alike: the
//! work not done has the month's mix), and `X − L` is work not done.
//! - Users simulated one by one (up to `exact_users_max` active users, the same threshold as
//!   seat plans): exactly, user by user.
//! - Beyond: the month's excess is `n E[(X − L)⁺] + √(n Var (X − L)⁺) Z` (`Z` standard normal,
//!   from a stream of its own), from the per-user usage law of [`super::seat_usage`] (the
//!   method of a seat plan's allowance, checked against per-user simulation), clamped to the
//!   month's list value; users at the limit: `n P(X > L)`.
//!
//! The organisation's limit `C` then applies to what is left: the month's list value beyond
//! `C` is not done, every user and task kind in proportion. Tasks not done are the month's
//! tasks times the share of its list value not done.

use super::aggregate::MonthUsage;
use super::model::TaskMix;
use super::seat_usage::{excess_per_user, share_over_per_user};
use super::spec::LimitsSpec;
use crate::dist::standard_normal;
use crate::engine::TrialRng;
use crate::pricing::scheme::SeatUsage;
use crate::scenario::parse::Source;
use crate::scenario::{FieldPath, ScenarioError};

/// The limits of a forecast, in USD at list prices per month.
#[derive(Debug, Clone, Copy, Default, PartialEq)]
pub struct Limits {
    /// Per active user.
    pub per_user: Option<f64>,
    /// For the organisation.
    pub monthly: Option<f64>,
}

/// Largest limit accepted (USD a month): far beyond any bill, so that a typo is caught.
const MAX_LIMIT_USD: f64 = 1e12;

/// What the limits did to one month.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct MonthLimited {
    /// List value of the work not done.
    pub list_not_done: f64,
    /// Users at the per-user limit (an expectation beyond `exact_users_max`).
    pub users_at_limit: f64,
    /// Share of the month's work done, in [0, 1].
    pub done: f64,
}

impl Limits {
    /// The limits of `[limits]`, each a positive, finite number of USD.
    pub fn compile(
        spec: &LimitsSpec,
        source: &Source,
        path: &FieldPath,
    ) -> Result<Limits, ScenarioError> {
        let check = |v: Option<f64>, key: &str| {
            match v {
            Some(x) if !(x.is_finite() && x > 0.0 && x <= MAX_LIMIT_USD) => Err(source.error_at(
                path.key(key),
                format!(
                    "expected a positive amount of USD a month (at most {}), found {}",
                    crate::scenario::number(MAX_LIMIT_USD),
                    crate::scenario::number(x)
                ),
                Some(format!(
                    "write the limit in USD at list prices, e.g. `{key} = 500`, or leave it out for no limit"
                )),
            )),
            other => Ok(other),
        }
        };
        Ok(Limits {
            per_user: check(spec.per_user_monthly_usd, "per_user_monthly_usd")?,
            monthly: check(spec.monthly_usd, "monthly_usd")?,
        })
    }

    /// Whether any limit is set.
    pub fn is_set(&self) -> bool {
        self.per_user.is_some() || self.monthly.is_some()
    }

    /// Applies the limits to a month whose list value is `list` (drifts applied). `users`:
    /// each active user's month when they were simulated one by one (capped in place); else
    /// the per-user law from `usage`, the month's `weights` over `tasks` and the multipliers
    /// `token_mult × price_mult` (`pm`), with `rng` for the excess's normal draw.
    #[allow(clippy::too_many_arguments)]
    pub fn apply(
        &self,
        list: f64,
        users: Option<&mut [SeatUsage]>,
        usage: &MonthUsage,
        tasks: &[TaskMix],
        weights: &[f64],
        pm: f64,
        rng: &mut TrialRng,
    ) -> MonthLimited {
        let (mut not_done, mut at_limit) = (0.0, 0.0);
        let mut users = users;
        if let Some(l) = self.per_user {
            match users.as_deref_mut() {
                Some(users) => {
                    for u in users.iter_mut() {
                        if u.list_usd > l {
                            not_done += u.list_usd - l;
                            at_limit += 1.0;
                            scale(u, l / u.list_usd);
                        }
                    }
                }
                None => {
                    let (mut m1, mut m2) = (0.0, 0.0);
                    for (t, &w) in tasks.iter().zip(weights) {
                        let s = &t.pool.stats;
                        let mean = s.mean_cost * pm;
                        m1 += w * mean;
                        m2 += w * (s.var_cost * pm * pm + mean * mean);
                    }
                    let n = usage.active as f64;
                    let (e1, e2) = excess_per_user(usage, m1, m2, l);
                    let z = standard_normal(rng);
                    not_done = (n * e1 + (n * (e2 - e1 * e1).max(0.0)).sqrt() * z).clamp(0.0, list);
                    at_limit = n * share_over_per_user(usage, m1, m2, l);
                }
            }
        }
        if let Some(c) = self.monthly {
            let left = list - not_done;
            if left > c {
                not_done += left - c;
                if let Some(users) = users {
                    for u in users.iter_mut() {
                        scale(u, c / left);
                    }
                }
            }
        }
        let done = if list > 0.0 {
            ((list - not_done) / list).clamp(0.0, 1.0)
        } else {
            1.0
        };
        MonthLimited {
            list_not_done: not_done,
            users_at_limit: at_limit,
            done,
        }
    }
}

fn scale(u: &mut SeatUsage, f: f64) {
    u.tokens *= f;
    u.requests *= f;
    u.list_usd *= f;
}
