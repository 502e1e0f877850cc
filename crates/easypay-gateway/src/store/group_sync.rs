//! Group commit for SQLite. Connections commit with `synchronous = NORMAL`: the WAL frames are
//! written but not yet fsynced. A committer then waits here until one `fsync` of the WAL file that
//! began after its commit has finished, and only then is its answer sent. One fsync covers every
//! commit made before it started, so throughput is no longer one fsync per request, and an answered
//! commit is exactly as durable as with `synchronous = FULL` (decision: a `"0000"` survives power
//! loss). Another process (the CLI) has its own barrier over the same file.

use std::fs::File;
use std::os::unix::fs::MetadataExt;
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::{Arc, Condvar, Mutex, Weak};
use std::time::Duration;

use tokio::sync::watch;

/// A failed fsync is retried after this long; committers keep waiting meanwhile.
const RETRY_AFTER: Duration = Duration::from_millis(100);

/// After this many failed fsyncs in a row (5 s) no waiting commit can be made durable: the process
/// stops (see [`give_up`]).
const FAILURES_BEFORE_GIVING_UP: u32 = 50;

/// The exit status when the database can no longer be written durably (`EX_IOERR`).
const EXIT_IO_ERROR: i32 = 74;

/// Whether this process stops when the database can no longer be written durably: `easypay
/// serve` does ([`stop_process_when_not_durable`]); a gateway embedded in another program (tests)
/// logs it and leaves the waiting commits waiting.
static STOP_PROCESS: AtomicBool = AtomicBool::new(false);

/// Makes the process stop when SQLite commits can no longer be made durable (see [`give_up`]).
pub fn stop_process_when_not_durable() {
    STOP_PROCESS.store(true, Ordering::SeqCst);
}

/// The syncer looks at least this often whether its `GroupSync` is gone.
const IDLE_CHECK: Duration = Duration::from_millis(500);

#[derive(Clone)]
pub struct GroupSync {
    inner: Arc<Inner>,
}

struct Inner {
    database: PathBuf,
    /// Number of commits that finished writing (their frames are in the OS page cache).
    committed: AtomicU64,
    /// The highest commit number known to be on disk.
    durable: watch::Sender<u64>,
    /// Wakes the syncer thread after a commit.
    wake: (Mutex<()>, Condvar),
    syncs: AtomicU64,
    /// The WAL file's inode at the last sync: a new WAL file needs its directory synced too.
    wal_inode: AtomicU64,
    /// The database file's inode when first seen (0: not yet): the file SQLite has open.
    database_inode: AtomicU64,
    /// Set once the database can no longer be written durably (said once in the log).
    broken: AtomicBool,
}

impl GroupSync {
    /// Starts the syncer for the SQLite database file at `database`: a thread of its own, so that
    /// the next fsync starts the moment the last one ends, however busy the async runtime is.
    pub fn start(database: &Path) -> GroupSync {
        let (durable, _) = watch::channel(0);
        let inner = Arc::new(Inner {
            database: database.to_owned(),
            committed: AtomicU64::new(0),
            durable,
            wake: (Mutex::new(()), Condvar::new()),
            syncs: AtomicU64::new(0),
            wal_inode: AtomicU64::new(0),
            database_inode: AtomicU64::new(0),
            broken: AtomicBool::new(false),
        });
        let weak = Arc::downgrade(&inner);
        std::thread::Builder::new()
            .name("sqlite-group-sync".into())
            .spawn(move || run(&weak))
            .expect("the group-commit thread starts");
        GroupSync { inner }
    }

    /// Call right after a COMMIT: the commit's number, for [`GroupSync::wait_for_commit`].
    pub fn register_commit(&self) -> u64 {
        let number = self.inner.committed.fetch_add(1, Ordering::SeqCst) + 1;
        // Taking the lock orders this wake after the syncer's last look at `committed`.
        let _guard = self.inner.wake.0.lock().unwrap_or_else(|e| e.into_inner());
        self.inner.wake.1.notify_one();
        number
    }

    /// Returns once the commit numbered `number` (and every one before it) is on disk.
    pub async fn wait_for_commit(&self, number: u64) {
        let mut durable = self.inner.durable.subscribe();
        // The sender lives in `inner`, which `self` keeps alive: the wait cannot be cut short.
        let _ = durable.wait_for(|done| *done >= number).await;
    }

    /// Commits made and fsyncs done so far (one fsync serves many commits under load).
    pub fn counts(&self) -> (u64, u64) {
        (
            self.inner.committed.load(Ordering::SeqCst),
            self.inner.syncs.load(Ordering::SeqCst),
        )
    }
}

fn run(inner: &Weak<Inner>) {
    let mut failures = 0;
    loop {
        // Holding only a weak reference between rounds lets the thread end with its GroupSync.
        let Some(strong) = inner.upgrade() else {
            return;
        };
        if let Err(moved) = still_in_place(&strong) {
            give_up(&strong, &moved);
            std::thread::sleep(IDLE_CHECK);
            continue;
        }
        let target = {
            let guard = strong.wake.0.lock().unwrap_or_else(|e| e.into_inner());
            let target = strong.committed.load(Ordering::SeqCst);
            if target <= *strong.durable.borrow() {
                let _ = strong.wake.1.wait_timeout(guard, IDLE_CHECK);
                continue;
            }
            target
        };
        match sync_files(&strong) {
            Ok(()) => {
                failures = 0;
                strong.syncs.fetch_add(1, Ordering::SeqCst);
                strong.durable.send_replace(target);
            }
            Err(error) => {
                failures += 1;
                if failures >= FAILURES_BEFORE_GIVING_UP {
                    let reason =
                        format!("fsync of the SQLite WAL failed {failures} times: {error}");
                    give_up(&strong, &reason);
                } else {
                    tracing::error!(%error, "fsync of the SQLite WAL failed; retrying");
                }
                std::thread::sleep(RETRY_AFTER);
            }
        }
    }
}

/// The database file at its path must still be the one SQLite has open: once it was moved,
/// deleted or replaced, every commit goes to a file a restart will not find.
fn still_in_place(inner: &Inner) -> Result<(), String> {
    let inode = match std::fs::metadata(&inner.database) {
        Ok(metadata) => metadata.ino(),
        // Not created yet: SQLite creates it on its first connection.
        Err(_) if inner.database_inode.load(Ordering::SeqCst) == 0 => return Ok(()),
        Err(error) => {
            return Err(format!(
                "the database file {} is gone ({error})",
                inner.database.display()
            ))
        }
    };
    match inner
        .database_inode
        .compare_exchange(0, inode, Ordering::SeqCst, Ordering::SeqCst)
    {
        Ok(_) => Ok(()),
        Err(seen) if seen == inode => Ok(()),
        Err(_) => Err(format!(
            "the database file {} was replaced by another file",
            inner.database.display()
        )),
    }
}

/// The gateway cannot make commits durable any more. Requests waiting for their commit must not
/// be answered `"0000"`, and answering them an error would claim that nothing was committed: the
/// process stops (as PostgreSQL does when an fsync fails). Their clients see the connection close
/// (outcome unknown) and resend with the same key once the gateway is back, which replays what
/// reached the disk and does the rest.
fn give_up(inner: &Inner, reason: &str) {
    if STOP_PROCESS.load(Ordering::SeqCst) {
        tracing::error!(
            reason,
            "the SQLite database can no longer be written durably; stopping"
        );
        eprintln!(
            "error: the SQLite database can no longer be written durably ({reason}); stopping"
        );
        std::process::exit(EXIT_IO_ERROR);
    }
    if !inner.broken.swap(true, Ordering::SeqCst) {
        tracing::error!(
            reason,
            "the SQLite database can no longer be written durably"
        );
    }
}

/// fsyncs the WAL file (and its directory the first time a WAL file is seen); without a WAL file
/// the database file itself.
fn sync_files(inner: &Inner) -> std::io::Result<()> {
    let mut wal = inner.database.clone().into_os_string();
    wal.push("-wal");
    match File::open(&wal) {
        Ok(file) => {
            file.sync_data()?;
            let inode = file.metadata()?.ino();
            if inner.wal_inode.swap(inode, Ordering::SeqCst) != inode {
                if let Some(dir) = inner
                    .database
                    .parent()
                    .filter(|d| !d.as_os_str().is_empty())
                {
                    File::open(dir)?.sync_all()?;
                } else {
                    File::open(".")?.sync_all()?;
                }
            }
            Ok(())
        }
        Err(error) if error.kind() == std::io::ErrorKind::NotFound => {
            File::open(&inner.database)?.sync_all()
        }
        Err(error) => Err(error),
    }
}

/// The file behind a `sqlite:` URL, unless it is an in-memory database.
pub fn database_file(url: &str) -> Option<PathBuf> {
    let rest = url
        .strip_prefix("sqlite://")
        .or_else(|| url.strip_prefix("sqlite:"))?;
    let path = rest.split('?').next().unwrap_or_default();
    // The path as sqlx opens it: percent-decoded (`my%20db.db` is `my db.db`).
    let path = percent_encoding::percent_decode_str(path).decode_utf8_lossy();
    (!path.is_empty() && !path.contains(":memory:")).then(|| PathBuf::from(path.as_ref()))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn finds_the_file_behind_a_sqlite_url() {
        assert_eq!(
            database_file("sqlite://easypay.db?mode=rwc"),
            Some(PathBuf::from("easypay.db"))
        );
        assert_eq!(
            database_file("sqlite:///tmp/x/e.db"),
            Some(PathBuf::from("/tmp/x/e.db"))
        );
        assert_eq!(
            database_file("sqlite:///tmp/x/my%20db.db"),
            Some(PathBuf::from("/tmp/x/my db.db"))
        );
        assert_eq!(database_file("sqlite::memory:"), None);
        assert_eq!(database_file("postgres://h/db"), None);
    }

    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn many_commits_share_few_syncs_and_each_waits_for_one() {
        let dir = tempfile::tempdir().unwrap();
        let database = dir.path().join("e.db");
        std::fs::write(&database, b"").unwrap();
        let sync = GroupSync::start(&database);
        let waits: Vec<_> = (0..200)
            .map(|_| {
                let sync = sync.clone();
                tokio::spawn(async move {
                    let number = sync.register_commit();
                    sync.wait_for_commit(number).await
                })
            })
            .collect();
        for wait in waits {
            wait.await.unwrap();
        }
        let (commits, syncs) = sync.counts();
        assert_eq!(commits, 200);
        assert!((1..200).contains(&syncs), "{syncs} syncs for 200 commits");
        assert_eq!(*sync.inner.durable.borrow(), 200);
    }
}
