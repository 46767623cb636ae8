//! Prices for the fitted models: given on the command line, or recovered from the log's cost
//! column by least squares.
//!
//! Method: per model, the cost of each record is regressed on its token counts by kind (input,
//! output, cache write, cache read; no intercept) through the normal equations, solved by
//! Gaussian elimination with partial pivoting. A kind no record uses cannot be identified and
//! gets the price 0 (it is never charged in the data either). The largest relative residual is
//! reported: list prices reproduce the costs to rounding, anything else shows there.

use serde::Serialize;

/// Prices of one model in USD per million tokens.
#[derive(Debug, Clone, Copy, PartialEq, Serialize)]
pub struct Prices {
    /// Uncached prompt tokens.
    pub input: f64,
    /// Output tokens.
    pub output: f64,
    /// Cache-write tokens.
    pub cache_write: f64,
    /// Cache-read tokens.
    pub cache_read: f64,
    /// Cache-write tokens at the 1-hour TTL.
    pub cache_write_1h: f64,
}

impl Prices {
    /// The cost in USD of the given token counts.
    pub fn cost(&self, input: u64, output: u64, cache_write: u64, cache_read: u64) -> f64 {
        (input as f64 * self.input
            + output as f64 * self.output
            + cache_write as f64 * self.cache_write
            + cache_read as f64 * self.cache_read)
            / 1e6
    }

    /// The cost in USD of token counts by priced kind: input, output, cache write (5 min),
    /// cache read, cache write (1 h) (see [`crate::calibrate::CallRecord::priced_kinds`]).
    pub fn cost_of(&self, kinds: &[u64; 5]) -> f64 {
        self.cost(kinds[0], kinds[1], kinds[2], kinds[3])
            + kinds[4] as f64 * self.cache_write_1h / 1e6
    }

    /// Parses `MODEL=input,output,cache_write,cache_read[,cache_write_1h]` (USD per million
    /// tokens); the 1-hour cache write defaults to twice the input price (as in a scenario).
    pub fn parse_flag(text: &str) -> Result<(String, Prices), String> {
        let (model, rates) = text.split_once('=').ok_or_else(|| {
            format!("expected MODEL=input,output,cache_write,cache_read, found `{text}`")
        })?;
        let rates: Vec<f64> = rates
            .split(',')
            .map(|r| r.trim().parse::<f64>())
            .collect::<Result<_, _>>()
            .map_err(|_| format!("expected four numbers after `{model}=`, found `{rates}`"))?;
        let (rates4, cache_write_1h) = match rates[..] {
            [a, b, c, d] => ([a, b, c, d], 2.0 * a),
            [a, b, c, d, e] => ([a, b, c, d], e),
            _ => ([f64::NAN; 4], f64::NAN),
        };
        match rates4 {
            [input, output, cache_write, cache_read]
                if rates4
                    .iter()
                    .chain([&cache_write_1h])
                    .all(|r| r.is_finite() && *r >= 0.0 && *r <= 1e6) =>
            {
                Ok((
                    model.trim().to_string(),
                    Prices {
                        input,
                        output,
                        cache_write,
                        cache_read,
                        cache_write_1h,
                    },
                ))
            }
            _ => Err(format!(
                "expected four (or five, the fifth the 1-hour cache write) prices between 0 and 1000000 USD per million tokens after `{model}=`, found `{rates:?}`"
            )),
        }
    }
}

/// Where a model's prices came from.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(tag = "source", rename_all = "snake_case")]
pub enum PriceOrigin {
    /// `--price` on the command line.
    CommandLine,
    /// Least squares on the log's cost column.
    CostColumn {
        /// Records used.
        records: usize,
        /// Largest |fitted − logged| / logged over records with a positive cost.
        max_relative_residual: f64,
    },
    /// The bundled price catalog's list rates (prompt-length tiers and batch rates not applied).
    Catalog {
        /// The catalog entry used.
        entry: String,
        /// Its date.
        as_of: String,
        /// Its source (where the rates were read).
        reference: String,
    },
    /// Mix-weighted from the prices of the logged models (task-level model).
    Blended {
        /// The models blended.
        from: Vec<String>,
    },
}

/// A model's list rates from the catalog: the entry of that name, else of the first of
/// [`catalog_names`] the catalog holds. An unstated cache-read rate is 0, an unstated cache
/// write the input rate (the 1-hour one: twice the input rate). `None` without input and
/// output rates.
pub fn prices_from_catalog(
    catalog: &crate::pricing::PriceCatalog,
    model: &str,
) -> Option<(Prices, PriceOrigin)> {
    let (name, entry) = catalog_names(model)
        .into_iter()
        .find_map(|n| catalog.get(&n).map(|e| (n, e)))?;
    let r = &entry.rates;
    Some((
        Prices {
            input: r.input?,
            output: r.output?,
            // A provider that states no cache-write rate (OpenAI, Google) charges none: the
            // part of a prompt not read from the cache is billed as input. The simulator's
            // prefix cache writes that part, so it is priced at the input rate.
            cache_write: r.cache_write.unwrap_or(r.input?),
            cache_read: r.cache_read.unwrap_or(0.0),
            cache_write_1h: r.cache_write_1h.unwrap_or(2.0 * r.input?),
        },
        PriceOrigin::Catalog {
            entry: name,
            as_of: entry.as_of.clone(),
            reference: entry.source.clone(),
        },
    ))
}

/// The names a logged model may have in the catalog, most literal first: as logged; without a
/// provider prefix (`litellm_proxy/`, `anthropic/`, as LiteLLM-based agents log); with dots as
/// dashes (Gemini CLI logs `gemini-2.5-pro` for the catalog's `gemini-2-5-pro`); without a
/// trailing `-YYYYMMDD` date (Claude Code logs `claude-sonnet-4-5-20250929` for
/// `claude-sonnet-4-5`); and without a `-codex` suffix (Codex CLI's `gpt-5-codex` is listed at
/// `gpt-5`'s prices).
pub fn catalog_names(model: &str) -> Vec<String> {
    let mut names = vec![model.to_string()];
    let mut push = |n: String| {
        if !names.contains(&n) {
            names.push(n);
        }
    };
    let bare = model.rsplit_once('/').map_or(model, |(_, m)| m);
    for base in [model, bare] {
        let dashed = base.replace('.', "-");
        for n in [base.to_string(), dashed] {
            let undated = n
                .rsplit_once('-')
                .filter(|(_, d)| d.len() == 8 && d.bytes().all(|b| b.is_ascii_digit()))
                .map(|(stem, _)| stem.to_string());
            let plain = n.strip_suffix("-codex").map(str::to_string);
            push(n);
            undated.into_iter().chain(plain).for_each(&mut push);
        }
    }
    names
}

/// Recovers prices from records `([input, output, cache_write, cache_read, cache_write_1h],
/// cost_usd)`;
/// `None` without records or when the counts cannot separate the kinds.
pub fn prices_from_costs(rows: &[([u64; 5], f64)]) -> Option<(Prices, PriceOrigin)> {
    if rows.is_empty() {
        return None;
    }
    let used: Vec<usize> = (0..5)
        .filter(|&k| rows.iter().any(|r| r.0[k] > 0))
        .collect();
    let m = used.len();
    if m == 0 {
        return None;
    }
    // Normal equations in millions of tokens: (XᵀX) β = Xᵀy.
    let mut a = vec![vec![0.0f64; m + 1]; m];
    for (tokens, cost) in rows {
        let x: Vec<f64> = used.iter().map(|&k| tokens[k] as f64 / 1e6).collect();
        for i in 0..m {
            for j in 0..m {
                a[i][j] += x[i] * x[j];
            }
            a[i][m] += x[i] * cost;
        }
    }
    let beta = solve(a)?;
    // Costs so large that the sums overflow (1e308 per record) give no rates: never read them
    // as 0 (every price fitted to 0, silently), nor accept rates no scenario would.
    if beta
        .iter()
        .any(|b| !b.is_finite() || *b > crate::scenario::MAX_PRICE_PER_MTOK)
    {
        return None;
    }
    let mut rate = [0.0f64; 5];
    for (i, &k) in used.iter().enumerate() {
        rate[k] = beta[i].max(0.0);
    }
    let prices = Prices {
        input: rate[0],
        output: rate[1],
        cache_write: rate[2],
        cache_read: rate[3],
        cache_write_1h: rate[4],
    };
    let max_relative_residual = rows
        .iter()
        .filter(|r| r.1 > 0.0)
        .map(|(t, c)| (prices.cost_of(t) - c).abs() / c)
        .fold(0.0, f64::max);
    Some((
        prices,
        PriceOrigin::CostColumn {
            records: rows.len(),
            max_relative_residual,
        },
    ))
}

/// Solves an augmented m × (m+1) system; `None` if singular.
fn solve(mut a: Vec<Vec<f64>>) -> Option<Vec<f64>> {
    let m = a.len();
    let scale = a
        .iter()
        .flat_map(|r| r[..m].iter())
        .fold(0.0f64, |s, v| s.max(v.abs()));
    for col in 0..m {
        let pivot = (col..m).max_by(|&i, &j| a[i][col].abs().total_cmp(&a[j][col].abs()))?;
        if a[pivot][col].abs() <= scale * 1e-12 {
            return None;
        }
        a.swap(col, pivot);
        let pivot_row = a[col].clone();
        for (row, r) in a.iter_mut().enumerate() {
            if row != col {
                let f = r[col] / pivot_row[col];
                for (x, p) in r.iter_mut().zip(&pivot_row).skip(col) {
                    *x -= f * p;
                }
            }
        }
    }
    Some((0..m).map(|i| a[i][m] / a[i][i]).collect())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn overflowing_costs_recover_no_prices() {
        // Issue 20 item 20: costs of 1e308 fitted every price to 0 and calibrate exited 0.
        let rows = vec![([1000, 100, 0, 0, 0], 1e308), ([2000, 300, 0, 0, 0], 1e308)];
        assert!(prices_from_costs(&rows).is_none());
        let rows = vec![
            ([1_000_000, 0, 0, 0, 0], 3.0),
            ([0, 1_000_000, 0, 0, 0], 15.0),
        ];
        let (p, _) = prices_from_costs(&rows).unwrap();
        assert!((p.input - 3.0).abs() < 1e-9 && (p.output - 15.0).abs() < 1e-9);
    }

    #[test]
    fn list_prices_come_back_from_costs() {
        let truth = Prices {
            input: 3.0,
            output: 15.0,
            cache_write: 3.75,
            cache_read: 0.3,
            cache_write_1h: 6.0,
        };
        let rows: Vec<([u64; 5], f64)> = (0..50u64)
            .map(|i| {
                let t = [
                    i * 7 % 13,
                    100 + i * 31 % 97,
                    1000 + i * 53 % 211,
                    5000 * i,
                    i * i * 11 % 307,
                ];
                (t, truth.cost_of(&t))
            })
            .collect();
        let (p, origin) = prices_from_costs(&rows).unwrap();
        for (got, want) in [
            (p.input, 3.0),
            (p.output, 15.0),
            (p.cache_write, 3.75),
            (p.cache_read, 0.3),
            (p.cache_write_1h, 6.0),
        ] {
            assert!((got - want).abs() < 1e-9, "{got} vs {want}");
        }
        match origin {
            PriceOrigin::CostColumn {
                max_relative_residual,
                ..
            } => assert!(max_relative_residual < 1e-9),
            _ => unreachable!(),
        }
        assert_eq!(Prices::parse_flag("m=1,2,3,4").unwrap().1.cache_read, 4.0);
        assert_eq!(
            Prices::parse_flag("m=1,2,3,4").unwrap().1.cache_write_1h,
            2.0
        );
        assert_eq!(
            Prices::parse_flag("m=1,2,3,4,5").unwrap().1.cache_write_1h,
            5.0
        );
        assert!(Prices::parse_flag("m=1,2,3").is_err());
    }
}
