//! The `ficarchive` command: a thin shell over the library crates. It walks folders, reads
//! files and prints; everything it knows about fan fiction lives in `ficarchive-parse`.

use anyhow::Result;
use clap::{Parser, Subcommand};
use ficarchive_model::{PageKind, Work, record};
use ficarchive_parse::Input;
use ficarchive_store::{Archive, Location};
use std::io::Write;
use std::path::PathBuf;

mod export;
mod files;
mod import;
mod search;
mod serve;
mod tags;
use std::process::ExitCode;

#[derive(Parser)]
#[command(name = "ficarchive", version, about = "Turn raw fan-fiction files into an archive")]
struct Cli {
    /// The archive's data directory (embedded database). Default: ./ficarchive-data.
    #[arg(long, global = true, env = "FICARCHIVE_DATA")]
    data: Option<PathBuf>,
    /// A PostgreSQL URL (postgres://user@host/db) to keep the archive in, instead of --data.
    #[arg(long, global = true, env = "FICARCHIVE_DATABASE_URL", hide_env_values = true)]
    database: Option<String>,
    #[command(subcommand)]
    command: Command,
}

/// Where the archive is: `--database` (PostgreSQL) when given, else the data directory.
fn location(cli: &Cli) -> Location {
    match &cli.database {
        Some(url) => Location::Postgres(url.clone()),
        None => Location::Embedded(cli.data.clone().unwrap_or_else(|| PathBuf::from(DEFAULT_DATA_DIR))),
    }
}

/// The data directory used when neither `--data` nor `FICARCHIVE_DATA` names one.
const DEFAULT_DATA_DIR: &str = "ficarchive-data";

#[derive(Subcommand)]
enum Command {
    /// Parse files or folders of raw fan fiction and show the works they form.
    Parse {
        /// Print the JSON work records (one array) instead of a summary.
        #[arg(long)]
        json: bool,
        /// Include each chapter's plain text in the JSON records.
        #[arg(long)]
        with_text: bool,
        /// Files or folders (read recursively).
        #[arg(required = true)]
        paths: Vec<PathBuf>,
    },
    /// Import files or folders into the archive: parse, join chapter files, skip what the
    /// archive already holds, update works that gained chapters, store the original bytes.
    Import {
        /// Work out what would happen, and change nothing.
        #[arg(long)]
        dry_run: bool,
        /// Print the closing report as JSON.
        #[arg(long)]
        json: bool,
        /// Files or folders (read recursively).
        #[arg(required = true)]
        paths: Vec<PathBuf>,
    },
    /// Counts for the whole archive: works, words, by fandom, rating and completion.
    Stats {
        #[arg(long)]
        json: bool,
    },
    /// Wrangle tags: list, show, merge, rename, synonym.
    #[command(subcommand)]
    Tags(tags::TagsCommand),
    /// Search the archive: words inside the stories, titles, summaries, notes and tags, with
    /// filters, sorts and facet counts.
    Search(search::SearchArgs),
    /// Rebuild the search index from the database (repairs a damaged or outdated index).
    Reindex,
    /// Verify the database and the search index, and say how to repair what is wrong.
    Check,
    /// Write take-away copies of works: EPUB 3 books, one-file HTML or plain text.
    Export(export::ExportArgs),
    /// Serve the archive as a website: browse, search and read in a browser.
    Serve {
        /// The address to listen on.
        #[arg(long, default_value = "127.0.0.1:8080")]
        addr: String,
        /// The archive's name, shown on every page.
        #[arg(long, default_value = "ficarchive")]
        name: String,
    },
    /// Build a demo archive from the example works shipped with ficarchive and serve it.
    Demo {
        /// The address to listen on (another port is used when this one is taken).
        #[arg(long, default_value = "127.0.0.1:8080")]
        addr: String,
    },
    /// Write an invented archive of raw files (every layout ficarchive reads, long-tailed
    /// fandoms and tags, a Zipf vocabulary) for benchmarks and trials. Same seed, same files.
    Generate {
        #[arg(long, default_value_t = 1000)]
        works: usize,
        #[arg(long, default_value_t = 1)]
        seed: u64,
        /// The folder to write into (created if missing).
        out: PathBuf,
    },
}

/// mimalloc instead of the C library's allocator: serving a cached page and parsing a file are
/// both many small allocations, and glibc's malloc and free were a sixth of the web bench's
/// profile.
#[global_allocator]
static ALLOCATOR: mimalloc::MiMalloc = mimalloc::MiMalloc;

fn main() -> ExitCode {
    let cli = Cli::parse();
    match run(cli) {
        Ok(code) => code,
        Err(e) => {
            eprintln!("error: {e:#}");
            ExitCode::from(2)
        }
    }
}

fn run(cli: Cli) -> Result<ExitCode> {
    let location = location(&cli);
    match cli.command {
        Command::Parse { json, with_text, paths } => parse(&paths, json, with_text),
        Command::Import { dry_run, json, paths } => runtime()?.block_on(import_command(&location, &paths, dry_run, json)),
        Command::Stats { json } => runtime()?.block_on(stats_command(&location, json)),
        Command::Tags(command) => runtime()?.block_on(tags_command(&location, command)),
        Command::Search(args) => runtime()?.block_on(with_archive(&location, async |archive| {
            search::search(archive, &args, &mut std::io::stdout().lock()).await?;
            Ok(ExitCode::SUCCESS)
        })),
        Command::Reindex => runtime()?.block_on(with_archive(&location, async |archive| {
            search::reindex(archive, &mut std::io::stdout().lock()).await?;
            Ok(ExitCode::SUCCESS)
        })),
        Command::Export(args) => runtime()?.block_on(with_archive(&location, async |archive| {
            let missing = export::export(archive, &args, &mut std::io::stdout().lock()).await?;
            Ok(if missing == 0 { ExitCode::SUCCESS } else { ExitCode::from(1) })
        })),
        Command::Serve { addr, name } => runtime()?.block_on(async {
            serve::serve(&location, &addr, &name).await?;
            Ok(ExitCode::SUCCESS)
        }),
        Command::Demo { addr } => runtime()?.block_on(async {
            serve::demo(&addr).await?;
            Ok(ExitCode::SUCCESS)
        }),
        Command::Generate { works, seed, out } => generate(works, seed, &out),
        Command::Check => runtime()?.block_on(with_archive(&location, async |archive| {
            let healthy = search::check(archive, &mut std::io::stdout().lock()).await?;
            Ok(if healthy { ExitCode::SUCCESS } else { ExitCode::from(1) })
        })),
    }
}

fn runtime() -> Result<tokio::runtime::Runtime> {
    Ok(tokio::runtime::Builder::new_multi_thread().enable_all().build()?)
}

async fn open_archive(location: &Location, create: bool) -> Result<Archive> {
    if !create && !location.exists() {
        anyhow::bail!("no archive at {} (import some files first, or pass --data DIR)", location.describe());
    }
    Ok(Archive::open(location).await?)
}

async fn import_command(location: &Location, paths: &[PathBuf], dry_run: bool, json: bool) -> Result<ExitCode> {
    // A dry run against a missing archive works on a throw-away one, leaving nothing behind.
    let scratch;
    let location = if dry_run && !location.exists() {
        scratch = tempfile::tempdir()?;
        &Location::Embedded(scratch.path().join("data"))
    } else {
        location
    };
    let archive = open_archive(location, true).await?;
    let report = async {
        let mut searcher = if dry_run { None } else { Some(search::open_searcher(&archive).await?) };
        let report = import::import(&archive, searcher.as_mut(), paths, dry_run, json).await?;
        if let Some(searcher) = searcher {
            searcher.finish(&archive).await?;
        }
        anyhow::Ok(report)
    }
    .await;
    archive.close().await;
    let report = report?;
    let stdout = std::io::stdout();
    let mut out = stdout.lock();
    if json {
        serde_json::to_writer_pretty(&mut out, &report)?;
        writeln!(out)?;
    } else {
        report.print(&mut out)?;
    }
    Ok(ExitCode::SUCCESS)
}

/// Runs `work` on the archive at `location` (which must exist), closing it whatever the
/// outcome.
async fn with_archive<T>(location: &Location, work: impl AsyncFnOnce(&Archive) -> Result<T>) -> Result<T> {
    let archive = open_archive(location, false).await?;
    let result = work(&archive).await;
    archive.close().await;
    result
}

async fn tags_command(location: &Location, command: tags::TagsCommand) -> Result<ExitCode> {
    with_archive(location, async |archive| {
        let changed = tags::run(archive, command, &mut std::io::stdout().lock()).await?;
        if !changed.is_empty() {
            // The changed works were queued with the change; take them in now if nobody else
            // is writing the index (otherwise the next import or search does).
            search::searcher(archive).await?;
        }
        Ok(ExitCode::SUCCESS)
    })
    .await
}

async fn stats_command(location: &Location, json: bool) -> Result<ExitCode> {
    let s = with_archive(location, async |archive| Ok(archive.stats().await?)).await?;
    let stdout = std::io::stdout();
    let mut out = stdout.lock();
    if json {
        let pairs = |v: &[(String, u64)]| v.iter().map(|(k, n)| serde_json::json!({"name": k, "works": n})).collect::<Vec<_>>();
        let value = serde_json::json!({
            "works": s.works, "chapters": s.chapters, "words": s.words, "authors": s.authors, "sources": s.sources,
            "complete": s.complete, "in_progress": s.in_progress, "status_unknown": s.status_unknown,
            "by_rating": pairs(&s.by_rating), "by_fandom": pairs(&s.by_fandom),
        });
        serde_json::to_writer_pretty(&mut out, &value)?;
        writeln!(out)?;
    } else {
        writeln!(out, "{} works, {} chapters, {} words, {} authors, {} source files", s.works, s.chapters, s.words, s.authors, s.sources)?;
        writeln!(out, "complete: {} · in progress: {} · status unknown: {}", s.complete, s.in_progress, s.status_unknown)?;
        writeln!(out, "by rating:")?;
        for (k, n) in &s.by_rating {
            writeln!(out, "  {n:6}  {k}")?;
        }
        writeln!(out, "by fandom:")?;
        for (k, n) in &s.by_fandom {
            writeln!(out, "  {n:6}  {k}")?;
        }
    }
    Ok(ExitCode::SUCCESS)
}

fn generate(works: usize, seed: u64, out: &std::path::Path) -> Result<ExitCode> {
    let mut files = 0u64;
    let mut bytes = 0u64;
    for (generated, _) in ficarchive_gen::corpus::corpus(works, seed) {
        for file in generated {
            let path = out.join(&file.path);
            if let Some(parent) = path.parent() {
                std::fs::create_dir_all(parent)?;
            }
            std::fs::write(&path, &file.bytes)?;
            files += 1;
            bytes += file.bytes.len() as u64;
        }
    }
    println!("wrote {works} works in {files} files ({:.1} MB) to {}", bytes as f64 / 1_048_576.0, out.display());
    Ok(ExitCode::SUCCESS)
}

fn parse(paths: &[PathBuf], json: bool, with_text: bool) -> Result<ExitCode> {
    let (entries, mut failures) = files::list_files(paths);
    let mut loaded: Vec<(String, Vec<u8>)> = Vec::new();
    for e in &entries {
        let display = e.path.display().to_string();
        match files::read_file(&e.path) {
            Ok(bytes) => loaded.push((display, bytes)),
            Err(reason) => failures.push((display, reason)),
        }
    }
    let inputs: Vec<Input<'_>> = loaded.iter().map(|(path, bytes)| Input::new(path, bytes)).collect();
    let outcome = ficarchive_parse::parse_inputs(&inputs);
    failures.extend(outcome.errors.iter().map(|(p, e)| (p.clone(), e.to_string())));

    let stdout = std::io::stdout();
    let mut out = std::io::BufWriter::new(stdout.lock());
    if json {
        let records: Vec<serde_json::Value> = outcome.works.iter().map(|w| record::to_json(w, with_text)).collect();
        serde_json::to_writer_pretty(&mut out, &records)?;
        writeln!(out)?;
    } else {
        for w in &outcome.works {
            write_summary(&mut out, w)?;
        }
        writeln!(out, "{} works from {} files", outcome.works.len(), inputs.len())?;
    }
    out.flush()?;
    for (path, err) in &failures {
        eprintln!("error: {path}: {err}");
    }
    Ok(if failures.is_empty() { ExitCode::SUCCESS } else { ExitCode::from(1) })
}

fn write_summary(out: &mut impl Write, w: &Work) -> std::io::Result<()> {
    let authors = if w.authors.is_empty() { "unknown author".to_string() } else { w.authors.join(", ") };
    match (w.display_title(), w.source.paths.first()) {
        // A page that is not a story may have no title at all: name its file.
        ("", Some(path)) => writeln!(out, "{path}")?,
        (title, _) => writeln!(out, "{title} \u{2014} by {authors}")?,
    }
    if w.kind != PageKind::Work {
        writeln!(out, "  not a story: {}", w.kind.as_str())?;
    }
    writeln!(out, "  source: {} ({}, {})", w.source.paths.join(", "), w.source.format, w.source.encoding)?;
    let rating = match &w.rating.raw {
        Some(raw) => format!("{raw} \u{2192} {}", w.rating.normalized.as_str()),
        None => w.rating.normalized.as_str().to_string(),
    };
    let status = match w.complete {
        Some(true) => "complete",
        Some(false) => "in progress",
        None => "status unknown",
    };
    let total = w.chapters_total.map_or("?".to_string(), |t| t.to_string());
    let with_text = w.chapters.iter().filter(|c| c.has_text()).count();
    writeln!(
        out,
        "  rating: {rating} \u{00b7} chapters: {with_text} with text of {} listed (planned: {total}) \u{00b7} words: {} \u{00b7} {status}",
        w.chapters.len(),
        w.words()
    )?;
    if !w.fandoms.is_empty() {
        writeln!(out, "  fandoms: {}", w.fandoms.join(", "))?;
    }
    if !w.relationships.is_empty() {
        writeln!(out, "  relationships: {}", w.relationships.join(", "))?;
    }
    for s in &w.series {
        match s.part {
            Some(p) => writeln!(out, "  series: {} (part {p})", s.name)?,
            None => writeln!(out, "  series: {}", s.name)?,
        }
    }
    for d in &w.diagnostics {
        writeln!(out, "  note: {d}")?;
    }
    writeln!(out)
}
