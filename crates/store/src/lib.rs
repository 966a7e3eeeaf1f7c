//! The archive's storage: works, chapters, authors, series, typed tags, the original source
//! bytes and import runs, in one schema on embedded SQLite (the default: a data directory)
//! or on PostgreSQL.
//!
//! Architecture invariant: one code path for both databases. Every query is written once, in
//! the SQL both accept (`$n` placeholders, `ON CONFLICT`, `RETURNING`), and runs through
//! sqlx's `Any` driver; only the two column spellings in [`schema`] differ. Every change to
//! a work happens inside one transaction, so a process killed at any moment leaves either
//! the old or the new work, never a mixture.
//!
//! Architecture invariant: no parsing here. The store receives [`Work`]s and bytes; it
//! neither reads files nor interprets text.

mod checkpoint;
pub mod merge;
pub mod read;
pub mod schema;
pub mod search;
pub mod tags;

pub use ficarchive_wrangle::TagKind;
pub use read::{AuthorLink, ChapterEntry, SeriesLink, SeriesPlace, SeriesView, TagLink, WorkCard, WorkView};
pub use tags::{TagDetail, TagRef, TagSummary};

use ficarchive_model::{Chapter, Document, PageKind, Rating, RatingLevel, SeriesRef, Work, sha256_hex};
use schema::Dialect;
use sqlx::any::{AnyConnectOptions, AnyPoolOptions};
use sqlx::{AnyConnection, AnyPool, Connection, Executor, Row};
use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::str::FromStr;
use std::time::{SystemTime, UNIX_EPOCH};

/// The SQLite file inside a data directory.
pub const DATABASE_FILE: &str = "archive.sqlite3";

/// Where an archive lives.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Location {
    /// A data directory holding the embedded database (and, later, the search index).
    Embedded(PathBuf),
    /// A PostgreSQL connection URL.
    Postgres(String),
}

impl Location {
    pub fn describe(&self) -> String {
        match self {
            Location::Embedded(dir) => dir.display().to_string(),
            // Never print a password.
            Location::Postgres(url) => redact(url),
        }
    }

    /// Whether an archive exists here already (always assumed for PostgreSQL).
    pub fn exists(&self) -> bool {
        match self {
            Location::Embedded(dir) => database_file(dir).exists(),
            Location::Postgres(_) => true,
        }
    }
}

fn redact(url: &str) -> String {
    match (url.find("://"), url.rfind('@')) {
        (Some(scheme), Some(at)) if at > scheme => format!("{}://…@{}", &url[..scheme], &url[at + 1..]),
        _ => url.to_string(),
    }
}

#[derive(Debug, thiserror::Error)]
pub enum StoreError {
    #[error("cannot open the archive at {location}: {message}")]
    Open { location: String, message: String },
    #[error(
        "the archive database at {location} is damaged ({message}); restore it from a backup, or move it aside and import the source files again"
    )]
    Corrupt { location: String, message: String },
    #[error("the archive at {location} was written by a newer ficarchive (schema version {found}; this program knows up to {known})")]
    TooNew { location: String, found: i64, known: i64 },
    #[error("the disk holding the archive is full; free some space and run the same command again (nothing was half-written)")]
    DiskFull,
    /// Something named on the command line (a tag, a work) that is not there, or a request
    /// that cannot be carried out as asked; the message says what to do.
    #[error("{0}")]
    NotFound(String),
    #[error("database error: {0}")]
    Database(String),
}

impl From<sqlx::Error> for StoreError {
    fn from(e: sqlx::Error) -> Self {
        let message = e.to_string();
        let lower = message.to_lowercase();
        if lower.contains("disk is full") || lower.contains("no space left") || lower.contains("could not extend file") {
            StoreError::DiskFull
        } else {
            StoreError::Database(message)
        }
    }
}

pub type Result<T, E = StoreError> = std::result::Result<T, E>;

/// The files a work came from, with their bytes, for provenance.
#[derive(Debug, Clone, Copy)]
pub struct SourceFile<'a> {
    pub path: &'a str,
    pub sha256: &'a str,
    pub bytes: &'a [u8],
    /// The bytes as [`pack`] compresses them, when the caller has done it already (the
    /// importer does, on its parsing thread); compressed while storing otherwise.
    pub packed: Option<&'a [u8]>,
}

impl<'a> SourceFile<'a> {
    pub fn new(path: &'a str, sha256: &'a str, bytes: &'a [u8]) -> SourceFile<'a> {
        SourceFile { path, sha256, bytes, packed: None }
    }

    fn packed(&self) -> Result<std::borrow::Cow<'a, [u8]>> {
        match self.packed {
            Some(packed) => Ok(std::borrow::Cow::Borrowed(packed)),
            None => pack(self.bytes, Packed::Source).map(std::borrow::Cow::Owned),
        }
    }
}

/// What storing a work did.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Stored {
    New(i64),
    /// An archived work (same site id, or same title and authors) gained chapters or changed;
    /// it keeps its id.
    Updated(i64),
    /// The archive already held everything this copy says.
    Unchanged(i64),
}

impl Stored {
    /// The work's id, whatever happened.
    pub fn id(self) -> i64 {
        match self {
            Stored::New(id) | Stored::Updated(id) | Stored::Unchanged(id) => id,
        }
    }
}

/// How a source file ended: the outcome column of `sources`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SourceOutcome {
    Work,
    NotAStory,
    Failed,
}

impl SourceOutcome {
    fn as_str(self) -> &'static str {
        match self {
            SourceOutcome::Work => "work",
            SourceOutcome::NotAStory => "not-a-story",
            SourceOutcome::Failed => "failed",
        }
    }
}

/// Counts kept on an import run.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct RunCounts {
    pub new_works: u64,
    pub updated_works: u64,
    pub unchanged: u64,
    pub not_stories: u64,
    pub failed: u64,
}

/// A summary of the whole archive.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Stats {
    pub works: u64,
    pub chapters: u64,
    pub words: u64,
    pub authors: u64,
    pub sources: u64,
    pub by_rating: Vec<(String, u64)>,
    pub by_fandom: Vec<(String, u64)>,
    pub complete: u64,
    pub in_progress: u64,
    pub status_unknown: u64,
}

/// A handle on the archive. Clones share the same connections (an importer's reading thread
/// checks sources through a clone while the writer stores).
#[derive(Clone)]
pub struct Archive {
    /// Every write, and reads that belong with writes. On SQLite one connection: one writer at
    /// a time is SQLite's rule, and `PRAGMA data_version` must be asked of one connection.
    pool: AnyPool,
    /// Reads for pages, searches and listings ([`Archive::readers`]).
    readers: AnyPool,
    dialect: Dialect,
    /// Embedded archives: the checkpoint task that keeps the write-ahead log short.
    checkpoints: Option<checkpoint::Checkpoints>,
    location: Location,
    /// The archive's own identity (see migration 4), a UUID.
    uuid: uuid::Uuid,
}

/// Read connections on SQLite (see [`Archive::readers`]).
const READER_CONNECTIONS: u32 = 4;

fn now() -> i64 {
    SystemTime::now().duration_since(UNIX_EPOCH).map_or(0, |d| d.as_secs() as i64)
}

impl Archive {
    /// Opens the archive, creating it (and its data directory) when it does not exist, and
    /// brings its schema up to date.
    pub async fn open(location: &Location) -> Result<Archive> {
        sqlx::any::install_default_drivers();
        let describe = location.describe();
        let open_error = |e: sqlx::Error| classify_open(&describe, e);
        let (pool, readers, dialect, checkpoints) = match location {
            Location::Embedded(dir) => {
                std::fs::create_dir_all(dir).map_err(|e| StoreError::Open {
                    location: describe.clone(),
                    message: format!("cannot create the data directory: {e}"),
                })?;
                let file = database_file(dir);
                let url = format!("sqlite://{}?mode=rwc", file.display());
                let options = AnyConnectOptions::from_str(&url).map_err(open_error)?;
                // Open one connection by hand first: a pool retries a failing connection until
                // its timeout, which would hide "file is not a database" behind a timeout.
                let mut probe = sqlx::AnyConnection::connect_with(&options).await.map_err(open_error)?;
                probe.execute("PRAGMA schema_version").await.map_err(open_error)?;
                probe.close().await.map_err(open_error)?;
                // One writer at a time is SQLite's rule; a single connection keeps it simple
                // and is not the bottleneck of an import.
                let pool = AnyPoolOptions::new()
                    .max_connections(1)
                    .after_connect(|conn, _| {
                        Box::pin(async move {
                            conn.execute("PRAGMA foreign_keys = ON").await?;
                            conn.execute("PRAGMA busy_timeout = 10000").await?;
                            conn.execute("PRAGMA journal_mode = WAL").await?;
                            conn.execute("PRAGMA synchronous = NORMAL").await?;
                            conn.execute(sqlx::AssertSqlSafe(format!("PRAGMA wal_autocheckpoint = {}", checkpoint::BACKSTOP_PAGES)))
                                .await?;
                            Ok(())
                        })
                    })
                    .connect_with(options.clone())
                    .await
                    .map_err(open_error)?;
                // WAL lets readers run beside the writer and each other: a page is a handful
                // of statements, and behind one connection every request waited for all the
                // others' (first chapters of random works of 100,000, wrk with 16
                // connections: 774 req/s behind one connection, 1,578 with these).
                // The readers can only read; they open when first needed.
                let readers = AnyPoolOptions::new()
                    .max_connections(READER_CONNECTIONS)
                    .after_connect(|conn, _| {
                        Box::pin(async move {
                            conn.execute("PRAGMA busy_timeout = 10000").await?;
                            conn.execute("PRAGMA query_only = ON").await?;
                            Ok(())
                        })
                    })
                    .connect_lazy_with(options.clone());
                let checkpoints = checkpoint::Checkpoints::start(&options).await.map_err(open_error)?;
                (pool, readers, Dialect::Sqlite, Some(checkpoints))
            }
            Location::Postgres(url) => {
                let options = AnyConnectOptions::from_str(url).map_err(open_error)?;
                sqlx::AnyConnection::connect_with(&options).await.map_err(open_error)?.close().await.map_err(open_error)?;
                let pool = AnyPoolOptions::new().max_connections(4).connect_with(options).await.map_err(open_error)?;
                (pool.clone(), pool, Dialect::Postgres, None)
            }
        };
        let mut archive = Archive { pool, readers, dialect, checkpoints, location: location.clone(), uuid: uuid::Uuid::nil() };
        let prepare = async {
            archive.migrate().await?;
            archive.uuid = archive.archive_uuid().await?;
            Ok(())
        };
        prepare.await.map_err(|e| match e {
            StoreError::Database(message) => classify_open(&describe, sqlx::Error::Protocol(message)),
            other => other,
        })?;
        Ok(archive)
    }

    pub fn location(&self) -> &Location {
        &self.location
    }

    pub fn dialect(&self) -> Dialect {
        self.dialect
    }

    /// A value that changes whenever another connection has changed the archive, for caches
    /// of what the archive holds (the web reader's pages). SQLite's `data_version` changes
    /// exactly then. On PostgreSQL the write-ahead log position is used: it moves with every
    /// committed change (and with unrelated writes to the cluster, which only costs a cache
    /// refill, never a stale page).
    pub async fn change_marker(&self) -> Result<i64> {
        let sql = match self.dialect {
            Dialect::Sqlite => "PRAGMA data_version",
            Dialect::Postgres => "SELECT CAST(pg_current_wal_lsn() - CAST('0/0' AS pg_lsn) AS BIGINT)",
        };
        Ok(sqlx::query_scalar::<_, i64>(sql).fetch_one(&self.pool).await?)
    }

    /// The archive's UUID, chosen at random when the archive was created.
    pub fn uuid(&self) -> uuid::Uuid {
        self.uuid
    }

    /// A work's permanent identifier outside the archive (EPUB `dc:identifier`, OPDS entry
    /// id): a name-based UUID of the work id within the archive's UUID. A work updated in
    /// place keeps its id and so its identifier.
    pub fn work_uuid(&self, work: i64) -> uuid::Uuid {
        self.name_uuid(&format!("work/{work}"))
    }

    /// A permanent identifier for anything the archive names (`work/12`, `opds/recent`): a
    /// name-based UUID within the archive's UUID.
    pub fn name_uuid(&self, name: &str) -> uuid::Uuid {
        uuid::Uuid::new_v5(&self.uuid, name.as_bytes())
    }

    /// Reads the archive's UUID, writing a new random one the first time. Two programs opening
    /// a new archive at once agree: the insert keeps whichever came first.
    async fn archive_uuid(&self) -> Result<uuid::Uuid> {
        sqlx::query("INSERT INTO archive_settings (name, value) VALUES ('uuid', $1) ON CONFLICT (name) DO NOTHING")
            .bind(uuid::Uuid::new_v4().to_string())
            .execute(&self.pool)
            .await?;
        let value: String = sqlx::query_scalar("SELECT value FROM archive_settings WHERE name = 'uuid'").fetch_one(&self.pool).await?;
        uuid::Uuid::parse_str(&value).map_err(|e| StoreError::Database(format!("archive_settings.uuid is not a UUID ({value}): {e}")))
    }

    async fn migrate(&self) -> Result<()> {
        let mut conn = self.pool.acquire().await?;
        conn.execute("CREATE TABLE IF NOT EXISTS schema_migrations (version BIGINT PRIMARY KEY, applied_at BIGINT NOT NULL)").await?;
        let current: Option<i64> = sqlx::query_scalar("SELECT MAX(version) FROM schema_migrations").fetch_one(&mut *conn).await?;
        let current = current.unwrap_or(0);
        let known = schema::MIGRATIONS.last().map_or(0, |(v, _)| *v);
        if current > known {
            return Err(StoreError::TooNew { location: self.location.describe(), found: current, known });
        }
        for (version, sql) in schema::MIGRATIONS.iter().filter(|(v, _)| *v > current) {
            let mut tx = conn.begin().await?;
            let sql = self.dialect.render(sql);
            for statement in schema::statements(&sql, self.dialect) {
                // Audited: migration text is a constant of this crate.
                tx.execute(sqlx::AssertSqlSafe(statement.to_string())).await?;
            }
            sqlx::query("INSERT INTO schema_migrations (version, applied_at) VALUES ($1, $2)")
                .bind(*version)
                .bind(now())
                .execute(&mut *tx)
                .await?;
            tx.commit().await?;
        }
        tags::backfill_fold_keys(&mut conn).await?;
        Ok(())
    }

    /// Starts an import run and returns its id.
    pub async fn begin_run(&self, paths: &[String]) -> Result<i64> {
        let id: i64 = sqlx::query_scalar("INSERT INTO import_runs (started_at, paths) VALUES ($1, $2) RETURNING id")
            .bind(now())
            .bind(serde_json::to_string(paths).unwrap_or_default())
            .fetch_one(&self.pool)
            .await?;
        Ok(id)
    }

    pub async fn finish_run(&self, run: i64, counts: RunCounts) -> Result<()> {
        sqlx::query(
            "UPDATE import_runs SET finished_at = $1, new_works = $2, updated_works = $3, unchanged = $4, not_stories = $5, failed = $6 WHERE id = $7",
        )
        .bind(now())
        .bind(counts.new_works as i64)
        .bind(counts.updated_works as i64)
        .bind(counts.unchanged as i64)
        .bind(counts.not_stories as i64)
        .bind(counts.failed as i64)
        .bind(run)
        .execute(&self.pool)
        .await?;
        Ok(())
    }

    /// Whether the archive already holds these exact bytes (as a work's source, or as a file
    /// that was not a story or failed to parse).
    pub async fn has_source(&self, sha256: &str) -> Result<bool> {
        Ok(!self.held_sources(&[sha256]).await?.is_empty())
    }

    /// Which of these sha256 hashes the archive already holds (see [`Archive::has_source`]):
    /// the importer asks once per folder, not once per file.
    pub async fn held_sources(&self, sha256s: &[&str]) -> Result<std::collections::HashSet<String>> {
        let mut held = std::collections::HashSet::new();
        // Up to 500 values a statement, well under either database's limit on bound values.
        for chunk in sha256s.chunks(500) {
            let marks: Vec<String> = (1..=chunk.len()).map(|i| format!("${i}")).collect();
            // Audited: the statement holds only `$n` placeholders; every value is bound.
            let sql = format!("SELECT sha256 FROM sources WHERE sha256 IN ({})", marks.join(", "));
            let mut query = sqlx::query_scalar::<_, String>(sqlx::AssertSqlSafe(sql));
            for sha256 in chunk {
                query = query.bind(*sha256);
            }
            // Through a reader: the importer asks from its parsing thread while the writer stores.
            held.extend(query.fetch_all(self.readers()).await?);
        }
        Ok(held)
    }

    /// Keeps the bytes of a file that gave no work (not a story, or a parse failure), so that
    /// nothing imported is lost and the same file is recognised next time.
    pub async fn keep_source(&self, run: i64, file: SourceFile<'_>, outcome: SourceOutcome, message: &str) -> Result<()> {
        let mut batch = self.begin_batch(run, false).await?;
        batch.keep_source(file, outcome, message).await?;
        batch.finish().await
    }

    /// Stores a parsed work with the files it came from, in one transaction: a new work, or
    /// the archived copy of the same work (same site id, or same title and authors) updated
    /// in place. With `dry_run`, everything is worked out and then rolled back.
    pub async fn store_work(&self, run: i64, work: &Work, sources: &[SourceFile<'_>], dry_run: bool) -> Result<Stored> {
        let mut batch = self.begin_batch(run, dry_run).await?;
        let (stored, _) = batch.store_work(work, sources).await?;
        batch.finish().await?;
        Ok(stored)
    }

    /// Opens a [`WorkBatch`] for import run `run`. With `dry_run`, everything stored through it
    /// is worked out and then rolled back.
    pub async fn begin_batch(&self, run: i64, dry_run: bool) -> Result<WorkBatch> {
        Ok(WorkBatch {
            tx: self.pool.begin().await?,
            dialect: self.dialect,
            checkpoints: self.checkpoints.clone(),
            run,
            dry_run,
            bytes: 0,
            known: KnownIds::default(),
        })
    }

    /// A work as stored, or `None` for an unknown id.
    pub async fn work(&self, id: i64) -> Result<Option<Work>> {
        let mut conn = self.pool.acquire().await?;
        load_work(&mut conn, id).await
    }

    /// Ids of all works, in id order.
    pub async fn work_ids(&self) -> Result<Vec<i64>> {
        Ok(sqlx::query_scalar("SELECT id FROM works ORDER BY id").fetch_all(&self.pool).await?)
    }

    /// The original bytes of a source file, by its sha256.
    pub async fn source_bytes(&self, sha256: &str) -> Result<Option<Vec<u8>>> {
        let content: Option<Vec<u8>> =
            sqlx::query_scalar("SELECT content FROM sources WHERE sha256 = $1").bind(sha256).fetch_optional(&self.pool).await?;
        content.map(|c| unpack(&c, "a stored source")).transpose()
    }

    pub async fn stats(&self) -> Result<Stats> {
        let count = |sql: &'static str| async move { sqlx::query_scalar::<_, i64>(sql).fetch_one(&self.pool).await.map(|n| n as u64) };
        let mut stats = Stats {
            works: count("SELECT COUNT(*) FROM works").await?,
            chapters: count("SELECT COUNT(*) FROM chapters").await?,
            words: count("SELECT CAST(COALESCE(SUM(words), 0) AS BIGINT) FROM works").await?,
            authors: count("SELECT COUNT(*) FROM authors").await?,
            sources: count("SELECT COUNT(*) FROM sources").await?,
            complete: count("SELECT COUNT(*) FROM works WHERE complete = 1").await?,
            in_progress: count("SELECT COUNT(*) FROM works WHERE complete = 0").await?,
            status_unknown: count("SELECT COUNT(*) FROM works WHERE complete IS NULL").await?,
            ..Stats::default()
        };
        let rows =
            sqlx::query("SELECT rating, COUNT(*) FROM works GROUP BY rating ORDER BY COUNT(*) DESC, rating").fetch_all(&self.pool).await?;
        stats.by_rating =
            rows.iter().map(|r| Ok((r.try_get::<String, _>(0)?, r.try_get::<i64, _>(1)? as u64))).collect::<Result<_, sqlx::Error>>()?;
        let rows = sqlx::query(
            "SELECT c.name, COUNT(DISTINCT wt.work_id) FROM work_tags wt JOIN tags t ON t.id = wt.tag_id \
             JOIN tags c ON c.id = COALESCE(t.canonical_id, t.id) WHERE c.kind = 'fandom' \
             GROUP BY c.name ORDER BY COUNT(DISTINCT wt.work_id) DESC, c.name",
        )
        .fetch_all(&self.pool)
        .await?;
        stats.by_fandom =
            rows.iter().map(|r| Ok((r.try_get::<String, _>(0)?, r.try_get::<i64, _>(1)? as u64))).collect::<Result<_, sqlx::Error>>()?;
        Ok(stats)
    }

    /// Verifies the database: SQLite's own integrity and foreign-key checks, tags that point
    /// at a synonym instead of a canonical tag, every stored source against its sha256, and
    /// that every chapter body unpacks and reads.
    /// Returns the problems found, each as a sentence.
    pub async fn check_database(&self) -> Result<Vec<String>> {
        let mut problems = Vec::new();
        let mut conn = self.pool.acquire().await?;
        if self.dialect == Dialect::Sqlite {
            let rows: Vec<String> = sqlx::query_scalar("PRAGMA integrity_check").fetch_all(&mut *conn).await?;
            problems.extend(rows.into_iter().filter(|r| r != "ok").map(|r| format!("integrity: {r}")));
            let broken = sqlx::query("PRAGMA foreign_key_check").fetch_all(&mut *conn).await?;
            if !broken.is_empty() {
                problems.push(format!("{} rows point at rows that do not exist", broken.len()));
            }
        }
        let chained: i64 =
            sqlx::query_scalar("SELECT COUNT(*) FROM tags t JOIN tags c ON c.id = t.canonical_id WHERE c.canonical_id IS NOT NULL")
                .fetch_one(&mut *conn)
                .await?;
        if chained > 0 {
            problems.push(format!("{chained} tags point at a synonym instead of a canonical tag"));
        }
        let ids: Vec<i64> = sqlx::query_scalar("SELECT id FROM sources ORDER BY id").fetch_all(&mut *conn).await?;
        for id in ids {
            let row = sqlx::query("SELECT sha256, path, content FROM sources WHERE id = $1").bind(id).fetch_one(&mut *conn).await?;
            let (sha, path, content): (String, String, Vec<u8>) = (row.try_get(0)?, row.try_get(1)?, row.try_get(2)?);
            match zstd::decode_all(content.as_slice()) {
                Ok(bytes) if sha256_hex(&bytes) == sha => {}
                Ok(_) => problems.push(format!("the stored copy of {path} does not match its sha256")),
                Err(e) => problems.push(format!("the stored copy of {path} cannot be decompressed: {e}")),
            }
        }
        let chapters: Vec<i64> = sqlx::query_scalar("SELECT id FROM chapters ORDER BY id").fetch_all(&mut *conn).await?;
        for id in chapters {
            let row = sqlx::query("SELECT work_id, position, body, body_packed FROM chapters WHERE id = $1")
                .bind(id)
                .fetch_one(&mut *conn)
                .await?;
            if let Err(e) = chapter_body(&row) {
                let (work, position): (i64, i64) = (row.try_get(0)?, row.try_get(1)?);
                let reason = match e {
                    StoreError::Database(message) => message,
                    other => other.to_string(),
                };
                problems.push(format!("chapter {} of work {work}: {reason}", position + 1));
            }
        }
        Ok(problems)
    }

    /// Closes every connection. An embedded archive's write-ahead log is copied into the
    /// database file as the last one closes, so the file alone then holds the archive.
    pub async fn close(self) {
        self.readers.close().await;
        self.pool.close().await;
        if let Some(checkpoints) = &self.checkpoints {
            checkpoints.close().await;
        }
    }

    /// The connections for reads that need not see an open write of this process: pages,
    /// searches, listings. Every statement sees what was committed when it started.
    pub(crate) fn readers(&self) -> &AnyPool {
        &self.readers
    }
}

fn classify_open(location: &str, e: sqlx::Error) -> StoreError {
    let message = e.to_string();
    let lower = message.to_lowercase();
    if lower.contains("not a database") || lower.contains("malformed") || lower.contains("corrupt") {
        StoreError::Corrupt { location: location.to_string(), message }
    } else if lower.contains("disk is full") || lower.contains("no space left") {
        StoreError::DiskFull
    } else {
        StoreError::Open { location: location.to_string(), message }
    }
}

/// What [`pack`] compresses, which decides how hard it works.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Packed {
    /// An original file, kept for provenance and rarely read: zstd level 3.
    Source,
    /// A chapter body's JSON, read on every page of the reader and for every snippet: zstd
    /// level 1, which packs the generated corpus's bodies 2.36 times (level 3: 2.43) at
    /// half again the speed (210 against 135 MB/s here).
    ChapterBody,
}

/// Bytes as the archive keeps them, compressed.
pub fn pack(bytes: &[u8], what: Packed) -> Result<Vec<u8>> {
    thread_local! {
        // One compression context per thread, reused: setting one up for each file (its
        // tables zeroed, its memory mapped fresh) cost more than compressing a small file.
        static COMPRESSOR: std::cell::RefCell<Option<zstd::bulk::Compressor<'static>>> = const { std::cell::RefCell::new(None) };
    }
    let level = match what {
        Packed::Source => 3,
        Packed::ChapterBody => 1,
    };
    let failed = |e: std::io::Error| StoreError::Database(format!("cannot compress: {e}"));
    COMPRESSOR.with_borrow_mut(|slot| {
        let compressor = match slot {
            Some(c) => c,
            None => slot.insert(zstd::bulk::Compressor::new(level).map_err(failed)?),
        };
        compressor.set_compression_level(level).map_err(failed)?;
        compressor.compress(bytes).map_err(failed)
    })
}

/// The bytes [`pack`] compressed; `what` names them in the error a damaged copy gives.
pub(crate) fn unpack(packed: &[u8], what: &str) -> Result<Vec<u8>> {
    zstd::decode_all(packed).map_err(|e| StoreError::Database(format!("{what} is damaged: {e}")))
}

/// The key that makes two copies the same work when no site id says so: the title and the
/// authors, case and spacing folded. Works without a stated title or author never match.
pub fn identity_key(work: &Work) -> Option<String> {
    let title = work.title.as_deref()?;
    if work.authors.is_empty() {
        return None;
    }
    let fold = |s: &str| s.split_whitespace().collect::<Vec<_>>().join(" ").to_lowercase();
    let mut authors: Vec<String> = work.authors.iter().map(|a| fold(a)).collect();
    authors.sort();
    Some(format!("{}\u{1f}{}", fold(title), authors.join("\u{1e}")))
}

async fn find_same_work(conn: &mut AnyConnection, work: &Work) -> Result<Option<i64>> {
    if let Some(site_id) = &work.site_id {
        let found: Option<i64> =
            sqlx::query_scalar("SELECT id FROM works WHERE site_id = $1").bind(site_id).fetch_optional(&mut *conn).await?;
        if found.is_some() {
            return Ok(found);
        }
    }
    let Some(key) = identity_key(work) else { return Ok(None) };
    let found: Option<i64> =
        sqlx::query_scalar("SELECT id FROM works WHERE identity_key = $1 ORDER BY id LIMIT 1").bind(key).fetch_optional(&mut *conn).await?;
    Ok(found)
}

fn json_map(map: &BTreeMap<String, String>) -> String {
    serde_json::to_string(map).unwrap_or_else(|_| "{}".into())
}

fn opt_u64(v: Option<u64>) -> Option<i64> {
    v.map(|n| i64::try_from(n).unwrap_or(i64::MAX))
}

type AnyQuery<'q> = sqlx::query::Query<'q, sqlx::Any, sqlx::any::AnyArguments>;

/// Binds the 21 work columns, in the order `insert_work` and `update_work` list them as
/// `$1..$21`: one list, so the two statements cannot drift apart.
fn bind_work_columns<'q>(query: AnyQuery<'q>, work: &'q Work, words: &ChapterWords) -> AnyQuery<'q> {
    query
        .bind(work.kind.as_str())
        .bind(work.display_title())
        .bind(i64::from(work.title.is_some()))
        .bind(identity_key(work))
        .bind(work.site_id.as_deref())
        .bind(work.rating.normalized.as_str())
        .bind(work.rating.raw.as_deref())
        .bind(work.language.as_deref())
        .bind(work.summary.as_deref())
        .bind(work.notes.as_deref())
        .bind(work.end_notes.as_deref())
        .bind(work.chapters_total.map(i64::from))
        .bind(work.complete.map(i64::from))
        .bind(words.total() as i64)
        .bind(opt_u64(work.words_stated))
        .bind(work.published.as_deref())
        .bind(work.updated.as_deref())
        .bind(work.source.format.as_str())
        .bind(work.source.encoding.as_str())
        .bind(json_map(&work.extra))
        .bind(serde_json::to_string(&work.diagnostics).unwrap_or_else(|_| "[]".into()))
}

async fn insert_work(conn: &mut AnyConnection, work: &Work, words: &ChapterWords, t: i64) -> Result<i64> {
    let query = sqlx::query(
        "INSERT INTO works (kind, title, title_stated, identity_key, site_id, rating, rating_raw, language, summary, notes, end_notes, \
         chapters_total, complete, words, words_stated, published, updated, source_format, source_encoding, extra, diagnostics, \
         created_at, modified_at) \
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15, $16, $17, $18, $19, $20, $21, $22, $23) RETURNING id",
    );
    let row = bind_work_columns(query, work, words).bind(t).bind(t).fetch_one(&mut *conn).await?;
    Ok(row.try_get(0)?)
}

async fn update_work(conn: &mut AnyConnection, id: i64, work: &Work, words: &ChapterWords, t: i64) -> Result<()> {
    let query = sqlx::query(
        "UPDATE works SET kind = $1, title = $2, title_stated = $3, identity_key = $4, site_id = $5, rating = $6, rating_raw = $7, \
         language = $8, summary = $9, notes = $10, end_notes = $11, chapters_total = $12, complete = $13, words = $14, \
         words_stated = $15, published = $16, updated = $17, source_format = $18, source_encoding = $19, extra = $20, \
         diagnostics = $21, modified_at = $22 WHERE id = $23",
    );
    bind_work_columns(query, work, words).bind(t).bind(id).execute(&mut *conn).await?;
    Ok(())
}

/// Works and files stored in one transaction (an import's batch): a commit writes and syncs
/// every page it touched, so a transaction per work cost an import a fifth of its time. Either
/// everything stored through the batch is kept or, after an error or a crash, nothing is; the
/// same import run again stores it. On SQLite an open batch holds the archive's only writing
/// connection: its owner must not write through the [`Archive`] until it is finished.
pub struct WorkBatch {
    tx: sqlx::Transaction<'static, sqlx::Any>,
    dialect: Dialect,
    checkpoints: Option<checkpoint::Checkpoints>,
    run: i64,
    dry_run: bool,
    bytes: u64,
    known: KnownIds,
}

impl WorkBatch {
    /// About how many bytes the batch has written (chapter text and packed sources), for
    /// callers that bound a transaction's size.
    pub fn bytes(&self) -> u64 {
        self.bytes
    }

    /// Keeps the bytes of a file that gave no work (see [`Archive::keep_source`]).
    pub async fn keep_source(&mut self, file: SourceFile<'_>, outcome: SourceOutcome, message: &str) -> Result<()> {
        if self.dry_run {
            return Ok(());
        }
        let content = file.packed()?;
        self.insert_source(&file, &content, outcome, Some(message), None).await
    }

    /// One row of `sources` (a file already held, by its sha256, is left as it is).
    async fn insert_source(
        &mut self,
        file: &SourceFile<'_>,
        content: &[u8],
        outcome: SourceOutcome,
        message: Option<&str>,
        work: Option<i64>,
    ) -> Result<()> {
        self.bytes += content.len() as u64;
        sqlx::query(
            "INSERT INTO sources (sha256, path, size, content, outcome, message, work_id, import_run_id, added_at) \
             VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9) ON CONFLICT (sha256) DO NOTHING",
        )
        .bind(file.sha256)
        .bind(file.path)
        .bind(file.bytes.len() as i64)
        .bind(content)
        .bind(outcome.as_str())
        .bind(message)
        .bind(work)
        .bind(self.run)
        .bind(now())
        .execute(&mut *self.tx)
        .await?;
        Ok(())
    }

    /// Stores a parsed work with the files it came from (see [`Archive::store_work`]), also
    /// giving a new or changed work's search document as it was written (on SQLite, for the
    /// embedded index to take in without reading the work back).
    pub async fn store_work(&mut self, work: &Work, sources: &[SourceFile<'_>]) -> Result<(Stored, Option<search::QueuedDoc>)> {
        let compressed: Vec<std::borrow::Cow<'_, [u8]>> =
            if self.dry_run { Vec::new() } else { sources.iter().map(SourceFile::packed).collect::<Result<_>>()? };
        let tx = &mut *self.tx;
        let existing = find_same_work(tx, work).await?;
        let t = now();
        let (id, stored, written) = match existing {
            None => {
                let words = ChapterWords::of(work);
                let id = insert_work(tx, work, &words, t).await?;
                self.bytes += write_parts(tx, &mut self.known, id, work, &words, false).await?;
                (id, Stored::New(id), Some((std::borrow::Cow::Borrowed(work), words.total())))
            }
            Some(id) => {
                let current = load_work(tx, id).await?.ok_or_else(|| StoreError::Database(format!("work {id} vanished")))?;
                match merge::merge(&current, work) {
                    None => (id, Stored::Unchanged(id), None),
                    Some(merged) => {
                        let words = ChapterWords::of(&merged);
                        update_work(tx, id, &merged, &words, t).await?;
                        self.bytes += write_parts(tx, &mut self.known, id, &merged, &words, true).await?;
                        let total = words.total();
                        (id, Stored::Updated(id), Some((std::borrow::Cow::Owned(merged), total)))
                    }
                }
            }
        };
        if self.dry_run {
            return Ok((stored, None));
        }
        let mut queued = None;
        if let Some((written, words)) = written {
            let doc = search::search_doc_of(tx, id, &written, words, t).await?;
            let queued_at = search::work_changed(tx, self.dialect, id, Some(&doc)).await?;
            queued = (self.dialect == Dialect::Sqlite).then_some(search::QueuedDoc { doc, queued_at });
        }
        for (file, content) in sources.iter().zip(compressed) {
            self.insert_source(file, &content, SourceOutcome::Work, None, Some(id)).await?;
        }
        Ok((stored, queued))
    }

    /// Commits everything stored through the batch (rolls it back in a dry run).
    pub async fn finish(self) -> Result<()> {
        if self.dry_run {
            self.tx.rollback().await?;
        } else {
            self.tx.commit().await?;
            if let Some(checkpoints) = &self.checkpoints {
                checkpoints.request();
            }
        }
        Ok(())
    }
}

/// Each chapter's word count, counted once for the chapter rows and the work's total.
struct ChapterWords(Vec<u64>);

impl ChapterWords {
    fn of(work: &Work) -> ChapterWords {
        ChapterWords(work.chapters.iter().map(Chapter::words).collect())
    }

    fn total(&self) -> u64 {
        self.0.iter().sum()
    }
}

fn document_json(d: &Document) -> String {
    serde_json::to_string(d).unwrap_or_else(|_| "[]".into())
}

/// Chapters, authors, series and tags of a work: replaced whole.
/// Returns about how many bytes of chapter text it wrote.
/// `replace` clears the parts stored before (a new work has none to clear).
async fn write_parts(
    conn: &mut AnyConnection,
    ids: &mut KnownIds,
    id: i64,
    work: &Work,
    words: &ChapterWords,
    replace: bool,
) -> Result<u64> {
    if replace {
        for table in ["chapters", "work_authors", "series_works", "work_tags"] {
            // Audited: `table` is one of the four literals above.
            sqlx::query(sqlx::AssertSqlSafe(format!("DELETE FROM {table} WHERE work_id = $1"))).bind(id).execute(&mut *conn).await?;
        }
    }
    let mut bytes = 0;
    for ((position, c), chapter_words) in work.chapters.iter().enumerate().zip(&words.0) {
        let body = document_json(&c.body);
        bytes += body.len() as u64;
        sqlx::query(
            "INSERT INTO chapters (work_id, position, number, title, words, body, body_packed, notes, end_notes) \
             VALUES ($1, $2, $3, $4, $5, '', $6, $7, $8)",
        )
        .bind(id)
        .bind(position as i64)
        .bind(i64::from(c.number))
        .bind(c.title.as_deref())
        .bind(*chapter_words as i64)
        .bind(pack(body.as_bytes(), Packed::ChapterBody)?)
        .bind(document_json(&c.notes))
        .bind(document_json(&c.end_notes))
        .execute(&mut *conn)
        .await?;
    }
    let mut seen_authors = Vec::new();
    for name in &work.authors {
        let author = ids.named(conn, "authors", name).await?;
        if seen_authors.contains(&author) {
            continue;
        }
        sqlx::query("INSERT INTO work_authors (work_id, author_id, position) VALUES ($1, $2, $3)")
            .bind(id)
            .bind(author)
            .bind(seen_authors.len() as i64)
            .execute(&mut *conn)
            .await?;
        seen_authors.push(author);
    }
    let mut seen_series = Vec::new();
    for s in &work.series {
        let series = ids.named(conn, "series", &s.name).await?;
        if seen_series.contains(&series) {
            continue;
        }
        seen_series.push(series);
        sqlx::query("INSERT INTO series_works (series_id, work_id, part) VALUES ($1, $2, $3)")
            .bind(series)
            .bind(id)
            .bind(s.part.map(i64::from))
            .execute(&mut *conn)
            .await?;
    }
    let mut seen_tags = Vec::new();
    for tag in ficarchive_wrangle::wrangle_work(work, ficarchive_wrangle::Dictionary::starter()) {
        let known = ids.tags.entry(tag.kind).or_default();
        let tag = match known.get(tag.raw.as_str()) {
            Some(&id) => id,
            None => {
                let id = tags::stated_tag_id(conn, &tag).await?;
                known.insert(tag.raw, id);
                id
            }
        };
        if !seen_tags.contains(&tag) {
            seen_tags.push(tag);
        }
    }
    // One statement for a work's tags (up to 1,000, well under PostgreSQL's limit on bound
    // values): statements, not rows, are what an import pays for.
    for (chunk_at, chunk) in seen_tags.chunks(1000).enumerate() {
        let rows: Vec<String> = (0..chunk.len()).map(|i| format!("(${}, ${}, ${})", 3 * i + 1, 3 * i + 2, 3 * i + 3)).collect();
        // Audited: the statement holds only `$n` placeholders; every value is bound.
        let mut insert =
            sqlx::query(sqlx::AssertSqlSafe(format!("INSERT INTO work_tags (work_id, tag_id, position) VALUES {}", rows.join(", "))));
        for (i, tag) in chunk.iter().enumerate() {
            insert = insert.bind(id).bind(*tag).bind((chunk_at * 1000 + i) as i64);
        }
        insert.execute(&mut *conn).await?;
    }
    Ok(bytes)
}

/// Row ids one [`WorkBatch`] has looked up or created: a name costs its statements once per
/// batch, not once per work that carries it. Only valid inside the batch's transaction (ids
/// created by a transaction that rolls back are gone with it).
#[derive(Default)]
struct KnownIds {
    /// Kind → name as stated → the stated tag's row.
    tags: std::collections::HashMap<TagKind, std::collections::HashMap<String, i64>>,
    /// `authors` or `series` → name → row.
    named: std::collections::HashMap<&'static str, std::collections::HashMap<String, i64>>,
}

impl KnownIds {
    async fn named(&mut self, conn: &mut AnyConnection, table: &'static str, name: &str) -> Result<i64> {
        let known = self.named.entry(table).or_default();
        if let Some(&id) = known.get(name) {
            return Ok(id);
        }
        let id = upsert_named(conn, table, name).await?;
        known.insert(name.to_string(), id);
        Ok(id)
    }
}

/// The id of the row named `name` in `authors` or `series`, created if needed.
async fn upsert_named(conn: &mut AnyConnection, table: &'static str, name: &str) -> Result<i64> {
    // Audited: `table` is a `&'static str` chosen by this crate, never user input.
    sqlx::query(sqlx::AssertSqlSafe(format!("INSERT INTO {table} (name) VALUES ($1) ON CONFLICT (name) DO NOTHING")))
        .bind(name)
        .execute(&mut *conn)
        .await?;
    Ok(sqlx::query_scalar(sqlx::AssertSqlSafe(format!("SELECT id FROM {table} WHERE name = $1"))).bind(name).fetch_one(&mut *conn).await?)
}

/// A work's series (name, part), by name. Found through `series_works_work` (migration 5):
/// without it SQLite walked every series for each stored work.
pub(crate) const SERIES_OF_WORK: &str =
    "SELECT s.name, sw.part FROM series_works sw JOIN series s ON s.id = sw.series_id WHERE sw.work_id = $1 ORDER BY s.name";

pub(crate) fn parse_document(json: &str) -> Result<Document> {
    serde_json::from_str(json).map_err(damaged_chapter)
}

fn damaged_chapter(e: serde_json::Error) -> StoreError {
    StoreError::Database(format!("a stored chapter is damaged: {e}"))
}

/// The body of the chapter in `row`, which must hold its `body` and `body_packed` columns.
/// Since migration 6 a body is kept packed ([`pack`]) in `body_packed` and `body` is empty;
/// a chapter stored before keeps its JSON in `body` (and `body_packed` NULL) until its work
/// is stored again.
pub(crate) fn chapter_body(row: &sqlx::any::AnyRow) -> Result<Document> {
    match row.try_get::<Option<Vec<u8>>, _>("body_packed")? {
        Some(packed) => {
            let json = unpack(&packed, "a stored chapter")?;
            serde_json::from_slice(&json).map_err(damaged_chapter)
        }
        None => parse_document(&row.try_get::<String, _>("body")?),
    }
}

async fn load_work(conn: &mut AnyConnection, id: i64) -> Result<Option<Work>> {
    let Some(row) = sqlx::query(
        "SELECT kind, title, title_stated, site_id, rating, rating_raw, language, summary, notes, end_notes, chapters_total, complete, \
         words_stated, published, updated, source_format, source_encoding, extra, diagnostics FROM works WHERE id = $1",
    )
    .bind(id)
    .fetch_optional(&mut *conn)
    .await?
    else {
        return Ok(None);
    };
    let title: String = row.try_get("title")?;
    let title_stated = row.try_get::<i64, _>("title_stated")? != 0;
    let mut work = Work {
        kind: PageKind::from_name(&row.try_get::<String, _>("kind")?).unwrap_or(PageKind::Unknown),
        title: title_stated.then(|| title.clone()),
        fallback_title: title,
        site_id: row.try_get("site_id")?,
        rating: Rating {
            raw: row.try_get("rating_raw")?,
            normalized: RatingLevel::from_name(&row.try_get::<String, _>("rating")?).unwrap_or_default(),
        },
        language: row.try_get("language")?,
        summary: row.try_get("summary")?,
        notes: row.try_get("notes")?,
        end_notes: row.try_get("end_notes")?,
        chapters_total: row.try_get::<Option<i64>, _>("chapters_total")?.and_then(|n| u32::try_from(n).ok()),
        complete: row.try_get::<Option<i64>, _>("complete")?.map(|c| c != 0),
        words_stated: row.try_get::<Option<i64>, _>("words_stated")?.and_then(|n| u64::try_from(n).ok()),
        published: row.try_get("published")?,
        updated: row.try_get("updated")?,
        extra: serde_json::from_str(&row.try_get::<String, _>("extra")?).unwrap_or_default(),
        diagnostics: serde_json::from_str(&row.try_get::<String, _>("diagnostics")?).unwrap_or_default(),
        ..Work::default()
    };
    work.source.format = row.try_get("source_format")?;
    work.source.encoding = row.try_get("source_encoding")?;

    for row in sqlx::query("SELECT number, title, body, body_packed, notes, end_notes FROM chapters WHERE work_id = $1 ORDER BY position")
        .bind(id)
        .fetch_all(&mut *conn)
        .await?
    {
        work.chapters.push(Chapter {
            number: u32::try_from(row.try_get::<i64, _>("number")?).unwrap_or(0),
            title: row.try_get("title")?,
            body: chapter_body(&row)?,
            notes: parse_document(&row.try_get::<String, _>("notes")?)?,
            end_notes: parse_document(&row.try_get::<String, _>("end_notes")?)?,
        });
    }
    work.authors = sqlx::query_scalar(
        "SELECT a.name FROM work_authors wa JOIN authors a ON a.id = wa.author_id WHERE wa.work_id = $1 ORDER BY wa.position",
    )
    .bind(id)
    .fetch_all(&mut *conn)
    .await?;
    for row in sqlx::query(SERIES_OF_WORK).bind(id).fetch_all(&mut *conn).await? {
        work.series.push(SeriesRef { name: row.try_get(0)?, part: row.try_get::<Option<i64>, _>(1)?.and_then(|n| u32::try_from(n).ok()) });
    }
    for row in
        sqlx::query("SELECT t.kind, t.name FROM work_tags wt JOIN tags t ON t.id = wt.tag_id WHERE wt.work_id = $1 ORDER BY wt.position")
            .bind(id)
            .fetch_all(&mut *conn)
            .await?
    {
        let kind: String = row.try_get(0)?;
        let name: String = row.try_get(1)?;
        let list = match kind.as_str() {
            "fandom" => &mut work.fandoms,
            "relationship" => &mut work.relationships,
            "character" => &mut work.characters,
            "freeform" => &mut work.freeform_tags,
            "warning" => &mut work.warnings,
            "category" => &mut work.categories,
            _ => continue,
        };
        list.push(name);
    }
    for row in sqlx::query("SELECT path, sha256 FROM sources WHERE work_id = $1 ORDER BY id").bind(id).fetch_all(&mut *conn).await? {
        work.source.paths.push(row.try_get(0)?);
        work.source.sha256.push(row.try_get(1)?);
    }
    Ok(Some(work))
}

/// The SQLite database file of a data directory.
pub fn database_file(dir: &Path) -> PathBuf {
    dir.join(DATABASE_FILE)
}

#[cfg(test)]
mod query_plan_tests {
    use super::*;

    /// The lookups an import makes for every work must search an index, never walk a table:
    /// a walk makes each stored work slower the larger the archive (two such walks once made
    /// an import of 10,000 works take twice as long).
    #[tokio::test]
    async fn an_imports_lookups_search_indexes() {
        let dir = std::env::temp_dir().join(format!("ficarchive-plans-{}", std::process::id()));
        let _ = std::fs::remove_dir_all(&dir);
        let archive = Archive::open(&Location::Embedded(dir.clone())).await.expect("open");
        let lookups: [(&str, &str, usize, &[&str]); 2] = [
            ("a tag's canonical row", tags::FIND_CANONICAL, 3, &["(kind=? AND name=?)", "(kind=? AND fold_key=?)"]),
            ("a work's series", SERIES_OF_WORK, 1, &["series_works_work (work_id=?)"]),
        ];
        for (what, sql, parameters, searches) in lookups {
            // Audited: test-only; the statement is one of this crate's constants.
            let mut explain = sqlx::query(sqlx::AssertSqlSafe(format!("EXPLAIN QUERY PLAN {sql}")));
            for _ in 0..parameters {
                explain = explain.bind("x");
            }
            let plan: Vec<String> =
                explain.fetch_all(&archive.pool).await.expect("explain").iter().map(|row| row.try_get(3).expect("detail")).collect();
            // `SCAN found` reads the few rows the subquery found, not a table.
            assert!(!plan.iter().any(|step| step.starts_with("SCAN") && step != "SCAN found"), "{what} walks a table: {plan:?}");
            for search in searches {
                assert!(plan.iter().any(|step| step.starts_with("SEARCH") && step.ends_with(search)), "{what} misses {search}: {plan:?}");
            }
        }
        archive.close().await;
        let _ = std::fs::remove_dir_all(&dir);
    }
}
