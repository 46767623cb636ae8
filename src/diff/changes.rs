//! What changed between two TOML files, parameter by parameter: every leaf value by its field
//! path (`phases[1].until_pass.p_pass`), added, removed or changed. Comments and layout are
//! not parameters and are ignored.

use std::collections::BTreeMap;

use serde::Serialize;

/// One parameter that differs.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Change {
    /// The field path.
    pub path: String,
    /// The base file's value (TOML text), `None` when the head adds it.
    pub base: Option<String>,
    /// The head file's value, `None` when the head removes it.
    pub head: Option<String>,
}

/// Longest value text a change shows (longer ones are cut with an ellipsis).
const MAX_VALUE_TEXT: usize = 80;

fn show(v: &toml::Value) -> String {
    let text = match v {
        toml::Value::String(s) => format!("{s:?}"),
        other => other.to_string(),
    };
    if text.chars().count() > MAX_VALUE_TEXT {
        let cut: String = text.chars().take(MAX_VALUE_TEXT - 1).collect();
        format!("{cut}…")
    } else {
        text
    }
}

fn flatten(prefix: &str, v: &toml::Value, out: &mut BTreeMap<String, String>) {
    match v {
        toml::Value::Table(t) => {
            for (k, v) in t {
                let p = if prefix.is_empty() {
                    k.clone()
                } else {
                    format!("{prefix}.{k}")
                };
                flatten(&p, v, out);
            }
        }
        // Arrays of tables (phases, steps, tasks) are walked element by element; arrays of
        // plain values (a table of numbers) are one parameter.
        toml::Value::Array(a) if a.iter().any(|x| x.is_table()) => {
            for (i, v) in a.iter().enumerate() {
                flatten(&format!("{prefix}[{i}]"), v, out);
            }
        }
        leaf => {
            out.insert(prefix.to_string(), show(leaf));
        }
    }
}

/// The parameters that differ between two TOML texts (both already valid scenario files), in
/// path order.
pub fn file_changes(base: &str, head: &str) -> Result<Vec<Change>, String> {
    let parse = |t: &str| -> Result<toml::Value, String> {
        toml::from_str::<toml::Table>(t)
            .map(toml::Value::Table)
            .map_err(|e| e.message().to_string())
    };
    let (mut b, mut h) = (BTreeMap::new(), BTreeMap::new());
    flatten("", &parse(base)?, &mut b);
    flatten("", &parse(head)?, &mut h);
    let mut keys: Vec<&String> = b.keys().chain(h.keys()).collect();
    keys.sort();
    keys.dedup();
    Ok(keys
        .into_iter()
        .filter(|k| b.get(*k) != h.get(*k))
        .map(|k| Change {
            path: k.clone(),
            base: b.get(k).cloned(),
            head: h.get(k).cloned(),
        })
        .collect())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn changes_are_listed_by_path() {
        let base = "a = 1\n[b]\nc = \"x\"\n[[p]]\nq = 0.5\n[[p]]\nq = 0.7\n";
        let head = "# a comment\na = 1\n[b]\nc = \"y\"\nd = [1, 2]\n[[p]]\nq = 0.5\n";
        let c = file_changes(base, head).unwrap();
        assert_eq!(
            c,
            vec![
                Change {
                    path: "b.c".into(),
                    base: Some("\"x\"".into()),
                    head: Some("\"y\"".into())
                },
                Change {
                    path: "b.d".into(),
                    base: None,
                    head: Some("[1, 2]".into())
                },
                Change {
                    path: "p[1].q".into(),
                    base: Some("0.7".into()),
                    head: None
                },
            ]
        );
        assert!(file_changes(base, base).unwrap().is_empty());
    }
}
