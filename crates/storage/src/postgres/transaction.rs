//! Read views and write transactions: each is one database transaction on
//! one pooled connection.

use std::cell::RefCell;
use std::ops::Bound;
use std::sync::MutexGuard;

use r2d2::PooledConnection;
use tokio_postgres::types::ToSql;

use super::pool::{commit_error, database_error, Connector, PgConnection};
use crate::checksum;
use crate::health::StorageHealth;
use crate::{validate_keyspace, Direction, KeyRange, ReadView, Result, Visit, WriteTransaction};

/// Rows fetched by a scan's first page: many scans stop early (a Query
/// with a small Limit), so the first page is small ...
const FIRST_PAGE_ROWS: i64 = 32;
/// ... and pages double up to this many rows, which bounds a scan's memory
/// (each row at most one item, 400 KB) while a long scan still costs few
/// round trips.
const MAX_PAGE_ROWS: i64 = 256;
/// Problems reported by the integrity check, at most.
const MAX_PROBLEMS: usize = 100;

pub(super) type Pooled = PooledConnection<Connector>;

/// Statements of one transaction, on its connection.
pub(super) struct Session<'a> {
    connection: RefCell<Pooled>,
    health: &'a StorageHealth,
}

impl<'a> Session<'a> {
    pub(super) fn new(connection: Pooled, health: &'a StorageHealth) -> Session<'a> {
        Session {
            connection: RefCell::new(connection),
            health,
        }
    }

    pub(super) fn run<T>(
        &self,
        statement: impl FnOnce(&mut PgConnection) -> std::result::Result<T, tokio_postgres::Error>,
    ) -> Result<T> {
        statement(&mut self.connection.borrow_mut()).map_err(|e| database_error(self.health, e))
    }

    pub(super) fn batch(&self, sql: &str) -> Result<()> {
        self.run(|c| c.batch(sql))
    }

    pub(super) fn commit(&self) -> Result<()> {
        let committed = self.connection.borrow_mut().commit();
        committed.map_err(|e| commit_error(self.health, e))
    }

    /// Ends the transaction without keeping anything; a session whose
    /// rollback failed is not reused.
    fn roll_back(&self) {
        let mut connection = self.connection.borrow_mut();
        if connection.batch("ROLLBACK").is_err() {
            connection.broken = true;
        }
    }
}

pub(super) fn get(session: &Session<'_>, keyspace: &str, key: &[u8]) -> Result<Option<Vec<u8>>> {
    validate_keyspace(keyspace)?;
    let row = session.run(|c| {
        c.query_opt(
            "SELECT value FROM halyard_kv WHERE keyspace = $1 AND key = $2",
            &[&keyspace, &key],
        )
    })?;
    let Some(row) = row else {
        return Ok(None);
    };
    let mut stored: Vec<u8> = row.get(0);
    let length = checksum::unseal(keyspace, key, &stored)?.len();
    stored.truncate(length);
    Ok(Some(stored))
}

/// A scan, one page (one statement) at a time: each page resumes after
/// the last key of the one before, so the scan needs no cursor (and works
/// the same inside any transaction, on any of the engines).
fn scan(
    session: &Session<'_>,
    keyspace: &str,
    range: KeyRange<'_>,
    direction: Direction,
    visit: &mut dyn FnMut(&[u8], &[u8]) -> Visit,
) -> Result<()> {
    validate_keyspace(keyspace)?;
    let mut start: Bound<Vec<u8>> = range.start.map(<[u8]>::to_vec);
    let mut end: Bound<Vec<u8>> = range.end.map(<[u8]>::to_vec);
    let mut page_rows = FIRST_PAGE_ROWS;
    loop {
        let (sql, bounds) = page_query(&start, &end, direction);
        let mut params: Vec<&(dyn ToSql + Sync)> = vec![&keyspace];
        params.extend(bounds.iter().map(|b| b as &(dyn ToSql + Sync)));
        params.push(&page_rows);
        let rows = session.run(|c| c.query(&sql, &params))?;
        let full = rows.len() as i64 == page_rows;
        let mut last: Option<Vec<u8>> = None;
        for row in &rows {
            let key: &[u8] = row.get(0);
            let stored: &[u8] = row.get(1);
            if visit(key, checksum::unseal(keyspace, key, stored)?) == Visit::Stop {
                return Ok(());
            }
            last = Some(key.to_vec());
        }
        match (last, full) {
            (Some(last), true) => match direction {
                Direction::Forward => start = Bound::Excluded(last),
                Direction::Backward => end = Bound::Excluded(last),
            },
            _ => return Ok(()),
        }
        page_rows = (page_rows * 2).min(MAX_PAGE_ROWS);
    }
}

/// The SQL of one page of a scan (`$1` the keyspace, the last parameter
/// the page size) and its key bounds' parameters.
fn page_query<'b>(start: &'b Bound<Vec<u8>>, end: &'b Bound<Vec<u8>>, direction: Direction) -> (String, Vec<&'b [u8]>) {
    let mut sql = String::from("SELECT key, value FROM halyard_kv WHERE keyspace = $1");
    let mut bounds: Vec<&[u8]> = Vec::with_capacity(2);
    for (bound, inclusive, exclusive) in [(start, ">=", ">"), (end, "<=", "<")] {
        let (key, operator) = match bound {
            Bound::Included(key) => (key, inclusive),
            Bound::Excluded(key) => (key, exclusive),
            Bound::Unbounded => continue,
        };
        bounds.push(key);
        sql.push_str(&format!(" AND key {operator} ${}", bounds.len() + 1));
    }
    sql.push_str(match direction {
        Direction::Forward => " ORDER BY key ASC",
        Direction::Backward => " ORDER BY key DESC",
    });
    sql.push_str(&format!(" LIMIT ${}", bounds.len() + 2));
    (sql, bounds)
}

/// Verifies every stored value's checksum (PostgreSQL's own structures
/// are its business; an engine-level check needs extensions, which the
/// adapter does not use).
fn check_integrity(session: &Session<'_>) -> Result<Vec<String>> {
    let mut problems = Vec::new();
    let mut after: Option<(String, Vec<u8>)> = None;
    loop {
        let rows = match &after {
            None => session.run(|c| {
                c.query(
                    "SELECT keyspace, key, value FROM halyard_kv ORDER BY keyspace, key LIMIT $1",
                    &[&MAX_PAGE_ROWS],
                )
            })?,
            Some((keyspace, key)) => session.run(|c| {
                c.query(
                    "SELECT keyspace, key, value FROM halyard_kv WHERE (keyspace, key) > ($1, $2)
                     ORDER BY keyspace, key LIMIT $3",
                    &[keyspace, key, &MAX_PAGE_ROWS],
                )
            })?,
        };
        for row in &rows {
            let (keyspace, key, stored): (&str, &[u8], &[u8]) = (row.get(0), row.get(1), row.get(2));
            if let Err(error) = checksum::unseal(keyspace, key, stored) {
                problems.push(error.to_string());
                if problems.len() == MAX_PROBLEMS {
                    return Ok(problems);
                }
            }
        }
        if (rows.len() as i64) < MAX_PAGE_ROWS {
            return Ok(problems);
        }
        let last = rows.last().expect("a full page");
        after = Some((last.get(0), last.get(1)));
    }
}

/// A REPEATABLE READ, READ ONLY transaction: every read sees the database
/// as of its first statement.
pub(super) struct PgReadView<'a> {
    pub(super) session: Session<'a>,
}

impl ReadView for PgReadView<'_> {
    fn get(&self, keyspace: &str, key: &[u8]) -> Result<Option<Vec<u8>>> {
        get(&self.session, keyspace, key)
    }
    fn scan(
        &self,
        keyspace: &str,
        range: KeyRange<'_>,
        direction: Direction,
        visit: &mut dyn FnMut(&[u8], &[u8]) -> Visit,
    ) -> Result<()> {
        scan(&self.session, keyspace, range, direction, visit)
    }
    fn check_integrity(&self) -> Result<Vec<String>> {
        check_integrity(&self.session)
    }
}

impl Drop for PgReadView<'_> {
    fn drop(&mut self) {
        // A read-only transaction has nothing to keep.
        self.session.roll_back();
    }
}

/// The writer's transaction; `_turn` keeps a second writer waiting.
pub(super) struct PgWriteTransaction<'a> {
    pub(super) session: Session<'a>,
    pub(super) _turn: MutexGuard<'a, ()>,
    pub(super) committed: bool,
}

impl ReadView for PgWriteTransaction<'_> {
    fn get(&self, keyspace: &str, key: &[u8]) -> Result<Option<Vec<u8>>> {
        get(&self.session, keyspace, key)
    }
    fn scan(
        &self,
        keyspace: &str,
        range: KeyRange<'_>,
        direction: Direction,
        visit: &mut dyn FnMut(&[u8], &[u8]) -> Visit,
    ) -> Result<()> {
        scan(&self.session, keyspace, range, direction, visit)
    }
    fn check_integrity(&self) -> Result<Vec<String>> {
        check_integrity(&self.session)
    }
}

impl WriteTransaction for PgWriteTransaction<'_> {
    fn put(&mut self, keyspace: &str, key: &[u8], value: &[u8]) -> Result<()> {
        validate_keyspace(keyspace)?;
        let stored = checksum::seal(key, value);
        self.session.run(|c| {
            c.execute(
                "INSERT INTO halyard_kv (keyspace, key, value) VALUES ($1, $2, $3)
                 ON CONFLICT (keyspace, key) DO UPDATE SET value = excluded.value",
                &[&keyspace, &key, &stored],
            )
        })?;
        Ok(())
    }

    fn delete(&mut self, keyspace: &str, key: &[u8]) -> Result<()> {
        validate_keyspace(keyspace)?;
        self.session.run(|c| {
            c.execute(
                "DELETE FROM halyard_kv WHERE keyspace = $1 AND key = $2",
                &[&keyspace, &key],
            )
        })?;
        Ok(())
    }

    fn create_keyspace(&mut self, keyspace: &str) -> Result<()> {
        // A keyspace is its rows: there is nothing to create.
        validate_keyspace(keyspace)
    }

    fn drop_keyspace(&mut self, keyspace: &str) -> Result<()> {
        validate_keyspace(keyspace)?;
        self.session
            .run(|c| c.execute("DELETE FROM halyard_kv WHERE keyspace = $1", &[&keyspace]))?;
        Ok(())
    }

    fn commit(mut self: Box<Self>) -> Result<()> {
        // Whatever the outcome, the transaction is over: nothing to roll back.
        self.committed = true;
        self.session.commit()?;
        self.session.health.write_succeeded();
        Ok(())
    }
}

impl Drop for PgWriteTransaction<'_> {
    fn drop(&mut self) {
        if !self.committed {
            self.session.roll_back();
        }
    }
}
