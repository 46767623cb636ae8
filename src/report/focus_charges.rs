//! What each billing scheme charges in a forecast month, split the way FOCUS shows it: usage
//! billed on demand (or beyond an allowance or a commitment), fixed purchases, and for
//! commitment-based schemes the commitment amortised into the usage it covered plus its unused
//! part (see [`super::focus`] for the rows and the spec's rules).
//!
//! A [`MonthSplit`] holds one statistic of one month: the mean over every trial (exact
//! identities between the streamed means, below) or, for the headline bill, one trial's split
//! (a percentile file takes the trial at each month's percentile of the bill, among the first
//! `detail_trials`).
//!
//! Spend commitment `C` with discount `d`, list-price usage `L` in a month: the commitment
//! covers `min(L, C/(1 − d))` of list value, costing `used = min(C, L(1 − d))`; `unused =
//! C − used`; usage beyond is billed at list prices (overage). Per trial and kind the
//! overage is shared by list cost, so the covered list of kind `k` is `L_k − overage_k`, and in
//! the mean `E[used] = (E[L] − E[overage])(1 − d)` exactly. Provisioned compute `F` (units ×
//! price × billed hours, the same in every trial of a month): `used = F × utilisation`,
//! `unused = F − used`; the covered usage is the list value served within capacity, shared
//! among kinds by list cost (mean list shares: per-kind utilisation is not tracked).

use crate::forecast::model::Headline;
use crate::forecast::simulate::ForecastRun;
use crate::forecast::streams::Series;
use crate::forecast::{Forecast, ForecastModel};
use crate::pricing::scheme::{BillingScheme, Spill};

/// Which commitment-based discount a scheme carries.
#[derive(Debug, Clone, PartialEq)]
pub struct CommitmentTerms {
    /// `CommitmentDiscountCategory`: `Spend` or `Usage`.
    pub category: &'static str,
    /// `CommitmentDiscountType` (what the provider would call it).
    pub label: &'static str,
    /// `CommitmentDiscountUnit`.
    pub unit: String,
    /// Commitment units per unit of amortised cost (1 for spend; unit-hours per USD for
    /// compute).
    pub quantity_per_usd: f64,
}

/// A fixed (`Purchase`, `Recurring`) charge.
#[derive(Debug, Clone, PartialEq)]
pub struct Purchase {
    /// What it is.
    pub description: &'static str,
    /// Its pricing unit.
    pub unit: &'static str,
    /// Amount.
    pub amount: f64,
    /// Quantity of `unit`.
    pub quantity: f64,
    /// Whether it buys the scheme's commitment (amortised into usage: `EffectiveCost` 0).
    pub commitment: bool,
}

/// One statistic of one month of one scheme.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct MonthSplit {
    /// Per kind, usage billed (on demand, beyond an allowance or a commitment).
    pub billed: Vec<f64>,
    /// Per kind, the list value of that usage.
    pub billed_list: Vec<f64>,
    /// Per kind, its tokens.
    pub billed_tokens: Vec<f64>,
    /// Per kind, the commitment's amortised cost of the usage it covered.
    pub covered: Vec<f64>,
    /// Per kind, the list value of the covered usage.
    pub covered_list: Vec<f64>,
    /// Per kind, its tokens.
    pub covered_tokens: Vec<f64>,
    /// The commitment's unused amortised cost.
    pub unused: f64,
    /// Fixed charges.
    pub purchases: Vec<Purchase>,
}

/// A scheme as the export sees it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ExportedScheme {
    /// `[billing]`'s basic form (the headline).
    Basic,
    /// `[billing.NAME]`, by index.
    Named(usize),
}

impl ExportedScheme {
    /// `x_BillingScheme`.
    pub fn name(self, model: &ForecastModel) -> String {
        match self {
            ExportedScheme::Basic => "basic".into(),
            ExportedScheme::Named(i) => model.schemes[i].name.clone(),
        }
    }

    /// Whether it is the headline bill.
    pub fn is_headline(self, model: &ForecastModel) -> bool {
        match (self, model.headline) {
            (ExportedScheme::Basic, Headline::Basic) => true,
            (ExportedScheme::Named(i), Headline::Scheme(h)) => i == h,
            _ => false,
        }
    }

    /// Its commitment-based discount, if any.
    pub fn commitment(self, f: &Forecast) -> Option<CommitmentTerms> {
        let currency = f.spec.forecast.currency.clone().unwrap_or("USD".into());
        let spend = || CommitmentTerms {
            category: "Spend",
            label: "Committed spend",
            unit: currency.clone(),
            quantity_per_usd: 1.0,
        };
        match self {
            ExportedScheme::Basic => f.model.commitment.as_ref().map(|_| spend()),
            ExportedScheme::Named(i) => match &f.model.schemes[i].scheme {
                BillingScheme::Commitment(_) => Some(spend()),
                BillingScheme::ComputeHours(c) => Some(CommitmentTerms {
                    category: "Usage",
                    label: "Provisioned capacity",
                    unit: "Unit-Hours".into(),
                    quantity_per_usd: if c.usd_per_unit_hour > 0.0 {
                        1.0 / c.usd_per_unit_hour
                    } else {
                        0.0
                    },
                }),
                _ => None,
            },
        }
    }

    /// The spend commitment `(C, d)` if it is one.
    fn spend_commitment(self, model: &ForecastModel) -> Option<(f64, f64)> {
        match self {
            ExportedScheme::Basic => model.commitment.as_ref(),
            ExportedScheme::Named(i) => match &model.schemes[i].scheme {
                BillingScheme::Commitment(c) => Some(c),
                _ => None,
            },
        }
        .map(|c| (c.commit_usd, c.discount))
    }
}

/// The schemes of a forecast: the basic form first when it is the headline, then every named
/// scheme in name order.
pub fn exported_schemes(model: &ForecastModel) -> Vec<ExportedScheme> {
    let basic = (model.headline == Headline::Basic).then_some(ExportedScheme::Basic);
    basic
        .into_iter()
        .chain((0..model.schemes.len()).map(ExportedScheme::Named))
        .collect()
}

/// Shares of `total` by weights `w` (all to the first when the weights sum to 0).
fn shares(total: f64, w: &[f64]) -> Vec<f64> {
    let sum: f64 = w.iter().sum();
    w.iter()
        .enumerate()
        .map(|(k, x)| match sum > 0.0 {
            true => total * x / sum,
            false if k == 0 => total,
            false => 0.0,
        })
        .collect()
}

/// The mean split of month `m` over every trial.
pub fn mean_split(f: &Forecast, run: &ForecastRun, s: ExportedScheme, m: usize) -> MonthSplit {
    let model = &f.model;
    let kinds = run.kinds;
    let km = |k: usize, i: usize| run.kind_moments[m * kinds + k][i].mean;
    let list: Vec<f64> = (0..kinds).map(|k| km(k, 2)).collect();
    let tokens: Vec<f64> = (0..kinds).map(|k| km(k, 1)).collect();
    let list_total: f64 = list.iter().sum();
    let trials = run.trials.max(1) as f64;
    let mut out = MonthSplit::default();
    // Usage billed by kind and fixed charges.
    // The headline's usage by kind and fixed charges are streamed over every trial; another
    // scheme's bill is shared among kinds by mean list cost. (The basic form is exported only
    // as the headline.)
    let (usage_total, fixed) = match s {
        ExportedScheme::Named(i) if !s.is_headline(model) => {
            let bill = run.streams.scheme_monthly[m * run.schemes + i].moments.mean;
            let fixed = run.scheme_details[m * run.schemes + i].fixed / trials;
            out.billed = shares(bill - fixed, &list);
            (bill - fixed, fixed)
        }
        _ => {
            out.billed = (0..kinds).map(|k| km(k, 0)).collect();
            let fixed = run.streams.monthly[m][Series::Fixed as usize].moments.mean;
            (out.billed.iter().sum::<f64>(), fixed)
        }
    };
    let seats_mean = run.streams.monthly[m][Series::Seats as usize].moments.mean;
    match s {
        ExportedScheme::Basic => {
            if model.seat_fee > 0.0 {
                out.purchases.push(Purchase {
                    description: "Seat fees",
                    unit: "Seats",
                    amount: seats_mean * model.seat_fee,
                    quantity: seats_mean,
                    commitment: false,
                });
            }
        }
        ExportedScheme::Named(i) => {
            let purchase = match &model.schemes[i].scheme {
                BillingScheme::Tokens(_) => None,
                BillingScheme::Seats(st) => Some(("Seat subscription", "Seats", st.usd_per_seat)),
                BillingScheme::Commitment(_) => None,
                BillingScheme::ComputeHours(c) => {
                    Some(("Provisioned capacity", "Unit-Hours", c.usd_per_unit_hour))
                }
            };
            if let Some((description, unit, price)) = purchase {
                out.purchases.push(Purchase {
                    description,
                    unit,
                    amount: fixed,
                    quantity: if price > 0.0 { fixed / price } else { 0.0 },
                    commitment: matches!(model.schemes[i].scheme, BillingScheme::ComputeHours(_)),
                });
            }
        }
    }
    if let Some((commit, discount)) = s.spend_commitment(model) {
        out.purchases.push(Purchase {
            description: "Committed spend",
            unit: "Commitments",
            amount: commit,
            quantity: 1.0,
            commitment: true,
        });
        let used = ((list_total - usage_total) * (1.0 - discount)).clamp(0.0, commit);
        out.covered_list = (0..kinds)
            .map(|k| (list[k] - out.billed[k]).max(0.0))
            .collect();
        out.covered = shares(used, &out.covered_list);
        out.unused = commit - used;
        out.billed_list = out.billed.clone();
        split_tokens(&mut out, &tokens, &list);
        return out;
    }
    if let ExportedScheme::Named(i) = s
        && let BillingScheme::ComputeHours(c) = &model.schemes[i].scheme
    {
        let d = &run.scheme_details[m * run.schemes + i];
        let used = fixed * (d.utilisation / trials).clamp(0.0, 1.0);
        let spilled = match c.spill {
            Spill::OnDemand => usage_total,
            Spill::Drop => d.throttled_list / trials,
        };
        let served = (list_total - spilled).max(0.0);
        out.covered_list = shares(served, &list);
        out.covered = shares(used, &list);
        out.unused = fixed - used;
        out.billed_list = out.billed.clone();
        split_tokens(&mut out, &tokens, &list);
        if c.spill == Spill::Drop {
            // Work not done consumed nothing and is billed nothing.
            out.billed_tokens.iter_mut().for_each(|t| *t = 0.0);
        }
        return out;
    }
    out.billed_list = list;
    out.billed_tokens = tokens;
    out
}

/// Tokens of each kind split between covered and billed usage by list value.
fn split_tokens(out: &mut MonthSplit, tokens: &[f64], list: &[f64]) {
    out.covered_tokens = (0..tokens.len())
        .map(|k| match list[k] > 0.0 {
            true => tokens[k] * (out.covered_list[k] / list[k]).min(1.0),
            false => 0.0,
        })
        .collect();
    out.billed_tokens = (0..tokens.len())
        .map(|k| (tokens[k] - out.covered_tokens[k]).max(0.0))
        .collect();
}

/// Whether the headline's split is kept per trial (not on provisioned compute, whose per-trial
/// utilisation is not kept): what percentile splits need.
pub fn keeps_trial_split(model: &ForecastModel) -> bool {
    match model.headline {
        Headline::Basic => true,
        Headline::Scheme(i) => !matches!(model.schemes[i].scheme, BillingScheme::ComputeHours(_)),
    }
}

/// The headline's split in trial `t` (of the first `detail_trials`), or `None` when a
/// per-trial split is not kept (see [`keeps_trial_split`]).
pub fn trial_split(f: &Forecast, run: &ForecastRun, m: usize, t: usize) -> Option<MonthSplit> {
    let model = &f.model;
    let kinds = run.kinds;
    let at = |series: &[f64]| -> Vec<f64> {
        let base = (t * run.months + m) * kinds;
        series[base..base + kinds].to_vec()
    };
    let (list, tokens) = (at(&run.list_by_kind), at(&run.tokens_by_kind));
    let mut out = MonthSplit {
        billed: at(&run.bill_by_kind),
        ..MonthSplit::default()
    };
    let fixed = run.fixed_charges[t * run.months + m];
    let s = match model.headline {
        Headline::Basic => ExportedScheme::Basic,
        Headline::Scheme(i) => ExportedScheme::Named(i),
    };
    match s {
        ExportedScheme::Basic => {
            let seats = run.seats[t * run.months + m];
            if model.seat_fee > 0.0 {
                out.purchases.push(Purchase {
                    description: "Seat fees",
                    unit: "Seats",
                    amount: seats * model.seat_fee,
                    quantity: seats,
                    commitment: false,
                });
            }
        }
        ExportedScheme::Named(i) => match &model.schemes[i].scheme {
            BillingScheme::ComputeHours(_) => return None,
            BillingScheme::Seats(st) => out.purchases.push(Purchase {
                description: "Seat subscription",
                unit: "Seats",
                amount: fixed,
                quantity: if st.usd_per_seat > 0.0 {
                    fixed / st.usd_per_seat
                } else {
                    0.0
                },
                commitment: false,
            }),
            _ => {}
        },
    }
    if let Some((commit, discount)) = s.spend_commitment(model) {
        out.purchases.push(Purchase {
            description: "Committed spend",
            unit: "Commitments",
            amount: commit,
            quantity: 1.0,
            commitment: true,
        });
        let list_total: f64 = list.iter().sum();
        let used = (list_total * (1.0 - discount)).min(commit);
        out.covered_list = (0..kinds)
            .map(|k| (list[k] - out.billed[k]).max(0.0))
            .collect();
        out.covered = shares(used, &out.covered_list);
        out.unused = commit - used;
        out.billed_list = out.billed.clone();
        split_tokens(&mut out, &tokens, &list);
        return Some(out);
    }
    out.billed_list = list;
    out.billed_tokens = tokens;
    Some(out)
}
