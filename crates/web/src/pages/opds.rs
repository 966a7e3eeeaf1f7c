//! The OPDS 1.2 catalog at `/opds`, for e-reader apps (KOReader, Thorium, Librera, Moon+).
//!
//! A root navigation feed (recent works, fandoms, ratings, complete works, series, authors),
//! acquisition feeds with pagination and facets (fandom, rating, completion), and search both
//! through an OpenSearch description and through a direct Atom link with `{searchTerms}`
//! (KOReader uses either, Librera only the direct link). Acquisition feeds over the archive
//! are the search page in Atom: `/opds/works` takes the `/search` parameters, so every filter
//! of the web reader works here too.
//!
//! Feeds and entries are identified by name-based UUIDs within the archive's UUID
//! (`Archive::name_uuid`; entries use `Archive::work_uuid`, the same identifier as in the
//! work's EPUB), so ids never change. Links are root-relative, which Atom clients resolve
//! against the feed's address; the OpenSearch template is absolute, as its clients need.

use super::search::{Form, find};
use super::{Pagination, tag_label};
use crate::{AppState, WebError};
use axum::extract::{Path, RawQuery, State};
use axum::http::{HeaderMap, HeaderValue, header};
use axum::response::{IntoResponse, Response};
use ficarchive_export::render::escaped;
use ficarchive_export::{Format, language, utc_timestamp, w3c_date};
use ficarchive_query::SortKey;
use ficarchive_store::{TagKind, WorkCard};
use std::sync::Arc;
use std::time::{SystemTime, UNIX_EPOCH};

pub const NAVIGATION: &str = "application/atom+xml;profile=opds-catalog;kind=navigation";
pub const ACQUISITION: &str = "application/atom+xml;profile=opds-catalog;kind=acquisition";
const OPENSEARCH: &str = "application/opensearchdescription+xml";
/// Entries per page of a navigation feed (fandoms, authors, series).
const NAVIGATION_PAGE: usize = 100;
/// Works per page of an acquisition feed.
const ACQUISITION_PAGE: u32 = 25;

/// An entry of a navigation feed.
struct Section<'a> {
    /// Name for the entry's id.
    name: String,
    title: &'a str,
    href: String,
    /// The media type of the feed it leads to.
    kind: &'static str,
    content: String,
    /// Works behind it, when counted.
    count: Option<u64>,
}

/// A feed being written.
struct Feed {
    /// Name for the feed's id (`opds/recent`).
    name: String,
    title: String,
    /// Root-relative address of this page of the feed.
    url: String,
    kind: &'static str,
    links: String,
    entries: String,
}

impl Feed {
    fn new(name: &str, title: &str, url: &str, kind: &'static str) -> Feed {
        Feed { name: name.into(), title: title.into(), url: url.into(), kind, links: String::new(), entries: String::new() }
    }

    fn link(&mut self, rel: &str, href: &str, media_type: &str, extra: &str) {
        self.links.push_str(&format!("<link rel=\"{}\" href=\"{}\" type=\"{media_type}\"{extra}/>\n", escaped(rel), escaped(href)));
    }

    /// A navigation entry: a link to another feed.
    fn navigation_entry(&mut self, app: &AppState, section: Section<'_>) {
        let count = section.count.map(|n| format!(" thr:count=\"{n}\"")).unwrap_or_default();
        self.entries.push_str(&format!(
            "<entry>\n<title>{}</title>\n<id>urn:uuid:{}</id>\n<updated>{}</updated>\n<content type=\"text\">{}</content>\n\
             <link rel=\"subsection\" href=\"{}\" type=\"{}\"{count}/>\n</entry>\n",
            escaped(section.title),
            app.archive.name_uuid(&section.name),
            now(),
            escaped(&section.content),
            escaped(&section.href),
            section.kind,
        ));
    }

    /// Paging links (`link(page)` makes a page's address).
    fn paging(&mut self, pagination: &Pagination, link: impl Fn(u32) -> String) {
        let kind = self.kind;
        self.link("first", &link(1), kind, "");
        if let Some(previous) = &pagination.previous {
            self.link("previous", previous, kind, "");
        }
        if let Some(next) = &pagination.next {
            self.link("next", next, kind, "");
        }
        self.link("last", &link(pagination.last), kind, "");
    }

    fn response(self, app: &AppState) -> Response {
        let body = format!(
            "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n\
             <feed xmlns=\"http://www.w3.org/2005/Atom\" xmlns:opds=\"http://opds-spec.org/2010/catalog\" \
             xmlns:dc=\"http://purl.org/dc/terms/\" xmlns:thr=\"http://purl.org/syndication/thread/1.0\" \
             xmlns:opensearch=\"http://a9.com/-/spec/opensearch/1.1/\">\n\
             <id>urn:uuid:{}</id>\n<title>{}</title>\n<updated>{}</updated>\n<author><name>{}</name><uri>/</uri></author>\n\
             <link rel=\"self\" href=\"{}\" type=\"{kind}\"/>\n\
             <link rel=\"start\" href=\"/opds\" type=\"{NAVIGATION}\"/>\n\
             <link rel=\"search\" href=\"/opds/search.xml\" type=\"{OPENSEARCH}\"/>\n\
             <link rel=\"search\" href=\"/opds/works?q={{searchTerms}}\" type=\"{ACQUISITION}\"/>\n\
             {}{}</feed>\n",
            app.archive.name_uuid(&self.name),
            escaped(&self.title),
            now(),
            escaped(&app.name),
            escaped(&self.url),
            self.links,
            self.entries,
            kind = self.kind,
        );
        atom(self.kind, body)
    }
}

fn atom(media_type: &'static str, body: String) -> Response {
    ([(header::CONTENT_TYPE, HeaderValue::from_static(media_type))], body).into_response()
}

fn now() -> String {
    utc_timestamp(SystemTime::now().duration_since(UNIX_EPOCH).map_or(0, |d| d.as_secs() as i64))
}

/// `/opds`: the root.
pub async fn root(State(app): State<Arc<AppState>>) -> Result<Response, WebError> {
    let mut feed = Feed::new("opds", &app.name, "/opds", NAVIGATION);
    let stats = app.archive.stats().await?;
    let sections: [(&str, &str, &str, &'static str, String); 6] = [
        (
            "opds/recent",
            "Recently updated",
            "/opds/recent",
            ACQUISITION,
            format!("All {}, newest updates first.", super::count_of(stats.works, "work", "works")),
        ),
        ("opds/fandoms", "Fandoms", "/opds/fandoms", NAVIGATION, "Works by fandom.".into()),
        ("opds/ratings", "Ratings", "/opds/ratings", NAVIGATION, "Works by rating.".into()),
        (
            "opds/complete",
            "Complete works",
            "/opds/works?complete=yes&sort=updated",
            ACQUISITION,
            format!("{} complete works.", stats.complete),
        ),
        ("opds/series", "Series", "/opds/series", NAVIGATION, "Works in series, in reading order.".into()),
        ("opds/authors", "Authors", "/opds/authors", NAVIGATION, "Works by author.".into()),
    ];
    for (name, title, href, kind, content) in sections {
        feed.navigation_entry(&app, Section { name: name.into(), title, href: href.into(), kind, content, count: None });
    }
    Ok(feed.response(&app))
}

/// `BASE`, or `BASE?page=N` after the first page.
fn page_link(base: &str, page: u32) -> String {
    if page <= 1 { base.to_string() } else { format!("{base}?page={page}") }
}

/// A navigation feed over one page of a list (`page`, 1-based, from the query), with its
/// paging links.
fn navigation_page<T>(name: &str, title: &str, items: Vec<T>, raw: Option<&str>, base: &str) -> Result<(Feed, Vec<T>), WebError> {
    let page = page_number(raw)?;
    let pagination = Pagination::new(page, items.len() as u64, NAVIGATION_PAGE as u32, |p| page_link(base, p));
    let mut feed = Feed::new(name, title, &page_link(base, page), NAVIGATION);
    feed.paging(&pagination, |p| page_link(base, p));
    let items = items.into_iter().skip((page as usize - 1) * NAVIGATION_PAGE).take(NAVIGATION_PAGE).collect();
    Ok((feed, items))
}

fn page_number(raw: Option<&str>) -> Result<u32, WebError> {
    match form_urlencoded::parse(raw.unwrap_or("").as_bytes()).find(|(k, _)| k == "page") {
        None => Ok(1),
        Some((_, v)) => {
            v.parse::<u32>().ok().filter(|p| *p >= 1).ok_or_else(|| WebError::BadRequest("`page` must be a whole number from 1.".into()))
        }
    }
}

/// `/opds/works?include=KIND:NAME&sort=updated`: the acquisition feed of one tag.
fn tag_feed_url(kind: TagKind, name: &str) -> String {
    let query = form_urlencoded::Serializer::new(String::new())
        .append_pair("include", &format!("{}:{name}", kind.as_str()))
        .append_pair("sort", "updated")
        .finish();
    format!("/opds/works?{query}")
}

/// One entry of a counted navigation list: (name for its id, title, address, works).
type CountedEntry = (String, String, String, u64);

/// A navigation feed over a counted list (fandoms, ratings, series, authors), each entry
/// leading to an acquisition feed of its works.
fn counted_navigation(
    app: &AppState,
    raw: Option<&str>,
    name: &str,
    title: &str,
    base: &str,
    entries: Vec<CountedEntry>,
) -> Result<Response, WebError> {
    let (mut feed, entries) = navigation_page(name, title, entries, raw, base)?;
    for (name, title, href, count) in entries {
        let section =
            Section { name, title: &title, href, kind: ACQUISITION, content: super::count_of(count, "work", "works"), count: Some(count) };
        feed.navigation_entry(app, section);
    }
    Ok(feed.response(app))
}

/// `/opds/fandoms` and `/opds/ratings`: one entry per canonical tag, with its work count.
async fn tag_navigation(app: &AppState, raw: Option<&str>, kind: TagKind, base: &str) -> Result<Response, WebError> {
    let entries = app.archive.tag_index(kind).await?.into_iter();
    let entries =
        entries.map(|(tag, count)| (format!("opds/tag/{}", tag.id), tag.name.clone(), tag_feed_url(kind, &tag.name), count)).collect();
    counted_navigation(app, raw, &format!("opds/{}", kind.as_str()), tag_label(kind), base, entries)
}

pub async fn fandoms(State(app): State<Arc<AppState>>, RawQuery(raw): RawQuery) -> Result<Response, WebError> {
    tag_navigation(&app, raw.as_deref(), TagKind::Fandom, "/opds/fandoms").await
}

pub async fn ratings(State(app): State<Arc<AppState>>, RawQuery(raw): RawQuery) -> Result<Response, WebError> {
    tag_navigation(&app, raw.as_deref(), TagKind::Rating, "/opds/ratings").await
}

/// `/opds/series`: every series.
pub async fn series_index(State(app): State<Arc<AppState>>, RawQuery(raw): RawQuery) -> Result<Response, WebError> {
    let entries = app.archive.series_index().await?.into_iter();
    let entries = entries.map(|(s, count)| (format!("opds/series/{}", s.id), s.name, format!("/opds/series/{}", s.id), count)).collect();
    counted_navigation(&app, raw.as_deref(), "opds/series", "Series", "/opds/series", entries)
}

/// `/opds/authors`: every credited author.
pub async fn author_index(State(app): State<Arc<AppState>>, RawQuery(raw): RawQuery) -> Result<Response, WebError> {
    let entries = app.archive.author_index().await?.into_iter();
    let entries = entries.map(|(a, count)| (format!("opds/authors/{}", a.id), a.name, format!("/opds/authors/{}", a.id), count)).collect();
    counted_navigation(&app, raw.as_deref(), "opds/authors", "Authors", "/opds/authors", entries)
}

/// `/opds/series/ID`: a series' works in reading order.
pub async fn series(State(app): State<Arc<AppState>>, Path(segment): Path<String>) -> Result<Response, WebError> {
    let id = super::id(&segment, "series")?;
    let view = app.archive.series_view(id).await?.ok_or_else(|| WebError::NotFound("There is no series with this id.".into()))?;
    let url = format!("/opds/series/{id}");
    let mut feed = Feed::new(&format!("opds/series/{id}"), &view.name, &url, ACQUISITION);
    for card in &view.works {
        feed.entries.push_str(&work_entry(&app, card));
    }
    Ok(feed.response(&app))
}

/// `/opds/authors/ID`: an author's works, newest first.
pub async fn author(State(app): State<Arc<AppState>>, Path(segment): Path<String>) -> Result<Response, WebError> {
    let id = super::id(&segment, "author")?;
    let (author, works) =
        app.archive.author_view(id).await?.ok_or_else(|| WebError::NotFound("There is no author with this id.".into()))?;
    let url = format!("/opds/authors/{id}");
    let mut feed = Feed::new(&format!("opds/authors/{id}"), &author.name, &url, ACQUISITION);
    for card in &works {
        feed.entries.push_str(&work_entry(&app, card));
    }
    Ok(feed.response(&app))
}

/// `/opds/recent`: every work, newest updates first.
pub async fn recent(State(app): State<Arc<AppState>>, RawQuery(raw): RawQuery) -> Result<Response, WebError> {
    let page = page_number(raw.as_deref())?;
    let base = "/opds/recent";
    let (total, works) = app.archive.recent_works(ACQUISITION_PAGE, (page - 1).saturating_mul(ACQUISITION_PAGE)).await?;
    let pagination = Pagination::new(page, total, ACQUISITION_PAGE, |p| page_link(base, p));
    let mut feed = Feed::new("opds/recent", "Recently updated", &page_link(base, page), ACQUISITION);
    feed.paging(&pagination, |p| page_link(base, p));
    search_totals(&mut feed, total, page, ACQUISITION_PAGE);
    for card in &works {
        feed.entries.push_str(&work_entry(&app, card));
    }
    Ok(feed.response(&app))
}

fn search_totals(feed: &mut Feed, total: u64, page: u32, per_page: u32) {
    feed.links.push_str(&format!(
        "<opensearch:totalResults>{total}</opensearch:totalResults>\n<opensearch:itemsPerPage>{per_page}</opensearch:itemsPerPage>\n\
         <opensearch:startIndex>{}</opensearch:startIndex>\n",
        u64::from(page - 1) * u64::from(per_page) + 1
    ));
}

/// `/opds/works?…`: works matching the search page's parameters, with facets for fandom,
/// rating and completion.
pub async fn works(State(app): State<Arc<AppState>>, RawQuery(raw): RawQuery) -> Result<Response, WebError> {
    let mut form = Form::parse(raw.as_deref())?;
    if form.per_page.is_empty() {
        form.per_page = ACQUISITION_PAGE.to_string();
    }
    let default_sort = if form.q.is_empty() { SortKey::Updated } else { SortKey::Relevance };
    let request = form.request(default_sort)?;
    let (results, found) = find(&app, &request).await?;
    let url_of = |form: &Form, p: u32| match form.query_string(p) {
        q if q.is_empty() => "/opds/works".to_string(),
        q => format!("/opds/works?{q}"),
    };
    let pagination = Pagination::new(request.page, results.total, request.limit() as u32, |p| url_of(&form, p));
    let title = if form.q.is_empty() { "Works".to_string() } else { format!("Search: {}", form.q) };
    let mut feed = Feed::new("opds/works", &title, &url_of(&form, request.page), ACQUISITION);
    feed.paging(&pagination, |p| url_of(&form, p));
    search_totals(&mut feed, results.total, request.page, request.limit() as u32);

    // Facets: choosing one replaces that group's choice and goes back to the first page.
    let mut facet = |group: &str, title: &str, active: bool, count: Option<u64>, changed: Form| {
        let count = count.map(|n| format!(" thr:count=\"{n}\"")).unwrap_or_default();
        let extra = format!(" title=\"{}\" opds:facetGroup=\"{group}\" opds:activeFacet=\"{active}\"{count}", escaped(title));
        feed.link("http://opds-spec.org/facet", &url_of(&changed, 1), ACQUISITION, &extra);
    };
    for kind in [TagKind::Fandom, TagKind::Rating] {
        let Some(values) = results.facets.iter().find(|f| f.name == kind.as_str()) else { continue };
        let prefix = format!("{}:", kind.as_str());
        for value in values.values.iter().take(30) {
            let tag = format!("{prefix}{}", value.name);
            let active = form.include.contains(&tag);
            let mut changed = Form { page: 1, ..form.clone() };
            // One choice per group, as e-reader apps present facets.
            if !active {
                changed.include.retain(|t| !t.starts_with(&prefix));
                changed.include.push(tag);
            }
            facet(tag_label(kind), &value.name, active, Some(value.count), changed);
        }
    }
    for (value, label) in [("", "Any"), ("yes", "Complete"), ("no", "In progress")] {
        let changed = Form { page: 1, complete: value.to_string(), ..form.clone() };
        facet("Completion", label, form.complete == value, None, changed);
    }
    for (card, _) in &found {
        feed.entries.push_str(&work_entry(&app, card));
    }
    Ok(feed.response(&app))
}

/// An acquisition entry: metadata as Atom elements, the same facts as text in `content`
/// (some apps show only that), covers under both image relations, the three downloads.
fn work_entry(app: &AppState, card: &WorkCard) -> String {
    let mut out = format!(
        "<entry>\n<title>{}</title>\n<id>urn:uuid:{}</id>\n<updated>{}</updated>\n",
        escaped(&card.title),
        app.archive.work_uuid(card.id),
        utc_timestamp(card.modified_at),
    );
    for author in &card.authors {
        out.push_str(&format!("<author><name>{}</name><uri>/authors/{}</uri></author>\n", escaped(&author.name), author.id));
    }
    out.push_str(&format!("<dc:language>{}</dc:language>\n", language::tag(card.language.as_deref())));
    if let Some(date) = card.published.as_deref().and_then(w3c_date) {
        out.push_str(&format!("<dc:issued>{date}</dc:issued>\n"));
    }
    out.push_str(&format!("<dc:publisher>{}</dc:publisher>\n", escaped(&app.name)));
    for tag in &card.tags {
        out.push_str(&format!(
            "<category scheme=\"urn:ficarchive:tag:{}\" term=\"{}\" label=\"{}\"/>\n",
            tag.kind.as_str(),
            escaped(&tag.name),
            escaped(&tag.name)
        ));
    }
    if let Some(summary) = card.summary.as_deref().filter(|s| !s.trim().is_empty()) {
        out.push_str(&format!("<summary type=\"text\">{}</summary>\n", escaped(summary.trim())));
    }
    // Apps that show only `content` still get the summary.
    let content = match card.summary.as_deref().map(str::trim).filter(|s| !s.is_empty()) {
        Some(summary) => format!("{}\n\n{summary}", facts(card)),
        None => facts(card),
    };
    out.push_str(&format!("<content type=\"text\">{}</content>\n", escaped(&content)));
    let cover = format!("/works/{}/cover.svg", card.id);
    out.push_str(&format!("<link rel=\"http://opds-spec.org/image\" href=\"{cover}\" type=\"image/svg+xml\"/>\n"));
    out.push_str(&format!("<link rel=\"http://opds-spec.org/image/thumbnail\" href=\"{cover}\" type=\"image/svg+xml\"/>\n"));
    for format in Format::ALL {
        let media_type = format.media_type().split(';').next().unwrap_or_default();
        out.push_str(&format!(
            "<link rel=\"http://opds-spec.org/acquisition/open-access\" href=\"/works/{}/download.{}\" type=\"{media_type}\" title=\"{}\"/>\n",
            card.id,
            format.extension(),
            format.label()
        ));
    }
    out.push_str(&format!("<link rel=\"alternate\" href=\"/works/{}\" type=\"text/html\" title=\"Read online\"/>\n</entry>\n", card.id));
    out
}

/// Rating, fandoms, series, words, chapters and status as one line of text.
fn facts(card: &WorkCard) -> String {
    let names = |kind: TagKind| card.tags_of(kind).map(|t| t.name.as_str()).collect::<Vec<_>>().join(", ");
    let mut parts = Vec::new();
    for kind in [TagKind::Rating, TagKind::Fandom, TagKind::Relationship, TagKind::Warning] {
        let value = names(kind);
        if !value.is_empty() {
            parts.push(format!("{}: {value}", tag_label(kind)));
        }
    }
    for series in &card.series {
        parts.push(match series.part {
            Some(part) => format!("Series: {} (part {part})", series.name),
            None => format!("Series: {}", series.name),
        });
    }
    parts.push(format!("Words: {}", ficarchive_export::render::thousands(card.words)));
    let total = card.chapters_total.map_or("?".to_string(), |t| t.to_string());
    parts.push(format!("Chapters: {}/{total}", card.chapters));
    parts.push(super::status(card.complete).to_string());
    parts.join(" · ")
}

/// `/opds/search.xml`: the OpenSearch description. Its template is absolute (built from the
/// request's Host and, behind a proxy, `X-Forwarded-Proto`), because OpenSearch clients do not
/// resolve relative templates.
pub async fn opensearch(State(app): State<Arc<AppState>>, headers: HeaderMap) -> Response {
    let host = headers
        .get(header::HOST)
        .and_then(|h| h.to_str().ok())
        .filter(|h| h.chars().all(|c| c.is_ascii_alphanumeric() || ".-:[]".contains(c)))
        .unwrap_or("localhost");
    // Behind a TLS-terminating proxy the request arrives as plain HTTP.
    let scheme = if headers.get("x-forwarded-proto").is_some_and(|v| v.as_bytes() == b"https") { "https" } else { "http" };
    let body = format!(
        "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<OpenSearchDescription xmlns=\"http://a9.com/-/spec/opensearch/1.1/\">\n\
         <ShortName>{}</ShortName>\n<Description>Search the works of {}: their text, titles, summaries and tags.</Description>\n\
         <InputEncoding>UTF-8</InputEncoding>\n<OutputEncoding>UTF-8</OutputEncoding>\n\
         <Url type=\"{ACQUISITION}\" template=\"{scheme}://{host}/opds/works?q={{searchTerms}}\"/>\n</OpenSearchDescription>\n",
        escaped(&app.name.chars().take(16).collect::<String>()),
        escaped(&app.name),
    );
    atom(OPENSEARCH, body)
}
