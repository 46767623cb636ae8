//! A quantile–quantile chart as a self-contained SVG: observed quantiles on x, model quantiles
//! on y, the line y = x for reference. Points on the line mean the two distributions agree;
//! points above it mean the model's quantile is higher (it over-predicts there).

use std::fmt::Write;

const SIZE: f64 = 520.0;
const MARGIN: f64 = 70.0;

/// Labels of a QQ chart.
#[derive(Debug, Clone)]
pub struct QqLabels<'a> {
    /// Title on top.
    pub title: &'a str,
    /// What the x axis holds.
    pub x: &'a str,
    /// What the y axis holds.
    pub y: &'a str,
}

/// A round step giving about five ticks up to `max`.
fn tick_step(max: f64) -> f64 {
    let raw = max / 5.0;
    let base = 10f64.powf(raw.log10().floor());
    [1.0, 2.0, 2.5, 5.0, 10.0]
        .iter()
        .map(|m| m * base)
        .find(|s| *s >= raw)
        .unwrap_or(10.0 * base)
}

fn escape(s: &str) -> String {
    s.replace('&', "&amp;")
        .replace('<', "&lt;")
        .replace('>', "&gt;")
}

/// The SVG text of a QQ chart of `(x, y)` pairs (both axes share one linear scale from 0).
pub fn qq_svg(pairs: &[(f64, f64)], labels: &QqLabels) -> String {
    let max = pairs
        .iter()
        .flat_map(|&(x, y)| [x, y])
        .filter(|v| v.is_finite())
        .fold(0.0f64, f64::max);
    let step = if max > 0.0 { tick_step(max) } else { 1.0 };
    let top = (max / step).ceil().max(1.0) * step;
    let plot = SIZE - 2.0 * MARGIN;
    let px = |v: f64| MARGIN + v / top * plot;
    let py = |v: f64| SIZE - MARGIN - v / top * plot;
    let mut s = String::new();
    let _ = writeln!(
        s,
        r#"<svg xmlns="http://www.w3.org/2000/svg" width="{SIZE}" height="{SIZE}" viewBox="0 0 {SIZE} {SIZE}" font-family="sans-serif" font-size="12">"#
    );
    let _ = writeln!(s, r#"<rect width="100%" height="100%" fill="white"/>"#);
    let _ = writeln!(
        s,
        r#"<text x="{}" y="30" text-anchor="middle" font-size="15">{}</text>"#,
        SIZE / 2.0,
        escape(labels.title)
    );
    let mut t = 0.0;
    while t <= top * (1.0 + 1e-9) {
        let label = format!("{}", (t * 1e6).round() / 1e6);
        let _ = writeln!(
            s,
            r##"<line x1="{a}" y1="{b}" x2="{c}" y2="{b}" stroke="#ddd"/><text x="{d}" y="{e}" text-anchor="end">{label}</text>"##,
            a = MARGIN,
            b = py(t),
            c = SIZE - MARGIN,
            d = MARGIN - 6.0,
            e = py(t) + 4.0
        );
        let _ = writeln!(
            s,
            r##"<line x1="{a}" y1="{b}" x2="{a}" y2="{c}" stroke="#ddd"/><text x="{a}" y="{d}" text-anchor="middle">{label}</text>"##,
            a = px(t),
            b = MARGIN,
            c = SIZE - MARGIN,
            d = SIZE - MARGIN + 16.0
        );
        t += step;
    }
    let _ = writeln!(
        s,
        r##"<rect x="{MARGIN}" y="{MARGIN}" width="{plot}" height="{plot}" fill="none" stroke="#333"/>"##
    );
    let _ = writeln!(
        s,
        r##"<line x1="{}" y1="{}" x2="{}" y2="{}" stroke="#c33" stroke-dasharray="5,4"/>"##,
        px(0.0),
        py(0.0),
        px(top),
        py(top)
    );
    for &(x, y) in pairs.iter().filter(|p| p.0.is_finite() && p.1.is_finite()) {
        let _ = writeln!(
            s,
            r##"<circle cx="{:.2}" cy="{:.2}" r="2.5" fill="#1f5fa8" fill-opacity="0.7"/>"##,
            px(x),
            py(y)
        );
    }
    let _ = writeln!(
        s,
        r#"<text x="{}" y="{}" text-anchor="middle">{}</text>"#,
        SIZE / 2.0,
        SIZE - 25.0,
        escape(labels.x)
    );
    let _ = writeln!(
        s,
        r#"<text x="20" y="{}" text-anchor="middle" transform="rotate(-90 20 {})">{}</text>"#,
        SIZE / 2.0,
        SIZE / 2.0,
        escape(labels.y)
    );
    s.push_str("</svg>\n");
    s
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_point_per_pair_and_round_ticks() {
        let svg = qq_svg(
            &[(0.1, 0.12), (0.2, 0.19), (0.35, 0.4)],
            &QqLabels {
                title: "t",
                x: "x <",
                y: "y",
            },
        );
        assert_eq!(svg.matches("<circle").count(), 3);
        assert!(svg.contains("x &lt;"));
        assert_eq!(tick_step(0.4), 0.1);
        assert_eq!(tick_step(9.0), 2.0);
    }
}
