//! A series page: its works in reading order.

use super::{Blurb, id};
use crate::layout::Page;
use crate::prefs::Prefs;
use crate::{AppState, WebError};
use askama::Template;
use axum::extract::{Path, State};
use axum::http::HeaderMap;
use axum::response::Response;
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
