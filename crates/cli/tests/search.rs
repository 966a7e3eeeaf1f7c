//! `ficarchive search`, `tags`, `check` and `reindex` as a user runs them, on SQLite and on
//! PostgreSQL: import a folder, then find works by words in their text and by canonical tags.

mod common;
use common::{ficarchive, report};
use ficarchive_testkit::TestArchive;
use std::path::Path;

const STORIES: [(&str, &str); 3] = [
    (
        "tide-clock.txt",
        "Title: The Tide Clock\nAuthor: Marin Holt\nFandom: BtVS\nPairing: Willow & Spike\nCharacters: Dru\nRating: PG-13\n\
         Status: Complete\n\nThe tide clock in the library ran backwards on Tuesdays, and nobody but Willow had noticed.\n\n\
         She wrote it down in green ink, because green ink was for things that could not be true.\n",
    ),
    (
        "green-ink.txt",
        "Title: Green Ink\nAuthor: Tamsin Vey\nFandom: Buffy the Vampire Slayer\nCharacters: Drusilla\nRating: NC-17\n\
         Status: WIP\n\nDrusilla painted the stars with a brush made of cat whiskers, and every star came out a little crooked.\n",
    ),
    (
        "glass-owl.txt",
        "Title: The Glass Owl\nAuthor: Marin Holt\nFandom: Original Work\nRating: G\nTags: owls, Fluff\n\n\
         The glass owl watched the tide come in from the windowsill and never once blinked, which the cat resented.\n",
    ),
];

fn write_stories(dir: &Path) {
    for (name, text) in STORIES {
        std::fs::write(dir.join(name), text).unwrap();
    }
}

fn titles(json: &serde_json::Value) -> Vec<String> {
    let mut t: Vec<String> = json["hits"].as_array().unwrap().iter().map(|h| h["title"].as_str().unwrap().to_string()).collect();
    t.sort();
    t
}

#[tokio::test]
async fn import_then_search_by_text_and_canonical_tags() {
    let folder = tempfile::tempdir().unwrap();
    write_stories(folder.path());
    let folder = folder.path().to_str().unwrap().to_string();
    for t in TestArchive::both().await {
        let n = t.name;
        let imported = report(&t.location, &["import", "--json", &folder]);
        assert_eq!(imported["new"], 3, "{n}: {imported}");

        let r = report(&t.location, &["search", "--json", "tide"]);
        assert_eq!(titles(&r), ["The Glass Owl", "The Tide Clock"], "{n}");
        let r = report(&t.location, &["search", "--json", "\"green ink\" -title:green"]);
        assert_eq!(titles(&r), ["The Tide Clock"], "{n}");

        // "Buffy" and "Dru" are spellings of canonical tags the two Buffy works share.
        let r = report(&t.location, &["search", "--json", "--fandom", "Buffy", "--include", "character:Dru"]);
        assert_eq!(titles(&r), ["Green Ink", "The Tide Clock"], "{n}");
        let characters = r["facets"].as_array().unwrap().iter().find(|f| f["name"] == "character").unwrap();
        assert_eq!(characters["values"], serde_json::json!([{"name": "Drusilla", "works": 2}]), "{n}");
        let r = report(&t.location, &["search", "--json", "--fandom", "Buffy", "--in-progress"]);
        assert_eq!(titles(&r), ["Green Ink"], "{n}");
        let r = report(&t.location, &["search", "--json", "cat", "--exclude", "rating:Explicit"]);
        assert_eq!(titles(&r), ["The Glass Owl"], "{n}");

        // The text view shows the snippet with the match marked.
        let (ok, out, err) = ficarchive(&t.location, &["search", "whiskers"]);
        assert!(ok, "{n}: {err}");
        assert!(out.contains("1 works match") && out.contains("\u{ab}whiskers\u{bb}"), "{n}: {out}");

        // The archivist joins two tags; search sees it at once.
        let (ok, _, err) = ficarchive(&t.location, &["tags", "synonym", "freeform:owls", "freeform:Fluff"]);
        assert!(ok, "{n}: {err}");
        let r = report(&t.location, &["search", "--json", "--include", "owls"]);
        assert_eq!(titles(&r), ["The Glass Owl"], "{n}");
        let tags = report(&t.location, &["tags", "show", "--json", "owls"]);
        assert_eq!(tags["canonical"], "Fluff", "{n}: {tags}");

        let (ok, out, err) = ficarchive(&t.location, &["check"]);
        assert!(ok, "{n}: {out} {err}");
        assert!(out.contains("database: ok") && out.contains("search index: ok (3 of 3 works)"), "{n}: {out}");
        t.finish().await;
    }
}

#[tokio::test]
async fn malformed_queries_and_unknown_tags_are_clear_errors() {
    let folder = tempfile::tempdir().unwrap();
    write_stories(folder.path());
    let t = TestArchive::sqlite();
    report(&t.location, &["import", "--json", folder.path().to_str().unwrap()]);
    let (ok, _, err) = ficarchive(&t.location, &["search", "tide", "(clock"]);
    assert!(!ok);
    assert!(err.contains("column 6: this parenthesis is never closed") && err.contains("tide (clock\n       ^"), "{err}");
    let (ok, _, err) = ficarchive(&t.location, &["search", "colour:green"]);
    assert!(!ok && err.contains("\"colour:green\""), "{err}");
    let (ok, _, err) = ficarchive(&t.location, &["search", "--fandom", "Nowhere Show"]);
    assert!(!ok && err.contains("no fandom tag \"Nowhere Show\""), "{err}");
    let (ok, _, err) = ficarchive(&t.location, &["search", "--sort", "kudos"]);
    assert!(!ok && err.contains("unknown sort `kudos`"), "{err}");
}

#[tokio::test]
async fn check_finds_a_damaged_index_and_reindex_repairs_it() {
    let folder = tempfile::tempdir().unwrap();
    write_stories(folder.path());
    let t = TestArchive::sqlite();
    report(&t.location, &["import", "--json", folder.path().to_str().unwrap()]);
    let ficarchive_store::Location::Embedded(data) = &t.location else { unreachable!() };
    for entry in std::fs::read_dir(data.join("index")).unwrap() {
        let path = entry.unwrap().path();
        if path.extension().is_some_and(|e| e == "fast" || e == "term" || e == "idx") {
            std::fs::write(&path, b"not an index any more").unwrap();
        }
    }
    let (ok, out, _) = ficarchive(&t.location, &["check"]);
    assert!(!ok, "check fails on a damaged index: {out}");
    assert!(out.contains("database: ok") && out.contains("ficarchive reindex"), "{out}");
    let (ok, _, err) = ficarchive(&t.location, &["search", "tide"]);
    assert!(!ok && err.contains("ficarchive reindex"), "{err}");
    let (ok, out, err) = ficarchive(&t.location, &["reindex"]);
    assert!(ok && out.contains("reindexed 3 works"), "{out} {err}");
    let r = report(&t.location, &["search", "--json", "tide"]);
    assert_eq!(r["total"], 2);
    let (ok, out, _) = ficarchive(&t.location, &["check"]);
    assert!(ok, "{out}");
}

/// After an upgrade that changes what the index holds, the first command that needs the index
/// rebuilds it from the database and says so; `check` names the problem until then.
#[tokio::test]
async fn an_index_from_another_version_is_rebuilt_by_the_next_search() {
    let folder = tempfile::tempdir().unwrap();
    write_stories(folder.path());
    let t = TestArchive::sqlite();
    report(&t.location, &["import", "--json", folder.path().to_str().unwrap()]);
    let ficarchive_store::Location::Embedded(data) = &t.location else { unreachable!() };
    std::fs::write(data.join("index").join("ficarchive-index-version"), "1").unwrap();
    let (ok, out, _) = ficarchive(&t.location, &["check"]);
    assert!(!ok && out.contains("built by another version") && out.contains("ficarchive reindex"), "{out}");
    let (ok, out, err) = ficarchive(&t.location, &["search", "--json", "tide"]);
    assert!(ok, "{err}");
    assert!(err.contains("rebuilt from the database (3 works)"), "{err}");
    assert_eq!(serde_json::from_str::<serde_json::Value>(&out).unwrap()["total"], 2);
    let (ok, out, err) = ficarchive(&t.location, &["search", "tide"]);
    assert!(ok && !err.contains("rebuilt"), "rebuilt once, not on every search: {err}");
    assert!(out.contains("2 works match"), "{out}");
    let (ok, out, _) = ficarchive(&t.location, &["check"]);
    assert!(ok, "{out}");
}

#[tokio::test]
async fn a_change_the_index_missed_is_taken_in_by_the_next_command() {
    // As after a crash between the database commit and the index commit: the database holds
    // a new work, queued for the index, that the index never took in.
    let folder = tempfile::tempdir().unwrap();
    write_stories(folder.path());
    let t = TestArchive::sqlite();
    report(&t.location, &["import", "--json", folder.path().to_str().unwrap()]);
    let archive = ficarchive_store::Archive::open(&t.location).await.unwrap();
    let text = "Title: Late Lantern\nAuthor: Ivo Quarry\nFandom: Original Work\n\nThe lantern arrived a day late and lit itself.\n";
    let work = ficarchive_parse::parse_file("late.txt", text.as_bytes()).unwrap();
    let sha = ficarchive_parse::sha256_hex(text.as_bytes());
    let run = archive.begin_run(&[]).await.unwrap();
    let source = ficarchive_store::SourceFile::new("late.txt", &sha, text.as_bytes());
    archive.store_work(run, &work, &[source], false).await.unwrap();
    archive.close().await;

    let (ok, out, _) = ficarchive(&t.location, &["check"]);
    assert!(ok && out.contains("1 works wait in the queue"), "{out}");
    let r = report(&t.location, &["search", "--json", "lantern"]);
    assert_eq!(titles(&r), ["Late Lantern"]);
    let (ok, out, _) = ficarchive(&t.location, &["check"]);
    assert!(ok && out.contains("search index: ok (4 of 4 works)"), "{out}");
}
