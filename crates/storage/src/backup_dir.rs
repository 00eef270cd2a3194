//! Whole-server backups: `halyard backup DIR` writes a consistent copy of
//! the store and a manifest into a new directory; `halyard restore DIR`
//! makes a new data directory from one.
//!
//! Every file of a backup is written by [`write_backup_file`] and read by
//! [`read_backup_file`], so that sealing (encryption) can be added in one
//! place. The manifest records each file's length and CRC32, checked on
//! restore; the copy itself is checked by SQLite (`PRAGMA integrity_check`,
//! under the store's key) before the backup is declared complete, and the
//! caller of a restore reopens it and runs `halyard check` on it.
//!
//! An encrypted store's copy stays encrypted under its database key, and
//! its keyring (the database key wrapped by the root key) travels with it:
//! restoring needs the same root key, which never goes into a backup.

use std::fs::File;
use std::io::{BufReader, BufWriter, Read, Write};
use std::path::{Path, PathBuf};

use crate::data_dir::{self, Contents, DATABASE_FILE, KEYRING_FILE, LOCK_FILE};
use crate::private_files;
use crate::{Result, Storage, StorageError};

/// The manifest's name in a backup directory; written last, so a backup
/// without it is incomplete.
pub const MANIFEST_FILE: &str = "MANIFEST";
/// The backup's copy of the store.
const STORE_FILE: &str = "halyard.db";
/// Where the store is copied before it is checked and written as a backup file.
const STAGING_FILE: &str = "copy.partial";
const FORMAT: u32 = 1;

/// What a backup directory holds.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Manifest {
    pub format: u32,
    /// When the copy was taken, in seconds since the epoch.
    pub created: u64,
    pub files: Vec<BackupFile>,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct BackupFile {
    pub name: String,
    pub bytes: u64,
    pub crc32: u32,
}

impl Manifest {
    /// `halyard-backup FORMAT`, `created SECONDS`, then `file NAME BYTES CRC32` lines.
    fn to_text(&self) -> String {
        let mut text = format!("halyard-backup {}\ncreated {}\n", self.format, self.created);
        for file in &self.files {
            text.push_str(&format!("file {} {} {:08x}\n", file.name, file.bytes, file.crc32));
        }
        text
    }

    fn from_text(text: &str) -> Option<Manifest> {
        let mut lines = text.lines();
        let format = lines.next()?.strip_prefix("halyard-backup ")?.parse().ok()?;
        let created = lines.next()?.strip_prefix("created ")?.parse().ok()?;
        let files = lines
            .map(|line| {
                let mut fields = line.strip_prefix("file ")?.split(' ');
                let name = fields.next()?.to_string();
                let bytes = fields.next()?.parse().ok()?;
                let crc32 = u32::from_str_radix(fields.next()?, 16).ok()?;
                Some(BackupFile { name, bytes, crc32 })
            })
            .collect::<Option<Vec<_>>>()?;
        Some(Manifest { format, created, files })
    }
}

fn invalid(dir: &Path, reason: impl std::fmt::Display) -> StorageError {
    StorageError::Engine(format!("{}: {reason}", dir.display()))
}

/// Writes a backup of `storage` into `dir`, which must not exist or be
/// empty. The store is copied from one snapshot without blocking writes.
pub fn write_backup(storage: &dyn Storage, dir: &Path) -> Result<Manifest> {
    if dir.exists() && std::fs::read_dir(dir)?.next().is_some() {
        return Err(invalid(dir, "the backup directory is not empty"));
    }
    private_files::create_dir_all(dir)?;
    let staging = dir.join(STAGING_FILE);
    let written = (|| {
        storage.copy_into(&staging)?;
        let mut files = vec![write_backup_file(&dir.join(STORE_FILE), &mut File::open(&staging)?)?];
        for companion in storage.copy_companions() {
            let name = companion
                .file_name()
                .ok_or_else(|| invalid(&companion, "not a file"))?
                .to_owned();
            files.push(write_backup_file(&dir.join(name), &mut File::open(&companion)?)?);
        }
        let manifest = Manifest {
            format: FORMAT,
            created: std::time::SystemTime::now()
                .duration_since(std::time::UNIX_EPOCH)
                .map_or(0, |d| d.as_secs()),
            files,
        };
        private_files::write_atomically(&dir.join(MANIFEST_FILE), manifest.to_text().as_bytes())?;
        Ok(manifest)
    })();
    let _ = std::fs::remove_file(&staging);
    written
}

/// The one function that writes a backup file: streams `source` into the
/// new file `path`, synced, and describes what it wrote.
pub fn write_backup_file(path: &Path, source: &mut dyn Read) -> Result<BackupFile> {
    let file = private_files::open_options().write(true).create_new(true).open(path)?;
    let mut out = BufWriter::new(file);
    let mut hasher = crc32fast::Hasher::new();
    let mut buffer = vec![0u8; 1 << 16];
    let mut bytes = 0u64;
    loop {
        let read = source.read(&mut buffer)?;
        if read == 0 {
            break;
        }
        hasher.update(&buffer[..read]);
        out.write_all(&buffer[..read])?;
        bytes += read as u64;
    }
    let file = out.into_inner().map_err(|e| e.into_error())?;
    file.sync_all()?;
    Ok(BackupFile {
        name: path
            .file_name()
            .map(|name| name.to_string_lossy().into_owned())
            .unwrap_or_default(),
        bytes,
        crc32: hasher.finalize(),
    })
}

/// The one function that reads a backup file: streams it into `sink`,
/// checking it against the manifest's length and CRC32.
pub fn read_backup_file(dir: &Path, file: &BackupFile, sink: &mut dyn Write) -> Result<()> {
    let path = dir.join(&file.name);
    let mut source = BufReader::new(File::open(&path)?);
    let mut hasher = crc32fast::Hasher::new();
    let mut buffer = vec![0u8; 1 << 16];
    let mut bytes = 0u64;
    loop {
        let read = source.read(&mut buffer)?;
        if read == 0 {
            break;
        }
        hasher.update(&buffer[..read]);
        sink.write_all(&buffer[..read])?;
        bytes += read as u64;
    }
    if bytes != file.bytes || hasher.finalize() != file.crc32 {
        return Err(invalid(
            &path,
            "the file does not match the backup's manifest (damaged or changed)",
        ));
    }
    Ok(())
}

pub fn read_manifest(dir: &Path) -> Result<Manifest> {
    let bytes = std::fs::read(dir.join(MANIFEST_FILE))
        .map_err(|e| invalid(dir, format!("not a complete Halyard backup ({MANIFEST_FILE}: {e})")))?;
    let manifest = std::str::from_utf8(&bytes)
        .ok()
        .and_then(Manifest::from_text)
        .ok_or_else(|| invalid(dir, format!("unreadable {MANIFEST_FILE}")))?;
    if manifest.format != FORMAT {
        return Err(invalid(
            dir,
            format!("backup format {} is not supported", manifest.format),
        ));
    }
    Ok(manifest)
}

impl Manifest {
    /// The backup's keyring, when it is a copy of an encrypted store.
    pub fn keyring(&self) -> Option<&BackupFile> {
        self.files.iter().find(|file| file.name == KEYRING_FILE)
    }
}

/// Makes the new data directory `data_dir` (absent, or holding no
/// database) from the backup in `dir`: the keyring first (a directory
/// holding only that is still new), then the database, built whole under a
/// temporary name. The caller then opens it and checks it.
pub fn restore_backup(dir: &Path, data_dir: &Path) -> Result<PathBuf> {
    let manifest = read_manifest(dir)?;
    let store = manifest
        .files
        .iter()
        .find(|file| file.name == STORE_FILE)
        .ok_or_else(|| invalid(dir, format!("the manifest lists no {STORE_FILE}")))?;
    if let Some(unknown) = manifest
        .files
        .iter()
        .find(|file| file.name != STORE_FILE && file.name != KEYRING_FILE)
    {
        return Err(invalid(
            dir,
            format!("the manifest lists an unknown file {}", unknown.name),
        ));
    }
    private_files::create_dir_all(data_dir)?;
    let lock = private_files::open_options()
        .create(true)
        .truncate(false)
        .write(true)
        .open(data_dir.join(LOCK_FILE))?;
    match lock.try_lock() {
        Ok(()) => {}
        Err(std::fs::TryLockError::WouldBlock) => {
            return Err(StorageError::Locked {
                path: data_dir.display().to_string(),
            })
        }
        Err(std::fs::TryLockError::Error(e)) => return Err(e.into()),
    }
    if data_dir::inspect(data_dir, manifest.keyring().is_some())? != Contents::New {
        return Err(invalid(
            data_dir,
            format!("already holds a database ({DATABASE_FILE}); restore into a new data directory"),
        ));
    }
    if let Some(keyring) = manifest.keyring() {
        let mut bytes = Vec::new();
        read_backup_file(dir, keyring, &mut bytes)?;
        private_files::write_atomically(&data_dir.join(KEYRING_FILE), &bytes)?;
    }
    data_dir::create(data_dir, |staging| {
        let mut out = private_files::open_options().write(true).truncate(true).open(staging)?;
        read_backup_file(dir, store, &mut out)?;
        out.sync_all()?;
        Ok(())
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::sqlite::{SqliteOptions, SqliteStorage};
    use crate::sqlite_cipher::DatabaseKey;

    fn store_with_marker(dir: &Path, options: SqliteOptions) -> SqliteStorage {
        let storage = SqliteStorage::open(dir, options).unwrap();
        let mut tx = storage.begin_write().unwrap();
        tx.create_keyspace("things").unwrap();
        tx.put("things", b"k", b"MARKER-OCELOT").unwrap();
        tx.commit().unwrap();
        storage
    }

    fn names(manifest: &Manifest) -> Vec<&str> {
        manifest.files.iter().map(|file| file.name.as_str()).collect()
    }

    #[test]
    fn an_encrypted_store_is_copied_under_its_key_with_its_keyring() {
        let source = tempfile::tempdir().unwrap();
        let options = SqliteOptions {
            key: Some(DatabaseKey::new([9; 32])),
            ..Default::default()
        };
        // The binary writes the keyring; here its bytes only travel.
        std::fs::write(source.path().join(KEYRING_FILE), b"wrapped keys").unwrap();
        let storage = store_with_marker(source.path(), options.clone());
        let scratch = tempfile::tempdir().unwrap();
        let copy = scratch.path().join("copy");
        let manifest = write_backup(&storage, &copy).unwrap();
        drop(storage);
        assert_eq!(names(&manifest), [STORE_FILE, KEYRING_FILE]);
        assert!(!std::fs::read(copy.join(STORE_FILE))
            .unwrap()
            .windows(13)
            .any(|w| w == b"MARKER-OCELOT"));

        let restored = scratch.path().join("restored");
        restore_backup(&copy, &restored).unwrap();
        assert_eq!(std::fs::read(restored.join(KEYRING_FILE)).unwrap(), b"wrapped keys");
        let existing = SqliteOptions {
            create_if_new: false,
            ..options
        };
        let reopened = SqliteStorage::open(&restored, existing.clone()).unwrap();
        assert_eq!(
            reopened.get("things", b"k").unwrap().as_deref(),
            Some(&b"MARKER-OCELOT"[..])
        );
        drop(reopened);
        let other_key = SqliteOptions {
            key: Some(DatabaseKey::new([1; 32])),
            ..existing
        };
        assert!(matches!(
            SqliteStorage::open(&restored, other_key),
            Err(StorageError::WrongKey { .. })
        ));
        // A restore into the encrypted directory it made is refused.
        let again = restore_backup(&copy, &restored).unwrap_err().to_string();
        assert!(again.contains("already holds a database"), "{again}");
    }

    #[test]
    fn a_plaintext_store_travels_alone_and_a_copy_without_its_manifest_is_refused() {
        let source = tempfile::tempdir().unwrap();
        let storage = store_with_marker(source.path(), SqliteOptions::default());
        let scratch = tempfile::tempdir().unwrap();
        let copy = scratch.path().join("copy");
        assert_eq!(names(&write_backup(&storage, &copy).unwrap()), [STORE_FILE]);
        std::fs::remove_file(copy.join(MANIFEST_FILE)).unwrap();
        let refused = restore_backup(&copy, &scratch.path().join("restored"))
            .unwrap_err()
            .to_string();
        assert!(refused.contains("not a complete Halyard backup"), "{refused}");
        assert!(!scratch.path().join("restored").exists());
    }
}
