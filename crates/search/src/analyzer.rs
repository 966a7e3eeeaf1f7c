//! The `ficarchive` analyser of the embedded index: words are runs of letters and digits
//! (`char::is_alphanumeric`), a word of 40 bytes or more is dropped (its position stays
//! taken), the rest are lower-cased and reduced to their English Snowball stem. These are
//! the choices of tantivy's `SimpleTokenizer`, `RemoveLongFilter::limit(40)`, `LowerCaser`
//! and `Stemmer`, and of PostgreSQL's `ficarchive` configuration.
//!
//! Why one tokenizer and not tantivy's chain of four: every word of every story passes
//! through here, and the chain copied each word three times and stemmed it from scratch.
//! Here a word as written ("The", "ferries") is looked up in a per-thread table of stems,
//! held inline so one lookup touches one place in memory, and only a word not seen before
//! is lower-cased and stemmed. It was about a seventh of an import's CPU time as a chain. A
//! property test holds it to the chain's tokens, positions and offsets.
//!
//! **Common pairs.** What the index is given ([`index_analyzer`]) also holds, after each
//! word, the pair it closes with the word before when both are among the [`COMMON`] words
//! and stand side by side ("of the", at the second word's position, its offsets spanning
//! both). A phrase of common words ("and the", "it was the") otherwise checks positions in
//! nearly every work of the archive: at 100,000 works `"of the"` took half a second, and the
//! pairs let it read one short list instead ([`phrase_terms`]). A pair's text holds a space,
//! which no word can, so it never meets a word's term. Queries are read by [`analyzer`],
//! which gives words only.

use std::cell::RefCell;
use std::hash::BuildHasher;
use tantivy::tokenizer::{TextAnalyzer, Token, TokenStream, Tokenizer};

/// Words this long (in bytes, as written) or longer are not indexed.
const LONGEST_WORD: usize = 40;

/// English words so frequent that a phrase made only of them matches most stories. Their
/// stems are what the analyser compares ([`is_common`]). Changing the list changes what the
/// index holds: bump `SCHEMA_VERSION` with it.
const COMMON: &[&str] = &[
    "a", "about", "after", "all", "am", "an", "and", "are", "as", "at", "back", "be", "been", "before", "being", "but", "by", "can",
    "could", "did", "do", "does", "down", "for", "from", "had", "has", "have", "he", "her", "here", "him", "his", "how", "i", "if", "in",
    "into", "is", "it", "its", "just", "me", "my", "no", "not", "now", "of", "off", "on", "one", "or", "our", "out", "over", "said", "she",
    "should", "so", "than", "that", "the", "their", "them", "then", "there", "they", "this", "to", "up", "us", "very", "was", "we", "were",
    "what", "when", "where", "which", "who", "will", "with", "would", "you", "your",
];

/// Whether `stem` (as the analyser gives it) is the stem of a [`COMMON`] word.
pub(crate) fn is_common(stem: &str) -> bool {
    static STEMS: std::sync::OnceLock<std::collections::HashSet<String>> = std::sync::OnceLock::new();
    STEMS
        .get_or_init(|| {
            let stemmer = frostem::Stemmer::new(frostem::Algorithm::English);
            COMMON.iter().map(|w| stemmer.stem(w).into_owned()).collect()
        })
        .contains(stem)
}

/// The term of two common words side by side (stems).
pub(crate) fn pair(first: &str, second: &str) -> String {
    format!("{first} {second}")
}

/// What queries are read with: words only.
pub(crate) fn analyzer() -> TextAnalyzer {
    TextAnalyzer::from(StemmingTokenizer { token: Token::default(), pairs: false })
}

/// What the index is given: words, and the pairs of common words among them.
pub(crate) fn index_analyzer() -> TextAnalyzer {
    TextAnalyzer::from(StemmingTokenizer { token: Token::default(), pairs: true })
}

/// The terms a phrase of `words` (stems with their positions, as [`analyzer`] gives them) is
/// searched by, each with its offset in the phrase: where two common words stand side by
/// side their pair stands for both (at the second word's offset), so the phrase is checked
/// against the works holding its rarer terms. Every word is covered by one term; a word that
/// starts no pair may share the pair before it, so no common word is searched alone when a
/// pair can stand for it.
pub(crate) fn phrase_terms(words: &[(String, usize)]) -> Vec<(usize, String)> {
    let offset = |i: usize| words[i].1 - words[0].1;
    let paired = |i: usize| i + 1 < words.len() && words[i + 1].1 == words[i].1 + 1 && is_common(&words[i].0) && is_common(&words[i + 1].0);
    let mut terms = Vec::new();
    let mut i = 0;
    while i < words.len() {
        if paired(i) {
            terms.push((offset(i + 1), pair(&words[i].0, &words[i + 1].0)));
            i += 2;
        } else if i > 0 && paired(i - 1) {
            terms.push((offset(i), pair(&words[i - 1].0, &words[i].0)));
            i += 1;
        } else {
            terms.push((offset(i), words[i].0.clone()));
            i += 1;
        }
    }
    terms
}

#[derive(Clone)]
struct StemmingTokenizer {
    token: Token,
    /// Whether pairs of common words are given too ([`index_analyzer`]).
    pairs: bool,
}

impl Tokenizer for StemmingTokenizer {
    type TokenStream<'a> = StemmingTokenStream<'a>;

    fn token_stream<'a>(&'a mut self, text: &'a str) -> StemmingTokenStream<'a> {
        self.token.reset();
        StemmingTokenStream {
            text,
            at: 0,
            token: &mut self.token,
            pairs: self.pairs,
            last_common: None,
            last_stem: String::new(),
            pair_due: None,
            pair_text: String::new(),
        }
    }
}

struct StemmingTokenStream<'a> {
    text: &'a str,
    /// Where the search for the next word starts (a char boundary).
    at: usize,
    token: &'a mut Token,
    pairs: bool,
    /// The position and start of the word just given, when it is common; its stem is in
    /// `last_stem` (buffers reused, as half of all words are common).
    last_common: Option<(usize, usize)>,
    last_stem: String,
    /// Where the pair to give next starts; its text is in `pair_text`.
    pair_due: Option<usize>,
    pair_text: String,
}

/// The char at byte `at` of `text` (a char boundary), and whether it is a letter or digit.
fn char_at(text: &str, at: usize) -> (usize, bool) {
    let b = text.as_bytes()[at];
    if b < 0x80 {
        (1, b.is_ascii_alphanumeric())
    } else {
        let c = text[at..].chars().next().unwrap_or(' ');
        (c.len_utf8(), c.is_alphanumeric())
    }
}

impl TokenStream for StemmingTokenStream<'_> {
    fn advance(&mut self) -> bool {
        if let Some(from) = self.pair_due.take() {
            // Same position and end as the word it closes with.
            std::mem::swap(&mut self.token.text, &mut self.pair_text);
            self.token.offset_from = from;
            return true;
        }
        let text = self.text;
        loop {
            while self.at < text.len() {
                let (len, alphanumeric) = char_at(text, self.at);
                if alphanumeric {
                    break;
                }
                self.at += len;
            }
            if self.at >= text.len() {
                return false;
            }
            let start = self.at;
            while self.at < text.len() {
                let (len, alphanumeric) = char_at(text, self.at);
                if !alphanumeric {
                    break;
                }
                self.at += len;
            }
            self.token.position = self.token.position.wrapping_add(1);
            if self.at - start >= LONGEST_WORD {
                continue;
            }
            self.token.offset_from = start;
            self.token.offset_to = self.at;
            let common = stem_into(&text[start..self.at], &mut self.token.text);
            if self.pairs {
                let position = self.token.position;
                if let Some((at, from)) = self.last_common.take()
                    && common
                    && at.wrapping_add(1) == position
                {
                    self.pair_text.clear();
                    self.pair_text.push_str(&self.last_stem);
                    self.pair_text.push(' ');
                    self.pair_text.push_str(&self.token.text);
                    self.pair_due = Some(from);
                }
                if common {
                    self.last_stem.clear();
                    self.last_stem.push_str(&self.token.text);
                    self.last_common = Some((position, start));
                }
            }
            return true;
        }
    }

    fn token(&self) -> &Token {
        self.token
    }

    fn token_mut(&mut self) -> &mut Token {
        self.token
    }
}

/// A short string held inline (the stem table's keys and values), so a lookup reads one
/// entry instead of following pointers to a key and a value elsewhere in memory.
#[derive(Clone, Copy)]
struct InlineWord {
    len: u8,
    bytes: [u8; INLINE_BYTES],
}

const INLINE_BYTES: usize = 30;

impl InlineWord {
    fn new(word: &str) -> Option<InlineWord> {
        let mut bytes = [0; INLINE_BYTES];
        bytes.get_mut(..word.len())?.copy_from_slice(word.as_bytes());
        Some(InlineWord { len: word.len() as u8, bytes })
    }

    fn as_str(&self) -> &str {
        // Only ever built from a whole `&str`.
        std::str::from_utf8(&self.bytes[..usize::from(self.len)]).unwrap_or("")
    }

    fn is(&self, word: &str) -> bool {
        &self.bytes[..usize::from(self.len)] == word.as_bytes()
    }
}

/// Words remembered per thread; prose repeats a small vocabulary, and a bound keeps a
/// hostile text of endless distinct words from growing the table without end.
const STEM_CACHE_ENTRIES: usize = 200_000;

struct StemCache {
    stemmer: frostem::Stemmer,
    /// Word as written → stem and whether it is common, looked up by the word where it
    /// stands in the text: only an insert copies it into a key (copying every word first
    /// cost more than the lookup).
    stems: hashbrown::HashTable<(InlineWord, InlineWord, bool)>,
    /// foldhash rather than SipHash: every word of every story is hashed here, and its
    /// per-process seed still keeps crafted words from piling into one bucket.
    hasher: foldhash::fast::RandomState,
    lower: String,
}

thread_local! {
    static STEMS: RefCell<StemCache> = RefCell::new(StemCache {
        stemmer: frostem::Stemmer::new(frostem::Algorithm::English),
        stems: hashbrown::HashTable::new(),
        hasher: foldhash::fast::RandomState::default(),
        lower: String::new(),
    });
}

/// Replaces `out` with the stem of `word` (as written: lower-cased here), and says whether
/// it is the stem of a [`COMMON`] word.
fn stem_into(word: &str, out: &mut String) -> bool {
    out.clear();
    STEMS.with(|cache| {
        let mut cache = cache.borrow_mut();
        let hash = cache.hasher.hash_one(word);
        if let Some((_, stem, common)) = cache.stems.find(hash, |(key, _, _)| key.is(word)) {
            out.push_str(stem.as_str());
            return *common;
        }
        let cache = &mut *cache;
        cache.lower.clear();
        if word.is_ascii() {
            cache.lower.push_str(word);
            cache.lower.make_ascii_lowercase();
        } else {
            // Char by char, as tantivy's `LowerCaser` does (no final-sigma rule).
            cache.lower.extend(word.chars().flat_map(char::to_lowercase));
        }
        let stem = cache.stemmer.stem(&cache.lower);
        out.push_str(&stem);
        let common = is_common(&stem);
        if let (Some(key), Some(value)) = (InlineWord::new(word), InlineWord::new(&stem))
            && cache.stems.len() < STEM_CACHE_ENTRIES
        {
            let hasher = &cache.hasher;
            cache.stems.insert_unique(hash, (key, value, common), |(key, _, _)| hasher.hash_one(key.as_str()));
        }
        common
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;
    use tantivy::tokenizer::{Language, LowerCaser, RemoveLongFilter, SimpleTokenizer, Stemmer};

    /// (text, position, offsets) of every token.
    fn tokens(mut analyzer: TextAnalyzer, text: &str) -> Vec<(String, usize, usize, usize)> {
        let mut stream = analyzer.token_stream(text);
        let mut out = Vec::new();
        while stream.advance() {
            let t = stream.token();
            out.push((t.text.clone(), t.position, t.offset_from, t.offset_to));
        }
        out
    }

    fn tantivy_chain() -> TextAnalyzer {
        TextAnalyzer::builder(SimpleTokenizer::default())
            .filter(RemoveLongFilter::limit(40))
            .filter(LowerCaser)
            .filter(Stemmer::new(Language::English))
            .build()
    }

    #[test]
    fn stems_as_tantivys_chain_does() {
        let text = "Counting counted counts; the ferries ferried ferry-folk. Généralement, \
                    running runner RUNS ran. Ça marche? 東京 Москва running counting \
                    Supercalifragilisticexpialidociousnessabcdefgh short ΣΊΣΥΦΟΣ İstanbul";
        let expected = tokens(tantivy_chain(), text);
        // Twice: the second pass is answered from the cache.
        assert_eq!(tokens(analyzer(), text), expected);
        assert_eq!(tokens(analyzer(), text), expected);
        let words: Vec<&str> = expected.iter().map(|t| t.0.as_str()).collect();
        assert!(words.contains(&"count") && words.contains(&"ferri"), "{words:?}");
        // The 44-letter word is dropped, and the word after it keeps its own position.
        assert!(!words.iter().any(|w| w.starts_with("supercal")));
        let short = expected.iter().find(|t| t.0 == "short").map(|t| t.1);
        let previous = expected.iter().find(|t| t.0 == "count").map(|t| t.1);
        assert!(short > previous);
    }

    #[test]
    fn the_index_is_given_pairs_of_common_words_side_by_side() {
        let text = "It was the Ferry of the Isles; of Supercalifragilisticexpialidociousnessabcdefgh the end.";
        let words = tokens(analyzer(), text);
        let given = tokens(index_analyzer(), text);
        let pairs: Vec<_> = given.iter().filter(|t| t.0.contains(' ')).cloned().collect();
        // "it was", "was the", "of the"; not "the ferri" (one word is not common), not
        // "of the" across the dropped long word, whose position stays taken.
        assert_eq!(
            pairs.iter().map(|t| (t.0.as_str(), &text[t.2..t.3])).collect::<Vec<_>>(),
            [("it was", "It was"), ("was the", "was the"), ("of the", "of the")]
        );
        // Each pair stands at the position of its second word, right after that word.
        for p in &pairs {
            let at = given.iter().position(|t| t == p).unwrap();
            assert_eq!(given[at - 1].1, p.1);
            assert_eq!(given[at - 1].3, p.3);
        }
        // The words themselves are what queries are read with, in the same places.
        let only_words: Vec<_> = given.iter().filter(|t| !t.0.contains(' ')).cloned().collect();
        assert_eq!(only_words, words);
    }

    fn stems(words: &[&str]) -> Vec<(String, usize)> {
        words.iter().enumerate().map(|(i, w)| (w.to_string(), i)).collect()
    }

    #[test]
    fn a_phrase_is_searched_by_its_pairs_where_it_has_them() {
        let terms = |words: &[&str]| phrase_terms(&stems(words));
        let owned = |t: &[(usize, &str)]| t.iter().map(|(at, w)| (*at, w.to_string())).collect::<Vec<_>>();
        assert_eq!(terms(&["of", "the"]), owned(&[(1, "of the")]));
        // A common word at the end shares the pair before it rather than stand alone.
        assert_eq!(terms(&["it", "was", "the"]), owned(&[(1, "it was"), (2, "was the")]));
        assert_eq!(terms(&["ferri", "of", "the", "isl"]), owned(&[(0, "ferri"), (2, "of the"), (3, "isl")]));
        assert_eq!(terms(&["old", "ferri"]), owned(&[(0, "old"), (1, "ferri")]));
        // Words not side by side (a dropped long word between) make no pair.
        assert_eq!(phrase_terms(&[("of".into(), 4), ("the".into(), 6)]), owned(&[(0, "of"), (2, "the")]));
    }

    proptest! {
        /// Tokens, positions and offsets as tantivy's tokenizer, length filter and lower-caser
        /// give them, and stems as the stemmer gives them, for any text (whether the stem
        /// came from the cache or not).
        #[test]
        fn agrees_with_the_chain_on_any_text(text in "(?s)[a-zA-Z0-9 ,.İΣσςßé東-]{0,120}|\\PC{0,80}") {
            let reference = TextAnalyzer::builder(SimpleTokenizer::default())
                .filter(RemoveLongFilter::limit(40))
                .filter(LowerCaser)
                .build();
            let stemmer = frostem::Stemmer::new(frostem::Algorithm::English);
            let expected: Vec<_> = tokens(reference, &text)
                .into_iter()
                .map(|(word, position, from, to)| (stemmer.stem(&word).into_owned(), position, from, to))
                .collect();
            prop_assert_eq!(tokens(analyzer(), &text), expected.clone());
            prop_assert_eq!(tokens(analyzer(), &text), expected);
        }
    }
}
