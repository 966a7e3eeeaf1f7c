//! The `ficarchive` command: a thin shell over the library crates. It walks folders, reads
//! files and prints; everything it knows about fan fiction lives in `ficarchive-parse`.

use anyhow::Result;
use clap::{Parser, Subcommand};
use ficarchive_model::{PageKind, Work, record};
use ficarchive_parse::{Input, MAX_FILE_BYTES, ParseError};
use std::io::Write;
use std::path::{Path, PathBuf};
use std::process::ExitCode;

#[derive(Parser)]
#[command(name = "ficarchive", version, about = "Turn raw fan-fiction files into an archive")]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

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
}

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
    match cli.command {
        Command::Parse { json, with_text, paths } => parse(&paths, json, with_text),
    }
}

/// A file read for parsing, or why it could not be.
struct Loaded {
    display: String,
    bytes: Result<Vec<u8>, String>,
}

fn collect_files(paths: &[PathBuf]) -> Vec<Loaded> {
    let mut out = Vec::new();
    for root in paths {
        if root.is_dir() {
            let mut entries: Vec<walkdir::DirEntry> = Vec::new();
            for entry in walkdir::WalkDir::new(root).follow_links(false).sort_by_file_name() {
                match entry {
                    Ok(e) if e.file_type().is_file() && !is_hidden(e.path()) => entries.push(e),
                    Ok(_) => {}
                    Err(e) => out.push(Loaded {
                        display: e.path().map_or_else(|| root.display().to_string(), |p| p.display().to_string()),
                        bytes: Err(format!("cannot read: {e}")),
                    }),
                }
            }
            out.extend(entries.into_iter().map(|e| load(e.path())));
        } else {
            out.push(load(root));
        }
    }
    out
}

fn is_hidden(path: &Path) -> bool {
    path.file_name().and_then(|n| n.to_str()).is_some_and(|n| n.starts_with('.'))
}

fn load(path: &Path) -> Loaded {
    let display = path.display().to_string();
    let bytes = match std::fs::metadata(path) {
        Err(e) => Err(format!("cannot read: {e}")),
        Ok(m) if m.len() > MAX_FILE_BYTES as u64 => Err(ParseError::TooLarge { bytes: m.len() as usize }.to_string()),
        Ok(_) => std::fs::read(path).map_err(|e| format!("cannot read: {e}")),
    };
    Loaded { display, bytes }
}

fn parse(paths: &[PathBuf], json: bool, with_text: bool) -> Result<ExitCode> {
    let loaded = collect_files(paths);
    let mut failures: Vec<(String, String)> = Vec::new();
    let inputs: Vec<Input<'_>> = loaded
        .iter()
        .filter_map(|l| match &l.bytes {
            Ok(b) => Some(Input { path: &l.display, bytes: b }),
            Err(e) => {
                failures.push((l.display.clone(), e.clone()));
                None
            }
        })
        .collect();
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
    writeln!(out, "{} \u{2014} by {}", w.display_title(), authors)?;
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
