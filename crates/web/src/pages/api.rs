//! The JSON API beside the pages (`/api/v1/...`), described by the OpenAPI document at
//! `/api/openapi.json`. It answers from the same store queries and searcher as the pages, so
//! a page and its JSON never disagree. Errors are JSON too: `{"error": {"status", "message"}}`.

use super::search::Form;
use super::{id, tag_label};
use crate::{AppState, WebError};
use axum::Router;
use axum::extract::{Path, Query, RawQuery, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Json, Response};
use axum::routing::get;
use ficarchive_export::render;
use ficarchive_query::SortKey;
use ficarchive_store::{TagKind, WorkCard};
use serde_json::{Value, json};
use std::collections::HashMap;
use std::sync::Arc;

pub fn routes() -> Router<Arc<AppState>> {
    Router::new()
        .route("/api/openapi.json", get(openapi))
        .route("/api/v1/works", get(works))
        .route("/api/v1/works/{id}", get(work))
        .route("/api/v1/works/{id}/chapters/{place}", get(chapter))
        .route("/api/v1/series/{id}", get(series))
        .route("/api/v1/authors/{id}", get(author))
        .route("/api/v1/tags", get(tags))
        .route("/api/v1/tags/{id}", get(tag))
        .route("/api/{*rest}", get(|| async { ApiError(WebError::NotFound("There is no API resource at this address.".into())) }))
}

/// An error as JSON.
pub struct ApiError(WebError);

impl<E: Into<WebError>> From<E> for ApiError {
    fn from(e: E) -> Self {
        ApiError(e.into())
    }
}

impl IntoResponse for ApiError {
    fn into_response(self) -> Response {
        let (status, message) = match self.0 {
            WebError::NotFound(m) => (StatusCode::NOT_FOUND, m),
            WebError::BadRequest(m) => (StatusCode::BAD_REQUEST, m),
            WebError::Internal(m) => {
                eprintln!("ficarchive serve: {m}");
                (StatusCode::INTERNAL_SERVER_ERROR, "The server could not answer this request.".to_string())
            }
        };
        (status, Json(json!({"error": {"status": status.as_u16(), "message": message}}))).into_response()
    }
}

type ApiResult = Result<Json<Value>, ApiError>;

fn link(id: i64, name: &str) -> Value {
    json!({"id": id, "name": name})
}

/// A work as listed: what a blurb shows.
pub fn card_json(card: &WorkCard) -> Value {
    let mut tags = serde_json::Map::new();
    for kind in TagKind::ALL {
        let values: Vec<Value> = card.tags_of(kind).map(|t| link(t.id, &t.name)).collect();
        tags.insert(kind.as_str().to_string(), Value::Array(values));
    }
    json!({
        "id": card.id,
        "url": format!("/works/{}", card.id),
        "title": card.title,
        "authors": card.authors.iter().map(|a| link(a.id, &a.name)).collect::<Vec<_>>(),
        "rating": card.rating,
        "tags": tags,
        "summary": card.summary,
        "words": card.words,
        "chapters": card.chapters,
        "chapters_total": card.chapters_total,
        "complete": card.complete,
        "language": card.language,
        "published": card.published,
        "updated": card.updated,
        "series": card.series.iter().map(|s| json!({"id": s.id, "name": s.name, "part": s.part})).collect::<Vec<_>>(),
    })
}

/// `/api/v1/works`: search, with the same parameters as the search page (`q`, `include`,
/// `exclude`, `complete`, `language`, `words_min`, ..., `sort`, `order`, `page`, `per_page`).
async fn works(State(app): State<Arc<AppState>>, RawQuery(raw): RawQuery) -> ApiResult {
    let form = Form::parse(raw.as_deref())?;
    let request = form.request(SortKey::Updated)?;
    let (results, found) = super::search::find(&app, &request).await?;
    let works: Vec<Value> = found
        .iter()
        .map(|(card, snippet)| {
            let mut value = card_json(card);
            value["snippet"] = snippet.iter().map(|f| json!({"text": f.text, "highlighted": f.highlighted})).collect();
            value
        })
        .collect();
    Ok(Json(json!({
        "total": results.total,
        "page": request.page,
        "per_page": request.limit(),
        "sort": request.sort.as_str(),
        "order": if request.descending { "desc" } else { "asc" },
        "works": works,
        "facets": results.facets.iter().map(|f| json!({
            "name": f.name,
            "values": f.values.iter().map(|v| json!({"name": v.name, "works": v.count})).collect::<Vec<_>>(),
        })).collect::<Vec<_>>(),
    })))
}

async fn work(State(app): State<Arc<AppState>>, Path(segment): Path<String>) -> ApiResult {
    let work = id(&segment, "work")?;
    let view = app.archive.work_view(work).await?.ok_or_else(|| WebError::NotFound("There is no work with this id.".into()))?;
    let mut value = card_json(&view.card);
    value["notes"] = json!(view.notes);
    value["end_notes"] = json!(view.end_notes);
    value["series"] = view
        .series
        .iter()
        .map(|s| {
            json!({
                "id": s.series.id, "name": s.series.name, "part": s.series.part,
                "previous": s.previous.as_ref().map(|(id, title)| json!({"id": id, "title": title})),
                "next": s.next.as_ref().map(|(id, title)| json!({"id": id, "title": title})),
            })
        })
        .collect();
    value["chapter_index"] = view
        .chapter_index
        .iter()
        .map(
            |c| json!({"number": c.place, "title": c.title, "words": c.words, "url": format!("/api/v1/works/{work}/chapters/{}", c.place)}),
        )
        .collect();
    Ok(Json(value))
}

/// One chapter: its text as plain text and as HTML (rendered from the document model, so it
/// holds only paragraphs, headings, quotes, scene breaks and emphasis, all escaped).
async fn chapter(State(app): State<Arc<AppState>>, Path((segment, place)): Path<(String, String)>) -> ApiResult {
    let work = id(&segment, "work")?;
    let number: u32 = place.parse().ok().filter(|n| *n >= 1).ok_or_else(|| WebError::NotFound("There is no such chapter.".into()))?;
    let found = app.archive.chapter_text(work, Some(number)).await?;
    let Some((entry, chapter)) = found.first() else {
        return Err(WebError::NotFound("There is no such chapter.".into()).into());
    };
    let count = app.archive.chapter_index(work).await?.len() as u32;
    let url = |n: u32| format!("/api/v1/works/{work}/chapters/{n}");
    Ok(Json(json!({
        "work_id": work,
        "number": entry.place,
        "title": entry.title,
        "words": entry.words,
        "text": chapter.body.plain_text(),
        "html": render::document(&chapter.body, 3),
        "notes_html": render::document(&chapter.notes, 4),
        "end_notes_html": render::document(&chapter.end_notes, 4),
        "previous": (entry.place > 1).then(|| url(entry.place - 1)),
        "next": (entry.place < count).then(|| url(entry.place + 1)),
    })))
}

async fn series(State(app): State<Arc<AppState>>, Path(segment): Path<String>) -> ApiResult {
    let series = id(&segment, "series")?;
    let view = app.archive.series_view(series).await?.ok_or_else(|| WebError::NotFound("There is no series with this id.".into()))?;
    Ok(Json(json!({"id": view.id, "name": view.name, "works": view.works.iter().map(card_json).collect::<Vec<_>>()})))
}

async fn author(State(app): State<Arc<AppState>>, Path(segment): Path<String>) -> ApiResult {
    let author = id(&segment, "author")?;
    let (link_, cards) =
        app.archive.author_view(author).await?.ok_or_else(|| WebError::NotFound("There is no author with this id.".into()))?;
    Ok(Json(json!({"id": link_.id, "name": link_.name, "works": cards.iter().map(card_json).collect::<Vec<_>>()})))
}

async fn tags(State(app): State<Arc<AppState>>, Query(query): Query<HashMap<String, String>>) -> ApiResult {
    let kind = super::tag_kind(query.get("kind"))?;
    let index = app.archive.tag_index(kind).await?;
    Ok(Json(json!({
        "kind": kind.as_str(),
        "label": tag_label(kind),
        "tags": index.iter().map(|(t, n)| json!({"id": t.id, "name": t.name, "works": n})).collect::<Vec<_>>(),
    })))
}

async fn tag(State(app): State<Arc<AppState>>, Path(segment): Path<String>) -> ApiResult {
    let tag_id = id(&segment, "tag")?;
    let tag = app.archive.canonical_tag(tag_id).await?.ok_or_else(|| WebError::NotFound("There is no tag with this id.".into()))?;
    let detail = app.archive.tag_detail(tag.id).await?;
    let filter: String =
        form_urlencoded::Serializer::new(String::new()).append_pair("include", &format!("{}:{}", tag.kind.as_str(), tag.name)).finish();
    Ok(Json(json!({
        "id": tag.id,
        "kind": tag.kind.as_str(),
        "name": tag.name,
        "synonyms": detail.synonyms,
        "parents": detail.parents.iter().map(|(kind, name)| json!({"kind": kind, "name": name})).collect::<Vec<_>>(),
        "works": detail.works,
        "works_url": format!("/api/v1/works?{filter}"),
    })))
}

/// The OpenAPI 3.1 description of this API.
async fn openapi() -> Json<Value> {
    Json(openapi_document())
}

pub fn openapi_document() -> Value {
    let id_param = |what: &str| json!({"name": "id", "in": "path", "required": true, "description": format!("The {what}'s id."), "schema": {"type": "integer", "minimum": 1}});
    let query = |name: &str, description: &str, schema: Value| json!({"name": name, "in": "query", "required": false, "description": description, "schema": schema});
    let text = json!({"type": "string"});
    let ok = |description: &str, schema: &str| {
        json!({
            "200": {"description": description, "content": {"application/json": {"schema": {"$ref": format!("#/components/schemas/{schema}")}}}},
            "400": {"$ref": "#/components/responses/Error"},
            "404": {"$ref": "#/components/responses/Error"},
        })
    };
    let link = json!({"type": "object", "required": ["id", "name"], "properties": {"id": {"type": "integer"}, "name": {"type": "string"}}});
    let links = json!({"type": "array", "items": {"$ref": "#/components/schemas/Link"}});
    let nullable_string = json!({"type": ["string", "null"]});
    json!({
        "openapi": "3.1.0",
        "info": {
            "title": "ficarchive API",
            "version": "1",
            "description": "Read-only access to a ficarchive archive: works with canonical tags, chapters, series, authors, tags, and full-text search with filters and facets. Search parameters are those of the site's search page.",
        },
        "paths": {
            "/api/v1/works": {"get": {
                "summary": "Search works (every work when no parameter is given, newest updates first)",
                "operationId": "searchWorks",
                "parameters": [
                    query("q", "Words inside the stories, titles, summaries, notes and tags: \"phrases\", OR, NOT or -word, (groups), and title: author: summary: notes: text: tag: fandom: relationship: character: series: prefixes.", text.clone()),
                    query("include", "Only works with this tag, as KIND:NAME (repeat for several; all must match, except several ratings). Any spelling of a tag works.", json!({"type": "array", "items": {"type": "string"}})),
                    query("exclude", "Leave out works with this tag, as KIND:NAME (repeatable).", json!({"type": "array", "items": {"type": "string"}})),
                    query("complete", "yes, no or any.", json!({"type": "string", "enum": ["yes", "no", "any"]})),
                    query("language", "Only works in this language.", text.clone()),
                    query("words_min", "At least this many words.", json!({"type": "integer", "minimum": 0})),
                    query("words_max", "At most this many words.", json!({"type": "integer", "minimum": 0})),
                    query("published_from", "Published on or after (YYYY, YYYY-MM or YYYY-MM-DD).", text.clone()),
                    query("published_to", "Published on or before.", text.clone()),
                    query("updated_from", "Updated on or after.", text.clone()),
                    query("updated_to", "Updated on or before.", text.clone()),
                    query("series", "Only works in this series.", text.clone()),
                    query("sort", "Sort key.", json!({"type": "string", "enum": SortKey::ALL.map(SortKey::as_str)})),
                    query("order", "asc or desc (default: newest, longest and best first; titles and authors A to Z).", json!({"type": "string", "enum": ["asc", "desc"]})),
                    query("page", "1-based page.", json!({"type": "integer", "minimum": 1, "maximum": 5000})),
                    query("per_page", "Works per page.", json!({"type": "integer", "minimum": 1, "maximum": ficarchive_query::MAX_PER_PAGE})),
                ],
                "responses": ok("One page of matching works, with facet counts over all matches", "SearchResults"),
            }},
            "/api/v1/works/{id}": {"get": {"summary": "A work: metadata, notes, series neighbours and chapter index", "operationId": "getWork", "parameters": [id_param("work")], "responses": ok("The work", "Work")}},
            "/api/v1/works/{id}/chapters/{number}": {"get": {
                "summary": "One chapter's text, as plain text and as safe HTML",
                "operationId": "getChapter",
                "parameters": [id_param("work"), {"name": "number", "in": "path", "required": true, "description": "1-based chapter number.", "schema": {"type": "integer", "minimum": 1}}],
                "responses": ok("The chapter", "Chapter"),
            }},
            "/api/v1/series/{id}": {"get": {"summary": "A series and its works in reading order", "operationId": "getSeries", "parameters": [id_param("series")], "responses": ok("The series", "WorkList")}},
            "/api/v1/authors/{id}": {"get": {"summary": "An author (as credited) and their works", "operationId": "getAuthor", "parameters": [id_param("author")], "responses": ok("The author", "WorkList")}},
            "/api/v1/tags": {"get": {
                "summary": "Every canonical tag of one kind, with work counts",
                "operationId": "listTags",
                "parameters": [query("kind", "The tag kind (default fandom).", json!({"type": "string", "enum": TagKind::ALL.map(TagKind::as_str)}))],
                "responses": ok("The tags", "TagIndex"),
            }},
            "/api/v1/tags/{id}": {"get": {"summary": "A canonical tag with its synonyms and parents (a synonym's id gives its canonical tag)", "operationId": "getTag", "parameters": [id_param("tag")], "responses": ok("The tag", "Tag")}},
        },
        "components": {
            "responses": {"Error": {"description": "An error", "content": {"application/json": {"schema": {"$ref": "#/components/schemas/Error"}}}}},
            "schemas": {
                "Link": link,
                "Error": {"type": "object", "required": ["error"], "properties": {"error": {"type": "object", "required": ["status", "message"], "properties": {"status": {"type": "integer"}, "message": {"type": "string"}}}}},
                "WorkCard": {"type": "object", "required": ["id", "url", "title", "authors", "rating", "tags", "words", "chapters"], "properties": {
                    "id": {"type": "integer"}, "url": {"type": "string"}, "title": {"type": "string"}, "authors": links.clone(),
                    "rating": {"type": "string"},
                    "tags": {"type": "object", "description": "Canonical tags by kind (fandom, rating, warning, category, relationship, character, freeform).", "additionalProperties": links.clone()},
                    "summary": nullable_string.clone(), "words": {"type": "integer"}, "chapters": {"type": "integer"},
                    "chapters_total": {"type": ["integer", "null"]}, "complete": {"type": ["boolean", "null"]},
                    "language": nullable_string.clone(), "published": nullable_string.clone(), "updated": nullable_string.clone(),
                    "series": {"type": "array", "items": {"type": "object"}},
                    "snippet": {"type": "array", "description": "Search results only: where the query matched in the story text.", "items": {"type": "object", "properties": {"text": {"type": "string"}, "highlighted": {"type": "boolean"}}}},
                }},
                "Work": {"allOf": [{"$ref": "#/components/schemas/WorkCard"}, {"type": "object", "properties": {
                    "notes": nullable_string.clone(), "end_notes": nullable_string.clone(),
                    "chapter_index": {"type": "array", "items": {"type": "object", "properties": {"number": {"type": "integer"}, "title": nullable_string.clone(), "words": {"type": "integer"}, "url": {"type": "string"}}}},
                }}]},
                "Chapter": {"type": "object", "required": ["work_id", "number", "text", "html"], "properties": {
                    "work_id": {"type": "integer"}, "number": {"type": "integer"}, "title": nullable_string.clone(), "words": {"type": "integer"},
                    "text": {"type": "string"}, "html": {"type": "string"}, "notes_html": {"type": "string"}, "end_notes_html": {"type": "string"},
                    "previous": nullable_string.clone(), "next": nullable_string.clone(),
                }},
                "SearchResults": {"type": "object", "required": ["total", "page", "per_page", "works", "facets"], "properties": {
                    "total": {"type": "integer"}, "page": {"type": "integer"}, "per_page": {"type": "integer"}, "sort": {"type": "string"}, "order": {"type": "string"},
                    "works": {"type": "array", "items": {"$ref": "#/components/schemas/WorkCard"}},
                    "facets": {"type": "array", "items": {"type": "object", "properties": {"name": {"type": "string"}, "values": {"type": "array", "items": {"type": "object", "properties": {"name": {"type": "string"}, "works": {"type": "integer"}}}}}}},
                }},
                "WorkList": {"type": "object", "required": ["id", "name", "works"], "properties": {"id": {"type": "integer"}, "name": {"type": "string"}, "works": {"type": "array", "items": {"$ref": "#/components/schemas/WorkCard"}}}},
                "TagIndex": {"type": "object", "properties": {"kind": {"type": "string"}, "label": {"type": "string"}, "tags": {"type": "array", "items": {"type": "object", "properties": {"id": {"type": "integer"}, "name": {"type": "string"}, "works": {"type": "integer"}}}}}},
                "Tag": {"type": "object", "properties": {"id": {"type": "integer"}, "kind": {"type": "string"}, "name": {"type": "string"}, "synonyms": {"type": "array", "items": {"type": "string"}}, "parents": {"type": "array", "items": {"type": "object"}}, "works": {"type": "integer"}, "works_url": {"type": "string"}}},
            },
        },
    })
}
