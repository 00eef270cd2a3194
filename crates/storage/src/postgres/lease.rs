//! Nodes, and the leases that give each background task to one node.
//!
//! Every node serves the database at once (active-active): each write
//! batch is one SERIALIZABLE transaction, so the database orders the
//! nodes' batches. Background work (GSI backfill, TTL expiry, stream
//! trimming, point-in-time snapshots, the audit mover) is another matter:
//! two nodes running the same sweep would do the work twice. Each task is
//! a row of `halyard_lease (name, holder, expires_at)`: a node runs a task
//! only while it holds its row, which it renews every probe (every
//! second); when the holder dies, its rows expire and the next node to
//! ask takes them.
//!
//! A row with an expiry, compared with the database's clock (`now()`),
//! never the nodes': plain SQL that CockroachDB and YugabyteDB accept too
//! (no advisory locks, no LISTEN/NOTIFY). A lease only avoids duplicated
//! work: what a task writes goes through the node's writer in SERIALIZABLE
//! transactions, so a paused holder overlapping its successor is still
//! correct.

use std::collections::BTreeSet;
use std::fs::File;
use std::io::Read;
use std::sync::Mutex;
use std::time::Duration;

use super::pool::PgConnection;
use crate::{private_files, Result, StorageError};

/// A node's identity, kept in its own directory.
const NODE_ID_FILE: &str = "node-id";

/// Who a node is, and how long its task leases last.
#[derive(Debug, Clone)]
pub struct NodeOptions {
    /// The node's own directory (root credentials, TLS): it keeps the
    /// node's identity, and is locked so that one process is the node.
    pub dir: std::path::PathBuf,
    /// How long a task lease outlives its last renewal: how soon another
    /// node takes a dead node's background work over.
    pub lease: Duration,
}

/// A node's identity, with its directory locked while it lives.
pub(super) struct Node {
    /// 32 hex digits.
    pub(super) id: String,
    pub(super) lease: Duration,
    /// The task leases this node holds, as of its last claim or renewal.
    held: Mutex<BTreeSet<String>>,
    _lock: File,
}

impl Node {
    /// Locks the node's directory and reads its identity, generated at the
    /// first start. The same node restarted keeps its leases.
    pub(super) fn open(options: &NodeOptions) -> Result<Node> {
        let lock = crate::sqlite::lock_dir(&options.dir, true)?;
        let path = options.dir.join(NODE_ID_FILE);
        let id = match File::open(&path) {
            Ok(mut file) => {
                let mut text = String::new();
                file.read_to_string(&mut text)?;
                let id = text.trim().to_string();
                if id.len() != 32 || !id.bytes().all(|b| b.is_ascii_hexdigit()) {
                    return Err(StorageError::Damaged {
                        path: path.display().to_string(),
                        reason: "it does not hold a node identity (32 hex digits)".into(),
                    });
                }
                id
            }
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => {
                let id = uuid::Uuid::new_v4().simple().to_string();
                private_files::write_atomically(&path, format!("{id}\n").as_bytes())?;
                id
            }
            Err(e) => return Err(e.into()),
        };
        Ok(Node {
            id,
            lease: options.lease,
            held: Mutex::new(BTreeSet::new()),
            _lock: lock,
        })
    }

    fn lease_seconds(&self) -> f64 {
        self.lease.as_secs_f64()
    }

    /// Whether the node holds the lease `task` as of its last renewal.
    pub(super) fn holds(&self, task: &str) -> bool {
        self.held.lock().unwrap_or_else(|p| p.into_inner()).contains(task)
    }

    /// The task leases the node holds, as of its last renewal.
    pub(super) fn held_tasks(&self) -> Vec<String> {
        self.held
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .iter()
            .cloned()
            .collect()
    }

    /// Takes (or renews) the lease `task` unless another node holds it
    /// unexpired; says whether this node holds it now.
    pub(super) fn claim(
        &self,
        connection: &mut PgConnection,
        task: &str,
    ) -> std::result::Result<bool, tokio_postgres::Error> {
        // One statement is its own transaction; the row's lock orders two
        // nodes' claims.
        let taken = connection.query_opt(
            "INSERT INTO halyard_lease (name, holder, expires_at)
             VALUES ($1, $2, now() + $3::float8 * interval '1 second')
             ON CONFLICT (name) DO UPDATE SET holder = excluded.holder, expires_at = excluded.expires_at
             WHERE halyard_lease.holder = excluded.holder OR halyard_lease.expires_at < now()
             RETURNING holder",
            &[&task, &self.id, &self.lease_seconds()],
        )?;
        let mut held = self.held.lock().unwrap_or_else(|p| p.into_inner());
        if taken.is_some() {
            if held.insert(task.to_string()) {
                tracing::info!("this node ({}) took the lease of background task {task}", self.id);
            }
        } else {
            held.remove(task);
        }
        Ok(taken.is_some())
    }

    /// Extends every lease the node holds (the probe, every second); a
    /// lease it lost (it was paused longer than the lease, and another
    /// node took it) is no longer counted as held.
    pub(super) fn renew(&self, connection: &mut PgConnection) -> std::result::Result<(), tokio_postgres::Error> {
        if self.held.lock().unwrap_or_else(|p| p.into_inner()).is_empty() {
            return Ok(());
        }
        let rows = connection.query(
            "UPDATE halyard_lease SET expires_at = now() + $2::float8 * interval '1 second'
             WHERE holder = $1 RETURNING name",
            &[&self.id, &self.lease_seconds()],
        )?;
        let renewed: BTreeSet<String> = rows.iter().map(|row| row.get(0)).collect();
        *self.held.lock().unwrap_or_else(|p| p.into_inner()) = renewed;
        Ok(())
    }

    /// Forgets every lease without waiting for a renewal (the database is
    /// out of reach: another node may take them once they expire).
    pub(super) fn forget(&self) {
        self.held.lock().unwrap_or_else(|p| p.into_inner()).clear();
    }

    /// Lets the leases go (a clean stop): another node takes the tasks at
    /// its next look.
    pub(super) fn release(&self, connection: &mut PgConnection) {
        let _ = connection.execute("DELETE FROM halyard_lease WHERE holder = $1", &[&self.id]);
    }
}
