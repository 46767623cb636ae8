//! Pieces shared by the `report.html` pages of `forecast`, `compare` and `sweep`: amounts in
//! dollars with thousands separators, percentages with their standard errors, months in words,
//! tables, inline charts and the footer. Every page is self-contained: inline CSS and SVG, no
//! scripts, nothing fetched.

use super::charts::{Chart, ChartError, render_svg};
use super::html::{STYLE, escape, strip_xml_declaration};
use super::manifest::Manifest;

/// An amount in dollars with thousands separators: `$1,234,567`, `$12.35` below $100.
pub fn usd(v: f64) -> String {
    if !v.is_finite() {
        return "n/a".into();
    }
    let body = super::forecast::money(v.abs());
    if v < 0.0 && body != "0.00" && body != "0" {
        format!("−${body}")
    } else {
        format!("${body}")
    }
}

/// An amount and its standard error: `$312,345 ± 1,234`.
pub fn usd_se(v: f64, se: f64) -> String {
    format!("{} ± {}", usd(v), super::forecast::money(se))
}

/// A probability as a percentage: one decimal (`12.3%`), two below 1% (`0.04%`) so that a
/// probability that is not zero never reads as `0.0%`; `0%` when it is zero.
pub fn pct(p: f64) -> String {
    if !p.is_finite() {
        "n/a".into()
    } else if p == 0.0 {
        "0%".into()
    } else if p.abs() < 0.01 {
        format!("{:.2}%", 100.0 * p)
    } else {
        format!("{:.1}%", 100.0 * p)
    }
}

/// A probability and its standard error: `12.3% ± 0.4%`.
pub fn pct_se(p: f64, se: f64) -> String {
    format!("{} ± {}", pct(p), pct(se))
}

/// `2027-03` → `March 2027`; anything else unchanged.
pub fn month_words(period: &str) -> String {
    let parsed = period
        .split_once('-')
        .and_then(|(y, m)| Some((y, m.parse::<usize>().ok()?)))
        .filter(|(_, m)| (1..=12).contains(m));
    match parsed {
        Some((y, m)) => format!("{} {y}", crate::forecast::fiscal::MONTH_NAMES[m - 1]),
        None => period.to_string(),
    }
}

/// `2027-03` → `Mar 2027` (for table rows); anything else unchanged.
pub fn month_short(period: &str) -> String {
    let long = month_words(period);
    match long.split_once(' ') {
        Some((m, y)) if long != period => format!("{} {y}", &m[..3]),
        _ => long,
    }
}

/// A name as people read it: `seat_plan` → `seat plan`.
pub fn words(name: &str) -> String {
    crate::text::words(name)
}

/// A table: headers, then rows of cells that are already HTML (escape text first). The first
/// column is left-aligned, the others right-aligned.
pub fn table(headers: &[&str], rows: &[Vec<String>]) -> String {
    let mut out = String::from("<table><tr>");
    for h in headers {
        out.push_str(&format!("<th>{}</th>", escape(h)));
    }
    out.push_str("</tr>");
    for row in rows {
        out.push_str("<tr>");
        for cell in row {
            out.push_str(&format!("<td>{cell}</td>"));
        }
        out.push_str("</tr>");
    }
    out.push_str("</table>\n");
    out
}

/// A chart drawn as SVG for a page, with its caption.
#[derive(Debug, Clone)]
pub struct Figure {
    /// The chart's stem, used as the element's id.
    pub stem: String,
    /// The SVG document.
    pub svg: String,
    /// What the chart tells.
    pub caption: String,
}

impl Figure {
    /// Draws `chart` as SVG.
    pub fn new(chart: &impl Chart, caption: impl Into<String>) -> Result<Figure, ChartError> {
        Ok(Figure {
            stem: chart.file_stem().to_string(),
            svg: render_svg(chart)?,
            caption: caption.into(),
        })
    }

    /// The figure as HTML.
    pub fn html(&self) -> String {
        format!(
            "<figure id=\"{}\">{}<figcaption>{}</figcaption></figure>\n",
            escape(&self.stem),
            strip_xml_declaration(&self.svg),
            escape(&self.caption)
        )
    }
}

/// Styles the pages add to the run report's.
const PAGE_STYLE: &str = ".lead{font-size:1.1em;line-height:1.5}.verdict{background:#f4f8fb;border-left:4px solid #0072b2;padding:0.6em 1em;margin:1em 0}\
.verdict p{margin:0.4em 0}footer{margin-top:3em;border-top:1px solid #e1e1e1;padding-top:1em;color:#555;font-size:0.85em}\
h2{margin-top:2em;border-bottom:1px solid #e1e1e1;padding-bottom:0.2em}ul.assumptions li{margin:0.3em 0}td.text{text-align:left}td:not(:first-child){white-space:nowrap}td .wrap{white-space:normal;min-width:16em;overflow-wrap:anywhere;text-align:left}body{max-width:1100px}";

/// The page's head and title block: `<h1>`, the description, and a line under it.
pub fn head(title: &str, description: &str, subtitle: &str) -> String {
    let mut out = format!(
        "<!DOCTYPE html>\n<html lang=\"en\"><head><meta charset=\"utf-8\"><meta name=\"viewport\" content=\"width=device-width, initial-scale=1\"><title>{} — tokencast report</title><style>{STYLE}{PAGE_STYLE}</style></head><body>\n<h1>{}</h1>\n",
        escape(title),
        escape(title)
    );
    if !description.is_empty() {
        out.push_str(&format!("<p class=\"lead\">{}</p>\n", escape(description)));
    }
    if !subtitle.is_empty() {
        out.push_str(&format!("<p class=\"note\">{}</p>\n", escape(subtitle)));
    }
    out
}

/// The footer: what made the page, from which file, when, with how many trials and which seed,
/// and how precise the figures are; then the end of the page.
pub fn footer(manifest: &Manifest, precision: &str) -> String {
    format!(
        "<footer><p>Made by {} {} on {} from <code>{}</code> (SHA-256 <code>{}</code>): {} simulated futures (trials), seed {}; the same file, seed and trial count give the same figures on any machine.</p><p>{}</p></footer>\n</body></html>\n",
        escape(manifest.tool),
        escape(manifest.version),
        escape(&manifest.started_at),
        escape(&manifest.scenario_path),
        escape(&manifest.scenario_sha256),
        crate::text::thousands(manifest.trials as f64),
        manifest.seed,
        escape(precision)
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn amounts_and_months_read_as_people_write_them() {
        assert_eq!(usd(1_234_567.4), "$1,234,567");
        assert_eq!(usd(12.345), "$12.35");
        assert_eq!(usd(-2500.0), "−$2,500");
        assert_eq!(usd(f64::NAN), "n/a");
        assert_eq!(usd_se(312_345.0, 1_234.0), "$312,345 ± 1,234");
        assert_eq!(pct(0.3244), "32.4%");
        assert_eq!(pct(0.0004), "0.04%");
        assert_eq!(pct(0.0), "0%");
        assert_eq!(pct_se(0.3244, 0.0041), "32.4% ± 0.41%");
        assert_eq!(month_words("2027-03"), "March 2027");
        assert_eq!(month_short("2028-12"), "Dec 2028");
        assert_eq!(month_words("2027-13"), "2027-13");
        assert_eq!(words("seat_plan"), "seat plan");
    }

    #[test]
    fn a_table_escapes_its_headers_and_keeps_cells() {
        let t = table(&["a<b", "c"], &[vec!["<b>x</b>".into(), "1".into()]]);
        assert!(t.contains("<th>a&lt;b</th>"));
        assert!(t.contains("<td><b>x</b></td>"));
    }
}
