//! Header labels (`Title:`, `Pairing:`, `Rating: PG-13`, ...) and header blocks.
//!
//! Labels are matched case-insensitively on a normalised key (lower case, trailing `s`
//! dropped, `’` as `'`), so plurals and the common misspellings share one table entry.
//! Unknown labels inside a header block are kept (they go to `extra`), never into the story.

use crate::lines::{Line, LineStyle};
use std::sync::LazyLock;

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Key {
    Title,
    Author,
    Fandom,
    Category,
    Relationships,
    Characters,
    Rating,
    Warnings,
    Genre,
    Summary,
    Notes,
    EndNotes,
    Words,
    Published,
    Updated,
    Series,
    Part,
    Tags,
    Status,
    Language,
    Chapters,
    Completed,
    /// A known label kept under `extra` with this name (disclaimer, timeline, feedback...).
    Extra(&'static str),
}

impl Key {
    /// Values that are lists of names or tags.
    fn is_list(self) -> bool {
        matches!(self, Key::Characters | Key::Relationships | Key::Fandom | Key::Warnings | Key::Tags | Key::Genre)
    }

    /// Free-text values: never split on an inner `Label:`.
    fn is_free_text(self) -> bool {
        matches!(self, Key::Summary | Key::Notes | Key::EndNotes | Key::Extra("disclaimer") | Key::Title)
    }
}

/// The label table. Keys are normalised with [`label_key`].
const LABELS: &[(&str, Key)] = &[
    ("title", Key::Title),
    ("story title", Key::Title),
    ("fic title", Key::Title),
    ("titel", Key::Title),
    ("titulo", Key::Title),
    ("título", Key::Title),
    ("titre", Key::Title),
    ("название", Key::Title),
    ("author", Key::Author),
    ("autor", Key::Author),
    ("auteur", Key::Author),
    ("by", Key::Author),
    ("written by", Key::Author),
    ("writer", Key::Author),
    ("creator", Key::Author),
    ("автор", Key::Author),
    ("email", Key::Extra("email")),
    ("e-mail", Key::Extra("email")),
    ("author email", Key::Extra("email")),
    ("author's email", Key::Extra("email")),
    ("contact", Key::Extra("email")),
    ("fandom", Key::Fandom),
    ("universe", Key::Fandom),
    ("source", Key::Fandom),
    ("crossover", Key::Fandom),
    ("фэндом", Key::Fandom),
    ("фандом", Key::Fandom),
    ("category", Key::Category),
    ("categorie", Key::Category),
    ("categorie", Key::Category),
    ("pairing", Key::Relationships),
    ("pairings/characters", Key::Relationships),
    ("relationship", Key::Relationships),
    ("ship", Key::Relationships),
    ("couple", Key::Relationships),
    ("пэйринг", Key::Relationships),
    ("пейринг", Key::Relationships),
    ("pairing/character", Key::Relationships),
    ("character", Key::Characters),
    ("персонаж", Key::Characters),
    ("персонажи", Key::Characters),
    ("rating", Key::Rating),
    ("rated", Key::Rating),
    ("content rating", Key::Rating),
    ("рейтинг", Key::Rating),
    ("warning", Key::Warnings),
    ("content warning", Key::Warnings),
    ("archive warning", Key::Warnings),
    ("trigger warning", Key::Warnings),
    ("предупреждение", Key::Warnings),
    ("предупреждения", Key::Warnings),
    ("genre", Key::Genre),
    ("жанр", Key::Genre),
    ("жанры", Key::Genre),
    ("summary", Key::Summary),
    ("summery", Key::Summary),
    ("sumary", Key::Summary),
    ("summay", Key::Summary),
    ("description", Key::Summary),
    ("blurb", Key::Summary),
    ("abstract", Key::Summary),
    ("описание", Key::Summary),
    ("аннотация", Key::Summary),
    ("zusammenfassung", Key::Summary),
    ("inhalt", Key::Summary),
    ("beschreibung", Key::Summary),
    ("kurzbeschreibung", Key::Summary),
    // German (fanfiktion.de and mailing lists): the other common labels.
    ("autorin", Key::Author),
    ("warnung", Key::Warnings),
    ("warnungen", Key::Warnings),
    ("charaktere", Key::Characters),
    ("figuren", Key::Characters),
    ("altersfreigabe", Key::Rating),
    ("altersbeschränkung", Key::Rating),
    ("kapitel", Key::Chapters),
    ("hinweis", Key::Notes),
    ("anmerkung", Key::Notes),
    ("anmerkungen", Key::Notes),
    ("resumen", Key::Summary),
    ("résumé", Key::Summary),
    ("disclaimer", Key::Extra("disclaimer")),
    ("disclamer", Key::Extra("disclaimer")),
    ("dislaimer", Key::Extra("disclaimer")),
    ("дисклеймер", Key::Extra("disclaimer")),
    ("дисклаймер", Key::Extra("disclaimer")),
    ("author's note", Key::Notes),
    ("authors note", Key::Notes),
    ("author note", Key::Notes),
    ("authors' note", Key::Notes),
    ("a/n", Key::Notes),
    ("a/n's", Key::Notes),
    ("an", Key::Notes),
    ("note", Key::Notes),
    ("notes", Key::Notes),
    ("примечание", Key::Notes),
    ("примечания", Key::Notes),
    ("примечания автора", Key::Notes),
    ("author's endnote", Key::EndNotes),
    ("end note", Key::EndNotes),
    ("endnote", Key::EndNotes),
    ("end notes", Key::EndNotes),
    ("feedback", Key::Extra("feedback")),
    ("c&c", Key::Extra("feedback")),
    ("comments", Key::Extra("feedback")),
    ("archive", Key::Extra("archive")),
    ("archiving", Key::Extra("archive")),
    ("distribution", Key::Extra("archive")),
    ("dedication", Key::Extra("dedication")),
    ("dedicated to", Key::Extra("dedication")),
    ("beta", Key::Extra("beta")),
    ("beta reader", Key::Extra("beta")),
    ("beta'd by", Key::Extra("beta")),
    ("betaed by", Key::Extra("beta")),
    ("бета", Key::Extra("beta")),
    ("word count", Key::Words),
    ("wordcount", Key::Words),
    ("word", Key::Words),
    ("length", Key::Words),
    ("размер", Key::Words),
    ("date", Key::Published),
    ("posted", Key::Published),
    ("date posted", Key::Published),
    ("published", Key::Published),
    ("date sent", Key::Published),
    ("written", Key::Published),
    ("updated", Key::Updated),
    ("last updated", Key::Updated),
    ("timeline", Key::Extra("timeline")),
    ("time frame", Key::Extra("timeline")),
    ("timeframe", Key::Extra("timeline")),
    ("time line", Key::Extra("timeline")),
    ("setting", Key::Extra("timeline")),
    ("season", Key::Extra("timeline")),
    ("year", Key::Extra("timeline")),
    ("spoiler", Key::Extra("spoilers")),
    ("spoiler warning", Key::Extra("spoilers")),
    ("series", Key::Series),
    ("serie", Key::Series),
    ("part", Key::Part),
    ("keyword", Key::Tags),
    ("tag", Key::Tags),
    ("additional tag", Key::Tags),
    ("freeform", Key::Tags),
    ("classification", Key::Extra("classification")),
    ("format", Key::Extra("format")),
    ("status", Key::Status),
    ("статус", Key::Status),
    ("language", Key::Language),
    ("lang", Key::Language),
    ("язык", Key::Language),
    ("chapter", Key::Chapters),
    ("completed", Key::Completed),
    ("complete", Key::Completed),
    ("challenge", Key::Extra("challenge")),
    ("prompt", Key::Extra("prompt")),
    ("acknowledgement", Key::Extra("acknowledgements")),
    ("acknowledgment", Key::Extra("acknowledgements")),
    ("thank", Key::Extra("acknowledgements")),
];

/// Normalises a label: lower case, curly apostrophes straightened, inner whitespace
/// collapsed, a trailing plural `s` dropped.
pub fn label_key(label: &str) -> String {
    let mut key = String::with_capacity(label.len());
    for word in label.split_whitespace() {
        if !key.is_empty() {
            key.push(' ');
        }
        key.push_str(&word.to_lowercase().replace('’', "'"));
    }
    let key = key.trim_matches(|c: char| c == '*' || c == '_' || c == '-' || c == '.').to_string();
    if key.len() > 3 && key.ends_with('s') && !key.ends_with("ss") && !key.ends_with("'s") {
        // Try the singular form first; the table holds singulars.
        let singular = &key[..key.len() - 1];
        if LABELS.iter().any(|(k, _)| *k == singular) {
            return singular.to_string();
        }
    }
    key
}

pub fn lookup(label: &str) -> Option<Key> {
    let key = label_key(label);
    LABELS.iter().find(|(k, _)| *k == key).map(|(_, v)| *v)
}

/// A `Label: value` line, with the label as written.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LabelLine<'a> {
    pub label: &'a str,
    pub value: &'a str,
    pub key: Option<Key>,
}

static LABEL_RE: LazyLock<regex::Regex> = LazyLock::new(|| {
    regex::Regex::new(r"^[\*_]{0,3}([\p{L}][\p{L}\p{M}0-9 '’&/.\-]{0,32}?)[\*_]{0,3}\s?[:：][\*_]{0,3}(?:\s+|$)(.*)$")
        .expect("literal regex")
});

/// Reads a line as `Label: value`. Only short labels of at most four words qualify.
pub fn label_line(text: &str) -> Option<LabelLine<'_>> {
    // Cheap rejections first: prose lines are long and rarely have a colon early.
    // A label's colon sits within the first 40 bytes: never scan a whole paragraph for one.
    let colon = text[..text.floor_char_boundary(44)].find([':', '：'])?;
    if colon > 40 || colon == 0 {
        return None;
    }
    let caps = LABEL_RE.captures(text)?;
    let label = caps.get(1)?.as_str().trim();
    if label.split_whitespace().count() > 4 {
        return None;
    }
    // "Chapter One: The Wick", "Part 2: Home" are chapter headings, not labels.
    let lower = label.to_lowercase();
    let first_word = lower.split_whitespace().next().unwrap_or("");
    if lower.contains(' ')
        && matches!(
            first_word,
            "chapter" | "chap" | "ch" | "ch." | "part" | "book" | "kapitel" | "глава" | "prologue" | "epilogue" | "volume"
        )
    {
        return None;
    }
    let value = caps.get(2).map_or("", |m| m.as_str()).trim();
    let value = value.trim_end_matches(['*', '_']).trim();
    // "http://..." is not a label line.
    if label.eq_ignore_ascii_case("http") || label.eq_ignore_ascii_case("https") {
        return None;
    }
    Some(LabelLine { label, value, key: lookup(label) })
}

/// One header field as found.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Field {
    pub key: Option<Key>,
    /// The label as written (for `extra` keys of unknown labels).
    pub label: String,
    pub value: String,
}

/// Splits `Rated: R Category: Romance` into its fields: an inner ` Label:` where the label is
/// known and capitalised starts a new field. Free-text values are never split.
pub fn split_fields(first: LabelLine<'_>) -> Vec<Field> {
    let mut fields = Vec::new();
    let mut label = first.label.to_string();
    let mut key = first.key;
    let mut value = first.value;
    loop {
        if key.is_some_and(Key::is_free_text) {
            fields.push(Field { key, label, value: value.to_string() });
            break;
        }
        let split = find_inner_label(value);
        match split {
            Some((at, inner_label, inner_key, rest)) => {
                fields.push(Field { key, label, value: value[..at].trim().to_string() });
                label = inner_label.to_string();
                key = Some(inner_key);
                value = rest;
            }
            None => {
                fields.push(Field { key, label, value: value.to_string() });
                break;
            }
        }
    }
    fields
}

fn find_inner_label(value: &str) -> Option<(usize, &str, Key, &str)> {
    for (i, _) in value.match_indices([':', '：']) {
        let before = &value[..i];
        // Try the last one to four words before the colon as a label.
        let words: Vec<(usize, &str)> = before.split_whitespace().map(|w| (w.as_ptr() as usize - value.as_ptr() as usize, w)).collect();
        for n in (1..=words.len().min(4)).rev() {
            let (start, first_word) = words[words.len() - n];
            if start == 0 || !first_word.chars().next().is_some_and(char::is_uppercase) {
                continue;
            }
            let candidate = before[start..].trim();
            if let Some(key) = lookup(candidate) {
                let rest = value[i + value[i..].chars().next().map_or(1, char::len_utf8)..].trim();
                return Some((start, candidate, key, rest));
            }
        }
    }
    None
}

/// A header block found at the top of some lines.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct HeaderBlock {
    /// Lines `[0, end)` belong to the header (blank lines and rules around it included).
    pub end: usize,
    pub fields: Vec<Field>,
    /// Short lines before the first label (a title line, `Title by Author`, `FIC: ...`).
    pub preamble: Vec<String>,
}

/// Finds a header block at the start of `lines`. A block needs at least one known label; the
/// lines before the first label may be at most two short title-like lines.
pub fn find_header_block(lines: &[Line]) -> Option<HeaderBlock> {
    let mut i = 0;
    let mut preamble = Vec::new();
    // Up to three short lines before the first label (title, "by Author", a FIC: line).
    while i < lines.len() && preamble.len() <= 3 {
        let line = &lines[i];
        if line.style == LineStyle::Rule {
            i += 1;
            continue;
        }
        if label_line(&line.text).is_some_and(|l| l.key.is_some()) {
            break;
        }
        if line.text.chars().count() > 120 || preamble.len() == 3 {
            return None;
        }
        preamble.push(line.text.clone());
        i += 1;
    }
    let mut block = HeaderBlock { preamble, ..HeaderBlock::default() };
    let mut known = 0;
    let mut last_field_line = None;
    while i < lines.len() {
        let line = &lines[i];
        if line.style == LineStyle::Rule {
            // A rule ends the header when the next line is not a label.
            let next_is_label = lines.get(i + 1).and_then(|l| label_line(&l.text)).is_some_and(|l| l.key.is_some());
            if !next_is_label && known > 0 {
                block.end = i + 1;
                break;
            }
            i += 1;
            continue;
        }
        if let Some(ll) = label_line(&line.text) {
            let accept = ll.key.is_some() || (known > 0 && !line.para_start) || (known > 0 && looks_like_unknown_label(&ll));
            if accept {
                known += usize::from(ll.key.is_some());
                let fields = split_fields(ll);
                block.fields.extend(fields);
                last_field_line = Some(i);
                i += 1;
                continue;
            }
        }
        // Not a label: a continuation of the previous value, or the end of the header.
        let Some(last) = block.fields.last_mut() else {
            break;
        };
        if !line.para_start {
            // A value wrapped over several lines of one paragraph.
            if !last.value.is_empty() {
                last.value.push(' ');
            }
            last.value.push_str(&line.text);
            last_field_line = Some(i);
            i += 1;
            continue;
        }
        if last.value.is_empty() && last.key.is_some_and(Key::is_list) {
            // "Characters :" over a list or table of names, one per line.
            let mut j = i;
            let mut items = Vec::new();
            while j < lines.len()
                && lines[j].style != LineStyle::Rule
                && lines[j].text.chars().count() <= 60
                && label_line(&lines[j].text).is_none()
            {
                items.push(lines[j].text.clone());
                j += 1;
            }
            if !items.is_empty() {
                last.value = items.join(", ");
                last_field_line = Some(j - 1);
                i = j;
                continue;
            }
        }
        if last.value.is_empty() && last.key.is_some_and(|k| k.is_free_text() || matches!(k, Key::Notes)) {
            // "Summary:" alone on its line: the next paragraph is the value.
            let mut j = i;
            while j < lines.len() && (j == i || !lines[j].para_start) && lines[j].style != LineStyle::Rule {
                if !last.value.is_empty() {
                    last.value.push('\n');
                }
                last.value.push_str(&lines[j].text);
                j += 1;
            }
            last_field_line = Some(j - 1);
            i = j;
            continue;
        }
        break;
    }
    if known == 0 {
        return None;
    }
    if block.end == 0 {
        block.end = last_field_line.map_or(i, |l| l + 1);
    }
    Some(block)
}

/// A story header block (two known fields or more) below a preface or page furniture,
/// starting within the first two fifths of the lines: the line where it (with the title
/// line just above it, if any) starts. `None` when the lines open with a header block, or
/// hold none.
pub fn header_block_below(lines: &[Line]) -> Option<usize> {
    if find_header_block(lines).is_some() {
        return None;
    }
    let limit = lines.len() * 2 / 5;
    let start = (1..limit).find(|&i| {
        find_header_block(&lines[i..]).is_some_and(|h| h.fields.iter().filter(|f| f.key.is_some()).count() >= 2 && h.preamble.len() <= 1)
    })?;
    Some(start.saturating_sub(usize::from(label_line(&lines[start].text).is_none())))
}

/// An unknown label at the start of its own paragraph counts when it looks like a header
/// label: one to three capitalised words and a short value.
fn looks_like_unknown_label(ll: &LabelLine<'_>) -> bool {
    let words = ll.label.split_whitespace().count();
    words <= 3 && ll.label.chars().next().is_some_and(char::is_uppercase) && ll.value.chars().count() <= 200
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn labels_match_case_plurals_and_misspellings() {
        assert_eq!(lookup("TITLE"), Some(Key::Title));
        assert_eq!(lookup("Pairings"), Some(Key::Relationships));
        assert_eq!(lookup("Summery"), Some(Key::Summary));
        assert_eq!(lookup("Disclaimers"), Some(Key::Extra("disclaimer")));
        assert_eq!(lookup("Author’s Note"), Some(Key::Notes));
        assert_eq!(lookup("Рейтинг"), Some(Key::Rating));
        assert_eq!(lookup("Warnings"), Some(Key::Warnings));
        assert_eq!(lookup("Characters"), Some(Key::Characters));
        assert_eq!(lookup("Status"), Some(Key::Status));
        assert_eq!(lookup("Wibble"), None);
    }

    #[test]
    fn several_fields_share_a_line() {
        let fields = split_fields(label_line("Rated: R Category: Romance").unwrap());
        let got: Vec<_> = fields.iter().map(|f| (f.key, f.value.as_str())).collect();
        assert_eq!(got, vec![(Some(Key::Rating), "R"), (Some(Key::Category), "Romance")]);
    }

    #[test]
    fn free_text_is_not_split() {
        let fields = split_fields(label_line("Summary: Buffy says: Rating: who cares").unwrap());
        assert_eq!(fields.len(), 1);
    }

    #[test]
    fn space_before_colon_and_bold_labels() {
        assert_eq!(label_line("Author : WolfDan").unwrap().value, "WolfDan");
        assert_eq!(label_line("**Disclaimer:** none of it").unwrap().key, Some(Key::Extra("disclaimer")));
        assert!(label_line("He said it plainly, and then he left: gone.").is_none());
    }
}
