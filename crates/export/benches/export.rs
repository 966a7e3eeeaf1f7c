//! The export bench: EPUB export of a 300,000-word, 40-chapter work and of 1,000 typical works
//! (the corpus generator's, parsed by the importer), and, in the same run, calibre's
//! `ebook-convert` turning our HTML export of the same works into EPUB (the route AO3's
//! downloads take).
//!
//! Run: `cargo bench -p ficarchive-export --bench export`. `FICARCHIVE_BENCH_CALIBRE_WORKS`
//! (default 10) sets how many of the typical works calibre converts: it takes seconds per
//! book, so it gets a sample, and its figure is the mean per work. Set it to 0 to skip
//! calibre.

use ficarchive_export::{Book, Format};
use ficarchive_model::document::{Block, Document, Inline};
use ficarchive_model::{Chapter, Work};
use ficarchive_parse::{Input, parse_inputs};
use std::path::Path;
use std::process::Command;
use std::time::{Duration, Instant};

const TYPICAL_WORKS: usize = 1000;
const SEED: u64 = 7;

fn main() {
    if std::env::args().any(|a| a == "--list") {
        return;
    }
    let long = long_book();
    let typical = typical_books();
    let typical_mb = typical.iter().map(|b| ficarchive_export::write(b, Format::Text).len()).sum::<usize>() as f64 / 1e6;
    println!(
        "export bench: 1 long work ({} words, {} chapters); {} typical works ({:.1} MB of text, {} words)",
        long.card.words,
        long.chapters.len(),
        typical.len(),
        typical_mb,
        typical.iter().map(|b| b.card.words).sum::<u64>()
    );

    // Ours: the long work, 20 times; the typical works, all of them, 3 times.
    let (long_each, long_bytes) = time_each(std::slice::from_ref(&long), 20);
    println!("ficarchive EPUB, long work:    {:8.2} ms per work ({:.1} MB book)", ms(long_each), long_bytes as f64 / 1e6);
    let (typical_each, typical_bytes) = time_each(&typical, 3);
    println!(
        "ficarchive EPUB, typical works: {:8.3} ms per work, {:.0} works/s ({:.1} MB of books)",
        ms(typical_each),
        1.0 / typical_each.as_secs_f64(),
        typical_bytes as f64 / 1e6
    );

    let sample: usize = std::env::var("FICARCHIVE_BENCH_CALIBRE_WORKS").ok().and_then(|v| v.parse().ok()).unwrap_or(10);
    if sample == 0 {
        return;
    }
    let dir = tempfile::tempdir().expect("temp dir");
    let calibre_long = calibre(&[long], dir.path());
    let calibre_typical = calibre(&typical[..sample.min(typical.len())], dir.path());
    println!("calibre ebook-convert, long work:    {:8.0} ms per work", ms(calibre_long));
    println!("calibre ebook-convert, typical works: {:8.0} ms per work (mean of {sample})", ms(calibre_typical));
    println!(
        "ficarchive is {:.0}x faster on the long work and {:.0}x faster per typical work",
        calibre_long.as_secs_f64() / long_each.as_secs_f64(),
        calibre_typical.as_secs_f64() / typical_each.as_secs_f64()
    );
}

fn ms(d: Duration) -> f64 {
    d.as_secs_f64() * 1000.0
}

/// Mean time to write one book as EPUB over `rounds` passes, and the bytes of one pass.
fn time_each(books: &[Book], rounds: usize) -> (Duration, usize) {
    let mut bytes = 0;
    let started = Instant::now();
    for round in 0..rounds {
        for book in books {
            let epub = ficarchive_export::write(std::hint::black_box(book), Format::Epub);
            if round == 0 {
                bytes += epub.len();
            }
        }
    }
    (started.elapsed() / (rounds * books.len()) as u32, bytes)
}

/// Mean time calibre takes to convert each book's HTML export to EPUB.
fn calibre(books: &[Book], dir: &Path) -> Duration {
    let mut total = Duration::ZERO;
    for book in books {
        let html = dir.join(format!("{}.html", book.file_stem()));
        std::fs::write(&html, ficarchive_export::write(book, Format::Html)).expect("write HTML");
        let epub = html.with_extension("epub");
        let started = Instant::now();
        let status = Command::new("ebook-convert")
            .arg(&html)
            .arg(&epub)
            .env("QT_QPA_PLATFORM", "offscreen")
            .env("QTWEBENGINE_CHROMIUM_FLAGS", "--no-sandbox")
            .output()
            .expect("ebook-convert runs (Debian package calibre)");
        total += started.elapsed();
        assert!(status.status.success(), "ebook-convert failed: {}", String::from_utf8_lossy(&status.stderr));
    }
    total / books.len().max(1) as u32
}

/// 40 chapters of 7,500 words of generated prose, with scene breaks.
fn long_book() -> Book {
    let mut rng = ficarchive_gen::Rng::new(SEED);
    let chapters = (1..=40)
        .map(|n| {
            let mut blocks = Vec::new();
            let mut words = 0;
            while words < 7_500 {
                let text = ficarchive_gen::paragraph(&mut rng);
                let count = ficarchive_model::words::count(&text);
                let take = if words + count > 7_500 {
                    text.split_whitespace().take((7_500 - words) as usize).collect::<Vec<_>>().join(" ")
                } else {
                    text
                };
                words += ficarchive_model::words::count(&take);
                blocks.push(Block::Paragraph(vec![Inline::Text(take)]));
                if blocks.len() % 25 == 0 {
                    blocks.push(Block::SceneBreak);
                }
            }
            Chapter { number: n, title: Some(format!("Chapter title {n}")), body: Document::new(blocks), ..Chapter::default() }
        })
        .collect();
    let work = Work {
        title: Some("The Long Count".into()),
        authors: vec!["Bench Writer".into()],
        fandoms: vec!["Original Work".into()],
        freeform_tags: vec!["Epic".into(), "Slow Burn".into()],
        summary: Some("A very long work for the bench.".into()),
        complete: Some(true),
        chapters,
        ..Work::default()
    };
    Book::from_work(&work, 1, "urn:uuid:00000000-0000-4000-8000-000000000001", "bench")
}

/// The generator's works, parsed as an import would.
fn typical_books() -> Vec<Book> {
    let mut books = Vec::with_capacity(TYPICAL_WORKS);
    for (i, (files, _)) in ficarchive_gen::corpus::corpus(TYPICAL_WORKS, SEED).enumerate() {
        let inputs: Vec<Input<'_>> = files.iter().map(|f| Input::new(&f.path, &f.bytes)).collect();
        for work in parse_inputs(&inputs).works {
            books.push(Book::from_work(&work, i as i64 + 2, &format!("urn:uuid:00000000-0000-4000-8000-{:012}", i + 2), "bench"));
        }
    }
    books
}
