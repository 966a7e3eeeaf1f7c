//! Ratings: the raw string as the source states it, and one of five levels.
//!
//! Mapping matches the whole value against tables, never a substring: `General Audiences`
//! contains `r` and `Mature` contains `ma`, which is how substring matchers go wrong.

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default, PartialOrd, Ord)]
pub enum RatingLevel {
    GeneralAudiences,
    TeenAndUp,
    Mature,
    Explicit,
    #[default]
    NotRated,
}

impl RatingLevel {
    pub const ALL: [RatingLevel; 5] =
        [RatingLevel::GeneralAudiences, RatingLevel::TeenAndUp, RatingLevel::Mature, RatingLevel::Explicit, RatingLevel::NotRated];

    /// The level named by [`RatingLevel::as_str`].
    pub fn from_name(name: &str) -> Option<RatingLevel> {
        RatingLevel::ALL.into_iter().find(|l| l.as_str() == name)
    }

    pub fn as_str(self) -> &'static str {
        match self {
            RatingLevel::GeneralAudiences => "General Audiences",
            RatingLevel::TeenAndUp => "Teen And Up Audiences",
            RatingLevel::Mature => "Mature",
            RatingLevel::Explicit => "Explicit",
            RatingLevel::NotRated => "Not Rated",
        }
    }
}

#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct Rating {
    pub raw: Option<String>,
    pub normalized: RatingLevel,
}

/// Whole-value table, compared after case folding, trimming, and collapsing inner whitespace.
/// PG sits with General Audiences, following FictionRatings (K+ = PG); see docs/formats.md.
const TABLE: &[(&str, RatingLevel)] = &[
    ("g", RatingLevel::GeneralAudiences),
    ("k", RatingLevel::GeneralAudiences),
    ("k+", RatingLevel::GeneralAudiences),
    ("pg", RatingLevel::GeneralAudiences),
    ("everyone", RatingLevel::GeneralAudiences),
    ("g (everyone)", RatingLevel::GeneralAudiences),
    ("fiction k", RatingLevel::GeneralAudiences),
    ("fiction k+", RatingLevel::GeneralAudiences),
    ("all ages", RatingLevel::GeneralAudiences),
    ("frc", RatingLevel::GeneralAudiences),
    ("fr7", RatingLevel::GeneralAudiences),
    ("general", RatingLevel::GeneralAudiences),
    ("gen", RatingLevel::GeneralAudiences),
    ("general audiences", RatingLevel::GeneralAudiences),
    ("u", RatingLevel::GeneralAudiences),
    // fanfiktion.de's age ratings (P for "Personen ab").
    ("p6", RatingLevel::GeneralAudiences),
    ("p12", RatingLevel::TeenAndUp),
    ("p16", RatingLevel::Mature),
    ("p18", RatingLevel::Explicit),
    ("p18-avl", RatingLevel::Explicit),
    ("pg-13", RatingLevel::TeenAndUp),
    ("pg13", RatingLevel::TeenAndUp),
    ("pg 13", RatingLevel::TeenAndUp),
    ("t", RatingLevel::TeenAndUp),
    ("fiction t", RatingLevel::TeenAndUp),
    ("teen", RatingLevel::TeenAndUp),
    ("teens", RatingLevel::TeenAndUp),
    ("fr13", RatingLevel::TeenAndUp),
    ("fr15", RatingLevel::TeenAndUp),
    ("teen and up audiences", RatingLevel::TeenAndUp),
    ("teen and up", RatingLevel::TeenAndUp),
    ("pg-15", RatingLevel::TeenAndUp),
    ("r", RatingLevel::Mature),
    ("m", RatingLevel::Mature),
    ("fiction m", RatingLevel::Mature),
    ("r - restricted", RatingLevel::Mature),
    ("restricted", RatingLevel::Mature),
    ("mature", RatingLevel::Mature),
    ("fr18", RatingLevel::Mature),
    ("frm", RatingLevel::Mature),
    ("nc-17", RatingLevel::Explicit),
    ("nc17", RatingLevel::Explicit),
    ("nc 17", RatingLevel::Explicit),
    ("ma", RatingLevel::Explicit),
    ("fiction ma", RatingLevel::Explicit),
    ("x", RatingLevel::Explicit),
    ("xxx", RatingLevel::Explicit),
    ("adult", RatingLevel::Explicit),
    ("adults only", RatingLevel::Explicit),
    ("explicit", RatingLevel::Explicit),
    ("fr21", RatingLevel::Explicit),
    ("frao", RatingLevel::Explicit),
    ("nc-17 - no one 17 and under admitted", RatingLevel::Explicit),
    ("not rated", RatingLevel::NotRated),
    ("unrated", RatingLevel::NotRated),
    ("none", RatingLevel::NotRated),
];

fn table_key(raw: &str) -> String {
    let lowered = raw.trim().to_lowercase();
    let mut key = String::with_capacity(lowered.len());
    for word in lowered.split_whitespace() {
        if !key.is_empty() {
            key.push(' ');
        }
        key.push_str(word);
    }
    key.trim_end_matches(['.', ',', ';']).to_string()
}

/// Looks up a whole rating value. `None` means no table knows it.
pub fn lookup(raw: &str) -> Option<RatingLevel> {
    let key = table_key(raw);
    if key.is_empty() {
        return None;
    }
    if let Some((_, level)) = TABLE.iter().find(|(k, _)| *k == key) {
        return Some(*level);
    }
    // A value like "PG-13 (for language)" or "R, for violence": the whole first token group
    // before a separator must itself be a table value. This never matches a substring inside
    // a word.
    for sep in [" (", " for ", ", ", " - ", "/", " – "] {
        if let Some(idx) = key.find(sep) {
            let head = key[..idx].trim();
            if let Some((_, level)) = TABLE.iter().find(|(k, _)| *k == head) {
                return Some(*level);
            }
        }
    }
    None
}

impl Rating {
    /// A rating from a stated value. Unknown values keep their raw text and map to Not Rated;
    /// the returned flag says whether the value was recognised.
    pub fn from_raw(raw: &str) -> (Rating, bool) {
        let raw = raw.trim();
        match lookup(raw) {
            Some(level) => (Rating { raw: Some(raw.to_string()), normalized: level }, true),
            None => (Rating { raw: Some(raw.to_string()), normalized: RatingLevel::NotRated }, false),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn whole_values_map_and_substrings_do_not() {
        assert_eq!(lookup("General Audiences"), Some(RatingLevel::GeneralAudiences));
        assert_eq!(lookup("Mature"), Some(RatingLevel::Mature));
        assert_eq!(lookup("PG-13"), Some(RatingLevel::TeenAndUp));
        assert_eq!(lookup("nc-17 - No One 17 and Under Admitted"), Some(RatingLevel::Explicit));
        assert_eq!(lookup("R - Restricted"), Some(RatingLevel::Mature));
        assert_eq!(lookup("G (Everyone)"), Some(RatingLevel::GeneralAudiences));
        assert_eq!(lookup("PG-13 (for language)"), Some(RatingLevel::TeenAndUp));
        assert_eq!(lookup("Romance"), None);
        assert_eq!(lookup("Drama"), None);
        assert_eq!(lookup("Mary"), None);
    }

    #[test]
    fn unknown_values_keep_their_text() {
        let (r, known) = Rating::from_raw("Spicy");
        assert!(!known);
        assert_eq!(r.raw.as_deref(), Some("Spicy"));
        assert_eq!(r.normalized, RatingLevel::NotRated);
    }
}
