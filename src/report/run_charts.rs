//! The charts of a `run`, built from its summary and merged aggregates: the cost histogram and
//! exceedance curve (from the merged quantile sketch, exact counts in buckets of relative width
//! 2^-10), where the money goes (means from the summary) and convergence (checkpoints).
//!
//! The x axis is logarithmic when the tail is long: P99 above [`LONG_TAIL_RATIO`] times P50.

use super::charts::{
    Bar, ChartError, ConvergenceChart, ConvergencePoint, CostHistogram, Exceedance,
    ExceedanceMarker, HistogramBar, Marker, RenderedChart, Scale, Segment, StackedBars, Unit,
};
use crate::engine::{RunResult, Summary};
use crate::pricing::{PriceTable, TokenKind};
use crate::stats::{MetricSummary, QuantileSketch, Z975};

/// P99 / P50 above which cost axes are logarithmic.
pub const LONG_TAIL_RATIO: f64 = 5.0;
/// Bars of the histogram.
const HISTOGRAM_BARS: usize = 60;
/// Points of the exceedance curve.
const EXCEEDANCE_POINTS: usize = 400;

/// Everything the run charts read.
pub struct RunChartData<'a> {
    /// The summary.
    pub summary: &'a Summary,
    /// The merged aggregates (cost sketch, checkpoints).
    pub result: &'a RunResult,
    /// List prices, to split the mean cost by token kind.
    pub prices: &'a PriceTable,
}

/// Renders the four run charts: `cost_histogram`, `cost_exceedance`, `cost_breakdown`,
/// `cost_convergence`.
pub fn render_run_charts(data: &RunChartData) -> Result<Vec<RenderedChart>, ChartError> {
    let cost = data
        .summary
        .metric("cost_usd")
        .ok_or_else(|| bad("no cost metric"))?;
    let sketch = &data.result.sketches[0];
    Ok(vec![
        RenderedChart::new(&cost_histogram(cost, sketch))?,
        RenderedChart::new(&cost_exceedance(cost, sketch))?,
        RenderedChart::new(&cost_breakdown(data))?,
        RenderedChart::new(&cost_convergence(data.result))?,
    ])
}

fn bad(reason: &str) -> ChartError {
    ChartError::BadData {
        chart: "run charts".into(),
        reason: reason.into(),
    }
}

/// Linear or logarithmic cost axis for this distribution.
pub fn cost_scale(cost: &MetricSummary) -> Scale {
    if cost.min > 0.0 && cost.p99 > LONG_TAIL_RATIO * cost.p50 {
        Scale::Log
    } else {
        Scale::Linear
    }
}

/// `n + 1` edges from `lo` to `hi`, evenly spaced on the scale.
fn edges(lo: f64, hi: f64, n: usize, scale: Scale) -> Vec<f64> {
    (0..=n)
        .map(|i| {
            let t = i as f64 / n as f64;
            match scale {
                Scale::Linear => lo + (hi - lo) * t,
                Scale::Log => lo * (hi / lo).powf(t),
            }
        })
        .collect()
}

/// A value standing for a sketch bucket: its midpoint (0 for the zero bucket).
fn midpoint(lo: f64, hi: f64) -> f64 {
    0.5 * (lo + hi)
}

fn percentile_markers(cost: &MetricSummary) -> Vec<Marker> {
    [("P50", cost.p50), ("P90", cost.p90), ("P99", cost.p99)]
        .into_iter()
        .map(|(label, value)| Marker {
            label: label.into(),
            value,
        })
        .collect()
}

/// P50, P90 and P99 with the shares of trials above each, counted from the sketch: a trial in a
/// bucket above the percentile's costs more; one in its bucket ranked after it (rank
/// `ceil(q n)`) costs the same to within the bucket's width, or more.
pub fn exceedance_markers(cost: &MetricSummary, sketch: &QuantileSketch) -> Vec<ExceedanceMarker> {
    let n = sketch.count().max(1);
    [
        ("P50", 0.5, cost.p50),
        ("P90", 0.9, cost.p90),
        ("P99", 0.99, cost.p99),
    ]
    .into_iter()
    .map(|(label, q, value)| {
        let (below, same, above) = sketch.counts_around(value);
        let ranked_after = (below + same).saturating_sub(sketch.quantile_rank(q));
        ExceedanceMarker {
            label: label.into(),
            value,
            more: above as f64 / n as f64,
            near: ranked_after.min(same) as f64 / n as f64,
            at_least: (same + above) as f64 / n as f64,
        }
    })
    .collect()
}

/// The histogram of the cost: bars from the smallest cost to the 99.9th percentile (linear) or
/// to the largest (logarithmic); trials beyond the range are counted in the note.
pub fn cost_histogram(cost: &MetricSummary, sketch: &QuantileSketch) -> CostHistogram {
    let scale = cost_scale(cost);
    let n = sketch.count().max(1);
    let lo = cost.min;
    let p999 = sketch
        .quantile(0.999, false)
        .unwrap_or(cost.max)
        .min(cost.max);
    let hi = match scale {
        Scale::Linear => p999,
        Scale::Log => cost.max,
    };
    let (lo, hi) = if hi > lo {
        (lo, hi)
    } else {
        (lo, lo + lo.abs().max(1e-9))
    };
    let edges = edges(lo, hi, HISTOGRAM_BARS, scale);
    let mut counts = vec![0u64; HISTOGRAM_BARS];
    let mut beyond = 0;
    for (b_lo, b_hi, c) in sketch.bins() {
        // Clamped like the summary's percentiles: the extreme buckets hold the exact min, max.
        let x = midpoint(b_lo, b_hi).clamp(cost.min, cost.max);
        if x > hi {
            beyond += c;
            continue;
        }
        let i = edges.partition_point(|&e| e <= x).clamp(1, HISTOGRAM_BARS) - 1;
        counts[i] += c;
    }
    let note = (beyond > 0).then(|| {
        format!(
            "{} of trials above {} not shown (max {})",
            Unit::Probability.format(beyond as f64 / n as f64),
            Unit::Usd.format(hi),
            Unit::Usd.format(cost.max)
        )
    });
    CostHistogram {
        stem: "cost_histogram".into(),
        title: "Cost per task".into(),
        x_description: "Cost per task".into(),
        unit: Unit::Usd,
        scale,
        bars: edges
            .windows(2)
            .zip(&counts)
            .map(|(w, &c)| HistogramBar {
                lo: w[0],
                hi: w[1],
                share: c as f64 / n as f64,
            })
            .collect(),
        markers: percentile_markers(cost),
        note,
    }
}

/// The exceedance curve `P(cost > x)` at points from the smallest to the largest cost.
pub fn cost_exceedance(cost: &MetricSummary, sketch: &QuantileSketch) -> Exceedance {
    let scale = cost_scale(cost);
    let n = sketch.count().max(1);
    let (lo, hi) = if cost.max > cost.min {
        (cost.min, cost.max)
    } else {
        (cost.min, cost.min + cost.min.abs().max(1e-9))
    };
    let xs = edges(lo, hi, EXCEEDANCE_POINTS, scale);
    let bins: Vec<(f64, u64)> = sketch
        .bins()
        .map(|(a, b, c)| (midpoint(a, b).clamp(cost.min, cost.max), c))
        .collect();
    let mut above = n;
    let mut next_bin = 0;
    let mut points = Vec::with_capacity(xs.len());
    for x in xs {
        while next_bin < bins.len() && bins[next_bin].0 <= x {
            above -= bins[next_bin].1;
            next_bin += 1;
        }
        if above == 0 {
            break;
        }
        points.push((x, above as f64 / n as f64));
    }
    // Every trial cost the same (no spread, or a single trial): P(cost > x) is 1 below the
    // smallest cost, which is all a logarithmic probability axis can show here; the note says
    // where the curve drops to 0.
    let mut markers = exceedance_markers(cost, sketch);
    let mut note = None;
    if points.len() < 2 {
        let left = if cost.min > 0.0 {
            0.5 * cost.min
        } else {
            super::charts::style::padded(cost.min, cost.min, scale).0
        };
        points = vec![(left, 1.0), (cost.min, 1.0)];
        markers.clear();
        note = Some(if n == 1 {
            format!("a single trial, which cost {}", Unit::Usd.format(cost.min))
        } else if cost.max == cost.min {
            format!("every trial cost {}", Unit::Usd.format(cost.min))
        } else {
            format!(
                "every trial cost from {} to {}",
                Unit::Usd.format(cost.min),
                Unit::Usd.format(cost.max)
            )
        });
    }
    Exceedance {
        stem: "cost_exceedance".into(),
        title: "Probability that a task costs more than x".into(),
        x_description: "Cost per task x".into(),
        unit: Unit::Usd,
        x_scale: scale,
        points,
        resolution: 1.0 / n as f64,
        markers,
        note,
    }
}

/// The mean cost split three ways: by token kind (at base rates, plus any long-prompt tier
/// surcharge), by phase and by model.
pub fn cost_breakdown(data: &RunChartData) -> StackedBars {
    let summary = data.summary;
    let mut kinds: Vec<Segment> = Vec::new();
    let mut base_total = 0.0;
    for kind in TokenKind::ALL {
        let metric = format!("{}_tokens", kind.name());
        let value: f64 = summary
            .by_model
            .0
            .iter()
            .enumerate()
            .filter_map(|(m, (_, metrics))| {
                Some(metrics.get(&metric)?.mean * data.prices.per_token(m, kind))
            })
            .sum();
        base_total += value;
        if value > 0.0 {
            kinds.push(Segment {
                label: kind.name().into(),
                value,
            });
        }
    }
    let mean_cost = summary.metric("cost_usd").map_or(0.0, |c| c.mean);
    let surcharge = mean_cost - base_total;
    if surcharge > 1e-9 * mean_cost.abs() {
        kinds.push(Segment {
            label: "long-prompt tier surcharge".into(),
            value: surcharge,
        });
    }
    let cost_of = |group: &[(String, crate::engine::NamedMap<MetricSummary>)]| -> Vec<Segment> {
        group
            .iter()
            .map(|(name, metrics)| Segment {
                label: name.clone(),
                value: metrics.get("cost_usd").map_or(0.0, |c| c.mean.max(0.0)),
            })
            .collect()
    };
    StackedBars {
        stem: "cost_breakdown".into(),
        title: "Where the money goes (mean cost per task)".into(),
        x_description: "Mean cost per task".into(),
        unit: Unit::Usd,
        bars: vec![
            Bar {
                label: "by token kind".into(),
                segments: kinds,
            },
            Bar {
                label: "by phase".into(),
                segments: cost_of(&summary.by_phase.0),
            },
            Bar {
                label: "by model".into(),
                segments: cost_of(&summary.by_model.0),
            },
        ],
    }
}

/// Running mean (± 1.96 SE) and running P95 (with its interval) of the cost.
pub fn cost_convergence(result: &RunResult) -> ConvergenceChart {
    ConvergenceChart {
        stem: "cost_convergence".into(),
        title: "Cost per task".into(),
        unit: Unit::Usd,
        points: result
            .convergence
            .iter()
            .map(|c| ConvergencePoint {
                trials: c.trials,
                mean: c.mean,
                mean_lo: c.mean - Z975 * c.se,
                mean_hi: c.mean + Z975 * c.se,
                p95: c.p95,
                p95_lo: c.p95_ci.lo,
                p95_hi: c.p95_ci.hi,
            })
            .collect(),
    }
}
