//! `tokencast track`: the forecast against its actuals as a table, `track.csv`, `track.json`,
//! a fan chart with the actual months over it and the conditioned rest, and `report.html`.

use super::charts::{ChartError, FanChart, FanLine, FanPeriod, Unit};
use super::forecast::money;
use super::html::escape;
use super::manifest::Manifest;
use super::page::{self, Figure, month_short, month_words, pct, table, usd, usd_se};
use crate::forecast::track::{Band, Track, TrackMonth};

/// The track as pretty JSON.
pub fn to_json(t: &Track) -> String {
    let mut s = serde_json::to_string_pretty(t).expect("a track always serialises");
    s.push('\n');
    s
}

fn band_words(b: Option<Band>) -> &'static str {
    match b {
        Some(Band::Below) => "below P5",
        Some(Band::Above) => "above P95",
        Some(Band::Within) => "within",
        None => "",
    }
}

/// `track.csv`: one row per month.
pub fn to_csv(t: &Track) -> String {
    let mut out = String::from(
        "period,actual_usd,forecast_p5_usd,forecast_p50_usd,forecast_p95_usd,forecast_mean_usd,rank,band,conditioned_mean_usd,conditioned_se_usd,conditioned_p5_usd,conditioned_p50_usd,conditioned_p95_usd\n",
    );
    for m in &t.monthly {
        let c = m.conditioned.as_ref();
        let f = |v: Option<f64>| v.map_or(String::new(), |v| format!("{v:.2}"));
        out.push_str(&format!(
            "{},{},{:.2},{:.2},{:.2},{:.2},{},{},{},{},{},{},{}\n",
            m.period,
            f(m.actual),
            m.forecast.p5,
            m.forecast.p50,
            m.forecast.p95,
            m.forecast.mean,
            m.rank.map_or(String::new(), |r| format!("{r:.4}")),
            m.band.map_or(String::new(), |b| {
                match b {
                    Band::Below => "below",
                    Band::Within => "within",
                    Band::Above => "above",
                }
                .to_string()
            }),
            f(c.map(|c| c.mean)),
            f(c.map(|c| c.se)),
            f(c.map(|c| c.p5)),
            f(c.map(|c| c.p50)),
            f(c.map(|c| c.p95)),
        ));
    }
    out
}

/// The conditioning in words.
fn conditioning_words(t: &Track) -> String {
    format!(
        "conditioned on the {} month{} seen: futures weighted by how close their months are to \
         the actuals (kernel bandwidth {:.0}% on the log bill, {} effective futures of {})",
        t.months_seen,
        if t.months_seen == 1 { "" } else { "s" },
        100.0 * t.bandwidth,
        money(t.effective_trials),
        money(t.trials as f64)
    )
}

/// The terminal table.
pub fn render_table(t: &Track) -> String {
    let mut out = format!(
        "{} against its actuals — {} months seen, {} trials, seed {}\n\n",
        t.scenario, t.months_seen, t.trials, t.seed
    );
    out.push_str(&format!(
        "  {:<8} {:>14} {:>40} {:>6}  {}\n",
        "month", "actual", "forecast P5 – P50 – P95", "rank", "band"
    ));
    for m in t.monthly.iter().filter(|m| m.actual.is_some()) {
        out.push_str(&format!(
            "  {:<8} {:>14} {:>40} {:>6}  {}\n",
            m.period,
            money(m.actual.unwrap_or(0.0)),
            format!(
                "{} – {} – {}",
                money(m.forecast.p5),
                money(m.forecast.p50),
                money(m.forecast.p95)
            ),
            m.rank.map_or(String::new(), pct),
            band_words(m.band)
        ));
    }
    out.push_str(&format!(
        "  {} of {} months outside the forecast's P5–P95 (about 1 in 10 expected by chance)\n",
        t.months_outside, t.months_seen
    ));
    let rest: Vec<&TrackMonth> = t
        .monthly
        .iter()
        .filter(|m| m.conditioned.is_some())
        .collect();
    if !rest.is_empty() {
        out.push_str(&format!("\n  the rest, {}\n", conditioning_words(t)));
        out.push_str(&format!(
            "  {:<8} {:>22} {:>34} {:>14}\n",
            "month", "expected ± SE", "P5 – P50 – P95", "was P50"
        ));
        for m in rest {
            let c = m.conditioned.expect("filtered");
            out.push_str(&format!(
                "  {:<8} {:>22} {:>34} {:>14}\n",
                m.period,
                format!("{} ± {}", money(c.mean), money(c.se)),
                format!("{} – {} – {}", money(c.p5), money(c.p50), money(c.p95)),
                money(m.forecast.p50)
            ));
        }
    }
    out.push('\n');
    for y in &t.years {
        out.push_str(&format!("  {}\n", year_sentence(y)));
    }
    out
}

fn year_sentence(y: &crate::forecast::track::TrackYear) -> String {
    if y.months_seen == 0 {
        format!(
            "{}: not started; expected {} ± {} (P10 {}, P90 {}), the forecast said {} (P10 {}, P90 {})",
            y.label,
            usd(y.conditioned.mean),
            money(y.conditioned.se),
            usd(y.conditioned.p10),
            usd(y.conditioned.p90),
            usd(y.forecast.mean),
            usd(y.forecast.p10),
            usd(y.forecast.p90)
        )
    } else if y.months_seen == y.months {
        format!(
            "{}: spent {} (the forecast said {}, P10 {}, P90 {})",
            y.label,
            usd(y.actual_so_far),
            usd(y.forecast.mean),
            usd(y.forecast.p10),
            usd(y.forecast.p90)
        )
    } else {
        format!(
            "{}: {} spent in {} of {} months; the year now expected at {} (P10 {}, P90 {}), the forecast said {} (P10 {}, P90 {})",
            y.label,
            usd(y.actual_so_far),
            y.months_seen,
            y.months,
            usd_se(y.conditioned.mean, y.conditioned.se),
            usd(y.conditioned.p10),
            usd(y.conditioned.p90),
            usd(y.forecast.mean),
            usd(y.forecast.p10),
            usd(y.forecast.p90)
        )
    }
}

/// The chart: the forecast's band, the actual months over it, and the conditioned median of
/// the rest.
pub fn chart(t: &Track) -> FanChart {
    let conditioned: Vec<f64> = t
        .monthly
        .iter()
        .map(|m| {
            m.conditioned
                .map_or_else(|| m.actual.unwrap_or(m.forecast.p50), |c| c.p50)
        })
        .collect();
    let mut lines = vec![FanLine {
        name: "actual".into(),
        values: t.monthly.iter().filter_map(|m| m.actual).collect(),
        dashed: false,
        colour: 1,
    }];
    if t.monthly.iter().any(|m| m.conditioned.is_some()) {
        lines.push(FanLine {
            name: "median given the actuals".into(),
            values: conditioned,
            dashed: true,
            colour: 1,
        });
    }
    FanChart {
        stem: "track_fan".into(),
        title: format!(
            "{}: the forecast (P5–P95, P25–P75, median) and the actuals",
            t.scenario
        ),
        y_description: "Monthly bill".into(),
        unit: Unit::Usd,
        x_description: "Month".into(),
        periods: t
            .monthly
            .iter()
            .map(|m| FanPeriod {
                label: m.period.clone(),
                p5: m.forecast.p5,
                p25: m.forecast.p25,
                p50: m.forecast.p50,
                p75: m.forecast.p75,
                p95: m.forecast.p95,
            })
            .collect(),
        budget: Vec::new(),
        lines,
    }
}

/// The track's figure: the band, the actual months over it, the conditioned median.
pub fn figure(t: &Track) -> Result<Figure, ChartError> {
    Figure::new(
        &chart(t),
        "The forecast's band month by month, the actual spend over it, and from the last \
         month seen the median of the futures that match the actuals.",
    )
}

/// The track as HTML sections whose headings are at level `h` (`<h2>` on its own page, `<h3>`
/// inside the forecast's report): the months outside the band, each year's total, the figure,
/// the months seen against the band and the rest forecast again.
pub fn sections(t: &Track, figure: &Figure, h: u8) -> String {
    let mut html = format!(
        "<p>{} of the {} months seen fall outside the forecast's P5–P95 band (about 1 in 10 would by chance).</p>\n",
        t.months_outside, t.months_seen
    );
    html.push_str("<ul>\n");
    for y in &t.years {
        html.push_str(&format!("<li>{}</li>\n", escape(&year_sentence(y))));
    }
    html.push_str("</ul>\n");
    html.push_str(&figure.html());
    html.push_str(&format!("<h{h}>The months seen</h{h}>\n"));
    let rows: Vec<Vec<String>> = t
        .monthly
        .iter()
        .filter(|m| m.actual.is_some())
        .map(|m| {
            vec![
                escape(&month_short(&m.period)),
                usd(m.actual.unwrap_or(0.0)),
                usd(m.forecast.p5),
                usd(m.forecast.p50),
                usd(m.forecast.p95),
                m.rank.map_or(String::new(), pct),
                band_words(m.band).into(),
            ]
        })
        .collect();
    html.push_str(&table(
        &[
            "month",
            "actual",
            "forecast P5",
            "P50",
            "P95",
            "share of futures at most the actual",
            "band",
        ],
        &rows,
    ));
    let rest: Vec<Vec<String>> = t
        .monthly
        .iter()
        .filter_map(|m| {
            let c = m.conditioned?;
            Some(vec![
                escape(&month_short(&m.period)),
                usd_se(c.mean, c.se),
                usd(c.p5),
                usd(c.p50),
                usd(c.p95),
                usd(m.forecast.p50),
            ])
        })
        .collect();
    if !rest.is_empty() {
        html.push_str(&format!("<h{h}>The rest, forecast again</h{h}>\n"));
        html.push_str(&format!(
            "<p>The rest is {}.</p>\n",
            escape(&conditioning_words(t))
        ));
        html.push_str(&table(
            &[
                "month",
                "expected ± SE",
                "P5",
                "P50",
                "P95",
                "the forecast's P50",
            ],
            &rest,
        ));
    }
    html
}

/// The track's own page (`tokencast track`).
pub fn render_page(t: &Track, manifest: &Manifest) -> Result<String, ChartError> {
    let figure = figure(t)?;
    let first = t
        .monthly
        .first()
        .map_or(String::new(), |m| month_words(&m.period));
    let mut html = page::head(
        &format!("{}: forecast against actuals", t.scenario),
        "",
        &format!(
            "{} months of actual spend from {first} against the forecast, and the rest of the horizon forecast again from them.",
            t.months_seen
        ),
    );
    html.push_str("<h2>The answer</h2>\n");
    html.push_str(&sections(t, &figure, 2));
    html.push_str(&page::footer(
        manifest,
        &format!(
            "Method: {}. Expected values are means ± their standard error.",
            t.method
        ),
    ));
    Ok(html)
}
