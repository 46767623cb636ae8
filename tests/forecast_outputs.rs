//! Forecast outputs: stress cases scale exactly under common random numbers, sensitivity ranks
//! inputs, FOCUS columns and formats, and the CLI (`forecast`, `sweep`, bad `--set`).

use std::path::Path;

use assert_cmd::Command;
use tokencast::forecast::{
    Forecast, ForecastConfig, ForecastSummary, Override, Record, sensitivity, simulate, stress,
};
use tokencast::report::focus::{FOCUS_COLUMNS, FOCUS_SPEC_COLUMNS, FocusSchemes, focus_files};

/// `focus.csv`: the headline bill's mean.
fn focus_csv(f: &Forecast, run: &tokencast::forecast::ForecastRun) -> String {
    focus_files(f, run, FocusSchemes::Headline, &[])
        .into_iter()
        .find(|x| x.name == "focus.csv")
        .expect("focus.csv")
        .text
}

const ORG: &str = r#"
[forecast]
name = "small-org"
start = "2027-11"
months = 14
provider = "Anthropic"
[seats]
logistic = { capacity = 200, midpoint = 4, rate = { uniform = { min = 0.4, max = 0.9 } } }
[usage]
active_share = { uniform = { min = 0.5, max = 0.9 } }
tasks_per_day = 2
dispersion = 2
intensity_sigma = 0.5
[[tasks]]
name = "bug fix"
scenario = "../../scenarios/reference-coding-task.toml"
weight = 1
[[tasks]]
name = "const"
scenario = "constant-task.toml"
weight = 1
[drift]
price = -0.01
[billing]
discount = 0.2
[budget]
annual = 5000
[[stress]]
name = "prices -30%"
prices = 0.7
[[stress]]
name = "no constant tasks"
set = { "tasks[1].weight" = 0.000001 }
[aggregation]
pool_size = 4096
"#;

fn load(sets: &[&str]) -> Forecast {
    let sets: Vec<Override> = sets.iter().map(|s| Override::parse(s).unwrap()).collect();
    Forecast::from_text(
        "o.toml",
        "o",
        Path::new("tests/forecasts"),
        ORG,
        &sets,
        None,
        Some(1),
    )
    .unwrap_or_else(|e| panic!("{e}"))
}

const CONFIG: ForecastConfig = ForecastConfig {
    trials: 2000,
    seed: 3,
    threads: Some(2),
    record: Record::FirstTrials,
};

#[test]
fn a_price_stress_scales_every_bill_exactly() {
    let f = load(&[]);
    let base = simulate::run(&f.model, &CONFIG).unwrap();
    let cheap = stress::case_forecast(&f, 0, CONFIG.seed, None).unwrap();
    let run = simulate::run(&cheap.model, &CONFIG).unwrap();
    // Common random numbers: the same trials, every bill times 0.7.
    for (a, b) in base.bill.iter().zip(&run.bill) {
        assert!((a * 0.7 - b).abs() <= 1e-9 * a.max(1.0), "{a} vs {b}");
    }
    assert_eq!(base.tokens, run.tokens);
    let rows = stress::run_all(&f, &base, &CONFIG).unwrap();
    assert_eq!(rows.len(), 3);
    assert_eq!(rows[0].name, "base");
    assert!((rows[1].total.mean - 0.7 * rows[0].total.mean).abs() < 1e-6 * rows[0].total.mean);
}

#[test]
fn sensitivity_ranks_the_uncertain_inputs() {
    let f = load(&[]);
    let run = simulate::run(&f.model, &CONFIG).unwrap();
    let s = sensitivity::analyse(&f, &run, &CONFIG).unwrap();
    let names: Vec<&str> = s.inputs.iter().map(|i| i.input.as_str()).collect();
    assert_eq!(names.len(), 2, "{names:?}");
    assert!(names.contains(&"usage.active_share") && names.contains(&"seats.logistic.rate"));
    // The bill grows with the active share: pinning it high raises the P90, and its draws are
    // positively rank-correlated with the outcome.
    let share = s
        .inputs
        .iter()
        .find(|i| i.input == "usage.active_share")
        .unwrap();
    assert!(share.outcome_p90_high > share.outcome_p90_low);
    assert!(share.rank_correlation > 4.0 * share.rank_correlation_se);
    assert!((share.low_value - 0.54).abs() < 0.02 && (share.high_value - 0.86).abs() < 0.02);
    assert!(s.inputs[0].swing >= s.inputs[1].swing);
}

/// Mean rows of `focus.csv` by month: (usage, fixed charges) sums of BilledCost, and the fixed
/// charges' descriptions (seat fees are recurring usage, commitments purchases).
fn focus_mean_sums(text: &str, months: usize) -> (Vec<[f64; 2]>, Vec<String>) {
    let mut reader = csv::Reader::from_reader(text.as_bytes());
    let header: Vec<String> = reader.headers().unwrap().iter().map(String::from).collect();
    let col = |name: &str| header.iter().position(|h| h == name).unwrap();
    let mut sums = vec![[0.0; 2]; months];
    let mut purchases = Vec::new();
    let mut period = String::new();
    let mut m = usize::MAX;
    for r in reader.records().map(Result::unwrap) {
        if r[col("ChargePeriodStart")] != *period {
            period = r[col("ChargePeriodStart")].to_string();
            m = m.wrapping_add(1);
        }
        if &r[col("x_Statistic")] != "mean" {
            continue;
        }
        let billed: f64 = r[col("BilledCost")].parse().unwrap();
        match (&r[col("ChargeCategory")], &r[col("ChargeFrequency")]) {
            ("Usage", "Usage-Based") => {
                // FOCUS: null on unused commitment, tokens on usage.
                let unused = &r[col("CommitmentDiscountStatus")] == "Unused";
                assert_eq!(r[col("ConsumedQuantity")].is_empty(), unused);
                sums[m][0] += billed;
            }
            ("Usage", "Recurring") => {
                assert_eq!(&r[col("ConsumedUnit")], "Seats");
                sums[m][1] += billed;
                purchases.push(r[col("ChargeDescription")].to_string());
            }
            ("Purchase", "Recurring") => {
                assert!(r[col("ConsumedQuantity")].is_empty() && r[col("ConsumedUnit")].is_empty());
                sums[m][1] += billed;
                purchases.push(r[col("ChargeDescription")].to_string());
            }
            other => panic!("unexpected charge {other:?}"),
        }
    }
    (sums, purchases)
}

#[test]
fn focus_has_seat_fees_and_commitments_as_fixed_charges_adding_up_to_the_bill() {
    let cases = [
        (
            "discount = 0.2",
            "commitment = { monthly = 300, discount = 0.2 }\nseat_fee = 2.5",
            vec!["Seat fees", "Committed spend"],
        ),
        (
            "discount = 0.2",
            "headline = \"plan\"\n[billing.plan]\nseats = { usd_per_seat = 20, allowance = { usd = 3 }, beyond = \"api_prices\" }",
            vec!["Seat subscription"],
        ),
    ];
    for (from, to, expected) in cases {
        let text = ORG.replace(from, to);
        let f = Forecast::from_text(
            "o.toml",
            "o",
            Path::new("tests/forecasts"),
            &text,
            &[] as &[Override],
            None,
            Some(1),
        )
        .unwrap_or_else(|e| panic!("{e}"));
        let run = simulate::run(&f.model, &CONFIG).unwrap();
        let summary = ForecastSummary::new(&f, &run);
        let (sums, purchases) = focus_mean_sums(&focus_csv(&f, &run), 14);
        for (m, month) in summary.monthly.iter().enumerate() {
            // Mean rows are rounded to 6 decimals each.
            assert!(
                (sums[m][0] + sums[m][1] - month.bill.mean).abs() < 1e-4,
                "month {m}: {:?} vs {}",
                sums[m],
                month.bill.mean
            );
            assert!((sums[m][1] - month.fixed_charges.mean).abs() < 1e-4);
        }
        for e in &expected {
            assert_eq!(
                purchases.iter().filter(|p| p.contains(e)).count(),
                14,
                "{e}: {purchases:?}"
            );
        }
    }
}

#[test]
fn focus_rows_have_the_columns_and_formats() {
    let f = load(&[]);
    let run = simulate::run(&f.model, &CONFIG).unwrap();
    let text = focus_csv(&f, &run);
    let mut reader = csv::Reader::from_reader(text.as_bytes());
    let header: Vec<String> = reader.headers().unwrap().iter().map(String::from).collect();
    assert_eq!(header, FOCUS_COLUMNS);
    for required in [
        "BilledCost",
        "EffectiveCost",
        "ListCost",
        "ContractedCost",
        "ChargePeriodStart",
        "ChargePeriodEnd",
        "BillingPeriodStart",
        "BillingPeriodEnd",
        "ChargeCategory",
        "ConsumedQuantity",
        "ConsumedUnit",
        "PricingUnit",
        "ServiceName",
        "ServiceCategory",
        "ProviderName",
        "PublisherName",
        "BillingCurrency",
    ] {
        assert!(header.iter().any(|h| h == required), "{required}");
    }
    for h in &header[FOCUS_SPEC_COLUMNS..] {
        assert!(h.starts_with("x_"), "custom column {h}");
    }
    let col = |name: &str| header.iter().position(|h| h == name).unwrap();
    let rows: Vec<csv::StringRecord> = reader.records().map(Result::unwrap).collect();
    // 14 months x the SKUs of 2 task kinds: focus.csv holds one bill, the mean. The constant
    // task uses model m's input and output tokens.
    let skus: std::collections::BTreeSet<(String, String)> = rows
        .iter()
        .map(|r| {
            (
                r[col("x_TaskKind")].to_string(),
                r[col("SkuId")].to_string(),
            )
        })
        .collect();
    assert_eq!(rows.len(), 14 * skus.len());
    let constant: Vec<&str> = skus
        .iter()
        .filter(|(k, _)| k == "const")
        .map(|(_, s)| s.as_str())
        .collect();
    assert_eq!(constant, ["m/input", "m/output"]);
    assert!(
        skus.iter()
            .any(|(k, s)| k == "bug fix" && s.ends_with("/cache_read"))
    );
    let iso = |s: &str| {
        s.len() == 20
            && s.ends_with("T00:00:00Z")
            && s.as_bytes()[4] == b'-'
            && s.as_bytes()[7] == b'-'
    };
    for r in &rows {
        for c in [
            "BillingPeriodStart",
            "BillingPeriodEnd",
            "ChargePeriodStart",
            "ChargePeriodEnd",
        ] {
            assert!(iso(&r[col(c)]), "{c}: {}", &r[col(c)]);
        }
        for c in [
            "BilledCost",
            "EffectiveCost",
            "ListCost",
            "ContractedCost",
            "ConsumedQuantity",
        ] {
            let v = &r[col(c)];
            assert!(
                v.chars().all(|ch| ch.is_ascii_digit() || ch == '.'),
                "{c} is not a plain decimal: {v}"
            );
            v.parse::<f64>().unwrap();
        }
        assert_eq!(&r[col("ConsumedUnit")], "Tokens");
        assert_eq!(&r[col("ServiceCategory")], "AI and Machine Learning");
        assert_eq!(&r[col("BillingCurrency")], "USD");
        assert_eq!(&r[col("ChargeCategory")], "Usage");
        let (billed, list): (f64, f64) = (
            r[col("BilledCost")].parse().unwrap(),
            r[col("ListCost")].parse().unwrap(),
        );
        assert!((billed - 0.8 * list).abs() < 1e-5 * list.max(1.0));
    }
    // The year rolls over: month 3 of a forecast starting in November is January.
    assert!(
        rows.iter()
            .any(|r| &r[col("BillingPeriodStart")] == "2028-01-01T00:00:00Z"
                && &r[col("BillingPeriodEnd")] == "2028-02-01T00:00:00Z")
    );
    // Mean rows add up to the summary's monthly mean bill.
    let summary = ForecastSummary::new(&f, &run);
    let month1: f64 = rows
        .iter()
        .filter(|r| {
            &r[col("x_Statistic")] == "mean" && r[col("ChargePeriodStart")].starts_with("2027-11")
        })
        .map(|r| r[col("BilledCost")].parse::<f64>().unwrap())
        .sum();
    assert!((month1 - summary.monthly[0].bill.mean).abs() < 1e-4 * month1.max(1.0));
}

fn tokencast() -> Command {
    let mut cmd = Command::cargo_bin("tokencast").unwrap();
    cmd.current_dir(env!("CARGO_MANIFEST_DIR"));
    cmd
}

#[test]
fn the_cli_writes_every_forecast_output() {
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("org.toml");
    std::fs::write(
        &file,
        ORG.replace(
            "../../scenarios/reference-coding-task.toml",
            &format!(
                "{}/scenarios/reference-coding-task.toml",
                env!("CARGO_MANIFEST_DIR")
            ),
        )
        .replace(
            "\"constant-task.toml\"",
            &format!(
                "\"{}/tests/forecasts/constant-task.toml\"",
                env!("CARGO_MANIFEST_DIR")
            ),
        ),
    )
    .unwrap();
    let out = dir.path().join("out");
    let output = tokencast()
        .args([
            "forecast",
            "--trials",
            "500",
            "--focus",
            "--sensitivity",
            "--out",
        ])
        .arg(&out)
        .arg(&file)
        .output()
        .unwrap();
    assert!(
        output.status.success(),
        "{}",
        String::from_utf8_lossy(&output.stderr)
    );
    for name in [
        "summary.json",
        "monthly.csv",
        "manifest.json",
        "focus.csv",
        "forecast_fan.png",
        "forecast_fan.svg",
        "stress.csv",
        "stress.json",
        "sensitivity.csv",
        "forecast_tornado.svg",
    ] {
        assert!(out.join(name).exists(), "{name} missing");
    }
    let summary: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(out.join("summary.json")).unwrap()).unwrap();
    assert_eq!(summary["monthly"].as_array().unwrap().len(), 14);
    assert!(
        summary["aggregation"]["validation"]
            .as_str()
            .unwrap()
            .contains("brute-force")
    );
    let monthly = std::fs::read_to_string(out.join("monthly.csv")).unwrap();
    assert_eq!(monthly.lines().count(), 15);

    // A typo in --set is bad input (exit 2) with a suggestion, and nothing runs.
    let output = tokencast()
        .args(["forecast", "--set", "usage.activ_share=0.5", "--out"])
        .arg(dir.path().join("never"))
        .arg(&file)
        .output()
        .unwrap();
    assert_eq!(output.status.code(), Some(2));
    let err = String::from_utf8_lossy(&output.stderr);
    assert!(
        err.contains("--set usage.activ_share") && err.contains("did you mean `active_share`?"),
        "{err}"
    );
    assert!(!dir.path().join("never").exists());

    // A sweep over two parameters: 3 x 2 points, CSV and chart.
    let sweep = dir.path().join("sweep");
    let output = tokencast()
        .args([
            "sweep",
            "--trials",
            "200",
            "--param",
            "usage.tasks_per_day=1,2,3",
            "--param",
            "billing.discount=0,0.5",
            "--out",
        ])
        .arg(&sweep)
        .arg(&file)
        .output()
        .unwrap();
    assert!(
        output.status.success(),
        "{}",
        String::from_utf8_lossy(&output.stderr)
    );
    let csv = std::fs::read_to_string(sweep.join("sweep.csv")).unwrap();
    let lines: Vec<&str> = csv.lines().collect();
    assert_eq!(lines.len(), 7, "{csv}");
    assert!(
        lines[0].starts_with("usage.tasks_per_day,billing.discount,year1,year1_mean"),
        "{csv}"
    );
    assert!(sweep.join("sweep.svg").exists());
    // A discount of 50% halves the bill exactly (same seed, same trials).
    let mean = |l: &str| l.split(',').nth(3).unwrap().parse::<f64>().unwrap();
    assert!(
        (mean(lines[1]) * 0.5 - mean(lines[2])).abs() < 0.02,
        "{csv}"
    );
}

#[test]
fn validate_explains_a_forecast_without_running_it() {
    let tmp = tempfile::tempdir().unwrap();
    let out = Command::cargo_bin("tokencast")
        .unwrap()
        .current_dir(tmp.path())
        .args(["validate"])
        .arg(Path::new(env!("CARGO_MANIFEST_DIR")).join("scenarios/org-forecast.toml"))
        .assert()
        .success()
        .get_output()
        .stdout
        .clone();
    let text = String::from_utf8(out).unwrap();
    for part in [
        "forecast org-forecast",
        "24 months, 2027-01 to 2028-12",
        "seats: logistic: capacity triangular(4000, 4800, 5000)",
        "P10        P50        P90",
        "working days by month: 20 20 23",
        "bug fix",
        "feature (opus) → feature (sonnet)",
        "basic: list prices less 10% [headline]",
        "seat_plan (seats): $19 per seat with $25 of list-price usage each",
        "committed (commitment)",
        "provisioned (compute_hours): units for the P95 peak working hour",
        "budget: monthly $50,000, annual $500,000",
        "committed (commitment): $25,000/month committed at 25% off",
        "1,000,000 tokens/min each",
        "no move to Sonnet: drift.mix_shift[0].max = 0.0",
        "ok: the forecast is valid",
    ] {
        assert!(text.contains(part), "missing {part:?} in\n{text}");
    }
    // Nothing ran: no output directory.
    assert!(!tmp.path().join("output").exists());
}
