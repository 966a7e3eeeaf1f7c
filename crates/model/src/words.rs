//! Word counting, one rule for the whole project.
//!
//! A word is a run of non-space characters holding at least one letter or digit; every Han,
//! kana or Hangul character counts as a word of its own (the convention AO3 uses for
//! Chinese, Japanese and Korean, which are written without spaces).

pub fn count(text: &str) -> u64 {
    if text.is_ascii() {
        // Fast path for the common case: bytes are chars.
        count_by(text.bytes().map(char::from))
    } else {
        count_by(text.chars())
    }
}

fn count_by(chars: impl Iterator<Item = char>) -> u64 {
    let mut words = 0u64;
    let mut in_word = false;
    let mut word_has_alnum = false;
    for c in chars {
        let cjk = is_cjk(c);
        if cjk || c.is_whitespace() {
            if in_word && word_has_alnum {
                words += 1;
            }
            in_word = false;
            word_has_alnum = false;
            words += u64::from(cjk);
        } else {
            in_word = true;
            word_has_alnum |= c.is_alphanumeric();
        }
    }
    if in_word && word_has_alnum {
        words += 1;
    }
    words
}

fn is_cjk(c: char) -> bool {
    matches!(c as u32,
        0x3040..=0x30FF   // Hiragana, Katakana
        | 0x3400..=0x4DBF // CJK Extension A
        | 0x4E00..=0x9FFF // CJK Unified Ideographs
        | 0xAC00..=0xD7AF // Hangul syllables
        | 0xF900..=0xFAFF // CJK Compatibility Ideographs
        | 0x20000..=0x2FA1F)
}

#[cfg(test)]
mod tests {
    use super::count;

    #[test]
    fn counts_words_like_a_reader() {
        assert_eq!(count("The cat sat."), 3);
        assert_eq!(count("  two\n\nwords "), 2);
        assert_eq!(count("* * * --- ~ ~ ~"), 0);
        assert_eq!(count("don't stop-gap"), 2);
        assert_eq!(count("Ça va très bien"), 4);
        assert_eq!(count("照顾你 ok"), 4);
        assert_eq!(count(""), 0);
    }
}
