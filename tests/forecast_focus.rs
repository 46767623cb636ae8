//! `focus.csv` with commitment amortisation: exact rows on a deterministic organisation, the
//! FOCUS column rules on every row, and per month and scheme Σ EffectiveCost = Σ BilledCost =
//! the scheme's mean bill.

mod common;

use std::collections::BTreeMap;

use common::focus::{Row, num, run};

use tokencast::forecast::{Forecast, ForecastRun, ForecastSummary};
use tokencast::report::focus::{FOCUS_COLUMNS, FocusSchemes, FocusStatistic, focus_files};

const EVERY_STATISTIC: [FocusStatistic; 3] = [
    FocusStatistic::P50,
    FocusStatistic::P90,
    FocusStatistic::P99,
];

/// The rows of every file the export writes (each file holds one bill).
fn all_rows(f: &Forecast, r: &ForecastRun, which: FocusSchemes) -> Vec<BTreeMap<String, String>> {
    focus_files(f, r, which, &EVERY_STATISTIC)
        .iter()
        .flat_map(|file| rows(&file.text))
        .collect()
}

/// 10 seats, all active, 40 tasks each a month (the constant batch task: list 0.0105, 1500
/// tokens); tokens +10% and prices −20% a month: list cost 4.2 × 0.88^m in month m.
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
[billing.commit]
commitment = { commit_usd = 3.0, discount = 0.2 }
[billing.gpu]
compute_hours = { usd_per_unit_hour = 2, tokens_per_minute_per_unit = 1e6, units = 3 }
[billing.seats]
seats = { usd_per_seat = 20, allowance = { usd = 0.3 }, beyond = "api_prices" }
[aggregation]
pool_size = 16
"#;

/// A random organisation with every kind of scheme, a basic headline with a commitment and
/// seat fees, and two task kinds.
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
[billing.api]
tokens = { discount = 0.1 }
[billing.commit]
commitment = { commit_usd = 4.0, discount = 0.25 }
[billing.gpu]
compute_hours = { usd_per_unit_hour = 0.001, tokens_per_minute_per_unit = 100, units = 2 }
[billing.gpu_drop]
compute_hours = { usd_per_unit_hour = 0.001, tokens_per_minute_per_unit = 100, units = 2, spill = "drop" }
[billing.seats]
seats = { usd_per_seat = 2, allowance = { usd = 0.2 }, beyond = "api_prices" }
"#;

/// The rows of a `focus.csv`, each as column name → cell.
fn rows(text: &str) -> Vec<Row> {
    let (header, rows) = common::focus::rows_with_header(text);
    assert_eq!(header, FOCUS_COLUMNS, "columns in the documented order");
    rows
}

fn close(a: f64, b: f64, what: &str) {
    assert!(
        (a - b).abs() <= 1e-5 * b.abs().max(1.0),
        "{what}: {a} vs {b}"
    );
}

/// Mean rows of `scheme` in the month starting `start`.
fn mean_rows<'a>(
    rows: &'a [BTreeMap<String, String>],
    scheme: &str,
    start: &str,
) -> Vec<&'a BTreeMap<String, String>> {
    rows.iter()
        .filter(|r| {
            r["x_Statistic"] == "mean"
                && r["x_BillingScheme"] == scheme
                && r["ChargePeriodStart"] == start
        })
        .collect()
}

/// Σ BilledCost and Σ EffectiveCost over rows.
fn sums(rows: &[&BTreeMap<String, String>]) -> (f64, f64) {
    rows.iter().fold((0.0, 0.0), |(b, e), r| {
        (b + num(r, "BilledCost"), e + num(r, "EffectiveCost"))
    })
}

/// The rows with this description fragment and status (one per SKU on usage) as one row:
/// amounts and quantities summed, other cells from the first row.
fn find(
    rows: &[&BTreeMap<String, String>],
    category: &str,
    status: &str,
    description: &str,
) -> Option<BTreeMap<String, String>> {
    let found: Vec<_> = rows
        .iter()
        .filter(|r| {
            r["ChargeCategory"] == category
                && r["CommitmentDiscountStatus"] == status
                && r["ChargeDescription"].contains(description)
        })
        .collect();
    let mut one = (**found.first()?).clone();
    for c in [
        "BilledCost",
        "EffectiveCost",
        "ListCost",
        "ContractedCost",
        "ConsumedQuantity",
        "PricingQuantity",
        "CommitmentDiscountQuantity",
    ] {
        if !one[c].is_empty() {
            let total: f64 = found.iter().map(|r| num(r, c)).sum();
            one.insert(c.to_string(), total.to_string());
        }
    }
    Some(one)
}

#[test]
fn commitments_are_amortised_exactly_on_a_fixed_organisation() {
    let (f, r) = run(FIXED_ORG, 4);
    let rows = all_rows(&f, &r, FocusSchemes::All);
    for m in 0..3 {
        let start = format!("2027-{:02}-01T00:00:00Z", m + 1);
        let list = 4.2 * 0.88f64.powi(m);
        // Spend commitment C = 3 at 20% off covers 3.75 of list value.
        let used = (list * 0.8).min(3.0);
        let (unused, overage) = (3.0 - used, (list - 3.75).max(0.0));
        // The headline: mean rows and, every trial being the same, percentile rows alike.
        for stat in ["mean", "P50", "P90", "P99"] {
            let c: Vec<_> = rows
                .iter()
                .filter(|x| {
                    x["x_Statistic"] == stat
                        && x["x_BillingScheme"] == "commit"
                        && x["ChargePeriodStart"] == start
                })
                .collect();
            let what = |s: &str| format!("commit month {m} {stat}: {s}");
            let purchase = &find(&c, "Purchase", "", "Committed spend").unwrap();
            close(num(purchase, "BilledCost"), 3.0, &what("purchase billed"));
            close(
                num(purchase, "EffectiveCost"),
                0.0,
                &what("purchase effective"),
            );
            assert_eq!(
                purchase["CommitmentDiscountId"],
                "fixed/commit/committed-spend"
            );
            assert_eq!(purchase["CommitmentDiscountCategory"], "Spend");
            assert_eq!(purchase["ConsumedQuantity"], "");
            let covered = &find(&c, "Usage", "Used", "covered").unwrap();
            close(num(covered, "BilledCost"), 0.0, &what("covered billed"));
            close(
                num(covered, "EffectiveCost"),
                used,
                &what("covered effective"),
            );
            close(num(covered, "ListCost"), used / 0.8, &what("covered list"));
            close(
                num(covered, "ConsumedQuantity"),
                600_000.0 * 1.1f64.powi(m) * (used / 0.8) / list,
                &what("covered tokens"),
            );
            match find(&c, "Usage", "", "beyond the commitment").as_ref() {
                Some(o) => {
                    close(num(o, "BilledCost"), overage, &what("overage billed"));
                    close(num(o, "EffectiveCost"), overage, &what("overage effective"));
                    assert_eq!(o["CommitmentDiscountId"], "");
                }
                None => assert_eq!(overage, 0.0, "{}", what("overage row missing")),
            }
            match find(&c, "Usage", "Unused", "unused").as_ref() {
                Some(u) => {
                    close(num(u, "EffectiveCost"), unused, &what("unused"));
                    // FOCUS: null on unused commitment.
                    assert_eq!(u["ConsumedQuantity"], "");
                }
                None => assert_eq!(unused, 0.0, "{}", what("unused row missing")),
            }
            let (billed, effective) = sums(&c);
            close(billed, 3.0 + overage, &what("Σ billed"));
            close(effective, 3.0 + overage, &what("Σ effective"));
        }
        // Provisioned compute: 3 units × $2 × 730 h = 4380, used in proportion to the month's
        // capacity tokens over 3 × 1e6 × 60 × 730.
        let g = mean_rows(&rows, "gpu", &start);
        let fixed = 4380.0;
        let util = 600_000.0 * 1.1f64.powi(m) / (3.0 * 1e6 * 60.0 * 730.0);
        let purchase = &find(&g, "Purchase", "", "Provisioned capacity").unwrap();
        close(
            num(purchase, "EffectiveCost"),
            0.0,
            "gpu purchase effective",
        );
        close(
            num(purchase, "CommitmentDiscountQuantity"),
            2190.0,
            "gpu unit-hours",
        );
        assert_eq!(purchase["CommitmentDiscountCategory"], "Usage");
        let covered = &find(&g, "Usage", "Used", "covered").unwrap();
        close(num(covered, "EffectiveCost"), fixed * util, "gpu used");
        close(num(covered, "ListCost"), list, "gpu covered list");
        let unused = &find(&g, "Usage", "Unused", "unused").unwrap();
        close(
            num(unused, "EffectiveCost"),
            fixed * (1.0 - util),
            "gpu unused",
        );
        let (billed, effective) = sums(&g);
        close(billed, fixed, "gpu Σ billed");
        close(effective, fixed, "gpu Σ effective");
        // Non-commitment schemes: effective = billed on every row, no commitment columns.
        for (scheme, bill) in [
            ("api", 0.8 * list),
            ("seats", 200.0 + 10.0 * (list / 10.0 - 0.3).max(0.0)),
        ] {
            let s = mean_rows(&rows, scheme, &start);
            assert!(!s.is_empty());
            for x in &s {
                assert_eq!(x["EffectiveCost"], x["BilledCost"]);
                assert_eq!(x["CommitmentDiscountId"], "");
            }
            let (billed, effective) = sums(&s);
            close(billed, bill, scheme);
            close(effective, bill, scheme);
        }
    }
    // Only the headline has percentile rows; --focus-schemes headline keeps it alone.
    assert!(
        rows.iter()
            .all(|x| x["x_Statistic"] == "mean" || x["x_BillingScheme"] == "commit")
    );
    let headline = all_rows(&f, &r, FocusSchemes::Headline);
    assert!(!headline.is_empty() && headline.iter().all(|x| x["x_BillingScheme"] == "commit"));
}

#[test]
fn every_row_follows_the_focus_rules_and_amortisation_keeps_every_bill() {
    let (f, r) = run(RANDOM_ORG, 600);
    let summary = ForecastSummary::new(&f, &r);
    let rows = all_rows(&f, &r, FocusSchemes::All);
    let iso = |s: &str| {
        s.len() == 20
            && s.ends_with("T00:00:00Z")
            && s.as_bytes()[4] == b'-'
            && s.as_bytes()[7] == b'-'
    };
    let plain = |s: &str| !s.is_empty() && s.chars().all(|c| c.is_ascii_digit() || c == '.');
    for x in &rows {
        for c in [
            "BillingPeriodStart",
            "BillingPeriodEnd",
            "ChargePeriodStart",
            "ChargePeriodEnd",
        ] {
            assert!(iso(&x[c]), "{c}: {}", x[c]);
        }
        for c in [
            "BilledCost",
            "EffectiveCost",
            "ListCost",
            "ContractedCost",
            "PricingQuantity",
        ] {
            assert!(plain(&x[c]), "{c} is not a plain decimal: {}", x[c]);
        }
        assert!(num(x, "ListCost") >= num(x, "ContractedCost"), "{x:?}");
        assert_eq!(x["ChargeClass"], "");
        assert_eq!(x["ServiceCategory"], "AI and Machine Learning");
        let usage = x["ChargeCategory"] == "Usage";
        assert!(usage || x["ChargeCategory"] == "Purchase");
        let has_id = !x["CommitmentDiscountId"].is_empty();
        // Status: null without an id, never null on usage rows with one, null on purchases.
        match (has_id, usage) {
            (false, _) => assert_eq!(x["CommitmentDiscountStatus"], ""),
            (true, true) => {
                assert!(["Used", "Unused"].contains(&x["CommitmentDiscountStatus"].as_str()))
            }
            (true, false) => assert_eq!(x["CommitmentDiscountStatus"], ""),
        }
        for c in [
            "CommitmentDiscountName",
            "CommitmentDiscountCategory",
            "CommitmentDiscountType",
            "CommitmentDiscountQuantity",
            "CommitmentDiscountUnit",
        ] {
            assert_eq!(x[c].is_empty(), !has_id, "{c} in {x:?}");
        }
        // Consumed quantity: null off usage and on unused commitment; seats on the recurring
        // seat fees; else tokens.
        match (usage, x["CommitmentDiscountStatus"].as_str()) {
            (false, _) | (true, "Unused") => {
                assert!(x["ConsumedQuantity"].is_empty() && x["ConsumedUnit"].is_empty())
            }
            (true, _) => {
                assert!(plain(&x["ConsumedQuantity"]));
                let seats = x["ChargeFrequency"] == "Recurring";
                assert_eq!(x["ConsumedUnit"], if seats { "Seats" } else { "Tokens" });
                assert_eq!(x["ChargeDescription"].contains("Seat"), seats, "{x:?}");
            }
        }
        // A commitment's purchase is amortised; usage covered by it is not billed.
        if has_id {
            assert_eq!(num(x, "BilledCost") == 0.0, usage, "{x:?}");
            if !usage {
                assert_eq!(num(x, "EffectiveCost"), 0.0, "{x:?}");
            }
        }
    }
    let schemes = ["basic", "api", "commit", "gpu", "gpu_drop", "seats"];
    let exported: std::collections::BTreeSet<&str> =
        rows.iter().map(|x| x["x_BillingScheme"].as_str()).collect();
    assert_eq!(exported, schemes.iter().copied().collect());
    for (m, month) in summary.monthly.iter().enumerate() {
        let start = &rows
            .iter()
            .map(|x| x["ChargePeriodStart"].clone())
            .collect::<std::collections::BTreeSet<_>>()
            .into_iter()
            .nth(m)
            .unwrap();
        for scheme in schemes {
            let mean_bill = match scheme {
                "basic" => month.bill.mean,
                name => {
                    let s = summary.schemes.iter().find(|s| s.name == name).unwrap();
                    s.monthly[m].bill.mean
                }
            };
            let (billed, effective) = sums(&mean_rows(&rows, scheme, start));
            // Each row is rounded to 6 decimals.
            let tol = 1e-5 + 1e-9 * mean_bill;
            assert!(
                (billed - mean_bill).abs() < tol,
                "{scheme} month {m}: Σ billed {billed} vs {mean_bill}"
            );
            assert!(
                (effective - mean_bill).abs() < tol,
                "{scheme} month {m}: Σ effective {effective} vs {mean_bill}"
            );
        }
        // The named spend commitment's unused row is its streamed mean unused commitment.
        let s = summary.schemes.iter().find(|s| s.name == "commit").unwrap();
        let unused = mean_rows(&rows, "commit", start)
            .iter()
            .filter(|x| x["CommitmentDiscountStatus"] == "Unused")
            .map(|x| num(x, "EffectiveCost"))
            .sum::<f64>();
        assert!(
            (unused - s.monthly[m].unused_commitment_mean).abs() < 1e-5,
            "month {m}: {unused} vs {}",
            s.monthly[m].unused_commitment_mean
        );
    }
}

#[test]
fn focus_csv_does_not_depend_on_threads() {
    let f = common::forecast::load(RANDOM_ORG, &[]);
    let one = common::forecast::run(&f, 300, 9, 1);
    let three = common::forecast::run(&f, 300, 9, 3);
    assert_eq!(
        focus_files(&f, &one, FocusSchemes::All, &EVERY_STATISTIC),
        focus_files(&f, &three, FocusSchemes::All, &EVERY_STATISTIC)
    );
}

#[test]
fn the_cli_writes_one_bill_per_file() {
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("fixed.toml");
    let task = format!(
        "\"{}/tests/forecasts/constant-batch-task.toml\"",
        env!("CARGO_MANIFEST_DIR")
    );
    std::fs::write(
        &file,
        FIXED_ORG.replace("\"constant-batch-task.toml\"", &task),
    )
    .unwrap();
    // Each file written, with the one scheme and the one statistic its rows carry.
    let files_of = |name: &str, args: &[&str]| {
        let out = dir.path().join(name);
        let output = assert_cmd::Command::cargo_bin("tokencast")
            .unwrap()
            .args(["forecast", "--trials", "20", "--no-stress", "--focus"])
            .args(args)
            .arg("--out")
            .arg(&out)
            .arg(&file)
            .output()
            .unwrap();
        assert!(
            output.status.success(),
            "{}",
            String::from_utf8_lossy(&output.stderr)
        );
        let mut found = BTreeMap::new();
        for entry in std::fs::read_dir(&out).unwrap() {
            let name = entry.unwrap().file_name().to_string_lossy().into_owned();
            if !name.starts_with("focus") {
                continue;
            }
            let rows = rows(&std::fs::read_to_string(out.join(&name)).unwrap());
            let one = |col: &str| {
                let v: std::collections::BTreeSet<_> =
                    rows.iter().map(|r| r[col].clone()).collect();
                assert_eq!(v.len(), 1, "{name}: one {col} per file, found {v:?}");
                v.into_iter().next().unwrap()
            };
            found.insert(name.clone(), (one("x_BillingScheme"), one("x_Statistic")));
        }
        found
    };
    let pair = |a: &str, b: &str| (a.to_string(), b.to_string());
    assert_eq!(
        files_of("headline", &[]),
        BTreeMap::from([("focus.csv".to_string(), pair("commit", "mean"))])
    );
    assert_eq!(
        files_of(
            "all",
            &["--focus-schemes", "all", "--focus-statistic", "p90,p50"]
        ),
        BTreeMap::from([
            ("focus.csv".to_string(), pair("commit", "mean")),
            ("focus-p50.csv".to_string(), pair("commit", "P50")),
            ("focus-p90.csv".to_string(), pair("commit", "P90")),
            ("focus-api.csv".to_string(), pair("api", "mean")),
            ("focus-gpu.csv".to_string(), pair("gpu", "mean")),
            ("focus-seats.csv".to_string(), pair("seats", "mean")),
        ])
    );
    // An unknown choice, or a FOCUS option without --focus, is bad input (exit 2).
    for args in [
        &["--focus", "--focus-schemes", "some"][..],
        &["--focus", "--focus-statistic", "p95"][..],
        &["--focus-schemes", "all"][..],
    ] {
        let output = assert_cmd::Command::cargo_bin("tokencast")
            .unwrap()
            .arg("forecast")
            .args(args)
            .arg(&file)
            .output()
            .unwrap();
        assert_eq!(output.status.code(), Some(2), "{args:?}");
    }
}

/// Sums of `BilledCost` as a FinOps tool makes them: per month and over the file.
fn billed_by_month(text: &str) -> (BTreeMap<String, f64>, f64) {
    let mut by_month = BTreeMap::new();
    let mut total = 0.0;
    for r in rows(text) {
        let v: f64 = r["BilledCost"].parse().unwrap();
        *by_month
            .entry(r["ChargePeriodStart"].clone())
            .or_insert(0.0) += v;
        total += v;
    }
    (by_month, total)
}

#[test]
fn summing_focus_csv_gives_the_forecast_mean_to_the_cent() {
    for (text, trials) in [(FIXED_ORG, 4), (RANDOM_ORG, 600)] {
        let (f, r) = run(text, trials);
        let summary = ForecastSummary::new(&f, &r);
        let files = focus_files(&f, &r, FocusSchemes::All, &EVERY_STATISTIC);
        let main = files.iter().find(|x| x.name == "focus.csv").unwrap();
        let (by_month, total) = billed_by_month(&main.text);
        assert_eq!(by_month.len(), summary.monthly.len());
        for (m, (_, billed)) in by_month.iter().enumerate() {
            let want = summary.monthly[m].bill.mean;
            assert!(
                (billed - want).abs() < 0.005,
                "month {m}: {billed} vs {want}"
            );
        }
        let want = summary.total_bill.mean;
        assert!((total - want).abs() < 0.005, "total {total} vs {want}");
        // Every other scheme's file sums to that scheme's mean bill.
        for scheme in &summary.schemes {
            let Some(file) = files.iter().find(|x| x.scheme == scheme.name) else {
                continue;
            };
            let (_, total) = billed_by_month(&file.text);
            let want = scheme.total.mean;
            assert!(
                (total - want).abs() < 0.005 * (1.0 + want / 1e6),
                "{}: {total} vs {want}",
                file.name
            );
        }
    }
}

#[test]
fn the_focus_table_names_the_billing_account_and_the_service() {
    let text = format!(
        "{RANDOM_ORG}\n[focus]\nbilling_account_id = \"acme-1\"\nbilling_account_name = \"Acme, Inc.\"\nservice_name = \"Claude API\"\n"
    );
    let (f, r) = run(&text, 20);
    for file in focus_files(&f, &r, FocusSchemes::All, &[]) {
        for x in rows(&file.text) {
            assert_eq!(x["BillingAccountId"], "acme-1");
            assert_eq!(
                x["BillingAccountName"], "Acme, Inc.",
                "quoted, read back whole"
            );
            assert_eq!(x["ServiceName"], "Claude API");
        }
    }
}

#[test]
fn every_column_rule_of_the_focus_validator_that_applies_holds() {
    // The FinOps Foundation's validator (FOCUS 1.2 rules) finds no failing rule in these files
    // but InvoiceId-C-005-C (see docs/guide/focus.md); these are its rules that apply here.
    let (f, r) = run(RANDOM_ORG, 300);
    let unit = |u: &str| {
        // FOCUS unit format: `<count unit>`, `<unit>-<plural time>` or `<quantity> <unit>`.
        let words = |w: &str| {
            !w.is_empty()
                && w.split(' ').all(|p| {
                    p.chars().next().is_some_and(|c| c.is_ascii_alphabetic())
                        && p.chars().all(|c| c.is_ascii_alphanumeric())
                })
        };
        words(u)
            || u.split_once('-')
                .is_some_and(|(a, t)| words(a) && ["Hours", "Days", "Months", "Years"].contains(&t))
            || u.split_once(' ')
                .is_some_and(|(n, w)| n.chars().all(|c| c.is_ascii_digit()) && words(w))
    };
    for file in focus_files(&f, &r, FocusSchemes::All, &EVERY_STATISTIC) {
        for x in rows(&file.text) {
            let at = format!("{}: {x:?}", file.name);
            for c in ["BillingAccountId", "BillingAccountName", "ServiceName"] {
                assert!(!x[c].is_empty(), "{c} not null: {at}");
            }
            assert_eq!(x["BillingAccountId"], "forecast/random", "{at}");
            assert_eq!(x["BillingAccountName"], "random", "{at}");
            assert_eq!(x["ServiceName"], "AI coding agents", "{at}");
            assert_eq!(x["ServiceCategory"], "AI and Machine Learning", "{at}");
            assert_eq!(x["ServiceSubcategory"], "Generative AI", "{at}");
            assert_eq!(x["InvoiceId"], "", "a forecast is not invoiced: {at}");
            assert!(unit(&x["PricingUnit"]), "PricingUnit format: {at}");
            if !x["ConsumedUnit"].is_empty() {
                assert!(unit(&x["ConsumedUnit"]), "ConsumedUnit format: {at}");
            }
            // EffectiveCost-C-005-C: a purchase covers future charges: EffectiveCost 0.
            // ConsumedQuantity-C-004-C/-006-C: null off usage and on unused commitment, else
            // a decimal.
            let unused = x["CommitmentDiscountStatus"] == "Unused";
            if x["ChargeCategory"] == "Purchase" {
                assert_eq!(x["EffectiveCost"].parse::<f64>().unwrap(), 0.0, "{at}");
                assert_eq!(x["ConsumedQuantity"], "", "{at}");
            } else if unused {
                assert_eq!(x["ConsumedQuantity"], "", "{at}");
            } else {
                assert!(x["ConsumedQuantity"].contains('.'), "a decimal: {at}");
            }
            sku_and_unit_price_rules_hold(&x, &at);
        }
        // SkuPriceId-C-008-M: one parent SkuId per SkuPriceId, over the file.
        let mut parent: BTreeMap<String, String> = BTreeMap::new();
        for x in rows(&file.text) {
            let p = parent
                .entry(x["SkuPriceId"].clone())
                .or_insert(x["SkuId"].clone());
            assert_eq!(
                *p, x["SkuId"],
                "{}: SkuPriceId {}",
                file.name, x["SkuPriceId"]
            );
        }
    }
}

/// The FOCUS 1.2 rules of the SKU, unit-price and pricing-currency columns (the validator's
/// `SkuId-C-*`, `SkuPriceId-C-*`, `SkuMeter-C-*`, `SkuPriceDetails-C-*`, `ListUnitPrice-C-*`,
/// `ContractedUnitPrice-C-*`, `PricingCurrency*-C-*` that a file can show) on one row.
fn sku_and_unit_price_rules_hold(x: &BTreeMap<String, String>, at: &str) {
    let priced = ["Usage", "Purchase"].contains(&x["ChargeCategory"].as_str())
        && x["ChargeClass"] != "Correction";
    assert!(priced, "{at}");
    // SkuId-C-005-C, SkuPriceId-C-005-C: not null on usage and purchases; SkuPriceId-C-011-O:
    // here equal to SkuId; SkuMeter-C-005-C: not null with a SkuId.
    for c in ["SkuId", "SkuPriceId", "SkuMeter"] {
        assert!(!x[c].is_empty(), "{c} not null: {at}");
    }
    assert_eq!(x["SkuPriceId"], x["SkuId"], "{at}");
    // SkuPriceDetails-C-001-M (a JSON object), -C-017-C (FOCUS keys or x_), -C-002-O (PascalCase).
    if !x["SkuPriceDetails"].is_empty() {
        let v: serde_json::Value = serde_json::from_str(&x["SkuPriceDetails"]).unwrap();
        let keys = v.as_object().unwrap_or_else(|| panic!("an object: {at}"));
        for k in keys.keys() {
            let focus = [
                "ModelId",
                "ModelDeveloper",
                "TokenDirection",
                "TokenCacheAction",
            ];
            assert!(
                focus.contains(&k.as_str()) || k.starts_with("x_"),
                "{k}: {at}"
            );
        }
    }
    // ListUnitPrice-C-005-C/-C-008-M/-C-010-C and ContractedUnitPrice-C-006-C/-C-009-C/-C-011-C:
    // not null, not negative, unit price × PricingQuantity = cost.
    let quantity = num(x, "PricingQuantity");
    for (price, cost) in [
        ("ListUnitPrice", "ListCost"),
        ("ContractedUnitPrice", "ContractedCost"),
    ] {
        let p = num(x, price);
        assert!(p >= 0.0, "{price}: {at}");
        let (got, want) = (p * quantity, num(x, cost));
        assert!(
            (got - want).abs() <= 1e-6 + 1e-12 * want,
            "{price} × PricingQuantity = {got}, {cost} {want}: {at}"
        );
    }
    // PricingCurrency-C-003-M/-C-004-M: a currency code, never null; the PricingCurrency
    // columns in it (equal to the billing ones when it is the billing currency).
    let pc = &x["PricingCurrency"];
    assert!(
        pc.len() == 3 && pc.chars().all(|c| c.is_ascii_uppercase()),
        "PricingCurrency {pc}: {at}"
    );
    for c in [
        "PricingCurrencyEffectiveCost",
        "PricingCurrencyListUnitPrice",
        "PricingCurrencyContractedUnitPrice",
    ] {
        assert!(num(x, c) >= 0.0, "{c}: {at}");
    }
    if *pc == x["BillingCurrency"] {
        assert_eq!(
            x["PricingCurrencyEffectiveCost"], x["EffectiveCost"],
            "{at}"
        );
        assert_eq!(
            x["PricingCurrencyListUnitPrice"], x["ListUnitPrice"],
            "{at}"
        );
        assert_eq!(
            x["PricingCurrencyContractedUnitPrice"], x["ContractedUnitPrice"],
            "{at}"
        );
    }
}

#[test]
fn an_empty_name_for_a_focus_column_is_rejected_at_its_place() {
    // An empty `[focus]` or `[forecast]` name would write a null into a column FOCUS requires.
    for (table, key, at) in [
        ("focus", "billing_account_id", "focus.billing_account_id"),
        ("focus", "service_name", "focus.service_name"),
        ("forecast", "provider", "forecast.provider"),
    ] {
        let text = if table == "focus" {
            format!("{RANDOM_ORG}\n[focus]\n{key} = \" \"\n")
        } else {
            RANDOM_ORG.replacen("[forecast]\n", &format!("[forecast]\n{key} = \"\"\n"), 1)
        };
        let err = common::forecast::try_load("f.toml", &text)
            .map(|_| ())
            .unwrap_err();
        assert!(
            err.starts_with("f.toml:")
                && err.contains(&format!("{at}: expected a name, found an empty string")),
            "{err}"
        );
    }
}

#[test]
fn a_currency_that_is_not_three_capital_letters_is_rejected_at_its_place() {
    // FOCUS writes BillingCurrency and PricingCurrency as ISO 4217 codes; `xcu`, `ABCD` or
    // `X C` passed before and made files the validator rejects.
    for (table, key, value, hint) in [
        ("focus", "pricing_currency", "xcu", "did you mean `XCU`?"),
        ("focus", "pricing_currency", "ABCD", "ISO 4217"),
        ("focus", "pricing_currency", "X C", "ISO 4217"),
        ("forecast", "currency", "usd", "did you mean `USD`?"),
    ] {
        let text = if table == "focus" {
            format!("{RANDOM_ORG}\n[focus]\n{key} = \"{value}\"\n")
        } else {
            RANDOM_ORG.replacen(
                "[forecast]\n",
                &format!("[forecast]\n{key} = \"{value}\"\n"),
                1,
            )
        };
        let err = common::forecast::try_load("f.toml", &text)
            .map(|_| ())
            .unwrap_err();
        assert!(
            err.starts_with("f.toml:")
                && err.contains(&format!(
                    "{table}.{key}: expected a currency code of three capital letters, found \"{value}\""
                ))
                && err.contains(hint),
            "{err}"
        );
    }
    // Codes are accepted as written.
    let text = format!("{RANDOM_ORG}\n[focus]\npricing_currency = \"CRD\"\n");
    assert!(common::forecast::try_load("f.toml", &text).is_ok());
}

#[test]
fn focus_1_3_adds_the_provider_and_contract_columns() {
    use tokencast::report::focus::{
        FOCUS_1_3_COLUMNS, FOCUS_SPEC_COLUMNS, FocusVersion, focus_columns, focus_files_of_version,
    };
    let org = format!("{FIXED_ORG}\n[focus]\nhost_provider = \"AWS\"\n")
        .replace("[forecast]\n", "[forecast]\nprovider = \"Anthropic\"\n");
    let (f, r) = run(&org, 2);
    let v12 = focus_files(&f, &r, FocusSchemes::All, &[]);
    let v13 = focus_files_of_version(&f, &r, FocusSchemes::All, &[], FocusVersion::V1_3);
    let columns = focus_columns(FocusVersion::V1_3);
    assert_eq!(
        &columns[FOCUS_SPEC_COLUMNS..FOCUS_SPEC_COLUMNS + 4],
        FOCUS_1_3_COLUMNS
    );
    assert_eq!(columns.len(), FOCUS_COLUMNS.len() + 4);
    assert_eq!(v12.len(), v13.len());
    let mut applied_rows = 0;
    for (a, b) in v12.iter().zip(&v13) {
        assert_eq!(a.name, b.name);
        let mut reader = csv::Reader::from_reader(b.text.as_bytes());
        let header: Vec<String> = reader.headers().unwrap().iter().map(String::from).collect();
        assert_eq!(header, columns);
        let old = rows(&a.text);
        let new: Vec<csv::StringRecord> = reader.records().map(Result::unwrap).collect();
        assert_eq!(old.len(), new.len());
        for (x, r) in old.iter().zip(&new) {
            let cell: BTreeMap<&str, &str> =
                header.iter().map(String::as_str).zip(r.iter()).collect();
            // Every 1.2 cell is kept.
            for c in FOCUS_COLUMNS {
                assert_eq!(x[*c], cell[c], "{c}");
            }
            assert_eq!(cell["ServiceProviderName"], "Anthropic");
            assert_eq!(cell["HostProviderName"], "AWS");
            // ContractApplied: on usage drawing down a spend commitment, its amortised cost.
            let draws = x["CommitmentDiscountStatus"] == "Used"
                && x["CommitmentDiscountCategory"] == "Spend";
            assert_eq!(cell["ContractApplied"].is_empty(), !draws, "{x:?}");
            assert_eq!(cell["ContractId"].is_empty(), !draws);
            if draws {
                applied_rows += 1;
                assert_eq!(cell["ContractId"], "fixed/commit");
                let json: serde_json::Value =
                    serde_json::from_str(cell["ContractApplied"]).unwrap();
                let entry = &json[0];
                assert_eq!(
                    entry["ContractCommitmentID"],
                    "fixed/commit/committed-spend"
                );
                let cost = entry["ContractCommitmentAppliedCost"].as_f64().unwrap();
                assert!((cost - num(x, "EffectiveCost")).abs() < 1e-9);
                assert!(entry["ContractCommitmentAppliedQuantity"].is_null());
                assert!(entry["ContractCommitmentAppliedUnit"].is_null());
            }
        }
    }
    assert_eq!(
        applied_rows, 6,
        "one covered row per SKU (m/input, m/output) a month in the committed scheme"
    );
}
