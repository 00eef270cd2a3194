//! The embedded storage adapter: SQLite (built with SQLCipher) in WAL mode.
//!
//! One database file per data directory, one `WITHOUT ROWID` table of
//! `(k BLOB PRIMARY KEY, v BLOB)` per keyspace, so that a range scan is a
//! B-tree seek. A single write connection serves the (single) writer; reads
//! come from a pool of connections, each read view one read transaction.

use std::cell::Cell;
use std::fmt::Write as _;
use std::fs::File;
use std::ops::Bound;
use std::path::{Path, PathBuf};
use std::sync::mpsc::{sync_channel, SyncSender};
use std::sync::{Arc, Mutex, MutexGuard};
use std::thread::JoinHandle;

use rusqlite::wal::CheckpointMode;
use rusqlite::{params_from_iter, Connection, OpenFlags, OptionalExtension};

use crate::checksum;
pub use crate::data_dir::KEYRING_FILE;
use crate::data_dir::{self, Contents, DATABASE_FILE, LOCK_FILE};
use crate::health::{StorageHealth, WriteState};
use crate::private_files;
use crate::sqlite_cipher::{self, DatabaseKey, StoredFormat};
use crate::sqlite_faults::{keep_wal_if_stopped, switch_to_wal, write_error};
use crate::{validate_keyspace, Direction, KeyRange, ReadView, Result, Storage, StorageError, Visit, WriteTransaction};

/// Marks a SQLite file as Halyard's (`PRAGMA application_id`): "HALY".
pub(crate) const APPLICATION_ID: i64 = 0x4841_4C59;
/// The on-disk format this build writes (`PRAGMA user_version`). Format 1
/// stored values without checksums; opening it adds them.
pub const FORMAT_VERSION: i64 = 2;
const FORMAT_WITHOUT_CHECKSUMS: i64 = 1;
/// Pages are read through a memory map of up to this size (per connection:
/// it bounds resident memory, not the data size), saving a read
/// system call and a copy per page (they are page cache, not heap).
const MMAP_BYTES: u64 = 64 * 1024 * 1024;
/// SQLite's "unix-excl" VFS: the process takes one exclusive lock on the
/// database file and its connections coordinate in memory, with the WAL
/// index on the heap instead of a shared-memory file. That removes the
/// fcntl() lock and unlock system calls every transaction otherwise makes
/// (several per request), and costs nothing: the directory lock already
/// keeps other processes out.
const EXCLUSIVE_VFS: &str = "unix-excl";
/// Prefix of the SQL table that holds a keyspace.
const TABLE_PREFIX: &str = "ks_";
/// WAL size, in pages, at which a commit asks for a checkpoint (SQLite's
/// own auto-checkpoint threshold).
const CHECKPOINT_PAGES: i32 = 1000;
/// WAL size, in pages, at which the writer finishes the checkpoint itself.
const WRITER_CHECKPOINT_PAGES: i32 = 4000;

/// When a committed write is on stable storage.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Durability {
    /// fsync before a commit returns: survives power loss.
    Full,
    /// Survives a process crash, but the last few commits may be lost on
    /// power loss (the WAL is synced at checkpoints only).
    Relaxed,
    /// No syncing at all: for throw-away instances.
    None,
}

/// SQLite's own default page cache (2000 KiB), per connection.
pub const SQLITE_DEFAULT_PAGE_CACHE_BYTES: u64 = 2000 * 1024;

/// Options for [`SqliteStorage::open`].
#[derive(Debug, Clone)]
pub struct SqliteOptions {
    pub durability: Durability,
    /// The SQLCipher key that encrypts the database and its WAL; `None`
    /// for a plaintext database.
    pub key: Option<DatabaseKey>,
    /// Most bytes of decoded pages each connection keeps. An encrypted page
    /// read from the file costs a decryption and an HMAC; a cached one
    /// costs nothing.
    pub page_cache_bytes: u64,
    /// Read connections kept open for reuse.
    pub read_pool_size: usize,
    /// Whether a new (empty) data directory gets a new database; if not,
    /// opening it fails with [`StorageError::NoDatabase`].
    pub create_if_new: bool,
}

impl Default for SqliteOptions {
    fn default() -> Self {
        SqliteOptions {
            durability: Durability::Full,
            key: None,
            page_cache_bytes: SQLITE_DEFAULT_PAGE_CACHE_BYTES,
            read_pool_size: 8,
            create_if_new: true,
        }
    }
}

pub struct SqliteStorage {
    path: PathBuf,
    writer: Mutex<Connection>,
    readers: Mutex<Vec<Connection>>,
    options: SqliteOptions,
    health: Arc<StorageHealth>,
    /// Runs until the store is dropped (after the writer's connection).
    _checkpointer: Checkpointer,
    /// Held for the lifetime of the store: one server per data directory.
    _lock: File,
}

/// Copies the WAL back into the database, mostly on a thread of its own.
///
/// SQLite's auto-checkpoint runs inside the commit that crosses the
/// threshold, so one write in every ~1000 pages would wait for the whole
/// copy and the database file's fsync, and the single writer with it. Here
/// the writer's commit only signals this thread, whose PASSIVE checkpoint
/// copies beside the writer (SQLite lets one checkpointer and one writer
/// work on the WAL at once).
///
/// That alone never lets the WAL start over under a steady stream of
/// writes: SQLite rewinds the WAL only when a checkpoint has copied all of
/// it, and a copy running beside the writer is always behind. So once the
/// WAL reaches [`WRITER_CHECKPOINT_PAGES`], the writer's commit runs the
/// checkpoint itself: it copies only what the thread has not copied yet,
/// and the next write starts the WAL from its beginning.
struct Checkpointer {
    signal: Option<SyncSender<()>>,
    /// Held by whoever checkpoints: the thread or the writer, one at a time.
    turn: Arc<Mutex<()>>,
    thread: Option<JoinHandle<()>>,
}

impl Checkpointer {
    fn start(connection: Connection, health: Arc<StorageHealth>) -> std::io::Result<Checkpointer> {
        // One pending signal is enough: a checkpoint covers every commit
        // before it.
        let (signal, signals) = sync_channel::<()>(1);
        let turn = Arc::new(Mutex::new(()));
        let thread_turn = turn.clone();
        let thread = std::thread::Builder::new()
            .name("halyard-checkpoint".into())
            .spawn(move || {
                while signals.recv().is_ok() {
                    if health.state() == WriteState::Stopped {
                        continue;
                    }
                    let _turn = lock(&thread_turn);
                    if let Err(error) = connection.wal_checkpoint_v2(None::<&str>, CheckpointMode::PASSIVE) {
                        let error = write_error(&health, error);
                        tracing::warn!(%error, "WAL checkpoint failed; the next signal retries it");
                    }
                }
                keep_wal_if_stopped(&connection, &health);
            })?;
        Ok(Checkpointer {
            signal: Some(signal),
            turn,
            thread: Some(thread),
        })
    }

    /// Gives the writer connection a WAL hook that replaces SQLite's
    /// auto-checkpoint: it wakes the thread once the WAL is big enough, and
    /// checkpoints in the writer once it is too big.
    fn attach(&self, writer: &mut Connection, health: Arc<StorageHealth>) -> Result<()> {
        let signal = self.signal.clone().expect("attached before shutdown");
        let turn = self.turn.clone();
        writer
            .wal_hook(Some(move |wal: &mut rusqlite::hooks::Wal, pages: i32| {
                if health.state() == WriteState::Stopped {
                    return Ok(());
                }
                if pages >= WRITER_CHECKPOINT_PAGES {
                    let _turn = lock(&turn);
                    if let Err(error) = wal.checkpoint_v2(CheckpointMode::PASSIVE) {
                        let error = write_error(&health, error);
                        tracing::warn!(%error, "WAL checkpoint failed; the next commit retries it");
                    }
                } else if pages >= CHECKPOINT_PAGES {
                    let _ = signal.try_send(());
                }
                // An error here would fail a commit that has already happened.
                Ok(())
            }))
            .map_err(engine_error)
    }
}

impl Drop for Checkpointer {
    fn drop(&mut self) {
        self.signal.take();
        if let Some(thread) = self.thread.take() {
            let _ = thread.join();
        }
    }
}

pub(crate) fn engine_error(error: rusqlite::Error) -> StorageError {
    match error.sqlite_error_code() {
        Some(rusqlite::ErrorCode::DatabaseCorrupt | rusqlite::ErrorCode::NotADatabase) => {
            StorageError::Corrupt(error.to_string())
        }
        _ => StorageError::Engine(error.to_string()),
    }
}

impl SqliteStorage {
    /// Opens (creating if needed) the store in `dir`, locking the directory.
    pub fn open(dir: &Path, options: SqliteOptions) -> Result<SqliteStorage> {
        let dir_display = dir.display().to_string();
        let lock = lock_dir(dir, options.create_if_new)?;
        let path = match data_dir::inspect(dir, options.key.is_some())? {
            Contents::Existing => {
                sqlite_cipher::remove_reencryption_leftovers(dir)?;
                dir.join(DATABASE_FILE)
            }
            Contents::New if options.create_if_new => {
                data_dir::create(dir, |path| initialise(path, options.key.as_ref()))?
            }
            Contents::New => return Err(StorageError::NoDatabase { path: dir_display }),
        };
        let mut writer = open_connection(&path, &options)?;
        check_format(&writer, &path)?;
        // Only once the directory is known to be a data directory: a wrong
        // --data-dir (a home directory) is refused above, untouched.
        private_files::tighten_data_dir(dir);
        let health = Arc::new(StorageHealth::default());
        let checkpointer = Checkpointer::start(open_connection(&path, &options)?, health.clone())?;
        checkpointer.attach(&mut writer, health.clone())?;
        Ok(SqliteStorage {
            path,
            writer: Mutex::new(writer),
            readers: Mutex::new(Vec::new()),
            options,
            health,
            _checkpointer: checkpointer,
            _lock: lock,
        })
    }

    fn take_reader(&self) -> Result<Connection> {
        if let Some(connection) = lock(&self.readers).pop() {
            return Ok(connection);
        }
        open_connection(&self.path, &self.options)
    }

    fn return_reader(&self, connection: Connection) {
        let mut pool = lock(&self.readers);
        if pool.len() < self.options.read_pool_size {
            pool.push(connection);
        }
    }
}

impl Drop for SqliteStorage {
    fn drop(&mut self) {
        keep_wal_if_stopped(&lock(&self.writer), &self.health);
        for reader in lock(&self.readers).iter() {
            keep_wal_if_stopped(reader, &self.health);
        }
    }
}

/// Takes `dir`'s lock (creating the directory first if `create`): one
/// process per data directory.
pub(crate) fn lock_dir(dir: &Path, create: bool) -> Result<File> {
    let dir_display = dir.display().to_string();
    if create {
        private_files::create_dir_all(dir)?;
    } else if !dir.is_dir() {
        return Err(StorageError::NoDatabase { path: dir_display });
    }
    let lock = private_files::open_options()
        .create(true)
        .truncate(false)
        .write(true)
        .open(dir.join(LOCK_FILE))?;
    match lock.try_lock() {
        Ok(()) => Ok(lock),
        Err(std::fs::TryLockError::WouldBlock) => Err(StorageError::Locked { path: dir_display }),
        Err(std::fs::TryLockError::Error(e)) => Err(e.into()),
    }
}

/// What the database file in `dir` is, from its first bytes (without
/// opening or locking it): so that a caller can tell, before choosing a
/// key, whether there is a database and whether it is encrypted.
pub fn stored_format(dir: &Path) -> std::io::Result<StoredFormat> {
    sqlite_cipher::format_of(&dir.join(DATABASE_FILE))
}

/// Whether `dir` would get a new database (it is missing, empty, or holds
/// only what Halyard leaves in a new directory), without locking it:
/// refused, like [`SqliteStorage::open`] refuses it, if it holds files that
/// say a database was lost or that it is not a data directory.
pub fn is_new_data_dir(dir: &Path) -> Result<bool> {
    if !dir.exists() {
        return Ok(true);
    }
    Ok(data_dir::inspect(dir, true)? == Contents::New)
}

fn lock<T>(mutex: &Mutex<T>) -> MutexGuard<'_, T> {
    // A panic while holding a connection leaves no half-done state behind
    // (transactions roll back on drop), so a poisoned lock is still usable.
    mutex.lock().unwrap_or_else(|poisoned| poisoned.into_inner())
}

/// Builds a new, empty Halyard database at `path` (see [`data_dir::create`]).
fn initialise(path: &Path, key: Option<&DatabaseKey>) -> Result<()> {
    let flags = OpenFlags::SQLITE_OPEN_READ_WRITE | OpenFlags::SQLITE_OPEN_CREATE | OpenFlags::SQLITE_OPEN_NO_MUTEX;
    let connection = Connection::open_with_flags(path, flags).map_err(engine_error)?;
    if let Some(key) = key {
        sqlite_cipher::apply_key(&connection, key)?;
    }
    connection
        .execute_batch(&format!(
            "PRAGMA application_id = {APPLICATION_ID};
             PRAGMA user_version = {FORMAT_VERSION};"
        ))
        .map_err(engine_error)?;
    switch_to_wal(&connection).map_err(engine_error)?;
    // Closing the last connection checkpoints the WAL into the file.
    connection.close().map_err(|(_, error)| engine_error(error))
}

pub(crate) fn open_connection(path: &Path, options: &SqliteOptions) -> Result<Connection> {
    // Never SQLITE_OPEN_CREATE: a database file that is missing here was
    // lost, and must not come back empty.
    let flags = OpenFlags::SQLITE_OPEN_READ_WRITE | OpenFlags::SQLITE_OPEN_NO_MUTEX;
    let connection = Connection::open_with_flags_and_vfs(path, flags, EXCLUSIVE_VFS).map_err(engine_error)?;
    if let Some(key) = &options.key {
        sqlite_cipher::apply_key(&connection, key)?;
        // The first read of page 1 tells whether the key decrypts it.
        connection
            .query_row("SELECT count(*) FROM sqlite_schema", [], |_| Ok(()))
            .map_err(|error| {
                if sqlite_cipher::is_wrong_key(&error) {
                    StorageError::WrongKey {
                        path: path.display().to_string(),
                    }
                } else {
                    engine_error(error)
                }
            })?;
        // Sorts and temporary tables stay in memory: SQLite's temporary
        // files would hold row data outside the encrypted database.
        connection
            .execute_batch("PRAGMA temp_store = MEMORY;")
            .map_err(engine_error)?;
    }
    let synchronous = match options.durability {
        Durability::Full => "FULL",
        Durability::Relaxed => "NORMAL",
        Durability::None => "OFF",
    };
    let mode = switch_to_wal(&connection).map_err(|e| foreign_or_engine(path, e))?;
    if !mode.eq_ignore_ascii_case("wal") {
        return Err(StorageError::Engine(format!(
            "{} stayed in journal mode {mode:?}, not WAL",
            path.display()
        )));
    }
    connection
        .execute_batch(&format!(
            "PRAGMA synchronous = {synchronous};
             PRAGMA busy_timeout = 10000;
             PRAGMA mmap_size = {MMAP_BYTES};
             PRAGMA cache_size = -{cache_kib};
             PRAGMA cell_size_check = ON;",
            cache_kib = (options.page_cache_bytes / 1024).max(1)
        ))
        .map_err(|e| foreign_or_engine(path, e))?;
    connection.set_prepared_statement_cache_capacity(64);
    Ok(connection)
}

fn foreign_or_engine(path: &Path, error: rusqlite::Error) -> StorageError {
    match error.sqlite_error_code() {
        Some(rusqlite::ErrorCode::NotADatabase) | Some(rusqlite::ErrorCode::DatabaseCorrupt) => StorageError::Foreign {
            path: path.display().to_string(),
            reason: error.to_string(),
        },
        _ => engine_error(error),
    }
}

/// Refuses someone else's database or a newer format.
pub(crate) fn check_format(connection: &Connection, path: &Path) -> Result<()> {
    let pragma = |name: &str| -> Result<i64> {
        connection
            .query_row(&format!("PRAGMA {name}"), [], |row| row.get(0))
            .map_err(|e| foreign_or_engine(path, e))
    };
    let application_id = pragma("application_id")?;
    if application_id != APPLICATION_ID {
        return Err(StorageError::Foreign {
            path: path.display().to_string(),
            reason: format!("SQLite application_id is {application_id:#x}, not Halyard's"),
        });
    }
    let found = pragma("user_version")?;
    if found > FORMAT_VERSION {
        return Err(StorageError::NewerFormat {
            path: path.display().to_string(),
            found,
            supported: FORMAT_VERSION,
        });
    }
    if found == FORMAT_WITHOUT_CHECKSUMS {
        add_checksums(connection)?;
    }
    Ok(())
}

/// Rewrites a format-1 database's values with their checksums, in one
/// transaction (a crash leaves format 1, and the next start does it again).
fn add_checksums(connection: &Connection) -> Result<()> {
    const ROWS_PER_READ: i64 = 1000;
    let tables: Vec<String> = connection
        .prepare("SELECT name FROM sqlite_schema WHERE type = 'table' AND substr(name, 1, 3) = ?1")
        .and_then(|mut statement| {
            statement
                .query_map([TABLE_PREFIX], |row| row.get(0))?
                .collect::<rusqlite::Result<_>>()
        })
        .map_err(engine_error)?;
    tracing::info!("adding value checksums to a format-1 database (once; every value is rewritten)");
    connection.execute_batch("BEGIN IMMEDIATE").map_err(engine_error)?;
    for table in tables {
        let mut after: Option<Vec<u8>> = None;
        loop {
            let rows: Vec<(Vec<u8>, Vec<u8>)> = connection
                .prepare(&format!(
                    "SELECT k, v FROM {table} WHERE ?1 IS NULL OR k > ?1 ORDER BY k LIMIT {ROWS_PER_READ}"
                ))
                .and_then(|mut statement| {
                    statement
                        .query_map([&after], |row| Ok((row.get(0)?, row.get(1)?)))?
                        .collect::<rusqlite::Result<_>>()
                })
                .map_err(engine_error)?;
            for (key, value) in &rows {
                connection
                    .execute(
                        &format!("UPDATE {table} SET v = ?2 WHERE k = ?1"),
                        [key, &checksum::seal(key, value)],
                    )
                    .map_err(engine_error)?;
            }
            let full = rows.len() as i64 == ROWS_PER_READ;
            match rows.into_iter().last() {
                Some((key, _)) if full => after = Some(key),
                _ => break,
            }
        }
    }
    connection
        .execute_batch(&format!("PRAGMA user_version = {FORMAT_VERSION}; COMMIT;"))
        .map_err(engine_error)
}

/// Runs a statement without parameters through the statement cache (no
/// parsing on the hot path).
fn run_cached(connection: &Connection, sql: &str) -> rusqlite::Result<()> {
    connection
        .prepare_cached(sql)
        .and_then(|mut statement| statement.execute([]))?;
    Ok(())
}

fn table_name(keyspace: &str) -> Result<String> {
    validate_keyspace(keyspace)?;
    Ok(format!("{TABLE_PREFIX}{keyspace}"))
}

thread_local! {
    /// The text of the statement about to run, kept per thread: rusqlite
    /// finds the prepared statement by this text, so that building it for
    /// each get, scan, put and delete need not allocate.
    static SQL_TEXT: Cell<String> = const { Cell::new(String::new()) };
}

/// Runs `run` with the SQL that `write` puts into the thread's buffer. (A
/// read nested in `run`, if any, finds the buffer taken and uses a new one.)
fn with_sql<T>(write: impl FnOnce(&mut String), run: impl FnOnce(&str) -> Result<T>) -> Result<T> {
    let mut sql = SQL_TEXT.take();
    sql.clear();
    write(&mut sql);
    let result = run(&sql);
    SQL_TEXT.set(sql);
    result
}

fn get(connection: &Connection, keyspace: &str, key: &[u8]) -> Result<Option<Vec<u8>>> {
    validate_keyspace(keyspace)?;
    let stored: Option<Vec<u8>> = with_sql(
        |sql| {
            let _ = write!(sql, "SELECT v FROM {TABLE_PREFIX}{keyspace} WHERE k = ?1");
        },
        |sql| {
            let mut statement = connection.prepare_cached(sql).map_err(engine_error)?;
            statement
                .query_row([key], |row| row.get(0))
                .optional()
                .map_err(engine_error)
        },
    )?;
    let Some(mut stored) = stored else {
        return Ok(None);
    };
    let length = checksum::unseal(keyspace, key, &stored)?.len();
    stored.truncate(length);
    Ok(Some(stored))
}

fn scan(
    connection: &Connection,
    keyspace: &str,
    range: KeyRange<'_>,
    direction: Direction,
    visit: &mut dyn FnMut(&[u8], &[u8]) -> Visit,
) -> Result<()> {
    validate_keyspace(keyspace)?;
    let mut bounds: [(&[u8], &str); 2] = [(&[], ""); 2];
    let mut bound_count = 0;
    for (bound, inclusive, exclusive) in [(range.start, ">=", ">"), (range.end, "<=", "<")] {
        let (key, operator) = match bound {
            Bound::Included(key) => (key, inclusive),
            Bound::Excluded(key) => (key, exclusive),
            Bound::Unbounded => continue,
        };
        bounds[bound_count] = (key, operator);
        bound_count += 1;
    }
    let bounds = &bounds[..bound_count];
    let write = |sql: &mut String| {
        let _ = write!(sql, "SELECT k, v FROM {TABLE_PREFIX}{keyspace}");
        for (number, (_, operator)) in bounds.iter().enumerate() {
            sql.push_str(if number == 0 { " WHERE " } else { " AND " });
            let _ = write!(sql, "k {operator} ?{}", number + 1);
        }
        sql.push_str(match direction {
            Direction::Forward => " ORDER BY k ASC",
            Direction::Backward => " ORDER BY k DESC",
        });
    };
    with_sql(write, |sql| {
        let mut statement = connection.prepare_cached(sql).map_err(engine_error)?;
        let mut rows = statement
            .query(params_from_iter(bounds.iter().map(|(key, _)| key)))
            .map_err(engine_error)?;
        while let Some(row) = rows.next().map_err(engine_error)? {
            let key = row.get_ref(0).and_then(|v| v.as_blob().map_err(Into::into));
            let value = row.get_ref(1).and_then(|v| v.as_blob().map_err(Into::into));
            let (key, stored) = (key.map_err(engine_error)?, value.map_err(engine_error)?);
            if visit(key, checksum::unseal(keyspace, key, stored)?) == Visit::Stop {
                break;
            }
        }
        Ok(())
    })
}

fn check_integrity(connection: &Connection) -> Result<Vec<String>> {
    let mut statement = connection.prepare("PRAGMA integrity_check").map_err(engine_error)?;
    let lines = statement
        .query_map([], |row| row.get::<_, String>(0))
        .and_then(|rows| rows.collect::<rusqlite::Result<Vec<String>>>())
        .map_err(engine_error)?;
    Ok(lines.into_iter().filter(|line| line != "ok").collect())
}

/// A read transaction on a pooled connection.
struct SqliteReadView<'a> {
    storage: &'a SqliteStorage,
    connection: Option<Connection>,
}

impl SqliteReadView<'_> {
    fn connection(&self) -> &Connection {
        self.connection.as_ref().expect("connection present until drop")
    }
}

impl ReadView for SqliteReadView<'_> {
    fn get(&self, keyspace: &str, key: &[u8]) -> Result<Option<Vec<u8>>> {
        get(self.connection(), keyspace, key)
    }
    fn scan(
        &self,
        keyspace: &str,
        range: KeyRange<'_>,
        direction: Direction,
        visit: &mut dyn FnMut(&[u8], &[u8]) -> Visit,
    ) -> Result<()> {
        scan(self.connection(), keyspace, range, direction, visit)
    }
    fn check_integrity(&self) -> Result<Vec<String>> {
        check_integrity(self.connection())
    }
}

impl Drop for SqliteReadView<'_> {
    fn drop(&mut self) {
        if let Some(connection) = self.connection.take() {
            // Only a connection whose read transaction ended cleanly goes back.
            if run_cached(&connection, "COMMIT").is_ok() {
                self.storage.return_reader(connection);
            }
        }
    }
}

struct SqliteWriteTransaction<'a> {
    connection: MutexGuard<'a, Connection>,
    health: &'a StorageHealth,
    committed: bool,
}

impl ReadView for SqliteWriteTransaction<'_> {
    fn get(&self, keyspace: &str, key: &[u8]) -> Result<Option<Vec<u8>>> {
        get(&self.connection, keyspace, key)
    }
    fn scan(
        &self,
        keyspace: &str,
        range: KeyRange<'_>,
        direction: Direction,
        visit: &mut dyn FnMut(&[u8], &[u8]) -> Visit,
    ) -> Result<()> {
        scan(&self.connection, keyspace, range, direction, visit)
    }
    fn check_integrity(&self) -> Result<Vec<String>> {
        check_integrity(&self.connection)
    }
}

impl WriteTransaction for SqliteWriteTransaction<'_> {
    fn put(&mut self, keyspace: &str, key: &[u8], value: &[u8]) -> Result<()> {
        validate_keyspace(keyspace)?;
        let sql = |sql: &mut String| {
            let _ = write!(
                sql,
                "INSERT INTO {TABLE_PREFIX}{keyspace} (k, v) VALUES (?1, ?2) ON CONFLICT (k) DO UPDATE SET v = excluded.v"
            );
        };
        with_sql(sql, |sql| {
            let mut statement = self.connection.prepare_cached(sql).map_err(engine_error)?;
            statement
                .execute([key, &checksum::seal(key, value)[..]])
                .map_err(|e| write_error(self.health, e))?;
            Ok(())
        })
    }

    fn delete(&mut self, keyspace: &str, key: &[u8]) -> Result<()> {
        validate_keyspace(keyspace)?;
        let sql = |sql: &mut String| {
            let _ = write!(sql, "DELETE FROM {TABLE_PREFIX}{keyspace} WHERE k = ?1");
        };
        with_sql(sql, |sql| {
            let mut statement = self.connection.prepare_cached(sql).map_err(engine_error)?;
            statement.execute([key]).map_err(|e| write_error(self.health, e))?;
            Ok(())
        })
    }

    fn create_keyspace(&mut self, keyspace: &str) -> Result<()> {
        let sql = format!(
            "CREATE TABLE IF NOT EXISTS {} (k BLOB PRIMARY KEY NOT NULL, v BLOB NOT NULL) WITHOUT ROWID",
            table_name(keyspace)?
        );
        self.connection
            .execute_batch(&sql)
            .map_err(|e| write_error(self.health, e))
    }

    fn drop_keyspace(&mut self, keyspace: &str) -> Result<()> {
        let sql = format!("DROP TABLE IF EXISTS {}", table_name(keyspace)?);
        self.connection
            .execute_batch(&sql)
            .map_err(|e| write_error(self.health, e))?;
        // Cached statements may name the dropped table.
        self.connection.flush_prepared_statement_cache();
        Ok(())
    }

    fn commit(mut self: Box<Self>) -> Result<()> {
        // A failure since the transaction began (a checkpoint's) stops it too.
        self.health.check_writable()?;
        run_cached(&self.connection, "COMMIT").map_err(|e| write_error(self.health, e))?;
        self.committed = true;
        self.health.write_succeeded();
        Ok(())
    }
}

impl Drop for SqliteWriteTransaction<'_> {
    fn drop(&mut self) {
        if !self.committed {
            let _ = self.connection.execute_batch("ROLLBACK");
        }
    }
}

impl Storage for SqliteStorage {
    fn snapshot(&self) -> Result<Box<dyn ReadView + '_>> {
        let connection = self.take_reader()?;
        // DEFERRED: the snapshot is fixed at the first read, and sees every
        // transaction committed before it.
        run_cached(&connection, "BEGIN").map_err(engine_error)?;
        Ok(Box::new(SqliteReadView {
            storage: self,
            connection: Some(connection),
        }))
    }

    fn get(&self, keyspace: &str, key: &[u8]) -> Result<Option<Vec<u8>>> {
        // One statement is its own (autocommit) read transaction.
        let connection = self.take_reader()?;
        let value = get(&connection, keyspace, key);
        self.return_reader(connection);
        value
    }

    fn begin_write(&self) -> Result<Box<dyn WriteTransaction + '_>> {
        self.health.check_writable()?;
        let connection = lock(&self.writer);
        run_cached(&connection, "BEGIN IMMEDIATE").map_err(engine_error)?;
        Ok(Box::new(SqliteWriteTransaction {
            connection,
            health: &self.health,
            committed: false,
        }))
    }

    fn health(&self) -> &StorageHealth {
        &self.health
    }

    fn copy_into(&self, file: &Path) -> Result<()> {
        let target = file
            .to_str()
            .ok_or_else(|| StorageError::Engine(format!("{} is not a UTF-8 path", file.display())))?;
        // VACUUM INTO reads one snapshot (a read transaction, which does
        // not block the writer in WAL mode) and writes a compact copy.
        // On an encrypted store the copy is under the store's key.
        let connection = self.take_reader()?;
        let copied = connection.execute("VACUUM INTO ?1", [target]).map_err(engine_error);
        self.return_reader(connection);
        copied?;
        check_copy(file, self.options.key.as_ref())
    }

    fn copy_companions(&self) -> Vec<PathBuf> {
        let keyring = self.path.with_file_name(KEYRING_FILE);
        match self.options.key {
            Some(_) if keyring.exists() => vec![keyring],
            _ => Vec::new(),
        }
    }
}

/// SQLite's own check of a copied database file, opened read-only with the
/// key it was written under.
fn check_copy(path: &Path, key: Option<&DatabaseKey>) -> Result<()> {
    let flags = OpenFlags::SQLITE_OPEN_READ_ONLY | OpenFlags::SQLITE_OPEN_NO_MUTEX;
    let connection = Connection::open_with_flags(path, flags).map_err(engine_error)?;
    if let Some(key) = key {
        sqlite_cipher::apply_key(&connection, key)?;
    }
    let result: String = connection
        .query_row("PRAGMA integrity_check", [], |row| row.get(0))
        .map_err(engine_error)?;
    if result == "ok" {
        Ok(())
    } else {
        Err(StorageError::Engine(format!(
            "{}: the copy failed its integrity check: {result}",
            path.display()
        )))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn open(dir: &Path) -> SqliteStorage {
        SqliteStorage::open(dir, SqliteOptions::default()).unwrap()
    }

    /// A store in a directory of its own, removed after it.
    struct Fresh {
        store: SqliteStorage,
        _dir: tempfile::TempDir,
    }

    impl std::ops::Deref for Fresh {
        type Target = SqliteStorage;
        fn deref(&self) -> &SqliteStorage {
            &self.store
        }
    }

    fn fresh() -> Option<Fresh> {
        let dir = tempfile::tempdir().unwrap();
        Some(Fresh {
            store: open(dir.path()),
            _dir: dir,
        })
    }

    crate::conformance::all_conformance_tests!(fresh());

    #[test]
    fn second_open_of_a_directory_is_refused() {
        let dir = tempfile::tempdir().unwrap();
        let _store = open(dir.path());
        let second = SqliteStorage::open(dir.path(), SqliteOptions::default());
        assert!(matches!(second, Err(StorageError::Locked { .. })));
    }

    #[test]
    fn foreign_and_newer_files_are_refused() {
        let dir = tempfile::tempdir().unwrap();
        std::fs::write(dir.path().join(DATABASE_FILE), b"definitely not sqlite, just text").unwrap();
        let opened = SqliteStorage::open(dir.path(), SqliteOptions::default());
        assert!(
            matches!(opened, Err(StorageError::Foreign { .. })),
            "{:?}",
            opened.err()
        );

        let dir = tempfile::tempdir().unwrap();
        let other = Connection::open(dir.path().join(DATABASE_FILE)).unwrap();
        other.execute_batch("CREATE TABLE t (x)").unwrap();
        drop(other);
        let opened = SqliteStorage::open(dir.path(), SqliteOptions::default());
        assert!(
            matches!(opened, Err(StorageError::Foreign { .. })),
            "{:?}",
            opened.err()
        );

        let dir = tempfile::tempdir().unwrap();
        drop(open(dir.path()));
        let newer = Connection::open(dir.path().join(DATABASE_FILE)).unwrap();
        newer
            .execute_batch(&format!("PRAGMA user_version = {}", FORMAT_VERSION + 1))
            .unwrap();
        drop(newer);
        let opened = SqliteStorage::open(dir.path(), SqliteOptions::default());
        assert!(
            matches!(opened, Err(StorageError::NewerFormat { .. })),
            "{:?}",
            opened.err()
        );
    }

    /// A store in `dir` after `commits` back-to-back commits of one
    /// 4000-byte value each (so at least one 4 KiB WAL page per commit),
    /// under keys 0..commits; also returns the value.
    fn store_after_page_commits(dir: &Path, commits: u32) -> (SqliteStorage, Vec<u8>) {
        let store = open(dir);
        let mut tx = store.begin_write().unwrap();
        tx.create_keyspace("items").unwrap();
        tx.commit().unwrap();
        let value = vec![7u8; 4000];
        for i in 0..commits {
            let mut tx = store.begin_write().unwrap();
            tx.put("items", &i.to_be_bytes(), &value).unwrap();
            tx.commit().unwrap();
        }
        (store, value)
    }

    #[test]
    fn the_wal_is_checkpointed_into_the_database_file_in_the_background() {
        let dir = tempfile::tempdir().unwrap();
        // Until a checkpoint copies the WAL's pages, the database file does
        // not grow.
        let (store, value) = store_after_page_commits(dir.path(), CHECKPOINT_PAGES as u32 + 100);
        let database = dir.path().join(DATABASE_FILE);
        let deadline = std::time::Instant::now() + std::time::Duration::from_secs(30);
        while std::fs::metadata(&database).unwrap().len() < 4_000_000 {
            assert!(
                std::time::Instant::now() < deadline,
                "no checkpoint copied the WAL into the database file"
            );
            std::thread::sleep(std::time::Duration::from_millis(20));
        }
        assert_eq!(store.get("items", &5u32.to_be_bytes()).unwrap(), Some(value));
    }

    #[test]
    fn the_wal_stays_bounded_under_sustained_writes() {
        let dir = tempfile::tempdir().unwrap();
        // Commits without pause: a checkpoint running beside the writer
        // never reaches the end of a WAL that keeps growing, so unless the
        // WAL starts over it grows with every write.
        let commits = 3 * WRITER_CHECKPOINT_PAGES as u32;
        let (store, value) = store_after_page_commits(dir.path(), commits);
        let frame_bytes = 4096 + 24;
        let limit = (WRITER_CHECKPOINT_PAGES as u64 + 100) * frame_bytes;
        let wal = std::fs::metadata(dir.path().join(format!("{DATABASE_FILE}-wal")))
            .unwrap()
            .len();
        assert!(
            wal <= limit,
            "WAL is {wal} bytes after {commits} one-page commits (limit {limit})"
        );
        assert_eq!(store.get("items", &(commits - 1).to_be_bytes()).unwrap(), Some(value));
    }

    #[test]
    fn a_new_directory_gets_a_whole_database_and_an_empty_file_is_refused() {
        let dir = tempfile::tempdir().unwrap();
        drop(open(dir.path()));
        let database = dir.path().join(DATABASE_FILE);
        assert!(std::fs::metadata(&database).unwrap().len() > 0);
        let names: Vec<String> = std::fs::read_dir(dir.path())
            .unwrap()
            .map(|entry| entry.unwrap().file_name().to_string_lossy().into_owned())
            .collect();
        assert!(!names.iter().any(|name| name.contains(".new")), "{names:?}");

        std::fs::write(&database, b"").unwrap();
        let opened = SqliteStorage::open(dir.path(), SqliteOptions::default());
        assert!(
            matches!(opened, Err(StorageError::Damaged { .. })),
            "{:?}",
            opened.err()
        );
        assert_eq!(
            std::fs::metadata(&database).unwrap().len(),
            0,
            "the empty file was left as it was"
        );

        let missing = tempfile::tempdir().unwrap();
        let options = SqliteOptions {
            create_if_new: false,
            ..Default::default()
        };
        let opened = SqliteStorage::open(missing.path(), options);
        assert!(
            matches!(opened, Err(StorageError::NoDatabase { .. })),
            "{:?}",
            opened.err()
        );
    }

    #[test]
    fn a_damaged_page_fails_the_read_as_corruption() {
        let dir = tempfile::tempdir().unwrap();
        {
            let store = open(dir.path());
            let mut tx = store.begin_write().unwrap();
            tx.create_keyspace("items").unwrap();
            for i in 0..2000u32 {
                tx.put("items", &i.to_be_bytes(), &[1u8; 100]).unwrap();
            }
            tx.commit().unwrap();
        }
        let database = dir.path().join(DATABASE_FILE);
        let mut bytes = std::fs::read(&database).unwrap();
        let pages = bytes.len() / 4096;
        assert!(pages > 20, "{pages} pages");
        // A page of the items' B-tree, zeroed: not a valid page type.
        let page = pages / 2;
        bytes[page * 4096..(page + 1) * 4096].fill(0);
        std::fs::write(&database, bytes).unwrap();

        let store = open(dir.path());
        let view = store.snapshot().unwrap();
        let scanned = view.scan("items", KeyRange::ALL, Direction::Forward, &mut |_, _| Visit::Continue);
        assert!(matches!(scanned, Err(StorageError::Corrupt(_))), "{scanned:?}");
        // SQLite's check reports the page, or fails on it.
        assert!(view.check_integrity().map_or(true, |problems| !problems.is_empty()));
    }

    #[test]
    fn a_value_changed_behind_the_store_fails_its_read() {
        let dir = tempfile::tempdir().unwrap();
        {
            let store = open(dir.path());
            let mut tx = store.begin_write().unwrap();
            tx.create_keyspace("items").unwrap();
            tx.put("items", b"a", b"first").unwrap();
            tx.put("items", b"b", b"second").unwrap();
            tx.commit().unwrap();
        }
        let raw = Connection::open(dir.path().join(DATABASE_FILE)).unwrap();
        let mut value: Vec<u8> = raw
            .query_row("SELECT v FROM ks_items WHERE k = ?1", [b"b"], |row| row.get(0))
            .unwrap();
        value[1] ^= 0x20;
        raw.execute("UPDATE ks_items SET v = ?2 WHERE k = ?1", [&b"b"[..], &value])
            .unwrap();
        drop(raw);
        let store = open(dir.path());
        assert_eq!(store.get("items", b"a").unwrap(), Some(b"first".to_vec()));
        let read = store.get("items", b"b");
        assert!(
            matches!(&read, Err(StorageError::Corrupt(m)) if m.contains("0x62 in keyspace items")),
            "{read:?}"
        );
        let view = store.snapshot().unwrap();
        let scanned = view.scan("items", KeyRange::ALL, Direction::Forward, &mut |_, _| Visit::Continue);
        assert!(matches!(scanned, Err(StorageError::Corrupt(_))), "{scanned:?}");
    }

    #[test]
    fn a_format_1_database_gets_its_checksums_at_open() {
        let dir = tempfile::tempdir().unwrap();
        let database = dir.path().join(DATABASE_FILE);
        let old = Connection::open(&database).unwrap();
        old.execute_batch(&format!(
            "PRAGMA application_id = {APPLICATION_ID}; PRAGMA user_version = {FORMAT_WITHOUT_CHECKSUMS};
             PRAGMA journal_mode = WAL;
             CREATE TABLE ks_items (k BLOB PRIMARY KEY NOT NULL, v BLOB NOT NULL) WITHOUT ROWID;"
        ))
        .unwrap();
        for i in 0..2500u32 {
            old.execute(
                "INSERT INTO ks_items VALUES (?1, ?2)",
                [&i.to_be_bytes()[..], b"old value"],
            )
            .unwrap();
        }
        drop(old);
        let store = open(dir.path());
        assert_eq!(
            store.get("items", &2499u32.to_be_bytes()).unwrap(),
            Some(b"old value".to_vec())
        );
        let view = store.snapshot().unwrap();
        let mut read = 0;
        view.scan("items", KeyRange::ALL, Direction::Forward, &mut |_, value| {
            assert_eq!(value, b"old value");
            read += 1;
            Visit::Continue
        })
        .unwrap();
        assert_eq!(read, 2500);
        let version: i64 = store
            .writer
            .lock()
            .unwrap()
            .query_row("PRAGMA user_version", [], |row| row.get(0))
            .unwrap();
        assert_eq!(version, FORMAT_VERSION);
    }

    #[test]
    fn data_survives_reopen() {
        let dir = tempfile::tempdir().unwrap();
        crate::conformance::data_survives_reopen(&|| Box::new(open(dir.path())));
    }
}
