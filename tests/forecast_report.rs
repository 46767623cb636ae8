//! `forecast` writes `report.html`: one self-contained page with the verdict in words, the
//! months, the budgets, the bill by model and task kind, the schemes, the stress cases, what
//! drives the bill and the assumptions; every figure equal to summary.json's, amounts with
//! thousands separators, no raw snake_case, and it renders in headless Chromium with every
//! chart drawn at a non-zero size.

use std::fs;
use std::path::{Path, PathBuf};

use assert_cmd::Command;
use serde_json::Value;

mod common;
use common::browser::{
    chromium_or_skip, decode_png, dump_dom, inked_and_blue, probed_sizes, screenshot,
    with_size_probe,
};

/// Every chart of the bundled forecast's page run with `--sensitivity`.
const CHARTS: [&str; 9] = [
    "forecast_fan",
    "forecast_p_over_budget",
    "forecast_year_to_date",
    "forecast_budget_runs_out",
    "forecast_by_model",
    "forecast_by_task",
    "forecast_schemes",
    "forecast_stress",
    "forecast_tornado",
];

fn tokencast() -> Command {
    let mut cmd = Command::cargo_bin("tokencast").expect("the binary is built");
    cmd.env_remove("RUST_LOG");
    cmd
}

fn bundled() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("scenarios/org-forecast.toml")
}

fn forecast(file: &Path, out: &Path, extra: &[&str]) -> (String, Value) {
    tokencast()
        .arg("forecast")
        .arg(file)
        .args(["--out"])
        .arg(out)
        .args(extra)
        .assert()
        .success();
    let html = fs::read_to_string(out.join("report.html")).expect("report.html");
    let summary = serde_json::from_str(&fs::read_to_string(out.join("summary.json")).unwrap())
        .expect("summary.json");
    (html, summary)
}

/// A probability as the pages write it: one decimal, two below 1%, `0%` at zero (written
/// here from that rule, independently of the tool's formatter).
fn percent(p: f64) -> String {
    if p == 0.0 {
        "0%".to_string()
    } else if p.abs() < 0.01 {
        format!("{:.2}%", 100.0 * p)
    } else {
        format!("{:.1}%", 100.0 * p)
    }
}

/// `1234567.4` → `1,234,567` (written here, independently of the tool's formatter).
fn grouped(v: f64) -> String {
    let digits = format!("{:.0}", v.abs());
    let mut out = String::new();
    for (i, c) in digits.chars().enumerate() {
        if i > 0 && (digits.len() - i) % 3 == 0 {
            out.push(',');
        }
        out.push(c);
    }
    out
}

fn month_name(period: &str) -> String {
    const NAMES: [&str; 12] = [
        "January",
        "February",
        "March",
        "April",
        "May",
        "June",
        "July",
        "August",
        "September",
        "October",
        "November",
        "December",
    ];
    let (y, m) = period.split_once('-').unwrap();
    format!("{} {y}", NAMES[m.parse::<usize>().unwrap() - 1])
}

/// The text a reader sees: without charts, code, tags and entities.
fn visible_text(html: &str) -> String {
    let mut s = html.to_string();
    for (open, close) in [
        ("<svg", "</svg>"),
        ("<code>", "</code>"),
        ("<style>", "</style>"),
        ("<title>", "</title>"),
    ] {
        while let Some(a) = s.find(open) {
            let b = a + s[a..].find(close).expect("closed") + close.len();
            s.replace_range(a..b, " ");
        }
    }
    // Addresses are for machines.
    let s: String = s
        .split(' ')
        .filter(|w| !w.starts_with("http"))
        .collect::<Vec<_>>()
        .join(" ");
    let mut out = String::new();
    let mut in_tag = false;
    for c in s.chars() {
        match c {
            '<' => in_tag = true,
            '>' => {
                in_tag = false;
                out.push(' ');
            }
            c if !in_tag => out.push(c),
            _ => {}
        }
    }
    out.replace("&amp;", "&").replace("&#39;", "'")
}

/// Numbers of four or more digits written without thousands separators (years aside).
fn ungrouped_numbers(text: &str) -> Vec<String> {
    let mut bad = Vec::new();
    let chars: Vec<char> = text.chars().collect();
    let mut i = 0;
    while i < chars.len() {
        if chars[i].is_ascii_digit() && (i == 0 || !chars[i - 1].is_ascii_alphanumeric()) {
            let start = i;
            while i < chars.len() && (chars[i].is_ascii_digit() || chars[i] == ',') {
                i += 1;
            }
            let token: String = chars[start..i].iter().collect();
            let token = token.trim_end_matches(',');
            let year = token.len() == 4 && (token.starts_with("19") || token.starts_with("20"));
            if !token.contains(',') && token.len() >= 4 && !year {
                bad.push(token.to_string());
            }
            // Skip a decimal part: its digits are not grouped.
            if i < chars.len() && chars[i] == '.' {
                i += 1;
                while i < chars.len() && chars[i].is_ascii_digit() {
                    i += 1;
                }
            }
        } else {
            i += 1;
        }
    }
    bad
}

#[test]
fn the_bundled_forecasts_report_shows_every_section_with_the_summarys_figures() {
    let dir = tempfile::tempdir().unwrap();
    let (html, s) = forecast(
        &bundled(),
        dir.path(),
        &["--trials", "400", "--sensitivity"],
    );
    for stem in CHARTS {
        assert!(html.contains(&format!("<figure id=\"{stem}\">")), "{stem}");
    }
    for heading in [
        "The answer",
        "Month by month",
        "The annual budget",
        "Where the money goes",
        "Billing schemes side by side",
        "Stress cases",
        "What drives the bill",
        "Assumptions",
        "Seats",
        "Usage",
        "Task mix",
        "Drifts",
        "Rate card",
        "Billing",
        "Budgets",
        "Method",
    ] {
        assert!(html.contains(&format!(">{heading}")), "section {heading}");
    }
    // Title, description and the footer's trials and seed.
    assert!(html.contains("<h1>org-forecast</h1>"));
    assert!(html.contains("5,000 developers adopting coding agents"));
    assert!(html.contains("400 simulated futures (trials), seed 1"));
    let manifest: Value =
        serde_json::from_str(&fs::read_to_string(dir.path().join("manifest.json")).unwrap())
            .unwrap();
    assert!(
        manifest["files"]
            .as_array()
            .unwrap()
            .iter()
            .any(|f| f == "report.html")
    );
    assert!(html.contains(manifest["scenario_sha256"].as_str().unwrap()));

    // The verdict: every year's mean ± SE and percentiles, the annual budget's risk, the
    // riskiest month in words, as summary.json has them.
    for y in s["years"].as_array().unwrap() {
        let bill = &y["bill"];
        let f = |k: &str| bill[k].as_f64().unwrap();
        let mean = format!("${} ± {}", grouped(f("mean")), grouped(f("se")));
        assert!(html.contains(&mean), "year mean {mean}");
        for k in ["p50", "p90", "p99"] {
            assert!(html.contains(&format!("${}", grouped(f(k)))), "year {k}");
        }
        let b = &y["annual_budget"];
        let p = format!(
            "{} ± {}",
            percent(b["p_exceed"].as_f64().unwrap()),
            percent(b["p_exceed_se"].as_f64().unwrap())
        );
        assert!(
            html.contains(&format!(
                "<b>{p}</b> chance that {} exceeds its $500,000 budget",
                y["label"].as_str().unwrap()
            )),
            "annual verdict {p}"
        );
    }
    let riskiest = s["budget"]["riskiest_month"]["period"].as_str().unwrap();
    assert!(html.contains(&format!(
        "Most likely month to break the monthly budget: <b>{}</b>",
        month_name(riskiest)
    )));
    // Every month's P(over budget) in the table.
    for m in s["monthly"].as_array().unwrap() {
        let b = &m["monthly_budget"];
        let p = format!(
            "{} ± {}",
            percent(b["p_exceed"].as_f64().unwrap()),
            percent(b["p_exceed_se"].as_f64().unwrap())
        );
        assert!(html.contains(&p), "month {} P(over) {p}", m["period"]);
    }
    // By model: each year's parts with their shares, adding up to the year's mean.
    for y in s["years"].as_array().unwrap() {
        let total = y["bill"]["mean"].as_f64().unwrap();
        let mut sum = y["fixed_charges"]["mean"].as_f64().unwrap();
        for (name, d) in y["bill_by_model"].as_object().unwrap() {
            let mean = d["mean"].as_f64().unwrap();
            sum += mean;
            assert!(html.contains(&format!("<td>{name}</td>")), "{name}");
            assert!(
                html.contains(&format!("<td>${} ± ", grouped(mean))),
                "{name}"
            );
            assert!(html.contains(&percent(mean / total)));
        }
        assert!((sum - total).abs() <= 1e-6 * total, "{sum} vs {total}");
    }
    // Billing schemes: where each is cheaper than the headline, month by month with 95%
    // confidence on the paired difference, stated as the page states it (computed here from
    // summary.json's versus_headline); and each year's difference and chance in the table.
    let months = s["monthly"].as_array().unwrap();
    let periods: Vec<&str> = months
        .iter()
        .map(|m| m["period"].as_str().unwrap())
        .collect();
    for sc in s["schemes"].as_array().unwrap() {
        if sc["versus_headline"].is_null() {
            continue;
        }
        let name = sc["name"].as_str().unwrap().replace('_', " ");
        let v = &sc["versus_headline"];
        let cheaper: Vec<usize> = (0..months.len())
            .filter(|&i| {
                let m = &v["monthly"][i];
                m["mean_difference"].as_f64().unwrap() + 1.96 * m["se"].as_f64().unwrap() < 0.0
            })
            .collect();
        let tail = cheaper
            .first()
            .is_some_and(|&i| cheaper == (i..months.len()).collect::<Vec<_>>());
        let said = match cheaper.first() {
            None => format!("{name} never costs less than the headline bill in a month"),
            Some(_) if cheaper.len() == months.len() => {
                format!("{name} costs less than the headline bill in every month")
            }
            Some(&i) if tail => format!(
                "{name} costs less than the headline bill from {} on",
                month_name(periods[i])
            ),
            Some(_) => format!(
                "{name} costs less than the headline bill in {} of {} months",
                cheaper.len(),
                months.len()
            ),
        };
        assert!(html.contains(&said), "{said}");
        for y in v["years"].as_array().unwrap() {
            let d = y["mean_difference"].as_f64().unwrap();
            let sign = if d < 0.0 { "−" } else { "+" };
            let cell = format!("<td>{sign}${} (", grouped(d.abs()));
            assert!(html.contains(&cell), "{name}: {cell}");
        }
    }
    // Stress cases: every case's year means ± SE and P90s, as stress.json has them.
    let stress: Value =
        serde_json::from_str(&fs::read_to_string(dir.path().join("stress.json")).unwrap()).unwrap();
    for case in stress.as_array().unwrap() {
        for y in case["years"].as_array().unwrap() {
            let b = &y["bill"];
            let cell = format!(
                "<td>${} ± {}</td><td>${}</td>",
                grouped(b["mean"].as_f64().unwrap()),
                grouped(b["se"].as_f64().unwrap()),
                grouped(b["p90"].as_f64().unwrap())
            );
            assert!(html.contains(&cell), "{}: {cell}", case["name"]);
        }
    }
    // Sensitivity: each input's share of variance is its squared rank correlation over the
    // sum of them (the shares add up to 100%).
    let sens: Value =
        serde_json::from_str(&fs::read_to_string(dir.path().join("sensitivity.json")).unwrap())
            .unwrap();
    let rho2: Vec<f64> = sens["inputs"]
        .as_array()
        .unwrap()
        .iter()
        .map(|i| i["rank_correlation"].as_f64().unwrap().powi(2))
        .collect();
    let sum: f64 = rho2.iter().sum();
    for (i, r) in sens["inputs"].as_array().unwrap().iter().zip(&rho2) {
        let cell = format!(
            "<td>{:+.3} ± {:.3}</td><td>{}</td>",
            i["rank_correlation"].as_f64().unwrap(),
            i["rank_correlation_se"].as_f64().unwrap(),
            percent(r / sum)
        );
        assert!(html.contains(&cell), "{}: {cell}", i["input"]);
    }
    // The rate card: the catalog's source and as-of date.
    assert!(html.contains("catalog entry <code>claude-sonnet-4-5</code>"));
    assert!(html.contains("(as of 20"));
    // A task file that writes its own rates is named as their source, with its rates.
    assert!(html.contains(
        "written in <code>reference-coding-task.toml</code> (no source or date given there)"
    ));
    assert!(html.contains(
        "<td>sonnet <span class=\"note\">(bug fix)</span></td><td>$3</td><td>$15</td><td>$3.75</td><td>$0.3</td>"
    ));

    // Self-contained: no scripts, nothing fetched.
    for bad in ["<script", " src=", " href=", "@import", "url("] {
        assert!(!html.contains(bad), "the page holds {bad}");
    }
    // Readable: amounts grouped, no snake_case in what a reader sees.
    let text = visible_text(&html);
    let bad = ungrouped_numbers(&text);
    assert!(bad.is_empty(), "numbers without separators: {bad:?}");
    // A probability that is not zero never reads as 0.0% (one that is reads 0%).
    let zeros: Vec<&str> = text
        .split_whitespace()
        .filter(|w| {
            w.trim_matches(|c: char| !(c.is_ascii_digit() || c == '.' || c == '%')) == "0.0%"
        })
        .collect();
    assert!(
        zeros.is_empty(),
        "probabilities shown as 0.0%: {}",
        zeros.len()
    );
    let snake: Vec<&str> = text
        .split(|c: char| !(c.is_ascii_alphanumeric() || c == '_'))
        .filter(|w| w.contains('_') && w.chars().any(|c| c.is_ascii_lowercase()))
        .collect();
    assert!(snake.is_empty(), "snake_case in the text: {snake:?}");
}

#[test]
fn the_checks_of_readable_text_catch_what_they_look_for() {
    assert_eq!(
        ungrouped_numbers("$12345 and 1,234 in 2027, 0.12345"),
        ["12345"]
    );
    assert_eq!(ungrouped_numbers("4283 seats"), ["4283"]);
    assert!(ungrouped_numbers("$1,000,000 ± 2,345.50 in 2028-03").is_empty());
    let text = visible_text("<p>a<code>x_y</code><svg>9999</svg>b &amp; c</p>");
    assert_eq!(
        text.split_whitespace().collect::<Vec<_>>(),
        ["a", "b", "&", "c"]
    );
}

/// A deterministic organisation: no budget, no schemes, no stress cases; every trial is the
/// same, so the page states each year's bill with no spread.
const FIXED_ORG: &str = r#"
[forecast]
name = "fixed organisation"
start = "2027-01"
months = 6
[seats]
table = [ { month = 1, seats = 10 }, { month = 3, seats = 30 } ]
[usage]
active_share = 0.5
tasks_per_day = 2
counts = "fixed"
[calendar]
working_days = 20
[[tasks]]
name = "a"
scenario = "constant-task.toml"
weight = 1
[aggregation]
pool_size = 16
exact_tasks_max = 300
"#;

#[test]
fn a_forecast_without_budgets_or_schemes_gets_a_page_without_those_sections() {
    let dir = tempfile::tempdir().unwrap();
    fs::copy(
        Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/forecasts/constant-task.toml"),
        dir.path().join("constant-task.toml"),
    )
    .unwrap();
    let file = dir.path().join("fixed.toml");
    fs::write(&file, FIXED_ORG).unwrap();
    let out = dir.path().join("out");
    // One trial: every figure is that trial's (issue 20 item 2: a run of one trial writes).
    let (html, s) = forecast(&file, &out, &["--trials", "1"]);
    for absent in [
        "The annual budget",
        "Billing schemes side by side",
        "Stress cases",
        "What drives the bill",
        "forecast_p_over_budget",
        "Most likely month to break",
    ] {
        assert!(!html.contains(absent), "{absent}");
    }
    // 10 seats × 0.5 active × 2 tasks × 20 days = 200 tasks in January at $0.0105 each,
    // billed at list prices: $2.10; February halfway along the seats table (20 seats): 400
    // tasks, $4.20; 30 seats from March: 600 tasks, $6.30.
    let months = s["monthly"].as_array().unwrap();
    assert_eq!(months[0]["tasks"]["mean"].as_f64().unwrap(), 200.0);
    assert!((months[0]["bill"]["mean"].as_f64().unwrap() - 2.10).abs() < 1e-9);
    assert!(html.contains("<td>Jan 2027</td><td>10</td><td>200</td><td>$2.10 ± 0.00</td>"));
    assert!(html.contains("<td>Feb 2027</td><td>20</td><td>400</td><td>$4.20 ± 0.00</td>"));
    assert!(html.contains("<td>Mar 2027</td><td>30</td><td>600</td><td>$6.30 ± 0.00</td>"));
    // The year (a partial one: 6 months) with the same value at every percentile.
    let total: f64 = months
        .iter()
        .map(|m| m["bill"]["mean"].as_f64().unwrap())
        .sum();
    assert!((total - (2.10 + 4.20 + 4.0 * 6.30)).abs() < 1e-9, "{total}");
    assert!(html.contains(&format!("expected spend <b>${total:.2} ± 0.00</b>")));
    assert!(html.contains(&format!(
        "stays below ${total:.2}, in 9 out of 10 below ${total:.2}"
    )));
}

#[test]
fn year_to_date_spend_restarts_each_year_and_adds_up_the_months() {
    let dir = tempfile::tempdir().unwrap();
    let (_, s) = forecast(&bundled(), dir.path(), &["--trials", "300", "--no-stress"]);
    let months = s["monthly"].as_array().unwrap();
    for y in s["years"].as_array().unwrap() {
        let [first, last] = [0, 1].map(|i| y["months"][i].as_u64().unwrap() as usize);
        let mut running = 0.0;
        for m in &months[first - 1..last] {
            running += m["bill"]["mean"].as_f64().unwrap();
            let ytd = &m["year_to_date_bill"];
            // The mean of a sum is the sum of the means (exact up to rounding).
            let got = ytd["mean"].as_f64().unwrap();
            assert!(
                (got - running).abs() <= 1e-9 * running.max(1.0),
                "{}: {got} vs {running}",
                m["period"]
            );
        }
        // In the year's first month, spend so far is that month's bill, trial by trial.
        let m = &months[first - 1];
        for k in ["min", "p50", "p90", "max"] {
            assert_eq!(m["year_to_date_bill"][k], m["bill"][k], "{k}");
        }
    }
}

#[test]
fn the_forecast_report_renders_in_headless_chromium_with_every_chart_drawn() {
    let Some(browser) =
        chromium_or_skip("the_forecast_report_renders_in_headless_chromium_with_every_chart_drawn")
    else {
        return;
    };
    let dir = tempfile::tempdir().unwrap();
    forecast(
        &bundled(),
        dir.path(),
        &["--trials", "300", "--sensitivity"],
    );
    let page = dir.path().join("report.html");
    let shot = dir.path().join("screenshot.png");
    screenshot(&browser, &page, &shot, 1100, 3000);
    let (w, h, pixels, channels) = decode_png(&fs::read(&shot).expect("a screenshot"));
    assert!(w >= 1000 && h >= 3000, "{w}x{h}");
    let (inked, blue) = inked_and_blue(&pixels, channels);
    assert!(
        inked as f64 > 0.02 * (pixels.len() / channels) as f64,
        "screenshot is blank"
    );
    assert!(blue > 5_000, "no chart visible: {blue} blue pixels");
    // Every chart laid out at a real size (the probe is added to a copy; the page has no
    // scripts of its own).
    let sizes = probed_sizes(&dump_dom(&browser, &with_size_probe(&page)));
    let ids: Vec<&str> = sizes.iter().map(|(id, _, _)| id.as_str()).collect();
    assert_eq!(ids, CHARTS);
    for (id, w, h) in sizes {
        assert!(w >= 600 && h >= 300, "{id} drawn at {w}x{h}");
    }
}
