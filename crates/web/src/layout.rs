//! What every page shares: the `<html>` classes from the reader's preferences, the asset
//! links, the site name and the page title; and the error pages.

use crate::AppState;
use crate::prefs::Prefs;
use askama::Template;
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};

/// The frame of a page, passed to every template as `page`.
pub struct Page {
    pub site: String,
    pub title: String,
    pub classes: String,
    pub css: String,
    pub js: String,
    /// `<link rel=prev/next>` targets, also used by the arrow-key script.
    pub prev: Option<String>,
    pub next: Option<String>,
    /// Where the settings page sends the reader back to.
    pub here: String,
}

impl Page {
    pub fn new(app: &AppState, prefs: &Prefs, title: &str) -> Page {
        Page {
            site: app.name.clone(),
            title: title.to_string(),
            classes: prefs.classes(),
            css: app.assets.url("app.css"),
            js: app.assets.url("app.js"),
            prev: None,
            next: None,
            here: "/".into(),
        }
    }

    pub fn at(mut self, here: impl Into<String>) -> Page {
        self.here = here.into();
        self
    }

    /// `/preferences?back=...` for this page.
    pub fn settings_link(&self) -> String {
        let back: String = form_urlencoded::byte_serialize(self.here.as_bytes()).collect();
        format!("/preferences?back={back}")
    }
}

#[derive(Template)]
#[template(path = "error.html")]
struct ErrorPage<'a> {
    page: Page,
    heading: &'a str,
    message: &'a str,
}

/// A friendly error page with links back into the archive.
pub fn error_page(app: &AppState, prefs: &Prefs, status: StatusCode, message: &str) -> Response {
    let heading = match status {
        StatusCode::NOT_FOUND => "Not found",
        StatusCode::BAD_REQUEST => "That request could not be understood",
        _ => "Something went wrong",
    };
    let page = Page::new(app, prefs, heading);
    match (ErrorPage { page, heading, message }).render() {
        Ok(html) => (status, [(axum::http::header::CONTENT_TYPE, "text/html; charset=utf-8")], html).into_response(),
        Err(_) => (status, message.to_string()).into_response(),
    }
}
