//! Connections to the database server: a pool of tokio-postgres clients
//! whose sockets are driven by a small runtime of the adapter's own.
//!
//! The storage trait is synchronous, and is called both from the engine's
//! writer thread and from the server's async tasks (reads run on the
//! calling task). The `postgres` crate's blocking client cannot serve the
//! latter: it runs each call with `Runtime::block_on`, which panics on a
//! thread that drives async tasks. So each connection's I/O runs as a task
//! on the adapter's runtime, and a call waits for its answer with
//! `futures_executor::block_on`, which only waits on a channel (a client
//! request is a message to that task) and may be used on any thread.

use std::collections::HashMap;
use std::future::Future;

use tokio_postgres::error::SqlState;
use tokio_postgres::types::ToSql;
use tokio_postgres::{Client, NoTls, Row, Statement};

use crate::health::StorageHealth;
use crate::StorageError;

/// Waits for `future` on this thread.
pub(super) fn wait<F: Future>(future: F) -> F::Output {
    futures_executor::block_on(future)
}

/// One session with the server, with its prepared statements: each SQL
/// text is parsed once per connection, so a statement is one round trip.
pub(crate) struct PgConnection {
    client: Client,
    statements: HashMap<String, Statement>,
    /// Set when the session's state is unknown (a failed ROLLBACK): the
    /// pool closes it instead of handing it out again.
    pub(super) broken: bool,
}

impl PgConnection {
    fn statement(&mut self, sql: &str) -> Result<Statement, tokio_postgres::Error> {
        if let Some(statement) = self.statements.get(sql) {
            return Ok(statement.clone());
        }
        let statement = wait(self.client.prepare(sql))?;
        self.statements.insert(sql.to_string(), statement.clone());
        Ok(statement)
    }

    pub(super) fn query(
        &mut self,
        sql: &str,
        params: &[&(dyn ToSql + Sync)],
    ) -> Result<Vec<Row>, tokio_postgres::Error> {
        let statement = self.statement(sql)?;
        wait(self.client.query(&statement, params))
    }

    pub(super) fn query_opt(
        &mut self,
        sql: &str,
        params: &[&(dyn ToSql + Sync)],
    ) -> Result<Option<Row>, tokio_postgres::Error> {
        let statement = self.statement(sql)?;
        wait(self.client.query_opt(&statement, params))
    }

    pub(super) fn execute(&mut self, sql: &str, params: &[&(dyn ToSql + Sync)]) -> Result<u64, tokio_postgres::Error> {
        let statement = self.statement(sql)?;
        wait(self.client.execute(&statement, params))
    }

    /// Runs statements without parameters (transaction control, DDL) in
    /// one round trip, unprepared.
    pub(super) fn batch(&mut self, sql: &str) -> Result<(), tokio_postgres::Error> {
        wait(self.client.batch_execute(sql))
    }
}

/// Opens connections for the pool.
pub(super) struct Connector {
    config: tokio_postgres::Config,
    runtime: tokio::runtime::Handle,
}

impl Connector {
    pub(super) fn new(config: tokio_postgres::Config, runtime: tokio::runtime::Handle) -> Connector {
        Connector { config, runtime }
    }

    pub(super) fn connect(&self) -> Result<PgConnection, ConnectError> {
        let config = self.config.clone();
        let task = self.runtime.spawn(async move {
            let (client, connection) = config.connect(NoTls).await?;
            tokio::spawn(async move {
                if let Err(error) = connection.await {
                    tracing::debug!(%error, "database connection closed");
                }
            });
            Ok::<Client, tokio_postgres::Error>(client)
        });
        let client = wait(task).map_err(|_| ConnectError::Stopped)??;
        Ok(PgConnection {
            client,
            statements: HashMap::new(),
            broken: false,
        })
    }
}

#[derive(Debug, thiserror::Error)]
pub(super) enum ConnectError {
    #[error(transparent)]
    Database(#[from] tokio_postgres::Error),
    #[error("the storage is shutting down")]
    Stopped,
}

impl r2d2::ManageConnection for Connector {
    type Connection = PgConnection;
    type Error = ConnectError;

    fn connect(&self) -> Result<PgConnection, ConnectError> {
        Connector::connect(self)
    }

    fn is_valid(&self, connection: &mut PgConnection) -> Result<(), ConnectError> {
        Ok(connection.batch("")?)
    }

    fn has_broken(&self, connection: &mut PgConnection) -> bool {
        connection.broken || connection.client.is_closed()
    }
}

/// The storage error for a failed statement, noting in `health` a server
/// that cannot take writes.
pub(super) fn database_error(health: &StorageHealth, error: tokio_postgres::Error) -> StorageError {
    let message = error.to_string();
    let detail = match error.as_db_error() {
        Some(db) => format!("{message}: {}", db.message()),
        None => message,
    };
    match error.code() {
        None => {
            // No answer from the server: the connection is gone.
            health.unreachable(&detail);
            StorageError::Unavailable(detail)
        }
        Some(code) if is_unavailable(code) => {
            health.unreachable(&detail);
            StorageError::Unavailable(detail)
        }
        Some(&SqlState::DISK_FULL) => {
            health.out_of_space(&detail);
            StorageError::OutOfSpace(detail)
        }
        // Another transaction (another node's batch) changed what this
        // one read: nothing was committed, and applying it again on the
        // new state may succeed.
        Some(&SqlState::T_R_SERIALIZATION_FAILURE) | Some(&SqlState::T_R_DEADLOCK_DETECTED) => {
            StorageError::Conflict(detail)
        }
        Some(&SqlState::DATA_CORRUPTED) | Some(&SqlState::INDEX_CORRUPTED) => StorageError::Corrupt(detail),
        Some(_) => StorageError::Engine(detail),
    }
}

/// Server answers that mean "not now, not here": the server is shutting
/// down or starting, or it is a read-only standby (after a failover).
fn is_unavailable(code: &SqlState) -> bool {
    code.code().starts_with("08")
        || [
            SqlState::ADMIN_SHUTDOWN,
            SqlState::CRASH_SHUTDOWN,
            SqlState::CANNOT_CONNECT_NOW,
            SqlState::READ_ONLY_SQL_TRANSACTION,
            SqlState::TOO_MANY_CONNECTIONS,
        ]
        .contains(code)
}

/// The storage error for a connection the pool could not give.
pub(super) fn pool_error(health: &StorageHealth, error: r2d2::Error) -> StorageError {
    let detail = format!("no database connection: {error}");
    health.unreachable(&detail);
    StorageError::Unavailable(detail)
}
