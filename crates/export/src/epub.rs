//! EPUB 3 books (with an EPUB 2 NCX for older readers), written by hand into a zip.
//!
//! Layout of a book (all content under `OEBPS/`):
//! `cover.svg` + `cover.xhtml`, `title.xhtml` (FanFicFare-style labelled metadata),
//! `preface.xhtml` (AO3-style tags, summary and notes), `chapter-NNN.xhtml` (one per chapter,
//! `chapter-NNN-K.xhtml` for the later parts of a very long one), `afterword.xhtml` (the
//! work's end notes, when it has some), `nav.xhtml`, `toc.ncx`, `style.css`.
//!
//! What keeps books valid (see `../shared/docs/ebooks-and-opds.md`): every text goes through
//! [`render::escape`] (five predefined entities, no control characters), documents hold only
//! a closed set of elements that exist in XHTML 5, ids are generated, every file in the zip
//! is in the manifest, `mimetype` is first and stored, and `dcterms:modified` is always set.
//!
//! Each chapter file names its chapter in `<meta>` elements of its head: `ficarchive:chapter`
//! (the book's identifier and the chapter's number: the same chapter has the same identity in
//! every export of the work) and `ficarchive:text-sha256` (a digest of its text, so a later
//! export can be compared with an older copy chapter by chapter), plus FanFicFare's
//! `chapterorigtitle`.

use crate::render::{self, Markup, escaped};
use crate::{Book, language, tag_label, utc_timestamp, w3c_date};
use ficarchive_model::{Block, Chapter, sha256_hex};
use ficarchive_store::{ChapterEntry, TagKind};
use std::io::{Cursor, Write};
use zip::CompressionMethod;
use zip::write::{SimpleFileOptions, ZipWriter};

/// Chapter text above this many bytes of XHTML goes on into a further file: common reading
/// systems slow down or refuse content documents much over 260 KB.
pub const SPLIT_BYTES: usize = 200_000;

const STYLE: &str = "body { margin: 0 5%; line-height: 1.5; }\n\
h1, h2, h3 { text-align: center; line-height: 1.25; }\n\
p { margin: 0 0 0.8em; }\n\
hr.scene-break { border: none; text-align: center; margin: 1.5em 0; }\n\
hr.scene-break::after { content: \"* * *\"; }\n\
blockquote { margin: 1em 2em; }\n\
dl.meta dt { font-weight: bold; margin-top: 0.4em; }\n\
dl.meta dd { margin: 0 0 0 1.5em; }\n\
.byline { text-align: center; font-size: 1.2em; }\n\
.notes, .end-notes { border-top: 1px solid #888; border-bottom: 1px solid #888; margin: 1em 0; padding: 0.2em 0; }\n\
.cover { text-align: center; margin: 0; padding: 0; }\n\
.cover img { max-width: 100%; max-height: 100%; }\n\
.empty { font-style: italic; text-align: center; }\n";

/// A file of the book: its path under `OEBPS/`, manifest id, media type, properties and
/// content.
struct Item {
    href: String,
    id: String,
    media_type: &'static str,
    properties: Option<&'static str>,
    content: Vec<u8>,
    /// In the reading order (the spine), and as what.
    spine: bool,
}

/// A table-of-contents entry.
struct TocEntry {
    href: String,
    label: String,
}

/// The book as an EPUB file.
pub fn write(book: &Book) -> Vec<u8> {
    let lang = language::tag(book.card.language.as_deref());
    let page = Page { lang, rtl: language::is_right_to_left(lang) };
    let byline = book.byline();
    let mut items = vec![
        Item {
            href: "style.css".into(),
            id: "style".into(),
            media_type: "text/css",
            properties: None,
            content: STYLE.as_bytes().to_vec(),
            spine: false,
        },
        Item {
            href: "cover.svg".into(),
            id: "cover-image".into(),
            media_type: "image/svg+xml",
            properties: Some("cover-image"),
            content: crate::cover_svg(&book.card).into_bytes(),
            spine: false,
        },
        page.item("cover.xhtml", "cover", "Cover", "", &cover_body(book, &byline)),
        page.item("title.xhtml", "title-page", &book.card.title, "", &title_body(book, &byline)),
        page.item("preface.xhtml", "preface", "Preface", "", &preface_body(book)),
    ];
    let mut toc = vec![
        TocEntry { href: "title.xhtml".into(), label: "Title page".into() },
        TocEntry { href: "preface.xhtml".into(), label: "Preface".into() },
    ];
    let single = book.chapters.len() <= 1;
    for (entry, chapter) in &book.chapters {
        let heading = if single && entry.title.is_none() { book.card.title.clone() } else { entry.label() };
        let files = chapter_files(entry, chapter, &heading);
        toc.push(TocEntry { href: files[0].0.clone(), label: heading.clone() });
        for (i, (href, body)) in files.into_iter().enumerate() {
            let head = chapter_head(book, entry, chapter);
            let title = if i == 0 { heading.clone() } else { format!("{heading} (continued)") };
            let id = href.trim_end_matches(".xhtml").to_string();
            items.push(page.item(&href, &id, &title, &head, &body));
        }
    }
    if let Some(notes) = book.end_notes.as_deref().filter(|n| !n.trim().is_empty()) {
        let body = format!(
            "<section epub:type=\"afterword\">\n<h2>End Notes</h2>\n{}</section>\n",
            render::plain_text_markup(notes, Markup::Xhtml)
        );
        items.push(page.item("afterword.xhtml", "afterword", "End Notes", "", &body));
        toc.push(TocEntry { href: "afterword.xhtml".into(), label: "End Notes".into() });
    }
    let first_chapter = book.chapters.first().map(|_| toc[2].href.clone());
    items.push(Item {
        href: "nav.xhtml".into(),
        id: "nav".into(),
        media_type: "application/xhtml+xml",
        properties: Some("nav"),
        content: page.document("Contents", "", &nav_body(&toc, first_chapter.as_deref())).into_bytes(),
        spine: false,
    });
    items.push(Item {
        href: "toc.ncx".into(),
        id: "ncx".into(),
        media_type: "application/x-dtbncx+xml",
        properties: None,
        content: ncx(book, &byline, lang, &toc).into_bytes(),
        spine: false,
    });
    let opf = package(book, lang, page.rtl, &items);
    zip(&opf, &items)
}

/// How every content document starts: language and direction.
struct Page {
    lang: &'static str,
    rtl: bool,
}

impl Page {
    fn document(&self, title: &str, head: &str, body: &str) -> String {
        let dir = if self.rtl { " dir=\"rtl\"" } else { "" };
        format!(
            "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<!DOCTYPE html>\n\
             <html xmlns=\"http://www.w3.org/1999/xhtml\" xmlns:epub=\"http://www.idpf.org/2007/ops\" lang=\"{lang}\" xml:lang=\"{lang}\"{dir}>\n\
             <head>\n<meta charset=\"utf-8\"/>\n<title>{}</title>\n<link rel=\"stylesheet\" type=\"text/css\" href=\"style.css\"/>\n{head}</head>\n\
             <body>\n{body}</body>\n</html>\n",
            escaped(title),
            lang = self.lang,
        )
    }

    fn item(&self, href: &str, id: &str, title: &str, head: &str, body: &str) -> Item {
        Item {
            href: href.into(),
            id: id.into(),
            media_type: "application/xhtml+xml",
            properties: None,
            content: self.document(title, head, body).into_bytes(),
            spine: true,
        }
    }
}

fn cover_body(book: &Book, byline: &str) -> String {
    format!(
        "<section epub:type=\"cover\" class=\"cover\">\n<img src=\"cover.svg\" alt=\"{}\"/>\n</section>\n",
        escaped(&format!("{} by {byline}", book.card.title))
    )
}

fn title_body(book: &Book, byline: &str) -> String {
    let mut out = String::from("<section epub:type=\"titlepage\">\n");
    out.push_str(&format!("<h1>{}</h1>\n<p class=\"byline\">by {}</p>\n<dl class=\"meta\">\n", escaped(&book.card.title), escaped(byline)));
    for (label, value) in book.labelled_fields() {
        out.push_str(&format!("<dt>{label}</dt>\n<dd>{}</dd>\n", escaped(&value)));
    }
    out.push_str("</dl>\n");
    if let Some(summary) = book.card.summary.as_deref().filter(|s| !s.trim().is_empty()) {
        out.push_str("<h2>Summary</h2>\n");
        out.push_str(&render::plain_text_markup(summary, Markup::Xhtml));
    }
    out.push_str(&format!("<p>Published by {}.</p>\n</section>\n", escaped(&book.publisher)));
    out
}

fn preface_body(book: &Book) -> String {
    let mut out = String::from("<section epub:type=\"preface\">\n<h2>Preface</h2>\n<dl class=\"meta\">\n");
    for kind in TagKind::ALL {
        let names = book.tags(kind);
        if !names.is_empty() {
            out.push_str(&format!("<dt>{}</dt>\n<dd>{}</dd>\n", tag_label(kind), escaped(&names.join(", "))));
        }
    }
    out.push_str("</dl>\n");
    if let Some(summary) = book.card.summary.as_deref().filter(|s| !s.trim().is_empty()) {
        out.push_str("<h3>Summary</h3>\n");
        out.push_str(&render::plain_text_markup(summary, Markup::Xhtml));
    }
    if let Some(notes) = book.notes.as_deref().filter(|s| !s.trim().is_empty()) {
        out.push_str("<h3>Notes</h3>\n");
        out.push_str(&render::plain_text_markup(notes, Markup::Xhtml));
    }
    out.push_str("</section>\n");
    out
}

/// The `<meta>` elements naming a chapter (see the module documentation).
fn chapter_head(book: &Book, entry: &ChapterEntry, chapter: &Chapter) -> String {
    let mut head = format!(
        "<meta name=\"ficarchive:chapter\" content=\"{}/chapters/{}\"/>\n<meta name=\"ficarchive:text-sha256\" content=\"{}\"/>\n",
        escaped(&book.identifier),
        entry.number,
        sha256_hex(chapter.body.plain_text().as_bytes()),
    );
    if let Some(title) = &entry.title {
        head.push_str(&format!("<meta name=\"chapterorigtitle\" content=\"{}\"/>\n", escaped(title)));
    }
    head
}

/// A chapter's files as (href, body): one, or more when its text is very long.
fn chapter_files(entry: &ChapterEntry, chapter: &Chapter, heading: &str) -> Vec<(String, String)> {
    let base = format!("chapter-{:03}", entry.place);
    let mut parts: Vec<String> = Vec::new();
    let mut current = String::new();
    for block in &chapter.body.blocks {
        let html = render::blocks_markup(std::slice::from_ref(block), 3, Markup::Xhtml);
        if !current.is_empty() && current.len() + html.len() > SPLIT_BYTES {
            parts.push(std::mem::take(&mut current));
        }
        current.push_str(&html);
    }
    if !current.is_empty() || parts.is_empty() {
        parts.push(current);
    }
    let last = parts.len() - 1;
    parts
        .into_iter()
        .enumerate()
        .map(|(i, text)| {
            let href = if i == 0 { format!("{base}.xhtml") } else { format!("{base}-{}.xhtml", i + 1) };
            let mut body = String::from("<section epub:type=\"chapter\">\n");
            if i == 0 {
                body.push_str(&format!("<h2>{}</h2>\n", escaped(heading)));
                notes_block(&chapter.notes.blocks, "notes", "Chapter Notes", &mut body);
            }
            if text.is_empty() {
                body.push_str("<p class=\"empty\">This chapter has no text.</p>\n");
            } else {
                body.push_str(&text);
            }
            if i == last {
                notes_block(&chapter.end_notes.blocks, "end-notes", "Chapter End Notes", &mut body);
            }
            body.push_str("</section>\n");
            (href, body)
        })
        .collect()
}

fn notes_block(blocks: &[Block], class: &str, label: &str, out: &mut String) {
    if blocks.is_empty() {
        return;
    }
    out.push_str(&format!("<div class=\"{class}\">\n<p><strong>{label}:</strong></p>\n"));
    out.push_str(&render::blocks_markup(blocks, 4, Markup::Xhtml));
    out.push_str("</div>\n");
}

fn nav_body(toc: &[TocEntry], first_chapter: Option<&str>) -> String {
    let mut out = String::from("<nav epub:type=\"toc\" id=\"toc\">\n<h1>Contents</h1>\n<ol>\n");
    for entry in toc {
        out.push_str(&format!("<li><a href=\"{}\">{}</a></li>\n", entry.href, escaped(&entry.label)));
    }
    out.push_str("</ol>\n</nav>\n<nav epub:type=\"landmarks\" id=\"landmarks\" hidden=\"hidden\">\n<h2>Landmarks</h2>\n<ol>\n");
    out.push_str("<li><a epub:type=\"cover\" href=\"cover.xhtml\">Cover</a></li>\n");
    out.push_str("<li><a epub:type=\"titlepage\" href=\"title.xhtml\">Title page</a></li>\n");
    if let Some(first) = first_chapter {
        out.push_str(&format!("<li><a epub:type=\"bodymatter\" href=\"{first}\">Start of the story</a></li>\n"));
    }
    out.push_str("</ol>\n</nav>\n");
    out
}

fn ncx(book: &Book, byline: &str, lang: &str, toc: &[TocEntry]) -> String {
    let mut out = format!(
        "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<ncx xmlns=\"http://www.daisy.org/z3986/2005/ncx/\" version=\"2005-1\" xml:lang=\"{lang}\">\n\
         <head>\n<meta name=\"dtb:uid\" content=\"{}\"/>\n<meta name=\"dtb:depth\" content=\"1\"/>\n\
         <meta name=\"dtb:totalPageCount\" content=\"0\"/>\n<meta name=\"dtb:maxPageNumber\" content=\"0\"/>\n</head>\n\
         <docTitle><text>{}</text></docTitle>\n<docAuthor><text>{}</text></docAuthor>\n<navMap>\n",
        escaped(&book.identifier),
        escaped(&book.card.title),
        escaped(byline),
    );
    for (i, entry) in toc.iter().enumerate() {
        out.push_str(&format!(
            "<navPoint id=\"nav-{n}\" playOrder=\"{n}\"><navLabel><text>{}</text></navLabel><content src=\"{}\"/></navPoint>\n",
            escaped(&entry.label),
            entry.href,
            n = i + 1,
        ));
    }
    out.push_str("</navMap>\n</ncx>\n");
    out
}

/// The package document: metadata, manifest, spine.
fn package(book: &Book, lang: &str, rtl: bool, items: &[Item]) -> String {
    let card = &book.card;
    let mut meta = String::new();
    let mut line = |s: String| {
        meta.push_str("    ");
        meta.push_str(&s);
        meta.push('\n');
    };
    line(format!("<dc:identifier id=\"book-id\">{}</dc:identifier>", escaped(&book.identifier)));
    line(format!("<dc:title id=\"title\">{}</dc:title>", escaped(&card.title)));
    line("<meta refines=\"#title\" property=\"title-type\">main</meta>".into());
    for (i, author) in card.authors.iter().enumerate() {
        let id = format!("creator-{}", i + 1);
        line(format!("<dc:creator id=\"{id}\">{}</dc:creator>", escaped(&author.name)));
        line(format!("<meta refines=\"#{id}\" property=\"role\" scheme=\"marc:relators\">aut</meta>"));
    }
    line(format!("<dc:language>{lang}</dc:language>"));
    if let Some(summary) = card.summary.as_deref().filter(|s| !s.trim().is_empty()) {
        line(format!("<dc:description>{}</dc:description>", escaped(summary.trim())));
    }
    line(format!("<dc:publisher>{}</dc:publisher>", escaped(&book.publisher)));
    let mut subjects: Vec<&str> = Vec::new();
    for tag in &card.tags {
        if !subjects.contains(&tag.name.as_str()) {
            subjects.push(&tag.name);
        }
    }
    for subject in subjects {
        line(format!("<dc:subject>{}</dc:subject>", escaped(subject)));
    }
    if let Some(date) = card.published.as_deref().and_then(w3c_date) {
        line(format!("<dc:date>{date}</dc:date>"));
    }
    line(format!("<meta property=\"dcterms:modified\">{}</meta>", utc_timestamp(card.modified_at)));
    for (i, series) in card.series.iter().enumerate() {
        let id = format!("series-{}", i + 1);
        line(format!("<meta property=\"belongs-to-collection\" id=\"{id}\">{}</meta>", escaped(&series.name)));
        line(format!("<meta refines=\"#{id}\" property=\"collection-type\">series</meta>"));
        if let Some(part) = series.part {
            line(format!("<meta refines=\"#{id}\" property=\"group-position\">{part}</meta>"));
        }
    }
    // calibre keeps one series per book: the first.
    if let Some(series) = card.series.first() {
        line(format!("<meta name=\"calibre:series\" content=\"{}\"/>", escaped(&series.name)));
        line(format!("<meta name=\"calibre:series_index\" content=\"{}\"/>", series.part.unwrap_or(1)));
    }
    // EPUB 2 readers find the cover through this.
    line("<meta name=\"cover\" content=\"cover-image\"/>".into());

    let mut manifest = String::new();
    for item in items {
        let properties = item.properties.map(|p| format!(" properties=\"{p}\"")).unwrap_or_default();
        manifest
            .push_str(&format!("    <item id=\"{}\" href=\"{}\" media-type=\"{}\"{properties}/>\n", item.id, item.href, item.media_type));
    }
    let mut spine = String::new();
    for item in items.iter().filter(|i| i.spine) {
        spine.push_str(&format!("    <itemref idref=\"{}\"/>\n", item.id));
    }
    let direction = if rtl { " page-progression-direction=\"rtl\"" } else { "" };
    format!(
        "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n\
         <package xmlns=\"http://www.idpf.org/2007/opf\" version=\"3.0\" unique-identifier=\"book-id\" xml:lang=\"{lang}\">\n\
         <metadata xmlns:dc=\"http://purl.org/dc/elements/1.1/\">\n{meta}</metadata>\n\
         <manifest>\n{manifest}</manifest>\n\
         <spine toc=\"ncx\"{direction}>\n{spine}</spine>\n\
         </package>\n"
    )
}

const CONTAINER: &str = "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n\
<container version=\"1.0\" xmlns=\"urn:oasis:names:tc:opendocument:xmlns:container\">\n\
<rootfiles>\n<rootfile full-path=\"OEBPS/content.opf\" media-type=\"application/oebps-package+xml\"/>\n</rootfiles>\n\
</container>\n";

/// The zip: `mimetype` first and stored, then the rest deflated. Entries carry the zip
/// format's fixed earliest date, so the same book gives the same bytes.
fn zip(opf: &str, items: &[Item]) -> Vec<u8> {
    let mut zip = ZipWriter::new(Cursor::new(Vec::with_capacity(items.iter().map(|i| i.content.len()).sum::<usize>() / 2)));
    let stored = SimpleFileOptions::default().compression_method(CompressionMethod::Stored);
    let deflated = SimpleFileOptions::default().compression_method(CompressionMethod::Deflated);
    let mut files: Vec<(String, SimpleFileOptions, &[u8])> = vec![
        ("mimetype".into(), stored, b"application/epub+zip"),
        ("META-INF/container.xml".into(), deflated, CONTAINER.as_bytes()),
        ("OEBPS/content.opf".into(), deflated, opf.as_bytes()),
    ];
    files.extend(items.iter().map(|item| (format!("OEBPS/{}", item.href), deflated, item.content.as_slice())));
    for (name, options, content) in files {
        // Writing into memory cannot fail short of running out of it; a zip error here is a
        // bug in this module (a duplicate name), so it is allowed to stop the program.
        zip.start_file(name, options).expect("a new zip entry");
        zip.write_all(content).expect("writing to memory");
    }
    zip.finish().expect("finishing a zip in memory").into_inner()
}
