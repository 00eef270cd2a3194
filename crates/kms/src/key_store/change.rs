//! A key-store change as a system command of the engine's writer.

use std::sync::{Arc, Mutex, Weak};

use halyard_storage::{SystemCommand, WriteTransaction};

use super::records::Record;
use super::view::Keys;
use super::{KeyStore, KEYSPACE};
use crate::kms_api::KmsError;

/// One record written (or removed, by storage key) by a change.
#[derive(Debug, Clone)]
pub enum Write {
    Put(Record),
    Delete(String),
}

pub(super) type Decide = Arc<dyn Fn(&Keys) -> Result<Vec<Write>, KmsError> + Send + Sync>;

pub(super) struct ChangeCommand {
    decide: Decide,
    /// Weak: the command must not keep a closed store alive.
    store: Weak<KeyStore>,
    verdict: Mutex<Option<Result<Vec<Write>, KmsError>>>,
}

impl std::fmt::Debug for ChangeCommand {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("KeyStoreChange")
    }
}

impl ChangeCommand {
    pub fn new(decide: Decide, store: Weak<KeyStore>) -> ChangeCommand {
        ChangeCommand {
            decide,
            store,
            verdict: Mutex::new(None),
        }
    }

    pub fn verdict(&self) -> Result<Vec<Write>, KmsError> {
        self.verdict
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .take()
            .unwrap_or_else(|| Err(KmsError::Internal("the change was not applied".into())))
    }
}

impl SystemCommand for ChangeCommand {
    fn apply(&self, tx: &mut dyn WriteTransaction) -> halyard_storage::Result<()> {
        tx.create_keyspace(KEYSPACE)?;
        let verdict = match self.store.upgrade() {
            Some(store) => store.read(|keys| (self.decide)(keys)),
            // Opening: the store does not exist yet.
            None => (self.decide)(&Keys::new("", "")),
        };
        if let Ok(writes) = &verdict {
            for write in writes {
                match write {
                    Write::Put(record) => {
                        let value = serde_json::to_vec(record).expect("records serialise");
                        tx.put(KEYSPACE, record.storage_key().as_bytes(), &value)?;
                    }
                    Write::Delete(key) => tx.delete(KEYSPACE, key.as_bytes())?,
                }
            }
        }
        *self.verdict.lock().unwrap_or_else(|p| p.into_inner()) = Some(verdict);
        Ok(())
    }

    fn committed(&self) {
        let verdict = self.verdict.lock().unwrap_or_else(|p| p.into_inner());
        if let (Some(Ok(writes)), Some(store)) = (verdict.as_ref(), self.store.upgrade()) {
            store.publish(writes);
        }
    }
}
