//! Authors: the index of every credited author, and an author's page (their works, newest
//! first).

use super::{Blurb, Link, id};
use crate::layout::Page;
use crate::prefs::Prefs;
use crate::{AppState, WebError};
use askama::Template;
use axum::extract::{Path, Query, State};
use axum::http::HeaderMap;
use axum::response::Response;
use std::collections::HashMap;
use std::sync::Arc;

#[derive(Template)]
#[template(path = "author.html")]
struct AuthorPage {
    page: Page,
    name: String,
    works: Vec<Blurb>,
}

pub async fn show(State(app): State<Arc<AppState>>, Path(segment): Path<String>, headers: HeaderMap) -> Result<Response, WebError> {
    let prefs = Prefs::from_headers(&headers);
    let author = id(&segment, "author")?;
    let Some((link, cards)) = app.archive.author_view(author).await? else {
        return Err(WebError::NotFound("There is no author with this id.".into()));
    };
    let page = Page::new(&app, &prefs, &link.name).at(format!("/authors/{author}"));
    crate::html(AuthorPage { page, name: link.name, works: cards.iter().map(|c| Blurb::new(c, &[])).collect() })
}

/// `/authors`: every credited author by name, with their number of works.
pub async fn index(
    State(app): State<Arc<AppState>>,
    Query(query): Query<HashMap<String, String>>,
    headers: HeaderMap,
) -> Result<Response, WebError> {
    let all = async {
        let all = app.archive.author_index().await?;
        Ok(all.into_iter().map(|(a, n)| (Link { url: format!("/authors/{}", a.id), name: a.name }, n)).collect())
    };
    super::name_index(&app, &query, &headers, ("Authors", "/authors", "No works name an author yet."), all).await
}
