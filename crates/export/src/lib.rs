//! Take-away copies of works: EPUB 3 books, one self-contained HTML file, and plain text.
//!
//! A [`Book`] is a work as the archive holds it (canonical tags, series places, every
//! chapter); [`Book::load`] is the only function here that does I/O (it reads the store).
//! Everything else is pure: a book in, bytes out, the same bytes for the same book, so the
//! writers can be fuzzed and their output validated (epubcheck, calibre) in tests.
//!
//! The story-text renderer ([`render`]) lives here too: the web reader's pages, the EPUB
//! chapters and the HTML download all render a document through it, so there is one escaper
//! and one mapping from document shapes to markup.

pub mod cover;
pub mod epub;
pub mod html;
pub mod language;
pub mod render;
pub mod text;

use ficarchive_model::{Chapter, Work};
use ficarchive_store::{Archive, AuthorLink, ChapterEntry, SeriesLink, StoreError, TagKind, TagLink, WorkCard};

/// A work with everything a take-away copy shows.
#[derive(Debug, Clone)]
pub struct Book {
    /// The work's permanent identifier, `urn:uuid:…` (see `Archive::work_uuid`).
    pub identifier: String,
    /// The archive's name: the book's publisher.
    pub publisher: String,
    pub card: WorkCard,
    pub notes: Option<String>,
    pub end_notes: Option<String>,
    pub chapters: Vec<(ChapterEntry, Chapter)>,
}

impl Book {
    /// Loads a work from the archive; `None` for an unknown id.
    pub async fn load(archive: &Archive, work: i64, publisher: &str) -> Result<Option<Book>, StoreError> {
        let Some(view) = archive.work_view(work).await? else { return Ok(None) };
        let chapters = archive.chapter_text(work, None).await?;
        Ok(Some(Book {
            identifier: format!("urn:uuid:{}", archive.work_uuid(work)),
            publisher: publisher.to_string(),
            card: view.card,
            notes: view.notes,
            end_notes: view.end_notes,
            chapters,
        }))
    }

    /// A book straight from a parsed work, with its tags as stated (not wrangled): for
    /// exporting without an archive, and for benches.
    pub fn from_work(work: &Work, id: i64, identifier: &str, publisher: &str) -> Book {
        let mut tags = Vec::new();
        let stated: [(TagKind, &[String]); 6] = [
            (TagKind::Fandom, &work.fandoms),
            (TagKind::Warning, &work.warnings),
            (TagKind::Category, &work.categories),
            (TagKind::Relationship, &work.relationships),
            (TagKind::Character, &work.characters),
            (TagKind::Freeform, &work.freeform_tags),
        ];
        tags.push(TagLink { id: 0, kind: TagKind::Rating, name: work.rating.normalized.as_str().to_string() });
        for (kind, names) in stated {
            tags.extend(names.iter().map(|name| TagLink { id: 0, kind, name: name.clone() }));
        }
        tags.sort_by_key(|t| TagKind::ALL.iter().position(|k| *k == t.kind));
        let chapters: Vec<(ChapterEntry, Chapter)> = work
            .chapters
            .iter()
            .enumerate()
            .map(|(i, c)| {
                let entry = ChapterEntry { place: i as u32 + 1, number: c.number, title: c.title.clone(), words: c.words() };
                (entry, c.clone())
            })
            .collect();
        let card = WorkCard {
            id,
            title: work.display_title().to_string(),
            authors: work.authors.iter().map(|name| AuthorLink { id: 0, name: name.clone() }).collect(),
            rating: work.rating.normalized.as_str().to_string(),
            tags,
            summary: work.summary.clone(),
            words: chapters.iter().map(|(e, _)| e.words).sum(),
            chapters: chapters.iter().filter(|(_, c)| c.has_text()).count() as u32,
            chapters_total: work.chapters_total,
            complete: work.complete,
            language: work.language.clone(),
            published: work.published.clone(),
            updated: work.updated.clone(),
            series: work.series.iter().map(|s| SeriesLink { id: 0, name: s.name.clone(), part: s.part }).collect(),
            modified_at: 0,
        };
        Book {
            identifier: identifier.to_string(),
            publisher: publisher.to_string(),
            card,
            notes: work.notes.clone(),
            end_notes: work.end_notes.clone(),
            chapters,
        }
    }

    pub fn tags(&self, kind: TagKind) -> Vec<&str> {
        self.card.tags_of(kind).map(|t| t.name.as_str()).collect()
    }

    /// See [`byline`].
    pub fn byline(&self) -> String {
        byline(&self.card)
    }

    /// `Complete`, `In progress` or `Unknown`.
    pub fn status(&self) -> &'static str {
        match self.card.complete {
            Some(true) => "Complete",
            Some(false) => "In progress",
            None => "Unknown",
        }
    }

    /// `3/3`, `2/?` (AO3's chapter count), or just `2` when neither the total nor the status
    /// is known (`2/?` would say "in progress").
    pub fn chapter_count(&self) -> String {
        let posted = self.chapters.len();
        match (self.card.chapters_total, self.card.complete) {
            (Some(total), _) => format!("{posted}/{total}"),
            (None, Some(true)) => format!("{posted}/{posted}"),
            (None, Some(false)) => format!("{posted}/?"),
            (None, None) => posted.to_string(),
        }
    }

    /// The labelled metadata fans expect on a title page, in FanFicFare's order; empty values
    /// are left out.
    pub fn labelled_fields(&self) -> Vec<(&'static str, String)> {
        let join = |kind: TagKind| self.tags(kind).join(", ");
        let series = self
            .card
            .series
            .iter()
            .map(|s| match s.part {
                Some(part) => format!("{} (part {part})", s.name),
                None => s.name.clone(),
            })
            .collect::<Vec<_>>()
            .join(", ");
        let fields = [
            ("Series", series),
            ("Fandoms", join(TagKind::Fandom)),
            ("Rating", join(TagKind::Rating)),
            ("Archive Warnings", join(TagKind::Warning)),
            ("Categories", join(TagKind::Category)),
            ("Relationships", join(TagKind::Relationship)),
            ("Characters", join(TagKind::Character)),
            ("Additional Tags", join(TagKind::Freeform)),
            ("Language", self.card.language.clone().unwrap_or_default()),
            ("Status", self.status().to_string()),
            ("Published", self.card.published.clone().unwrap_or_default()),
            ("Updated", self.card.updated.clone().unwrap_or_default()),
            ("Chapters", self.chapter_count()),
            ("Words", render::thousands(self.card.words)),
        ];
        fields.into_iter().filter(|(_, v)| !v.is_empty()).collect()
    }

    /// A file name for the book: the title's letters and digits (any script) joined by
    /// hyphens, then the work id, so two works never share a name.
    pub fn file_stem(&self) -> String {
        let mut stem = String::new();
        for word in self.card.title.split(|c: char| !c.is_alphanumeric()).filter(|w| !w.is_empty()) {
            if stem.chars().count() + word.chars().count() > 60 {
                break;
            }
            if !stem.is_empty() {
                stem.push('-');
            }
            stem.push_str(word);
        }
        if stem.is_empty() { format!("work-{}", self.card.id) } else { format!("{stem}-{}", self.card.id) }
    }
}

/// The label a tag kind has on AO3's pages and in its downloads.
pub fn tag_label(kind: TagKind) -> &'static str {
    match kind {
        TagKind::Fandom => "Fandoms",
        TagKind::Rating => "Rating",
        TagKind::Warning => "Archive Warnings",
        TagKind::Category => "Categories",
        TagKind::Relationship => "Relationships",
        TagKind::Character => "Characters",
        TagKind::Freeform => "Additional Tags",
    }
}

/// `Author One & Author Two`, or `Anonymous` when no author is credited.
pub fn byline(card: &WorkCard) -> String {
    if card.authors.is_empty() {
        return "Anonymous".into();
    }
    card.authors.iter().map(|a| a.name.as_str()).collect::<Vec<_>>().join(" & ")
}

/// The cover of a work (see [`cover::svg`]): title, byline, fandoms.
pub fn cover_svg(card: &WorkCard) -> String {
    let fandoms = card.tags_of(TagKind::Fandom).map(|t| t.name.as_str()).collect::<Vec<_>>().join(", ");
    cover::svg(&card.title, &byline(card), &fandoms)
}

/// A take-away format.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Format {
    Epub,
    Html,
    Text,
}

impl Format {
    pub const ALL: [Format; 3] = [Format::Epub, Format::Html, Format::Text];

    /// `epub`, `html` or `txt`: the file extension and the name on the command line and in
    /// download addresses.
    pub fn extension(self) -> &'static str {
        match self {
            Format::Epub => "epub",
            Format::Html => "html",
            Format::Text => "txt",
        }
    }

    pub fn from_extension(name: &str) -> Option<Format> {
        Format::ALL.into_iter().find(|f| f.extension() == name)
    }

    pub fn media_type(self) -> &'static str {
        match self {
            Format::Epub => "application/epub+zip",
            Format::Html => "text/html; charset=utf-8",
            Format::Text => "text/plain; charset=utf-8",
        }
    }

    pub fn label(self) -> &'static str {
        match self {
            Format::Epub => "EPUB",
            Format::Html => "HTML",
            Format::Text => "Text",
        }
    }
}

/// The book's bytes in `format`.
pub fn write(book: &Book, format: Format) -> Vec<u8> {
    match format {
        Format::Epub => epub::write(book),
        Format::Html => html::write(book).into_bytes(),
        Format::Text => text::write(book).into_bytes(),
    }
}

/// `2026-11-23T02:28:31Z` for seconds since 1970 (UTC; before 1970 reads as 1970).
pub fn utc_timestamp(seconds: i64) -> String {
    let seconds = seconds.max(0);
    let (days, rest) = (seconds / 86_400, seconds % 86_400);
    let (year, month, day) = civil_date(days);
    format!("{year:04}-{month:02}-{day:02}T{:02}:{:02}:{:02}Z", rest / 3600, rest % 3600 / 60, rest % 60)
}

/// The proleptic Gregorian date `days` after 1970-01-01 (the well-known era arithmetic).
fn civil_date(days: i64) -> (i64, u32, u32) {
    let z = days + 719_468;
    let era = z.div_euclid(146_097);
    let day_of_era = z.rem_euclid(146_097);
    let year_of_era = (day_of_era - day_of_era / 1460 + day_of_era / 36_524 - day_of_era / 146_096) / 365;
    let day_of_year = day_of_era - (365 * year_of_era + year_of_era / 4 - year_of_era / 100);
    let mp = (5 * day_of_year + 2) / 153;
    let day = (day_of_year - (153 * mp + 2) / 5 + 1) as u32;
    let month = if mp < 10 { mp + 3 } else { mp - 9 } as u32;
    let year = year_of_era + era * 400 + i64::from(month <= 2);
    (year, month, day)
}

/// A date as W3C date-time text allows it (`2024`, `2024-03`, `2024-03-09`), or `None`.
pub fn w3c_date(date: &str) -> Option<&str> {
    let date = date.trim();
    let parts: Vec<&str> = date.split('-').collect();
    let digits = |s: &str, n: usize| s.len() == n && s.bytes().all(|b| b.is_ascii_digit());
    let ok = match parts.as_slice() {
        [y] => digits(y, 4),
        [y, m] => digits(y, 4) && digits(m, 2) && (1..=12).contains(&m.parse::<u32>().unwrap_or(0)),
        [y, m, d] => {
            digits(y, 4)
                && digits(m, 2)
                && digits(d, 2)
                && (1..=12).contains(&m.parse::<u32>().unwrap_or(0))
                && (1..=31).contains(&d.parse::<u32>().unwrap_or(0))
        }
        _ => false,
    };
    ok.then_some(date)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn timestamps_are_utc_in_the_w3c_form() {
        assert_eq!(utc_timestamp(0), "1970-01-01T00:00:00Z");
        assert_eq!(utc_timestamp(951_782_400), "2000-02-29T00:00:00Z");
        assert_eq!(utc_timestamp(1_795_400_911), "2026-11-23T02:28:31Z");
        assert_eq!(utc_timestamp(-5), "1970-01-01T00:00:00Z");
    }

    #[test]
    fn only_w3c_dates_are_kept() {
        assert_eq!(w3c_date("2024-03-09"), Some("2024-03-09"));
        assert_eq!(w3c_date("2024"), Some("2024"));
        assert_eq!(w3c_date("2024-13-01"), None);
        assert_eq!(w3c_date("March 2024"), None);
        assert_eq!(w3c_date("09/03/2024"), None);
    }
}
