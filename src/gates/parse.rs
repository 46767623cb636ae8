//! Reading gates as people write them: `p95(cost_usd) <= $2.00`, `p_over_budget(2028) <= 10%`,
//! `mean(total, seat_plan) < 1.2M`; from the command line or a `[gates] require = [...]` table,
//! with errors that point at the offending character.

use std::fmt;

use serde::Deserialize;

use super::{Comparison, Gate, Statistic, Target, YearRef};
use crate::engine::{TRIAL_METRICS, USAGE_METRICS};
use crate::scenario::{Diagnostic, FieldPath, Location, ScenarioError};
use crate::text::{backticked, did_you_mean};

/// Longest gate expression accepted, in bytes.
pub const MAX_GATE_LEN: usize = 200;

/// Most gates one check takes (command line and file together).
pub const MAX_GATES: usize = 100;

/// The statistics a gate may read, as written.
const STATISTICS: [&str; 9] = [
    "mean",
    "sd",
    "pNN",
    "min",
    "max",
    "success_rate",
    "cost_per_success",
    "p_over_budget",
    "p_over",
];

/// Why a gate could not be read.
#[derive(Debug, Clone, PartialEq)]
pub struct GateError {
    /// The gate as written.
    pub text: String,
    /// 0-based character offset of the problem in the gate.
    pub column: usize,
    /// What is wrong.
    pub message: String,
    /// A suggestion.
    pub help: Option<String>,
}

impl fmt::Display for GateError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "gate `{}`, column {}: {}",
            self.text,
            self.column + 1,
            self.message
        )?;
        write!(f, "\n  {}\n  {}^", self.text, " ".repeat(self.column))?;
        if let Some(h) = &self.help {
            write!(f, "\nhelp: {h}")?;
        }
        Ok(())
    }
}

impl std::error::Error for GateError {}

/// Which kind of file a gate is checked against.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum FileKind {
    /// A task scenario (`run`).
    Task,
    /// A forecast (`forecast`).
    Forecast,
}

struct Cursor<'a> {
    text: &'a str,
    pos: usize,
}

impl<'a> Cursor<'a> {
    fn skip_ws(&mut self) {
        while self.text[self.pos..].starts_with(char::is_whitespace) {
            self.pos += self.text[self.pos..]
                .chars()
                .next()
                .map_or(1, char::len_utf8);
        }
    }

    fn rest(&self) -> &'a str {
        &self.text[self.pos..]
    }

    fn column(&self) -> usize {
        self.text[..self.pos].chars().count()
    }

    fn word(&mut self) -> &'a str {
        self.skip_ws();
        let start = self.pos;
        let len = self
            .rest()
            .find(|c: char| !(c.is_alphanumeric() || c == '_' || c == '.' || c == '-'))
            .unwrap_or(self.rest().len());
        self.pos += len;
        &self.text[start..self.pos]
    }

    fn eat(&mut self, s: &str) -> bool {
        self.skip_ws();
        if self.rest().starts_with(s) {
            self.pos += s.len();
            true
        } else {
            false
        }
    }
}

fn error(text: &str, column: usize, message: String, help: Option<String>) -> GateError {
    GateError {
        text: text.to_string(),
        column,
        message,
        help,
    }
}

/// Parses one gate for a file of `kind`.
pub fn parse_gate(text: &str, kind: FileKind) -> Result<Gate, GateError> {
    if text.len() > MAX_GATE_LEN {
        return Err(error(
            &text.chars().take(60).collect::<String>(),
            0,
            format!(
                "a gate is at most {MAX_GATE_LEN} characters; this one has {}",
                text.len()
            ),
            None,
        ));
    }
    if let Some((i, c)) = text.char_indices().find(|(_, c)| c.is_control()) {
        return Err(error(
            &text.escape_debug().to_string(),
            text[..i].chars().count(),
            format!("unexpected control character {:?}", c),
            None,
        ));
    }
    let mut cur = Cursor { text, pos: 0 };
    cur.skip_ws();
    let stat_col = cur.column();
    let stat_word = cur.word();
    let statistic = parse_statistic(stat_word).ok_or_else(|| {
        let names = STATISTICS.iter().copied();
        error(
            text,
            stat_col,
            if stat_word.is_empty() {
                "expected a statistic such as `p95`, `mean` or `p_over_budget`".into()
            } else {
                format!(
                    "unknown statistic `{stat_word}`: expected one of {} (pNN is any percentile, e.g. p95 or p99.9)",
                    backticked(names)
                )
            },
            did_you_mean(stat_word, STATISTICS).map(|s| format!("did you mean `{s}`?")),
        )
    })?;
    let mut args: Vec<(usize, &str)> = Vec::new();
    if cur.eat("(") {
        loop {
            cur.skip_ws();
            let col = cur.column();
            let w = cur.word();
            if w.is_empty() {
                return Err(error(
                    text,
                    col,
                    "expected a name inside the parentheses".into(),
                    None,
                ));
            }
            args.push((col, w));
            if cur.eat(",") {
                continue;
            }
            if cur.eat(")") {
                break;
            }
            return Err(error(
                text,
                cur.column(),
                "expected `,` or `)`".into(),
                None,
            ));
        }
    }
    cur.skip_ws();
    let op_col = cur.column();
    let comparison = if cur.eat("<=") {
        Comparison::AtMost
    } else if cur.eat(">=") {
        Comparison::AtLeast
    } else if cur.eat("<") {
        Comparison::Below
    } else if cur.eat(">") {
        Comparison::Above
    } else {
        return Err(error(
            text,
            op_col,
            "expected a comparison: `<=`, `<`, `>=` or `>`".into(),
            None,
        ));
    };
    cur.skip_ws();
    let num_col = cur.column();
    let number_text = cur.rest().trim();
    let threshold = parse_threshold(number_text).ok_or_else(|| {
        error(
            text,
            num_col,
            format!("expected a finite number, found `{number_text}`"),
            Some("write e.g. `2.00`, `$1,500`, `800K`, `1.2M` or `10%`".into()),
        )
    })?;
    if number_text.ends_with('%')
        && !matches!(statistic, Statistic::POverBudget | Statistic::SuccessRate)
    {
        return Err(error(
            text,
            num_col,
            "a percentage is a probability: only `p_over_budget` and `success_rate` take one"
                .into(),
            None,
        ));
    }
    let (target, scheme) = parse_target(text, statistic, &args, kind)?;
    Ok(Gate {
        text: text.trim().to_string(),
        statistic,
        target,
        scheme,
        comparison,
        threshold,
    })
}

fn parse_statistic(word: &str) -> Option<Statistic> {
    let w = word.to_ascii_lowercase();
    Some(match w.as_str() {
        "mean" | "avg" | "average" => Statistic::Mean,
        "sd" | "stddev" => Statistic::Sd,
        "min" => Statistic::Min,
        "max" => Statistic::Max,
        "median" => Statistic::Percentile(0.5),
        "success_rate" => Statistic::SuccessRate,
        "cost_per_success" => Statistic::CostPerSuccess,
        "p_over_budget" | "p_over" => Statistic::POverBudget,
        _ => {
            let digits = w.strip_prefix('p')?;
            if digits.is_empty() || !digits.chars().all(|c| c.is_ascii_digit() || c == '.') {
                return None;
            }
            let q: f64 = digits.parse().ok()?;
            if !(q > 0.0 && q < 100.0) {
                return None;
            }
            Statistic::Percentile(q / 100.0)
        }
    })
}

/// `2.00`, `$1,500`, `800K`, `1.2M`, `3B`, `10%`, `1e6`.
fn parse_threshold(s: &str) -> Option<f64> {
    let s = s.trim();
    let s = s.strip_prefix('$').unwrap_or(s);
    let (body, scale) = match s.chars().last()? {
        '%' => (&s[..s.len() - 1], 0.01),
        'k' | 'K' => (&s[..s.len() - 1], 1e3),
        'm' | 'M' => (&s[..s.len() - 1], 1e6),
        'b' | 'B' => (&s[..s.len() - 1], 1e9),
        _ => (s, 1.0),
    };
    let body = body.trim().replace(',', "");
    if body.is_empty()
        || !body
            .chars()
            .all(|c| c.is_ascii_digit() || matches!(c, '.' | 'e' | 'E' | '-' | '+'))
    {
        return None;
    }
    let v: f64 = body.parse().ok()?;
    let v = v * scale;
    v.is_finite().then_some(v)
}

fn parse_target(
    text: &str,
    statistic: Statistic,
    args: &[(usize, &str)],
    kind: FileKind,
) -> Result<(Target, Option<String>), GateError> {
    let end_col = text.trim_end().chars().count();
    match (kind, statistic) {
        (FileKind::Task, Statistic::SuccessRate | Statistic::CostPerSuccess) => {
            if let Some((col, _)) = args.first() {
                return Err(error(
                    text,
                    *col,
                    format!("`{}` takes no argument", statistic.label()),
                    None,
                ));
            }
            Ok((Target::Whole, None))
        }
        (FileKind::Forecast, Statistic::SuccessRate | Statistic::CostPerSuccess) => Err(error(
            text,
            0,
            format!(
                "`{}` is a task scenario's statistic; a forecast's gates read its bills",
                statistic.label()
            ),
            Some("e.g. `p90(2028) <= 900K` or `p_over_budget(2028) <= 10%`".into()),
        )),
        (FileKind::Task, Statistic::POverBudget) => Err(error(
            text,
            0,
            "`p_over_budget` reads a forecast's budgets; a task scenario has none".into(),
            Some("gate a task's cost with e.g. `p95(cost_usd) <= 2.00`".into()),
        )),
        (FileKind::Task, _) => {
            let Some(&(col, name)) = args.first() else {
                return Err(error(
                    text,
                    end_col.min(statistic.label().len()),
                    format!("name the metric: `{}(cost_usd)`", statistic.label()),
                    None,
                ));
            };
            if let Some(&(col, _)) = args.get(1) {
                return Err(error(
                    text,
                    col,
                    "a task scenario's gate takes one metric".into(),
                    None,
                ));
            }
            let name = if name == "cost" { "cost_usd" } else { name };
            let known = USAGE_METRICS.iter().chain(TRIAL_METRICS.iter()).copied();
            if !known.clone().any(|m| m == name) {
                return Err(error(
                    text,
                    col,
                    format!(
                        "unknown metric `{name}`: expected one of {}",
                        backticked(known.clone())
                    ),
                    did_you_mean(name, known).map(|s| format!("did you mean `{s}`?")),
                ));
            }
            Ok((Target::Metric(name.to_string()), None))
        }
        (FileKind::Forecast, _) => {
            let Some(&(col, name)) = args.first() else {
                return Err(error(
                    text,
                    end_col.min(statistic.label().len()),
                    format!(
                        "name the period: `{}(total)`, a year `{0}(2028)` or a month `{0}(2028-03)`",
                        statistic.label()
                    ),
                    None,
                ));
            };
            let target = forecast_target(name).ok_or_else(|| {
                let task_metric = name == "cost"
                    || USAGE_METRICS.iter().chain(TRIAL_METRICS.iter()).any(|&m| m == name);
                error(
                    text,
                    col,
                    format!(
                        "unknown period `{name}`: expected `total`, a year (`2028` or `year2`) or a month (`2028-03`)"
                    ),
                    task_metric.then(|| {
                        format!(
                            "`{name}` is a task scenario's metric; this file is a forecast, whose gates read its bills, e.g. `p90(2028) <= 900K`"
                        )
                    }),
                )
            })?;
            if statistic == Statistic::POverBudget && target == Target::Total {
                return Err(error(
                    text,
                    col,
                    "budgets are monthly or annual: name a year or a month".into(),
                    None,
                ));
            }
            let scheme = match args.get(1) {
                None => None,
                Some(&(col, s)) => {
                    if statistic == Statistic::POverBudget {
                        return Err(error(
                            text,
                            col,
                            "budgets are checked against the headline bill only".into(),
                            None,
                        ));
                    }
                    Some(s.strip_prefix("scheme=").unwrap_or(s).to_string())
                }
            };
            if let Some(&(col, _)) = args.get(2) {
                return Err(error(
                    text,
                    col,
                    "at most two arguments: the period and a billing scheme".into(),
                    None,
                ));
            }
            Ok((target, scheme))
        }
    }
}

fn forecast_target(name: &str) -> Option<Target> {
    let lower = name.to_ascii_lowercase();
    if lower == "total" || lower == "horizon" {
        return Some(Target::Total);
    }
    if let Some(i) = lower.strip_prefix("year") {
        let i: usize = i.trim_start_matches(['_', '-']).parse().ok()?;
        return (i >= 1).then_some(Target::Year(YearRef::Index(i)));
    }
    if lower.len() == 4 && lower.chars().all(|c| c.is_ascii_digit()) {
        return Some(Target::Year(YearRef::Calendar(lower.parse().ok()?)));
    }
    let ym = crate::forecast::calendar::YearMonth::parse(&lower)?;
    Some(Target::Month(ym.to_string()))
}

#[derive(Deserialize)]
struct GatesOnly {
    #[serde(default)]
    gates: GatesSpec,
}

use crate::scenario::spec::GatesSpec;

/// The gates of a file's `[gates]` table, each placed at its line and column when it does not
/// parse.
pub fn gates_in_file(file: &str, text: &str, kind: FileKind) -> Result<Vec<Gate>, ScenarioError> {
    let source = crate::scenario::parse::Source::new(file, text);
    let spec: GatesOnly = source.parse_as()?;
    let doc = toml_edit::Document::parse(text).ok();
    let mut gates = Vec::with_capacity(spec.gates.require.len());
    if spec.gates.require.len() > MAX_GATES {
        return Err(source.error_at(
            FieldPath::default().key("gates").key("require"),
            format!(
                "at most {MAX_GATES} gates; found {}",
                spec.gates.require.len()
            ),
            None,
        ));
    }
    for (i, g) in spec.gates.require.iter().enumerate() {
        match parse_gate(g, kind) {
            Ok(gate) => gates.push(gate),
            Err(e) => {
                let span = doc
                    .as_ref()
                    .and_then(|d| d.get("gates")?.get("require")?.get(i)?.span());
                // Point inside the string literal (after its opening quote) when it holds no
                // escapes, else at the literal.
                let location = span.map(|s| {
                    let literal = &text[s.clone()];
                    let plain = !literal.contains('\\');
                    let offset = if plain {
                        1 + g.char_indices().nth(e.column).map_or(g.len(), |(b, _)| b)
                    } else {
                        0
                    };
                    let start = (s.start + offset).min(s.end);
                    Location::from_span(text, start..start + 1)
                });
                return Err(ScenarioError::Invalid(Box::new(Diagnostic {
                    file: file.to_string(),
                    location,
                    path: FieldPath::default().key("gates").key("require").index(i),
                    message: format!("gate `{}`: {}", e.text, e.message),
                    help: e.help,
                })));
            }
        }
    }
    Ok(gates)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn task_gates_parse() {
        let g = parse_gate("p95(cost_usd) <= 2.00", FileKind::Task).unwrap();
        assert_eq!(g.statistic, Statistic::Percentile(0.95));
        assert_eq!(g.target, Target::Metric("cost_usd".into()));
        assert_eq!(g.comparison, Comparison::AtMost);
        assert_eq!(g.threshold, 2.0);
        let g = parse_gate("success_rate >= 90%", FileKind::Task).unwrap();
        assert_eq!(g.statistic, Statistic::SuccessRate);
        assert!((g.threshold - 0.9).abs() < 1e-15);
        let g = parse_gate(" mean(cost) < $1,500.5 ", FileKind::Task).unwrap();
        assert_eq!(g.target, Target::Metric("cost_usd".into()));
        assert_eq!(g.threshold, 1500.5);
        let g = parse_gate("p99.9(calls)>40", FileKind::Task).unwrap();
        assert!(
            (match g.statistic {
                Statistic::Percentile(q) => q,
                _ => 0.0,
            } - 0.999)
                .abs()
                < 1e-12
        );
    }

    #[test]
    fn forecast_gates_parse() {
        let g = parse_gate("p_over_budget(2028) <= 10%", FileKind::Forecast).unwrap();
        assert_eq!(g.target, Target::Year(YearRef::Calendar(2028)));
        assert!((g.threshold - 0.1).abs() < 1e-15);
        let g = parse_gate("mean(total, seat_plan) < 1.2M", FileKind::Forecast).unwrap();
        assert_eq!(g.target, Target::Total);
        assert_eq!(g.scheme.as_deref(), Some("seat_plan"));
        assert_eq!(g.threshold, 1.2e6);
        let g = parse_gate("p90(2028-03) <= 80K", FileKind::Forecast).unwrap();
        assert_eq!(g.target, Target::Month("2028-03".into()));
        let g = parse_gate("max(year2) <= 2M", FileKind::Forecast).unwrap();
        assert_eq!(g.target, Target::Year(YearRef::Index(2)));
    }

    #[test]
    fn errors_point_at_the_problem() {
        let e = parse_gate("p95(cost_usdd) <= 2", FileKind::Task).unwrap_err();
        assert_eq!(e.column, 4);
        assert_eq!(e.help.as_deref(), Some("did you mean `cost_usd`?"));
        let e = parse_gate("p95(cost_usd) =< 2", FileKind::Task).unwrap_err();
        assert_eq!(e.column, 14);
        let e = parse_gate("p95(cost_usd) <= nan", FileKind::Task).unwrap_err();
        assert_eq!(e.column, 17);
        let e = parse_gate("p95(cost_usd) <= 1e999", FileKind::Task).unwrap_err();
        assert!(e.message.contains("finite"));
        let e = parse_gate("maen(cost_usd) <= 2", FileKind::Task).unwrap_err();
        assert_eq!(e.help.as_deref(), Some("did you mean `mean`?"));
        assert!(parse_gate("p100(cost_usd) <= 2", FileKind::Task).is_err());
        assert!(parse_gate("p_over_budget(2028) <= 0.1", FileKind::Task).is_err());
        assert!(parse_gate("p_over_budget(total) <= 0.1", FileKind::Forecast).is_err());
        assert!(parse_gate("p95(cost_usd) <= 10%", FileKind::Task).is_err());
        assert!(parse_gate("success_rate(2028) >= 0.9", FileKind::Forecast).is_err());
        assert!(parse_gate(&"p".repeat(500), FileKind::Task).is_err());
        assert!(parse_gate("p95(cost_usd)\u{1b}[2J <= 2", FileKind::Task).is_err());
    }

    #[test]
    fn a_bad_gate_in_a_file_is_placed_at_its_line_and_column() {
        let text =
            "[gates]\nrequire = [\n  \"p95(cost_usd) <= 2\",\n  \"p95(cots_usd) <= 2\",\n]\n";
        let e = gates_in_file("s.toml", text, FileKind::Task).unwrap_err();
        let d = e.diagnostic().unwrap();
        let loc = d.location.as_ref().unwrap();
        // Line 4, the `c` of `cots_usd` (column 3 is the quote, 4 `p`, 8 `c`).
        assert_eq!((loc.line, loc.column), (4, 8));
        assert_eq!(d.path.to_string(), "gates.require[1]");
        assert!(
            e.to_string()
                .starts_with("s.toml:4:8: gates.require[1]: gate")
        );
    }
}
