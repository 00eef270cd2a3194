//! The audit directory: log files (`logs/`) and digest files (`digests/`),
//! gzip JSON as CloudTrail delivers them. Every file is written and read
//! through [`write_log_file`] and [`read_log_file`] — the one place where
//! sealing (encryption at rest) is to be added.

use std::fs;
use std::io::{Read, Write};
use std::os::unix::fs::{DirBuilderExt, OpenOptionsExt};
use std::path::{Path, PathBuf};

use flate2::read::GzDecoder;
use flate2::write::GzEncoder;
use flate2::Compression;

pub const LOGS: &str = "logs";
pub const DIGESTS: &str = "digests";

/// Largest decoded file read back (a log file is capped well below).
const MAX_READ: u64 = 1 << 30;

/// Writes `content` to `path` (relative to `dir`) in full or not at all:
/// a temporary file, synced, renamed over, and the directory synced.
pub fn write_log_file(dir: &Path, path: &str, content: &[u8]) -> std::io::Result<()> {
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
        let mut encoder = GzEncoder::new(file, Compression::fast());
        encoder.write_all(content)?;
        encoder.finish()?.sync_all()?;
    }
    fs::rename(&temporary, &target)?;
    fs::File::open(parent)?.sync_all()
}

/// The content of a file written by [`write_log_file`].
pub fn read_log_file(dir: &Path, path: &str) -> std::io::Result<Vec<u8>> {
    let file = fs::File::open(dir.join(path))?;
    let mut content = Vec::new();
    GzDecoder::new(file).take(MAX_READ).read_to_end(&mut content)?;
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
        write_log_file(dir.path(), &name, b"{\"Records\":[]}").unwrap();
        assert_eq!(read_log_file(dir.path(), &name).unwrap(), b"{\"Records\":[]}");
        let mode = fs::metadata(dir.path().join(&name)).unwrap().permissions().mode();
        assert_eq!(mode & 0o777, 0o600);
        let mode = fs::metadata(dir.path().join(LOGS)).unwrap().permissions().mode();
        assert_eq!(mode & 0o777, 0o700);
        assert_eq!(list(dir.path(), LOGS).unwrap(), [name]);
    }
}
