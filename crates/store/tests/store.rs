//! The store on both databases: every test runs the same steps on SQLite and on PostgreSQL.

use ficarchive_model::Work;
use ficarchive_parse::{parse_file, sha256_hex};
use ficarchive_store::{Archive, Location, SourceFile, SourceOutcome, StoreError, Stored};
use ficarchive_testkit::TestArchive;

const PROSE: &str = "The ferry left at dawn, and nobody on the quay waved, because nobody on the quay had ever \
    expected it to come back. Mara stood at the rail until the town was only a smudge.";

fn text_file(title: &str, author: &str, chapter: u32, total: u32, extra_header: &str) -> String {
    format!(
        "Title: {title}\nAuthor: {author}\nFandom: Original Work\nRating: PG-13\nPairing: Mara/Ines\n{extra_header}\
         Summary: {chapter}/{total} A ferry, a letter, a long way home.\n\nChapter {chapter}\n\n{PROSE}\n\nShe counted the gulls: {chapter}.\n"
    )
}

fn parse(path: &str, text: &str) -> Work {
    parse_file(path, text.as_bytes()).expect("fixture parses")
}

async fn store(archive: &Archive, run: i64, path: &str, text: &str) -> Stored {
    let work = parse(path, text);
    let sha = sha256_hex(text.as_bytes());
    archive.store_work(run, &work, &[SourceFile::new(path, &sha, text.as_bytes())], false).await.expect("store")
}

#[tokio::test]
async fn a_work_reads_back_as_it_was_stored() {
    for t in TestArchive::both().await {
        let archive = Archive::open(&t.location).await.expect("open");
        let run = archive.begin_run(&["ferry.txt".into()]).await.unwrap();
        let text = text_file("The Long Ferry", "Quill Marsh", 1, 3, "Warnings: none\n");
        let Stored::New(id) = store(&archive, run, "ferry.txt", &text).await else { panic!("{}: expected a new work", t.name) };
        let stored = archive.work(id).await.unwrap().expect("stored work");
        let parsed = parse("ferry.txt", &text);
        assert_eq!(stored.title, parsed.title, "{}", t.name);
        assert_eq!(stored.authors, parsed.authors, "{}", t.name);
        assert_eq!(stored.relationships, parsed.relationships, "{}", t.name);
        assert_eq!(stored.rating, parsed.rating, "{}", t.name);
        assert_eq!(stored.chapters, parsed.chapters, "{}: chapter documents survive storage", t.name);
        assert_eq!(stored.chapters_total, Some(3), "{}", t.name);
        assert_eq!(stored.source.sha256, vec![sha256_hex(text.as_bytes())], "{}", t.name);
        assert_eq!(
            archive.source_bytes(&stored.source.sha256[0]).await.unwrap().as_deref(),
            Some(text.as_bytes()),
            "{}: original bytes kept",
            t.name
        );
        archive.close().await;
        t.finish().await;
    }
}

#[tokio::test]
async fn the_same_file_twice_changes_nothing_and_a_later_chapter_updates_in_place() {
    for t in TestArchive::both().await {
        let archive = Archive::open(&t.location).await.expect("open");
        let run = archive.begin_run(&[]).await.unwrap();
        let ch1 = text_file("Salt Roads", "Ines Varga", 1, 3, "");
        let ch2 = text_file("Salt Roads", "Ines Varga", 2, 3, "");
        let Stored::New(id) = store(&archive, run, "salt-1.txt", &ch1).await else { panic!("{}: new", t.name) };
        assert_eq!(store(&archive, run, "copy-of-salt-1.txt", &ch1).await, Stored::Unchanged(id), "{}", t.name);
        assert_eq!(store(&archive, run, "salt-2.txt", &ch2).await, Stored::Updated(id), "{}", t.name);
        let work = archive.work(id).await.unwrap().unwrap();
        assert_eq!(work.chapters.iter().map(|c| c.number).collect::<Vec<_>>(), vec![1, 2], "{}", t.name);
        assert_eq!(archive.work_ids().await.unwrap(), vec![id], "{}: still one work", t.name);
        assert!(archive.has_source(&sha256_hex(ch2.as_bytes())).await.unwrap(), "{}", t.name);
        let stats = archive.stats().await.unwrap();
        assert_eq!((stats.works, stats.chapters, stats.sources), (1, 2, 2), "{}", t.name);
        archive.close().await;
        t.finish().await;
    }
}

#[tokio::test]
async fn a_dry_run_writes_nothing() {
    for t in TestArchive::both().await {
        let archive = Archive::open(&t.location).await.expect("open");
        let text = text_file("Glass Harbour", "Ona Reyes", 1, 1, "");
        let work = parse("glass.txt", &text);
        let sha = sha256_hex(text.as_bytes());
        let stored = archive.store_work(0, &work, &[SourceFile::new("glass.txt", &sha, text.as_bytes())], true).await.unwrap();
        assert!(matches!(stored, Stored::New(_)), "{}", t.name);
        assert!(archive.work_ids().await.unwrap().is_empty(), "{}", t.name);
        assert!(!archive.has_source(&sha).await.unwrap(), "{}", t.name);
        archive.close().await;
        t.finish().await;
    }
}

#[tokio::test]
async fn hostile_text_is_stored_verbatim_and_never_becomes_sql() {
    for t in TestArchive::both().await {
        let archive = Archive::open(&t.location).await.expect("open");
        let run = archive.begin_run(&[]).await.unwrap();
        let title = "Robert'); DROP TABLE works;-- <script>alert(1)</script>";
        let text = text_file(title, "O'Brien \"Bobby\" Tables", 1, 1, "Tags: $1, ?, %s, \\x00\n");
        let Stored::New(id) = store(&archive, run, "tables.txt", &text).await else { panic!("{}", t.name) };
        let work = archive.work(id).await.unwrap().unwrap();
        assert_eq!(work.title.as_deref(), Some(title), "{}", t.name);
        assert_eq!(work.authors, vec!["O'Brien \"Bobby\" Tables".to_string()], "{}", t.name);
        assert_eq!(archive.stats().await.unwrap().works, 1, "{}: the works table is still there", t.name);
        archive.close().await;
        t.finish().await;
    }
}

#[tokio::test]
async fn files_that_are_not_stories_are_kept_and_recognised_next_time() {
    for t in TestArchive::both().await {
        let archive = Archive::open(&t.location).await.expect("open");
        let run = archive.begin_run(&[]).await.unwrap();
        let bytes = b"\x89PNG\r\n\x1a\n not a story";
        let sha = sha256_hex(bytes);
        archive.keep_source(run, SourceFile::new("cover.png", &sha, bytes), SourceOutcome::Failed, "binary").await.unwrap();
        assert!(archive.has_source(&sha).await.unwrap(), "{}", t.name);
        assert_eq!(archive.source_bytes(&sha).await.unwrap().as_deref(), Some(&bytes[..]), "{}", t.name);
        // A folder's files are asked about together, more than one statement's worth here.
        let others: Vec<String> = (0..700).map(|i| sha256_hex(format!("never imported {i}").as_bytes())).collect();
        let mut asked: Vec<&str> = others.iter().map(String::as_str).collect();
        asked.insert(600, &sha);
        let held = archive.held_sources(&asked).await.unwrap();
        assert_eq!(held.into_iter().collect::<Vec<_>>(), vec![sha.clone()], "{}", t.name);
        archive.close().await;
        t.finish().await;
    }
}

#[tokio::test]
async fn a_damaged_sqlite_file_is_reported_with_what_to_do() {
    let t = TestArchive::sqlite();
    let Location::Embedded(dir) = &t.location else { unreachable!() };
    std::fs::create_dir_all(dir).unwrap();
    std::fs::write(ficarchive_store::database_file(dir), vec![0x5Au8; 8192]).unwrap();
    let err = Archive::open(&t.location).await.err().expect("a damaged file does not open");
    assert!(matches!(err, StoreError::Corrupt { .. }), "{err:?}");
    assert!(err.to_string().contains("restore it from a backup"), "{err}");
}

#[tokio::test]
async fn reopening_an_archive_keeps_its_works() {
    for t in TestArchive::both().await {
        let archive = Archive::open(&t.location).await.expect("open");
        let run = archive.begin_run(&[]).await.unwrap();
        let Stored::New(id) = store(&archive, run, "a.txt", &text_file("Kept", "Lark", 1, 1, "")).await else { panic!() };
        archive.close().await;
        let again = Archive::open(&t.location).await.expect("reopen runs no migration twice");
        assert_eq!(again.work_ids().await.unwrap(), vec![id], "{}", t.name);
        again.close().await;
        t.finish().await;
    }
}

/// A long text no compressor shrinks to nothing: invented words from a fixed seed.
fn long_story(title: &str, seed: u64, words: usize) -> String {
    const SYLLABLES: [&str; 12] = ["ka", "rel", "mo", "tin", "sa", "vor", "li", "dun", "e", "bra", "os", "quen"];
    let mut state = seed.wrapping_mul(0x9E37_79B9_7F4A_7C15) | 1;
    let mut text = format!("Title: {title}\nAuthor: Tamsin Reed\nFandom: Original Work\nRating: G\n\n");
    for i in 0..words {
        state ^= state << 13;
        state ^= state >> 7;
        state ^= state << 17;
        for s in 0..(1 + state % 3) {
            text.push_str(SYLLABLES[((state >> (8 * s)) % 12) as usize]);
        }
        text.push_str(if i % 97 == 96 { ".\n\n" } else { " " });
    }
    text
}

#[tokio::test]
async fn the_write_ahead_log_stays_short_while_works_are_stored() {
    // SQLite only: the log is how an embedded archive commits. Twenty works of about half a
    // megabyte each are stored one transaction apiece; the log is copied into the database
    // file after each (off the writer's path), so it never holds more than a few of them
    // (without those checkpoints it grew to 14 MB here).
    let t = TestArchive::sqlite();
    let Location::Embedded(dir) = &t.location else { unreachable!() };
    let archive = Archive::open(&t.location).await.expect("open");
    let run = archive.begin_run(&[]).await.unwrap();
    let wal = ficarchive_store::database_file(dir).with_extension("sqlite3-wal");
    let mut largest = 0;
    for n in 0..20 {
        let path = format!("long-{n}.txt");
        let Stored::New(_) = store(&archive, run, &path, &long_story(&format!("Long Road {n}"), n, 80_000)).await else {
            panic!("work {n} is new")
        };
        tokio::time::sleep(std::time::Duration::from_millis(100)).await;
        largest = largest.max(std::fs::metadata(&wal).map_or(0, |m| m.len()));
    }
    assert_eq!(archive.work_ids().await.unwrap().len(), 20);
    assert!(largest > 0, "the archive writes through a write-ahead log");
    assert!(largest < 4 << 20, "the write-ahead log grew to {largest} bytes");
    archive.close().await;
    // Closed, the database file alone holds the archive (a copy of it is a whole backup).
    assert!(std::fs::metadata(&wal).map_or(true, |m| m.len() == 0), "the log is left behind after close");
    let again = Archive::open(&t.location).await.expect("reopen");
    assert_eq!(again.work_ids().await.unwrap().len(), 20);
    again.close().await;
}

/// The search document the importer builds while it stores a work (from the rows it has just
/// written) is the one a reindex builds by reading the work back: authors once each in the
/// work's order, series in the database's order, stated tags turned canonical.
#[tokio::test]
async fn a_stored_works_search_document_is_the_one_read_back() {
    use ficarchive_model::SeriesRef;
    use ficarchive_store::TagKind;
    for t in TestArchive::both().await {
        let archive = Archive::open(&t.location).await.expect("open");
        let run = archive.begin_run(&[]).await.unwrap();
        let mut batch = archive.begin_batch(run, false).await.unwrap();
        let mut stored = Vec::new();
        for (path, title, pairing, series) in [
            ("night.txt", "Night Ferry", "Dru/Spike", vec![("Zephyr Cycle", 1), ("Amber Roads", 2), ("Zephyr Cycle", 3)]),
            ("day.txt", "Day Ferry", "Spike/Drusilla", vec![("Amber Roads", 4)]),
            ("dusk.txt", "Dusk Ferry", "Dru & Spike", vec![]),
        ] {
            let text =
                format!("Title: {title}\nAuthor: Quill Marsh\nFandom: BtVS\nCharacters: Dru, Spike\nPairing: {pairing}\n\n{PROSE}\n");
            let mut work = parse(path, &text);
            work.authors = vec!["Quill Marsh".into(), "Ines Varga".into(), "Quill Marsh".into()];
            work.series = series.into_iter().map(|(name, part)| SeriesRef { name: name.into(), part: Some(part) }).collect();
            let sha = sha256_hex(text.as_bytes());
            let (Stored::New(id), queued) = batch.store_work(&work, &[SourceFile::new(path, &sha, text.as_bytes())]).await.unwrap() else {
                panic!("{}: {path} is new", t.name)
            };
            stored.push((id, queued));
        }
        batch.finish().await.unwrap();
        let mut relationships = Vec::new();
        for (i, (id, queued)) in stored.into_iter().enumerate() {
            let read_back = archive.search_doc(id).await.unwrap().expect("stored");
            assert_eq!(read_back.authors, ["Quill Marsh", "Ines Varga"], "{}", t.name);
            assert!(read_back.tags.contains(&(TagKind::Character, "Drusilla".into())), "{}: {:?}", t.name, read_back.tags);
            relationships.extend(read_back.tags.iter().filter(|(kind, _)| *kind == TagKind::Relationship).cloned());
            match queued {
                // The embedded index takes in the document built while storing.
                Some(queued) => assert_eq!(queued.doc, read_back, "{}", t.name),
                // PostgreSQL wrote its search rows from it instead.
                None => assert!(t.name.contains("postgres"), "{}: no document for the index", t.name),
            }
            let series: &[&str] = [&["Amber Roads", "Zephyr Cycle"][..], &["Amber Roads"], &[]][i];
            assert_eq!(read_back.series, series, "{}", t.name);
        }
        assert_eq!(relationships.len(), 3, "{}: {relationships:?}", t.name);
        assert!(relationships.iter().all(|r| r == &relationships[0]), "{}: one canonical pairing: {relationships:?}", t.name);
        archive.close().await;
        t.finish().await;
    }
}

/// Chapter bodies are kept compressed, and a chapter stored before they were (its JSON in
/// `body`, `body_packed` NULL: schema version 5) still reads as it did: whole, in the reader
/// and as a snippet's text.
#[tokio::test]
async fn chapters_are_kept_packed_and_chapters_stored_unpacked_still_read() {
    use sqlx::{Executor, Row};
    for t in TestArchive::both().await {
        let archive = Archive::open(&t.location).await.expect("open");
        let run = archive.begin_run(&[]).await.unwrap();
        let long = long_story("Harbour Lights", 11, 6000);
        let text = format!("{long}\n\nChapter 2\n\nThe lamplighter found the brass key at last.\n");
        let Stored::New(id) = store(&archive, run, "harbour.txt", &text).await else { panic!("{}: a new work", t.name) };
        let packed_work = archive.work(id).await.unwrap().expect("stored");
        let packed_chapters = archive.chapter_text(id, None).await.unwrap();
        assert!(packed_work.chapters.len() >= 2, "{}: {} chapters", t.name, packed_work.chapters.len());

        let mut conn = t.raw_connection().await;
        let sizes = conn.fetch_one("SELECT SUM(LENGTH(body)), SUM(LENGTH(body_packed)) FROM chapters").await.unwrap();
        let (plain, packed): (i64, i64) = (sizes.try_get(0).unwrap(), sizes.try_get(1).unwrap());
        assert_eq!(plain, 0, "{}: no body kept unpacked", t.name);
        let json: usize = packed_work.chapters.iter().map(|c| serde_json::to_string(&c.body).unwrap().len()).sum();
        assert!((packed as usize) < json / 2, "{}: {packed} packed bytes for {json} bytes of chapter JSON", t.name);

        // Back to the form schema version 5 wrote.
        for (position, chapter) in packed_work.chapters.iter().enumerate() {
            sqlx::query("UPDATE chapters SET body = $1, body_packed = NULL WHERE work_id = $2 AND position = $3")
                .bind(serde_json::to_string(&chapter.body).unwrap())
                .bind(id)
                .bind(position as i64)
                .execute(&mut conn)
                .await
                .unwrap();
        }
        let unpacked = conn.fetch_one("SELECT COUNT(*) FROM chapters WHERE body_packed IS NULL AND body <> ''").await.unwrap();
        assert_eq!(unpacked.try_get::<i64, _>(0).unwrap(), packed_work.chapters.len() as i64, "{}", t.name);

        assert_eq!(archive.work(id).await.unwrap().expect("stored").chapters, packed_work.chapters, "{}", t.name);
        assert_eq!(archive.chapter_text(id, None).await.unwrap(), packed_chapters, "{}", t.name);
        let snippets = archive.snippet_texts(&[id], |text| text.contains("brass key")).await.unwrap();
        assert_eq!(snippets[&id], packed_work.chapters[1].body.plain_text(), "{}: the snippet comes from chapter 2", t.name);
        archive.close().await;
        t.finish().await;
    }
}

/// `check` names a chapter whose packed body no longer unpacks and a source whose copy no
/// longer matches its sha256, and finds nothing wrong before either was damaged.
#[tokio::test]
async fn check_names_a_damaged_chapter_and_a_damaged_source() {
    for t in TestArchive::both().await {
        let archive = Archive::open(&t.location).await.expect("open");
        let run = archive.begin_run(&[]).await.unwrap();
        let Stored::New(id) = store(&archive, run, "ferry.txt", &text_file("The Long Ferry", "Quill Marsh", 1, 1, "")).await else {
            panic!("{}: a new work", t.name)
        };
        assert_eq!(archive.check_database().await.unwrap(), Vec::<String>::new(), "{}", t.name);
        let mut conn = t.raw_connection().await;
        sqlx::query("UPDATE chapters SET body_packed = $1 WHERE work_id = $2")
            .bind(b"not zstd".to_vec())
            .bind(id)
            .execute(&mut conn)
            .await
            .unwrap();
        let packed = ficarchive_store::pack(b"other bytes", ficarchive_store::Packed::Source).unwrap();
        sqlx::query("UPDATE sources SET content = $1 WHERE work_id = $2").bind(packed).bind(id).execute(&mut conn).await.unwrap();
        let problems = archive.check_database().await.unwrap();
        assert_eq!(problems.len(), 2, "{}: {problems:?}", t.name);
        assert!(problems[0].contains("ferry.txt does not match its sha256"), "{}: {problems:?}", t.name);
        assert!(problems[1].starts_with(&format!("chapter 1 of work {id}: a stored chapter is damaged")), "{}: {problems:?}", t.name);
        archive.close().await;
        t.finish().await;
    }
}
