//! The web reader in real headless Chromium: `ficarchive demo` serves the example works, and
//! `web-tests/check.mjs` (playwright-core, axe-core, the Nu HTML checker) walks it. Screenshots
//! of every page type are saved in `target/web-screenshots`.
//!
//! Needs Node.js, Java and Debian's `chromium` (`.ci/run` installs Chromium); the npm packages
//! are installed here from `web-tests/package-lock.json` when missing.

mod common;

use common::{Demo, repo, require, web_tests};
use std::process::Command;

#[test]
fn the_demo_archive_passes_the_browser_accessibility_and_html_checks() {
    let chromium = std::env::var("CHROMIUM").unwrap_or_else(|_| "/usr/bin/chromium".into());
    require(&chromium, &["--version"], "the headless browser; Debian package `chromium`");
    require("java", &["-version"], "runs the Nu HTML checker");
    let tests = web_tests();
    let (server, url) = Demo::start();
    let artifacts = repo().join("target/web-screenshots");
    let output =
        Command::new("node").arg(tests.join("check.mjs")).arg(&url).arg(&artifacts).env("CHROMIUM", &chromium).output().expect("node runs");
    print!("{}", String::from_utf8_lossy(&output.stdout));
    eprint!("{}", String::from_utf8_lossy(&output.stderr));
    drop(server);
    assert!(output.status.success(), "browser checks failed (see above)");
    for page in ["home", "work", "chapter", "entire-work", "search", "series", "author", "tag", "preferences", "not-found"] {
        assert!(artifacts.join(format!("{page}.png")).exists(), "no screenshot of the {page} page");
    }
}
