//! Running the binary as a user does, against a test archive.
#![allow(dead_code)]

use ficarchive_store::Location;
use serde_json::Value;
use std::path::PathBuf;
use std::process::Command;

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
