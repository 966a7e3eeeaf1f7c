//! `ficarchive export`: take-away copies of works as files.

use anyhow::{Context, Result};
use ficarchive_export::{Book, Format};
use ficarchive_query::{SearchRequest, parse_query};
use ficarchive_store::Archive;
use std::io::Write;
use std::path::{Path, PathBuf};

#[derive(clap::Args, Debug)]
pub struct ExportArgs {
    /// Work ids (as shown by `ficarchive search` and in the web reader's addresses).
    #[arg(required_unless_present_any = ["all", "query"])]
    pub works: Vec<i64>,
    /// Every work in the archive.
    #[arg(long, conflicts_with_all = ["works", "query"])]
    pub all: bool,
    /// Every work matching a search query (the language of `ficarchive search`).
    #[arg(long, value_name = "QUERY", conflicts_with = "works")]
    pub query: Option<String>,
    /// epub, html or txt.
    #[arg(long, default_value = "epub", value_parser = parse_format)]
    pub format: Format,
    /// The folder to write into (created if missing).
    #[arg(short = 'o', long = "out", default_value = ".")]
    pub out: PathBuf,
    /// The archive's name, written into the books as their publisher.
    #[arg(long, default_value = "ficarchive")]
    pub name: String,
}

fn parse_format(text: &str) -> Result<Format, String> {
    Format::from_extension(text).ok_or_else(|| format!("unknown format `{text}`; one of: epub, html, txt"))
}

/// Exports the chosen works; returns how many could not be exported (unknown ids).
pub async fn export(archive: &Archive, args: &ExportArgs, out: &mut impl Write) -> Result<usize> {
    let ids = if args.all {
        archive.work_ids().await?
    } else if let Some(text) = &args.query {
        matching(archive, text).await?
    } else {
        args.works.clone()
    };
    std::fs::create_dir_all(&args.out).with_context(|| format!("cannot create {}", args.out.display()))?;
    let mut missing = 0;
    for id in ids {
        let Some(book) = Book::load(archive, id, &args.name).await? else {
            writeln!(out, "no work with id {id}")?;
            missing += 1;
            continue;
        };
        let path = args.out.join(format!("{}.{}", book.file_stem(), args.format.extension()));
        write_atomically(&path, &ficarchive_export::write(&book, args.format))?;
        writeln!(out, "{}", path.display())?;
    }
    Ok(missing)
}

/// Every work matching the query, best first.
async fn matching(archive: &Archive, text: &str) -> Result<Vec<i64>> {
    let query = parse_query(text).map_err(|e| anyhow::anyhow!(crate::search::describe_query_error(text, &e)))?;
    let searcher = crate::search::searcher(archive).await?;
    let mut request = SearchRequest::new(query);
    request.per_page = ficarchive_query::MAX_PER_PAGE;
    let mut ids = Vec::new();
    loop {
        let results = searcher.search(archive, &request).await?;
        ids.extend(results.hits.iter().map(|h| h.work_id));
        if results.hits.is_empty() || ids.len() as u64 >= results.total {
            return Ok(ids);
        }
        request.page += 1;
    }
}

/// Writes a file whole or not at all: into a temporary file beside it, then renamed over.
fn write_atomically(path: &Path, bytes: &[u8]) -> Result<()> {
    let dir = path.parent().unwrap_or(Path::new("."));
    let mut file = tempfile::NamedTempFile::new_in(dir).with_context(|| format!("cannot write into {}", dir.display()))?;
    file.write_all(bytes).with_context(|| format!("cannot write {}", path.display()))?;
    file.as_file().sync_all().with_context(|| format!("cannot write {}", path.display()))?;
    // Temporary files are private (0600); a book is an ordinary file.
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        std::fs::set_permissions(file.path(), std::fs::Permissions::from_mode(0o644))?;
    }
    file.persist(path).with_context(|| format!("cannot write {}", path.display()))?;
    Ok(())
}
