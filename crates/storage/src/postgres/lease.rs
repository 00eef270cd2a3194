//! The serving lease: one Halyard node at a time serves a database.
//!
//! The engine keeps the catalog and the table counters in memory and has
//! one writer, so two nodes writing the same database at once would each
//! overwrite the other's counters and miss the other's catalog changes.
//! Until the engine re-reads what it caches, a second node is a hot
//! standby: it waits for the lease row, and serves once the holder has let
//! it expire (the holder died, or lost the database for longer than the
//! lease). The holder renews it every probe; each write batch checks, in
//! its own SERIALIZABLE transaction, that the lease is still its own, so a
//! node that lost the lease (paused, partitioned) can no longer commit.
//!
//! A row with an expiry, compared with the database's clock (`now()`),
//! never the nodes': plain SQL that CockroachDB and YugabyteDB accept too
//! (no advisory locks, no LISTEN/NOTIFY).

use std::fs::File;
use std::io::Read;
use std::time::Duration;

use super::pool::{Connector, PgConnection};
use crate::{private_files, Result, StorageError};

/// The lease row's name in `halyard_lease`.
const SERVING: &str = "serving";
/// A node's identity, kept in its own directory.
const NODE_ID_FILE: &str = "node-id";

/// Who a node is, and how long its lease lasts.
#[derive(Debug, Clone)]
pub struct NodeOptions {
    /// The node's own directory (root credentials, TLS): it keeps the
    /// node's identity, and is locked so that one process is the node.
    pub dir: std::path::PathBuf,
    /// How long the lease outlives its last renewal: how soon a standby
    /// takes over from a dead node.
    pub lease: Duration,
}

/// A node's identity, with its directory locked while it lives.
pub(super) struct Node {
    /// 32 hex digits (so it can be written into SQL literally).
    pub(super) id: String,
    pub(super) lease: Duration,
    _lock: File,
}

impl Node {
    /// Locks the node's directory and reads its identity, generated at the
    /// first start. The same node restarted takes its lease back at once.
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
            _lock: lock,
        })
    }

    fn lease_seconds(&self) -> f64 {
        self.lease.as_secs_f64()
    }

    /// Takes or renews the lease, unless another node holds it unexpired:
    /// then returns that node's identity and how long its lease has left.
    pub(super) fn claim(&self, connection: &mut PgConnection) -> std::result::Result<Claim, tokio_postgres::Error> {
        // SERIALIZABLE, like the write batches that read the row: a batch
        // of the old holder's that overlaps the takeover cannot commit.
        connection.batch("BEGIN ISOLATION LEVEL SERIALIZABLE")?;
        let claimed = (|| {
            let taken = connection.query_opt(
                "INSERT INTO halyard_lease (name, holder, expires_at)
                 VALUES ($1, $2, now() + $3::float8 * interval '1 second')
                 ON CONFLICT (name) DO UPDATE SET holder = excluded.holder, expires_at = excluded.expires_at
                 WHERE halyard_lease.holder = excluded.holder OR halyard_lease.expires_at < now()
                 RETURNING holder",
                &[&SERVING, &self.id, &self.lease_seconds()],
            )?;
            if taken.is_some() {
                return Ok(Claim::Held);
            }
            let row = connection.query_opt(
                "SELECT holder, extract(epoch FROM expires_at - now())::float8 FROM halyard_lease WHERE name = $1",
                &[&SERVING],
            )?;
            Ok(match row {
                Some(row) => Claim::HeldBy {
                    node: row.get(0),
                    seconds_left: row.get(1),
                },
                // Deleted in between: the next claim takes it.
                None => Claim::HeldBy {
                    node: String::new(),
                    seconds_left: 0.0,
                },
            })
        })();
        match claimed {
            Ok(claim) => {
                connection.batch("COMMIT")?;
                Ok(claim)
            }
            Err(error) => {
                if connection.batch("ROLLBACK").is_err() {
                    connection.broken = true;
                }
                Err(error)
            }
        }
    }

    /// The statement a write batch starts with: its transaction, and the
    /// check (in the same round trip) that the lease is still this node's.
    pub(super) fn fenced_begin(&self) -> String {
        format!(
            "BEGIN ISOLATION LEVEL SERIALIZABLE;
             SELECT 1 FROM halyard_lease WHERE name = '{SERVING}' AND holder = '{}' AND expires_at > now()",
            self.id
        )
    }

    /// Lets the lease go (a clean stop): a standby takes over at once.
    pub(super) fn release(&self, connection: &mut PgConnection) {
        let _ = connection.execute(
            "DELETE FROM halyard_lease WHERE name = $1 AND holder = $2",
            &[&SERVING, &self.id],
        );
    }
}

/// What [`Node::claim`] found.
pub(super) enum Claim {
    Held,
    HeldBy { node: String, seconds_left: f64 },
}

/// Waits until this node holds the lease, saying once which node it waits
/// for. While no writable server answers (a failover of the database), it
/// reconnects through `connector` and waits on.
pub(super) fn acquire(
    node: &Node,
    connection: &mut PgConnection,
    connector: &Connector,
    error: &dyn Fn(tokio_postgres::Error) -> StorageError,
) -> Result<()> {
    let mut announced = false;
    let mut unreachable = false;
    loop {
        let claimed = node.claim(connection);
        if let Err(race) = &claimed {
            // The holder renewed the row at the same moment: look again.
            if race.code() == Some(&tokio_postgres::error::SqlState::T_R_SERIALIZATION_FAILURE) {
                std::thread::sleep(Duration::from_millis(100));
                continue;
            }
        }
        let claim = match claimed.map_err(error) {
            Ok(claim) => claim,
            Err(StorageError::Unavailable(reason)) => {
                if !unreachable {
                    tracing::warn!(%reason, "no writable database server answers: this standby waits for one");
                    unreachable = true;
                }
                std::thread::sleep(Duration::from_secs(1));
                if let Ok(new) = connector.connect() {
                    *connection = new;
                }
                continue;
            }
            Err(other) => return Err(other),
        };
        unreachable = false;
        match claim {
            Claim::Held => {
                if announced {
                    tracing::info!(
                        "took over the serving lease: this node ({}) now serves the database",
                        node.id
                    );
                }
                return Ok(());
            }
            Claim::HeldBy {
                node: holder,
                seconds_left,
            } => {
                if !announced {
                    tracing::warn!(
                        "node {holder} serves this database (its lease has {seconds_left:.1} s left unless renewed): \
                         this node ({}) waits as a standby and takes over when that lease expires",
                        node.id
                    );
                    announced = true;
                }
                std::thread::sleep(Duration::from_secs_f64(seconds_left.clamp(0.05, 1.0)));
            }
        }
    }
}
