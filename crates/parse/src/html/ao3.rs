//! Archive of Our Own pages: work and chapter pages, the entire-work view, "Download → HTML"
//! files, and the pages that are not stories (adult-content interstitial, series index,
//! work listings, podfic without prose).

use super::{element_lines_skipping, first, first_in, paragraphs_of, sel, text_of, texts_in};
use crate::draft::{Authority, Draft, parse_count};
use crate::story::{self, ChapterParts};
use ficarchive_model::{Document, PageKind};
use regex::Regex;
use scraper::{ElementRef, Html};
use std::sync::LazyLock;

static WORK_ID: LazyLock<Regex> = LazyLock::new(|| Regex::new(r"archiveofourown\.org/works/(\d+)|^/works/(\d+)").expect("literal regex"));
static PART_OF: LazyLock<Regex> = LazyLock::new(|| Regex::new(r"(?i)part\s+(\d+)\s+of").expect("literal regex"));
static STAT: LazyLock<Regex> =
    LazyLock::new(|| Regex::new(r"(?i)(Published|Updated|Completed|Words|Chapters):\s*([\d,./?\-]+)").expect("literal regex"));
static OPTION_NUMBER: LazyLock<Regex> = LazyLock::new(|| Regex::new(r"^(\d+)\.\s*(.*)$").expect("literal regex"));

/// Reads an AO3 page, or returns `None` when the page is not one.
pub fn extract(doc: &Html, draft: &mut Draft) -> Option<&'static str> {
    if first(doc, &sel("dl.work.meta")).is_some() {
        work_page(doc, draft);
        return Some(if first(doc, &sel("#chapters > div.chapter")).is_some() && first(doc, &sel("select#selected_id")).is_none() {
            "ao3-entire-work"
        } else if first(doc, &sel("select#selected_id")).is_some() {
            "ao3-chapter"
        } else {
            "ao3-work"
        });
    }
    if let Some(preface) = first(doc, &sel("div#preface"))
        && first_in(preface, &sel("dl.tags")).is_some()
    {
        download(doc, preface, draft);
        return Some("ao3-download");
    }
    let ao3 = first(doc, &sel("#header h1.heading a, a[href='/'] img[alt='Archive of Our Own'], img.logo[alt='Archive of Our Own']"))
        .is_some()
        || super::page_title(doc).is_some_and(|t| t.contains("Archive of Our Own"));
    if !ao3 {
        return None;
    }
    if first(doc, &sel("p.caution, div.caution")).is_some()
        || super::text_of(doc.root_element()).contains("This work could have adult content")
    {
        draft.work.kind = PageKind::Interstitial;
        if let Some(blurb) = first(doc, &sel("li.blurb, li.work.blurb")) {
            blurb_metadata(blurb, draft);
        }
        draft.work.diagnostics.push("an adult-content warning page: the story text is behind it".into());
        return Some("ao3-interstitial");
    }
    if let Some(meta) = first(doc, &sel("dl.series.meta")) {
        series_page(doc, meta, draft);
        return Some("ao3-series-index");
    }
    if let Some(index) = first(doc, &sel("ol.chapter.index")) {
        chapter_index(doc, index, draft);
        return Some("ao3-chapter-index");
    }
    if first(doc, &sel("ol.work.index, ol.index.group")).is_some() {
        draft.work.kind = PageKind::Listing;
        let works = doc.select(&sel("ol.index > li.blurb")).count();
        draft.work.diagnostics.push(format!("a list of {works} works, not a story"));
        return Some("ao3-listing");
    }
    None
}

/// A series page (`/series/N`): its name, creators, dates, word count, completion,
/// description and notes, and the fandoms of the works it lists. Not a story.
fn series_page(doc: &Html, meta: ElementRef<'_>, draft: &mut Draft) {
    draft.work.kind = PageKind::SeriesIndex;
    if let Some(h) = first(doc, &sel("h2.heading")) {
        draft.set_title(&text_of(h));
    }
    // `dt` and `dd` pairs, the stats' inner list included: `Creator:` (links, or plain text
    // for an anonymous series), `Series Begun:`, `Words:`, `Complete:`, `Description:`.
    let dts: Vec<ElementRef<'_>> = meta.select(&sel("dt")).collect();
    for dt in dts {
        let Some(dd) = dt.next_siblings().filter_map(ElementRef::wrap).next().filter(|e| e.value().name() == "dd") else { continue };
        let label = text_of(dt).trim_end_matches(':').to_lowercase();
        match label.as_str() {
            "creator" | "creators" => {
                let linked = texts_in(dd, &sel("a[rel=author]"));
                let names = if linked.is_empty() { crate::draft::split_list(&text_of(dd)) } else { linked };
                for name in names {
                    if !draft.work.authors.contains(&name) {
                        draft.work.authors.push(name);
                    }
                }
            }
            "series begun" => draft.work.published = crate::dates::parse_date(&text_of(dd)),
            "series updated" => draft.work.updated = crate::dates::parse_date(&text_of(dd)),
            "words" => draft.work.words_stated = parse_count(&text_of(dd)),
            "complete" => {
                if let Some(done) = crate::draft::status_value(&text_of(dd)) {
                    draft.state_complete(Authority::Site, done, &format!("Complete: {}", text_of(dd)));
                }
            }
            "description" => draft.set_summary(&paragraphs_of(dd)),
            "notes" => draft.add_note(&paragraphs_of(dd)),
            _ => {}
        }
    }
    let blurbs: Vec<ElementRef<'_>> = doc.select(&sel("ul.series li.work.blurb, ul.index li.work")).collect();
    for blurb in &blurbs {
        for fandom in texts_in(*blurb, &sel("h5.fandoms a.tag")) {
            if !draft.work.fandoms.contains(&fandom) {
                draft.work.fandoms.push(fandom);
            }
        }
    }
    draft.work.diagnostics.push(format!("a series index page listing {} works, not a story", blurbs.len()));
}

/// A work's chapter index (`/works/N/navigate`): `Chapter Index for TITLE by AUTHOR` and the
/// chapters with their posting dates, no text. A text-less work whose chapter titles join
/// the chapter pages of the same work.
fn chapter_index(doc: &Html, index: ElementRef<'_>, draft: &mut Draft) {
    if let Some(h) = first(doc, &sel("h2.heading")) {
        if let Some(a) = first_in(h, &sel("a[href*='/works/']")) {
            draft.set_title(&text_of(a));
            if let Some(c) = a.value().attr("href").and_then(|h| WORK_ID.captures(h)) {
                draft.work.site_id = c.get(1).or(c.get(2)).map(|m| format!("ao3:{}", m.as_str()));
            }
        }
        draft.work.authors = texts_in(h, &sel("a[rel=author]"));
    }
    let mut dates = Vec::new();
    for li in index.select(&sel("li")) {
        let Some(a) = first_in(li, &sel("a")) else { continue };
        let text = text_of(a);
        let Some(c) = OPTION_NUMBER.captures(&text) else { continue };
        let Ok(number) = c[1].parse::<u32>() else { continue };
        let title = c[2].trim().to_string();
        if let Some(d) = first_in(li, &sel("span.datetime")).and_then(|d| crate::dates::parse_date(&text_of(d))) {
            dates.push(d);
        }
        draft.push_chapter(ChapterParts { number: Some(number), title: (!title.is_empty()).then_some(title), ..ChapterParts::default() });
    }
    draft.work.published = dates.iter().min().cloned();
    draft.work.updated = dates.iter().max().cloned().filter(|d| Some(d) != draft.work.published.as_ref());
    draft.work.diagnostics.push("a chapter index: it lists the chapters and their dates, not their text".into());
}

fn tags(meta: ElementRef<'_>, class: &str) -> Vec<String> {
    texts_in(meta, &sel(&format!("dd.{class} a.tag, dd.{class}.tags a"))).into_iter().fold(Vec::new(), |mut acc, t| {
        if !acc.contains(&t) {
            acc.push(t);
        }
        acc
    })
}

fn blurb_metadata(blurb: ElementRef<'_>, draft: &mut Draft) {
    if let Some(a) = first_in(blurb, &sel("h4.heading a")) {
        draft.set_title(&text_of(a));
    }
    draft.work.authors = texts_in(blurb, &sel("a[rel=author]"));
    draft.work.fandoms = texts_in(blurb, &sel("h5.fandoms a.tag"));
    if let Some(s) = first_in(blurb, &sel("blockquote.userstuff.summary")) {
        draft.set_summary(&paragraphs_of(s));
    }
}

fn work_page(doc: &Html, draft: &mut Draft) {
    let meta = first(doc, &sel("dl.work.meta")).expect("checked by caller");
    if let Some(r) = tags(meta, "rating").first() {
        draft.set_rating(r);
    }
    draft.work.warnings = tags(meta, "warning");
    draft.work.categories = tags(meta, "category");
    draft.work.fandoms = tags(meta, "fandom");
    draft.work.relationships = tags(meta, "relationship");
    draft.work.characters = tags(meta, "character");
    draft.work.freeform_tags = tags(meta, "freeform");
    if let Some(l) = first_in(meta, &sel("dd.language")) {
        let l = text_of(l);
        if !l.is_empty() {
            draft.work.language = Some(l);
        }
    }
    for s in meta.select(&sel("dd.series span.position")) {
        let text = text_of(s);
        let part = PART_OF.captures(&text).and_then(|c| c[1].parse().ok());
        if let Some(a) = first_in(s, &sel("a")) {
            draft.add_series(&text_of(a), part);
        }
    }
    if let Some(stats) = first_in(meta, &sel("dd.stats")) {
        read_stats(&text_of(stats), draft);
    }

    let preface = first(doc, &sel("div.preface.group"));
    if let Some(p) = preface {
        if let Some(t) = first_in(p, &sel("h2.title")) {
            draft.set_title(&text_of(t));
        }
        let authors = texts_in(p, &sel("h3.byline a[rel=author]"));
        if authors.is_empty() {
            if let Some(b) = first_in(p, &sel("h3.byline")) {
                draft.add_authors(&text_of(b));
            }
        } else {
            draft.work.authors = authors;
        }
        if let Some(s) = first_in(p, &sel("div.summary blockquote.userstuff")) {
            let summary = paragraphs_of(s);
            draft.set_summary(&summary);
        }
        if let Some(n) = first_in(p, &sel("div.notes blockquote.userstuff")) {
            draft.add_note(&paragraphs_of(n));
        }
    }
    if let Some(n) = first(doc, &sel("#work_endnotes blockquote.userstuff")) {
        draft.work.end_notes = Some(paragraphs_of(n));
    }
    draft.work.site_id = work_id(doc).map(|id| format!("ao3:{id}"));

    // The chapter index (chapter pages), then the chapters whose text the page holds.
    let mut chapters: Vec<ChapterParts> = doc
        .select(&sel("select#selected_id option"))
        .filter_map(|o| {
            let text = text_of(o);
            let c = OPTION_NUMBER.captures(&text)?;
            let number: u32 = c[1].parse().ok()?;
            let title = c[2].trim().to_string();
            Some(ChapterParts { number: Some(number), title: (!title.is_empty()).then_some(title), ..ChapterParts::default() })
        })
        .collect();
    let selected: Option<u32> =
        first(doc, &sel("select#selected_id option[selected]")).and_then(|o| o.value().attr("value")).and_then(|_| {
            let text = text_of(first(doc, &sel("select#selected_id option[selected]"))?);
            OPTION_NUMBER.captures(&text)?[1].parse().ok()
        });
    let chapter_divs: Vec<ElementRef<'_>> = doc.select(&sel("#chapters > div.chapter")).collect();
    let texts: Vec<ChapterParts> = if chapter_divs.is_empty() {
        // A one-chapter work: the text sits directly in #chapters.
        first(doc, &sel("#chapters div.userstuff")).map(|u| vec![chapter_from(u, None, selected.or(Some(1)))]).unwrap_or_default()
    } else {
        chapter_divs
            .iter()
            .enumerate()
            .filter_map(|(i, div)| {
                let number = div
                    .value()
                    .id()
                    .and_then(|id| id.strip_prefix("chapter-"))
                    .and_then(|n| n.parse().ok())
                    .or(if chapter_divs.len() == 1 { selected } else { None })
                    .unwrap_or(i as u32 + 1);
                let body = first_in(*div, &sel("div.userstuff"))?;
                Some(chapter_from(body, Some(*div), Some(number)))
            })
            .collect()
    };
    for t in texts {
        match chapters.iter_mut().find(|c| c.number == t.number) {
            Some(listed) => {
                let listed_title = listed.title.take();
                *listed = t;
                if listed.title.is_none() {
                    listed.title = listed_title;
                }
            }
            None => chapters.push(t),
        }
    }
    chapters.sort_by_key(|c| c.number);
    if let Some(last) = chapters.iter().rev().find(|c| !c.body.is_empty()) {
        draft.completion.end_marker = story::end_marker_of_document(&last.body);
    }
    let podfic = draft.work.freeform_tags.iter().chain(&draft.work.categories).any(|t| t.to_lowercase().contains("podfic"))
        && first(doc, &sel("#chapters audio, #chapters embed, #chapters iframe, #chapters object")).is_some();
    let words: u64 = chapters.iter().map(|c| ficarchive_model::words::count(&c.body.plain_text())).sum();
    if podfic && words < 100 {
        draft.work.kind = PageKind::Podfic;
        draft.work.diagnostics.push("a podfic: an audio work with no prose".into());
    }
    // A later chapter's page does not show the work's summary; the one chapter's own
    // summary is the nearest the page has.
    if draft.work.summary.is_none()
        && let [only] = chapters.iter().filter(|c| !c.body.is_empty()).collect::<Vec<_>>().as_slice()
        && let Some(summary) = &only.summary
    {
        draft.set_summary(summary);
        draft.work.diagnostics.push("the page does not show the work's summary; its chapter's summary is used".into());
    }
    for c in chapters {
        draft.push_chapter(c);
    }
}

fn work_id(doc: &Html) -> Option<String> {
    if let Some(v) = first(doc, &sel("#kudo_commentable_id")).and_then(|e| e.value().attr("value")) {
        return Some(v.to_string());
    }
    for s in ["link[rel=canonical]", "li.share a", "ul.work.navigation a[href*='/works/']", "p.message a[href*='/works/']"] {
        for e in doc.select(&sel(s)) {
            if let Some(c) = e.value().attr("href").and_then(|h| WORK_ID.captures(h)) {
                return c.get(1).or(c.get(2)).map(|m| m.as_str().to_string());
            }
        }
    }
    None
}

/// `Published: 2020-04-01 Updated: 2020-06-27 Words: 103344 Chapters: 23/?`
fn read_stats(stats: &str, draft: &mut Draft) {
    for c in STAT.captures_iter(stats) {
        let value = c[2].trim();
        match c[1].to_lowercase().as_str() {
            "published" => draft.work.published = crate::dates::parse_date(value),
            "updated" => draft.work.updated = crate::dates::parse_date(value),
            "completed" => {
                draft.work.updated = crate::dates::parse_date(value);
                draft.state_complete(Authority::Site, true, &format!("Completed: {value}"));
            }
            "words" => draft.work.words_stated = parse_count(value),
            "chapters" => {
                if let Some((n, m)) = value.split_once('/')
                    && let Ok(n) = n.trim().replace(',', "").parse()
                {
                    draft.set_count(n, m.trim().replace(',', "").parse().ok());
                }
            }
            _ => {}
        }
    }
}

/// One chapter's text, title and notes from an AO3 chapter container.
fn chapter_from(body: ElementRef<'_>, container: Option<ElementRef<'_>>, number: Option<u32>) -> ChapterParts {
    let landmark = sel("h3.landmark");
    let lines = element_lines_skipping(body, &[&landmark]);
    let mut chapter = ChapterParts { number, body: story::body_document(lines), ..ChapterParts::default() };
    if let Some(div) = container {
        if let Some(t) = first_in(div, &sel("h3.title")) {
            chapter.title = Some(text_of(t));
        }
        if let Some(n) = first_in(div, &sel("div.chapter.preface div.notes:not(.end) blockquote.userstuff")) {
            chapter.notes = Document::new(crate::lines::to_blocks(&super::element_lines(n)));
        }
        if let Some(s) = first_in(div, &sel("div.chapter.preface div.summary blockquote.userstuff")) {
            chapter.summary = Some(paragraphs_of(s)).filter(|s| !s.is_empty());
        }
        if let Some(n) = first_in(div, &sel("div.end.notes blockquote.userstuff")) {
            chapter.end_notes = Document::new(crate::lines::to_blocks(&super::element_lines(n)));
        }
    }
    chapter
}

/// AO3 "Download → HTML": `#preface` (tags, title, byline, summary, notes), `#chapters`,
/// `#afterword`.
fn download(doc: &Html, preface: ElementRef<'_>, draft: &mut Draft) {
    let dts: Vec<ElementRef<'_>> = preface.select(&sel("dl.tags dt")).collect();
    let dds: Vec<ElementRef<'_>> = preface.select(&sel("dl.tags dd")).collect();
    for (dt, dd) in dts.iter().zip(dds.iter()) {
        let label = text_of(*dt).trim_end_matches(':').to_lowercase();
        let links = texts_in(*dd, &sel("a"));
        match label.as_str() {
            "rating" => {
                if let Some(r) = links.first() {
                    draft.set_rating(r);
                }
            }
            "archive warning" | "archive warnings" => draft.work.warnings = links,
            "category" | "categories" => draft.work.categories = links,
            "fandom" | "fandoms" => draft.work.fandoms = links,
            "relationship" | "relationships" => draft.work.relationships = links,
            "character" | "characters" => draft.work.characters = links,
            "additional tags" => draft.work.freeform_tags = links,
            "language" => draft.work.language = Some(text_of(*dd)).filter(|l| !l.is_empty()),
            "series" => {
                let text = text_of(*dd);
                let anchors: Vec<ElementRef<'_>> = dd.select(&sel("a")).collect();
                let parts: Vec<Option<u32>> = PART_OF.captures_iter(&text).map(|c| c[1].parse().ok()).collect();
                for (i, a) in anchors.iter().enumerate() {
                    draft.add_series(&text_of(*a), parts.get(i).copied().flatten());
                }
            }
            "stats" => read_stats(&text_of(*dd), draft),
            "collections" => draft.set_extra("collections", &links.join(", ")),
            _ => draft.set_extra(&label, &text_of(*dd)),
        }
    }
    if let Some(h1) = first_in(preface, &sel("h1")) {
        draft.set_title(&text_of(h1));
    }
    let authors = texts_in(preface, &sel("div.byline a[rel=author]"));
    if authors.is_empty() {
        if let Some(b) = first_in(preface, &sel("div.byline")) {
            draft.add_authors(text_of(b).trim_start_matches("by ").trim());
        }
    } else {
        draft.work.authors = authors;
    }
    // "Summary" and "Notes" are <p> labels followed by a blockquote.
    let labelled = labelled_blockquotes(preface);
    for (label, text) in &labelled {
        match label.as_str() {
            "summary" => draft.set_summary(text),
            "notes" => draft.add_note(text),
            _ => {}
        }
    }
    if let Some(m) = first_in(preface, &sel("p.message a[href*='/works/']"))
        && let Some(c) = m.value().attr("href").and_then(|h| WORK_ID.captures(h))
    {
        draft.work.site_id = c.get(1).map(|m| format!("ao3:{}", m.as_str()));
    }
    if let Some(after) = first(doc, &sel("div#afterword")) {
        let notes: Vec<String> = labelled_blockquotes(after).into_iter().filter(|(l, _)| l.contains("notes")).map(|(_, t)| t).collect();
        if !notes.is_empty() {
            draft.work.end_notes = Some(notes.join("\n\n"));
        }
    }

    // Chapters: in #chapters, a "meta group" with an h2 starts a chapter; a userstuff div is its
    // text; a later meta group without a heading holds its end notes.
    let mut chapters: Vec<ChapterParts> = Vec::new();
    if let Some(container) = first(doc, &sel("div#chapters")) {
        for child in container.children().filter_map(ElementRef::wrap) {
            let classes: Vec<&str> = child.value().classes().collect();
            if classes.contains(&"meta") {
                if let Some(h2) = first_in(child, &sel("h2.heading, h2")) {
                    let n = chapters.len() as u32 + 1;
                    let mut c = ChapterParts { number: Some(n), title: Some(text_of(h2)), ..ChapterParts::default() };
                    for (label, text) in labelled_blockquotes(child) {
                        if label.contains("notes") {
                            c.notes = text_document(&text);
                        }
                    }
                    chapters.push(c);
                } else if let Some(c) = chapters.last_mut() {
                    for (label, text) in labelled_blockquotes(child) {
                        if label.contains("end notes") || label.contains("notes") {
                            c.end_notes = text_document(&text);
                        }
                    }
                }
            } else if classes.contains(&"userstuff") {
                if chapters.is_empty() {
                    chapters.push(ChapterParts { number: Some(1), ..ChapterParts::default() });
                }
                let lines = super::element_lines(child);
                if let Some(c) = chapters.last_mut() {
                    c.body = story::body_document(lines);
                }
            }
        }
        if chapters.is_empty() {
            // A one-chapter download keeps its text directly in #chapters.
            let lines = super::element_lines(container);
            chapters.push(ChapterParts { number: Some(1), body: story::body_document(lines), ..ChapterParts::default() });
        }
    }
    if let Some(last) = chapters.iter().rev().find(|c| !c.body.is_empty()) {
        draft.completion.end_marker = story::end_marker_of_document(&last.body);
    }
    for c in chapters {
        draft.push_chapter(c);
    }
}

fn text_document(text: &str) -> Document {
    Document::new(crate::lines::to_blocks(&crate::lines::from_plain_text(text)))
}

/// `<p>Summary</p><blockquote>…</blockquote>` pairs inside an element, label lower-cased.
fn labelled_blockquotes(el: ElementRef<'_>) -> Vec<(String, String)> {
    let mut out = Vec::new();
    let mut label: Option<String> = None;
    for node in el.descendants().filter_map(ElementRef::wrap) {
        match node.value().name() {
            "p" if node.select(&sel("p")).count() <= 1 && text_of(node).chars().count() <= 40 => {
                label = Some(text_of(node).to_lowercase());
            }
            "blockquote" => {
                if let Some(l) = label.take() {
                    out.push((l, paragraphs_of(node)));
                }
            }
            _ => {}
        }
    }
    out
}
