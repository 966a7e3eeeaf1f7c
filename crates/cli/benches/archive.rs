//! The archive bench: import and search end to end over a generated archive, and SQLite FTS5
//! answering the same queries over the same texts.
//!
//! Run: `cargo bench -p ficarchive --bench archive` (10,000 works), or
//! `FICARCHIVE_BENCH_WORKS=10000,100000 cargo bench -p ficarchive --bench archive`.
//! Generated files are kept in `target/bench-corpus/WORKS-SEED` and reused.
//! `FICARCHIVE_BENCH_ARCHIVE=DIR` searches an archive already imported from that corpus
//! instead of importing it again (one size at a time).
//!
//! For each size it prints: import MB/s and works/s (the release binary, as a user runs it,
//! with its peak memory); the rate of building the search index alone from the stored works
//! (`reindex`), which bounds the import's; database and index size; search latency p50 and p99 per query class
//! (free text, phrase, filtered, faceted, sorted), measured in a child process that only
//! serves searches, with that process's peak memory; the same searches again in a process
//! held to 300 MB by a memory cgroup (when this machine lets the bench make one); and FTS5's
//! latency for the same classes (`FICARCHIVE_BENCH_FTS5=0` leaves FTS5 out,
//! `FICARCHIVE_BENCH_FTS5_QUERIES=N` times only the first N queries of each class).

use ficarchive_query::{Filters, Query, SearchRequest, SortKey, TagFilter, parse_query};
use ficarchive_search::Searcher;
use ficarchive_store::{Archive, Location, TagKind};
use sqlx::{Connection, Executor, Row};
use std::path::{Path, PathBuf};
use std::process::Command;
use std::time::Instant;

const SEED: u64 = 42;
const QUERIES_PER_CLASS: usize = 200;

#[derive(serde::Serialize, serde::Deserialize, Clone)]
struct BenchQuery {
    class: String,
    text: String,
    fandom: Option<String>,
    exclude_rating: Option<String>,
    sort: Option<String>,
}

fn main() {
    let runtime = tokio::runtime::Builder::new_multi_thread().enable_all().build().expect("runtime");
    if std::env::var("FICARCHIVE_BENCH_ROLE").as_deref() == Ok("search") {
        runtime.block_on(search_role());
        return;
    }
    if std::env::args().any(|a| a == "--list") {
        return;
    }
    let sizes = std::env::var("FICARCHIVE_BENCH_WORKS").unwrap_or_else(|_| "10000".into());
    for works in sizes.split(',').filter_map(|s| s.trim().parse::<usize>().ok()) {
        runtime.block_on(bench_size(works));
    }
}

fn target_dir() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../target")
}

fn dir_size(path: &Path) -> u64 {
    walk(path).iter().filter_map(|p| std::fs::metadata(p).ok()).map(|m| m.len()).sum()
}

fn walk(path: &Path) -> Vec<PathBuf> {
    let mut out = Vec::new();
    let mut stack = vec![path.to_path_buf()];
    while let Some(p) = stack.pop() {
        match std::fs::read_dir(&p) {
            Ok(entries) => stack.extend(entries.flatten().map(|e| e.path())),
            Err(_) => out.push(p),
        }
    }
    out
}

fn mb(bytes: u64) -> f64 {
    bytes as f64 / 1_048_576.0
}

/// Peak resident memory of the largest finished child, in MB.
fn children_peak_mb() -> f64 {
    let mut usage: libc::rusage = unsafe { std::mem::zeroed() };
    // SAFETY: getrusage writes into the struct we own.
    unsafe { libc::getrusage(libc::RUSAGE_CHILDREN, &mut usage) };
    usage.ru_maxrss as f64 / 1024.0
}

/// A `/proc/self/status` value (kB) in MB: `VmHWM` (peak resident), `RssAnon` (heap and
/// stacks), `RssFile` (pages of mapped files, here the index, which the kernel may drop).
fn own_status_mb(key: &str) -> f64 {
    let status = std::fs::read_to_string("/proc/self/status").unwrap_or_default();
    status
        .lines()
        .find(|l| l.starts_with(key))
        .and_then(|l| l.split_whitespace().nth(1))
        .and_then(|kb| kb.parse::<f64>().ok())
        .map_or(0.0, |kb| kb / 1024.0)
}

async fn bench_size(works: usize) {
    let binary = env!("CARGO_BIN_EXE_ficarchive");
    let corpus = target_dir().join(format!("bench-corpus/{works}-{SEED}"));
    if !corpus.join(".complete").exists() {
        let started = Instant::now();
        let status = Command::new(binary)
            .args(["generate", "--works", &works.to_string(), "--seed", &SEED.to_string()])
            .arg(&corpus)
            .status()
            .expect("generate");
        assert!(status.success());
        std::fs::write(corpus.join(".complete"), b"").unwrap();
        eprintln!("generated {works} works in {:.1} s", started.elapsed().as_secs_f64());
    }
    let input_bytes = dir_size(&corpus);
    let data = tempfile::tempdir_in(target_dir()).expect("temp dir");
    println!("== {works} works: {:.0} MB of raw files ==", mb(input_bytes));
    // FICARCHIVE_BENCH_ARCHIVE names the data folder of an archive already imported from this
    // corpus (the web bench keeps one in target/bench-archive/WORKS-SEED/data): the search
    // half then runs without another import, which takes about an hour at 100,000 works.
    let data_dir = match std::env::var_os("FICARCHIVE_BENCH_ARCHIVE") {
        Some(dir) => {
            println!("import: skipped (the archive in {} is used)", PathBuf::from(&dir).display());
            PathBuf::from(dir)
        }
        None => {
            let data_dir = data.path().join("data");
            let started = Instant::now();
            let out = Command::new(binary).arg("--data").arg(&data_dir).args(["import", "--json"]).arg(&corpus).output().expect("import");
            let seconds = started.elapsed().as_secs_f64();
            assert!(out.status.success(), "import failed: {}", String::from_utf8_lossy(&out.stderr));
            let report: serde_json::Value = serde_json::from_slice(&out.stdout).expect("import report");
            let import_peak = children_peak_mb();
            println!(
                "import (end to end, release binary): {seconds:.1} s, {:.1} MB/s, {:.0} works/s; new {} · failed {} · peak memory {import_peak:.0} MB",
                mb(input_bytes) / seconds,
                works as f64 / seconds,
                report["new"],
                report["failed"].as_array().map_or(0, Vec::len)
            );
            // The index alone, rebuilt from the stored works: the part of an import no other
            // change to the pipeline can speed up, so the ceiling of the import's rate here.
            let started = Instant::now();
            let out = Command::new(binary).arg("--data").arg(&data_dir).arg("reindex").output().expect("reindex");
            let seconds = started.elapsed().as_secs_f64();
            assert!(out.status.success(), "reindex failed: {}", String::from_utf8_lossy(&out.stderr));
            println!("index only (reindex from the stored works): {seconds:.1} s, {:.1} MB/s of raw files", mb(input_bytes) / seconds);
            data_dir
        }
    };
    let db_size = std::fs::metadata(data_dir.join("archive.sqlite3")).map_or(0, |m| m.len());
    let index_size = dir_size(&data_dir.join("index"));
    println!("size: database {:.0} MB (sources compressed inside), index {:.0} MB", mb(db_size), mb(index_size));

    let queries = query_set(&data_dir).await;
    let query_file = data.path().join("queries.json");
    std::fs::write(&query_file, serde_json::to_vec(&queries).unwrap()).unwrap();
    let search_child = |command: &mut Command| {
        let out = command
            .env("FICARCHIVE_BENCH_ROLE", "search")
            .env("FICARCHIVE_BENCH_DATA", &data_dir)
            .env("FICARCHIVE_BENCH_QUERIES", &query_file)
            .output()
            .expect("search child");
        assert!(out.status.success(), "search child failed: {}", String::from_utf8_lossy(&out.stderr));
        print!("{}", String::from_utf8_lossy(&out.stdout));
    };
    search_child(&mut Command::new(std::env::current_exe().unwrap()));
    search_with_capped_memory(&data_dir, search_child);

    if std::env::var("FICARCHIVE_BENCH_FTS5").as_deref() == Ok("0") {
        println!("FTS5: skipped (FICARCHIVE_BENCH_FTS5=0)");
    } else {
        // FICARCHIVE_BENCH_FTS5_DB keeps the FTS5 database in that file, and reuses it when it
        // is already there (it takes ten minutes to build at 100,000 works).
        let fts_file = std::env::var_os("FICARCHIVE_BENCH_FTS5_DB").map_or_else(|| data.path().join("fts5.sqlite3"), PathBuf::from);
        fts5(&data_dir, &fts_file, &queries).await;
    }
}

/// The memory a search process is held to in the capped run, in MB.
const MEMORY_CAP_MB: u64 = 300;

/// Runs the search child again inside a memory cgroup capped at [`MEMORY_CAP_MB`], with the
/// archive's pages first evicted from the page cache, so every page it reads (heap, index,
/// database) is charged to it.
///
/// Why: the uncapped run's peak resident size counts the index pages it has mapped, which
/// the kernel drops when memory is short; a cap shows what a small machine needs: whether
/// the searches still run, and how fast, when all they may hold is the cap. Needs a writable
/// cgroup memory controller (v1 or v2, as root); otherwise the run is skipped, and says so.
fn search_with_capped_memory(data_dir: &Path, run: impl Fn(&mut Command)) {
    let cgroup =
        [("/sys/fs/cgroup/memory", "memory.limit_in_bytes", "memory.max_usage_in_bytes"), ("/sys/fs/cgroup", "memory.max", "memory.peak")]
            .into_iter()
            .map(|(root, limit, peak)| (Path::new(root).join(format!("ficarchive-bench-{}", std::process::id())), limit, peak))
            .find(|(dir, limit, _)| {
                std::fs::create_dir(dir).is_ok() && {
                    let ok = std::fs::write(dir.join(limit), format!("{}", MEMORY_CAP_MB << 20)).is_ok();
                    if !ok {
                        let _ = std::fs::remove_dir(dir);
                    }
                    ok
                }
            });
    let Some((dir, _, peak)) = cgroup else {
        println!("search under a {MEMORY_CAP_MB} MB memory cap: skipped (no writable cgroup memory controller here)");
        return;
    };
    for file in walk(data_dir) {
        if let Ok(f) = std::fs::File::open(&file) {
            use std::os::fd::AsRawFd;
            // SAFETY: a valid descriptor; the advice only drops clean cached pages.
            unsafe { libc::posix_fadvise(f.as_raw_fd(), 0, 0, libc::POSIX_FADV_DONTNEED) };
        }
    }
    println!("search under a {MEMORY_CAP_MB} MB memory cap (a cgroup holding heap and page cache; the archive's pages evicted first):");
    run(Command::new("sh").arg("-c").arg("echo $$ > \"$0/cgroup.procs\" && exec \"$1\"").arg(&dir).arg(std::env::current_exe().unwrap()));
    let charged = std::fs::read_to_string(dir.join(peak)).ok().and_then(|v| v.trim().parse::<u64>().ok());
    println!("  most memory charged to the capped search process: {}", charged.map_or("unknown".into(), |b| format!("{:.0} MB", mb(b))));
    let _ = std::fs::remove_dir(&dir);
}

/// A fixed query set: words of several frequencies, phrases taken from stored texts, and the
/// filtered, faceted and sorted variants.
async fn query_set(data_dir: &Path) -> Vec<BenchQuery> {
    let archive = Archive::open(&Location::Embedded(data_dir.to_path_buf())).await.expect("open");
    let ids = archive.work_ids().await.unwrap();
    let fandoms: Vec<String> = archive.tags(Some(TagKind::Fandom)).await.unwrap().into_iter().take(50).map(|t| t.name).collect();
    let mut rng = ficarchive_gen::Rng::new(SEED);
    let mut out = Vec::new();
    let word = |rng: &mut ficarchive_gen::Rng| ficarchive_gen::corpus::word(60 + rng.zipf(5000));
    for _ in 0..QUERIES_PER_CLASS {
        out.push(BenchQuery { class: "free text".into(), text: format!("{} {}", word(&mut rng), word(&mut rng)), ..none() });
    }
    let mut phrases = 0;
    while phrases < QUERIES_PER_CLASS {
        let id = ids[rng.below(ids.len())];
        let doc = archive.search_doc(id).await.unwrap().unwrap();
        let words: Vec<&str> = doc.text.split_whitespace().collect();
        if words.len() < 10 {
            continue;
        }
        let at = rng.below(words.len() - 3);
        let phrase: String = words[at..at + 2].join(" ").chars().filter(|c| c.is_alphanumeric() || *c == ' ').collect();
        if phrase.split_whitespace().count() != 2 {
            continue;
        }
        out.push(BenchQuery { class: "phrase".into(), text: format!("\"{phrase}\""), ..none() });
        phrases += 1;
    }
    for _ in 0..QUERIES_PER_CLASS {
        out.push(BenchQuery {
            class: "filtered".into(),
            text: word(&mut rng),
            fandom: Some(fandoms[rng.zipf(fandoms.len())].clone()),
            exclude_rating: Some("Explicit".into()),
            ..none()
        });
    }
    for _ in 0..QUERIES_PER_CLASS {
        out.push(BenchQuery {
            class: "faceted".into(),
            text: String::new(),
            fandom: Some(fandoms[rng.zipf(fandoms.len())].clone()),
            ..none()
        });
    }
    for _ in 0..QUERIES_PER_CLASS {
        out.push(BenchQuery { class: "sorted".into(), text: word(&mut rng), sort: Some("updated".into()), ..none() });
    }
    archive.close().await;
    out
}

fn none() -> BenchQuery {
    BenchQuery { class: String::new(), text: String::new(), fandom: None, exclude_rating: None, sort: None }
}

fn request(q: &BenchQuery) -> SearchRequest {
    let mut r = SearchRequest::new(if q.text.is_empty() { Query::All } else { parse_query(&q.text).expect("bench query parses") });
    r.filters = Filters {
        include: q.fandom.iter().map(|f| TagFilter { kind: TagKind::Fandom, name: f.clone() }).collect(),
        exclude: q.exclude_rating.iter().map(|f| TagFilter { kind: TagKind::Rating, name: f.clone() }).collect(),
        ..Filters::default()
    };
    if let Some(sort) = &q.sort {
        r.sort = SortKey::from_name(sort).unwrap();
    }
    r
}

fn percentile(sorted: &[f64], p: f64) -> f64 {
    sorted[((sorted.len() as f64 - 1.0) * p).round() as usize]
}

fn report_latencies(engine: &str, classes: &[(String, Vec<f64>)]) {
    for (class, times) in classes {
        let mut t = times.clone();
        t.sort_by(f64::total_cmp);
        println!(
            "  {engine:8} {class:10} p50 {:7.2} ms   p99 {:7.2} ms   ({} queries)",
            percentile(&t, 0.5),
            percentile(&t, 0.99),
            t.len()
        );
    }
}

fn by_class(queries: &[BenchQuery], times: &[f64]) -> Vec<(String, Vec<f64>)> {
    let mut classes: Vec<(String, Vec<f64>)> = Vec::new();
    for (q, t) in queries.iter().zip(times) {
        match classes.iter_mut().find(|(c, _)| *c == q.class) {
            Some((_, v)) => v.push(*t),
            None => classes.push((q.class.clone(), vec![*t])),
        }
    }
    classes
}

/// The child process: open the archive, answer every query (a warm-up pass, then the timed
/// pass), print latencies and peak memory.
async fn search_role() {
    let data = PathBuf::from(std::env::var("FICARCHIVE_BENCH_DATA").unwrap());
    let queries: Vec<BenchQuery> =
        serde_json::from_slice(&std::fs::read(std::env::var("FICARCHIVE_BENCH_QUERIES").unwrap()).unwrap()).unwrap();
    let archive = Archive::open(&Location::Embedded(data)).await.expect("open");
    let searcher = Searcher::open(&archive).expect("searcher");
    for q in &queries {
        searcher.search(&archive, &request(q)).await.expect("search");
    }
    let mut times = Vec::new();
    let mut total_hits = 0u64;
    for q in &queries {
        let started = Instant::now();
        let r = searcher.search(&archive, &request(q)).await.expect("search");
        times.push(started.elapsed().as_secs_f64() * 1000.0);
        total_hits += r.total;
    }
    println!("search (tantivy, 20 hits with snippets and facets for every tag kind; {total_hits} matches in all):");
    report_latencies("tantivy", &by_class(&queries, &times));
    println!(
        "  search process memory: peak resident {:.0} MB; at the end {:.0} MB anonymous (heap) + {:.0} MB of mapped index pages",
        own_status_mb("VmHWM:"),
        own_status_mb("RssAnon:"),
        own_status_mb("RssFile:")
    );
    archive.close().await;
}

/// SQLite FTS5 over the same texts: title, summary, tags and story text, with the fandom,
/// rating and dates beside it, answering each class the way an FTS5 application would.
async fn fts5(data_dir: &Path, fts_file: &Path, queries: &[BenchQuery]) {
    let archive = Archive::open(&Location::Embedded(data_dir.to_path_buf())).await.expect("open");
    let started = Instant::now();
    let reused = fts_file.exists();
    let mut conn = sqlx::SqliteConnection::connect(&format!("sqlite://{}?mode=rwc", fts_file.display())).await.expect("fts5 db");
    conn.execute("PRAGMA journal_mode = WAL; PRAGMA synchronous = OFF").await.unwrap();
    if reused {
        println!("FTS5 over the same texts (the database in {} is reused):", fts_file.display());
    } else {
        build_fts5(&archive, &mut conn).await;
        println!(
            "FTS5 over the same texts (built in {:.1} s, {:.0} MB):",
            started.elapsed().as_secs_f64(),
            mb(dir_size(fts_file.parent().unwrap()) - dir_size(&fts_file.parent().unwrap().join("data")))
        );
    }
    archive.close().await;
    let fts_query = |text: &str| -> String {
        if text.starts_with('"') {
            text.to_string()
        } else {
            text.split_whitespace().map(|w| format!("\"{w}\"")).collect::<Vec<_>>().join(" ")
        }
    };
    // FICARCHIVE_BENCH_FTS5_QUERIES=N times only the first N queries of each class: at
    // 100,000 works one filtered FTS5 query takes seconds, and all 200 of them hours.
    let per_class = std::env::var("FICARCHIVE_BENCH_FTS5_QUERIES").ok().and_then(|n| n.parse::<usize>().ok()).unwrap_or(QUERIES_PER_CLASS);
    let mut taken = std::collections::HashMap::<&str, usize>::new();
    let queries: Vec<BenchQuery> = queries
        .iter()
        .filter(|q| {
            let n = taken.entry(q.class.as_str()).or_default();
            *n += 1;
            *n <= per_class
        })
        .cloned()
        .collect();
    let mut times = Vec::new();
    for pass in 0..2 {
        for q in &queries {
            let started = Instant::now();
            // Every class returns what ficarchive's page returns: the total and 20 hits in the
            // class's order, with snippets when the query has words (facets only where asked:
            // ficarchive computes them for every query, which only costs it).
            let m = fts_query(&q.text);
            match q.class.as_str() {
                "faceted" => {
                    let rows = sqlx::query(
                        "SELECT t.kind, t.name, COUNT(*) FROM work_tags t WHERE t.work_id IN (SELECT work_id FROM work_tags WHERE name = ?) \
                         GROUP BY t.kind, t.name",
                    )
                    .bind(q.fandom.as_deref().unwrap_or(""))
                    .fetch_all(&mut conn)
                    .await
                    .unwrap();
                    let _: Vec<i64> = rows.iter().map(|r| r.get::<i64, _>(2)).collect();
                    let _ = sqlx::query("SELECT work_id FROM work_tags WHERE name = ? ORDER BY work_id LIMIT 20")
                        .bind(q.fandom.as_deref().unwrap_or(""))
                        .fetch_all(&mut conn)
                        .await
                        .unwrap();
                }
                "filtered" => {
                    let filter = "docs.rowid IN (SELECT work_id FROM work_tags WHERE name = ?) AND docs.rowid IN (SELECT id FROM meta WHERE rating <> ?)";
                    let _: i64 =
                        sqlx::query_scalar(sqlx::AssertSqlSafe(format!("SELECT COUNT(*) FROM docs WHERE docs MATCH ? AND {filter}")))
                            .bind(&m)
                            .bind(q.fandom.as_deref().unwrap_or(""))
                            .bind(q.exclude_rating.as_deref().unwrap_or(""))
                            .fetch_one(&mut conn)
                            .await
                            .unwrap();
                    let _ = sqlx::query(sqlx::AssertSqlSafe(format!(
                        "SELECT rowid, snippet(docs, 3, '[', ']', '…', 30) FROM docs WHERE docs MATCH ? AND {filter} ORDER BY rank LIMIT 20"
                    )))
                    .bind(&m)
                    .bind(q.fandom.as_deref().unwrap_or(""))
                    .bind(q.exclude_rating.as_deref().unwrap_or(""))
                    .fetch_all(&mut conn)
                    .await
                    .unwrap();
                }
                class => {
                    let order = if class == "sorted" { "(SELECT updated FROM meta WHERE meta.id = docs.rowid) DESC" } else { "rank" };
                    let _: i64 =
                        sqlx::query_scalar("SELECT COUNT(*) FROM docs WHERE docs MATCH ?").bind(&m).fetch_one(&mut conn).await.unwrap();
                    let _ = sqlx::query(sqlx::AssertSqlSafe(format!(
                        "SELECT rowid, snippet(docs, 3, '[', ']', '…', 30) FROM docs WHERE docs MATCH ? ORDER BY {order} LIMIT 20"
                    )))
                    .bind(&m)
                    .fetch_all(&mut conn)
                    .await
                    .unwrap();
                }
            }
            if pass == 1 {
                times.push(started.elapsed().as_secs_f64() * 1000.0);
            }
        }
    }
    report_latencies("FTS5", &by_class(&queries, &times));
    conn.close().await.ok();
}

/// Fills a new FTS5 database from the archive: one row per work, its tags and its metadata.
async fn build_fts5(archive: &Archive, conn: &mut sqlx::SqliteConnection) {
    conn.execute(
        "CREATE VIRTUAL TABLE docs USING fts5(title, summary, tags, body, tokenize = 'porter unicode61'); \
         CREATE TABLE meta (id INTEGER PRIMARY KEY, updated INTEGER, words INTEGER, rating TEXT); \
         CREATE TABLE work_tags (work_id INTEGER, kind TEXT, name TEXT); CREATE INDEX work_tags_name ON work_tags (name, work_id)",
    )
    .await
    .expect("fts5 is available in the bundled SQLite");
    let mut tx = conn.begin().await.unwrap();
    for id in archive.work_ids().await.unwrap() {
        let doc = archive.search_doc(id).await.unwrap().unwrap();
        let tags: Vec<&str> = doc.tags.iter().map(|(_, n)| n.as_str()).collect();
        sqlx::query("INSERT INTO docs (rowid, title, summary, tags, body) VALUES (?, ?, ?, ?, ?)")
            .bind(id)
            .bind(&doc.title)
            .bind(&doc.summary)
            .bind(tags.join(" ; "))
            .bind(&doc.text)
            .execute(&mut *tx)
            .await
            .unwrap();
        let rating = doc.tags.iter().find(|(k, _)| *k == TagKind::Rating).map(|(_, n)| n.clone());
        sqlx::query("INSERT INTO meta (id, updated, words, rating) VALUES (?, ?, ?, ?)")
            .bind(id)
            .bind(doc.updated.map(i64::from))
            .bind(doc.words as i64)
            .bind(rating)
            .execute(&mut *tx)
            .await
            .unwrap();
        for (kind, name) in &doc.tags {
            sqlx::query("INSERT INTO work_tags (work_id, kind, name) VALUES (?, ?, ?)")
                .bind(id)
                .bind(kind.as_str())
                .bind(name)
                .execute(&mut *tx)
                .await
                .unwrap();
        }
    }
    tx.commit().await.unwrap();
}
