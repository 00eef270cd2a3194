//! The background expirer: every interval, for each table with TTL
//! enabled, it looks at the start of the expiry index and, while items are
//! due, submits deletes of a batch of them at a time. It waits for each
//! batch to commit before it submits the next, so foreground writes queued
//! meanwhile go first: at most one batch of TTL deletes is ever ahead of
//! them.

use std::sync::mpsc::{self, RecvTimeoutError, TryRecvError};
use std::sync::{Arc, Mutex};
use std::thread::JoinHandle;
use std::time::Duration;

use halyard_storage::Storage;

use super::has_due;
use crate::catalog::Catalog;
use crate::writer::{Command, Outcome, Writer};

/// The expirer's lease: one node at a time runs it.
const LEASE: &str = "ttl-expiry";

/// How the expirer paces itself.
#[derive(Debug, Clone, Copy)]
pub struct ExpirerSettings {
    /// Pause between looks at the tables.
    pub interval: Duration,
    /// Most items deleted by one writer command.
    pub batch_size: usize,
}

pub(crate) struct Expirer {
    /// Dropped to stop the thread.
    stop: Mutex<Option<mpsc::Sender<()>>>,
    thread: Mutex<Option<JoinHandle<()>>>,
}

struct Context {
    storage: Arc<dyn Storage>,
    catalog: Arc<Catalog>,
    writer: Arc<Writer>,
    settings: ExpirerSettings,
    stop: mpsc::Receiver<()>,
}

impl Expirer {
    pub fn start(
        storage: Arc<dyn Storage>,
        catalog: Arc<Catalog>,
        writer: Arc<Writer>,
        settings: ExpirerSettings,
    ) -> Expirer {
        let (sender, stop) = mpsc::channel();
        let context = Context {
            storage,
            catalog,
            writer,
            settings,
            stop,
        };
        let thread = std::thread::Builder::new()
            .name("halyard-ttl".into())
            .spawn(move || context.run())
            .map_err(|error| tracing::error!(%error, "could not start the TTL expirer"))
            .ok();
        Expirer {
            stop: Mutex::new(Some(sender)),
            thread: Mutex::new(thread),
        }
    }

    /// Stops the expirer once its current batch is done.
    pub fn stop(&self) {
        self.stop.lock().unwrap_or_else(|p| p.into_inner()).take();
        if let Some(thread) = self.thread.lock().unwrap_or_else(|p| p.into_inner()).take() {
            let _ = thread.join();
        }
    }
}

impl Context {
    fn run(self) {
        loop {
            match self.stop.recv_timeout(self.settings.interval) {
                Err(RecvTimeoutError::Timeout) => {}
                _ => return,
            }
            if !self.expire_due() {
                return;
            }
        }
    }

    fn stopping(&self) -> bool {
        !matches!(self.stop.try_recv(), Err(TryRecvError::Empty))
    }

    /// One pass over the tables; false when asked to stop.
    fn expire_due(&self) -> bool {
        // One node at a time sweeps (several nodes over one store).
        match self.storage.hold_lease(LEASE) {
            Ok(true) => {}
            Ok(false) => return true,
            Err(error) => {
                tracing::warn!(%error, "TTL expirer could not take its lease");
                return true;
            }
        }
        // Whole seconds: an item expires once its second has passed.
        let now = crate::now_seconds() as u64;
        for table in self.catalog.current_tables() {
            let Some(ttl) = &table.definition.time_to_live else {
                continue;
            };
            loop {
                if self.stopping() {
                    return false;
                }
                let due = self
                    .storage
                    .snapshot()
                    .map_err(Into::into)
                    .and_then(|view| has_due(&*view, ttl, now));
                match due {
                    Ok(true) => {}
                    Ok(false) => break,
                    Err(error) => {
                        tracing::warn!(table = %table.definition.name, %error, "TTL expirer could not read the expiry index");
                        break;
                    }
                }
                let command = Command::Expire {
                    table: table.definition.name.clone(),
                    table_id: table.definition.id.clone(),
                    now,
                    limit: self.settings.batch_size,
                };
                match self.writer.submit_blocking(command) {
                    Ok(Outcome::Items(deleted)) => {
                        tracing::debug!(table = %table.definition.name, deleted = deleted.len(), "TTL deleted expired items");
                        if deleted.len() < self.settings.batch_size {
                            break;
                        }
                    }
                    Ok(_) => break,
                    Err(error) => {
                        // The table went away, or storage refuses writes: try again next pass.
                        tracing::info!(table = %table.definition.name, %error, "TTL deletes stopped for this pass");
                        break;
                    }
                }
            }
        }
        true
    }
}
