//! An import killed with SIGKILL at an arbitrary moment leaves a consistent archive, and the
//! same command run again finishes the job: every work stored once, the index complete.

mod common;
use common::{ficarchive, report};
use ficarchive_store::Location;
use ficarchive_testkit::TestArchive;
use std::process::{Command, Stdio};
use std::time::Duration;

const WORKS: usize = 150;

#[tokio::test]
async fn an_import_killed_midway_is_finished_by_running_it_again() {
    let corpus = tempfile::tempdir().unwrap();
    let corpus_dir = corpus.path().join("corpus");
    let scratch = Location::Embedded(corpus.path().join("unused"));
    let (ok, _, err) = ficarchive(&scratch, &["generate", "--works", &WORKS.to_string(), "--seed", "3", corpus_dir.to_str().unwrap()]);
    assert!(ok, "{err}");
    for t in TestArchive::both().await {
        let n = t.name;
        let mut cmd = Command::new(env!("CARGO_BIN_EXE_ficarchive"));
        cmd.env_remove("FICARCHIVE_DATA").env_remove("FICARCHIVE_DATABASE_URL");
        match &t.location {
            Location::Embedded(dir) => cmd.arg("--data").arg(dir),
            Location::Postgres(url) => cmd.arg("--database").arg(url),
        };
        let mut child = cmd.args(["import", "--json"]).arg(&corpus_dir).stdout(Stdio::null()).stderr(Stdio::null()).spawn().unwrap();
        std::thread::sleep(Duration::from_millis(1500));
        assert!(child.try_wait().unwrap().is_none(), "{n}: the import finished before it could be interrupted; raise WORKS");
        child.kill().unwrap(); // SIGKILL
        child.wait().unwrap();

        let (_, out, err) = ficarchive(&t.location, &["check"]);
        assert!(out.contains("database: ok"), "{n}: the killed import left a damaged database: {out} {err}");
        let done = report(&t.location, &["stats", "--json"])["works"].as_u64().unwrap();
        assert!(done < WORKS as u64, "{n}: {done} works stored before the kill");

        let second = report(&t.location, &["import", "--json", corpus_dir.to_str().unwrap()]);
        assert!(second["failed"].as_array().unwrap().is_empty(), "{n}: {second}");
        let stats = report(&t.location, &["stats", "--json"]);
        assert_eq!(stats["works"].as_u64(), Some(WORKS as u64), "{n}: every work once: {second}");
        let (ok, out, _) = ficarchive(&t.location, &["check"]);
        assert!(ok && out.contains(&format!("({WORKS} of {WORKS} works")), "{n}: {out}");
        let everything = report(&t.location, &["search", "--json", "--per-page", "1"]);
        assert_eq!(everything["total"].as_u64(), Some(WORKS as u64), "{n}");
        t.finish().await;
    }
}
