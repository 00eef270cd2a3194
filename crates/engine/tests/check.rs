//! `halyard check` over real SQLite storage: clean on a healthy store, and
//! each kind of damage, written straight into the store through the
//! storage trait, found and named.

use std::sync::Arc;

use halyard_engine::check::{check_storage, CheckReport};
use halyard_engine::model::{
    AttributeDefinition, AttributeValue, BillingMode, Item, KeySchemaElement, KeyType, Number, ProjectionType,
    ScalarType, TableDefinition, TableStats,
};
use halyard_engine::{CreateTableInput, Engine, EngineConfig, IndexInput};

mod common;
use halyard_storage::sqlite::{SqliteOptions, SqliteStorage};
use halyard_storage::{Direction, KeyRange, Storage, Visit};

/// The engine's keyspace of table and index counters (a stored-format
/// detail this test damages on purpose).
const STATS_KEYSPACE: &str = "stats";
const COLLECTIONS_KEYSPACE: &str = "collections";

fn schema(names: &[(&str, KeyType)]) -> Vec<KeySchemaElement> {
    names
        .iter()
        .map(|(name, key_type)| KeySchemaElement {
            attribute_name: name.to_string(),
            key_type: *key_type,
        })
        .collect()
}

fn index(name: &str, key: &[(&str, KeyType)], projection_type: ProjectionType) -> IndexInput {
    IndexInput {
        name: name.into(),
        key_schema: schema(key),
        projection_type,
        non_key_attributes: None,
        provisioned_throughput: None,
    }
}

fn s(value: &str) -> AttributeValue {
    AttributeValue::S(value.into())
}

/// A table `t` (pk S, sk N) with a GSI `by_group` (group S, KEYS_ONLY) and
/// an LSI `by_rank` (pk, rank N, ALL), holding 20 items; every other item
/// lacks `group` (the GSI is sparse). Returns the table's definition.
async fn populated_store(dir: &std::path::Path) -> TableDefinition {
    let storage = SqliteStorage::open(dir, SqliteOptions::default()).unwrap();
    let engine = Engine::open(Arc::new(storage), EngineConfig::default()).unwrap();
    let definitions = [
        ("pk", ScalarType::S),
        ("sk", ScalarType::N),
        ("group", ScalarType::S),
        ("rank", ScalarType::N),
    ]
    .into_iter()
    .map(|(name, attribute_type)| AttributeDefinition {
        attribute_name: name.into(),
        attribute_type,
    })
    .collect();
    engine
        .create_table(CreateTableInput {
            table_name: "t".into(),
            key_schema: schema(&[("pk", KeyType::Hash), ("sk", KeyType::Range)]),
            attribute_definitions: definitions,
            billing_mode: Some(BillingMode::PayPerRequest),
            global_secondary_indexes: Some(vec![index(
                "by_group",
                &[("group", KeyType::Hash)],
                ProjectionType::KeysOnly,
            )]),
            local_secondary_indexes: Some(vec![index(
                "by_rank",
                &[("pk", KeyType::Hash), ("rank", KeyType::Range)],
                ProjectionType::All,
            )]),
            ..Default::default()
        })
        .await
        .unwrap();
    for i in 0..20 {
        let mut item = Item::from([
            ("pk".to_string(), s(&format!("p{}", i % 3))),
            (
                "sk".to_string(),
                AttributeValue::N(Number::parse(&i.to_string()).unwrap()),
            ),
            (
                "rank".to_string(),
                AttributeValue::N(Number::parse(&(100 - i).to_string()).unwrap()),
            ),
            ("payload".to_string(), s(&"x".repeat(i))),
        ]);
        if i % 2 == 0 {
            item.insert("group".into(), s(&format!("g{}", i % 4)));
        }
        common::put(&engine, "t", item).await.unwrap();
    }
    let definition = engine.describe_table("t").unwrap().definition;
    engine.shutdown();
    definition
}

fn check(dir: &std::path::Path) -> CheckReport {
    let storage = SqliteStorage::open(dir, SqliteOptions::default()).unwrap();
    check_storage(&storage).unwrap()
}

/// Rewrites the store in `dir` with `damage`, outside the engine.
fn damage(dir: &std::path::Path, damage: impl FnOnce(&mut dyn halyard_storage::WriteTransaction)) {
    let storage = SqliteStorage::open(dir, SqliteOptions::default()).unwrap();
    let mut tx = storage.begin_write().unwrap();
    damage(&mut *tx);
    tx.commit().unwrap();
}

fn first_pair(storage: &dyn Storage, keyspace: &str) -> (Vec<u8>, Vec<u8>) {
    let view = storage.snapshot().unwrap();
    let mut first = None;
    view.scan(keyspace, KeyRange::ALL, Direction::Forward, &mut |key, value| {
        first = Some((key.to_vec(), value.to_vec()));
        Visit::Stop
    })
    .unwrap();
    first.expect("the keyspace holds something")
}

fn messages(report: &CheckReport) -> Vec<String> {
    report.problems.iter().map(ToString::to_string).collect()
}

fn assert_found(report: &CheckReport, expected: &[&str]) {
    let found = messages(report);
    for text in expected {
        assert!(
            found.iter().any(|line| line.contains(text)),
            "no {text:?} in {found:#?}"
        );
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_healthy_store_is_clean() {
    let dir = tempfile::tempdir().unwrap();
    populated_store(dir.path()).await;
    let report = check(dir.path());
    assert!(report.is_clean(), "{report}");
    let text = report.to_string();
    for checked in [
        "integrity_check",
        "table t: 20 items",
        "index by_group: 10 entries",
        "index by_rank: 20 entries",
        "item collection sizes",
    ] {
        assert!(text.contains(checked), "{checked:?} not in {text}");
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_wrong_index_entry_is_found() {
    let dir = tempfile::tempdir().unwrap();
    let definition = populated_store(dir.path()).await;
    let gsi = definition.index("by_group").unwrap().keyspace.clone();
    let storage = SqliteStorage::open(dir.path(), SqliteOptions::default()).unwrap();
    let (key, _) = first_pair(&storage, &gsi);
    drop(storage);
    // The entry of some item, with the value of a different one.
    let wrong = halyard_engine::model::item_codec::encode_item(&Item::from([
        ("pk".to_string(), s("p0")),
        ("sk".to_string(), AttributeValue::N(Number::parse("0").unwrap())),
        ("group".to_string(), s("g0")),
        ("extra".to_string(), s("not projected")),
    ]));
    damage(dir.path(), |tx| tx.put(&gsi, &key, &wrong).unwrap());
    let report = check(dir.path());
    assert_found(
        &report,
        &["index by_group: key {pk: \"p0\", sk: 0}: the index entry differs from the item's projection"],
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_missing_index_entry_is_found_with_its_counter() {
    let dir = tempfile::tempdir().unwrap();
    let definition = populated_store(dir.path()).await;
    let lsi = definition.index("by_rank").unwrap().keyspace.clone();
    let storage = SqliteStorage::open(dir.path(), SqliteOptions::default()).unwrap();
    let (key, _) = first_pair(&storage, &lsi);
    drop(storage);
    damage(dir.path(), |tx| tx.delete(&lsi, &key).unwrap());
    let report = check(dir.path());
    assert_found(
        &report,
        &[
            "index by_rank: key {pk: \"p0\", sk: 18}: the item has no index entry",
            "index by_rank: ItemCount is 20 but 19 are stored",
        ],
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_entry_without_its_item_and_an_item_out_of_place_are_found() {
    let dir = tempfile::tempdir().unwrap();
    let definition = populated_store(dir.path()).await;
    let storage = SqliteStorage::open(dir.path(), SqliteOptions::default()).unwrap();
    let (item_key, item) = first_pair(&storage, &definition.keyspace);
    drop(storage);
    damage(dir.path(), |tx| {
        tx.delete(&definition.keyspace, &item_key).unwrap();
        // Another item's bytes under a made-up key.
        tx.put(&definition.keyspace, b"\x7fnot a key", &item).unwrap();
    });
    let report = check(dir.path());
    assert_found(
        &report,
        &[
            "rather than under its own key",
            "an entry for an item that does not exist",
        ],
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn wrong_counters_and_collection_sizes_are_found() {
    let dir = tempfile::tempdir().unwrap();
    let definition = populated_store(dir.path()).await;
    let storage = SqliteStorage::open(dir.path(), SqliteOptions::default()).unwrap();
    let (record, value) = first_pair(&storage, COLLECTIONS_KEYSPACE);
    drop(storage);
    let size = i64::from_le_bytes(value.try_into().unwrap());
    let stats = TableStats {
        item_count: 21,
        size_bytes: 5,
    };
    damage(dir.path(), |tx| {
        tx.put(
            STATS_KEYSPACE,
            definition.id.as_bytes(),
            &serde_json::to_vec(&stats).unwrap(),
        )
        .unwrap();
        tx.put(COLLECTIONS_KEYSPACE, &record, &(size + 1).to_le_bytes())
            .unwrap();
    });
    let report = check(dir.path());
    assert_found(
        &report,
        &[
            "table t: ItemCount is 21 but 20 are stored",
            "table t: TableSizeBytes is 5 but the stored items total",
            &format!(
                "the item collection size is recorded as {} bytes but its items and local index entries total {size}",
                size + 1
            ),
        ],
    );
    assert_eq!(report.problems.len(), 3, "{report}");
}
