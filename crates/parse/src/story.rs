//! The story pipeline, shared by every source format: lines in, header fields, chapters
//! (with notes and document bodies), end markers and removed navigation out.
//!
//! Steps, in order: trim navigation at both ends; read a header block at the top; read title
//! lines (`Title by Author`, `FIC: "Title" (1/5)`); split chapters at headings; move
//! authors' notes out of the story; find scene breaks; note end markers.

use crate::header::{self, Field, HeaderBlock, Key};
use crate::lines::{self, Line, LineStyle};
use crate::numbers::parse_number;
use ficarchive_model::{Block, Document};
use regex::Regex;
use std::sync::LazyLock;

#[derive(Debug, Default)]
pub struct StoryParts {
    pub header: Option<HeaderBlock>,
    /// Title and author read from title lines (not labels).
    pub title_line: Option<TitleLine>,
    /// `Book N:` marker in the front matter.
    pub book: Option<u32>,
    /// Notes before the first chapter (authors' notes, dedications), as text.
    pub work_notes: Vec<Line>,
    pub chapters: Vec<ChapterParts>,
    pub end_marker: Option<EndMarker>,
    pub removed_navigation: Vec<String>,
    /// Fields found in label lines inside chapter notes (a per-chapter disclaimer).
    pub note_fields: Vec<Field>,
}

#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct TitleLine {
    pub title: Option<String>,
    pub author: Option<String>,
    pub part: Option<u32>,
    /// `Some(None)` for `(1/?)`: a total that is stated as unknown.
    pub total: Option<Option<u32>>,
}

#[derive(Debug, Clone, Default)]
pub struct ChapterParts {
    /// The number the heading states, when it states one.
    pub number: Option<u32>,
    pub title: Option<String>,
    /// The chapter's own summary, where a site gives chapters one (AO3).
    pub summary: Option<String>,
    pub notes: Document,
    pub end_notes: Document,
    pub body: Document,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct EndMarker {
    pub text: String,
    /// `Some(true)` for `The End`, `Some(false)` for `To Be Continued`.
    pub complete: bool,
}

pub struct Options {
    /// Look for a header block and title lines at the top.
    pub header: bool,
    /// Split into chapters at headings.
    pub chapters: bool,
}

impl Default for Options {
    fn default() -> Self {
        Options { header: true, chapters: true }
    }
}

pub fn parse(mut lines: Vec<Line>, opts: &Options) -> StoryParts {
    let mut parts = StoryParts::default();
    trim_navigation(&mut lines, &mut parts.removed_navigation);

    let mut start = 0;
    if opts.header {
        if let Some(block) = header::find_header_block(&lines) {
            start = block.end;
            parts.title_line = title_from_preamble(&block.preamble);
            parts.header = Some(block);
        } else if let Some((tl, used)) = title_lines_at(&lines) {
            parts.title_line = Some(tl);
            start = used;
            // A header block may follow the title lines.
            if let Some(block) = header::find_header_block(&lines[start..])
                && block.preamble.is_empty()
            {
                start += block.end;
                parts.header = Some(block);
            }
        }
    }
    let body = &lines[start..];
    let headings = if opts.chapters { find_headings(body) } else { Vec::new() };

    if headings.is_empty() {
        let (notes, rest) = leading_notes(body, &mut parts.note_fields);
        parts.work_notes = notes;
        parts.chapters.push(build_chapter(None, None, rest, &mut parts.note_fields));
    } else {
        let front = &body[..headings[0].line];
        // Everything before the first heading, header included, is what books repeat.
        let signature = FrontMatter::of(&lines[..start + headings[0].line]);
        parts.book = front.iter().find_map(|l| book_marker(&l.text));
        if parts.title_line.is_none() {
            parts.title_line = title_from_front_matter(front);
        }
        let substantive = ficarchive_model::words::count(&plain(front)) > 300;
        if substantive {
            parts.chapters.push(build_chapter(None, None, front, &mut parts.note_fields));
        } else {
            // Title, by-line and book lines are read, not notes.
            let used: Vec<&str> = parts.title_line.iter().flat_map(|t| [t.title.as_deref(), t.author.as_deref()]).flatten().collect();
            parts.work_notes = front
                .iter()
                .filter(|l| {
                    let tl = read_title_line(&l.text);
                    book_marker(&l.text).is_none() && !used.iter().any(|u| l.text == *u || tl.author.as_deref() == Some(u))
                })
                .cloned()
                .collect();
        }
        // Repeated front matter before a heading belongs to that chapter's notes.
        let mut carried: Vec<Block> = Vec::new();
        for (k, h) in headings.iter().enumerate() {
            let from = h.line + h.consumed;
            let next_heading = headings.get(k + 1).map_or(body.len(), |n| n.line);
            let to = if k + 1 < headings.len() { from + signature.strip_trailing(&body[from..next_heading]) } else { next_heading };
            let mut chapter = build_chapter(h.number, h.title.clone(), &body[from..to], &mut parts.note_fields);
            if !carried.is_empty() {
                carried.append(&mut chapter.notes.blocks);
                chapter.notes.blocks = std::mem::take(&mut carried);
            }
            carried = lines::to_blocks(&body[to..next_heading]);
            parts.chapters.push(chapter);
        }
    }
    if let Some(last) = parts.chapters.last() {
        parts.end_marker = end_marker(&last.body);
    }
    parts
}

fn plain(lines: &[Line]) -> String {
    lines.iter().map(|l| l.text.as_str()).collect::<Vec<_>>().join("\n")
}

/// Text of lines with paragraphs separated by a blank line and line breaks kept.
pub fn lines_to_paragraph_text(lines: &[Line]) -> String {
    Document::new(lines::to_blocks(lines)).plain_text()
}

// ---------------------------------------------------------------------------------------
// Navigation

const NAV_WORDS: &[&str] = &[
    "next",
    "prev",
    "previous",
    "back",
    "home",
    "index",
    "top",
    "main",
    "contents",
    "table of contents",
    "next part",
    "previous part",
    "next chapter",
    "previous chapter",
    "prev chapter",
    "back to top",
    "return to top",
    "go to top",
    "back to index",
    "return to index",
    "back to the index",
    "continue",
    "continued",
    "next page",
    "previous page",
    "prev page",
    "previous post next post",
    "prev next",
    "previous next",
    "back next",
    "home next",
    "prev home next",
    "previous home next",
    "index next",
    "prev index next",
    "previous index next",
    "back to main",
    "return to main",
    "main page",
    "story index",
    "back to stories",
    "return to stories",
    "read more",
    "first",
    "last",
    "first prev next last",
    "next >",
    "forward",
    "go back",
    "up",
    "chapter index",
    "fic index",
];

/// A line that is only a navigation link: `next`, `<< Prev | Next >>`, `Previous post Next post`,
/// `Part 3 >>`.
pub fn is_navigation(text: &str) -> bool {
    if text.chars().count() > 48 {
        return false;
    }
    let cleaned: String = text.chars().map(|c| if c.is_alphanumeric() || c == ' ' { c.to_ascii_lowercase() } else { ' ' }).collect();
    let cleaned = lines::clean_text(&cleaned);
    if cleaned.is_empty() {
        return false;
    }
    if NAV_WORDS.contains(&cleaned.as_str()) {
        return true;
    }
    // "Part 3 >>", "<< Chapter 2": a part or chapter pointer drawn with arrows.
    let arrows = text.contains(">>")
        || text.contains("<<")
        || text.contains('»')
        || text.contains('«')
        || text.contains("->")
        || text.contains("<-");
    arrows && NAV_POINTER.is_match(&cleaned)
}

static NAV_POINTER: LazyLock<Regex> = LazyLock::new(|| {
    Regex::new(r"^(?:next |previous |prev )?(?:part|chapter|ch|page)? ?[0-9ivx]+(?: of [0-9]+)?$|^(?:next|previous|prev)(?: (?:part|chapter|page))?(?: [0-9]+)?$").expect("literal regex")
});

fn trim_navigation(lines: &mut Vec<Line>, removed: &mut Vec<String>) {
    // Trailing: up to eight lines of links (and blank rules between them).
    let mut cut = lines.len();
    let mut seen = 0;
    while cut > 0 && seen < 8 {
        let l = &lines[cut - 1];
        if l.style == LineStyle::Rule && cut < lines.len() {
            cut -= 1;
            continue;
        }
        if is_navigation(&l.text) {
            removed.push(l.text.clone());
            cut -= 1;
            seen += 1;
        } else {
            break;
        }
    }
    lines.truncate(cut);
    // Leading: the same, at the top.
    let mut skip = 0;
    while skip < lines.len() && skip < 8 && is_navigation(&lines[skip].text) {
        removed.push(lines[skip].text.clone());
        skip += 1;
    }
    if skip > 0 {
        lines.drain(..skip);
        if let Some(first) = lines.first_mut() {
            first.para_start = true;
        }
    }
}

// ---------------------------------------------------------------------------------------
// Title lines

static PART_MARKER: LazyLock<Regex> = LazyLock::new(|| {
    Regex::new(
        r"(?ix)
        (?:
            [\(\[]\s*(?:part\s+)?(?P<n1>\d{1,3})\s*(?:/|\bof\b)\s*(?P<m1>\d{1,3}|\?|wip)\s*[\)\]]
          | \bpart\s+(?P<n2>\d{1,3})\s*(?:/|\bof\b)\s*(?P<m2>\d{1,3}|\?|wip)\b
          | \b(?P<n3>\d{1,3})\s*/\s*(?P<m3>\d{1,3}|\?|wip)\s*$
          | [,\-–:]?\s*\bpart\s+(?P<n4>\d{1,3})\s*$
        )",
    )
    .expect("literal regex")
});

/// A subject-line part marker: `(1/5)`, `[1/?]`, `1/WIP`, `Part 2 of 3`, `Part 8/9`.
/// Returns the text without the marker, the part and the total (`Some(None)`: unknown).
pub fn part_marker(text: &str) -> Option<(String, u32, Option<Option<u32>>)> {
    let caps = PART_MARKER.captures(text)?;
    let m = caps.get(0)?;
    let n: u32 = ["n1", "n2", "n3", "n4"].iter().find_map(|k| caps.name(k))?.as_str().parse().ok()?;
    let total = ["m1", "m2", "m3"].iter().find_map(|k| caps.name(k)).map(|t| t.as_str().parse::<u32>().ok());
    let rest = format!("{}{}", &text[..m.start()], &text[m.end()..]);
    let rest = rest.trim().trim_end_matches([',', '-', '–', ':']).trim().to_string();
    Some((rest, n, total))
}

static BY_LINE: LazyLock<Regex> =
    LazyLock::new(|| Regex::new(r"(?i)^(?P<title>.+?)\s*(?:/|,|-|–|—)?\s+by[:\s]\s*(?P<author>[^\s].{0,60})$").expect("literal regex"));
static BY_ALONE: LazyLock<Regex> =
    LazyLock::new(|| Regex::new(r"(?i)^(?:by|written by|a story by|a fic by)[:\s]\s*(?P<author>\S.{0,60})$").expect("literal regex"));
static FIC_PREFIX: LazyLock<Regex> =
    LazyLock::new(|| Regex::new(r"(?i)^(?:\[?(?:new\s+)?fic\]?|fanfic|new fic)\s*[:\-]?\s*").expect("literal regex"));

fn strip_quotes(s: &str) -> String {
    let t = s.trim().trim_matches(|c| matches!(c, '"' | '“' | '”' | '\'' | '‘' | '’')).trim();
    t.to_string()
}

/// Reads one title-like line: `FIC: "Title" (1/5)`, `Title by Author`, `Title / By Author`.
pub fn read_title_line(text: &str) -> TitleLine {
    let mut tl = TitleLine::default();
    let mut t = text.trim().to_string();
    if let Some(m) = FIC_PREFIX.find(&t)
        && m.end() > 0
        && m.end() < t.len()
    {
        t = t[m.end()..].to_string();
    }
    if let Some((rest, n, total)) = part_marker(&t) {
        tl.part = Some(n);
        tl.total = total;
        t = rest;
    }
    if let Some(c) = BY_ALONE.captures(&t) {
        tl.author = Some(strip_quotes(&c["author"]));
        return tl;
    }
    if let Some(c) = BY_LINE.captures(&t) {
        let title = strip_quotes(&c["title"]);
        let author = strip_quotes(&c["author"]);
        if !title.is_empty() && author.split_whitespace().count() <= 5 {
            tl.title = Some(title);
            tl.author = Some(author);
            return tl;
        }
    }
    let title = strip_quotes(&t);
    if !title.is_empty() {
        tl.title = Some(title);
    }
    tl
}

fn title_from_preamble(preamble: &[String]) -> Option<TitleLine> {
    let mut out = TitleLine::default();
    for text in preamble {
        let tl = read_title_line(text);
        if out.title.is_none() {
            out.title = tl.title;
        }
        if out.author.is_none() {
            out.author = tl.author;
        }
        if out.part.is_none() {
            out.part = tl.part;
            out.total = tl.total;
        }
    }
    (out != TitleLine::default()).then_some(out)
}

/// Title lines at the very top without a header block: `Title` + `by Author`, or
/// `Title by Author` on one line. Needs an author to be sure it is not the first line of prose.
fn title_lines_at(lines: &[Line]) -> Option<(TitleLine, usize)> {
    let first = lines.first()?;
    if first.text.chars().count() > 100 {
        return None;
    }
    let one = read_title_line(&first.text);
    if one.title.is_some() && one.author.is_some() {
        return Some((one, 1));
    }
    let second = lines.get(1)?;
    let two = read_title_line(&second.text);
    if two.author.is_some() && two.title.is_none() && first.text.chars().count() <= 100 && !first.text.ends_with('.') {
        let mut tl = read_title_line(&first.text);
        tl.author = two.author;
        return Some((tl, 2));
    }
    None
}

/// In front matter before the first chapter (Markdown books): a short line followed by a
/// `By NAME` line gives the title and the author.
fn title_from_front_matter(front: &[Line]) -> Option<TitleLine> {
    for w in front.windows(2) {
        let by = read_title_line(&w[1].text);
        if by.author.is_some() && by.title.is_none() && w[0].text.chars().count() <= 100 && header::label_line(&w[0].text).is_none() {
            return Some(TitleLine { title: Some(strip_quotes(&w[0].text)), author: by.author, part: None, total: None });
        }
    }
    None
}

static BOOK: LazyLock<Regex> =
    LazyLock::new(|| Regex::new(r"(?i)^(?:book|volume|vol\.?)\s+(\w+)\s*(?:[:.\-–—]|$)").expect("literal regex"));

fn book_marker(text: &str) -> Option<u32> {
    let c = BOOK.captures(text)?;
    parse_number(&c[1])
}

// ---------------------------------------------------------------------------------------
// Chapter headings

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Heading {
    pub line: usize,
    /// Lines the heading takes (2 when the title is on the next line).
    pub consumed: usize,
    pub number: Option<u32>,
    pub title: Option<String>,
}

static CHAPTER_RE: LazyLock<Regex> = LazyLock::new(|| {
    Regex::new(
        r"(?i)^(?:chapter|chap\.?|ch\.|kapitel|cap[ií]tulo|chapitre|capitolo|глава|part|teil|parte)\s*(?P<num>\d{1,4}|[ivxlc]{1,7}\b|[a-z]+(?:[\- ][a-z]+)?)\s*(?:(?P<sep>[:.\-–—)|]+|\s)\s*(?P<title>.*))?$",
    )
    .expect("literal regex")
});
static SPECIAL_RE: LazyLock<Regex> = LazyLock::new(|| {
    Regex::new(r"(?i)^(?P<kind>prologue|prolog|epilogue|epilog|interlude|пролог|эпилог)\s*(?:[:.\-–—]\s*(?P<title>.*))?$")
        .expect("literal regex")
});

/// Reads a chapter heading from a line (and maybe the next: `Chapter 2` then `Confessions`).
pub fn chapter_heading(lines: &[Line], i: usize) -> Option<Heading> {
    let line = &lines[i];
    // Cheap rejections first (this runs on every line): prose lines are long.
    if line.text.len() > 400 || !line.para_start && i > 0 && !line.emphasised {
        return None;
    }
    let text = line.text.trim_matches(|c: char| c == '*' || c == '_' || c == '#' || c == '~' || c == '=' || c.is_whitespace());
    if text.is_empty() || text.chars().count() > 100 {
        return None;
    }
    // Both patterns start with one of a few words: test the first letter before any regex.
    let first = text.chars().next().and_then(|c| c.to_lowercase().next()).unwrap_or(' ');
    if !matches!(first, 'c' | 'k' | 'p' | 't' | 'e' | 'i' | 'г' | 'п' | 'э') {
        return None;
    }
    let styled = line.emphasised || matches!(line.style, LineStyle::Heading(_));
    if let Some(c) = CHAPTER_RE.captures(text) {
        let number = parse_number(&c["num"])?;
        let sep = c.name("sep").map_or("", |m| m.as_str());
        let title = c.name("title").map(|t| t.as_str().trim()).filter(|t| !t.is_empty());
        if title.is_some() && sep.trim().is_empty() && !styled {
            // "Chapter 2 was the best": prose, unless the line is set apart.
            return None;
        }
        if title.is_some_and(|t| t.split_whitespace().count() > 14) {
            return None;
        }
        let mut heading = Heading { line: i, consumed: 1, number: Some(number), title: title.map(str::to_string) };
        if heading.title.is_none()
            && let Some(next) = lines.get(i + 1)
            && title_like(next, lines.get(i + 2))
        {
            heading.title = Some(next.text.clone());
            heading.consumed = 2;
        }
        return Some(heading);
    }
    if SPECIAL_RE.is_match(text) {
        return Some(Heading { line: i, consumed: 1, number: None, title: Some(text.to_string()) });
    }
    None
}

/// A chapter title on the line after a bare `Chapter N`: short, not a sentence, not a label.
fn title_like(line: &Line, after: Option<&Line>) -> bool {
    let t = &line.text;
    let words = t.split_whitespace().count();
    if words == 0 || words > 10 || t.chars().count() > 80 || line.style == LineStyle::Rule {
        return false;
    }
    if header::label_line(t).is_some() || is_scene_break(t) || CHAPTER_RE.is_match(t) {
        return false;
    }
    let styled = line.emphasised || matches!(line.style, LineStyle::Heading(_));
    let ends_sentence = t.ends_with(['.', ',', ';', '"', '”']) && !t.ends_with("...");
    let ends_exclaim = t.ends_with(['!', '?']);
    // The title stands alone: the next line starts a new paragraph.
    let alone = after.is_none_or(|a| a.para_start);
    alone && !ends_sentence && (styled || !ends_exclaim) && !t.starts_with(['"', '“', '\''])
}

fn find_headings(lines: &[Line]) -> Vec<Heading> {
    let mut found = Vec::new();
    let mut i = 0;
    while i < lines.len() {
        if let Some(h) = chapter_heading(lines, i) {
            i += h.consumed;
            found.push(h);
        } else {
            i += 1;
        }
    }
    // One lone `Epilogue` or `Interlude` after a long text is a section of a one-shot, not a
    // second chapter: a work split in chapters numbers them or names more than one.
    if let [lone] = found.as_slice()
        && lone.number.is_none()
        && lines::word_count(&lines[..lone.line]) > 300
    {
        return Vec::new();
    }
    if !found.is_empty() {
        return found;
    }
    // No "Chapter N" anywhere: headings of one level used at least twice are chapters.
    let levels: Vec<u8> = lines
        .iter()
        .filter_map(|l| match l.style {
            LineStyle::Heading(level) if l.text.chars().count() <= 100 => Some(level),
            _ => None,
        })
        .collect();
    if let Some(&top) = levels.iter().min()
        && levels.iter().filter(|&&l| l == top).count() >= 2
    {
        for (i, l) in lines.iter().enumerate() {
            if l.style == LineStyle::Heading(top) {
                found.push(Heading { line: i, consumed: 1, number: None, title: Some(l.text.clone()) });
            }
        }
        return found;
    }
    numbered_headings(lines)
}

/// Words of prose two numbered headings must have between them; fewer, and the numbers are
/// a list inside the story (`1. Buy milk`), not chapters.
const MIN_WORDS_BETWEEN_NUMBERED: usize = 25;

/// Chapters marked by numbers alone: a line `1` (the title, if any, on the next line) or
/// `1. Title`, standing as its own paragraph. Numbers are ambiguous, so they count only as a
/// run: at least two, counting up by one from where they start, each followed by prose.
fn numbered_headings(lines: &[Line]) -> Vec<Heading> {
    let mut found: Vec<Heading> = Vec::new();
    for i in 0..lines.len() {
        // A line the previous heading took as its title is not a heading of its own.
        if found.last().is_some_and(|h| i < h.line + h.consumed) {
            continue;
        }
        let Some(mut heading) = numbered_heading(lines, i) else { continue };
        let expected = found.last().and_then(|h| h.number).map_or(heading.number, |n| Some(n + 1));
        if heading.number != expected {
            continue;
        }
        if let Some(prev) = found.last() {
            let between = lines::word_count(&lines[prev.line + prev.consumed..i]);
            if between < MIN_WORDS_BETWEEN_NUMBERED {
                return Vec::new();
            }
        }
        if heading.title.is_none()
            && let Some(next) = lines.get(i + 1)
            && title_like(next, lines.get(i + 2))
        {
            heading.title = Some(next.text.clone());
            heading.consumed = 2;
        }
        found.push(heading);
    }
    let last = found.last().map_or(0, |h| h.line + h.consumed);
    let after = lines::word_count(&lines[last.min(lines.len())..]);
    if found.len() < 2 || after < MIN_WORDS_BETWEEN_NUMBERED || found[0].number.is_none_or(|n| n > 1) {
        return Vec::new();
    }
    found
}

/// One `1` or `1.` or `1. Title` line set apart as its own paragraph.
fn numbered_heading(lines: &[Line], i: usize) -> Option<Heading> {
    let line = &lines[i];
    let alone = lines.get(i + 1).is_none_or(|n| n.para_start);
    if !line.para_start && i > 0 || !alone || line.text.len() > 200 {
        return None;
    }
    let text = line.text.trim_matches(|c: char| c == '*' || c == '_' || c == '#' || c.is_whitespace());
    let digits = text.bytes().take_while(u8::is_ascii_digit).count();
    if digits == 0 || digits > 3 {
        return None;
    }
    let number: u32 = text[..digits].parse().ok()?;
    let rest = &text[digits..];
    let title = if rest.is_empty() || rest == "." {
        None
    } else {
        let title = rest.strip_prefix(". ").or_else(|| rest.strip_prefix(" - "))?.trim();
        let words = title.split_whitespace().count();
        if words == 0 || words > 10 || title.ends_with(['.', ',', ';', ':']) && !title.ends_with("...") {
            return None;
        }
        Some(title.to_string())
    };
    Some(Heading { line: i, consumed: 1, number: Some(number), title })
}

// ---------------------------------------------------------------------------------------
// Repeated front matter (Markdown books repeat their disclaimer before every chapter)

struct FrontMatter {
    texts: std::collections::HashSet<String>,
    labels: std::collections::HashSet<String>,
}

impl FrontMatter {
    fn of(front: &[Line]) -> FrontMatter {
        let texts = front.iter().map(|l| l.text.clone()).filter(|t| !t.is_empty()).collect();
        let labels = front.iter().filter_map(|l| header::label_line(&l.text)).map(|ll| header::label_key(ll.label)).collect();
        FrontMatter { texts, labels }
    }

    /// How many lines of `section` remain once trailing repeated front matter is removed.
    fn strip_trailing(&self, section: &[Line]) -> usize {
        let mut end = section.len();
        while end > 0 {
            let l = &section[end - 1];
            let repeated = self.texts.contains(&l.text)
                || header::label_line(&l.text).is_some_and(|ll| self.labels.contains(&header::label_key(ll.label)))
                || book_marker(&l.text).is_some();
            if repeated || l.style == LineStyle::Rule {
                end -= 1;
            } else {
                break;
            }
        }
        end
    }
}

// ---------------------------------------------------------------------------------------
// Notes

/// Is this line the start of an author's note (`A/N:`, `Author's Note:`, `Disclaimer:`)?
fn note_label(text: &str) -> Option<Key> {
    let ll = header::label_line(text)?;
    match ll.key? {
        k @ (Key::Notes | Key::EndNotes | Key::Extra("disclaimer") | Key::Extra("dedication") | Key::Extra("acknowledgements")) => Some(k),
        _ => None,
    }
}

/// Paragraphs at the start that are labelled notes or disclaimers.
fn leading_notes<'a>(lines: &'a [Line], fields: &mut Vec<Field>) -> (Vec<Line>, &'a [Line]) {
    let mut i = 0;
    while i < lines.len() && lines[i].style != LineStyle::Rule {
        if !lines[i].para_start && i > 0 {
            i += 1;
            continue;
        }
        match note_label(&lines[i].text) {
            Some(_) => {
                if let Some(ll) = header::label_line(&lines[i].text) {
                    fields.extend(header::split_fields(ll));
                }
                i += 1;
            }
            None => break,
        }
    }
    (lines[..i].to_vec(), &lines[i..])
}

/// A site layout's chapter text: scene breaks marked, edge rules dropped; no header, heading
/// or note detection (the layout gives those structurally).
pub fn body_document(lines: Vec<Line>) -> Document {
    let mut blocks = lines::to_blocks_with_breaks(&lines, is_drawn_break);
    trim_scene_breaks(&mut blocks);
    Document::new(blocks)
}

fn build_chapter(number: Option<u32>, title: Option<String>, lines: &[Line], fields: &mut Vec<Field>) -> ChapterParts {
    let (notes, rest) = leading_notes(lines, fields);
    // End notes: a note label in the last part of the chapter, and everything after it.
    let mut end_start = rest.len();
    let tail_from = rest.len() - rest.len() * 2 / 5;
    for (k, l) in rest.iter().enumerate().skip(tail_from) {
        if l.para_start && note_label(&l.text).is_some_and(|key| matches!(key, Key::Notes | Key::EndNotes)) {
            end_start = k;
            break;
        }
    }
    let body_lines = &rest[..end_start];
    let mut body = lines::to_blocks_with_breaks(body_lines, is_drawn_break);
    trim_scene_breaks(&mut body);
    ChapterParts {
        number,
        title,
        summary: None,
        notes: Document::new(lines::to_blocks(&notes)),
        end_notes: Document::new(lines::to_blocks(&rest[end_start..])),
        body: Document::new(body),
    }
}

// ---------------------------------------------------------------------------------------
// Scene breaks

/// A line drawn as a scene break: `~ ~ ~`, `***`, `* * *`, `---`, `###`, `oOo`, `xXx`, `-x-`,
/// `.:O:.` rules, or one centred symbol. Never a line of digits or a `2/3` count.
pub fn is_scene_break(text: &str) -> bool {
    let t = text.trim();
    let n = t.chars().count();
    if n == 0 || n > 80 {
        return false;
    }
    let mut symbols = 0;
    let mut letters = 0;
    let mut dots = 0;
    for c in t.chars() {
        if c.is_whitespace() {
            continue;
        }
        if matches!(c, 'o' | 'O' | 'x' | 'X' | '0') {
            letters += 1;
        } else if c.is_alphanumeric() {
            return false;
        } else if matches!(c, '.' | '…') {
            dots += 1;
        } else {
            symbols += 1;
        }
    }
    if symbols == 0 && letters == 0 {
        return false; // only dots: an ellipsis, part of the text
    }
    if letters > 0 && symbols == 0 {
        // oOo, xXx, OoOoO: mixed case or long runs only; "Oo" or "ox" are words.
        let mixed = t.chars().any(|c| c.is_lowercase()) && t.chars().any(|c| c.is_uppercase());
        return (mixed && letters >= 3) || letters >= 5 && !t.contains(' ') && t.chars().any(|c| c != t.chars().next().unwrap_or(' '));
    }
    if t.contains('/') && letters == 0 && symbols == 1 {
        return false;
    }
    // Punctuation that ends a sentence on its own ("!", "?", "-") is not a rule.
    if letters == 0 && symbols + dots == 1 && matches!(t, "!" | "?" | "-" | "\"" | "'" | ")" | "(") {
        return false;
    }
    true
}

fn is_drawn_break(line: &Line) -> bool {
    is_scene_break(&line.text)
}

fn trim_scene_breaks(blocks: &mut Vec<Block>) {
    while matches!(blocks.first(), Some(Block::SceneBreak)) {
        blocks.remove(0);
    }
    while matches!(blocks.last(), Some(Block::SceneBreak)) {
        blocks.pop();
    }
    blocks.dedup_by(|a, b| matches!(a, Block::SceneBreak) && matches!(b, Block::SceneBreak));
    drop_framing_breaks(blocks);
}

/// At most this many words before the first break and after the last, with ten times as
/// many between: the two breaks set off an opening and a closing aside of the author's
/// (`This one is sad -- ----- story ----- -- sorry!`), they do not divide scenes.
const FRAMED_ASIDE_WORDS: u64 = 40;

fn drop_framing_breaks(blocks: &mut Vec<Block>) {
    let (Some(first), Some(last)) =
        (blocks.iter().position(|b| matches!(b, Block::SceneBreak)), blocks.iter().rposition(|b| matches!(b, Block::SceneBreak)))
    else {
        return;
    };
    let words = |part: &[Block]| ficarchive_model::words::count(&Document::new(part.to_vec()).plain_text());
    if first == last || first > 3 || blocks.len() - last > 4 {
        return;
    }
    let (before, after) = (words(&blocks[..first]), words(&blocks[last + 1..]));
    if before == 0 || after == 0 || before > FRAMED_ASIDE_WORDS || after > FRAMED_ASIDE_WORDS {
        return;
    }
    if words(&blocks[first + 1..last]) >= 10 * (before + after) {
        blocks.remove(last);
        blocks.remove(first);
    }
}

// ---------------------------------------------------------------------------------------
// End markers

static END_RE: LazyLock<Regex> = LazyLock::new(|| {
    Regex::new(r"(?i)^[\W_]*(?P<m>to be continued|tbc|continued in (?:part|chapter) \w+|continued next (?:part|chapter)|the end|fin|end|ende|owari|конец|продолжение следует)[\W_]*$")
        .expect("literal regex")
});

pub fn end_marker_of(text: &str) -> Option<EndMarker> {
    if text.chars().count() > 60 {
        return None;
    }
    let c = END_RE.captures(text)?;
    let m = c["m"].to_lowercase();
    let incomplete = m.starts_with("to be") || m == "tbc" || m.starts_with("continued") || m.starts_with("продолжение");
    Some(EndMarker { text: text.to_string(), complete: !incomplete })
}

/// The end marker closing a chapter body, if any.
pub fn end_marker_of_document(body: &Document) -> Option<EndMarker> {
    end_marker(body)
}

fn end_marker(body: &Document) -> Option<EndMarker> {
    for block in body.blocks.iter().rev().take(2) {
        if let Block::Paragraph(inl) | Block::Heading { content: inl, .. } = block {
            let text = ficarchive_model::document::inlines_text(inl);
            let last_line = text.lines().last().unwrap_or("");
            if let Some(m) = end_marker_of(last_line) {
                return Some(m);
            }
        }
    }
    None
}

#[cfg(test)]
mod tests {
    use super::*;

    const PROSE: &str = "The rain had not stopped for three days, and the river was rising past the old stone \
        marker that her grandfather had set there before any of them were born. Nobody in the village talked about it.";

    fn chapters_of(text: &str) -> Vec<(Option<u32>, Option<String>)> {
        let parts = parse(lines::from_plain_text(text), &Options::default());
        parts.chapters.iter().map(|c| (c.number, c.title.clone())).collect()
    }

    #[test]
    fn number_lines_are_chapters_when_they_count_up_between_prose() {
        let bare = format!("1\n\nThe Beginning\n\n{PROSE}\n\n2\n\n{PROSE}\n\n3\n\nEnding\n\n{PROSE}\n");
        assert_eq!(chapters_of(&bare), vec![(Some(1), Some("The Beginning".into())), (Some(2), None), (Some(3), Some("Ending".into()))]);
        let dotted = format!("1. Arrival\n\n{PROSE}\n\n2. Departure\n\n{PROSE}\n");
        assert_eq!(chapters_of(&dotted), vec![(Some(1), Some("Arrival".into())), (Some(2), Some("Departure".into()))]);
    }

    #[test]
    fn a_lone_epilogue_after_a_long_text_is_a_section() {
        let long = format!("{PROSE}\n\n{PROSE}\n\n{PROSE}\n\n{PROSE}\n\n{PROSE}\n\n{PROSE}\n\n{PROSE}\n\n{PROSE}\n\n");
        assert_eq!(chapters_of(&format!("{long}EPILOGUE\n\n{PROSE}\n")).len(), 1);
        // Named more than once, or with little before it, it is a chapter.
        assert_eq!(chapters_of(&format!("Prologue\n\n{PROSE}\n\n{long}Epilogue\n\n{PROSE}\n")).len(), 2);
    }

    #[test]
    fn a_number_taken_as_the_title_of_the_one_before_is_not_a_heading() {
        // Found by fuzzing: "22" then "23" made "23" both a title and the next heading.
        assert_eq!(chapters_of("22\n\n\n\n23").len(), 1);
        assert_eq!(chapters_of(&format!("1\n\n2\n\n{PROSE}\n\n2\n\n{PROSE}\n")).len(), 2);
    }

    #[test]
    fn numbered_lists_and_stray_numbers_are_not_chapters() {
        // A list inside the story: no prose between the items.
        let list = format!("{PROSE}\n\n1. Buy milk\n\n2. Feed the cat\n\n3. Call mother\n\n{PROSE}\n");
        assert_eq!(chapters_of(&list).len(), 1);
        // Numbers that do not count up from one.
        let stray = format!("{PROSE}\n\n7\n\n{PROSE}\n\n12\n\n{PROSE}\n");
        assert_eq!(chapters_of(&stray).len(), 1);
        // A single number.
        let single = format!("1\n\n{PROSE}\n");
        assert_eq!(chapters_of(&single).len(), 1);
    }

    #[test]
    fn scene_breaks_and_not_scene_breaks() {
        for yes in ["~ ~ ~ ~ ~ ~ ~ ~", "***", "* * *", "---", "###", "oOo", "xXx", "-x-", ".:O:.:O:.", "*", "+~+~+", "OoOoOoO", "<><><>"] {
            assert!(is_scene_break(yes), "{yes}");
        }
        for no in ["2/3", "12", "...", "Oh", "ox", "No.", "!", "…", "A/N", "2"] {
            assert!(!is_scene_break(no), "{no}");
        }
    }

    #[test]
    fn navigation_lines() {
        for yes in ["next", "Next", "<< Prev | Next >>", "Previous post Next post", "next part >", "Part 3 >>", "Back to Top"] {
            assert!(is_navigation(yes), "{yes}");
        }
        for no in ["Next time, bring a coat.", "The next day", "Part of me"] {
            assert!(!is_navigation(no), "{no}");
        }
    }

    #[test]
    fn part_markers() {
        assert_eq!(part_marker("FIC: \"Dust\" (1/5)").map(|p| (p.1, p.2)), Some((1, Some(Some(5)))));
        assert_eq!(part_marker("Dust [2/?]").map(|p| (p.1, p.2)), Some((2, Some(None))));
        assert_eq!(part_marker("Dust 1/WIP").map(|p| (p.1, p.2)), Some((1, Some(None))));
        assert_eq!(part_marker("Dust, Part 2 of 3").map(|p| (p.0, p.1, p.2)), Some(("Dust".into(), 2, Some(Some(3)))));
        assert_eq!(part_marker("Dust Part 8/9").map(|p| (p.1, p.2)), Some((8, Some(Some(9)))));
    }

    #[test]
    fn title_lines() {
        let t = read_title_line("Harbour Lights by Jo Quill");
        assert_eq!((t.title.as_deref(), t.author.as_deref()), (Some("Harbour Lights"), Some("Jo Quill")));
        let t = read_title_line("Harbour Lights / By Jo Quill");
        assert_eq!((t.title.as_deref(), t.author.as_deref()), (Some("Harbour Lights"), Some("Jo Quill")));
        let t = read_title_line("FIC: \"Harbour Lights\" (2/3)");
        assert_eq!((t.title.as_deref(), t.part), (Some("Harbour Lights"), Some(2)));
    }

    #[test]
    fn end_markers() {
        assert!(!end_marker_of("To Be Continued...").unwrap().complete);
        assert!(!end_marker_of("TBC").unwrap().complete);
        assert!(end_marker_of("~Fin~").unwrap().complete);
        assert!(end_marker_of("THE END").unwrap().complete);
        assert!(end_marker_of("The endless night").is_none());
    }
}
