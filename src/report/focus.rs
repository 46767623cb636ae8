//! The FOCUS export: the forecast in the column layout of the FinOps Open Cost and Usage
//! Specification (FOCUS) 1.2 (<https://focus.finops.org>), so a forecast loads into FinOps
//! tools beside actual bills. Checked with the FinOps Foundation's validator (FOCUS 1.2 rules):
//! on the bundled forecast's files one rule fails, InvoiceId-C-005-C, the untaken branch of the
//! passing composite InvoiceId-C-003-C (a forecast is not invoiced; docs/guide/focus.md);
//! `tests/forecast_focus.rs` holds the rules that apply as our own tests.
//!
//! **One bill per file.** A FinOps tool sums `BilledCost` over a file, so each file holds exactly
//! one bill: `focus.csv` the headline scheme's mean (summing it gives the forecast's mean bill,
//! month by month and overall); `focus-p50.csv`, `focus-p90.csv`, `focus-p99.csv` the headline's
//! percentile splits when asked for ([`FocusStatistic`]); `focus-<scheme>.csv` the mean of each
//! other scheme with [`FocusSchemes::All`]. A percentile file holds, per month, the trial at
//! that month's percentile of the bill (nearest rank over the first `detail_trials` trials,
//! [`percentile_trial`]), split as that trial bills it: its rows add up to the month's
//! percentile bill.
//!
//! Rows, following the spec's column rules (the split of a month is
//! [`super::focus_charges`]'s):
//! - **usage billed** per task kind, model and token kind (a SKU, [`super::focus_skus`]):
//!   `Usage`, `Usage-Based`, `PricingCategory` `Standard`,
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
    ExportedScheme, MonthSplit, exported_schemes, keeps_trial_split, mean_split, trial_split,
};
use super::focus_rows::{CommitmentRef, Row, RowSku, micros_text, round_month, split_rows};
pub use super::focus_rows::{TOKEN_UNIT, apportion_micros};
use super::focus_skus::{Sku, kind_skus};
use crate::forecast::{Forecast, ForecastRun};
use crate::pricing::scheme::BillingScheme;

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
    "ListUnitPrice",
    "ContractedUnitPrice",
    "PricingCurrency",
    "PricingCurrencyContractedUnitPrice",
    "PricingCurrencyEffectiveCost",
    "PricingCurrencyListUnitPrice",
    "SkuId",
    "SkuMeter",
    "SkuPriceDetails",
    "SkuPriceId",
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
pub const FOCUS_SPEC_COLUMNS: usize = 44;

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

    /// The file-name part (`focus-p90.csv`).
    fn key(self) -> &'static str {
        match self {
            FocusStatistic::Mean => "mean",
            FocusStatistic::P50 => "p50",
            FocusStatistic::P90 => "p90",
            FocusStatistic::P99 => "p99",
        }
    }

    /// The percentile as a fraction (`None` for the mean).
    fn quantile(self) -> Option<f64> {
        match self {
            FocusStatistic::Mean => None,
            FocusStatistic::P50 => Some(0.5),
            FocusStatistic::P90 => Some(0.9),
            FocusStatistic::P99 => Some(0.99),
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

/// The currency a scheme prices in: the billing currency, or the consumption units of a token
/// scheme billed in units (`PricingCurrency*` columns in units, as FOCUS 1.2 does for credits).
#[derive(Debug, Clone, PartialEq)]
struct Pricing {
    /// `PricingCurrency`.
    currency: String,
    /// Billing currency per pricing-currency unit (`None`: the billing currency itself).
    usd_per_unit: Option<f64>,
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
    pricing: &'a Pricing,
    provider: &'a str,
    publisher: &'a str,
    statistic: &'a str,
    scheme: &'a str,
    scenario: &'a str,
    trials: &'a str,
    seed: &'a str,
}

/// Decimal places of unit prices (a cost of six places over a quantity of six places).
const UNIT_PRICE_PLACES: usize = 12;

impl Context<'_> {
    fn write(&self, r: &Row, out: &mut String) {
        let (consumed_quantity, consumed_unit) = match r.consumed {
            Some((c, unit)) => (decimal(c, 6), unit.to_string()),
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
        let [billed, effective, list, contracted] = r.micros.map(micros_text);
        // Unit prices: the written cost over the written pricing quantity (0 when nothing is
        // priced, as on unused commitment).
        let quantity = decimal(r.pricing.0, 6);
        let q: f64 = quantity.parse().unwrap_or(0.0);
        let per_unit = |micros: i64, per: f64| match q > 0.0 {
            true => decimal(micros as f64 / 1e6 / q / per, UNIT_PRICE_PLACES),
            false => decimal(0.0, UNIT_PRICE_PLACES),
        };
        let (pricing_currency, per) = match self.pricing.usd_per_unit {
            Some(u) => (quote(&self.pricing.currency), u),
            None => (quote(self.currency), 1.0),
        };
        let pricing_effective = match self.pricing.usd_per_unit {
            Some(u) => decimal(r.micros[1] as f64 / 1e6 / u, 6),
            None => effective.clone(),
        };
        let (sku_id, sku_meter, sku_details) = match &r.sku {
            RowSku::Tokens(s) => (quote(&s.id), quote(s.meter), quote(&s.details)),
            RowSku::Fixed(id, meter) => (quote(id), quote(meter), String::new()),
        };
        let mut cells = vec![
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
            billed,
            effective.clone(),
            list,
            contracted,
            quote(self.currency),
            consumed_quantity,
            consumed_unit,
            quantity,
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
            per_unit(r.micros[2], 1.0),
            per_unit(r.micros[3], 1.0),
            pricing_currency,
            per_unit(r.micros[3], per),
            pricing_effective,
            per_unit(r.micros[2], per),
            sku_id.clone(),
            sku_meter,
            sku_details,
            sku_id,
            self.statistic.into(),
            quote(r.kind),
            quote(self.scheme),
            quote(self.scenario),
            self.trials.into(),
            self.seed.into(),
        ];
        if self.version == FocusVersion::V1_3 {
            // A charge that draws down a spend commitment (covered usage) is applied to that
            // contract commitment: its amortised cost, in the billing currency.
            let applied = match r.commitment {
                Some((c, Some("Used"), _)) if c.terms.category == "Spend" => Some(format!(
                    "[{{\"ContractCommitmentID\":\"{}\",\"ContractCommitmentAppliedCost\":{},\
                     \"ContractCommitmentAppliedQuantity\":null,\"ContractCommitmentAppliedUnit\":null}}]",
                    c.id.replace('"', "'"),
                    effective
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

/// The pricing currency of scheme `s`: consumption units for a token scheme billed in units
/// (`[focus] pricing_currency`, default `XCU`), else the billing currency.
fn pricing_of(f: &Forecast, s: ExportedScheme, currency: &str) -> Pricing {
    let units = match s {
        ExportedScheme::Named(i) => match &f.model.schemes[i].scheme {
            BillingScheme::Tokens(t) => t.units.as_ref().map(|u| u.usd_per_unit),
            _ => None,
        },
        ExportedScheme::Basic => None,
    };
    match units {
        Some(u) if u > 0.0 => Pricing {
            currency: f
                .spec
                .focus
                .pricing_currency
                .clone()
                .unwrap_or_else(|| DEFAULT_PRICING_CURRENCY.into()),
            usd_per_unit: Some(u),
        },
        _ => Pricing {
            currency: currency.to_string(),
            usd_per_unit: None,
        },
    }
}

/// `PricingCurrency` of consumption units when `[focus] pricing_currency` is not set: three
/// capital letters starting with X, the ISO 4217 range for codes that name no national
/// currency (the FOCUS validator accepts a currency only in the ISO 4217 shape).
pub const DEFAULT_PRICING_CURRENCY: &str = "XCU";

/// Index of the trial at percentile `q` of `bills` (nearest rank; ties to the earlier trial).
pub fn percentile_trial(bills: &[f64], q: f64) -> usize {
    let mut order: Vec<usize> = (0..bills.len()).collect();
    order.sort_by(|&a, &b| bills[a].total_cmp(&bills[b]));
    let rank = ((q * bills.len() as f64).ceil() as usize).clamp(1, bills.len().max(1));
    order.get(rank - 1).copied().unwrap_or(0)
}

/// A split's bill: usage billed plus fixed charges.
fn split_bill(s: &MonthSplit) -> f64 {
    s.billed.iter().sum::<f64>() + s.purchases.iter().map(|p| p.amount).sum::<f64>()
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
    let skus: Vec<Vec<Sku>> = (0..model.tasks.len())
        .map(|k| kind_skus(f, k, &publisher))
        .collect();
    let pricing: Vec<Pricing> = files
        .iter()
        .map(|(s, _, _)| pricing_of(f, *s, &currency))
        .collect();
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
        let bills: Vec<f64> = per_trial.iter().map(split_bill).collect();
        for ((s, commitment, file), pricing) in files.iter_mut().zip(&pricing) {
            let label = file.statistic.label();
            // A percentile file holds, per month, the trial at that month's percentile of the
            // bill: its rows add up to that percentile.
            let split = match file.statistic.quantile() {
                None => mean_split(f, run, *s, m),
                Some(q) => per_trial[percentile_trial(&bills, q)].clone(),
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
                pricing,
                provider: &provider,
                publisher: &publisher,
                statistic: label,
                scheme: &file.scheme,
                scenario: &f.name,
                trials: &trials,
                seed: &seed,
            };
            let mut rows = split_rows(f, &split, &skus, commitment.as_ref(), label, &label_period);
            round_month(&mut rows);
            for r in &rows {
                c.write(r, &mut file.text);
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

    #[test]
    fn the_percentile_trial_is_the_nearest_rank() {
        let bills = [5.0, 1.0, 3.0, 2.0, 4.0];
        // ceil(0.5 × 5) = 3rd smallest (3.0, trial 2); ceil(0.9 × 5) = 5th (5.0, trial 0).
        assert_eq!(percentile_trial(&bills, 0.5), 2);
        assert_eq!(percentile_trial(&bills, 0.9), 0);
        assert_eq!(percentile_trial(&bills, 0.99), 0);
        assert_eq!(percentile_trial(&[7.0], 0.5), 0);
        // Ties go to the earlier trial.
        assert_eq!(percentile_trial(&[1.0, 1.0], 0.5), 0);
    }
}
