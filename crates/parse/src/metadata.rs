//! A work's metadata stated apart from its text: a pandoc `metadata.yaml` or a scraper's
//! `metadata.json` beside chapter files, and YAML (`---`) or TOML (`+++`) front matter at the
//! top of a Markdown or HTML file (Jekyll, Hugo, metalsmith, pandoc).
//!
//! The three syntaxes are read into one tree (YAML's) and one table of keys reads it, so
//! that `title`, `author`, `fandom`, `rating`, `tags`, `summary`, `series`, `chapter`, `date`,
//! `status` and their common spellings mean the same in every syntax.
//!
//! Bounds: a metadata text over 1 MB is refused, and YAML with aliases (`*name`) is refused
//! before it is built, since a few hundred bytes of nested aliases expand to gigabytes.

use yaml_rust2::{Yaml, YamlLoader};

#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Metadata {
    pub title: Option<String>,
    pub authors: Vec<String>,
    pub summary: Option<String>,
    pub language: Option<String>,
    pub date: Option<String>,
    pub tags: Vec<String>,
    pub fandoms: Vec<String>,
    pub rating: Option<String>,
    pub rights: Option<String>,
    pub characters: Vec<String>,
    pub relationships: Vec<String>,
    pub warnings: Vec<String>,
    pub categories: Vec<String>,
    /// A `status:` (or `complete:`) value, read like a `Status:` header field.
    pub complete: Option<bool>,
    pub series: Option<(String, Option<u32>)>,
    pub updated: Option<String>,
    pub words: Option<u64>,
    pub notes: Option<String>,
    /// For one chapter's file: its number and title (`chapter: 3`, `chapter_title:`).
    pub chapter: Option<u32>,
    pub chapter_title: Option<String>,
    /// Chapter files the metadata names, in order, with their titles when given.
    pub chapter_files: Vec<(String, Option<String>)>,
    /// Keys not read into a field, kept for `extra` (scalars only).
    pub other: Vec<(String, String)>,
}

impl Metadata {
    /// Writes every field the metadata states onto a work (stated fields win over what the
    /// text itself suggested).
    pub fn apply(&self, work: &mut ficarchive_model::Work) {
        fn set(target: &mut Vec<String>, value: &[String]) {
            if !value.is_empty() {
                *target = value.to_vec();
            }
        }
        if self.title.is_some() {
            work.title = self.title.clone();
        }
        set(&mut work.authors, &self.authors);
        set(&mut work.fandoms, &self.fandoms);
        set(&mut work.freeform_tags, &self.tags);
        set(&mut work.characters, &self.characters);
        set(&mut work.relationships, &self.relationships);
        set(&mut work.warnings, &self.warnings);
        set(&mut work.categories, &self.categories);
        if self.summary.is_some() {
            work.summary = self.summary.clone();
        }
        if self.language.is_some() {
            work.language = self.language.clone();
        }
        if let Some(r) = &self.rating {
            work.rating = ficarchive_model::Rating::from_raw(r).0;
        }
        if let Some(date) = self.date.as_deref().and_then(crate::dates::parse_date) {
            work.published = Some(date);
        }
        if let Some(r) = &self.rights {
            work.extra.insert("disclaimer".into(), r.clone());
        }
        if self.complete.is_some() {
            work.complete = self.complete;
        }
        if let Some((name, part)) = &self.series
            && !work.series.iter().any(|s| s.name.eq_ignore_ascii_case(name))
        {
            work.series.insert(0, ficarchive_model::SeriesRef { name: name.clone(), part: *part });
        }
        if let Some(date) = self.updated.as_deref().and_then(crate::dates::parse_date) {
            work.updated = Some(date);
        }
        if self.words.is_some() {
            work.words_stated = self.words;
        }
        if let Some(n) = &self.notes {
            work.notes = Some(n.clone());
        }
        for (key, value) in &self.other {
            work.extra.entry(key.clone()).or_insert_with(|| value.clone());
        }
    }
}

/// The syntax of a front-matter block.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Syntax {
    Yaml,
    Toml,
    Json,
}

/// Splits a front-matter block off the top of a text: YAML between `---` lines (closed by
/// `---` or `...`) or TOML between `+++` lines. Returns (the syntax, the block, the rest);
/// `None` when the text does not open with one, or when it never closes within 1 MB.
pub fn split_front_matter(text: &str) -> Option<(Syntax, &str, &str)> {
    let body = text.strip_prefix('\u{feff}').unwrap_or(text);
    let body = body.trim_start_matches([' ', '\t', '\r', '\n']);
    let (syntax, fence) = if body.starts_with("---") {
        (Syntax::Yaml, "---")
    } else if body.starts_with("+++") {
        (Syntax::Toml, "+++")
    } else {
        return None;
    };
    let first_line_end = body.find('\n')?;
    if body[..first_line_end].trim_end() != fence {
        return None;
    }
    let rest = &body[first_line_end + 1..];
    let mut offset = 0;
    for line in rest.split_inclusive('\n') {
        let bare = line.trim_end();
        if bare == fence || syntax == Syntax::Yaml && bare == "..." {
            return Some((syntax, &rest[..offset], &rest[offset + line.len()..]));
        }
        offset += line.len();
        if offset > MAX_METADATA_BYTES {
            return None;
        }
    }
    None
}

/// Metadata files are small; a larger one is not a pandoc metadata file.
const MAX_METADATA_BYTES: usize = 1 << 20;

fn scalar(y: &Yaml) -> Option<String> {
    match y {
        Yaml::String(s) => Some(s.trim().to_string()),
        Yaml::Integer(i) => Some(i.to_string()),
        Yaml::Real(r) => Some(r.clone()),
        Yaml::Hash(h) => h.get(&Yaml::String("name".into())).and_then(scalar),
        _ => None,
    }
    .filter(|s| !s.is_empty())
}

fn list(y: &Yaml) -> Vec<String> {
    match y {
        Yaml::Array(items) => items.iter().filter_map(scalar).collect(),
        other => scalar(other).map(|s| crate::draft::split_list(&s)).unwrap_or_default(),
    }
}

/// A slug as a name: `lix-storm` → `Lix Storm`; a word without hyphens stays as written.
fn slug_name(slug: &str) -> String {
    if !slug.contains(['-', '_']) {
        return slug.to_string();
    }
    slug.split(['-', '_'])
        .filter(|w| !w.is_empty())
        .map(|w| {
            let mut c = w.chars();
            c.next().map(|f| f.to_uppercase().chain(c).collect::<String>()).unwrap_or_default()
        })
        .collect::<Vec<_>>()
        .join(" ")
}

/// Tags written with a namespace (`c:lix-storm`, `fandom:btvs`, `p:randall/lix`,
/// `genre:angst`, `s:ars-draconis`), as static sites tag stories, go to the field they name;
/// a slug's hyphens become spaces and its words capitals (`lix-storm` → `Lix Storm`).
fn route_namespaced_tags(meta: &mut Metadata) {
    let mut kept = Vec::new();
    for tag in std::mem::take(&mut meta.tags) {
        let Some((namespace, value)) = tag.split_once(':') else {
            kept.push(tag);
            continue;
        };
        let value = value.trim();
        let named = value.split('/').map(slug_name).collect::<Vec<_>>().join("/");
        let target = match namespace.trim().to_lowercase().as_str() {
            "c" | "char" | "character" => &mut meta.characters,
            "f" | "fandom" => &mut meta.fandoms,
            "p" | "pairing" | "ship" | "relationship" => &mut meta.relationships,
            "w" | "warning" => &mut meta.warnings,
            "s" | "series" => {
                if meta.series.is_none() && !value.is_empty() {
                    meta.series = Some((slug_name(value), None));
                }
                continue;
            }
            "g" | "genre" | "t" | "tag" | "trope" => &mut kept,
            _ => {
                kept.push(tag);
                continue;
            }
        };
        if !value.is_empty() && !target.iter().any(|t| t.eq_ignore_ascii_case(&named)) {
            target.push(named);
        }
    }
    meta.tags = kept;
}

/// Reads a metadata file (`metadata.yaml`, `metadata.json`).
///
/// A JSON file is a work's metadata only when its name says so (`metadata.json`,
/// `meta.json`, `info.json`, `story.json`, `work.json`) and it states a title, an author or
/// chapter files: a folder of rescued pages holds other JSON (site manifests, indexes) that
/// must not take the stories beside it over.
pub fn read_metadata_file(path: &str, bytes: &[u8]) -> Result<Metadata, String> {
    if bytes.len() > MAX_METADATA_BYTES {
        return Err(format!("{} bytes is too large for a metadata file", bytes.len()));
    }
    let json = path.to_lowercase().ends_with(".json");
    if json && !is_metadata_name(path) {
        return Err("a JSON file that is not named as a work's metadata (metadata.json)".into());
    }
    let decoded = ficarchive_decode::decode(bytes, false).map_err(|e| e.to_string())?;
    let meta = read_metadata_text(if json { Syntax::Json } else { Syntax::Yaml }, &decoded.text)?;
    if json && meta.title.is_none() && meta.authors.is_empty() && meta.chapter_files.is_empty() {
        return Err("the JSON states no title, author or chapter files".into());
    }
    Ok(meta)
}

/// Whether a JSON file's name says it is a work's metadata: `metadata.json`, `meta.json`,
/// `info.json`, `story.json`, `work.json`, or a name ending in one of them (`story-info.json`).
pub fn is_metadata_name(path: &str) -> bool {
    let stem = crate::file_stem(path).to_lowercase();
    ["metadata", "meta", "info", "story", "work"]
        .iter()
        .any(|n| stem == *n || stem.ends_with(&format!("_{n}")) || stem.ends_with(&format!("-{n}")))
}

/// Reads metadata text in one of the three syntaxes.
pub fn read_metadata_text(syntax: Syntax, text: &str) -> Result<Metadata, String> {
    if text.len() > MAX_METADATA_BYTES {
        return Err(format!("{} bytes is too large for metadata", text.len()));
    }
    let tree = match syntax {
        Syntax::Yaml => {
            refuse_aliases(text)?;
            YamlLoader::load_from_str(text).map_err(|e| e.to_string())?.into_iter().next()
        }
        Syntax::Toml => Some(toml_to_tree(toml::from_str::<toml::Table>(text).map_err(|e| e.message().to_string())?.into())),
        Syntax::Json => Some(json_to_tree(serde_json::from_str(text).map_err(|e| e.to_string())?)),
    };
    let Some(Yaml::Hash(map)) = tree else {
        return Err("no key: value mapping at the top".into());
    };
    Ok(read_tree(&map))
}

/// YAML aliases repeat a node; nested, a few hundred bytes of them expand without end.
/// Metadata never needs them: a text that uses one is refused before any node is built.
fn refuse_aliases(text: &str) -> Result<(), String> {
    use yaml_rust2::parser::{Event, MarkedEventReceiver, Parser};
    struct Aliases(usize);
    impl MarkedEventReceiver for Aliases {
        fn on_event(&mut self, event: Event, _mark: yaml_rust2::scanner::Marker) {
            if matches!(event, Event::Alias(_)) {
                self.0 += 1;
            }
        }
    }
    let mut aliases = Aliases(0);
    Parser::new_from_str(text).load(&mut aliases, true).map_err(|e| e.to_string())?;
    if aliases.0 > 0 {
        return Err(format!("it repeats nodes by {} YAML aliases, which metadata is not read with", aliases.0));
    }
    Ok(())
}

fn toml_to_tree(value: toml::Value) -> Yaml {
    match value {
        toml::Value::String(s) => Yaml::String(s),
        toml::Value::Integer(i) => Yaml::Integer(i),
        toml::Value::Float(f) => Yaml::Real(f.to_string()),
        toml::Value::Boolean(b) => Yaml::Boolean(b),
        toml::Value::Datetime(d) => Yaml::String(d.to_string()),
        toml::Value::Array(items) => Yaml::Array(items.into_iter().map(toml_to_tree).collect()),
        toml::Value::Table(t) => Yaml::Hash(t.into_iter().map(|(k, v)| (Yaml::String(k), toml_to_tree(v))).collect()),
    }
}

fn json_to_tree(value: serde_json::Value) -> Yaml {
    match value {
        serde_json::Value::Null => Yaml::Null,
        serde_json::Value::Bool(b) => Yaml::Boolean(b),
        serde_json::Value::Number(n) => n.as_i64().map_or_else(|| Yaml::Real(n.to_string()), Yaml::Integer),
        serde_json::Value::String(s) => Yaml::String(s),
        serde_json::Value::Array(items) => Yaml::Array(items.into_iter().map(json_to_tree).collect()),
        serde_json::Value::Object(o) => Yaml::Hash(o.into_iter().map(|(k, v)| (Yaml::String(k), json_to_tree(v))).collect()),
    }
}

/// Keys read into fields; every other scalar key is kept for `extra`.
const READ_KEYS: &[&str] = &[
    "title",
    "author",
    "authors",
    "creator",
    "creators",
    "abstract",
    "summary",
    "description",
    "lang",
    "language",
    "date",
    "published",
    "date_published",
    "datepublished",
    "keywords",
    "tags",
    "subject",
    "fandom",
    "fandoms",
    "rating",
    "rated",
    "rights",
    "disclaimer",
    "characters",
    "character",
    "relationships",
    "relationship",
    "pairing",
    "pairings",
    "ships",
    "warnings",
    "warning",
    "archive_warnings",
    "categories",
    "category",
    "status",
    "complete",
    "completed",
    "series",
    "series_name",
    "series_part",
    "series_index",
    "part",
    "updated",
    "date_updated",
    "dateupdated",
    "lastmod",
    "last_modified",
    "words",
    "word_count",
    "wordcount",
    "numwords",
    "notes",
    "chapter",
    "chapter_number",
    "chapter_title",
    "chapters",
    "files",
    "layout",
    "draft",
    "permalink",
    "slug",
];

fn read_tree(map: &yaml_rust2::yaml::Hash) -> Metadata {
    let get = |k: &str| {
        map.iter().find(|(key, _)| key.as_str().is_some_and(|key| key.eq_ignore_ascii_case(k))).map(|(_, v)| v).filter(|v| !v.is_null())
    };
    let first_scalar = |keys: &[&str]| keys.iter().find_map(|k| get(k).and_then(scalar));
    let first_list = |keys: &[&str]| keys.iter().map(|k| get(k).map(list).unwrap_or_default()).find(|l| !l.is_empty()).unwrap_or_default();
    // `category` is AO3's (F/M, Gen) when its values are, a fandom otherwise (scrapers name
    // the fandom so).
    let categories = first_list(&["categories", "category"]);
    let (categories, category_fandoms) =
        if categories.iter().all(|c| crate::draft::is_ao3_category_list(c)) { (categories, Vec::new()) } else { (Vec::new(), categories) };
    let mut fandoms = first_list(&["fandom", "fandoms"]);
    if fandoms.is_empty() {
        fandoms = category_fandoms;
    }
    let series = match get("series") {
        Some(Yaml::Hash(h)) => {
            let inner = |k: &str| h.get(&Yaml::String(k.into())).and_then(scalar);
            inner("name").or_else(|| inner("title")).map(|name| {
                (name, ["part", "index", "number"].iter().find_map(|k| inner(k)).and_then(|p| crate::numbers::parse_number(&p)))
            })
        }
        Some(other) => scalar(other)
            .map(|name| (name, first_scalar(&["series_part", "series_index", "part"]).and_then(|p| crate::numbers::parse_number(&p)))),
        None => first_scalar(&["series_name"])
            .map(|name| (name, first_scalar(&["series_part", "series_index"]).and_then(|p| crate::numbers::parse_number(&p)))),
    };
    let chapter_files = match get("chapters").or_else(|| get("files")) {
        Some(Yaml::Array(items)) => items
            .iter()
            .filter_map(|item| match item {
                Yaml::String(s) => Some((s.clone(), None)),
                Yaml::Hash(h) => {
                    let inner = |k: &str| h.get(&Yaml::String(k.into())).and_then(scalar);
                    let file = ["file", "path", "filename", "src", "href"].iter().find_map(|k| inner(k))?;
                    Some((file, inner("title").or_else(|| inner("name"))))
                }
                _ => None,
            })
            .collect(),
        _ => Vec::new(),
    };
    let other = map
        .iter()
        .filter_map(|(k, v)| {
            let key = k.as_str()?.to_lowercase();
            (!READ_KEYS.contains(&key.as_str())).then(|| scalar(v).map(|value| (key, value)))?
        })
        .take(32)
        .collect();
    let mut meta = Metadata {
        title: first_scalar(&["title"]),
        authors: first_list(&["author", "authors", "creator", "creators"]),
        summary: first_scalar(&["abstract", "summary", "description"]),
        language: first_scalar(&["lang", "language"]),
        date: first_scalar(&["published", "date_published", "datepublished", "date"]),
        tags: first_list(&["keywords", "tags", "subject"]),
        fandoms,
        rating: first_scalar(&["rating", "rated"]),
        rights: first_scalar(&["rights", "disclaimer"]),
        characters: first_list(&["characters", "character"]),
        relationships: first_list(&["relationships", "relationship", "pairing", "pairings", "ships"]),
        warnings: first_list(&["warnings", "warning", "archive_warnings"]),
        categories,
        complete: match get("complete").or_else(|| get("completed")) {
            Some(Yaml::Boolean(b)) => Some(*b),
            _ => first_scalar(&["status", "complete", "completed"]).as_deref().and_then(crate::draft::status_value),
        },
        series,
        updated: first_scalar(&["updated", "date_updated", "dateupdated", "lastmod", "last_modified"]),
        words: first_scalar(&["words", "word_count", "wordcount", "numwords"]).as_deref().and_then(crate::draft::parse_count),
        notes: first_scalar(&["notes"]),
        chapter: first_scalar(&["chapter", "chapter_number"]).and_then(|c| crate::numbers::parse_number(&c)),
        chapter_title: first_scalar(&["chapter_title"]),
        chapter_files,
        other,
    };
    route_namespaced_tags(&mut meta);
    // `pairing: gen` names no relationship: it is the Gen category.
    let (general, pairings) = crate::draft::split_pairings(&std::mem::take(&mut meta.relationships).join(", "));
    meta.relationships = pairings;
    if general && !meta.categories.iter().any(|c| c.eq_ignore_ascii_case("gen")) {
        meta.categories.push("Gen".into());
    }
    // A series named by its slug (`series: ars_draconis`).
    if let Some((name, _)) = &mut meta.series
        && !name.contains(' ')
        && name.contains(['_', '-'])
        && name.chars().all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '_' || c == '-')
    {
        *name = slug_name(name);
    }
    meta
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reads_pandoc_fields() {
        let y = b"---\ntitle: 'Lantern Hours'\nauthor:\n    - Jo Quill\nabstract: |\n    One.\n\n    Two.\nlang: en-GB\n...\n";
        let m = read_metadata_file("metadata.yaml", y).unwrap();
        assert_eq!(m.title.as_deref(), Some("Lantern Hours"));
        assert_eq!(m.authors, vec!["Jo Quill"]);
        assert_eq!(m.summary.as_deref(), Some("One.\n\nTwo."));
        assert_eq!(m.language.as_deref(), Some("en-GB"));
    }

    #[test]
    fn toml_and_json_read_like_yaml() {
        let toml = "title = \"Lantern Hours\"\nauthor = [\"Jo Quill\"]\nfandom = \"Harbour Watch\"\nrating = \"Teen\"\n[series]\nname = \"Lamps\"\npart = 2\n";
        let m = read_metadata_text(Syntax::Toml, toml).unwrap();
        assert_eq!(
            (m.title.as_deref(), m.authors.as_slice(), m.fandoms.as_slice()),
            (Some("Lantern Hours"), &["Jo Quill".to_string()][..], &["Harbour Watch".to_string()][..])
        );
        assert_eq!(m.series, Some(("Lamps".into(), Some(2))));
        let json = br#"{"title": "Lantern Hours", "author": "Jo Quill", "category": "Harbour Watch", "status": "In-Progress", "chapters": [{"file": "ch2.html", "title": "Dusk"}, "ch1.html"]}"#;
        let m = read_metadata_file("w/metadata.json", json).unwrap();
        assert_eq!(m.fandoms, vec!["Harbour Watch".to_string()]);
        assert_eq!(m.complete, Some(false));
        assert_eq!(m.chapter_files, vec![("ch2.html".to_string(), Some("Dusk".to_string())), ("ch1.html".to_string(), None)]);
        assert!(read_metadata_file("w/package.json", br#"{"title": "x"}"#).is_err());
    }

    #[test]
    fn namespaced_tags_go_to_their_fields() {
        let y =
            "title: Proposal\ntags:\n  - c:lix-storm\n  - f:btvs\n  - p:randall/lix\n  - genre:angst\n  - proposal\n  - s:ars_draconis\n";
        let m = read_metadata_text(Syntax::Yaml, y).unwrap();
        assert_eq!(m.characters, vec!["Lix Storm"]);
        assert_eq!(m.fandoms, vec!["btvs"]);
        assert_eq!(m.relationships, vec!["randall/lix"]);
        assert_eq!(m.tags, vec!["angst", "proposal"]);
        assert_eq!(m.series, Some(("Ars Draconis".into(), None)));
    }

    #[test]
    fn yaml_aliases_are_refused_before_they_expand() {
        let mut bomb = String::from("a: &a [\"lol\",\"lol\",\"lol\",\"lol\",\"lol\",\"lol\",\"lol\",\"lol\",\"lol\"]\n");
        for (name, prev) in [("b", "a"), ("c", "b"), ("d", "c"), ("e", "d"), ("f", "e"), ("g", "f"), ("h", "g"), ("i", "h")] {
            bomb.push_str(&format!("{name}: &{name} [*{prev},*{prev},*{prev},*{prev},*{prev},*{prev},*{prev},*{prev},*{prev}]\n"));
        }
        bomb.push_str("title: *i\n");
        let started = std::time::Instant::now();
        let err = read_metadata_text(Syntax::Yaml, &bomb).unwrap_err();
        assert!(err.contains("aliases"), "{err}");
        assert!(started.elapsed().as_secs() < 2);
    }

    #[test]
    fn front_matter_that_never_closes_is_not_front_matter() {
        assert!(split_front_matter("---\ntitle: x\nno end\n").is_none());
        let (syntax, front, rest) = split_front_matter("+++\ntitle = \"x\"\n+++\nText.\n").unwrap();
        assert_eq!((syntax, front, rest), (Syntax::Toml, "title = \"x\"\n", "Text.\n"));
    }

    #[test]
    fn broken_yaml_is_an_error() {
        assert!(read_metadata_file("metadata.yaml", b"title: [unclosed").is_err());
    }
}
