//! `ficarchive import`: files and folders into the archive.
//!
//! Files are taken folder by folder (chapter files of one work sit together), in batches of
//! at most [`BATCH_BYTES`], so memory stays bounded whatever the size of the pile. Every file
//! is hashed first: bytes the archive already holds are skipped without parsing. Works are
//! stored a few megabytes per transaction ([`TRANSACTION_BYTES`]), each work whole, so a
//! killed import leaves a consistent archive and running the same command again finishes the
//! job. A bad file never stops the batch.

use crate::files::{FileEntry, list_files, read_file};
use ficarchive_model::PageKind;
use ficarchive_parse::{Input, Outcome, sha256_hex};
use ficarchive_search::Searcher;
use ficarchive_store::{Archive, Packed, RunCounts, SourceFile, SourceOutcome, StoreError, Stored, WorkBatch, pack};
use std::collections::HashSet;
use std::io::IsTerminal;
use std::path::PathBuf;
use std::time::{Duration, Instant};

/// The most bytes of files read and parsed but not yet stored. Between one (a folder is often
/// a single small work) and this, the reading thread and the storing task each waited on the
/// other's slow works, and an import left a sixth of the two cores idle.
const IN_FLIGHT_BYTES: u64 = 32 << 20;

/// The most bytes read and parsed together. Chapter files of one work further apart than
/// this in one folder are still joined: the store matches them by site id or title and author.
const BATCH_BYTES: u64 = 64 << 20;

#[derive(Debug, Default, serde::Serialize)]
pub struct Report {
    pub dry_run: bool,
    pub files: u64,
    pub bytes: u64,
    pub seconds: f64,
    pub new: u64,
    pub updated: u64,
    pub unchanged: u64,
    pub not_stories: Vec<NotAStory>,
    pub failed: Vec<Failure>,
    /// Works taken into the search index (new and updated works, and any left queued by an
    /// earlier, interrupted run).
    pub indexed: u64,
}

#[derive(Debug, serde::Serialize)]
pub struct NotAStory {
    pub path: String,
    pub kind: String,
}

#[derive(Debug, serde::Serialize)]
pub struct Failure {
    pub path: String,
    pub reason: String,
}

impl Report {
    fn counts(&self) -> RunCounts {
        RunCounts {
            new_works: self.new,
            updated_works: self.updated,
            unchanged: self.unchanged,
            not_stories: self.not_stories.len() as u64,
            failed: self.failed.len() as u64,
        }
    }

    pub fn print(&self, out: &mut impl std::io::Write) -> std::io::Result<()> {
        let mb = self.bytes as f64 / 1_048_576.0;
        let rate = if self.seconds > 0.0 { mb / self.seconds } else { 0.0 };
        let verb = if self.dry_run { "would import" } else { "imported" };
        writeln!(out, "{verb} {} files ({mb:.1} MB) in {:.1} s, {rate:.1} MB/s", self.files, self.seconds)?;
        writeln!(out, "  new works:     {}", self.new)?;
        writeln!(out, "  updated works: {}", self.updated)?;
        writeln!(out, "  unchanged:     {}", self.unchanged)?;
        writeln!(out, "  not a story:   {}", self.not_stories.len())?;
        for n in &self.not_stories {
            writeln!(out, "    {} ({})", n.path, n.kind)?;
        }
        writeln!(out, "  failed:        {}", self.failed.len())?;
        for f in &self.failed {
            writeln!(out, "    {}: {}", f.path, f.reason)?;
        }
        if !self.dry_run {
            writeln!(out, "  search index:  {} works taken in", self.indexed)?;
        }
        Ok(())
    }
}

/// Progress: a bar on a terminal, a plain line every few seconds otherwise.
struct Progress {
    bar: Option<indicatif::ProgressBar>,
    total_files: u64,
    files: u64,
    bytes: u64,
    started: Instant,
    last_line: Instant,
}

impl Progress {
    fn new(total_files: u64, total_bytes: u64, quiet: bool) -> Progress {
        let bar = (!quiet && std::io::stderr().is_terminal()).then(|| {
            let bar = indicatif::ProgressBar::new(total_bytes);
            bar.set_style(
                indicatif::ProgressStyle::with_template(
                    "{bar:30} {msg} {binary_bytes}/{binary_total_bytes} {binary_bytes_per_sec} {eta} left",
                )
                .unwrap_or_else(|_| indicatif::ProgressStyle::default_bar()),
            );
            bar
        });
        Progress { bar, total_files, files: 0, bytes: 0, started: Instant::now(), last_line: Instant::now() }
    }

    fn advance(&mut self, files: u64, bytes: u64, quiet: bool) {
        self.files += files;
        self.bytes += bytes;
        if let Some(bar) = &self.bar {
            bar.set_position(self.bytes);
            bar.set_message(format!("{}/{} files", self.files, self.total_files));
        } else if !quiet && self.last_line.elapsed() >= Duration::from_secs(5) {
            self.last_line = Instant::now();
            let secs = self.started.elapsed().as_secs_f64();
            eprintln!("{}/{} files, {:.1} MB/s", self.files, self.total_files, self.bytes as f64 / 1_048_576.0 / secs.max(1e-9));
        }
    }

    fn finish(&self) {
        if let Some(bar) = &self.bar {
            bar.finish_and_clear();
        }
    }
}

/// Imports `paths`. With a searcher, the index takes in each stored work as it is written
/// and commits now and then; the caller commits at the end (a dry run passes none).
///
/// Two stages run side by side: a reading thread reads, hashes, filters out known sources,
/// parses and compresses batch after batch ([`read_batches`]), while this task stores the
/// batches before and feeds the index (whose own threads tokenise). Parsed batches of up to
/// [`IN_FLIGHT_BYTES`] of files wait between them, so memory stays bounded.
pub async fn import(
    archive: &Archive,
    mut searcher: Option<&mut Searcher>,
    paths: &[PathBuf],
    dry_run: bool,
    quiet: bool,
) -> anyhow::Result<Report> {
    let started = Instant::now();
    let mut report = Report { dry_run, ..Report::default() };
    if let Some(searcher) = searcher.as_deref_mut() {
        report.indexed += searcher.catch_up(archive).await?;
    }
    let (entries, unreadable) = list_files(paths);
    for (path, reason) in unreadable {
        report.failed.push(Failure { path, reason });
    }
    let total_bytes: u64 = entries.iter().map(|e| e.size).sum();
    let total_files = entries.len() as u64;
    let mut progress = Progress::new(total_files, total_bytes, quiet);
    let run = if dry_run { 0 } else { archive.begin_run(&paths.iter().map(|p| p.display().to_string()).collect::<Vec<_>>()).await? };
    let (sender, mut receiver) = tokio::sync::mpsc::unbounded_channel();
    let reader = {
        let archive = archive.clone();
        tokio::task::spawn_blocking(move || read_batches(&archive, &entries, dry_run, &sender))
    };
    let stored = async {
        let mut open = None;
        while let Some(batch) = receiver.recv().await {
            let batch: ParsedBatch = batch?;
            let (files, bytes) = (batch.files, batch.bytes);
            store_batch(archive, searcher.as_deref_mut(), run, batch, dry_run, &mut open, &mut report).await?;
            progress.advance(files, bytes, quiet);
        }
        if let Some(transaction) = open {
            transaction.finish().await?;
        }
        if let Some(searcher) = searcher.as_deref_mut() {
            searcher.commit_if_due(archive).await?;
        }
        anyhow::Ok(())
    }
    .await;
    // Stops the reading thread if storing failed, then waits for it.
    drop(receiver);
    reader.await?;
    stored?;
    progress.finish();
    report.files = total_files;
    report.bytes = total_bytes;
    report.seconds = started.elapsed().as_secs_f64();
    if !dry_run {
        archive.finish_run(run, report.counts()).await?;
    }
    Ok(report)
}

/// Consecutive files of one folder, at most `BATCH_BYTES` together (a bigger file is a batch
/// of its own).
fn batches(entries: &[FileEntry]) -> Vec<&[FileEntry]> {
    let mut out = Vec::new();
    let mut start = 0;
    let mut bytes = 0;
    for (i, e) in entries.iter().enumerate() {
        let new_folder = i > start && entries[i - 1].path.parent() != e.path.parent();
        if i > start && (new_folder || bytes + e.size > BATCH_BYTES) {
            out.push(&entries[start..i]);
            start = i;
            bytes = 0;
        }
        bytes += e.size;
    }
    if start < entries.len() {
        out.push(&entries[start..]);
    }
    out
}

/// A new file of a batch: its bytes, their hash, and (unless a dry run) the bytes compressed
/// as the archive keeps them.
struct ReadFile {
    display: String,
    sha256: String,
    bytes: Vec<u8>,
    packed: Option<Vec<u8>>,
}

impl ReadFile {
    fn source(&self) -> SourceFile<'_> {
        SourceFile { path: &self.display, sha256: &self.sha256, bytes: &self.bytes, packed: self.packed.as_deref() }
    }
}

/// One batch, read and parsed, ready to store.
struct ParsedBatch {
    /// Files the archive does not hold yet, and what parsing them gave.
    new_files: Vec<ReadFile>,
    outcome: Outcome,
    unreadable: Vec<Failure>,
    /// Files the archive (or this run) already holds.
    known: u64,
    /// The batch's size, for progress.
    files: u64,
    bytes: u64,
    /// Its share of [`IN_FLIGHT_BYTES`], given back when the batch is dropped (stored).
    _in_flight: tokio::sync::OwnedSemaphorePermit,
}

/// The reading thread: every batch read, hashed, filtered, parsed and compressed, in order,
/// sent to the storing task. Stops at the first database error (sent on), or when the
/// storing task has stopped listening.
fn read_batches(
    archive: &Archive,
    entries: &[FileEntry],
    dry_run: bool,
    sender: &tokio::sync::mpsc::UnboundedSender<anyhow::Result<ParsedBatch>>,
) {
    let runtime = tokio::runtime::Handle::current();
    let in_flight = std::sync::Arc::new(tokio::sync::Semaphore::new(in_flight_units(IN_FLIGHT_BYTES) as usize));
    let mut seen: HashSet<String> = HashSet::new();
    for batch in batches(entries) {
        let bytes: u64 = batch.iter().map(|e| e.size).sum();
        // A batch larger than the whole allowance waits until nothing else is in flight.
        let units = in_flight_units(bytes.min(IN_FLIGHT_BYTES));
        let Ok(permit) = runtime.block_on(in_flight.clone().acquire_many_owned(units)) else { return };
        let parsed = runtime.block_on(read_batch(archive, batch, bytes, permit, dry_run, &mut seen));
        let failed = parsed.is_err();
        if sender.send(parsed.map_err(anyhow::Error::from)).is_err() || failed {
            return;
        }
    }
}

/// Bytes in flight counted in KiB (a semaphore counts in `u32`), at least one per batch.
fn in_flight_units(bytes: u64) -> u32 {
    u32::try_from(bytes.div_ceil(1024)).unwrap_or(u32::MAX).max(1)
}

/// Reads batch `batch` of `bytes` bytes, holding its share of the bytes in flight.
async fn read_batch(
    archive: &Archive,
    batch: &[FileEntry],
    bytes: u64,
    in_flight: tokio::sync::OwnedSemaphorePermit,
    dry_run: bool,
    seen: &mut HashSet<String>,
) -> Result<ParsedBatch, StoreError> {
    let mut parsed = ParsedBatch {
        new_files: Vec::new(),
        outcome: Outcome::default(),
        unreadable: Vec::new(),
        known: 0,
        files: batch.len() as u64,
        bytes,
        _in_flight: in_flight,
    };
    let mut read = Vec::new();
    for entry in batch {
        let display = entry.path.display().to_string();
        match read_file(&entry.path) {
            Err(reason) => parsed.unreadable.push(Failure { path: display, reason }),
            Ok(bytes) => {
                let sha256 = sha256_hex(&bytes);
                read.push(ReadFile { display, sha256, bytes, packed: None });
            }
        }
    }
    let held = archive.held_sources(&read.iter().map(|f| f.sha256.as_str()).collect::<Vec<_>>()).await?;
    for file in read {
        if held.contains(&file.sha256) || !seen.insert(file.sha256.clone()) {
            parsed.known += 1;
        } else {
            parsed.new_files.push(file);
        }
    }
    if parsed.new_files.is_empty() {
        return Ok(parsed);
    }
    let inputs: Vec<Input<'_>> =
        parsed.new_files.iter().map(|f| Input { path: &f.display, bytes: &f.bytes, sha256: Some(&f.sha256) }).collect();
    parsed.outcome = ficarchive_parse::parse_inputs(&inputs);
    drop(inputs);
    if !dry_run {
        for file in &mut parsed.new_files {
            file.packed = Some(pack(&file.bytes, Packed::Source)?);
        }
    }
    Ok(parsed)
}

/// The most bytes (chapter text and packed sources) one transaction writes before it is
/// committed and the next begins: large enough that commits cost little, small enough that
/// the write-ahead log stays small and a crash repeats little work.
const TRANSACTION_BYTES: u64 = 16 << 20;

/// Stores one parsed batch in the open transaction (`open`, begun here when there is none),
/// which runs on across batches until it has written [`TRANSACTION_BYTES`]: a folder often
/// holds a single work, and a commit per folder cost a tenth of an import. The caller
/// finishes the last transaction.
async fn store_batch(
    archive: &Archive,
    mut searcher: Option<&mut Searcher>,
    run: i64,
    batch: ParsedBatch,
    dry_run: bool,
    open: &mut Option<WorkBatch>,
    report: &mut Report,
) -> anyhow::Result<()> {
    report.failed.extend(batch.unreadable);
    report.unchanged += batch.known;
    let outcome = batch.outcome;
    // Works name their files by path; look them up by path, not by scanning the batch.
    let by_path: std::collections::HashMap<&str, &ReadFile> = batch.new_files.iter().map(|f| (f.display.as_str(), f)).collect();
    let source_of = |path: &str| by_path.get(path).copied();

    let mut transaction = match open.take() {
        Some(transaction) => transaction,
        None => archive.begin_batch(run, dry_run).await?,
    };
    for (path, error) in &outcome.errors {
        report.failed.push(Failure { path: path.clone(), reason: error.to_string() });
        if let Some(f) = source_of(path) {
            transaction.keep_source(f.source(), SourceOutcome::Failed, &error.to_string()).await?;
        }
    }
    for work in &outcome.works {
        if transaction.bytes() >= TRANSACTION_BYTES {
            transaction.finish().await?;
            if let Some(searcher) = searcher.as_deref_mut() {
                searcher.commit_if_due(archive).await?;
            }
            transaction = archive.begin_batch(run, dry_run).await?;
        }
        let sources: Vec<SourceFile<'_>> = work.source.paths.iter().filter_map(|p| source_of(p)).map(ReadFile::source).collect();
        if work.kind != PageKind::Work {
            for s in &sources {
                report.not_stories.push(NotAStory { path: s.path.to_string(), kind: work.kind.as_str().to_string() });
                transaction.keep_source(*s, SourceOutcome::NotAStory, work.kind.as_str()).await?;
            }
            continue;
        }
        let (stored, queued) = transaction.store_work(work, &sources).await?;
        match stored {
            Stored::New(_) => report.new += 1,
            Stored::Updated(_) => report.updated += 1,
            Stored::Unchanged(_) => report.unchanged += 1,
        }
        if let (Some(searcher), Some(queued)) = (searcher.as_deref_mut(), queued)
            && searcher.take_in_stored(&queued)?
        {
            report.indexed += 1;
        }
    }
    *open = Some(transaction);
    Ok(())
}
