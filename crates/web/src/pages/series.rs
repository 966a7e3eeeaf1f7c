//! Series: the index of every series, and a series page (its works in reading order).

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
#[template(path = "series.html")]
struct SeriesPage {
    page: Page,
    name: String,
    words: String,
    works: Vec<Blurb>,
}

pub async fn show(State(app): State<Arc<AppState>>, Path(segment): Path<String>, headers: HeaderMap) -> Result<Response, WebError> {
    let prefs = Prefs::from_headers(&headers);
    let series = id(&segment, "series")?;
    let Some(view) = app.archive.series_view(series).await? else {
        return Err(WebError::NotFound("There is no series with this id.".into()));
    };
    let words = ficarchive_export::render::thousands(view.works.iter().map(|w| w.words).sum());
    let page = Page::new(&app, &prefs, &view.name).at(format!("/series/{series}"));
    crate::html(SeriesPage { page, name: view.name, words, works: view.works.iter().map(|c| Blurb::new(c, &[])).collect() })
}

/// `/series`: every series by name, with its number of works.
pub async fn index(
    State(app): State<Arc<AppState>>,
    Query(query): Query<HashMap<String, String>>,
    headers: HeaderMap,
) -> Result<Response, WebError> {
    let all = async {
        let all = app.archive.series_index().await?;
        Ok(all.into_iter().map(|(s, n)| (Link { url: format!("/series/{}", s.id), name: s.name }, n)).collect())
    };
    super::name_index(&app, &query, &headers, ("Series", "/series", "No works belong to a series yet."), all).await
}
