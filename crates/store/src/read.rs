//! What readers see: works as blurbs and pages, chapters, series, authors and the fandom index,
//! always with canonical tags. Every list is loaded with a fixed number of statements, whatever
//! its length, so a page costs the same on a 100-work and a 100,000-work archive.

use crate::{Archive, Result, chapter_body, parse_document};
use ficarchive_model::Chapter;
use ficarchive_wrangle::TagKind;
use sqlx::Row;
use std::collections::HashMap;

/// A canonical tag, as a link.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TagLink {
    pub id: i64,
    pub kind: TagKind,
    pub name: String,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AuthorLink {
    pub id: i64,
    pub name: String,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SeriesLink {
    pub id: i64,
    pub name: String,
    pub part: Option<u32>,
}

/// A work as listed (AO3 calls this a blurb): enough to choose it from a list.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct WorkCard {
    pub id: i64,
    pub title: String,
    pub authors: Vec<AuthorLink>,
    /// The normalised rating (`general`, `teen`, `mature`, `explicit`, `not-rated`).
    pub rating: String,
    /// Canonical tags, each once, in [`TagKind::ALL`] order and then as the work states them.
    pub tags: Vec<TagLink>,
    pub summary: Option<String>,
    pub words: u64,
    /// Chapters the archive holds text for.
    pub chapters: u32,
    /// Chapters the work will have, when stated.
    pub chapters_total: Option<u32>,
    pub complete: Option<bool>,
    pub language: Option<String>,
    pub published: Option<String>,
    pub updated: Option<String>,
    pub series: Vec<SeriesLink>,
    /// When the archive last changed this work (seconds since 1970).
    pub modified_at: i64,
}

impl WorkCard {
    pub fn tags_of(&self, kind: TagKind) -> impl Iterator<Item = &TagLink> {
        self.tags.iter().filter(move |t| t.kind == kind)
    }
}

/// One entry of a work's chapter index.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ChapterEntry {
    /// 1-based place in the work (the reader's chapter number, and the URL's).
    pub place: u32,
    /// The number the source gave the chapter.
    pub number: u32,
    pub title: Option<String>,
    pub words: u64,
}

impl ChapterEntry {
    /// `Chapter 3: The Lighthouse`, or `Chapter 3`.
    pub fn label(&self) -> String {
        match &self.title {
            Some(t) => format!("Chapter {}: {t}", self.place),
            None => format!("Chapter {}", self.place),
        }
    }
}

/// A work's place in one series, with its neighbours.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SeriesPlace {
    pub series: SeriesLink,
    pub previous: Option<(i64, String)>,
    pub next: Option<(i64, String)>,
}

/// Everything a work page shows apart from chapter text.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct WorkView {
    pub card: WorkCard,
    pub notes: Option<String>,
    pub end_notes: Option<String>,
    pub chapter_index: Vec<ChapterEntry>,
    pub series: Vec<SeriesPlace>,
}

/// A series with its works in reading order (stated part, then publication).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SeriesView {
    pub id: i64,
    pub name: String,
    pub works: Vec<WorkCard>,
}

/// `$1, $2, ... $n`: the placeholders of an `IN (...)` list of `n` bound values.
pub(crate) fn placeholders(n: usize) -> String {
    (1..=n).map(|i| format!("${i}")).collect::<Vec<_>>().join(", ")
}

/// Runs `sql` (with `{list}` standing for the placeholders) with every id bound.
async fn rows_for_ids(archive: &Archive, sql: &str, ids: &[i64]) -> Result<Vec<sqlx::any::AnyRow>> {
    // Audited: the statement holds only `$n` placeholders; the ids are bound.
    let sql = sql.replace("{list}", &placeholders(ids.len()));
    let mut query = sqlx::query(sqlx::AssertSqlSafe(sql));
    for id in ids {
        query = query.bind(*id);
    }
    Ok(query.fetch_all(archive.readers()).await?)
}

fn count(n: i64) -> u64 {
    u64::try_from(n).unwrap_or(0)
}

fn small(n: Option<i64>) -> Option<u32> {
    n.and_then(|n| u32::try_from(n).ok())
}

/// A chapter index entry from a row whose first columns are position, number, title, words.
fn chapter_entry(row: &sqlx::any::AnyRow) -> Result<ChapterEntry> {
    Ok(ChapterEntry {
        place: small(Some(row.try_get::<i64, _>(0)? + 1)).unwrap_or(0),
        number: small(Some(row.try_get(1)?)).unwrap_or(0),
        title: row.try_get(2)?,
        words: count(row.try_get(3)?),
    })
}

impl Archive {
    /// Blurbs for the works asked, in the order asked; unknown ids are left out. Five
    /// statements, whatever the number of works.
    pub async fn work_cards(&self, ids: &[i64]) -> Result<Vec<WorkCard>> {
        if ids.is_empty() {
            return Ok(Vec::new());
        }
        let mut cards: HashMap<i64, WorkCard> = HashMap::with_capacity(ids.len());
        for row in rows_for_ids(
            self,
            "SELECT w.id, w.title, w.rating, w.summary, w.words, w.chapters_total, w.complete, w.language, w.published, w.updated, \
             w.modified_at, (SELECT COUNT(*) FROM chapters c WHERE c.work_id = w.id AND c.words > 0) \
             FROM works w WHERE w.id IN ({list})",
            ids,
        )
        .await?
        {
            let id: i64 = row.try_get(0)?;
            cards.insert(
                id,
                WorkCard {
                    id,
                    title: row.try_get(1)?,
                    authors: Vec::new(),
                    rating: row.try_get(2)?,
                    tags: Vec::new(),
                    summary: row.try_get(3)?,
                    words: count(row.try_get(4)?),
                    chapters: small(Some(row.try_get(11)?)).unwrap_or(0),
                    chapters_total: small(row.try_get(5)?),
                    complete: row.try_get::<Option<i64>, _>(6)?.map(|c| c != 0),
                    language: row.try_get(7)?,
                    published: row.try_get(8)?,
                    updated: row.try_get(9)?,
                    series: Vec::new(),
                    modified_at: row.try_get(10)?,
                },
            );
        }
        for row in rows_for_ids(
            self,
            "SELECT wa.work_id, a.id, a.name FROM work_authors wa JOIN authors a ON a.id = wa.author_id \
             WHERE wa.work_id IN ({list}) ORDER BY wa.work_id, wa.position",
            ids,
        )
        .await?
        {
            if let Some(card) = cards.get_mut(&row.try_get::<i64, _>(0)?) {
                card.authors.push(AuthorLink { id: row.try_get(1)?, name: row.try_get(2)? });
            }
        }
        for row in rows_for_ids(
            self,
            "SELECT wt.work_id, c.id, c.kind, c.name FROM work_tags wt JOIN tags t ON t.id = wt.tag_id \
             JOIN tags c ON c.id = COALESCE(t.canonical_id, t.id) WHERE wt.work_id IN ({list}) ORDER BY wt.work_id, wt.position",
            ids,
        )
        .await?
        {
            let Some(card) = cards.get_mut(&row.try_get::<i64, _>(0)?) else { continue };
            let Some(kind) = TagKind::from_name(&row.try_get::<String, _>(2)?) else { continue };
            let id: i64 = row.try_get(1)?;
            if !card.tags.iter().any(|t| t.id == id) {
                card.tags.push(TagLink { id, kind, name: row.try_get(3)? });
            }
        }
        for row in rows_for_ids(
            self,
            "SELECT sw.work_id, s.id, s.name, sw.part FROM series_works sw JOIN series s ON s.id = sw.series_id \
             WHERE sw.work_id IN ({list}) ORDER BY sw.work_id, s.name",
            ids,
        )
        .await?
        {
            if let Some(card) = cards.get_mut(&row.try_get::<i64, _>(0)?) {
                card.series.push(SeriesLink { id: row.try_get(1)?, name: row.try_get(2)?, part: small(row.try_get(3)?) });
            }
        }
        for card in cards.values_mut() {
            card.tags.sort_by_key(|t| TagKind::ALL.iter().position(|k| *k == t.kind));
        }
        Ok(ids.iter().filter_map(|id| cards.remove(id)).collect())
    }

    /// The most recently updated works (by the story's own updated or published date, then by
    /// when the archive took them in), with the number of works in all.
    pub async fn recent_works(&self, limit: u32, offset: u32) -> Result<(u64, Vec<WorkCard>)> {
        let total: i64 = sqlx::query_scalar("SELECT COUNT(*) FROM works").fetch_one(self.readers()).await?;
        let ids: Vec<i64> = sqlx::query_scalar(
            "SELECT id FROM works ORDER BY COALESCE(updated, published, '') DESC, modified_at DESC, id DESC LIMIT $1 OFFSET $2",
        )
        .bind(i64::from(limit))
        .bind(i64::from(offset))
        .fetch_all(self.readers())
        .await?;
        Ok((count(total), self.work_cards(&ids).await?))
    }

    /// A work page's metadata, chapter index and series neighbours; `None` for an unknown id.
    pub async fn work_view(&self, id: i64) -> Result<Option<WorkView>> {
        let Some(card) = self.work_cards(&[id]).await?.pop() else { return Ok(None) };
        let row = sqlx::query("SELECT notes, end_notes FROM works WHERE id = $1").bind(id).fetch_one(self.readers()).await?;
        let (notes, end_notes) = (row.try_get(0)?, row.try_get(1)?);
        let chapter_index = self.chapter_index(id).await?;
        let mut series = Vec::new();
        for link in &card.series {
            let order = self.series_order(link.id).await?;
            let at = order.iter().position(|(work, _)| *work == id);
            let neighbour = |i: Option<usize>| i.and_then(|i| order.get(i)).cloned();
            series.push(SeriesPlace {
                series: link.clone(),
                previous: neighbour(at.and_then(|i| i.checked_sub(1))),
                next: neighbour(at.map(|i| i + 1)),
            });
        }
        Ok(Some(WorkView { card, notes, end_notes, chapter_index, series }))
    }

    /// A series' works as (id, title), in reading order: stated part first, then publication
    /// date, then id.
    async fn series_order(&self, series: i64) -> Result<Vec<(i64, String)>> {
        let rows = sqlx::query(
            "SELECT w.id, w.title FROM series_works sw JOIN works w ON w.id = sw.work_id WHERE sw.series_id = $1 \
             ORDER BY CASE WHEN sw.part IS NULL THEN 1 ELSE 0 END, sw.part, COALESCE(w.published, ''), w.id",
        )
        .bind(series)
        .fetch_all(self.readers())
        .await?;
        rows.iter().map(|r| Ok((r.try_get(0)?, r.try_get(1)?))).collect()
    }

    /// A work's chapter index (empty for an unknown work).
    pub async fn chapter_index(&self, work: i64) -> Result<Vec<ChapterEntry>> {
        let rows = sqlx::query("SELECT position, number, title, words FROM chapters WHERE work_id = $1 ORDER BY position")
            .bind(work)
            .fetch_all(self.readers())
            .await?;
        rows.iter().map(chapter_entry).collect()
    }

    /// Chapter text: the chapter at `place` (1-based), or every chapter when `place` is `None`.
    /// An unknown work or place gives an empty list.
    pub async fn chapter_text(&self, work: i64, place: Option<u32>) -> Result<Vec<(ChapterEntry, Chapter)>> {
        let sql = "SELECT position, number, title, words, body, body_packed, notes, end_notes FROM chapters WHERE work_id = $1 \
                   AND ($2 < 0 OR position = $2) ORDER BY position";
        let wanted = place.map_or(-1, |p| i64::from(p) - 1);
        let rows = sqlx::query(sql).bind(work).bind(wanted).fetch_all(self.readers()).await?;
        rows.iter()
            .map(|r| {
                let entry = chapter_entry(r)?;
                let chapter = Chapter {
                    number: entry.number,
                    title: entry.title.clone(),
                    body: chapter_body(r)?,
                    notes: parse_document(&r.try_get::<String, _>("notes")?)?,
                    end_notes: parse_document(&r.try_get::<String, _>("end_notes")?)?,
                };
                Ok((entry, chapter))
            })
            .collect()
    }

    /// A series and its works in reading order; `None` for an unknown id.
    pub async fn series_view(&self, id: i64) -> Result<Option<SeriesView>> {
        let Some(name) =
            sqlx::query_scalar::<_, String>("SELECT name FROM series WHERE id = $1").bind(id).fetch_optional(self.readers()).await?
        else {
            return Ok(None);
        };
        let ids: Vec<i64> = self.series_order(id).await?.into_iter().map(|(work, _)| work).collect();
        Ok(Some(SeriesView { id, name, works: self.work_cards(&ids).await? }))
    }

    /// An author (as credited) and their works, most recently updated first.
    pub async fn author_view(&self, id: i64) -> Result<Option<(AuthorLink, Vec<WorkCard>)>> {
        let Some(name) =
            sqlx::query_scalar::<_, String>("SELECT name FROM authors WHERE id = $1").bind(id).fetch_optional(self.readers()).await?
        else {
            return Ok(None);
        };
        let ids: Vec<i64> = sqlx::query_scalar(
            "SELECT w.id FROM work_authors wa JOIN works w ON w.id = wa.work_id WHERE wa.author_id = $1 \
             ORDER BY COALESCE(w.updated, w.published, '') DESC, w.id DESC",
        )
        .bind(id)
        .fetch_all(self.readers())
        .await?;
        Ok(Some((AuthorLink { id, name }, self.work_cards(&ids).await?)))
    }

    /// Every canonical tag of one kind with the number of works tagged with it (through any
    /// spelling), most works first.
    pub async fn tag_index(&self, kind: TagKind) -> Result<Vec<(TagLink, u64)>> {
        let rows = sqlx::query(
            "SELECT c.id, c.name, COUNT(DISTINCT wt.work_id) FROM work_tags wt JOIN tags t ON t.id = wt.tag_id \
             JOIN tags c ON c.id = COALESCE(t.canonical_id, t.id) WHERE c.kind = $1 \
             GROUP BY c.id, c.name ORDER BY COUNT(DISTINCT wt.work_id) DESC, c.name",
        )
        .bind(kind.as_str())
        .fetch_all(self.readers())
        .await?;
        rows.iter().map(|r| Ok((TagLink { id: r.try_get(0)?, kind, name: r.try_get(1)? }, count(r.try_get(2)?)))).collect()
    }

    /// Every series with its number of works, by name.
    pub async fn series_index(&self) -> Result<Vec<(SeriesLink, u64)>> {
        let rows = sqlx::query(
            "SELECT s.id, s.name, COUNT(sw.work_id) FROM series s JOIN series_works sw ON sw.series_id = s.id \
             GROUP BY s.id, s.name ORDER BY s.name, s.id",
        )
        .fetch_all(self.readers())
        .await?;
        rows.iter().map(|r| Ok((SeriesLink { id: r.try_get(0)?, name: r.try_get(1)?, part: None }, count(r.try_get(2)?)))).collect()
    }

    /// Every credited author with their number of works, by name.
    pub async fn author_index(&self) -> Result<Vec<(AuthorLink, u64)>> {
        let rows = sqlx::query(
            "SELECT a.id, a.name, COUNT(wa.work_id) FROM authors a JOIN work_authors wa ON wa.author_id = a.id \
             GROUP BY a.id, a.name ORDER BY a.name, a.id",
        )
        .fetch_all(self.readers())
        .await?;
        rows.iter().map(|r| Ok((AuthorLink { id: r.try_get(0)?, name: r.try_get(1)? }, count(r.try_get(2)?)))).collect()
    }

    /// The canonical tag a tag id stands for (a synonym's id gives its canonical tag).
    pub async fn canonical_tag(&self, id: i64) -> Result<Option<TagLink>> {
        let row =
            sqlx::query("SELECT c.id, c.kind, c.name FROM tags t JOIN tags c ON c.id = COALESCE(t.canonical_id, t.id) WHERE t.id = $1")
                .bind(id)
                .fetch_optional(self.readers())
                .await?;
        let Some(row) = row else { return Ok(None) };
        let Some(kind) = TagKind::from_name(&row.try_get::<String, _>(1)?) else { return Ok(None) };
        Ok(Some(TagLink { id: row.try_get(0)?, kind, name: row.try_get(2)? }))
    }
}
