//! The in-memory view of the tables, loaded at start-up and changed only by
//! the writer, after the change is committed.

use std::collections::BTreeMap;
use std::sync::{Arc, Mutex, RwLock};

use halyard_storage::{KeyRange, ReadView, Storage, Visit, WriteTransaction};

use crate::error::{Error, Result};
use crate::item_seal::ItemSeals;
use crate::model::{IndexDefinition, TableDefinition, TableStats};
use crate::resource_policies::LivePolicies;

/// Keyspace of table definitions, keyed by table name.
pub(crate) const CATALOG_KEYSPACE: &str = "catalog";
/// Keyspace of table and index counters, keyed by table id or index keyspace.
pub(crate) const STATS_KEYSPACE: &str = "stats";
/// Keyspace of item collection sizes (tables with local indexes), keyed by
/// table id, a zero byte, and the encoded partition key.
pub(crate) const COLLECTIONS_KEYSPACE: &str = "collections";
/// Keyspace of recent transaction ClientRequestTokens.
pub(crate) const TOKENS_KEYSPACE: &str = "client_tokens";

/// A live table: its definition and its counters.
#[derive(Debug)]
pub(crate) struct Table {
    pub definition: TableDefinition,
    pub stats: Mutex<TableStats>,
    /// Per index name.
    pub index_stats: Mutex<BTreeMap<String, TableStats>>,
    /// The definition's resource policies, shared with their readers.
    pub policies: LivePolicies,
}

impl Table {
    pub fn new(definition: TableDefinition, stats: TableStats, index_stats: BTreeMap<String, TableStats>) -> Table {
        Table {
            policies: LivePolicies::of(&definition),
            definition,
            stats: Mutex::new(stats),
            index_stats: Mutex::new(index_stats),
        }
    }

    pub fn stats(&self) -> TableStats {
        *self.stats.lock().unwrap_or_else(|p| p.into_inner())
    }

    pub fn index_stats(&self) -> BTreeMap<String, TableStats> {
        self.index_stats.lock().unwrap_or_else(|p| p.into_inner()).clone()
    }

    /// The counters of the table (`None`) or of one of its indexes.
    pub fn counters(&self, index: Option<&str>) -> TableStats {
        match index {
            None => self.stats(),
            Some(name) => self.index_stats().get(name).copied().unwrap_or_default(),
        }
    }

    pub fn set_counters(&self, index: Option<&str>, stats: TableStats) {
        match index {
            None => *self.stats.lock().unwrap_or_else(|p| p.into_inner()) = stats,
            Some(name) => {
                self.index_stats
                    .lock()
                    .unwrap_or_else(|p| p.into_inner())
                    .insert(name.to_string(), stats);
            }
        }
    }
}

#[derive(Default)]
pub(crate) struct Catalog {
    tables: RwLock<BTreeMap<String, Arc<Table>>>,
    /// How each table's items are stored (sealed under a customer managed
    /// key): shared with everything that reads or writes them.
    pub seals: ItemSeals,
}

fn decode<T: serde::de::DeserializeOwned>(bytes: &[u8]) -> Result<T> {
    serde_json::from_slice(bytes).map_err(|e| Error::Internal(format!("corrupt catalog entry: {e}")))
}

fn encode<T: serde::Serialize>(value: &T) -> Vec<u8> {
    serde_json::to_vec(value).expect("catalog entries serialise")
}

impl Catalog {
    pub fn load(storage: &dyn Storage) -> Result<Catalog> {
        // First start: create the catalog's own keyspaces.
        let mut tx = storage.begin_write()?;
        tx.create_keyspace(CATALOG_KEYSPACE)?;
        tx.create_keyspace(STATS_KEYSPACE)?;
        tx.create_keyspace(COLLECTIONS_KEYSPACE)?;
        tx.create_keyspace(TOKENS_KEYSPACE)?;
        tx.commit()?;

        let snapshot = storage.snapshot()?;
        let definitions = read_definitions(&*snapshot)?
            .into_iter()
            .map(|(_, definition)| definition)
            .collect::<Result<Vec<_>>>()?;
        let mut tables = BTreeMap::new();
        for definition in definitions {
            let stats = read_stats(&*snapshot, &definition.id)?;
            let mut index_stats = BTreeMap::new();
            for index in &definition.indexes {
                index_stats.insert(index.name.clone(), read_stats(&*snapshot, &index.keyspace)?);
            }
            tables.insert(
                definition.name.clone(),
                Arc::new(Table::new(definition, stats, index_stats)),
            );
        }
        Ok(Catalog {
            tables: RwLock::new(tables),
            seals: ItemSeals::default(),
        })
    }

    pub fn tables(&self) -> Vec<Arc<Table>> {
        self.tables
            .read()
            .unwrap_or_else(|p| p.into_inner())
            .values()
            .cloned()
            .collect()
    }

    pub fn get(&self, name: &str) -> Option<Arc<Table>> {
        self.tables.read().unwrap_or_else(|p| p.into_inner()).get(name).cloned()
    }

    /// Table names in order, starting after `exclusive_start`.
    pub fn names_after(&self, exclusive_start: Option<&str>, limit: usize) -> (Vec<String>, bool) {
        let tables = self.tables.read().unwrap_or_else(|p| p.into_inner());
        let mut names = tables
            .keys()
            .filter(|name| exclusive_start.is_none_or(|start| name.as_str() > start))
            .cloned();
        let page: Vec<String> = names.by_ref().take(limit).collect();
        let more = names.next().is_some();
        (page, more)
    }

    /// Publishes a committed create or update.
    pub fn insert(&self, table: Arc<Table>) {
        let mut tables = self.tables.write().unwrap_or_else(|p| p.into_inner());
        tables.insert(table.definition.name.clone(), table);
    }

    /// Publishes a committed delete.
    pub fn remove(&self, name: &str) {
        self.tables.write().unwrap_or_else(|p| p.into_inner()).remove(name);
    }
}

/// Every table definition, by its catalog key; each decoded on its own, so
/// that one damaged entry does not hide the others.
pub(crate) fn read_definitions(view: &dyn ReadView) -> Result<Vec<(Vec<u8>, Result<TableDefinition>)>> {
    let mut definitions = Vec::new();
    view.scan(
        CATALOG_KEYSPACE,
        KeyRange::ALL,
        halyard_storage::Direction::Forward,
        &mut |key, value| {
            definitions.push((key.to_vec(), decode::<TableDefinition>(value)));
            Visit::Continue
        },
    )?;
    Ok(definitions)
}

/// A table's (by id) or an index's (by keyspace) counters as stored.
pub(crate) fn read_stats(view: &dyn ReadView, table_id: &str) -> Result<TableStats> {
    match view.get(STATS_KEYSPACE, table_id.as_bytes())? {
        Some(bytes) => decode(&bytes),
        None => Ok(TableStats::default()),
    }
}

pub(crate) fn write_definition(tx: &mut dyn WriteTransaction, definition: &TableDefinition) -> Result<()> {
    tx.put(CATALOG_KEYSPACE, definition.name.as_bytes(), &encode(definition))?;
    Ok(())
}

pub(crate) fn write_stats(tx: &mut dyn WriteTransaction, table_id: &str, stats: &TableStats) -> Result<()> {
    tx.put(STATS_KEYSPACE, table_id.as_bytes(), &encode(stats))?;
    Ok(())
}

pub(crate) fn delete_table_records(tx: &mut dyn WriteTransaction, definition: &TableDefinition) -> Result<()> {
    tx.delete(CATALOG_KEYSPACE, definition.name.as_bytes())?;
    tx.delete(STATS_KEYSPACE, definition.id.as_bytes())?;
    tx.drop_keyspace(&definition.keyspace)?;
    if let Some(ttl) = &definition.time_to_live {
        tx.drop_keyspace(&ttl.keyspace)?;
    }
    for index in &definition.indexes {
        drop_index_records(tx, index)?;
    }
    Ok(())
}

pub(crate) fn drop_index_records(tx: &mut dyn WriteTransaction, index: &IndexDefinition) -> Result<()> {
    tx.delete(STATS_KEYSPACE, index.keyspace.as_bytes())?;
    tx.drop_keyspace(&index.keyspace)?;
    Ok(())
}
