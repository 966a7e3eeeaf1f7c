//! Tag wrangling in the archive, on both databases: canonical tags chosen at import, and the
//! archivist's merge, rename and synonym, which later imports respect.

use ficarchive_parse::{parse_file, sha256_hex};
use ficarchive_store::{Archive, SourceFile, Stored, TagRef};
use ficarchive_testkit::TestArchive;

const PROSE: &str = "Rain came sideways off the harbour and the lamps along the sea wall went out one by one, \
    which suited everybody who had business there that night.";

fn story(title: &str, header: &str) -> String {
    format!("Title: {title}\nAuthor: Vell Lantern\n{header}\n\n{PROSE}\n")
}

async fn store(archive: &Archive, title: &str, header: &str) -> i64 {
    let text = story(title, header);
    let path = format!("{title}.txt");
    let work = parse_file(&path, text.as_bytes()).expect("parses");
    let sha = sha256_hex(text.as_bytes());
    let run = archive.begin_run(&[]).await.unwrap();
    match archive.store_work(run, &work, &[SourceFile::new(&path, &sha, text.as_bytes())], false).await.unwrap() {
        Stored::New(id) | Stored::Updated(id) | Stored::Unchanged(id) => id,
    }
}

fn tag(text: &str) -> TagRef {
    TagRef::parse(text)
}

#[tokio::test]
async fn spellings_of_one_tag_share_a_canonical_tag_and_works_keep_what_they_stated() {
    for t in TestArchive::both().await {
        let archive = Archive::open(&t.location).await.expect("open");
        let a = store(&archive, "Tide Line", "Fandom: BtVS\nPairing: Willow & Spike\nCharacters: Dru, Giles\nGenre: Angst").await;
        let b = store(&archive, "Low Water", "Fandom: Buffy the Vampire Slayer\nPairing: spike/willow\nCharacters: Drusilla\nGenre: angst")
            .await;

        let relationships = archive.tags(Some(ficarchive_store::TagKind::Relationship)).await.unwrap();
        assert_eq!(relationships.len(), 1, "{}: {relationships:?}", t.name);
        assert_eq!((relationships[0].name.as_str(), relationships[0].works), ("Spike/Willow Rosenberg", 2), "{}", t.name);

        let drusilla = archive.find_tag(&tag("character:Drusilla")).await.unwrap();
        assert_eq!(drusilla.works, 2, "{}: Dru and Drusilla are one character", t.name);
        assert_eq!(drusilla.synonyms, vec!["Dru".to_string()], "{}", t.name);
        assert_eq!(drusilla.parents, vec![("fandom".to_string(), "Buffy the Vampire Slayer".to_string())], "{}", t.name);

        let dru = archive.find_tag(&tag("Dru")).await.unwrap();
        assert_eq!(dru.canonical.as_deref(), Some("Drusilla"), "{}", t.name);

        let angst = archive.find_tag(&tag("freeform:angst")).await.unwrap();
        assert_eq!((angst.canonical.as_deref(), angst.works), (Some("Angst"), 2), "{}: case folds to the first spelling", t.name);

        let fandom = archive.find_tag(&tag("fandom:Buffy the Vampire Slayer")).await.unwrap();
        assert!(fandom.children.contains(&("character".to_string(), "Rupert Giles".to_string())), "{}: {:?}", t.name, fandom.children);
        assert_eq!(archive.stats().await.unwrap().by_fandom, vec![("Buffy the Vampire Slayer".to_string(), 2)], "{}", t.name);

        let stored = archive.work(a).await.unwrap().unwrap();
        assert_eq!(stored.relationships, vec!["Willow & Spike".to_string()], "{}: the stated string is kept", t.name);
        assert_eq!(stored.characters, vec!["Dru".to_string(), "Giles".to_string()], "{}", t.name);
        assert_eq!(archive.work(b).await.unwrap().unwrap().fandoms, vec!["Buffy the Vampire Slayer".to_string()], "{}", t.name);
        archive.close().await;
        t.finish().await;
    }
}

#[tokio::test]
async fn archivist_decisions_change_counts_and_survive_later_imports() {
    for t in TestArchive::both().await {
        let archive = Archive::open(&t.location).await.expect("open");
        let first = store(&archive, "Glass Orchard", "Fandom: Lanterns of Vell\nTags: slow burn, lamplighters").await;
        let second = store(&archive, "Copper Orchard", "Fandom: Lanterns Of Vell\nTags: Slowburn").await;

        // Synonym: "Slowburn" means "slow burn".
        let changed = archive.make_synonym(&tag("Slowburn"), &tag("freeform:slow burn")).await.unwrap();
        assert_eq!(changed, vec![first, second], "{}: both works changed canonical tags", t.name);
        assert_eq!(archive.find_tag(&tag("slow burn")).await.unwrap().works, 2, "{}", t.name);

        // Rename: the old name stays as a synonym.
        archive.rename_tag(&tag("fandom:Lanterns of Vell"), "Lanterns of Vell (Novels)").await.unwrap();
        let renamed = archive.find_tag(&tag("Lanterns of Vell (Novels)")).await.unwrap();
        assert_eq!(renamed.works, 2, "{}", t.name);
        assert!(renamed.synonyms.contains(&"Lanterns of Vell".to_string()), "{}: {:?}", t.name, renamed.synonyms);

        // Renaming onto another tag is refused with the merge command to run instead.
        let err = archive.rename_tag(&tag("freeform:lamplighters"), "slow burn").await.unwrap_err().to_string();
        assert!(err.contains("ficarchive tags merge"), "{}: {err}", t.name);

        // Merge: lamplighters into slow burn.
        archive.merge_tags(&tag("lamplighters"), &tag("slow burn")).await.unwrap();
        assert_eq!(archive.find_tag(&tag("lamplighters")).await.unwrap().canonical.as_deref(), Some("slow burn"), "{}", t.name);

        // A later import that states the old spellings lands on the archivist's tags.
        store(&archive, "Tin Orchard", "Fandom: Lanterns of Vell\nTags: Slowburn, Lamplighters").await;
        assert_eq!(archive.find_tag(&tag("fandom:Lanterns of Vell (Novels)")).await.unwrap().works, 3, "{}", t.name);
        let slow_burn = archive.find_tag(&tag("freeform:slow burn")).await.unwrap();
        assert_eq!(slow_burn.works, 3, "{}", t.name);
        let freeform = archive.tags(Some(ficarchive_store::TagKind::Freeform)).await.unwrap();
        assert_eq!(freeform.iter().map(|t| t.name.as_str()).collect::<Vec<_>>(), vec!["slow burn"], "{}", t.name);
        archive.close().await;
        t.finish().await;
    }
}

#[tokio::test]
async fn unclear_tag_names_are_errors_that_say_what_to_type() {
    for t in TestArchive::both().await {
        let archive = Archive::open(&t.location).await.expect("open");
        store(&archive, "Both Ways", "Fandom: Orchard\nCharacters: Orchard\nTags: quiet").await;
        let err = archive.find_tag(&tag("Orchard")).await.unwrap_err().to_string();
        assert!(err.contains("character:Orchard") && err.contains("fandom:Orchard"), "{}: {err}", t.name);
        let err = archive.find_tag(&tag("Nowhere")).await.unwrap_err().to_string();
        assert!(err.contains("no tag named"), "{}: {err}", t.name);
        let err = archive.merge_tags(&tag("fandom:Orchard"), &tag("quiet")).await.unwrap_err().to_string();
        assert!(err.contains("only tags of one kind"), "{}: {err}", t.name);
        // A name that contains a colon but no kind prefix is a name.
        assert_eq!(TagRef::parse("Angel: the Series").name, "Angel: the Series");
        archive.close().await;
        t.finish().await;
    }
}
