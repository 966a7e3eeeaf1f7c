//! Search over the archive, one interface for both homes of an archive:
//!
//! - embedded (a data directory): a tantivy index in `DATA/index`, kept up to date from the
//!   database's index queue ([`Searcher::catch_up`]);
//! - PostgreSQL: PostgreSQL's own full-text search (`ficarchive_store::search`), so that app
//!   servers keep no state of their own.
//!
//! Both answer the same [`SearchRequest`] with the same [`SearchResults`]; one test suite runs
//! on both.
//!
//! Architecture invariant: the database is the truth and the index a cache of it. Every
//! change to a work queues it in the same transaction; the index takes queued works in and
//! only then removes them from the queue, so a crash loses nothing, and `reindex` can always
//! rebuild the index from the database alone.

mod analyzer;
pub mod tantivy_index;

use ficarchive_query::{SearchRequest, SearchResults, TagFilter};
use ficarchive_store::{Archive, Location, StoreError};
use std::path::PathBuf;
use tantivy_index::TantivyIndex;

/// The index directory inside a data directory.
pub const INDEX_DIR: &str = "index";

#[derive(Debug, thiserror::Error)]
pub enum SearchError {
    #[error("{0}")]
    Damaged(String),
    /// The index was written by a version of ficarchive whose index holds something else
    /// (see [`Searcher::open_rebuilding`]).
    #[error("{0}")]
    Outdated(String),
    #[error("{0}")]
    Busy(String),
    #[error("search index: {0}")]
    Io(String),
    #[error(transparent)]
    Store(#[from] StoreError),
}

pub type Result<T, E = SearchError> = std::result::Result<T, E>;

enum Backend {
    Tantivy { index: Box<TantivyIndex>, dir: PathBuf },
    Postgres,
}

pub struct Searcher {
    backend: Backend,
    /// Queue entries added to the index but not yet committed: (work id, queued at).
    pending: std::collections::HashMap<i64, i64>,
    last_commit: std::time::Instant,
}

/// The index commits after this many works, or [`COMMIT_INTERVAL`] after the last commit:
/// a commit costs a segment and an fsync, so an import commits now and then, not per batch.
const COMMIT_EVERY: usize = 4000;
const COMMIT_INTERVAL: std::time::Duration = std::time::Duration::from_secs(30);

/// What `check` found wrong with the search index, each with how to repair it.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct IndexReport {
    pub works: u64,
    pub indexed: u64,
    pub missing: Vec<i64>,
    pub stale: Vec<i64>,
    pub extra: Vec<i64>,
    pub queued: u64,
}

impl IndexReport {
    pub fn is_clean(&self) -> bool {
        self.missing.is_empty() && self.stale.is_empty() && self.extra.is_empty()
    }
}

impl Searcher {
    /// The search side of an archive. For an embedded archive this opens (or creates) the
    /// index; a damaged index is an error that names `ficarchive reindex`.
    pub fn open(archive: &Archive) -> Result<Searcher> {
        match archive.location() {
            Location::Embedded(data) => {
                let dir = data.join(INDEX_DIR);
                Ok(Searcher::with(Backend::Tantivy { index: Box::new(TantivyIndex::open(&dir)?), dir }))
            }
            Location::Postgres(_) => Ok(Searcher::with(Backend::Postgres)),
        }
    }

    /// Like [`Searcher::open`], but an index written by another version of ficarchive is
    /// rebuilt from the database first, and says so: the index is a copy of the database, so
    /// an upgrade should not stop a server or an import until someone runs `reindex`. Returns
    /// how many works were rebuilt, if any. A damaged index is still an error naming
    /// `reindex`, since damage deserves a look before anything writes over it.
    pub async fn open_rebuilding(archive: &Archive) -> Result<(Searcher, Option<u64>)> {
        match Searcher::open(archive) {
            Err(SearchError::Outdated(_)) => {
                let mut fresh = Searcher::open_fresh(archive)?;
                let rebuilt = fresh.rebuild(archive).await?;
                Ok((fresh, Some(rebuilt)))
            }
            other => other.map(|searcher| (searcher, None)),
        }
    }

    /// What a process that opened the index with [`Searcher::open_rebuilding`] tells its user
    /// when `works` were rebuilt (it takes a while on a large archive).
    pub fn rebuilt_notice(works: u64) -> String {
        format!("search index: it was built by another version of ficarchive; rebuilt from the database ({works} works)")
    }

    /// Like [`Searcher::open`], but a damaged or outdated index is replaced by an empty one
    /// (for `reindex`).
    pub fn open_fresh(archive: &Archive) -> Result<Searcher> {
        match archive.location() {
            Location::Embedded(data) => {
                let dir = data.join(INDEX_DIR);
                Ok(Searcher::with(Backend::Tantivy { index: Box::new(TantivyIndex::recreate(&dir)?), dir }))
            }
            Location::Postgres(_) => Ok(Searcher::with(Backend::Postgres)),
        }
    }

    fn with(backend: Backend) -> Searcher {
        Searcher { backend, pending: Default::default(), last_commit: std::time::Instant::now() }
    }

    /// Takes in a work the caller has just stored ([`ficarchive_store::WorkBatch::store_work`]) from its
    /// document as written, so [`Searcher::index_changes`] need not read it back; its queue
    /// entry is answered at the next commit like any other. Returns whether it was added
    /// (PostgreSQL archives keep their search rows themselves).
    pub fn take_in_stored(&mut self, stored: &ficarchive_store::search::QueuedDoc) -> Result<bool> {
        let Backend::Tantivy { index, .. } = &mut self.backend else { return Ok(false) };
        index.upsert(&stored.doc)?;
        self.pending.insert(stored.doc.id, stored.queued_at);
        Ok(true)
    }

    /// Adds every queued work to the index, committing now and then (see [`COMMIT_EVERY`]).
    /// Queue entries are removed only after the commit that makes their works durable.
    /// Returns how many works were added.
    pub async fn index_changes(&mut self, archive: &Archive) -> Result<u64> {
        let Backend::Tantivy { index, .. } = &mut self.backend else { return Ok(0) };
        let mut added = 0;
        for (id, queued_at) in archive.index_queue().await? {
            if self.pending.get(&id) == Some(&queued_at) {
                continue;
            }
            take_in(index, archive, id).await?;
            self.pending.insert(id, queued_at);
            added += 1;
        }
        self.commit_if_due(archive).await?;
        Ok(added)
    }

    /// Commits when [`COMMIT_EVERY`] works wait or [`COMMIT_INTERVAL`] has passed since the last
    /// commit. The caller must have committed the works it added to the database first.
    pub async fn commit_if_due(&mut self, archive: &Archive) -> Result<()> {
        if self.pending.len() >= COMMIT_EVERY || (!self.pending.is_empty() && self.last_commit.elapsed() >= COMMIT_INTERVAL) {
            self.commit(archive).await?;
        }
        Ok(())
    }

    /// Makes every added work durable and searchable, then clears their queue entries.
    pub async fn commit(&mut self, archive: &Archive) -> Result<()> {
        let Backend::Tantivy { index, .. } = &mut self.backend else { return Ok(()) };
        index.commit()?;
        let done: Vec<(i64, i64)> = self.pending.drain().collect();
        archive.clear_index_queue(&done).await?;
        self.last_commit = std::time::Instant::now();
        Ok(())
    }

    /// Takes in every work changed since the index last caught up, and commits. Returns how
    /// many works were added.
    pub async fn catch_up(&mut self, archive: &Archive) -> Result<u64> {
        let added = self.index_changes(archive).await?;
        self.commit(archive).await?;
        Ok(added)
    }

    /// Ends a long write (an import): commits and lets segment merges finish, so searches
    /// that follow read a compact index.
    pub async fn finish(mut self, archive: &Archive) -> Result<()> {
        self.commit(archive).await?;
        if let Backend::Tantivy { mut index, .. } = self.backend {
            index.wait_for_merges()?;
        }
        Ok(())
    }

    /// Catches up when no other process is writing the index; a search never waits for an
    /// import to finish.
    pub async fn catch_up_if_free(&mut self, archive: &Archive) -> Result<u64> {
        match self.catch_up(archive).await {
            Err(SearchError::Busy(_)) => Ok(0),
            other => other,
        }
    }

    /// Rebuilds the whole index (or, on PostgreSQL, every search row) from the database.
    pub async fn rebuild(&mut self, archive: &Archive) -> Result<u64> {
        match &mut self.backend {
            Backend::Postgres => Ok(archive.rebuild_postgres_search(None).await?),
            Backend::Tantivy { index, .. } => {
                // Whatever is queued now is covered by the rebuild.
                let queued = archive.index_queue().await?;
                index.delete_all()?;
                let ids = archive.work_ids().await?;
                for (n, &id) in ids.iter().enumerate() {
                    take_in(index, archive, id).await?;
                    if (n + 1) % COMMIT_EVERY == 0 {
                        index.commit()?;
                    }
                }
                index.commit()?;
                index.wait_for_merges()?;
                archive.clear_index_queue(&queued).await?;
                Ok(ids.len() as u64)
            }
        }
    }

    /// Compares the index with the database.
    pub async fn check(&self, archive: &Archive) -> Result<IndexReport> {
        let works = archive.work_stamps().await?;
        let indexed = match &self.backend {
            Backend::Tantivy { index, .. } => index.stamps()?,
            Backend::Postgres => archive.postgres_search_stamps().await?,
        };
        let queued = match &self.backend {
            Backend::Tantivy { .. } => archive.index_queue().await?.len() as u64,
            Backend::Postgres => 0,
        };
        let in_index: std::collections::HashMap<i64, i64> = indexed.iter().copied().collect();
        let in_db: std::collections::HashMap<i64, i64> = works.iter().copied().collect();
        let mut report = IndexReport { works: works.len() as u64, indexed: indexed.len() as u64, queued, ..IndexReport::default() };
        for (id, stamp) in &works {
            match in_index.get(id) {
                None => report.missing.push(*id),
                Some(s) if s != stamp => report.stale.push(*id),
                Some(_) => {}
            }
        }
        report.extra = indexed.iter().map(|(id, _)| *id).filter(|id| !in_db.contains_key(id)).collect();
        Ok(report)
    }

    /// Makes works committed by other processes (an import running beside a server)
    /// searchable here. A failed reload keeps the previous view, which stays consistent.
    pub fn reload(&self) {
        if let Backend::Tantivy { index, .. } = &self.backend
            && let Err(e) = index.reload()
        {
            eprintln!("ficarchive: the search index could not be reloaded: {e}");
        }
    }

    /// Where the index lives, for messages (`None` on PostgreSQL).
    pub fn index_dir(&self) -> Option<&std::path::Path> {
        match &self.backend {
            Backend::Tantivy { dir, .. } => Some(dir),
            Backend::Postgres => None,
        }
    }

    /// Answers a search. Tag filters may name any spelling of a tag; they are resolved to
    /// canonical tags first, and an unknown tag is an error that names it.
    pub async fn search(&self, archive: &Archive, request: &SearchRequest) -> Result<SearchResults> {
        let mut request = request.clone();
        for filter in request.filters.include.iter_mut().chain(request.filters.exclude.iter_mut()) {
            *filter = canonical_filter(archive, filter).await?;
        }
        match &self.backend {
            Backend::Postgres => Ok(archive.search_postgres(&request).await?),
            Backend::Tantivy { index, .. } => {
                let (total, ids, facets) = index.search(&request)?;
                let maker = index.snippet_maker(&request)?;
                // A page's details and its snippets' texts are read side by side, on their own
                // connections: on a machine short of memory both wait on the disk (at 100,000
                // works in 300 MB, a filtered search's p99 went from 16-18 ms to 11 ms).
                let snippet_texts = async {
                    match &maker {
                        Some(maker) => archive.snippet_texts(&ids, |text| maker.finds(text)).await.map(Some),
                        None => Ok(None),
                    }
                };
                let (hits, texts) = tokio::join!(archive.hit_details(&ids), snippet_texts);
                let mut hits = hits?;
                if let (Some(maker), Some(texts)) = (&maker, texts?) {
                    for hit in &mut hits {
                        if let Some(text) = texts.get(&hit.work_id) {
                            hit.snippet = maker.fragments(text);
                        }
                    }
                }
                Ok(SearchResults { total, hits, facets })
            }
        }
    }
}

/// Writes one work's current state into the index: its document, or its removal when the
/// database no longer has it.
async fn take_in(index: &mut TantivyIndex, archive: &Archive, id: i64) -> Result<()> {
    match archive.search_doc(id).await? {
        Some(doc) => index.upsert(&doc),
        None => index.delete(id),
    }
}

async fn canonical_filter(archive: &Archive, filter: &TagFilter) -> Result<TagFilter> {
    match archive.canonical_tag_name(filter.kind, &filter.name).await? {
        Some(name) => Ok(TagFilter { kind: filter.kind, name }),
        None => Err(SearchError::Store(StoreError::NotFound(format!(
            "the archive has no {} tag \"{}\" (see `ficarchive tags list --kind {}`)",
            filter.kind.as_str(),
            filter.name,
            filter.kind.as_str()
        )))),
    }
}
