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
//!
//! After a failover (docs/failover.md) the old primary's connections are
//! closed or read-only: each is discarded when it is next checked out or
//! fails, and new ones go to the host that takes writes (a multi-host URL
//! with `target_session_attrs=read-write`), the pool retrying with backoff
//! for at most the connect timeout. Every call is bounded in time, so no
//! request hangs on a server that stopped answering.

use std::collections::HashMap;
use std::future::Future;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;
use std::time::Duration;

use tokio::io::{AsyncRead, AsyncWrite};
use tokio_postgres::error::SqlState;
use tokio_postgres::types::ToSql;
use tokio_postgres::{AsyncMessage, Client, Connection, NoTls, Row, Statement};

use super::tls::RustlsConnect;

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
    /// Set when the session's state is unknown (a failed ROLLBACK, a call
    /// that timed out) or it is lost (closed, or its server no longer takes
    /// writes): the pool closes it instead of handing it out again.
    pub(super) broken: bool,
    /// Drives the calls' timers.
    runtime: tokio::runtime::Handle,
    /// How long one call may wait for the server's answer.
    call_timeout: Duration,
    /// Set by the connection's task when the server stopped waiting for the
    /// synchronous standby (see [`PgConnection::commit`]).
    replication_wait_cancelled: Arc<AtomicBool>,
}

/// Waits for one call's answer, at most `timeout` (its timer on `runtime`,
/// since the calling thread may be any).
fn bounded<T>(
    runtime: &tokio::runtime::Handle,
    timeout: Duration,
    call: impl Future<Output = Result<T, tokio_postgres::Error>>,
) -> Result<T, tokio_postgres::Error> {
    let _runtime = runtime.enter();
    match wait(tokio::time::timeout(timeout, call)) {
        Ok(answer) => answer,
        // tokio-postgres's own timeout error (no SQLSTATE: reported as an
        // unreachable server).
        Err(_elapsed) => Err(tokio_postgres::Error::__private_api_timeout()),
    }
}

impl PgConnection {
    /// Notes a failed call's session as not to be used again when it is
    /// lost or its state is unknown: no answer (closed, timed out), or an
    /// answer meaning this server is not (or no longer) the primary.
    fn settle<T>(&mut self, answer: Result<T, tokio_postgres::Error>) -> Result<T, tokio_postgres::Error> {
        if let Err(error) = &answer {
            if error.code().is_none_or(is_unavailable) {
                self.broken = true;
            }
        }
        answer
    }

    fn statement(&mut self, sql: &str) -> Result<Statement, tokio_postgres::Error> {
        if let Some(statement) = self.statements.get(sql) {
            return Ok(statement.clone());
        }
        let prepared = bounded(&self.runtime, self.call_timeout, self.client.prepare(sql));
        let statement = self.settle(prepared)?;
        self.statements.insert(sql.to_string(), statement.clone());
        Ok(statement)
    }

    pub(super) fn query(
        &mut self,
        sql: &str,
        params: &[&(dyn ToSql + Sync)],
    ) -> Result<Vec<Row>, tokio_postgres::Error> {
        let statement = self.statement(sql)?;
        let answer = bounded(&self.runtime, self.call_timeout, self.client.query(&statement, params));
        self.settle(answer)
    }

    pub(super) fn query_opt(
        &mut self,
        sql: &str,
        params: &[&(dyn ToSql + Sync)],
    ) -> Result<Option<Row>, tokio_postgres::Error> {
        let statement = self.statement(sql)?;
        let answer = bounded(
            &self.runtime,
            self.call_timeout,
            self.client.query_opt(&statement, params),
        );
        self.settle(answer)
    }

    pub(super) fn execute(&mut self, sql: &str, params: &[&(dyn ToSql + Sync)]) -> Result<u64, tokio_postgres::Error> {
        let statement = self.statement(sql)?;
        let answer = bounded(
            &self.runtime,
            self.call_timeout,
            self.client.execute(&statement, params),
        );
        self.settle(answer)
    }

    /// Runs statements without parameters (transaction control, DDL) in
    /// one round trip, unprepared.
    pub(super) fn batch(&mut self, sql: &str) -> Result<(), tokio_postgres::Error> {
        let answer = bounded(&self.runtime, self.call_timeout, self.client.batch_execute(sql));
        self.settle(answer)
    }

    /// Commits the session's transaction; `Ok` only when the commit is
    /// known to be durable as the server is configured (on the synchronous
    /// standby too, in the failover recipe).
    ///
    /// Two outcomes are not acknowledged. A lost connection (or no answer
    /// in time) leaves the outcome unknown: the commit may have happened.
    /// And a COMMIT whose wait for the synchronous standby was cancelled
    /// (statement_timeout, pg_cancel_backend) answers success with only a
    /// WARNING, although the transaction is then committed on the primary
    /// alone and lost if the standby is promoted: the adapter reads that
    /// warning and refuses to acknowledge it.
    pub(super) fn commit(&mut self) -> Result<(), CommitError> {
        self.replication_wait_cancelled.store(false, Ordering::Release);
        match self.batch("COMMIT") {
            Ok(()) if self.replication_wait_cancelled.swap(false, Ordering::AcqRel) => Err(CommitError::NotReplicated),
            Ok(()) => Ok(()),
            Err(error) if error.code().is_none() => Err(CommitError::Unknown(error)),
            Err(error) => Err(CommitError::Refused(error)),
        }
    }
}

/// Why [`PgConnection::commit`] did not acknowledge a commit.
#[derive(Debug)]
pub(super) enum CommitError {
    /// The server answered with an error: nothing was committed.
    Refused(tokio_postgres::Error),
    /// No answer: the transaction may or may not be committed.
    Unknown(tokio_postgres::Error),
    /// Committed on the primary, but not known to be on the synchronous
    /// standby.
    NotReplicated,
}

/// The server's warning when a commit stops waiting for the synchronous
/// standby ("canceling wait for synchronous replication ...").
fn is_replication_wait_cancelled(notice: &tokio_postgres::error::DbError) -> bool {
    notice.code() == &SqlState::WARNING && notice.message().contains("wait for synchronous replication")
}

/// Opens connections for the pool.
pub(super) struct Connector {
    config: tokio_postgres::Config,
    /// `None`: plaintext (no `sslmode=require`).
    tls: Option<RustlsConnect>,
    runtime: tokio::runtime::Handle,
    call_timeout: Duration,
}

/// Runs a connection's I/O until it closes, noting a commit's cancelled
/// wait for the synchronous standby. The connection's messages come in
/// order: a notice is read before the answer that follows it reaches the
/// client.
async fn drive<S, T>(mut connection: Connection<S, T>, replication_wait_cancelled: Arc<AtomicBool>)
where
    S: AsyncRead + AsyncWrite + Unpin,
    T: AsyncRead + AsyncWrite + Unpin,
{
    loop {
        match std::future::poll_fn(|cx| connection.poll_message(cx)).await {
            Some(Ok(AsyncMessage::Notice(notice))) => {
                if is_replication_wait_cancelled(&notice) {
                    replication_wait_cancelled.store(true, Ordering::Release);
                }
                tracing::debug!(notice = %notice.message(), "database notice");
            }
            Some(Ok(_)) => {}
            Some(Err(error)) => {
                tracing::debug!(%error, "database connection closed");
                break;
            }
            None => break,
        }
    }
}

impl Connector {
    pub(super) fn new(
        config: tokio_postgres::Config,
        tls: Option<RustlsConnect>,
        runtime: tokio::runtime::Handle,
        call_timeout: Duration,
    ) -> Connector {
        Connector {
            config,
            tls,
            runtime,
            call_timeout,
        }
    }

    pub(super) fn connect(&self) -> Result<PgConnection, ConnectError> {
        let config = self.config.clone();
        let tls = self.tls.clone();
        let replication_wait_cancelled = Arc::new(AtomicBool::new(false));
        let cancelled = replication_wait_cancelled.clone();
        let task = self.runtime.spawn(async move {
            let client = match tls {
                Some(tls) => {
                    let (client, connection) = config.connect(tls).await?;
                    tokio::spawn(drive(connection, cancelled));
                    client
                }
                None => {
                    let (client, connection) = config.connect(NoTls).await?;
                    tokio::spawn(drive(connection, cancelled));
                    client
                }
            };
            Ok::<Client, tokio_postgres::Error>(client)
        });
        let client = wait(task).map_err(|_| ConnectError::Stopped)??;
        Ok(PgConnection {
            client,
            statements: HashMap::new(),
            broken: false,
            runtime: self.runtime.clone(),
            call_timeout: self.call_timeout,
            replication_wait_cancelled,
        })
    }
}

#[derive(Debug, thiserror::Error)]
pub(super) enum ConnectError {
    /// With its causes (a TLS handshake's says which certificate failed).
    #[error("{}", with_causes(.0))]
    Database(#[from] tokio_postgres::Error),
    #[error("the storage is shutting down")]
    Stopped,
    #[error("the database connection is closed")]
    Closed,
}

impl r2d2::ManageConnection for Connector {
    type Connection = PgConnection;
    type Error = ConnectError;

    fn connect(&self) -> Result<PgConnection, ConnectError> {
        Connector::connect(self)
    }

    /// Costs no round trip (so it runs at each checkout): a connection its
    /// server closed (a restart, a failover) is replaced before a request
    /// meets it.
    fn is_valid(&self, connection: &mut PgConnection) -> Result<(), ConnectError> {
        if self.has_broken(connection) {
            Err(ConnectError::Closed)
        } else {
            Ok(())
        }
    }

    fn has_broken(&self, connection: &mut PgConnection) -> bool {
        connection.broken || connection.client.is_closed()
    }
}

/// An error's message followed by its sources'.
fn with_causes(error: &dyn std::error::Error) -> String {
    let mut message = error.to_string();
    let mut source = error.source();
    while let Some(cause) = source {
        message.push_str(&format!(": {cause}"));
        source = cause.source();
    }
    message
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

/// The storage error for a commit that was not acknowledged.
pub(super) fn commit_error(health: &StorageHealth, error: CommitError) -> StorageError {
    match error {
        CommitError::Refused(error) => database_error(health, error),
        CommitError::Unknown(error) => {
            let detail = format!("the connection was lost during COMMIT: {error}");
            health.unreachable(&detail);
            StorageError::CommitOutcomeUnknown(detail)
        }
        CommitError::NotReplicated => StorageError::CommitOutcomeUnknown(
            "the server stopped waiting for the synchronous standby: the write is on the primary only".into(),
        ),
    }
}

/// The storage error for a connection the pool could not give.
pub(super) fn pool_error(health: &StorageHealth, error: r2d2::Error) -> StorageError {
    let detail = format!("no database connection: {error}");
    health.unreachable(&detail);
    StorageError::Unavailable(detail)
}
