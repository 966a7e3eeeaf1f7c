//! A work being assembled from evidence: fields from page structure and header blocks, part
//! markers, completion statements, chapters. [`Draft::finish`] resolves it into a [`Work`].
//!
//! Precedence: a layout extractor sets fields from the page's structure first; header fields
//! found in the text only fill what is still empty ([`Draft::apply_field`] never overwrites).

use crate::dates::parse_date;
use crate::header::{Field, Key};
use crate::story::{ChapterParts, EndMarker, StoryParts, TitleLine};
use ficarchive_model::{Chapter, Document, PageKind, Rating, RatingLevel, SeriesRef, Work};
use regex::Regex;
use std::sync::LazyLock;

/// Who said whether the work is complete, strongest first.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub enum Authority {
    /// The site's own status (AO3 `Completed:` date, FFN `Complete`, eFiction `Completed:`).
    Site,
    /// A `Status:` or `Completed:` header field the author wrote.
    Field,
}

#[derive(Debug, Default)]
pub struct Completion {
    pub stated: Vec<(Authority, bool, String)>,
    /// Chapters posted and planned (`4/8`; `4/?` has no total).
    pub count: Option<(u32, Option<u32>)>,
    pub end_marker: Option<EndMarker>,
}

#[derive(Debug, Default)]
pub struct Draft {
    pub work: Work,
    pub completion: Completion,
    /// This file holds part `n` of a work (`2/3` in a summary, `(1/5)` in a subject line).
    pub part: Option<u32>,
    /// Chapter numbers from headings, when a file's headings state them.
    notes_parts: Vec<String>,
    /// Which part of the file named the title and the authors, for diagnostics when
    /// another part disagrees (`None`: the page's structure).
    title_source: Option<&'static str>,
    authors_source: Option<&'static str>,
}

/// Two names for one thing: the same letters and digits, or one inside the other (`Tide`
/// and `Tide (a Startide story)`).
pub(crate) fn same_name(a: &str, b: &str) -> bool {
    let fold = |s: &str| s.chars().filter(|c| c.is_alphanumeric()).flat_map(char::to_lowercase).collect::<String>();
    let (a, b) = (fold(a), fold(b));
    !a.is_empty() && !b.is_empty() && (a.contains(&b) || b.contains(&a))
}

const AO3_CATEGORIES: &[&str] = &["f/f", "f/m", "m/m", "gen", "multi", "other", "slash", "het", "femslash", "m/f"];

/// Whether every item of a `Category:` value is an AO3 category (`F/M, Gen`).
pub fn is_ao3_category_list(value: &str) -> bool {
    let items = split_list(value);
    !items.is_empty() && items.iter().all(|i| AO3_CATEGORIES.contains(&i.to_lowercase().as_str()))
}

static SERIES_IN_TEXT: LazyLock<Regex> = LazyLock::new(|| {
    Regex::new(
        r#"(?i)\bpart\s+(?:of\s+)?(?P<n>\d{1,3}|one|two|three|four|five|six|seven|eight|nine|ten)(?:\s+of\s+(?:\d{1,3}|\w+))?\s+(?:in|of)\s+(?:the\s+|my\s+)?(?:(?:fanfic|fic|story|stories|series)\s+)?["“'‘]?(?P<name>[^,.;!?()"“”\n]{2,80}?)["”'’]?(?:\s+series)?\s*(?:[,.;!?()\n]|$)"#,
    )
    .expect("literal regex")
});
static SEQUEL: LazyLock<Regex> = LazyLock::new(|| {
    Regex::new(r#"(?i)\b(?:a\s+)?(?P<kind>sequel|prequel|follow-up|companion(?: piece)?)\s+to\s+(?:my\s+|the\s+)?["“'‘]?(?P<name>[^,.;!?()"“”\n]{2,80}?)["”'’]?(?:\s+(?:series|story|fic))?\s*(?:[,.;!?()\n]|$)"#)
        .expect("literal regex")
});
static LEADING_COUNT: LazyLock<Regex> =
    LazyLock::new(|| Regex::new(r"^\s*[\(\[]?(?P<n>\d{1,3})\s*/\s*(?P<m>\d{1,3}|\?)[\)\]]?(?:\s|$)").expect("literal regex"));
static NUMBER: LazyLock<Regex> = LazyLock::new(|| Regex::new(r"\d[\d,.\u{a0} ]*").expect("literal regex"));
static COUNT: LazyLock<Regex> =
    LazyLock::new(|| Regex::new(r"^\s*(?P<n>\d{1,4})\s*(?:/|of)\s*(?P<m>\d{1,4}|\?)\s*$").expect("literal regex"));
static EMAIL: LazyLock<Regex> =
    LazyLock::new(|| Regex::new(r"\s*[\(<\[]?\s*(?:mailto:)?[\w.+\-]+@[\w\-]+\.[\w.\-]+\s*[\)>\]]?").expect("literal regex"));

/// Splits a tag list on commas and semicolons, dropping empties and "none".
pub fn split_list(value: &str) -> Vec<String> {
    let mut out: Vec<String> = Vec::new();
    for item in value.split([',', ';', '\n']) {
        let item = item.trim().trim_end_matches('.').trim();
        if item.is_empty() || matches!(item.to_lowercase().as_str(), "none" | "n/a" | "na" | "-" | "keine" | "нет") {
            continue;
        }
        if !out.iter().any(|x| x.eq_ignore_ascii_case(item)) {
            out.push(item.to_string());
        }
    }
    out
}

/// A pairing field's value: (it says `Gen`, no romance; the pairings it names). `Pairing:
/// gen` or `Pairing: none` names no relationship.
pub fn split_pairings(value: &str) -> (bool, Vec<String>) {
    let mut general = false;
    let pairings = split_list(value)
        .into_iter()
        .filter(|p| {
            let lower = p.to_lowercase();
            let none = matches!(lower.as_str(), "gen" | "general" | "no pairing" | "no pairings" | "nopairing" | "no romance");
            general |= lower == "gen" || lower == "general";
            !none
        })
        .collect();
    (general, pairings)
}

fn push_unique(list: &mut Vec<String>, items: Vec<String>) {
    for item in items {
        if !list.iter().any(|x| x.eq_ignore_ascii_case(&item)) {
            list.push(item);
        }
    }
}

/// Parses a stated word count (`12,184`, `202 926`); `None` for `Very long`.
pub fn parse_count(value: &str) -> Option<u64> {
    let m = NUMBER.find(value)?;
    let digits: String = m.as_str().chars().filter(char::is_ascii_digit).collect();
    let n: u64 = digits.parse().ok()?;
    // "2.5k" style counts
    let after = value[m.end()..].trim_start().to_lowercase();
    if after.starts_with('k') && m.as_str().contains('.') {
        return None;
    }
    Some(n)
}

/// Reads a completion status value: `Complete`, `WIP`, `Yes`, `закончен`.
pub fn status_value(value: &str) -> Option<bool> {
    let v = value.trim().trim_end_matches('.').to_lowercase();
    // "Complete (12 chapters)", "WIP - updated weekly": the word before any aside. Hyphens
    // inside a word ("one-shot", "in-progress") are part of it.
    let v = v.split(['(', '[']).next().unwrap_or("");
    let v = v.split_whitespace().collect::<Vec<_>>().join(" ");
    let v = v.split(" - ").next().unwrap_or("").split(" – ").next().unwrap_or("").trim();
    match v {
        "complete" | "completed" | "finished" | "done" | "yes" | "y" | "oneshot" | "one-shot" | "one shot" | "закончен" | "завершён"
        | "завершен" | "закончено" | "abgeschlossen" | "fertig" | "komplett" | "beendet" => Some(true),
        "wip"
        | "in progress"
        | "work in progress"
        | "ongoing"
        | "incomplete"
        | "no"
        | "n"
        | "unfinished"
        | "in-progress"
        | "не закончен"
        | "в процессе"
        | "not complete"
        | "not completed"
        | "in arbeit"
        | "unvollständig"
        | "nicht abgeschlossen"
        | "pausiert" => Some(false),
        _ => None,
    }
}

impl Draft {
    pub fn new() -> Draft {
        Draft::default()
    }

    pub fn set_title(&mut self, title: &str) {
        let t = crate::lines::clean_text(title);
        if self.work.title.is_none() && !t.is_empty() {
            self.work.title = Some(t);
        }
    }

    /// A title one part of the file states (`source` names it: "the subject line"). The first
    /// stated wins (callers offer in their order of trust); a later one that disagrees is a
    /// diagnostic.
    pub fn offer_title(&mut self, title: &str, source: &'static str) {
        let t = crate::lines::clean_text(title);
        if t.is_empty() {
            return;
        }
        match &self.work.title {
            None => {
                self.work.title = Some(t);
                self.title_source = Some(source);
            }
            Some(current) if !same_name(current, &t) => {
                let used = self.title_source.unwrap_or("the page's structure");
                self.work
                    .diagnostics
                    .push(format!("{source} names the work \u{201C}{t}\u{201D}; {used} names it \u{201C}{current}\u{201D}, which is used"));
            }
            Some(_) => {}
        }
    }

    /// Authors one part of the file states, as [`Draft::offer_title`].
    pub fn offer_authors(&mut self, value: &str, source: &'static str) {
        if self.work.authors.is_empty() {
            self.add_authors(value);
            if !self.work.authors.is_empty() {
                self.authors_source = Some(source);
            }
            return;
        }
        let mut other = Draft::new();
        other.add_authors(value);
        let differs =
            !other.work.authors.is_empty() && !other.work.authors.iter().all(|a| self.work.authors.iter().any(|b| same_name(a, b)));
        if differs {
            let used = self.authors_source.unwrap_or("the page's structure");
            self.work.diagnostics.push(format!(
                "{source} names {}; {used} names {}, which is used",
                other.work.authors.join(" & "),
                self.work.authors.join(" & ")
            ));
        }
    }

    pub fn add_authors(&mut self, value: &str) {
        if !self.work.authors.is_empty() {
            return;
        }
        let mut value = value.to_string();
        if let Some(m) = EMAIL.find(&value) {
            let email = m.as_str().trim().trim_matches(|c| matches!(c, '(' | ')' | '<' | '>' | '[' | ']')).trim().to_string();
            self.work.extra.entry("email".into()).or_insert(email.trim_start_matches("mailto:").to_string());
            value = format!("{}{}", &value[..m.start()], &value[m.end()..]);
        }
        let authors: Vec<String> =
            value.split([',', '&']).map(|a| a.trim().trim_start_matches("by ").trim().to_string()).filter(|a| !a.is_empty()).collect();
        self.work.authors = authors;
    }

    pub fn set_rating(&mut self, raw: &str) {
        if self.work.rating.raw.is_some() || raw.trim().is_empty() {
            return;
        }
        let (rating, known) = Rating::from_raw(raw);
        if !known {
            self.work.diagnostics.push(format!("the rating \u{201C}{}\u{201D} is in no rating table; shown as Not Rated", raw.trim()));
        }
        self.work.rating = rating;
    }

    pub fn set_summary(&mut self, summary: &str) {
        let s = summary.trim();
        if self.work.summary.is_none() && !s.is_empty() {
            self.work.summary = Some(s.to_string());
        }
    }

    pub fn add_note(&mut self, note: &str) {
        let n = note.trim();
        if !n.is_empty() && !self.notes_parts.iter().any(|x| x == n) {
            self.notes_parts.push(n.to_string());
        }
    }

    pub fn state_complete(&mut self, authority: Authority, complete: bool, what: &str) {
        self.completion.stated.push((authority, complete, what.to_string()));
    }

    pub fn set_count(&mut self, posted: u32, total: Option<u32>) {
        if self.completion.count.is_none() {
            self.completion.count = Some((posted, total));
        }
        if let Some(t) = total
            && self.work.chapters_total.is_none()
        {
            self.work.chapters_total = Some(t);
        }
    }

    pub fn set_extra(&mut self, key: &str, value: &str) {
        let value = value.trim();
        if value.is_empty() {
            return;
        }
        self.work
            .extra
            .entry(key.to_string())
            .and_modify(|v| {
                if !v.contains(value) {
                    v.push_str("\n\n");
                    v.push_str(value);
                }
            })
            .or_insert_with(|| value.to_string());
    }

    pub fn add_series(&mut self, name: &str, part: Option<u32>) {
        let name = crate::lines::clean_text(name);
        let name = name.trim_matches(|c: char| matches!(c, '"' | '“' | '”' | '\'' | '‘' | '’') || c.is_whitespace()).to_string();
        if name.is_empty() || name.eq_ignore_ascii_case("none") {
            return;
        }
        if let Some(existing) = self.work.series.iter_mut().find(|s| s.name.eq_ignore_ascii_case(&name)) {
            if existing.part.is_none() {
                existing.part = part;
            }
            return;
        }
        self.work.series.push(SeriesRef { name, part });
    }

    /// Applies a header field. Fields already set are left alone (page structure wins).
    pub fn apply_field(&mut self, field: &Field) {
        let value = field.value.trim();
        let Some(key) = field.key else {
            let label = crate::header::label_key(&field.label);
            self.set_extra(&label, value);
            return;
        };
        match key {
            Key::Title => {
                let tl = crate::story::read_title_line(value);
                if let Some(t) = &tl.title {
                    self.offer_title(t, "the header's Title: field");
                }
                self.apply_part(tl.part, tl.total);
            }
            Key::Author => self.offer_authors(value, "the header's Author: field"),
            Key::Fandom => {
                if self.work.fandoms.is_empty() {
                    self.work.fandoms = split_list(value);
                }
            }
            Key::Category => {
                if is_ao3_category_list(value) {
                    if self.work.categories.is_empty() {
                        self.work.categories = split_list(value);
                    }
                } else {
                    self.set_extra("category", value);
                }
            }
            Key::Relationships => {
                if self.work.relationships.is_empty() {
                    let (general, pairings) = split_pairings(value);
                    self.work.relationships = pairings;
                    if general && !self.work.categories.iter().any(|c| c.eq_ignore_ascii_case("gen")) {
                        self.work.categories.push("Gen".into());
                    }
                }
            }
            Key::Characters => {
                if self.work.characters.is_empty() {
                    self.work.characters = split_list(value);
                }
            }
            Key::Rating => self.set_rating(value),
            Key::Warnings => {
                if self.work.warnings.is_empty() {
                    self.work.warnings = split_list(value);
                }
            }
            Key::Genre | Key::Tags => {
                let items: Vec<String> = split_list(&value.replace('/', ","));
                push_unique(&mut self.work.freeform_tags, items);
            }
            Key::Summary => {
                self.set_summary(value);
                self.read_structure_in_text(value);
            }
            Key::Notes => self.add_note(value),
            Key::EndNotes => {
                if self.work.end_notes.is_none() && !value.is_empty() {
                    self.work.end_notes = Some(value.to_string());
                }
            }
            Key::Words => match parse_count(value) {
                Some(n) if self.work.words_stated.is_none() => self.work.words_stated = Some(n),
                Some(_) => {}
                None => self.set_extra("length", value),
            },
            Key::Published => match parse_date(value) {
                Some(d) if self.work.published.is_none() => self.work.published = Some(d),
                Some(_) => {}
                None => self.set_extra("date", value),
            },
            Key::Updated => match parse_date(value) {
                Some(d) if self.work.updated.is_none() => self.work.updated = Some(d),
                Some(_) => {}
                None => self.set_extra("updated", value),
            },
            Key::Series => self.read_series_value(value),
            Key::Part => {
                if let Some(c) = COUNT.captures(value) {
                    self.apply_part(c["n"].parse().ok(), Some(c["m"].parse().ok()));
                } else if let Some(n) = crate::numbers::parse_number(value) {
                    self.apply_part(Some(n), None);
                } else {
                    self.set_extra("part", value);
                }
            }
            Key::Status => match status_value(value) {
                Some(done) => self.state_complete(Authority::Field, done, &format!("Status: {value}")),
                None => self.set_extra("status", value),
            },
            Key::Completed => match status_value(value) {
                Some(done) => self.state_complete(Authority::Field, done, &format!("Completed: {value}")),
                None => {
                    if let Some(d) = parse_date(value) {
                        self.state_complete(Authority::Field, true, &format!("Completed: {value}"));
                        if self.work.updated.is_none() {
                            self.work.updated = Some(d);
                        }
                    }
                }
            },
            Key::Language => {
                if self.work.language.is_none() && !value.is_empty() {
                    self.work.language = Some(value.to_string());
                }
            }
            Key::Chapters => {
                if let Some(c) = COUNT.captures(value) {
                    if let Ok(n) = c["n"].parse() {
                        self.set_count(n, c["m"].parse().ok());
                    }
                } else if let Some(n) = parse_count(value)
                    && self.work.chapters_total.is_none()
                {
                    self.work.chapters_total = u32::try_from(n).ok();
                }
            }
            Key::Extra(name) => self.set_extra(name, value),
        }
    }

    /// This file is part `part` of the work, of `total` parts when stated.
    pub fn apply_part(&mut self, part: Option<u32>, total: Option<Option<u32>>) {
        if let Some(n) = part
            && self.part.is_none()
        {
            self.part = Some(n);
            if let Some(t) = total {
                self.set_count(n, t)
            }
        }
    }

    /// `Series: NAME`, `Series: NAME, part 2`, `Series: Part 2 of NAME`, `NAME #2`.
    fn read_series_value(&mut self, value: &str) {
        static PART_OF: LazyLock<Regex> =
            LazyLock::new(|| Regex::new(r"(?i)^part\s+(\d+)\s+(?:of|in)\s+(?:the\s+)?(.+?)(?:\s+series)?$").expect("literal regex"));
        static NAME_PART: LazyLock<Regex> =
            LazyLock::new(|| Regex::new(r"(?i)^(.+?)\s*(?:[,:\-–(]\s*(?:part|book|#|no\.?)\s*|#)(\d+)\)?$").expect("literal regex"));
        let v = value.trim();
        if let Some(c) = PART_OF.captures(v) {
            self.add_series(&c[2], c[1].parse().ok());
        } else if let Some(c) = NAME_PART.captures(v) {
            self.add_series(&c[1], c[2].parse().ok());
        } else {
            self.add_series(v, None);
        }
    }

    /// Series membership, sequel statements and a leading `2/3` in a summary or note.
    pub fn read_structure_in_text(&mut self, text: &str) {
        if let Some(c) = LEADING_COUNT.captures(text)
            && let Ok(n) = c["n"].parse::<u32>()
        {
            self.apply_part(Some(n), Some(c["m"].parse().ok()));
        }
        if let Some(c) = SERIES_IN_TEXT.captures(text) {
            let part = crate::numbers::parse_number(&c["n"]);
            self.add_series(&c["name"], part);
        }
        if let Some(c) = SEQUEL.captures(text) {
            let kind = c["kind"].to_lowercase();
            let key = if kind.starts_with("prequel") { "prequel_to" } else { "sequel_to" };
            let name = c["name"].trim().to_string();
            self.set_extra(key, &name);
        }
    }

    /// Takes in what the story pipeline found: header fields, title lines, notes, chapters.
    pub fn take_story(&mut self, mut parts: StoryParts) {
        let chapters = std::mem::take(&mut parts.chapters);
        self.take_story_fields(parts);
        for c in chapters {
            self.push_chapter(c);
        }
    }

    /// For a page that holds one known chapter (a site's chapter page): everything the text
    /// holds becomes that chapter; text before an in-text heading becomes its notes.
    pub fn take_story_as_chapter(&mut self, mut parts: StoryParts, number: u32, title: Option<String>) -> Chapter {
        let chapters = std::mem::take(&mut parts.chapters);
        let mut notes = Document::default();
        let mut end_notes = Document::default();
        // A note the author wrote into the chapter's text (`A/N: thanks for the reviews`)
        // belongs to that chapter; the site gives the work's own notes elsewhere.
        if let Some(header) = &mut parts.header {
            let (note_fields, others): (Vec<_>, Vec<_>) =
                std::mem::take(&mut header.fields).into_iter().partition(|f| matches!(f.key, Some(Key::Notes | Key::EndNotes)));
            header.fields = others;
            for f in note_fields.into_iter().filter(|f| !f.value.trim().is_empty()) {
                let paragraph = ficarchive_model::Block::Paragraph(vec![ficarchive_model::Inline::Text(f.value.trim().to_string())]);
                if f.key == Some(Key::EndNotes) { &mut end_notes } else { &mut notes }.blocks.push(paragraph);
            }
        }
        notes.blocks.extend(crate::lines::to_blocks(&parts.work_notes));
        let mut body = Document::default();
        for c in chapters {
            notes.blocks.extend(c.notes.blocks);
            if !body.blocks.is_empty() && !c.body.blocks.is_empty() {
                body.blocks.push(ficarchive_model::Block::SceneBreak);
            }
            body.blocks.extend(c.body.blocks);
            end_notes.blocks.extend(c.end_notes.blocks);
        }
        parts.work_notes.clear();
        self.take_story_fields(parts);
        Chapter { number, title, notes, end_notes, body }
    }

    fn take_story_fields(&mut self, parts: StoryParts) {
        if let Some(h) = &parts.header {
            for f in &h.fields {
                self.apply_field(f);
            }
        }
        if let Some(TitleLine { title, author, part, total }) = &parts.title_line {
            if let Some(t) = title {
                self.offer_title(t, "a title line in the text");
            }
            if let Some(a) = author {
                self.offer_authors(a, "a by-line in the text");
            }
            self.apply_part(*part, *total);
        }
        for f in &parts.note_fields {
            if matches!(f.key, Some(Key::Extra(_))) {
                self.apply_field(f);
            }
        }
        if let Some(b) = parts.book
            && let Some(t) = self.work.title.clone()
        {
            self.add_series(&t, Some(b));
        }
        let notes = crate::story::lines_to_paragraph_text(&parts.work_notes);
        if !notes.is_empty() {
            self.add_note(&notes);
        }
        for nav in &parts.removed_navigation {
            self.work.diagnostics.push(format!("removed a navigation link \u{201C}{nav}\u{201D}"));
        }
        if let Some(m) = parts.end_marker {
            self.completion.end_marker = Some(m);
        }
    }

    pub fn push_chapter(&mut self, c: ChapterParts) {
        let mut notes = c.notes;
        // The work record has no chapter summaries: a chapter's summary opens its notes.
        if let Some(summary) = c.summary {
            for (k, paragraph) in summary.split("\n\n").enumerate() {
                let text = if k == 0 { format!("Chapter summary: {paragraph}") } else { paragraph.to_string() };
                notes.blocks.insert(k, ficarchive_model::Block::Paragraph(vec![ficarchive_model::Inline::Text(text)]));
            }
        }
        self.work.chapters.push(Chapter { number: c.number.unwrap_or(0), title: c.title, notes, end_notes: c.end_notes, body: c.body });
    }

    /// Resolves the evidence into a work.
    pub fn finish(mut self, fallback_name: &str) -> Work {
        let w = &mut self.work;
        if !self.notes_parts.is_empty() && w.notes.is_none() {
            w.notes = Some(self.notes_parts.join("\n\n"));
        }
        // A chapter with no text, title, notes or stated number (not even a listed one) is
        // nothing the source holds.
        w.chapters.retain(|c| c.has_text() || c.title.is_some() || !c.notes.is_empty() || !c.end_notes.is_empty() || c.number > 0);
        // A page with no chapter, title or author (white space, a lone byte-order mark, an
        // empty HTML body) is not a story; an archive of "Untitled, by unknown author, 0
        // words" entries helps no one. Its bytes are still kept as a source.
        if w.kind == PageKind::Work && w.chapters.is_empty() && w.title.is_none() && w.authors.is_empty() {
            w.kind = PageKind::Unknown;
            w.diagnostics.push("nothing in the file reads as a story: no text, title or author".into());
        }
        if w.title.is_none() && w.kind == PageKind::Work {
            w.fallback_title = format!("Untitled ({fallback_name})");
            w.diagnostics.push(format!("no title is stated; shown as \u{201C}{}\u{201D}", w.fallback_title));
        }
        number_chapters(w, self.part);
        for ch in &mut w.chapters {
            ch.title = clean_chapter_title(ch.title.take(), ch.number);
        }
        if w.kind == PageKind::Work && w.chapters.iter().all(|c| !c.has_text()) && !w.chapters.is_empty() {
            w.diagnostics.push("the file lists chapters but holds none of their text".into());
        }
        if w.kind == PageKind::Work && w.chapters.is_empty() {
            w.diagnostics.push("no story text found".into());
        }
        w.complete = resolve_completion(&self.completion, &mut w.diagnostics);
        if w.rating.raw.is_none() {
            w.rating = Rating { raw: None, normalized: RatingLevel::NotRated };
        }
        if w.fandoms.is_empty()
            && let Some(f) = w.extra.get("disclaimer").and_then(|d| fandom_from_disclaimer(d))
        {
            w.diagnostics.push(format!("fandom \u{201C}{f}\u{201D} inferred from the disclaimer"));
            w.fandoms.push(f);
        }
        self.work
    }
}

static DISCLAIMER_FANDOM: LazyLock<Regex> = LazyLock::new(|| {
    Regex::new(r"(?i)(?:based on|set in) (?:the )?(?P<a>[A-Z][\w:'’ .\-]{1,60}?) (?:universe|series|books|novels|franchise|world|verse)\b|characters (?:of|from) (?P<c>[A-Z][\w:'’ .\-]{1,60}?) (?:belong|are)\b|(?:i|we) (?:do not|don't|don’t) own (?P<b>[A-Z][\w:'’ .\-]{1,60}?)(?: or | and |[,.;!(]|$)")
        .expect("literal regex")
});

/// "This is fanfiction based on the Harry Potter universe", "I don't own Buffy": the fandom a
/// disclaimer names, when the work names none.
pub fn fandom_from_disclaimer(text: &str) -> Option<String> {
    let c = DISCLAIMER_FANDOM.captures(text)?;
    let f = c.name("a").or(c.name("b")).or(c.name("c"))?.as_str().trim();
    let f = f.trim_end_matches(" characters").trim();
    (!f.is_empty() && !matches!(f.to_lowercase().as_str(), "anything" | "them" | "it" | "any of this" | "nothing")).then(|| f.to_string())
}

/// Numbers chapters: headings' own numbers when they rise steadily, positions otherwise; a
/// single-chapter file that says it is part N is chapter N.
fn number_chapters(w: &mut Work, part: Option<u32>) {
    let stated: Vec<u32> = w.chapters.iter().map(|c| c.number).collect();
    let all_stated = !stated.is_empty() && stated.iter().all(|&n| n > 0);
    let rising = stated.windows(2).all(|p| p[1] > p[0]);
    if all_stated && rising {
        return;
    }
    let start = match (w.chapters.len(), part) {
        (1, Some(p)) if p > 0 => p,
        _ => 1,
    };
    for (i, c) in w.chapters.iter_mut().enumerate() {
        c.number = start + i as u32;
    }
}

static CHAPTER_PREFIX: LazyLock<Regex> =
    LazyLock::new(|| Regex::new(r"(?i)^chapter\s+(\d+)\s*(?:[:.\-–—]\s*(.*))?$").expect("literal regex"));

/// `Chapter 3: Title` → `Title`; `Chapter 3` (its own number) → none.
pub fn clean_chapter_title(title: Option<String>, number: u32) -> Option<String> {
    let t = crate::lines::clean_text(&title?);
    if t.is_empty() {
        return None;
    }
    if let Some(c) = CHAPTER_PREFIX.captures(&t) {
        let n: u32 = c[1].parse().unwrap_or(0);
        let rest = c.get(2).map_or("", |m| m.as_str()).trim();
        if rest.is_empty() {
            return if n == number { None } else { Some(t) };
        }
        if n == number {
            // "Chapter 1: Chapter 1" is still the placeholder.
            return clean_chapter_title(Some(rest.to_string()), number);
        }
    }
    Some(t)
}

/// Completion: a stated status first (the site's own before a header field), then the
/// chapter count, then an end marker. Disagreements are reported.
fn resolve_completion(c: &Completion, diagnostics: &mut Vec<String>) -> Option<bool> {
    let mut stated = c.stated.clone();
    stated.sort_by_key(|(a, _, _)| *a);
    let from_count = c.count.map(|(n, m)| m.is_some_and(|m| n >= m));
    let from_marker = c.end_marker.as_ref().map(|m| m.complete);
    let describe = |v: bool| if v { "complete" } else { "in progress" };
    if let Some((_, value, what)) = stated.first() {
        for (_, other, other_what) in stated.iter().skip(1) {
            if other != value {
                diagnostics.push(format!(
                    "contradictory status: \u{201C}{what}\u{201D} says {} but \u{201C}{other_what}\u{201D} says {}; using \u{201C}{what}\u{201D}",
                    describe(*value),
                    describe(*other)
                ));
            }
        }
        if let Some(fc) = from_count
            && fc != *value
            && c.count.is_some_and(|(_, m)| m.is_some())
        {
            let (n, m) = c.count.unwrap_or_default();
            diagnostics.push(format!(
                "\u{201C}{what}\u{201D} says {} but the chapter count {n}/{} says {}; using the stated status",
                describe(*value),
                m.map_or("?".into(), |m| m.to_string()),
                describe(fc)
            ));
        }
        return Some(*value);
    }
    if let Some(fc) = from_count {
        if let (Some(m), Some(marker)) = (from_marker, c.end_marker.as_ref())
            && m != fc
        {
            diagnostics.push(format!(
                "the text ends with \u{201C}{}\u{201D} but the chapter count says {}; using the count",
                marker.text,
                describe(fc)
            ));
        }
        return Some(fc);
    }
    if let Some(m) = c.end_marker.as_ref() {
        diagnostics.push(format!("completion inferred from the closing line \u{201C}{}\u{201D}", m.text));
        return Some(m.complete);
    }
    None
}

pub fn empty_document() -> Document {
    Document::default()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_first_stated_title_wins_and_a_disagreement_is_reported() {
        let mut d = Draft::new();
        d.offer_title("Harbour Lights", "the header's Title: field");
        d.offer_title("harbour lights!", "the subject line");
        assert!(d.work.diagnostics.is_empty(), "{:?}", d.work.diagnostics);
        d.offer_title("Salt and Iron", "the page's heading");
        assert_eq!(d.work.title.as_deref(), Some("Harbour Lights"));
        assert_eq!(
            d.work.diagnostics,
            vec![
                "the page's heading names the work \u{201C}Salt and Iron\u{201D}; the header's Title: field names it \u{201C}Harbour Lights\u{201D}, which is used"
            ]
        );
        d.offer_authors("Jo Quill", "a by-line");
        d.offer_authors("Oriel Vance", "the From: line");
        assert_eq!(d.work.authors, vec!["Jo Quill"]);
        assert_eq!(d.work.diagnostics.len(), 2);
    }

    #[test]
    fn status_values_in_their_written_forms() {
        for yes in ["Complete", "Completed (12 chapters)", "one-shot", "Oneshot.", "закончен", "Abgeschlossen", "Yes"] {
            assert_eq!(status_value(yes), Some(true), "{yes}");
        }
        for no in ["WIP - updated weekly", "in-progress", "In  Progress", "в процессе", "In Arbeit", "No", "Not complete"] {
            assert_eq!(status_value(no), Some(false), "{no}");
        }
        for unknown in ["Posted", "Maybe", ""] {
            assert_eq!(status_value(unknown), None, "{unknown}");
        }
    }

    #[test]
    fn series_and_sequels_in_summaries() {
        let mut d = Draft::new();
        d.read_structure_in_text("2/3 Spike goes home. Part 2 in Nightfall Roads, a sequel to my Lantern Hours series.");
        assert_eq!(d.work.series, vec![SeriesRef { name: "Nightfall Roads".into(), part: Some(2) }]);
        assert_eq!(d.work.extra.get("sequel_to").map(String::as_str), Some("Lantern Hours"));
        assert_eq!(d.part, Some(2));
        assert_eq!(d.work.chapters_total, Some(3));
    }

    #[test]
    fn odd_series_phrasing() {
        let mut d = Draft::new();
        d.read_structure_in_text("Part of 4 of 7 of my fanfic QRX!\nMore words.");
        assert_eq!(d.work.series, vec![SeriesRef { name: "QRX".into(), part: Some(4) }]);
    }

    #[test]
    fn chapter_title_placeholders() {
        assert_eq!(clean_chapter_title(Some("Chapter 3".into()), 3), None);
        assert_eq!(clean_chapter_title(Some("Chapter 1: Chapter 1".into()), 1), None);
        assert_eq!(clean_chapter_title(Some("Chapter 1: The Invasion".into()), 1), Some("The Invasion".into()));
        assert_eq!(clean_chapter_title(Some("Chapter 5".into()), 2), Some("Chapter 5".into()));
    }

    #[test]
    fn completion_precedence_and_contradictions() {
        let mut diags = Vec::new();
        let c = Completion {
            stated: vec![(Authority::Field, false, "Status: WIP".into()), (Authority::Site, true, "Completed: Yes".into())],
            count: None,
            end_marker: None,
        };
        assert_eq!(resolve_completion(&c, &mut diags), Some(true));
        assert_eq!(diags.len(), 1);
        let c = Completion { stated: vec![], count: Some((2, Some(3))), end_marker: None };
        assert_eq!(resolve_completion(&c, &mut Vec::new()), Some(false));
        let c = Completion { stated: vec![], count: Some((4, None)), end_marker: None };
        assert_eq!(resolve_completion(&c, &mut Vec::new()), Some(false));
    }
}
