//! EPUB import: a FanFicFare-style book and a generic EPUB 2 book (both invented here, built
//! with a zip writer) are read into works; hostile and broken books are refused whole with a
//! reason that names the problem.

use ficarchive_parse::{ParseError, parse_file};
use std::io::Write;
use zip::CompressionMethod;
use zip::write::{SimpleFileOptions, ZipWriter};

const CONTAINER: &str = r#"<?xml version="1.0"?><container version="1.0" xmlns="urn:oasis:names:tc:opendocument:xmlns:container"><rootfiles><rootfile full-path="OEBPS/content.opf" media-type="application/oebps-package+xml"/></rootfiles></container>"#;

/// A zip with `mimetype` first, then the given entries (deflated).
fn book(entries: &[(&str, &[u8])]) -> Vec<u8> {
    let mut zip = ZipWriter::new(std::io::Cursor::new(Vec::new()));
    zip.start_file("mimetype", SimpleFileOptions::default().compression_method(CompressionMethod::Stored)).unwrap();
    zip.write_all(b"application/epub+zip").unwrap();
    for (name, content) in entries {
        zip.start_file(*name, SimpleFileOptions::default().compression_method(CompressionMethod::Deflated)).unwrap();
        zip.write_all(content).unwrap();
    }
    zip.finish().unwrap().into_inner()
}

fn xhtml(head: &str, body: &str) -> Vec<u8> {
    format!(
        r#"<?xml version="1.0" encoding="utf-8"?><html xmlns="http://www.w3.org/1999/xhtml"><head><title>t</title>{head}</head><body>{body}</body></html>"#
    )
    .into_bytes()
}

/// A book in FanFicFare's layout: an EPUB 2 package with calibre series metadata, a title
/// page of bold labels, a contents page, and chapter files that name their source.
fn fanficfare_book() -> Vec<u8> {
    let opf = r#"<?xml version="1.0" encoding="utf-8"?>
<package version="2.0" xmlns="http://www.idpf.org/2007/opf" unique-identifier="id">
<metadata xmlns:dc="http://purl.org/dc/elements/1.1/" xmlns:opf="http://www.idpf.org/2007/opf">
<dc:identifier id="id">https://fics.example/s/4471</dc:identifier>
<dc:title>The Lantern &amp; the Tide</dc:title>
<dc:creator opf:role="aut">Sable Wren</dc:creator>
<dc:language>en</dc:language>
<dc:description>&lt;p&gt;A lighthouse keeper &amp;amp; a selkie trade letters.&lt;/p&gt;</dc:description>
<dc:subject>Romance</dc:subject>
<dc:subject>Teen And Up Audiences</dc:subject>
<dc:date>2019-06-02</dc:date>
<meta name="calibre:series" content="Tidewater Letters"/>
<meta name="calibre:series_index" content="2.0"/>
</metadata>
<manifest>
<item id="title_page" href="OEBPS/title_page.xhtml" media-type="application/xhtml+xml"/>
<item id="toc_page" href="OEBPS/toc_page.xhtml" media-type="application/xhtml+xml"/>
<item id="file0001" href="OEBPS/file0001.xhtml" media-type="application/xhtml+xml"/>
<item id="file0002" href="OEBPS/file0002.xhtml" media-type="application/xhtml+xml"/>
<item id="ncx" href="toc.ncx" media-type="application/x-dtbncx+xml"/>
</manifest>
<spine toc="ncx"><itemref idref="title_page"/><itemref idref="toc_page"/><itemref idref="file0001"/><itemref idref="file0002"/></spine>
</package>"#;
    let ncx = r#"<?xml version="1.0"?><ncx xmlns="http://www.daisy.org/z3986/2005/ncx/" version="2005-1"><head/><docTitle><text>x</text></docTitle><navMap>
<navPoint id="a" playOrder="1"><navLabel><text>Title Page</text></navLabel><content src="OEBPS/title_page.xhtml"/></navPoint>
<navPoint id="b" playOrder="2"><navLabel><text>1. First Letter</text></navLabel><content src="OEBPS/file0001.xhtml"/></navPoint>
<navPoint id="c" playOrder="3"><navLabel><text>2. Second Letter</text></navLabel><content src="OEBPS/file0002.xhtml"/></navPoint>
</navMap></ncx>"#;
    let title_page = xhtml(
        "",
        "<h3><a href=\"https://fics.example/s/4471\">The Lantern &amp; the Tide</a> by Sable Wren</h3>\
         <div><b>Category:</b> Original Work<br/><b>Genre:</b> Romance<br/><b>Characters:</b> Ada, Morwen<br/>\
         <b>Relationships:</b> Ada/Morwen<br/><b>Status:</b> Completed<br/><b>Published:</b> 2019-06-02<br/>\
         <b>Updated:</b> 2019-07-14<br/><b>Rating:</b> Teen And Up Audiences<br/><b>Chapters:</b> 2<br/><b>Words:</b> 60<br/>\
         <b>Summary:</b> A lighthouse keeper and a selkie trade letters.<br/></div>",
    );
    let toc_page = xhtml(
        "",
        "<h3>Table of Contents</h3><a href=\"file0001.xhtml\">1. First Letter</a><br/><a href=\"file0002.xhtml\">2. Second Letter</a>",
    );
    let chapter1 = xhtml(
        r#"<meta name="chapterurl" content="https://fics.example/s/4471/1"/><meta name="chapterorigtitle" content="1. First Letter"/>"#,
        "<h3>1. First Letter</h3><p>Dear keeper, the tide brought your lamp's reflection to my rock again tonight.</p><p>I counted the flashes.</p>",
    );
    let chapter2 = xhtml(
        r#"<meta name="chapterurl" content="https://fics.example/s/4471/2"/>"#,
        "<h3>2. Second Letter</h3><p>Dear selkie, I turned the lamp twice for you, which is against every rule of the service.</p>",
    );
    book(&[
        ("META-INF/container.xml", CONTAINER.as_bytes()),
        ("OEBPS/content.opf", opf.as_bytes()),
        ("OEBPS/toc.ncx", ncx.as_bytes()),
        ("OEBPS/OEBPS/title_page.xhtml", &title_page),
        ("OEBPS/OEBPS/toc_page.xhtml", &toc_page),
        ("OEBPS/OEBPS/file0001.xhtml", &chapter1),
        ("OEBPS/OEBPS/file0002.xhtml", &chapter2),
    ])
}

#[test]
fn a_fanficfare_book_becomes_a_work_with_its_labelled_fields_and_chapter_sources() {
    let work = parse_file("library/Sable Wren/The Lantern.epub", &fanficfare_book()).expect("reads");
    assert_eq!(work.title.as_deref(), Some("The Lantern & the Tide"));
    assert_eq!(work.authors, ["Sable Wren"]);
    assert_eq!(work.fandoms, ["Original Work"]);
    assert_eq!(work.relationships, ["Ada/Morwen"]);
    assert_eq!(work.characters, ["Ada", "Morwen"]);
    assert_eq!(work.rating.normalized.as_str(), "Teen And Up Audiences");
    assert_eq!(work.complete, Some(true));
    assert_eq!(work.series.len(), 1);
    assert_eq!((work.series[0].name.as_str(), work.series[0].part), ("Tidewater Letters", Some(2)));
    assert_eq!(work.summary.as_deref(), Some("A lighthouse keeper & a selkie trade letters."));
    assert_eq!(work.published.as_deref(), Some("2019-06-02"));
    assert!(work.freeform_tags.iter().any(|t| t == "Romance"), "{:?}", work.freeform_tags);
    assert_eq!(work.chapters.len(), 2, "the title and contents pages are not chapters");
    assert_eq!(work.chapters[0].title.as_deref(), Some("First Letter"));
    assert_eq!(work.chapters[1].number, 2);
    assert!(work.chapters[0].body.plain_text().starts_with("Dear keeper, the tide"));
    assert_eq!(work.extra.get("chapter-1-source").map(String::as_str), Some("https://fics.example/s/4471/1"));
    assert_eq!(work.extra.get("chapter-2-source").map(String::as_str), Some("https://fics.example/s/4471/2"));
    assert_eq!(work.source.format, "epub-fanficfare");
}

/// An AO3 download (AO3's HTML download converted to EPUB): preface, chapters and afterword in
/// AO3's markup, over two spine files.
#[test]
fn an_ao3_download_is_read_with_its_tags_chapters_and_notes() {
    let opf = br#"<?xml version="1.0"?><package xmlns="http://www.idpf.org/2007/opf" version="2.0" unique-identifier="u"><metadata xmlns:dc="http://purl.org/dc/elements/1.1/"><dc:identifier id="u">x</dc:identifier><dc:title>Salt Letters</dc:title><dc:creator>Sable_Wren</dc:creator><dc:subject>Letters</dc:subject></metadata><manifest><item id="a" href="salt_split_000.xhtml" media-type="application/xhtml+xml"/><item id="b" href="salt_split_001.xhtml" media-type="application/xhtml+xml"/></manifest><spine><itemref idref="a"/><itemref idref="b"/></spine></package>"#;
    let preface = xhtml(
        "",
        r##"<div id="preface"><p class="message"><b>Salt Letters</b><br/><a href="https://archiveofourown.org/works/55501">https://archiveofourown.org/works/55501</a></p>
<div class="meta"><dl class="tags"><dt>Rating:</dt><dd><a href="#">General Audiences</a></dd><dt>Archive Warning:</dt><dd><a href="#">No Archive Warnings Apply</a></dd>
<dt>Fandom:</dt><dd><a href="#">Original Work</a></dd><dt>Relationship:</dt><dd><a href="#">Ada/Morwen</a></dd><dt>Character:</dt><dd><a href="#">Ada</a>, <a href="#">Morwen</a></dd>
<dt>Additional Tags:</dt><dd><a href="#">Letters</a></dd><dt>Language:</dt><dd>English</dd><dt>Stats:</dt><dd>Published: 2021-03-01 Completed: 2021-04-02 Words: 31 Chapters: 2/2</dd></dl>
<h1>Salt Letters</h1><div class="byline">by <a rel="author" href="#">Sable_Wren</a></div><p>Summary</p><blockquote class="userstuff"><p>Two keepers write across a bay.</p></blockquote></div></div>"##,
    );
    let chapters = xhtml(
        "",
        r#"<div id="chapters"><div class="meta group"><h2 class="heading">Chapter 1: Low Tide</h2></div><div class="userstuff"><p>The first letter came in a bottle, corked with wax.</p></div>
<div class="meta group"><h2 class="heading">Chapter 2: High Tide</h2><p>Chapter Notes</p><blockquote class="userstuff"><p>Shorter, sorry.</p></blockquote></div><div class="userstuff"><p>The second came by gull, which was worse.</p></div></div>
<div id="afterword"><div class="meta"><p>End Notes</p><blockquote class="userstuff"><p>Thanks for reading.</p></blockquote></div></div>"#,
    );
    let bytes = book(&[
        ("META-INF/container.xml", CONTAINER.as_bytes()),
        ("OEBPS/content.opf", opf),
        ("OEBPS/salt_split_000.xhtml", &preface),
        ("OEBPS/salt_split_001.xhtml", &chapters),
    ]);
    let work = parse_file("Salt Letters.epub", &bytes).expect("reads");
    assert_eq!(work.source.format, "epub-ao3");
    assert_eq!(work.title.as_deref(), Some("Salt Letters"));
    assert_eq!(work.authors, ["Sable_Wren"]);
    assert_eq!(work.site_id.as_deref(), Some("ao3:55501"));
    assert_eq!(
        (work.fandoms.as_slice(), work.relationships.as_slice()),
        (&["Original Work".to_string()][..], &["Ada/Morwen".to_string()][..])
    );
    assert_eq!(work.characters, ["Ada", "Morwen"]);
    assert_eq!(work.complete, Some(true));
    assert_eq!(work.chapters.len(), 2);
    assert_eq!(work.chapters[1].title.as_deref(), Some("High Tide"));
    assert_eq!(work.chapters[1].notes.plain_text(), "Shorter, sorry.");
    assert_eq!(work.chapters[1].body.plain_text(), "The second came by gull, which was worse.");
    assert_eq!(work.end_notes.as_deref(), Some("Thanks for reading."));
}

fn refusal(bytes: &[u8]) -> String {
    match parse_file("hostile.epub", bytes) {
        Err(ParseError::Epub(reason)) => reason,
        other => panic!("expected a refused EPUB, got {other:?}"),
    }
}

fn minimal_book(extra: &[(&str, &[u8])]) -> Vec<u8> {
    let opf = br#"<?xml version="1.0"?><package xmlns="http://www.idpf.org/2007/opf" version="3.0"><metadata xmlns:dc="http://purl.org/dc/elements/1.1/"><dc:title>Small</dc:title></metadata><manifest><item id="c" href="c.xhtml" media-type="application/xhtml+xml"/></manifest><spine><itemref idref="c"/></spine></package>"#;
    let chapter = xhtml("", "<p>Some words.</p>");
    let mut entries: Vec<(&str, &[u8])> =
        vec![("META-INF/container.xml", CONTAINER.as_bytes()), ("OEBPS/content.opf", opf), ("OEBPS/c.xhtml", &chapter)];
    entries.extend_from_slice(extra);
    book(&entries)
}

#[test]
fn a_minimal_book_reads() {
    let work = parse_file("small.epub", &minimal_book(&[])).unwrap();
    assert_eq!(work.title.as_deref(), Some("Small"));
    assert_eq!(work.chapters.len(), 1);
    assert_eq!(work.chapters[0].body.plain_text(), "Some words.");
}

#[test]
fn a_missing_or_empty_chapter_file_is_left_out_with_a_diagnostic() {
    let opf = br#"<?xml version="1.0"?><package xmlns="http://www.idpf.org/2007/opf" version="3.0"><metadata xmlns:dc="http://purl.org/dc/elements/1.1/"><dc:title>Gaps</dc:title></metadata><manifest><item id="a" href="a.xhtml" media-type="application/xhtml+xml"/><item id="b" href="b.xhtml" media-type="application/xhtml+xml"/><item id="c" href="c.xhtml" media-type="application/xhtml+xml"/></manifest><spine><itemref idref="a"/><itemref idref="b"/><itemref idref="c"/></spine></package>"#;
    let chapter = xhtml("", "<p>The one chapter that survived.</p>");
    let bytes = book(&[
        ("META-INF/container.xml", CONTAINER.as_bytes()),
        ("OEBPS/content.opf", opf),
        ("OEBPS/a.xhtml", b""),
        ("OEBPS/c.xhtml", &chapter),
    ]);
    let work = parse_file("gaps.epub", &bytes).expect("the rest of the book reads");
    assert_eq!(work.chapters.len(), 1);
    assert_eq!(work.chapters[0].body.plain_text(), "The one chapter that survived.");
    assert!(work.diagnostics.iter().any(|d| d.contains("OEBPS/a.xhtml") && d.contains("left out")), "{:?}", work.diagnostics);
    assert!(work.diagnostics.iter().any(|d| d.contains("OEBPS/b.xhtml") && d.contains("missing")), "{:?}", work.diagnostics);
}

#[test]
fn hostile_and_broken_books_are_refused_with_the_reason() {
    // A zip bomb: 200 MB of zeros packed into a few hundred kilobytes.
    let zeros = vec![0u8; 200 << 20];
    let reason = refusal(&minimal_book(&[("OEBPS/bomb.bin", &zeros)]));
    assert!(reason.contains("zip bomb") || reason.contains("limit"), "{reason}");

    let reason = refusal(&minimal_book(&[("../../escape.xhtml", b"x")]));
    assert!(reason.contains("points outside the book"), "{reason}");
    let reason = refusal(&minimal_book(&[("/etc/passwd", b"x")]));
    assert!(reason.contains("points outside the book"), "{reason}");

    let broken_opf =
        book(&[("META-INF/container.xml", CONTAINER.as_bytes()), ("OEBPS/content.opf", b"<package><metadata><dc:title>Oops</metadata>")]);
    let reason = refusal(&broken_opf);
    assert!(reason.contains("not well-formed XML"), "{reason}");

    let reason = refusal(&book(&[("OEBPS/content.opf", b"<package/>")]));
    assert!(reason.contains("META-INF/container.xml"), "{reason}");

    let reason = refusal(b"this is not a zip at all, whatever its name says");
    assert!(reason.contains("not a readable zip"), "{reason}");

    // A zip cut short (a download that stopped).
    let whole = fanficfare_book();
    let reason = refusal(&whole[..whole.len() / 2]);
    assert!(!reason.is_empty());
}
