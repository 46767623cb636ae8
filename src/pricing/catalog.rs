//! The price catalog: per model, its rates per token kind and prompt-length tier, its batch
//! rates, and where the numbers come from (source URL, as-of date, notes).
//!
//! The bundled catalog is the data file `prices/catalog.toml`, compiled into the binary. Other
//! catalogs come from LiteLLM's community price map ([`super::litellm`]); their entries are
//! added over the bundled ones. A rate the source does not state is `None`, never guessed.

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};

use super::{ModelPrices, PromptTier, TokenKind};

/// The bundled catalog's text (`prices/catalog.toml`).
pub const BUNDLED_CATALOG: &str = include_str!("../../prices/catalog.toml");

/// One set of rates in USD per million tokens; `None` where the source states none.
#[derive(Debug, Clone, Default, PartialEq, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
pub struct RateSet {
    /// Uncached prompt tokens.
    pub input: Option<f64>,
    /// Output tokens.
    pub output: Option<f64>,
    /// Cache writes, 5-minute TTL.
    pub cache_write: Option<f64>,
    /// Cache writes, 1-hour TTL.
    pub cache_write_1h: Option<f64>,
    /// Cache reads.
    pub cache_read: Option<f64>,
    /// Reasoning tokens (absent: billed as output).
    pub reasoning: Option<f64>,
}

impl RateSet {
    /// The rate of one kind, if stated (reasoning falls back to output).
    pub fn get(&self, kind: TokenKind) -> Option<f64> {
        match kind {
            TokenKind::Input => self.input,
            TokenKind::Output => self.output,
            TokenKind::CacheWrite => self.cache_write,
            TokenKind::CacheWrite1h => self.cache_write_1h,
            TokenKind::CacheRead => self.cache_read,
            TokenKind::Reasoning => self.reasoning.or(self.output),
        }
    }

    /// Sets the rate of one kind.
    pub fn set(&mut self, kind: TokenKind, usd_per_mtok: f64) {
        let slot = match kind {
            TokenKind::Input => &mut self.input,
            TokenKind::Output => &mut self.output,
            TokenKind::CacheWrite => &mut self.cache_write,
            TokenKind::CacheWrite1h => &mut self.cache_write_1h,
            TokenKind::CacheRead => &mut self.cache_read,
            TokenKind::Reasoning => &mut self.reasoning,
        };
        *slot = Some(usd_per_mtok);
    }

    /// Every rate as an array by [`TokenKind::index`], unstated rates as `None`.
    pub fn to_array(&self) -> [Option<f64>; TokenKind::COUNT] {
        TokenKind::ALL.map(|k| self.get(k))
    }
}

/// A prompt-length tier in the catalog.
#[derive(Debug, Clone, PartialEq, Deserialize, Serialize)]
#[serde(from = "TierFields")]
pub struct CatalogTier {
    /// A call whose prompt has more tokens than this is billed at the tier.
    pub above: u64,
    /// The tier's rates.
    #[serde(flatten)]
    pub rates: RateSet,
}

/// One model in the catalog.
#[derive(Debug, Clone, PartialEq, Deserialize, Serialize)]
#[serde(from = "EntryFields")]
pub struct CatalogEntry {
    /// Who bills it (`anthropic`, `openai`, `amazon-bedrock`, ...).
    #[serde(default)]
    pub provider: String,
    /// When the rates were read, or the date the source states.
    #[serde(default)]
    pub as_of: String,
    /// Where the rates come from.
    #[serde(default)]
    pub source: String,
    /// Caveats: unsourced rates, what is not modelled.
    #[serde(default)]
    pub notes: String,
    /// List rates.
    #[serde(flatten)]
    pub rates: RateSet,
    /// Batch-API rates.
    #[serde(default)]
    pub batch: Option<RateSet>,
    /// Prompt-length tiers, ascending.
    #[serde(default)]
    pub tiers: Vec<CatalogTier>,
}

/// A tier as written: every key named, so that a typo is rejected at its line (serde's
/// `flatten` would let unknown keys through and lose their position).
#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct TierFields {
    above: u64,
    input: Option<f64>,
    output: Option<f64>,
    cache_write: Option<f64>,
    cache_write_1h: Option<f64>,
    cache_read: Option<f64>,
    reasoning: Option<f64>,
}

impl From<TierFields> for CatalogTier {
    fn from(t: TierFields) -> Self {
        CatalogTier {
            above: t.above,
            rates: RateSet {
                input: t.input,
                output: t.output,
                cache_write: t.cache_write,
                cache_write_1h: t.cache_write_1h,
                cache_read: t.cache_read,
                reasoning: t.reasoning,
            },
        }
    }
}

/// An entry as written (see [`TierFields`]).
#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct EntryFields {
    #[serde(default)]
    provider: String,
    #[serde(default)]
    as_of: String,
    #[serde(default)]
    source: String,
    #[serde(default)]
    notes: String,
    input: Option<f64>,
    output: Option<f64>,
    cache_write: Option<f64>,
    cache_write_1h: Option<f64>,
    cache_read: Option<f64>,
    reasoning: Option<f64>,
    #[serde(default)]
    batch: Option<RateSet>,
    #[serde(default)]
    tiers: Vec<CatalogTier>,
}

impl From<EntryFields> for CatalogEntry {
    fn from(e: EntryFields) -> Self {
        CatalogEntry {
            provider: e.provider,
            as_of: e.as_of,
            source: e.source,
            notes: e.notes,
            rates: RateSet {
                input: e.input,
                output: e.output,
                cache_write: e.cache_write,
                cache_write_1h: e.cache_write_1h,
                cache_read: e.cache_read,
                reasoning: e.reasoning,
            },
            batch: e.batch,
            tiers: e.tiers,
        }
    }
}

impl CatalogEntry {
    /// The entry as [`ModelPrices`] when it states at least input and output; unstated cache
    /// rates are 0 and unstated 1-hour writes twice the input (callers that need a rate the
    /// source lacks must check [`CatalogEntry::missing`] first).
    pub fn to_model_prices(&self) -> Option<ModelPrices> {
        let mut p = ModelPrices::new(
            self.rates.input?,
            self.rates.output?,
            self.rates.cache_write.unwrap_or(0.0),
            self.rates.cache_read.unwrap_or(0.0),
        );
        if let Some(v) = self.rates.cache_write_1h {
            p.set_rate(TokenKind::CacheWrite1h, v);
        }
        if let Some(v) = self.rates.reasoning {
            p.set_rate(TokenKind::Reasoning, v);
        }
        for t in &self.tiers {
            let mut per_mtok = p.per_mtok;
            for kind in TokenKind::ALL {
                if let Some(v) = t.rates.get(kind) {
                    per_mtok[kind.index()] = v;
                }
            }
            p.tiers.push(PromptTier {
                above_prompt_tokens: t.above,
                per_mtok,
            });
        }
        if let Some(b) = &self.batch {
            // Kinds without a batch rate are billed at list price in batch.
            let mut per_mtok = p.per_mtok;
            for kind in TokenKind::ALL {
                if let Some(v) = b.get(kind) {
                    per_mtok[kind.index()] = v;
                }
            }
            p.batch_per_mtok = Some(per_mtok);
        }
        Some(p)
    }

    /// The base rates the source does not state, by name.
    pub fn missing(&self) -> Vec<&'static str> {
        TokenKind::ALL
            .iter()
            .filter(|k| self.rates.get(**k).is_none())
            .map(|k| k.name())
            .collect()
    }
}

/// A catalog file as written.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
struct CatalogFile {
    models: BTreeMap<String, CatalogEntry>,
}

/// Models by name with their rates and provenance.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct PriceCatalog {
    /// Entries by model name, in name order.
    pub entries: BTreeMap<String, CatalogEntry>,
}

/// A catalog that could not be read.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
#[error("{origin}: {message}")]
pub struct CatalogError {
    /// The file (or `bundled catalog`).
    pub origin: String,
    /// What is wrong.
    pub message: String,
}

/// Deserialises a catalog file; an error names the line, column and key path, what was
/// expected, and the closest key for a typo.
fn parse_catalog_file(origin: &str, text: &str) -> Result<CatalogFile, CatalogError> {
    let located = |e: &toml::de::Error, path: &str| {
        let raw = e.message().trim();
        let (message, help) =
            crate::text::explain_unknown_key(raw).unwrap_or_else(|| (raw.to_string(), None));
        let at = e
            .span()
            .map(|span| {
                let before = &text[..span.start.min(text.len())];
                let line = before.matches('\n').count() + 1;
                let column = before.len() - before.rfind('\n').map_or(0, |i| i + 1) + 1;
                format!(":{line}:{column}")
            })
            .unwrap_or_default();
        let path = if path.is_empty() || path == "." {
            String::new()
        } else {
            format!("{path}: ")
        };
        let help = help.map(|h| format!(" ({h})")).unwrap_or_default();
        CatalogError {
            origin: format!("{origin}{at}"),
            message: format!("{path}{message}{help}"),
        }
    };
    let deserializer = toml::Deserializer::parse(text).map_err(|e| located(&e, ""))?;
    serde_path_to_error::deserialize(deserializer)
        .map_err(|e| located(e.inner(), &e.path().to_string()))
}

impl PriceCatalog {
    /// The bundled catalog (`prices/catalog.toml`).
    pub fn bundled() -> PriceCatalog {
        PriceCatalog::from_toml("prices/catalog.toml", BUNDLED_CATALOG)
            .expect("the bundled catalog parses (checked by a test)")
    }

    /// Parses a catalog in the bundled TOML format, checking that rates are finite and
    /// non-negative and tiers ascend.
    pub fn from_toml(origin: &str, text: &str) -> Result<PriceCatalog, CatalogError> {
        let file = parse_catalog_file(origin, text)?;
        let doc = crate::scenario::parse::span_document(text);
        // `origin:line:column` of a key path, when the document has it.
        let at = |keys: &[&str], index: Option<usize>| -> String {
            let Some(doc) = &doc else {
                return origin.to_string();
            };
            let mut item = doc.as_item();
            for (i, k) in keys.iter().enumerate() {
                let next = if i == 2 && index.is_some() {
                    item.get(*k).and_then(|t| t.get(index.unwrap_or(0)))
                } else {
                    item.get(*k)
                };
                match next {
                    Some(n) => item = n,
                    None => break,
                }
            }
            match item.span() {
                Some(span) => {
                    let before = &text[..span.start.min(text.len())];
                    let line = before.matches('\n').count() + 1;
                    let column = before[before.rfind('\n').map_or(0, |i| i + 1)..]
                        .chars()
                        .count()
                        + 1;
                    format!("{origin}:{line}:{column}")
                }
                None => origin.to_string(),
            }
        };
        for (name, entry) in &file.models {
            let sets = std::iter::once(("", None, &entry.rates))
                .chain(entry.batch.iter().map(|b| ("batch", None, b)))
                .chain(
                    entry
                        .tiers
                        .iter()
                        .enumerate()
                        .map(|(i, t)| ("tiers", Some(i), &t.rates)),
                );
            for (table, index, set) in sets {
                for (kind, v) in TokenKind::ALL.iter().zip(set.to_array()) {
                    if let Some(v) = v
                        && !(v.is_finite() && (0.0..=1e6).contains(&v))
                    {
                        let keys: Vec<&str> = ["models", name.as_str(), table, kind.name()]
                            .into_iter()
                            .filter(|k| !k.is_empty())
                            .collect();
                        let shown = match index {
                            Some(i) => format!("models.{name}.tiers[{i}].{}", kind.name()),
                            None => keys[1..]
                                .iter()
                                .fold(String::from("models"), |a, k| a + "." + k),
                        };
                        return Err(CatalogError {
                            origin: at(&keys, index),
                            message: format!(
                                "{shown}: expected a price from 0 to 1e6 USD per million tokens, found {v}"
                            ),
                        });
                    }
                }
            }
            if let Some(i) = entry
                .tiers
                .windows(2)
                .position(|w| w[0].above >= w[1].above)
            {
                let (before, after) = (entry.tiers[i].above, entry.tiers[i + 1].above);
                return Err(CatalogError {
                    origin: at(&["models", name.as_str(), "tiers", "above"], Some(i + 1)),
                    message: format!(
                        "models.{name}.tiers[{}].above: expected a threshold above the previous tier's {before} prompt tokens (thresholds must ascend), found {after}; list each tier once, in ascending order",
                        i + 1
                    ),
                });
            }
        }
        Ok(PriceCatalog {
            entries: file.models,
        })
    }

    /// Adds (or replaces) every entry of `other`.
    pub fn extend(&mut self, other: PriceCatalog) {
        self.entries.extend(other.entries);
    }

    /// The entry of a model.
    pub fn get(&self, name: &str) -> Option<&CatalogEntry> {
        self.entries.get(name)
    }

    /// Model names, in order.
    pub fn names(&self) -> impl Iterator<Item = &str> {
        self.entries.keys().map(String::as_str)
    }

    /// Names a partial query matches, in order: every word of the query (split at anything
    /// but a letter or digit) is found, case-insensitively, in the name with its separators
    /// removed. `sonnet` finds `claude-sonnet-4-5`; `sonnet 4.5` and `sonnet45` too.
    pub fn matching(&self, query: &str) -> Vec<&str> {
        let squash = |s: &str| -> String {
            s.chars()
                .filter(char::is_ascii_alphanumeric)
                .map(|c| c.to_ascii_lowercase())
                .collect()
        };
        let words: Vec<String> = query
            .split(|c: char| !c.is_ascii_alphanumeric())
            .filter(|w| !w.is_empty())
            .map(squash)
            .collect();
        if words.is_empty() {
            return Vec::new();
        }
        self.names()
            .filter(|name| {
                let name = squash(name);
                words.iter().all(|w| name.contains(w.as_str()))
            })
            .collect()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn tiers_out_of_order_are_refused_at_the_tier() {
        // A regression found by tests/fuzz_mutants.rs: a duplicated tier line was refused
        // without its line and column.
        let text = r#"
[models.m]
input = 2.0
output = 12.0
tiers = [
  { above = 200000, input = 4.0, output = 18.0 },
  { above = 200000, input = 4.0, output = 18.0 },
]
"#;
        let e = PriceCatalog::from_toml("c.toml", text).unwrap_err();
        assert_eq!(e.origin, "c.toml:7:13");
        assert!(
            e.message.starts_with("models.m.tiers[1].above: expected a threshold above the previous tier's 200000 prompt tokens"),
            "{}",
            e.message
        );
    }

    #[test]
    fn partial_names_match_by_words_whatever_the_separators() {
        let c = PriceCatalog::bundled();
        assert_eq!(c.matching("sonnet"), vec!["claude-sonnet-4-5"]);
        assert_eq!(c.matching("SONNET 4.5"), vec!["claude-sonnet-4-5"]);
        assert_eq!(c.matching("sonnet45"), vec!["claude-sonnet-4-5"]);
        let opus = c.matching("opus");
        assert!(opus.contains(&"claude-opus-4-5") && opus.contains(&"claude-opus-4-1"));
        assert!(c.matching("no-such").is_empty());
        assert!(c.matching("--").is_empty());
    }
}
