//! Reading preferences: theme, font, size, line width and spacing, and whether a work opens on
//! one chapter or the entire work. Kept in one cookie and applied by the server as classes on
//! `<html>`, so they work without JavaScript and the first paint is already right.

use crate::layout::Page;
use crate::{AppState, WebError};
use askama::Template;
use axum::extract::{Query, State};
use axum::http::{HeaderMap, HeaderValue, header};
use axum::response::{IntoResponse, Redirect, Response};
use std::collections::HashMap;
use std::sync::Arc;

pub const COOKIE: &str = "reader";

/// One preference: its cookie key, its label, and its choices as (value, label). The first
/// choice is the default.
pub struct Setting {
    pub key: &'static str,
    pub label: &'static str,
    pub choices: &'static [(&'static str, &'static str)],
}

pub const SETTINGS: &[Setting] = &[
    Setting {
        key: "theme",
        label: "Theme",
        choices: &[("auto", "Follow my system"), ("light", "Light"), ("dark", "Dark"), ("sepia", "Sepia")],
    },
    Setting { key: "font", label: "Font", choices: &[("serif", "Serif"), ("sans", "Sans-serif"), ("mono", "Monospace")] },
    Setting {
        key: "size",
        label: "Text size",
        choices: &[("m", "Medium"), ("s", "Small"), ("l", "Large"), ("xl", "Extra large"), ("xxl", "Huge")],
    },
    Setting { key: "width", label: "Line width", choices: &[("medium", "Medium"), ("narrow", "Narrow"), ("wide", "Wide")] },
    Setting { key: "spacing", label: "Line spacing", choices: &[("normal", "Normal"), ("tight", "Tight"), ("loose", "Loose")] },
    Setting { key: "view", label: "A work opens on", choices: &[("chapter", "its first chapter"), ("entire", "the entire work")] },
];

/// The reader's choices, every one valid (unknown values fall back to the default).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Prefs {
    values: [&'static str; SETTINGS.len()],
}

impl Default for Prefs {
    fn default() -> Self {
        Prefs { values: std::array::from_fn(|i| SETTINGS[i].choices[0].0) }
    }
}

impl Prefs {
    pub fn from_headers(headers: &HeaderMap) -> Prefs {
        let mut prefs = Prefs::default();
        for value in headers.get_all(header::COOKIE) {
            let Ok(text) = value.to_str() else { continue };
            for pair in text.split(';') {
                if let Some((name, value)) = pair.trim().split_once('=')
                    && name == COOKIE
                {
                    prefs.apply(value.split('.').filter_map(|kv| kv.split_once('-')));
                }
            }
        }
        prefs
    }

    /// Takes valid (key, value) pairs; anything else is ignored.
    fn apply<'a>(&mut self, pairs: impl Iterator<Item = (&'a str, &'a str)>) {
        for (key, value) in pairs {
            if let Some(i) = SETTINGS.iter().position(|s| s.key == key)
                && let Some((v, _)) = SETTINGS[i].choices.iter().find(|(v, _)| *v == value)
            {
                self.values[i] = v;
            }
        }
    }

    pub fn get(&self, key: &str) -> &'static str {
        SETTINGS.iter().position(|s| s.key == key).map_or("", |i| self.values[i])
    }

    /// The chosen value of each setting, in [`SETTINGS`] order.
    pub fn values(&self) -> &[&'static str] {
        &self.values
    }

    /// `theme-dark`, `font-serif`, ...: each setting as `key-value`.
    fn pairs(&self) -> Vec<String> {
        SETTINGS.iter().zip(&self.values).map(|(s, v)| format!("{}-{v}", s.key)).collect()
    }

    /// `theme-dark font-serif size-m ...`: the classes on `<html>`.
    pub fn classes(&self) -> String {
        self.pairs().join(" ")
    }

    pub fn with(&self, key: &str, value: &str) -> Prefs {
        let mut prefs = self.clone();
        prefs.apply(std::iter::once((key, value)));
        prefs
    }

    /// The Set-Cookie value: a year, the whole site, never sent cross-site.
    pub fn cookie(&self) -> HeaderValue {
        let value = self.pairs().join(".");
        HeaderValue::from_str(&format!("{COOKIE}={value}; Path=/; Max-Age=31536000; SameSite=Lax; HttpOnly"))
            .unwrap_or_else(|_| HeaderValue::from_static("reader=; Path=/"))
    }
}

/// A local path to go back to after saving: only `/...` on this site, never `//host`.
pub fn local_path(path: Option<&str>) -> String {
    match path {
        Some(p) if p.starts_with('/') && !p.starts_with("//") && !p.contains('\\') && p.len() < 2000 => p.to_string(),
        _ => "/".to_string(),
    }
}

pub struct Choice {
    pub value: &'static str,
    pub label: &'static str,
    pub checked: bool,
}

pub struct SettingView {
    pub key: &'static str,
    pub label: &'static str,
    pub choices: Vec<Choice>,
}

#[derive(Template)]
#[template(path = "preferences.html")]
struct PreferencesPage {
    page: Page,
    settings: Vec<SettingView>,
    back: String,
}

pub async fn show(
    State(app): State<Arc<AppState>>,
    headers: HeaderMap,
    Query(q): Query<HashMap<String, String>>,
) -> Result<Response, WebError> {
    let prefs = Prefs::from_headers(&headers);
    let settings = SETTINGS
        .iter()
        .map(|s| SettingView {
            key: s.key,
            label: s.label,
            choices: s.choices.iter().map(|(value, label)| Choice { value, label, checked: prefs.get(s.key) == *value }).collect(),
        })
        .collect();
    let page = Page::new(&app, &prefs, "Reading settings");
    crate::html(PreferencesPage { page, settings, back: local_path(q.get("back").map(String::as_str)) })
}

/// Saves the form's choices in the cookie and goes back to the page the reader came from.
pub async fn save(headers: HeaderMap, body: String) -> Response {
    let mut prefs = Prefs::from_headers(&headers);
    let form: Vec<(String, String)> = form_urlencoded::parse(body.as_bytes()).into_owned().collect();
    prefs.apply(form.iter().map(|(k, v)| (k.as_str(), v.as_str())));
    let back = local_path(form.iter().find(|(k, _)| k == "back").map(|(_, v)| v.as_str()));
    let mut response = Redirect::to(&back).into_response();
    response.headers_mut().insert(header::SET_COOKIE, prefs.cookie());
    response
}

#[cfg(test)]
mod tests {
    use super::*;

    fn headers(cookie: &str) -> HeaderMap {
        let mut h = HeaderMap::new();
        h.insert(header::COOKIE, HeaderValue::from_str(cookie).unwrap());
        h
    }

    #[test]
    fn a_cookie_round_trips() {
        let prefs = Prefs::default().with("theme", "sepia").with("size", "xl").with("view", "entire");
        let cookie = prefs.cookie();
        let pair = cookie.to_str().unwrap().split(';').next().unwrap().to_string();
        assert_eq!(Prefs::from_headers(&headers(&format!("other=1; {pair}"))), prefs);
        assert_eq!(prefs.classes(), "theme-sepia font-serif size-xl width-medium spacing-normal view-entire");
    }

    #[test]
    fn hostile_or_unknown_values_fall_back_to_defaults() {
        let prefs = Prefs::from_headers(&headers("reader=theme-\"><script>.font-comic.size-l.bogus-1"));
        assert_eq!(prefs.get("theme"), "auto");
        assert_eq!(prefs.get("font"), "serif");
        assert_eq!(prefs.get("size"), "l");
    }

    #[test]
    fn only_local_paths_are_returned_to() {
        assert_eq!(local_path(Some("/works/3?view=entire")), "/works/3?view=entire");
        assert_eq!(local_path(Some("//evil.example/")), "/");
        assert_eq!(local_path(Some("https://evil.example/")), "/");
        assert_eq!(local_path(Some("/\\evil.example")), "/");
        assert_eq!(local_path(None), "/");
    }
}
