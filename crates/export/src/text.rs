//! Plain text: UTF-8, wrapped at [`WIDTH`] columns (by display width, so Chinese and Japanese
//! lines are as wide as English ones), a metadata header, scene breaks as `* * *`.

use crate::Book;
use ficarchive_model::document::{Block, Document, inlines_text};

pub const WIDTH: usize = 72;

/// The book as text.
pub fn write(book: &Book) -> String {
    let mut out = String::new();
    wrap_into(&book.card.title, "", &mut out);
    wrap_into(&format!("by {}", book.byline()), "", &mut out);
    out.push('\n');
    for (label, value) in book.labelled_fields() {
        let indent = " ".repeat(label.chars().count() + 2);
        let wrapped = textwrap::fill(&value, textwrap::Options::new(WIDTH).initial_indent("").subsequent_indent(&indent).break_words(true));
        out.push_str(&format!("{label}: {}\n", wrapped.trim_start()));
    }
    for (label, text) in [("Summary", &book.card.summary), ("Notes", &book.notes)] {
        if let Some(text) = text.as_deref().filter(|t| !t.trim().is_empty()) {
            out.push_str(&format!("\n{label}:\n\n"));
            plain_paragraphs(text, &mut out);
        }
    }
    out.push_str(&format!("\nPublished by {}.\n", book.publisher));
    let single = book.chapters.len() <= 1;
    for (entry, chapter) in &book.chapters {
        out.push('\n');
        out.push_str(&"=".repeat(WIDTH));
        out.push_str("\n\n");
        if !(single && entry.title.is_none()) {
            wrap_into(&entry.label(), "", &mut out);
            out.push('\n');
        }
        if !chapter.notes.is_empty() {
            out.push_str("Chapter Notes:\n\n");
            document(&chapter.notes, &mut out);
            out.push_str(&"-".repeat(WIDTH));
            out.push_str("\n\n");
        }
        if chapter.has_text() {
            document(&chapter.body, &mut out);
        } else {
            out.push_str("(This chapter has no text.)\n\n");
        }
        if !chapter.end_notes.is_empty() {
            out.push_str(&"-".repeat(WIDTH));
            out.push_str("\n\nChapter End Notes:\n\n");
            document(&chapter.end_notes, &mut out);
        }
    }
    if let Some(notes) = book.end_notes.as_deref().filter(|t| !t.trim().is_empty()) {
        out.push_str(&"=".repeat(WIDTH));
        out.push_str("\n\nEnd Notes:\n\n");
        plain_paragraphs(notes, &mut out);
    }
    while out.ends_with("\n\n") {
        out.pop();
    }
    out
}

/// Wraps one paragraph (its own line breaks kept) and ends it with a newline.
fn wrap_into(text: &str, indent: &str, out: &mut String) {
    let options = textwrap::Options::new(WIDTH).initial_indent(indent).subsequent_indent(indent).break_words(true);
    for line in text.split('\n') {
        if line.trim().is_empty() {
            continue;
        }
        out.push_str(&textwrap::fill(line.trim(), &options));
        out.push('\n');
    }
}

/// Paragraphs of plain text (blank-line separated), wrapped.
fn plain_paragraphs(text: &str, out: &mut String) {
    for paragraph in text.replace("\r\n", "\n").split("\n\n").map(str::trim).filter(|p| !p.is_empty()) {
        wrap_into(paragraph, "", out);
        out.push('\n');
    }
}

fn document(doc: &Document, out: &mut String) {
    blocks(&doc.blocks, "", out);
}

fn blocks(list: &[Block], indent: &str, out: &mut String) {
    for block in list {
        match block {
            Block::Paragraph(content) | Block::Heading { content, .. } => {
                let text = inlines_text(content);
                if text.trim().is_empty() {
                    continue;
                }
                wrap_into(&text, indent, out);
                out.push('\n');
            }
            Block::Quote(inner) => blocks(inner, &format!("{indent}    "), out),
            Block::SceneBreak => {
                let pad = (WIDTH - 5) / 2;
                out.push_str(&format!("{}* * *\n\n", " ".repeat(pad)));
            }
        }
    }
}
