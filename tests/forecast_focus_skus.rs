//! FOCUS usage per (task kind, model, token kind): exact SKU rows on a deterministic
//! organisation (tokens in closed form, list unit prices the model's rates, rows adding up to
//! the bill), consumption units in the `PricingCurrency` columns, and percentile files that
//! hold one trial's bill per month.

mod common;

use common::focus::{Row, num, rows, run};

use tokencast::forecast::ForecastSummary;
use tokencast::report::focus::{FocusSchemes, FocusStatistic, focus_files, percentile_trial};

/// 10 seats, all active, 40 tasks each a month: 400 constant batch tasks (list 0.0105 each:
/// 1000 input tokens at $3/M, 500 output at $15/M); tokens +10% and prices −20% a month.
const FIXED_ORG: &str = r#"
[forecast]
name = "fixed"
start = "2027-01"
months = 3
[seats]
table = [ { month = 1, seats = 10 } ]
[usage]
active_share = 1
tasks_per_day = 2
counts = "fixed"
[calendar]
working_days = 20
[[tasks]]
name = "a"
scenario = "constant-batch-task.toml"
weight = 1
[drift]
tokens_per_task = 0.1
price = -0.2
[billing]
headline = "commit"
[billing.api]
tokens = { discount = 0.2 }
[billing.units]
tokens = { discount = 0.2, units = { usd_per_unit = 0.01, rounding = "none" } }
[billing.commit]
commitment = { commit_usd = 3.0, discount = 0.2 }
[aggregation]
pool_size = 16
"#;

/// A random organisation, basic headline with a commitment and seat fees, two task kinds.
const RANDOM_ORG: &str = r#"
[forecast]
name = "random"
start = "2027-11"
months = 4
[seats]
logistic = { capacity = 60, midpoint = 2, rate = { uniform = { min = 0.4, max = 0.9 } } }
[usage]
active_share = { uniform = { min = 0.5, max = 0.9 } }
tasks_per_day = 2
dispersion = 2
intensity_sigma = 0.5
[[tasks]]
name = "batch"
scenario = "constant-batch-task.toml"
weight = 1
[[tasks]]
name = "plain"
scenario = "constant-task.toml"
weight = 2
[billing]
commitment = { monthly = 3, discount = 0.2 }
seat_fee = 1.5
"#;

/// A six-place amount as millionths, read digit by digit (no floating point).
fn micros(cell: &str) -> i64 {
    let (whole, frac) = cell.split_once('.').expect("six places");
    assert_eq!(frac.len(), 6, "{cell}");
    whole.parse::<i64>().unwrap() * 1_000_000 + frac.parse::<i64>().unwrap()
}

fn file<'a>(
    files: &'a [tokencast::report::focus::FocusFile],
    name: &str,
) -> &'a tokencast::report::focus::FocusFile {
    files.iter().find(|x| x.name == name).unwrap()
}

fn close(a: f64, b: f64, what: &str) {
    assert!(
        (a - b).abs() <= 1e-9 * b.abs().max(1.0),
        "{what}: {a} vs {b}"
    );
}

#[test]
fn usage_rows_split_by_model_and_token_kind_exactly() {
    let (f, r) = run(FIXED_ORG, 3);
    let summary = ForecastSummary::new(&f, &r);
    let files = focus_files(&f, &r, FocusSchemes::All, &[]);
    let api = rows(&file(&files, "focus-api.csv").text);
    for m in 0..3i32 {
        let start = format!("2027-{:02}-01T00:00:00Z", m + 1);
        let month: Vec<&Row> = api
            .iter()
            .filter(|x| x["ChargePeriodStart"] == start)
            .collect();
        // One row per token kind the task uses: 1000 input and 500 output tokens a task.
        let ids: Vec<&str> = month.iter().map(|x| x["SkuId"].as_str()).collect();
        assert_eq!(ids, ["m/input", "m/output"], "month {m}");
        for (x, tokens_per_task, rate, direction) in [
            (month[0], 1000.0, 3.0, "Input"),
            (month[1], 500.0, 15.0, "Output"),
        ] {
            let what = format!("month {m} {}", x["SkuId"]);
            let tokens = 400.0 * tokens_per_task * 1.1f64.powi(m);
            close(num(x, "ConsumedQuantity"), tokens, &what);
            assert_eq!(x["ConsumedUnit"], "Tokens");
            close(num(x, "PricingQuantity"), tokens / 1e6, &what);
            assert_eq!(x["PricingUnit"], "1000000 Tokens");
            // The model's list rate after the month's price drift; 20% off under contract.
            let list_rate = rate * 0.8f64.powi(m);
            close(num(x, "ListUnitPrice"), list_rate, &what);
            close(num(x, "ContractedUnitPrice"), 0.8 * list_rate, &what);
            close(num(x, "ListCost"), tokens / 1e6 * list_rate, &what);
            close(num(x, "BilledCost"), 0.8 * tokens / 1e6 * list_rate, &what);
            assert_eq!(x["SkuPriceId"], x["SkuId"]);
            assert_eq!(x["SkuMeter"], format!("{direction} tokens"));
            let details: serde_json::Value = serde_json::from_str(&x["SkuPriceDetails"]).unwrap();
            assert_eq!(
                details,
                serde_json::json!({
                    "ModelId": "m",
                    "ModelDeveloper": x["PublisherName"],
                    "TokenDirection": direction,
                    "TokenCacheAction": "Uncached",
                })
            );
            assert_eq!(x["PricingCurrency"], "USD");
        }
        // The rows add up to the month's bill in millionths: rounded once, not row by row.
        let scheme = |name: &str| summary.schemes.iter().find(|s| s.name == name).unwrap();
        for (rows_of, bill) in [
            (&month, scheme("api").monthly[m as usize].bill.mean),
            (
                &rows(&file(&files, "focus.csv").text)
                    .iter()
                    .filter(|x| x["ChargePeriodStart"] == start)
                    .collect::<Vec<_>>(),
                summary.monthly[m as usize].bill.mean,
            ),
        ] {
            let billed: i64 = rows_of.iter().map(|x| micros(&x["BilledCost"])).sum();
            let effective: i64 = rows_of.iter().map(|x| micros(&x["EffectiveCost"])).sum();
            let want = (bill * 1e6).round() as i64;
            assert!((billed - want).abs() <= 1, "month {m}: {billed} vs {want}");
            assert_eq!(effective, billed, "month {m}: amortisation keeps the bill");
        }
    }
    // The commitment's covered usage is split the same way: per SKU, tokens 2:1.
    let commit = rows(&file(&files, "focus.csv").text);
    let covered: Vec<&Row> = commit
        .iter()
        .filter(|x| {
            x["CommitmentDiscountStatus"] == "Used" && x["ChargePeriodStart"].starts_with("2027-01")
        })
        .collect();
    assert_eq!(covered.len(), 2);
    close(
        num(covered[0], "ConsumedQuantity"),
        2.0 * num(covered[1], "ConsumedQuantity"),
        "covered tokens input:output",
    );
    // Fixed charges and commitments have SKUs of their own.
    let purchase = commit
        .iter()
        .find(|x| x["ChargeCategory"] == "Purchase")
        .unwrap();
    assert_eq!(purchase["SkuId"], "committed-spend");
    assert_eq!(purchase["SkuMeter"], "Committed spend");
    assert_eq!(purchase["SkuPriceDetails"], "");
    close(num(purchase, "ListUnitPrice"), 3.0, "commitment unit price");
}

#[test]
fn a_consumption_unit_scheme_prices_in_its_units() {
    for (extra, code) in [
        ("", "XCU"),
        ("[focus]\npricing_currency = \"CRD\"\n", "CRD"),
    ] {
        let (f, r) = run(&format!("{FIXED_ORG}{extra}"), 3);
        let files = focus_files(&f, &r, FocusSchemes::All, &[]);
        let units = rows(&file(&files, "focus-units.csv").text);
        let api = rows(&file(&files, "focus-api.csv").text);
        assert_eq!(units.len(), api.len());
        for (x, a) in units.iter().zip(&api) {
            assert_eq!(x["BillingCurrency"], "USD");
            assert_eq!(x["PricingCurrency"], code);
            // $0.01 units: every PricingCurrency figure is 100 × the USD one.
            let effective = num(x, "EffectiveCost");
            assert!((num(x, "PricingCurrencyEffectiveCost") - 100.0 * effective).abs() < 1e-6);
            for (pc, usd) in [
                ("PricingCurrencyListUnitPrice", "ListUnitPrice"),
                ("PricingCurrencyContractedUnitPrice", "ContractedUnitPrice"),
            ] {
                close(num(x, pc), 100.0 * num(x, usd), pc);
            }
            // Without rounding, units bill what the same discount bills in dollars.
            assert_eq!(x["BilledCost"], a["BilledCost"]);
            assert_eq!(x["SkuId"], a["SkuId"]);
        }
        // A scheme in the billing currency prices in it.
        assert!(api.iter().all(|x| x["PricingCurrency"] == "USD"
            && x["PricingCurrencyEffectiveCost"] == x["EffectiveCost"]));
    }
}

#[test]
fn a_percentile_file_holds_the_trial_at_each_months_percentile() {
    let (f, r) = run(RANDOM_ORG, 600);
    let statistics = [
        FocusStatistic::P50,
        FocusStatistic::P90,
        FocusStatistic::P99,
    ];
    let files = focus_files(&f, &r, FocusSchemes::Headline, &statistics);
    let detail = r.detail_trials as usize;
    assert_eq!(detail, 600);
    for (name, q) in [
        ("focus-p50.csv", 0.5),
        ("focus-p90.csv", 0.9),
        ("focus-p99.csv", 0.99),
    ] {
        let text = &file(&files, name).text;
        let all = rows(text);
        for m in 0..r.months {
            let bills: Vec<f64> = (0..detail).map(|t| r.bill[t * r.months + m]).collect();
            // Nearest rank: the ceil(q n)-th smallest bill.
            let mut sorted = bills.clone();
            sorted.sort_by(f64::total_cmp);
            let want = sorted[(q * detail as f64).ceil() as usize - 1];
            assert_eq!(bills[percentile_trial(&bills, q)], want);
            let start = f.model.start.plus(m as u32).start_iso();
            let billed: i64 = all
                .iter()
                .filter(|x| x["ChargePeriodStart"] == start)
                .map(|x| micros(&x["BilledCost"]))
                .sum();
            let want = (want * 1e6).round() as i64;
            assert!(
                (billed - want).abs() <= 1,
                "{name} month {m}: rows add up to {billed}, the bill is {want}"
            );
        }
    }
}
