//! A deterministic generator of raw fan-fiction files, for benches and property tests.
//!
//! Output imitates what archives hold: mailing-list text with header blocks and scene breaks,
//! and HTML chapter pages. Words follow a Zipf-like distribution over a small invented
//! vocabulary, so text statistics resemble prose. Same seed, same bytes.
//!
//! Architecture invariant: deterministic, no I/O.

pub mod corpus;

/// xorshift64*: small, fast, and good enough for test data.
#[derive(Debug, Clone)]
pub struct Rng(u64);

impl Rng {
    pub fn new(seed: u64) -> Rng {
        Rng(seed.wrapping_mul(0x9E37_79B9_7F4A_7C15) | 1)
    }
    pub fn next_u64(&mut self) -> u64 {
        let mut x = self.0;
        x ^= x >> 12;
        x ^= x << 25;
        x ^= x >> 27;
        self.0 = x;
        x.wrapping_mul(0x2545_F491_4F6C_DD1D)
    }
    pub fn below(&mut self, n: usize) -> usize {
        (self.next_u64() % n.max(1) as u64) as usize
    }
    /// Zipf-like: small indexes are much more likely.
    pub fn zipf(&mut self, n: usize) -> usize {
        let u = (self.next_u64() >> 11) as f64 / (1u64 << 53) as f64;
        ((n as f64).powf(u) as usize).saturating_sub(1).min(n - 1)
    }
}

pub(crate) const WORDS: &[&str] = &[
    "the",
    "and",
    "to",
    "of",
    "a",
    "she",
    "he",
    "was",
    "in",
    "it",
    "that",
    "her",
    "his",
    "had",
    "with",
    "for",
    "on",
    "at",
    "not",
    "they",
    "but",
    "as",
    "you",
    "said",
    "be",
    "were",
    "from",
    "one",
    "all",
    "could",
    "would",
    "there",
    "what",
    "their",
    "into",
    "back",
    "only",
    "hand",
    "eyes",
    "night",
    "door",
    "light",
    "looked",
    "knew",
    "never",
    "again",
    "before",
    "something",
    "thought",
    "still",
    "room",
    "voice",
    "quiet",
    "away",
    "water",
    "harbour",
    "lantern",
    "winter",
    "letter",
    "window",
    "stairs",
    "orchard",
    "river",
    "kettle",
    "ferry",
    "gate",
    "smiled",
    "whispered",
    "turned",
    "waited",
    "remembered",
    "promise",
    "silence",
    "morning",
    "shadow",
    "stone",
];
pub(crate) const NAMES: &[&str] = &["Ada", "Tomas", "Mira", "Jonah", "Nell", "Pip", "Ilse", "Rowan", "Vera", "Wen"];

pub fn sentence(rng: &mut Rng) -> String {
    let n = 6 + rng.below(14);
    let mut s = String::new();
    for i in 0..n {
        let w = if rng.below(12) == 0 { NAMES[rng.below(NAMES.len())] } else { WORDS[rng.zipf(WORDS.len())] };
        if i == 0 {
            let mut c = w.chars();
            if let Some(f) = c.next() {
                s.extend(f.to_uppercase());
                s.push_str(c.as_str());
            }
        } else {
            s.push(' ');
            s.push_str(w);
        }
    }
    s.push(if rng.below(8) == 0 { '?' } else { '.' });
    s
}

pub fn paragraph(rng: &mut Rng) -> String {
    let n = 2 + rng.below(6);
    (0..n).map(|_| sentence(rng)).collect::<Vec<_>>().join(" ")
}

/// A plain-text story with a header block, chapters, scene breaks and a trailing `next` link.
pub fn text_story(rng: &mut Rng, target_bytes: usize) -> String {
    let mut s = format!(
        "Title: The {} {}\nAuthor: {}\nPairing: {} & {}\nRating: {}\nSummary: {}\n\n",
        WORDS[40 + rng.below(30)],
        WORDS[50 + rng.below(25)],
        NAMES[rng.below(NAMES.len())],
        NAMES[rng.below(NAMES.len())],
        NAMES[rng.below(NAMES.len())],
        ["G", "PG", "PG-13", "R", "NC-17"][rng.below(5)],
        sentence(rng)
    );
    let mut chapter = 1;
    while s.len() < target_bytes {
        s.push_str(&format!("Chapter {chapter}\n\n"));
        for _ in 0..(8 + rng.below(12)) {
            s.push_str(&paragraph(rng));
            s.push_str("\n\n");
            if rng.below(10) == 0 {
                s.push_str("~ ~ ~ ~\n\n");
            }
        }
        chapter += 1;
    }
    s.push_str("The End\n\nnext\n");
    s
}

/// An HTML chapter page of a small archive: a header block in a paragraph, then the text.
pub fn html_story(rng: &mut Rng, target_bytes: usize) -> String {
    let title = format!("The {} {}", WORDS[40 + rng.below(30)], WORDS[50 + rng.below(25)]);
    let mut s = format!(
        "<!DOCTYPE html>\n<html><head><meta charset=\"utf-8\"><title>{title}</title></head><body>\n\
         <div class=\"menu\"><a href=\"/\">Home</a> | <a href=\"/fics\">Fics</a></div>\n<div id=\"content\">\n\
         <p>Title: {title}<br>Author: {}<br>Rating: {}<br>Summary: {}</p>\n<hr>\n",
        NAMES[rng.below(NAMES.len())],
        ["G", "PG-13", "R"][rng.below(3)],
        sentence(rng)
    );
    while s.len() < target_bytes {
        let p = paragraph(rng);
        if rng.below(5) == 0 {
            s.push_str(&format!("<p><em>{p}</em></p>\n"));
        } else {
            s.push_str(&format!("<p>{p}</p>\n"));
        }
        if rng.below(40) == 0 {
            s.push_str("<hr>\n");
        }
    }
    s.push_str("<p><a href=\"part2.html\">Next &gt;&gt;</a></p>\n</div></body></html>\n");
    s
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn same_seed_same_bytes() {
        assert_eq!(text_story(&mut Rng::new(7), 5000), text_story(&mut Rng::new(7), 5000));
        assert_ne!(text_story(&mut Rng::new(7), 5000), text_story(&mut Rng::new(8), 5000));
        assert!(html_story(&mut Rng::new(1), 3000).len() >= 3000);
    }
}
