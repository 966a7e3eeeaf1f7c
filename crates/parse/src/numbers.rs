//! Numbers as fan fiction writes them: `12`, `XII`, `twelve`, `twenty-one`.

const UNITS: &[&str] = &[
    "zero",
    "one",
    "two",
    "three",
    "four",
    "five",
    "six",
    "seven",
    "eight",
    "nine",
    "ten",
    "eleven",
    "twelve",
    "thirteen",
    "fourteen",
    "fifteen",
    "sixteen",
    "seventeen",
    "eighteen",
    "nineteen",
];
const TENS: &[&str] = &["", "", "twenty", "thirty", "forty", "fifty", "sixty", "seventy", "eighty", "ninety"];

pub fn parse_number(s: &str) -> Option<u32> {
    let s = s.trim().to_lowercase();
    if s.is_empty() {
        return None;
    }
    if s.bytes().all(|b| b.is_ascii_digit()) {
        return s.parse().ok().filter(|&n: &u32| n < 10_000);
    }
    if let Some(n) = roman(&s) {
        return Some(n);
    }
    words(&s)
}

fn roman(s: &str) -> Option<u32> {
    if s.is_empty() || !s.chars().all(|c| matches!(c, 'i' | 'v' | 'x' | 'l' | 'c')) {
        return None;
    }
    let value = |c: char| match c {
        'i' => 1,
        'v' => 5,
        'x' => 10,
        'l' => 50,
        _ => 100,
    };
    let chars: Vec<i64> = s.chars().map(value).collect();
    let mut total = 0i64;
    for (i, &v) in chars.iter().enumerate() {
        if chars.get(i + 1).is_some_and(|&next| next > v) {
            total -= v;
        } else {
            total += v;
        }
    }
    // Reject non-canonical forms like "iiii" or "vx" by round-tripping.
    let total = u32::try_from(total).ok().filter(|&t| t > 0)?;
    (to_roman(total) == s).then_some(total)
}

fn to_roman(mut n: u32) -> String {
    let table = [(100, "c"), (90, "xc"), (50, "l"), (40, "xl"), (10, "x"), (9, "ix"), (5, "v"), (4, "iv"), (1, "i")];
    let mut out = String::new();
    for (v, s) in table {
        while n >= v {
            out.push_str(s);
            n -= v;
        }
    }
    out
}

fn words(s: &str) -> Option<u32> {
    let s = s.replace(' ', "-");
    if let Some(i) = UNITS.iter().position(|u| *u == s) {
        return Some(i as u32);
    }
    let (tens, unit) = s.split_once('-').unwrap_or((s.as_str(), ""));
    let t = TENS.iter().position(|x| !x.is_empty() && *x == tens)? as u32;
    let u = if unit.is_empty() { 0 } else { UNITS[1..10].iter().position(|x| *x == unit)? as u32 + 1 };
    Some(t * 10 + u)
}

#[cfg(test)]
mod tests {
    use super::parse_number;

    #[test]
    fn numerals() {
        assert_eq!(parse_number("12"), Some(12));
        assert_eq!(parse_number("IV"), Some(4));
        assert_eq!(parse_number("xii"), Some(12));
        assert_eq!(parse_number("Two"), Some(2));
        assert_eq!(parse_number("twenty-one"), Some(21));
        assert_eq!(parse_number("iiii"), None);
        assert_eq!(parse_number("was"), None);
        assert_eq!(parse_number("civil"), None);
    }
}
