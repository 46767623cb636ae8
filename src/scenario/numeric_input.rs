//! The numbers of a task scenario that a break-even sweep can vary (`compare --along PATH`):
//! every number written in the file, addressed by its dotted path with indices
//! (`phases[0].steps[1].tool.tokens.lognormal.median`), and every token rate a `catalog = "..."`
//! model takes from the price catalog (`models.sonnet.output`), which the file may override.
//!
//! [`with_value`] writes a value at a path into the file's text (with `toml_edit`, keeping the
//! rest as written), so a swept scenario is parsed and validated exactly like the file itself.

use toml_edit::{DocumentMut, Item, Value};

use crate::pricing::{ModelPrices, TokenKind};

/// One number of a scenario that can be swept.
#[derive(Debug, Clone, PartialEq)]
pub struct NumericInput {
    /// Its dotted path (`models.m.output`, `phases[1].steps[0].call.output.lognormal.median`).
    pub path: String,
    /// Its value in the file, or the catalog's rate.
    pub current: f64,
    /// Whether the file writes it as a whole number (swept values are then rounded).
    pub integer: bool,
}

/// Tables whose numbers are not inputs of the bills: the run's own settings.
const NOT_INPUTS: &[&str] = &["scenario", "workload.periods", "workload.sweep"];

/// Every number of the scenario `text` (its models' `prices` in model order, `model_names`
/// their names), in file order, then the catalog rates the file does not write.
pub fn numeric_inputs(
    text: &str,
    model_names: &[String],
    prices: &[ModelPrices],
) -> Vec<NumericInput> {
    let Ok(doc) = text.parse::<toml::Table>() else {
        return Vec::new();
    };
    let mut out = Vec::new();
    collect(&toml::Value::Table(doc.clone()), String::new(), &mut out);
    out.retain(|i| {
        !NOT_INPUTS
            .iter()
            .any(|n| i.path == *n || i.path.starts_with(&format!("{n}.")))
    });
    for (name, p) in model_names.iter().zip(prices) {
        for kind in TokenKind::ALL {
            let path = format!("models.{name}.{}", kind.name());
            if out.iter().all(|i| i.path != path) {
                out.push(NumericInput {
                    path,
                    current: p.per_mtok[kind.index()],
                    integer: false,
                });
            }
        }
    }
    out
}

fn collect(v: &toml::Value, path: String, out: &mut Vec<NumericInput>) {
    match v {
        toml::Value::Integer(i) => out.push(NumericInput {
            path,
            current: *i as f64,
            integer: true,
        }),
        toml::Value::Float(f) => out.push(NumericInput {
            path,
            current: *f,
            integer: false,
        }),
        toml::Value::Table(t) => {
            for (k, v) in t {
                let p = if path.is_empty() {
                    k.clone()
                } else {
                    format!("{path}.{k}")
                };
                collect(v, p, out);
            }
        }
        toml::Value::Array(a) => {
            for (i, v) in a.iter().enumerate() {
                collect(v, format!("{path}[{i}]"), out);
            }
        }
        _ => {}
    }
}

/// How an input reads in sentences and on charts.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct InputWords {
    /// After a value in a sentence: `USD per million output tokens of sonnet`.
    pub unit_words: String,
    /// Short, for a chart's title: `the output price of sonnet`.
    pub short: String,
    /// A chart axis: `Price of sonnet's output tokens (USD per million)`.
    pub title: String,
}

/// Words for the input at `path` of the scenario `text`: a model's rate, the tokens of a tool
/// result or of a call's output (named by the tool and the phase), else its last key with the
/// path beside it.
pub fn input_words(text: &str, path: &str) -> InputWords {
    let doc = text
        .parse::<toml::Table>()
        .map(toml::Value::Table)
        .unwrap_or(toml::Value::Table(toml::Table::new()));
    let keys: Vec<&str> = path.split('.').collect();
    if let ["models", model, kind] = keys.as_slice()
        && let Some(k) = TokenKind::ALL.iter().find(|k| k.name() == *kind)
    {
        let kind = match k {
            TokenKind::CacheWrite => "cache-write",
            TokenKind::CacheWrite1h => "1-hour cache-write",
            TokenKind::CacheRead => "cache-read",
            other => other.name(),
        };
        return InputWords {
            unit_words: format!("USD per million {kind} tokens of {model}"),
            short: format!("the {kind} price of {model}"),
            title: format!("Price of {model}'s {kind} tokens (USD per million)"),
        };
    }
    let find = |marker: &str| {
        path.find(marker)
            .map(|i| (&path[..i], path[i + marker.len()..].trim_start_matches('.')))
    };
    let parameter = |rest: &str| {
        if rest.is_empty() {
            String::new()
        } else {
            format!(" ({})", rest.replace(['.', '_'], " "))
        }
    };
    let text_at = |p: &str| {
        value_at(&doc, p)
            .and_then(toml::Value::as_str)
            .map(str::to_string)
    };
    if let Some((step, rest)) = find(".tool.tokens") {
        let tool = text_at(&format!("{step}.tool.name")).unwrap_or_else(|| "tool".into());
        let param = parameter(rest);
        return InputWords {
            unit_words: format!("tokens per {tool} result{param}"),
            short: format!("tokens per {tool} result"),
            title: format!("Tokens per {tool} result{param}"),
        };
    }
    if let Some((step, rest)) = find(".call.output") {
        let phase = step
            .split_once(".steps")
            .and_then(|(phase, _)| text_at(&format!("{phase}.name")))
            .map(|n| format!(" in phase {n}"))
            .unwrap_or_default();
        let param = parameter(rest);
        return InputWords {
            unit_words: format!("output tokens per call{phase}{param}"),
            short: format!("output tokens per call{phase}"),
            title: format!("Output tokens per call{phase}{param}"),
        };
    }
    let last = keys.last().copied().unwrap_or(path).replace('_', " ");
    let last = last.split('[').next().unwrap_or(&last).to_string();
    let mut title = last.clone();
    if let Some(first) = title.get(0..1) {
        title = first.to_uppercase() + &title[1..];
    }
    InputWords {
        unit_words: format!("{last} ({path})"),
        short: last,
        title: format!("{title} ({path})"),
    }
}

/// Why `--along PATH` names no number of the scenario: what was found, and the nearest paths.
pub fn not_an_input(path: &str, inputs: &[NumericInput]) -> String {
    let under: Vec<&str> = inputs
        .iter()
        .map(|i| i.path.as_str())
        .filter(|p| {
            p.strip_prefix(path)
                .is_some_and(|r| r.starts_with('.') || r.starts_with('['))
        })
        .collect();
    if !under.is_empty() {
        let shown: Vec<String> = under.iter().take(6).map(|p| format!("`{p}`")).collect();
        let more = if under.len() > 6 {
            format!(" and {} more", under.len() - 6)
        } else {
            String::new()
        };
        return format!(
            "`{path}` is a table (or a distribution), not a number: expected the path of one \
             number, e.g. {}{more}",
            shown.join(", ")
        );
    }
    let last_key = |p: &str| p.rsplit('.').next().unwrap_or(p).to_string();
    let suggestion = crate::text::did_you_mean(path, inputs.iter().map(|i| i.path.as_str()))
        .map(str::to_string)
        .or_else(|| {
            let keys: Vec<String> = inputs.iter().map(|i| last_key(&i.path)).collect();
            let near = crate::text::did_you_mean(&last_key(path), keys.iter().map(String::as_str))?;
            let i = keys.iter().position(|k| k == near)?;
            Some(inputs[i].path.clone())
        })
        .or_else(|| nearest_by_prefix(path, inputs));
    // One example of each kind: a price, a distribution's parameter, the workload's.
    let kinds: [&dyn Fn(&str) -> bool; 4] = [
        &|p| p.starts_with("models.") && p.ends_with(".output") && p.split('.').count() == 3,
        &|p| p.ends_with(".median") || p.ends_with(".mean") || p.ends_with(".call.output"),
        &|p| p == "workload.tasks_per_seat",
        &|p| p == "workload.seats",
    ];
    let examples: Vec<String> = kinds
        .iter()
        .filter_map(|k| inputs.iter().find(|i| k(&i.path)))
        .map(|i| format!("`{}`", i.path))
        .collect();
    let mut message = format!(
        "`{path}` is not a number of the scenario: expected the dotted path of a number in it \
         (a model's price, a distribution's parameter, a [workload] or [billing.NAME] value), \
         e.g. {}",
        examples.join(", ")
    );
    if let Some(s) = suggestion {
        message.push_str(&format!("; did you mean `{s}`?"));
    }
    message
}

/// The input sharing the longest leading part of `path`, when it shares at least its first key.
fn nearest_by_prefix(path: &str, inputs: &[NumericInput]) -> Option<String> {
    let first = path.split(['.', '[']).next()?;
    inputs
        .iter()
        .filter(|i| i.path.split(['.', '[']).next() == Some(first))
        .max_by_key(|i| {
            i.path
                .chars()
                .zip(path.chars())
                .take_while(|(a, b)| a == b)
                .count()
        })
        .map(|i| i.path.clone())
}

/// The scenario `text` with the number at `path` set to `x` (rounded and written without a
/// decimal point when `integer`). A path the file does not write (a catalog rate) is inserted
/// into its table.
pub fn with_value(text: &str, path: &str, x: f64, integer: bool) -> Result<String, String> {
    let mut doc: DocumentMut = text.parse().map_err(|e: toml_edit::TomlError| {
        format!("the file is not valid TOML: {}", e.message())
    })?;
    let value = if integer {
        Value::from(x.round() as i64)
    } else {
        Value::from(x)
    };
    let segs = segments(path).ok_or_else(|| format!("`{path}` is not a dotted key path"))?;
    if set_item(doc.as_item_mut(), &segs, value) {
        Ok(doc.to_string())
    } else {
        Err(format!("`{path}` is not a number of the scenario"))
    }
}

/// The value at a dotted path with indices (`tasks[1].weight`) of a parsed TOML document.
pub(crate) fn value_at<'a>(doc: &'a toml::Value, path: &str) -> Option<&'a toml::Value> {
    let mut v = doc;
    for part in path.split('.') {
        let (key, rest) = part.split_at(part.find('[').unwrap_or(part.len()));
        v = v.get(key)?;
        for idx in rest.split(['[', ']']).filter(|s| !s.is_empty()) {
            v = v.get(idx.parse::<usize>().ok()?)?;
        }
    }
    Some(v)
}

enum Seg<'a> {
    Key(&'a str),
    Index(usize),
}

fn segments(path: &str) -> Option<Vec<Seg<'_>>> {
    let mut out = Vec::new();
    for part in path.split('.') {
        let (key, rest) = part.split_at(part.find('[').unwrap_or(part.len()));
        if key.is_empty() {
            return None;
        }
        out.push(Seg::Key(key));
        for idx in rest.split(['[', ']']).filter(|s| !s.is_empty()) {
            out.push(Seg::Index(idx.parse().ok()?));
        }
    }
    Some(out)
}

/// Sets the number at `segs` under `item`; the last key may be new (a catalog rate).
fn set_item(item: &mut Item, segs: &[Seg], value: Value) -> bool {
    let Some((first, rest)) = segs.split_first() else {
        return false;
    };
    match (first, item) {
        (Seg::Key(_), Item::Table(t)) => set_item_in_table(t, segs, value),
        (Seg::Index(n), Item::ArrayOfTables(a)) => a
            .get_mut(*n)
            .is_some_and(|t| !rest.is_empty() && set_item_in_table(t, rest, value)),
        (_, Item::Value(v)) => set_value(v, segs, value),
        _ => false,
    }
}

fn set_item_in_table(t: &mut toml_edit::Table, segs: &[Seg], value: Value) -> bool {
    let Some((Seg::Key(k), rest)) = segs.split_first() else {
        return false;
    };
    match t.get_mut(k) {
        None if rest.is_empty() => {
            t.insert(k, Item::Value(value));
            true
        }
        None => false,
        Some(Item::Value(v)) if rest.is_empty() => replace_number(v, value),
        Some(i) => !rest.is_empty() && set_item(i, rest, value),
    }
}

fn set_value(v: &mut Value, segs: &[Seg], value: Value) -> bool {
    let Some((first, rest)) = segs.split_first() else {
        return replace_number(v, value);
    };
    match (first, v) {
        (Seg::Key(k), Value::InlineTable(t)) => {
            if rest.is_empty() && t.get(k).is_none() {
                t.insert(*k, value);
                return true;
            }
            t.get_mut(k).is_some_and(|v| set_value(v, rest, value))
        }
        (Seg::Index(n), Value::Array(a)) => {
            a.get_mut(*n).is_some_and(|v| set_value(v, rest, value))
        }
        _ => false,
    }
}

fn replace_number(v: &mut Value, value: Value) -> bool {
    if !matches!(v, Value::Integer(_) | Value::Float(_)) {
        return false;
    }
    let decor = v.decor().clone();
    *v = value;
    *v.decor_mut() = decor;
    true
}

#[cfg(test)]
mod tests {
    use super::*;

    const TEXT: &str = r#"
[scenario]
seed = 3
[models.m]
input = 1.0
output = 10.0
[[phases]]
name = "p"
steps = [{ call = { output = 100 } }, { tool = { name = "read", tokens = { lognormal = { median = 1800, sigma = 0.9 } } } }]
[workload]
seats = 20 # the team
tasks_per_seat = 30
periods = 10
"#;

    fn inputs() -> Vec<NumericInput> {
        numeric_inputs(
            TEXT,
            &["m".to_string()],
            &[ModelPrices::new(1.0, 10.0, 1.25, 0.1)],
        )
    }

    #[test]
    fn every_number_is_listed_with_catalog_rates_the_file_does_not_write() {
        let paths: Vec<String> = inputs().into_iter().map(|i| i.path).collect();
        for p in [
            "models.m.input",
            "phases[0].steps[0].call.output",
            "phases[0].steps[1].tool.tokens.lognormal.median",
            "workload.seats",
            "models.m.cache_read",
        ] {
            assert!(paths.iter().any(|x| x == p), "{p} in {paths:?}");
        }
        assert!(!paths.iter().any(|p| p.starts_with("scenario.")));
        assert!(!paths.iter().any(|p| p == "workload.periods"));
        let median = inputs()
            .into_iter()
            .find(|i| i.path.ends_with("median"))
            .unwrap();
        assert_eq!((median.current, median.integer), (1800.0, true));
    }

    #[test]
    fn values_are_written_at_nested_paths_keeping_the_rest() {
        let t = with_value(
            TEXT,
            "phases[0].steps[1].tool.tokens.lognormal.median",
            2500.4,
            true,
        )
        .unwrap();
        assert!(t.contains("median = 2500"), "{t}");
        let t = with_value(TEXT, "workload.seats", 40.0, true).unwrap();
        assert!(t.contains("seats = 40 # the team"), "{t}");
        let t = with_value(TEXT, "models.m.cache_read", 0.25, false).unwrap();
        assert!(t.contains("cache_read = 0.25"), "{t}");
        assert!(with_value(TEXT, "phases[0].name", 1.0, false).is_err());
        assert!(with_value(TEXT, "phases[3].steps", 1.0, false).is_err());
    }

    #[test]
    fn inputs_read_as_words() {
        let w = input_words(TEXT, "models.m.cache_read");
        assert_eq!(w.unit_words, "USD per million cache-read tokens of m");
        let w = input_words(TEXT, "phases[0].steps[1].tool.tokens.lognormal.median");
        assert_eq!(w.unit_words, "tokens per read result (lognormal median)");
        let w = input_words(TEXT, "phases[0].steps[0].call.output");
        assert_eq!(w.unit_words, "output tokens per call in phase p");
        let w = input_words(TEXT, "workload.tasks_per_seat");
        assert_eq!(w.unit_words, "tasks per seat (workload.tasks_per_seat)");
    }

    #[test]
    fn a_path_that_is_no_number_says_what_is_near() {
        let m = not_an_input("phases[0].steps[1].tool.tokens", &inputs());
        assert!(m.contains("is a table"), "{m}");
        assert!(m.contains("lognormal.median"), "{m}");
        let m = not_an_input("workload.seat", &inputs());
        assert!(m.contains("did you mean `workload.seats`?"), "{m}");
    }
}
