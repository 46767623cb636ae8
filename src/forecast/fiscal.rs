//! Forecast years and quarters as finance counts them: a fiscal year starts in the month
//! `[budget] fiscal_year_start` names (default: the forecast's first month, so that years are
//! the blocks of twelve months from the start). The horizon's first and last fiscal years may
//! be partial: a forecast from 2027-01 with fiscal years from April has a first year of three
//! months (2027-01 to 2027-03, the end of FY2027).
//!
//! A fiscal year is named after the calendar year it ends in (`FY2028` runs from 2027-04 to
//! 2028-03 when years start in April); years starting in January are calendar years (`2027`);
//! twelve-month blocks from a start that no `fiscal_year_start` names are `year 1`, `year 2`.

use std::ops::Range;

use super::calendar::YearMonth;

/// Month names, January first.
pub const MONTH_NAMES: [&str; 12] = [
    "January",
    "February",
    "March",
    "April",
    "May",
    "June",
    "July",
    "August",
    "September",
    "October",
    "November",
    "December",
];

/// The forecast's years (and the quarters within them).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FiscalYears {
    /// The calendar month (1–12) a year starts in.
    pub start_month: u32,
    /// Whether the file named it (`[budget] fiscal_year_start`).
    pub explicit: bool,
    /// Each year's months (0-based forecast month indices, end exclusive), in order.
    pub years: Vec<Range<usize>>,
    /// How people name each year.
    pub labels: Vec<String>,
}

/// Position of a calendar month counted from year 0 (`year × 12 + month − 1`).
fn month_number(ym: YearMonth) -> i64 {
    ym.year as i64 * 12 + ym.month as i64 - 1
}

impl FiscalYears {
    /// The years of a forecast of `months` months from `start`, fiscal years starting in
    /// calendar month `fiscal_start` (1–12; `None`: the start's month).
    pub fn new(start: YearMonth, months: usize, fiscal_start: Option<u32>) -> FiscalYears {
        let start_month = fiscal_start.unwrap_or(start.month);
        let mut years: Vec<Range<usize>> = Vec::new();
        let mut first = 0;
        for m in 1..=months {
            if m == months || start.plus(m as u32).month == start_month {
                years.push(first..m);
                first = m;
            }
        }
        let labels = years
            .iter()
            .enumerate()
            .map(|(y, r)| {
                let first = start.plus(r.start as u32);
                if start_month == 1 {
                    first.year.to_string()
                } else if fiscal_start.is_some() {
                    // The fiscal year ends in the calendar year of its twelfth month.
                    let into = (first.month + 12 - start_month) % 12;
                    format!("FY{}", first.plus(11 - into).year)
                } else {
                    format!("year {}", y + 1)
                }
            })
            .collect();
        FiscalYears {
            start_month,
            explicit: fiscal_start.is_some(),
            years,
            labels,
        }
    }

    /// The fiscal quarters the horizon touches (partial at either end), as month ranges.
    pub fn quarters(&self, start: YearMonth, months: usize) -> Vec<Range<usize>> {
        let offset = self.start_month as i64 - 1;
        let quarter_of = |m: usize| (month_number(start.plus(m as u32)) - offset).div_euclid(3);
        let mut out: Vec<Range<usize>> = Vec::new();
        let mut first = 0;
        for m in 1..=months {
            if m == months || quarter_of(m) != quarter_of(first) {
                out.push(first..m);
                first = m;
            }
        }
        out
    }

    /// How people name the fiscal quarter holding forecast month `m`, e.g. `Q1 FY2028`
    /// (`Q1 2027` for calendar years, `Q1 of year 1` otherwise).
    pub fn quarter_label(&self, start: YearMonth, m: usize) -> String {
        let ym = start.plus(m as u32);
        let q = (ym.month + 12 - self.start_month) % 12 / 3 + 1;
        let y = self.years.iter().position(|r| r.contains(&m)).unwrap_or(0);
        let label = &self.labels[y];
        if label.starts_with("year") {
            format!("Q{q} of {label}")
        } else {
            format!("Q{q} {label}")
        }
    }

    /// The index of the year holding forecast month `m`.
    pub fn year_of(&self, m: usize) -> usize {
        self.years.iter().position(|r| r.contains(&m)).unwrap_or(0)
    }
}

/// A month given as 1–12 or by its English name or first three letters (any case).
pub fn parse_month(text: &str) -> Option<u32> {
    let t = text.trim().to_lowercase();
    MONTH_NAMES
        .iter()
        .position(|n| {
            let n = n.to_lowercase();
            t == n || (t.len() == 3 && n.starts_with(&t))
        })
        .map(|i| i as u32 + 1)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ym(text: &str) -> YearMonth {
        YearMonth::parse(text).unwrap()
    }

    #[test]
    fn default_years_are_blocks_of_twelve_from_the_start() {
        let f = FiscalYears::new(ym("2027-03"), 30, None);
        assert_eq!(f.years, vec![0..12, 12..24, 24..30]);
        assert_eq!(f.labels, ["year 1", "year 2", "year 3"]);
        let f = FiscalYears::new(ym("2027-01"), 24, None);
        assert_eq!(f.years, vec![0..12, 12..24]);
        assert_eq!(f.labels, ["2027", "2028"]);
    }

    #[test]
    fn fiscal_years_from_april_are_partial_at_the_ends_and_named_by_their_end() {
        let f = FiscalYears::new(ym("2027-01"), 24, Some(4));
        // 2027-01..03 ends FY2027; 2027-04..2028-03 is FY2028; 2028-04..12 begins FY2029.
        assert_eq!(f.years, vec![0..3, 3..15, 15..24]);
        assert_eq!(f.labels, ["FY2027", "FY2028", "FY2029"]);
        let q = f.quarters(ym("2027-01"), 24);
        assert_eq!(q.len(), 8);
        assert_eq!(q[0], 0..3);
        assert_eq!(q[7], 21..24);
        assert_eq!(f.quarter_label(ym("2027-01"), 0), "Q4 FY2027");
        assert_eq!(f.quarter_label(ym("2027-01"), 3), "Q1 FY2028");
        // A start inside a quarter: 2027-05 with quarters from April has 2 months in Q1.
        let f = FiscalYears::new(ym("2027-05"), 7, Some(4));
        assert_eq!(f.quarters(ym("2027-05"), 7), vec![0..2, 2..5, 5..7]);
        assert_eq!(f.years, vec![0..7]);
    }

    #[test]
    fn months_parse_by_number_or_name() {
        assert_eq!(parse_month("April"), Some(4));
        assert_eq!(parse_month("apr"), Some(4));
        assert_eq!(parse_month("SEPTEMBER"), Some(9));
        assert_eq!(parse_month("Aprl"), None);
    }
}
