//! Write-ahead-log checkpoints of an embedded archive, off the writer's path.
//!
//! In WAL mode every committed page is written twice: to the log at commit, and into the
//! database file by a checkpoint, which also syncs the file. SQLite's own automatic
//! checkpoint runs inside the commit that crosses its threshold, so the import's single
//! writer stopped for it after nearly every batch (a 16 MB transaction crosses the default
//! threshold alone): at 10,000 works about a sixth of the import's time.
//!
//! Here the writer's automatic checkpoint is raised to a backstop ([`BACKSTOP_PAGES`]), and a
//! task with a connection of its own runs a passive checkpoint after each committed batch
//! ([`Checkpoints::request`]). A passive checkpoint never blocks the writer or readers; when
//! it has copied the whole log, the writer's next transaction starts the log again from its
//! beginning, so the log stays about one batch long. Should the task fall behind (or fail:
//! its errors change nothing stored, the log still holds every commit), the backstop makes
//! the writer checkpoint itself as before.

use sqlx::any::AnyConnectOptions;
use sqlx::{AnyConnection, Connection, Executor};

/// The writer's own automatic checkpoint, in pages (of 4 KB): only when the log has grown
/// this long despite the background task.
pub(crate) const BACKSTOP_PAGES: u32 = 16_384;

/// A handle that asks the checkpoint task for a checkpoint. Clones share the task; it ends
/// (closing its connection) at [`Checkpoints::close`] or when the last handle is dropped.
#[derive(Clone)]
pub(crate) struct Checkpoints {
    requests: tokio::sync::mpsc::Sender<Request>,
}

enum Request {
    Checkpoint,
    /// Close the connection, then say so.
    Close(tokio::sync::oneshot::Sender<()>),
}

impl Checkpoints {
    /// Opens the task's connection and starts the task.
    pub(crate) async fn start(options: &AnyConnectOptions) -> Result<Checkpoints, sqlx::Error> {
        let mut conn = AnyConnection::connect_with(options).await?;
        conn.execute("PRAGMA busy_timeout = 10000").await?;
        // One request waiting is enough: a checkpoint copies everything committed before it
        // starts, so requests made while one waits are answered by it.
        let (requests, mut pending) = tokio::sync::mpsc::channel(1);
        tokio::spawn(async move {
            let mut closed = None;
            while let Some(request) = pending.recv().await {
                match request {
                    // Errors are left to the backstop: a checkpoint that fails loses nothing.
                    Request::Checkpoint => drop(conn.execute("PRAGMA wal_checkpoint(PASSIVE)").await),
                    Request::Close(done) => {
                        closed = Some(done);
                        break;
                    }
                }
            }
            let _ = conn.close().await;
            if let Some(done) = closed {
                let _ = done.send(());
            }
        });
        Ok(Checkpoints { requests })
    }

    /// Asks for a checkpoint soon (after a commit); never waits.
    pub(crate) fn request(&self) {
        let _ = self.requests.try_send(Request::Checkpoint);
    }

    /// Closes the task's connection and waits until it is closed. Called after every other
    /// connection has closed, so that this last one leaves the whole log copied into the
    /// database file (SQLite does that when the last connection closes), and the file alone
    /// holds the archive.
    pub(crate) async fn close(&self) {
        let (done, closed) = tokio::sync::oneshot::channel();
        if self.requests.send(Request::Close(done)).await.is_ok() {
            let _ = closed.await;
        }
    }
}
