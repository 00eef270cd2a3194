//! The shared storage adapter: PostgreSQL, and the engines that speak its
//! protocol and SQL (CockroachDB, YugabyteDB).
//!
//! Only SQL all three support: no advisory locks, no LISTEN/NOTIFY, no
//! extensions, no DDL after the schema is created. A read view is a
//! REPEATABLE READ, READ ONLY transaction (a snapshot as of its first
//! read); the writer's batch is one SERIALIZABLE transaction. A lost
//! connection is replaced from the pool on the next request; until a
//! writable server answers, requests fail with
//! [`StorageError::Unavailable`] and the health report says so.

mod lease;
mod pool;
mod schema;
#[cfg(test)]
mod tests;
mod tls;
mod transaction;

use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::mpsc::{channel, RecvTimeoutError, Sender};
use std::sync::{Arc, Mutex};
use std::thread::JoinHandle;
use std::time::Duration;

pub use lease::NodeOptions;
use lease::{Claim, Node};
use pool::{database_error, pool_error, Connector, PgConnection};
pub use schema::FORMAT_VERSION;
use transaction::{PgReadView, PgWriteTransaction, Session};

use crate::health::StorageHealth;
use crate::{ReadView, Result, Storage, StorageError, WriteTransaction};

/// The serving lease, as the health report names it: this node holds it,
/// or another node took it over.
const LEASE_SERVING: &str = "serving";
const LEASE_LOST: &str = "lost";

/// Options for [`PostgresStorage::open`].
#[derive(Debug, Clone)]
pub struct PostgresOptions {
    /// Connections kept open at most (reads run concurrently, one
    /// connection each; the writer takes one).
    pub pool_size: u32,
    /// How long a request waits for a connection (a new one included)
    /// before failing as unavailable.
    pub connect_timeout: Duration,
    /// How long one statement may wait for the server's answer before it
    /// fails as unavailable (its connection then closed): the bound on a
    /// request against a server that stopped answering.
    pub call_timeout: Duration,
    /// How often the health probe asks whether a writable server answers.
    pub probe_interval: Duration,
    /// Whether an empty database gets Halyard's schema; if not, opening it
    /// fails with [`StorageError::NoDatabase`].
    pub create_if_new: bool,
    /// The node this process is: it serves only while it holds the
    /// database's serving lease (`lease.rs`), waiting for it at open.
    /// `None` (the adapter's tests): no lease is taken or checked.
    pub node: Option<NodeOptions>,
}

impl Default for PostgresOptions {
    fn default() -> Self {
        PostgresOptions {
            pool_size: 16,
            connect_timeout: Duration::from_secs(5),
            // Below the SDKs' read timeouts (60 s); above any statement's
            // time (a scan page is at most 256 rows).
            call_timeout: Duration::from_secs(30),
            probe_interval: Duration::from_secs(1),
            create_if_new: true,
            node: None,
        }
    }
}

pub struct PostgresStorage {
    pool: r2d2::Pool<Connector>,
    /// Held by the write transaction: one at a time, as the trait promises.
    writer_turn: Mutex<()>,
    health: Arc<StorageHealth>,
    /// The serving lease this node holds, and whether it has lost it.
    node: Option<Arc<Node>>,
    lease_lost: Arc<AtomicBool>,
    /// Stopped first on drop (it renews the lease).
    probe: Probe,
    runtime: Option<tokio::runtime::Runtime>,
}

impl PostgresStorage {
    /// Connects to the database named by `url` (a `postgres://` URL,
    /// multi-host allowed; TLS with `sslmode=require`, see `tls.rs`) and
    /// checks, creating it if the database is empty, Halyard's schema.
    pub fn open(url: &str, options: PostgresOptions) -> Result<PostgresStorage> {
        let (url, root_cert) = tls::take_root_cert(url);
        let mut config: tokio_postgres::Config = url
            .parse()
            .map_err(|e| StorageError::Engine(format!("invalid PostgreSQL connection string: {e}")))?;
        let tls = match config.get_ssl_mode() {
            tokio_postgres::config::SslMode::Require => Some(tls::RustlsConnect {
                config: tls::client_config(root_cert.as_deref().map(std::path::Path::new))?,
            }),
            _ => None,
        };
        if config.get_connect_timeout().is_none() {
            config.connect_timeout(options.connect_timeout);
        }
        if config.get_application_name().is_none() {
            config.application_name("halyard");
        }
        let database = describe(&config);
        let runtime = tokio::runtime::Builder::new_multi_thread()
            .worker_threads(1)
            .thread_name("halyard-postgres")
            .enable_all()
            .build()?;
        let health = Arc::new(StorageHealth::default());
        let connector = Connector::new(
            config.clone(),
            tls.clone(),
            runtime.handle().clone(),
            options.call_timeout,
        );
        let mut first = connector
            .connect()
            .map_err(|e| StorageError::Unavailable(format!("{database}: {e}")))?;
        let error = |e| database_error(&health, e);
        schema::prepare(&mut first, &database, options.create_if_new, &error)?;
        let node = match &options.node {
            Some(node_options) => {
                let node = Node::open(node_options)?;
                lease::acquire(&node, &mut first, &connector, &error)?;
                health.set_lease(LEASE_SERVING);
                Some(Arc::new(node))
            }
            None => None,
        };
        drop(first);
        let lease_lost = Arc::new(AtomicBool::new(false));
        let pool = r2d2::Pool::builder()
            .max_size(options.pool_size)
            .min_idle(Some(1))
            .connection_timeout(options.connect_timeout)
            // The check costs no round trip (`Connector::is_valid`): a
            // connection its server closed is replaced at checkout; one
            // that dies in use fails its statement (a retryable error).
            .test_on_check_out(true)
            .build_unchecked(connector);
        let probe = Probe::start(
            Connector::new(config, tls, runtime.handle().clone(), options.call_timeout),
            health.clone(),
            node.clone().map(|node| (node, lease_lost.clone())),
            options.probe_interval,
        )?;
        Ok(PostgresStorage {
            pool,
            writer_turn: Mutex::new(()),
            health,
            node,
            lease_lost,
            probe,
            runtime: Some(runtime),
        })
    }

    /// Refuses writes for good: another node serves the database now.
    fn lost_lease(&self) -> StorageError {
        self.lease_lost.store(true, Ordering::Release);
        self.health.set_lease(LEASE_LOST);
        let reason = "this node no longer holds the database's serving lease (another node took over): restart it \
                      to wait as a standby";
        self.health.unreachable(reason);
        StorageError::Unavailable(reason.to_string())
    }

    fn session(&self) -> Result<Session<'_>> {
        let connection = self.pool.get().map_err(|e| pool_error(&self.health, e))?;
        Ok(Session::new(connection, &self.health))
    }
}

impl Drop for PostgresStorage {
    fn drop(&mut self) {
        // A clean stop hands the lease on at once (a crash lets it expire),
        // after the probe, which would renew it, has stopped.
        self.probe.stop();
        if let (Some(node), false) = (&self.node, self.lease_lost.load(Ordering::Acquire)) {
            if let Ok(mut connection) = self.pool.get() {
                node.release(&mut connection);
            }
        }
        // Dropping a runtime blocks, which is refused inside async code
        // (a test's): the connections' tasks are just abandoned.
        if let Some(runtime) = self.runtime.take() {
            runtime.shutdown_background();
        }
    }
}

/// "PostgreSQL database NAME on HOSTS", for messages (no credentials).
fn describe(config: &tokio_postgres::Config) -> String {
    let hosts: Vec<String> = config
        .get_hosts()
        .iter()
        .map(|host| match host {
            tokio_postgres::config::Host::Tcp(name) => name.clone(),
            tokio_postgres::config::Host::Unix(path) => path.display().to_string(),
        })
        .collect();
    format!(
        "PostgreSQL database {} on {}",
        config.get_dbname().or(config.get_user()).unwrap_or("(default)"),
        hosts.join(",")
    )
}

impl Storage for PostgresStorage {
    fn snapshot(&self) -> Result<Box<dyn ReadView + '_>> {
        let session = self.session()?;
        session.batch("BEGIN ISOLATION LEVEL REPEATABLE READ, READ ONLY")?;
        Ok(Box::new(PgReadView { session }))
    }

    fn get(&self, keyspace: &str, key: &[u8]) -> Result<Option<Vec<u8>>> {
        // One statement is its own transaction.
        transaction::get(&self.session()?, keyspace, key)
    }

    fn begin_write(&self) -> Result<Box<dyn WriteTransaction + '_>> {
        let turn = self.writer_turn.lock().unwrap_or_else(|p| p.into_inner());
        let session = self.session()?;
        match &self.node {
            None => session.batch("BEGIN ISOLATION LEVEL SERIALIZABLE")?,
            Some(node) => {
                if session.batch_rows(&node.fenced_begin())? == 0 {
                    session.abandon();
                    return Err(self.lost_lease());
                }
            }
        }
        Ok(Box::new(PgWriteTransaction {
            session,
            _turn: turn,
            committed: false,
        }))
    }

    fn health(&self) -> &StorageHealth {
        &self.health
    }

    fn copy_into(&self, _file: &std::path::Path) -> Result<()> {
        Err(StorageError::Unsupported(
            "`halyard backup` copies a SQLite store; back up PostgreSQL with its own tools \
             (pg_basebackup with WAL archiving, or pg_dump of the halyard_kv table)",
        ))
    }
}

/// Asks the server, on a connection of its own, whether it takes writes
/// (`transaction_read_only` is on for a standby), so that the health
/// report is true while no request arrives.
struct Probe {
    stop: Option<Sender<()>>,
    thread: Option<JoinHandle<()>>,
}

impl Probe {
    fn start(
        connector: Connector,
        health: Arc<StorageHealth>,
        lease: Option<(Arc<Node>, Arc<AtomicBool>)>,
        interval: Duration,
    ) -> std::io::Result<Probe> {
        let (stop, stopped) = channel::<()>();
        let thread = std::thread::Builder::new()
            .name("halyard-postgres-probe".into())
            .spawn(move || {
                let mut connection: Option<PgConnection> = None;
                while let Err(RecvTimeoutError::Timeout) = stopped.recv_timeout(interval) {
                    probe(&connector, &mut connection, &health, lease.as_ref());
                }
            })?;
        Ok(Probe {
            stop: Some(stop),
            thread: Some(thread),
        })
    }
}

/// One look at the database; renews the lease too when the node holds one.
fn probe(
    connector: &Connector,
    connection: &mut Option<PgConnection>,
    health: &StorageHealth,
    lease: Option<&(Arc<Node>, Arc<AtomicBool>)>,
) {
    if connection.is_none() {
        match connector.connect() {
            Ok(new) => *connection = Some(new),
            Err(error) => return health.unreachable(&format!("cannot connect: {error}")),
        }
    }
    let session = connection.as_mut().expect("connected above");
    match session.query("SHOW transaction_read_only", &[]) {
        Ok(rows) if rows.first().map(|row| row.get::<_, &str>(0)) == Some("off") => match lease {
            None => health.reachable(),
            Some((_, lost)) if lost.load(Ordering::Acquire) => {}
            Some((node, lost)) => match node.claim(session) {
                Ok(Claim::Held) => health.reachable(),
                Ok(Claim::HeldBy { node: holder, .. }) => {
                    lost.store(true, Ordering::Release);
                    health.set_lease(LEASE_LOST);
                    tracing::error!(
                        "node {holder} took over the serving lease (this node could not renew it in time): \
                         writes are refused; restart this node to wait as a standby"
                    );
                    health.unreachable("another node took over the database's serving lease");
                }
                Err(error) => {
                    *connection = None;
                    health.unreachable(&format!("cannot renew the serving lease: {error}"));
                }
            },
        },
        Ok(_) => health.unreachable("the database server is a read-only standby"),
        Err(error) => {
            *connection = None;
            health.unreachable(&format!("the database server does not answer: {error}"));
        }
    }
}

impl Probe {
    fn stop(&mut self) {
        self.stop.take();
        if let Some(thread) = self.thread.take() {
            let _ = thread.join();
        }
    }
}

impl Drop for Probe {
    fn drop(&mut self) {
        self.stop();
    }
}
