//! Import of LiteLLM's community price map, `model_prices_and_context_window.json`
//! (<https://github.com/BerriAI/litellm>): a JSON object of models, each with per-token USD
//! rates. Keys read (everything else, including unknown keys, is ignored):
//!
//! | LiteLLM key | catalog rate |
//! |---|---|
//! | `input_cost_per_token` | input |
//! | `output_cost_per_token` | output |
//! | `output_cost_per_reasoning_token` | reasoning |
//! | `cache_read_input_token_cost` | cache read |
//! | `cache_creation_input_token_cost` | cache write (5 min) |
//! | `cache_creation_input_token_cost_above_1hr` | cache write (1 h) |
//! | `<any of the above>_batches` | the batch-API rate of that kind |
//! | `<any of the above>_above_<N>k_tokens` | the rate of the tier above N × 1000 prompt tokens |
//!
//! Entries without both an input and an output rate (images, audio, embeddings) are skipped.
//! Nothing priced is dropped silently: every other key of an entry that names a cost (the
//! `_priority` and `_flex` service tiers, tiered batch rates, audio and image rates, per-query
//! search fees, `provider_specific_entry` multipliers) is listed in the entry's notes as not
//! imported, so `tokencast prices MODEL` shows it.
//! Per-token rates are converted to per-million by shifting the decimal exponent of their
//! shortest decimal form, so 3e-06 becomes exactly 3 (not 2.9999999999999996).

use std::collections::BTreeMap;

use serde_json::Value;

use super::TokenKind;
use super::catalog::{CatalogEntry, CatalogError, CatalogTier, PriceCatalog, RateSet};

/// The LiteLLM keys of the base rates.
const BASE_KEYS: [(&str, TokenKind); 6] = [
    ("input_cost_per_token", TokenKind::Input),
    ("output_cost_per_token", TokenKind::Output),
    ("output_cost_per_reasoning_token", TokenKind::Reasoning),
    ("cache_read_input_token_cost", TokenKind::CacheRead),
    ("cache_creation_input_token_cost", TokenKind::CacheWrite),
    (
        "cache_creation_input_token_cost_above_1hr",
        TokenKind::CacheWrite1h,
    ),
];

/// Per-token USD to per-million-token USD, exactly in decimal.
pub fn per_token_to_per_mtok(per_token: f64) -> f64 {
    let text = format!("{per_token:e}");
    match text.split_once('e') {
        Some((mantissa, exp)) => match exp.parse::<i32>() {
            Ok(e) => format!("{mantissa}e{}", e + 6)
                .parse()
                .unwrap_or(per_token * 1e6),
            Err(_) => per_token * 1e6,
        },
        None => per_token * 1e6,
    }
}

/// Parses a LiteLLM price map. `origin` names the file in messages and in each entry's source.
pub fn parse(origin: &str, text: &str) -> Result<PriceCatalog, CatalogError> {
    let err = |message: String| CatalogError {
        origin: origin.to_string(),
        message,
    };
    let root: Value = serde_json::from_str(text).map_err(|e| err(format!("not JSON: {e}")))?;
    let Value::Object(models) = root else {
        return Err(err(
            "expected a JSON object of models at the top level".into()
        ));
    };
    let mut entries = BTreeMap::new();
    for (name, fields) in &models {
        let Value::Object(fields) = fields else {
            continue;
        };
        let rate = |key: &str| -> Result<Option<f64>, CatalogError> {
            match fields.get(key) {
                None | Some(Value::Null) => Ok(None),
                Some(Value::Number(n)) => {
                    let v = n.as_f64().unwrap_or(f64::NAN);
                    if v.is_finite() && (0.0..=1.0).contains(&v) {
                        Ok(Some(per_token_to_per_mtok(v)))
                    } else {
                        Err(err(format!(
                            "{name}.{key}: expected a USD per-token price from 0 to 1, found {n}"
                        )))
                    }
                }
                Some(other) => Err(err(format!(
                    "{name}.{key}: expected a number, found {other}"
                ))),
            }
        };
        let mut rates = RateSet::default();
        for (key, kind) in BASE_KEYS {
            if let Some(v) = rate(key)? {
                rates.set(kind, v);
            }
        }
        if rates.input.is_none() || rates.output.is_none() {
            continue;
        }
        let mut batch = RateSet::default();
        for (key, kind) in BASE_KEYS {
            if let Some(v) = rate(&format!("{key}_batches"))? {
                batch.set(kind, v);
            }
        }
        let mut tiers: BTreeMap<u64, RateSet> = BTreeMap::new();
        let mut left_out = Vec::new();
        for key in fields.keys() {
            let base = BASE_KEYS.iter().any(|(k, _)| k == key)
                || key
                    .strip_suffix("_batches")
                    .is_some_and(|b| BASE_KEYS.iter().any(|(k, _)| *k == b));
            if base {
                continue;
            }
            let tier = tier_key(key)
                .and_then(|(b, n)| BASE_KEYS.iter().find(|(k, _)| *k == b).map(|x| (x.1, n)));
            match tier {
                Some((kind, thousands)) => {
                    if let Some(v) = rate(key)? {
                        tiers.entry(thousands * 1000).or_default().set(kind, v);
                    }
                }
                None if is_priced(key, &fields[key]) => left_out.push(key.as_str()),
                None => {}
            }
        }
        let entry = CatalogEntry {
            provider: fields
                .get("litellm_provider")
                .and_then(Value::as_str)
                .unwrap_or_default()
                .to_string(),
            as_of: String::new(),
            source: origin.to_string(),
            notes: import_notes(&left_out),
            rates,
            batch: batch
                .to_array()
                .iter()
                .any(Option::is_some)
                .then_some(batch),
            tiers: tiers
                .into_iter()
                .map(|(above, rates)| CatalogTier { above, rates })
                .collect(),
        };
        entries.insert(name.clone(), entry);
    }
    Ok(PriceCatalog { entries })
}

/// Whether a LiteLLM key the import does not read still states a price: a non-zero cost
/// (a number, or an object holding one) or a provider's multipliers.
fn is_priced(key: &str, value: &Value) -> bool {
    fn non_zero(v: &Value) -> bool {
        match v {
            Value::Number(n) => n.as_f64().is_some_and(|x| x != 0.0),
            Value::Object(m) => m.values().any(non_zero),
            _ => false,
        }
    }
    (key.contains("cost") && non_zero(value)) || key == "provider_specific_entry"
}

/// The notes of an imported entry: where it comes from and which priced keys were left out.
fn import_notes(left_out: &[&str]) -> String {
    if left_out.is_empty() {
        return "imported from a LiteLLM price map".into();
    }
    let tier = |suffix: &str| left_out.iter().filter(|k| k.ends_with(suffix)).count();
    let (priority, flex) = (tier("_priority"), tier("_flex"));
    let mut parts = Vec::new();
    let rates = |n: usize| {
        if n == 1 {
            "1 rate".to_string()
        } else {
            format!("{n} rates")
        }
    };
    if priority > 0 {
        parts.push(format!("the priority service tier ({})", rates(priority)));
    }
    if flex > 0 {
        parts.push(format!("the flex service tier ({})", rates(flex)));
    }
    parts.extend(
        left_out
            .iter()
            .filter(|k| !k.ends_with("_priority") && !k.ends_with("_flex"))
            .map(|k| format!("`{k}`")),
    );
    format!(
        "imported from a LiteLLM price map; not imported (tokencast bills standard-tier text \
         tokens; give other charges inline or in your billing terms): {}",
        parts.join(", ")
    )
}

/// Splits `input_cost_per_token_above_200k_tokens` into (`input_cost_per_token`, 200).
fn tier_key(key: &str) -> Option<(&str, u64)> {
    let rest = key.strip_suffix("k_tokens")?;
    let at = rest.rfind("_above_")?;
    let n = rest[at + "_above_".len()..].parse().ok()?;
    Some((&rest[..at], n))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn per_token_rates_convert_exactly() {
        assert_eq!(per_token_to_per_mtok(3e-6), 3.0);
        assert_eq!(per_token_to_per_mtok(1.25e-6), 1.25);
        assert_eq!(per_token_to_per_mtok(3.75e-6), 3.75);
        assert_eq!(per_token_to_per_mtok(2.25e-5), 22.5);
        assert_eq!(per_token_to_per_mtok(8.75e-9), 0.00875);
        assert_eq!(per_token_to_per_mtok(0.0), 0.0);
    }

    #[test]
    fn tier_keys_split() {
        assert_eq!(
            tier_key("input_cost_per_token_above_200k_tokens"),
            Some(("input_cost_per_token", 200))
        );
        assert_eq!(
            tier_key("cache_creation_input_token_cost_above_1hr_above_200k_tokens"),
            Some(("cache_creation_input_token_cost_above_1hr", 200))
        );
        assert_eq!(tier_key("cache_creation_input_token_cost_above_1hr"), None);
    }
}
