//! Identities, access keys, policies and STS sessions: kept in a system
//! keyspace of the same storage as the tables, changed only through the
//! engine's one ordered write path, and read from an in-memory view that
//! every committed change updates before its caller is answered, so
//! authenticating and authorising a request costs no storage read.

mod change;
mod error;
pub mod ids;
pub mod records;
mod sessions;
mod view;

use std::sync::atomic::AtomicI64;
use std::sync::{Arc, RwLock};

use halyard_storage::{KeyRange, Storage, StorageError, SystemWriter, Visit};

pub use change::RecordWrite;
pub use error::IamError;
pub use records::Record;
pub use view::{Grants, Records};

use crate::credentials::{Credential, CredentialStore, Secret};

/// The system keyspace holding every directory record.
pub const KEYSPACE: &str = "sys_iam";

/// The account's root credentials: given by the operator (environment) or
/// generated at first start; held in memory, never in the keyspace.
#[derive(Clone)]
pub struct RootCredentials {
    pub access_key_id: String,
    pub secret_access_key: Secret,
}

impl std::fmt::Debug for RootCredentials {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("RootCredentials")
            .field("access_key_id", &self.access_key_id)
            .finish_non_exhaustive()
    }
}

pub struct Directory {
    records: RwLock<Records>,
    writer: Arc<dyn SystemWriter>,
    account_id: String,
    root: RootCredentials,
    /// The shortest session STS issues (see [`Directory::set_min_session_duration`]).
    min_session_duration: AtomicI64,
}

impl Directory {
    /// Loads every record. `writer` is the engine's: the directory's
    /// changes go through it.
    pub async fn open(
        storage: &dyn Storage,
        writer: Arc<dyn SystemWriter>,
        account_id: &str,
        root: RootCredentials,
    ) -> Result<Arc<Directory>, StorageError> {
        // First start: an empty change creates the keyspace.
        let created = change::ChangeCommand::new(Arc::new(|_: &Records| Ok(Vec::new())), std::sync::Weak::new());
        writer.submit(Arc::new(created)).await?;
        let mut records = Records::default();
        let snapshot = storage.snapshot()?;
        let mut corrupt = None;
        snapshot.scan(
            KEYSPACE,
            KeyRange::ALL,
            halyard_storage::Direction::Forward,
            &mut |key, value| match (std::str::from_utf8(key), serde_json::from_slice::<Record>(value)) {
                (Ok(key), Ok(record)) => {
                    records.insert(key.to_string(), record);
                    Visit::Continue
                }
                (key, record) => {
                    corrupt = Some(format!(
                        "corrupt identity record {:?}: {}",
                        key.unwrap_or("<not UTF-8>"),
                        record.err().map_or_else(|| "key".to_string(), |e| e.to_string())
                    ));
                    Visit::Stop
                }
            },
        )?;
        if let Some(reason) = corrupt {
            return Err(StorageError::Corrupt(reason));
        }
        drop(snapshot);
        Ok(Arc::new(Directory {
            records: RwLock::new(records),
            writer,
            account_id: account_id.to_string(),
            root,
            min_session_duration: AtomicI64::new(sessions::MIN_SESSION_DURATION),
        }))
    }

    pub fn account_id(&self) -> &str {
        &self.account_id
    }

    /// `arn:aws:iam::ACCOUNT:root`.
    pub fn root_arn(&self) -> String {
        format!("arn:aws:iam::{}:root", self.account_id)
    }

    /// Reads the current view.
    pub fn read<T>(&self, read: impl FnOnce(&Records) -> T) -> T {
        read(&self.records.read().unwrap_or_else(|p| p.into_inner()))
    }

    /// Applies a change through the writer. `decide` runs on the writer,
    /// against the view as every earlier change left it: it checks the
    /// change's preconditions and returns the records to write, or the
    /// error to answer. Returns what was written once it has committed.
    pub async fn change<F>(self: &Arc<Self>, decide: F) -> Result<Vec<RecordWrite>, IamError>
    where
        F: Fn(&Records) -> Result<Vec<RecordWrite>, IamError> + Send + Sync + 'static,
    {
        let command = Arc::new(change::ChangeCommand::new(Arc::new(decide), Arc::downgrade(self)));
        self.writer
            .submit(command.clone())
            .await
            .map_err(|error| IamError::ServiceFailure(format!("the change was not stored: {error}")))?;
        command.verdict()
    }

    /// The policies and identity behind an access key, for authorisation.
    pub fn grants(&self, access_key_id: &str) -> Option<Grants> {
        if access_key_id == self.root.access_key_id {
            return Some(Grants::root(&self.account_id));
        }
        self.read(|records| records.grants(access_key_id, &self.account_id))
    }

    fn publish(&self, writes: &[RecordWrite]) {
        let mut records = self.records.write().unwrap_or_else(|p| p.into_inner());
        for write in writes {
            match write {
                RecordWrite::Put(key, record) => records.insert(key.clone(), (**record).clone()),
                RecordWrite::Delete(key) => records.remove(key),
            }
        }
    }
}

impl CredentialStore for Directory {
    fn secret_for(&self, access_key_id: &str) -> Option<Credential> {
        if access_key_id == self.root.access_key_id {
            return Some(Credential {
                secret_access_key: self.root.secret_access_key.clone(),
                session_token: None,
                expires_at: None,
                principal: view::root_principal(&self.account_id),
            });
        }
        self.read(|records| records.credential(access_key_id, &self.account_id))
    }
}

/// Unix seconds now.
pub fn now() -> i64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0, |d| d.as_secs() as i64)
}
