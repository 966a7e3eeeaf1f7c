//! `/works/ID/download.epub|html|txt`: a work's take-away copies, written on request by
//! `ficarchive-export` (the same bytes as `ficarchive export`).

use super::id;
use crate::{AppState, WebError};
use axum::extract::{Path, State};
use axum::http::{HeaderValue, header};
use axum::response::{IntoResponse, Response};
use ficarchive_export::{Book, Format};
use std::sync::Arc;

/// The download for `download.EXT`, or the cover for `cover.svg` (the EPUB's cover, which
/// the OPDS catalog shows).
pub async fn download(State(app): State<Arc<AppState>>, Path((segment, file)): Path<(String, String)>) -> Result<Response, WebError> {
    let not_found = || WebError::NotFound("There is nothing at this address.".into());
    let work = id(&segment, "work")?;
    if file == "cover.svg" {
        let card =
            app.archive.work_cards(&[work]).await?.pop().ok_or_else(|| WebError::NotFound("There is no work with this id.".into()))?;
        let svg = ficarchive_export::cover_svg(&card);
        return Ok(([(header::CONTENT_TYPE, HeaderValue::from_static("image/svg+xml"))], svg).into_response());
    }
    let format = file.strip_prefix("download.").and_then(Format::from_extension).ok_or_else(not_found)?;
    let book =
        Book::load(&app.archive, work, &app.name).await?.ok_or_else(|| WebError::NotFound("There is no work with this id.".into()))?;
    let bytes = ficarchive_export::write(&book, format);
    let name = format!("{}.{}", book.file_stem(), format.extension());
    Ok((
        [(header::CONTENT_TYPE, HeaderValue::from_static(format.media_type())), (header::CONTENT_DISPOSITION, content_disposition(&name))],
        bytes,
    )
        .into_response())
}

/// `attachment` with the file name twice: plain ASCII for old clients, and RFC 8187's
/// `filename*` (UTF-8, percent-encoded) for titles in any script.
fn content_disposition(name: &str) -> HeaderValue {
    let ascii: String = name.chars().map(|c| if c.is_ascii_alphanumeric() || ".-_".contains(c) { c } else { '_' }).collect();
    let mut encoded = String::new();
    for byte in name.bytes() {
        if byte.is_ascii_alphanumeric() || b".-_~".contains(&byte) {
            encoded.push(byte as char);
        } else {
            encoded.push_str(&format!("%{byte:02X}"));
        }
    }
    HeaderValue::from_str(&format!("attachment; filename=\"{ascii}\"; filename*=UTF-8''{encoded}"))
        .unwrap_or_else(|_| HeaderValue::from_static("attachment"))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn file_names_survive_any_script() {
        assert_eq!(
            content_disposition("Tea-by-the-River-5.epub"),
            "attachment; filename=\"Tea-by-the-River-5.epub\"; filename*=UTF-8''Tea-by-the-River-5.epub"
        );
        assert_eq!(
            content_disposition("Ночь-7.txt"),
            "attachment; filename=\"____-7.txt\"; filename*=UTF-8''%D0%9D%D0%BE%D1%87%D1%8C-7.txt"
        );
    }
}
