//! Tag wrangling: from the tags a work states to canonical tags.
//!
//! Every stated string stays as written (the store keeps it as a tag row of its own); this
//! crate decides which canonical tag it means and which parents that canonical tag has
//! (character → fandom, relationship → its characters). Decisions come from the
//! [`Dictionary`] and from a few rules:
//!
//! - **Folding**: tags that differ only in case, spacing, punctuation or accents are the same
//!   tag ([`fold`]); the store applies this across the whole archive.
//! - **Relationships**: the names are resolved as characters and sorted, so `Spike/Willow`,
//!   `willow / spike` and `Willow R./Spike` are one relationship. `/` is romantic and `&`
//!   platonic on AO3; in every other source (mailing-list `Pairing:` headers, FanFiction.Net's
//!   `[A, B]`), `&`, ` x ` and ` and ` also mean a romantic pairing, because that is what the
//!   `Pairing:` label says.
//!
//! Architecture invariant: pure. No I/O, no database; the dictionary is compiled in.

pub mod dictionary;

pub use dictionary::Dictionary;

use ficarchive_model::Work;
use unicode_normalization::UnicodeNormalization;

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum TagKind {
    Fandom,
    Relationship,
    Character,
    Freeform,
    Warning,
    Category,
    Rating,
}

impl TagKind {
    pub const ALL: [TagKind; 7] = [
        TagKind::Fandom,
        TagKind::Relationship,
        TagKind::Character,
        TagKind::Freeform,
        TagKind::Warning,
        TagKind::Category,
        TagKind::Rating,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            TagKind::Fandom => "fandom",
            TagKind::Relationship => "relationship",
            TagKind::Character => "character",
            TagKind::Freeform => "freeform",
            TagKind::Warning => "warning",
            TagKind::Category => "category",
            TagKind::Rating => "rating",
        }
    }

    /// The kind named by [`TagKind::as_str`]; `tag` and `additional` are accepted for freeform.
    pub fn from_name(name: &str) -> Option<TagKind> {
        match name {
            "tag" | "tags" | "additional" => Some(TagKind::Freeform),
            "fandoms" => Some(TagKind::Fandom),
            "relationships" | "pairing" => Some(TagKind::Relationship),
            "characters" => Some(TagKind::Character),
            "warnings" => Some(TagKind::Warning),
            "categories" => Some(TagKind::Category),
            _ => TagKind::ALL.into_iter().find(|k| k.as_str() == name),
        }
    }
}

/// The folded form two spellings of one tag share: accents removed, lower case, every run of
/// punctuation and space as one space, except `/` and `&`, which carry meaning in tags.
pub fn fold(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    let mut pending_space = false;
    // Lower case first: lowering can itself produce combining marks (`İ`), which must go too.
    for c in s.to_lowercase().nfkd().filter(|c| !unicode_normalization::char::is_combining_mark(*c)) {
        if c.is_alphanumeric() || c == '/' || c == '&' {
            if pending_space && !out.is_empty() {
                out.push(' ');
            }
            pending_space = false;
            out.extend(c.to_lowercase());
        } else {
            pending_space = true;
        }
    }
    out
}

/// A stated tag with the canonical tag it means.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct WrangledTag {
    pub kind: TagKind,
    /// As the work states it (spacing trimmed).
    pub raw: String,
    pub canonical: String,
    /// Canonical parents of the canonical tag.
    pub parents: Vec<(TagKind, String)>,
}

/// Spacing trimmed and collapsed; nothing else changes.
pub fn clean(raw: &str) -> String {
    raw.split_whitespace().collect::<Vec<_>>().join(" ")
}

/// The tags of a work, each with its canonical tag and parents, in the work's order (fandoms,
/// relationships, characters, freeform, warnings, categories, rating). Empty strings are
/// dropped; a tag stated twice appears once.
pub fn wrangle_work(work: &Work, dict: &Dictionary) -> Vec<WrangledTag> {
    let mut out: Vec<WrangledTag> = Vec::new();
    let mut push = |tag: WrangledTag| {
        if !tag.raw.is_empty() && !out.iter().any(|t| t.kind == tag.kind && t.raw == tag.raw) {
            out.push(tag);
        }
    };
    let fandoms: Vec<String> = work.fandoms.iter().map(|f| dict.fandom(f).map_or_else(|| clean(f), str::to_string)).collect();
    let fandom_refs: Vec<&str> = fandoms.iter().map(String::as_str).collect();
    for (raw, canonical) in work.fandoms.iter().zip(&fandoms) {
        push(WrangledTag { kind: TagKind::Fandom, raw: clean(raw), canonical: canonical.clone(), parents: Vec::new() });
    }
    let ao3 = work.source.format.starts_with("ao3");
    for raw in &work.relationships {
        push(relationship(raw, ao3, &fandom_refs, dict));
    }
    for raw in &work.characters {
        let (canonical, parents) = character(raw, &fandom_refs, dict);
        push(WrangledTag { kind: TagKind::Character, raw: clean(raw), canonical, parents });
    }
    for raw in &work.freeform_tags {
        push(WrangledTag { kind: TagKind::Freeform, raw: clean(raw), canonical: clean(raw), parents: Vec::new() });
    }
    for raw in &work.warnings {
        let canonical = dict.warning(raw).map_or_else(|| clean(raw), str::to_string);
        push(WrangledTag { kind: TagKind::Warning, raw: clean(raw), canonical, parents: Vec::new() });
    }
    for raw in &work.categories {
        let canonical = dict.category(raw).map_or_else(|| clean(raw), str::to_string);
        push(WrangledTag { kind: TagKind::Category, raw: clean(raw), canonical, parents: Vec::new() });
    }
    let rating = work.rating.normalized.as_str().to_string();
    push(WrangledTag { kind: TagKind::Rating, raw: rating.clone(), canonical: rating, parents: Vec::new() });
    out
}

/// A character's canonical name and fandom parents. A name the dictionary does not know keeps
/// its spelling; its parent is the work's fandom when the work has exactly one.
fn character(raw: &str, fandoms: &[&str], dict: &Dictionary) -> (String, Vec<(TagKind, String)>) {
    let raw = without_fandom_suffix(raw, fandoms);
    match dict.character(raw, fandoms) {
        Some((name, parents)) => (name.to_string(), parents.into_iter().map(|f| (TagKind::Fandom, f.to_string())).collect()),
        None => {
            let parents = match fandoms {
                [only] => vec![(TagKind::Fandom, only.to_string())],
                _ => Vec::new(),
            };
            (clean(raw), parents)
        }
    }
}

/// `Merlin (Merlin)` in a work of `Merlin (TV)` is `Merlin`: AO3 adds the fandom to a
/// character's name to tell namesakes apart, and the fandom parent already does that here. A
/// parenthesis that does not name one of the work's fandoms stays.
fn without_fandom_suffix<'a>(raw: &'a str, fandoms: &[&str]) -> &'a str {
    let trimmed = raw.trim();
    let Some(open) = trimmed.strip_suffix(')').and_then(|s| s.rfind('(')) else { return trimmed };
    let (name, suffix) = (trimmed[..open].trim_end(), fold(&trimmed[open + 1..trimmed.len() - 1]));
    if name.is_empty() || suffix.is_empty() {
        return trimmed;
    }
    let names_a_fandom = fandoms.iter().any(|f| {
        let f = fold(f);
        f == suffix || f.starts_with(&format!("{suffix} "))
    });
    if names_a_fandom { name } else { trimmed }
}

/// How the names of a relationship are joined.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Bond {
    Romantic,
    Platonic,
}

/// Splits a relationship into its names and says whether it is romantic.
fn split_relationship(raw: &str, ao3: bool) -> (Vec<&str>, Bond) {
    if raw.contains('/') {
        return (raw.split(['/', '&']).map(str::trim).filter(|n| !n.is_empty()).collect(), Bond::Romantic);
    }
    if raw.contains('&') {
        let bond = if ao3 { Bond::Platonic } else { Bond::Romantic };
        return (raw.split('&').map(str::trim).filter(|n| !n.is_empty()).collect(), bond);
    }
    if !ao3 {
        for separator in [" x ", " X ", " and ", " with "] {
            if raw.contains(separator) {
                return (raw.split(separator).map(str::trim).filter(|n| !n.is_empty()).collect(), Bond::Romantic);
            }
        }
    }
    (vec![raw.trim()], Bond::Romantic)
}

fn relationship(raw: &str, ao3: bool, fandoms: &[&str], dict: &Dictionary) -> WrangledTag {
    let (names, bond) = split_relationship(raw, ao3);
    if names.len() < 2 {
        return WrangledTag { kind: TagKind::Relationship, raw: clean(raw), canonical: clean(raw), parents: Vec::new() };
    }
    let mut characters: Vec<String> = names.iter().map(|n| character(n, fandoms, dict).0).collect();
    characters.sort_by_key(|c| fold(c));
    characters.dedup_by(|a, b| fold(a) == fold(b));
    let canonical = characters.join(if bond == Bond::Romantic { "/" } else { " & " });
    let parents = characters.into_iter().map(|c| (TagKind::Character, c)).collect();
    WrangledTag { kind: TagKind::Relationship, raw: clean(raw), canonical, parents }
}

#[cfg(test)]
mod tests {
    use super::*;
    use ficarchive_model::{Rating, RatingLevel};
    use proptest::prelude::*;

    fn work(format: &str, fandoms: &[&str], relationships: &[&str], characters: &[&str]) -> Work {
        let mut w = Work {
            fandoms: fandoms.iter().map(|s| s.to_string()).collect(),
            relationships: relationships.iter().map(|s| s.to_string()).collect(),
            characters: characters.iter().map(|s| s.to_string()).collect(),
            rating: Rating { raw: None, normalized: RatingLevel::TeenAndUp },
            ..Work::default()
        };
        w.source.format = format.to_string();
        w
    }

    fn canonical(tags: &[WrangledTag], kind: TagKind) -> Vec<&str> {
        tags.iter().filter(|t| t.kind == kind).map(|t| t.canonical.as_str()).collect()
    }

    #[test]
    fn folding_ignores_case_spacing_punctuation_and_accents() {
        assert_eq!(fold("  Hurt/Comfort "), "hurt/comfort");
        assert_eq!(fold("Obi-Wan  Kenobi"), fold("obi wan kenobi"));
        assert_eq!(fold("Padmé"), "padme");
        assert_eq!(fold("Mrs. Hudson"), "mrs hudson");
        assert_ne!(fold("F/M"), fold("FM"));
    }

    #[test]
    fn a_header_pairing_with_an_ampersand_is_romantic_and_order_does_not_matter() {
        let a = wrangle_work(&work("text-header-block", &["BtVS"], &["Willow & Spike"], &[]), Dictionary::starter());
        let b = wrangle_work(&work("text-header-block", &["Buffy"], &["spike/willow"], &[]), Dictionary::starter());
        assert_eq!(canonical(&a, TagKind::Relationship), ["Spike/Willow Rosenberg"]);
        assert_eq!(canonical(&b, TagKind::Relationship), ["Spike/Willow Rosenberg"]);
        assert_eq!(canonical(&a, TagKind::Fandom), ["Buffy the Vampire Slayer"]);
        let rel = a.iter().find(|t| t.kind == TagKind::Relationship).unwrap();
        assert_eq!(rel.raw, "Willow & Spike");
        assert_eq!(rel.parents, vec![(TagKind::Character, "Spike".to_string()), (TagKind::Character, "Willow Rosenberg".to_string())]);
    }

    #[test]
    fn an_ao3_ampersand_stays_platonic() {
        let tags = wrangle_work(
            &work("ao3-work", &["Buffy the Vampire Slayer (TV)"], &["Buffy Summers & Willow Rosenberg"], &[]),
            Dictionary::starter(),
        );
        assert_eq!(canonical(&tags, TagKind::Relationship), ["Buffy Summers & Willow Rosenberg"]);
    }

    #[test]
    fn ffn_abbreviated_pairings_resolve_to_full_names() {
        let tags = wrangle_work(
            &work("ffn-chapter", &["Harry Potter"], &["Harry P./Draco M."], &["Harry P.", "Draco M.", "Luna L."]),
            Dictionary::starter(),
        );
        assert_eq!(canonical(&tags, TagKind::Relationship), ["Draco Malfoy/Harry Potter"]);
        assert_eq!(canonical(&tags, TagKind::Character), ["Harry Potter", "Draco Malfoy", "Luna Lovegood"]);
        let luna = tags.iter().find(|t| t.canonical == "Luna Lovegood").unwrap();
        assert_eq!(luna.parents, vec![(TagKind::Fandom, "Harry Potter - J. K. Rowling".to_string())]);
    }

    #[test]
    fn unknown_names_keep_their_spelling_and_take_the_only_fandom_as_parent() {
        let tags =
            wrangle_work(&work("text-header-block", &["Lanterns of Vell"], &["Pip & Nell"], &["Pip", " Old  Wen "]), Dictionary::starter());
        assert_eq!(canonical(&tags, TagKind::Relationship), ["Nell/Pip"]);
        let wen = tags.iter().find(|t| t.kind == TagKind::Character && t.canonical == "Old Wen").unwrap();
        assert_eq!(wen.parents, vec![(TagKind::Fandom, "Lanterns of Vell".to_string())]);
        assert_eq!(wen.raw, "Old Wen");
    }

    #[test]
    fn a_fandom_suffix_on_a_character_is_dropped_when_it_names_the_work_fandom() {
        let tags = wrangle_work(
            &work("ao3-work", &["Merlin (TV)"], &["Arthur Pendragon (Merlin)/Merlin (Merlin)"], &["Merlin (Merlin)", "Gwen (Camelot)"]),
            Dictionary::starter(),
        );
        assert_eq!(canonical(&tags, TagKind::Relationship), ["Arthur Pendragon/Merlin"]);
        assert_eq!(canonical(&tags, TagKind::Character), ["Merlin", "Gwen (Camelot)"]);
    }

    #[test]
    fn warnings_categories_and_rating_are_canonical() {
        let mut w = work("text-header-block", &[], &[], &[]);
        w.warnings = vec!["character death".into(), "Violence".into(), "".into()];
        w.categories = vec!["Slash".into(), "Gen".into()];
        let tags = wrangle_work(&w, Dictionary::starter());
        assert_eq!(canonical(&tags, TagKind::Warning), ["Major Character Death", "Graphic Depictions Of Violence"]);
        assert_eq!(canonical(&tags, TagKind::Category), ["M/M", "Gen"]);
        assert_eq!(canonical(&tags, TagKind::Rating), ["Teen And Up Audiences"]);
    }

    #[test]
    fn one_name_relationships_and_repeats() {
        let tags = wrangle_work(&work("text", &[], &["Solo", "Solo", "Kai x Ren"], &[]), Dictionary::starter());
        assert_eq!(canonical(&tags, TagKind::Relationship), ["Solo", "Kai/Ren"]);
    }

    proptest! {
        #[test]
        fn folding_is_idempotent(s in "\\PC{0,40}|İ\\PC{0,3}") {
            let once = fold(&s);
            prop_assert_eq!(fold(&once), once.clone());
        }

        #[test]
        fn relationship_order_never_matters(a in "[A-Z][a-z]{1,8}", b in "[A-Z][a-z]{1,8}") {
            let dict = Dictionary::starter();
            let one = relationship(&format!("{a}/{b}"), false, &[], dict);
            let two = relationship(&format!("{b} & {a}"), false, &[], dict);
            prop_assert_eq!(one.canonical, two.canonical);
        }
    }
}
