//! Checks and compiles `[budget]`: budgets as finance sets them.
//!
//! ```toml
//! [budget]
//! fiscal_year_start = "April"   # or 4; default: the forecast's first month
//! monthly = 80000               # every month the same
//! # monthly = [70000, 72000, ...]                        # one per forecast month
//! # monthly = { by_quarter = [70000, 80000, 80000, ...] } # the monthly budget in each fiscal
//! #                                                      # quarter the horizon touches
//! annual = 800000               # every fiscal year the same
//! # annual = [250000, 900000, 700000]                    # one per fiscal year of the horizon
//! ```
//!
//! Every value is a positive amount of at most [`MAX_BUDGET`]; a list of the wrong length says
//! how many values it needs and which months, quarters or years they cover. An annual budget
//! applies to the months of its fiscal year that the forecast covers (a partial year is not
//! prorated: give that year's remaining budget in the list).

use super::calendar::YearMonth;
use super::compile::MAX_BUDGET;
use super::fiscal::{FiscalYears, MONTH_NAMES, parse_month};
use super::model::{Budget, MonthlyBudgetForm};
use super::spec::ForecastFile;
use crate::scenario::parse::Source;
use crate::scenario::{FieldPath, ScenarioError, did_you_mean, number};

/// The budgets and fiscal years of a forecast of `months` months from `start`.
pub fn compile(
    file: &ForecastFile,
    source: &Source,
    start: YearMonth,
    months: usize,
) -> Result<(Budget, FiscalYears), ScenarioError> {
    let path = FieldPath::default().key("budget");
    let b = &file.budget;
    let fiscal_start = match &b.fiscal_year_start {
        None => None,
        Some(v) => Some(fiscal_year_start(
            v,
            &path.key("fiscal_year_start"),
            source,
        )?),
    };
    let fiscal = FiscalYears::new(start, months, fiscal_start);
    let span = |r: &std::ops::Range<usize>| {
        format!(
            "{} to {}",
            start.plus(r.start as u32),
            start.plus(r.end as u32 - 1)
        )
    };
    let (monthly, monthly_form) = match &b.monthly {
        None => (None, MonthlyBudgetForm::None),
        Some(v) => {
            let p = path.key("monthly");
            match v {
                toml::Value::Array(items) => {
                    let values = amounts(items, &p, source)?;
                    if values.len() != months {
                        return Err(source.error_at(
                            p,
                            format!(
                                "expected {} (one per forecast month, {}), found {}",
                                plural(months, "monthly budget"),
                                span(&(0..months)),
                                values.len()
                            ),
                            Some(
                                "or give one number for every month, or { by_quarter = [...] } \
                                 for a monthly budget per fiscal quarter"
                                    .into(),
                            ),
                        ));
                    }
                    (Some(values), MonthlyBudgetForm::PerMonth)
                }
                toml::Value::Table(t) => {
                    let quarters = fiscal.quarters(start, months);
                    let Some(list) = t.get("by_quarter") else {
                        let key = t.keys().next().map_or("", String::as_str);
                        return Err(source.error_at(
                            p.key(key),
                            format!(
                                "unknown key `{key}`: expected `by_quarter` (the monthly budget in \
                                 each fiscal quarter)"
                            ),
                            did_you_mean(key, ["by_quarter"])
                                .map(|s| format!("did you mean `{s}`?")),
                        ));
                    };
                    if let Some(other) = t.keys().find(|k| *k != "by_quarter") {
                        return Err(source.error_at(
                            p.key(other),
                            format!("unknown key `{other}`: expected only `by_quarter`"),
                            None,
                        ));
                    }
                    let q = p.key("by_quarter");
                    let toml::Value::Array(items) = list else {
                        return Err(source.error_at(
                            q,
                            format!(
                                "expected an array of {} (one per fiscal quarter), found {}",
                                plural(quarters.len(), "monthly budget"),
                                type_name(list)
                            ),
                            None,
                        ));
                    };
                    let values = amounts(items, &q, source)?;
                    if values.len() != quarters.len() {
                        let first = quarters.first().map_or(0, |r| r.start);
                        let last = quarters.last().map_or(0, |r| r.start);
                        return Err(source.error_at(
                            q,
                            format!(
                                "expected {}, one per fiscal quarter from {} ({}) to {} ({}), found {}",
                                plural(quarters.len(), "monthly budget"),
                                fiscal.quarter_label(start, first),
                                start.plus(first as u32),
                                fiscal.quarter_label(start, last),
                                start.plus(last as u32),
                                values.len()
                            ),
                            Some(format!(
                                "fiscal years start in {} ([budget] fiscal_year_start); each value \
                                 is the budget of every month of its quarter",
                                MONTH_NAMES[fiscal.start_month as usize - 1]
                            )),
                        ));
                    }
                    let mut per_month = Vec::with_capacity(months);
                    for (r, v) in quarters.iter().zip(&values) {
                        per_month.extend(r.clone().map(|_| *v));
                    }
                    (Some(per_month), MonthlyBudgetForm::PerQuarter)
                }
                toml::Value::Integer(_) | toml::Value::Float(_) => (
                    Some(vec![amount(v, &p, source)?; months]),
                    MonthlyBudgetForm::Flat,
                ),
                other => {
                    return Err(source.error_at(
                        p,
                        format!(
                            "expected a monthly budget: a number, an array with one per month, \
                             or {{ by_quarter = [...] }}, found {}",
                            type_name(other)
                        ),
                        None,
                    ));
                }
            }
        }
    };
    let annual = match &b.annual {
        None => None,
        Some(v) => {
            let p = path.key("annual");
            let years = fiscal.years.len();
            match v {
                toml::Value::Array(items) => {
                    let values = amounts(items, &p, source)?;
                    if values.len() != years {
                        let names: Vec<String> = fiscal
                            .years
                            .iter()
                            .zip(&fiscal.labels)
                            .map(|(r, l)| format!("{l} ({})", span(r)))
                            .collect();
                        return Err(source.error_at(
                            p,
                            format!(
                                "expected {}, one per year of the forecast: {}; found {}",
                                plural(years, "annual budget"),
                                names.join(", "),
                                values.len()
                            ),
                            Some("or give one number for every year".into()),
                        ));
                    }
                    Some(values)
                }
                toml::Value::Integer(_) | toml::Value::Float(_) => {
                    Some(vec![amount(v, &p, source)?; years])
                }
                other => {
                    return Err(source.error_at(
                        p,
                        format!(
                            "expected an annual budget: a number, or an array with one per year, \
                             found {}",
                            type_name(other)
                        ),
                        None,
                    ));
                }
            }
        }
    };
    Ok((
        Budget {
            monthly,
            monthly_form,
            annual,
        },
        fiscal,
    ))
}

/// `fiscal_year_start`: 1–12 or a month's name.
fn fiscal_year_start(
    v: &toml::Value,
    path: &FieldPath,
    source: &Source,
) -> Result<u32, ScenarioError> {
    let found = match v {
        toml::Value::Integer(i) if (1..=12).contains(i) => return Ok(*i as u32),
        toml::Value::String(s) => match parse_month(s) {
            Some(m) => return Ok(m),
            None => format!("\"{}\"", crate::text::clip(s, 40)),
        },
        toml::Value::Integer(i) => i.to_string(),
        other => type_name(other).to_string(),
    };
    let help = match v {
        toml::Value::String(s) => {
            did_you_mean(s, MONTH_NAMES).map(|m| format!("did you mean `{m}`?"))
        }
        _ => None,
    };
    Err(source.error_at(
        path.clone(),
        format!(
            "expected the month fiscal years start in: 1 to 12 or a name such as \"April\", found {found}"
        ),
        help,
    ))
}

/// The amounts of an array, each checked.
fn amounts(
    items: &[toml::Value],
    path: &FieldPath,
    source: &Source,
) -> Result<Vec<f64>, ScenarioError> {
    items
        .iter()
        .enumerate()
        .map(|(i, v)| amount(v, &path.index(i), source))
        .collect()
}

/// One budget amount: a number above 0 and at most [`MAX_BUDGET`].
fn amount(v: &toml::Value, path: &FieldPath, source: &Source) -> Result<f64, ScenarioError> {
    let x = match v {
        toml::Value::Integer(i) => *i as f64,
        toml::Value::Float(f) => *f,
        other => {
            return Err(source.error_at(
                path.clone(),
                format!("expected a budget (a number), found {}", type_name(other)),
                None,
            ));
        }
    };
    if !(x.is_finite() && x > 0.0 && x <= MAX_BUDGET) {
        return Err(source.error_at(
            path.clone(),
            format!(
                "expected a budget above 0 and at most {} (USD), found {}",
                number(MAX_BUDGET),
                number(x)
            ),
            None,
        ));
    }
    Ok(x)
}

/// `n` things, e.g. `1 monthly budget`, `3 monthly budgets`.
fn plural(n: usize, thing: &str) -> String {
    if n == 1 {
        format!("1 {thing}")
    } else {
        format!("{n} {thing}s")
    }
}

/// What a TOML value is, in words.
fn type_name(v: &toml::Value) -> &'static str {
    match v {
        toml::Value::String(_) => "a string",
        toml::Value::Integer(_) => "an integer",
        toml::Value::Float(_) => "a number",
        toml::Value::Boolean(_) => "a boolean",
        toml::Value::Datetime(_) => "a date",
        toml::Value::Array(_) => "an array",
        toml::Value::Table(_) => "a table",
    }
}
