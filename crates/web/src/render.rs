//! Story text to HTML. Documents hold only a closed set of block and inline shapes (see
//! `ficarchive_model::Document`), and every piece of text is escaped here, so nothing an
//! imported file contains can become markup, script or a link.

use ficarchive_model::document::{Block, Document, Inline};

/// Escapes text for an HTML element body or a quoted attribute value.
pub fn escape(text: &str, out: &mut String) {
    for c in text.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&#39;"),
            // Control characters other than whitespace are not allowed in HTML text.
            c if c.is_control() && !matches!(c, '\n' | '\t' | '\r') => {}
            c => out.push(c),
        }
    }
}

/// A document as HTML. Headings inside the text start at `first_heading` (the page's own
/// headings come first) and never go past `<h6>`.
pub fn document(doc: &Document, first_heading: u8) -> String {
    let mut out = String::with_capacity(doc.blocks.len() * 200);
    blocks(&doc.blocks, first_heading, &mut out);
    out
}

fn blocks(list: &[Block], first_heading: u8, out: &mut String) {
    for block in list {
        match block {
            Block::Paragraph(content) => {
                out.push_str("<p>");
                inlines(content, out);
                out.push_str("</p>\n");
            }
            Block::Heading { level, content } => {
                let level = (first_heading + level.saturating_sub(1)).clamp(1, 6);
                out.push_str(&format!("<h{level}>"));
                inlines(content, out);
                out.push_str(&format!("</h{level}>\n"));
            }
            Block::Quote(inner) => {
                out.push_str("<blockquote>\n");
                blocks(inner, first_heading, out);
                out.push_str("</blockquote>\n");
            }
            Block::SceneBreak => out.push_str("<hr class=\"scene-break\">\n"),
        }
    }
}

fn inlines(list: &[Inline], out: &mut String) {
    for inline in list {
        let (open, close, inner) = match inline {
            Inline::Text(text) => {
                escape(text, out);
                continue;
            }
            Inline::LineBreak => {
                out.push_str("<br>");
                continue;
            }
            Inline::Emphasis(inner) => ("<em>", "</em>", inner),
            Inline::Strong(inner) => ("<strong>", "</strong>", inner),
            Inline::Strike(inner) => ("<s>", "</s>", inner),
            Inline::Underline(inner) => ("<u>", "</u>", inner),
        };
        out.push_str(open);
        inlines(inner, out);
        out.push_str(close);
    }
}

/// Plain text (a summary, work notes) as paragraphs: blank lines separate paragraphs, single
/// line breaks are kept.
pub fn plain_text(text: &str) -> String {
    let mut out = String::with_capacity(text.len() + 32);
    let normalised = text.replace("\r\n", "\n");
    for paragraph in normalised.split("\n\n").map(str::trim).filter(|p| !p.is_empty()) {
        out.push_str("<p>");
        for (i, line) in paragraph.lines().enumerate() {
            if i > 0 {
                out.push_str("<br>");
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
    fn control_characters_are_dropped() {
        let mut out = String::new();
        escape("a\u{0}b\u{7}c\td", &mut out);
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
