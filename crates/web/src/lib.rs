//! The web reader: HTML pages over an archive, served by axum.
//!
//! One module per resource (`pages::works`, `pages::tags`, ...), each turning a request into
//! calls on the store and the searcher and a template. Everything shared by every response
//! lives here: the router, the error pages, conditional GET, compression, security headers
//! and the bounds on requests.
//!
//! `/api/v1/...` answers the same questions as JSON (`pages::api`), described by the OpenAPI
//! document at `/api/openapi.json`.
//!
//! Architecture invariant: this crate reads the archive and never writes it (the one cookie it
//! sets is the reader's own). It holds no state a second server process would lack: any
//! number of servers can answer for one PostgreSQL archive.

pub mod assets;
pub mod cache;
pub mod layout;
pub mod pages;
pub mod prefs;
mod serve;

pub use serve::{Limits, serve};

use askama::Template;
use axum::Router;
use axum::body::{Body, Bytes};
use axum::extract::{Request, State};
use axum::http::{HeaderValue, Method, StatusCode, header};
use axum::middleware::{self, Next};
use axum::response::{Html, IntoResponse, Response};
use axum::routing::get;
use ficarchive_search::{SearchError, Searcher};
use ficarchive_store::{Archive, StoreError};
use std::sync::Arc;
use std::time::Duration;
use tower_http::compression::Predicate as _;
use tower_http::set_header::SetResponseHeaderLayer;

/// What every handler can reach.
pub struct AppState {
    pub archive: Archive,
    pub searcher: Searcher,
    pub assets: assets::Assets,
    /// The archive's name, shown in every page's header.
    pub name: String,
    /// Rendered pages (see [`cache`]).
    pub pages: cache::PageCache,
}

/// The most bytes of rendered pages kept in memory.
const PAGE_CACHE_BYTES: usize = 64 << 20;

impl AppState {
    /// Opens the search side for serving. Works still queued for the index are taken in first
    /// (unless an import is writing the index right now); the server then only reads the index
    /// and picks up what other processes commit (see [`refresh_index`]).
    pub async fn new(archive: Archive, name: &str) -> Result<AppState, SearchError> {
        {
            // An index of another version is rebuilt before serving (it is a copy of the
            // database); a damaged one stops the server with a message naming `reindex`.
            let (mut writer, rebuilt) = Searcher::open_rebuilding(&archive).await?;
            if let Some(works) = rebuilt {
                eprintln!("{}", Searcher::rebuilt_notice(works));
            }
            writer.catch_up_if_free(&archive).await?;
        }
        let searcher = Searcher::open(&archive)?;
        let pages = cache::PageCache::new(PAGE_CACHE_BYTES);
        Ok(AppState { archive, searcher, assets: assets::Assets::new(), name: name.to_string(), pages })
    }
}

/// Reloads the index every `every`, so works imported by another process appear without a
/// restart, and empties the page cache when the archive has changed.
pub async fn refresh_index(app: Arc<AppState>, every: Duration) {
    let mut tick = tokio::time::interval(every);
    let mut marker = None;
    loop {
        tick.tick().await;
        refresh(&app, &mut marker).await;
    }
}

/// One refresh: the index reloaded, and the page cache emptied when the archive's change
/// marker moved since `marker` (the last one seen).
pub async fn refresh(app: &AppState, marker: &mut Option<i64>) {
    app.searcher.reload();
    match app.archive.change_marker().await {
        Ok(now) if *marker != Some(now) => {
            if marker.is_some() {
                app.pages.clear();
            }
            *marker = Some(now);
        }
        Ok(_) => {}
        // Unknown state: keep nothing that could be stale.
        Err(_) => app.pages.clear(),
    }
}

/// An error a handler returns; [`error_pages`] turns it into a friendly page.
#[derive(Debug, thiserror::Error)]
pub enum WebError {
    #[error("{0}")]
    NotFound(String),
    #[error("{0}")]
    BadRequest(String),
    #[error("{0}")]
    Internal(String),
}

impl From<StoreError> for WebError {
    fn from(e: StoreError) -> Self {
        match e {
            StoreError::NotFound(m) => WebError::NotFound(m),
            other => WebError::Internal(other.to_string()),
        }
    }
}

impl From<SearchError> for WebError {
    fn from(e: SearchError) -> Self {
        match e {
            SearchError::Store(s) => s.into(),
            other => WebError::Internal(other.to_string()),
        }
    }
}

impl From<askama::Error> for WebError {
    fn from(e: askama::Error) -> Self {
        WebError::Internal(format!("a page could not be rendered: {e}"))
    }
}

/// The message an error page shows, carried from the handler to [`error_pages`].
#[derive(Clone)]
struct ErrorMessage(String);

impl IntoResponse for WebError {
    fn into_response(self) -> Response {
        let status = match &self {
            WebError::NotFound(_) => StatusCode::NOT_FOUND,
            WebError::BadRequest(_) => StatusCode::BAD_REQUEST,
            WebError::Internal(_) => StatusCode::INTERNAL_SERVER_ERROR,
        };
        let message = match &self {
            // Internal details stay in the server's log, not on the page.
            WebError::Internal(m) => {
                eprintln!("ficarchive serve: {m}");
                "The server could not answer this request. Please try again later.".to_string()
            }
            other => other.to_string(),
        };
        let mut response = status.into_response();
        response.extensions_mut().insert(ErrorMessage(message));
        response
    }
}

/// Renders a template as an HTML response.
pub fn html(template: impl Template) -> Result<Response, WebError> {
    Ok(Html(template.render()?).into_response())
}

/// Turns every error response into a page in the site's frame and the reader's theme.
async fn error_pages(State(app): State<Arc<AppState>>, request: Request, next: Next) -> Response {
    let prefs = prefs::Prefs::from_headers(request.headers());
    let response = next.run(request).await;
    let status = response.status();
    if let Some(ErrorMessage(message)) = response.extensions().get::<ErrorMessage>().cloned() {
        return layout::error_page(&app, &prefs, status, &message);
    }
    // Errors from outside a handler (a body too large, a malformed path) get the same frame.
    if (status.is_client_error() || status.is_server_error()) && !is_page_or_json(&response) {
        let message = match status {
            StatusCode::NOT_FOUND => "There is nothing at this address.",
            StatusCode::PAYLOAD_TOO_LARGE => "That request was too large.",
            StatusCode::METHOD_NOT_ALLOWED => "That kind of request is not accepted here.",
            _ => "The request could not be answered.",
        };
        return layout::error_page(&app, &prefs, status, message);
    }
    response
}

/// An HTML page or a JSON answer (what handlers write), as against a bare status from a layer.
fn is_page_or_json(response: &Response) -> bool {
    response
        .headers()
        .get(header::CONTENT_TYPE)
        .is_some_and(|v| v.as_bytes().starts_with(b"text/html") || v.as_bytes().starts_with(b"application/json"))
}

/// The largest page the conditional-GET layer will hash; bigger pages go out without an ETag.
const MAX_HASHED_BODY: usize = 32 * 1024 * 1024;

/// Conditional GET: a page's ETag is the hash of its bytes (so it changes exactly when the
/// page does, whatever changed it: the work, the templates, the reader's settings), and a
/// request that already has those bytes gets `304 Not Modified` without the body.
///
/// Pages are served from the page cache when it holds them ([`cache`]), and kept there after
/// they are rendered, with their ETag.
async fn conditional_get(State(app): State<Arc<AppState>>, request: Request, next: Next) -> Response {
    let is_read = matches!(*request.method(), Method::GET | Method::HEAD);
    let known = request.headers().get(header::IF_NONE_MATCH).cloned();
    // The key [`cached_pages`] looked for; this page was not in the cache then.
    let key = request.extensions().get::<PageKey>().map(|k| k.0.clone());
    let response = next.run(request).await;
    let hashable = response.status() == StatusCode::OK && is_page_or_json(&response);
    if !is_read || !hashable {
        return response;
    }
    let (mut parts, body) = response.into_parts();
    let Ok(bytes) = axum::body::to_bytes(body, MAX_HASHED_BODY).await else {
        return (StatusCode::INTERNAL_SERVER_ERROR, "page too large").into_response();
    };
    let tag = format!("W/\"{:016x}\"", page_hash(&bytes));
    let etag = HeaderValue::from_str(&tag).unwrap_or_else(|_| HeaderValue::from_static("W/\"0\""));
    if let Some(key) = key
        && !parts.headers.contains_key(header::SET_COOKIE)
        && let Some(content_type) = parts.headers.get(header::CONTENT_TYPE)
    {
        // A copy of exactly the page's length: the rendered string's buffer can be twice that,
        // and the cache's bound counts page bytes.
        app.pages.insert(key, cache::CachedPage::new(content_type.clone(), etag.clone(), Bytes::copy_from_slice(&bytes)));
    }
    if etag_matches(known.as_ref(), &etag) {
        return not_modified(etag);
    }
    set_validators(&mut parts.headers, etag);
    Response::from_parts(parts, Body::from(bytes))
}

/// The page-cache key of a GET request, handed from [`cached_pages`] to [`conditional_get`].
#[derive(Clone)]
struct PageKey(String);

/// The fast path for a page in the cache, outside every other layer: a kept page is answered
/// here with the headers those layers would have added ([`SECURITY_HEADERS`], and gzip, made
/// once per page, for clients that accept it). Anything else goes on down the stack, where
/// [`conditional_get`] keeps what the handlers render.
async fn cached_pages(State(app): State<Arc<AppState>>, mut request: Request, next: Next) -> Response {
    if *request.method() != Method::GET {
        return next.run(request).await;
    }
    let key = page_key(&request);
    let Some(page) = app.pages.get(&key) else {
        request.extensions_mut().insert(PageKey(key));
        return next.run(request).await;
    };
    let mut response = if etag_matches(request.headers().get(header::IF_NONE_MATCH), &page.etag) {
        not_modified(page.etag.clone())
    } else {
        let gzip = accepts_gzip(request.headers());
        let mut response = Response::new(Body::from(if gzip { app.pages.gzip(&page).clone() } else { page.body.clone() }));
        let headers = response.headers_mut();
        headers.insert(header::CONTENT_TYPE, page.content_type.clone());
        set_validators(headers, page.etag.clone());
        if gzip {
            headers.insert(header::CONTENT_ENCODING, HeaderValue::from_static("gzip"));
        }
        response
    };
    let headers = response.headers_mut();
    headers.insert(header::VARY, HeaderValue::from_static("Cookie, Accept-Encoding"));
    for (name, value) in SECURITY_HEADERS {
        headers.insert(name, HeaderValue::from_static(value));
    }
    response
}

/// Whether `Accept-Encoding` allows gzip (listed, or `*`, without `q=0`).
fn accepts_gzip(headers: &axum::http::HeaderMap) -> bool {
    headers.get_all(header::ACCEPT_ENCODING).iter().filter_map(|v| v.to_str().ok()).flat_map(|v| v.split(',')).any(|coding| {
        let mut parts = coding.split(';').map(str::trim);
        let name = parts.next().unwrap_or("");
        let refused = parts.any(|p| p.strip_prefix("q=").and_then(|q| q.trim().parse::<f32>().ok()) == Some(0.0));
        (name.eq_ignore_ascii_case("gzip") || name == "*") && !refused
    })
}

/// A page's fingerprint for its ETag. SipHash, not SHA-256: nobody gains by forging a
/// collision with their own cache, and hashing was a tenth of rendering a chapter page.
/// Deterministic (fixed keys), so every server of one archive gives a page the same ETag.
fn page_hash(bytes: &[u8]) -> u64 {
    use std::hash::Hasher;
    let mut hasher = std::hash::DefaultHasher::new();
    hasher.write(bytes);
    hasher.finish()
}

/// What a page depends on besides the archive: address, reading settings, host and scheme.
/// Built by hand rather than with `format!`: it is computed for every GET, and building it with
/// `format!` and the settings' class string was about a tenth of a cached answer's profile.
fn page_key(request: &Request) -> String {
    let headers = request.headers();
    let header = |name: &str| headers.get(name).and_then(|v| v.to_str().ok()).unwrap_or("");
    let uri = request.uri();
    let authority = uri.authority().map_or("", |a| a.as_str());
    let target = uri.path_and_query().map_or("", |p| p.as_str());
    let (host, scheme) = (header("host"), header("x-forwarded-proto"));
    let mut key = String::with_capacity(authority.len() + target.len() + host.len() + scheme.len() + 64);
    for part in [authority, target, "\n", host, "\n", scheme, "\n"] {
        key.push_str(part);
    }
    for value in prefs::Prefs::from_headers(headers).values() {
        key.push_str(value);
        key.push(' ');
    }
    key
}

fn etag_matches(known: Option<&HeaderValue>, etag: &HeaderValue) -> bool {
    let tag = etag.to_str().unwrap_or("").trim_start_matches("W/");
    known.and_then(|v| v.to_str().ok()).is_some_and(|v| v.split(',').map(str::trim).any(|c| c == "*" || c.trim_start_matches("W/") == tag))
}

fn not_modified(etag: HeaderValue) -> Response {
    let mut response = StatusCode::NOT_MODIFIED.into_response();
    set_validators(response.headers_mut(), etag);
    response
}

/// What every page answer says about caching: its ETag, that it must be revalidated, and that
/// it depends on the cookie (the reading settings).
fn set_validators(headers: &mut axum::http::HeaderMap, etag: HeaderValue) {
    headers.insert(header::ETAG, etag);
    headers.insert(header::CACHE_CONTROL, HeaderValue::from_static("no-cache"));
    headers.insert(header::VARY, HeaderValue::from_static("Cookie"));
}

/// The most bytes of request headers accepted. hyper bounds its read buffer, but a header
/// block that arrives in one read is parsed whole, so the bound is checked here as well.
const MAX_HEADER_BYTES: usize = 32 * 1024;

async fn bounded_headers(request: Request, next: Next) -> Response {
    let size: usize = request.headers().iter().map(|(name, value)| name.as_str().len() + value.len() + 4).sum();
    if size > MAX_HEADER_BYTES || request.uri().to_string().len() > MAX_HEADER_BYTES {
        return (StatusCode::REQUEST_HEADER_FIELDS_TOO_LARGE, "request headers too large").into_response();
    }
    next.run(request).await
}

/// Headers on every response. Scripts and styles come only from this site's own files: no
/// inline script anywhere.
const SECURITY_HEADERS: [(header::HeaderName, &str); 4] = [
    (
        header::CONTENT_SECURITY_POLICY,
        "default-src 'self'; img-src 'self' data:; style-src 'self'; script-src 'self'; \
         object-src 'none'; base-uri 'none'; form-action 'self'; frame-ancestors 'none'",
    ),
    (header::X_CONTENT_TYPE_OPTIONS, "nosniff"),
    (header::REFERRER_POLICY, "same-origin"),
    (header::X_FRAME_OPTIONS, "DENY"),
];

/// The largest request body accepted (the settings form is a few hundred bytes).
const MAX_REQUEST_BODY: usize = 16 * 1024;

pub fn router(app: Arc<AppState>) -> Router {
    let mut router = Router::new()
        .route("/", get(pages::home::show))
        .route("/works", get(pages::search::all_works))
        .route("/works/{id}", get(pages::works::work))
        .route("/works/{id}/chapters", get(pages::works::chapter_jump))
        .route("/works/{id}/chapters/{place}", get(pages::works::chapter))
        .route("/works/{id}/{file}", get(pages::downloads::download))
        .route("/tags", get(pages::tags::index))
        .route("/tags/{id}", get(pages::tags::show))
        .route("/series", get(pages::series::index))
        .route("/series/{id}", get(pages::series::show))
        .route("/authors", get(pages::authors::index))
        .route("/authors/{id}", get(pages::authors::show))
        .route("/search", get(pages::search::show))
        .route("/preferences", get(prefs::show).post(prefs::save))
        .route("/static/{file}", get(assets::serve))
        .route("/opds", get(pages::opds::root))
        .route("/opds/search.xml", get(pages::opds::opensearch))
        .route("/opds/recent", get(pages::opds::recent))
        .route("/opds/works", get(pages::opds::works))
        .route("/opds/fandoms", get(pages::opds::fandoms))
        .route("/opds/ratings", get(pages::opds::ratings))
        .route("/opds/series", get(pages::opds::series_index))
        .route("/opds/series/{id}", get(pages::opds::series))
        .route("/opds/authors", get(pages::opds::author_index))
        .route("/opds/authors/{id}", get(pages::opds::author))
        .merge(pages::api::routes())
        .fallback(|| async { WebError::NotFound("There is nothing at this address.".into()) })
        .layer(middleware::from_fn_with_state(app.clone(), conditional_get))
        .layer(middleware::from_fn_with_state(app.clone(), error_pages))
        .layer(tower_http::limit::RequestBodyLimitLayer::new(MAX_REQUEST_BODY))
        .layer(middleware::from_fn(bounded_headers));
    for (name, value) in SECURITY_HEADERS {
        router = router.layer(SetResponseHeaderLayer::if_not_present(name, HeaderValue::from_static(value)));
    }
    router
        // EPUB files are zips already.
        .layer(
            tower_http::compression::CompressionLayer::new().compress_when(
                tower_http::compression::DefaultPredicate::new()
                    .and(tower_http::compression::predicate::NotForContentType::const_new("application/epub+zip")),
            ),
        )
        .layer(tower_http::timeout::TimeoutLayer::with_status_code(StatusCode::SERVICE_UNAVAILABLE, Duration::from_secs(30)))
        .layer(tower_http::catch_panic::CatchPanicLayer::new())
        .layer(middleware::from_fn_with_state(app.clone(), cached_pages))
        .with_state(app)
}
