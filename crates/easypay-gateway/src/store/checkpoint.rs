//! WAL checkpoints off the writer. SQLite's automatic checkpoint runs inside the COMMIT that crosses
//! 1,000 WAL pages: it copies those pages into the database file and fsyncs it, on the writer,
//! holding up every write section queued behind it. Here the writer's automatic checkpoint is off
//! and a thread of its own checkpoints (PASSIVE: it never blocks the writer or a reader) a few times
//! a second while there are commits.

use std::path::Path;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::mpsc::{self, RecvTimeoutError};
use std::sync::Arc;
use std::time::Duration;

use rusqlite::{Connection, OpenFlags};

/// How often the checkpointer looks for new commits.
const EVERY: Duration = Duration::from_millis(100);

/// Counts the writer's commits; the checkpointer stops when the last clone is dropped.
#[derive(Clone)]
pub struct Checkpointer {
    commits: Arc<AtomicU64>,
    _running: Arc<mpsc::Sender<()>>,
}

impl Checkpointer {
    /// Starts the checkpoint thread for the database file at `file`.
    pub fn start(file: &Path) -> anyhow::Result<Checkpointer> {
        let connection = Connection::open_with_flags(
            file,
            OpenFlags::SQLITE_OPEN_READ_WRITE | OpenFlags::SQLITE_OPEN_NO_MUTEX,
        )?;
        connection.busy_timeout(Duration::from_secs(5))?;
        let commits = Arc::new(AtomicU64::new(0));
        let (running, stopped) = mpsc::channel();
        let seen = commits.clone();
        std::thread::Builder::new()
            .name("sqlite-checkpoint".into())
            .spawn(move || run(&connection, &seen, &stopped))?;
        Ok(Checkpointer {
            commits,
            _running: Arc::new(running),
        })
    }

    /// Call after each commit of the writer.
    pub fn committed(&self) {
        self.commits.fetch_add(1, Ordering::Relaxed);
    }
}

fn run(connection: &Connection, commits: &AtomicU64, stopped: &mpsc::Receiver<()>) {
    let mut checkpointed = 0;
    loop {
        match stopped.recv_timeout(EVERY) {
            Err(RecvTimeoutError::Timeout) => {}
            Ok(()) | Err(RecvTimeoutError::Disconnected) => return,
        }
        let now = commits.load(Ordering::Relaxed);
        if now == checkpointed {
            continue;
        }
        match connection.query_row("PRAGMA wal_checkpoint(PASSIVE)", [], |_| Ok(())) {
            Ok(()) => checkpointed = now,
            Err(error) => tracing::warn!(%error, "WAL checkpoint failed; trying again"),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn wal_frames(file: &Path) -> u64 {
        let mut wal = file.as_os_str().to_owned();
        wal.push("-wal");
        std::fs::metadata(wal).map(|m| m.len()).unwrap_or(0)
    }

    #[test]
    fn commits_are_checkpointed_into_the_database_file_without_the_writer() {
        let dir = tempfile::tempdir().unwrap();
        let file = dir.path().join("c.db");
        let writer = Connection::open(&file).unwrap();
        writer.pragma_update(None, "journal_mode", "WAL").unwrap();
        writer.pragma_update(None, "wal_autocheckpoint", 0).unwrap();
        writer
            .execute_batch("CREATE TABLE t (v BLOB); INSERT INTO t VALUES (zeroblob(100000));")
            .unwrap();
        let before = std::fs::metadata(&file).unwrap().len();
        assert!(wal_frames(&file) > 100_000, "the rows are in the WAL");
        let checkpointer = Checkpointer::start(&file).unwrap();
        checkpointer.committed();
        let deadline = std::time::Instant::now() + Duration::from_secs(5);
        while std::fs::metadata(&file).unwrap().len() <= before {
            assert!(std::time::Instant::now() < deadline, "no checkpoint ran");
            std::thread::sleep(Duration::from_millis(20));
        }
        assert!(std::fs::metadata(&file).unwrap().len() > 100_000);
    }
}
