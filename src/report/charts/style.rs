//! One look for every chart: the palette (Okabe and Ito's colour-blind-safe set), font sizes,
//! units and how axis values are written.

use plotters::style::{FontDesc, IntoFont, RGBColor, TextStyle};

use super::font::FONT_FAMILY;

/// Background of every chart.
pub const BACKGROUND: RGBColor = RGBColor(255, 255, 255);
/// Axis lines, text.
pub const INK: RGBColor = RGBColor(33, 33, 33);
/// Grid lines.
pub const GRID: RGBColor = RGBColor(225, 225, 225);
/// The main series of a chart (blue).
pub const PRIMARY: RGBColor = RGBColor(0, 114, 178);
/// Marks of percentiles and thresholds (vermillion).
pub const MARK: RGBColor = RGBColor(213, 94, 0);
/// A budget or limit line (reddish purple).
pub const LIMIT: RGBColor = RGBColor(204, 121, 167);

/// Colours of successive series (Okabe–Ito, without yellow, which is unreadable on white).
pub const SERIES: [RGBColor; 7] = [
    RGBColor(0, 114, 178),
    RGBColor(230, 159, 0),
    RGBColor(0, 158, 115),
    RGBColor(213, 94, 0),
    RGBColor(86, 180, 233),
    RGBColor(204, 121, 167),
    RGBColor(110, 110, 110),
];

/// The colour of series `i` (cycling).
pub fn series_colour(i: usize) -> RGBColor {
    SERIES[i % SERIES.len()]
}

/// Font of chart titles.
pub fn title_font() -> FontDesc<'static> {
    (FONT_FAMILY, 24).into_font()
}

/// Font of axis descriptions and legends.
pub fn label_font() -> FontDesc<'static> {
    (FONT_FAMILY, 16).into_font()
}

/// Font of tick labels and annotations.
pub fn small_font() -> FontDesc<'static> {
    (FONT_FAMILY, 14).into_font()
}

/// Annotation text in a colour.
pub fn annotation(colour: RGBColor) -> TextStyle<'static> {
    small_font().color(&colour)
}

/// How an axis maps values.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Scale {
    /// Evenly spaced values.
    Linear,
    /// Evenly spaced powers (values must be positive).
    Log,
}

/// What the numbers on an axis are.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Unit {
    /// US dollars.
    Usd,
    /// Tokens.
    Tokens,
    /// A plain count (calls, trials, seats).
    Count,
    /// A probability, written as a percentage.
    Probability,
}

impl Unit {
    /// The unit as written in an axis description, e.g. `($)`.
    pub fn suffix(self) -> &'static str {
        match self {
            Unit::Usd => "($)",
            Unit::Tokens => "(tokens)",
            Unit::Count => "",
            Unit::Probability => "(%)",
        }
    }

    /// A value written for an axis tick or a label: three significant digits, thousands as
    /// K and millions as M, dollars with `$`, probabilities as percentages.
    pub fn format(self, v: f64) -> String {
        match self {
            Unit::Usd => format!("${}", compact(v)),
            Unit::Tokens | Unit::Count => compact(v),
            Unit::Probability => format!("{}%", significant(100.0 * v, 3)),
        }
    }
}

impl Unit {
    /// A tick on an axis whose largest value is `top`: the multiple (K, M, B, T) is the one
    /// `top` calls for, so that every tick of the axis is written alike (`$0`, `$5K`, `$10K`).
    pub fn format_on_axis(self, v: f64, top: f64) -> String {
        match self {
            Unit::Usd => format!("${}", compact_as(v, top)),
            Unit::Tokens | Unit::Count => compact_as(v, top),
            Unit::Probability => self.format(v),
        }
    }
}

/// `v` written with the multiple `top` calls for (see [`compact`]).
fn compact_as(v: f64, top: f64) -> String {
    let a = top.abs();
    if v == 0.0 {
        return "0".into();
    }
    let (div, suffix) = if a >= 1e12 {
        (1e12, "T")
    } else if a >= 1e9 {
        (1e9, "B")
    } else if a >= 1e6 {
        (1e6, "M")
    } else if a >= 1e4 {
        (1e3, "K")
    } else {
        return compact(v);
    };
    format!("{}{suffix}", significant(v / div, 3))
}

/// `v` with thousands as K, millions as M, billions as B, trillions as T, to three significant
/// digits (the largest budget, 1e15, is `1000T`).
pub fn compact(v: f64) -> String {
    let a = v.abs();
    let (scaled, suffix) = if a >= 1e12 {
        (v / 1e12, "T")
    } else if a >= 1e9 {
        (v / 1e9, "B")
    } else if a >= 1e6 {
        (v / 1e6, "M")
    } else if a >= 1e4 {
        (v / 1e3, "K")
    } else {
        (v, "")
    };
    format!("{}{suffix}", significant(scaled, 3))
}

/// `v` to `digits` significant digits, without trailing zeros (integers up to 9,999 in full).
pub fn significant(v: f64, digits: i32) -> String {
    if v == 0.0 || !v.is_finite() {
        return if v.is_finite() {
            "0".into()
        } else {
            v.to_string()
        };
    }
    let magnitude = v.abs().log10().floor() as i32;
    let decimals = (digits - 1 - magnitude).max(0) as usize;
    let s = format!("{v:.decimals$}");
    if s.contains('.') {
        s.trim_end_matches('0').trim_end_matches('.').to_string()
    } else {
        s
    }
}

/// A value for people: thousands separated from 1,000 up, else three significant digits
/// (`4,283`, `0.0319`, `11.4`).
pub fn readable(v: f64) -> String {
    if v.is_finite() && v.abs() >= 1000.0 {
        crate::text::thousands(v)
    } else {
        significant(v, 3)
    }
}

/// Axis description: `text` followed by the unit, e.g. `Cost per task ($)`.
pub fn axis_label(text: &str, unit: Unit) -> String {
    match unit.suffix() {
        "" => text.to_string(),
        s => format!("{text} {s}"),
    }
}

/// Pads a range so that data do not touch the frame; a zero-width range gets a width.
pub fn padded(lo: f64, hi: f64, scale: Scale) -> (f64, f64) {
    match scale {
        Scale::Linear => {
            let width = if hi > lo { hi - lo } else { lo.abs().max(1.0) };
            (lo - 0.03 * width, hi + 0.03 * width)
        }
        Scale::Log => {
            let (lo, hi) = (lo.max(f64::MIN_POSITIVE), hi.max(f64::MIN_POSITIVE));
            if hi > lo {
                let ratio = (hi / lo).powf(0.03);
                (lo / ratio, hi * ratio)
            } else {
                (lo / 1.5, hi * 1.5)
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn values_are_written_compactly() {
        assert_eq!(Unit::Usd.format(0.20504), "$0.205");
        assert_eq!(Unit::Usd.format(12_345.0), "$12.3K");
        assert_eq!(Unit::Tokens.format(1_620_011.0), "1.62M");
        assert_eq!(Unit::Count.format(9_999.0), "9999");
        assert_eq!(Unit::Probability.format(0.05), "5%");
        assert_eq!(Unit::Usd.format(0.0), "$0");
        assert_eq!(Unit::Usd.format(2.5e9), "$2.5B");
        assert_eq!(Unit::Usd.format(1e15), "$1000T");
        assert_eq!(axis_label("Cost per task", Unit::Usd), "Cost per task ($)");
        // One axis, one format: $5000 on an axis reaching $24K is $5K.
        assert_eq!(Unit::Usd.format_on_axis(5_000.0, 24_000.0), "$5K");
        assert_eq!(Unit::Usd.format_on_axis(0.0, 24_000.0), "$0");
        assert_eq!(Unit::Usd.format_on_axis(2_500.0, 24_000.0), "$2.5K");
        assert_eq!(Unit::Usd.format_on_axis(500_000.0, 2e6), "$0.5M");
        assert_eq!(Unit::Usd.format_on_axis(5_000.0, 9_000.0), "$5000");
        assert_eq!(Unit::Count.format_on_axis(50.0, 400.0), "50");
    }
}
