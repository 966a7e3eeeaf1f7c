//! The embedded archive's search index: tantivy, in `DATA/index`.
//!
//! One document per work. Text fields use one analyser (`ficarchive`, [`crate::analyzer`]:
//! words split on anything that is not a letter or digit, lower-cased, English Snowball
//! stems, no stop words: the same choices as PostgreSQL's `ficarchive` configuration). Tags,
//! rating, completion, language and series are hierarchical facets (`/fandom/Harry Potter -
//! J. K. Rowling`), which give exact counts for every value. Numbers and dates (`yyyymmdd`)
//! are fast fields for ranges and sorts.
//! Nothing is stored: result pages take titles and authors from the database, and snippets
//! are cut from the story text read back from the database ([`SnippetMaker`]). Storing the
//! text here made the index 2.7 times larger and cost an import a tenth of its time.

use crate::SearchError;
use ficarchive_query::{
    FACETS, Facet as ResultFacet, FacetValue, Field as QueryField, Fragment, Query, SearchDoc, SearchRequest, SortKey, completion_label,
    sort_facet_values,
};
use ficarchive_store::TagKind;
use std::ops::Bound;
use std::path::Path;
use tantivy::collector::{Count, TopDocs};
use tantivy::query::{AllQuery, BooleanQuery, Occur, PhraseQuery, Query as TantivyQuery, RangeQuery, TermQuery};
use tantivy::schema::{
    FAST, Facet, FacetOptions, Field, INDEXED, IndexRecordOption, Schema, TantivyDocument, TextFieldIndexing, TextOptions,
};
use tantivy::snippet::SnippetGenerator;
use tantivy::tokenizer::{LowerCaser, RemoveLongFilter, SimpleTokenizer, TextAnalyzer};
use tantivy::{DocAddress, Index, IndexReader, IndexWriter, Order, ReloadPolicy, Term};

const ANALYZER: &str = "ficarchive";
/// Bumped whenever the schema or what the analyser gives the index changes (3: pairs of
/// common words): an index of another version is rebuilt, not misread.
pub const SCHEMA_VERSION: u32 = 3;
const VERSION_FILE: &str = "ficarchive-index-version";
const WRITER_MEMORY: usize = 96 * 1024 * 1024;

#[derive(Clone, Copy)]
struct Fields {
    id: Field,
    title: Field,
    author: Field,
    summary: Field,
    notes: Field,
    text: Field,
    tags: Field,
    fandoms: Field,
    relationships: Field,
    characters: Field,
    series: Field,
    facets: Field,
    words: Field,
    published: Field,
    updated: Field,
    modified: Field,
    title_sort: Field,
    author_sort: Field,
}

fn schema() -> (Schema, Fields) {
    let mut b = Schema::builder();
    let indexing = TextFieldIndexing::default().set_tokenizer(ANALYZER).set_index_option(IndexRecordOption::WithFreqsAndPositions);
    let text = TextOptions::default().set_indexing_options(indexing);
    let sortable = TextOptions::default().set_fast("raw");
    let fields = Fields {
        id: b.add_i64_field("id", INDEXED | FAST),
        title: b.add_text_field("title", text.clone()),
        author: b.add_text_field("author", text.clone()),
        summary: b.add_text_field("summary", text.clone()),
        notes: b.add_text_field("notes", text.clone()),
        text: b.add_text_field("text", text.clone()),
        tags: b.add_text_field("tags", text.clone()),
        fandoms: b.add_text_field("fandoms", text.clone()),
        relationships: b.add_text_field("relationships", text.clone()),
        characters: b.add_text_field("characters", text.clone()),
        series: b.add_text_field("series", text),
        facets: b.add_facet_field("facets", FacetOptions::default()),
        words: b.add_u64_field("words", INDEXED | FAST),
        published: b.add_u64_field("published", INDEXED | FAST),
        updated: b.add_u64_field("updated", INDEXED | FAST),
        modified: b.add_i64_field("modified", FAST),
        title_sort: b.add_text_field("title_sort", sortable.clone()),
        author_sort: b.add_text_field("author_sort", sortable),
    };
    (b.build(), fields)
}

/// How a word or phrase becomes terms ([`TantivyIndex::leaf`]).
#[derive(Clone, Copy)]
enum Words {
    /// Common words side by side searched by their pair (what a search matches with).
    WithPairs,
    /// Word by word (what a snippet highlights).
    Only,
}

/// What the index answers: the total, one page of work ids, and the facets.
pub type IndexAnswer = (u64, Vec<i64>, Vec<ResultFacet>);

/// The analyser without stemming: the words as typed, lower-cased.
fn unstemmed_analyzer() -> TextAnalyzer {
    TextAnalyzer::builder(SimpleTokenizer::default()).filter(RemoveLongFilter::limit(40)).filter(LowerCaser).build()
}

pub struct TantivyIndex {
    /// The index folder, probed when a write fails ([`TantivyIndex::write_error`]).
    dir: std::path::PathBuf,
    index: Index,
    reader: IndexReader,
    writer: Option<IndexWriter>,
    fields: Fields,
    facet_names: FacetNames,
}

/// The index folder `dir`, its files mapped with random-access advice: a search reads
/// scattered blocks of postings, and the kernel's read-ahead around each would bring in (and
/// keep resident) pages no search asked for.
fn directory(dir: &Path) -> Result<tantivy::directory::MmapDirectory, SearchError> {
    tantivy::directory::MmapDirectory::open_with_madvice(dir, tantivy::directory::Advice::Random).map_err(|e| damaged(dir, e))
}

/// Whether the file system holding `dir` has no room for another megabyte (the most an index
/// write needs at once is far more, so a failure with less left is taken for a full disk).
fn disk_is_full(dir: &Path) -> bool {
    let probe = dir.join(".space-probe");
    let written = std::fs::write(&probe, vec![0u8; 1 << 20]);
    let _ = std::fs::remove_file(&probe);
    matches!(written, Err(e) if e.kind() == std::io::ErrorKind::StorageFull)
}

/// Every facet value the searched segments hold, each under one id shared by all segments,
/// and per segment its ordinal → id table, built once per segment (segments never change).
///
/// Why: a search counts facets over every match, per segment by ordinal; ids common to all
/// segments let the segments' counts be summed as numbers, and only the values that matched
/// become names. (tantivy's own facet collector decompresses dictionary blocks for names on
/// every query; summing per-segment counts keyed by name cost a third of a large search.)
#[derive(Default)]
struct FacetCatalog {
    /// Id → (index in `FACETS`, value).
    values: Vec<(usize, String)>,
    ids: std::collections::HashMap<(usize, String), u32>,
    segments: std::collections::HashMap<tantivy::index::SegmentId, SegmentFacetIds>,
}

/// A segment's facet ordinal → catalog id (`NO_FACET` for a value outside `FACETS`).
type SegmentFacetIds = std::sync::Arc<Vec<u32>>;

const NO_FACET: u32 = u32::MAX;

#[derive(Default, Clone)]
struct FacetNames(std::sync::Arc<std::sync::Mutex<FacetCatalog>>);

impl FacetNames {
    fn catalog(&self) -> std::sync::MutexGuard<'_, FacetCatalog> {
        // A panic elsewhere while holding the lock leaves the catalog whole (it only grows).
        self.0.lock().unwrap_or_else(std::sync::PoisonError::into_inner)
    }

    fn segment_ids(&self, segment: &tantivy::SegmentReader) -> tantivy::Result<SegmentFacetIds> {
        let id = segment.segment_id();
        if let Some(ids) = self.catalog().segments.get(&id) {
            return Ok(ids.clone());
        }
        let reader = segment.facet_reader("facets")?;
        let mut stream = reader.facet_dict().stream()?;
        let mut values = Vec::new();
        while stream.advance() {
            let ord = stream.term_ord() as usize;
            let Ok(facet) = Facet::from_encoded(stream.key().to_vec()) else { continue };
            if let [root, value] = facet.to_path().as_slice()
                && let Some(index) = FACETS.iter().position(|f| f == root)
            {
                values.push((ord, index, value.to_string()));
            }
        }
        let mut catalog = self.catalog();
        let mut table = vec![NO_FACET; reader.num_facets()];
        for (ord, index, value) in values {
            let key = (index, value);
            let id = match catalog.ids.get(&key) {
                Some(&id) => id,
                None => {
                    let id = catalog.values.len() as u32;
                    catalog.values.push(key.clone());
                    catalog.ids.insert(key, id);
                    id
                }
            };
            if let Some(slot) = table.get_mut(ord) {
                *slot = id;
            }
        }
        let table = std::sync::Arc::new(table);
        catalog.segments.insert(id, table.clone());
        Ok(table)
    }

    /// Forgets segments that are gone (merged away). Their values stay in the catalog: a
    /// merged segment holds the same ones.
    fn keep_only(&self, live: &[tantivy::index::SegmentId]) {
        self.catalog().segments.retain(|id, _| live.contains(id));
    }

    /// The counted values by facet, named.
    fn name(&self, counts: FacetFruit) -> Vec<Vec<FacetValue>> {
        let catalog = self.catalog();
        let mut out = vec![Vec::new(); FACETS.len()];
        for (id, count) in counts {
            if let Some((facet, name)) = catalog.values.get(id as usize) {
                out[*facet].push(FacetValue { name: name.clone(), count });
            }
        }
        out
    }
}

/// Counts every facet value over the matching documents.
struct FacetCounter {
    names: FacetNames,
}

struct SegmentFacetCounter {
    reader: tantivy::fastfield::FacetReader,
    ids: SegmentFacetIds,
    counts: Vec<u32>,
}

/// (catalog id, count) of every value that matched.
type FacetFruit = Vec<(u32, u64)>;

impl tantivy::collector::Collector for FacetCounter {
    type Fruit = FacetFruit;
    type Child = SegmentFacetCounter;

    fn for_segment(&self, _: tantivy::SegmentOrdinal, segment: &tantivy::SegmentReader) -> tantivy::Result<SegmentFacetCounter> {
        let ids = self.names.segment_ids(segment)?;
        Ok(SegmentFacetCounter { reader: segment.facet_reader("facets")?, counts: vec![0; ids.len()], ids })
    }

    fn requires_scoring(&self) -> bool {
        false
    }

    fn merge_fruits(&self, fruits: Vec<FacetFruit>) -> tantivy::Result<FacetFruit> {
        let mut fruits = fruits.into_iter().flatten().collect::<Vec<_>>();
        fruits.sort_unstable_by_key(|&(id, _)| id);
        let mut total: FacetFruit = Vec::with_capacity(fruits.len());
        for (id, count) in fruits {
            match total.last_mut() {
                Some((last, sum)) if *last == id => *sum += count,
                _ => total.push((id, count)),
            }
        }
        Ok(total)
    }
}

impl tantivy::collector::SegmentCollector for SegmentFacetCounter {
    type Fruit = FacetFruit;

    fn collect(&mut self, doc: tantivy::DocId, _: tantivy::Score) {
        for ord in self.reader.facet_ords(doc) {
            if let Some(c) = self.counts.get_mut(ord as usize) {
                *c += 1;
            }
        }
    }

    fn harvest(self) -> FacetFruit {
        self.counts
            .iter()
            .zip(self.ids.iter())
            .filter(|&(&count, &id)| count > 0 && id != NO_FACET)
            .map(|(&count, &id)| (id, u64::from(count)))
            .collect()
    }
}

fn damaged(dir: &Path, e: impl std::fmt::Display) -> SearchError {
    SearchError::Damaged(format!("the search index at {} cannot be read ({e}); run `ficarchive reindex` to rebuild it", dir.display()))
}

impl TantivyIndex {
    /// Opens the index in `dir`, creating it when the directory is empty or missing. An index
    /// written by another schema version or unreadable is an error naming `reindex`.
    pub fn open(dir: &Path) -> Result<TantivyIndex, SearchError> {
        let (schema, fields) = schema();
        let fresh = !dir.join("meta.json").exists();
        if fresh {
            std::fs::create_dir_all(dir).map_err(|e| SearchError::Io(format!("cannot create {}: {e}", dir.display())))?;
            let index = Index::create(directory(dir)?, schema, tantivy::IndexSettings::default()).map_err(|e| damaged(dir, e))?;
            std::fs::write(dir.join(VERSION_FILE), SCHEMA_VERSION.to_string())
                .map_err(|e| SearchError::Io(format!("cannot write {}: {e}", dir.display())))?;
            return TantivyIndex::with_index(index, fields, dir);
        }
        let version = std::fs::read_to_string(dir.join(VERSION_FILE)).unwrap_or_default();
        if version.trim() != SCHEMA_VERSION.to_string() {
            return Err(SearchError::Outdated(format!(
                "the search index at {} was built by another version of ficarchive; `ficarchive reindex` rebuilds it \
                 (so does the next import, search or server start)",
                dir.display()
            )));
        }
        let index = Index::open(directory(dir)?).map_err(|e| damaged(dir, e))?;
        if index.schema() != schema {
            return Err(damaged(dir, "its fields differ from this version's"));
        }
        TantivyIndex::with_index(index, fields, dir)
    }

    /// Deletes whatever is in `dir` and creates an empty index there.
    pub fn recreate(dir: &Path) -> Result<TantivyIndex, SearchError> {
        if dir.exists() {
            std::fs::remove_dir_all(dir).map_err(|e| SearchError::Io(format!("cannot remove {}: {e}", dir.display())))?;
        }
        TantivyIndex::open(dir)
    }

    fn with_index(mut index: Index, fields: Fields, dir: &Path) -> Result<TantivyIndex, SearchError> {
        index.tokenizers().register(ANALYZER, crate::analyzer::index_analyzer());
        // A search visits the index's segments one thread per core: a query matching most of
        // a large archive (every match is counted into the facets) then waits on the largest
        // segment, not on all of them in turn.
        index.set_default_multithread_executor().map_err(|e| SearchError::Io(format!("cannot start the search threads: {e}")))?;
        let reader = index.reader_builder().reload_policy(ReloadPolicy::Manual).try_into().map_err(|e| damaged(dir, e))?;
        // Open every segment's files now, so a damaged index fails here and not mid-search.
        let searcher = reader.searcher();
        for segment in searcher.segment_readers() {
            segment.fast_fields().i64("id").map_err(|e| damaged(dir, e))?;
        }
        Ok(TantivyIndex { dir: dir.to_path_buf(), index, reader, writer: None, fields, facet_names: FacetNames::default() })
    }

    fn writer(&mut self) -> Result<&mut IndexWriter, SearchError> {
        if self.writer.is_none() {
            let writer = self.index.writer_with_num_threads(2, WRITER_MEMORY).map_err(|e| match e {
                tantivy::TantivyError::LockFailure(..) => {
                    SearchError::Busy("another ficarchive process is writing the search index; try again when it has finished".into())
                }
                other => SearchError::Io(other.to_string()),
            })?;
            self.writer = Some(writer);
        }
        self.writer.as_mut().ok_or_else(|| SearchError::Io("no index writer".into()))
    }

    /// Adds or replaces one work's document (visible after [`TantivyIndex::commit`]).
    pub fn upsert(&mut self, doc: &SearchDoc) -> Result<(), SearchError> {
        let f = self.fields;
        let mut d = TantivyDocument::default();
        d.add_i64(f.id, doc.id);
        d.add_text(f.title, &doc.title);
        for a in &doc.authors {
            d.add_text(f.author, a);
        }
        d.add_text(f.summary, &doc.summary);
        d.add_text(f.notes, &doc.notes);
        d.add_text(f.text, &doc.text);
        for (kind, name) in &doc.tags {
            d.add_text(f.tags, name);
            match kind {
                TagKind::Fandom => d.add_text(f.fandoms, name),
                TagKind::Relationship => d.add_text(f.relationships, name),
                TagKind::Character => d.add_text(f.characters, name),
                _ => {}
            }
            d.add_facet(f.facets, Facet::from_path([kind.as_str(), name.as_str()]));
        }
        for s in &doc.series {
            d.add_text(f.series, s);
            d.add_facet(f.facets, Facet::from_path(["series", s.as_str()]));
        }
        d.add_facet(f.facets, Facet::from_path(["complete", completion_label(doc.complete)]));
        if let Some(language) = &doc.language {
            d.add_facet(f.facets, Facet::from_path(["language", language.to_lowercase().as_str()]));
        }
        d.add_u64(f.words, doc.words);
        if let Some(p) = doc.published {
            d.add_u64(f.published, u64::from(p));
        }
        if let Some(u) = doc.updated {
            d.add_u64(f.updated, u64::from(u));
        }
        d.add_i64(f.modified, doc.modified);
        d.add_text(f.title_sort, ficarchive_store::search::sort_key(&doc.title));
        d.add_text(f.author_sort, ficarchive_store::search::sort_key(doc.authors.first().map_or("", String::as_str)));
        let writer = self.writer()?;
        writer.delete_term(Term::from_field_i64(f.id, doc.id));
        if let Err(e) = writer.add_document(d) {
            return Err(self.write_error(e));
        }
        Ok(())
    }

    /// A failed index write as the user should read it. tantivy reports a full disk met by
    /// one of its worker threads only as "an index writer was killed", so the disk is probed.
    fn write_error(&self, e: impl std::fmt::Display) -> SearchError {
        let message = e.to_string();
        if message.to_lowercase().contains("no space left") || disk_is_full(&self.dir) {
            SearchError::Io(
                "the disk holding the search index is full; free some space and run the same command again \
                 (works already stored wait in the index queue)"
                    .into(),
            )
        } else {
            SearchError::Io(message)
        }
    }

    pub fn delete(&mut self, id: i64) -> Result<(), SearchError> {
        let term = Term::from_field_i64(self.fields.id, id);
        self.writer()?.delete_term(term);
        Ok(())
    }

    pub fn delete_all(&mut self) -> Result<(), SearchError> {
        self.writer()?.delete_all_documents().map_err(|e| SearchError::Io(e.to_string()))?;
        Ok(())
    }

    /// Makes everything written so far durable and visible.
    pub fn commit(&mut self) -> Result<(), SearchError> {
        if let Some(writer) = self.writer.as_mut()
            && let Err(e) = writer.commit()
        {
            return Err(self.write_error(e));
        }
        self.reader.reload().map_err(|e| SearchError::Io(e.to_string()))?;
        Ok(())
    }

    /// Picks up what other processes committed since the last look.
    pub fn reload(&self) -> Result<(), SearchError> {
        self.reader.reload().map_err(|e| SearchError::Io(e.to_string()))
    }

    /// Waits for background segment merges to finish (the writer is reopened when next
    /// needed).
    pub fn wait_for_merges(&mut self) -> Result<(), SearchError> {
        if let Some(writer) = self.writer.take() {
            writer.wait_merging_threads().map_err(|e| SearchError::Io(e.to_string()))?;
        }
        Ok(())
    }

    /// Every indexed work with the `modified` stamp it was indexed at.
    pub fn stamps(&self) -> Result<Vec<(i64, i64)>, SearchError> {
        let searcher = self.reader.searcher();
        let mut out = Vec::new();
        for segment in searcher.segment_readers() {
            let ids = segment.fast_fields().i64("id").map_err(|e| SearchError::Damaged(e.to_string()))?;
            let stamps = segment.fast_fields().i64("modified").map_err(|e| SearchError::Damaged(e.to_string()))?;
            for doc in segment.doc_ids_alive() {
                if let (Some(id), Some(stamp)) = (ids.first(doc), stamps.first(doc)) {
                    out.push((id, stamp));
                }
            }
        }
        out.sort_unstable();
        Ok(out)
    }

    fn fields_for(&self, field: QueryField) -> Vec<Field> {
        let f = self.fields;
        match field {
            QueryField::Any => vec![f.title, f.author, f.summary, f.notes, f.text, f.tags, f.series],
            QueryField::Title => vec![f.title],
            QueryField::Author => vec![f.author],
            QueryField::Summary => vec![f.summary],
            QueryField::Notes => vec![f.notes],
            QueryField::Text => vec![f.text],
            QueryField::Tags => vec![f.tags],
            QueryField::Fandom => vec![f.fandoms],
            QueryField::Relationship => vec![f.relationships],
            QueryField::Character => vec![f.characters],
            QueryField::Series => vec![f.series],
        }
    }

    fn tokens(text: &str) -> Vec<String> {
        TantivyIndex::tokens_with(crate::analyzer::analyzer(), text)
    }

    fn tokens_with(analyzer: TextAnalyzer, text: &str) -> Vec<String> {
        TantivyIndex::tokens_at(analyzer, text).into_iter().map(|(word, _)| word).collect()
    }

    /// The words of `text` as the query analyser gives them, with their positions.
    fn words_at(text: &str) -> Vec<(String, usize)> {
        TantivyIndex::tokens_at(crate::analyzer::analyzer(), text)
    }

    /// Every token `analyzer` gives for `text`, with its position.
    fn tokens_at(mut analyzer: TextAnalyzer, text: &str) -> Vec<(String, usize)> {
        let mut stream = analyzer.token_stream(text);
        let mut out = Vec::new();
        while stream.advance() {
            out.push((stream.token().text.clone(), stream.token().position));
        }
        out
    }

    /// A word or phrase in some fields; no searchable word matches everything. A phrase is
    /// searched by its terms with common pairs ([`crate::analyzer::phrase_terms`]); snippets
    /// want its words (`Words::Only`), which is what they highlight.
    fn leaf(&self, fields: &[Field], text: &str, words: Words) -> Box<dyn TantivyQuery> {
        let tokens = TantivyIndex::words_at(text);
        if tokens.is_empty() {
            return Box::new(AllQuery);
        }
        let terms: Vec<(usize, String)> = match words {
            Words::WithPairs => crate::analyzer::phrase_terms(&tokens),
            Words::Only => tokens.iter().map(|(word, position)| (position - tokens[0].1, word.clone())).collect(),
        };
        let per_field: Vec<(Occur, Box<dyn TantivyQuery>)> = fields
            .iter()
            .map(|&field| {
                let terms: Vec<(usize, Term)> = terms.iter().map(|(at, t)| (*at, Term::from_field_text(field, t))).collect();
                let q: Box<dyn TantivyQuery> = if terms.len() == 1 {
                    Box::new(TermQuery::new(terms[0].1.clone(), IndexRecordOption::WithFreqs))
                } else {
                    Box::new(PhraseQuery::new_with_offset(terms))
                };
                (Occur::Should, q)
            })
            .collect();
        boolean(per_field)
    }

    fn build(&self, query: &Query) -> Box<dyn TantivyQuery> {
        match query {
            Query::All => Box::new(AllQuery),
            Query::Word { field, text } | Query::Phrase { field, text } => self.leaf(&self.fields_for(*field), text, Words::WithPairs),
            Query::And(items) => Box::new(BooleanQuery::new(items.iter().map(|i| (Occur::Must, self.build(i))).collect())),
            Query::Or(items) => Box::new(BooleanQuery::new(items.iter().map(|i| (Occur::Should, self.build(i))).collect())),
            Query::Not(inner) => Box::new(BooleanQuery::new(vec![(Occur::Must, Box::new(AllQuery)), (Occur::MustNot, self.build(inner))])),
        }
    }

    fn facet_term(&self, path: [&str; 2]) -> Box<dyn TantivyQuery> {
        Box::new(TermQuery::new(Term::from_facet(self.fields.facets, &Facet::from_path(path)), IndexRecordOption::Basic))
    }

    fn range(field: Field, from: Option<u64>, to: Option<u64>) -> Option<Box<dyn TantivyQuery>> {
        if from.is_none() && to.is_none() {
            return None;
        }
        let bound = |v: Option<u64>| v.map_or(Bound::Unbounded, |v| Bound::Included(Term::from_field_u64(field, v)));
        Some(Box::new(RangeQuery::new(bound(from), bound(to))))
    }

    fn filtered(&self, request: &SearchRequest) -> Box<dyn TantivyQuery> {
        let f = &request.filters;
        let mut clauses: Vec<(Occur, Box<dyn TantivyQuery>)> = vec![(Occur::Must, self.build(&request.query))];
        let ratings: Vec<(Occur, Box<dyn TantivyQuery>)> = f
            .include
            .iter()
            .filter(|t| t.kind == TagKind::Rating)
            .map(|t| (Occur::Should, self.facet_term(["rating", t.name.as_str()])))
            .collect();
        if !ratings.is_empty() {
            clauses.push((Occur::Must, Box::new(BooleanQuery::new(ratings))));
        }
        for t in f.include.iter().filter(|t| t.kind != TagKind::Rating) {
            clauses.push((Occur::Must, self.facet_term([t.kind.as_str(), t.name.as_str()])));
        }
        for t in &f.exclude {
            clauses.push((Occur::MustNot, self.facet_term([t.kind.as_str(), t.name.as_str()])));
        }
        if let Some(complete) = f.complete {
            clauses.push((Occur::Must, self.facet_term(["complete", completion_label(Some(complete))])));
        }
        if let Some(language) = &f.language {
            clauses.push((Occur::Must, self.facet_term(["language", language.to_lowercase().as_str()])));
        }
        if let Some(series) = &f.series {
            clauses.push((Occur::Must, self.facet_term(["series", series.as_str()])));
        }
        let fields = self.fields;
        let date = |d: Option<u32>| d.map(u64::from);
        for range in [
            TantivyIndex::range(fields.words, f.words_min, f.words_max),
            TantivyIndex::range(fields.published, date(f.published_from), date(f.published_to)),
            TantivyIndex::range(fields.updated, date(f.updated_from), date(f.updated_to)),
        ]
        .into_iter()
        .flatten()
        {
            clauses.push((Occur::Must, range));
        }
        boolean(clauses)
    }

    /// Runs a search: the total, one page of work ids with snippets, and facet counts for
    /// every value over all matches.
    pub fn search(&self, request: &SearchRequest) -> Result<IndexAnswer, SearchError> {
        let searcher = self.reader.searcher();
        let query = self.filtered(request);
        let err = |e: tantivy::TantivyError| SearchError::Damaged(format!("search failed: {e}; if this repeats, run `ficarchive reindex`"));
        let segments: Vec<tantivy::index::SegmentId> = searcher.segment_readers().iter().map(|s| s.segment_id()).collect();
        self.facet_names.keep_only(&segments);
        let facet_collector = FacetCounter { names: self.facet_names.clone() };
        let top = TopDocs::with_limit(request.limit()).and_offset(request.offset());
        let order = if request.descending { Order::Desc } else { Order::Asc };
        let (total, counts, addresses): (usize, _, Vec<DocAddress>) = match request.sort {
            SortKey::Relevance => {
                let (total, counts, top) = searcher.search(&query, &(Count, facet_collector, top.order_by_score())).map_err(err)?;
                (total, counts, top.into_iter().map(|(_, a)| a).collect())
            }
            SortKey::Words | SortKey::Updated | SortKey::Published => {
                let field = match request.sort {
                    SortKey::Words => "words",
                    SortKey::Updated => "updated",
                    _ => "published",
                };
                let (total, counts, top) =
                    searcher.search(&query, &(Count, facet_collector, top.order_by_fast_field::<u64>(field, order))).map_err(err)?;
                (total, counts, top.into_iter().map(|(_, a)| a).collect())
            }
            SortKey::Title | SortKey::Author => {
                let field = if request.sort == SortKey::Title { "title_sort" } else { "author_sort" };
                let (total, counts, top) =
                    searcher.search(&query, &(Count, facet_collector, top.order_by_string_fast_field(field, order))).map_err(err)?;
                (total, counts, top.into_iter().map(|(_, a)| a).collect())
            }
        };
        let mut facets = Vec::new();
        for (name, mut values) in FACETS.iter().zip(self.facet_names.name(counts)) {
            sort_facet_values(&mut values);
            facets.push(ResultFacet { name: name.to_string(), values });
        }
        let mut ids = Vec::with_capacity(addresses.len());
        for address in &addresses {
            let segment = searcher.segment_reader(address.segment_ord);
            let id_column = segment.fast_fields().i64("id").map_err(|e| SearchError::Damaged(e.to_string()))?;
            ids.extend(id_column.first(address.doc_id));
        }
        Ok((total as u64, ids, facets))
    }

    /// What cuts snippets for `request` from story texts, or `None` when the query has no
    /// word to look for in the text.
    pub fn snippet_maker(&self, request: &SearchRequest) -> Result<Option<SnippetMaker>, SearchError> {
        // The words and phrases the query wants in the story text.
        let wanted: Vec<&str> = request
            .query
            .positive_terms()
            .into_iter()
            .filter(|(field, _, _)| matches!(field, QueryField::Any | QueryField::Text))
            .map(|(_, text, _)| text)
            .collect();
        if wanted.is_empty() {
            return Ok(None);
        }
        let positive =
            BooleanQuery::new(wanted.iter().map(|text| (Occur::Should, self.leaf(&[self.fields.text], text, Words::Only))).collect());
        let mut generator = SnippetGenerator::create(&self.reader.searcher(), &positive, self.fields.text)
            .map_err(|e| SearchError::Damaged(e.to_string()))?;
        generator.set_max_num_chars(240);
        // The snippet generator tokenises what it is given, so it is given a window around the
        // first place a stem of the query occurs, never a whole (perhaps million-word) text.
        // Needles: the part a query word shares with its stem ("ferr" for ferry/ferri), so
        // every inflection the index matched contains it.
        let stems: Vec<String> = wanted
            .iter()
            .flat_map(|text| {
                let unstemmed = TantivyIndex::tokens_with(unstemmed_analyzer(), text);
                let stemmed = TantivyIndex::tokens(text);
                unstemmed.into_iter().zip(stemmed).map(|(word, stem)| {
                    let shared = word
                        .char_indices()
                        .zip(stem.chars())
                        .take_while(|((_, a), b)| a == b)
                        .last()
                        .map_or(0, |((i, c), _)| i + c.len_utf8());
                    if shared >= 2 { word[..shared].to_string() } else { word }
                })
            })
            .filter(|needle| needle.len() >= 2)
            .collect();
        let Ok(finder) = aho_corasick::AhoCorasick::builder().ascii_case_insensitive(true).build(&stems) else { return Ok(None) };
        Ok(Some(SnippetMaker { generator, finder }))
    }
}

/// Cuts a highlighted snippet for one search from a work's story text.
pub struct SnippetMaker {
    generator: SnippetGenerator,
    finder: aho_corasick::AhoCorasick,
}

impl SnippetMaker {
    /// Whether `text` holds a word of the query to cut a snippet around.
    pub fn finds(&self, text: &str) -> bool {
        match_window(text, &self.finder).is_some()
    }

    /// The snippet of `text` (empty when no query word occurs in it).
    pub fn fragments(&self, text: &str) -> Vec<Fragment> {
        match match_window(text, &self.finder) {
            Some(window) => {
                let snippet = self.generator.snippet(window);
                snippet_fragments(snippet.fragment(), snippet.highlighted())
            }
            None => Vec::new(),
        }
    }
}

/// About 1,200 bytes of `text` around the first match of a query stem that starts a word.
fn match_window<'t>(text: &'t str, finder: &aho_corasick::AhoCorasick) -> Option<&'t str> {
    let at =
        finder.find_iter(text).map(|m| m.start()).find(|&start| text[..start].chars().next_back().is_none_or(|c| !c.is_alphanumeric()))?;
    let mut start = at.saturating_sub(400);
    while !text.is_char_boundary(start) {
        start -= 1;
    }
    let mut end = (at + 800).min(text.len());
    while !text.is_char_boundary(end) {
        end += 1;
    }
    Some(&text[start..end])
}

/// A boolean query of `clauses`; one clause stands alone, since a lone Must or Should means
/// the clause itself.
fn boolean(mut clauses: Vec<(Occur, Box<dyn TantivyQuery>)>) -> Box<dyn TantivyQuery> {
    match clauses.len() {
        1 if clauses[0].0 != Occur::MustNot => clauses.pop().map_or_else(|| Box::new(AllQuery) as _, |(_, q)| q),
        _ => Box::new(BooleanQuery::new(clauses)),
    }
}

fn snippet_fragments(text: &str, highlighted: &[std::ops::Range<usize>]) -> Vec<Fragment> {
    let mut out = Vec::new();
    let mut at = 0;
    for range in highlighted {
        if range.start > at {
            out.push(Fragment { text: text[at..range.start].to_string(), highlighted: false });
        }
        out.push(Fragment { text: text[range.clone()].to_string(), highlighted: true });
        at = range.end;
    }
    if at < text.len() {
        out.push(Fragment { text: text[at..].to_string(), highlighted: false });
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn doc(id: i64, fandoms: &[&str], rating: &str) -> SearchDoc {
        let mut tags: Vec<(TagKind, String)> = fandoms.iter().map(|f| (TagKind::Fandom, f.to_string())).collect();
        tags.push((TagKind::Rating, rating.to_string()));
        SearchDoc { id, title: format!("Work {id}"), text: "The ferry left at dawn.".into(), tags, ..SearchDoc::default() }
    }

    fn facet(answer: &IndexAnswer, name: &str) -> Vec<(String, u64)> {
        let facet = answer.2.iter().find(|f| f.name == name).expect("facet");
        facet.values.iter().map(|v| (v.name.clone(), v.count)).collect()
    }

    /// Each commit here writes its own segment; a value held by several segments is counted
    /// once per work, whichever segments its works are in, and a deleted work is not counted.
    #[test]
    fn facets_are_counted_across_segments() {
        let dir = tempfile::tempdir().unwrap();
        let mut index = TantivyIndex::open(dir.path()).unwrap();
        index.upsert(&doc(1, &["Harbour Tales"], "General Audiences")).unwrap();
        index.commit().unwrap();
        index.upsert(&doc(2, &["Harbour Tales", "Lighthouse Keepers"], "Mature")).unwrap();
        index.commit().unwrap();
        index.upsert(&doc(3, &["Lighthouse Keepers"], "Mature")).unwrap();
        index.upsert(&doc(4, &["Orchard Days"], "Mature")).unwrap();
        index.commit().unwrap();
        assert!(index.reader.searcher().segment_readers().len() >= 3, "one segment per commit");

        let all = SearchRequest::new(Query::All);
        let answer = index.search(&all).unwrap();
        assert_eq!(answer.0, 4);
        let expected = |pairs: &[(&str, u64)]| pairs.iter().map(|(n, c)| (n.to_string(), *c)).collect::<Vec<_>>();
        assert_eq!(facet(&answer, "fandom"), expected(&[("Harbour Tales", 2), ("Lighthouse Keepers", 2), ("Orchard Days", 1)]));
        assert_eq!(facet(&answer, "rating"), expected(&[("Mature", 3), ("General Audiences", 1)]));

        index.delete(2).unwrap();
        index.commit().unwrap();
        let answer = index.search(&all).unwrap();
        assert_eq!(facet(&answer, "fandom"), expected(&[("Harbour Tales", 1), ("Lighthouse Keepers", 1), ("Orchard Days", 1)]));
        assert_eq!(facet(&answer, "rating"), expected(&[("Mature", 2), ("General Audiences", 1)]));

        // A process that opens the index afresh builds its own catalog and counts the same.
        drop(index);
        let reopened = TantivyIndex::open(dir.path()).unwrap();
        assert_eq!(facet(&reopened.search(&all).unwrap(), "fandom"), facet(&answer, "fandom"));
    }

    /// Phrases searched by their pairs of common words match exactly the works where the
    /// phrase's words stand side by side: checked against a plain scan of each text, for
    /// phrases cut from the texts and phrases made up, over texts made mostly of common words.
    #[test]
    fn phrases_searched_by_pairs_match_where_their_words_stand_together() {
        const VOCABULARY: &[&str] =
            &["the", "of", "and", "it", "was", "she", "a", "to", "in", "had", "ferry", "isles", "lamp", "owls", "sailed", "The", "WAS"];
        let mut seed = 0x2545_f491_4f6c_dd1d_u64;
        let mut next = move |n: usize| {
            seed ^= seed << 13;
            seed ^= seed >> 7;
            seed ^= seed << 17;
            (seed % n as u64) as usize
        };
        let dir = tempfile::tempdir().unwrap();
        let mut index = TantivyIndex::open(dir.path()).unwrap();
        let mut texts = Vec::new();
        for id in 1..=60 {
            let words: Vec<&str> = (0..40).map(|_| VOCABULARY[next(VOCABULARY.len())]).collect();
            let mut text = String::new();
            for (i, w) in words.iter().enumerate() {
                text.push_str(w);
                text.push_str(if i % 9 == 8 { ". " } else { " " });
            }
            index.upsert(&SearchDoc { id, title: format!("Work {id}"), text: text.clone(), ..SearchDoc::default() }).unwrap();
            texts.push((id, text));
        }
        index.commit().unwrap();
        let stems = |text: &str| TantivyIndex::tokens(text);
        let holds = |text: &str, phrase: &[String]| stems(text).windows(phrase.len()).any(|w| w == phrase);
        let mut pairs_used = 0;
        for round in 0..300 {
            let phrase: Vec<&str> = if round % 2 == 0 {
                let (_, text) = &texts[next(texts.len())];
                let words: Vec<&str> = text.split_whitespace().collect();
                let (at, len) = (next(words.len() - 4), 2 + next(3));
                words[at..at + len].to_vec()
            } else {
                (0..2 + next(3)).map(|_| VOCABULARY[next(VOCABULARY.len())]).collect()
            };
            let phrase = phrase.join(" ").replace('.', "");
            let wanted = stems(&phrase);
            let expected: Vec<i64> = texts.iter().filter(|(_, t)| holds(t, &wanted)).map(|(id, _)| *id).collect();
            let mut request = SearchRequest::new(Query::Phrase { field: QueryField::Text, text: phrase.clone() });
            request.per_page = 100;
            let (total, mut ids, _) = index.search(&request).unwrap();
            ids.sort();
            assert_eq!((total as usize, &ids), (expected.len(), &expected), "\"{phrase}\"");
            if crate::analyzer::phrase_terms(&TantivyIndex::words_at(&phrase)).iter().any(|(_, t)| t.contains(' ')) {
                pairs_used += 1;
            }
        }
        assert!(pairs_used > 100, "only {pairs_used} phrases were searched by pairs");
    }
}
