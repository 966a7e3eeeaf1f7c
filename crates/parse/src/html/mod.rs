//! HTML pages: the DOM-to-lines reader and the per-layout extractors.
//!
//! `scraper` (html5ever) builds the DOM the way browsers do, so broken markup from every era
//! parses. Everything else here walks that DOM iteratively (`traverse`), never recursively, so
//! a page nested ten thousand elements deep costs time, not stack.

pub mod ao3;
pub mod efiction;
pub mod ffn;
mod generic;
pub mod other_sites;

use crate::lines::{InlineKind, Line, LineBuilder, LineStyle, clean_text};
use ego_tree::iter::Edge;
use scraper::{ElementRef, Html, Node, Selector};

/// Elements whose content is never story text.
const SKIPPED: &[&str] = &[
    "script", "style", "noscript", "template", "head", "title", "form", "select", "option", "button", "input", "textarea", "iframe",
    "object", "embed", "svg", "math", "canvas", "audio", "video", "map", "nav", "label",
];

const BLOCKS: &[&str] = &[
    "p",
    "div",
    "section",
    "article",
    "main",
    "aside",
    "header",
    "footer",
    "blockquote",
    "center",
    "li",
    "ul",
    "ol",
    "dl",
    "dt",
    "dd",
    "table",
    "tr",
    "td",
    "th",
    "tbody",
    "thead",
    "tfoot",
    "caption",
    "pre",
    "address",
    "figure",
    "figcaption",
    "details",
    "summary",
    "h1",
    "h2",
    "h3",
    "h4",
    "h5",
    "h6",
    "body",
    "html",
    "fieldset",
    "legend",
    "hgroup",
    "dialog",
];

fn inline_kind(name: &str) -> Option<InlineKind> {
    match name {
        "em" | "i" | "cite" | "var" | "dfn" => Some(InlineKind::Emphasis),
        "strong" | "b" => Some(InlineKind::Strong),
        "s" | "strike" | "del" => Some(InlineKind::Strike),
        "u" | "ins" => Some(InlineKind::Underline),
        _ => None,
    }
}

/// The lines of an element's content, in reading order.
pub fn element_lines(root: ElementRef<'_>) -> Vec<Line> {
    element_lines_skipping(root, &[])
}

/// Like [`element_lines`], leaving out descendants matched by `skip` (site chrome inside the
/// story container, such as AO3's "Chapter Text" landmark heading).
pub fn element_lines_skipping(root: ElementRef<'_>, skip: &[&Selector]) -> Vec<Line> {
    if skip.is_empty() {
        return element_lines_where(root, |_| false);
    }
    element_lines_where(root, |e| skip.iter().any(|s| s.matches(e)))
}

/// Like [`element_lines`], leaving out every descendant element for which `skip` holds.
pub fn element_lines_where(root: ElementRef<'_>, skip: impl Fn(&ElementRef<'_>) -> bool) -> Vec<Line> {
    let mut b = LineBuilder::default();
    let mut skip_depth = 0usize;
    let mut quote_depth = 0usize;
    for edge in root.traverse() {
        match edge {
            Edge::Open(node) => {
                if skip_depth > 0 {
                    if node.value().is_element() {
                        skip_depth += 1;
                    }
                    continue;
                }
                match node.value() {
                    Node::Text(t) => b.text(t),
                    Node::Element(el) => {
                        let name = el.name();
                        let skipped =
                            SKIPPED.contains(&name) || (node.id() != root.id() && ElementRef::wrap(node).is_some_and(|e| skip(&e)));
                        if skipped {
                            skip_depth = 1;
                            continue;
                        }
                        if let Some(kind) = inline_kind(name) {
                            b.open(kind);
                        } else if name == "br" {
                            b.line_break();
                        } else if name == "hr" {
                            b.rule();
                        } else if name == "img" {
                            if let Some(alt) = el.attr("alt").filter(|a| !a.trim().is_empty()) {
                                b.text(alt);
                            }
                        } else if BLOCKS.contains(&name) {
                            b.block_boundary();
                            if let Some(level) = heading_level(name) {
                                b.style = LineStyle::Heading(level);
                            }
                            if name == "blockquote" {
                                quote_depth += 1;
                                b.quote = true;
                            }
                        }
                    }
                    _ => {}
                }
            }
            Edge::Close(node) => {
                if skip_depth > 0 {
                    if node.value().is_element() {
                        skip_depth -= 1;
                    }
                    continue;
                }
                if let Node::Element(el) = node.value() {
                    let name = el.name();
                    if inline_kind(name).is_some() {
                        b.close();
                    } else if BLOCKS.contains(&name) {
                        b.block_boundary();
                        if name == "blockquote" {
                            quote_depth = quote_depth.saturating_sub(1);
                            b.quote = quote_depth > 0;
                        }
                    }
                }
            }
        }
    }
    b.finish()
}

fn heading_level(name: &str) -> Option<u8> {
    match name {
        "h1" => Some(1),
        "h2" => Some(2),
        "h3" => Some(3),
        "h4" => Some(4),
        "h5" => Some(5),
        "h6" => Some(6),
        _ => None,
    }
}

/// Whether an element's visible text (no script or style) has more than `limit` words;
/// stops reading as soon as it has.
pub fn more_words_than(el: ElementRef<'_>, limit: usize) -> bool {
    let mut words = 0;
    let mut skip_depth = 0usize;
    let mut in_word = false;
    for edge in el.traverse() {
        match edge {
            Edge::Open(node) => match node.value() {
                Node::Element(e) if skip_depth > 0 || matches!(e.name(), "script" | "style") => skip_depth += 1,
                Node::Element(_) => in_word = false,
                Node::Text(t) if skip_depth == 0 => {
                    for c in t.chars() {
                        if c.is_whitespace() {
                            in_word = false;
                        } else if !in_word {
                            in_word = true;
                            words += 1;
                            if words > limit {
                                return true;
                            }
                        }
                    }
                }
                _ => {}
            },
            Edge::Close(node) => {
                if skip_depth > 0 && node.value().is_element() {
                    skip_depth -= 1;
                }
            }
        }
    }
    false
}

/// An element's visible text, whitespace collapsed (no script or style content).
pub fn text_of(el: ElementRef<'_>) -> String {
    let mut out = String::new();
    let mut skip_depth = 0usize;
    for edge in el.traverse() {
        match edge {
            Edge::Open(node) => match node.value() {
                Node::Element(e) if skip_depth > 0 || matches!(e.name(), "script" | "style") => skip_depth += 1,
                Node::Element(e) if e.name() == "br" => out.push(' '),
                Node::Text(t) if skip_depth == 0 => out.push_str(t),
                _ => {}
            },
            Edge::Close(node) => {
                if skip_depth > 0 && node.value().is_element() {
                    skip_depth -= 1;
                }
            }
        }
    }
    clean_text(&out)
}

/// Text of an element keeping paragraph structure: blocks separated by a blank line, `<br>`
/// as a newline. Used for summaries and notes, which the work record holds as text.
pub fn paragraphs_of(el: ElementRef<'_>) -> String {
    let lines = element_lines(el);
    crate::story::lines_to_paragraph_text(&lines)
}

pub fn sel(css: &str) -> Selector {
    Selector::parse(css).expect("selectors in this crate are literals that parse")
}

pub fn first<'a>(doc: &'a Html, s: &Selector) -> Option<ElementRef<'a>> {
    doc.select(s).next()
}

pub fn first_in<'a>(el: ElementRef<'a>, s: &Selector) -> Option<ElementRef<'a>> {
    el.select(s).next()
}

/// Non-empty texts of all matches, in order.
pub fn texts_in(el: ElementRef<'_>, s: &Selector) -> Vec<String> {
    el.select(s).map(text_of).filter(|t| !t.is_empty()).collect()
}

pub fn meta_content(doc: &Html, name: &str) -> Option<String> {
    let s = sel(&format!("meta[name=\"{name}\"], meta[property=\"{name}\"]"));
    first(doc, &s).and_then(|m| m.value().attr("content")).map(clean_text).filter(|s| !s.is_empty())
}

pub fn page_title(doc: &Html) -> Option<String> {
    first(doc, &sel("title")).map(text_of).filter(|t| !t.is_empty())
}

/// Reads an HTML page: a known layout when one is recognised, the generic reader otherwise.
/// Returns the layout's name.
pub fn extract(text: &str, draft: &mut crate::draft::Draft) -> &'static str {
    let doc = Html::parse_document(text);
    if let Some(layout) = not_a_story(&doc, draft) {
        return layout;
    }
    if let Some(layout) = ao3::extract(&doc, draft) {
        return layout;
    }
    if ffn::is_ffn(&doc, text) {
        return ffn::extract(&doc, text, draft);
    }
    if efiction::is_efiction(&doc, text) {
        return efiction::extract(&doc, text, draft);
    }
    if other_sites::is_fanficauthors(&doc, text) {
        return other_sites::fanficauthors(&doc, draft);
    }
    if other_sites::is_animationsource(text) {
        return other_sites::animationsource(&doc, text, draft);
    }
    generic::extract(&doc, draft)
}

/// Pages a site shows instead of a story: a sign-in gate, an error, a "retry later". They
/// say so in a few words; a page of more than this many is read as a page that may hold a
/// story.
const MAX_GATE_WORDS: usize = 300;

const SIGN_IN_PHRASES: &[&str] = &[
    "only available to registered users",
    "you must be logged in",
    "you need to be logged in",
    "please log in to",
    "log in to read",
    "sign in to read",
    "sign in to continue",
    "members only",
    "restricted to members",
];

const ERROR_PHRASES: &[&str] = &[
    "retry later",
    "too many requests",
    "too many page requests",
    "error 404",
    "404 not found",
    "page not found",
    "the page you were looking for doesn't exist",
    "story not found",
    "chapter not found",
    "work not found",
    "has been deleted",
    "error 500",
    "internal server error",
    "502 bad gateway",
    "503 service",
    "service unavailable",
    "temporarily unavailable",
    "down for maintenance",
    "under maintenance",
    "403 forbidden",
    "access denied",
    "just a moment...",
    "checking your browser",
];

/// A sign-in gate (an interstitial) or an error page (not a story), from a short page's
/// title, headings and text.
fn not_a_story(doc: &Html, draft: &mut crate::draft::Draft) -> Option<&'static str> {
    let body = first(doc, &sel("body"))?;
    // Most pages are stories: stop counting at the bound rather than build their text.
    if more_words_than(body, MAX_GATE_WORDS) {
        return None;
    }
    let body = text_of(body);
    let title = page_title(doc).unwrap_or_default();
    let said = format!("{title} {body}").to_lowercase();
    // Error words are common in prose too ("access denied", "has been deleted"): they count
    // in the title and headings, and in the text only of a page of a few lines.
    let announced = if body.split_whitespace().count() <= 60 {
        said.clone()
    } else {
        let headings: Vec<String> = doc.select(&sel("h1, h2, h3")).map(text_of).collect();
        format!("{title} {}", headings.join(" ")).to_lowercase()
    };
    if let Some(p) = SIGN_IN_PHRASES.iter().find(|p| said.contains(*p)) {
        draft.work.kind = ficarchive_model::PageKind::Interstitial;
        draft.work.diagnostics.push(format!("a sign-in page (\u{201C}{p}\u{201D}): the story is behind it"));
        return Some("sign-in-page");
    }
    if let Some(p) = ERROR_PHRASES.iter().find(|p| announced.contains(*p)) {
        draft.work.kind = ficarchive_model::PageKind::Unknown;
        draft.work.diagnostics.push(format!("an error page (\u{201C}{p}\u{201D}), not a story"));
        return Some("error-page");
    }
    None
}
