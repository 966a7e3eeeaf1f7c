//! The OPDS catalog as an e-reader app sees it: `web-tests/opds.mjs` reads every feed of
//! `ficarchive demo` with Readium's OPDS client library (r2-opds-js) and follows the links from
//! the root down to the books; every EPUB it downloads must then pass epubcheck.

mod common;

use common::{Demo, repo, require, web_tests};
use std::process::Command;

#[test]
fn an_opds_client_walks_from_the_root_to_valid_books() {
    require("java", &["-version"], "runs epubcheck");
    let tests = web_tests();
    let (demo, url) = Demo::start();
    let out = repo().join("target/opds-downloads");
    let _ = std::fs::remove_dir_all(&out);
    let output = Command::new("node").arg(tests.join("opds.mjs")).arg(&url).arg(&out).output().expect("node runs");
    print!("{}", String::from_utf8_lossy(&output.stdout));
    eprint!("{}", String::from_utf8_lossy(&output.stderr));
    drop(demo);
    assert!(output.status.success(), "the OPDS walk failed (see above)");
    let summary = String::from_utf8_lossy(&output.stdout);
    assert!(summary.contains("6 distinct works"), "every demo work is reachable from the root: {summary}");

    let mut books: Vec<_> = std::fs::read_dir(&out).unwrap().map(|e| e.unwrap().path()).collect();
    books.sort();
    assert_eq!(books.len(), 6, "{books:?}");
    for book in books {
        ficarchive_testkit::assert_epubcheck_passes(&book);
    }
}
