//! Every chart renders as a valid PNG with text and as an SVG whose labels are text elements;
//! bad data gives an error, never a panic.

use tokencast::report::charts::{
    self, Bar, BreakEven, CdfOverlay, CdfSeries, Chart, ConvergenceChart, ConvergencePoint,
    CostHistogram, CostLine, Exceedance, ExceedanceMarker, FanChart, FanPeriod, HistogramBar,
    Marker, RenderedChart, Scale, Segment, StackedBars, Unit,
};

/// Decodes a PNG, returning (width, height, RGB pixels).
fn decode_png(bytes: &[u8]) -> (u32, u32, Vec<u8>) {
    let decoder = png::Decoder::new(std::io::Cursor::new(bytes));
    let mut reader = decoder.read_info().expect("a valid PNG header");
    let mut buf = vec![0; reader.output_buffer_size().expect("a size")];
    let info = reader.next_frame(&mut buf).expect("a valid PNG frame");
    buf.truncate(info.buffer_size());
    assert_eq!(info.color_type, png::ColorType::Rgb);
    (info.width, info.height, buf)
}

/// Share of pixels that are not the white background.
fn inked_share(rgb: &[u8]) -> f64 {
    let pixels = rgb.len() / 3;
    let inked = rgb.chunks(3).filter(|p| p != &[255, 255, 255]).count();
    inked as f64 / pixels as f64
}

/// Renders `chart`, checks both formats and that every label is an SVG text element.
fn check(chart: &impl Chart, labels: &[&str]) -> RenderedChart {
    let rendered = RenderedChart::new(chart).expect("the chart renders");
    assert!(rendered.svg.starts_with("<svg"), "an SVG document");
    assert!(rendered.svg.trim_end().ends_with("</svg>"));
    for label in labels {
        let escaped = label.replace('&', "&amp;").replace('<', "&lt;");
        assert!(
            rendered.svg.contains(&format!(">{escaped}<"))
                || rendered.svg.contains(&format!(">{escaped} "))
                || rendered.svg.contains(&escaped),
            "{}: label {label:?} missing from the SVG text",
            chart.file_stem()
        );
    }
    assert!(rendered.svg.contains("<text"), "labels are text elements");
    let (w, h, rgb) = decode_png(&rendered.png);
    assert_eq!((w, h), charts::CHART_SIZE);
    let inked = inked_share(&rgb);
    assert!(
        inked > 0.01 && inked < 0.9,
        "{}: {inked}",
        chart.file_stem()
    );
    // To look at the charts: TOKENCAST_CHART_PREVIEW=DIR cargo test --test charts
    if let Some(dir) = std::env::var_os("TOKENCAST_CHART_PREVIEW") {
        rendered.write(std::path::Path::new(&dir)).unwrap();
    }
    rendered
}

fn histogram() -> CostHistogram {
    CostHistogram {
        stem: "cost_histogram".into(),
        title: "Cost per task".into(),
        x_description: "Cost per task".into(),
        unit: Unit::Usd,
        scale: Scale::Linear,
        bars: (0..40)
            .map(|i| HistogramBar {
                lo: 0.01 * i as f64,
                hi: 0.01 * (i + 1) as f64,
                share: (-(i as f64 - 12.0).powi(2) / 50.0).exp() / 10.0,
            })
            .collect(),
        markers: vec![
            Marker {
                label: "P50".into(),
                value: 0.12,
            },
            Marker {
                label: "P99".into(),
                value: 0.3,
            },
        ],
        note: None,
    }
}

#[test]
fn histogram_renders_with_its_percentiles_labelled() {
    check(
        &histogram(),
        &[
            "Cost per task ($)",
            "Share of trials (%)",
            "P50 $0.12",
            "P99 $0.3",
        ],
    );
    let mut log = histogram();
    log.scale = Scale::Log;
    log.bars.remove(0); // starts at 0
    check(&log, &["Cost per task ($)"]);
}

#[test]
fn text_is_drawn_in_the_png_with_the_bundled_font() {
    // The same chart with and without a long title differs in ink: text reaches the bitmap.
    let mut a = histogram();
    a.title = String::new();
    let mut b = histogram();
    b.title = "WWWWWWWWWWWWWWWWWWWWWWWWWWWWWW".into();
    let ink = |c: &CostHistogram| inked_share(&decode_png(&charts::render_png(c).unwrap()).2);
    assert!(ink(&b) > ink(&a) + 0.002, "{} vs {}", ink(&b), ink(&a));
}

#[test]
fn exceedance_renders() {
    let points: Vec<(f64, f64)> = (0..100)
        .map(|i| (0.01 * i as f64, (-(i as f64) / 10.0).exp()))
        .collect();
    check(
        &Exceedance {
            stem: "cost_exceedance".into(),
            title: "Probability a task costs more".into(),
            x_description: "Cost per task".into(),
            unit: Unit::Usd,
            x_scale: Scale::Linear,
            points,
            resolution: 1e-5,
            markers: vec![ExceedanceMarker {
                label: "P90".into(),
                value: 0.23,
                more: 0.1,
                near: 0.0,
                at_least: 0.1001,
            }],
            note: None,
        },
        &[
            "Probability of exceeding (%)",
            "P90 $0.23: 10.0% of trials cost more",
        ],
    );
}

#[test]
fn stacked_bars_render_with_segment_labels() {
    check(
        &StackedBars {
            stem: "cost_breakdown".into(),
            title: "Where the money goes".into(),
            x_description: "Mean cost per task".into(),
            unit: Unit::Usd,
            bars: vec![
                Bar {
                    label: "by token kind".into(),
                    segments: vec![
                        Segment {
                            label: "cache_read".into(),
                            value: 0.05,
                        },
                        Segment {
                            label: "output".into(),
                            value: 0.15,
                        },
                        Segment {
                            label: "input".into(),
                            value: 0.001,
                        },
                    ],
                },
                Bar {
                    label: "by phase".into(),
                    segments: vec![Segment {
                        label: "fix".into(),
                        value: 0.201,
                    }],
                },
            ],
        },
        &[
            "Mean cost per task ($)",
            "output 74.6%",
            "by phase",
            "input 0.498%",
        ],
    );
}

#[test]
fn convergence_renders_both_panels() {
    let points = (0..12)
        .map(|k| {
            let n = 1024u64 << k;
            let se = 0.1 / (n as f64).sqrt();
            ConvergencePoint {
                trials: n,
                mean: 0.2 + se,
                mean_lo: 0.2 - se,
                mean_hi: 0.2 + 3.0 * se,
                p95: 0.4,
                p95_lo: 0.4 - 2.0 * se,
                p95_hi: 0.4 + 2.0 * se,
            }
        })
        .collect();
    check(
        &ConvergenceChart {
            stem: "cost_convergence".into(),
            title: "Cost per task".into(),
            unit: Unit::Usd,
            points,
        },
        &[
            "running mean",
            "running P95",
            "Trials",
            "95% confidence band",
        ],
    );
}

#[test]
fn cdf_overlay_and_break_even_render() {
    let cdf = |name: &str, scale: f64| CdfSeries {
        name: name.into(),
        points: (1..=50)
            .map(|i| (scale * i as f64, 1.0 - (-(i as f64) / 10.0).exp()))
            .collect(),
    };
    check(
        &CdfOverlay {
            stem: "compare_cdf".into(),
            title: "Cost by billing scheme".into(),
            x_description: "Cost per task".into(),
            unit: Unit::Usd,
            x_scale: Scale::Log,
            y_description: "Share of trials at or below".into(),
            series: vec![cdf("list prices", 0.01), cdf("batch", 0.007)],
        },
        &["list prices", "batch", "Share of trials at or below (%)"],
    );
    check(
        &BreakEven {
            stem: "compare_break_even".into(),
            title: "Break-even".into(),
            x_description: "Tasks per month".into(),
            x_unit: Unit::Count,
            y_description: "Monthly cost".into(),
            y_unit: Unit::Usd,
            lines: vec![
                CostLine {
                    name: "seat".into(),
                    points: vec![(0.0, 100.0), (200.0, 100.0)],
                    band: vec![],
                },
                CostLine {
                    name: "tokens".into(),
                    points: vec![(0.0, 0.0), (200.0, 400.0)],
                    band: vec![(0.0, 0.0, 0.0), (200.0, 350.0, 450.0)],
                },
            ],
            limit: None,
            current: None,
            steps: Vec::new(),
        },
        &["seat", "tokens", "seat = tokens at 50", "Monthly cost ($)"],
    );
}

#[test]
fn fan_chart_renders_with_budget() {
    let periods = (0..12)
        .map(|m| {
            let base = 1000.0 * (1.0 + m as f64 / 4.0);
            FanPeriod {
                label: format!("2027-{:02}", m + 1),
                p5: base * 0.6,
                p25: base * 0.85,
                p50: base,
                p75: base * 1.2,
                p95: base * 1.6,
            }
        })
        .collect();
    check(
        &FanChart {
            stem: "forecast_fan".into(),
            title: "Monthly bill".into(),
            y_description: "Monthly bill".into(),
            unit: Unit::Usd,
            x_description: "Month".into(),
            periods,
            budget: vec![3000.0; 12],
            lines: Vec::new(),
        },
        &["P5–P95", "median", "budget $3000", "Monthly bill ($)"],
    );
}

#[test]
fn a_budget_schedule_with_one_month_far_above_keeps_the_axis_on_the_bands() {
    // A schedule's one huge month (here 1e15) must not stretch the axis until the bands are flat
    // lines, as a flat budget that high does not: that month's budget is named in the title and
    // left undrawn, the others drawn.
    let fan = |budget: Vec<f64>| FanChart {
        stem: "forecast_fan".into(),
        title: "Monthly bill".into(),
        y_description: "Monthly bill".into(),
        unit: Unit::Usd,
        x_description: "Month".into(),
        periods: (0..12)
            .map(|m| FanPeriod {
                label: format!("2027-{:02}", m + 1),
                p5: 600.0,
                p25: 850.0,
                p50: 1000.0,
                p75: 1200.0,
                p95: 1600.0,
            })
            .collect(),
        budget,
        lines: Vec::new(),
    };
    let mut schedule = vec![1500.0; 12];
    schedule[5] = 1e15;
    let svg = charts::render_svg(&fan(schedule)).unwrap();
    let plain = charts::render_svg(&fan(vec![1500.0; 12])).unwrap();
    assert!(
        svg.contains("in 1 period is far above"),
        "named in the title"
    );
    assert!(svg.contains("$1000T"), "the far budget named");
    assert!(
        svg.contains("\nbudget $1500\n"),
        "the legend gives the drawn budgets"
    );
    // The same y axis as the schedule without the huge month: every tick label of one is in
    // the other.
    let ticks = |svg: &str| -> Vec<String> {
        svg.split('>')
            .filter_map(|t| t.split('<').next())
            .map(str::trim)
            .filter(|t| t.starts_with('$') && t.len() < 12)
            .map(String::from)
            .collect()
    };
    assert!(!ticks(&plain).is_empty());
    for t in ticks(&plain) {
        assert!(
            svg.contains(&format!("\n{t}\n")),
            "tick {t} missing: the axis was stretched"
        );
    }
}

#[test]
fn bad_data_is_an_error_not_a_panic() {
    let mut h = histogram();
    h.bars[3].share = f64::NAN;
    assert!(charts::render_svg(&h).is_err());
    let mut h = histogram();
    h.bars.clear();
    assert!(charts::render_png(&h).is_err());
    let mut h = histogram();
    h.scale = Scale::Log; // the first bar starts at 0
    let err = charts::render_svg(&h).unwrap_err().to_string();
    assert!(err.contains("cost_histogram"), "{err}");
    let fan = FanChart {
        stem: "f".into(),
        title: "t".into(),
        y_description: "y".into(),
        unit: Unit::Usd,
        x_description: "Month".into(),
        periods: vec![FanPeriod {
            label: "m".into(),
            p5: 2.0,
            p25: 1.0,
            p50: 1.0,
            p75: 1.0,
            p95: 1.0,
        }],
        budget: Vec::new(),
        lines: Vec::new(),
    };
    assert!(charts::render_svg(&fan).is_err());
}

#[test]
fn charts_are_written_as_png_and_svg() {
    let dir = tempfile::tempdir().unwrap();
    let names = charts::write_chart(dir.path(), &histogram()).unwrap();
    assert_eq!(names, ["cost_histogram.png", "cost_histogram.svg"]);
    for name in names {
        assert!(std::fs::metadata(dir.path().join(name)).unwrap().len() > 1000);
    }
}
