//! `ficarchive serve` and `ficarchive demo`: the web reader over an archive.

use anyhow::{Context, Result};
use ficarchive_store::{Archive, Location};
use ficarchive_web::{AppState, Limits};
use std::sync::Arc;
use std::time::Duration;
use tokio::net::TcpListener;

/// How often the server looks for works another process committed to the search index.
const INDEX_REFRESH: Duration = Duration::from_secs(2);

/// The example works shipped in `examples/` (invented stories in several layouts), built into
/// the binary so that `ficarchive demo` works from anywhere.
pub const DEMO_FILES: &[(&str, &[u8])] = &[
    ("harbour-lights/metadata.yaml", include_bytes!("../../../examples/harbour-lights/metadata.yaml")),
    ("harbour-lights/chapter-01.txt", include_bytes!("../../../examples/harbour-lights/chapter-01.txt")),
    ("harbour-lights/chapter-02.txt", include_bytes!("../../../examples/harbour-lights/chapter-02.txt")),
    ("long-watch/long-watch-ch1.txt", include_bytes!("../../../examples/long-watch/long-watch-ch1.txt")),
    ("long-watch/long-watch-ch2.txt", include_bytes!("../../../examples/long-watch/long-watch-ch2.txt")),
    ("nightfall-roads-part1.txt", include_bytes!("../../../examples/nightfall-roads-part1.txt")),
    ("nightfall-roads-part2.txt", include_bytes!("../../../examples/nightfall-roads-part2.txt")),
    ("river-tea.md", include_bytes!("../../../examples/river-tea.md")),
    ("the-cartographers-apprentice.html", include_bytes!("../../../examples/the-cartographers-apprentice.html")),
];

/// Serves the archive at `location` on `addr` until Ctrl-C.
pub async fn serve(location: &Location, addr: &str, name: &str) -> Result<()> {
    let archive = crate::open_archive(location, false).await?;
    let listener = TcpListener::bind(addr).await.with_context(|| format!("cannot listen on {addr}"))?;
    run(archive, listener, name, None).await
}

/// Imports the example works into a fresh archive in a temporary folder and serves it. When
/// `addr`'s port is taken, any free port is used instead.
pub async fn demo(addr: &str) -> Result<()> {
    let scratch = tempfile::tempdir()?;
    let examples = scratch.path().join("examples");
    for (path, bytes) in DEMO_FILES {
        let target = examples.join(path);
        if let Some(parent) = target.parent() {
            std::fs::create_dir_all(parent)?;
        }
        std::fs::write(&target, bytes)?;
    }
    let location = Location::Embedded(scratch.path().join("data"));
    let archive = crate::open_archive(&location, true).await?;
    let mut searcher = ficarchive_search::Searcher::open(&archive)?;
    let report = crate::import::import(&archive, Some(&mut searcher), &[examples], false, true).await?;
    searcher.finish(&archive).await?;
    let listener = match TcpListener::bind(addr).await {
        Ok(l) => l,
        Err(e) if e.kind() == std::io::ErrorKind::AddrInUse => {
            let host = addr.rsplit_once(':').map_or("127.0.0.1", |(h, _)| h);
            eprintln!("{addr} is in use; using another port");
            TcpListener::bind((host, 0)).await.with_context(|| format!("cannot listen on {host}"))?
        }
        Err(e) => return Err(e).with_context(|| format!("cannot listen on {addr}")),
    };
    let note = format!("demo archive: {} example works imported into {}", report.new, scratch.path().display());
    let result = run(archive, listener, "ficarchive demo", Some(note)).await;
    drop(scratch);
    result
}

async fn run(archive: Archive, listener: TcpListener, name: &str, note: Option<String>) -> Result<()> {
    let app = Arc::new(AppState::new(archive, name).await?);
    let local = listener.local_addr()?;
    if let Some(note) = note {
        println!("{note}");
    }
    // The first line a script can read the address from; keep its shape.
    println!("serving http://{local}/ (Ctrl-C to stop)");
    let refresher = tokio::spawn(ficarchive_web::refresh_index(app.clone(), INDEX_REFRESH));
    let shutdown = async {
        let _ = tokio::signal::ctrl_c().await;
    };
    ficarchive_web::serve(listener, ficarchive_web::router(app.clone()), Limits::default(), shutdown).await?;
    refresher.abort();
    if let Ok(app) = Arc::try_unwrap(app) {
        app.archive.close().await;
    }
    eprintln!("stopped");
    Ok(())
}
