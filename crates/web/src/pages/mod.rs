//! One module per resource. This file holds the view shapes several pages share: links, work
//! blurbs and pagination.

pub mod api;
pub mod authors;
pub mod downloads;
pub mod home;
pub mod opds;
pub mod search;
pub mod series;
pub mod tags;
pub mod works;

use crate::WebError;
use ficarchive_export::render;
use ficarchive_query::Fragment;
use ficarchive_store::{TagKind, WorkCard};

/// `1 work`, `12 works`, `1,204 works`.
pub fn count_of(n: u64, one: &str, many: &str) -> String {
    format!("{} {}", ficarchive_export::render::thousands(n), if n == 1 { one } else { many })
}

/// A link: where it goes and what it says.
pub struct Link {
    pub url: String,
    pub name: String,
}

impl Link {
    pub fn tag(tag: &ficarchive_store::TagLink) -> Link {
        Link { url: format!("/tags/{}", tag.id), name: tag.name.clone() }
    }
}

/// The readable name of a tag kind, as a heading (the same as in downloads).
pub use ficarchive_export::tag_label;

/// The `kind` parameter of a tag index (fandoms when absent).
pub fn tag_kind(name: Option<&String>) -> Result<TagKind, WebError> {
    match name {
        None => Ok(TagKind::Fandom),
        Some(name) => TagKind::from_name(name).ok_or_else(|| WebError::BadRequest(format!("There is no tag kind `{name}`."))),
    }
}

/// The `page` parameter of a paged index: 1 when absent, else a number from 1 to 100,000.
pub fn page_number(query: &std::collections::HashMap<String, String>) -> Result<usize, WebError> {
    match query.get("page") {
        None => Ok(1),
        Some(p) => p
            .parse()
            .ok()
            .filter(|p| (1..=100_000).contains(p))
            .ok_or_else(|| WebError::BadRequest("`page` must be a positive number.".into())),
    }
}

/// Names listed per page of an index (tags, authors, series).
pub const NAMES_PER_PAGE: usize = 500;

/// An index of names with how many works each has: every author, every series.
#[derive(askama::Template)]
#[template(path = "names.html")]
struct NameIndexPage {
    page: crate::layout::Page,
    heading: &'static str,
    /// What the page says when the archive has none.
    empty: &'static str,
    names: Vec<(Link, u64)>,
    pagination: Pagination,
}

/// One page (the request's `page`) of the links `all` gives with their work counts, at
/// `address` (`/authors`). `all` is only read once the page number is known to be good.
pub async fn name_index(
    app: &crate::AppState,
    query: &std::collections::HashMap<String, String>,
    headers: &axum::http::HeaderMap,
    (heading, address, empty): (&'static str, &'static str, &'static str),
    all: impl std::future::Future<Output = Result<Vec<(Link, u64)>, WebError>>,
) -> Result<axum::response::Response, WebError> {
    let prefs = crate::prefs::Prefs::from_headers(headers);
    let page_number = page_number(query)?;
    let all = all.await?;
    let total = all.len() as u64;
    let names = all.into_iter().skip((page_number - 1) * NAMES_PER_PAGE).take(NAMES_PER_PAGE).collect();
    let url = |p: u32| if p > 1 { format!("{address}?page={p}") } else { address.to_string() };
    let pagination = Pagination::new(page_number as u32, total, NAMES_PER_PAGE as u32, url);
    let page = crate::layout::Page::new(app, &prefs, heading).at(url(page_number as u32));
    crate::html(NameIndexPage { page, heading, empty, names, pagination })
}

/// A path segment that must be a positive id; anything else is a page that does not exist.
pub fn id(segment: &str, what: &str) -> Result<i64, WebError> {
    segment.parse::<i64>().ok().filter(|n| *n > 0).ok_or_else(|| WebError::NotFound(format!("There is no {what} at this address.")))
}

/// A work as listed (AO3's blurb), ready for the template.
pub struct Blurb {
    pub id: i64,
    pub title: String,
    pub authors: Vec<Link>,
    pub fandoms: Vec<Link>,
    pub rating: String,
    /// A short class name for the rating's badge (`general`, `teen`, ...).
    pub rating_class: &'static str,
    /// The rating as tag links (empty when the work states none).
    pub ratings: Vec<Link>,
    pub warnings: Vec<Link>,
    pub categories: Vec<Link>,
    pub relationships: Vec<Link>,
    pub characters: Vec<Link>,
    pub freeforms: Vec<Link>,
    pub summary_html: String,
    pub snippet_html: String,
    pub words: String,
    pub chapters: String,
    pub status: &'static str,
    pub language: String,
    pub updated: String,
    pub series: Vec<(Link, Option<u32>)>,
}

pub fn rating_class(rating: &str) -> &'static str {
    match rating {
        "General Audiences" => "general",
        "Teen And Up Audiences" => "teen",
        "Mature" => "mature",
        "Explicit" => "explicit",
        _ => "not-rated",
    }
}

/// `3/5`, or `3/?` when the total is unknown and the work is not complete.
pub fn chapter_count(card: &WorkCard) -> String {
    match (card.chapters_total, card.complete) {
        (Some(total), _) => format!("{}/{total}", card.chapters),
        (None, Some(true)) => format!("{0}/{0}", card.chapters),
        (None, _) => format!("{}/?", card.chapters),
    }
}

/// A work's status as a badge shows it, standing alone (in the blurb and the OPDS summary).
/// Downloads show it after a `Status` label instead (`ficarchive_export::Book::status`).
pub fn status(complete: Option<bool>) -> &'static str {
    match complete {
        Some(true) => "Complete",
        Some(false) => "In progress",
        None => "Status unknown",
    }
}

impl Blurb {
    pub fn new(card: &WorkCard, snippet: &[Fragment]) -> Blurb {
        let links = |kind| card.tags_of(kind).map(Link::tag).collect::<Vec<_>>();
        let mut snippet_html = String::new();
        for fragment in snippet {
            if fragment.highlighted {
                snippet_html.push_str("<mark>");
                render::escape(&fragment.text, &mut snippet_html);
                snippet_html.push_str("</mark>");
            } else {
                render::escape(&fragment.text, &mut snippet_html);
            }
        }
        Blurb {
            id: card.id,
            title: card.title.clone(),
            authors: card.authors.iter().map(|a| Link { url: format!("/authors/{}", a.id), name: a.name.clone() }).collect(),
            fandoms: links(TagKind::Fandom),
            rating: card.rating.clone(),
            rating_class: rating_class(&card.rating),
            ratings: links(TagKind::Rating),
            warnings: links(TagKind::Warning),
            categories: links(TagKind::Category),
            relationships: links(TagKind::Relationship),
            characters: links(TagKind::Character),
            freeforms: links(TagKind::Freeform),
            summary_html: card.summary.as_deref().map(render::plain_text).unwrap_or_default(),
            snippet_html,
            words: render::thousands(card.words),
            chapters: chapter_count(card),
            status: status(card.complete),
            language: card.language.clone().unwrap_or_default(),
            updated: card.updated.clone().or_else(|| card.published.clone()).unwrap_or_default(),
            series: card.series.iter().map(|s| (Link { url: format!("/series/{}", s.id), name: s.name.clone() }, s.part)).collect(),
        }
    }
}

/// Previous/next and numbered page links for a list, keeping the other query parameters.
pub struct Pagination {
    pub previous: Option<String>,
    pub next: Option<String>,
    pub pages: Vec<(u32, Option<String>)>,
    pub current: u32,
    pub last: u32,
}

impl Pagination {
    /// `link(page)` makes the URL of a page.
    pub fn new(current: u32, total: u64, per_page: u32, link: impl Fn(u32) -> String) -> Pagination {
        let last = u32::try_from(total.div_ceil(u64::from(per_page.max(1)))).unwrap_or(u32::MAX).max(1);
        let current = current.max(1);
        let mut pages = Vec::new();
        let window = current.saturating_sub(2).max(1)..=(current + 2).min(last);
        for p in [1].into_iter().chain(window).chain([last]) {
            if pages.last().is_some_and(|(q, _)| *q >= p) {
                continue;
            }
            pages.push((p, (p != current).then(|| link(p))));
        }
        Pagination {
            previous: (current > 1).then(|| link(current - 1)),
            next: (current < last).then(|| link(current + 1)),
            pages,
            current,
            last,
        }
    }

    pub fn is_single(&self) -> bool {
        self.last <= 1
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn pagination_shows_the_ends_and_a_window() {
        let p = Pagination::new(7, 200, 10, |n| format!("?page={n}"));
        let numbers: Vec<u32> = p.pages.iter().map(|(n, _)| *n).collect();
        assert_eq!(numbers, [1, 5, 6, 7, 8, 9, 20]);
        assert_eq!(p.previous.as_deref(), Some("?page=6"));
        assert_eq!(p.next.as_deref(), Some("?page=8"));
        assert!(p.pages.iter().any(|(n, link)| *n == 7 && link.is_none()));
        let one = Pagination::new(1, 3, 10, |n| n.to_string());
        assert!(one.is_single() && one.previous.is_none() && one.next.is_none());
    }
}
