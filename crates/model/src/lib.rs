//! The shapes every ficarchive crate shares: a parsed [`Work`], its [`Chapter`]s, the story
//! [`Document`] model, ratings, and the public JSON work record ([`record`]).
//!
//! Architecture invariant: this crate holds data and pure functions over it. No I/O, no parsing
//! of raw files, no knowledge of any source site.

pub mod document;
pub mod rating;
pub mod record;
pub mod words;

pub use document::{Block, Document, Inline};
pub use rating::{Rating, RatingLevel};

use std::collections::BTreeMap;

/// The lower-case hex sha256 of some bytes: how sources are named everywhere.
pub fn sha256_hex(bytes: &[u8]) -> String {
    use sha2::Digest;
    let digest = sha2::Sha256::digest(bytes);
    let mut s = String::with_capacity(64);
    for b in digest {
        s.push_str(&format!("{b:02x}"));
    }
    s
}

/// What a parsed page is. Most pages are stories; the rest are recognised so that they are
/// never mistaken for an empty story.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default)]
pub enum PageKind {
    #[default]
    Work,
    /// An index of the works in a series (AO3 `/series/N`).
    SeriesIndex,
    /// An adult-content or login gate that holds no story text.
    Interstitial,
    /// An audio work page with no prose.
    Podfic,
    /// A list of works (search results, an author's works page).
    Listing,
    /// Nothing recognisable as a story.
    Unknown,
}

impl PageKind {
    pub const ALL: [PageKind; 6] =
        [PageKind::Work, PageKind::SeriesIndex, PageKind::Interstitial, PageKind::Podfic, PageKind::Listing, PageKind::Unknown];

    /// The kind named by [`PageKind::as_str`].
    pub fn from_name(name: &str) -> Option<PageKind> {
        PageKind::ALL.into_iter().find(|k| k.as_str() == name)
    }

    pub fn as_str(self) -> &'static str {
        match self {
            PageKind::Work => "work",
            PageKind::SeriesIndex => "series-index",
            PageKind::Interstitial => "interstitial",
            PageKind::Podfic => "podfic",
            PageKind::Listing => "listing",
            PageKind::Unknown => "unknown",
        }
    }
}

/// Membership of a work in a series, with its position when the source states one.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SeriesRef {
    pub name: String,
    pub part: Option<u32>,
}

/// One chapter as the source gives it. A chapter that the source only lists (in a chapter
/// index) has an empty body and `has_text == false`.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Chapter {
    pub number: u32,
    /// The chapter's own title, without a `Chapter N:` prefix; `None` when it has none or only
    /// the site's default name for its number.
    pub title: Option<String>,
    pub notes: Document,
    pub end_notes: Document,
    pub body: Document,
}

impl Chapter {
    pub fn has_text(&self) -> bool {
        !self.body.blocks.is_empty()
    }
    pub fn words(&self) -> u64 {
        words::count(&self.body.plain_text())
    }
    pub fn scene_breaks(&self) -> usize {
        self.body.blocks.iter().filter(|b| matches!(b, Block::SceneBreak)).count()
    }
}

/// Where a work came from: the files, their hashes, the layout recognised and the encoding
/// used to decode them.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Provenance {
    pub paths: Vec<String>,
    pub sha256: Vec<String>,
    /// The layout recognised, e.g. `ao3-work`, `ffn-chapter`, `text-header-block`.
    pub format: String,
    pub encoding: String,
}

/// A work as the importer understood it. Tag lists hold the values exactly as stated; wrangling
/// into canonical tags happens later.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Work {
    pub kind: PageKind,
    pub title: Option<String>,
    /// Used when `title` is `None`: a clearly marked stand-in derived from the file name.
    pub fallback_title: String,
    pub authors: Vec<String>,
    pub fandoms: Vec<String>,
    pub warnings: Vec<String>,
    pub categories: Vec<String>,
    pub relationships: Vec<String>,
    pub characters: Vec<String>,
    pub freeform_tags: Vec<String>,
    pub rating: Rating,
    pub language: Option<String>,
    pub summary: Option<String>,
    pub notes: Option<String>,
    pub end_notes: Option<String>,
    pub series: Vec<SeriesRef>,
    pub chapters: Vec<Chapter>,
    pub chapters_total: Option<u32>,
    pub complete: Option<bool>,
    pub words_stated: Option<u64>,
    pub published: Option<String>,
    pub updated: Option<String>,
    /// A site's own id for the work (`ao3:123`, `ffn:456`), used to join chapter files.
    pub site_id: Option<String>,
    pub extra: BTreeMap<String, String>,
    pub source: Provenance,
    pub diagnostics: Vec<String>,
}

impl Work {
    pub fn display_title(&self) -> &str {
        self.title.as_deref().unwrap_or(&self.fallback_title)
    }
    pub fn words(&self) -> u64 {
        self.chapters.iter().map(Chapter::words).sum()
    }
}
