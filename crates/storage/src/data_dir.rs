//! What a data directory must hold before SQLite opens it.
//!
//! SQLite takes an empty database file for a new database, and reads past
//! the end of a cut-short one as pages of zeros: either way a damaged
//! directory would start as if it held fewer (or no) tables. So Halyard
//! never leaves an empty or partial `halyard.db` behind — a new database is
//! built whole under a temporary name, synced and renamed into place — and
//! refuses, at start, every state it cannot have left itself:
//!
//! * `halyard.db` empty, shorter than the page count in its header says, or
//!   not a whole number of pages;
//! * `halyard.db` missing while its write-ahead log (or rollback journal)
//!   is there, or while the directory holds any other file: the database
//!   was lost or this is not a data directory.
//!
//! A directory is new only when it holds nothing but Halyard's lock file
//! (and a temporary database a crash interrupted during creation).

use std::fs::File;
use std::io::Read;
use std::path::{Path, PathBuf};

use crate::private_files;
use crate::sqlite_cipher::CIPHER_PAGE_SIZE;
use crate::{Result, StorageError};

pub(crate) const DATABASE_FILE: &str = "halyard.db";
pub(crate) const LOCK_FILE: &str = "LOCK";
/// Beside the database: its keys, wrapped (kept by the binary, which may
/// write it before the database exists).
pub const KEYRING_FILE: &str = "keyring";
/// A new database is built under this name, then renamed to
/// [`DATABASE_FILE`].
const NEW_DATABASE_FILE: &str = "halyard.db.new";
/// SQLite's companions of a database file: write-ahead log, rollback
/// journal, shared-memory WAL index.
pub(crate) const COMPANION_SUFFIXES: [&str; 3] = ["-wal", "-journal", "-shm"];
/// Created by mkfs at the root of a file system: a volume mounted as the
/// data directory holds it from the start.
const LOST_AND_FOUND: &str = "lost+found";
const SQLITE_MAGIC: &[u8; 16] = b"SQLite format 3\0";
/// The database header's length, and the bytes of it read here.
const HEADER_BYTES: usize = 100;
/// Each WAL frame is a page after a 24-byte frame header; the WAL itself
/// starts with a 32-byte header.
const WAL_FRAME_HEADER: u64 = 24;
const WAL_HEADER: u64 = 32;

/// What [`prepare`] found in the directory.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Contents {
    /// A database that passed the file checks.
    Existing,
    /// Nothing yet: the caller may create the database.
    New,
}

/// Checks `dir` (already locked): a database whose file looks whole, or a
/// directory that is new. Everything else is refused.
/// `encrypted`: whether the database is SQLCipher's (whose header is
/// encrypted, so only its length can be checked here).
pub(crate) fn inspect(dir: &Path, encrypted: bool) -> Result<Contents> {
    let database = dir.join(DATABASE_FILE);
    match std::fs::metadata(&database) {
        Ok(_) => {
            check_database_file(&database, encrypted)?;
            Ok(Contents::Existing)
        }
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => check_new(dir, &database),
        Err(e) => Err(e.into()),
    }
}

/// A directory without a database is new only if nothing in it says a
/// database was there (or that it is some other directory).
fn check_new(dir: &Path, database: &Path) -> Result<Contents> {
    let mut others = Vec::new();
    for entry in std::fs::read_dir(dir)? {
        let name = entry?.file_name().to_string_lossy().into_owned();
        if let Some(suffix) = COMPANION_SUFFIXES
            .iter()
            .find(|s| name == format!("{DATABASE_FILE}{s}"))
        {
            return Err(damaged(
                database,
                format!(
                    "the database file is missing, but its {DATABASE_FILE}{suffix} is there: the database was lost"
                ),
            ));
        }
        let ours = name == LOCK_FILE
            || name.starts_with(KEYRING_FILE)
            || name == LOST_AND_FOUND
            || name.starts_with(NEW_DATABASE_FILE);
        if !ours {
            others.push(name);
        }
    }
    if !others.is_empty() {
        others.sort();
        others.truncate(5);
        return Err(damaged(
            database,
            format!(
                "the database file is missing, but the directory holds other files ({}): either the database was lost or this is not a Halyard data directory; use an empty directory for a new database",
                others.join(", ")
            ),
        ));
    }
    Ok(Contents::New)
}

/// Creates the database of a new directory: `build` writes it at a
/// temporary path; it is synced there, then renamed into place and the
/// directory synced, so that a crash leaves either no database or a whole
/// one.
pub(crate) fn create(dir: &Path, build: impl FnOnce(&Path) -> Result<()>) -> Result<PathBuf> {
    let staging = dir.join(NEW_DATABASE_FILE);
    // Left by a crash during an earlier creation.
    for path in std::iter::once(staging.clone()).chain(COMPANION_SUFFIXES.iter().map(|s| companion(&staging, s))) {
        match std::fs::remove_file(&path) {
            Err(e) if e.kind() != std::io::ErrorKind::NotFound => return Err(e.into()),
            _ => {}
        }
    }
    // Created here, empty (SQLite takes that for a new database), for its
    // mode: SQLite would create it 0644 less the umask, and gives its WAL
    // and journals the mode of their database file.
    private_files::open_options()
        .write(true)
        .create_new(true)
        .open(&staging)?;
    build(&staging)?;
    File::open(&staging)?.sync_all()?;
    let database = dir.join(DATABASE_FILE);
    std::fs::rename(&staging, &database)?;
    File::open(dir)?.sync_all()?;
    Ok(database)
}

pub(crate) fn companion(database: &Path, suffix: &str) -> PathBuf {
    let mut name = database.as_os_str().to_owned();
    name.push(suffix);
    PathBuf::from(name)
}

fn damaged(path: &Path, reason: String) -> StorageError {
    StorageError::Damaged {
        path: path.display().to_string(),
        reason,
    }
}

fn be_u32(bytes: &[u8]) -> u32 {
    u32::from_be_bytes(bytes.try_into().expect("four bytes"))
}

/// Refuses a file that is not a SQLite database, or is empty or cut short,
/// before SQLite touches it.
fn check_database_file(path: &Path, encrypted: bool) -> Result<()> {
    let mut file = File::open(path)?;
    let length = file.metadata()?.len();
    if length == 0 {
        return Err(damaged(
            path,
            "the database file is empty (0 bytes); Halyard never leaves it so, so its contents were lost".into(),
        ));
    }
    let mut header = [0u8; HEADER_BYTES];
    let mut read = 0;
    while read < header.len() {
        match file.read(&mut header[read..])? {
            0 => break,
            n => read += n,
        }
    }
    let plaintext = read >= SQLITE_MAGIC.len() && &header[..SQLITE_MAGIC.len()] == SQLITE_MAGIC;
    match (plaintext, encrypted) {
        (true, true) => {
            return Err(StorageError::PlaintextDatabase {
                path: path.display().to_string(),
            })
        }
        (false, true) if length % CIPHER_PAGE_SIZE != 0 => {
            return Err(damaged(
                path,
                format!(
                "the database file is cut short: {length} bytes is not a whole number of {CIPHER_PAGE_SIZE}-byte pages"
            ),
            ))
        }
        (false, true) => return Ok(()),
        (false, false) => {
            return Err(StorageError::Foreign {
                path: path.display().to_string(),
                reason:
                    "the file is not a plaintext SQLite database: it is encrypted (start with encryption on) or corrupt"
                        .into(),
            })
        }
        (true, false) => {}
    }
    if read < HEADER_BYTES {
        return Err(damaged(path, format!("the database file is cut short: {length} bytes")));
    }
    // Stored big-endian; 1 stands for 65536.
    let page_size = match u16::from_be_bytes([header[16], header[17]]) {
        1 => 65536,
        size => u64::from(size),
    };
    if !page_size.is_power_of_two() || page_size < 512 {
        return Err(damaged(
            path,
            format!("the database header names a page size of {page_size} bytes"),
        ));
    }
    if length % page_size != 0 {
        return Err(damaged(
            path,
            format!("the database file is cut short: {length} bytes is not a whole number of {page_size}-byte pages"),
        ));
    }
    // SQLite trusts the page count in the header only while the change
    // counter matches the "version valid for" number beside it.
    let (change_counter, pages, valid_for) = (
        be_u32(&header[24..28]),
        be_u32(&header[28..32]),
        be_u32(&header[92..96]),
    );
    if pages == 0 || change_counter != valid_for {
        return Ok(());
    }
    let missing_pages = (u64::from(pages) * page_size).saturating_sub(length) / page_size;
    if missing_pages == 0 {
        return Ok(());
    }
    // A checkpoint interrupted by power loss may have written the header
    // page before the file grew; the WAL then still holds the rest.
    let wal_frames = match std::fs::metadata(companion(path, "-wal")) {
        Ok(wal) => wal.len().saturating_sub(WAL_HEADER) / (page_size + WAL_FRAME_HEADER),
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => 0,
        Err(e) => return Err(e.into()),
    };
    if missing_pages > wal_frames {
        return Err(damaged(
            path,
            format!(
                "the database file is cut short: {length} bytes, but its header counts {pages} pages of {page_size} bytes ({} bytes), and no write-ahead log could hold the {missing_pages} missing pages",
                u64::from(pages) * page_size
            ),
        ));
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn refusal(dir: &Path) -> String {
        match inspect(dir, false) {
            Err(error) => error.to_string(),
            Ok(contents) => panic!("{} accepted as {contents:?}", dir.display()),
        }
    }

    #[test]
    fn an_empty_directory_or_one_with_only_the_lock_is_new() {
        let dir = tempfile::tempdir().unwrap();
        assert_eq!(inspect(dir.path(), false).unwrap(), Contents::New);
        std::fs::write(dir.path().join(LOCK_FILE), b"").unwrap();
        std::fs::write(dir.path().join(NEW_DATABASE_FILE), b"half-built").unwrap();
        assert_eq!(inspect(dir.path(), false).unwrap(), Contents::New);
    }

    #[test]
    fn a_directory_that_lost_its_database_is_refused() {
        let dir = tempfile::tempdir().unwrap();
        std::fs::write(dir.path().join("halyard.db-wal"), b"frames").unwrap();
        assert!(refusal(dir.path()).contains("halyard.db-wal is there"));

        let dir = tempfile::tempdir().unwrap();
        std::fs::write(dir.path().join("notes.txt"), b"mine").unwrap();
        assert!(refusal(dir.path()).contains("holds other files (notes.txt)"));
    }

    #[test]
    fn an_empty_or_cut_short_database_file_is_refused() {
        let dir = tempfile::tempdir().unwrap();
        let database = dir.path().join(DATABASE_FILE);
        std::fs::write(&database, b"").unwrap();
        assert!(refusal(dir.path()).contains("is empty (0 bytes)"));

        // A header that counts 3 pages of 4096 bytes.
        let mut header = vec![0u8; 4096];
        header[..16].copy_from_slice(SQLITE_MAGIC);
        header[16..18].copy_from_slice(&4096u16.to_be_bytes());
        header[24..28].copy_from_slice(&7u32.to_be_bytes());
        header[28..32].copy_from_slice(&3u32.to_be_bytes());
        header[92..96].copy_from_slice(&7u32.to_be_bytes());
        std::fs::write(&database, &header[..50]).unwrap();
        assert!(refusal(dir.path()).contains("cut short: 50 bytes"));
        std::fs::write(&database, &header[..1000]).unwrap();
        assert!(refusal(dir.path()).contains("not a whole number of 4096-byte pages"));
        std::fs::write(&database, &header).unwrap();
        assert!(refusal(dir.path()).contains("counts 3 pages"));
        // A WAL with room for the two missing pages may still hold them.
        std::fs::write(dir.path().join("halyard.db-wal"), vec![0u8; 32 + 2 * (4096 + 24)]).unwrap();
        assert_eq!(inspect(dir.path(), false).unwrap(), Contents::Existing);
        // The page count is not trusted once the counters disagree.
        std::fs::remove_file(dir.path().join("halyard.db-wal")).unwrap();
        header[92..96].copy_from_slice(&6u32.to_be_bytes());
        std::fs::write(&database, &header).unwrap();
        assert_eq!(inspect(dir.path(), false).unwrap(), Contents::Existing);
    }
}
