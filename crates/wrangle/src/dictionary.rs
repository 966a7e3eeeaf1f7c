//! The tag dictionary: canonical fandoms and characters with their aliases, and the fixed
//! warning and category tags with the spellings headers use for them.

use crate::fold;
use std::collections::HashMap;
use std::sync::OnceLock;

const STARTER: &str = include_str!("../dictionary/starter.txt");

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DictionaryError {
    pub line: usize,
    pub message: String,
}

impl std::fmt::Display for DictionaryError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "dictionary line {}: {}", self.line, self.message)
    }
}

impl std::error::Error for DictionaryError {}

/// Where an alias of a character leads: one canonical name, or several (then it is ambiguous
/// and only a fandom can decide).
#[derive(Debug, Clone, PartialEq, Eq)]
enum Target {
    One(usize),
    Ambiguous,
}

#[derive(Debug, Default)]
pub struct Dictionary {
    fandoms: Vec<String>,
    fandom_by_alias: HashMap<String, usize>,
    /// Canonical character names, each with the fandoms that list it.
    characters: Vec<(String, Vec<usize>)>,
    character_by_name: HashMap<String, usize>,
    /// (fandom, folded alias) → character.
    in_fandom: HashMap<(usize, String), Target>,
    /// Folded alias → character, across every fandom.
    anywhere: HashMap<String, Target>,
    warnings: HashMap<String, String>,
    categories: HashMap<String, String>,
}

impl Dictionary {
    /// The dictionary shipped with ficarchive.
    pub fn starter() -> &'static Dictionary {
        static STARTER_DICTIONARY: OnceLock<Dictionary> = OnceLock::new();
        // The shipped file is checked by a unit test, so this cannot fail at run time.
        STARTER_DICTIONARY.get_or_init(|| Dictionary::parse(STARTER).unwrap_or_default())
    }

    /// Reads the dictionary format described at the top of `dictionary/starter.txt`.
    pub fn parse(text: &str) -> Result<Dictionary, DictionaryError> {
        let mut dict = Dictionary::default();
        let mut current_fandom = None;
        for (index, line) in text.lines().enumerate() {
            let line = line.trim();
            if line.is_empty() || line.starts_with('#') {
                continue;
            }
            let error = |message: &str| DictionaryError { line: index + 1, message: message.to_string() };
            let (kind, rest) = line.split_once(' ').ok_or_else(|| error("expected `KIND NAME | ALIAS ...`"))?;
            let mut names = rest.split('|').map(str::trim).filter(|n| !n.is_empty());
            let canonical = names.next().ok_or_else(|| error("no name"))?.to_string();
            let aliases: Vec<&str> = std::iter::once(canonical.as_str()).chain(names).collect();
            match kind {
                "fandom" => {
                    let id = dict.fandoms.len();
                    dict.fandoms.push(canonical.clone());
                    for alias in &aliases {
                        dict.fandom_by_alias.entry(fold(alias)).or_insert(id);
                    }
                    current_fandom = Some(id);
                }
                "character" => {
                    let fandom = current_fandom.ok_or_else(|| error("a character before any fandom"))?;
                    let id = match dict.character_by_name.get(&canonical) {
                        Some(&id) => id,
                        None => {
                            dict.characters.push((canonical.clone(), Vec::new()));
                            dict.character_by_name.insert(canonical.clone(), dict.characters.len() - 1);
                            dict.characters.len() - 1
                        }
                    };
                    dict.characters[id].1.push(fandom);
                    for alias in &aliases {
                        let key = fold(alias);
                        add_target(dict.in_fandom.entry((fandom, key.clone())).or_insert(Target::One(id)), id);
                        add_target(dict.anywhere.entry(key).or_insert(Target::One(id)), id);
                    }
                }
                "warning" | "category" => {
                    let table = if kind == "warning" { &mut dict.warnings } else { &mut dict.categories };
                    for alias in &aliases {
                        table.insert(fold(alias), canonical.clone());
                    }
                }
                other => return Err(error(&format!("unknown kind `{other}`"))),
            }
        }
        Ok(dict)
    }

    /// The canonical fandom for a stated fandom, when the dictionary knows it.
    pub fn fandom(&self, raw: &str) -> Option<&str> {
        self.fandom_by_alias.get(&fold(raw)).map(|&i| self.fandoms[i].as_str())
    }

    fn fandom_id(&self, canonical: &str) -> Option<usize> {
        self.fandom_by_alias.get(&fold(canonical)).copied()
    }

    pub fn warning(&self, raw: &str) -> Option<&str> {
        self.warnings.get(&fold(raw)).map(String::as_str)
    }

    pub fn category(&self, raw: &str) -> Option<&str> {
        self.categories.get(&fold(raw)).map(String::as_str)
    }

    /// The canonical character for a stated name, looked up first in the work's fandoms (by
    /// alias, then as a FanFiction.Net abbreviation such as `Harry P.`), then, for a work that
    /// states no fandom at all, across the whole dictionary when only one character answers to
    /// the name. (A work in a fandom the dictionary does not know is not searched across
    /// fandoms: its `Crowley` is not Supernatural's.) Returns the name and the
    /// canonical fandoms it belongs to (those of the work when it is in any of them).
    pub fn character(&self, raw: &str, work_fandoms: &[&str]) -> Option<(&str, Vec<&str>)> {
        let key = fold(raw);
        let fandom_ids: Vec<usize> = work_fandoms.iter().filter_map(|f| self.fandom_id(f)).collect();
        let mut found = None;
        for &fandom in &fandom_ids {
            if let Some(Target::One(id)) = self.in_fandom.get(&(fandom, key.clone())) {
                found = Some(*id);
                break;
            }
        }
        if found.is_none() {
            found = fandom_ids.iter().find_map(|&f| self.abbreviation(f, &key));
        }
        if found.is_none()
            && work_fandoms.is_empty()
            && let Some(Target::One(id)) = self.anywhere.get(&key)
        {
            found = Some(*id);
        }
        let id = found?;
        let (name, fandoms) = &self.characters[id];
        let in_work: Vec<usize> = fandoms.iter().copied().filter(|f| fandom_ids.contains(f)).collect();
        let parents = if in_work.is_empty() { fandoms.clone() } else { in_work };
        Some((name.as_str(), parents.into_iter().map(|f| self.fandoms[f].as_str()).collect()))
    }

    /// `harry p` (folded `Harry P.`): a first name and a surname initial, matched against the
    /// fandom's canonical names; only an unambiguous match counts.
    fn abbreviation(&self, fandom: usize, key: &str) -> Option<usize> {
        let (first, initial) = key.rsplit_once(' ')?;
        if initial.chars().count() != 1 || first.is_empty() {
            return None;
        }
        let mut matches = self.characters.iter().enumerate().filter(|(_, (name, fandoms))| {
            if !fandoms.contains(&fandom) {
                return false;
            }
            let name = fold(name);
            let mut words = name.split(' ');
            let Some(last) = name.rsplit(' ').next() else { return false };
            words.next() == Some(first) && name != first && last.starts_with(initial)
        });
        let (id, _) = matches.next()?;
        matches.next().is_none().then_some(id)
    }
}

fn add_target(target: &mut Target, id: usize) {
    if *target != Target::One(id) {
        *target = Target::Ambiguous;
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_shipped_dictionary_reads_without_error() {
        let dict = Dictionary::parse(STARTER).expect("starter dictionary");
        assert!(dict.fandoms.len() >= 12, "{} fandoms", dict.fandoms.len());
        assert!(dict.characters.len() >= 150, "{} characters", dict.characters.len());
    }

    #[test]
    fn errors_name_the_line() {
        let err = Dictionary::parse("fandom A\n\ncolour Blue").unwrap_err();
        assert_eq!(err.line, 3);
        assert!(err.message.contains("colour"));
        assert_eq!(Dictionary::parse("character Orphan").unwrap_err().line, 1);
    }

    #[test]
    fn nicknames_resolve_inside_and_outside_the_fandom() {
        let dict = Dictionary::starter();
        let btvs = ["Buffy the Vampire Slayer"];
        assert_eq!(dict.character("Dru", &btvs), Some(("Drusilla", vec!["Buffy the Vampire Slayer"])));
        assert_eq!(dict.character("Giles", &[]).map(|c| c.0), Some("Rupert Giles"));
        // "Molly" is a character in Harry Potter and in Sherlock: only the fandom decides.
        assert_eq!(dict.character("Molly", &[]), None);
        assert_eq!(dict.character("Molly", &["Sherlock (TV)"]).map(|c| c.0), Some("Molly Hooper"));
        assert_eq!(dict.character("molly", &["Harry Potter - J. K. Rowling"]).map(|c| c.0), Some("Molly Weasley"));
    }

    #[test]
    fn abbreviated_names_resolve_within_the_fandom() {
        let dict = Dictionary::starter();
        let hp = ["Harry Potter - J. K. Rowling"];
        assert_eq!(dict.character("Harry P.", &hp).map(|c| c.0), Some("Harry Potter"));
        assert_eq!(dict.character("Luna L.", &hp).map(|c| c.0), Some("Luna Lovegood"));
        // Nothing in the fandom answers to "Zed Q.".
        assert_eq!(dict.character("Zed Q.", &hp), None);
    }

    #[test]
    fn a_character_in_two_fandoms_takes_the_work_fandom_as_parent() {
        let dict = Dictionary::starter();
        assert_eq!(dict.character("Angelus", &["Angel: the Series"]), Some(("Angel", vec!["Angel: the Series"])));
        let (_, parents) = dict.character("Angelus", &[]).unwrap();
        // A fandom the dictionary does not know keeps its own characters.
        assert_eq!(dict.character("Crowley", &["Good Omens (TV)"]), None);
        assert_eq!(parents, vec!["Buffy the Vampire Slayer", "Angel: the Series"]);
    }

    #[test]
    fn fandoms_warnings_and_categories() {
        let dict = Dictionary::starter();
        assert_eq!(dict.fandom("btvs"), Some("Buffy the Vampire Slayer"));
        assert_eq!(dict.fandom("Harry Potter"), Some("Harry Potter - J. K. Rowling"));
        assert_eq!(dict.fandom("Some Unknown Show"), None);
        assert_eq!(dict.warning("character death"), Some("Major Character Death"));
        assert_eq!(dict.category("slash"), Some("M/M"));
    }
}
