//! The adapter's tables, their creation and their versioned migrations.
//!
//! Every keyspace lives in one table, `halyard_kv`, keyed by
//! `(keyspace, key)`: creating or dropping a keyspace (a DynamoDB table or
//! index) is then plain DML inside the writer's transaction. Runtime DDL
//! would be slower, would bloat the system catalogs with one table per
//! index, and is not transactional on every engine the adapter is meant
//! for (YugabyteDB runs DDL outside the surrounding transaction). Range
//! scans over the composite primary key cost the same as over a table of
//! their own (measured: docs/postgres.md).
//!
//! `halyard_meta` marks the schema as Halyard's and records its format
//! version: a newer one is refused, an older one migrated in order, each
//! step in one transaction with the version bump.

use super::pool::PgConnection;
use crate::{Result, StorageError};

/// Marks a schema as Halyard's (the SQLite adapter's application id).
const APPLICATION_ID: i64 = 0x4841_4C59;
/// The format this build writes.
pub const FORMAT_VERSION: i64 = 2;

/// The serving lease (format 2; `lease.rs`).
const CREATE_LEASE: &str =
    "CREATE TABLE halyard_lease (name text PRIMARY KEY, holder text NOT NULL, expires_at timestamptz NOT NULL);";

const CREATE: &str = "
    CREATE TABLE halyard_meta (name text PRIMARY KEY, value bigint NOT NULL);
    CREATE TABLE halyard_kv (
        keyspace text NOT NULL,
        key bytea NOT NULL,
        value bytea NOT NULL,
        PRIMARY KEY (keyspace, key)
    );";

/// Each step takes a store from the format before it to its own.
const MIGRATIONS: [(i64, &str); 1] = [(2, CREATE_LEASE)];

/// What a schema turned out to hold.
enum Found {
    Halyard {
        application: Option<i64>,
        format: Option<i64>,
    },
    Empty,
    Foreign(Vec<String>),
}

/// Checks (creating or migrating if need be) that the connection's schema
/// is a Halyard store this build can use. `database` names it in errors.
pub(super) fn prepare(
    connection: &mut PgConnection,
    database: &str,
    create_if_new: bool,
    error: &dyn Fn(tokio_postgres::Error) -> StorageError,
) -> Result<()> {
    // Two nodes starting on a new database race to create it: the loser's
    // creation fails, and its second look finds the winner's schema.
    for attempt in 0..2 {
        match inspect(connection, error)? {
            Found::Halyard { application, format } => {
                let found = check(database, application, format)?;
                return migrate(connection, found).map_err(error);
            }
            Found::Foreign(tables) => {
                return Err(StorageError::Foreign {
                    path: database.to_string(),
                    reason: format!("its schema holds tables that are not Halyard's: {}", tables.join(", ")),
                })
            }
            Found::Empty if !create_if_new => {
                return Err(StorageError::NoDatabase {
                    path: database.to_string(),
                })
            }
            Found::Empty => match create(connection) {
                Ok(()) => return Ok(()),
                Err(e) if attempt == 0 => tracing::info!(error = %e, "schema creation lost a race; looking again"),
                Err(e) => return Err(error(e)),
            },
        }
    }
    unreachable!("the second attempt returns")
}

fn inspect(connection: &mut PgConnection, error: &dyn Fn(tokio_postgres::Error) -> StorageError) -> Result<Found> {
    let tables: Vec<String> = connection
        .query(
            "SELECT table_name::text FROM information_schema.tables
             WHERE table_schema = current_schema() ORDER BY table_name",
            &[],
        )
        .map_err(error)?
        .iter()
        .map(|row| row.get(0))
        .collect();
    if tables.is_empty() {
        return Ok(Found::Empty);
    }
    if !tables.iter().any(|t| t == "halyard_meta") {
        return Ok(Found::Foreign(tables));
    }
    let value = |connection: &mut PgConnection, name: &str| -> Result<Option<i64>> {
        let row = connection
            .query_opt("SELECT value FROM halyard_meta WHERE name = $1", &[&name])
            .map_err(error)?;
        Ok(row.map(|row| row.get(0)))
    };
    Ok(Found::Halyard {
        application: value(connection, "application_id")?,
        format: value(connection, "format_version")?,
    })
}

fn create(connection: &mut PgConnection) -> std::result::Result<(), tokio_postgres::Error> {
    connection.batch(&format!(
        "BEGIN;
         {CREATE}
         {CREATE_LEASE}
         INSERT INTO halyard_meta (name, value) VALUES ('application_id', {APPLICATION_ID}), ('format_version', {FORMAT_VERSION});
         COMMIT;"
    ))
    .inspect_err(|_| {
        let _ = connection.batch("ROLLBACK");
    })
}

/// Brings a store of format `found` to [`FORMAT_VERSION`], one step per
/// transaction. Two nodes migrating at once: the loser's step fails on the
/// winner's table, and it starts again on what the winner left.
fn migrate(connection: &mut PgConnection, found: i64) -> std::result::Result<(), tokio_postgres::Error> {
    for (version, step) in MIGRATIONS.iter().filter(|(version, _)| *version > found) {
        tracing::info!("migrating the PostgreSQL store to format {version}");
        connection
            .batch(&format!(
                "BEGIN;
                 {step}
                 UPDATE halyard_meta SET value = {version} WHERE name = 'format_version';
                 COMMIT;"
            ))
            .inspect_err(|_| {
                let _ = connection.batch("ROLLBACK");
            })?;
    }
    Ok(())
}

/// The store's format, if this build can use it.
fn check(database: &str, application: Option<i64>, format: Option<i64>) -> Result<i64> {
    if application != Some(APPLICATION_ID) {
        return Err(StorageError::Foreign {
            path: database.to_string(),
            reason: format!("halyard_meta's application_id is {application:?}, not Halyard's"),
        });
    }
    match format {
        Some(found) if found > FORMAT_VERSION => Err(StorageError::NewerFormat {
            path: database.to_string(),
            found,
            supported: FORMAT_VERSION,
        }),
        Some(found) if found >= 1 => Ok(found),
        other => Err(StorageError::Damaged {
            path: database.to_string(),
            reason: format!("halyard_meta's format_version is {other:?}"),
        }),
    }
}
