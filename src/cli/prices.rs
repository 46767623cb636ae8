//! `tokencast prices [--prices FILE] [MODEL]`: what the price catalog knows, every rate in USD
//! per million tokens at full precision (the shortest decimal that reads back as the same
//! number), "-" where the source states none.

use std::fmt::Write as _;
use std::path::{Path, PathBuf};

use anyhow::anyhow;

use tokencast::pricing::{CatalogEntry, PriceCatalog, RateSet, TokenKind, litellm};
use tokencast::scenario::did_you_mean;

use super::{Failure, bad_input};

/// Arguments of `prices`.
#[derive(Debug, clap::Args)]
pub struct PricesArgs {
    /// Also read this price file: LiteLLM's model_prices_and_context_window.json (.json) or a
    /// catalog in the bundled TOML format (.toml); its models are added over the bundled ones.
    #[arg(long)]
    pub prices: Option<PathBuf>,
    /// Show one model in full (rates, tiers, batch, source, as-of date, notes).
    pub model: Option<String>,
}

/// The bundled catalog, plus the models of `file` if given.
pub fn load_catalog(file: Option<&Path>) -> Result<PriceCatalog, Failure> {
    let text = match file {
        Some(path) => Some(
            tokencast::input::read_text(path, tokencast::input::MAX_PRICE_FILE_BYTES)
                .map_err(|e| bad_input(anyhow!("cannot read the price file: {e}")))?,
        ),
        None => None,
    };
    catalog_from_text(file.zip(text.as_deref()))
}

/// The bundled catalog extended with a price file's `(path, text)` (as [`load_catalog`]).
pub fn catalog_from_text(file: Option<(&Path, &str)>) -> Result<PriceCatalog, Failure> {
    let mut catalog = PriceCatalog::bundled();
    if let Some((path, text)) = file {
        let origin = path.display().to_string();
        tokencast::file_kind::expect_kind(
            path,
            text,
            super::takes::PRICES,
            "--prices",
            "a price file (a LiteLLM-style JSON map or a TOML catalog)",
        )
        .map_err(bad_input)?;
        let extra = if path.extension().is_some_and(|e| e == "toml") {
            PriceCatalog::from_toml(&origin, text)
        } else {
            litellm::parse(&origin, text)
        }
        .map_err(bad_input)?;
        catalog.extend(extra);
    }
    Ok(catalog)
}

/// Renders the listing or one model.
pub fn render(args: &PricesArgs) -> Result<String, Failure> {
    let catalog = load_catalog(args.prices.as_deref())?;
    match &args.model {
        None => Ok(render_list(&catalog)),
        Some(name) => match catalog.get(name) {
            Some(entry) => Ok(render_entry(name, entry)),
            None if !catalog.matching(name).is_empty() => {
                Ok(render_matches(&catalog, name, &catalog.matching(name)))
            }
            None => {
                let hint = did_you_mean(name, catalog.names())
                    .map(|s| format!("; did you mean `{s}`?"))
                    .unwrap_or_default();
                Err(bad_input(anyhow!(
                    "unknown model `{name}`: not in the price catalog{hint} (`tokencast prices` lists them)"
                )))
            }
        },
    }
}

/// A partial name: the one entry it matches in full, or the list of those it matches.
fn render_matches(catalog: &PriceCatalog, query: &str, names: &[&str]) -> String {
    if let [name] = names
        && let Some(entry) = catalog.get(name)
    {
        return format!(
            "`{query}` matches one model:\n\n{}",
            render_entry(name, entry)
        );
    }
    let subset = PriceCatalog {
        entries: names
            .iter()
            .filter_map(|n| catalog.get(n).map(|e| (n.to_string(), e.clone())))
            .collect(),
    };
    format!(
        "No model is named `{query}`; {} match it (give a full name for sources, tiers and batch rates):\n\n{}",
        names.len(),
        render_list(&subset)
    )
}

fn rate(v: Option<f64>) -> String {
    v.map_or_else(|| "-".to_string(), |v| v.to_string())
}

const COLUMNS: [TokenKind; 6] = [
    TokenKind::Input,
    TokenKind::Output,
    TokenKind::CacheWrite,
    TokenKind::CacheWrite1h,
    TokenKind::CacheRead,
    TokenKind::Reasoning,
];

fn render_list(catalog: &PriceCatalog) -> String {
    let mut out = String::from(
        "USD per million tokens; \"-\" = not stated by the source. `tokencast prices MODEL` shows sources and tiers.\n\n",
    );
    let _ = writeln!(
        out,
        "{:<34} {:<15} {:>9} {:>9} {:>9} {:>9} {:>9} {:>9} {:>9} {:>9} {:>5}  as of",
        "model",
        "provider",
        "input",
        "output",
        "cache_w",
        "cache_w1h",
        "cache_r",
        "reasoning",
        "batch_in",
        "batch_out",
        "tiers"
    );
    for (name, e) in &catalog.entries {
        let batch = e.batch.clone().unwrap_or_default();
        let _ = write!(out, "{name:<34} {:<15}", e.provider);
        for kind in COLUMNS {
            let v = match kind {
                TokenKind::Reasoning => e.rates.reasoning,
                k => e.rates.get(k),
            };
            let _ = write!(out, " {:>9}", rate(v));
        }
        let _ = writeln!(
            out,
            " {:>9} {:>9} {:>5}  {}",
            rate(batch.input),
            rate(batch.output),
            e.tiers.len(),
            if e.as_of.is_empty() { "-" } else { &e.as_of }
        );
    }
    out
}

fn rate_lines(out: &mut String, indent: &str, set: &RateSet) {
    for kind in COLUMNS {
        let v = match kind {
            TokenKind::Reasoning => set.reasoning,
            k => set.get(k),
        };
        let shown = match (kind, v) {
            (TokenKind::Reasoning, None) if set.output.is_some() => "(billed as output)".into(),
            (_, v) => rate(v),
        };
        let _ = writeln!(out, "{indent}{:<15} {shown}", kind.name());
    }
}

fn render_entry(name: &str, e: &CatalogEntry) -> String {
    let mut out = String::new();
    let _ = writeln!(out, "{name}  ({})", e.provider);
    let _ = writeln!(
        out,
        "  as of   {}",
        if e.as_of.is_empty() { "-" } else { &e.as_of }
    );
    let _ = writeln!(out, "  source  {}", e.source);
    if !e.notes.is_empty() {
        let _ = writeln!(out, "  notes   {}", e.notes);
    }
    let _ = writeln!(out, "  rates (USD per million tokens):");
    rate_lines(&mut out, "    ", &e.rates);
    for t in &e.tiers {
        let _ = writeln!(
            out,
            "  tier: whole call when the prompt has more than {} tokens (unstated kinds at the base rate):",
            t.above
        );
        rate_lines(&mut out, "    ", &t.rates);
    }
    match &e.batch {
        Some(b) => {
            let _ = writeln!(out, "  batch (unstated kinds at list price):");
            rate_lines(&mut out, "    ", b);
        }
        None => {
            let _ = writeln!(out, "  batch   no batch rates known");
        }
    }
    out
}
