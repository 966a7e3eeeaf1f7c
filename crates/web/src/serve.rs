//! The accept loop: HTTP/1.1 with bounds on what a client may hold. axum's own `serve` sets
//! no timer, so a client that sends its headers one byte a minute would hold a connection
//! forever; here headers must arrive within [`Limits::header_timeout`], header blocks are
//! bounded in size, and at most [`Limits::connections`] connections are open at once.

use axum::Router;
use hyper::body::Incoming;
use hyper_util::rt::{TokioIo, TokioTimer};
use hyper_util::service::TowerToHyperService;
use std::future::Future;
use std::sync::Arc;
use std::time::Duration;
use tokio::net::TcpListener;
use tower::ServiceExt;

#[derive(Debug, Clone, Copy)]
pub struct Limits {
    pub header_timeout: Duration,
    /// Bytes of request line and headers.
    pub max_header_bytes: usize,
    pub connections: usize,
}

impl Default for Limits {
    fn default() -> Self {
        Limits { header_timeout: Duration::from_secs(10), max_header_bytes: 64 * 1024, connections: 1024 }
    }
}

/// Serves `router` on `listener` until `shutdown` completes; connections open then are given
/// a moment to finish their current request.
pub async fn serve(listener: TcpListener, router: Router, limits: Limits, shutdown: impl Future<Output = ()>) -> std::io::Result<()> {
    let slots = Arc::new(tokio::sync::Semaphore::new(limits.connections));
    let (closing, _) = tokio::sync::watch::channel(false);
    let closing = Arc::new(closing);
    let mut shutdown = std::pin::pin!(shutdown);
    loop {
        let permit = tokio::select! {
            permit = slots.clone().acquire_owned() => match permit { Ok(p) => p, Err(_) => break },
            () = &mut shutdown => break,
        };
        let (stream, _) = tokio::select! {
            accepted = listener.accept() => match accepted {
                Ok(a) => a,
                // A failed accept (too many open files, a reset) must not end the server.
                Err(e) => { eprintln!("ficarchive serve: accept failed: {e}"); tokio::time::sleep(Duration::from_millis(50)).await; continue }
            },
            () = &mut shutdown => break,
        };
        let _ = stream.set_nodelay(true);
        let service = router.clone().map_request(|r: hyper::Request<Incoming>| r.map(axum::body::Body::new));
        let service = TowerToHyperService::new(service);
        let mut closed = closing.subscribe();
        tokio::spawn(async move {
            let _permit = permit;
            let mut builder = hyper::server::conn::http1::Builder::new();
            builder.timer(TokioTimer::new()).header_read_timeout(limits.header_timeout).max_buf_size(limits.max_header_bytes);
            let connection = builder.serve_connection(TokioIo::new(stream), service);
            let mut connection = std::pin::pin!(connection);
            tokio::select! {
                _ = connection.as_mut() => {}
                _ = closed.changed() => {
                    connection.as_mut().graceful_shutdown();
                    let _ = tokio::time::timeout(Duration::from_secs(5), connection).await;
                }
            }
        });
    }
    let _ = closing.send(true);
    Ok(())
}
