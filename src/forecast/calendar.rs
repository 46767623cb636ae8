//! Calendar months and working days.
//!
//! Weekdays are counted with the proleptic Gregorian calendar (Howard Hinnant's
//! `days_from_civil`); 1970-01-01 was a Thursday.

use std::fmt;

/// A calendar month.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub struct YearMonth {
    /// Year, e.g. 2027.
    pub year: i32,
    /// Month 1–12.
    pub month: u32,
}

impl YearMonth {
    /// Parses `"YYYY-MM"`.
    pub fn parse(text: &str) -> Option<YearMonth> {
        let (y, m) = text.split_once('-')?;
        if y.len() != 4 || m.len() != 2 {
            return None;
        }
        let year: i32 = y.parse().ok()?;
        let month: u32 = m.parse().ok()?;
        ((1..=12).contains(&month) && year >= 1970).then_some(YearMonth { year, month })
    }

    /// The month `n` months later.
    pub fn plus(self, n: u32) -> YearMonth {
        let index = self.year as i64 * 12 + (self.month as i64 - 1) + n as i64;
        YearMonth {
            year: (index / 12) as i32,
            month: (index % 12) as u32 + 1,
        }
    }

    /// Days in the month.
    pub fn days(self) -> u32 {
        let next = self.plus(1);
        (days_from_civil(next.year, next.month, 1) - days_from_civil(self.year, self.month, 1))
            as u32
    }

    /// Monday-to-Friday days in the month.
    pub fn weekdays(self) -> u32 {
        let first = days_from_civil(self.year, self.month, 1);
        (0..self.days() as i64)
            .filter(|d| {
                // 0 = Thursday for day 0 (1970-01-01); Saturday is 2, Sunday 3.
                let wd = (first + d).rem_euclid(7);
                wd != 2 && wd != 3
            })
            .count() as u32
    }

    /// The first instant of the month, `YYYY-MM-01T00:00:00Z`.
    pub fn start_iso(self) -> String {
        format!("{:04}-{:02}-01T00:00:00Z", self.year, self.month)
    }
}

impl fmt::Display for YearMonth {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{:04}-{:02}", self.year, self.month)
    }
}

/// A civil date `YYYY-MM-DD` (or a date-time starting so): its month and whether it is a
/// Monday-to-Friday day; `None` for anything else (an impossible day such as 2027-02-30 too).
pub fn parse_date(text: &str) -> Option<(YearMonth, u32, bool)> {
    let date = text.get(..10)?;
    let (ym, day) = date.split_at_checked(7)?;
    let month = YearMonth::parse(ym)?;
    let day: u32 = day.strip_prefix('-')?.parse().ok()?;
    if !(1..=month.days()).contains(&day) || text.get(10..11).is_some_and(|c| c != "T" && c != " ")
    {
        return None;
    }
    let wd = days_from_civil(month.year, month.month, day).rem_euclid(7);
    Some((month, day, wd != 2 && wd != 3))
}

/// Days since 1970-01-01 of a civil date.
fn days_from_civil(y: i32, m: u32, d: u32) -> i64 {
    let y = y as i64 - (m <= 2) as i64;
    let era = y.div_euclid(400);
    let yoe = y - era * 400;
    let m = m as i64;
    let doy = (153 * (if m > 2 { m - 3 } else { m + 9 }) + 2) / 5 + d as i64 - 1;
    let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    era * 146_097 + doe - 719_468
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn dates_parse_with_their_weekday() {
        // 2027-02-01 is a Monday, 2027-02-06 a Saturday.
        let feb = YearMonth::parse("2027-02").unwrap();
        assert_eq!(parse_date("2027-02-01"), Some((feb, 1, true)));
        assert_eq!(parse_date("2027-02-06T10:00:00Z"), Some((feb, 6, false)));
        assert_eq!(parse_date("2027-02-07 09:00"), Some((feb, 7, false)));
        assert_eq!(parse_date("2027-02-29"), None);
        assert_eq!(parse_date("2027-02-1"), None);
        assert_eq!(parse_date("2027-02-011"), None);
    }

    #[test]
    fn known_dates() {
        assert_eq!(days_from_civil(1970, 1, 1), 0);
        assert_eq!(days_from_civil(2000, 3, 1), 11_017);
        let feb24 = YearMonth::parse("2024-02").unwrap();
        assert_eq!(feb24.days(), 29);
        // February 2027 starts on a Monday: exactly 20 weekdays.
        assert_eq!(YearMonth::parse("2027-02").unwrap().weekdays(), 20);
        // January 2027: starts Friday, 31 days: 21 weekdays.
        assert_eq!(YearMonth::parse("2027-01").unwrap().weekdays(), 21);
        assert_eq!(
            YearMonth::parse("2026-11").unwrap().plus(3).to_string(),
            "2027-02"
        );
        assert_eq!(YearMonth::parse("2026-13"), None);
    }
}
