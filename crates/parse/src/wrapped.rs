//! Pages saved by apps and WebViews: the page's HTML inside a JSON document or a JavaScript
//! string, with `\n`, `\"` and `\u003c` escapes.
//!
//! The page is the longest string in the file that holds HTML markup. Valid JSON is read by
//! serde_json; anything else (a script, JSON cut short, broken escapes) by a scan for string
//! literals that keeps a broken escape as written and reports how many there were.
//!
//! Architecture invariant: one pass over the text; no recursion beyond serde_json's own
//! depth bound.

use regex::Regex;
use std::sync::LazyLock;

/// A page found inside a JSON document or a script.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Unwrapped {
    pub html: String,
    pub diagnostics: Vec<String>,
}

static MARKUP: LazyLock<Regex> = LazyLock::new(|| Regex::new(r"(?i)<(?:p|div|br|body|html|span|h[1-6]|article)\b").expect("literal regex"));

/// How many markup tags make a string a page rather than a snippet.
const MIN_TAGS: usize = 3;

fn is_page(s: &str) -> bool {
    MARKUP.find_iter(s).take(MIN_TAGS).count() == MIN_TAGS
}

/// Whether a text may be a wrapped page: it opens like JSON or a script, and its markup is
/// escaped.
fn looks_wrapped(text: &str) -> bool {
    let t = text.trim_start_matches(|c: char| c.is_whitespace() || c == '\u{feff}');
    let opens = t.starts_with(['{', '[', '"'])
        || ["var ", "let ", "const ", "window.", "document.write", "self.", "globalThis."].iter().any(|p| t.starts_with(p));
    let head = &t[..t.floor_char_boundary(65_536)];
    opens && (head.contains("\\\"") || head.contains("\\n") || head.contains("\\u003c") || head.contains("\\u003C")) && head.contains('<')
        || opens && head.contains("\\u003c")
}

/// The page inside a text, when it is a wrapped page.
pub fn unwrap_page(text: &str) -> Option<Unwrapped> {
    if !looks_wrapped(text) {
        return None;
    }
    if let Ok(value) = serde_json::from_str::<serde_json::Value>(text.trim_start_matches('\u{feff}')) {
        let mut best: Option<&str> = None;
        let mut stack = vec![&value];
        while let Some(v) = stack.pop() {
            match v {
                serde_json::Value::String(s) if is_page(s) && best.is_none_or(|b| s.len() > b.len()) => best = Some(s),
                serde_json::Value::Array(items) => stack.extend(items.iter()),
                serde_json::Value::Object(map) => stack.extend(map.values()),
                _ => {}
            }
        }
        return best
            .map(|html| Unwrapped { html: html.to_string(), diagnostics: vec!["the page was saved inside a JSON document".into()] });
    }
    let (html, broken, unterminated) = longest_literal(text)?;
    let mut diagnostics = vec!["the page was saved inside a script's string".into()];
    if broken > 0 {
        diagnostics.push(if broken == 1 {
            "a broken escape in the saved page was kept as written".to_string()
        } else {
            format!("{broken} broken escapes in the saved page were kept as written")
        });
    }
    if unterminated {
        diagnostics.push("the saved page's string is cut short (no closing quote)".into());
    }
    Some(Unwrapped { html, diagnostics })
}

/// `\uXXXX` or `\xXX` (the `u` or `x` already read): pushes the character, or, for a short
/// code or a lone surrogate, the escape as written. False when it was kept as written.
fn push_hex_escape(chars: &mut std::iter::Peekable<std::str::CharIndices<'_>>, kind: char, out: &mut String) -> bool {
    let digits = if kind == 'u' { 4 } else { 2 };
    let mut hex = String::new();
    while hex.len() < digits && chars.peek().is_some_and(|(_, h)| h.is_ascii_hexdigit()) {
        hex.push(chars.next().map_or('0', |(_, h)| h));
    }
    match u32::from_str_radix(&hex, 16).ok().filter(|_| hex.len() == digits).and_then(char::from_u32) {
        Some(ch) => {
            out.push(ch);
            true
        }
        None => {
            out.push('\\');
            out.push(kind);
            out.push_str(&hex);
            false
        }
    }
}

/// The longest quoted literal holding a page: (its text, broken escapes, cut short).
fn longest_literal(text: &str) -> Option<(String, usize, bool)> {
    let mut best: Option<(String, usize, bool)> = None;
    let mut chars = text.char_indices().peekable();
    while let Some((_, c)) = chars.next() {
        if c != '"' && c != '\'' && c != '`' {
            continue;
        }
        let quote = c;
        let mut out = String::new();
        let mut broken = 0;
        let mut closed = false;
        while let Some((_, c)) = chars.next() {
            if c == quote {
                closed = true;
                break;
            }
            if c != '\\' {
                out.push(c);
                continue;
            }
            match chars.next().map(|(_, e)| e) {
                Some('n') => out.push('\n'),
                Some('t') => out.push('\t'),
                Some('r') => {}
                Some('b' | 'f' | 'v' | '0') => out.push(' '),
                Some('/') => out.push('/'),
                Some('\\') => out.push('\\'),
                Some('"') => out.push('"'),
                Some('\'') => out.push('\''),
                Some('`') => out.push('`'),
                Some('\n') => {}
                Some(kind @ ('u' | 'x')) => {
                    if !push_hex_escape(&mut chars, kind, &mut out) {
                        broken += 1;
                    }
                }
                Some(other) => {
                    broken += 1;
                    out.push('\\');
                    out.push(other);
                }
                None => broken += 1,
            }
        }
        if is_page(&out) && best.as_ref().is_none_or(|b| out.len() > b.0.len()) {
            best = Some((out, broken, !closed));
        }
    }
    best
}

#[cfg(test)]
mod tests {
    use super::*;

    const PAGE: &str = "<html><body><h1>Tide</h1><p>One.</p><p>Two \"quoted\".</p></body></html>";

    #[test]
    fn a_page_inside_json() {
        let json = serde_json::json!({"url": "https://example.org/s/1", "html": PAGE, "savedAt": 1}).to_string();
        assert_eq!(unwrap_page(&json).map(|u| u.html), Some(PAGE.to_string()));
    }

    #[test]
    fn a_page_inside_a_script_with_broken_escapes() {
        let script = "var page = \"<html><body><h1>Tide<\\/h1>\\n<p>One \\q.</p><p>Two \\u00e9 \\uZZ.</p>";
        let u = unwrap_page(script).expect("a page");
        assert!(u.html.contains("<p>One \\q.</p>"), "{}", u.html);
        assert!(u.html.contains("Two é"), "{}", u.html);
        assert!(u.diagnostics.iter().any(|d| d.contains("2 broken escapes")), "{:?}", u.diagnostics);
        assert!(u.diagnostics.iter().any(|d| d.contains("cut short")), "{:?}", u.diagnostics);
    }

    #[test]
    fn plain_json_and_stories_are_not_pages() {
        assert_eq!(unwrap_page("{\"title\": \"Tide\", \"author\": \"Jo\"}"), None);
        assert_eq!(unwrap_page("\"Tide,\" she said. <p> and \\n in a story."), None);
    }
}
