//! The geometry of a chart's SVG as plotters writes it: rectangles, polylines, polygons,
//! circles and text anchors, in drawing order, to check from the picture itself that a legend
//! covers no data and that labels do not overlap.

/// A box: left, top, right, bottom (pixels).
pub type Bbox = (f64, f64, f64, f64);

/// One drawn element.
#[derive(Debug, Clone, PartialEq)]
pub enum Shape {
    /// `<rect>` with its fill, stroke and opacity.
    Rect {
        /// The box.
        bbox: Bbox,
        /// `fill` attribute.
        fill: String,
        /// `stroke` attribute.
        stroke: String,
        /// `opacity` attribute.
        opacity: f64,
    },
    /// `<polyline>` or `<polygon>` (closed) points, with its stroke or fill colour.
    Path {
        /// The points.
        points: Vec<(f64, f64)>,
        /// Closed (a polygon).
        closed: bool,
        /// `stroke` (a polyline) or `fill` (a polygon).
        colour: String,
    },
    /// `<circle>` centre, radius and fill.
    Circle {
        /// Centre.
        centre: (f64, f64),
        /// Radius.
        r: f64,
        /// `fill` attribute.
        fill: String,
    },
    /// `<text>` anchor, anchor mode, font size and content.
    Text {
        /// `x`, `y`.
        at: (f64, f64),
        /// `text-anchor`.
        anchor: String,
        /// `font-size`.
        size: f64,
        /// The words, trimmed.
        content: String,
    },
}

fn attr(tag: &str, name: &str) -> Option<String> {
    let key = format!(" {name}=\"");
    let start = tag.find(&key)? + key.len();
    let end = tag[start..].find('"')? + start;
    Some(tag[start..end].to_string())
}

fn num(tag: &str, name: &str) -> f64 {
    attr(tag, name).and_then(|v| v.parse().ok()).unwrap_or(0.0)
}

/// The shapes of `svg`, in drawing order.
pub fn shapes(svg: &str) -> Vec<Shape> {
    let mut out = Vec::new();
    let mut rest = svg;
    while let Some(open) = rest.find('<') {
        rest = &rest[open..];
        let close = rest.find('>').expect("a closed tag");
        let tag = &rest[..=close];
        let name = tag[1..]
            .split(|c: char| c.is_whitespace() || c == '>' || c == '/')
            .next()
            .unwrap_or("");
        match name {
            "rect" => {
                let (x, y) = (num(tag, "x"), num(tag, "y"));
                out.push(Shape::Rect {
                    bbox: (x, y, x + num(tag, "width"), y + num(tag, "height")),
                    fill: attr(tag, "fill").unwrap_or_default(),
                    stroke: attr(tag, "stroke").unwrap_or_default(),
                    opacity: attr(tag, "opacity")
                        .and_then(|v| v.parse().ok())
                        .unwrap_or(1.0),
                });
            }
            "polyline" | "polygon" => {
                let points = attr(tag, "points")
                    .unwrap_or_default()
                    .split_whitespace()
                    .filter_map(|p| {
                        let (x, y) = p.split_once(',')?;
                        Some((x.parse().ok()?, y.parse().ok()?))
                    })
                    .collect();
                let closed = name == "polygon";
                out.push(Shape::Path {
                    points,
                    closed,
                    colour: attr(tag, if closed { "fill" } else { "stroke" }).unwrap_or_default(),
                });
            }
            "circle" => out.push(Shape::Circle {
                centre: (num(tag, "cx"), num(tag, "cy")),
                r: num(tag, "r"),
                fill: attr(tag, "fill").unwrap_or_default(),
            }),
            "text" => {
                let body_end = rest.find("</text>").expect("a closed text");
                out.push(Shape::Text {
                    at: (num(tag, "x"), num(tag, "y")),
                    anchor: attr(tag, "text-anchor").unwrap_or_default(),
                    size: num(tag, "font-size"),
                    content: rest[close + 1..body_end].trim().to_string(),
                });
            }
            _ => {}
        }
        rest = &rest[close + 1..];
    }
    out
}

/// Whether two boxes share any area.
pub fn overlap(a: Bbox, b: Bbox) -> bool {
    a.0 < b.2 && b.0 < a.2 && a.1 < b.3 && b.1 < a.3
}

/// Whether the segment from `p` to `q` passes through the inside of `b` (Liang–Barsky).
pub fn segment_hits(p: (f64, f64), q: (f64, f64), b: Bbox) -> bool {
    let (dx, dy) = (q.0 - p.0, q.1 - p.1);
    let (mut t0, mut t1) = (0.0f64, 1.0f64);
    for (den, num) in [
        (-dx, p.0 - b.0),
        (dx, b.2 - p.0),
        (-dy, p.1 - b.1),
        (dy, b.3 - p.1),
    ] {
        if den == 0.0 {
            if num <= 0.0 {
                return false;
            }
        } else {
            let t = num / den;
            if den < 0.0 {
                t0 = t0.max(t);
            } else {
                t1 = t1.min(t);
            }
        }
    }
    // Strictly inside for a stretch (touching an edge is not covering).
    t1 - t0 > 1e-9
}

/// The legend's box: the rectangle drawn with the grid colour as its border and no fill.
pub fn legend_box(shapes: &[Shape]) -> Option<Bbox> {
    shapes.iter().find_map(|s| match s {
        Shape::Rect {
            bbox, fill, stroke, ..
        } if fill == "none" && stroke == "#E1E1E1" => Some(*bbox),
        _ => None,
    })
}

/// Whether `b` holds every point of `points`.
pub fn holds(b: Bbox, points: &[(f64, f64)]) -> bool {
    points
        .iter()
        .all(|&(x, y)| x >= b.0 && x <= b.2 && y >= b.1 && y <= b.3)
}

/// A segment of a line or outline: its colour, from, to.
pub type Segment = (String, (f64, f64), (f64, f64));

/// The segments of every polyline and polygon outside the legend (its samples lie inside
/// it), each as (colour, from, to), polygons closed.
pub fn data_segments(shapes: &[Shape], legend: Bbox) -> Vec<Segment> {
    let mut out = Vec::new();
    for s in shapes {
        if let Shape::Path {
            points,
            closed,
            colour,
        } = s
        {
            if holds(legend, points) {
                continue;
            }
            for w in points.windows(2) {
                out.push((colour.clone(), w[0], w[1]));
            }
            if *closed && points.len() > 2 {
                out.push((colour.clone(), points[points.len() - 1], points[0]));
            }
        }
    }
    out
}

/// Every segment outside the legend that passes through it (empty: the legend covers none).
pub fn legend_covers(svg: &str) -> Vec<String> {
    let shapes = shapes(svg);
    let legend = legend_box(&shapes).expect("a legend box");
    data_segments(&shapes, legend)
        .into_iter()
        .filter(|(_, p, q)| segment_hits(*p, *q, legend))
        .map(|(c, p, q)| format!("{c} {p:?}–{q:?} crosses the legend {legend:?}"))
        .collect()
}

/// Labels written on a box of their own (plotters writes the box, then the words): each
/// label's words and the box, for texts whose words satisfy `is_label`.
pub fn boxed_labels(svg: &str, is_label: impl Fn(&str) -> bool) -> Vec<(String, Bbox)> {
    let shapes = shapes(svg);
    let mut out = Vec::new();
    for w in shapes.windows(2) {
        if let (Shape::Rect { bbox, .. }, Shape::Text { content, at, .. }) = (&w[0], &w[1])
            && is_label(content)
        {
            assert!(
                holds(*bbox, &[*at]),
                "{content}: drawn at {at:?}, outside its box {bbox:?}"
            );
            out.push((content.clone(), *bbox));
        }
    }
    out
}

/// Pairs of labels whose boxes overlap (empty: none do).
pub fn overlapping(labels: &[(String, Bbox)]) -> Vec<String> {
    let mut out = Vec::new();
    for (i, a) in labels.iter().enumerate() {
        for b in &labels[i + 1..] {
            if overlap(a.1, b.1) {
                out.push(format!("{} {:?} and {} {:?}", a.0, a.1, b.0, b.1));
            }
        }
    }
    out
}

/// The y axis's tick labels: texts anchored at their end left of the plot (`$0`, `$5K`).
pub fn y_ticks(svg: &str) -> Vec<String> {
    shapes(svg)
        .into_iter()
        .filter_map(|s| match s {
            Shape::Text {
                anchor,
                content,
                at,
                ..
            } if anchor == "end" && at.0 < 120.0 => Some(content),
            _ => None,
        })
        .collect()
}
