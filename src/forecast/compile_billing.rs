//! Checks and compiles a forecast's `[billing.NAME]` schemes (the scenario layer's scheme
//! compiler, so a forecast and `tokencast compare` read the same tables) and picks the
//! headline bill.

use super::billing::ForecastScheme;
use super::model::{Headline, TaskMix};
use super::spec::ForecastFile;
use crate::pricing::ModelPrices;
use crate::scenario::parse::Source;
use crate::scenario::{FieldPath, ScenarioError, did_you_mean};

/// Keys of `[billing]` that are not scheme names.
pub const BASIC_KEYS: [&str; 4] = ["discount", "commitment", "seat_fee", "headline"];

/// Checks, before parsing, that every plain value in `[billing]` is one of [`BASIC_KEYS`]
/// (anything else would be read as a scheme and fail with no name to show).
pub fn check_keys(text: &str, source: &Source) -> Result<(), ScenarioError> {
    let Ok(doc) = text.parse::<toml_edit::DocumentMut>() else {
        return Ok(());
    };
    let Some(billing) = doc.get("billing").and_then(|b| b.as_table_like()) else {
        return Ok(());
    };
    for (key, item) in billing.iter() {
        if BASIC_KEYS.contains(&key) || item.is_table_like() {
            continue;
        }
        return Err(source.error_at(
            FieldPath::default().key("billing").key(key),
            format!(
                "unknown key `{key}`: expected one of `discount`, `commitment`, `seat_fee`, \
                 `headline`, or a scheme table [billing.NAME]"
            ),
            did_you_mean(key, BASIC_KEYS).map(|s| format!("did you mean `{s}`?")),
        ));
    }
    Ok(())
}

/// The named schemes in name order and the headline.
pub fn compile(
    file: &ForecastFile,
    source: &Source,
    prices: &[ModelPrices],
    model_names: &[String],
    tasks: &[TaskMix],
) -> Result<(Vec<ForecastScheme>, Headline), ScenarioError> {
    let path = FieldPath::default().key("billing");
    let mut schemes = Vec::new();
    for (name, spec) in &file.billing.schemes {
        let scheme =
            crate::scenario::billing::scheme(spec, &path.key(name), source, prices, model_names)?;
        schemes.push(ForecastScheme::new(name.clone(), scheme, tasks));
    }
    let b = &file.billing;
    let basic = b.discount.is_some() || b.commitment.is_some() || b.seat_fee.is_some();
    let headline = match &b.headline {
        Some(name) => match schemes.iter().position(|s| &s.name == name) {
            Some(i) => Headline::Scheme(i),
            None => {
                let names: Vec<&str> = schemes.iter().map(|s| s.name.as_str()).collect();
                return Err(source.error_at(
                    path.key("headline"),
                    format!(
                        "unknown scheme `{name}`: expected one of the [billing.NAME] sections{}",
                        if names.is_empty() {
                            " (there are none)".to_string()
                        } else {
                            format!(" ({})", crate::text::backticked(names.iter().copied()))
                        }
                    ),
                    did_you_mean(name, names.iter().copied())
                        .map(|s| format!("did you mean `{s}`?")),
                ));
            }
        },
        None if !basic && !schemes.is_empty() => Headline::Scheme(0),
        None => Headline::Basic,
    };
    Ok((schemes, headline))
}
