//! Bytes to text.
//!
//! Order of evidence: a byte-order mark; then bytes that are valid UTF-8 (a saved page is
//! re-encoded by the browser that saved it, so a `<meta charset=iso-8859-1>` over valid
//! non-ASCII UTF-8 is a stale label, and UTF-8 wins); then a charset the HTML declares; then
//! detection (chardetng) for unlabelled bytes. Latin-1 labels decode as Windows-1252, the web
//! rule. The output has `\n` line endings and no NUL characters.
//!
//! Architecture invariant: pure, no I/O; never panics on any input; memory is linear in the
//! input (at most the decoded text plus one copy).

use encoding_rs::Encoding;
use std::borrow::Cow;

/// Text decoded from bytes, with what was done to it. The text borrows the input when the
/// bytes were already clean UTF-8 (the common case: no copy at all).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Decoded<'a> {
    pub text: Cow<'a, str>,
    /// The encoding's name, e.g. `UTF-8`, `windows-1252`.
    pub encoding: &'static str,
    /// Plain-words notes: NULs removed, replacement characters, a charset label overruled.
    pub diagnostics: Vec<String>,
}

/// Why bytes are not decoded at all.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum DecodeError {
    /// The bytes are not text: an image, an archive, an executable, or noise.
    Binary {
        what: &'static str,
    },
    Empty,
}

impl std::fmt::Display for DecodeError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            DecodeError::Binary { what } => {
                write!(f, "binary data ({what}), not a text, HTML or Markdown file")
            }
            DecodeError::Empty => write!(f, "the file is empty"),
        }
    }
}

impl std::error::Error for DecodeError {}

const MAGIC: &[(&[u8], &str)] = &[
    (b"\x89PNG", "PNG image"),
    (b"\xFF\xD8\xFF", "JPEG image"),
    (b"GIF8", "GIF image"),
    (b"%PDF", "PDF document"),
    (b"PK\x03\x04", "ZIP archive (an EPUB or office document?)"),
    (b"\x7FELF", "executable"),
    (b"MZ", "Windows executable"),
    (b"\x1F\x8B", "gzip archive"),
    (b"BZh", "bzip2 archive"),
    (b"7z\xBC\xAF", "7-Zip archive"),
    (b"Rar!", "RAR archive"),
    (b"ID3", "MP3 audio"),
    (b"OggS", "Ogg audio"),
    (b"RIFF", "RIFF media file"),
    (b"\xD0\xCF\x11\xE0", "old Microsoft Office document"),
    (b"{\\rtf", "RTF document"),
];

/// Decodes a file's bytes. `is_html` lets a `<meta charset>` declaration count as evidence.
pub fn decode(bytes: &[u8], is_html: bool) -> Result<Decoded<'_>, DecodeError> {
    if bytes.is_empty() {
        return Err(DecodeError::Empty);
    }
    let mut diagnostics = Vec::new();

    if let Some((enc, bom_len)) = Encoding::for_bom(bytes) {
        let (text, had_errors) = enc.decode_without_bom_handling(&bytes[bom_len..]);
        if had_errors {
            diagnostics.push(format!("some bytes were not valid {}; they show as \u{FFFD}", enc.name()));
        }
        return Ok(finish(text, enc.name(), diagnostics));
    }
    if let Some(what) = sniff_binary(bytes) {
        return Err(DecodeError::Binary { what });
    }
    if let Some(enc) = sniff_utf16_without_bom(bytes) {
        let (text, _) = enc.decode_without_bom_handling(bytes);
        diagnostics.push(format!("no byte-order mark, but the bytes are {}", enc.name()));
        return Ok(finish(text, enc.name(), diagnostics));
    }

    if let Ok(text) = std::str::from_utf8(bytes) {
        if is_html
            && let Some(label) = declared_charset(bytes)
            && label != encoding_rs::UTF_8
            && !text.is_ascii()
        {
            diagnostics.push(format!("the page declares {} but its bytes are valid UTF-8; decoded as UTF-8", label.name()));
        }
        return Ok(finish(Cow::Borrowed(text), "UTF-8", diagnostics));
    }

    if mostly_utf8(bytes) {
        let text = String::from_utf8_lossy(bytes);
        diagnostics.push("some bytes were not valid UTF-8; they show as \u{FFFD}".to_string());
        return Ok(finish(text, "UTF-8", diagnostics));
    }
    let enc = if is_html { declared_charset(bytes).filter(|e| *e != encoding_rs::UTF_8) } else { None };
    let enc = enc.unwrap_or_else(|| {
        let mut detector = chardetng::EncodingDetector::new(chardetng::Iso2022JpDetection::Deny);
        detector.feed(bytes, true);
        detector.guess(None, chardetng::Utf8Detection::Allow)
    });
    // A UTF-8 guess here means "mostly UTF-8 with damage": decode with replacement.
    let (text, had_errors) = enc.decode_without_bom_handling(bytes);
    if enc == encoding_rs::UTF_8 || had_errors {
        diagnostics.push(format!("some bytes were not valid {}; they show as \u{FFFD}", enc.name()));
    } else {
        diagnostics.push(format!("the bytes are not UTF-8; decoded as {}", enc.name()));
    }
    Ok(finish(text, enc.name(), diagnostics))
}

fn finish<'a>(mut text: Cow<'a, str>, encoding: &'static str, mut diagnostics: Vec<String>) -> Decoded<'a> {
    if text.as_bytes().contains(&0) {
        let nuls = text.bytes().filter(|&b| b == 0).count();
        text.to_mut().retain(|c| c != '\0');
        diagnostics.push(format!("removed {nuls} NUL characters"));
    }
    if text.contains('\r') {
        text = Cow::Owned(normalize_newlines(&text));
    }
    Decoded { text, encoding, diagnostics }
}

/// CRLF and lone CR become LF.
pub fn normalize_newlines(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    let mut rest = text;
    while let Some(i) = rest.find('\r') {
        out.push_str(&rest[..i]);
        out.push('\n');
        rest = &rest[i + 1..];
        if rest.starts_with('\n') {
            rest = &rest[1..];
        }
    }
    out.push_str(rest);
    out
}

/// UTF-8 with a few damaged bytes (a cut-off download, two files joined): its non-ASCII
/// characters are mostly whole UTF-8 sequences, which text in a legacy encoding almost never
/// forms by chance (an accented letter there is one high byte beside plain letters). Read
/// as Windows-1252 instead, every curly quote of such a story would turn into "â€œ".
fn mostly_utf8(bytes: &[u8]) -> bool {
    let (mut whole, mut broken) = (0usize, 0usize);
    for chunk in bytes.utf8_chunks() {
        whole += chunk.valid().chars().filter(|c| !c.is_ascii()).count();
        broken += usize::from(!chunk.invalid().is_empty());
    }
    whole >= 4 * broken.max(1)
}

fn sniff_binary(bytes: &[u8]) -> Option<&'static str> {
    for (magic, what) in MAGIC {
        if bytes.starts_with(magic) {
            return Some(what);
        }
    }
    // Control characters other than tab, newline, vertical tab (a word processor's line
    // break), form feed, carriage return, DOS's end-of-file mark and escape are rare in text:
    // more than one byte in fifty (and more than one) is binary. Random bytes hold
    // about one in ten; a ten percent bar let some of them through as "stories". NUL bytes
    // alone are tolerated (they are removed), unless they dominate.
    let head = &bytes[..bytes.len().min(8192)];
    let controls = head.iter().filter(|&&b| b < 0x20 && !matches!(b, b'\t' | b'\n' | 0x0B | 0x0C | b'\r' | 0x1A | 0x1B | 0)).count();
    let nuls = head.iter().filter(|&&b| b == 0).count();
    if (controls > 1 && controls * 50 > head.len()) || (nuls * 4 > head.len() && sniff_utf16_without_bom(bytes).is_none()) {
        return Some("unrecognised binary content");
    }
    None
}

/// UTF-16 text without a BOM has a NUL in every other byte of its ASCII characters.
fn sniff_utf16_without_bom(bytes: &[u8]) -> Option<&'static Encoding> {
    let head = &bytes[..bytes.len().min(4096) & !1];
    if head.len() < 8 {
        return None;
    }
    let pairs = head.len() / 2;
    let even_nuls = head.iter().step_by(2).filter(|&&b| b == 0).count();
    let odd_nuls = head.iter().skip(1).step_by(2).filter(|&&b| b == 0).count();
    if odd_nuls * 10 > pairs * 7 && even_nuls * 10 < pairs {
        Some(encoding_rs::UTF_16LE)
    } else if even_nuls * 10 > pairs * 7 && odd_nuls * 10 < pairs {
        Some(encoding_rs::UTF_16BE)
    } else {
        None
    }
}

/// The charset an HTML page declares in its first 4 KB (`<meta charset>` or
/// `http-equiv` content), as an encoding. Latin-1 labels resolve to Windows-1252.
pub fn declared_charset(bytes: &[u8]) -> Option<&'static Encoding> {
    let head = &bytes[..bytes.len().min(4096)];
    let lower: Vec<u8> = head.iter().map(|b| b.to_ascii_lowercase()).collect();
    let mut from = 0;
    while let Some(pos) = find(&lower[from..], b"charset") {
        let mut i = from + pos + b"charset".len();
        from = i;
        while i < lower.len() && matches!(lower[i], b' ' | b'=' | b'"' | b'\'') {
            i += 1;
        }
        let start = i;
        while i < lower.len() && (lower[i].is_ascii_alphanumeric() || matches!(lower[i], b'-' | b'_' | b':' | b'.')) {
            i += 1;
        }
        if i > start
            && let Some(enc) = Encoding::for_label(&lower[start..i])
        {
            // A page cannot really be UTF-16 if we are reading ASCII-compatible bytes.
            if enc == encoding_rs::UTF_16LE || enc == encoding_rs::UTF_16BE {
                return Some(encoding_rs::UTF_8);
            }
            return Some(enc);
        }
    }
    None
}

fn find(haystack: &[u8], needle: &[u8]) -> Option<usize> {
    haystack.windows(needle.len()).position(|w| w == needle)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn utf8_bom_is_stripped() {
        let d = decode(b"\xEF\xBB\xBFTitle: X\r\nnext", false).unwrap();
        assert_eq!(d.text, "Title: X\nnext");
        assert_eq!(d.encoding, "UTF-8");
    }

    #[test]
    fn windows_1252_is_detected() {
        // "It’s “quoted” café" in Windows-1252
        let bytes = b"It\x92s \x93quoted\x94 caf\xE9, and the story goes on for a while here.";
        let d = decode(bytes, false).unwrap();
        assert_eq!(d.encoding, "windows-1252");
        assert!(d.text.contains("It\u{2019}s \u{201C}quoted\u{201D} caf\u{E9}"));
    }

    #[test]
    fn utf8_with_a_few_damaged_bytes_stays_utf8() {
        let mut bytes = "\u{201C}It\u{2019}s the ferry,\u{201D} she said \u{2014} caf\u{E9} and all.\n".repeat(3).into_bytes();
        bytes.extend_from_slice(b"A cut-off line \xE2\x80 and a stray \xFF byte.\n");
        let d = decode(&bytes, false).unwrap();
        assert_eq!(d.encoding, "UTF-8");
        assert!(d.text.starts_with("\u{201C}It\u{2019}s the ferry,\u{201D} she said \u{2014} caf\u{E9}"), "{}", d.text);
        assert!(d.text.contains("a stray \u{FFFD} byte"));
        assert!(d.diagnostics.iter().any(|m| m.contains("not valid UTF-8")), "{:?}", d.diagnostics);
        // Legacy text with one stray UTF-8 sequence is still legacy text.
        let legacy = b"It\x92s \x93quoted\x94 caf\xE9, na\xEFve, \xE0 la carte \xE2\x80\x94 and more.";
        assert_eq!(decode(legacy, false).unwrap().encoding, "windows-1252");
    }

    #[test]
    fn declared_latin1_decodes_as_windows_1252() {
        let page = b"<html><head><meta charset=\"iso-8859-1\"></head><body>It\x92s</body></html>";
        let d = decode(page, true).unwrap();
        assert_eq!(d.encoding, "windows-1252");
        assert!(d.text.contains("It\u{2019}s"));
    }

    #[test]
    fn valid_utf8_overrules_a_stale_label() {
        let page = "<meta charset=iso-8859-1><p>café</p>".as_bytes();
        let d = decode(page, true).unwrap();
        assert_eq!(d.encoding, "UTF-8");
        assert!(d.text.contains("café"));
        assert_eq!(d.diagnostics.len(), 1);
    }

    #[test]
    fn cr_and_crlf_become_lf_and_nuls_go() {
        let d = decode(b"a\r\nb\rc\0d", false).unwrap();
        assert_eq!(d.text, "a\nb\ncd");
        assert!(d.diagnostics.iter().any(|m| m.contains("NUL")));
    }

    #[test]
    fn binary_and_empty_are_refused() {
        assert_eq!(decode(b"\x89PNG\r\n\x1a\n....", false), Err(DecodeError::Binary { what: "PNG image" }));
        assert_eq!(decode(b"", false), Err(DecodeError::Empty));
        let noise: Vec<u8> = (0..2000u32).map(|i| (i * 7 % 32) as u8).collect();
        assert!(matches!(decode(&noise, false), Err(DecodeError::Binary { .. })));
    }

    /// Bytes with no structure (what a damaged or encrypted file looks like) are binary
    /// whatever their length, while text with a few stray control characters (a DOS
    /// end-of-file mark, a word processor's line breaks, a bell) is still text.
    #[test]
    fn random_bytes_are_binary_and_stray_controls_are_not() {
        let mut seed = 0x9e37_79b9_7f4a_7c15_u64;
        for len in [64, 300, 3000, 20_000] {
            let bytes: Vec<u8> = (0..len)
                .map(|_| {
                    seed ^= seed << 13;
                    seed ^= seed >> 7;
                    seed ^= seed << 17;
                    (seed >> 24) as u8
                })
                .collect();
            assert!(matches!(decode(&bytes, false), Err(DecodeError::Binary { .. })), "{len} random bytes");
        }
        let mut text = "The ferry left at dawn.\x0bShe waved from the pier.\n".repeat(40).into_bytes();
        text.extend_from_slice(b"\x07Ding.\x07\x07\n\x1a");
        assert!(decode(&text, false).is_ok());
    }

    #[test]
    fn utf16_without_bom_is_recognised() {
        let bytes: Vec<u8> = "Title: Hello there\nAuthor: Me".encode_utf16().flat_map(|u| u.to_le_bytes()).collect();
        let d = decode(&bytes, false).unwrap();
        assert_eq!(d.text, "Title: Hello there\nAuthor: Me");
    }

    proptest::proptest! {
        #[test]
        fn never_panics_and_has_no_cr_or_nul(bytes in proptest::collection::vec(proptest::prelude::any::<u8>(), 0..2000), html: bool) {
            if let Ok(d) = decode(&bytes, html) {
                proptest::prop_assert!(!d.text.contains('\r'));
                proptest::prop_assert!(!d.text.contains('\0'));
            }
        }
    }
}
