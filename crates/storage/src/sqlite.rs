//! The embedded storage adapter: SQLite (built with SQLCipher) in WAL mode.
//!
//! One database file per data directory, one `WITHOUT ROWID` table of
//! `(k BLOB PRIMARY KEY, v BLOB)` per keyspace, so that a range scan is a
//! B-tree seek. A single write connection serves the (single) writer; reads
//! come from a pool of connections, each read view one read transaction.

use std::fs::File;
use std::ops::Bound;
use std::path::{Path, PathBuf};
use std::sync::mpsc::{sync_channel, SyncSender};
use std::sync::{Arc, Mutex, MutexGuard};
use std::thread::JoinHandle;

use rusqlite::wal::CheckpointMode;
use rusqlite::{params_from_iter, Connection, OpenFlags, OptionalExtension};

use crate::health::{StorageHealth, WriteState};
use crate::sqlite_faults::{keep_wal_if_stopped, switch_to_wal, write_error};
use crate::{validate_keyspace, Direction, KeyRange, ReadView, Result, Storage, StorageError, Visit, WriteTransaction};

/// Marks a SQLite file as Halyard's (`PRAGMA application_id`): "HALY".
const APPLICATION_ID: i64 = 0x4841_4C59;
/// The on-disk format this build writes (`PRAGMA user_version`).
pub const FORMAT_VERSION: i64 = 1;
const DATABASE_FILE: &str = "halyard.db";
const LOCK_FILE: &str = "LOCK";
const SQLITE_MAGIC: &[u8; 16] = b"SQLite format 3\0";
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

/// Options for [`SqliteStorage::open`].
#[derive(Debug, Clone)]
pub struct SqliteOptions {
    pub durability: Durability,
    /// Read connections kept open for reuse.
    pub read_pool_size: usize,
}

impl Default for SqliteOptions {
    fn default() -> Self {
        SqliteOptions {
            durability: Durability::Full,
            read_pool_size: 8,
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

fn engine_error(error: rusqlite::Error) -> StorageError {
    StorageError::Engine(error.to_string())
}

impl SqliteStorage {
    /// Opens (creating if needed) the store in `dir`, locking the directory.
    pub fn open(dir: &Path, options: SqliteOptions) -> Result<SqliteStorage> {
        std::fs::create_dir_all(dir)?;
        let dir_display = dir.display().to_string();
        let lock = File::options()
            .create(true)
            .truncate(false)
            .write(true)
            .open(dir.join(LOCK_FILE))?;
        match lock.try_lock() {
            Ok(()) => {}
            Err(std::fs::TryLockError::WouldBlock) => return Err(StorageError::Locked { path: dir_display }),
            Err(std::fs::TryLockError::Error(e)) => return Err(e.into()),
        }
        let path = dir.join(DATABASE_FILE);
        check_file_header(&path)?;
        let mut writer = open_connection(&path, options.durability)?;
        check_format(&writer, &path)?;
        let health = Arc::new(StorageHealth::default());
        let checkpointer = Checkpointer::start(open_connection(&path, options.durability)?, health.clone())?;
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
        open_connection(&self.path, self.options.durability)
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

fn lock<T>(mutex: &Mutex<T>) -> MutexGuard<'_, T> {
    // A panic while holding a connection leaves no half-done state behind
    // (transactions roll back on drop), so a poisoned lock is still usable.
    mutex.lock().unwrap_or_else(|poisoned| poisoned.into_inner())
}

/// Refuses files that are not SQLite databases before SQLite touches them.
fn check_file_header(path: &Path) -> Result<()> {
    use std::io::Read;
    let mut file = match File::open(path) {
        Ok(file) => file,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(()),
        Err(e) => return Err(e.into()),
    };
    let mut header = [0u8; 16];
    let mut read = 0;
    while read < header.len() {
        match file.read(&mut header[read..])? {
            0 => break,
            n => read += n,
        }
    }
    if read == 0 {
        return Ok(()); // an empty file: SQLite initialises it
    }
    if read < header.len() || &header != SQLITE_MAGIC {
        return Err(StorageError::Foreign {
            path: path.display().to_string(),
            reason: "the file is not a SQLite database or is corrupt".into(),
        });
    }
    Ok(())
}

fn open_connection(path: &Path, durability: Durability) -> Result<Connection> {
    let flags = OpenFlags::SQLITE_OPEN_READ_WRITE | OpenFlags::SQLITE_OPEN_CREATE | OpenFlags::SQLITE_OPEN_NO_MUTEX;
    let connection = Connection::open_with_flags_and_vfs(path, flags, EXCLUSIVE_VFS).map_err(engine_error)?;
    let synchronous = match durability {
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
             PRAGMA mmap_size = {MMAP_BYTES};"
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

/// Stamps a new database with Halyard's application id and format version;
/// refuses someone else's database or a newer format.
fn check_format(connection: &Connection, path: &Path) -> Result<()> {
    let pragma = |name: &str| -> Result<i64> {
        connection
            .query_row(&format!("PRAGMA {name}"), [], |row| row.get(0))
            .map_err(|e| foreign_or_engine(path, e))
    };
    let application_id = pragma("application_id")?;
    let schema_objects: i64 = connection
        .query_row("SELECT count(*) FROM sqlite_schema", [], |row| row.get(0))
        .map_err(|e| foreign_or_engine(path, e))?;
    if application_id == 0 && schema_objects == 0 {
        connection
            .execute_batch(&format!(
                "PRAGMA application_id = {APPLICATION_ID}; PRAGMA user_version = {FORMAT_VERSION};"
            ))
            .map_err(engine_error)?;
        return Ok(());
    }
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
    Ok(())
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

fn get(connection: &Connection, keyspace: &str, key: &[u8]) -> Result<Option<Vec<u8>>> {
    let sql = format!("SELECT v FROM {} WHERE k = ?1", table_name(keyspace)?);
    let mut statement = connection.prepare_cached(&sql).map_err(engine_error)?;
    statement
        .query_row([key], |row| row.get(0))
        .optional()
        .map_err(engine_error)
}

fn scan(
    connection: &Connection,
    keyspace: &str,
    range: KeyRange<'_>,
    direction: Direction,
    visit: &mut dyn FnMut(&[u8], &[u8]) -> Visit,
) -> Result<()> {
    let mut sql = format!("SELECT k, v FROM {}", table_name(keyspace)?);
    let mut bounds: Vec<&[u8]> = Vec::with_capacity(2);
    let mut conditions = Vec::with_capacity(2);
    for (bound, inclusive, exclusive) in [(range.start, ">=", ">"), (range.end, "<=", "<")] {
        match bound {
            Bound::Included(key) => {
                bounds.push(key);
                conditions.push(format!("k {inclusive} ?{}", bounds.len()));
            }
            Bound::Excluded(key) => {
                bounds.push(key);
                conditions.push(format!("k {exclusive} ?{}", bounds.len()));
            }
            Bound::Unbounded => {}
        }
    }
    if !conditions.is_empty() {
        sql.push_str(" WHERE ");
        sql.push_str(&conditions.join(" AND "));
    }
    sql.push_str(match direction {
        Direction::Forward => " ORDER BY k ASC",
        Direction::Backward => " ORDER BY k DESC",
    });
    let mut statement = connection.prepare_cached(&sql).map_err(engine_error)?;
    let mut rows = statement.query(params_from_iter(bounds)).map_err(engine_error)?;
    while let Some(row) = rows.next().map_err(engine_error)? {
        let key = row.get_ref(0).and_then(|v| v.as_blob().map_err(Into::into));
        let value = row.get_ref(1).and_then(|v| v.as_blob().map_err(Into::into));
        let (key, value) = (key.map_err(engine_error)?, value.map_err(engine_error)?);
        if visit(key, value) == Visit::Stop {
            break;
        }
    }
    Ok(())
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
}

impl WriteTransaction for SqliteWriteTransaction<'_> {
    fn put(&mut self, keyspace: &str, key: &[u8], value: &[u8]) -> Result<()> {
        let sql = format!(
            "INSERT INTO {} (k, v) VALUES (?1, ?2) ON CONFLICT (k) DO UPDATE SET v = excluded.v",
            table_name(keyspace)?
        );
        let mut statement = self.connection.prepare_cached(&sql).map_err(engine_error)?;
        statement
            .execute([key, value])
            .map_err(|e| write_error(self.health, e))?;
        Ok(())
    }

    fn delete(&mut self, keyspace: &str, key: &[u8]) -> Result<()> {
        let sql = format!("DELETE FROM {} WHERE k = ?1", table_name(keyspace)?);
        let mut statement = self.connection.prepare_cached(&sql).map_err(engine_error)?;
        statement.execute([key]).map_err(|e| write_error(self.health, e))?;
        Ok(())
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
}

#[cfg(test)]
mod tests {
    use super::*;

    fn open(dir: &Path) -> SqliteStorage {
        SqliteStorage::open(dir, SqliteOptions::default()).unwrap()
    }

    fn collect(view: &dyn ReadView, range: KeyRange<'_>, direction: Direction) -> Vec<Vec<u8>> {
        let mut keys = Vec::new();
        view.scan("items", range, direction, &mut |k, _| {
            keys.push(k.to_vec());
            Visit::Continue
        })
        .unwrap();
        keys
    }

    #[test]
    fn writes_are_atomic_and_scans_are_ordered() {
        let dir = tempfile::tempdir().unwrap();
        let store = open(dir.path());
        let mut tx = store.begin_write().unwrap();
        tx.create_keyspace("items").unwrap();
        for key in [&b"b"[..], b"a", b"c", b"ab"] {
            tx.put("items", key, b"v").unwrap();
        }
        // Not visible before commit.
        assert!(
            store.get("items", b"a").is_err(),
            "the keyspace itself is not visible yet"
        );
        tx.commit().unwrap();

        let view = store.snapshot().unwrap();
        let forward = collect(&*view, KeyRange::ALL, Direction::Forward);
        assert_eq!(
            forward,
            vec![b"a".to_vec(), b"ab".to_vec(), b"b".to_vec(), b"c".to_vec()]
        );
        let range = KeyRange {
            start: Bound::Excluded(b"a"),
            end: Bound::Included(b"b"),
        };
        assert_eq!(
            collect(&*view, range, Direction::Backward),
            vec![b"b".to_vec(), b"ab".to_vec()]
        );
        let upper = crate::keycodec::prefix_end(b"a").unwrap();
        let prefix = KeyRange {
            start: Bound::Included(b"a"),
            end: Bound::Excluded(&upper),
        };
        assert_eq!(
            collect(&*view, prefix, Direction::Forward),
            vec![b"a".to_vec(), b"ab".to_vec()]
        );
        assert_eq!(view.get("items", b"c").unwrap(), Some(b"v".to_vec()));
        assert_eq!(view.get("items", b"d").unwrap(), None);
    }

    #[test]
    fn dropped_transaction_rolls_back() {
        let dir = tempfile::tempdir().unwrap();
        let store = open(dir.path());
        let mut tx = store.begin_write().unwrap();
        tx.create_keyspace("items").unwrap();
        tx.commit().unwrap();
        let mut tx = store.begin_write().unwrap();
        tx.put("items", b"k", b"v").unwrap();
        drop(tx);
        assert_eq!(store.snapshot().unwrap().get("items", b"k").unwrap(), None);
    }

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
    fn data_survives_reopen() {
        let dir = tempfile::tempdir().unwrap();
        {
            let store = open(dir.path());
            let mut tx = store.begin_write().unwrap();
            tx.create_keyspace("items").unwrap();
            tx.put("items", b"k", b"v").unwrap();
            tx.commit().unwrap();
        }
        let store = open(dir.path());
        assert_eq!(
            store.snapshot().unwrap().get("items", b"k").unwrap(),
            Some(b"v".to_vec())
        );
    }
}
