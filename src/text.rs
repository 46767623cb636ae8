//! Small text helpers shared by every layer that reads what people write: spelling
//! suggestions for mistyped keys and names (Jaro–Winkler similarity, as in `strsim`).

/// The closest candidate to `word`, if one is close enough to be a likely typo.
pub fn did_you_mean<'a>(
    word: &str,
    candidates: impl IntoIterator<Item = &'a str>,
) -> Option<&'a str> {
    let mut best: Option<(&str, f64)> = None;
    for c in candidates {
        let score = strsim::jaro_winkler(&word.to_lowercase(), &c.to_lowercase());
        if score >= 0.8 && best.is_none_or(|(_, s)| score > s) {
            best = Some((c, score));
        }
    }
    best.map(|(c, _)| c)
}

/// Explains serde's "unknown field `x`, expected one of `a`, `b`" (or "unknown variant ...")
/// as a message naming what was found and what is accepted, and a "did you mean" help when a
/// candidate is close; `None` for any other message.
pub fn explain_unknown_key(raw: &str) -> Option<(String, Option<String>)> {
    for prefix in ["unknown field", "unknown variant"] {
        if let Some(rest) = raw.strip_prefix(prefix) {
            let mut ticks = rest.split('`').skip(1).step_by(2);
            let found = ticks.next().unwrap_or("").to_string();
            let expected: Vec<&str> = ticks.collect();
            let what = if prefix == "unknown field" {
                "key"
            } else {
                "value"
            };
            let message = if expected.is_empty() {
                format!("unknown {what} `{found}`: this table accepts no keys here")
            } else {
                format!(
                    "unknown {what} `{found}`: expected one of {}",
                    backticked(expected.iter().copied())
                )
            };
            let help = did_you_mean(&found, expected.iter().copied())
                .map(|s| format!("did you mean `{s}`?"));
            return Some((message, help));
        }
    }
    None
}

/// At most `max` characters of `text`, with an ellipsis when cut, and control characters
/// escaped: safe to print in a message whatever the input held.
pub fn clip(text: &str, max: usize) -> String {
    let mut out: String = text
        .chars()
        .take(max)
        .flat_map(|c| {
            if c.is_control() {
                c.escape_default().collect::<Vec<_>>()
            } else {
                vec![c]
            }
        })
        .collect();
    if text.chars().count() > max {
        out.push('…');
    }
    out
}

/// A whole number with thousands separators (`300,068,000,000`), rounded.
/// A number as people write it: thousands separated from 1,000 up (cents kept when there are
/// any), smaller numbers as given: `25,000`, `1,234.50`, `19`, `0.5`.
pub fn number(v: f64) -> String {
    if !v.is_finite() || v.abs() < 1000.0 {
        v.to_string()
    } else if v.fract() == 0.0 {
        thousands(v)
    } else {
        let frac = format!("{:.2}", v.fract().abs());
        format!("{}{}", thousands(v.trunc()), &frac[1..])
    }
}

/// An estimated amount as people read it: one decimal below 10 (`9.4`), whole with thousands
/// separated below 10^15 (`23,000,000`), then in scientific notation (`2.3e19`).
pub fn about(v: f64) -> String {
    if !v.is_finite() {
        "more than 1e308".to_string()
    } else if v.abs() < 10.0 {
        format!("{v:.1}")
    } else if v.abs() < 1e15 {
        thousands(v)
    } else {
        format!("{v:.1e}")
    }
}

/// `v` rounded to a whole number with thousands separators: `1,234,567`.
pub fn thousands(v: f64) -> String {
    if !v.is_finite() {
        return v.to_string();
    }
    let digits = format!("{:.0}", v.abs());
    let mut out = String::new();
    for (i, c) in digits.chars().enumerate() {
        if i > 0 && (digits.len() - i) % 3 == 0 {
            out.push(',');
        }
        out.push(c);
    }
    if v < 0.0 && digits != "0" {
        out.insert(0, '-');
    }
    out
}

/// A name as people read it: `seat_plan` → `seat plan`, `list_price` → `list price`.
pub fn words(name: &str) -> String {
    name.replace('_', " ")
}

/// Names in backticks, separated by commas: `` `a`, `b` ``.
pub fn backticked<'a>(names: impl IntoIterator<Item = &'a str>) -> String {
    names
        .into_iter()
        .map(|n| format!("`{n}`"))
        .collect::<Vec<_>>()
        .join(", ")
}

#[cfg(test)]
mod tests {
    #[test]
    fn numbers_have_thousands_separators() {
        assert_eq!(super::number(25_000.0), "25,000");
        assert_eq!(super::number(1_000_000.0), "1,000,000");
        assert_eq!(super::number(1234.5), "1,234.50");
        assert_eq!(super::number(19.0), "19");
        assert_eq!(super::number(0.5), "0.5");
    }

    use super::*;

    #[test]
    fn thousands_are_grouped() {
        assert_eq!(thousands(300_068_000_000.0), "300,068,000,000");
        assert_eq!(thousands(999.4), "999");
        assert_eq!(thousands(-1234.0), "-1,234");
    }

    #[test]
    fn an_unknown_key_is_explained_with_the_closest_candidate() {
        let (message, help) =
            explain_unknown_key("unknown field `outptu`, expected one of `above`, `output`")
                .unwrap();
        assert_eq!(
            message,
            "unknown key `outptu`: expected one of `above`, `output`"
        );
        assert_eq!(help.as_deref(), Some("did you mean `output`?"));
        assert_eq!(explain_unknown_key("missing field `x`"), None);
    }
}
