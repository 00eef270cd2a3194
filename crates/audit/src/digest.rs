//! Log file integrity, as CloudTrail's log file integrity validation does
//! it: each closed log file gets a digest file naming the file's SHA-256,
//! the previous digest's hash and signature, and its time range; the digest
//! is signed (Ed25519) with a key Halyard generated at first start and keeps
//! in `sys_audit`. The chain is checked from its newest digest (whose hash
//! and signature the database keeps) back to the first.

use std::collections::HashSet;
use std::fmt;
use std::path::Path;

use aws_lc_rs::rand::SystemRandom;
use aws_lc_rs::signature::{self, Ed25519KeyPair, KeyPair, UnparsedPublicKey};
use serde_json::{json, Value};

use crate::files::{self, read_log_file};
use crate::store::ChainHead;

pub const SIGNATURE_ALGORITHM: &str = "Ed25519";
pub const HASH_ALGORITHM: &str = "SHA-256";

pub fn sha256_hex(bytes: &[u8]) -> String {
    hex::encode(aws_lc_rs::digest::digest(&aws_lc_rs::digest::SHA256, bytes))
}

/// The trail's signing key.
pub struct SigningKey {
    pair: Ed25519KeyPair,
}

impl SigningKey {
    /// A new key, as PKCS#8 (what is stored).
    pub fn generate() -> Vec<u8> {
        Ed25519KeyPair::generate_pkcs8(&SystemRandom::new())
            .expect("the system CSPRNG works")
            .as_ref()
            .to_vec()
    }

    pub fn from_pkcs8(pkcs8: &[u8]) -> Option<SigningKey> {
        Ed25519KeyPair::from_pkcs8(pkcs8).ok().map(|pair| SigningKey { pair })
    }

    pub fn public_key(&self) -> Vec<u8> {
        self.pair.public_key().as_ref().to_vec()
    }

    pub fn sign(&self, message: &[u8]) -> String {
        hex::encode(self.pair.sign(message).as_ref())
    }
}

/// The fingerprint a digest names its key by.
pub fn fingerprint(public_key: &[u8]) -> String {
    sha256_hex(public_key)[..32].to_string()
}

/// What a digest signs, as CloudTrail's string to sign: the digest's end
/// time, its name, the hash of its content and the previous signature.
pub fn string_to_sign(
    end_time: &str,
    digest_path: &str,
    content_hash: &str,
    previous_signature: Option<&str>,
) -> String {
    format!(
        "{end_time}\n{digest_path}\n{content_hash}\n{}",
        previous_signature.unwrap_or("null")
    )
}

/// One log file as its digest describes it.
#[derive(Debug, Clone)]
pub struct LogFileEntry {
    pub path: String,
    pub hash: String,
    pub oldest_event_time: String,
    pub newest_event_time: String,
    pub first_sequence: u64,
    pub last_sequence: u64,
}

/// A digest's content (without its signature, which is kept beside it).
pub struct DigestContent<'a> {
    pub account: &'a str,
    pub region: &'a str,
    pub sequence: u64,
    pub path: &'a str,
    pub start_time: &'a str,
    pub end_time: &'a str,
    pub log: &'a LogFileEntry,
    pub previous: Option<&'a ChainHead>,
    pub fingerprint: &'a str,
}

impl DigestContent<'_> {
    pub fn to_json(&self) -> Vec<u8> {
        let digest = json!({
            "awsAccountId": self.account,
            "digestStartTime": self.start_time,
            "digestEndTime": self.end_time,
            "digestSequence": self.sequence,
            "digestS3Bucket": null,
            "digestS3Object": self.path,
            "digestPublicKeyFingerprint": self.fingerprint,
            "digestSignatureAlgorithm": SIGNATURE_ALGORITHM,
            "newestEventTime": self.log.newest_event_time,
            "oldestEventTime": self.log.oldest_event_time,
            "previousDigestS3Bucket": null,
            "previousDigestS3Object": self.previous.map(|p| p.digest_path.as_str()),
            "previousDigestHashValue": self.previous.map(|p| p.digest_hash.as_str()),
            "previousDigestHashAlgorithm": HASH_ALGORITHM,
            "previousDigestSignature": self.previous.map(|p| p.digest_signature.as_str()),
            "logFiles": [{
                "s3Bucket": null,
                "s3Object": self.log.path,
                "hashValue": self.log.hash,
                "hashAlgorithm": HASH_ALGORITHM,
                "oldestEventTime": self.log.oldest_event_time,
                "newestEventTime": self.log.newest_event_time,
                "firstSequence": self.log.first_sequence,
                "lastSequence": self.log.last_sequence,
            }],
            "region": self.region,
        });
        serde_json::to_vec(&digest).expect("JSON values serialise")
    }
}

/// Something wrong with the trail's files.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Problem {
    /// A file the chain names has different content.
    Modified(String),
    /// A file the chain names is missing.
    Deleted(String),
    /// A file in the trail's directories that no digest names.
    Inserted(String),
    /// A digest whose signature does not verify with the trail's key.
    InvalidSignature(String),
}

impl fmt::Display for Problem {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Problem::Modified(path) => write!(f, "MODIFIED {path}: its content does not match its digest"),
            Problem::Deleted(path) => write!(f, "DELETED {path}: a digest names it but it is missing"),
            Problem::Inserted(path) => write!(f, "INSERTED {path}: no digest names it"),
            Problem::InvalidSignature(path) => write!(f, "INVALID SIGNATURE {path}: not signed by this trail's key"),
        }
    }
}

#[derive(Debug, Default)]
pub struct VerifyReport {
    pub problems: Vec<Problem>,
    pub digests_checked: usize,
    pub log_files_checked: usize,
}

/// A time range to check (`YYYY-MM-DDTHH:MM:SSZ` strings compare in order).
#[derive(Debug, Default, Clone)]
pub struct TimeRange {
    pub from: Option<String>,
    pub to: Option<String>,
}

impl TimeRange {
    fn overlaps(&self, oldest: &str, newest: &str) -> bool {
        self.from.as_deref().is_none_or(|from| newest >= from) && self.to.as_deref().is_none_or(|to| oldest <= to)
    }
}

/// The digest being looked for while walking the chain backwards.
struct Expected {
    path: String,
    sequence: u64,
    hash: Option<String>,
    signature: Option<String>,
}

/// Checks the chain ending at `head` and every file in `dir`.
pub fn verify(
    dir: &Path,
    public_key: &[u8],
    head: Option<&ChainHead>,
    range: &TimeRange,
) -> std::io::Result<VerifyReport> {
    let mut report = VerifyReport::default();
    let digests = files::list(dir, files::DIGESTS)?;
    let logs = files::list(dir, files::LOGS)?;
    let mut named: HashSet<String> = HashSet::new();
    let key = UnparsedPublicKey::new(&signature::ED25519, public_key);
    let mut expected = head.map(|head| Expected {
        path: head.digest_path.clone(),
        sequence: head.sequence,
        hash: Some(head.digest_hash.clone()),
        signature: Some(head.digest_signature.clone()),
    });
    while let Some(current) = expected.take() {
        named.insert(current.path.clone());
        named.insert(files::signature_file_name(&current.path));
        let content = match read_log_file(dir, &current.path) {
            Ok(content) => content,
            Err(error) => {
                report.problems.push(match error.kind() {
                    std::io::ErrorKind::NotFound => Problem::Deleted(current.path.clone()),
                    _ => Problem::Modified(current.path.clone()),
                });
                expected = resume(&digests, current.sequence);
                continue;
            }
        };
        report.digests_checked += 1;
        let hash = sha256_hex(&content);
        let digest: Option<Value> = serde_json::from_slice(&content).ok();
        let intact = current.hash.as_ref().is_none_or(|expected| *expected == hash);
        let Some(digest) = digest.filter(|_| intact) else {
            report.problems.push(Problem::Modified(current.path.clone()));
            expected = resume(&digests, current.sequence);
            continue;
        };
        let field = |name: &str| digest.get(name).and_then(Value::as_str).map(str::to_string);
        let signature_path = files::signature_file_name(&current.path);
        let signature = match read_log_file(dir, &signature_path) {
            Ok(bytes) => String::from_utf8_lossy(&bytes).trim().to_string(),
            Err(error) => {
                report.problems.push(match error.kind() {
                    std::io::ErrorKind::NotFound => Problem::Deleted(signature_path.clone()),
                    _ => Problem::Modified(signature_path.clone()),
                });
                String::new()
            }
        };
        if current
            .signature
            .as_ref()
            .is_some_and(|expected| *expected != signature)
        {
            report.problems.push(Problem::Modified(signature_path));
        }
        let previous_signature = field("previousDigestSignature");
        let message = string_to_sign(
            &field("digestEndTime").unwrap_or_default(),
            &current.path,
            &hash,
            previous_signature.as_deref(),
        );
        let signed = hex::decode(&signature).is_ok_and(|bytes| key.verify(message.as_bytes(), &bytes).is_ok());
        if !signed {
            report.problems.push(Problem::InvalidSignature(current.path.clone()));
        }
        for log in digest.get("logFiles").and_then(Value::as_array).into_iter().flatten() {
            let text = |name: &str| log.get(name).and_then(Value::as_str).unwrap_or_default();
            let path = text("s3Object").to_string();
            named.insert(path.clone());
            if !range.overlaps(text("oldestEventTime"), text("newestEventTime")) {
                continue;
            }
            report.log_files_checked += 1;
            match read_log_file(dir, &path) {
                Ok(content) if sha256_hex(&content) == text("hashValue") => {}
                Ok(_) => report.problems.push(Problem::Modified(path)),
                Err(error) if error.kind() == std::io::ErrorKind::NotFound => {
                    report.problems.push(Problem::Deleted(path))
                }
                // Not gzip, or damaged: not what was written.
                Err(_) => report.problems.push(Problem::Modified(path)),
            }
        }
        expected = field("previousDigestS3Object").map(|path| Expected {
            path,
            sequence: current.sequence.saturating_sub(1),
            hash: field("previousDigestHashValue"),
            signature: previous_signature,
        });
    }
    for path in digests.iter().chain(&logs) {
        if !named.contains(path) {
            report.problems.push(Problem::Inserted(path.clone()));
        }
    }
    Ok(report)
}

/// After a missing or unreadable digest: the chain goes on at the digest
/// with the sequence number before, if there is one.
fn resume(digests: &[String], sequence: u64) -> Option<Expected> {
    let previous = sequence.checked_sub(1)?;
    let suffix = format!("_{previous:016x}.json.gz");
    digests
        .iter()
        .find(|path| path.ends_with(&suffix))
        .map(|path| Expected {
            path: path.clone(),
            sequence: previous,
            hash: None,
            signature: None,
        })
}

/// A closed log file's records, to be written with its digest.
pub struct ClosedFile<'a> {
    pub account: &'a str,
    pub region: &'a str,
    /// `{"Records":[...]}`
    pub content: &'a [u8],
    pub first_sequence: u64,
    pub last_sequence: u64,
    pub oldest_event_time: &'a str,
    pub newest_event_time: &'a str,
}

/// Writes a log file, then its digest chained to `previous` and the
/// digest's signature; returns the chain's new head. Names depend only on
/// the records, so a file re-written after a crash replaces its first
/// writing.
pub fn write_chained(
    dir: &Path,
    key: &SigningKey,
    file: &ClosedFile<'_>,
    previous: Option<&ChainHead>,
    now: &str,
) -> std::io::Result<ChainHead> {
    let log_path = files::log_file_name(file.account, file.region, file.oldest_event_time, file.first_sequence);
    files::write_log_file(dir, &log_path, file.content)?;
    let sequence = previous.map_or(1, |previous| previous.sequence + 1);
    let digest_path = files::digest_file_name(file.account, file.region, file.newest_event_time, sequence);
    let log = LogFileEntry {
        path: log_path,
        hash: sha256_hex(file.content),
        oldest_event_time: file.oldest_event_time.to_string(),
        newest_event_time: file.newest_event_time.to_string(),
        first_sequence: file.first_sequence,
        last_sequence: file.last_sequence,
    };
    let fingerprint = fingerprint(&key.public_key());
    let content = DigestContent {
        account: file.account,
        region: file.region,
        sequence,
        path: &digest_path,
        start_time: file.oldest_event_time,
        end_time: now,
        log: &log,
        previous,
        fingerprint: &fingerprint,
    }
    .to_json();
    let digest_hash = sha256_hex(&content);
    let signature = key.sign(
        string_to_sign(
            now,
            &digest_path,
            &digest_hash,
            previous.map(|p| p.digest_signature.as_str()),
        )
        .as_bytes(),
    );
    files::write_log_file(dir, &digest_path, &content)?;
    files::write_log_file(dir, &files::signature_file_name(&digest_path), signature.as_bytes())?;
    Ok(ChainHead {
        sequence,
        digest_path,
        digest_hash,
        digest_signature: signature,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn chain(dir: &Path, key: &SigningKey, files: u64) -> (Vec<ChainHead>, Vec<String>) {
        let mut heads: Vec<ChainHead> = Vec::new();
        for n in 0..files {
            let content = format!("{{\"Records\":[{{\"eventID\":\"{n}\"}}]}}");
            let time = format!("2026-12-01T10:0{n}:00Z");
            let file = ClosedFile {
                account: "111122223333",
                region: "us-east-1",
                content: content.as_bytes(),
                first_sequence: n * 10 + 1,
                last_sequence: n * 10 + 10,
                oldest_event_time: &time,
                newest_event_time: &time,
            };
            let head = write_chained(dir, key, &file, heads.last(), &time).unwrap();
            heads.push(head);
        }
        (heads, files::list(dir, files::LOGS).unwrap())
    }

    fn setup() -> (tempfile::TempDir, SigningKey, ChainHead, Vec<String>) {
        let dir = tempfile::tempdir().unwrap();
        let key = SigningKey::from_pkcs8(&SigningKey::generate()).unwrap();
        let (mut heads, logs) = chain(dir.path(), &key, 3);
        (dir, key, heads.pop().unwrap(), logs)
    }

    #[test]
    fn an_untouched_chain_verifies() {
        let (dir, key, head, _) = setup();
        let report = verify(dir.path(), &key.public_key(), Some(&head), &TimeRange::default()).unwrap();
        assert_eq!(report.problems, []);
        assert_eq!((report.digests_checked, report.log_files_checked), (3, 3));
    }

    #[test]
    fn edited_deleted_and_inserted_files_are_reported() {
        let (dir, key, head, logs) = setup();
        files::write_log_file(dir.path(), &logs[0], b"{\"Records\":[]}").unwrap();
        std::fs::remove_file(dir.path().join(&logs[1])).unwrap();
        let inserted = "logs/111122223333_CloudTrail_us-east-1_20261201T100900Z_00000000000000ff.json.gz";
        files::write_log_file(dir.path(), inserted, b"{\"Records\":[]}").unwrap();
        let report = verify(dir.path(), &key.public_key(), Some(&head), &TimeRange::default()).unwrap();
        assert_eq!(
            report.problems,
            [
                Problem::Deleted(logs[1].clone()),
                Problem::Modified(logs[0].clone()),
                Problem::Inserted(inserted.to_string()),
            ]
        );
    }

    #[test]
    fn a_resigned_or_removed_digest_is_caught() {
        let (dir, key, head, _) = setup();
        let other = SigningKey::from_pkcs8(&SigningKey::generate()).unwrap();
        let report = verify(dir.path(), &other.public_key(), Some(&head), &TimeRange::default()).unwrap();
        assert_eq!(report.problems.len(), 3);
        assert!(report
            .problems
            .iter()
            .all(|p| matches!(p, Problem::InvalidSignature(_))));
        let digests = files::list(dir.path(), files::DIGESTS).unwrap();
        let middle = digests
            .iter()
            .find(|d| d.ends_with("_0000000000000002.json.gz"))
            .unwrap();
        std::fs::remove_file(dir.path().join(middle)).unwrap();
        let report = verify(dir.path(), &key.public_key(), Some(&head), &TimeRange::default()).unwrap();
        assert!(
            report.problems.contains(&Problem::Deleted(middle.clone())),
            "{:?}",
            report.problems
        );
    }

    #[test]
    fn a_time_range_limits_the_log_files_checked() {
        let (dir, key, head, logs) = setup();
        std::fs::remove_file(dir.path().join(&logs[0])).unwrap();
        let range = TimeRange {
            from: Some("2026-12-01T10:01:00Z".into()),
            to: None,
        };
        let report = verify(dir.path(), &key.public_key(), Some(&head), &range).unwrap();
        assert_eq!(report.problems, []);
        assert_eq!(report.log_files_checked, 2);
    }
}
