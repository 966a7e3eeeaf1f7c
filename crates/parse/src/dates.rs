//! Dates as headers and sites write them, to `YYYY-MM-DD`. An explicit list of formats, so
//! that `11/22/2026` (US) and `22.11.2026` (European) are each read the one way they can be.

use regex::Regex;
use std::sync::LazyLock;

const MONTHS: &[&str] = &["jan", "feb", "mar", "apr", "may", "jun", "jul", "aug", "sep", "oct", "nov", "dec"];

fn month(word: &str) -> Option<u32> {
    let w = word.to_lowercase();
    MONTHS.iter().position(|m| w.starts_with(m)).map(|i| i as u32 + 1)
}

fn year(y: &str) -> Option<i32> {
    let n: i32 = y.parse().ok()?;
    match y.len() {
        2 => Some(if n < 70 { 2000 + n } else { 1900 + n }),
        4 if (1970..=2100).contains(&n) => Some(n),
        _ => None,
    }
}

fn valid(y: i32, m: u32, d: u32) -> Option<String> {
    let days = match m {
        1 | 3 | 5 | 7 | 8 | 10 | 12 => 31,
        4 | 6 | 9 | 11 => 30,
        2 if (y % 4 == 0 && y % 100 != 0) || y % 400 == 0 => 29,
        2 => 28,
        _ => return None,
    };
    (d >= 1 && d <= days).then(|| format!("{y:04}-{m:02}-{d:02}"))
}

// `2019-04-12`, and the date of an ISO timestamp (`2019-04-12T09:30:00+01:00`).
static ISO: LazyLock<Regex> = LazyLock::new(|| Regex::new(r"\b(\d{4})[-/.](\d{1,2})[-/.](\d{1,2})(?:\b|T\d)").expect("literal regex"));
static MDY_NUM: LazyLock<Regex> = LazyLock::new(|| Regex::new(r"\b(\d{1,2})([-/])(\d{1,2})[-/](\d{2}|\d{4})\b").expect("literal regex"));
static DMY_DOT: LazyLock<Regex> = LazyLock::new(|| Regex::new(r"\b(\d{1,2})\.(\d{1,2})\.(\d{2}|\d{4})\b").expect("literal regex"));
static MONTH_FIRST: LazyLock<Regex> =
    LazyLock::new(|| Regex::new(r"(?i)\b([a-z]{3,9})\.?\s+(\d{1,2})(?:st|nd|rd|th)?,?\s+(\d{4}|\d{2})\b").expect("literal regex"));
static DAY_FIRST: LazyLock<Regex> = LazyLock::new(|| {
    Regex::new(r"(?i)\b(\d{1,2})(?:st|nd|rd|th)?\s+(?:of\s+)?([a-z]{3,9})\.?,?\s+(\d{4}|\d{2})\b").expect("literal regex")
});

/// Reads a date; `None` when the text holds none.
pub fn parse_date(text: &str) -> Option<String> {
    let t = text.trim();
    if let Some(c) = ISO.captures(t) {
        return valid(c[1].parse().ok()?, c[2].parse().ok()?, c[3].parse().ok()?);
    }
    if let Some(c) = MONTH_FIRST.captures(t)
        && let Some(m) = month(&c[1])
    {
        return valid(year(&c[3])?, m, c[2].parse().ok()?);
    }
    if let Some(c) = DAY_FIRST.captures(t)
        && let Some(m) = month(&c[2])
    {
        return valid(year(&c[3])?, m, c[1].parse().ok()?);
    }
    if let Some(c) = DMY_DOT.captures(t) {
        return valid(year(&c[3])?, c[2].parse().ok()?, c[1].parse().ok()?);
    }
    if let Some(c) = MDY_NUM.captures(t) {
        // FanFiction.Net and most US archives write month first; a first number above 12 can
        // only be a day.
        let (a, b): (u32, u32) = (c[1].parse().ok()?, c[3].parse().ok()?);
        let y = year(&c[4])?;
        return if a > 12 { valid(y, b, a) } else { valid(y, a, b) };
    }
    None
}

#[cfg(test)]
mod tests {
    use super::parse_date;

    #[test]
    fn formats() {
        assert_eq!(parse_date("2020-04-01").as_deref(), Some("2020-04-01"));
        assert_eq!(parse_date("January 13, 2011").as_deref(), Some("2011-01-13"));
        assert_eq!(parse_date("6th May 05").as_deref(), Some("2005-05-06"));
        assert_eq!(parse_date("12-14-09").as_deref(), Some("2009-12-14"));
        assert_eq!(parse_date("22/11/2026").as_deref(), Some("2026-11-22"));
        assert_eq!(parse_date("22.11.2026").as_deref(), Some("2026-11-22"));
        assert_eq!(parse_date("Sunday, 3 March 2002").as_deref(), Some("2002-03-03"));
        assert_eq!(parse_date("Alternate S5."), None);
        assert_eq!(parse_date("2011-02-30"), None);
    }
}
