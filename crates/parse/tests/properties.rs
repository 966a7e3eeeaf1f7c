//! Properties of the plain-text path: no paragraph of story text is lost, and words in equal
//! words out, for prose with no header, chapter or note markers.

use ficarchive_gen::{Rng, paragraph};
use proptest::prelude::*;

proptest! {
    #![proptest_config(ProptestConfig::with_cases(64))]

    #[test]
    fn plain_prose_keeps_every_paragraph_and_word(seed in any::<u64>(), n in 1usize..40, crlf: bool) {
        let mut rng = Rng::new(seed);
        let paras: Vec<String> = (0..n).map(|_| paragraph(&mut rng)).collect();
        let sep = if crlf { "\r\n\r\n" } else { "\n\n" };
        let text = paras.join(sep);
        let work = ficarchive_parse::parse_file("story.txt", text.as_bytes()).unwrap();
        let out: String = work.chapters.iter().map(|c| c.body.plain_text()).collect::<Vec<_>>().join("\n\n");
        for p in &paras {
            prop_assert!(out.contains(p.as_str()), "lost paragraph {p:?}");
        }
        prop_assert_eq!(work.words(), ficarchive_model::words::count(&text));
    }

    #[test]
    fn arbitrary_text_never_panics(s in "\\PC{0,400}") {
        let _ = ficarchive_parse::parse_file("any.txt", s.as_bytes());
        let _ = ficarchive_parse::parse_file("any.html", s.as_bytes());
        let _ = ficarchive_parse::parse_file("any.md", s.as_bytes());
    }
}
