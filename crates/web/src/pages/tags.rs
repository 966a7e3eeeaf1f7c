//! Tag pages: the index of canonical tags of one kind with work counts, and one tag's works
//! (the search page with that tag fixed, so its facets and filters work there too).

use super::search::{Scope, results_page};
use super::{Link, Pagination, id, tag_label};
use crate::layout::Page;
use crate::prefs::Prefs;
use crate::{AppState, WebError};
use askama::Template;
use axum::extract::{Path, Query, RawQuery, State};
use axum::http::HeaderMap;
use axum::response::Response;
use ficarchive_query::SortKey;
use ficarchive_store::TagKind;
use std::collections::HashMap;
use std::sync::Arc;

use super::NAMES_PER_PAGE as PER_PAGE;

struct KindTab {
    url: String,
    label: &'static str,
    current: bool,
}

#[derive(Template)]
#[template(path = "tags.html")]
struct TagIndexPage {
    page: Page,
    heading: &'static str,
    kinds: Vec<KindTab>,
    tags: Vec<(Link, u64)>,
    pagination: Pagination,
}

/// `/tags?kind=fandom` (the default): every canonical tag of a kind, most used first.
pub async fn index(
    State(app): State<Arc<AppState>>,
    Query(query): Query<HashMap<String, String>>,
    headers: HeaderMap,
) -> Result<Response, WebError> {
    let prefs = Prefs::from_headers(&headers);
    let kind = super::tag_kind(query.get("kind"))?;
    let page_number = super::page_number(&query)?;
    let all = app.archive.tag_index(kind).await?;
    let tags = all.iter().skip((page_number - 1) * PER_PAGE).take(PER_PAGE).map(|(t, n)| (Link::tag(t), *n)).collect();
    let url = |p: u32| if p > 1 { format!("/tags?kind={}&page={p}", kind.as_str()) } else { format!("/tags?kind={}", kind.as_str()) };
    let pagination = Pagination::new(page_number as u32, all.len() as u64, PER_PAGE as u32, url);
    let kinds = TagKind::ALL
        .iter()
        .map(|k| KindTab { url: format!("/tags?kind={}", k.as_str()), label: tag_label(*k), current: *k == kind })
        .collect();
    let heading = tag_label(kind);
    let page = Page::new(&app, &prefs, heading).at(url(page_number as u32));
    crate::html(TagIndexPage { page, heading, kinds, tags, pagination })
}

/// `/tags/ID`: the works tagged with a canonical tag (a synonym's id shows its canonical tag).
pub async fn show(
    State(app): State<Arc<AppState>>,
    Path(segment): Path<String>,
    RawQuery(raw): RawQuery,
    headers: HeaderMap,
) -> Result<Response, WebError> {
    let prefs = Prefs::from_headers(&headers);
    let tag_id = id(&segment, "tag")?;
    let tag = app.archive.canonical_tag(tag_id).await?.ok_or_else(|| WebError::NotFound("There is no tag with this id.".into()))?;
    let detail = app.archive.tag_detail(tag.id).await?;
    let mut about = Vec::new();
    if !detail.synonyms.is_empty() {
        about.push(format!("Also written as: {}.", detail.synonyms.join(", ")));
    }
    if !detail.parents.is_empty() {
        let parents: Vec<String> = detail.parents.iter().map(|(_, name)| name.clone()).collect();
        about.push(format!("Belongs to: {}.", parents.join(", ")));
    }
    let scope = Scope {
        heading: format!("{} ({})", tag.name, tag_label(tag.kind)),
        about,
        action: format!("/tags/{}", tag.id),
        default_sort: SortKey::Updated,
        fixed: Some(&tag),
    };
    results_page(&app, &prefs, raw.as_deref(), scope).await
}
