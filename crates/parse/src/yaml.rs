//! Pandoc `metadata.yaml`: the work's metadata for a folder of Markdown chapter or scene files.

use yaml_rust2::{Yaml, YamlLoader};

#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct PandocMetadata {
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
}

impl PandocMetadata {
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
    }
}

/// Splits a leading YAML block (`---` ... `---` or `...`) off a Markdown text: (the YAML, the
/// rest). `None` when the text does not open with one.
pub fn split_front_matter(text: &str) -> Option<(&str, &str)> {
    let body = text.strip_prefix('\u{feff}').unwrap_or(text);
    let rest = body.strip_prefix("---\n").or_else(|| body.strip_prefix("---\r\n"))?;
    let mut offset = 0;
    for line in rest.split_inclusive('\n') {
        let bare = line.trim_end();
        if (bare == "---" || bare == "...") && offset > 0 {
            return Some((&rest[..offset], &rest[offset + line.len()..]));
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

pub fn read_pandoc_metadata(bytes: &[u8]) -> Result<PandocMetadata, String> {
    if bytes.len() > MAX_METADATA_BYTES {
        return Err(format!("{} bytes is too large for a metadata file", bytes.len()));
    }
    let decoded = ficarchive_decode::decode(bytes, false).map_err(|e| e.to_string())?;
    read_metadata_text(&decoded.text)
}

/// Reads pandoc-style metadata from YAML text (a metadata file, or Markdown front matter).
pub fn read_metadata_text(text: &str) -> Result<PandocMetadata, String> {
    if text.len() > MAX_METADATA_BYTES {
        return Err(format!("{} bytes is too large for metadata", text.len()));
    }
    let docs = YamlLoader::load_from_str(text).map_err(|e| e.to_string())?;
    let Some(Yaml::Hash(map)) = docs.into_iter().next() else {
        return Err("no key: value mapping at the top".into());
    };
    let get = |k: &str| map.get(&Yaml::String(k.into()));
    let first_scalar = |keys: &[&str]| keys.iter().find_map(|k| get(k).and_then(scalar));
    let first_list = |keys: &[&str]| keys.iter().map(|k| get(k).map(list).unwrap_or_default()).find(|l| !l.is_empty()).unwrap_or_default();
    Ok(PandocMetadata {
        title: first_scalar(&["title"]),
        authors: first_list(&["author", "authors", "creator"]),
        summary: first_scalar(&["abstract", "summary", "description"]),
        language: first_scalar(&["lang", "language"]),
        date: first_scalar(&["date"]),
        tags: first_list(&["keywords", "tags", "subject"]),
        fandoms: first_list(&["fandom", "fandoms"]),
        rating: first_scalar(&["rating"]),
        rights: first_scalar(&["rights", "disclaimer"]),
        characters: first_list(&["characters", "character"]),
        relationships: first_list(&["relationships", "relationship", "pairing", "pairings"]),
        warnings: first_list(&["warnings", "warning", "archive_warnings"]),
        categories: first_list(&["categories", "category"]),
        complete: first_scalar(&["status", "complete"]).as_deref().and_then(crate::draft::status_value),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reads_pandoc_fields() {
        let y = b"---\ntitle: 'Lantern Hours'\nauthor:\n    - Jo Quill\nabstract: |\n    One.\n\n    Two.\nlang: en-GB\n...\n";
        let m = read_pandoc_metadata(y).unwrap();
        assert_eq!(m.title.as_deref(), Some("Lantern Hours"));
        assert_eq!(m.authors, vec!["Jo Quill"]);
        assert_eq!(m.summary.as_deref(), Some("One.\n\nTwo."));
        assert_eq!(m.language.as_deref(), Some("en-GB"));
    }

    #[test]
    fn broken_yaml_is_an_error() {
        assert!(read_pandoc_metadata(b"title: [unclosed").is_err());
    }
}
