//! One self-contained HTML file: metadata, a table of contents, every chapter. No script, no
//! remote resources, styles inline, so the file reads the same offline in ten years.

use crate::render::{self, Markup, escaped};
use crate::{Book, language};

const STYLE: &str = "body { max-width: 40em; margin: 2em auto; padding: 0 1em; font-family: Georgia, serif; line-height: 1.6; }\n\
h1, h2 { text-align: center; }\n\
.byline { text-align: center; font-size: 1.2em; }\n\
dl.meta { border: 1px solid #999; padding: 0.5em 1em; }\n\
dl.meta dt { font-weight: bold; margin-top: 0.3em; }\n\
dl.meta dd { margin: 0 0 0 1.5em; }\n\
hr.scene-break { border: none; text-align: center; margin: 1.5em 0; }\n\
hr.scene-break::after { content: \"* * *\"; }\n\
.notes, .end-notes { border-top: 1px solid #999; border-bottom: 1px solid #999; margin: 1em 0; }\n\
.empty { font-style: italic; text-align: center; }\n\
@media (prefers-color-scheme: dark) { body { background: #1b1b1b; color: #e6e6e6; } a { color: #9cc3ff; } }\n";

/// The book as one HTML file.
pub fn write(book: &Book) -> String {
    let lang = language::tag(book.card.language.as_deref());
    let dir = if language::is_right_to_left(lang) { " dir=\"rtl\"" } else { "" };
    let byline = book.byline();
    let mut out = format!(
        "<!DOCTYPE html>\n<html lang=\"{lang}\"{dir}>\n<head>\n<meta charset=\"utf-8\">\n\
         <meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\n\
         <meta name=\"author\" content=\"{}\">\n<title>{}</title>\n<style>\n{STYLE}</style>\n</head>\n<body>\n",
        escaped(&byline),
        escaped(&format!("{} by {byline}", book.card.title)),
    );
    out.push_str(&format!(
        "<header>\n<h1>{}</h1>\n<p class=\"byline\">by {}</p>\n<dl class=\"meta\">\n",
        escaped(&book.card.title),
        escaped(&byline)
    ));
    for (label, value) in book.labelled_fields() {
        out.push_str(&format!("<dt>{label}</dt>\n<dd>{}</dd>\n", escaped(&value)));
    }
    out.push_str("</dl>\n");
    if let Some(summary) = book.card.summary.as_deref().filter(|s| !s.trim().is_empty()) {
        out.push_str("<h2>Summary</h2>\n");
        out.push_str(&render::plain_text(summary));
    }
    if let Some(notes) = book.notes.as_deref().filter(|s| !s.trim().is_empty()) {
        out.push_str("<h2>Notes</h2>\n");
        out.push_str(&render::plain_text(notes));
    }
    out.push_str(&format!("<p>Published by {}.</p>\n</header>\n", escaped(&book.publisher)));
    let single = book.chapters.len() <= 1;
    if !single {
        out.push_str("<nav aria-labelledby=\"contents\">\n<h2 id=\"contents\">Contents</h2>\n<ol>\n");
        for (entry, _) in &book.chapters {
            out.push_str(&format!("<li><a href=\"#chapter-{}\">{}</a></li>\n", entry.place, escaped(&entry.label())));
        }
        out.push_str("</ol>\n</nav>\n");
    }
    out.push_str("<main>\n");
    for (entry, chapter) in &book.chapters {
        out.push_str(&format!("<section id=\"chapter-{}\">\n", entry.place));
        if !(single && entry.title.is_none()) {
            out.push_str(&format!("<h2>{}</h2>\n", escaped(&entry.label())));
        }
        if !chapter.notes.is_empty() {
            out.push_str("<div class=\"notes\">\n<p><strong>Chapter Notes:</strong></p>\n");
            out.push_str(&render::document(&chapter.notes, 4));
            out.push_str("</div>\n");
        }
        if chapter.has_text() {
            out.push_str(&render::document(&chapter.body, 3));
        } else {
            out.push_str("<p class=\"empty\">This chapter has no text.</p>\n");
        }
        if !chapter.end_notes.is_empty() {
            out.push_str("<div class=\"end-notes\">\n<p><strong>Chapter End Notes:</strong></p>\n");
            out.push_str(&render::document(&chapter.end_notes, 4));
            out.push_str("</div>\n");
        }
        out.push_str("</section>\n");
    }
    out.push_str("</main>\n");
    if let Some(notes) = book.end_notes.as_deref().filter(|s| !s.trim().is_empty()) {
        out.push_str("<footer>\n<h2>End Notes</h2>\n");
        out.push_str(&render::plain_text_markup(notes, Markup::Html));
        out.push_str("</footer>\n");
    }
    out.push_str("</body>\n</html>\n");
    out
}
