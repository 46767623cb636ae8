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
//! | `input_cost_per_token_batches`, `output_cost_per_token_batches` | batch input, output |
//! | `<any of the above>_above_<N>k_tokens` | the rate of the tier above N × 1000 prompt tokens |
//!
//! Entries without both an input and an output rate (images, audio, embeddings) are skipped.
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
        if let Some(v) = rate("input_cost_per_token_batches")? {
            batch.set(TokenKind::Input, v);
        }
        if let Some(v) = rate("output_cost_per_token_batches")? {
            batch.set(TokenKind::Output, v);
        }
        let mut tiers: BTreeMap<u64, RateSet> = BTreeMap::new();
        for key in fields.keys() {
            let Some((base, thousands)) = tier_key(key) else {
                continue;
            };
            let Some((_, kind)) = BASE_KEYS.iter().find(|(k, _)| *k == base) else {
                continue;
            };
            if let Some(v) = rate(key)? {
                tiers.entry(thousands * 1000).or_default().set(*kind, v);
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
            notes: "imported from a LiteLLM price map".into(),
            rates,
            batch: (batch.input.is_some() || batch.output.is_some()).then_some(batch),
            tiers: tiers
                .into_iter()
                .map(|(above, rates)| CatalogTier { above, rates })
                .collect(),
        };
        entries.insert(name.clone(), entry);
    }
    Ok(PriceCatalog { entries })
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
