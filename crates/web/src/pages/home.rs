//! The home page: the newest updates and the fandom index.

use super::{Blurb, Link};
use crate::layout::Page;
use crate::prefs::Prefs;
use crate::{AppState, WebError};
use askama::Template;
use axum::extract::State;
use axum::http::HeaderMap;
use axum::response::Response;
use ficarchive_store::TagKind;
use std::sync::Arc;

/// How many recent works and fandoms the home page lists (the rest are a link away).
const RECENT: u32 = 10;
const FANDOMS: usize = 40;

#[derive(Template)]
#[template(path = "home.html")]
struct HomePage {
    page: Page,
    works: String,
    recent: Vec<Blurb>,
    fandoms: Vec<(Link, u64)>,
    more_fandoms: bool,
}

pub async fn show(State(app): State<Arc<AppState>>, headers: HeaderMap) -> Result<Response, WebError> {
    let prefs = Prefs::from_headers(&headers);
    let (works, recent) = app.archive.recent_works(RECENT, 0).await?;
    let all_fandoms = app.archive.tag_index(TagKind::Fandom).await?;
    let more_fandoms = all_fandoms.len() > FANDOMS;
    let fandoms = all_fandoms.iter().take(FANDOMS).map(|(tag, n)| (Link::tag(tag), *n)).collect();
    let page = Page::new(&app, &prefs, "Home").at("/");
    crate::html(HomePage {
        page,
        works: super::count_of(works, "work", "works"),
        recent: recent.iter().map(|c| Blurb::new(c, &[])).collect(),
        fandoms,
        more_fandoms,
    })
}
