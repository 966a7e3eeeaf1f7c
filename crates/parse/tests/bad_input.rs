//! Hostile and broken input: a clear error or a best-effort work with diagnostics, never a
//! panic. Sizes here are real (a 50 MB line, ten thousand nested elements).

use ficarchive_parse::{MAX_FILE_BYTES, ParseError, parse_file};

#[test]
fn a_file_over_the_bound_is_refused_with_its_size() {
    let big = vec![b'a'; MAX_FILE_BYTES + 1];
    let err = parse_file("huge.txt", &big).unwrap_err();
    assert!(matches!(err, ParseError::TooLarge { .. }));
    assert!(err.to_string().contains("too large"), "{err}");
}

#[test]
fn a_single_fifty_megabyte_line_parses_into_one_paragraph() {
    let line = "word ".repeat(10 * 1024 * 1024);
    let work = parse_file("line.txt", line.as_bytes()).expect("text parses");
    assert_eq!(work.words(), 10 * 1024 * 1024);
    assert_eq!(work.chapters.len(), 1);
}

#[test]
fn html_nested_ten_thousand_deep_keeps_its_text() {
    let mut page = String::from("<html><body>");
    for _ in 0..10_000 {
        page.push_str("<div><b>");
    }
    page.push_str("deep inside the story");
    for _ in 0..10_000 {
        page.push_str("</b></div>");
    }
    page.push_str("</body></html>");
    let work = parse_file("deep.html", page.as_bytes()).expect("html parses");
    let text: String = work.chapters.iter().map(|c| c.body.plain_text()).collect();
    assert!(text.contains("deep inside the story"), "{text:?}");
}

#[test]
fn invalid_utf8_is_decoded_with_a_diagnostic() {
    let bytes = b"Title: Broken \xff\xfe Bytes\nAuthor: Someone\n\nThe story \xc3 goes on.\n";
    let work = parse_file("broken.txt", bytes).expect("decodes");
    assert!(work.title.as_deref().unwrap_or("").starts_with("Broken"));
    assert!(!work.source.encoding.is_empty());
    assert!(!work.diagnostics.is_empty());
}

#[test]
fn binary_and_empty_files_are_clear_errors() {
    assert_eq!(parse_file("e.txt", b"").unwrap_err().to_string(), "the file is empty");
    let zip = b"PK\x03\x04\x14\x00\x00\x00\x08\x00";
    assert!(parse_file("files.zip", zip).unwrap_err().to_string().contains("ZIP archive"));
    // A book cut short is read as a book, and refused as one.
    let error = parse_file("book.epub", zip).unwrap_err().to_string();
    assert!(error.contains("EPUB refused: not a readable zip archive"), "{error}");
}

#[test]
fn a_page_that_is_only_markup_or_white_space_is_not_a_story_with_a_diagnostic_not_a_panic() {
    let pages: [(&str, &[u8]); 3] = [
        ("chrome.html", b"<html><body><nav><a href='/'>Home</a></nav><script>x()</script></body></html>"),
        ("blank.txt", b"  \n\n\t \n"),
        ("bom.txt", b"\xff\xfe"),
    ];
    for (name, bytes) in pages {
        let page = parse_file(name, bytes).unwrap();
        assert_eq!(page.kind, ficarchive_model::PageKind::Unknown, "{name}");
        assert!(page.diagnostics.iter().any(|d| d.contains("nothing in the file reads as a story")), "{name}: {:?}", page.diagnostics);
    }
    // A header with no story under it is still a work: its title and author are worth keeping.
    let work = parse_file("header-only.txt", b"Title: The Lost Ferry\nAuthor: Quillon\n").unwrap();
    assert_eq!(work.kind, ficarchive_model::PageKind::Work);
    assert!(work.diagnostics.iter().any(|d| d.contains("no story text")), "{:?}", work.diagnostics);
}

#[test]
fn a_mail_header_with_no_body_is_not_a_story() {
    let post = "Newsgroups: alt.example.creative\nFrom: jo@example.com (Jo Quill)\nSubject: Lanterns (PG)\nMessage-ID: <1@example.com>\n";
    let work = parse_file("post", post.as_bytes()).expect("a header block parses");
    // What the header says is kept, and nothing of it becomes story text.
    assert_eq!(work.title.as_deref(), Some("Lanterns"));
    assert_eq!(work.words(), 0);
    assert!(work.diagnostics.iter().any(|d| d.contains("no story text")), "{:?}", work.diagnostics);
}

#[test]
fn a_digest_of_ten_thousand_posts_parses_in_linear_time() {
    let mut digest = String::new();
    for n in 1..=10_000 {
        digest.push_str(&format!(
            "From: Poster {n} <p{n}@example.com>\nSubject: Drabble {n}\nDate: 1 Jan 1999\nMessage-ID: <{n}@example.com>\n\nA hundred words about the sea, number {n}.\n\n"
        ));
    }
    let started = std::time::Instant::now();
    let outcome = ficarchive_parse::parse_inputs(&[ficarchive_parse::Input::new("digest.txt", digest.as_bytes())]);
    assert_eq!(outcome.works.len(), 10_000);
    assert_eq!(outcome.works[9_999].title.as_deref(), Some("Drabble 10000"));
    assert!(started.elapsed().as_secs() < 60, "took {:?}", started.elapsed());
}

#[test]
fn a_sidecar_that_is_not_valid_json_is_reported_and_its_chapters_still_read() {
    let chapter = b"The lights came back on the second night.".as_slice();
    let outcome = ficarchive_parse::parse_inputs(&[
        ficarchive_parse::Input::new("tide/metadata.json", b"{\"title\": \"Tide\", \"chapters\": [\"one.txt\",}"),
        ficarchive_parse::Input::new("tide/one.txt", chapter),
    ]);
    assert_eq!(outcome.errors.len(), 1, "{:?}", outcome.errors);
    assert!(outcome.errors[0].1.to_string().contains("metadata"), "{}", outcome.errors[0].1);
    assert_eq!(outcome.works.len(), 1);
    assert!(outcome.works[0].chapters[0].body.plain_text().contains("second night"));
}
