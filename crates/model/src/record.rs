//! The public work record: what `ficarchive parse --json` prints, described in
//! `docs/work-record.md`. Keys keep their meaning across versions; new keys may be added.

use crate::Work;
use serde_json::{Map, Value, json};

fn opt_str(v: &Option<String>) -> Value {
    v.as_ref().map_or(Value::Null, |s| Value::String(s.clone()))
}

/// The work record of one work. With `with_text`, each chapter carries its plain text.
pub fn to_json(work: &Work, with_text: bool) -> Value {
    let chapters: Vec<Value> = work
        .chapters
        .iter()
        .map(|c| {
            let mut m = Map::new();
            m.insert("number".into(), json!(c.number));
            m.insert("title".into(), opt_str(&c.title));
            m.insert("words".into(), json!(c.words()));
            m.insert("scene_breaks".into(), json!(c.scene_breaks()));
            m.insert("has_text".into(), json!(c.has_text()));
            let notes = c.notes.plain_text();
            let end_notes = c.end_notes.plain_text();
            m.insert("notes".into(), if notes.is_empty() { Value::Null } else { json!(notes) });
            m.insert("end_notes".into(), if end_notes.is_empty() { Value::Null } else { json!(end_notes) });
            if with_text {
                m.insert("text".into(), json!(c.body.plain_text()));
            }
            Value::Object(m)
        })
        .collect();
    let series: Vec<Value> = work.series.iter().map(|s| json!({"name": s.name, "part": s.part})).collect();
    let mut m = Map::new();
    m.insert("kind".into(), json!(work.kind.as_str()));
    m.insert("title".into(), json!(work.display_title()));
    m.insert("title_stated".into(), json!(work.title.is_some()));
    m.insert("authors".into(), json!(work.authors));
    m.insert("fandoms".into(), json!(work.fandoms));
    m.insert("warnings".into(), json!(work.warnings));
    m.insert("categories".into(), json!(work.categories));
    m.insert("relationships".into(), json!(work.relationships));
    m.insert("characters".into(), json!(work.characters));
    m.insert("freeform_tags".into(), json!(work.freeform_tags));
    m.insert("rating".into(), json!({"raw": work.rating.raw, "normalized": work.rating.normalized.as_str()}));
    m.insert("language".into(), opt_str(&work.language));
    m.insert("summary".into(), opt_str(&work.summary));
    m.insert("notes".into(), opt_str(&work.notes));
    m.insert("end_notes".into(), opt_str(&work.end_notes));
    m.insert("series".into(), Value::Array(series));
    m.insert("chapters".into(), Value::Array(chapters));
    m.insert("chapters_total".into(), json!(work.chapters_total));
    m.insert("complete".into(), json!(work.complete));
    m.insert("words".into(), json!(work.words()));
    m.insert("words_stated".into(), json!(work.words_stated));
    m.insert("published".into(), opt_str(&work.published));
    m.insert("updated".into(), opt_str(&work.updated));
    m.insert("site_id".into(), opt_str(&work.site_id));
    m.insert("extra".into(), json!(work.extra));
    m.insert(
        "source".into(),
        json!({
            "paths": work.source.paths,
            "sha256": work.source.sha256,
            "format": work.source.format,
            "encoding": work.source.encoding,
        }),
    );
    m.insert("diagnostics".into(), json!(work.diagnostics));
    Value::Object(m)
}
