//! Test support shared by the crates' test suites: a fresh archive on each database.
//!
//! PostgreSQL comes from `FICARCHIVE_TEST_POSTGRES_URL` (an admin URL; `.ci/run` sets it) or,
//! when that is unset, from `scripts/test-postgres`, which starts a private cluster in `/tmp`. A test that needs PostgreSQL and cannot get it fails with the reason: the suite
//! never skips a database silently.

use ficarchive_parse::{Input, parse_inputs, sha256_hex};
use ficarchive_store::{Archive, Location, SourceFile, Stored};
use sqlx::{Connection, Executor};
use std::path::PathBuf;
use std::sync::OnceLock;
use std::sync::atomic::{AtomicUsize, Ordering};

/// The admin URL of the test cluster, started on first use.
pub fn postgres_admin_url() -> String {
    static URL: OnceLock<String> = OnceLock::new();
    URL.get_or_init(|| {
        if let Ok(url) = std::env::var("FICARCHIVE_TEST_POSTGRES_URL") {
            return url;
        }
        let script = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../scripts/test-postgres");
        let out = std::process::Command::new(&script).output().unwrap_or_else(|e| panic!("cannot run {}: {e}", script.display()));
        assert!(out.status.success(), "scripts/test-postgres failed: {}", String::from_utf8_lossy(&out.stderr));
        String::from_utf8_lossy(&out.stdout).trim().to_string()
    })
    .clone()
}

/// One throw-away archive. Dropping it removes the SQLite directory; call [`TestArchive::finish`]
/// to drop a PostgreSQL database.
pub struct TestArchive {
    pub location: Location,
    pub name: &'static str,
    _dir: Option<tempfile::TempDir>,
    pg_database: Option<String>,
}

impl TestArchive {
    pub fn sqlite() -> TestArchive {
        let dir = tempfile::tempdir().expect("temp dir");
        TestArchive { location: Location::Embedded(dir.path().join("data")), name: "sqlite", _dir: Some(dir), pg_database: None }
    }

    pub async fn postgres() -> TestArchive {
        static COUNTER: AtomicUsize = AtomicUsize::new(0);
        sqlx::any::install_default_drivers();
        let admin = postgres_admin_url();
        let db = format!("ficarchive_test_{}_{}", std::process::id(), COUNTER.fetch_add(1, Ordering::SeqCst));
        let mut conn = sqlx::AnyConnection::connect(&admin).await.expect("connect to the test PostgreSQL cluster");
        conn.execute(sqlx::AssertSqlSafe(format!("DROP DATABASE IF EXISTS {db}"))).await.expect("drop old test database");
        conn.execute(sqlx::AssertSqlSafe(format!("CREATE DATABASE {db}"))).await.expect("create test database");
        let base = admin.rsplit_once('/').map_or(admin.as_str(), |(b, _)| b);
        TestArchive { location: Location::Postgres(format!("{base}/{db}")), name: "postgres", _dir: None, pg_database: Some(db) }
    }

    /// Both kinds, SQLite first.
    pub async fn both() -> [TestArchive; 2] {
        [TestArchive::sqlite(), TestArchive::postgres().await]
    }

    /// A plain SQL connection to the archive's database, for a test that sets up rows no
    /// public call writes any more (rows in the form an older version of the schema kept).
    pub async fn raw_connection(&self) -> sqlx::AnyConnection {
        sqlx::any::install_default_drivers();
        let url = match &self.location {
            Location::Embedded(dir) => format!("sqlite://{}", ficarchive_store::database_file(dir).display()),
            Location::Postgres(url) => url.clone(),
        };
        sqlx::AnyConnection::connect(&url).await.expect("connect to the test archive's database")
    }

    pub async fn finish(self) {
        if let Some(db) = &self.pg_database {
            let mut conn = sqlx::AnyConnection::connect(&postgres_admin_url()).await.expect("connect to the test cluster");
            conn.execute(sqlx::AssertSqlSafe(format!("DROP DATABASE IF EXISTS {db} WITH (FORCE)"))).await.expect("drop test database");
        }
    }
}

/// The example works shipped in `examples/` (the demo archive), as (relative path, bytes),
/// sorted by path.
pub fn example_files() -> Vec<(String, Vec<u8>)> {
    let dir = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../examples");
    let mut out = Vec::new();
    let mut stack = vec![dir.clone()];
    while let Some(d) = stack.pop() {
        for entry in std::fs::read_dir(&d).expect("read examples/") {
            let path = entry.expect("examples/ entry").path();
            if path.is_dir() {
                stack.push(path);
            } else {
                let name = path.strip_prefix(&dir).expect("under examples/").display().to_string();
                out.push((name, std::fs::read(&path).expect("read an example")));
            }
        }
    }
    out.sort();
    out
}

/// Parses files as one import batch and stores every work as new, the way `ficarchive
/// import` does; returns the stored work ids in the order parsed. Panics (failing the test)
/// when a file does not parse or a work is not new.
pub async fn import_files(archive: &Archive, files: &[(String, Vec<u8>)]) -> Vec<i64> {
    let inputs: Vec<Input<'_>> = files.iter().map(|(path, bytes)| Input::new(path, bytes)).collect();
    let outcome = parse_inputs(&inputs);
    assert!(outcome.errors.is_empty(), "{:?}", outcome.errors);
    let run = archive.begin_run(&[]).await.expect("begin run");
    let mut ids = Vec::new();
    for work in &outcome.works {
        let sources: Vec<(String, String, Vec<u8>)> = work
            .source
            .paths
            .iter()
            .map(|p| {
                let bytes = files.iter().find(|(path, _)| path == p).expect("a source of the work").1.clone();
                (p.clone(), sha256_hex(&bytes), bytes)
            })
            .collect();
        let sources: Vec<SourceFile<'_>> = sources.iter().map(|(path, sha256, bytes)| SourceFile::new(path, sha256, bytes)).collect();
        match archive.store_work(run, work, &sources, false).await.expect("store a work") {
            Stored::New(id) => ids.push(id),
            other => panic!("{} was not stored as new: {other:?}", work.display_title()),
        }
    }
    ids
}

/// Runs epubcheck (`FICARCHIVE_EPUBCHECK_JAR`, else Debian's jar) on a book and fails the test
/// unless it reports zero errors and zero warnings. A missing Java or epubcheck fails too:
/// `.ci/run` installs both, and the check is never skipped.
pub fn assert_epubcheck_passes(book: &std::path::Path) {
    let jar = std::env::var("FICARCHIVE_EPUBCHECK_JAR").unwrap_or_else(|_| "/usr/share/java/epubcheck.jar".into());
    let out = std::process::Command::new("java")
        .args(["-jar", &jar, "--failonwarnings"])
        .arg(book)
        .output()
        .unwrap_or_else(|e| panic!("cannot run epubcheck with java (installed by .ci/run): {e}"));
    let report = format!("{}{}", String::from_utf8_lossy(&out.stdout), String::from_utf8_lossy(&out.stderr));
    assert!(out.status.success() && report.contains("No errors or warnings detected"), "{}:\n{report}", book.display());
}
