//! Mail and news posts: a story saved from a Usenet newsgroup or a mailing list.
//!
//! Such a file opens with an RFC 822 / RFC 1036 header block (an optional envelope
//! `From address date` line or an `Article: N of group` line, then `Name: value` headers in
//! any order, continuation lines indented, a blank line), and the story follows. A digest or
//! an archive file holds several posts one after another.
//!
//! What a post says about itself, and how far each part is trusted (strongest first):
//! - title: a `Title:` field in the post's own header block or a `Title by Author` line at
//!   the top of its text (the author's own words); the `Subject:` line with its conventions
//!   removed (`FIC:`, `NEW:`, `REPOST:`, `Re:`, list tags in brackets, part and rating
//!   markers). A line of the text that repeats the subject's title marks where the story
//!   starts.
//! - author: a by-line under the title in the text (the poster may be posting for a friend);
//!   an `Author:` field; the display name in `From:` (`addr (Name)` or `Name <addr>`); the
//!   mailbox of a bare address.
//! - rating: a `Rating:` field; a rating in brackets in the subject (`(PG - language)`).
//! - part: a `Part:` field or a marker in a title line; the subject's `[1/3]`, `(Part 2 of 5)`.
//! - date: a `Date:` field in the story's header; the post's `Date:`.
//!
//! Where two of these disagree, the stronger is used and the other is kept as a diagnostic.
//! The transport headers never reach the story; the newsgroups or list name go to `extra`.
//! Quoted lines of a reply, the `-- ` signature and a list's or remailer's footer are left
//! out of the text (each reported). A short preface before the title line or before the
//! first separator, and a short afterword after the last, are the poster's notes.
//!
//! Architecture invariant: pure and linear in the file's length (every scan is one pass
//! over the lines, with fixed look-ahead).

use crate::draft::Draft;
use crate::lines::{self, Line, LineStyle};
use crate::story;
use regex::Regex;
use std::sync::LazyLock;

/// One post: its headers (names as written, values unfolded) and its body.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Post<'a> {
    pub headers: Vec<(&'a str, String)>,
    pub body: &'a str,
}

impl Post<'_> {
    /// The first value of a header, by name, case-insensitively.
    pub fn header(&self, name: &str) -> Option<&str> {
        crate::mime::header(&self.headers, name).filter(|v| !v.is_empty())
    }

    /// A header's value with its encoded words decoded (`=?iso-8859-1?Q?Caf=E9?=`).
    pub fn decoded_header(&self, name: &str) -> Option<String> {
        self.header(name).map(|v| crate::mime::decode_words(v).into_owned())
    }
}

/// How much a header's name says about its block.
#[derive(Clone, Copy, PartialEq, Eq)]
enum Evidence {
    /// Written by mail and news software: its presence alone says "mail or news", not a
    /// story's header block.
    Strong,
    /// Mail and news write it, but a story's header could have it too.
    Weak,
}

/// Headers that mail and news software writes, with what each says. `From`, `Subject`,
/// `Date` and `X-` headers are read by rule in [`header_block`].
const MAIL_HEADERS: &[(&str, Evidence)] = &[
    ("snapshot-content-location", Evidence::Strong),
    ("path", Evidence::Strong),
    ("newsgroups", Evidence::Strong),
    ("message-id", Evidence::Strong),
    ("references", Evidence::Strong),
    ("in-reply-to", Evidence::Strong),
    ("xref", Evidence::Strong),
    ("nntp-posting-host", Evidence::Strong),
    ("received", Evidence::Strong),
    ("return-path", Evidence::Strong),
    ("mime-version", Evidence::Strong),
    ("delivered-to", Evidence::Strong),
    ("list-id", Evidence::Strong),
    ("x-mailing-list", Evidence::Strong),
    ("x-anonymously-to", Evidence::Strong),
    ("nntp-posting-user", Evidence::Weak),
    ("nntp-posting-date", Evidence::Weak),
    ("content-type", Evidence::Weak),
    ("content-transfer-encoding", Evidence::Weak),
    ("followup-to", Evidence::Weak),
    ("distribution", Evidence::Weak),
    ("lines", Evidence::Weak),
    ("sender", Evidence::Weak),
    ("reply-to", Evidence::Weak),
    ("organization", Evidence::Weak),
    ("list-post", Evidence::Weak),
    ("list-unsubscribe", Evidence::Weak),
    ("mailing-list", Evidence::Weak),
    ("precedence", Evidence::Weak),
    ("errors-to", Evidence::Weak),
    ("x-newsreader", Evidence::Weak),
    ("x-mailer", Evidence::Weak),
    ("user-agent", Evidence::Weak),
    ("approved", Evidence::Weak),
    ("article", Evidence::Weak),
    ("to", Evidence::Weak),
    ("cc", Evidence::Weak),
    ("apparently-to", Evidence::Weak),
    ("x-original-to", Evidence::Weak),
    ("x-sender", Evidence::Weak),
    ("x-trace", Evidence::Weak),
    ("x-complaints-to", Evidence::Weak),
    ("status", Evidence::Weak),
];

fn evidence(name: &str) -> Option<Evidence> {
    MAIL_HEADERS.iter().find(|(n, _)| *n == name).map(|(_, e)| *e)
}

static HEADER_LINE: LazyLock<Regex> = LazyLock::new(|| Regex::new(r"^([!-9;-~]{1,60}):(?:[ \t]+(.*)|$)").expect("literal regex"));
static ENVELOPE: LazyLock<Regex> = LazyLock::new(|| Regex::new(r"^>?From \S+ .*\d").expect("literal regex"));
static ARTICLE: LazyLock<Regex> = LazyLock::new(|| Regex::new(r"(?i)^Article:? \d+ of \S+\s*$").expect("literal regex"));

/// Posts at most this many header lines long; longer blocks are not headers.
const MAX_HEADER_LINES: usize = 200;

/// A header block starting at line `at` of `lines`: (headers, the line after the blank line
/// that ends the block). `None` when the lines there are not a mail or news header.
fn header_block<'a>(lines: &[&'a str], at: usize) -> Option<(Vec<(&'a str, String)>, usize)> {
    let mut i = at;
    let mut envelope = false;
    // Envelope lines: mbox `From addr date`, a news spool's `Article: 352 of group`.
    while i < lines.len() && i < at + 2 && (ENVELOPE.is_match(lines[i]) || ARTICLE.is_match(lines[i])) {
        envelope = true;
        i += 1;
    }
    let mut headers: Vec<(&'a str, String)> = Vec::new();
    while i < lines.len() && i < at + MAX_HEADER_LINES {
        let line = lines[i];
        if line.trim().is_empty() {
            break;
        }
        if line.starts_with([' ', '\t']) {
            let (_, value) = headers.last_mut()?;
            if !value.is_empty() {
                value.push(' ');
            }
            value.push_str(line.trim());
            i += 1;
            continue;
        }
        if ARTICLE.is_match(line) {
            envelope = true;
            i += 1;
            continue;
        }
        let caps = HEADER_LINE.captures(line)?;
        let name = caps.get(1)?.as_str();
        headers.push((name, caps.get(2).map_or("", |m| m.as_str()).trim().to_string()));
        i += 1;
    }
    let names: Vec<String> = headers.iter().map(|(n, _)| n.to_ascii_lowercase()).collect();
    let has = |n: &str| names.iter().any(|x| x == n);
    if !(has("from") || has("subject")) {
        return None;
    }
    let strong = names.iter().any(|n| evidence(n) == Some(Evidence::Strong));
    let mailish =
        names.iter().filter(|n| evidence(n).is_some() || n.starts_with("x-") || matches!(n.as_str(), "from" | "subject" | "date")).count();
    // From, Subject and Date, mostly mail headers; or From and Subject with nothing but mail
    // headers beside them.
    let plain_mail = has("from") && has("subject") && (has("date") && mailish * 3 >= names.len() * 2 || mailish == names.len());
    if !(envelope || strong || plain_mail) {
        return None;
    }
    // Skip the blank line(s) that end the block.
    while i < lines.len() && lines[i].trim().is_empty() {
        i += 1;
    }
    Some((headers, i))
}

/// Most posts one file is split into; the rest stays in the last post's body.
pub const MAX_POSTS: usize = 10_000;

/// The posts in a text, or an empty list when it does not open with a mail or news header
/// block. A digest's later posts start after a blank line or a separator line with an
/// envelope line or a header block of their own.
pub fn read_posts(text: &str) -> Vec<Post<'_>> {
    // Most texts are not posts: decide on the first lines alone before indexing them all.
    // (`split` and `split_inclusive` number the lines alike, so the block found here is the
    // first post's.)
    let head: Vec<&str> = text.split('\n').take(MAX_HEADER_LINES + 4).map(|l| l.trim_end_matches('\r')).collect();
    let first = head.iter().position(|l| !l.trim().is_empty()).unwrap_or(head.len());
    let Some(mut current) = head.get(first).filter(|l| may_open_post(l)).and_then(|_| header_block(&head, first)) else {
        return Vec::new();
    };
    // Each line, and where it starts, so that bodies stay slices of the text.
    let mut starts = Vec::new();
    let mut lines: Vec<&str> = Vec::new();
    let mut offset = 0;
    for line in text.split_inclusive('\n') {
        starts.push(offset);
        lines.push(line.trim_end_matches(['\n', '\r']));
        offset += line.len();
    }
    let mut posts = Vec::new();
    let mut i = current.1;
    while i < lines.len() {
        let after_break = i > 0 && (lines[i - 1].trim().is_empty() || is_digest_separator(lines[i - 1]));
        if after_break
            && posts.len() + 1 < MAX_POSTS
            && may_open_post(lines[i])
            && let Some((headers, next_body)) = header_block(&lines, i)
            && headers.len() >= 2
        {
            let end = starts.get(i).copied().unwrap_or(text.len());
            let body_start = starts.get(current.1).copied().unwrap_or(text.len()).min(end);
            posts.push(Post { headers: std::mem::take(&mut current.0), body: strip_separator(&text[body_start..end]) });
            current = (headers, next_body);
            i = next_body.max(i + 1);
            continue;
        }
        i += 1;
    }
    let body_start = starts.get(current.1).copied().unwrap_or(text.len());
    posts.push(Post { headers: current.0, body: &text[body_start..] });
    posts
}

/// Cheap rejection before [`header_block`]: a post opens with an envelope line or a header
/// name and colon.
fn may_open_post(line: &str) -> bool {
    line.starts_with("From ") || line.starts_with(">From ") || line.starts_with("Article") || HEADER_LINE.is_match(line)
}

fn is_digest_separator(line: &str) -> bool {
    let t = line.trim();
    t.len() >= 20 && t.chars().all(|c| c == '-' || c == '=' || c == '_')
}

/// A digest's separator line at the end of a post's body belongs to the digest.
fn strip_separator(body: &str) -> &str {
    let trimmed = body.trim_end();
    match trimmed.rfind('\n') {
        Some(i) if is_digest_separator(&trimmed[i + 1..]) => &trimmed[..i + 1],
        _ => body,
    }
}

/// The poster's name and address from a `From:` value: `addr (Name)`, `Name <addr>`,
/// `"Name" <addr>`, or a bare `addr`.
pub fn read_from(value: &str) -> (Option<String>, Option<String>) {
    static ANGLE: LazyLock<Regex> = LazyLock::new(|| Regex::new(r"^(.*?)\s*<([^<>\s]+@[^<>\s]+)>\s*(.*)$").expect("literal regex"));
    static PAREN: LazyLock<Regex> = LazyLock::new(|| Regex::new(r"^(\S+@\S+)\s*\((.*)\)\s*$").expect("literal regex"));
    // Web archives of lists write `mira at example.org`.
    static AT: LazyLock<Regex> = LazyLock::new(|| Regex::new(r"([\w.+\-]+) at ([\w\-]+\.[\w.\-]+)").expect("literal regex"));
    let v = AT.replace_all(value.trim(), "$1@$2");
    let v = v.as_ref();
    let clean_name = |n: &str| {
        let n = lines::clean_text(n.trim().trim_matches(|c| c == '"' || c == '\''));
        (!n.is_empty() && !n.contains('@')).then_some(n)
    };
    if let Some(c) = ANGLE.captures(v) {
        let name = clean_name(&c[1]).or_else(|| clean_name(c[3].trim_matches(['(', ')'])));
        return (name, Some(c[2].to_string()));
    }
    if let Some(c) = PAREN.captures(v) {
        return (clean_name(&c[2]), Some(c[1].to_string()));
    }
    if v.contains('@') && !v.contains(' ') {
        return (None, Some(v.trim_matches(['<', '>']).to_string()));
    }
    (clean_name(v), None)
}

/// What a subject line says: `FIC: Title (PG-13) [2/5]`.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Subject {
    pub title: Option<String>,
    pub rating: Option<String>,
    pub part: Option<u32>,
    /// `Some(None)` for `[1/?]`.
    pub total: Option<Option<u32>>,
    /// `Re:`: a reply (a comment, or a part posted as a follow-up).
    pub reply: bool,
    /// Bracketed words that are neither a rating nor a part marker (list tags, fandoms,
    /// classification codes such as `MSR`).
    pub other: Vec<String>,
    /// A pairing in brackets (`[Mulder/Scully]`).
    pub pairing: Option<String>,
    /// `Title by Author` in the subject.
    pub author: Option<String>,
}

/// Bracketed words that are a posting's kind, not a tag: `[FIC]`, `[NEW]`.
fn is_kind_tag(tag: &str) -> bool {
    matches!(tag.to_lowercase().as_str(), "fic" | "new" | "new fic" | "repost" | "wip" | "fanfic" | "story" | "new story" | "ann" | "part")
}

/// A bracketed aside that classifies the story rather than naming it: a pairing (`M/S`),
/// a comma list (`MSR, angst`), or a short code in capitals (`MSR`, `AU`, `X-over`).
fn is_classification(inner: &str) -> bool {
    let letters: Vec<char> = inner.chars().filter(|c| c.is_alphabetic()).collect();
    let code = !letters.is_empty()
        && inner.chars().count() <= 12
        && letters.iter().all(|c| c.is_uppercase() || *c == 'o' || *c == 'v' || *c == 'e' || *c == 'r');
    inner.contains('/') || inner.contains(',') || code && letters.iter().filter(|c| c.is_uppercase()).count() >= 2
}

static SUBJECT_PREFIX: LazyLock<Regex> = LazyLock::new(|| {
    Regex::new(r"(?i)^(?:(?P<re>re|aw|sv)|fwd?|fw|new\s+fic|new\s+story|new|repost|re-post|fic|fanfic|fan\s+fic|story|wip|part|ann)\s*(?:\[\d+\])?\s*[:\-–]\s*")
        .expect("literal regex")
});
static BRACKETED: LazyLock<Regex> = LazyLock::new(|| Regex::new(r"[\(\[\{]([^\(\)\[\]\{\}]{1,60})[\)\]\}]").expect("literal regex"));

/// Reads a subject line's conventions.
pub fn read_subject(value: &str) -> Subject {
    let mut s = Subject::default();
    let mut t = lines::clean_text(value);
    // Prefixes and leading tags, in any order: `Re: [XF] NEW: Title`.
    loop {
        if let Some(c) = SUBJECT_PREFIX.captures(&t) {
            s.reply |= c.name("re").is_some();
            t = t[c.get(0).map_or(0, |m| m.end())..].to_string();
            continue;
        }
        if t.starts_with('[')
            && let Some(end) = t.find(']')
            && end + 1 < t.len()
        {
            let tag = t[1..end].trim().to_string();
            if !read_bracket(&tag, &mut s) && !tag.is_empty() && !is_kind_tag(&tag) {
                s.other.push(tag);
            }
            t = t[end + 1..].trim_start().to_string();
            continue;
        }
        break;
    }
    if let Some((rest, n, total)) = story::part_marker(&t) {
        s.part = Some(n);
        s.total = total;
        t = rest;
    }
    // Bracketed groups anywhere else: ratings, part markers; and, after the title,
    // classifications (`(MSR)`, `[Mulder/Scully]`). A bracket inside the title stays.
    let groups: Vec<(usize, usize, String)> =
        BRACKETED.captures_iter(&t).filter_map(|m| m.get(0).map(|w| (w.start(), w.end(), m[1].trim().to_string()))).collect();
    let mut kept = String::new();
    let mut last = 0;
    for (k, (start, end, inner)) in groups.iter().enumerate() {
        // Trailing: nothing but other groups and part markers follow it.
        let trailing = groups[k + 1..].iter().fold(t[*end..].to_string(), |rest, g| rest.replace(&t[g.0..g.1], "")).trim().is_empty()
            || story::part_marker(t[*end..].trim()).is_some_and(|(rest, ..)| rest.is_empty());
        let read = read_bracket(inner, &mut s);
        let classification = !read && trailing && is_classification(inner);
        if read || classification {
            if classification {
                if inner.contains('/') && !inner.contains(',') && s.pairing.is_none() {
                    s.pairing = Some(inner.clone());
                } else {
                    s.other.push(inner.clone());
                }
            }
            kept.push_str(&t[last..*start]);
            last = *end;
        }
    }
    kept.push_str(&t[last..]);
    let mut t = lines::clean_text(&kept);
    if s.part.is_none()
        && let Some((rest, n, total)) = story::part_marker(&t)
    {
        s.part = Some(n);
        s.total = total;
        t = rest;
    }
    let t = t.trim().trim_end_matches([',', '-', '–', ':', ';']).trim();
    let t = t.trim_matches(|c| matches!(c, '"' | '“' | '”')).trim();
    // `Title by Author`.
    let by = story::read_title_line(t);
    if let (Some(title), Some(author)) = (by.title, by.author) {
        s.title = Some(title);
        s.author = Some(author);
    } else if !t.is_empty() {
        s.title = Some(t.to_string());
    }
    s
}

/// A bracketed aside in a subject: a part marker or a rating (with its reason, `PG -
/// language`), each item of a comma list read on its own. True when it was one of those.
fn read_bracket(inner: &str, s: &mut Subject) -> bool {
    if let Some((rest, n, total)) = story::part_marker(&format!("({inner})"))
        && rest.is_empty()
    {
        if s.part.is_none() {
            s.part = Some(n);
            s.total = total;
        }
        return true;
    }
    let mut used = false;
    for item in inner.split([',', ';']) {
        let item = item.trim();
        let item = item.strip_prefix("Rated ").or_else(|| item.strip_prefix("rated ")).unwrap_or(item);
        // "PG - language", "R for violence": the rating is the first word or two.
        let head = item.split(" - ").next().unwrap_or(item).split(" for ").next().unwrap_or(item).trim();
        if let Some(rating) = [head, item].into_iter().find(|r| ficarchive_model::Rating::from_raw(r).1) {
            if s.rating.is_none() {
                s.rating = Some(rating.to_string());
            }
            used = true;
        }
    }
    used
}

/// Reads one post into a draft (see the module documentation for the order of trust).
pub fn read_post(post: &Post<'_>, draft: &mut Draft) {
    let subject = post.decoded_header("subject").as_deref().map(read_subject).unwrap_or_default();
    let (from_name, from_address) = post.decoded_header("from").as_deref().map(read_from).unwrap_or_default();
    let mime = crate::mime::body_text(post.header("content-type"), post.header("content-transfer-encoding"), post.body);
    draft.work.diagnostics.extend(mime.diagnostics);
    let body = Body::of(&mime.text, draft);
    let mut lines = lines::from_plain_text(&body.text);

    // The preface: text before the title line, or before a story header further down.
    let mut preface: Vec<Line> = Vec::new();
    let mut by_line_author = None;
    if let Some(title) = &subject.title
        && let Some(at) = title_line_at(&lines, title)
    {
        let tl = story::read_title_line(&lines[at].text);
        let mut skip = 1;
        if tl.author.is_some() {
            by_line_author = tl.author;
        } else if let Some(next) = lines.get(at + 1) {
            let by = story::read_title_line(&next.text);
            if by.title.is_none() && by.author.is_some() {
                by_line_author = by.author;
                skip = 2;
            }
        }
        preface.extend(lines.drain(..at));
        lines.drain(..skip);
        while preface.last().is_some_and(is_separator) {
            preface.pop();
        }
    } else if let Some(start) = crate::header::header_block_below(&lines) {
        preface.extend(lines.drain(..start));
    }
    let afterword = frame_notes(&mut lines, &mut preface);
    if let Some(first) = lines.first_mut() {
        first.para_start = true;
    }
    let parts = story::parse(lines, &story::Options::default());

    if let Some(a) = &by_line_author {
        draft.offer_authors(strip_year(a), "the by-line under the title");
    }
    draft.take_story(parts);
    if !preface.is_empty() {
        draft.add_note(&story::lines_to_paragraph_text(&preface));
    }
    if !afterword.is_empty() && draft.work.end_notes.is_none() {
        draft.work.end_notes = Some(story::lines_to_paragraph_text(&afterword));
    }

    // The subject fills what the post's own text left open.
    if let Some(t) = &subject.title {
        draft.offer_title(t, "the subject line");
    }
    if let Some(r) = &subject.rating {
        draft.set_rating(r);
    }
    if let Some(p) = &subject.pairing
        && draft.work.relationships.is_empty()
    {
        draft.work.relationships = vec![p.clone()];
    }
    if let Some(a) = &subject.author {
        draft.offer_authors(a, "the subject line");
    }
    draft.apply_part(subject.part, subject.total);
    if !subject.other.is_empty() {
        draft.set_extra("subject_tags", &subject.other.join(", "));
    }
    if subject.reply {
        draft.set_extra("reply", "yes");
    }

    // The poster: the author unless the text names another.
    let poster = from_name.clone().or_else(|| from_address.as_deref().and_then(|a| a.split('@').next()).map(str::to_string));
    if let Some(p) = &poster {
        if draft.work.authors.is_empty() {
            draft.work.authors = vec![p.clone()];
        } else if from_name.as_ref().is_some_and(|n| !draft.work.authors.iter().any(|a| same_words(a, n))) {
            draft.set_extra("posted_by", p);
            draft
                .work
                .diagnostics
                .push(format!("posted by {p}; the text names {} as the author, who is used", draft.work.authors.join(" & ")));
        }
    }
    if let Some(a) = &from_address {
        let key = if draft.work.extra.contains_key("posted_by") { "posted_by_email" } else { "email" };
        draft.work.extra.entry(key.into()).or_insert_with(|| a.clone());
    }
    if let Some(d) = post.header("date").and_then(crate::dates::parse_date)
        && draft.work.published.is_none()
    {
        draft.work.published = Some(d);
    }
    if let Some(groups) = post.header("newsgroups") {
        draft.set_extra("newsgroups", groups);
    }
    if let Some(list) = post.header("list-id").or_else(|| post.header("x-mailing-list")).or_else(|| post.header("mailing-list")) {
        draft.set_extra("mailing_list", list);
    }
    if let Some(id) = post.header("message-id") {
        draft.set_extra("message_id", id);
    }
    if subject.reply && body.quoted_lines > 0 && draft.work.words() < 100 {
        draft.work.kind = ficarchive_model::PageKind::Unknown;
        draft.work.diagnostics.push("a reply quoting an earlier post, not a story".into());
    }
}

/// `Kate Orman, 1993` → `Kate Orman`.
fn strip_year(author: &str) -> &str {
    static YEAR: LazyLock<Regex> = LazyLock::new(|| Regex::new(r"\s*(?:,|\(c\)|©)?\s*\(?(?:19|20)\d\d\)?\s*$").expect("literal regex"));
    match YEAR.find(author) {
        Some(m) if m.start() > 0 => author[..m.start()].trim_end_matches(',').trim(),
        _ => author,
    }
}

fn fold(s: &str) -> String {
    s.chars()
        .filter(|c| c.is_alphanumeric() || c.is_whitespace())
        .flat_map(char::to_lowercase)
        .collect::<String>()
        .split_whitespace()
        .collect::<Vec<_>>()
        .join(" ")
}

fn same_words(a: &str, b: &str) -> bool {
    fold(a) == fold(b)
}

/// Lines searched for the title line: the title sits near the top or after a preface.
const TITLE_SEARCH_LINES: usize = 200;

/// The line that repeats the subject's title (as `Title`, `*Title*`, `TITLE` or `Title by
/// Author`), within the first part of the text.
fn title_line_at(lines: &[Line], title: &str) -> Option<usize> {
    let want = fold(title);
    if want.is_empty() {
        return None;
    }
    let limit = TITLE_SEARCH_LINES.min(lines.len() / 2 + 1).min(lines.len());
    (0..limit).find(|&i| {
        let text = &lines[i].text;
        text.len() <= title.len() * 3 + 80
            && lines[i].para_start
            && (fold(text) == want || story::read_title_line(text).title.is_some_and(|t| fold(&t) == want))
    })
}

/// Words of a poster talking to readers about the story, rather than of the story itself.
static NOTE_CUES: LazyLock<Regex> = LazyLock::new(|| {
    Regex::new(r"(?i)\b(?:stor(?:y|ies)|fic|fanfic|fan fiction|fanfiction|comments?|feedback|criticisms?|c&c|disclaim\w*|post(?:ed|ing)?|e-?mail|archiv\w*|download|copyright|belongs?|dedicated|enjoy|my creation|a/n|author'?s note|spoilers?|rated|sequel|flames?|fanzine|usenet|newsgroup|mailing list|characters?)\b")
        .expect("literal regex")
});

/// A paragraph run reads as the poster's note when it uses two different cue words, or one
/// in a few lines (`Comments welcome!`).
fn reads_as_note(lines: &[Line]) -> bool {
    let mut cues: Vec<String> = Vec::new();
    for l in lines {
        for m in NOTE_CUES.find_iter(&l.text) {
            let cue = m.as_str().to_lowercase();
            if !cues.contains(&cue) {
                cues.push(cue);
            }
        }
    }
    cues.len() >= 2 || !cues.is_empty() && lines::word_count(lines) <= 60
}

/// A digest's first post, its cover and table of contents (`list Digest, Vol 3, Issue 12`),
/// is not a story.
pub fn is_digest_cover(post: &Post<'_>) -> bool {
    static DIGEST: LazyLock<Regex> = LazyLock::new(|| Regex::new(r"(?i)\bdigest\b").expect("literal regex"));
    post.header("subject").is_some_and(|s| DIGEST.is_match(s))
}

fn is_separator(l: &Line) -> bool {
    l.style == LineStyle::Rule || story::is_scene_break(&l.text)
}

/// A short preface before the first separator and a short afterword after the last, when
/// they read as the poster's notes, come out of the story (the separators with them).
/// Returns the afterword; the preface is appended to `preface`.
fn frame_notes(lines: &mut Vec<Line>, preface: &mut Vec<Line>) -> Vec<Line> {
    let total = lines::word_count(lines).max(1);
    let mut afterword = Vec::new();
    if let Some(last) = lines.iter().rposition(is_separator) {
        let after = &lines[last + 1..];
        let words = lines::word_count(after);
        if words > 0 && words <= 150 && words * 7 <= total && reads_as_note(after) {
            afterword = lines.split_off(last + 1);
            lines.pop();
        }
    }
    let first = lines.iter().position(is_separator).filter(|&i| i > 0);
    if let Some(first) = first {
        let before = &lines[..first];
        let words = lines::word_count(before);
        if words <= 500 && words * 10 <= total * 3 && reads_as_note(before) {
            preface.extend(lines.drain(..=first));
            preface.pop();
        }
    }
    // Separators left at the edges frame nothing.
    let leading = lines.iter().take_while(|l| is_separator(l)).count();
    lines.drain(..leading);
    while preface.first().is_some_and(is_separator) {
        preface.remove(0);
    }
    afterword
}

/// A post's body with what is not the story taken out.
struct Body {
    text: String,
    quoted_lines: usize,
}

static ATTRIBUTION: LazyLock<Regex> = LazyLock::new(|| Regex::new(r"(?i)(?:wrote|writes|said|schrieb)\s*:\s*$").expect("literal regex"));

impl Body {
    fn of(body: &str, draft: &mut Draft) -> Body {
        let mut lines: Vec<&str> = body.lines().collect();
        // The signature: everything after the last `-- ` line, when it is short.
        if let Some(sig) = lines.iter().rposition(|l| l.starts_with("--") && l[2..].trim().is_empty()) {
            let rest: Vec<&str> = lines[sig + 1..].iter().copied().filter(|l| !l.trim().is_empty()).collect();
            if rest.len() <= 12 {
                if !rest.is_empty() {
                    draft.set_extra("signature", &rest.iter().map(|l| l.trim()).collect::<Vec<_>>().join("\n"));
                    let plural = if rest.len() == 1 { "" } else { "s" };
                    draft.work.diagnostics.push(format!("left out the poster's signature ({} line{plural})", rest.len()));
                }
                lines.truncate(sig);
            }
        }
        // A list's or remailer's footer: a few lines with an address after a ruled line.
        while let Some(end) = lines.iter().rposition(|l| !l.trim().is_empty()) {
            let Some(rule) =
                lines[..=end].iter().rposition(|l| l.trim().len() >= 10 && l.trim().chars().all(|c| matches!(c, '-' | '_' | '=' | '*')))
            else {
                break;
            };
            let footer: Vec<&str> = lines[rule + 1..=end].iter().copied().filter(|l| !l.trim().is_empty()).collect();
            let addressed = footer
                .iter()
                .any(|l| l.contains('@') || l.contains("http://") || l.contains("https://") || l.to_lowercase().contains("unsubscribe"));
            if footer.is_empty() || footer.len() > 8 || !addressed {
                break;
            }
            draft.set_extra("mail_footer", &footer.iter().map(|l| l.trim()).collect::<Vec<_>>().join("\n"));
            draft.work.diagnostics.push(format!("left out a footer of {} lines added by the list or remailer", footer.len()));
            lines.truncate(rule);
        }
        // Quoted lines of a reply, with the line that introduces them. A body that is nearly
        // all quoted is a forwarded story: it is unquoted instead.
        let is_quote = |l: &str| l.trim_start().starts_with('>');
        let non_blank = lines.iter().filter(|l| !l.trim().is_empty()).count();
        let quoted = lines.iter().filter(|l| is_quote(l)).count();
        let mut text = String::with_capacity(body.len());
        if quoted > 0 && quoted * 10 >= non_blank * 8 {
            for l in &lines {
                let t = l.trim_start();
                text.push_str(t.strip_prefix('>').map_or(*l, |r| r.strip_prefix(' ').unwrap_or(r)));
                text.push('\n');
            }
            draft.work.diagnostics.push(format!("the post quotes its whole text ({quoted} lines); read without the quote marks"));
            return Body { text, quoted_lines: 0 };
        }
        let mut dropped = 0;
        for (k, l) in lines.iter().enumerate() {
            let introduces = ATTRIBUTION.is_match(l)
                && lines.get(k + 1).is_some_and(|n| is_quote(n) || n.trim().is_empty() && lines.get(k + 2).is_some_and(|n| is_quote(n)));
            if is_quote(l) || introduces {
                dropped += 1;
                continue;
            }
            text.push_str(l);
            text.push('\n');
        }
        if dropped > 0 {
            draft.work.diagnostics.push(format!("left out {dropped} quoted lines of an earlier post"));
        }
        Body { text, quoted_lines: quoted }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn from_in_both_address_forms() {
        assert_eq!(read_from("kb@example.com (Kay Berry)"), (Some("Kay Berry".into()), Some("kb@example.com".into())));
        assert_eq!(read_from("\"Kay Berry\" <kb@example.com>"), (Some("Kay Berry".into()), Some("kb@example.com".into())));
        assert_eq!(read_from("Kay Berry <kb@example.com>"), (Some("Kay Berry".into()), Some("kb@example.com".into())));
        assert_eq!(read_from("an1234@anon.example.fi"), (None, Some("an1234@anon.example.fi".into())));
        assert_eq!(read_from("mira at example.org (Mira Holt)"), (Some("Mira Holt".into()), Some("mira@example.org".into())));
    }

    #[test]
    fn subject_conventions() {
        let s = read_subject("Believer (PG - language)");
        assert_eq!((s.title.as_deref(), s.rating.as_deref()), (Some("Believer"), Some("PG")));
        let s = read_subject("NEW: Lanterns [1/3]");
        assert_eq!((s.title.as_deref(), s.part, s.total), (Some("Lanterns"), Some(1), Some(Some(3))));
        let s = read_subject("Re: FIC: Lanterns (Part 2 of 5) [R]");
        assert_eq!(
            (s.title.as_deref(), s.part, s.total, s.reply, s.rating.as_deref()),
            (Some("Lanterns"), Some(2), Some(Some(5)), true, Some("R"))
        );
        let s = read_subject("[XF-Fic] REPOST: Lanterns 1/? (NC-17)");
        assert_eq!((s.title.as_deref(), s.part, s.total, s.rating.as_deref()), (Some("Lanterns"), Some(1), Some(None), Some("NC-17")));
        assert_eq!(s.other, vec!["XF-Fic".to_string()]);
        let s = read_subject("NEW: Eclipse 1/3 (MSR)");
        assert_eq!((s.title.as_deref(), s.part, s.total), (Some("Eclipse"), Some(1), Some(Some(3))));
        assert_eq!(s.other, vec!["MSR".to_string()]);
        let s = read_subject("[FIC] Eclipse [2/3] [PG-13] [Mulder/Scully]");
        assert_eq!(
            (s.title.as_deref(), s.part, s.rating.as_deref(), s.pairing.as_deref()),
            (Some("Eclipse"), Some(2), Some("PG-13"), Some("Mulder/Scully"))
        );
        assert!(s.other.is_empty(), "{:?}", s.other);
        let s = read_subject("Eclipse (1/3) by Jo Quill");
        assert_eq!((s.title.as_deref(), s.author.as_deref(), s.part), (Some("Eclipse"), Some("Jo Quill"), Some(1)));
        let s = read_subject("Elizabeth (1 of 1)");
        assert_eq!((s.title.as_deref(), s.part, s.total), (Some("Elizabeth"), Some(1), Some(Some(1))));
        // A bracket that is part of the title stays.
        let s = read_subject("Tea (and Sympathy)");
        assert_eq!(s.title.as_deref(), Some("Tea (and Sympathy)"));
    }

    #[test]
    fn header_blocks_need_transport_evidence() {
        let story_header = "Title: Lanterns\nAuthor: Jo\nRating: PG\n\nText.";
        assert!(read_posts(story_header).is_empty());
        let news = "Newsgroups: alt.example.creative\nFrom: jo@example.com (Jo)\nSubject: Lanterns\n\nText.";
        let posts = read_posts(news);
        assert_eq!(posts.len(), 1);
        assert_eq!(posts[0].header("subject"), Some("Lanterns"));
        assert_eq!(posts[0].body, "Text.");
    }

    #[test]
    fn continuation_lines_unfold() {
        let mail = "From jo@example.com Mon Sep 12 08:25:54 1994\nFrom: Jo <jo@example.com>\nSubject: A long\n  subject line\n\nBody.\n";
        let posts = read_posts(mail);
        assert_eq!(posts[0].header("subject"), Some("A long subject line"));
    }

    #[test]
    fn a_digest_splits_into_posts() {
        let digest = "From: A <a@example.com>\nSubject: One [1/2]\nDate: 1 Jan 1999\nMessage-ID: <1@x>\n\nFirst.\n\n------------------------------\n\nFrom: A <a@example.com>\nSubject: One [2/2]\nDate: 2 Jan 1999\n\nSecond.\n";
        let posts = read_posts(digest);
        assert_eq!(posts.len(), 2);
        assert_eq!(posts[0].body.trim(), "First.");
        assert_eq!(posts[1].header("subject"), Some("One [2/2]"));
    }
}
