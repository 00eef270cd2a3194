//! The shared storage adapter: PostgreSQL, and the engines that speak its
//! protocol and SQL (CockroachDB, YugabyteDB).
//!
//! Only SQL all three support: no advisory locks, no LISTEN/NOTIFY, no
//! extensions, no DDL after the schema is created. A read view is a
//! REPEATABLE READ, READ ONLY transaction (a snapshot as of its first
//! read); the writer's batch is one SERIALIZABLE transaction, so any
//! number of nodes write the database at once: a batch that met another
//! node's concurrent change fails with [`StorageError::Conflict`], and
//! the engine applies it again on the new state. A lost
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

use std::sync::mpsc::{channel, RecvTimeoutError, Sender};
use std::sync::{Arc, Mutex};
use std::thread::JoinHandle;
use std::time::Duration;

use lease::Node;
pub use lease::NodeOptions;
use pool::{database_error, pool_error, Connector, PgConnection};
pub use schema::FORMAT_VERSION;
use transaction::{PgReadView, PgWriteTransaction, Session};

use crate::health::StorageHealth;
use crate::{ReadView, Result, Storage, StorageError, WriteTransaction};

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
    /// The node this process is (its identity names the background task
    /// leases it holds, `lease.rs`). `None` (the adapter's tests): a
    /// single node, which holds every lease.
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
    /// This node, and the task leases it holds.
    node: Option<Arc<Node>>,
    /// Stopped first on drop (it renews the leases).
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
        let node = options.node.as_ref().map(Node::open).transpose()?.map(Arc::new);
        drop(first);
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
            node.clone(),
            options.probe_interval,
        )?;
        Ok(PostgresStorage {
            pool,
            writer_turn: Mutex::new(()),
            health,
            node,
            probe,
            runtime: Some(runtime),
        })
    }

    fn session(&self) -> Result<Session<'_>> {
        let connection = self.pool.get().map_err(|e| pool_error(&self.health, e))?;
        Ok(Session::new(connection, &self.health))
    }
}

impl Drop for PostgresStorage {
    fn drop(&mut self) {
        // A clean stop hands the leases on at once (a crash lets them
        // expire), after the probe, which would renew them, has stopped.
        self.probe.stop();
        if let Some(node) = &self.node {
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
        session.batch("BEGIN ISOLATION LEVEL SERIALIZABLE")?;
        Ok(Box::new(PgWriteTransaction {
            session,
            _turn: turn,
            committed: false,
        }))
    }

    fn health(&self) -> &StorageHealth {
        &self.health
    }

    fn node_id(&self) -> Option<&str> {
        self.node.as_ref().map(|node| node.id.as_str())
    }

    fn hold_lease(&self, task: &str) -> Result<bool> {
        let Some(node) = &self.node else { return Ok(true) };
        if node.holds(task) {
            return Ok(true);
        }
        let session = self.session()?;
        session.run(|c| node.claim(c, task))
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
        node: Option<Arc<Node>>,
        interval: Duration,
    ) -> std::io::Result<Probe> {
        let (stop, stopped) = channel::<()>();
        let thread = std::thread::Builder::new()
            .name("halyard-postgres-probe".into())
            .spawn(move || {
                let mut connection: Option<PgConnection> = None;
                while let Err(RecvTimeoutError::Timeout) = stopped.recv_timeout(interval) {
                    probe(&connector, &mut connection, &health, node.as_deref());
                }
            })?;
        Ok(Probe {
            stop: Some(stop),
            thread: Some(thread),
        })
    }
}

/// One look at the database; renews the node's task leases too.
fn probe(connector: &Connector, connection: &mut Option<PgConnection>, health: &StorageHealth, node: Option<&Node>) {
    if connection.is_none() {
        match connector.connect() {
            Ok(new) => *connection = Some(new),
            Err(error) => {
                node.inspect(|node| node.forget());
                return health.unreachable(&format!("cannot connect: {error}"));
            }
        }
    }
    let session = connection.as_mut().expect("connected above");
    match session.query("SHOW transaction_read_only", &[]) {
        Ok(rows) if rows.first().map(|row| row.get::<_, &str>(0)) == Some("off") => {
            match node.map(|node| node.renew(session)).transpose() {
                Ok(_) => health.reachable(),
                Err(error) => {
                    *connection = None;
                    node.inspect(|node| node.forget());
                    health.unreachable(&format!("cannot renew the task leases: {error}"));
                }
            }
        }
        Ok(_) => {
            node.inspect(|node| node.forget());
            health.unreachable("the database server is a read-only standby")
        }
        Err(error) => {
            *connection = None;
            node.inspect(|node| node.forget());
            health.unreachable(&format!("the database server does not answer: {error}"));
        }
    }
    if let Some(node) = node {
        health.set_leases(node.held_tasks());
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
