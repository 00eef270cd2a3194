//! Whole-server backups: `halyard backup DIR` writes a consistent copy of
//! the store and a manifest into a new directory; `halyard restore DIR`
//! makes a new data directory from one.
//!
//! Every file of a backup is written by [`write_backup_file`] and read by
//! [`read_backup_file`], so that sealing (encryption) can be added in one
//! place. The manifest records each file's length and CRC32, checked on
//! restore; the copy itself is checked by SQLite (`PRAGMA integrity_check`)
//! before the backup is declared complete, and the caller of a restore
//! reopens it and runs `halyard check` on it.

use std::fs::File;
use std::io::{BufReader, BufWriter, Read, Write};
use std::path::{Path, PathBuf};

use crate::data_dir::{self, Contents, DATABASE_FILE, LOCK_FILE};
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
        check_copy(&staging)?;
        let store = write_backup_file(&dir.join(STORE_FILE), &mut File::open(&staging)?)?;
        let manifest = Manifest {
            format: FORMAT,
            created: std::time::SystemTime::now()
                .duration_since(std::time::UNIX_EPOCH)
                .map_or(0, |d| d.as_secs()),
            files: vec![store],
        };
        private_files::write_atomically(&dir.join(MANIFEST_FILE), manifest.to_text().as_bytes())?;
        Ok(manifest)
    })();
    let _ = std::fs::remove_file(&staging);
    written
}

/// SQLite's own check of the copied database file.
fn check_copy(path: &Path) -> Result<()> {
    let flags = rusqlite::OpenFlags::SQLITE_OPEN_READ_ONLY | rusqlite::OpenFlags::SQLITE_OPEN_NO_MUTEX;
    let connection = rusqlite::Connection::open_with_flags(path, flags).map_err(crate::sqlite::engine_error)?;
    let result: String = connection
        .query_row("PRAGMA integrity_check", [], |row| row.get(0))
        .map_err(crate::sqlite::engine_error)?;
    if result == "ok" {
        Ok(())
    } else {
        Err(invalid(path, format!("the copy failed its integrity check: {result}")))
    }
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

/// Makes the new data directory `data_dir` (absent, or holding no
/// database) from the backup in `dir`. The caller then opens it and checks it.
pub fn restore_backup(dir: &Path, data_dir: &Path) -> Result<PathBuf> {
    let manifest = read_manifest(dir)?;
    let store = manifest
        .files
        .iter()
        .find(|file| file.name == STORE_FILE)
        .ok_or_else(|| invalid(dir, format!("the manifest lists no {STORE_FILE}")))?;
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
    if data_dir::inspect(data_dir, false)? != Contents::New {
        return Err(invalid(
            data_dir,
            format!("already holds a database ({DATABASE_FILE}); restore into a new data directory"),
        ));
    }
    data_dir::create(data_dir, |staging| {
        let mut out = private_files::open_options().write(true).truncate(true).open(staging)?;
        read_backup_file(dir, store, &mut out)?;
        out.sync_all()?;
        Ok(())
    })
}
