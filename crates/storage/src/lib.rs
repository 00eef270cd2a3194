//! Halyard's storage layer: an ordered, transactional key-value space.
//!
//! Everything above this crate sees keyspaces of byte keys kept in byte order,
//! point reads, forward and backward range scans and atomic multi-key write
//! transactions — never SQL. The embedded adapter is SQLite (built with
//! SQLCipher) in [`sqlite`]; the shared one is PostgreSQL (and the engines
//! that speak its protocol) in [`postgres`]. The trait is narrow enough
//! that an ordered, transactional distributed store (TiKV, FoundationDB)
//! can take their place.

pub mod backup_dir;
mod checksum;
#[cfg(test)]
mod conformance;
mod data_dir;
pub mod health;
pub mod keycodec;
pub mod postgres;
pub mod private_files;
pub mod sqlite;
pub mod sqlite_cipher;
mod sqlite_faults;

use std::ops::Bound;

/// Errors raised by a storage adapter.
#[derive(Debug, thiserror::Error)]
pub enum StorageError {
    #[error("data directory {path} is in use by another Halyard process (could not lock {path}/LOCK)")]
    Locked { path: String },
    #[error("{path} is not a Halyard database ({reason}); refusing to touch it")]
    Foreign { path: String, reason: String },
    #[error(
        "{path} was written by a newer Halyard (data format {found}; this build reads format {supported} and older)"
    )]
    NewerFormat { path: String, found: i64, supported: i64 },
    /// Damage found before the database was opened: Halyard refuses to
    /// start rather than run on what is left.
    #[error("{path} is damaged: {reason}. Refusing to start on it: restore the data directory from a backup, or move it aside to start afresh")]
    Damaged { path: String, reason: String },
    /// The database file is plaintext, but a key was given.
    #[error("{path} is not encrypted (a plaintext database), but encryption is on")]
    PlaintextDatabase { path: String },
    /// SQLCipher could not decrypt the database with the key given.
    #[error("the database key does not open {path}: it is not this database's key, or the file is damaged")]
    WrongKey { path: String },
    #[error("{path} holds no Halyard database")]
    NoDatabase { path: String },
    /// SQLite met a malformed page (or one whose checksum does not match)
    /// while reading or writing.
    #[error(
        "the database is corrupt ({0}); stop Halyard and run `halyard check --data-dir DIR` on its data directory"
    )]
    Corrupt(String),
    #[error("invalid keyspace name {0:?}: use 1-64 characters of [A-Za-z0-9_]")]
    InvalidKeyspace(String),
    /// A write found no space left: it was not applied, and later writes
    /// succeed once space is freed.
    #[error("the storage is out of space ({0})")]
    OutOfSpace(String),
    /// A write-back or sync failed (now or earlier): writes are refused
    /// until a restart. The reason is the first failure's.
    #[error("writes are stopped after a storage failure ({0}); the server must be restarted")]
    WritesStopped(String),
    /// The database server cannot be reached, or is no longer the
    /// writable primary: a retryable failure (nothing was committed).
    #[error("the database is unavailable ({0})")]
    Unavailable(String),
    /// A commit not known to be durable (the connection was lost during
    /// COMMIT, or the wait for the synchronous standby was cancelled): it
    /// may or may not be applied, and is not acknowledged. Retryable.
    #[error("the write's commit is not known to be durable ({0})")]
    CommitOutcomeUnknown(String),
    /// The transaction met a concurrent one (another node's) that changed
    /// what it read, and was rolled back: applying it again on the new
    /// state may succeed.
    #[error("the transaction conflicted with a concurrent one ({0})")]
    Conflict(String),
    /// The adapter does not offer this operation (the reason says what
    /// does the job instead).
    #[error("not supported by this storage: {0}")]
    Unsupported(&'static str),
    #[error("storage I/O error: {0}")]
    Io(#[from] std::io::Error),
    #[error("storage engine error: {0}")]
    Engine(String),
}

pub type Result<T> = std::result::Result<T, StorageError>;

/// Order in which a range scan visits keys.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Direction {
    Forward,
    Backward,
}

/// A half-open or closed range of keys within one keyspace.
#[derive(Debug, Clone, Copy)]
pub struct KeyRange<'a> {
    pub start: Bound<&'a [u8]>,
    pub end: Bound<&'a [u8]>,
}

impl<'a> KeyRange<'a> {
    /// Every key of the keyspace.
    pub const ALL: KeyRange<'static> = KeyRange {
        start: Bound::Unbounded,
        end: Bound::Unbounded,
    };
}

/// What a scan visitor tells the scan to do next.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Visit {
    Continue,
    Stop,
}

/// Reads over one consistent snapshot of the store.
pub trait ReadView {
    /// The value stored under `key`, if any.
    fn get(&self, keyspace: &str, key: &[u8]) -> Result<Option<Vec<u8>>>;

    /// Calls `visit` for each key-value pair in `range`, in `direction` order,
    /// until the range ends or `visit` returns [`Visit::Stop`].
    fn scan(
        &self,
        keyspace: &str,
        range: KeyRange<'_>,
        direction: Direction,
        visit: &mut dyn FnMut(&[u8], &[u8]) -> Visit,
    ) -> Result<()>;

    /// The storage engine's own consistency check of everything the view
    /// sees (for SQLite, `PRAGMA integrity_check`): one line per problem,
    /// none when the store is sound. Reads the whole store.
    fn check_integrity(&self) -> Result<Vec<String>>;
}

/// An atomic write transaction: reads see its own writes; nothing is visible to
/// others (or durable) until [`WriteTransaction::commit`] returns. Dropping it
/// without committing rolls everything back.
pub trait WriteTransaction: ReadView {
    fn put(&mut self, keyspace: &str, key: &[u8], value: &[u8]) -> Result<()>;
    fn delete(&mut self, keyspace: &str, key: &[u8]) -> Result<()>;
    /// Creates an empty keyspace; no-op when it exists.
    fn create_keyspace(&mut self, keyspace: &str) -> Result<()>;
    /// Removes a keyspace and everything in it; no-op when it does not exist.
    fn drop_keyspace(&mut self, keyspace: &str) -> Result<()>;
    /// Makes every write of the transaction durable (per the store's
    /// durability setting) and visible, atomically.
    fn commit(self: Box<Self>) -> Result<()>;
}

/// An ordered, transactional key-value store.
pub trait Storage: Send + Sync {
    /// A consistent read snapshot that sees every committed transaction.
    fn snapshot(&self) -> Result<Box<dyn ReadView + '_>>;
    /// A single point read of the latest committed state: cheaper than a
    /// snapshot when only one key is read.
    fn get(&self, keyspace: &str, key: &[u8]) -> Result<Option<Vec<u8>>>;
    /// Starts the write transaction. Callers serialise writes (Halyard has
    /// one writer); a second concurrent call waits for the first to finish.
    fn begin_write(&self) -> Result<Box<dyn WriteTransaction + '_>>;
    /// Whether the store accepts writes, and why not.
    fn health(&self) -> &health::StorageHealth;
    /// This node's identity when several nodes share the store (each then
    /// keeps its own copy of what it caches, and checks it against the
    /// store); `None` for a store of one process's own (SQLite).
    fn node_id(&self) -> Option<&str> {
        None
    }
    /// Whether this node may run the background task `task` now: it holds
    /// (takes, or keeps) the task's lease, so that one node at a time runs
    /// it. A store of one process's own always may.
    fn hold_lease(&self, _task: &str) -> Result<bool> {
        Ok(true)
    }
    /// Writes a copy of the whole store, as one consistent snapshot sees
    /// it, into the new file `file` (for SQLite, a database file under the
    /// store's own key), without blocking writes, and checks the copy.
    fn copy_into(&self, file: &std::path::Path) -> Result<()>;
    /// Files beside the store without which a copy cannot be opened (for an
    /// encrypted SQLite store, its keyring): a backup carries them.
    fn copy_companions(&self) -> Vec<std::path::PathBuf> {
        Vec::new()
    }
}

/// A change to system state kept beside the tables (identities, access keys,
/// policies, sessions), made by a service crate and applied by the engine's
/// one writer, in order with every other write and in a transaction of its
/// own. The command checks its preconditions and records its verdict itself
/// (the caller keeps an `Arc` to read it back), so the storage layer needs
/// no knowledge of the services' errors.
pub trait SystemCommand: Send + Sync + std::fmt::Debug {
    /// Checks the command against the state every earlier command left and,
    /// if it holds, writes. An `Err` is a storage fault: nothing commits.
    fn apply(&self, tx: &mut dyn WriteTransaction) -> Result<()>;
    /// Called on the writer once the transaction has committed, before the
    /// caller is answered: the service publishes the change to its
    /// in-memory view here, so the next request sees it.
    fn committed(&self);
    /// Whether the request that submitted the command has its audit record
    /// committed with it (see [`AttachedRecord`]): only a change that went
    /// through, as applied; a refused one is recorded with its error instead.
    fn carries_audit(&self) -> bool {
        false
    }
}

/// A request's audit record riding its write (the engine's `with_audit`).
/// The writer gathers the records of every write a batch commits and has
/// them stored as one entry in the batch's own transaction, so a record is
/// durable no later than the write it describes, at one storage write per
/// batch rather than per record.
pub trait AttachedRecord: Send + Sync {
    /// The record: one line, without its newline.
    fn line(&self) -> &[u8];
    /// Whether it committed already, with an earlier write of its request.
    fn is_committed(&self) -> bool;
    /// Stores a batch's records (newline-terminated lines) as one entry.
    /// Called on one record of the batch for all of them: every record of
    /// a server belongs to the same trail.
    fn store_batch(&self, tx: &mut dyn WriteTransaction, lines: &[u8]) -> Result<()>;
    /// Called once the transaction has committed.
    fn committed(&self);
}

/// Where services submit their [`SystemCommand`]s: the engine's writer.
pub trait SystemWriter: Send + Sync {
    /// Applies `command` and waits until it has committed (or failed).
    fn submit(
        &self,
        command: std::sync::Arc<dyn SystemCommand>,
    ) -> std::pin::Pin<Box<dyn std::future::Future<Output = Result<()>> + Send + '_>>;
}

/// Checks a keyspace name: adapters may embed it in identifiers.
pub fn validate_keyspace(name: &str) -> Result<()> {
    let ok = !name.is_empty() && name.len() <= 64 && name.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'_');
    if ok {
        Ok(())
    } else {
        Err(StorageError::InvalidKeyspace(name.to_string()))
    }
}
