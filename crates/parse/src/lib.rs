//! Raw fan-fiction files to works.
//!
//! The path through this crate: bytes → [`ficarchive_decode`] → a layout extractor
//! ([`html::ao3`], [`html::ffn`], [`html::efiction`], [`html::other_sites`], or the generic
//! readers for text, Markdown and other HTML) → [`lines`] → [`story`] (headers, chapters,
//! scene breaks, notes) → [`draft`] (precedence, completion) → [`group`] (chapter files and
//! `metadata.yaml`/`metadata.json` folders become one work), with [`mail`] for news and mail
//! posts and [`metadata`] for front matter and sidecars.
//!
//! Architecture invariant: no I/O. Inputs are bytes with a display path; parsing never panics
//! and never fails on a file it could decode: it returns a work with diagnostics. Errors are
//! only for bytes that are not a document at all (binary, empty, over the size bound).

pub mod dates;
pub mod draft;
pub mod epub;
pub mod group;
pub mod header;
pub mod html;
pub mod lines;
pub mod mail;
pub mod metadata;
mod mime;
mod numbers;
pub mod story;
pub mod wrapped;

use draft::Draft;
use ficarchive_model::Work;

/// Files above this size are refused: the largest real fan-fiction files (whole-work HTML
/// downloads of million-word epics) stay under 20 MB. Parsing holds at most about eight times
/// a file's size in memory, so this bounds a parse at about 512 MB.
pub const MAX_FILE_BYTES: usize = 64 * 1024 * 1024;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Format {
    Html,
    Text,
    Markdown,
    /// A `metadata.yaml` (pandoc) or `metadata.json` (scrapers) describing the files beside it.
    Metadata,
    /// An EPUB book (a zip, read from memory by [`epub`]).
    Epub,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ParseError {
    TooLarge {
        bytes: usize,
    },
    Decode(ficarchive_decode::DecodeError),
    /// A metadata file that could not be read as YAML.
    Metadata(String),
    /// An EPUB that is broken or hostile (the reason says which bound it broke).
    Epub(String),
}

impl std::fmt::Display for ParseError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            ParseError::TooLarge { bytes } => {
                write!(f, "file too large ({:.1} MB; the limit is {} MB): not parsed", *bytes as f64 / 1048576.0, MAX_FILE_BYTES >> 20)
            }
            ParseError::Decode(e) => write!(f, "{e}"),
            ParseError::Metadata(e) => write!(f, "unreadable metadata file: {e}"),
            ParseError::Epub(e) => write!(f, "EPUB refused: {e}"),
        }
    }
}

impl std::error::Error for ParseError {}

/// One input file: a path to show and to group by, and its bytes.
#[derive(Debug, Clone, Copy)]
pub struct Input<'a> {
    pub path: &'a str,
    pub bytes: &'a [u8],
    /// The bytes' sha256 (hex) when the caller has hashed them already, as the importer has;
    /// hashed here otherwise.
    pub sha256: Option<&'a str>,
}

impl<'a> Input<'a> {
    pub fn new(path: &'a str, bytes: &'a [u8]) -> Input<'a> {
        Input { path, bytes, sha256: None }
    }

    fn sha256(&self) -> String {
        self.sha256.map_or_else(|| sha256_hex(self.bytes), str::to_string)
    }
}

/// What a batch of inputs gives: works (chapter files already joined) and per-file errors.
#[derive(Debug, Default)]
pub struct Outcome {
    pub works: Vec<Work>,
    pub errors: Vec<(String, ParseError)>,
}

pub fn detect_format(path: &str, bytes: &[u8]) -> Format {
    if epub::is_epub(path, bytes) {
        return Format::Epub;
    }
    let lower = path.to_lowercase();
    let ext = lower.rsplit_once('.').map_or("", |(_, e)| e);
    match ext {
        "html" | "htm" | "xhtml" | "shtml" | "php" | "asp" | "aspx" => return Format::Html,
        "md" | "markdown" | "mdown" => return Format::Markdown,
        "yaml" | "yml" | "json" => return Format::Metadata,
        // Mail and news (a saved web page in MHTML is a MIME message too).
        "eml" | "mbox" | "mht" | "mhtml" | "msg" => return Format::Text,
        _ => {}
    }
    if looks_like_mail(bytes) || !looks_like_html(bytes) { Format::Text } else { Format::Html }
}

/// A file that opens with a mail or news header line, whatever markup its body holds.
fn looks_like_mail(bytes: &[u8]) -> bool {
    let head = &bytes[..bytes.len().min(256)];
    let text = String::from_utf8_lossy(head);
    let first = text.trim_start().lines().next().unwrap_or("").to_ascii_lowercase();
    ["from ", "from:", "subject:", "mime-version:", "path:", "newsgroups:", "received:", "return-path:", "message-id:", "article "]
        .iter()
        .any(|p| first.starts_with(p))
}

/// A `.txt` that is really a saved page: it opens with a doctype or `<html>`, or is dense with
/// paragraph tags.
fn looks_like_html(bytes: &[u8]) -> bool {
    let head = &bytes[..bytes.len().min(4096)];
    let text = String::from_utf8_lossy(head).to_lowercase();
    let trimmed = text.trim_start_matches(|c: char| c.is_whitespace() || c == '\u{feff}');
    if trimmed.starts_with("<!doctype html") || trimmed.starts_with("<html") || trimmed.starts_with("<?xml") {
        return true;
    }
    let tags = ["<p>", "<p ", "<br", "<div", "</p>", "<body", "<head"].iter().map(|t| text.matches(t).count()).sum::<usize>();
    tags >= 6
}

pub use ficarchive_model::sha256_hex;

/// The file name without folders and extension, for fallback titles.
pub fn file_stem(path: &str) -> &str {
    let name = path.rsplit(['/', '\\']).next().unwrap_or(path);
    name.rsplit_once('.').map_or(name, |(stem, _)| if stem.is_empty() { name } else { stem })
}

/// Parses one file into a work. Pandoc metadata files are not works: use [`parse_inputs`].
pub fn parse_file(path: &str, bytes: &[u8]) -> Result<Work, ParseError> {
    parse_hashed_file(path, bytes, sha256_hex(bytes))
}

/// [`parse_file`] for a caller that has already hashed the bytes. The importer hashes every
/// file first, on its reading thread, so that sources it already holds are skipped without
/// being parsed at all; parsing then need not hash again.
///
/// A file that holds several works (a digest of mail or news posts) gives its first here;
/// [`parse_inputs`] gives them all.
pub fn parse_hashed_file(path: &str, bytes: &[u8], sha256: String) -> Result<Work, ParseError> {
    let mut works = parse_file_works(path, bytes, sha256)?;
    Ok(works.swap_remove(0))
}

/// Every work one file holds (never an empty list): one for most files, one per post for a
/// digest of mail or news posts.
fn parse_file_works(path: &str, bytes: &[u8], sha256: String) -> Result<Vec<Work>, ParseError> {
    if bytes.len() > MAX_FILE_BYTES {
        return Err(ParseError::TooLarge { bytes: bytes.len() });
    }
    let format = detect_format(path, bytes);
    let stamp = |mut work: Work, layout: &str, encoding: &str| {
        work.source.paths = vec![path.to_string()];
        work.source.sha256 = vec![sha256.clone()];
        work.source.format = layout.to_string();
        work.source.encoding = encoding.to_string();
        work
    };
    if format == Format::Epub {
        let mut draft = Draft::new();
        let layout = epub::extract(bytes, &mut draft)?;
        return Ok(vec![stamp(draft.finish(file_stem(path)), layout, "utf-8")]);
    }
    let decoded = ficarchive_decode::decode(bytes, format == Format::Html).map_err(ParseError::Decode)?;
    // A page an app saved inside a JSON document or a script string.
    if matches!(format, Format::Text | Format::Html | Format::Metadata)
        && let Some(page) = wrapped::unwrap_page(&decoded.text)
    {
        let (work, layout) = held_page(&page.html, decoded.diagnostics.iter().cloned().chain(page.diagnostics), path);
        return Ok(vec![stamp(work, &format!("wrapped-{layout}"), decoded.encoding)]);
    }
    if format == Format::Metadata {
        return Err(ParseError::Metadata("a data file that is neither a work's metadata nor a saved page".into()));
    }
    if format == Format::Text {
        let posts = mail::read_posts(&decoded.text);
        // A web page saved as MHTML is a MIME message holding the page: read the page.
        if let [post] = posts.as_slice()
            && let Some(page) = mime::saved_web_page(post.header("content-type"), post.header("snapshot-content-location"), post.body)
        {
            let (work, layout) = held_page(&page.text, decoded.diagnostics.iter().cloned().chain(page.diagnostics), path);
            return Ok(vec![stamp(work, &format!("mhtml-{layout}"), decoded.encoding)]);
        }
        if !posts.is_empty() {
            let layout = if posts.iter().any(|p| p.header("newsgroups").is_some() || p.header("path").is_some()) {
                "news-post"
            } else {
                "mail-post"
            };
            let several = posts.len() > 1;
            let works = posts
                .iter()
                .enumerate()
                .map(|(k, post)| {
                    let mut draft = Draft::new();
                    draft.work.diagnostics.extend(decoded.diagnostics.iter().cloned());
                    if several {
                        draft.work.diagnostics.push(format!("post {} of {} in this file", k + 1, posts.len()));
                    }
                    if several && k == 0 && mail::is_digest_cover(post) {
                        draft.work.kind = ficarchive_model::PageKind::Unknown;
                        draft.work.diagnostics.push("a digest's cover and table of contents, not a story".into());
                    } else {
                        mail::read_post(post, &mut draft);
                    }
                    stamp(draft.finish(file_stem(path)), layout, decoded.encoding)
                })
                .collect();
            return Ok(works);
        }
    }
    let mut draft = Draft::new();
    let layout = match format {
        Format::Html => match metadata::split_front_matter(&decoded.text) {
            // A static site's page source: front matter over the page's HTML.
            Some((syntax, front, rest)) => {
                html::extract(rest, &mut draft);
                apply_front_matter(syntax, front, &mut draft);
                "html-front-matter"
            }
            None => html::extract(&decoded.text, &mut draft),
        },
        Format::Markdown => match metadata::split_front_matter(&decoded.text) {
            Some((syntax, front, rest)) => {
                let parts = story::parse(lines::from_markdown(rest), &story::Options::default());
                draft.take_story(parts);
                apply_front_matter(syntax, front, &mut draft);
                "markdown-front-matter"
            }
            None => {
                let parts = story::parse(lines::from_markdown(&decoded.text), &story::Options::default());
                draft.take_story(parts);
                "markdown"
            }
        },
        Format::Epub => unreachable!("EPUB books are read above"),
        Format::Text | Format::Metadata => {
            let parts = story::parse(lines::from_plain_text(&decoded.text), &story::Options::default());
            let layout = if parts.header.is_some() { "text-header-block" } else { "text" };
            draft.take_story(parts);
            layout
        }
    };
    draft.work.diagnostics.splice(0..0, decoded.diagnostics);
    Ok(vec![stamp(draft.finish(file_stem(path)), layout, decoded.encoding)])
}

/// A web page held inside another file (a JSON document, a script, an MHTML message), read
/// as the page it is, after the diagnostics of getting it out: (the work, the page's layout).
fn held_page(html: &str, diagnostics: impl Iterator<Item = String>, path: &str) -> (Work, &'static str) {
    let mut draft = Draft::new();
    draft.work.diagnostics.extend(diagnostics);
    let layout = html::extract(html, &mut draft);
    (draft.finish(file_stem(path)), layout)
}

/// Front matter states the work's metadata: it wins over what the text suggested. A file
/// that is one chapter of a work says which (`chapter: 3`, `chapter_title:`).
fn apply_front_matter(syntax: metadata::Syntax, front: &str, draft: &mut Draft) {
    match metadata::read_metadata_text(syntax, front) {
        Ok(meta) => {
            meta.apply(&mut draft.work);
            // Completion is settled when the draft finishes, by who stated it.
            if let Some(done) = meta.complete {
                draft.state_complete(draft::Authority::Field, done, "status in the front matter");
            }
            if let Some(n) = meta.chapter {
                draft.apply_part(Some(n), None);
            }
            if let (Some(title), [only]) = (&meta.chapter_title, draft.work.chapters.as_mut_slice())
                && only.title.is_none()
            {
                only.title = Some(title.clone());
            }
        }
        Err(e) => draft.work.diagnostics.push(format!("the front matter at the top could not be read ({e}); it was skipped")),
    }
}

/// Parses a batch: every file, then joins chapter files of one work and folders described by
/// a `metadata.yaml` ([`group`]).
pub fn parse_inputs(inputs: &[Input<'_>]) -> Outcome {
    let mut outcome = Outcome::default();
    let mut parsed = Vec::new();
    let mut metadata = Vec::new();
    for input in inputs {
        if detect_format(input.path, input.bytes) == Format::Metadata {
            match metadata::read_metadata_file(input.path, input.bytes) {
                Ok(meta) => {
                    metadata.push((input.path.to_string(), input.sha256(), meta));
                    continue;
                }
                // A JSON file not named as metadata may be a page an app saved; anything
                // else is reported with its reason.
                Err(e) if !input.path.to_lowercase().ends_with(".json") || metadata::is_metadata_name(input.path) => {
                    outcome.errors.push((input.path.to_string(), ParseError::Metadata(e)));
                    continue;
                }
                Err(_) => {}
            }
        }
        match parse_file_works(input.path, input.bytes, input.sha256()) {
            Ok(works) => parsed.extend(works),
            Err(e) => outcome.errors.push((input.path.to_string(), e)),
        }
    }
    outcome.works = group::group(parsed, metadata);
    outcome
}
