//! SQLite without a thread hand-off: connections (rusqlite) whose statements run on the thread
//! that asks. Through sqlx each statement travels to its connection's own thread and the answer
//! back, two thread wake-ups per statement, which bounded the single writer to ~3,000 write
//! sections a second whatever the batch size (docs/performance.md). These connections are still
//! reached through sqlx's `Executor` trait (as [`super::Conn`]) with [`Any`] rows and arguments, so
//! every query in the store is written once for SQLite and PostgreSQL.
//!
//! SQLite statements take microseconds; the slow part of a durable write, the fsync, stays off
//! these connections (group commit, see [`super::group_sync`]).

use std::borrow::Cow;
use std::fmt;
use std::ops::{Deref, DerefMut};
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::Duration;

use rusqlite::types::ValueRef;
use rusqlite::{Connection, OpenFlags};
use sqlx::any::{AnyQueryResult, AnyRow, AnyTypeInfo, AnyTypeInfoKind};
use sqlx::error::{BoxDynError, DatabaseError, ErrorKind};
use sqlx::{Any, Either, Execute};
use sqlx_core::any::{AnyColumn, AnyValue, AnyValueKind};
use sqlx_core::ext::ustr::UStr;
use tokio::sync::{Mutex, OwnedMutexGuard};

/// Statements kept prepared per connection: every distinct query the gateway runs, with room to spare.
const STATEMENT_CACHE: usize = 128;

/// A reader's page cache, in KiB as SQLite's negative `cache_size` counts it.
const READER_CACHE_KIB: i64 = -256;

/// Idle read connections kept open; more are opened when needed and closed after use.
const IDLE_READERS: usize = 8;

/// SQLite's heap in this process, page caches included, past which SQLite reuses cache pages
/// instead of allocating more. Without it the writer's cache grew past its `cache_size` under load
/// (this build of SQLite keeps every connection's pages in one process-wide cache group), and so
/// did the gateway's memory: +2 MiB a minute (docs/performance.md).
pub const SOFT_HEAP_LIMIT_BYTES: i64 = 4 << 20;

/// SQLite's heap in this process now, in bytes (0 if no SQLite connection was opened).
pub fn memory_used() -> i64 {
    // SAFETY: reads SQLite's global memory counter; callable at any time from any thread.
    unsafe { rusqlite::ffi::sqlite3_memory_used() }
}

/// A SQLite database file: one writing connection, shared behind an async mutex (whoever holds it
/// is the writer; the mutex queues writers fairly, without SQLite's busy loop), and read
/// connections (WAL readers never wait for the writer).
#[derive(Clone)]
pub struct InlineSqlite {
    writer: Arc<Mutex<Connection>>,
    readers: Arc<std::sync::Mutex<Vec<Connection>>>,
    file: PathBuf,
    busy_timeout: Duration,
}

impl InlineSqlite {
    /// Opens the file's writing connection with the pragmas of the pool's connections; `synchronous`
    /// is `NORMAL` under group commit (the shared fsync makes commits durable) and `FULL` otherwise.
    pub fn open(
        file: &Path,
        synchronous: &str,
        busy_timeout: Duration,
    ) -> anyhow::Result<InlineSqlite> {
        let writer = Connection::open_with_flags(
            file,
            OpenFlags::SQLITE_OPEN_READ_WRITE
                | OpenFlags::SQLITE_OPEN_CREATE
                | OpenFlags::SQLITE_OPEN_NO_MUTEX,
        )?;
        writer.pragma_update(None, "journal_mode", "WAL")?;
        writer.pragma_update(None, "synchronous", synchronous)?;
        writer.pragma_update(None, "foreign_keys", "ON")?;
        // Process-wide: it bounds the readers' caches too.
        writer.pragma_update(None, "soft_heap_limit", SOFT_HEAP_LIMIT_BYTES)?;
        writer.busy_timeout(busy_timeout)?;
        writer.set_prepared_statement_cache_capacity(STATEMENT_CACHE);
        Ok(InlineSqlite {
            writer: Arc::new(Mutex::new(writer)),
            readers: Arc::default(),
            file: file.to_owned(),
            busy_timeout,
        })
    }

    /// Waits at most `wait` to become the writer, then opens an `IMMEDIATE` transaction (it takes
    /// SQLite's write lock at once, so another process, such as the CLI, cannot slip in).
    pub async fn begin(&self, wait: Duration) -> Result<InlineConn, BeginError> {
        let writer = tokio::time::timeout(wait, self.writer.clone().lock_owned())
            .await
            .map_err(|_| BeginError::LockWaitExceeded)?;
        writer
            .execute_batch("BEGIN IMMEDIATE")
            .map_err(|error| BeginError::Database(into_sqlx(error)))?;
        Ok(InlineConn {
            held: Held::Writer(writer),
            in_transaction: true,
        })
    }

    /// A read-only connection, outside any transaction (each statement sees the last commit).
    pub fn read(&self) -> Result<InlineConn, sqlx::Error> {
        let idle = self
            .readers
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner())
            .pop();
        let connection = match idle {
            Some(connection) => connection,
            None => self.open_reader().map_err(into_sqlx)?,
        };
        Ok(InlineConn {
            held: Held::Reader {
                connection: Some(connection),
                idle: self.readers.clone(),
            },
            in_transaction: false,
        })
    }

    fn open_reader(&self) -> rusqlite::Result<Connection> {
        let reader = Connection::open_with_flags(
            &self.file,
            OpenFlags::SQLITE_OPEN_READ_ONLY | OpenFlags::SQLITE_OPEN_NO_MUTEX,
        )?;
        reader.busy_timeout(self.busy_timeout)?;
        // Readers look up single rows: a small page cache each keeps the process's memory flat
        // (the cache is emptied anyway by every commit of the writer).
        reader.pragma_update(None, "cache_size", READER_CACHE_KIB)?;
        reader.set_prepared_statement_cache_capacity(STATEMENT_CACHE);
        Ok(reader)
    }
}

#[derive(Debug)]
pub enum BeginError {
    LockWaitExceeded,
    Database(sqlx::Error),
}

/// The writer in a transaction (dropping it without [`InlineConn::commit`] rolls back), or a reader.
pub struct InlineConn {
    held: Held,
    in_transaction: bool,
}

enum Held {
    Writer(OwnedMutexGuard<Connection>),
    /// Given back to `idle` when dropped.
    Reader {
        connection: Option<Connection>,
        idle: Arc<std::sync::Mutex<Vec<Connection>>>,
    },
}

impl Deref for Held {
    type Target = Connection;
    fn deref(&self) -> &Connection {
        match self {
            Held::Writer(writer) => writer,
            Held::Reader { connection, .. } => connection.as_ref().expect("held until dropped"),
        }
    }
}

impl DerefMut for Held {
    fn deref_mut(&mut self) -> &mut Connection {
        match self {
            Held::Writer(writer) => writer,
            Held::Reader { connection, .. } => connection.as_mut().expect("held until dropped"),
        }
    }
}

impl Drop for Held {
    fn drop(&mut self) {
        if let Held::Reader { connection, idle } = self {
            let mut idle = idle.lock().unwrap_or_else(|poisoned| poisoned.into_inner());
            if idle.len() < IDLE_READERS {
                idle.extend(connection.take());
            }
        }
    }
}

impl InlineConn {
    pub fn commit(mut self) -> Result<(), sqlx::Error> {
        self.in_transaction = false;
        if let Err(error) = self.held.execute_batch("COMMIT") {
            // A failed COMMIT may leave the transaction open: end it before the next writer.
            let _ = self.held.execute_batch("ROLLBACK");
            return Err(into_sqlx(error));
        }
        Ok(())
    }

    /// Runs one statement with sqlx's arguments: its rows as [`AnyRow`]s and how many rows it changed.
    fn run(
        &mut self,
        sql: &str,
        arguments: Vec<AnyValueKind<'_>>,
    ) -> Result<(AnyQueryResult, Vec<AnyRow>), sqlx::Error> {
        let connection: &Connection = &self.held;
        let mut statement = connection.prepare_cached(sql).map_err(into_sqlx)?;
        bind(&mut statement, &arguments)?;
        let columns: Vec<AnyColumn> = statement
            .column_names()
            .into_iter()
            .enumerate()
            .map(|(ordinal, name)| AnyColumn {
                ordinal,
                name: UStr::new(name),
                // Decoding checks each value's own type, not the column's.
                type_info: AnyTypeInfo {
                    kind: AnyTypeInfoKind::Null,
                },
            })
            .collect();
        let column_names: Arc<sqlx_core::HashMap<UStr, usize>> = Arc::new(
            columns
                .iter()
                .map(|column| (column.name.clone(), column.ordinal))
                .collect(),
        );
        let mut rows = Vec::new();
        let mut raw_rows = statement.raw_query();
        while let Some(raw) = raw_rows.next().map_err(into_sqlx)? {
            let mut values = Vec::with_capacity(columns.len());
            for index in 0..columns.len() {
                values.push(AnyValue {
                    kind: value(raw.get_ref(index).map_err(into_sqlx)?),
                });
            }
            rows.push(AnyRow {
                column_names: column_names.clone(),
                columns: columns.clone(),
                values,
            });
        }
        drop(raw_rows);
        let rows_affected = if statement.readonly() {
            0
        } else {
            connection.changes()
        };
        Ok((
            AnyQueryResult {
                rows_affected,
                last_insert_id: None,
            },
            rows,
        ))
    }

    fn run_query<'q>(
        &mut self,
        mut query: impl Execute<'q, Any>,
    ) -> Result<(AnyQueryResult, Vec<AnyRow>), sqlx::Error> {
        let arguments = query
            .take_arguments()
            .map_err(sqlx::Error::Encode)?
            .map(|arguments| arguments.values.0)
            .unwrap_or_default();
        self.run(query.sql(), arguments)
    }

    /// Runs `query` now, on this thread: its rows, then its result, as sqlx's `fetch_many` streams them.
    pub fn fetch_many<'q>(
        &mut self,
        query: impl Execute<'q, Any>,
    ) -> Vec<Result<Either<AnyQueryResult, AnyRow>, sqlx::Error>> {
        match self.run_query(query) {
            Ok((result, rows)) => rows
                .into_iter()
                .map(|row| Ok(Either::Right(row)))
                .chain(std::iter::once(Ok(Either::Left(result))))
                .collect(),
            Err(error) => vec![Err(error)],
        }
    }

    /// Runs `query` now, on this thread: its first row.
    pub fn fetch_optional<'q>(
        &mut self,
        query: impl Execute<'q, Any>,
    ) -> Result<Option<AnyRow>, sqlx::Error> {
        self.run_query(query)
            .map(|(_, rows)| rows.into_iter().next())
    }
}

impl Drop for InlineConn {
    fn drop(&mut self) {
        if self.in_transaction {
            let _ = self.held.execute_batch("ROLLBACK");
        }
    }
}

impl fmt::Debug for InlineConn {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let role = match self.held {
            Held::Writer(_) => "writer",
            Held::Reader { .. } => "reader",
        };
        f.debug_struct("InlineConn")
            .field("role", &role)
            .field("in_transaction", &self.in_transaction)
            .finish()
    }
}

/// Binds sqlx's arguments to SQLite's parameters. The store's SQL numbers its parameters (`$1`,
/// `$2`, possibly repeated or out of order): each parameter gets the argument its number names.
fn bind(
    statement: &mut rusqlite::CachedStatement<'_>,
    arguments: &[AnyValueKind<'_>],
) -> Result<(), sqlx::Error> {
    for index in 1..=statement.parameter_count() {
        let number = statement
            .parameter_name(index)
            .and_then(|name| name.strip_prefix(['$', '?']))
            .and_then(|digits| digits.parse::<usize>().ok())
            .unwrap_or(index);
        let argument = arguments
            .get(number - 1)
            .ok_or_else(|| sqlx::Error::Protocol(format!("parameter ${number} has no argument")))?;
        let bound = match argument {
            AnyValueKind::Null(_) => statement.raw_bind_parameter(index, rusqlite::types::Null),
            AnyValueKind::Bool(value) => statement.raw_bind_parameter(index, i64::from(*value)),
            AnyValueKind::SmallInt(value) => statement.raw_bind_parameter(index, i64::from(*value)),
            AnyValueKind::Integer(value) => statement.raw_bind_parameter(index, i64::from(*value)),
            AnyValueKind::BigInt(value) => statement.raw_bind_parameter(index, *value),
            AnyValueKind::Real(value) => statement.raw_bind_parameter(index, f64::from(*value)),
            AnyValueKind::Double(value) => statement.raw_bind_parameter(index, *value),
            AnyValueKind::Text(value) => statement.raw_bind_parameter(index, value.as_ref()),
            AnyValueKind::Blob(value) => statement.raw_bind_parameter(index, value.as_ref()),
            other => {
                return Err(sqlx::Error::Protocol(format!(
                    "no SQLite binding for {other:?}"
                )))
            }
        };
        bound.map_err(into_sqlx)?;
    }
    Ok(())
}

fn value(raw: ValueRef<'_>) -> AnyValueKind<'static> {
    match raw {
        ValueRef::Null => AnyValueKind::Null(AnyTypeInfoKind::Null),
        ValueRef::Integer(value) => AnyValueKind::BigInt(value),
        ValueRef::Real(value) => AnyValueKind::Double(value),
        ValueRef::Text(text) => {
            AnyValueKind::Text(Cow::Owned(String::from_utf8_lossy(text).into_owned()))
        }
        ValueRef::Blob(blob) => AnyValueKind::Blob(Cow::Owned(blob.to_vec())),
    }
}

/// SQLite's errors as sqlx's, with the same kinds (a unique violation stays one).
fn into_sqlx(error: rusqlite::Error) -> sqlx::Error {
    match error {
        rusqlite::Error::SqliteFailure(failure, message) => {
            sqlx::Error::Database(Box::new(SqliteError {
                code: failure.extended_code,
                message: message.unwrap_or_else(|| failure.to_string()),
            }))
        }
        other => sqlx::Error::Protocol(other.to_string()),
    }
}

#[derive(Debug)]
struct SqliteError {
    code: i32,
    message: String,
}

impl fmt::Display for SqliteError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.message)
    }
}

impl std::error::Error for SqliteError {}

impl DatabaseError for SqliteError {
    fn message(&self) -> &str {
        &self.message
    }

    fn code(&self) -> Option<Cow<'_, str>> {
        Some(Cow::Owned(self.code.to_string()))
    }

    fn as_error(&self) -> &(dyn std::error::Error + Send + Sync + 'static) {
        self
    }

    fn as_error_mut(&mut self) -> &mut (dyn std::error::Error + Send + Sync + 'static) {
        self
    }

    fn into_error(self: Box<Self>) -> Box<dyn std::error::Error + Send + Sync + 'static> {
        self
    }

    fn kind(&self) -> ErrorKind {
        match self.code {
            rusqlite::ffi::SQLITE_CONSTRAINT_UNIQUE
            | rusqlite::ffi::SQLITE_CONSTRAINT_PRIMARYKEY => ErrorKind::UniqueViolation,
            rusqlite::ffi::SQLITE_CONSTRAINT_FOREIGNKEY => ErrorKind::ForeignKeyViolation,
            rusqlite::ffi::SQLITE_CONSTRAINT_NOTNULL => ErrorKind::NotNullViolation,
            rusqlite::ffi::SQLITE_CONSTRAINT_CHECK => ErrorKind::CheckViolation,
            _ => ErrorKind::Other,
        }
    }
}

/// What sqlx's `prepare` and `describe` get: the store never asks inline connections for them.
pub fn unsupported(what: &str) -> sqlx::Error {
    let error: BoxDynError = format!("inline SQLite connections do not {what} statements").into();
    sqlx::Error::Configuration(error)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::store::Conn;
    use sqlx::Row;

    async fn database() -> (tempfile::TempDir, InlineSqlite) {
        let dir = tempfile::tempdir().unwrap();
        let sqlite =
            InlineSqlite::open(&dir.path().join("t.db"), "FULL", Duration::from_secs(1)).unwrap();
        let mut tx = Conn::Inline(sqlite.begin(Duration::from_secs(1)).await.unwrap());
        sqlx::query("CREATE TABLE t (id TEXT PRIMARY KEY, a BIGINT NOT NULL, b TEXT, c BIGINT)")
            .execute(&mut tx)
            .await
            .unwrap();
        tx.commit().await.unwrap();
        (dir, sqlite)
    }

    #[tokio::test]
    async fn numbered_parameters_bind_by_number_even_repeated_or_out_of_order() {
        let (_dir, sqlite) = database().await;
        let mut tx = Conn::Inline(sqlite.begin(Duration::from_secs(1)).await.unwrap());
        let inserted = sqlx::query("INSERT INTO t (c, id, a, b) VALUES ($2, $1, $2, $3)")
            .bind("x")
            .bind(42_i64)
            .bind(None::<String>)
            .execute(&mut tx)
            .await
            .unwrap();
        assert_eq!(inserted.rows_affected(), 1);
        let row = sqlx::query("SELECT id, a, b, c FROM t WHERE id = $1")
            .bind("x")
            .fetch_one(&mut tx)
            .await
            .unwrap();
        assert_eq!(row.get::<String, _>("id"), "x");
        assert_eq!(row.get::<i64, _>("a"), 42);
        assert_eq!(row.get::<Option<String>, _>("b"), None);
        assert_eq!(row.get::<i64, _>("c"), 42);
    }

    #[tokio::test]
    async fn a_unique_violation_keeps_its_kind() {
        let (_dir, sqlite) = database().await;
        let mut tx = Conn::Inline(sqlite.begin(Duration::from_secs(1)).await.unwrap());
        let insert = "INSERT INTO t (id, a) VALUES ($1, 1)";
        sqlx::query(insert)
            .bind("x")
            .execute(&mut tx)
            .await
            .unwrap();
        let error = sqlx::query(insert)
            .bind("x")
            .execute(&mut tx)
            .await
            .unwrap_err();
        let kind = error.as_database_error().map(|db| db.kind());
        assert!(matches!(kind, Some(ErrorKind::UniqueViolation)), "{error}");
    }

    #[tokio::test]
    async fn readers_see_commits_and_a_dropped_transaction_rolls_back() {
        let (_dir, sqlite) = database().await;
        let count = |sqlite: InlineSqlite| async move {
            let mut reader = Conn::Inline(sqlite.read().unwrap());
            sqlx::query("SELECT COUNT(*) AS n FROM t")
                .fetch_one(&mut reader)
                .await
                .unwrap()
                .get::<i64, _>("n")
        };
        let mut tx = Conn::Inline(sqlite.begin(Duration::from_secs(1)).await.unwrap());
        sqlx::query("INSERT INTO t (id, a) VALUES ('kept', 1)")
            .execute(&mut tx)
            .await
            .unwrap();
        // Uncommitted: invisible to readers.
        assert_eq!(count(sqlite.clone()).await, 0);
        tx.commit().await.unwrap();
        assert_eq!(count(sqlite.clone()).await, 1);

        let mut tx = Conn::Inline(sqlite.begin(Duration::from_secs(1)).await.unwrap());
        sqlx::query("INSERT INTO t (id, a) VALUES ('dropped', 1)")
            .execute(&mut tx)
            .await
            .unwrap();
        drop(tx);
        assert_eq!(count(sqlite.clone()).await, 1);
        // The writer is free again.
        sqlite.begin(Duration::from_millis(100)).await.unwrap();
    }

    #[tokio::test]
    async fn a_second_writer_waits_at_most_the_bound() {
        let (_dir, sqlite) = database().await;
        let _first = sqlite.begin(Duration::from_secs(1)).await.unwrap();
        let second = sqlite.begin(Duration::from_millis(50)).await;
        assert!(matches!(second, Err(BeginError::LockWaitExceeded)));
    }

    #[tokio::test]
    async fn readers_cannot_write() {
        let (_dir, sqlite) = database().await;
        let mut reader = Conn::Inline(sqlite.read().unwrap());
        let refused = sqlx::query("INSERT INTO t (id, a) VALUES ('r', 1)")
            .execute(&mut reader)
            .await;
        assert!(refused.is_err());
    }

    #[tokio::test]
    async fn opening_the_file_caps_sqlites_heap() {
        let (_dir, sqlite) = database().await;
        let mut reader = Conn::Inline(sqlite.read().unwrap());
        let limit: i64 = sqlx::query_scalar("PRAGMA soft_heap_limit")
            .fetch_one(&mut reader)
            .await
            .unwrap();
        assert_eq!(limit, SOFT_HEAP_LIMIT_BYTES);
        assert!(memory_used() > 0, "open connections use SQLite's heap");
    }
}
