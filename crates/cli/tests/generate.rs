//! The corpus generator against the importer: every generated work parses into what the
//! generator says it states. This keeps the bench corpus honest (a bench over files the
//! importer misreads would measure the wrong thing) and tests the importer on four layouts.

mod common;
use common::ficarchive;
use ficarchive_gen::corpus::{Layout, truth};
use ficarchive_store::Location;

#[test]
fn generated_works_parse_into_their_truth() {
    let out = tempfile::tempdir().unwrap();
    let dir = out.path().join("corpus");
    let location = Location::Embedded(out.path().join("unused"));
    let (ok, stdout, stderr) = ficarchive(&location, &["generate", "--works", "120", "--seed", "11", dir.to_str().unwrap()]);
    assert!(ok, "{stderr}");
    assert!(stdout.contains("wrote 120 works"), "{stdout}");
    let (ok, json, stderr) = ficarchive(&location, &["parse", "--json", dir.to_str().unwrap()]);
    assert!(ok, "{stderr}");
    let records: Vec<serde_json::Value> = serde_json::from_str(&json).unwrap();
    assert_eq!(records.len(), 120, "chapter files join into their works");
    let mut layouts = std::collections::HashSet::new();
    for index in 0..120 {
        let t = truth(11, index);
        layouts.insert(format!("{:?}", t.layout));
        let r = records.iter().find(|r| r["title"] == t.title.as_str()).unwrap_or_else(|| panic!("{} not found", t.title));
        let context = format!("{} ({:?})", t.title, t.layout);
        assert_eq!(r["authors"], serde_json::json!([t.author]), "{context}");
        assert_eq!(r["fandoms"], serde_json::json!([t.fandom]), "{context}");
        assert_eq!(r["chapters"].as_array().unwrap().len(), t.chapters, "{context}");
        assert_eq!(r["complete"], serde_json::json!(t.complete), "{context}");
        let rating = r["rating"]["normalized"].as_str().unwrap();
        let expected = match t.rating {
            "G" => "General Audiences",
            "T" => "Teen And Up Audiences",
            "M" => "Mature",
            "E" => "Explicit",
            _ => "Not Rated",
        };
        assert_eq!(rating, expected, "{context}");
        let words = r["words"].as_u64().unwrap() as usize;
        assert!(words >= t.words && words <= t.words + t.words / 5 + 60, "{context}: {words} words, planned {}", t.words);
        if t.layout == Layout::Ao3Work {
            assert_eq!(r["characters"], serde_json::json!(t.characters), "{context}");
        }
    }
    assert_eq!(layouts.len(), 4, "{layouts:?}");
}
