//! Story text to HTML and XHTML: the one renderer behind the web reader, the EPUB chapters and
//! the HTML download. Documents hold only a closed set of block and inline shapes (see
//! `ficarchive_model::Document`), and every piece of text is escaped here, so nothing an
//! imported file contains can become markup, script or a link.

use ficarchive_model::document::{Block, Document, Inline};

/// HTML for pages, or XHTML for EPUB content documents (which are XML: void elements close
/// themselves).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Markup {
    Html,
    Xhtml,
}

impl Markup {
    fn void(self, element: &str) -> String {
        match self {
            Markup::Html => format!("<{element}>"),
            Markup::Xhtml => format!("<{element}/>"),
        }
    }
}

/// Escapes text for an element body or a quoted attribute value, in HTML and in XML alike:
/// only the five predefined entities, never a named one that XML does not know.
pub fn escape(text: &str, out: &mut String) {
    for c in text.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&#39;"),
            // Control characters other than whitespace are not allowed in HTML text, nor in
            // XML; neither are the two noncharacters U+FFFE and U+FFFF.
            c if c.is_control() && !matches!(c, '\n' | '\t' | '\r') => {}
            '\u{FFFE}' | '\u{FFFF}' => {}
            c => out.push(c),
        }
    }
}

/// Escapes text into a new string.
pub fn escaped(text: &str) -> String {
    let mut out = String::with_capacity(text.len() + 8);
    escape(text, &mut out);
    out
}

/// A document as HTML. Headings inside the text start at `first_heading` (the page's own
/// headings come first) and never go past `<h6>`.
pub fn document(doc: &Document, first_heading: u8) -> String {
    let mut out = String::with_capacity(doc.blocks.len() * 200);
    blocks(&doc.blocks, first_heading, Markup::Html, &mut out);
    out
}

/// Some of a document's blocks in the given markup (EPUB chapters are split between blocks).
pub fn blocks_markup(list: &[Block], first_heading: u8, markup: Markup) -> String {
    let mut out = String::with_capacity(list.len() * 200);
    blocks(list, first_heading, markup, &mut out);
    out
}

fn blocks(list: &[Block], first_heading: u8, markup: Markup, out: &mut String) {
    for block in list {
        match block {
            Block::Paragraph(content) => {
                out.push_str("<p>");
                inlines(content, markup, out);
                out.push_str("</p>\n");
            }
            Block::Heading { level, content } => {
                let level = (first_heading + level.saturating_sub(1)).clamp(1, 6);
                out.push_str(&format!("<h{level}>"));
                inlines(content, markup, out);
                out.push_str(&format!("</h{level}>\n"));
            }
            Block::Quote(inner) => {
                out.push_str("<blockquote>\n");
                blocks(inner, first_heading, markup, out);
                out.push_str("</blockquote>\n");
            }
            Block::SceneBreak => {
                out.push_str(&markup.void("hr class=\"scene-break\""));
                out.push('\n');
            }
        }
    }
}

fn inlines(list: &[Inline], markup: Markup, out: &mut String) {
    for inline in list {
        let (open, close, inner) = match inline {
            Inline::Text(text) => {
                escape(text, out);
                continue;
            }
            Inline::LineBreak => {
                out.push_str(&markup.void("br"));
                continue;
            }
            Inline::Emphasis(inner) => ("<em>", "</em>", inner),
            Inline::Strong(inner) => ("<strong>", "</strong>", inner),
            Inline::Strike(inner) => ("<s>", "</s>", inner),
            Inline::Underline(inner) => ("<u>", "</u>", inner),
        };
        out.push_str(open);
        inlines(inner, markup, out);
        out.push_str(close);
    }
}

/// Plain text (a summary, work notes) as HTML paragraphs: blank lines separate paragraphs,
/// single line breaks are kept.
pub fn plain_text(text: &str) -> String {
    plain_text_markup(text, Markup::Html)
}

/// [`plain_text`] in the given markup.
pub fn plain_text_markup(text: &str, markup: Markup) -> String {
    let mut out = String::with_capacity(text.len() + 32);
    let normalised = text.replace("\r\n", "\n");
    for paragraph in normalised.split("\n\n").map(str::trim).filter(|p| !p.is_empty()) {
        out.push_str("<p>");
        for (i, line) in paragraph.lines().enumerate() {
            if i > 0 {
                out.push_str(&markup.void("br"));
            }
            escape(line.trim(), &mut out);
        }
        out.push_str("</p>\n");
    }
    out
}

/// `12,345`.
pub fn thousands(n: u64) -> String {
    let digits = n.to_string();
    let mut out = String::with_capacity(digits.len() + digits.len() / 3);
    for (i, c) in digits.chars().enumerate() {
        if i > 0 && (digits.len() - i).is_multiple_of(3) {
            out.push(',');
        }
        out.push(c);
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn markup_in_story_text_is_shown_as_text() {
        let doc = Document::new(vec![Block::Paragraph(vec![
            Inline::Text("<script>alert(1)</script> & <img src=x onerror=alert(2)>".into()),
            Inline::Emphasis(vec![Inline::Text("\"quoted\" 'single'".into())]),
        ])]);
        let html = document(&doc, 3);
        assert_eq!(
            html,
            "<p>&lt;script&gt;alert(1)&lt;/script&gt; &amp; &lt;img src=x onerror=alert(2)&gt;<em>&quot;quoted&quot; &#39;single&#39;</em></p>\n"
        );
    }

    #[test]
    fn headings_inside_text_start_below_the_page_headings() {
        let doc = Document::new(vec![
            Block::Heading { level: 1, content: vec![Inline::Text("Part One".into())] },
            Block::Heading { level: 6, content: vec![Inline::Text("Deep".into())] },
            Block::SceneBreak,
        ]);
        assert_eq!(document(&doc, 3), "<h3>Part One</h3>\n<h6>Deep</h6>\n<hr class=\"scene-break\">\n");
    }

    #[test]
    fn summaries_keep_their_paragraphs_and_line_breaks() {
        assert_eq!(plain_text("One\nline two\n\n\n<b>Two</b>\r\n"), "<p>One<br>line two</p>\n<p>&lt;b&gt;Two&lt;/b&gt;</p>\n");
        assert_eq!(plain_text("  \n\n "), "");
    }

    #[test]
    fn xhtml_closes_void_elements() {
        let doc = Document::new(vec![
            Block::Paragraph(vec![Inline::Text("a".into()), Inline::LineBreak, Inline::Text("b".into())]),
            Block::SceneBreak,
        ]);
        assert_eq!(blocks_markup(&doc.blocks, 2, Markup::Xhtml), "<p>a<br/>b</p>\n<hr class=\"scene-break\"/>\n");
        assert_eq!(plain_text_markup("x\ny", Markup::Xhtml), "<p>x<br/>y</p>\n");
    }

    #[test]
    fn control_characters_are_dropped() {
        let mut out = String::new();
        escape("a\u{0}b\u{7}c\td\u{FFFF}", &mut out);
        assert_eq!(out, "abc\td");
    }

    #[test]
    fn thousands_are_grouped() {
        assert_eq!(thousands(0), "0");
        assert_eq!(thousands(999), "999");
        assert_eq!(thousands(1000), "1,000");
        assert_eq!(thousands(1234567), "1,234,567");
    }
}
