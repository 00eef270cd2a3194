//! The one ordered write path.
//!
//! Every mutation is a [`Command`] sent to a single writer thread. The writer
//! takes every command waiting in its queue, applies them in order inside
//! one storage transaction (each command checks its preconditions against
//! the state left by the commands before it, and writes only once its
//! checks have passed), commits once, and only then answers each caller:
//! group commit, so one fsync serves many writes.

use std::cell::{Cell, RefCell};
use std::collections::HashMap;
use std::sync::mpsc;
use std::sync::{Arc, Mutex};
use std::thread::JoinHandle;
use std::time::Instant;

use halyard_metrics::Metrics;

use halyard_storage::{AttachedRecord, Storage, SystemCommand, WriteTransaction};
use tokio::sync::oneshot;

use crate::catalog::{self, Catalog, Table};
pub(crate) use crate::client_tokens::{self, ClientToken};
use crate::error::{CancellationReason, Error, Result};
use crate::expression::condition::Condition;
use crate::expression::update::Update;
use crate::indexes;
use crate::keys;
use crate::model::{IndexDefinition, IndexStatus, Item, TableDefinition, TableStats};
use crate::streams::log::StreamLog;
use crate::streams::Streams;

mod backup_write;
mod item_write;

use crate::table_settings::{self, TableChange};
use crate::time_to_live::{self, Backfilled};
pub(crate) use backup_write::BackupCommand;
pub(crate) use item_write::{collection_record, IndexUnits};

/// Most commands committed in one transaction.
const MAX_BATCH: usize = 512;
/// Times a command that conflicted with another node's writes is applied
/// again (on the state those writes left) before it fails as retryable.
const MAX_CONFLICT_RETRIES: u32 = 20;

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
    /// Changes a setting with an operation of its own (tags, TTL), checked
    /// against the table as it is when the writer applies it.
    AlterTable {
        table: String,
        table_id: String,
        change: TableChange,
    },
    /// Adds the items after `after` to the table's expiry index, a chunk
    /// at a time (TTL enabled on a table with items).
    BackfillExpiry {
        table: String,
        table_id: String,
        /// When TTL was enabled: a backfill of an earlier enabling stops.
        enabled_at: f64,
        after: Option<Vec<u8>>,
    },
    /// Deletes up to `limit` items whose TTL had passed at `now` (epoch
    /// seconds), each as a DeleteItem by the service.
    Expire {
        table: String,
        table_id: String,
        now: u64,
        limit: usize,
    },
    /// A service's change to system state (identities, keys, policies).
    System(Arc<dyn SystemCommand>),
    /// A step of a backup, a restore or point-in-time recovery.
    Backup(BackupCommand),
}

/// Who asked for an item write.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum WriteOrigin {
    Client,
    /// The Time to Live expirer, deleting an expired item.
    TimeToLive,
    /// A restore filling its table (the only writer of a table while it restores).
    Restore,
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
    /// Stream records name the service as the author of TTL deletes.
    #[allow(dead_code)] // read by the Streams writer, which is being built alongside
    pub origin: WriteOrigin,
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
    /// Commands whose change other nodes must take (table definitions,
    /// stream metadata): their batch bumps the catalog version.
    fn bumps_catalog(&self) -> bool {
        self.changes_catalog() && !matches!(self, Command::System(_))
    }

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
                | Command::AlterTable { .. }
                | Command::BackfillExpiry { .. }
                | Command::System(_)
                | Command::Backup(_)
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
    /// A system command applied (its verdict is its own).
    System,
    /// A backup as a backup command left it.
    Backup(Box<crate::model::BackupRecord>),
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
    /// The audit record of the request that submitted the command
    /// ([`crate::with_audit`]): stored in the command's transaction once
    /// the command has succeeded.
    audit: Option<Arc<dyn AttachedRecord>>,
    reply: oneshot::Sender<Result<Outcome>>,
}

pub(crate) struct Writer {
    queue: Mutex<Option<mpsc::Sender<Job>>>,
    metrics: Arc<Metrics>,
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
        let shared = storage.node_id().is_some();
        let stream_log = RefCell::new(StreamLog::new(streams, settings.streams, shared));
        let metrics = settings.metrics.clone();
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
                    stream_log_version: Cell::new(0),
                    metrics,
                }
                .run()
            })
            .expect("spawn writer thread");
        Writer {
            queue: Mutex::new(Some(sender)),
            metrics: settings.metrics.clone(),
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
                .send(Job {
                    command,
                    audit: crate::audit_scope::current(),
                    reply,
                })
                .map_err(|_| Error::Internal("the writer has stopped".into()))?;
        }
        if self.metrics.enabled() {
            self.metrics.writer.queue_depth.inc();
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
    /// The catalog version the stream log's working state was taken at
    /// (several nodes over one store).
    stream_log_version: Cell<u64>,
    metrics: Arc<Metrics>,
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
            None => {
                let job = self.receiver.recv().ok()?;
                self.dequeued();
                job
            }
        };
        let mut batch = vec![first];
        if batch[0].command.changes_catalog() {
            return Some(batch);
        }
        while batch.len() < MAX_BATCH {
            match self.receiver.try_recv() {
                Ok(job) if job.command.changes_catalog() => {
                    self.dequeued();
                    self.held = Some(job);
                    break;
                }
                Ok(job) => {
                    self.dequeued();
                    batch.push(job);
                }
                Err(_) => break,
            }
        }
        Some(batch)
    }

    /// A job left the queue (a held one counts as taken).
    fn dequeued(&self) {
        if self.metrics.enabled() {
            self.metrics.writer.queue_depth.dec();
        }
    }

    fn run_batch(&self, batch: Vec<Job>) {
        let size = batch.len();
        if self.metrics.enabled() {
            self.metrics.writer.batch_size.observe(size as u64);
        }
        let mut jobs = Vec::with_capacity(size);
        let mut commands = Vec::with_capacity(size);
        let mut audits = Vec::with_capacity(size);
        for job in batch {
            jobs.push(job.reply);
            commands.push(job.command);
            audits.push(job.audit);
        }
        if size == 1 {
            let outcome = self.commit_alone(&commands[0], &audits[0]);
            if let Some(reply) = jobs.into_iter().next() {
                let _ = reply.send(outcome);
            }
            return;
        }
        let outcomes = match self.apply_and_commit(&commands, &audits) {
            Ok(outcomes) => outcomes,
            Err(Error::Conflict) => {
                // Another node's batch changed what this one read. Halves
                // are tried again, so that a hot item makes only the part
                // of the batch that holds it retry.
                self.commit_halves(&commands, &audits)
            }
            Err(error) => self.after_failed_commit(error, &commands, &audits),
        };
        for (reply, outcome) in jobs.into_iter().zip(outcomes) {
            let _ = reply.send(outcome);
        }
    }

    /// Commits the two halves of commands that conflicted, in order, each
    /// as one transaction (halved again while it conflicts).
    fn commit_halves(&self, commands: &[Command], audits: &[Option<Arc<dyn AttachedRecord>>]) -> Vec<Result<Outcome>> {
        let middle = commands.len() / 2;
        let mut outcomes = Vec::with_capacity(commands.len());
        for (commands, audits) in [
            (&commands[..middle], &audits[..middle]),
            (&commands[middle..], &audits[middle..]),
        ] {
            if commands.len() == 1 {
                outcomes.push(self.commit_alone(&commands[0], &audits[0]));
                continue;
            }
            match self.apply_and_commit(commands, audits) {
                Ok(committed) => outcomes.extend(committed),
                Err(Error::Conflict) => outcomes.extend(self.commit_halves(commands, audits)),
                Err(error) => outcomes.extend(self.after_failed_commit(error, commands, audits)),
            }
        }
        outcomes
    }

    /// The outcomes of commands whose batch failed. A batch that rolled
    /// back is retried a command at a time, so that one command's storage
    /// fault fails only that command; one whose commit may have happened
    /// is not applied again (a retry could apply an update twice).
    fn after_failed_commit(
        &self,
        error: Error,
        commands: &[Command],
        audits: &[Option<Arc<dyn AttachedRecord>>],
    ) -> Vec<Result<Outcome>> {
        if let Error::CommitOutcomeUnknown = error {
            tracing::error!(
                size = commands.len(),
                "a batch's commit was not confirmed: its writes are not acknowledged"
            );
            return commands.iter().map(|_| Err(Error::CommitOutcomeUnknown)).collect();
        }
        tracing::warn!(%error, size = commands.len(), "batch failed; retrying its commands one by one");
        commands
            .iter()
            .zip(audits)
            .map(|(command, audit)| self.commit_alone(command, audit))
            .collect()
    }

    /// Commits one command in a transaction of its own, applying it again
    /// (its checks re-evaluated on the new state) while it conflicts with
    /// other nodes' writes.
    fn commit_alone(&self, command: &Command, audit: &Option<Arc<dyn AttachedRecord>>) -> Result<Outcome> {
        let mut retries = 0;
        loop {
            match self.apply_and_commit(std::slice::from_ref(command), std::slice::from_ref(audit)) {
                Err(Error::Conflict) if retries < MAX_CONFLICT_RETRIES => {
                    retries += 1;
                    std::thread::sleep(conflict_backoff(retries));
                }
                Err(error) => {
                    // Storage faults are logged once, by the storage, when they begin.
                    if let Error::Internal(_) = error {
                        tracing::error!(%error, "write failed");
                    }
                    return Err(error);
                }
                Ok(mut outcomes) => return outcomes.pop().expect("one outcome per command"),
            }
        }
    }

    /// Applies the commands in one transaction and commits it. The outer
    /// error means nothing was committed; inner errors are per command
    /// (a failed check: that command wrote nothing).
    fn apply_and_commit(
        &self,
        commands: &[Command],
        audits: &[Option<Arc<dyn AttachedRecord>>],
    ) -> Result<Vec<Result<Outcome>>> {
        let result = self.apply_and_commit_batch(commands, audits);
        let mut stream_log = self.stream_log.borrow_mut();
        match &result {
            Ok(_) => stream_log.publish(),
            Err(_) => stream_log.roll_back(),
        }
        result
    }

    fn apply_and_commit_batch(
        &self,
        commands: &[Command],
        audits: &[Option<Arc<dyn AttachedRecord>>],
    ) -> Result<Vec<Result<Outcome>>> {
        let mut tx = self.storage.begin_write()?;
        let version = self.check_catalog(&*tx)?;
        let mut deltas = StatsDeltas::new();
        let mut published: Vec<Publish> = Vec::new();
        let mut outcomes = Vec::with_capacity(commands.len());
        let mut audited: Vec<&Arc<dyn AttachedRecord>> = Vec::new();
        let mut records = Vec::new();
        for (command, audit) in commands.iter().zip(audits) {
            match self.apply(&mut *tx, command, &mut deltas, &mut published) {
                Err(error) if error.is_server_fault() => return Err(error),
                outcome => {
                    // A system command's verdict is its own (it may have
                    // refused): it says whether its change went through.
                    let succeeded = outcome.is_ok()
                        && match command {
                            Command::System(command) => command.carries_audit(),
                            _ => true,
                        };
                    if let Some(audit) = audit.as_ref().filter(|_| succeeded) {
                        if !audit.is_committed() && !audited.iter().any(|done| Arc::ptr_eq(done, audit)) {
                            records.extend_from_slice(audit.line());
                            records.push(b'\n');
                            audited.push(audit);
                        }
                    }
                    outcomes.push(outcome);
                }
            }
        }
        if let Some(first) = audited.first() {
            first.store_batch(&mut *tx, &records)?;
        }
        let mut new_stats = Vec::with_capacity(deltas.len());
        for (record, change) in &deltas {
            let current = change.table.counters(change.index.as_deref());
            let stats = current.plus(&change.delta);
            match self.catalog.sync() {
                None => catalog::write_stats(&mut *tx, record, &stats)?,
                Some(sync) => {
                    // This node's own row: no other node writes it.
                    let key = sync.own_stats_key(record);
                    let own = catalog::read_stats_row(&*tx, &key)?.plus(&change.delta);
                    catalog::write_stats_row(&mut *tx, &key, &own)?;
                }
            }
            new_stats.push((change.table.clone(), change.index.clone(), stats));
        }
        let bumped = match (self.catalog.sync(), version) {
            (Some(sync), Some(version)) if commands.iter().any(Command::bumps_catalog) => {
                Some(sync.bump(&mut *tx, version)?)
            }
            _ => None,
        };
        let committing = self.metrics.enabled().then(Instant::now);
        tx.commit()?;
        if let Some(committing) = committing {
            self.metrics
                .writer
                .commit_seconds
                .observe_duration(committing.elapsed());
        }
        // Committed: now readers may see the changes.
        if let (Some(sync), Some(version)) = (self.catalog.sync(), bumped) {
            sync.committed(version);
            self.stream_log_version.set(version);
        }
        for command in commands {
            if let Command::System(command) = command {
                command.committed();
            }
        }
        for audit in audited {
            audit.committed();
        }
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

    /// With several nodes over the store: reads the catalog version in the
    /// batch's transaction and takes another node's catalog changes (as
    /// that transaction sees them) before any command is applied. Returns
    /// the version read.
    fn check_catalog(&self, tx: &dyn halyard_storage::ReadView) -> Result<Option<u64>> {
        let Some(sync) = self.catalog.sync() else {
            return Ok(None);
        };
        let (version, newer) = sync.check_in(tx)?;
        if let Some(loaded) = newer {
            self.catalog.install(sync, tx, loaded)?;
        }
        if self.stream_log_version.get() != version {
            self.stream_log.borrow_mut().reload();
            self.stream_log_version.set(version);
        }
        Ok(Some(version))
    }

    fn live_table(&self, name: &str, id: &str) -> Result<Arc<Table>> {
        match self.catalog.lookup(name) {
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
                if self.catalog.lookup(&definition.name).is_some() {
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
                let mut definition = definition.clone();
                table_settings::keep_owned(&current.definition, &mut definition);
                self.replace_definition(tx, &current, definition, published)
            }
            Command::DeleteTable { name } => {
                let table = self
                    .catalog
                    .lookup(name)
                    .ok_or_else(|| keys::table_not_found_named(name))?;
                catalog::delete_table_records(tx, &table.definition)?;
                self.stream_log
                    .borrow_mut()
                    .table_changed(tx, Some(&table.definition), None, crate::now_seconds())?;
                published.push(Publish::Remove(name.clone()));
                Ok(Outcome::Table(table))
            }
            Command::WriteItem(write) => self.apply_item_write(tx, write, deltas),
            Command::WriteItems(writes) => self.apply_independent_writes(tx, writes, deltas),
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
            Command::AlterTable {
                table,
                table_id,
                change,
            } => {
                let current = self.live_table(table, table_id)?;
                let definition = table_settings::apply(tx, &current, change)?;
                self.replace_definition(tx, &current, definition, published)
            }
            Command::BackfillExpiry {
                table,
                table_id,
                enabled_at,
                after,
            } => {
                let current = self.live_table(table, table_id)?;
                let seal = self.catalog.seals.of(&current.definition)?;
                match time_to_live::backfill_chunk(tx, &seal, &current.definition, *enabled_at, after.as_deref())? {
                    Backfilled::More(next) => Ok(Outcome::Backfill { next: Some(next) }),
                    Backfilled::Done(definition) => {
                        self.replace_definition(tx, &current, *definition, published)?;
                        Ok(Outcome::Backfill { next: None })
                    }
                    Backfilled::Superseded => Ok(Outcome::Backfill { next: None }),
                }
            }
            Command::Expire {
                table,
                table_id,
                now,
                limit,
            } => {
                let table = self.live_table(table, table_id)?;
                let seal = self.catalog.seals.of(&table.definition)?;
                let deletes = time_to_live::due_deletes(tx, &seal, &table.definition, *now, *limit)?;
                self.apply_independent_writes(tx, &deletes, deltas)
            }
            Command::System(command) => {
                command.apply(tx)?;
                Ok(Outcome::System)
            }
            Command::Backup(command) => self.apply_backup(tx, command, deltas, published),
        }
    }

    /// Writes applied each on its own (BatchWriteItem, TTL deletes): one
    /// failing its checks does not stop the others.
    fn apply_independent_writes(
        &self,
        tx: &mut dyn WriteTransaction,
        writes: &[ItemWrite],
        deltas: &mut StatsDeltas,
    ) -> Result<Outcome> {
        writes
            .iter()
            .map(|write| match self.apply_item_write(tx, write, deltas) {
                // The write may have stopped half-way: none of the transaction may commit.
                Err(error) if error.is_server_fault() => Err(error),
                outcome => Ok(outcome),
            })
            .collect::<Result<Vec<_>>>()
            .map(Outcome::Items)
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
        let seal = self.catalog.seals.of(definition)?;
        let copied = indexes::backfill_chunk(tx, &seal, definition, index, after, BACKFILL_CHUNK)?;
        add_delta(deltas, table, Some(index), copied.count_delta, copied.size_delta);
        if let Some(next) = copied.next {
            return Ok(Outcome::Backfill { next: Some(next) });
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
            if client_tokens::already_applied(&*tx, token)? {
                return Ok(Outcome::Transaction(Vec::new()));
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
            client_tokens::remember(tx, token)?;
        }
        Ok(Outcome::Transaction(outcomes))
    }
}

/// How long a command that conflicted waits before it is applied again:
/// a random time, growing with the retries, so that two nodes' retries
/// spread out.
fn conflict_backoff(retry: u32) -> std::time::Duration {
    use std::hash::{BuildHasher, Hasher};
    let random = std::collections::hash_map::RandomState::new().build_hasher().finish();
    let ceiling_micros = (500u64 << retry.min(7)).min(50_000);
    std::time::Duration::from_micros(random % ceiling_micros + 100)
}

/// A catalog change to publish once its batch has committed.
enum Publish {
    Insert(Arc<Table>),
    Remove(String),
}
