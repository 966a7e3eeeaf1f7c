//! MIME in mail posts: multipart bodies, quoted-printable and base64 transfer encodings,
//! declared charsets, and RFC 2047 encoded words in headers (`=?iso-8859-1?Q?Caf=E9?=`).
//!
//! A post's text is its first `text/plain` part, or failing that its first `text/html` part
//! read through the HTML line reader. Bounds: nested multiparts are followed at most four
//! deep, and every step is one pass over its input.

use regex::Regex;
use std::borrow::Cow;
use std::sync::LazyLock;

/// How deep multiparts are followed.
const MAX_DEPTH: usize = 4;

/// A MIME entity's body as text, with what was undone reported.
pub struct Text {
    pub text: String,
    pub diagnostics: Vec<String>,
}

/// The value of one parameter of a header value: `boundary` of `multipart/mixed;
/// boundary="xyz"`.
pub fn parameter(value: &str, name: &str) -> Option<String> {
    for part in value.split(';').skip(1) {
        let (key, v) = part.split_once('=')?;
        if key.trim().eq_ignore_ascii_case(name) {
            return Some(v.trim().trim_matches('"').to_string());
        }
    }
    None
}

/// The text of a body with these `Content-Type` and `Content-Transfer-Encoding` values.
pub fn body_text(content_type: Option<&str>, encoding: Option<&str>, body: &str) -> Text {
    let mut diagnostics = Vec::new();
    let text = entity_text(content_type.unwrap_or("text/plain"), encoding, body, 0, &mut diagnostics);
    Text { text: text.unwrap_or_else(|| body.to_string()), diagnostics }
}

fn entity_text(content_type: &str, encoding: Option<&str>, body: &str, depth: usize, diagnostics: &mut Vec<String>) -> Option<String> {
    let kind = content_type.split(';').next().unwrap_or("").trim().to_ascii_lowercase();
    if kind.starts_with("multipart/") && depth < MAX_DEPTH {
        let boundary = parameter(content_type, "boundary")?;
        let parts = split_parts(body, &boundary);
        // text/plain first, then text/html, then whatever a nested multipart holds.
        let mut html = None;
        let mut nested = None;
        for (headers, part_body) in &parts {
            let part_type = header(headers, "content-type").unwrap_or("text/plain");
            let part_kind = part_type.split(';').next().unwrap_or("").trim().to_ascii_lowercase();
            let part_encoding = header(headers, "content-transfer-encoding");
            if part_kind == "text/plain" {
                if parts.len() > 1 {
                    diagnostics.push(format!("read the plain-text part of a message in {} parts", parts.len()));
                }
                return Some(decode_part(part_type, part_encoding, part_body, diagnostics));
            }
            if part_kind == "text/html" && html.is_none() {
                html = Some((part_type, part_encoding, *part_body));
            } else if part_kind.starts_with("multipart/") && nested.is_none() {
                nested = entity_text(part_type, part_encoding, part_body, depth + 1, diagnostics);
            }
        }
        if let Some(text) = nested {
            return Some(text);
        }
        let (part_type, part_encoding, part_body) = html?;
        let page = decode_part(part_type, part_encoding, part_body, diagnostics);
        diagnostics.push("read the HTML part of a message with no plain-text part".into());
        return Some(html_to_text(&page));
    }
    let text = decode_part(content_type, encoding, body, diagnostics);
    if kind == "text/html" { Some(html_to_text(&text)) } else { Some(text) }
}

/// A web page saved as MHTML (`.mht`, `.mhtml`: "Save page as single file"): a MIME message
/// whose `multipart/related` body holds the page's HTML with its styles and images. The
/// page's HTML, decoded; `None` when the message is not a saved page.
pub fn saved_web_page(content_type: Option<&str>, snapshot_location: Option<&str>, body: &str) -> Option<Text> {
    let content_type = content_type?;
    let kind = content_type.split(';').next().unwrap_or("").trim().to_ascii_lowercase();
    let page_type = parameter(content_type, "type").unwrap_or_default().to_ascii_lowercase();
    if kind != "multipart/related" || !(page_type == "text/html" || snapshot_location.is_some()) {
        return None;
    }
    let boundary = parameter(content_type, "boundary")?;
    let mut diagnostics = Vec::new();
    for (headers, part_body) in split_parts(body, &boundary) {
        let part_type = header(&headers, "content-type").unwrap_or("");
        if part_type.split(';').next().unwrap_or("").trim().eq_ignore_ascii_case("text/html") {
            let html = decode_part(part_type, header(&headers, "content-transfer-encoding"), part_body, &mut diagnostics);
            diagnostics.push(format!(
                "a web page saved as one file (MHTML){}",
                snapshot_location.map(|l| format!(" from {l}")).unwrap_or_default()
            ));
            return Some(Text { text: html, diagnostics });
        }
    }
    None
}

fn html_to_text(page: &str) -> String {
    let doc = scraper::Html::parse_document(page);
    let root = crate::html::first(&doc, &crate::html::sel("body")).unwrap_or_else(|| doc.root_element());
    crate::story::lines_to_paragraph_text(&crate::html::element_lines(root))
}

/// The first value of a header, by name, case-insensitively.
pub fn header<'a>(headers: &'a [(impl AsRef<str>, String)], name: &str) -> Option<&'a str> {
    headers.iter().find(|(n, _)| n.as_ref().eq_ignore_ascii_case(name)).map(|(_, v)| v.as_str())
}

/// A multipart body's parts: (headers, body), the preamble and epilogue left out.
fn split_parts<'a>(body: &'a str, boundary: &str) -> Vec<(Vec<(String, String)>, &'a str)> {
    let delimiter = format!("--{boundary}");
    let mut parts = Vec::new();
    let mut start: Option<usize> = None;
    let mut offset = 0;
    for line in body.split_inclusive('\n') {
        let bare = line.trim_end();
        if bare.starts_with(&delimiter) {
            if let Some(s) = start {
                parts.push(&body[s..offset]);
            }
            if bare[delimiter.len()..].starts_with("--") {
                start = None;
                break;
            }
            start = Some(offset + line.len());
        }
        offset += line.len();
    }
    if let Some(s) = start {
        parts.push(&body[s..]);
    }
    parts
        .into_iter()
        .map(|part| {
            let mut headers: Vec<(String, String)> = Vec::new();
            let mut rest = part;
            let mut consumed = 0;
            for line in part.split_inclusive('\n') {
                consumed += line.len();
                let bare = line.trim_end();
                if bare.is_empty() {
                    rest = &part[consumed..];
                    break;
                }
                if line.starts_with([' ', '\t']) {
                    if let Some((_, v)) = headers.last_mut() {
                        v.push(' ');
                        v.push_str(bare.trim());
                    }
                } else if let Some((name, value)) = bare.split_once(':') {
                    headers.push((name.trim().to_string(), value.trim().to_string()));
                } else {
                    // No header block: the part is all body.
                    rest = part;
                    break;
                }
                rest = &part[consumed..];
            }
            (headers, rest)
        })
        .collect()
}

/// A part's bytes after its transfer encoding, as text in its declared charset.
fn decode_part(content_type: &str, encoding: Option<&str>, body: &str, diagnostics: &mut Vec<String>) -> String {
    let bytes: Cow<'_, [u8]> = match encoding.map(|e| e.trim().to_ascii_lowercase()).as_deref() {
        Some("quoted-printable") => Cow::Owned(quoted_printable(body)),
        Some("base64") => {
            let (bytes, skipped) = base64(body);
            if skipped > 0 {
                diagnostics.push(format!("{skipped} characters that are not base64 were skipped in the message"));
            }
            Cow::Owned(bytes)
        }
        _ => return body.to_string(),
    };
    text_in_charset(&bytes, parameter(content_type, "charset").as_deref())
}

fn text_in_charset(bytes: &[u8], charset: Option<&str>) -> String {
    if let Some(encoding) = charset.and_then(|c| encoding_rs::Encoding::for_label(c.as_bytes())) {
        // A declared charset that the bytes do not fit (UTF-8 declared over Latin-1, say) is
        // left to detection instead.
        let (text, _, malformed) = encoding.decode(bytes);
        if !malformed {
            return text.into_owned();
        }
    }
    match ficarchive_decode::decode(bytes, false) {
        Ok(decoded) => decoded.text.into_owned(),
        Err(_) => String::from_utf8_lossy(bytes).into_owned(),
    }
}

/// Quoted-printable: `=XX` is a byte, `=` at a line's end joins it to the next.
pub fn quoted_printable(body: &str) -> Vec<u8> {
    let mut out = Vec::with_capacity(body.len());
    for line in body.split_inclusive('\n') {
        let (content, newline) = match line.strip_suffix('\n') {
            Some(c) => (c.trim_end_matches('\r'), true),
            None => (line, false),
        };
        let content = content.trim_end_matches([' ', '\t']);
        let bytes = content.as_bytes();
        let mut i = 0;
        let mut soft = false;
        while i < bytes.len() {
            if bytes[i] == b'=' {
                if i + 1 == bytes.len() {
                    soft = true;
                    break;
                }
                let hex = bytes.get(i + 1..i + 3).and_then(|h| std::str::from_utf8(h).ok()).and_then(|h| u8::from_str_radix(h, 16).ok());
                if let Some(b) = hex {
                    out.push(b);
                    i += 3;
                    continue;
                }
            }
            out.push(bytes[i]);
            i += 1;
        }
        if newline && !soft {
            out.push(b'\n');
        }
    }
    out
}

/// Base64, ignoring line breaks; other characters are skipped and counted.
pub fn base64(body: &str) -> (Vec<u8>, usize) {
    let mut out = Vec::with_capacity(body.len() * 3 / 4);
    let (mut acc, mut bits, mut skipped) = (0u32, 0u32, 0usize);
    for c in body.bytes() {
        let v = match c {
            b'A'..=b'Z' => c - b'A',
            b'a'..=b'z' => c - b'a' + 26,
            b'0'..=b'9' => c - b'0' + 52,
            b'+' | b'-' => 62,
            b'/' | b'_' => 63,
            b'=' | b'\r' | b'\n' | b' ' | b'\t' => continue,
            _ => {
                skipped += 1;
                continue;
            }
        };
        acc = (acc << 6) | u32::from(v);
        bits += 6;
        if bits >= 8 {
            bits -= 8;
            out.push((acc >> bits) as u8);
            acc &= (1 << bits) - 1;
        }
    }
    (out, skipped)
}

static ENCODED_WORD: LazyLock<Regex> = LazyLock::new(|| Regex::new(r"=\?([^?\s]{1,40})\?([QqBb])\?([^?\s]*)\?=").expect("literal regex"));
/// White space between two encoded words is not part of the text.
static BETWEEN_WORDS: LazyLock<Regex> = LazyLock::new(|| Regex::new(r"\?=\s+=\?").expect("literal regex"));

/// A header value with its RFC 2047 encoded words decoded: `=?UTF-8?Q?Caf=C3=A9?=` → `Café`.
pub fn decode_words(value: &str) -> Cow<'_, str> {
    if !value.contains("=?") {
        return Cow::Borrowed(value);
    }
    let joined = BETWEEN_WORDS.replace_all(value, "?==?");
    let decoded = ENCODED_WORD.replace_all(&joined, |c: &regex::Captures<'_>| {
        let bytes = if c[2].eq_ignore_ascii_case("q") { quoted_printable(&c[3].replace('_', " ")) } else { base64(&c[3]).0 };
        text_in_charset(&bytes, Some(&c[1]))
    });
    Cow::Owned(decoded.into_owned())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn quoted_printable_bytes_and_soft_breaks() {
        assert_eq!(
            String::from_utf8(quoted_printable("It=E2=80=99s a lo=\nng line =3D fine\n")).unwrap(),
            "It\u{2019}s a long line = fine\n"
        );
    }

    #[test]
    fn base64_ignores_line_breaks() {
        assert_eq!(base64("SGFyYm91\r\nciBMaWdodHM=").0, b"Harbour Lights");
    }

    #[test]
    fn encoded_words_in_headers() {
        assert_eq!(decode_words("=?iso-8859-1?Q?Caf=E9_Lights?= (PG)"), "Café Lights (PG)");
        assert_eq!(decode_words("=?UTF-8?B?VGlkZQ==?= =?UTF-8?Q?_and_Time?="), "Tide and Time");
        assert_eq!(decode_words("Plain"), "Plain");
    }

    #[test]
    fn multipart_prefers_plain_text_then_html() {
        let body = "preamble\n--b1\nContent-Type: text/html\n\n<p>Hello <b>there</b></p>\n--b1\nContent-Type: text/plain; charset=utf-8\nContent-Transfer-Encoding: quoted-printable\n\nHello the=\nre=E2=80=94friend\n--b1--\n";
        let t = body_text(Some("multipart/alternative; boundary=\"b1\""), None, body);
        assert_eq!(t.text.trim(), "Hello there\u{2014}friend");
        let html_only = "--b2\nContent-Type: text/html\n\n<p>One.</p><p>Two.</p>\n--b2--\n";
        let t = body_text(Some("multipart/alternative; boundary=b2"), None, html_only);
        assert_eq!(t.text, "One.\n\nTwo.");
    }
}
