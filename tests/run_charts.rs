//! The data behind the run charts, against exact values: the exceedance curve and histogram
//! counts of a known sample (the sketch's buckets are 2^-10 wide, so only points within that
//! of a value may differ), and the breakdown, whose token-kind split (plus any long-prompt tier
//! surcharge), phases and models each add up to the mean cost.

use std::path::Path;

use tokencast::engine::{RunConfig, Silent};
use tokencast::report::{self, RunChartData};
use tokencast::scenario::Scenario;
use tokencast::stats::{MetricSummary, Moments, QuantileSketch, RELATIVE_ERROR};

/// The multiples of 10 from 10 to 10,000 as costs (spaced wider than the sketch's buckets).
fn sample() -> (MetricSummary, QuantileSketch) {
    let values: Vec<f64> = (1..=1000).map(|i| 10.0 * f64::from(i)).collect();
    let mut sketch = QuantileSketch::new();
    values.iter().for_each(|&v| sketch.insert(v));
    (
        MetricSummary::new(&Moments::of(&values), &sketch, false),
        sketch,
    )
}

/// Whether a sample value lies within the sketch's resolution of `x`.
fn near_a_value(x: f64) -> bool {
    (x - 10.0 * (x / 10.0).round()).abs() <= 1.01 * RELATIVE_ERROR * x
}

#[test]
fn exceedance_is_the_exact_share_above_x() {
    let (cost, sketch) = sample();
    let curve = report::cost_exceedance(&cost, &sketch);
    assert_eq!(curve.resolution, 1e-3);
    assert!(curve.points.len() > 300);
    let mut checked = 0;
    for &(x, p) in &curve.points {
        if near_a_value(x) {
            continue;
        }
        let exact = (1000.0 - (x / 10.0).floor()) / 1000.0;
        assert_eq!(p, exact, "P(X > {x})");
        checked += 1;
    }
    assert!(checked > 150, "{checked}");
}

#[test]
fn histogram_counts_every_trial_once() {
    let (cost, sketch) = sample();
    let h = report::cost_histogram(&cost, &sketch);
    // Linear (P99 / P50 = 1.98), from the minimum to P99.9 = 9990: one trial (10,000) beyond.
    assert_eq!(h.scale, tokencast::report::charts::Scale::Linear);
    let shown: f64 = h.bars.iter().map(|b| b.share).sum();
    assert!((shown - 0.999).abs() < 1e-12, "{shown}");
    assert!(
        h.note
            .as_deref()
            .unwrap_or("")
            .contains("0.1% of trials above $99")
    );
    for b in &h.bars {
        if near_a_value(b.lo) || near_a_value(b.hi) {
            continue;
        }
        let exact = ((b.hi / 10.0).ceil() - (b.lo / 10.0).ceil()) / 1000.0;
        assert!(
            (b.share - exact).abs() < 1e-12,
            "[{}, {}): {}",
            b.lo,
            b.hi,
            b.share
        );
    }
    let labels: Vec<&str> = h.markers.iter().map(|m| m.label.as_str()).collect();
    assert_eq!(labels, ["P50", "P90", "P99"]);
    assert_eq!(h.markers[1].value, cost.p90);
}

#[test]
fn a_long_tail_gets_a_logarithmic_axis() {
    // Costs 1, 2, 4, ..., 2^19: P99 / P50 is far above 5.
    let values: Vec<f64> = (0..20).flat_map(|k| vec![f64::powi(2.0, k); 50]).collect();
    let mut sketch = QuantileSketch::new();
    values.iter().for_each(|&v| sketch.insert(v));
    let cost = MetricSummary::new(&Moments::of(&values), &sketch, false);
    let h = report::cost_histogram(&cost, &sketch);
    assert_eq!(h.scale, tokencast::report::charts::Scale::Log);
    let shown: f64 = h.bars.iter().map(|b| b.share).sum();
    assert!((shown - 1.0).abs() < 1e-12 && h.note.is_none());
    tokencast::report::charts::render_svg(&h).expect("renders");
}

fn breakdown_adds_up(scenario: &Scenario, expect_surcharge: bool) {
    let config = RunConfig {
        trials: 5_000,
        seed: 5,
        threads: Some(2),
    };
    let sim = tokencast::simulate_run(scenario, &config, &mut Silent).unwrap();
    let prices = scenario.price_table();
    let bars = report::cost_breakdown(&RunChartData {
        summary: &sim.summary,
        result: &sim.result,
        prices: &prices,
    });
    let mean = sim.summary.metric("cost_usd").unwrap().mean;
    for bar in &bars.bars {
        let total = bar.total();
        assert!(
            ((total - mean) / mean).abs() < 1e-9,
            "{}: {total} vs {mean}",
            bar.label
        );
    }
    let surcharge = bars.bars[0]
        .segments
        .iter()
        .any(|s| s.label == "long-prompt tier surcharge");
    assert_eq!(surcharge, expect_surcharge);
}

#[test]
fn the_breakdown_adds_up_to_the_mean_cost() {
    let path = Path::new(env!("CARGO_MANIFEST_DIR")).join("scenarios/reference-coding-task.toml");
    breakdown_adds_up(&Scenario::load(&path).unwrap(), false);
    let tiered = r#"
[models.m]
input = 1.0
output = 2.0
cache_write = 1.25
cache_read = 0.1
tiers = [{ above = 3000, input = 3.0, output = 5.0, cache_write = 4.0, cache_read = 0.5 }]

[models.small]
input = 0.5
output = 1.0
cache_write = 0.6
cache_read = 0.05

[agent]
model = "m"
system_prompt = 1000

[[phases]]
name = "grow"
repeat = { poisson = { mean = 6 } }
steps = [{ call = { output = 100 } }, { tool = { tokens = { lognormal = { median = 400, sigma = 0.8 } } } }]

[[phases]]
name = "wrap"
steps = [{ call = { model = "small", output = 50 } }]
"#;
    let s = Scenario::from_text("tiered.toml", "tiered", tiered.to_string()).unwrap();
    breakdown_adds_up(&s, true);
}

#[test]
fn charts_do_not_depend_on_threads() {
    let path = Path::new(env!("CARGO_MANIFEST_DIR")).join("scenarios/reference-coding-task.toml");
    let s = Scenario::load(&path).unwrap();
    let svgs = |threads| {
        let config = RunConfig {
            trials: 30_000,
            seed: 9,
            threads: Some(threads),
        };
        let sim = tokencast::simulate_run(&s, &config, &mut Silent).unwrap();
        let prices = s.price_table();
        report::render_run_charts(&RunChartData {
            summary: &sim.summary,
            result: &sim.result,
            prices: &prices,
        })
        .unwrap()
        .into_iter()
        .map(|c| (c.stem, c.svg, c.png))
        .collect::<Vec<_>>()
    };
    assert!(svgs(1) == svgs(3), "charts differ between 1 and 3 threads");
}

#[test]
fn exceedance_labels_state_the_share_above_each_percentile_counted_not_read_off_the_curve() {
    // 10,000 distinct, skewed costs: the nearest-rank P50 is the 5,000th, so exactly 50.0% of
    // trials cost more; P90 10.0%, P99 1.0%. (The label read the drawn curve's grid point left
    // of the percentile: 50.9% for a task's P50.)
    let values: Vec<f64> = (1..=10_000)
        .map(|i| 0.05 * (1.0 + f64::from(i) / 1000.0).powi(3))
        .collect();
    let mut sketch = QuantileSketch::new();
    values.iter().for_each(|&v| sketch.insert(v));
    let cost = MetricSummary::new(&Moments::of(&values), &sketch, false);
    let markers = report::exceedance_markers(&cost, &sketch);
    let unit = tokencast::report::charts::Unit::Usd;
    for (m, share) in markers.iter().zip(["50.0%", "10.0%", "1.0%"]) {
        let text = m.text(unit);
        assert!(
            text.ends_with(&format!(": {share} of trials cost more")),
            "{text}"
        );
        // The counted share is the trials above the percentile's bucket, exactly.
        let above = values
            .iter()
            .filter(|&&v| v > m.value * (1.0 + 2.0 * RELATIVE_ERROR))
            .count();
        assert!(
            (m.more * 1e4 - above as f64).abs() <= 2.0,
            "{text}: {above}"
        );
    }
    assert_eq!(report::cost_exceedance(&cost, &sketch).markers, markers);
    // Ties: 40% of trials cost $1, 35% $2, 25% $3. P50 is $2, and only the 25% at $3 cost
    // more; the label says so, and that 60% cost at least as much.
    let mut sketch = QuantileSketch::new();
    sketch.insert_repeated(1.0, 4000);
    sketch.insert_repeated(2.0, 3500);
    sketch.insert_repeated(3.0, 2500);
    let values: Vec<f64> = [(1.0, 4000), (2.0, 3500), (3.0, 2500)]
        .iter()
        .flat_map(|&(v, n)| std::iter::repeat_n(v, n))
        .collect();
    let cost = MetricSummary::new(&Moments::of(&values), &sketch, false);
    let p50 = &report::exceedance_markers(&cost, &sketch)[0];
    assert_eq!(
        p50.text(unit),
        "P50 $2: 25.0% of trials cost more, 60.0% at least as much (to within 0.1%)"
    );
}
