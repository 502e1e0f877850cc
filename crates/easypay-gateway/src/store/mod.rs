//! Durable storage. One SQL dialect for SQLite and PostgreSQL through `sqlx::Any` (`$n` placeholders,
//! `ON CONFLICT`, `RETURNING`), embedded migrations, and write transactions that serialise the way
//! each database needs. A SQLite file's writes and request-path reads run inline, without sqlx's
//! thread hand-off per statement ([`inline_sqlite`]); PostgreSQL's go through sqlx's pool.

pub mod batch;
pub mod billing_keys;
pub mod cancels;
pub mod card_key_check;
pub mod card_payments;
pub mod dashboard;
pub mod deferred;
pub mod group_sync;
pub mod idempotency;
pub mod inline_sqlite;
pub mod merchants;
mod migrations;
pub mod notifications;
pub mod order_numbers;
pub mod payments;
pub mod production_mark;
pub mod registrations;
pub mod retrieval;
mod sqlite_file;

use std::ops::{Deref, DerefMut};
use std::sync::Arc;
use std::time::Duration;

use anyhow::Context;
use futures_util::future::{self, BoxFuture};
use futures_util::stream::{self, BoxStream};
use sqlx::any::{AnyConnectOptions, AnyPoolOptions};
use sqlx::any::{AnyQueryResult, AnyRow, AnyTypeInfo};
use sqlx::pool::PoolConnection;
use sqlx::{Any, AnyPool, Connection, Describe, Either, Execute, Executor, Transaction};
use sqlx_core::any::AnyStatement;
use tokio::sync::{Mutex, Notify, OwnedMutexGuard};

use batch::{BatchCounts, BatchJob, Batcher, Executors};
use deferred::DeferredRows;
use group_sync::GroupSync;
use inline_sqlite::{BeginError, InlineConn, InlineSqlite};

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Backend {
    Sqlite,
    Postgres,
}

/// Why a write transaction could not be opened or finished.
#[derive(Debug, thiserror::Error)]
pub enum StoreError {
    /// Another transaction held the rows (or SQLite's single writer slot) longer than the wait bound.
    #[error("another request held the lock longer than the wait bound")]
    LockWaitExceeded,
    #[error("database error: {0}")]
    Database(#[from] sqlx::Error),
    /// A write section kept asking to be run again (a bug: its second path must settle).
    #[error("a write section did not settle after {0} runs")]
    Unsettled(usize),
}

impl StoreError {
    /// Classifies a database error: a lock timeout is [`StoreError::LockWaitExceeded`].
    pub fn classify(error: sqlx::Error) -> Self {
        let lock_timeout = error
            .as_database_error()
            .and_then(|db| db.code())
            .is_some_and(|code| code == "55P03");
        if lock_timeout {
            StoreError::LockWaitExceeded
        } else {
            StoreError::Database(error)
        }
    }
}

#[derive(Clone)]
pub struct Db {
    pool: AnyPool,
    backend: Backend,
    /// A SQLite file's one writing connection, whose statements run without a thread hand-off.
    sqlite_inline: Option<InlineSqlite>,
    /// SQLite without a file writes through the pool, one writer at a time (queued here, which is
    /// fairer and cheaper than SQLite's busy loop).
    sqlite_pool_writer: Option<Arc<Mutex<()>>>,
    lock_wait: Duration,
    /// Signalled after a transaction that wrote to the notification outbox commits.
    outbox_written: Arc<Notify>,
    /// SQLite files: commits wait for a shared fsync (group commit).
    group_sync: Option<GroupSync>,
    /// Write sections (keyed requests, wallet events, notification attempts), many per
    /// transaction. `None` only in the handles the batcher's own executors hold, so that dropping
    /// the last other handle stops them.
    batcher: Option<Batcher>,
}

/// A PostgreSQL connection idle for longer than this is pinged before use.
const PING_IF_IDLE_FOR: Duration = Duration::from_secs(5);

/// PostgreSQL batches run on this many connections at once (SQLite has one writer).
const POSTGRES_EXECUTORS: usize = 4;

/// How long a PostgreSQL transaction shared by several requests waits for a row lock. Well under
/// PostgreSQL's deadlock check (`deadlock_timeout`, 1 s by default): two batches that lock the same
/// rows in opposite orders (charges on two billing keys, say) give up after this, not after a
/// second in which every request of both batches waits. A wait that is not a deadlock (another
/// batch's commit, a few milliseconds) ends well within it.
pub const SHARED_ROW_LOCK_WAIT: Duration = Duration::from_millis(100);

/// A write transaction. Dropping it without [`WriteTx::commit`] rolls it back.
pub struct WriteTx {
    conn: Conn,
    _writer_slot: Option<OwnedMutexGuard<()>>,
    outbox_written: Arc<Notify>,
    wrote_outbox: bool,
    group_sync: Option<GroupSync>,
    /// Rows left for the batch to insert together before it commits; `None` where every row is
    /// inserted at once (SQLite, and a transaction of one section).
    deferred: Option<DeferredRows>,
    /// The batch section running now, which deferred rows belong to.
    section: usize,
}

impl WriteTx {
    /// Whether new rows may be left for the batch to insert together ([`deferred`]): in a
    /// PostgreSQL transaction shared by several sections, where a statement per row is a round
    /// trip and PostgreSQL's CPU per statement bounds throughput. SQLite's statements run inline
    /// and cost little each.
    pub fn defers_inserts(&self) -> bool {
        self.deferred.is_some()
    }

    /// Leaves a row for the batch's statement on its table. Only for a transaction that
    /// [`WriteTx::defers_inserts`]: callers check first, and insert at once otherwise.
    fn defer_insert(
        &mut self,
        table: deferred::Table,
        identity: Vec<String>,
        values: Vec<deferred::Value>,
    ) {
        let section = self.section;
        self.deferred
            .as_mut()
            .expect("rows are deferred only where the transaction defers them")
            .push(table, section, identity, values);
    }

    /// Leaves the check that `mall_id` names an active merchant to the batch, which checks every
    /// section's at once before its inserts. Only where [`WriteTx::defers_inserts`].
    pub fn require_active_merchant(&mut self, mall_id: &str) {
        let section = self.section;
        self.deferred
            .as_mut()
            .expect("checks are deferred only where the transaction defers rows")
            .require_active_merchant(section, mall_id);
    }

    /// Marks the rows deferred from now on as the section at `index`'s.
    pub(crate) fn enter_section(&mut self, index: usize) {
        self.section = index;
    }

    /// Inserts the deferred rows; returns the sections (ascending) whose rows did not all go in.
    pub(crate) async fn flush_deferred(&mut self) -> Result<Vec<usize>, sqlx::Error> {
        match self.deferred.take() {
            Some(rows) => rows.flush(&mut self.conn).await,
            None => Ok(Vec::new()),
        }
    }

    /// Commits and returns once the commit is on disk.
    pub async fn commit(self) -> Result<(), StoreError> {
        self.commit_pending().await?.durable().await;
        Ok(())
    }

    /// Commits and returns at once, before the commit is on disk: wait for [`Committed::durable`]
    /// before answering anyone. Meanwhile the next writer may start, and its commit shares the
    /// same fsync.
    pub async fn commit_pending(self) -> Result<Committed, StoreError> {
        let WriteTx {
            conn,
            _writer_slot,
            outbox_written,
            wrote_outbox,
            group_sync,
            deferred,
            section: _,
        } = self;
        debug_assert!(
            deferred.is_none_or(|rows| rows.is_empty()),
            "deferred rows are flushed before the commit"
        );
        conn.commit().await.map_err(StoreError::classify)?;
        drop(_writer_slot);
        let ticket = group_sync.map(|sync| {
            let number = sync.register_commit();
            (sync, number)
        });
        Ok(Committed {
            ticket,
            outbox_written: wrote_outbox.then_some(outbox_written),
        })
    }

    /// Notes that this transaction queued a notification, so the worker hears of it on commit.
    pub fn mark_outbox_written(&mut self) {
        self.wrote_outbox = true;
    }
}

/// A committed transaction that may not be on disk yet (SQLite files; PostgreSQL's commit is).
pub struct Committed {
    ticket: Option<(GroupSync, u64)>,
    outbox_written: Option<Arc<Notify>>,
}

impl Committed {
    /// Returns once the commit is on disk, then wakes the notification worker if it queued any.
    pub async fn durable(self) {
        if let Some((sync, number)) = self.ticket {
            sync.wait_for_commit(number).await;
        }
        if let Some(outbox_written) = self.outbox_written {
            outbox_written.notify_one();
        }
    }
}

impl Deref for WriteTx {
    type Target = Conn;
    fn deref(&self) -> &Self::Target {
        &self.conn
    }
}

impl DerefMut for WriteTx {
    fn deref_mut(&mut self) -> &mut Self::Target {
        &mut self.conn
    }
}

/// A connection to run queries on, as on any sqlx executor: a write transaction's ([`WriteTx`]) or
/// a reader's ([`Db::read`]). On a SQLite file both run their statements inline (see
/// [`inline_sqlite`]); elsewhere they are the pool's.
#[derive(Debug)]
pub enum Conn {
    Pooled(PoolConnection<Any>),
    PooledTx(Transaction<'static, Any>),
    Inline(InlineConn),
}

impl Conn {
    /// Commits the transaction this connection is in (outside one, every statement has already).
    pub async fn commit(self) -> Result<(), sqlx::Error> {
        match self {
            Conn::PooledTx(tx) => tx.commit().await,
            Conn::Inline(conn) => conn.commit(),
            Conn::Pooled(_) => Ok(()),
        }
    }
}

impl<'c> Executor<'c> for &'c mut Conn {
    type Database = Any;

    fn fetch_many<'e, 'q: 'e, E>(
        self,
        query: E,
    ) -> BoxStream<'e, Result<Either<AnyQueryResult, AnyRow>, sqlx::Error>>
    where
        'c: 'e,
        E: 'q + Execute<'q, Any>,
    {
        match self {
            Conn::Pooled(conn) => (&mut **conn).fetch_many(query),
            Conn::PooledTx(tx) => (&mut **tx).fetch_many(query),
            Conn::Inline(conn) => Box::pin(stream::iter(conn.fetch_many(query))),
        }
    }

    fn fetch_optional<'e, 'q: 'e, E>(
        self,
        query: E,
    ) -> BoxFuture<'e, Result<Option<AnyRow>, sqlx::Error>>
    where
        'c: 'e,
        E: 'q + Execute<'q, Any>,
    {
        match self {
            Conn::Pooled(conn) => (&mut **conn).fetch_optional(query),
            Conn::PooledTx(tx) => (&mut **tx).fetch_optional(query),
            Conn::Inline(conn) => Box::pin(future::ready(conn.fetch_optional(query))),
        }
    }

    fn prepare_with<'e, 'q: 'e>(
        self,
        sql: &'q str,
        parameters: &'e [AnyTypeInfo],
    ) -> BoxFuture<'e, Result<AnyStatement<'q>, sqlx::Error>>
    where
        'c: 'e,
    {
        match self {
            Conn::Pooled(conn) => (&mut **conn).prepare_with(sql, parameters),
            Conn::PooledTx(tx) => (&mut **tx).prepare_with(sql, parameters),
            Conn::Inline(_) => Box::pin(future::ready(Err(inline_sqlite::unsupported("prepare")))),
        }
    }

    fn describe<'e, 'q: 'e>(self, sql: &'q str) -> BoxFuture<'e, Result<Describe<Any>, sqlx::Error>>
    where
        'c: 'e,
    {
        match self {
            Conn::Pooled(conn) => (&mut **conn).describe(sql),
            Conn::PooledTx(tx) => (&mut **tx).describe(sql),
            Conn::Inline(_) => Box::pin(future::ready(Err(inline_sqlite::unsupported("describe")))),
        }
    }
}

impl Db {
    /// Connects, creating the SQLite file if needed, and applies the embedded migrations.
    /// `lock_wait` bounds how long a write waits for a concurrent one (e.g. the same idempotency key).
    pub async fn connect(url: &str, lock_wait: Duration) -> anyhow::Result<Db> {
        sqlx::any::install_default_drivers();
        let (backend, url) = normalise_url(url)?;
        let options: AnyConnectOptions = url.parse().context("invalid --database-url")?;
        // A database file gets group commit: NORMAL writes the WAL at commit and the shared fsync
        // makes it durable before any answer goes out. Without a file, FULL.
        let file = match backend {
            Backend::Sqlite => group_sync::database_file(&url),
            Backend::Postgres => None,
        };
        if let Some(path) = file.as_deref() {
            sqlite_file::prepare(path)?;
        }
        let group_sync = file.as_deref().map(GroupSync::start);
        let sqlite_synchronous = if group_sync.is_some() {
            "NORMAL"
        } else {
            "FULL"
        };
        let synchronous = format!("PRAGMA synchronous = {sqlite_synchronous}");
        let pool_options = match backend {
            Backend::Sqlite => {
                AnyPoolOptions::new()
                    .max_connections(8)
                    .after_connect(move |conn, _| {
                        let synchronous = synchronous.clone();
                        Box::pin(async move {
                            // WAL: a committed answer survives kill -9; with the fsync (FULL, or the
                            // group commit's), power loss too.
                            for pragma in [
                                "PRAGMA journal_mode = WAL",
                                synchronous.as_str(),
                                "PRAGMA busy_timeout = 10000",
                                "PRAGMA foreign_keys = ON",
                            ] {
                                conn.execute(pragma).await?;
                            }
                            Ok(())
                        })
                    })
            }
            // A connection in steady use is not pinged before each use (that would be one more
            // round trip per request); one that sat idle is, as a server restart may have cut it.
            Backend::Postgres => {
                AnyPoolOptions::new()
                    .max_connections(10)
                    .before_acquire(|conn, meta| {
                        Box::pin(async move {
                            if meta.idle_for > PING_IF_IDLE_FOR {
                                conn.ping().await?;
                            }
                            Ok(true)
                        })
                    })
            }
        };
        // One connection first, and one statement that reads the database: its error names the
        // cause (connection refused, no such database, authentication, a file that is not a
        // SQLite database), where the pool would retry for 10 s and then only say it timed out.
        let probe = match backend {
            // Reads the file's header, and writes it as every connection of the pool will (a
            // file or directory this user cannot write fails here, with its reason).
            Backend::Sqlite => "PRAGMA journal_mode = WAL",
            Backend::Postgres => "SELECT 1",
        };
        let first = tokio::time::timeout(Duration::from_secs(10), async {
            let mut connection = sqlx::AnyConnection::connect_with(&options).await?;
            sqlx::query(probe).execute(&mut connection).await?;
            sqlx::Connection::close(connection).await
        })
        .await;
        let opening = || format!("cannot open the database at {}", redact(&url));
        // SQLite's own messages name neither the file nor its directory.
        let cannot_open = |error: sqlx::Error| {
            let hint = file
                .as_deref()
                .and_then(|path| sqlite_file::hint_for(path, &error));
            let context = match hint {
                Some(hint) => format!("{}: {hint}", opening()),
                None => opening(),
            };
            anyhow::Error::new(error).context(context)
        };
        match first {
            Ok(Ok(())) => {}
            Ok(Err(error)) => return Err(cannot_open(error)),
            Err(_) => anyhow::bail!("{}: no answer within 10 s", opening()),
        }
        // SQLite connections are in-process and never go stale: no ping at all.
        let pool = pool_options
            .test_before_acquire(false)
            .acquire_timeout(Duration::from_secs(10))
            .connect_with(options)
            .await
            .map_err(cannot_open)?;
        match migrations::run(&pool, backend).await {
            Ok(()) => {}
            Err(sqlx::migrate::MigrateError::Execute(error)) => {
                return Err(cannot_open(error).context("cannot apply the database migrations"))
            }
            Err(error) => {
                return Err(
                    anyhow::Error::new(error).context("cannot apply the database migrations")
                )
            }
        }
        let sqlite_inline = match &file {
            Some(file) => Some(
                InlineSqlite::open(file, sqlite_synchronous, lock_wait)
                    .with_context(|| format!("cannot open the database at {}", redact(&url)))?,
            ),
            None => None,
        };
        let sqlite_pool_writer = (backend == Backend::Sqlite && sqlite_inline.is_none())
            .then(|| Arc::new(Mutex::new(())));
        let mut db = Db {
            pool,
            backend,
            sqlite_inline,
            sqlite_pool_writer,
            lock_wait,
            outbox_written: Arc::new(Notify::new()),
            group_sync,
            batcher: None,
        };
        let executors = match (&db.sqlite_inline, backend) {
            (Some(_), _) => Executors::OwnThread,
            (None, Backend::Sqlite) => Executors::Tasks(1),
            (None, Backend::Postgres) => Executors::Tasks(POSTGRES_EXECUTORS),
        };
        db.batcher = Some(Batcher::start(&db, executors));
        Ok(db)
    }

    /// Connects to a database that must exist already: the CLI's administration commands, for which
    /// a mistyped path must not create an empty database that no gateway reads.
    pub async fn connect_existing(url: &str, lock_wait: Duration) -> anyhow::Result<Db> {
        if let Some(file) = group_sync::database_file(url) {
            anyhow::ensure!(
                file.exists(),
                "no database at {}: `easypay serve` creates it; pass the --database-url (or \
                 EASYPAY_DATABASE_URL) the gateway runs with",
                file.display()
            );
        } else if normalise_url(url)?.0 == Backend::Postgres && !has_a_schema(url).await {
            anyhow::bail!(
                "no easypay tables in the database at {}: `easypay serve` creates them; pass the \
                 --database-url (or EASYPAY_DATABASE_URL) the gateway runs with",
                redact(url)
            );
        }
        Db::connect(url, lock_wait).await
    }

    /// Queues a write section for the next batch (see [`batch`]); `Err` gives it back when the
    /// executors are gone.
    pub fn submit(&self, job: Box<dyn BatchJob>) -> Result<(), Box<dyn BatchJob>> {
        match &self.batcher {
            Some(batcher) => batcher.submit(job),
            None => Err(job),
        }
    }

    /// Queues a write section for the next batch or, when that cannot be, runs it alone now. The
    /// section answers its request itself (see [`BatchJob::deliver`]).
    pub async fn run(&self, job: Box<dyn BatchJob>) {
        if let Err(job) = self.submit(job) {
            batch::run_alone(self, job).await;
        }
    }

    /// Sections committed, in how many transactions, and batches that were run again one by one.
    pub fn batch_counts(&self) -> Option<BatchCounts> {
        self.batcher.as_ref().map(Batcher::counts)
    }

    /// Group commit's counts for SQLite files: (commits, fsyncs).
    pub fn group_commit_counts(&self) -> Option<(u64, u64)> {
        self.group_sync.as_ref().map(GroupSync::counts)
    }

    /// Notified whenever a transaction that queued a notification commits.
    pub fn outbox_written(&self) -> Arc<Notify> {
        self.outbox_written.clone()
    }

    pub fn backend(&self) -> Backend {
        self.backend
    }

    /// The pool, for statements that need no transaction. Reads go through [`Db::read`].
    pub fn pool(&self) -> &AnyPool {
        &self.pool
    }

    /// A connection for reads outside a write transaction (each statement sees the last commit).
    pub async fn read(&self) -> Result<Conn, sqlx::Error> {
        match &self.sqlite_inline {
            Some(sqlite) => sqlite.read().map(Conn::Inline),
            None => self.pool.acquire().await.map(Conn::Pooled),
        }
    }

    /// Opens a write transaction, waiting at most the lock-wait bound for a concurrent writer.
    pub async fn begin_write(&self) -> Result<WriteTx, StoreError> {
        self.begin(self.lock_wait).await
    }

    /// Opens the transaction that a batch of `sections` write sections shares. With more than one
    /// section, a PostgreSQL row lock is waited for at most [`SHARED_ROW_LOCK_WAIT`]; the section that
    /// gives up then runs again alone, with the whole lock-wait bound, so no answer changes.
    pub async fn begin_batch(&self, sections: usize) -> Result<WriteTx, StoreError> {
        let row_lock_wait = if sections > 1 {
            self.lock_wait.min(SHARED_ROW_LOCK_WAIT)
        } else {
            self.lock_wait
        };
        let mut tx = self.begin(row_lock_wait).await?;
        if sections > 1 && self.backend == Backend::Postgres {
            tx.deferred = Some(DeferredRows::default());
        }
        Ok(tx)
    }

    /// `row_lock_wait` bounds PostgreSQL's row locks; SQLite's single writer waits `lock_wait`.
    async fn begin(&self, row_lock_wait: Duration) -> Result<WriteTx, StoreError> {
        if let Some(sqlite) = &self.sqlite_inline {
            let tx = sqlite
                .begin(self.lock_wait)
                .await
                .map_err(|error| match error {
                    BeginError::LockWaitExceeded => StoreError::LockWaitExceeded,
                    BeginError::Database(error) => StoreError::classify(error),
                })?;
            return Ok(self.write_tx(Conn::Inline(tx), None));
        }
        match self.backend {
            Backend::Sqlite => {
                let slot = self
                    .sqlite_pool_writer
                    .clone()
                    .expect("SQLite without a file writes through the pool");
                let guard = tokio::time::timeout(self.lock_wait, slot.lock_owned())
                    .await
                    .map_err(|_| StoreError::LockWaitExceeded)?;
                // IMMEDIATE takes the write lock now, so another process (the CLI) cannot slip in.
                let tx = self
                    .pool
                    .begin_with("BEGIN IMMEDIATE")
                    .await
                    .map_err(StoreError::classify)?;
                Ok(self.write_tx(Conn::PooledTx(tx), Some(guard)))
            }
            Backend::Postgres => {
                // One round trip: BEGIN and the lock bound go as one simple query.
                let millis = row_lock_wait.as_millis();
                let tx = self
                    .pool
                    .begin_with(format!("BEGIN; SET LOCAL lock_timeout = '{millis}ms'"))
                    .await
                    .map_err(StoreError::classify)?;
                Ok(self.write_tx(Conn::PooledTx(tx), None))
            }
        }
    }

    fn write_tx(&self, conn: Conn, slot: Option<OwnedMutexGuard<()>>) -> WriteTx {
        WriteTx {
            conn,
            _writer_slot: slot,
            outbox_written: self.outbox_written.clone(),
            wrote_outbox: false,
            group_sync: self.group_sync.clone(),
            deferred: None,
            section: 0,
        }
    }

    pub async fn close(&self) {
        self.pool.close().await;
    }
}

/// Whether a PostgreSQL database has had the gateway's migrations. A database that cannot be
/// reached counts as having them: [`Db::connect`] then says why it cannot be reached.
async fn has_a_schema(url: &str) -> bool {
    sqlx::any::install_default_drivers();
    let looked = tokio::time::timeout(Duration::from_secs(10), async {
        let mut connection = sqlx::AnyConnection::connect(url).await?;
        let found: (bool,) = sqlx::query_as("SELECT to_regclass('_sqlx_migrations') IS NOT NULL")
            .fetch_one(&mut connection)
            .await?;
        sqlx::Connection::close(connection).await?;
        Ok::<bool, sqlx::Error>(found.0)
    })
    .await;
    !matches!(looked, Ok(Ok(false)))
}

/// Recognises the backend and makes a bare SQLite path creatable (`mode=rwc`).
fn normalise_url(url: &str) -> anyhow::Result<(Backend, String)> {
    if url.starts_with("postgres://") || url.starts_with("postgresql://") {
        return Ok((Backend::Postgres, url.to_owned()));
    }
    if url.starts_with("sqlite:") {
        if url.contains("mode=") || url.contains(":memory:") {
            return Ok((Backend::Sqlite, url.to_owned()));
        }
        let separator = if url.contains('?') { '&' } else { '?' };
        return Ok((Backend::Sqlite, format!("{url}{separator}mode=rwc")));
    }
    anyhow::bail!(
        "--database-url must start with sqlite: or postgres:// (got {})",
        redact(url)
    )
}

/// The URL without its password, for messages.
pub fn redact(url: &str) -> String {
    let Ok(mut parsed) = url::Url::parse(url) else {
        return url.to_owned();
    };
    if parsed.password().is_some() {
        let _ = parsed.set_password(Some("***"));
    }
    // PostgreSQL also takes the password as a query parameter.
    if parsed
        .query_pairs()
        .any(|(name, _)| name.eq_ignore_ascii_case("password"))
    {
        let pairs: Vec<(String, String)> = parsed
            .query_pairs()
            .map(|(name, value)| {
                let value = if name.eq_ignore_ascii_case("password") {
                    "***".to_owned()
                } else {
                    value.into_owned()
                };
                (name.into_owned(), value)
            })
            .collect();
        parsed.query_pairs_mut().clear().extend_pairs(pairs);
    }
    parsed.to_string()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sqlite_paths_become_creatable() {
        assert_eq!(
            normalise_url("sqlite://easypay.db").unwrap(),
            (Backend::Sqlite, "sqlite://easypay.db?mode=rwc".to_owned())
        );
        assert_eq!(
            normalise_url("sqlite://x.db?mode=ro").unwrap().1,
            "sqlite://x.db?mode=ro"
        );
        assert_eq!(
            normalise_url("postgres://u@h/db").unwrap().0,
            Backend::Postgres
        );
        assert!(normalise_url("mysql://h/db").is_err());
    }

    #[test]
    fn passwords_are_redacted() {
        assert_eq!(redact("postgres://u:secret@h/db"), "postgres://u:***@h/db");
        assert_eq!(redact("sqlite://easypay.db"), "sqlite://easypay.db");
        assert_eq!(
            redact("postgres://u@h/db?password=pw2&sslmode=disable"),
            "postgres://u@h/db?password=***&sslmode=disable"
        );
    }
}
