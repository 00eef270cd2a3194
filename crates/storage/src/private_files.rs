//! Every directory Halyard creates is 0700 and every file 0600, whatever the
//! process's umask: a data directory holds the data, keys and credentials.
//!
//! The modes are set where the files are created, so that a program using
//! this crate as a library gets them without touching its umask. SQLite
//! creates its write-ahead log and journals itself, with the mode of their
//! database file, which is why the database file is created here first.

use std::fs::{DirBuilder, OpenOptions, Permissions};
use std::io::{self, Write};
use std::os::unix::fs::{DirBuilderExt, OpenOptionsExt, PermissionsExt};
use std::path::{Path, PathBuf};

/// The mode of the directories Halyard creates.
pub const DIRECTORY_MODE: u32 = 0o700;
/// The mode of the files Halyard creates.
pub const FILE_MODE: u32 = 0o600;
/// Permission bits for anyone but the owner.
const GROUP_AND_OTHERS: u32 = 0o077;

/// Creates `path` and its missing parents, each [`DIRECTORY_MODE`]; an
/// existing directory is left as it is.
pub fn create_dir_all(path: &Path) -> io::Result<()> {
    DirBuilder::new().recursive(true).mode(DIRECTORY_MODE).create(path)
}

/// Options that create a file with [`FILE_MODE`] (the caller says how it
/// is opened: read, write, create, ...).
pub fn open_options() -> OpenOptions {
    let mut options = OpenOptions::new();
    options.mode(FILE_MODE);
    options
}

/// Writes `path` whole or not at all: under a temporary name first, synced,
/// then renamed into place, and the directory synced.
pub fn write_atomically(path: &Path, contents: &[u8]) -> io::Result<()> {
    let mut staging = path.as_os_str().to_owned();
    staging.push(".new");
    let staging = PathBuf::from(staging);
    // Left by a crash: it may have another mode, and `mode` applies only to
    // a file being created.
    match std::fs::remove_file(&staging) {
        Err(e) if e.kind() != io::ErrorKind::NotFound => return Err(e),
        _ => {}
    }
    let mut file = open_options().write(true).create_new(true).open(&staging)?;
    file.write_all(contents)?;
    file.sync_all()?;
    std::fs::rename(&staging, path)?;
    if let Some(dir) = path.parent().filter(|dir| !dir.as_os_str().is_empty()) {
        std::fs::File::open(dir)?.sync_all()?;
    }
    Ok(())
}

/// What [`tighten`] changed, and what it could not.
#[derive(Debug, Default)]
pub struct Tightened {
    /// Each path whose group and other permissions were removed.
    pub changed: Vec<PathBuf>,
    /// Paths that could not be read or changed, and why.
    pub failed: Vec<(PathBuf, io::Error)>,
}

/// Removes every group and other permission from `dir` and everything under
/// it (symbolic links are neither followed nor changed), so that a data
/// directory made by an older Halyard, or by hand, becomes private.
pub fn tighten(dir: &Path) -> Tightened {
    let mut tightened = Tightened::default();
    // A stack, not recursion: the depth is the file system's.
    let mut pending = vec![dir.to_path_buf()];
    while let Some(path) = pending.pop() {
        let metadata = match std::fs::symlink_metadata(&path) {
            Ok(metadata) => metadata,
            Err(error) => {
                tightened.failed.push((path, error));
                continue;
            }
        };
        if metadata.file_type().is_symlink() {
            continue;
        }
        let mode = metadata.permissions().mode() & 0o7777;
        if mode & GROUP_AND_OTHERS != 0 {
            match std::fs::set_permissions(&path, Permissions::from_mode(mode & !GROUP_AND_OTHERS)) {
                Ok(()) => tightened.changed.push(path.clone()),
                Err(error) => tightened.failed.push((path.clone(), error)),
            }
        }
        if metadata.is_dir() {
            match std::fs::read_dir(&path) {
                Ok(entries) => pending.extend(entries.filter_map(|entry| entry.ok()).map(|entry| entry.path())),
                Err(error) => tightened.failed.push((path, error)),
            }
        }
    }
    tightened
}

/// [`tighten`]s a data directory, with one warning line if anything was
/// loose. Nothing here stops the start: a directory Halyard cannot tighten
/// (a mount point owned by another user) still serves, with the warning.
pub fn tighten_data_dir(dir: &Path) {
    let tightened = tighten(dir);
    if tightened.changed.is_empty() && tightened.failed.is_empty() {
        return;
    }
    let names = |paths: &mut dyn Iterator<Item = &PathBuf>| {
        let paths: Vec<_> = paths.collect();
        let mut shown: Vec<_> = paths.iter().take(5).map(|path| path.display().to_string()).collect();
        if paths.len() > shown.len() {
            shown.push(format!("and {} more", paths.len() - shown.len()));
        }
        shown.join(", ")
    };
    tracing::warn!(
        dir = %dir.display(),
        tightened = %names(&mut tightened.changed.iter()),
        not_tightened = %tightened
            .failed
            .iter()
            .take(5)
            .map(|(path, error)| format!("{}: {error}", path.display()))
            .collect::<Vec<_>>()
            .join(", "),
        "the data directory was readable or writable by others; group and other permissions were removed (directories 0700, files 0600)"
    );
}

#[cfg(test)]
mod tests {
    use super::*;

    fn mode(path: &Path) -> u32 {
        std::fs::symlink_metadata(path).unwrap().permissions().mode() & 0o7777
    }

    #[test]
    fn created_files_and_directories_are_private_whatever_the_umask() {
        let dir = tempfile::tempdir().unwrap();
        // The umask removes bits only: a file created 0600 is 0600 under
        // umask 000 too. Not set here: it is the process's, and tests run
        // in threads.
        let nested = dir.path().join("a/b");
        create_dir_all(&nested).unwrap();
        assert_eq!(mode(&dir.path().join("a")), DIRECTORY_MODE);
        assert_eq!(mode(&nested), DIRECTORY_MODE);
        let file = nested.join("f");
        open_options().write(true).create_new(true).open(&file).unwrap();
        assert_eq!(mode(&file), FILE_MODE);
        write_atomically(&nested.join("g"), b"contents").unwrap();
        assert_eq!(mode(&nested.join("g")), FILE_MODE);
        assert_eq!(std::fs::read(nested.join("g")).unwrap(), b"contents");
    }

    #[test]
    fn an_atomic_write_replaces_a_loose_leftover() {
        let dir = tempfile::tempdir().unwrap();
        let leftover = dir.path().join("key.pem.new");
        std::fs::write(&leftover, b"half").unwrap();
        std::fs::set_permissions(&leftover, Permissions::from_mode(0o644)).unwrap();
        write_atomically(&dir.path().join("key.pem"), b"whole").unwrap();
        assert_eq!(mode(&dir.path().join("key.pem")), FILE_MODE);
        assert!(!leftover.exists());
    }

    #[test]
    fn tighten_removes_group_and_other_bits_below_a_directory() {
        let dir = tempfile::tempdir().unwrap();
        let sub = dir.path().join("tls");
        std::fs::create_dir(&sub).unwrap();
        std::fs::write(sub.join("cert.pem"), b"x").unwrap();
        std::fs::write(dir.path().join("halyard.db"), b"x").unwrap();
        std::fs::set_permissions(dir.path(), Permissions::from_mode(0o755)).unwrap();
        std::fs::set_permissions(&sub, Permissions::from_mode(0o777)).unwrap();
        std::fs::set_permissions(sub.join("cert.pem"), Permissions::from_mode(0o644)).unwrap();
        std::fs::set_permissions(dir.path().join("halyard.db"), Permissions::from_mode(0o600)).unwrap();
        std::os::unix::fs::symlink("/etc/hostname", dir.path().join("link")).unwrap();

        let tightened = tighten(dir.path());
        assert!(tightened.failed.is_empty(), "{:?}", tightened.failed);
        let mut changed = tightened.changed.clone();
        changed.sort();
        assert_eq!(
            changed,
            vec![dir.path().to_path_buf(), sub.clone(), sub.join("cert.pem")]
        );
        assert_eq!(mode(dir.path()), 0o700);
        assert_eq!(mode(&sub), 0o700);
        assert_eq!(mode(&sub.join("cert.pem")), 0o600);
        assert_eq!(mode(&dir.path().join("halyard.db")), 0o600);
        // Nothing loose is left: a second pass changes nothing.
        assert!(tighten(dir.path()).changed.is_empty());
    }
}
