//! Which SQLite errors met while writing are storage faults, and of which
//! kind (see [`crate::health`]).
//!
//! SQLite's unix VFS answers a write that fails with ENOSPC or EDQUOT, or
//! writes short, with SQLITE_FULL: the transaction rolls back, and nothing
//! it had written counts, so the fault is transient. A write failing with
//! any other errno (EIO), a failed truncate and any failed fsync, whatever
//! its errno, are SQLITE_IOERR_WRITE, _TRUNCATE, _FSYNC and _DIR_FSYNC:
//! pages may be lost behind SQLite's back, so writes stop. Read errors
//! (SQLITE_IOERR_READ, _SHORT_READ) fail their statement and put nothing
//! written at risk, so they are neither.

use rusqlite::config::DbConfig;
use rusqlite::{ffi, Connection};

use crate::health::{StorageHealth, WriteState};
use crate::StorageError;

/// The kind of a storage fault.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Fault {
    OutOfSpace,
    /// Written data may be lost: stop writing.
    Lost(&'static str),
}

fn fault(error: &rusqlite::Error) -> Option<Fault> {
    let error = error.sqlite_error()?;
    match (error.code, error.extended_code) {
        (ffi::ErrorCode::DiskFull, _) => Some(Fault::OutOfSpace),
        (ffi::ErrorCode::SystemIoFailure, ffi::SQLITE_IOERR_WRITE) => Some(Fault::Lost("a write failed")),
        (ffi::ErrorCode::SystemIoFailure, ffi::SQLITE_IOERR_FSYNC) => Some(Fault::Lost("an fsync failed")),
        (ffi::ErrorCode::SystemIoFailure, ffi::SQLITE_IOERR_DIR_FSYNC) => {
            Some(Fault::Lost("an fsync of the data directory failed"))
        }
        (ffi::ErrorCode::SystemIoFailure, ffi::SQLITE_IOERR_TRUNCATE) => Some(Fault::Lost("a truncate failed")),
        (ffi::ErrorCode::SystemIoFailure, ffi::SQLITE_IOERR) => Some(Fault::Lost("an I/O call failed")),
        _ => None,
    }
}

/// The storage error for `error`, met while writing (in a write transaction
/// or a checkpoint), recording a fault in `health`.
pub(crate) fn write_error(health: &StorageHealth, error: rusqlite::Error) -> StorageError {
    match fault(&error) {
        Some(Fault::OutOfSpace) => {
            let reason = error.to_string();
            health.out_of_space(&reason);
            StorageError::OutOfSpace(reason)
        }
        Some(Fault::Lost(what)) => {
            let reason = format!("{error}: {what}");
            health.stop(&reason);
            StorageError::WritesStopped(reason)
        }
        None => crate::sqlite::engine_error(error),
    }
}

/// Puts the database in WAL mode; returns the journal mode it is in.
///
/// The pragma answers with a row, and on a new database the switch commits
/// (and syncs) only when the statement runs on to its end: stopping at the
/// row, as `execute_batch` does, would drop the switch's error (a failed
/// fsync) with the statement.
pub(crate) fn switch_to_wal(connection: &Connection) -> rusqlite::Result<String> {
    let mut statement = connection.prepare("PRAGMA journal_mode = WAL")?;
    let mut rows = statement.query([])?;
    let mode = match rows.next()? {
        Some(row) => row.get(0)?,
        None => String::new(),
    };
    while rows.next()?.is_some() {}
    Ok(mode)
}

/// After a storage failure, closing must not checkpoint (SQLite's last
/// connection to close copies the WAL into the database and deletes it):
/// nothing more is written, and the restart recovers from the WAL as it is
/// on disk.
pub(crate) fn keep_wal_if_stopped(connection: &Connection, health: &StorageHealth) {
    if health.state() == WriteState::Stopped {
        if let Err(error) = connection.set_db_config(DbConfig::SQLITE_DBCONFIG_NO_CKPT_ON_CLOSE, true) {
            tracing::warn!(%error, "could not keep the WAL from a checkpoint at close");
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::health::WriteState;

    fn sqlite_error(extended_code: i32) -> rusqlite::Error {
        rusqlite::Error::SqliteFailure(ffi::Error::new(extended_code), None)
    }

    #[test]
    fn space_is_transient_and_lost_writes_stop_the_store() {
        let health = StorageHealth::default();
        assert!(matches!(
            write_error(&health, sqlite_error(ffi::SQLITE_IOERR_READ)),
            StorageError::Engine(_)
        ));
        assert_eq!(health.state(), WriteState::Accepting);
        assert!(matches!(
            write_error(&health, sqlite_error(ffi::SQLITE_FULL)),
            StorageError::OutOfSpace(_)
        ));
        assert_eq!(health.state(), WriteState::OutOfSpace);
        for code in [
            ffi::SQLITE_IOERR_FSYNC,
            ffi::SQLITE_IOERR_WRITE,
            ffi::SQLITE_IOERR_DIR_FSYNC,
        ] {
            assert!(matches!(
                write_error(&health, sqlite_error(code)),
                StorageError::WritesStopped(_)
            ));
        }
        assert_eq!(health.state(), WriteState::Stopped);
    }
}
