//! The audit directory: log files (`logs/`) and digest files (`digests/`),
//! gzip JSON as CloudTrail delivers them. Every file is written and read
//! through [`write_log_file`] and [`read_log_file`]: with encryption at rest
//! on, the gzip stream is sealed (`halyard_kms::sealed_file`, bound to the
//! file's name) under the keyring's service key.

use std::fs;
use std::io::{Read, Write};
use std::os::unix::fs::{DirBuilderExt, OpenOptionsExt};
use std::path::{Path, PathBuf};

use flate2::read::GzDecoder;
use flate2::write::GzEncoder;
use flate2::Compression;
use halyard_kms::sealed_file::{self, FileKeys};

pub const LOGS: &str = "logs";
pub const DIGESTS: &str = "digests";

/// Largest decoded file read back (a log file is capped well below).
const MAX_READ: u64 = 1 << 30;

/// What a sealed audit file is bound to: its name, so that one cannot be
/// passed off as another.
fn purpose(path: &str) -> Vec<u8> {
    format!("halyard audit file {path}").into_bytes()
}

/// Writes `content` to `path` (relative to `dir`) in full or not at all:
/// a temporary file, synced, renamed over, and the directory synced.
/// Sealed under `sealing`'s current key when it is given.
pub fn write_log_file(dir: &Path, path: &str, content: &[u8], sealing: Option<&FileKeys>) -> std::io::Result<()> {
    let target = dir.join(path);
    let parent = target.parent().unwrap_or(dir);
    create_private_dir(parent)?;
    let temporary = parent.join(format!(
        ".{}.tmp",
        target.file_name().and_then(|n| n.to_str()).unwrap_or("file")
    ));
    {
        let file = fs::OpenOptions::new()
            .write(true)
            .create(true)
            .truncate(true)
            .mode(0o600)
            .open(&temporary)?;
        match sealing {
            Some(keys) => {
                let sealed = sealed_file::SealedWriter::new(std::io::BufWriter::new(file), keys, &purpose(path))?;
                let mut encoder = GzEncoder::new(sealed, Compression::fast());
                encoder.write_all(content)?;
                let file = encoder.finish()?.finish()?.into_inner().map_err(|e| e.into_error())?;
                file.sync_all()?;
            }
            None => {
                let mut encoder = GzEncoder::new(file, Compression::fast());
                encoder.write_all(content)?;
                encoder.finish()?.sync_all()?;
            }
        }
    }
    fs::rename(&temporary, &target)?;
    fs::File::open(parent)?.sync_all()
}

/// The content of a file written by [`write_log_file`]. A sealed file
/// needs `sealing`; a file written before encryption was on is plain gzip.
pub fn read_log_file(dir: &Path, path: &str, sealing: Option<&FileKeys>) -> std::io::Result<Vec<u8>> {
    let mut file = std::io::BufReader::new(fs::File::open(dir.join(path))?);
    let mut content = Vec::new();
    let sealed = std::io::BufRead::fill_buf(&mut file)?.starts_with(sealed_file::MAGIC);
    match (sealed, sealing) {
        (true, Some(keys)) => {
            let reader = sealed_file::SealedReader::new(file, keys, &purpose(path))?;
            GzDecoder::new(reader).take(MAX_READ).read_to_end(&mut content)?;
        }
        (true, None) => {
            return Err(std::io::Error::new(
                std::io::ErrorKind::InvalidData,
                format!("{path} is sealed: it needs the store's keys (encryption on)"),
            ))
        }
        (false, _) => {
            GzDecoder::new(file).take(MAX_READ).read_to_end(&mut content)?;
        }
    }
    Ok(content)
}

pub fn create_private_dir(dir: &Path) -> std::io::Result<()> {
    fs::DirBuilder::new().recursive(true).mode(0o700).create(dir)
}

/// `logs/ACCOUNT_CloudTrail_REGION_20261201T184016Z_00000000000000a1.json.gz`:
/// CloudTrail's name, with the first record's sequence number as the
/// unique part (a file re-written after a crash gets the same name).
pub fn log_file_name(account: &str, region: &str, time: &str, first_sequence: u64) -> String {
    format!(
        "{LOGS}/{account}_CloudTrail_{region}_{}_{first_sequence:016x}.json.gz",
        compact(time)
    )
}

pub fn digest_file_name(account: &str, region: &str, time: &str, sequence: u64) -> String {
    format!(
        "{DIGESTS}/{account}_CloudTrail-Digest_{region}_halyard_{region}_{}_{sequence:016x}.json.gz",
        compact(time)
    )
}

/// A digest's signature, beside it (CloudTrail keeps it in the object's
/// metadata).
pub fn signature_file_name(digest: &str) -> String {
    format!("{digest}.sig")
}

/// `2026-12-01T18:40:16Z` → `20261201T184016Z`.
fn compact(time: &str) -> String {
    time.chars().filter(|c| *c != '-' && *c != ':').collect()
}

/// Every file under `dir/sub`, as relative paths, sorted (temporary files
/// left by a crash are not files of the trail).
pub fn list(dir: &Path, sub: &str) -> std::io::Result<Vec<String>> {
    let mut names = Vec::new();
    let path: PathBuf = dir.join(sub);
    match fs::read_dir(&path) {
        Ok(entries) => {
            for entry in entries {
                let entry = entry?;
                if let Some(name) = entry.file_name().to_str() {
                    if !name.starts_with('.') {
                        names.push(format!("{sub}/{name}"));
                    }
                }
            }
        }
        Err(error) if error.kind() == std::io::ErrorKind::NotFound => {}
        Err(error) => return Err(error),
    }
    names.sort();
    Ok(names)
}

#[cfg(test)]
mod tests {
    use std::os::unix::fs::PermissionsExt;

    use super::*;

    #[test]
    fn files_round_trip_privately() {
        let dir = tempfile::tempdir().unwrap();
        let name = log_file_name("111122223333", "us-east-1", "2026-12-01T18:40:16Z", 161);
        assert_eq!(
            name,
            "logs/111122223333_CloudTrail_us-east-1_20261201T184016Z_00000000000000a1.json.gz"
        );
        write_log_file(dir.path(), &name, b"{\"Records\":[]}", None).unwrap();
        assert_eq!(read_log_file(dir.path(), &name, None).unwrap(), b"{\"Records\":[]}");
        let mode = fs::metadata(dir.path().join(&name)).unwrap().permissions().mode();
        assert_eq!(mode & 0o777, 0o600);
        let mode = fs::metadata(dir.path().join(LOGS)).unwrap().permissions().mode();
        assert_eq!(mode & 0o777, 0o700);
        assert_eq!(list(dir.path(), LOGS).unwrap(), [name]);
    }

    #[test]
    fn sealed_files_hide_their_content_and_need_the_keys() {
        let dir = tempfile::tempdir().unwrap();
        let keys = FileKeys::new(vec![(1, halyard_kms::SecretKey::generate().unwrap())]);
        let name = log_file_name("111122223333", "us-east-1", "2026-12-01T18:40:16Z", 1);
        let content = b"{\"Records\":[{\"tableName\":\"distinctive-table-name\"}]}".repeat(50);
        write_log_file(dir.path(), &name, &content, Some(&keys)).unwrap();
        let raw = fs::read(dir.path().join(&name)).unwrap();
        assert!(raw.starts_with(sealed_file::MAGIC));
        assert!(!raw.windows(10).any(|w| w == b"distinctiv"));
        assert_eq!(read_log_file(dir.path(), &name, Some(&keys)).unwrap(), content);
        assert!(read_log_file(dir.path(), &name, None).is_err());
        // Bound to its name: moved over another file, it does not open.
        let other = log_file_name("111122223333", "us-east-1", "2026-12-01T18:40:16Z", 2);
        fs::copy(dir.path().join(&name), dir.path().join(&other)).unwrap();
        assert!(read_log_file(dir.path(), &other, Some(&keys)).is_err());
        // Files written before encryption was on still read.
        write_log_file(dir.path(), &other, b"plain", None).unwrap();
        assert_eq!(read_log_file(dir.path(), &other, Some(&keys)).unwrap(), b"plain");
    }
}
