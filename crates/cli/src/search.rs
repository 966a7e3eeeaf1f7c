//! `ficarchive search`, `reindex` and `check`.

use anyhow::Result;
use clap::Args;
use ficarchive_query::{
    Filters, Fragment, MAX_PER_PAGE, QueryError, SearchRequest, SearchResults, SortKey, TagFilter, date_key, parse_query,
};
use ficarchive_search::{SearchError, Searcher};
use ficarchive_store::{Archive, TagKind};
use std::io::Write;

#[derive(Args)]
pub struct SearchArgs {
    /// The query: words (all must match), "a phrase", OR, NOT or -word, (groups), and field
    /// prefixes title: author: summary: notes: text: tag: fandom: relationship: character:
    /// series:. Empty: every work. Quote the whole query when a word starts with `-`:
    /// ficarchive search 'lighthouse -storm'.
    pub query: Vec<String>,
    /// Only works with this tag (repeatable; all must match, except several ratings, which
    /// mean any of them). KIND:NAME, e.g. fandom:Buffy, character:Dru, warning:"Major
    /// Character Death"; a bare NAME is a freeform tag. Any spelling of a tag works.
    #[arg(long = "include", short = 'i', value_name = "KIND:NAME")]
    pub include: Vec<String>,
    /// Leave out works with this tag (repeatable). KIND:NAME as for --include.
    #[arg(long = "exclude", short = 'x', value_name = "KIND:NAME")]
    pub exclude: Vec<String>,
    /// Shorthand for --include fandom:NAME.
    #[arg(long, value_name = "NAME")]
    pub fandom: Vec<String>,
    /// Shorthand for --include rating:NAME (General Audiences, Teen And Up Audiences, Mature,
    /// Explicit, Not Rated).
    #[arg(long, value_name = "NAME")]
    pub rating: Vec<String>,
    /// Only complete works.
    #[arg(long, conflicts_with = "in_progress")]
    pub complete: bool,
    /// Only works in progress.
    #[arg(long)]
    pub in_progress: bool,
    #[arg(long)]
    pub language: Option<String>,
    #[arg(long, value_name = "N")]
    pub words_min: Option<u64>,
    #[arg(long, value_name = "N")]
    pub words_max: Option<u64>,
    /// Published on or after this date (YYYY, YYYY-MM or YYYY-MM-DD).
    #[arg(long, value_name = "DATE", value_parser = parse_date)]
    pub published_from: Option<u32>,
    #[arg(long, value_name = "DATE", value_parser = parse_date)]
    pub published_to: Option<u32>,
    #[arg(long, value_name = "DATE", value_parser = parse_date)]
    pub updated_from: Option<u32>,
    #[arg(long, value_name = "DATE", value_parser = parse_date)]
    pub updated_to: Option<u32>,
    /// Only works in this series.
    #[arg(long)]
    pub series: Option<String>,
    /// relevance, updated, published, words, title or author.
    #[arg(long, default_value = "relevance", value_parser = parse_sort)]
    pub sort: SortKey,
    /// Ascending order (the default is newest, longest and best first; titles and authors A–Z).
    #[arg(long, conflicts_with = "desc")]
    pub asc: bool,
    #[arg(long)]
    pub desc: bool,
    #[arg(long, default_value_t = 1)]
    pub page: u32,
    #[arg(long, default_value_t = 20, value_parser = clap::value_parser!(u32).range(1..=MAX_PER_PAGE as i64))]
    pub per_page: u32,
    /// Print the facet counts (every value of every tag kind over all matches).
    #[arg(long)]
    pub facets: bool,
    #[arg(long)]
    pub json: bool,
}

fn parse_date(text: &str) -> Result<u32, String> {
    date_key(text).ok_or_else(|| format!("`{text}` is not a date; write YYYY, YYYY-MM or YYYY-MM-DD"))
}

fn parse_sort(text: &str) -> Result<SortKey, String> {
    SortKey::from_name(text).ok_or_else(|| format!("unknown sort `{text}`; one of: {}", SortKey::ALL.map(SortKey::as_str).join(", ")))
}

fn tag_filter(text: &str) -> Result<TagFilter> {
    let filter = ficarchive_store::TagRef::parse(text).filter();
    if filter.name.is_empty() {
        anyhow::bail!("empty tag in `{text}`");
    }
    Ok(filter)
}

impl SearchArgs {
    fn request(&self) -> Result<SearchRequest, anyhow::Error> {
        let text = self.query.join(" ");
        let query = parse_query(&text).map_err(|e| anyhow::anyhow!(describe_query_error(&text, &e)))?;
        let mut include: Vec<TagFilter> = self.include.iter().map(|t| tag_filter(t)).collect::<Result<_>>()?;
        include.extend(self.fandom.iter().map(|f| TagFilter { kind: TagKind::Fandom, name: f.clone() }));
        include.extend(self.rating.iter().map(|r| TagFilter { kind: TagKind::Rating, name: r.clone() }));
        let filters = Filters {
            include,
            exclude: self.exclude.iter().map(|t| tag_filter(t)).collect::<Result<_>>()?,
            complete: if self.complete {
                Some(true)
            } else if self.in_progress {
                Some(false)
            } else {
                None
            },
            language: self.language.clone(),
            words_min: self.words_min,
            words_max: self.words_max,
            published_from: self.published_from,
            published_to: self.published_to,
            updated_from: self.updated_from,
            updated_to: self.updated_to,
            series: self.series.clone(),
        };
        let descending = if self.asc {
            false
        } else if self.desc {
            true
        } else {
            self.sort.default_descending()
        };
        Ok(SearchRequest { query, filters, sort: self.sort, descending, page: self.page.max(1), per_page: self.per_page })
    }
}

/// The query with a caret under the problem.
pub(crate) fn describe_query_error(text: &str, e: &QueryError) -> String {
    format!("{e}\n  {text}\n  {}^", " ".repeat(e.column.saturating_sub(1)))
}

/// Opens the search side and takes in any works still queued (unless another process is
/// writing the index right now).
pub(crate) async fn searcher(archive: &Archive) -> Result<Searcher> {
    let mut searcher = open_searcher(archive).await?;
    searcher.catch_up_if_free(archive).await?;
    Ok(searcher)
}

/// Opens the search side, rebuilding an index written by another version of ficarchive
/// (and saying so on stderr: [`Searcher::rebuilt_notice`]).
pub(crate) async fn open_searcher(archive: &Archive) -> Result<Searcher> {
    let (searcher, rebuilt) = Searcher::open_rebuilding(archive).await?;
    if let Some(works) = rebuilt {
        eprintln!("{}", Searcher::rebuilt_notice(works));
    }
    Ok(searcher)
}

pub async fn search(archive: &Archive, args: &SearchArgs, out: &mut impl Write) -> Result<()> {
    let request = args.request()?;
    let searcher = searcher(archive).await?;
    let results = searcher.search(archive, &request).await?;
    if args.json {
        serde_json::to_writer_pretty(&mut *out, &results_json(&request, &results))?;
        writeln!(out)?;
        return Ok(());
    }
    let pages = results.total.div_ceil(request.limit() as u64).max(1);
    writeln!(out, "{} works match (page {} of {pages}, sorted by {})", results.total, request.page, request.sort.as_str())?;
    for hit in &results.hits {
        let authors = if hit.authors.is_empty() { "unknown author".to_string() } else { hit.authors.join(", ") };
        writeln!(out, "\n[{}] {} \u{2014} by {authors} ({} words)", hit.work_id, hit.title, hit.words)?;
        if !hit.snippet.is_empty() {
            writeln!(out, "    {}", snippet_text(&hit.snippet))?;
        }
    }
    if args.facets {
        for facet in results.facets.iter().filter(|f| !f.values.is_empty()) {
            writeln!(out, "\n{}:", facet.name)?;
            for v in &facet.values {
                writeln!(out, "  {:6}  {}", v.count, v.name)?;
            }
        }
    }
    Ok(())
}

/// A snippet on one line, matches in «guillemets».
fn snippet_text(fragments: &[Fragment]) -> String {
    let text: String = fragments.iter().map(|f| if f.highlighted { format!("\u{ab}{}\u{bb}", f.text) } else { f.text.clone() }).collect();
    text.split_whitespace().collect::<Vec<_>>().join(" ")
}

fn results_json(request: &SearchRequest, r: &SearchResults) -> serde_json::Value {
    serde_json::json!({
        "total": r.total,
        "page": request.page,
        "per_page": request.limit(),
        "sort": request.sort.as_str(),
        "descending": request.descending,
        "hits": r.hits.iter().map(|h| serde_json::json!({
            "id": h.work_id, "title": h.title, "authors": h.authors, "words": h.words,
            "snippet": h.snippet.iter().map(|f| serde_json::json!({"text": f.text, "highlighted": f.highlighted})).collect::<Vec<_>>(),
        })).collect::<Vec<_>>(),
        "facets": r.facets.iter().map(|f| serde_json::json!({
            "name": f.name,
            "values": f.values.iter().map(|v| serde_json::json!({"name": v.name, "works": v.count})).collect::<Vec<_>>(),
        })).collect::<Vec<_>>(),
    })
}

/// Rebuilds the search index (embedded) or every search row (PostgreSQL) from the database.
pub async fn reindex(archive: &Archive, out: &mut impl Write) -> Result<()> {
    let started = std::time::Instant::now();
    let mut searcher = Searcher::open_fresh(archive)?;
    let n = searcher.rebuild(archive).await?;
    writeln!(out, "reindexed {n} works in {:.1} s", started.elapsed().as_secs_f64())?;
    Ok(())
}

/// Verifies the database and the search index; returns whether all is well.
pub async fn check(archive: &Archive, out: &mut impl Write) -> Result<bool> {
    let mut healthy = true;
    let problems = archive.check_database().await?;
    if problems.is_empty() {
        writeln!(out, "database: ok")?;
    } else {
        healthy = false;
        writeln!(out, "database: {} problems", problems.len())?;
        for p in &problems {
            writeln!(out, "  {p}")?;
        }
        writeln!(out, "  to repair: restore the database from a backup, or move it aside and import the source files again")?;
    }
    match Searcher::open(archive) {
        Err(SearchError::Damaged(message) | SearchError::Outdated(message)) => {
            healthy = false;
            writeln!(out, "search index: {message}")?;
        }
        Err(e) => return Err(e.into()),
        Ok(searcher) => {
            let report = searcher.check(archive).await?;
            if report.is_clean() {
                let queued = if report.queued > 0 {
                    format!(", {} changes queued for the next import or search", report.queued)
                } else {
                    String::new()
                };
                writeln!(out, "search index: ok ({} of {} works{queued})", report.indexed, report.works)?;
            } else if report.queued as usize >= report.missing.len() + report.stale.len() && report.extra.is_empty() {
                writeln!(
                    out,
                    "search index: {} works wait in the queue; they are taken in by the next import or search (or run `ficarchive reindex`)",
                    report.queued
                )?;
            } else {
                healthy = false;
                writeln!(
                    out,
                    "search index: {} works missing, {} out of date, {} no longer in the archive; run `ficarchive reindex` to rebuild it",
                    report.missing.len(),
                    report.stale.len(),
                    report.extra.len()
                )?;
            }
        }
    }
    Ok(healthy)
}
