//! Charts that read, checked from the drawn SVG: the legend of the CDF overlay, of the
//! break-even chart and of the fan chart (with stress lines) stands beside the plot and no
//! line or band passes through it, however the data fill the plot; the break-even chart names
//! both lines at every crossing, in their own colours, with labels that overlap neither each
//! other nor a mark; a linear money axis writes every tick in one format.

use tokencast::report::charts::{
    self, BreakEven, CdfOverlay, CdfSeries, CostLine, FanChart, FanLine, FanPeriod, LimitLine,
    Scale, Unit, style,
};

mod common;
use common::svg::{self, Shape};

/// `#RRGGBB` of a palette colour, as plotters writes it.
fn hex(c: plotters::style::RGBColor) -> String {
    format!("#{:02X}{:02X}{:02X}", c.0, c.1, c.2)
}

/// Six curves that together reach every corner of the plot, the upper right included (where
/// a legend inside the plot used to sit).
fn crowded_cdf() -> CdfOverlay {
    let series = (0..6)
        .map(|k| CdfSeries {
            name: format!("scheme number {k}"),
            points: (0..=100)
                .map(|i| {
                    let p = i as f64 / 100.0;
                    (1000.0 * (1.0 + k as f64) + 6000.0 * p, p)
                })
                .collect(),
        })
        .collect();
    CdfOverlay {
        stem: "compare_cdf".into(),
        title: "Monthly bill".into(),
        x_description: "Bill per month".into(),
        unit: Unit::Usd,
        x_scale: Scale::Linear,
        y_description: "Share of months at or below".into(),
        series,
    }
}

/// Five lines through nearly one point (ten crossings crowded together), a flat one along
/// the top and a limit: the worst case for labels.
fn crowded_break_even() -> BreakEven {
    let line = |k: usize, slope: f64| CostLine {
        name: format!("plan {k}"),
        points: (0..=10)
            .map(|i| {
                let x = 20.0 * i as f64;
                (x, 10_000.0 + slope * (x - 100.0) + 37.0 * k as f64)
            })
            .collect(),
        band: (0..=10)
            .map(|i| {
                let x = 20.0 * i as f64;
                let y = 10_000.0 + slope * (x - 100.0) + 37.0 * k as f64;
                (x, y - 300.0, y + 300.0)
            })
            .collect(),
    };
    let mut lines: Vec<CostLine> = (0..5).map(|k| line(k, 20.0 + 15.0 * k as f64)).collect();
    lines.push(CostLine {
        name: "flat fee".into(),
        points: vec![(0.0, 19_000.0), (200.0, 19_000.0)],
        band: Vec::new(),
    });
    BreakEven {
        stem: "compare_break_even".into(),
        title: "Mean monthly bill against tasks per seat".into(),
        x_description: "Tasks per seat per month".into(),
        x_unit: Unit::Count,
        y_description: "Bill per month".into(),
        y_unit: Unit::Usd,
        lines,
        limit: Some(LimitLine {
            name: "budget".into(),
            value: 15_000.0,
        }),
        current: None,
        steps: Vec::new(),
    }
}

/// A fan whose stress lines run through the upper left and upper right, where a legend
/// inside the plot would sit.
fn stressed_fan() -> FanChart {
    let periods: Vec<FanPeriod> = (0..24)
        .map(|m| {
            let base = 1000.0 * (1.0 + m as f64);
            FanPeriod {
                label: format!("{}-{:02}", 2027 + m / 12, m % 12 + 1),
                p5: 0.6 * base,
                p25: 0.85 * base,
                p50: base,
                p75: 1.2 * base,
                p95: 1.6 * base,
            }
        })
        .collect();
    let top = 1.6 * 24_000.0;
    let lines = (0..4)
        .flat_map(|k| {
            [false, true].map(|dashed| FanLine {
                name: format!("stress case {k}: {}", if dashed { "P90" } else { "median" }),
                values: (0..24)
                    .map(|m| top * (0.9 - 0.1 * k as f64) * if m % 2 == 0 { 1.0 } else { 0.8 })
                    .collect(),
                dashed,
                colour: k,
            })
        })
        .collect();
    FanChart {
        stem: "forecast_stress".into(),
        title: "Stress cases".into(),
        y_description: "Monthly bill".into(),
        unit: Unit::Usd,
        x_description: "Month".into(),
        periods,
        budget: vec![30_000.0; 24],
        lines,
    }
}

/// The legend's box lies right of every line and band, and no segment passes through it.
fn legend_beside_the_data(svg: &str, what: &str) {
    // To look at them: CHART_LAYOUT_PREVIEW=DIR cargo test --test chart_layout
    if let Some(dir) = std::env::var_os("CHART_LAYOUT_PREVIEW") {
        let name = what.replace(' ', "_") + ".svg";
        std::fs::write(std::path::Path::new(&dir).join(name), svg).unwrap();
    }
    assert_eq!(svg::legend_covers(svg), Vec::<String>::new(), "{what}");
    let shapes = svg::shapes(svg);
    let legend = svg::legend_box(&shapes).expect("a legend box");
    let rightmost = svg::data_segments(&shapes, legend)
        .iter()
        .flat_map(|(_, p, q)| [p.0, q.0])
        .fold(0.0, f64::max);
    assert!(
        rightmost < legend.0,
        "{what}: data reach x = {rightmost}, the legend starts at {}",
        legend.0
    );
}

#[test]
fn legends_stand_beside_the_plot_and_cover_no_line() {
    let cdf = crowded_cdf();
    let svg = charts::render_svg(&cdf).unwrap();
    legend_beside_the_data(&svg, "CDF overlay");
    for s in &cdf.series {
        assert!(
            svg.contains(&format!("\n{}\n", s.name)),
            "{} in the legend",
            s.name
        );
    }
    legend_beside_the_data(
        &charts::render_svg(&crowded_break_even()).unwrap(),
        "break-even",
    );
    let fan = stressed_fan();
    let svg = charts::render_svg(&fan).unwrap();
    legend_beside_the_data(&svg, "fan with stress lines");
    for l in &fan.lines {
        assert!(
            svg.contains(&format!("\n{}\n", l.name)),
            "{} in the legend",
            l.name
        );
    }
    // The check can fail: a box drawn across the plot is crossed by the curves.
    let shapes = svg::shapes(&charts::render_svg(&cdf).unwrap());
    let legend = svg::legend_box(&shapes).unwrap();
    let across = (100.0, legend.1, legend.0 - 10.0, legend.3 + 200.0);
    assert!(
        svg::data_segments(&shapes, legend)
            .iter()
            .any(|(_, p, q)| svg::segment_hits(*p, *q, across))
    );
}

#[test]
fn every_crossing_is_named_in_its_two_colours_and_no_label_overlaps_another() {
    let chart = crowded_break_even();
    let crossings = chart.crossings();
    assert!(crossings.len() >= 10, "{} crossings", crossings.len());
    let svg = charts::render_svg(&chart).unwrap();
    let labels = svg::boxed_labels(&svg, |t| t.contains(" = ") || t.contains(" passes it at "));
    assert_eq!(svg::overlapping(&labels), Vec::<String>::new());
    // Every crossing named by its two lines and its x.
    for &(x, _, a, b) in &crossings {
        let words = format!(
            "{} = {} at {}",
            chart.lines[a].name,
            chart.lines[b].name,
            Unit::Count.format(x)
        );
        assert!(
            labels.iter().any(|(t, _)| *t == words),
            "{words}: {labels:?}"
        );
    }
    for (x, i) in chart.limit_crossings() {
        let words = format!(
            "{} passes it at {}",
            chart.lines[i].name,
            Unit::Count.format(x)
        );
        assert!(labels.iter().any(|(t, _)| *t == words), "{words}");
    }
    // No label covers a mark; each mark is the two lines' colours (ring, dot).
    let shapes = svg::shapes(&svg);
    let circles: Vec<((f64, f64), f64, String)> = shapes
        .iter()
        .filter_map(|s| match s {
            Shape::Circle { centre, r, fill } => Some((*centre, *r, fill.clone())),
            _ => None,
        })
        .collect();
    let legend = svg::legend_box(&shapes).unwrap();
    let marks: Vec<_> = circles
        .iter()
        .filter(|(c, _, _)| !svg::holds(legend, &[*c]))
        .collect();
    for (c, r, _) in &marks {
        let mark = (c.0 - r, c.1 - r, c.0 + r, c.1 + r);
        for (t, b) in &labels {
            assert!(!svg::overlap(mark, *b), "{t} covers the mark at {c:?}");
        }
    }
    for &(_, _, a, b) in &crossings {
        let (ring, dot) = (hex(style::series_colour(b)), hex(style::series_colour(a)));
        assert!(
            marks
                .windows(2)
                .any(|w| w[0].2 == ring && w[1].2 == dot && w[0].0 == w[1].0),
            "a {ring} ring around a {dot} dot"
        );
    }
    // One colour per line: the legend's samples are the palette, each once.
    let samples: Vec<String> = shapes
        .iter()
        .filter_map(|s| match s {
            Shape::Path { points, colour, .. } if svg::holds(legend, points) => {
                Some(colour.clone())
            }
            _ => None,
        })
        .collect();
    for i in 0..chart.lines.len() {
        assert!(samples.contains(&hex(style::series_colour(i))), "line {i}");
    }
}

#[test]
fn the_bands_show_and_their_width_is_stated() {
    let chart = crowded_break_even();
    let svg = charts::render_svg(&chart).unwrap();
    // A filled band per line that has one, at the stated opacity, and both its edges drawn.
    let bands = svg.matches("<polygon").count();
    assert_eq!(bands, 5, "a band per line with one");
    assert!(svg.contains(&format!("opacity=\"{}\"", charts::break_even::BAND_OPACITY)));
    assert!(
        svg.contains("95% band (± up to $300)"),
        "the legend states the width"
    );
}

#[test]
fn a_money_axis_writes_every_tick_in_one_format() {
    for svg in [
        charts::render_svg(&crowded_break_even()).unwrap(),
        charts::render_svg(&stressed_fan()).unwrap(),
    ] {
        let ticks = svg::y_ticks(&svg);
        assert!(ticks.len() >= 4, "{ticks:?}");
        assert!(
            ticks.iter().all(|t| t == "$0" || t.ends_with('K')),
            "{ticks:?}"
        );
    }
}

#[test]
fn a_label_stays_off_the_lines_where_there_is_room() {
    // Two lines crossing mid-plot: the label sits in free space (a leader to its mark), over
    // no line or band.
    let mut chart = crowded_break_even();
    chart.lines.truncate(2);
    chart.limit = None;
    let svg = charts::render_svg(&chart).unwrap();
    let labels = svg::boxed_labels(&svg, |t| t.contains(" = "));
    assert_eq!(labels.len(), 1, "{labels:?}");
    let shapes = svg::shapes(&svg);
    let legend = svg::legend_box(&shapes).unwrap();
    let (text, bbox) = &labels[0];
    for (colour, p, q) in svg::data_segments(&shapes, legend) {
        let leader = colour == "#212121";
        assert!(
            leader || !svg::segment_hits(p, q, *bbox),
            "{colour} {p:?}–{q:?} runs under {text}"
        );
    }
}

#[test]
fn the_compare_chart_names_every_pair_that_crosses_and_marks_the_current_value() {
    // The bundled comparison (fewer months): every pair of its five schemes that crosses is
    // named at its crossing, no label overlaps another, and the workload's 150 tasks per seat
    // is marked and stated in the legend.
    let dir = tempfile::tempdir().unwrap();
    let root = std::path::Path::new(env!("CARGO_MANIFEST_DIR"));
    assert_cmd::Command::cargo_bin("tokencast")
        .unwrap()
        .current_dir(root)
        .args([
            "compare",
            "scenarios/pricing-comparison.toml",
            "-n",
            "64",
            "-o",
        ])
        .arg(dir.path())
        .assert()
        .success();
    let svg = std::fs::read_to_string(dir.path().join("compare_break_even.svg")).unwrap();
    let json: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(dir.path().join("compare.json")).unwrap())
            .unwrap();
    let labels = svg::boxed_labels(&svg, |t| t.contains(" = "));
    assert_eq!(svg::overlapping(&labels), Vec::<String>::new());
    let pairs = json["break_even"].as_array().unwrap();
    assert_eq!(pairs.len(), 10, "every pair of five schemes");
    let mut crossing = 0;
    let mut steps = 0;
    for p in pairs {
        let (a, b) = (
            p["a"].as_str().unwrap().replace('_', " "),
            p["b"].as_str().unwrap().replace('_', " "),
        );
        for x in p["crossings"].as_array().unwrap() {
            crossing += 1;
            if x["step"].is_object() {
                // A step (a provisioned unit's jump) is labelled with its bracket, the two sweep
                // points the text names, never with the point where the straight segments
                // between them cross (which the text does not state).
                let (lo, hi) = (
                    x["bracket"][0].as_f64().unwrap(),
                    x["bracket"][1].as_f64().unwrap(),
                );
                let words = format!(
                    "{a} = {b}: a step between {} and {}",
                    Unit::Count.format(lo),
                    Unit::Count.format(hi)
                );
                assert!(
                    labels.iter().any(|(t, _)| *t == words),
                    "{words}: {labels:?}"
                );
                let text = x["words"].as_str().unwrap();
                for end in [lo, hi] {
                    assert!(text.contains(&format!(" at {end:.1}")), "{text}");
                }
                steps += 1;
                continue;
            }
            let words = format!(
                "{a} = {b} at {}",
                Unit::Count.format(x["x"].as_f64().unwrap())
            );
            assert!(
                labels.iter().any(|(t, _)| *t == words),
                "{words}: {labels:?}"
            );
        }
    }
    assert!(crossing >= 5, "{crossing} crossings");
    assert!(
        steps >= 1,
        "the provisioned units' steps are labelled as steps"
    );
    assert!(
        svg.contains("current value 150"),
        "the current value in the legend"
    );
}
