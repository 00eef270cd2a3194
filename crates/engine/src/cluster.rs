//! Several nodes over one store (PostgreSQL): each keeps its own copy of
//! the catalog and the streams' metadata, and checks it against the
//! store's catalog version, a counter that every catalog change bumps in
//! its own transaction.
//!
//! - The writer reads the version as the first statement of each batch's
//!   SERIALIZABLE transaction and reloads from that transaction when
//!   another node changed the catalog, so every batch applies its
//!   commands against the catalog its own snapshot holds.
//! - Reads check it at most every [`READ_CHECK_INTERVAL`], and at once
//!   when they miss a table (so a table created on another node is usable
//!   at once) or depend on the catalog itself (DescribeTable, ListTables).
//!
//! Table counters (ItemCount, TableSizeBytes) are kept per node, in a row
//! of each node's own beside the table's (`<record>\0<node>`), so that two
//! nodes writing one table never write the same counter row; a table's
//! count is the sum of its rows.

use std::collections::BTreeMap;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use halyard_storage::{Direction, KeyRange, ReadView, Storage, Visit, WriteTransaction};

use crate::catalog::{decode, read_definitions, Table, STATS_KEYSPACE};
use crate::error::{Error, Result};
use crate::model::TableStats;
use crate::streams::Streams;

/// Keyspace of the nodes' shared state: the catalog version.
pub(crate) const CLUSTER_KEYSPACE: &str = "cluster";
const CATALOG_VERSION: &[u8] = b"catalog_version";
/// How stale a read's view of the catalog may be at most: a table that
/// another node deleted (or changed) may be served as it was for this long.
pub(crate) const READ_CHECK_INTERVAL: Duration = Duration::from_millis(100);

/// What a node knows of the shared catalog.
pub(crate) struct CatalogSync {
    storage: Arc<dyn Storage>,
    streams: Arc<Streams>,
    node: String,
    known: Mutex<Known>,
}

struct Known {
    version: u64,
    checked: Instant,
}

/// A catalog read from the store, to install if it is newer.
pub(crate) struct Loaded {
    pub version: u64,
    pub tables: BTreeMap<String, Arc<Table>>,
}

impl CatalogSync {
    pub fn new(storage: Arc<dyn Storage>, streams: Arc<Streams>, node: String) -> CatalogSync {
        CatalogSync {
            storage,
            streams,
            node,
            known: Mutex::new(Known {
                version: 0,
                checked: Instant::now(),
            }),
        }
    }

    pub fn version(&self) -> u64 {
        self.known.lock().unwrap_or_else(|p| p.into_inner()).version
    }

    /// Whether a read should look at the store's version now.
    pub fn due(&self, strict: bool) -> bool {
        strict || self.known.lock().unwrap_or_else(|p| p.into_inner()).checked.elapsed() >= READ_CHECK_INTERVAL
    }

    pub fn storage(&self) -> &Arc<dyn Storage> {
        &self.storage
    }

    /// A read looked at the store's version.
    pub fn checked(&self) {
        self.known.lock().unwrap_or_else(|p| p.into_inner()).checked = Instant::now();
    }

    /// Makes `version`, read in `view`, what the node knows, reloading the
    /// streams' metadata from `view`; false when the node knows it (or a
    /// newer one) already. The caller installs the tables it loaded while
    /// it holds the catalog's lock, so installs happen in version order.
    pub fn advance(&self, view: &dyn ReadView, version: u64) -> Result<bool> {
        let mut known = self.known.lock().unwrap_or_else(|p| p.into_inner());
        if version <= known.version {
            return Ok(false);
        }
        self.streams.reload(view)?;
        known.version = version;
        known.checked = Instant::now();
        Ok(true)
    }

    /// The writer's check, in its batch's transaction: the version that
    /// transaction sees, and the catalog to install when it is newer. A
    /// transaction older than what this node knows fails as a conflict
    /// (retried on a fresh snapshot): it must not apply its commands to a
    /// catalog its snapshot does not hold.
    pub fn check_in(&self, tx: &dyn ReadView) -> Result<(u64, Option<Loaded>)> {
        let version = read_version(tx)?;
        let known = self.version();
        if version < known {
            return Err(Error::Conflict);
        }
        let newer = if version > known {
            Some(load(tx, version)?)
        } else {
            None
        };
        Ok((version, newer))
    }

    /// A catalog change's batch: the next version, in the same transaction.
    pub fn bump(&self, tx: &mut dyn WriteTransaction, read: u64) -> Result<u64> {
        let next = read + 1;
        tx.put(CLUSTER_KEYSPACE, CATALOG_VERSION, &next.to_be_bytes())?;
        Ok(next)
    }

    /// The bumped version committed: it is what this node knows.
    pub fn committed(&self, version: u64) {
        let mut known = self.known.lock().unwrap_or_else(|p| p.into_inner());
        known.version = known.version.max(version);
    }

    /// This node's counter row of `record`.
    pub fn own_stats_key(&self, record: &str) -> Vec<u8> {
        shard_key(record, &self.node)
    }
}

fn shard_key(record: &str, node: &str) -> Vec<u8> {
    let mut key = record.as_bytes().to_vec();
    key.push(0);
    key.extend_from_slice(node.as_bytes());
    key
}

pub(crate) fn read_version(view: &dyn ReadView) -> Result<u64> {
    Ok(match view.get(CLUSTER_KEYSPACE, CATALOG_VERSION)? {
        Some(bytes) => u64::from_be_bytes(
            bytes
                .as_slice()
                .try_into()
                .map_err(|_| Error::Internal("corrupt catalog version".into()))?,
        ),
        None => 0,
    })
}

pub(crate) fn load(view: &dyn ReadView, version: u64) -> Result<Loaded> {
    let mut tables = BTreeMap::new();
    for (_, definition) in read_definitions(view)? {
        let definition = definition?;
        let stats = summed_stats(view, &definition.id)?;
        let mut index_stats = BTreeMap::new();
        for index in &definition.indexes {
            index_stats.insert(index.name.clone(), summed_stats(view, &index.keyspace)?);
        }
        tables.insert(
            definition.name.clone(),
            Arc::new(Table::new(definition, stats, index_stats)),
        );
    }
    Ok(Loaded { version, tables })
}

/// A record's counters: its own row (written by CreateTable, and by a
/// single node) plus every node's row.
pub(crate) fn summed_stats(view: &dyn ReadView, record: &str) -> Result<TableStats> {
    let mut total = crate::catalog::read_stats(view, record)?;
    let mut failed = None;
    for_each_shard(view, record, &mut |_, value| match decode::<TableStats>(value) {
        Ok(stats) => {
            total.item_count += stats.item_count;
            total.size_bytes += stats.size_bytes;
        }
        Err(error) => failed = Some(error),
    })?;
    failed.map_or(Ok(total), Err)
}

/// Removes every node's counter row of `record`.
pub(crate) fn delete_shards(tx: &mut dyn WriteTransaction, record: &str) -> Result<()> {
    let mut keys = Vec::new();
    for_each_shard(&*tx, record, &mut |key, _| keys.push(key.to_vec()))?;
    for key in keys {
        tx.delete(STATS_KEYSPACE, &key)?;
    }
    Ok(())
}

fn for_each_shard(view: &dyn ReadView, record: &str, visit: &mut dyn FnMut(&[u8], &[u8])) -> Result<()> {
    let start = shard_key(record, "");
    let mut end = record.as_bytes().to_vec();
    end.push(1);
    let range = KeyRange {
        start: std::ops::Bound::Included(&start),
        end: std::ops::Bound::Excluded(&end),
    };
    view.scan(STATS_KEYSPACE, range, Direction::Forward, &mut |key, value| {
        visit(key, value);
        Visit::Continue
    })?;
    Ok(())
}
