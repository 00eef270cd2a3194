//! The in-memory view of the tables, loaded at start-up and changed only by
//! the writer, after the change is committed.

use std::collections::BTreeMap;
use std::sync::{Arc, Mutex, RwLock};

use halyard_storage::{KeyRange, ReadView, Storage, Visit, WriteTransaction};

use crate::cluster::{self, CatalogSync, Loaded};
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

pub(crate) struct Catalog {
    tables: RwLock<BTreeMap<String, Arc<Table>>>,
    /// With several nodes over the store: how this copy is kept current.
    sync: Option<CatalogSync>,
    /// How each table's items are stored (sealed under a customer managed
    /// key): shared with everything that reads or writes them.
    pub seals: ItemSeals,
}

pub(crate) fn decode<T: serde::de::DeserializeOwned>(bytes: &[u8]) -> Result<T> {
    serde_json::from_slice(bytes).map_err(|e| Error::Internal(format!("corrupt catalog entry: {e}")))
}

fn encode<T: serde::Serialize>(value: &T) -> Vec<u8> {
    serde_json::to_vec(value).expect("catalog entries serialise")
}

impl Catalog {
    /// Loads the catalog; `streams` are reloaded with it when another
    /// node changed it (several nodes over one store).
    pub fn load(storage: &Arc<dyn Storage>, streams: &Arc<crate::streams::Streams>) -> Result<Catalog> {
        let sync = storage
            .node_id()
            .map(|node| CatalogSync::new(storage.clone(), streams.clone(), node.to_string()));
        // First start: create the catalog's own keyspaces.
        let mut tx = storage.begin_write()?;
        tx.create_keyspace(CATALOG_KEYSPACE)?;
        tx.create_keyspace(STATS_KEYSPACE)?;
        tx.create_keyspace(COLLECTIONS_KEYSPACE)?;
        tx.create_keyspace(TOKENS_KEYSPACE)?;
        if sync.is_some() {
            tx.create_keyspace(cluster::CLUSTER_KEYSPACE)?;
        }
        tx.commit()?;
        if let Some(sync) = sync {
            let view = storage.snapshot()?;
            let loaded = cluster::load(&*view, cluster::read_version(&*view)?)?;
            sync.advance(&*view, loaded.version)?;
            return Ok(Catalog {
                tables: RwLock::new(loaded.tables),
                sync: Some(sync),
                seals: ItemSeals::default(),
            });
        }

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
            sync: None,
            seals: ItemSeals::default(),
        })
    }

    /// How this node keeps its copy current, when several share the store.
    pub fn sync(&self) -> Option<&CatalogSync> {
        self.sync.as_ref()
    }

    /// Brings this copy up to date with the store when another node has
    /// changed the catalog: `strict` looks now, otherwise at most every
    /// [`cluster::READ_CHECK_INTERVAL`]. A store out of reach leaves the
    /// copy as it is (the request then fails on the store itself).
    fn refresh(&self, strict: bool) {
        let Some(sync) = &self.sync else { return };
        if !sync.due(strict) {
            return;
        }
        let reloaded = (|| {
            let view = sync.storage().snapshot()?;
            let version = cluster::read_version(&*view)?;
            sync.checked();
            if version <= sync.version() {
                return Ok(());
            }
            self.install(sync, &*view, cluster::load(&*view, version)?)
        })();
        if let Err(error) = reloaded {
            tracing::warn!(%error, "could not check the catalog version");
        }
    }

    /// Installs a catalog read in `view`, unless a newer one is installed.
    pub fn install(&self, sync: &CatalogSync, view: &dyn ReadView, loaded: Loaded) -> Result<()> {
        let mut tables = self.tables.write().unwrap_or_else(|p| p.into_inner());
        if sync.advance(view, loaded.version)? {
            *tables = loaded.tables;
        }
        Ok(())
    }

    /// The table named `name` as the store holds it now, its counters
    /// summed over the nodes (DescribeTable): the same as [`Catalog::get`]
    /// on a store of one node's own.
    pub fn get_current(&self, name: &str) -> Option<Arc<Table>> {
        let Some(sync) = &self.sync else {
            return self.lookup(name);
        };
        self.refresh(true);
        let table = self.lookup(name)?;
        let counted = (|| {
            let view = sync.storage().snapshot()?;
            table.set_counters(None, cluster::summed_stats(&*view, &table.definition.id)?);
            for index in &table.definition.indexes {
                table.set_counters(Some(&index.name), cluster::summed_stats(&*view, &index.keyspace)?);
            }
            Ok::<_, Error>(())
        })();
        if let Err(error) = counted {
            tracing::warn!(%error, "could not read the table's counters");
        }
        Some(table)
    }

    /// Every table, with several nodes as of at most
    /// [`cluster::READ_CHECK_INTERVAL`] ago (background work).
    pub fn current_tables(&self) -> Vec<Arc<Table>> {
        self.refresh(false);
        self.tables()
    }

    /// Every table in this node's copy, as it is (the writer, which keeps
    /// it current itself).
    pub fn tables(&self) -> Vec<Arc<Table>> {
        self.tables
            .read()
            .unwrap_or_else(|p| p.into_inner())
            .values()
            .cloned()
            .collect()
    }

    /// The table named `name`; with several nodes, as of at most
    /// [`cluster::READ_CHECK_INTERVAL`] ago, and as of now when this
    /// node's copy lacks it.
    pub fn get(&self, name: &str) -> Option<Arc<Table>> {
        self.refresh(false);
        self.lookup(name).or_else(|| {
            self.sync.as_ref()?;
            self.refresh(true);
            self.lookup(name)
        })
    }

    /// The table in this node's copy, as it is.
    pub fn lookup(&self, name: &str) -> Option<Arc<Table>> {
        self.tables.read().unwrap_or_else(|p| p.into_inner()).get(name).cloned()
    }

    /// Table names in order, starting after `exclusive_start`.
    pub fn names_after(&self, exclusive_start: Option<&str>, limit: usize) -> (Vec<String>, bool) {
        self.refresh(true);
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
    read_stats_row(view, table_id.as_bytes())
}

/// The counters stored under `key` (a record, or a node's row of one).
pub(crate) fn read_stats_row(view: &dyn ReadView, key: &[u8]) -> Result<TableStats> {
    match view.get(STATS_KEYSPACE, key)? {
        Some(bytes) => decode(&bytes),
        None => Ok(TableStats::default()),
    }
}

pub(crate) fn write_stats_row(tx: &mut dyn WriteTransaction, key: &[u8], stats: &TableStats) -> Result<()> {
    tx.put(STATS_KEYSPACE, key, &encode(stats))?;
    Ok(())
}

pub(crate) fn write_definition(tx: &mut dyn WriteTransaction, definition: &TableDefinition) -> Result<()> {
    tx.put(CATALOG_KEYSPACE, definition.name.as_bytes(), &encode(definition))?;
    Ok(())
}

pub(crate) fn write_stats(tx: &mut dyn WriteTransaction, table_id: &str, stats: &TableStats) -> Result<()> {
    write_stats_row(tx, table_id.as_bytes(), stats)
}

pub(crate) fn delete_table_records(tx: &mut dyn WriteTransaction, definition: &TableDefinition) -> Result<()> {
    tx.delete(CATALOG_KEYSPACE, definition.name.as_bytes())?;
    tx.delete(STATS_KEYSPACE, definition.id.as_bytes())?;
    cluster::delete_shards(tx, &definition.id)?;
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
    cluster::delete_shards(tx, &index.keyspace)?;
    tx.drop_keyspace(&index.keyspace)?;
    Ok(())
}
