//! A whole invented archive: `works` raw works in every source layout the importer reads, with
//! the statistics of real archives (a long tail of fandoms and tags, a few huge works among many
//! short ones, a Zipf vocabulary of twenty thousand invented words).
//!
//! Each work comes with its [`Truth`] (what an importer should find), so tests can check the
//! importer against the generator. Same `(works, seed)`, same bytes.

use crate::{Rng, WORDS};

/// One generated file.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct GeneratedFile {
    /// A relative path (`0012/lamp-ferry.txt`, `0040/glass-owl/chapter-03.txt`).
    pub path: String,
    pub bytes: Vec<u8>,
}

/// What a generated work states, as an importer should read it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Truth {
    pub title: String,
    pub author: String,
    pub fandom: String,
    pub relationship: Option<(String, String)>,
    pub characters: Vec<String>,
    pub tags: Vec<String>,
    /// G, T, M, E or NR.
    pub rating: &'static str,
    pub chapters: usize,
    pub words: usize,
    pub complete: bool,
    pub layout: Layout,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Layout {
    /// One text file: a `Title:` header block, chapters, scene breaks.
    TextHeader,
    /// The same, one file per chapter in a folder.
    TextChapterFiles,
    /// An AO3 entire-work page.
    Ao3Work,
    /// A small archive's HTML page with a header paragraph.
    HtmlHeader,
}

const VOCABULARY: usize = 20_000;
const FANDOMS: usize = 400;
const TAGS: usize = 3000;
const SERIES: usize = 2000;
const SYLLABLES: &[&str] = &[
    "ba", "be", "bri", "ca", "cor", "da", "del", "e", "fa", "fen", "ga", "gil", "ha", "hol", "i", "ja", "ka", "kel", "la", "lin", "ma",
    "mer", "na", "nor", "o", "pa", "pel", "qua", "ra", "ren", "sa", "sel", "ta", "tor", "u", "va", "vel", "wa", "wyn", "ya", "za", "zel",
];
const COMMON_TAGS: &[&str] =
    &["Fluff", "Angst", "Hurt/Comfort", "Slow Burn", "Alternate Universe", "Friendship", "Found Family", "Humor", "Romance", "Drama"];
const REAL_FANDOMS: &[&str] = &["BtVS", "Harry Potter", "Buffy the Vampire Slayer"];

/// The invented word of a vocabulary rank: the shared common words first, then syllable words.
pub fn word(rank: usize) -> String {
    if rank < WORDS.len() {
        return WORDS[rank].to_string();
    }
    let mut n = rank - WORDS.len();
    let mut w = String::new();
    loop {
        w.push_str(SYLLABLES[n % SYLLABLES.len()]);
        n /= SYLLABLES.len();
        if n == 0 {
            break;
        }
        n -= 1;
    }
    w
}

fn capitalised(w: &str) -> String {
    let mut c = w.chars();
    c.next().map(|f| f.to_uppercase().collect::<String>() + c.as_str()).unwrap_or_default()
}

fn fandom_name(i: usize) -> String {
    if i < REAL_FANDOMS.len() {
        return REAL_FANDOMS[i].to_string();
    }
    format!("The {} {}", capitalised(&word(200 + i * 7)), capitalised(&word(300 + i * 11)))
}

fn person(seed: usize) -> String {
    format!("{} {}", capitalised(&word(900 + seed % 5000)), capitalised(&word(6000 + (seed * 31) % 9000)))
}

/// The characters of a fandom: 6 to 35 invented people.
fn characters_of(fandom: usize) -> Vec<String> {
    let n = 6 + (fandom * 7919) % 30;
    (0..n).map(|k| person(fandom * 97 + k * 13)).collect()
}

fn tag_name(i: usize) -> String {
    if i < COMMON_TAGS.len() { COMMON_TAGS[i].to_string() } else { format!("{} {}", capitalised(&word(400 + i % 1500)), word(2000 + i)) }
}

impl Rng {
    /// Standard normal (Box–Muller).
    fn normal(&mut self) -> f64 {
        let u1 = ((self.next_u64() >> 11) as f64 + 1.0) / (1u64 << 53) as f64;
        let u2 = (self.next_u64() >> 11) as f64 / (1u64 << 53) as f64;
        (-2.0 * u1.ln()).sqrt() * (std::f64::consts::TAU * u2).cos()
    }

    fn chance(&mut self, percent: usize) -> bool {
        self.below(100) < percent
    }
}

fn vocabulary_sentence(rng: &mut Rng, names: &[String], words: &mut usize) -> String {
    let n = 6 + rng.below(16);
    let mut s = String::new();
    for i in 0..n {
        let w = if rng.below(14) == 0 && !names.is_empty() {
            names[rng.below(names.len())].split(' ').next().unwrap_or("Ada").to_string()
        } else {
            word(rng.zipf(VOCABULARY))
        };
        if i == 0 {
            s.push_str(&capitalised(&w));
        } else {
            s.push(' ');
            s.push_str(&w);
        }
    }
    *words += n;
    s.push(match rng.below(10) {
        0 => '?',
        1 => '!',
        _ => '.',
    });
    s
}

/// Paragraphs of one chapter, about `target` words.
fn chapter_paragraphs(rng: &mut Rng, names: &[String], target: usize) -> Vec<String> {
    let mut out = Vec::new();
    let mut words = 0;
    while words < target.max(20) {
        let n = 2 + rng.below(6);
        let p: Vec<String> = (0..n).map(|_| vocabulary_sentence(rng, names, &mut words)).collect();
        out.push(p.join(" "));
    }
    out
}

const BREAKS: &[&str] = &["~ ~ ~", "oOo", "* * *", "-x-x-x-", "~~~~~~~~"];

struct Plan {
    truth: Truth,
    summary: String,
    series: Option<(String, u32)>,
    published: (u32, u32, u32),
    updated: (u32, u32, u32),
    warning: &'static str,
    language: &'static str,
    chapter_words: Vec<usize>,
}

fn plan(rng: &mut Rng, index: usize) -> Plan {
    let fandom = rng.zipf(FANDOMS);
    let cast = characters_of(fandom);
    let words = (3000.0 * (1.25 * rng.normal()).exp()).clamp(300.0, 150_000.0) as usize;
    let chapters = if words < 4000 && rng.chance(80) { 1 } else { (words / (2000 + rng.below(4000))).clamp(1, 60) };
    let mut chapter_words = vec![words / chapters; chapters];
    chapter_words[0] += words % chapters;
    let title = format!("{} {}", capitalised(&word(60 + rng.zipf(3000))), capitalised(&word(60 + rng.zipf(8000))));
    let a = cast[rng.below(cast.len())].clone();
    let b = cast[rng.below(cast.len())].clone();
    let relationship = (a != b && rng.chance(60)).then(|| (a.clone(), b.clone()));
    let mut characters = vec![a];
    if b != characters[0] {
        characters.push(b);
    }
    let mut tags: Vec<String> = Vec::new();
    for _ in 0..rng.below(6) {
        let t = tag_name(rng.zipf(TAGS));
        if !tags.contains(&t) {
            tags.push(t);
        }
    }
    let rating = ["G", "T", "T", "M", "M", "E", "NR", "G", "T", "E"][rng.below(10)];
    let year = 1998 + rng.below(28) as u32;
    let published = (year, 1 + rng.below(12) as u32, 1 + rng.below(28) as u32);
    let updated =
        if chapters > 1 { ((year + rng.below(3) as u32).min(2025), 1 + rng.below(12) as u32, 1 + rng.below(28) as u32) } else { published };
    let updated = if updated < published { published } else { updated };
    let mut summary_words = 0;
    let summary = vocabulary_sentence(rng, &characters, &mut summary_words);
    Plan {
        truth: Truth {
            title,
            author: person(rng.zipf(40_000) * 3 + 1),
            fandom: fandom_name(fandom),
            relationship,
            characters,
            tags,
            rating,
            chapters,
            words,
            complete: rng.chance(70) || chapters == 1,
            layout: match rng.below(20) {
                0..=6 => Layout::TextHeader,
                7..=9 => Layout::TextChapterFiles,
                10..=15 => Layout::Ao3Work,
                _ => Layout::HtmlHeader,
            },
        },
        summary,
        series: rng.chance(6).then(|| (format!("{} Cycle", capitalised(&word(500 + rng.zipf(SERIES)))), 1 + rng.below(5) as u32)),
        published,
        updated,
        warning: [
            "No Archive Warnings Apply",
            "Creator Chose Not To Use Archive Warnings",
            "Graphic Depictions Of Violence",
            "Major Character Death",
        ][rng.zipf(4)],
        language: if rng.chance(92) { "English" } else { ["Deutsch", "Español", "Français"][rng.below(3)] },
        chapter_words,
    }
    .with_index(index)
}

impl Plan {
    fn with_index(mut self, index: usize) -> Plan {
        // Distinct titles keep distinct works from being joined as copies of one another.
        self.truth.title = format!("{} {}", self.truth.title, roman(index + 1));
        self
    }
}

fn roman(mut n: usize) -> String {
    let table = [
        (1000, "M"),
        (900, "CM"),
        (500, "D"),
        (400, "CD"),
        (100, "C"),
        (90, "XC"),
        (50, "L"),
        (40, "XL"),
        (10, "X"),
        (9, "IX"),
        (5, "V"),
        (4, "IV"),
        (1, "I"),
    ];
    let mut out = String::new();
    for (value, letters) in table {
        while n >= value {
            out.push_str(letters);
            n -= value;
        }
    }
    out
}

fn text_rating(rating: &str, rng: &mut Rng) -> &'static str {
    match (rating, rng.below(2)) {
        ("G", 0) => "G",
        ("G", _) => "K",
        ("T", 0) => "PG-13",
        ("T", _) => "T",
        ("M", 0) => "R",
        ("M", _) => "M",
        ("E", 0) => "NC-17",
        ("E", _) => "MA",
        _ => "Not Rated",
    }
}

fn ao3_rating(rating: &str) -> &'static str {
    match rating {
        "G" => "General Audiences",
        "T" => "Teen And Up Audiences",
        "M" => "Mature",
        "E" => "Explicit",
        _ => "Not Rated",
    }
}

fn slug(title: &str) -> String {
    title.to_lowercase().split_whitespace().collect::<Vec<_>>().join("-")
}

fn date((y, m, d): (u32, u32, u32)) -> String {
    format!("{y:04}-{m:02}-{d:02}")
}

fn text_header(p: &Plan, rng: &mut Rng, part: Option<usize>) -> String {
    let t = &p.truth;
    let mut h = String::new();
    let title = match part {
        Some(n) => format!("Title: {} ({}/{})\n", t.title, n, if t.complete { t.chapters.to_string() } else { "?".into() }),
        None => format!("Title: {}\n", t.title),
    };
    h.push_str(&title);
    h.push_str(&format!("Author: {}\nFandom: {}\n", t.author, t.fandom));
    if let Some((a, b)) = &t.relationship {
        let sep = [" & ", "/", " x "][rng.below(3)];
        h.push_str(&format!("Pairing: {a}{sep}{b}\n"));
    }
    h.push_str(&format!("Characters: {}\n", t.characters.join(", ")));
    h.push_str(&format!("Rating: {}\n", text_rating(t.rating, rng)));
    if !t.tags.is_empty() {
        h.push_str(&format!("Genre: {}\n", t.tags.join(", ")));
    }
    h.push_str(&format!("Warnings: {}\n", p.warning));
    h.push_str(&format!("Status: {}\n", if t.complete { "Complete" } else { "In progress" }));
    h.push_str(&format!("Summary: {}\n", p.summary));
    h.push_str("Disclaimer: Everything here is invented for testing.\n\n");
    h
}

fn text_chapter(out: &mut String, rng: &mut Rng, p: &Plan, number: usize) {
    if p.truth.chapters > 1 {
        out.push_str(&format!("Chapter {number}\n\n"));
    }
    let breaker = BREAKS[rng.below(BREAKS.len())];
    for (k, para) in chapter_paragraphs(rng, &p.truth.characters, p.chapter_words[number - 1]).iter().enumerate() {
        if k > 0 && rng.below(25) == 0 {
            out.push_str(breaker);
            out.push_str("\n\n");
        }
        out.push_str(para);
        out.push_str("\n\n");
    }
}

fn escape(s: &str) -> String {
    s.replace('&', "&amp;").replace('<', "&lt;").replace('>', "&gt;")
}

fn html_paragraphs(out: &mut String, rng: &mut Rng, p: &Plan, number: usize) {
    for (k, para) in chapter_paragraphs(rng, &p.truth.characters, p.chapter_words[number - 1]).iter().enumerate() {
        if k > 0 && rng.below(25) == 0 {
            out.push_str("<hr>\n");
        }
        if rng.below(6) == 0 {
            out.push_str(&format!("<p><em>{}</em></p>\n", escape(para)));
        } else {
            out.push_str(&format!("<p>{}</p>\n", escape(para)));
        }
    }
}

fn ao3_page(p: &Plan, rng: &mut Rng, work_id: usize) -> String {
    let t = &p.truth;
    let tag_list = |items: &[String]| items.iter().map(|i| format!("<li><a class=\"tag\">{}</a></li>", escape(i))).collect::<String>();
    let relationships: Vec<String> = t.relationship.iter().map(|(a, b)| format!("{a}/{b}")).collect();
    let mut s = format!(
        "<!DOCTYPE html>\n<html lang=\"en\"><head><meta charset=\"utf-8\"><title>{title} - {author} - {fandom} [Archive of Our Own]</title></head>\n<body>\n\
         <div id=\"header\"><h1 class=\"heading\"><a href=\"/\"><img alt=\"Archive of Our Own\" class=\"logo\" src=\"/logo.png\"></a></h1></div>\n\
         <div class=\"wrapper\"><dl class=\"work meta group\">\n\
         <dt class=\"rating tags\">Rating:</dt><dd class=\"rating tags\"><ul class=\"commas\"><li><a class=\"tag\">{rating}</a></li></ul></dd>\n\
         <dt class=\"warning tags\">Archive Warning:</dt><dd class=\"warning tags\"><ul class=\"commas\"><li><a class=\"tag\">{warning}</a></li></ul></dd>\n\
         <dt class=\"fandom tags\">Fandom:</dt><dd class=\"fandom tags\"><ul class=\"commas\">{fandoms}</ul></dd>\n\
         <dt class=\"relationship tags\">Relationships:</dt><dd class=\"relationship tags\"><ul class=\"commas\">{relationships}</ul></dd>\n\
         <dt class=\"character tags\">Characters:</dt><dd class=\"character tags\"><ul class=\"commas\">{characters}</ul></dd>\n\
         <dt class=\"freeform tags\">Additional Tags:</dt><dd class=\"freeform tags\"><ul class=\"commas\">{tags}</ul></dd>\n\
         <dt class=\"language\">Language:</dt><dd class=\"language\">{language}</dd>\n",
        title = escape(&t.title),
        author = escape(&t.author),
        fandom = escape(&t.fandom),
        rating = ao3_rating(t.rating),
        warning = p.warning,
        fandoms = tag_list(std::slice::from_ref(&t.fandom)),
        relationships = tag_list(&relationships),
        characters = tag_list(&t.characters),
        tags = tag_list(&t.tags),
        language = p.language,
    );
    if let Some((name, part)) = &p.series {
        s.push_str(&format!(
            "<dt class=\"series\">Series:</dt><dd class=\"series\"><span class=\"series\"><span class=\"position\">Part {part} of the <a href=\"/series/{}\">{}</a> series</span></span></dd>\n",
            work_id % 997,
            escape(name)
        ));
    }
    let total = if t.complete { t.chapters.to_string() } else { "?".into() };
    s.push_str(&format!(
        "<dt class=\"stats\">Stats:</dt><dd class=\"stats\"><dl class=\"stats\"><dt class=\"published\">Published:</dt><dd class=\"published\">{}</dd>\
         <dt class=\"status\">{}:</dt><dd class=\"status\">{}</dd><dt class=\"words\">Words:</dt><dd class=\"words\">{}</dd>\
         <dt class=\"chapters\">Chapters:</dt><dd class=\"chapters\">{}/{total}</dd></dl></dd>\n</dl></div>\n",
        date(p.published),
        if t.complete { "Completed" } else { "Updated" },
        date(p.updated),
        t.words,
        t.chapters
    ));
    s.push_str(&format!(
        "<div id=\"workskin\"><div class=\"preface group\"><h2 class=\"title heading\">{}</h2><h3 class=\"byline heading\"><a rel=\"author\" href=\"/users/x\">{}</a></h3>\n\
         <div class=\"summary module\"><h3 class=\"heading\">Summary:</h3><blockquote class=\"userstuff\"><p>{}</p></blockquote></div></div>\n<div id=\"chapters\" role=\"article\">\n",
        escape(&t.title),
        escape(&t.author),
        escape(&p.summary)
    ));
    for n in 1..=t.chapters {
        s.push_str(&format!("<div class=\"chapter\" id=\"chapter-{n}\">\n"));
        if t.chapters > 1 {
            s.push_str(&format!(
                "<div class=\"chapter preface group\" role=\"complementary\"><h3 class=\"title\"><a href=\"/works/{work_id}/chapters/{n}\">Chapter {n}</a></h3></div>\n"
            ));
        }
        s.push_str("<div class=\"userstuff module\" role=\"article\"><h3 class=\"landmark heading\" id=\"work\">Chapter Text</h3>\n");
        html_paragraphs(&mut s, rng, p, n);
        s.push_str("</div></div>\n");
    }
    s.push_str(&format!("</div></div>\n<input type=\"hidden\" id=\"kudo_commentable_id\" value=\"{work_id}\">\n</body></html>\n"));
    s
}

fn html_header_page(p: &Plan, rng: &mut Rng) -> String {
    let t = &p.truth;
    let mut s = format!(
        "<!DOCTYPE html>\n<html><head><meta charset=\"utf-8\"><title>{title}</title></head><body>\n\
         <div class=\"menu\"><a href=\"/\">Home</a> | <a href=\"/fics\">Fics</a></div>\n<div id=\"content\">\n\
         <p>Title: {title}<br>Author: {author}<br>Fandom: {fandom}<br>Rating: {rating}<br>",
        title = escape(&t.title),
        author = escape(&t.author),
        fandom = escape(&t.fandom),
        rating = text_rating(t.rating, rng),
    );
    if let Some((a, b)) = &t.relationship {
        s.push_str(&format!("Pairing: {}/{}<br>", escape(a), escape(b)));
    }
    s.push_str(&format!("Characters: {}<br>", escape(&t.characters.join(", "))));
    if !t.tags.is_empty() {
        s.push_str(&format!("Genre: {}<br>", escape(&t.tags.join(", "))));
    }
    s.push_str(&format!(
        "Status: {}<br>Summary: {}</p>\n<hr>\n",
        if t.complete { "Complete" } else { "Work in progress" },
        escape(&p.summary)
    ));
    for n in 1..=t.chapters {
        if t.chapters > 1 {
            s.push_str(&format!("<h2>Chapter {n}</h2>\n"));
        }
        html_paragraphs(&mut s, rng, p, n);
    }
    s.push_str(if t.complete { "<p>The End</p>\n" } else { "<p>To Be Continued...</p>\n" });
    s.push_str("</div></body></html>\n");
    s
}

fn work_rng(seed: u64, index: usize) -> Rng {
    Rng::new(seed ^ (index as u64).wrapping_mul(0xA24B_AED4_963E_E407))
}

/// What work number `index` states, without writing its text.
pub fn truth(seed: u64, index: usize) -> Truth {
    plan(&mut work_rng(seed, index), index).truth
}

/// The files of work number `index` of the archive generated from `seed`, with its truth.
pub fn work(seed: u64, index: usize) -> (Vec<GeneratedFile>, Truth) {
    let mut rng = work_rng(seed, index);
    let p = plan(&mut rng, index);
    let folder = format!("{:04}", index / 100);
    let name = slug(&p.truth.title);
    let files = match p.truth.layout {
        Layout::TextHeader => {
            let mut s = text_header(&p, &mut rng, None);
            for n in 1..=p.truth.chapters {
                text_chapter(&mut s, &mut rng, &p, n);
            }
            s.push_str(if p.truth.complete { "The End\n" } else { "To Be Continued...\n" });
            vec![GeneratedFile { path: format!("{folder}/{name}.txt"), bytes: s.into_bytes() }]
        }
        Layout::TextChapterFiles => (1..=p.truth.chapters)
            .map(|n| {
                let mut s = text_header(&p, &mut rng, Some(n));
                text_chapter(&mut s, &mut rng, &p, n);
                if n < p.truth.chapters {
                    s.push_str("next\n");
                }
                GeneratedFile { path: format!("{folder}/{name}/chapter-{n:02}.txt"), bytes: s.into_bytes() }
            })
            .collect(),
        Layout::Ao3Work => {
            vec![GeneratedFile { path: format!("{folder}/{name}.html"), bytes: ao3_page(&p, &mut rng, 100_000 + index).into_bytes() }]
        }
        Layout::HtmlHeader => {
            vec![GeneratedFile { path: format!("{folder}/{name}.htm"), bytes: html_header_page(&p, &mut rng).into_bytes() }]
        }
    };
    (files, p.truth)
}

/// Every work of an archive of `works` works, one at a time.
pub fn corpus(works: usize, seed: u64) -> impl Iterator<Item = (Vec<GeneratedFile>, Truth)> {
    (0..works).map(move |i| work(seed, i))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn deterministic_and_varied() {
        let a: Vec<_> = corpus(40, 3).collect();
        let b: Vec<_> = corpus(40, 3).collect();
        assert_eq!(a, b);
        let c: Vec<_> = corpus(40, 4).collect();
        assert_ne!(a, c);
        for layout in [Layout::TextHeader, Layout::TextChapterFiles, Layout::Ao3Work, Layout::HtmlHeader] {
            assert!(a.iter().any(|(_, t)| t.layout == layout), "{layout:?} never generated");
        }
    }

    #[test]
    fn fandoms_and_lengths_have_long_tails() {
        let truths: Vec<Truth> = (0..2000).map(|i| truth(9, i)).collect();
        assert_eq!(truths[17], work(9, 17).1);
        let mut per_fandom = std::collections::HashMap::new();
        for t in &truths {
            *per_fandom.entry(t.fandom.clone()).or_insert(0) += 1;
        }
        let mut counts: Vec<usize> = per_fandom.values().copied().collect();
        counts.sort_unstable_by(|a, b| b.cmp(a));
        assert!(counts[0] > 10 * counts[counts.len() / 2], "head {} vs median {}", counts[0], counts[counts.len() / 2]);
        assert!(per_fandom.len() > 150, "{} fandoms", per_fandom.len());
        let longest = truths.iter().map(|t| t.words).max().unwrap();
        let mut words: Vec<usize> = truths.iter().map(|t| t.words).collect();
        words.sort_unstable();
        assert!(longest > 20 * words[words.len() / 2], "longest {longest}, median {}", words[words.len() / 2]);
    }

    #[test]
    fn vocabulary_words_are_distinct() {
        let words: std::collections::HashSet<String> = (0..VOCABULARY).map(word).collect();
        assert!(words.len() > VOCABULARY * 95 / 100, "{}", words.len());
    }
}
