//! Test support shared by the crates' test suites: a fresh archive on each database.
//!
//! PostgreSQL comes from `FICARCHIVE_TEST_POSTGRES_URL` (an admin URL; `.ci/run` sets it) or,
//! when that is unset, from `scripts/test-postgres`, which starts a private cluster in `/tmp`. A test that needs PostgreSQL and cannot get it fails with the reason: the suite
//! never skips a database silently.

use ficarchive_store::Location;
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

    pub async fn finish(self) {
        if let Some(db) = &self.pg_database {
            let mut conn = sqlx::AnyConnection::connect(&postgres_admin_url()).await.expect("connect to the test cluster");
            conn.execute(sqlx::AssertSqlSafe(format!("DROP DATABASE IF EXISTS {db} WITH (FORCE)"))).await.expect("drop test database");
        }
    }
}
