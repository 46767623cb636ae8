//! `--set path.to.param=value`: overrides applied to the forecast file's text before it is
//! parsed, so an override is validated exactly like the file itself.
//!
//! A path is dotted keys with optional indices (`tasks[1].weight`). Every table on the way must
//! exist in the file (a missing top-level table such as `drift` is created), so a typo in the
//! middle of a path is caught with a suggestion; a new last key is inserted and checked by the
//! file's own validation (unknown keys are rejected with a suggestion there).

use toml_edit::{DocumentMut, Item, Value};

use crate::scenario::did_you_mean;

/// The top-level tables of a forecast file.
pub const TOP_LEVEL_KEYS: &[&str] = &[
    "forecast",
    "seats",
    "usage",
    "calendar",
    "tasks",
    "drift",
    "billing",
    "budget",
    "stress",
    "sensitivity",
    "aggregation",
    "limits",
    "gates",
    "focus",
];

/// An override that cannot be applied.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
#[error("--set {path}: {message}{}", help.as_ref().map(|h| format!("\nhelp: {h}")).unwrap_or_default())]
pub struct OverrideError {
    /// The path as given.
    pub path: String,
    /// What is wrong.
    pub message: String,
    /// A suggestion.
    pub help: Option<String>,
}

/// One `path=value` override.
#[derive(Debug, Clone, PartialEq)]
pub struct Override {
    /// Dotted path.
    pub path: String,
    /// The value as TOML text (`0.5`, `"x"`, `{ uniform = { min = 1, max = 2 } }`); text that
    /// is not a TOML value is taken as a string.
    pub value: String,
}

impl Override {
    /// Parses `path=value`.
    pub fn parse(arg: &str) -> Result<Override, OverrideError> {
        match arg.split_once('=') {
            Some((p, v)) if !p.trim().is_empty() => Ok(Override {
                path: p.trim().to_string(),
                value: v.trim().to_string(),
            }),
            _ => Err(OverrideError {
                path: arg.to_string(),
                message: "expected PATH=VALUE, e.g. usage.active_share=0.8".into(),
                help: None,
            }),
        }
    }
}

enum Seg {
    Key(String),
    Index(usize),
}

fn segments(path: &str) -> Option<Vec<Seg>> {
    let mut out = Vec::new();
    for part in path.split('.') {
        let (key, rest) = match part.find('[') {
            Some(b) => (&part[..b], &part[b..]),
            None => (part, ""),
        };
        if key.is_empty() {
            return None;
        }
        out.push(Seg::Key(key.to_string()));
        for idx in rest.split(['[', ']']).filter(|s| !s.is_empty()) {
            out.push(Seg::Index(idx.parse().ok()?));
        }
    }
    Some(out)
}

fn parse_value(text: &str) -> Value {
    let doc = format!("v = {text}");
    match doc.parse::<DocumentMut>() {
        Ok(d) => match d.get("v").and_then(Item::as_value) {
            Some(v) => v.clone(),
            None => Value::from(text),
        },
        Err(_) => Value::from(text),
    }
}

/// Applies overrides to a forecast file's text.
pub fn apply(text: &str, overrides: &[Override]) -> Result<String, OverrideError> {
    if overrides.is_empty() {
        return Ok(text.to_string());
    }
    let mut doc: DocumentMut = text
        .parse()
        .map_err(|e: toml_edit::TomlError| OverrideError {
            path: String::new(),
            message: format!("the file is not valid TOML: {}", e.message()),
            help: None,
        })?;
    for o in overrides {
        set(&mut doc, o)?;
    }
    Ok(doc.to_string())
}

fn set(doc: &mut DocumentMut, o: &Override) -> Result<(), OverrideError> {
    let err = |message: String, help: Option<String>| OverrideError {
        path: o.path.clone(),
        message,
        help,
    };
    let segs = segments(&o.path).ok_or_else(|| {
        err(
            "expected a dotted path such as `usage.active_share` or `tasks[0].weight`".into(),
            None,
        )
    })?;
    let Some(Seg::Key(first)) = segs.first() else {
        return Err(err("expected a path starting with a key".into(), None));
    };
    if !TOP_LEVEL_KEYS.contains(&first.as_str()) {
        let help = did_you_mean(first, TOP_LEVEL_KEYS.iter().copied())
            .map(|s| format!("did you mean `{s}`?"));
        return Err(err(
            format!(
                "unknown key `{first}`: expected one of {}",
                TOP_LEVEL_KEYS
                    .iter()
                    .map(|k| format!("`{k}`"))
                    .collect::<Vec<_>>()
                    .join(", ")
            ),
            help,
        ));
    }
    let value = parse_value(&o.value);
    let mut item: &mut Item = doc.as_item_mut();
    let mut walked = String::new();
    for (i, seg) in segs.iter().enumerate() {
        let last = i + 1 == segs.len();
        match seg {
            Seg::Key(k) => {
                let Some(table) = item.as_table_like_mut() else {
                    return Err(err(
                        format!("`{walked}` is a value, not a table: it has no key `{k}`"),
                        None,
                    ));
                };
                if last {
                    table.insert(k, Item::Value(value));
                    return Ok(());
                }
                if table.get(k).is_none() {
                    if i == 0 {
                        table.insert(k, Item::Table(toml_edit::Table::new()));
                    } else {
                        let keys: Vec<String> = table.iter().map(|(k, _)| k.to_string()).collect();
                        let help = did_you_mean(k, keys.iter().map(String::as_str))
                            .map(|s| format!("did you mean `{s}`?"));
                        return Err(err(
                            format!(
                                "unknown key `{k}` in `{walked}`: the file has {}",
                                if keys.is_empty() {
                                    "no keys there".to_string()
                                } else {
                                    keys.iter()
                                        .map(|k| format!("`{k}`"))
                                        .collect::<Vec<_>>()
                                        .join(", ")
                                }
                            ),
                            help,
                        ));
                    }
                }
                item = table.get_mut(k).expect("present or inserted");
                if !walked.is_empty() {
                    walked.push('.');
                }
                walked.push_str(k);
            }
            Seg::Index(n) => {
                let len = item
                    .as_array_of_tables()
                    .map(|a| a.len())
                    .or_else(|| item.as_array().map(|a| a.len()));
                let Some(len) = len else {
                    return Err(err(format!("`{walked}` is not an array"), None));
                };
                if *n >= len {
                    return Err(err(
                        format!("`{walked}` has {len} entries: index {n} is out of range"),
                        None,
                    ));
                }
                if last {
                    return match item.as_array_mut() {
                        Some(a) => {
                            a.replace(*n, value);
                            Ok(())
                        }
                        None => Err(err("cannot replace a whole table of an array".into(), None)),
                    };
                }
                let here = format!("{walked}[{n}]");
                let rest = &segs[i + 1..];
                if let Some(t) = item.as_array_of_tables_mut().and_then(|a| a.get_mut(*n)) {
                    return set_in_table(t, rest, value, &o.path, &here);
                }
                if let Some(t) = item
                    .as_array_mut()
                    .and_then(|a| a.get_mut(*n))
                    .and_then(Value::as_inline_table_mut)
                {
                    return set_in_table(t, rest, value, &o.path, &here);
                }
                return Err(err(format!("`{here}` is a value; it has no keys"), None));
            }
        }
    }
    Ok(())
}

/// Continues a path inside a table of an array of tables.
fn set_in_table(
    table: &mut dyn toml_edit::TableLike,
    rest: &[Seg],
    value: Value,
    path: &str,
    walked: &str,
) -> Result<(), OverrideError> {
    let err = |message: String, help: Option<String>| OverrideError {
        path: path.to_string(),
        message,
        help,
    };
    let mut tl: &mut dyn toml_edit::TableLike = table;
    let mut walked = walked.to_string();
    for (i, seg) in rest.iter().enumerate() {
        let Seg::Key(k) = seg else {
            return Err(err("nested arrays cannot be overridden".into(), None));
        };
        if i + 1 == rest.len() {
            tl.insert(k, Item::Value(value));
            return Ok(());
        }
        if tl.get(k).is_none() {
            let keys: Vec<String> = tl.iter().map(|(k, _)| k.to_string()).collect();
            let help = did_you_mean(k, keys.iter().map(String::as_str))
                .map(|s| format!("did you mean `{s}`?"));
            return Err(err(format!("unknown key `{k}` in `{walked}`"), help));
        }
        walked.push('.');
        walked.push_str(k);
        tl = tl
            .get_mut(k)
            .and_then(Item::as_table_like_mut)
            .ok_or_else(|| err(format!("`{walked}` is not a table"), None))?;
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_top_level_keys_are_every_table_of_a_forecast_file() {
        // The file format lists its own keys when it refuses one: they must be these (a table
        // missing here, as `limits` once was, made `--set limits.…` an unknown key).
        let e = toml::from_str::<super::super::spec::ForecastFile>("zzz = 1")
            .expect_err("an unknown key is refused");
        let text = e.to_string();
        let listed = text
            .split("expected one of ")
            .nth(1)
            .expect("the refusal lists the keys");
        let mut keys: Vec<&str> = listed
            .split(',')
            .map(|k| {
                k.trim()
                    .trim_matches(|c: char| c == '`' || c.is_whitespace())
            })
            .map(|k| k.split('`').next().unwrap_or(k))
            .filter(|k| !k.is_empty())
            .collect();
        keys.sort_unstable();
        let mut known = TOP_LEVEL_KEYS.to_vec();
        known.sort_unstable();
        assert_eq!(keys, known, "{text}");
    }

    fn ov(s: &str) -> Override {
        Override::parse(s).unwrap()
    }

    #[test]
    fn sets_nested_values_and_indices() {
        let text = "[usage]\nactive_share = 0.5\n[[tasks]]\nweight = 1\n[[tasks]]\nweight = 2\n";
        let out = apply(
            text,
            &[ov("usage.active_share=0.8"), ov("tasks[1].weight=5")],
        )
        .unwrap();
        assert!(out.contains("active_share = 0.8"), "{out}");
        assert!(out.contains("weight = 5"), "{out}");
        assert!(out.contains("weight = 1"), "{out}");
        let out = apply(text, &[ov("drift.price=-0.02")]).unwrap();
        assert!(out.contains("price = -0.02"), "{out}");
    }

    #[test]
    fn rejects_unknown_tables_with_a_suggestion() {
        let e = apply("[usage]\na = 1\n", &[ov("usgae.a=1")]).unwrap_err();
        assert_eq!(e.help.as_deref(), Some("did you mean `usage`?"));
        let e = apply(
            "[seats.logistic]\nrate = 1\n",
            &[ov("seats.logisitc.rate=2")],
        )
        .unwrap_err();
        assert_eq!(e.help.as_deref(), Some("did you mean `logistic`?"));
        let e = apply("[[tasks]]\nweight = 1\n", &[ov("tasks[3].weight=2")]).unwrap_err();
        assert!(e.message.contains("out of range"), "{}", e.message);
    }
}
