//! Multi-file works.
//!
//! - A `metadata.yaml` or `metadata.json` describes the story files beside it and below its folder (or, when the
//!   folder holds only the metadata, below the folder above). Files in a chapter folder
//!   (`Chapters/01 - Lost/02 Scene.md`) are scenes of one chapter, joined with scene breaks.
//!   Folder paths flattened into file names (`Book_Chapters_01_-_Lost_02_Scene.md`) are read
//!   the same way.
//! - Other files join when they share a site work id, or the same title and authors. Chapters
//!   are merged by number: a chapter page's text fills the entry its chapter index listed.

use crate::metadata::Metadata;
use ficarchive_model::{Block, Chapter, Work};
use regex::Regex;
use std::collections::BTreeMap;
use std::sync::LazyLock;

pub fn group(works: Vec<Work>, metadata: Vec<(String, String, Metadata)>) -> Vec<Work> {
    let mut works: Vec<Option<Work>> = works.into_iter().map(Some).collect();
    let mut out = Vec::new();
    for (meta_path, meta_sha, meta) in metadata {
        let members = metadata_members(&meta_path, &works);
        let taken: Vec<Work> = members.iter().filter_map(|&i| works[i].take()).collect();
        out.push(join_described(&meta_path, &meta_sha, &meta, taken));
    }

    // Join the rest by site id, or by title and authors.
    let mut groups: BTreeMap<String, Vec<Work>> = BTreeMap::new();
    let mut order: Vec<String> = Vec::new();
    for (i, w) in works.into_iter().enumerate() {
        let Some(w) = w else { continue };
        let key = join_key(&w).unwrap_or_else(|| format!("file:{i}"));
        if !groups.contains_key(&key) {
            order.push(key.clone());
        }
        groups.entry(key).or_default().push(w);
    }
    for key in order {
        let members = groups.remove(&key).unwrap_or_default();
        out.push(join_chapter_files(members));
    }
    out
}

fn join_key(w: &Work) -> Option<String> {
    if w.kind != ficarchive_model::PageKind::Work {
        return None;
    }
    if let Some(id) = &w.site_id {
        return Some(format!("site:{id}"));
    }
    let title = w.title.as_ref()?;
    if w.authors.is_empty() {
        return None;
    }
    let authors: Vec<String> = w.authors.iter().map(|a| a.to_lowercase()).collect();
    Some(format!("work:{}|{}", title.to_lowercase(), authors.join(",")))
}

fn parent(path: &str) -> &str {
    path.rfind(['/', '\\']).map_or("", |i| &path[..i])
}

fn name(path: &str) -> &str {
    path.rsplit(['/', '\\']).next().unwrap_or(path)
}

/// Which works a metadata file describes: files under its folder, or under the folder above
/// when its own folder holds no story; or, for flattened names, files in the same folder whose
/// names share its prefix.
fn metadata_members(meta_path: &str, works: &[Option<Work>]) -> Vec<usize> {
    let paths: Vec<(usize, &str)> =
        works.iter().enumerate().filter_map(|(i, w)| w.as_ref().and_then(|w| w.source.paths.first()).map(|p| (i, p.as_str()))).collect();
    let dir = parent(meta_path);
    if let Some(prefix) = flattened_prefix(name(meta_path)) {
        let same: Vec<usize> = paths.iter().filter(|(_, p)| parent(p) == dir && name(p).starts_with(&prefix)).map(|(i, _)| *i).collect();
        if !same.is_empty() {
            return same;
        }
    }
    let below = |root: &str| -> Vec<usize> {
        paths.iter().filter(|(_, p)| root.is_empty() || p.starts_with(&format!("{root}/"))).map(|(i, _)| *i).collect()
    };
    let own = below(dir);
    if own.is_empty() { below(parent(dir)) } else { own }
}

/// `Work_Name_(X)_Resources_metadata.yaml` → `Work_Name_(X)_`: the name before the last
/// folder-like words, when the metadata file name carries a flattened path.
fn flattened_prefix(meta_name: &str) -> Option<String> {
    let stem = meta_name.strip_suffix(".yaml").or_else(|| meta_name.strip_suffix(".yml"))?;
    let stem = stem.strip_suffix("metadata")?;
    if stem.is_empty() {
        return None;
    }
    // Drop one folder name before "metadata" (e.g. "Resources_").
    let trimmed = stem.trim_end_matches(['_', '-', ' ']);
    let cut = trimmed.rfind(['_', ' ']).map_or(0, |i| i + 1);
    let prefix = &stem[..cut];
    (prefix.chars().count() >= 6).then(|| prefix.to_string())
}

static CHAPTER_DIR: LazyLock<Regex> = LazyLock::new(|| Regex::new(r"^(\d{1,3})\s*(?:[-.–:]\s*|\s+)(.+)$").expect("literal regex"));
static FLAT_SCENE: LazyLock<Regex> =
    LazyLock::new(|| Regex::new(r"^(?:\D*?\s)?(\d{1,3})\s+-\s+(.+?)\s+(\d{1,3})(?:\s+(.+))?$").expect("literal regex"));

/// The chapter a described file belongs to: (number, title).
fn chapter_of(path: &str, common_prefix_len: usize) -> Option<(u32, Option<String>)> {
    let dir_name = name(parent(path));
    if let Some(c) = CHAPTER_DIR.captures(&dir_name.replace('_', " ")) {
        return Some((c[1].parse().ok()?, Some(c[2].trim().to_string())));
    }
    let file = name(path);
    let stem = file.rsplit_once('.').map_or(file, |(s, _)| s);
    let rest = stem.get(common_prefix_len.min(stem.len())..).unwrap_or(stem);
    let rest = if rest.contains(' ') { rest.to_string() } else { rest.replace('_', " ") };
    let c = FLAT_SCENE.captures(rest.trim())?;
    Some((c[1].parse().ok()?, Some(c[2].trim().to_string())))
}

fn natural_key(s: &str) -> Vec<(u64, String)> {
    let mut out = Vec::new();
    let mut num = String::new();
    let mut txt = String::new();
    for c in s.chars() {
        if c.is_ascii_digit() {
            if !txt.is_empty() {
                out.push((0, std::mem::take(&mut txt)));
            }
            num.push(c);
        } else {
            if !num.is_empty() {
                out.push((num.parse().unwrap_or(u64::MAX), String::new()));
                num.clear();
            }
            txt.push(c);
        }
    }
    if !num.is_empty() {
        out.push((num.parse().unwrap_or(u64::MAX), String::new()));
    }
    if !txt.is_empty() {
        out.push((0, txt));
    }
    out
}

fn common_name_prefix(paths: &[String]) -> usize {
    let names: Vec<&str> = paths.iter().map(|p| name(p)).collect();
    let Some(first) = names.first() else { return 0 };
    let mut len = first.len();
    for n in &names[1..] {
        len = len.min(first.bytes().zip(n.bytes()).take_while(|(a, b)| a == b).count());
    }
    // Back off to a separator so a shared leading digit stays with its number.
    let bytes = first.as_bytes();
    while len > 0 && !matches!(bytes[len - 1], b'_' | b' ' | b'-' | b'/') {
        len -= 1;
    }
    len
}

fn join_described(meta_path: &str, meta_sha: &str, meta: &Metadata, mut members: Vec<Work>) -> Work {
    members.sort_by_key(|w| natural_key(w.source.paths.first().map_or("", String::as_str)));
    let paths: Vec<String> = members.iter().filter_map(|w| w.source.paths.first().cloned()).collect();
    // Flattened folder paths: read each name after the part it shares with the metadata file.
    let prefix = match flattened_prefix(name(meta_path)) {
        Some(p) if paths.iter().all(|x| name(x).starts_with(&p)) => p.len(),
        _ if paths.len() > 1 => common_name_prefix(&paths),
        _ => 0,
    };
    let mut work = Work::default();
    meta.apply(&mut work);
    work.source.paths.push(meta_path.to_string());
    work.source.sha256.push(meta_sha.to_string());
    // Without a stated status, the last chapter file's closing line (`To Be Continued...`,
    // `The End`) says whether the work is finished.
    if work.complete.is_none() {
        work.complete = members.last().and_then(|m| m.complete);
    }
    let listed = listed_chapters(meta_path, meta, &members, &mut work.diagnostics);
    if !listed.is_empty() {
        // The metadata's own list orders the chapters; files it does not name follow.
        members.sort_by_key(|w| listed.iter().position(|(path, _)| Some(path) == w.source.paths.first()).unwrap_or(usize::MAX));
    }
    let mut formats = vec![if meta_path.to_lowercase().ends_with(".json") { "json-metadata" } else { "pandoc-metadata" }.to_string()];
    let mut chapters: Vec<Chapter> = Vec::new();
    for (k, member) in members.into_iter().enumerate() {
        let from_list = listed.iter().position(|(path, _)| Some(path) == member.source.paths.first());
        let (number, title) = match from_list {
            Some(i) => (i as u32 + 1, listed[i].1.clone()),
            None if !listed.is_empty() => (k as u32 + 1, None),
            None => chapter_of(&member.source.paths[0], prefix).unwrap_or((k as u32 + 1, None)),
        };
        for f in [&member.source.format] {
            if !formats.contains(f) {
                formats.push(f.clone());
            }
        }
        if work.source.encoding.is_empty() {
            work.source.encoding = member.source.encoding.clone();
        }
        work.source.paths.extend(member.source.paths);
        work.source.sha256.extend(member.source.sha256);
        work.diagnostics.extend(member.diagnostics.into_iter().filter(|d| !d.starts_with("no title is stated")));
        let body: Vec<Block> = member.chapters.into_iter().flat_map(|c| c.body.blocks).collect();
        match chapters.iter_mut().find(|c| c.number == number) {
            Some(existing) => {
                existing.body.blocks.push(Block::SceneBreak);
                existing.body.blocks.extend(body);
            }
            None => chapters.push(Chapter { number, title, body: ficarchive_model::Document::new(body), ..Chapter::default() }),
        }
    }
    chapters.sort_by_key(|c| c.number);
    work.chapters = chapters;
    work.source.format = formats.join("+");
    if work.title.is_none() {
        work.fallback_title = format!("Untitled ({})", crate::file_stem(meta_path));
        work.diagnostics.push("the metadata file states no title".into());
    }
    work.diagnostics.push(format!("joined {} files described by {}", work.source.paths.len() - 1, name(meta_path)));
    work
}

/// The chapter files a metadata file names, in its order, as the paths of the files read
/// (with their titles). Names outside the metadata's folder (`../`, absolute paths) and
/// names of files that were not read are reported and left out: the list only orders and
/// titles files that are there.
fn listed_chapters(meta_path: &str, meta: &Metadata, members: &[Work], diagnostics: &mut Vec<String>) -> Vec<(String, Option<String>)> {
    let dir = parent(meta_path);
    let mut out = Vec::new();
    for (file, title) in &meta.chapter_files {
        let file = file.trim().trim_start_matches("./");
        if file.starts_with(['/', '\\']) || file.split(['/', '\\']).any(|part| part == "..") || file.contains(':') {
            diagnostics.push(format!("the metadata names \u{201C}{file}\u{201D}, outside its folder; left out"));
            continue;
        }
        let wanted = if dir.is_empty() { file.to_string() } else { format!("{dir}/{file}") };
        match members.iter().filter_map(|w| w.source.paths.first()).find(|p| **p == wanted || name(p) == file) {
            Some(path) if !out.iter().any(|(p, _)| p == path) => out.push((path.clone(), title.clone())),
            Some(_) => {}
            None => diagnostics.push(format!("the metadata names \u{201C}{file}\u{201D}, which is not among the files read")),
        }
    }
    out
}

/// Joins chapter files of one work, merging chapters by number.
fn join_chapter_files(mut members: Vec<Work>) -> Work {
    if members.len() == 1 {
        return members.pop().expect("one member");
    }
    let first_text_number = |w: &Work| w.chapters.iter().find(|c| c.has_text()).map_or(u32::MAX, |c| c.number);
    members.sort_by_key(first_text_number);
    let n = members.len();
    let mut iter = members.into_iter();
    let mut work = iter.next().expect("at least two members");
    for mut other in iter {
        for ch in std::mem::take(&mut other.chapters) {
            match work.chapters.iter_mut().find(|c| c.number == ch.number) {
                Some(existing) => {
                    if !existing.has_text() && ch.has_text() {
                        let title = existing.title.take();
                        *existing = ch;
                        if existing.title.is_none() {
                            existing.title = title;
                        }
                    } else if existing.title.is_none() {
                        existing.title = ch.title;
                    }
                }
                None => work.chapters.push(ch),
            }
        }
        work.chapters.sort_by_key(|c| c.number);
        fill(&mut work, other);
    }
    if let Some(total) = work.chapters_total
        && work.chapters.iter().filter(|c| c.has_text()).count() >= total as usize
        && work.complete == Some(false)
    {
        work.complete = Some(true);
    }
    work.diagnostics.retain(|d| d != "the file lists chapters but holds none of their text");
    work.diagnostics.push(format!("joined {n} chapter files of one work"));
    work
}

fn fill(work: &mut Work, other: Work) {
    macro_rules! fill_vec {
        ($($f:ident),*) => { $( if work.$f.is_empty() { work.$f = other.$f; } )* };
    }
    macro_rules! fill_opt {
        ($($f:ident),*) => { $( if work.$f.is_none() { work.$f = other.$f; } )* };
    }
    fill_vec!(fandoms, warnings, categories, relationships, characters, freeform_tags, series);
    fill_opt!(language, summary, notes, end_notes, chapters_total, words_stated, published, updated);
    if work.rating.raw.is_none() {
        work.rating = other.rating;
    }
    if other.complete == Some(true) {
        work.complete = Some(true);
    } else if work.complete.is_none() {
        work.complete = other.complete;
    }
    for (k, v) in other.extra {
        work.extra.entry(k).or_insert(v);
    }
    // Posts of one digest share their file: it is listed once.
    for (path, sha) in other.source.paths.into_iter().zip(other.source.sha256) {
        if !work.source.sha256.contains(&sha) {
            work.source.paths.push(path);
            work.source.sha256.push(sha);
        }
    }
    if !work.source.format.split('+').any(|f| f == other.source.format) {
        work.source.format = format!("{}+{}", work.source.format, other.source.format);
    }
    for d in other.diagnostics {
        if !work.diagnostics.contains(&d) {
            work.diagnostics.push(d);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn flattened_names() {
        assert_eq!(flattened_prefix("owner__Book_(X)_Resources_metadata.yaml").as_deref(), Some("owner__Book_(X)_"));
        assert_eq!(flattened_prefix("metadata.yaml"), None);
        assert_eq!(chapter_of("d/Chapters_01_-_Lost_in_the_Wood_02_Hateno.md", 0), Some((1, Some("Lost in the Wood".into()))));
        assert_eq!(chapter_of("w/Chapters/03 - The Ford/01 Rain.md", 0), Some((3, Some("The Ford".into()))));
    }
}
