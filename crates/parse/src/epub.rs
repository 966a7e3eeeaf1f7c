//! EPUB books: AO3 downloads, FanFicFare books, calibre conversions, our own exports.
//!
//! The book is read from memory (no files are written, so an entry's name never becomes a
//! path), with bounds against hostile archives: the number of entries, each entry's size
//! (declared and actual: a zip can lie about sizes), the total unpacked size and the packing
//! ratio (zip bombs), and names that climb out of the book (`../`, absolute paths), which no
//! honest book has. A book that breaks a bound is refused whole, with the reason.
//!
//! What is read: the package metadata (title, creators, language, description, subjects,
//! date, series as calibre's `calibre:series` or EPUB 3's `belongs-to-collection`), then the
//! spine in reading order. Title pages and prefaces (FanFicFare's `title_page`, AO3's
//! `preface`, ours) give the labelled fields (fandoms, relationships, characters, rating,
//! status ...); cover, contents and navigation pages are skipped; an afterword gives end
//! notes; every other document is read as chapters by the HTML reader, titled from the
//! book's table of contents when its text has no heading. FanFicFare's per-chapter source
//! (`<meta name="chapterurl">`) is kept in `extra` as `chapter-N-source`.

use crate::draft::{Draft, is_ao3_category_list};
use crate::header::{Field, Key, label_line, split_fields};
use crate::html::{element_lines, element_lines_skipping, first, first_in, sel, text_of};
use crate::{ParseError, story};
use ficarchive_model::Chapter;
use quick_xml::events::{BytesStart, Event};
use scraper::Html;
use scraper::Selector;
use std::collections::HashMap;
use std::io::{Cursor, Read};

pub const MAX_ENTRIES: usize = 10_000;
/// Largest unpacked entry: far above any real chapter or image.
pub const MAX_ENTRY_BYTES: u64 = 64 << 20;
/// Largest unpacked book.
pub const MAX_TOTAL_BYTES: u64 = 512 << 20;
/// Largest packing ratio of a sizeable entry; text packs about 3:1, a bomb thousands to one.
pub const MAX_RATIO: u64 = 200;
/// How an entry that unpacks to more than its header said is reported.
const SIZE_LIE: &str = "unpacks to more than its stated size";

/// Whether the bytes are a zip whose first entry is EPUB's `mimetype` (or the name says so).
pub fn is_epub(path: &str, bytes: &[u8]) -> bool {
    path.to_lowercase().ends_with(".epub") || (bytes.starts_with(b"PK\x03\x04") && bytes.get(30..38) == Some(b"mimetype"))
}

fn refused(message: impl Into<String>) -> ParseError {
    ParseError::Epub(message.into())
}

/// The book's entries, checked against the bounds.
struct Book<'a> {
    zip: zip::ZipArchive<Cursor<&'a [u8]>>,
}

impl<'a> Book<'a> {
    fn open(bytes: &'a [u8]) -> Result<Book<'a>, ParseError> {
        let mut zip = zip::ZipArchive::new(Cursor::new(bytes)).map_err(|e| refused(format!("not a readable zip archive ({e})")))?;
        if zip.len() > MAX_ENTRIES {
            return Err(refused(format!("{} entries; a book has at most {MAX_ENTRIES}", zip.len())));
        }
        let mut total: u64 = 0;
        for i in 0..zip.len() {
            let entry = zip.by_index_raw(i).map_err(|e| refused(format!("entry {i} is unreadable ({e})")))?;
            let name = String::from_utf8_lossy(entry.name_raw()).to_string();
            let absolute = name.starts_with('/') || name.as_bytes().get(1) == Some(&b':');
            if entry.enclosed_name().is_none() || absolute || name.contains('\\') {
                return Err(refused(format!("the entry name `{name}` points outside the book")));
            }
            if entry.size() > MAX_ENTRY_BYTES {
                return Err(refused(format!("`{name}` unpacks to {} MB; the limit is {} MB", entry.size() >> 20, MAX_ENTRY_BYTES >> 20)));
            }
            if entry.size() > 1 << 20 && entry.size() / entry.compressed_size().max(1) > MAX_RATIO {
                return Err(refused(format!("`{name}` is packed {}:1, like a zip bomb", entry.size() / entry.compressed_size().max(1))));
            }
            total += entry.size();
        }
        if total > MAX_TOTAL_BYTES {
            return Err(refused(format!("the book unpacks to {} MB; the limit is {} MB", total >> 20, MAX_TOTAL_BYTES >> 20)));
        }
        Ok(Book { zip })
    }

    /// An entry's bytes, reading at most the bound whatever its header claims.
    fn read(&mut self, name: &str) -> Result<Vec<u8>, ParseError> {
        let entry = self.zip.by_name(name).map_err(|_| refused(format!("`{name}` is named by the book but missing from it")))?;
        let mut out = Vec::with_capacity(entry.size().min(MAX_ENTRY_BYTES) as usize);
        entry.take(MAX_ENTRY_BYTES + 1).read_to_end(&mut out).map_err(|e| refused(format!("`{name}` cannot be unpacked ({e})")))?;
        if out.len() as u64 > MAX_ENTRY_BYTES {
            return Err(refused(format!("`{name}` {SIZE_LIE}")));
        }
        Ok(out)
    }

    fn text(&mut self, name: &str) -> Result<String, ParseError> {
        let bytes = self.read(name)?;
        Ok(ficarchive_decode::decode(&bytes, true).map_err(ParseError::Decode)?.text.into_owned())
    }
}

/// Package metadata as the OPF states it.
#[derive(Debug, Default)]
struct Package {
    title: Option<String>,
    creators: Vec<(String, Option<String>)>,
    language: Option<String>,
    description: Option<String>,
    subjects: Vec<String>,
    date: Option<String>,
    series: Option<(String, Option<u32>)>,
    /// id → (href, media type, properties).
    manifest: HashMap<String, (String, String, String)>,
    spine: Vec<String>,
    /// The EPUB 2 NCX's manifest id.
    ncx: Option<String>,
}

fn local(name: &str) -> &str {
    name.rsplit(':').next().unwrap_or(name)
}

fn attr(e: &BytesStart<'_>, name: &str) -> Option<String> {
    e.attributes()
        .flatten()
        .find(|a| local(a.key.as_ref()) == name)
        .and_then(|a| a.normalized_value(quick_xml::XmlVersion::Implicit1_0).ok().map(|v| v.trim().to_string()))
}

/// A character or predefined entity reference (`amp`, `#169`, `#x1F600`) as text.
fn reference(name: &str) -> String {
    if let Some(number) = name.strip_prefix('#') {
        let code = match number.strip_prefix(['x', 'X']) {
            Some(hex) => u32::from_str_radix(hex, 16).ok(),
            None => number.parse().ok(),
        };
        return code.and_then(char::from_u32).map(String::from).unwrap_or_default();
    }
    quick_xml::escape::resolve_predefined_entity(name).unwrap_or_default().to_string()
}

/// Walks an XML document: `on(element, None)` for each start tag, and `on(element,
/// Some(text))` when an element that holds text closes (text split by references is joined).
fn walk_xml(xml: &str, what: &str, mut on: impl FnMut(&BytesStart<'_>, Option<&str>)) -> Result<(), ParseError> {
    let mut reader = quick_xml::Reader::from_str(xml);
    let mut open: Vec<(BytesStart<'static>, String)> = Vec::new();
    loop {
        match reader.read_event() {
            Ok(Event::Start(e)) => {
                on(&e, None);
                open.push((e.into_owned(), String::new()));
                if open.len() > 256 {
                    return Err(refused(format!("{what} nests elements more than 256 deep")));
                }
            }
            Ok(Event::Empty(e)) => on(&e, None),
            Ok(Event::End(_)) => {
                if let Some((e, text)) = open.pop()
                    && !text.is_empty()
                {
                    on(&e, Some(&text));
                }
            }
            Ok(Event::Text(t)) => {
                if let Some((_, text)) = open.last_mut() {
                    text.push_str(&t.xml10_content());
                }
            }
            Ok(Event::CData(t)) => {
                if let Some((_, text)) = open.last_mut() {
                    text.push_str(&t.xml10_content());
                }
            }
            Ok(Event::GeneralRef(r)) => {
                if let Some((_, text)) = open.last_mut() {
                    text.push_str(&reference(&r.xml10_content()));
                }
            }
            Ok(Event::Eof) => return Ok(()),
            Ok(_) => {}
            Err(e) => return Err(refused(format!("{what} is not well-formed XML ({e})"))),
        }
    }
}

fn read_package(xml: &str) -> Result<Package, ParseError> {
    let mut p = Package::default();
    let mut refines: HashMap<String, Vec<(String, String)>> = HashMap::new();
    let mut ids: HashMap<String, String> = HashMap::new();
    let mut collection: Option<(String, String)> = None;
    let mut creators: Vec<(String, Option<String>, Option<String>)> = Vec::new();
    let mut series_index: Option<u32> = None;
    walk_xml(xml, "the package document", |e, text| {
        let name = local(e.name().as_ref()).to_string();
        match (name.as_str(), text) {
            ("item", None) => {
                if let (Some(id), Some(href)) = (attr(e, "id"), attr(e, "href")) {
                    let media = attr(e, "media-type").unwrap_or_default();
                    p.manifest.insert(id, (href, media, attr(e, "properties").unwrap_or_default()));
                }
            }
            ("itemref", None) => {
                if attr(e, "linear").as_deref() != Some("no")
                    && let Some(id) = attr(e, "idref")
                {
                    p.spine.push(id);
                }
            }
            ("spine", None) => p.ncx = attr(e, "toc"),
            ("meta", None) => match attr(e, "name").as_deref() {
                Some("calibre:series") => {
                    if let Some(v) = attr(e, "content").filter(|v| !v.is_empty()) {
                        p.series = Some((v, None));
                    }
                }
                Some("calibre:series_index") => {
                    series_index =
                        attr(e, "content").and_then(|v| v.parse::<f64>().ok()).filter(|v| *v >= 1.0 && v.fract() == 0.0).map(|v| v as u32)
                }
                _ => {}
            },
            (_, Some(text)) => {
                let text = text.trim();
                if text.is_empty() {
                    return;
                }
                match name.as_str() {
                    "title" if p.title.is_none() => p.title = Some(text.to_string()),
                    "creator" => creators.push((text.to_string(), attr(e, "id"), attr(e, "role"))),
                    "language" if p.language.is_none() => p.language = Some(text.to_string()),
                    "description" if p.description.is_none() => p.description = Some(text.to_string()),
                    "subject" => p.subjects.push(text.to_string()),
                    "date" if p.date.is_none() => p.date = Some(text.chars().take(10).collect()),
                    "meta" => {
                        if let Some(target) = attr(e, "refines") {
                            refines
                                .entry(target.trim_start_matches('#').to_string())
                                .or_default()
                                .push((attr(e, "property").unwrap_or_default(), text.to_string()));
                        } else if attr(e, "property").as_deref() == Some("belongs-to-collection") {
                            collection = Some((attr(e, "id").unwrap_or_default(), text.to_string()));
                        }
                    }
                    _ => {}
                }
                if let Some(id) = attr(e, "id") {
                    ids.insert(id, text.to_string());
                }
            }
            _ => {}
        }
    })?;
    for (name, id, role) in creators {
        let role =
            role.or_else(|| id.and_then(|id| refines.get(&id)).and_then(|r| r.iter().find(|(k, _)| k == "role")).map(|(_, v)| v.clone()));
        p.creators.push((name, role));
    }
    if let Some(series) = &mut p.series {
        series.1 = series_index;
    } else if let Some((id, name)) = collection {
        let position = refines.get(&id).and_then(|r| r.iter().find(|(k, _)| k == "group-position")).and_then(|(_, v)| v.parse().ok());
        p.series = Some((name, position));
    }
    Ok(p)
}

/// Joins an href to the folder of the document naming it, and undoes percent-encoding.
fn resolve(base_dir: &str, href: &str) -> String {
    let href = href.split('#').next().unwrap_or(href);
    let decoded = percent_decode(href);
    let mut parts: Vec<&str> = if base_dir.is_empty() { Vec::new() } else { base_dir.split('/').collect() };
    for segment in decoded.split('/') {
        match segment {
            "" | "." => {}
            ".." => {
                parts.pop();
            }
            s => parts.push(s),
        }
    }
    parts.join("/")
}

fn percent_decode(s: &str) -> String {
    let bytes = s.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while i < bytes.len() {
        if bytes[i] == b'%'
            && let Some(v) = s.get(i + 1..i + 3).and_then(|h| u8::from_str_radix(h, 16).ok())
        {
            out.push(v);
            i += 3;
            continue;
        }
        out.push(bytes[i]);
        i += 1;
    }
    String::from_utf8_lossy(&out).into_owned()
}

fn folder_of(path: &str) -> &str {
    path.rsplit_once('/').map_or("", |(dir, _)| dir)
}

/// Table-of-contents labels by document path, from the EPUB 3 navigation document or the NCX.
fn toc_labels(book: &mut Book<'_>, package: &Package, opf_dir: &str) -> HashMap<String, String> {
    let mut labels = HashMap::new();
    if let Some((href, _, _)) = package.manifest.values().find(|(_, _, props)| props.split_whitespace().any(|p| p == "nav"))
        && let Ok(text) = book.text(&resolve(opf_dir, href))
    {
        let nav_dir = folder_of(&resolve(opf_dir, href)).to_string();
        let doc = Html::parse_document(&text);
        for a in doc.select(&sel("nav a[href]")) {
            let label = text_of(a);
            if let Some(target) = a.value().attr("href") {
                labels.entry(resolve(&nav_dir, target)).or_insert(label);
            }
        }
    }
    if labels.is_empty()
        && let Some((href, _, _)) = package.ncx.as_ref().and_then(|id| package.manifest.get(id))
        && let Ok(text) = book.text(&resolve(opf_dir, href))
    {
        let ncx_dir = folder_of(&resolve(opf_dir, href)).to_string();
        let mut label: Option<String> = None;
        let _ = walk_xml(&text, "the NCX", |e, t| match (local(e.name().as_ref()), t) {
            ("text", Some(t)) => label = Some(t.trim().to_string()),
            ("content", None) => {
                if let (Some(src), Some(l)) = (attr(e, "src"), label.take()) {
                    labels.entry(resolve(&ncx_dir, &src)).or_insert(l);
                }
            }
            _ => {}
        });
    }
    labels
}

/// What a spine document is.
#[derive(Debug, PartialEq)]
enum Role {
    Skip,
    TitlePage,
    Afterword,
    Chapters,
}

fn role(path: &str, properties: &str, doc: &Html) -> Role {
    let name = path.rsplit('/').next().unwrap_or(path).to_lowercase();
    let stem = name.split('.').next().unwrap_or(&name);
    if properties.split_whitespace().any(|p| p == "nav")
        || ["cover", "toc", "toc_page", "nav", "contents", "titlepage_cover"].contains(&stem)
    {
        return Role::Skip;
    }
    if ["title", "title_page", "titlepage", "preface", "info", "information"].contains(&stem) {
        return Role::TitlePage;
    }
    if stem == "afterword" {
        return Role::Afterword;
    }
    // A page that is only an image is a cover, whatever its name.
    let body = first(doc, &sel("body"));
    if body.is_some_and(|b| text_of(b).trim().is_empty()) {
        return Role::Skip;
    }
    Role::Chapters
}

/// Reads an EPUB into the draft; returns the layout name.
pub fn extract(bytes: &[u8], draft: &mut Draft) -> Result<&'static str, ParseError> {
    let mut book = Book::open(bytes)?;
    let container = book.text("META-INF/container.xml")?;
    let mut opf_path = None;
    walk_xml(&container, "META-INF/container.xml", |e, _| {
        if local(e.name().as_ref()) == "rootfile" && opf_path.is_none() {
            opf_path = attr(e, "full-path");
        }
    })?;
    let opf_path = opf_path.ok_or_else(|| refused("META-INF/container.xml names no package document"))?;
    let package = read_package(&book.text(&opf_path)?)?;
    let opf_dir = folder_of(&opf_path).to_string();
    let labels = toc_labels(&mut book, &package, &opf_dir);

    // AO3's downloads are its HTML download converted by calibre: the preface, chapters and
    // afterword keep AO3's structure across the spine's files, which the AO3 reader knows.
    if let Some(layout) = ao3_download(&mut book, &package, &opf_dir, draft)? {
        apply_package(&package, draft);
        return Ok(layout);
    }
    apply_package(&package, draft);

    let mut chapter_sources: Vec<Option<String>> = Vec::new();
    let mut last_identity: Option<String> = None;
    let mut layout = "epub";
    for id in &package.spine {
        let Some((href, media, properties)) = package.manifest.get(id) else {
            draft.work.diagnostics.push(format!("the reading order names `{id}`, which the book does not list"));
            continue;
        };
        if !media.contains("html") {
            continue;
        }
        let path = resolve(&opf_dir, href);
        // A chapter file that is missing or cannot be decoded is left out with a diagnostic;
        // a lie about an entry's size still refuses the book (it is hostile, not broken).
        let text = match book.text(&path) {
            Ok(text) => text,
            Err(ParseError::Epub(reason)) if reason.contains(SIZE_LIE) => return Err(ParseError::Epub(reason)),
            Err(e) => {
                draft.work.diagnostics.push(format!("`{path}` was left out: {e}"));
                continue;
            }
        };
        let doc = Html::parse_document(&text);
        match role(&path, properties, &doc) {
            Role::Skip => {}
            Role::TitlePage => {
                // FanFicFare names its title page `title_page` and credits itself in the book.
                let fanficfare = path.ends_with("title_page.xhtml") || text.contains("FanFicFare");
                if fanficfare {
                    layout = "epub-fanficfare";
                }
                title_page(&doc, draft, fanficfare);
            }
            Role::Afterword => {
                let notes = crate::html::paragraphs_of(first(&doc, &sel("body")).unwrap_or_else(|| doc.root_element()));
                let notes = notes.trim().trim_start_matches("End Notes").trim();
                if !notes.is_empty() {
                    draft.work.end_notes = Some(notes.to_string());
                }
            }
            Role::Chapters => {
                let mut scratch = Draft::new();
                let body = first(&doc, &sel("body")).unwrap_or_else(|| doc.root_element());
                // Notes set apart in their own block (ours and AO3's), and our placeholder for
                // a chapter without text, are not story text.
                let (notes, end_notes) = (sel("div.notes"), sel("div.end-notes, div.end.notes"));
                let lines = element_lines_skipping(body, &[&notes, &end_notes, &sel("p.empty")]);
                let parts = story::parse(lines, &story::Options::default());
                let mut chapter = scratch.take_story_as_chapter(parts, 0, None);
                chapter.notes.blocks.extend(note_blocks(&doc, &notes));
                chapter.end_notes.blocks.extend(note_blocks(&doc, &end_notes));
                let source = crate::html::meta_content(&doc, "chapterurl");
                let heading = first(&doc, &sel("h1, h2, h3")).map(text_of).filter(|h| !h.is_empty());
                // A file with no text is still a chapter when it is named (a chapter the
                // source lists but never posted); otherwise it is nothing.
                if !chapter.has_text() && chapter.notes.is_empty() && heading.is_none() && !labels.contains_key(&path) {
                    continue;
                }
                // A heading the reader did not take as a chapter heading (`1. First Letter`)
                // opens the text; it names the chapter, it is not part of it.
                if let (Some(h), Some(ficarchive_model::Block::Paragraph(content) | ficarchive_model::Block::Heading { content, .. })) =
                    (&heading, chapter.body.blocks.first())
                    && ficarchive_model::document::inlines_text(content).trim() == h.trim()
                {
                    chapter.body.blocks.remove(0);
                }
                // The later parts of a split chapter (ours, calibre's `_split_001`) have no
                // contents entry and no heading of their own, or name the same chapter.
                let identity = crate::html::meta_content(&doc, "ficarchive:chapter");
                let continues = (identity.is_some() && identity == last_identity)
                    || (identity.is_none() && !labels.is_empty() && !labels.contains_key(&path) && heading.is_none());
                last_identity = identity;
                if continues && let Some(previous) = draft.work.chapters.last_mut() {
                    previous.body.blocks.extend(chapter.body.blocks);
                    previous.end_notes.blocks.extend(chapter.end_notes.blocks);
                    continue;
                }
                let label = labels.get(&path).cloned().or(heading);
                push_chapter(draft, chapter, label);
                chapter_sources.push(source);
            }
        }
    }
    for (i, source) in chapter_sources.iter().enumerate() {
        if let Some(url) = source {
            draft.set_extra(&format!("chapter-{}-source", i + 1), url);
        }
    }
    // Subjects that no labelled field named: ratings become the rating, the rest tags.
    let named: Vec<String> = [
        &draft.work.fandoms,
        &draft.work.relationships,
        &draft.work.characters,
        &draft.work.warnings,
        &draft.work.categories,
        &draft.work.freeform_tags,
    ]
    .iter()
    .flat_map(|list| list.iter().map(|s| s.to_lowercase()))
    .collect();
    for subject in &package.subjects {
        if named.contains(&subject.to_lowercase()) {
            continue;
        }
        if ficarchive_model::rating::lookup(subject).is_some() {
            if draft.work.rating.raw.is_none() {
                draft.set_rating(subject);
            }
        } else {
            draft.work.freeform_tags.push(subject.clone());
        }
    }
    if draft.work.published.is_none() {
        draft.work.published = package.date.clone();
    }
    Ok(layout)
}

/// The package's metadata, where the draft has nothing yet (the draft's setters never
/// overwrite).
fn apply_package(package: &Package, draft: &mut Draft) {
    if let Some(title) = &package.title {
        draft.set_title(title);
    }
    if draft.work.authors.is_empty() {
        draft.work.authors =
            package.creators.iter().filter(|(_, role)| role.as_deref().is_none_or(|r| r == "aut")).map(|(name, _)| name.clone()).collect();
    }
    if let Some(language) = &package.language
        && draft.work.language.is_none()
    {
        draft.work.language = Some(language.clone());
    }
    if let Some(description) = &package.description {
        // Descriptions are often HTML (calibre, FanFicFare).
        let text = crate::html::paragraphs_of(Html::parse_fragment(description).root_element());
        draft.set_summary(if text.trim().is_empty() { description } else { &text });
    }
    if let Some((name, part)) = &package.series
        && draft.work.series.is_empty()
    {
        draft.add_series(name, *part);
    }
}

/// An AO3 download: the spine's documents joined into one page and read by the AO3 reader;
/// `None` when the book is not one.
fn ao3_download(book: &mut Book<'_>, package: &Package, opf_dir: &str, draft: &mut Draft) -> Result<Option<&'static str>, ParseError> {
    let mut bodies = String::new();
    let mut is_ao3 = false;
    for id in &package.spine {
        let Some((href, media, _)) = package.manifest.get(id) else { continue };
        if !media.contains("html") {
            continue;
        }
        let Ok(text) = book.text(&resolve(opf_dir, href)) else { continue };
        let doc = Html::parse_document(&text);
        if let Some(body) = first(&doc, &sel("body")) {
            is_ao3 |= first_in(body, &sel("div#preface dl.tags")).is_some();
            bodies.push_str(&body.inner_html());
        }
        // The preface comes first; a book without it in its first pages is not AO3's.
        if !is_ao3 && bodies.len() > 200_000 {
            return Ok(None);
        }
    }
    if !is_ao3 {
        return Ok(None);
    }
    let page = format!("<!DOCTYPE html><html><head><title></title></head><body>{bodies}</body></html>");
    Ok(Some(match crate::html::extract(&page, draft) {
        "ao3-download" => "epub-ao3",
        _ => "epub",
    }))
}

/// A chapter file's chapter: its title from the heading in its text, else the contents entry
/// (`Chapter 3: The Hill` gives number 3 and title `The Hill`).
fn push_chapter(draft: &mut Draft, mut chapter: Chapter, label: Option<String>) {
    let place = draft.work.chapters.len() as u32 + 1;
    if let Some(label) = label {
        let lines = vec![crate::lines::Line::plain(&label, true)];
        match (story::chapter_heading(&lines, 0), numbered_label(&label)) {
            (Some(h), _) => {
                chapter.number = h.number.unwrap_or(place);
                chapter.title = h.title.or(chapter.title);
            }
            // FanFicFare's contents entries: `3. The Hill`.
            (None, Some((number, title))) => {
                chapter.number = number;
                chapter.title = chapter.title.or(Some(title.to_string()));
            }
            (None, None) if chapter.title.is_none() => chapter.title = Some(label),
            (None, None) => {}
        }
    }
    if chapter.number == 0 {
        chapter.number = place;
    }
    draft.work.chapters.push(chapter);
}

/// The text of note blocks, without their `Chapter Notes:` label.
fn note_blocks(doc: &Html, selector: &Selector) -> Vec<ficarchive_model::Block> {
    let mut blocks = Vec::new();
    for note in doc.select(selector) {
        let mut lines = element_lines(note);
        if lines.first().is_some_and(|l| {
            let t = l.text.trim_end_matches(':').to_lowercase();
            matches!(t.as_str(), "chapter notes" | "chapter end notes" | "notes" | "end notes" | "author's note" | "author's notes")
        }) {
            lines.remove(0);
            if let Some(l) = lines.first_mut() {
                l.para_start = true;
            }
        }
        blocks.extend(crate::lines::to_blocks(&lines));
    }
    blocks
}

/// `3. The Hill` or `3: The Hill` as (3, `The Hill`).
fn numbered_label(label: &str) -> Option<(u32, &str)> {
    let (number, rest) = label.split_once(['.', ':', ')'])?;
    let number = number.trim().parse::<u32>().ok().filter(|n| *n > 0)?;
    let title = rest.trim();
    (!title.is_empty()).then_some((number, title))
}

/// Labelled fields of a title page or preface: `<dt>Label</dt><dd>value</dd>` pairs and
/// `Label: value` lines.
fn title_page(doc: &Html, draft: &mut Draft, fanficfare: bool) {
    let mut fields: Vec<Field> = Vec::new();
    for dt in doc.select(&sel("dt")) {
        let label = text_of(dt);
        let value = dt.next_siblings().filter_map(scraper::ElementRef::wrap).next().filter(|e| e.value().name() == "dd").map(text_of);
        if let Some(value) = value {
            let line = format!("{}: {value}", label.trim_end_matches(':'));
            if let Some(l) = label_line(&line) {
                fields.extend(split_fields(l));
            }
        }
    }
    let body = first(doc, &sel("body")).unwrap_or_else(|| doc.root_element());
    for line in element_lines(body) {
        if let Some(l) = label_line(&line.text) {
            fields.extend(split_fields(l));
        }
    }
    for field in fields.iter_mut().filter(|f| f.key.is_some()) {
        // FanFicFare's `Category` is the fandom (it holds AO3's fandoms, FanFiction.Net's
        // category ...), unless it holds AO3 categories.
        if fanficfare && field.key == Some(Key::Category) && !is_ao3_category_list(&field.value) {
            field.key = Some(Key::Fandom);
        }
        draft.apply_field(field);
    }
    // A summary and notes under their own headings (AO3's preface, ours).
    for heading in doc.select(&sel("h2, h3")) {
        let label = text_of(heading).trim().trim_end_matches(':').to_lowercase();
        let text: Vec<String> = heading
            .next_siblings()
            .filter_map(scraper::ElementRef::wrap)
            .take_while(|e| !matches!(e.value().name(), "h1" | "h2" | "h3" | "dl"))
            .map(text_of)
            .collect();
        let text = text.join("\n\n");
        if text.trim().is_empty() {
            continue;
        }
        match label.as_str() {
            "summary" if draft.work.summary.is_none() => draft.set_summary(&text),
            "notes" if draft.work.notes.is_none() => draft.add_note(&text),
            _ => {}
        }
    }
}
