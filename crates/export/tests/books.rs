//! Take-away copies as readers get them: every shipped example work, a hostile page, and works
//! built to the edges (a 300,000-word work of 40 chapters, empty chapters, a very long title,
//! Chinese, Russian and Hebrew text) are stored in a real archive and exported. Every EPUB is
//! checked by epubcheck (zero errors, zero warnings) and read back by calibre's `ebook-meta`;
//! the HTML and text copies are held to what a reader sees.

use ficarchive_export::{Book, Format, epub, text};
use ficarchive_model::document::{Block, Document, Inline};
use ficarchive_model::{Chapter, Rating, SeriesRef, Work};
use ficarchive_store::{Archive, SourceFile};
use ficarchive_testkit::TestArchive;
use std::io::Read;
use std::path::{Path, PathBuf};
use std::process::Command;

/// A saved page whose every part tries markup the importer and the writers must survive:
/// script, event handlers, `javascript:` links, remote images, presentational elements EPUB 3
/// forbids, named entities XML does not know, a bare ampersand and unclosed tags.
const HOSTILE_PAGE: &str = r#"<!DOCTYPE html><html><head><title>Hostile</title></head><body>
<p>Title: <script>alert('t')</script>Glass &amp; Thorns &mdash; A Study</p>
<p>Author: <img src="http://remote.example/a.png" onerror="alert(1)">Wren</p>
<p>Fandom: Original Work</p>
<p>Rating: PG-13</p>
<p>Summary: <a href="javascript:alert(2)">click</a> &nbsp;unclosed <i>markup &hellip; & more</p>
<hr>
<center><font color="red" size="7">Chapter One</font></center>
<p>She held the <strike>knife</strike> <big>pen</big> like a candle&nbsp;&mdash;&nbsp;carefully. <img src="https://remote.example/b.jpg"> Bread & salt.</p>
<p><u>Then</u> <b onmouseover="alert(3)">nothing</b> happened <iframe src="javascript:alert(4)"></iframe>at all.</p>
<div><p>An unclosed paragraph <em>with <strong>nesting
<p>~ ~ ~</p>
<p>The second scene has &#x1F600; and &#169; and &unknownentity; in it.</p>
</body></html>"#;

fn paragraph(text: &str) -> Block {
    Block::Paragraph(vec![Inline::Text(text.into())])
}

fn chapter(number: u32, title: Option<&str>, blocks: Vec<Block>) -> Chapter {
    Chapter { number, title: title.map(Into::into), body: Document::new(blocks), ..Chapter::default() }
}

fn work(title: &str, author: &str, language: Option<&str>, chapters: Vec<Chapter>) -> Work {
    Work {
        title: Some(title.into()),
        authors: vec![author.into()],
        fandoms: vec!["Original Work".into()],
        rating: Rating::from_raw("General Audiences").0,
        language: language.map(Into::into),
        summary: Some(format!("A summary of {title}.")),
        complete: Some(true),
        chapters,
        source: ficarchive_model::Provenance { format: "test".into(), encoding: "utf-8".into(), ..Default::default() },
        ..Work::default()
    }
}

/// Works at the edges of what a book must hold.
fn edge_works() -> Vec<Work> {
    // 40 chapters of 7,500 words: 300,000 words, and chapters long enough to be split.
    let sentence = "The lamplighter counted the steps to the harbour wall and found one more than yesterday. ";
    let long_chapter = |n: u32| {
        let mut blocks = Vec::new();
        for p in 0..50 {
            blocks.push(paragraph(sentence.repeat(10).trim()));
            if p % 10 == 9 && p < 49 {
                blocks.push(Block::SceneBreak);
            }
        }
        chapter(n, Some(&format!("Night {n}")), blocks)
    };
    let mut long = work("The Long Count", "Ada Pell", Some("English"), (1..=40).map(long_chapter).collect());
    long.series = vec![SeriesRef { name: "Harbour Nights".into(), part: Some(2) }];
    long.freeform_tags = vec!["Lighthouses".into(), "Slow Burn".into()];
    long.notes = Some("Written over one winter.\n\nThanks to everyone who read along.".into());
    long.end_notes = Some("The end, for now.".into());

    let mut empty = work(
        "Listed But Not Posted",
        "Quill",
        None,
        vec![
            chapter(1, Some("Arrival"), vec![paragraph("The only chapter with words in it.")]),
            chapter(2, Some("Departure"), vec![]),
            chapter(3, None, vec![]),
        ],
    );
    empty.complete = Some(false);
    empty.chapters_total = Some(5);

    // One chapter of 60,000 words: about 400 KB of XHTML, more than one content file holds.
    let night = work("One Long Night", "Ada Pell", Some("English"), vec![long_chapter(1), long_chapter(2)]);
    let mut night = Work { chapters: vec![Chapter { number: 1, title: Some("Dusk to Dawn".into()), ..Chapter::default() }], ..night };
    night.chapters[0].body = Document::new((1..=8).flat_map(|n| long_chapter(n).body.blocks).collect());

    let long_title = format!("{}And Then It Rained", "A Very Long Title That Keeps Going ".repeat(28));
    let chinese = work(
        "灯塔守望者的夜晚",
        "李明",
        Some("中文"),
        vec![chapter(1, Some("第一章"), vec![paragraph(&"她在灯塔上数着船只，一艘又一艘地驶入港口。".repeat(30))])],
    );
    let russian = work(
        "Ночной маяк",
        "Анна Петрова",
        Some("Русский"),
        vec![chapter(
            1,
            None,
            vec![paragraph("Она поднялась на маяк и зажгла свет. Корабли шли домой."), Block::SceneBreak, paragraph("Утром маяк погас.")],
        )],
    );
    let hebrew =
        work("מגדלור בלילה", "נועה לוי", Some("עברית"), vec![chapter(1, None, vec![paragraph("היא עלתה למגדלור והדליקה את האור.")])]);
    vec![
        long,
        night,
        empty,
        work(&long_title, "Longwind", Some("English"), vec![chapter(1, None, vec![paragraph("Short text.")])]),
        chinese,
        russian,
        hebrew,
    ]
}

/// An archive holding the examples, the hostile page and the edge works; returns the work ids.
async fn fill(archive: &Archive) -> Vec<i64> {
    let mut files = ficarchive_testkit::example_files();
    files.push(("hostile.html".into(), HOSTILE_PAGE.as_bytes().to_vec()));
    let mut ids = ficarchive_testkit::import_files(archive, &files).await;
    let run = archive.begin_run(&[]).await.unwrap();
    for work in edge_works() {
        let stored = archive.store_work(run, &work, &[] as &[SourceFile<'_>], false).await.unwrap();
        ids.push(stored.id());
    }
    ids
}

async fn books(archive: &Archive, ids: &[i64]) -> Vec<Book> {
    let mut out = Vec::new();
    for id in ids {
        out.push(Book::load(archive, *id, "Test Archive").await.unwrap().expect("a stored work loads"));
    }
    out
}

fn entries(epub: &[u8]) -> Vec<(String, Vec<u8>, zip::CompressionMethod)> {
    let mut zip = zip::ZipArchive::new(std::io::Cursor::new(epub)).expect("an EPUB is a zip");
    (0..zip.len())
        .map(|i| {
            let mut file = zip.by_index(i).unwrap();
            let mut content = Vec::new();
            file.read_to_end(&mut content).unwrap();
            (file.name().unwrap().to_string(), content, file.compression())
        })
        .collect()
}

fn entry(entries: &[(String, Vec<u8>, zip::CompressionMethod)], name: &str) -> String {
    let found = entries.iter().find(|(n, _, _)| n == name).unwrap_or_else(|| panic!("{name} is in the book"));
    String::from_utf8(found.1.clone()).expect("UTF-8")
}

/// Runs a program, failing the test with its output when it fails or is missing (CI
/// installs it; a missing tool never skips the check).
fn run(program: &str, args: &[&str]) -> String {
    let out = Command::new(program)
        .args(args)
        // calibre renders an SVG cover page with Qt WebEngine, whose sandbox cannot start as
        // root or without a display.
        .env("QT_QPA_PLATFORM", "offscreen")
        .env("QTWEBENGINE_CHROMIUM_FLAGS", "--no-sandbox")
        .output()
        .unwrap_or_else(|e| panic!("cannot run {program} (installed by .ci/run): {e}"));
    let text = format!("{}{}", String::from_utf8_lossy(&out.stdout), String::from_utf8_lossy(&out.stderr));
    assert!(out.status.success(), "{program} {args:?} failed:\n{text}");
    text
}

fn write_books(dir: &Path, books: &[Book]) -> Vec<PathBuf> {
    books
        .iter()
        .map(|book| {
            let path = dir.join(format!("{}.epub", book.file_stem()));
            std::fs::write(&path, ficarchive_export::write(book, Format::Epub)).unwrap();
            path
        })
        .collect()
}

#[tokio::test]
async fn every_book_passes_epubcheck_and_calibre_reads_its_metadata() {
    let t = TestArchive::sqlite();
    let archive = Archive::open(&t.location).await.unwrap();
    let ids = fill(&archive).await;
    let books = books(&archive, &ids).await;
    let dir = tempfile::tempdir().unwrap();
    let paths = write_books(dir.path(), &books);

    // epubcheck, two at a time (Java starts slowly; this machine has two cores).
    std::thread::scope(|scope| {
        for pair in paths.chunks(paths.len().div_ceil(2)) {
            scope.spawn(move || pair.iter().for_each(|path| ficarchive_testkit::assert_epubcheck_passes(path)));
        }
    });

    for (book, path) in books.iter().zip(&paths) {
        let cover = path.with_extension("cover.jpg");
        let meta = run("ebook-meta", &[&path.display().to_string(), &format!("--get-cover={}", cover.display())]);
        assert!(meta.contains("Cover saved"), "calibre finds the cover: {meta}");
        let field = |name: &str| {
            meta.lines()
                .find(|l| l.split(':').next().is_some_and(|k| k.trim() == name))
                .map(|l| l.split_once(':').unwrap().1.trim().to_string())
                .unwrap_or_default()
        };
        assert_eq!(field("Title"), book.card.title.trim(), "{meta}");
        let authors: Vec<String> = book.card.authors.iter().map(|a| a.name.clone()).collect();
        if !authors.is_empty() {
            assert_eq!(field("Author(s)"), authors.join(" & "), "{meta}");
        }
        for tag in &book.card.tags {
            assert!(field("Tags").contains(&tag.name), "{} missing from calibre's tags: {meta}", tag.name);
        }
        match book.card.series.first() {
            Some(series) => {
                assert_eq!(field("Series"), format!("{} #{}", series.name, series.part.unwrap_or(1)), "{meta}")
            }
            None => assert_eq!(field("Series"), "", "{meta}"),
        }
    }
}

#[tokio::test]
async fn books_hold_the_metadata_chapters_and_identities_readers_use() {
    for t in TestArchive::both().await {
        let archive = Archive::open(&t.location).await.unwrap();
        let ids = fill(&archive).await;
        let books = books(&archive, &ids).await;
        let long = books.iter().find(|b| b.card.title == "The Long Count").unwrap();
        let bytes = ficarchive_export::write(long, Format::Epub);
        assert_eq!(bytes, ficarchive_export::write(long, Format::Epub), "the same work gives the same bytes");
        let files = entries(&bytes);
        assert_eq!(files[0].0, "mimetype");
        assert_eq!(files[0].1, b"application/epub+zip");
        assert_eq!(files[0].2, zip::CompressionMethod::Stored);

        let opf = entry(&files, "OEBPS/content.opf");
        assert!(opf.contains(&format!("<dc:identifier id=\"book-id\">{}</dc:identifier>", long.identifier)), "{opf}");
        assert!(long.identifier.starts_with("urn:uuid:"));
        for expected in [
            "<dc:title id=\"title\">The Long Count</dc:title>",
            "<dc:creator id=\"creator-1\">Ada Pell</dc:creator>",
            "<meta refines=\"#creator-1\" property=\"role\" scheme=\"marc:relators\">aut</meta>",
            "<dc:language>en</dc:language>",
            "<dc:publisher>Test Archive</dc:publisher>",
            "<dc:subject>Lighthouses</dc:subject>",
            "<dc:subject>General Audiences</dc:subject>",
            "<meta property=\"belongs-to-collection\" id=\"series-1\">Harbour Nights</meta>",
            "<meta refines=\"#series-1\" property=\"group-position\">2</meta>",
            "<meta name=\"calibre:series\" content=\"Harbour Nights\"/>",
            "<meta name=\"calibre:series_index\" content=\"2\"/>",
            "<dc:description>A summary of The Long Count.</dc:description>",
            "properties=\"cover-image\"",
            "properties=\"nav\"",
            "<spine toc=\"ncx\">",
        ] {
            assert!(opf.contains(expected), "{expected} missing from the OPF:\n{opf}");
        }
        assert!(opf.contains("<meta property=\"dcterms:modified\">20"), "{opf}");

        let chapter_files: Vec<&String> = files.iter().map(|(n, _, _)| n).filter(|n| n.contains("/chapter-")).collect();
        assert_eq!(chapter_files.len(), 40, "{chapter_files:?}");
        let first = entry(&files, "OEBPS/chapter-001.xhtml");
        assert!(first.contains("<h2>Chapter 1: Night 1</h2>"));

        // A 60,000-word chapter goes on over several files; each stays small enough.
        let night = books.iter().find(|b| b.card.title == "One Long Night").unwrap();
        let night_files = entries(&ficarchive_export::write(night, Format::Epub));
        let parts: Vec<&(String, Vec<u8>, zip::CompressionMethod)> =
            night_files.iter().filter(|(n, _, _)| n.contains("/chapter-")).collect();
        assert!(parts.len() >= 2, "{:?}", parts.iter().map(|p| &p.0).collect::<Vec<_>>());
        for (name, content, _) in &parts {
            assert!(content.len() < epub::SPLIT_BYTES + 10_000, "{name} is {} bytes", content.len());
        }
        let continued = entry(&night_files, "OEBPS/chapter-001-2.xhtml");
        assert!(entry(&night_files, "OEBPS/chapter-001.xhtml").contains("<h2>Chapter 1: Dusk to Dawn</h2>"));
        assert!(!continued.contains("<h2>"), "a continuation does not repeat the heading");
        assert!(entry(&night_files, "OEBPS/content.opf").contains("<itemref idref=\"chapter-001-2\"/>"));
        // The chapter's identity: the same in every export of the work, with a digest of its text.
        let identity = format!("<meta name=\"ficarchive:chapter\" content=\"{}/chapters/1\"/>", long.identifier);
        assert!(first.contains(&identity), "{first}");
        assert!(first.contains("<meta name=\"ficarchive:text-sha256\" content=\""));
        assert!(first.contains("<meta name=\"chapterorigtitle\" content=\"Night 1\"/>"));
        let again = Book::load(&archive, long.card.id, "Test Archive").await.unwrap().unwrap();
        assert_eq!(again.identifier, long.identifier, "a work's identifier does not change");

        let nav = entry(&files, "OEBPS/nav.xhtml");
        assert!(nav.contains("<li><a href=\"chapter-040.xhtml\">Chapter 40: Night 40</a></li>"));
        let ncx = entry(&files, "OEBPS/toc.ncx");
        assert!(ncx.contains("<content src=\"chapter-040.xhtml\"/>"));
        assert!(ncx.contains(&format!("<meta name=\"dtb:uid\" content=\"{}\"/>", long.identifier)));
        let title = entry(&files, "OEBPS/title.xhtml");
        for field in [
            "<dt>Series</dt>\n<dd>Harbour Nights (part 2)</dd>",
            "<dt>Chapters</dt>\n<dd>40/40</dd>",
            "<dt>Words</dt>\n<dd>300,000</dd>",
            "<dt>Status</dt>\n<dd>Complete</dd>",
        ] {
            assert!(title.contains(field), "{field} missing from the title page:\n{title}");
        }
        let preface = entry(&files, "OEBPS/preface.xhtml");
        assert!(preface.contains("<dt>Additional Tags</dt>\n<dd>Lighthouses, Slow Burn</dd>"), "{preface}");
        assert!(preface.contains("<p>Thanks to everyone who read along.</p>"), "{preface}");
        assert!(entry(&files, "OEBPS/afterword.xhtml").contains("<p>The end, for now.</p>"));

        // Hebrew runs right to left, in the package and in the pages.
        let hebrew = books.iter().find(|b| b.card.title == "מגדלור בלילה").unwrap();
        let files = entries(&ficarchive_export::write(hebrew, Format::Epub));
        assert!(entry(&files, "OEBPS/content.opf").contains("page-progression-direction=\"rtl\""));
        assert!(entry(&files, "OEBPS/chapter-001.xhtml").contains("lang=\"he\" xml:lang=\"he\" dir=\"rtl\""));
        t.finish().await;
    }
}

#[tokio::test]
async fn imported_markup_never_reaches_a_book_as_markup() {
    let t = TestArchive::sqlite();
    let archive = Archive::open(&t.location).await.unwrap();
    let ids = fill(&archive).await;
    let books = books(&archive, &ids).await;
    let hostile = books.iter().find(|b| b.card.title.contains("Glass")).expect("the hostile page imported");
    let files = entries(&ficarchive_export::write(hostile, Format::Epub));
    let html = String::from_utf8(ficarchive_export::write(hostile, Format::Html)).unwrap();
    let mut documents: Vec<String> = files
        .iter()
        .filter(|(n, _, _)| n.ends_with(".xhtml") || n.ends_with(".opf"))
        .map(|(_, c, _)| String::from_utf8(c.clone()).unwrap())
        .collect();
    documents.push(html);
    for doc in &documents {
        for forbidden in [
            "<script",
            "onerror",
            "onmouseover",
            "javascript:",
            "<iframe",
            "<img src=\"http",
            "<center",
            "<font",
            "<strike",
            "<big",
            "&nbsp;",
            "&mdash;",
            "&hellip;",
        ] {
            assert!(!doc.contains(forbidden), "{forbidden} reached an exported document:\n{doc}");
        }
    }
    let chapter = entry(&files, "OEBPS/chapter-001.xhtml");
    assert!(chapter.contains("Bread &amp; salt."), "{chapter}");
    assert!(chapter.contains("\u{2014}"), "named entities become characters: {chapter}");
}

#[tokio::test]
async fn text_and_html_copies_read_like_the_work() {
    let t = TestArchive::sqlite();
    let archive = Archive::open(&t.location).await.unwrap();
    let ids = fill(&archive).await;
    let books = books(&archive, &ids).await;

    let long = books.iter().find(|b| b.card.title == "The Long Count").unwrap();
    let txt = String::from_utf8(ficarchive_export::write(long, Format::Text)).unwrap();
    assert!(txt.starts_with("The Long Count\nby Ada Pell\n\nSeries: Harbour Nights (part 2)\n"), "{}", &txt[..300]);
    assert!(txt.contains("\nChapter 40: Night 40\n"));
    assert!(txt.contains("\n                                 * * *\n"), "scene breaks are * * *");
    assert!(txt.contains("Summary:\n\nA summary of The Long Count.\n"));
    assert!(txt.trim_end().ends_with("The end, for now."));

    let chinese = books.iter().find(|b| b.card.title == "灯塔守望者的夜晚").unwrap();
    for book in [long, chinese] {
        let txt = String::from_utf8(ficarchive_export::write(book, Format::Text)).unwrap();
        for line in txt.lines() {
            assert!(textwrap::core::display_width(line) <= text::WIDTH, "line too wide: {line}");
        }
    }

    let html = String::from_utf8(ficarchive_export::write(long, Format::Html)).unwrap();
    assert!(html.starts_with("<!DOCTYPE html>\n<html lang=\"en\">"));
    assert!(html.contains("<li><a href=\"#chapter-40\">Chapter 40: Night 40</a></li>"));
    assert!(html.contains("<section id=\"chapter-40\">"));
    assert!(!html.contains("<script") && !html.contains("src=\""), "one self-contained file, nothing fetched");

    let empty = books.iter().find(|b| b.card.title == "Listed But Not Posted").unwrap();
    let txt = String::from_utf8(ficarchive_export::write(empty, Format::Text)).unwrap();
    assert!(txt.contains("Chapters: 3/5\n"), "{txt}");
    assert!(txt.contains("Status: In progress\n"), "{txt}");
    assert!(txt.contains("(This chapter has no text.)"), "{txt}");
}

#[tokio::test]
async fn importing_an_exported_book_gives_back_the_work() {
    let t = TestArchive::sqlite();
    let archive = Archive::open(&t.location).await.unwrap();
    let ids = fill(&archive).await;
    for book in books(&archive, &ids).await {
        let name = format!("{}.epub", book.file_stem());
        let work = ficarchive_parse::parse_file(&name, &ficarchive_export::write(&book, Format::Epub))
            .unwrap_or_else(|e| panic!("{name} does not import: {e}"));
        let title = &book.card.title;
        assert_eq!(work.title.as_deref(), Some(title.as_str()), "{name}");
        let authors: Vec<&str> = book.card.authors.iter().map(|a| a.name.as_str()).collect();
        assert_eq!(work.authors, authors, "{title}");
        assert_eq!(work.fandoms, book.tags(ficarchive_store::TagKind::Fandom), "{title}");
        assert_eq!(work.relationships, book.tags(ficarchive_store::TagKind::Relationship), "{title}");
        assert_eq!(work.characters, book.tags(ficarchive_store::TagKind::Character), "{title}");
        assert_eq!(work.chapters.len(), book.chapters.len(), "{title}: chapters");
        for ((entry, original), read) in book.chapters.iter().zip(&work.chapters) {
            // (Compared without printing: a chapter can be 50,000 words.)
            assert!(read.body.plain_text() == original.body.plain_text(), "{title}: the text of chapter {} differs", entry.place);
            assert!(read.notes.plain_text() == original.notes.plain_text(), "{title}: the notes of chapter {} differ", entry.place);
        }
        assert_eq!(work.words(), book.card.words, "{title}: words");
        assert_eq!(work.complete, book.card.complete, "{title}: completion");
        let series: Vec<(String, Option<u32>)> = work.series.iter().map(|s| (s.name.clone(), s.part)).collect();
        let expected: Vec<(String, Option<u32>)> = book.card.series.iter().take(1).map(|s| (s.name.clone(), s.part.or(Some(1)))).collect();
        assert_eq!(series, expected, "{title}: series");
    }
}
