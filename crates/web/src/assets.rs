//! Static assets, built into the binary and served under a content-hashed name
//! (`/static/app.3f9a1c2b7d.css`), so browsers may keep them for a year: a changed file gets a
//! new name.

use axum::extract::{Path, State};
use axum::http::{StatusCode, header};
use axum::response::{IntoResponse, Response};
use std::sync::Arc;

struct Asset {
    name: &'static str,
    content_type: &'static str,
    body: &'static [u8],
    hashed_name: String,
}

pub struct Assets {
    files: Vec<Asset>,
}

const FILES: &[(&str, &str, &[u8])] = &[
    ("app.css", "text/css; charset=utf-8", include_bytes!("../assets/app.css")),
    ("app.js", "text/javascript; charset=utf-8", include_bytes!("../assets/app.js")),
];

impl Assets {
    pub fn new() -> Assets {
        let files = FILES
            .iter()
            .map(|(name, content_type, body)| {
                let hash = &ficarchive_model::sha256_hex(body)[..12];
                let (stem, ext) = name.rsplit_once('.').unwrap_or((name, ""));
                Asset { name, content_type, body, hashed_name: format!("{stem}.{hash}.{ext}") }
            })
            .collect();
        Assets { files }
    }

    /// The URL of an asset by its plain name.
    pub fn url(&self, name: &str) -> String {
        self.files.iter().find(|a| a.name == name).map_or_else(|| format!("/static/{name}"), |a| format!("/static/{}", a.hashed_name))
    }
}

impl Default for Assets {
    fn default() -> Self {
        Assets::new()
    }
}

pub async fn serve(State(app): State<Arc<crate::AppState>>, Path(file): Path<String>) -> Response {
    match app.assets.files.iter().find(|a| a.hashed_name == file) {
        Some(asset) => {
            ([(header::CONTENT_TYPE, asset.content_type), (header::CACHE_CONTROL, "public, max-age=31536000, immutable")], asset.body)
                .into_response()
        }
        None => (StatusCode::NOT_FOUND, [(header::CACHE_CONTROL, "no-store")], "no such file").into_response(),
    }
}
