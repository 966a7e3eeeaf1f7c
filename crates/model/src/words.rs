//! Word counting, one rule for the whole project.
//!
//! A word is a run of non-space characters holding at least one letter or digit; every Han,
//! kana or Hangul character counts as a word of its own (the convention AO3 uses for
//! Chinese, Japanese and Korean, which are written without spaces).

pub fn count(text: &str) -> u64 {
    // ASCII eight bytes at a time, by table and without branches (most of any story, even one
    // with curly quotes and dashes); anything else decoded as a char. Import counts every
    // chapter's words, and a branch per byte made this a tenth of reading and parsing.
    let bytes = text.as_bytes();
    let mut words = 0u64;
    // Whether the run of non-space characters being read holds a letter or digit yet: only
    // such a run is a word.
    let mut in_word = false;
    let mut i = 0;
    while i < bytes.len() {
        if let Some(chunk) = bytes.get(i..i + 8)
            && let Ok(eight) = <[u8; 8]>::try_from(chunk)
            && u64::from_le_bytes(eight) & 0x8080_8080_8080_8080 == 0
        {
            for b in eight {
                step(ASCII_CLASS[usize::from(b)], &mut in_word, &mut words);
            }
            i += 8;
            continue;
        }
        let b = bytes[i];
        let class = if b < 0x80 {
            i += 1;
            ASCII_CLASS[usize::from(b)]
        } else {
            let c = text[i..].chars().next().unwrap_or(' ');
            i += c.len_utf8();
            if is_cjk(c) {
                // Ends the word before it, and is a word of its own.
                words += u64::from(in_word) + 1;
                in_word = false;
                continue;
            }
            if c.is_whitespace() {
                SPACE
            } else if c.is_alphanumeric() {
                ALNUM
            } else {
                OTHER
            }
        };
        step(class, &mut in_word, &mut words);
    }
    words + u64::from(in_word)
}

/// One character of class `class`: a space ends a word; a letter or digit makes the run a
/// word; anything else leaves it as it is.
#[inline(always)]
fn step(class: u8, in_word: &mut bool, words: &mut u64) {
    let space = class == SPACE;
    *words += u64::from(space & *in_word);
    *in_word = (class == ALNUM) | (*in_word & !space);
}

const OTHER: u8 = 0;
const SPACE: u8 = 1;
const ALNUM: u8 = 2;

/// Each ASCII byte's class, as `char::is_whitespace` and `char::is_alphanumeric` say.
const ASCII_CLASS: [u8; 128] = {
    let mut table = [OTHER; 128];
    let mut b = 0;
    while b < 128 {
        table[b] = match b as u8 {
            b'\t'..=b'\r' | b' ' => SPACE,
            b'0'..=b'9' | b'a'..=b'z' | b'A'..=b'Z' => ALNUM,
            _ => OTHER,
        };
        b += 1;
    }
    table
};

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
    use super::{count, is_cjk};
    use proptest::prelude::*;

    /// The rule written plainly, char by char: the fast count must agree with it.
    fn reference(text: &str) -> u64 {
        let mut words = 0u64;
        let mut in_word = false;
        let mut word_has_alnum = false;
        for c in text.chars() {
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
        words + u64::from(in_word && word_has_alnum)
    }

    proptest! {
        #[test]
        fn the_fast_count_follows_the_rule(text in "[ -~\t\n\r\u{0b}\u{0c}\u{85}\u{a0}\u{2014}\u{201c}\u{201d}éß照顾ひカ한\u{3000}\u{2028}]{0,60}") {
            prop_assert_eq!(count(&text), reference(&text));
        }

        /// Mostly ASCII, long enough that runs of eight plain bytes (counted together) meet
        /// words, spaces and other characters on either side.
        #[test]
        fn runs_of_plain_bytes_follow_the_rule(text in "([a-z0-9 .,'\n-]{1,20}[\u{a0}é照\u{3000}—]?){0,20}") {
            prop_assert_eq!(count(&text), reference(&text));
        }

        #[test]
        fn any_text_is_counted_by_the_rule(text in any::<String>()) {
            prop_assert_eq!(count(&text), reference(&text));
        }
    }

    #[test]
    fn every_ascii_byte_is_classed_as_char_says() {
        for b in 0u8..128 {
            let text = format!("a{}b", b as char);
            assert_eq!(count(&text), reference(&text), "byte {b:#x}");
        }
    }

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
