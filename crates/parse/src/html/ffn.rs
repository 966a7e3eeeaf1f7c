//! FanFiction.Net chapter pages, every layout era (about 2002, 2005, 2009, current).
//!
//! What differs between eras is where things sit; what they say is stable: a stats line
//! `Rated: … - English - Genre - Characters - … - Complete - id:N`, a chapter `<select>` of
//! `N. Title`, and the text in `#storytext`. FanFiction.Net writes no `Complete` for a story in
//! progress, so its absence means in progress.

use super::{element_lines, first, meta_content, page_title, sel, text_of};
use crate::draft::{Authority, Draft, parse_count};
use crate::story::{self, ChapterParts};
use regex::Regex;
use scraper::Html;
use std::sync::LazyLock;

static STATS: LazyLock<Regex> =
    LazyLock::new(|| Regex::new(r"(?s)Rated:\s*(?P<stats>.{1,700}?)\bid:\s*(?P<id>\d+)").expect("literal regex"));
static TITLE: LazyLock<Regex> = LazyLock::new(|| {
    Regex::new(r"^(?P<title>.+?)(?:\s+Chapter\s+\d+(?::[^,]*)?)?,\s+an?\s+(?P<fandom>.+?)\s+(?P<kind>fanfic|FanFiction|fan fiction|fiction|poetry)\b")
        .expect("literal regex")
});
static JS_VAR: LazyLock<Regex> =
    LazyLock::new(|| Regex::new(r#"var\s+(summary|cat_title|author|title)\s*=\s*'((?:[^'\\]|\\.)*)'"#).expect("literal regex"));
static STORY_URL: LazyLock<Regex> = LazyLock::new(|| Regex::new(r"/s/(\d+)/(\d+)").expect("literal regex"));
static TITLE_CHAPTER: LazyLock<Regex> =
    LazyLock::new(|| Regex::new(r"\sChapter\s+(?P<n>\d+)(?::\s*(?P<title>[^,]+))?,\s+an?\s").expect("literal regex"));
static OPTION_NUMBER: LazyLock<Regex> = LazyLock::new(|| Regex::new(r"^(\d+)\.\s*(.*)$").expect("literal regex"));
static DESCRIPTION_PREFIX: LazyLock<Regex> =
    LazyLock::new(|| Regex::new(r"^Chapter \d+ of an? .*?(?:fanfiction|fanfic)(?: with characters .*?\.)?\.?\s+").expect("literal regex"));

const GENRES: &[&str] = &[
    "adventure",
    "angst",
    "crime",
    "drama",
    "family",
    "fantasy",
    "friendship",
    "general",
    "horror",
    "humor",
    "hurt/comfort",
    "mystery",
    "parody",
    "poetry",
    "romance",
    "sci-fi",
    "spiritual",
    "supernatural",
    "suspense",
    "tragedy",
    "western",
];

/// The story text's container in every layout: `#storytext` (desktop), `#storycontent`
/// (the mobile site, `m.fanfiction.net`).
const STORY_TEXT: &str = "#storytext, .storytext, #storycontent, .storycontent";

fn names_the_site(text: &str) -> bool {
    let lower = text.to_ascii_lowercase();
    lower.contains("fanfiction.net") || lower.contains("fictionpress.com") || lower.contains("fictionratings.com")
}

pub fn is_ffn(doc: &Html, text: &str) -> bool {
    if !names_the_site(text) {
        return false;
    }
    // Desktop pages carry the stats line; mobile pages may show only the title, the author
    // and the text.
    let desktop = first(doc, &sel("#storytext, #storytextp, .storytext")).is_some() && STATS.is_match(text);
    desktop || first(doc, &sel("#storycontent, .storycontent")).is_some()
}

pub fn extract(doc: &Html, raw: &str, draft: &mut Draft) -> &'static str {
    let js: Vec<(String, String)> =
        JS_VAR.captures_iter(raw).map(|c| (c[1].to_string(), c[2].replace("\\'", "'").replace("\\\"", "\""))).collect();
    let js_var = |k: &str| js.iter().find(|(n, _)| n == k).map(|(_, v)| v.clone()).filter(|v| !v.is_empty());

    // Title and fandom.
    if let Some(t) = first(doc, &sel("#profile_top b.xcontrast_txt, #profile_top b")) {
        draft.set_title(&text_of(t));
    }
    // Older layouts: a breadcrumb "Books » Harry Potter » <b>Title</b>".
    if let Some(b) = doc.select(&sel("b")).find(|b| b.prev_siblings().take(3).any(|s| s.value().as_text().is_some_and(|t| t.contains('»'))))
    {
        draft.set_title(&text_of(b));
    }
    let page = page_title(doc).unwrap_or_default();
    // The 2002 layout: "FanFiction.Net : Story : Title".
    if let Some(t) = page.strip_prefix("FanFiction.Net : Story : ").map(str::trim).filter(|t| !t.is_empty()) {
        draft.set_title(t);
    }
    // FictionPress, the sister site, holds original fiction: its category is a genre.
    let fictionpress = raw.to_ascii_lowercase().contains("fictionpress.com");
    if let Some(c) = TITLE.captures(&page) {
        draft.set_title(&c["title"]);
        let fandom = c["fandom"].trim().trim_end_matches(" Crossover");
        if fictionpress || matches!(&c["kind"], "fiction" | "poetry") {
            draft.work.fandoms = vec!["Original Work".to_string()];
            draft.work.freeform_tags.push(fandom.to_string());
        } else {
            draft.work.fandoms = fandom.split(" + ").map(|f| f.trim().to_string()).collect();
        }
    }
    // The mobile site: `<div align=center><b>Title</b> by <a href=/u/..>Author</a></div>`.
    if draft.work.title.is_none()
        && let Some(b) = doc.select(&sel("div[align=center] > b")).next()
    {
        draft.set_title(&text_of(b));
    }
    if draft.work.fandoms.is_empty() && fictionpress {
        draft.work.fandoms = vec!["Original Work".to_string()];
    }
    if draft.work.fandoms.is_empty() {
        if let Some(f) = js_var("cat_title") {
            draft.work.fandoms = vec![f];
        } else if let Some(a) = doc.select(&sel("#pre_story_links a, a[href]")).rfind(|a| is_category_link(a.value().attr("href"))) {
            draft.work.fandoms = vec![text_of(a)];
        } else if let Some(a) = first(doc, &sel("a[href*='list.php?categoryid=']")) {
            // The 2002 layout links the fandom as a category list.
            draft.work.fandoms = vec![text_of(a)];
        }
    }

    // Author.
    // `/u/N/name` from 2005 on; `profile.php?userid=N` in the 2002 layout.
    if let Some(a) = doc.select(&sel("a[href^='/u/'], a[href*='profile.php?userid=']")).map(text_of).find(|t| !t.is_empty()) {
        draft.add_authors(&a);
    } else if let Some(a) = js_var("author") {
        draft.add_authors(&a);
    }

    // Summary: the profile block, the page script, or the meta description.
    if let Some(s) = first(doc, &sel("#profile_top div.xcontrast_txt")) {
        draft.set_summary(&text_of(s));
    } else if let Some(s) = js_var("summary") {
        draft.set_summary(&s);
    } else if let Some(d) = meta_content(doc, "description") {
        let s = DESCRIPTION_PREFIX.replace(&d, "");
        if s.len() < d.len() {
            draft.set_summary(&s);
        }
    }

    // The stats line.
    let body_text = text_of(doc.root_element());
    let mut complete = false;
    let stats = STATS.captures(&body_text);
    if let Some(c) = &stats {
        let site = if fictionpress { "fictionpress" } else { "ffn" };
        draft.work.site_id = Some(format!("{site}:{}", &c["id"]));
        let segments: Vec<&str> = c["stats"].split(" - ").map(str::trim).filter(|s| !s.is_empty()).collect();
        let mut plain_index = 0;
        for (i, seg) in segments.iter().enumerate() {
            if i == 0 {
                draft.set_rating(seg.trim_start_matches("Fiction").trim());
                continue;
            }
            if let Some((label, value)) = seg.split_once(':') {
                let value = value.trim();
                match label.trim().to_lowercase().as_str() {
                    "words" => draft.work.words_stated = parse_count(value),
                    "chapters" => draft.work.chapters_total = parse_count(value).and_then(|n| u32::try_from(n).ok()),
                    "updated" => draft.work.updated = crate::dates::parse_date(value),
                    "published" => draft.work.published = crate::dates::parse_date(value),
                    "status" => complete |= value.eq_ignore_ascii_case("complete"),
                    _ => {}
                }
                continue;
            }
            if seg.eq_ignore_ascii_case("complete") {
                complete = true;
                continue;
            }
            match plain_index {
                0 => draft.work.language = Some(seg.to_string()),
                _ if is_genre_list(seg) => {
                    draft.work.freeform_tags.extend(seg.split('/').map(|g| g.trim().to_string()).filter(|g| !g.is_empty()).fold(
                        Vec::new(),
                        |mut acc, g| {
                            // "Hurt/Comfort" is one genre.
                            if g.eq_ignore_ascii_case("comfort") && acc.last().is_some_and(|l: &String| l.eq_ignore_ascii_case("hurt")) {
                                let last = acc.pop().unwrap_or_default();
                                acc.push(format!("{last}/{g}"));
                            } else {
                                acc.push(g);
                            }
                            acc
                        },
                    ))
                }
                _ => read_characters(seg, draft),
            }
            plain_index += 1;
        }
    }
    // No `Complete` in a stats line means in progress; a page without the line says nothing.
    if stats.is_some() {
        draft.state_complete(
            Authority::Site,
            complete,
            if complete { "FanFiction.Net: Complete" } else { "FanFiction.Net: no Complete mark" },
        );
    }

    // Chapter index: the first chapter <select> on the page.
    let select = first(doc, &sel("select#chap_select, select[name=chapter]"));
    let mut chapters: Vec<ChapterParts> = Vec::new();
    let mut current = 1;
    if let Some(select) = select {
        for o in select.select(&sel("option")) {
            let text = text_of(o);
            let Some(c) = OPTION_NUMBER.captures(&text) else {
                continue;
            };
            let Ok(n) = c[1].parse::<u32>() else { continue };
            if o.value().attr("selected").is_some() {
                current = n;
            }
            let title = c[2].trim().to_string();
            chapters.push(ChapterParts { number: Some(n), title: (!title.is_empty()).then_some(title), ..ChapterParts::default() });
        }
    }
    // Without a chapter menu (the mobile site), the page's address and <title> say which
    // chapter it holds: `/s/ID/2/`, `Title Chapter 2: Ebb, a … fanfic`.
    if chapters.is_empty() {
        let address = ["link[rel=canonical]", "meta[property='og:url']"]
            .iter()
            .find_map(|s| first(doc, &sel(s)).and_then(|e| e.value().attr("href").or(e.value().attr("content"))).map(str::to_string));
        if let Some(c) = address.as_deref().and_then(|a| STORY_URL.captures(a)) {
            if draft.work.site_id.is_none() {
                draft.work.site_id = Some(format!("{}:{}", if fictionpress { "fictionpress" } else { "ffn" }, &c[1]));
            }
            current = c[2].parse().unwrap_or(current);
        }
        if let Some(c) = TITLE_CHAPTER.captures(&page) {
            current = c["n"].parse().unwrap_or(current);
            let title = c.name("title").map(|t| t.as_str().trim().to_string()).filter(|t| !t.is_empty());
            chapters.push(ChapterParts { number: Some(current), title, ..ChapterParts::default() });
        }
    }
    if stats.is_none() {
        draft
            .work
            .diagnostics
            .push("a FanFiction.Net page without its stats line (the mobile site): rating, status and counts are not on it".into());
    } else if complete {
        let listed = chapters.len() as u32;
        draft.work.chapters_total = Some(draft.work.chapters_total.unwrap_or(0).max(listed).max(1));
    } else {
        draft.work.chapters_total = None;
    }

    // The chapter text, with any header the author wrote into it.
    if let Some(st) = first(doc, &sel(STORY_TEXT)) {
        let parts = story::parse(element_lines(st), &story::Options::default());
        let title = chapters.iter().find(|c| c.number == Some(current)).and_then(|c| c.title.clone());
        let ch = draft.take_story_as_chapter(parts, current, title);
        match chapters.iter_mut().find(|c| c.number == Some(current)) {
            Some(listed) => {
                listed.body = ch.body;
                listed.notes = ch.notes;
                listed.end_notes = ch.end_notes;
            }
            None => chapters.push(ChapterParts {
                number: Some(current),
                title: ch.title,
                summary: None,
                notes: ch.notes,
                end_notes: ch.end_notes,
                body: ch.body,
            }),
        }
    }
    // FanFiction.Net's own status is authoritative; the text's closing line only informs.
    draft.completion.end_marker = None;
    for c in chapters {
        draft.push_chapter(c);
    }
    "ffn-chapter"
}

fn is_category_link(href: Option<&str>) -> bool {
    let Some(h) = href else { return false };
    let parts: Vec<&str> = h.trim_matches('/').split('/').collect();
    parts.len() == 2 && matches!(parts[0], "anime" | "book" | "cartoon" | "comic" | "game" | "misc" | "movie" | "play" | "tv")
}

fn is_genre_list(seg: &str) -> bool {
    let lower = seg.to_lowercase();
    let lower = lower.replace("hurt/comfort", "hurt-comfort");
    lower.split('/').all(|g| GENRES.contains(&g.trim().replace("hurt-comfort", "hurt/comfort").as_str()))
}

/// `Harry P. & Draco M.`, `[Harry P., Draco M.] Hermione G.`: characters, with bracketed
/// groups as pairings.
fn read_characters(seg: &str, draft: &mut Draft) {
    let mut rest = seg.to_string();
    while let (Some(open), Some(close)) = (rest.find('['), rest.find(']')) {
        if close < open {
            break;
        }
        let inner = rest[open + 1..close].to_string();
        let names: Vec<String> = inner.split(',').map(|n| n.trim().to_string()).filter(|n| !n.is_empty()).collect();
        if names.len() >= 2 {
            draft.work.relationships.push(names.join("/"));
        }
        draft.work.characters.extend(names);
        rest = format!("{} {}", &rest[..open], &rest[close + 1..]);
    }
    for name in rest.split([',', '&']) {
        let n = name.trim();
        if !n.is_empty() && !draft.work.characters.iter().any(|c| c == n) {
            draft.work.characters.push(n.to_string());
        }
    }
}
