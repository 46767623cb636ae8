//! One chunk of forecast trials, month by month: seats on the adoption curve, active users,
//! task counts (user by user or as a month total), task sums by kind, drifts, the basic bill
//! and every named scheme's bill. Every trial is recorded per trial; the caller
//! ([`super::simulate`]) streams the chunk into its summaries in trial order.
//!
//! Trial `i` draws its inputs from per-input streams `(seed, input, i)`, its usage from
//! `engine::trial_rng(seed, i)` (and the extra quantities of its task sums from a second
//! stream), and each named scheme's bill of month `m` from a stream of its own, `(seed, the
//! scheme's name, m, i)`: billing a scheme (or not) leaves the usage, the basic bill and every
//! other scheme's draws unchanged, and the sizing pilot meets the same draws as the bill.

use super::aggregate::{MonthUsage, TaskSums, month_tasks, split, sum_tasks, user_tasks};
use super::billing::{KindMonth, MonthWork, bill_month, peak_month};
use super::model::{ForecastModel, Headline, SmallMonths, share_by_list};
use super::pilot::DeferredChunk;
use super::pool::Extra;
use super::simulate::{BillDetails, ForecastRun, Pass};
use crate::dist::{exp, ln};
use crate::engine::{mix64, trial_rng};
use crate::pricing::scheme::{BillingScheme, DemandProfile, SeatUsage};
use crate::stats::Moments;

/// Salt of the task sums' extra quantities' stream.
const EXTRA_SALT: u64 = 0x6269_6c6c_0000_0000;

/// Salt of the named schemes' streams.
const SCHEME_SALT: u64 = 0x7363_6865_6d65_0000;

/// The stream of scheme `stream` ([`super::billing::ForecastScheme::stream`]) in month `m`
/// of trial `index`.
pub(super) fn scheme_rng(seed: u64, stream: u64, m: usize, index: u64) -> crate::engine::TrialRng {
    trial_rng(
        mix64(mix64(seed ^ SCHEME_SALT ^ stream).wrapping_add(m as u64)),
        index,
    )
}

/// Salt of the limits' stream (the excess over per-user limits beyond `exact_users_max`).
const LIMITS_SALT: u64 = 0x6c69_6d69_7400_0000;

/// Empty accumulators.
pub(super) fn empty_moments<const N: usize>() -> [Moments; N] {
    std::array::from_fn(|_| Moments::default())
}

/// Adds one value to an accumulator.
pub(super) fn push(m: &mut Moments, x: f64) {
    m.merge(&Moments::of(&[x]));
}

/// Reusable buffers of one worker.
#[derive(Default)]
struct Buffers {
    inputs: Vec<f64>,
    weights: Vec<f64>,
    counts: Vec<u64>,
    user_counts: Vec<u64>,
    bills: Vec<f64>,
    list_kind: Vec<f64>,
    tokens_kind: Vec<f64>,
    kinds: Vec<KindMonth>,
    users: Vec<SeatUsage>,
    profile: DemandProfile,
}

pub(super) fn run_trials(
    model: &ForecastModel,
    seed: u64,
    range: std::ops::Range<u64>,
    pass: Pass,
    provisioned: &[Vec<u64>],
) -> ForecastRun {
    trials(model, seed, range, pass, provisioned, None)
}

/// [`run_trials`] billing every scheme but those sized to a peak percentile, whose months go
/// to `defer` (with their peaks) to be billed once sized ([`super::pilot`]); what depends on
/// their bills is left for then: their bills (0 until billed), details, a sized headline's
/// bill, fixed charges and split, and the per-kind bill moments (not pushed).
pub(super) fn run_trials_deferring(
    model: &ForecastModel,
    seed: u64,
    range: std::ops::Range<u64>,
    provisioned: &[Vec<u64>],
    defer: &mut DeferredChunk,
) -> ForecastRun {
    trials(model, seed, range, Pass::Bill, provisioned, Some(defer))
}

fn trials(
    model: &ForecastModel,
    seed: u64,
    range: std::ops::Range<u64>,
    pass: Pass,
    provisioned: &[Vec<u64>],
    mut defer: Option<&mut DeferredChunk>,
) -> ForecastRun {
    let months = model.months();
    let kinds = model.tasks.len();
    let schemes = model.schemes.len();
    let n = (range.end - range.start) as usize;
    let mut out = ForecastRun {
        months,
        kinds,
        schemes,
        input_count: model.params.len(),
        seats: Vec::with_capacity(n * months),
        active: Vec::with_capacity(n * months),
        tasks: Vec::with_capacity(n * months),
        tokens: Vec::with_capacity(n * months),
        list_cost: Vec::with_capacity(n * months),
        bill: Vec::with_capacity(n * months),
        fixed_charges: Vec::with_capacity(n * months),
        bill_by_kind: Vec::with_capacity(n * months * kinds),
        tokens_by_kind: Vec::with_capacity(n * months * kinds),
        list_by_kind: Vec::with_capacity(n * months * kinds),
        scheme_bill: Vec::with_capacity(n * months * schemes),
        scheme_details: vec![BillDetails::default(); months * schemes],
        kind_moments: vec![empty_moments(); months * kinds],
        ..ForecastRun::default()
    };
    let mut b = Buffers {
        kinds: vec![KindMonth::default(); kinds],
        ..Buffers::default()
    };
    let needs_extras = !model.schemes.is_empty();
    let needs_users = model.small_months == SmallMonths::UserByUser;
    let limited = model.limits.is_set();
    let needs_drawn = model
        .schemes
        .iter()
        .any(|s| matches!(s.scheme, BillingScheme::ComputeHours(_)));
    let f = model.factors;
    let peaks_needed = peaks_needed(model);
    for index in range {
        model.draw_inputs(seed, index, &mut b.inputs);
        out.inputs.extend_from_slice(&b.inputs);
        let inputs = &b.inputs;
        let mut rng = trial_rng(seed, index);
        // The task sums' extra quantities (what named schemes read) from a stream of their
        // own, so that the usage and the basic bill's draws do not depend on them.
        let mut extra_rng = trial_rng(mix64(seed ^ EXTRA_SALT), index);
        // Drawn from only beyond exact_users_max with a per-user limit.
        let mut limit_rng = limited.then(|| trial_rng(mix64(seed ^ LIMITS_SALT), index));
        let curve = model.curve(inputs);
        let share = inputs[model.active_share];
        let token_growth = 1.0 + inputs[model.token_drift];
        let price_growth = 1.0 + inputs[model.price_drift];
        let mut capped = false;
        for m in 0..months {
            let (seats, capped_here) = model.seats_in(&curve, m);
            capped |= capped_here;
            let active = (seats * share).round();
            let token_mult = token_growth.powi(m as i32) * f.tokens;
            let price_mult = price_growth.powi(m as i32) * f.prices;
            // Usage answers prices: (price factor)^elasticity.
            let answer = match model.price_elasticity {
                Some(e) => exp(inputs[e] * ln(price_mult)),
                None => 1.0,
            };
            let usage = MonthUsage {
                active: active as u64,
                days: model.working_days[m],
                per_day: inputs[model.tasks_per_day] * f.tasks * answer,
                dispersion: inputs[model.dispersion],
                sigma: inputs[model.intensity_sigma],
                counts: model.counts,
            };
            model.mix_weights(inputs, m, &mut b.weights);
            for k in b.kinds.iter_mut() {
                k.clear();
            }
            b.users.clear();
            let per_user = needs_users && usage.active <= model.aggregation.exact_users_max;
            let total = if per_user {
                // Seat allowances: every active user's month, kind by kind.
                let mut total = 0;
                for _ in 0..usage.active {
                    let n = user_tasks(&mut rng, &usage);
                    total += n;
                    split(&mut rng, n, &b.weights, &mut b.user_counts);
                    let mut user = TaskSums::default();
                    for ((task, &count), k) in model
                        .tasks
                        .iter()
                        .zip(&b.user_counts)
                        .zip(b.kinds.iter_mut())
                    {
                        let s = k.sum_and_add(
                            &mut rng,
                            &mut extra_rng,
                            &task.pool,
                            count,
                            &model.aggregation,
                            needs_drawn,
                        );
                        user.add(&s);
                    }
                    b.users.push(SeatUsage {
                        tokens: user.tokens * token_mult,
                        requests: user.extra[Extra::Calls as usize],
                        list_usd: user.cost * token_mult * price_mult,
                    });
                }
                total
            } else {
                let total = month_tasks(&mut rng, &usage, &model.aggregation);
                split(&mut rng, total, &b.weights, &mut b.counts);
                for ((task, &count), k) in model.tasks.iter().zip(&b.counts).zip(b.kinds.iter_mut())
                {
                    if needs_extras {
                        k.sum_and_add(
                            &mut rng,
                            &mut extra_rng,
                            &task.pool,
                            count,
                            &model.aggregation,
                            needs_drawn,
                        );
                    } else {
                        let (cost, tokens) =
                            sum_tasks(&mut rng, &task.pool, count, &model.aggregation);
                        let s = TaskSums {
                            cost,
                            tokens,
                            ..TaskSums::default()
                        };
                        k.add(count, &s, false);
                    }
                }
                total
            };
            // Spend limits: the share of the month's work done scales everything it bills.
            let (mut total, mut token_mult) = (total as f64, token_mult);
            if limited {
                let raw_list =
                    b.kinds.iter().map(|k| k.sums.cost).sum::<f64>() * token_mult * price_mult;
                let l = model.limits.apply(
                    raw_list,
                    per_user.then_some(&mut b.users[..]),
                    &usage,
                    &model.tasks,
                    &b.weights,
                    token_mult * price_mult,
                    limit_rng.as_mut().expect("made when limits are set"),
                );
                out.limit_tasks.push(total * (1.0 - l.done));
                out.limit_list.push(l.list_not_done);
                out.limit_users.push(l.users_at_limit);
                total *= l.done;
                token_mult *= l.done;
            }
            b.list_kind.clear();
            b.tokens_kind.clear();
            for k in &b.kinds {
                b.list_kind.push(k.sums.cost * token_mult * price_mult);
                b.tokens_kind.push(k.sums.tokens * token_mult);
            }
            let list: f64 = b.list_kind.iter().sum();
            let tokens: f64 = b.tokens_kind.iter().sum();
            b.bills.clear();
            b.bills.resize(kinds, 0.0);
            let (mut bill, mut fixed) = model.bill_month(&b.list_kind, seats, &mut b.bills);
            let work = MonthWork {
                seats,
                usage,
                hours_per_day: model.hours_per_day,
                token_mult,
                price_mult,
                tasks: &model.tasks,
                kinds: &b.kinds,
                weights: &b.weights,
                per_user: per_user.then_some(&b.users[..]),
            };
            for (i, s) in model.schemes.iter().enumerate() {
                if pass == Pass::Peaks && !peaks_needed[i] {
                    out.scheme_bill.push(0.0);
                    continue;
                }
                let mut rng = scheme_rng(seed, s.stream, m, index);
                if let Some(d) = defer.as_deref_mut()
                    && s.sized_to_peak()
                {
                    out.scheme_bill.push(0.0);
                    d.record(rng, s, index, &work, &mut b.profile);
                    continue;
                }
                if pass == Pass::Peaks {
                    out.scheme_bill
                        .push(peak_month(&mut rng, s, &work, &mut b.profile));
                    continue;
                }
                let units = provisioned.get(i).and_then(|u| u.get(m)).copied();
                let billed = bill_month(&mut rng, s, units, &work, &mut b.profile);
                let scheme_fixed = s.fixed_charge(&billed);
                out.scheme_bill.push(billed.total_usd);
                out.scheme_details[m * schemes + i].add(&BillDetails::of(&billed, scheme_fixed));
                if model.headline == Headline::Scheme(i) {
                    bill = billed.total_usd;
                    fixed = scheme_fixed;
                    share_by_list(bill - fixed, &b.list_kind, &mut b.bills);
                }
            }
            out.bill.push(bill);
            for k in 0..kinds {
                let acc = &mut out.kind_moments[m * kinds + k];
                if defer.is_none() {
                    // Deferred: pushed once the sized schemes are billed.
                    push(&mut acc[0], b.bills[k]);
                }
                push(&mut acc[1], b.tokens_kind[k]);
                push(&mut acc[2], b.list_kind[k]);
            }
            out.bill_by_kind.extend_from_slice(&b.bills);
            out.tokens_by_kind.extend_from_slice(&b.tokens_kind);
            out.list_by_kind.extend_from_slice(&b.list_kind);
            out.seats.push(seats);
            out.active.push(active);
            out.tasks.push(total);
            out.tokens.push(tokens);
            out.list_cost.push(list);
            out.fixed_charges.push(fixed);
        }
        out.headcount_capped_trials += u64::from(capped);
    }
    out
}

/// Which schemes the sizing pilot ([`Pass::Peaks`]) must bill: the compute schemes sized to a
/// peak percentile (each scheme draws from its own stream, so no other scheme can move their
/// draws). The others' peaks are never read.
fn peaks_needed(model: &ForecastModel) -> Vec<bool> {
    model.schemes.iter().map(|s| s.sized_to_peak()).collect()
}
