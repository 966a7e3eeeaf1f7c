//! `ficarchive import` and `stats` as a user runs them, on SQLite and on PostgreSQL.

use ficarchive_store::Location;
use ficarchive_testkit::TestArchive;
use std::path::{Path, PathBuf};

mod common;
use common::{ficarchive, fixtures, report};

#[tokio::test]
async fn importing_the_fixtures_twice_stores_them_once() {
    let dir = fixtures();
    let dir = dir.to_str().unwrap();
    for t in TestArchive::both().await {
        let first = report(&t.location, &["import", "--json", dir]);
        let new = first["new"].as_u64().unwrap();
        assert!(new >= 15, "{}: {first}", t.name);
        // The binary and empty fixtures fail with their reason; the interstitial is not a story.
        let failed: Vec<&str> = first["failed"].as_array().unwrap().iter().map(|f| f["path"].as_str().unwrap()).collect();
        assert!(failed.iter().any(|p| p.ends_with("cover.png.txt")), "{}: {failed:?}", t.name);
        assert!(failed.iter().any(|p| p.ends_with("empty.txt")), "{}: {failed:?}", t.name);
        let not_stories: Vec<&str> = first["not_stories"].as_array().unwrap().iter().map(|f| f["kind"].as_str().unwrap()).collect();
        assert!(not_stories.contains(&"interstitial"), "{}: {not_stories:?}", t.name);

        let second = report(&t.location, &["import", "--json", dir]);
        assert_eq!(second["new"], 0, "{}: {second}", t.name);
        assert_eq!(second["updated"], 0, "{}: {second}", t.name);
        assert_eq!(second["failed"].as_array().unwrap().len(), 0, "{}: known bad files are recognised: {second}", t.name);
        assert_eq!(second["unchanged"], first["files"], "{}: every file is already held: {second}", t.name);

        let stats = report(&t.location, &["stats", "--json"]);
        assert_eq!(stats["works"].as_u64(), Some(new), "{}: {stats}", t.name);
        t.finish().await;
    }
}

fn chapter_file(dir: &Path, name: &str, chapter: u32) {
    let text = format!(
        "Title: The Glass Orchard\nAuthor: Pell Ashdown\nFandom: Original Work\nRating: T\n\nChapter {chapter}\n\n\
         The orchard had been glass for as long as anyone remembered, and every autumn the apples rang like bells \
         when the wind came through them. Chapter {chapter} of the story begins here, quietly.\n\nTo Be Continued...\n"
    );
    std::fs::write(dir.join(name), text).unwrap();
}

#[tokio::test]
async fn a_chapter_saved_later_joins_its_work_and_keeps_its_id() {
    for t in TestArchive::both().await {
        let pile = tempfile::tempdir().unwrap();
        chapter_file(pile.path(), "orchard-1.txt", 1);
        let first = report(&t.location, &["import", "--json", pile.path().to_str().unwrap()]);
        assert_eq!(first["new"], 1, "{}: {first}", t.name);
        chapter_file(pile.path(), "orchard-2.txt", 2);
        let second = report(&t.location, &["import", "--json", pile.path().to_str().unwrap()]);
        assert_eq!(
            (second["new"].as_u64(), second["updated"].as_u64(), second["unchanged"].as_u64()),
            (Some(0), Some(1), Some(1)),
            "{}: {second}",
            t.name
        );
        let stats = report(&t.location, &["stats", "--json"]);
        assert_eq!((stats["works"].as_u64(), stats["chapters"].as_u64()), (Some(1), Some(2)), "{}: {stats}", t.name);
        t.finish().await;
    }
}

#[test]
fn a_missing_file_is_reported_and_the_rest_is_imported() {
    let t = TestArchive::sqlite();
    let pile = tempfile::tempdir().unwrap();
    chapter_file(pile.path(), "orchard-1.txt", 1);
    let missing = pile.path().join("gone.txt");
    let r = report(&t.location, &["import", "--json", missing.to_str().unwrap(), pile.path().to_str().unwrap()]);
    assert_eq!(r["new"], 1, "{r}");
    let failed = r["failed"].as_array().unwrap();
    assert_eq!(failed.len(), 1, "{r}");
    assert!(failed[0]["reason"].as_str().unwrap().contains("cannot read"), "{r}");
}

#[test]
fn a_dry_run_reports_and_creates_nothing() {
    let t = TestArchive::sqlite();
    let Location::Embedded(dir) = &t.location else { unreachable!() };
    let pile = tempfile::tempdir().unwrap();
    chapter_file(pile.path(), "orchard-1.txt", 1);
    let r = report(&t.location, &["import", "--dry-run", "--json", pile.path().to_str().unwrap()]);
    assert_eq!((r["dry_run"].as_bool(), r["new"].as_u64()), (Some(true), Some(1)), "{r}");
    assert!(!dir.exists(), "a dry run must not create the archive");
    let (ok, _, stderr) = ficarchive(&t.location, &["stats"]);
    assert!(!ok && stderr.contains("no archive"), "{stderr}");
}

/// A calibre-style folder of books: every example work exported as EPUB, plus a hostile book
/// whose entry climbs out of the archive. The good books import (with their chapters, tags
/// and text searchable); the hostile one is refused with its reason; nothing else is lost.
#[tokio::test]
async fn a_folder_of_epub_books_imports_and_a_hostile_one_is_refused() {
    let source = TestArchive::sqlite();
    let examples = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../examples");
    report(&source.location, &["import", "--json", examples.to_str().unwrap()]);
    let shelf = tempfile::tempdir().unwrap();
    let (ok, written, stderr) = ficarchive(&source.location, &["export", "--all", "--name", "Shelf", "-o", shelf.path().to_str().unwrap()]);
    assert!(ok, "{stderr}");
    assert_eq!(written.lines().count(), 6, "{written}");

    // A zip whose second entry is named `../../outside.xhtml`.
    let mut hostile = std::fs::read(written.lines().next().unwrap()).unwrap();
    let at = hostile.windows(22).position(|w| w == b"META-INF/container.xml").unwrap();
    hostile[at..at + 22].copy_from_slice(b"../../../container.xml");
    let central = hostile.windows(22).rposition(|w| w == b"META-INF/container.xml").unwrap();
    hostile[central..central + 22].copy_from_slice(b"../../../container.xml");
    std::fs::write(shelf.path().join("hostile.epub"), hostile).unwrap();

    for t in TestArchive::both().await {
        let r = report(&t.location, &["import", "--json", shelf.path().to_str().unwrap()]);
        assert_eq!(r["new"], 6, "{}: {r}", t.name);
        let failed = r["failed"].as_array().unwrap();
        assert_eq!(failed.len(), 1, "{r}");
        let reason = failed[0]["reason"].as_str().unwrap();
        assert!(reason.contains("EPUB refused") && reason.contains("points outside the book"), "{reason}");

        let stats = report(&t.location, &["stats", "--json"]);
        assert_eq!(stats["chapters"].as_u64(), Some(10), "{}: {stats}", t.name);
        let hits = report(&t.location, &["search", "--json", "--include", "relationship:Hermione Granger/Luna Lovegood", "compass"]);
        assert_eq!(hits["total"], 1, "{hits}");
        assert_eq!(hits["hits"][0]["title"], "The Cartographer's Apprentice");
        t.finish().await;
    }
}
