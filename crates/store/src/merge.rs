//! Joining a newly imported copy of a work with the copy the archive holds. Pure: no I/O.
//!
//! A fan who saved chapters 1–3 last year and chapters 1–5 today, or chapter 4 alone, should
//! end with one work of five chapters that keeps its id. Chapters are matched by number; a
//! chapter with text from the new copy replaces the stored one, and a stored chapter the new
//! copy lacks is kept (nothing imported is ever lost). Stated metadata from the new copy wins
//! where it says something; where it is silent the stored value stays.

use ficarchive_model::{Chapter, Work};

/// The merged work, or `None` when the new copy adds nothing the archive does not hold.
pub fn merge(stored: &Work, incoming: &Work) -> Option<Work> {
    let mut merged = stored.clone();
    let pick = |a: &Option<String>, b: &Option<String>| a.clone().or_else(|| b.clone());
    if incoming.title.is_some() {
        merged.title = incoming.title.clone();
    }
    for (into, from) in [
        (&mut merged.authors, &incoming.authors),
        (&mut merged.fandoms, &incoming.fandoms),
        (&mut merged.warnings, &incoming.warnings),
        (&mut merged.categories, &incoming.categories),
        (&mut merged.relationships, &incoming.relationships),
        (&mut merged.characters, &incoming.characters),
        (&mut merged.freeform_tags, &incoming.freeform_tags),
    ] {
        if !from.is_empty() {
            into.clone_from(from);
        }
    }
    if incoming.rating.raw.is_some() {
        merged.rating = incoming.rating.clone();
    }
    merged.language = pick(&incoming.language, &stored.language);
    merged.summary = pick(&incoming.summary, &stored.summary);
    merged.notes = pick(&incoming.notes, &stored.notes);
    merged.end_notes = pick(&incoming.end_notes, &stored.end_notes);
    if !incoming.series.is_empty() {
        merged.series.clone_from(&incoming.series);
    }
    merged.chapters_total = incoming.chapters_total.or(stored.chapters_total);
    merged.complete = incoming.complete.or(stored.complete);
    merged.words_stated = incoming.words_stated.or(stored.words_stated);
    merged.published = earliest(&stored.published, &incoming.published);
    merged.updated = latest(&stored.updated, &incoming.updated);
    merged.site_id = pick(&stored.site_id, &incoming.site_id);
    for (k, v) in &incoming.extra {
        merged.extra.insert(k.clone(), v.clone());
    }
    merged.chapters = merge_chapters(&stored.chapters, &incoming.chapters);

    // Provenance and diagnostics accumulate; they do not make a copy "new".
    let content_changed = !same_content(&merged, stored);
    for (path, sha) in incoming.source.paths.iter().zip(&incoming.source.sha256) {
        if !merged.source.sha256.contains(sha) {
            merged.source.paths.push(path.clone());
            merged.source.sha256.push(sha.clone());
        }
    }
    for d in &incoming.diagnostics {
        if !merged.diagnostics.contains(d) {
            merged.diagnostics.push(d.clone());
        }
    }
    content_changed.then_some(merged)
}

fn merge_chapters(stored: &[Chapter], incoming: &[Chapter]) -> Vec<Chapter> {
    let mut chapters: Vec<Chapter> = stored.to_vec();
    for c in incoming {
        match chapters.iter_mut().find(|s| s.number == c.number) {
            Some(s) => {
                if c.has_text() {
                    let title = c.title.clone().or_else(|| s.title.clone());
                    *s = c.clone();
                    s.title = title;
                } else if s.title.is_none() {
                    s.title.clone_from(&c.title);
                }
            }
            None => chapters.push(c.clone()),
        }
    }
    chapters.sort_by_key(|c| c.number);
    chapters
}

fn same_content(a: &Work, b: &Work) -> bool {
    let strip = |w: &Work| {
        let mut w = w.clone();
        w.source = Default::default();
        w.diagnostics.clear();
        w
    };
    strip(a) == strip(b)
}

/// Dates are ISO `YYYY-MM-DD`, so text order is date order.
fn earliest(a: &Option<String>, b: &Option<String>) -> Option<String> {
    match (a, b) {
        (Some(x), Some(y)) => Some(x.min(y).clone()),
        _ => a.clone().or_else(|| b.clone()),
    }
}

fn latest(a: &Option<String>, b: &Option<String>) -> Option<String> {
    match (a, b) {
        (Some(x), Some(y)) => Some(x.max(y).clone()),
        _ => a.clone().or_else(|| b.clone()),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use ficarchive_model::{Block, Document, Inline};

    fn chapter(number: u32, text: &str) -> Chapter {
        let body =
            if text.is_empty() { Document::default() } else { Document::new(vec![Block::Paragraph(vec![Inline::Text(text.into())])]) };
        Chapter { number, body, ..Chapter::default() }
    }

    fn work(chapters: Vec<Chapter>) -> Work {
        Work { title: Some("Tide".into()), authors: vec!["Wren".into()], chapters, ..Work::default() }
    }

    #[test]
    fn a_later_chapter_file_joins_the_stored_work() {
        let stored = work(vec![chapter(1, "one"), chapter(2, "two")]);
        let incoming = work(vec![chapter(3, "three")]);
        let merged = merge(&stored, &incoming).expect("a new chapter is a change");
        assert_eq!(merged.chapters.iter().map(|c| c.number).collect::<Vec<_>>(), vec![1, 2, 3]);
    }

    #[test]
    fn a_listed_chapter_without_text_never_replaces_stored_text() {
        let stored = work(vec![chapter(1, "one"), chapter(2, "two")]);
        let mut incoming = work(vec![chapter(1, ""), chapter(2, "two")]);
        incoming.chapters[0].title = Some("Beginnings".into());
        let merged = merge(&stored, &incoming).expect("a chapter title is new");
        assert!(merged.chapters[0].has_text());
        assert_eq!(merged.chapters[0].title.as_deref(), Some("Beginnings"));
    }

    #[test]
    fn the_same_copy_again_is_no_change() {
        let stored = work(vec![chapter(1, "one")]);
        let mut incoming = stored.clone();
        incoming.source.paths = vec!["copy.txt".into()];
        incoming.source.sha256 = vec!["abc".into()];
        assert!(merge(&stored, &incoming).is_none());
    }

    #[test]
    fn dates_widen_and_stated_values_win() {
        let mut stored = work(vec![chapter(1, "one")]);
        stored.published = Some("2020-01-01".into());
        stored.updated = Some("2020-02-01".into());
        stored.summary = Some("old".into());
        let mut incoming = work(vec![chapter(1, "one")]);
        incoming.published = Some("2020-01-05".into());
        incoming.updated = Some("2021-01-01".into());
        let merged = merge(&stored, &incoming).expect("updated date moved");
        assert_eq!(merged.published.as_deref(), Some("2020-01-01"));
        assert_eq!(merged.updated.as_deref(), Some("2021-01-01"));
        assert_eq!(merged.summary.as_deref(), Some("old"));
    }
}
