//! eFiction archives (`viewstory.php`): the story information block of labelled fields, the
//! chapter list, and, on chapter pages, the chapter text in `#story`.
//!
//! eFiction's `Categories` are usually fandoms; but many eFiction sites are single-fandom
//! archives named after their fandom ("Harry Potter FanFic Archive"), where categories are
//! genres. A site name of that shape gives the fandom, and categories then become tags.
//! `Completed:` is eFiction's own field and outranks a site-defined `Status` class.

use super::{element_lines, first, sel, text_of};
use crate::draft::{Authority, Draft};
use crate::header::{self, Key};
use crate::story::{self, ChapterParts};
use regex::Regex;
use scraper::{ElementRef, Html};
use std::sync::LazyLock;

static SID: LazyLock<Regex> = LazyLock::new(|| Regex::new(r"viewstory\.php\?sid=(\d+)").expect("literal regex"));
static SITE_FANDOM: LazyLock<Regex> =
    LazyLock::new(|| Regex::new(r"(?i)^(?:the\s+)?(.+?)\s+(?:fan\s?fic(?:tion)?|fic|story|stories)\s+archive\b").expect("literal regex"));
static CHAPTER_ENTRY: LazyLock<Regex> = LazyLock::new(|| Regex::new(r"^(\d+)\.\s*(.+)$").expect("literal regex"));

pub fn is_efiction(doc: &Html, text: &str) -> bool {
    text.contains("viewstory.php")
        && (first(doc, &sel("#pagetitle")).is_some() || text.contains("eFiction") || first(doc, &sel("span.label")).is_some())
}

pub fn extract(doc: &Html, raw: &str, draft: &mut Draft) -> &'static str {
    let site = first(doc, &sel("#sitename, #header .sitename")).or_else(|| first(doc, &sel("title"))).map(text_of).unwrap_or_default();
    if let Some(pt) = first(doc, &sel("#pagetitle")) {
        if let Some(a) = pt.select(&sel("a[href*='viewstory.php']")).next() {
            draft.set_title(&text_of(a));
        }
        let authors: Vec<String> = pt.select(&sel("a[href*='viewuser.php']")).map(text_of).collect();
        if !authors.is_empty() {
            draft.work.authors = authors;
        }
    }
    let site_fandom = SITE_FANDOM.captures(&site).map(|c| c[1].trim().to_string());

    // The labelled fields: the elements holding `span.label`s, each read as header lines.
    let mut containers: Vec<ElementRef<'_>> = Vec::new();
    for label in doc.select(&sel("span.label")) {
        if let Some(p) = label.parent().and_then(ElementRef::wrap)
            && !containers.iter().any(|c| c.id() == p.id())
        {
            containers.push(p);
        }
    }
    let mut fields = Vec::new();
    for block in containers {
        let lines = element_lines(block);
        let mut i = 0;
        while i < lines.len() {
            if let Some(h) = header::find_header_block(&lines[i..]) {
                fields.extend(h.fields);
                i += h.end.max(1);
            } else {
                i += 1;
            }
        }
    }
    for f in &fields {
        match f.key {
            Some(Key::Category) if site_fandom.is_none() => {
                draft.work.fandoms = crate::draft::split_list(&f.value);
            }
            Some(Key::Category) => {
                let tags = crate::draft::split_list(&f.value.replace('>', ","));
                for t in tags {
                    if !draft.work.freeform_tags.contains(&t) {
                        draft.work.freeform_tags.push(t);
                    }
                }
            }
            Some(Key::Completed) => {
                if let Some(done) = crate::draft::status_value(&f.value) {
                    draft.state_complete(Authority::Site, done, &format!("Completed: {}", f.value));
                }
            }
            Some(Key::Summary) => draft.set_summary(&f.value),
            _ => draft.apply_field(f),
        }
    }
    if draft.work.fandoms.is_empty()
        && let Some(f) = site_fandom
    {
        draft.work.fandoms = vec![f.clone()];
        draft.work.diagnostics.push(format!("fandom taken from the archive's name \u{201C}{site}\u{201D}"));
    }
    if let Some(sid) = SID.captures(raw) {
        draft.work.site_id = Some(format!("efiction:{}:{}", site.trim(), &sid[1]));
    }
    // Story notes.
    for block in doc.select(&sel("div.block")) {
        let title = first_child_text(block, "div.title");
        if title.eq_ignore_ascii_case("Story Notes")
            && let Some(c) = block.select(&sel("div.content")).next()
        {
            let notes = super::paragraphs_of(c);
            draft.add_note(&notes);
        }
    }

    // The chapter list: "N. <a>Title</a>" entries.
    let mut chapters: Vec<ChapterParts> = Vec::new();
    for a in doc.select(&sel("a[href*='viewstory.php'][href*='chapter=']")) {
        let Some(parent) = a.parent().and_then(ElementRef::wrap) else {
            continue;
        };
        let entry = text_of(parent);
        let Some(c) = CHAPTER_ENTRY.captures(&entry) else {
            continue;
        };
        let Ok(n) = c[1].parse::<u32>() else { continue };
        if chapters.iter().any(|ch| ch.number == Some(n)) {
            continue;
        }
        chapters.push(ChapterParts { number: Some(n), title: Some(text_of(a)), ..ChapterParts::default() });
    }
    // A chapter page: the text in #story.
    if let Some(st) = first(doc, &sel("#story")) {
        let current = first(doc, &sel("select option[selected]"))
            .and_then(|o| CHAPTER_ENTRY.captures(&text_of(o)).and_then(|c| c[1].parse().ok()))
            .unwrap_or(1);
        let parts = story::parse(element_lines(st), &story::Options::default());
        let ch = draft.take_story_as_chapter(parts, current, None);
        match chapters.iter_mut().find(|c| c.number == Some(current)) {
            Some(listed) => {
                listed.body = ch.body;
                listed.notes = ch.notes;
                listed.end_notes = ch.end_notes;
            }
            None => chapters.push(ChapterParts {
                number: Some(current),
                body: ch.body,
                notes: ch.notes,
                end_notes: ch.end_notes,
                title: None,
                summary: None,
            }),
        }
    }
    for c in chapters {
        draft.push_chapter(c);
    }
    "efiction"
}

fn first_child_text(el: ElementRef<'_>, css: &str) -> String {
    el.select(&sel(css)).next().map(text_of).unwrap_or_default()
}
