//! The work page (metadata, summary, notes, then the first chapter or the entire work) and
//! chapter pages.

use super::{Blurb, Link, id};
use crate::layout::Page;
use crate::prefs::Prefs;
use crate::{AppState, WebError};
use askama::Template;
use axum::extract::{Path, Query, State};
use axum::http::{HeaderMap, header};
use axum::response::{IntoResponse, Redirect, Response};
use ficarchive_export::render;
use ficarchive_store::{ChapterEntry, WorkView};
use std::collections::HashMap;
use std::sync::Arc;

/// One chapter as shown.
struct ChapterView {
    place: u32,
    heading: String,
    notes_html: String,
    body_html: String,
    end_notes_html: String,
    empty: bool,
}

/// A series the work belongs to, with its neighbours.
struct SeriesNav {
    series: Link,
    part: String,
    previous: Option<Link>,
    next: Option<Link>,
}

#[derive(Template)]
#[template(path = "work.html")]
struct WorkPage {
    page: Page,
    work: Blurb,
    published: String,
    updated: String,
    notes_html: String,
    end_notes_html: String,
    series: Vec<SeriesNav>,
    index: Vec<ChapterEntry>,
    /// The chapter shown, or `None` for the entire work.
    current: Option<u32>,
    chapters: Vec<ChapterView>,
    previous_chapter: Option<String>,
    next_chapter: Option<String>,
    /// The take-away copies (EPUB, HTML, text).
    downloads: Vec<Link>,
}

impl WorkPage {
    fn multi_chapter(&self) -> bool {
        self.index.len() > 1
    }
    fn is_entire(&self) -> bool {
        self.current.is_none()
    }
    fn is_current(&self, place: &u32) -> bool {
        self.current == Some(*place)
    }
}

async fn load(app: &AppState, segment: &str) -> Result<(i64, WorkView), WebError> {
    let work = id(segment, "work")?;
    let view = app.archive.work_view(work).await?.ok_or_else(|| WebError::NotFound("There is no work with this id.".into()))?;
    Ok((work, view))
}

/// `/works/ID`: the first chapter, or the entire work when the reader chose that (the
/// `view` parameter changes and remembers the choice).
pub async fn work(
    State(app): State<Arc<AppState>>,
    Path(segment): Path<String>,
    Query(query): Query<HashMap<String, String>>,
    headers: HeaderMap,
) -> Result<Response, WebError> {
    let mut prefs = Prefs::from_headers(&headers);
    let chosen = query.get("view").map(String::as_str);
    if let Some(view) = chosen {
        if !matches!(view, "entire" | "chapter") {
            return Err(WebError::BadRequest("`view` is `entire` or `chapter`.".into()));
        }
        prefs = prefs.with("view", view);
    }
    let (work, view) = load(&app, &segment).await?;
    let place = (prefs.get("view") != "entire").then_some(1);
    let mut response = page(&app, &prefs, work, view, place, format!("/works/{work}")).await?;
    if chosen.is_some() {
        response.headers_mut().insert(header::SET_COOKIE, prefs.cookie());
    }
    Ok(response)
}

/// `/works/ID/chapters/N`.
pub async fn chapter(
    State(app): State<Arc<AppState>>,
    Path((segment, place)): Path<(String, String)>,
    headers: HeaderMap,
) -> Result<Response, WebError> {
    let prefs = Prefs::from_headers(&headers);
    let (work, view) = load(&app, &segment).await?;
    let place: u32 =
        place.parse().ok().filter(|p| *p >= 1 && (*p as usize) <= view.chapter_index.len()).ok_or_else(|| {
            WebError::NotFound(format!("This work has {} chapters; there is no chapter {place}.", view.chapter_index.len()))
        })?;
    page(&app, &prefs, work, view, Some(place), format!("/works/{work}/chapters/{place}")).await
}

/// `/works/ID/chapters?place=N`: the chapter menu's target when JavaScript is off.
pub async fn chapter_jump(Path(segment): Path<String>, Query(query): Query<HashMap<String, String>>) -> Result<Response, WebError> {
    let work = id(&segment, "work")?;
    match query.get("place").and_then(|p| p.parse::<u32>().ok()) {
        Some(place) => Ok(Redirect::to(&format!("/works/{work}/chapters/{place}")).into_response()),
        None => Err(WebError::BadRequest("Choose a chapter from the list.".into())),
    }
}

fn chapter_view(entry: &ChapterEntry, chapter: &ficarchive_model::Chapter, single: bool) -> ChapterView {
    ChapterView {
        place: entry.place,
        heading: if single && entry.title.is_none() { String::new() } else { entry.label() },
        notes_html: render::document(&chapter.notes, 4),
        body_html: render::document(&chapter.body, 3),
        end_notes_html: render::document(&chapter.end_notes, 4),
        empty: !chapter.has_text(),
    }
}

async fn page(app: &AppState, prefs: &Prefs, work: i64, view: WorkView, place: Option<u32>, here: String) -> Result<Response, WebError> {
    let single = view.chapter_index.len() <= 1;
    let chapters: Vec<ChapterView> =
        app.archive.chapter_text(work, place).await?.iter().map(|(entry, chapter)| chapter_view(entry, chapter, single)).collect();
    let count = view.chapter_index.len() as u32;
    let link = |p: u32| format!("/works/{work}/chapters/{p}");
    let previous_chapter = place.filter(|p| *p > 1).map(|p| link(p - 1));
    let next_chapter = place.filter(|p| *p < count).map(|p| link(p + 1));
    let title = match (place, single) {
        (Some(p), false) => {
            format!("{} - Chapter {p}", view.card.title)
        }
        _ => view.card.title.clone(),
    };
    let mut frame = Page::new(app, prefs, &title).at(here);
    frame.prev = previous_chapter.clone();
    frame.next = next_chapter.clone();
    let series = view
        .series
        .iter()
        .map(|s| SeriesNav {
            series: Link { url: format!("/series/{}", s.series.id), name: s.series.name.clone() },
            part: s.series.part.map(|p| format!("Part {p} of")).unwrap_or_else(|| "Part of".into()),
            previous: s.previous.as_ref().map(|(id, title)| Link { url: format!("/works/{id}"), name: title.clone() }),
            next: s.next.as_ref().map(|(id, title)| Link { url: format!("/works/{id}"), name: title.clone() }),
        })
        .collect();
    crate::html(WorkPage {
        page: frame,
        work: Blurb::new(&view.card, &[]),
        published: view.card.published.clone().unwrap_or_default(),
        updated: view.card.updated.clone().unwrap_or_default(),
        notes_html: view.notes.as_deref().map(render::plain_text).unwrap_or_default(),
        end_notes_html: view.end_notes.as_deref().map(render::plain_text).unwrap_or_default(),
        series,
        index: view.chapter_index,
        current: place,
        chapters,
        previous_chapter,
        next_chapter,
        downloads: ficarchive_export::Format::ALL
            .iter()
            .map(|f| Link { url: format!("/works/{work}/download.{}", f.extension()), name: f.label().to_string() })
            .collect(),
    })
}
