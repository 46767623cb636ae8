//! The FOCUS export: the forecast in the column layout of the FinOps Open Cost and Usage
//! Specification (FOCUS) 1.2 (<https://focus.finops.org>), so a forecast loads into FinOps
//! tools beside actual bills. Checked with the FinOps Foundation's validator (FOCUS 1.2 rules):
//! no rule fails on the bundled forecast's files; `tests/forecast_focus.rs` holds the rules that
//! apply as our own tests.
//!
//! **One bill per file.** A FinOps tool sums `BilledCost` over a file, so each file holds exactly
//! one bill: `focus.csv` the headline scheme's mean (summing it gives the forecast's mean bill,
//! month by month and overall); `focus-p50.csv`, `focus-p90.csv`, `focus-p99.csv` the headline's
//! percentile splits when asked for ([`FocusStatistic`]); `focus-<scheme>.csv` the mean of each
//! other scheme with [`FocusSchemes::All`]. A percentile file is each month's row-by-row
//! percentile over the first `detail_trials` trials: its rows do not add up to that percentile
//! of the bill (percentiles do not add), which its descriptions and `x_Statistic` say.
//!
//! Rows, following the spec's column rules (the split of a month is
//! [`super::focus_charges`]'s):
//! - **usage billed** per task kind: `Usage`, `Usage-Based`, `PricingCategory` `Standard`,
//!   `BilledCost` = `EffectiveCost` = `ContractedCost` = the usage charge after discounts,
//!   `ListCost` its list value, tokens as `ConsumedQuantity` (`Tokens`), priced per
//!   `1000000 Tokens`;
//! - **seat fees** (a per-seat fee, a seat subscription): `Usage`, `Recurring`, the seats as
//!   `ConsumedQuantity` (`Seats`), `EffectiveCost` = `BilledCost` (the month's seats are used in
//!   that month; FOCUS asks `EffectiveCost` 0 only of purchases that cover future charges);
//! - **commitment purchases** (a spend commitment, provisioned capacity): `Purchase`,
//!   `Recurring`, no consumed quantity (null, as FOCUS requires for non-usage rows),
//!   `EffectiveCost` 0 (the purchase covers the month's usage: its cost is amortised into the
//!   rows below) and the `CommitmentDiscount*` columns, status null;
//! - **covered usage** per task kind: `Usage`, `PricingCategory` `Committed`, `BilledCost` 0,
//!   `EffectiveCost` its amortised share of the commitment, `ListCost` = `ContractedCost` its
//!   list value (the contracted price excludes commitment discounts),
//!   `CommitmentDiscountStatus` `Used`;
//! - **unused commitment**: `Usage`, `BilledCost` 0, `EffectiveCost` the unused amortised
//!   amount, `ListCost` = `ContractedCost` = `ConsumedQuantity` = 0 (FOCUS: 0 for unused
//!   rows), `CommitmentDiscountStatus` `Unused`.
//!
//! So per month, over a mean file, Σ `EffectiveCost` = Σ `BilledCost` = the scheme's mean bill
//! (amortisation moves cost between rows). `BillingAccountId`/`BillingAccountName` and
//! `ServiceName` come from `[focus]` (defaults `forecast/<name>`, the forecast's name and
//! `AI coding agents`); `ServiceCategory` is `AI and Machine Learning`, `ServiceSubcategory`
//! `Generative AI`; `InvoiceId` is null (a forecast is not invoiced). `CommitmentDiscountId` is
//! `<scenario>/<scheme>/<type>`; `CommitmentDiscountCategory` `Spend` (committed spend, unit the
//! billing currency) or `Usage` (provisioned capacity, unit `Unit-Hours`). Empty cells are
//! nulls. Dates are UTC ISO 8601 with `Z`, periods are [start, end) of the calendar month;
//! amounts are plain decimals (no symbols, no exponents).

use super::focus_charges::{
    CommitmentTerms, ExportedScheme, MonthSplit, exported_schemes, keeps_trial_split, mean_split,
    percentile_split, trial_split,
};
use crate::forecast::{Forecast, ForecastRun};

/// The columns in order: FOCUS columns first, then the `x_` custom columns.
pub const FOCUS_COLUMNS: &[&str] = &[
    "BillingAccountId",
    "BillingAccountName",
    "BillingPeriodStart",
    "BillingPeriodEnd",
    "ChargePeriodStart",
    "ChargePeriodEnd",
    "ChargeCategory",
    "ChargeClass",
    "ChargeFrequency",
    "ChargeDescription",
    "PricingCategory",
    "BilledCost",
    "EffectiveCost",
    "ListCost",
    "ContractedCost",
    "BillingCurrency",
    "ConsumedQuantity",
    "ConsumedUnit",
    "PricingQuantity",
    "PricingUnit",
    "CommitmentDiscountId",
    "CommitmentDiscountName",
    "CommitmentDiscountCategory",
    "CommitmentDiscountType",
    "CommitmentDiscountStatus",
    "CommitmentDiscountQuantity",
    "CommitmentDiscountUnit",
    "ServiceName",
    "ServiceCategory",
    "ServiceSubcategory",
    "ProviderName",
    "PublisherName",
    "InvoiceIssuerName",
    "InvoiceId",
    "x_Statistic",
    "x_TaskKind",
    "x_BillingScheme",
    "x_Scenario",
    "x_Trials",
    "x_Seed",
];

/// The columns FOCUS 1.3 adds, written after the FOCUS 1.2 columns (before the `x_` columns)
/// with `--focus-version 1.3`.
pub const FOCUS_1_3_COLUMNS: &[&str] = &[
    "ServiceProviderName",
    "HostProviderName",
    "ContractId",
    "ContractApplied",
];

/// The FOCUS version a file follows.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub enum FocusVersion {
    /// FOCUS 1.2 (the default: what FinOps platforms validate today).
    #[default]
    V1_2,
    /// FOCUS 1.3: adds [`FOCUS_1_3_COLUMNS`].
    V1_3,
}

/// The header of a file of `version`.
pub fn focus_columns(version: FocusVersion) -> Vec<&'static str> {
    let mut columns = FOCUS_COLUMNS.to_vec();
    if version == FocusVersion::V1_3 {
        columns.splice(
            FOCUS_SPEC_COLUMNS..FOCUS_SPEC_COLUMNS,
            FOCUS_1_3_COLUMNS.iter().copied(),
        );
    }
    columns
}

/// Number of FOCUS (non-`x_`) columns at the start of [`FOCUS_COLUMNS`].
pub const FOCUS_SPEC_COLUMNS: usize = 34;

/// Which schemes the export covers.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub enum FocusSchemes {
    /// Every scheme of the forecast: the headline in `focus.csv`, each other one in
    /// `focus-<scheme>.csv`.
    All,
    /// The headline bill alone.
    #[default]
    Headline,
}

/// A statistic of the headline bill that gets a file of its own.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub enum FocusStatistic {
    /// The mean over every trial (`focus.csv`, always written).
    Mean,
    /// Median.
    P50,
    /// 90th percentile.
    P90,
    /// 99th percentile.
    P99,
}

impl FocusStatistic {
    /// `x_Statistic` and the word in descriptions.
    pub fn label(self) -> &'static str {
        match self {
            FocusStatistic::Mean => "mean",
            FocusStatistic::P50 => "P50",
            FocusStatistic::P90 => "P90",
            FocusStatistic::P99 => "P99",
        }
    }

    /// The key of [`percentile_split`].
    fn key(self) -> &'static str {
        match self {
            FocusStatistic::Mean => "mean",
            FocusStatistic::P50 => "p50",
            FocusStatistic::P90 => "p90",
            FocusStatistic::P99 => "p99",
        }
    }
}

/// One file of the export.
#[derive(Debug, Clone, PartialEq)]
pub struct FocusFile {
    /// File name: `focus.csv`, `focus-p90.csv`, `focus-<scheme>.csv`.
    pub name: String,
    /// The scheme it bills (`x_BillingScheme`).
    pub scheme: String,
    /// Its statistic.
    pub statistic: FocusStatistic,
    /// CSV text.
    pub text: String,
}

/// A scheme's name as a file-name part: letters, digits, `-` and `_` kept, anything else `_`.
fn file_part(name: &str) -> String {
    name.chars()
        .map(|c| {
            if c.is_ascii_alphanumeric() || c == '-' || c == '_' {
                c.to_ascii_lowercase()
            } else {
                '_'
            }
        })
        .collect()
}

fn quote(s: &str) -> String {
    if s.contains([',', '"', '\n']) {
        format!("\"{}\"", s.replace('"', "\"\""))
    } else {
        s.to_string()
    }
}

/// A plain decimal: fixed notation, no symbol, no exponent.
pub fn decimal(v: f64, places: usize) -> String {
    let v = if v == 0.0 { 0.0 } else { v };
    format!("{v:.places$}")
}

/// `PricingUnit` of token rows: rates are per million tokens (FOCUS unit format
/// `<quantity> <units>`).
pub const TOKEN_UNIT: &str = "1000000 Tokens";

/// A commitment's identity in one scheme.
struct CommitmentRef {
    id: String,
    name: String,
    terms: CommitmentTerms,
}

/// The commitment columns of a row: the commitment, its status (null on purchases) and
/// quantity.
type CommitmentCells<'a> = Option<(&'a CommitmentRef, Option<&'static str>, f64)>;

/// One row before formatting.
struct Row<'a> {
    category: &'static str,
    frequency: &'static str,
    description: String,
    pricing_category: &'static str,
    /// Billed, effective, list, contracted.
    costs: [f64; 4],
    /// Consumed quantity and unit (null on purchases).
    consumed: Option<(f64, &'static str)>,
    pricing: (f64, &'a str),
    commitment: CommitmentCells<'a>,
    kind: &'a str,
}

/// What every row of one scheme, month and statistic shares.
struct Context<'a> {
    version: FocusVersion,
    host: &'a str,
    contract: &'a str,
    account_id: &'a str,
    account_name: &'a str,
    service: &'a str,
    start: &'a str,
    end: &'a str,
    currency: &'a str,
    provider: &'a str,
    publisher: &'a str,
    statistic: &'a str,
    scheme: &'a str,
    scenario: &'a str,
    trials: &'a str,
    seed: &'a str,
}

impl Context<'_> {
    fn write(&self, r: &Row, out: &mut String) {
        let (consumed_quantity, consumed_unit) = match r.consumed {
            Some((c, unit)) => (decimal(c, 0), unit.to_string()),
            None => (String::new(), String::new()),
        };
        let (cid, cname, ccat, ctype, cstatus, cqty, cunit) = match r.commitment {
            Some((c, status, qty)) => (
                quote(&c.id),
                quote(&c.name),
                c.terms.category.to_string(),
                quote(c.terms.label),
                status.unwrap_or("").to_string(),
                decimal(qty, 6),
                quote(&c.terms.unit),
            ),
            None => Default::default(),
        };
        let [billed, effective, list, contracted] = r.costs;
        let cells = [
            quote(self.account_id),
            quote(self.account_name),
            self.start.into(),
            self.end.into(),
            self.start.into(),
            self.end.into(),
            r.category.into(),
            String::new(),
            r.frequency.into(),
            quote(&r.description),
            r.pricing_category.into(),
            decimal(billed, 6),
            decimal(effective, 6),
            decimal(list, 6),
            decimal(contracted, 6),
            quote(self.currency),
            consumed_quantity,
            consumed_unit,
            decimal(r.pricing.0, 6),
            quote(r.pricing.1),
            cid,
            cname,
            ccat,
            ctype,
            cstatus,
            cqty,
            cunit,
            quote(self.service),
            "AI and Machine Learning".into(),
            "Generative AI".into(),
            quote(self.provider),
            quote(self.publisher),
            quote(self.provider),
            String::new(),
            self.statistic.into(),
            quote(r.kind),
            quote(self.scheme),
            quote(self.scenario),
            self.trials.into(),
            self.seed.into(),
        ];
        let mut cells = cells.to_vec();
        if self.version == FocusVersion::V1_3 {
            // A charge that draws down a spend commitment (covered usage) is applied to that
            // contract commitment: its amortised cost, in the billing currency.
            let applied = match r.commitment {
                Some((c, Some("Used"), _)) if c.terms.category == "Spend" => Some(format!(
                    "[{{\"ContractCommitmentID\":\"{}\",\"ContractCommitmentAppliedCost\":{},\
                     \"ContractCommitmentAppliedQuantity\":null,\"ContractCommitmentAppliedUnit\":null}}]",
                    c.id.replace('"', "'"),
                    decimal(effective, 6)
                )),
                _ => None,
            };
            let (contract, applied) = match applied {
                Some(json) => (quote(self.contract), quote(&json)),
                None => (String::new(), String::new()),
            };
            cells.splice(
                FOCUS_SPEC_COLUMNS..FOCUS_SPEC_COLUMNS,
                [quote(self.provider), quote(self.host), contract, applied],
            );
        }
        out.push_str(&cells.join(","));
        out.push('\n');
    }
}

/// The rows of one split.
fn split_rows<'a>(
    f: &'a Forecast,
    split: &'a MonthSplit,
    commitment: Option<&'a CommitmentRef>,
    label: &str,
    period: &str,
) -> Vec<Row<'a>> {
    let mut rows = Vec::new();
    for (k, task) in f.model.tasks.iter().enumerate() {
        if let Some(c) = commitment {
            let tokens = split.covered_tokens[k];
            rows.push(Row {
                category: "Usage",
                frequency: "Usage-Based",
                description: format!(
                    "Forecast {label} of {} agent tasks covered by {}, {period}",
                    task.name, c.name
                ),
                pricing_category: "Committed",
                costs: [
                    0.0,
                    split.covered[k],
                    split.covered_list[k],
                    split.covered_list[k],
                ],
                consumed: Some((tokens, "Tokens")),
                pricing: (tokens / 1e6, TOKEN_UNIT),
                commitment: Some((c, Some("Used"), split.covered[k] * c.terms.quantity_per_usd)),
                kind: &task.name,
            });
        }
        let billed = split.billed[k];
        if commitment.is_some() && billed <= 0.0 && split.billed_tokens[k] <= 0.0 {
            continue;
        }
        let tokens = split.billed_tokens[k];
        let what = if commitment.is_some() {
            " beyond the commitment"
        } else {
            ""
        };
        rows.push(Row {
            category: "Usage",
            frequency: "Usage-Based",
            description: format!(
                "Forecast {label} of {} agent tasks{what}, {period}",
                task.name
            ),
            pricing_category: "Standard",
            costs: [billed, billed, split.billed_list[k].max(billed), billed],
            consumed: Some((tokens, "Tokens")),
            pricing: (tokens / 1e6, TOKEN_UNIT),
            commitment: None,
            kind: &task.name,
        });
    }
    for p in &split.purchases {
        let c = commitment.filter(|_| p.commitment);
        if let Some(c) = c {
            rows.push(Row {
                category: "Purchase",
                frequency: "Recurring",
                description: format!("Forecast {label} of {}, {period}", p.description),
                pricing_category: "Standard",
                costs: [p.amount, 0.0, p.amount, p.amount],
                consumed: None,
                pricing: (p.quantity, p.unit),
                commitment: Some((c, None, p.amount * c.terms.quantity_per_usd)),
                kind: "",
            });
        } else {
            // A fee for the month's seats, used in that month: usage, not a purchase of
            // future charges.
            rows.push(Row {
                category: "Usage",
                frequency: "Recurring",
                description: format!("Forecast {label} of {}, {period}", p.description),
                pricing_category: "Standard",
                costs: [p.amount; 4],
                consumed: Some((p.quantity, p.unit)),
                pricing: (p.quantity, p.unit),
                commitment: None,
                kind: "",
            });
        }
    }
    // An unused part within rounding of nothing (the mean's identities in floating point) is
    // no row.
    let committed: f64 = split
        .purchases
        .iter()
        .filter(|p| p.commitment)
        .map(|p| p.amount)
        .sum();
    if let Some(c) = commitment
        && split.unused > 1e-9 * committed.max(1.0)
    {
        rows.push(Row {
            category: "Usage",
            frequency: "Usage-Based",
            description: format!("Forecast {label} of {} left unused, {period}", c.name),
            pricing_category: "Committed",
            costs: [0.0, split.unused, 0.0, 0.0],
            consumed: Some((0.0, "Tokens")),
            pricing: (0.0, TOKEN_UNIT),
            commitment: Some((c, Some("Unused"), split.unused * c.terms.quantity_per_usd)),
            kind: "",
        });
    }
    rows
}

/// Every file of the export: the headline's mean (`focus.csv`), the headline's `statistics`
/// other than the mean, and with [`FocusSchemes::All`] every other scheme's mean.
pub fn focus_files(
    f: &Forecast,
    run: &ForecastRun,
    which: FocusSchemes,
    statistics: &[FocusStatistic],
) -> Vec<FocusFile> {
    focus_files_of_version(f, run, which, statistics, FocusVersion::V1_2)
}

/// [`focus_files`] in FOCUS `version` (1.3 adds [`FOCUS_1_3_COLUMNS`]).
pub fn focus_files_of_version(
    f: &Forecast,
    run: &ForecastRun,
    which: FocusSchemes,
    statistics: &[FocusStatistic],
    version: FocusVersion,
) -> Vec<FocusFile> {
    let model = &f.model;
    let meta = &f.spec.forecast;
    let focus = &f.spec.focus;
    let currency = meta.currency.clone().unwrap_or_else(|| "USD".into());
    let provider = meta
        .provider
        .clone()
        .unwrap_or_else(|| "unspecified".into());
    let publisher = meta.publisher.clone().unwrap_or_else(|| provider.clone());
    let account_id = focus
        .billing_account_id
        .clone()
        .unwrap_or_else(|| format!("forecast/{}", f.name));
    let account_name = focus
        .billing_account_name
        .clone()
        .unwrap_or_else(|| f.name.clone());
    let host = focus
        .host_provider
        .clone()
        .unwrap_or_else(|| provider.clone());
    let service = focus
        .service_name
        .clone()
        .unwrap_or_else(|| "AI coding agents".into());
    let mut wanted: Vec<(ExportedScheme, FocusStatistic)> = Vec::new();
    let schemes = exported_schemes(model);
    if let Some(&h) = schemes.iter().find(|s| s.is_headline(model)) {
        wanted.push((h, FocusStatistic::Mean));
        // Percentile splits need the headline's split per trial.
        if keeps_trial_split(model) {
            let mut extra: Vec<FocusStatistic> = statistics
                .iter()
                .copied()
                .filter(|s| *s != FocusStatistic::Mean)
                .collect();
            extra.sort();
            extra.dedup();
            wanted.extend(extra.into_iter().map(|s| (h, s)));
        }
    }
    if which == FocusSchemes::All {
        wanted.extend(
            schemes
                .iter()
                .filter(|s| !s.is_headline(model))
                .map(|&s| (s, FocusStatistic::Mean)),
        );
    }
    // One file per wanted (scheme, statistic), written month by month.
    let mut files: Vec<(ExportedScheme, Option<CommitmentRef>, FocusFile)> = Vec::new();
    for (s, statistic) in wanted {
        let name = s.name(model);
        let commitment = s.commitment(f).map(|terms| CommitmentRef {
            id: format!(
                "{}/{name}/{}",
                f.name,
                terms.label.to_lowercase().replace(' ', "-")
            ),
            name: format!("{} ({name})", terms.label),
            terms,
        });
        let file = match (s.is_headline(model), statistic) {
            (true, FocusStatistic::Mean) => "focus.csv".to_string(),
            (true, st) => format!("focus-{}.csv", st.key()),
            (false, _) => {
                // Never two files of one name (a scheme called `p90`, or two names that differ
                // only in characters a file name cannot hold).
                let base = format!("focus-{}", file_part(&name));
                let taken = |n: &str| {
                    files.iter().any(|(_, _, x)| x.name == n)
                        || ["focus-p50.csv", "focus-p90.csv", "focus-p99.csv"].contains(&n)
                };
                let mut n = format!("{base}.csv");
                let mut k = 2;
                while taken(&n) {
                    n = format!("{base}-{k}.csv");
                    k += 1;
                }
                n
            }
        };
        let mut text = focus_columns(version).join(",");
        text.push('\n');
        files.push((
            s,
            commitment,
            FocusFile {
                name: file,
                scheme: name,
                statistic,
                text,
            },
        ));
    }
    let percentiles = files
        .iter()
        .any(|(_, _, x)| x.statistic != FocusStatistic::Mean);
    let detail = run.detail_trials as usize;
    let (trials, seed) = (run.trials.to_string(), run.seed.to_string());
    for m in 0..run.months {
        let period = model.start.plus(m as u32);
        let (start, end, label_period) = (
            period.start_iso(),
            period.plus(1).start_iso(),
            period.to_string(),
        );
        // The headline's split in each detail trial, once for every percentile file.
        let per_trial: Vec<MonthSplit> = if percentiles {
            (0..detail)
                .map(|t| trial_split(f, run, m, t).expect("kept: keeps_trial_split"))
                .collect()
        } else {
            Vec::new()
        };
        for (s, commitment, file) in &mut files {
            let label = file.statistic.label();
            let split = match file.statistic {
                FocusStatistic::Mean => mean_split(f, run, *s, m),
                st => percentile_split(&per_trial, st.key()),
            };
            let contract = format!("{}/{}", f.name, file.scheme);
            let c = Context {
                version,
                host: &host,
                contract: &contract,
                account_id: &account_id,
                account_name: &account_name,
                service: &service,
                start: &start,
                end: &end,
                currency: &currency,
                provider: &provider,
                publisher: &publisher,
                statistic: label,
                scheme: &file.scheme,
                scenario: &f.name,
                trials: &trials,
                seed: &seed,
            };
            for r in split_rows(f, &split, commitment.as_ref(), label, &label_period) {
                c.write(&r, &mut file.text);
            }
        }
    }
    files.into_iter().map(|(_, _, file)| file).collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn decimals_are_plain() {
        assert_eq!(decimal(1.5e-7, 6), "0.000000");
        assert_eq!(decimal(12345678901.25, 2), "12345678901.25");
        assert_eq!(decimal(-0.0, 2), "0.00");
    }
}
