//! SQLCipher page encryption: keying each connection, telling an encrypted
//! database file from a plaintext one, and re-encrypting a database under
//! another key.
//!
//! The key reaches SQLCipher through `sqlite3_key_v2` (what `PRAGMA key`
//! calls), before any statement runs on the connection: that keeps it out
//! of SQL text, which rusqlite would quote in an error message. It is a raw
//! 256-bit key (`x'…'`), so SQLCipher skips its passphrase derivation;
//! everything else is SQLCipher 4's default: AES-256-CBC pages with an
//! HMAC-SHA512 per page, 4096-byte pages, the WAL encrypted the same way.

use std::fs::File;
use std::io::Read;
use std::path::Path;

use rusqlite::{ffi, Connection};
use zeroize::Zeroizing;

use crate::data_dir::{self, companion, Contents, COMPANION_SUFFIXES, DATABASE_FILE};
use crate::private_files;
use crate::sqlite::{check_format, engine_error, lock_dir, open_connection, SqliteOptions, APPLICATION_ID};
use crate::{Result, StorageError};

/// Bytes of a database key.
pub const KEY_LEN: usize = 32;
/// SQLCipher 4's page size (Halyard never changes it): an encrypted file is
/// a whole number of these.
pub(crate) const CIPHER_PAGE_SIZE: u64 = 4096;
const SQLITE_MAGIC: &[u8; 16] = b"SQLite format 3\0";

/// A raw 256-bit SQLCipher key. It redacts itself in `Debug` and is wiped
/// from memory on drop.
#[derive(Clone)]
pub struct DatabaseKey(Zeroizing<[u8; KEY_LEN]>);

impl DatabaseKey {
    pub fn new(bytes: [u8; KEY_LEN]) -> DatabaseKey {
        DatabaseKey(Zeroizing::new(bytes))
    }

    /// SQLCipher's raw-key form, `x'<64 hex digits>'`.
    fn literal(&self) -> Zeroizing<String> {
        const HEX: &[u8; 16] = b"0123456789ABCDEF";
        let mut text = Zeroizing::new(String::with_capacity(3 + 2 * KEY_LEN));
        text.push_str("x'");
        for byte in self.0.iter() {
            text.push(HEX[usize::from(byte >> 4)] as char);
            text.push(HEX[usize::from(byte & 0xF)] as char);
        }
        text.push('\'');
        text
    }
}

impl std::fmt::Debug for DatabaseKey {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("DatabaseKey(<redacted>)")
    }
}

/// Keys `connection` (schema `main`): the first call on a new connection.
pub(crate) fn apply_key(connection: &Connection, key: &DatabaseKey) -> Result<()> {
    let literal = key.literal();
    // SAFETY: the handle is the live connection's, used on this thread only
    // for this call; SQLCipher copies the key bytes, which outlive the call.
    let code = unsafe {
        ffi::sqlite3_key_v2(
            connection.handle(),
            c"main".as_ptr(),
            literal.as_ptr().cast(),
            literal.len() as std::ffi::c_int,
        )
    };
    if code == ffi::SQLITE_OK {
        Ok(())
    } else {
        Err(StorageError::Engine(format!(
            "SQLCipher refused the database key (SQLite code {code})"
        )))
    }
}

/// Binds a key as a statement parameter (`ATTACH … KEY ?`), so that it is
/// never part of the SQL text.
pub(crate) fn key_parameter(key: &DatabaseKey) -> Zeroizing<String> {
    key.literal()
}

/// What a data directory's database file is.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum StoredFormat {
    /// No database file (a new or empty directory).
    Missing,
    /// A plaintext SQLite database.
    Plaintext,
    /// Not a plaintext SQLite file: SQLCipher's (or damage, which opening
    /// it will tell).
    Encrypted,
}

/// Tells, from its first bytes, whether `path` is a plaintext SQLite file:
/// SQLCipher encrypts the header too, leaving a random salt in its place.
pub(crate) fn format_of(path: &Path) -> std::io::Result<StoredFormat> {
    let mut file = match File::open(path) {
        Ok(file) => file,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(StoredFormat::Missing),
        Err(e) => return Err(e),
    };
    let mut magic = [0u8; SQLITE_MAGIC.len()];
    let mut read = 0;
    while read < magic.len() {
        match file.read(&mut magic[read..])? {
            0 => break,
            n => read += n,
        }
    }
    Ok(if read == 0 {
        StoredFormat::Missing
    } else if &magic == SQLITE_MAGIC {
        StoredFormat::Plaintext
    } else {
        StoredFormat::Encrypted
    })
}

/// A re-encrypted copy of the database is built under this name, then
/// renamed over it (the name is one a new directory may hold).
const REENCRYPTED_FILE: &str = "halyard.db.new-key";

/// Removes a re-encrypted copy (and its journal) that a crash left
/// unfinished: the database itself is still whole under its old key.
pub(crate) fn remove_reencryption_leftovers(dir: &Path) -> Result<()> {
    let staging = dir.join(REENCRYPTED_FILE);
    for path in std::iter::once(staging.clone()).chain(COMPANION_SUFFIXES.iter().map(|s| companion(&staging, s))) {
        match std::fs::remove_file(&path) {
            Err(e) if e.kind() != std::io::ErrorKind::NotFound => return Err(e.into()),
            _ => {}
        }
    }
    Ok(())
}

/// Re-encrypts the database of a stopped server's `dir` (this takes its
/// lock) from `from` (`None`: a plaintext database) to `to`.
///
/// SQLCipher's `PRAGMA rekey` rewrites pages in place, which in WAL mode is
/// not crash-safe. Here `sqlcipher_export` writes a whole copy under `to`
/// beside the database; once it is synced, the old database's WAL has been
/// checkpointed and removed (closing its last connection does that), and a
/// rename puts the copy in place. A crash before the rename leaves the
/// database under `from` (the copy is removed at the next open), after it
/// under `to`: the caller must be able to open either until this returns.
pub fn reencrypt(dir: &Path, from: Option<&DatabaseKey>, to: &DatabaseKey) -> Result<()> {
    let _lock = lock_dir(dir, false)?;
    if data_dir::inspect(dir, from.is_some())? != Contents::Existing {
        return Err(StorageError::NoDatabase {
            path: dir.display().to_string(),
        });
    }
    remove_reencryption_leftovers(dir)?;
    let database = dir.join(DATABASE_FILE);
    let staging = dir.join(REENCRYPTED_FILE);
    let options = SqliteOptions {
        key: from.cloned(),
        create_if_new: false,
        ..Default::default()
    };
    let connection = open_connection(&database, &options)?;
    check_format(&connection, &database)?;
    let version: i64 = connection
        .query_row("PRAGMA user_version", [], |row| row.get(0))
        .map_err(engine_error)?;
    // Created here for its mode (SQLite takes an empty file for a new
    // database and gives its journal the file's mode).
    private_files::open_options()
        .write(true)
        .create_new(true)
        .open(&staging)?;
    let staging_name = staging
        .to_str()
        .ok_or_else(|| StorageError::Engine(format!("{} is not a UTF-8 path", staging.display())))?;
    connection
        .execute(
            "ATTACH DATABASE ?1 AS reencrypted KEY ?2",
            rusqlite::params![staging_name, key_parameter(to).as_str()],
        )
        .map_err(engine_error)?;
    connection
        .query_row("SELECT sqlcipher_export('reencrypted')", [], |_| Ok(()))
        .map_err(engine_error)?;
    connection
        .execute_batch(&format!(
            "PRAGMA reencrypted.user_version = {version};
             PRAGMA reencrypted.application_id = {APPLICATION_ID};
             DETACH DATABASE reencrypted;"
        ))
        .map_err(engine_error)?;
    connection.close().map_err(|(_, error)| engine_error(error))?;
    // The old pages' WAL must not meet the new file: it would be replayed
    // into it.
    let wal = companion(&database, "-wal");
    if wal.exists() {
        return Err(StorageError::Engine(format!(
            "{} was not removed when the database closed; the database is unchanged",
            wal.display()
        )));
    }
    File::open(&staging)?.sync_all()?;
    std::fs::rename(&staging, &database)?;
    File::open(dir)?.sync_all()?;
    Ok(())
}

/// Whether `error` is SQLCipher's answer to a key that does not decrypt
/// the pages (or to a plaintext file opened with a key): "file is not a
/// database".
pub(crate) fn is_wrong_key(error: &rusqlite::Error) -> bool {
    error.sqlite_error_code() == Some(rusqlite::ErrorCode::NotADatabase)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::sqlite::SqliteStorage;
    use crate::Storage;

    const MARKER: &[u8] = b"MARKER-AARDVARK-4111";

    fn options(key: Option<&DatabaseKey>) -> SqliteOptions {
        SqliteOptions {
            key: key.cloned(),
            ..Default::default()
        }
    }

    fn hex(key: &DatabaseKey) -> String {
        key.literal()[2..66].to_string()
    }

    fn on_disk(dir: &Path, needle: &[u8]) -> bool {
        std::fs::read_dir(dir)
            .unwrap()
            .map(|entry| std::fs::read(entry.unwrap().path()).unwrap())
            .any(|data| data.windows(needle.len()).any(|w| w == needle))
    }

    fn write_marker(storage: &SqliteStorage) {
        let mut write = storage.begin_write().unwrap();
        write.create_keyspace("secret_things").unwrap();
        write.put("secret_things", MARKER, MARKER).unwrap();
        write.commit().unwrap();
    }

    #[test]
    fn pages_and_wal_are_encrypted_and_only_the_key_opens_them() {
        let dir = tempfile::tempdir().unwrap();
        let key = DatabaseKey::new([7; KEY_LEN]);
        let storage = SqliteStorage::open(dir.path(), options(Some(&key))).unwrap();
        write_marker(&storage);
        // Read through a pooled reader, keyed like every connection.
        assert_eq!(storage.get("secret_things", MARKER).unwrap().unwrap(), MARKER);
        assert!(dir.path().join("halyard.db-wal").exists());
        assert!(!on_disk(dir.path(), MARKER) && !on_disk(dir.path(), b"secret_things"));
        drop(storage);
        assert!(!on_disk(dir.path(), MARKER));
        assert_eq!(
            format_of(&dir.path().join(DATABASE_FILE)).unwrap(),
            StoredFormat::Encrypted
        );

        let wrong = DatabaseKey::new([8; KEY_LEN]);
        let error = SqliteStorage::open(dir.path(), options(Some(&wrong)))
            .err()
            .expect("refused");
        assert!(matches!(error, StorageError::WrongKey { .. }), "{error}");
        let message = format!("{error} {error:?}");
        for key in [&key, &wrong] {
            assert!(!message.to_uppercase().contains(&hex(key)), "{message}");
        }
        let error = SqliteStorage::open(dir.path(), options(None)).err().expect("refused");
        assert!(error.to_string().contains("encrypted"), "{error}");
        let storage = SqliteStorage::open(dir.path(), options(Some(&key))).unwrap();
        assert_eq!(storage.get("secret_things", MARKER).unwrap().unwrap(), MARKER);
    }

    #[test]
    fn reencryption_moves_the_database_to_the_new_key_and_encrypts_a_plaintext_one() {
        let dir = tempfile::tempdir().unwrap();
        let storage = SqliteStorage::open(dir.path(), options(None)).unwrap();
        write_marker(&storage);
        drop(storage);
        assert!(on_disk(dir.path(), MARKER));
        let plain_refused = SqliteStorage::open(dir.path(), options(Some(&DatabaseKey::new([1; KEY_LEN]))));
        assert!(matches!(plain_refused, Err(StorageError::PlaintextDatabase { .. })));

        let first = DatabaseKey::new([1; KEY_LEN]);
        reencrypt(dir.path(), None, &first).unwrap();
        assert!(!on_disk(dir.path(), MARKER));
        let second = DatabaseKey::new([2; KEY_LEN]);
        reencrypt(dir.path(), Some(&first), &second).unwrap();
        assert!(matches!(
            SqliteStorage::open(dir.path(), options(Some(&first))),
            Err(StorageError::WrongKey { .. })
        ));
        let storage = SqliteStorage::open(dir.path(), options(Some(&second))).unwrap();
        assert_eq!(storage.get("secret_things", MARKER).unwrap().unwrap(), MARKER);
        assert_eq!(
            storage.snapshot().unwrap().check_integrity().unwrap(),
            Vec::<String>::new()
        );
        // The re-encrypted copy is in WAL mode again once opened.
        write_marker(&storage);
        assert!(dir.path().join("halyard.db-wal").exists());
        assert!(!on_disk(dir.path(), MARKER));
        // Busy: a running store's directory is not re-encrypted.
        assert!(matches!(
            reencrypt(dir.path(), Some(&second), &first),
            Err(StorageError::Locked { .. })
        ));
    }

    #[test]
    fn the_key_never_shows_in_debug_and_its_literal_is_sqlciphers_raw_form() {
        let key = DatabaseKey::new([0xAB; KEY_LEN]);
        assert_eq!(format!("{key:?}"), "DatabaseKey(<redacted>)");
        let literal = key.literal();
        assert_eq!(literal.len(), 67);
        assert!(literal.starts_with("x'ABAB") && literal.ends_with("AB'"));
    }
}
