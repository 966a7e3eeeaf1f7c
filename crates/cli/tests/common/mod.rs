//! Running the binary as a user does, against a test archive, and `ficarchive demo` for the
//! Node.js checks in `web-tests/`.
#![allow(dead_code)]

use ficarchive_store::Location;
use serde_json::Value;
use std::io::{BufRead, BufReader};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};

pub fn fixtures() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../parse/tests/fixtures")
}

pub fn ficarchive(location: &Location, args: &[&str]) -> (bool, String, String) {
    let mut cmd = Command::new(env!("CARGO_BIN_EXE_ficarchive"));
    cmd.env_remove("FICARCHIVE_DATA").env_remove("FICARCHIVE_DATABASE_URL");
    match location {
        Location::Embedded(dir) => cmd.arg("--data").arg(dir),
        Location::Postgres(url) => cmd.arg("--database").arg(url),
    };
    let out = cmd.args(args).output().expect("run ficarchive");
    (out.status.success(), String::from_utf8_lossy(&out.stdout).into_owned(), String::from_utf8_lossy(&out.stderr).into_owned())
}

pub fn report(location: &Location, args: &[&str]) -> Value {
    let (ok, stdout, stderr) = ficarchive(location, args);
    assert!(ok, "ficarchive {args:?} failed: {stderr}");
    serde_json::from_str(&stdout).unwrap_or_else(|e| panic!("not JSON ({e}): {stdout}"))
}

pub fn repo() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../..").canonicalize().unwrap()
}

/// Fails the test with how to get `program` when it cannot run (a missing tool never skips a
/// check).
pub fn require(program: &str, args: &[&str], why: &str) {
    let ok = Command::new(program).args(args).stdout(Stdio::null()).stderr(Stdio::null()).status().is_ok_and(|s| s.success());
    assert!(ok, "`{program}` is needed for this test ({why}); install it (Debian: see .ci/run) and run the tests again");
}

/// `web-tests/`, with its npm packages installed from the lock file when missing. Install
/// scripts are not run: none of the packages needs one, and one (r2-opds-js) runs a cleanup
/// tool it does not depend on.
pub fn web_tests() -> PathBuf {
    require("node", &["--version"], "runs the checks in web-tests/");
    let tests = repo().join("web-tests");
    if !tests.join("node_modules/playwright-core").exists() || !tests.join("node_modules/r2-opds-js").exists() {
        let status = Command::new("npm")
            .args(["ci", "--ignore-scripts", "--no-audit", "--no-fund", "--loglevel=error"])
            .current_dir(&tests)
            .status()
            .expect("npm runs");
        assert!(status.success(), "npm ci in web-tests failed");
    }
    tests
}

/// A running `ficarchive demo`, stopped whatever happens in the test.
pub struct Demo(Child);

impl Demo {
    /// Starts the demo on a free port; returns it with its base URL (no trailing slash).
    pub fn start() -> (Demo, String) {
        let mut child = Command::new(env!("CARGO_BIN_EXE_ficarchive"))
            .args(["demo", "--addr", "127.0.0.1:0"])
            .stdout(Stdio::piped())
            .stderr(Stdio::inherit())
            .spawn()
            .expect("ficarchive demo starts");
        let stdout = child.stdout.take().unwrap();
        let demo = Demo(child);
        for line in BufReader::new(stdout).lines() {
            let line = line.unwrap();
            if let Some(rest) = line.strip_prefix("serving ") {
                let url = rest.split_whitespace().next().unwrap().trim_end_matches('/').to_string();
                return (demo, url);
            }
        }
        panic!("the demo did not print the address it serves");
    }
}

impl Drop for Demo {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}
