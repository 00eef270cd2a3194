//! The one ordered write path.
//!
//! Every mutation is a [`Command`] sent to a single writer thread. The writer
//! takes every command waiting in its queue, applies them in order inside
//! one storage transaction (each command checks its preconditions against
//! the state left by the commands before it, and writes only once its
//! checks have passed), commits once, and only then answers each caller:
//! group commit, so one fsync serves many writes.

use std::cell::RefCell;
use std::collections::HashMap;
use std::sync::mpsc;
use std::sync::{Arc, Mutex};
use std::thread::JoinHandle;

use halyard_storage::{ReadView, Storage, WriteTransaction};
use tokio::sync::oneshot;

use crate::catalog::{self, Catalog, Table, COLLECTIONS_KEYSPACE, TOKENS_KEYSPACE};
use crate::error::{CancellationReason, Error, Result};
use crate::expression::condition::Condition;
use crate::expression::update::Update;
use crate::indexes;
use crate::keys;
use crate::model::item_codec::{decode_item, encode_item};
use crate::model::{
    item_size, item_too_deep, IndexDefinition, IndexKind, IndexStatus, Item, TableDefinition, TableStats,
    ITEM_TOO_DEEP, MAX_ITEM_SIZE,
};
use crate::streams::log::StreamLog;
use crate::streams::Streams;

/// Most commands committed in one transaction.
const MAX_BATCH: usize = 512;

/// A mutation, with everything it needs decided up front so that applying
/// it is deterministic.
#[derive(Debug)]
pub(crate) enum Command {
    CreateTable(TableDefinition),
    /// Replaces a table's definition, if the table still has `id`.
    UpdateTable(TableDefinition),
    DeleteTable {
        name: String,
    },
    /// PutItem, UpdateItem or DeleteItem on one item.
    WriteItem(ItemWrite),
    /// BatchWriteItem: independent writes, each applied on its own.
    WriteItems(Vec<ItemWrite>),
    /// TransactWriteItems: all of the writes or none.
    Transaction {
        writes: Vec<ItemWrite>,
        token: Option<ClientToken>,
    },
    /// Copies the existing items after `after` (a table storage key) into
    /// a new global index, a chunk at a time.
    BackfillIndex {
        table: String,
        table_id: String,
        index: String,
        after: Option<Vec<u8>>,
    },
    /// Removes stream records that have aged out, a bounded number at a time.
    TrimStreams,
}

/// A write to one item, applied only if its condition holds on the item
/// as it is when the writer reaches the command.
#[derive(Debug)]
pub(crate) struct ItemWrite {
    pub table: String,
    pub table_id: String,
    /// The item's key attributes.
    pub key: Item,
    pub action: ItemAction,
    pub condition: Option<Condition>,
    /// ReturnValuesOnConditionCheckFailure=ALL_OLD
    pub return_old_on_failure: bool,
}

#[derive(Debug)]
pub(crate) enum ItemAction {
    Put(Item),
    Update(Update),
    Delete,
    /// A transaction's ConditionCheck: the condition only.
    ConditionCheck,
}

impl Command {
    /// Table-level commands change the catalog: each runs in a batch of
    /// its own so that item commands in one batch see one catalog.
    fn changes_catalog(&self) -> bool {
        matches!(
            self,
            Command::CreateTable(_)
                | Command::UpdateTable(_)
                | Command::DeleteTable { .. }
                | Command::BackfillIndex { .. }
                | Command::TrimStreams
        )
    }
}

/// What a command produced.
#[derive(Debug)]
pub(crate) enum Outcome {
    /// The table as it is after a table-level command.
    Table(Arc<Table>),
    /// The item before and after an item command, and the size of its
    /// item collection when the table has local indexes.
    Item {
        old: Option<Item>,
        new: Option<Item>,
        collection_size: Option<i64>,
        /// Write units spent on each index the write touched.
        index_units: Vec<IndexUnits>,
    },
    /// Where the next backfill chunk starts; `None` when the index is done.
    Backfill { next: Option<Vec<u8>> },
    /// Stream records a trim removed.
    Trimmed(usize),
    /// Each write of a batch, in order.
    Items(Vec<Result<Outcome>>),
    /// Each write of a committed transaction (none when a repeated client
    /// token found it already applied).
    Transaction(Vec<Outcome>),
}

struct Job {
    command: Command,
    reply: oneshot::Sender<Result<Outcome>>,
}

pub(crate) struct Writer {
    queue: Mutex<Option<mpsc::Sender<Job>>>,
    thread: Mutex<Option<JoinHandle<()>>>,
}

impl Writer {
    pub fn start(
        storage: Arc<dyn Storage>,
        catalog: Arc<Catalog>,
        streams: Arc<Streams>,
        settings: &crate::EngineConfig,
    ) -> Writer {
        let (sender, receiver) = mpsc::channel();
        let collection_size_limit = settings.item_collection_size_limit;
        let stream_log = RefCell::new(StreamLog::new(streams, settings.streams));
        let thread = std::thread::Builder::new()
            .name("halyard-writer".into())
            .spawn(move || {
                WriterLoop {
                    storage,
                    catalog,
                    collection_size_limit,
                    receiver,
                    held: None,
                    stream_log,
                }
                .run()
            })
            .expect("spawn writer thread");
        Writer {
            queue: Mutex::new(Some(sender)),
            thread: Mutex::new(Some(thread)),
        }
    }

    /// Applies `command` and waits until it is committed.
    pub async fn submit(&self, command: Command) -> Result<Outcome> {
        let answer = self.enqueue(command)?;
        answer
            .await
            .map_err(|_| Error::Internal("the writer stopped before answering".into()))?
    }

    /// `submit` for threads outside the async runtime.
    pub fn submit_blocking(&self, command: Command) -> Result<Outcome> {
        let answer = self.enqueue(command)?;
        answer
            .blocking_recv()
            .map_err(|_| Error::Internal("the writer stopped before answering".into()))?
    }

    fn enqueue(&self, command: Command) -> Result<oneshot::Receiver<Result<Outcome>>> {
        let (reply, answer) = oneshot::channel();
        {
            let queue = self.queue.lock().unwrap_or_else(|p| p.into_inner());
            let sender = queue
                .as_ref()
                .ok_or_else(|| Error::Internal("the server is shutting down".into()))?;
            sender
                .send(Job { command, reply })
                .map_err(|_| Error::Internal("the writer has stopped".into()))?;
        }
        Ok(answer)
    }

    /// Lets the writer finish its queue, then stops it.
    pub fn shutdown(&self) {
        self.queue.lock().unwrap_or_else(|p| p.into_inner()).take();
        if let Some(thread) = self.thread.lock().unwrap_or_else(|p| p.into_inner()).take() {
            let _ = thread.join();
        }
    }
}

struct WriterLoop {
    storage: Arc<dyn Storage>,
    catalog: Arc<Catalog>,
    /// Largest item collection, in bytes (DynamoDB: 10 GB).
    collection_size_limit: i64,
    receiver: mpsc::Receiver<Job>,
    /// A table-level job taken off the queue while filling a batch of item
    /// jobs: it starts the next batch.
    held: Option<Job>,
    /// The streams' state as this batch leaves it.
    stream_log: RefCell<StreamLog>,
}

/// Counter changes of one batch, per stats record (a table's id, or an
/// index's keyspace).
struct StatsDelta {
    table: Arc<Table>,
    /// The index's name, for an index's counters.
    index: Option<String>,
    delta: TableStats,
}

type StatsDeltas = HashMap<String, StatsDelta>;

fn add_delta(deltas: &mut StatsDeltas, table: &Arc<Table>, index: Option<&IndexDefinition>, count: i64, size: i64) {
    let record = index.map_or(&table.definition.id, |index| &index.keyspace);
    let entry = deltas.entry(record.clone()).or_insert_with(|| StatsDelta {
        table: table.clone(),
        index: index.map(|index| index.name.clone()),
        delta: TableStats::default(),
    });
    entry.delta.item_count += count;
    entry.delta.size_bytes += size;
}

/// Items read by one backfill command.
const BACKFILL_CHUNK: usize = 500;

impl WriterLoop {
    fn run(mut self) {
        while let Some(batch) = self.next_batch() {
            self.run_batch(batch);
        }
    }

    fn next_batch(&mut self) -> Option<Vec<Job>> {
        let first = match self.held.take() {
            Some(job) => job,
            None => self.receiver.recv().ok()?,
        };
        let mut batch = vec![first];
        if batch[0].command.changes_catalog() {
            return Some(batch);
        }
        while batch.len() < MAX_BATCH {
            match self.receiver.try_recv() {
                Ok(job) if job.command.changes_catalog() => {
                    self.held = Some(job);
                    break;
                }
                Ok(job) => batch.push(job),
                Err(_) => break,
            }
        }
        Some(batch)
    }

    fn run_batch(&self, batch: Vec<Job>) {
        let size = batch.len();
        let (jobs, commands): (Vec<_>, Vec<_>) = batch.into_iter().map(|job| (job.reply, job.command)).unzip();
        match self.apply_and_commit(&commands) {
            Ok(outcomes) => {
                for (reply, outcome) in jobs.into_iter().zip(outcomes) {
                    let _ = reply.send(outcome);
                }
            }
            Err(error) if size > 1 => {
                // The whole batch rolled back. Retry each command alone, so
                // that one command's storage fault fails only that command.
                tracing::warn!(%error, size, "batch failed; retrying its commands one by one");
                for (reply, command) in jobs.into_iter().zip(commands) {
                    let outcome = self
                        .apply_and_commit(std::slice::from_ref(&command))
                        .and_then(|mut outcomes| outcomes.pop().expect("one outcome per command"));
                    let _ = reply.send(outcome);
                }
            }
            Err(error) => {
                // Storage faults are logged once, by the storage, when they begin.
                if let Error::Internal(_) = error {
                    tracing::error!(%error, "write failed");
                }
                if let Some(reply) = jobs.into_iter().next() {
                    let _ = reply.send(Err(error));
                }
            }
        }
    }

    /// Applies the commands in one transaction and commits it. The outer
    /// error means nothing was committed; inner errors are per command
    /// (a failed check: that command wrote nothing).
    fn apply_and_commit(&self, commands: &[Command]) -> Result<Vec<Result<Outcome>>> {
        let result = self.apply_and_commit_batch(commands);
        let mut stream_log = self.stream_log.borrow_mut();
        match &result {
            Ok(_) => stream_log.publish(),
            Err(_) => stream_log.roll_back(),
        }
        result
    }

    fn apply_and_commit_batch(&self, commands: &[Command]) -> Result<Vec<Result<Outcome>>> {
        let mut tx = self.storage.begin_write()?;
        let mut deltas = StatsDeltas::new();
        let mut published: Vec<Publish> = Vec::new();
        let mut outcomes = Vec::with_capacity(commands.len());
        for command in commands {
            match self.apply(&mut *tx, command, &mut deltas, &mut published) {
                Err(error) if error.is_server_fault() => return Err(error),
                outcome => outcomes.push(outcome),
            }
        }
        let mut new_stats = Vec::with_capacity(deltas.len());
        for (record, change) in &deltas {
            let current = change.table.counters(change.index.as_deref());
            let stats = TableStats {
                item_count: current.item_count + change.delta.item_count,
                size_bytes: current.size_bytes + change.delta.size_bytes,
            };
            catalog::write_stats(&mut *tx, record, &stats)?;
            new_stats.push((change.table.clone(), change.index.clone(), stats));
        }
        tx.commit()?;
        // Committed: now readers may see the changes.
        for (table, index, stats) in new_stats {
            table.set_counters(index.as_deref(), stats);
        }
        for change in published {
            match change {
                Publish::Insert(table) => self.catalog.insert(table),
                Publish::Remove(name) => self.catalog.remove(&name),
            }
        }
        Ok(outcomes)
    }

    fn live_table(&self, name: &str, id: &str) -> Result<Arc<Table>> {
        match self.catalog.get(name) {
            Some(table) if table.definition.id == id => Ok(table),
            _ => Err(keys::table_not_found()),
        }
    }

    fn apply(
        &self,
        tx: &mut dyn WriteTransaction,
        command: &Command,
        deltas: &mut StatsDeltas,
        published: &mut Vec<Publish>,
    ) -> Result<Outcome> {
        match command {
            Command::CreateTable(definition) => {
                if self.catalog.get(&definition.name).is_some() {
                    return Err(Error::ResourceInUse(format!(
                        "Table already exists: {}",
                        definition.name
                    )));
                }
                tx.create_keyspace(&definition.keyspace)?;
                catalog::write_definition(tx, definition)?;
                catalog::write_stats(tx, &definition.id, &TableStats::default())?;
                for index in &definition.indexes {
                    tx.create_keyspace(&index.keyspace)?;
                    catalog::write_stats(tx, &index.keyspace, &TableStats::default())?;
                }
                self.stream_log
                    .borrow_mut()
                    .table_changed(tx, None, Some(definition), definition.created)?;
                let table = Arc::new(Table::new(
                    definition.clone(),
                    TableStats::default(),
                    Default::default(),
                ));
                published.push(Publish::Insert(table.clone()));
                Ok(Outcome::Table(table))
            }
            Command::UpdateTable(definition) => {
                let current = self.live_table(&definition.name, &definition.id)?;
                self.replace_definition(tx, &current, definition.clone(), published)
            }
            Command::DeleteTable { name } => {
                let table = self
                    .catalog
                    .get(name)
                    .ok_or_else(|| keys::table_not_found_named(name))?;
                catalog::delete_table_records(tx, &table.definition)?;
                self.stream_log
                    .borrow_mut()
                    .table_changed(tx, Some(&table.definition), None, crate::now_seconds())?;
                published.push(Publish::Remove(name.clone()));
                Ok(Outcome::Table(table))
            }
            Command::WriteItem(write) => self.apply_item_write(tx, write, deltas),
            Command::WriteItems(writes) => writes
                .iter()
                .map(|write| match self.apply_item_write(tx, write, deltas) {
                    // The write may have stopped half-way: none of the transaction may commit.
                    Err(error) if error.is_server_fault() => Err(error),
                    outcome => Ok(outcome),
                })
                .collect::<Result<Vec<_>>>()
                .map(Outcome::Items),
            Command::Transaction { writes, token } => self.apply_transaction(tx, writes, token.as_ref(), deltas),
            Command::BackfillIndex {
                table,
                table_id,
                index,
                after,
            } => {
                let table = self.live_table(table, table_id)?;
                self.backfill(tx, &table, index, after.as_deref(), deltas, published)
            }
            Command::TrimStreams => Ok(Outcome::Trimmed(
                self.stream_log.borrow_mut().trim(tx, crate::now_seconds())?,
            )),
        }
    }

    /// Stores a table's new definition, creating the keyspaces of indexes
    /// it adds and dropping those of indexes it removes.
    fn replace_definition(
        &self,
        tx: &mut dyn WriteTransaction,
        current: &Arc<Table>,
        definition: TableDefinition,
        published: &mut Vec<Publish>,
    ) -> Result<Outcome> {
        let mut index_stats = current.index_stats();
        for index in &definition.indexes {
            if current.definition.index(&index.name).is_none() {
                tx.create_keyspace(&index.keyspace)?;
                catalog::write_stats(tx, &index.keyspace, &TableStats::default())?;
                index_stats.insert(index.name.clone(), TableStats::default());
            }
        }
        for index in &current.definition.indexes {
            if definition.index(&index.name).is_none() {
                catalog::drop_index_records(tx, index)?;
                index_stats.remove(&index.name);
            }
        }
        catalog::write_definition(tx, &definition)?;
        self.stream_log.borrow_mut().table_changed(
            tx,
            Some(&current.definition),
            Some(&definition),
            crate::now_seconds(),
        )?;
        let table = Arc::new(Table::new(definition, current.stats(), index_stats));
        published.push(Publish::Insert(table.clone()));
        Ok(Outcome::Table(table))
    }

    /// Copies the next chunk of existing items into a new index; when none
    /// are left, makes the index ACTIVE.
    fn backfill(
        &self,
        tx: &mut dyn WriteTransaction,
        table: &Arc<Table>,
        index_name: &str,
        after: Option<&[u8]>,
        deltas: &mut StatsDeltas,
        published: &mut Vec<Publish>,
    ) -> Result<Outcome> {
        let definition = &table.definition;
        let index = match definition.index(index_name) {
            Some(index) if index.status == IndexStatus::Creating => index,
            _ => return Ok(Outcome::Backfill { next: None }),
        };
        let mut chunk = keys::read_chunk(&*tx, &definition.keyspace, after, BACKFILL_CHUNK)?;
        for (storage_key, value) in &chunk {
            // One damaged item must not stop the index from ever becoming
            // ACTIVE (the backfill resumes at every start): report it, and
            // leave it out of the index.
            let item = match decode_item(value) {
                Ok(item) => item,
                Err(error) => {
                    tracing::error!(
                        table = %definition.name,
                        index = %index.name,
                        key = %keys::hex(storage_key),
                        %error,
                        "index backfill skipped an item it cannot read; run `halyard check`"
                    );
                    continue;
                }
            };
            let Some((key, projected)) = indexes::backfill_entry(index, &definition.primary_key, &item) else {
                continue;
            };
            // Writes since the index was added already keep it up to date:
            // count only what this copy changes.
            let existing = tx
                .get(&index.keyspace, &key)?
                .map(|bytes| decode_item(&bytes))
                .transpose()?;
            let existing_size = existing.as_ref().map_or(0, |e| item_size(e) as i64);
            tx.put(&index.keyspace, &key, &encode_item(&projected))?;
            add_delta(
                deltas,
                table,
                Some(index),
                i64::from(existing.is_none()),
                item_size(&projected) as i64 - existing_size,
            );
        }
        if chunk.len() == BACKFILL_CHUNK {
            return Ok(Outcome::Backfill {
                next: chunk.pop().map(|(key, _)| key),
            });
        }
        let mut active = definition.clone();
        for index in active.indexes.iter_mut().filter(|i| i.name == index_name) {
            index.status = IndexStatus::Active;
        }
        catalog::write_definition(tx, &active)?;
        let active = Arc::new(Table::new(active, table.stats(), table.index_stats()));
        // This chunk's counter changes are applied after the commit: to the
        // table as published, not to the one it replaces.
        for delta in deltas.values_mut().filter(|delta| Arc::ptr_eq(&delta.table, table)) {
            delta.table = active.clone();
        }
        published.push(Publish::Insert(active));
        Ok(Outcome::Backfill { next: None })
    }

    /// Reads the item, checks the write's condition and works out (and
    /// checks) everything the write changes, writing nothing.
    /// `pending_collections` carries item collection sizes already changed
    /// by earlier writes of the same transaction.
    fn prepare_item_write(
        &self,
        tx: &dyn ReadView,
        write: &ItemWrite,
        pending_collections: &mut HashMap<Vec<u8>, i64>,
    ) -> Result<PreparedWrite> {
        let table = self.live_table(&write.table, &write.table_id)?;
        let definition = &table.definition;
        let storage_key = keys::storage_key(&definition.primary_key, &write.key)?;
        let old = tx
            .get(&definition.keyspace, &storage_key)?
            .map(|bytes| decode_item(&bytes))
            .transpose()?;
        if let Some(condition) = &write.condition {
            // An absent item is checked as an empty one.
            let holds = match &old {
                Some(item) => condition.evaluate(item),
                None => condition.evaluate(&Item::new()),
            };
            if !holds {
                return Err(Error::ConditionalCheckFailed {
                    item: if write.return_old_on_failure { old } else { None },
                });
            }
        }
        let new = match &write.action {
            ItemAction::Put(item) => Some(item.clone()),
            ItemAction::Delete => None,
            ItemAction::ConditionCheck => {
                return Ok(PreparedWrite {
                    table,
                    storage_key,
                    new: old.clone(),
                    old,
                    index_changes: Vec::new(),
                    collection: None,
                    changes: false,
                });
            }
            ItemAction::Update(update) => {
                let updated = update.apply(old.as_ref().unwrap_or(&write.key))?;
                // `SET m.a = m` nests the item one level deeper each time.
                if item_too_deep(&updated) {
                    return Err(Error::validation(ITEM_TOO_DEEP));
                }
                if item_size(&updated) > MAX_ITEM_SIZE {
                    return Err(Error::validation(
                        "Item size to update has exceeded the maximum allowed size",
                    ));
                }
                Some(updated)
            }
        };
        let by_update = matches!(write.action, ItemAction::Update(_));
        let index_changes = indexes::plan(tx, definition, old.as_ref(), new.as_ref(), by_update)?;
        let collection = if definition.has_local_indexes() {
            let local_delta: i64 = index_changes
                .iter()
                .filter(|change| definition.indexes[change.index].kind == IndexKind::Local)
                .map(|change| change.size_delta)
                .sum();
            let delta = size_of(&new) - size_of(&old) + local_delta;
            let record = collection_record(definition, &write.key)?;
            let current = match pending_collections.get(&record) {
                Some(size) => *size,
                None => match tx.get(COLLECTIONS_KEYSPACE, &record)? {
                    Some(bytes) => i64::from_le_bytes(
                        bytes
                            .try_into()
                            .map_err(|_| Error::Internal("corrupt item collection size".into()))?,
                    ),
                    None => 0,
                },
            };
            let size = current + delta;
            if delta > 0 && size > self.collection_size_limit {
                return Err(Error::ItemCollectionSizeLimitExceeded(
                    "Collection size exceeded.".into(),
                ));
            }
            pending_collections.insert(record.clone(), size);
            Some((record, size))
        } else {
            None
        };
        Ok(PreparedWrite {
            table,
            storage_key,
            old,
            new,
            index_changes,
            collection,
            changes: true,
        })
    }

    /// Writes a prepared item write: the item, its index entries, its item
    /// collection size, and the counters.
    fn finish_item_write(
        &self,
        tx: &mut dyn WriteTransaction,
        prepared: PreparedWrite,
        deltas: &mut StatsDeltas,
    ) -> Result<Outcome> {
        let PreparedWrite {
            table,
            storage_key,
            old,
            new,
            index_changes,
            collection,
            changes,
        } = prepared;
        let mut index_units = Vec::new();
        if changes {
            let definition = &table.definition;
            match &new {
                Some(item) => tx.put(&definition.keyspace, &storage_key, &encode_item(item))?,
                None if old.is_some() => tx.delete(&definition.keyspace, &storage_key)?,
                None => {}
            }
            self.stream_log.borrow_mut().append(
                tx,
                definition,
                old.as_ref(),
                new.as_ref(),
                false,
                crate::now_seconds(),
            )?;
            for change in &index_changes {
                let index = &definition.indexes[change.index];
                indexes::apply(tx, index, change)?;
                add_delta(deltas, &table, Some(index), change.count_delta, change.size_delta);
                // A removed entry costs one unit, a written one a unit per KB.
                let units = f64::from(u8::from(change.remove.is_some()))
                    + change
                        .put
                        .as_ref()
                        .map_or(0.0, |(_, item)| item_size(item).div_ceil(1024).max(1) as f64);
                if units > 0.0 {
                    index_units.push(IndexUnits {
                        name: index.name.clone(),
                        kind: index.kind,
                        units,
                    });
                }
            }
            if let Some((record, size)) = &collection {
                if *size == 0 {
                    tx.delete(COLLECTIONS_KEYSPACE, record)?;
                } else {
                    tx.put(COLLECTIONS_KEYSPACE, record, &size.to_le_bytes())?;
                }
            }
            add_delta(
                deltas,
                &table,
                None,
                i64::from(new.is_some()) - i64::from(old.is_some()),
                size_of(&new) - size_of(&old),
            );
        }
        Ok(Outcome::Item {
            old,
            new,
            collection_size: collection.map(|(_, size)| size),
            index_units,
        })
    }

    fn apply_item_write(
        &self,
        tx: &mut dyn WriteTransaction,
        write: &ItemWrite,
        deltas: &mut StatsDeltas,
    ) -> Result<Outcome> {
        let prepared = self.prepare_item_write(&*tx, write, &mut HashMap::new())?;
        self.finish_item_write(tx, prepared, deltas)
    }

    /// All of a transaction's writes, or none: every write is prepared
    /// (read and checked) before any is written.
    fn apply_transaction(
        &self,
        tx: &mut dyn WriteTransaction,
        writes: &[ItemWrite],
        token: Option<&ClientToken>,
        deltas: &mut StatsDeltas,
    ) -> Result<Outcome> {
        if let Some(token) = token {
            if let Some(stored) = tx.get(TOKENS_KEYSPACE, token.token.as_bytes())? {
                let (fingerprint, expires) = decode_token(&stored)?;
                if expires > token.now {
                    if fingerprint != token.fingerprint {
                        return Err(Error::IdempotentParameterMismatch(
                            "Request with same client token was previously used with different parameters".into(),
                        ));
                    }
                    // Already applied: succeed without applying again.
                    return Ok(Outcome::Transaction(Vec::new()));
                }
            }
        }
        let mut pending_collections = HashMap::new();
        let mut prepared = Vec::with_capacity(writes.len());
        let mut reasons = Vec::with_capacity(writes.len());
        let mut cancelled = false;
        for write in writes {
            match self.prepare_item_write(&*tx, write, &mut pending_collections) {
                Ok(write) => {
                    prepared.push(write);
                    reasons.push(CancellationReason::none());
                }
                Err(error) if error.is_server_fault() => return Err(error),
                Err(error) => {
                    cancelled = true;
                    reasons.push(CancellationReason::from_error(error));
                }
            }
        }
        if cancelled {
            return Err(Error::TransactionCanceled { reasons });
        }
        let mut outcomes = Vec::with_capacity(prepared.len());
        for write in prepared {
            outcomes.push(self.finish_item_write(tx, write, deltas)?);
        }
        if let Some(token) = token {
            tx.put(
                TOKENS_KEYSPACE,
                token.token.as_bytes(),
                &encode_token(token.fingerprint, token.now + TOKEN_LIFETIME),
            )?;
        }
        Ok(Outcome::Transaction(outcomes))
    }
}

fn size_of(item: &Option<Item>) -> i64 {
    item.as_ref().map_or(0, |i| item_size(i) as i64)
}

/// The record of an item collection: table id, a zero byte, the encoded
/// partition key.
pub(crate) fn collection_record(definition: &TableDefinition, key: &Item) -> Result<Vec<u8>> {
    let mut record = definition.id.as_bytes().to_vec();
    record.push(0);
    let partition = key
        .get(&definition.primary_key.partition.name)
        .and_then(keys::key_value)
        .ok_or_else(|| Error::Internal("partition key missing after validation".into()))?;
    halyard_storage::keycodec::encode(partition, &mut record);
    Ok(record)
}

/// Write capacity an item write spent on one index.
#[derive(Debug, Clone, PartialEq)]
pub(crate) struct IndexUnits {
    pub name: String,
    pub kind: IndexKind,
    pub units: f64,
}

/// An item write whose checks have passed, ready to be written.
struct PreparedWrite {
    table: Arc<Table>,
    storage_key: Vec<u8>,
    old: Option<Item>,
    new: Option<Item>,
    index_changes: Vec<indexes::IndexChange>,
    /// The item collection's record and its size after the write.
    collection: Option<(Vec<u8>, i64)>,
    /// False for a ConditionCheck: nothing to write.
    changes: bool,
}

/// How long a transaction's ClientRequestToken is remembered, in seconds.
const TOKEN_LIFETIME: f64 = 600.0;

/// A transaction's ClientRequestToken and the fingerprint of its request.
#[derive(Debug, Clone)]
pub(crate) struct ClientToken {
    pub token: String,
    pub fingerprint: u64,
    /// When the request arrived, in seconds since the epoch.
    pub now: f64,
}

fn encode_token(fingerprint: u64, expires: f64) -> Vec<u8> {
    let mut bytes = fingerprint.to_le_bytes().to_vec();
    bytes.extend_from_slice(&expires.to_le_bytes());
    bytes
}

fn decode_token(bytes: &[u8]) -> Result<(u64, f64)> {
    let corrupt = || Error::Internal("corrupt client token record".into());
    let fingerprint = u64::from_le_bytes(bytes.get(..8).ok_or_else(corrupt)?.try_into().map_err(|_| corrupt())?);
    let expires = f64::from_le_bytes(
        bytes
            .get(8..16)
            .ok_or_else(corrupt)?
            .try_into()
            .map_err(|_| corrupt())?,
    );
    Ok((fingerprint, expires))
}

/// A catalog change to publish once its batch has committed.
enum Publish {
    Insert(Arc<Table>),
    Remove(String),
}
