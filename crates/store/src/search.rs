//! What the store does for search: the [`SearchDoc`] of a work, the index queue of embedded
//! archives, and, on PostgreSQL, full-text search answered by PostgreSQL itself.
//!
//! PostgreSQL search: each leaf of the parsed query becomes `column @@
//! phraseto_tsquery('ficarchive', $n)` with the word or phrase bound as a parameter (a query
//! never becomes SQL text); AND, OR and NOT become the same SQL operators around the leaves.
//! Words and phrases in the story text are matched per segment (`work_search_text`), so a
//! phrase never spans two segments, while two words of an AND may sit in different chapters.
//! A leaf whose text has no searchable word (`--`) matches everything, as in tantivy.

use crate::schema::Dialect;
use crate::{Archive, Result, StoreError};
use ficarchive_model::Work;
use ficarchive_query::{
    Facet, FacetValue, Field, Fragment, Hit, Query, SearchDoc, SearchRequest, SearchResults, SortKey, completion_label, date_key,
    sort_facet_values,
};
use ficarchive_wrangle::TagKind;
use sqlx::{AnyConnection, Row};

/// Story text is stored and matched in segments of about this many words (whole paragraphs).
pub const SEGMENT_WORDS: usize = 8000;

/// Marks highlighted words in PostgreSQL's headlines (control characters never occur in
/// stored text: the decoder removes them).
const START: char = '\u{2}';
const STOP: char = '\u{3}';
const FRAGMENT_SEPARATOR: char = '\u{1}';

pub(crate) async fn load_search_doc(conn: &mut AnyConnection, id: i64) -> Result<Option<SearchDoc>> {
    let Some(work) = crate::load_work(conn, id).await? else { return Ok(None) };
    // The stored word count: counting again would read every chapter once more.
    let stamps = sqlx::query("SELECT modified_at, words FROM works WHERE id = $1").bind(id).fetch_one(&mut *conn).await?;
    let modified: i64 = stamps.try_get(0)?;
    let words: i64 = stamps.try_get(1)?;
    Ok(Some(search_doc_of(conn, id, &work, words as u64, modified).await?))
}

/// The search document of stored work `id`, from the work as written (`words` and
/// `modified` as stored with it) and its canonical tags as the archive now decides them. The
/// importer builds it in the transaction that writes the work, instead of reading the work
/// back.
pub(crate) async fn search_doc_of(conn: &mut AnyConnection, id: i64, work: &Work, words: u64, modified: i64) -> Result<SearchDoc> {
    // Authors and series as stored (one row per distinct name, series by name), so a document
    // built here is the one a reindex builds from the stored work.
    let authors: Vec<String> = sqlx::query_scalar(
        "SELECT a.name FROM work_authors wa JOIN authors a ON a.id = wa.author_id WHERE wa.work_id = $1 ORDER BY wa.position",
    )
    .bind(id)
    .fetch_all(&mut *conn)
    .await?;
    let series: Vec<String> = sqlx::query_scalar(crate::SERIES_OF_WORK).bind(id).fetch_all(&mut *conn).await?;
    let mut tags: Vec<(TagKind, String)> = Vec::new();
    for row in sqlx::query(
        "SELECT c.kind, c.name FROM work_tags wt JOIN tags t ON t.id = wt.tag_id JOIN tags c ON c.id = COALESCE(t.canonical_id, t.id) \
         WHERE wt.work_id = $1 ORDER BY wt.position",
    )
    .bind(id)
    .fetch_all(&mut *conn)
    .await?
    {
        let kind = TagKind::from_name(&row.try_get::<String, _>(0)?).unwrap_or(TagKind::Freeform);
        let tag = (kind, row.try_get::<String, _>(1)?);
        if !tags.contains(&tag) {
            tags.push(tag);
        }
    }
    let mut notes: Vec<String> = [&work.notes, &work.end_notes].into_iter().flatten().cloned().collect();
    let mut text = String::new();
    for chapter in &work.chapters {
        notes.extend([chapter.notes.plain_text(), chapter.end_notes.plain_text()].into_iter().filter(|n| !n.is_empty()));
        push_story_text(&mut text, &chapter.body);
    }
    Ok(SearchDoc {
        id,
        title: work.display_title().to_string(),
        words,
        authors,
        summary: work.summary.clone().unwrap_or_default(),
        notes: notes.join("\n\n"),
        text,
        tags,
        series,
        complete: work.complete,
        language: work.language.clone(),
        published: work.published.as_deref().and_then(date_key),
        updated: work.updated.as_deref().and_then(date_key),
        modified,
    })
}

/// The plain text of the chapter body in `row` ([`crate::chapter_body`]).
fn chapter_text(row: &sqlx::any::AnyRow) -> Result<String> {
    Ok(crate::chapter_body(row)?.plain_text())
}

/// Adds one chapter's body to a work's story text, the text the index takes in. Snippets are
/// cut from a chapter's `plain_text` ([`Archive::snippet_texts`]), the same text.
fn push_story_text(text: &mut String, body: &ficarchive_model::Document) {
    let body = body.plain_text();
    if !body.is_empty() {
        if !text.is_empty() {
            text.push_str("\n\n");
        }
        text.push_str(&body);
    }
}

/// Records that a work changed, in the transaction that changed it: on SQLite the work joins
/// the index queue (the time it was queued is returned, for [`QueuedDoc`]); on PostgreSQL its
/// search rows are rewritten, from `doc` when the caller has it, else from the stored work.
pub(crate) async fn work_changed(conn: &mut AnyConnection, dialect: Dialect, id: i64, doc: Option<&SearchDoc>) -> Result<i64> {
    match dialect {
        Dialect::Sqlite => {
            let queued_at = now_micros();
            sqlx::query(
                "INSERT INTO index_queue (work_id, queued_at) VALUES ($1, $2) \
                 ON CONFLICT (work_id) DO UPDATE SET queued_at = excluded.queued_at",
            )
            .bind(id)
            .bind(queued_at)
            .execute(&mut *conn)
            .await?;
            Ok(queued_at)
        }
        Dialect::Postgres => {
            sqlx::query("DELETE FROM work_search WHERE work_id = $1").bind(id).execute(&mut *conn).await?;
            sqlx::query("DELETE FROM work_search_text WHERE work_id = $1").bind(id).execute(&mut *conn).await?;
            match doc {
                Some(doc) => write_postgres_rows(conn, doc).await?,
                None => {
                    if let Some(doc) = load_search_doc(conn, id).await? {
                        write_postgres_rows(conn, &doc).await?;
                    }
                }
            }
            Ok(0)
        }
    }
}

/// A work just stored, as the embedded index takes it in: its document and the time it
/// joined the index queue (so the index knows the queue entry is answered).
#[derive(Debug, Clone)]
pub struct QueuedDoc {
    pub doc: SearchDoc,
    pub queued_at: i64,
}

fn now_micros() -> i64 {
    std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).map_or(0, |d| d.as_micros() as i64)
}

/// Splits story text into segments of whole paragraphs of at most about `SEGMENT_WORDS` words.
pub fn segments(text: &str) -> Vec<String> {
    let mut out = Vec::new();
    let mut current = String::new();
    let mut words = 0;
    for paragraph in text.split("\n\n") {
        let n = paragraph.split_whitespace().count();
        if words > 0 && words + n > SEGMENT_WORDS {
            out.push(std::mem::take(&mut current));
            words = 0;
        }
        if !current.is_empty() {
            current.push_str("\n\n");
        }
        current.push_str(paragraph);
        words += n;
    }
    if !current.trim().is_empty() {
        out.push(current);
    }
    out
}

async fn write_postgres_rows(conn: &mut AnyConnection, doc: &SearchDoc) -> Result<()> {
    let id = doc.id;
    let names =
        |kinds: &[TagKind]| doc.tags.iter().filter(|(k, _)| kinds.contains(k)).map(|(_, n)| n.as_str()).collect::<Vec<_>>().join(" ; ");
    let all_tags = names(&TagKind::ALL);
    let authors = doc.authors.join(" ; ");
    let series = doc.series.join(" ; ");
    sqlx::query(
        "INSERT INTO work_search (work_id, every, title, author, summary, notes, tags, fandoms, relationships, characters, series, \
           title_sort, author_sort, words, published, updated, complete, language, modified) VALUES ($1, \
           setweight(to_tsvector('ficarchive', $2), 'A') || setweight(to_tsvector('ficarchive', $3), 'A') || \
           setweight(to_tsvector('ficarchive', $6 || ' ; ' || $10), 'B') || setweight(to_tsvector('ficarchive', $4), 'C') || \
           to_tsvector('ficarchive', $5), \
           to_tsvector('ficarchive', $2), to_tsvector('ficarchive', $3), to_tsvector('ficarchive', $4), to_tsvector('ficarchive', $5), \
           to_tsvector('ficarchive', $6), to_tsvector('ficarchive', $7), to_tsvector('ficarchive', $8), to_tsvector('ficarchive', $9), \
           to_tsvector('ficarchive', $10), $11, $12, $13, $14, $15, $16, $17, $18)",
    )
    .bind(id)
    .bind(&doc.title)
    .bind(&authors)
    .bind(&doc.summary)
    .bind(&doc.notes)
    .bind(&all_tags)
    .bind(names(&[TagKind::Fandom]))
    .bind(names(&[TagKind::Relationship]))
    .bind(names(&[TagKind::Character]))
    .bind(&series)
    .bind(sort_key(&doc.title))
    .bind(sort_key(doc.authors.first().map_or("", String::as_str)))
    .bind(doc.words as i64)
    .bind(doc.published.map(i64::from))
    .bind(doc.updated.map(i64::from))
    .bind(doc.complete.map(i64::from))
    .bind(doc.language.as_deref().map(str::to_lowercase))
    .bind(doc.modified)
    .execute(&mut *conn)
    .await?;
    for (segment, body) in segments(&doc.text).into_iter().enumerate() {
        sqlx::query("INSERT INTO work_search_text (work_id, segment, body, story) VALUES ($1, $2, $3, to_tsvector('ficarchive', $3))")
            .bind(id)
            .bind(segment as i64)
            .bind(body)
            .execute(&mut *conn)
            .await?;
    }
    Ok(())
}

/// The key titles and authors sort by: folded, with a leading article dropped from titles.
pub fn sort_key(text: &str) -> String {
    let folded = ficarchive_wrangle::fold(text);
    for article in ["the ", "a ", "an "] {
        if let Some(rest) = folded.strip_prefix(article) {
            return rest.to_string();
        }
    }
    folded
}

impl Archive {
    /// A work as search backends index it, or `None` when there is no such work.
    pub async fn search_doc(&self, id: i64) -> Result<Option<SearchDoc>> {
        let mut conn = self.pool.acquire().await?;
        load_search_doc(&mut conn, id).await
    }

    /// Works changed since the embedded index last caught up: (work id, queued at).
    pub async fn index_queue(&self) -> Result<Vec<(i64, i64)>> {
        let rows = sqlx::query("SELECT work_id, queued_at FROM index_queue ORDER BY work_id").fetch_all(&self.pool).await?;
        Ok(rows.iter().map(|r| Ok((r.try_get(0)?, r.try_get(1)?))).collect::<Result<_, sqlx::Error>>()?)
    }

    /// Removes queue entries the index has taken in; an entry queued again since is kept.
    pub async fn clear_index_queue(&self, entries: &[(i64, i64)]) -> Result<()> {
        let mut tx = self.pool.begin().await?;
        for (id, queued_at) in entries {
            sqlx::query("DELETE FROM index_queue WHERE work_id = $1 AND queued_at = $2").bind(id).bind(queued_at).execute(&mut *tx).await?;
        }
        tx.commit().await?;
        Ok(())
    }

    /// Every work with its `modified_at`, for checking an index against the database.
    pub async fn work_stamps(&self) -> Result<Vec<(i64, i64)>> {
        let rows = sqlx::query("SELECT id, modified_at FROM works ORDER BY id").fetch_all(&self.pool).await?;
        Ok(rows.iter().map(|r| Ok((r.try_get(0)?, r.try_get(1)?))).collect::<Result<_, sqlx::Error>>()?)
    }

    /// PostgreSQL only: the work ids and stamps in `work_search`, for `check`.
    pub async fn postgres_search_stamps(&self) -> Result<Vec<(i64, i64)>> {
        self.require_postgres()?;
        let rows = sqlx::query("SELECT work_id, modified FROM work_search ORDER BY work_id").fetch_all(&self.pool).await?;
        Ok(rows.iter().map(|r| Ok((r.try_get(0)?, r.try_get(1)?))).collect::<Result<_, sqlx::Error>>()?)
    }

    /// PostgreSQL only: rewrites the search rows of these works (all works when `None`).
    pub async fn rebuild_postgres_search(&self, ids: Option<&[i64]>) -> Result<u64> {
        self.require_postgres()?;
        let ids = match ids {
            Some(ids) => ids.to_vec(),
            None => self.work_ids().await?,
        };
        for chunk in ids.chunks(200) {
            let mut tx = self.pool.begin().await?;
            for id in chunk {
                work_changed(&mut tx, Dialect::Postgres, *id, None).await?;
            }
            tx.commit().await?;
        }
        Ok(ids.len() as u64)
    }

    fn require_postgres(&self) -> Result<()> {
        if self.dialect == Dialect::Postgres {
            Ok(())
        } else {
            Err(StoreError::NotFound("PostgreSQL full-text search was asked of an embedded archive".into()))
        }
    }

    /// Titles, authors and word counts of works, for result pages, in the order asked (unknown
    /// ids are left out). Two statements, whatever the page size.
    pub async fn hit_details(&self, ids: &[i64]) -> Result<Vec<Hit>> {
        if ids.is_empty() {
            return Ok(Vec::new());
        }
        let list = crate::read::placeholders(ids.len());
        let mut conn = self.readers().acquire().await?;
        // Audited: the statement holds only `$n` placeholders; the ids are bound.
        let mut query = sqlx::query(sqlx::AssertSqlSafe(format!("SELECT id, title, words FROM works WHERE id IN ({list})")));
        for id in ids {
            query = query.bind(*id);
        }
        let mut found: std::collections::HashMap<i64, Hit> = std::collections::HashMap::new();
        for row in query.fetch_all(&mut *conn).await? {
            let id: i64 = row.try_get(0)?;
            found.insert(
                id,
                Hit {
                    work_id: id,
                    title: row.try_get(1)?,
                    authors: Vec::new(),
                    words: row.try_get::<i64, _>(2)? as u64,
                    snippet: Vec::new(),
                },
            );
        }
        let mut query = sqlx::query(sqlx::AssertSqlSafe(format!(
            "SELECT wa.work_id, a.name FROM work_authors wa JOIN authors a ON a.id = wa.author_id WHERE wa.work_id IN ({list}) \
             ORDER BY wa.work_id, wa.position"
        )));
        for id in ids {
            query = query.bind(*id);
        }
        for row in query.fetch_all(&mut *conn).await? {
            if let Some(hit) = found.get_mut(&row.try_get::<i64, _>(0)?) {
                hit.authors.push(row.try_get(1)?);
            }
        }
        Ok(ids.iter().filter_map(|id| found.remove(id)).collect())
    }

    /// The text of one chapter of each work in `ids` to cut a snippet from: the first, in
    /// order, whose text `wanted` accepts (a work with no such chapter has none). The index
    /// keeps no copy of the text (it would more than double its size), so snippets read it
    /// here, and chapters after the wanted one are never read: reading and parsing every
    /// chapter of a page of hits was most of a filtered search's time, and on a machine
    /// short of memory most of its disk reads.
    ///
    /// The page's hits are read in two halves, each on its own connection, side by side: one
    /// half's pages come off the disk while the other's text is parsed (at 100,000 works in
    /// 300 MB, a filtered search's p99 went from 24–27 ms to 17–19 ms).
    pub async fn snippet_texts(&self, ids: &[i64], wanted: impl Fn(&str) -> bool) -> Result<std::collections::HashMap<i64, String>> {
        let (first, second) = ids.split_at(ids.len() / 2);
        let (texts, more) = tokio::join!(self.snippet_texts_of(first, &wanted), self.snippet_texts_of(second, &wanted));
        let mut texts = texts?;
        texts.extend(more?);
        Ok(texts)
    }

    /// [`Archive::snippet_texts`] on one connection.
    async fn snippet_texts_of(&self, ids: &[i64], wanted: &impl Fn(&str) -> bool) -> Result<std::collections::HashMap<i64, String>> {
        let mut texts = std::collections::HashMap::new();
        if ids.is_empty() {
            return Ok(texts);
        }
        let mut conn = self.readers().acquire().await?;
        // Every first chapter in one statement; then, work by work, the chapters after it.
        let list = crate::read::placeholders(ids.len());
        // Audited: the statement holds only `$n` placeholders; the ids are bound.
        let mut query = sqlx::query(sqlx::AssertSqlSafe(format!(
            "SELECT c.work_id, c.position, c.body, c.body_packed FROM chapters c WHERE c.work_id IN ({list}) \
             AND c.position = (SELECT MIN(f.position) FROM chapters f WHERE f.work_id = c.work_id)"
        )));
        for id in ids {
            query = query.bind(*id);
        }
        let mut read_up_to = Vec::new();
        for row in query.fetch_all(&mut *conn).await? {
            let (id, position): (i64, i64) = (row.try_get(0)?, row.try_get(1)?);
            let text = chapter_text(&row)?;
            if wanted(&text) {
                texts.insert(id, text);
            } else {
                read_up_to.push((id, position));
            }
        }
        for (id, mut position) in read_up_to {
            while let Some(row) = sqlx::query(
                "SELECT position, body, body_packed FROM chapters WHERE work_id = $1 AND position > $2 ORDER BY position LIMIT 1",
            )
            .bind(id)
            .bind(position)
            .fetch_optional(&mut *conn)
            .await?
            {
                position = row.try_get(0)?;
                let text = chapter_text(&row)?;
                if wanted(&text) {
                    texts.insert(id, text);
                    break;
                }
            }
        }
        Ok(texts)
    }

    /// Answers a search with PostgreSQL's full-text search.
    pub async fn search_postgres(&self, request: &SearchRequest) -> Result<SearchResults> {
        self.require_postgres()?;
        let mut sql = SqlQuery::default();
        let mut condition = sql.condition(&request.query);
        let filters = sql.filters(request);
        if !filters.is_empty() {
            condition = format!("({condition}) AND {filters}");
        }
        let positive = sql.positive_tsquery(&request.query);
        let rank = match &positive {
            Some(q) => format!(
                "(ts_rank(w.every, {q}) + COALESCE((SELECT MAX(ts_rank(s.story, {q})) FROM work_search_text s \
                 WHERE s.work_id = w.work_id AND s.story @@ {q}), 0)) DESC,"
            ),
            None => String::new(),
        };
        let direction = if request.descending { "DESC" } else { "ASC" };
        let order = match request.sort {
            SortKey::Relevance => format!("{rank} w.work_id"),
            SortKey::Updated => format!("w.updated {direction} NULLS LAST, w.work_id"),
            SortKey::Published => format!("w.published {direction} NULLS LAST, w.work_id"),
            SortKey::Words => format!("w.words {direction}, w.work_id"),
            SortKey::Title => format!("w.title_sort {direction}, w.work_id"),
            SortKey::Author => format!("w.author_sort {direction}, w.work_id"),
        };
        let mut conn = self.readers().acquire().await?;
        let total: i64 =
            sql.bound(&format!("SELECT COUNT(*) FROM work_search w WHERE {condition}")).fetch_one(&mut *conn).await?.try_get(0)?;
        let limit = sql.next_number();
        let offset = limit + 1;
        let page_sql = format!("SELECT w.work_id FROM work_search w WHERE {condition} ORDER BY {order} LIMIT ${limit} OFFSET ${offset}");
        let ids: Vec<i64> = sql
            .bound(&page_sql)
            .bind(request.limit() as i64)
            .bind(request.offset() as i64)
            .fetch_all(&mut *conn)
            .await?
            .iter()
            .map(|r| r.try_get(0))
            .collect::<Result<_, sqlx::Error>>()?;

        let mut facets: Vec<Facet> = Vec::new();
        let rows = sql
            .bound(&format!(
                "SELECT c.kind, c.name, COUNT(DISTINCT w.work_id) FROM work_search w JOIN work_tags wt ON wt.work_id = w.work_id \
                 JOIN tags t ON t.id = wt.tag_id JOIN tags c ON c.id = COALESCE(t.canonical_id, t.id) WHERE {condition} GROUP BY c.kind, c.name"
            ))
            .fetch_all(&mut *conn)
            .await?;
        let mut by_kind: std::collections::BTreeMap<String, Vec<FacetValue>> = Default::default();
        for row in &rows {
            by_kind.entry(row.try_get(0)?).or_default().push(FacetValue { name: row.try_get(1)?, count: row.try_get::<i64, _>(2)? as u64 });
        }
        let rows = sql
            .bound(&format!("SELECT w.complete, COUNT(*) FROM work_search w WHERE {condition} GROUP BY w.complete"))
            .fetch_all(&mut *conn)
            .await?;
        for row in &rows {
            let complete: Option<i64> = row.try_get(0)?;
            by_kind
                .entry("complete".into())
                .or_default()
                .push(FacetValue { name: completion_label(complete.map(|c| c != 0)).into(), count: row.try_get::<i64, _>(1)? as u64 });
        }
        let rows = sql
            .bound(&format!(
                "SELECT w.language, COUNT(*) FROM work_search w WHERE {condition} AND w.language IS NOT NULL GROUP BY w.language"
            ))
            .fetch_all(&mut *conn)
            .await?;
        for row in &rows {
            by_kind
                .entry("language".into())
                .or_default()
                .push(FacetValue { name: row.try_get(0)?, count: row.try_get::<i64, _>(1)? as u64 });
        }
        for name in ficarchive_query::FACETS {
            let mut values = by_kind.remove(name).unwrap_or_default();
            sort_facet_values(&mut values);
            facets.push(Facet { name: name.to_string(), values });
        }
        drop(conn);

        let mut hits = self.hit_details(&ids).await?;
        if let Some(q) = &positive {
            let mut conn = self.readers().acquire().await?;
            for hit in &mut hits {
                let id_number = sql.next_number();
                let options_number = id_number + 1;
                let headline_sql = format!(
                    "SELECT ts_headline('ficarchive', s.body, {q}, ${options_number}) FROM work_search_text s \
                     WHERE s.work_id = ${id_number} AND s.story @@ {q} ORDER BY ts_rank(s.story, {q}) DESC LIMIT 1"
                );
                let options = format!(
                    "StartSel={START}, StopSel={STOP}, MaxWords=30, MinWords=12, MaxFragments=2, FragmentDelimiter={FRAGMENT_SEPARATOR}"
                );
                let row = sql.bound(&headline_sql).bind(hit.work_id).bind(options).fetch_optional(&mut *conn).await?;
                if let Some(row) = row {
                    hit.snippet = headline_fragments(&row.try_get::<String, _>(0)?);
                }
            }
        }
        Ok(SearchResults { total: total as u64, hits, facets })
    }
}

/// Splits a headline marked with START/STOP into fragments; separate excerpts are joined
/// with an ellipsis.
fn headline_fragments(headline: &str) -> Vec<Fragment> {
    let mut out: Vec<Fragment> = Vec::new();
    let mut push = |text: &str, highlighted: bool| {
        if !text.is_empty() {
            out.push(Fragment { text: text.to_string(), highlighted });
        }
    };
    for (i, excerpt) in headline.split(FRAGMENT_SEPARATOR).enumerate() {
        if i > 0 {
            push(" … ", false);
        }
        let mut rest = excerpt;
        while let Some(start) = rest.find(START) {
            push(&rest[..start], false);
            let after = &rest[start + START.len_utf8()..];
            let end = after.find(STOP).unwrap_or(after.len());
            push(&after[..end], true);
            rest = after.get(end + STOP.len_utf8()..).unwrap_or("");
        }
        push(rest, false);
    }
    out
}

/// A PostgreSQL query under construction: SQL text made only of this module's fragments and
/// `$n` placeholders, and the values bound to them.
#[derive(Default)]
struct SqlQuery {
    binds: Vec<Bound>,
}

#[derive(Clone)]
enum Bound {
    Text(String),
    Int(i64),
}

type AnyQuery<'q> = sqlx::query::Query<'q, sqlx::Any, sqlx::any::AnyArguments>;

impl SqlQuery {
    fn text(&mut self, value: &str) -> usize {
        self.binds.push(Bound::Text(value.to_string()));
        self.binds.len()
    }

    fn int(&mut self, value: i64) -> usize {
        self.binds.push(Bound::Int(value));
        self.binds.len()
    }

    fn next_number(&self) -> usize {
        self.binds.len() + 1
    }

    /// The statement with every value bound so far; the caller binds any later numbers.
    fn bound<'q>(&self, sql: &str) -> AnyQuery<'q> {
        // Audited: `sql` is assembled from this module's fragments; every user value is a `$n`.
        let mut query = sqlx::query(sqlx::AssertSqlSafe(sql.to_string()));
        for b in &self.binds {
            query = match b {
                Bound::Text(s) => query.bind(s.clone()),
                Bound::Int(n) => query.bind(*n),
            };
        }
        query
    }

    fn tsquery(&mut self, text: &str) -> String {
        let n = self.text(text);
        format!("phraseto_tsquery('ficarchive', ${n})")
    }

    fn condition(&mut self, query: &Query) -> String {
        match query {
            Query::All => "TRUE".into(),
            Query::Word { field, text } | Query::Phrase { field, text } => {
                let q = self.tsquery(text);
                let story = format!("EXISTS (SELECT 1 FROM work_search_text s WHERE s.work_id = w.work_id AND s.story @@ {q})");
                let matched = match field {
                    Field::Any => format!("w.every @@ {q} OR {story}"),
                    Field::Text => story,
                    Field::Title => format!("w.title @@ {q}"),
                    Field::Author => format!("w.author @@ {q}"),
                    Field::Summary => format!("w.summary @@ {q}"),
                    Field::Notes => format!("w.notes @@ {q}"),
                    Field::Tags => format!("w.tags @@ {q}"),
                    Field::Fandom => format!("w.fandoms @@ {q}"),
                    Field::Relationship => format!("w.relationships @@ {q}"),
                    Field::Character => format!("w.characters @@ {q}"),
                    Field::Series => format!("w.series @@ {q}"),
                };
                format!("(numnode({q}) = 0 OR {matched})")
            }
            Query::And(items) => format!("({})", items.iter().map(|i| self.condition(i)).collect::<Vec<_>>().join(" AND ")),
            Query::Or(items) => format!("({})", items.iter().map(|i| self.condition(i)).collect::<Vec<_>>().join(" OR ")),
            Query::Not(inner) => format!("(NOT {})", self.condition(inner)),
        }
    }

    /// Every word and phrase not under a NOT, OR-ed, for ranking and headlines.
    fn positive_tsquery(&mut self, query: &Query) -> Option<String> {
        let terms = query.positive_terms();
        if terms.is_empty() {
            return None;
        }
        let parts: Vec<String> = terms.iter().map(|(_, text, _)| self.tsquery(text)).collect();
        Some(format!("({})", parts.join(" || ")))
    }

    fn tag_exists(&mut self, kind: TagKind, names: &[&str]) -> String {
        let kind = self.text(kind.as_str());
        let names: Vec<String> = names.iter().map(|n| format!("${}", self.text(n))).collect();
        format!(
            "EXISTS (SELECT 1 FROM work_tags wt JOIN tags t ON t.id = wt.tag_id JOIN tags c ON c.id = COALESCE(t.canonical_id, t.id) \
             WHERE wt.work_id = w.work_id AND c.kind = ${kind} AND c.name IN ({}))",
            names.join(", ")
        )
    }

    fn filters(&mut self, request: &SearchRequest) -> String {
        let f = &request.filters;
        let mut parts: Vec<String> = Vec::new();
        let ratings: Vec<&str> = f.include.iter().filter(|t| t.kind == TagKind::Rating).map(|t| t.name.as_str()).collect();
        if !ratings.is_empty() {
            parts.push(self.tag_exists(TagKind::Rating, &ratings));
        }
        for tag in f.include.iter().filter(|t| t.kind != TagKind::Rating) {
            parts.push(self.tag_exists(tag.kind, &[&tag.name]));
        }
        for tag in &f.exclude {
            let exists = self.tag_exists(tag.kind, &[&tag.name]);
            parts.push(format!("NOT {exists}"));
        }
        if let Some(complete) = f.complete {
            parts.push(format!("w.complete = ${}", self.int(i64::from(complete))));
        }
        if let Some(language) = &f.language {
            parts.push(format!("w.language = ${}", self.text(&language.to_lowercase())));
        }
        let ranges = [
            ("w.words >=", f.words_min.map(|n| n as i64)),
            ("w.words <=", f.words_max.map(|n| n as i64)),
            ("w.published >=", f.published_from.map(i64::from)),
            ("w.published <=", f.published_to.map(i64::from)),
            ("w.updated >=", f.updated_from.map(i64::from)),
            ("w.updated <=", f.updated_to.map(i64::from)),
        ];
        for (comparison, value) in ranges {
            if let Some(v) = value {
                parts.push(format!("{comparison} ${}", self.int(v)));
            }
        }
        if let Some(series) = &f.series {
            let n = self.text(series);
            parts.push(format!(
                "EXISTS (SELECT 1 FROM series_works sw JOIN series se ON se.id = sw.series_id WHERE sw.work_id = w.work_id AND se.name = ${n})"
            ));
        }
        parts.join(" AND ")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn segments_keep_whole_paragraphs_under_the_bound() {
        let paragraph = "word ".repeat(3000);
        let text = [paragraph.trim(); 5].join("\n\n");
        let parts = segments(&text);
        assert_eq!(parts.len(), 3);
        assert!(parts.iter().all(|p| p.split_whitespace().count() <= SEGMENT_WORDS));
        assert_eq!(parts.join("\n\n"), text);
        assert!(segments("").is_empty());
    }

    #[test]
    fn headlines_split_into_highlighted_fragments() {
        let h = format!("the {START}ferry{STOP} left{FRAGMENT_SEPARATOR}a {START}lamp{STOP}");
        let f = headline_fragments(&h);
        let shown: Vec<(&str, bool)> = f.iter().map(|f| (f.text.as_str(), f.highlighted)).collect();
        assert_eq!(shown, vec![("the ", false), ("ferry", true), (" left", false), (" … ", false), ("a ", false), ("lamp", true)]);
    }

    #[test]
    fn titles_sort_without_articles() {
        assert_eq!(sort_key("The Long Ferry"), "long ferry");
        assert_eq!(sort_key("Anchor"), "anchor");
    }
}
