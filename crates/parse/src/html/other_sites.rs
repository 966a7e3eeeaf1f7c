//! Smaller archives with a fixed layout: fanficauthors.net story indexes and AnimationSource
//! fanfic pages. Both are mostly labelled fields; what is special is where the title, the
//! fandom and the chapter list sit.

use super::{first, page_title, paragraphs_of, sel, text_of};
use crate::draft::{Authority, Draft};
use crate::story::ChapterParts;
use regex::Regex;
use scraper::Html;
use std::sync::LazyLock;

static FFA_CHAPTER: LazyLock<Regex> = LazyLock::new(|| Regex::new(r"^(\d+)\s*-\s*").expect("literal regex"));
static RETURN_TO: LazyLock<Regex> = LazyLock::new(|| Regex::new(r"Return to (.+?) Source\b").expect("literal regex"));

pub fn is_fanficauthors(doc: &Html, text: &str) -> bool {
    text.contains("fanficauthors.net") && first(doc, &sel("div.page-header h2")).is_some()
}

/// fanficauthors.net: `Status: Completed - Rating: Teens - Chapters: 12 - Word count: …`,
/// a blockquote summary, and chapter entries `N - <a>Story :: N - Title</a>`.
pub fn fanficauthors(doc: &Html, draft: &mut Draft) -> &'static str {
    if let Some(h) = first(doc, &sel("div.page-header h2")) {
        draft.set_title(&text_of(h));
    }
    if let Some(h) = first(doc, &sel("div.page-header h3")) {
        let by = text_of(h);
        draft.add_authors(by.strip_prefix("By ").unwrap_or(&by));
    }
    if let Some(well) = first(doc, &sel("div.well")) {
        for p in well.select(&sel("p")) {
            let text = text_of(p);
            if !text.contains("Status:") && !text.contains("Rating:") {
                continue;
            }
            for seg in text.split(" - ") {
                if let Some(ll) = crate::header::label_line(seg.trim()) {
                    for f in crate::header::split_fields(ll) {
                        if f.key == Some(crate::header::Key::Status) {
                            if let Some(done) = crate::draft::status_value(&f.value) {
                                draft.state_complete(Authority::Site, done, &format!("Status: {}", f.value));
                            }
                        } else {
                            draft.apply_field(&f);
                        }
                    }
                }
            }
        }
        if let Some(q) = well.select(&sel("blockquote")).next() {
            draft.set_summary(&paragraphs_of(q));
        }
    }
    // Chapter entries: a link whose text is "Story :: N - Title".
    for p in doc.select(&sel("div.col-md-12 > p")) {
        let Some(a) = p.select(&sel("a")).next() else {
            continue;
        };
        let link = text_of(a);
        let Some((_, title)) = link.split_once("::") else {
            continue;
        };
        let entry = text_of(p);
        let Some(c) = FFA_CHAPTER.captures(&entry) else {
            continue;
        };
        let Ok(n) = c[1].parse::<u32>() else { continue };
        draft.push_chapter(ChapterParts { number: Some(n), title: Some(title.trim().to_string()), ..ChapterParts::default() });
    }
    "fanficauthors-index"
}

pub fn is_animationsource(text: &str) -> bool {
    text.contains("animationsource.org")
}

/// AnimationSource: `Author : NAME`, `Rating : G (Everyone)`, `Description : …` fields; the
/// title in `<title>Fanfic : TITLE</title>`; the fandom only in the site section's name
/// ("Return to Balto Source").
pub fn animationsource(doc: &Html, raw: &str, draft: &mut Draft) -> &'static str {
    if let Some(t) = page_title(doc) {
        draft.set_title(t.strip_prefix("Fanfic :").unwrap_or(&t).trim());
    }
    if let Some(c) = RETURN_TO.captures(raw) {
        draft.work.fandoms = vec![c[1].trim().to_string()];
    }
    let fields_box = doc.select(&sel("div")).rfind(|d| {
        let t = text_of(*d);
        t.contains("Author :") && t.contains("Rating :")
    });
    if let Some(b) = fields_box {
        let lines = super::element_lines(b);
        let mut i = 0;
        while i < lines.len() {
            if let Some(h) = crate::header::find_header_block(&lines[i..]) {
                for f in &h.fields {
                    draft.apply_field(f);
                }
                i += h.end.max(1);
            } else {
                i += 1;
            }
        }
    }
    // The character list is a table of links to the site's character pages.
    let mut characters: Vec<String> = Vec::new();
    for a in doc.select(&sel("a[href*='/chars/']")) {
        let name = text_of(a);
        if !name.is_empty() && !characters.contains(&name) {
            characters.push(name);
        }
    }
    if !characters.is_empty() {
        draft.work.characters = characters;
    }
    "animationsource"
}
