//! A directory change as a system command of the engine's writer.

use std::sync::{Arc, Mutex, Weak};

use halyard_storage::{SystemCommand, WriteTransaction};

use super::{Directory, IamError, Record, Records, KEYSPACE};

/// One record written (or removed) by a change.
#[derive(Debug, Clone)]
pub enum RecordWrite {
    Put(String, Box<Record>),
    Delete(String),
}

pub(super) type Decide = Arc<dyn Fn(&Records) -> Result<Vec<RecordWrite>, IamError> + Send + Sync>;

pub(super) struct ChangeCommand {
    decide: Decide,
    /// Weak: the command must not keep a closed directory alive.
    directory: Weak<Directory>,
    verdict: Mutex<Option<Result<Vec<RecordWrite>, IamError>>>,
}

impl std::fmt::Debug for ChangeCommand {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("DirectoryChange")
    }
}

impl ChangeCommand {
    pub fn new(decide: Decide, directory: Weak<Directory>) -> ChangeCommand {
        ChangeCommand {
            decide,
            directory,
            verdict: Mutex::new(None),
        }
    }

    pub fn verdict(&self) -> Result<Vec<RecordWrite>, IamError> {
        self.verdict
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .take()
            .unwrap_or_else(|| Err(IamError::ServiceFailure("the change was not applied".into())))
    }
}

impl SystemCommand for ChangeCommand {
    fn apply(&self, tx: &mut dyn WriteTransaction) -> halyard_storage::Result<()> {
        tx.create_keyspace(KEYSPACE)?;
        let verdict = match self.directory.upgrade() {
            Some(directory) => directory.read(|records| (self.decide)(records)),
            // Opening: the directory does not exist yet, nor any record.
            None => (self.decide)(&Records::default()),
        };
        if let Ok(writes) = &verdict {
            for write in writes {
                match write {
                    RecordWrite::Put(key, record) => {
                        let value = serde_json::to_vec(&**record).expect("records serialise");
                        tx.put(KEYSPACE, key.as_bytes(), &value)?;
                    }
                    RecordWrite::Delete(key) => tx.delete(KEYSPACE, key.as_bytes())?,
                }
            }
        }
        *self.verdict.lock().unwrap_or_else(|p| p.into_inner()) = Some(verdict);
        Ok(())
    }

    /// A change that went through has its request's record committed with
    /// it; a refused one is recorded with its error when the call ends.
    fn carries_audit(&self) -> bool {
        matches!(*self.verdict.lock().unwrap_or_else(|p| p.into_inner()), Some(Ok(_)))
    }

    fn committed(&self) {
        let verdict = self.verdict.lock().unwrap_or_else(|p| p.into_inner());
        if let (Some(Ok(writes)), Some(directory)) = (verdict.as_ref(), self.directory.upgrade()) {
            directory.publish(writes);
        }
    }
}
