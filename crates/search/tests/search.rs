//! Search on both homes of an archive: tantivy beside SQLite, and PostgreSQL's full-text
//! search. Every test runs the same steps on both and expects the same answers.

use ficarchive_parse::{parse_file, sha256_hex};
use ficarchive_query::{Facet, Filters, SearchRequest, SearchResults, SortKey, TagFilter, parse_query};
use ficarchive_search::{SearchError, Searcher};
use ficarchive_store::{Archive, SourceFile, Stored, TagKind, TagRef};
use ficarchive_testkit::TestArchive;

/// Four invented works: two Buffy works (one through each spelling of the fandom and of
/// Drusilla), one Harry Potter work, one original work.
const WORKS: [(&str, &str); 4] = [
    (
        "lamplighter.txt",
        "Title: The Lamplighter's Daughter\nAuthor: Quill Marsh\nFandom: BtVS\nPairing: Willow & Spike\nCharacters: Dru\n\
         Rating: PG-13\nStatus: Complete\nPublished: 2003-05-01\nUpdated: 2003-06-10\nLanguage: English\n\
         Series: Harbour Lights (Part 2)\nSummary: A lamp, a ledger and a long night.\n\n\
         The lighthouse keeper counted gulls from the gallery every evening, and wrote the number in a ledger nobody read.\n\n\
         On the ninth night the lamp failed, and she climbed the stair with a candle and a box of matches.\n",
    ),
    (
        "salt-roads.txt",
        "Title: Salt Roads\nAuthor: Ines Varga\nFandom: Buffy the Vampire Slayer\nPairing: Spike/Willow\nCharacters: Drusilla, Giles\n\
         Rating: NC-17\nStatus: In progress\nPublished: 2004-02-14\nUpdated: 2005-08-01\nLanguage: English\n\
         Series: Harbour Lights (Part 1)\nSummary: The ferry never waits.\n\n\
         A ferry crossed the grey water twice a day, and twice a day Giles watched it go from the harbour wall without a ticket.\n\n\
         Nobody on the quay asked where he meant to go. The gulls had opinions, loudly, about everything else.\n\n\
         By winter the ferry ran once a day, and then not at all, and the harbour went quiet as a held breath.\n",
    ),
    (
        "anchor-weather.txt",
        "Title: Anchor Weather\nAuthor: Ona Reyes\nFandom: Harry Potter\nPairing: Harry/Draco\nRating: G\nStatus: Complete\n\
         Published: 2010-09-01\nUpdated: 2010-09-01\nLanguage: English\nTags: storm, Fluff\nSummary: Two wizards and a storm.\n\n\
         The storm came in off the sea like a rumour, and the old lighthouse shook in it all night.\n",
    ),
    (
        "quiet-orchard.txt",
        "Title: Quiet Orchard\nAuthor: Quill Marsh\nFandom: Original Work\nRating: R\nStatus: Complete\nPublished: 2021-04-04\n\
         Updated: 2021-04-04\nLanguage: Deutsch\nTags: fluff\nSummary: Apples, mostly.\n\n\
         The keeper of the lighthouse had given up the lamp for an orchard, and the apples did not need counting at all, \
         which suited her. She sold them at the quay on Saturdays and never asked a fair price.\n",
    ),
];

struct Setup {
    archive: Archive,
    searcher: Searcher,
    ids: Vec<i64>,
}

async fn setup(t: &TestArchive) -> Setup {
    let archive = Archive::open(&t.location).await.expect("open");
    let run = archive.begin_run(&[]).await.unwrap();
    let mut ids = Vec::new();
    for (path, text) in WORKS {
        let work = parse_file(path, text.as_bytes()).expect("parses");
        let sha = sha256_hex(text.as_bytes());
        let Stored::New(id) = archive.store_work(run, &work, &[SourceFile::new(path, &sha, text.as_bytes())], false).await.unwrap() else {
            panic!("{path}: expected a new work")
        };
        ids.push(id);
    }
    let mut searcher = Searcher::open(&archive).expect("open search");
    searcher.catch_up(&archive).await.expect("index");
    Setup { archive, searcher, ids }
}

impl Setup {
    async fn run(&self, request: &SearchRequest) -> SearchResults {
        self.searcher.search(&self.archive, request).await.unwrap_or_else(|e| panic!("{request:?}: {e}"))
    }

    async fn titles(&self, query: &str) -> Vec<String> {
        let mut titles: Vec<String> =
            self.run(&SearchRequest::new(parse_query(query).unwrap())).await.hits.into_iter().map(|h| h.title).collect();
        titles.sort();
        titles
    }

    async fn filtered(&self, query: &str, filters: Filters) -> SearchResults {
        let mut request = SearchRequest::new(parse_query(query).unwrap());
        request.filters = filters;
        self.run(&request).await
    }
}

fn titles(results: &SearchResults) -> Vec<&str> {
    let mut t: Vec<&str> = results.hits.iter().map(|h| h.title.as_str()).collect();
    t.sort();
    t
}

fn facet<'a>(results: &'a SearchResults, name: &str) -> Vec<(&'a str, u64)> {
    let f: &Facet = results.facets.iter().find(|f| f.name == name).unwrap_or_else(|| panic!("no facet {name}"));
    f.values.iter().map(|v| (v.name.as_str(), v.count)).collect()
}

fn tag(kind: TagKind, name: &str) -> TagFilter {
    TagFilter { kind, name: name.to_string() }
}

#[tokio::test]
async fn words_phrases_and_operators_find_works_by_their_text() {
    for t in TestArchive::both().await {
        let s = setup(&t).await;
        let n = t.name;
        assert_eq!(s.titles("lighthouse").await, ["Anchor Weather", "Quiet Orchard", "The Lamplighter's Daughter"], "{n}");
        // Stemming: "counting" finds "counted".
        assert_eq!(s.titles("counting").await, ["Quiet Orchard", "The Lamplighter's Daughter"], "{n}");
        assert_eq!(s.titles("\"lighthouse keeper\"").await, ["The Lamplighter's Daughter"], "{n}");
        assert_eq!(s.titles("lighthouse keeper").await, ["Quiet Orchard", "The Lamplighter's Daughter"], "{n}");
        assert_eq!(s.titles("orchard OR ferry").await, ["Quiet Orchard", "Salt Roads"], "{n}");
        assert_eq!(s.titles("lighthouse -storm").await, ["Quiet Orchard", "The Lamplighter's Daughter"], "{n}");
        assert_eq!(s.titles("lighthouse NOT (storm OR apples)").await, ["The Lamplighter's Daughter"], "{n}");
        assert_eq!(s.titles("title:orchard").await, ["Quiet Orchard"], "{n}");
        assert_eq!(s.titles("author:marsh").await, ["Quiet Orchard", "The Lamplighter's Daughter"], "{n}");
        // Field prefixes search canonical tags: "Drusilla" reaches the work that said "Dru".
        assert_eq!(s.titles("character:drusilla").await, ["Salt Roads", "The Lamplighter's Daughter"], "{n}");
        assert_eq!(s.titles("fandom:\"vampire slayer\"").await, ["Salt Roads", "The Lamplighter's Daughter"], "{n}");
        assert_eq!(s.titles("summary:ledger").await, ["The Lamplighter's Daughter"], "{n}");
        assert_eq!(s.titles("series:harbour").await, ["Salt Roads", "The Lamplighter's Daughter"], "{n}");
        assert_eq!(s.titles("text:ferry").await, ["Salt Roads"], "{n}");
        assert!(s.titles("zeppelin").await.is_empty(), "{n}");
        assert_eq!(s.titles("").await.len(), 4, "{n}: the empty query is every work");
        s.archive.close().await;
        t.finish().await;
    }
}

#[tokio::test]
async fn filters_use_canonical_tags_and_facets_count_every_value() {
    for t in TestArchive::both().await {
        let s = setup(&t).await;
        let n = t.name;
        // Any spelling names the canonical tag: "Buffy" is "Buffy the Vampire Slayer".
        let r = s.filtered("", Filters { include: vec![tag(TagKind::Fandom, "Buffy")], ..Filters::default() }).await;
        assert_eq!(titles(&r), ["Salt Roads", "The Lamplighter's Daughter"], "{n}");
        assert_eq!(facet(&r, "character"), [("Drusilla", 2), ("Rupert Giles", 1)], "{n}");
        assert_eq!(facet(&r, "relationship"), [("Spike/Willow Rosenberg", 2)], "{n}");
        assert_eq!(facet(&r, "rating"), [("Explicit", 1), ("Teen And Up Audiences", 1)], "{n}");
        assert_eq!(facet(&r, "complete"), [("complete", 1), ("in progress", 1)], "{n}");

        // Over every work: all values, none cut off.
        let all = s.filtered("", Filters::default()).await;
        assert_eq!(all.total, 4, "{n}");
        assert_eq!(
            facet(&all, "fandom"),
            [("Buffy the Vampire Slayer", 2), ("Harry Potter - J. K. Rowling", 1), ("Original Work", 1)],
            "{n}"
        );
        assert_eq!(facet(&all, "freeform"), [("Fluff", 2), ("storm", 1)], "{n}: \"fluff\" and \"Fluff\" are one tag");
        assert_eq!(facet(&all, "language"), [("english", 3), ("deutsch", 1)], "{n}");

        let r = s.filtered("lighthouse", Filters { exclude: vec![tag(TagKind::Freeform, "fluff")], ..Filters::default() }).await;
        assert_eq!(titles(&r), ["The Lamplighter's Daughter"], "{n}");
        let ratings = vec![tag(TagKind::Rating, "General Audiences"), tag(TagKind::Rating, "Mature")];
        let r = s.filtered("", Filters { include: ratings, ..Filters::default() }).await;
        assert_eq!(titles(&r), ["Anchor Weather", "Quiet Orchard"], "{n}: several ratings mean any of them");
        let r = s.filtered("", Filters { complete: Some(false), ..Filters::default() }).await;
        assert_eq!(titles(&r), ["Salt Roads"], "{n}");
        let r = s.filtered("", Filters { language: Some("Deutsch".into()), ..Filters::default() }).await;
        assert_eq!(titles(&r), ["Quiet Orchard"], "{n}");
        let r = s.filtered("", Filters { words_min: Some(35), ..Filters::default() }).await;
        assert_eq!(titles(&r), ["Quiet Orchard", "Salt Roads", "The Lamplighter's Daughter"], "{n}");
        let r = s.filtered("", Filters { words_max: Some(30), ..Filters::default() }).await;
        assert_eq!(titles(&r), ["Anchor Weather"], "{n}");
        let r = s.filtered("", Filters { published_from: Some(20040101), published_to: Some(20101231), ..Filters::default() }).await;
        assert_eq!(titles(&r), ["Anchor Weather", "Salt Roads"], "{n}");
        let r = s.filtered("", Filters { updated_from: Some(20210101), ..Filters::default() }).await;
        assert_eq!(titles(&r), ["Quiet Orchard"], "{n}");
        let r = s.filtered("", Filters { series: Some("Harbour Lights".into()), ..Filters::default() }).await;
        assert_eq!(titles(&r), ["Salt Roads", "The Lamplighter's Daughter"], "{n}");

        let err = s
            .searcher
            .search(&s.archive, &{
                let mut r = SearchRequest::new(parse_query("").unwrap());
                r.filters.include.push(tag(TagKind::Fandom, "Nowhere Show"));
                r
            })
            .await
            .unwrap_err()
            .to_string();
        assert!(err.contains("no fandom tag \"Nowhere Show\""), "{n}: {err}");
        s.archive.close().await;
        t.finish().await;
    }
}

#[tokio::test]
async fn sorts_pages_and_snippets() {
    for t in TestArchive::both().await {
        let s = setup(&t).await;
        let n = t.name;
        let order = |r: &SearchResults| r.hits.iter().map(|h| h.title.clone()).collect::<Vec<_>>();
        let mut request = SearchRequest::new(parse_query("").unwrap());
        request.sort = SortKey::Title;
        request.descending = false;
        let r = s.run(&request).await;
        assert_eq!(order(&r), ["Anchor Weather", "The Lamplighter's Daughter", "Quiet Orchard", "Salt Roads"], "{n}: articles ignored");
        request.sort = SortKey::Updated;
        request.descending = true;
        assert_eq!(order(&s.run(&request).await), ["Quiet Orchard", "Anchor Weather", "Salt Roads", "The Lamplighter's Daughter"], "{n}");
        request.sort = SortKey::Words;
        request.descending = false;
        let by_words = s.run(&request).await;
        assert_eq!(by_words.hits.first().map(|h| h.title.as_str()), Some("Anchor Weather"), "{n}");
        assert!(by_words.hits.windows(2).all(|w| w[0].words <= w[1].words), "{n}");
        request.sort = SortKey::Author;
        assert_eq!(s.run(&request).await.hits[0].authors, ["Ines Varga"], "{n}: credited names sort as written");

        // Pages: two per page, page 2 holds the rest, no overlap.
        request.sort = SortKey::Title;
        request.per_page = 2;
        request.page = 2;
        let page2 = s.run(&request).await;
        assert_eq!((page2.total, order(&page2)), (4, vec!["Quiet Orchard".to_string(), "Salt Roads".to_string()]), "{n}");

        // Relevance puts the title match first; the snippet shows the matched words.
        let mut request = SearchRequest::new(parse_query("ferry").unwrap());
        request.sort = SortKey::Relevance;
        let r = s.run(&request).await;
        assert_eq!(order(&r), ["Salt Roads"], "{n}");
        let highlighted: Vec<&str> = r.hits[0].snippet.iter().filter(|f| f.highlighted).map(|f| f.text.as_str()).collect();
        assert!(!highlighted.is_empty() && highlighted.iter().all(|h| h.eq_ignore_ascii_case("ferry")), "{n}: {:?}", r.hits[0].snippet);
        let text: String = r.hits[0].snippet.iter().map(|f| f.text.as_str()).collect();
        assert!(text.contains("grey water"), "{n}: {text}");
        s.archive.close().await;
        t.finish().await;
    }
}

#[tokio::test]
async fn hostile_queries_are_text_and_the_archive_is_untouched() {
    for t in TestArchive::both().await {
        let s = setup(&t).await;
        let n = t.name;
        for q in ["'; DROP TABLE works; --", "title:'x' || 'y'", "ferry & | ! <-> :*", "\\\\ %_% $1", "((ferry)) OR \"\\\\\""] {
            let parsed = parse_query(q).unwrap_or_else(|e| panic!("{q}: {e}"));
            s.searcher.search(&s.archive, &SearchRequest::new(parsed)).await.unwrap_or_else(|e| panic!("{n}: {q}: {e}"));
        }
        // Broken syntax is a message pointing at the problem, never a search.
        let err = parse_query("\") OR 1=1 --").unwrap_err();
        assert_eq!(err.column, 1, "{n}");
        assert_eq!(s.archive.work_ids().await.unwrap(), s.ids, "{n}");
        let mut request = SearchRequest::new(parse_query("").unwrap());
        request.filters.include.push(tag(TagKind::Freeform, "x' OR '1'='1"));
        let err = s.searcher.search(&s.archive, &request).await.unwrap_err().to_string();
        assert!(err.contains("no freeform tag"), "{n}: {err}");
        s.archive.close().await;
        t.finish().await;
    }
}

#[tokio::test]
async fn tag_changes_reach_the_index_and_check_finds_a_stale_index() {
    for t in TestArchive::both().await {
        let mut s = setup(&t).await;
        let n = t.name;
        s.archive.merge_tags(&TagRef::parse("freeform:storm"), &TagRef::parse("freeform:Fluff")).await.unwrap();
        s.searcher.catch_up(&s.archive).await.unwrap();
        let all = s.filtered("", Filters::default()).await;
        assert_eq!(facet(&all, "freeform"), [("Fluff", 2)], "{n}: the merged tag counts once per work");
        assert!(s.searcher.check(&s.archive).await.unwrap().is_clean(), "{n}");
        s.archive.close().await;
        t.finish().await;
    }
}

#[tokio::test]
async fn a_damaged_index_is_reported_and_reindex_repairs_it() {
    let t = TestArchive::sqlite();
    let s = setup(&t).await;
    let index_dir = s.searcher.index_dir().unwrap().to_path_buf();
    drop(s.searcher);
    for entry in std::fs::read_dir(&index_dir).unwrap() {
        let path = entry.unwrap().path();
        if path.extension().is_some_and(|e| e == "fast" || e == "idx" || e == "term") {
            std::fs::write(&path, b"scribbled over").unwrap();
        }
    }
    let err = Searcher::open(&s.archive).err().expect("a damaged index is refused");
    assert!(matches!(err, SearchError::Damaged(_)) && err.to_string().contains("ficarchive reindex"), "{err}");
    let mut fresh = Searcher::open_fresh(&s.archive).unwrap();
    assert_eq!(fresh.rebuild(&s.archive).await.unwrap(), 4);
    let reopened = Searcher::open(&s.archive).unwrap();
    assert!(reopened.check(&s.archive).await.unwrap().is_clean());
    let r = reopened.search(&s.archive, &SearchRequest::new(parse_query("lighthouse").unwrap())).await.unwrap();
    assert_eq!(r.total, 3);
    s.archive.close().await;
}

/// A long work's snippet comes from the chapter where the query's word is, however far in:
/// snippets read chapters in order and stop at the first that has it.
#[tokio::test]
async fn a_snippet_is_cut_from_the_chapter_that_holds_the_word() {
    for t in TestArchive::both().await {
        let mut s = setup(&t).await;
        let n = t.name;
        let mut text = String::from("Title: Tide Tables\nAuthor: Ona Reyes\nFandom: Original Work\nRating: G\n\n");
        for (chapter, line) in [
            "The tide came in at four and went out at ten, and the harbourmaster wrote both down.",
            "In the second week the nets were mended on the slipway while the rain held off.",
            "On the last morning a cormorant stood on the bollard and would not be moved by anyone.",
        ]
        .iter()
        .enumerate()
        {
            text.push_str(&format!("Chapter {}\n\n{line}\n\n", chapter + 1));
        }
        let work = parse_file("tide-tables.txt", text.as_bytes()).expect("parses");
        assert_eq!(work.chapters.len(), 3, "{n}: three chapters");
        let sha = sha256_hex(text.as_bytes());
        let run = s.archive.begin_run(&[]).await.unwrap();
        s.archive.store_work(run, &work, &[SourceFile::new("tide-tables.txt", &sha, text.as_bytes())], false).await.unwrap();
        s.searcher.catch_up(&s.archive).await.unwrap();

        let r = s.run(&SearchRequest::new(parse_query("cormorant").unwrap())).await;
        assert_eq!(r.hits.len(), 1, "{n}");
        let snippet: String = r.hits[0].snippet.iter().map(|f| f.text.as_str()).collect();
        assert!(snippet.contains("bollard"), "{n}: the third chapter's words: {snippet:?}");
        assert!(r.hits[0].snippet.iter().any(|f| f.highlighted && f.text.eq_ignore_ascii_case("cormorant")), "{n}");
        s.archive.close().await;
        t.finish().await;
    }
}
