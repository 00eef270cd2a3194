//! Spill files: buffered data events (item reads, failed and denied item
//! calls), flushed each interval into files of their own in `buffer/`
//! under the audit directory (gzip, sealed with encryption on, written
//! whole or not at all: [`crate::files::write_log_file`]) rather than
//! committed into the item database.
//!
//! SQLite empties every WAL reader connection's page cache when another
//! connection commits; committing read records every second would keep a
//! read-only workload's caches cold, each read decrypting its B-tree pages
//! again. The mover folds the spill files into the queue in one commit
//! when it is about to close a log file ([`crate::mover`]), recording the
//! last file folded in the trail's state (`spilled_through`) in the same
//! transaction, and removes them: a file at or before that number is
//! removed at the next start, never folded twice.

use std::path::Path;

use halyard_kms::sealed_file::FileKeys;

use crate::files::{self, read_log_file, write_log_file};
use crate::index;

pub const SPILL: &str = "buffer";

/// A spill file not yet folded into the queue.
#[derive(Debug, Clone, Copy)]
pub(crate) struct SpillFile {
    pub number: u64,
    pub summary: Summary,
}

/// What the records of some lines add up to, for the mover's decision to
/// close a file and for the backlog gauge.
#[derive(Debug, Clone, Copy, Default)]
pub(crate) struct Summary {
    pub records: u64,
    pub bytes: usize,
    /// Unix seconds of the oldest record.
    pub oldest: Option<u64>,
}

impl Summary {
    pub fn of(lines: &[u8]) -> Summary {
        let mut summary = Summary::default();
        for line in lines.split(|b| *b == b'\n').filter(|line| !line.is_empty()) {
            summary.add(line);
        }
        summary
    }

    pub fn add(&mut self, line: &[u8]) {
        self.records += 1;
        self.bytes += line.len() + 1;
        let time = index::line_time(line);
        self.oldest = Some(self.oldest.map_or(time, |oldest| oldest.min(time)));
    }

    pub fn merge(&mut self, other: &Summary) {
        self.records += other.records;
        self.bytes += other.bytes;
        self.oldest = match (self.oldest, other.oldest) {
            (Some(a), Some(b)) => Some(a.min(b)),
            (a, b) => a.or(b),
        };
    }
}

/// The spill files waiting, in order, and the next file's number.
#[derive(Debug, Default)]
pub(crate) struct Spill {
    pub next: u64,
    pub files: Vec<SpillFile>,
}

impl Spill {
    pub fn summary(&self) -> Summary {
        let mut total = Summary::default();
        for file in &self.files {
            total.merge(&file.summary);
        }
        total
    }
}

fn name(number: u64) -> String {
    format!("{SPILL}/{number:016x}.json.gz")
}

/// The numbers of the spill files in `dir` after `through`, in order.
pub(crate) fn waiting(dir: &Path, through: u64) -> std::io::Result<Vec<u64>> {
    Ok(numbered(dir)?.into_iter().filter(|number| *number > through).collect())
}

fn numbered(dir: &Path) -> std::io::Result<Vec<u64>> {
    let mut numbers: Vec<u64> = files::list(dir, SPILL)?
        .iter()
        .filter_map(|path| {
            let stem = path.strip_prefix(SPILL)?.strip_prefix('/')?.strip_suffix(".json.gz")?;
            u64::from_str_radix(stem, 16).ok()
        })
        .collect();
    numbers.sort_unstable();
    Ok(numbers)
}

/// At start: removes the spill files the queue holds already (at or
/// before `through`) and summarises the others.
pub(crate) fn recover(dir: &Path, sealing: Option<&FileKeys>, through: u64) -> std::io::Result<Spill> {
    let mut spill = Spill {
        next: through + 1,
        files: Vec::new(),
    };
    for number in numbered(dir)? {
        spill.next = spill.next.max(number + 1);
        if number <= through {
            remove(dir, number)?;
            continue;
        }
        let summary = Summary::of(&read(dir, sealing, number)?);
        spill.files.push(SpillFile { number, summary });
    }
    Ok(spill)
}

pub(crate) fn write(dir: &Path, sealing: Option<&FileKeys>, number: u64, lines: &[u8]) -> std::io::Result<()> {
    write_log_file(dir, &name(number), lines, sealing)
}

/// A spill file's records, one per line.
pub(crate) fn read(dir: &Path, sealing: Option<&FileKeys>, number: u64) -> std::io::Result<Vec<u8>> {
    read_log_file(dir, &name(number), sealing)
}

pub(crate) fn remove(dir: &Path, number: u64) -> std::io::Result<()> {
    match std::fs::remove_file(dir.join(name(number))) {
        Err(error) if error.kind() != std::io::ErrorKind::NotFound => Err(error),
        _ => Ok(()),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const LINE: &[u8] = b"{\"eventTime\":\"2026-12-02T01:20:00Z\",\"managementEvent\":false}\n";

    #[test]
    fn recovery_removes_folded_files_and_keeps_the_rest_in_order() {
        let dir = tempfile::tempdir().unwrap();
        for number in [3, 1, 2, 11] {
            write(dir.path(), None, number, &LINE.repeat(number as usize)).unwrap();
        }
        let spill = recover(dir.path(), None, 2).unwrap();
        assert_eq!(spill.next, 12);
        let numbers: Vec<u64> = spill.files.iter().map(|file| file.number).collect();
        assert_eq!(numbers, [3, 11]);
        assert_eq!(spill.summary().records, 14);
        assert_eq!(spill.summary().bytes, 14 * LINE.len());
        assert_eq!(waiting(dir.path(), 0).unwrap(), [3, 11]);
        assert_eq!(read(dir.path(), None, 11).unwrap(), LINE.repeat(11));
        // Nothing left to fold: the next number still follows every number used.
        let spill = recover(dir.path(), None, 11).unwrap();
        assert!(spill.files.is_empty());
        assert_eq!(spill.next, 12);
        assert!(waiting(dir.path(), 0).unwrap().is_empty());
    }

    #[test]
    fn sealed_spill_files_hide_their_records() {
        let dir = tempfile::tempdir().unwrap();
        let keys = FileKeys::new(vec![(1, halyard_kms::SecretKey::generate().unwrap())]);
        write(dir.path(), Some(&keys), 1, LINE).unwrap();
        let raw = std::fs::read(dir.path().join(name(1))).unwrap();
        assert!(raw.starts_with(halyard_kms::sealed_file::MAGIC));
        assert_eq!(read(dir.path(), Some(&keys), 1).unwrap(), LINE);
        assert!(read(dir.path(), None, 1).is_err());
    }
}
