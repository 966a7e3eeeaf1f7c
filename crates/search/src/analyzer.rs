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

use std::cell::RefCell;
use std::hash::BuildHasher;
use tantivy::tokenizer::{TextAnalyzer, Token, TokenStream, Tokenizer};

/// Words this long (in bytes, as written) or longer are not indexed.
const LONGEST_WORD: usize = 40;

pub(crate) fn analyzer() -> TextAnalyzer {
    TextAnalyzer::from(StemmingTokenizer::default())
}

#[derive(Clone, Default)]
struct StemmingTokenizer {
    token: Token,
}

impl Tokenizer for StemmingTokenizer {
    type TokenStream<'a> = StemmingTokenStream<'a>;

    fn token_stream<'a>(&'a mut self, text: &'a str) -> StemmingTokenStream<'a> {
        self.token.reset();
        StemmingTokenStream { text, at: 0, token: &mut self.token }
    }
}

struct StemmingTokenStream<'a> {
    text: &'a str,
    /// Where the search for the next word starts (a char boundary).
    at: usize,
    token: &'a mut Token,
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
            stem_into(&text[start..self.at], &mut self.token.text);
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

const INLINE_BYTES: usize = 31;

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
    /// Word as written → stem, looked up by the word where it stands in the text: only an
    /// insert copies it into a key (copying every word first cost more than the lookup).
    stems: hashbrown::HashTable<(InlineWord, InlineWord)>,
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

/// Replaces `out` with the stem of `word` (as written: lower-cased here).
fn stem_into(word: &str, out: &mut String) {
    out.clear();
    STEMS.with(|cache| {
        let mut cache = cache.borrow_mut();
        let hash = cache.hasher.hash_one(word);
        if let Some((_, stem)) = cache.stems.find(hash, |(key, _)| key.is(word)) {
            out.push_str(stem.as_str());
            return;
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
        if let (Some(key), Some(value)) = (InlineWord::new(word), InlineWord::new(&stem))
            && cache.stems.len() < STEM_CACHE_ENTRIES
        {
            let hasher = &cache.hasher;
            cache.stems.insert_unique(hash, (key, value), |(key, _)| hasher.hash_one(key.as_str()));
        }
    });
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
