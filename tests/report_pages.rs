//! `compare` and `sweep` write `report.html` too: self-contained pages whose figures are those
//! of compare.json and sweep.csv, in words and with thousands separators, rendered in headless
//! Chromium with every chart laid out at a real size.

use std::fs;
use std::path::Path;

use assert_cmd::Command;
use serde_json::Value;

mod common;
use common::browser::{chromium_or_skip, dump_dom, probed_sizes, screenshot, with_size_probe};
use common::svg;

fn tokencast() -> Command {
    let mut cmd = Command::cargo_bin("tokencast").expect("the binary is built");
    cmd.env_remove("RUST_LOG");
    cmd
}

fn root() -> &'static Path {
    Path::new(env!("CARGO_MANIFEST_DIR"))
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

/// `1234567.4` → `1,234,567`, written independently of the tool's formatter.
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

/// The item of `items` whose number at `pointer` is lowest.
fn lowest<'a>(items: &'a [Value], pointer: &str) -> &'a Value {
    let at = |v: &Value| v.pointer(pointer).and_then(Value::as_f64).unwrap();
    items.iter().min_by(|a, b| at(a).total_cmp(&at(b))).unwrap()
}

fn self_contained(html: &str) {
    for bad in ["<script", " src=", " href=", "@import", "url("] {
        assert!(!html.contains(bad), "the page holds {bad}");
    }
}

/// Every chart of `page` is laid out at a real size in Chromium, in this order.
fn renders(page: &Path, charts: &[&str], test: &str) {
    let Some(browser) = chromium_or_skip(test) else {
        return;
    };
    screenshot(&browser, page, &page.with_file_name("shot.png"), 1100, 2000);
    let sizes = probed_sizes(&dump_dom(&browser, &with_size_probe(page)));
    let ids: Vec<&str> = sizes.iter().map(|(id, _, _)| id.as_str()).collect();
    assert_eq!(ids, charts);
    for (id, w, h) in sizes {
        assert!(w >= 600 && h >= 300, "{id} drawn at {w}x{h}");
    }
}

/// The page's two charts read: legends beside the plot covering no curve, schemes named in
/// words, months not periods, the money axis in one format, every crossing of the break-even
/// chart labelled with both schemes' names and no label over another.
fn charts_read(html: &str, schemes: &[Value]) {
    let svgs: Vec<&str> = html
        .split("<svg")
        .skip(1)
        .map(|s| s.split("</svg>").next().unwrap())
        .collect();
    assert_eq!(svgs.len(), 2, "the CDF and the break-even chart");
    let names: Vec<String> = schemes
        .iter()
        .map(|s| s["name"].as_str().unwrap().replace('_', " "))
        .collect();
    for svg in &svgs {
        assert_eq!(svg::legend_covers(svg), Vec::<String>::new());
        let texts: Vec<String> = svg::shapes(svg)
            .into_iter()
            .filter_map(|s| match s {
                svg::Shape::Text { content, .. } => Some(content),
                _ => None,
            })
            .collect();
        for t in &texts {
            assert!(!t.contains('_'), "a snake_case name in a chart: {t}");
            assert!(
                !t.contains("period"),
                "'period' where a month is meant: {t}"
            );
        }
        for n in &names {
            assert!(texts.contains(n), "{n} in the legend: {texts:?}");
        }
    }
    let ticks = svg::y_ticks(svgs[1]);
    assert!(
        ticks.iter().all(|t| t == "$0" || t.ends_with('K')),
        "{ticks:?}"
    );
    let labels = svg::boxed_labels(svgs[1], |t| t.contains(" = "));
    assert_eq!(svg::overlapping(&labels), Vec::<String>::new());
    for (t, _) in &labels {
        let (a, rest) = t.split_once(" = ").unwrap();
        // `a = b at x`, or a step's `a = b: a step between lo and hi`.
        let b = rest
            .split(" at ")
            .next()
            .unwrap()
            .split(": a step between ")
            .next()
            .unwrap();
        assert!(
            names.iter().any(|n| n == a) && names.iter().any(|n| n == b),
            "{t} names two schemes"
        );
    }
    // As many labels as crossing marks (a ring of 7 pixels, outside the legend).
    let shapes = svg::shapes(svgs[1]);
    let legend = svg::legend_box(&shapes).unwrap();
    let marks = shapes
        .iter()
        .filter(|s| matches!(s, svg::Shape::Circle { r, centre, .. } if *r == 7.0 && !svg::holds(legend, &[*centre])))
        .count();
    assert!(marks >= 2, "the sweep crosses");
    assert_eq!(labels.len(), marks, "{labels:?}");
}

#[test]
fn the_compare_report_states_the_cheapest_scheme_and_every_pair_as_compare_json() {
    // The bundled comparison with a short break-even sweep (the full one takes a minute).
    let dir = tempfile::tempdir().unwrap();
    let text = fs::read_to_string(root().join("scenarios/pricing-comparison.toml")).unwrap();
    let text = text.replace(
        "sweep = { min = 25, max = 400, points = 16, periods = 100 }",
        "sweep = { min = 50, max = 300, points = 4, periods = 20 }",
    );
    assert!(text.contains("points = 4"), "the sweep line moved");
    let file = dir.path().join("pricing-comparison.toml");
    fs::write(&file, text).unwrap();
    let out = dir.path().join("out");
    tokencast()
        .arg("compare")
        .arg(&file)
        .args(["--periods", "100", "--out"])
        .arg(&out)
        .assert()
        .success();
    let html = fs::read_to_string(out.join("report.html")).unwrap();
    let c: Value =
        serde_json::from_str(&fs::read_to_string(out.join("compare.json")).unwrap()).unwrap();
    let manifest: Value =
        serde_json::from_str(&fs::read_to_string(out.join("manifest.json")).unwrap()).unwrap();
    assert!(
        manifest["files"]
            .as_array()
            .unwrap()
            .iter()
            .any(|f| f == "report.html")
    );
    self_contained(&html);
    assert!(html.contains("<h1>pricing-comparison</h1>"));
    assert!(html.contains("100 simulated futures (trials), seed"));
    // The cheapest scheme by mean, named in words, with its mean ± SE.
    let schemes = c["schemes"].as_array().unwrap();
    let cheapest = lowest(schemes, "/cost_usd/mean");
    let name = cheapest["name"].as_str().unwrap().replace('_', " ");
    assert!(html.contains(&format!(
        "the cheapest scheme for this usage is <b>{name}</b>, at ${} ±",
        grouped(cheapest["cost_usd"]["mean"].as_f64().unwrap())
    )));
    // Every scheme's percentiles and every pair's difference and P(a cheaper).
    for s in schemes {
        for k in ["p50", "p90", "p99"] {
            let v = s["cost_usd"][k].as_f64().unwrap();
            assert!(
                html.contains(&format!("${}", grouped(v))),
                "{} {k}",
                s["name"]
            );
        }
    }
    for p in c["pairs"].as_array().unwrap() {
        let d = p["difference_usd"]["mean"].as_f64().unwrap();
        let sign = if d < 0.0 && grouped(d) != "0" {
            "−"
        } else {
            ""
        };
        let words = |k: &str| p[k].as_str().unwrap().replace('_', " ");
        let row = format!(
            "<td>{} − {}</td><td>{sign}${}",
            words("a"),
            words("b"),
            grouped(d)
        );
        assert!(html.contains(&row), "{row}");
        let q = format!(
            "{} ± {}",
            percent(p["p_a_cheaper"]["mean"].as_f64().unwrap()),
            percent(p["p_a_cheaper"]["se"].as_f64().unwrap())
        );
        assert!(html.contains(&q), "{q}");
    }
    // Break-evens in words, and what each scheme is.
    for b in c["break_even"].as_array().unwrap() {
        if let Some(x) = b["tasks_per_seat"].as_f64() {
            assert!(html.contains(&format!("break even at {x:.1} tasks per seat per period")));
        }
    }
    assert!(html.contains(">Assumptions<"));
    assert!(
        html.contains("$5,000/month committed"),
        "scheme terms in words"
    );
    charts_read(&html, schemes);
    assert!(html.contains("the share of simulated months that cost at most x"));
    assert!(html.contains("the label names both"));
    renders(
        &out.join("report.html"),
        &["compare_cdf", "compare_break_even"],
        "the_compare_report_states_the_cheapest_scheme_and_every_pair_as_compare_json",
    );
}

#[test]
fn the_sweep_report_gives_every_point_as_sweep_csv_and_names_the_replaced_distribution() {
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("out");
    tokencast()
        .arg("sweep")
        .arg(root().join("scenarios/org-forecast.toml"))
        .args([
            "--param",
            "usage.tasks_per_day=2,5",
            "--trials",
            "200",
            "--out",
        ])
        .arg(&out)
        .assert()
        .success();
    let html = fs::read_to_string(out.join("report.html")).unwrap();
    self_contained(&html);
    let csv = fs::read_to_string(out.join("sweep.csv")).unwrap();
    let mut lines = csv.lines();
    let header: Vec<&str> = lines.next().unwrap().split(',').collect();
    let col = |name: &str| header.iter().position(|h| *h == name).unwrap();
    for line in lines {
        let cells: Vec<&str> = line.split(',').collect();
        let f = |name: &str| cells[col(name)].parse::<f64>().unwrap();
        let row = format!(
            "<td>{}</td><td>${} ± {}</td><td>${}</td><td>${}</td>",
            cells[0],
            grouped(f("year1_mean")),
            grouped(f("year1_se")),
            grouped(f("year1_p50")),
            grouped(f("year1_p90"))
        );
        assert!(html.contains(&row), "{row}");
        let p = format!(
            "{} ± {}",
            percent(f("p_any_month_over_budget")),
            percent(f("p_any_month_over_budget_se"))
        );
        assert!(html.contains(&p), "{p}");
    }
    assert!(html.contains("Tasks per active user per working day"));
    assert!(
        html.contains("is uncertain in the file"),
        "the replaced distribution"
    );
    assert!(html.contains("Expected spend in 2027 ranges from"));
    renders(
        &out.join("report.html"),
        &["sweep"],
        "the_sweep_report_gives_every_point_as_sweep_csv_and_names_the_replaced_distribution",
    );
}

/// `compare FORECAST`'s page: the cheapest bill over the horizon and its pair as compare.json
/// has them, the break-even in words, the levers, self-contained, its chart drawn at a real
/// size in Chromium.
#[test]
fn the_forecast_comparison_page_states_compare_json_s_answer_and_levers() {
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("out");
    tokencast()
        .arg("compare")
        .arg(root().join("scenarios/compute-to-tokens/forecast.toml"))
        .args([
            "-n",
            "300",
            "--along",
            "billing.tokens.tokens.discount=0.2..0.6:5",
            "--along-trials",
            "200",
            "--out",
        ])
        .arg(&out)
        .assert()
        .success();
    let html = fs::read_to_string(out.join("report.html")).unwrap();
    self_contained(&html);
    let c: Value =
        serde_json::from_str(&fs::read_to_string(out.join("compare.json")).unwrap()).unwrap();
    let best = lowest(c["bills"].as_array().unwrap(), "/total/mean");
    let name = match best["name"].as_str().unwrap() {
        "basic" => "the basic bill".to_string(),
        other => other.replace('_', " "),
    };
    let stated = format!(
        "the cheapest bill on average is <b>{name}</b>, at ${} ±",
        grouped(best["total"]["mean"].as_f64().unwrap())
    );
    assert!(html.contains(&stated), "the page states: {stated}");
    let pair = &c["pairs"][0];
    let p = pair["total"]["p_cheaper"]["p"].as_f64().unwrap();
    let p_b = pair["p_b_cheaper_total"]["p"].as_f64().unwrap();
    let stated = if pair["a"] == best["name"] { p } else { p_b };
    assert!(
        html.contains(&format!("cheaper in {}", percent(stated))),
        "the page states P(cheaper) {}",
        percent(stated)
    );
    assert!(html.contains("Break-even over the whole forecast, as discount varies"));
    assert!(html.contains("Levers: the stress cases"));
    for case in c["levers"].as_array().unwrap() {
        assert!(
            html.contains(case["case"].as_str().unwrap()),
            "{}",
            case["case"]
        );
    }
    renders(
        &out.join("report.html"),
        &["compare_break_even"],
        "the_forecast_comparison_page_states_compare_json_s_answer_and_levers",
    );
}
