//! The web reader in real headless Chromium: `ficarchive demo` serves the example works, and
//! `web-tests/check.mjs` (playwright-core, axe-core, the Nu HTML checker) walks it. Screenshots
//! of every page type are saved in `target/web-screenshots`.
//!
//! Needs Node.js, Java and Debian's `chromium` (`.ci/run` installs Chromium); the npm packages
//! are installed here from `web-tests/package-lock.json` when missing.

use std::io::{BufRead, BufReader};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};

fn repo() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../..").canonicalize().unwrap()
}

/// Stops the server whatever happens in the test.
struct Server(Child);

impl Drop for Server {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

fn require(program: &str, args: &[&str], why: &str) {
    let ok = Command::new(program).args(args).stdout(Stdio::null()).stderr(Stdio::null()).status().is_ok_and(|s| s.success());
    assert!(ok, "`{program}` is needed for the browser tests ({why}); install it (Debian: see .ci/run) and run the tests again");
}

#[test]
fn the_demo_archive_passes_the_browser_accessibility_and_html_checks() {
    let chromium = std::env::var("CHROMIUM").unwrap_or_else(|_| "/usr/bin/chromium".into());
    require(&chromium, &["--version"], "the headless browser; Debian package `chromium`");
    require("node", &["--version"], "runs the checks");
    require("java", &["-version"], "runs the Nu HTML checker");
    let tests = repo().join("web-tests");
    if !tests.join("node_modules/playwright-core").exists() {
        let status =
            Command::new("npm").args(["ci", "--no-audit", "--no-fund", "--loglevel=error"]).current_dir(&tests).status().expect("npm runs");
        assert!(status.success(), "npm ci in web-tests failed");
    }

    let mut child = Command::new(env!("CARGO_BIN_EXE_ficarchive"))
        .args(["demo", "--addr", "127.0.0.1:0"])
        .stdout(Stdio::piped())
        .stderr(Stdio::inherit())
        .spawn()
        .expect("ficarchive demo starts");
    let stdout = child.stdout.take().unwrap();
    let server = Server(child);
    let mut url = None;
    for line in BufReader::new(stdout).lines() {
        let line = line.unwrap();
        if let Some(rest) = line.strip_prefix("serving ") {
            url = rest.split_whitespace().next().map(|u| u.trim_end_matches('/').to_string());
            break;
        }
    }
    let url = url.expect("the demo prints the address it serves");

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
