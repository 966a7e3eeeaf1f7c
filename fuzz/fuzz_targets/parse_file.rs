//! The whole parse path on arbitrary bytes, as each format: decode, extract, story pipeline,
//! record. The first byte picks the file name the bytes are read under.
#![no_main]

use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let Some((&pick, bytes)) = data.split_first() else { return };
    let path = match pick % 5 {
        0 | 4 => "story.txt",
        1 => "page.html",
        2 => "work.md",
        _ => "dir/metadata.yaml",
    };
    // One pick in five reads the bytes as a news post's subject and body, so that the mail
    // reader's subject, signature, quote and digest rules see more than their header test.
    let posted;
    let bytes = if pick % 5 == 4 {
        posted = [b"Newsgroups: alt.fuzz.creative\nFrom: fuzz@example.com (Fuzz)\nSubject: ".as_slice(), bytes].concat();
        posted.as_slice()
    } else {
        bytes
    };
    let inputs = [ficarchive_parse::Input::new(path, bytes), ficarchive_parse::Input::new("dir/chapter-2.txt", bytes)];
    let outcome = ficarchive_parse::parse_inputs(&inputs);
    for work in &outcome.works {
        let _ = ficarchive_model::record::to_json(work, true);
    }
});
