//! An item nested far deeper than DynamoDB allows, already in storage (as
//! builds before the nesting limit could leave one): reads and writes of it
//! fail cleanly, the writer goes on serving every other item, and a GSI
//! backfill skips it and finishes, also after a restart.

use std::sync::Arc;
use std::time::Duration;

use halyard_engine::model::{
    AttributeDefinition, AttributeValue, IndexStatus, Item, KeySchemaElement, KeyType, ProjectionType, ScalarType,
};
use halyard_engine::{
    Engine, EngineConfig, Error, GetItemInput, GlobalSecondaryIndexUpdate, IndexInput, UpdateTableInput,
};
use halyard_storage::keycodec::{encode_key, KeyValue};
use halyard_storage::sqlite::{SqliteOptions, SqliteStorage};
use halyard_storage::{KeyRange, Storage, Visit};

mod common;

/// Maps around the innermost value of the stored item: thousands, as
/// repeated `SET m.a = m` updates could build before the limit.
const STORED_DEPTH: usize = 5000;

fn open(dir: &std::path::Path) -> (Arc<SqliteStorage>, Arc<Engine>) {
    let storage = Arc::new(SqliteStorage::open(dir, SqliteOptions::default()).unwrap());
    let engine = Arc::new(Engine::open(storage.clone(), EngineConfig::default()).unwrap());
    (storage, engine)
}

fn s(value: &str) -> AttributeValue {
    AttributeValue::S(value.into())
}

fn key(pk: &str) -> Item {
    Item::from([("pk".to_string(), s(pk))])
}

fn item(pk: &str, g: &str) -> Item {
    Item::from([("pk".to_string(), s(pk)), ("g".to_string(), s(g))])
}

/// The stored form of `{"pk": pk, "g": "x", "m": {"a": {"a": ... NULL}}}`,
/// written byte by byte (tags 1 = S, 7 = M, 6 = NULL; names sorted), so
/// that building it needs no recursion.
fn over_deep_item_bytes(pk: &str) -> Vec<u8> {
    let mut bytes = vec![3, 1, b'g', 1, 1, b'x', 1, b'm'];
    for _ in 0..STORED_DEPTH {
        bytes.extend_from_slice(&[7, 1, 1, b'a']);
    }
    bytes.push(6);
    bytes.extend_from_slice(&[2, b'p', b'k', 1, pk.len() as u8]);
    bytes.extend_from_slice(pk.as_bytes());
    bytes
}

async fn get(engine: &Engine, pk: &str) -> Result<Option<Item>, Error> {
    engine
        .get_item(GetItemInput {
            table_name: "t".into(),
            key: key(pk),
            projection: None,
            consistent_read: true,
        })
        .await
        .map(|output| output.item)
}

fn index_status(engine: &Engine) -> Option<IndexStatus> {
    let description = engine.describe_table("t").unwrap();
    description.definition.indexes.first().map(|index| index.status)
}

async fn wait_until_active(engine: &Engine) {
    for _ in 0..400 {
        if index_status(engine) == Some(IndexStatus::Active) {
            return;
        }
        tokio::time::sleep(Duration::from_millis(25)).await;
    }
    panic!("the index never became ACTIVE: {:?}", index_status(engine));
}

fn index_entries(storage: &SqliteStorage, engine: &Engine) -> usize {
    let keyspace = engine.describe_table("t").unwrap().definition.indexes[0]
        .keyspace
        .clone();
    let snapshot = storage.snapshot().unwrap();
    let mut count = 0;
    snapshot
        .scan(
            &keyspace,
            KeyRange::ALL,
            halyard_storage::Direction::Forward,
            &mut |_, _| {
                count += 1;
                Visit::Continue
            },
        )
        .unwrap();
    count
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn stored_over_deep_item_cannot_crash_the_writer_or_the_backfill() {
    let dir = tempfile::tempdir().unwrap();
    let (storage, engine) = open(dir.path());
    let described = common::create_pk_table(&engine, "t").await;
    for n in 0..3 {
        common::put(&engine, "t", item(&format!("ok{n}"), "x")).await.unwrap();
    }
    let mut tx = storage.begin_write().unwrap();
    tx.put(
        &described.definition.keyspace,
        &encode_key(KeyValue::S("deep"), None),
        &over_deep_item_bytes("deep"),
    )
    .unwrap();
    tx.commit().unwrap();

    // Reading or overwriting the damaged item fails as a server fault...
    assert!(matches!(get(&engine, "deep").await, Err(Error::Internal(_))));
    assert!(matches!(
        common::put(&engine, "t", item("deep", "y")).await,
        Err(Error::Internal(_))
    ));
    // ...and the writer goes on with everything else.
    common::put(&engine, "t", item("ok3", "x")).await.unwrap();
    assert_eq!(get(&engine, "ok3").await.unwrap(), Some(item("ok3", "x")));

    engine
        .update_table(UpdateTableInput {
            table_name: "t".into(),
            attribute_definitions: vec![AttributeDefinition {
                attribute_name: "g".into(),
                attribute_type: ScalarType::S,
            }],
            global_secondary_index_updates: vec![GlobalSecondaryIndexUpdate::Create(IndexInput {
                name: "by_g".into(),
                key_schema: vec![KeySchemaElement {
                    attribute_name: "g".into(),
                    key_type: KeyType::Hash,
                }],
                projection_type: ProjectionType::All,
                non_key_attributes: None,
                provisioned_throughput: None,
            })],
            ..Default::default()
        })
        .await
        .unwrap();
    wait_until_active(&engine).await;
    assert_eq!(
        index_entries(&storage, &engine),
        4,
        "every readable item, none for the damaged one"
    );
    common::put(&engine, "t", item("ok4", "x")).await.unwrap();
    assert_eq!(index_entries(&storage, &engine), 5);

    // A restart finds nothing left to resume and serves on.
    engine.shutdown();
    drop((engine, storage));
    let (storage, engine) = open(dir.path());
    assert_eq!(index_status(&engine), Some(IndexStatus::Active));
    common::put(&engine, "t", item("ok5", "x")).await.unwrap();
    assert_eq!(index_entries(&storage, &engine), 6);
    engine.shutdown();
}
