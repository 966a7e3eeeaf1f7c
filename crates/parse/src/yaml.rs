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
    let docs = YamlLoader::load_from_str(&decoded.text).map_err(|e| e.to_string())?;
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
