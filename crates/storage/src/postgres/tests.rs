//! The adapter against a real PostgreSQL server: the one at
//! `HALYARD_TEST_POSTGRES_URL` (a `postgres://USER@HOST:PORT/DATABASE`
//! URL; scripts/test.sh starts one with scripts/postgres-cluster.sh). Each
//! test gets a database of its own, dropped after it.

use std::sync::atomic::{AtomicU32, Ordering};

use super::*;
use crate::{Direction, KeyRange, Visit};

const URL_VARIABLE: &str = "HALYARD_TEST_POSTGRES_URL";

/// A database created for one test, and its URL.
struct TestDatabase {
    admin_url: String,
    name: String,
    url: String,
}

/// Runs SQL as the server's administrator (outside any Halyard store).
fn admin(url: &str, sql: &str) {
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .unwrap();
    runtime.block_on(async {
        let (client, connection) = tokio_postgres::connect(url, tokio_postgres::NoTls).await.unwrap();
        tokio::spawn(connection);
        client.batch_execute(sql).await.unwrap();
    });
}

impl TestDatabase {
    /// None (after saying so) when no server is configured; outside CI
    /// only: there, a missing server fails the test.
    fn create() -> Option<TestDatabase> {
        let Ok(admin_url) = std::env::var(URL_VARIABLE) else {
            assert!(
                std::env::var_os("CI").is_none(),
                "{URL_VARIABLE} is not set: the PostgreSQL adapter's tests cannot run"
            );
            eprintln!("skipped: {URL_VARIABLE} is not set (scripts/test.sh starts a server and sets it)");
            return None;
        };
        static NEXT: AtomicU32 = AtomicU32::new(0);
        let name = format!(
            "halyard_test_{}_{}",
            std::process::id(),
            NEXT.fetch_add(1, Ordering::Relaxed)
        );
        admin(&admin_url, &format!("CREATE DATABASE {name}"));
        let base = admin_url.rsplit_once('/').expect("a URL with a database").0;
        let url = format!("{base}/{name}");
        Some(TestDatabase { admin_url, name, url })
    }

    fn open(&self) -> PostgresStorage {
        PostgresStorage::open(&self.url, PostgresOptions::default()).unwrap()
    }

    fn sql(&self, sql: &str) {
        admin(&self.url, sql);
    }
}

impl Drop for TestDatabase {
    fn drop(&mut self) {
        admin(
            &self.admin_url,
            &format!("DROP DATABASE IF EXISTS {} WITH (FORCE)", self.name),
        );
    }
}

/// A store on a database of its own (the store closes before the
/// database is dropped).
struct Fresh {
    store: PostgresStorage,
    _database: TestDatabase,
}

impl std::ops::Deref for Fresh {
    type Target = PostgresStorage;
    fn deref(&self) -> &PostgresStorage {
        &self.store
    }
}

fn fresh() -> Option<Fresh> {
    let database = TestDatabase::create()?;
    Some(Fresh {
        store: database.open(),
        _database: database,
    })
}

crate::conformance::all_conformance_tests!(fresh());

#[test]
fn data_survives_reopen() {
    let Some(database) = TestDatabase::create() else { return };
    crate::conformance::data_survives_reopen(&|| Box::new(database.open()));
}

#[test]
fn foreign_and_newer_schemas_are_refused() {
    let Some(database) = TestDatabase::create() else { return };
    database.sql("CREATE TABLE someone_elses (x int)");
    let opened = PostgresStorage::open(&database.url, PostgresOptions::default());
    assert!(
        matches!(&opened, Err(StorageError::Foreign { reason, .. }) if reason.contains("someone_elses")),
        "{:?}",
        opened.err()
    );

    let Some(database) = TestDatabase::create() else { return };
    drop(database.open());
    database.sql(&format!(
        "UPDATE halyard_meta SET value = {} WHERE name = 'format_version'",
        FORMAT_VERSION + 1
    ));
    let opened = PostgresStorage::open(&database.url, PostgresOptions::default());
    assert!(
        matches!(opened, Err(StorageError::NewerFormat { found, .. }) if found == FORMAT_VERSION + 1),
        "{:?}",
        opened.err()
    );

    let Some(database) = TestDatabase::create() else { return };
    drop(database.open());
    database.sql("UPDATE halyard_meta SET value = 7 WHERE name = 'application_id'");
    let opened = PostgresStorage::open(&database.url, PostgresOptions::default());
    assert!(
        matches!(opened, Err(StorageError::Foreign { .. })),
        "{:?}",
        opened.err()
    );
}

#[test]
fn an_empty_database_is_left_alone_unless_asked_to_create() {
    let Some(database) = TestDatabase::create() else { return };
    let options = PostgresOptions {
        create_if_new: false,
        ..Default::default()
    };
    let opened = PostgresStorage::open(&database.url, options.clone());
    assert!(
        matches!(opened, Err(StorageError::NoDatabase { .. })),
        "{:?}",
        opened.err()
    );
    drop(database.open());
    PostgresStorage::open(&database.url, options).unwrap();
}

#[test]
fn a_value_changed_behind_the_store_fails_its_read() {
    let Some(store) = fresh() else { return };
    let mut tx = store.begin_write().unwrap();
    tx.create_keyspace("items").unwrap();
    tx.put("items", b"a", b"first").unwrap();
    tx.put("items", b"b", b"second").unwrap();
    tx.commit().unwrap();
    store
        ._database
        .sql("UPDATE halyard_kv SET value = set_byte(value, 1, get_byte(value, 1) # 32) WHERE key = 'b'");
    assert_eq!(store.get("items", b"a").unwrap(), Some(b"first".to_vec()));
    let read = store.get("items", b"b");
    assert!(
        matches!(&read, Err(StorageError::Corrupt(m)) if m.contains("0x62 in keyspace items")),
        "{read:?}"
    );
    let view = store.snapshot().unwrap();
    let scanned = view.scan("items", KeyRange::ALL, Direction::Forward, &mut |_, _| Visit::Continue);
    assert!(matches!(scanned, Err(StorageError::Corrupt(_))), "{scanned:?}");
    let problems = view.check_integrity().unwrap();
    assert_eq!(problems.len(), 1, "{problems:?}");
    assert!(problems[0].contains("0x62 in keyspace items"), "{problems:?}");
}

#[test]
fn a_lost_connection_fails_as_unavailable_and_the_store_reconnects() {
    let Some(store) = fresh() else { return };
    let mut tx = store.begin_write().unwrap();
    tx.create_keyspace("items").unwrap();
    tx.put("items", b"k", b"v").unwrap();
    tx.commit().unwrap();
    // Every session of the database is cut, as in a server restart.
    let kill = format!(
        "SELECT pg_terminate_backend(pid) FROM pg_stat_activity
         WHERE datname = '{}' AND pid <> pg_backend_pid()",
        store._database.name
    );
    store._database.sql(&kill);
    // Pooled connections learn of it on their next statement: a retryable
    // failure, then a new connection.
    let mut failures = 0;
    let value = loop {
        match store.get("items", b"k") {
            Ok(value) => break value,
            Err(StorageError::Unavailable(_)) if failures < 20 => failures += 1,
            Err(other) => panic!("{other:?} after {failures} failures"),
        }
    };
    assert_eq!(value, Some(b"v".to_vec()));
    let mut tx = store.begin_write().unwrap();
    tx.put("items", b"k", b"w").unwrap();
    tx.commit().unwrap();
    assert!(store.health().report().writes_accepted());
    assert_eq!(store.get("items", b"k").unwrap(), Some(b"w".to_vec()));
}

#[test]
fn an_unreachable_server_is_reported_by_health_and_fails_requests() {
    // A port nobody listens on.
    let port = std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port();
    let url = format!("postgres://halyard@127.0.0.1:{port}/none");
    let opened = PostgresStorage::open(&url, PostgresOptions::default());
    assert!(
        matches!(opened, Err(StorageError::Unavailable(_))),
        "{:?}",
        opened.err()
    );

    let Some(store) = fresh() else { return };
    assert!(store.health().report().writes_accepted());
    // The server refuses every new session of this database from now on,
    // and the existing ones are cut.
    let (name, admin_url) = (&store._database.name, &store._database.admin_url);
    admin(
        admin_url,
        &format!("ALTER DATABASE {name} WITH ALLOW_CONNECTIONS false"),
    );
    admin(
        admin_url,
        &format!("SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE datname = '{name}'"),
    );
    let deadline = std::time::Instant::now() + Duration::from_secs(30);
    while store.health().report().writes_accepted() {
        assert!(std::time::Instant::now() < deadline, "health never noticed");
        std::thread::sleep(Duration::from_millis(50));
    }
    assert_eq!(store.health().report().state, crate::health::WriteState::Unreachable);
    assert!(matches!(store.begin_write(), Err(StorageError::Unavailable(_))));
    admin(admin_url, &format!("ALTER DATABASE {name} WITH ALLOW_CONNECTIONS true"));
    while !store.health().report().writes_accepted() {
        assert!(std::time::Instant::now() < deadline, "health never recovered");
        std::thread::sleep(Duration::from_millis(50));
    }
    store.begin_write().unwrap().commit().unwrap();
}

#[test]
fn a_format_1_store_is_migrated() {
    let Some(database) = TestDatabase::create() else { return };
    drop(database.open());
    database.sql("DROP TABLE halyard_lease; UPDATE halyard_meta SET value = 1 WHERE name = 'format_version'");
    let store = node(&database, &tempfile::tempdir().unwrap());
    let mut tx = store.begin_write().unwrap();
    tx.put("t", b"k", b"v").unwrap();
    tx.commit().unwrap();
}

/// A store that serves as the node whose directory is `dir`.
fn node(database: &TestDatabase, dir: &tempfile::TempDir) -> PostgresStorage {
    let options = PostgresOptions {
        node: Some(NodeOptions {
            dir: dir.path().to_path_buf(),
            lease: Duration::from_secs(30),
        }),
        ..Default::default()
    };
    PostgresStorage::open(&database.url, options).unwrap()
}

#[test]
fn two_nodes_writing_what_both_read_conflict_and_one_commits() {
    let Some(database) = TestDatabase::create() else { return };
    let (first_dir, second_dir) = (tempfile::tempdir().unwrap(), tempfile::tempdir().unwrap());
    let (first, second) = (node(&database, &first_dir), node(&database, &second_dir));
    let mut tx = first.begin_write().unwrap();
    tx.put("t", b"counter", b"0").unwrap();
    tx.commit().unwrap();
    // Both read the counter, then both write it: SERIALIZABLE lets one
    // commit, and the other fails as a conflict, having written nothing.
    let mut one = first.begin_write().unwrap();
    let mut two = second.begin_write().unwrap();
    assert_eq!(one.get("t", b"counter").unwrap().as_deref(), Some(&b"0"[..]));
    assert_eq!(two.get("t", b"counter").unwrap().as_deref(), Some(&b"0"[..]));
    one.put("t", b"counter", b"1 from the first").unwrap();
    one.commit().unwrap();
    let second_write = two
        .put("t", b"counter", b"1 from the second")
        .and_then(|()| two.commit());
    assert!(
        matches!(second_write, Err(StorageError::Conflict(_))),
        "{second_write:?}"
    );
    assert_eq!(
        second.get("t", b"counter").unwrap().as_deref(),
        Some(&b"1 from the first"[..])
    );
    // Applied again on the new state, it commits.
    let mut again = second.begin_write().unwrap();
    assert_eq!(
        again.get("t", b"counter").unwrap().as_deref(),
        Some(&b"1 from the first"[..])
    );
    again.put("t", b"counter", b"2").unwrap();
    again.commit().unwrap();
    // The store stays usable after the conflict.
    assert_eq!(first.get("t", b"counter").unwrap().as_deref(), Some(&b"2"[..]));
}

#[test]
fn a_task_lease_is_one_nodes_and_moves_when_it_stops_or_expires() {
    let Some(database) = TestDatabase::create() else { return };
    let (first_dir, second_dir) = (tempfile::tempdir().unwrap(), tempfile::tempdir().unwrap());
    let first = node(&database, &first_dir);
    let second = node(&database, &second_dir);
    assert_ne!(first.node_id(), second.node_id());
    assert!(first.hold_lease("ttl").unwrap());
    assert!(!second.hold_lease("ttl").unwrap());
    // Leases are per task.
    assert!(second.hold_lease("trim").unwrap());
    assert!(!first.hold_lease("trim").unwrap());
    // As a dead node's lease: expired, it goes to the next node that asks.
    database.sql("UPDATE halyard_lease SET expires_at = now() - interval '1 second' WHERE name = 'trim'");
    assert!(first.hold_lease("trim").unwrap());
    // A clean stop lets its leases go at once.
    drop(first);
    assert!(second.hold_lease("ttl").unwrap());
    assert!(second.hold_lease("trim").unwrap());
}

/// A store with no node (the adapter's own tests) holds every lease.
#[test]
fn a_store_without_a_node_holds_every_lease() {
    let Some(store) = fresh() else { return };
    assert!(store.node_id().is_none());
    assert!(store.hold_lease("anything").unwrap());
}
