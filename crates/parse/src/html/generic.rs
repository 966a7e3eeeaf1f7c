//! Any other page: a story on a personal site or an archive nobody wrote an extractor for.
//!
//! - The story container is found by text density: every block's own text outside links
//!   counts for the block that holds it (its parent, for a paragraph) and half for the one
//!   above, and the heaviest block wins, unless an element named as a story container
//!   (`#storytext`, `.entry-content`, `<article>`...) holds at least half the page's text.
//! - Inside it, page furniture is left out: blocks whose text is mostly link text (menus,
//!   `« Previous | Index | Next »`, "Review this chapter"), forms, and blocks whose id or
//!   class names them as navigation, comments, sharing, footers or sidebars. A by-line
//!   (`by Name`, a link to the author) is never furniture.
//! - The title and by-line just above the container (its earlier siblings) are read with it.
//! - A chapter `<select>` (options `1. Title`, `Chapter 2: Title`) is the chapter list; the
//!   selected option is the page's own chapter.
//! - The title: a header block or title line in the text, then the page's first heading
//!   that is not the site's name, then the `<title>` with the site's name and chapter
//!   segments taken off (each fallback reported).
//!
//! Architecture invariant: two walks of the tree (weights, then lines), no recursion.

use super::{element_lines_where, first, sel, text_of};
use crate::draft::Draft;
use crate::lines::Line;
use crate::story::{self, ChapterParts};
use ego_tree::NodeId;
use ego_tree::iter::Edge;
use regex::Regex;
use scraper::{ElementRef, Html, Node};
use std::collections::HashMap;
use std::hash::{BuildHasherDefault, Hasher};

/// Node ids are small distinct integers: a multiply spreads them well enough, and SipHash
/// cost more than the walk that fills these maps.
#[derive(Default)]
struct NodeHasher(u64);

impl Hasher for NodeHasher {
    fn finish(&self) -> u64 {
        self.0
    }
    fn write(&mut self, bytes: &[u8]) {
        for &b in bytes {
            self.0 = (self.0.rotate_left(8) ^ u64::from(b)).wrapping_mul(0x9E37_79B9_7F4A_7C15);
        }
    }
    fn write_usize(&mut self, n: usize) {
        self.0 = (self.0 ^ n as u64).wrapping_mul(0x9E37_79B9_7F4A_7C15);
    }
}

type NodeMap<V> = HashMap<NodeId, V, BuildHasherDefault<NodeHasher>>;
use std::sync::LazyLock;

/// Elements whose own text makes them candidates for the story container.
const CONTAINERS: &[&str] =
    &["div", "td", "th", "article", "main", "section", "body", "blockquote", "center", "font", "span", "pre", "dd", "li", "form"];

/// Elements a paragraph of prose is: their text counts for the element around them.
const PARAGRAPHS: &[&str] = &["p", "h1", "h2", "h3", "h4", "h5", "h6", "li", "blockquote", "pre"];

/// Elements that can be page furniture when their text is mostly links.
const FURNITURE_CANDIDATES: &[&str] =
    &["div", "p", "ul", "ol", "table", "tr", "td", "li", "span", "center", "dl", "section", "aside", "footer", "header", "small", "font"];

/// Words in an id or class that name an element as page furniture.
const FURNITURE_NAMES: &[&str] = &[
    "nav",
    "navigation",
    "navbar",
    "menu",
    "breadcrumb",
    "breadcrumbs",
    "crumbs",
    "sidebar",
    "footer",
    "comments",
    "comment",
    "reviews",
    "share",
    "sharing",
    "social",
    "pagination",
    "pager",
    "chapnav",
    "storynav",
    "jumpmenu",
    "toolbar",
    "ads",
    "advert",
    "banner",
    "login",
    "copyright",
];

/// Containers that hold the story on many personal sites and blogs: elements with one of
/// these ids or classes, and `<article>` and `<main>`. Matched by hand, not by a CSS selector:
/// this test runs on every element of every generic page.
const CONTAINER_IDS: [&str; 5] = ["storytext", "story", "chapter", "content", "main"];
const CONTAINER_CLASSES: [&str; 7] = ["chapter", "storytext", "story", "entry-content", "post-body", "entry", "content"];

fn is_named_container(e: &scraper::node::Element) -> bool {
    matches!(e.name(), "article" | "main")
        || e.id().is_some_and(|id| CONTAINER_IDS.contains(&id))
        || e.classes().any(|c| CONTAINER_CLASSES.contains(&c))
}

/// What one walk of the page learns: each element's visible text and the part of it inside
/// links, and each block's score as a story container.
#[derive(Default)]
struct Weights {
    text: NodeMap<(usize, usize)>,
    score: NodeMap<usize>,
    /// Visible text of the whole page, and of each named container.
    total: usize,
    named: Vec<NodeId>,
}

fn visible(t: &str) -> usize {
    t.bytes().filter(|b| *b > b' ').count()
}

fn weigh(root: ElementRef<'_>) -> Weights {
    let mut w = Weights::default();
    // Open elements: (id, text, linked). Open blocks: (id, own unlinked text, the block
    // around it, the one around that).
    let mut open: Vec<(NodeId, usize, usize)> = Vec::new();
    let mut blocks: Vec<(NodeId, usize, bool)> = Vec::new();
    let mut block_parents: NodeMap<(Option<NodeId>, Option<NodeId>)> = NodeMap::default();
    let mut skip_depth = 0usize;
    let mut link_depth = 0usize;
    // Inside a block named as comments, navigation or a footer, prose does not make a story
    // container (a long comment thread under a journal entry).
    let mut furniture_depth = 0usize;
    for edge in root.traverse() {
        match edge {
            Edge::Open(node) => match node.value() {
                Node::Element(e) if skip_depth > 0 || matches!(e.name(), "script" | "style" | "noscript" | "template" | "head") => {
                    skip_depth += 1
                }
                Node::Element(e) => {
                    open.push((node.id(), 0, 0));
                    if furniture_depth > 0 || is_named_furniture(e) {
                        furniture_depth += 1;
                    }
                    if e.name() == "a" && e.attr("href").is_some() {
                        link_depth += 1;
                    }
                    if is_named_container(e) {
                        w.named.push(node.id());
                    }
                    let is_paragraph = PARAGRAPHS.contains(&e.name());
                    if is_paragraph || CONTAINERS.contains(&e.name()) {
                        let around = blocks.last().map(|b| b.0);
                        let above = blocks.len().checked_sub(2).map(|i| blocks[i].0);
                        block_parents.insert(node.id(), (around, above));
                        blocks.push((node.id(), 0, is_paragraph));
                    }
                }
                Node::Text(t) if skip_depth == 0 => {
                    let n = visible(t);
                    w.total += n;
                    if let Some(top) = open.last_mut() {
                        top.1 += n;
                        if link_depth > 0 {
                            top.2 += n;
                        }
                    }
                    if link_depth == 0
                        && let Some(b) = blocks.last_mut()
                    {
                        b.1 += n;
                    }
                }
                _ => {}
            },
            Edge::Close(node) => {
                let Node::Element(e) = node.value() else { continue };
                if skip_depth > 0 {
                    skip_depth -= 1;
                    continue;
                }
                if e.name() == "a" && e.attr("href").is_some() {
                    link_depth = link_depth.saturating_sub(1);
                }
                let in_furniture = furniture_depth > 0;
                furniture_depth = furniture_depth.saturating_sub(1);
                if let Some((id, text, linked)) = open.pop() {
                    w.text.insert(id, (text, linked));
                    if let Some(parent) = open.last_mut() {
                        parent.1 += text;
                        parent.2 += linked;
                    }
                }
                if blocks.last().is_some_and(|b| b.0 == node.id()) {
                    let (id, own, is_paragraph) = blocks.pop().expect("checked");
                    // Short bits of text (labels, menu words) say nothing about prose.
                    if own >= 40 && !in_furniture {
                        let (around, above) = block_parents.get(&id).copied().unwrap_or((None, None));
                        let holder = if is_paragraph { around } else { Some(id) };
                        let upper = if is_paragraph { above } else { around };
                        if let Some(h) = holder {
                            *w.score.entry(h).or_default() += own;
                        }
                        if let Some(u) = upper {
                            *w.score.entry(u).or_default() += own / 2;
                        }
                    }
                }
            }
        }
    }
    w
}

impl Weights {
    fn of(&self, e: &ElementRef<'_>) -> (usize, usize) {
        self.text.get(&e.id()).copied().unwrap_or((0, 0))
    }

    /// A block of page furniture: mostly link text, or named as navigation and the like.
    fn is_furniture(&self, e: &ElementRef<'_>) -> bool {
        let el = e.value();
        if !FURNITURE_CANDIDATES.contains(&el.name()) {
            return false;
        }
        let named = is_named_furniture(el);
        let (text, linked) = self.of(e);
        // The by-line test reads the element's text: only for the few that are otherwise
        // furniture, and short.
        (named && text < 2000 || text > 0 && text < 600 && linked * 2 >= text) && !is_by_line(e)
    }
}

/// An element whose id or class names it as furniture (`nav`, `comments`, `footer`...);
/// `wm-ipp` is the Wayback Machine's toolbar in an archived copy.
fn is_named_furniture(el: &scraper::node::Element) -> bool {
    // Runs on every element of a generic page: no allocation.
    el.id().into_iter().chain(el.classes()).any(|name| {
        name.as_bytes().get(..6).is_some_and(|p| p.eq_ignore_ascii_case(b"wm-ipp"))
            || name.split(['-', '_']).any(|word| FURNITURE_NAMES.iter().any(|f| f.eq_ignore_ascii_case(word)))
    })
}

static BY_LINE: LazyLock<Regex> =
    LazyLock::new(|| Regex::new(r"(?i)^\s*(?:by|written by|author:?|a story by|a fic by)\s+\S").expect("literal regex"));

fn is_by_line(e: &ElementRef<'_>) -> bool {
    // A by-line is a short element: never read the text of a large one.
    if e.descendants().take(64).count() == 64 {
        return false;
    }
    let text = text_of(*e);
    text.len() <= 120 && BY_LINE.is_match(&text)
}

/// The story container: a named container that holds half the page's text, else the block
/// with the most prose of its own.
fn container<'a>(doc: &'a Html, w: &Weights) -> Option<ElementRef<'a>> {
    let element = |id: NodeId| doc.tree.get(id).and_then(ElementRef::wrap);
    let named = w.named.iter().filter_map(|&id| element(id)).max_by_key(|e| w.of(e).0).filter(|e| w.of(e).0 * 2 >= w.total);
    if named.is_some() {
        return named;
    }
    w.score.iter().max_by_key(|(id, score)| (**score, std::cmp::Reverse(**id))).and_then(|(id, _)| element(*id))
}

/// Lines just above the container: its earlier siblings (the title, a by-line, a header
/// block), nearest eight, furniture left out; or, when it has none, its parent's.
fn lines_above(container: ElementRef<'_>, w: &Weights) -> Vec<Line> {
    let mut level = container;
    for _ in 0..2 {
        let siblings: Vec<ElementRef<'_>> = level.prev_siblings().filter_map(ElementRef::wrap).take(8).collect();
        let mut lines = Vec::new();
        for s in siblings.iter().rev() {
            if w.is_furniture(s) || s.value().name() == "form" || s.value().name() == "select" {
                continue;
            }
            lines.extend(element_lines_where(*s, |e| w.is_furniture(e)));
        }
        if !lines.is_empty() {
            return lines;
        }
        match level.parent().and_then(ElementRef::wrap) {
            Some(p) if p.value().name() != "body" && p.value().name() != "html" => level = p,
            _ => break,
        }
    }
    Vec::new()
}

static CHAPTER_OPTION: LazyLock<Regex> =
    LazyLock::new(|| Regex::new(r"(?i)^(?:chapter|ch\.?|part)?\s*(?P<n>\d{1,4})\s*(?:[.:)\-–]\s*(?P<title>.*))?$").expect("literal regex"));

/// What the page says about itself outside the story container, gathered in one walk of
/// the page (each `doc.select` is a walk of its own, and they added up to a fifth of the
/// generic reader's time).
#[derive(Default)]
struct PageFacts<'a> {
    /// `<meta>` values by lower-cased name or property (`og:title`, `author`, ...).
    metas: Vec<(String, String)>,
    title: Option<String>,
    headings: Vec<ElementRef<'a>>,
    selects: Vec<ElementRef<'a>>,
    /// Images marked as a logo, links home, logo blocks.
    logo_marks: Vec<ElementRef<'a>>,
    /// `rel=author` links, by-line and author blocks, journal user names.
    author_marks: Vec<ElementRef<'a>>,
}

impl<'a> PageFacts<'a> {
    fn gather(doc: &'a Html) -> PageFacts<'a> {
        let mut facts = PageFacts::default();
        for node in doc.tree.nodes() {
            let Some(e) = ElementRef::wrap(node) else { continue };
            let el = e.value();
            let has_class = |c: &str| el.classes().any(|x| x.eq_ignore_ascii_case(c));
            match el.name() {
                "meta" => {
                    if let (Some(key), Some(content)) = (el.attr("name").or(el.attr("property")), el.attr("content")) {
                        let content = crate::lines::clean_text(content);
                        if !content.is_empty() && facts.metas.len() < 64 {
                            facts.metas.push((key.to_ascii_lowercase(), content));
                        }
                    }
                }
                "title" if facts.title.is_none() => facts.title = Some(text_of(e)).filter(|t| !t.is_empty()),
                "h1" | "h2" => facts.headings.push(e),
                "select" => facts.selects.push(e),
                "img" => {
                    let marked = el.attr("class").into_iter().chain(el.attr("id")).any(|v| v.to_ascii_lowercase().contains("logo"));
                    if marked && el.attr("alt").is_some() {
                        facts.logo_marks.push(e);
                    }
                }
                "a" if el.attr("rel").is_some_and(|r| r.eq_ignore_ascii_case("author")) => facts.author_marks.push(e),
                "a" if el.attr("href") == Some("/") => facts.logo_marks.push(e),
                "span" if has_class("ljuser") => facts.author_marks.push(e),
                _ if has_class("byline") || has_class("author") => facts.author_marks.push(e),
                _ if el.id() == Some("logo") || has_class("logo") => facts.logo_marks.push(e),
                _ => {}
            }
        }
        facts
    }

    fn meta(&self, key: &str) -> Option<&str> {
        self.metas.iter().find(|(k, _)| k == key).map(|(_, v)| v.as_str())
    }

    /// Names the site goes by: `og:site_name`, `application-name`, the logo's alt text.
    fn site_names(&self) -> Vec<String> {
        let mut names: Vec<String> = ["og:site_name", "application-name"].iter().filter_map(|n| self.meta(n)).map(str::to_string).collect();
        let img = sel("img[alt]");
        let logos = self.logo_marks.iter().filter_map(|e| if e.value().name() == "img" { Some(*e) } else { super::first_in(*e, &img) });
        for img in logos.take(8) {
            if let Some(alt) = img.value().attr("alt").map(crate::lines::clean_text).filter(|a| !a.is_empty()) {
                names.push(alt);
            }
        }
        names
    }

    /// The author the page's mark-up names: the first link or bold name inside an author
    /// mark.
    fn marked_author(&self) -> Option<String> {
        let inner = sel("a, b");
        self.author_marks
            .iter()
            .filter_map(|e| if e.value().name() == "a" { Some(*e) } else { super::first_in(*e, &inner) })
            .map(text_of)
            .find(|t| !t.is_empty())
    }
}

/// A `<select>` of chapters: (every chapter's number and title, the selected one's number).
fn chapter_select(selects: &[ElementRef<'_>]) -> Option<(Vec<(u32, Option<String>)>, Option<u32>)> {
    let option = sel("option");
    for select in selects {
        let options: Vec<(String, bool)> =
            select.select(&option).map(|o| (text_of(o), o.value().attr("selected").is_some())).filter(|(t, _)| !t.is_empty()).collect();
        let chapters: Vec<(u32, Option<String>, bool)> = options
            .iter()
            .filter_map(|(text, selected)| {
                let c = CHAPTER_OPTION.captures(text)?;
                let n = c["n"].parse().ok()?;
                let title = c.name("title").map(|t| t.as_str().trim().to_string()).filter(|t| !t.is_empty());
                Some((n, title, *selected))
            })
            .collect();
        let rising = chapters.windows(2).all(|p| p[1].0 == p[0].0 + 1);
        if chapters.len() >= 2 && chapters.len() * 3 >= options.len() * 2 && rising {
            let selected = chapters.iter().find(|c| c.2).map(|c| c.0);
            return Some((chapters.into_iter().map(|(n, t, _)| (n, t)).collect(), selected));
        }
    }
    None
}

static CHAPTER_SEGMENT: LazyLock<Regex> = LazyLock::new(|| {
    Regex::new(r"(?i)^(?:chapter|ch\.?|part|page)\s*\d+\b|^(?:home|stories|story|fiction|fanfiction|fan fiction|archive|read)$")
        .expect("literal regex")
});

/// A `<title>`'s segments: `Site :: Stories :: Title :: Chapter 2` → four.
fn page_title_segments(page: &str) -> Vec<String> {
    let page = crate::lines::clean_text(page);
    let mut segments: Vec<String> = vec![page];
    for separator in [" :: ", " | ", " - ", " – ", " — ", " » "] {
        segments = segments.iter().flat_map(|s| s.split(separator)).map(str::trim).filter(|s| !s.is_empty()).map(str::to_string).collect();
    }
    segments
}

/// The `<title>` without the site's name and chapter segments: `Site :: Stories :: Title ::
/// Chapter 2` → `Title`.
fn title_from_page_title(page: &str, sites: &[String]) -> Option<String> {
    let segments = page_title_segments(page);
    if segments.len() <= 1 {
        return segments.into_iter().next();
    }
    segments.into_iter().find(|s| !sites.iter().any(|site| site.trim().eq_ignore_ascii_case(s)) && !CHAPTER_SEGMENT.is_match(s))
}

pub fn extract(doc: &Html, draft: &mut Draft) -> &'static str {
    let body = first(doc, &sel("body")).unwrap_or_else(|| doc.root_element());
    let w = weigh(body);
    let container = container(doc, &w).unwrap_or(body);
    let mut lines = if container.id() == body.id() { Vec::new() } else { lines_above(container, &w) };
    let above = lines.len();
    let left_out = std::cell::Cell::new(0usize);
    lines.extend(element_lines_where(container, |e| {
        let furniture = w.is_furniture(e);
        left_out.set(left_out.get() + usize::from(furniture));
        furniture
    }));
    if left_out.get() > 0 {
        let n = left_out.get();
        let blocks = if n == 1 { "a block" } else { "blocks" };
        let count = if n == 1 { String::new() } else { format!("{n} ") };
        draft.work.diagnostics.push(format!("left out {count}{blocks} of page furniture (links, menus) inside the story's container"));
    }
    if let Some(first) = lines.get_mut(above) {
        first.para_start = true;
    }
    // A header block further down (after site menus): start there.
    if let Some(start) = crate::header::header_block_below(&lines) {
        draft.work.diagnostics.push(format!("skipped {start} lines of page furniture before the story header"));
        lines.drain(..start);
        if let Some(first) = lines.first_mut() {
            first.para_start = true;
        }
    }
    let parts = story::parse(lines, &story::Options::default());
    let layout = if parts.header.is_some() { "html-header-block" } else { "html" };
    let facts = PageFacts::gather(doc);
    match chapter_select(&facts.selects) {
        Some((listed, selected)) if parts.chapters.len() == 1 => {
            let number = selected.unwrap_or(listed[0].0);
            let title = listed.iter().find(|(n, _)| *n == number).and_then(|(_, t)| t.clone());
            let chapter = draft.take_story_as_chapter(parts, number, title);
            for (n, t) in listed.into_iter().filter(|(n, _)| *n != number) {
                draft.push_chapter(ChapterParts { number: Some(n), title: t, ..ChapterParts::default() });
            }
            draft.work.chapters.push(chapter);
            draft.work.chapters.sort_by_key(|c| c.number);
            draft
                .work
                .diagnostics
                .push(format!("the page's chapter menu lists {} chapters; it holds chapter {number}", draft.work.chapters.len()));
        }
        _ => draft.take_story(parts),
    }
    // The page's heading, then its <title>: each fills the title when the text named none,
    // and is a diagnostic when it names another.
    let sites = facts.site_names();
    let heading = facts.headings.iter().filter(|h| !w.is_furniture(h)).map(|h| text_of(*h)).find(|t| {
        !t.is_empty() && t.chars().count() <= 150 && !sites.iter().any(|s| s.eq_ignore_ascii_case(t)) && !CHAPTER_SEGMENT.is_match(t)
    });
    if let Some(h) = heading {
        draft.offer_title(&h, "the page's heading");
    } else if let Some((page, which)) =
        facts.meta("og:title").map(|t| (t.to_string(), "og:title")).or_else(|| facts.title.clone().map(|t| (t, "<title>")))
    {
        match &draft.work.title {
            None => {
                if let Some(t) = title_from_page_title(&page, &sites) {
                    draft.offer_title(&t, "the page's <title>");
                    draft.work.diagnostics.push(format!("title taken from the page's {which}"));
                }
            }
            // A <title> that holds the title among the site's words agrees.
            Some(current) if page_title_segments(&page).iter().any(|s| crate::draft::same_name(s, current)) => {}
            Some(_) => draft.offer_title(&page, "the page's <title>"),
        }
    }
    // The author, when the text named none: the page's `author` meta, a link marked as the
    // author's, a journal's user name (LiveJournal, Dreamwidth).
    if draft.work.authors.is_empty() {
        let marked = facts.meta("author").map(str::to_string).or_else(|| facts.marked_author());
        if let Some(a) = marked.filter(|a| a.chars().count() <= 80 && !sites.iter().any(|s| s.eq_ignore_ascii_case(a))) {
            draft.offer_authors(&a, "the page's author mark-up");
        }
    }
    // A page's description is the story's summary, unless it describes the site.
    if draft.work.summary.is_none()
        && let Some(d) = facts.meta("description")
        && !sites.iter().any(|site| d.to_lowercase().contains(&site.to_lowercase()))
    {
        draft.set_summary(d);
    }
    layout
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn page_titles_lose_the_site_and_the_chapter() {
        let sites = vec!["Moonlit Shelf".to_string()];
        assert_eq!(
            title_from_page_title("Moonlit Shelf :: Stories :: Harbour Lights :: Chapter 2", &sites).as_deref(),
            Some("Harbour Lights")
        );
        assert_eq!(title_from_page_title("Harbour Lights | Moonlit Shelf", &sites).as_deref(), Some("Harbour Lights"));
        assert_eq!(title_from_page_title("Harbour Lights", &[]).as_deref(), Some("Harbour Lights"));
    }
}
