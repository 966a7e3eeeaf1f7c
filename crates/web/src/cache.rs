//! Rendered pages kept in memory, so that a page read again costs a lookup instead of a dozen
//! queries and a render (a chapter of a popular work is read over and over).
//!
//! What a page shows depends only on its address, the reader's settings cookie, the Host and
//! forwarded scheme (the OPDS search description), and the archive; the key holds the first
//! ones and [`crate::refresh_index`] empties the cache whenever the archive changes
//! (`Archive::change_marker`), so a page is never older than the refresh interval. Only
//! complete `200` answers without a `Set-Cookie` are kept. The cache is bounded by bytes (a
//! page's gzip form counts too, from when it is made): when a page would go over, everything
//! is dropped and it fills again with what is read.

use axum::body::Bytes;
use axum::http::HeaderValue;
use std::collections::HashMap;
use std::io::Write;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, OnceLock, RwLock};

/// Pages larger than this are not kept.
pub const MAX_PAGE_BYTES: usize = 1 << 20;

/// One kept answer.
pub struct CachedPage {
    pub content_type: HeaderValue,
    pub etag: HeaderValue,
    pub body: Bytes,
    /// The body gzip-compressed, made the first time a client that accepts gzip asks for it
    /// (compressing a 16 KB chapter costs more than the whole rest of a cached answer).
    gzip: OnceLock<Bytes>,
}

impl CachedPage {
    pub fn new(content_type: HeaderValue, etag: HeaderValue, body: Bytes) -> CachedPage {
        CachedPage { content_type, etag, body, gzip: OnceLock::new() }
    }
}

pub struct PageCache {
    pages: RwLock<HashMap<String, Arc<CachedPage>>>,
    bytes: AtomicUsize,
    limit: usize,
}

impl PageCache {
    pub fn new(limit: usize) -> PageCache {
        PageCache { pages: RwLock::new(HashMap::new()), bytes: AtomicUsize::new(0), limit }
    }

    pub fn get(&self, key: &str) -> Option<Arc<CachedPage>> {
        self.pages.read().ok()?.get(key).cloned()
    }

    /// The gzip form of a kept page's body, made once and counted against the bound (which
    /// the next insert enforces).
    pub fn gzip<'p>(&self, page: &'p CachedPage) -> &'p Bytes {
        page.gzip.get_or_init(|| {
            let mut encoder = flate2::write::GzEncoder::new(Vec::with_capacity(page.body.len() / 3), flate2::Compression::default());
            // Writing into a Vec cannot fail.
            let _ = encoder.write_all(&page.body);
            let mut compressed = encoder.finish().unwrap_or_default();
            compressed.shrink_to_fit();
            self.bytes.fetch_add(compressed.len(), Ordering::Relaxed);
            Bytes::from(compressed)
        })
    }

    /// Bytes of pages (keys, bodies and gzip forms) counted against the bound.
    pub fn bytes(&self) -> usize {
        self.bytes.load(Ordering::Relaxed)
    }

    pub fn insert(&self, key: String, page: CachedPage) {
        let size = key.len() + page.body.len();
        if page.body.len() > MAX_PAGE_BYTES || size > self.limit {
            return;
        }
        let Ok(mut pages) = self.pages.write() else { return };
        if self.bytes.load(Ordering::Relaxed) + size > self.limit {
            pages.clear();
            self.bytes.store(0, Ordering::Relaxed);
        }
        if let Some(old) = pages.insert(key, Arc::new(page)) {
            self.bytes.fetch_sub(old.body.len(), Ordering::Relaxed);
        }
        self.bytes.fetch_add(size, Ordering::Relaxed);
    }

    pub fn clear(&self) {
        if let Ok(mut pages) = self.pages.write() {
            pages.clear();
            self.bytes.store(0, Ordering::Relaxed);
        }
    }

    pub fn len(&self) -> usize {
        self.pages.read().map_or(0, |p| p.len())
    }

    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn page(body: &str) -> CachedPage {
        CachedPage::new(HeaderValue::from_static("text/html"), HeaderValue::from_static("W/\"x\""), Bytes::from(body.to_string()))
    }

    #[test]
    fn the_cache_keeps_pages_within_its_byte_bound() {
        let cache = PageCache::new(100);
        cache.insert("a".into(), page(&"x".repeat(40)));
        cache.insert("b".into(), page(&"y".repeat(40)));
        assert_eq!(cache.get("a").unwrap().body.len(), 40);
        assert_eq!(cache.len(), 2);
        // A third page would pass the bound: the cache starts again with it alone.
        cache.insert("c".into(), page(&"z".repeat(40)));
        assert!(cache.get("a").is_none() && cache.get("c").is_some());
        cache.insert("huge".into(), page(&"h".repeat(200)));
        assert!(cache.get("huge").is_none(), "a page over the whole bound is never kept");
        cache.clear();
        assert!(cache.is_empty());
    }

    #[test]
    fn the_gzip_form_inflates_to_the_page() {
        let text = "<p>The lamp was lit at dusk, as every night.</p>\n".repeat(200);
        let cache = PageCache::new(1 << 20);
        cache.insert("k".into(), page(&text));
        let kept = cache.get("k").unwrap();
        let before = cache.bytes();
        let gzip = cache.gzip(&kept);
        assert!(gzip.len() < text.len() / 10, "{} bytes", gzip.len());
        let mut inflated = String::new();
        std::io::Read::read_to_string(&mut flate2::read::GzDecoder::new(&gzip[..]), &mut inflated).unwrap();
        assert_eq!(inflated, text);
        assert!(std::ptr::eq(cache.gzip(&kept), gzip), "compressed once");
        assert_eq!(cache.bytes(), before + gzip.len(), "the gzip form counts against the bound, once");
    }
}
