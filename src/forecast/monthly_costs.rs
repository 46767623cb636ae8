//! Monthly spend read from a CSV, as `track --actuals` and `calibrate-org --backtest` take it:
//! a plain file with a `month` column (`YYYY-MM`) and a `cost` column (other columns
//! ignored), or a FOCUS billing export as clouds and FinOps platforms write it
//! (`ChargePeriodStart`, `BilledCost`: every row's `BilledCost` summed per month, so the
//! forecast's own `focus.csv` reads back as its mean bill). Errors name `file:line`.

use super::calendar::YearMonth;
use super::compile::MAX_BUDGET;

/// What to do with a month outside the span asked for.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Outside {
    /// Refuse it, naming the span (`what` names what the span is, e.g. "the forecast").
    Refuse(&'static str),
    /// Leave it out (a FOCUS export often holds more months than a back-test scores).
    Skip,
}

/// Each month's spend over a span of months.
#[derive(Debug, Clone, PartialEq)]
pub struct MonthlyCosts {
    /// Per month of the span, the spend read (`None`: no row for it).
    pub sums: Vec<Option<f64>>,
    /// Whether the file is a FOCUS export.
    pub focus: bool,
}

/// Reads the spend of the `months` months from `start` out of `text` (file `name`). A plain
/// file gives each month once, at a cost from 0 to [`MAX_BUDGET`]; a FOCUS export's rows (a
/// credit may be negative) are summed per month.
pub fn read_monthly_costs(
    name: &str,
    text: &str,
    start: YearMonth,
    months: usize,
    outside: Outside,
) -> Result<MonthlyCosts, String> {
    let mut csv = crate::input::NamedColumns::read(name, text)?;
    let find = |col: &str| csv.find(col);
    let (month_col, cost_col, focus) = match (
        find("month"),
        find("cost"),
        find("ChargePeriodStart"),
        find("BilledCost"),
    ) {
        (Some(m), Some(c), _, _) => (m, c, false),
        (_, _, Some(m), Some(c)) => (m, c, true),
        _ => {
            return Err(format!(
                "{name}:1: expected the columns `month` and `cost` (a plain monthly CSV: \
                 month,cost with months as YYYY-MM), or a FOCUS export with `ChargePeriodStart` \
                 and `BilledCost`; found {}",
                csv.header_list()
            ));
        }
    };
    let mut sums: Vec<Option<f64>> = vec![None; months];
    let mut last_line = vec![0u64; months];
    for row in csv.rows(name) {
        let (line, record) = row?;
        let month_text = record.get(month_col).unwrap_or("").trim();
        let period = month_text
            .get(..7)
            .and_then(YearMonth::parse)
            .ok_or_else(|| {
                format!(
                    "{name}:{line}: month: expected a month as YYYY-MM{}, found \"{month_text}\"",
                    if focus {
                        " (or a date-time starting so)"
                    } else {
                        ""
                    }
                )
            })?;
        let index = month_index(start, period).filter(|&i| i < months);
        let Some(index) = index else {
            match outside {
                Outside::Skip => continue,
                Outside::Refuse(what) => {
                    return Err(format!(
                        "{name}:{line}: month: expected a month of {what}, {} to {}, found {period}",
                        start,
                        start.plus(months as u32 - 1)
                    ));
                }
            }
        };
        let cost_text = record.get(cost_col).unwrap_or("").trim();
        let cost: f64 = cost_text
            .parse()
            .ok()
            .filter(|c: &f64| c.abs() <= MAX_BUDGET && (focus || *c >= 0.0))
            .ok_or_else(|| {
                let max = crate::text::thousands(MAX_BUDGET);
                let (field, range) = if focus {
                    ("BilledCost", format!("from -{max} to {max}"))
                } else {
                    ("cost", format!("from 0 to {max}"))
                };
                format!("{name}:{line}: {field}: expected an amount {range}, found \"{cost_text}\"")
            })?;
        match &mut sums[index] {
            Some(s) if focus => *s += cost,
            Some(_) => {
                return Err(format!(
                    "{name}:{line}: month: {period} is given twice (first at line {}); give \
                     each month once",
                    last_line[index]
                ));
            }
            slot => *slot = Some(cost),
        }
        last_line[index] = line;
    }
    Ok(MonthlyCosts { sums, focus })
}

/// Months from `start` to `period` (None before `start`).
fn month_index(start: YearMonth, period: YearMonth) -> Option<usize> {
    let a = start.year as i64 * 12 + start.month as i64;
    let b = period.year as i64 * 12 + period.month as i64;
    usize::try_from(b - a).ok()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn start() -> YearMonth {
        YearMonth::parse("2026-01").unwrap()
    }

    #[test]
    fn a_focus_export_is_summed_per_month_and_other_months_skipped() {
        let text = "BillingAccountId,ChargePeriodStart,BilledCost\n\
                    x,2025-12-01T00:00:00Z,99\n\
                    x,2026-01-01T00:00:00Z,10.5\n\
                    x,2026-01-01T00:00:00Z,-0.5\n\
                    x,2026-02-01T00:00:00Z,7\n";
        let m = read_monthly_costs("f.csv", text, start(), 2, Outside::Skip).unwrap();
        assert!(m.focus);
        assert_eq!(m.sums, [Some(10.0), Some(7.0)]);
        let e = read_monthly_costs("f.csv", text, start(), 2, Outside::Refuse("the activity"))
            .unwrap_err();
        assert!(
            e.starts_with("f.csv:2: month: expected a month of the activity"),
            "{e}"
        );
    }

    #[test]
    fn a_plain_month_given_twice_is_refused_at_its_line() {
        let text = "month,cost\n2026-01,5\n2026-01,6\n";
        let e = read_monthly_costs("a.csv", text, start(), 2, Outside::Skip).unwrap_err();
        assert!(
            e.starts_with("a.csv:3: month: 2026-01 is given twice"),
            "{e}"
        );
    }
}
