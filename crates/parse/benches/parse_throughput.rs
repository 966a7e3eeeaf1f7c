//! Single-thread parse throughput on generated input, plain text and HTML separately.
//! Prints MB/s and files/s for parsing, and sha256 throughput separately. Run: `cargo bench -p ficarchive-parse --bench parse_throughput`.
//! `FICARCHIVE_BENCH_MB` sets the megabytes per format (default 100);
//! `FICARCHIVE_BENCH_FORMAT=text` or `=html` runs one format only (for profiling).

use ficarchive_gen::{Rng, html_story, text_story};
use std::hint::black_box;
use std::time::Instant;

fn run(name: &str, ext: &str, make: fn(&mut Rng, usize) -> String, total_mb: usize) {
    let mut rng = Rng::new(42);
    let mut files = Vec::new();
    let mut bytes = 0usize;
    while bytes < total_mb << 20 {
        // Typical fic files: 20 KB to 400 KB.
        let size = 20_000 + rng.below(380_000);
        let f = make(&mut rng, size);
        bytes += f.len();
        files.push(f);
    }
    // Warm up on a few files, then time the whole set.
    for (i, f) in files.iter().take(3).enumerate() {
        black_box(ficarchive_parse::parse_file(&format!("warm{i}.{ext}"), f.as_bytes()).ok());
    }
    // Hashing is timed on its own: the importer hashes on its reading thread, before
    // deciding whether a file needs parsing at all (see `parse_hashed_file`).
    let start = Instant::now();
    let hashes: Vec<String> = files.iter().map(|f| ficarchive_parse::sha256_hex(f.as_bytes())).collect();
    let hash_secs = start.elapsed().as_secs_f64();
    let start = Instant::now();
    let works: Vec<_> = files
        .iter()
        .zip(hashes)
        .enumerate()
        .map(|(i, (f, sha))| ficarchive_parse::parse_hashed_file(&format!("f{i}.{ext}"), f.as_bytes(), sha).expect("generated files parse"))
        .collect();
    let secs = start.elapsed().as_secs_f64();
    // Counted after the clock stops: rendering text to count words is not parsing.
    let words: u64 = works.iter().map(|w| w.words()).sum();
    let mb = bytes as f64 / 1_048_576.0;
    println!(
        "{name:5} {mb:8.1} MB in {:5} files: {secs:6.2} s  {:7.1} MB/s  {:7.1} files/s  ({words} words)",
        files.len(),
        mb / secs,
        files.len() as f64 / secs
    );
    println!("{name:5} sha256 alone {:7.1} MB/s; parse with hashing {:7.1} MB/s", mb / hash_secs, mb / (secs + hash_secs));
}

fn main() {
    let mb: usize = std::env::var("FICARCHIVE_BENCH_MB").ok().and_then(|v| v.parse().ok()).unwrap_or(100);
    let only = std::env::var("FICARCHIVE_BENCH_FORMAT").unwrap_or_default();
    if only.is_empty() || only == "text" {
        run("text", "txt", text_story, mb);
    }
    if only.is_empty() || only == "html" {
        run("html", "html", html_story, mb);
    }
}
