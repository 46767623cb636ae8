//! Every pair of a forecast's bills, paired trial by trial on the same simulated months
//! (common random numbers): what `tokencast compare FORECAST` reports.
//!
//! The bills are the basic bill (`[billing]` discount or commitment plus seat fees) when it is
//! the headline, then every named `[billing.NAME]` scheme in name order. For each pair `(a, b)`
//! (in that order, `a` first): per month, per forecast year and over the horizon, the mean of
//! `a − b` with its standard error and the share of trials in which `a` costs less. Pairs of
//! named schemes come from the run's pair accumulators; pairs with the basic bill from the
//! accumulators of each scheme against the headline, reversed.

use serde::Serialize;

use super::budget_outcome::Probability;
use super::describe;
use super::model::{ForecastModel, Headline};
use super::scheme_outcome::Versus;
use super::simulate::ForecastRun;
use super::streams::{PairedAccumulator, scheme_pairs};

/// One bill a forecast compares.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct ComparedBill {
    /// `basic` or the `[billing.NAME]` name.
    pub name: String,
    /// Kind: `basic`, `tokens`, `seats`, `commitment`, `compute_hours`.
    pub kind: &'static str,
    /// What it is, in words.
    pub description: String,
    /// Whether it is the headline bill.
    pub headline: bool,
}

/// The bills a forecast run compares, in pair order.
pub fn compared_bills(model: &ForecastModel) -> Vec<ComparedBill> {
    describe::schemes(model)
        .into_iter()
        .filter(|(_, kind, ..)| *kind != "basic" || model.headline == Headline::Basic)
        .map(|(name, kind, description, headline)| ComparedBill {
            name,
            kind,
            description,
            headline,
        })
        .collect()
}

/// Two bills, paired trial by trial.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct BillPair {
    /// The first bill's name.
    pub a: String,
    /// The second bill's name.
    pub b: String,
    /// `a` against `b` month by month.
    pub monthly: Vec<Versus>,
    /// Forecast year by year.
    pub years: Vec<Versus>,
    /// Over the horizon.
    pub total: Versus,
    /// Share of trials in which `b` costs less than `a`, per forecast year (with ties, not
    /// `1 − p_cheaper`).
    pub p_b_cheaper_years: Vec<Probability>,
    /// The same over the horizon.
    pub p_b_cheaper_total: Probability,
}

/// Every pair of the run's bills (see the module documentation).
pub fn pairs(model: &ForecastModel, run: &ForecastRun) -> Vec<BillPair> {
    pairs_of(model, run, run.months)
}

/// Every pair of the run's bills over each year and the horizon (no monthly figures).
pub fn pairs_over_years(model: &ForecastModel, run: &ForecastRun) -> Vec<BillPair> {
    pairs_of(model, run, 0)
}

/// Every pair, with the first `months` months' figures.
fn pairs_of(model: &ForecastModel, run: &ForecastRun, months: usize) -> Vec<BillPair> {
    let names: Vec<&str> = model.schemes.iter().map(|s| s.name.as_str()).collect();
    let (schemes, trials) = (run.schemes, run.trials);
    let streams = &run.streams;
    let years = streams.years.len();
    let mut out = Vec::new();
    if model.headline == Headline::Basic {
        // basic − scheme: the reverse of the scheme against the headline.
        for (s, name) in names.iter().enumerate() {
            out.push(pair_of(
                "basic",
                name,
                |m| &streams.versus_monthly[m * schemes + s],
                |y| &streams.versus_yearly[y * schemes + s],
                &streams.versus_total[s],
                (months, years, trials),
                (Versus::reversed, Versus::of),
            ));
        }
    }
    let all = scheme_pairs(schemes);
    let np = all.len();
    for (p, &(a, b)) in all.iter().enumerate() {
        out.push(pair_of(
            names[a],
            names[b],
            |m| &streams.pairs_monthly[m * np + p],
            |y| &streams.pairs_yearly[y * np + p],
            &streams.pairs_total[p],
            (months, years, trials),
            (Versus::of, Versus::reversed),
        ));
    }
    out
}

/// Reads an accumulator as one bill against the other.
type Reader = fn(&PairedAccumulator, u64) -> Versus;

fn pair_of<'s>(
    a: &str,
    b: &str,
    monthly: impl Fn(usize) -> &'s PairedAccumulator,
    yearly: impl Fn(usize) -> &'s PairedAccumulator,
    total: &PairedAccumulator,
    (months, years, trials): (usize, usize, u64),
    (read, flipped): (Reader, Reader),
) -> BillPair {
    BillPair {
        a: a.to_string(),
        b: b.to_string(),
        monthly: (0..months).map(|m| read(monthly(m), trials)).collect(),
        years: (0..years).map(|y| read(yearly(y), trials)).collect(),
        total: read(total, trials),
        p_b_cheaper_years: (0..years)
            .map(|y| flipped(yearly(y), trials).p_cheaper)
            .collect(),
        p_b_cheaper_total: flipped(total, trials).p_cheaper,
    }
}

/// One bill over the forecast: each year's total and the horizon's.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct BillTotals {
    /// The bill.
    #[serde(flatten)]
    pub bill: ComparedBill,
    /// Each forecast year's total.
    pub years: Vec<super::outcome::Dist>,
    /// The horizon's total.
    pub total: super::outcome::Dist,
}

/// What `tokencast compare FORECAST` reports.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct ForecastComparison {
    /// The forecast's name.
    pub scenario: String,
    /// Trials (simulated futures).
    pub trials: u64,
    /// Seed.
    pub seed: u64,
    /// Calendar months, `YYYY-MM`, in order.
    pub months: Vec<String>,
    /// How people name the forecast years.
    pub year_labels: Vec<String>,
    /// Every bill.
    pub bills: Vec<BillTotals>,
    /// Every pair of bills.
    pub pairs: Vec<BillPair>,
    /// Break-even along an input (none with `--no-sweep`).
    pub along: Option<super::break_even::AlongRun>,
    /// Every pair under each stress case of the file, the base first (empty with
    /// `--no-stress` or without stress cases).
    pub levers: Vec<LeverRow>,
}

impl ForecastComparison {
    /// The comparison of `summary`'s run (`run`), with the break-even analysis `along`.
    pub fn new(
        model: &ForecastModel,
        run: &ForecastRun,
        summary: &super::ForecastSummary,
        along: Option<super::break_even::AlongRun>,
    ) -> ForecastComparison {
        let bills = compared_bills(model)
            .into_iter()
            .map(|bill| {
                let named = (bill.kind != "basic")
                    .then(|| summary.schemes.iter().find(|s| s.name == bill.name))
                    .flatten();
                match named {
                    Some(s) => BillTotals {
                        years: s.years.clone(),
                        total: s.total,
                        bill,
                    },
                    // The basic bill is the headline's.
                    None => BillTotals {
                        years: summary.years.iter().map(|y| y.bill).collect(),
                        total: summary.total_bill,
                        bill,
                    },
                }
            })
            .collect();
        ForecastComparison {
            scenario: summary.scenario.clone(),
            trials: run.trials,
            seed: run.seed,
            months: summary.monthly.iter().map(|m| m.period.clone()).collect(),
            year_labels: summary.years.iter().map(|y| y.label.clone()).collect(),
            bills,
            pairs: pairs(model, run),
            along,
            levers: Vec::new(),
        }
    }
}

/// Every pair of bills under one stress case of the forecast (its lever), on the same seed as
/// the base.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct LeverRow {
    /// The case's name (`base` for the forecast as written).
    pub case: String,
    /// Every pair, in [`pairs`] order (monthly figures left out).
    pub pairs: Vec<BillPair>,
}

impl LeverRow {
    /// The row of `run`, a run of case `case` of the forecast `model`.
    pub fn new(case: &str, model: &ForecastModel, run: &ForecastRun) -> LeverRow {
        LeverRow {
            case: case.to_string(),
            pairs: pairs_over_years(model, run),
        }
    }
}
