//! The one ordered write path.
//!
//! Every mutation is a [`Command`] sent to a single writer thread. The writer
//! takes every command waiting in its queue, applies them in order inside
//! one storage transaction (each command checks its preconditions against
//! the state left by the commands before it, and writes only once its
//! checks have passed), commits once, and only then answers each caller:
//! group commit, so one fsync serves many writes.

use std::collections::HashMap;
use std::sync::mpsc;
use std::sync::{Arc, Mutex};
use std::thread::JoinHandle;

use halyard_storage::{Storage, WriteTransaction};
use tokio::sync::oneshot;

use crate::catalog::{self, Catalog, Table};
use crate::error::{Error, Result};
use crate::expression::condition::Condition;
use crate::expression::update::Update;
use crate::keys;
use crate::model::item_codec::{decode_item, encode_item};
use crate::model::{item_size, Item, TableDefinition, TableStats, MAX_ITEM_SIZE};

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
}

impl Command {
    /// Table-level commands change the catalog: each runs in a batch of
    /// its own so that item commands in one batch see one catalog.
    fn changes_catalog(&self) -> bool {
        matches!(
            self,
            Command::CreateTable(_) | Command::UpdateTable(_) | Command::DeleteTable { .. }
        )
    }
}

/// What a command produced.
#[derive(Debug)]
pub(crate) enum Outcome {
    /// The table as it is after a table-level command.
    Table(Arc<Table>),
    /// The item before and after an item command.
    Item { old: Option<Item>, new: Option<Item> },
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
    pub fn start(storage: Arc<dyn Storage>, catalog: Arc<Catalog>) -> Writer {
        let (sender, receiver) = mpsc::channel();
        let thread = std::thread::Builder::new()
            .name("halyard-writer".into())
            .spawn(move || {
                WriterLoop {
                    storage,
                    catalog,
                    receiver,
                    held: None,
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
        answer
            .await
            .map_err(|_| Error::Internal("the writer stopped before answering".into()))?
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
    receiver: mpsc::Receiver<Job>,
    /// A table-level job taken off the queue while filling a batch of item
    /// jobs: it starts the next batch.
    held: Option<Job>,
}

/// Counter changes of one batch, per table id.
type StatsDeltas = HashMap<String, (Arc<Table>, TableStats)>;

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
                tracing::error!(%error, "write failed");
                for reply in jobs {
                    let _ = reply.send(Err(Error::Internal(error.to_string())));
                }
            }
        }
    }

    /// Applies the commands in one transaction and commits it. The outer
    /// error means nothing was committed; inner errors are per command
    /// (a failed check: that command wrote nothing).
    fn apply_and_commit(&self, commands: &[Command]) -> Result<Vec<Result<Outcome>>> {
        let mut tx = self.storage.begin_write()?;
        let mut deltas = StatsDeltas::new();
        let mut published: Vec<Publish> = Vec::new();
        let mut outcomes = Vec::with_capacity(commands.len());
        for command in commands {
            match self.apply(&mut *tx, command, &mut deltas, &mut published) {
                Err(Error::Internal(message)) => return Err(Error::Internal(message)),
                outcome => outcomes.push(outcome),
            }
        }
        let mut new_stats = Vec::with_capacity(deltas.len());
        for (table_id, (table, delta)) in &deltas {
            let current = table.stats();
            let stats = TableStats {
                item_count: current.item_count + delta.item_count,
                size_bytes: current.size_bytes + delta.size_bytes,
            };
            catalog::write_stats(&mut *tx, table_id, &stats)?;
            new_stats.push((table.clone(), stats));
        }
        tx.commit()?;
        // Committed: now readers may see the changes.
        for (table, stats) in new_stats {
            *table.stats.lock().unwrap_or_else(|p| p.into_inner()) = stats;
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
                let table = Arc::new(Table {
                    definition: definition.clone(),
                    stats: Mutex::new(TableStats::default()),
                });
                published.push(Publish::Insert(table.clone()));
                Ok(Outcome::Table(table))
            }
            Command::UpdateTable(definition) => {
                let current = self.live_table(&definition.name, &definition.id)?;
                catalog::write_definition(tx, definition)?;
                let table = Arc::new(Table {
                    definition: definition.clone(),
                    stats: Mutex::new(current.stats()),
                });
                published.push(Publish::Insert(table.clone()));
                Ok(Outcome::Table(table))
            }
            Command::DeleteTable { name } => {
                let table = self
                    .catalog
                    .get(name)
                    .ok_or_else(|| keys::table_not_found_named(name))?;
                catalog::delete_table_records(tx, &table.definition)?;
                published.push(Publish::Remove(name.clone()));
                Ok(Outcome::Table(table))
            }
            Command::WriteItem(write) => self.apply_item_write(tx, write, deltas),
        }
    }

    fn apply_item_write(
        &self,
        tx: &mut dyn WriteTransaction,
        write: &ItemWrite,
        deltas: &mut StatsDeltas,
    ) -> Result<Outcome> {
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
            ItemAction::Update(update) => {
                let updated = update.apply(old.as_ref().unwrap_or(&write.key))?;
                if item_size(&updated) > MAX_ITEM_SIZE {
                    return Err(Error::validation(
                        "Item size to update has exceeded the maximum allowed size",
                    ));
                }
                Some(updated)
            }
        };
        // Every check has passed: only now write.
        match &new {
            Some(item) => tx.put(&definition.keyspace, &storage_key, &encode_item(item))?,
            None if old.is_some() => tx.delete(&definition.keyspace, &storage_key)?,
            None => {}
        }
        let size = |item: &Option<Item>| item.as_ref().map_or(0, |i| item_size(i) as i64);
        let delta = &mut deltas
            .entry(definition.id.clone())
            .or_insert_with(|| (table.clone(), TableStats::default()))
            .1;
        delta.item_count += i64::from(new.is_some()) - i64::from(old.is_some());
        delta.size_bytes += size(&new) - size(&old);
        Ok(Outcome::Item { old, new })
    }
}

/// A catalog change to publish once its batch has committed.
enum Publish {
    Insert(Arc<Table>),
    Remove(String),
}
