//! `halyard check`: verifies, on one read snapshot, the storage engine's
//! own integrity check and Halyard's invariants — every stored item
//! decodes and sits under its own key; every index entry is what the index
//! key and projection make of its item, and every item that belongs in an
//! index has its entry; every table's and index's counters equal what is
//! stored; every item collection size (tables with local indexes) equals
//! its items and local entries.
//!
//! It reads everything, so it is slow on a big store; it writes nothing.
//! Items are visited a chunk at a time: memory stays bounded, except for
//! the per-partition sizes of tables with local indexes.

use std::collections::BTreeMap;
use std::fmt;
use std::ops::Bound;

use halyard_storage::{keycodec, Direction, KeyRange, ReadView, Storage, Visit};
use serde::{Deserialize, Serialize};

use crate::catalog::{self, COLLECTIONS_KEYSPACE};
use crate::error::Result;
use crate::indexes::backfill_entry;
use crate::item_seal::{ItemSeal, ItemSeals, SealForm};
use crate::keys::{hex, read_chunk, storage_key};
use crate::model::{
    item_size, AttributeValue, IndexDefinition, IndexKind, IndexStatus, Item, TableDefinition, TableStats, TimeToLive,
};
use crate::time_to_live;
use crate::writer::collection_record;
use crate::Engine;

/// Stored pairs read per storage scan.
const CHUNK: usize = 256;

/// What a check looked at and what it found.
#[derive(Debug, Clone, Default, Serialize, Deserialize)]
pub struct CheckReport {
    /// What was checked, one line each.
    pub checked: Vec<String>,
    /// What was not (fully) checked, and why.
    pub notes: Vec<String>,
    pub problems: Vec<Problem>,
}

/// One broken invariant.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Problem {
    pub table: Option<String>,
    pub index: Option<String>,
    /// The item's key attributes, or the raw storage key of what could not
    /// be decoded.
    pub key: Option<String>,
    pub message: String,
}

impl CheckReport {
    pub fn is_clean(&self) -> bool {
        self.problems.is_empty()
    }
}

impl fmt::Display for Problem {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if let Some(table) = &self.table {
            write!(f, "table {table}: ")?;
        }
        if let Some(index) = &self.index {
            write!(f, "index {index}: ")?;
        }
        if let Some(key) = &self.key {
            write!(f, "key {key}: ")?;
        }
        f.write_str(&self.message)
    }
}

impl fmt::Display for CheckReport {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        for line in &self.checked {
            writeln!(f, "checked: {line}")?;
        }
        for line in &self.notes {
            writeln!(f, "note: {line}")?;
        }
        for problem in &self.problems {
            writeln!(f, "PROBLEM: {problem}")?;
        }
        match self.problems.len() {
            0 => writeln!(f, "clean: no problems found"),
            n => writeln!(f, "{n} problem(s) found"),
        }
    }
}

impl Engine {
    /// Runs the check on a snapshot of the live store. Blocking, and as long
    /// as a full read of the store: call it from a blocking thread.
    pub fn check(&self) -> Result<CheckReport> {
        let snapshot = self.storage.snapshot()?;
        Ok(check_with(&*snapshot, Some(&self.catalog.seals)))
    }
}

/// Runs the check on a snapshot of `storage` (offline, nothing else using it).
pub fn check_storage(storage: &dyn Storage) -> Result<CheckReport> {
    let snapshot = storage.snapshot()?;
    Ok(check(&*snapshot))
}

/// Runs every check on `view`, offline: the items of tables sealed under a
/// customer managed key are checked only by a running server (which holds
/// the key service).
pub fn check(view: &dyn ReadView) -> CheckReport {
    check_with(view, None)
}

/// Runs every check on `view`. Storage errors met on the way are reported
/// as problems, and the check goes on with the next table.
fn check_with(view: &dyn ReadView, seals: Option<&ItemSeals>) -> CheckReport {
    let mut report = CheckReport::default();
    report
        .checked
        .push("storage integrity (SQLite PRAGMA integrity_check)".into());
    match view.check_integrity() {
        Ok(lines) => {
            for line in lines {
                report.problem(None, None, None, format!("storage integrity: {line}"));
            }
        }
        Err(error) => report.problem(None, None, None, format!("storage integrity check failed: {error}")),
    }
    let definitions = match catalog::read_definitions(view) {
        Ok(definitions) => definitions,
        Err(error) => {
            report.problem(None, None, None, format!("the catalog cannot be read: {error}"));
            return report;
        }
    };
    for (key, definition) in definitions {
        match definition {
            Ok(definition) => {
                let seal = match seals {
                    Some(seals) => seals.of(&definition),
                    None if definition.sse.as_ref().is_some_and(|e| e.seals_items) => {
                        report.notes.push(format!(
                            "table {}: its items are sealed under its KMS key; they are checked by a running server only",
                            definition.name
                        ));
                        continue;
                    }
                    None => Ok(ItemSeal::PLAIN),
                };
                let seal = match seal {
                    Ok(seal) => seal,
                    Err(error) => {
                        report.problem(
                            Some(definition.name.clone()),
                            None,
                            None,
                            format!("its data key cannot be used: {error}"),
                        );
                        continue;
                    }
                };
                let mut table = TableCheck::new(&definition, seal, &mut report);
                if let Err(error) = table.run(view) {
                    table.problem(None, None, format!("check stopped by a storage error: {error}"));
                }
            }
            Err(error) => report.problem(
                Some(String::from_utf8_lossy(&key).into_owned()),
                None,
                None,
                format!("catalog entry: {error}"),
            ),
        }
    }
    // Streams (issue 12) will keep bookkeeping of its own; its checks
    // belong in `TableCheck::run`, beside the index checks.
    report
}

impl CheckReport {
    fn problem(&mut self, table: Option<String>, index: Option<String>, key: Option<String>, message: String) {
        self.problems.push(Problem {
            table,
            index,
            key,
            message,
        });
    }
}

/// The checks of one table and its indexes.
struct TableCheck<'a> {
    definition: &'a TableDefinition,
    seal: ItemSeal,
    report: &'a mut CheckReport,
}

impl<'a> TableCheck<'a> {
    fn new(definition: &'a TableDefinition, seal: ItemSeal, report: &'a mut CheckReport) -> Self {
        TableCheck {
            definition,
            seal,
            report,
        }
    }

    fn problem(&mut self, index: Option<&IndexDefinition>, key: Option<String>, message: String) {
        self.report.problem(
            Some(self.definition.name.clone()),
            index.map(|index| index.name.clone()),
            key,
            message,
        );
    }

    fn run(&mut self, view: &dyn ReadView) -> Result<()> {
        let definition = self.definition;
        let (stats, collections) = self.check_items(view)?;
        self.check_counters(view, None, stats)?;
        self.report.checked.push(format!(
            "table {}: {} items decode, sit under their own keys, and match ItemCount and TableSizeBytes",
            definition.name, stats.item_count
        ));
        for index in &definition.indexes {
            let entries = self.check_index_entries(view, index)?;
            self.check_counters(view, Some(index), entries)?;
            let scope = if index.status == IndexStatus::Creating {
                self.report.notes.push(format!(
                    "table {} index {}: still backfilling; only the entries already copied were checked (items without an entry are not reported)",
                    definition.name, index.name
                ));
                "every entry copied so far matches its item"
            } else {
                "every entry matches its item and every item in the index has its entry"
            };
            self.report.checked.push(format!(
                "table {} index {}: {} entries; {scope}; counters match",
                definition.name, index.name, entries.item_count
            ));
        }
        if let Some(ttl) = &definition.time_to_live {
            let entries = self.check_expiry_entries(view, ttl)?;
            self.report.checked.push(format!(
                "table {}: {entries} expiry index entries match their items{}",
                definition.name,
                if ttl.indexed {
                    " and every item with a TTL has its entry"
                } else {
                    " (still backfilling)"
                }
            ));
        }
        if definition.has_local_indexes() {
            self.check_collections(view, collections)?;
            self.report
                .checked
                .push(format!("table {}: item collection sizes", definition.name));
        }
        Ok(())
    }

    /// Reads every item; checks its key and its index entries. Returns the
    /// table's counters as stored, and each item collection's size.
    fn check_items(&mut self, view: &dyn ReadView) -> Result<(TableStats, BTreeMap<Vec<u8>, i64>)> {
        let definition = self.definition;
        let table_key = &definition.primary_key;
        let mut stats = TableStats::default();
        let mut collections = BTreeMap::new();
        for_each_chunk(view, &definition.keyspace, |key, value| {
            let item = match self.seal.decode(SealForm::Item, key, value) {
                Ok(item) => item,
                Err(error) => {
                    self.problem(None, Some(raw_key(key)), error.to_string());
                    return Ok(());
                }
            };
            let readable = readable_key(&table_key.key_of(&item));
            if storage_key(table_key, &item).ok().as_deref() != Some(key) {
                self.problem(
                    None,
                    Some(readable.clone()),
                    format!("stored under {} rather than under its own key", raw_key(key)),
                );
            }
            stats.item_count += 1;
            stats.size_bytes += item_size(&item) as i64;
            let mut collection_size = item_size(&item) as i64;
            for index in &definition.indexes {
                let Some((entry_key, projected)) = backfill_entry(index, table_key, &item) else {
                    continue;
                };
                if index.kind == IndexKind::Local {
                    collection_size += item_size(&projected) as i64;
                }
                match view.get(&index.keyspace, &entry_key)? {
                    None if index.status == IndexStatus::Creating => {}
                    None => self.problem(
                        Some(index),
                        Some(readable.clone()),
                        "the item has no index entry".into(),
                    ),
                    Some(stored) => match self.seal.decode(SealForm::IndexEntry(&index.name), &entry_key, &stored) {
                        Ok(entry) if entry == projected => {}
                        Ok(_) => self.problem(
                            Some(index),
                            Some(readable.clone()),
                            "the index entry differs from the item's projection".into(),
                        ),
                        Err(error) => {
                            self.problem(Some(index), Some(readable.clone()), format!("index entry: {error}"))
                        }
                    },
                }
            }
            if let Some(ttl) = definition.time_to_live.as_ref().filter(|ttl| ttl.indexed) {
                if let Some(expiry) = time_to_live::expiry_of(&item, &ttl.attribute_name) {
                    if view
                        .get(&ttl.keyspace, &time_to_live::entry_key(expiry, key))?
                        .is_none()
                    {
                        self.problem(
                            None,
                            Some(readable.clone()),
                            "the item has no expiry index entry".into(),
                        );
                    }
                }
            }
            if definition.has_local_indexes() {
                match collection_record(definition, &item) {
                    Ok(record) => *collections.entry(record).or_insert(0) += collection_size,
                    Err(error) => self.problem(None, Some(readable), error.to_string()),
                }
            }
            Ok(())
        })?;
        Ok((stats, collections))
    }

    /// Reads every expiry index entry; checks that its item exists and
    /// expires at the entry's second. Returns the number of entries.
    fn check_expiry_entries(&mut self, view: &dyn ReadView, ttl: &TimeToLive) -> Result<u64> {
        let mut entries = 0;
        for_each_chunk(view, &ttl.keyspace, |key, _| {
            entries += 1;
            let Some((expiry, item_key)) = time_to_live::split_entry_key(key) else {
                self.problem(None, Some(raw_key(key)), "malformed expiry index entry".into());
                return Ok(());
            };
            let item = view
                .get(&self.definition.keyspace, item_key)?
                .map(|bytes| self.seal.decode(SealForm::Item, item_key, &bytes))
                .transpose();
            match item {
                Ok(Some(item)) if time_to_live::expiry_of(&item, &ttl.attribute_name) == Some(expiry) => {}
                Ok(Some(_)) => self.problem(
                    None,
                    Some(raw_key(item_key)),
                    "the expiry index entry does not match the item's TTL attribute".into(),
                ),
                Ok(None) => self.problem(
                    None,
                    Some(raw_key(item_key)),
                    "the expiry index entry has no item".into(),
                ),
                // The item's own check reports it.
                Err(_) => {}
            }
            Ok(())
        })?;
        Ok(entries)
    }

    /// Reads every entry of `index`; checks that its item exists and makes
    /// this very entry. Returns the index's counters as stored.
    fn check_index_entries(&mut self, view: &dyn ReadView, index: &IndexDefinition) -> Result<TableStats> {
        let table_key = &self.definition.primary_key;
        let mut stats = TableStats::default();
        for_each_chunk(view, &index.keyspace, |key, value| {
            let entry = match self.seal.decode(SealForm::IndexEntry(&index.name), key, value) {
                Ok(entry) => entry,
                Err(error) => {
                    self.problem(Some(index), Some(raw_key(key)), error.to_string());
                    return Ok(());
                }
            };
            stats.item_count += 1;
            stats.size_bytes += item_size(&entry) as i64;
            let item_key = table_key.key_of(&entry);
            let readable = readable_key(&item_key);
            let (item, item_storage_key) = match storage_key(table_key, &item_key) {
                Ok(item_storage_key) => (
                    view.get(&self.definition.keyspace, &item_storage_key)?,
                    item_storage_key,
                ),
                Err(_) => {
                    self.problem(
                        Some(index),
                        Some(raw_key(key)),
                        "the entry lacks the table's key".into(),
                    );
                    return Ok(());
                }
            };
            let Some(item) = item else {
                self.problem(
                    Some(index),
                    Some(readable),
                    "an entry for an item that does not exist".into(),
                );
                return Ok(());
            };
            // An item that does not decode is reported by the item check.
            let Ok(item) = self.seal.decode(SealForm::Item, &item_storage_key, &item) else {
                return Ok(());
            };
            match backfill_entry(index, table_key, &item) {
                None => self.problem(
                    Some(index),
                    Some(readable),
                    "an entry for an item that does not belong in the index".into(),
                ),
                Some((expected_key, _)) if expected_key != key => self.problem(
                    Some(index),
                    Some(readable),
                    format!(
                        "the entry is stored under {}, but the item's index key makes {}",
                        raw_key(key),
                        raw_key(&expected_key)
                    ),
                ),
                // Its contents were compared when the item was read.
                Some(_) => {}
            }
            Ok(())
        })?;
        Ok(stats)
    }

    fn check_counters(
        &mut self,
        view: &dyn ReadView,
        index: Option<&IndexDefinition>,
        actual: TableStats,
    ) -> Result<()> {
        let record = index.map_or(&self.definition.id, |index| &index.keyspace);
        let stored = match catalog::read_stats(view, record) {
            Ok(stored) => stored,
            Err(error) => {
                self.problem(index, None, format!("counters: {error}"));
                return Ok(());
            }
        };
        if stored.item_count != actual.item_count {
            self.problem(
                index,
                None,
                format!(
                    "ItemCount is {} but {} are stored",
                    stored.item_count, actual.item_count
                ),
            );
        }
        if stored.size_bytes != actual.size_bytes {
            self.problem(
                index,
                None,
                format!(
                    "TableSizeBytes is {} but the stored items total {} bytes",
                    stored.size_bytes, actual.size_bytes
                ),
            );
        }
        Ok(())
    }

    /// Compares the stored item collection sizes with `actual` (by record).
    fn check_collections(&mut self, view: &dyn ReadView, mut actual: BTreeMap<Vec<u8>, i64>) -> Result<()> {
        let mut prefix = self.definition.id.as_bytes().to_vec();
        prefix.push(0);
        let end = keycodec::prefix_end(&prefix);
        let range = KeyRange {
            start: Bound::Included(&prefix),
            end: end.as_deref().map_or(Bound::Unbounded, Bound::Excluded),
        };
        let mut stored = Vec::new();
        view.scan(COLLECTIONS_KEYSPACE, range, Direction::Forward, &mut |key, value| {
            stored.push((key.to_vec(), value.to_vec()));
            Visit::Continue
        })?;
        let partition = |record: &[u8]| raw_key(&record[prefix.len()..]);
        for (record, value) in stored {
            let expected = actual.remove(&record).unwrap_or(0);
            match <[u8; 8]>::try_from(value.as_slice()).map(i64::from_le_bytes) {
                Ok(size) if size == expected => {}
                Ok(size) => self.problem(
                    None,
                    Some(partition(&record)),
                    format!("the item collection size is recorded as {size} bytes but its items and local index entries total {expected}"),
                ),
                Err(_) => self.problem(None, Some(partition(&record)), "the item collection size record is malformed".into()),
            }
        }
        for (record, size) in actual {
            self.problem(
                None,
                Some(partition(&record)),
                format!(
                    "no item collection size is recorded, but its items and local index entries total {size} bytes"
                ),
            );
        }
        Ok(())
    }
}

/// Calls `visit` for every pair of `keyspace`, reading [`CHUNK`] pairs at a
/// time so that `visit` may read the view itself.
fn for_each_chunk(
    view: &dyn ReadView,
    keyspace: &str,
    mut visit: impl FnMut(&[u8], &[u8]) -> Result<()>,
) -> Result<()> {
    let mut after: Option<Vec<u8>> = None;
    loop {
        let mut chunk = read_chunk(view, keyspace, after.as_deref(), CHUNK)?;
        for (key, value) in &chunk {
            visit(key, value)?;
        }
        if chunk.len() < CHUNK {
            return Ok(());
        }
        after = chunk.pop().map(|(key, _)| key);
    }
}

/// Key attributes as a reader wants them: `{pk: "a", sk: 3}`.
fn readable_key(key: &Item) -> String {
    let attributes: Vec<String> = key
        .iter()
        .map(|(name, value)| match value {
            AttributeValue::S(s) => format!("{name}: {s:?}"),
            AttributeValue::N(n) => format!("{name}: {n}"),
            AttributeValue::B(b) => format!("{name}: 0x{}", hex(b)),
            other => format!("{name}: <{}>", other.type_name()),
        })
        .collect();
    format!("{{{}}}", attributes.join(", "))
}

fn raw_key(key: &[u8]) -> String {
    format!("0x{} (storage key)", hex(key))
}
