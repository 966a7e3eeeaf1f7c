//! Language names as works state them (`English`, `Русский`, `zh`) to BCP 47 tags, which
//! EPUB's `dc:language` and `xml:lang` require, and the writing direction of a language.

/// (tag, names a work may state, in lower case). AO3 states a language by its own name.
const LANGUAGES: &[(&str, &[&str])] = &[
    ("en", &["english", "en"]),
    ("es", &["español", "espanol", "spanish", "es"]),
    ("fr", &["français", "francais", "french", "fr"]),
    ("de", &["deutsch", "german", "de"]),
    ("it", &["italiano", "italian", "it"]),
    ("pt", &["português", "portugues", "portuguese", "pt", "português brasileiro", "pt-br"]),
    ("nl", &["nederlands", "dutch", "nl"]),
    ("pl", &["polski", "polish", "pl"]),
    ("ru", &["русский", "russian", "ru"]),
    ("uk", &["українська", "ukrainian", "uk"]),
    ("cs", &["čeština", "czech", "cs"]),
    ("sv", &["svenska", "swedish", "sv"]),
    ("da", &["dansk", "danish", "da"]),
    ("no", &["norsk", "norwegian", "no", "nb"]),
    ("fi", &["suomi", "finnish", "fi"]),
    ("hu", &["magyar", "hungarian", "hu"]),
    ("tr", &["türkçe", "turkish", "tr"]),
    ("el", &["ελληνικά", "greek", "el"]),
    ("zh", &["中文", "中文-普通话 國語", "chinese", "zh", "zh-cn", "zh-tw"]),
    ("ja", &["日本語", "japanese", "ja"]),
    ("ko", &["한국어", "korean", "ko"]),
    ("vi", &["tiếng việt", "vietnamese", "vi"]),
    ("id", &["bahasa indonesia", "indonesian", "id"]),
    ("ar", &["العربية", "arabic", "ar"]),
    ("he", &["עברית", "hebrew", "he"]),
    ("fa", &["فارسی", "persian", "farsi", "fa"]),
    ("ur", &["اردو", "urdu", "ur"]),
    ("la", &["latina", "latin", "la"]),
];

/// The BCP 47 tag for a stated language; `und` (undetermined) for a name we do not know.
/// A work that states no language is taken as English: nearly every such file in rescued
/// archives is, and reading systems use the language for hyphenation and dictionaries, which
/// `und` would turn off.
pub fn tag(stated: Option<&str>) -> &'static str {
    let Some(stated) = stated else { return "en" };
    let folded = stated.trim().to_lowercase();
    LANGUAGES.iter().find(|(_, names)| names.contains(&folded.as_str())).map_or("und", |(tag, _)| tag)
}

/// Whether text in this language runs right to left.
pub fn is_right_to_left(tag: &str) -> bool {
    matches!(tag, "ar" | "he" | "fa" | "ur" | "yi")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn stated_names_map_to_tags() {
        assert_eq!(tag(Some("English")), "en");
        assert_eq!(tag(Some(" Русский ")), "ru");
        assert_eq!(tag(Some("中文")), "zh");
        assert_eq!(tag(Some("Klingon")), "und");
        assert_eq!(tag(None), "en");
        assert!(is_right_to_left(tag(Some("עברית"))));
        assert!(!is_right_to_left("en"));
    }
}
